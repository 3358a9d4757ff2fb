/*
 * handshakes.c: the baseline of the probe benchmark (bench/probe): full
 * TLS handshakes against a list of endpoints, JOBS in flight, in one
 * thread with one poll() loop over non-blocking sockets, and the same TLS
 * settings and checks as certdeck's probe (core/probe.c): a client context
 * that accepts every version (security level 0, no minimum), no session
 * cache, SNI, an OCSP status request; after the handshake the served
 * chain is verified with X509_verify_cert ("ssl_server" purpose, the time
 * fixed) against the system trust store and against a CA file (the
 * inventory's CAs), and the name is checked with X509_check_host; then
 * close_notify and close. Nothing is parsed, recorded or printed per
 * endpoint: this is the handshake rate with nothing else.
 *
 *   handshakes [-j JOBS] [-r ROUNDS] CAFILE LIST
 *
 * LIST has one endpoint a line: "IPV4 PORT SNI". Each round handshakes
 * with every endpoint once. Prints "N handshakes, V verified, M name ok,
 * F failed in S s (R/s)" and exits 1 if any failed.
 *
 * Build: cc -O2 -o handshakes handshakes.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define MAXJOBS	256
#define TIMEOUT_MS 10000

struct ep {
	struct sockaddr_in	 sa;
	char			 sni[256];
};

struct conn {
	int		 fd;
	SSL		*ssl;
	short		 events;
	int		 connecting;
	long		 deadline;
	const struct ep	*ep;
};

static SSL_CTX *ctx;
static X509_STORE *sys_store, *inv_store;
static time_t now_fixed;
static long nverified, nname, nfailed;

static void
die(const char *what)
{
	fprintf(stderr, "handshakes: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(2);
}

static long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int
verify(X509_STORE *store, STACK_OF(X509) *sk)
{
	X509_STORE_CTX *vc = X509_STORE_CTX_new();
	int ok;

	if (vc == NULL || X509_STORE_CTX_init(vc, store, sk_X509_value(sk, 0),
	    sk) != 1)
		die("X509_STORE_CTX_init");
	X509_STORE_CTX_set_default(vc, "ssl_server");
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(vc), now_fixed);
	ok = X509_verify_cert(vc) == 1;
	X509_STORE_CTX_free(vc);
	ERR_clear_error();
	return ok;
}

static void
finish(struct conn *c, int ok)
{
	STACK_OF(X509) *sk;

	if (ok) {
		sk = SSL_get_peer_cert_chain(c->ssl);
		if (sk != NULL && sk_X509_num(sk) > 0) {
			/* Both stores, as a probe does. */
			int a = verify(sys_store, sk);
			int b = verify(inv_store, sk);

			if (a || b)
				nverified++;
			if (X509_check_host(sk_X509_value(sk, 0), c->ep->sni,
			    strlen(c->ep->sni), 0, NULL) == 1)
				nname++;
		}
		SSL_shutdown(c->ssl);
	} else
		nfailed++;
	ERR_clear_error();
	SSL_free(c->ssl);
	close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
}

static void
start(struct conn *c, const struct ep *ep)
{
	c->ep = ep;
	c->ssl = NULL;
	c->deadline = mono_ms() + TIMEOUT_MS;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket");
	c->connecting = 1;
	c->events = POLLOUT;
	if (connect(c->fd, (const struct sockaddr *)&ep->sa, sizeof ep->sa) ==
	    0 || errno == EINPROGRESS)
		return;
	nfailed++;
	close(c->fd);
	c->fd = -1;
}

static void
step(struct conn *c)
{
	int rc, err, soerr = 0;
	socklen_t len = sizeof soerr;

	if (c->connecting) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 ||
		    soerr != 0) {
			nfailed++;
			close(c->fd);
			c->fd = -1;
			return;
		}
		c->connecting = 0;
		if ((c->ssl = SSL_new(ctx)) == NULL ||
		    SSL_set_fd(c->ssl, c->fd) != 1)
			die("SSL_new");
		SSL_set_connect_state(c->ssl);
		SSL_set_tlsext_host_name(c->ssl, c->ep->sni);
		SSL_set_tlsext_status_type(c->ssl, TLSEXT_STATUSTYPE_ocsp);
	}
	ERR_clear_error();
	rc = SSL_connect(c->ssl);
	if (rc == 1) {
		finish(c, 1);
		return;
	}
	err = SSL_get_error(c->ssl, rc);
	if (err == SSL_ERROR_WANT_READ)
		c->events = POLLIN;
	else if (err == SSL_ERROR_WANT_WRITE)
		c->events = POLLOUT;
	else
		finish(c, 0);
}

static struct ep *
load_list(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	struct ep *v = NULL;
	size_t cap = 0;
	char host[64], sni[256];
	unsigned port;

	if (f == NULL)
		die(path);
	*n = 0;
	while (fscanf(f, "%63s %u %255s", host, &port, sni) == 3) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((v = realloc(v, cap * sizeof *v)) == NULL)
				die("out of memory");
		}
		memset(&v[*n], 0, sizeof v[*n]);
		v[*n].sa.sin_family = AF_INET;
		v[*n].sa.sin_port = htons((unsigned short)port);
		if (inet_pton(AF_INET, host, &v[*n].sa.sin_addr) != 1)
			die("bad address in the list");
		snprintf(v[*n].sni, sizeof v[*n].sni, "%s", sni);
		(*n)++;
	}
	fclose(f);
	return v;
}

int
main(int argc, char **argv)
{
	struct conn conns[MAXJOBS];
	struct pollfd pfd[MAXJOBS];
	int map[MAXJOBS];
	struct ep *eps;
	size_t neps, next, total, done = 0;
	long t0, t1, now;
	int jobs = 16, rounds = 1, opt, i, k, active;

	while ((opt = getopt(argc, argv, "j:r:")) != -1) {
		if (opt == 'j')
			jobs = atoi(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else
			exit(2);
	}
	if (argc - optind != 2 || jobs < 1 || jobs > MAXJOBS || rounds < 1) {
		fprintf(stderr, "usage: handshakes [-j JOBS] [-r ROUNDS] "
		    "CAFILE LIST\n");
		exit(2);
	}
	signal(SIGPIPE, SIG_IGN);
	eps = load_list(argv[optind + 1], &neps);
	if (neps == 0)
		die("empty list");
	now_fixed = time(NULL);

	/* core/probe.c ctx_new and run_stores. */
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		die("SSL_CTX_new");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, 0);
	SSL_CTX_set_max_cert_list(ctx, 1 << 20);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if ((sys_store = X509_STORE_new()) == NULL ||
	    X509_STORE_set_default_paths(sys_store) != 1)
		die("system trust store");
	if ((inv_store = X509_STORE_new()) == NULL ||
	    X509_STORE_load_file(inv_store, argv[optind]) != 1)
		die("CA file");

	total = neps * (size_t)rounds;
	for (i = 0; i < jobs; i++)
		conns[i].fd = -1;
	next = 0;
	t0 = mono_ms();
	for (;;) {
		active = 0;
		for (i = 0; i < jobs; i++) {
			if (conns[i].fd < 0 && next < total)
				start(&conns[i], &eps[next++ % neps]);
			if (conns[i].fd >= 0)
				active++;
		}
		if (active == 0)
			break;
		k = 0;
		for (i = 0; i < jobs; i++) {
			if (conns[i].fd < 0)
				continue;
			pfd[k].fd = conns[i].fd;
			pfd[k].events = conns[i].events;
			pfd[k].revents = 0;
			map[k++] = i;
		}
		if (poll(pfd, (nfds_t)k, 100) < 0 && errno != EINTR)
			die("poll");
		now = mono_ms();
		for (i = 0; i < k; i++) {
			struct conn *c = &conns[map[i]];

			if (pfd[i].revents != 0)
				step(c);
			else if (now > c->deadline) {
				nfailed++;
				SSL_free(c->ssl);
				close(c->fd);
				c->ssl = NULL;
				c->fd = -1;
			}
		}
	}
	t1 = mono_ms();
	done = total;
	printf("%zu handshakes, %ld verified, %ld name ok, %ld failed in "
	    "%.3f s (%.0f/s)\n", done, nverified, nname, nfailed,
	    (t1 - t0) / 1000.0, done / ((t1 - t0) / 1000.0));
	SSL_CTX_free(ctx);
	X509_STORE_free(sys_store);
	X509_STORE_free(inv_store);
	free(eps);
	return nfailed > 0;
}
