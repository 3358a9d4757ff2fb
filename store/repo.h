/*
 * repo.h: the inventory repository, a normal git repository driven through
 * libgit2. Nothing here knows what a certificate is: it stores bytes under
 * paths, makes commits from a parent tree plus changed paths, and walks the
 * fixed shape certs/<shard>/<name>/{cert.pem,entry}.
 *
 * Object ids are passed as 40-character lowercase hex strings (char[41]).
 * Errors: functions return 0 on success, -1 with *cause set (caller frees).
 */
#ifndef CD_REPO_H
#define CD_REPO_H

#include <stddef.h>
#include <stdint.h>

#define REPO_OID_HEX	41	/* 40 hex digits and NUL */

struct repo;

/* git init DIR (creating it), no commit. Fails if DIR is already a repository. */
int	 repo_create(const char *dir, char **cause);
/* Open the repository whose work tree is DIR (exactly; no discovery upward). */
int	 repo_open(const char *dir, struct repo **, char **cause);
void	 repo_close(struct repo *);
const char *repo_workdir(struct repo *);	/* no trailing slash */

/*
 * The inventory lock: an exclusive flock on <workdir>/.certdeck/lock.
 * Waits up to timeout_ms (polling), then fails with a message that says
 * another certdeck is changing the inventory.
 */
int	 repo_lock(struct repo *, int timeout_ms, char **cause);
void	 repo_unlock(struct repo *);

/*
 * Around a libgit2 write that takes a git lock file (lock: its path under
 * .git, as "index.lock" or "refs/heads/main.lock"), made with the
 * inventory lock held: if this process dies in between, the next
 * repo_lock removes that lock file. repo_locked_cause says, in one line,
 * that such a lock file is someone else's, and what happened (outcome).
 */
void	 repo_git_writing(struct repo *, const char *lock);
void	 repo_git_written(struct repo *);
int	 repo_locked_cause(struct repo *, char **cause, const char *lock,
	    const char *outcome);

/* HEAD's commit id into out; returns 1 if HEAD exists, 0 if unborn, -1 error. */
int	 repo_head(struct repo *, char out[REPO_OID_HEX], char **cause);

/*
 * Resolve REV to a commit id: anything git_revparse_single understands
 * (HEAD~3, a tag, an abbreviated id). "unknown revision: REV" otherwise.
 */
int	 repo_resolve(struct repo *, const char *rev, char out[REPO_OID_HEX],
	    char **cause);
/* The newest commit on HEAD's first-parent chain whose commit time is at
   or before when (Unix seconds). Dates are core's business (clock.c). */
int	 repo_resolve_time(struct repo *, int64_t when,
	    char out[REPO_OID_HEX], char **cause);

/* One changed path of a commit. data == NULL removes the path. */
struct repo_change {
	const char	*path;		/* e.g. "certs/ab/name/cert.pem" */
	const void	*data;
	size_t		 len;
};

/*
 * Make one commit on top of HEAD (or a root commit if HEAD is unborn):
 * the parent tree plus these changes, written with one treebuilder per
 * changed directory (no rescan of the whole tree). Directories left empty
 * disappear. HEAD is moved with a compare-and-swap on the old value; that
 * is the commit point. Then the work tree files for the changed paths are
 * written (temp, fsync, rename) or removed, and .git/index is updated for
 * those paths and written once.
 *
 * Before anything is written, each changed path that exists in the work
 * tree must match its blob in HEAD (or be absent); otherwise it was edited
 * by hand and the commit is refused with a message naming the path.
 *
 * author: "Name <email>" from git config user.name/user.email if set,
 * else login name and host name. The message is used as given.
 * The new commit id goes to out (may be NULL).
 * Returns 0, or -1 with *cause; nothing is moved on failure.
 */
int	 repo_commit(struct repo *, const struct repo_change *, size_t n,
	    const char *message, char out[REPO_OID_HEX], char **cause);
/*
 * The same, calling hook with the new tree's id (which every function
 * here that takes a revision takes too) once its objects are in the
 * object database and before the commit point, while a large commit's
 * work tree files are still being written on another thread: work that
 * follows from the tree (the SQLite index's rows) is done there instead
 * of after. Whatever the hook does must hold nothing as done until this
 * returns 0.
 */
typedef void (*repo_tree_cb)(void *arg, const char *tree);
int	 repo_commit_hooked(struct repo *, const struct repo_change *,
	    size_t n, const char *message, repo_tree_cb hook, void *hook_arg,
	    char out[REPO_OID_HEX], char **cause);

/*
 * Read PATH as of COMMIT (NULL = HEAD). Returns 1 and sets *data (malloc'd,
 * NUL-terminated beyond len), *len and blob_id (if not NULL) when found,
 * 0 when the path does not exist, -1 on error.
 */
int	 repo_read(struct repo *, const char *commit, const char *path,
	    char **data, size_t *len, char blob_id[REPO_OID_HEX], char **cause);
/* Read a blob by id. */
int	 repo_blob(struct repo *, const char *blob_id, char **data, size_t *len,
	    char **cause);
/*
 * Each entry directly in directory dir of COMMIT (NULL = HEAD), in tree
 * order: cb gets its name and, for a file, its blob id ("" for a
 * directory), and returns non-zero to stop.
 * One read of the commit and the tree, for a caller that would otherwise
 * repo_read many files of one directory (each repo_read reads the commit
 * and every tree on the path again). Returns 0 (also when there is no
 * such directory or HEAD is unborn), -1 on error.
 */
typedef int (*repo_file_cb)(void *arg, const char *name,
    const char blob_id[REPO_OID_HEX]);
int	 repo_list_dir(struct repo *, const char *commit, const char *dir,
	    repo_file_cb, void *arg, char **cause);

/* One entry directory certs/<shard>/<name>/ as seen in a tree. */
struct repo_entry {
	const char	*name;
	const char	*shard;
	char		 cert_blob[REPO_OID_HEX];	/* "" if no cert.pem */
	char		 entry_blob[REPO_OID_HEX];	/* "" if no entry file */
};
/* cb returns 0 to go on, non-zero to stop (that value is returned). */
typedef int (*repo_entry_cb)(void *arg, const struct repo_entry *);

/* Every entry directory under certs/ in COMMIT (NULL = HEAD), in tree order. */
int	 repo_walk_entries(struct repo *, const char *commit, repo_entry_cb,
	    void *arg, char **cause);
/*
 * Entries that differ between two commits (from may be NULL or "" for the
 * empty tree). For a removed entry both blobs are "". Uses a tree diff, so
 * the cost follows the size of the change, not of the inventory.
 */
int	 repo_diff_entries(struct repo *, const char *from, const char *to,
	    repo_entry_cb, void *arg, char **cause);

/* One commit as the log shows it. Strings are valid during the callback. */
struct repo_commit {
	char		 id[REPO_OID_HEX];
	int64_t		 time;		/* author time, Unix seconds */
	int		 tz_offset;	/* minutes east of UTC */
	const char	*author_name;
	const char	*author_email;
	const char	*subject;	/* first line */
	const char	*body;		/* after the subject, trailers included */
	size_t		 ntrailers;
	const char	**trailer_keys;
	const char	**trailer_values;
};
typedef int (*repo_log_cb)(void *arg, const struct repo_commit *);
/*
 * Walk history from HEAD, newest first (topological + time order). With
 * path_prefix (e.g. "certs/ab/name/"), only commits that changed something
 * under it compared to their first parent. limit 0 = no limit.
 */
int	 repo_log(struct repo *, const char *path_prefix, size_t limit,
	    repo_log_cb, void *arg, char **cause);

/*
 * The unified diff of COMMIT against its first parent (a root commit:
 * against the empty tree), as `git show` prints it, with libgit2's diff
 * (git_diff_tree_to_tree, then git_diff_print in patch format). cb gets
 * one line at a time, without its newline; add, delete and context lines
 * keep their '+', '-' or ' ' in front. A non-zero cb value stops the diff
 * and is returned.
 */
enum repo_diff_line {
	REPO_DIFF_FILE,		/* diff --git, index, --- and +++ lines */
	REPO_DIFF_HUNK,		/* @@ -a,b +c,d @@ */
	REPO_DIFF_ADD,
	REPO_DIFF_DEL,
	REPO_DIFF_CONTEXT,
	REPO_DIFF_NOTE		/* "\ No newline at end of file", binary */
};
typedef int (*repo_diff_cb)(void *arg, enum repo_diff_line,
	    const char *line, size_t len);
int	 repo_commit_diff(struct repo *, const char *commit, repo_diff_cb,
	    void *arg, char **cause);

/*
 * The changes that take COMMIT's tree back to its first parent's: one per
 * file that differs, with the parent's content, or data NULL where the
 * parent had no such file (ready for repo_commit). Returns 1 with *out (an
 * array of *n, freed with repo_changes_free), 0 if COMMIT has no parent
 * (nothing to go back to), -1 with *cause.
 */
int	 repo_revert_changes(struct repo *, const char *commit,
	    struct repo_change **out, size_t *n, char **cause);
void	 repo_changes_free(struct repo_change *, size_t n);

/* One tracked path whose work tree copy differs from HEAD, or is missing. */
typedef int (*repo_dirty_cb)(void *arg, const char *path, const char *what);
/* Report tracked files modified, deleted or staged differently from HEAD. */
int	 repo_check_worktree(struct repo *, repo_dirty_cb, void *arg,
	    char **cause);
/* 1 if rev names a commit (or tree) whose tree can be read, else 0. */
int	 repo_rev_readable(struct repo *, const char *rev);
/*
 * Bring the work tree and .git/index in line with HEAD for the paths that
 * changed between commits from and to (after a crash between the commit
 * point and the work tree update). A work tree file that matches neither
 * the old nor the new blob (nor the blob in commit also, if not NULL: where
 * an earlier run that stopped part way was going) is a hand edit: it is
 * left alone and reported through cb. Writes .git/index at most once.
 */
int	 repo_sync_worktree(struct repo *, const char *from, const char *also,
	    const char *to, repo_dirty_cb, void *arg, char **cause);

/* The blob id git gives these bytes (no write). */
void	 repo_hash_blob(const void *data, size_t len, char out[REPO_OID_HEX]);

/* git config value (user.name...) or NULL; caller frees. */
char	*repo_config_get(struct repo *, const char *key);

/*
 * Additions (store/repo.c):
 *
 * Commit times come from this clock (core's, which honours CERTDECK_NOW),
 * so that the store never reads the wall clock itself; NULL (the default)
 * means the system clock.
 */
typedef int64_t (*repo_clock_fn)(void);
void	 repo_set_clock(struct repo *, repo_clock_fn);

/*
 * Many commits, one .git/index write (a bulk renewal): between
 * repo_batch_begin and repo_batch_end, repo_commit and repo_sync_worktree
 * change .git/index in memory only; repo_batch_end writes it once,
 * under the inventory lock (waiting up to timeout_ms for it if the
 * caller does not hold it). repo_close writes a pending index too,
 * ignoring errors.
 */
void	 repo_batch_begin(struct repo *);
int	 repo_batch_end(struct repo *, int timeout_ms, char **cause);

/* How many times this process found HEAD's tree from its commit's first
   line alone (a loose commit), not by reading the commit whole. */
size_t	 repo_stats_quick_trees(void);

/* At most this many new directories staged whole per stager (the rest
   file by file); returns the old value. For tests. */
size_t	 repo_set_stage_dirs(size_t);

#endif
