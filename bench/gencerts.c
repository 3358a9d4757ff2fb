/*
 * gencerts.c: write N distinct leaf certificates as PEM files, fast, for
 * the benchmarks (bench/run). `openssl req` per certificate costs a key
 * generation and a process each; here there is one CA key (EC P-256, so
 * each signature is cheap) and one RSA-2048 leaf key reused by every leaf:
 * signing is all that is left per certificate.
 *
 *   gencerts [-s START] [-r DAYS] N OUTDIR
 *
 * Certificate i (START <= i < START+N) goes to OUTDIR/cert-<i>.pem with
 * CN and SAN host-<i>.bench.example (plus www.host-<i>.bench.example),
 * a serial derived from i, notBefore 90 days before notAfter and notAfter
 * spread over -30..400 days around CERTDECK_NOW (required, RFC 3339).
 * -r DAYS adds DAYS to notAfter: a renewal of the same names (a different
 * certificate: the serial changes too).
 *
 * The CA is derived from a fixed seed so that every run signs with the same
 * issuer name; its key is generated afresh (the issuer's key id differs
 * between runs, which does not matter here).
 *
 * Build: cc -O2 -o gencerts gencerts.c -lcrypto
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static void
die(const char *what)
{
	fprintf(stderr, "gencerts: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(2);
}

/* "YYYY-MM-DDTHH:MM:SSZ" (what the benchmarks set) to Unix seconds. */
static time_t
parse_now(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof tm);
	if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL ||
	    (*end != 'Z' && *end != 'z') || end[1] != '\0')
		die("set CERTDECK_NOW to an RFC 3339 UTC time "
		    "(YYYY-MM-DDTHH:MM:SSZ)");
	return timegm(&tm);
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL ||
	    !X509_add_ext(x, ex, -1))
		die("cannot add an extension");
	X509_EXTENSION_free(ex);
}

static EVP_PKEY *
keygen(const char *type, const char *param)
{
	EVP_PKEY *k;

	if (strcmp(type, "EC") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (k == NULL)
		die("cannot generate a key");
	return k;
}

static X509 *
make_ca(EVP_PKEY *key, time_t now)
{
	X509 *x = X509_new();
	X509_NAME *n;

	if (x == NULL || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    X509_time_adj_ex(X509_getm_notBefore(x), -365, 0, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), 3650, 0, &now) == NULL ||
	    !X509_set_pubkey(x, key))
		die("cannot make the CA");
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"certdeck bench", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"certdeck bench issuing CA", -1, -1, 0);
	X509_set_issuer_name(x, n);
	add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	add_ext(x, x, NID_subject_key_identifier, "hash");
	if (!X509_sign(x, key, EVP_sha256()))
		die("cannot sign the CA");
	return x;
}

int
main(int argc, char **argv)
{
	EVP_PKEY *ca_key, *leaf_key;
	X509 *ca, *x;
	X509_NAME *n;
	BIO *bio;
	time_t now;
	long start = 0, renew = 0, count, i;
	char host[128], san[512], path[4096];
	int c;

	while ((c = getopt(argc, argv, "s:r:")) != -1) {
		switch (c) {
		case 's':
			start = strtol(optarg, NULL, 10);
			break;
		case 'r':
			renew = strtol(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	count = strtol(argv[optind], NULL, 10);
	if (count <= 0 || start < 0)
		goto usage;
	now = parse_now(getenv("CERTDECK_NOW"));
	if (mkdir(argv[optind + 1], 0755) != 0 && errno != EEXIST)
		die("cannot make the output directory");

	ca_key = keygen("EC", "P-256");
	leaf_key = keygen("RSA", NULL);
	ca = make_ca(ca_key, now);

	for (i = start; i < start + count; i++) {
		/* A fixed permutation of 0..430 days so expiries interleave. */
		long day = (i * 7919L) % 431 - 30 + renew;
		time_t na = now + day * 86400 + (i % 86400);
		uint64_t serial = 0x5eed000000000000ULL ^
		    ((uint64_t)i * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)renew;
		BIGNUM *bn;

		snprintf(host, sizeof host, "host-%06ld.bench.example", i);
		snprintf(san, sizeof san, "DNS:%s,DNS:www.%s", host, host);
		if ((x = X509_new()) == NULL || !X509_set_version(x, 2))
			die("out of memory");
		bn = BN_new();
		BN_set_word(bn, serial >> 1);	/* positive */
		BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
		BN_free(bn);
		if (X509_time_adj_ex(X509_getm_notBefore(x), 0, -90L * 86400,
		    &na) == NULL ||
		    X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &na) == NULL)
			die("cannot set the validity");
		n = X509_get_subject_name(x);
		X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
		    (const unsigned char *)"certdeck bench", -1, -1, 0);
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
		    (const unsigned char *)host, -1, -1, 0);
		X509_set_issuer_name(x, X509_get_subject_name(ca));
		X509_set_pubkey(x, leaf_key);
		add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, ca, NID_key_usage,
		    "critical,digitalSignature,keyEncipherment");
		add_ext(x, ca, NID_ext_key_usage, "serverAuth,clientAuth");
		add_ext(x, ca, NID_subject_alt_name, san);
		add_ext(x, ca, NID_authority_key_identifier, "keyid");
		add_ext(x, ca, NID_subject_key_identifier, "hash");
		if (!X509_sign(x, ca_key, EVP_sha256()))
			die("cannot sign");
		snprintf(path, sizeof path, "%s/cert-%06ld.pem",
		    argv[optind + 1], i);
		if ((bio = BIO_new_file(path, "w")) == NULL ||
		    !PEM_write_bio_X509(bio, x))
			die("cannot write a certificate");
		BIO_free(bio);
		X509_free(x);
	}
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	return 0;

usage:
	fputs("usage: gencerts [-s START] [-r DAYS] N OUTDIR\n", stderr);
	return 2;
}
