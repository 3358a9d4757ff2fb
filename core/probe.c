/*
 * probe.c: the probe engine (probe.h).
 *
 * One thread, one poll() loop. Each probe is a small state machine:
 *
 *   RESOLVE -> CONNECT -> [STARTTLS] -> HANDSHAKE -> done
 *
 * with its own deadline over all of it. Sockets are non-blocking; TLS runs
 * over them with SSL_connect returning WANT_READ/WANT_WRITE, so a slow or
 * silent peer costs a file descriptor until its deadline and nothing else.
 *
 * Name resolution: getaddrinfo blocks, so it runs in a small pool of
 * resolver threads (at most RESOLVER_THREADS, started on demand, kept for
 * the life of the process) that hand results back through a pipe the loop
 * polls. Not getaddrinfo_a: it starts threads of its own per request,
 * tells completion through signals or yet another thread, and cannot
 * cancel a running lookup either, so a probe whose deadline passes must
 * leave the lookup behind anyway. Here an abandoned lookup is freed by the
 * thread that finishes it, and a run never waits for a slow resolver. IP
 * literals skip the pool (AI_NUMERICHOST).
 *
 * What a peer can make us do is bounded: PROBE_MAX_BYTES read in all, a
 * STARTTLS reply of at most STLS_MAX_REPLY bytes, PROBE_MAX_CHAIN
 * certificates parsed, and the deadline. Text from the peer reaches a
 * result only through esc_dup.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "clock.h"
#include "key.h"
#include "escape.h"
#include "probe.h"
#include "status.h"

#define RESOLVER_THREADS	16
#define STLS_MAX_REPLY		(64u << 10)
#define STLS_MAX_LINE		512
#define DETAIL_MAX		300
#define CLIENT_CA_MAX		100
/* TLS 1.3 with a client certificate requested: how long to wait after the
   handshake for the server's verdict (verdict_io), within the deadline. */
#define VERDICT_WAIT_MS		1000
/* OCSP times may be a little off between hosts. */
#define OCSP_SKEW		300

/* ---------------------------------------------------------------------- */
/* Names. */

static const char *const kind_names[] = {
	[PROBE_OK] = "ok",
	[PROBE_RESOLVE] = "resolve",
	[PROBE_REFUSED] = "refused",
	[PROBE_CONNECT] = "connect",
	[PROBE_TIMEOUT] = "timeout",
	[PROBE_NOT_TLS] = "not-tls",
	[PROBE_HANDSHAKE] = "handshake",
	[PROBE_STARTTLS_REFUSED] = "starttls-refused",
	[PROBE_ERROR] = "error",
	[PROBE_CANCELLED] = "cancelled",
};

static const char *const phase_names[] = {
	[PROBE_PHASE_NONE] = NULL,
	[PROBE_PHASE_RESOLVE] = "resolve",
	[PROBE_PHASE_CONNECT] = "connect",
	[PROBE_PHASE_STARTTLS] = "starttls",
	[PROBE_PHASE_HANDSHAKE] = "handshake",
};

static const char *const drift_names[] = {
	[PROBE_DRIFT_NONE] = NULL,
	[PROBE_DRIFT_SAME] = "same",
	[PROBE_DRIFT_OLDER] = "older",
	[PROBE_DRIFT_OTHER] = "other",
	[PROBE_DRIFT_UNKNOWN] = "unknown",
};

const char *
probe_kind_name(enum probe_kind k)
{
	return (size_t)k < nitems(kind_names) ? kind_names[k] : "error";
}

const char *
probe_phase_name(enum probe_phase p)
{
	return (size_t)p < nitems(phase_names) ? phase_names[p] : NULL;
}

const char *
probe_drift_name(enum probe_drift d)
{
	return (size_t)d < nitems(drift_names) ? drift_names[d] : NULL;
}

static int
is_ip_literal(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
}

char *
probe_endpoint_file(const struct endpoint *ep)
{
	struct buf b;
	char *s, *p;

	buf_init(&b);
	buf_printf(&b, "%s_%d", ep->host, ep->port);
	if (*ep->starttls != '\0')
		buf_printf(&b, "_%s", ep->starttls);
	if (*ep->sni != '\0')
		buf_printf(&b, "_%s", ep->sni);
	s = buf_steal(&b);
	for (p = s; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '.' || *p == '-'))
			*p = '_';
	}
	if (*s == '.')		/* never a hidden file, never "." or ".." */
		*s = '_';
	return s;
}

/* ---------------------------------------------------------------------- */
/* Results. */

void
probe_result_free(struct probe_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->entry);
	free(r->detail);
	free(r->sni);
	for (i = 0; i < r->nchain; i++)
		certrec_free(&r->chain[i]);
	free(r->chain);
	free(r->chain_pem);
	free(r->verify_system.reason);
	free(r->verify_inventory.reason);
	free(r->ocsp.status);
	free(r->ocsp.error);
	free(r->ocsp.revocation_reason);
	strv_free(&r->client_ca_names);
	free(r->client_cert_status);
	free(r->drift_commit);
	strv_free(&r->known_as);
	free(r);
}

size_t
probe_problems(const struct probe_result *r, int64_t now,
    struct strv *problems)
{
	size_t n = problems->n;

	if (r->kind != PROBE_OK) {
		strv_add(problems, probe_kind_name(r->kind));
		return problems->n - n;
	}
	if (r->nchain > 0 && status_days_left(now, r->chain[0].not_after) < 0)
		strv_add(problems, "expired");
	if (r->verify_system.ok != 1 && r->verify_inventory.ok != 1)
		strv_add(problems, "untrusted");
	if (!r->name_match)
		strv_add(problems, "name-mismatch");
	if (r->drift == PROBE_DRIFT_OLDER || r->drift == PROBE_DRIFT_OTHER ||
	    r->drift == PROBE_DRIFT_UNKNOWN)
		strv_add(problems, "drift");
	if (r->ocsp.stapled && r->ocsp.status != NULL &&
	    strcmp(r->ocsp.status, "revoked") == 0)
		strv_add(problems, "ocsp-revoked");
	else if (r->ocsp.stapled && r->ocsp.status != NULL && !r->ocsp.current)
		strv_add(problems, "ocsp-stale");
	return problems->n - n;
}

/* A small JSON writer over a buf: members of the object being written. */
struct jw {
	struct buf	*b;
	int		 first;
};

static void
jw_key(struct jw *w, const char *key)
{
	if (!w->first)
		buf_addc(w->b, ',');
	w->first = 0;
	if (key != NULL) {
		esc_json(w->b, key);
		buf_addc(w->b, ':');
	}
}

static void
jw_open(struct jw *w, const char *key, char c)
{
	jw_key(w, key);
	buf_addc(w->b, c);
	w->first = 1;
}

static void
jw_close(struct jw *w, char c)
{
	buf_addc(w->b, c);
	w->first = 0;
}

static void
jw_str(struct jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	if (v == NULL)
		buf_adds(w->b, "null");
	else
		esc_json(w->b, v);
}

static void
jw_int(struct jw *w, const char *key, long long v)
{
	jw_key(w, key);
	buf_printf(w->b, "%lld", v);
}

static void
jw_bool(struct jw *w, const char *key, int v)
{
	jw_key(w, key);
	buf_adds(w->b, v ? "true" : "false");
}

static void
jw_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	buf_adds(w->b, "null");
}

static void
jw_time(struct jw *w, const char *key, int64_t t)
{
	char s[32];

	clock_format(t, s);
	jw_str(w, key, s);
}

/* items separated by sep (NULL or "" gives []) */
static void
jw_list(struct jw *w, const char *key, const char *items, char sep)
{
	const char *p, *q;
	char *item;

	jw_open(w, key, '[');
	for (p = items; p != NULL && *p != '\0'; p = q != NULL ? q + 1 : NULL) {
		q = strchr(p, sep);
		item = q != NULL ? xstrndup(p, (size_t)(q - p)) : xstrdup(p);
		if (*item != '\0')
			jw_str(w, NULL, item);
		free(item);
	}
	jw_close(w, ']');
}

static void
jw_strv(struct jw *w, const char *key, const struct strv *v)
{
	size_t i;

	jw_open(w, key, '[');
	for (i = 0; i < v->n; i++)
		jw_str(w, NULL, v->v[i]);
	jw_close(w, ']');
}

static void
jw_verify(struct jw *w, const char *key, const struct probe_verify *v,
    int done)
{
	jw_open(w, key, '{');
	if (!done || v->ok < 0)
		jw_null(w, "ok");
	else
		jw_bool(w, "ok", v->ok);
	jw_str(w, "error", done ? v->reason : NULL);
	if (done && v->ok == 0)
		jw_int(w, "depth", v->depth);
	else
		jw_null(w, "depth");
	jw_close(w, '}');
}

static void
jw_cert(struct jw *w, const struct certrec *c, int64_t now)
{
	jw_open(w, NULL, '{');
	jw_str(w, "subject", c->subject);
	jw_str(w, "subject_cn", c->subject_cn);
	jw_str(w, "issuer", c->issuer);
	jw_str(w, "issuer_cn", c->issuer_cn);
	jw_str(w, "serial", c->serial);
	jw_time(w, "not_before", c->not_before);
	jw_time(w, "not_after", c->not_after);
	jw_int(w, "days_left", status_days_left(now, c->not_after));
	jw_list(w, "sans", c->sans, '\n');
	jw_str(w, "key_type", c->key_type);
	jw_int(w, "key_bits", c->key_bits);
	jw_str(w, "signature_algorithm", c->sig_alg);
	jw_str(w, "fingerprint_sha256", *c->sha256 ? c->sha256 : NULL);
	jw_bool(w, "is_ca", c->is_ca);
	jw_bool(w, "self_signed", c->self_signed);
	jw_close(w, '}');
}

void
probe_result_json(const struct probe_result *r, int64_t now, struct buf *b)
{
	struct jw w = { b, 1 };
	struct strv problems;
	int ok = r->kind == PROBE_OK, leaf = r->nchain > 0;
	size_t i;

	strv_init(&problems);
	probe_problems(r, now, &problems);
	jw_open(&w, NULL, '{');
	jw_str(&w, "endpoint", r->endpoint);
	jw_str(&w, "entry", r->entry);
	jw_time(&w, "time", r->time);
	jw_str(&w, "result", probe_kind_name(r->kind));
	jw_str(&w, "phase", probe_phase_name(r->phase));
	jw_str(&w, "detail", r->detail);
	jw_bool(&w, "healthy", problems.n == 0);
	jw_strv(&w, "problems", &problems);
	jw_str(&w, "host", r->ep.host);
	jw_int(&w, "port", r->ep.port);
	jw_str(&w, "starttls", *r->ep.starttls ? r->ep.starttls : NULL);
	jw_str(&w, "sni", r->sni);
	jw_str(&w, "address", *r->address ? r->address : NULL);
	jw_str(&w, "tls_version", *r->tls_version ? r->tls_version : NULL);
	jw_str(&w, "cipher", *r->cipher ? r->cipher : NULL);
	if (ok)
		jw_int(&w, "handshake_ms", r->handshake_ms);
	else
		jw_null(&w, "handshake_ms");
	jw_int(&w, "total_ms", r->total_ms);
	jw_str(&w, "leaf_sha256", leaf ? r->leaf_sha256 : NULL);
	if (leaf) {
		jw_time(&w, "not_after", r->chain[0].not_after);
		jw_int(&w, "days_left", status_days_left(now,
		    r->chain[0].not_after));
	} else {
		jw_null(&w, "not_after");
		jw_null(&w, "days_left");
	}
	if (ok && leaf)
		jw_bool(&w, "name_match", r->name_match);
	else
		jw_null(&w, "name_match");
	jw_int(&w, "chain_length", (long long)r->chain_served);
	jw_open(&w, "chain", '[');
	for (i = 0; i < r->nchain; i++)
		jw_cert(&w, &r->chain[i], now);
	jw_close(&w, ']');
	jw_open(&w, "verify", '{');
	jw_verify(&w, "system", &r->verify_system, ok && leaf);
	jw_verify(&w, "inventory", &r->verify_inventory, ok && leaf);
	jw_close(&w, '}');
	jw_open(&w, "ocsp", '{');
	jw_bool(&w, "stapled", r->ocsp.stapled);
	jw_str(&w, "status", r->ocsp.status);
	jw_str(&w, "error", r->ocsp.error);
	jw_bool(&w, "verified", r->ocsp.verified);
	jw_bool(&w, "current", r->ocsp.current);
	if (r->ocsp.this_update != 0)
		jw_time(&w, "this_update", r->ocsp.this_update);
	else
		jw_null(&w, "this_update");
	if (r->ocsp.next_update != 0)
		jw_time(&w, "next_update", r->ocsp.next_update);
	else
		jw_null(&w, "next_update");
	if (r->ocsp.revoked_at != 0)
		jw_time(&w, "revoked_at", r->ocsp.revoked_at);
	else
		jw_null(&w, "revoked_at");
	jw_str(&w, "revocation_reason", r->ocsp.revocation_reason);
	jw_close(&w, '}');
	jw_open(&w, "client_cert", '{');
	jw_bool(&w, "requested", r->client_cert_requested);
	jw_strv(&w, "ca_names", &r->client_ca_names);
	jw_bool(&w, "presented", r->client_cert_sent);
	jw_str(&w, "status", r->client_cert_status);
	jw_close(&w, '}');
	jw_str(&w, "drift", probe_drift_name(r->drift));
	jw_str(&w, "drift_commit", r->drift_commit);
	jw_strv(&w, "known_as", &r->known_as);
	jw_bool(&w, "observed_change", r->observed_change);
	jw_close(&w, '}');
	strv_free(&problems);
}

/* ---------------------------------------------------------------------- */
/* The resolver pool. */

struct run;
struct probe;

enum rj_state { RJ_QUEUED, RJ_RUNNING, RJ_DONE };

/* One lookup. Shared with the pool: every field is under res_mu except
   host/port (written before queueing) and probe (the loop's own). */
struct rjob {
	char		 host[256];
	char		 port[8];
	enum rj_state	 state;
	int		 abandoned;	/* RUNNING and nobody wants it */
	struct addrinfo	*res;
	int		 err;
	struct run	*run;		/* told when done, unless abandoned */
	struct rjob	*next;		/* in the queue, or the run's done list */
	struct probe	*probe;		/* NULL: abandoned while DONE */
};

static pthread_mutex_t res_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t res_cv = PTHREAD_COND_INITIALIZER;
static struct rjob *res_head, *res_tail;
static int res_queued, res_threads, res_idle;

/* One probe_run. */
struct run {
	const struct probe_opts	*o;
	int			 timeout_ms;
	SSL_CTX			*ctx;
	X509_STORE		*sys;
	X509_STORE		*inv;		/* NULL: no anchors */
	int			 wake[2];
	struct rjob		*done;		/* under res_mu */
	int64_t			 now;		/* clock_now() at the start */
};

static void
resolve_done(struct rjob *j)
{
	j->state = RJ_DONE;
	j->next = j->run->done;
	j->run->done = j;
	/* A full pipe already holds a wake-up. */
	if (write(j->run->wake[1], "", 1) < 0) {
		/* nothing to do */
	}
}

static void *
resolver_main(void *arg)
{
	struct addrinfo hints, *res;
	struct rjob *j;
	int err;

	(void)arg;
	pthread_mutex_lock(&res_mu);
	for (;;) {
		while (res_head == NULL) {
			res_idle++;
			pthread_cond_wait(&res_cv, &res_mu);
			res_idle--;
		}
		j = res_head;
		res_head = j->next;
		if (res_head == NULL)
			res_tail = NULL;
		res_queued--;
		j->state = RJ_RUNNING;
		pthread_mutex_unlock(&res_mu);

		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV;
		res = NULL;
		err = getaddrinfo(j->host, j->port, &hints, &res);

		pthread_mutex_lock(&res_mu);
		if (j->abandoned) {
			if (res != NULL)
				freeaddrinfo(res);
			free(j);
			continue;
		}
		j->res = res;
		j->err = err;
		resolve_done(j);
	}
	return NULL;
}

/* Queue a lookup; its result comes back on run->done. */
static struct rjob *
resolve_submit(struct run *run, struct probe *p, const char *host, int port)
{
	struct rjob *j = xcalloc(1, sizeof *j);
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;

	snprintf(j->host, sizeof j->host, "%s", host);
	snprintf(j->port, sizeof j->port, "%d", port);
	j->run = run;
	j->probe = p;
	pthread_mutex_lock(&res_mu);
	j->state = RJ_QUEUED;
	if (res_tail != NULL)
		res_tail->next = j;
	else
		res_head = j;
	res_tail = j;
	res_queued++;
	if (res_queued > res_idle && res_threads < RESOLVER_THREADS) {
		/* Signals belong to the main thread. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, resolver_main, NULL) == 0)
			res_threads++;
		pthread_attr_destroy(&attr);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (res_threads == 0) {
		/* No thread to run it: fail it at once. */
		res_head = res_tail = NULL;
		res_queued = 0;
		j->err = EAI_SYSTEM;
		resolve_done(j);
	}
	pthread_cond_signal(&res_cv);
	pthread_mutex_unlock(&res_mu);
	return j;
}

/* The probe no longer wants j (its deadline passed, or it was cancelled). */
static void
resolve_abandon(struct rjob *j)
{
	struct rjob **pp;

	pthread_mutex_lock(&res_mu);
	switch (j->state) {
	case RJ_QUEUED:
		for (pp = &res_head; *pp != NULL; pp = &(*pp)->next)
			if (*pp == j) {
				*pp = j->next;
				res_queued--;
				break;
			}
		res_tail = NULL;
		for (pp = &res_head; *pp != NULL; pp = &(*pp)->next)
			res_tail = *pp;
		free(j);
		break;
	case RJ_RUNNING:
		j->abandoned = 1;	/* the thread frees it */
		j->run = NULL;
		break;
	case RJ_DONE:
		j->probe = NULL;	/* on run->done: collected and freed */
		break;
	}
	pthread_mutex_unlock(&res_mu);
}

/* ---------------------------------------------------------------------- */
/* One probe. */

/* PS_VERDICT: TLS 1.3 after the handshake, waiting for what the server
   says of the client certificate (see verdict_io). */
enum pstate { PS_RESOLVE, PS_CONNECT, PS_STARTTLS, PS_HANDSHAKE, PS_VERDICT,
	PS_DONE };

struct stls;

struct probe {
	struct probe_result	*r;
	enum pstate		 state;
	int64_t			 start;
	int64_t			 deadline;
	int64_t			 hs_start;
	int64_t			 attempt_deadline;	/* this address */
	struct rjob		*rj;
	struct addrinfo		*ai;
	struct addrinfo		*cur;
	int			 fd;
	short			 events;
	int			 last_errno;
	int			 refused;
	/* STARTTLS */
	const struct stls	*proto;
	int			 step;
	struct buf		 in;
	struct buf		 out;
	size_t			 out_off;
	size_t			 nread;
	size_t			 nlines;
	/* TLS */
	SSL			*ssl;
	char			 alert[64];
	unsigned char		 hdr[5];	/* the first record header */
	int			 got_hdr;
	/* Client certificates */
	const struct probe_client *client;	/* to present, or NULL */
	int			 got_ticket;	/* a NewSessionTicket came */
	int64_t			 verdict_deadline;
};

static enum probe_phase
state_phase(enum pstate s)
{
	switch (s) {
	case PS_RESOLVE:
		return PROBE_PHASE_RESOLVE;
	case PS_CONNECT:
		return PROBE_PHASE_CONNECT;
	case PS_STARTTLS:
		return PROBE_PHASE_STARTTLS;
	case PS_HANDSHAKE:
	case PS_VERDICT:
		return PROBE_PHASE_HANDSHAKE;
	default:
		return PROBE_PHASE_NONE;
	}
}

static void
probe_fail(struct probe *p, enum probe_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The probe ends with a failure of this kind in the current phase. */
static void
probe_fail(struct probe *p, enum probe_kind kind, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (p->state == PS_DONE)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (strlen(msg) > DETAIL_MAX) {
		size_t k = DETAIL_MAX - 3;

		/* Cut between characters, not inside one. */
		while (k > 0 && ((unsigned char)msg[k] & 0xc0) == 0x80)
			k--;
		strcpy(msg + k, "...");
	}
	p->r->kind = kind;
	p->r->phase = state_phase(p->state);
	free(p->r->detail);
	p->r->detail = msg;
	p->state = PS_DONE;
}

/* Peer text for a detail: one line, cut short, escaped. */
static char *
peer_text(const void *data, size_t len)
{
	char tmp[121];
	size_t i, n = len < sizeof tmp - 1 ? len : sizeof tmp - 1;

	for (i = 0; i < n; i++) {
		unsigned char c = ((const unsigned char *)data)[i];

		tmp[i] = c == '\0' ? '.' : (char)c;
	}
	tmp[n] = '\0';
	while (n > 0 && (tmp[n - 1] == '\r' || tmp[n - 1] == '\n'))
		tmp[--n] = '\0';
	return esc_dup(tmp, 0);
}

static void	probe_connected(struct run *, struct probe *);
static void	tls_start(struct run *, struct probe *);

static void
note_addr(struct probe *p, const struct sockaddr *sa)
{
	char a[INET6_ADDRSTRLEN];
	const void *src = NULL;

	if (sa->sa_family == AF_INET)
		src = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (src == NULL || inet_ntop(sa->sa_family, src, a, sizeof a) == NULL)
		strcpy(a, "?");
	snprintf(p->r->address, sizeof p->r->address, "%s", a);
}

/*
 * An address that neither answers nor refuses (a dual-stack name whose
 * IPv6 route is broken) must not use up the whole deadline: each of the
 * addresses left gets an equal share of the time left.
 */
static void
attempt_deadline(struct probe *p)
{
	const struct addrinfo *a;
	int64_t now = clock_mono_ms();
	int left = 0;

	for (a = p->cur; a != NULL; a = a->ai_next)
		left++;
	p->attempt_deadline = left > 1 && p->deadline > now ?
	    now + (p->deadline - now) / left : p->deadline;
}

/* Try the addresses from p->cur on, until one connects or starts to. */
static void
connect_next(struct run *run, struct probe *p)
{
	int fd;

	p->state = PS_CONNECT;
	for (; p->cur != NULL; p->cur = p->cur->ai_next) {
		fd = socket(p->cur->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				probe_fail(p, PROBE_ERROR, "socket: %s",
				    strerror(errno));
				return;
			}
			p->last_errno = errno;
			continue;
		}
		note_addr(p, p->cur->ai_addr);
		if (connect(fd, p->cur->ai_addr, p->cur->ai_addrlen) == 0) {
			p->fd = fd;
			probe_connected(run, p);
			return;
		}
		if (errno == EINPROGRESS) {
			p->fd = fd;
			p->events = POLLOUT;
			attempt_deadline(p);
			return;
		}
		if (errno == ECONNREFUSED)
			p->refused++;
		p->last_errno = errno;
		close(fd);
	}
	if (p->refused > 0)
		probe_fail(p, PROBE_REFUSED, "connection refused");
	else
		probe_fail(p, PROBE_CONNECT, "%s", p->last_errno != 0 ?
		    strerror(p->last_errno) : "no address to connect to");
}

static void
connect_io(struct run *run, struct probe *p)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err == 0) {
		probe_connected(run, p);
		return;
	}
	if (err == EINPROGRESS)
		return;
	if (err == ECONNREFUSED)
		p->refused++;
	p->last_errno = err;
	close(p->fd);
	p->fd = -1;
	p->cur = p->cur->ai_next;
	connect_next(run, p);
}

/* ---------------------------------------------------------------------- */
/* STARTTLS: the plaintext part of each protocol. */

enum { STLS_MORE, STLS_TLS, STLS_REFUSED };

struct stls {
	const char	*name;
	void		(*begin)(struct probe *);	/* may be NULL */
	int		(*step)(struct probe *);
};

static void
stls_send(struct probe *p, const void *data, size_t len)
{
	buf_add(&p->out, data, len);
}

static int
stls_refuse(struct probe *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
stls_refuse(struct probe *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	probe_fail(p, PROBE_STARTTLS_REFUSED, "%s", msg);
	free(msg);
	return STLS_REFUSED;
}

/* Drop n bytes from the start of p->in. */
static void
in_consume(struct probe *p, size_t n)
{
	memmove(p->in.data, p->in.data + n, p->in.len - n);
	p->in.len -= n;
	p->in.data[p->in.len] = '\0';
}

/* The first whole line of p->in into line (cut to size, escaped later
   by the caller); 1 if there was one. */
static int
take_line(struct probe *p, char *line, size_t size)
{
	char *nl;
	size_t n;

	if (p->in.len == 0 ||
	    (nl = memchr(p->in.data, '\n', p->in.len)) == NULL)
		return 0;
	n = (size_t)(nl - p->in.data);
	if (n > 0 && p->in.data[n - 1] == '\r')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(line, p->in.data, n);
	line[n] = '\0';
	in_consume(p, (size_t)(nl - p->in.data) + 1);
	p->nlines++;
	return 1;
}

/* A whole SMTP/FTP reply ("250-a", "250-b", "250 c"): 1 and its code. */
static int
take_reply(struct probe *p, int *code, char *last, size_t size)
{
	char line[STLS_MAX_LINE];

	while (take_line(p, line, sizeof line)) {
		if (isdigit((unsigned char)line[0]) &&
		    isdigit((unsigned char)line[1]) &&
		    isdigit((unsigned char)line[2]) &&
		    (line[3] == ' ' || line[3] == '\0')) {
			*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
			    (line[2] - '0');
			snprintf(last, size, "%s", line);
			return 1;
		}
		/* "250-..." or an FTP continuation: go on */
	}
	return 0;
}

/* After the go-ahead nothing may be pending: bytes the server sent
   before our ClientHello would be someone else's (injected) data. */
static int
stls_go(struct probe *p)
{
	if (p->in.len > 0)
		return stls_refuse(p, "data after the STARTTLS reply");
	return STLS_TLS;
}

static char *
esc_line(const char *line)
{
	return peer_text(line, strlen(line));
}

static int
stls_say_refused(struct probe *p, const char *what, const char *line)
{
	char *e = esc_line(line);

	stls_refuse(p, "%s: %s", what, e);
	free(e);
	return STLS_REFUSED;
}

static int
smtp_step(struct probe *p)
{
	char last[STLS_MAX_LINE];
	int code;

	for (;;) {
		if (!take_reply(p, &code, last, sizeof last))
			return STLS_MORE;
		switch (p->step) {
		case 0:
			if (code != 220)
				return stls_say_refused(p, "greeting", last);
			stls_send(p, "EHLO certdeck.invalid\r\n", 23);
			break;
		case 1:
			if (code != 250)
				return stls_say_refused(p, "EHLO", last);
			stls_send(p, "STARTTLS\r\n", 10);
			break;
		default:
			if (code != 220)
				return stls_say_refused(p, "STARTTLS", last);
			return stls_go(p);
		}
		p->step++;
	}
}

static int
ftp_step(struct probe *p)
{
	char last[STLS_MAX_LINE];
	int code;

	for (;;) {
		if (!take_reply(p, &code, last, sizeof last))
			return STLS_MORE;
		if (p->step == 0) {
			if (code == 120)	/* "ready in nnn minutes" */
				continue;
			if (code != 220)
				return stls_say_refused(p, "greeting", last);
			stls_send(p, "AUTH TLS\r\n", 10);
			p->step++;
			continue;
		}
		if (code != 234)
			return stls_say_refused(p, "AUTH TLS", last);
		return stls_go(p);
	}
}

static int
imap_step(struct probe *p)
{
	char line[STLS_MAX_LINE];

	while (take_line(p, line, sizeof line)) {
		if (p->step == 0) {
			if (strncasecmp(line, "* OK", 4) != 0)
				return stls_say_refused(p, "greeting", line);
			stls_send(p, "a1 STARTTLS\r\n", 13);
			p->step++;
			continue;
		}
		if (strncmp(line, "* ", 2) == 0)	/* untagged */
			continue;
		if (strncasecmp(line, "a1 OK", 5) == 0)
			return stls_go(p);
		return stls_say_refused(p, "STARTTLS", line);
	}
	return STLS_MORE;
}

static int
pop3_step(struct probe *p)
{
	char line[STLS_MAX_LINE];

	while (take_line(p, line, sizeof line)) {
		if (strncmp(line, "+OK", 3) != 0)
			return stls_say_refused(p, p->step == 0 ? "greeting" :
			    "STLS", line);
		if (p->step++ == 0) {
			stls_send(p, "STLS\r\n", 6);
			continue;
		}
		return stls_go(p);
	}
	return STLS_MORE;
}

/* LDAP: an ExtendedRequest for StartTLS (RFC 4511 4.14), message id 1. */
static void
ldap_begin(struct probe *p)
{
	static const char oid[] = "1.3.6.1.4.1.1466.20037";
	unsigned char m[64];
	size_t n = 0, olen = sizeof oid - 1;

	m[n++] = 0x30;				/* LDAPMessage SEQUENCE */
	m[n++] = (unsigned char)(3 + 2 + 2 + olen);
	m[n++] = 0x02; m[n++] = 0x01; m[n++] = 0x01;	/* messageID 1 */
	m[n++] = 0x77;				/* [APPLICATION 23] */
	m[n++] = (unsigned char)(2 + olen);
	m[n++] = 0x80;				/* requestName [0] */
	m[n++] = (unsigned char)olen;
	memcpy(m + n, oid, olen);
	n += olen;
	stls_send(p, m, n);
}

/* One BER TLV at *off of p[0..n): tag, content length; *off moves past
   the header. -1 when malformed or longer than what is there. */
static int
ber_tlv(const unsigned char *p, size_t n, size_t *off, unsigned *tag,
    size_t *len)
{
	size_t i = *off, k, l;

	if (i + 2 > n)
		return -1;
	*tag = p[i++];
	if ((*tag & 0x1f) == 0x1f)		/* multi-byte tags: not LDAP's */
		return -1;
	l = p[i++];
	if (l & 0x80) {
		k = l & 0x7f;
		if (k == 0 || k > 4 || i + k > n)
			return -1;
		for (l = 0; k > 0; k--)
			l = (l << 8) | p[i++];
	}
	if (l > n - i)
		return -1;
	*off = i;
	*len = l;
	return 0;
}

static const char *
ldap_result_name(long code)
{
	static const struct { long code; const char *name; } names[] = {
		{ 1, "operationsError" }, { 2, "protocolError" },
		{ 7, "authMethodNotSupported" }, { 8, "strongerAuthRequired" },
		{ 12, "unavailableCriticalExtension" }, { 51, "busy" },
		{ 52, "unavailable" }, { 53, "unwillingToPerform" },
		{ 80, "other" },
	};
	size_t i;

	for (i = 0; i < nitems(names); i++)
		if (names[i].code == code)
			return names[i].name;
	return "error";
}

static int
ldap_step(struct probe *p)
{
	const unsigned char *m = (const unsigned char *)p->in.data;
	size_t off = 0, len, end, msg_end, l2, dnlen;
	unsigned tag;
	long code = 0;
	char *diag;
	int i;

	if (p->in.len < 2)
		return STLS_MORE;
	if (m[0] != 0x30)
		return stls_refuse(p, "not an LDAP reply");
	/* The outer header: is the whole message here yet? */
	if ((m[1] & 0x80) && p->in.len < 2 + (size_t)(m[1] & 0x7f))
		return STLS_MORE;
	if (ber_tlv(m, p->in.len, &off, &tag, &len) != 0) {
		if (p->in.len >= STLS_MAX_REPLY)
			return stls_refuse(p, "LDAP reply too long");
		if ((m[1] & 0x80) && ((m[1] & 0x7f) == 0 || (m[1] & 0x7f) > 4))
			return stls_refuse(p, "malformed LDAP reply");
		return STLS_MORE;	/* not all of it yet */
	}
	end = msg_end = off + len;
	/* messageID */
	if (ber_tlv(m, end, &off, &tag, &len) != 0 || tag != 0x02 ||
	    len == 0 || len > 4)
		return stls_refuse(p, "malformed LDAP reply");
	off += len;
	/* extendedResp [APPLICATION 24] */
	if (ber_tlv(m, end, &off, &tag, &len) != 0 || tag != 0x78)
		return stls_refuse(p, "not an LDAP extended response");
	end = off + len;
	if (ber_tlv(m, end, &off, &tag, &len) != 0 || tag != 0x0a ||
	    len == 0 || len > 4)
		return stls_refuse(p, "malformed LDAP result");
	for (i = 0; (size_t)i < len; i++)
		code = (code << 8) | m[off + (size_t)i];
	off += len;
	if (code == 0) {
		in_consume(p, msg_end);
		return stls_go(p);
	}
	diag = NULL;
	if (ber_tlv(m, end, &off, &tag, &dnlen) == 0 && tag == 0x04) {
		off += dnlen;			/* matchedDN */
		if (ber_tlv(m, end, &off, &tag, &l2) == 0 && tag == 0x04 &&
		    l2 > 0)
			diag = peer_text(m + off, l2);
	}
	stls_refuse(p, "StartTLS: result %ld (%s)%s%s", code,
	    ldap_result_name(code), diag != NULL ? ": " : "",
	    diag != NULL ? diag : "");
	free(diag);
	return STLS_REFUSED;
}

/* PostgreSQL: SSLRequest (length 8, code 80877103), answered by one byte. */
static void
postgres_begin(struct probe *p)
{
	static const unsigned char req[] = {
		0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f
	};

	stls_send(p, req, sizeof req);
}

static int
postgres_step(struct probe *p)
{
	char c;

	if (p->in.len == 0)
		return STLS_MORE;
	c = p->in.data[0];
	if (c == 'S') {
		in_consume(p, 1);
		return stls_go(p);
	}
	if (c == 'N')
		return stls_refuse(p, "the server does not accept SSL "
		    "(answered N)");
	if (c == 'E')
		return stls_refuse(p, "the server answered SSLRequest with "
		    "an error");
	return stls_refuse(p, "unexpected reply to SSLRequest");
}

static const struct stls stls_protos[] = {
	{ "smtp", NULL, smtp_step },
	{ "imap", NULL, imap_step },
	{ "pop3", NULL, pop3_step },
	{ "ftp", NULL, ftp_step },
	{ "ldap", ldap_begin, ldap_step },
	{ "postgres", postgres_begin, postgres_step },
};

static void
stls_events(struct probe *p)
{
	p->events = p->out.len > p->out_off ? POLLOUT : POLLIN;
}

static void
stls_io(struct run *run, struct probe *p, short rev)
{
	char tmp[4096];
	ssize_t n;
	int rc;

	if (p->out.len > p->out_off && (rev & (POLLOUT | POLLERR | POLLHUP))) {
		n = send(p->fd, p->out.data + p->out_off,
		    p->out.len - p->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			probe_fail(p, PROBE_STARTTLS_REFUSED, "%s",
			    strerror(errno));
			return;
		}
		if (n > 0 && (p->out_off += (size_t)n) == p->out.len) {
			buf_reset(&p->out);
			p->out_off = 0;
		}
	} else if (rev & (POLLIN | POLLERR | POLLHUP)) {
		n = recv(p->fd, tmp, sizeof tmp, 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				probe_fail(p, PROBE_STARTTLS_REFUSED, "%s",
				    strerror(errno));
			return;
		}
		if (n == 0) {
			char *e = p->in.len > 0 ?
			    peer_text(p->in.data, p->in.len) : NULL;

			probe_fail(p, PROBE_STARTTLS_REFUSED, "the server "
			    "closed the connection%s%s", e ? " after: " : "",
			    e ? e : "");
			free(e);
			return;
		}
		p->nread += (size_t)n;
		buf_add(&p->in, tmp, (size_t)n);
		if (p->in.len > STLS_MAX_REPLY || p->nlines > 1000) {
			probe_fail(p, PROBE_STARTTLS_REFUSED, "reply too long");
			return;
		}
		rc = p->proto->step(p);
		if (rc == STLS_REFUSED)
			return;
		if (rc == STLS_TLS) {
			tls_start(run, p);
			return;
		}
		/* A line longer than we keep, without its end: refuse. */
		if (p->proto->begin == NULL && p->in.len >= STLS_MAX_LINE * 8) {
			probe_fail(p, PROBE_STARTTLS_REFUSED, "reply line too "
			    "long");
			return;
		}
	}
	stls_events(p);
}

static void
probe_connected(struct run *run, struct probe *p)
{
	size_t i;

	if (*p->r->ep.starttls == '\0') {
		tls_start(run, p);
		return;
	}
	for (i = 0; i < nitems(stls_protos); i++)
		if (strcmp(stls_protos[i].name, p->r->ep.starttls) == 0)
			break;
	if (i == nitems(stls_protos)) {
		probe_fail(p, PROBE_ERROR, "unknown STARTTLS protocol");
		return;
	}
	p->proto = &stls_protos[i];
	p->state = PS_STARTTLS;
	if (p->proto->begin != NULL)
		p->proto->begin(p);
	stls_events(p);
}

/* ---------------------------------------------------------------------- */
/* TLS. */

/* --client: what is presented. */
struct probe_client {
	X509		*cert;
	STACK_OF(X509)	*chain;		/* may be empty */
	EVP_PKEY	*key;
};

void
probe_client_free(struct probe_client *c)
{
	if (c == NULL)
		return;
	X509_free(c->cert);
	sk_X509_pop_free(c->chain, X509_free);
	EVP_PKEY_free(c->key);		/* clears the key material */
	free(c);
}

struct probe_client *
probe_client_new(const char *cert_pem, size_t cert_len, EVP_PKEY *key,
    char **cause)
{
	struct probe_client *c = xcalloc(1, sizeof *c);
	BIO *bio = NULL;
	X509 *x;

	c->key = key;
	if (cert_len > INT32_MAX)
		goto toobig;
	c->chain = sk_X509_new_null();
	if (c->chain == NULL ||
	    (bio = BIO_new_mem_buf(cert_pem, (int)cert_len)) == NULL)
		goto nomem;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (c->cert == NULL)
			c->cert = x;
		else if (!sk_X509_push(c->chain, x)) {
			X509_free(x);
			goto nomem;
		}
	}
	BIO_free(bio);
	bio = NULL;
	ERR_clear_error();
	if (c->cert == NULL) {
		set_cause(cause, "the certificate file holds no certificate");
		goto fail;
	}
	if (X509_check_private_key(c->cert, c->key) != 1) {
		ERR_clear_error();
		set_cause(cause, "the key does not match the certificate");
		goto fail;
	}
	return c;
toobig:
	set_cause(cause, "the certificate is too large");
	goto fail;
nomem:
	set_cause(cause, "out of memory");
fail:
	BIO_free(bio);
	ERR_clear_error();
	probe_client_free(c);
	return NULL;
}

/* Without --client, or when ours does not suit the request: none. */
static int
client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	struct probe *p = SSL_get_app_data(ssl);

	(void)x509;
	(void)pkey;
	if (p != NULL)
		p->r->client_cert_requested = 1;
	return 0;
}

/*
 * On a client, the certificate callback runs only when the server sent a
 * CertificateRequest, before OpenSSL checks what the SSL holds (and only
 * when that does not suit does it call client_cert_cb): the place to put
 * --client's certificate, chain and key on this connection.
 */
static int
cert_cb(SSL *ssl, void *arg)
{
	struct probe *p = SSL_get_app_data(ssl);
	const struct probe_client *c;

	(void)arg;
	if (p == NULL)
		return 1;
	p->r->client_cert_requested = 1;
	if ((c = p->client) != NULL &&
	    SSL_use_cert_and_key(ssl, c->cert, c->key, c->chain, 1) != 1)
		ERR_clear_error();	/* then none is presented */
	return 1;
}

static void
info_cb(const SSL *ssl, int where, int ret)
{
	struct probe *p = SSL_get_app_data(ssl);

	/* SSL_CB_READ_ALERT shares its SSL_CB_ALERT bit with WRITE_ALERT. */
	if (p == NULL || (where & SSL_CB_READ_ALERT) != SSL_CB_READ_ALERT)
		return;
	if ((ret & 0xff) == SSL3_AD_CLOSE_NOTIFY)
		return;
	snprintf(p->alert, sizeof p->alert, "%s",
	    SSL_alert_desc_string_long(ret));
	/* OpenSSL 3.0 has no words for the alerts TLS 1.3 added. */
	if (strcmp(p->alert, "unknown") == 0) {
		switch (ret & 0xff) {
		case TLS13_AD_MISSING_EXTENSION:
			snprintf(p->alert, sizeof p->alert, "missing extension");
			break;
		case TLS13_AD_CERTIFICATE_REQUIRED:
			snprintf(p->alert, sizeof p->alert,
			    "certificate required");
			break;
		case TLS1_AD_NO_APPLICATION_PROTOCOL:
			snprintf(p->alert, sizeof p->alert,
			    "no application protocol");
			break;
		default:
			snprintf(p->alert, sizeof p->alert, "alert %d",
			    ret & 0xff);
		}
	}
}

static void
msg_cb(int write_p, int version, int content_type, const void *buf,
    size_t len, SSL *ssl, void *arg)
{
	struct probe *p = SSL_get_app_data(ssl);

	(void)version;
	(void)arg;
	if (p == NULL)
		return;
	if (content_type == SSL3_RT_HANDSHAKE && len >= 4) {
		const unsigned char *m = buf;
		size_t off = 4;

		/* Our Certificate: whether its list is empty (TLS 1.3 puts
		   a request context before the list). */
		if (write_p && m[0] == SSL3_MT_CERTIFICATE) {
			if (SSL_version(ssl) == TLS1_3_VERSION)
				off += 1 + (size_t)(len > 4 ? m[4] : 0);
			if (len >= off + 3 &&
			    (m[off] | m[off + 1] | m[off + 2]) != 0)
				p->r->client_cert_sent = 1;
		} else if (!write_p && m[0] == SSL3_MT_NEWSESSION_TICKET)
			p->got_ticket = 1;
		return;
	}
	if (write_p || content_type != SSL3_RT_HEADER || len < 5 ||
	    p->got_hdr)
		return;
	memcpy(p->hdr, buf, 5);
	p->got_hdr = 1;
}

static SSL_CTX *
ctx_new(char **cause)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		ERR_clear_error();
		set_cause(cause, "cannot make a TLS context");
		return NULL;
	}
	/* Verification is ours, after the handshake, against two stores. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/*
	 * A probe reports what is served, weak or old: accept every version
	 * and key size libssl can still speak, and say what was negotiated.
	 */
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, 0);
	SSL_CTX_set_max_cert_list(ctx, PROBE_MAX_BYTES);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_client_cert_cb(ctx, client_cert_cb);
	SSL_CTX_set_cert_cb(ctx, cert_cb, NULL);
	SSL_CTX_set_info_callback(ctx, info_cb);
	SSL_CTX_set_msg_callback(ctx, msg_cb);
	return ctx;
}

static void
tls_start(struct run *run, struct probe *p)
{
	p->state = PS_HANDSHAKE;
	if ((p->ssl = SSL_new(run->ctx)) == NULL ||
	    SSL_set_fd(p->ssl, p->fd) != 1) {
		ERR_clear_error();
		probe_fail(p, PROBE_ERROR, "cannot start TLS");
		return;
	}
	SSL_set_app_data(p->ssl, p);
	SSL_set_connect_state(p->ssl);
	if (p->r->sni != NULL &&
	    SSL_set_tlsext_host_name(p->ssl, p->r->sni) != 1) {
		ERR_clear_error();
		probe_fail(p, PROBE_ERROR, "cannot send this server name");
		return;
	}
	SSL_set_tlsext_status_type(p->ssl, TLSEXT_STATUSTYPE_ocsp);
	p->hs_start = clock_mono_ms();
	p->events = POLLOUT;
}

/* An X509_NAME as RFC 4514 text, escaped. */
static char *
name_text(const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *mem, *s, *raw;
	long n;

	if (bio == NULL)
		return xstrdup("");
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 &
	    ~ASN1_STRFLGS_ESC_MSB) < 0) {
		BIO_free(bio);
		ERR_clear_error();
		return xstrdup("");
	}
	n = BIO_get_mem_data(bio, &mem);
	raw = xstrndup(mem, n > 0 ? (size_t)n : 0);
	s = esc_dup(raw, 0);
	free(raw);
	BIO_free(bio);
	return s;
}

static int
asn1_time_unix(const ASN1_GENERALIZEDTIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
		ERR_clear_error();
		return -1;
	}
	*out = clock_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

/* The served chain: parse what we report, keep PEM for an import. */
static void
collect_chain(struct probe *p)
{
	struct probe_result *r = p->r;
	STACK_OF(X509) *sk = SSL_get_peer_cert_chain(p->ssl);
	unsigned char *der;
	struct buf pem;
	char *s;
	size_t i, n;
	int len;

	if (sk == NULL || r->chain != NULL)
		return;
	r->chain_served = (size_t)sk_X509_num(sk);
	n = r->chain_served < PROBE_MAX_CHAIN ? r->chain_served :
	    PROBE_MAX_CHAIN;
	if (n == 0)
		return;
	r->chain = xcalloc(n, sizeof *r->chain);
	buf_init(&pem);
	for (i = 0; i < n; i++) {
		der = NULL;
		len = i2d_X509(sk_X509_value(sk, (int)i), &der);
		if (len <= 0) {
			ERR_clear_error();
			break;
		}
		/* Decoded already: not again (cert_parse_x509). */
		cert_parse_x509(sk_X509_value(sk, (int)i), der, (size_t)len,
		    &r->chain[i]);
		s = cert_der_to_pem(der, (size_t)len);
		buf_adds(&pem, s);
		free(s);
		OPENSSL_free(der);
	}
	r->nchain = i;
	r->chain_pem = buf_steal(&pem);
	if (r->nchain > 0)
		memcpy(r->leaf_sha256, r->chain[0].sha256, 65);
}

static void
verify_with(struct run *run, X509_STORE *store, STACK_OF(X509) *sk,
    struct probe_verify *v, STACK_OF(X509) **chain)
{
	X509_STORE_CTX *ctx;
	int rc;

	if (store == NULL) {
		v->ok = -1;
		return;
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, store, sk_X509_value(sk, 0), sk) != 1) {
		X509_STORE_CTX_free(ctx);
		ERR_clear_error();
		v->ok = 0;
		v->reason = xstrdup("cannot verify (out of memory)");
		return;
	}
	X509_STORE_CTX_set_default(ctx, "ssl_server");
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
	    (time_t)run->now);
	rc = X509_verify_cert(ctx);
	if (rc == 1) {
		v->ok = 1;
		if (chain != NULL && *chain == NULL)
			*chain = X509_STORE_CTX_get1_chain(ctx);
	} else {
		v->ok = 0;
		v->error = X509_STORE_CTX_get_error(ctx);
		v->depth = X509_STORE_CTX_get_error_depth(ctx);
		v->reason = xstrdup(X509_verify_cert_error_string(v->error));
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
}

static void
check_name(struct probe *p, X509 *leaf)
{
	const struct endpoint *ep = &p->r->ep;

	if (*ep->sni == '\0' && is_ip_literal(ep->host))
		p->r->name_match = X509_check_ip_asc(leaf, ep->host, 0) == 1;
	else
		p->r->name_match = X509_check_host(leaf, p->r->sni,
		    strlen(p->r->sni), 0, NULL) == 1;
	ERR_clear_error();
}

static void
check_ocsp(struct run *run, struct probe *p, STACK_OF(X509) *served,
    STACK_OF(X509) *verified, X509_STORE *store)
{
	struct probe_ocsp *o = &p->r->ocsp;
	const unsigned char *der = NULL;
	OCSP_RESPONSE *rsp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_CERTID *id = NULL;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	X509 *issuer = NULL;
	long len;
	int st, reason = -1;

	len = SSL_get_tlsext_status_ocsp_resp(p->ssl, &der);
	if (len <= 0 || der == NULL)
		return;
	o->stapled = 1;
	if ((rsp = d2i_OCSP_RESPONSE(NULL, &der, len)) == NULL) {
		o->error = xstrdup("the stapled response does not parse");
		goto out;
	}
	st = OCSP_response_status(rsp);
	if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		o->error = xasprintf("responder status: %s",
		    OCSP_response_status_str(st));
		goto out;
	}
	if ((bs = OCSP_response_get1_basic(rsp)) == NULL) {
		o->error = xstrdup("not a basic OCSP response");
		goto out;
	}
	if (verified != NULL && sk_X509_num(verified) > 1)
		issuer = sk_X509_value(verified, 1);
	else if (sk_X509_num(served) > 1)
		issuer = sk_X509_value(served, 1);
	if (issuer == NULL) {
		o->error = xstrdup("the leaf's issuer is unknown");
		goto out;
	}
	if ((id = OCSP_cert_to_id(NULL, sk_X509_value(served, 0),
	    issuer)) == NULL ||
	    OCSP_resp_find_status(bs, id, &st, &reason, &rev, &thisupd,
	    &nextupd) != 1) {
		o->error = xstrdup("the response has no status for the leaf");
		goto out;
	}
	o->status = xstrdup(st == V_OCSP_CERTSTATUS_GOOD ? "good" :
	    st == V_OCSP_CERTSTATUS_REVOKED ? "revoked" : "unknown");
	asn1_time_unix(thisupd, &o->this_update);
	if (nextupd != NULL)
		asn1_time_unix(nextupd, &o->next_update);
	if (st == V_OCSP_CERTSTATUS_REVOKED) {
		if (rev != NULL)
			asn1_time_unix(rev, &o->revoked_at);
		if (reason >= 0)
			o->revocation_reason =
			    xstrdup(OCSP_crl_reason_str(reason));
	}
	o->current = o->this_update - OCSP_SKEW <= run->now &&
	    (o->next_update == 0 || run->now <= o->next_update + OCSP_SKEW);
	/* The store's time is now (run_stores): the signer's chain is
	   checked at the same time as the served one. */
	ERR_clear_error();
	if (OCSP_basic_verify(bs, served, store, 0) > 0)
		o->verified = 1;
	else {
		unsigned long e = ERR_peek_error();

		o->error = xasprintf("signature does not verify: %s",
		    e != 0 && ERR_reason_error_string(e) != NULL ?
		    ERR_reason_error_string(e) : "unknown reason");
	}
out:
	ERR_clear_error();
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(rsp);
}

/* The CA names of a CertificateRequest. */
static void
collect_client_cas(struct probe *p)
{
	STACK_OF(X509_NAME) *cas = SSL_get_client_CA_list(p->ssl);
	int i;

	if (p->r->client_ca_names.n > 0)
		return;
	for (i = 0; cas != NULL && i < sk_X509_NAME_num(cas) &&
	    i < CLIENT_CA_MAX; i++)
		strv_addn(&p->r->client_ca_names,
		    name_text(sk_X509_NAME_value(cas, i)));
}

/* The probe ends well: close_notify, once, without waiting for the
   peer's. */
static void
handshake_end(struct probe *p)
{
	SSL_shutdown(p->ssl);
	ERR_clear_error();
	p->state = PS_DONE;
}

static void
handshake_done(struct run *run, struct probe *p)
{
	struct probe_result *r = p->r;
	STACK_OF(X509) *sk, *verified = NULL;
	const SSL_CIPHER *c;
	X509_STORE *vstore;

	r->handshake_ms = (long)(clock_mono_ms() - p->hs_start);
	snprintf(r->tls_version, sizeof r->tls_version, "%s",
	    SSL_get_version(p->ssl));
	if ((c = SSL_get_current_cipher(p->ssl)) != NULL)
		snprintf(r->cipher, sizeof r->cipher, "%s",
		    SSL_CIPHER_get_name(c));
	collect_chain(p);
	sk = SSL_get_peer_cert_chain(p->ssl);
	if (sk != NULL && sk_X509_num(sk) > 0) {
		verify_with(run, run->sys, sk, &r->verify_system, &verified);
		verify_with(run, run->inv, sk, &r->verify_inventory,
		    &verified);
		check_name(p, sk_X509_value(sk, 0));
		vstore = r->verify_system.ok == 1 ? run->sys :
		    r->verify_inventory.ok == 1 ? run->inv :
		    run->inv != NULL ? run->inv : run->sys;
		check_ocsp(run, p, sk, verified, vstore);
		sk_X509_pop_free(verified, X509_free);
	} else {
		r->verify_system.ok = 0;
		r->verify_system.reason = xstrdup("no certificate served");
		r->verify_inventory.ok = run->inv != NULL ? 0 : -1;
		if (run->inv != NULL)
			r->verify_inventory.reason =
			    xstrdup("no certificate served");
	}
	collect_client_cas(p);
	ERR_clear_error();
	r->kind = PROBE_OK;
	r->phase = PROBE_PHASE_NONE;
	/*
	 * TLS 1.3: the client's handshake ends with its Finished, before
	 * the server has read its Certificate; a server that does not take
	 * it says so in an alert after that. So when the server asked for
	 * a certificate (sent or not), wait a little for its verdict; see
	 * verdict_io. Before 1.3 the server's Finished came after it had
	 * judged our certificate: the handshake's success is the verdict.
	 */
	if (r->client_cert_requested && SSL_version(p->ssl) == TLS1_3_VERSION) {
		int64_t now = clock_mono_ms();

		p->verdict_deadline = p->deadline < now + VERDICT_WAIT_MS ?
		    p->deadline : now + VERDICT_WAIT_MS;
		p->state = PS_VERDICT;
		p->events = POLLIN;
		return;
	}
	handshake_end(p);
}

/*
 * TLS 1.3, after the handshake: read (non-blocking) until the server
 * speaks. An alert (certificate_required, bad_certificate, unknown_ca...)
 * or a close is a rejection; a NewSessionTicket (OpenSSL sends them once
 * it has checked the client's whole flight) or application data is an
 * acceptance; VERDICT_WAIT_MS of silence (within the deadline) is taken
 * as acceptance too, as nothing said no.
 */
static void
verdict_io(struct probe *p)
{
	const char *why = p->r->client_cert_sent ?
	    "the server rejected the client certificate" :
	    "the server asked for a client certificate";
	unsigned char tmp[4096];
	unsigned long e;
	int n, err, saved;

	ERR_clear_error();
	errno = 0;
	n = SSL_read(p->ssl, tmp, sizeof tmp);
	saved = errno;
	if (n > 0) {
		handshake_end(p);
		return;
	}
	err = SSL_get_error(p->ssl, n);
	e = ERR_peek_error();
	switch (err) {
	case SSL_ERROR_WANT_READ:
		if (p->got_ticket)
			handshake_end(p);
		else
			p->events = POLLIN;
		return;
	case SSL_ERROR_WANT_WRITE:
		p->events = POLLOUT;
		return;
	case SSL_ERROR_ZERO_RETURN:
		probe_fail(p, PROBE_HANDSHAKE, "the server closed the "
		    "connection after the handshake (%s)", why);
		break;
	default:
		if (*p->alert != '\0')
			probe_fail(p, PROBE_HANDSHAKE, "alert: %s (%s)",
			    p->alert, why);
		else if (err == SSL_ERROR_SYSCALL && e == 0 && saved != 0)
			probe_fail(p, PROBE_HANDSHAKE, "%s after the handshake "
			    "(%s)", strerror(saved), why);
		else if (err == SSL_ERROR_SYSCALL || (err == SSL_ERROR_SSL &&
		    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING))
			probe_fail(p, PROBE_HANDSHAKE, "the server closed the "
			    "connection after the handshake (%s)", why);
		else
			probe_fail(p, PROBE_HANDSHAKE, "%s (%s)",
			    e != 0 && ERR_reason_error_string(e) != NULL ?
			    ERR_reason_error_string(e) : "failed after the "
			    "handshake", why);
	}
	ERR_clear_error();
}

/* What the result says of client certificates, once it is final. */
static void
client_status(struct probe *p)
{
	struct probe_result *r = p->r;

	if (!r->client_cert_requested)
		r->client_cert_status = r->kind == PROBE_OK ?
		    xstrdup("none requested") : NULL;
	else if (!r->client_cert_sent)
		r->client_cert_status = xstrdup("requested, none presented");
	else if (r->kind == PROBE_OK)
		r->client_cert_status = xstrdup("presented, accepted");
	else if (r->kind == PROBE_HANDSHAKE)
		r->client_cert_status = xasprintf("presented, rejected: %s",
		    *p->alert != '\0' ? p->alert : r->detail != NULL ?
		    r->detail : "handshake failed");
	else
		r->client_cert_status = xasprintf("presented, no verdict: %s",
		    probe_kind_name(r->kind));
}

static int
not_tls_reason(int reason)
{
	switch (reason) {
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
	case SSL_R_UNKNOWN_PROTOCOL:
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
	case SSL_R_RECORD_LENGTH_MISMATCH:
		return 1;
	default:
		return 0;
	}
}

/* Whether the first record header the peer sent is not TLS at all. */
static int
hdr_not_tls(const struct probe *p)
{
	return p->got_hdr && (p->hdr[0] < 20 || p->hdr[0] > 24 ||
	    p->hdr[1] != 3);
}

static void
tls_failed(struct probe *p, int err, int saved_errno)
{
	unsigned long e = ERR_peek_error();
	const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;
	const char *asked = p->r->client_cert_sent ?
	    " (a client certificate was presented)" :
	    p->r->client_cert_requested ?
	    " (the server asked for a client certificate)" : "";
	char *first;

	collect_chain(p);
	if (p->r->client_cert_requested)
		collect_client_cas(p);
	if (*p->alert != '\0')
		probe_fail(p, PROBE_HANDSHAKE, "alert: %s%s", p->alert, asked);
	else if (hdr_not_tls(p) ||
	    (err == SSL_ERROR_SSL && not_tls_reason(ERR_GET_REASON(e)))) {
		first = p->got_hdr ? peer_text(p->hdr, 5) : NULL;
		probe_fail(p, PROBE_NOT_TLS, "the server does not speak TLS "
		    "(%s)%s%s%s", why != NULL ? why : "unexpected reply",
		    first ? "; it began with \"" : "", first ? first : "",
		    first ? "\"" : "");
		free(first);
	} else if ((err == SSL_ERROR_SSL && ERR_GET_REASON(e) ==
	    SSL_R_UNEXPECTED_EOF_WHILE_READING) ||
	    (err == SSL_ERROR_SYSCALL && e == 0 && saved_errno == 0) ||
	    err == SSL_ERROR_ZERO_RETURN)
		probe_fail(p, PROBE_HANDSHAKE, "the server closed the "
		    "connection during the handshake%s", asked);
	else if (err == SSL_ERROR_SYSCALL && e == 0)
		probe_fail(p, PROBE_HANDSHAKE, "%s during the handshake%s",
		    strerror(saved_errno), asked);
	else
		probe_fail(p, PROBE_HANDSHAKE, "%s%s", why != NULL ? why :
		    "handshake failed", asked);
	ERR_clear_error();
}

static void
tls_io(struct run *run, struct probe *p)
{
	uint64_t got;
	int rc, err, saved;

	ERR_clear_error();
	errno = 0;
	rc = SSL_connect(p->ssl);
	saved = errno;
	got = p->nread + BIO_number_read(SSL_get_rbio(p->ssl));
	if (got > PROBE_MAX_BYTES) {
		probe_fail(p, PROBE_HANDSHAKE, "the server sent more than "
		    "%u MiB during the handshake", PROBE_MAX_BYTES >> 20);
		ERR_clear_error();
		return;
	}
	if (rc == 1) {
		handshake_done(run, p);
		return;
	}
	err = SSL_get_error(p->ssl, rc);
	switch (err) {
	case SSL_ERROR_WANT_READ:
		p->events = POLLIN;
		return;
	case SSL_ERROR_WANT_WRITE:
		p->events = POLLOUT;
		return;
	default:
		tls_failed(p, err, saved);
	}
}

/* ---------------------------------------------------------------------- */
/* The loop. */

static struct probe *
probe_start(struct run *run, const struct probe_target *t, size_t index)
{
	struct probe *p = xcalloc(1, sizeof *p);
	struct probe_result *r = xcalloc(1, sizeof *r);
	struct addrinfo hints;
	char port[8];

	p->r = r;
	p->fd = -1;
	buf_init(&p->in);
	buf_init(&p->out);
	r->index = index;
	r->ep = t->ep;
	endpoint_format(&t->ep, r->endpoint, sizeof r->endpoint);
	r->entry = *t->entry != '\0' ? xstrdup(t->entry) : NULL;
	r->time = clock_now();
	p->client = run->o->client;
	strv_init(&r->client_ca_names);
	strv_init(&r->known_as);
	if (*t->ep.sni != '\0')
		r->sni = xstrdup(t->ep.sni);
	else if (!is_ip_literal(t->ep.host))
		r->sni = xstrdup(t->ep.host);
	p->start = clock_mono_ms();
	p->deadline = p->start + run->timeout_ms;

	p->state = PS_RESOLVE;
	if (is_ip_literal(t->ep.host)) {
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
		snprintf(port, sizeof port, "%d", t->ep.port);
		if (getaddrinfo(t->ep.host, port, &hints, &p->ai) != 0) {
			probe_fail(p, PROBE_RESOLVE, "not a usable address");
			return p;
		}
		p->cur = p->ai;
		connect_next(run, p);
		return p;
	}
	p->rj = resolve_submit(run, p, t->ep.host, t->ep.port);
	return p;
}

static void
resolved(struct run *run, struct probe *p, struct rjob *j)
{
	p->rj = NULL;
	if (j->err != 0) {
		if (j->err == EAI_NONAME || j->err == EAI_NODATA ||
		    j->err == EAI_FAIL)
			probe_fail(p, PROBE_RESOLVE, "the name does not "
			    "resolve");
		else
			probe_fail(p, PROBE_RESOLVE, "%s", j->err == EAI_SYSTEM ?
			    "cannot resolve (no resolver thread)" :
			    gai_strerror(j->err));
		if (j->res != NULL)
			freeaddrinfo(j->res);
		return;
	}
	p->ai = j->res;
	p->cur = p->ai;
	connect_next(run, p);
}

static void
collect_resolved(struct run *run)
{
	struct rjob *list, *j, *next;
	char tmp[64];

	while (read(run->wake[0], tmp, sizeof tmp) > 0)
		;
	pthread_mutex_lock(&res_mu);
	list = run->done;
	run->done = NULL;
	pthread_mutex_unlock(&res_mu);
	for (j = list; j != NULL; j = next) {
		next = j->next;
		if (j->probe != NULL)
			resolved(run, j->probe, j);
		else if (j->res != NULL)
			freeaddrinfo(j->res);
		free(j);
	}
}

static void
probe_io(struct run *run, struct probe *p, short rev)
{
	switch (p->state) {
	case PS_CONNECT:
		connect_io(run, p);
		break;
	case PS_STARTTLS:
		stls_io(run, p, rev);
		break;
	case PS_HANDSHAKE:
		tls_io(run, p);
		break;
	case PS_VERDICT:
		verdict_io(p);
		break;
	default:
		break;
	}
}

static void
probe_timeout(struct run *run, struct probe *p)
{
	static const char *const what[] = {
		[PS_RESOLVE] = "no answer from the resolver",
		[PS_CONNECT] = "no connection",
		[PS_STARTTLS] = "the STARTTLS dialogue did not finish",
		[PS_HANDSHAKE] = "the handshake did not finish",
		[PS_VERDICT] = "the handshake did not finish",
	};

	if (p->state == PS_HANDSHAKE && p->ssl != NULL)
		collect_chain(p);
	probe_fail(p, PROBE_TIMEOUT, "%s within %g s", what[p->state],
	    run->timeout_ms / 1000.0);
}

/* Release a finished probe; its result goes to the callback. */
static void
probe_end(struct run *run, struct probe *p, probe_cb cb, void *arg)
{
	struct probe_result *r = p->r;

	r->total_ms = (long)(clock_mono_ms() - p->start);
	client_status(p);
	if (p->rj != NULL)
		resolve_abandon(p->rj);
	if (p->ssl != NULL)
		SSL_free(p->ssl);
	if (p->fd >= 0)
		close(p->fd);
	if (p->ai != NULL)
		freeaddrinfo(p->ai);
	buf_free(&p->in);
	buf_free(&p->out);
	free(p);
	ERR_clear_error();
	(void)run;
	cb(arg, r);
}

/* Trust anchors, and both stores checking at the same now. */
static int
run_stores(struct run *run, char **cause)
{
	X509 *x;
	BIO *bio;
	int n = 0;

	if ((run->sys = X509_STORE_new()) == NULL ||
	    X509_STORE_set_default_paths(run->sys) != 1) {
		ERR_clear_error();
		return set_cause(cause, "cannot load the system trust store");
	}
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(run->sys),
	    (time_t)run->now);
	if (run->o->ca_pem == NULL || run->o->ca_len == 0)
		return 0;
	if ((run->inv = X509_STORE_new()) == NULL ||
	    (bio = BIO_new_mem_buf(run->o->ca_pem,
	    (int)run->o->ca_len)) == NULL) {
		ERR_clear_error();
		return set_cause(cause, "out of memory");
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(run->inv, x) == 1)
			n++;
		X509_free(x);
	}
	BIO_free(bio);
	ERR_clear_error();
	if (n == 0) {
		X509_STORE_free(run->inv);
		run->inv = NULL;
		return 0;
	}
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(run->inv),
	    (time_t)run->now);
	return 0;
}

int
probe_run(const struct probe_target *t, size_t n,
    const struct probe_opts *o, probe_cb cb, void *arg, char **cause)
{
	struct run run;
	struct probe **active = NULL;
	struct pollfd *pfd = NULL;
	size_t *map = NULL, nactive = 0, next = 0, i, k, jobs;
	struct sigaction ign, oldpipe;
	int64_t now, wait, due;
	int rc = -1, cancelled = 0;

	memset(&run, 0, sizeof run);
	run.o = o;
	run.wake[0] = run.wake[1] = -1;
	run.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms :
	    PROBE_TIMEOUT_DEFAULT_MS;
	run.now = clock_now();
	jobs = o->jobs > 0 ? (size_t)o->jobs : PROBE_JOBS_DEFAULT;
	if (jobs > PROBE_JOBS_MAX)
		jobs = PROBE_JOBS_MAX;
	if ((run.ctx = ctx_new(cause)) == NULL || run_stores(&run, cause) != 0)
		goto out;
	if (pipe2(run.wake, O_NONBLOCK | O_CLOEXEC) != 0) {
		set_cause(cause, "pipe: %s", strerror(errno));
		goto out;
	}
	/* A peer that closes while we write must not kill us. */
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &oldpipe);

	active = xcalloc(jobs, sizeof *active);
	pfd = xcalloc(jobs + 1, sizeof *pfd);
	map = xcalloc(jobs + 1, sizeof *map);
	while (next < n || nactive > 0) {
		if (!cancelled && o->cancel != NULL &&
		    __atomic_load_n(o->cancel, __ATOMIC_RELAXED)) {
			cancelled = 1;
			next = n;	/* not started: not probed */
			for (i = 0; i < nactive; i++)
				probe_fail(active[i], PROBE_CANCELLED,
				    "cancelled");
		}
		while (nactive < jobs && next < n) {
			active[nactive++] = probe_start(&run, &t[next], next);
			next++;
		}

		/* Wait for something to happen, or the nearest deadline. */
		now = clock_mono_ms();
		wait = -1;
		pfd[0].fd = run.wake[0];
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		k = 1;
		for (i = 0; i < nactive; i++) {
			struct probe *p = active[i];

			if (p->state == PS_DONE) {
				wait = 0;
				continue;
			}
			due = p->state == PS_CONNECT ? p->attempt_deadline :
			    p->state == PS_VERDICT ? p->verdict_deadline :
			    p->deadline;
			if (wait < 0 || due - now < wait)
				wait = due - now < 0 ? 0 : due - now;
			if (p->fd >= 0 && p->state != PS_RESOLVE) {
				pfd[k].fd = p->fd;
				pfd[k].events = p->events;
				pfd[k].revents = 0;
				map[k++] = i;
			}
		}
		if (o->cancel != NULL && (wait < 0 || wait > 100))
			wait = 100;
		if (wait > INT32_MAX)
			wait = INT32_MAX;
		if (poll(pfd, k, (int)wait) > 0) {
			if (pfd[0].revents != 0)
				collect_resolved(&run);
			for (i = 1; i < k; i++)
				if (pfd[i].revents != 0 &&
				    active[map[i]]->state != PS_DONE)
					probe_io(&run, active[map[i]],
					    pfd[i].revents);
		}

		now = clock_mono_ms();
		for (i = 0; i < nactive; i++) {
			struct probe *p = active[i];

			if (p->state == PS_DONE)
				continue;
			if (p->state == PS_VERDICT) {
				/* Silence until then: nothing said no. */
				if (now >= p->verdict_deadline)
					handshake_end(p);
			} else if (now >= p->deadline)
				probe_timeout(&run, p);
			else if (p->state == PS_CONNECT &&
			    now >= p->attempt_deadline) {
				/* On to the next address. */
				close(p->fd);
				p->fd = -1;
				p->last_errno = ETIMEDOUT;
				p->cur = p->cur->ai_next;
				connect_next(&run, p);
			}
		}
		for (i = 0; i < nactive; ) {
			if (active[i]->state == PS_DONE) {
				probe_end(&run, active[i], cb, arg);
				active[i] = active[--nactive];
			} else
				i++;
		}
	}
	sigaction(SIGPIPE, &oldpipe, NULL);
	rc = 0;
out:
	/* Lookups finished after their probe gave up on them. */
	if (run.wake[0] >= 0)
		collect_resolved(&run);
	free(active);
	free(pfd);
	free(map);
	if (run.wake[0] >= 0)
		close(run.wake[0]);
	if (run.wake[1] >= 0)
		close(run.wake[1]);
	X509_STORE_free(run.sys);
	X509_STORE_free(run.inv);
	SSL_CTX_free(run.ctx);
	return rc;
}
