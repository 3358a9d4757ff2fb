/*
 * cmd_sync.c: sharing the inventory through git remotes: remote, sync,
 * status and clone (core/sync.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "inventory.h"
#include "sync.h"

static int
remote_print(void *arg, const char *name, const char *url)
{
	struct cli *cli = arg;

	out_text(cli, stdout, name);
	if (url != NULL) {
		putchar('\t');
		out_text(cli, stdout, url);
	}
	putchar('\n');
	return 0;
}

static int
remote_name(void *arg, const char *name, const char *url)
{
	(void)url;
	return remote_print(arg, name, NULL);
}

/*
 * A remote given as a relative path is made absolute against the
 * directory it was typed in: kept as typed, it would be read against
 * whatever directory a later sync runs from. URLs ("scheme://") and
 * scp-like "host:path" stay as they are.
 */
char *
cli_url_abs(const char *url)
{
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');
	char *cwd, *abs;

	if (*url == '/' || strstr(url, "://") != NULL ||
	    (colon != NULL && (slash == NULL || colon < slash)))
		return xstrdup(url);
	if ((abs = realpath(url, NULL)) != NULL)
		return abs;
	if ((cwd = getcwd(NULL, 0)) == NULL)
		return xstrdup(url);
	abs = xasprintf("%s/%s", cwd, url);
	free(cwd);
	return abs;
}

int
cmd_remote(struct cli *cli, int argc, char **argv)
{
	struct inv *inv;
	char *err = NULL;
	int rc = 0, r;

	if (argc == 4 && strcmp(argv[1], "add") == 0) {
		char *url = cli_url_abs(argv[3]);

		if (cli_open(cli, &inv) != 0) {
			free(url);
			return EXIT_ERROR;
		}
		if (inv_remote_add(inv, argv[2], url, &err) != 0) {
			cli_error(cli, "%s", err);
			free(err);
			rc = EXIT_ERROR;
		}
		free(url);
		inv_close(inv);
		return rc;
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "-v") != 0)) {
		cmd_usage(cmd_find("remote"), stderr);
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	r = inv_remote_list(inv, argc == 2 ? remote_print : remote_name, cli,
	    &err);
	if (r != 0) {
		cli_error(cli, "%s", err);
		free(err);
		rc = EXIT_ERROR;
	}
	inv_close(inv);
	return rc;
}

int
cmd_sync(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ours", required_argument, NULL, 'o' },
		{ "theirs", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct inv_sync_result res;
	struct inv *inv;
	const char *remote = NULL;
	char *err = NULL;
	size_t i;
	int ch, r, rc = 0;
	struct strv ours, theirs;

	strv_init(&ours);
	strv_init(&theirs);
	while ((ch = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'o':
			strv_add(&ours, optarg);
			break;
		case 't':
			strv_add(&theirs, optarg);
			break;
		default:
			cmd_usage(cmd_find("sync"), stderr);
			rc = EXIT_ERROR;
			goto done;
		}
	}
	if (argc - optind > 1) {
		cmd_usage(cmd_find("sync"), stderr);
		rc = EXIT_ERROR;
		goto done;
	}
	if (optind < argc)
		remote = argv[optind];
	for (i = 0; i < ours.n; i++)
		if (strv_has(&theirs, ours.v[i])) {
			cli_error(cli, "%s: both --ours and --theirs; choose "
			    "one side", ours.v[i]);
			rc = EXIT_ERROR;
			goto done;
		}
	cli_cred_setup();
	if (cli_open(cli, &inv) != 0) {
		rc = EXIT_ERROR;
		goto done;
	}
	for (i = 0; i < ours.n + theirs.n && rc == 0; i++) {
		if (inv_sync_resolve(inv, i < ours.n ? ours.v[i] :
		    theirs.v[i - ours.n], i >= ours.n, &err) != 0) {
			cli_error(cli, "%s", err);
			free(err);
			rc = EXIT_ERROR;
		}
	}
	if (rc != 0) {
		inv_close(inv);
		goto done;
	}
	r = inv_sync(inv, remote, &res, &err);
	if (r < 0) {
		cli_error(cli, "%s", err);
		free(err);
		rc = EXIT_ERROR;
	} else if (r == 1) {
		for (i = 0; i < res.nconflicts; i++) {
			fputs("conflict ", stdout);
			out_text(cli, stdout, res.conflicts[i].name);
			fputs(": here: ", stdout);
			out_text(cli, stdout, res.conflicts[i].ours);
			fputs("; ", stdout);
			out_text(cli, stdout, res.remote);
			fputs(": ", stdout);
			out_text(cli, stdout, res.conflicts[i].theirs);
			putchar('\n');
		}
		cli_error(cli, "stopped on %zu conflict%s; nothing was changed "
		    "here or on %s. Choose a side for each with certdeck sync "
		    "--ours NAME (keep yours) or --theirs NAME (take %s's)",
		    res.nconflicts, res.nconflicts == 1 ? "" : "s", res.remote,
		    res.remote);
		rc = EXIT_PROBLEMS;
	} else if (res.taken == 0 && res.pushed == 0)
		printf("%s: already in step\n", res.remote);
	else
		printf("synced with %s: %zu taken, %zu replayed on top, "
		    "%zu pushed\n", res.remote, res.taken, res.replayed,
		    res.pushed);
	inv_sync_result_free(&res);
	inv_close(inv);
done:
	strv_free(&ours);
	strv_free(&theirs);
	return rc;
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	struct inv_sync_status s;
	struct inv *inv;
	char *err = NULL, when[32];
	size_t n = 0, i;
	int rc = 0;

	if (argc > 2) {
		cmd_usage(cmd_find("status"), stderr);
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	if (inv_sync_status(inv, argc == 2 ? argv[1] : NULL, &s, &err) != 0) {
		cli_error(cli, "%s", err);
		free(err);
		inv_close(inv);
		inv_sync_status_free(&s);
		return EXIT_ERROR;
	}
	idx_entry_count(inv->idx, &n, NULL);
	printf("%zu entries on branch ", n);
	out_text(cli, stdout, s.branch);
	putchar('\n');
	if (s.remote == NULL)
		puts("no remote (add one with: certdeck remote add origin URL)");
	else if (!s.tracked) {
		out_text(cli, stdout, s.remote);
		puts(": never synced");
	} else {
		out_text(cli, stdout, s.remote);
		printf(": %zu ahead, %zu behind (as of the last sync)\n",
		    s.ahead, s.behind);
	}
	if (s.last_sync != 0) {
		clock_format(s.last_sync, when);
		printf("last sync: %s with ", when);
		out_text(cli, stdout, s.last_remote);
		putchar('\n');
	} else
		puts("last sync: never");
	if (s.pending > 0) {
		printf("a sync stopped on %zu conflict%s", s.pending,
		    s.pending == 1 ? "" : "s");
		for (i = 0; i < s.resolved.n; i++) {
			fputs(i == 0 ? "; chosen: " : ", ", stdout);
			out_text(cli, stdout, s.resolved.v[i]);
		}
		puts("; run certdeck sync");
		rc = EXIT_PROBLEMS;
	}
	inv_sync_status_free(&s);
	inv_close(inv);
	return rc;
}

int
cmd_clone(struct cli *cli, int argc, char **argv)
{
	char *err = NULL, *shown, *url;
	int r;

	if (argc < 2 || argc > 3) {
		cmd_usage(cmd_find("clone"), stderr);
		return EXIT_ERROR;
	}
	cli_cred_setup();
	cli->dir = argc == 3 ? xstrdup(argv[2]) : inv_locate(cli->dir_opt);
	url = cli_url_abs(argv[1]);
	r = inv_clone(url, cli->dir, &err);
	free(url);
	if (r != 0) {
		cli_error(cli, "%s", err);
		free(err);
		return EXIT_ERROR;
	}
	printf("cloned ");
	shown = inv_url_shown(argv[1]);
	out_text(cli, stdout, shown);
	free(shown);
	printf(" into ");
	out_text(cli, stdout, cli->dir);
	putchar('\n');
	return 0;
}
