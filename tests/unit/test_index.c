/* test_index.c: store/index.c against a real SQLite file, checked with sqlite3(1). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"
#include "certrec.h"
#include "config.h"
#include "index.h"
#include "status.h"

#define T9999	INT64_C(253402300799)	/* 9999-12-31T23:59:59Z */
#define T1900	INT64_C(-2208988800)	/* 1900-01-01T00:00:00Z */

/* Blob ids: 40 hex digits from a small number. */
#define BLOB_F1	"f100000000000000000000000000000000000001"
#define BLOB_F2	"f200000000000000000000000000000000000002"
#define BLOB_F3	"f300000000000000000000000000000000000003"
#define BLOB_UNCACHED "0badbadbadbadbadbadbadbadbadbadbadbadbad"

struct fx {
	char		*dir;
	char		*path;
	struct idx	*idx;
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	char *cause = NULL;

	f->dir = tu_tmpdir();
	f->path = xasprintf("%s/index.db", f->dir);
	if (idx_open(f->path, &f->idx, &cause) != 0) {
		fprintf(stderr, "idx_open: %s\n", cause);
		return -1;
	}
	*state = f;
	return 0;
}

/* Run sql with the real sqlite3 program; returns its output (caller frees). */
static char *
cli(const char *path, const char *sql)
{
	char *out = NULL;
	int rc;

	rc = tu_run(NULL, &out, "sqlite3", path, sql, (char *)NULL);
	assert_int_equal(rc, 0);
	assert_non_null(out);
	return out;
}

#define ASSERT_CLI(path, sql, want) do {				\
	char *out_ = cli((path), (sql));				\
	assert_string_equal(out_, (want));				\
	free(out_);							\
} while (0)

static int
teardown(void **state)
{
	struct fx *f = *state;

	idx_close(f->idx);
	/* Every test leaves a database the real sqlite3 finds sound. */
	ASSERT_CLI(f->path, "PRAGMA integrity_check", "ok\n");
	tu_rmdir(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

static void
reopen(struct fx *f)
{
	char *cause = NULL;

	idx_close(f->idx);
	f->idx = NULL;
	if (idx_open(f->path, &f->idx, &cause) != 0)
		fail_msg("reopen: %s", cause);
}

static int64_t
scalar(struct idx *idx, const char *sql)
{
	char *cause = NULL;
	int64_t v = -12345;

	if (idx_scalar(idx, sql, &v, &cause) != 0)
		fail_msg("idx_scalar %s: %s", sql, cause);
	return v;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* A fingerprint per tag: the tag's bytes in hex, padded with zeros. */
static void
fp_of(const char *tag, char out[65])
{
	size_t i;

	memset(out, '0', 64);
	out[64] = '\0';
	for (i = 0; tag[i] != '\0' && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", (unsigned char)tag[i]);
	if (i < 32)
		out[2 * i] = '0';
}

/* A certificate record with every field set, distinct per tag. */
static void
mkcert(struct certrec *r, const char *tag, const char *cn, const char *icn,
    const char *sans, int64_t not_after)
{
	memset(r, 0, sizeof *r);
	r->subject = cn != NULL ? xasprintf("CN=%s,O=Subj %s", cn, tag) :
	    xasprintf("O=Subj %s", tag);
	r->issuer = xasprintf("CN=%s,O=Iss %s", icn ? icn : "none", tag);
	r->subject_cn = dup_or_null(cn);
	r->issuer_cn = dup_or_null(icn);
	r->serial = xasprintf("%s01", tag);
	r->not_before = not_after - 86400 * 90;
	r->not_after = not_after;
	r->sans = dup_or_null(sans);
	r->key_type = xstrdup("EC");
	r->key_bits = 256;
	r->key_curve = xstrdup("P-256");
	r->sig_alg = xstrdup("ecdsa-with-SHA256");
	fp_of(tag, r->sha256);
	memset(r->sha1, 'a', 40);
	r->sha1[40] = '\0';
	r->spki_sha256 = xasprintf("spki-%s", tag);
	r->ski = xasprintf("ski-%s", tag);
	r->aki = xasprintf("aki-%s", tag);
	r->is_ca = 0;
	r->path_len = -1;
	r->key_usage = xstrdup("digitalSignature");
	r->ext_key_usage = xstrdup("serverAuth,clientAuth");
	r->ocsp = xasprintf("http://ocsp.%s.test", tag);
	r->ca_issuers = xasprintf("http://ca.%s.test/ca.crt", tag);
	r->crl_dp = xasprintf("http://crl.%s.test/1.crl\nhttp://crl2", tag);
	r->must_staple = 0;
	r->self_signed = 0;
	r->version = 3;
}

static void
assert_str_or_null(const char *got, const char *want, const char *what)
{
	if (want == NULL) {
		if (got != NULL)
			fail_msg("%s: want NULL, got \"%s\"", what, got);
		return;
	}
	if (got == NULL)
		fail_msg("%s: want \"%s\", got NULL", what, want);
	if (strcmp(got, want) != 0)
		fail_msg("%s: want \"%s\", got \"%s\"", what, want, got);
}

static void
assert_certrec_equal(const struct certrec *a, const struct certrec *b)
{
#define S(f) assert_str_or_null(a->f, b->f, #f)
#define I(f) do { if (a->f != b->f) fail_msg("%s: want %lld, got %lld", \
	#f, (long long)b->f, (long long)a->f); } while (0)
	S(subject); S(issuer); S(subject_cn); S(issuer_cn); S(serial);
	I(not_before); I(not_after); S(sans); S(key_type); I(key_bits);
	S(key_curve); S(sig_alg); S(sha256); S(sha1); S(spki_sha256);
	S(ski); S(aki); I(is_ca); I(path_len); S(key_usage);
	S(ext_key_usage); S(ocsp); S(ca_issuers); S(crl_dp);
	I(must_staple); I(self_signed); I(version);
#undef S
#undef I
}

static void
mkfile(struct certfile *cf, size_t n)
{
	memset(cf, 0, sizeof *cf);
	cf->n = n;
	cf->certs = xcalloc(n ? n : 1, sizeof *cf->certs);
}

static void
put_file(struct idx *idx, const char *blob, const struct certfile *cf)
{
	char *cause = NULL;

	if (idx_file_put(idx, blob, cf, &cause) != 0)
		fail_msg("idx_file_put: %s", cause);
}

static void
put_entry(struct idx *idx, const char *name, const char *cert_blob,
    const char *owner, const char *tags)
{
	struct idx_entry e;
	char *cause = NULL;

	memset(&e, 0, sizeof e);
	e.name = (char *)name;
	snprintf(e.cert_blob, sizeof e.cert_blob, "%s", cert_blob);
	snprintf(e.entry_blob, sizeof e.entry_blob, "e%039zu", strlen(name));
	e.owner = (char *)owner;
	e.tags = (char *)tags;
	e.endpoints = (char *)"127.0.0.1:443";
	e.profile = (char *)"default";
	e.meta = xasprintf("owner = %s\n", owner ? owner : "");
	if (idx_entry_put(idx, &e, &cause) != 0)
		fail_msg("idx_entry_put %s: %s", name, cause);
	free(e.meta);
}

/* Names of a listing, joined by ",". */
static int
collect_cb(void *arg, const struct idx_row *r)
{
	strv_add(arg, r->entry->name);
	return 0;
}

static char *
list_names(struct idx *idx, const struct idx_query *q)
{
	struct strv names;
	char *cause = NULL, *s;

	strv_init(&names);
	if (idx_list(idx, q, collect_cb, &names, &cause) != 0)
		fail_msg("idx_list: %s", cause);
	s = strv_join(&names, ",");
	strv_free(&names);
	return s;
}

#define ASSERT_LIST(idx, q, want) do {					\
	char *got_ = list_names((idx), (q));				\
	assert_string_equal(got_, (want));				\
	free(got_);							\
} while (0)

static void
assert_names(const struct strv *sv, const char *want)
{
	char *got = strv_join(sv, ",");

	assert_string_equal(got, want);
	free(got);
}

static void
test_open_create_reopen(void **state)
{
	struct fx *f = *state;
	char head[41], *cause = NULL, *out;
	struct idx *idx2;

	assert_int_equal(access(f->path, F_OK), 0);
	assert_int_equal(scalar(f->idx, "PRAGMA user_version"), 3);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM sqlite_schema"
	    " WHERE type = 'table' AND name IN ('meta', 'files', 'certs',"
	    " 'entries', 'probes', 'jobs')"), 6);
	ASSERT_CLI(f->path, "PRAGMA journal_mode", "wal\n");
	ASSERT_CLI(f->path, "PRAGMA user_version", "3\n");
	ASSERT_CLI(f->path, "SELECT count(*) FROM probes; SELECT count(*)"
	    " FROM jobs", "0\n0\n");
	/* The unversioned tables take rows as the later features will. */
	ASSERT_CLI(f->path, "INSERT INTO probes(endpoint, entry, time, ok,"
	    " kind, detail, leaf_sha256, json) VALUES('a:443', 'a', 1, 1,"
	    " 'tls', 'ok', 'ff', '{}'); INSERT INTO jobs(entry, kind, started,"
	    " ended, ok, output) VALUES('a', 'renew', 1, 2, 1, 'done');"
	    " SELECT count(*) FROM probes, jobs", "1\n");

	assert_int_equal(idx_set_head(f->idx, BLOB_F1, &cause), 0);
	reopen(f);
	assert_int_equal(idx_get_head(f->idx, head, &cause), 0);
	assert_string_equal(head, BLOB_F1);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM probes"), 1);

	/* Two connections at once (the TUI and a CLI command). */
	assert_int_equal(idx_open(f->path, &idx2, &cause), 0);
	assert_int_equal(idx_get_head(idx2, head, &cause), 0);
	assert_string_equal(head, BLOB_F1);
	idx_close(idx2);

	out = cli(f->path, "SELECT value FROM meta WHERE key = 'head'");
	assert_string_equal(out, BLOB_F1 "\n");
	free(out);
}

static void
test_open_errors(void **state)
{
	struct fx *f = *state;
	struct idx *idx = (struct idx *)1;
	char *cause = NULL, *p;

	p = xasprintf("%s/no/such/dir/index.db", f->dir);
	assert_int_equal(idx_open(p, &idx, &cause), -1);
	assert_null(idx);
	assert_non_null(cause);
	assert_null(strchr(cause, '\n'));
	assert_non_null(strstr(cause, p));
	free(cause);
	cause = NULL;
	free(p);

	/* Not a database at all. */
	p = xasprintf("%s/garbage.db", f->dir);
	assert_int_equal(write_file_atomic(p, "this is not sqlite, just text"
	    " long enough to be a header..........................................."
	    "......................................", 128, 0644, NULL), 0);
	/* Damaged, the caller may replace it (it is only a cache). */
	assert_int_equal(idx_open(p, &idx, &cause), IDX_OPEN_DAMAGED);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "not a database"));
	assert_int_equal(strncmp(cause, p, strlen(p)), 0);	/* named once */
	assert_null(strstr(cause + strlen(p), p));
	assert_null(strchr(cause, '\n'));
	free(cause);
	cause = NULL;
	free(p);

	/* Somebody else's database is refused, not emptied. */
	p = xasprintf("%s/other.db", f->dir);
	ASSERT_CLI(p, "CREATE TABLE precious(x); INSERT INTO precious"
	    " VALUES(42); PRAGMA user_version = 7", "");
	assert_int_equal(idx_open(p, &idx, &cause), -1);
	assert_non_null(strstr(cause, "not a certdeck index"));
	free(cause);
	ASSERT_CLI(p, "SELECT x FROM precious", "42\n");
	free(p);
}

static void
test_head(void **state)
{
	struct fx *f = *state;
	char head[41], *cause = NULL;
	const char *c2 = "0123456789abcdef0123456789abcdef01234567";

	memset(head, 'x', sizeof head);
	assert_int_equal(idx_get_head(f->idx, head, &cause), 0);
	assert_string_equal(head, "");

	assert_int_equal(idx_set_head(f->idx, BLOB_F1, &cause), 0);
	assert_int_equal(idx_set_head(f->idx, c2, &cause), 0);
	assert_int_equal(idx_get_head(f->idx, head, &cause), 0);
	assert_string_equal(head, c2);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM meta"), 1);

	/* Not a commit id: refused, head unchanged. */
	assert_int_equal(idx_set_head(f->idx, "HEAD~1", &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(idx_set_head(f->idx,
	    "0123456789abcdef0123456789abcdef012345678", &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(idx_get_head(f->idx, head, &cause), 0);
	assert_string_equal(head, c2);

	assert_int_equal(idx_set_head(f->idx, "", &cause), 0);
	assert_int_equal(idx_get_head(f->idx, head, &cause), 0);
	assert_string_equal(head, "");
}

static void
test_file_roundtrip(void **state)
{
	struct fx *f = *state;
	struct certfile cf, got;
	struct certrec *r;
	char *cause = NULL, *sql, *out;
	static const char big_serial[] =
	    "-00ff0123456789abcdef0123456789abcdef0123456789abcdef01234567"
	    "89abcdef0123456789abcdef";

	mkfile(&cf, 3);
	/* Leaf: odd text, extreme times, every flag set. */
	r = &cf.certs[0];
	mkcert(r, "leaf", "x", "y", "DNS:a.test\nIP:10.0.0.1\nemail:a@b\n"
	    "URI:https://x", T9999);
	free(r->subject);
	r->subject = xstrdup("CN=Gr\xc3\xbc\xc3\x9f" "e \xe8\xaf\x81\xe4\xb9\xa6"
	    " \x01\x1b[31mred\x7f\ttab\nnl,O=\"q\" 'q' %_\\");
	free(r->subject_cn);
	r->subject_cn = xstrdup("Gr\xc3\xbc\xc3\x9f" "e \x1b]0;title\x07");
	free(r->serial);
	r->serial = xstrdup(big_serial);
	r->not_before = T1900;
	r->not_after = T9999;
	r->key_bits = 16384;
	r->is_ca = 1;
	r->path_len = 0;
	r->must_staple = 1;
	r->self_signed = 1;
	r->version = 1;
	memcpy(r->sha256,
	    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100",
	    65);
	memcpy(r->sha1, "0123456789abcdef0123456789abcdef01234567", 41);

	/* Intermediate: every optional string NULL, empty strings kept. */
	r = &cf.certs[1];
	memset(r, 0, sizeof *r);
	r->subject = xstrdup("");
	r->not_before = INT64_MIN;
	r->not_after = INT64_MAX;
	r->path_len = -1;
	r->version = 3;
	r->key_bits = -1;

	/* Root: ordinary, pre-1970 notAfter. */
	mkcert(&cf.certs[2], "root", "Root CA", "Root CA", NULL, -1);
	cf.certs[2].is_ca = 1;
	cf.certs[2].path_len = 7;
	cf.eff_not_after = -1;
	cf.eff_from = xstrdup("Root CA");

	assert_int_equal(idx_file_has(f->idx, BLOB_F1), 0);
	memset(&got, 0x55, sizeof got);
	assert_int_equal(idx_file_get(f->idx, BLOB_F1, &got, &cause), 0);
	assert_int_equal(got.n, 0);
	assert_null(got.certs);

	put_file(f->idx, BLOB_F1, &cf);
	assert_int_equal(idx_file_has(f->idx, BLOB_F1), 1);
	assert_int_equal(idx_file_has(f->idx, BLOB_F2), 0);

	reopen(f);
	assert_int_equal(idx_file_get(f->idx, BLOB_F1, &got, &cause), 1);
	assert_int_equal(got.n, 3);
	assert_int_equal(got.eff_not_after, -1);
	assert_string_equal(got.eff_from, "Root CA");
	assert_certrec_equal(&got.certs[0], &cf.certs[0]);
	assert_certrec_equal(&got.certs[1], &cf.certs[1]);
	assert_certrec_equal(&got.certs[2], &cf.certs[2]);
	assert_non_null(got.certs[1].subject);	/* "" is not NULL */
	assert_null(got.certs[1].issuer);
	certfile_free(&got);
	assert_null(got.certs);
	assert_int_equal(got.n, 0);
	certfile_free(&got);			/* twice is harmless */

	/* What is on disk is what a person reading it expects. */
	sql = xasprintf("SELECT h.pos, c.not_before, c.not_after, c.serial,"
	    " typeof(c.sans) FROM chain h JOIN certs c ON c.id = h.cert"
	    " WHERE h.blob = '%s' ORDER BY h.pos", BLOB_F1);
	out = cli(f->path, sql);
	assert_string_equal(out,
	    "0|-2208988800|253402300799|-00ff0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef0123456789abcdef|text\n"
	    "1|-9223372036854775808|9223372036854775807||null\n"
	    "2|-7776001|-1|root01|null\n");
	free(out);
	free(sql);

	/* Re-putting a blob replaces it, shorter chain included. */
	certrec_free(&cf.certs[2]);
	certrec_free(&cf.certs[1]);
	cf.n = 1;
	free(cf.eff_from);
	cf.eff_from = NULL;
	cf.eff_not_after = T9999;
	cf.unsigned_at = 1;
	put_file(f->idx, BLOB_F1, &cf);
	assert_int_equal(idx_file_get(f->idx, BLOB_F1, &got, &cause), 1);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.unsigned_at, 1);
	assert_null(got.eff_from);
	assert_int_equal(got.eff_not_after, T9999);
	assert_certrec_equal(&got.certs[0], &cf.certs[0]);
	certfile_free(&got);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM chain"), 1);
	certfile_free(&cf);

	/* A file with no certificates at all is still a cached answer. */
	mkfile(&cf, 0);
	put_file(f->idx, BLOB_F2, &cf);
	assert_int_equal(idx_file_has(f->idx, BLOB_F2), 1);
	assert_int_equal(idx_file_get(f->idx, BLOB_F2, &got, &cause), 1);
	assert_int_equal(got.n, 0);
	certfile_free(&got);
	certfile_free(&cf);

	/* Bad input is refused with a message. */
	cf.n = 2;
	cf.certs = NULL;
	assert_int_equal(idx_file_put(f->idx, BLOB_F3, &cf, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(idx_file_put(f->idx, "", &cf, &cause), -1);
	free(cause);
	assert_int_equal(idx_file_has(f->idx, BLOB_F3), 0);
}

/* Certificates are stored once per fingerprint, never merged without one. */
static void
test_file_dedup(void **state)
{
	struct fx *f = *state;
	struct certfile a, b, got;
	char *cause = NULL;

	mkfile(&a, 3);
	mkcert(&a.certs[0], "leaf-a", "a", "CA", NULL, 100);
	mkcert(&a.certs[1], "inter", "CA", "Root", NULL, 200);
	mkcert(&a.certs[2], "inter", "CA", "Root", NULL, 200);	/* twice */
	mkfile(&b, 2);
	mkcert(&b.certs[0], "leaf-b", "b", "CA", NULL, 100);
	mkcert(&b.certs[1], "inter", "CA", "Root", NULL, 200);
	put_file(f->idx, BLOB_F1, &a);
	put_file(f->idx, BLOB_F2, &b);
	put_file(f->idx, BLOB_F2, &b);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM certs"), 3);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM chain"), 5);
	assert_int_equal(idx_file_get(f->idx, BLOB_F1, &got, &cause), 1);
	assert_int_equal(got.n, 3);
	assert_certrec_equal(&got.certs[0], &a.certs[0]);
	assert_certrec_equal(&got.certs[1], &a.certs[1]);
	assert_certrec_equal(&got.certs[2], &a.certs[1]);
	certfile_free(&got);
	assert_int_equal(idx_file_get(f->idx, BLOB_F2, &got, &cause), 1);
	assert_int_equal(got.n, 2);
	assert_certrec_equal(&got.certs[0], &b.certs[0]);
	assert_certrec_equal(&got.certs[1], &b.certs[1]);
	certfile_free(&got);
	certfile_free(&a);
	certfile_free(&b);

	/* Without a fingerprint, two different records stay two. */
	mkfile(&a, 2);
	mkcert(&a.certs[0], "x", "first", "CA", NULL, 1);
	mkcert(&a.certs[1], "y", "second", "CA", NULL, 2);
	a.certs[0].sha256[0] = a.certs[1].sha256[0] = '\0';
	put_file(f->idx, BLOB_F3, &a);
	assert_int_equal(idx_file_get(f->idx, BLOB_F3, &got, &cause), 1);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.certs[0].sha256, "");
	assert_certrec_equal(&got.certs[0], &a.certs[0]);
	assert_certrec_equal(&got.certs[1], &a.certs[1]);
	certfile_free(&got);
	certfile_free(&a);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM certs"), 5);
}

static void
test_entry_crud(void **state)
{
	struct fx *f = *state;
	struct idx_entry e, got;
	char *cause = NULL;
	size_t n = 99;

	assert_int_equal(idx_entry_count(f->idx, &n, &cause), 0);
	assert_int_equal(n, 0);

	memset(&e, 0, sizeof e);
	e.name = (char *)"api.example.com";
	memcpy(e.cert_blob, BLOB_F1, 41);
	memcpy(e.entry_blob, BLOB_F2, 41);
	e.owner = (char *)"team \xc3\xa9t\xc3\xa9";
	e.tags = (char *)"prod,web";
	e.endpoints = (char *)"api.example.com:443,[::1]:8443/smtp@x";
	e.profile = (char *)"acme";
	e.meta = (char *)"endpoints = api.example.com:443\nowner = x\n";
	assert_int_equal(idx_entry_put(f->idx, &e, &cause), 0);

	memset(&got, 0x55, sizeof got);
	assert_int_equal(idx_entry_get(f->idx, "api.example.com", &got,
	    &cause), 1);
	assert_string_equal(got.name, e.name);
	assert_string_equal(got.cert_blob, BLOB_F1);
	assert_string_equal(got.entry_blob, BLOB_F2);
	assert_string_equal(got.owner, e.owner);
	assert_string_equal(got.tags, e.tags);
	assert_string_equal(got.endpoints, e.endpoints);
	assert_string_equal(got.profile, e.profile);
	assert_string_equal(got.meta, e.meta);
	idx_entry_free(&got);
	assert_null(got.name);

	/* Overwrite: NULLs and no certificate. */
	e.cert_blob[0] = '\0';
	e.owner = e.tags = e.endpoints = e.profile = e.meta = NULL;
	assert_int_equal(idx_entry_put(f->idx, &e, &cause), 0);
	assert_int_equal(idx_entry_get(f->idx, "api.example.com", &got,
	    &cause), 1);
	assert_string_equal(got.cert_blob, "");
	assert_string_equal(got.entry_blob, BLOB_F2);
	assert_null(got.owner);
	assert_null(got.tags);
	assert_null(got.endpoints);
	assert_null(got.profile);
	assert_null(got.meta);
	idx_entry_free(&got);
	assert_int_equal(idx_entry_count(f->idx, &n, &cause), 0);
	assert_int_equal(n, 1);

	put_entry(f->idx, "b", BLOB_F1, "o", "t");
	put_entry(f->idx, "c", "", NULL, NULL);
	assert_int_equal(idx_entry_count(f->idx, &n, &cause), 0);
	assert_int_equal(n, 3);

	memset(&got, 0x55, sizeof got);
	assert_int_equal(idx_entry_get(f->idx, "nope", &got, &cause), 0);
	assert_null(got.name);
	assert_int_equal(idx_entry_get(f->idx, "API.EXAMPLE.COM", &got,
	    &cause), 0);

	assert_int_equal(idx_entry_del(f->idx, "b", &cause), 0);
	assert_int_equal(idx_entry_del(f->idx, "b", &cause), 0);
	assert_int_equal(idx_entry_get(f->idx, "b", &got, &cause), 0);
	assert_int_equal(idx_entry_count(f->idx, &n, &cause), 0);
	assert_int_equal(n, 2);
	ASSERT_CLI(f->path, "SELECT name FROM entries ORDER BY name",
	    "api.example.com\nc\n");

	assert_int_equal(idx_entry_clear(f->idx, &cause), 0);
	assert_int_equal(idx_entry_count(f->idx, &n, &cause), 0);
	assert_int_equal(n, 0);

	e.name = NULL;
	assert_int_equal(idx_entry_put(f->idx, &e, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

/*
 * The listing data set:
 *   name     file  leaf CN    issuer CN  owner        tags          eff
 *   alpha    F1    Zeta CN    CA b       Bob          prod,web      9999
 *   bravo    F2    alpha cn   ca A       alice        dev           1000 (CA b2)
 *   charlie  F3    (none)     CA c       -            -             1900
 *   delta    ""    no certificate        carol_100%   prod          -
 *   echo     uncached blob               -            back\slash    -
 *   foxtrot  F2 (shares bravo's file)    dave         -             1000
 *   golf     ""    no certificate        carolX100Y   -             -
 * F1 and F2 share the intermediate "interx".
 * Case differs so that sorting without NOCASE would give another order.
 */
static void
load_dataset(struct idx *idx)
{
	struct certfile cf;

	mkfile(&cf, 2);
	mkcert(&cf.certs[0], "alpha", "Zeta CN", "CA b",
	    "DNS:alpha.test", T9999);
	free(cf.certs[0].subject);
	cf.certs[0].subject = xstrdup("CN=Zeta CN,O=Subjorg");
	mkcert(&cf.certs[1], "interx", "CA b", "Root", NULL, T9999 + 5);
	cf.eff_not_after = T9999;
	put_file(idx, BLOB_F1, &cf);
	certfile_free(&cf);

	mkfile(&cf, 3);
	mkcert(&cf.certs[0], "bravo", "alpha cn", "ca A",
	    "DNS:bravo-san.example\nDNS:www.bravo-san.example", 5000);
	mkcert(&cf.certs[1], "interx", "CA b", "Root", NULL, T9999 + 5);
	mkcert(&cf.certs[2], "bridge", "CA b2", "Other root", NULL, 1000);
	cf.eff_not_after = 1000;
	cf.eff_from = xstrdup("CA b2");
	put_file(idx, BLOB_F2, &cf);
	certfile_free(&cf);

	mkfile(&cf, 3);
	mkcert(&cf.certs[0], "charlie", NULL, "CA c", NULL, T1900);
	free(cf.certs[0].issuer);
	cf.certs[0].issuer = xstrdup("CN=CA c,O=Issuerorg");
	mkcert(&cf.certs[1], "intery", "CA c", "Root", NULL, T1900 + 10);
	mkcert(&cf.certs[2], "root", "Root", "Root", NULL, T1900 + 20);
	cf.eff_not_after = T1900;
	put_file(idx, BLOB_F3, &cf);
	certfile_free(&cf);

	put_entry(idx, "alpha", BLOB_F1, "Bob", "prod,web");
	put_entry(idx, "bravo", BLOB_F2, "alice", "dev");
	put_entry(idx, "charlie", BLOB_F3, NULL, NULL);
	put_entry(idx, "delta", "", "carol_100%", "prod");
	put_entry(idx, "echo", BLOB_UNCACHED, NULL, "back\\slash");
	put_entry(idx, "foxtrot", BLOB_F2, "dave", NULL);
	put_entry(idx, "golf", "", "carolX100Y", NULL);
}

static void
test_list_sort(void **state)
{
	struct fx *f = *state;
	struct idx_query q;
	char *cause = NULL;

	load_dataset(f->idx);
	memset(&q, 0, sizeof q);

	q.sort = IDX_SORT_EXPIRY;
	ASSERT_LIST(f->idx, &q,
	    "charlie,bravo,foxtrot,alpha,delta,echo,golf");
	ASSERT_LIST(f->idx, NULL,
	    "charlie,bravo,foxtrot,alpha,delta,echo,golf");
	q.reverse = 1;
	ASSERT_LIST(f->idx, &q,
	    "alpha,foxtrot,bravo,charlie,golf,echo,delta");

	q.sort = IDX_SORT_NAME;
	q.reverse = 0;
	ASSERT_LIST(f->idx, &q,
	    "alpha,bravo,charlie,delta,echo,foxtrot,golf");
	q.reverse = 1;
	ASSERT_LIST(f->idx, &q,
	    "golf,foxtrot,echo,delta,charlie,bravo,alpha");

	q.sort = IDX_SORT_SUBJECT;
	q.reverse = 0;
	ASSERT_LIST(f->idx, &q,
	    "bravo,foxtrot,alpha,charlie,delta,echo,golf");
	q.reverse = 1;
	ASSERT_LIST(f->idx, &q,
	    "alpha,foxtrot,bravo,golf,echo,delta,charlie");

	q.sort = IDX_SORT_ISSUER;
	q.reverse = 0;
	ASSERT_LIST(f->idx, &q,
	    "bravo,foxtrot,alpha,charlie,delta,echo,golf");
	q.reverse = 1;
	ASSERT_LIST(f->idx, &q,
	    "charlie,alpha,foxtrot,bravo,golf,echo,delta");

	q.sort = IDX_SORT_OWNER;
	q.reverse = 0;
	ASSERT_LIST(f->idx, &q,
	    "bravo,alpha,delta,golf,foxtrot,charlie,echo");
	q.reverse = 1;
	ASSERT_LIST(f->idx, &q,
	    "foxtrot,golf,delta,alpha,bravo,echo,charlie");

	q.sort = (enum idx_sort)42;
	assert_int_equal(idx_list(f->idx, &q, collect_cb, NULL, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

static void
test_list_filter(void **state)
{
	struct fx *f = *state;
	struct idx_query q;

	load_dataset(f->idx);
	memset(&q, 0, sizeof q);
	q.sort = IDX_SORT_NAME;

	q.filter = "";
	ASSERT_LIST(f->idx, &q,
	    "alpha,bravo,charlie,delta,echo,foxtrot,golf");
	q.filter = "ARLI";			/* name */
	ASSERT_LIST(f->idx, &q, "charlie");
	q.filter = "subjORG";			/* subject */
	ASSERT_LIST(f->idx, &q, "alpha");
	q.filter = "SAN.example";		/* SANs, shared file */
	ASSERT_LIST(f->idx, &q, "bravo,foxtrot");
	q.filter = "dns:www.";			/* SANs, second line */
	ASSERT_LIST(f->idx, &q, "bravo,foxtrot");
	q.filter = "issuerorg";			/* issuer */
	ASSERT_LIST(f->idx, &q, "charlie");
	q.filter = "DAVE";			/* owner */
	ASSERT_LIST(f->idx, &q, "foxtrot");
	q.filter = "web";			/* tags */
	ASSERT_LIST(f->idx, &q, "alpha");
	q.filter = "prod";			/* tags, without a cert */
	ASSERT_LIST(f->idx, &q, "alpha,delta");
	q.filter = "nothing-has-this";
	ASSERT_LIST(f->idx, &q, "");

	/* LIKE wildcards and the escape character are literal. */
	q.filter = "l_100%";
	ASSERT_LIST(f->idx, &q, "delta");
	q.filter = "%";
	ASSERT_LIST(f->idx, &q, "delta");
	q.filter = "_";
	ASSERT_LIST(f->idx, &q, "delta");
	q.filter = "k\\s";
	ASSERT_LIST(f->idx, &q, "echo");
	q.filter = "\\";
	ASSERT_LIST(f->idx, &q, "echo");
	q.filter = "carol";
	ASSERT_LIST(f->idx, &q, "delta,golf");

	/* With a sort and reverse. */
	q.filter = "o";
	q.sort = IDX_SORT_EXPIRY;
	q.reverse = 1;
	ASSERT_LIST(f->idx, &q,
	    "alpha,foxtrot,bravo,charlie,golf,echo,delta");
}

static void
test_list_limits(void **state)
{
	struct fx *f = *state;
	struct idx_query q;

	load_dataset(f->idx);
	memset(&q, 0, sizeof q);

	q.not_after_max = 1000;
	ASSERT_LIST(f->idx, &q, "charlie,bravo,foxtrot");
	q.not_after_max = 999;
	ASSERT_LIST(f->idx, &q, "charlie");
	q.not_after_max = T1900 - 1;
	ASSERT_LIST(f->idx, &q, "");
	q.not_after_max = T9999;
	ASSERT_LIST(f->idx, &q, "charlie,bravo,foxtrot,alpha");
	q.not_after_max = 1000;
	q.filter = "o";
	q.sort = IDX_SORT_NAME;
	q.reverse = 1;
	ASSERT_LIST(f->idx, &q, "foxtrot,charlie,bravo");

	memset(&q, 0, sizeof q);
	q.name = "charlie";
	ASSERT_LIST(f->idx, &q, "charlie");
	q.name = "char";
	ASSERT_LIST(f->idx, &q, "");
	q.name = "delta";
	q.filter = "carol";
	ASSERT_LIST(f->idx, &q, "delta");
	q.filter = "dave";
	ASSERT_LIST(f->idx, &q, "");
}

struct rowcheck {
	int	seen;
	int	stop_after;
};

static int
rowcheck_cb(void *arg, const struct idx_row *r)
{
	struct rowcheck *rc = arg;
	const char *n = r->entry->name;
	char fp[65];

	rc->seen++;
	if (strcmp(n, "charlie") == 0) {
		assert_non_null(r->leaf);
		assert_string_equal(r->leaf->subject, "O=Subj charlie");
		assert_null(r->leaf->subject_cn);
		assert_null(r->leaf->sans);
		assert_string_equal(r->leaf->issuer, "CN=CA c,O=Issuerorg");
		assert_string_equal(r->leaf->issuer_cn, "CA c");
		assert_string_equal(r->leaf->serial, "charlie01");
		assert_int_equal(r->leaf->not_after, T1900);
		assert_int_equal(r->leaf->not_before, T1900 - 86400 * 90);
		assert_string_equal(r->leaf->key_type, "EC");
		assert_int_equal(r->leaf->key_bits, 256);
		assert_int_equal(r->leaf->path_len, -1);
		assert_int_equal(r->leaf->version, 3);
		fp_of("charlie", fp);
		assert_string_equal(r->leaf->sha256, fp);
		assert_string_equal(r->leaf->crl_dp,
		    "http://crl.charlie.test/1.crl\nhttp://crl2");
		assert_int_equal(r->chain_len, 3);
		assert_int_equal(r->eff_not_after, T1900);
		assert_null(r->eff_from);
		assert_string_equal(r->entry->cert_blob, BLOB_F3);
		assert_null(r->entry->owner);
	} else if (strcmp(n, "bravo") == 0 || strcmp(n, "foxtrot") == 0) {
		assert_non_null(r->leaf);
		assert_string_equal(r->leaf->subject_cn, "alpha cn");
		assert_int_equal(r->leaf->not_after, 5000);
		assert_int_equal(r->chain_len, 3);
		assert_int_equal(r->eff_not_after, 1000);
		assert_string_equal(r->eff_from, "CA b2");
	} else if (strcmp(n, "delta") == 0 || strcmp(n, "echo") == 0 ||
	    strcmp(n, "golf") == 0) {
		assert_null(r->leaf);
		assert_int_equal(r->chain_len, 0);
		assert_null(r->eff_from);
		assert_string_equal(r->entry->cert_blob,
		    n[0] == 'e' ? BLOB_UNCACHED : "");
		if (n[0] == 'd') {
			assert_string_equal(r->entry->owner, "carol_100%");
			assert_string_equal(r->entry->tags, "prod");
			assert_string_equal(r->entry->endpoints,
			    "127.0.0.1:443");
			assert_string_equal(r->entry->profile, "default");
			assert_string_equal(r->entry->meta,
			    "owner = carol_100%\n");
			assert_int_equal(strlen(r->entry->entry_blob), 40);
		}
	} else if (strcmp(n, "alpha") == 0) {
		assert_non_null(r->leaf);
		assert_int_equal(r->eff_not_after, T9999);
		assert_string_equal(r->leaf->sans, "DNS:alpha.test");
	} else
		fail_msg("unexpected row %s", n);
	if (rc->stop_after != 0 && rc->seen == rc->stop_after)
		return 7;
	return 0;
}

static void
test_list_rows(void **state)
{
	struct fx *f = *state;
	struct rowcheck rc;
	struct idx_query q;
	char *cause = NULL;

	load_dataset(f->idx);
	memset(&q, 0, sizeof q);
	memset(&rc, 0, sizeof rc);
	assert_int_equal(idx_list(f->idx, &q, rowcheck_cb, &rc, &cause), 0);
	assert_int_equal(rc.seen, 7);

	/* A callback stops the listing; its value comes back. */
	memset(&rc, 0, sizeof rc);
	rc.stop_after = 2;
	assert_int_equal(idx_list(f->idx, &q, rowcheck_cb, &rc, &cause), 7);
	assert_int_equal(rc.seen, 2);
	/* ... and the statement was reset: the next listing is whole. */
	ASSERT_LIST(f->idx, &q,
	    "charlie,bravo,foxtrot,alpha,delta,echo,golf");

	/* An empty index lists nothing. */
	assert_int_equal(idx_entry_clear(f->idx, &cause), 0);
	ASSERT_LIST(f->idx, &q, "");
}

/* A callback that lists again with the same query (same cached statement). */
static int
nested_cb(void *arg, const struct idx_row *r)
{
	struct idx *idx = arg;
	struct strv names;
	char *cause = NULL;
	struct idx_query q;
	struct certfile cf;

	memset(&q, 0, sizeof q);
	strv_init(&names);
	assert_int_equal(idx_list(idx, &q, collect_cb, &names, &cause), 0);
	assert_int_equal(names.n, 7);
	strv_free(&names);
	/* Reads of other kinds in between do not disturb the outer row. */
	if (r->entry->cert_blob[0] != '\0' &&
	    idx_file_get(idx, r->entry->cert_blob, &cf, &cause) == 1) {
		assert_non_null(r->leaf);
		assert_string_equal(cf.certs[0].subject, r->leaf->subject);
		certfile_free(&cf);
	}
	return 0;
}

static void
test_list_nested(void **state)
{
	struct fx *f = *state;
	struct idx_query q;
	char *cause = NULL;

	load_dataset(f->idx);
	memset(&q, 0, sizeof q);
	assert_int_equal(idx_list(f->idx, &q, nested_cb, f->idx, &cause), 0);
	ASSERT_LIST(f->idx, &q,
	    "charlie,bravo,foxtrot,alpha,delta,echo,golf");
}

/* A file with no certificates, as an entry's file: no leaf, sorted last. */
static void
test_list_empty_file(void **state)
{
	struct fx *f = *state;
	struct idx_query q;
	struct certfile cf;

	load_dataset(f->idx);
	mkfile(&cf, 0);
	put_file(f->idx, "e000000000000000000000000000000000000000", &cf);
	certfile_free(&cf);
	put_entry(f->idx, "aaa-empty",
	    "e000000000000000000000000000000000000000", NULL, NULL);
	memset(&q, 0, sizeof q);
	ASSERT_LIST(f->idx, &q,
	    "charlie,bravo,foxtrot,alpha,aaa-empty,delta,echo,golf");
	q.not_after_max = T9999;
	ASSERT_LIST(f->idx, &q, "charlie,bravo,foxtrot,alpha");
}

/* The subject of each row's leaf, for checking which file a row joined. */
static int
subject_cb(void *arg, const struct idx_row *r)
{
	strv_add(arg, r->leaf != NULL ? r->leaf->subject : "-");
	return 0;
}

/* `list --at`: another commit's entries, joined with the same cache. */
/* Job runs and the probe look-up renewal's "not live" uses. */
static void
test_jobs(void **state)
{
	struct fx *f = *state;
	struct idx_job j, got[4];
	struct idx_probe p;
	struct strv names;
	char *cause = NULL;
	size_t n, i;

	memset(&j, 0, sizeof j);
	j.entry = (char *)"api";
	j.kind = (char *)"renew";
	for (i = 0; i < 3; i++) {
		j.started = j.ended = 100 + (int64_t)i;
		j.ok = i == 0;
		j.output = i == 0 ? (char *)"not-live abc" : (char *)"failed";
		assert_int_equal(idx_job_put(f->idx, &j, &cause), 0);
	}
	j.entry = (char *)"web";
	j.kind = (char *)"audit";
	assert_int_equal(idx_job_put(f->idx, &j, &cause), 0);
	assert_int_equal(idx_job_recent(f->idx, "api", "renew", got, 4, &n,
	    &cause), 0);
	assert_int_equal(n, 3);
	assert_int_equal(got[0].started, 102);		/* newest first */
	assert_false(got[0].ok);
	assert_true(got[2].ok);
	assert_string_equal(got[2].output, "not-live abc");
	for (i = 0; i < n; i++)
		idx_job_free(&got[i]);
	assert_int_equal(idx_job_recent(f->idx, "api", "renew", got, 1, &n,
	    &cause), 0);
	assert_int_equal(n, 1);
	idx_job_free(&got[0]);
	strv_init(&names);
	assert_int_equal(idx_job_entries(f->idx, "renew", &names, &cause), 0);
	assert_int_equal(names.n, 1);
	assert_string_equal(names.v[0], "api");
	strv_free(&names);

	memset(&p, 0, sizeof p);
	p.endpoint = (char *)"api:443";
	p.entry = (char *)"api";
	p.time = 150;
	p.ok = 1;
	p.kind = (char *)"ok";
	p.leaf_sha256 = (char *)"abc";
	assert_int_equal(idx_probe_put(f->idx, &p, &cause), 0);
	assert_int_equal(idx_probe_seen(f->idx, "api", "abc", 100, &cause), 1);
	assert_int_equal(idx_probe_seen(f->idx, "api", "abc", 151, &cause), 0);
	assert_int_equal(idx_probe_seen(f->idx, "api", "def", 100, &cause), 0);
	assert_int_equal(idx_probe_seen(f->idx, "web", "abc", 100, &cause), 0);
}

static void
test_list_at(void **state)
{
	struct fx *f = *state;
	struct idx_query q;
	struct idx_entry e;
	struct strv sv;
	char *cause = NULL;

	load_dataset(f->idx);
	memset(&q, 0, sizeof q);
	q.at = 1;
	assert_int_equal(idx_list(f->idx, &q, collect_cb, NULL, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	memset(&e, 0, sizeof e);
	e.name = (char *)"x";
	assert_int_equal(idx_at_put(f->idx, &e, &cause), -1);
	free(cause);
	cause = NULL;

	assert_int_equal(idx_begin(f->idx, &cause), 0);
	assert_int_equal(idx_at_begin(f->idx, &cause), 0);
	e.name = (char *)"old-alpha";
	memcpy(e.cert_blob, BLOB_F1, 41);
	e.owner = (char *)"old owner";
	assert_int_equal(idx_at_put(f->idx, &e, &cause), 0);
	e.name = (char *)"bravo";		/* then it had charlie's file */
	memcpy(e.cert_blob, BLOB_F3, 41);
	e.owner = NULL;
	assert_int_equal(idx_at_put(f->idx, &e, &cause), 0);
	e.name = (char *)"old-x";
	memcpy(e.cert_blob, BLOB_UNCACHED, 41);
	assert_int_equal(idx_at_put(f->idx, &e, &cause), 0);
	assert_int_equal(idx_commit(f->idx, &cause), 0);

	ASSERT_LIST(f->idx, &q, "bravo,old-alpha,old-x");
	q.reverse = 1;
	ASSERT_LIST(f->idx, &q, "old-alpha,bravo,old-x");
	q.reverse = 0;
	q.filter = "OLD OWN";
	ASSERT_LIST(f->idx, &q, "old-alpha");
	q.filter = "issuerorg";			/* charlie's issuer */
	ASSERT_LIST(f->idx, &q, "bravo");
	q.filter = NULL;
	q.not_after_max = 1000;
	ASSERT_LIST(f->idx, &q, "bravo");
	q.not_after_max = 0;
	q.name = "bravo";
	strv_init(&sv);
	assert_int_equal(idx_list(f->idx, &q, subject_cb, &sv, &cause), 0);
	assert_names(&sv, "O=Subj charlie");
	strv_free(&sv);

	/* The indexed commit is untouched, and the snapshot never reaches
	   the file. */
	q.at = 0;
	assert_int_equal(idx_list(f->idx, &q, subject_cb, &sv, &cause), 0);
	assert_names(&sv, "CN=alpha cn,O=Subj bravo");
	strv_free(&sv);
	q.name = NULL;
	ASSERT_LIST(f->idx, &q,
	    "charlie,bravo,foxtrot,alpha,delta,echo,golf");
	ASSERT_CLI(f->path, "SELECT count(*) FROM sqlite_schema WHERE name"
	    " LIKE '%at_entries%'; SELECT count(*) FROM entries", "0\n7\n");

	/* Begin again: empty. */
	assert_int_equal(idx_at_begin(f->idx, &cause), 0);
	q.at = 1;
	ASSERT_LIST(f->idx, &q, "");
	assert_int_equal(idx_at_put(f->idx, &e, &cause), 0);
	ASSERT_LIST(f->idx, &q, "old-x");

	/* Per connection: gone after reopening. */
	reopen(f);
	assert_int_equal(idx_list(f->idx, &q, collect_cb, NULL, &cause), -1);
	free(cause);
}

/* Many rows with random expiries come back in order, none lost. */
struct order {
	int64_t	last;
	char	last_name[64];
	size_t	n, nocert;
	int	reverse;
};

static int
order_cb(void *arg, const struct idx_row *r)
{
	struct order *o = arg;

	if (r->leaf == NULL) {
		o->nocert++;
		return 0;
	}
	assert_int_equal(o->nocert, 0);		/* no-cert rows are last */
	if (o->n != 0) {
		if (!o->reverse)
			assert_true(r->eff_not_after > o->last ||
			    (r->eff_not_after == o->last &&
			    strcmp(r->entry->name, o->last_name) > 0));
		else
			assert_true(r->eff_not_after < o->last ||
			    (r->eff_not_after == o->last &&
			    strcmp(r->entry->name, o->last_name) < 0));
	}
	o->last = r->eff_not_after;
	snprintf(o->last_name, sizeof o->last_name, "%s", r->entry->name);
	o->n++;
	return 0;
}

static void
test_list_many(void **state)
{
	struct fx *f = *state;
	struct idx_query q;
	struct order o;
	struct certfile cf;
	char *cause = NULL, blob[41], name[32];
	uint32_t x = 12345;
	int i;

	assert_int_equal(idx_begin(f->idx, &cause), 0);
	for (i = 0; i < 3000; i++) {
		x = x * 1103515245u + 12345u;
		snprintf(blob, sizeof blob, "%040x", (unsigned)i);
		snprintf(name, sizeof name, "n%05u", (x >> 8) % 100000);
		if (i % 10 == 0) {
			put_entry(f->idx, name, i % 20 ? blob : "", NULL,
			    NULL);
			continue;
		}
		mkfile(&cf, 1);
		mkcert(&cf.certs[0], name, name, "CA", NULL,
		    (int64_t)(x % 500) - 250);
		cf.eff_not_after = cf.certs[0].not_after;
		put_file(f->idx, blob, &cf);
		certfile_free(&cf);
		put_entry(f->idx, name, blob, NULL, NULL);
	}
	assert_int_equal(idx_commit(f->idx, &cause), 0);

	memset(&q, 0, sizeof q);
	memset(&o, 0, sizeof o);
	assert_int_equal(idx_list(f->idx, &q, order_cb, &o, &cause), 0);
	assert_int_equal(o.n + o.nocert,
	    scalar(f->idx, "SELECT count(*) FROM entries"));
	assert_int_equal(o.nocert, scalar(f->idx, "SELECT count(*) FROM"
	    " entries WHERE cert_blob NOT IN (SELECT blob FROM files)"));
	assert_true(o.nocert > 0);

	q.reverse = 1;
	memset(&o, 0, sizeof o);
	o.reverse = 1;
	assert_int_equal(idx_list(f->idx, &q, order_cb, &o, &cause), 0);
	assert_int_equal(o.n + o.nocert,
	    scalar(f->idx, "SELECT count(*) FROM entries"));
}

static void
test_find(void **state)
{
	struct fx *f = *state;
	struct certfile cf;
	struct strv names;
	char *cause = NULL, fp[65], colons[200];
	size_t i, j;

	load_dataset(f->idx);
	/* A cached file no entry uses is not found, by either look-up. */
	mkfile(&cf, 2);
	mkcert(&cf.certs[0], "orphan", "alpha cn", "ca A",
	    "DNS:bravo-san.example\nDNS:www.bravo-san.example", 1);
	free(cf.certs[0].subject);
	cf.certs[0].subject = xstrdup("CN=alpha cn,O=Subj bravo");
	mkcert(&cf.certs[1], "interx", "CA b", "Root", NULL, T9999 + 5);
	put_file(f->idx, "aaaa000000000000000000000000000000000000", &cf);
	certfile_free(&cf);

	/* The intermediate "interx" is in F1 (alpha) and F2 (bravo, foxtrot). */
	fp_of("interx", fp);

	assert_int_equal(idx_find_fingerprint(f->idx, fp, 0, &names, &cause),
	    0);
	assert_names(&names, "alpha,bravo,foxtrot");
	strv_free(&names);
	assert_int_equal(idx_find_fingerprint(f->idx, fp, 1, &names, &cause),
	    0);
	assert_names(&names, "");
	strv_free(&names);

	/* As pasted from openssl x509 -fingerprint: upper case, colons. */
	for (i = j = 0; fp[i] != '\0'; i++) {
		if (i != 0 && i % 2 == 0)
			colons[j++] = ':';
		colons[j++] = (char)(fp[i] >= 'a' && fp[i] <= 'f' ?
		    fp[i] - 32 : fp[i]);
	}
	colons[j] = '\0';
	assert_int_equal(idx_find_fingerprint(f->idx, colons, 0, &names,
	    &cause), 0);
	assert_names(&names, "alpha,bravo,foxtrot");
	strv_free(&names);
	/* A longer string that starts with it is not it. */
	strcat(colons, ":00");
	assert_int_equal(idx_find_fingerprint(f->idx, colons, 0, &names,
	    &cause), 0);
	assert_int_equal(names.n, 0);
	strv_free(&names);

	/* bravo's leaf, as a leaf. */
	fp_of("bravo", fp);
	assert_int_equal(idx_find_fingerprint(f->idx, fp, 1, &names, &cause),
	    0);
	assert_names(&names, "bravo,foxtrot");
	strv_free(&names);
	assert_int_equal(idx_find_fingerprint(f->idx, "00", 0, &names,
	    &cause), 0);
	assert_int_equal(names.n, 0);
	strv_free(&names);

	assert_int_equal(idx_find_subject(f->idx, "CN=alpha cn,O=Subj bravo",
	    "DNS:bravo-san.example\nDNS:www.bravo-san.example", &names,
	    &cause), 0);
	assert_names(&names, "bravo,foxtrot");
	strv_free(&names);
	/* Same subject, other SANs: no. */
	assert_int_equal(idx_find_subject(f->idx, "CN=alpha cn,O=Subj bravo",
	    "DNS:bravo-san.example", &names, &cause), 0);
	assert_names(&names, "");
	strv_free(&names);
	/* No SANs matches NULL SANs, not "". */
	assert_int_equal(idx_find_subject(f->idx, "O=Subj charlie", NULL,
	    &names, &cause), 0);
	assert_names(&names, "charlie");
	strv_free(&names);
	assert_int_equal(idx_find_subject(f->idx, "O=Subj charlie", "",
	    &names, &cause), 0);
	assert_names(&names, "");
	strv_free(&names);
	/* A chain certificate's subject is not a leaf's. */
	assert_int_equal(idx_find_subject(f->idx, "CN=CA b,O=Subj interx",
	    NULL, &names, &cause), 0);
	assert_names(&names, "");
	strv_free(&names);

	/*
	 * Sorted and each name once, whatever order the rows went in: two
	 * entries added in reverse order, one of whose chains holds the
	 * same certificate twice.
	 */
	mkfile(&cf, 3);
	mkcert(&cf.certs[0], "twicelf", "twice cn", "CA t", NULL, T9999);
	mkcert(&cf.certs[1], "twiceca", "CA t", "Root", NULL, T9999);
	mkcert(&cf.certs[2], "twiceca", "CA t", "Root", NULL, T9999);
	put_file(f->idx, "bbbb000000000000000000000000000000000000", &cf);
	certfile_free(&cf);
	put_entry(f->idx, "zz-twice", "bbbb000000000000000000000000000000000000",
	    NULL, NULL);
	put_entry(f->idx, "aa-twice", "bbbb000000000000000000000000000000000000",
	    NULL, NULL);
	fp_of("twiceca", fp);
	assert_int_equal(idx_find_fingerprint(f->idx, fp, 0, &names, &cause),
	    0);
	assert_names(&names, "aa-twice,zz-twice");
	strv_free(&names);
	fp_of("twicelf", fp);
	assert_int_equal(idx_find_fingerprint(f->idx, fp, 1, &names, &cause),
	    0);
	assert_names(&names, "aa-twice,zz-twice");
	strv_free(&names);
	assert_int_equal(idx_find_subject(f->idx, "CN=twice cn,O=Subj twicelf",
	    NULL, &names, &cause), 0);
	assert_names(&names, "aa-twice,zz-twice");
	strv_free(&names);

	/* The look-ups use the indexes, not a scan of 100,000 rows. */
	{
		/* The statements of index.c, as they are there. */
		char *out = cli(f->path, "EXPLAIN QUERY PLAN SELECT e.name"
		    " FROM certs c JOIN chain h ON h.cert = c.id AND h.pos = 0"
		    " JOIN files f ON f.blob = h.blob"
		    " JOIN entries e ON e.cert_blob = h.blob"
		    " WHERE c.subject IS 'x' AND c.sans IS 'y'");

		assert_non_null(strstr(out, "certs_subject"));
		assert_non_null(strstr(out, "chain_cert"));
		assert_non_null(strstr(out, "entries_cert"));
		assert_null(strstr(out, "SCAN"));
		free(out);
		out = cli(f->path, "EXPLAIN QUERY PLAN SELECT e.name"
		    " FROM certs c JOIN chain h ON h.cert = c.id"
		    " JOIN files f ON f.blob = h.blob"
		    " JOIN entries e ON e.cert_blob = h.blob"
		    " WHERE c.sha256 = 'x'");
		assert_non_null(strstr(out, "certs_sha256"));
		assert_non_null(strstr(out, "chain_cert"));
		assert_null(strstr(out, "SCAN"));
		free(out);
	}
}

/* Whether the statement idx_list runs for q walks entries_expiry without
   sorting (a caller that stops early reads no more than it took). */
static void
assert_walks_expiry(struct idx *idx, const struct idx_query *q)
{
	char *plan = NULL, *cause = NULL;

	if (idx_list_plan(idx, q, &plan, &cause) != 0)
		fail_msg("idx_list_plan: %s", cause);
	if (strstr(plan, "entries_expiry") == NULL ||
	    strstr(plan, "TEMP B-TREE") != NULL)
		fail_msg("listing by expiry does not walk the index:\n%s",
		    plan);
	free(plan);
}

static size_t
stale(struct idx *idx)
{
	char *cause = NULL;
	size_t n = 12345;

	if (idx_entry_stale(idx, &n, &cause) != 0)
		fail_msg("idx_entry_stale: %s", cause);
	return n;
}

static void
test_expiry_copy(void **state)
{
	struct fx *f = *state;
	struct certfile cf;
	struct idx_query q;
	char *cause = NULL;

	load_dataset(f->idx);
	memset(&q, 0, sizeof q);
	assert_walks_expiry(f->idx, &q);
	q.reverse = 1;
	assert_walks_expiry(f->idx, &q);
	q.reverse = 0;
	q.not_after_max = 2000;
	assert_walks_expiry(f->idx, &q);
	ASSERT_LIST(f->idx, &q, "charlie,bravo,foxtrot");
	q.not_after_max = 0;
	assert_int_equal(stale(f->idx), 0);
	ASSERT_CLI(f->path, "SELECT name, eff_not_after, leaf_not_before"
	    " FROM entries WHERE name IN ('bravo', 'delta', 'echo')"
	    " ORDER BY name", "bravo|1000|-7771000\ndelta||\necho||\n");

	/* echo's file is cached after echo was put: it takes its place. */
	mkfile(&cf, 1);
	mkcert(&cf.certs[0], "echo", "echo cn", "CA e", NULL, 3000);
	cf.eff_not_after = 3000;
	put_file(f->idx, BLOB_UNCACHED, &cf);
	certfile_free(&cf);
	ASSERT_LIST(f->idx, &q,
	    "charlie,bravo,foxtrot,echo,alpha,delta,golf");
	assert_int_equal(stale(f->idx), 0);
	/* An entry that moves to another file, and back to none. */
	put_entry(f->idx, "delta", BLOB_F3, NULL, NULL);
	ASSERT_LIST(f->idx, &q,
	    "charlie,delta,bravo,foxtrot,echo,alpha,golf");
	put_entry(f->idx, "delta", "", NULL, NULL);
	ASSERT_LIST(f->idx, &q,
	    "charlie,bravo,foxtrot,echo,alpha,delta,golf");
	assert_int_equal(stale(f->idx), 0);

	/* The snapshot of another commit carries the copies too. */
	assert_int_equal(idx_at_begin(f->idx, &cause), 0);
	assert_int_equal(idx_at_copy(f->idx, &cause), 0);
	q.at = 1;
	ASSERT_LIST(f->idx, &q,
	    "charlie,bravo,foxtrot,echo,alpha,delta,golf");
	q.at = 0;

	/* A damaged copy is found (fsck). */
	ASSERT_CLI(f->path, "UPDATE entries SET eff_not_after = 1"
	    " WHERE name = 'alpha'", "");
	assert_int_equal(stale(f->idx), 1);
}

/* An entry with one certificate from not_before to not_after. */
static void
put_life(struct idx *idx, const char *name, int64_t not_before,
    int64_t not_after)
{
	struct certfile cf;
	char blob[41];

	snprintf(blob, sizeof blob, "%040zx", strlen(name) * 7919 +
	    (size_t)name[0] * 31 + (size_t)name[strlen(name) - 1]);
	mkfile(&cf, 1);
	mkcert(&cf.certs[0], name, name, "CA", NULL, not_after);
	cf.certs[0].not_before = not_before;
	cf.eff_not_after = not_after;
	put_file(idx, blob, &cf);
	certfile_free(&cf);
	put_entry(idx, name, blob, NULL, NULL);
}

struct by_row {
	const struct config	*cfg;
	int64_t			 now;
	size_t			 counts[ST_COUNT];
	size_t			 total;
};

static int
by_row_cb(void *arg, const struct idx_row *r)
{
	struct by_row *b = arg;

	b->total++;
	if (r->leaf == NULL)
		b->counts[ST_NONE]++;
	else
		b->counts[status_of(b->cfg, b->now, r->leaf->not_before,
		    r->eff_not_after)]++;
	return 0;
}

/* status_count, from ranges of the index, says what status_of of every
   row says, at every boundary of every entry and either side of it. */
static void
test_status_count(void **state)
{
	struct fx *f = *state;
	const int64_t D = 86400, N = INT64_C(1780315200);
	struct config cfg;
	struct by_row b;
	size_t counts[ST_COUNT], total, nnow = 0, i, k;
	int64_t nows[256], base;
	char *cause = NULL;
	int s;

	config_defaults(&cfg);
	/* Ordinary, short-lived (the tenth and third of their lifetime
	   decide), none (notBefore after notAfter), one without a
	   certificate, and ties. */
	put_life(f->idx, "gone", N - 90 * D, N - 10);
	put_life(f->idx, "soon", N - 85 * D, N + 5 * D);
	put_life(f->idx, "short", N - 5 * D, N + 5 * D);
	put_life(f->idx, "shortest", N - 9 * D, N + D / 2);
	put_life(f->idx, "month", N - 70 * D, N + 20 * D);
	put_life(f->idx, "upside", N + 9 * D, N + 3 * D);
	put_life(f->idx, "zero", N + 3 * D, N + 3 * D);
	put_life(f->idx, "far", N - 10 * D, N + 400 * D);
	put_life(f->idx, "twin", N - 10 * D, N + 400 * D);
	put_entry(f->idx, "bare", "", NULL, NULL);

	/* Every boundary: notAfter, notAfter - 7 and 30 days, notAfter
	   minus a tenth and a third of the lifetime, each +-1 s. */
	{
		static const char *names[] = { "gone", "soon", "short",
		    "shortest", "month", "upside", "zero", "far" };
		int64_t na[] = { N - 10, N + 5 * D, N + 5 * D, N + D / 2,
		    N + 20 * D, N + 3 * D, N + 3 * D, N + 400 * D };
		int64_t nb[] = { N - 90 * D, N - 85 * D, N - 5 * D, N - 9 * D,
		    N - 70 * D, N + 9 * D, N + 3 * D, N - 10 * D };

		assert_int_equal(nitems(names), nitems(na));
		for (i = 0; i < nitems(na); i++) {
			int64_t life = na[i] - nb[i], edge[5];

			edge[0] = na[i];
			edge[1] = na[i] - 7 * D;
			edge[2] = na[i] - 30 * D;
			edge[3] = na[i] - (life > 0 ? life / 10 : 0);
			edge[4] = na[i] - (life > 0 ? life / 3 : 0);
			for (k = 0; k < 5; k++)
				for (base = -1; base <= 1; base++)
					nows[nnow++] = edge[k] + base;
		}
	}
	nows[nnow++] = N;
	for (i = 0; i < nnow; i++) {
		memset(&b, 0, sizeof b);
		b.cfg = &cfg;
		b.now = nows[i];
		if (idx_list(f->idx, NULL, by_row_cb, &b, &cause) != 0)
			fail_msg("idx_list: %s", cause);
		if (status_count(&cfg, f->idx, nows[i], counts, &total,
		    &cause) != 0)
			fail_msg("status_count: %s", cause);
		assert_int_equal(total, b.total);
		for (s = 0; s < ST_COUNT; s++)
			if (counts[s] != b.counts[s])
				fail_msg("at %lld, %s: %zu by ranges, %zu by rows",
				    (long long)nows[i], status_name(s),
				    counts[s], b.counts[s]);
	}
	/* Some of each were seen. */
	memset(&b, 0, sizeof b);
	b.cfg = &cfg;
	b.now = N;
	assert_int_equal(idx_list(f->idx, NULL, by_row_cb, &b, &cause), 0);
	for (s = 0; s < ST_COUNT; s++)
		assert_true(b.counts[s] > 0);

	/* With other thresholds too. */
	cfg.critical_days = 0;
	cfg.warning_days = 0;
	memset(&b, 0, sizeof b);
	b.cfg = &cfg;
	b.now = N;
	assert_int_equal(idx_list(f->idx, NULL, by_row_cb, &b, &cause), 0);
	assert_int_equal(status_count(&cfg, f->idx, N, counts, &total,
	    &cause), 0);
	for (s = 0; s < ST_COUNT; s++)
		assert_int_equal(counts[s], b.counts[s]);
	config_free(&cfg);
}

/* Each column of a table and of an index, as sqlite3 describes them. */
static char *
shape(const char *path)
{
	return cli(path, "SELECT name, type, \"notnull\", dflt_value, pk"
	    " FROM pragma_table_info('entries');"
	    " SELECT name FROM pragma_index_info('entries_expiry');"
	    " SELECT name FROM sqlite_schema WHERE type = 'index'"
	    " ORDER BY name");
}

/* A version 2 index (before the expiry copies) is migrated in place:
   nothing cached or observed is lost, and it is what a new one is. */
static void
test_schema_migrate(void **state)
{
	struct fx *f = *state;
	struct idx_probe p;
	char head[41], *cause = NULL, *fresh, *migrated, *before, *after;
	size_t n;

	load_dataset(f->idx);
	assert_int_equal(idx_set_head(f->idx, BLOB_F1, &cause), 0);
	memset(&p, 0, sizeof p);
	p.endpoint = (char *)"a.test:443";
	p.kind = (char *)"ok";
	p.time = 5;
	assert_int_equal(idx_probe_put(f->idx, &p, &cause), 0);
	before = list_names(f->idx, NULL);
	fresh = shape(f->path);
	idx_close(f->idx);
	f->idx = NULL;

	ASSERT_CLI(f->path, "DROP INDEX entries_expiry;"
	    " ALTER TABLE entries DROP COLUMN leaf_not_before;"
	    " ALTER TABLE entries DROP COLUMN eff_not_after;"
	    " PRAGMA user_version = 2", "");
	reopen(f);
	assert_int_equal(scalar(f->idx, "PRAGMA user_version"), 3);
	assert_int_equal(idx_get_head(f->idx, head, &cause), 0);
	assert_string_equal(head, BLOB_F1);
	assert_int_equal(idx_entry_count(f->idx, &n, &cause), 0);
	assert_int_equal(n, 7);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM probes"), 1);
	assert_int_equal(idx_file_has(f->idx, BLOB_F2), 1);
	assert_int_equal(stale(f->idx), 0);
	after = list_names(f->idx, NULL);
	assert_string_equal(after, before);
	migrated = shape(f->path);
	assert_string_equal(migrated, fresh);
	free(after);
	free(migrated);
	free(fresh);
	free(before);

	/* A version 2 index the migration does not fit (here: the columns
	   are there already) is rebuilt, as any other. */
	idx_close(f->idx);
	f->idx = NULL;
	ASSERT_CLI(f->path, "PRAGMA user_version = 2", "");
	reopen(f);
	assert_int_equal(scalar(f->idx, "PRAGMA user_version"), 3);
	assert_int_equal(idx_get_head(f->idx, head, &cause), 0);
	assert_string_equal(head, "");
	assert_int_equal(idx_entry_count(f->idx, &n, &cause), 0);
	assert_int_equal(n, 0);
}

static void
test_schema_mismatch(void **state)
{
	struct fx *f = *state;
	char head[41], *cause = NULL;
	size_t n;

	load_dataset(f->idx);
	assert_int_equal(idx_set_head(f->idx, BLOB_F1, &cause), 0);
	idx_close(f->idx);
	f->idx = NULL;

	/* Same version: kept. */
	reopen(f);
	assert_int_equal(idx_entry_count(f->idx, &n, &cause), 0);
	assert_int_equal(n, 7);
	idx_close(f->idx);
	f->idx = NULL;

	/* Another version (older or newer): dropped, recreated empty. */
	ASSERT_CLI(f->path, "PRAGMA user_version = 99;"
	    " CREATE TABLE junk(x); CREATE VIEW junkv AS SELECT * FROM junk",
	    "");
	reopen(f);
	assert_int_equal(idx_get_head(f->idx, head, &cause), 0);
	assert_string_equal(head, "");
	assert_int_equal(idx_entry_count(f->idx, &n, &cause), 0);
	assert_int_equal(n, 0);
	assert_int_equal(idx_file_has(f->idx, BLOB_F1), 0);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM certs"), 0);
	assert_int_equal(scalar(f->idx, "PRAGMA user_version"), 3);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM sqlite_schema"
	    " WHERE name LIKE 'junk%'"), 0);
	ASSERT_CLI(f->path, "PRAGMA user_version", "3\n");
	ASSERT_CLI(f->path, "SELECT count(*) FROM entries", "0\n");

	/* And it works as new. */
	load_dataset(f->idx);
	ASSERT_LIST(f->idx, NULL,
	    "charlie,bravo,foxtrot,alpha,delta,echo,golf");
}

static void
test_transactions(void **state)
{
	struct fx *f = *state;
	char head[41], *cause = NULL;
	size_t n;

	assert_int_equal(idx_commit(f->idx, &cause), -1);
	free(cause);
	cause = NULL;

	assert_int_equal(idx_begin(f->idx, &cause), 0);
	assert_int_equal(idx_begin(f->idx, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	load_dataset(f->idx);
	assert_int_equal(idx_set_head(f->idx, BLOB_F2, &cause), 0);
	assert_int_equal(idx_file_has(f->idx, BLOB_F1), 1);
	/* Another process sees nothing of it yet. */
	ASSERT_CLI(f->path, "SELECT count(*) FROM entries; SELECT count(*)"
	    " FROM meta", "0\n0\n");
	idx_rollback(f->idx);

	assert_int_equal(idx_file_has(f->idx, BLOB_F1), 0);
	assert_int_equal(idx_entry_count(f->idx, &n, &cause), 0);
	assert_int_equal(n, 0);
	assert_int_equal(idx_get_head(f->idx, head, &cause), 0);
	assert_string_equal(head, "");
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM certs"), 0);
	idx_rollback(f->idx);			/* harmless without one */

	assert_int_equal(idx_begin(f->idx, &cause), 0);
	load_dataset(f->idx);
	assert_int_equal(idx_set_head(f->idx, BLOB_F2, &cause), 0);
	assert_int_equal(idx_commit(f->idx, &cause), 0);
	ASSERT_CLI(f->path, "SELECT count(*) FROM entries; SELECT value FROM"
	    " meta", "7\n" BLOB_F2 "\n");
	reopen(f);
	assert_int_equal(idx_entry_count(f->idx, &n, &cause), 0);
	assert_int_equal(n, 7);
}

/*
 * A file put that fails half-way: outside a transaction nothing changes;
 * inside one the blob is left not cached, never half there, and the rest
 * of the transaction goes on.
 */
static void
test_file_put_atomic(void **state)
{
	static const char *gtag[] = { "g0", "g1" }, *btag[] = { "b0", "b1", "b2" };
	struct fx *f = *state;
	struct certfile good, bad, got;
	struct idx_query q;
	struct strv names;
	char *cause = NULL, fp[65];
	size_t i;

	/* Make the third certificate of any file fail to go in. */
	ASSERT_CLI(f->path, "CREATE TRIGGER boom BEFORE INSERT ON chain"
	    " WHEN NEW.pos = 2 BEGIN SELECT RAISE(ABORT, 'boom'); END", "");
	mkfile(&good, 2);
	mkfile(&bad, 3);
	for (i = 0; i < 3; i++) {
		if (i < 2)
			mkcert(&good.certs[i], gtag[i], "g", "i", NULL, 10);
		mkcert(&bad.certs[i], btag[i], "b", "i", NULL, 20);
	}

	/* Outside a transaction: nothing at all. */
	assert_int_equal(idx_file_put(f->idx, BLOB_F1, &bad, &cause), -1);
	assert_non_null(strstr(cause, "boom"));
	assert_null(strchr(cause, '\n'));
	free(cause);
	cause = NULL;
	assert_int_equal(idx_file_has(f->idx, BLOB_F1), 0);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM certs"), 0);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM chain"), 0);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM files"), 0);

	/* ... and a failed replacement keeps the old version. */
	put_file(f->idx, BLOB_F1, &good);
	assert_int_equal(idx_file_put(f->idx, BLOB_F1, &bad, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(idx_file_get(f->idx, BLOB_F1, &got, &cause), 1);
	assert_int_equal(got.n, 2);
	assert_certrec_equal(&got.certs[0], &good.certs[0]);
	assert_certrec_equal(&got.certs[1], &good.certs[1]);
	certfile_free(&got);

	/* Inside one. */
	put_entry(f->idx, "bad", BLOB_F3, NULL, NULL);
	put_entry(f->idx, "replaced", BLOB_F2, NULL, NULL);
	assert_int_equal(idx_begin(f->idx, &cause), 0);
	put_file(f->idx, BLOB_F2, &good);
	assert_int_equal(idx_file_put(f->idx, BLOB_F3, &bad, &cause), -1);
	free(cause);
	cause = NULL;
	put_file(f->idx, BLOB_UNCACHED, &good);
	assert_int_equal(idx_file_put(f->idx, BLOB_F2, &bad, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(idx_commit(f->idx, &cause), 0);

	assert_int_equal(idx_file_has(f->idx, BLOB_F1), 1);
	assert_int_equal(idx_file_has(f->idx, BLOB_UNCACHED), 1);
	assert_int_equal(idx_file_has(f->idx, BLOB_F2), 0);
	assert_int_equal(idx_file_has(f->idx, BLOB_F3), 0);
	memset(&got, 0x55, sizeof got);
	assert_int_equal(idx_file_get(f->idx, BLOB_F3, &got, &cause), 0);
	assert_int_equal(got.n, 0);
	ASSERT_CLI(f->path, "SELECT blob FROM files ORDER BY blob",
	    BLOB_UNCACHED "\n" BLOB_F1 "\n");
	/* The half-written chains are found by nothing. */
	fp_of("b0", fp);
	assert_int_equal(idx_find_fingerprint(f->idx, fp, 0, &names, &cause),
	    0);
	assert_int_equal(names.n, 0);
	strv_free(&names);
	assert_int_equal(idx_find_subject(f->idx, bad.certs[0].subject, NULL,
	    &names, &cause), 0);
	assert_int_equal(names.n, 0);
	strv_free(&names);
	/* Listed as entries without a certificate. */
	memset(&q, 0, sizeof q);
	ASSERT_LIST(f->idx, &q, "bad,replaced");
	q.not_after_max = 100;
	ASSERT_LIST(f->idx, &q, "");

	/* A later put of the same blob starts clean. */
	ASSERT_CLI(f->path, "DROP TRIGGER boom", "");
	put_file(f->idx, BLOB_F3, &bad);
	assert_int_equal(idx_file_get(f->idx, BLOB_F3, &got, &cause), 1);
	assert_int_equal(got.n, 3);
	for (i = 0; i < 3; i++)
		assert_certrec_equal(&got.certs[i], &bad.certs[i]);
	certfile_free(&got);
	assert_int_equal(idx_find_fingerprint(f->idx, fp, 1, &names, &cause),
	    0);
	assert_names(&names, "bad");
	strv_free(&names);

	certfile_free(&good);
	certfile_free(&bad);
}

static void
test_scalar(void **state)
{
	struct fx *f = *state;
	char *cause = NULL;
	int64_t v;

	load_dataset(f->idx);
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM entries"), 7);
	assert_int_equal(scalar(f->idx, "SELECT max(not_after) FROM certs"),
	    T9999 + 5);
	assert_int_equal(scalar(f->idx, "SELECT NULL"), 0);

	assert_int_equal(idx_scalar(f->idx, "DELETE FROM entries", &v,
	    &cause), -1);
	assert_non_null(strstr(cause, "read-only"));
	free(cause);
	cause = NULL;
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM entries"), 7);

	assert_int_equal(idx_scalar(f->idx, "SELECT 1; DELETE FROM entries",
	    &v, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(scalar(f->idx, "SELECT count(*) FROM entries"), 7);

	assert_int_equal(idx_scalar(f->idx, "SELECT\nnope\nFROM nowhere", &v,
	    &cause), -1);
	assert_non_null(cause);
	assert_null(strchr(cause, '\n'));
	free(cause);
	cause = NULL;

	assert_int_equal(idx_scalar(f->idx, "SELECT 1 WHERE 0", &v, &cause),
	    -1);
	assert_non_null(cause);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_open_create_reopen),
		T(test_open_errors),
		T(test_head),
		T(test_file_roundtrip),
		T(test_file_dedup),
		T(test_entry_crud),
		T(test_list_sort),
		T(test_list_filter),
		T(test_list_limits),
		T(test_list_rows),
		T(test_list_nested),
		T(test_list_empty_file),
		T(test_jobs),
		T(test_list_at),
		T(test_list_many),
		T(test_find),
		T(test_schema_mismatch),
		T(test_expiry_copy),
		T(test_status_count),
		T(test_schema_migrate),
		T(test_transactions),
		T(test_file_put_atomic),
		T(test_scalar),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
