/*
 * hsm.c: private keys in PKCS#11 tokens (hsm.h).
 *
 * p11-kit parses the RFC 7512 URIs and matches tokens against them, and
 * its proxy module is the default module; libp11 logs in, finds keys,
 * generates key pairs and hands keys to OpenSSL as EVP_PKEYs whose RSA
 * and EC methods call the token (OpenSSL 3 treats them as "foreign"
 * legacy keys and signs through those methods). Nothing here speaks
 * PKCS#11 function by function. See doc/design-notes.md for why not the
 * pkcs11 engine.
 *
 * One context per module for the life of the process, behind one mutex:
 * the TUI's workers may load keys while another renewal runs. A token
 * is logged in to once; libp11 keeps the session.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libp11.h>
#include <p11-kit/uri.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "hsm.h"
#include "key.h"
#include "util.h"

/* p11-kit's proxy (pkg-config --variable=proxy_module p11-kit-1). */
#ifndef HSM_PROXY_MODULE
#define HSM_PROXY_MODULE "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so"
#endif
#define HSM_ID_LEN	8	/* bytes of a random CKA_ID */
#define HSM_PIN_ENV	"CERTDECK_PKCS11_PIN_FILE"
#define HSM_MODULES_ENV	"CERTDECK_PKCS11_MODULES"

struct hsm_module {
	char			*path;
	PKCS11_CTX		*ctx;
	PKCS11_SLOT		*slots;
	unsigned int		 nslots;
	unsigned char		*opened;	/* per slot: session mode set */
	struct hsm_module	*next;
};

/* A parsed URI. */
struct hsm_uri {
	P11KitUri	*u;
	char		 token[33];	/* the token= asked for, or "" */
	char		*label;		/* object=, or NULL */
	unsigned char	*id;		/* id=, or NULL */
	size_t		 idlen;
	const char	*module;
};

static pthread_mutex_t	  hsm_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct hsm_module *hsm_mods;
static char		*(*hsm_prompt)(const char *);

int
hsm_is_uri(const char *s)
{
	return s != NULL && strncasecmp(s, "pkcs11:", 7) == 0;
}

void
hsm_set_pin_prompt(char *(*fn)(const char *))
{
	hsm_prompt = fn;
}

/* A fixed-width PKCS#11 text field (space padded) as a C string. */
static void
field_str(char *out, const unsigned char *f, size_t n)
{
	while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\0'))
		n--;
	memcpy(out, f, n);
	out[n] = '\0';
}

/* And the other way: s into a field of n bytes, space padded. */
static void
str_field(unsigned char *f, size_t n, const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;

	memset(f, ' ', n);
	memcpy(f, s, len < n ? len : n);
}

/*
 * Whether a URI's module-path may be loaded: only a module the operator
 * lists in CERTDECK_PKCS11_MODULES (absolute paths, ':' between them).
 * URIs come from committed files, so a teammate's commit (or a pulled
 * one) must not choose a library for certdeck to dlopen. The path loaded
 * is the listed string, compared byte for byte with the URI's.
 */
static int
module_allowed(const char *path)
{
	const char *list = getenv(HSM_MODULES_ENV), *p, *end;
	size_t len = strlen(path);

	if (list == NULL || path[0] != '/')
		return 0;
	for (p = list; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == len && memcmp(p, path, len) == 0)
			return 1;
	}
	return 0;
}

static void
uri_free(struct hsm_uri *hu)
{
	if (hu->u != NULL)
		p11_kit_uri_free(hu->u);
	free(hu->label);
	free(hu->id);
	memset(hu, 0, sizeof *hu);
}

static int
uri_parse(const char *text, struct hsm_uri *hu, char **cause)
{
	CK_ATTRIBUTE_PTR a;
	CK_TOKEN_INFO_PTR ti;
	int rc;

	memset(hu, 0, sizeof *hu);
	if (!hsm_is_uri(text))
		return set_cause(cause, "not a pkcs11: URI");
	if ((hu->u = p11_kit_uri_new()) == NULL)
		return set_cause(cause, "out of memory");
	if ((rc = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, hu->u)) !=
	    P11_KIT_URI_OK) {
		set_cause(cause, "%s", p11_kit_uri_message(rc));
		goto fail;
	}
	if (p11_kit_uri_any_unrecognized(hu->u)) {
		set_cause(cause, "an attribute RFC 7512 does not define "
		    "(token, manufacturer, model, serial, object, id, type...)");
		goto fail;
	}
	if (p11_kit_uri_get_pin_value(hu->u) != NULL ||
	    p11_kit_uri_get_pin_source(hu->u) != NULL) {
		set_cause(cause, "a PIN never goes in the URI (use %s or "
		    "the prompt)", HSM_PIN_ENV);
		goto fail;
	}
	if (p11_kit_uri_get_module_name(hu->u) != NULL) {
		set_cause(cause, "module-name is not supported (use "
		    "module-path)");
		goto fail;
	}
	if ((a = p11_kit_uri_get_attribute(hu->u, CKA_CLASS)) != NULL &&
	    (a->ulValueLen != sizeof(CK_OBJECT_CLASS) ||
	    *(CK_OBJECT_CLASS *)a->pValue != CKO_PRIVATE_KEY)) {
		set_cause(cause, "names no private key (type=private)");
		goto fail;
	}
	if ((a = p11_kit_uri_get_attribute(hu->u, CKA_LABEL)) != NULL) {
		if (a->ulValueLen == 0 ||
		    memchr(a->pValue, '\0', a->ulValueLen) != NULL) {
			set_cause(cause, "object= is empty or holds %%00");
			goto fail;
		}
		hu->label = xstrndup(a->pValue, a->ulValueLen);
	}
	if ((a = p11_kit_uri_get_attribute(hu->u, CKA_ID)) != NULL &&
	    a->ulValueLen > 0) {
		hu->idlen = a->ulValueLen;
		hu->id = xmalloc(hu->idlen);
		memcpy(hu->id, a->pValue, hu->idlen);
	}
	if (hu->label == NULL && hu->id == NULL) {
		set_cause(cause, "names no key (add object=LABEL)");
		goto fail;
	}
	if ((ti = p11_kit_uri_get_token_info(hu->u)) != NULL)
		field_str(hu->token, ti->label, sizeof ti->label);
	hu->module = p11_kit_uri_get_module_path(hu->u);
	if (hu->module != NULL && !module_allowed(hu->module)) {
		set_cause(cause, "module-path %s is not one of the modules "
		    "%s allows (or register it with p11-kit and leave "
		    "module-path out)", hu->module, HSM_MODULES_ENV);
		goto fail;
	}
	if (hu->module == NULL)
		hu->module = HSM_PROXY_MODULE;
	return 0;
fail:
	uri_free(hu);
	return -1;
}

int
hsm_uri_check(const char *uri, char **cause)
{
	struct hsm_uri hu;

	if (uri_parse(uri, &hu, cause) != 0)
		return -1;
	uri_free(&hu);
	return 0;
}

char *
hsm_uri_token(const char *uri)
{
	struct hsm_uri hu;
	char *s;

	if (uri_parse(uri, &hu, NULL) != 0)
		return xstrdup("");
	s = xstrdup(hu.token);
	uri_free(&hu);
	return s;
}

/* The reason of libp11's last error: the token's CKR_ code when there is
   one (*ckr), and a text for messages. */
static const char *
p11_why(unsigned long *ckr, char *buf, size_t len)
{
	unsigned long e, last = 0;

	*ckr = 0;
	while ((e = ERR_get_error()) != 0) {
		last = e;
		if (ERR_GET_LIB(e) == ERR_get_CKR_code())
			*ckr = ERR_GET_REASON(e);
	}
	if (last == 0)
		snprintf(buf, len, "failed");
	else if (ERR_reason_error_string(last) != NULL)
		snprintf(buf, len, "%s", ERR_reason_error_string(last));
	else
		snprintf(buf, len, "error %lx", last);
	return buf;
}

/* The module at path, loaded once. Under hsm_mtx. */
static struct hsm_module *
module_get(const char *path, char **cause)
{
	struct hsm_module *m;
	struct stat st;
	char why[160];
	unsigned long ckr;

	for (m = hsm_mods; m != NULL; m = m->next)
		if (strcmp(m->path, path) == 0)
			return m;
	/* libp11 prints dlopen's complaint itself: the usual one first. */
	if (stat(path, &st) != 0) {
		set_cause(cause, "cannot load the PKCS#11 module %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	if ((m->ctx = PKCS11_CTX_new()) == NULL) {
		free(m);
		set_cause(cause, "out of memory");
		return NULL;
	}
	if (PKCS11_CTX_load(m->ctx, path) != 0) {
		p11_why(&ckr, why, sizeof why);
		PKCS11_CTX_free(m->ctx);
		free(m);
		set_cause(cause, "cannot load the PKCS#11 module %s: %s", path,
		    why);
		return NULL;
	}
	if (PKCS11_enumerate_slots(m->ctx, &m->slots, &m->nslots) != 0) {
		set_cause(cause, "PKCS#11 module %s: listing its slots: %s",
		    path, p11_why(&ckr, why, sizeof why));
		PKCS11_CTX_unload(m->ctx);
		PKCS11_CTX_free(m->ctx);
		free(m);
		return NULL;
	}
	m->opened = xcalloc(m->nslots + 1, 1);
	m->path = xstrdup(path);
	m->next = hsm_mods;
	hsm_mods = m;
	return m;
}

static int
slot_matches(const struct hsm_uri *hu, PKCS11_SLOT *s)
{
	CK_TOKEN_INFO ti;
	CK_SLOT_INFO si;
	CK_SLOT_ID want = p11_kit_uri_get_slot_id(hu->u);

	if (s->token == NULL || !s->token->initialized)
		return 0;
	memset(&ti, 0, sizeof ti);
	str_field(ti.label, sizeof ti.label, s->token->label);
	str_field(ti.manufacturerID, sizeof ti.manufacturerID,
	    s->token->manufacturer);
	str_field(ti.model, sizeof ti.model, s->token->model);
	str_field(ti.serialNumber, sizeof ti.serialNumber,
	    s->token->serialnr);
	memset(&si, 0, sizeof si);
	str_field(si.slotDescription, sizeof si.slotDescription,
	    s->description);
	str_field(si.manufacturerID, sizeof si.manufacturerID,
	    s->manufacturer);
	return p11_kit_uri_match_token_info(hu->u, &ti) &&
	    p11_kit_uri_match_slot_info(hu->u, &si) &&
	    (want == (CK_SLOT_ID)-1 || want == PKCS11_get_slotid_from_slot(s));
}

/* The one slot whose token the URI names; *m its module. The slots are
   listed once per process. Under hsm_mtx. */
static PKCS11_SLOT *
token_find(const struct hsm_uri *hu, struct hsm_module **mp, char **cause)
{
	struct hsm_module *m;
	PKCS11_SLOT *found = NULL;
	struct strv labels;
	unsigned int i, n = 0;
	char *list;

	if ((*mp = m = module_get(hu->module, cause)) == NULL)
		return NULL;
	for (i = 0; i < m->nslots; i++)
		if (slot_matches(hu, &m->slots[i])) {
			found = &m->slots[i];
			n++;
		}
	if (n == 1)
		return found;
	strv_init(&labels);
	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].token != NULL &&
		    m->slots[i].token->initialized &&
		    (n == 0 || slot_matches(hu, &m->slots[i])))
			strv_add(&labels, m->slots[i].token->label);
	list = strv_join(&labels, ", ");
	if (n > 1)
		set_cause(cause, "%u tokens match (%s): name one with token= "
		    "or serial=", n, list);
	else if (*hu->token != '\0')
		set_cause(cause, "no token labelled %s (%s%s)", hu->token,
		    labels.n ? "tokens: " : "no tokens at all", list);
	else
		set_cause(cause, "no token matches (%s%s)", labels.n ?
		    "tokens: " : "no tokens at all", list);
	free(list);
	strv_free(&labels);
	return NULL;
}

/*
 * Log in to the slot's token unless it is already. Its sessions are
 * read-write unless the token is write-protected (generating a key needs
 * one; libp11 picks the mode once, and changing it logs out). Under
 * hsm_mtx.
 */
static int
token_login(const struct hsm_uri *hu, struct hsm_module *m,
    PKCS11_SLOT *slot, char **cause)
{
	PKCS11_TOKEN *t = slot->token;
	const char *file = getenv(HSM_PIN_ENV), *from;
	char *pin = NULL, *err = NULL, why[160];
	unsigned long ckr;
	int in = 0, rc;

	if (!m->opened[slot - m->slots]) {
		if (PKCS11_open_session(slot, !t->readOnly) != 0) {
			set_cause(cause, "token %s: opening a session: %s",
			    t->label, p11_why(&ckr, why, sizeof why));
			return -1;
		}
		m->opened[slot - m->slots] = 1;
	}
	if (!t->loginRequired ||
	    (PKCS11_is_logged_in(slot, 0, &in) == 0 && in))
		return 0;
	if (file != NULL && *file != '\0') {
		if (read_secret_file(file, &pin, &err) != 0) {
			set_cause(cause, "%s %s: %s", HSM_PIN_ENV, file, err);
			free(err);
			return -1;
		}
		from = "from " HSM_PIN_ENV;
	} else if (hsm_prompt != NULL && (pin = hsm_prompt(t->label)) != NULL)
		from = "as typed";
	else if (t->secureLogin)
		from = "on the token's PIN pad";
	else
		return set_cause(cause, "token %s needs its PIN (set %s)",
		    t->label, HSM_PIN_ENV);
	rc = PKCS11_login(slot, 0, pin);
	free_secret(pin, pin != NULL ? strlen(pin) : 0);
	if (rc == 0)
		return 0;
	p11_why(&ckr, why, sizeof why);
	switch (ckr) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		return set_cause(cause, "token %s: wrong PIN (%s)", t->label,
		    from);
	case CKR_PIN_LOCKED:
		return set_cause(cause, "token %s: its PIN is locked",
		    t->label);
	}
	return set_cause(cause, "token %s: login failed: %s",
	    t->label, why);
}

static int
key_matches(const PKCS11_KEY *k, const char *label, const unsigned char *id,
    size_t idlen)
{
	if (label != NULL && (k->label == NULL || strcmp(k->label, label) != 0))
		return 0;
	return id == NULL || (k->id_len == idlen &&
	    memcmp(k->id, id, idlen) == 0);
}

/* The private keys of the token that match: how many, and the first. */
static unsigned int
keys_find(PKCS11_SLOT *slot, int public, const char *label,
    const unsigned char *id, size_t idlen, PKCS11_KEY **first)
{
	PKCS11_KEY *keys;
	unsigned int nk = 0, i, n = 0;

	*first = NULL;
	if ((public ? PKCS11_enumerate_public_keys(slot->token, &keys, &nk) :
	    PKCS11_enumerate_keys(slot->token, &keys, &nk)) != 0) {
		ERR_clear_error();
		return 0;
	}
	for (i = 0; i < nk; i++)
		if (key_matches(&keys[i], label, id, idlen)) {
			if (*first == NULL)
				*first = &keys[i];
			n++;
		}
	return n;
}

/* "object=L" / "id=%ab%cd" / both, for messages. */
static char *
key_desc(const char *label, const unsigned char *id, size_t idlen)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	if (label != NULL)
		buf_printf(&b, "labelled %s", label);
	if (id != NULL) {
		buf_adds(&b, label != NULL ? " with id " : "with id ");
		for (i = 0; i < idlen; i++)
			buf_printf(&b, "%%%02x", id[i]);
	}
	return buf_steal(&b);
}

EVP_PKEY *
hsm_key_load(const char *uri, char **cause)
{
	struct hsm_uri hu;
	struct hsm_module *m;
	PKCS11_SLOT *slot;
	PKCS11_KEY *key;
	EVP_PKEY *pk = NULL;
	unsigned int n;
	char *d;

	if (uri_parse(uri, &hu, cause) != 0)
		return NULL;
	pthread_mutex_lock(&hsm_mtx);
	if ((slot = token_find(&hu, &m, cause)) == NULL ||
	    token_login(&hu, m, slot, cause) != 0)
		goto out;
	n = keys_find(slot, 0, hu.label, hu.id, hu.idlen, &key);
	if (n != 1) {
		d = key_desc(hu.label, hu.id, hu.idlen);
		if (n == 0)
			set_cause(cause, "token %s has no private key %s",
			    slot->token->label, d);
		else
			set_cause(cause, "token %s has %u private keys "
			    "%s (add id=)", slot->token->label, n, d);
		free(d);
		goto out;
	}
	if ((pk = PKCS11_get_private_key(key)) == NULL)
		set_cause(cause, "token %s: the key cannot be used "
		    "(type %d)", slot->token->label,
		    PKCS11_get_key_type(key));
out:
	pthread_mutex_unlock(&hsm_mtx);
	ERR_clear_error();
	uri_free(&hu);
	return pk;
}

/* Delete the key pair label and id name: each of its private and public
   key that exactly one object matches. Under hsm_mtx. */
static int
pair_remove(PKCS11_SLOT *slot, const char *label, const unsigned char *id,
    size_t idlen, char **cause)
{
	PKCS11_KEY *key;
	int pub;

	for (pub = 0; pub < 2; pub++) {
		if (keys_find(slot, pub, label, id, idlen, &key) != 1)
			continue;
		if (PKCS11_remove_key(key) != 0)
			return set_cause(cause, "token %s: deleting the key "
			    "failed", slot->token->label);
	}
	return 0;
}

/* The URI of the key hu's token holds as label and id (caller frees). */
static char *
uri_of_key(const struct hsm_uri *hu, const char *label,
    const unsigned char *id, size_t idlen)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE a;
	char *s = NULL, *out;

	a.type = CKA_LABEL;
	a.pValue = (void *)label;
	a.ulValueLen = strlen(label);
	p11_kit_uri_set_attribute(hu->u, &a);
	a.type = CKA_ID;
	a.pValue = (void *)id;
	a.ulValueLen = idlen;
	p11_kit_uri_set_attribute(hu->u, &a);
	a.type = CKA_CLASS;
	a.pValue = &cls;
	a.ulValueLen = sizeof cls;
	p11_kit_uri_set_attribute(hu->u, &a);
	if (p11_kit_uri_format(hu->u, P11_KIT_URI_FOR_ANY, &s) !=
	    P11_KIT_URI_OK || s == NULL)
		return NULL;
	out = xstrdup(s);
	free(s);
	return out;
}

EVP_PKEY *
hsm_key_generate(const char *uri, const char *type, int flags,
    char **new_uri, char **cause)
{
	struct hsm_uri hu;
	struct hsm_module *m;
	PKCS11_SLOT *slot;
	PKCS11_KEY *key;
	EVP_PKEY *pk = NULL;
	unsigned char idbuf[HSM_ID_LEN];
	const unsigned char *id;
	size_t idlen;
	unsigned long ckr;
	unsigned int bits, tries;
	char why[160], *d;
	int rc;

	*new_uri = NULL;
	if (!key_type_valid(type) || strncmp(type, "rsa:", 4) != 0) {
		set_cause(cause, "cannot generate a key of type %s in a "
		    "token here (libp11 0.4.12 makes RSA key pairs only): use "
		    "rsa:3072 or rsa:4096", type);
		return NULL;
	}
	bits = (unsigned int)strtoul(type + 4, NULL, 10);
	if (uri_parse(uri, &hu, cause) != 0)
		return NULL;
	if (hu.label == NULL) {
		set_cause(cause, "names no object= to label the new key");
		uri_free(&hu);
		return NULL;
	}
	pthread_mutex_lock(&hsm_mtx);
	if ((slot = token_find(&hu, &m, cause)) == NULL ||
	    token_login(&hu, m, slot, cause) != 0)
		goto out;
	if ((flags & HSM_GEN_RENEW) &&
	    keys_find(slot, 0, hu.label, hu.id, hu.idlen, &key) == 0) {
		d = key_desc(hu.label, hu.id, hu.idlen);
		set_cause(cause, "token %s has no private key %s (the key "
		    "renewed)", slot->token->label, d);
		free(d);
		goto out;
	}
	if (!(flags & HSM_GEN_RENEW) &&
	    keys_find(slot, 0, hu.label, NULL, 0, &key) > 0) {
		set_cause(cause, "token %s already holds a key labelled "
		    "%s", slot->token->label, hu.label);
		goto out;
	}
	if (!(flags & HSM_GEN_RENEW) && hu.id != NULL) {
		if (keys_find(slot, 0, NULL, hu.id, hu.idlen, &key) > 0 ||
		    keys_find(slot, 1, NULL, hu.id, hu.idlen, &key) > 0) {
			d = key_desc(NULL, hu.id, hu.idlen);
			set_cause(cause, "token %s already holds a key %s",
			    slot->token->label, d);
			free(d);
			goto out;
		}
		id = hu.id;
		idlen = hu.idlen;
	} else {
		/* A random id the token does not hold yet. */
		for (tries = 0; tries < 8; tries++) {
			if (RAND_bytes(idbuf, sizeof idbuf) != 1)
				continue;
			if (keys_find(slot, 0, NULL, idbuf, sizeof idbuf,
			    &key) == 0 && keys_find(slot, 1, NULL, idbuf,
			    sizeof idbuf, &key) == 0)
				break;
		}
		if (tries == 8) {
			set_cause(cause, "no fresh key id (random "
			    "source?)");
			goto out;
		}
		id = idbuf;
		idlen = sizeof idbuf;
	}
	/* Deprecated in libp11 0.4.12 for a keygen taking any type, which
	   that version does not have yet. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	rc = PKCS11_generate_key(slot->token, EVP_PKEY_RSA, bits, hu.label,
	    (unsigned char *)id, idlen);
#pragma GCC diagnostic pop
	if (rc != 0) {
		set_cause(cause, "token %s: generating a %s key failed: "
		    "%s", slot->token->label, type,
		    p11_why(&ckr, why, sizeof why));
		goto out;
	}
	if (keys_find(slot, 0, hu.label, id, idlen, &key) != 1 ||
	    (pk = PKCS11_get_private_key(key)) == NULL)
		set_cause(cause, "token %s: the new key is not there",
		    slot->token->label);
	else if ((*new_uri = uri_of_key(&hu, hu.label, id, idlen)) == NULL)
		set_cause(cause, "cannot name the new key");
	if (*new_uri == NULL) {
		/* Made, but no use to the caller, who cannot name it to
		   delete it: it goes now (its id is new to the token, so
		   label and id name it alone). */
		EVP_PKEY_free(pk);
		pk = NULL;
		pair_remove(slot, hu.label, id, idlen, NULL);
	}
out:
	pthread_mutex_unlock(&hsm_mtx);
	ERR_clear_error();
	uri_free(&hu);
	return pk;
}

int
hsm_key_remove(const char *uri, char **cause)
{
	struct hsm_uri hu;
	struct hsm_module *m;
	PKCS11_SLOT *slot;
	int rc = -1;

	if (uri_parse(uri, &hu, cause) != 0)
		return -1;
	pthread_mutex_lock(&hsm_mtx);
	if ((slot = token_find(&hu, &m, cause)) != NULL &&
	    token_login(&hu, m, slot, cause) == 0)
		rc = pair_remove(slot, hu.label, hu.id, hu.idlen, cause);
	pthread_mutex_unlock(&hsm_mtx);
	ERR_clear_error();
	uri_free(&hu);
	return rc;
}

void
hsm_cleanup(void)
{
	struct hsm_module *m, *next;

	pthread_mutex_lock(&hsm_mtx);
	for (m = hsm_mods; m != NULL; m = next) {
		next = m->next;
		PKCS11_release_all_slots(m->ctx, m->slots, m->nslots);
		PKCS11_CTX_unload(m->ctx);
		PKCS11_CTX_free(m->ctx);
		free(m->opened);
		free(m->path);
		free(m);
	}
	hsm_mods = NULL;
	pthread_mutex_unlock(&hsm_mtx);
}
