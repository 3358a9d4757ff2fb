/* cmd_log.c: history and consistency: log and fsck. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "inventory.h"

struct log_ctx {
	struct cli	*cli;
	struct json	 j;
	int		 json;
};

static int
log_one(void *arg, const struct inv_commit *c)
{
	struct log_ctx *ctx = arg;
	char date[32], *ent;

	ent = strv_join(&c->entries, ",");
	if (ctx->json) {
		struct json o;
		size_t i;

		json_key(&ctx->j, NULL);
		json_begin(&o, stdout, '{');
		json_str(&o, "commit", c->c->id);
		json_time(&o, "date", c->c->time);
		json_str(&o, "author", c->c->author_name);
		json_str(&o, "email", c->c->author_email);
		json_str(&o, "action", c->action);
		json_list(&o, "entries", ent, ',');
		json_str(&o, "subject", c->c->subject);
		json_str(&o, "body", c->c->body);
		json_key(&o, "trailers");
		buf_addc(&o.b, '[');
		for (i = 0; i < c->c->ntrailers; i++) {
			if (i > 0)
				buf_addc(&o.b, ',');
			buf_addc(&o.b, '[');
			o.first = 1;
			json_str(&o, NULL, c->c->trailer_keys[i]);
			json_str(&o, NULL, c->c->trailer_values[i]);
			buf_addc(&o.b, ']');
		}
		buf_addc(&o.b, ']');
		json_end(&o, '}');
		buf_add(&ctx->j.b, o.b.data, o.b.len);
		buf_free(&o.b);
		if (ctx->j.b.len > 65536)
			json_flush(&ctx->j);
	} else {
		clock_format(c->c->time, date);
		date[10] = ' ';
		date[16] = '\0';
		printf("%s  %.10s  ", date, c->c->id);
		out_text(ctx->cli, stdout, c->c->author_name);
		printf("  %s  ", c->action);
		out_text(ctx->cli, stdout, *ent ? ent : "-");
		fputs("  ", stdout);
		out_text(ctx->cli, stdout, c->c->subject);
		putchar('\n');
	}
	free(ent);
	return 0;
}

int
cmd_log(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "sweeps", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct log_ctx ctx;
	struct inv *inv;
	const char *name = NULL;
	char *err = NULL, *end;
	long limit = 0;
	int ch, rc = 0, sweeps = 0, r;

	memset(&ctx, 0, sizeof ctx);
	ctx.cli = cli;
	while ((ch = cli_getopt(cli, argc, argv, "n:", opts)) != -1) {
		switch (ch) {
		case 'j':
			ctx.json = 1;
			break;
		case 's':
			sweeps = 1;
			break;
		case 'n':
			limit = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || limit < 1) {
				cli_error(cli, "-n %s: expected a count", optarg);
				return EXIT_ERROR;
			}
			break;
		default:
			cmd_usage(cmd_find("log"), stderr);
			return EXIT_ERROR;
		}
	}
	if (optind < argc)
		name = argv[optind++];
	if (optind < argc || (sweeps && name != NULL)) {
		cmd_usage(cmd_find("log"), stderr);
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	/*
	 * `log audit` was the sweeps' history before --sweeps, and still is
	 * while no entry has that name; an entry named audit is the entry.
	 */
	if (name != NULL && strcmp(name, "audit") == 0 &&
	    !inv_exists(inv, name)) {
		name = NULL;
		sweeps = 1;
	}
	if (name != NULL && !inv_exists(inv, name)) {
		/* A removed entry still has a history: only warn. */
		cli_report(cli, 1, name, "not in the inventory now; showing "
		    "its past");
	}
	if (ctx.json)
		json_begin(&ctx.j, stdout, '[');
	if (sweeps)
		r = inv_log_sweeps(inv, (size_t)limit, log_one, &ctx, &err);
	else
		r = inv_log(inv, name, (size_t)limit, log_one, &ctx, &err);
	if (r != 0) {
		cli_error(cli, "%s", err);
		free(err);
		rc = EXIT_ERROR;
	}
	if (ctx.json) {
		json_end(&ctx.j, ']');
		buf_addc(&ctx.j.b, '\n');
		json_flush(&ctx.j);
		buf_free(&ctx.j.b);
	}
	inv_close(inv);
	return rc;
}

int
cmd_fsck(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repair", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct inv_fsck_result res;
	struct inv *inv;
	char *err = NULL;
	int ch, repair = 0, n;

	while ((ch = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		if (ch != 'r') {
			cmd_usage(cmd_find("fsck"), stderr);
			return EXIT_ERROR;
		}
		repair = 1;
	}
	if (cli->dir == NULL)
		cli->dir = inv_locate(cli->dir_opt);
	/* Open without catching up, so fsck sees the index as it is. */
	if (inv_open(cli->dir, INV_OPEN_NOREFRESH, cli_report, cli, &inv,
	    &err) != 0) {
		cli_error(cli, "%s", err);
		free(err);
		return EXIT_ERROR;
	}
	if (inv_fsck(inv, repair, cli_report, cli, &res, &err) != 0) {
		cli_error(cli, "%s", err);
		free(err);
		inv_close(inv);
		return EXIT_ERROR;
	}
	n = res.problems;
	if (repair && res.fixable > 0)
		printf("%d problem%s found, %d left after repair\n", n,
		    n == 1 ? "" : "s", res.left);
	else if (n > 0 && res.fixable > 0)
		printf("%d problem%s found (certdeck fsck --repair rebuilds the "
		    "index)\n", n, n == 1 ? "" : "s");
	else if (n > 0)
		printf("%d problem%s found; rebuilding the index would not "
		    "mend %s\n", n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
	else
		puts("inventory is consistent");
	inv_close(inv);
	return res.left > 0 ? EXIT_PROBLEMS : 0;
}
