/*
 * index.h: the SQLite index of an inventory (.certdeck/index.db). It is a
 * cache of what git holds: parsed certificates keyed by the blob id of
 * their PEM file, one row per entry of the indexed commit, and the id of
 * that commit. It can always be rebuilt from git.
 *
 * Also holds what is observed rather than decided (probe results, job runs)
 * in tables that are not versioned.
 *
 * Errors: 0 on success, -1 with *cause set (caller frees).
 */
#ifndef CD_INDEX_H
#define CD_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "certrec.h"

struct idx;

/*
 * Open (creating if missing) the index at path. The schema version is
 * checked at open: an index from an older schema is migrated when
 * index.c knows how (keeping everything), else dropped and recreated
 * empty (it is only a cache; the caller reindexes since its head is "").
 */
int	 idx_open(const char *path, struct idx **, char **cause);
/* SQLite's quick check: 0 sound, 1 damaged (*what says how; caller
   frees), -1 error. */
int	 idx_quick_check(struct idx *, char **what, char **cause);
/* idx_open's -2: the file is not a database, or a damaged one. */
#define IDX_OPEN_DAMAGED	(-2)
void	 idx_close(struct idx *);
/* Opened read-only (the file cannot be written here): queries only. */
int	 idx_is_readonly(const struct idx *);

/* One write transaction at a time (BEGIN IMMEDIATE). */
int	 idx_begin(struct idx *, char **cause);
int	 idx_commit(struct idx *, char **cause);
void	 idx_rollback(struct idx *);
/* Several reads as of one moment (a read transaction; inside a write
   transaction already open, that one): *own tells end what to do. */
int	 idx_snapshot_begin(struct idx *, int *own, char **cause);
void	 idx_snapshot_end(struct idx *, int own);

/* The commit the index reflects; "" when never indexed. */
int	 idx_get_head(struct idx *, char out[41], char **cause);
int	 idx_set_head(struct idx *, const char *commit, char **cause);
/* Other local facts in the meta table (the last sync): 1 and *value
   (caller frees), 0 if unset, -1 error. */
int	 idx_meta_get(struct idx *, const char *key, char **value,
	    char **cause);
int	 idx_meta_set(struct idx *, const char *key, const char *value,
	    char **cause);

/* Parsed-certificate cache, keyed by PEM blob id. */
int	 idx_file_has(struct idx *, const char *blob);	/* 1, 0, -1 */
int	 idx_file_put(struct idx *, const char *blob, const struct certfile *,
	    char **cause);
/* Returns 1 and fills *out (caller certfile_free's) if cached, 0 if not. */
int	 idx_file_get(struct idx *, const char *blob, struct certfile *out,
	    char **cause);
/*
 * Names of the indexed entries whose certificate file holds a certificate
 * with this SHA-256 fingerprint (leaf_only: as its leaf). Sorted; the
 * caller strv_free's names (lib/util.h).
 */
struct strv;
int	 idx_find_fingerprint(struct idx *, const char *sha256, int leaf_only,
	    struct strv *names, char **cause);
/* Names of the indexed entries whose leaf has this subject and SAN list. */
int	 idx_find_subject(struct idx *, const char *subject, const char *sans,
	    struct strv *names, char **cause);

/* One entry of the indexed commit. Strings owned by the caller of put. */
struct idx_entry {
	char	*name;
	char	 cert_blob[41];
	char	 entry_blob[41];
	char	*owner;
	char	*tags;		/* comma-separated, sorted */
	char	*endpoints;	/* comma-separated */
	char	*profile;
	char	*meta;		/* the whole entry file, as text */
};
int	 idx_entry_put(struct idx *, const struct idx_entry *, char **cause);
int	 idx_entry_del(struct idx *, const char *name, char **cause);
int	 idx_entry_clear(struct idx *, char **cause);
/* 1 and *out filled (caller idx_entry_free's) if found, 0 if not. */
int	 idx_entry_get(struct idx *, const char *name, struct idx_entry *out,
	    char **cause);
void	 idx_entry_free(struct idx_entry *);	/* members only */
int	 idx_entry_count(struct idx *, size_t *n, char **cause);
/*
 * Counting entries by expiry without reading them (a range of an index):
 * those whose effective notAfter (struct idx_row's eff_not_after) is at
 * most before and, when their lifetime (that notAfter minus the leaf's
 * notBefore) is positive, the last 1/part of it has begun by when (part 0:
 * no such condition); and those without a certificate. The expiry policy
 * (core/status.c) is made of such ranges.
 */
int	 idx_count_expiring(struct idx *, int64_t before, int64_t when,
	    int part, size_t *n, char **cause);
int	 idx_count_no_cert(struct idx *, size_t *n, char **cause);
/* Entries whose copy of their file's expiry (what the listing by expiry
   and the counts use) disagrees with the file: 0 unless the index was
   damaged (fsck). */
int	 idx_entry_stale(struct idx *, size_t *n, char **cause);

/*
 * A listing: each entry joined with its certificate file (leaf fields and
 * effective expiry). Strings are valid only during the callback.
 */
struct idx_row {
	const struct idx_entry	*entry;
	const struct certrec	*leaf;		/* NULL if no certificate */
	int64_t			 eff_not_after;
	const char		*eff_from;
	size_t			 chain_len;	/* certificates in the file */
};
typedef int (*idx_row_cb)(void *arg, const struct idx_row *);

enum idx_sort {
	IDX_SORT_EXPIRY,	/* effective notAfter, then name */
	IDX_SORT_NAME,
	IDX_SORT_SUBJECT,	/* subject CN */
	IDX_SORT_ISSUER,	/* issuer CN */
	IDX_SORT_OWNER,
};
struct idx_query {
	const char	*filter;	/* substring, case-insensitive, over name,
					   subject, SANs, issuer, owner, tags */
	int64_t		 not_after_max;	/* effective notAfter <= this; 0 = any */
	enum idx_sort	 sort;
	int		 reverse;
	const char	*name;		/* exact entry name, or NULL */
	int		 at;		/* list the snapshot of idx_at_put rows
					   instead of the indexed commit */
};

/*
 * A snapshot of another commit's entries for `list --at`: a TEMP table in
 * this connection, emptied by idx_at_begin, filled by idx_at_put, listed
 * by idx_list with query.at set. Certificates come from the same cache.
 */
int	 idx_at_begin(struct idx *, char **cause);
int	 idx_at_put(struct idx *, const struct idx_entry *, char **cause);
/* The snapshot starts as a copy of the current entries... */
int	 idx_at_copy(struct idx *, char **cause);
/* ...and a name can leave it. */
int	 idx_at_del(struct idx *, const char *name, char **cause);
int	 idx_list(struct idx *, const struct idx_query *, idx_row_cb, void *arg,
	    char **cause);

/*
 * Probe results (observed, not versioned): one row per probe. ok means
 * the TLS handshake completed; kind names the result ("ok", "timeout",
 * ...); json is the whole result as core wrote it. Strings may be NULL
 * except endpoint and kind.
 */
struct idx_probe {
	char	*endpoint;
	char	*entry;
	int64_t	 time;
	int	 ok;
	char	*kind;
	char	*detail;
	char	*leaf_sha256;
	char	*json;
};
int	 idx_probe_put(struct idx *, const struct idx_probe *, char **cause);
/* The newest probe of endpoint (ok_only: the newest that completed its
   handshake): 1 and *out filled (caller idx_probe_free's), 0 if none. */
int	 idx_probe_last(struct idx *, const char *endpoint, int ok_only,
	    struct idx_probe *out, char **cause);
void	 idx_probe_free(struct idx_probe *);	/* members only */

/*
 * An audit sweep's read of the indexed commit: every entry with every
 * certificate of its file (leaf first), in name order, in one statement.
 * Pointers are valid during the callback only; certs is NULL (n 0) for an
 * entry without a certificate. The callback returns 0 to go on; anything
 * else stops the walk and is returned.
 */
struct idx_audit_row {
	const struct idx_entry	*entry;
	const struct certrec	**certs;
	size_t			 n;
	int64_t			 eff_not_after;
	size_t			 unsigned_at;	/* as struct certfile's */
};
typedef int (*idx_audit_cb)(void *arg, const struct idx_audit_row *);
int	 idx_audit_walk(struct idx *, idx_audit_cb, void *arg, char **cause);

/*
 * The newest probe of each (entry, endpoint) pair that names an entry,
 * in entry then endpoint order. For each, values[i] is the JSON value at
 * paths[i] (SQLite json_extract syntax, "$.ocsp.status") of its stored
 * result, as text, or NULL. Pointers valid during the callback only.
 */
typedef int (*idx_probe_cb)(void *arg, const struct idx_probe *,
	    const char *const *values);
int	 idx_probe_latest(struct idx *, const char *const *paths, size_t npaths,
	    idx_probe_cb, void *arg, char **cause);

/*
 * Per entry, the jobs of kind that failed since its last successful one
 * (all of them when none succeeded), entries with at least one, in name
 * order.
 */
typedef int (*idx_jobfail_cb)(void *arg, const char *entry, int64_t failed,
	    int64_t last_ended);
int	 idx_jobs_failing(struct idx *, const char *kind, idx_jobfail_cb,
	    void *arg, char **cause);

/* 1 if a probe of entry's endpoints at or after since served the leaf
   with this fingerprint, 0 if none did, -1 on error. */
int	 idx_probe_seen(struct idx *, const char *entry, const char *sha256,
	    int64_t since, char **cause);
/*
 * Job runs (observed, not versioned): one row per run of a job of some
 * kind ("renew") on an entry; output is what the job said, already
 * sanitised by core. Strings may be NULL except entry and kind.
 */
struct idx_job {
	char	*entry;
	char	*kind;
	int64_t	 started;
	int64_t	 ended;
	int	 ok;
	char	*output;
};
int	 idx_job_put(struct idx *, const struct idx_job *, char **cause);
/* The newest (at most max) jobs of kind on entry into out[], newest
   first; *n how many (caller idx_job_free's each). */
int	 idx_job_recent(struct idx *, const char *entry, const char *kind,
	    struct idx_job *out, size_t max, size_t *n, char **cause);
void	 idx_job_free(struct idx_job *);	/* members only */
/* The entries with jobs of kind, sorted, appended to names. */
int	 idx_job_entries(struct idx *, const char *kind, struct strv *names,
	    char **cause);
/* For tests: the plan SQLite makes for idx_list's statement of query, its
   EXPLAIN QUERY PLAN lines (caller frees). */
int	 idx_list_plan(struct idx *, const struct idx_query *, char **plan,
	    char **cause);
/* Escape hatch for tests and fsck: run a read-only query returning one int. */
int	 idx_scalar(struct idx *, const char *sql, int64_t *out, char **cause);

#endif
