/*
 * repo.c: the inventory repository, a normal git repository driven through
 * libgit2. Commits are built from the parent tree plus the changed paths
 * (one treebuilder per changed directory); moving HEAD's branch with a
 * compare-and-swap is the commit point; the work tree and .git/index are
 * brought in line for the changed paths only, afterwards.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>

#include "crash.h"
#include "gitindex.h"
#include "pack.h"
#include "repo.h"
#include "repopriv.h"
#include "util.h"

struct repo {
	git_repository	*git;
	char		*workdir;	/* canonical, no trailing slash */
	int		 lockfd;	/* -1 when not holding the lock */
	repo_clock_fn	 clock;		/* NULL: the system clock */
	int		 batch;		/* inside repo_batch_begin/end */
	int		 index_pending;	/* .git/index changed in memory only */
	struct gix	*gix;		/* .git/index being edited, or NULL */
};

/*
 * .git/index while changes are made: certdeck's own editor
 * (store/gitindex.c) for the formats it reads, which is what git and
 * libgit2 write by default, else libgit2's whole-index one.
 */
struct repo_ix {
	struct gix	*fast;		/* r->gix, owned by the repo */
	git_index	*lg;
};

/*
 * The objects of a large commit go into one pack instead of two loose
 * files per entry: a second handle on the repository whose object
 * database is a pack being written to .git/objects/pack (store/pack.c),
 * put in place before the commit object is made.
 */
#define REPO_BULK_MIN	64		/* changes that make a commit bulk */

struct repo_packodb;

struct repo_bulk {
	git_repository		*git;	/* NULL: write loose objects */
	struct repo_packodb	*be;	/* its object database */
};

/* One changed path of a commit being made, with what the checks found. */
struct repo_chg {
	const char	*path;
	const void	*data;		/* NULL: remove */
	size_t		 len;
	git_oid		 new_id;	/* blob id of data */
	git_oid		 head_id;	/* blob id in HEAD, if in_head */
	int		 in_head;
	int		 wt_same;	/* the work tree file already holds data */
	int		 newdir;	/* its directory: not in the work
					   tree, may be staged whole */
	int		 newup;		/* newdir, and so is its parent */
	int		 staged;	/* ent is the staged file's, as placed */
	struct gix_ent	 ent;		/* its stat data for .git/index (60
					   bytes where a struct stat is 144) */
};

/*
 * What a stager writes as one piece: one file, or a directory the work
 * tree does not have, with all of the commit's files in it (changes
 * [a, b)), made in .certdeck/tmp and renamed into place whole. dir is
 * the depth of the files below it: 1, or 2 for a new directory of new
 * directories (a shard of a first import: certs/<xx> with its entries).
 */
struct repo_unit {
	size_t		 a, b;
	int		 dir;
};

/* What lstat found at a work tree path. */
enum repo_wt {
	REPO_WT_ABSENT,		/* nothing there */
	REPO_WT_FILE,		/* a regular file, hashed */
	REPO_WT_OTHER,		/* a directory, link or other non-file */
	REPO_WT_BLOCKED		/* a parent component is not a directory */
};

static const char repo_exclude[] = ".certdeck/";

/*
 * Set *cause to "WHAT: libgit2's last error" on one line. Must be called
 * right after the failing libgit2 call, before any other one. Returns -1.
 */
int
repo_gerr(char **cause, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	char *what, *msg, *p;
	va_list ap;

	msg = xstrdup(e != NULL && e->message != NULL ? e->message :
	    "unknown libgit2 error");
	for (p = msg; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	}
	str_trim(msg);
	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	set_cause(cause, "%s: %s", what, msg);
	free(what);
	free(msg);
	git_error_clear();
	return -1;
}

void
repo_hex(char out[REPO_OID_HEX], const git_oid *id)
{
	git_oid_tostr(out, REPO_OID_HEX, id);
}

/* A full 40-digit hex id; git_oid_fromstr reads 40 bytes whatever it gets. */
int
repo_parse_oid(const char *s, git_oid *id)
{
	size_t i;

	for (i = 0; i < REPO_OID_HEX - 1; i++) {
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL ||
		    s[i] == '\0')
			return -1;
	}
	if (s[i] != '\0')
		return -1;
	return git_oid_fromstr(id, s) == 0 ? 0 : -1;
}

/*
 * The commit REV names (NULL: HEAD). Returns 1 with *out set, 0 if REV is
 * NULL and HEAD is unborn, -1 with *cause.
 */
static int
repo_get_commit(struct repo *r, const char *rev, git_commit **out,
    char **cause)
{
	git_object *obj = NULL;
	git_oid id;
	int e;

	*out = NULL;
	if (rev == NULL) {
		e = git_reference_name_to_id(&id, r->git, "HEAD");
		if (e == GIT_ENOTFOUND || e == GIT_EUNBORNBRANCH) {
			git_error_clear();
			return 0;
		}
		if (e != 0)
			return repo_gerr(cause, "cannot read HEAD");
		if (git_commit_lookup(out, r->git, &id) != 0)
			return repo_gerr(cause, "cannot read HEAD's commit");
		return 1;
	}
	if (git_revparse_single(&obj, r->git, rev) != 0)
		return repo_gerr(cause, "unknown revision %s", rev);
	e = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (e != 0)
		return repo_gerr(cause, "%s is not a commit", rev);
	return 1;
}

/*
 * The tree of commit id without reading the commit whole: 0, or -1 when
 * it cannot be streamed (libgit2 streams loose objects, not packed ones)
 * and the caller reads the commit. A commit object begins with "tree
 * <hex>\n" (git's format), and a loose object streams from its start.
 * After a bulk import HEAD's commit holds a message of megabytes (30 MB
 * at 100,000 entries: 150 ms to inflate and verify whole), and every
 * command reads certdeck.conf at HEAD, the UI its audit findings too.
 */
static size_t repo_quick_trees;	/* repo_tree_id_quick's successes */

size_t
repo_stats_quick_trees(void)
{
	return __atomic_load_n(&repo_quick_trees, __ATOMIC_RELAXED);
}

static int
repo_tree_id_quick(struct repo *r, const git_oid *commit, git_oid *tree)
{
	git_odb *odb = NULL;
	git_odb_stream *st = NULL;
	git_object_t type;
	char buf[5 + GIT_OID_HEXSZ + 1];
	size_t len, got = 0;
	int n, rc = -1;

	if (git_repository_odb(&odb, r->git) != 0 ||
	    git_odb_open_rstream(&st, &len, &type, odb, commit) != 0 ||
	    type != GIT_OBJECT_COMMIT)
		goto out;
	while (got < sizeof buf && (n = git_odb_stream_read(st, buf + got,
	    sizeof buf - got)) > 0)
		got += (size_t)n;
	if (got == sizeof buf && memcmp(buf, "tree ", 5) == 0 &&
	    buf[sizeof buf - 1] == '\n' &&
	    git_oid_fromstrn(tree, buf + 5, GIT_OID_HEXSZ) == 0) {
		__atomic_fetch_add(&repo_quick_trees, 1, __ATOMIC_RELAXED);
		rc = 0;
	}
out:
	git_odb_stream_free(st);
	git_odb_free(odb);
	git_error_clear();
	return rc;
}

/* The tree of commit REV (NULL: HEAD); *out NULL when HEAD is unborn. */
static int
repo_get_tree(struct repo *r, const char *rev, git_tree **out, char **cause)
{
	git_commit *c = NULL;
	git_oid id, tree;
	int rc, e;

	*out = NULL;
	if (rev == NULL) {
		e = git_reference_name_to_id(&id, r->git, "HEAD");
		if (e == 0 && repo_tree_id_quick(r, &id, &tree) == 0 &&
		    git_tree_lookup(out, r->git, &tree) == 0)
			return 0;
		git_error_clear();
	} else if (strlen(rev) == REPO_OID_HEX - 1 &&
	    git_oid_fromstr(&tree, rev) == 0) {
		/* A tree's own id: that of a commit not made yet (the hook
		   of repo_commit_hooked). */
		if (git_tree_lookup(out, r->git, &tree) == 0)
			return 0;
		*out = NULL;
		git_error_clear();
	}
	if ((rc = repo_get_commit(r, rev, &c, cause)) <= 0)
		return rc;
	rc = git_commit_tree(out, c) == 0 ? 0 :
	    repo_gerr(cause, "cannot read the tree of %s", rev ? rev : "HEAD");
	git_commit_free(c);
	return rc;
}

/* Check a path given to repo_commit: relative, clean, not into .git. */
static int
repo_path_ok(const char *path)
{
	const char *p = path, *end;
	size_t n;

	for (;;) {
		end = strchr(p, '/');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.') ||
		    (n == 4 && strncasecmp(p, ".git", 4) == 0))
			return 0;
		if (p == path && n == 9 && strncmp(p, ".certdeck", 9) == 0)
			return 0;
		if (end == NULL)
			return 1;
		p = end + 1;
	}
}

int
repo_exclude_local(git_repository *git, char **cause)
{
	struct buf b;
	char *exclude, *old = NULL;
	size_t oldlen = 0;
	int rc = -1;

	buf_init(&b);
	exclude = xasprintf("%sinfo", git_repository_path(git));
	if (mkdir_p(exclude, 0755) != 0) {
		set_cause(cause, "%s: %s", exclude, strerror(errno));
		goto out;
	}
	free(exclude);
	exclude = xasprintf("%sinfo/exclude", git_repository_path(git));
	if (read_file(exclude, 1 << 20, &old, &oldlen, NULL) == 0)
		buf_add(&b, old, oldlen);
	if (b.len != 0 && b.data[b.len - 1] != '\n')
		buf_addc(&b, '\n');
	buf_printf(&b, "%s\n", repo_exclude);
	rc = write_file_atomic(exclude, b.data, b.len, 0644, cause);
out:
	free(old);
	free(exclude);
	buf_free(&b);
	return rc;
}

int
repo_create(const char *dir, char **cause)
{
	git_repository_init_options opts;
	git_repository *git = NULL;
	struct stat st;
	char *dotgit;
	int rc = -1;

	git_libgit2_init();
	dotgit = xasprintf("%s/.git", dir);
	if (lstat(dotgit, &st) == 0) {
		set_cause(cause, "%s is already a git repository", dir);
		goto out;
	}
	if (git_repository_init_options_init(&opts,
	    GIT_REPOSITORY_INIT_OPTIONS_VERSION) != 0) {
		repo_gerr(cause, "cannot create a repository in %s", dir);
		goto out;
	}
	opts.flags = GIT_REPOSITORY_INIT_MKPATH |
	    GIT_REPOSITORY_INIT_NO_REINIT;
	opts.initial_head = "main";
	if (git_repository_init_ext(&git, dir, &opts) != 0) {
		repo_gerr(cause, "cannot create a repository in %s", dir);
		goto out;
	}

	/*
	 * .certdeck/ (SQLite index, lock) is local state: keep it out of
	 * git status here even before the inventory commits a .gitignore.
	 */
	if (repo_exclude_local(git, cause) != 0)
		goto out;
	rc = 0;

out:
	git_repository_free(git);
	free(dotgit);
	git_libgit2_shutdown();
	return rc;
}

/* The owner of dir/.git when not this user (and this user not root);
   else -1. */
static long
owned_by_other(const char *dir)
{
	struct stat st;
	char *p = xasprintf("%s/.git", dir);
	long uid = -1;

	if (geteuid() != 0 && stat(p, &st) == 0 && st.st_uid != geteuid())
		uid = (long)st.st_uid;
	free(p);
	return uid;
}

/* Does git's configuration (global, system) say safe.directory = "*"? */
static int
safe_directory_all(void)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	int all = 0;

	if (git_config_open_default(&cfg) == 0 &&
	    git_config_multivar_iterator_new(&it, cfg, "safe.directory",
	    NULL) == 0) {
		/* The last "" empties the list, as in git. */
		while (git_config_next(&e, it) == 0)
			all = strcmp(e->value, "*") == 0 ? 1 :
			    *e->value == '\0' ? 0 : all;
	}
	git_config_iterator_free(it);
	git_config_free(cfg);
	git_error_clear();
	return all;
}

int
repo_open(const char *dir, struct repo **out, char **cause)
{
	git_repository *git = NULL;
	struct repo *r;
	const char *wd;
	char *want = NULL, *have = NULL;
	long other;
	int rc;

	*out = NULL;
	git_libgit2_init();
	/*
	 * libgit2 caches trees up to 4 KiB only; a shard tree of ~400
	 * entries is ~20 KiB and is read on every commit, log step and diff.
	 */
	if (git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE,
	    (size_t)256 * 1024) != 0)
		git_error_clear();
	/*
	 * A tree entry is checked against the object database on insert:
	 * certdeck inserts only what it has just written (or read from a
	 * tree), and the check costs an open() per entry of a bulk commit.
	 */
	if (git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0) != 0)
		git_error_clear();
	/*
	 * Objects and refs reach the disk before what names them: a power
	 * cut after a commit must not leave HEAD naming an empty loose
	 * object, git's "object file is empty". About 8 ms more for a set
	 * here (55 -> 63 ms); a bulk import's one pack, two fsyncs.
	 */
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) != 0)
		git_error_clear();
	/*
	 * Another user's repository: libgit2 checks git's safe.directory
	 * (1.5 fails with GIT_EOWNER, or with "safe.directory was not found"
	 * when none is set) but, unlike git 2.36 on, takes no "*".
	 */
	rc = git_repository_open_ext(&git, dir, GIT_REPOSITORY_OPEN_NO_SEARCH,
	    NULL);
	if (rc != 0 && (other = owned_by_other(dir)) >= 0) {
		git_error_clear();
		if (!safe_directory_all()) {
			set_cause(cause, "%s belongs to another user (uid %ld), "
			    "and git reads such a repository only when told "
			    "to; if you trust it: git config --global --add "
			    "safe.directory %s", dir, other, dir);
			goto fail;
		}
		git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
		rc = git_repository_open_ext(&git, dir,
		    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
		git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 1);
	}
	if (rc != 0) {
		repo_gerr(cause, "cannot open the inventory %s", dir);
		goto fail;
	}
	if ((wd = git_repository_workdir(git)) == NULL) {
		set_cause(cause, "%s is a bare repository, not an inventory",
		    dir);
		goto fail;
	}
	want = realpath(dir, NULL);
	have = realpath(wd, NULL);
	if (want == NULL || have == NULL || strcmp(want, have) != 0) {
		set_cause(cause, "%s is not the top of a git work tree", dir);
		goto fail;
	}
	free(want);

	r = xcalloc(1, sizeof *r);
	r->git = git;
	r->workdir = have;
	r->lockfd = -1;
	*out = r;
	return 0;

fail:
	free(have);
	free(want);
	git_repository_free(git);
	git_libgit2_shutdown();
	return -1;
}

static int	repo_index_flush(struct repo *, char **);
static void	repo_git_clear_stale(struct repo *);
static void	repo_sweep_tmp(struct repo *);

void
repo_close(struct repo *r)
{
	if (r == NULL)
		return;
	/* Best effort: a batch left open still gets its index written. */
	r->batch = 0;
	if (r->index_pending)
		repo_index_flush(r, NULL);
	gix_free(r->gix);
	repo_unlock(r);
	git_repository_free(r->git);
	free(r->workdir);
	free(r);
	git_libgit2_shutdown();
}

git_repository *
repo_git(struct repo *r)
{
	return r->git;
}

const char *
repo_workdir(struct repo *r)
{
	return r->workdir;
}

void
repo_set_clock(struct repo *r, repo_clock_fn fn)
{
	r->clock = fn;
}

int
repo_lock(struct repo *r, int timeout_ms, char **cause)
{
	struct timespec start, now, pause;
	char *dir, *path = NULL;
	long waited;
	int fd = -1;

	if (r->lockfd != -1)
		return 0;
	if (timeout_ms < 0)
		timeout_ms = 0;
	dir = xasprintf("%s/.certdeck", r->workdir);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		set_cause(cause, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	path = xasprintf("%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			set_cause(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= timeout_ms) {
			if (timeout_ms % 1000 == 0)
				set_cause(cause, "inventory is locked by "
				    "another certdeck process (waited %d s)",
				    timeout_ms / 1000);
			else
				set_cause(cause, "inventory is locked by "
				    "another certdeck process (waited %.1f s)",
				    timeout_ms / 1000.0);
			goto fail;
		}
		/* Poll every 20 ms, but do not sleep past the deadline. */
		waited = timeout_ms - waited < 20 ? timeout_ms - waited : 20;
		pause.tv_sec = 0;
		pause.tv_nsec = waited * 1000000;
		nanosleep(&pause, NULL);
	}
	r->lockfd = fd;
	repo_sweep_tmp(r);
	repo_git_clear_stale(r);
	free(path);
	free(dir);
	return 0;

fail:
	if (fd != -1)
		close(fd);
	free(path);
	free(dir);
	return -1;
}

void
repo_unlock(struct repo *r)
{
	if (r->lockfd == -1)
		return;
	flock(r->lockfd, LOCK_UN);
	close(r->lockfd);
	r->lockfd = -1;
}

int
repo_head(struct repo *r, char out[REPO_OID_HEX], char **cause)
{
	git_oid id;
	int e;

	out[0] = '\0';
	e = git_reference_name_to_id(&id, r->git, "HEAD");
	if (e == GIT_ENOTFOUND || e == GIT_EUNBORNBRANCH) {
		git_error_clear();
		return 0;
	}
	if (e != 0)
		return repo_gerr(cause, "cannot read HEAD");
	repo_hex(out, &id);
	return 1;
}

int
repo_resolve(struct repo *r, const char *rev, char out[REPO_OID_HEX],
    char **cause)
{
	git_object *obj = NULL;
	git_commit *c = NULL;
	int e;

	out[0] = '\0';
	e = git_revparse_single(&obj, r->git, rev);
	if (e != 0) {
		if (e == GIT_EAMBIGUOUS)
			return repo_gerr(cause, "ambiguous revision %s", rev);
		git_error_clear();
		return set_cause(cause, "unknown revision: %s", rev);
	}
	e = git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (e != 0)
		return repo_gerr(cause, "%s is not a commit", rev);
	repo_hex(out, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

int
repo_resolve_time(struct repo *r, int64_t when, char out[REPO_OID_HEX],
    char **cause)
{
	git_commit *c = NULL, *parent = NULL;
	int rc = -1;

	out[0] = '\0';
	/* The newest commit at or before WHEN on HEAD's first-parent chain. */
	if (repo_get_commit(r, NULL, &c, cause) < 0)
		return -1;
	while (c != NULL) {
		if ((int64_t)git_commit_time(c) <= when) {
			repo_hex(out, git_commit_id(c));
			rc = 0;
			goto out;
		}
		if (git_commit_parentcount(c) == 0)
			break;
		if (git_commit_parent(&parent, c, 0) != 0) {
			repo_gerr(cause, "cannot read the history of HEAD");
			goto out;
		}
		git_commit_free(c);
		c = parent;
		parent = NULL;
	}
	set_cause(cause, "no commit at or before that time");
out:
	git_commit_free(c);
	return rc;
}

/* .git/index, read afresh unless this process has unwritten changes. */
static int
repo_index_get(struct repo *r, struct repo_ix *ix, char **cause)
{
	char *file;
	int e;

	memset(ix, 0, sizeof *ix);
	if (r->gix == NULL && !r->index_pending) {
		file = xasprintf("%sindex", git_repository_path(r->git));
		e = gix_open(file, &r->gix, cause);
		free(file);
		if (e == -1)
			return -1;
	}
	if (r->gix != NULL) {
		ix->fast = r->gix;
		return 0;
	}
	if (git_repository_index(&ix->lg, r->git) != 0)
		return repo_gerr(cause, "cannot open .git/index");
	if (!r->index_pending && git_index_read(ix->lg, 0) != 0) {
		repo_gerr(cause, "cannot read .git/index");
		git_index_free(ix->lg);
		ix->lg = NULL;
		return -1;
	}
	return 0;
}

/* Done with ix: what it holds unwritten stays for the flush, no more. */
static void
repo_index_done(struct repo *r, struct repo_ix *ix)
{
	git_index_free(ix->lg);
	ix->lg = NULL;
	if (ix->fast != NULL && !r->index_pending) {
		gix_free(r->gix);	/* read afresh next time */
		r->gix = NULL;
	}
	ix->fast = NULL;
}

/* Write .git/index now, unless a batch defers it to repo_batch_end. */
static int
repo_index_flush(struct repo *r, char **cause)
{
	git_index *idx = NULL;
	char *file;
	int e, rc = 0;

	if (r->batch)
		return 0;
	if (r->gix != NULL) {
		/* Edits not written stay, for repo_close to try again. */
		if (r->index_pending) {
			file = xasprintf("%sindex",
			    git_repository_path(r->git));
			repo_git_writing(r, "index.lock");
			if ((e = gix_write(r->gix, file, r->workdir,
			    cause)) == GIX_LOCKED)
				rc = repo_locked_cause(r, cause, "index.lock",
				    ".git/index was not written");
			else if (e != 0)
				rc = -1;
			repo_git_written(r);
			free(file);
		}
		if (rc == 0) {
			r->index_pending = 0;
			gix_free(r->gix);
			r->gix = NULL;
		}
		return rc;
	}
	if (!r->index_pending)
		return 0;
	if (git_repository_index(&idx, r->git) != 0)
		return repo_gerr(cause, "cannot open .git/index");
	repo_git_writing(r, "index.lock");
	if ((e = git_index_write(idx)) == GIT_ELOCKED)
		rc = repo_locked_cause(r, cause, "index.lock", ".git/index "
		    "was not written");
	else if (e != 0)
		rc = repo_gerr(cause, "cannot write .git/index");
	else
		r->index_pending = 0;
	repo_git_written(r);
	git_index_free(idx);
	return rc;
}

/*
 * libgit2 writes .git/index and refs through lock files (index.lock,
 * refs/heads/main.lock): a process killed in between leaves the lock
 * behind, and git and libgit2 refuse to go on until someone removes it.
 * While it holds the inventory lock, certdeck brackets each such write
 * with a marker naming the lock (.certdeck/git-writing); the next
 * certdeck to take the inventory lock knows the writer is dead and
 * removes the lock the marker names. A lock without our marker belongs
 * to another git process and is never touched.
 */
void
repo_git_writing(struct repo *r, const char *lock)
{
	char *m;
	int fd;

	if (r->lockfd == -1)
		return;		/* only the lock holder's marker means "dead" */
	m = xasprintf("%s/.certdeck/git-writing", r->workdir);
	fd = open(m, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, lock, strlen(lock)) < 0)
			(void)0;	/* no marker: a stale lock is reported */
		close(fd);
	}
	free(m);
	crash_point(strcmp(lock, "index.lock") == 0 ? "gitlock-index" :
	    "gitlock-ref");
}

void
repo_git_written(struct repo *r)
{
	char *m;

	if (r->lockfd == -1)
		return;
	m = xasprintf("%s/.certdeck/git-writing", r->workdir);
	unlink(m);
	free(m);
}

/* The one-line error for a git lock (relative to .git) someone else holds. */
int
repo_locked_cause(struct repo *r, char **cause, const char *lock,
    const char *outcome)
{
	git_error_clear();
	return set_cause(cause, "%s%s exists: another git command is "
	    "running, or one was killed; %s (if no git command is running, "
	    "remove that file)", git_repository_path(r->git), lock, outcome);
}

/* With the inventory lock just taken: remove the lock a dead writer left. */
static void
repo_git_clear_stale(struct repo *r)
{
	char *m, *lock = NULL, *full;
	size_t len;
	char *cause = NULL;

	m = xasprintf("%s/.certdeck/git-writing", r->workdir);
	if (read_file(m, 4096, &lock, &len, &cause) == 0) {
		/* A path under .git that ends in .lock, nothing else. */
		if (strlen(lock) == len && len > 5 && lock[0] != '/' &&
		    strstr(lock, "..") == NULL &&
		    strcmp(lock + len - 5, ".lock") == 0) {
			full = xasprintf("%s%s", git_repository_path(r->git),
			    lock);
			unlink(full);
			free(full);
		}
		free(lock);
		unlink(m);
	}
	free(cause);
	free(m);
}

void
repo_batch_begin(struct repo *r)
{
	r->batch = 1;
}

/*
 * The batch's commits each took and released the inventory lock; its
 * one write of .git/index takes it again, as every git write does.
 */
int
repo_batch_end(struct repo *r, int timeout_ms, char **cause)
{
	int held = r->lockfd != -1, rc;

	r->batch = 0;
	if (!r->index_pending)
		return 0;
	if (!held && repo_lock(r, timeout_ms, cause) != 0)
		return -1;	/* left pending: repo_close tries again */
	rc = repo_index_flush(r, cause);
	if (!held)
		repo_unlock(r);
	return rc;
}

/* Set full to <workdir>/path and look at what is there. */
static int
repo_wt_state(struct repo *r, const char *path, struct buf *full,
    git_oid *id, enum repo_wt *state, char **cause)
{
	struct stat st;

	buf_reset(full);
	buf_printf(full, "%s/%s", r->workdir, path);
	if (lstat(full->data, &st) != 0) {
		if (errno == ENOENT) {
			*state = REPO_WT_ABSENT;
			return 0;
		}
		if (errno == ENOTDIR) {
			*state = REPO_WT_BLOCKED;
			return 0;
		}
		return set_cause(cause, "%s: %s", full->data, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		*state = REPO_WT_OTHER;
		return 0;
	}
	if (git_odb_hashfile(id, full->data, GIT_OBJECT_BLOB) != 0)
		return repo_gerr(cause, "cannot read %s", full->data);
	*state = REPO_WT_FILE;
	return 0;
}

/* Path's entry in .git/index, if it has one. */
static int
repo_ix_find(const struct repo_ix *ix, const char *path, struct gix_ent *e)
{
	const git_index_entry *ie;

	if (ix->fast != NULL)
		return gix_get(ix->fast, path, e);
	if ((ie = git_index_get_bypath(ix->lg, path, 0)) == NULL)
		return 0;
	e->ctime_s = (uint32_t)ie->ctime.seconds;
	e->ctime_ns = ie->ctime.nanoseconds;
	e->mtime_s = (uint32_t)ie->mtime.seconds;
	e->mtime_ns = ie->mtime.nanoseconds;
	e->dev = ie->dev;
	e->ino = ie->ino;
	e->mode = ie->mode;
	e->uid = ie->uid;
	e->gid = ie->gid;
	e->size = ie->file_size;
	memcpy(e->id, ie->id.id, sizeof e->id);
	return 1;
}

/* A file's stat data as .git/index keeps it (mode and id not set). */
static void
repo_stat_ent(const struct stat *st, struct gix_ent *e)
{
	memset(e, 0, sizeof *e);
	e->ctime_s = (uint32_t)st->st_ctim.tv_sec;
	e->ctime_ns = (uint32_t)st->st_ctim.tv_nsec;
	e->mtime_s = (uint32_t)st->st_mtim.tv_sec;
	e->mtime_ns = (uint32_t)st->st_mtim.tv_nsec;
	e->dev = (uint32_t)st->st_dev;
	e->ino = (uint32_t)st->st_ino;
	e->uid = (uint32_t)st->st_uid;
	e->gid = (uint32_t)st->st_gid;
	e->size = (uint32_t)st->st_size;
}

/*
 * Record the work tree file full (already holding blob id) in .git/index
 * with its stat data (staged's, taken as it was written, else looked up),
 * so that git status need not hash it again.
 */
static int
repo_index_put(struct repo *r, struct repo_ix *ix, const char *path,
    const char *full, const git_oid *id, const struct gix_ent *staged,
    char **cause)
{
	struct gix_ent e, have;
	git_index_entry ie;
	struct stat st;

	if (staged != NULL)
		e = *staged;
	else if (lstat(full, &st) != 0)
		return set_cause(cause, "%s: %s", full, strerror(errno));
	else
		repo_stat_ent(&st, &e);
	e.mode = GIT_FILEMODE_BLOB;
	memcpy(e.id, id->id, sizeof e.id);
	if (repo_ix_find(ix, path, &have) && memcmp(&have, &e, sizeof e) == 0)
		return 0;	/* already exactly this file */
	if (ix->fast != NULL)
		gix_put(ix->fast, path, &e);
	else {
		memset(&ie, 0, sizeof ie);
		ie.ctime.seconds = (int32_t)e.ctime_s;
		ie.ctime.nanoseconds = e.ctime_ns;
		ie.mtime.seconds = (int32_t)e.mtime_s;
		ie.mtime.nanoseconds = e.mtime_ns;
		ie.dev = e.dev;
		ie.ino = e.ino;
		ie.mode = e.mode;
		ie.uid = e.uid;
		ie.gid = e.gid;
		ie.file_size = e.size;
		git_oid_cpy(&ie.id, id);
		ie.path = path;
		if (git_index_add(ix->lg, &ie) != 0)
			return repo_gerr(cause, "cannot update .git/index "
			    "for %s", path);
	}
	r->index_pending = 1;
	return 0;
}

static int
repo_index_del(struct repo *r, struct repo_ix *ix, const char *path,
    char **cause)
{
	struct gix_ent have;

	if (!repo_ix_find(ix, path, &have))
		return 0;
	if (ix->fast != NULL)
		gix_del(ix->fast, path);
	else if (git_index_remove(ix->lg, path, 0) != 0)
		return repo_gerr(cause, "cannot update .git/index for %s",
		    path);
	r->index_pending = 1;
	return 0;
}

/* Write data to the work tree file full (creating its directories). */
static int
repo_wt_write(struct repo *r, const char *full, const void *data, size_t len,
    char **cause)
{
	char *dir, *slash, *tmp;
	int rc = 0;

	dir = xstrdup(full);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (mkdir_p(dir, 0755) != 0)
			rc = set_cause(cause, "%s: %s", dir, strerror(errno));
	}
	free(dir);
	/*
	 * The temp file goes to .certdeck/tmp (git-ignored, same file
	 * system), so a writer killed before its rename leaves nothing in
	 * the work tree; repo_lock sweeps what it left.
	 */
	tmp = xasprintf("%s/.certdeck/tmp", r->workdir);
	if (rc == 0 && mkdir_p(tmp, 0700) != 0)
		rc = set_cause(cause, "%s: %s", tmp, strerror(errno));
	if (rc == 0)
		rc = write_file_atomic_via(full, tmp, data, len, 0644, cause);
	free(tmp);
	return rc;
}

/*
 * The work tree files of one commit: each written to a temp file in
 * .certdeck/tmp with its write-back started at once, then all of them
 * waited for and made durable by one fsync (one journal commit and disk
 * flush for the lot, as git's core.fsyncMethod=batch does), then renamed
 * into place. One fsync per file made a 10,000-entry import spend two
 * thirds of its time waiting for the disk. Past REPO_STAGE_OPEN files,
 * on a local file system (repo_stage_fs), the rest are only written,
 * and one syncfs(2) writes back and waits for them all: starting each
 * file's write-back on its own cost a request and a device notification
 * per file (in a virtual machine, an exit to the host each), 15% of a
 * 10,000-file import's time here. syncfs also writes what other
 * programs left dirty on that file system, a cost that only an import
 * of that size can carry.
 *
 * The temp files are written before the commit point, on a thread of
 * their own while the objects are built (repo_stage_run): they are out
 * of the work tree, so a failure there (a full disk) commits nothing, and
 * a large import creates its files while libgit2 compresses its pack.
 * The thread touches no libgit2 and no SQLite. Directories are made and
 * files renamed into place after the commit point.
 *
 * A directory the work tree does not have (a new entry's) is staged
 * whole: made in .certdeck/tmp with its files under their own names,
 * and renamed into place as one. One rename per entry instead of a
 * mkdir and a rename per file; and since renaming a directory leaves
 * its files' inodes alone, the stat data .git/index records is taken
 * as each file is written (fstat), not looked up again after (a rename
 * of the file itself changes its ctime, which git compares).
 */
#define REPO_STAGE_OPEN	256		/* temp files kept open at once */
/*
 * Directories staged whole by one stager, at most: all of them are in its
 * temp directory, and ext2/3 (ext4 without dir_nlink) allow a directory
 * 32,000 subdirectories. The rest go file by file.
 */
static size_t repo_stage_dirs = 30000;

size_t
repo_set_stage_dirs(size_t n)
{
	size_t old = repo_stage_dirs;

	repo_stage_dirs = n;
	return old;
}

struct repo_stage {
	struct repo	*r;
	char		*tmpdir;
	char		*lastdir;	/* the directory made last */
	struct repo_staged {
		char	*tmp;		/* in .certdeck/tmp */
		char	*dst;		/* where it goes in the work tree */
		int	 isdir;		/* a directory staged whole */
	}		*f;
	size_t		 n, cap;
	size_t		 nfiles;	/* files written (in f, or in its
					   directories) */
	size_t		 ndirs;		/* directories staged whole */
	long		 pid;		/* in the temp names */
	size_t		 renamed;	/* f[0..renamed) are in place */
	int		 fds[REPO_STAGE_OPEN];
	size_t		 nfds;
	int		 err;		/* errno of a failed wait, or 0 */
	int		 fsfd;		/* tmpdir, for syncfs; else -1 */
};

/*
 * Stager id's temp files: in a directory of its own in .certdeck/tmp
 * (two threads creating files in one directory take turns), removed
 * when its files are in place. A directory never shrinks on ext4: one
 * that held a large import's files made every later command that swept
 * .certdeck/tmp read its megabytes of empty blocks.
 */
static void
repo_stage_init(struct repo_stage *st, struct repo *r, int id)
{
	memset(st, 0, sizeof *st);
	st->r = r;
	st->tmpdir = xasprintf("%s/.certdeck/tmp/s%d", r->workdir, id);
	st->fsfd = -1;
	st->pid = (long)getpid();
}

/*
 * May the files past REPO_STAGE_OPEN be synced with one syncfs? On the
 * local file systems whose syncfs writes every file's data back and
 * flushes the disk (not FUSE, whose syncfs does not reach the server
 * as each file's fsync does), with the directory opened before the
 * first file is written: syncfs reports only the write-back errors
 * seen since the descriptor it is given was opened.
 */
static void
repo_stage_fs(struct repo_stage *st)
{
	struct statfs sf;

	if (statfs(st->tmpdir, &sf) != 0)
		return;
	switch ((unsigned long)sf.f_type) {
	case 0xef53UL:		/* ext2/3/4 */
	case 0x58465342UL:	/* xfs */
	case 0x9123683eUL:	/* btrfs */
	case 0x01021994UL:	/* tmpfs */
		st->fsfd = open(st->tmpdir, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
		break;
	}
}

/* Wait for the write-back of the open temp files; close all but keep. */
static void
repo_stage_wait(struct repo_stage *st, int keep_last)
{
	size_t i, n = st->nfds - (keep_last && st->nfds > 0 ? 1 : 0);

	for (i = 0; i < n; i++) {
#ifdef SYNC_FILE_RANGE_WRITE
		if (sync_file_range(st->fds[i], 0, 0,
		    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
		    SYNC_FILE_RANGE_WAIT_AFTER) != 0 && errno != ENOSYS &&
		    errno != EINVAL && st->err == 0)
			st->err = errno;
#else
		if (fdatasync(st->fds[i]) != 0 && st->err == 0)
			st->err = errno;
#endif
		close(st->fds[i]);
	}
	if (n < st->nfds)
		st->fds[0] = st->fds[n];
	st->nfds -= n;
}

/* The stager's temp directory, made before its first file. */
static int
repo_stage_start(struct repo_stage *st, char **cause)
{
	if (st->n > 0)
		return 0;
	if (mkdir_p(st->tmpdir, 0700) != 0)
		return set_cause(cause, "%s: %s", st->tmpdir, strerror(errno));
	repo_stage_fs(st);
	return 0;
}

/*
 * Write one file at tmp for the work tree's full (named in errors): its
 * write-back started (the first REPO_STAGE_OPEN) or left to syncfs. Its
 * stat data, as .git/index keeps it, into *ent if not NULL.
 */
static int
repo_stage_file(struct repo_stage *st, const char *tmp, const char *full,
    const void *data, size_t len, struct gix_ent *ent, char **cause)
{
	struct stat sb;
	int fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return set_cause(cause, "%s: %s", full, strerror(errno));
	/*
	 * The umask, or a default ACL, must not make a tracked file
	 * unreadable to the team. A chmod is a syscall and an inode update
	 * per file: made only when the mode is not already 0644.
	 */
	if (write_all(fd, data, len) != 0 || fstat(fd, &sb) != 0 ||
	    ((sb.st_mode & 07777) != 0644 && (fchmod(fd, 0644) != 0 ||
	    fstat(fd, &sb) != 0))) {
		set_cause(cause, "%s: %s", full, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (ent != NULL)
		repo_stat_ent(&sb, ent);
	if (st->nfiles++ < REPO_STAGE_OPEN || st->fsfd == -1) {
		if (st->nfds == REPO_STAGE_OPEN)
			repo_stage_wait(st, 0);
#ifdef SYNC_FILE_RANGE_WRITE
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
		st->fds[st->nfds++] = fd;
	} else if (close(fd) != 0) {	/* synced by repo_stage_sync */
		set_cause(cause, "%s: %s", full, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Note a staged file or directory, tmp to go to dst (both taken). */
static void
repo_stage_note(struct repo_stage *st, char *tmp, char *dst, int isdir)
{
	st->f = xgrow(st->f, st->n, &st->cap, sizeof *st->f);
	st->f[st->n].tmp = tmp;
	st->f[st->n].dst = dst;
	st->f[st->n].isdir = isdir;
	st->n++;
}

static int
repo_stage_write(struct repo_stage *st, const char *full, const void *data,
    size_t len, char **cause)
{
	char *tmp;

	if (repo_stage_start(st, cause) != 0)
		return -1;
	tmp = xasprintf("%s/wt.%ld.%zu", st->tmpdir, st->pid, st->n);
	if (repo_stage_file(st, tmp, full, data, len, NULL, cause) != 0) {
		free(tmp);
		return -1;
	}
	repo_stage_note(st, tmp, xstrdup(full), 0);
	return 0;
}

static size_t repo_dirlen(const char *);

/*
 * Stage the new directory of changes c[a, b), all of them depth levels
 * below it (1: in it; 2: in new directories of it), none deeper: made
 * in the stager's temp directory with each file under its own name,
 * its stat data kept for .git/index.
 */
static int
repo_stage_dir(struct repo_stage *st, struct repo_chg *c, size_t a,
    size_t b, int depth, char **cause)
{
	const char *workdir = st->r->workdir, *rel, *slash;
	char *tmp, *file, *full;
	size_t i, rl, sl = 0;
	int rc = 0;

	if (repo_stage_start(st, cause) != 0)
		return -1;
	/* The root's length: c[a]'s path less depth components. */
	rl = repo_dirlen(c[a].path);
	if (depth == 2)
		rl = (size_t)((const char *)memrchr(c[a].path, '/', rl) -
		    c[a].path);
	tmp = xasprintf("%s/d.%ld.%zu", st->tmpdir, st->pid, st->n);
	if (mkdir(tmp, 0755) != 0) {	/* named as the directory it is */
		set_cause(cause, "%s/%.*s: %s", workdir, (int)rl, c[a].path,
		    strerror(errno));
		free(tmp);
		return -1;
	}
	for (i = a; i < b && rc == 0; i++) {
		rel = c[i].path + rl + 1;
		slash = strchr(rel, '/');
		if (slash != NULL && (i == a || (size_t)(slash - rel) != sl ||
		    strncmp(c[i - 1].path + rl + 1, rel, sl) != 0)) {
			/* The next subdirectory (a directory's files are a
			   run of c). */
			sl = (size_t)(slash - rel);
			file = xasprintf("%s/%.*s", tmp, (int)sl, rel);
			if (mkdir(file, 0755) != 0) {
				rc = set_cause(cause, "%s/%.*s: %s", workdir,
				    (int)(slash - c[i].path), c[i].path,
				    strerror(errno));
				free(file);
				break;
			}
			free(file);
		}
		file = xasprintf("%s/%s", tmp, rel);
		full = xasprintf("%s/%s", workdir, c[i].path);
		rc = repo_stage_file(st, file, full, c[i].data, c[i].len,
		    &c[i].ent, cause);
		c[i].staged = rc == 0;
		free(full);
		free(file);
	}
	/* Noted even when it failed, so repo_stage_free removes it. */
	repo_stage_note(st, tmp, xasprintf("%s/%.*s", workdir, (int)rl,
	    c[a].path), 1);
	return rc;
}

/* Make every staged file durable. */
static int
repo_stage_sync(struct repo_stage *st, char **cause)
{
	if (st->nfiles > REPO_STAGE_OPEN && st->fsfd != -1) {
		/* All of them, the first ones' write-back started or not. */
		while (st->nfds > 0)
			close(st->fds[--st->nfds]);
		if (syncfs(st->fsfd) != 0 && st->err == 0)
			st->err = errno;
	}
	repo_stage_wait(st, 1);
	if (st->nfds == 1) {
		/* One fsync: the journal commit and flush for all of them. */
		if (fsync(st->fds[0]) != 0 && st->err == 0)
			st->err = errno;
		close(st->fds[0]);
		st->nfds = 0;
	}
	if (st->err != 0)
		return set_cause(cause, "%s: %s", st->n ? st->f[0].dst : "",
		    strerror(st->err));
	return 0;
}

/*
 * Rename every staged file and directory into place, making its parent
 * directory first.
 */
static int
repo_stage_commit(struct repo_stage *st, char **cause)
{
	const char *slash;
	char *dir;

	for (; st->renamed < st->n; st->renamed++) {
		const char *dst = st->f[st->renamed].dst;

		if ((slash = strrchr(dst, '/')) != NULL) {
			dir = xstrndup(dst, (size_t)(slash - dst));
			if (st->lastdir == NULL || strcmp(dir, st->lastdir)) {
				if (mkdir_p(dir, 0755) != 0) {
					set_cause(cause, "%s: %s", dir,
					    strerror(errno));
					free(dir);
					return -1;
				}
				free(st->lastdir);
				st->lastdir = dir;
			} else
				free(dir);
		}
		if (rename(st->f[st->renamed].tmp, dst) != 0)
			return set_cause(cause, "%s: %s", dst, strerror(errno));
	}
	return 0;
}

/*
 * What a stager does: claim the commit's units (files, new directories)
 * a run at a time (the staging thread from the start, the calling thread
 * once the objects are built), write them, then sync its own. Files made
 * in different directories by two threads take half the time (measured
 * here: 40,000 in 0.45 s against 0.9 s on one thread).
 */
#define REPO_STAGE_RUN	16

struct repo_stage_job {
	struct repo_stage	*st;
	struct repo_chg		*c;
	const struct repo_unit	*u;
	size_t			 n;	/* units */
	size_t			*next;	/* shared by the stagers */
	int			*stop;	/* shared: one of them failed */
	int			 later;	/* its sync left to the caller */
	char			*cause;
	int			 rc;
};

static void *
repo_stage_run(void *arg)
{
	struct repo_stage_job *sj = arg;
	struct buf full;
	size_t i, end;

	buf_init(&full);
	sj->rc = 0;
	while (sj->rc == 0 && !__atomic_load_n(sj->stop, __ATOMIC_RELAXED)) {
		i = __atomic_fetch_add(sj->next, REPO_STAGE_RUN,
		    __ATOMIC_RELAXED);
		if (i >= sj->n)
			break;
		end = i + REPO_STAGE_RUN < sj->n ? i + REPO_STAGE_RUN : sj->n;
		for (; i < end && sj->rc == 0; i++) {
			const struct repo_unit *u = &sj->u[i];
			const struct repo_chg *c = &sj->c[u->a];
			size_t k;

			if (u->dir && sj->st->ndirs < repo_stage_dirs) {
				sj->st->ndirs++;
				sj->rc = repo_stage_dir(sj->st, sj->c, u->a,
				    u->b, u->dir, &sj->cause);
				continue;
			}
			for (k = u->a; k < u->b && sj->rc == 0; k++, c++) {
				buf_reset(&full);
				buf_printf(&full, "%s/%s", sj->st->r->workdir,
				    c->path);
				sj->rc = repo_stage_write(sj->st, full.data,
				    c->data, c->len, &sj->cause);
			}
		}
	}
	if (sj->rc == 0 && !sj->later)
		sj->rc = repo_stage_sync(sj->st, &sj->cause);
	if (sj->rc != 0)
		__atomic_store_n(sj->stop, 1, __ATOMIC_RELAXED);
	buf_free(&full);
	return NULL;
}

/* Renaming a stager's files into place, on a thread. */
struct repo_place_job {
	struct repo_stage	*st;
	char			*cause;
	int			 rc;
};

static void *
repo_place_run(void *arg)
{
	struct repo_place_job *pj = arg;

	pj->rc = repo_stage_commit(pj->st, &pj->cause);
	return NULL;
}

static void repo_sweep_dir(const char *, int);

/* Close and remove whatever is still staged. */
static void
repo_stage_free(struct repo_stage *st)
{
	size_t i;

	for (i = 0; i < st->nfds; i++)
		close(st->fds[i]);
	if (st->fsfd != -1)
		close(st->fsfd);
	for (i = 0; i < st->n; i++) {
		if (i >= st->renamed && st->f[i].isdir) {
			repo_sweep_dir(st->f[i].tmp, 1);
			rmdir(st->f[i].tmp);
		} else if (i >= st->renamed)
			unlink(st->f[i].tmp);
		free(st->f[i].tmp);
		free(st->f[i].dst);
	}
	free(st->f);
	free(st->lastdir);
	if (st->n > 0)
		rmdir(st->tmpdir);
	free(st->tmpdir);
}

#define REPO_TMPDIR_BIG	(256 * 1024)	/* bytes of directory blocks */

/* Empty a directory of temp files, and (depth > 0) the directories in
   it, which go too: a stager's own (repo_stage_init), in that (depth 2)
   a directory it staged whole (repo_stage_dir), and in that (depth 3)
   the new directories of a new directory staged whole. */
static void
repo_sweep_dir(const char *dir, int depth)
{
	struct dirent *de;
	char *p;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')	/* no temp name starts so */
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (unlink(p) != 0 && errno == EISDIR && depth > 0) {
			repo_sweep_dir(p, depth - 1);
			rmdir(p);
		}
		free(p);
	}
	closedir(d);
}

/* Remove temp files a killed writer left; called with the lock held. */
static void
repo_sweep_tmp(struct repo *r)
{
	char *dir = xasprintf("%s/.certdeck/tmp", r->workdir);
	git_buf where = GIT_BUF_INIT;
	struct dirent *de;
	struct stat st;
	DIR *d;

	repo_sweep_dir(dir, 3);
	/* Grown large by an earlier version's import: made anew, empty. */
	if (stat(dir, &st) == 0 && st.st_size > REPO_TMPDIR_BIG &&
	    rmdir(dir) == 0)
		(void)mkdir(dir, 0700);
	free(dir);

	/* A bulk write's pack, not put in place (store/pack.c). */
	if (r->git == NULL || git_repository_item_path(&where, r->git,
	    GIT_REPOSITORY_ITEM_OBJECTS) != 0) {
		git_error_clear();
		return;
	}
	dir = xasprintf("%spack", where.ptr);
	git_buf_dispose(&where);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (!str_startswith(de->d_name, PACK_TMP_PREFIX))
				continue;
			if (unlinkat(dirfd(d), de->d_name, 0) != 0 &&
			    errno != ENOENT)
				break;
		}
		closedir(d);
	}
	free(dir);
}

/* Remove work tree file path (full) and its parents left empty. */
static int
repo_wt_remove(struct repo *r, const char *path, struct buf *full,
    char **cause)
{
	size_t top = strlen(r->workdir);
	char *slash;

	if (unlink(full->data) != 0 && errno != ENOENT && errno != ENOTDIR)
		return set_cause(cause, "%s: %s", full->data, strerror(errno));
	while ((slash = strrchr(full->data, '/')) != NULL &&
	    (size_t)(slash - full->data) > top) {
		*slash = '\0';
		if (rmdir(full->data) != 0)
			break;
	}
	return 0;
}

/*
 * The bulk handle's object database: one backend, the pack being
 * written (store/pack.c). Objects go into it as libgit2 makes them;
 * nothing reads them back before the pack is in place.
 */
struct repo_packodb {
	git_odb_backend	 parent;
	struct pack	*pk;
	char		*err;		/* the pack's last error */
};

static int
repo_packodb_write(git_odb_backend *be, const git_oid *id, const void *data,
    size_t len, git_object_t type)
{
	struct repo_packodb *p = (struct repo_packodb *)be;

	free(p->err);
	p->err = NULL;
	if (p->pk == NULL) {		/* put in place already */
		git_error_set_str(GIT_ERROR_ODB, "the bulk pack is closed");
		return -1;
	}
	if (pack_add(p->pk, (int)type, id->id, data, len, &p->err) != 0) {
		git_error_set_str(GIT_ERROR_ODB, p->err);
		return -1;
	}
	return 0;
}

static int
repo_packodb_exists(git_odb_backend *be, const git_oid *id)
{
	struct repo_packodb *p = (struct repo_packodb *)be;

	return p->pk != NULL && pack_has(p->pk, id->id);
}

static void
repo_packodb_free(git_odb_backend *be)
{
	struct repo_packodb *p = (struct repo_packodb *)be;

	pack_abort(p->pk);
	free(p->err);
	free(p);
}

/*
 * Start a bulk write: a second handle on the repository, whose object
 * database is a new pack in objects/pack.
 */
static int
repo_bulk_begin(struct repo *r, struct repo_bulk *b, char **cause)
{
	struct repo_packodb *be;
	git_buf where = GIT_BUF_INIT;
	git_odb *odb = NULL;
	char *dir = NULL;
	int rc = -1;

	memset(b, 0, sizeof *b);
	if (git_repository_item_path(&where, r->git,
	    GIT_REPOSITORY_ITEM_OBJECTS) != 0) {
		repo_gerr(cause, "cannot find the object database");
		return -1;
	}
	dir = xasprintf("%spack", where.ptr);
	git_buf_dispose(&where);
	be = xcalloc(1, sizeof *be);
	if (git_odb_init_backend(&be->parent, GIT_ODB_BACKEND_VERSION) != 0) {
		free(be);
		repo_gerr(cause, "cannot prepare a pack");
		goto out;
	}
	be->parent.write = repo_packodb_write;
	be->parent.exists = repo_packodb_exists;
	be->parent.free = repo_packodb_free;
	if ((be->pk = pack_begin(dir, cause)) == NULL) {
		free(be);
		goto out;
	}
	if (git_repository_open_ext(&b->git, r->workdir,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0 ||
	    git_odb_new(&odb) != 0) {
		repo_gerr(cause, "cannot prepare a pack");
		repo_packodb_free(&be->parent);
		goto out;
	}
	if (git_odb_add_backend(odb, &be->parent, 1) != 0) {
		repo_gerr(cause, "cannot prepare a pack");
		repo_packodb_free(&be->parent);
		goto out;
	}
	b->be = be;			/* the odb owns it from here */
	git_repository_set_odb(b->git, odb);
	rc = 0;
out:
	git_odb_free(odb);
	if (rc != 0) {
		git_repository_free(b->git);
		b->git = NULL;
		b->be = NULL;
	}
	free(dir);
	return rc;
}

/* Put the bulk write's pack in place, for the main handle to read. */
static int
repo_bulk_flush(struct repo *r, struct repo_bulk *b, char **cause)
{
	git_odb *odb = NULL;
	int rc;

	if (b->git == NULL || b->be->pk == NULL)
		return 0;
	rc = pack_end(b->be->pk, cause);
	b->be->pk = NULL;
	if (rc != 0)
		return -1;
	/* The main handle would find the new pack on its next miss. */
	if (git_repository_odb(&odb, r->git) != 0 || git_odb_refresh(odb) != 0)
		git_error_clear();
	git_odb_free(odb);
	return 0;
}

/* Let go of the bulk handle; a pack not in place is removed. */
static void
repo_bulk_end(struct repo_bulk *b)
{
	git_repository_free(b->git);	/* and its odb, and the pack */
	memset(b, 0, sizeof *b);
}

static int
repo_chg_cmp(const void *a, const void *b)
{
	return strcmp(((const struct repo_chg *)a)->path,
	    ((const struct repo_chg *)b)->path);
}

/*
 * Build the tree for one directory: base (NULL if new) plus changes c[0..n),
 * whose paths all continue at offset off below this directory and are
 * sorted, so the changes of each subdirectory are contiguous. *empty says
 * the result has no entries (the caller then drops it).
 */
/*
 * Store c's blob: into a bulk write's pack under the id the checks
 * computed, else as a loose object.
 */
static int
repo_blob_put(struct repo *r, struct repo_bulk *bk, const struct repo_chg *c,
    char **cause)
{
	git_oid id;
	char *err = NULL;

	if (bk->git == NULL) {
		if (git_blob_create_from_buffer(&id, r->git, c->data,
		    c->len) != 0)
			return repo_gerr(cause, "cannot store %s", c->path);
		return 0;
	}
	if (pack_add(bk->be->pk, PACK_BLOB, c->new_id.id, c->data, c->len,
	    &err) != 0) {
		set_cause(cause, "cannot store %s: %s", c->path, err);
		free(err);
		return -1;
	}
	return 0;
}

static int
repo_build(struct repo *r, struct repo_bulk *bk, const git_tree *base,
    struct repo_chg *c, size_t n, size_t off, git_oid *out, int *empty,
    char **cause)
{
	git_repository *into = bk->git != NULL ? bk->git : r->git;
	git_treebuilder *bld = NULL;
	git_tree *sub = NULL;
	const git_tree_entry *e;
	const char *rest, *slash;
	struct buf name;
	git_oid id;
	size_t i, j, k;
	int rc = -1, subempty;

	buf_init(&name);
	if (git_treebuilder_new(&bld, into, base) != 0) {
		repo_gerr(cause, "cannot build a tree");
		goto out;
	}
	for (i = 0; i < n; i = j) {
		rest = c[i].path + off;
		if ((slash = strchr(rest, '/')) == NULL) {
			j = i + 1;
			e = base != NULL ? git_tree_entry_byname(base, rest) :
			    NULL;
			if (e != NULL &&
			    git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
				set_cause(cause, "%s is a directory in HEAD",
				    c[i].path);
				goto out;
			}
			if (c[i].data != NULL) {
				if (repo_blob_put(r, bk, &c[i], cause) != 0)
					goto out;
				if (git_treebuilder_insert(NULL, bld, rest,
				    &c[i].new_id,
				    GIT_FILEMODE_BLOB) != 0) {
					repo_gerr(cause, "cannot add %s",
					    c[i].path);
					goto out;
				}
			} else if (e != NULL &&
			    git_treebuilder_remove(bld, rest) != 0) {
				repo_gerr(cause, "cannot remove %s", c[i].path);
				goto out;
			}
			continue;
		}

		k = (size_t)(slash - rest);
		for (j = i + 1; j < n &&
		    strncmp(c[j].path + off, rest, k + 1) == 0; j++)
			;
		buf_reset(&name);
		buf_add(&name, rest, k);
		e = base != NULL ? git_tree_entry_byname(base, name.data) :
		    NULL;
		if (e != NULL && git_tree_entry_type(e) != GIT_OBJECT_TREE) {
			set_cause(cause, "%s: %.*s is a file in HEAD",
			    c[i].path, (int)(off + k), c[i].path);
			goto out;
		}
		if (e != NULL &&
		    git_tree_lookup(&sub, r->git, git_tree_entry_id(e)) != 0) {
			repo_gerr(cause, "cannot read tree %.*s",
			    (int)(off + k), c[i].path);
			goto out;
		}
		if (repo_build(r, bk, sub, c + i, j - i, off + k + 1, &id,
		    &subempty, cause) != 0)
			goto out;
		git_tree_free(sub);
		sub = NULL;
		if (subempty) {
			if (e != NULL &&
			    git_treebuilder_remove(bld, name.data) != 0) {
				repo_gerr(cause, "cannot remove %.*s",
				    (int)(off + k), c[i].path);
				goto out;
			}
		} else if (git_treebuilder_insert(NULL, bld, name.data, &id,
		    GIT_FILEMODE_TREE) != 0) {
			repo_gerr(cause, "cannot add %.*s", (int)(off + k),
			    c[i].path);
			goto out;
		}
	}
	*empty = git_treebuilder_entrycount(bld) == 0;
	if (git_treebuilder_write(out, bld) != 0) {
		repo_gerr(cause, "cannot write a tree");
		goto out;
	}
	rc = 0;

out:
	git_tree_free(sub);
	git_treebuilder_free(bld);
	buf_free(&name);
	return rc;
}

/* The operator: git's configured identity, else login name and host. */
int
repo_signature(struct repo *r, git_signature **out, char **cause)
{
	struct passwd *pw;
	struct tm tm;
	char host[256], *name, *email, *login;
	time_t t;
	int offset = 0, rc = 0;

	pw = getpwuid(getuid());
	if (pw != NULL && pw->pw_name != NULL && *pw->pw_name != '\0')
		login = xstrdup(pw->pw_name);
	else if (getenv("LOGNAME") != NULL && *getenv("LOGNAME") != '\0')
		login = xstrdup(getenv("LOGNAME"));
	else
		login = xstrdup("certdeck");
	if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';

	name = repo_config_get(r, "user.name");
	if (name == NULL || *name == '\0') {
		free(name);
		name = xstrdup(login);
	}
	email = repo_config_get(r, "user.email");
	if (email == NULL || *email == '\0') {
		free(email);
		email = xasprintf("%s@%s", login, host);
	}

	t = r->clock != NULL ? (time_t)r->clock() : time(NULL);
	if (localtime_r(&t, &tm) != NULL)
		offset = (int)(tm.tm_gmtoff / 60);
	if (git_signature_new(out, name, email, t, offset) != 0)
		rc = repo_gerr(cause, "bad author \"%s <%s>\"", name, email);
	free(email);
	free(name);
	free(login);
	return rc;
}

/*
 * Check one change against HEAD, .git/index and the work tree before
 * anything is written: refuse to overwrite what someone changed by hand.
 */
static int
repo_commit_check(struct repo *r, const git_tree *head_tree,
    const struct repo_ix *ix, struct repo_chg *c, struct buf *full,
    char **cause)
{
	struct gix_ent ie;
	git_tree_entry *te = NULL;
	enum repo_wt state;
	git_oid wt_id;
	int e;

	if (c->data != NULL &&
	    git_odb_hash(&c->new_id, c->data, c->len, GIT_OBJECT_BLOB) != 0)
		return repo_gerr(cause, "cannot hash %s", c->path);
	if (head_tree != NULL) {
		e = git_tree_entry_bypath(&te, head_tree, c->path);
		if (e == 0) {
			if (git_tree_entry_type(te) != GIT_OBJECT_BLOB) {
				git_tree_entry_free(te);
				return set_cause(cause, "%s is not a file in "
				    "HEAD", c->path);
			}
			c->in_head = 1;
			git_oid_cpy(&c->head_id, git_tree_entry_id(te));
			git_tree_entry_free(te);
		} else if (e == GIT_ENOTFOUND)
			git_error_clear();
		else
			return repo_gerr(cause, "cannot look up %s", c->path);
	}
	/* Removing what HEAD does not have: nothing to do, touch nothing. */
	if (c->data == NULL && !c->in_head)
		return 0;

	if (repo_ix_find(ix, c->path, &ie) &&
	    !(c->in_head && memcmp(ie.id, c->head_id.id, sizeof ie.id) == 0) &&
	    !(c->data != NULL && memcmp(ie.id, c->new_id.id, sizeof ie.id) == 0))
		return set_cause(cause, "%s has changes staged in .git/index "
		    "(unstage them with git reset -- %s)", c->path, c->path);

	if (c->newdir)		/* its directory is not there */
		state = REPO_WT_ABSENT;
	else if (repo_wt_state(r, c->path, full, &wt_id, &state, cause) != 0)
		return -1;
	switch (state) {
	case REPO_WT_ABSENT:
		break;
	case REPO_WT_BLOCKED:
		if (c->data != NULL)
			return set_cause(cause, "%s cannot be written: a "
			    "parent directory is a file in the work tree",
			    c->path);
		break;
	case REPO_WT_OTHER:
		return set_cause(cause, "%s is not a regular file in the work "
		    "tree (move it away)", c->path);
	case REPO_WT_FILE:
		if (c->data != NULL && git_oid_equal(&wt_id, &c->new_id)) {
			c->wt_same = 1;
			break;
		}
		if (c->in_head && git_oid_equal(&wt_id, &c->head_id))
			break;
		if (c->in_head)
			return set_cause(cause, "%s has uncommitted changes in "
			    "the work tree (commit or restore them with "
			    "git checkout -- %s)", c->path, c->path);
		return set_cause(cause, "%s is an untracked file in the work "
		    "tree with other content (move it away)", c->path);
	}
	return 0;
}

/* The length of path's directory part, 0 for none. */
static size_t
repo_dirlen(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? (size_t)(slash - path) : 0;
}

/*
 * Does a directory made in .certdeck/tmp and renamed into the work tree
 * come out as one made in place (by mkdir under dir, the nearest work
 * tree directory that exists)? Not when either side has the setgid bit
 * (a new directory takes its group and the bit: a group-shared
 * inventory) or a default ACL (applied instead of the umask). 1 if it
 * does.
 */
static int
repo_dir_plain(const char *dir)
{
	struct stat sb;

	if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	    (sb.st_mode & S_ISGID) != 0)
		return 0;
	if (getxattr(dir, "system.posix_acl_default", NULL, 0) >= 0)
		return 0;
	return errno == ENODATA || errno == ENOTSUP;
}

/* repo_dir_plain of path's nearest existing directory (path is taken). */
static int
repo_nearest_plain(char *path)
{
	struct stat sb;
	char *slash;

	while (lstat(path, &sb) != 0 && errno == ENOENT &&
	    (slash = strrchr(path, '/')) != NULL && slash != path)
		*slash = '\0';
	return repo_dir_plain(path);
}

/*
 * Mark the changes whose directory the work tree does not have and may
 * be staged whole, and those whose directory's parent it does not have
 * either (c is sorted, so a directory's files are a run): one lstat per
 * directory, and two more per parent of new directories.
 */
static int
repo_mark_newdirs(struct repo *r, struct repo_chg *c, size_t n,
    struct buf *full, char **cause)
{
	struct stat sb;
	size_t i, dl, last = 0;
	char *up, *parent = NULL;
	int isnew = 0, upnew = 0, e, tmp_plain, up_plain = 0, up_new = 0;

	up = xasprintf("%s/.certdeck/tmp", r->workdir);
	tmp_plain = repo_nearest_plain(up);
	free(up);
	for (i = 0; i < n; i++) {
		dl = repo_dirlen(c[i].path);
		if (i > 0 && dl == last &&
		    strncmp(c[i].path, c[i - 1].path, dl) == 0) {
			c[i].newdir = isnew;	/* the same directory */
			c[i].newup = upnew;
			continue;
		}
		last = dl;
		isnew = upnew = 0;
		if (dl > 0 && tmp_plain) {
			buf_reset(full);
			buf_printf(full, "%s/%.*s", r->workdir, (int)dl,
			    c[i].path);
			up = xstrndup(full->data, (size_t)
			    (strrchr(full->data, '/') - full->data));
			/* ENOTDIR: a file in the way, which the path's own
			   check reports. In a parent found absent, no lstat
			   (a first import's 100,000 directories). */
			if (parent != NULL && up_new &&
			    strcmp(up, parent) == 0)
				e = ENOENT;
			else
				e = lstat(full->data, &sb) != 0 ? errno : 0;
			if (e != 0 && e != ENOENT && e != ENOTDIR) {
				free(up);
				free(parent);
				return set_cause(cause, "%s: %s", full->data,
				    strerror(e));
			}
			if (e == ENOENT) {
				if (parent == NULL || strcmp(up, parent) != 0) {
					free(parent);
					parent = xstrdup(up);
					up_new = lstat(up, &sb) != 0 &&
					    errno == ENOENT;
					up_plain = repo_nearest_plain(up);
				}
				isnew = up_plain;
				upnew = up_plain && up_new &&
				    memchr(c[i].path, '/', dl) != NULL;
			}
			free(up);
		}
		c[i].newdir = isnew;
		c[i].newup = upnew;
	}
	free(parent);
	return 0;
}

/*
 * May c[i, j) (every change under one new directory, its files depth
 * levels below it) be staged whole? When each is a file to write, at
 * that depth, in a new directory (newup, for depth 2), and no component
 * below the directory is named with a dot (repo_sweep_dir passes those
 * by).
 */
static int
repo_unit_whole(const struct repo_chg *c, size_t i, size_t j, size_t dl,
    int depth)
{
	const char *rel, *slash;
	size_t m;

	for (m = i; m < j; m++) {
		rel = c[m].path + dl + 1;
		slash = strchr(rel, '/');
		if (c[m].data == NULL || !c[m].newdir ||
		    (depth == 2 && !c[m].newup) || rel[0] == '.' ||
		    (depth == 1 && slash != NULL) ||
		    (depth == 2 && (slash == NULL || slash[1] == '.' ||
		    strchr(slash + 1, '/') != NULL)))
			return 0;
	}
	return 1;
}

/* The end of the run of c from i under the directory of length dl. */
static size_t
repo_unit_end(const struct repo_chg *c, size_t n, size_t i, size_t dl)
{
	size_t j = i + 1;

	while (j < n && strncmp(c[j].path, c[i].path, dl + 1) == 0)
		j++;
	return j;
}

/*
 * The stagers' units: each file to write on its own, except the files of
 * a directory the work tree does not have, which go as one
 * (repo_stage_dir) when every change under it is a file to write
 * directly in it; and when its parent is new too and holds nothing but
 * such directories, the parent goes as one (a first import's shards:
 * 256 renames into place instead of one per entry).
 */
static struct repo_unit *
repo_units(const struct repo_chg *c, size_t n, size_t *nu)
{
	struct repo_unit *u = xcalloc(n > 0 ? n : 1, sizeof *u);
	size_t i = 0, j, k = 0, dl, ul;
	int whole;

	while (i < n) {
		dl = repo_dirlen(c[i].path);
		/* Not when a subdirectory's files sorted before this one. */
		if (c[i].newup && (i == 0 || strncmp(c[i - 1].path, c[i].path,
		    dl + 1) != 0)) {
			ul = (size_t)((const char *)memrchr(c[i].path, '/',
			    dl) - c[i].path);
			if (i == 0 || strncmp(c[i - 1].path, c[i].path,
			    ul + 1) != 0) {
				j = repo_unit_end(c, n, i, ul);
				if (repo_unit_whole(c, i, j, ul, 2)) {
					u[k].a = i;
					u[k].b = j;
					u[k++].dir = 2;
					i = j;
					continue;
				}
			}
		}
		j = i + 1;
		whole = c[i].newdir && dl > 0 && (i == 0 ||
		    strncmp(c[i - 1].path, c[i].path, dl + 1) != 0);
		if (whole) {
			/* Everything under the directory: a run of c. */
			j = repo_unit_end(c, n, i, dl);
			whole = repo_unit_whole(c, i, j, dl, 1);
		}
		if (whole) {
			u[k].a = i;
			u[k].b = j;
			u[k++].dir = 1;
			i = j;
			continue;
		}
		for (; i < j; i++) {
			if (c[i].data == NULL || c[i].wt_same)
				continue;
			u[k].a = i;
			u[k++].b = i + 1;
		}
	}
	*nu = k;
	return u;
}

int
repo_commit(struct repo *r, const struct repo_change *changes, size_t n,
    const char *message, char out[REPO_OID_HEX], char **cause)
{
	return repo_commit_hooked(r, changes, n, message, NULL, NULL, out,
	    cause);
}

int
repo_commit_hooked(struct repo *r, const struct repo_change *changes,
    size_t n, const char *message, repo_tree_cb hook, void *hook_arg,
    char out[REPO_OID_HEX], char **cause)
{
	git_reference *head = NULL, *moved = NULL;
	git_commit *parent = NULL;
	git_tree *head_tree = NULL, *tree = NULL;
	git_signature *sig = NULL;
	struct repo_ix ix;
	struct repo_chg *c = NULL;
	struct repo_unit *u = NULL;
	struct repo_bulk bulk;
	struct repo_stage stage[2];
	struct repo_stage_job sj[2];
	struct repo_place_job pj;
	pthread_t stager, placer;
	size_t next = 0, nu = 0;
	int stop = 0;
	struct buf full, reflog;
	const git_commit *parents[1];
	git_oid old_id, tree_id, commit_id;
	char *refname = NULL, *lock = NULL, hex[REPO_OID_HEX] = "";
	char thex[REPO_OID_HEX];
	const char *nl;
	size_t i;
	int e, unborn = 0, empty, staging = 0, placing, rc = -1;

	buf_init(&full);
	buf_init(&reflog);
	memset(&bulk, 0, sizeof bulk);
	memset(&ix, 0, sizeof ix);
	repo_stage_init(&stage[0], r, 0);
	repo_stage_init(&stage[1], r, 1);
	if (out != NULL)
		out[0] = '\0';
	if (message == NULL)
		message = "";

	/* The changes, validated and sorted so each directory is a run. */
	c = xcalloc(n, sizeof *c);
	for (i = 0; i < n; i++) {
		if (changes[i].path == NULL || !repo_path_ok(changes[i].path)) {
			set_cause(cause, "bad path in commit: \"%s\"",
			    changes[i].path ? changes[i].path : "(null)");
			goto out;
		}
		c[i].path = changes[i].path;
		c[i].data = changes[i].data;
		c[i].len = changes[i].len;
		if (c[i].data == NULL && c[i].len != 0)
			c[i].len = 0;
	}
	if (n > 1)
		qsort(c, n, sizeof *c, repo_chg_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(c[i - 1].path, c[i].path) == 0) {
			set_cause(cause, "%s is changed twice in one commit",
			    c[i].path);
			goto out;
		}
	}

	/* Which ref moves (HEAD's branch, or HEAD itself if detached). */
	if (git_reference_lookup(&head, r->git, "HEAD") != 0) {
		repo_gerr(cause, "cannot read HEAD");
		goto out;
	}
	if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC)
		refname = xstrdup(git_reference_symbolic_target(head));
	else
		refname = xstrdup("HEAD");
	e = git_reference_name_to_id(&old_id, r->git, refname);
	if (e == GIT_ENOTFOUND || e == GIT_EUNBORNBRANCH) {
		git_error_clear();
		unborn = 1;
	} else if (e != 0) {
		repo_gerr(cause, "cannot read %s", refname);
		goto out;
	} else {
		if (git_commit_lookup(&parent, r->git, &old_id) != 0) {
			repo_gerr(cause, "cannot read HEAD's commit");
			goto out;
		}
		if (git_commit_tree(&head_tree, parent) != 0) {
			repo_gerr(cause, "cannot read HEAD's tree");
			goto out;
		}
	}

	/*
	 * .git/index is written after the commit point: another git
	 * command's lock on it refuses the change now, as a lock on the
	 * branch does, not once it is committed. (A lock this process's
	 * killed predecessor left went when the inventory lock was taken.)
	 */
	lock = xasprintf("%sindex.lock", git_repository_path(r->git));
	e = access(lock, F_OK) == 0;
	free(lock);
	lock = NULL;
	if (e) {
		repo_locked_cause(r, cause, "index.lock",
		    "nothing was committed");
		goto out;
	}

	/* Nothing is written until every path has been checked. */
	if (repo_index_get(r, &ix, cause) != 0 ||
	    repo_mark_newdirs(r, c, n, &full, cause) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (repo_commit_check(r, head_tree, &ix, &c[i], &full,
		    cause) != 0)
			goto out;
	}
	u = repo_units(c, n, &nu);

	/*
	 * The work tree's new files go to temp files (on a thread of their
	 * own for a bulk commit) while the blobs and changed trees are
	 * built; both must succeed before anything is committed.
	 */
	memset(sj, 0, sizeof sj);
	for (i = 0; i < 2; i++) {
		sj[i].st = &stage[i];
		sj[i].c = c;
		sj[i].u = u;
		sj[i].n = nu;
		sj[i].next = &next;
		sj[i].stop = &stop;
	}
	if (n >= REPO_BULK_MIN &&
	    pthread_create(&stager, NULL, repo_stage_run, &sj[0]) == 0)
		staging = 1;
	else
		repo_stage_run(&sj[0]);
	e = (!staging && sj[0].rc != 0) ||
	    (n >= REPO_BULK_MIN && repo_bulk_begin(r, &bulk, cause) != 0) ||
	    repo_build(r, &bulk, head_tree, c, n, 0, &tree_id, &empty,
	    cause) != 0 || repo_bulk_flush(r, &bulk, cause) != 0;
	/*
	 * The objects are written: help stage, then call the hook while
	 * the staging thread waits for its files' write-back (syncfs: 0.9
	 * s of a 100,000-entry import, when this thread would otherwise be
	 * waiting too), and make this thread's files durable after it.
	 */
	if (staging && !e) {
		sj[1].later = 1;
		repo_stage_run(&sj[1]);
	}
	if (!e && hook != NULL) {
		/* Beside the staging thread, which touches no libgit2. */
		repo_hex(thex, &tree_id);
		hook(hook_arg, thex);
	}
	if (staging) {
		if (e)
			__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
		else if (sj[1].rc == 0 && (sj[1].rc = repo_stage_sync(
		    &stage[1], &sj[1].cause)) != 0)
			__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
		pthread_join(stager, NULL);
	}
	for (i = 0; i < 2; i++) {	/* a build error is said first */
		if (sj[i].rc != 0) {
			if (cause != NULL && *cause == NULL)
				set_cause(cause, "%s", sj[i].cause);
			e = 1;
		}
		free(sj[i].cause);
	}
	if (e)
		goto out;
	if (git_tree_lookup(&tree, r->git, &tree_id) != 0) {
		repo_gerr(cause, "cannot read the new tree");
		goto out;
	}
	if (repo_signature(r, &sig, cause) != 0)
		goto out;
	parents[0] = parent;
	if (git_commit_create(&commit_id, r->git, NULL, sig, sig, NULL,
	    message, tree, unborn ? 0 : 1, parents) != 0) {
		repo_gerr(cause, "cannot create the commit");
		goto out;
	}
	crash_point("commit-objects");

	/* The commit point: move the branch only if nobody else did. */
	nl = strchr(message, '\n');
	buf_printf(&reflog, "commit%s: %.*s", unborn ? " (initial)" : "",
	    nl != NULL ? (int)(nl - message) : (int)strlen(message), message);
	lock = xasprintf("%s.lock", refname);
	repo_git_writing(r, lock);
	e = git_reference_create_matching(&moved, r->git, refname, &commit_id,
	    unborn ? 0 : 1, unborn ? NULL : &old_id, reflog.data);
	repo_git_written(r);
	if (e == GIT_EMODIFIED || e == GIT_EEXISTS) {
		git_error_clear();
		set_cause(cause, "%s moved while committing (another git "
		    "process?); nothing was committed", refname);
		goto out;
	}
	if (e == GIT_ELOCKED) {
		repo_locked_cause(r, cause, lock, "nothing was committed");
		goto out;
	}
	if (e != 0) {
		repo_gerr(cause, "cannot move %s", refname);
		goto out;
	}
	repo_hex(hex, &commit_id);
	if (out != NULL)
		memcpy(out, hex, REPO_OID_HEX);
	crash_point("commit-head");

	/*
	 * After the commit point a failure leaves the work tree or .git/index
	 * behind HEAD, as a crash would; repo_sync_worktree repairs that.
	 */
	for (i = 0; i < n; i++) {	/* removals first: they prune dirs */
		if (c[i].data != NULL || !c[i].in_head)
			continue;
		buf_reset(&full);
		buf_printf(&full, "%s/%s", r->workdir, c[i].path);
		if (repo_wt_remove(r, c[i].path, &full, cause) != 0 ||
		    repo_index_del(r, &ix, c[i].path, cause) != 0)
			goto behind;
	}
	/* Two stagers' files go into place on two threads, too. */
	memset(&pj, 0, sizeof pj);
	pj.st = &stage[1];
	placing = stage[1].n > 0 &&
	    pthread_create(&placer, NULL, repo_place_run, &pj) == 0;
	e = repo_stage_commit(&stage[0], cause) != 0;
	if (placing)
		pthread_join(placer, NULL);
	else
		repo_place_run(&pj);
	if (pj.rc != 0 && !e)
		set_cause(cause, "%s", pj.cause);
	free(pj.cause);
	if (e || pj.rc != 0)
		goto behind;
	for (i = 0; i < n; i++) {
		if (c[i].data == NULL)
			continue;
		buf_reset(&full);
		buf_printf(&full, "%s/%s", r->workdir, c[i].path);
		if (repo_index_put(r, &ix, c[i].path, full.data,
		    &c[i].new_id, c[i].staged ? &c[i].ent : NULL, cause) != 0)
			goto behind;
	}
	crash_point("commit-worktree");
	if (repo_index_flush(r, cause) != 0)
		goto behind;
	crash_point("commit-gitindex");
	rc = 0;
	goto out;

behind:
	if (cause != NULL && *cause != NULL) {
		char *why = *cause;

		*cause = NULL;
		set_cause(cause, "committed %.12s, but the work tree was not "
		    "updated: %s", hex, why);
		free(why);
	}

out:
	/* Before the commit point: say that nothing was committed. */
	if (rc != 0 && *hex == '\0' && cause != NULL && *cause != NULL &&
	    strstr(*cause, "nothing was committed") == NULL) {
		char *why = *cause;

		*cause = NULL;
		set_cause(cause, "%s; nothing was committed", why);
		free(why);
	}
	repo_stage_free(&stage[0]);
	repo_stage_free(&stage[1]);
	repo_bulk_end(&bulk);
	repo_index_done(r, &ix);
	git_reference_free(moved);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(head_tree);
	git_commit_free(parent);
	git_reference_free(head);
	free(u);
	free(refname);
	free(lock);
	free(c);
	buf_free(&reflog);
	buf_free(&full);
	return rc;
}

int
repo_read(struct repo *r, const char *commit, const char *path, char **data,
    size_t *len, char blob_id[REPO_OID_HEX], char **cause)
{
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	size_t size;
	int e, rc = -1;

	*data = NULL;
	*len = 0;
	if (blob_id != NULL)
		blob_id[0] = '\0';
	if (repo_get_tree(r, commit, &tree, cause) != 0)
		return -1;
	if (tree == NULL)
		return 0;
	e = git_tree_entry_bypath(&te, tree, path);
	if (e == GIT_ENOTFOUND) {
		git_error_clear();
		rc = 0;
		goto out;
	}
	if (e != 0) {
		repo_gerr(cause, "cannot look up %s", path);
		goto out;
	}
	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB) {
		rc = 0;
		goto out;
	}
	if (git_blob_lookup(&blob, r->git, git_tree_entry_id(te)) != 0) {
		repo_gerr(cause, "cannot read %s", path);
		goto out;
	}
	size = (size_t)git_blob_rawsize(blob);
	*data = xmalloc(size + 1);
	if (size != 0)
		memcpy(*data, git_blob_rawcontent(blob), size);
	(*data)[size] = '\0';
	*len = size;
	if (blob_id != NULL)
		repo_hex(blob_id, git_tree_entry_id(te));
	rc = 1;

out:
	git_blob_free(blob);
	git_tree_entry_free(te);
	git_tree_free(tree);
	return rc;
}

int
repo_blob(struct repo *r, const char *blob_id, char **data, size_t *len,
    char **cause)
{
	git_blob *blob = NULL;
	git_oid id;
	size_t size;

	*data = NULL;
	*len = 0;
	if (repo_parse_oid(blob_id, &id) != 0)
		return set_cause(cause, "bad blob id: %s", blob_id);
	if (git_blob_lookup(&blob, r->git, &id) != 0)
		return repo_gerr(cause, "cannot read blob %s", blob_id);
	size = (size_t)git_blob_rawsize(blob);
	*data = xmalloc(size + 1);
	if (size != 0)
		memcpy(*data, git_blob_rawcontent(blob), size);
	(*data)[size] = '\0';
	*len = size;
	git_blob_free(blob);
	return 0;
}

int
repo_list_dir(struct repo *r, const char *commit, const char *dir,
    repo_file_cb cb, void *arg, char **cause)
{
	git_tree *tree = NULL, *sub = NULL;
	git_tree_entry *te = NULL;
	const git_tree_entry *e;
	char hex[REPO_OID_HEX];
	size_t i, n;
	int rc = -1;

	if (repo_get_tree(r, commit, &tree, cause) != 0)
		return -1;
	if (tree == NULL)
		return 0;
	if (git_tree_entry_bypath(&te, tree, dir) != 0 ||
	    git_tree_entry_type(te) != GIT_OBJECT_TREE) {
		git_error_clear();
		rc = 0;
		goto out;
	}
	if (git_tree_lookup(&sub, r->git, git_tree_entry_id(te)) != 0) {
		repo_gerr(cause, "cannot read %s", dir);
		goto out;
	}
	n = git_tree_entrycount(sub);
	rc = 0;
	for (i = 0; i < n; i++) {
		e = git_tree_entry_byindex(sub, i);
		if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
			repo_hex(hex, git_tree_entry_id(e));
		else if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			hex[0] = '\0';
		else
			continue;
		if (cb(arg, git_tree_entry_name(e), hex) != 0)
			break;
	}
out:
	git_tree_free(sub);
	git_tree_entry_free(te);
	git_tree_free(tree);
	return rc;
}

/* Fill the blob ids of entry directory tree t (NULL: the entry is gone). */
static void
repo_entry_blobs(const git_tree *t, struct repo_entry *re)
{
	const git_tree_entry *e;

	re->cert_blob[0] = re->entry_blob[0] = '\0';
	if (t == NULL)
		return;
	e = git_tree_entry_byname(t, "cert.pem");
	if (e != NULL && git_tree_entry_type(e) == GIT_OBJECT_BLOB)
		repo_hex(re->cert_blob, git_tree_entry_id(e));
	e = git_tree_entry_byname(t, "entry");
	if (e != NULL && git_tree_entry_type(e) == GIT_OBJECT_BLOB)
		repo_hex(re->entry_blob, git_tree_entry_id(e));
}

int
repo_walk_entries(struct repo *r, const char *commit, repo_entry_cb cb,
    void *arg, char **cause)
{
	git_tree *root = NULL, *certs = NULL, *shard = NULL, *ent = NULL;
	const git_tree_entry *se, *ne;
	struct repo_entry re;
	size_t i, j, nshards, nnames;
	int rc = -1;

	if (repo_get_tree(r, commit, &root, cause) != 0)
		return -1;
	if (root == NULL)
		return 0;
	se = git_tree_entry_byname(root, "certs");
	if (se == NULL || git_tree_entry_type(se) != GIT_OBJECT_TREE) {
		rc = 0;
		goto out;
	}
	if (git_tree_lookup(&certs, r->git, git_tree_entry_id(se)) != 0) {
		repo_gerr(cause, "cannot read tree certs");
		goto out;
	}

	/* Two fixed levels: direct look-ups, no path building. */
	nshards = git_tree_entrycount(certs);
	for (i = 0; i < nshards; i++) {
		se = git_tree_entry_byindex(certs, i);
		if (git_tree_entry_type(se) != GIT_OBJECT_TREE)
			continue;
		if (git_tree_lookup(&shard, r->git,
		    git_tree_entry_id(se)) != 0) {
			repo_gerr(cause, "cannot read tree certs/%s",
			    git_tree_entry_name(se));
			goto out;
		}
		nnames = git_tree_entrycount(shard);
		for (j = 0; j < nnames; j++) {
			ne = git_tree_entry_byindex(shard, j);
			if (git_tree_entry_type(ne) != GIT_OBJECT_TREE)
				continue;
			if (git_tree_lookup(&ent, r->git,
			    git_tree_entry_id(ne)) != 0) {
				repo_gerr(cause, "cannot read tree "
				    "certs/%s/%s", git_tree_entry_name(se),
				    git_tree_entry_name(ne));
				goto out;
			}
			re.shard = git_tree_entry_name(se);
			re.name = git_tree_entry_name(ne);
			repo_entry_blobs(ent, &re);
			git_tree_free(ent);
			ent = NULL;
			if ((rc = cb(arg, &re)) != 0)
				goto out;
		}
		git_tree_free(shard);
		shard = NULL;
	}
	rc = 0;

out:
	git_tree_free(ent);
	git_tree_free(shard);
	git_tree_free(certs);
	git_tree_free(root);
	return rc;
}

static int
repo_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The entry names of trees a and b (either may be NULL), sorted, once
 * each; the strings belong to the trees. Caller frees the array.
 */
static const char **
repo_union_names(const git_tree *a, const git_tree *b, size_t *n)
{
	const char **v;
	size_t na, nb, i, j;

	na = a != NULL ? git_tree_entrycount(a) : 0;
	nb = b != NULL ? git_tree_entrycount(b) : 0;
	v = xreallocarray(NULL, na + nb + 1, sizeof *v);
	for (i = 0; i < na; i++)
		v[i] = git_tree_entry_name(git_tree_entry_byindex(a, i));
	for (j = 0; j < nb; j++)
		v[na + j] = git_tree_entry_name(git_tree_entry_byindex(b, j));
	*n = na + nb;
	if (*n > 1)
		qsort(v, *n, sizeof *v, repo_name_cmp);
	for (i = j = 0; i < *n; i++) {
		if (j == 0 || strcmp(v[j - 1], v[i]) != 0)
			v[j++] = v[i];
	}
	*n = j;
	return v;
}

static int
repo_is_tree(const git_tree_entry *e)
{
	return e != NULL && git_tree_entry_type(e) == GIT_OBJECT_TREE;
}

/* Same object, same kind: nothing below differs. */
static int
repo_same(const git_tree_entry *a, const git_tree_entry *b)
{
	return a != NULL && b != NULL &&
	    git_tree_entry_type(a) == git_tree_entry_type(b) &&
	    git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b));
}

/* Load the tree e points to into *out (NULL if e is not a tree). */
static int
repo_load(struct repo *r, const git_tree_entry *e, git_tree **out,
    char **cause)
{
	*out = NULL;
	if (!repo_is_tree(e))
		return 0;
	if (git_tree_lookup(out, r->git, git_tree_entry_id(e)) != 0)
		return repo_gerr(cause, "cannot read tree %s",
		    git_tree_entry_name(e));
	return 0;
}

/* Root tree of REV, or NULL for NULL/"" when empty_ok (the empty tree). */
static int
repo_rev_tree(struct repo *r, const char *rev, int empty_ok, git_tree **out,
    char **cause)
{
	*out = NULL;
	if (empty_ok && (rev == NULL || *rev == '\0'))
		return 0;
	return repo_get_tree(r, rev, out, cause);
}

/*
 * Compare trees a and b (either may be NULL), descending only into
 * subtrees whose ids differ, so the cost follows the size of the change.
 * path holds the directory prefix ("" or "dir/") and is restored.
 */
int
repo_tdiff(struct repo *r, const git_tree *a, const git_tree *b,
    struct buf *path, repo_tdiff_cb cb, void *arg, char **cause)
{
	const git_tree_entry *ea, *eb, *fa, *fb;
	git_tree *sa = NULL, *sb = NULL;
	const char **names;
	size_t n, i, base = path->len;
	int rc = 0;

	names = repo_union_names(a, b, &n);
	for (i = 0; i < n && rc == 0; i++) {
		ea = a != NULL ? git_tree_entry_byname(a, names[i]) : NULL;
		eb = b != NULL ? git_tree_entry_byname(b, names[i]) : NULL;
		if (repo_same(ea, eb))
			continue;
		path->len = base;
		buf_adds(path, names[i]);
		fa = ea != NULL && !repo_is_tree(ea) ? ea : NULL;
		fb = eb != NULL && !repo_is_tree(eb) ? eb : NULL;
		if (!repo_is_tree(ea) && !repo_is_tree(eb)) {
			rc = cb(arg, path->data, fa, fb);
			continue;
		}
		/* A file that becomes a directory goes first, and back. */
		if (fa != NULL && (rc = cb(arg, path->data, fa, NULL)) != 0)
			break;
		if (repo_load(r, ea, &sa, cause) != 0 ||
		    repo_load(r, eb, &sb, cause) != 0) {
			rc = -1;
			break;
		}
		buf_addc(path, '/');
		rc = repo_tdiff(r, sa, sb, path, cb, arg, cause);
		git_tree_free(sa);
		git_tree_free(sb);
		sa = sb = NULL;
		path->len = base;
		buf_adds(path, names[i]);
		if (rc == 0 && fb != NULL)
			rc = cb(arg, path->data, NULL, fb);
	}
	git_tree_free(sa);
	git_tree_free(sb);
	path->len = base;
	if (path->data != NULL)
		path->data[base] = '\0';
	free(names);
	return rc;
}

/* Subtree certs/ of root (NULL if root is NULL or has none). */
static int
repo_certs(struct repo *r, const git_tree *root, git_tree **out,
    char **cause)
{
	*out = NULL;
	if (root == NULL)
		return 0;
	return repo_load(r, git_tree_entry_byname(root, "certs"), out, cause);
}

int
repo_diff_entries(struct repo *r, const char *from, const char *to,
    repo_entry_cb cb, void *arg, char **cause)
{
	git_tree *froot = NULL, *troot = NULL, *fc = NULL, *tc = NULL;
	git_tree *fs = NULL, *ts = NULL, *et = NULL;
	const git_tree_entry *a, *b;
	const char **shards = NULL, **names = NULL;
	struct repo_entry re;
	size_t ns, nn, i, j;
	int rc = -1;

	if (repo_rev_tree(r, from, 1, &froot, cause) != 0 ||
	    repo_rev_tree(r, to, 0, &troot, cause) != 0 ||
	    repo_certs(r, froot, &fc, cause) != 0 ||
	    repo_certs(r, troot, &tc, cause) != 0)
		goto out;
	if (fc != NULL && tc != NULL &&
	    git_oid_equal(git_tree_id(fc), git_tree_id(tc))) {
		rc = 0;
		goto out;
	}

	/*
	 * The fixed shape certs/<shard>/<name>/: compare shard trees by id,
	 * and names only inside the shards that differ.
	 */
	shards = repo_union_names(fc, tc, &ns);
	for (i = 0; i < ns; i++) {
		a = fc != NULL ? git_tree_entry_byname(fc, shards[i]) : NULL;
		b = tc != NULL ? git_tree_entry_byname(tc, shards[i]) : NULL;
		if (repo_same(a, b) || (!repo_is_tree(a) && !repo_is_tree(b)))
			continue;
		if (repo_load(r, a, &fs, cause) != 0 ||
		    repo_load(r, b, &ts, cause) != 0)
			goto out;
		names = repo_union_names(fs, ts, &nn);
		for (j = 0; j < nn; j++) {
			a = fs != NULL ? git_tree_entry_byname(fs, names[j]) :
			    NULL;
			b = ts != NULL ? git_tree_entry_byname(ts, names[j]) :
			    NULL;
			if (repo_same(a, b) ||
			    (!repo_is_tree(a) && !repo_is_tree(b)))
				continue;
			if (repo_load(r, b, &et, cause) != 0)
				goto out;
			re.shard = shards[i];
			re.name = names[j];
			repo_entry_blobs(et, &re);
			git_tree_free(et);
			et = NULL;
			if ((rc = cb(arg, &re)) != 0)
				goto out;
		}
		free(names);
		names = NULL;
		git_tree_free(fs);
		git_tree_free(ts);
		fs = ts = NULL;
	}
	rc = 0;

out:
	free(names);
	free(shards);
	git_tree_free(et);
	git_tree_free(ts);
	git_tree_free(fs);
	git_tree_free(tc);
	git_tree_free(fc);
	git_tree_free(troot);
	git_tree_free(froot);
	return rc;
}

/* The id of what is at prefix in tree (zero if nothing is there). */
static int
repo_prefix_id(const git_tree *tree, const char *prefix, git_oid *id,
    char **cause)
{
	git_tree_entry *te = NULL;
	int e;

	memset(id, 0, sizeof *id);
	if (tree == NULL)
		return 0;
	e = git_tree_entry_bypath(&te, tree, prefix);
	if (e == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (e != 0)
		return repo_gerr(cause, "cannot look up %s", prefix);
	git_oid_cpy(id, git_tree_entry_id(te));
	git_tree_entry_free(te);
	return 0;
}

/*
 * What a commit has at the log's path prefix: the walk usually goes from
 * a commit to its first parent, so the parent's answer is kept for the
 * next step.
 */
struct repo_memo {
	int		 valid;
	git_oid		 commit;
	git_oid		 id;
};

/* Does the commit change what is at prefix, compared to its first parent? */
static int
repo_touches(struct repo *r, git_commit *c, const char *prefix,
    struct repo_memo *memo, char **cause)
{
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_oid a, b;
	int rc = -1;

	if (memo->valid && git_oid_equal(&memo->commit, git_commit_id(c)))
		git_oid_cpy(&a, &memo->id);
	else {
		if (git_commit_tree(&tree, c) != 0) {
			repo_gerr(cause, "cannot read a commit's tree");
			goto out;
		}
		if (repo_prefix_id(tree, prefix, &a, cause) != 0)
			goto out;
		git_tree_free(tree);
		tree = NULL;
	}
	memset(&b, 0, sizeof b);
	memo->valid = 0;
	if (git_commit_parentcount(c) != 0) {
		if (git_commit_parent(&parent, c, 0) != 0 ||
		    git_commit_tree(&tree, parent) != 0) {
			repo_gerr(cause, "cannot read a parent commit");
			goto out;
		}
		if (repo_prefix_id(tree, prefix, &b, cause) != 0)
			goto out;
		memo->valid = 1;
		git_oid_cpy(&memo->commit, git_commit_id(parent));
		git_oid_cpy(&memo->id, &b);
	}
	rc = !git_oid_equal(&a, &b);

out:
	git_tree_free(tree);
	git_commit_free(parent);
	return rc;
}

int
repo_log(struct repo *r, const char *path_prefix, size_t limit,
    repo_log_cb cb, void *arg, char **cause)
{
	git_message_trailer_array tr;
	struct repo_memo memo;
	git_revwalk *walk = NULL;
	git_commit *c = NULL;
	const git_signature *au;
	struct repo_commit rc_;
	struct buf subject, body;
	const char **keys = NULL, **values = NULL, *msg, *nl, *p;
	char *prefix = NULL;
	git_oid id;
	size_t count = 0, i, len;
	int e, rc = -1, have_tr = 0;

	buf_init(&subject);
	buf_init(&body);
	memset(&tr, 0, sizeof tr);
	memset(&memo, 0, sizeof memo);
	if (path_prefix != NULL && *path_prefix != '\0') {
		prefix = xstrdup(path_prefix);
		len = strlen(prefix);
		while (len > 0 && prefix[len - 1] == '/')
			prefix[--len] = '\0';
		if (len == 0) {
			free(prefix);
			prefix = NULL;
		}
	}

	if (git_revwalk_new(&walk, r->git) != 0) {
		repo_gerr(cause, "cannot walk the history");
		goto out;
	}
	if (git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME)
	    != 0) {
		repo_gerr(cause, "cannot walk the history");
		goto out;
	}
	/* push_head says only -1 for an unborn HEAD: ask first. */
	if ((e = git_repository_head_unborn(r->git)) == 1) {
		rc = 0;
		goto out;
	}
	if (e < 0) {
		repo_gerr(cause, "cannot read HEAD");
		goto out;
	}
	if (git_revwalk_push_head(walk) != 0) {
		repo_gerr(cause, "cannot walk the history from HEAD");
		goto out;
	}

	for (;;) {
		e = git_revwalk_next(&id, walk);
		if (e == GIT_ITEROVER) {
			git_error_clear();
			break;
		}
		if (e != 0) {
			repo_gerr(cause, "cannot walk the history");
			goto out;
		}
		if (git_commit_lookup(&c, r->git, &id) != 0) {
			repo_gerr(cause, "cannot read a commit");
			goto out;
		}
		if (prefix != NULL) {
			if ((e = repo_touches(r, c, prefix, &memo, cause)) < 0)
				goto out;
			if (e == 0) {
				git_commit_free(c);
				c = NULL;
				continue;
			}
		}

		memset(&rc_, 0, sizeof rc_);
		repo_hex(rc_.id, &id);
		au = git_commit_author(c);
		rc_.time = (int64_t)au->when.time;
		rc_.tz_offset = au->when.offset;
		rc_.author_name = au->name;
		rc_.author_email = au->email;

		/* Subject: the first line. Body: after the blank line(s). */
		msg = git_commit_message(c);
		if (msg == NULL)
			msg = "";
		nl = strchr(msg, '\n');
		buf_reset(&subject);
		buf_add(&subject, msg, nl != NULL ? (size_t)(nl - msg) :
		    strlen(msg));
		buf_reset(&body);
		if (nl != NULL) {
			for (p = nl + 1; *p == '\n'; p++)
				;
			len = strlen(p);
			while (len > 0 && (p[len - 1] == '\n' ||
			    p[len - 1] == ' '))
				len--;
			buf_add(&body, p, len);
		}
		rc_.subject = subject.data != NULL ? subject.data : "";
		rc_.body = body.data != NULL ? body.data : "";

		if (git_message_trailers(&tr, msg) != 0) {
			repo_gerr(cause, "cannot parse the trailers of %s",
			    rc_.id);
			goto out;
		}
		have_tr = 1;
		keys = xreallocarray(NULL, tr.count + 1, sizeof *keys);
		values = xreallocarray(NULL, tr.count + 1, sizeof *values);
		for (i = 0; i < tr.count; i++) {
			keys[i] = tr.trailers[i].key;
			values[i] = tr.trailers[i].value;
		}
		rc_.ntrailers = tr.count;
		rc_.trailer_keys = keys;
		rc_.trailer_values = values;

		e = cb(arg, &rc_);

		free(keys);
		free(values);
		keys = values = NULL;
		git_message_trailer_array_free(&tr);
		have_tr = 0;
		git_commit_free(c);
		c = NULL;
		if (e != 0) {
			rc = e;
			goto out;
		}
		if (limit != 0 && ++count >= limit)
			break;
	}
	rc = 0;

out:
	free(keys);
	free(values);
	if (have_tr)
		git_message_trailer_array_free(&tr);
	git_commit_free(c);
	git_revwalk_free(walk);
	free(prefix);
	buf_free(&body);
	buf_free(&subject);
	return rc;
}

/* What repo_commit_diff's print callback passes on. */
struct repo_print {
	repo_diff_cb	 cb;
	void		*arg;
	int		 rc;	/* the callback's non-zero value */
};

/* Split content into lines (a file header holds several). */
static int
repo_print_lines(struct repo_print *p, enum repo_diff_line kind, char origin,
    const char *s, size_t len)
{
	struct buf one;
	const char *nl;
	size_t n;
	int rc = 0;

	buf_init(&one);
	while (len > 0 && rc == 0) {
		nl = memchr(s, '\n', len);
		n = nl != NULL ? (size_t)(nl - s) : len;
		buf_reset(&one);
		if (origin != '\0')
			buf_addc(&one, origin);
		buf_add(&one, s, n);
		rc = p->cb(p->arg, kind, one.data, one.len);
		if (nl == NULL)
			break;
		s += n + 1;
		len -= n + 1;
	}
	buf_free(&one);
	return rc;
}

static int
repo_print_cb(const git_diff_delta *delta, const git_diff_hunk *hunk,
    const git_diff_line *line, void *payload)
{
	struct repo_print *p = payload;
	enum repo_diff_line kind;
	char origin = '\0';
	const char *s = line->content;
	size_t len = line->content_len;

	(void)delta;
	(void)hunk;
	switch (line->origin) {
	case GIT_DIFF_LINE_FILE_HDR:
		kind = REPO_DIFF_FILE;
		break;
	case GIT_DIFF_LINE_HUNK_HDR:
		kind = REPO_DIFF_HUNK;
		break;
	case GIT_DIFF_LINE_ADDITION:
	case GIT_DIFF_LINE_DELETION:
	case GIT_DIFF_LINE_CONTEXT:
		kind = line->origin == GIT_DIFF_LINE_ADDITION ? REPO_DIFF_ADD :
		    line->origin == GIT_DIFF_LINE_DELETION ? REPO_DIFF_DEL :
		    REPO_DIFF_CONTEXT;
		origin = line->origin;
		/* One line, even if it holds a stray newline of its own. */
		if (len > 0 && s[len - 1] == '\n')
			len--;
		p->rc = repo_print_lines(p, kind, origin, s, len);
		return p->rc;
	default:
		/* The end-of-file newline markers begin with a newline. */
		kind = REPO_DIFF_NOTE;
		while (len > 0 && *s == '\n') {
			s++;
			len--;
		}
		break;
	}
	p->rc = repo_print_lines(p, kind, origin, s, len);
	return p->rc;
}

int
repo_commit_diff(struct repo *r, const char *commit, repo_diff_cb cb,
    void *arg, char **cause)
{
	git_diff_options opts;
	struct repo_print p = { cb, arg, 0 };
	git_commit *c = NULL, *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	git_diff *diff = NULL;
	int e, rc = -1;

	if (commit == NULL)
		return set_cause(cause, "no commit given");
	if (git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION) != 0)
		return repo_gerr(cause, "cannot diff %s", commit);
	if (repo_get_commit(r, commit, &c, cause) != 1)
		goto out;
	if (git_commit_tree(&tree, c) != 0) {
		repo_gerr(cause, "cannot read the tree of %s", commit);
		goto out;
	}
	if (git_commit_parentcount(c) > 0 &&
	    (git_commit_parent(&parent, c, 0) != 0 ||
	    git_commit_tree(&ptree, parent) != 0)) {
		repo_gerr(cause, "cannot read the parent of %s", commit);
		goto out;
	}
	if (git_diff_tree_to_tree(&diff, r->git, ptree, tree, &opts) != 0) {
		repo_gerr(cause, "cannot diff %s", commit);
		goto out;
	}
	e = git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, repo_print_cb, &p);
	if (e != 0 && p.rc != 0) {
		/* The callback's own value, as documented. */
		git_error_clear();
		rc = p.rc;
		goto out;
	}
	if (e != 0) {
		repo_gerr(cause, "cannot print the diff of %s", commit);
		goto out;
	}
	rc = 0;
out:
	git_diff_free(diff);
	git_tree_free(ptree);
	git_tree_free(tree);
	git_commit_free(parent);
	git_commit_free(c);
	return rc;
}

/* repo_revert_changes collects here. */
struct repo_revert {
	struct repo		*r;
	struct repo_change	*ch;
	size_t			 n, cap;
	char			**cause;
};

static int
repo_revert_path(void *arg, const char *path, const git_tree_entry *now,
    const git_tree_entry *before)
{
	struct repo_revert *rv = arg;
	struct repo_change *c;
	git_blob *blob = NULL;
	size_t size = 0;
	char *data = NULL;

	(void)now;
	if (before != NULL) {
		if (git_blob_lookup(&blob, rv->r->git,
		    git_tree_entry_id(before)) != 0)
			return repo_gerr(rv->cause, "cannot read %s", path);
		size = (size_t)git_blob_rawsize(blob);
		data = xmalloc(size + 1);
		if (size != 0)
			memcpy(data, git_blob_rawcontent(blob), size);
		data[size] = '\0';
		git_blob_free(blob);
	}
	if (rv->n == rv->cap) {
		rv->cap = rv->cap ? rv->cap * 2 : 8;
		rv->ch = xreallocarray(rv->ch, rv->cap, sizeof *rv->ch);
	}
	c = &rv->ch[rv->n++];
	c->path = xstrdup(path);
	c->data = data;
	c->len = data != NULL ? size : 0;
	return 0;
}

int
repo_revert_changes(struct repo *r, const char *commit,
    struct repo_change **out, size_t *n, char **cause)
{
	struct repo_revert rv;
	git_commit *c = NULL, *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	struct buf path;
	int rc = -1;

	*out = NULL;
	*n = 0;
	memset(&rv, 0, sizeof rv);
	rv.r = r;
	rv.cause = cause;
	buf_init(&path);
	if (commit == NULL)
		return set_cause(cause, "no commit given");
	if (repo_get_commit(r, commit, &c, cause) != 1)
		goto out;
	if (git_commit_parentcount(c) == 0) {
		rc = 0;
		goto out;
	}
	if (git_commit_tree(&tree, c) != 0 ||
	    git_commit_parent(&parent, c, 0) != 0 ||
	    git_commit_tree(&ptree, parent) != 0) {
		repo_gerr(cause, "cannot read %s and its parent", commit);
		goto out;
	}
	/* Our own tree diff: its cost follows the size of the change. */
	buf_adds(&path, "");
	if (repo_tdiff(r, tree, ptree, &path, repo_revert_path, &rv,
	    cause) != 0)
		goto out;
	*out = rv.ch;
	*n = rv.n;
	rv.ch = NULL;
	rv.n = 0;
	rc = 1;
out:
	repo_changes_free(rv.ch, rv.n);
	buf_free(&path);
	git_tree_free(ptree);
	git_tree_free(tree);
	git_commit_free(parent);
	git_commit_free(c);
	return rc;
}

void
repo_changes_free(struct repo_change *ch, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)ch[i].path);
		free((void *)ch[i].data);
	}
	free(ch);
}

int
repo_check_worktree(struct repo *r, repo_dirty_cb cb, void *arg,
    char **cause)
{
	git_status_options so;
	git_status_list *list = NULL;
	const git_status_entry *s;
	const char *path, *what;
	size_t i, n;
	int rc = -1;

	/* Tracked files only: no untracked scan (.certdeck/ is local). */
	if (git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION) != 0)
		return repo_gerr(cause, "cannot read the work tree status");
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&list, r->git, &so) != 0) {
		repo_gerr(cause, "cannot compare the work tree with HEAD");
		goto out;
	}
	n = git_status_list_entrycount(list);
	for (i = 0; i < n; i++) {
		s = git_status_byindex(list, i);
		if (s->status & GIT_STATUS_WT_DELETED)
			what = "deleted";
		else if (s->status & (GIT_STATUS_WT_MODIFIED |
		    GIT_STATUS_WT_TYPECHANGE | GIT_STATUS_WT_RENAMED))
			what = "modified";
		else if (s->status & (GIT_STATUS_INDEX_NEW |
		    GIT_STATUS_INDEX_MODIFIED | GIT_STATUS_INDEX_DELETED |
		    GIT_STATUS_INDEX_RENAMED | GIT_STATUS_INDEX_TYPECHANGE |
		    GIT_STATUS_CONFLICTED))
			what = "staged";
		else
			continue;
		path = NULL;
		if (s->index_to_workdir != NULL)
			path = s->index_to_workdir->old_file.path;
		if (path == NULL && s->head_to_index != NULL)
			path = s->head_to_index->new_file.path != NULL ?
			    s->head_to_index->new_file.path :
			    s->head_to_index->old_file.path;
		if (path == NULL)
			continue;
		if ((rc = cb(arg, path, what)) != 0)
			goto out;
	}
	rc = 0;

out:
	git_status_list_free(list);
	return rc;
}

/* State of one repo_sync_worktree run, for its per-path callback. */
struct repo_sync {
	struct repo	*r;
	struct repo_ix	 ix;
	struct buf	 full;
	git_tree	*also;		/* blobs that count as old too */
	repo_dirty_cb	 cb;
	void		*arg;
	char		**cause;
};

/* A regular file in a tree (links and submodules are not ours to sync). */
static int
repo_is_file(const git_tree_entry *e)
{
	return e != NULL &&
	    (git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB ||
	    git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB_EXECUTABLE);
}

/* The work tree file (its blob id wt_id) is path's file in tree t. */
static int
repo_in_tree(git_tree *t, const char *path, const git_oid *wt_id)
{
	git_tree_entry *e = NULL;
	int same;

	if (t == NULL)
		return 0;
	if (git_tree_entry_bypath(&e, t, path) != 0) {
		git_error_clear();
		return 0;
	}
	same = repo_is_file(e) && git_oid_equal(wt_id, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return same;
}

static int
repo_sync_path(void *arg, const char *path, const git_tree_entry *old,
    const git_tree_entry *new_)
{
	struct repo_sync *s = arg;
	struct repo *r = s->r;
	git_blob *blob = NULL;
	enum repo_wt state;
	git_oid wt_id;
	int rc;

	if (!repo_is_file(old))
		old = NULL;
	if (!repo_is_file(new_))
		new_ = NULL;
	if (old == NULL && new_ == NULL)
		return 0;
	if (repo_wt_state(r, path, &s->full, &wt_id, &state, s->cause) != 0)
		return -1;

	/* Already the new content: only .git/index may need to say so. */
	if (new_ != NULL && state == REPO_WT_FILE &&
	    git_oid_equal(&wt_id, git_tree_entry_id(new_)))
		return repo_index_put(r, &s->ix, path, s->full.data,
		    git_tree_entry_id(new_), NULL, s->cause);

	/* The old content, or nothing: safe to bring forward. */
	if ((old != NULL && state == REPO_WT_FILE &&
	    git_oid_equal(&wt_id, git_tree_entry_id(old))) ||
	    (state == REPO_WT_FILE && repo_in_tree(s->also, path, &wt_id)) ||
	    state == REPO_WT_ABSENT ||
	    (state == REPO_WT_BLOCKED && new_ == NULL)) {
		if (new_ == NULL) {
			if (repo_wt_remove(r, path, &s->full, s->cause) != 0)
				return -1;
			return repo_index_del(r, &s->ix, path, s->cause);
		}
		if (git_blob_lookup(&blob, r->git,
		    git_tree_entry_id(new_)) != 0)
			return repo_gerr(s->cause, "cannot read %s", path);
		rc = repo_wt_write(r, s->full.data, git_blob_rawcontent(blob),
		    (size_t)git_blob_rawsize(blob), s->cause);
		git_blob_free(blob);
		if (rc != 0)
			return -1;
		return repo_index_put(r, &s->ix, path, s->full.data,
		    git_tree_entry_id(new_), NULL, s->cause);
	}

	/* Neither old nor new: edited by hand. Leave it, report it. */
	return s->cb != NULL ? s->cb(s->arg, path, "modified") : 0;
}

int
repo_rev_readable(struct repo *r, const char *rev)
{
	git_tree *t = NULL;
	char *err = NULL;

	if (repo_get_tree(r, rev, &t, &err) != 0) {
		free(err);
		return 0;
	}
	git_tree_free(t);
	return 1;
}

int
repo_sync_worktree(struct repo *r, const char *from, const char *also,
    const char *to, repo_dirty_cb cb, void *arg, char **cause)
{
	struct repo_sync s;
	git_tree *ft = NULL, *tt = NULL;
	struct buf path;
	char *err = NULL;
	int rc = -1;

	buf_init(&path);
	memset(&s, 0, sizeof s);
	buf_init(&s.full);
	s.r = r;
	s.cb = cb;
	s.arg = arg;
	s.cause = cause;
	if (repo_rev_tree(r, from, 1, &ft, cause) != 0 ||
	    repo_rev_tree(r, to, 0, &tt, cause) != 0)
		goto out;
	if (ft != NULL && tt != NULL &&
	    git_oid_equal(git_tree_id(ft), git_tree_id(tt))) {
		rc = 0;
		goto out;
	}
	/* Gone also means only "no help": from and to say what to do. */
	if (also != NULL && repo_rev_tree(r, also, 1, &s.also, &err) != 0)
		free(err);
	if (repo_index_get(r, &s.ix, cause) != 0)
		goto out;
	buf_adds(&path, "");
	rc = repo_tdiff(r, ft, tt, &path, repo_sync_path, &s, cause);

	/* Whatever was done to the work tree is recorded, once. */
	if (repo_index_flush(r, rc == -1 ? NULL : cause) != 0)
		rc = -1;

out:
	repo_index_done(r, &s.ix);
	git_tree_free(s.also);
	git_tree_free(tt);
	git_tree_free(ft);
	buf_free(&s.full);
	buf_free(&path);
	return rc;
}

void
repo_hash_blob(const void *data, size_t len, char out[REPO_OID_HEX])
{
	git_oid id;

	/* No repository needed; cheap when one is open (refcounted init). */
	git_libgit2_init();
	if (git_odb_hash(&id, data, len, GIT_OBJECT_BLOB) == 0)
		repo_hex(out, &id);
	else {
		git_error_clear();
		out[0] = '\0';
	}
	git_libgit2_shutdown();
}

char *
repo_config_get(struct repo *r, const char *key)
{
	git_config *cfg = NULL;
	git_buf b = GIT_BUF_INIT;
	char *value = NULL;

	if (git_repository_config(&cfg, r->git) != 0) {
		git_error_clear();
		return NULL;
	}
	if (git_config_get_string_buf(&b, cfg, key) == 0)
		value = xstrdup(b.ptr != NULL ? b.ptr : "");
	else
		git_error_clear();
	git_buf_dispose(&b);
	git_config_free(cfg);
	return value;
}
