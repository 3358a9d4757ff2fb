/*
 * run.h: running an external command (a reload hook, a renewal command)
 * from an argument vector, never through a shell, with a deadline and its
 * output captured.
 */
#ifndef CD_RUN_H
#define CD_RUN_H

#include "util.h"

/* Output kept from a command (stdout and stderr together). */
#define RUN_OUTPUT_MAX	(64 * 1024)

struct run_result {
	int	 exited;	/* 1: exited normally, status in code */
	int	 code;
	int	 signal;	/* killed by this signal, else 0 */
	int	 timed_out;
	struct buf output;	/* at most RUN_OUTPUT_MAX bytes, raw */
};

/*
 * Run argv (argv[0] looked up in PATH) in its own process group, stdin
 * from /dev/null, stdout and stderr into res->output, with env (NAME=VALUE
 * strings, may be NULL) added to the environment. At timeout_ms the group
 * gets SIGTERM, then SIGKILL a second later. Returns 0 when the command
 * ran (see res; 0 exit is success), -1 with *cause when it could not be
 * started. The caller buf_free's res->output.
 */
int	 run_argv(char *const *argv, char *const *env, int timeout_ms,
	    struct run_result *res, char **cause);
/* The same with input (at most RUN_INPUT_MAX bytes) on its stdin. */
#define RUN_INPUT_MAX	4096
int	 run_argv_in(char *const *argv, char *const *env, const char *input,
	    size_t inlen, int timeout_ms, struct run_result *res,
	    char **cause);
/* 1 if it exited 0. */
int	 run_ok(const struct run_result *);
/* "exited with status 3", "killed by signal 9", "timed out after 30 s". */
char	*run_describe(const struct run_result *, int timeout_ms);

#endif
