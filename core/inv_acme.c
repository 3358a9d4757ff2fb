/*
 * inv_acme.c: a renewal through an acme profile (acme.h): the profile's
 * settings, the names of the old certificate, the account key kept in
 * the inventory, the certificate's key; acme.c does the protocol. What
 * reads the repository (acme_renew_prepare) runs on the inventory's
 * thread; acme_renew, on a renewal's own.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
acme_renew_check(const struct config *c, const char *section, char **desc,
    char **cause)
{
	const char *dir = config_get(c, section, "directory");
	const char *ch = config_get(c, section, "challenge");
	const char *hl = config_get(c, section, "http-listen");
	const char *wr = config_get(c, section, "webroot");
	const char *kt = config_get(c, section, "key-type");
	const char *to = config_get(c, section, "timeout");
	const char *dh = config_get(c, section, "dns-hook");
	const char *dw = config_get(c, section, "dns-wait");
	const char *cb = config_get(c, section, "ca-bundle");
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
	/* Missing, it would read as a CA that is not trusted, with the
	   advice to set the ca-bundle that is set. */
	if (cb != NULL && access(cb, R_OK) != 0)
		return set_cause(cause, "certdeck.conf [%s]: ca-bundle %s: %s",
		    section, cb, strerror(errno));
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

/*
 * The EAB HMAC key: the file holds it as the CA gives it, base64url
 * (RFC 8555 7.3.4), one line. Kept out of certdeck.conf, which is in
 * the repository.
 */
static int
eab_key(const char *path, unsigned char **key, size_t *len, char **cause)
{
	char *data = NULL, *err = NULL, *t;
	size_t n, i, dlen;
	int dl;

	*key = NULL;
	*len = 0;
	if (read_secret_file(path, &data, &err) != 0) {
		set_cause(cause, "eab-hmac-key-file %s: %s", path, err);
		free(err);
		return -1;
	}
	dlen = strlen(data);	/* str_trim moves it: wipe it all */
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
		free_secret(data, dlen);
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
	free_secret(data, dlen);
	if (dl <= 0) {
		free_secret((char *)*key, n);
		*key = NULL;
		return set_cause(cause, "eab-hmac-key-file %s: not base64url",
		    path);
	}
	*len = (size_t)dl;
	return 0;
}

/* The profile's settings as acme_issue takes them; with eabk, the EAB
   key too, read from its file into *eabk (caller frees with
   free_secret, length o->eab_keylen): only the session's newAccount
   needs it, not each order. */
static int
opts_fill(const struct config *c, const char *section, struct acme_opts *o,
    unsigned char **eabk, char **cause)
{
	const char *to = config_get(c, section, "timeout");
	const char *dw = config_get(c, section, "dns-wait");

	memset(o, 0, sizeof *o);
	if (eabk != NULL)
		*eabk = NULL;
	o->directory = config_get(c, section, "directory");
	o->contact = config_get(c, section, "contact");
	o->ca_bundle = config_get(c, section, "ca-bundle");
	o->challenge = config_get(c, section, "challenge");
	o->http_listen = config_get(c, section, "http-listen");
	o->webroot = config_get(c, section, "webroot");
	o->dns_hook = config_get(c, section, "dns-hook");
	o->dns_wait_s = dw != NULL ? atoi(dw) : 0;
	o->timeout_s = to != NULL ? atoi(to) : 0;
	if (eabk == NULL)
		return 0;
	if ((o->eab_kid = config_get(c, section, "eab-kid")) != NULL &&
	    eab_key(config_get(c, section, "eab-hmac-key-file"), eabk,
	    &o->eab_keylen, cause) != 0)
		return -1;
	o->eab_key = *eabk;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* What a batch's renewals share. */

struct acme_account {
	char		*profile;
	EVP_PKEY	*key;		/* NULL: error says why */
	char		*error;
	char		*path;		/* a new key, until committed */
	char		*pem;
	size_t		 len;
};

/* A directory and an account key: looked up once a batch. */
struct acme_sess {
	char			*directory;
	EVP_PKEY		*key;		/* the account's (a copy) */
	struct acme_session	*s;		/* NULL: error says why */
	char			*error;
};

struct acme_lsn {
	char			*spec;
	struct acme_listener	*l;
};

struct acme_batch {
	struct acme_account	*accts;
	size_t			 naccts;
	struct acme_sess	*sess;
	size_t			 nsess;
	struct acme_lsn		*lsns;
	size_t			 nlsns;
};

struct acme_batch *
acme_batch_new(void)
{
	acme_global_init();
	return xcalloc(1, sizeof (struct acme_batch));
}

void
acme_batch_free(struct acme_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->naccts; i++) {
		free(b->accts[i].profile);
		EVP_PKEY_free(b->accts[i].key);
		free(b->accts[i].error);
		free(b->accts[i].path);
		free_secret(b->accts[i].pem, b->accts[i].len);
	}
	free(b->accts);
	for (i = 0; i < b->nsess; i++) {
		free(b->sess[i].directory);
		EVP_PKEY_free(b->sess[i].key);
		acme_session_free(b->sess[i].s);
		free(b->sess[i].error);
	}
	free(b->sess);
	for (i = 0; i < b->nlsns; i++) {
		acme_listen_free(b->lsns[i].l);
		free(b->lsns[i].spec);
	}
	free(b->lsns);
	free(b);
}

static struct acme_account *
batch_find(struct acme_batch *b, const char *profile)
{
	size_t i;

	for (i = 0; i < b->naccts; i++)
		if (strcmp(b->accts[i].profile, profile) == 0)
			return &b->accts[i];
	return NULL;
}

/* The profile's account key: loaded once, or made once (the CA learns
   of it in batch_session); a failure is kept, so the batch's other
   renewals through the profile say the same. */
static struct acme_account *
batch_account(struct acme_batch *b, struct inv *inv,
    struct acme_renewal *r)
{
	struct acme_account *a;
	char *data = NULL, *err = NULL, *kerr = NULL;
	size_t len;

	if ((a = batch_find(b, r->profile)) != NULL)
		return a;
	b->accts = xreallocarray(b->accts, b->naccts + 1, sizeof *b->accts);
	a = &b->accts[b->naccts++];
	memset(a, 0, sizeof *a);
	a->profile = xstrdup(r->profile);
	a->path = xasprintf("acme/%s/account.key", r->profile);
	switch (inv_key_stored(inv, a->path, &data, &len, &err)) {
	case -1:
		goto fail;
	case 1:
		a->key = key_decrypt_pem(data, len, r->pass, &kerr);
		free_secret(data, len);
		if (a->key == NULL) {
			err = xasprintf("%s: %s", a->path, kerr);
			free(kerr);
			goto fail;
		}
		free(a->path);
		a->path = NULL;
		return a;
	}
	if ((a->key = key_generate(ACME_ACCOUNT_KEY_TYPE, &err)) == NULL)
		goto fail;
	if (r->pass == NULL || (a->pem = key_encrypt_pem(a->key, r->pass,
	    &a->len)) == NULL) {
		err = xstrdup("cannot store a new ACME account key without a "
		    "passphrase");
		goto fail;
	}
	return a;
fail:
	EVP_PKEY_free(a->key);
	a->key = NULL;
	a->error = err;
	return a;
}

/*
 * The session of the profile's directory and account key: the directory
 * and the account looked up once a batch (creating the account of a new
 * key), before any order through them starts; the orders only read it.
 * A failure is kept: the batch's other renewals through it say the same
 * without asking the CA again.
 */
static struct acme_sess *
batch_session(struct acme_batch *b, struct acme_renewal *r, EVP_PKEY *key,
    struct buf *log)
{
	const char *dir = config_get(r->cfg, r->section, "directory");
	struct acme_sess *se;
	struct acme_opts o;
	unsigned char *eabk = NULL;
	char *err = NULL;
	size_t i;

	for (i = 0; i < b->nsess; i++)
		if (strcmp(b->sess[i].directory, dir) == 0 &&
		    EVP_PKEY_eq(b->sess[i].key, key) == 1)
			return &b->sess[i];
	ERR_clear_error();
	b->sess = xreallocarray(b->sess, b->nsess + 1, sizeof *b->sess);
	se = &b->sess[b->nsess++];
	memset(se, 0, sizeof *se);
	se->directory = xstrdup(dir);
	if ((se->key = EVP_PKEY_dup(key)) == NULL)
		err = xstrdup("copying the account key failed");
	else if (opts_fill(r->cfg, r->section, &o, &eabk, &err) == 0) {
		o.account_key = key;
		se->s = acme_session_open(&o, log, &err);
		free_secret((char *)eabk, o.eab_keylen);
	}
	if (se->s == NULL)
		se->error = err != NULL ? err : xstrdup("failed");
	return se;
}

int
acme_renew_prepare(struct acme_batch *b, struct inv *inv,
    struct acme_renewal *r, struct buf *log, char **cause)
{
	const char *hl = config_get(r->cfg, r->section, "http-listen");
	const char *ch = config_get(r->cfg, r->section, "challenge");
	struct acme_account *a;
	struct acme_sess *se;
	size_t i;
	int found;

	a = batch_account(b, inv, r);
	if (a->key == NULL)
		return set_cause(cause, "%s", a->error);
	se = batch_session(b, r, a->key, log);
	if (se->s == NULL)
		return set_cause(cause, "%s", se->error);
	r->session = se->s;
	if ((r->account_key = EVP_PKEY_dup(a->key)) == NULL)
		return set_cause(cause, "copying the account key failed");

	/* A key reused from the repository is read here, decrypted on the
	   renewal's own thread. */
	if (r->reuse && r->key_path == NULL) {
		found = inv_entry_key_stored(inv, r->entry, &r->reuse_pem,
		    &r->reuse_len, cause);
		if (found == 0)
			set_cause(cause, "reuse-key: no key stored "
			    "(keys/%s.key)", r->entry);
		if (found != 1)
			return -1;
	}

	if (hl == NULL || (ch != NULL && strcmp(ch, "http-01") != 0))
		return 0;
	for (i = 0; i < b->nlsns; i++)
		if (strcmp(b->lsns[i].spec, hl) == 0) {
			r->listener = b->lsns[i].l;
			return 0;
		}
	if ((r->listener = acme_listen(hl, cause)) == NULL)
		return -1;
	b->lsns = xreallocarray(b->lsns, b->nlsns + 1, sizeof *b->lsns);
	b->lsns[b->nlsns].spec = xstrdup(hl);
	b->lsns[b->nlsns++].l = r->listener;
	return 0;
}

int
acme_batch_account(struct acme_batch *b, const char *profile,
    const char **path, const char **pem, size_t *len)
{
	struct acme_account *a = batch_find(b, profile);

	if (a == NULL || a->key == NULL || a->pem == NULL)
		return 0;
	*path = a->path;
	*pem = a->pem;
	*len = a->len;
	return 1;
}

void
acme_batch_stored(struct acme_batch *b, const char *profile)
{
	struct acme_account *a = batch_find(b, profile);

	if (a != NULL) {
		free_secret(a->pem, a->len);
		a->pem = NULL;
		a->len = 0;
	}
}

/* ---------------------------------------------------------------------- */
/* The renewal itself, on any thread. */

int
acme_renew(struct acme_renewal *r, struct buf *log, char **cause)
{
	const struct config *c = r->cfg;
	struct acme_opts o;
	struct strv names;
	STACK_OF(X509) *sk = NULL;
	EVP_PKEY *key = NULL;
	int rc = -1;

	strv_init(&names);
	memset(&o, 0, sizeof o);

	/* The certificate's key: the stored one (read by
	   acme_renew_prepare), else what key-path names, else a new one. */
	if (r->reuse) {
		if (entry_key_open(r->entry, r->key_path, r->reuse_pem,
		    r->reuse_len, r->pass, &key, NULL, cause) != 0)
			goto out;
		r->key_desc = xstrdup("reused");
	} else if ((key = key_generate_at(r->key_type, r->key_path,
	    HSM_GEN_RENEW, "key-path", &r->newkey_uri, &r->key_desc,
	    cause)) == NULL)
		goto out;

	old_names(r->old, &names);
	if (opts_fill(c, r->section, &o, NULL, cause) != 0)
		goto out;
	o.account_key = r->account_key;
	o.session = r->session;
	o.listener = r->listener;
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
	if (!r->reuse) {
		r->newkey = key;
		key = NULL;
	}
	rc = 0;
out:
	if (rc != 0) {
		key_generate_undo(r->newkey_uri);
		free(r->newkey_uri);
		r->newkey_uri = NULL;
	}
	ERR_clear_error();
	sk_X509_pop_free(sk, X509_free);
	EVP_PKEY_free(key);
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
	EVP_PKEY_free(r->account_key);
	free_secret(r->reuse_pem, r->reuse_len);
	memset(r, 0, sizeof *r);
}
