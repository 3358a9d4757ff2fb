/*
 * cmd_probe.c: `certdeck probe`: what endpoints really serve. Results are
 * printed in the order of the targets as soon as that order allows (the
 * engine finishes them in any order), one line each or one JSON object
 * each; the JSON is core's (probe_result_json), the same the index keeps.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "inventory.h"
#include "probe.h"
#include "status.h"

struct probe_ctx {
	struct cli		 *cli;
	int			  json;
	struct probe_result	**res;		/* by target index */
	size_t			  n;
	size_t			  printed;
	int64_t			  now;
};

/* The status word: the failure, else the worst problem, else ok. */
static const char *
status_word(const struct strv *problems)
{
	static const char *const order[] = {
		"expired", "ocsp-revoked", "untrusted", "name-mismatch",
		"drift", "ocsp-stale",
	};
	size_t i;

	if (problems->n == 0)
		return "ok";
	for (i = 0; i < nitems(order); i++)
		if (strv_has(problems, order[i]))
			return order[i];
	return problems->v[0];
}

static void
verify_text(struct buf *b, const struct probe_result *r)
{
	const struct probe_verify *s = &r->verify_system;
	const struct probe_verify *v = &r->verify_inventory;

	if (s->ok == 1 && v->ok == 1)
		buf_adds(b, "verified:system+inventory");
	else if (s->ok == 1)
		buf_adds(b, "verified:system");
	else if (v->ok == 1)
		buf_adds(b, "verified:inventory");
	else if (v->ok == 0 && (s->reason == NULL || v->reason == NULL ||
	    strcmp(s->reason, v->reason) != 0))
		buf_printf(b, "unverified:system(%s),inventory(%s)",
		    s->reason ? s->reason : "?", v->reason ? v->reason : "?");
	else
		buf_printf(b, "unverified(%s)", s->reason ? s->reason : "?");
}

/* client-cert:requested (none presented), :accepted, :rejected(alert) */
static void
client_note(struct buf *b, const struct probe_result *r)
{
	const char *s = r->client_cert_status;
	static const char rej[] = "presented, rejected: ";

	if (!r->client_cert_sent || s == NULL)
		buf_adds(b, "  client-cert:requested");
	else if (str_startswith(s, rej))
		buf_printf(b, "  client-cert:rejected(%s)", s + strlen(rej));
	else if (strcmp(s, "presented, accepted") == 0)
		buf_adds(b, "  client-cert:accepted");
	else
		buf_printf(b, "  client-cert:%s", s);
}

static void
print_text(struct probe_ctx *ctx, const struct probe_result *r)
{
	struct strv problems;
	struct buf b;
	size_t i;

	strv_init(&problems);
	probe_problems(r, ctx->now, &problems);
	buf_init(&b);
	buf_printf(&b, "%-16s %s  %s  ", status_word(&problems), r->endpoint,
	    r->entry != NULL ? r->entry : "-");
	if (r->kind != PROBE_OK) {
		/* The status word is the kind; say where and why. */
		if (r->kind == PROBE_TIMEOUT && r->phase != PROBE_PHASE_NONE)
			buf_printf(&b, "phase:%s  ", probe_phase_name(r->phase));
		buf_adds(&b, r->detail != NULL ? r->detail : "");
		if (r->client_cert_requested)
			client_note(&b, r);
	} else {
		if (r->nchain > 0)
			buf_printf(&b, "%lldd  ", (long long)status_days_left(
			    ctx->now, r->chain[0].not_after));
		else
			buf_adds(&b, "-  ");
		buf_printf(&b, "drift:%s  ", r->drift != PROBE_DRIFT_NONE ?
		    probe_drift_name(r->drift) : "-");
		verify_text(&b, r);
		if (!r->name_match)
			buf_adds(&b, "  name:mismatch");
		buf_printf(&b, "  %s  %ldms", r->tls_version, r->handshake_ms);
		if (r->ocsp.stapled)
			buf_printf(&b, "  ocsp:%s%s", r->ocsp.status ?
			    r->ocsp.status : "unusable",
			    r->ocsp.status && !r->ocsp.current ? "(stale)" : "");
		if (r->client_cert_requested)
			client_note(&b, r);
		if (r->observed_change)
			buf_adds(&b, "  changed");
	}
	out_text(ctx->cli, stdout, b.data);
	putchar('\n');
	for (i = 0; r->client_cert_requested && i < r->client_ca_names.n; i++) {
		fputs("  client CA: ", stdout);
		out_text(ctx->cli, stdout, r->client_ca_names.v[i]);
		putchar('\n');
	}
	buf_free(&b);
	strv_free(&problems);
}

static void
print_json(struct probe_ctx *ctx, const struct probe_result *r)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, ctx->printed > 0 ? ",\n" : "\n");
	probe_result_json(r, ctx->now, &b);
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
}

static void
on_result(void *arg, struct probe_result *r)
{
	struct probe_ctx *ctx = arg;

	if (r->index >= ctx->n || ctx->res[r->index] != NULL) {
		probe_result_free(r);
		return;
	}
	ctx->res[r->index] = r;
	while (ctx->printed < ctx->n && ctx->res[ctx->printed] != NULL) {
		r = ctx->res[ctx->printed];
		if (ctx->json)
			print_json(ctx, r);
		else
			print_text(ctx, r);
		fflush(stdout);
		ctx->printed++;
	}
}

int
cmd_probe(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "jobs", required_argument, NULL, 'J' },
		{ "timeout", required_argument, NULL, 't' },
		{ "import", no_argument, NULL, 'i' },
		{ "client", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	struct inv_probe_opts o;
	struct inv_probe_summary sum;
	struct probe_target *t = NULL;
	struct probe_ctx ctx;
	struct probe_client *client = NULL;
	struct inv *inv;
	const char *client_name = NULL;
	char *err = NULL, *end;
	size_t nt = 0, i;
	double secs;
	long v;
	int ch, all = 0, rc;

	memset(&o, 0, sizeof o);
	memset(&ctx, 0, sizeof ctx);
	ctx.cli = cli;
	o.jobs = PROBE_JOBS_DEFAULT;
	o.timeout_ms = PROBE_TIMEOUT_DEFAULT_MS;
	while ((ch = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'a':
			all = 1;
			break;
		case 'j':
			ctx.json = 1;
			break;
		case 'J':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 ||
			    v > PROBE_JOBS_MAX) {
				cli_error(cli, "--jobs: a number from 1 to %d",
				    PROBE_JOBS_MAX);
				return EXIT_ERROR;
			}
			o.jobs = (int)v;
			break;
		case 't':
			secs = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !isfinite(secs) ||
			    secs < 0.1 || secs > 3600) {
				cli_error(cli, "--timeout: seconds, from 0.1 "
				    "to 3600");
				return EXIT_ERROR;
			}
			o.timeout_ms = (int)(secs * 1000);
			break;
		case 'i':
			o.import = 1;
			break;
		case 'c':
			client_name = optarg;
			break;
		default:
			cmd_usage(cmd_find("probe"), stderr);
			return EXIT_ERROR;
		}
	}
	if (!all && optind >= argc) {
		cli_error(cli, "what to probe: entry names, HOST:PORT, or "
		    "--all");
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	/* Every problem with the certificate or key, before any connection;
	   --client's key may ask for its passphrase or its token's PIN. */
	if (client_name != NULL)
		cli_passphrase_setup();
	if (client_name != NULL &&
	    inv_probe_client(inv, client_name, &client, &err) != 0) {
		cli_error(cli, "%s", err);
		free(err);
		inv_close(inv);
		return EXIT_ERROR;
	}
	o.client = client;
	if (inv_probe_targets(inv, argv + optind, (size_t)(argc - optind), all,
	    &t, &nt, cli_report, cli, &err) != 0) {
		cli_error(cli, "%s", err);
		free(err);
		probe_client_free(client);
		inv_close(inv);
		return EXIT_ERROR;
	}
	if (nt == 0) {
		if (all)
			fputs("no entry has endpoints; add them with: certdeck "
			    "set NAME endpoints+=HOST:PORT\n", stdout);
		probe_client_free(client);
		inv_close(inv);
		return all ? 0 : EXIT_PROBLEMS;
	}
	ctx.n = nt;
	ctx.res = xcalloc(nt, sizeof *ctx.res);
	ctx.now = clock_now();
	if (ctx.json)
		fputs("[", stdout);
	rc = inv_probe(inv, t, nt, &o, on_result, &ctx, &sum, &err);
	if (ctx.json)
		fputs(ctx.printed > 0 ? "\n]\n" : "]\n", stdout);
	if (rc != 0) {
		cli_error(cli, "%s", err);
		free(err);
		rc = EXIT_ERROR;
	} else {
		if (!ctx.json) {
			printf("%zu probed: %zu healthy, %zu not\n", sum.probed,
			    sum.healthy, sum.probed - sum.healthy);
			if (sum.observed > 0)
				printf("observed %zu change%s in commit %.10s\n",
				    sum.observed, sum.observed > 1 ? "s" : "",
				    sum.observe_commit);
			if (sum.imported > 0)
				printf("imported %zu in commit %.10s\n",
				    sum.imported, sum.import_commit);
		}
		rc = sum.healthy == sum.probed && sum.probed == nt ? 0 :
		    EXIT_PROBLEMS;
	}
	for (i = 0; i < nt; i++)
		probe_result_free(ctx.res[i]);
	free(ctx.res);
	free(t);
	probe_client_free(client);
	inv_close(inv);
	return rc;
}
