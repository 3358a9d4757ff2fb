/*
 * main.c: certdeck's entry point: global options, then one command from
 * the table below. The table is also the source of `certdeck --help` and
 * `certdeck COMMAND --help`; certdeck.1 says the same in more words.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "escape.h"
#include "hsm.h"
#include "inventory.h"
#include "../tui/tui.h"

#define CERTDECK_VERSION "0.1.0"

const struct cmd cmds[] = {
	{ "init", cmd_init, "[DIR]",
	  "make a new inventory (a git repository with an index)",
	  "" },
	{ "import", cmd_import,
	  "[--name N] [--owner O] [--tag T]... [--into NAME] "
	  "[--pkcs12-pass-file F] [--kubernetes] PATH...",
	  "add certificates from files, directories or - (stdin)",
	  "  --name N          name the entry (one certificate only)\n"
	  "  --owner O         set the owner of the new entries\n"
	  "  --tag T           add a tag (repeatable)\n"
	  "  --into NAME       replace NAME's certificate with a newer one\n"
	  "  --pkcs12-pass-file F\n"
	  "                    read the passphrase of PKCS#12 input from F\n"
	  "  --kubernetes      inputs are kubectl JSON or YAML: each\n"
	  "                    kubernetes.io/tls secret becomes an entry\n"
	  "                    NAMESPACE-SECRET (cert-manager Certificates\n"
	  "                    in the input add their status as notes)\n"
	  "Takes PEM (any number of certificates, text around them), DER,\n"
	  "PKCS#7 and PKCS#12. A private key is kept only encrypted, with the\n"
	  "passphrase in CERTDECK_PASSPHRASE_FILE. One import is one commit.\n" },
	{ "list", cmd_list,
	  "[--json] [--expiring DAYS] [--status S] [--filter TEXT] [--sort F] "
	  "[--reverse] [--at REV]",
	  "list entries, soonest expiry first",
	  "  --json            a JSON array (a stable contract, see certdeck(1))\n"
	  "  --expiring DAYS   only entries expiring within DAYS days\n"
	  "  --status S        only expired, critical, warning or ok (repeatable)\n"
	  "  --filter TEXT     substring of name, subject, SANs, issuer, owner, tags\n"
	  "  --sort F          expiry (default), name, subject, issuer, owner\n"
	  "  --reverse         reverse the order\n"
	  "  --at REV          the inventory as of a commit, or a date YYYY-MM-DD\n" },
	{ "show", cmd_show, "NAME [--json] [--pem]",
	  "every field of an entry, its chain, metadata and history",
	  "  --json            as a JSON object\n"
	  "  --pem             print the certificate file (leaf, then chain)\n" },
	{ "set", cmd_set, "NAME KEY=VALUE...",
	  "edit an entry's metadata (KEY+=V and KEY-=V edit lists)",
	  NULL /* built from the key table */ },
	{ "edit", cmd_edit, "NAME [FILE]",
	  "edit an entry's metadata file in $VISUAL or $EDITOR (else vi)",
	  "  FILE              take the new text from FILE (- for stdin)\n"
	  "                    instead of an editor\n"
	  "Each key that changed is checked as set checks it; an invalid\n"
	  "text commits nothing (on a terminal you may edit it again).\n"
	  "One commit, naming the changed keys.\n" },
	{ "rm", cmd_rm, "NAME...", "remove entries (each one commit)", "" },
	{ "undo", cmd_undo, "",
	  "undo the last change by committing its revert",
	  "The last commit's changes are reverted against its first parent\n"
	  "as one new commit, \"undo: <its subject>\"; history is kept, and\n"
	  "an undo is undone like any other change. The first commit\n"
	  "(init) cannot be undone.\n" },
	{ "log", cmd_log, "[NAME | --sweeps] [--json] [-n N]",
	  "the history of the inventory or of one entry, newest first",
	  "  --sweeps          the audit sweeps that changed the findings\n"
	  "  --json            as a JSON array\n"
	  "  -n N              at most N commits\n" },
	{ "fsck", cmd_fsck, "[--repair]",
	  "check that the index matches HEAD and the work tree is clean",
	  "  --repair          rebuild the index from HEAD\n" },
	{ "probe", cmd_probe,
	  "[--json] [--jobs N] [--timeout S] [--import] [--client NAME]"
	  " (NAME|HOST:PORT...|--all)",
	  "connect to endpoints and report what they really serve",
	  "  --all             every endpoint of every entry\n"
	  "  --json            a JSON array, one object per endpoint\n"
	  "  --jobs N          probes in flight at once (default 32)\n"
	  "  --timeout S       seconds each probe may take (default 10)\n"
	  "  --import          import what endpoints outside the inventory serve\n"
	  "  --client NAME     present entry NAME's certificate and key (a\n"
	  "                    file, or in a PKCS#11 token) when a server asks\n"
	  "                    for a client certificate\n"
	  "NAME probes the entry's endpoints; HOST:PORT[/STARTTLS][@SNI] one\n"
	  "endpoint. Exit status 0 when every endpoint is healthy, 1 if not.\n" },
	{ "audit", cmd_audit,
	  "[--json|--prometheus|--nagios] [--fail-on SEVERITY] [--probe] "
	  "[--rules]",
	  "check every entry against the audit rules and record the findings",
	  "  --json            a JSON object (a stable contract, see certdeck(1))\n"
	  "  --prometheus      node_exporter textfile metrics: expiry times,\n"
	  "                    findings per rule and severity, keys per algorithm\n"
	  "  --nagios          one line; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN\n"
	  "  --fail-on SEVERITY\n"
	  "                    exit 1 when a finding is this severe or more:\n"
	  "                    critical (default), warning, notice, info or none\n"
	  "  --probe           probe every endpoint of every entry first\n"
	  "  --rules           list the rules, their severity and fix, and exit\n"
	  "Findings go to audit/findings, committed when they changed since the\n"
	  "last sweep (\"audit: N new findings, M resolved\"); certdeck log --sweeps\n"
	  "is their history. Rules are tuned in certdeck.conf ([audit] and\n"
	  "[audit tag NAME]; see certdeck(1), AUDIT).\n" },
	{ "ca", cmd_ca,
	  "init NAME [--parent CA] [--key-type T] [--key-in URI] [--days N] "
	  "[--subject DN] [--pathlen N] | crl NAME [--days N]",
	  "make a local certificate authority, or its CRL",
	  "  init NAME         a root CA under cas/NAME/ (one commit)\n"
	  "  --parent CA       an intermediate signed by CA instead\n"
	  "  --key-type T      ec:P-256 (default), ec:P-384, rsa:3072,\n"
	  "                    rsa:4096 or ed25519\n"
	  "  --key-in URI      generate the key inside the PKCS#11 token of\n"
	  "                    URI (pkcs11:token=T;object=LABEL); rsa:3072\n"
	  "                    (default) or rsa:4096; cas/NAME/key-uri names it\n"
	  "  --days N          validity (default 3650)\n"
	  "  --subject DN      /CN=a/O=b or CN=a,O=b (default /CN=NAME)\n"
	  "  --pathlen N       how many CAs may follow it in a chain\n"
	  "  crl NAME          write cas/NAME/crl.pem listing what NAME\n"
	  "                    revoked, valid --days N (default 7); one commit\n"
	  "The CA's key is stored encrypted with the key passphrase, or stays\n"
	  "in its token (PIN from CERTDECK_PKCS11_PIN_FILE, else asked for).\n" },
	{ "issue", cmd_issue,
	  "--ca CA --cn NAME [--san DNS:..,IP:..] [--days N] [--hours N] "
	  "[--server|--client|--both] [--name N] [--key-type T] [--key-in URI] "
	  "[--owner O]",
	  "make a new entry with a certificate and key from a local CA",
	  "  --ca CA           the issuing CA (certdeck ca init)\n"
	  "  --cn NAME         the subject's common name\n"
	  "  --san LIST        DNS:, IP:, email:, URI: items, comma-separated\n"
	  "                    (default DNS:CN for a server certificate)\n"
	  "  --days N, --hours N\n"
	  "                    validity (default 365 days)\n"
	  "  --server, --client, --both\n"
	  "                    extended key usage (default --server)\n"
	  "  --name N          the entry's name (default derived from the CN)\n"
	  "  --key-type T      as for ca init (default ec:P-256)\n"
	  "  --key-in URI      generate the key inside a PKCS#11 token, as for\n"
	  "                    ca init; the entry's key-path names it\n"
	  "  --owner O         the entry's owner\n"
	  "Serials are random, 128 bits, never repeated within the CA. The\n"
	  "entry renews through its CA with no further configuration.\n" },
	{ "revoke", cmd_revoke, "NAME... [--reason R]",
	  "record entries' certificates as revoked by their local CA",
	  "  --reason R        unspecified (default), key-compromise,\n"
	  "                    ca-compromise, affiliation-changed, superseded,\n"
	  "                    cessation-of-operation, privilege-withdrawn\n"
	  "Each revocation is one commit; certdeck ca crl publishes them.\n" },
	{ "renew", cmd_renew, "NAME... | --due [--dry-run] [--timeout S] "
	  "[--jobs N]",
	  "renew certificates through their profiles, deploy and verify",
	  "  --due             every entry at warning or worse that has a\n"
	  "                    profile (or was made by certdeck issue)\n"
	  "  --dry-run         show the profile, new expiry, deploy targets,\n"
	  "                    reload command and endpoints; change nothing\n"
	  "  --timeout S       seconds each verifying probe may take\n"
	  "                    (default 10)\n"
	  "  --jobs N          renewals at once, 1 to 32 (default 4); 1\n"
	  "                    renews one after the other, in order\n"
	  "Each renewal deploys the files, runs the reload command, probes\n"
	  "the endpoints for the new certificate and is one commit saying\n"
	  "so; each is reported, and committed, as it finishes. A failed\n"
	  "renewal changes nothing in the repository and the others go on.\n"
	  "A key in a PKCS#11 token (key-path pkcs11:...) is renewed in the\n"
	  "token.\n"
	  "Exit status 1 when one failed or is not served yet.\n" },
	{ "clone", cmd_clone, "URL [DIR]",
	  "copy a shared inventory from a git remote and build its index",
	  "The copy's remote origin is URL. A plain git clone works too: the\n"
	  "first certdeck command in it builds the index. Credentials and\n"
	  "trust as for remote, from the user's git config.\n" },
	{ "remote", cmd_remote, "[-v] | add NAME URL",
	  "list the git remotes the inventory syncs with, or add one",
	  "  -v                with their URLs\n"
	  "  add NAME URL      add a remote: a path, file://, ssh://,\n"
	  "                    user@host:path, https:// or git:// URL\n"
	  "Passwords in URLs stay in .git/config and are shown as ***.\n"
	  "ssh: the ssh agent, then git config certdeck.sshKey, else\n"
	  "~/.ssh/id_ed25519, id_ecdsa, id_rsa (a passphrase is asked on the\n"
	  "terminal); the host key must be in certdeck.sshKnownHosts, else\n"
	  "~/.ssh/known_hosts. https: the CA of http.sslCAInfo, else the\n"
	  "system's; the URL's user and password, else git's credential\n"
	  "helpers (git credential fill).\n" },
	{ "sync", cmd_sync, "[--ours NAME]... [--theirs NAME]... [REMOTE]",
	  "fetch, put local changes on top of the remote's, push",
	  "  --ours NAME       in a conflict on entry NAME, keep your side\n"
	  "  --theirs NAME     in a conflict on entry NAME, take the remote's\n"
	  "REMOTE defaults to the remote of a stopped sync, else origin.\n"
	  "Entry files merge by key; the same key set to different values,\n"
	  "or two new certificates for one entry, is a conflict: the sync\n"
	  "stops, changes nothing, lists both sides and exits 1. A push the\n"
	  "remote refused because it moved is retried after a new fetch.\n"
	  "With sync = merge in certdeck.conf, one merge commit instead.\n"
	  "Credentials and trust: as for remote (see its help).\n" },
	{ "status", cmd_status, "[REMOTE]",
	  "entries, commits ahead and behind the remote, the last sync",
	  "Ahead and behind count commits as of the last sync or fetch.\n"
	  "Exit status 1 while a sync is stopped on conflicts.\n" },
	{ NULL, NULL, NULL, NULL, NULL }
};

const struct cmd *
cmd_find(const char *name)
{
	const struct cmd *c;

	for (c = cmds; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void
cmd_usage(const struct cmd *c, FILE *f)
{
	fprintf(f, "usage: certdeck [-C DIR] %s %s\n%s.\n", c->name, c->usage,
	    c->summary);
	if (c->help == NULL)
		cmd_set_keys(f);
	else if (*c->help != '\0')
		fprintf(f, "\n%s", c->help);
}

int
cmd_wants_help(const struct cmd *c, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cmd_usage(c, stdout);
			return 1;
		}
	}
	return 0;
}

static void
usage(FILE *f)
{
	const struct cmd *c;

	fputs("usage: certdeck [-C DIR] [--theme NAME] [--passphrase-fd N] "
	    "[COMMAND [ARGS]]\n"
	    "A certificate inventory in a git repository, for the terminal.\n"
	    "\nCommands:\n", f);
	for (c = cmds; c->name != NULL; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fputs("\nOptions:\n"
	    "  -C DIR        the inventory (else CERTDECK_DIR, else\n"
	    "                $XDG_DATA_HOME/certdeck, else\n"
	    "                ~/.local/share/certdeck)\n"
	    "  --theme NAME  the terminal UI's colour theme (else\n"
	    "                CERTDECK_THEME, else theme in the config file)\n"
	    "  --passphrase-fd N\n"
	    "                the key passphrase from file descriptor N\n"
	    "                (else CERTDECK_PASSPHRASE_FILE, else asked for\n"
	    "                on the terminal when a key is needed)\n"
	    "  -h, --help    this help; certdeck COMMAND --help for a command\n"
	    "  --version     the version\n"
	    "\nEnvironment: CERTDECK_DIR, CERTDECK_NOW (RFC 3339 time used as\n"
	    "now), CERTDECK_PASSPHRASE_FILE (encrypts stored private keys),\n"
	    "CERTDECK_PKCS11_PIN_FILE (the PIN of PKCS#11 tokens),\n"
	    "CERTDECK_PKCS11_MODULES (the modules a key URI's module-path\n"
	    "may load), CERTDECK_KDF_ITERATIONS (PBKDF2 iterations of keys\n"
	    "certdeck encrypts; default 600000).\n"
	    "See certdeck(1).\n", f);
}

int
main(int argc, char **argv)
{
	struct cli cli;
	const struct cmd *c;
	const char *theme_opt = NULL;
	int i, rc;

	heap_tune(argc, argv);		/* first: it may run certdeck again */
	setlocale(LC_ALL, "");
	memset(&cli, 0, sizeof cli);
	cli.ascii = !esc_locale_utf8();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-C") == 0) {
			if (i + 1 >= argc) {
				fputs("certdeck: -C needs a directory\n", stderr);
				return EXIT_ERROR;
			}
			cli.dir_opt = argv[++i];
		} else if (str_startswith(argv[i], "-C") && argv[i][2] != '\0')
			cli.dir_opt = argv[i] + 2;
		else if (strcmp(argv[i], "--theme") == 0) {
			if (i + 1 >= argc) {
				fputs("certdeck: --theme needs a name\n", stderr);
				return EXIT_ERROR;
			}
			theme_opt = argv[++i];
		} else if (str_startswith(argv[i], "--theme="))
			theme_opt = argv[i] + 8;
		else if (strcmp(argv[i], "--passphrase-fd") == 0) {
			if (i + 1 >= argc) {
				fputs("certdeck: --passphrase-fd needs a file "
				    "descriptor\n", stderr);
				return EXIT_ERROR;
			}
			if (cli_passphrase_fd(&cli, argv[++i]) != 0)
				return EXIT_ERROR;
		}
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("certdeck %s\n", CERTDECK_VERSION);
			return 0;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "certdeck: unknown option ");
			out_text(&cli, stderr, argv[i]);
			fputs(" (see certdeck --help)\n", stderr);
			return EXIT_ERROR;
		} else
			break;
	}
	if (i >= argc) {
		rc = tui_main(cli.dir_opt, theme_opt);
		hsm_cleanup();
		return rc;
	}
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 >= argc) {
			usage(stdout);
			return 0;
		}
		if ((c = cmd_find(argv[i + 1])) == NULL) {
			fputs("certdeck: help: unknown command ", stderr);
			out_text(&cli, stderr, argv[i + 1]);
			fputs(" (see certdeck --help)\n", stderr);
			return EXIT_ERROR;
		}
		cmd_usage(c, stdout);
		return 0;
	}
	c = cmd_find(argv[i]);
	if (c == NULL) {
		fputs("certdeck: unknown command ", stderr);
		out_text(&cli, stderr, argv[i]);
		fputs(" (see certdeck --help)\n", stderr);
		return EXIT_ERROR;
	}
	cli.cmd = c->name;
	if (cmd_wants_help(c, argc - i, argv + i))
		return 0;
	rc = c->fn(&cli, argc - i, argv + i);
	hsm_cleanup();		/* every key of a token is freed by now */
	free(cli.dir);
	if (getenv("CERTDECK_STATS") != NULL) {
		unsigned long made, patched, compared;

		inv_stats_gitindex(&made, &patched, &compared);
		fprintf(stderr, "certdeck: stats: parsed %zu certificates\n"
		    "certdeck: stats: .git/index written %lu new, %lu "
		    "patched, %lu compared\n", inv_stats_parsed(), made,
		    patched, compared);
		if (heap_was_tuned())
			fputs("certdeck: stats: heap on huge pages\n", stderr);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error(&cli, "writing output failed");
		return EXIT_ERROR;
	}
	return rc;
}
