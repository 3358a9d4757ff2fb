/*
 * run.h: running an external command (a reload hook, a renewal command,
 * git's credential helpers) from an argument vector, never through a
 * shell, with a deadline and its output captured.
 */
#ifndef CD_RUN_H
#define CD_RUN_H

#include "util.h"

/* Output kept from a command (stdout and stderr together, or stdout
   alone with RUN_STDERR_APART). */
#define RUN_OUTPUT_MAX	(64 * 1024)
/* Stderr kept with RUN_STDERR_APART: enough for a message. */
#define RUN_ERROUT_MAX	4096

/* run_argv_input's flags. */
/* The output may hold a secret (a password, key material): it is read
   into buffers of their largest size, allocated once, so that no copy
   is left behind in freed memory; the read buffer is wiped. */
#define RUN_SECRET		0x1
/* Stderr goes to errout, not into output: for a command whose output is
   parsed, where what it says on stderr must not pass for an answer. */
#define RUN_STDERR_APART	0x2

struct run_result {
	int	 exited;	/* 1: exited normally, status in code */
	int	 code;
	int	 signal;	/* killed by this signal, else 0 */
	int	 timed_out;
	struct buf output;	/* at most RUN_OUTPUT_MAX bytes, raw */
	struct buf errout;	/* RUN_STDERR_APART: at most RUN_ERROUT_MAX */
};

/*
 * Run argv (argv[0] looked up in PATH) in its own process group, stdin
 * from /dev/null, stdout and stderr into res->output, with env (NAME=VALUE
 * strings, may be NULL) added to the environment. At timeout_ms the group
 * gets SIGTERM, then SIGKILL a second later. Returns 0 when the command
 * ran (see res; 0 exit is success), -1 with *cause when it could not be
 * started. The caller run_result_free's res either way.
 */
int	 run_argv(char *const *argv, char *const *env, int timeout_ms,
	    struct run_result *res, char **cause);
/* The same with input (inlen bytes) written to the command's stdin
   (input NULL: /dev/null), and flags (RUN_*). */
int	 run_argv_input(char *const *argv, char *const *env,
	    const char *input, size_t inlen, int flags, int timeout_ms,
	    struct run_result *res, char **cause);
/* Wipe (it may hold a secret) and free res's output. */
void	 run_result_free(struct run_result *);
/* 1 if it exited 0. */
int	 run_ok(const struct run_result *);
/* "exited with status 3", "killed by signal 9", "timed out after 30 s". */
char	*run_describe(const struct run_result *, int timeout_ms);

#endif
