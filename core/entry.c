/* entry.c: entry metadata files, endpoints and entry names (entry.h). */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "hsm.h"

const struct entry_key entry_keys[] = {
	{ "owner", EK_TEXT, 1, "who answers for this certificate" },
	{ "tags", EK_LIST, 1, "labels, comma-separated" },
	{ "endpoints", EK_ENDPOINTS, 1,
	  "where it is served: HOST:PORT[/STARTTLS][@SNI], comma-separated" },
	{ "profile", EK_WORD, 1, "renewal profile named in certdeck.conf" },
	{ "notes", EK_TEXT, 1, "free text" },
	{ "key-path", EK_KEYPATH, 1,
	  "private key file outside the inventory, or pkcs11: URI of a key "
	  "in a token" },
	{ "deploy-cert", EK_PATH, 1, "where renewal writes the certificate" },
	{ "deploy-chain", EK_PATH, 1, "where renewal writes the chain" },
	{ "deploy-fullchain", EK_PATH, 1,
	  "where renewal writes certificate and chain" },
	{ "deploy-key", EK_PATH, 1, "where renewal writes the key (mode 0600)" },
	{ "deploy-reload", EK_ARGV, 1,
	  "command run after deploy, e.g. systemctl reload nginx" },
	{ "deploy-kubernetes-secret", EK_PATH, 1,
	  "where renewal writes a kubernetes.io/tls Secret (mode 0600)" },
	{ "deploy-kubernetes-apply", EK_ARGV, 1,
	  "command given that Secret on stdin, e.g. kubectl apply -f -" },
	{ "policy", EK_LIST, 1, "audit policy words, e.g. mtls" },
	{ "namespace", EK_WORD, 1, "Kubernetes namespace of its TLS secret" },
	{ "secret", EK_WORD, 1, "Kubernetes TLS secret it came from" },
	{ "ca", EK_WORD, 0,
	  "the local CA that issued it (certdeck issue); renewal uses it" },
	{ NULL, EK_TEXT, 0, NULL }
};

static const char *starttls_protos[] = {
	"smtp", "imap", "pop3", "ftp", "ldap", "postgres", NULL
};

const struct entry_key *
entry_key_find(const char *name)
{
	const struct entry_key *k;

	for (k = entry_keys; k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

void
entry_init(struct entry *e)
{
	strv_init(&e->k);
	strv_init(&e->v);
}

void
entry_free(struct entry *e)
{
	strv_free(&e->k);
	strv_free(&e->v);
}

static int	has_control(const char *);

static size_t
entry_find(const struct entry *e, const char *key, int *found)
{
	size_t lo = 0, hi = e->k.n, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(e->k.v[mid], key);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

const char *
entry_get(const struct entry *e, const char *key)
{
	int found;
	size_t i = entry_find(e, key, &found);

	return found ? e->v.v[i] : NULL;
}

static void
strv_insert(struct strv *sv, size_t at, char *s)
{
	strv_addn(sv, s);
	memmove(sv->v + at + 1, sv->v + at, (sv->n - 1 - at) * sizeof *sv->v);
	sv->v[at] = s;
}

static void
strv_delete(struct strv *sv, size_t at)
{
	free(sv->v[at]);
	memmove(sv->v + at, sv->v + at + 1, (sv->n - at) * sizeof *sv->v);
	sv->n--;
}

void
entry_put(struct entry *e, const char *key, const char *value)
{
	int found;
	size_t i = entry_find(e, key, &found);

	if (value == NULL || *value == '\0') {
		if (found) {
			strv_delete(&e->k, i);
			strv_delete(&e->v, i);
		}
		return;
	}
	if (found) {
		free(e->v.v[i]);
		e->v.v[i] = xstrdup(value);
		return;
	}
	strv_insert(&e->k, i, xstrdup(key));
	strv_insert(&e->v, i, xstrdup(value));
}

static int
key_chars_ok(const char *k)
{
	if (*k == '\0')
		return 0;
	for (; *k != '\0'; k++)
		if (!islower((unsigned char)*k) && !isdigit((unsigned char)*k) &&
		    *k != '-' && *k != '_' && *k != '.')
			return 0;
	return 1;
}

/* Undo the file escapes (\n, \\) of a value, in place. */
static void
unescape_value(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] == 'n') {
			*d++ = '\n';
			s++;
		} else if (*s == '\\' && s[1] == '\\') {
			*d++ = '\\';
			s++;
		} else
			*d++ = *s;
	}
	*d = '\0';
}

int
entry_parse(const char *text, size_t len, struct entry *e, char **cause)
{
	const char *p = text, *end = text + len;
	char *line, *eq, *key, *value;
	int lineno = 0, found;

	entry_init(e);
	if (memchr(text, '\0', len) != NULL)
		return set_cause(cause, "contains a NUL byte");
	while ((line = text_line(&p, end, &lineno)) != NULL) {
		eq = strchr(line, '=');
		if (eq == NULL) {
			free(line);
			entry_free(e);
			return set_cause(cause, "line %d: expected key = value",
			    lineno);
		}
		*eq = '\0';
		key = str_trim(line);
		value = str_trim(eq + 1);
		if (!key_chars_ok(key)) {
			free(line);
			entry_free(e);
			return set_cause(cause, "line %d: invalid key", lineno);
		}
		if (has_control(value)) {
			set_cause(cause, "line %d: control character in the "
			    "value of %s", lineno, key);
			free(line);
			entry_free(e);
			return -1;
		}
		unescape_value(value);
		entry_find(e, key, &found);
		if (found) {
			set_cause(cause, "line %d: duplicate key %s", lineno,
			    key);
			free(line);
			entry_free(e);
			return -1;
		}
		entry_put(e, key, value);
		free(line);
	}
	return 0;
}

char *
entry_format(const struct entry *e)
{
	struct buf b;
	const char *s;
	size_t i;

	buf_init(&b);
	for (i = 0; i < e->k.n; i++) {
		buf_printf(&b, "%s = ", e->k.v[i]);
		for (s = e->v.v[i]; *s != '\0'; s++) {
			if (*s == '\n')
				buf_adds(&b, "\\n");
			else if (*s == '\\')
				buf_adds(&b, "\\\\");
			else if (*s != '\r')
				buf_addc(&b, *s);
		}
		buf_addc(&b, '\n');
	}
	return buf_steal(&b);
}

int
entry_equal(const struct entry *a, const struct entry *b)
{
	size_t i;

	if (a->k.n != b->k.n)
		return 0;
	for (i = 0; i < a->k.n; i++)
		if (strcmp(a->k.v[i], b->k.v[i]) != 0 ||
		    strcmp(a->v.v[i], b->v.v[i]) != 0)
			return 0;
	return 1;
}

/* NULL and "" both mean unset. */
static int
value_same(const char *a, const char *b)
{
	if (a == NULL)
		a = "";
	if (b == NULL)
		b = "";
	return strcmp(a, b) == 0;
}

void
entry_merge(const struct entry *base, const struct entry *ours,
    const struct entry *theirs, int prefer, struct entry *out,
    struct strv *conflicts)
{
	struct strv keys;
	const char *b, *o, *t;
	size_t i;

	strv_init(&keys);
	for (i = 0; i < base->k.n; i++)
		strv_add(&keys, base->k.v[i]);
	for (i = 0; i < ours->k.n; i++)
		strv_add(&keys, ours->k.v[i]);
	for (i = 0; i < theirs->k.n; i++)
		strv_add(&keys, theirs->k.v[i]);
	strv_sort(&keys);
	strv_uniq(&keys);
	entry_init(out);
	for (i = 0; i < keys.n; i++) {
		b = entry_get(base, keys.v[i]);
		o = entry_get(ours, keys.v[i]);
		t = entry_get(theirs, keys.v[i]);
		if (value_same(o, b) || value_same(o, t))
			entry_put(out, keys.v[i], t);
		else if (value_same(t, b))
			entry_put(out, keys.v[i], o);
		else {
			strv_add(conflicts, keys.v[i]);
			entry_put(out, keys.v[i], prefer == 1 ? o : t);
		}
	}
	strv_free(&keys);
}

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\n')
			return 1;
	return 0;
}

/*
 * A value given to set must be text: besides the C0 controls, no DEL, no
 * C1 control (U+0080-U+009F: U+009B is a terminal's CSI), and UTF-8.
 */
static int
not_text(const char *s, const char **why)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;
	uint32_t cp;

	for (; n > 0; p += k, n -= k) {
		if ((k = utf8_decode(p, n, &cp)) == 0) {
			*why = "not valid UTF-8";
			return 1;
		}
		if (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			*why = "control characters are not allowed";
			return 1;
		}
	}
	return 0;
}

static int
word_valid(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '-' && *s != '_' && *s != '.')
			return 0;
	return 1;
}

/* Validate one list item of the key's kind; canonicalise it into out. */
static int
item_valid(const struct entry_key *k, const char *item, char **out,
    char **cause)
{
	struct endpoint ep;
	char tmp[600];

	switch (k->kind) {
	case EK_LIST:
		if (!word_valid(item))
			return set_cause(cause, "%s: invalid item \"%s\" (use "
			    "lowercase letters, digits, '.', '_', '-')",
			    k->name, item);
		break;
	case EK_ENDPOINTS:
		if (endpoint_parse(item, &ep, cause) != 0)
			return -1;
		endpoint_format(&ep, tmp, sizeof tmp);
		*out = xstrdup(tmp);
		return 0;
	default:
		break;
	}
	*out = xstrdup(item);
	return 0;
}

static int
value_valid(const struct entry_key *k, const char *value, char **cause)
{
	const char *why;
	char *err = NULL;

	if (has_control(value))
		return set_cause(cause, "%s: control characters are not "
		    "allowed", k->name);
	if (not_text(value, &why))
		return set_cause(cause, "%s: %s", k->name, why);
	if (strlen(value) > 4096)
		return set_cause(cause, "%s: value longer than 4096 bytes",
		    k->name);
	switch (k->kind) {
	case EK_WORD:
		if (!word_valid(value))
			return set_cause(cause, "%s: invalid value \"%s\" (use "
			    "lowercase letters, digits, '.', '_', '-')",
			    k->name, value);
		break;
	case EK_KEYPATH:
		if (hsm_is_uri(value)) {
			if (hsm_uri_check(value, &err) != 0) {
				set_cause(cause, "%s %s: %s", k->name, value,
				    err);
				free(err);
				return -1;
			}
			break;
		}
		/* FALLTHROUGH */
	case EK_PATH:
		if (*value != '/')
			return set_cause(cause, "%s: must be an absolute path",
			    k->name);
		if (strchr(value, '\n') != NULL)
			return set_cause(cause, "%s: newline in path", k->name);
		break;
	case EK_ARGV:
		if (strchr(value, '\n') != NULL)
			return set_cause(cause, "%s: newline in command",
			    k->name);
		break;
	default:
		break;
	}
	return 0;
}

int
entry_apply(struct entry *e, const char *assignment, char **cause)
{
	const struct entry_key *k;
	const char *eq, *old;
	struct strv items, cur;
	char *key, *value, *canon, *joined;
	int op = '=', rc = -1;
	size_t i;

	strv_init(&items);
	strv_init(&cur);
	eq = strchr(assignment, '=');
	if (eq == NULL || eq == assignment)
		return set_cause(cause, "%s: expected key=value, key+=value "
		    "or key-=value", assignment);
	key = xstrndup(assignment, (size_t)(eq - assignment));
	if (eq > assignment && (eq[-1] == '+' || eq[-1] == '-')) {
		op = eq[-1];
		key[strlen(key) - 1] = '\0';
	}
	str_trim(key);
	value = xstrdup(eq + 1);
	str_trim(value);
	k = entry_key_find(key);
	if (k == NULL || !k->settable) {
		set_cause(cause, "%s: unknown key (see certdeck set --help)",
		    key);
		goto out;
	}
	if (k->kind == EK_LIST || k->kind == EK_ENDPOINTS) {
		strv_split(&items, value, ',');
		old = entry_get(e, key);
		if (op != '=' && old != NULL)
			strv_split(&cur, old, ',');
		if (op == '=' || op == '+') {
			for (i = 0; i < items.n; i++) {
				if (item_valid(k, items.v[i], &canon, cause) != 0)
					goto out;
				if (!strv_has(&cur, canon))
					strv_addn(&cur, canon);
				else
					free(canon);
			}
		} else {
			for (i = 0; i < items.n; i++) {
				if (item_valid(k, items.v[i], &canon, cause) != 0)
					goto out;
				strv_remove(&cur, canon);
				free(canon);
			}
		}
		if (k->kind == EK_LIST)
			strv_sort(&cur);
		joined = strv_join(&cur, ",");
		entry_put(e, key, joined);
		free(joined);
	} else {
		if (op != '=') {
			set_cause(cause, "%s: %c= works only on lists (tags, "
			    "endpoints, policy)", key, op);
			goto out;
		}
		if (*value != '\0' && value_valid(k, value, cause) != 0)
			goto out;
		entry_put(e, key, value);
	}
	rc = 0;
out:
	strv_free(&items);
	strv_free(&cur);
	free(key);
	free(value);
	return rc;
}

static int
host_valid(const char *h)
{
	struct in6_addr a6;
	const char *p;

	if (*h == '\0' || strlen(h) > 253)
		return 0;
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return 1;
	for (p = h; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != '_')
			return 0;
	return 1;
}

int
endpoint_parse(const char *s, struct endpoint *ep, char **cause)
{
	char *copy, *p, *host, *port, *at, *slash, *end;
	long n;
	int rc = -1, i;

	memset(ep, 0, sizeof *ep);
	copy = xstrdup(s);
	p = copy;
	at = strchr(p, '@');
	if (at != NULL) {
		*at++ = '\0';
		if (!host_valid(at) || strchr(at, ':') != NULL) {
			set_cause(cause, "endpoint %s: invalid SNI name", s);
			goto out;
		}
		snprintf(ep->sni, sizeof ep->sni, "%s", at);
		str_lower(ep->sni);
	}
	slash = strchr(p, '/');
	if (slash != NULL) {
		*slash++ = '\0';
		str_lower(slash);
		for (i = 0; starttls_protos[i] != NULL; i++)
			if (strcmp(slash, starttls_protos[i]) == 0)
				break;
		if (starttls_protos[i] == NULL) {
			set_cause(cause, "endpoint %s: unknown STARTTLS protocol "
			    "\"%s\" (smtp, imap, pop3, ftp, ldap, postgres)",
			    s, slash);
			goto out;
		}
		snprintf(ep->starttls, sizeof ep->starttls, "%s", slash);
	}
	if (*p == '[') {
		host = p + 1;
		end = strchr(host, ']');
		if (end == NULL || end[1] != ':') {
			set_cause(cause, "endpoint %s: expected [IPv6]:PORT", s);
			goto out;
		}
		*end = '\0';
		port = end + 2;
	} else {
		host = p;
		port = strrchr(p, ':');
		if (port == NULL) {
			set_cause(cause, "endpoint %s: expected HOST:PORT", s);
			goto out;
		}
		*port++ = '\0';
		if (strchr(host, ':') != NULL) {
			set_cause(cause, "endpoint %s: put an IPv6 address in "
			    "brackets, [::1]:443", s);
			goto out;
		}
	}
	if (!host_valid(host)) {
		set_cause(cause, "endpoint %s: invalid host", s);
		goto out;
	}
	errno = 0;
	n = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || errno != 0 || n < 1 || n > 65535) {
		set_cause(cause, "endpoint %s: port must be 1-65535", s);
		goto out;
	}
	snprintf(ep->host, sizeof ep->host, "%s", host);
	str_lower(ep->host);
	ep->port = (int)n;
	rc = 0;
out:
	free(copy);
	return rc;
}

void
endpoint_format(const struct endpoint *ep, char *out, size_t len)
{
	int v6 = strchr(ep->host, ':') != NULL;

	snprintf(out, len, "%s%s%s:%d%s%s%s%s", v6 ? "[" : "", ep->host,
	    v6 ? "]" : "", ep->port, *ep->starttls ? "/" : "", ep->starttls,
	    *ep->sni ? "@" : "", ep->sni);
}

int
name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ENTRY_NAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0 || *s == '.' || *s == '-')
		return 0;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '.' && *s != '_' && *s != '-')
			return 0;
	return 1;
}

/* The length of the escape at p (\xHH or \u{H...}), or 0. */
static size_t
escape_len(const char *p)
{
	const char *q;

	if (p[0] != '\\')
		return 0;
	if (p[1] == 'x' && isxdigit((unsigned char)p[2]) &&
	    isxdigit((unsigned char)p[3]))
		return 4;
	if (p[1] == 'u' && p[2] == '{') {
		for (q = p + 3; isxdigit((unsigned char)*q); q++)
			;
		if (*q == '}' && q > p + 3)
			return (size_t)(q - p) + 1;
	}
	return 0;
}

char *
name_derive(const char *from)
{
	struct buf b;
	const char *p;
	char *s;
	size_t n;

	buf_init(&b);
	for (p = from != NULL ? from : ""; *p != '\0' && b.len < 80; p++) {
		unsigned char c = (unsigned char)tolower((unsigned char)*p);

		/*
		 * The certificate's text comes escaped (core/escape.c): an
		 * escaped character is one character not allowed in a name,
		 * not the letters and digits of its escape.
		 */
		if (c == '\\' && (n = escape_len(p)) > 0) {
			p += n - 1;
			if (b.len > 0 && b.data[b.len - 1] != '-')
				buf_addc(&b, '-');
			continue;
		}
		if (c == '*') {
			buf_adds(&b, "wildcard");
			continue;
		}
		if (isalnum(c) && c < 0x80)
			buf_addc(&b, (char)c);
		else if (c == '.' || c == '_')
			buf_addc(&b, '-');
		else if (b.len > 0 && b.data[b.len - 1] != '-')
			buf_addc(&b, '-');
	}
	s = buf_steal(&b);
	/* Collapse runs of '-' and trim them from both ends. */
	{
		char *d = s, *q;
		for (q = s; *q != '\0'; q++) {
			if (*q == '-' && (d == s || d[-1] == '-'))
				continue;
			*d++ = *q;
		}
		*d = '\0';
	}
	n = strlen(s);
	if (n > ENTRY_NAME_MAX - 4)	/* room for a -NN suffix */
		s[n = ENTRY_NAME_MAX - 4] = '\0';
	while (n > 0 && s[n - 1] == '-')
		s[--n] = '\0';
	if (*s == '\0') {
		free(s);
		s = xstrdup("cert");
	}
	return s;
}
