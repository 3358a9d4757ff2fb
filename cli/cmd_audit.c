/*
 * cmd_audit.c: certdeck audit: a sweep of every rule over the inventory
 * (core/audit.c), shown as a table, JSON, Prometheus textfile metrics or
 * one Nagios line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "clock.h"
#include "escape.h"
#include "inventory.h"
#include "probe.h"

enum audit_format { AF_TABLE, AF_JSON, AF_PROMETHEUS, AF_NAGIOS };

/* Nagios plugin exit statuses. */
#define NAGIOS_OK	0
#define NAGIOS_WARNING	1
#define NAGIOS_CRITICAL	2
#define NAGIOS_UNKNOWN	3

static void
print_rules(void)
{
	size_t i;

	for (i = 0; i < AR_COUNT; i++)
		printf("%-20s %-8s %s\n%29s fix: %s\n", audit_rules[i].id,
		    audit_sev_name(audit_rules[i].sev), audit_rules[i].desc, "",
		    audit_rules[i].fix);
}

/* Table order: severity, then as the report is (entry, rule, detail). */
static const struct audit_report *sort_rep;

static int
by_sev(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = (int)sort_rep->f[x].sev - (int)sort_rep->f[y].sev;

	return c != 0 ? c : (x < y ? -1 : x > y);
}

static void
print_summary(const struct audit_report *rep, FILE *f)
{
	fprintf(f, "%zu entr%s, %zu finding%s: %zu critical, %zu warning, "
	    "%zu notice, %zu info\n", rep->entries, rep->entries == 1 ? "y" :
	    "ies", rep->n, rep->n == 1 ? "" : "s", rep->by_sev[AUDIT_CRITICAL],
	    rep->by_sev[AUDIT_WARNING], rep->by_sev[AUDIT_NOTICE],
	    rep->by_sev[AUDIT_INFO]);
}

static void
print_table(struct cli *cli, const struct audit_report *rep)
{
	size_t *ord, i, w = 5, len;
	const struct audit_finding *f;
	char *e;

	ord = xcalloc(rep->n + 1, sizeof *ord);
	for (i = 0; i < rep->n; i++) {
		ord[i] = i;
		len = strlen(rep->f[i].entry);
		if (len > w)
			w = len;
	}
	if (w > 40)
		w = 40;
	sort_rep = rep;
	qsort(ord, rep->n, sizeof *ord, by_sev);
	if (rep->n > 0)
		printf("%-8s  %-19s  %-*s  %s\n", "SEVERITY", "RULE", (int)w,
		    "ENTRY", "DETAIL");
	for (i = 0; i < rep->n; i++) {
		f = &rep->f[ord[i]];
		e = out_esc(cli, f->entry);
		printf("%-8s  %-19s  %-*s  ", audit_sev_name(f->sev),
		    audit_rules[f->rule].id, (int)w, e);
		free(e);
		out_text(cli, stdout, f->detail);
		putchar('\n');
	}
	free(ord);
	print_summary(rep, stdout);
	if (rep->unrecorded)
		puts("not recorded: the inventory cannot be written here");
	else if (*rep->commit != '\0')
		printf("recorded in commit %.10s: %zu new, %zu resolved\n",
		    rep->commit, rep->added, rep->resolved);
	else
		puts("no change since the last sweep");
}

static void
print_json(const struct audit_report *rep)
{
	struct json j, o;
	size_t i;

	json_begin(&j, stdout, '{');
	json_time(&j, "time", rep->time);
	json_int(&j, "entries", (long long)rep->entries);
	json_key(&j, "counts");
	json_begin(&o, stdout, '{');
	for (i = 0; i < AUDIT_NSEV; i++)
		json_int(&o, audit_sev_name((enum audit_sev)i),
		    (long long)rep->by_sev[i]);
	json_end(&o, '}');
	buf_add(&j.b, o.b.data, o.b.len);
	buf_free(&o.b);
	if (*rep->commit != '\0')
		json_str(&j, "commit", rep->commit);
	else
		json_null(&j, "commit");
	json_int(&j, "new", (long long)rep->added);
	json_int(&j, "resolved", (long long)rep->resolved);

	json_key(&j, "findings");
	buf_addc(&j.b, '[');
	for (i = 0; i < rep->n; i++) {
		if (i > 0)
			buf_addc(&j.b, ',');
		json_begin(&o, stdout, '{');
		json_str(&o, "entry", rep->f[i].entry);
		json_str(&o, "rule", audit_rules[rep->f[i].rule].id);
		json_str(&o, "severity", audit_sev_name(rep->f[i].sev));
		json_str(&o, "detail", rep->f[i].detail);
		json_end(&o, '}');
		buf_add(&j.b, o.b.data, o.b.len);
		buf_free(&o.b);
		if (j.b.len > 65536)
			json_flush(&j);
	}
	buf_addc(&j.b, ']');

	json_key(&j, "rules");
	buf_addc(&j.b, '[');
	for (i = 0; i < AR_COUNT; i++) {
		if (i > 0)
			buf_addc(&j.b, ',');
		json_begin(&o, stdout, '{');
		json_str(&o, "id", audit_rules[i].id);
		json_str(&o, "default_severity",
		    audit_sev_name(audit_rules[i].sev));
		json_str(&o, "severity", audit_sev_name(rep->sev[i]));
		json_bool(&o, "enabled", rep->enabled[i]);
		json_int(&o, "findings", (long long)rep->by_rule[i]);
		json_str(&o, "description", audit_rules[i].desc);
		json_str(&o, "fix", audit_rules[i].fix);
		json_end(&o, '}');
		buf_add(&j.b, o.b.data, o.b.len);
		buf_free(&o.b);
	}
	buf_addc(&j.b, ']');

	json_key(&j, "public_keys");
	buf_addc(&j.b, '[');
	for (i = 0; i < rep->nalgs; i++) {
		if (i > 0)
			buf_addc(&j.b, ',');
		json_begin(&o, stdout, '{');
		json_str(&o, "algorithm", rep->algs[i].name);
		json_int(&o, "count", (long long)rep->algs[i].count);
		json_bool(&o, "quantum_safe", rep->algs[i].quantum_safe);
		json_end(&o, '}');
		buf_add(&j.b, o.b.data, o.b.len);
		buf_free(&o.b);
	}
	buf_addc(&j.b, ']');
	json_end(&j, '}');
	buf_addc(&j.b, '\n');
	json_flush(&j);
	buf_free(&j.b);
}

/* A Prometheus label value: backslash, double quote and newline escaped
   (the text exposition format); the rest is already escaped text. */
static void
prom_label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
}

/*
 * node_exporter textfile collector format. Names follow Prometheus
 * conventions (base units, _timestamp_seconds); the file is meant to be
 * written to a temporary name and renamed (examples/).
 */
static void
print_prometheus(const struct audit_report *rep)
{
	struct buf b;
	size_t i, s;

	buf_init(&b);
	buf_adds(&b, "# HELP certdeck_certificate_expiry_timestamp_seconds "
	    "When the entry's certificate (or the first of its chain) "
	    "expires.\n"
	    "# TYPE certdeck_certificate_expiry_timestamp_seconds gauge\n");
	for (i = 0; i < rep->nexp; i++) {
		buf_adds(&b, "certdeck_certificate_expiry_timestamp_seconds"
		    "{entry=\"");
		prom_label(&b, rep->exp[i].entry);
		buf_printf(&b, "\"} %lld\n", (long long)rep->exp[i].not_after);
		if (b.len > 65536) {
			fwrite(b.data, 1, b.len, stdout);
			buf_reset(&b);
		}
	}
	buf_adds(&b, "# HELP certdeck_audit_findings Findings of the last "
	    "audit sweep, per rule.\n"
	    "# TYPE certdeck_audit_findings gauge\n");
	/* A rule's findings can have several severities (per tag). */
	for (i = 0; i < AR_COUNT; i++) {
		size_t n[AUDIT_NSEV] = { 0 }, k;

		if (!rep->enabled[i])
			continue;
		for (k = 0; k < rep->n; k++)
			if (rep->f[k].rule == (enum audit_rule_id)i)
				n[rep->f[k].sev]++;
		for (s = 0; s < AUDIT_NSEV; s++)
			if (n[s] > 0 || s == rep->sev[i])
				buf_printf(&b, "certdeck_audit_findings{rule="
				    "\"%s\",severity=\"%s\"} %zu\n",
				    audit_rules[i].id,
				    audit_sev_name((enum audit_sev)s), n[s]);
	}
	buf_adds(&b, "# HELP certdeck_audit_findings_by_severity Findings "
	    "of the last audit sweep, per severity.\n"
	    "# TYPE certdeck_audit_findings_by_severity gauge\n");
	for (s = 0; s < AUDIT_NSEV; s++)
		buf_printf(&b, "certdeck_audit_findings_by_severity{severity="
		    "\"%s\"} %zu\n", audit_sev_name((enum audit_sev)s),
		    rep->by_sev[s]);
	buf_adds(&b, "# HELP certdeck_public_keys Leaf public keys per "
	    "algorithm.\n# TYPE certdeck_public_keys gauge\n");
	for (i = 0; i < rep->nalgs; i++) {
		buf_adds(&b, "certdeck_public_keys{algorithm=\"");
		prom_label(&b, rep->algs[i].name);
		buf_printf(&b, "\",quantum_safe=\"%s\"} %zu\n",
		    rep->algs[i].quantum_safe ? "true" : "false",
		    rep->algs[i].count);
	}
	buf_printf(&b, "# HELP certdeck_audit_entries Entries in the "
	    "inventory at the last sweep.\n"
	    "# TYPE certdeck_audit_entries gauge\n"
	    "certdeck_audit_entries %zu\n"
	    "# HELP certdeck_audit_last_run_timestamp_seconds When the last "
	    "audit sweep ran.\n"
	    "# TYPE certdeck_audit_last_run_timestamp_seconds gauge\n"
	    "certdeck_audit_last_run_timestamp_seconds %lld\n",
	    rep->entries, (long long)rep->time);
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
}

static int
print_nagios(const struct audit_report *rep)
{
	const char *word = "OK";
	int rc = NAGIOS_OK;

	if (rep->by_sev[AUDIT_CRITICAL] > 0) {
		word = "CRITICAL";
		rc = NAGIOS_CRITICAL;
	} else if (rep->by_sev[AUDIT_WARNING] > 0) {
		word = "WARNING";
		rc = NAGIOS_WARNING;
	}
	printf("CERTDECK %s - %zu entries, %zu critical, %zu warning, "
	    "%zu notice | critical=%zu warning=%zu notice=%zu info=%zu "
	    "entries=%zu\n", word, rep->entries, rep->by_sev[AUDIT_CRITICAL],
	    rep->by_sev[AUDIT_WARNING], rep->by_sev[AUDIT_NOTICE],
	    rep->by_sev[AUDIT_CRITICAL], rep->by_sev[AUDIT_WARNING],
	    rep->by_sev[AUDIT_NOTICE], rep->by_sev[AUDIT_INFO], rep->entries);
	return rc;
}

static void
probe_quiet(void *arg, struct probe_result *r)
{
	(void)arg;
	probe_result_free(r);
}

/* --probe: every endpoint of every entry, recorded as probe --all does.
   On failure *cause says why. */
static int
probe_all(struct inv *inv, int quiet, char **cause)
{
	struct inv_probe_opts o;
	struct inv_probe_summary sum;
	struct probe_target *t = NULL;
	size_t nt = 0;
	char *err = NULL;

	memset(&o, 0, sizeof o);
	o.jobs = PROBE_JOBS_DEFAULT;
	o.timeout_ms = PROBE_TIMEOUT_DEFAULT_MS;
	if (inv_probe_targets(inv, NULL, 0, 1, &t, &nt, NULL, NULL,
	    &err) != 0 || (nt > 0 && inv_probe(inv, t, nt, &o, probe_quiet,
	    NULL, &sum, &err) != 0)) {
		set_cause(cause, "--probe: %s", err);
		free(err);
		free(t);
		return -1;
	}
	if (nt > 0 && !quiet)
		fprintf(stderr, "certdeck: audit: probed %zu endpoint%s, %zu "
		    "healthy\n", sum.probed, sum.probed == 1 ? "" : "s",
		    sum.healthy);
	free(t);
	return 0;
}

/*
 * An error before any verdict: the message on stderr, and for Nagios
 * (--nagios anywhere in the arguments, even a bad one) its one line on
 * stdout and exit 3, UNKNOWN: a plugin that cannot run is not CRITICAL.
 */
static int
audit_error(struct cli *cli, int nagios, const char *msg)
{
	char *e;

	if (msg != NULL)
		cli_error(cli, "%s", msg);
	if (!nagios)
		return EXIT_ERROR;
	e = out_esc(cli, msg != NULL ? msg : "usage: see certdeck audit "
	    "--help");
	printf("CERTDECK UNKNOWN - %s\n", e);
	free(e);
	return NAGIOS_UNKNOWN;
}

int
cmd_audit(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "nagios", no_argument, NULL, 'n' },
		{ "fail-on", required_argument, NULL, 'f' },
		{ "probe", no_argument, NULL, 'p' },
		{ "rules", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	enum audit_format fmt = AF_TABLE;
	enum audit_sev fail_on = AUDIT_CRITICAL;
	struct audit_report rep;
	struct inv *inv;
	char *err = NULL;
	size_t s;
	int ch, probe = 0, nformats = 0, rc, nagios = 0, i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		nagios |= strcmp(argv[i], "--nagios") == 0;
	while ((ch = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'j':
			fmt = AF_JSON;
			nformats++;
			break;
		case 'P':
			fmt = AF_PROMETHEUS;
			nformats++;
			break;
		case 'n':
			fmt = AF_NAGIOS;
			nformats++;
			break;
		case 'f':
			if (strcmp(optarg, "none") == 0)
				fail_on = AUDIT_OFF;
			else if (audit_sev_parse(optarg, &fail_on) != 0 ||
			    fail_on == AUDIT_OFF)
				return audit_error(cli, nagios, "--fail-on: "
				    "critical, warning, notice, info or none");
			break;
		case 'p':
			probe = 1;
			break;
		case 'r':
			print_rules();
			return 0;
		default:
			if (!nagios)
				cmd_usage(cmd_find("audit"), stderr);
			return audit_error(cli, nagios, NULL);
		}
	}
	if (optind < argc) {
		err = xasprintf("unexpected argument %s (see certdeck audit "
		    "--help)", argv[optind]);
		rc = audit_error(cli, nagios, err);
		free(err);
		return rc;
	}
	if (nformats > 1)
		return audit_error(cli, nagios, "one of --json, --prometheus, "
		    "--nagios");
	if (cli->dir == NULL)
		cli->dir = inv_locate(cli->dir_opt);
	if (inv_open(cli->dir, 0, cli_report, cli, &inv, &err) != 0) {
		rc = audit_error(cli, nagios, err);
		free(err);
		return rc;
	}
	if ((probe && probe_all(inv, fmt != AF_TABLE, &err) != 0) ||
	    audit_sweep(inv, &rep, &err) != 0) {
		rc = audit_error(cli, nagios, err);
		free(err);
		inv_close(inv);
		return rc;
	}
	rc = 0;
	switch (fmt) {
	case AF_TABLE:
		print_table(cli, &rep);
		break;
	case AF_JSON:
		print_json(&rep);
		break;
	case AF_PROMETHEUS:
		print_prometheus(&rep);
		break;
	case AF_NAGIOS:
		rc = print_nagios(&rep);
		break;
	}
	if (fmt != AF_NAGIOS && fail_on != AUDIT_OFF)
		for (s = 0; s < AUDIT_NSEV && (enum audit_sev)s <= fail_on;
		    s++)
			if (rep.by_sev[s] > 0)
				rc = EXIT_PROBLEMS;
	audit_report_free(&rep);
	inv_close(inv);
	return rc;
}
