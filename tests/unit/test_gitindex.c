/*
 * test_gitindex.c: store/gitindex.c against what git and libgit2 read:
 * every file it writes is read back by libgit2 (which checks the SHA-1)
 * and listed by the real git command.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "testutil.h"
#include "util.h"
#include "gitindex.h"

struct fx {
	char	*tmp;
	char	*index;		/* <tmp>/.git/index */
};

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof *fx);

	fx->tmp = tu_tmpdir();
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "init", "-q", ".",
	    (char *)NULL), 0);
	fx->index = xasprintf("%s/.git/index", fx->tmp);
	git_libgit2_init();
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	git_libgit2_shutdown();
	tu_rmdir(fx->tmp);
	free(fx->tmp);
	free(fx->index);
	free(fx);
	return 0;
}

/* An entry whose fields all differ, so a field written in the wrong
   place shows. */
static struct gix_ent
ent(unsigned seed)
{
	struct gix_ent e;
	size_t i;

	e.ctime_s = 1000 + seed;
	e.ctime_ns = 2000 + seed;
	e.mtime_s = 3000 + seed;
	e.mtime_ns = 4000 + seed;
	e.dev = 5 + seed;
	e.ino = 6000 + seed;
	e.mode = 0100644;
	e.uid = 7 + seed;
	e.gid = 8 + seed;
	e.size = 9 + seed;
	for (i = 0; i < sizeof e.id; i++)
		e.id[i] = (unsigned char)(seed * 31 + i);
	return e;
}

static void
assert_ent(const struct gix_ent *a, const struct gix_ent *b)
{
	assert_memory_equal(a, b, sizeof *a);
}

/* libgit2's view of the file: it checks the trailing SHA-1. */
static void
assert_libgit2(struct fx *fx, size_t count, const char *path,
    const struct gix_ent *want)
{
	git_index *idx = NULL;
	const git_index_entry *ie;

	assert_int_equal(git_index_open(&idx, fx->index), 0);
	assert_int_equal(git_index_read(idx, 1), 0);
	assert_int_equal(git_index_entrycount(idx), count);
	if (path != NULL) {
		ie = git_index_get_bypath(idx, path, 0);
		assert_non_null(ie);
		assert_int_equal(ie->mtime.seconds, want->mtime_s);
		assert_int_equal(ie->mtime.nanoseconds, want->mtime_ns);
		assert_int_equal(ie->ctime.seconds, want->ctime_s);
		assert_int_equal(ie->ino, want->ino);
		assert_int_equal(ie->uid, want->uid);
		assert_int_equal(ie->gid, want->gid);
		assert_int_equal(ie->file_size, want->size);
		assert_int_equal(ie->mode, want->mode);
		assert_memory_equal(ie->id.id, want->id, 20);
	}
	git_index_free(idx);
}

static struct gix *
open_ok(struct fx *fx)
{
	struct gix *g = NULL;
	char *cause = NULL;

	assert_int_equal(gix_open(fx->index, &g, &cause), 0);
	assert_non_null(g);
	return g;
}

/* Write g and free it; how the file was written (GIX_WROTE_...). */
static int
write_ok(struct fx *fx, struct gix *g)
{
	char *cause = NULL;
	unsigned long before[GIX_WROTE_N];
	int k;

	for (k = 0; k < GIX_WROTE_N; k++)
		before[k] = gix_wrote(k);
	if (gix_write(g, fx->index, fx->tmp, &cause) != 0) {
		fprintf(stderr, "gix_write: %s\n", cause);
		fail();
	}
	gix_free(g);
	for (k = 0; k < GIX_WROTE_N; k++)
		if (gix_wrote(k) == before[k] + 1)
			return k;
	fail_msg("gix_write counted no write");
	return -1;
}

/* Path names of every length around git's 12-bit length field. */
static void
test_names(void **state)
{
	struct fx *fx = *state;
	struct gix *g;
	struct gix_ent e, got;
	static const size_t lens[] = { 1, 7, 8, 9, 62, 4094, 4095, 4096,
	    5000 };
	char *names[sizeof lens / sizeof lens[0]], *out = NULL;
	size_t i, n = sizeof lens / sizeof lens[0];

	/* Made in reverse order, from an index that does not exist yet. */
	assert_int_equal(access(fx->index, F_OK), -1);
	g = open_ok(fx);
	for (i = 0; i < n; i++) {
		names[i] = xmalloc(lens[i] + 1);
		memset(names[i], 'a' + (int)(i % 26), lens[i]);
		names[i][lens[i]] = '\0';
	}
	for (i = n; i-- > 0;) {
		e = ent((unsigned)i);
		gix_put(g, names[i], &e);
	}
	assert_true(gix_pending(g));
	write_ok(fx, g);
	e = ent(6);
	assert_libgit2(fx, n, names[6], &e);
	e = ent(8);
	assert_libgit2(fx, n, names[8], &e);

	/* git lists them in its order, each name whole. */
	assert_int_equal(tu_run(fx->tmp, &out, "git", "ls-files",
	    (char *)NULL), 0);
	for (i = 0; i < n; i++) {
		assert_non_null(strstr(out, names[i]));
		assert_int_equal(out[strstr(out, names[i]) - out + lens[i]],
		    '\n');
	}
	free(out);

	/* Read back by the editor: every entry found, nothing invented. */
	g = open_ok(fx);
	for (i = 0; i < n; i++) {
		assert_int_equal(gix_get(g, names[i], &got), 1);
		e = ent((unsigned)i);
		assert_ent(&got, &e);
	}
	assert_int_equal(gix_get(g, "b", &got), 0);
	assert_int_equal(gix_get(g, "aaaaaaaaa0", &got), 0);
	assert_false(gix_pending(g));
	gix_free(g);
	for (i = 0; i < n; i++)
		free(names[i]);
}

/* Edits spliced among the entries git wrote, and the caches dropped. */
static void
test_splice(void **state)
{
	struct fx *fx = *state;
	struct gix *g;
	struct gix_ent e, got;
	char *out = NULL, *tree = NULL, *head = NULL, *path;
	int i;

	/* git writes the index: ten files, committed (a tree cache). */
	for (i = 0; i < 10; i++) {
		path = xasprintf("%s/f%d", fx->tmp, i);
		assert_int_equal(write_file_atomic(path, "x\n", 2, 0644, NULL),
		    0);
		free(path);
	}
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "add", ".",
	    (char *)NULL), 0);
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "-c", "user.name=t",
	    "-c", "user.email=t@t", "commit", "-qm", "ten", (char *)NULL), 0);

	g = open_ok(fx);
	assert_int_equal(gix_get(g, "f3", &got), 1);
	assert_int_equal(got.size, 2);
	e = got;
	e.size = 3;
	e.id[0] ^= 0xff;
	gix_put(g, "f3", &e);		/* changed */
	gix_del(g, "f0");		/* the first */
	gix_del(g, "f9");		/* the last */
	gix_del(g, "nope");		/* not there: nothing */
	gix_put(g, "f45", &got);	/* new, between two */
	gix_put(g, "zz", &got);		/* new, at the end */
	gix_put(g, "a", &got);		/* new, at the start */
	gix_del(g, "a");		/* and gone again */
	assert_int_equal(gix_get(g, "f3", &got), 1);
	assert_int_equal(got.size, 3);
	assert_int_equal(gix_get(g, "f0", &got), 0);
	assert_int_equal(gix_get(g, "a", &got), 0);
	write_ok(fx, g);
	assert_libgit2(fx, 10, "f3", &e);
	assert_int_equal(tu_run(fx->tmp, &out, "git", "ls-files",
	    (char *)NULL), 0);
	assert_string_equal(out, "f1\nf2\nf3\nf4\nf45\nf5\nf6\nf7\nf8\nzz\n");
	free(out);

	/* No stale tree cache: write-tree builds from the entries. */
	g = open_ok(fx);
	assert_int_equal(gix_get(g, "f3", &got), 1);
	got.size = 2;
	got.id[0] ^= 0xff;		/* back to HEAD's blob */
	gix_put(g, "f3", &got);
	gix_del(g, "f45");
	gix_del(g, "zz");
	assert_int_equal(gix_get(g, "f1", &got), 1);
	gix_put(g, "f0", &got);
	gix_put(g, "f9", &got);
	write_ok(fx, g);
	assert_int_equal(tu_run(fx->tmp, &tree, "git", "write-tree",
	    (char *)NULL), 0);
	assert_int_equal(tu_run(fx->tmp, &head, "git", "rev-parse",
	    "HEAD^{tree}", (char *)NULL), 0);
	assert_string_equal(tree, head);
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "fsck", "--strict",
	    (char *)NULL), 0);
	free(tree);
	free(head);
}

/* A lock file in the way: GIX_LOCKED, the index and the lock untouched. */
static void
test_locked(void **state)
{
	struct fx *fx = *state;
	struct gix *g;
	struct gix_ent e = ent(1);
	char *lock, *cause = NULL;
	struct stat st;

	g = open_ok(fx);
	gix_put(g, "one", &e);
	write_ok(fx, g);
	lock = xasprintf("%s.lock", fx->index);
	assert_int_equal(write_file_atomic(lock, "theirs", 6, 0644, NULL), 0);
	g = open_ok(fx);
	gix_put(g, "two", &e);
	assert_int_equal(gix_write(g, fx->index, fx->tmp, &cause), GIX_LOCKED);
	gix_free(g);
	assert_int_equal(stat(lock, &st), 0);
	assert_int_equal(st.st_size, 6);
	assert_libgit2(fx, 1, "one", &e);
	free(lock);
}

static void
wt_add(struct fx *fx, const char *name, const char *data)
{
	char *path = xasprintf("%s/%s", fx->tmp, name);

	assert_int_equal(write_file_atomic(path, data, strlen(data), 0644,
	    NULL), 0);
	free(path);
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "add", name,
	    (char *)NULL), 0);
}

static void
assert_ls_files(struct fx *fx, const char *want)
{
	char *out = NULL;

	assert_int_equal(tu_run(fx->tmp, &out, "git", "ls-files",
	    (char *)NULL), 0);
	assert_string_equal(out, want);
	free(out);
}

/* git lists n entries. */
static void
assert_ls_files_count(struct fx *fx, size_t n)
{
	char *out = NULL, *p;
	size_t k = 0;

	assert_int_equal(tu_run(fx->tmp, &out, "git", "ls-files",
	    (char *)NULL), 0);
	for (p = out; (p = strchr(p, '\n')) != NULL; p++)
		k++;
	assert_int_equal(k, n);
	free(out);
}

/*
 * Another git writes the index between the open and the write: the
 * edits go onto what it wrote, nothing of it is lost; if it wrote a
 * format the editor does not take, nothing is written.
 */
static void
test_reread(void **state)
{
	struct fx *fx = *state;
	struct gix *g;
	struct gix_ent e = ent(3);
	char *cause = NULL, *lock;

	wt_add(fx, "f", "f\n");
	g = open_ok(fx);
	gix_put(g, "g", &e);
	wt_add(fx, "h", "h\n");	/* git, meanwhile */
	write_ok(fx, g);
	assert_ls_files(fx, "f\ng\nh\n");
	assert_libgit2(fx, 3, "g", &e);

	g = open_ok(fx);
	gix_del(g, "g");
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "update-index",
	    "--index-version", "4", (char *)NULL), 0);
	assert_int_equal(gix_write(g, fx->index, fx->tmp, &cause), -1);
	assert_non_null(strstr(cause, "changed by another git command"));
	free(cause);
	gix_free(g);
	lock = xasprintf("%s.lock", fx->index);
	assert_int_equal(access(lock, F_OK), -1);
	free(lock);
	assert_ls_files(fx, "f\ng\nh\n");	/* theirs, untouched */
}

/* Flip one byte of a file in place. */
static void
flip(const char *path, off_t at)
{
	unsigned char b;
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, at), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, at), 1);
	close(fd);
}

/* Does libgit2 read the index (it checks the SHA-1)? */
static int
libgit2_reads(struct fx *fx)
{
	git_index *idx = NULL;
	int ok;

	/* git_index_open reads the file too. */
	ok = git_index_open(&idx, fx->index) == 0 &&
	    git_index_read(idx, 1) == 0;
	git_index_free(idx);
	return ok;
}

#define LONG_NAME "-an-entry-name-long-enough-to-make-the-index-larger-" \
	"than-a-megabyte"

/* Change entry i of test_states's index (its stat data), or add it. */
static int
edit_one(struct fx *fx, int i, unsigned seed)
{
	struct gix *g = open_ok(fx);
	struct gix_ent e = ent(seed);
	char *name = xasprintf("d/%05d%s", i, LONG_NAME);
	int k;

	gix_put(g, name, &e);
	k = write_ok(fx, g);
	free(name);
	return k;
}

/* 12,000 entries of ~140 bytes (1.7 MB, six saved states), written
   whole. */
static void
big_index(struct fx *fx)
{
	struct gix *g = open_ok(fx);
	struct gix_ent e = ent(7);
	char *name;
	int i;

	for (i = 0; i < 12000; i++) {
		name = xasprintf("d/%05d%s", i, LONG_NAME);
		gix_put(g, name, &e);
		free(name);
	}
	write_ok(fx, g);
}

/*
 * A large index's SHA-1 resumes from the state saved before the first
 * changed byte (FILE.certdeck-sha1); states that do not belong to the
 * file, or fail their own SHA-1, are not used.
 */
static void
test_states(void **state)
{
	struct fx *fx = *state;
	char *states = xasprintf("%s.certdeck-sha1", fx->index);
	struct stat st;

	big_index(fx);
	assert_int_equal(stat(states, &st), 0);
	assert_true(libgit2_reads(fx));

	/* Near the end: hashed from a saved state; libgit2 checks it. */
	edit_one(fx, 11990, 1);
	assert_true(libgit2_reads(fx));
	/* At the start, and a new entry (the count in the header). */
	edit_one(fx, 0, 2);
	assert_true(libgit2_reads(fx));
	edit_one(fx, 12000, 2);
	assert_true(libgit2_reads(fx));
	assert_ls_files_count(fx, 12001);	/* git lists them all */

	/*
	 * The states are what is hashed: a byte changed early in the file
	 * behind its back (its SHA-1 left as it was) is not hashed again,
	 * so the next file's SHA-1 is wrong, and libgit2 says so. Without
	 * the states, the whole file is hashed and all is well again.
	 */
	flip(fx->index, 12 + 4);		/* the first entry's ctime */
	edit_one(fx, 11991, 3);
	assert_false(libgit2_reads(fx));
	assert_int_equal(unlink(states), 0);
	edit_one(fx, 11992, 4);
	assert_true(libgit2_reads(fx));

	/* States that fail their own SHA-1 are not used. */
	assert_int_equal(stat(states, &st), 0);
	flip(fx->index, 12 + 4);
	flip(states, st.st_size - 30);	/* before its own SHA-1 */
	edit_one(fx, 11993, 5);
	assert_true(libgit2_reads(fx));

	/* Nor states of another file (another git wrote the index). */
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "update-index",
	    "--force-remove", "d/12000" LONG_NAME, (char *)NULL), 0);
	flip(fx->index, 12 + 4);
	edit_one(fx, 11994, 6);
	assert_true(libgit2_reads(fx));
	free(states);
}

static ino_t
ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* Entry i as libgit2 reads it (the file's SHA-1 checked) is ent(seed). */
static void
assert_entry(struct fx *fx, int i, unsigned seed)
{
	struct gix_ent e = ent(seed);
	char *name = xasprintf("d/%05d%s", i, LONG_NAME);

	assert_libgit2(fx, 12000, name, &e);
	free(name);
}

/*
 * The index replaced is kept, and when the next change only replaces
 * entries of the same size, it is patched into the new file: just the
 * runs the last write and this one changed, then renamed. libgit2
 * checks each file's SHA-1, computed from what the file should hold.
 * The spare is not written while a process has it open or mapped, or
 * while it has another name; a lock in the way leaves it alone.
 */
static void
test_patch(void **state)
{
	struct fx *fx = *state;
	char *spare = xasprintf("%s.certdeck-spare", fx->index);
	char *lock = xasprintf("%s.lock", fx->index), *cause = NULL;
	char *held = xasprintf("%s/held", fx->tmp), *before, *after;
	size_t blen, alen;
	struct gix *g;
	struct gix_ent e = ent(1);
	ino_t sp;
	struct stat st;
	mode_t mask;
	void *map;
	int k, fd;

	big_index(fx);
	assert_int_equal(access(spare, F_OK), -1);	/* nothing before */
	assert_int_equal(edit_one(fx, 5, 10), GIX_WROTE_NEW); /* no spare */
	assert_int_equal(access(spare, F_OK), 0);
	for (k = 0; k < 30; k++) {
		sp = ino_of(spare);
		assert_int_equal(edit_one(fx, (k * 7919) % 12000, 20 + k),
		    GIX_WROTE_PATCHED);
		assert_int_equal(ino_of(fx->index), sp);
		assert_entry(fx, (k * 7919) % 12000, 20 + k);
	}
	assert_entry(fx, 5, 10);	/* an early change is still there */
	assert_ls_files_count(fx, 12000);
	/* Patched with the mode a new file would have had. */
	sp = ino_of(spare);
	mask = umask(002);
	assert_int_equal(edit_one(fx, 6, 11), GIX_WROTE_PATCHED);
	umask(mask);
	assert_int_equal(ino_of(fx->index), sp);
	assert_int_equal(stat(fx->index, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0664);

	/* A reader has the spare open: a new file; its bytes unchanged. */
	assert_int_equal(read_file(spare, 1 << 24, &before, &blen, &cause),
	    0);
	fd = open(spare, O_RDONLY);
	assert_true(fd >= 0);
	sp = ino_of(spare);
	assert_int_equal(edit_one(fx, 100, 60), GIX_WROTE_NEW);
	assert_true(ino_of(fx->index) != sp);
	assert_int_equal(read_fd(fd, 1 << 24, &after, &alen, &cause), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	free(after);
	free(before);
	close(fd);
	assert_entry(fx, 100, 60);

	/* Mapped, no descriptor left: not written either. */
	fd = open(spare, O_RDONLY);
	assert_true(fd >= 0);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	close(fd);
	sp = ino_of(spare);
	assert_int_equal(edit_one(fx, 101, 61), GIX_WROTE_NEW);
	assert_true(ino_of(fx->index) != sp);
	assert_int_equal(munmap(map, 4096), 0);
	assert_entry(fx, 101, 61);

	/* A second name (a backup's hard link): left alone. */
	assert_int_equal(link(spare, held), 0);
	sp = ino_of(spare);
	assert_int_equal(read_file(held, 1 << 24, &before, &blen, &cause), 0);
	assert_int_equal(edit_one(fx, 102, 62), GIX_WROTE_NEW);
	assert_true(ino_of(fx->index) != sp);
	assert_int_equal(read_file(held, 1 << 24, &after, &alen, &cause), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	free(after);
	free(before);
	assert_entry(fx, 102, 62);

	/* The lock in the way: GIX_LOCKED, spare and lock untouched. */
	assert_int_equal(write_file_atomic(lock, "theirs", 6, 0644, NULL), 0);
	sp = ino_of(spare);
	g = open_ok(fx);
	gix_put(g, "d/00103" LONG_NAME, &e);
	assert_int_equal(gix_write(g, fx->index, fx->tmp, &cause),
	    GIX_LOCKED);
	gix_free(g);
	assert_int_equal(ino_of(spare), sp);
	assert_int_equal(read_file(lock, 64, &before, &blen, &cause), 0);
	assert_int_equal(blen, 6);
	free(before);
	assert_int_equal(unlink(lock), 0);

	/* Killed with the spare taken as the lock (its name still there,
	   or gone): once the stale lock is removed, all is well. */
	assert_int_equal(link(spare, lock), 0);
	assert_int_equal(unlink(lock), 0);
	edit_one(fx, 104, 64);
	assert_entry(fx, 104, 64);
	assert_int_equal(link(spare, lock), 0);
	assert_int_equal(unlink(spare), 0);
	assert_int_equal(unlink(lock), 0);
	assert_int_equal(edit_one(fx, 105, 65), GIX_WROTE_NEW); /* no spare */
	assert_entry(fx, 105, 65);
	/* Killed after the index was linked as the spare, before the
	   rename: the spare is the live index, never written into. */
	assert_int_equal(unlink(spare), 0);
	assert_int_equal(link(fx->index, spare), 0);
	sp = ino_of(fx->index);
	assert_int_equal(edit_one(fx, 106, 66), GIX_WROTE_NEW);
	assert_true(ino_of(fx->index) != sp);
	assert_entry(fx, 106, 66);
	edit_one(fx, 107, 67);
	assert_entry(fx, 107, 67);
	assert_entry(fx, 106, 66);

	/* An entry added at the end (the layout moves there): the spare
	   is compared with the new file and written where it differs,
	   and once more (the file before differs in size), then patched
	   from the states again. */
	g = open_ok(fx);
	sp = ino_of(spare);
	gix_put(g, "d/12000" LONG_NAME, &e);
	assert_int_equal(write_ok(fx, g), GIX_WROTE_COMPARED);
	assert_int_equal(ino_of(fx->index), sp);
	sp = ino_of(spare);
	assert_int_equal(edit_one(fx, 200, 70), GIX_WROTE_COMPARED);
	assert_int_equal(ino_of(fx->index), sp);
	sp = ino_of(spare);
	assert_int_equal(edit_one(fx, 201, 71), GIX_WROTE_PATCHED);
	assert_int_equal(ino_of(fx->index), sp);
	assert_true(libgit2_reads(fx));
	assert_ls_files_count(fx, 12001);
	/* git wrote it: compared, and written into the spare where they
	   differ. */
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "update-index",
	    "--force-remove", "d/12000" LONG_NAME, (char *)NULL), 0);
	sp = ino_of(spare);
	assert_int_equal(edit_one(fx, 202, 72), GIX_WROTE_COMPARED);
	assert_int_equal(ino_of(fx->index), sp);
	assert_entry(fx, 202, 72);
	assert_entry(fx, 201, 71);
	assert_ls_files_count(fx, 12000);

	/* One entry removed early and one of the same size added: the
	   size is the same, but from the removed one on every entry
	   moves. Too much differs: a new file. */
	edit_one(fx, 203, 73);
	g = open_ok(fx);
	gix_del(g, "d/00300" LONG_NAME);
	gix_put(g, "d/12000" LONG_NAME, &e);
	sp = ino_of(spare);
	assert_int_equal(write_ok(fx, g), GIX_WROTE_NEW);
	assert_true(ino_of(fx->index) != sp);
	assert_true(libgit2_reads(fx));
	edit_one(fx, 204, 74);
	edit_one(fx, 205, 75);
	assert_true(libgit2_reads(fx));
	assert_ls_files_count(fx, 12000);

	/* A spare that is not the file before (of the same size, but an
	   older one put there by hand): not patched from the states, but
	   compared, and written where it differs. */
	edit_one(fx, 206, 76);
	assert_int_equal(read_file(spare, 1 << 24, &before, &blen, &cause),
	    0);
	edit_one(fx, 207, 77);
	edit_one(fx, 208, 78);
	assert_int_equal(unlink(spare), 0);
	assert_int_equal(write_file_atomic(spare, before, blen, 0644, NULL),
	    0);
	free(before);
	sp = ino_of(spare);
	assert_int_equal(edit_one(fx, 209, 79), GIX_WROTE_COMPARED);
	assert_int_equal(ino_of(fx->index), sp);
	assert_entry(fx, 209, 79);
	assert_entry(fx, 208, 78);
	assert_entry(fx, 207, 77);
	free(spare);
	free(lock);
	free(held);
}

/*
 * Run change in a child killed at the crash point "gitindex-patch"
 * (while it writes into the spare), then put back the spare's name, as
 * a power cut that lost its removal would, and remove the stale lock.
 */
static void
killed_writing_spare(struct fx *fx, void (*change)(struct fx *))
{
	char *spare = xasprintf("%s.certdeck-spare", fx->index);
	char *lock = xasprintf("%s.lock", fx->index);
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		setenv("CERTDECK_TEST_CRASH", "gitindex-patch", 1);
		change(fx);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_int_equal(access(spare, F_OK), -1);	/* its name gone */
	assert_int_equal(link(lock, spare), 0);		/* ... and back */
	assert_int_equal(unlink(lock), 0);		/* the stale lock */
	free(spare);
	free(lock);
}

static void
change_entry_3(struct fx *fx)
{
	edit_one(fx, 3, 12);
}

/* An entry removed and one of the same size added near the end: the
   size is the same, the layout not (a compare). */
static void
change_layout(struct fx *fx)
{
	struct gix *g = open_ok(fx);
	struct gix_ent e = ent(1);

	gix_del(g, "d/11990" LONG_NAME);
	gix_put(g, "d/1199a" LONG_NAME, &e);
	write_ok(fx, g);
}

/*
 * Killed while it patches the spare, after a power cut that also lost
 * the removal of the spare's name: the half-written spare is there
 * again, under its name. Its SHA-1 was made zeros (durably) before any
 * entry was written into it, so it is not taken for the file before:
 * the next write compares it, and is right.
 */
static void
test_patch_torn(void **state)
{
	struct fx *fx = *state;

	big_index(fx);
	edit_one(fx, 1, 10);
	assert_int_equal(edit_one(fx, 2, 11), GIX_WROTE_PATCHED);
	killed_writing_spare(fx, change_entry_3);
	assert_true(libgit2_reads(fx));		/* the index as it was */
	/* Not patched (its SHA-1 is zeros): compared, and right. */
	assert_int_equal(edit_one(fx, 4, 13), GIX_WROTE_COMPARED);
	assert_true(libgit2_reads(fx));
	assert_entry(fx, 4, 13);
	assert_entry(fx, 2, 11);
	assert_entry(fx, 3, 7);		/* the killed change never landed */
	/* and patching works again */
	assert_int_equal(edit_one(fx, 5, 14), GIX_WROTE_PATCHED);
	assert_true(libgit2_reads(fx));
	assert_entry(fx, 5, 14);
}

/*
 * The same when the killed write was itself a compare (an entry removed
 * and one of the same size added near the end: the size is the same,
 * the layout not). The spare's SHA-1 is still the one the states
 * record for the file before, until the compare zeroes it; without
 * that, the next same-size change would patch the half-written spare.
 */
static void
test_compare_torn(void **state)
{
	struct fx *fx = *state;

	big_index(fx);
	edit_one(fx, 1, 10);
	assert_int_equal(edit_one(fx, 2, 11), GIX_WROTE_PATCHED);
	killed_writing_spare(fx, change_layout);
	assert_int_not_equal(edit_one(fx, 3, 12), GIX_WROTE_PATCHED);
	assert_true(libgit2_reads(fx));
	assert_entry(fx, 3, 12);
	assert_entry(fx, 2, 11);
}

/*
 * An entry added some 50 entries before the end: every block from it on
 * differs, a run of adjacent blocks, each of which must be written.
 */
static void
test_compare_runs(void **state)
{
	struct fx *fx = *state;
	struct gix *g;
	struct gix_ent e = ent(1);

	big_index(fx);
	edit_one(fx, 1, 10);
	edit_one(fx, 2, 11);
	g = open_ok(fx);
	gix_put(g, "d/11950" LONG_NAME "x", &e);
	assert_int_equal(write_ok(fx, g), GIX_WROTE_COMPARED);
	assert_true(libgit2_reads(fx));
	assert_ls_files_count(fx, 12001);
	assert_libgit2(fx, 12001, "d/11950" LONG_NAME "x", &e);
}

/* xorshift64: the same changes on every run. */
static unsigned
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (unsigned)(*s >> 11);
}

static char *
slurp(const char *path, size_t *len)
{
	char *data = NULL, *cause = NULL;

	if (read_file(path, 1 << 26, &data, len, &cause) != 0)
		fail_msg("%s: %s", path, cause);
	return data;
}

/*
 * Two copies of a 12,000-entry index get the same 150 random changes:
 * entries replaced, added (at the end and in the middle) and removed;
 * now and then the kept index is removed, or replaced by a copy of an
 * older file. One copy keeps its spare and states; the other loses them
 * before every write, so it is always written new, by the plain path.
 * After each write the two must be the same bytes, and libgit2 must
 * read them (it checks the SHA-1). Each kind of write must occur.
 */
static void
test_differential(void **state)
{
	struct fx *fx = *state;
	char *b = xasprintf("%s/b-index", fx->tmp);
	char *bspare = xasprintf("%s.certdeck-spare", b);
	char *bck = xasprintf("%s.certdeck-sha1", b);
	char *aspare = xasprintf("%s.certdeck-spare", fx->index);
	char *old = NULL, *da, *db, *cause = NULL, *name;
	size_t oldlen = 0, la, lb;
	unsigned long before[GIX_WROTE_N];
	uint64_t s = 88172645463325252ULL;
	unsigned r, i, op;
	int round, k, n;
	struct gix *ga, *gb;
	struct gix_ent e;

	big_index(fx);
	da = slurp(fx->index, &la);
	assert_int_equal(write_file_atomic(b, da, la, 0644, NULL), 0);
	free(da);
	for (k = 0; k < GIX_WROTE_N; k++)
		before[k] = gix_wrote(k);
	for (round = 0; round < 150; round++) {
		r = rnd(&s) % 100;
		if (r < 8)
			(void)unlink(aspare);
		else if (r < 16 && old != NULL) {
			(void)unlink(aspare);
			assert_int_equal(write_file_atomic(aspare, old, oldlen,
			    0644, NULL), 0);
		}
		ga = open_ok(fx);
		assert_int_equal(gix_open(b, &gb, &cause), 0);
		n = 1 + (int)(rnd(&s) % 3);
		for (k = 0; k < n; k++) {
			op = rnd(&s) % 20;
			i = rnd(&s) % 12100;	/* past 12,000: added */
			name = xasprintf("d/%05u%s%s", i, LONG_NAME,
			    op == 18 ? "+" : "");
			e = ent(rnd(&s) % 1000);
			if (op == 19) {
				gix_del(ga, name);
				gix_del(gb, name);
			} else {
				gix_put(ga, name, &e);
				gix_put(gb, name, &e);
			}
			free(name);
		}
		write_ok(fx, ga);
		(void)unlink(bspare);
		(void)unlink(bck);
		if (gix_write(gb, b, fx->tmp, &cause) != 0)
			fail_msg("%s: %s", b, cause);
		gix_free(gb);
		da = slurp(fx->index, &la);
		db = slurp(b, &lb);
		assert_int_equal(la, lb);
		if (memcmp(da, db, la) != 0)
			fail_msg("round %d: the files differ", round);
		if (round % 10 == 0) {
			free(old);
			old = da;
			oldlen = la;
		} else
			free(da);
		free(db);
		assert_true(libgit2_reads(fx));
	}
	for (k = 0; k < GIX_WROTE_N; k++)
		if (gix_wrote(k) == before[k])
			fail_msg("no write of kind %d in 150", k);
	free(old);
	free(aspare);
	free(bck);
	free(bspare);
	free(b);
}

/* Resolve-undo records (REUC) are kept. */
static void
test_reuc(void **state)
{
	struct fx *fx = *state;
	struct gix *g;
	struct gix_ent e = ent(4);
	char *out = NULL, *before = NULL;

	wt_add(fx, "f", "base\n");
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "-c", "user.name=t",
	    "-c", "user.email=t@t", "commit", "-qm", "base", (char *)NULL), 0);
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "checkout", "-qb",
	    "other", (char *)NULL), 0);
	wt_add(fx, "f", "other\n");
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "-c", "user.name=t",
	    "-c", "user.email=t@t", "commit", "-qm", "other", (char *)NULL),
	    0);
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "checkout", "-q", "-",
	    (char *)NULL), 0);
	wt_add(fx, "f", "mine\n");
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "-c", "user.name=t",
	    "-c", "user.email=t@t", "commit", "-qm", "mine", (char *)NULL), 0);
	assert_int_not_equal(tu_run(fx->tmp, NULL, "git", "-c",
	    "user.name=t", "-c", "user.email=t@t", "merge", "-q", "other",
	    (char *)NULL), 0);
	assert_int_equal(gix_open(fx->index, &g, NULL), GIX_UNREAD);
	wt_add(fx, "f", "both\n");	/* resolved: a REUC record */
	assert_int_equal(tu_run(fx->tmp, &before, "git", "ls-files",
	    "--resolve-undo", (char *)NULL), 0);
	assert_non_null(strstr(before, "\tf\n"));

	g = open_ok(fx);
	gix_put(g, "g", &e);
	write_ok(fx, g);
	assert_int_equal(tu_run(fx->tmp, &out, "git", "ls-files",
	    "--resolve-undo", (char *)NULL), 0);
	assert_string_equal(out, before);
	assert_libgit2(fx, 2, "g", &e);
	free(out);
	free(before);
}

/* Rewrite name's content in place (same inode), as an editor might. */
static void
wt_poke(struct fx *fx, const char *name, const char *data)
{
	char *path = xasprintf("%s/%s", fx->tmp, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(data, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static time_t
mtime_of(struct fx *fx, const char *name)
{
	char *path = xasprintf("%s/%s", fx->tmp, name);
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	free(path);
	return st.st_mtim.tv_sec;
}

/*
 * Racy git: f changes (same size, same inode) in the second git wrote
 * the index in. Once a later index is written over it, git trusts f's
 * stat data unless the writer smudged the entry; h, unchanged, is not.
 */
static void
test_racy(void **state)
{
	struct fx *fx = *state;
	struct gix *g;
	struct gix_ent e = ent(5);
	struct timespec pause = { 0, 50 * 1000000L };
	char *out = NULL;
	int tries;

	for (tries = 0; tries < 5; tries++) {
		wt_poke(fx, "f", "aaaa\n");
		wt_poke(fx, "h", "hhhh\n");
		assert_int_equal(tu_run(fx->tmp, NULL, "git", "add", "f", "h",
		    (char *)NULL), 0);
		wt_poke(fx, "f", "bbbb\n");
		if (mtime_of(fx, "f") == mtime_of(fx, ".git/index"))
			break;	/* all in one second, as wanted */
	}
	assert_true(tries < 5);
	/* The next index is written in a later second (one pause more:
	   file times come from a clock that may lag time() a tick). */
	while (time(NULL) <= mtime_of(fx, ".git/index"))
		nanosleep(&pause, NULL);
	nanosleep(&pause, NULL);
	g = open_ok(fx);
	gix_put(g, "g", &e);
	write_ok(fx, g);
	assert_true(mtime_of(fx, ".git/index") > mtime_of(fx, "f"));
	assert_int_equal(tu_run(fx->tmp, &out, "git", "diff-files",
	    "--name-only", (char *)NULL), 0);
	assert_string_equal(out, "f\ng\n");	/* g: no file, as made */
	free(out);
}

/* What it does not read is left to libgit2; a split index is refused. */
static void
test_unread(void **state)
{
	struct fx *fx = *state;
	struct gix *g = NULL;
	char *cause = NULL, *path;

	path = xasprintf("%s/f", fx->tmp);
	assert_int_equal(write_file_atomic(path, "x\n", 2, 0644, NULL), 0);
	free(path);
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "add", "f",
	    (char *)NULL), 0);
	g = open_ok(fx);
	gix_free(g);

	assert_int_equal(tu_run(fx->tmp, NULL, "git", "update-index",
	    "--index-version", "4", (char *)NULL), 0);
	assert_int_equal(gix_open(fx->index, &g, &cause), GIX_UNREAD);
	assert_null(g);

	assert_int_equal(tu_run(fx->tmp, NULL, "git", "update-index",
	    "--index-version", "2", (char *)NULL), 0);
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "update-index",
	    "--split-index", (char *)NULL), 0);
	assert_int_equal(gix_open(fx->index, &g, &cause), -1);
	assert_null(g);
	assert_non_null(strstr(cause, "split index"));
	free(cause);

	/* Not an index at all, too short, or cut short. */
	assert_int_equal(write_file_atomic(fx->index, "not an index, no", 16,
	    0644, NULL), 0);
	assert_int_equal(gix_open(fx->index, &g, &cause), GIX_UNREAD);
	assert_int_equal(write_file_atomic(fx->index, "DIRC\0\0\0\2\0\0\0\1"
	    "and then forty bytes of nothing much at all", 56, 0644, NULL), 0);
	assert_int_equal(gix_open(fx->index, &g, &cause), GIX_UNREAD);
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "update-index",
	    "--no-split-index", (char *)NULL), 0);
	assert_int_equal(tu_run(fx->tmp, NULL, "git", "add", "f",
	    (char *)NULL), 0);
	assert_int_equal(truncate(fx->index, 80), 0);
	assert_int_equal(gix_open(fx->index, &g, &cause), GIX_UNREAD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_splice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_patch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_patch_torn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compare_torn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_compare_runs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_differential, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reuc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_racy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unread, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
