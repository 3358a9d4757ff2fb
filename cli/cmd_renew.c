/* cmd_renew.c: certdeck renew (inventory.h, inv_renew). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "inventory.h"

struct renew_ctx {
	struct cli	*cli;
	int		 problems;
};

static void
renew_done(void *arg, const struct inv_renew_result *r)
{
	struct renew_ctx *c = arg;
	char od[16], nd[16];

	if (!r->ok) {
		c->problems = 1;
		cli_error(c->cli, "%s: %s", r->name, r->error);
		if (r->output != NULL) {
			fputs("  output: ", stderr);
			out_text(c->cli, stderr, r->output);
			fputc('\n', stderr);
		}
		return;
	}
	clock_format_date(r->old_not_after, od);
	clock_format_date(r->new_not_after, nd);
	printf("renewed ");
	out_text(c->cli, stdout, r->name);
	printf(": expires %s -> %s\n", od, nd);
	if (r->deploy != NULL) {
		printf("  deploy: ");
		out_text(c->cli, stdout, r->deploy);
		putchar('\n');
	}
	if (r->verify != NULL) {
		printf("  verify: ");
		out_text(c->cli, stdout, r->verify);
		putchar('\n');
	}
	if (r->deploy_failed)
		c->problems = 1;
	if (r->live == 0) {
		c->problems = 1;
		printf("  renewed, not live: the endpoints do not serve the "
		    "new certificate yet\n");
	}
}

static void
plan_print(struct cli *cli, const struct inv_renew_plan *p)
{
	char od[16], nd[16];
	char *s;

	clock_format_date(p->old_not_after, od);
	out_text(cli, stdout, p->name);
	printf(": would renew through ");
	out_text(cli, stdout, p->profile);
	if (p->new_not_after != 0) {
		clock_format_date(p->new_not_after, nd);
		printf("\n  expires %s -> %s", od, nd);
	} else
		printf("\n  expires %s -> (what the issuer gives)", od);
	printf("\n  key: ");
	out_text(cli, stdout, p->key);
	s = strv_join(&p->deploy, ", ");
	printf("\n  deploy: ");
	out_text(cli, stdout, p->deploy.n ? s : "none");
	free(s);
	printf("\n  reload: ");
	out_text(cli, stdout, p->reload != NULL ? p->reload : "none");
	s = strv_join(&p->endpoints, ", ");
	printf("\n  verify: ");
	out_text(cli, stdout, p->endpoints.n ? s : "no endpoints");
	free(s);
	putchar('\n');
}

int
cmd_renew(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "due", no_argument, NULL, 'u' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "jobs", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct inv_renew_opts o;
	struct inv_renew_plan p;
	struct renew_ctx c;
	struct strv names;
	struct inv *inv;
	char *err = NULL, *end;
	int ch, due = 0, dry = 0, rc = 0, failed;
	long t;
	size_t i;

	cli_passphrase_setup();
	memset(&o, 0, sizeof o);
	while ((ch = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'u':
			due = 1;
			break;
		case 'n':
			dry = 1;
			break;
		case 't':
			t = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || t < 1 ||
			    t > 600) {
				cli_error(cli, "--timeout %s: seconds from 1 "
				    "to 600", optarg);
				return EXIT_ERROR;
			}
			o.probe_timeout_ms = (int)t * 1000;
			break;
		case 'j':
			t = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || t < 1 ||
			    t > INV_RENEW_JOBS_MAX) {
				cli_error(cli, "--jobs %s: a number from 1 to "
				    "%d", optarg, INV_RENEW_JOBS_MAX);
				return EXIT_ERROR;
			}
			o.jobs = (int)t;
			break;
		default:
			cmd_usage(cmd_find("renew"), stderr);
			return EXIT_ERROR;
		}
	}
	if ((optind < argc) == due) {
		cmd_usage(cmd_find("renew"), stderr);
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	strv_init(&names);
	if (due) {
		if (inv_renew_due(inv, &names, &err) != 0) {
			cli_error(cli, "%s", err);
			free(err);
			rc = EXIT_ERROR;
			goto out;
		}
		if (names.n == 0)
			printf("nothing is due for renewal\n");
	} else
		for (i = (size_t)optind; i < (size_t)argc; i++)
			strv_add(&names, argv[i]);
	if (dry) {
		for (i = 0; i < names.n; i++) {
			if (inv_renew_plan(inv, names.v[i], &p, &err) != 0) {
				cli_error(cli, "%s", err);
				free(err);
				err = NULL;
				rc = EXIT_PROBLEMS;
			} else
				plan_print(cli, &p);
			inv_renew_plan_free(&p);
		}
		goto out;
	}
	memset(&c, 0, sizeof c);
	c.cli = cli;
	failed = inv_renew(inv, names.v, names.n, &o, renew_done, &c, &err);
	if (failed < 0) {
		cli_error(cli, "%s", err);
		free(err);
		rc = EXIT_ERROR;
	} else if (c.problems)
		rc = EXIT_PROBLEMS;
out:
	strv_free(&names);
	inv_close(inv);
	return rc;
}
