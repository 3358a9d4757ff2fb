/* test_probe.c: the probe engine's pieces that need no server (the rest is
   tests/e2e/probe.sh against real ones), and the probes table. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util.h"
#include "clock.h"
#include "entry.h"
#include "index.h"
#include "probe.h"

static void
ep_file(const char *text, const char *want)
{
	struct endpoint ep;
	char *cause = NULL, *f;

	assert_int_equal(endpoint_parse(text, &ep, &cause), 0);
	f = probe_endpoint_file(&ep);
	assert_string_equal(f, want);
	free(f);
}

static void
test_endpoint_file(void **state)
{
	(void)state;
	ep_file("api.example.com:443", "api.example.com_443");
	ep_file("[2001:db8::1]:8443", "2001_db8__1_8443");
	ep_file("[::1]:443", "__1_443");
	ep_file("mail.example.com:587/smtp", "mail.example.com_587_smtp");
	ep_file("192.0.2.1:443@WWW.Example.com", "192.0.2.1_443_www.example.com");
	ep_file("_acme.example.com:443", "_acme.example.com_443");
}

struct got {
	struct probe_result	*r[8];
	size_t			 n;
};

static void
collect(void *arg, struct probe_result *r)
{
	struct got *g = arg;

	assert_true(g->n < 8);
	g->r[g->n++] = r;
}

static void
target(struct probe_target *t, const char *text)
{
	char *cause = NULL;

	memset(t, 0, sizeof *t);
	assert_int_equal(endpoint_parse(text, &t->ep, &cause), 0);
}

/* Failures that need no peer: nothing listens on port 1 of 127.0.0.1, and
   .invalid never resolves (RFC 2606), without asking any server. */
static void
test_run_failures(void **state)
{
	struct probe_target t[2];
	struct probe_opts o;
	struct got g;
	char *cause = NULL;
	size_t i;

	(void)state;
	target(&t[0], "127.0.0.1:1");
	target(&t[1], "nothing.invalid:443");
	memset(&o, 0, sizeof o);
	o.timeout_ms = 5000;
	memset(&g, 0, sizeof g);
	assert_int_equal(probe_run(t, 2, &o, collect, &g, &cause), 0);
	assert_int_equal(g.n, 2);
	for (i = 0; i < g.n; i++) {
		struct probe_result *r = g.r[i];
		struct strv pr;

		strv_init(&pr);
		assert_true(probe_problems(r, clock_now(), &pr) == 1);
		if (r->index == 0) {
			assert_int_equal(r->kind, PROBE_REFUSED);
			assert_int_equal(r->phase, PROBE_PHASE_CONNECT);
			assert_string_equal(pr.v[0], "refused");
			assert_null(r->sni);	/* an IP literal sends none */
		} else {
			assert_int_equal(r->kind, PROBE_RESOLVE);
			assert_string_equal(r->detail,
			    "the name does not resolve");
			assert_string_equal(r->sni, "nothing.invalid");
		}
		strv_free(&pr);
		probe_result_free(r);
	}
}

/* A cancelled run starts nothing more and ends what is in flight. */
static void
test_run_cancel(void **state)
{
	struct probe_target t[3];
	struct probe_opts o;
	struct got g;
	volatile int cancel = 1;
	char *cause = NULL;

	(void)state;
	target(&t[0], "127.0.0.1:1");
	target(&t[1], "127.0.0.1:2");
	target(&t[2], "127.0.0.1:3");
	memset(&o, 0, sizeof o);
	o.jobs = 1;
	o.cancel = &cancel;
	memset(&g, 0, sizeof g);
	assert_int_equal(probe_run(t, 3, &o, collect, &g, &cause), 0);
	assert_true(g.n <= 1);
	while (g.n > 0)
		probe_result_free(g.r[--g.n]);
}

static void
test_json(void **state)
{
	struct probe_result *r = xcalloc(1, sizeof *r);
	struct strv pr;
	struct buf b;
	int64_t now = clock_now();

	(void)state;
	strv_init(&r->client_ca_names);
	strv_init(&r->known_as);
	snprintf(r->endpoint, sizeof r->endpoint, "a.example:443");
	r->kind = PROBE_OK;
	r->nchain = r->chain_served = 1;
	r->chain = xcalloc(1, sizeof *r->chain);
	r->chain[0].subject = xstrdup("CN=a\x1b[31m\xff");
	r->chain[0].not_after = now - 86400;
	r->chain[0].path_len = -1;
	strcpy(r->chain[0].sha256, "ab");
	strcpy(r->leaf_sha256, "ab");
	r->verify_system.ok = 0;
	r->verify_system.reason = xstrdup("self-signed certificate");
	r->verify_inventory.ok = -1;
	r->name_match = 1;
	r->drift = PROBE_DRIFT_OLDER;

	strv_init(&pr);
	assert_int_equal(probe_problems(r, now, &pr), 3);
	assert_string_equal(pr.v[0], "expired");
	assert_string_equal(pr.v[1], "untrusted");
	assert_string_equal(pr.v[2], "drift");
	strv_free(&pr);

	buf_init(&b);
	probe_result_json(r, now, &b);
	assert_non_null(strstr(b.data, "\"healthy\":false"));
	assert_non_null(strstr(b.data,
	    "\"problems\":[\"expired\",\"untrusted\",\"drift\"]"));
	assert_non_null(strstr(b.data, "\"days_left\":-1"));
	assert_non_null(strstr(b.data, "\"inventory\":{\"ok\":null"));
	assert_non_null(strstr(b.data, "\"drift\":\"older\""));
	/* Escape and invalid byte never reach the JSON as themselves. */
	assert_null(strchr(b.data, '\x1b'));
	assert_null(strchr(b.data, '\xff'));
	buf_free(&b);
	probe_result_free(r);
}

static void
test_index_probes(void **state)
{
	struct idx *idx;
	struct idx_probe p, last;
	char *dir = tu_tmpdir(), *path, *cause = NULL;

	(void)state;
	path = xasprintf("%s/index.db", dir);
	assert_int_equal(idx_open(path, &idx, &cause), 0);
	assert_int_equal(idx_probe_last(idx, "a:443", 0, &last, &cause), 0);

	memset(&p, 0, sizeof p);
	p.endpoint = "a:443";
	p.entry = "a";
	p.time = 100;
	p.ok = 1;
	p.kind = "ok";
	p.leaf_sha256 = "aa";
	p.json = "{}";
	assert_int_equal(idx_probe_put(idx, &p, &cause), 0);
	p.time = 200;
	p.ok = 0;
	p.kind = "timeout";
	p.detail = "slow";
	p.leaf_sha256 = NULL;
	assert_int_equal(idx_probe_put(idx, &p, &cause), 0);

	assert_int_equal(idx_probe_last(idx, "a:443", 0, &last, &cause), 1);
	assert_string_equal(last.kind, "timeout");
	assert_string_equal(last.detail, "slow");
	assert_null(last.leaf_sha256);
	assert_int_equal(last.time, 200);
	idx_probe_free(&last);
	assert_int_equal(idx_probe_last(idx, "a:443", 1, &last, &cause), 1);
	assert_string_equal(last.kind, "ok");
	assert_string_equal(last.leaf_sha256, "aa");
	assert_string_equal(last.entry, "a");
	idx_probe_free(&last);
	assert_int_equal(idx_probe_last(idx, "b:443", 1, &last, &cause), 0);

	p.endpoint = NULL;
	assert_int_equal(idx_probe_put(idx, &p, &cause), -1);
	free(cause);
	idx_close(idx);
	free(path);
	tu_rmdir(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_file),
		cmocka_unit_test(test_run_failures),
		cmocka_unit_test(test_run_cancel),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_index_probes),
	};

	setenv("CERTDECK_NOW", "2026-06-01T12:00:00Z", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
