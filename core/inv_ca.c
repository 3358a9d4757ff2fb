/*
 * inv_ca.c: local certificate authorities (ca.h): ca init, issue, revoke,
 * ca crl. Each operation is one commit through the inventory transaction.
 * Private keys reach git only as encrypted PKCS#8 (key.h); without a
 * passphrase nothing that needs a key is done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cert.h"
#include "clock.h"
#include "entry.h"
#include "hsm.h"
#include "inventory.h"
#include "invpriv.h"
#include "key.h"

/* Revocation reasons: the record's and the CLI's names, RFC 5280 codes. */
static const struct {
	const char	*name;
	int		 code;
} ca_reasons[] = {
	{ "unspecified", CRL_REASON_UNSPECIFIED },
	{ "key-compromise", CRL_REASON_KEY_COMPROMISE },
	{ "ca-compromise", CRL_REASON_CA_COMPROMISE },
	{ "affiliation-changed", CRL_REASON_AFFILIATION_CHANGED },
	{ "superseded", CRL_REASON_SUPERSEDED },
	{ "cessation-of-operation", CRL_REASON_CESSATION_OF_OPERATION },
	{ "privilege-withdrawn", CRL_REASON_PRIVILEGE_WITHDRAWN },
};

/* repo_list_dir callback: collect the names (the CAs under cas/). */
static int
name_add(void *arg, const char *name, const char blob_id[REPO_OID_HEX])
{
	(void)blob_id;
	strv_add(arg, name);
	return 0;
}

int
ca_names(struct inv *inv, struct strv *out, char **cause)
{
	strv_init(out);
	if (repo_list_dir(inv->repo, NULL, "cas", name_add, out, cause) != 0) {
		strv_free(out);
		strv_init(out);
		return -1;
	}
	return 0;
}

static int
reason_code(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(ca_reasons); i++)
		if (strcmp(ca_reasons[i].name, name) == 0)
			return ca_reasons[i].code;
	return -1;
}

char *
ca_path(const char *name, const char *file)
{
	return xasprintf("cas/%s/%s", name, file);
}

char *
ca_x509_pem(X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *mem, *out = NULL;
	long n;

	if (bio != NULL && PEM_write_bio_X509(bio, x) &&
	    (n = BIO_get_mem_data(bio, &mem)) > 0)
		out = xstrndup(mem, (size_t)n);
	BIO_free(bio);
	ERR_clear_error();
	return out != NULL ? out : xstrdup("");
}

char *
ca_x509_serial(X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = bn != NULL ? BN_bn2hex(bn) : NULL, *s;

	BN_free(bn);
	s = xstrdup(h != NULL ? h : "?");
	OPENSSL_free(h);
	str_lower(s);
	ERR_clear_error();
	return s;
}

void
ca_x509_fp(X509 *x, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	out[0] = '\0';
	if (!X509_digest(x, EVP_sha256(), md, &n))
		return;
	for (i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int64_t
ca_asn1_unix(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return clock_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The OpenSSL reason of the last error, for a message. */
static const char *
ossl_why(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* ---------------------------------------------------------------------- */
/* The record. */

static void
rec_free(struct ca_rec *r)
{
	free(r->serial);
	free(r->entry);
	free(r->reason);
}

static int
rec_cmp(const void *a, const void *b)
{
	const struct ca_rec *x = a, *y = b;
	size_t lx = strlen(x->serial), ly = strlen(y->serial);

	/* Numeric order: shorter hex first, then by digits. */
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->serial, y->serial);
}

static int
serials_parse(struct ca *ca, const char *text, char **cause)
{
	struct strv lines, w;
	struct ca_rec r;
	size_t i;
	int rc = 0;

	strv_init(&lines);
	strv_split(&lines, text, '\n');
	for (i = 0; i < lines.n && rc == 0; i++) {
		if (lines.v[i][0] == '#')
			continue;
		strv_init(&w);
		strv_split(&w, lines.v[i], ' ');
		memset(&r, 0, sizeof r);
		if ((w.n != 3 && w.n != 6) ||
		    clock_parse(w.v[1], &r.not_after) != 0 ||
		    (w.n == 6 && (strcmp(w.v[3], "revoked") != 0 ||
		    clock_parse(w.v[4], &r.revoked_at) != 0))) {
			rc = set_cause(cause, "cas/%s/serials: line %zu: "
			    "expected SERIAL NOT-AFTER ENTRY [revoked TIME "
			    "REASON]", ca->name, i + 1);
		} else {
			r.serial = xstrdup(w.v[0]);
			r.entry = xstrdup(w.v[2]);
			if (w.n == 6) {
				r.revoked = 1;
				r.reason = xstrdup(w.v[5]);
			}
			ca->recs = xreallocarray(ca->recs, ca->nrecs + 1,
			    sizeof *ca->recs);
			ca->recs[ca->nrecs++] = r;
		}
		strv_free(&w);
	}
	strv_free(&lines);
	return rc;
}

char *
ca_serials_text(const struct ca *ca)
{
	struct buf b;
	char na[32], ra[32];
	size_t i;

	buf_init(&b);
	buf_adds(&b, "# serial not-after entry [revoked time reason]\n");
	for (i = 0; i < ca->nrecs; i++) {
		const struct ca_rec *r = &ca->recs[i];

		clock_format(r->not_after, na);
		buf_printf(&b, "%s %s %s", r->serial, na, r->entry);
		if (r->revoked) {
			clock_format(r->revoked_at, ra);
			buf_printf(&b, " revoked %s %s", ra, r->reason);
		}
		buf_addc(&b, '\n');
	}
	return buf_steal(&b);
}

static struct ca_rec *
rec_find(struct ca *ca, const char *serial)
{
	size_t i;

	for (i = 0; i < ca->nrecs; i++)
		if (strcmp(ca->recs[i].serial, serial) == 0)
			return &ca->recs[i];
	return NULL;
}

static void
rec_add(struct ca *ca, const char *serial, int64_t not_after,
    const char *entry)
{
	struct ca_rec *r;

	ca->recs = xreallocarray(ca->recs, ca->nrecs + 1, sizeof *ca->recs);
	r = &ca->recs[ca->nrecs++];
	memset(r, 0, sizeof *r);
	r->serial = xstrdup(serial);
	r->not_after = not_after;
	r->entry = xstrdup(entry);
	qsort(ca->recs, ca->nrecs, sizeof *ca->recs, rec_cmp);
}

/* ---------------------------------------------------------------------- */
/* Loading. */

STACK_OF(X509) *
ca_pem_certs(const char *pem, size_t len)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *bio;
	X509 *x;

	if (sk == NULL || len > INT32_MAX ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		sk_X509_free(sk);
		return NULL;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x))
			X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		return NULL;
	}
	return sk;
}

void
ca_free(struct ca *ca)
{
	size_t i;

	if (ca == NULL)
		return;
	X509_free(ca->cert);
	sk_X509_pop_free(ca->chain, X509_free);
	EVP_PKEY_free(ca->key);
	for (i = 0; i < ca->nrecs; i++)
		rec_free(&ca->recs[i]);
	free(ca->recs);
	free(ca->name);
	free(ca);
}

/* Read cas/NAME/<file> at HEAD: 1 found, 0 not, -1 error. */
static int
ca_read(struct inv *inv, const char *name, const char *file, char **data,
    size_t *len, char **cause)
{
	char *path = ca_path(name, file);
	int found = repo_read(inv->repo, NULL, path, data, len, NULL, cause);

	free(path);
	return found;
}

/*
 * The CA's key file at HEAD: key.pem (encrypted), else key-uri (its URI
 * in a PKCS#11 token); *file says which. 1 found, 0 neither, -1 error.
 */
static int
ca_key_read(struct inv *inv, const char *name, const char **file,
    char **data, size_t *len, char **cause)
{
	static const char *const files[] = { "key.pem", "key-uri" };
	char *path;
	size_t i;
	int found = 0;

	for (i = 0; i < nitems(files) && found == 0; i++) {
		*file = files[i];
		path = ca_path(name, files[i]);
		found = repo_read(inv->repo, NULL, path, data, len, NULL,
		    cause);
		free(path);
	}
	return found;
}

int
ca_load(struct inv *inv, const char *name, int with_key, struct ca **out,
    char **cause)
{
	struct ca *ca;
	STACK_OF(X509) *sk;
	const char *file;
	char *data = NULL, *pass = NULL, *err = NULL;
	size_t len = 0;
	int found;

	*out = NULL;
	if (!name_valid(name))
		return set_cause(cause, "CA %s: not a valid name", name);
	found = ca_read(inv, name, "cert.pem", &data, &len, cause);
	if (found <= 0) {
		free(data);
		return found < 0 ? -1 : set_cause(cause, "no such CA %s (make "
		    "one with: certdeck ca init %s)", name, name);
	}
	ca = xcalloc(1, sizeof *ca);
	ca->name = xstrdup(name);
	sk = ca_pem_certs(data, len);
	free(data);
	data = NULL;
	if (sk == NULL) {
		set_cause(cause, "cas/%s/cert.pem: no certificate", name);
		goto fail;
	}
	ca->cert = sk_X509_shift(sk);
	ca->chain = sk;
	if ((found = ca_read(inv, name, "serials", &data, &len, cause)) < 0)
		goto fail;
	if (found == 1 && serials_parse(ca, data, cause) != 0)
		goto fail;
	free(data);
	data = NULL;
	if (with_key) {
		if ((found = ca_key_read(inv, name, &file, &data, &len,
		    cause)) <= 0) {
			if (found == 0)
				set_cause(cause, "CA %s has no key "
				    "(cas/%s/key.pem or key-uri)", name, name);
			goto fail;
		}
		if (strcmp(file, "key-uri") == 0) {
			/* One line: the key's URI in its token. */
			data[strcspn(data, "\r\n")] = '\0';
			ca->key = hsm_key_load(data, &err);
		} else {
			pass = inv_key_passphrase(1, &err);
			if (pass == NULL && err != NULL) {
				set_cause(cause, "%s", err);
				goto fail;
			}
			ca->key = key_decrypt_pem(data, len, pass, &err);
		}
		if (ca->key == NULL) {
			set_cause(cause, "cas/%s/%s: %s", name, file, err);
			goto fail;
		}
		if (X509_check_private_key(ca->cert, ca->key) != 1) {
			ERR_clear_error();
			set_cause(cause, "cas/%s/%s: not the key of the CA "
			    "certificate", name, file);
			goto fail;
		}
	}
	free_secret(pass, pass != NULL ? strlen(pass) : 0);
	free_secret(data, len);
	*out = ca;
	return 0;
fail:
	free_secret(pass, pass != NULL ? strlen(pass) : 0);
	free_secret(data, len);
	free(err);
	ca_free(ca);
	return -1;
}

char *
ca_chain_pem(const struct ca *ca)
{
	struct buf b;
	char *p;
	int i;

	buf_init(&b);
	if (X509_check_issued(ca->cert, ca->cert) != X509_V_OK) {
		p = ca_x509_pem(ca->cert);
		buf_adds(&b, p);
		free(p);
	}
	for (i = 0; i < sk_X509_num(ca->chain); i++) {
		X509 *x = sk_X509_value(ca->chain, i);

		if (X509_check_issued(x, x) == X509_V_OK)
			continue;	/* a root: the relying party has it */
		p = ca_x509_pem(x);
		buf_adds(&b, p);
		free(p);
	}
	ERR_clear_error();
	return buf_steal(&b);
}

/* ---------------------------------------------------------------------- */
/* Signing. */

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, char **cause)
{
	X509_EXTENSION *ext;
	char why[160];

	ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (ext == NULL)
		return set_cause(cause, "%s = %s: %s", OBJ_nid2sn(nid), value,
		    ossl_why(why, sizeof why));
	if (!X509_add_ext(x, ext, -1)) {
		X509_EXTENSION_free(ext);
		return set_cause(cause, "adding %s failed", OBJ_nid2sn(nid));
	}
	X509_EXTENSION_free(ext);
	return 0;
}

/* A fresh positive serial of 128 random bits the record does not hold. */
static int
new_serial(struct ca *ca, X509 *x, char **hex, char **cause)
{
	unsigned char rnd[16];
	BIGNUM *bn = NULL;
	char *h;
	int i;

	for (i = 0; i < 16; i++) {
		if (RAND_bytes(rnd, sizeof rnd) != 1 ||
		    (bn = BN_bin2bn(rnd, sizeof rnd, bn)) == NULL)
			break;
		if (BN_is_zero(bn) || (h = BN_bn2hex(bn)) == NULL)
			continue;
		str_lower(h);
		if (rec_find(ca, h) == NULL) {
			*hex = xstrdup(h);
			OPENSSL_free(h);
			i = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) !=
			    NULL;
			BN_free(bn);
			ERR_clear_error();
			return i ? 0 : set_cause(cause, "setting the serial "
			    "failed");
		}
		OPENSSL_free(h);
	}
	BN_free(bn);
	ERR_clear_error();
	return set_cause(cause, "no fresh serial number (random source?)");
}

int
ca_record(struct ca *ca, X509 *leaf, const char *entry, char **cause)
{
	char *serial = ca_x509_serial(leaf);
	int rc = 0;

	if (rec_find(ca, serial) != NULL)
		rc = set_cause(cause, "CA %s: serial %s is in its record "
		    "already", ca->name, serial);
	else
		rec_add(ca, serial, ca_asn1_unix(X509_get0_notAfter(leaf)),
		    entry);
	free(serial);
	return rc;
}

/* Check a SAN list: DNS:, IP:, email: or URI: items, comma-separated. */
static int
sans_valid(const char *s, char **cause)
{
	struct strv items;
	size_t i;
	int rc = 0;

	strv_init(&items);
	strv_split(&items, s, ',');
	for (i = 0; i < items.n && rc == 0; i++) {
		const char *v = items.v[i];
		const unsigned char *p;

		if (!str_startswith(v, "DNS:") && !str_startswith(v, "IP:") &&
		    !str_startswith(v, "email:") && !str_startswith(v, "URI:"))
			rc = set_cause(cause, "--san %s: expected DNS:, IP:, "
			    "email: or URI:", v);
		for (p = (const unsigned char *)v; rc == 0 && *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				rc = set_cause(cause, "--san: control "
				    "character");
	}
	if (rc == 0 && items.n == 0)
		rc = set_cause(cause, "--san: empty");
	strv_free(&items);
	return rc;
}

X509 *
ca_sign(struct ca *ca, const struct ca_req *rq, EVP_PKEY *key, char **cause)
{
	X509 *x, *issuer;
	EVP_PKEY *signer;
	X509V3_CTX ctx;
	char why[160], *serial = NULL, buf[64];
	const char *ku;
	int self = ca == NULL || ca->cert == NULL;

	/* A certificate that outlives its CA stops verifying before its
	   own date: nothing would show it (list, audit) until it broke. */
	if (!self && rq->not_after > ca_asn1_unix(X509_get0_notAfter(
	    ca->cert))) {
		char ca_end[32], want[32];

		clock_format_date(ca_asn1_unix(X509_get0_notAfter(ca->cert)),
		    ca_end);
		clock_format_date(rq->not_after, want);
		set_cause(cause, "CA %s expires %s, before the certificate "
		    "would (%s): ask for fewer days, or renew the CA first",
		    ca->name, ca_end, want);
		return NULL;
	}
	if ((x = X509_new()) == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_subject_name(x, rq->subject) ||
	    !X509_set_pubkey(x, key) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)rq->not_before) ==
	    NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)rq->not_after) ==
	    NULL) {
		set_cause(cause, "building the certificate: %s",
		    ossl_why(why, sizeof why));
		goto fail;
	}
	issuer = self ? x : ca->cert;
	signer = self ? key : ca->key;
	if (!X509_set_issuer_name(x, X509_get_subject_name(issuer))) {
		set_cause(cause, "setting the issuer failed");
		goto fail;
	}
	if (ca != NULL) {
		if (new_serial(ca, x, &serial, cause) != 0)
			goto fail;
	} else {
		struct ca tmp;

		memset(&tmp, 0, sizeof tmp);
		if (new_serial(&tmp, x, &serial, cause) != 0)
			goto fail;
	}
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_subject_key_identifier, "hash", cause) != 0 ||
	    (!self && add_ext(x, &ctx, NID_authority_key_identifier,
	    "keyid:always", cause) != 0))
		goto fail;
	if (rq->is_ca) {
		if (rq->pathlen >= 0)
			snprintf(buf, sizeof buf, "critical,CA:TRUE,pathlen:%d",
			    rq->pathlen);
		else
			snprintf(buf, sizeof buf, "critical,CA:TRUE");
		if (add_ext(x, &ctx, NID_basic_constraints, buf, cause) != 0 ||
		    add_ext(x, &ctx, NID_key_usage,
		    "critical,keyCertSign,cRLSign", cause) != 0)
			goto fail;
	} else {
		ku = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ?
		    "critical,digitalSignature,keyEncipherment" :
		    "critical,digitalSignature";
		snprintf(buf, sizeof buf, "%s%s%s",
		    rq->usage & CA_USE_SERVER ? "serverAuth" : "",
		    (rq->usage & CA_USE_SERVER) && (rq->usage & CA_USE_CLIENT) ?
		    "," : "", rq->usage & CA_USE_CLIENT ? "clientAuth" : "");
		if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE",
		    cause) != 0 ||
		    add_ext(x, &ctx, NID_key_usage, ku, cause) != 0 ||
		    (*buf != '\0' && add_ext(x, &ctx, NID_ext_key_usage, buf,
		    cause) != 0))
			goto fail;
	}
	if (rq->san != NULL) {
		if (!X509_add_ext(x, (X509_EXTENSION *)rq->san, -1)) {
			set_cause(cause, "copying the SANs failed");
			goto fail;
		}
	} else if (rq->san_text != NULL && *rq->san_text != '\0') {
		if (sans_valid(rq->san_text, cause) != 0 ||
		    add_ext(x, &ctx, NID_subject_alt_name, rq->san_text,
		    cause) != 0)
			goto fail;
	}
	if (X509_sign(x, signer, key_sign_md(signer)) <= 0) {
		set_cause(cause, "signing failed: %s",
		    ossl_why(why, sizeof why));
		goto fail;
	}
	if (ca != NULL)
		rec_add(ca, serial, rq->not_after, rq->entry);
	free(serial);
	ERR_clear_error();
	return x;
fail:
	free(serial);
	X509_free(x);
	ERR_clear_error();
	return NULL;
}

/* A distinguished name from "/CN=a/O=b" or "CN=a, O=b" (no escapes). */
static X509_NAME *
dn_parse(const char *s, char **cause)
{
	X509_NAME *n = X509_NAME_new();
	struct strv parts;
	char *eq;
	size_t i;

	strv_init(&parts);
	strv_split(&parts, s, *s == '/' ? '/' : ',');
	for (i = 0; n != NULL && i < parts.n; i++) {
		if ((eq = strchr(parts.v[i], '=')) == NULL || eq ==
		    parts.v[i] || eq[1] == '\0') {
			set_cause(cause, "--subject %s: expected TYPE=VALUE "
			    "parts, as /CN=a/O=b or CN=a,O=b", s);
			goto fail;
		}
		*eq = '\0';
		str_trim(parts.v[i]);
		if (!X509_NAME_add_entry_by_txt(n, parts.v[i], MBSTRING_UTF8,
		    (const unsigned char *)str_trim(eq + 1), -1, -1, 0)) {
			set_cause(cause, "--subject %s: unknown attribute %s",
			    s, parts.v[i]);
			goto fail;
		}
	}
	if (n == NULL || X509_NAME_entry_count(n) == 0) {
		set_cause(cause, "--subject %s: empty", s);
		goto fail;
	}
	strv_free(&parts);
	ERR_clear_error();
	return n;
fail:
	strv_free(&parts);
	X509_NAME_free(n);
	ERR_clear_error();
	return NULL;
}

/* A passphrase, or an error saying how to give one. */
static char *
need_pass(char **cause)
{
	char *err = NULL, *pass = inv_key_passphrase(1, &err);

	if (pass != NULL)
		return pass;
	if (err != NULL) {
		set_cause(cause, "%s", err);
		free(err);
	} else
		set_cause(cause, "no passphrase to encrypt the private key "
		    "(set CERTDECK_PASSPHRASE_FILE or use --passphrase-fd)");
	return NULL;
}

static void
free_pass(char *p)
{
	free_secret(p, p != NULL ? strlen(p) : 0);
}

/* Check --key-type and --key-in before anything is done. */
static int
new_key_check(const char *type, const char *key_in, char **cause)
{
	char *err = NULL;

	if (!key_type_valid(type))
		return set_cause(cause, "--key-type %s: use ec:P-256, "
		    "ec:P-384, rsa:3072, rsa:4096 or ed25519", type);
	if (key_in != NULL && hsm_uri_check(key_in, &err) != 0) {
		set_cause(cause, "--key-in %s: %s", key_in, err);
		free(err);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* ca init. */

int
inv_ca_init(struct inv *inv, const struct inv_ca_init_opts *o,
    char **cause)
{
	struct ca *parent = NULL, self;
	struct ca_req rq;
	struct repo_change ch[4];
	struct strv trailers;
	X509_NAME *dn = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	char *pass = NULL, *keypem = NULL, *certpem = NULL, *chain = NULL;
	char *serials = NULL, *pserials = NULL, *msg = NULL, *subject, *p;
	char *paths[4] = { NULL, NULL, NULL, NULL }, date[16], fp[65];
	char *uri = NULL, *kdesc = NULL;
	const char *type = key_type_new(o->key_type, NULL, o->key_in != NULL);
	size_t keylen, n = 3, i;
	int64_t now = clock_now();
	int days = o->days > 0 ? o->days : 3650, rc = -1, found;

	memset(&self, 0, sizeof self);
	strv_init(&trailers);
	if (!name_valid(o->name))
		return set_cause(cause, "%s: not a valid CA name (lowercase "
		    "a-z, 0-9, '.', '_', '-')", o->name);
	if (new_key_check(type, o->key_in, cause) != 0)
		return -1;
	/* A key in a token is not stored: no passphrase to ask for. */
	if (o->key_in == NULL && (pass = need_pass(cause)) == NULL)
		return -1;
	if (inv_begin(inv, cause) != 0) {
		free_pass(pass);
		return -1;
	}
	p = ca_path(o->name, "cert.pem");
	found = repo_read(inv->repo, NULL, p, &certpem, &keylen, NULL, cause);
	free(p);
	free(certpem);
	certpem = NULL;
	if (found != 0) {
		if (found > 0)
			set_cause(cause, "CA %s exists already", o->name);
		goto out;
	}
	if (o->parent != NULL) {
		if (ca_load(inv, o->parent, 1, &parent, cause) != 0)
			goto out;
		if (X509_get_pathlen(parent->cert) == 0) {
			set_cause(cause, "CA %s has path length 0: it cannot "
			    "sign another CA", o->parent);
			goto out;
		}
	}
	dn = o->subject != NULL ? dn_parse(o->subject, cause) : NULL;
	if (o->subject == NULL) {
		p = xasprintf("/CN=%s", o->name);
		dn = dn_parse(p, cause);
		free(p);
	}
	if (dn == NULL)
		goto out;
	if ((key = key_generate_at(type, o->key_in, 0, "--key-in", &uri,
	    &kdesc, cause)) == NULL)
		goto out;
	memset(&rq, 0, sizeof rq);
	rq.subject = dn;
	rq.is_ca = 1;
	rq.pathlen = o->pathlen;
	rq.not_before = now;
	rq.not_after = now + (int64_t)days * 86400;
	p = xasprintf("ca/%s", o->name);
	rq.entry = p;
	x = ca_sign(parent, &rq, key, cause);
	free(p);
	if (x == NULL)
		goto out;
	if (uri != NULL) {
		keypem = xasprintf("%s\n", uri);
		keylen = strlen(keypem);
	} else if ((keypem = key_encrypt_pem(key, pass, &keylen)) == NULL) {
		set_cause(cause, "encrypting the CA key failed");
		goto out;
	}
	certpem = ca_x509_pem(x);
	if (parent != NULL) {
		/* cert.pem: the CA, then its parent's cert.pem (to the root) */
		char *pp = ca_x509_pem(parent->cert);
		struct buf b;

		buf_init(&b);
		buf_adds(&b, certpem);
		buf_adds(&b, pp);
		free(pp);
		for (i = 0; i < (size_t)sk_X509_num(parent->chain); i++) {
			pp = ca_x509_pem(sk_X509_value(parent->chain, (int)i));
			buf_adds(&b, pp);
			free(pp);
		}
		free(certpem);
		certpem = buf_steal(&b);
	}

	serials = ca_serials_text(&self);
	ch[0].path = paths[0] = ca_path(o->name, "cert.pem");
	ch[0].data = certpem;
	ch[0].len = strlen(certpem);
	ch[1].path = paths[1] = ca_path(o->name, uri != NULL ? "key-uri" :
	    "key.pem");
	ch[1].data = keypem;
	ch[1].len = keylen;
	ch[2].path = paths[2] = ca_path(o->name, "serials");
	ch[2].data = serials;
	ch[2].len = strlen(serials);
	if (parent != NULL) {
		pserials = ca_serials_text(parent);
		ch[3].path = paths[3] = ca_path(o->parent, "serials");
		ch[3].data = pserials;
		ch[3].len = strlen(pserials);
		n = 4;
	}
	clock_format_date(rq.not_after, date);
	if (parent != NULL)
		subject = xasprintf("ca init %s: intermediate of %s, expires "
		    "%s", o->name, o->parent, date);
	else
		subject = xasprintf("ca init %s: root, expires %s", o->name,
		    date);
	ca_x509_fp(x, fp);
	strv_addn(&trailers, xasprintf("Certdeck-CA: %s", o->name));
	strv_addn(&trailers, xasprintf("Certdeck-Fingerprint: %s", fp));
	if (o->pathlen >= 0)
		chain = xasprintf("key: %s\nvalid: %d days\npath "
		    "length: %d\n", kdesc, days, o->pathlen);
	else
		chain = xasprintf("key: %s\nvalid: %d days\n", kdesc, days);
	msg = inv_message(subject, chain, "ca-init", &trailers);
	free(subject);
	rc = inv_commit(inv, ch, n, msg, NULL, cause);
out:
	if (rc != 0)
		key_generate_undo(uri);
	free(uri);
	free(kdesc);
	inv_end(inv);
	for (i = 0; i < 4; i++)
		free(paths[i]);
	free_pass(pass);
	free_secret(keypem, keypem != NULL ? strlen(keypem) : 0);
	free(certpem);
	free(chain);
	free(serials);
	free(pserials);
	free(msg);
	X509_free(x);
	X509_NAME_free(dn);
	EVP_PKEY_free(key);
	ca_free(parent);
	strv_free(&trailers);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* issue. */

int
inv_issue(struct inv *inv, const struct inv_issue_opts *o, char **name_out,
    char **cause)
{
	struct ca *ca = NULL;
	struct ca_req rq;
	struct repo_change ch[4];
	struct strv trailers;
	struct entry e;
	X509_NAME *dn = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	char *pass = NULL, *keypem = NULL, *leaf = NULL, *chain = NULL;
	char *full = NULL, *etext = NULL, *serials = NULL, *msg = NULL;
	char *name = NULL, *dir = NULL, *sans = NULL, *subject, *body, *p;
	char *paths[4] = { NULL, NULL, NULL, NULL }, date[16], fp[65];
	char *uri = NULL, *kdesc = NULL;
	const char *type = key_type_new(o->key_type, NULL, o->key_in != NULL);
	size_t keylen, i, n;
	int64_t now = clock_now();
	int rc = -1, usage = o->usage ? o->usage : CA_USE_SERVER;

	*name_out = NULL;
	strv_init(&trailers);
	entry_init(&e);
	if (o->cn == NULL || *o->cn == '\0')
		return set_cause(cause, "--cn is required");
	if (new_key_check(type, o->key_in, cause) != 0)
		return -1;
	if (o->days < 0 || o->hours < 0)
		return set_cause(cause, "--days, --hours: must be positive");
	if (o->name != NULL) {
		if (!name_valid(o->name))
			return set_cause(cause, "--name %s: not a valid entry "
			    "name (lowercase a-z, 0-9, '.', '_', '-')",
			    o->name);
		name = xstrdup(o->name);
	} else
		name = name_derive(o->cn);
	if (o->key_in == NULL && (pass = need_pass(cause)) == NULL) {
		free(name);
		return -1;
	}
	if (inv_begin(inv, cause) != 0) {
		free(name);
		free_pass(pass);
		return -1;
	}
	if (inv_exists(inv, name)) {
		set_cause(cause, "entry %s exists already (choose another with "
		    "--name)", name);
		goto out;
	}
	if (ca_load(inv, o->ca, 1, &ca, cause) != 0)
		goto out;
	if ((dn = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(dn, "CN", MBSTRING_UTF8,
	    (const unsigned char *)o->cn, -1, -1, 0)) {
		ERR_clear_error();
		set_cause(cause, "--cn %s: not a usable common name", o->cn);
		goto out;
	}
	if (o->sans != NULL)
		sans = xstrdup(o->sans);
	else if (usage & CA_USE_SERVER)
		sans = xasprintf("DNS:%s", o->cn);
	if ((key = key_generate_at(type, o->key_in, 0, "--key-in", &uri,
	    &kdesc, cause)) == NULL)
		goto out;
	memset(&rq, 0, sizeof rq);
	rq.subject = dn;
	rq.san_text = sans;
	rq.usage = usage;
	rq.pathlen = -1;
	rq.not_before = now;
	rq.not_after = now + (int64_t)o->days * 86400 +
	    (int64_t)o->hours * 3600;
	if (o->days == 0 && o->hours == 0)
		rq.not_after = now + 365 * 86400;
	rq.entry = name;
	if ((x = ca_sign(ca, &rq, key, cause)) == NULL)
		goto out;
	/* A key in a token stays there: the entry's key-path names it. */
	if (uri == NULL &&
	    (keypem = key_encrypt_pem(key, pass, &keylen)) == NULL) {
		set_cause(cause, "encrypting the key failed");
		goto out;
	}
	leaf = ca_x509_pem(x);
	chain = ca_chain_pem(ca);
	full = xasprintf("%s%s", leaf, chain);
	entry_put(&e, "ca", ca->name);
	if (uri != NULL)
		entry_put(&e, "key-path", uri);
	if (o->owner != NULL)
		entry_put(&e, "owner", o->owner);
	etext = entry_format(&e);
	serials = ca_serials_text(ca);
	dir = inv_entry_dir(name);
	n = 0;
	ch[n].path = paths[n] = xasprintf("%s/cert.pem", dir);
	ch[n].data = full;
	ch[n++].len = strlen(full);
	ch[n].path = paths[n] = xasprintf("%s/entry", dir);
	ch[n].data = etext;
	ch[n++].len = strlen(etext);
	if (keypem != NULL) {
		ch[n].path = paths[n] = xasprintf("keys/%s.key", name);
		ch[n].data = keypem;
		ch[n++].len = keylen;
	}
	ch[n].path = paths[n] = ca_path(ca->name, "serials");
	ch[n].data = serials;
	ch[n++].len = strlen(serials);
	clock_format_date(rq.not_after, date);
	subject = xasprintf("issue %s: from %s, expires %s", name, ca->name,
	    date);
	ca_x509_fp(x, fp);
	p = ca_x509_serial(x);
	body = xasprintf("serial: %s\nkey: %s\nusage: %s%s%s\n",
	    p, kdesc,
	    usage & CA_USE_SERVER ? "server" : "",
	    usage == (CA_USE_SERVER | CA_USE_CLIENT) ? "," : "",
	    usage & CA_USE_CLIENT ? "client" : "");
	free(p);
	strv_addn(&trailers, xasprintf("Certdeck-Entry: %s", name));
	strv_addn(&trailers, xasprintf("Certdeck-CA: %s", ca->name));
	strv_addn(&trailers, xasprintf("Certdeck-Fingerprint: %s", fp));
	msg = inv_message(subject, body, "issue", &trailers);
	free(subject);
	free(body);
	rc = inv_commit(inv, ch, n, msg, NULL, cause);
	if (rc == 0) {
		*name_out = name;
		name = NULL;
	}
out:
	if (rc != 0)
		key_generate_undo(uri);
	free(uri);
	free(kdesc);
	inv_end(inv);
	for (i = 0; i < 4; i++)
		free(paths[i]);
	free_pass(pass);
	free_secret(keypem, keypem != NULL ? strlen(keypem) : 0);
	free(leaf);
	free(chain);
	free(full);
	free(etext);
	free(serials);
	free(msg);
	free(name);
	free(dir);
	free(sans);
	X509_free(x);
	X509_NAME_free(dn);
	EVP_PKEY_free(key);
	ca_free(ca);
	entry_free(&e);
	strv_free(&trailers);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* revoke. */

/* The CA under cas/ that issued leaf: the entry's "ca", else the one
   whose certificate verifies the leaf's signature. */
static int
ca_of(struct inv *inv, const char *hint, X509 *leaf, struct ca **out,
    char **cause)
{
	struct strv names;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (hint != NULL && ca_load(inv, hint, 0, out, NULL) == 0) {
		if (X509_check_issued((*out)->cert, leaf) == X509_V_OK)
			return 0;
		ca_free(*out);
		*out = NULL;
	}
	if (ca_names(inv, &names, cause) != 0)
		return -1;
	for (i = 0; i < names.n && *out == NULL; i++) {
		if (ca_load(inv, names.v[i], 0, out, NULL) != 0)
			continue;
		if (X509_check_issued((*out)->cert, leaf) != X509_V_OK) {
			ca_free(*out);
			*out = NULL;
		}
	}
	ERR_clear_error();
	strv_free(&names);
	if (*out == NULL)
		rc = set_cause(cause, "not issued by a CA of this inventory "
		    "(cas/)");
	return rc;
}

/* The leaf of entry name's cert.pem at HEAD, and the entry's "ca". */
static int
entry_leaf(struct inv *inv, const char *name, X509 **leaf, char **ca_hint,
    char **cause)
{
	STACK_OF(X509) *sk;
	struct entry e;
	char *dir, *path, *data = NULL, *text = NULL, *err = NULL;
	const char *v;
	size_t len;
	int found;

	*leaf = NULL;
	*ca_hint = NULL;
	if (!name_valid(name) || !inv_exists(inv, name))
		return set_cause(cause, "%s: no such entry", name);
	dir = inv_entry_dir(name);
	path = xasprintf("%s/cert.pem", dir);
	free(dir);
	found = repo_read(inv->repo, NULL, path, &data, &len, NULL, cause);
	free(path);
	if (found <= 0) {
		free(data);
		return found < 0 ? -1 : set_cause(cause, "%s: no certificate",
		    name);
	}
	sk = ca_pem_certs(data, len);
	free(data);
	if (sk == NULL)
		return set_cause(cause, "%s: cert.pem holds no certificate",
		    name);
	*leaf = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	if (inv_entry_text(inv, name, &text, &err) == 1 &&
	    entry_parse(text, strlen(text), &e, NULL) == 0) {
		if ((v = entry_get(&e, "ca")) != NULL)
			*ca_hint = xstrdup(v);
		entry_free(&e);
	}
	free(text);
	free(err);
	return 0;
}

int
inv_revoke(struct inv *inv, const char *name, const char *reason,
    char **cause)
{
	struct ca *ca = NULL;
	struct ca_rec *r;
	struct repo_change ch;
	struct strv trailers;
	X509 *leaf = NULL;
	char *hint = NULL, *serial = NULL, *text = NULL, *msg = NULL, *s;
	char *e = NULL;
	int rc = -1;

	if (reason == NULL)
		reason = "unspecified";
	if (reason_code(reason) < 0)
		return set_cause(cause, "--reason %s: use unspecified, "
		    "key-compromise, ca-compromise, affiliation-changed, "
		    "superseded, cessation-of-operation or "
		    "privilege-withdrawn", reason);
	strv_init(&trailers);
	if (inv_begin(inv, cause) != 0)
		return -1;
	if (entry_leaf(inv, name, &leaf, &hint, cause) != 0)
		goto out;
	if (ca_of(inv, hint, leaf, &ca, &e) != 0) {
		set_cause(cause, "%s: %s", name, e);
		free(e);
		goto out;
	}
	serial = ca_x509_serial(leaf);
	if ((r = rec_find(ca, serial)) == NULL) {
		rec_add(ca, serial, ca_asn1_unix(X509_get0_notAfter(leaf)),
		    name);
		r = rec_find(ca, serial);
	}
	if (r->revoked) {
		set_cause(cause, "%s: serial %s is already revoked (%s)", name,
		    serial, r->reason);
		goto out;
	}
	r->revoked = 1;
	r->revoked_at = clock_now();
	r->reason = xstrdup(reason);
	text = ca_serials_text(ca);
	ch.path = s = ca_path(ca->name, "serials");
	ch.data = text;
	ch.len = strlen(text);
	e = xasprintf("revoke %s: serial %s (%s)", name, serial, reason);
	strv_addn(&trailers, xasprintf("Certdeck-Entry: %s", name));
	strv_addn(&trailers, xasprintf("Certdeck-CA: %s", ca->name));
	msg = inv_message(e, "The CA's next CRL (certdeck ca crl) lists it.",
	    "revoke", &trailers);
	free(e);
	rc = inv_commit(inv, &ch, 1, msg, NULL, cause);
	free(s);
out:
	inv_end(inv);
	X509_free(leaf);
	ca_free(ca);
	free(hint);
	free(serial);
	free(text);
	free(msg);
	strv_free(&trailers);
	ERR_clear_error();
	return rc;
}

/* ---------------------------------------------------------------------- */
/* ca crl. */

static int
crl_number_next(struct inv *inv, const char *name, ASN1_INTEGER **out)
{
	X509_CRL *old = NULL;
	ASN1_INTEGER *num = NULL;
	BIGNUM *bn = NULL;
	BIO *bio;
	char *data = NULL;
	size_t len;

	if (ca_read(inv, name, "crl.pem", &data, &len, NULL) == 1 &&
	    len < INT32_MAX &&
	    (bio = BIO_new_mem_buf(data, (int)len)) != NULL) {
		old = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	free(data);
	if (old != NULL)
		num = X509_CRL_get_ext_d2i(old, NID_crl_number, NULL, NULL);
	X509_CRL_free(old);
	bn = num != NULL ? ASN1_INTEGER_to_BN(num, NULL) : BN_new();
	ASN1_INTEGER_free(num);
	if (bn == NULL || !BN_add_word(bn, 1) ||
	    (*out = BN_to_ASN1_INTEGER(bn, NULL)) == NULL) {
		BN_free(bn);
		ERR_clear_error();
		return -1;
	}
	BN_free(bn);
	ERR_clear_error();
	return 0;
}

int
inv_ca_crl(struct inv *inv, const char *name, int days, char **cause)
{
	struct ca *ca = NULL;
	struct repo_change ch;
	struct strv trailers;
	X509_CRL *crl = NULL;
	ASN1_INTEGER *num = NULL;
	ASN1_TIME *t = NULL;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	BIO *bio = NULL;
	char *pem = NULL, *msg = NULL, *path = NULL, *s, why[160], date[16];
	size_t i, nrev = 0;
	int64_t now = clock_now();
	long n;
	int rc = -1;

	if (days <= 0)
		days = 7;
	strv_init(&trailers);
	if (inv_begin(inv, cause) != 0)
		return -1;
	if (ca_load(inv, name, 1, &ca, cause) != 0)
		goto out;
	if (crl_number_next(inv, name, &num) != 0 ||
	    (crl = X509_CRL_new()) == NULL || !X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) ||
	    (t = ASN1_TIME_set(NULL, (time_t)now)) == NULL ||
	    !X509_CRL_set1_lastUpdate(crl, t) ||
	    ASN1_TIME_set(t, (time_t)(now + (int64_t)days * 86400)) == NULL ||
	    !X509_CRL_set1_nextUpdate(crl, t))
		goto ossl;
	for (i = 0; i < ca->nrecs; i++) {
		const struct ca_rec *r = &ca->recs[i];
		X509_REVOKED *rev;
		ASN1_ENUMERATED *re;
		BIGNUM *bn = NULL;
		ASN1_INTEGER *sn;

		if (!r->revoked)
			continue;
		if ((rev = X509_REVOKED_new()) == NULL ||
		    !BN_hex2bn(&bn, r->serial) ||
		    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL) {
			BN_free(bn);
			X509_REVOKED_free(rev);
			goto ossl;
		}
		BN_free(bn);
		X509_REVOKED_set_serialNumber(rev, sn);
		ASN1_INTEGER_free(sn);
		ASN1_TIME_set(t, (time_t)r->revoked_at);
		X509_REVOKED_set_revocationDate(rev, t);
		if (reason_code(r->reason) > 0 &&
		    (re = ASN1_ENUMERATED_new()) != NULL) {
			ASN1_ENUMERATED_set(re, reason_code(r->reason));
			X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, re, 0,
			    0);
			ASN1_ENUMERATED_free(re);
		}
		if (!X509_CRL_add0_revoked(crl, rev)) {
			X509_REVOKED_free(rev);
			goto ossl;
		}
		nrev++;
	}
	X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx,
	    NID_authority_key_identifier, "keyid:always")) == NULL)
		goto ossl;
	X509_CRL_add_ext(crl, ext, -1);
	X509_EXTENSION_free(ext);
	if (!X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) ||
	    !X509_CRL_sort(crl) ||
	    X509_CRL_sign(crl, ca->key, key_sign_md(ca->key)) <= 0 ||
	    (bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_CRL(bio, crl) ||
	    (n = BIO_get_mem_data(bio, &s)) <= 0)
		goto ossl;
	pem = xstrndup(s, (size_t)n);
	ch.path = path = ca_path(name, "crl.pem");
	ch.data = pem;
	ch.len = strlen(pem);
	clock_format_date(now + (int64_t)days * 86400, date);
	s = xasprintf("ca crl %s: %zu revoked, next update %s", name, nrev,
	    date);
	strv_addn(&trailers, xasprintf("Certdeck-CA: %s", name));
	msg = inv_message(s, NULL, "ca-crl", &trailers);
	free(s);
	rc = inv_commit(inv, &ch, 1, msg, NULL, cause);
	goto out;
ossl:
	set_cause(cause, "CA %s: making the CRL failed: %s", name,
	    ossl_why(why, sizeof why));
out:
	inv_end(inv);
	BIO_free(bio);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
	ca_free(ca);
	free(pem);
	free(path);
	free(msg);
	strv_free(&trailers);
	ERR_clear_error();
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Trust anchors for probes; issuers for the audit. */

char *
inv_ca_pem(struct inv *inv, int roots_only)
{
	struct strv names;
	struct buf b;
	struct ca *ca;
	char *p;
	size_t i;
	int k;

	buf_init(&b);
	ca_names(inv, &names, NULL);
	for (i = 0; i < names.n; i++) {
		if (ca_load(inv, names.v[i], 0, &ca, NULL) != 0)
			continue;
		/* The root of its chain: a probe's private-PKI check trusts
		   roots only (see inv_probe.c). */
		for (k = -1; k < sk_X509_num(ca->chain); k++) {
			X509 *x = k < 0 ? ca->cert :
			    sk_X509_value(ca->chain, k);

			if (!roots_only || X509_check_issued(x, x) ==
			    X509_V_OK) {
				p = ca_x509_pem(x);
				buf_adds(&b, p);
				free(p);
			}
		}
		ca_free(ca);
	}
	ERR_clear_error();
	strv_free(&names);
	return buf_steal(&b);
}
