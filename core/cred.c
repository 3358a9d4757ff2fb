/*
 * cred.c: credentials for git remotes (cred.h): git's credential helpers
 * through `git credential`, and ssh key passphrases.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cred.h"
#include "escape.h"
#include "run.h"
#include "../store/remote.h"

/* How much of the first line git credential fill wrote on stderr a
   message shows. */
#define CRED_ERRLINE_MAX	200

static char *(*cred_prompt)(const char *);
/* The last passphrase given and its key: a sync fetches and pushes,
   two connections, and asks once. Memory only, until cred_forget. */
static char *cred_key_path, *cred_key_pass;

void
cred_set_prompt(char *(*prompt)(const char *))
{
	cred_prompt = prompt;
}

/*
 * Run `git [-C dir] credential ACTION` with input; the caller
 * run_result_free's res. Its output may hold a password (RUN_SECRET), and
 * only its stdout is an answer: git passes its helpers' stderr through
 * as its own, where a helper's debugging or a stray "password=" line
 * would otherwise be parsed (RUN_STDERR_APART). GIT_TERMINAL_PROMPT=0:
 * git runs in a process group of its own, where reading the terminal
 * would stop it, and the UI owns the terminal anyway.
 */
static int
cred_git(const char *dir, const char *action, const char *input,
    struct run_result *res, char **cause)
{
	char *argv[6], *env[] = { "GIT_TERMINAL_PROMPT=0", NULL };
	int n = 0;

	argv[n++] = "git";
	if (dir != NULL) {
		argv[n++] = "-C";
		argv[n++] = (char *)dir;
	}
	argv[n++] = "credential";
	argv[n++] = (char *)action;
	argv[n] = NULL;
	return run_argv_input(argv, env, input, strlen(input),
	    RUN_SECRET | RUN_STDERR_APART, CRED_HELPER_TIMEOUT_MS, res, cause);
}

/* The credential helpers' protocol refuses values with a newline. */
static int
cred_value_ok(const char *v)
{
	return v != NULL && strchr(v, '\n') == NULL;
}

/*
 * Why git credential fill failed, for the operator: the first line it (or
 * a helper) wrote on stderr, cut at CRED_ERRLINE_MAX bytes and escaped,
 * or NULL. A "password=" line is never shown: a helper may echo its
 * answer there.
 */
static char *
cred_errline(const struct buf *err)
{
	const char *p = err->data != NULL ? err->data : "";
	char *line, *e;
	size_t n, cut;

	for (; *p != '\0'; p += n + (p[n] != '\0')) {
		n = strcspn(p, "\n");
		if (n == 0 || str_startswith(p, "password="))
			continue;
		line = xstrndup(p, n);
		if ((cut = n) > CRED_ERRLINE_MAX) {
			/* Not in the middle of a UTF-8 character. */
			cut = CRED_ERRLINE_MAX;
			while (cut > 0 &&
			    ((unsigned char)line[cut] & 0xc0) == 0x80)
				cut--;
			line[cut] = '\0';
		}
		e = esc_dup(line, 0);
		free_secret(line, n);
		return e;
	}
	return NULL;
}

static int
cred_fill(void *arg, const char *dir, const char *url, const char *user,
    char **user_out, char **pass_out, char **cause)
{
	struct run_result res;
	struct buf in;
	char *line, *next, *err = NULL, *how, *said;

	(void)arg;
	*user_out = *pass_out = NULL;
	if (!cred_value_ok(url) || (user != NULL && !cred_value_ok(user)))
		return set_cause(cause, "the server asks for a user and "
		    "password and the URL cannot be given to a credential "
		    "helper");
	buf_init(&in);
	buf_printf(&in, "url=%s\n", url);
	if (user != NULL && *user != '\0')
		buf_printf(&in, "username=%s\n", user);
	buf_adds(&in, "\n");
	if (cred_git(dir, "fill", in.data, &res, &err) != 0) {
		set_cause(cause, "the server asks for a user and password: "
		    "none in the URL, and git, whose credential helpers "
		    "would give one, cannot be run (%s)", err);
		free(err);
		buf_free(&in);
		return 1;
	}
	buf_free(&in);
	if (!run_ok(&res)) {
		how = run_describe(&res, CRED_HELPER_TIMEOUT_MS);
		said = cred_errline(&res.errout);
		set_cause(cause, "the server asks for a user and password: "
		    "none in the URL, and no git credential helper gave one "
		    "(git credential fill %s%s%s; set one up with git config "
		    "credential.helper)", how, said != NULL ? ": " : "",
		    said != NULL ? said : "");
		free(said);
		free(how);
		run_result_free(&res);
		return 1;
	}
	for (line = res.output.data; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (str_startswith(line, "username=") && *user_out == NULL)
			*user_out = xstrdup(line + 9);
		else if (str_startswith(line, "password=") &&
		    *pass_out == NULL)
			*pass_out = xstrdup(line + 9);
	}
	run_result_free(&res);
	if (*user_out != NULL && *pass_out != NULL)
		return 0;
	set_cause(cause, "the server asks for a user and password, and git "
	    "credential fill gave no %s", *user_out == NULL ? "user" :
	    "password");
	free(*user_out);
	if (*pass_out != NULL)
		free_secret(*pass_out, strlen(*pass_out));
	*user_out = *pass_out = NULL;
	return 1;
}

/* Tell the helpers what became of fill's answer, as git does: approve
   stores it, reject erases it. Their failure changes nothing here. */
static void
cred_verdict(void *arg, const char *dir, const char *url, const char *user,
    const char *pass, int ok)
{
	struct run_result res;
	struct buf in;
	char *err = NULL;

	(void)arg;
	if (!cred_value_ok(url) || !cred_value_ok(user) ||
	    !cred_value_ok(pass))
		return;
	/* One buf_printf into an empty buf is one allocation: no copy of
	   the password is left in a block it outgrew. */
	buf_init(&in);
	buf_printf(&in, "url=%s\nusername=%s\npassword=%s\n\n", url, user,
	    pass);
	if (cred_git(dir, ok ? "approve" : "reject", in.data, &res,
	    &err) != 0)
		free(err);
	run_result_free(&res);
	free_secret(in.data, in.len);
}

#define CRED_OPENSSH_BEGIN	"-----BEGIN OPENSSH PRIVATE KEY-----"
#define CRED_OPENSSH_MAGIC	"openssh-key-v1"

int
cred_ssh_key_encrypted(const char *path, char **cause)
{
	EVP_ENCODE_CTX *ctx;
	unsigned char bin[3 * 180 / 4 + 3];	/* what 180 characters decode to,
						   and EVP_DecodeFinal's rest */
	char *data = NULL, *p, *end;
	size_t len, namelen;
	int n = 0, fin = 0, enc = 0, m = (int)sizeof CRED_OPENSSH_MAGIC;

	/* An ssh key file is read, and decoded in part, as a secret:
	   it is when it is not encrypted. */
	if (read_file(path, 64 * 1024, &data, &len, cause) != 0)
		return -1;
	if (strstr(data, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
	    strstr(data, "Proc-Type: 4,ENCRYPTED") != NULL)
		enc = 1;
	else if ((p = strstr(data, CRED_OPENSSH_BEGIN)) != NULL) {
		/* The cipher's name follows the magic: "none" or not.
		   The first 128 bytes decoded hold both. */
		p += strlen(CRED_OPENSSH_BEGIN);
		end = strstr(p, "-----END");
		if (end != NULL && end - p > 180)
			end = p + 180;
		ctx = EVP_ENCODE_CTX_new();
		EVP_DecodeInit(ctx);
		if (end == NULL || EVP_DecodeUpdate(ctx, bin, &n,
		    (unsigned char *)p, (int)(end - p)) < 0)
			n = 0;
		else if (EVP_DecodeFinal(ctx, bin + n, &fin) >= 0)
			n += fin;
		EVP_ENCODE_CTX_free(ctx);
		if (n < m + 4 ||
		    memcmp(bin, CRED_OPENSSH_MAGIC, (size_t)m) != 0)
			enc = -1;
		else {
			namelen = (size_t)bin[m] << 24 |
			    (size_t)bin[m + 1] << 16 |
			    (size_t)bin[m + 2] << 8 | bin[m + 3];
			enc = !(namelen == 4 && n >= m + 8 &&
			    memcmp(bin + m + 4, "none", 4) == 0);
		}
		explicit_bzero(bin, sizeof bin);
	}
	free_secret(data, len);
	if (enc < 0)
		return set_cause(cause, "%s: not an ssh private key certdeck "
		    "can read", path);
	return enc;
}

static int
cred_key_passphrase(void *arg, const char *path, char **pass, char **cause)
{
	char *q;
	int enc;

	(void)arg;
	*pass = NULL;
	if ((enc = cred_ssh_key_encrypted(path, cause)) <= 0)
		return enc;
	if (cred_key_path != NULL && strcmp(cred_key_path, path) == 0) {
		*pass = xstrdup(cred_key_pass);
		return 1;
	}
	if (cred_prompt == NULL) {
		set_cause(cause, "ssh key %s needs a passphrase and there is "
		    "no terminal to ask on", path);
		return 2;
	}
	q = xasprintf("passphrase for ssh key %s: ", path);
	*pass = cred_prompt(q);
	free(q);
	if (*pass == NULL) {
		set_cause(cause, "ssh key %s needs a passphrase: there is no "
		    "terminal to ask on, or none was typed", path);
		return 2;
	}
	cred_forget();
	cred_key_path = xstrdup(path);
	cred_key_pass = xstrdup(*pass);
	return 1;
}

void
cred_forget(void)
{
	if (cred_key_pass != NULL)
		free_secret(cred_key_pass, strlen(cred_key_pass));
	free(cred_key_path);
	cred_key_pass = cred_key_path = NULL;
}

void
cred_install(void)
{
	static const struct repo_auth auth = {
		cred_fill, cred_verdict, cred_key_passphrase, NULL
	};

	repo_set_auth(&auth);
}
