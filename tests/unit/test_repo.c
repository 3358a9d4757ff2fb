/*
 * test_repo.c: store/repo.c on real repositories in a scratch directory,
 * checked with the real git command as well as through the API.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"
#include "repo.h"

/* One inventory per test, in its own scratch directory. */
struct fx {
	char		*tmp;
	char		*dir;		/* the inventory's work tree */
	struct repo	*r;
};

static int64_t fake_now;

static int64_t
fake_clock(void)
{
	return fake_now;
}

/* Commits made in this file say when they were made: fake_now, +60 s each. */
static int64_t
tick(void)
{
	fake_now += 60;
	return fake_now;
}

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof *fx);
	char *cause = NULL;

	fx->tmp = tu_tmpdir();
	fx->dir = xasprintf("%s/inv", fx->tmp);
	if (repo_create(fx->dir, &cause) != 0 ||
	    repo_open(fx->dir, &fx->r, &cause) != 0) {
		fprintf(stderr, "setup: %s\n", cause);
		free(cause);
		return -1;
	}
	fake_now = 1700000000;
	repo_set_clock(fx->r, fake_clock);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	repo_close(fx->r);
	tu_rmdir(fx->tmp);
	free(fx->dir);
	free(fx->tmp);
	free(fx);
	return 0;
}

/* Run git in dir; returns its stdout with the last newline cut (caller frees). */
#define GIT(dir, ...) git_out(tu_run((dir), &git_buf_, "git", __VA_ARGS__, \
	(char *)NULL), #__VA_ARGS__)
static char *git_buf_;

static char *
git_out(int status, const char *what)
{
	char *s = git_buf_;
	size_t n;

	git_buf_ = NULL;
	if (status != 0) {
		fprintf(stderr, "git %s: exit %d\n", what, status);
		free(s);
		fail();
	}
	if (s == NULL)
		s = xstrdup("");
	n = strlen(s);
	if (n > 0 && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}

/* Exit status of a git command (stdout discarded). */
#define GIT_RC(dir, ...) tu_run((dir), NULL, "git", __VA_ARGS__, (char *)NULL)

#define assert_git_eq(want, dir, ...) do {				\
	char *got_ = GIT(dir, __VA_ARGS__);				\
	assert_string_equal(got_, want);				\
	free(got_);							\
} while (0)

static void
assert_clean(const char *dir)
{
	assert_int_equal(GIT_RC(dir, "fsck", "--strict", "--no-progress"), 0);
	assert_git_eq("", dir, "status", "--porcelain");
}

static struct repo_change
ch(const char *path, const char *data)
{
	struct repo_change c;

	c.path = path;
	c.data = data;
	c.len = data != NULL ? strlen(data) : 0;
	return c;
}

static void
commit_ok(struct fx *fx, const struct repo_change *c, size_t n,
    const char *msg, char out[REPO_OID_HEX])
{
	char *cause = NULL;

	tick();
	if (repo_commit(fx->r, c, n, msg, out, &cause) != 0) {
		fprintf(stderr, "repo_commit: %s\n", cause);
		free(cause);
		fail();
	}
}

static void
commit_fails(struct fx *fx, const struct repo_change *c, size_t n,
    const char *want)
{
	char *cause = NULL, out[REPO_OID_HEX];

	tick();
	assert_int_equal(repo_commit(fx->r, c, n, "refused", out, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL) {
		fprintf(stderr, "cause \"%s\" lacks \"%s\"\n", cause, want);
		fail();
	}
	free(cause);
}

/* Work tree file contents, or NULL if missing (caller frees). */
static char *
wt_read(struct fx *fx, const char *path)
{
	char *full = xasprintf("%s/%s", fx->dir, path), *data = NULL;
	size_t len;

	if (read_file(full, 1 << 20, &data, &len, NULL) != 0)
		data = NULL;
	free(full);
	return data;
}

static void
wt_write(struct fx *fx, const char *path, const char *data)
{
	char *full = xasprintf("%s/%s", fx->dir, path), *dir;

	dir = xstrdup(full);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755), 0);
	assert_int_equal(write_file_atomic(full, data, strlen(data), 0644,
	    NULL), 0);
	free(dir);
	free(full);
}

static int
wt_exists(struct fx *fx, const char *path)
{
	char *full = xasprintf("%s/%s", fx->dir, path);
	struct stat st;
	int rc = lstat(full, &st) == 0;

	free(full);
	return rc;
}

static void
assert_wt(struct fx *fx, const char *path, const char *want)
{
	char *got = wt_read(fx, path);

	if (want == NULL)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
	free(got);
}

static char *
head(struct fx *fx)
{
	char id[REPO_OID_HEX], *cause = NULL;

	assert_int_equal(repo_head(fx->r, id, &cause), 1);
	return xstrdup(id);
}

/* ------------------------------------------------------------------ */

static int
count_cb(void *arg, const struct repo_entry *e)
{
	(*(int *)arg)++;
	return 0;
}

static int
count_log_cb(void *arg, const struct repo_commit *c)
{
	(*(int *)arg)++;
	return 0;
}

static void
test_create_and_first_commit(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[3];
	struct repo *r2 = NULL;
	struct stat st;
	char *cause = NULL, id[REPO_OID_HEX], blob[REPO_OID_HEX], *s, *path;
	char *data = NULL;
	size_t len;
	int n = 0;

	/* A second create on the same directory is refused. */
	assert_int_equal(repo_create(fx->dir, &cause), -1);
	assert_non_null(strstr(cause, "already"));
	free(cause);
	cause = NULL;
	/* Open wants the top of the work tree, exactly. */
	path = xasprintf("%s/.git", fx->dir);
	assert_int_equal(repo_open(path, &r2, &cause), -1);
	assert_null(r2);
	free(cause);
	cause = NULL;
	free(path);
	assert_string_equal(repo_workdir(fx->r), fx->dir);

	/* Unborn: no HEAD, no history, no entries, nothing to read. */
	assert_git_eq("refs/heads/main", fx->dir, "symbolic-ref", "HEAD");
	assert_int_equal(repo_head(fx->r, id, &cause), 0);
	assert_int_equal(repo_log(fx->r, NULL, 0, count_log_cb, &n, &cause), 0);
	assert_int_equal(repo_walk_entries(fx->r, NULL, count_cb, &n, &cause),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(repo_read(fx->r, NULL, "certdeck.conf", &data, &len,
	    NULL, &cause), 0);
	assert_null(cause);

	c[0] = ch("certdeck.conf", "warning = 30d\n");
	c[1] = ch("certs/ab/one/cert.pem", "PEM one\n");
	c[2] = ch("certs/ab/one/entry", "owner = ops\n");
	commit_ok(fx, c, 3, "import one\n\nCertdeck-Action: import\n", id);

	s = head(fx);
	assert_string_equal(s, id);
	free(s);
	assert_git_eq(id, fx->dir, "rev-parse", "HEAD");
	assert_git_eq(id, fx->dir, "rev-parse", "main");
	/* A root commit: no parent. */
	assert_git_eq(id, fx->dir, "rev-list", "--parents", "HEAD");
	assert_git_eq("import one", fx->dir, "log", "-1", "--format=%s");
	assert_git_eq("PEM one", fx->dir, "cat-file", "-p",
	    "HEAD:certs/ab/one/cert.pem");
	assert_git_eq("100644 blob", fx->dir, "ls-tree", "--format=%(objectmode) %(objecttype)",
	    "HEAD", "certdeck.conf");
	assert_clean(fx->dir);

	/* The work tree holds the files, mode 0644. */
	assert_wt(fx, "certs/ab/one/entry", "owner = ops\n");
	path = xasprintf("%s/certs/ab/one/cert.pem", fx->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	free(path);

	/* Reading back, by path and by blob id. */
	assert_int_equal(repo_read(fx->r, NULL, "certs/ab/one/cert.pem", &data,
	    &len, blob, &cause), 1);
	assert_int_equal(len, strlen("PEM one\n"));
	assert_string_equal(data, "PEM one\n");
	free(data);
	assert_git_eq(blob, fx->dir, "rev-parse", "HEAD:certs/ab/one/cert.pem");
	assert_int_equal(repo_blob(fx->r, blob, &data, &len, &cause), 0);
	assert_string_equal(data, "PEM one\n");
	free(data);
	repo_hash_blob("PEM one\n", 8, id);
	assert_string_equal(id, blob);
	assert_int_equal(repo_read(fx->r, id, "certs/ab/one", &data, &len,
	    NULL, &cause), -1);	/* a blob id is not a commit */
	free(cause);
	cause = NULL;
	assert_int_equal(repo_read(fx->r, "HEAD", "certs/zz", &data, &len,
	    NULL, &cause), 0);
	assert_int_equal(repo_blob(fx->r, "1234", &data, &len, &cause), -1);
	free(cause);
	cause = NULL;

	/* The lock lives in .certdeck/, which git status does not show. */
	assert_int_equal(repo_lock(fx->r, 0, &cause), 0);
	assert_clean(fx->dir);
	repo_unlock(fx->r);
}

/* A file at HEAD is read through its tree, not the commit whole (a bulk
   import's message is megabytes): from a loose commit object, and from
   a packed one (libgit2 streams only loose objects), as HEAD moves. */
static void
test_read_head(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[1];
	struct buf msg;
	char id[REPO_OID_HEX], *data = NULL, *cause = NULL;
	size_t len, i, quick;

	buf_init(&msg);
	buf_adds(&msg, "import many\n\n");
	for (i = 0; i < 20000; i++)
		buf_printf(&msg, "add host-%06zu: a line of the body\n", i);
	c[0] = ch("certdeck.conf", "warning-days = 30\n");
	commit_ok(fx, c, 1, msg.data, id);
	buf_free(&msg);
	quick = repo_stats_quick_trees();
	assert_int_equal(repo_read(fx->r, NULL, "certdeck.conf", &data, &len,
	    NULL, &cause), 1);
	assert_string_equal(data, "warning-days = 30\n");
	free(data);
	assert_int_equal(repo_stats_quick_trees(), quick + 1);	/* loose */

	assert_int_equal(GIT_RC(fx->dir, "gc", "-q"), 0);
	assert_git_eq("0 objects, 0 kilobytes", fx->dir, "count-objects");
	assert_int_equal(repo_read(fx->r, NULL, "certdeck.conf", &data, &len,
	    NULL, &cause), 1);
	assert_string_equal(data, "warning-days = 30\n");
	free(data);
	assert_int_equal(repo_stats_quick_trees(), quick + 1);	/* packed */

	c[0] = ch("certdeck.conf", "warning-days = 40\n");
	commit_ok(fx, c, 1, "set\n", id);
	quick = repo_stats_quick_trees();
	assert_int_equal(repo_read(fx->r, NULL, "certdeck.conf", &data, &len,
	    NULL, &cause), 1);
	assert_string_equal(data, "warning-days = 40\n");
	free(data);
	assert_int_equal(repo_stats_quick_trees(), quick + 1);
	assert_int_equal(repo_read(fx->r, NULL, "no/such", &data, &len,
	    NULL, &cause), 0);
	assert_null(cause);
}

/*
 * New directories are staged whole when they can be: one with both a
 * subdirectory and a file, the subdirectory's files sorting first (so
 * the directory cannot be one piece), dot-named files and directories,
 * a new directory of new directories (certs/cd, new/ and gr/, staged as
 * one), one of them beside a directory the work tree has (certs/ab); all
 * in place, .git/index exact (diff-files, which does not refresh, finds
 * nothing).
 */
static void
test_commit_new_dirs(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[16];
	char a[REPO_OID_HEX];
	size_t limit;

	c[0] = ch("certs/ab/one/cert.pem", "one\n");
	commit_ok(fx, c, 1, "A", a);
	tick();
	c[0] = ch("newd/b/x", "x\n");
	c[1] = ch("newd/b/y", "y\n");
	c[2] = ch("newd/c", "c\n");
	c[3] = ch("other/a/.dot", "dot\n");
	c[4] = ch("other/b", "b\n");
	c[5] = ch("certs/cd/two/cert.pem", "two\n");
	c[6] = ch("certs/cd/two/entry", "owner = b\n");
	c[7] = ch("certs/cd/three/cert.pem", "three\n");
	c[8] = ch("certs/ab/four/cert.pem", "four\n");
	c[9] = ch("new/x/a", "xa\n");
	c[10] = ch("new/x/b", "xb\n");
	c[11] = ch("new/y/a", "ya\n");
	c[12] = ch("new/y-z/a", "yza\n");
	c[13] = ch("dot/.h/a", "ha\n");
	c[14] = ch("dot/i/a", "ia\n");
	c[15] = ch("gr/a/b/c", "deep\n");
	commit_ok(fx, c, 16, "B", a);
	assert_wt(fx, "newd/b/x", "x\n");
	assert_wt(fx, "newd/b/y", "y\n");
	assert_wt(fx, "newd/c", "c\n");
	assert_wt(fx, "other/a/.dot", "dot\n");
	assert_wt(fx, "other/b", "b\n");
	assert_wt(fx, "certs/cd/two/entry", "owner = b\n");
	assert_wt(fx, "certs/cd/three/cert.pem", "three\n");
	assert_wt(fx, "certs/ab/four/cert.pem", "four\n");
	assert_wt(fx, "new/x/a", "xa\n");
	assert_wt(fx, "new/x/b", "xb\n");
	assert_wt(fx, "new/y/a", "ya\n");
	assert_wt(fx, "new/y-z/a", "yza\n");
	assert_wt(fx, "dot/.h/a", "ha\n");
	assert_wt(fx, "dot/i/a", "ia\n");
	assert_wt(fx, "gr/a/b/c", "deep\n");
	assert_git_eq("", fx->dir, "diff-files", "--name-only");
	assert_clean(fx->dir);

	/* Past the stager's limit of directories, file by file: the same. */
	tick();
	limit = repo_set_stage_dirs(1);
	c[0] = ch("lim/a/x", "ax\n");
	c[1] = ch("lim/b/x", "bx\n");
	c[2] = ch("lim/c/x", "cx\n");
	c[3] = ch("lim2/a/x", "2ax\n");
	c[4] = ch("lim2/b/x", "2bx\n");
	commit_ok(fx, c, 5, "C", a);
	repo_set_stage_dirs(limit);
	assert_wt(fx, "lim/a/x", "ax\n");
	assert_wt(fx, "lim/b/x", "bx\n");
	assert_wt(fx, "lim/c/x", "cx\n");
	assert_wt(fx, "lim2/a/x", "2ax\n");
	assert_wt(fx, "lim2/b/x", "2bx\n");
	assert_git_eq("", fx->dir, "diff-files", "--name-only");
	assert_clean(fx->dir);
}

static void
test_commit_nested(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[6];
	char a[REPO_OID_HEX], b[REPO_OID_HEX], d[REPO_OID_HEX], *s;

	c[0] = ch("certs/ab/one/cert.pem", "one\n");
	c[1] = ch("certs/ab/one/entry", "owner = a\n");
	c[2] = ch("certs/cd/two/cert.pem", "two\n");
	c[3] = ch("certs/cd/two/entry", "owner = b\n");
	c[4] = ch("certs/ab/three/cert.pem", "three\n");
	c[5] = ch("certdeck.conf", "x = 1\n");
	commit_ok(fx, c, 6, "A", a);
	assert_clean(fx->dir);

	/* Modify, add, and remove whole entry directories. */
	c[0] = ch("certs/ab/one/cert.pem", "one v2\n");
	c[1] = ch("certs/ef/four/cert.pem", "four\n");
	c[2] = ch("certs/cd/two/cert.pem", NULL);
	c[3] = ch("certs/cd/two/entry", NULL);
	c[4] = ch("certs/ab/three/cert.pem", NULL);
	c[5] = ch("certs/zz/never/here", NULL);	/* not there: no-op */
	commit_ok(fx, c, 6, "B", b);
	assert_git_eq(a, fx->dir, "rev-parse", "HEAD~1");
	assert_git_eq("certdeck.conf\ncerts/ab/one/cert.pem\n"
	    "certs/ab/one/entry\ncerts/ef/four/cert.pem", fx->dir,
	    "ls-tree", "-r", "--name-only", "HEAD");
	/* Emptied directories are gone from the tree and the work tree. */
	assert_int_not_equal(GIT_RC(fx->dir, "rev-parse", "-q", "--verify",
	    "HEAD:certs/cd"), 0);
	assert_int_not_equal(GIT_RC(fx->dir, "rev-parse", "-q", "--verify",
	    "HEAD:certs/ab/three"), 0);
	assert_false(wt_exists(fx, "certs/cd"));
	assert_false(wt_exists(fx, "certs/ab/three"));
	assert_true(wt_exists(fx, "certs/ab/one/entry"));
	assert_wt(fx, "certs/ab/one/cert.pem", "one v2\n");
	assert_wt(fx, "certs/ef/four/cert.pem", "four\n");
	assert_clean(fx->dir);

	/* Untouched subtrees are reused as they are. */
	c[0] = ch("certs/ef/four/entry", "owner = c\n");
	commit_ok(fx, c, 1, "C", d);
	s = GIT(fx->dir, "rev-parse", "HEAD~1:certs/ab");
	assert_git_eq(s, fx->dir, "rev-parse", "HEAD:certs/ab");
	free(s);
	assert_clean(fx->dir);

	/* Bad paths and duplicates are refused; nothing moves. */
	c[0] = ch("../evil", "x");
	commit_fails(fx, c, 1, "bad path");
	c[0] = ch(".git/config", "x");
	commit_fails(fx, c, 1, "bad path");
	c[0] = ch("certs//x", "x");
	commit_fails(fx, c, 1, "bad path");
	c[0] = ch("/abs", "x");
	commit_fails(fx, c, 1, "bad path");
	c[0] = ch(".certdeck/index.db", "x");
	commit_fails(fx, c, 1, "bad path");
	c[0] = ch("certs/ab/one/entry", "1");
	c[1] = ch("certs/ab/one/entry", "2");
	commit_fails(fx, c, 2, "twice");
	c[0] = ch("certs/ab/one", "a file where a directory is");
	commit_fails(fx, c, 1, "certs/ab/one is not a file in HEAD");
	c[0] = ch("certdeck.conf/x", "under a file");
	commit_fails(fx, c, 1, "certdeck.conf");
	assert_git_eq(d, fx->dir, "rev-parse", "HEAD");
	assert_clean(fx->dir);

	/* A detached HEAD moves by itself; the branch stays. */
	assert_int_equal(GIT_RC(fx->dir, "checkout", "-q", "--detach"), 0);
	c[0] = ch("certs/ef/four/entry", "owner = d\n");
	commit_ok(fx, c, 1, "D", b);
	assert_git_eq(b, fx->dir, "rev-parse", "HEAD");
	assert_git_eq(d, fx->dir, "rev-parse", "main");
	assert_clean(fx->dir);
}

/* Entries reported by walk/diff, one line each: "shard/name cert entry". */
struct seen {
	struct strv	 lines;
	int		 stop_after;	/* 0: never */
};

static int
seen_cb(void *arg, const struct repo_entry *e)
{
	struct seen *s = arg;
	char *line;

	line = xasprintf("%s/%s %s %s", e->shard, e->name,
	    e->cert_blob[0] ? e->cert_blob : "-",
	    e->entry_blob[0] ? e->entry_blob : "-");
	strv_addn(&s->lines, line);
	if (s->stop_after != 0 && (int)s->lines.n == s->stop_after)
		return 7;
	return 0;
}

/* "shard/name cert entry" as git rev-parse sees it in rev. */
static char *
git_entry_line(struct fx *fx, const char *rev, const char *shard_name,
    int cert, int entry)
{
	char *spec, *c = NULL, *e = NULL, *line;

	if (cert) {
		spec = xasprintf("%s:certs/%s/cert.pem", rev, shard_name);
		c = GIT(fx->dir, "rev-parse", spec);
		free(spec);
	}
	if (entry) {
		spec = xasprintf("%s:certs/%s/entry", rev, shard_name);
		e = GIT(fx->dir, "rev-parse", spec);
		free(spec);
	}
	line = xasprintf("%s %s %s", shard_name, c ? c : "-", e ? e : "-");
	free(c);
	free(e);
	return line;
}

static void
assert_line(struct fx *fx, struct seen *s, size_t i, const char *rev,
    const char *shard_name, int cert, int entry)
{
	char *want = git_entry_line(fx, rev, shard_name, cert, entry);

	assert_true(i < s->lines.n);
	assert_string_equal(s->lines.v[i], want);
	free(want);
}

static void
test_walk_entries(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[7];
	struct seen s;
	char a[REPO_OID_HEX], b[REPO_OID_HEX], *cause = NULL;

	strv_init(&s.lines);
	s.stop_after = 0;

	/* No certs/ at all: zero entries, not an error. */
	c[0] = ch("certdeck.conf", "x = 1\n");
	commit_ok(fx, c, 1, "conf", a);
	assert_int_equal(repo_walk_entries(fx->r, NULL, seen_cb, &s, &cause),
	    0);
	assert_int_equal(s.lines.n, 0);

	c[0] = ch("certs/ab/one/cert.pem", "one\n");
	c[1] = ch("certs/ab/one/entry", "owner = a\n");
	c[2] = ch("certs/ab/two/entry", "owner = b\n");
	c[3] = ch("certs/cd/three/cert.pem", "three\n");
	c[4] = ch("certs/README", "not an entry\n");
	c[5] = ch("certs/cd/stray", "not an entry either\n");
	c[6] = ch("certs/ab/one/notes", "ignored\n");
	commit_ok(fx, c, 7, "entries", b);

	assert_int_equal(repo_walk_entries(fx->r, NULL, seen_cb, &s, &cause),
	    0);
	assert_int_equal(s.lines.n, 3);
	assert_line(fx, &s, 0, "HEAD", "ab/one", 1, 1);
	assert_line(fx, &s, 1, "HEAD", "ab/two", 0, 1);
	assert_line(fx, &s, 2, "HEAD", "cd/three", 1, 0);
	strv_free(&s.lines);

	/* By commit id and by revision; the older commit has none. */
	assert_int_equal(repo_walk_entries(fx->r, b, seen_cb, &s, &cause), 0);
	assert_int_equal(s.lines.n, 3);
	strv_free(&s.lines);
	assert_int_equal(repo_walk_entries(fx->r, "HEAD~1", seen_cb, &s,
	    &cause), 0);
	assert_int_equal(s.lines.n, 0);

	/* The callback stops the walk and its value comes back. */
	s.stop_after = 2;
	assert_int_equal(repo_walk_entries(fx->r, NULL, seen_cb, &s, &cause),
	    7);
	assert_int_equal(s.lines.n, 2);
	strv_free(&s.lines);

	assert_int_equal(repo_walk_entries(fx->r, "no-such-rev", seen_cb, &s,
	    &cause), -1);
	assert_non_null(cause);
	free(cause);
}

static void
test_diff_entries(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[6];
	struct seen s;
	char a[REPO_OID_HEX], b[REPO_OID_HEX], *cause = NULL;

	strv_init(&s.lines);
	s.stop_after = 0;

	c[0] = ch("certs/ab/one/cert.pem", "one\n");
	c[1] = ch("certs/ab/one/entry", "owner = a\n");
	c[2] = ch("certs/cd/two/cert.pem", "two\n");
	c[3] = ch("certs/cd/two/entry", "owner = b\n");
	c[4] = ch("certdeck.conf", "x = 1\n");
	c[5] = ch("certs/ab/same/cert.pem", "unchanged, next to a change\n");
	commit_ok(fx, c, 6, "A", a);
	c[0] = ch("certs/ab/one/entry", "owner = z\n");
	c[1] = ch("certs/cd/two/cert.pem", NULL);
	c[2] = ch("certs/cd/two/entry", NULL);
	c[3] = ch("certs/ef/three/cert.pem", "three\n");
	c[4] = ch("certdeck.conf", "x = 2\n");	/* outside certs/ */
	commit_ok(fx, c, 5, "B", b);

	/* From the empty tree: everything in A. */
	assert_int_equal(repo_diff_entries(fx->r, NULL, a, seen_cb, &s,
	    &cause), 0);
	assert_int_equal(s.lines.n, 3);
	assert_line(fx, &s, 0, a, "ab/one", 1, 1);
	assert_line(fx, &s, 1, a, "ab/same", 1, 0);
	assert_line(fx, &s, 2, a, "cd/two", 1, 1);
	strv_free(&s.lines);

	/* A to B: modified, removed (no blobs), added; once each. */
	assert_int_equal(repo_diff_entries(fx->r, a, b, seen_cb, &s, &cause),
	    0);
	assert_int_equal(s.lines.n, 3);
	assert_line(fx, &s, 0, b, "ab/one", 1, 1);
	assert_string_equal(s.lines.v[1], "cd/two - -");
	assert_line(fx, &s, 2, b, "ef/three", 1, 0);
	strv_free(&s.lines);

	/* "" is the empty tree too; NULL "to" is HEAD. */
	assert_int_equal(repo_diff_entries(fx->r, "", NULL, seen_cb, &s,
	    &cause), 0);
	assert_int_equal(s.lines.n, 3);
	assert_line(fx, &s, 0, b, "ab/one", 1, 1);
	assert_line(fx, &s, 1, b, "ab/same", 1, 0);
	assert_line(fx, &s, 2, b, "ef/three", 1, 0);
	strv_free(&s.lines);

	/* Same commit: nothing. Backwards: cd/two comes back. */
	assert_int_equal(repo_diff_entries(fx->r, b, b, seen_cb, &s, &cause),
	    0);
	assert_int_equal(s.lines.n, 0);
	assert_int_equal(repo_diff_entries(fx->r, b, a, seen_cb, &s, &cause),
	    0);
	assert_int_equal(s.lines.n, 3);
	assert_line(fx, &s, 1, a, "cd/two", 1, 1);
	assert_string_equal(s.lines.v[2], "ef/three - -");
	strv_free(&s.lines);

	/* The callback stops the diff and its value comes back. */
	s.stop_after = 1;
	assert_int_equal(repo_diff_entries(fx->r, a, b, seen_cb, &s, &cause),
	    7);
	assert_int_equal(s.lines.n, 1);
	strv_free(&s.lines);
	assert_null(cause);
}

static void
resolve_is(struct fx *fx, const char *rev, const char *want)
{
	char out[REPO_OID_HEX], *cause = NULL;

	if (repo_resolve(fx->r, rev, out, &cause) != 0) {
		fprintf(stderr, "resolve %s: %s\n", rev, cause);
		free(cause);
		fail();
	}
	if (strcmp(out, want) != 0) {
		fprintf(stderr, "resolve %s: got %s, want %s\n", rev, out,
		    want);
		fail();
	}
}

static void
resolve_fails(struct fx *fx, const char *rev, const char *want)
{
	char out[REPO_OID_HEX], *cause = NULL;

	assert_int_equal(repo_resolve(fx->r, rev, out, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

static void
resolve_time_is(struct fx *fx, int64_t when, const char *want)
{
	char out[REPO_OID_HEX], *cause = NULL;

	if (repo_resolve_time(fx->r, when, out, &cause) != 0) {
		fprintf(stderr, "resolve %lld: %s\n", (long long)when, cause);
		free(cause);
		fail();
	}
	assert_string_equal(out, want);
}

static void
resolve_time_fails(struct fx *fx, int64_t when)
{
	char out[REPO_OID_HEX], *cause = NULL;

	assert_int_equal(repo_resolve_time(fx->r, when, out, &cause), -1);
	assert_string_equal(cause, "no commit at or before that time");
	free(cause);
}

static void
test_resolve(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[1];
	char c1[REPO_OID_HEX], c2[REPO_OID_HEX], c3[REPO_OID_HEX], abbrev[11];
	char *s;

	resolve_fails(fx, "HEAD", "unknown revision: HEAD");
	resolve_time_fails(fx, 1709625600);

	/* Commits at known times (the clock given to the repository). */
	c[0] = ch("certs/ab/one/cert.pem", "1\n");
	fake_now = 1709294400 - 60;	/* 2024-03-01T12:00:00Z after tick */
	commit_ok(fx, c, 1, "c1", c1);
	c[0] = ch("certs/ab/one/cert.pem", "2\n");
	fake_now = 1709625600 - 60;	/* 2024-03-05T08:00:00Z */
	commit_ok(fx, c, 1, "c2", c2);
	c[0] = ch("certs/ab/one/cert.pem", "3\n");
	fake_now = 1709668800 - 60;	/* 2024-03-05T20:00:00Z */
	commit_ok(fx, c, 1, "c3", c3);
	assert_git_eq("1709625600 1709625600", fx->dir, "log", "-1",
	    "--format=%at %ct", "HEAD~1");

	/* Revisions. */
	resolve_is(fx, "HEAD", c3);
	resolve_is(fx, "HEAD~2", c1);
	resolve_is(fx, "main^", c2);
	memcpy(abbrev, c2, 10);
	abbrev[10] = '\0';
	resolve_is(fx, abbrev, c2);
	resolve_is(fx, c1, c1);
	assert_int_equal(GIT_RC(fx->dir, "tag", "v1", c1), 0);
	assert_int_equal(GIT_RC(fx->dir, "-c", "user.name=T", "-c",
	    "user.email=t@example.org", "tag", "-a", "-m", "annotated", "v2",
	    c2), 0);
	resolve_is(fx, "v1", c1);
	resolve_is(fx, "v2", c2);	/* peeled to its commit */

	/* Times: the newest commit at or before, to the second. */
	resolve_time_is(fx, 1709683199, c3);	/* 2024-03-05T23:59:59Z */
	resolve_time_is(fx, 1709625599, c1);	/* 2024-03-05T07:59:59Z */
	resolve_time_is(fx, 1709625600, c2);	/* 2024-03-05T08:00:00Z */
	resolve_time_is(fx, 1709294400, c1);	/* 2024-03-01T12:00:00Z */
	resolve_time_is(fx, 1893456000, c3);	/* 2030 */
	resolve_time_fails(fx, 1709294399);
	resolve_fails(fx, "nonsense", "unknown revision: nonsense");
	resolve_fails(fx, "2024-03-05", "unknown revision: 2024-03-05");

	/* The first-parent chain from HEAD, not other branches. */
	s = GIT(fx->dir, "rev-parse", "HEAD");
	assert_string_equal(s, c3);
	free(s);
}

/* What repo_log reported, flattened for comparison. */
struct logged {
	struct strv	 ids;
	struct strv	 text;
	int		 stop_after;
};

static int
log_cb(void *arg, const struct repo_commit *c)
{
	struct logged *l = arg;
	struct buf b;
	size_t i;

	strv_add(&l->ids, c->id);
	buf_init(&b);
	buf_printf(&b, "%s <%s> %lld %d [%s] [%s]", c->author_name,
	    c->author_email, (long long)c->time, c->tz_offset, c->subject,
	    c->body);
	for (i = 0; i < c->ntrailers; i++)
		buf_printf(&b, " {%s=%s}", c->trailer_keys[i],
		    c->trailer_values[i]);
	strv_addn(&l->text, buf_steal(&b));
	if (l->stop_after != 0 && (int)l->ids.n == l->stop_after)
		return 5;
	return 0;
}

static char *
joined(struct strv *sv)
{
	return strv_join(sv, "\n");
}

static void
test_log(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[3];
	struct logged l;
	char ids[4][REPO_OID_HEX], *cause = NULL, *s, *want;

	memset(&l, 0, sizeof l);
	strv_init(&l.ids);
	strv_init(&l.text);
	assert_int_equal(GIT_RC(fx->dir, "config", "user.name",
	    "Log Tester"), 0);
	assert_int_equal(GIT_RC(fx->dir, "config", "user.email",
	    "log@example.org"), 0);

	c[0] = ch("certs/ab/one/cert.pem", "one\n");
	c[1] = ch("certs/ab/one/entry", "owner = a\n");
	c[2] = ch("certdeck.conf", "x = 1\n");
	fake_now = 1700000000 - 60;
	commit_ok(fx, c, 3, "import one\n\nImported from one.pem.\n\n"
	    "Certdeck-Action: import\nCertdeck-Fingerprint: AA:BB\n", ids[0]);
	c[0] = ch("certs/cd/two/cert.pem", "two\n");
	commit_ok(fx, c, 1, "import two\n\nCertdeck-Action: import\n", ids[1]);
	c[0] = ch("certs/ab/one/entry", "owner = ops\n");
	commit_ok(fx, c, 1, "set one owner=ops\n\nCertdeck-Action: set\n",
	    ids[2]);
	c[0] = ch("certdeck.conf", "x = 2\n");
	commit_ok(fx, c, 1, "configure", ids[3]);

	/* Everything, newest first, as git log sees it. */
	assert_int_equal(repo_log(fx->r, NULL, 0, log_cb, &l, &cause), 0);
	s = joined(&l.ids);
	assert_git_eq(s, fx->dir, "log", "--format=%H");
	free(s);
	assert_string_equal(l.ids.v[0], ids[3]);
	assert_string_equal(l.text.v[3], "Log Tester <log@example.org> "
	    "1700000000 0 [import one] [Imported from one.pem.\n\n"
	    "Certdeck-Action: import\nCertdeck-Fingerprint: AA:BB] "
	    "{Certdeck-Action=import} {Certdeck-Fingerprint=AA:BB}");
	assert_string_equal(l.text.v[0], "Log Tester <log@example.org> "
	    "1700000180 0 [configure] []");
	strv_free(&l.ids);
	strv_free(&l.text);

	/* Only the commits that touched one entry, with or without slash. */
	assert_int_equal(repo_log(fx->r, "certs/ab/one/", 0, log_cb, &l,
	    &cause), 0);
	s = joined(&l.ids);
	assert_git_eq(s, fx->dir, "log", "--format=%H", "--", "certs/ab/one/");
	want = xasprintf("%s\n%s", ids[2], ids[0]);
	assert_string_equal(s, want);
	free(want);
	free(s);
	strv_free(&l.ids);
	strv_free(&l.text);
	assert_int_equal(repo_log(fx->r, "certs/ab/one", 0, log_cb, &l,
	    &cause), 0);
	assert_int_equal(l.ids.n, 2);
	strv_free(&l.ids);
	strv_free(&l.text);
	assert_int_equal(repo_log(fx->r, "certs/cd/", 0, log_cb, &l, &cause),
	    0);
	assert_int_equal(l.ids.n, 1);
	assert_string_equal(l.ids.v[0], ids[1]);
	strv_free(&l.ids);
	strv_free(&l.text);
	assert_int_equal(repo_log(fx->r, "certs/zz/none/", 0, log_cb, &l,
	    &cause), 0);
	assert_int_equal(l.ids.n, 0);

	/* Limit, and a callback that stops. */
	assert_int_equal(repo_log(fx->r, NULL, 2, log_cb, &l, &cause), 0);
	assert_int_equal(l.ids.n, 2);
	assert_string_equal(l.ids.v[1], ids[2]);
	strv_free(&l.ids);
	strv_free(&l.text);
	l.stop_after = 3;
	assert_int_equal(repo_log(fx->r, NULL, 0, log_cb, &l, &cause), 5);
	assert_int_equal(l.ids.n, 3);
	strv_free(&l.ids);
	strv_free(&l.text);
	assert_null(cause);
}

/* Paths and words reported through a repo_dirty_cb. */
static int
dirty_cb(void *arg, const char *path, const char *what)
{
	strv_addn(arg, xasprintf("%s %s", what, path));
	return 0;
}

static void
assert_dirty(struct fx *fx, const char *want)
{
	struct strv sv;
	char *cause = NULL, *s;

	strv_init(&sv);
	assert_int_equal(repo_check_worktree(fx->r, dirty_cb, &sv, &cause), 0);
	strv_sort(&sv);
	s = strv_join(&sv, "\n");
	assert_string_equal(s, want);
	free(s);
	strv_free(&sv);
}

static void
test_hand_edit_refused(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[3];
	char c1[REPO_OID_HEX], c2[REPO_OID_HEX], blob[REPO_OID_HEX], *gone;

	c[0] = ch("certs/ab/one/cert.pem", "v1\n");
	c[1] = ch("certs/ab/one/entry", "e1\n");
	c[2] = ch("certs/cd/two/cert.pem", "t1\n");
	commit_ok(fx, c, 3, "c1", c1);
	assert_dirty(fx, "");

	/* A hand edit of a file the commit would change: refused whole. */
	wt_write(fx, "certs/ab/one/cert.pem", "edited by hand\n");
	assert_dirty(fx, "modified certs/ab/one/cert.pem");
	c[0] = ch("certs/cd/two/cert.pem", "t2 never stored\n");
	c[1] = ch("certs/ab/one/cert.pem", "v2\n");
	commit_fails(fx, c, 2, "certs/ab/one/cert.pem has uncommitted changes "
	    "in the work tree (commit or restore them with git checkout -- "
	    "certs/ab/one/cert.pem)");
	c[0] = ch("certs/ab/one/cert.pem", NULL);
	commit_fails(fx, c, 1, "certs/ab/one/cert.pem has uncommitted changes");
	/* Nothing moved, nothing written, not even objects. */
	assert_git_eq(c1, fx->dir, "rev-parse", "HEAD");
	assert_wt(fx, "certs/cd/two/cert.pem", "t1\n");
	assert_wt(fx, "certs/ab/one/cert.pem", "edited by hand\n");
	repo_hash_blob("t2 never stored\n", 16, blob);
	assert_int_not_equal(GIT_RC(fx->dir, "cat-file", "-e", blob), 0);
	/* A commit elsewhere still works and leaves the edit alone. */
	c[0] = ch("certs/cd/two/cert.pem", "t2\n");
	commit_ok(fx, c, 1, "c2", c2);
	assert_wt(fx, "certs/ab/one/cert.pem", "edited by hand\n");
	assert_git_eq(" M certs/ab/one/cert.pem", fx->dir, "status",
	    "--porcelain");
	assert_int_equal(GIT_RC(fx->dir, "checkout", "--",
	    "certs/ab/one/cert.pem"), 0);
	assert_clean(fx->dir);

	/* An untracked file in the way, unless it already holds the data. */
	wt_write(fx, "certs/ef/new/cert.pem", "junk\n");
	c[0] = ch("certs/ef/new/cert.pem", "real\n");
	commit_fails(fx, c, 1, "certs/ef/new/cert.pem is an untracked file");
	assert_wt(fx, "certs/ef/new/cert.pem", "junk\n");
	c[0] = ch("certs/ef/new/cert.pem", "junk\n");
	commit_ok(fx, c, 1, "adopt", c2);
	assert_clean(fx->dir);

	/* A directory where the file should go. */
	wt_write(fx, "certs/gh/dir/cert.pem/inside", "x\n");
	c[0] = ch("certs/gh/dir/cert.pem", "pem\n");
	commit_fails(fx, c, 1, "not a regular file");
	assert_int_equal(GIT_RC(fx->dir, "clean", "-qfd"), 0);

	/* Deleted and staged, as check_worktree words them. */
	gone = xasprintf("%s/certs/cd/two/cert.pem", fx->dir);
	assert_int_equal(unlink(gone), 0);
	free(gone);
	assert_dirty(fx, "deleted certs/cd/two/cert.pem");
	assert_int_equal(GIT_RC(fx->dir, "checkout", "--", "."), 0);
	wt_write(fx, "certs/ab/one/entry", "staged\n");
	assert_int_equal(GIT_RC(fx->dir, "add", "certs/ab/one/entry"), 0);
	assert_dirty(fx, "staged certs/ab/one/entry");
	/* Staged content is protected too, even with the file put back. */
	wt_write(fx, "certs/ab/one/entry", "e1\n");
	c[0] = ch("certs/ab/one/entry", "e2\n");
	commit_fails(fx, c, 1, "certs/ab/one/entry has changes staged");
	assert_int_equal(GIT_RC(fx->dir, "reset", "-q", "--",
	    "certs/ab/one/entry"), 0);
	assert_clean(fx->dir);
	commit_ok(fx, c, 1, "e2", c2);
	assert_clean(fx->dir);
}

/* The dirty_cb reports collected in sv were exactly want; sv emptied. */
static void
assert_reported(struct strv *sv, const char *want)
{
	char *s = strv_join(sv, "|");

	assert_string_equal(s, want);
	free(s);
	strv_free(sv);
}

/*
 * Commit changes c in the clone odir (never this work tree), fetch it and
 * move this HEAD from cur to it with git update-ref: what a crash right
 * after the commit point, or a pull, leaves behind.
 */
static void
commit_elsewhere(struct fx *fx, const char *odir, struct repo_change *c,
    size_t n, const char *msg, const char *cur, char out[REPO_OID_HEX])
{
	struct repo *other = NULL;
	char *cause = NULL;

	assert_int_equal(repo_open(odir, &other, &cause), 0);
	repo_set_clock(other, fake_clock);
	tick();
	assert_int_equal(repo_commit(other, c, n, msg, out, &cause), 0);
	repo_close(other);
	assert_int_equal(GIT_RC(fx->dir, "fetch", "-q", odir, "main"), 0);
	assert_int_equal(GIT_RC(fx->dir, "update-ref", "refs/heads/main", out,
	    cur), 0);
}

static void
test_sync_worktree(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[5];
	struct strv sv;
	struct stat st1, st2;
	char c1[REPO_OID_HEX], c2[REPO_OID_HEX], c3[REPO_OID_HEX];
	char *cause = NULL, *odir, *ipath;

	strv_init(&sv);
	c[0] = ch("certs/ab/one/cert.pem", "1\n");
	c[1] = ch("certs/ab/one/entry", "e\n");
	c[2] = ch("certs/cd/two/cert.pem", "2\n");
	commit_ok(fx, c, 3, "c1", c1);

	/* c2 made elsewhere, HEAD moved to it (a crash after the commit). */
	odir = xasprintf("%s/other", fx->tmp);
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "clone", "-q", fx->dir,
	    odir, (char *)NULL), 0);
	c[0] = ch("certs/ab/one/cert.pem", "1b\n");
	c[1] = ch("certs/ab/one/entry", "e2\n");
	c[2] = ch("certs/cd/two/cert.pem", NULL);
	c[3] = ch("certs/ef/three/cert.pem", "3\n");
	c[4] = ch("certs/gh/four/cert.pem", "4\n");
	commit_elsewhere(fx, odir, c, 5, "c2", c1, c2);

	/* Meanwhile: a hand edit of a changed file, and one file already right. */
	wt_write(fx, "certs/ab/one/entry", "by hand\n");
	wt_write(fx, "certs/gh/four/cert.pem", "4\n");

	assert_int_equal(repo_sync_worktree(fx->r, c1, NULL, c2, dirty_cb, &sv,
	    &cause), 0);
	assert_reported(&sv, "modified certs/ab/one/entry");
	assert_wt(fx, "certs/ab/one/cert.pem", "1b\n");
	assert_wt(fx, "certs/ab/one/entry", "by hand\n");
	assert_wt(fx, "certs/ef/three/cert.pem", "3\n");
	assert_wt(fx, "certs/gh/four/cert.pem", "4\n");
	assert_false(wt_exists(fx, "certs/cd"));
	/* Only the hand edit differs: staged is c1's, the file is neither. */
	assert_git_eq("MM certs/ab/one/entry", fx->dir, "status",
	    "--porcelain");
	assert_int_equal(GIT_RC(fx->dir, "checkout", "HEAD", "--",
	    "certs/ab/one/entry"), 0);
	assert_clean(fx->dir);

	/* Again: nothing to do, nothing reported, .git/index not rewritten. */
	ipath = xasprintf("%s/.git/index", fx->dir);
	assert_int_equal(stat(ipath, &st1), 0);
	assert_int_equal(repo_sync_worktree(fx->r, c1, NULL, c2, dirty_cb, &sv,
	    &cause), 0);
	assert_int_equal(sv.n, 0);
	assert_int_equal(stat(ipath, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	assert_clean(fx->dir);

	/* Backwards too (a HEAD moved back): the work tree follows. */
	assert_int_equal(GIT_RC(fx->dir, "update-ref", "refs/heads/main", c1),
	    0);
	assert_int_equal(repo_sync_worktree(fx->r, c2, NULL, c1, dirty_cb, &sv,
	    &cause), 0);
	assert_int_equal(sv.n, 0);
	assert_wt(fx, "certs/cd/two/cert.pem", "2\n");
	assert_false(wt_exists(fx, "certs/ef"));
	assert_false(wt_exists(fx, "certs/gh"));
	assert_clean(fx->dir);

	/*
	 * A run from c1 to c2 that stopped part way, one file written, then
	 * HEAD moved on to c3 that changes it again: at c2's blob, the file
	 * is a hand edit to a run that knows only c1 and c3, and brought
	 * forward by one told where the stopped run was going.
	 */
	c[0] = ch("certs/ab/one/cert.pem", "1c\n");
	commit_elsewhere(fx, odir, c, 1, "c3", c1, c3);
	wt_write(fx, "certs/ab/one/cert.pem", "1b\n");
	assert_int_equal(repo_sync_worktree(fx->r, c1, NULL, c3, dirty_cb, &sv,
	    &cause), 0);
	assert_reported(&sv, "modified certs/ab/one/cert.pem");
	assert_wt(fx, "certs/ab/one/cert.pem", "1b\n");
	assert_wt(fx, "certs/ef/three/cert.pem", "3\n");
	assert_int_equal(repo_sync_worktree(fx->r, c1, c2, c3, dirty_cb, &sv,
	    &cause), 0);
	assert_int_equal(sv.n, 0);
	assert_wt(fx, "certs/ab/one/cert.pem", "1c\n");
	assert_clean(fx->dir);
	/* A stopped run's commit that cannot be read is no help, no error. */
	assert_true(repo_rev_readable(fx->r, c2));
	assert_false(repo_rev_readable(fx->r,
	    "0123456789012345678901234567890123456789"));
	assert_int_equal(repo_sync_worktree(fx->r, c1,
	    "0123456789012345678901234567890123456789", c3, dirty_cb, &sv,
	    &cause), 0);
	assert_int_equal(sv.n, 0);

	/* From the empty tree: a fresh checkout of everything. */
	assert_int_equal(GIT_RC(fx->dir, "rm", "-rq", "certs"), 0);
	assert_false(wt_exists(fx, "certs"));
	assert_int_equal(repo_sync_worktree(fx->r, "", NULL, NULL, dirty_cb, &sv,
	    &cause), 0);
	assert_int_equal(sv.n, 0);
	assert_clean(fx->dir);
	assert_null(cause);
	free(ipath);
	free(odir);
}

static void
test_lock(void **state)
{
	struct fx *fx = *state;
	struct repo *r2 = NULL;
	struct timespec t0, t1;
	char *cause = NULL, buf[PATH_MAX], link[PATH_MAX];
	int p2c[2], c2p[2], status, found = 0, fd;
	ssize_t n;
	double waited;
	pid_t pid;
	DIR *d;
	struct dirent *de;

	assert_int_equal(pipe(p2c), 0);
	assert_int_equal(pipe(c2p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Child: hold the lock until told to go. */
		char ch_;

		close(p2c[1]);
		close(c2p[0]);
		if (repo_lock(fx->r, 0, NULL) != 0)
			_exit(1);
		if (write(c2p[1], "L", 1) != 1)
			_exit(2);
		if (read(p2c[0], &ch_, 1) != 1)
			_exit(3);
		_exit(0);
	}
	close(p2c[0]);
	close(c2p[1]);
	assert_int_equal(read(c2p[0], buf, 1), 1);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(repo_lock(fx->r, 300, &cause), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_string_equal(cause, "inventory is locked by another certdeck "
	    "process (waited 0.3 s)");
	free(cause);
	cause = NULL;
	waited = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(waited >= 0.25);	/* it did wait, not just fail */

	/* The child lets go: the lock is ours within the timeout. */
	assert_int_equal(write(p2c[1], "G", 1), 1);
	assert_int_equal(repo_lock(fx->r, 5000, &cause), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(p2c[1]);
	close(c2p[0]);

	/* Two handles in one process exclude each other too. */
	assert_int_equal(repo_open(fx->dir, &r2, &cause), 0);
	assert_int_equal(repo_lock(r2, 0, &cause), -1);
	assert_string_equal(cause, "inventory is locked by another certdeck "
	    "process (waited 0 s)");
	free(cause);
	cause = NULL;

	/* The lock's descriptor does not leak into children we exec. */
	d = opendir("/proc/self/fd");
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		fd = atoi(de->d_name);
		snprintf(buf, sizeof buf, "/proc/self/fd/%s", de->d_name);
		n = readlink(buf, link, sizeof link - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (str_endswith(link, "/.certdeck/lock")) {
			found++;
			assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		}
	}
	closedir(d);
	assert_int_equal(found, 1);

	repo_unlock(fx->r);
	assert_int_equal(repo_lock(r2, 1000, &cause), 0);
	repo_close(r2);		/* closing releases it */
	assert_int_equal(repo_lock(fx->r, 0, &cause), 0);
	repo_unlock(fx->r);
}

static void
test_author(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[1];
	struct repo *r2 = NULL;
	struct passwd *pw;
	char id[REPO_OID_HEX], host[256], *want, *v, *cause = NULL, *gc;
	char *home = getenv("HOME");

	/* No identity configured anywhere: login name and host name. */
	pw = getpwuid(getuid());
	assert_non_null(pw);
	assert_int_equal(gethostname(host, sizeof host), 0);
	assert_null(repo_config_get(fx->r, "user.name"));
	c[0] = ch("certs/ab/one/cert.pem", "1\n");
	commit_ok(fx, c, 1, "fallback", id);
	want = xasprintf("%s <%s@%s> %s <%s@%s>", pw->pw_name, pw->pw_name,
	    host, pw->pw_name, pw->pw_name, host);
	assert_git_eq(want, fx->dir, "log", "-1", "--format=%an <%ae> %cn <%ce>");
	free(want);

	/* The repository's configured identity wins. */
	assert_int_equal(GIT_RC(fx->dir, "config", "user.name",
	    "Ann Operator"), 0);
	assert_int_equal(GIT_RC(fx->dir, "config", "user.email",
	    "ann@example.org"), 0);
	v = repo_config_get(fx->r, "user.name");
	assert_non_null(v);
	assert_string_equal(v, "Ann Operator");
	free(v);
	assert_null(repo_config_get(fx->r, "certdeck.nosuchkey"));
	c[0] = ch("certs/ab/one/cert.pem", "2\n");
	commit_ok(fx, c, 1, "configured", id);
	assert_git_eq("Ann Operator <ann@example.org> Ann Operator "
	    "<ann@example.org>", fx->dir, "log", "-1",
	    "--format=%an <%ae> %cn <%ce>");

	/* The global config when the repository has none. */
	assert_int_equal(GIT_RC(fx->dir, "config", "--unset", "user.name"), 0);
	assert_int_equal(GIT_RC(fx->dir, "config", "--unset", "user.email"),
	    0);
	assert_non_null(home);
	gc = xasprintf("%s/.gitconfig", home);
	v = "[user]\n\tname = Global Gus\n\temail = gus@example.org\n";
	assert_int_equal(write_file_atomic(gc, v, strlen(v), 0644, NULL), 0);
	assert_int_equal(repo_open(fx->dir, &r2, &cause), 0);
	v = repo_config_get(r2, "user.email");
	repo_set_clock(r2, fake_clock);
	c[0] = ch("certs/ab/one/cert.pem", "3\n");
	assert_int_equal(repo_commit(r2, c, 1, "global", id, &cause), 0);
	repo_close(r2);
	unlink(gc);
	free(gc);
	assert_non_null(v);
	assert_string_equal(v, "gus@example.org");
	free(v);
	assert_git_eq("Global Gus <gus@example.org>", fx->dir, "log", "-1",
	    "--format=%an <%ae>");
	assert_clean(fx->dir);
}

static void
test_batch(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[1];
	struct stat st1, st2;
	char id[REPO_OID_HEX], *cause = NULL, *ipath;

	c[0] = ch("certs/ab/one/cert.pem", "1\n");
	commit_ok(fx, c, 1, "first", id);
	ipath = xasprintf("%s/.git/index", fx->dir);
	assert_int_equal(stat(ipath, &st1), 0);

	/* Many commits, .git/index untouched until the batch ends. */
	repo_batch_begin(fx->r);
	c[0] = ch("certs/ab/one/cert.pem", "2\n");
	commit_ok(fx, c, 1, "second", id);
	c[0] = ch("certs/cd/two/cert.pem", "3\n");
	commit_ok(fx, c, 1, "third", id);
	c[0] = ch("certs/ab/one/cert.pem", NULL);
	commit_ok(fx, c, 1, "fourth", id);
	assert_int_equal(stat(ipath, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(repo_batch_end(fx->r, 1000, &cause), 0);
	assert_int_equal(stat(ipath, &st2), 0);
	assert_int_not_equal(st1.st_ino, st2.st_ino);
	assert_git_eq("4", fx->dir, "rev-list", "--count", "HEAD");
	assert_clean(fx->dir);
	assert_false(wt_exists(fx, "certs/ab"));
	free(ipath);
}

/*
 * Another process commits while a batch holds .git/index edits back
 * (the TUI commits while a renewal batch runs): the batch's one write
 * keeps what that process recorded, and is made under the inventory
 * lock.
 */
static void
test_batch_concurrent(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[1];
	struct repo *other = NULL;
	char id[REPO_OID_HEX], *cause = NULL;

	c[0] = ch("certs/ab/one/cert.pem", "1\n");
	commit_ok(fx, c, 1, "first", id);
	repo_batch_begin(fx->r);
	c[0] = ch("certs/ab/one/cert.pem", "2\n");
	commit_ok(fx, c, 1, "second", id);

	assert_int_equal(repo_open(fx->dir, &other, &cause), 0);
	repo_set_clock(other, fake_clock);
	assert_int_equal(repo_lock(other, 0, &cause), 0);
	c[0] = ch("certs/cd/two/cert.pem", "theirs\n");
	tick();
	assert_int_equal(repo_commit(other, c, 1, "theirs", id, &cause), 0);
	/* While they hold the lock, the batch cannot write. */
	assert_int_equal(repo_batch_end(fx->r, 100, &cause), -1);
	assert_non_null(strstr(cause, "locked"));
	free(cause);
	cause = NULL;
	repo_close(other);

	repo_batch_begin(fx->r);
	assert_int_equal(repo_batch_end(fx->r, 1000, &cause), 0);
	assert_git_eq("3", fx->dir, "rev-list", "--count", "HEAD");
	assert_git_eq("", fx->dir, "diff-files", "--name-only");
	assert_clean(fx->dir);
}

/*
 * A work tree file that cannot be written commits nothing: the files are
 * staged before the commit point, on a thread for a bulk commit. The
 * first temp name is taken by a directory, so open() or mkdir() fails:
 * of a file in a directory the work tree has (mode 0: files in
 * certs/ab/one), of a new directory staged whole (mode 1: new entries
 * in certs/ab), or of a new directory of new directories staged whole
 * (mode 2: new shards in a new directory).
 */
static void
stage_fail_case(struct fx *fx, size_t n, int mode)
{
	struct repo_change *c = xcalloc(n, sizeof *c);
	char **paths = xcalloc(n, sizeof *paths);
	char id[REPO_OID_HEX], *cause = NULL, *block, *head, *after, *want;
	size_t i;

	head = GIT(fx->dir, "rev-parse", "HEAD");
	for (i = 0; i < n; i++) {
		paths[i] = mode == 2 ? xasprintf("sh%zu/%02zx/n%zu/cert.pem",
		    n, i % 7, i) : mode == 1 ?
		    xasprintf("certs/ab/n%zu-%03zu/cert.pem", n, i) :
		    xasprintf("certs/ab/one/f%zu-%03zu", n, i);
		c[i] = ch(paths[i], "data\n");
	}
	block = xasprintf("%s/.certdeck/tmp/s0/%s.%ld.0", fx->dir,
	    mode ? "d" : "wt", (long)getpid());
	assert_int_equal(mkdir_p(block, 0700), 0);
	assert_int_equal(repo_commit(fx->r, c, n, "blocked", id, &cause), -1);
	assert_non_null(cause);
	/* Named: the file or directory whose temp could not be made (of a
	   bulk commit, the first the staging thread took: usually the
	   first). */
	want = mode == 2 ? xasprintf("/sh%zu/00: File exists", n) :
	    mode == 1 ? xasprintf("/certs/ab/n%zu-", n) :
	    xasprintf("/certs/ab/one/f%zu-", n);
	if (strstr(cause, want) == NULL || strstr(cause, mode ?
	    ": File exists" : ": Is a directory") == NULL)
		fail_msg("cause: %s", cause);
	free(want);
	free(cause);
	cause = NULL;
	after = GIT(fx->dir, "rev-parse", "HEAD");
	assert_string_equal(after, head);
	free(after);
	for (i = 0; i < n; i++)		/* not even a directory */
		assert_false(wt_exists(fx, paths[i]));
	want = mode == 2 ? xasprintf("sh%zu", n) :
	    xasprintf("certs/ab/n%zu-000", n);
	if (mode != 0)
		assert_false(wt_exists(fx, want));
	free(want);
	assert_true(wt_exists(fx, "certs/ab/one/cert.pem"));
	assert_clean(fx->dir);
	/* Nothing staged is left behind but the blocker. */
	assert_int_equal(rmdir(block), 0);
	*strrchr(block, '/') = '\0';	/* and the stager's directory */
	assert_int_equal(rmdir(block), 0);
	commit_ok(fx, c, n, "unblocked", id);
	assert_clean(fx->dir);
	assert_true(wt_exists(fx, paths[n - 1]));
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(c);
	free(block);
	free(head);
}

static void
test_stage_fails(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[1];
	char id[REPO_OID_HEX];
	DIR *d;
	struct dirent *de;
	char *tmp, *stray, *cause = NULL;

	c[0] = ch("certs/ab/one/cert.pem", "1\n");
	commit_ok(fx, c, 1, "first", id);
	stage_fail_case(fx, 1, 0);	/* on the calling thread */
	stage_fail_case(fx, 1, 1);
	stage_fail_case(fx, 1, 2);
	stage_fail_case(fx, 200, 0);	/* bulk: on the staging thread */
	stage_fail_case(fx, 200, 1);
	stage_fail_case(fx, 200, 2);
	tmp = xasprintf("%s/.certdeck/tmp", fx->dir);
	assert_non_null(d = opendir(tmp));
	while ((de = readdir(d)) != NULL)
		assert_true(de->d_name[0] == '.');
	closedir(d);

	/* What a killed import leaves, its stager's directory too, goes
	   when the lock is next taken. */
	stray = xasprintf("%s/s1/wt.1.0", tmp);
	assert_int_equal(mkdir_p(stray, 0700), 0);
	assert_int_equal(rmdir(stray), 0);
	assert_int_equal(write_file_atomic(stray, "x", 1, 0600, &cause), 0);
	free(stray);
	stray = xasprintf("%s/wt.1.1", tmp);
	assert_int_equal(write_file_atomic(stray, "x", 1, 0600, &cause), 0);
	free(stray);
	stray = xasprintf("%s/s0/d.1.0/name", tmp);	/* a shard's entry */
	assert_int_equal(mkdir_p(stray, 0700), 0);
	free(stray);
	stray = xasprintf("%s/s0/d.1.0/name/cert.pem", tmp);
	assert_int_equal(write_file_atomic(stray, "x", 1, 0600, &cause), 0);
	free(stray);
	assert_int_equal(repo_lock(fx->r, 0, &cause), 0);
	repo_unlock(fx->r);
	assert_non_null(d = opendir(tmp));
	while ((de = readdir(d)) != NULL)
		assert_true(de->d_name[0] == '.');
	closedir(d);
	free(tmp);
}

/* repo_commit_diff's lines as "K text", K one of F H + - ' ' N. */
static int
diff_lines_cb(void *arg, enum repo_diff_line kind, const char *line,
    size_t len)
{
	static const char k[] = { 'F', 'H', '+', '-', ' ', 'N' };
	struct strv *v = arg;

	assert_int_equal(strlen(line), len);
	strv_addn(v, xasprintf("%c %s", k[kind], line));
	return 0;
}

static int
diff_stop_cb(void *arg, enum repo_diff_line kind, const char *line,
    size_t len)
{
	(*(int *)arg)++;
	return 7;
}

static void
test_commit_diff(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[3];
	struct strv v;
	char a[REPO_OID_HEX], b[REPO_OID_HEX], *cause = NULL, *git, *ours;
	size_t i;

	strv_init(&v);
	c[0] = ch("certs/ab/one/entry", "owner = a\ntags = x\n");
	c[1] = ch("certdeck.conf", "x = 1\n");
	commit_ok(fx, c, 2, "A", a);
	c[0] = ch("certs/ab/one/entry", "owner = b\ntags = x\n");
	c[1] = ch("certdeck.conf", NULL);
	c[2] = ch("certs/cd/two/entry", "no newline");
	commit_ok(fx, c, 3, "B", b);

	assert_int_equal(repo_commit_diff(fx->r, b, diff_lines_cb, &v,
	    &cause), 0);
	/* The same lines git itself prints, each with its kind. */
	git = GIT(fx->dir, "diff", "--no-color", a, b);
	{
		struct buf all;

		buf_init(&all);
		for (i = 0; i < v.n; i++) {
			buf_adds(&all, v.v[i] + 2);
			if (i + 1 < v.n)
				buf_addc(&all, '\n');
		}
		ours = buf_steal(&all);
	}
	assert_string_equal(ours, git);
	free(ours);
	free(git);
	assert_true(strv_has(&v, "F diff --git a/certdeck.conf b/certdeck.conf"));
	assert_true(strv_has(&v, "F --- a/certs/ab/one/entry"));
	assert_true(strv_has(&v, "H @@ -1,2 +1,2 @@"));
	assert_true(strv_has(&v, "- -owner = a"));
	assert_true(strv_has(&v, "+ +owner = b"));
	assert_true(strv_has(&v, "   tags = x"));
	assert_true(strv_has(&v, "N \\ No newline at end of file"));
	strv_free(&v);

	/* The first commit: against the empty tree. */
	assert_int_equal(repo_commit_diff(fx->r, a, diff_lines_cb, &v,
	    &cause), 0);
	assert_true(strv_has(&v, "F new file mode 100644"));
	assert_true(strv_has(&v, "+ +owner = a"));
	strv_free(&v);

	/* The callback stops the diff and its value comes back. */
	{
		int calls = 0;

		assert_int_equal(repo_commit_diff(fx->r, b, diff_stop_cb,
		    &calls, &cause), 7);
		assert_int_equal(calls, 1);
	}
	assert_int_equal(repo_commit_diff(fx->r, "no-such-rev", diff_lines_cb,
	    &v, &cause), -1);
	assert_non_null(cause);
	free(cause);
	strv_free(&v);
}

static void
test_revert_changes(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[4], *rv = NULL;
	char a[REPO_OID_HEX], b[REPO_OID_HEX], r[REPO_OID_HEX];
	char *cause = NULL, *ta, *tr;
	size_t n = 9;

	c[0] = ch("certs/ab/one/cert.pem", "one\n");
	c[1] = ch("certs/ab/one/entry", "owner = a\n");
	c[2] = ch("keys/one.key", "key\n");
	commit_ok(fx, c, 3, "A", a);

	/* The root commit has nothing before it. */
	assert_int_equal(repo_revert_changes(fx->r, a, &rv, &n, &cause), 0);
	assert_null(rv);
	assert_int_equal(n, 0);

	c[0] = ch("certs/ab/one/cert.pem", NULL);
	c[1] = ch("certs/ab/one/entry", NULL);
	c[2] = ch("keys/one.key", NULL);
	c[3] = ch("certs/cd/two/entry", "owner = b\n");
	commit_ok(fx, c, 4, "B", b);
	assert_int_equal(repo_revert_changes(fx->r, b, &rv, &n, &cause), 1);
	assert_int_equal(n, 4);
	/* Committed, they make A's tree again. */
	commit_ok(fx, rv, n, "revert B", r);
	repo_changes_free(rv, n);
	ta = GIT(fx->dir, "rev-parse", "HEAD~2^{tree}");
	tr = GIT(fx->dir, "rev-parse", "HEAD^{tree}");
	assert_string_equal(ta, tr);
	free(ta);
	free(tr);
	assert_wt(fx, "keys/one.key", "key\n");
	assert_false(wt_exists(fx, "certs/cd"));
	assert_clean(fx->dir);

	/* An empty commit changes nothing. */
	assert_int_equal(GIT_RC(fx->dir, "-c", "user.name=T", "-c",
	    "user.email=t@example.org", "commit", "-q", "--allow-empty", "-m",
	    "empty"), 0);
	assert_int_equal(repo_revert_changes(fx->r, "HEAD", &rv, &n, &cause),
	    1);
	assert_int_equal(n, 0);
	repo_changes_free(rv, n);
	assert_null(cause);
}

/* repo_list_dir: the files of one directory, with the blob ids git has,
   and its subdirectories (blob id ""). */
struct listed {
	struct strv	names;
	struct strv	blobs;
	struct strv	dirs;
	int		stop_after;	/* 0: never stop */
};

static int
listed_one(void *arg, const char *name, const char blob_id[REPO_OID_HEX])
{
	struct listed *l = arg;

	if (*blob_id == '\0') {
		strv_add(&l->dirs, name);
		return 0;
	}
	strv_add(&l->names, name);
	strv_add(&l->blobs, blob_id);
	return l->stop_after != 0 && (int)l->names.n == l->stop_after;
}

static void
test_list_dir(void **state)
{
	struct fx *fx = *state;
	struct repo_change c[4];
	struct listed l;
	char *cause = NULL, id[REPO_OID_HEX], *spec;

	memset(&l, 0, sizeof l);
	/* Unborn HEAD: nothing, no error. */
	assert_int_equal(repo_list_dir(fx->r, NULL, "observed", listed_one, &l,
	    &cause), 0);
	assert_int_equal(l.names.n, 0);
	c[0] = ch("observed/b_443", "sha256 = bb\n");
	c[1] = ch("observed/a_443", "sha256 = aa\n");
	c[2] = ch("observed/sub/x", "not a file of observed/ itself\n");
	c[3] = ch("certdeck.conf", "\n");
	commit_ok(fx, c, 4, "observe", id);
	assert_int_equal(repo_list_dir(fx->r, NULL, "observed", listed_one, &l,
	    &cause), 0);
	/* Files in tree (byte) order; the subdirectory with no blob id. */
	assert_int_equal(l.names.n, 2);
	assert_string_equal(l.names.v[0], "a_443");
	assert_string_equal(l.names.v[1], "b_443");
	assert_int_equal(l.dirs.n, 1);
	assert_string_equal(l.dirs.v[0], "sub");
	strv_free(&l.dirs);
	assert_git_eq(l.blobs.v[0], fx->dir, "rev-parse", "HEAD:observed/a_443");
	assert_git_eq(l.blobs.v[1], fx->dir, "rev-parse", "HEAD:observed/b_443");
	strv_free(&l.names);
	strv_free(&l.blobs);
	/* A callback that stops; a directory that is not there, or a file. */
	l.stop_after = 1;
	assert_int_equal(repo_list_dir(fx->r, id, "observed", listed_one, &l,
	    &cause), 0);
	assert_int_equal(l.names.n, 1);
	assert_int_equal(repo_list_dir(fx->r, NULL, "nothing", listed_one, &l,
	    &cause), 0);
	assert_int_equal(repo_list_dir(fx->r, NULL, "certdeck.conf",
	    listed_one, &l, &cause), 0);
	assert_int_equal(l.names.n, 1);
	/* A commit that does not exist is an error. */
	spec = xstrdup("0123456789012345678901234567890123456789");
	assert_int_equal(repo_list_dir(fx->r, spec, "observed", listed_one, &l,
	    &cause), -1);
	assert_non_null(cause);
	free(cause);
	free(spec);
	strv_free(&l.names);
	strv_free(&l.blobs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_first_commit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_head, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_commit_nested, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_commit_new_dirs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_walk_entries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_diff_entries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hand_edit_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sync_worktree, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_author, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_concurrent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stage_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_commit_diff, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_revert_changes, setup,
		    teardown),
	};
	char *home;
	int rc;

	/*
	 * Neither libgit2 nor git may see the user's own configuration: an
	 * empty HOME, no system file, and UTC. libgit2 reads HOME when it is
	 * first initialised, which is in the first repo_ call below.
	 */
	home = tu_tmpdir();
	setenv("HOME", home, 1);
	setenv("XDG_CONFIG_HOME", home, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("TZ", "UTC", 1);
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	unsetenv("GIT_INDEX_FILE");
	unsetenv("GIT_AUTHOR_NAME");
	unsetenv("GIT_AUTHOR_EMAIL");
	unsetenv("GIT_COMMITTER_NAME");
	unsetenv("GIT_COMMITTER_EMAIL");
	tzset();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tu_rmdir(home);
	free(home);
	return rc;
}
