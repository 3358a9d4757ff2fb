/*
 * parseloop.c: the baseline for the import benchmark (bench/run). It does
 * the least any importer must: read every file under DIR and decode every
 * PEM certificate in it with OpenSSL (PEM_read_bio_X509, i.e. base64 plus
 * d2i_X509), then free it. No fields are extracted, nothing is stored.
 *
 *   parseloop DIR     prints "N certificates in M files"
 *
 * Build: cc -O2 -o parseloop parseloop.c -lcrypto
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static long ncerts, nfiles;
static char *buf;
static size_t bufcap;

static int
one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	FILE *f;
	BIO *bio;
	X509 *x;
	size_t len;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	if ((size_t)st->st_size + 1 > bufcap) {
		bufcap = (size_t)st->st_size + 1;
		if ((buf = realloc(buf, bufcap)) == NULL)
			return -1;
	}
	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	len = fread(buf, 1, bufcap, f);
	fclose(f);
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return -1;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		ncerts++;
		X509_free(x);
	}
	ERR_clear_error();	/* the end of the input is an "error" */
	BIO_free(bio);
	nfiles++;
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: parseloop DIR\n", stderr);
		return 2;
	}
	if (nftw(argv[1], one, 64, FTW_PHYS) != 0) {
		fprintf(stderr, "parseloop: %s: walk failed\n", argv[1]);
		return 2;
	}
	printf("%ld certificates in %ld files\n", ncerts, nfiles);
	free(buf);
	return 0;
}
