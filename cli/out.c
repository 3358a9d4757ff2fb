/* out.c: escaped text and JSON output for the command line. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "escape.h"
#include "inventory.h"

void
cli_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	fputs("certdeck: ", stderr);
	if (cli->cmd != NULL)
		fprintf(stderr, "%s: ", cli->cmd);
	out_text(cli, stderr, msg);
	fputc('\n', stderr);
	free(msg);
}

int
cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	char spec[32], shortopt[3];
	const char *typed = "";
	int ch, before = optind;

	/* A leading ':' tells a missing argument (':') from an unknown '?'. */
	if (snprintf(spec, sizeof spec, ":%s", shortopts) >= (int)sizeof spec)
		abort();
	opterr = 0;
	ch = getopt_long(argc, argv, spec, longopts, NULL);
	if (ch != '?' && ch != ':')
		return ch;
	/*
	 * A long option is the argument this call consumed, named as typed
	 * up to any "="; a short one is optopt, and may sit in a bundle.
	 */
	if (optind - 1 >= before && optind - 1 < argc &&
	    strncmp(argv[optind - 1], "--", 2) == 0)
		typed = argv[optind - 1];
	else {
		shortopt[0] = '-';
		shortopt[1] = (char)optopt;
		shortopt[2] = '\0';
		typed = shortopt;
	}
	if (ch == ':')
		cli_error(cli, "option '%s' requires an argument", typed);
	else if (optopt != 0 && typed != shortopt)
		cli_error(cli, "option '%.*s' takes no argument",
		    (int)strcspn(typed, "="), typed);
	else
		cli_error(cli, "unrecognized option '%.*s'",
		    (int)strcspn(typed, "="), typed);
	return '?';
}

int
cli_open(struct cli *cli, struct inv **inv)
{
	char *err = NULL;

	if (cli->dir == NULL)
		cli->dir = inv_locate(cli->dir_opt);
	if (inv_open(cli->dir, 0, cli_report, cli, inv, &err) != 0) {
		cli_error(cli, "%s", err);
		free(err);
		return -1;
	}
	return 0;
}

void
cli_report(void *arg, int level, const char *input, const char *msg)
{
	struct cli *cli = arg;
	FILE *f = level == 0 ? stdout : stderr;

	if (level > 0) {
		fputs("certdeck: ", f);
		if (cli->cmd != NULL)
			fprintf(f, "%s: ", cli->cmd);
		if (level == 1)
			fputs("warning: ", f);
	}
	if (input != NULL) {
		out_text(cli, f, input);
		fputs(": ", f);
	}
	out_text(cli, f, msg);
	fputc('\n', f);
}

void
out_text(struct cli *cli, FILE *f, const char *s)
{
	struct buf b;

	buf_init(&b);
	esc_text(&b, s != NULL ? s : "", cli->ascii);
	fwrite(b.data ? b.data : "", 1, b.len, f);
	buf_free(&b);
}

char *
out_esc(struct cli *cli, const char *s)
{
	return esc_dup(s, cli->ascii);
}

void
json_begin(struct json *j, FILE *f, char open)
{
	buf_init(&j->b);
	j->f = f;
	j->first = 1;
	buf_addc(&j->b, open);
}

void
json_end(struct json *j, char close)
{
	buf_addc(&j->b, close);
	j->first = 0;
}

void
json_flush(struct json *j)
{
	fwrite(j->b.data ? j->b.data : "", 1, j->b.len, j->f);
	buf_reset(&j->b);
}

void
json_key(struct json *j, const char *key)
{
	if (!j->first)
		buf_addc(&j->b, ',');
	j->first = 0;
	if (key != NULL) {
		esc_json(&j->b, key);
		buf_addc(&j->b, ':');
	}
}

void
json_str(struct json *j, const char *key, const char *value)
{
	json_key(j, key);
	if (value == NULL)
		buf_adds(&j->b, "null");
	else
		esc_json(&j->b, value);
}

void
json_int(struct json *j, const char *key, long long value)
{
	json_key(j, key);
	buf_printf(&j->b, "%lld", value);
}

void
json_bool(struct json *j, const char *key, int value)
{
	json_key(j, key);
	buf_adds(&j->b, value ? "true" : "false");
}

void
json_null(struct json *j, const char *key)
{
	json_key(j, key);
	buf_adds(&j->b, "null");
}

void
json_list(struct json *j, const char *key, const char *value, char sep)
{
	const char *p, *q;
	char *item;
	int first = 1;

	json_key(j, key);
	buf_addc(&j->b, '[');
	for (p = value; p != NULL && *p != '\0'; p = q ? q + 1 : NULL) {
		q = strchr(p, sep);
		item = q ? xstrndup(p, (size_t)(q - p)) : xstrdup(p);
		if (*item != '\0') {
			if (!first)
				buf_addc(&j->b, ',');
			esc_json(&j->b, item);
			first = 0;
		}
		free(item);
	}
	buf_addc(&j->b, ']');
}

void
json_time(struct json *j, const char *key, long long t)
{
	char s[32];

	clock_format(t, s);
	json_str(j, key, s);
}

void
json_certrec(struct json *j, const struct certrec *r)
{
	json_str(j, "subject", r->subject);
	json_str(j, "subject_cn", r->subject_cn);
	json_str(j, "issuer", r->issuer);
	json_str(j, "issuer_cn", r->issuer_cn);
	json_str(j, "serial", r->serial);
	json_time(j, "not_before", r->not_before);
	json_time(j, "not_after", r->not_after);
	json_list(j, "sans", r->sans, '\n');
	json_str(j, "key_type", r->key_type);
	json_int(j, "key_bits", r->key_bits);
	json_str(j, "key_curve", r->key_curve);
	json_str(j, "signature_algorithm", r->sig_alg);
	json_str(j, "fingerprint_sha256", r->sha256);
	json_str(j, "fingerprint_sha1", r->sha1);
	json_str(j, "spki_sha256", r->spki_sha256);
	json_str(j, "subject_key_id", r->ski);
	json_str(j, "authority_key_id", r->aki);
	json_bool(j, "is_ca", r->is_ca);
	if (r->path_len >= 0)
		json_int(j, "path_len", r->path_len);
	else
		json_null(j, "path_len");
	json_list(j, "key_usage", r->key_usage, ',');
	json_list(j, "extended_key_usage", r->ext_key_usage, ',');
	json_list(j, "ocsp", r->ocsp, '\n');
	json_list(j, "ca_issuers", r->ca_issuers, '\n');
	json_list(j, "crl_distribution_points", r->crl_dp, '\n');
	json_bool(j, "must_staple", r->must_staple);
	json_bool(j, "self_signed", r->self_signed);
	json_int(j, "version", r->version);
}
