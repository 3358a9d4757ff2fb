/*
 * gitindex.c: .git/index edited without reading it whole.
 *
 * libgit2 reads the whole index into one allocation per entry and a hash
 * table, and writes it back the same way: ~240 ms for the 200,000
 * entries of a 100,000-certificate inventory, for a commit that changes
 * one file. This keeps the file mapped, finds paths by binary search
 * over the entry offsets, keeps the edits aside and writes the new file
 * as the old one's unchanged runs with the edited entries spliced in,
 * hashed on a second thread while it is written. It reads only what
 * git and libgit2 write by default: formats 2 and 3, stage-0 entries,
 * optional extensions; anything else is left to libgit2 (GIX_UNREAD).
 *
 * The format is git's gitformat-index(5). Like git (and unlike libgit2)
 * it does not check the trailing SHA-1 when it reads; it writes it. Of
 * the optional extensions it keeps REUC (resolve-undo, not tied to
 * offsets or stat data) and drops the caches that its edits would make
 * wrong (TREE, UNTR, FSMN, EOIE, IEOT): they are caches, git rebuilds
 * them, and libgit2 too drops those it does not know when it writes.
 *
 * Two files beside a large index make a write cost little more than
 * what it changes: the SHA-1 states saved along the file, so that the
 * next write hashes only from where it starts to differ (gix_ck_load),
 * and the index replaced, into which the next write patches just the
 * entries changed since, or, when the states cannot say which (git
 * wrote the index), the blocks found to differ (gix_write).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* SHA1_* and SHA_CTX: deprecated in OpenSSL 3, but the only way to
   save and resume a SHA-1 midway with the library's fast code (below);
   every SHA-1 here uses them. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "crash.h"
#include "gitindex.h"
#include "util.h"

#define GIX_HDR		12		/* "DIRC", version, count */
#define GIX_FIXED	62		/* entry bytes before the name */
#define GIX_HASH	20		/* SHA-1 trailer */
#define GIX_THREAD_MIN	(1U << 20)	/* hash on a thread from here */
#define GIX_READ_MAX	(64U << 20)	/* a racy file larger: smudged */
#define GIX_CK_STEP	(256U << 10)	/* bytes between saved SHA-1 states */
#define GIX_CK_MAGIC	"certdeck index SHA-1 states 2\n"
#define GIX_CK_SUFFIX	".certdeck-sha1"
#define GIX_SPARE	".certdeck-spare"
#define GIX_BLOCK	4096		/* what gix_spare_diff compares */
#define GIX_CMP_CHUNK	(64U << 10)	/* and reads at a time */

struct gix_edit {
	char		*path;
	size_t		 len;
	int		 del;
	struct gix_ent	 e;
};

/* The SHA-1 state after the first k * GIX_CK_STEP bytes of a file. */
struct gix_ck {
	uint32_t	h[5];
};

/* A run of bytes in which two files of the same size differ. */
struct gix_rng {
	uint32_t	off, len;
};

struct gix {
	unsigned char	*map;		/* the file, NULL when absent */
	size_t		 size;
	struct stat	 st;		/* the file mapped (all 0: absent) */
	uint32_t	 version;
	uint32_t	 n;
	size_t		*off;		/* n + 1: each entry, then the end */
	size_t		 reuc, reuc_len; /* the REUC extension, whole */
	struct gix_edit	*ed;		/* sorted by path */
	size_t		 ned, caped;
	struct gix_ck	*ck;		/* ck[k - 1]: after k steps (or NULL) */
	size_t		 nck;
	/* From the same file: what the file before this one was (its
	   SHA-1), and where this one differs from it (gix_write). */
	int		 has_prev;
	unsigned char	 prev[GIX_HASH];
	struct gix_rng	*delta;
	size_t		 ndelta;
};

static uint32_t
be32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static void
put32(unsigned char *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

/* git's order: bytes, then length (stage is always 0 here). */
static int
name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* An entry's bytes in the file, for a name of len bytes (no ext. flags). */
static size_t
ent_size(size_t len)
{
	return (GIX_FIXED + len + 8) & ~(size_t)7;
}

static size_t
ent_head(const unsigned char *p)
{
	return GIX_FIXED + ((p[60] & 0x40) ? 2 : 0);
}

/* Entry i's name (NUL-terminated in the file) and its length. */
static const char *
ent_name(const struct gix *g, uint32_t i, size_t *len)
{
	const unsigned char *p = g->map + g->off[i];
	size_t h = ent_head(p);
	size_t nl = ((size_t)(p[60] & 0x0f) << 8) | p[61];

	if (nl == 0xfff)
		nl = strlen((const char *)p + h);
	*len = nl;
	return (const char *)p + h;
}

/* Name i of a sorted list: an entry of the file, or an edit. */
typedef const char *(*name_fn)(const struct gix *, size_t i, size_t *len);

static const char *
base_name(const struct gix *g, size_t i, size_t *len)
{
	return ent_name(g, (uint32_t)i, len);
}

static const char *
edit_name(const struct gix *g, size_t i, size_t *len)
{
	*len = g->ed[i].len;
	return g->ed[i].path;
}

/* Binary search of n sorted names: 1 and *at if found, else 0 and where. */
static int
name_find(const struct gix *g, name_fn name, size_t n, const char *path,
    size_t plen, size_t *at)
{
	size_t lo = 0, hi = n, mid, len;
	const char *s;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		s = name(g, mid, &len);
		c = name_cmp(path, plen, s, len);
		if (c == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*at = lo;
	return 0;
}

static int
base_find(const struct gix *g, const char *path, size_t plen, size_t *at)
{
	return name_find(g, base_name, g->n, path, plen, at);
}

static int
edit_find(const struct gix *g, const char *path, size_t plen, size_t *at)
{
	return name_find(g, edit_name, g->ned, path, plen, at);
}

/*
 * Walk the mapped file: 0, or GIX_UNREAD for anything not ours to read,
 * or -1 with cause for what neither this nor libgit2 reads.
 */
static int
gix_parse(struct gix *g, const char *file, char **cause)
{
	const unsigned char *m = g->map;
	size_t end, p, h, nl, len, plen = 0;
	const char *prev = NULL, *name;
	const unsigned char *nul;
	uint32_t i;
	int unnamed = 0;

	if (g->size < GIX_HDR + GIX_HASH || memcmp(m, "DIRC", 4) != 0)
		return GIX_UNREAD;
	g->version = be32(m + 4);
	g->n = be32(m + 8);
	if (g->version != 2 && g->version != 3)
		return GIX_UNREAD;
	end = g->size - GIX_HASH;
	if (g->n > (end - GIX_HDR) / 64)	/* the smallest entry */
		return GIX_UNREAD;
	g->off = xreallocarray(NULL, (size_t)g->n + 1, sizeof *g->off);
	p = GIX_HDR;
	for (i = 0; i < g->n; i++) {
		/* Each entry's place hangs on the one before: ask for the
		   bytes ahead, or every cache line is a wait. */
		__builtin_prefetch(m + p + 4096);
		if (end - p < GIX_FIXED + 2)
			return GIX_UNREAD;
		if ((m[p + 60] & 0x30) != 0)		/* a conflict stage */
			return GIX_UNREAD;
		if ((m[p + 60] & 0x40) && g->version < 3)
			return GIX_UNREAD;
		h = ent_head(m + p);
		if (end - p <= h)
			return GIX_UNREAD;
		nl = ((size_t)(m[p + 60] & 0x0f) << 8) | m[p + 61];
		if (nl == 0xfff) {
			nul = memchr(m + p + h, '\0', end - p - h);
			if (nul == NULL)
				return GIX_UNREAD;
			nl = (size_t)(nul - (m + p + h));
		} else if (end - p - h <= nl || m[p + h + nl] != '\0')
			return GIX_UNREAD;
		len = (h + nl + 8) & ~(size_t)7;
		if (end - p < len)
			return GIX_UNREAD;
		name = (const char *)m + p + h;
		if (nl == 0)	/* a split index's replacement: see below */
			unnamed = 1;
		else if (prev != NULL && name_cmp(prev, plen, name, nl) >= 0)
			return GIX_UNREAD;	/* not in git's order */
		else {
			prev = name;
			plen = nl;
		}
		g->off[i] = p;
		p += len;
	}
	g->off[g->n] = p;

	/* Extensions: a lower-case signature is one a reader must know. */
	while (end - p >= 8) {
		len = be32(m + p + 4);
		if (memcmp(m + p, "link", 4) == 0)
			return set_cause(cause, "%s is a split index "
			    "(core.splitIndex), which libgit2 cannot read; "
			    "make it whole with: git update-index "
			    "--no-split-index (and leave core.splitIndex "
			    "unset)", file);
		if (end - p - 8 < len || m[p] < 'A' || m[p] > 'Z')
			return GIX_UNREAD;
		if (memcmp(m + p, "REUC", 4) == 0) {
			g->reuc = p;
			g->reuc_len = 8 + len;
		}
		p += 8 + len;
	}
	return p == end && !unnamed ? 0 : GIX_UNREAD;
}

/*
 * A SHA-1 of the whole file ends git's index format, and libgit2 checks
 * it on every read: at 200,000 entries it was most of a one-entry
 * write. SHA-1 can be stopped after any whole number of 64-byte blocks
 * and resumed from its five state words, so each write saves the state
 * every GIX_CK_STEP bytes in FILE.certdeck-sha1, and the next write
 * hashes only from the last saved state before its first changed byte.
 * The states are tied to the file they were computed for by its size
 * and its SHA-1, and checked by a SHA-1 of their own; anything else is
 * ignored, and the whole file hashed. (Like git, this trusts that a file
 * whose trailing SHA-1 is unchanged is unchanged; a byte altered behind
 * its back would be written with a wrong SHA-1, which libgit2 reports.)
 *
 * The file: GIX_CK_MAGIC, the index's SHA-1 (20 bytes), its size (8,
 * big-endian), the step and the count of states (4 each), the SHA-1 of
 * the index it replaced (20; zeros if the two differ in layout) and the
 * count of runs where they differ (4), the states (20 each), the runs
 * (offset and length, 4 each), and a SHA-1 of all of that.
 */
static void
gix_ck_load(struct gix *g, const char *file)
{
	const size_t ml = sizeof GIX_CK_MAGIC - 1, head = ml + 60;
	unsigned char md[GIX_HASH];
	const unsigned char *d, *p;
	char *path, *data = NULL;
	size_t len, n, nd, k, i;
	uint64_t size, end;

	path = xasprintf("%s%s", file, GIX_CK_SUFFIX);
	if (read_file(path, 1 << 24, &data, &len, NULL) != 0)
		goto out;
	d = (const unsigned char *)data;
	if (len < head + GIX_HASH || memcmp(d, GIX_CK_MAGIC, ml) != 0 ||
	    memcmp(d + ml, g->map + g->size - GIX_HASH, GIX_HASH) != 0)
		goto out;
	size = ((uint64_t)be32(d + ml + 20) << 32) | be32(d + ml + 24);
	n = be32(d + ml + 32);
	nd = be32(d + ml + 56);
	if (size != g->size || be32(d + ml + 28) != GIX_CK_STEP ||
	    n > g->size / GIX_CK_STEP || nd > g->n + 1 ||
	    len != head + n * 20 + nd * 8 + GIX_HASH ||
	    SHA1(d, len - GIX_HASH, md) == NULL ||
	    memcmp(md, d + len - GIX_HASH, GIX_HASH) != 0)
		goto out;
	p = d + head + n * 20;
	for (k = 0; k < nd; k++) {	/* within the file */
		end = (uint64_t)be32(p + k * 8) + be32(p + k * 8 + 4);
		if (end > g->size)
			goto out;
	}
	g->ck = xreallocarray(NULL, n ? n : 1, sizeof *g->ck);
	for (k = 0; k < n; k++)
		for (i = 0; i < 5; i++)
			g->ck[k].h[i] = be32(d + head + k * 20 + i * 4);
	g->nck = n;
	memcpy(g->prev, d + ml + 36, GIX_HASH);
	for (i = 0; i < GIX_HASH; i++)
		g->has_prev |= g->prev[i] != 0;
	g->delta = xreallocarray(NULL, nd ? nd : 1, sizeof *g->delta);
	for (k = 0; k < nd; k++) {
		g->delta[k].off = be32(p + k * 8);
		g->delta[k].len = be32(p + k * 8 + 4);
	}
	g->ndelta = nd;
out:
	free(data);
	free(path);
}

/*
 * Save what the next write needs of the file just written (size bytes,
 * SHA-1 md): its SHA-1 states, and, if prev is not NULL, the SHA-1 of
 * the file it replaced and the runs where it differs from that one.
 */
static void
gix_ck_save(const char *file, const unsigned char md[GIX_HASH],
    size_t size, const struct gix_ck *ck, size_t n,
    const unsigned char *prev, const struct gix_rng *rng, size_t nr)
{
	const size_t ml = sizeof GIX_CK_MAGIC - 1, head = ml + 60;
	unsigned char *d;
	char *path, *tmp;
	size_t len, k, i;
	int fd, ok;

	if (prev == NULL)
		nr = 0;
	len = head + n * 20 + nr * 8 + GIX_HASH;
	d = xcalloc(1, len);
	memcpy(d, GIX_CK_MAGIC, ml);
	memcpy(d + ml, md, GIX_HASH);
	put32(d + ml + 20, (uint32_t)((uint64_t)size >> 32));
	put32(d + ml + 24, (uint32_t)size);
	put32(d + ml + 28, GIX_CK_STEP);
	put32(d + ml + 32, (uint32_t)n);
	if (prev != NULL)
		memcpy(d + ml + 36, prev, GIX_HASH);
	put32(d + ml + 56, (uint32_t)nr);
	for (k = 0; k < n; k++)
		for (i = 0; i < 5; i++)
			put32(d + head + k * 20 + i * 4, ck[k].h[i]);
	for (k = 0; k < nr; k++) {
		put32(d + head + n * 20 + k * 8, rng[k].off);
		put32(d + head + n * 20 + k * 8 + 4, rng[k].len);
	}
	SHA1(d, len - GIX_HASH, d + len - GIX_HASH);
	path = xasprintf("%s%s", file, GIX_CK_SUFFIX);
	tmp = xasprintf("%s.tmp", path);
	/* No fsync: a torn file fails its own SHA-1 and is ignored. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	ok = fd >= 0 && write_all(fd, d, len) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0)
		(void)unlink(tmp);
	free(tmp);
	free(path);
	free(d);
}

int
gix_open(const char *file, struct gix **out, char **cause)
{
	struct gix *g;
	struct stat st;
	int fd, rc;

	*out = NULL;
	g = xcalloc(1, sizeof *g);
	g->version = 2;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT) {
			*out = g;
			return 0;
		}
		free(g);
		return set_cause(cause, "%s: %s", file, strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		set_cause(cause, "%s: %s", file, strerror(errno));
		close(fd);
		free(g);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < GIX_HDR + GIX_HASH) {
		close(fd);
		free(g);
		return GIX_UNREAD;
	}
	g->st = st;
	g->size = (size_t)st.st_size;
	g->map = mmap(NULL, g->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
	    fd, 0);
	close(fd);
	if (g->map == MAP_FAILED) {
		g->map = NULL;
		gix_free(g);
		return set_cause(cause, "%s: %s", file, strerror(errno));
	}
	if ((rc = gix_parse(g, file, cause)) != 0) {
		gix_free(g);
		return rc;
	}
	if (g->size >= GIX_THREAD_MIN)
		gix_ck_load(g, file);
	*out = g;
	return 0;
}

static void
ent_decode(const unsigned char *p, struct gix_ent *e)
{
	e->ctime_s = be32(p);
	e->ctime_ns = be32(p + 4);
	e->mtime_s = be32(p + 8);
	e->mtime_ns = be32(p + 12);
	e->dev = be32(p + 16);
	e->ino = be32(p + 20);
	e->mode = be32(p + 24);
	e->uid = be32(p + 28);
	e->gid = be32(p + 32);
	e->size = be32(p + 36);
	memcpy(e->id, p + 40, 20);
}

int
gix_get(const struct gix *g, const char *path, struct gix_ent *e)
{
	size_t plen = strlen(path), at, i;

	if (edit_find(g, path, plen, &at)) {
		if (g->ed[at].del)
			return 0;
		*e = g->ed[at].e;
		return 1;
	}
	if (!base_find(g, path, plen, &i))
		return 0;
	ent_decode(g->map + g->off[i], e);
	return 1;
}

static struct gix_edit *
gix_edit(struct gix *g, const char *path)
{
	size_t plen = strlen(path), at;

	if (edit_find(g, path, plen, &at))
		return &g->ed[at];
	if (g->ned == g->caped) {
		g->caped = g->caped ? g->caped * 2 : 16;
		g->ed = xreallocarray(g->ed, g->caped, sizeof *g->ed);
	}
	memmove(&g->ed[at + 1], &g->ed[at], (g->ned - at) * sizeof *g->ed);
	memset(&g->ed[at], 0, sizeof g->ed[at]);
	g->ed[at].path = xstrdup(path);
	g->ed[at].len = plen;
	g->ned++;
	return &g->ed[at];
}

void
gix_put(struct gix *g, const char *path, const struct gix_ent *e)
{
	struct gix_edit *ed = gix_edit(g, path);

	ed->del = 0;
	ed->e = *e;
}

void
gix_del(struct gix *g, const char *path)
{
	gix_edit(g, path)->del = 1;
}

int
gix_pending(const struct gix *g)
{
	return g->ned > 0;
}

/* What gix_write writes, in order: runs of the old file and new entries. */
struct gix_seg {
	const unsigned char	*p;
	size_t			 len;
};

struct gix_hash_job {
	const struct gix_seg	*seg;
	size_t			 nseg;
	size_t			 skip;	/* bytes hashed already: into c */
	SHA_CTX			 c;
	struct gix_ck		*ck;	/* the states, the first skip's given */
	size_t			 nck;
	unsigned char		 md[GIX_HASH];
	int			 rc;
};

/* Hash the segments from byte skip on, saving a state every step. */
static void *
gix_hash_run(void *arg)
{
	struct gix_hash_job *j = arg;
	const unsigned char *p;
	size_t i, k, n, len, pos = 0;

	for (i = 0; i < j->nseg; i++) {
		p = j->seg[i].p;
		len = j->seg[i].len;
		if (pos + len <= j->skip) {
			pos += len;
			continue;
		}
		if (pos < j->skip) {
			p += j->skip - pos;
			len -= j->skip - pos;
			pos = j->skip;
		}
		while (len > 0) {
			n = GIX_CK_STEP - pos % GIX_CK_STEP;
			n = n < len ? n : len;
			SHA1_Update(&j->c, p, n);
			p += n;
			len -= n;
			pos += n;
			if (pos % GIX_CK_STEP == 0) {	/* c.num is 0 here */
				k = pos / GIX_CK_STEP;
				j->ck[k - 1].h[0] = j->c.h0;
				j->ck[k - 1].h[1] = j->c.h1;
				j->ck[k - 1].h[2] = j->c.h2;
				j->ck[k - 1].h[3] = j->c.h3;
				j->ck[k - 1].h[4] = j->c.h4;
				j->nck = k;
			}
		}
	}
	j->rc = SHA1_Final(j->md, &j->c) == 1 ? 0 : -1;
	return NULL;
}

/*
 * Start the job at the last saved state of g's file that the new file
 * shares: the bytes before the first segment that is not the old file's
 * own at the same offset are the same in both.
 */
static void
gix_hash_start(const struct gix *g, struct gix_hash_job *j, size_t total)
{
	size_t i, same = 0, k;

	j->ck = xreallocarray(NULL, total / GIX_CK_STEP + 1, sizeof *j->ck);
	SHA1_Init(&j->c);
	if (g->map == NULL || g->nck == 0)
		return;
	for (i = 0; i < j->nseg; i++) {
		if (i == 0 ? memcmp(j->seg[0].p, g->map, j->seg[0].len) != 0 :
		    j->seg[i].p != g->map + same)
			break;
		same += j->seg[i].len;
	}
	k = same / GIX_CK_STEP;
	k = k < g->nck ? k : g->nck;
	if (k == 0)
		return;
	memcpy(j->ck, g->ck, k * sizeof *j->ck);
	j->nck = k;
	j->skip = k * GIX_CK_STEP;
	j->c.h0 = g->ck[k - 1].h[0];
	j->c.h1 = g->ck[k - 1].h[1];
	j->c.h2 = g->ck[k - 1].h[2];
	j->c.h3 = g->ck[k - 1].h[3];
	j->c.h4 = g->ck[k - 1].h[4];
	/* The length so far, in bits, as two 32-bit words. */
	j->c.Nl = (SHA_LONG)((uint64_t)j->skip << 3);
	j->c.Nh = (SHA_LONG)((uint64_t)j->skip >> 29);
}

static void
seg_add(struct gix_seg **seg, size_t *n, size_t *cap, const unsigned char *p,
    size_t len)
{
	if (len == 0)
		return;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*seg = xreallocarray(*seg, *cap, sizeof **seg);
	}
	(*seg)[*n].p = p;
	(*seg)[*n].len = len;
	(*n)++;
}

/* Entry ed in the file's encoding, appended to the arena. */
static void
ent_encode(struct buf *arena, const struct gix_edit *ed)
{
	unsigned char f[GIX_FIXED];
	static const unsigned char zero[8];
	size_t len = ent_size(ed->len);
	uint32_t nl = ed->len < 0xfff ? (uint32_t)ed->len : 0xfff;

	put32(f, ed->e.ctime_s);
	put32(f + 4, ed->e.ctime_ns);
	put32(f + 8, ed->e.mtime_s);
	put32(f + 12, ed->e.mtime_ns);
	put32(f + 16, ed->e.dev);
	put32(f + 20, ed->e.ino);
	put32(f + 24, ed->e.mode);
	put32(f + 28, ed->e.uid);
	put32(f + 32, ed->e.gid);
	put32(f + 36, ed->e.size);
	memcpy(f + 40, ed->e.id, 20);
	f[60] = (unsigned char)(nl >> 8);
	f[61] = (unsigned char)(nl & 0xff);
	buf_add(arena, f, sizeof f);
	buf_add(arena, ed->path, ed->len);
	buf_add(arena, zero, len - GIX_FIXED - ed->len);
}

/* Is file still the one g mapped? */
static int
gix_same_file(const struct gix *g, const char *file)
{
	struct stat st;

	if (stat(file, &st) != 0)
		return errno == ENOENT && g->map == NULL;
	return g->map != NULL && st.st_dev == g->st.st_dev &&
	    st.st_ino == g->st.st_ino && st.st_size == g->st.st_size &&
	    st.st_mtim.tv_sec == g->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == g->st.st_mtim.tv_nsec;
}

/*
 * With file.lock held: if another git wrote file since g mapped it, map
 * that one instead and apply the edits to it, so nothing it recorded
 * is lost (git's rule: take the lock, then read).
 */
static int
gix_reload(struct gix *g, const char *file, char **cause)
{
	struct gix *now = NULL, tmp;
	int e;

	if (gix_same_file(g, file))
		return 0;
	if ((e = gix_open(file, &now, cause)) == GIX_UNREAD)
		return set_cause(cause, "%s was changed by another git "
		    "command into a form certdeck does not edit", file);
	if (e != 0)
		return -1;
	/* The edits move to the new file; the old one goes. */
	now->ed = g->ed;
	now->ned = g->ned;
	now->caped = g->caped;
	g->ed = NULL;
	g->ned = g->caped = 0;
	tmp = *g;
	*g = *now;
	*now = tmp;
	gix_free(now);
	return 0;
}

/* git's blob id of data. */
static int
blob_id(const char *data, size_t len, unsigned char id[GIX_HASH])
{
	SHA_CTX c;
	char hdr[32];

	snprintf(hdr, sizeof hdr, "blob %zu", len);
	return SHA1_Init(&c) == 1 &&
	    SHA1_Update(&c, hdr, strlen(hdr) + 1) == 1 &&
	    SHA1_Update(&c, data, len) == 1 &&
	    SHA1_Final(id, &c) == 1 ? 0 : -1;
}

/*
 * git's rule for "racily clean" entries (gitformat-index, racy-git): a
 * file changed in the same second as the index was written, keeping its
 * size, looks clean by its stat data once a later index is written over
 * it. So a writer looks at every entry it carries whose mtime is not
 * older than the old index file's, and gives the ones whose content no
 * longer matches size 0 ("smudges" them), so that readers hash them.
 * Only seconds are compared, as git does by default: a looser match
 * costs a hash, never a wrong answer.
 */
static void
gix_smudge_racy(struct gix *g, const char *workdir)
{
	struct gix_ent e;
	struct stat st;
	struct buf path;
	unsigned char id[GIX_HASH];
	const char *name;
	char *data = NULL, *cause = NULL;
	size_t i, len, at, dlen;
	uint32_t since;

	if (g->map == NULL || workdir == NULL)
		return;
	since = (uint32_t)g->st.st_mtim.tv_sec;
	buf_init(&path);
	for (i = 0; i < g->n; i++) {
		if (be32(g->map + g->off[i] + 8) < since)
			continue;	/* older than the index: not racy */
		name = ent_name(g, (uint32_t)i, &len);
		ent_decode(g->map + g->off[i], &e);
		if ((e.mode & 0170000) != 0100000 || e.size == 0 ||
		    edit_find(g, name, len, &at))
			continue;	/* not a file, smudged, or replaced */
		buf_reset(&path);
		buf_printf(&path, "%s/%s", workdir, name);
		if (lstat(path.data, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (uint32_t)st.st_size != e.size ||
		    (uint32_t)st.st_mtim.tv_sec != e.mtime_s)
			continue;	/* git sees that it changed */
		if (read_file(path.data, GIX_READ_MAX, &data, &dlen,
		    &cause) != 0 || blob_id(data, dlen, id) != 0 ||
		    memcmp(id, e.id, GIX_HASH) != 0) {
			e.size = 0;
			gix_put(g, name, &e);
		}
		free(data);
		data = NULL;
		free(cause);
		cause = NULL;
	}
	buf_free(&path);
}

/*
 * A one-entry change to a large index writes a whole new file: at
 * 100,000 entries 21.6 MB of new pages, their write-back started at the
 * rename over the old file (ext4's auto_da_alloc: what makes a power cut
 * leave the old index or the new one, never a torn one), the next fsync
 * waiting behind it, and the old file's blocks freed. When the file and
 * the one before it are ours and of one size, the new file differs from
 * the one before only where the last write and this one changed
 * entries. So the file replaced is kept (FILE.certdeck-spare), and the
 * next write takes the lock on it, writes just those runs into it,
 * makes them durable (fdatasync of a few pages), and renames it over
 * the index: old or new after a power cut, as before.
 *
 * When the states cannot say where the spare differs (git wrote the
 * index in between, with its tree cache; an entry came or went), the
 * spare is read and compared with the new file block by block, and
 * only the blocks that differ are written: git's write leaves most
 * entries as they were. When more than a quarter differs (entries
 * added or removed early in the file move all after them), a new file
 * costs less than syncing that much.
 *
 * Writing into a file that was an index is what git never does, since
 * a reader may still be reading it; so the spare is used only when no
 * process has it open or mapped (a write lease is granted only then,
 * and kept until it is written, so that a reader who got to it anyway
 * waits), and when its only names are the spare's and the lock's.
 * Everything is checked with the lock held: link(2) from the spare to
 * FILE.lock takes it, failing as open(O_EXCL) does if the lock exists.
 * Any other case writes a new file, as git does.
 */

/*
 * With FILE.lock ours: put a new file in its place (a new file's mode is
 * 0666 less the umask, as git makes it), on *fdp. -1 with cause, the
 * lock gone.
 */
static int
gix_lock_new(const char *file, const char *lock, int *fdp, char **cause)
{
	char *tmp = xasprintf("%s.certdeck-new", file);
	int fd, e;

	(void)unlink(tmp);	/* a crash's */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd == -1 || rename(tmp, lock) != 0) {
		e = errno;
		if (fd != -1)
			close(fd);
		unlink(tmp);
		unlink(lock);
		free(tmp);
		return set_cause(cause, "%s: %s", lock, strerror(e));
	}
	free(tmp);
	*fdp = fd;
	return 0;
}

/* The process's umask, read without changing it (umask(2) would, for
   every thread); -1 if the kernel does not say. */
static int
gix_umask(void)
{
	char *data = NULL, *p;
	size_t len;
	long v = -1;

	if (read_file("/proc/self/status", 1 << 16, &data, &len, NULL) != 0)
		return -1;
	if ((p = strstr(data, "\nUmask:")) != NULL)
		v = strtol(p + 8, NULL, 8);
	free(data);
	return v >= 0 && v <= 0777 ? (int)v : -1;
}

/*
 * Take FILE.lock: 1 with *fdp on the spare's inode (its name gone, a
 * lease on it, the mode a new lock file would have), 0 with *fdp on a
 * new file, GIX_LOCKED, or -1 + cause.
 */
static int
gix_lock(const char *file, const char *lock, const char *spare, int *fdp,
    char **cause)
{
	struct stat st;
	int fd, mask;

	if (link(spare, lock) == 0) {
		fd = open(lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_nlink == 2 && st.st_uid == geteuid() &&
		    (mask = gix_umask()) >= 0 &&
		    ((st.st_mode & 07777) == (mode_t)(0666 & ~mask) ||
		    fchmod(fd, (mode_t)(0666 & ~mask)) == 0) &&
		    fcntl(fd, F_SETSIG, SIGURG) == 0 &&
		    fcntl(fd, F_SETLEASE, F_WRLCK) == 0) {
			/* Only the lock's name from here: a crash while it
			   is written leaves no spare half written. */
			(void)unlink(spare);
			*fdp = fd;
			return 1;
		}
		if (fd >= 0)
			close(fd);
		return gix_lock_new(file, lock, fdp, cause);
	}
	if (errno == EEXIST)
		return GIX_LOCKED;
	/* As git makes it: what the umask leaves of 0666 (a group-shared
	   inventory's umask 002 gives the group write, as git would). */
	fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd == -1) {
		if (errno == EEXIST)
			return GIX_LOCKED;
		return set_cause(cause, "%s: %s", lock, strerror(errno));
	}
	*fdp = fd;
	return 0;
}

/* All of p at offset off of fd, through short writes and EINTR. */
static int
pwrite_all(int fd, const unsigned char *p, size_t len, size_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (size_t)n;
	}
	return 0;
}

/* Bytes [a, b) of the new file (the segments), at their offsets in fd. */
static int
seg_pwrite(int fd, const struct gix_seg *seg, size_t nseg, size_t a,
    size_t b)
{
	size_t i, pos = 0, from, to;

	for (i = 0; i < nseg && pos < b; pos += seg[i].len, i++) {
		from = a > pos ? a : pos;
		to = b < pos + seg[i].len ? b : pos + seg[i].len;
		if (from < to && pwrite_all(fd, seg[i].p + (from - pos),
		    to - from, from) != 0)
			return -1;
	}
	return 0;
}

/*
 * Can the spare (fd, holding the file before g's) be made the new file
 * by writing only the runs that differ? Both g's file and the new one
 * must be of g's size, and the spare what g's states say came before.
 */
static int
gix_patchable(const struct gix *g, int fd, size_t newsize)
{
	unsigned char md[GIX_HASH];
	struct stat st;

	return g->map != NULL && g->has_prev && newsize == g->size &&
	    fstat(fd, &st) == 0 && (size_t)st.st_size == g->size &&
	    pread(fd, md, GIX_HASH, (off_t)(g->size - GIX_HASH)) ==
	    GIX_HASH && memcmp(md, g->prev, GIX_HASH) == 0;
}

static void
rng_add(struct gix_rng **r, size_t *n, size_t *cap, size_t off, size_t len)
{
	*r = xgrow(*r, *n, cap, sizeof **r);
	(*r)[*n].off = (uint32_t)off;
	(*r)[*n].len = (uint32_t)len;
	(*n)++;
}

/* All len bytes at offset off of fd, through short reads and EINTR. */
static int
pread_all(int fd, unsigned char *p, size_t len, size_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (size_t)n;
	}
	return 0;
}

/*
 * When the spare cannot be patched from what the states say (git wrote
 * the index in between, an entry came or went): the runs of blocks in
 * which the new file (the segments, total bytes) differs from what the
 * spare (fd) holds, read and compared. 0 with the runs in *out, or -1
 * when more than a quarter differs (a new file costs less than writing
 * that much into the spare and syncing it) or the spare cannot be read.
 * Read, not mapped: a read error is an error here, not a SIGBUS.
 */
static int
gix_spare_diff(int fd, const struct gix_seg *seg, size_t nseg, size_t total,
    struct gix_rng **out, size_t *nout)
{
	struct stat st;
	unsigned char *buf;
	size_t i, pos, from, to, blk, last = SIZE_MAX, n = 0, cap = 0;
	size_t dirty = 0, have, base = 0, got = 0, want;
	struct gix_rng *r = NULL;

	if (fstat(fd, &st) != 0 || st.st_size < GIX_HASH)
		return -1;
	have = (size_t)st.st_size - GIX_HASH;	/* its entries' bytes */
	have = have < total ? have : total;
	buf = xmalloc(GIX_CMP_CHUNK);
	for (i = 0, pos = 0; i < nseg; pos += seg[i].len, i++) {
		for (from = pos; from < pos + seg[i].len; from = to) {
			blk = from / GIX_BLOCK;
			to = (blk + 1) * GIX_BLOCK;
			to = to < pos + seg[i].len ? to : pos + seg[i].len;
			if (blk == last)
				continue;
			if (to <= have) {
				/* The chunk holding the block (chunks are
				   whole blocks), read once. */
				if (from < base || to > base + got) {
					base = from - from % GIX_CMP_CHUNK;
					want = have - base < GIX_CMP_CHUNK ?
					    have - base : GIX_CMP_CHUNK;
					got = 0;
					if (pread_all(fd, buf, want, base) != 0)
						goto fail;
					got = want;
				}
				if (memcmp(seg[i].p + (from - pos),
				    buf + (from - base), to - from) == 0)
					continue;
			}
			last = blk;
			if (n > 0 && r[n - 1].off + r[n - 1].len ==
			    blk * GIX_BLOCK)
				r[n - 1].len += GIX_BLOCK;
			else
				rng_add(&r, &n, &cap, blk * GIX_BLOCK,
				    GIX_BLOCK);
			if ((dirty += GIX_BLOCK) > total / 4)
				goto fail;
		}
	}
	free(buf);
	*out = r;
	*nout = n;
	return 0;
fail:
	free(buf);
	free(r);
	return -1;
}

static unsigned long gix_counts[GIX_WROTE_N];

unsigned long
gix_wrote(int kind)
{
	return kind >= 0 && kind < GIX_WROTE_N ? gix_counts[kind] : 0;
}

int
gix_write(struct gix *g, const char *file, const char *workdir, char **cause)
{
	struct gix_seg *seg = NULL;
	struct gix_rng *rng = NULL, *drng = NULL;
	struct gix_hash_job hj;
	struct buf arena;
	unsigned char hdr[GIX_HDR], old_md[GIX_HASH];
	char *lock, *spare;
	pthread_t th;
	size_t i, at, nseg = 0, cap = 0, nrng = 0, caprng = 0, run, ndrng = 0;
	size_t total = 0, esz;
	uint32_t count;
	int fd, reuse, patch = 0, same, threaded = 0, rc = -1, found;
	int werr = 0;

	memset(&hj, 0, sizeof hj);
	lock = xasprintf("%s.lock", file);
	spare = xasprintf("%s%s", file, GIX_SPARE);
	if ((reuse = gix_lock(file, lock, spare, &fd, cause)) < 0 ||
	    reuse == GIX_LOCKED) {
		free(spare);
		free(lock);
		return reuse;
	}
	if (gix_reload(g, file, cause) != 0) {
		close(fd);
		unlink(lock);
		free(spare);
		free(lock);
		return -1;
	}
	gix_smudge_racy(g, workdir);

	/* The new entries' arena, sized first: it never moves. */
	buf_init(&arena);
	for (i = 0; i < g->ned; i++)
		total += g->ed[i].del ? 0 : ent_size(g->ed[i].len);
	buf_reserve(&arena, total);

	/*
	 * The old file's runs between the edited paths, and the edits; and
	 * whether each edit only replaced an entry of its size (same: the
	 * new file is the old one but for those entries' runs).
	 */
	count = g->n;		/* of the file as it is now */
	same = g->map != NULL && g->reuc_len == 0;
	memcpy(hdr, "DIRC", 4);
	put32(hdr + 4, g->version);
	seg_add(&seg, &nseg, &cap, hdr, sizeof hdr);
	run = GIX_HDR;
	for (i = 0; i < g->ned; i++) {
		found = base_find(g, g->ed[i].path, g->ed[i].len, &at);
		if (g->map != NULL) {	/* off[at] is there, up to off[n] */
			seg_add(&seg, &nseg, &cap, g->map + run,
			    g->off[at] - run);
			run = g->off[at + found];
		}
		if (g->ed[i].del) {
			count -= found;
			same = same && !found;
			continue;
		}
		count += !found;
		esz = ent_size(g->ed[i].len);
		if (same && found && g->off[at + 1] - g->off[at] == esz)
			rng_add(&rng, &nrng, &caprng, g->off[at], esz);
		else
			same = 0;
		seg_add(&seg, &nseg, &cap, (unsigned char *)arena.data +
		    arena.len, esz);
		ent_encode(&arena, &g->ed[i]);
	}
	put32(hdr + 8, count);
	if (g->map != NULL) {
		seg_add(&seg, &nseg, &cap, g->map + run, g->off[g->n] - run);
		if (g->reuc_len > 0)
			seg_add(&seg, &nseg, &cap, g->map + g->reuc,
			    g->reuc_len);
	}
	for (i = 0, total = 0; i < nseg; i++)
		total += seg[i].len;
	/* The old file's extensions (a tree cache) are not written. */
	same = same && total + GIX_HASH == g->size;
	if (g->map != NULL)
		memcpy(old_md, g->map + g->size - GIX_HASH, GIX_HASH);

	/* Hashed meanwhile: the spare's compare overlaps it. */
	hj.seg = seg;
	hj.nseg = nseg;
	gix_hash_start(g, &hj, total);
	if (total >= GIX_THREAD_MIN &&
	    pthread_create(&th, NULL, gix_hash_run, &hj) == 0)
		threaded = 1;
	else
		gix_hash_run(&hj);

	/* Runs are 32-bit offsets: a file of 4 GiB or more is new. */
	if (reuse && total + GIX_HASH <= UINT32_MAX) {
		if (same && gix_patchable(g, fd, total + GIX_HASH))
			patch = 1;
		else if (gix_spare_diff(fd, seg, nseg, total, &drng,
		    &ndrng) == 0)
			patch = 2;
	}
	if (reuse && !patch) {
		/* The spare is too far from the new file, or unreadable: a
		   new file after all (the spare goes, as a replaced index
		   always went). */
		close(fd);
		if (gix_lock_new(file, lock, &fd, cause) != 0) {
			if (threaded)
				pthread_join(th, NULL);
			goto out;
		}
	}
	if (patch) {
		/*
		 * First the spare's SHA-1 is made zeros, durably: the name
		 * removed from it may come back after a power cut (the
		 * unlink not yet committed), and a half-written spare must
		 * then not still carry the SHA-1 that lets it be patched.
		 */
		static const unsigned char zero[GIX_HASH];
		struct stat st;

		if (fstat(fd, &st) != 0 || pwrite_all(fd, zero, sizeof zero,
		    (size_t)st.st_size - GIX_HASH) != 0 || fdatasync(fd) != 0)
			werr = errno;
		if (patch == 1) {
			/* What the last write changed, and this one. */
			for (i = 0; i < g->ndelta && werr == 0; i++)
				if (seg_pwrite(fd, seg, nseg, g->delta[i].off,
				    (size_t)g->delta[i].off +
				    g->delta[i].len) != 0)
					werr = errno;
			for (i = 0; i < nrng && werr == 0; i++)
				if (seg_pwrite(fd, seg, nseg, rng[i].off,
				    (size_t)rng[i].off + rng[i].len) != 0)
					werr = errno;
		}
		/* Where the spare was found to differ. */
		for (i = 0; i < ndrng && werr == 0; i++)
			if (seg_pwrite(fd, seg, nseg, drng[i].off,
			    (size_t)drng[i].off + drng[i].len) != 0)
				werr = errno;
		if (werr == 0 && (size_t)st.st_size != total + GIX_HASH &&
		    ftruncate(fd, (off_t)(total + GIX_HASH)) != 0)
			werr = errno;
		crash_point("gitindex-patch");
	} else {
		for (i = 0; i < nseg && werr == 0; i++)
			if (write_all(fd, seg[i].p, seg[i].len) != 0)
				werr = errno;
	}
	if (threaded)
		pthread_join(th, NULL);
	if (werr != 0)
		set_cause(cause, "%s: %s", lock, strerror(werr));
	else if (hj.rc != 0)
		set_cause(cause, "%s: cannot compute its SHA-1", lock);
	else if (patch ? pwrite_all(fd, hj.md, sizeof hj.md, total) != 0 ||
	    fdatasync(fd) != 0 : write_all(fd, hj.md, sizeof hj.md) != 0)
		set_cause(cause, "%s: %s", lock, strerror(errno));
	else
		rc = 0;
	/* Closing the descriptor ends the lease. */
	if (close(fd) != 0 && rc == 0)
		rc = set_cause(cause, "%s: %s", lock, strerror(errno));
	if (rc == 0 && total + GIX_HASH >= GIX_THREAD_MIN)
		gix_ck_save(file, hj.md, total + GIX_HASH, hj.ck, hj.nck,
		    same ? old_md : NULL, rng, nrng);
	if (rc == 0 && g->map != NULL && total + GIX_HASH >= GIX_THREAD_MIN) {
		/* The file replaced is the next write's spare. */
		(void)unlink(spare);
		(void)link(file, spare);
	}
	if (rc == 0 && rename(lock, file) != 0)
		rc = set_cause(cause, "%s: %s", file, strerror(errno));
	if (rc != 0)
		unlink(lock);
	else
		gix_counts[patch == 1 ? GIX_WROTE_PATCHED : patch == 2 ?
		    GIX_WROTE_COMPARED : GIX_WROTE_NEW]++;
out:
	free(spare);
	free(lock);
	free(seg);
	free(rng);
	free(drng);
	free(hj.ck);
	buf_free(&arena);
	return rc;
}

void
gix_free(struct gix *g)
{
	size_t i;

	if (g == NULL)
		return;
	if (g->map != NULL)
		munmap(g->map, g->size);
	for (i = 0; i < g->ned; i++)
		free(g->ed[i].path);
	free(g->ed);
	free(g->off);
	free(g->ck);
	free(g->delta);
	free(g);
}
