/*
 * inv_acme.c: a renewal through an acme profile (acme.h): the profile's
 * settings, the names of the old certificate, the account key kept in
 * the inventory, the certificate's key; acme.c does the protocol.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "acme.h"
#include "ca.h"
#include "cert.h"
#include "hsm.h"
#include "inventory.h"
#include "invpriv.h"
#include "key.h"

#define ACME_ACCOUNT_KEY_TYPE	"ec:P-256"

static const char *const acme_keys[] = { "type", "directory", "contact",
    "ca-bundle", "challenge", "http-listen", "webroot", "key-type",
    "reuse-key", "timeout", "dns-hook", "dns-wait", "eab-kid",
    "eab-hmac-key-file", NULL };


int
acme_renew_check(struct inv *inv, const char *section, char **desc,
    char **cause)
{
	const struct config *c = &inv->cfg;
	const char *dir = config_get(c, section, "directory");
	const char *ch = config_get(c, section, "challenge");
	const char *hl = config_get(c, section, "http-listen");
	const char *wr = config_get(c, section, "webroot");
	const char *kt = config_get(c, section, "key-type");
	const char *ru = config_get(c, section, "reuse-key");
	const char *to = config_get(c, section, "timeout");
	const char *dh = config_get(c, section, "dns-hook");
	const char *dw = config_get(c, section, "dns-wait");
	size_t i, k;
	char *end;
	long t;

	for (i = 0; i < c->nitems; i++) {
		if (strcmp(c->items[i].section, section) != 0)
			continue;
		for (k = 0; acme_keys[k] != NULL; k++)
			if (strcmp(acme_keys[k], c->items[i].key) == 0)
				break;
		if (acme_keys[k] == NULL)
			return set_cause(cause, "certdeck.conf:%d: [%s]: %s is "
			    "not an acme setting", c->items[i].line, section,
			    c->items[i].key);
	}
	if (dir == NULL || !str_startswith(dir, "https://"))
		return set_cause(cause, "certdeck.conf [%s]: directory = "
		    "https://... is needed", section);
	if (ch != NULL && strcmp(ch, "dns-01") == 0) {
		struct strv w;
		char *e = NULL;
		int bad;

		if (dh == NULL)
			return set_cause(cause, "certdeck.conf [%s]: dns-01 "
			    "needs dns-hook = COMMAND", section);
		strv_init(&w);
		bad = argv_split(dh, &w, &e) != 0 || w.n == 0;
		strv_free(&w);
		if (bad) {
			set_cause(cause, "certdeck.conf [%s]: dns-hook: %s",
			    section, e != NULL ? e : "empty");
			free(e);
			return -1;
		}
		if (dw != NULL && (strtol(dw, &end, 10) < 0 ||
		    strtol(dw, &end, 10) > 3600 || *dw == '\0' ||
		    *end != '\0'))
			return set_cause(cause, "certdeck.conf [%s]: dns-wait "
			    "must be a number from 0 to 3600", section);
	} else if (ch != NULL && strcmp(ch, "http-01") != 0)
		return set_cause(cause, "certdeck.conf [%s]: challenge %s: "
		    "use http-01 or dns-01", section, ch);
	else if ((hl == NULL) == (wr == NULL))
		return set_cause(cause, "certdeck.conf [%s]: http-01 needs "
		    "one of http-listen = ADDR:PORT or webroot = DIR", section);
	if ((config_get(c, section, "eab-kid") == NULL) !=
	    (config_get(c, section, "eab-hmac-key-file") == NULL))
		return set_cause(cause, "certdeck.conf [%s]: eab-kid and "
		    "eab-hmac-key-file go together", section);
	if (kt != NULL && !key_type_valid(kt))
		return set_cause(cause, "certdeck.conf [%s]: key-type %s: use "
		    "ec:P-256, ec:P-384, rsa:3072, rsa:4096 or ed25519",
		    section, kt);
	if (ru != NULL && strcmp(ru, "yes") != 0 && strcmp(ru, "no") != 0 &&
	    strcmp(ru, "true") != 0 && strcmp(ru, "false") != 0)
		return set_cause(cause, "certdeck.conf [%s]: reuse-key must "
		    "be yes or no", section);
	if (to != NULL) {
		t = strtol(to, &end, 10);
		if (*to == '\0' || *end != '\0' || t < 1 || t > 86400)
			return set_cause(cause, "certdeck.conf [%s]: timeout "
			    "must be a number from 1 to 86400", section);
	}
	if (desc != NULL && ch != NULL && strcmp(ch, "dns-01") == 0)
		*desc = xasprintf("ACME %s, dns-01 by %s", dir, dh);
	else if (desc != NULL)
		*desc = xasprintf("ACME %s, http-01 %s %s", dir,
		    hl != NULL ? "on" : "in webroot", hl != NULL ? hl : wr);
	return 0;
}

/* The names to ask for: DNS and IP SANs, else the CN. */
static void
old_names(X509 *x, struct strv *out)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	char buf[256], ip[INET6_ADDRSTRLEN];
	int i;

	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS)
			strv_addn(out, xstrndup((const char *)
			    ASN1_STRING_get0_data(g->d.ia5),
			    (size_t)ASN1_STRING_length(g->d.ia5)));
		else if (g->type == GEN_IPADD && (g->d.ip->length == 4 ||
		    g->d.ip->length == 16) && inet_ntop(g->d.ip->length == 4 ?
		    AF_INET : AF_INET6, g->d.ip->data, ip, sizeof ip) != NULL)
			strv_add(out, ip);
	}
	GENERAL_NAMES_free(gens);
	if (out->n == 0 && X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, buf, sizeof buf) > 0)
		strv_add(out, buf);
	ERR_clear_error();
}

/* A PEM key from the repository at HEAD or a file, decrypted. 0 found,
   1 not there, -1 error. */
static int
load_key(struct acme_renewal *r, const char *path, int in_repo,
    EVP_PKEY **pk, char **cause)
{
	char *data = NULL, *err = NULL;
	size_t len = 0;
	int found;

	*pk = NULL;
	if (!in_repo) {
		/* A file or a key in a token, as key-path may name. */
		if ((*pk = key_load_path(path, r->pass, &err)) != NULL)
			return 0;
		set_cause(cause, "%s: %s", path, err);
		free(err);
		return -1;
	}
	found = repo_read(r->inv->repo, NULL, path, &data, &len, NULL, &err);
	if (found <= 0) {
		free_secret(data, len);
		if (found < 0) {
			set_cause(cause, "%s: %s", path, err);
			free(err);
			return -1;
		}
		free(err);
		return 1;
	}
	*pk = key_decrypt_pem(data, len, r->pass, &err);
	free_secret(data, len);
	if (*pk == NULL) {
		set_cause(cause, "%s: %s", path, err);
		free(err);
		return -1;
	}
	return 0;
}

/*
 * The EAB HMAC key: the file holds it as the CA gives it, base64url
 * (RFC 8555 7.3.4), one line. Kept out of certdeck.conf, which is in
 * the repository.
 */
static int
eab_key(const char *path, unsigned char **key, size_t *len, char **cause)
{
	char *data = NULL, *err = NULL, *t;
	size_t n, i;
	int dl;

	*key = NULL;
	*len = 0;
	if (read_file(path, 4096, &data, &n, &err) != 0) {
		set_cause(cause, "eab-hmac-key-file %s", err);
		free(err);
		return -1;
	}
	t = str_trim(data);
	n = strlen(t);
	for (i = 0; i < n; i++) {
		if (t[i] == '-')
			t[i] = '+';
		else if (t[i] == '_')
			t[i] = '/';
		else if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' &&
		    t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') ||
		    t[i] == '+' || t[i] == '/' || t[i] == '='))
			break;
	}
	if (n == 0 || i < n) {
		free_secret(data, strlen(data));
		return set_cause(cause, "eab-hmac-key-file %s: not one line of "
		    "base64url", path);
	}
	{
		char *padded = xmalloc(n + 4);

		memcpy(padded, t, n);
		while (n % 4)
			padded[n++] = '=';
		padded[n] = '\0';
		*key = xmalloc(n);
		dl = EVP_DecodeBlock(*key, (unsigned char *)padded, (int)n);
		for (i = n; i > 0 && padded[i - 1] == '='; i--)
			dl--;
		free_secret(padded, n);
	}
	free_secret(data, strlen(data));
	if (dl <= 0) {
		free(*key);
		*key = NULL;
		return set_cause(cause, "eab-hmac-key-file %s: not base64url",
		    path);
	}
	*len = (size_t)dl;
	return 0;
}

int
acme_renew(struct acme_renewal *r, struct buf *log, char **cause)
{
	const struct config *c = &r->inv->cfg;
	struct acme_opts o;
	struct strv names;
	STACK_OF(X509) *sk = NULL;
	EVP_PKEY *acct = NULL, *key = NULL;
	const char *kt = config_get(c, r->section, "key-type");
	const char *ru = config_get(c, r->section, "reuse-key");
	const char *to = config_get(c, r->section, "timeout");
	char *kpath = NULL;
	unsigned char *eabk = NULL;
	int rc = -1, reuse;

	strv_init(&names);
	memset(&o, 0, sizeof o);
	if (acme_renew_check(r->inv, r->section, NULL, cause) != 0)
		return -1;
	/* A key file (key-path) is reused; a key in a token is renewed in
	   the token. */
	reuse = (r->key_path != NULL && !hsm_is_uri(r->key_path)) ||
	    (ru != NULL && (strcmp(ru, "yes") == 0 || strcmp(ru, "true") ==
	    0));

	/* The account key: the profile's, or a new one. */
	r->acct_path = xasprintf("acme/%s/account.key", r->profile);
	switch (load_key(r, r->acct_path, 1, &acct, cause)) {
	case -1:
		goto out;
	case 1:
		if ((acct = key_generate(ACME_ACCOUNT_KEY_TYPE, cause)) == NULL)
			goto out;
		if (r->pass == NULL || (r->acct_pem = key_encrypt_pem(acct,
		    r->pass, &r->acct_len)) == NULL) {
			set_cause(cause, "cannot store a new ACME account key "
			    "without a passphrase");
			goto out;
		}
		break;
	default:
		free(r->acct_path);
		r->acct_path = NULL;
		break;
	}

	/* The certificate's key. */
	if (reuse) {
		kpath = r->key_path != NULL ? xstrdup(r->key_path) :
		    xasprintf("keys/%s.key", r->entry);
		if (load_key(r, kpath, r->key_path == NULL, &key, cause) != 0) {
			if (*cause == NULL)
				set_cause(cause, "reuse-key: no key stored "
				    "(%s)", kpath);
			goto out;
		}
		r->key_desc = xstrdup("reused");
	} else {
		if (kt == NULL)
			kt = *key_type_of(X509_get0_pubkey(r->old)) != '\0' ?
			    key_type_of(X509_get0_pubkey(r->old)) :
			    KEY_TYPE_DEFAULT;
		if ((key = key_generate_at(kt, r->key_path, HSM_GEN_RENEW,
		    "key-path", &r->newkey_uri, &r->key_desc, cause)) == NULL)
			goto out;
	}

	old_names(r->old, &names);
	o.directory = config_get(c, r->section, "directory");
	o.contact = config_get(c, r->section, "contact");
	o.ca_bundle = config_get(c, r->section, "ca-bundle");
	o.challenge = config_get(c, r->section, "challenge");
	o.http_listen = config_get(c, r->section, "http-listen");
	o.webroot = config_get(c, r->section, "webroot");
	o.dns_hook = config_get(c, r->section, "dns-hook");
	o.dns_wait_s = config_get(c, r->section, "dns-wait") != NULL ?
	    atoi(config_get(c, r->section, "dns-wait")) : 0;
	o.timeout_s = to != NULL ? atoi(to) : 0;
	o.account_key = acct;
	if ((o.eab_kid = config_get(c, r->section, "eab-kid")) != NULL &&
	    eab_key(config_get(c, r->section, "eab-hmac-key-file"), &eabk,
	    &o.eab_keylen, cause) != 0)
		goto out;
	o.eab_key = eabk;
	if (acme_issue(&o, names.v, names.n, key, &r->full_pem, log,
	    cause) != 0)
		goto out;
	if ((sk = ca_pem_certs(r->full_pem, strlen(r->full_pem))) == NULL) {
		set_cause(cause, "the CA's certificate download holds no "
		    "certificate");
		goto out;
	}
	r->leaf = sk_X509_shift(sk);
	if (X509_check_private_key(r->leaf, key) != 1) {
		set_cause(cause, "the CA's certificate is not for our key");
		goto out;
	}
	if (!reuse) {
		r->newkey = key;
		key = NULL;
	}
	rc = 0;
out:
	if (rc != 0) {
		free(r->acct_pem);
		r->acct_pem = NULL;
		key_generate_undo(r->newkey_uri);
		free(r->newkey_uri);
		r->newkey_uri = NULL;
	}
	ERR_clear_error();
	sk_X509_pop_free(sk, X509_free);
	EVP_PKEY_free(acct);
	EVP_PKEY_free(key);
	free(kpath);
	free_secret((char *)eabk, o.eab_keylen);
	strv_free(&names);
	return rc;
}

void
acme_renewal_free(struct acme_renewal *r)
{
	free(r->full_pem);
	X509_free(r->leaf);
	EVP_PKEY_free(r->newkey);
	free(r->newkey_uri);
	free(r->key_desc);
	free(r->acct_path);
	free_secret(r->acct_pem, r->acct_len);
	memset(r, 0, sizeof *r);
}
