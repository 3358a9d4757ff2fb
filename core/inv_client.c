/*
 * inv_client.c: an entry's certificate and private key, for a probe to
 * present as a client certificate (probe --client NAME; probe.h).
 *
 * The certificate is the entry's cert.pem at HEAD (leaf, then its chain).
 * The key is keys/NAME.key at HEAD (stored by import, encrypted PKCS#8
 * with the passphrase from CERTDECK_PASSPHRASE_FILE), else what the
 * entry's key-path names: a file (unencrypted, or encrypted with that
 * same passphrase) or a key in a PKCS#11 token, which signs the
 * handshake there. Files are read from git's object database or the
 * file system into memory, decrypted there, and the buffers holding key
 * material are wiped before they are freed: nothing is written anywhere,
 * not even a temporary file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "entry.h"
#include "hsm.h"
#include "inventory.h"
#include "invpriv.h"
#include "key.h"
#include "probe.h"


int
inv_key_stored(struct inv *inv, const char *path, char **key, size_t *len,
    char **cause)
{
	char *err = NULL;
	int found;

	*key = NULL;
	*len = 0;
	found = repo_read(inv->repo, NULL, path, key, len, NULL, &err);
	if (found != 1) {
		free_secret(*key, *len);
		*key = NULL;
		*len = 0;
	}
	if (found < 0)
		set_cause(cause, "%s: %s", path, err);
	free(err);
	return found;
}

int
inv_entry_key_stored(struct inv *inv, const char *name, char **key,
    size_t *len, char **cause)
{
	char *path = xasprintf("keys/%s.key", name);
	int found = inv_key_stored(inv, path, key, len, cause);

	free(path);
	return found;
}

int
entry_key_open(const char *name, const char *keypath, const char *stored,
    size_t len, const char *pass, EVP_PKEY **pk, char **from, char **cause)
{
	char *err = NULL, *path = xasprintf("keys/%s.key", name);

	*pk = NULL;
	if (from != NULL)
		*from = NULL;
	if (stored == NULL && (keypath == NULL || *keypath == '\0')) {
		set_cause(cause, "no private key: none stored (%s) and no "
		    "key-path set", path);
		free(path);
		return -1;
	}
	if (stored != NULL)
		*pk = key_decrypt_pem(stored, len, pass, &err);
	else
		*pk = key_load_path(keypath, pass, &err);
	if (*pk == NULL) {
		set_cause(cause, "%s%s: %s", stored != NULL ? "" : "key-path ",
		    stored != NULL ? path : keypath, err);
		free(err);
		free(path);
		return -1;
	}
	if (from != NULL)
		*from = stored != NULL ? xstrdup(path) :
		    xasprintf("key-path %s", keypath);
	free(path);
	return 0;
}

int
inv_entry_key(struct inv *inv, const char *name, const struct entry *e,
    EVP_PKEY **pk, char **from, char **cause)
{
	const char *keypath = entry_get(e, "key-path");
	char *key = NULL, *pass = NULL, *err = NULL;
	size_t key_len = 0;
	int found, rc = -1;

	*pk = NULL;
	if ((found = inv_entry_key_stored(inv, name, &key, &key_len,
	    cause)) < 0)
		return -1;
	/* A key in a token needs no passphrase, and may need a PIN. */
	if (found == 1 || (keypath != NULL && !hsm_is_uri(keypath))) {
		pass = inv_key_passphrase(1, &err);
		if (pass == NULL && err != NULL) {
			set_cause(cause, "%s", err);
			free(err);
			goto out;
		}
	}
	rc = entry_key_open(name, keypath, found == 1 ? key : NULL, key_len,
	    pass, pk, from, cause);
out:
	free_secret(key, key_len);
	free_secret(pass, pass != NULL ? strlen(pass) : 0);
	return rc;
}

int
inv_probe_client(struct inv *inv, const char *name,
    struct probe_client **out, char **cause)
{
	struct entry e;
	EVP_PKEY *pk = NULL;
	char *dir = NULL, *path = NULL, *text = NULL, *cert = NULL;
	char *err = NULL, *from = NULL;
	size_t cert_len = 0;
	int rc = -1, found;

	*out = NULL;
	entry_init(&e);
	if (!name_valid(name) || !inv_exists(inv, name)) {
		set_cause(cause, "--client %s: no such entry", name);
		goto out;
	}
	if (inv_entry_text(inv, name, &text, &err) < 0 ||
	    entry_parse(text, strlen(text), &e, &err) != 0) {
		set_cause(cause, "--client %s: entry: %s", name, err);
		goto out;
	}
	dir = inv_entry_dir(name);
	path = xasprintf("%s/cert.pem", dir);
	found = repo_read(inv->repo, NULL, path, &cert, &cert_len, NULL,
	    &err);
	if (found != 1) {
		set_cause(cause, "--client %s: %s", name, found < 0 ? err :
		    "the entry has no certificate");
		goto out;
	}
	if (inv_entry_key(inv, name, &e, &pk, &from, &err) != 0) {
		set_cause(cause, "--client %s: %s", name, err);
		goto out;
	}
	if ((*out = probe_client_new(cert, cert_len, pk, &err)) == NULL) {
		set_cause(cause, "--client %s: %s: %s", name, from, err);
		goto out;
	}
	rc = 0;
out:
	free(from);
	free(cert);
	free(text);
	free(path);
	free(dir);
	free(err);
	entry_free(&e);
	return rc;
}
