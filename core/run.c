/* run.c: external commands without a shell (run.h). */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "run.h"

extern char **environ;

/* environ plus env, NAME=VALUE; env wins. Caller frees the vector only. */
static char **
run_env(char *const *env)
{
	size_t n = 0, m = 0, i, j, k;
	char **out;

	while (environ[n] != NULL)
		n++;
	while (env != NULL && env[m] != NULL)
		m++;
	out = xcalloc(n + m + 1, sizeof *out);
	for (i = 0, k = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) + 1 : 0;

		for (j = 0; len > 0 && j < m; j++)
			if (strncmp(env[j], environ[i], len) == 0)
				break;
		if (len == 0 || j == m)
			out[k++] = environ[i];
	}
	for (j = 0; j < m; j++)
		out[k++] = env[j];
	return out;
}

int
run_argv(char *const *argv, char *const *env, int timeout_ms,
    struct run_result *res, char **cause)
{
	return run_argv_input(argv, env, NULL, 0, 0, timeout_ms, res, cause);
}

void
run_result_free(struct run_result *res)
{
	free_secret(res->output.data, res->output.len);
	free_secret(res->errout.data, res->errout.len);
	buf_init(&res->output);
	buf_init(&res->errout);
}

int
run_argv_input(char *const *argv, char *const *env, const char *input,
    size_t inlen, int flags, int timeout_ms, struct run_result *res,
    char **cause)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct sigaction ign, oldpipe;
	sigset_t def;
	struct pollfd pfd[3];
	/* What is read from rd[i] goes to to[i], up to max[i] bytes. */
	struct buf *to[2] = { &res->output, &res->errout };
	const size_t max[2] = { RUN_OUTPUT_MAX, RUN_ERROUT_MAX };
	size_t inoff = 0, i;
	char **envp, chunk[4096];
	int64_t deadline, killed_at = 0, now;
	int outfd[2] = { -1, -1 }, errfd[2] = { -1, -1 }, infd[2] = { -1, -1 };
	int rd[2], who[3], status, e, reaped = 0, np, k;
	ssize_t n;
	pid_t pid;

	memset(res, 0, sizeof *res);
	buf_init(&res->output);
	buf_init(&res->errout);
	if (argv == NULL || argv[0] == NULL || *argv[0] == '\0')
		return set_cause(cause, "empty command");
	if (pipe2(outfd, O_CLOEXEC) != 0 ||
	    ((flags & RUN_STDERR_APART) && pipe2(errfd, O_CLOEXEC) != 0) ||
	    (input != NULL && pipe2(infd, O_CLOEXEC) != 0)) {
		e = errno;
		for (k = 0; k < 2; k++) {
			if (outfd[k] >= 0)
				close(outfd[k]);
			if (errfd[k] >= 0)
				close(errfd[k]);
		}
		return set_cause(cause, "pipe: %s", strerror(e));
	}
	posix_spawn_file_actions_init(&fa);
	if (input != NULL)
		posix_spawn_file_actions_adddup2(&fa, infd[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errfd[1] >= 0 ? errfd[1] :
	    outfd[1], 2);
	/* Nothing else of ours: a descriptor a library opened without
	   O_CLOEXEC (a passphrase, the index, the lock) stays here. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	posix_spawnattr_setsigdefault(&attr, &def);
	sigemptyset(&def);
	posix_spawnattr_setsigmask(&attr, &def);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	envp = run_env(env);
	e = posix_spawnp(&pid, argv[0], &fa, &attr, argv, envp);
	free(envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(outfd[1]);
	if (errfd[1] >= 0)
		close(errfd[1]);
	if (input != NULL)
		close(infd[0]);
	if (e != 0) {
		close(outfd[0]);
		if (errfd[0] >= 0)
			close(errfd[0]);
		if (input != NULL)
			close(infd[1]);
		return set_cause(cause, "cannot run %s: %s", argv[0],
		    strerror(e));
	}
	if (input != NULL) {
		/* A command that exits without reading all of its input must
		   not take us down with SIGPIPE: EPIPE ends the input. */
		memset(&ign, 0, sizeof ign);
		ign.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &ign, &oldpipe);
		fcntl(infd[1], F_SETFL, fcntl(infd[1], F_GETFL) | O_NONBLOCK);
		if (inlen == 0) {
			close(infd[1]);
			infd[1] = -1;
		}
	}
	rd[0] = outfd[0];
	rd[1] = errfd[0];
	/* Reserved whole, a secret's buffers never move: no copy is left
	   in a block they outgrew. */
	if (flags & RUN_SECRET)
		for (i = 0; i < 2; i++)
			if (rd[i] >= 0)
				buf_reserve(to[i], max[i]);

	deadline = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	status = 0;
	for (;;) {
		now = clock_mono_ms();
		if (!reaped && (e = waitpid(pid, &status, WNOHANG)) == pid) {
			reaped = 1;
			/* A child it left may hold the pipe: read what is
			   there for a moment more, no longer. */
			if (deadline > now + 200)
				deadline = now + 200;
		}
		if (now >= deadline) {
			if (reaped)
				break;
			if (!res->timed_out) {
				res->timed_out = 1;
				kill(-pid, SIGTERM);
				killed_at = now;
			} else if (killed_at != 0 && now >= killed_at + 1000) {
				kill(-pid, SIGKILL);
				killed_at = 0;
			}
		}
		/* Input is fed while the command may read it, even once it
		   closed its output. */
		np = 0;
		for (k = 0; k < 2; k++)
			if (rd[k] >= 0) {
				pfd[np].fd = rd[k];
				pfd[np].events = POLLIN;
				pfd[np].revents = 0;
				who[np++] = k;
			}
		if (infd[1] >= 0) {
			pfd[np].fd = infd[1];
			pfd[np].events = POLLOUT;
			pfd[np].revents = 0;
			who[np++] = 2;
		}
		if (np == 0) {
			if (reaped)
				break;
			poll(NULL, 0, 20);
			continue;
		}
		e = poll(pfd, (nfds_t)np, 50);
		if (e < 0 && errno != EINTR) {
			for (k = 0; k < 2; k++)
				if (rd[k] >= 0) {
					close(rd[k]);
					rd[k] = -1;
				}
			if (infd[1] >= 0) {
				close(infd[1]);
				infd[1] = -1;
			}
		}
		if (e <= 0)
			continue;
		for (k = 0; k < np; k++) {
			if (pfd[k].revents == 0)
				continue;
			if (who[k] == 2) {
				n = write(infd[1], input + inoff,
				    inlen - inoff);
				if (n > 0)
					inoff += (size_t)n;
				if ((n < 0 && errno != EAGAIN &&
				    errno != EINTR) || inoff == inlen) {
					close(infd[1]);
					infd[1] = -1;
				}
				continue;
			}
			i = (size_t)who[k];
			n = read(rd[i], chunk, sizeof chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(rd[i]);
				rd[i] = -1;
				continue;
			}
			if (to[i]->len < max[i])
				buf_add(to[i], chunk,
				    to[i]->len + (size_t)n > max[i] ?
				    max[i] - to[i]->len : (size_t)n);
		}
	}
	if (flags & RUN_SECRET)
		explicit_bzero(chunk, sizeof chunk);
	for (k = 0; k < 2; k++)
		if (rd[k] >= 0)
			close(rd[k]);
	if (infd[1] >= 0)
		close(infd[1]);
	if (input != NULL)
		sigaction(SIGPIPE, &oldpipe, NULL);
	/* Whatever the leader left behind in its group goes too. */
	kill(-pid, SIGKILL);
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status))
		res->signal = WTERMSIG(status);
	return 0;
}

int
run_ok(const struct run_result *res)
{
	return res->exited && res->code == 0 && !res->timed_out;
}

char *
run_describe(const struct run_result *res, int timeout_ms)
{
	if (res->timed_out)
		return xasprintf("timed out after %d s",
		    (timeout_ms > 0 ? timeout_ms : 30000) / 1000);
	if (res->exited && res->code == 127)
		return xasprintf("exited with status 127 (command not found?)");
	if (res->exited)
		return xasprintf("exited with status %d", res->code);
	return xasprintf("killed by signal %d", res->signal);
}
