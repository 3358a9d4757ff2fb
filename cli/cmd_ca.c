/*
 * cmd_ca.c: the local CA commands: ca init, ca crl, issue, revoke; and the
 * passphrase, PKCS#11 PIN and ssh key prompts the commands that need a
 * key install.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ca.h"
#include "cli.h"
#include "cred.h"
#include "escape.h"
#include "hsm.h"
#include "inventory.h"

/*
 * Ask for a secret on the terminal, without echo; NULL when there is no
 * terminal (a script gets the CERTDECK_PASSPHRASE_FILE or
 * CERTDECK_PKCS11_PIN_FILE error instead of a hang). The answer is the
 * caller's to free_secret.
 */
static char *
cli_ask_secret(const char *prompt)
{
	struct termios old, quiet;
	char line[1024];
	size_t plen = strlen(prompt);
	int fd, n = 0, ok;
	ssize_t r;
	char c;

	if (!isatty(STDIN_FILENO) ||
	    (fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return NULL;
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return NULL;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	ok = write(fd, prompt, plen) == (ssize_t)plen;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	while (ok && (r = read(fd, &c, 1)) == 1 && c != '\n' &&
	    n < (int)sizeof line - 1)
		line[n++] = c;
	line[n] = '\0';
	tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	if (n == 0)
		return NULL;
	{
		char *p = xstrdup(line);

		explicit_bzero(line, sizeof line);
		return p;
	}
}

/* The key passphrase, for inv_set_passphrase_prompt. */
static char *
cli_pass_prompt(void)
{
	return cli_ask_secret("certdeck: key passphrase: ");
}

/* The token's label is the token's to choose: escaped. */
static char *
cli_pin_prompt(const char *token)
{
	char *t = esc_dup(token, !esc_locale_utf8());
	char *prompt = xasprintf("certdeck: PIN of PKCS#11 token %s: ", t);
	char *pin = cli_ask_secret(prompt);

	free(prompt);
	free(t);
	return pin;
}

/* An ssh key's passphrase, for cred_set_prompt; the question names a
   file: escaped. */
static char *
cli_cred_prompt(const char *question)
{
	char *e = esc_dup(question, !esc_locale_utf8());
	char *q = xasprintf("certdeck: %s", e), *a;

	free(e);

	a = cli_ask_secret(q);
	free(q);
	return a;
}

void
cli_passphrase_setup(void)
{
	inv_set_passphrase_prompt(cli_pass_prompt);
	hsm_set_pin_prompt(cli_pin_prompt);
}

void
cli_cred_setup(void)
{
	cred_set_prompt(cli_cred_prompt);
}

int
cli_passphrase_fd(struct cli *cli, const char *arg)
{
	char *end, *data = NULL, *err = NULL;
	long fd;

	fd = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || fd < 0 || fd > 65535) {
		cli_error(cli, "--passphrase-fd %s: not a file descriptor", arg);
		return -1;
	}
	if (read_secret_fd((int)fd, &data, &err) != 0) {
		cli_error(cli, "--passphrase-fd %s: %s", arg, err);
		free(err);
		return -1;
	}
	/* Read once, and closed: a renew or reload command run later must
	   not inherit it (a file would read again through /proc). */
	if (fd > 2)
		close((int)fd);
	inv_set_passphrase(data);
	free_secret(data, strlen(data));
	return 0;
}

/* A whole number from min to max for option opt; -1 on error. */
static int
num_arg(struct cli *cli, const char *opt, const char *s, int min, int max,
    int *out)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < min || n > max) {
		cli_error(cli, "%s %s: must be a number from %d to %d", opt, s,
		    min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
ca_init(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "parent", required_argument, NULL, 'p' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "key-in", required_argument, NULL, 'K' },
		{ "days", required_argument, NULL, 'd' },
		{ "subject", required_argument, NULL, 's' },
		{ "pathlen", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	struct inv_ca_init_opts o;
	struct inv *inv;
	char *err = NULL;
	int ch, rc;

	memset(&o, 0, sizeof o);
	o.pathlen = -1;
	optind = 1;
	while ((ch = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'p':
			o.parent = optarg;
			break;
		case 'k':
			o.key_type = optarg;
			break;
		case 'K':
			o.key_in = optarg;
			break;
		case 'd':
			if (num_arg(cli, "--days", optarg, 1, 36500,
			    &o.days) != 0)
				return EXIT_ERROR;
			break;
		case 's':
			o.subject = optarg;
			break;
		case 'l':
			if (num_arg(cli, "--pathlen", optarg, 0, 16,
			    &o.pathlen) != 0)
				return EXIT_ERROR;
			break;
		default:
			cmd_usage(cmd_find("ca"), stderr);
			return EXIT_ERROR;
		}
	}
	if (optind != argc - 1) {
		cmd_usage(cmd_find("ca"), stderr);
		return EXIT_ERROR;
	}
	o.name = argv[optind];
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	rc = inv_ca_init(inv, &o, &err);
	if (rc != 0) {
		cli_error(cli, "%s", err);
		free(err);
	} else {
		printf("made CA ");
		out_text(cli, stdout, o.name);
		putchar('\n');
	}
	inv_close(inv);
	return rc != 0 ? EXIT_ERROR : 0;
}

static int
ca_crl(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "days", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct inv *inv;
	char *err = NULL;
	int ch, rc, days = 7;

	optind = 1;
	while ((ch = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		if (ch != 'd' || num_arg(cli, "--days", optarg, 1, 3650,
		    &days) != 0) {
			if (ch != 'd')
				cmd_usage(cmd_find("ca"), stderr);
			return EXIT_ERROR;
		}
	}
	if (optind != argc - 1) {
		cmd_usage(cmd_find("ca"), stderr);
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	rc = inv_ca_crl(inv, argv[optind], days, &err);
	if (rc != 0) {
		cli_error(cli, "%s", err);
		free(err);
	} else {
		printf("wrote cas/");
		out_text(cli, stdout, argv[optind]);
		printf("/crl.pem\n");
	}
	inv_close(inv);
	return rc != 0 ? EXIT_ERROR : 0;
}

int
cmd_ca(struct cli *cli, int argc, char **argv)
{
	cli_passphrase_setup();
	/* Errors name the subcommand: "certdeck: ca init: ..." */
	if (argc >= 2 && strcmp(argv[1], "init") == 0) {
		cli->cmd = "ca init";
		return ca_init(cli, argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "crl") == 0) {
		cli->cmd = "ca crl";
		return ca_crl(cli, argc - 1, argv + 1);
	}
	cmd_usage(cmd_find("ca"), stderr);
	return EXIT_ERROR;
}

int
cmd_issue(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'a' },
		{ "cn", required_argument, NULL, 'c' },
		{ "san", required_argument, NULL, 's' },
		{ "days", required_argument, NULL, 'd' },
		{ "hours", required_argument, NULL, 'h' },
		{ "server", no_argument, NULL, 'S' },
		{ "client", no_argument, NULL, 'C' },
		{ "both", no_argument, NULL, 'B' },
		{ "name", required_argument, NULL, 'n' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "key-in", required_argument, NULL, 'K' },
		{ "owner", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct inv_issue_opts o;
	struct inv *inv;
	char *err = NULL, *name = NULL;
	int ch, rc;

	cli_passphrase_setup();
	memset(&o, 0, sizeof o);
	while ((ch = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'a':
			o.ca = optarg;
			break;
		case 'c':
			o.cn = optarg;
			break;
		case 's':
			o.sans = optarg;
			break;
		case 'd':
			if (num_arg(cli, "--days", optarg, 1, 36500,
			    &o.days) != 0)
				return EXIT_ERROR;
			break;
		case 'h':
			if (num_arg(cli, "--hours", optarg, 1, 876000,
			    &o.hours) != 0)
				return EXIT_ERROR;
			break;
		case 'S':
			o.usage = CA_USE_SERVER;
			break;
		case 'C':
			o.usage = CA_USE_CLIENT;
			break;
		case 'B':
			o.usage = CA_USE_SERVER | CA_USE_CLIENT;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'k':
			o.key_type = optarg;
			break;
		case 'K':
			o.key_in = optarg;
			break;
		case 'o':
			o.owner = optarg;
			break;
		default:
			cmd_usage(cmd_find("issue"), stderr);
			return EXIT_ERROR;
		}
	}
	if (optind != argc || o.ca == NULL || o.cn == NULL) {
		cmd_usage(cmd_find("issue"), stderr);
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	rc = inv_issue(inv, &o, &name, &err);
	if (rc != 0) {
		cli_error(cli, "%s", err);
		free(err);
	} else {
		printf("issued ");
		out_text(cli, stdout, name);
		putchar('\n');
	}
	free(name);
	inv_close(inv);
	return rc != 0 ? EXIT_ERROR : 0;
}

int
cmd_revoke(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct inv *inv;
	const char *reason = NULL;
	char *err = NULL;
	int ch, rc = 0, i;

	while ((ch = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		if (ch != 'r') {
			cmd_usage(cmd_find("revoke"), stderr);
			return EXIT_ERROR;
		}
		reason = optarg;
	}
	if (optind >= argc) {
		cmd_usage(cmd_find("revoke"), stderr);
		return EXIT_ERROR;
	}
	if (cli_open(cli, &inv) != 0)
		return EXIT_ERROR;
	/* Each entry on its own: one refused does not stop the rest. */
	for (i = optind; i < argc; i++) {
		if (inv_revoke(inv, argv[i], reason, &err) != 0) {
			cli_error(cli, "%s", err);
			free(err);
			err = NULL;
			rc = EXIT_PROBLEMS;
			continue;
		}
		printf("revoked ");
		out_text(cli, stdout, argv[i]);
		putchar('\n');
	}
	inv_close(inv);
	return rc;
}
