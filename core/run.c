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
	return run_argv_input(argv, env, NULL, 0, timeout_ms, res, cause);
}

int
run_argv_input(char *const *argv, char *const *env, const char *input,
    size_t inlen, int timeout_ms, struct run_result *res, char **cause)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct sigaction ign, oldpipe;
	sigset_t def;
	struct pollfd pfd[2];
	char **envp, chunk[4096];
	int64_t deadline, killed_at = 0, now;
	int pipefd[2], infd[2] = { -1, -1 }, status, e, open_pipe = 1;
	int reaped = 0, np;
	size_t inoff = 0;
	ssize_t n;
	pid_t pid;

	memset(res, 0, sizeof *res);
	buf_init(&res->output);
	if (argv == NULL || argv[0] == NULL || *argv[0] == '\0')
		return set_cause(cause, "empty command");
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return set_cause(cause, "pipe: %s", strerror(errno));
	if (input != NULL && pipe2(infd, O_CLOEXEC) != 0) {
		e = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return set_cause(cause, "pipe: %s", strerror(e));
	}
	posix_spawn_file_actions_init(&fa);
	if (input != NULL)
		posix_spawn_file_actions_adddup2(&fa, infd[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
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
	close(pipefd[1]);
	if (input != NULL)
		close(infd[0]);
	if (e != 0) {
		close(pipefd[0]);
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
		if (open_pipe) {
			pfd[np].fd = pipefd[0];
			pfd[np].events = POLLIN;
			pfd[np++].revents = 0;
		}
		if (infd[1] >= 0) {
			pfd[np].fd = infd[1];
			pfd[np].events = POLLOUT;
			pfd[np++].revents = 0;
		}
		if (np == 0) {
			if (reaped)
				break;
			poll(NULL, 0, 20);
			continue;
		}
		e = poll(pfd, (nfds_t)np, 50);
		if (e < 0 && errno != EINTR) {
			open_pipe = 0;
			if (infd[1] >= 0) {
				close(infd[1]);
				infd[1] = -1;
			}
		}
		if (e <= 0)
			continue;
		if (infd[1] >= 0 && pfd[np - 1].revents != 0) {
			n = write(infd[1], input + inoff, inlen - inoff);
			if (n > 0)
				inoff += (size_t)n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
			    inoff == inlen) {
				close(infd[1]);
				infd[1] = -1;
			}
		}
		if (!open_pipe || pfd[0].revents == 0)
			continue;
		n = read(pipefd[0], chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			open_pipe = 0;
			continue;
		}
		if (res->output.len < RUN_OUTPUT_MAX)
			buf_add(&res->output, chunk,
			    res->output.len + (size_t)n > RUN_OUTPUT_MAX ?
			    RUN_OUTPUT_MAX - res->output.len : (size_t)n);
	}
	close(pipefd[0]);
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
