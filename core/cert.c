/*
 * cert.c: certificates from bytes. Decodes X.509 with OpenSSL into plain
 * records (store/certrec.h) and recognises what an input holds: PEM, DER,
 * PKCS#7, CMS, PKCS#12, and private keys or CSRs to refuse.
 *
 * Everything taken from a certificate is untrusted: strings come out as
 * valid UTF-8 without control characters (other bytes escaped as \xNN) and
 * capped in length. A certificate fails to parse only when OpenSSL cannot
 * decode it at all, never because a field is odd or an algorithm unknown.
 *
 * OpenSSL's error queue is left empty on return, whatever the outcome.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util.h"
#include "cert.h"
#include "clock.h"
#include "key.h"

#define FIELD_MAX	4096	/* bytes of one value from a certificate */
#define LIST_MAX	65536	/* bytes of a newline-joined list */
#define ERR_MAX		160	/* an OpenSSL reason in a message */

static const char NOTE_NO_PASS[] =
    "private key not stored: no passphrase configured "
    "(set CERTDECK_PASSPHRASE_FILE)";
static const char NOTE_NO_MATCH[] =
    "private key not stored: it matches no certificate in the input";
static const char NOTE_UNREADABLE[] =
    "private key not stored: cannot decrypt or decode it";
static const char NOTE_ENCRYPT[] =
    "private key not stored: encrypting it failed";

/* ---------------------------------------------------------------------- */
/* Strings from certificates. */

/*
 * Append len bytes at p to b as valid UTF-8 without control characters:
 * C0, DEL, C1 and bytes that are not UTF-8 become \xNN. At most max bytes
 * are added; a longer value is cut at a character boundary and ends "...".
 */
static void
san_add(struct buf *b, const void *p, size_t len, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	size_t i = 0, n, k, ul, used = 0, keep = b->len;
	uint32_t cp;
	char unit[16];
	int esc;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		esc = n == 0 || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0);
		if (n == 0)
			n = 1;
		if (esc) {
			for (k = 0; k < n; k++) {
				unit[4 * k] = '\\';
				unit[4 * k + 1] = 'x';
				unit[4 * k + 2] = hex[s[i + k] >> 4];
				unit[4 * k + 3] = hex[s[i + k] & 0xf];
			}
			ul = 4 * n;
		} else {
			memcpy(unit, s + i, n);
			ul = n;
		}
		if (used + ul > max) {
			/* Back to the last unit that leaves room for "...". */
			b->len = keep;
			b->data[b->len] = '\0';
			buf_adds(b, "...");
			return;
		}
		buf_add(b, unit, ul);
		used += ul;
		i += n;
		if (used + 3 <= max)
			keep = b->len;
	}
}

static char *
san_str(const void *p, size_t len)
{
	struct buf b;

	buf_init(&b);
	buf_add(&b, "", 0);	/* never NULL, even when empty */
	san_add(&b, p, len, FIELD_MAX);
	return buf_steal(&b);
}

/* Lowercase hex of bytes, capped like any other field. */
static char *
hex_str(const unsigned char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = len, cut = 0;
	char *s;

	if (n > FIELD_MAX / 2) {
		n = FIELD_MAX / 2 - 2;
		cut = 1;
	}
	s = xmalloc(2 * n + 4);
	for (i = 0; i < n; i++) {
		s[2 * i] = hex[p[i] >> 4];
		s[2 * i + 1] = hex[p[i] & 0xf];
	}
	strcpy(s + 2 * n, cut ? "..." : "");
	return s;
}

/* A newline-joined list; items past LIST_MAX are replaced by one "...". */
struct list {
	struct buf	b;
	int		full;
};

static void
list_init(struct list *l)
{
	buf_init(&l->b);
	l->full = 0;
}

static void
list_add(struct list *l, const char *prefix, const void *val, size_t len)
{
	struct buf item;

	if (l->full)
		return;
	buf_init(&item);
	buf_adds(&item, prefix);
	san_add(&item, val, len, FIELD_MAX);
	if (l->b.len + 1 + item.len + 4 > LIST_MAX) {
		buf_adds(&l->b, l->b.len > 0 ? "\n..." : "...");
		l->full = 1;
	} else {
		if (l->b.len > 0)
			buf_addc(&l->b, '\n');
		buf_add(&l->b, item.data, item.len);
	}
	buf_free(&item);
}

static void
list_adds(struct list *l, const char *s)
{
	list_add(l, "", s, strlen(s));
}

/* The list as an owned string, or NULL when empty. */
static char *
list_done(struct list *l, const char *sep)
{
	size_t i;

	if (l->b.len == 0) {
		buf_free(&l->b);
		return NULL;
	}
	if (sep != NULL) {
		for (i = 0; i < l->b.len; i++)
			if (l->b.data[i] == '\n')
				l->b.data[i] = *sep;
	}
	return buf_steal(&l->b);
}

/* ---------------------------------------------------------------------- */
/* OpenSSL errors in plain words. */

static const struct {
	int		 lib;
	int		 reason;
	const char	*text;
} err_words[] = {
	{ ERR_LIB_ASN1, ASN1_R_HEADER_TOO_LONG, "truncated data" },
	{ ERR_LIB_ASN1, ASN1_R_TOO_LONG, "truncated data" },
	{ ERR_LIB_ASN1, ASN1_R_NOT_ENOUGH_DATA, "truncated data" },
	{ ERR_LIB_ASN1, ASN1_R_WRONG_TAG,
	    "unexpected structure (wrong ASN.1 tag)" },
	{ ERR_LIB_ASN1, ASN1_R_BAD_OBJECT_HEADER, "malformed ASN.1 header" },
	{ ERR_LIB_ASN1, ASN1_R_SEQUENCE_LENGTH_MISMATCH,
	    "inconsistent ASN.1 lengths" },
	{ ERR_LIB_ASN1, ASN1_R_SEQUENCE_NOT_CONSTRUCTED,
	    "malformed ASN.1 sequence" },
	{ ERR_LIB_ASN1, ASN1_R_ILLEGAL_PADDING, "malformed integer" },
	{ ERR_LIB_ASN1, ASN1_R_MSTRING_NOT_UNIVERSAL,
	    "malformed string value" },
	{ ERR_LIB_ASN1, ASN1_R_MSTRING_WRONG_TAG, "malformed string value" },
	{ ERR_LIB_ASN1, ASN1_R_NESTED_TOO_DEEP, "nested too deeply" },
	{ ERR_LIB_ASN1, ASN1_R_ILLEGAL_ZERO_CONTENT, "malformed integer" },
	{ ERR_LIB_ASN1, ASN1_R_INVALID_BIT_STRING_BITS_LEFT,
	    "malformed bit string" },
	{ ERR_LIB_PEM, PEM_R_BAD_BASE64_DECODE, "bad base64 data" },
	{ ERR_LIB_PEM, PEM_R_BAD_END_LINE, "missing or wrong END line" },
	{ ERR_LIB_PEM, PEM_R_SHORT_HEADER, "block is cut short" },
	{ ERR_LIB_PEM, PEM_R_HEADER_TOO_LONG, "header too long" },
	{ ERR_LIB_PEM, PEM_R_NO_START_LINE, "no BEGIN line" },
};

/*
 * The first (innermost) reason on OpenSSL's error queue in plain words,
 * into buf; the queue is cleared.
 */
static const char *
ossl_reason(char *buf, size_t size)
{
	unsigned long e = ERR_peek_error();
	const char *r;
	size_t i;

	ERR_clear_error();
	if (e == 0) {
		snprintf(buf, size, "unknown error");
		return buf;
	}
	for (i = 0; i < nitems(err_words); i++) {
		if (ERR_GET_LIB(e) == err_words[i].lib &&
		    ERR_GET_REASON(e) == err_words[i].reason) {
			snprintf(buf, size, "%s", err_words[i].text);
			return buf;
		}
	}
	r = ERR_reason_error_string(e);
	snprintf(buf, size, "%s", r != NULL ? r : "unknown error");
	return buf;
}

/* ---------------------------------------------------------------------- */
/* Names, numbers and times. */

/*
 * An X509_NAME as RFC 4514. UTF-8 is kept as UTF-8 (no ESC_MSB); OpenSSL
 * copies UTF8String bytes unchecked, so the result is sanitised after.
 */
static char *
name_str(const X509_NAME *name)
{
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	BIO *bio;
	char *mem, *s;
	long n;

	if (name == NULL)
		return xstrdup("");
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		goto fail;
	if (X509_NAME_print_ex(bio, name, 0, flags) < 0) {
		/*
		 * A value OpenSSL cannot convert (an odd-length BMPString):
		 * print every value as bytes; they get escaped below. 3.0
		 * already refuses such names while decoding; this is belt
		 * and braces for other versions.
		 */
		BIO_free(bio);
		if ((bio = BIO_new(BIO_s_mem())) == NULL)
			goto fail;
		if (X509_NAME_print_ex(bio, name, 0,
		    flags | ASN1_STRFLGS_IGNORE_TYPE) < 0)
			goto fail;
	}
	n = BIO_get_mem_data(bio, &mem);
	s = san_str(mem, n > 0 ? (size_t)n : 0);
	BIO_free(bio);
	ERR_clear_error();
	return s;

fail:
	BIO_free(bio);
	ERR_clear_error();
	return xstrdup("");
}

/* An ASN1_STRING as UTF-8 when it converts, else its bytes; sanitised. */
static char *
asn1_str(const ASN1_STRING *as)
{
	unsigned char *u = NULL;
	char *s;
	int n;

	if (as == NULL)
		return xstrdup("");
	n = ASN1_STRING_to_UTF8(&u, as);
	if (n >= 0) {
		s = san_str(u, (size_t)n);
		OPENSSL_free(u);
		return s;
	}
	ERR_clear_error();
	return san_str(ASN1_STRING_get0_data(as),
	    (size_t)ASN1_STRING_length(as));
}

/* The first CN of a name, or NULL. */
static char *
name_cn(const X509_NAME *name)
{
	X509_NAME_ENTRY *e;
	int i;

	if (name == NULL)
		return NULL;
	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0 || (e = X509_NAME_get_entry(name, i)) == NULL)
		return NULL;
	return asn1_str(X509_NAME_ENTRY_get_data(e));
}

static char *
serial_str(const ASN1_INTEGER *ai)
{
	BIGNUM *bn;
	char *h, *s;

	if (ai == NULL)
		return xstrdup("0");
	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL ||
	    (h = BN_bn2hex(bn)) == NULL) {
		BN_free(bn);
		ERR_clear_error();
		return hex_str(ASN1_STRING_get0_data(ai),
		    (size_t)ASN1_STRING_length(ai));
	}
	BN_free(bn);
	str_lower(h);
	s = san_str(h, strlen(h));
	OPENSSL_free(h);
	return s;
}

/* UTCTime or GeneralizedTime as Unix seconds; -1 if unreadable. */
static int
time_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	/* ASN1_TIME_to_tm(NULL) would mean "now". */
	if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
		ERR_clear_error();
		return -1;
	}
	*out = clock_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Algorithms. */

/* Algorithms OpenSSL 3.0 has no name for (NIST CSOR). */
static const struct {
	const char	*oid;
	const char	*name;
} oid_names[] = {
	{ "2.16.840.1.101.3.4.3.17", "ML-DSA-44" },
	{ "2.16.840.1.101.3.4.3.18", "ML-DSA-65" },
	{ "2.16.840.1.101.3.4.3.19", "ML-DSA-87" },
	{ "2.16.840.1.101.3.4.3.20", "SLH-DSA-SHA2-128s" },
	{ "2.16.840.1.101.3.4.3.21", "SLH-DSA-SHA2-128f" },
	{ "2.16.840.1.101.3.4.3.22", "SLH-DSA-SHA2-192s" },
	{ "2.16.840.1.101.3.4.3.23", "SLH-DSA-SHA2-192f" },
	{ "2.16.840.1.101.3.4.3.24", "SLH-DSA-SHA2-256s" },
	{ "2.16.840.1.101.3.4.3.25", "SLH-DSA-SHA2-256f" },
	{ "2.16.840.1.101.3.4.3.26", "SLH-DSA-SHAKE-128s" },
	{ "2.16.840.1.101.3.4.3.27", "SLH-DSA-SHAKE-128f" },
	{ "2.16.840.1.101.3.4.3.28", "SLH-DSA-SHAKE-192s" },
	{ "2.16.840.1.101.3.4.3.29", "SLH-DSA-SHAKE-192f" },
	{ "2.16.840.1.101.3.4.3.30", "SLH-DSA-SHAKE-256s" },
	{ "2.16.840.1.101.3.4.3.31", "SLH-DSA-SHAKE-256f" },
	{ "2.16.840.1.101.3.4.3.32", "HashML-DSA-44-with-SHA512" },
	{ "2.16.840.1.101.3.4.3.33", "HashML-DSA-65-with-SHA512" },
	{ "2.16.840.1.101.3.4.3.34", "HashML-DSA-87-with-SHA512" },
	{ "2.16.840.1.101.3.4.4.1", "ML-KEM-512" },
	{ "2.16.840.1.101.3.4.4.2", "ML-KEM-768" },
	{ "2.16.840.1.101.3.4.4.3", "ML-KEM-1024" },
};

/* Key types by public key algorithm (EVP_PKEY ids are these NIDs). */
static const struct {
	int		 nid;
	const char	*name;
} key_nids[] = {
	{ NID_rsaEncryption, "RSA" },
	{ NID_rsassaPss, "RSA-PSS" },
	{ NID_X9_62_id_ecPublicKey, "EC" },
	{ NID_ED25519, "ED25519" },
	{ NID_ED448, "ED448" },
	{ NID_X25519, "X25519" },
	{ NID_X448, "X448" },
	{ NID_dsa, "DSA" },
	{ NID_dhKeyAgreement, "DH" },
	{ NID_dhpublicnumber, "DH" },
	{ NID_sm2, "SM2" },
};

static const struct {
	const char	*ossl;
	const char	*name;
} curve_names[] = {
	{ "prime256v1", "P-256" },
	{ "secp384r1", "P-384" },
	{ "secp521r1", "P-521" },
	{ "secp224r1", "P-224" },
	{ "prime192v1", "P-192" },
};

/* An OID as text: its name when OpenSSL (or oid_names) knows it and
 * no_name is 0, else dotted. */
static char *
obj_str(const ASN1_OBJECT *o, int no_name)
{
	char small[128], *big, *s;
	size_t i;
	int n;

	if (o == NULL)
		return xstrdup("unknown");
	n = OBJ_obj2txt(small, sizeof small, o, 1);
	if (n <= 0) {
		ERR_clear_error();
		return xstrdup("unknown");
	}
	if (!no_name && OBJ_obj2nid(o) == NID_undef &&
	    (size_t)n < sizeof small) {
		for (i = 0; i < nitems(oid_names); i++)
			if (strcmp(small, oid_names[i].oid) == 0)
				return xstrdup(oid_names[i].name);
	}
	no_name = no_name || OBJ_obj2nid(o) == NID_undef;
	n = OBJ_obj2txt(small, sizeof small, o, no_name);
	if (n <= 0) {
		ERR_clear_error();
		return xstrdup("unknown");
	}
	if ((size_t)n < sizeof small)
		return san_str(small, (size_t)n);
	big = xmalloc((size_t)n + 1);
	n = OBJ_obj2txt(big, n + 1, o, no_name);
	s = san_str(big, n > 0 ? (size_t)n : 0);
	free(big);
	return s;
}

static char *
curve_str(const char *ossl)
{
	size_t i;

	for (i = 0; i < nitems(curve_names); i++)
		if (strcmp(ossl, curve_names[i].ossl) == 0)
			return xstrdup(curve_names[i].name);
	return san_str(ossl, strlen(ossl));
}

/*
 * Certificates are decoded without their public key. OpenSSL 3.0's
 * d2i_X509 decodes the key eagerly and builds a decoder context (a walk
 * of every decoder of every provider) for each certificate: 65% of a
 * parse (bench/README.md). cert_d2i decodes in a library context that
 * has no provider, so that step finds nothing and is skipped; the key
 * is decoded when asked for (cert_pubkey) with a decoder context made
 * once per thread; a signature check decodes the certificate again as
 * OpenSSL does by default (cert_keyed).
 */
static pthread_once_t	 nokey_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX	*nokey_ctx;		/* the null provider only */
static pthread_key_t	 keydec_key;
static int		 keydec_ok;

struct keydec {
	OSSL_DECODER_CTX	*d;
	EVP_PKEY		*out;	/* where d puts what it decodes */
};

static void
keydec_free(void *arg)
{
	struct keydec *k = arg;

	if (k == NULL)
		return;
	OSSL_DECODER_CTX_free(k->d);
	EVP_PKEY_free(k->out);
	free(k);
}

static void
nokey_init(void)
{
	OSSL_LIB_CTX *c = OSSL_LIB_CTX_new();

	/* With a provider loaded, the default one is not loaded for it. */
	if (c != NULL && OSSL_PROVIDER_load(c, "null") == NULL) {
		OSSL_LIB_CTX_free(c);
		c = NULL;
	}
	nokey_ctx = c;
	keydec_ok = pthread_key_create(&keydec_key, keydec_free) == 0;
	ERR_clear_error();
}

/* d2i_X509 without the public key (or with it, if that cannot be set up). */
static X509 *
cert_d2i(const unsigned char **p, long len)
{
	X509 *x;

	pthread_once(&nokey_once, nokey_init);
	if (nokey_ctx == NULL || !keydec_ok)
		return d2i_X509(NULL, p, len);
	if ((x = X509_new_ex(nokey_ctx, NULL)) == NULL)
		return NULL;
	if (d2i_X509(&x, p, len) == NULL) {
		X509_free(x);	/* NULL already if d2i freed it */
		return NULL;
	}
	return x;
}

/*
 * x's public key, from its SubjectPublicKeyInfo (spki, n bytes: NULL to
 * encode it here), for the caller to free; NULL when OpenSSL cannot
 * decode it. Decoded in the thread's library context (cert_thread_begin).
 */
static EVP_PKEY *
cert_pubkey(X509 *x, const unsigned char *spki, size_t n)
{
	struct keydec *k;
	unsigned char *enc = NULL;
	const unsigned char *p;
	EVP_PKEY *pk;
	int len;

	if ((pk = X509_get0_pubkey(x)) != NULL) {
		EVP_PKEY_up_ref(pk);
		return pk;
	}
	ERR_clear_error();
	pthread_once(&nokey_once, nokey_init);
	if (!keydec_ok)
		return NULL;
	if ((k = pthread_getspecific(keydec_key)) == NULL) {
		k = xcalloc(1, sizeof *k);
		k->d = OSSL_DECODER_CTX_new_for_pkey(&k->out, "DER",
		    "SubjectPublicKeyInfo", NULL, EVP_PKEY_PUBLIC_KEY, NULL,
		    NULL);
		if (k->d == NULL || pthread_setspecific(keydec_key, k) != 0) {
			keydec_free(k);
			ERR_clear_error();
			return NULL;
		}
	}
	if (spki == NULL) {
		if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &enc)) <= 0) {
			ERR_clear_error();
			return NULL;
		}
		spki = enc;
		n = (size_t)len;
	}
	p = spki;
	EVP_PKEY_free(k->out);
	k->out = NULL;
	if (!OSSL_DECODER_from_data(k->d, &p, &n))
		EVP_PKEY_free(k->out);
	else
		pk = k->out;
	k->out = NULL;
	OPENSSL_free(enc);
	ERR_clear_error();
	return pk;
}

/* The thread's key decoder goes with its library context. */
static void
keydec_drop(void)
{
	struct keydec *k;

	pthread_once(&nokey_once, nokey_init);
	if (keydec_ok && (k = pthread_getspecific(keydec_key)) != NULL) {
		pthread_setspecific(keydec_key, NULL);
		keydec_free(k);
	}
}

/* x decoded with its public key, for X509_verify and X509_self_signed;
   the caller frees it. */
static X509 *
cert_keyed(X509 *x)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *y;
	int n;

	if (X509_get0_pubkey(x) != NULL) {
		X509_up_ref(x);
		return x;
	}
	ERR_clear_error();
	/* The signed part re-encodes as it was received (it is cached). */
	if ((n = i2d_X509(x, &der)) <= 0) {
		ERR_clear_error();
		return NULL;
	}
	p = der;
	y = d2i_X509(NULL, &p, n);
	OPENSSL_free(der);
	ERR_clear_error();
	return y;
}

/*
 * Key type, size and curve. OpenSSL 3.0 cannot decode some keys (ML-DSA,
 * GOST without its engine...); those are named from the algorithm
 * identifier alone.
 */
static void
key_info(X509 *x, const unsigned char *spki, size_t n, struct certrec *rec)
{
	X509_PUBKEY *pub;
	ASN1_OBJECT *alg = NULL;
	X509_ALGOR *pa = NULL;
	const ASN1_OBJECT *curve;
	const void *pval;
	EVP_PKEY *pk;
	char group[80];
	size_t i, glen;
	int ptype, nid, bits, id;

	if ((pk = cert_pubkey(x, spki, n)) != NULL) {
		/* By NID: EVP_PKEY_is_a() by name costs a name-map look-up. */
		id = EVP_PKEY_get_base_id(pk);
		for (i = 0; i < nitems(key_nids); i++) {
			if (id != NID_undef && id == key_nids[i].nid) {
				rec->key_type = xstrdup(key_nids[i].name);
				break;
			}
		}
		if (rec->key_type == NULL) {
			const char *tn = EVP_PKEY_get0_type_name(pk);

			rec->key_type = tn != NULL ? san_str(tn, strlen(tn)) :
			    NULL;
		}
		bits = EVP_PKEY_get_bits(pk);
		rec->key_bits = bits > 0 ? bits : 0;
		if (id == EVP_PKEY_EC || id == EVP_PKEY_SM2) {
			if (EVP_PKEY_get_group_name(pk, group, sizeof group,
			    &glen) == 1 && glen > 0)
				rec->key_curve = curve_str(group);
			else
				rec->key_curve = xstrdup("explicit");
		}
		EVP_PKEY_free(pk);
		ERR_clear_error();
		if (rec->key_type != NULL)
			return;
	}
	ERR_clear_error();

	pub = X509_get_X509_PUBKEY(x);
	if (pub == NULL ||
	    !X509_PUBKEY_get0_param(&alg, NULL, NULL, &pa, pub)) {
		ERR_clear_error();
		rec->key_type = xstrdup("unknown");
		return;
	}
	nid = OBJ_obj2nid(alg);
	for (i = 0; i < nitems(key_nids); i++)
		if (nid != NID_undef && nid == key_nids[i].nid)
			break;
	if (i < nitems(key_nids))
		rec->key_type = xstrdup(key_nids[i].name);
	else if (nid != NID_undef)
		rec->key_type = san_str(OBJ_nid2sn(nid),
		    strlen(OBJ_nid2sn(nid)));
	else
		rec->key_type = obj_str(alg, 0);
	if (nid == NID_X9_62_id_ecPublicKey && rec->key_curve == NULL &&
	    pa != NULL) {
		X509_ALGOR_get0(NULL, &ptype, &pval, pa);
		if (ptype == V_ASN1_OBJECT && (curve = pval) != NULL &&
		    OBJ_obj2nid(curve) != NID_undef)
			rec->key_curve = curve_str(OBJ_nid2sn(
			    OBJ_obj2nid(curve)));
	}
}

/* ---------------------------------------------------------------------- */
/* Extensions. */

static const char *const ku_names[] = {
	"digitalSignature", "nonRepudiation", "keyEncipherment",
	"dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign",
	"encipherOnly", "decipherOnly",
};

static const struct {
	int		 nid;
	const char	*name;
} eku_names[] = {
	{ NID_server_auth, "serverAuth" },
	{ NID_client_auth, "clientAuth" },
	{ NID_code_sign, "codeSigning" },
	{ NID_email_protect, "emailProtection" },
	{ NID_time_stamp, "timeStamping" },
	{ NID_OCSP_sign, "OCSPSigning" },
	{ NID_anyExtendedKeyUsage, "anyExtendedKeyUsage" },
};

/* The first extension of this type, decoded, or NULL (absent or bad). */
static void *
ext_get(X509 *x, int nid)
{
	void *ext;
	int idx = -1;

	ext = X509_get_ext_d2i(x, nid, NULL, &idx);
	if (ext == NULL)
		ERR_clear_error();
	return ext;
}

/* One GeneralName as "TYPE:value". */
static void
gn_add(struct list *l, const GENERAL_NAME *gn)
{
	const ASN1_STRING *as;
	char ip[INET6_ADDRSTRLEN], *s;
	const unsigned char *p;
	int len;

	switch (gn->type) {
	case GEN_DNS:
	case GEN_EMAIL:
	case GEN_URI:
		as = gn->d.ia5;
		if (as == NULL)
			return;
		list_add(l, gn->type == GEN_DNS ? "DNS:" :
		    gn->type == GEN_EMAIL ? "email:" : "URI:",
		    ASN1_STRING_get0_data(as), (size_t)ASN1_STRING_length(as));
		break;
	case GEN_IPADD:
		if ((as = gn->d.iPAddress) == NULL)
			return;
		p = ASN1_STRING_get0_data(as);
		len = ASN1_STRING_length(as);
		if ((len == 4 && inet_ntop(AF_INET, p, ip, sizeof ip)) ||
		    (len == 16 && inet_ntop(AF_INET6, p, ip, sizeof ip)))
			list_add(l, "IP:", ip, strlen(ip));
		else {
			s = hex_str(p, (size_t)(len > 0 ? len : 0));
			list_add(l, "IP:invalid:", s, strlen(s));
			free(s);
		}
		break;
	case GEN_OTHERNAME:
		s = obj_str(gn->d.otherName != NULL ?
		    gn->d.otherName->type_id : NULL, 1);
		list_add(l, "othername:", s, strlen(s));
		free(s);
		break;
	case GEN_DIRNAME:
		s = name_str(gn->d.directoryName);
		list_add(l, "dirName:", s, strlen(s));
		free(s);
		break;
	case GEN_RID:
		s = obj_str(gn->d.registeredID, 1);
		list_add(l, "RID:", s, strlen(s));
		free(s);
		break;
	case GEN_X400:
		list_adds(l, "X400Name:<unsupported>");
		break;
	case GEN_EDIPARTY:
		list_adds(l, "EdiPartyName:<unsupported>");
		break;
	default:
		list_adds(l, "unknown:<unsupported>");
		break;
	}
}

static void
ext_sans(X509 *x, struct certrec *rec)
{
	GENERAL_NAMES *gens;
	struct list l;
	int i;

	if ((gens = ext_get(x, NID_subject_alt_name)) == NULL)
		return;
	list_init(&l);
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++)
		gn_add(&l, sk_GENERAL_NAME_value(gens, i));
	GENERAL_NAMES_free(gens);
	rec->sans = list_done(&l, NULL);
}

static void
ext_keyids(X509 *x, struct certrec *rec)
{
	ASN1_OCTET_STRING *ski;
	AUTHORITY_KEYID *aki;

	if ((ski = ext_get(x, NID_subject_key_identifier)) != NULL) {
		rec->ski = hex_str(ASN1_STRING_get0_data(ski),
		    (size_t)ASN1_STRING_length(ski));
		ASN1_OCTET_STRING_free(ski);
	}
	if ((aki = ext_get(x, NID_authority_key_identifier)) != NULL) {
		if (aki->keyid != NULL)
			rec->aki = hex_str(ASN1_STRING_get0_data(aki->keyid),
			    (size_t)ASN1_STRING_length(aki->keyid));
		AUTHORITY_KEYID_free(aki);
	}
}

static void
ext_constraints(X509 *x, struct certrec *rec)
{
	BASIC_CONSTRAINTS *bc;
	int64_t v;

	rec->path_len = -1;
	if ((bc = ext_get(x, NID_basic_constraints)) == NULL)
		return;
	rec->is_ca = bc->ca ? 1 : 0;
	if (bc->pathlen != NULL) {
		if (ASN1_INTEGER_get_int64(&v, bc->pathlen) != 1)
			v = INT_MAX;	/* too large to read */
		rec->path_len = v < 0 ? 0 : v > INT_MAX ? INT_MAX : (int)v;
	}
	BASIC_CONSTRAINTS_free(bc);
	ERR_clear_error();
}

static void
ext_usage(X509 *x, struct certrec *rec)
{
	ASN1_BIT_STRING *ku;
	EXTENDED_KEY_USAGE *eku;
	ASN1_OBJECT *o;
	struct list l;
	size_t j;
	char *s;
	int i, nid;

	if ((ku = ext_get(x, NID_key_usage)) != NULL) {
		list_init(&l);
		for (j = 0; j < nitems(ku_names); j++)
			if (ASN1_BIT_STRING_get_bit(ku, (int)j))
				list_adds(&l, ku_names[j]);
		ASN1_BIT_STRING_free(ku);
		rec->key_usage = list_done(&l, ",");
	}
	if ((eku = ext_get(x, NID_ext_key_usage)) != NULL) {
		list_init(&l);
		for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
			o = sk_ASN1_OBJECT_value(eku, i);
			nid = OBJ_obj2nid(o);
			for (j = 0; j < nitems(eku_names); j++)
				if (nid != NID_undef && eku_names[j].nid == nid)
					break;
			if (j < nitems(eku_names))
				list_adds(&l, eku_names[j].name);
			else {
				s = obj_str(o, 1);
				list_adds(&l, s);
				free(s);
			}
		}
		EXTENDED_KEY_USAGE_free(eku);
		rec->ext_key_usage = list_done(&l, ",");
	}
}

static void
uri_add(struct list *l, const GENERAL_NAME *gn)
{
	const ASN1_STRING *as;

	if (gn == NULL || gn->type != GEN_URI ||
	    (as = gn->d.uniformResourceIdentifier) == NULL)
		return;
	list_add(l, "", ASN1_STRING_get0_data(as),
	    (size_t)ASN1_STRING_length(as));
}

static void
ext_urls(X509 *x, struct certrec *rec)
{
	AUTHORITY_INFO_ACCESS *aia;
	ACCESS_DESCRIPTION *ad;
	CRL_DIST_POINTS *dps;
	DIST_POINT *dp;
	struct list ocsp, cai, crl;
	int i, j, nid;

	if ((aia = ext_get(x, NID_info_access)) != NULL) {
		list_init(&ocsp);
		list_init(&cai);
		for (i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
			ad = sk_ACCESS_DESCRIPTION_value(aia, i);
			nid = OBJ_obj2nid(ad->method);
			if (nid == NID_ad_OCSP)
				uri_add(&ocsp, ad->location);
			else if (nid == NID_ad_ca_issuers)
				uri_add(&cai, ad->location);
		}
		AUTHORITY_INFO_ACCESS_free(aia);
		rec->ocsp = list_done(&ocsp, NULL);
		rec->ca_issuers = list_done(&cai, NULL);
	}
	if ((dps = ext_get(x, NID_crl_distribution_points)) != NULL) {
		list_init(&crl);
		for (i = 0; i < sk_DIST_POINT_num(dps); i++) {
			dp = sk_DIST_POINT_value(dps, i);
			if (dp->distpoint == NULL || dp->distpoint->type != 0)
				continue;
			for (j = 0; j < sk_GENERAL_NAME_num(
			    dp->distpoint->name.fullname); j++)
				uri_add(&crl, sk_GENERAL_NAME_value(
				    dp->distpoint->name.fullname, j));
		}
		CRL_DIST_POINTS_free(dps);
		rec->crl_dp = list_done(&crl, NULL);
	}
}

/* TLS Feature (RFC 7633) listing status_request (5): "OCSP must-staple". */
static int
ext_must_staple(X509 *x)
{
	TLS_FEATURE *tf;
	int i, found = 0;

	if ((tf = ext_get(x, NID_tlsfeature)) == NULL)
		return 0;
	for (i = 0; i < sk_ASN1_INTEGER_num(tf); i++) {
		int64_t v;

		if (ASN1_INTEGER_get_int64(&v, sk_ASN1_INTEGER_value(tf, i))
		    == 1 && v == 5)
			found = 1;
	}
	TLS_FEATURE_free(tf);
	ERR_clear_error();
	return found;
}

/* ---------------------------------------------------------------------- */
/* One certificate. */

static void
digest_hex(const EVP_MD *md, const void *p, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	out[0] = '\0';
	if (!EVP_Digest(p, len, d, &n, md, NULL)) {
		ERR_clear_error();
		return;
	}
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 0xf];
	}
	out[2 * n] = '\0';
}

void
cert_sha256_hex(const void *p, size_t len, char out[65])
{
	digest_hex(EVP_sha256(), p, len, out);
}

static void
rec_init(struct certrec *rec)
{
	memset(rec, 0, sizeof *rec);
	rec->path_len = -1;
}

/*
 * Fill rec from a decoded certificate whose encoding is der. Cannot fail:
 * whatever cannot be read is left empty or named by its OID.
 */
static void
parse_x509(X509 *x, const unsigned char *der, size_t len,
    struct certrec *rec)
{
	const X509_ALGOR *sa = NULL;
	const ASN1_OBJECT *sobj = NULL;
	unsigned char *spki = NULL;
	char h[65];
	X509 *y;
	long v;
	int n;

	rec_init(rec);
	rec->subject = name_str(X509_get_subject_name(x));
	rec->issuer = name_str(X509_get_issuer_name(x));
	rec->subject_cn = name_cn(X509_get_subject_name(x));
	rec->issuer_cn = name_cn(X509_get_issuer_name(x));
	rec->serial = serial_str(X509_get0_serialNumber(x));
	/*
	 * An unreadable time: notBefore as the epoch and notAfter as the
	 * epoch too, so that the certificate shows as expired and gets looked
	 * at rather than trusted.
	 */
	if (time_unix(X509_get0_notBefore(x), &rec->not_before) != 0)
		rec->not_before = 0;
	if (time_unix(X509_get0_notAfter(x), &rec->not_after) != 0)
		rec->not_after = 0;
	ext_sans(x, rec);
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	key_info(x, n > 0 ? spki : NULL, n > 0 ? (size_t)n : 0, rec);

	/*
	 * The algorithm inside the signed part, as `openssl x509 -text`
	 * shows it; the outer copy is not covered by the signature.
	 */
	sa = X509_get0_tbs_sigalg(x);
	if (sa != NULL)
		X509_ALGOR_get0(&sobj, NULL, NULL, sa);
	rec->sig_alg = obj_str(sobj, 0);

	digest_hex(EVP_sha256(), der, len, rec->sha256);
	digest_hex(EVP_sha1(), der, len, rec->sha1);
	if (n > 0) {
		digest_hex(EVP_sha256(), spki, (size_t)n, h);
		rec->spki_sha256 = xstrdup(h);
	}
	OPENSSL_free(spki);

	ext_keyids(x, rec);
	ext_constraints(x, rec);
	ext_usage(x, rec);
	ext_urls(x, rec);
	rec->must_staple = ext_must_staple(x);
	/*
	 * Names match (and AKI/SKI when present) and the signature verifies
	 * with the certificate's own key. Unlike X509_check_issued this does
	 * not ask for keyCertSign: a self-signed leaf is still self-signed.
	 */
	if (X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)) == 0 && (y = cert_keyed(x)) != NULL) {
		rec->self_signed = X509_self_signed(y, 1) == 1;
		X509_free(y);
	}
	v = X509_get_version(x);
	rec->version = v >= 0 && v < INT_MAX ? (int)v + 1 : 0;
	ERR_clear_error();
}

int
cert_parse_der(const unsigned char *der, size_t len, struct certrec *rec,
    char **cause)
{
	const unsigned char *p = der;
	char why[ERR_MAX];
	X509 *x;

	rec_init(rec);
	if (der == NULL || len == 0)
		return set_cause(cause, "not a valid X.509 certificate: empty");
	if (len > CERT_MAX_FILE)
		return set_cause(cause,
		    "not a valid X.509 certificate: larger than %u MiB",
		    CERT_MAX_FILE >> 20);
	ERR_clear_error();
	if ((x = cert_d2i(&p, (long)len)) == NULL)
		return set_cause(cause, "not a valid X.509 certificate: %s",
		    ossl_reason(why, sizeof why));
	if ((size_t)(p - der) != len) {
		X509_free(x);
		ERR_clear_error();
		return set_cause(cause, "not a valid X.509 certificate: "
		    "%zu bytes of trailing data", len - (size_t)(p - der));
	}
	parse_x509(x, der, len, rec);
	X509_free(x);
	ERR_clear_error();
	return 0;
}

void
cert_parse_x509(X509 *x, const unsigned char *der, size_t len,
    struct certrec *rec)
{
	parse_x509(x, der, len, rec);
	ERR_clear_error();
}

char *
cert_der_to_pem(const unsigned char *der, size_t len)
{
	unsigned char line[65];
	struct buf b;
	size_t off, n;

	buf_init(&b);
	/* Exactly: a 10,000-file import holds all of them until its commit. */
	buf_reserve(&b, 28 + (len + 2) / 3 * 4 + (len + 47) / 48 + 26);
	buf_adds(&b, "-----BEGIN CERTIFICATE-----\n");
	for (off = 0; off < len; off += n) {
		n = len - off < 48 ? len - off : 48;
		EVP_EncodeBlock(line, der + off, (int)n);
		buf_adds(&b, (char *)line);
		buf_addc(&b, '\n');
	}
	buf_adds(&b, "-----END CERTIFICATE-----\n");
	return buf_steal(&b);
}

/* ---------------------------------------------------------------------- */
/* PEM. */

/* Called for each block; returns 0 or -1 with *cause. */
typedef int (*pem_fn)(void *arg, const char *label, char *header,
    const unsigned char *body, long len, char **cause);

static int
is_cert_label(const char *label)
{
	return strcmp(label, PEM_STRING_X509) == 0 ||
	    strcmp(label, PEM_STRING_X509_OLD) == 0 ||
	    strcmp(label, PEM_STRING_X509_TRUSTED) == 0;
}

/*
 * Call fn on every PEM block in data, in order; text around and between
 * the blocks is skipped. Returns the number of blocks, or -1 with *cause.
 */
static int
pem_foreach(const void *data, size_t len, pem_fn fn, void *arg, char **cause)
{
	char *label, *header, why[ERR_MAX];
	unsigned char *body;
	long blen;
	BIO *bio;
	unsigned long e;
	int n = 0, rc = 0;

	if (len > CERT_MAX_FILE)
		return set_cause(cause, "larger than %u MiB",
		    CERT_MAX_FILE >> 20);
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		ERR_clear_error();
		return set_cause(cause, "out of memory");
	}
	for (;;) {
		label = header = NULL;
		body = NULL;
		blen = 0;
		if (!PEM_read_bio(bio, &label, &header, &body, &blen)) {
			e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
				ERR_clear_error();
				break;	/* no more blocks */
			}
			/* OpenSSL 3.0 gives no reason for some bad blocks. */
			rc = set_cause(cause, "invalid PEM: %s", e == 0 ?
			    "malformed block" : ossl_reason(why, sizeof why));
			break;
		}
		n++;
		rc = fn(arg, label, header, body, blen, cause);
		OPENSSL_free(label);
		OPENSSL_free(header);
		/* The block may be a private key: wipe it. */
		OPENSSL_clear_free(body, (size_t)blen);
		if (rc != 0)
			break;
	}
	BIO_free(bio);
	ERR_clear_error();
	return rc != 0 ? -1 : n;
}

/*
 * Whether issuer's key verifies child's signature: 0 only when it
 * certainly does not; a key or algorithm OpenSSL cannot use is not
 * counted against the chain.
 */
static int
link_signed(X509 *child, X509 *issuer)
{
	EVP_PKEY *k = cert_pubkey(issuer, NULL, 0);
	X509 *c;
	int r = 1;

	if (k != NULL && (c = cert_keyed(child)) != NULL) {
		r = X509_verify(c, k);
		X509_free(c);
	}
	EVP_PKEY_free(k);
	ERR_clear_error();
	return r != 0;
}

/* cert_parse_pem_file's state. */
struct pemfile {
	struct certfile	*cf;
	size_t		 cap;
	X509		*last;		/* the previous certificate */
};

static int
pemfile_block(void *arg, const char *label, char *header,
    const unsigned char *body, long len, char **cause)
{
	struct pemfile *pf = arg;
	struct certfile *cf = pf->cf;
	const unsigned char *p = body;
	char why[ERR_MAX];
	X509 *x;

	if (!is_cert_label(label))
		return 0;
	if ((x = cert_d2i(&p, len)) == NULL)
		return set_cause(cause, "certificate %zu: not a valid X.509 "
		    "certificate: %s", cf->n + 1, ossl_reason(why, sizeof why));
	/* TRUSTED CERTIFICATE carries trust settings after the DER. */
	if (p != body + len && strcmp(label, PEM_STRING_X509_TRUSTED) != 0) {
		X509_free(x);
		return set_cause(cause, "certificate %zu: trailing data after "
		    "the certificate", cf->n + 1);
	}
	if (cf->n == pf->cap) {
		pf->cap = pf->cap ? 2 * pf->cap : 4;
		cf->certs = xreallocarray(cf->certs, pf->cap,
		    sizeof *cf->certs);
	}
	parse_x509(x, body, (size_t)(p - body), &cf->certs[cf->n++]);
	if (pf->last != NULL && cf->unsigned_at == 0 &&
	    !link_signed(pf->last, x))
		cf->unsigned_at = cf->n - 1;
	X509_free(pf->last);
	pf->last = x;
	return 0;
}

int
cert_parse_pem_file(const char *pem, size_t len, struct certfile *cf,
    char **cause)
{
	struct pemfile pf;
	size_t i, min = 0;

	memset(cf, 0, sizeof *cf);
	pf.cf = cf;
	pf.cap = 0;
	pf.last = NULL;
	ERR_clear_error();
	if (pem_foreach(pem, len, pemfile_block, &pf, cause) < 0)
		goto fail;
	X509_free(pf.last);
	pf.last = NULL;
	if (cf->n == 0) {
		set_cause(cause, "no certificate found");
		goto fail;
	}
	for (i = 1; i < cf->n; i++)
		if (cf->certs[i].not_after < cf->certs[min].not_after)
			min = i;
	cf->eff_not_after = cf->certs[min].not_after;
	if (min != 0)
		cf->eff_from = xstrdup(cf->certs[min].subject_cn != NULL ?
		    cf->certs[min].subject_cn : cf->certs[min].subject);
	return 0;

fail:
	X509_free(pf.last);
	certfile_free(cf);
	memset(cf, 0, sizeof *cf);
	ERR_clear_error();
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Recognising input. */

struct ld_item {
	X509		*x;
	unsigned char	*der;
	size_t		 der_len;
	struct certrec	 rec;
};

struct loader {
	const char	*p12_pass;
	const char	*key_pass;
	struct ld_item	*items;
	size_t		 n;
	size_t		 cap;
	EVP_PKEY	**keys;
	size_t		 nkeys;
	int		 saw_key;	/* a private key, readable or not */
	int		 saw_csr;
	int		 one_group;	/* PKCS#12: a leaf, then chain */
	struct strv	 notes;
};

static void
ld_note(struct loader *ld, const char *note)
{
	if (!strv_has(&ld->notes, note))
		strv_add(&ld->notes, note);
}

/* Takes ownership of x. der is its encoding, or NULL to encode it here. */
static int
ld_add_x509(struct loader *ld, X509 *x, const unsigned char *der,
    size_t len, char **cause)
{
	struct ld_item *it;
	unsigned char *enc = NULL;
	int n;

	if (der == NULL) {
		if ((n = i2d_X509(x, &enc)) <= 0) {
			X509_free(x);
			ERR_clear_error();
			return set_cause(cause, "cannot encode a certificate");
		}
		der = enc;
		len = (size_t)n;
	}
	if (ld->n == ld->cap) {
		ld->cap = ld->cap ? 2 * ld->cap : 8;
		ld->items = xreallocarray(ld->items, ld->cap,
		    sizeof *ld->items);
	}
	it = &ld->items[ld->n++];
	it->x = x;
	it->der = xmalloc(len);
	memcpy(it->der, der, len);
	it->der_len = len;
	OPENSSL_free(enc);
	parse_x509(x, it->der, it->der_len, &it->rec);
	return 0;
}

/* Takes ownership of certs and the certificates in it, keeping order. */
static int
ld_add_stack(struct loader *ld, STACK_OF(X509) *certs, char **cause)
{
	X509 *x;
	int rc = 0;

	while (certs != NULL && sk_X509_num(certs) > 0) {
		x = sk_X509_shift(certs);
		if (rc == 0 && ld_add_x509(ld, x, NULL, 0, cause) != 0)
			rc = -1;
		else if (rc != 0)
			X509_free(x);
	}
	sk_X509_free(certs);
	return rc;
}

static void
ld_add_key(struct loader *ld, EVP_PKEY *pk)
{
	ld->keys = xreallocarray(ld->keys, ld->nkeys + 1, sizeof *ld->keys);
	ld->keys[ld->nkeys++] = pk;
}

static int
ld_pkcs7(struct loader *ld, PKCS7 *p7, char **cause)
{
	STACK_OF(X509) *certs = NULL, *copy;
	int i;

	if (PKCS7_type_is_signed(p7) && p7->d.sign != NULL)
		certs = p7->d.sign->cert;
	else if (PKCS7_type_is_signedAndEnveloped(p7) &&
	    p7->d.signed_and_enveloped != NULL)
		certs = p7->d.signed_and_enveloped->cert;
	if (certs == NULL)
		return 0;
	if ((copy = sk_X509_new_null()) == NULL) {
		ERR_clear_error();
		return set_cause(cause, "out of memory");
	}
	for (i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (!X509_up_ref(x) || !sk_X509_push(copy, x)) {
			sk_X509_pop_free(copy, X509_free);
			ERR_clear_error();
			return set_cause(cause, "out of memory");
		}
	}
	return ld_add_stack(ld, copy, cause);
}

static int
pass_cb(char *buf, int size, int rwflag, void *u)
{
	size_t n;

	/* Never fall back to OpenSSL's prompt on the terminal. */
	if (u == NULL || size <= 0 || (n = strlen(u)) > (size_t)size)
		return -1;
	memcpy(buf, u, n);
	return (int)n;
}

/*
 * The passphrases to try on an encrypted input: the one for PKCS#12 (the
 * operator's input passphrase), then the one keys are stored with.
 */
static size_t
ld_passes(struct loader *ld, const char *out[2])
{
	size_t n = 0;

	if (ld->p12_pass != NULL && *ld->p12_pass != '\0')
		out[n++] = ld->p12_pass;
	if (ld->key_pass != NULL && *ld->key_pass != '\0' &&
	    (n == 0 || strcmp(out[0], ld->key_pass) != 0))
		out[n++] = ld->key_pass;
	return n;
}

/* Decode a private key PEM block; NULL when it cannot be read. */
static EVP_PKEY *
pem_key(struct loader *ld, const char *label, char *header,
    const unsigned char *body, long len)
{
	EVP_CIPHER_INFO ci;
	PKCS8_PRIV_KEY_INFO *inf;
	X509_SIG *sig;
	EVP_PKEY *pk = NULL;
	const unsigned char *p;
	unsigned char *tmp;
	const char *pass[2];
	size_t np, i;
	long tlen;
	int type = EVP_PKEY_NONE;

	np = ld_passes(ld, pass);
	if (strcmp(label, PEM_STRING_PKCS8) == 0) {
		p = body;
		if ((sig = d2i_X509_SIG(NULL, &p, len)) == NULL)
			goto out;
		for (i = 0; i < np && pk == NULL; i++) {
			inf = PKCS8_decrypt(sig, pass[i], (int)strlen(pass[i]));
			if (inf != NULL) {
				pk = EVP_PKCS82PKEY(inf);
				PKCS8_PRIV_KEY_INFO_free(inf);
			}
			ERR_clear_error();
		}
		X509_SIG_free(sig);
		goto out;
	}

	if (strcmp(label, PEM_STRING_RSA) == 0)
		type = EVP_PKEY_RSA;
	else if (strcmp(label, PEM_STRING_ECPRIVATEKEY) == 0)
		type = EVP_PKEY_EC;
	else if (strcmp(label, PEM_STRING_DSA) == 0)
		type = EVP_PKEY_DSA;
	else if (strcmp(label, PEM_STRING_PKCS8INF) != 0 &&
	    strcmp(label, PEM_STRING_EVP_PKEY) != 0)
		goto out;	/* OPENSSH PRIVATE KEY and the like */
	if (!PEM_get_EVP_CIPHER_INFO(header, &ci))
		goto out;
	/* Legacy "Proc-Type: 4,ENCRYPTED" keys decrypt in place: copy. */
	for (i = 0; i < (ci.cipher != NULL ? np : 1) && pk == NULL; i++) {
		tmp = xmalloc((size_t)len);
		memcpy(tmp, body, (size_t)len);
		tlen = len;
		if (ci.cipher == NULL || PEM_do_header(&ci, tmp, &tlen,
		    pass_cb, (void *)pass[i])) {
			p = tmp;
			pk = type == EVP_PKEY_NONE ?
			    d2i_AutoPrivateKey(NULL, &p, tlen) :
			    d2i_PrivateKey(type, NULL, &p, tlen);
		}
		OPENSSL_cleanse(tmp, (size_t)len);
		free(tmp);
		ERR_clear_error();
	}
out:
	ERR_clear_error();
	return pk;
}

/*
 * PKCS#12 files from older tools (Windows, Java keytool, openssl
 * -legacy) encrypt their certificates with RC2-40, which OpenSSL 3 keeps
 * in its legacy provider. It is loaded, once, beside the default
 * provider of the default library context, only when such a file's MAC
 * has checked out with a passphrase and it still does not decrypt.
 */
static pthread_once_t	 p12_legacy_once = PTHREAD_ONCE_INIT;
static OSSL_PROVIDER	*p12_prov[2];	/* held for the process's life */
static int		 p12_legacy_ok;

static void
p12_legacy_load(void)
{
	p12_prov[0] = OSSL_PROVIDER_load(NULL, "default");
	p12_prov[1] = OSSL_PROVIDER_load(NULL, "legacy");
	p12_legacy_ok = p12_prov[0] != NULL && p12_prov[1] != NULL;
	ERR_clear_error();
}

static int
ld_pkcs12(struct loader *ld, PKCS12 *p12, char **cause)
{
	const char *tries[3];
	EVP_PKEY *pk = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	size_t n = 0, i;
	int ok = 0, mac_ok = 0;

	if (ld->p12_pass != NULL && *ld->p12_pass != '\0')
		tries[n++] = ld->p12_pass;
	tries[n++] = "";
	tries[n++] = NULL;
	for (i = 0; i < n && !ok; i++) {
		if (PKCS12_mac_present(p12)) {
			if (!PKCS12_verify_mac(p12, tries[i],
			    tries[i] != NULL ? (int)strlen(tries[i]) : 0)) {
				ERR_clear_error();
				continue;
			}
			mac_ok = 1;
		}
		if (PKCS12_parse(p12, tries[i], &pk, &cert, &ca))
			ok = 1;
		ERR_clear_error();
		if (!ok && mac_ok && pthread_once(&p12_legacy_once,
		    p12_legacy_load) == 0 && p12_legacy_ok &&
		    PKCS12_parse(p12, tries[i], &pk, &cert, &ca))
			ok = 1;		/* a legacy algorithm */
		ERR_clear_error();
	}
	if (!ok) {
		if (mac_ok)
			return set_cause(cause, "PKCS#12: unsupported "
			    "encryption (a legacy algorithm such as RC2?)");
		return set_cause(cause,
		    "PKCS#12: wrong passphrase or unsupported encryption");
	}
	if (pk != NULL) {
		ld->saw_key = 1;
		ld_add_key(ld, pk);
	}
	if (cert != NULL) {
		/* The certificate matching the key leads; the rest is chain. */
		ld->one_group = ld->n == 0;
		if (ld_add_x509(ld, cert, NULL, 0, cause) != 0) {
			sk_X509_pop_free(ca, X509_free);
			return -1;
		}
	}
	return ld_add_stack(ld, ca, cause);
}

static int
ld_pem_block(void *arg, const char *label, char *header,
    const unsigned char *body, long len, char **cause)
{
	struct loader *ld = arg;
	const unsigned char *p = body;
	char why[ERR_MAX];
	PKCS7 *p7;
	CMS_ContentInfo *cms;
	EVP_PKEY *pk;
	X509 *x;

	if (is_cert_label(label)) {
		if ((x = cert_d2i(&p, len)) == NULL)
			return set_cause(cause, "invalid PEM: certificate "
			    "%zu is not a valid X.509 certificate (%s)",
			    ld->n + 1, ossl_reason(why, sizeof why));
		if (p != body + len &&
		    strcmp(label, PEM_STRING_X509_TRUSTED) != 0) {
			X509_free(x);
			return set_cause(cause, "invalid PEM: trailing data "
			    "after certificate %zu", ld->n + 1);
		}
		return ld_add_x509(ld, x, body, (size_t)(p - body), cause);
	}
	if (strcmp(label, PEM_STRING_PKCS7) == 0 ||
	    strcmp(label, PEM_STRING_PKCS7_SIGNED) == 0) {
		if ((p7 = d2i_PKCS7(NULL, &p, len)) == NULL)
			return set_cause(cause, "invalid PEM: PKCS#7 block: "
			    "%s", ossl_reason(why, sizeof why));
		if (ld_pkcs7(ld, p7, cause) != 0) {
			PKCS7_free(p7);
			return -1;
		}
		PKCS7_free(p7);
		return 0;
	}
	if (strcmp(label, PEM_STRING_CMS) == 0) {
		if ((cms = d2i_CMS_ContentInfo(NULL, &p, len)) == NULL)
			return set_cause(cause, "invalid PEM: CMS block: %s",
			    ossl_reason(why, sizeof why));
		/* NULL when there are no certificates. */
		if (ld_add_stack(ld, CMS_get1_certs(cms), cause) != 0) {
			CMS_ContentInfo_free(cms);
			return -1;
		}
		CMS_ContentInfo_free(cms);
		ERR_clear_error();
		return 0;
	}
	if (str_endswith(label, "PRIVATE KEY")) {
		ld->saw_key = 1;
		if ((pk = pem_key(ld, label, header, body, len)) != NULL)
			ld_add_key(ld, pk);
		else if (ld->key_pass == NULL || *ld->key_pass == '\0')
			ld_note(ld, NOTE_NO_PASS); /* not kept anyway */
		else
			ld_note(ld, NOTE_UNREADABLE);
		return 0;
	}
	if (strcmp(label, PEM_STRING_X509_REQ) == 0 ||
	    strcmp(label, PEM_STRING_X509_REQ_OLD) == 0)
		ld->saw_csr = 1;
	/* Anything else (CRLs, public keys, parameters) is not ours. */
	return 0;
}

/* Only blanks or NULs from p to end: padding some tools add after DER. */
static int
only_padding(const unsigned char *p, const unsigned char *end)
{
	for (; p < end; p++)
		if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' &&
		    *p != '\n')
			return 0;
	return 1;
}

/* The outer DER length says more bytes than there are. */
static int
der_truncated(const unsigned char *p, size_t len, size_t *want)
{
	size_t i, n, l;

	if (len < 2 || p[0] != 0x30)
		return 0;
	if (p[1] < 0x80) {
		l = p[1];
		n = 2;
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 4)
			return 0;	/* indefinite or absurd */
		if (len < 2 + n) {
			*want = 2 + n;
			return 1;
		}
		for (l = 0, i = 0; i < n; i++)
			l = (l << 8) | p[2 + i];
		n += 2;
	}
	*want = n + l;
	return n + l > len;
}

/* The tag of the first element inside an outer DER SEQUENCE, or -1. */
static int
der_second_tag(const unsigned char *p, size_t len)
{
	size_t n;

	if (len < 2 || p[0] != 0x30)
		return -1;
	n = p[1] < 0x80 ? 2 : 2 + (size_t)(p[1] & 0x7f);
	return n < len ? p[n] : -1;
}

/* Binary input: certificates, PKCS#7, PKCS#12, or a key or CSR to refuse. */
static int
ld_der(struct loader *ld, const unsigned char *data, size_t len,
    char **cause)
{
	const unsigned char *p = data, *q, *end = data + len;
	char why[ERR_MAX];
	X509 *x;
	PKCS7 *p7;
	PKCS12 *p12;
	X509_REQ *req;
	X509_CRL *crl;
	X509_SIG *sig;
	EVP_PKEY *pk;
	size_t want = 0;
	int rc;

	/* One certificate, or several concatenated. */
	if ((x = cert_d2i(&p, (long)len)) != NULL) {
		for (q = data;;) {
			if (ld_add_x509(ld, x, q, (size_t)(p - q), cause) != 0)
				return -1;
			if (only_padding(p, end))
				return 0;
			q = p;
			if ((x = cert_d2i(&p, (long)(end - p))) == NULL)
				return set_cause(cause, "truncated or invalid "
				    "DER: data after certificate %zu is not a "
				    "certificate (%s)", ld->n,
				    ossl_reason(why, sizeof why));
		}
	}
	ossl_reason(why, sizeof why);

	p = data;
	if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) != NULL) {
		rc = ld_pkcs7(ld, p7, cause);
		PKCS7_free(p7);
		return rc;
	}
	p = data;
	if ((p12 = d2i_PKCS12(NULL, &p, (long)len)) != NULL) {
		rc = ld_pkcs12(ld, p12, cause);
		PKCS12_free(p12);
		return rc;
	}
	p = data;
	if ((req = d2i_X509_REQ(NULL, &p, (long)len)) != NULL) {
		X509_REQ_free(req);
		ld->saw_csr = 1;
		ERR_clear_error();
		return 0;
	}
	/*
	 * Private keys (PKCS#8, RSA, EC, DSA) open with SEQUENCE { INTEGER;
	 * certificates and CSRs do not. OpenSSL's key decoders are slow on
	 * bytes that are not a key, so look before asking them.
	 */
	p = data;
	if (der_second_tag(data, len) == V_ASN1_INTEGER &&
	    (pk = d2i_AutoPrivateKey(NULL, &p, (long)len)) != NULL) {
		ld->saw_key = 1;
		ld_add_key(ld, pk);
		ERR_clear_error();
		return 0;
	}
	p = data;
	if ((sig = d2i_X509_SIG(NULL, &p, (long)len)) != NULL &&
	    only_padding(p, end)) {
		X509_SIG_free(sig);
		ld->saw_key = 1;
		ERR_clear_error();
		return 0;
	}
	X509_SIG_free(sig);
	p = data;
	if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) != NULL) {
		X509_CRL_free(crl);
		ERR_clear_error();
		return set_cause(cause, "no certificate found (a CRL)");
	}
	ERR_clear_error();

	if (der_truncated(data, len, &want))
		return set_cause(cause, "truncated or invalid DER: truncated "
		    "(%zu of %zu bytes)", len, want);
	if (data[0] == 0x30)
		return set_cause(cause, "truncated or invalid DER: %s", why);
	return set_cause(cause, "no certificate found (not PEM, DER, PKCS#7 "
	    "or PKCS#12)");
}

/*
 * Certificates that can head a chain of their own: basicConstraints cA,
 * or an old v1 self-signed root, which has no extensions to say so.
 */
static int
is_ca_like(const struct ld_item *it)
{
	return it->rec.is_ca || (it->rec.version == 1 && it->rec.self_signed);
}

static int
group_has(const struct cert_group *g, const char *sha256)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->items[i].rec.sha256, sha256) == 0)
			return 1;
	return 0;
}

/* Move it (its DER and record) to the end of g; *last is the X509 of
   g's last certificate, for the signature check (unsigned_at). */
static void
group_take(struct cert_group *g, struct ld_item *it, X509 **last)
{
	struct cert_item *ci;

	if (*last != NULL && g->unsigned_at == 0 && !link_signed(*last, it->x))
		g->unsigned_at = g->n;
	*last = it->x;

	g->items = xreallocarray(g->items, g->n + 1, sizeof *g->items);
	ci = &g->items[g->n++];
	ci->der = it->der;
	ci->der_len = it->der_len;
	ci->rec = it->rec;
	it->der = NULL;
	rec_init(&it->rec);
}

/*
 * Group the certificates in file order: a non-CA certificate starts a
 * group as its leaf and the CA certificates after it are its chain; a CA
 * certificate before any leaf is a group of its own. A certificate seen
 * before in the same group (or as the head of a group) is dropped.
 * leader[g] gets the ld->items index of group g's first certificate.
 */
static void
ld_group(struct loader *ld, struct cert_bundle *out, size_t *leader)
{
	struct ld_item *it;
	size_t i, g;
	ssize_t cur = -1;	/* the group of the last leaf */
	X509 **last = xcalloc(ld->n + 1, sizeof *last);	/* per group */

	for (i = 0; i < ld->n; i++) {
		it = &ld->items[i];
		if (ld->one_group && i > 0) {
			if (!group_has(&out->groups[0], it->rec.sha256))
				group_take(&out->groups[0], it, &last[0]);
			continue;
		}
		if (!is_ca_like(it) || (ld->one_group && i == 0)) {
			for (g = 0; g < out->ngroups; g++)
				if (strcmp(out->groups[g].items[0].rec.sha256,
				    it->rec.sha256) == 0)
					break;
			if (g == out->ngroups) {
				out->groups = xreallocarray(out->groups,
				    out->ngroups + 1, sizeof *out->groups);
				memset(&out->groups[g], 0, sizeof
				    out->groups[g]);
				out->ngroups++;
				leader[g] = i;
				group_take(&out->groups[g], it, &last[g]);
			}
			cur = (ssize_t)g;	/* a repeated leaf continues */
			continue;
		}
		if (cur >= 0) {
			if (!group_has(&out->groups[cur], it->rec.sha256))
				group_take(&out->groups[cur], it, &last[cur]);
			continue;
		}
		for (g = 0; g < out->ngroups; g++)
			if (group_has(&out->groups[g], it->rec.sha256))
				break;
		if (g < out->ngroups)
			continue;
		out->groups = xreallocarray(out->groups, out->ngroups + 1,
		    sizeof *out->groups);
		memset(&out->groups[g], 0, sizeof out->groups[g]);
		out->ngroups++;
		leader[g] = i;
		group_take(&out->groups[g], it, &last[g]);
	}
	free(last);
}

/* pk as encrypted PKCS#8 PEM, or NULL. */
static struct cert_key *
key_encrypt(EVP_PKEY *pk, const char *pass)
{
	struct cert_key *key;
	size_t len;
	char *pem = key_encrypt_pem(pk, pass, &len);

	if (pem == NULL)
		return NULL;
	key = xcalloc(1, sizeof *key);
	key->pem = pem;
	key->len = len;
	return key;
}

/* Give each key to the group whose leaf it belongs to, if it can be kept. */
static void
ld_keys(struct loader *ld, struct cert_bundle *out, const size_t *leader)
{
	struct cert_group *grp;
	size_t k, g;

	for (k = 0; k < ld->nkeys; k++) {
		for (g = 0; g < out->ngroups; g++) {
			EVP_PKEY *pub = cert_pubkey(ld->items[leader[g]].x,
			    NULL, 0);
			int same = pub != NULL &&
			    EVP_PKEY_eq(pub, ld->keys[k]) == 1;

			EVP_PKEY_free(pub);
			ERR_clear_error();
			if (same)
				break;
		}
		if (g == out->ngroups) {
			ld_note(ld, NOTE_NO_MATCH);
			continue;
		}
		grp = &out->groups[g];
		if (grp->key != NULL)
			continue;
		if (ld->key_pass == NULL || *ld->key_pass == '\0') {
			ld_note(ld, NOTE_NO_PASS);
			continue;
		}
		if ((grp->key = key_encrypt(ld->keys[k], ld->key_pass)) == NULL)
			ld_note(ld, NOTE_ENCRYPT);
	}
}

static void
ld_free(struct loader *ld)
{
	size_t i;

	for (i = 0; i < ld->n; i++) {
		X509_free(ld->items[i].x);
		free(ld->items[i].der);
		certrec_free(&ld->items[i].rec);
	}
	free(ld->items);
	for (i = 0; i < ld->nkeys; i++)
		EVP_PKEY_free(ld->keys[i]);
	free(ld->keys);
	strv_free(&ld->notes);
}

int
cert_load(const unsigned char *data, size_t len, const char *p12_pass,
    const char *key_pass, struct cert_bundle *out, char **cause)
{
	struct loader ld;
	size_t *leader = NULL;
	int n = 0;

	memset(out, 0, sizeof *out);
	if (data == NULL || only_padding(data, data + len))
		return set_cause(cause, "empty input");
	if (len > CERT_MAX_FILE)
		return set_cause(cause, "larger than %u MiB",
		    CERT_MAX_FILE >> 20);

	memset(&ld, 0, sizeof ld);
	ld.p12_pass = p12_pass;
	ld.key_pass = key_pass;
	strv_init(&ld.notes);
	ERR_clear_error();

	/*
	 * PEM if there is a BEGIN line that OpenSSL reads as one; otherwise
	 * (no block found after all) the bytes are tried as DER.
	 */
	if (memmem(data, len, "-----BEGIN ", 11) != NULL &&
	    (n = pem_foreach(data, len, ld_pem_block, &ld, cause)) < 0)
		goto fail;
	if (n == 0 && ld_der(&ld, data, len, cause) != 0)
		goto fail;

	if (ld.n == 0) {
		if (ld.saw_key)
			set_cause(cause, "a private key, not a certificate");
		else if (ld.saw_csr)
			set_cause(cause,
			    "a certificate request (CSR), not a certificate");
		else
			set_cause(cause, "no certificate found");
		goto fail;
	}

	leader = xreallocarray(NULL, ld.n, sizeof *leader);
	ld_group(&ld, out, leader);
	ld_keys(&ld, out, leader);
	if (ld.notes.n > 0)
		out->note = strv_join(&ld.notes, "; ");
	free(leader);
	ld_free(&ld);
	ERR_clear_error();
	return 0;

fail:
	ld_free(&ld);
	cert_bundle_free(out);
	ERR_clear_error();
	return -1;
}

void
cert_bundle_free(struct cert_bundle *b)
{
	struct cert_group *g;
	size_t i, j;

	if (b == NULL)
		return;
	for (i = 0; i < b->ngroups; i++) {
		g = &b->groups[i];
		for (j = 0; j < g->n; j++) {
			free(g->items[j].der);
			certrec_free(&g->items[j].rec);
		}
		free(g->items);
		if (g->key != NULL) {
			free(g->key->pem);
			free(g->key);
		}
	}
	free(b->groups);
	free(b->note);
	memset(b, 0, sizeof *b);
}

/* ---------------------------------------------------------------------- */
/* Certificate revocation lists, for the audit's revoked rule. */

struct cert_crl {
	X509_CRL	*crl;
	char		*issuer;	/* RFC 4514, as certrec's issuer */
};

struct cert_crl *
cert_crl_load(const void *data, size_t len, char **cause)
{
	struct cert_crl *c;
	const unsigned char *p = data;
	X509_CRL *crl = NULL;
	BIO *bio;

	if (len > CERT_MAX_FILE || len > INT_MAX) {
		set_cause(cause, "too large for a CRL");
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(data, (int)len)) != NULL) {
		crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (crl == NULL)
		crl = d2i_X509_CRL(NULL, &p, (long)len);
	ERR_clear_error();
	if (crl == NULL) {
		set_cause(cause, "not a CRL (PEM or DER)");
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->crl = crl;
	c->issuer = name_str(X509_CRL_get_issuer(crl));
	return c;
}

void
cert_crl_free(struct cert_crl *c)
{
	if (c == NULL)
		return;
	X509_CRL_free(c->crl);
	free(c->issuer);
	free(c);
}

int
cert_crl_revoked(const struct cert_crl *c, const char *issuer,
    const char *serial, int64_t *when)
{
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *ai;
	BIGNUM *bn = NULL;
	int rc = 0;

	*when = 0;
	if (issuer == NULL || serial == NULL || strcmp(issuer, c->issuer) != 0)
		return -1;
	if (BN_hex2bn(&bn, serial) == 0 ||
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL) {
		BN_free(bn);
		ERR_clear_error();
		return 0;
	}
	if (X509_CRL_get0_by_serial(c->crl, &rev, ai) == 1 && rev != NULL) {
		rc = 1;
		if (time_unix(X509_REVOKED_get0_revocationDate(rev), when) != 0)
			*when = 0;
	}
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	ERR_clear_error();
	return rc;
}

/*
 * The subjects of the certificates of a PEM bundle (the system's trust
 * store, for the audit): decoded and named only, none of cert_parse_der's
 * work (its self-signature check is most of the cost).
 */
size_t
cert_pem_subjects(const char *pem, size_t len, struct strv *out)
{
	BIO *bio;
	X509 *x;
	size_t n = 0;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return 0;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		strv_addn(out, name_str(X509_get_subject_name(x)));
		X509_free(x);
		n++;
	}
	BIO_free(bio);
	ERR_clear_error();
	return n;
}

/*
 * Measured with bench/run's 10,000 generated certificates: decoding them
 * on two threads in the default context took 1.5 s of CPU (0.8 s wall)
 * against 1.0 s on one; with a context per helper thread, 1.0 s (0.55 s
 * wall). The contexts read the same configuration file as the default
 * one, so a provider the system's openssl.cnf activates (legacy, for old
 * PKCS#12 files) is there on every thread.
 */
#define CERT_THREAD_SLOTS	8

static pthread_mutex_t	 cert_thread_mu = PTHREAD_MUTEX_INITIALIZER;
static OSSL_LIB_CTX	*cert_thread_ctx[CERT_THREAD_SLOTS];
static int		 cert_thread_busy[CERT_THREAD_SLOTS];

int
cert_thread_begin(void)
{
	OSSL_LIB_CTX *ctx;
	char *conf;
	int i, slot = -1;

	keydec_drop();		/* made in the context this thread leaves */
	pthread_mutex_lock(&cert_thread_mu);
	for (i = 0; i < CERT_THREAD_SLOTS && slot < 0; i++)
		if (!cert_thread_busy[i])
			slot = i;
	if (slot >= 0 && cert_thread_ctx[slot] == NULL) {
		if ((ctx = OSSL_LIB_CTX_new()) != NULL) {
			conf = CONF_get1_default_config_file();
			if (conf == NULL ||
			    !OSSL_LIB_CTX_load_config(ctx, conf))
				ERR_clear_error();	/* as the default's */
			OPENSSL_free(conf);
		}
		cert_thread_ctx[slot] = ctx;
	}
	if (slot >= 0 && cert_thread_ctx[slot] != NULL &&
	    OSSL_LIB_CTX_set0_default(cert_thread_ctx[slot]) != NULL)
		cert_thread_busy[slot] = 1;
	else
		slot = -1;
	pthread_mutex_unlock(&cert_thread_mu);
	return slot;
}

void
cert_thread_end(int slot)
{
	if (slot < 0 || slot >= CERT_THREAD_SLOTS)
		return;
	ERR_clear_error();
	keydec_drop();
	OSSL_LIB_CTX_set0_default(NULL);
	pthread_mutex_lock(&cert_thread_mu);
	cert_thread_busy[slot] = 0;
	pthread_mutex_unlock(&cert_thread_mu);
}
