/* key.c: generating and storing private keys (key.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "cert.h"
#include "hsm.h"
#include "key.h"
#include "util.h"

const char *const key_types[] = {
	"ec:P-256", "ec:P-384", "rsa:3072", "rsa:4096", "ed25519", NULL
};

int
key_type_valid(const char *t)
{
	size_t i;

	for (i = 0; key_types[i] != NULL; i++)
		if (strcmp(key_types[i], t) == 0)
			return 1;
	return 0;
}

EVP_PKEY *
key_generate(const char *type, char **cause)
{
	EVP_PKEY *pk = NULL;

	if (!key_type_valid(type)) {
		set_cause(cause, "unknown key type %s (use ec:P-256, ec:P-384, "
		    "rsa:3072, rsa:4096 or ed25519)", type);
		return NULL;
	}
	if (strncmp(type, "ec:", 3) == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", type + 3);
	else if (strncmp(type, "rsa:", 4) == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)strtoul(type + 4, NULL, 10));
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pk == NULL)
		set_cause(cause, "generating a %s key failed", type);
	ERR_clear_error();
	return pk;
}

EVP_PKEY *
key_generate_at(const char *type, const char *uri, int flags,
    const char *what, char **new_uri, char **desc, char **cause)
{
	EVP_PKEY *pk;
	char *err = NULL, *token;

	*new_uri = NULL;
	*desc = NULL;
	if (uri == NULL) {
		if ((pk = key_generate(type, cause)) != NULL)
			*desc = xasprintf("new (%s)", type);
		return pk;
	}
	if ((pk = hsm_key_generate(uri, type, flags, new_uri, &err)) == NULL) {
		set_cause(cause, "%s %s: %s", what, uri, err);
		free(err);
		return NULL;
	}
	token = hsm_uri_token(*new_uri);
	*desc = xasprintf("new (%s) in PKCS#11 token %s", type, token);
	free(token);
	return pk;
}

void
key_generate_undo(const char *new_uri)
{
	char *err = NULL;

	/* Best effort: what is left is an unused key, never a lost one. */
	if (new_uri != NULL && hsm_key_remove(new_uri, &err) != 0)
		free(err);
}

const char *
key_type_of(const EVP_PKEY *pk)
{
	char group[64];
	size_t len;

	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_ED25519:
		return "ed25519";
	case EVP_PKEY_RSA:
		switch (EVP_PKEY_get_bits(pk)) {
		case 3072:
			return "rsa:3072";
		case 4096:
			return "rsa:4096";
		}
		return "";
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pk, "group", group,
		    sizeof group, &len)) {
			ERR_clear_error();
			return "";
		}
		if (strcmp(group, "prime256v1") == 0 ||
		    strcmp(group, "P-256") == 0)
			return "ec:P-256";
		if (strcmp(group, "secp384r1") == 0 ||
		    strcmp(group, "P-384") == 0)
			return "ec:P-384";
		return "";
	}
	return "";
}

const char *
key_type_new(const char *asked, const EVP_PKEY *old, int in_token)
{
	if (asked != NULL)
		return asked;
	if (old != NULL && *key_type_of(old) != '\0')
		return key_type_of(old);
	return in_token ? HSM_KEY_TYPE_DEFAULT : KEY_TYPE_DEFAULT;
}

const EVP_MD *
key_sign_md(const EVP_PKEY *pk)
{
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519)
		return NULL;
	if (strcmp(key_type_of(pk), "ec:P-384") == 0)
		return EVP_sha384();
	return EVP_sha256();
}

int
key_kdf_iterations(void)
{
	static int iter;
	const char *env;
	char *end;
	long v;

	if (iter != 0)
		return iter;
	iter = KEY_PBKDF2_ITER;
	if ((env = getenv("CERTDECK_KDF_ITERATIONS")) != NULL && *env != '\0') {
		errno = 0;
		v = strtol(env, &end, 10);
		if (errno != 0 || *end != '\0' || v < KEY_PBKDF2_ITER_MIN ||
		    v > KEY_PBKDF2_ITER_MAX) {
			fprintf(stderr, "certdeck: CERTDECK_KDF_ITERATIONS: not "
			    "a number from %d to %d: %.40s\n",
			    KEY_PBKDF2_ITER_MIN, KEY_PBKDF2_ITER_MAX, env);
			exit(2);
		}
		iter = (int)v;
	}
	return iter;
}

char *
key_encrypt_pem(EVP_PKEY *pk, const char *pass, size_t *len)
{
	PKCS8_PRIV_KEY_INFO *inf;
	X509_SIG *p8 = NULL;
	BIO *bio = NULL;
	char *mem, *out = NULL;
	long n;

	if (pass == NULL || *pass == '\0' ||
	    (inf = EVP_PKEY2PKCS8(pk)) == NULL)
		goto out;
	/* pbe_nid -1: PBES2 with this cipher; PBKDF2 with HMAC-SHA256. */
	p8 = PKCS8_encrypt(-1, EVP_aes_256_cbc(), pass, (int)strlen(pass),
	    NULL, 0, key_kdf_iterations(), inf);
	PKCS8_PRIV_KEY_INFO_free(inf);
	if (p8 == NULL || (bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PKCS8(bio, p8) ||
	    (n = BIO_get_mem_data(bio, &mem)) <= 0)
		goto out;
	out = xstrndup(mem, (size_t)n);
	*len = (size_t)n;
out:
	BIO_free(bio);
	X509_SIG_free(p8);
	ERR_clear_error();
	return out;
}

/* A key's passphrase; never OpenSSL's prompt on the terminal. */
static int
key_pass_cb(char *buf, int size, int rwflag, void *u)
{
	size_t n;

	(void)rwflag;
	if (u == NULL || size <= 0 || (n = strlen(u)) > (size_t)size)
		return -1;
	memcpy(buf, u, n);
	return (int)n;
}

EVP_PKEY *
key_decrypt_pem(const char *pem, size_t len, const char *pass, char **cause)
{
	EVP_PKEY *pk;
	BIO *bio;
	int encrypted;

	if (len > INT32_MAX) {
		set_cause(cause, "the key is too large");
		return NULL;
	}
	/* PKCS#8 "ENCRYPTED PRIVATE KEY", or a traditional key's
	   "Proc-Type: 4,ENCRYPTED". */
	encrypted = memmem(pem, len, "ENCRYPTED", 9) != NULL;
	if (memmem(pem, len, "-----BEGIN", 10) == NULL) {
		set_cause(cause, "the key is not a PEM private key");
		return NULL;
	}
	if (encrypted && (pass == NULL || *pass == '\0')) {
		set_cause(cause, "the key is encrypted and no passphrase is "
		    "configured (set CERTDECK_PASSPHRASE_FILE)");
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		set_cause(cause, "out of memory");
		return NULL;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, key_pass_cb,
	    (void *)(encrypted ? pass : NULL));
	BIO_free(bio);
	ERR_clear_error();
	if (pk == NULL)
		set_cause(cause, encrypted ? "cannot decrypt the key: wrong "
		    "passphrase" : "the key does not parse");
	return pk;
}

EVP_PKEY *
key_load_path(const char *path, const char *pass, char **cause)
{
	EVP_PKEY *pk;
	char *data = NULL;
	size_t len = 0;

	if (hsm_is_uri(path))
		return hsm_key_load(path, cause);
	if (read_file(path, CERT_MAX_FILE, &data, &len, cause) != 0)
		return NULL;
	pk = key_decrypt_pem(data, len, pass, cause);
	free_secret(data, len);
	return pk;
}
