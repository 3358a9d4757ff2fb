/*
 * test_remote.c: store/remote.c on real repositories in a scratch
 * directory: a bare repository as the remote, checked with the real git
 * command as well as through the API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util.h"
#include "remote.h"
#include "repo.h"

struct fx {
	char		*tmp;
	char		*dir;
	char		*bare;
	struct repo	*r;
};

static int64_t fake_now = 1700000000;

static int64_t
fake_clock(void)
{
	return fake_now += 60;
}

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof *fx);
	char *cause = NULL;

	fx->tmp = tu_tmpdir();
	fx->dir = xasprintf("%s/inv", fx->tmp);
	fx->bare = xasprintf("%s/central.git", fx->tmp);
	if (tu_run(fx->tmp, NULL, "git", "init", "-q", "--bare", "-b", "main",
	    fx->bare, (char *)NULL) != 0 ||
	    repo_create(fx->dir, &cause) != 0 ||
	    repo_open(fx->dir, &fx->r, &cause) != 0) {
		fprintf(stderr, "setup: %s\n", cause ? cause : "git init");
		free(cause);
		return -1;
	}
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
	free(fx->tmp);
	free(fx->dir);
	free(fx->bare);
	free(fx);
	return 0;
}

static void
commit1(struct fx *fx, const char *path, const char *data, const char *msg,
    char out[REPO_OID_HEX])
{
	struct repo_change ch = { path, data, data ? strlen(data) : 0 };
	char *cause = NULL;

	if (repo_commit(fx->r, &ch, 1, msg, out, &cause) != 0)
		fail_msg("commit: %s", cause);
}

static int
count_file(void *arg, const char *path, const char *o, const char *n)
{
	size_t *k = arg;

	(void)path;
	(void)o;
	(void)n;
	(*k)++;
	return 0;
}

static void
test_replay(void **state)
{
	struct fx *fx = *state;
	struct repo_change ch[2];
	struct strv ids;
	char base[REPO_OID_HEX], a[REPO_OID_HEX], b[REPO_OID_HEX];
	char c[REPO_OID_HEX], out[REPO_OID_HEX], mb[REPO_OID_HEX], *s, *cause = NULL;
	size_t ahead, behind, k = 0;

	commit1(fx, "certs/aa/x/entry", "owner = o\n", "base\n", base);
	commit1(fx, "certs/aa/x/entry", "owner = a\n", "a\n\nCertdeck-Action: set\n", a);
	commit1(fx, "certs/bb/y/entry", "owner = b\n", "b\n", b);
	/* The first parents after base, oldest first. */
	strv_init(&ids);
	assert_int_equal(repo_first_parents(fx->r, base, b, &ids, &cause), 0);
	assert_int_equal(ids.n, 2);
	assert_string_equal(ids.v[0], a);
	assert_string_equal(ids.v[1], b);
	strv_free(&ids);
	assert_int_equal(repo_commit_files(fx->r, b, count_file, &k, &cause), 0);
	assert_int_equal(k, 1);

	/* a again, on top of b, with one more path and one removed. */
	ch[0].path = "certs/cc/z/entry";
	ch[0].data = "owner = z\n";
	ch[0].len = strlen(ch[0].data);
	ch[1].path = "certs/bb/y/entry";
	ch[1].data = NULL;
	ch[1].len = 0;
	assert_int_equal(repo_replay(fx->r, b, a, ch, 2, c, &cause), 1);
	assert_int_equal(tu_run(fx->dir, &s, "git", "log", "-1",
	    "--format=%P|%an|%B", c, (char *)NULL), 0);
	assert_non_null(strstr(s, b));
	assert_non_null(strstr(s, "Certdeck-Action: set"));
	free(s);
	assert_int_equal(tu_run(fx->dir, &s, "git", "ls-tree", "-r",
	    "--name-only", c, (char *)NULL), 0);
	assert_string_equal(s, "certs/aa/x/entry\ncerts/cc/z/entry\n");
	free(s);
	/* Nothing left to change: no commit, out is the parent. */
	ch[0].path = "certs/cc/z/entry";
	assert_int_equal(repo_replay(fx->r, c, a, ch, 2, out, &cause), 0);
	assert_string_equal(out, c);

	assert_int_equal(repo_merge_base(fx->r, c, a, mb, &cause), 1);
	assert_string_equal(mb, a);
	assert_int_equal(repo_ahead_behind(fx->r, c, a, &ahead, &behind,
	    &cause), 0);
	assert_int_equal(ahead, 2);
	assert_int_equal(behind, 0);

	/* The branch moves only from where it is. */
	assert_int_equal(repo_move_head(fx->r, a, c, "test", &cause), -1);
	assert_non_null(strstr(cause, "moved meanwhile"));
	free(cause);
	cause = NULL;
	assert_int_equal(repo_move_head(fx->r, b, c, "test", &cause), 0);
	assert_int_equal(repo_head(fx->r, out, &cause), 1);
	assert_string_equal(out, c);
}

static int
list_one(void *arg, const char *name, const char *url)
{
	char **s = arg;

	*s = xasprintf("%s=%s", name, url);
	return 0;
}

static void
test_fetch_push(void **state)
{
	struct fx *fx = *state;
	char head[REPO_OID_HEX], tip[REPO_OID_HEX], *s = NULL, *br = NULL;
	char *cause = NULL;

	commit1(fx, "certdeck.conf", "x = 1\n", "init\n", head);
	assert_int_equal(repo_remote_add(fx->r, "origin", fx->bare, &cause), 0);
	assert_int_equal(repo_remote_add(fx->r, "bad name", fx->bare, &cause),
	    -1);
	free(cause);
	cause = NULL;
	assert_int_equal(repo_remote_exists(fx->r, "origin", &cause), 1);
	assert_int_equal(repo_remote_exists(fx->r, "nope", &cause), 0);
	assert_int_equal(repo_remote_list(fx->r, list_one, &s, &cause), 0);
	assert_non_null(s);
	assert_true(str_startswith(s, "origin="));
	free(s);
	assert_int_equal(repo_branch(fx->r, &br, &cause), 0);
	assert_string_equal(br, "main");
	/* An empty remote: no branch yet. */
	assert_int_equal(repo_fetch(fx->r, "origin", br, tip, &cause), 0);
	assert_int_equal(repo_push(fx->r, "origin", br, head, &cause), 0);
	assert_int_equal(tu_run(fx->tmp, &s, "git", "--git-dir", fx->bare,
	    "rev-parse", "main", (char *)NULL), 0);
	assert_int_equal(strncmp(s, head, 40), 0);
	free(s);
	assert_int_equal(repo_tracking(fx->r, "origin", br, tip, &cause), 1);
	assert_string_equal(tip, head);
	/* An unreachable remote: an error naming it. */
	assert_int_equal(repo_remote_add(fx->r, "gone", "/nonexistent/x.git",
	    &cause), 0);
	assert_int_equal(repo_fetch(fx->r, "gone", br, tip, &cause), -1);
	assert_non_null(strstr(cause, "cannot fetch from gone"));
	free(cause);
	free(br);
}

/* Passwords never shown: repo_url_redact on every URL form. */
static void
test_redact(void **state)
{
	static const char *const cases[][2] = {
		{ "https://op:s3cret@host:8443/a.git",
		  "https://op:***@host:8443/a.git" },
		{ "https://op@host/a.git", "https://op@host/a.git" },
		{ "https://host/a.git", "https://host/a.git" },
		{ "https://op:p@ss:w@[::1]:8443/a@b.git",
		  "https://op:***@[::1]:8443/a@b.git" },
		{ "ssh://git:pw@host:2222/srv/a.git",
		  "ssh://git:***@host:2222/srv/a.git" },
		{ "git@host:srv/a.git", "git@host:srv/a.git" },
		{ "/srv/git/a:b@c.git", "/srv/git/a:b@c.git" },
		{ "file:///srv/a.git", "file:///srv/a.git" },
	};
	size_t i;
	char *r;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = repo_url_redact(cases[i][0]);
		assert_string_equal(r, cases[i][1]);
		free(r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_push, setup,
		    teardown),
		cmocka_unit_test(test_redact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
