/*
 * inv_client.c: an entry's certificate and private key, for a probe to
 * present as a client certificate (probe --client NAME; probe.h).
 *
 * The certificate is the entry's cert.pem at HEAD (leaf, then its chain).
 * The key is keys/NAME.key at HEAD (stored by import, encrypted PKCS#8
 * with the passphrase from CERTDECK_PASSPHRASE_FILE), else the file the
 * entry's key-path names (unencrypted, or encrypted with that same
 * passphrase). Both are read from git's object database or that file into
 * memory, decrypted there, and the buffers holding key material are wiped
 * before they are freed: nothing is written anywhere, not even a
 * temporary file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "entry.h"
#include "inventory.h"
#include "invpriv.h"
#include "probe.h"

int
inv_entry_key(struct inv *inv, const char *name, const struct entry *e,
    char **key, size_t *len, char **from, char **cause)
{
	char *path = xasprintf("keys/%s.key", name), *err = NULL;
	const char *keypath;
	int found;

	*key = NULL;
	*len = 0;
	*from = NULL;
	found = repo_read(inv->repo, NULL, path, key, len, NULL, &err);
	if (found < 0) {
		set_cause(cause, "%s: %s", path, err);
		free(err);
		free(path);
		return -1;
	}
	if (found == 1) {
		*from = path;
		return 0;
	}
	keypath = entry_get(e, "key-path");
	if (keypath == NULL || *keypath == '\0') {
		set_cause(cause, "no private key: none stored (%s) and no "
		    "key-path set", path);
		free(path);
		return -1;
	}
	free(path);
	if (read_file(keypath, CERT_MAX_FILE, key, len, &err) != 0) {
		set_cause(cause, "key-path %s: %s", keypath, err);
		free(err);
		return -1;
	}
	*from = xstrdup(keypath);
	return 0;
}

int
inv_probe_client(struct inv *inv, const char *name,
    struct probe_client **out, char **cause)
{
	struct entry e;
	char *dir = NULL, *path = NULL, *text = NULL, *cert = NULL;
	char *key = NULL, *pass = NULL, *err = NULL, *from = NULL;
	size_t cert_len = 0, key_len = 0;
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
	if (inv_entry_key(inv, name, &e, &key, &key_len, &from, &err) != 0) {
		set_cause(cause, "--client %s: %s", name, err);
		goto out;
	}
	pass = inv_key_passphrase(&err);
	if (pass == NULL && err != NULL) {
		set_cause(cause, "--client %s: %s", name, err);
		goto out;
	}
	*out = probe_client_new(cert, cert_len, key, key_len, pass, &err);
	if (*out == NULL) {
		set_cause(cause, "--client %s: %s: %s", name, from, err);
		goto out;
	}
	rc = 0;
out:
	free_secret(key, key_len);
	free_secret(pass, pass != NULL ? strlen(pass) : 0);
	free(cert);
	free(text);
	free(path);
	free(from);
	free(dir);
	free(err);
	entry_free(&e);
	return rc;
}
