/*
 * cmd_inv.c: the commands that change an inventory: init, import, set,
 * edit, rm, undo.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "editor.h"
#include "entry.h"
#include "inventory.h"

void
cmd_set_keys(FILE *f)
{
	const struct entry_key *k;

	fputs("\nKeys:\n", f);
	for (k = entry_keys; k->name != NULL; k++)
		if (k->settable && strlen(k->name) > 17)
			fprintf(f, "  %s\n  %-17s %s\n", k->name, "", k->help);
		else if (k->settable)
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

static int
import_meta_check(struct cli *cli, const struct inv_import_opts *o)
{
	struct entry e;
	char *a, *err = NULL;
	size_t i;
	int rc = 0;

	entry_init(&e);
	if (o->owner != NULL) {
		a = xasprintf("owner=%s", o->owner);
		rc = entry_apply(&e, a, &err);
		free(a);
	}
	for (i = 0; rc == 0 && i < o->tags.n; i++) {
		a = xasprintf("tags+=%s", o->tags.v[i]);
		rc = entry_apply(&e, a, &err);
		free(a);
	}
	if (rc != 0) {
		cli_error(cli, "%s", err);
		free(err);
	}
	entry_free(&e);
	return rc;
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
		{ "kubernetes", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	struct inv_import_opts o;
	struct inv_import_result res;
	struct inv *inv;
	char *err = NULL, *pass = NULL;
	int ch, rc = EXIT_ERROR;

	memset(&o, 0, sizeof o);
	strv_init(&o.tags);
	while ((ch = cli_getopt(cli, argc, argv, "", opts)) != -1) {
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
		case 'k':
			o.kubernetes = 1;
			break;
		case 'p':
			if (pass != NULL)
				free_secret(pass, strlen(pass));
			if (read_secret_file(optarg, &pass, &err) != 0) {
				cli_error(cli, "--pkcs12-pass-file %s: %s",
				    optarg, err);
				free(err);
				goto out;
			}
			o.p12_pass = pass;
			break;
		default:
			cmd_usage(cmd_find("import"), stderr);
			goto out;
		}
	}
	if (o.kubernetes && (o.name != NULL || o.into != NULL)) {
		cli_error(cli, "--kubernetes names entries from namespace and "
		    "secret: no --name or --into with it");
		goto out;
	}
	if (optind >= argc) {
		cli_error(cli, "nothing to import (give files, directories "
		    "or - for stdin)");
		goto out;
	}
	/* A bad --owner or --tag is a usage error, as set's are. */
	if (import_meta_check(cli, &o) != 0)
		goto out;
	if (cli_open(cli, &inv) != 0)
		goto out;
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
out:
	strv_free(&o.tags);
	if (pass != NULL)
		free_secret(pass, strlen(pass));
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

/* Ask on the terminal whether to edit again; no terminal means no. */
static int
edit_again(void)
{
	char line[16];

	if (!isatty(STDIN_FILENO))
		return 0;
	fputs("edit again? [y/N] ", stderr);
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

/* certdeck edit NAME: the operator's editor, until valid or given up. */
static int
edit_interactive(struct cli *cli, struct inv *inv, const char *name)
{
	char *base = NULL, *text = NULL, *now = NULL, *edited, *err = NULL;
	int r, rc = EXIT_ERROR;

	r = inv_entry_text(inv, name, &base, &err);
	if (r <= 0) {
		if (r == 0)
			cli_error(cli, "%s: no such entry", name);
		else
			cli_error(cli, "%s", err);
		free(err);
		return EXIT_ERROR;
	}
	text = xstrdup(base);
	for (;;) {
		if (editor_edit(text, name, &edited, &err) != 0) {
			cli_error(cli, "%s", err);
			break;
		}
		free(text);
		text = edited;
		/* Someone else's commit since we read it would be undone
		   silently: refuse, and keep nothing. */
		free(now);
		now = NULL;
		if (inv_entry_text(inv, name, &now, &err) < 0) {
			cli_error(cli, "%s", err);
			break;
		}
		if (now == NULL || strcmp(now, base) != 0) {
			cli_error(cli, "%s changed while you edited it; nothing "
			    "committed (run certdeck edit again)", name);
			break;
		}
		r = inv_set_entry(inv, name, text, &err);
		if (r >= 0) {
			if (r == 0) {
				out_text(cli, stdout, name);
				puts(": nothing changed");
			}
			rc = 0;
			break;
		}
		cli_error(cli, "%s", err);
		free(err);
		err = NULL;
		if (!edit_again())
			break;
	}
	free(err);
	free(now);
	free(text);
	free(base);
	return rc;
}

int
cmd_edit(struct cli *cli, int argc, char **argv)
{
	struct inv *inv;
	char *text = NULL, *err = NULL;
	size_t len;
	int r, rc;

	if (argc < 2 || argc > 3) {
		cmd_usage(cmd_find("edit"), stderr);
		return EXIT_ERROR;
	}
	if (argc == 3) {
		r = strcmp(argv[2], "-") == 0 ?
		    read_fd(STDIN_FILENO, 1024 * 1024, &text, &len, &err) :
		    read_file(argv[2], 1024 * 1024, &text, &len, &err);
		if (r != 0) {
			cli_error(cli, "%s: %s", argv[2], err);
			free(err);
			return EXIT_ERROR;
		}
		if (memchr(text, '\0', len) != NULL) {
			cli_error(cli, "%s: contains a NUL byte", argv[2]);
			free(text);
			return EXIT_ERROR;
		}
	}
	if (cli_open(cli, &inv) != 0) {
		free(text);
		return EXIT_ERROR;
	}
	if (text == NULL)
		rc = edit_interactive(cli, inv, argv[1]);
	else if ((r = inv_set_entry(inv, argv[1], text, &err)) < 0) {
		cli_error(cli, "%s", err);
		free(err);
		rc = EXIT_ERROR;
	} else {
		if (r == 0) {
			out_text(cli, stdout, argv[1]);
			puts(": nothing changed");
		}
		rc = 0;
	}
	inv_close(inv);
	free(text);
	return rc;
}

static int
undo_said(void *arg, const struct inv_commit *c)
{
	out_text(arg, stdout, c->c->subject);
	putchar('\n');
	return 0;
}

int
cmd_undo(struct cli *cli, int argc, char **argv)
{
	struct inv *inv;
	char *err = NULL;
	int rc = 0;

	if (argc != 1) {
		cmd_usage(cmd_find("undo"), stderr);
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	if (inv_undo(inv, &err) != 0) {
		cli_error(cli, "%s", err);
		free(err);
		rc = EXIT_ERROR;
	} else if (inv_log(inv, NULL, 1, undo_said, cli, &err) != 0) {
		/* The undo is done; only telling it failed. */
		free(err);
	}
	inv_close(inv);
	return rc;
}
