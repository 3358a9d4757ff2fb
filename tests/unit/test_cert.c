/*
 * test_cert.c: core/cert.c against certificates made here with the real
 * openssl command (and, for what openssl cannot make, the X509 API), and
 * against the shared seed corpus. Expected values come from openssl's own
 * output or are written out by hand, never from cert.c itself.
 */
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "testutil.h"
#include "util.h"
#include "cert.h"

static char *dir;		/* scratch directory with the generated files */

#define OSSL(...) \
	assert_int_equal(tu_run(dir, NULL, "openssl", __VA_ARGS__, \
	    (char *)NULL), 0)

static char *
path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static char *
slurp(const char *name, size_t *len)
{
	char *p = path(name), *data = NULL, *cause = NULL;

	if (read_file(p, CERT_MAX_FILE, &data, len, &cause) != 0)
		fail_msg("read %s: %s", p, cause);
	free(p);
	return data;
}

static void
spew(const char *name, const void *data, size_t len)
{
	char *p = path(name);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(p);
}

/* Concatenate files (and literal text: names starting with '"'). */
static void
concat(const char *out, ...)
{
	struct buf b;
	const char *s;
	char *d;
	size_t len;
	va_list ap;

	buf_init(&b);
	va_start(ap, out);
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (*s == '"')
			buf_adds(&b, s + 1);
		else {
			d = slurp(s, &len);
			buf_add(&b, d, len);
			free(d);
		}
	}
	va_end(ap);
	spew(out, b.data, b.len);
	buf_free(&b);
}

static void
write_key(const char *name, EVP_PKEY *pk)
{
	char *p = path(name);
	BIO *bio = BIO_new_file(p, "w");

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0,
	    NULL, NULL), 1);
	BIO_free(bio);
	free(p);
}

/*
 * What `openssl x509` says of a file: fingerprint (with digest "-sha256"
 * or "-sha1"), subject as RFC 4514 keeping UTF-8, and dates. NULL if
 * openssl cannot read it.
 */
static char *
openssl_x509(const char *file, const char *inform, const char *digest)
{
	char *out = NULL;

	if (tu_run(dir, &out, "openssl", "x509", "-noout", "-inform", inform,
	    "-in", file, "-fingerprint", digest, "-subject", "-startdate",
	    "-enddate", "-nameopt", "RFC2253,-esc_msb", (char *)NULL) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* The rest of the line of out that starts with prefix (any case). */
static char *
field(const char *out, const char *prefix)
{
	const char *line, *nl;
	size_t n = strlen(prefix);

	for (line = out; line != NULL && *line != '\0'; line = nl) {
		nl = strchr(line, '\n');
		if (strncasecmp(line, prefix, n) == 0)
			return nl != NULL ? xstrndup(line + n,
			    (size_t)(nl - line) - n) : xstrdup(line + n);
		if (nl != NULL)
			nl++;
	}
	return NULL;
}

/* A fingerprint line's value as lowercase hex without colons. */
static char *
fp_hex(const char *out, const char *prefix)
{
	char *s = field(out, prefix), *d, *p;

	if (s == NULL)
		return NULL;
	for (p = d = s; *p != '\0'; p++)
		if (*p != ':')
			*d++ = (char)tolower((unsigned char)*p);
	*d = '\0';
	return s;
}

/* SHA-256 fingerprint per openssl. */
static char *
openssl_fp(const char *file, const char *inform)
{
	char *out = openssl_x509(file, inform, "-sha256"), *fp;

	if (out == NULL)
		return NULL;
	fp = fp_hex(out, "SHA256 Fingerprint=");
	free(out);
	return fp;
}

/* notBefore/notAfter per openssl ("Nov 26 13:15:25 2052 GMT") in seconds. */
static int64_t
openssl_date(const char *file, const char *prefix)
{
	char *out = openssl_x509(file, "PEM", "-sha256"), *s, *end;
	struct tm tm;

	assert_non_null(out);
	s = field(out, prefix);
	assert_non_null(s);
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%b %d %H:%M:%S %Y GMT", &tm);
	assert_non_null(end);
	free(s);
	free(out);
	return (int64_t)timegm(&tm);
}

/* Valid UTF-8 with no C0, DEL or C1 control; NULL counts as clean. */
static int
is_clean(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned long c;
	int n, i;

	if (str == NULL)
		return 1;
	while (*s != '\0') {
		if (*s < 0x80) {
			if (*s < 0x20 && *s != '\n')
				return 0;
			if (*s == 0x7f)
				return 0;
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf)
			n = 2, c = *s & 0x1f;
		else if (*s >= 0xe0 && *s <= 0xef)
			n = 3, c = *s & 0x0f;
		else if (*s >= 0xf0 && *s <= 0xf4)
			n = 4, c = *s & 0x07;
		else
			return 0;
		for (i = 1; i < n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (s[i] & 0x3f);
		}
		if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
		    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
		    (c >= 0x80 && c < 0xa0))
			return 0;
		s += n;
	}
	return 1;
}

/* Every string of rec clean; single-valued ones without newlines. */
static void
assert_rec_clean(const struct certrec *r)
{
	const char *single[] = { r->subject, r->issuer, r->subject_cn,
	    r->issuer_cn, r->serial, r->key_type, r->key_curve, r->sig_alg,
	    r->spki_sha256, r->ski, r->aki, r->key_usage, r->ext_key_usage };
	const char *lists[] = { r->sans, r->ocsp, r->ca_issuers, r->crl_dp };
	size_t i;

	for (i = 0; i < nitems(single); i++) {
		assert_true(is_clean(single[i]));
		assert_true(single[i] == NULL || strchr(single[i], '\n') == NULL);
		assert_true(single[i] == NULL || strlen(single[i]) <= 4096);
	}
	for (i = 0; i < nitems(lists); i++)
		assert_true(is_clean(lists[i]));
	assert_int_equal(strlen(r->sha256), 64);
	assert_int_equal(strlen(r->sha1), 40);
}

static int
load(const char *name, const char *p12, const char *kp,
    struct cert_bundle *b, char **cause)
{
	size_t len;
	char *data = slurp(name, &len);
	int rc;

	*cause = NULL;
	rc = cert_load((unsigned char *)data, len, p12, kp, b, cause);
	free(data);
	/* Whatever happened, OpenSSL's error queue is left empty. */
	assert_int_equal(ERR_peek_error(), 0);
	if (rc == 0)
		assert_null(*cause);
	else {
		assert_non_null(*cause);
		assert_non_null(b);
		assert_int_equal(b->ngroups, 0);
		/* One line, and no file name: the caller adds that. */
		assert_null(strchr(*cause, '\n'));
		assert_null(strstr(*cause, dir));
	}
	return rc;
}

static struct cert_bundle
load_ok(const char *name, const char *p12, const char *kp)
{
	struct cert_bundle b;
	char *cause;

	if (load(name, p12, kp, &b, &cause) != 0)
		fail_msg("%s: %s", name, cause);
	return b;
}

static void
load_refused(const char *name, const char *p12, const char *expect)
{
	struct cert_bundle b;
	char *cause;

	if (load(name, p12, NULL, &b, &cause) == 0)
		fail_msg("%s: loaded (%zu groups), expected \"%s\"", name,
		    b.ngroups, expect);
	if (!str_startswith(cause, expect))
		fail_msg("%s: \"%s\", expected \"%s...\"", name, cause,
		    expect);
	free(cause);
	cause = NULL;
}

static const struct certrec *
rec_of(const struct cert_bundle *b, size_t g, size_t i)
{
	assert_true(g < b->ngroups);
	assert_true(i < b->groups[g].n);
	return &b->groups[g].items[i].rec;
}

/* ---------------------------------------------------------------------- */

static const char cnf[] =
    "[req]\n"
    "distinguished_name = dn\n"
    "[dn]\n"
    "[v3_root]\n"
    "basicConstraints = critical,CA:TRUE\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[v3_inter]\n"
    "basicConstraints = critical,CA:TRUE,pathlen:0\n"
    "keyUsage = critical,keyCertSign,cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid:always\n"
    "[v3_leaf]\n"
    "basicConstraints = critical,CA:FALSE\n"
    "keyUsage = critical,digitalSignature,keyEncipherment\n"
    "extendedKeyUsage = serverAuth,clientAuth,1.2.3.4.5\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid:always\n"
    "subjectAltName = @alt\n"
    "authorityInfoAccess = OCSP;URI:http://ocsp.example.test/,"
	"caIssuers;URI:http://ca.example.test/inter.crt\n"
    "crlDistributionPoints = URI:http://crl.example.test/inter.crl\n"
    "tlsfeature = status_request\n"
    "[alt]\n"
    "DNS.1 = www.example.test\n"
    "DNS.2 = *.example.test\n"
    "IP.1 = 192.0.2.1\n"
    "IP.2 = 2001:db8:0:0:0:0:0:1\n"
    "email.1 = ops@example.test\n"
    "URI.1 = https://example.test/path\n"
    "otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:upn@example.test\n"
    "dirName.1 = dir_sect\n"
    "RID.1 = 1.2.3.4\n"
    "[dir_sect]\n"
    "CN = Dir Name\n"
    "O = Example\n"
    "[v3_ec]\n"
    "basicConstraints = CA:FALSE\n"
    "subjectAltName = DNS:ec.example.test\n"
    "[v3_self]\n"
    "basicConstraints = critical,CA:FALSE\n"
    "keyUsage = critical,digitalSignature\n"
    "subjectAltName = DNS:ed.example.test\n";

static const char leaf_sans[] =
    "DNS:www.example.test\n"
    "DNS:*.example.test\n"
    "IP:192.0.2.1\n"
    "IP:2001:db8::1\n"
    "email:ops@example.test\n"
    "URI:https://example.test/path\n"
    "othername:1.3.6.1.4.1.311.20.2.3\n"
    "dirName:O=Example,CN=Dir Name\n"
    "RID:1.2.3.4";

static int
setup(void **state)
{
	EVP_PKEY *pk;
	char days9999[32];
	time_t now = time(NULL);

	dir = tu_tmpdir();
	spew("cd.cnf", cnf, strlen(cnf));

	pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	write_key("root.key", pk);
	EVP_PKEY_free(pk);
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	write_key("inter.key", pk);
	EVP_PKEY_free(pk);
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	write_key("leaf.key", pk);
	EVP_PKEY_free(pk);
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	write_key("ec.key", pk);
	EVP_PKEY_free(pk);
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	write_key("ed.key", pk);
	EVP_PKEY_free(pk);

	/* Root 10 years; intermediate 30 days (before the leaf's 365). */
	OSSL("req", "-x509", "-new", "-key", "root.key", "-config", "cd.cnf",
	    "-subj", "/CN=Test Root/O=certdeck", "-days", "3650",
	    "-set_serial", "1", "-extensions", "v3_root", "-out", "root.pem");
	OSSL("req", "-new", "-key", "inter.key", "-config", "cd.cnf",
	    "-subj", "/CN=Test Intermediate/O=certdeck", "-out", "inter.csr");
	OSSL("x509", "-req", "-in", "inter.csr", "-CA", "root.pem", "-CAkey",
	    "root.key", "-set_serial", "2", "-days", "30", "-extfile",
	    "cd.cnf", "-extensions", "v3_inter", "-out", "inter.pem");
	OSSL("req", "-new", "-key", "leaf.key", "-config", "cd.cnf",
	    "-subj", "/CN=www.example.test/O=certdeck", "-out", "leaf.csr");
	OSSL("x509", "-req", "-in", "leaf.csr", "-CA", "inter.pem", "-CAkey",
	    "inter.key", "-set_serial", "0x00abcdef0123", "-days", "365",
	    "-extfile", "cd.cnf", "-extensions", "v3_leaf", "-out",
	    "leaf.pem");
	OSSL("req", "-new", "-key", "ec.key", "-config", "cd.cnf",
	    "-subj", "/CN=ec.example.test", "-out", "ec.csr");
	OSSL("x509", "-req", "-in", "ec.csr", "-CA", "inter.pem", "-CAkey",
	    "inter.key", "-set_serial", "3", "-days", "200", "-extfile",
	    "cd.cnf", "-extensions", "v3_ec", "-out", "ec.pem");
	OSSL("req", "-x509", "-new", "-key", "ed.key", "-config", "cd.cnf",
	    "-subj", "/CN=ed.example.test", "-days", "10", "-extensions",
	    "v3_self", "-out", "ed.pem");
	/* GeneralizedTime: 2052, and the last day of year 9999. */
	OSSL("req", "-x509", "-new", "-key", "ec.key", "-config", "cd.cnf",
	    "-subj", "/CN=long.example.test", "-days", "9500", "-extensions",
	    "v3_ec", "-out", "y2052.pem");
	snprintf(days9999, sizeof days9999, "%lld",
	    (long long)((253402300799LL - (int64_t)now) / 86400));
	OSSL("req", "-x509", "-new", "-key", "ec.key", "-config", "cd.cnf",
	    "-subj", "/CN=forever.example.test", "-days", days9999,
	    "-extensions", "v3_ec", "-out", "y9999.pem");

	OSSL("x509", "-in", "leaf.pem", "-outform", "DER", "-out", "leaf.der");
	concat("chain.pem", "leaf.pem", "inter.pem", "root.pem", NULL);
	concat("inter+root.pem", "inter.pem", "root.pem", NULL);
	*state = NULL;
	return 0;
}

static int
teardown(void **state)
{
	tu_rmdir(dir);
	free(dir);
	return 0;
}

/* ---------------------------------------------------------------------- */

static void
test_leaf_fields(void **state)
{
	struct cert_bundle b = load_ok("leaf.pem", NULL, NULL), bi;
	const struct certrec *r, *ri;
	char *fp, *out = NULL;

	assert_int_equal(b.ngroups, 1);
	assert_int_equal(b.groups[0].n, 1);
	assert_null(b.groups[0].key);
	assert_null(b.note);
	r = rec_of(&b, 0, 0);
	assert_rec_clean(r);
	assert_string_equal(r->subject, "O=certdeck,CN=www.example.test");
	assert_string_equal(r->issuer, "O=certdeck,CN=Test Intermediate");
	assert_string_equal(r->subject_cn, "www.example.test");
	assert_string_equal(r->issuer_cn, "Test Intermediate");
	assert_string_equal(r->serial, "abcdef0123");
	assert_string_equal(r->sans, leaf_sans);
	assert_string_equal(r->key_type, "RSA");
	assert_int_equal(r->key_bits, 2048);
	assert_null(r->key_curve);
	assert_string_equal(r->sig_alg, "ecdsa-with-SHA256");
	assert_int_equal(r->is_ca, 0);
	assert_int_equal(r->path_len, -1);
	assert_string_equal(r->key_usage, "digitalSignature,keyEncipherment");
	assert_string_equal(r->ext_key_usage, "serverAuth,clientAuth,1.2.3.4.5");
	assert_string_equal(r->ocsp, "http://ocsp.example.test/");
	assert_string_equal(r->ca_issuers, "http://ca.example.test/inter.crt");
	assert_string_equal(r->crl_dp, "http://crl.example.test/inter.crl");
	assert_int_equal(r->must_staple, 1);
	assert_int_equal(r->self_signed, 0);
	assert_int_equal(r->version, 3);

	fp = openssl_fp("leaf.pem", "PEM");
	assert_non_null(fp);
	assert_string_equal(r->sha256, fp);
	free(fp);
	out = openssl_x509("leaf.pem", "PEM", "-sha1");
	assert_non_null(out);
	fp = fp_hex(out, "SHA1 Fingerprint=");
	assert_non_null(fp);
	assert_string_equal(r->sha1, fp);
	free(fp);
	free(out);
	out = NULL;
	assert_int_equal(r->not_before,
	    openssl_date("leaf.pem", "notBefore="));
	assert_int_equal(r->not_after,
	    openssl_date("leaf.pem", "notAfter="));

	/* SPKI hash per openssl: the DER public key, digested. */
	OSSL("pkey", "-in", "leaf.key", "-pubout", "-outform", "DER", "-out",
	    "leaf.spki");
	assert_int_equal(tu_run(dir, &out, "openssl", "dgst", "-sha256",
	    "-r", "leaf.spki", (char *)NULL), 0);
	assert_non_null(r->spki_sha256);
	assert_true(str_startswith(out, r->spki_sha256));
	free(out);

	/* AKI of the leaf is the SKI of its issuer, as openssl prints it. */
	bi = load_ok("inter.pem", NULL, NULL);
	ri = rec_of(&bi, 0, 0);
	assert_non_null(r->aki);
	assert_non_null(ri->ski);
	assert_string_equal(r->aki, ri->ski);
	assert_int_equal(strlen(ri->ski), 40);
	cert_bundle_free(&bi);
	cert_bundle_free(&b);
}

static void
test_ca_fields(void **state)
{
	struct cert_bundle b = load_ok("inter+root.pem", NULL, NULL);
	const struct certrec *inter, *root;

	/* Two CA certificates and no leaf: each its own group. */
	assert_int_equal(b.ngroups, 2);
	inter = rec_of(&b, 0, 0);
	root = rec_of(&b, 1, 0);
	assert_rec_clean(inter);
	assert_rec_clean(root);
	assert_int_equal(inter->is_ca, 1);
	assert_int_equal(inter->path_len, 0);
	assert_string_equal(inter->key_usage, "keyCertSign,cRLSign");
	assert_int_equal(inter->self_signed, 0);
	assert_string_equal(inter->key_type, "EC");
	assert_string_equal(inter->key_curve, "P-256");
	/* openssl x509 -req signs with SHA-256 whatever the curve. */
	assert_string_equal(inter->sig_alg, "ecdsa-with-SHA256");
	assert_string_equal(inter->aki, root->ski);
	assert_int_equal(root->is_ca, 1);
	assert_int_equal(root->path_len, -1);
	assert_int_equal(root->self_signed, 1);
	assert_string_equal(root->key_type, "EC");
	assert_string_equal(root->key_curve, "P-384");
	assert_int_equal(root->key_bits, 384);
	assert_string_equal(root->serial, "01");
	assert_string_equal(root->subject, root->issuer);
	assert_null(root->sans);
	assert_null(root->ext_key_usage);
	assert_int_equal(root->must_staple, 0);
	cert_bundle_free(&b);
}

static void
test_ed25519_self_signed(void **state)
{
	struct cert_bundle b = load_ok("ed.pem", NULL, NULL);
	const struct certrec *r = rec_of(&b, 0, 0);

	assert_string_equal(r->key_type, "ED25519");
	assert_null(r->key_curve);
	assert_string_equal(r->sig_alg, "ED25519");
	/* Self-signed even though keyUsage lacks keyCertSign. */
	assert_int_equal(r->self_signed, 1);
	assert_int_equal(r->is_ca, 0);
	assert_string_equal(r->key_usage, "digitalSignature");
	assert_string_equal(r->sans, "DNS:ed.example.test");
	assert_null(r->aki);
	cert_bundle_free(&b);
}

static void
test_ec_leaf(void **state)
{
	struct cert_bundle b = load_ok("ec.pem", NULL, NULL);
	const struct certrec *r = rec_of(&b, 0, 0);

	assert_string_equal(r->key_type, "EC");
	assert_string_equal(r->key_curve, "P-256");
	assert_int_equal(r->key_bits, 256);
	assert_string_equal(r->serial, "03");
	assert_null(r->key_usage);
	assert_null(r->ocsp);
	cert_bundle_free(&b);
}

static void
test_generalized_time(void **state)
{
	struct cert_bundle b = load_ok("y2052.pem", NULL, NULL), b9;
	const struct certrec *r = rec_of(&b, 0, 0);

	/* 2052 is past UTCTime's range: GeneralizedTime in the cert. */
	assert_true(r->not_after > 2524608000LL);	/* 2050-01-01 */
	assert_int_equal(r->not_after,
	    openssl_date("y2052.pem", "notAfter="));
	b9 = load_ok("y9999.pem", NULL, NULL);
	r = rec_of(&b9, 0, 0);
	assert_true(r->not_after > 253402300799LL - 86400);
	assert_true(r->not_after <= 253402300799LL);
	assert_int_equal(r->not_after,
	    openssl_date("y9999.pem", "notAfter="));
	cert_bundle_free(&b9);
	cert_bundle_free(&b);
}

/* A certificate built with the X509 API, for what openssl cannot make. */
static unsigned char *
api_cert(X509_NAME *subj, X509_NAME *iss, long serial, const char *nb,
    const char *na, const char *dns, size_t dnslen, size_t *len)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	ASN1_TIME *t = ASN1_TIME_new();
	unsigned char *der = NULL, *copy;
	int n;

	assert_non_null(pk);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial),
	    1);
	assert_int_equal(X509_set_subject_name(x, subj), 1);
	assert_int_equal(X509_set_issuer_name(x, iss), 1);
	assert_int_equal(ASN1_TIME_set_string(t, nb), 1);
	assert_int_equal(X509_set1_notBefore(x, t), 1);
	assert_int_equal(ASN1_TIME_set_string(t, na), 1);
	assert_int_equal(X509_set1_notAfter(x, t), 1);
	assert_int_equal(X509_set_pubkey(x, pk), 1);
	if (dns != NULL) {
		GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

		assert_int_equal(ASN1_STRING_set(ia5, dns, (int)dnslen), 1);
		GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		assert_true(sk_GENERAL_NAME_push(gens, gn) > 0);
		assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name,
		    gens, 0, X509V3_ADD_DEFAULT), 1);
		GENERAL_NAMES_free(gens);
	}
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	copy = xmalloc((size_t)n);
	memcpy(copy, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	ASN1_TIME_free(t);
	X509_free(x);
	EVP_PKEY_free(pk);
	return copy;
}

static void
add_entry(X509_NAME *name, int nid, int type, const char *bytes, size_t len)
{
	assert_int_equal(X509_NAME_add_entry_by_NID(name, nid, type,
	    (const unsigned char *)bytes, (int)len, -1, 0), 1);
}

static void
test_hostile_names(void **state)
{
	/* RFC 4514 specials, C0, ESC, DEL, C1 (U+009B), then CJK. */
	static const char cn[] = "a,b+c\"d\\e<f>g;h\n\x1b[31m\x7f\xc2\x9b"
	    "\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac";
	static const char want_cn[] = "a,b+c\"d\\e<f>g;h\\x0a\\x1b[31m\\x7f"
	    "\\xc2\\x9b\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac";
	/* Not UTF-8 at all: a lone 0xFF, an overlong '/', a cut sequence. */
	static const char dns[] = "\xff\xc0\xafx\n.\xe6\x97";
	X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();
	struct certrec r;
	char *cause = NULL, *big, *hit;
	unsigned char *der;
	size_t len;

	add_entry(subj, NID_organizationName, MBSTRING_ASC, "Org", 3);
	add_entry(subj, NID_commonName, V_ASN1_UTF8STRING, cn, sizeof cn - 1);
	/* T61String, read as Latin-1: U+009B (a C1 control) and U+00FF. */
	add_entry(subj, NID_organizationalUnitName, V_ASN1_T61STRING,
	    "\x9b\xff", 2);
	/* Issuer CN as a BMPString (UTF-16BE "h\u00e9"). */
	add_entry(iss, NID_commonName, V_ASN1_BMPSTRING, "\0h\0\xe9", 4);
	der = api_cert(subj, iss, -0x1234, "500101000000Z",
	    "99991231235959Z", dns, sizeof dns - 1, &len);
	assert_int_equal(cert_parse_der(der, len, &r, &cause), 0);
	assert_int_equal(ERR_peek_error(), 0);
	assert_rec_clean(&r);
	assert_string_equal(r.subject_cn, want_cn);
	assert_true(str_startswith(r.subject, "OU=\\xc2\\x9b\xc3\xbf,"
	    "CN=a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h\\0A\\1B[31m"));
	assert_non_null(strstr(r.subject, "\\xc2\\x9b\xc3\xa9\xe6\x97\xa5"));
	assert_true(str_endswith(r.subject, ",O=Org"));
	assert_string_equal(r.issuer_cn, "h\xc3\xa9");
	assert_string_equal(r.issuer, "CN=h\xc3\xa9");
	assert_string_equal(r.sans, "DNS:\\xff\\xc0\\xafx\\x0a.\\xe6\\x97");
	assert_string_equal(r.serial, "-1234");
	assert_int_equal(r.not_before, -631152000LL);	/* 1950-01-01 */
	assert_int_equal(r.not_after, 253402300799LL);	/* 9999-12-31 */
	assert_int_equal(r.self_signed, 0);
	certrec_free(&r);
	free(der);

	/*
	 * Invalid UTF-8 inside a UTF8String of a name: OpenSSL 3.0 refuses
	 * the whole certificate (it canonicalises names while decoding), so
	 * it must come back as a clean refusal. Patch it into the DER.
	 */
	X509_NAME_free(subj);
	subj = X509_NAME_new();
	add_entry(subj, NID_commonName, V_ASN1_UTF8STRING, "QQQQ", 4);
	der = api_cert(subj, iss, 5, "200101000000Z", "300101000000Z", NULL,
	    0, &len);
	hit = memmem(der, len, "QQQQ", 4);
	assert_non_null(hit);
	memcpy(hit, "\xff\xc0\xafQ", 4);
	assert_int_equal(cert_parse_der(der, len, &r, &cause), -1);
	assert_true(str_startswith(cause, "not a valid X.509 certificate: "));
	assert_true(is_clean(cause));
	assert_int_equal(ERR_peek_error(), 0);
	free(cause);
	cause = NULL;
	free(der);

	/* A 10000-byte CN is cut to the field limit and marked; serial 0;
	 * UTCTime 2049 and GeneralizedTime 2051 around the 2050 switch. */
	X509_NAME_free(subj);
	subj = X509_NAME_new();
	big = xmalloc(10000);
	memset(big, 'a', 10000);
	add_entry(subj, NID_commonName, V_ASN1_UTF8STRING, big, 10000);
	der = api_cert(subj, iss, 0, "491231235959Z", "20510101000000Z",
	    NULL, 0, &len);
	assert_int_equal(cert_parse_der(der, len, &r, &cause), 0);
	assert_rec_clean(&r);
	assert_true(strlen(r.subject_cn) <= 4096);
	assert_true(strlen(r.subject_cn) > 4000);
	assert_true(str_endswith(r.subject_cn, "aaa..."));
	assert_true(strlen(r.subject) <= 4096);
	assert_true(str_endswith(r.subject, "..."));
	assert_string_equal(r.serial, "0");
	assert_int_equal(r.not_before, 2524607999LL);	/* 2049-12-31 23:59:59 */
	assert_int_equal(r.not_after, 2556144000LL);	/* 2051-01-01 */
	certrec_free(&r);
	free(der);

	free(big);
	X509_NAME_free(subj);
	X509_NAME_free(iss);
}

static void
test_pem_text_around_and_eff(void **state)
{
	struct cert_bundle b;
	struct certfile cf;
	char *data, *cause = NULL;
	size_t len;

	concat("wrapped.pem", "\"Subject: the chain\nsome notes\n\n",
	    "leaf.pem", "\"-- in between --\n", "inter.pem", "root.pem",
	    "\"trailing words, no newline", NULL);
	b = load_ok("wrapped.pem", NULL, NULL);
	assert_int_equal(b.ngroups, 1);
	assert_int_equal(b.groups[0].n, 3);
	assert_string_equal(rec_of(&b, 0, 0)->subject_cn, "www.example.test");
	assert_string_equal(rec_of(&b, 0, 1)->subject_cn, "Test Intermediate");
	assert_string_equal(rec_of(&b, 0, 2)->subject_cn, "Test Root");
	cert_bundle_free(&b);

	/* The intermediate (30 days) expires before the leaf (365). */
	data = slurp("wrapped.pem", &len);
	assert_int_equal(cert_parse_pem_file(data, len, &cf, &cause), 0);
	assert_int_equal(ERR_peek_error(), 0);
	assert_int_equal(cf.n, 3);
	assert_true(cf.certs[1].not_after < cf.certs[0].not_after);
	assert_int_equal(cf.eff_not_after, cf.certs[1].not_after);
	assert_int_equal(cf.eff_not_after,
	    openssl_date("inter.pem", "notAfter="));
	assert_non_null(cf.eff_from);
	assert_string_equal(cf.eff_from, "Test Intermediate");
	certfile_free(&cf);
	free(data);

	/* Leaf and root: the leaf sets it, so no eff_from. */
	concat("leaf+root.pem", "leaf.pem", "root.pem", NULL);
	data = slurp("leaf+root.pem", &len);
	assert_int_equal(cert_parse_pem_file(data, len, &cf, &cause), 0);
	assert_int_equal(cf.n, 2);
	assert_int_equal(cf.eff_not_after, cf.certs[0].not_after);
	assert_null(cf.eff_from);
	certfile_free(&cf);
	free(data);

	/* No certificate, and a damaged one. */
	assert_int_equal(cert_parse_pem_file("hello\n", 6, &cf, &cause), -1);
	assert_string_equal(cause, "no certificate found");
	assert_int_equal(cf.n, 0);
	free(cause);
	cause = NULL;
	data = slurp("leaf.pem", &len);
	data[100] = '!';
	assert_int_equal(cert_parse_pem_file(data, len, &cf, &cause), -1);
	assert_true(str_startswith(cause, "invalid PEM"));
	assert_int_equal(ERR_peek_error(), 0);
	free(cause);
	cause = NULL;
	free(data);
}

static void
test_der(void **state)
{
	struct cert_bundle b = load_ok("leaf.der", NULL, NULL), bp;
	struct certrec r;
	unsigned char *der;
	char *cause = NULL, *pem, *want;
	size_t len, wlen;

	bp = load_ok("leaf.pem", NULL, NULL);
	assert_int_equal(b.ngroups, 1);
	assert_int_equal(b.groups[0].n, 1);
	assert_string_equal(rec_of(&b, 0, 0)->sha256, rec_of(&bp, 0, 0)->sha256);
	der = (unsigned char *)slurp("leaf.der", &len);
	assert_int_equal(b.groups[0].items[0].der_len, len);
	assert_memory_equal(b.groups[0].items[0].der, der, len);

	/* DER back to PEM: byte for byte what openssl writes. */
	pem = cert_der_to_pem(der, len);
	want = slurp("leaf.pem", &wlen);
	assert_string_equal(pem, want);
	free(pem);
	free(want);

	assert_int_equal(cert_parse_der(der, len, &r, &cause), 0);
	assert_string_equal(r.sha256, rec_of(&bp, 0, 0)->sha256);
	certrec_free(&r);

	/* Truncated, and with something after it. */
	assert_int_equal(cert_parse_der(der, len / 2, &r, &cause), -1);
	assert_true(str_startswith(cause, "not a valid X.509 certificate: "));
	assert_null(r.subject);
	assert_int_equal(ERR_peek_error(), 0);
	free(cause);
	cause = NULL;
	der = xrealloc(der, len + 3);
	memcpy(der + len, "xyz", 3);
	assert_int_equal(cert_parse_der(der, len + 3, &r, &cause), -1);
	assert_string_equal(cause,
	    "not a valid X.509 certificate: 3 bytes of trailing data");
	free(cause);
	cause = NULL;
	assert_int_equal(cert_parse_der(der, 0, &r, &cause), -1);
	free(cause);
	cause = NULL;

	spew("half.der", der, len / 2);
	load_refused("half.der", NULL, "truncated or invalid DER");
	/* Two DER certificates back to back. */
	concat("two.der", "leaf.der", "leaf.der", NULL);
	cert_bundle_free(&b);
	b = load_ok("two.der", NULL, NULL);
	assert_int_equal(b.ngroups, 1);
	assert_int_equal(b.groups[0].n, 1);	/* the duplicate collapses */
	cert_bundle_free(&b);
	cert_bundle_free(&bp);
	free(der);

	{
		char out[65];

		cert_sha256_hex("abc", 3, out);
		assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
		    "b00361a396177a9cb410ff61f20015ad");
	}
}

static void
test_pkcs7(void **state)
{
	struct cert_bundle b;
	const char *forms[] = { "DER", "PEM" };
	size_t i;

	for (i = 0; i < nitems(forms); i++) {
		OSSL("crl2pkcs7", "-nocrl", "-certfile", "chain.pem",
		    "-outform", forms[i], "-out", "chain.p7b");
		b = load_ok("chain.p7b", NULL, NULL);
		assert_int_equal(b.ngroups, 1);
		assert_int_equal(b.groups[0].n, 3);
		assert_string_equal(rec_of(&b, 0, 0)->subject_cn,
		    "www.example.test");
		assert_string_equal(rec_of(&b, 0, 2)->subject_cn, "Test Root");
		cert_bundle_free(&b);
	}
	/* A CMS signed message carries certificates too. */
	spew("msg.txt", "hello\n", 6);
	OSSL("cms", "-sign", "-in", "msg.txt", "-signer", "leaf.pem",
	    "-inkey", "leaf.key", "-certfile", "inter.pem", "-outform", "PEM",
	    "-out", "msg.cms");
	b = load_ok("msg.cms", NULL, NULL);
	{
		size_t g, n = 0, leaf = 0;

		for (g = 0; g < b.ngroups; g++) {
			n += b.groups[g].n;
			if (strcmp(rec_of(&b, g, 0)->subject_cn,
			    "www.example.test") == 0)
				leaf++;
		}
		assert_int_equal(n, 2);
		assert_int_equal(leaf, 1);
	}
	cert_bundle_free(&b);
	/* TRUSTED CERTIFICATE: the same certificate, trust settings after. */
	OSSL("x509", "-in", "root.pem", "-trustout", "-addtrust", "serverAuth",
	    "-out", "trusted.pem");
	b = load_ok("trusted.pem", NULL, NULL);
	{
		struct cert_bundle br = load_ok("root.pem", NULL, NULL);

		assert_string_equal(rec_of(&b, 0, 0)->sha256,
		    rec_of(&br, 0, 0)->sha256);
		cert_bundle_free(&br);
	}
	cert_bundle_free(&b);
}

/* The stored key is encrypted PKCS#8, opens with pass and fits the leaf. */
static void
check_stored_key(const struct cert_group *g, const char *pass, int full)
{
	const struct cert_item *leaf = &g->items[0];
	const unsigned char *p = leaf->der;
	EVP_PKEY *pk;
	X509 *x;
	BIO *bio;
	char *out = NULL;

	assert_non_null(g->key);
	assert_true(str_startswith(g->key->pem,
	    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
	assert_int_equal(strlen(g->key->pem), g->key->len);
	bio = BIO_new_mem_buf(g->key->pem, (int)g->key->len);
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)pass);
	assert_non_null(pk);
	x = d2i_X509(NULL, &p, (long)leaf->der_len);
	assert_non_null(x);
	assert_int_equal(X509_check_private_key(x, pk), 1);
	X509_free(x);
	EVP_PKEY_free(pk);
	BIO_free(bio);

	/* Each decryption costs a real key derivation: the rest once. */
	if (!full)
		return;
	bio = BIO_new_mem_buf(g->key->pem, (int)g->key->len);
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"wrong");
	assert_null(pk);
	ERR_clear_error();
	BIO_free(bio);
	/* The openssl command agrees, and sees PBES2 with AES-256. */
	spew("stored.key", g->key->pem, g->key->len);
	{
		char *arg = xasprintf("pass:%s", pass);

		OSSL("pkey", "-in", "stored.key", "-passin", arg, "-noout");
		free(arg);
	}
	assert_int_equal(tu_run(dir, &out, "openssl", "asn1parse", "-in",
	    "stored.key", (char *)NULL), 0);
	assert_non_null(strstr(out, "PBES2"));
	assert_non_null(strstr(out, "aes-256-cbc"));
	free(out);
}

static void
test_pkcs12(void **state)
{
	struct cert_bundle b;
	char *cause;

	OSSL("pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key",
	    "-certfile", "inter+root.pem", "-passout", "pass:secret", "-out",
	    "pw.p12");
	/* No key passphrase: certificates in, key dropped with a note. */
	b = load_ok("pw.p12", "secret", NULL);
	assert_int_equal(b.ngroups, 1);
	assert_int_equal(b.groups[0].n, 3);
	assert_string_equal(rec_of(&b, 0, 0)->subject_cn, "www.example.test");
	assert_null(b.groups[0].key);
	assert_non_null(b.note);
	assert_string_equal(b.note, "private key not stored: no passphrase "
	    "configured (set CERTDECK_PASSPHRASE_FILE)");
	cert_bundle_free(&b);
	/* An empty key passphrase counts as none. */
	b = load_ok("pw.p12", "secret", "");
	assert_null(b.groups[0].key);
	assert_non_null(b.note);
	cert_bundle_free(&b);
	/* With one: kept, re-encrypted with it. */
	b = load_ok("pw.p12", "secret", "keypass");
	assert_int_equal(b.ngroups, 1);
	assert_null(b.note);
	check_stored_key(&b.groups[0], "keypass", 1);
	cert_bundle_free(&b);

	load_refused("pw.p12", "nope",
	    "PKCS#12: wrong passphrase or unsupported encryption");
	load_refused("pw.p12", NULL,
	    "PKCS#12: wrong passphrase or unsupported encryption");

	/* Empty password, and no MAC or encryption at all. */
	OSSL("pkcs12", "-export", "-in", "leaf.pem", "-inkey", "leaf.key",
	    "-passout", "pass:", "-out", "empty.p12");
	b = load_ok("empty.p12", NULL, NULL);
	assert_int_equal(b.groups[0].n, 1);
	cert_bundle_free(&b);
	b = load_ok("empty.p12", "unused", NULL);
	cert_bundle_free(&b);
	OSSL("pkcs12", "-export", "-in", "chain.pem", "-nokeys", "-nomac",
	    "-certpbe", "NONE", "-passout", "pass:", "-out", "plain.p12");
	b = load_ok("plain.p12", NULL, NULL);
	assert_int_equal(b.ngroups, 1);
	assert_int_equal(b.groups[0].n, 3);
	assert_null(b.note);
	cert_bundle_free(&b);

	/* RC2-40 (pre-OpenSSL-3 default): the right passphrase is not enough. */
	if (tu_run(dir, NULL, "openssl", "pkcs12", "-export", "-legacy", "-in",
	    "leaf.pem", "-inkey", "leaf.key", "-passout", "pass:secret",
	    "-out", "legacy.p12", (char *)NULL) == 0) {
		if (load("legacy.p12", "secret", NULL, &b, &cause) == 0)
			cert_bundle_free(&b);	/* legacy provider loaded */
		else {
			assert_true(str_startswith(cause, "PKCS#12: "));
			free(cause);
			cause = NULL;
		}
	}
}

static void
test_keys_in_pem(void **state)
{
	struct cert_bundle b;

	concat("withkey.pem", "leaf.pem", "leaf.key", "inter.pem", NULL);
	b = load_ok("withkey.pem", NULL, NULL);
	assert_int_equal(b.groups[0].n, 2);
	assert_null(b.groups[0].key);
	assert_non_null(strstr(b.note, "CERTDECK_PASSPHRASE_FILE"));
	cert_bundle_free(&b);
	b = load_ok("withkey.pem", NULL, "kp1");
	check_stored_key(&b.groups[0], "kp1", 0);
	assert_null(b.note);
	cert_bundle_free(&b);

	/* A key that fits no certificate here is not kept. */
	concat("wrongkey.pem", "leaf.pem", "ec.key", NULL);
	b = load_ok("wrongkey.pem", NULL, "kp1");
	assert_null(b.groups[0].key);
	assert_non_null(b.note);
	assert_non_null(strstr(b.note, "matches no certificate"));
	cert_bundle_free(&b);

	/* Encrypted in the input: opened with the input passphrase. */
	OSSL("pkey", "-in", "ec.key", "-aes256", "-passout", "pass:inpass",
	    "-out", "ec-enc.key");
	concat("ecenc.pem", "ec-enc.key", "ec.pem", NULL);
	b = load_ok("ecenc.pem", "inpass", "kp2");
	assert_int_equal(b.ngroups, 1);
	check_stored_key(&b.groups[0], "kp2", 0);
	cert_bundle_free(&b);
	b = load_ok("ecenc.pem", NULL, "kp2");
	assert_null(b.groups[0].key);
	assert_non_null(strstr(b.note, "cannot decrypt"));
	cert_bundle_free(&b);
	/* Old "Proc-Type: 4,ENCRYPTED" RSA PRIVATE KEY. */
	OSSL("pkey", "-in", "leaf.key", "-traditional", "-aes128", "-passout",
	    "pass:inpass", "-out", "leaf-trad.key");
	concat("trad.pem", "leaf.pem", "leaf-trad.key", NULL);
	{
		size_t len;
		char *d = slurp("leaf-trad.key", &len);

		assert_non_null(strstr(d, "Proc-Type: 4,ENCRYPTED"));
		free(d);
	}
	b = load_ok("trad.pem", "inpass", "kp3");
	check_stored_key(&b.groups[0], "kp3", 0);
	cert_bundle_free(&b);
}

static void
test_refusals(void **state)
{
	static const char crl_cnf[] = "[ca]\ndefault_ca = d\n[d]\n"
	    "database = index.txt\ndefault_md = default\n"
	    "default_crl_days = 1\n";
	static const unsigned char noise[] = { 0x17, 0x03, 0x03, 0xff, 0x00,
	    0x9a, 0x30, 0x82, 0x01, 0xc3, 0x0d, 0x0a, 0x88 };
	struct cert_bundle b;
	char *cause = NULL, *d;
	size_t len;

	load_refused("leaf.key", NULL, "a private key, not a certificate");
	OSSL("pkey", "-in", "leaf.key", "-outform", "DER", "-out", "key.der");
	load_refused("key.der", NULL, "a private key, not a certificate");
	load_refused("ec-enc.key", NULL, "a private key, not a certificate");
	OSSL("pkcs8", "-topk8", "-in", "ec.key", "-v2", "aes256", "-passout",
	    "pass:x", "-outform", "DER", "-out", "enc.der");
	load_refused("enc.der", NULL, "a private key, not a certificate");
	load_refused("leaf.csr", NULL,
	    "a certificate request (CSR), not a certificate");
	OSSL("req", "-in", "leaf.csr", "-outform", "DER", "-out", "csr.der");
	load_refused("csr.der", NULL,
	    "a certificate request (CSR), not a certificate");

	spew("index.txt", "", 0);
	spew("crl.cnf", crl_cnf, strlen(crl_cnf));
	spew("empty", "", 0);
	load_refused("empty", NULL, "empty input");
	spew("blank", " \n\n\t\r\n", 6);
	load_refused("blank", NULL, "empty input");
	spew("text", "just some words\nand more\n", 25);
	load_refused("text", NULL, "no certificate found");
	spew("noise", noise, sizeof noise);
	load_refused("noise", NULL, "no certificate found");
	d = slurp("leaf.pem", &len);
	spew("cut.pem", d, len / 2);	/* no END line */
	load_refused("cut.pem", NULL, "invalid PEM: ");
	d[200] = '*';			/* not base64 */
	spew("bad64.pem", d, len);
	load_refused("bad64.pem", NULL, "invalid PEM: ");
	free(d);
	OSSL("ca", "-gencrl", "-keyfile", "ed.key", "-cert", "ed.pem",
	    "-config", "crl.cnf", "-out", "ed.crl");
	load_refused("ed.crl", NULL, "no certificate found");
	OSSL("crl", "-in", "ed.crl", "-outform", "DER", "-out", "crl.der");
	load_refused("crl.der", NULL, "no certificate found (a CRL)");
	/* PEM of something else entirely. */
	OSSL("pkey", "-in", "ec.key", "-pubout", "-out", "pub.pem");
	load_refused("pub.pem", NULL, "no certificate found");

	/* A NULL input counts as empty. */
	assert_int_equal(cert_load(NULL, 0, NULL, NULL, &b, &cause), -1);
	assert_string_equal(cause, "empty input");
	free(cause);
	cause = NULL;
}

static void
test_grouping(void **state)
{
	struct cert_bundle b;

	/*
	 * root (alone) | leaf + inter | ec + inter + root | leaf again
	 * (continues leaf's group, nothing new).
	 */
	concat("mixed.pem", "root.pem", "leaf.pem", "inter.pem", "ec.pem",
	    "inter.pem", "root.pem", "leaf.pem", NULL);
	b = load_ok("mixed.pem", NULL, NULL);
	assert_int_equal(b.ngroups, 3);
	assert_int_equal(b.groups[0].n, 1);
	assert_string_equal(rec_of(&b, 0, 0)->subject_cn, "Test Root");
	assert_int_equal(b.groups[1].n, 2);
	assert_string_equal(rec_of(&b, 1, 0)->subject_cn, "www.example.test");
	assert_string_equal(rec_of(&b, 1, 1)->subject_cn, "Test Intermediate");
	assert_int_equal(b.groups[2].n, 3);
	assert_string_equal(rec_of(&b, 2, 0)->subject_cn, "ec.example.test");
	assert_string_equal(rec_of(&b, 2, 2)->subject_cn, "Test Root");
	cert_bundle_free(&b);

	/* Duplicates inside one chain collapse; a repeated CA alone too. */
	concat("dups.pem", "leaf.pem", "inter.pem", "inter.pem", NULL);
	b = load_ok("dups.pem", NULL, NULL);
	assert_int_equal(b.ngroups, 1);
	assert_int_equal(b.groups[0].n, 2);
	cert_bundle_free(&b);
	concat("roots.pem", "root.pem", "root.pem", NULL);
	b = load_ok("roots.pem", NULL, NULL);
	assert_int_equal(b.ngroups, 1);
	assert_int_equal(b.groups[0].n, 1);
	cert_bundle_free(&b);
	/* Two leaves, two groups, each key to its own leaf. */
	concat("two.pem", "ec.key", "leaf.pem", "ec.pem", "leaf.key", NULL);
	b = load_ok("two.pem", NULL, "kp");
	assert_int_equal(b.ngroups, 2);
	check_stored_key(&b.groups[0], "kp", 0);
	check_stored_key(&b.groups[1], "kp", 0);
	assert_null(b.note);
	cert_bundle_free(&b);
}

/* Damaged input never crashes and never yields unclean strings. */
static void
test_mutations(void **state)
{
	struct cert_bundle b;
	struct certrec r;
	unsigned char *der, *m;
	char *cause;
	size_t len, i, g, k;
	int ok = 0, bad = 0;

	der = (unsigned char *)slurp("leaf.der", &len);
	m = xmalloc(len);
	for (i = 0; i < len; i++) {
		memcpy(m, der, len);
		m[i] ^= (i % 2) ? 0xff : 0x01;
		cause = NULL;
		if (cert_parse_der(m, len, &r, &cause) == 0) {
			assert_rec_clean(&r);
			certrec_free(&r);
			ok++;
		} else {
			assert_non_null(cause);
			assert_null(r.subject);
			free(cause);
			cause = NULL;
			bad++;
		}
		assert_int_equal(ERR_peek_error(), 0);
		cause = NULL;
		if (cert_load(m, i + 1, NULL, NULL, &b, &cause) == 0) {
			for (g = 0; g < b.ngroups; g++)
				for (k = 0; k < b.groups[g].n; k++)
					assert_rec_clean(rec_of(&b, g, k));
			cert_bundle_free(&b);
		} else
			free(cause);
		assert_int_equal(ERR_peek_error(), 0);
	}
	/* Both outcomes happen: the mutations reach the parser. */
	assert_true(ok > 0);
	assert_true(bad > 0);
	free(m);
	free(der);
}

/* ---------------------------------------------------------------------- */
/* The shared seed corpus. */

static const struct {
	const char	*manifest;	/* first word of public_key */
	const char	*key_type;
} seed_keys[] = {
	{ "rsaEncryption", "RSA" },
	{ "rsassaPss", "RSA-PSS" },
	{ "id-ecPublicKey", "EC" },
	{ "dsaEncryption", "DSA" },
	{ "ED25519", "ED25519" },
	{ "ED448", "ED448" },
	{ "X25519", "X25519" },
	{ "X448", "X448" },
	{ "2.16.840.1.101.3.4.3.17", "ML-DSA-44" },
	{ "2.16.840.1.101.3.4.3.18", "ML-DSA-65" },
	{ "2.16.840.1.101.3.4.3.19", "ML-DSA-87" },
	{ "2.16.840.1.101.3.4.4.1", "ML-KEM-512" },
	{ "2.16.840.1.101.3.4.4.2", "ML-KEM-768" },
	{ "2.16.840.1.101.3.4.4.3", "ML-KEM-1024" },
};

/* Check the key columns ("rsaEncryption 2048", "id-ecPublicKey 256 P-256"). */
static void
seed_check_key(const char *file, const char *pubkey, const struct certrec *r)
{
	struct strv w;
	size_t i;

	strv_init(&w);
	strv_split(&w, pubkey, ' ');
	if (w.n == 0 || str_startswith(pubkey, "GOST")) {
		assert_non_null(r->key_type);	/* named, whatever the name */
		strv_free(&w);
		return;
	}
	for (i = 0; i < nitems(seed_keys); i++)
		if (strcmp(w.v[0], seed_keys[i].manifest) == 0)
			break;
	if (i == nitems(seed_keys))
		fail_msg("%s: unexpected key \"%s\" in the manifest", file,
		    pubkey);
	if (strcmp(r->key_type, seed_keys[i].key_type) != 0)
		fail_msg("%s: key %s, manifest %s", file, r->key_type, pubkey);
	if (w.n >= 2 && atoi(w.v[1]) != r->key_bits)
		fail_msg("%s: %d bits, manifest %s", file, r->key_bits, pubkey);
	if (w.n >= 3 && (r->key_curve == NULL ||
	    strcmp(r->key_curve, w.v[2]) != 0))
		fail_msg("%s: curve %s, manifest %s", file,
		    r->key_curve ? r->key_curve : "(none)", pubkey);
	strv_free(&w);
}

/* Distinct CERTIFICATE blocks in PEM text, compared as text. */
static size_t
pem_distinct(const char *pem)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	const char *p = pem, *q;
	struct strv blocks;
	size_t n;

	strv_init(&blocks);
	while ((p = strstr(p, begin)) != NULL &&
	    (q = strstr(p, end)) != NULL) {
		strv_addn(&blocks, xstrndup(p, (size_t)(q - p)));
		p = q;
	}
	strv_sort(&blocks);
	strv_uniq(&blocks);
	n = blocks.n;
	strv_free(&blocks);
	return n;
}

static void
test_seed_corpus(void **state)
{
	char *manifest = tu_seed_path("MANIFEST.tsv"), *text, *line, *nl;
	char *cause, *data, *fp, *subj, *out, filehash[65];
	struct cert_bundle b;
	struct strv col;
	size_t len, dlen, ncerts, g, nfile = 0, nok = 0, nrefused = 0, nmldsa = 0;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen, i;
	int rc, single;

	assert_non_null(manifest);
	if (read_file(manifest, CERT_MAX_FILE, &text, &len, &cause) != 0)
		fail_msg("%s: %s", manifest, cause);
	line = strchr(text, '\n');	/* skip the header */
	assert_non_null(line);
	for (line++; *line != '\0'; line = nl) {
		char *seed = NULL, *rel, *p;
		const char *inform;

		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		if (*line == '\0')
			continue;
		/* seed_file source origin format parse sig_alg public_key sha256 */
		strv_init(&col);
		for (p = line;;) {
			char *tab = strchr(p, '\t');

			strv_addn(&col, tab ? xstrndup(p, (size_t)(tab - p)) :
			    xstrdup(p));
			if (tab == NULL)
				break;
			p = tab + 1;
		}
		assert_int_equal(col.n, 8);
		nfile++;
		/* Absolute: openssl runs in the scratch directory. */
		if ((rel = tu_seed_path(col.v[0])) == NULL ||
		    (seed = realpath(rel, NULL)) == NULL)
			fail_msg("seed %s missing", col.v[0]);
		free(rel);
		if (read_file(seed, CERT_MAX_FILE, &data, &dlen, &cause) != 0)
			fail_msg("%s: %s", seed, cause);

		/* The manifest's sha256 is of the file's bytes (checked
		 * by hand: for PEM it is not the certificate's). */
		assert_int_equal(EVP_Digest(data, dlen, md, &mdlen,
		    EVP_sha256(), NULL), 1);
		for (i = 0; i < mdlen; i++)
			snprintf(filehash + 2 * i, 3, "%02x", md[i]);
		if (strcmp(filehash, col.v[7]) != 0)
			fail_msg("%s: file differs from the manifest", seed);

		cause = NULL;
		rc = cert_load((unsigned char *)data, dlen, NULL, NULL, &b,
		    &cause);
		assert_int_equal(ERR_peek_error(), 0);
		if (rc != 0) {
			if (cause == NULL || *cause == '\0' ||
			    strchr(cause, '\n') != NULL)
				fail_msg("%s: refused without a reason", seed);
			/* OpenSSL 3.0 rejects exactly these. */
			if (strcmp(col.v[4], "FAIL") != 0)
				fail_msg("%s: refused: %s", seed, cause);
			nrefused++;
			free(cause);
			cause = NULL;
			goto next;
		}
		if (strcmp(col.v[4], "ok") != 0)
			fail_msg("%s: loaded, manifest says FAIL", seed);
		nok++;
		assert_true(b.ngroups >= 1);
		for (ncerts = 0, g = 0; g < b.ngroups; g++) {
			size_t k;

			ncerts += b.groups[g].n;
			for (k = 0; k < b.groups[g].n; k++)
				assert_rec_clean(rec_of(&b, g, k));
		}
		single = strstr(col.v[3], "multi") == NULL;
		if (single)
			assert_int_equal(ncerts, 1);
		else if (ncerts != pem_distinct(data))
			fail_msg("%s: %zu certificates, %zu distinct in the "
			    "file", seed, ncerts, pem_distinct(data));

		/* The first certificate in the file is items[0] of group 0. */
		inform = strcmp(col.v[3], "DER") == 0 ? "DER" : "PEM";
		if (single && strcmp(inform, "DER") == 0)
			assert_string_equal(rec_of(&b, 0, 0)->sha256, col.v[7]);
		if ((out = openssl_x509(seed, inform, "-sha256")) == NULL)
			fail_msg("%s: openssl cannot read it", seed);
		fp = fp_hex(out, "SHA256 Fingerprint=");
		subj = field(out, "subject=");
		assert_non_null(fp);
		assert_non_null(subj);
		if (strcmp(fp, rec_of(&b, 0, 0)->sha256) != 0)
			fail_msg("%s: sha256 %s, openssl %s", seed,
			    rec_of(&b, 0, 0)->sha256, fp);
		if (strcmp(subj, rec_of(&b, 0, 0)->subject) != 0)
			fail_msg("%s: subject \"%s\", openssl \"%s\"", seed,
			    rec_of(&b, 0, 0)->subject, subj);
		free(fp);
		free(subj);
		free(out);
		if (strcmp(col.v[5], rec_of(&b, 0, 0)->sig_alg) != 0)
			fail_msg("%s: sig_alg %s, manifest %s", seed,
			    rec_of(&b, 0, 0)->sig_alg, col.v[5]);
		seed_check_key(seed, col.v[6], rec_of(&b, 0, 0));
		if (str_startswith(col.v[6], "2.16.840.1.101.3.4.3.1")) {
			assert_true(str_startswith(rec_of(&b, 0, 0)->key_type,
			    "ML-DSA-"));
			nmldsa++;
		}
		cert_bundle_free(&b);
next:
		free(data);
		free(seed);
		strv_free(&col);
	}
	/* The corpus as its README describes it. */
	assert_int_equal(nfile, 291);
	assert_int_equal(nrefused, 2);
	assert_int_equal(nok, 289);
	assert_int_equal(nmldsa, 3);
	free(text);
	free(manifest);
}

/*
 * cert_thread_begin: a helper thread parses in a library context of its
 * own (not the default one) and gets what the calling thread gets, for
 * every seed of the corpus and for a PKCS#12 whose key is re-encrypted.
 */
struct thread_run {
	struct strv	 files;		/* paths */
	struct strv	 out;		/* one summary per file */
	int		 slot;
	int		 own_ctx;	/* the default context was not global */
	struct cert_bundle kept;	/* the one with a key, checked here */
};

/* A file's records in one line. A key is checked here, or (keep set: on
   a helper thread) its bundle is kept for the calling thread to check:
   OpenSSL 3.0 leaks a little when a PEM key is opened with a passphrase
   in a context of a thread's own, and the check writes a scratch file. */
static char *
summary(const char *file, const char *p12, const char *kp,
    struct cert_bundle *keep)
{
	struct cert_bundle b;
	struct buf s;
	char *data, *cause = NULL;
	size_t len, g, k;

	buf_init(&s);
	if (read_file(file, CERT_MAX_FILE, &data, &len, &cause) != 0)
		fail_msg("%s: %s", file, cause);
	if (cert_load((unsigned char *)data, len, p12, kp, &b, &cause) != 0) {
		buf_printf(&s, "refused: %s", cause);
		free(cause);
	} else {
		for (g = 0; g < b.ngroups; g++) {
			for (k = 0; k < b.groups[g].n; k++) {
				const struct certrec *r =
				    &b.groups[g].items[k].rec;

				buf_printf(&s, "%zu.%zu %s %s %s %s %d;", g, k,
				    r->sha256, r->subject, r->key_type,
				    r->sig_alg, r->key_bits);
			}
			if (b.groups[g].key != NULL) {
				if (keep == NULL)
					check_stored_key(&b.groups[g], kp, 1);
				buf_printf(&s, "key;");
			}
		}
		if (keep != NULL && b.ngroups > 0 && b.groups[0].key != NULL) {
			cert_bundle_free(keep);
			*keep = b;
		} else
			cert_bundle_free(&b);
	}
	ERR_clear_error();
	free(data);
	return buf_steal(&s);
}

static void *
thread_main(void *arg)
{
	struct thread_run *t = arg;
	OSSL_LIB_CTX *cur;
	size_t i;

	t->slot = cert_thread_begin();
	cur = OSSL_LIB_CTX_set0_default(NULL);	/* peek, then restore */
	OSSL_LIB_CTX_set0_default(cur);
	t->own_ctx = cur != NULL && cur != OSSL_LIB_CTX_get0_global_default();
	for (i = 0; i < t->files.n; i++)
		strv_addn(&t->out, summary(t->files.v[i],
		    strstr(t->files.v[i], ".p12") ? "secret" : NULL,
		    strstr(t->files.v[i], ".p12") ? "keypass" : NULL,
		    &t->kept));
	cert_thread_end(t->slot);
	return NULL;
}

static void
test_thread_context(void **state)
{
	struct thread_run t[2];
	char *manifest = tu_seed_path("MANIFEST.tsv"), *text, *line, *nl;
	char *cause = NULL, *tab, *rel;
	pthread_t th[2];
	size_t len, i, k;

	(void)state;
	memset(t, 0, sizeof t);
	strv_init(&t[0].files);
	assert_non_null(manifest);
	if (read_file(manifest, CERT_MAX_FILE, &text, &len, &cause) != 0)
		fail_msg("%s: %s", manifest, cause);
	line = strchr(text, '\n');
	for (line++; *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = '\0';
		assert_non_null(rel = tu_seed_path(line));
		strv_addn(&t[0].files, rel);
	}
	strv_addn(&t[0].files, path("pw.p12"));
	assert_true(t[0].files.n > 250);
	strv_init(&t[1].files);
	for (i = 0; i < t[0].files.n; i++)
		strv_add(&t[1].files, t[0].files.v[i]);
	/* Two helpers at once: two slots, two contexts. */
	for (k = 0; k < 2; k++) {
		strv_init(&t[k].out);
		assert_int_equal(pthread_create(&th[k], NULL, thread_main,
		    &t[k]), 0);
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(pthread_join(th[k], NULL), 0);
		assert_true(t[k].slot >= 0);
		assert_true(t[k].own_ctx);
	}
	assert_int_not_equal(t[0].slot, t[1].slot);
	/* The same as on this thread, in the default context. */
	for (i = 0; i < t[0].files.n; i++) {
		char *want = summary(t[0].files.v[i],
		    strstr(t[0].files.v[i], ".p12") ? "secret" : NULL,
		    strstr(t[0].files.v[i], ".p12") ? "keypass" : NULL, NULL);

		for (k = 0; k < 2; k++)
			if (strcmp(t[k].out.v[i], want) != 0)
				fail_msg("%s: thread %zu: \"%s\", here \"%s\"",
				    t[0].files.v[i], k, t[k].out.v[i], want);
		free(want);
	}
	assert_non_null(strstr(t[0].out.v[t[0].files.n - 1], "key;"));
	for (k = 0; k < 2; k++) {	/* the keys made on the helpers */
		assert_true(t[k].kept.ngroups > 0);
		check_stored_key(&t[k].kept.groups[0], "keypass", 1);
		cert_bundle_free(&t[k].kept);
	}
	/* The slots are free again, and the contexts kept for reuse. */
	k = (size_t)cert_thread_begin();
	assert_true(k == 0 || k == 1);
	cert_thread_end((int)k);
	for (k = 0; k < 2; k++) {
		strv_free(&t[k].files);
		strv_free(&t[k].out);
	}
	free(text);
	free(manifest);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf_fields),
		cmocka_unit_test(test_ca_fields),
		cmocka_unit_test(test_ed25519_self_signed),
		cmocka_unit_test(test_ec_leaf),
		cmocka_unit_test(test_generalized_time),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_pem_text_around_and_eff),
		cmocka_unit_test(test_der),
		cmocka_unit_test(test_pkcs7),
		cmocka_unit_test(test_pkcs12),
		cmocka_unit_test(test_keys_in_pem),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_seed_corpus),
		cmocka_unit_test(test_thread_context),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
