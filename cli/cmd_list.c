/* cmd_list.c: reading the inventory: list and show. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "entry.h"
#include "escape.h"
#include "inventory.h"

static const struct {
	const char	*name;
	enum idx_sort	 sort;
} sort_names[] = {
	{ "expiry", IDX_SORT_EXPIRY },
	{ "name", IDX_SORT_NAME },
	{ "subject", IDX_SORT_SUBJECT },
	{ "issuer", IDX_SORT_ISSUER },
	{ "owner", IDX_SORT_OWNER },
};

/* Columns of the text table; rows are kept until widths are known. */
enum { C_STATUS, C_DAYS, C_NAME, C_SUBJECT, C_ISSUER, C_NOTAFTER, C_OWNER,
	C_COUNT };
static const char *col_titles[C_COUNT] = {
	"STATUS", "DAYS", "NAME", "SUBJECT", "ISSUER", "NOT AFTER", "OWNER"
};
static const int col_max[C_COUNT] = { 8, 7, 64, 40, 30, 10, 24 };

struct table {
	struct strv	cells;	/* C_COUNT per row */
	int		width[C_COUNT];
	int		chain_note;
};

struct list_ctx {
	struct cli	*cli;
	struct json	 j;
	int		 json;
	struct table	 t;
	size_t		 n;
	struct strv	 rnames;	/* entries with a renewal state, sorted */
	struct strv	 rstates;	/* and their states */
	struct strv	 notes;		/* "NAME: renewed, not live" */
};

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The renewal state of an entry ("renewed, not live"...), or NULL. */
static const char *
renewal_of(struct list_ctx *ctx, const char *name)
{
	char **p;

	if (ctx->rnames.n == 0)
		return NULL;
	p = bsearch(&name, ctx->rnames.v, ctx->rnames.n, sizeof *p, name_cmp);
	return p != NULL ? ctx->rstates.v[p - ctx->rnames.v] : NULL;
}

/* Escape and cut to max columns, marking the cut with "..". */
static char *
cell(struct cli *cli, const char *s, int max)
{
	char *e = out_esc(cli, s != NULL ? s : "");
	size_t n;

	if (esc_width(e) <= max)
		return e;
	n = strlen(e);
	while (n > 0 && esc_width(e) > max - 2) {
		/* Drop one whole UTF-8 character from the end. */
		do
			n--;
		while (n > 0 && ((unsigned char)e[n] & 0xc0) == 0x80);
		e[n] = '\0';
	}
	strcat(e = xrealloc(e, n + 3), "..");
	return e;
}

static void
row_json(struct list_ctx *ctx, const struct inv_row *row)
{
	const struct idx_row *r = row->r;
	struct json *j = &ctx->j;

	json_key(j, NULL);
	{
		struct json o;

		json_begin(&o, stdout, '{');
		json_str(&o, "name", r->entry->name);
		if (r->leaf != NULL) {
			json_certrec(&o, r->leaf);
			json_time(&o, "effective_not_after", r->eff_not_after);
			json_str(&o, "expiry_limited_by", r->eff_from);
			json_int(&o, "days_left", row->days_left);
		} else {
			json_null(&o, "subject");
			json_null(&o, "not_after");
			json_null(&o, "days_left");
		}
		json_str(&o, "status", status_name(row->status));
		json_int(&o, "chain_length", (long long)r->chain_len);
		json_str(&o, "owner", r->entry->owner);
		json_list(&o, "tags", r->entry->tags, ',');
		json_list(&o, "endpoints", r->entry->endpoints, ',');
		json_str(&o, "profile", r->entry->profile);
		json_str(&o, "renewal", renewal_of(ctx, r->entry->name));
		json_end(&o, '}');
		buf_add(&j->b, o.b.data, o.b.len);
		buf_free(&o.b);
	}
	if (j->b.len > 65536)
		json_flush(j);
}

static int
list_one(void *arg, const struct inv_row *row)
{
	struct list_ctx *ctx = arg;
	const struct idx_row *r = row->r;
	const char *state;
	char date[16], days[24];

	ctx->n++;
	if (ctx->json) {
		row_json(ctx, row);
		return 0;
	}
	strv_addn(&ctx->t.cells, xstrdup(status_name(row->status)));
	if (r->leaf != NULL) {
		snprintf(days, sizeof days, "%lld%s", (long long)row->days_left,
		    r->eff_from != NULL ? "*" : "");
		if (r->eff_from != NULL)
			ctx->t.chain_note = 1;
		clock_format_date(r->eff_not_after, date);
	} else {
		strcpy(days, "-");
		strcpy(date, "-");
	}
	strv_addn(&ctx->t.cells, xstrdup(days));
	strv_addn(&ctx->t.cells, cell(ctx->cli, r->entry->name, col_max[C_NAME]));
	strv_addn(&ctx->t.cells, cell(ctx->cli, r->leaf ? r->leaf->subject_cn :
	    "", col_max[C_SUBJECT]));
	strv_addn(&ctx->t.cells, cell(ctx->cli, r->leaf ? r->leaf->issuer_cn :
	    "", col_max[C_ISSUER]));
	strv_addn(&ctx->t.cells, xstrdup(date));
	strv_addn(&ctx->t.cells, cell(ctx->cli, r->entry->owner,
	    col_max[C_OWNER]));
	if ((state = renewal_of(ctx, r->entry->name)) != NULL)
		strv_addn(&ctx->notes, xasprintf("%s: %s",
		    ctx->t.cells.v[ctx->t.cells.n - 1 - (C_OWNER - C_NAME)],
		    state));
	return 0;
}

static void
table_print(struct table *t)
{
	size_t i, rows = t->cells.n / C_COUNT;
	int c, w;

	for (c = 0; c < C_COUNT; c++)
		t->width[c] = esc_width(col_titles[c]);
	for (i = 0; i < t->cells.n; i++) {
		w = esc_width(t->cells.v[i]);
		if (w > t->width[i % C_COUNT])
			t->width[i % C_COUNT] = w;
	}
	for (i = 0; i <= rows; i++) {
		for (c = 0; c < C_COUNT; c++) {
			const char *s = i == 0 ? col_titles[c] :
			    t->cells.v[(i - 1) * C_COUNT + (size_t)c];

			fputs(s, stdout);
			if (c == C_COUNT - 1)
				break;
			for (w = esc_width(s); w < t->width[c] + 2; w++)
				putchar(' ');
		}
		putchar('\n');
	}
	if (t->chain_note)
		puts("* expiry set by a chain certificate that expires before "
		    "the leaf (see certdeck show)");
}

int
cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "expiring", required_argument, NULL, 'e' },
		{ "status", required_argument, NULL, 's' },
		{ "filter", required_argument, NULL, 'f' },
		{ "sort", required_argument, NULL, 'o' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct list_ctx ctx;
	struct inv_list_opts o;
	struct inv *inv;
	enum status st;
	char *err = NULL, *end;
	size_t i;
	long v;
	int ch, rc = 0;

	memset(&ctx, 0, sizeof ctx);
	memset(&o, 0, sizeof o);
	ctx.cli = cli;
	o.expiring_days = -1;
	o.sort = IDX_SORT_EXPIRY;
	while ((ch = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'j':
			ctx.json = 1;
			break;
		case 'e':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 0 ||
			    v > 100000) {
				cli_error(cli, "--expiring %s: expected a number "
				    "of days", optarg);
				return EXIT_ERROR;
			}
			o.expiring_days = (int)v;
			break;
		case 's':
			if (status_parse(optarg, &st) != 0) {
				cli_error(cli, "--status %s: expected expired, "
				    "critical, warning or ok", optarg);
				return EXIT_ERROR;
			}
			o.status_mask |= 1 << st;
			break;
		case 'f':
			o.filter = optarg;
			break;
		case 'o':
			for (i = 0; i < nitems(sort_names); i++)
				if (strcmp(optarg, sort_names[i].name) == 0)
					break;
			if (i == nitems(sort_names)) {
				cli_error(cli, "--sort %s: expected expiry, name, "
				    "subject, issuer or owner", optarg);
				return EXIT_ERROR;
			}
			o.sort = sort_names[i].sort;
			break;
		case 'r':
			o.reverse = 1;
			break;
		case 'a':
			o.at = optarg;
			break;
		default:
			cmd_usage(cmd_find("list"), stderr);
			return EXIT_ERROR;
		}
	}
	if (optind < argc) {
		cli_error(cli, "unexpected argument %s (use --filter)",
		    argv[optind]);
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	strv_init(&ctx.t.cells);
	strv_init(&ctx.rnames);
	strv_init(&ctx.rstates);
	strv_init(&ctx.notes);
	/* Renewal outcomes are observed now, not part of a past commit. */
	if (o.at == NULL)
		inv_renew_states(inv, &ctx.rnames, &ctx.rstates, NULL);
	if (ctx.json)
		json_begin(&ctx.j, stdout, '[');
	if (inv_list(inv, &o, list_one, &ctx, &err) != 0) {
		cli_error(cli, "%s", err);
		free(err);
		rc = EXIT_ERROR;
	} else if (ctx.json) {
		json_end(&ctx.j, ']');
		buf_addc(&ctx.j.b, '\n');
		json_flush(&ctx.j);
	} else {
		table_print(&ctx.t);
		for (i = 0; i < ctx.notes.n; i++)
			printf("! %s\n", ctx.notes.v[i]);
	}
	if (ctx.json)
		buf_free(&ctx.j.b);
	strv_free(&ctx.t.cells);
	strv_free(&ctx.rnames);
	strv_free(&ctx.rstates);
	strv_free(&ctx.notes);
	inv_close(inv);
	return rc;
}

/* show */

struct show_ctx {
	struct cli		*cli;
	struct inv		*inv;
	struct idx_entry	 e;
	struct certfile		 cf;
	int			 found;
	enum status		 status;
	int64_t			 days;
};

static int
show_row(void *arg, const struct inv_row *row)
{
	struct show_ctx *ctx = arg;

	ctx->found = 1;
	ctx->status = row->status;
	ctx->days = row->days_left;
	return 0;
}

static void
field(struct cli *cli, const char *label, const char *value)
{
	printf("  %-22s ", label);
	out_text(cli, stdout, value != NULL && *value ? value : "-");
	putchar('\n');
}

static void
field_list(struct cli *cli, const char *label, const char *value)
{
	const char *p, *q;
	char *item;
	int first = 1;

	if (value == NULL || *value == '\0') {
		field(cli, label, NULL);
		return;
	}
	for (p = value; p != NULL && *p; p = q ? q + 1 : NULL) {
		q = strchr(p, '\n');
		item = q ? xstrndup(p, (size_t)(q - p)) : xstrdup(p);
		field(cli, first ? label : "", item);
		free(item);
		first = 0;
	}
}

static void
show_cert(struct cli *cli, const struct certrec *r, int64_t now)
{
	char a[32], b[32], tmp[64];

	field(cli, "subject", r->subject);
	field(cli, "issuer", r->issuer);
	field(cli, "serial", r->serial);
	clock_format(r->not_before, a);
	clock_format(r->not_after, b);
	field(cli, "not before", a);
	snprintf(tmp, sizeof tmp, "%s (%lld days)", b,
	    (long long)status_days_left(now, r->not_after));
	field(cli, "not after", tmp);
	field_list(cli, "SANs", r->sans);
	if (r->key_curve != NULL)
		snprintf(tmp, sizeof tmp, "%s %s", r->key_type ? r->key_type :
		    "?", r->key_curve);
	else if (r->key_bits > 0)
		snprintf(tmp, sizeof tmp, "%s %d", r->key_type ? r->key_type :
		    "?", r->key_bits);
	else
		snprintf(tmp, sizeof tmp, "%s", r->key_type ? r->key_type : "?");
	field(cli, "key", tmp);
	field(cli, "signature", r->sig_alg);
	field(cli, "sha256", r->sha256);
	field(cli, "sha1", r->sha1);
	field(cli, "subject key id", r->ski);
	field(cli, "authority key id", r->aki);
	if (r->is_ca && r->path_len >= 0)
		snprintf(tmp, sizeof tmp, "CA, path length %d", r->path_len);
	else
		snprintf(tmp, sizeof tmp, "%s", r->is_ca ? "CA" : "not a CA");
	field(cli, "basic constraints", tmp);
	field(cli, "key usage", r->key_usage);
	field(cli, "extended key usage", r->ext_key_usage);
	field_list(cli, "OCSP", r->ocsp);
	field_list(cli, "CA issuers", r->ca_issuers);
	field_list(cli, "CRL", r->crl_dp);
	field(cli, "must staple", r->must_staple ? "yes" : "no");
	field(cli, "self-signed", r->self_signed ? "yes" : "no");
}

static int
show_log_text(void *arg, const struct inv_commit *c)
{
	struct cli *cli = arg;
	char date[16];

	clock_format_date(c->c->time, date);
	printf("  %s %.10s %-8s ", date, c->c->id, c->action);
	out_text(cli, stdout, c->c->subject);
	putchar('\n');
	return 0;
}

struct show_log_json {
	struct json	*j;
};

static int
show_log_json(void *arg, const struct inv_commit *c)
{
	struct json *j = arg, o;

	json_key(j, NULL);
	json_begin(&o, stdout, '{');
	json_str(&o, "commit", c->c->id);
	json_time(&o, "date", c->c->time);
	json_str(&o, "author", c->c->author_name);
	json_str(&o, "action", c->action);
	json_str(&o, "subject", c->c->subject);
	json_end(&o, '}');
	buf_add(&j->b, o.b.data, o.b.len);
	buf_free(&o.b);
	return 0;
}

/* The entry's last renewal run, if any: 1 and *job filled (caller
   idx_job_free's), else 0. */
static int
last_renewal(struct inv *inv, const char *name, struct idx_job *job,
    const char **state)
{
	enum inv_renew_state st;
	size_t n = 0;

	if (idx_job_recent(inv->idx, name, "renew", job, 1, &n, NULL) != 0 ||
	    n == 0)
		return 0;
	*state = inv_renew_state(inv, name, &st, NULL) == 0 ?
	    inv_renew_state_name(st) : NULL;
	return 1;
}

int
cmd_show(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pem", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct show_ctx ctx;
	struct inv_list_opts o;
	struct inv *inv;
	struct entry meta;
	struct idx_job job;
	const char *name, *state = NULL;
	char *err = NULL, *data = NULL, *path, *dir;
	size_t len, i;
	int64_t now = clock_now();
	int ch, json = 0, pem = 0, rc = EXIT_ERROR;

	while ((ch = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'p':
			pem = 1;
			break;
		default:
			cmd_usage(cmd_find("show"), stderr);
			return EXIT_ERROR;
		}
	}
	if (optind + 1 != argc) {
		cmd_usage(cmd_find("show"), stderr);
		return EXIT_ERROR;
	}
	name = argv[optind];
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	memset(&ctx, 0, sizeof ctx);
	ctx.cli = cli;
	ctx.inv = inv;
	entry_init(&meta);
	if (idx_entry_get(inv->idx, name, &ctx.e, &err) != 1) {
		cli_error(cli, "%s: %s", name, err ? err : "no such entry");
		free(err);
		inv_close(inv);
		return EXIT_ERROR;
	}
	if (*ctx.e.cert_blob != '\0')
		idx_file_get(inv->idx, ctx.e.cert_blob, &ctx.cf, NULL);
	memset(&o, 0, sizeof o);
	o.expiring_days = -1;
	o.name = name;
	if (inv_list(inv, &o, show_row, &ctx, &err) != 0) {
		cli_error(cli, "%s", err);
		free(err);
		goto out;
	}
	if (pem) {
		dir = inv_entry_dir(name);
		path = xasprintf("%s/cert.pem", dir);
		free(dir);
		if (repo_read(inv->repo, NULL, path, &data, &len, NULL,
		    &err) != 1) {
			cli_error(cli, "%s: no certificate%s%s", name,
			    err ? ": " : "", err ? err : "");
			free(err);
			free(path);
			goto out;
		}
		free(path);
		/* PEM from git is base64 we wrote, but check anyway. */
		out_text(cli, stdout, "");
		for (i = 0; i < len; i++)
			if ((unsigned char)data[i] < 0x20 && data[i] != '\n')
				data[i] = '?';
		fwrite(data, 1, len, stdout);
		free(data);
		rc = 0;
		goto out;
	}
	if (ctx.e.meta != NULL)
		entry_parse(ctx.e.meta, strlen(ctx.e.meta), &meta, NULL);
	if (json) {
		struct json j, a;

		json_begin(&j, stdout, '{');
		json_str(&j, "name", name);
		json_str(&j, "status", status_name(ctx.status));
		if (ctx.cf.n > 0) {
			json_int(&j, "days_left", ctx.days);
			json_time(&j, "effective_not_after",
			    ctx.cf.eff_not_after);
			json_str(&j, "expiry_limited_by", ctx.cf.eff_from);
			json_certrec(&j, &ctx.cf.certs[0]);
		}
		json_key(&j, "chain");
		json_begin(&a, stdout, '[');
		for (i = 1; i < ctx.cf.n; i++) {
			struct json c;

			json_key(&a, NULL);
			json_begin(&c, stdout, '{');
			json_certrec(&c, &ctx.cf.certs[i]);
			json_end(&c, '}');
			buf_add(&a.b, c.b.data, c.b.len);
			buf_free(&c.b);
		}
		json_end(&a, ']');
		buf_add(&j.b, a.b.data, a.b.len);
		buf_free(&a.b);
		json_key(&j, "metadata");
		json_begin(&a, stdout, '{');
		for (i = 0; i < meta.k.n; i++)
			json_str(&a, meta.k.v[i], meta.v.v[i]);
		json_end(&a, '}');
		buf_add(&j.b, a.b.data, a.b.len);
		buf_free(&a.b);
		if (last_renewal(inv, name, &job, &state)) {
			json_key(&j, "renewal");
			json_begin(&a, stdout, '{');
			json_str(&a, "state", state);
			json_time(&a, "last_run", job.ended);
			json_bool(&a, "ok", job.ok);
			json_str(&a, "output", job.output);
			json_end(&a, '}');
			buf_add(&j.b, a.b.data, a.b.len);
			buf_free(&a.b);
			idx_job_free(&job);
		} else
			json_null(&j, "renewal");
		json_key(&j, "history");
		json_begin(&a, stdout, '[');
		inv_log(inv, name, 10, show_log_json, &a, NULL);
		json_end(&a, ']');
		buf_add(&j.b, a.b.data, a.b.len);
		buf_free(&a.b);
		json_end(&j, '}');
		buf_addc(&j.b, '\n');
		json_flush(&j);
		buf_free(&j.b);
		rc = 0;
		goto out;
	}
	printf("%s ", status_name(ctx.status));
	out_text(cli, stdout, name);
	if (ctx.cf.n > 0) {
		char d[16];

		clock_format_date(ctx.cf.eff_not_after, d);
		printf(": %lld days left (%s)", (long long)ctx.days, d);
		if (ctx.cf.eff_from != NULL) {
			fputs(", set by chain certificate ", stdout);
			out_text(cli, stdout, ctx.cf.eff_from);
			fputs(" which expires before the leaf", stdout);
		}
	} else
		fputs(": no certificate", stdout);
	putchar('\n');
	if (ctx.cf.n > 0) {
		puts("\nCertificate:");
		show_cert(cli, &ctx.cf.certs[0], now);
	}
	for (i = 1; i < ctx.cf.n; i++) {
		char d[16];

		clock_format_date(ctx.cf.certs[i].not_after, d);
		printf("\nChain %zu: ", i);
		out_text(cli, stdout, ctx.cf.certs[i].subject);
		printf("\n  expires %s (%lld days)\n", d, (long long)
		    status_days_left(now, ctx.cf.certs[i].not_after));
		show_cert(cli, &ctx.cf.certs[i], now);
	}
	puts("\nMetadata:");
	if (meta.k.n == 0)
		puts("  (none)");
	for (i = 0; i < meta.k.n; i++)
		field(cli, meta.k.v[i], meta.v.v[i]);
	if (last_renewal(inv, name, &job, &state)) {
		char d[32];

		clock_format(job.ended, d);
		printf("\nRenewal: %s\n  last run %s: %s\n", state != NULL ?
		    state : "ok", d, job.ok ? "renewed" : "failed");
		if (job.output != NULL) {
			struct strv lines;
			size_t k;

			strv_init(&lines);
			strv_split(&lines, job.output, '\n');
			for (k = 0; k < lines.n && k < 20; k++) {
				fputs("  ", stdout);
				out_text(cli, stdout, lines.v[k]);
				putchar('\n');
			}
			strv_free(&lines);
		}
		idx_job_free(&job);
	}
	puts("\nHistory:");
	inv_log(inv, name, 10, show_log_text, cli, NULL);
	rc = 0;
out:
	entry_free(&meta);
	idx_entry_free(&ctx.e);
	certfile_free(&ctx.cf);
	inv_close(inv);
	return rc;
}
