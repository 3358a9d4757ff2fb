/*
 * k8s.c: Kubernetes TLS secrets from kubectl's JSON or YAML (k8s.h).
 * libyaml reads both (JSON is YAML); the document is walked for Secret
 * objects of type kubernetes.io/tls, alone, in a List, or in several
 * YAML documents; cert-manager Certificates in the same input become
 * notes on the secrets they fill.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <yaml.h>

#include "k8s.h"
#include "util.h"

/* A cert-manager Certificate, waiting to be matched with its secret. */
struct k8s_cm {
	char	*ns, *secret, *notes;
};

struct k8s_ctx {
	yaml_document_t		*doc;
	const char		*source;
	struct k8s_result	*res;
	struct k8s_cm		*cms;
	size_t			 ncms;
	size_t			 nobjs;		/* objects walked */
};

/*
 * Objects walked per input, at most. YAML aliases can make a small input
 * name one object millions of times; kubectl never writes them.
 */
#define K8S_MAX_OBJECTS	200000

static void __attribute__((format(printf, 4, 5)))
k8s_say(struct k8s_ctx *c, int level, const char *obj, const char *fmt, ...)
{
	struct k8s_msg *m;
	va_list ap;

	c->res->msgs = xreallocarray(c->res->msgs, c->res->nmsgs + 1,
	    sizeof *c->res->msgs);
	m = &c->res->msgs[c->res->nmsgs++];
	m->level = level;
	m->label = obj != NULL ? xasprintf("%s: %s", c->source, obj) :
	    xstrdup(c->source);
	va_start(ap, fmt);
	m->msg = xvasprintf(fmt, ap);
	va_end(ap);
}

static yaml_node_t *
node(struct k8s_ctx *c, yaml_node_item_t id)
{
	return yaml_document_get_node(c->doc, id);
}

/* The value of key in mapping n, or NULL. */
static yaml_node_t *
map_get(struct k8s_ctx *c, yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = node(c, p->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return node(c, p->value);
	}
	return NULL;
}

/* A scalar's text (NUL-terminated by libyaml), or NULL. */
static const char *
scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static const char *
path_scalar(struct k8s_ctx *c, yaml_node_t *n, const char *a, const char *b)
{
	return scalar(map_get(c, map_get(c, n, a), b));
}

/* Untrusted text for one line of notes: no control characters. */
static char *
one_line(const char *s)
{
	char *out = xstrdup(s != NULL ? s : ""), *p;

	for (p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}

/* Decode base64 (kubectl's, or wrapped lines); -1 if it is broken. */
static int
b64_decode(const char *in, char **out, size_t *outlen)
{
	EVP_ENCODE_CTX *ctx;
	size_t len = strlen(in);
	unsigned char *buf;
	int n1 = 0, n2 = 0, rc = -1;

	if (len > INT_MAX / 2 || (ctx = EVP_ENCODE_CTX_new()) == NULL)
		return -1;
	buf = xmalloc(len + 4);
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, buf, &n1, (const unsigned char *)in,
	    (int)len) >= 0 && EVP_DecodeFinal(ctx, buf + n1, &n2) == 1) {
		*out = (char *)buf;
		*outlen = (size_t)n1 + (size_t)n2;
		buf = NULL;
		rc = 0;
	}
	free(buf);
	EVP_ENCODE_CTX_free(ctx);
	return rc;
}

/*
 * One item of the secret: base64 under data, or text under stringData.
 * 1 found (appended to pem), 0 absent, -1 broken (said).
 */
static int
secret_item(struct k8s_ctx *c, yaml_node_t *obj, const char *key,
    struct buf *pem)
{
	const char *v;
	char *dec;
	size_t len;

	if ((v = scalar(map_get(c, map_get(c, obj, "data"), key))) != NULL) {
		if (b64_decode(v, &dec, &len) != 0)
			return -1;
		if (len == 0) {
			free(dec);
			return 0;
		}
		buf_add(pem, dec, len);
		free(dec);
	} else if ((v = scalar(map_get(c, map_get(c, obj, "stringData"),
	    key))) != NULL && *v != '\0')
		buf_adds(pem, v);
	else
		return 0;
	if (pem->len > 0 && pem->data[pem->len - 1] != '\n')
		buf_addc(pem, '\n');
	return 1;
}

static void
do_secret(struct k8s_ctx *c, yaml_node_t *obj, const char *ns,
    const char *name, const char *label)
{
	struct k8s_secret *s;
	const char *type = scalar(map_get(c, obj, "type"));
	struct buf pem;
	int r;

	if (type == NULL || strcmp(type, "kubernetes.io/tls") != 0) {
		k8s_say(c, 1, label, "not a TLS secret (type %s); skipped",
		    type != NULL ? type : "none");
		return;
	}
	buf_init(&pem);
	if ((r = secret_item(c, obj, "tls.crt", &pem)) <= 0) {
		k8s_say(c, 2, label, r < 0 ? "tls.crt: broken base64" :
		    "no tls.crt");
		buf_free(&pem);
		return;
	}
	if (secret_item(c, obj, "tls.key", &pem) < 0)
		k8s_say(c, 1, label, "tls.key: broken base64; no key kept");
	if (secret_item(c, obj, "ca.crt", &pem) < 0)
		k8s_say(c, 1, label, "ca.crt: broken base64; skipped");
	c->res->secrets = xreallocarray(c->res->secrets, c->res->nsecrets + 1,
	    sizeof *c->res->secrets);
	s = &c->res->secrets[c->res->nsecrets++];
	memset(s, 0, sizeof *s);
	s->ns = xstrdup(ns);
	s->name = xstrdup(name);
	s->len = pem.len;
	s->pem = buf_steal(&pem);
}

/* A cert-manager Certificate: its status, as a note for its secret. */
static void
do_certificate(struct k8s_ctx *c, yaml_node_t *obj, const char *ns,
    const char *name, const char *label)
{
	const char *secret = path_scalar(c, obj, "spec", "secretName");
	const char *not_after = path_scalar(c, obj, "status", "notAfter");
	const char *renew = path_scalar(c, obj, "status", "renewalTime");
	const char *ready = NULL;
	yaml_node_t *conds = map_get(c, map_get(c, obj, "status"),
	    "conditions");
	yaml_node_item_t *it;
	struct k8s_cm *cm;
	char *a, *b, *d, *e;

	if (secret == NULL) {
		k8s_say(c, 2, label, "cert-manager Certificate without "
		    "spec.secretName");
		return;
	}
	if (conds != NULL && conds->type == YAML_SEQUENCE_NODE)
		for (it = conds->data.sequence.items.start;
		    it < conds->data.sequence.items.top; it++) {
			const char *t = scalar(map_get(c, node(c, *it), "type"));

			if (t != NULL && strcmp(t, "Ready") == 0)
				ready = scalar(map_get(c, node(c, *it),
				    "status"));
		}
	a = one_line(name);
	b = one_line(ready != NULL ? ready : "unknown");
	d = one_line(not_after != NULL ? not_after : "unknown");
	e = one_line(renew != NULL ? renew : "unknown");
	c->cms = xreallocarray(c->cms, c->ncms + 1, sizeof *c->cms);
	cm = &c->cms[c->ncms++];
	cm->ns = xstrdup(ns);
	cm->secret = xstrdup(secret);
	cm->notes = xasprintf("cert-manager Certificate %s: ready %s, "
	    "notAfter %s, renewalTime %s", a, b, d, e);
	free(a);
	free(b);
	free(d);
	free(e);
}

static void
walk(struct k8s_ctx *c, yaml_node_t *obj, int depth)
{
	const char *kind, *api, *ns, *name;
	yaml_node_t *items;
	yaml_node_item_t *it;
	char *label;

	if (c->nobjs++ == K8S_MAX_OBJECTS)
		k8s_say(c, 2, NULL, "more than %d objects; the rest is not "
		    "read", K8S_MAX_OBJECTS);
	if (c->nobjs > K8S_MAX_OBJECTS)
		return;
	if (obj == NULL || obj->type != YAML_MAPPING_NODE) {
		k8s_say(c, 2, NULL, "not a Kubernetes object or list");
		return;
	}
	kind = scalar(map_get(c, obj, "kind"));
	items = map_get(c, obj, "items");
	if (items != NULL && items->type == YAML_SEQUENCE_NODE && depth < 2) {
		for (it = items->data.sequence.items.start;
		    it < items->data.sequence.items.top; it++)
			walk(c, node(c, *it), depth + 1);
		return;
	}
	api = scalar(map_get(c, obj, "apiVersion"));
	ns = path_scalar(c, obj, "metadata", "namespace");
	name = path_scalar(c, obj, "metadata", "name");
	if (ns == NULL || *ns == '\0')
		ns = "default";
	if (name == NULL || *name == '\0') {
		k8s_say(c, 2, NULL, "a %s with no metadata.name",
		    kind != NULL ? kind : "object");
		return;
	}
	label = xasprintf("%s/%s", ns, name);
	if (kind != NULL && strcmp(kind, "Secret") == 0)
		do_secret(c, obj, ns, name, label);
	else if (kind != NULL && strcmp(kind, "Certificate") == 0 &&
	    api != NULL && strncmp(api, "cert-manager.io/", 16) == 0)
		do_certificate(c, obj, ns, name, label);
	else
		k8s_say(c, 1, label, "a %s, not a Secret or a cert-manager "
		    "Certificate; skipped", kind != NULL ? kind : "object");
	free(label);
}

/* Each Certificate's note goes to its secret; the rest is said. */
static void
match_certificates(struct k8s_ctx *c)
{
	struct k8s_secret *s;
	size_t i, j;
	char *label;

	for (i = 0; i < c->ncms; i++) {
		for (j = 0; j < c->res->nsecrets; j++) {
			s = &c->res->secrets[j];
			if (strcmp(s->ns, c->cms[i].ns) == 0 &&
			    strcmp(s->name, c->cms[i].secret) == 0)
				break;
		}
		if (j < c->res->nsecrets && s->notes == NULL) {
			s->notes = c->cms[i].notes;
			c->cms[i].notes = NULL;
		} else if (j == c->res->nsecrets) {
			label = xasprintf("%s/%s", c->cms[i].ns,
			    c->cms[i].secret);
			k8s_say(c, 1, label, "secret of a cert-manager "
			    "Certificate, not in this input; nothing "
			    "imported for it");
			free(label);
		}
		free(c->cms[i].ns);
		free(c->cms[i].secret);
		free(c->cms[i].notes);
	}
	free(c->cms);
	c->cms = NULL;
	c->ncms = 0;
}

int
k8s_parse(const char *data, size_t len, const char *source,
    struct k8s_result *res, char **cause)
{
	struct k8s_ctx c;
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = -1, docs = 0;

	memset(res, 0, sizeof *res);
	memset(&c, 0, sizeof c);
	c.source = source;
	c.res = res;
	if (!yaml_parser_initialize(&p))
		return set_cause(cause, "%s: out of memory", source);
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	for (;;) {
		if (!yaml_parser_load(&p, &doc)) {
			set_cause(cause, "%s: line %zu: %s%s%s", source,
			    p.problem_mark.line + 1,
			    p.problem ? p.problem : "cannot be read",
			    p.context ? " " : "", p.context ? p.context : "");
			goto fail;
		}
		if ((root = yaml_document_get_root_node(&doc)) == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		c.doc = &doc;
		walk(&c, root, 0);
		c.doc = NULL;
		yaml_document_delete(&doc);
		docs++;
	}
	if (docs == 0) {
		set_cause(cause, "%s: empty input", source);
		goto fail;
	}
	match_certificates(&c);
	rc = 0;
	goto out;
fail:
	match_certificates(&c);
	k8s_result_free(res);
out:
	yaml_parser_delete(&p);
	return rc;
}

void
k8s_result_free(struct k8s_result *res)
{
	size_t i;

	for (i = 0; i < res->nsecrets; i++) {
		free(res->secrets[i].ns);
		free(res->secrets[i].name);
		free(res->secrets[i].pem);
		free(res->secrets[i].notes);
	}
	free(res->secrets);
	for (i = 0; i < res->nmsgs; i++) {
		free(res->msgs[i].label);
		free(res->msgs[i].msg);
	}
	free(res->msgs);
	memset(res, 0, sizeof *res);
}

/* ---------------------------------------------------------------------- */
/* Writing a Secret (the kubernetes-secret deploy target). */

/*
 * An RFC 1123 name as Kubernetes checks it: lowercase letters, digits and
 * '-', starting and ending with a letter or digit; a subdomain may have
 * '.' between such labels too.
 */
int
k8s_name_valid(const char *s, int subdomain)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > (subdomain ? 253u : 63u))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (alnum)
			continue;
		if (c == '-' && i > 0 && i + 1 < n)
			continue;
		if (subdomain && c == '.' && i > 0 && i + 1 < n &&
		    s[i - 1] != '.' && s[i - 1] != '-' && s[i + 1] != '.' &&
		    s[i + 1] != '-')
			continue;
		return 0;
	}
	return 1;
}

static char *
b64_line(const char *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data,
	    (int)len);
	return out;
}

char *
k8s_tls_secret(const char *ns, const char *name, const char *crt,
    const char *key, const char *entry, char **cause)
{
	char *c64, *k64, *out;

	if (!k8s_name_valid(ns, 0)) {
		set_cause(cause, "namespace %s is not a Kubernetes namespace "
		    "name (lowercase letters, digits and '-', at most 63)", ns);
		return NULL;
	}
	if (!k8s_name_valid(name, 1)) {
		set_cause(cause, "secret name %s is not a Kubernetes name "
		    "(lowercase letters, digits, '-' and '.'); set secret=",
		    name);
		return NULL;
	}
	if (strlen(crt) > INT_MAX / 2 || strlen(key) > INT_MAX / 2) {
		set_cause(cause, "the certificate or key is too large");
		return NULL;
	}
	c64 = b64_line(crt, strlen(crt));
	k64 = b64_line(key, strlen(key));
	/* Names are checked above and base64 is plain: nothing to quote. */
	out = xasprintf(
	    "# Written by certdeck for entry %s.\n"
	    "apiVersion: v1\n"
	    "kind: Secret\n"
	    "type: kubernetes.io/tls\n"
	    "metadata:\n"
	    "  name: %s\n"
	    "  namespace: %s\n"
	    "  labels:\n"
	    "    app.kubernetes.io/managed-by: certdeck\n"
	    "data:\n"
	    "  tls.crt: %s\n"
	    "  tls.key: %s\n", entry, name, ns, c64, k64);
	free(c64);
	free_secret(k64, strlen(k64));
	return out;
}
