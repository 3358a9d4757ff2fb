/* test_acme.c: the pieces of the ACME client that need no CA: base64url,
   JWK thumbprints (RFC 7638's own example), JWS signatures (ES256 as raw
   r||s, RS256), error documents as one line, and the HTTP-01 listener
   over real sockets on 127.0.0.1. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>

#include "testutil.h"
#include "acme.h"
#include "key.h"
#include "util.h"

static void
t_b64url(void **state)
{
	char *s;

	(void)state;
	s = acme_b64url("", 0);
	assert_string_equal(s, "");
	free(s);
	s = acme_b64url("\xfb\xff\xbf", 3);
	assert_string_equal(s, "-_-_");
	free(s);
	s = acme_b64url("ab", 2);
	assert_string_equal(s, "YWI");
	free(s);
}

/* RFC 7638 section 3.1: the RSA key and its thumbprint. */
static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7"
    "aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXA"
    "rwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7"
    "d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lF"
    "d2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

static BIGNUM *
bn_b64url(const char *s)
{
	size_t n = strlen(s), i;
	char *t = xmalloc(n + 4);
	unsigned char *bin = xmalloc(n);
	int len;
	BIGNUM *bn;

	for (i = 0; i < n; i++)
		t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (i % 4)
		t[i++] = '=';
	t[i] = '\0';
	len = EVP_DecodeBlock(bin, (unsigned char *)t, (int)i);
	len -= (int)(i - n);	/* the padding decodes to zero bytes */
	bn = BN_bin2bn(bin, len, NULL);
	free(t);
	free(bin);
	return bn;
}

static void
t_thumbprint(void **state)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n = bn_b64url(rfc7638_n), *e = BN_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;
	OSSL_PARAM *params;
	char *tp;

	(void)state;
	BN_set_word(e, 65537);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY,
	    params), 1);
	tp = acme_thumbprint(pk);
	assert_non_null(tp);
	assert_string_equal(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(tp);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);

	/* Ed25519 is no JWS algorithm here. */
	pk = key_generate("ed25519", NULL);
	assert_null(acme_thumbprint(pk));
	EVP_PKEY_free(pk);
}

/* An r||s signature verifies once put back into DER. */
static void
t_sign(void **state)
{
	const char *types[] = { "ec:P-256", "ec:P-384", "rsa:3072" };
	const size_t sizes[] = { 64, 96, 384 };
	const char msg[] = "eyJhbGciOiJFUzI1NiJ9.e30";
	size_t i, len;

	(void)state;
	for (i = 0; i < nitems(types); i++) {
		EVP_PKEY *pk = key_generate(types[i], NULL);
		unsigned char *sig = acme_sign(pk, msg, strlen(msg), &len);
		unsigned char *der = NULL;
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		const EVP_MD *md = i == 1 ? EVP_sha384() : EVP_sha256();
		int dlen;

		assert_non_null(sig);
		assert_int_equal(len, sizes[i]);
		if (i < 2) {
			ECDSA_SIG *es = ECDSA_SIG_new();

			ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)len / 2, NULL),
			    BN_bin2bn(sig + len / 2, (int)len / 2, NULL));
			dlen = i2d_ECDSA_SIG(es, &der);
			ECDSA_SIG_free(es);
		} else {
			der = OPENSSL_memdup(sig, len);
			dlen = (int)len;
		}
		assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk),
		    1);
		assert_int_equal(EVP_DigestVerify(ctx, der, (size_t)dlen,
		    (const unsigned char *)msg, strlen(msg)), 1);
		EVP_MD_CTX_free(ctx);
		OPENSSL_free(der);
		free(sig);
		EVP_PKEY_free(pk);
	}
}

static void
t_problem(void **state)
{
	const char *p1 = "{\"type\":\"urn:ietf:params:acme:error:"
	    "rejectedIdentifier\",\"detail\":\"no\\nway\",\"status\":400}";
	const char *p2 = "{\"type\":\"urn:ietf:params:acme:error:compound\","
	    "\"detail\":\"2 problems\",\"subproblems\":[{\"type\":"
	    "\"urn:ietf:params:acme:error:caa\",\"detail\":\"CAA forbids "
	    "a.test\"}]}";
	char *s;

	(void)state;
	s = acme_problem_text(p1, strlen(p1));
	assert_string_equal(s, "rejectedIdentifier: no way");
	free(s);
	s = acme_problem_text(p2, strlen(p2));
	assert_string_equal(s, "compound: 2 problems; CAA forbids a.test");
	free(s);
	assert_null(acme_problem_text("<html>", 6));
	assert_null(acme_problem_text("{}", 2));
}

static int
connect_to(int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return fd;
}

/* Send req, read the whole answer (the server closes), at most 5 s. */
static char *
ask(int port, const char *req)
{
	struct pollfd pf;
	char *out = xmalloc(4096);
	size_t len = 0;
	ssize_t n;
	int fd = connect_to(port), i;

	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	for (i = 0; i < 50 && len < 4095; i++) {
		pf.fd = fd;
		pf.events = POLLIN;
		if (poll(&pf, 1, 100) <= 0)
			continue;
		if ((n = recv(fd, out + len, 4095 - len, 0)) <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	close(fd);
	return out;
}

/* GET token's path: its key authorization keyauth, or 404 (NULL). */
static void
expect_token(int port, const char *token, const char *keyauth)
{
	char *req = xasprintf("GET /.well-known/acme-challenge/%s HTTP/1.0"
	    "\r\n\r\n", token), *r = ask(port, req), *body;

	if (keyauth == NULL)
		assert_true(str_startswith(r, "HTTP/1.0 404 "));
	else {
		body = xasprintf("\r\n\r\n%s", keyauth);
		assert_true(str_startswith(r, "HTTP/1.0 200 "));
		assert_true(str_endswith(r, body));
		free(body);
	}
	free(r);
	free(req);
}

static void
t_listener(void **state)
{
	struct acme_listener *l;
	char *err = NULL, *r, big[2049];	/* exactly the 2 KB it reads */
	int port, idle;

	(void)state;
	assert_null(acme_listen("localhost:80", &err));
	assert_non_null(strstr(err, "not an IP address"));
	free(err);
	err = NULL;
	assert_null(acme_listen("127.0.0.1", &err));
	free(err);
	err = NULL;
	l = acme_listen("127.0.0.1:0", &err);
	assert_non_null(l);
	port = acme_listen_port(l);
	assert_true(port > 0);
	acme_listen_add(l, "tok-1_A", "tok-1_A.thumb");

	/* A client that connects and says nothing holds no one up. */
	idle = connect_to(port);
	r = ask(port, "GET /.well-known/acme-challenge/tok-1_A HTTP/1.1\r\n"
	    "Host: a.test\r\nUser-Agent: pebble\r\n\r\n");
	assert_true(str_startswith(r, "HTTP/1.0 200 OK\r\n"));
	assert_non_null(strstr(r, "Content-Length: 13\r\n"));
	assert_true(str_endswith(r, "\r\n\r\ntok-1_A.thumb"));
	free(r);
	close(idle);

	r = ask(port, "GET /.well-known/acme-challenge/other HTTP/1.0\r\n\r\n");
	assert_true(str_startswith(r, "HTTP/1.0 404 "));
	free(r);
	r = ask(port, "GET /.well-known/acme-challenge/../acme-challenge/tok-1_A"
	    " HTTP/1.0\r\n\r\n");
	assert_true(str_startswith(r, "HTTP/1.0 404 "));
	free(r);
	r = ask(port, "GET /index.html HTTP/1.0\r\n\r\n");
	assert_true(str_startswith(r, "HTTP/1.0 404 "));
	free(r);
	r = ask(port, "POST /.well-known/acme-challenge/tok-1_A HTTP/1.0\r\n"
	    "\r\n");
	assert_true(str_startswith(r, "HTTP/1.0 405 "));
	free(r);
	/* Not HTTP at all; and 2 KB without an end (it reads no more). */
	r = ask(port, "GET /.well-known/acme-challenge/tok-1_A\r\n\r\n");
	assert_true(str_startswith(r, "HTTP/1.0 404 "));
	free(r);
	memset(big, 'a', sizeof big - 1);
	memcpy(big, "GET /", 5);
	big[sizeof big - 1] = '\0';
	r = ask(port, big);
	assert_true(str_startswith(r, "HTTP/1.0 404 "));
	free(r);

	/* Orders side by side share it: each adds its tokens and removes
	   them when it ends; the others' stay. */
	for (idle = 0; idle < 40; idle++) {
		char tok[16], ka[32];

		snprintf(tok, sizeof tok, "t%d", idle);
		snprintf(ka, sizeof ka, "t%d.thumb", idle);
		acme_listen_add(l, tok, ka);
	}
	acme_listen_add(l, "t7", "t7.thumb");	/* a second order's too */
	acme_listen_remove(l, "tok-1_A");
	acme_listen_remove(l, "t7");
	expect_token(port, "tok-1_A", NULL);
	expect_token(port, "t7", "t7.thumb");
	acme_listen_remove(l, "t7");
	expect_token(port, "t7", NULL);
	expect_token(port, "t39", "t39.thumb");
	expect_token(port, "t3", "t3.thumb");	/* no prefix of t39's */
	acme_listen_free(l);

	/* Stopped: the port is closed. */
	{
		struct sockaddr_in sin;
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_not_equal(connect(fd, (struct sockaddr *)&sin,
		    sizeof sin), 0);
		close(fd);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_b64url),
		cmocka_unit_test(t_thumbprint),
		cmocka_unit_test(t_sign),
		cmocka_unit_test(t_problem),
		cmocka_unit_test(t_listener),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
