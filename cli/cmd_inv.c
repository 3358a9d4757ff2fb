/* cmd_inv.c: the commands that change an inventory: init, import, set, rm. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "entry.h"
#include "inventory.h"

void
cmd_set_keys(FILE *f)
{
	const struct entry_key *k;

	fputs("\nKeys:\n", f);
	for (k = entry_keys; k->name != NULL; k++)
		if (k->settable)
			fprintf(f, "  %-17s %s\n", k->name, k->help);
	fputs("KEY= (empty) removes a key. Lists (tags, endpoints, policy) "
	    "take\ncomma-separated items; KEY+=ITEM adds, KEY-=ITEM removes.\n"
	    "Each set is one commit.\n", f);
}

int
cmd_init(struct cli *cli, int argc, char **argv)
{
	char *err = NULL;

	if (argc > 2) {
		cmd_usage(cmd_find("init"), stderr);
		return EXIT_ERROR;
	}
	cli->dir = argc == 2 ? xstrdup(argv[1]) : inv_locate(cli->dir_opt);
	if (inv_init(cli->dir, &err) != 0) {
		cli_error(cli, "%s", err);
		free(err);
		return EXIT_ERROR;
	}
	printf("initialised an empty inventory in ");
	out_text(cli, stdout, cli->dir);
	putchar('\n');
	return 0;
}

int
cmd_import(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "owner", required_argument, NULL, 'o' },
		{ "tag", required_argument, NULL, 't' },
		{ "into", required_argument, NULL, 'i' },
		{ "pkcs12-pass-file", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct inv_import_opts o;
	struct inv_import_result res;
	struct inv *inv;
	char *err = NULL, *pass = NULL;
	size_t len;
	int ch, rc;

	memset(&o, 0, sizeof o);
	strv_init(&o.tags);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			o.name = optarg;
			break;
		case 'o':
			o.owner = optarg;
			break;
		case 't':
			strv_add(&o.tags, optarg);
			break;
		case 'i':
			o.into = optarg;
			break;
		case 'p':
			if (read_file(optarg, 4096, &pass, &len, &err) != 0) {
				cli_error(cli, "%s: %s", optarg, err);
				free(err);
				strv_free(&o.tags);
				return EXIT_ERROR;
			}
			while (len > 0 && (pass[len - 1] == '\n' ||
			    pass[len - 1] == '\r'))
				pass[--len] = '\0';
			o.p12_pass = pass;
			break;
		default:
			cmd_usage(cmd_find("import"), stderr);
			strv_free(&o.tags);
			return EXIT_ERROR;
		}
	}
	if (optind >= argc) {
		cli_error(cli, "nothing to import (give files, directories "
		    "or - for stdin)");
		strv_free(&o.tags);
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0) {
		strv_free(&o.tags);
		free(pass);
		return EXIT_ERROR;
	}
	rc = inv_import(inv, argv + optind, (size_t)(argc - optind), &o, &res,
	    cli_report, cli, &err);
	if (rc != 0) {
		cli_error(cli, "%s", err);
		free(err);
		rc = EXIT_ERROR;
	} else {
		printf("%zu imported, %zu replaced, %zu already present, "
		    "%zu refused\n", res.imported, res.replaced, res.present,
		    res.refused);
		rc = res.refused > 0 ? EXIT_PROBLEMS : 0;
	}
	inv_close(inv);
	strv_free(&o.tags);
	free(pass);
	return rc;
}

int
cmd_set(struct cli *cli, int argc, char **argv)
{
	struct inv *inv;
	char *err = NULL;
	int rc;

	if (argc < 3) {
		cmd_usage(cmd_find("set"), stderr);
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	rc = inv_set(inv, argv[1], argv + 2, (size_t)(argc - 2), &err);
	if (rc < 0) {
		cli_error(cli, "%s", err);
		free(err);
		rc = EXIT_ERROR;
	} else {
		if (rc == 0) {
			out_text(cli, stdout, argv[1]);
			puts(": nothing changed");
		}
		rc = 0;
	}
	inv_close(inv);
	return rc;
}

int
cmd_rm(struct cli *cli, int argc, char **argv)
{
	struct inv *inv;
	char *err = NULL;
	int i, rc = 0;

	if (argc < 2) {
		cmd_usage(cmd_find("rm"), stderr);
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	for (i = 1; i < argc; i++) {
		if (inv_rm(inv, argv[i], &err) != 0) {
			cli_error(cli, "%s", err);
			free(err);
			err = NULL;
			rc = EXIT_PROBLEMS;
			continue;
		}
		printf("removed ");
		out_text(cli, stdout, argv[i]);
		putchar('\n');
	}
	inv_close(inv);
	return rc;
}
