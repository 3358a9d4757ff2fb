/* test_acme.c: the pieces of the ACME client that need no CA: base64url,
   JWK thumbprints (RFC 7638's own example), JWS signatures (ES256 as raw
   r||s, RS256) and error documents as one line. */
#include <stdlib.h>
#include <string.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_b64url),
		cmocka_unit_test(t_thumbprint),
		cmocka_unit_test(t_sign),
		cmocka_unit_test(t_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
