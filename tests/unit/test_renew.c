/* test_renew.c: what renewal stands on: command words (argv_split),
   running a command (run.c), keys (key.c) and CA signing (ca_sign,
   ca_record). */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "testutil.h"
#include "ca.h"
#include "key.h"
#include "run.h"
#include "util.h"

static void
t_argv_split(void **state)
{
	struct strv v;
	char *err = NULL;

	(void)state;
	strv_init(&v);
	assert_int_equal(argv_split("  systemctl  reload\tnginx ", &v, &err), 0);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.v[0], "systemctl");
	assert_string_equal(v.v[2], "nginx");
	strv_free(&v);
	strv_init(&v);
	assert_int_equal(argv_split("a 'b c' \"d \\\"e\\\" f\" g'h i'j ''", &v,
	    &err), 0);
	assert_int_equal(v.n, 5);
	assert_string_equal(v.v[1], "b c");
	assert_string_equal(v.v[2], "d \"e\" f");
	assert_string_equal(v.v[3], "gh ij");
	assert_string_equal(v.v[4], "");
	strv_free(&v);
	/* Nothing is expanded: $, `, ; and | are characters like others. */
	strv_init(&v);
	assert_int_equal(argv_split("echo $(id);`id`|x", &v, &err), 0);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.v[1], "$(id);`id`|x");
	strv_free(&v);
	strv_init(&v);
	assert_int_equal(argv_split("a 'b", &v, &err), -1);
	assert_string_equal(err, "unterminated ' quote");
	free(err);
	err = NULL;
	strv_free(&v);
	strv_init(&v);
	assert_int_equal(argv_split("   ", &v, &err), -1);
	assert_string_equal(err, "empty command");
	free(err);
	strv_free(&v);
}

static void
t_run(void **state)
{
	char *argv1[] = { "printf", "%s|", "$(id);x", "two words", NULL };
	char *argv2[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	char *argv3[] = { "sleep", "5", NULL };
	char *argv4[] = { "/nonexistent/command", NULL };
	char *argv5[] = { "sh", "-c", "printf %s \"$CD_TEST\"", NULL };
	char *env[] = { "CD_TEST=given", NULL };
	struct run_result r;
	char *err = NULL, *how;

	(void)state;
	assert_int_equal(run_argv(argv1, NULL, 5000, &r, &err), 0);
	assert_true(run_ok(&r));
	assert_string_equal(r.output.data, "$(id);x|two words|");
	run_result_free(&r);

	assert_int_equal(run_argv(argv2, NULL, 5000, &r, &err), 0);
	assert_false(run_ok(&r));
	assert_int_equal(r.code, 3);
	assert_non_null(strstr(r.output.data, "out"));
	assert_non_null(strstr(r.output.data, "err"));
	how = run_describe(&r, 5000);
	assert_string_equal(how, "exited with status 3");
	free(how);
	run_result_free(&r);

	/* Apart: stderr in errout only; both kept up to their limits, in
	   the buffers a secret's output is read into too. */
	assert_int_equal(run_argv_input(argv2, NULL, NULL, 0,
	    RUN_STDERR_APART, 5000, &r, &err), 0);
	assert_int_equal(r.code, 3);
	assert_string_equal(r.output.data, "out\n");
	assert_string_equal(r.errout.data, "err\n");
	run_result_free(&r);
	{
		char *lots[] = { "sh", "-c", "head -c 100000 /dev/zero | "
		    "tr '\\0' o; head -c 9000 /dev/zero | tr '\\0' e >&2",
		    NULL };
		size_t i;

		assert_int_equal(run_argv_input(lots, NULL, NULL, 0,
		    RUN_STDERR_APART | RUN_SECRET, 5000, &r, &err), 0);
		assert_true(run_ok(&r));
		assert_int_equal(r.output.len, RUN_OUTPUT_MAX);
		assert_int_equal(r.errout.len, RUN_ERROUT_MAX);
		for (i = 0; i < r.output.len && r.output.data[i] == 'o'; i++)
			;
		assert_int_equal(i, RUN_OUTPUT_MAX);
		for (i = 0; i < r.errout.len && r.errout.data[i] == 'e'; i++)
			;
		assert_int_equal(i, RUN_ERROUT_MAX);
		run_result_free(&r);
	}

	assert_int_equal(run_argv(argv3, NULL, 200, &r, &err), 0);
	assert_true(r.timed_out);
	assert_false(run_ok(&r));
	run_result_free(&r);

	assert_int_equal(run_argv(argv4, NULL, 1000, &r, &err), -1);
	assert_non_null(strstr(err, "cannot run /nonexistent/command"));
	free(err);
	err = NULL;

	assert_int_equal(run_argv(argv5, env, 5000, &r, &err), 0);
	assert_string_equal(r.output.data, "given");
	run_result_free(&r);
}

/* Input on stdin: more than a pipe holds, none, and a command that
   never reads it (no SIGPIPE for us, no hang). */
static void
t_run_input(void **state)
{
	char *wc[] = { "wc", "-c", NULL };
	char *cat[] = { "cat", NULL };
	char *no[] = { "sh", "-c", "exec 0<&-; echo closed", NULL };
	size_t big = 300 * 1024;
	char *data = xmalloc(big);
	struct run_result r;
	char *err = NULL;

	(void)state;
	memset(data, 'x', big);
	assert_int_equal(run_argv_input(wc, NULL, data, big, 0, 10000, &r,
	    &err), 0);
	assert_true(run_ok(&r));
	assert_int_equal(strtol(r.output.data, NULL, 10), (long)big);
	run_result_free(&r);

	assert_int_equal(run_argv_input(cat, NULL, "", 0, 0, 5000, &r, &err),
	    0);
	assert_true(run_ok(&r));
	assert_int_equal(r.output.len, 0);
	run_result_free(&r);

	assert_int_equal(run_argv_input(no, NULL, data, big, 0, 5000, &r,
	    &err), 0);
	assert_true(run_ok(&r));
	assert_false(r.timed_out);
	assert_string_equal(r.output.data, "closed\n");
	run_result_free(&r);

	/* A command that closes its output first still gets all its input
	   (it used to wait for the timeout). */
	{
		char *tmp = tu_tmpdir(), *file = xasprintf("%s/n", tmp);
		char *script = xasprintf("exec >&- 2>&-; wc -c >%s", file);
		char *shut[] = { "sh", "-c", script, NULL };
		char *got = NULL;
		size_t glen;

		assert_int_equal(run_argv_input(shut, NULL, data, big, 0,
		    20000, &r, &err), 0);
		assert_false(r.timed_out);
		assert_true(run_ok(&r));
		run_result_free(&r);
		assert_int_equal(read_file(file, 64, &got, &glen, &err), 0);
		assert_int_equal(strtol(got, NULL, 10), (long)big);
		free(got);
		tu_rmdir(tmp);
		free(script);
		free(file);
		free(tmp);
	}
	free(data);
}

static void
t_keys(void **state)
{
	EVP_PKEY *pk, *back;
	char *pem, *err = NULL;
	size_t len, i;

	(void)state;
	for (i = 0; key_types[i] != NULL; i++) {
		/* rsa:4096 is slow to make; one RSA size is enough here. */
		if (strcmp(key_types[i], "rsa:4096") == 0)
			continue;
		pk = key_generate(key_types[i], &err);
		assert_non_null(pk);
		assert_string_equal(key_type_of(pk), key_types[i]);
		pem = key_encrypt_pem(pk, "s3cret", &len);
		assert_non_null(pem);
		assert_int_equal(strlen(pem), len);
		assert_non_null(strstr(pem, "BEGIN ENCRYPTED PRIVATE KEY"));
		back = key_decrypt_pem(pem, len, "s3cret", &err);
		assert_non_null(back);
		assert_int_equal(EVP_PKEY_eq(pk, back), 1);
		EVP_PKEY_free(back);
		assert_null(key_decrypt_pem(pem, len, "wrong", &err));
		assert_non_null(strstr(err, "wrong passphrase"));
		free(err);
		err = NULL;
		assert_null(key_decrypt_pem(pem, len, NULL, &err));
		assert_non_null(strstr(err, "no passphrase"));
		free(err);
		err = NULL;
		/* No passphrase: nothing to encrypt with, no key. */
		assert_null(key_encrypt_pem(pk, "", &len));
		free(pem);
		EVP_PKEY_free(pk);
	}
	assert_null(key_generate("dsa:1024", &err));
	assert_non_null(strstr(err, "unknown key type dsa:1024"));
	free(err);
	assert_false(key_type_valid("ec:P-521"));
}

static void
t_ca_sign(void **state)
{
	struct ca ca;
	struct ca_req rq;
	X509_NAME *root_dn, *leaf_dn;
	EVP_PKEY *leafkey;
	X509 *leaf[8];
	char *err = NULL, *text;
	size_t i;

	(void)state;
	memset(&ca, 0, sizeof ca);
	ca.name = "test";
	ca.key = key_generate("ec:P-256", &err);
	root_dn = X509_NAME_new();
	X509_NAME_add_entry_by_txt(root_dn, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Test Root", -1, -1, 0);
	memset(&rq, 0, sizeof rq);
	rq.subject = root_dn;
	rq.is_ca = 1;
	rq.pathlen = 1;
	rq.not_before = 1780315200;
	rq.not_after = rq.not_before + 86400 * 365;
	rq.entry = "ca/test";
	ca.cert = ca_sign(NULL, &rq, ca.key, &err);
	assert_non_null(ca.cert);
	assert_int_equal(X509_check_issued(ca.cert, ca.cert), X509_V_OK);
	assert_int_equal(X509_check_ca(ca.cert), 1);

	leaf_dn = X509_NAME_new();
	X509_NAME_add_entry_by_txt(leaf_dn, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"svc.test", -1, -1, 0);
	leafkey = key_generate("ed25519", &err);
	memset(&rq, 0, sizeof rq);
	rq.subject = leaf_dn;
	rq.san_text = "DNS:svc.test,IP:127.0.0.1";
	rq.usage = CA_USE_SERVER | CA_USE_CLIENT;
	rq.pathlen = -1;
	rq.not_before = 1780315200;
	rq.not_after = rq.not_before + 3600;
	rq.entry = "svc";
	for (i = 0; i < nitems(leaf); i++) {
		leaf[i] = ca_sign(&ca, &rq, leafkey, &err);
		assert_non_null(leaf[i]);
		assert_int_equal(X509_check_issued(ca.cert, leaf[i]),
		    X509_V_OK);
		assert_int_equal(X509_check_ca(leaf[i]), 0);
		assert_true(X509_get_extended_key_usage(leaf[i]) &
		    XKU_SSL_SERVER);
		assert_true(X509_get_extended_key_usage(leaf[i]) &
		    XKU_SSL_CLIENT);
	}
	/* Every serial is in the record, once, sorted. */
	assert_int_equal(ca.nrecs, nitems(leaf));
	for (i = 1; i < ca.nrecs; i++) {
		size_t a = strlen(ca.recs[i - 1].serial);
		size_t b = strlen(ca.recs[i].serial);

		assert_true(a < b || (a == b && strcmp(ca.recs[i - 1].serial,
		    ca.recs[i].serial) < 0));
	}
	text = ca_serials_text(&ca);
	assert_true(str_startswith(text, "# serial not-after entry"));
	assert_non_null(strstr(text, " 2026-06-01T13:00:00Z svc\n"));
	free(text);
	/* A leaf signed from another copy of the record joins this one
	   (a batch's renewals are committed so); not a second time. */
	{
		struct ca other;
		X509 *x;

		memset(&other, 0, sizeof other);
		other.name = "test";
		other.cert = ca.cert;
		other.key = ca.key;
		x = ca_sign(&other, &rq, leafkey, &err);
		assert_non_null(x);
		assert_int_equal(ca_record(&ca, x, "svc2", &err), 0);
		assert_int_equal(ca.nrecs, nitems(leaf) + 1);
		text = ca_serials_text(&ca);
		assert_non_null(strstr(text, " 2026-06-01T13:00:00Z svc2\n"));
		free(text);
		assert_int_equal(ca_record(&ca, x, "svc2", &err), -1);
		assert_non_null(strstr(err, "is in its record already"));
		free(err);
		err = NULL;
		assert_int_equal(ca.nrecs, nitems(leaf) + 1);
		X509_free(x);
		for (i = 0; i < other.nrecs; i++) {
			free(other.recs[i].serial);
			free(other.recs[i].entry);
		}
		free(other.recs);
	}
	/* A SAN that is not DNS:, IP:, email: or URI: is refused. */
	rq.san_text = "FOO:bar";
	assert_null(ca_sign(&ca, &rq, leafkey, &err));
	assert_non_null(strstr(err, "expected DNS:, IP:"));
	free(err);

	for (i = 0; i < nitems(leaf); i++)
		X509_free(leaf[i]);
	for (i = 0; i < ca.nrecs; i++) {
		free(ca.recs[i].serial);
		free(ca.recs[i].entry);
		free(ca.recs[i].reason);
	}
	free(ca.recs);
	X509_free(ca.cert);
	EVP_PKEY_free(ca.key);
	EVP_PKEY_free(leafkey);
	X509_NAME_free(root_dn);
	X509_NAME_free(leaf_dn);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_argv_split),
		cmocka_unit_test(t_run),
		cmocka_unit_test(t_run_input),
		cmocka_unit_test(t_keys),
		cmocka_unit_test(t_ca_sign),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
