/* acme.c: an RFC 8555 client (acme.h). */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "acme.h"
#include "clock.h"
#include "key.h"
#include "run.h"

#define ACME_TIMEOUT_DEFAULT	300	/* seconds for a whole issue */
#define ACME_HTTP_TIMEOUT	30	/* seconds for one request */
#define ACME_BODY_MAX		(1024 * 1024)
#define ACME_NONCE_TRIES	8	/* badNonce retries of one request */
#define ACME_POLL_MAX		120	/* polls of one object */
#define ACME_RETRY_MIN_MS	50	/* then doubling, without Retry-After */
#define ACME_RETRY_MAX_MS	10000
#define ACME_ERR		"urn:ietf:params:acme:error:"
#define ACME_HOOK_TIMEOUT_MS	120000	/* a dns-hook run */

/* ---------------------------------------------------------------------- */
/* Encodings, keys, signatures. */

char *
acme_b64url(const void *data, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1), *p;

	EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	for (p = out; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=') {
			*p = '\0';
			break;
		}
	}
	return out;
}

static char *
b64url_bn(EVP_PKEY *pk, const char *param, int pad)
{
	BIGNUM *bn = NULL;
	unsigned char *bin;
	char *out;
	int n;

	if (!EVP_PKEY_get_bn_param(pk, param, &bn))
		return NULL;
	n = pad > 0 ? pad : BN_num_bytes(bn);
	bin = xmalloc((size_t)n + 1);
	if (BN_bn2binpad(bn, bin, n) != n) {
		free(bin);
		BN_free(bn);
		return NULL;
	}
	out = acme_b64url(bin, (size_t)n);
	free(bin);
	BN_free(bn);
	return out;
}

/* EC: the curve's name in JWK and its coordinate size; 0 if unsupported. */
static int
ec_curve(EVP_PKEY *pk, const char **crv, const char **alg)
{
	char name[64];

	if (!EVP_PKEY_is_a(pk, "EC") || !EVP_PKEY_get_utf8_string_param(pk,
	    OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, NULL))
		return 0;
	if (strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0) {
		*crv = "P-256";
		*alg = "ES256";
		return 32;
	}
	if (strcmp(name, "secp384r1") == 0 || strcmp(name, "P-384") == 0) {
		*crv = "P-384";
		*alg = "ES384";
		return 48;
	}
	return 0;
}

/* The public JWK, its members in the order RFC 7638 hashes them. */
static json_t *
jwk_of(EVP_PKEY *pk)
{
	const char *crv, *alg;
	char *x = NULL, *y = NULL;
	json_t *j = NULL;
	int sz;

	if ((sz = ec_curve(pk, &crv, &alg)) > 0) {
		x = b64url_bn(pk, OSSL_PKEY_PARAM_EC_PUB_X, sz);
		y = b64url_bn(pk, OSSL_PKEY_PARAM_EC_PUB_Y, sz);
		if (x != NULL && y != NULL)
			j = json_pack("{s:s, s:s, s:s, s:s}", "crv", crv,
			    "kty", "EC", "x", x, "y", y);
	} else if (EVP_PKEY_is_a(pk, "RSA")) {
		x = b64url_bn(pk, OSSL_PKEY_PARAM_RSA_E, 0);
		y = b64url_bn(pk, OSSL_PKEY_PARAM_RSA_N, 0);
		if (x != NULL && y != NULL)
			j = json_pack("{s:s, s:s, s:s}", "e", x, "kty", "RSA",
			    "n", y);
	}
	free(x);
	free(y);
	ERR_clear_error();
	return j;
}

static const char *
jws_alg(EVP_PKEY *pk)
{
	const char *crv, *alg;

	if (ec_curve(pk, &crv, &alg) > 0)
		return alg;
	return EVP_PKEY_is_a(pk, "RSA") ? "RS256" : NULL;
}

char *
acme_thumbprint(EVP_PKEY *pk)
{
	json_t *j = jwk_of(pk);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	char *s;

	if (j == NULL)
		return NULL;
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (s == NULL)
		return NULL;
	EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL);
	free(s);
	return acme_b64url(md, mdlen);
}

unsigned char *
acme_sign(EVP_PKEY *pk, const void *data, size_t n, size_t *siglen)
{
	const char *crv, *alg;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = EVP_sha256();
	unsigned char *der = NULL, *out = NULL;
	const unsigned char *p;
	ECDSA_SIG *es = NULL;
	size_t len = 0;
	int sz;

	sz = ec_curve(pk, &crv, &alg);
	if (sz == 48)
		md = EVP_sha384();
	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, md, NULL, pk) != 1 ||
	    EVP_DigestSign(ctx, NULL, &len, data, n) != 1)
		goto out;
	der = xmalloc(len);
	if (EVP_DigestSign(ctx, der, &len, data, n) != 1)
		goto out;
	if (sz == 0) {
		out = der;
		der = NULL;
		*siglen = len;
		goto out;
	}
	/* JWS wants the raw r||s, not DER (RFC 7518 3.4). */
	p = der;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		goto out;
	out = xmalloc(2 * (size_t)sz);
	if (BN_bn2binpad(ECDSA_SIG_get0_r(es), out, sz) != sz ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), out + sz, sz) != sz) {
		free(out);
		out = NULL;
		goto out;
	}
	*siglen = 2 * (size_t)sz;
out:
	ECDSA_SIG_free(es);
	free(der);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return out;
}

/* The problem's type without the ACME prefix, and its detail. */
char *
acme_problem_text(const char *json, size_t len)
{
	json_t *j = json_loadb(json, len, 0, NULL), *sub;
	const char *type, *detail;
	struct buf b;
	size_t i;

	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	type = json_string_value(json_object_get(j, "type"));
	detail = json_string_value(json_object_get(j, "detail"));
	buf_init(&b);
	if (type != NULL)
		buf_adds(&b, str_startswith(type, ACME_ERR) ?
		    type + strlen(ACME_ERR) : type);
	if (detail != NULL && *detail != '\0')
		buf_printf(&b, "%s%s", b.len ? ": " : "", detail);
	sub = json_object_get(j, "subproblems");
	for (i = 0; json_is_array(sub) && i < json_array_size(sub) && i < 4;
	    i++) {
		const char *d = json_string_value(json_object_get(
		    json_array_get(sub, i), "detail"));

		if (d != NULL && (detail == NULL || strstr(detail, d) == NULL))
			buf_printf(&b, "; %s", d);
	}
	json_decref(j);
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	/* One line. */
	for (i = 0; i < b.len; i++)
		if (b.data[i] == '\n' || b.data[i] == '\r')
			b.data[i] = ' ';
	return buf_steal(&b);
}

/* ---------------------------------------------------------------------- */
/* HTTPS. */

/* The directory's URLs and the account's: read-only once made. */
struct acme_session {
	char		*new_nonce, *new_account, *new_order;
	char		*kid;		/* the account URL */
};

/* One conversation with the CA, on one thread. */
struct acme {
	const struct acme_opts *o;
	const struct acme_session *s;	/* filled in by acme_session_open's
					   own conversation only */
	CURL		*curl;
	struct buf	*log;
	int64_t		 deadline;	/* clock_mono_ms */
	char		*nonce;		/* this conversation's next one */
	char		*thumb;
	struct strv	 txt;		/* dns-01: "domain value" added */
	struct strv	 tokens;	/* http-01: added to the listener */
	/* Of the last response. */
	long		 status;
	struct buf	 body;
	char		*location;
	char		*ctype;
	int		 retry_after;	/* seconds, -1 none */
	char		*retry_raw;	/* the header as sent, for messages */
};

struct resp {
	struct acme	*a;
	int		 toobig;
};

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;

	if (r->a->body.len + sz * n > ACME_BODY_MAX) {
		r->toobig = 1;
		return 0;
	}
	buf_add(&r->a->body, p, sz * n);
	return sz * n;
}

/* "Name: value" of a header line, or NULL. */
static char *
header_value(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);
	const char *v, *e = line + n;

	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return NULL;
	for (v = line + k + 1; v < e && (*v == ' ' || *v == '\t'); v++)
		;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
		e--;
	return xstrndup(v, (size_t)(e - v));
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct acme *a = arg;
	char *v;

	if ((v = header_value(p, sz * n, "Replay-Nonce")) != NULL) {
		free(a->nonce);
		a->nonce = v;
	} else if ((v = header_value(p, sz * n, "Location")) != NULL) {
		free(a->location);
		a->location = v;
	} else if ((v = header_value(p, sz * n, "Content-Type")) != NULL) {
		free(a->ctype);
		a->ctype = v;
	} else if ((v = header_value(p, sz * n, "Retry-After")) != NULL) {
		char *end;
		long s = strtol(v, &end, 10);

		/* Seconds; an HTTP date counts as "a while" (the cap). */
		a->retry_after = *v != '\0' && *end == '\0' && s >= 0 ?
		    (int)(s > 86400 ? 86400 : s) : ACME_RETRY_MAX_MS / 1000;
		free(a->retry_raw);
		if (strlen(v) > 64)
			v[64] = '\0';
		a->retry_raw = v;
	}
	return sz * n;
}

/* The host part of a URL, for messages. */
static char *
url_host(const char *url)
{
	const char *p = strstr(url, "://"), *e;

	p = p != NULL ? p + 3 : url;
	e = p + strcspn(p, "/?#");
	return xstrndup(p, (size_t)(e - p));
}

/*
 * One request: GET (body NULL, head 0), HEAD (head 1) or POST with a JWS
 * body. 0 when a response came (see a->status), -1 with *cause when none.
 */
static int
http(struct acme *a, const char *url, const char *body, int head,
    char **cause)
{
	struct curl_slist *hdrs = NULL;
	struct resp r = { a, 0 };
	char errbuf[CURL_ERROR_SIZE], *host;
	int64_t left = a->deadline - clock_mono_ms();
	CURLcode rc;

	if (left <= 0)
		return set_cause(cause, "timed out after %d s",
		    a->o->timeout_s > 0 ? a->o->timeout_s :
		    ACME_TIMEOUT_DEFAULT);
	buf_reset(&a->body);
	free(a->location);
	free(a->ctype);
	free(a->retry_raw);
	a->location = a->ctype = a->retry_raw = NULL;
	a->retry_after = -1;
	a->status = 0;
	curl_easy_reset(a->curl);
	errbuf[0] = '\0';
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	curl_easy_setopt(a->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(a->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(a->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(a->curl, CURLOPT_TIMEOUT_MS, (long)(left <
	    ACME_HTTP_TIMEOUT * 1000 ? left : ACME_HTTP_TIMEOUT * 1000));
	curl_easy_setopt(a->curl, CURLOPT_USERAGENT, "certdeck");
	curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(a->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(a->curl, CURLOPT_HEADERDATA, a);
	if (a->o->ca_bundle != NULL)
		curl_easy_setopt(a->curl, CURLOPT_CAINFO, a->o->ca_bundle);
	if (head)
		curl_easy_setopt(a->curl, CURLOPT_NOBODY, 1L);
	if (body != NULL) {
		hdrs = curl_slist_append(hdrs,
		    "Content-Type: application/jose+json");
		curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, body);
	}
	rc = curl_easy_perform(a->curl);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		host = url_host(url);
		if (r.toobig)
			set_cause(cause, "%s: the response is over %d bytes",
			    host, ACME_BODY_MAX);
		else if (rc == CURLE_PEER_FAILED_VERIFICATION ||
		    rc == CURLE_SSL_CACERT_BADFILE)
			set_cause(cause, "%s: the directory's TLS certificate "
			    "is not trusted (%s; set ca-bundle = PATH in the "
			    "profile)", host, *errbuf ? errbuf :
			    curl_easy_strerror(rc));
		else
			set_cause(cause, "%s: %s", host, *errbuf ? errbuf :
			    curl_easy_strerror(rc));
		free(host);
		return -1;
	}
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &a->status);
	return 0;
}

/* The last response's body as a string ("" when it had none). */
static const char *
body_of(const struct acme *a)
{
	return a->body.data != NULL ? a->body.data : "";
}

/* The last response as an error line: its problem document, else its
   status, and when the CA says to come back later (rateLimited,
   serverInternal), when. what: "new order", ... */
static int
resp_error(struct acme *a, const char *what, char **cause)
{
	char *p = acme_problem_text(body_of(a), a->body.len), *when = NULL;
	int rc;

	if (a->retry_raw != NULL)
		when = a->retry_raw[strspn(a->retry_raw, "0123456789")] ==
		    '\0' ? xasprintf("; try again in %s s", a->retry_raw) :
		    xasprintf("; try again after %s", a->retry_raw);
	if (p != NULL)
		rc = set_cause(cause, "the CA refused the %s: %s%s", what, p,
		    when != NULL ? when : "");
	else
		rc = set_cause(cause, "the CA answered the %s with HTTP %ld%s",
		    what, a->status, when != NULL ? when : "");
	free(when);
	free(p);
	return rc;
}

static int
is_problem(struct acme *a, const char *type)
{
	json_t *j;
	const char *t;
	int yes;

	if (a->ctype == NULL || strstr(a->ctype, "problem+json") == NULL)
		return 0;
	if ((j = json_loadb(body_of(a), a->body.len, 0, NULL)) == NULL)
		return 0;
	t = json_string_value(json_object_get(j, "type"));
	yes = t != NULL && str_startswith(t, ACME_ERR) &&
	    strcmp(t + strlen(ACME_ERR), type) == 0;
	json_decref(j);
	return yes;
}

static int
get_nonce(struct acme *a, char **cause)
{
	if (a->nonce != NULL)
		return 0;
	if (http(a, a->s->new_nonce, NULL, 1, cause) != 0)
		return -1;
	if (a->nonce == NULL)
		return set_cause(cause, "the CA gave no nonce (HTTP %ld from "
		    "newNonce)", a->status);
	return 0;
}

/*
 * POST a JWS of payload (NULL: POST-as-GET, an empty payload) to url,
 * signed by the account key: with the jwk (no account yet) or the kid.
 * A badNonce is retried with the nonce it brought, ACME_NONCE_TRIES in
 * all. 0 with a response of any status, -1 when none.
 */
static int
post(struct acme *a, const char *url, json_t *payload, int use_jwk,
    char **cause)
{
	json_t *prot, *jws;
	char *ps = NULL, *p64, *pl64, *signing, *s64, *body;
	unsigned char *sig;
	size_t siglen;
	int try, rc = -1;

	if (payload != NULL &&
	    (ps = json_dumps(payload, JSON_COMPACT)) == NULL)
		return set_cause(cause, "out of memory");
	pl64 = acme_b64url(ps != NULL ? ps : "", ps != NULL ? strlen(ps) : 0);
	free(ps);
	for (try = 1; try <= ACME_NONCE_TRIES; try++) {
		if (get_nonce(a, cause) != 0)
			break;
		prot = json_pack("{s:s, s:s, s:s}", "alg",
		    jws_alg(a->o->account_key), "nonce", a->nonce, "url", url);
		if (use_jwk)
			json_object_set_new(prot, "jwk",
			    jwk_of(a->o->account_key));
		else
			json_object_set_new(prot, "kid", json_string(a->s->kid));
		ps = json_dumps(prot, JSON_COMPACT);
		json_decref(prot);
		p64 = acme_b64url(ps, strlen(ps));
		free(ps);
		free(a->nonce);
		a->nonce = NULL;
		signing = xasprintf("%s.%s", p64, pl64);
		sig = acme_sign(a->o->account_key, signing, strlen(signing),
		    &siglen);
		free(signing);
		if (sig == NULL) {
			free(p64);
			set_cause(cause, "signing with the account key failed");
			break;
		}
		s64 = acme_b64url(sig, siglen);
		free(sig);
		jws = json_pack("{s:s, s:s, s:s}", "protected", p64,
		    "payload", pl64, "signature", s64);
		free(p64);
		free(s64);
		body = json_dumps(jws, JSON_COMPACT);
		json_decref(jws);
		rc = http(a, url, body, 0, cause);
		free(body);
		if (rc != 0)
			break;
		if (a->status != 400 || !is_problem(a, "badNonce"))
			break;
		buf_printf(a->log, "bad nonce, retried (%d)\n", try);
		rc = 0;
	}
	free(pl64);
	return rc;
}

/* The last response's body as a JSON object, or NULL with *cause. */
static json_t *
resp_json(struct acme *a, const char *what, char **cause)
{
	json_t *j = json_loadb(body_of(a), a->body.len, 0, NULL);

	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		set_cause(cause, "the CA's answer to the %s is not a JSON "
		    "object", what);
		return NULL;
	}
	return j;
}

static const char *
jstr(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

/* Sleep until the next poll: Retry-After if given, clamped, else 50 ms
   doubling up to the cap; -1 when that passes the deadline. */
static int
poll_wait(struct acme *a, int n)
{
	int64_t ms = a->retry_after >= 0 ? (int64_t)a->retry_after * 1000 :
	    (int64_t)ACME_RETRY_MIN_MS << (n < 8 ? n - 1 : 7);

	if (ms < ACME_RETRY_MIN_MS)
		ms = ACME_RETRY_MIN_MS;
	if (ms > ACME_RETRY_MAX_MS)
		ms = ACME_RETRY_MAX_MS;
	if (clock_mono_ms() + ms >= a->deadline)
		return -1;
	poll(NULL, 0, (int)ms);
	return 0;
}

/*
 * POST-as-GET url until its status is not one of the pending ones
 * (comma-separated, e.g. "pending,processing"); *out is the object.
 */
static int
poll_object(struct acme *a, const char *url, const char *pending,
    const char *what, json_t **out, char **cause)
{
	json_t *j;
	const char *st;
	char *key;
	int n;

	*out = NULL;
	for (n = 1; n <= ACME_POLL_MAX; n++) {
		if (post(a, url, NULL, 0, cause) != 0)
			return -1;
		if (a->status != 200)
			return resp_error(a, what, cause);
		if ((j = resp_json(a, what, cause)) == NULL)
			return -1;
		st = jstr(j, "status");
		key = xasprintf(",%s,", st != NULL ? st : "");
		if (st == NULL || strstr(pending, key) == NULL) {
			free(key);
			*out = j;
			return 0;
		}
		free(key);
		json_decref(j);
		if (poll_wait(a, n) != 0)
			break;
	}
	return set_cause(cause, "the %s is still pending after %d checks: "
	    "gave up", what, n > ACME_POLL_MAX ? ACME_POLL_MAX : n);
}

/* ---------------------------------------------------------------------- */
/* HTTP-01: the built-in listener (HTTP/1.0, GET of one path prefix,
   nothing else) and the webroot. */

#define L_CLIENTS	16
#define L_REQ_MAX	2048
#define L_CLIENT_MS	5000
#define L_PREFIX	"/.well-known/acme-challenge/"

/* Orders running side by side share one listener (renew --jobs): each
   adds its tokens and removes them when it ends. */
struct listener {
	int		 fd;
	int		 stop[2];
	pthread_t	 thread;
	int		 running;
	pthread_mutex_t	 mu;
	struct strv	 tokens;	/* "TOKEN KEYAUTH" (a token is
					   base64url: no blank) */
	unsigned	 served;
};

/* The key authorization of token, or NULL; under l->mu. */
static const char *
l_find(struct listener *l, const char *token, size_t *at)
{
	size_t i, n = strlen(token);

	for (i = 0; i < l->tokens.n; i++)
		if (strncmp(l->tokens.v[i], token, n) == 0 &&
		    l->tokens.v[i][n] == ' ') {
			if (at != NULL)
				*at = i;
			return l->tokens.v[i] + n + 1;
		}
	return NULL;
}

struct lclient {
	int	 fd;
	int64_t	 until;
	size_t	 len;
	char	 req[L_REQ_MAX + 1];
};

static void
l_respond(struct listener *l, struct lclient *c)
{
	char *sp, *path, *end, resp[1024];
	const char *body = NULL;
	int n = 0;

	c->req[c->len] = '\0';
	/* "GET /path HTTP/1.x" and nothing more to it. */
	if (strncmp(c->req, "GET ", 4) == 0) {
		path = c->req + 4;
		sp = strchr(path, ' ');
		end = strstr(path, "\r\n");
		if (sp != NULL && end != NULL && sp < end &&
		    str_startswith(sp + 1, "HTTP/1.") &&
		    str_startswith(path, L_PREFIX)) {
			*sp = '\0';
			pthread_mutex_lock(&l->mu);
			if ((body = l_find(l, path + strlen(L_PREFIX),
			    NULL)) != NULL) {
				l->served++;
				n = snprintf(resp, sizeof resp, "HTTP/1.0 200 "
				    "OK\r\nContent-Type: text/plain\r\n"
				    "Content-Length: %zu\r\nConnection: "
				    "close\r\n\r\n%s", strlen(body), body);
			}
			pthread_mutex_unlock(&l->mu);
			if (body != NULL && n > 0 && (size_t)n < sizeof resp) {
				send(c->fd, resp, (size_t)n, MSG_NOSIGNAL);
				return;
			}
		}
		n = snprintf(resp, sizeof resp, "HTTP/1.0 404 Not Found\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
	} else
		n = snprintf(resp, sizeof resp, "HTTP/1.0 405 Method Not "
		    "Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	send(c->fd, resp, (size_t)n, MSG_NOSIGNAL);
}

static void *
l_run(void *arg)
{
	struct listener *l = arg;
	struct lclient cl[L_CLIENTS];
	struct pollfd pf[L_CLIENTS + 2];
	size_t i, np, idx[L_CLIENTS + 2];
	int64_t now;
	ssize_t r;
	int fd;

	for (i = 0; i < L_CLIENTS; i++)
		cl[i].fd = -1;
	for (;;) {
		pf[0].fd = l->stop[0];
		pf[0].events = POLLIN;
		pf[1].fd = l->fd;
		pf[1].events = POLLIN;
		np = 2;
		for (i = 0; i < L_CLIENTS; i++)
			if (cl[i].fd >= 0) {
				pf[np].fd = cl[i].fd;
				pf[np].events = POLLIN;
				idx[np++] = i;
			}
		if (poll(pf, np, 250) < 0 && errno != EINTR)
			break;
		if (pf[0].revents)
			break;
		now = clock_mono_ms();
		for (i = 2; i < np; i++) {
			struct lclient *c = &cl[idx[i]];
			int done = 0;

			if (pf[i].revents) {
				r = recv(c->fd, c->req + c->len,
				    L_REQ_MAX - c->len, 0);
				if (r <= 0)
					done = 1;
				else {
					c->len += (size_t)r;
					c->req[c->len] = '\0';
					if (strstr(c->req, "\r\n\r\n") != NULL ||
					    c->len == L_REQ_MAX) {
						l_respond(l, c);
						done = 1;
					}
				}
			}
			if (done || now > c->until) {
				close(c->fd);
				c->fd = -1;
			}
		}
		if (pf[1].revents & POLLIN) {
			fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK |
			    SOCK_CLOEXEC);
			for (i = 0; fd >= 0 && i < L_CLIENTS; i++)
				if (cl[i].fd < 0) {
					cl[i].fd = fd;
					cl[i].len = 0;
					cl[i].until = now + L_CLIENT_MS;
					break;
				}
			if (fd >= 0 && i == L_CLIENTS)
				close(fd);	/* full: the CA retries */
		}
	}
	for (i = 0; i < L_CLIENTS; i++)
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	return NULL;
}

/* Listen on "ADDR:PORT" (IPv4 or [IPv6]). */
static int
l_start(struct listener *l, const char *spec, char **cause)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	const char *colon = strrchr(spec, ':');
	char *host, *end;
	long port;
	int one = 1, ok;

	memset(l, 0, sizeof *l);
	l->fd = l->stop[0] = l->stop[1] = -1;
	strv_init(&l->tokens);
	pthread_mutex_init(&l->mu, NULL);
	if (colon == NULL)
		return set_cause(cause, "http-listen %s: expected ADDR:PORT",
		    spec);
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535)
		return set_cause(cause, "http-listen %s: bad port", spec);
	host = xstrndup(spec, (size_t)(colon - spec));
	memset(&ss, 0, sizeof ss);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		ok = inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1;
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		ok = inet_pton(AF_INET, host, &s4->sin_addr) == 1;
	}
	free(host);
	if (!ok)
		return set_cause(cause, "http-listen %s: not an IP address "
		    "and port", spec);
	l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (l->fd < 0)
		return set_cause(cause, "http-listen %s: %s", spec,
		    strerror(errno));
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(l->fd, (struct sockaddr *)&ss, ss.ss_family == AF_INET ?
	    sizeof *s4 : sizeof *s6) != 0 || listen(l->fd, 16) != 0 ||
	    pipe2(l->stop, O_CLOEXEC) != 0)
		return set_cause(cause, "http-listen %s: %s", spec,
		    strerror(errno));
	if (pthread_create(&l->thread, NULL, l_run, l) != 0)
		return set_cause(cause, "http-listen %s: no thread", spec);
	l->running = 1;
	return 0;
}

/* A token two orders share (a CA handing both one pending
   authorization) is added twice and stays until both have ended. */
static void
l_add(struct listener *l, const char *token, const char *keyauth)
{
	pthread_mutex_lock(&l->mu);
	strv_addn(&l->tokens, xasprintf("%s %s", token, keyauth));
	pthread_mutex_unlock(&l->mu);
}

static void
l_remove(struct listener *l, const char *token)
{
	size_t at;

	pthread_mutex_lock(&l->mu);
	if (l_find(l, token, &at) != NULL) {
		free(l->tokens.v[at]);
		memmove(&l->tokens.v[at], &l->tokens.v[at + 1],
		    (l->tokens.n - at) * sizeof *l->tokens.v);
		l->tokens.n--;
	}
	pthread_mutex_unlock(&l->mu);
}

static void
l_stop(struct listener *l)
{
	if (l->running) {
		(void)!write(l->stop[1], "x", 1);
		pthread_join(l->thread, NULL);
	}
	if (l->fd >= 0)
		close(l->fd);
	if (l->stop[0] >= 0) {
		close(l->stop[0]);
		close(l->stop[1]);
	}
	strv_free(&l->tokens);
	pthread_mutex_destroy(&l->mu);
	memset(l, 0, sizeof *l);
	l->fd = l->stop[0] = l->stop[1] = -1;
}

struct acme_listener *
acme_listen(const char *spec, char **cause)
{
	struct listener *l = xmalloc(sizeof *l);

	if (l_start(l, spec, cause) != 0) {
		l_stop(l);
		free(l);
		return NULL;
	}
	return (struct acme_listener *)l;
}

int
acme_listen_port(struct acme_listener *al)
{
	struct listener *l = (struct listener *)al;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(l->fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	return ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
}

void
acme_listen_add(struct acme_listener *l, const char *token,
    const char *keyauth)
{
	l_add((struct listener *)l, token, keyauth);
}

void
acme_listen_remove(struct acme_listener *l, const char *token)
{
	l_remove((struct listener *)l, token);
}

void
acme_listen_free(struct acme_listener *l)
{
	if (l != NULL) {
		l_stop((struct listener *)l);
		free(l);
	}
}

/* A token is base64url (RFC 8555 8.3): nothing else reaches a path. */
static int
token_ok(const char *t)
{
	size_t n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvw"
	    "xyz0123456789-_");

	return n > 0 && t[n] == '\0' && n <= 256;
}

static char *
webroot_path(const char *root, const char *token)
{
	return xasprintf("%s%s%s", root, root[strlen(root) - 1] == '/' ?
	    &L_PREFIX[1] : L_PREFIX, token);
}

/* ---------------------------------------------------------------------- */
/* DNS-01: the hook adds and removes _acme-challenge.DOMAIN TXT VALUE. */

static int
dns_hook(struct acme *a, const char *action, const char *domain,
    const char *value, char **cause)
{
	static const char *const keys[] = { "{action}", "{domain}",
	    "{name}", "{value}" };
	struct strv words, argv, env;
	struct run_result res;
	char *name = xasprintf("_acme-challenge.%s.", domain), *how, *out;
	const char *vals[4] = { action, domain, name, value };
	int64_t limit, shown;
	size_t i;
	int rc = -1;

	strv_init(&words);
	strv_init(&argv);
	strv_init(&env);
	memset(&res, 0, sizeof res);
	if (argv_split(a->o->dns_hook, &words, cause) != 0 || words.n == 0) {
		if (*cause == NULL)
			set_cause(cause, "dns-hook is empty");
		goto out;
	}
	for (i = 0; i < words.n; i++)
		strv_addn(&argv, str_subst(words.v[i], keys, vals, 4));
	strv_addn(&env, xasprintf("CERTDECK_ACME_ACTION=%s", action));
	strv_addn(&env, xasprintf("CERTDECK_ACME_DOMAIN=%s", domain));
	strv_addn(&env, xasprintf("CERTDECK_ACME_NAME=%s", name));
	strv_addn(&env, xasprintf("CERTDECK_ACME_VALUE=%s", value));
	/*
	 * add runs within the exchange's deadline (the profile's timeout);
	 * remove, the clean-up after it, within one timeout of its own.
	 */
	shown = limit = 1000LL * (a->o->timeout_s > 0 ? a->o->timeout_s :
	    ACME_TIMEOUT_DEFAULT);
	if (strcmp(action, "add") == 0)
		limit = a->deadline - clock_mono_ms();
	if (limit > ACME_HOOK_TIMEOUT_MS)
		shown = limit = ACME_HOOK_TIMEOUT_MS;
	if (limit < 1000)
		limit = 1000;
	if (run_argv(argv.v, env.v, (int)limit, &res, cause) != 0)
		goto out;
	if (res.output.len > 0)
		buf_printf(a->log, "dns-hook %s %s: %.*s%s", action, domain,
		    (int)(res.output.len > 1024 ? 1024 : res.output.len),
		    res.output.data, res.output.data[res.output.len - 1] ==
		    '\n' ? "" : "\n");
	if (!run_ok(&res)) {
		/* Stopped by the exchange's deadline: its timeout. */
		how = run_describe(&res, (int)shown);
		out = xstrndup(res.output.len > 0 ? res.output.data : "",
		    strcspn(res.output.len > 0 ? res.output.data : "",
		    "\r\n"));
		set_cause(cause, "dns-hook %s %s: %s %s%s%s", action, domain,
		    argv.v[0], how, *out ? ": " : "", out);
		free(out);
		free(how);
		goto out;
	}
	rc = 0;
out:
	run_result_free(&res);
	strv_free(&words);
	strv_free(&argv);
	strv_free(&env);
	free(name);
	return rc;
}

/* The TXT value for a key authorization: base64url(SHA-256). */
static char *
dns_value(const char *keyauth)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n;

	EVP_Digest(keyauth, strlen(keyauth), md, &n, EVP_sha256(), NULL);
	return acme_b64url(md, n);
}

/* ---------------------------------------------------------------------- */
/* The order. */

static char *
csr_der(EVP_PKEY *key, char *const *names, size_t n, size_t *len,
    char **cause)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext = NULL;
	unsigned char *der = NULL;
	struct buf san;
	char *out = NULL;
	size_t i;
	int dlen;
	unsigned char ip[16];

	buf_init(&san);
	for (i = 0; i < n; i++)
		buf_printf(&san, "%s%s:%s", i ? "," : "",
		    inet_pton(AF_INET, names[i], ip) == 1 ||
		    inet_pton(AF_INET6, names[i], ip) == 1 ? "IP" : "DNS",
		    names[i]);
	if (req == NULL || nm == NULL || exts == NULL ||
	    X509_REQ_set_version(req, 0) != 1 ||
	    (strlen(names[0]) <= 64 && X509_NAME_add_entry_by_NID(nm,
	    NID_commonName, MBSTRING_UTF8, (const unsigned char *)names[0],
	    -1, -1, 0) != 1) ||
	    X509_REQ_set_subject_name(req, nm) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1 ||
	    (ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
	    san.data)) == NULL || !sk_X509_EXTENSION_push(exts, ext) ||
	    X509_REQ_add_extensions(req, exts) != 1 ||
	    X509_REQ_sign(req, key, key_sign_md(key)) <= 0 ||
	    (dlen = i2d_X509_REQ(req, &der)) <= 0) {
		if (!sk_X509_EXTENSION_num(exts))
			X509_EXTENSION_free(ext);
		set_cause(cause, "making the certificate request failed");
		goto out;
	}
	out = xmalloc((size_t)dlen);
	memcpy(out, der, (size_t)dlen);
	*len = (size_t)dlen;
out:
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(nm);
	X509_REQ_free(req);
	buf_free(&san);
	ERR_clear_error();
	return out;
}

/* The directory's URLs into s (which a->s is). */
static int
directory(struct acme *a, struct acme_session *s, char **cause)
{
	json_t *j, *meta;
	int rc = -1;

	if (http(a, a->o->directory, NULL, 0, cause) != 0)
		return -1;
	if (a->status != 200)
		return resp_error(a, "directory request", cause);
	if ((j = resp_json(a, "directory request", cause)) == NULL)
		return -1;
	if (jstr(j, "newNonce") == NULL || jstr(j, "newAccount") == NULL ||
	    jstr(j, "newOrder") == NULL)
		set_cause(cause, "%s is not an ACME directory (no newNonce, "
		    "newAccount, newOrder)", a->o->directory);
	else {
		s->new_nonce = xstrdup(jstr(j, "newNonce"));
		s->new_account = xstrdup(jstr(j, "newAccount"));
		s->new_order = xstrdup(jstr(j, "newOrder"));
		meta = json_object_get(j, "meta");
		if (json_is_true(json_object_get(meta,
		    "externalAccountRequired")) && a->o->eab_kid == NULL)
			set_cause(cause, "the CA requires external account "
			    "binding: set eab-kid and eab-hmac-key-file in the "
			    "profile");
		else
			rc = 0;
	}
	json_decref(j);
	return rc;
}

/* The externalAccountBinding member: a JWS of the account's JWK, MACed
   with the CA's key (HS256), naming the CA's key id. */
static json_t *
eab(struct acme *a)
{
	json_t *prot = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid",
	    a->o->eab_kid, "url", a->s->new_account), *jwk, *out;
	char *ps, *js, *p64, *j64, *signing, *s64;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	ps = json_dumps(prot, JSON_COMPACT);
	jwk = jwk_of(a->o->account_key);
	js = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(prot);
	json_decref(jwk);
	p64 = acme_b64url(ps, strlen(ps));
	j64 = acme_b64url(js, strlen(js));
	signing = xasprintf("%s.%s", p64, j64);
	HMAC(EVP_sha256(), a->o->eab_key, (int)a->o->eab_keylen,
	    (const unsigned char *)signing, strlen(signing), mac, &maclen);
	s64 = acme_b64url(mac, maclen);
	out = json_pack("{s:s, s:s, s:s}", "protected", p64, "payload", j64,
	    "signature", s64);
	free(ps);
	free(js);
	free(p64);
	free(j64);
	free(signing);
	free(s64);
	return out;
}

/* Create the account, or find it: newAccount answers the same key with
   the same account (200), a new one with 201. Its URL into s (which
   a->s is). */
static int
account(struct acme *a, struct acme_session *s, char **cause)
{
	json_t *p = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	int rc;

	if (a->o->eab_kid != NULL)
		json_object_set_new(p, "externalAccountBinding", eab(a));

	if (a->o->contact != NULL && *a->o->contact != '\0') {
		struct strv cs;
		json_t *arr = json_array();
		size_t i;

		strv_init(&cs);
		strv_split(&cs, a->o->contact, ',');
		for (i = 0; i < cs.n; i++)
			json_array_append_new(arr, json_string(cs.v[i]));
		strv_free(&cs);
		json_object_set_new(p, "contact", arr);
	}
	rc = post(a, s->new_account, p, 1, cause);
	json_decref(p);
	if (rc != 0)
		return -1;
	if (a->status != 200 && a->status != 201)
		return resp_error(a, "account", cause);
	if (a->location == NULL)
		return set_cause(cause, "the CA's account answer has no "
		    "Location");
	s->kid = xstrdup(a->location);
	buf_printf(a->log, "account %s (%s)\n", s->kid, a->status == 201 ?
	    "new" : "existing");
	return 0;
}

/* An authorization whose challenge is being answered. */
struct pending {
	char	*url;		/* the authorization */
	char	*ident;
	char	*chal;		/* its challenge's URL */
};

static void
pending_free(struct pending *pd, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(pd[i].url);
		free(pd[i].ident);
		free(pd[i].chal);
	}
	free(pd);
}

/*
 * One authorization, first step: fetch it and put its challenge's answer
 * in place (the listener, the webroot, the DNS record). A pending one is
 * added to *pd for the CA to be told once every answer is in place.
 */
static int
authz_prepare(struct acme *a, const char *url, struct listener *l,
    struct strv *files, struct pending **pd, size_t *npd, char **cause)
{
	const char *type = a->o->challenge != NULL ? a->o->challenge :
	    "http-01", *ident, *token = NULL, *curl = NULL, *st;
	json_t *az = NULL, *chs, *ch;
	char *keyauth = NULL, *path, *err = NULL;
	size_t i;
	int rc = -1;

	if (post(a, url, NULL, 0, cause) != 0)
		return -1;
	if (a->status != 200)
		return resp_error(a, "authorization request", cause);
	if ((az = resp_json(a, "authorization request", cause)) == NULL)
		return -1;
	ident = jstr(json_object_get(az, "identifier"), "value");
	if (ident == NULL)
		ident = "?";
	st = jstr(az, "status");
	if (st != NULL && strcmp(st, "valid") == 0) {
		buf_printf(a->log, "%s: already valid\n", ident);
		rc = 0;
		goto out;
	}
	if (st == NULL || strcmp(st, "pending") != 0) {
		set_cause(cause, "the authorization of %s is %s", ident,
		    st != NULL ? st : "without a status");
		goto out;
	}
	chs = json_object_get(az, "challenges");
	for (i = 0; json_is_array(chs) && i < json_array_size(chs); i++) {
		ch = json_array_get(chs, i);
		if (jstr(ch, "type") != NULL &&
		    strcmp(jstr(ch, "type"), type) == 0) {
			token = jstr(ch, "token");
			curl = jstr(ch, "url");
			break;
		}
	}
	if (token == NULL || curl == NULL) {
		set_cause(cause, "the CA offers no %s challenge for %s", type,
		    ident);
		goto out;
	}
	if (!token_ok(token)) {
		set_cause(cause, "the CA's %s token for %s is not base64url",
		    type, ident);
		goto out;
	}
	keyauth = xasprintf("%s.%s", token, a->thumb);
	if (strcmp(type, "dns-01") == 0) {
		char *v = dns_value(keyauth);

		/* Removed afterwards whatever happened: a hook that made the
		   record and then failed (or hung) must not leave it. */
		strv_addn(&a->txt, xasprintf("%s %s", ident, v));
		rc = dns_hook(a, "add", ident, v, cause);
		free(v);
		if (rc != 0)
			goto out;
		rc = -1;
	} else if (l != NULL) {
		l_add(l, token, keyauth);
		strv_add(&a->tokens, token);
	} else {
		char *dir;

		path = webroot_path(a->o->webroot, token);
		dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
		if (mkdir_p(dir, 0755) != 0) {
			set_cause(cause, "webroot %s: %s", dir,
			    strerror(errno));
			free(dir);
			free(path);
			goto out;
		}
		free(dir);
		if (write_file_atomic(path, keyauth, strlen(keyauth), 0644,
		    &err) != 0) {
			set_cause(cause, "webroot: %s", err);
			free(err);
			free(path);
			goto out;
		}
		strv_addn(files, path);
	}
	*pd = xreallocarray(*pd, *npd + 1, sizeof **pd);
	(*pd)[*npd].url = xstrdup(url);
	(*pd)[*npd].ident = xstrdup(ident);
	(*pd)[(*npd)++].chal = xstrdup(curl);
	rc = 0;
out:
	free(keyauth);
	json_decref(az);
	return rc;
}

/* Last step: wait for the CA's verdict on one authorization. */
static int
authz_wait(struct acme *a, const struct pending *pd, char **cause)
{
	const char *type = a->o->challenge != NULL ? a->o->challenge :
	    "http-01", *st;
	json_t *done = NULL, *chs;
	char *what = xasprintf("authorization of %s", pd->ident);
	size_t i;
	int rc = -1;

	if (poll_object(a, pd->url, ",pending,", what, &done, cause) != 0)
		goto out;
	st = jstr(done, "status");
	if (st != NULL && strcmp(st, "valid") == 0) {
		buf_printf(a->log, "%s: valid (%s)\n", pd->ident, type);
		rc = 0;
		goto out;
	}
	/* The challenge says why. */
	chs = json_object_get(done, "challenges");
	for (i = 0; json_is_array(chs) && i < json_array_size(chs); i++) {
		json_t *e = json_object_get(json_array_get(chs, i), "error");

		if (e != NULL) {
			char *s = json_dumps(e, JSON_COMPACT), *p;

			p = s != NULL ? acme_problem_text(s, strlen(s)) : NULL;
			set_cause(cause, "%s challenge for %s failed: %s",
			    type, pd->ident, p != NULL ? p : "no reason given");
			free(p);
			free(s);
			goto out;
		}
	}
	set_cause(cause, "the %s is %s", what, st != NULL ? st : "unknown");
out:
	free(what);
	json_decref(done);
	return rc;
}

/*
 * Every authorization of the order: all answers put in place (and, for
 * DNS, given dns-wait to spread, once), then the CA told of each, then
 * each waited for, so the CA validates them side by side.
 */
static int
authorize(struct acme *a, json_t *azs, struct listener *l,
    struct strv *files, char **cause)
{
	struct pending *pd = NULL;
	json_t *empty;
	size_t i, npd = 0;
	int rc = -1;

	for (i = 0; json_is_array(azs) && i < json_array_size(azs); i++) {
		const char *u = json_string_value(json_array_get(azs, i));

		if (u == NULL) {
			set_cause(cause, "the CA's order lists a broken "
			    "authorization");
			goto out;
		}
		if (authz_prepare(a, u, l, files, &pd, &npd, cause) != 0)
			goto out;
	}
	if (npd > 0 && a->o->dns_wait_s > 0 && a->o->challenge != NULL &&
	    strcmp(a->o->challenge, "dns-01") == 0) {
		if (clock_mono_ms() + a->o->dns_wait_s * 1000LL >=
		    a->deadline) {
			set_cause(cause, "dns-wait %d s is past the timeout",
			    a->o->dns_wait_s);
			goto out;
		}
		poll(NULL, 0, a->o->dns_wait_s * 1000);
	}
	/* Ready: tell the CA. */
	for (i = 0; i < npd; i++) {
		empty = json_object();
		rc = post(a, pd[i].chal, empty, 0, cause);
		json_decref(empty);
		if (rc != 0)
			goto out;
		rc = -1;
		if (a->status != 200) {
			char *what = xasprintf("%s challenge for %s",
			    a->o->challenge != NULL ? a->o->challenge :
			    "http-01", pd[i].ident);

			resp_error(a, what, cause);
			free(what);
			goto out;
		}
	}
	for (i = 0; i < npd; i++)
		if (authz_wait(a, &pd[i], cause) != 0)
			goto out;
	rc = 0;
out:
	pending_free(pd, npd);
	return rc;
}

static int
order(struct acme *a, char *const *names, size_t n, EVP_PKEY *key,
    struct listener *l, struct strv *files, char **full_pem, char **cause)
{
	json_t *p, *ids, *ord = NULL, *azs, *fin = NULL;
	char *ourl = NULL, *der = NULL, *csr64;
	const char *st, *cert;
	unsigned char ip[16];
	size_t i, dlen;
	int rc = -1;

	ids = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(ids, json_pack("{s:s, s:s}", "type",
		    inet_pton(AF_INET, names[i], ip) == 1 ||
		    inet_pton(AF_INET6, names[i], ip) == 1 ? "ip" : "dns",
		    "value", names[i]));
	p = json_pack("{s:o}", "identifiers", ids);
	rc = post(a, a->s->new_order, p, 0, cause);
	json_decref(p);
	if (rc != 0)
		return -1;
	rc = -1;
	if (a->status != 201)
		return resp_error(a, "new order", cause);
	if (a->location == NULL)
		return set_cause(cause, "the CA's order has no Location");
	ourl = xstrdup(a->location);
	if ((ord = resp_json(a, "new order", cause)) == NULL)
		goto out;
	buf_printf(a->log, "order %s\n", ourl);
	azs = json_object_get(ord, "authorizations");
	if (authorize(a, azs, l, files, cause) != 0)
		goto out;
	/* Ready (or pending a moment more): finalize with the CSR. */
	if (poll_object(a, ourl, ",pending,", "order", &fin, cause) != 0)
		goto out;
	st = jstr(fin, "status");
	if (st == NULL || strcmp(st, "ready") != 0) {
		char *e = json_dumps(json_object_get(fin, "error"),
		    JSON_COMPACT), *pt;

		pt = e != NULL ? acme_problem_text(e, strlen(e)) : NULL;
		set_cause(cause, "the order is %s%s%s", st != NULL ? st :
		    "without a status", pt != NULL ? ": " : "",
		    pt != NULL ? pt : "");
		free(pt);
		free(e);
		goto out;
	}
	if ((der = csr_der(key, names, n, &dlen, cause)) == NULL)
		goto out;
	csr64 = acme_b64url(der, dlen);
	p = json_pack("{s:s}", "csr", csr64);
	free(csr64);
	if (jstr(fin, "finalize") == NULL) {
		json_decref(p);
		set_cause(cause, "the CA's order has no finalize URL");
		goto out;
	}
	rc = post(a, jstr(fin, "finalize"), p, 0, cause);
	json_decref(p);
	if (rc != 0)
		goto out;
	rc = -1;
	if (a->status != 200) {
		resp_error(a, "finalize", cause);
		goto out;
	}
	json_decref(fin);
	fin = NULL;
	if (poll_object(a, ourl, ",ready,processing,", "order", &fin,
	    cause) != 0)
		goto out;
	st = jstr(fin, "status");
	if (st == NULL || strcmp(st, "valid") != 0 ||
	    (cert = jstr(fin, "certificate")) == NULL) {
		char *e = json_dumps(json_object_get(fin, "error"),
		    JSON_COMPACT), *pt;

		pt = e != NULL ? acme_problem_text(e, strlen(e)) : NULL;
		set_cause(cause, "the order is %s after finalize%s%s",
		    st != NULL ? st : "without a status", pt != NULL ? ": " :
		    "", pt != NULL ? pt : "");
		free(pt);
		free(e);
		goto out;
	}
	if (post(a, cert, NULL, 0, cause) != 0)
		goto out;
	if (a->status != 200) {
		resp_error(a, "certificate download", cause);
		goto out;
	}
	if (strstr(body_of(a), "-----BEGIN CERTIFICATE-----") == NULL) {
		set_cause(cause, "the CA's certificate download holds no PEM "
		    "certificate");
		goto out;
	}
	*full_pem = xstrndup(a->body.data, a->body.len);
	buf_printf(a->log, "certificate %s\n", cert);
	rc = 0;
out:
	free(der);
	free(ourl);
	json_decref(ord);
	json_decref(fin);
	return rc;
}

static void
global_start(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* The hash seed, made now rather than racing in the first
	   json_object() of several threads. */
	json_object_seed(0);
}

void
acme_global_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, global_start);
}

/* One conversation with the CA: its handles (acme_end frees them,
   whatever acme_start returned). */
static int
acme_start(struct acme *a, const struct acme_opts *o, struct buf *log,
    char **cause)
{
	acme_global_init();
	memset(a, 0, sizeof *a);
	strv_init(&a->txt);
	strv_init(&a->tokens);
	buf_init(&a->body);
	a->o = o;
	a->log = log;
	a->deadline = clock_mono_ms() + 1000LL * (o->timeout_s > 0 ?
	    o->timeout_s : ACME_TIMEOUT_DEFAULT);
	if ((a->curl = curl_easy_init()) == NULL)
		return set_cause(cause, "libcurl failed to start");
	if ((a->thumb = acme_thumbprint(o->account_key)) == NULL)
		return set_cause(cause, "the account key is neither EC "
		    "P-256/P-384 nor RSA");
	return 0;
}

/* What the conversation put in place comes down: l's tokens, the DNS
   records (a failure to remove one is logged, not fatal: the
   certificate is good). */
static void
acme_end(struct acme *a, struct listener *l)
{
	size_t i;

	for (i = 0; l != NULL && i < a->tokens.n; i++)
		l_remove(l, a->tokens.v[i]);
	strv_free(&a->tokens);
	for (i = 0; i < a->txt.n; i++) {
		char *sp = strchr(a->txt.v[i], ' '), *err = NULL;

		*sp = '\0';
		if (dns_hook(a, "remove", a->txt.v[i], sp + 1, &err) != 0) {
			buf_printf(a->log, "%s\n", err);
			free(err);
		}
	}
	strv_free(&a->txt);
	if (a->curl != NULL)
		curl_easy_cleanup(a->curl);
	buf_free(&a->body);
	free(a->nonce);
	free(a->thumb);
	free(a->location);
	free(a->ctype);
	free(a->retry_raw);
	memset(a, 0, sizeof *a);
}

struct acme_session *
acme_session_open(const struct acme_opts *o, struct buf *log, char **cause)
{
	struct acme a;
	struct acme_session *s = xcalloc(1, sizeof *s);
	int rc = -1;

	if (acme_start(&a, o, log, cause) == 0) {
		a.s = s;
		if (directory(&a, s, cause) == 0 && account(&a, s, cause) == 0)
			rc = 0;
	}
	acme_end(&a, NULL);
	if (rc != 0) {
		acme_session_free(s);
		return NULL;
	}
	return s;
}

void
acme_session_free(struct acme_session *s)
{
	if (s == NULL)
		return;
	free(s->new_nonce);
	free(s->new_account);
	free(s->new_order);
	free(s->kid);
	free(s);
}

int
acme_issue(const struct acme_opts *o, char *const *names, size_t n,
    EVP_PKEY *key, char **full_pem, struct buf *log, char **cause)
{
	struct acme a;
	struct listener own, *l = NULL;
	struct strv files;
	const char *ch = o->challenge != NULL ? o->challenge : "http-01";
	size_t i;
	int rc = -1;

	*full_pem = NULL;
	if (o->session == NULL)
		return set_cause(cause, "no ACME session");
	if (n == 0)
		return set_cause(cause, "no names to ask for");
	if (strcmp(ch, "dns-01") == 0) {
		if (o->dns_hook == NULL)
			return set_cause(cause, "dns-01 needs dns-hook = "
			    "COMMAND");
	} else if (strcmp(ch, "http-01") != 0)
		return set_cause(cause, "challenge %s: use http-01 or dns-01",
		    ch);
	else if ((o->http_listen == NULL && o->listener == NULL) ==
	    (o->webroot == NULL))
		return set_cause(cause, "http-01 needs one of http-listen = "
		    "ADDR:PORT or webroot = DIR");
	strv_init(&files);
	if (acme_start(&a, o, log, cause) != 0)
		goto out;
	a.s = o->session;
	if (strcmp(ch, "http-01") == 0 && o->listener != NULL)
		l = (struct listener *)o->listener;
	else if (strcmp(ch, "http-01") == 0 && o->http_listen != NULL) {
		if (l_start(&own, o->http_listen, cause) != 0) {
			l_stop(&own);
			goto out;
		}
		l = &own;
	}
	if (order(&a, names, n, key, l, &files, full_pem, cause) != 0)
		goto out;
	rc = 0;
out:
	acme_end(&a, l);
	if (l == &own)
		l_stop(&own);
	for (i = 0; i < files.n; i++)
		unlink(files.v[i]);
	strv_free(&files);
	return rc;
}
