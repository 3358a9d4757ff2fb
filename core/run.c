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
	return run_argv_in(argv, env, NULL, 0, timeout_ms, res, cause);
}

int
run_argv_in(char *const *argv, char *const *env, const char *input,
    size_t inlen, int timeout_ms, struct run_result *res, char **cause)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t def;
	struct pollfd pfd;
	char **envp, chunk[4096];
	int64_t deadline, killed_at = 0, now;
	int pipefd[2], infd[2] = { -1, -1 }, status, e, open_pipe = 1;
	int reaped = 0;
	ssize_t n;
	pid_t pid;

	memset(res, 0, sizeof *res);
	buf_init(&res->output);
	if (argv == NULL || argv[0] == NULL || *argv[0] == '\0')
		return set_cause(cause, "empty command");
	if (inlen > RUN_INPUT_MAX)
		return set_cause(cause, "input for %s too long", argv[0]);
	/*
	 * The input goes into the pipe before the command starts (it fits
	 * in the pipe's buffer): a command that exits without reading it
	 * cannot leave us writing into a closed pipe.
	 */
	if (input != NULL && (pipe2(infd, O_CLOEXEC) != 0 ||
	    write(infd[1], input, inlen) != (ssize_t)inlen)) {
		e = errno;
		if (infd[0] >= 0) {
			close(infd[0]);
			close(infd[1]);
		}
		return set_cause(cause, "pipe: %s", strerror(e));
	}
	if (infd[1] >= 0)
		close(infd[1]);
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		e = errno;
		if (infd[0] >= 0)
			close(infd[0]);
		return set_cause(cause, "pipe: %s", strerror(e));
	}
	posix_spawn_file_actions_init(&fa);
	if (infd[0] >= 0)
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
	if (infd[0] >= 0)
		close(infd[0]);
	if (e != 0) {
		close(pipefd[0]);
		return set_cause(cause, "cannot run %s: %s", argv[0],
		    strerror(e));
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
		if (!open_pipe) {
			if (reaped)
				break;
			poll(NULL, 0, 20);
			continue;
		}
		pfd.fd = pipefd[0];
		pfd.events = POLLIN;
		e = poll(&pfd, 1, 50);
		if (e < 0 && errno != EINTR)
			open_pipe = 0;
		if (e <= 0)
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
