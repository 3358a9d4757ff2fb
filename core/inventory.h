/*
 * inventory.h: the operations on an inventory, shared by the command line
 * and the terminal UI. Every mutation is one transaction (DESIGN.md):
 * lock, bring the index up to HEAD, commit through store/repo, update the
 * index, unlock.
 */
#ifndef CD_INVENTORY_H
#define CD_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "status.h"
#include "util.h"
#include "../store/index.h"
#include "../store/repo.h"

/* How long a command waits for another certdeck to finish a change. */
#define INV_LOCK_TIMEOUT_MS	30000

struct inv {
	char		*dir;
	struct repo	*repo;
	struct idx	*idx;
	struct config	 cfg;
	char		*cfg_error;	/* certdeck.conf's, when cfg holds
					   the defaults instead; or NULL */
	int		 locked;
	size_t		 parsed;	/* certificates parsed since open */
	char		 at_commit[REPO_OID_HEX];	/* snapshot in the index
							   for list --at, or "" */
	void		(*report)(void *, int, const char *, const char *);
	void		*report_arg;
};

/* Messages about inputs: level 0 note, 1 warning, 2 error. */
typedef void (*inv_report_cb)(void *arg, int level, const char *input,
	    const char *msg);

/*
 * Where the inventory is: opt (-C) if given, else CERTDECK_DIR, else
 * $XDG_DATA_HOME/certdeck, else ~/.local/share/certdeck. Caller frees.
 */
char	*inv_locate(const char *opt);
/*
 * The passphrase that encrypts stored private keys comes from, in order:
 * inv_set_passphrase (--passphrase-fd), CERTDECK_PASSPHRASE_FILE, the
 * prompt function (called at most once, when a key is needed; it returns
 * a string the caller frees, or NULL).
 */
void	 inv_set_passphrase(const char *);
void	 inv_set_passphrase_prompt(char *(*)(void));
/* Make a new inventory in dir (created if missing, must be empty). */
int	 inv_init(const char *dir, char **cause);

#define INV_OPEN_NOREFRESH	0x1	/* do not bring the index up to HEAD */
/* cb (may be NULL) hears about problems met while the index catches up
   (a hand edit, a file that does not parse); it is kept for later calls. */
int	 inv_open(const char *dir, int flags, inv_report_cb cb, void *arg,
	    struct inv **, char **cause);
void	 inv_close(struct inv *);
/*
 * Bring the SQLite index (and, after a crash, the work tree) up to HEAD.
 * Cheap when already current; after a pull it costs what changed. Takes
 * the lock unless the caller holds it. Problems with single entries (a
 * hand-committed file that does not parse) go to report and do not fail.
 */
int	 inv_refresh(struct inv *, inv_report_cb, void *, char **cause);
/* Rebuild the index from HEAD from nothing (fsck --repair). */
int	 inv_reindex(struct inv *, inv_report_cb, void *, char **cause);
/* Move a damaged index aside (index.db.broken, warned about with why)
   and start a new, empty one; inv_reindex fills it. */
int	 inv_index_replace(struct inv *, const char *why, char **cause);

/* Certificates this process parsed from the repository, over all opens
   (the index caches them: an index at HEAD means none). */
size_t	 inv_stats_parsed(void);
/* This process's writes of .git/index: new files, patched and compared
   into the kept index (store/gitindex.h). */
void	 inv_stats_gitindex(unsigned long *made, unsigned long *patched,
	    unsigned long *compared);

/* certs/<xx>/<name> for an entry name; caller frees. */
char	*inv_entry_dir(const char *name);
/* Why a directory of certs/ made by hand is no entry (an invalid name,
   or not under the shard its name hashes to), or NULL. */
const char *inv_entry_misplaced(const struct repo_entry *);
/* The sentence that says so (why, and where it belongs); caller frees. */
char	*inv_entry_misplaced_text(const struct repo_entry *, const char *why);
/* Whether an entry exists at HEAD (per the index). */
int	 inv_exists(struct inv *, const char *name);
/* 0 if changes can be made here; else -1 with *cause (a read-only index,
   as inv_lock would refuse). For a front end to refuse before asking. */
int	 inv_writable(struct inv *, char **cause);

struct inv_import_opts {
	const char	*name;		/* --name: only with a single entry */
	const char	*owner;
	struct strv	 tags;
	const char	*into;		/* --into: replace this entry's cert */
	const char	*p12_pass;	/* PKCS#12 passphrase, may be NULL */
	int		 kubernetes;	/* inputs are kubectl JSON or YAML */
	/* Files parsed so far, from the calling thread; may be NULL. */
	void		(*progress)(void *, size_t done, size_t total);
	void		*progress_arg;
	const volatile int *cancel;	/* set: stop, import nothing */
};
struct inv_import_result {
	size_t	imported;	/* new entries */
	size_t	replaced;	/* --into */
	size_t	present;	/* already in the inventory */
	size_t	refused;	/* inputs or groups refused */
	char	commit[REPO_OID_HEX];	/* "" if nothing was committed */
};
/*
 * Import files, directories (recursively) and "-" (stdin). Each refused
 * input is reported and skipped; the rest goes in as one commit. Returns
 * 0 (see result->refused) or -1 if nothing could be done at all.
 */
int	 inv_import(struct inv *, char *const *paths, size_t n,
	    const struct inv_import_opts *, struct inv_import_result *,
	    inv_report_cb, void *, char **cause);

/* Apply key=value, key+=v, key-=v; one commit. 1 changed, 0 no change. */
int	 inv_set(struct inv *, const char *name, char *const *assign,
	    size_t n, char **cause);
/* Remove an entry (and its stored key); one commit. */
int	 inv_rm(struct inv *, const char *name, char **cause);
/*
 * The text of an entry's metadata file at HEAD into *text (caller frees;
 * "" when the entry has no metadata). 1 found, 0 no such entry, -1 error.
 */
int	 inv_entry_text(struct inv *, const char *name, char **text,
	    char **cause);
/*
 * Replace an entry's metadata with text (the whole file, as `edit` and the
 * UI's editor give it). Every key that differs from HEAD is checked as
 * `set` checks it: an unknown key or a malformed value refuses the whole
 * text; an unknown key left as it was is kept. One commit, "edit NAME:
 * key, key" naming the changed keys. 1 changed, 0 no change, -1 error.
 */
int	 inv_set_entry(struct inv *, const char *name, const char *text,
	    char **cause);
/*
 * Undo HEAD: commit the revert of what it changed against its first
 * parent, as one commit "undo: <its subject>". The first commit (init)
 * cannot be undone. An undo is undone like any other commit.
 */
int	 inv_undo(struct inv *, char **cause);

/* A revision (HEAD~2, a tag, an id) or a date (YYYY-MM-DD: the end of
   that day; or RFC 3339) to a commit id. */
int	 inv_resolve(struct inv *, const char *rev, char out[REPO_OID_HEX],
	    char **cause);

/* One listed entry. Pointers are valid during the callback only. */
struct inv_row {
	const struct idx_row	*r;
	enum status		 status;
	int64_t			 days_left;
};
typedef int (*inv_row_cb)(void *arg, const struct inv_row *);
struct inv_list_opts {
	const char	*filter;
	int		 expiring_days;		/* -1 = any */
	int		 status_mask;		/* bit per enum status; 0 = all */
	enum idx_sort	 sort;
	int		 reverse;
	const char	*at;			/* revision or date, or NULL */
	const char	*name;			/* one entry, or NULL */
};
/* The callback returns 0 to go on; anything else stops the listing and
   is returned. Listed by expiry (the default), rows come from an index
   in order: a caller that stops after a screenful reads a screenful. */
int	 inv_list(struct inv *, const struct inv_list_opts *, inv_row_cb,
	    void *, char **cause);
/* The status of a row's certificate (effective expiry, leaf lifetime). */
void	 inv_row_status(struct inv *, const struct idx_row *,
	    enum status *, int64_t *days_left);
/* How many entries are in each status now, and in all, without reading
   them (status_count): what a whole inv_list would count. */
int	 inv_status_counts(struct inv *, size_t counts[ST_COUNT],
	    size_t *total, char **cause);

/* A commit in the inventory's history, as `log` shows it. */
struct inv_commit {
	const struct repo_commit *c;
	const char	*action;	/* Certdeck-Action, or "git" */
	struct strv	 entries;	/* Certdeck-Entry values */
};
typedef int (*inv_log_cb)(void *arg, const struct inv_commit *);
/* name NULL: the whole inventory; else the entry of that name. */
int	 inv_log(struct inv *, const char *name, size_t limit, inv_log_cb,
	    void *, char **cause);
/* The audit sweeps that changed audit/findings. */
int	 inv_log_sweeps(struct inv *, size_t limit, inv_log_cb, void *,
	    char **cause);

/* Local certificate authorities (inv_ca.c; ca.h describes cas/NAME/). */
struct inv_ca_init_opts {
	const char	*name;
	const char	*parent;	/* --parent: an intermediate of it */
	const char	*key_type;	/* NULL: KEY_TYPE_DEFAULT, or
					   HSM_KEY_TYPE_DEFAULT in a token */
	const char	*key_in;	/* a pkcs11: URI: generate the key
					   in that token (hsm.h), or NULL */
	int		 days;		/* 0: 3650 */
	const char	*subject;	/* NULL: /CN=NAME */
	int		 pathlen;	/* -1: none */
};
/* Make cas/NAME/: a root CA, or an intermediate of parent. One commit.
   With key_in, the key stays in the token and cas/NAME/key-uri names it. */
int	 inv_ca_init(struct inv *, const struct inv_ca_init_opts *,
	    char **cause);
struct inv_issue_opts {
	const char	*ca;
	const char	*cn;
	const char	*sans;		/* "DNS:a,IP:b"; NULL: DNS:CN (server) */
	int		 days;		/* days and hours 0: 365 days */
	int		 hours;
	int		 usage;		/* CA_USE_* (ca.h); 0: server */
	const char	*name;		/* NULL: derived from the CN */
	const char	*key_type;
	const char	*key_in;	/* as for inv_ca_init_opts */
	const char	*owner;
};
/* A new entry with a certificate from the CA and its key (encrypted; or
   in a token, the entry's key-path naming it). One commit; *name gets
   the entry's name (caller frees). */
int	 inv_issue(struct inv *, const struct inv_issue_opts *, char **name,
	    char **cause);
/* Record entry name's certificate as revoked in its CA. One commit. */
int	 inv_revoke(struct inv *, const char *name, const char *reason,
	    char **cause);
/* Write cas/NAME/crl.pem, valid days (0: 7). One commit. */
int	 inv_ca_crl(struct inv *, const char *name, int days, char **cause);
/* PEM of the inventory's CAs (cas/), with their chains; with roots_only
   the roots alone (caller frees). */
char	*inv_ca_pem(struct inv *, int roots_only);

/*
 * Renewal (renew.c): through the entry's profile (a [profile NAME] of
 * certdeck.conf, or the CA that issued it), then deploy, reload, and a
 * probe of its endpoints; one commit per entry. Every run is a "renew"
 * job in the index.
 */
enum inv_renew_state {
	INV_RENEW_NONE,
	INV_RENEW_FAILED,	/* the last renewal failed */
	INV_RENEW_STUCK,	/* the last INV_RENEW_STUCK_AFTER failed */
	INV_RENEW_NOT_LIVE,	/* renewed, but no probe has seen it served */
};
#define INV_RENEW_STUCK_AFTER	3
/* NULL for NONE, else "renewal failed", "renewal stuck", "renewed, not
   live". */
const char *inv_renew_state_name(enum inv_renew_state);
int	 inv_renew_state(struct inv *, const char *name,
	    enum inv_renew_state *, char **cause);
/* Every entry whose state is not NONE, sorted, with its state's name in
   states at the same index (appended to both). */
int	 inv_renew_states(struct inv *, struct strv *names,
	    struct strv *states, char **cause);

/* What a renewal would do (renew --dry-run, the UI's confirmation). */
struct inv_renew_plan {
	char		*name;
	char		*profile;	/* "web (command certbot ...)" */
	char		*key;		/* "new (ec:P-256)", "reused" */
	int64_t		 old_not_after;
	int64_t		 new_not_after;	/* 0: known only once it ran */
	struct strv	 deploy;	/* "cert /etc/...", "key /etc/..." */
	char		*reload;	/* NULL: none */
	struct strv	 endpoints;	/* probed afterwards */
};
int	 inv_renew_plan(struct inv *, const char *name,
	    struct inv_renew_plan *, char **cause);
void	 inv_renew_plan_free(struct inv_renew_plan *);

/*
 * Renewals at once by default: a renewal mostly waits (on the CA, a
 * reload, the verifying probes), and its CPU part, the new key's PBKDF2,
 * takes one core for a quarter second; four keep two cores busy while
 * others wait, without many orders at a public CA or reloads of one
 * service at the same moment.
 */
#define INV_RENEW_JOBS_DEFAULT	4
#define INV_RENEW_JOBS_MAX	32

struct inv_renew_opts {
	int			 probe_timeout_ms;	/* 0: default */
	int			 jobs;		/* at once; 0: the default */
	const volatile int	*cancel;
};
/* One entry's outcome, for the callback. */
struct inv_renew_result {
	const char	*name;
	int		 ok;
	char		*error;		/* one line, when not ok */
	char		*output;	/* a command's output, sanitised */
	int64_t		 old_not_after;
	int64_t		 new_not_after;
	char		*deploy;	/* "wrote ...; reload ok", or NULL */
	char		*verify;	/* "127.0.0.1:443 ok, ...", or NULL */
	int		 live;		/* 1 served, 0 not, -1 not checked */
	int		 deploy_failed;	/* a reload or apply failed */
	char		 commit[REPO_OID_HEX];
};
typedef void (*inv_renew_cb)(void *arg, const struct inv_renew_result *);
/*
 * Renew each entry, once however often it is named (one commit each; a
 * failure changes nothing in the repository and the rest go on), up to
 * opts->jobs at once: each entry's
 * issue, deploy, reload and verify on a thread of its own, the commits
 * one at a time on the calling thread, in the order the renewals finish
 * (names' order with jobs 1). cb is called on the calling thread as each
 * one is done. cancel stops starting renewals; those running finish.
 * Returns how many failed, or -1 with *cause when nothing could be done.
 */
int	 inv_renew(struct inv *, char *const *names, size_t n,
	    const struct inv_renew_opts *, inv_renew_cb, void *arg,
	    char **cause);
void	 inv_renew_result_free(struct inv_renew_result *);
/* Entries at warning or worse that have a profile or an issuing CA. */
int	 inv_renew_due(struct inv *, struct strv *names, char **cause);

/*
 * fsck: report problems through cb. With repair, an index that a rebuild
 * mends is rebuilt and checked again; that check tells only what the
 * first did not, and counts what is left.
 */
struct inv_fsck_result {
	int		 problems;	/* found, before or by the repair */
	int		 fixable;	/* of them, what a rebuild mends */
	int		 left;		/* after the repair (else = problems) */
};
int	 inv_fsck(struct inv *, int repair, inv_report_cb, void *,
	    struct inv_fsck_result *, char **cause);

#endif
