/*
 * pack.c: a git pack and its index (version 2) written straight from
 * the objects of a bulk commit as they are made, as gitformat-pack(5)
 * has them: each object whole (no deltas: inventory blobs are unrelated
 * certificates), deflated once, with the CRC-32 and offset the index
 * needs taken as it is written.
 *
 * libgit2's way held every object in memory (a mempack) until its
 * packbuilder deflated them, and its indexer then inflated and hashed
 * each one again to index the pack just made: 0.7 s of a
 * 10,000-certificate import here, the largest part of its commit, and
 * 330 MB at 100,000. This one costs the deflate, and one SHA-1 of the
 * pack, read back at the end: the object count in the pack's header is
 * known only then, and the checksum covers the header (git's
 * fast-import does the same).
 *
 * The pack and its index are written to temp files in objects/pack
 * (named as git's tmp_pack_ and tmp_idx_ files, which `git prune`
 * clears; a killed certdeck's own are also removed by the next one,
 * repo.c), made durable, and renamed into place, the index last: git
 * and libgit2 use a pack only once its index is there.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* SHA1_* as in gitindex.c: the library's fast SHA-1, one API for it. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <zlib.h>

#include "crash.h"
#include "pack.h"
#include "util.h"

#define PACK_BUF	(1U << 20)	/* bytes written at a time */
#define PACK_ID		20
#define PACK_HDR	12		/* "PACK", version, object count */

struct pack_ent {
	unsigned char	id[PACK_ID];
	uint32_t	crc;
	uint64_t	off;
};

struct pack {
	char		*dir;
	char		*tmp;		/* the pack's temp file */
	int		 fd;
	unsigned char	*buf;		/* PACK_BUF, pending write */
	size_t		 blen;
	uint64_t	 off;		/* bytes of the pack so far */
	struct pack_ent	*e;
	size_t		 n, cap;
	uint32_t	*slot;		/* open addressing: index + 1, or 0 */
	size_t		 nslot;		/* a power of two */
	z_stream	 z;
	int		 zok;
	int		 failed;	/* a write failed: the pack is lost */
	unsigned char	*zout;
	size_t		 zcap;
};

/*
 * A failed write leaves part of an object in the file: the pack is lost,
 * and every later call refuses (libgit2 retries a failed object write
 * through another path, which must not append to it).
 */
static int
pack_flush(struct pack *p, char **cause)
{
	if (p->blen > 0 && write_all(p->fd, p->buf, p->blen) != 0) {
		p->failed = 1;
		return set_cause(cause, "%s: %s", p->tmp, strerror(errno));
	}
	p->blen = 0;
	return 0;
}

/* Append to the pack, buffered. */
static int
pack_put(struct pack *p, const void *data, size_t len, char **cause)
{
	const unsigned char *s = data;
	size_t k;

	while (len > 0) {
		if (p->blen == PACK_BUF && pack_flush(p, cause) != 0)
			return -1;
		k = PACK_BUF - p->blen;
		if (k > len)
			k = len;
		memcpy(p->buf + p->blen, s, k);
		p->blen += k;
		p->off += k;
		s += k;
		len -= k;
	}
	return 0;
}

static void
pack_free(struct pack *p)
{
	if (p->fd >= 0)
		close(p->fd);
	if (p->zok)
		deflateEnd(&p->z);
	free(p->dir);
	free(p->tmp);
	free(p->buf);
	free(p->e);
	free(p->slot);
	free(p->zout);
	free(p);
}

void
pack_abort(struct pack *p)
{
	if (p == NULL)
		return;
	if (p->tmp != NULL)
		unlink(p->tmp);
	pack_free(p);
}

/* A temp file in p->dir named by prefix; fd, or -1 with cause. */
static int
pack_tmp(struct pack *p, const char *prefix, char **name, char **cause)
{
	int fd;

	*name = xasprintf("%s/%sXXXXXX", p->dir, prefix);
	if ((fd = mkostemp(*name, O_CLOEXEC)) < 0) {
		set_cause(cause, "%s: %s", *name, strerror(errno));
		free(*name);
		*name = NULL;
	}
	return fd;
}

struct pack *
pack_begin(const char *packdir, char **cause)
{
	struct pack *p = xcalloc(1, sizeof *p);
	static const unsigned char hdr[PACK_HDR] = { 'P', 'A', 'C', 'K',
	    0, 0, 0, 2 };		/* the count is written at the end */

	p->fd = -1;
	p->dir = xstrdup(packdir);
	if (deflateInit(&p->z, Z_DEFAULT_COMPRESSION) != Z_OK) {
		set_cause(cause, "cannot start zlib");
		pack_free(p);
		return NULL;
	}
	p->zok = 1;
	if (mkdir_p(packdir, 0755) != 0) {
		set_cause(cause, "%s: %s", packdir, strerror(errno));
		pack_free(p);
		return NULL;
	}
	if ((p->fd = pack_tmp(p, PACK_TMP_PREFIX "pack_", &p->tmp,
	    cause)) < 0) {
		pack_free(p);
		return NULL;
	}
	p->buf = xmalloc(PACK_BUF);
	if (pack_put(p, hdr, sizeof hdr, cause) != 0) {
		pack_abort(p);
		return NULL;
	}
	return p;
}

static size_t
pack_hash(const unsigned char *id)
{
	size_t h;

	memcpy(&h, id, sizeof h);	/* a SHA-1 is evenly spread */
	return h;
}

/* The slot of id: where it is, or the empty one where it would go. */
static uint32_t *
pack_slot(const struct pack *p, const unsigned char *id)
{
	size_t mask = p->nslot - 1, i = pack_hash(id) & mask;

	while (p->slot[i] != 0 &&
	    memcmp(p->e[p->slot[i] - 1].id, id, PACK_ID) != 0)
		i = (i + 1) & mask;
	return &p->slot[i];
}

int
pack_has(const struct pack *p, const unsigned char *id)
{
	return p->nslot > 0 && *pack_slot(p, id) != 0;
}

/* Room for one more entry, the table at most half full. */
static void
pack_grow(struct pack *p)
{
	size_t i;

	p->e = xgrow(p->e, p->n, &p->cap, sizeof *p->e);
	if ((p->n + 1) * 2 <= p->nslot)
		return;
	free(p->slot);
	p->nslot = p->nslot ? p->nslot * 2 : 1024;
	p->slot = xcalloc(p->nslot, sizeof *p->slot);
	for (i = 0; i < p->n; i++)
		*pack_slot(p, p->e[i].id) = (uint32_t)(i + 1);
}

int
pack_add(struct pack *p, int type, const unsigned char *id,
    const void *data, size_t len, char **cause)
{
	unsigned char hdr[16];
	struct pack_ent *e;
	size_t h = 0, left = len;
	uLong bound;
	unsigned c;

	if (p->failed)
		return set_cause(cause, "%s: an earlier write failed", p->tmp);
	if (pack_has(p, id))
		return 0;
	if (p->n >= UINT32_MAX - 1 || len > UINT32_MAX)
		return set_cause(cause, "an object of %zu bytes, or more "
		    "than %u objects, for one pack", len, UINT32_MAX - 1);
	/* Type and size: 4 bits of size, then 7 a byte, low first. */
	c = (unsigned)(type << 4) | (unsigned)(left & 15);
	left >>= 4;
	while (left != 0) {
		hdr[h++] = (unsigned char)(c | 0x80);
		c = left & 0x7f;
		left >>= 7;
	}
	hdr[h++] = (unsigned char)c;

	bound = deflateBound(&p->z, (uLong)len);
	if (bound > p->zcap) {
		free(p->zout);
		p->zcap = bound;
		p->zout = xmalloc(p->zcap);
	}
	deflateReset(&p->z);
	p->z.next_in = (Bytef *)(uintptr_t)data;
	p->z.avail_in = (uInt)len;
	p->z.next_out = p->zout;
	p->z.avail_out = (uInt)p->zcap;
	if (deflate(&p->z, Z_FINISH) != Z_STREAM_END)
		return set_cause(cause, "cannot deflate an object of %zu "
		    "bytes", len);

	pack_grow(p);
	e = &p->e[p->n];
	memcpy(e->id, id, PACK_ID);
	e->off = p->off;
	e->crc = (uint32_t)crc32(crc32(0L, hdr, (uInt)h), p->zout,
	    (uInt)p->z.total_out);
	if (pack_put(p, hdr, h, cause) != 0 ||
	    pack_put(p, p->zout, p->z.total_out, cause) != 0)
		return -1;
	*pack_slot(p, id) = (uint32_t)(p->n + 1);
	p->n++;
	return 0;
}

static int
pack_ent_cmp(const void *a, const void *b)
{
	return memcmp(((const struct pack_ent *)a)->id,
	    ((const struct pack_ent *)b)->id, PACK_ID);
}

static void
put32(struct buf *b, uint32_t v)
{
	uint32_t be = htonl(v);

	buf_add(b, &be, 4);
}

/* The index (version 2) of p's entries, sorted, for pack checksum sum. */
static void
pack_index(struct pack *p, const unsigned char *sum, struct buf *b)
{
	static const unsigned char magic[8] = { 0xff, 't', 'O', 'c',
	    0, 0, 0, 2 };
	unsigned char idsum[PACK_ID];
	size_t i, nbig = 0;
	int k;

	buf_add(b, magic, sizeof magic);
	for (k = 0, i = 0; k < 256; k++) {	/* fan-out: ids <= k */
		while (i < p->n && p->e[i].id[0] == k)
			i++;
		put32(b, (uint32_t)i);
	}
	for (i = 0; i < p->n; i++)
		buf_add(b, p->e[i].id, PACK_ID);
	for (i = 0; i < p->n; i++)
		put32(b, p->e[i].crc);
	for (i = 0; i < p->n; i++) {
		if (p->e[i].off < 0x80000000U)
			put32(b, (uint32_t)p->e[i].off);
		else
			put32(b, 0x80000000U | (uint32_t)nbig++);
	}
	for (i = 0; i < p->n; i++) {
		if (p->e[i].off >= 0x80000000U) {
			put32(b, (uint32_t)(p->e[i].off >> 32));
			put32(b, (uint32_t)p->e[i].off);
		}
	}
	buf_add(b, sum, PACK_ID);
	SHA1((const unsigned char *)b->data, b->len, idsum);
	buf_add(b, idsum, PACK_ID);
}

/* The object count into the header, then the SHA-1 of the whole. */
static int
pack_seal(struct pack *p, unsigned char *sum, char **cause)
{
	unsigned char cnt[4];
	struct stat sb;
	void *map;

	cnt[0] = (unsigned char)(p->n >> 24);
	cnt[1] = (unsigned char)(p->n >> 16);
	cnt[2] = (unsigned char)(p->n >> 8);
	cnt[3] = (unsigned char)p->n;
	if (pack_flush(p, cause) != 0)
		return -1;
	if (pwrite(p->fd, cnt, sizeof cnt, 8) != (ssize_t)sizeof cnt ||
	    fstat(p->fd, &sb) != 0)
		return set_cause(cause, "%s: %s", p->tmp, strerror(errno));
	if ((uint64_t)sb.st_size != p->off)	/* never map past its end */
		return set_cause(cause, "%s: %jd bytes, %ju written",
		    p->tmp, (intmax_t)sb.st_size, (uintmax_t)p->off);
	map = mmap(NULL, (size_t)p->off, PROT_READ, MAP_SHARED, p->fd, 0);
	if (map == MAP_FAILED)
		return set_cause(cause, "%s: %s", p->tmp, strerror(errno));
	SHA1(map, (size_t)p->off, sum);
	munmap(map, (size_t)p->off);
	if (write_all(p->fd, sum, PACK_ID) != 0)
		return set_cause(cause, "%s: %s", p->tmp, strerror(errno));
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd, rc, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
pack_end(struct pack *p, char **cause)
{
	unsigned char sum[PACK_ID];
	char hex[2 * PACK_ID + 1], *idx = NULL, *dst = NULL;
	struct buf ib;
	size_t i;
	int fd = -1, had, rc = -1;

	if (p->n == 0 && !p->failed) {
		pack_abort(p);
		return 0;
	}
	buf_init(&ib);
	if (p->failed) {
		set_cause(cause, "%s: an earlier write failed", p->tmp);
		goto out;
	}
	if (pack_seal(p, sum, cause) != 0)
		goto out;
	if (fchmod(p->fd, 0444) != 0 || fsync(p->fd) != 0) {
		set_cause(cause, "%s: %s", p->tmp, strerror(errno));
		goto out;
	}
	crash_point("pack-written");

	qsort(p->e, p->n, sizeof *p->e, pack_ent_cmp);
	pack_index(p, sum, &ib);
	if ((fd = pack_tmp(p, PACK_TMP_PREFIX "idx_", &idx, cause)) < 0)
		goto out;
	if (write_all(fd, ib.data, ib.len) != 0 || fchmod(fd, 0444) != 0 ||
	    fsync(fd) != 0) {
		set_cause(cause, "%s: %s", idx, strerror(errno));
		goto out;
	}

	for (i = 0; i < PACK_ID; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	dst = xasprintf("%s/pack-%s.pack", p->dir, hex);
	had = access(dst, F_OK) == 0;	/* the same pack, made before */
	if (rename(p->tmp, dst) != 0) {
		set_cause(cause, "%s: %s", dst, strerror(errno));
		goto out;
	}
	free(p->tmp);
	p->tmp = had ? NULL : dst;	/* removed on failure from here */
	if (had)
		free(dst);
	dst = xasprintf("%s/pack-%s.idx", p->dir, hex);
	if (rename(idx, dst) != 0) {
		set_cause(cause, "%s: %s", dst, strerror(errno));
		goto out;
	}
	free(idx);
	idx = NULL;
	free(p->tmp);
	p->tmp = NULL;			/* in place: kept */
	if (fsync_dir(p->dir) != 0) {
		set_cause(cause, "%s: %s", p->dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (idx != NULL)
		unlink(idx);
	free(idx);
	free(dst);
	buf_free(&ib);
	if (rc != 0)
		pack_abort(p);
	else
		pack_free(p);
	return rc;
}
