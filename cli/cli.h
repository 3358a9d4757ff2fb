/* cli.h: the command line front-end. */
#ifndef CD_CLI_H
#define CD_CLI_H

#include <stdio.h>

#include "util.h"

struct inv;
struct certrec;

/* Exit statuses: 0 done, 1 done but something was refused or found, 2 error. */
#define EXIT_PROBLEMS	1
#define EXIT_ERROR	2

struct cli {
	const char	*dir_opt;	/* -C */
	char		*dir;		/* resolved inventory directory */
	int		 ascii;		/* escape non-ASCII (non-UTF-8 locale) */
	const char	*cmd;		/* command name, for messages */
};

struct cmd {
	const char	*name;
	int		(*fn)(struct cli *, int, char **);
	const char	*usage;		/* after "certdeck NAME " */
	const char	*summary;	/* one line */
	const char	*help;		/* options, one per line */
};
extern const struct cmd cmds[];
const struct cmd *cmd_find(const char *);
/* Print "usage: ..." and the command's help to f. */
void	 cmd_usage(const struct cmd *, FILE *f);
/* Handle --help/-h if it is argv[1]; returns 1 if handled. */
int	 cmd_wants_help(const struct cmd *, int argc, char **argv);

/*
 * getopt_long(3) for a command, whose own messages print the option as
 * typed: an unknown option or a missing argument is said with cli_error
 * (escaped) and returned as '?'.
 */
struct option;
int	 cli_getopt(struct cli *, int argc, char **argv, const char *shortopts,
	    const struct option *longopts);

/* One-line error: "certdeck: CMD: message", escaped. */
void	 cli_error(struct cli *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Open the inventory named by -C / environment; prints the error. */
int	 cli_open(struct cli *, struct inv **);
/* Report callback for core (level 0 to stdout, others to stderr). */
void	 cli_report(void *arg, int level, const char *input, const char *msg);

/* A remote's URL as given, a relative path made absolute (caller frees). */
char	*cli_url_abs(const char *url);

/* Output of untrusted text, escaped for the terminal. */
void	 out_text(struct cli *, FILE *, const char *);
char	*out_esc(struct cli *, const char *);	/* caller frees */

/* A JSON writer: one object at a time, streamed. */
struct json {
	struct buf	 b;
	int		 first;
	FILE		*f;
};
void	 json_begin(struct json *, FILE *, char open);
void	 json_end(struct json *, char close);
void	 json_key(struct json *, const char *key);
void	 json_str(struct json *, const char *key, const char *value);
void	 json_int(struct json *, const char *key, long long value);
void	 json_bool(struct json *, const char *key, int value);
void	 json_null(struct json *, const char *key);
/* value holds items separated by sep; an empty or NULL value gives []. */
void	 json_list(struct json *, const char *key, const char *value, char sep);
void	 json_time(struct json *, const char *key, long long t);
void	 json_flush(struct json *);

/* Commands. */
/* heap.c: run a bulk import again with huge pages for its heap. */
void	 heap_tune(int argc, char **argv);
int	 heap_was_tuned(void);

int	 cmd_init(struct cli *, int, char **);
int	 cmd_import(struct cli *, int, char **);
int	 cmd_set(struct cli *, int, char **);
int	 cmd_edit(struct cli *, int, char **);
int	 cmd_rm(struct cli *, int, char **);
int	 cmd_undo(struct cli *, int, char **);
int	 cmd_list(struct cli *, int, char **);
int	 cmd_show(struct cli *, int, char **);
int	 cmd_log(struct cli *, int, char **);
int	 cmd_fsck(struct cli *, int, char **);
int	 cmd_probe(struct cli *, int, char **);
int	 cmd_audit(struct cli *, int, char **);
int	 cmd_ca(struct cli *, int, char **);
int	 cmd_issue(struct cli *, int, char **);
int	 cmd_revoke(struct cli *, int, char **);
int	 cmd_renew(struct cli *, int, char **);

/* Key passphrases: the terminal prompt (for commands that need a key),
   and --passphrase-fd N. */
void	 cli_passphrase_setup(void);
/* The terminal prompt for ssh key passphrases (sync, clone). */
void	 cli_cred_setup(void);
int	 cli_passphrase_fd(struct cli *, const char *fd);
int	 cmd_clone(struct cli *, int, char **);
int	 cmd_remote(struct cli *, int, char **);
int	 cmd_sync(struct cli *, int, char **);
int	 cmd_status(struct cli *, int, char **);

/* The keys `set` takes, from core's table, for its --help. */
void	 cmd_set_keys(FILE *);

/* Write a certificate's fields as JSON members (list and show share it). */
void	 json_certrec(struct json *, const struct certrec *);

#endif
