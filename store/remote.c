/*
 * remote.c: remotes, fetch, push and clone through libgit2, and the
 * pieces of a sync (remote.h). Replayed commits are built with
 * git_tree_create_updated from the new parent's tree plus the changed
 * paths, so, like repo_commit, a replay costs what changed.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <stdarg.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <libssh2.h>

#include "remote.h"
#include "repopriv.h"
#include "util.h"

/*
 * How many times libgit2 may ask for credentials in one connection before
 * we give up: it asks again after every refusal, for ever.
 */
#define REMOTE_CRED_TRIES	8
#define REMOTE_IDLE_DEFAULT_S	60	/* certdeck.timeout */

static struct repo_auth remote_auth;

void
repo_set_auth(const struct repo_auth *a)
{
	if (a != NULL)
		remote_auth = *a;
	else
		memset(&remote_auth, 0, sizeof remote_auth);
}

/* One fetch, push or clone: its settings and what its callbacks saw. */
struct remote_cb {
	const char	*url;		/* as configured: may hold a password */
	const char	*dir;		/* the repository's work tree, or NULL */
	char		*ssh_key;	/* certdeck.sshKey, or NULL */
	char		*known_hosts;	/* certdeck.sshKnownHosts, or NULL */
	int		 tries;
	int		 agent_tried;
	int		 agent_used;
	int		 key_unlocked;	/* key_used was given a passphrase */
	int		 key;		/* next key file to offer */
	char		*key_used;	/* the key file offered last */
	char		*user, *pass;	/* what fill gave, for its verdict */
	char		*why;		/* the reason we stopped, for the person */
	char		*skipped;	/* a key we could not unlock, and why */
	char		*rejected;	/* first refused ref update, for push */
	int		 tls_refused;	/* libgit2's words say why */
	long		 idle_s;	/* certdeck.timeout: silence allowed */
	timer_t		 timer;		/* SIGALRM to this thread on silence */
	int		 timer_on;
};

/*
 * A remote that stops answering: libgit2 1.5 has no network timeout, and a
 * server that accepts and then says nothing held a sync (a cron job, the
 * UI's Y) for ever. A timer of this thread's own sends it SIGALRM after
 * idle_s seconds without progress, and every second after that: the
 * blocking read or connect returns EINTR, which libgit2 and libssh2 take
 * as a failure. Any progress re-arms it; a credential prompt stops it.
 */
static volatile sig_atomic_t remote_silent;

static void
remote_alarm(int sig)
{
	(void)sig;
	remote_silent = 1;
}

static void
remote_watch(struct remote_cb *cb, int on)
{
	struct itimerspec its;

	if (!cb->timer_on)
		return;
	memset(&its, 0, sizeof its);
	if (on) {
		its.it_value.tv_sec = cb->idle_s;
		its.it_interval.tv_sec = 1;
	}
	timer_settime(cb->timer, 0, &its, NULL);
}

static void
remote_watch_start(struct remote_cb *cb)
{
	struct sigaction sa;
	struct sigevent sev;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = remote_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;		/* no SA_RESTART: reads end in EINTR */
	sigaction(SIGALRM, &sa, NULL);
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGALRM;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	remote_silent = 0;
	if (timer_create(CLOCK_MONOTONIC, &sev, &cb->timer) != 0)
		return;
	cb->timer_on = 1;
	remote_watch(cb, 1);
}

static void
remote_checkout_progress(const char *path, size_t done, size_t total,
    void *payload)
{
	(void)path;
	(void)done;
	(void)total;
	remote_watch(payload, 1);
}

/* Progress of any kind: the remote is talking. */
static int
remote_alive(struct remote_cb *cb)
{
	if (remote_silent)
		return -1;
	remote_watch(cb, 1);
	return 0;
}

static int
remote_sideband(const char *str, int len, void *payload)
{
	(void)str;
	(void)len;
	return remote_alive(payload);
}

static int
remote_transfer(const git_indexer_progress *stats, void *payload)
{
	(void)stats;
	return remote_alive(payload);
}

static int
remote_push_transfer(unsigned int current, unsigned int total,
    size_t bytes, void *payload)
{
	(void)current;
	(void)total;
	(void)bytes;
	return remote_alive(payload);
}

static int
remote_pack_progress(int stage, uint32_t current, uint32_t total,
    void *payload)
{
	(void)stage;
	(void)current;
	(void)total;
	return remote_alive(payload);
}

static void
remote_why(struct remote_cb *cb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
remote_why(struct remote_cb *cb, const char *fmt, ...)
{
	va_list ap;

	free(cb->why);
	va_start(ap, fmt);
	cb->why = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Where "scheme://" ends and the authority [user[:pass]@]host[:port]
   starts and ends; 0 if url has no authority (a path, user@host:path). */
static int
remote_authority(const char *url, const char **start, const char **end)
{
	const char *p = strstr(url, "://");

	if (p == NULL || strcspn(url, "/") < (size_t)(p - url))
		return 0;
	*start = p + 3;
	*end = *start + strcspn(*start, "/");
	return 1;
}

/* Where the password of url starts (after "user:") and ends (at "@");
   0 if it has none. */
static int
remote_password(const char *url, const char **pass, const char **end)
{
	const char *a, *e, *at = NULL, *p;

	if (!remote_authority(url, &a, &e))
		return 0;
	for (p = a; p < e; p++)
		if (*p == '@')
			at = p;
	if (at == NULL || (p = memchr(a, ':', (size_t)(at - a))) == NULL)
		return 0;
	*pass = p + 1;
	*end = at;
	return 1;
}

char *
repo_url_redact(const char *url)
{
	const char *p, *e;

	if (!remote_password(url, &p, &e))
		return xstrdup(url);
	return xasprintf("%.*s***%s", (int)(p - url), url, e);
}

/* The URL without its password (caller frees): for credential helpers. */
static char *
remote_url_nopass(const char *url)
{
	const char *p, *e;

	if (!remote_password(url, &p, &e))
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(p - 1 - url), url, e);
}

/*
 * libgit2's last message with the URL's password, where it quotes it,
 * as ***: its URL parser quotes a URL it rejects whole, and repo_gerr
 * adds libgit2's message to ours.
 */
static void
remote_gerr_redact(const char *url)
{
	const git_error *e = git_error_last();
	const char *p, *end, *m, *hit;
	char *pass;
	struct buf b;
	size_t plen;
	int klass;

	if (e == NULL || e->message == NULL ||
	    !remote_password(url, &p, &end) || end == p)
		return;
	plen = (size_t)(end - p);
	pass = xstrndup(p, plen);
	if (strstr(e->message, pass) != NULL) {
		buf_init(&b);
		for (m = e->message; (hit = strstr(m, pass)) != NULL;
		    m = hit + plen) {
			buf_add(&b, m, (size_t)(hit - m));
			buf_adds(&b, "***");
		}
		buf_adds(&b, m);
		klass = e->klass;
		git_error_set_str(klass, b.data);
		buf_free(&b);
	}
	free_secret(pass, plen);
}

static int
remote_url_has_password(const char *url)
{
	const char *p, *e;

	return remote_password(url, &p, &e);
}
/* The port of an ssh URL (22 for user@host:path). */
static int
remote_ssh_port(const char *url)
{
	const char *a, *e, *p, *colon = NULL;
	long port;

	if (!remote_authority(url, &a, &e))
		return 22;
	for (p = a; p < e; p++) {
		if (*p == '@')
			colon = NULL;
		else if (*p == ']')
			colon = NULL;
		else if (*p == ':')
			colon = p;
	}
	if (colon == NULL || colon + 1 == e)
		return 22;
	port = strtol(colon + 1, NULL, 10);
	return port > 0 && port < 65536 ? (int)port : 22;
}

static const char *
remote_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && *home != '\0')
		return home;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_dir : "/";
}

static const char *const remote_keys[] = {
	"id_ed25519", "id_ecdsa", "id_rsa", NULL
};

/* Offer key file priv, unlocked through remote_auth when it needs it:
   0 offered, 1 skipped (cb->skipped says why), -1 error. */
static int
remote_offer_key(git_credential **out, struct remote_cb *cb,
    const char *user, const char *priv)
{
	char *pub, *pass = NULL, *err = NULL;
	int need = 0, rc;

	if (remote_auth.key_passphrase != NULL) {
		need = remote_auth.key_passphrase(remote_auth.arg, priv, &pass,
		    &err);
		if (need == 2 || need < 0) {
			free(cb->skipped);
			cb->skipped = err != NULL ? err : xasprintf("%s: needs "
			    "a passphrase", priv);
			return 1;
		}
		free(err);
	}
	pub = xasprintf("%s.pub", priv);
	rc = git_credential_ssh_key_new(out, user,
	    access(pub, R_OK) == 0 ? pub : NULL, priv, pass);
	free(pub);
	if (pass != NULL)
		free_secret(pass, strlen(pass));
	free(cb->key_used);
	cb->key_used = xstrdup(priv);
	cb->key_unlocked = need == 1;
	return rc == 0 ? 0 : -1;
}

/*
 * ssh: the agent first, then the configured key file or the usual ones.
 * Each is offered once: libgit2 asks again after every refusal.
 */
static int
remote_cred_ssh(git_credential **out, struct remote_cb *cb, const char *user)
{
	char *priv;
	int rc;

	if (!cb->agent_tried) {
		cb->agent_tried = 1;
		if (getenv("SSH_AUTH_SOCK") != NULL) {
			cb->agent_used = 1;
			return git_credential_ssh_key_from_agent(out, user);
		}
	}
	if (cb->ssh_key != NULL) {
		if (cb->key++ == 0) {
			if (access(cb->ssh_key, R_OK) != 0) {
				remote_why(cb, "certdeck.sshKey %s: %s",
				    cb->ssh_key, strerror(errno));
				return GIT_EUSER;
			}
			if ((rc = remote_offer_key(out, cb, user,
			    cb->ssh_key)) <= 0)
				return rc;
		}
	} else {
		/* Each key once, asked again or not: cb->key moves on. */
		while (remote_keys[cb->key] != NULL) {
			priv = xasprintf("%s/.ssh/%s", remote_home(),
			    remote_keys[cb->key++]);
			if (access(priv, R_OK) != 0) {
				free(priv);
				continue;
			}
			rc = remote_offer_key(out, cb, user, priv);
			free(priv);
			if (rc <= 0)
				return rc;
		}
	}
	if (cb->skipped != NULL)
		remote_why(cb, "the ssh server accepted no key offered; %s "
		    "(or add the key to the ssh agent: ssh-add)", cb->skipped);
	else if (!cb->agent_used && cb->key_used == NULL)
		remote_why(cb, "no ssh key to offer: no ssh agent "
		    "(SSH_AUTH_SOCK) and no key file (~/.ssh/id_ed25519, "
		    "id_ecdsa, id_rsa, or git config certdeck.sshKey)");
	else
		remote_why(cb, "the ssh server refused the keys offered "
		    "(%s%s%s%s)", cb->agent_used ? "the ssh agent's" : "",
		    cb->agent_used && cb->key_used != NULL ? ", then " : "",
		    cb->key_used != NULL ? cb->key_used : "",
		    cb->key_unlocked ? ", with the passphrase given: a "
		    "wrong one?" : "");
	return GIT_EUSER;
}

/*
 * https: libgit2 tries a user and password in the URL itself; we are
 * asked only when there are none or they were refused. Then remote_auth's
 * fill (git's credential helpers), once: asked again means refused.
 */
static int
remote_cred_http(git_credential **out, struct remote_cb *cb,
    const char *user)
{
	char *plain, *err = NULL;
	int r;

	plain = remote_url_nopass(cb->url);
	if (cb->pass != NULL) {
		if (remote_auth.verdict != NULL)
			remote_auth.verdict(remote_auth.arg, cb->dir, plain,
			    cb->user, cb->pass, 0);
		remote_why(cb, "the server refused the user and password "
		    "from git's credential helper (%s; told the helper to "
		    "forget them)", cb->user);
		free(plain);
		return GIT_EUSER;
	}
	if (remote_url_has_password(cb->url)) {
		remote_why(cb, "the server refused the user and password in "
		    "the URL");
		free(plain);
		return GIT_EUSER;
	}
	/* git asks its helpers for http(s) only; an ssh server that wants
	   a password gets none of theirs. */
	if (strncmp(cb->url, "https://", 8) != 0 &&
	    strncmp(cb->url, "http://", 7) != 0) {
		remote_why(cb, "the ssh server asks for a password; certdeck "
		    "offers ssh keys only");
		free(plain);
		return GIT_EUSER;
	}
	if (remote_auth.fill == NULL) {
		remote_why(cb, "the server asks for a user and password and "
		    "the URL has none");
		free(plain);
		return GIT_EUSER;
	}
	r = remote_auth.fill(remote_auth.arg, cb->dir, plain, user,
	    &cb->user, &cb->pass, &err);
	free(plain);
	if (r != 0) {
		remote_why(cb, "%s", err != NULL ? err : "no credentials");
		free(err);
		return GIT_EUSER;
	}
	return git_credential_userpass_plaintext_new(out, cb->user, cb->pass);
}

static int
remote_cred_ask(git_credential **out, const char *user_from_url,
    unsigned int allowed, struct remote_cb *cb)
{
	struct passwd *pw;
	const char *user = user_from_url;

	if (++cb->tries > REMOTE_CRED_TRIES) {
		remote_why(cb, "authentication failed %d times", cb->tries - 1);
		return GIT_EUSER;
	}
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT &&
	    !(allowed & GIT_CREDENTIAL_SSH_KEY))
		return remote_cred_http(out, cb, user_from_url);
	if (user == NULL || *user == '\0') {
		pw = getpwuid(getuid());
		user = pw != NULL ? pw->pw_name : "git";
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return remote_cred_ssh(out, cb, user);
	remote_why(cb, "the server asks for a kind of authentication certdeck "
	    "does not offer");
	return GIT_EUSER;
}

static int
remote_cred(git_credential **out, const char *url, const char *user_from_url,
    unsigned int allowed, void *payload)
{
	struct remote_cb *cb = payload;
	int rc;

	(void)url;
	/* A person may be asked: their time is not the remote's silence. */
	remote_watch(cb, 0);
	rc = remote_cred_ask(out, user_from_url, allowed, cb);
	remote_watch(cb, 1);
	return rc;
}

/* Whether NAME is a valid remote name. */
static int
remote_name_ok(const char *name)
{
	int valid = 0;

	if (git_remote_name_is_valid(&valid, name) != 0) {
		git_error_clear();
		return 0;
	}
	return valid;
}

/* libssh2's known-host key type for the host key libgit2 saw. */
static int
remote_hostkey_type(git_cert_ssh_raw_type_t t)
{
	switch (t) {
	case GIT_CERT_SSH_RAW_TYPE_RSA:
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case GIT_CERT_SSH_RAW_TYPE_DSS:
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519:
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default:
		return 0;
	}
}

/*
 * The ssh server's host key must be in the known_hosts file, for this
 * host and port: our own check (libssh2's parser, so hashed names and
 * [host]:port work) rather than libgit2's, which reads only
 * ~/.ssh/known_hosts and cannot tell an unknown key from a changed one.
 */
static int
remote_hostkey_check(struct remote_cb *cb, const git_cert_hostkey *hk,
    const char *host)
{
	LIBSSH2_SESSION *s = NULL;
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	struct libssh2_knownhost *found = NULL;
	char *file, *where;
	int port = remote_ssh_port(cb->url), type, check, rc = GIT_ECERTIFICATE;

	file = cb->known_hosts != NULL ? xstrdup(cb->known_hosts) :
	    xasprintf("%s/.ssh/known_hosts", remote_home());
	where = port == 22 ? xstrdup(host) : xasprintf("[%s]:%d", host, port);
	type = (hk->type & GIT_CERT_SSH_RAW) ?
	    remote_hostkey_type(hk->raw_type) : 0;
	if (type == 0) {
		remote_why(cb, "ssh host key of %s: a kind certdeck cannot "
		    "check", where);
		goto out;
	}
	if ((s = libssh2_session_init()) == NULL ||
	    (kh = libssh2_knownhost_init(s)) == NULL) {
		remote_why(cb, "cannot check the ssh host key of %s", where);
		goto out;
	}
	if (access(file, F_OK) == 0 && libssh2_knownhost_readfile(kh, file,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
		remote_why(cb, "cannot read known hosts file %s (a line "
		    "libssh2 cannot parse?)", file);
		goto out;
	}
	check = libssh2_knownhost_checkp(kh, host, port, hk->hostkey,
	    hk->hostkey_len, LIBSSH2_KNOWNHOST_TYPE_PLAIN |
	    LIBSSH2_KNOWNHOST_KEYENC_RAW | type, &found);
	switch (check) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		rc = 0;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		remote_why(cb, "the ssh host key of %s does not match the one "
		    "in %s: it changed, or someone is in between; refusing "
		    "to connect", where, file);
		break;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		remote_why(cb, "the ssh host key of %s is not in %s: check "
		    "the server's key and add it there (ssh does, after "
		    "asking, or git config certdeck.sshKnownHosts FILE)",
		    where, file);
		break;
	default:
		remote_why(cb, "cannot check the ssh host key of %s against "
		    "%s", where, file);
		break;
	}
out:
	if (kh != NULL)
		libssh2_knownhost_free(kh);
	if (s != NULL)
		libssh2_session_free(s);
	free(where);
	free(file);
	return rc;
}

static int
remote_cert_check(git_cert *cert, int valid, const char *host, void *payload)
{
	struct remote_cb *cb = payload;

	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
		return remote_hostkey_check(cb, (const git_cert_hostkey *)cert,
		    host);
	if (valid)
		return 0;
	/* libgit2's message says what is wrong (remote_fail). */
	remote_why(cb, "the TLS certificate of %s is not trusted", host);
	cb->tls_refused = 1;
	return GIT_PASSTHROUGH;
}

static int
remote_push_ref(const char *refname, const char *status, void *payload)
{
	struct remote_cb *cb = payload;

	if (status != NULL && cb->rejected == NULL)
		cb->rejected = xasprintf("%s: %s", refname, status);
	return 0;
}

/* A path setting from git's config (~ expanded), or NULL. */
static char *
remote_setting(git_config *cfg, const char *key)
{
	git_buf b = GIT_BUF_INIT;
	char *v = NULL;

	if (cfg != NULL && git_config_get_path(&b, cfg, key) == 0 &&
	    b.ptr != NULL && *b.ptr != '\0')
		v = xstrdup(b.ptr);
	git_error_clear();
	git_buf_dispose(&b);
	return v;
}

/*
 * Callbacks and settings for talking to url, from git (the repository's
 * config, else the user's). The TLS trust store is process-wide in
 * libgit2: it is set here for https URLs when the config names one.
 */
static int
remote_callbacks(git_remote_callbacks *rc, struct remote_cb *cb,
    git_repository *git, const char *url, char **cause)
{
	git_config *cfg = NULL;
	char *cafile = NULL, *capath = NULL;
	int32_t idle;
	int e, ret = 0;

	memset(cb, 0, sizeof *cb);
	cb->url = url;
	cb->dir = git != NULL ? git_repository_workdir(git) : NULL;
	git_remote_init_callbacks(rc, GIT_REMOTE_CALLBACKS_VERSION);
	rc->credentials = remote_cred;
	rc->certificate_check = remote_cert_check;
	rc->push_update_reference = remote_push_ref;
	rc->sideband_progress = remote_sideband;
	rc->transfer_progress = remote_transfer;
	rc->push_transfer_progress = remote_push_transfer;
	rc->pack_progress = remote_pack_progress;
	rc->payload = cb;
	e = git != NULL ? git_repository_config(&cfg, git) :
	    git_config_open_default(&cfg);
	if (e != 0) {
		git_error_clear();
		cfg = NULL;
	}
	cb->idle_s = REMOTE_IDLE_DEFAULT_S;
	if (cfg != NULL && git_config_get_int32(&idle, cfg,
	    "certdeck.timeout") == 0 && idle > 0)
		cb->idle_s = idle;
	git_error_clear();
	cb->ssh_key = remote_setting(cfg, "certdeck.sshKey");
	cb->known_hosts = remote_setting(cfg, "certdeck.sshKnownHosts");
	if (str_startswith(url, "https://")) {
		cafile = remote_setting(cfg, "http.sslCAInfo");
		capath = remote_setting(cfg, "http.sslCAPath");
	}
	if ((cafile != NULL || capath != NULL) &&
	    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, cafile,
	    capath) != 0)
		ret = repo_gerr(cause, "http.sslCAInfo %s: cannot use it",
		    cafile != NULL ? cafile : capath);
	free(capath);
	free(cafile);
	git_config_free(cfg);
	if (ret == 0)
		remote_watch_start(cb);
	return ret;
}

/* What the callbacks learnt: a verdict for fill's answer; then free. */
static void
remote_done(struct remote_cb *cb, int ok)
{
	char *plain;

	if (ok && cb->pass != NULL && remote_auth.verdict != NULL) {
		plain = remote_url_nopass(cb->url);
		remote_auth.verdict(remote_auth.arg, cb->dir, plain, cb->user,
		    cb->pass, 1);
		free(plain);
	}
	if (cb->timer_on)
		timer_delete(cb->timer);
	if (cb->pass != NULL)
		free_secret(cb->pass, strlen(cb->pass));
	free(cb->user);
	free(cb->ssh_key);
	free(cb->known_hosts);
	free(cb->key_used);
	free(cb->why);
	free(cb->skipped);
	free(cb->rejected);
	memset(cb, 0, sizeof *cb);
}

/*
 * The message for a failed fetch, push or clone: what, where (the URL
 * without its password), and why: our reason when a callback stopped
 * it, with libgit2's words after it where they add something.
 */
static int
remote_fail(char **cause, struct remote_cb *cb, const char *what)
{
	const git_error *e;
	char *url = repo_url_redact(cb->url), *msg;
	int rc;

	remote_gerr_redact(cb->url);
	e = git_error_last();
	if (remote_silent && cb->why == NULL)
		remote_why(cb, "the remote sent nothing for %ld s (git config "
		    "certdeck.timeout sets how long to wait)", cb->idle_s);

	if (cb->tls_refused) {
		msg = xstrdup(e != NULL && e->message != NULL ? e->message :
		    "invalid");
		git_error_clear();
		rc = set_cause(cause, "%s (%s): %s (%s); give its CA with git "
		    "config http.sslCAInfo FILE", what, url, cb->why, msg);
		free(msg);
	} else if (cb->why != NULL) {
		git_error_clear();
		rc = set_cause(cause, "%s (%s): %s", what, url, cb->why);
	} else if (cb->key_used != NULL && e != NULL && e->message != NULL &&
	    strstr(e->message, "passphrase") != NULL) {
		msg = xasprintf("%s (%s): ssh key %s", what, url, cb->key_used);
		rc = repo_gerr(cause, "%s", msg);
		free(msg);
	} else
		rc = repo_gerr(cause, "%s (%s)", what, url);
	free(url);
	return rc;
}

/*
 * Remotes are read and written in the repository's config directly, and
 * fetched through anonymous remotes with explicit refspecs: libgit2 1.5's
 * git_remote_lookup, git_remote_create and git_remote_list match config
 * names with regular expressions, and its git_regexp_match leaks its PCRE2
 * match data on every non-match (found by LeakSanitizer).
 */
static char *
remote_url(struct repo *r, const char *name)
{
	char *key, *url;

	if (!remote_name_ok(name))
		return NULL;
	key = xasprintf("remote.%s.url", name);
	url = repo_config_get(r, key);
	free(key);
	if (url != NULL && *url == '\0') {
		free(url);
		url = NULL;
	}
	return url;
}

int
repo_remote_add(struct repo *r, const char *name, const char *url,
    char **cause)
{
	git_config *cfg = NULL;
	char *old, *key = NULL, *spec = NULL;
	int rc = -1;

	if (!remote_name_ok(name))
		return set_cause(cause, "%s: not a valid remote name", name);
	if (*url == '\0')
		return set_cause(cause, "%s: empty URL", name);
	if ((old = remote_url(r, name)) != NULL) {
		key = repo_url_redact(old);
		set_cause(cause, "a remote named %s already exists (%s)", name,
		    key);
		free(key);
		free(old);
		return -1;
	}
	if (git_repository_config(&cfg, repo_git(r)) != 0)
		return repo_gerr(cause, "cannot read the git config");
	key = xasprintf("remote.%s.url", name);
	if (git_config_set_string(cfg, key, url) != 0) {
		repo_gerr(cause, "cannot add remote %s", name);
		goto out;
	}
	free(key);
	key = xasprintf("remote.%s.fetch", name);
	spec = xasprintf("+refs/heads/*:refs/remotes/%s/*", name);
	if (git_config_set_string(cfg, key, spec) != 0) {
		repo_gerr(cause, "cannot add remote %s", name);
		goto out;
	}
	rc = 0;
out:
	free(spec);
	free(key);
	git_config_free(cfg);
	return rc;
}

int
repo_remote_list(struct repo *r, repo_remote_cb cb, void *arg, char **cause)
{
	git_config *cfg = NULL, *snap = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	struct strv names, urls;
	const char *n;
	size_t i, len;
	int rc = -1;

	strv_init(&names);
	strv_init(&urls);
	if (git_repository_config(&cfg, repo_git(r)) != 0 ||
	    git_config_snapshot(&snap, cfg) != 0 ||
	    git_config_iterator_new(&it, snap) != 0) {
		repo_gerr(cause, "cannot list remotes");
		goto out;
	}
	while (git_config_next(&e, it) == 0) {
		n = e->name;
		len = strlen(n);
		if (!str_startswith(n, "remote.") || len <= 11 ||
		    strcmp(n + len - 4, ".url") != 0)
			continue;
		strv_addn(&names, xstrndup(n + 7, len - 11));
		strv_addn(&urls, repo_url_redact(e->value != NULL ?
		    e->value : ""));
	}
	git_error_clear();
	for (i = 0, rc = 0; i < names.n && rc == 0; i++)
		rc = cb(arg, names.v[i], urls.v[i]);
out:
	strv_free(&names);
	strv_free(&urls);
	git_config_iterator_free(it);
	git_config_free(snap);
	git_config_free(cfg);
	return rc;
}

int
repo_remote_exists(struct repo *r, const char *name, char **cause)
{
	char *url = remote_url(r, name);

	(void)cause;
	free(url);
	return url != NULL;
}

int
repo_branch(struct repo *r, char **name, char **cause)
{
	git_reference *head = NULL;
	const char *t;

	*name = NULL;
	if (git_reference_lookup(&head, repo_git(r), "HEAD") != 0)
		return repo_gerr(cause, "cannot read HEAD");
	if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC) {
		git_reference_free(head);
		return set_cause(cause, "HEAD is detached: check out a branch "
		    "(git checkout main) to sync");
	}
	t = git_reference_symbolic_target(head);
	if (!str_startswith(t, "refs/heads/")) {
		git_reference_free(head);
		return set_cause(cause, "HEAD points to %s, not a branch", t);
	}
	*name = xstrdup(t + strlen("refs/heads/"));
	git_reference_free(head);
	return 0;
}

/* Id of ref NAME: 1, 0 when absent, -1 error. */
static int
remote_ref(struct repo *r, const char *name, char tip[REPO_OID_HEX],
    char **cause)
{
	git_oid id;
	int e;

	tip[0] = '\0';
	e = git_reference_name_to_id(&id, repo_git(r), name);
	if (e == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (e != 0)
		return repo_gerr(cause, "cannot read %s", name);
	repo_hex(tip, &id);
	return 1;
}

int
repo_tracking(struct repo *r, const char *remote, const char *branch,
    char tip[REPO_OID_HEX], char **cause)
{
	char *ref = xasprintf("refs/remotes/%s/%s", remote, branch);
	int rc = remote_ref(r, ref, tip, cause);

	free(ref);
	return rc;
}

/*
 * A remote object for url (named: saved in the config, as clone wants),
 * without url.*.insteadOf rewriting: reading those is one more
 * regular-expression walk of the config (see remote_url).
 */
static int
remote_create(git_remote **rm, git_repository *git, const char *name,
    const char *url)
{
	git_remote_create_options o;

	git_remote_create_options_init(&o, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	o.repository = git;
	o.name = name;
	o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
	return git_remote_create_with_opts(rm, url, &o);
}

static int
remote_clone_cb(git_remote **rm, git_repository *git, const char *name,
    const char *url, void *payload)
{
	(void)payload;
	return remote_create(rm, git, name, url);
}

/* An anonymous remote for REMOTE's URL (see remote_url). */
static int
remote_lookup(struct repo *r, const char *remote, const char *verb,
    git_remote **rm, char **cause)
{
	char *url = remote_url(r, remote);
	int rc = 0;

	*rm = NULL;
	if (url == NULL)
		return set_cause(cause, "no remote named %s (add one with: "
		    "certdeck remote add %s URL)", remote, remote);
	/* A path: libgit2 calls a missing one an "unsupported URL
	   protocol". */
	if (url[0] == '/' || str_startswith(url, "file://")) {
		const char *path = url[0] == '/' ? url : url + 7;
		struct stat st;

		if (stat(path, &st) != 0) {
			rc = set_cause(cause, "cannot %s %s (%s): %s", verb,
			    remote, path, strerror(errno));
			free(url);
			return rc;
		}
	}
	if (remote_create(rm, repo_git(r), NULL, url) != 0) {
		char *shown = repo_url_redact(url);

		remote_gerr_redact(url);
		rc = repo_gerr(cause, "remote %s: bad URL %s", remote, shown);
		free(shown);
	}
	free(url);
	return rc;
}

int
repo_fetch(struct repo *r, const char *remote, const char *branch,
    char tip[REPO_OID_HEX], char **cause)
{
	git_fetch_options fo;
	git_remote *rm = NULL;
	git_strarray specs;
	struct remote_cb cb;
	char *msg, *spec;
	int e;

	tip[0] = '\0';
	if (remote_lookup(r, remote, "fetch from", &rm, cause) != 0)
		return -1;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	if (remote_callbacks(&fo.callbacks, &cb, repo_git(r),
	    git_remote_url(rm), cause) != 0) {
		remote_done(&cb, 0);
		git_remote_free(rm);
		return -1;
	}
	fo.prune = GIT_FETCH_NO_PRUNE;
	/* A redirect would get this host's credentials for another. */
	fo.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	msg = xasprintf("certdeck sync: fetch %s", remote);
	spec = xasprintf("+refs/heads/*:refs/remotes/%s/*", remote);
	specs.strings = &spec;
	specs.count = 1;
	e = git_remote_fetch(rm, &specs, &fo, msg);
	remote_watch(&cb, 0);
	free(spec);
	if (e != 0) {
		free(msg);
		msg = xasprintf("cannot fetch from %s", remote);
		remote_fail(cause, &cb, msg);
		free(msg);
		remote_done(&cb, 0);
		git_remote_free(rm);
		return -1;
	}
	free(msg);
	remote_done(&cb, 1);
	git_remote_free(rm);
	return repo_tracking(r, remote, branch, tip, cause);
}

int
repo_push(struct repo *r, const char *remote, const char *branch,
    const char *commit, char **cause)
{
	git_push_options po;
	git_remote *rm = NULL;
	git_strarray specs;
	git_reference *nr = NULL;
	struct remote_cb cb;
	git_oid id;
	char *spec = NULL, *ref, *tmpref = NULL;
	int e, rc = -1;

	memset(&cb, 0, sizeof cb);
	if (repo_parse_oid(commit, &id) != 0)
		return set_cause(cause, "bad commit id %s", commit);
	if (remote_lookup(r, remote, "push to", &rm, cause) != 0)
		return -1;
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	if (remote_callbacks(&po.callbacks, &cb, repo_git(r),
	    git_remote_url(rm), cause) != 0)
		goto out;
	po.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	/*
	 * Push the commit itself, not whatever the branch is by now:
	 * libgit2 pushes refs only, so through a ref of this process's own.
	 */
	tmpref = xasprintf("refs/certdeck/push-%ld", (long)getpid());
	if (git_reference_create(&nr, repo_git(r), tmpref, &id, 1,
	    "certdeck sync: push") != 0) {
		repo_gerr(cause, "cannot make %s", tmpref);
		goto out;
	}
	git_reference_free(nr);
	nr = NULL;
	spec = xasprintf("%s:refs/heads/%s", tmpref, branch);
	specs.strings = &spec;
	specs.count = 1;
	e = git_remote_push(rm, &specs, &po);
	remote_watch(&cb, 0);
	if (e == GIT_ENONFASTFORWARD) {
		repo_gerr(cause, "%s refused the push", remote);
		rc = 1;
	} else if (e != 0) {
		ref = xasprintf("cannot push to %s", remote);
		remote_fail(cause, &cb, ref);
		free(ref);
	} else if (cb.rejected != NULL) {
		set_cause(cause, "%s refused the push: %s", remote,
		    cb.rejected);
		rc = 1;
	} else {
		/* What we know the remote now holds. */
		ref = xasprintf("refs/remotes/%s/%s", remote, branch);
		if (git_reference_create(&nr, repo_git(r), ref, &id, 1,
		    "certdeck sync: push") != 0)
			git_error_clear();
		git_reference_free(nr);
		free(ref);
		rc = 0;
	}
out:
	if (tmpref != NULL && git_reference_remove(repo_git(r), tmpref) != 0)
		git_error_clear();
	free(tmpref);
	remote_done(&cb, rc == 0);
	free(spec);
	git_remote_free(rm);
	return rc;
}

/*
 * A bare repository made with `git init --bare` points its HEAD at its
 * default branch (often master), while certdeck pushes main: git_clone
 * then checks nothing out. Check out origin/main as main in that case.
 */
static int
remote_clone_main(git_repository *git, char **cause)
{
	git_checkout_options co;
	git_reference *br = NULL;
	git_config *cfg = NULL;
	git_oid id;
	int e, rc = -1;

	if (git_repository_head_unborn(git) != 1)
		return 0;
	e = git_reference_name_to_id(&id, git, "refs/remotes/origin/main");
	if (e == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;		/* the caller says what is missing */
	}
	if (e != 0)
		return repo_gerr(cause, "cannot read origin/main");
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_reference_create(&br, git, "refs/heads/main", &id, 0,
	    "certdeck clone: main from origin/main") != 0 ||
	    git_repository_set_head(git, "refs/heads/main") != 0 ||
	    git_checkout_head(git, &co) != 0) {
		repo_gerr(cause, "cannot check out origin/main");
		goto out;
	}
	/* What git clone records, so that a plain git pull works too. */
	if (git_repository_config(&cfg, git) != 0 ||
	    git_config_set_string(cfg, "branch.main.remote", "origin") != 0 ||
	    git_config_set_string(cfg, "branch.main.merge",
	    "refs/heads/main") != 0)
		git_error_clear();
	rc = 0;
out:
	git_config_free(cfg);
	git_reference_free(br);
	return rc;
}

int
repo_clone(const char *url, const char *dir, char **cause)
{
	git_clone_options co;
	git_repository *git = NULL;
	struct remote_cb cb;
	int rc = -1;

	git_libgit2_init();
	git_clone_options_init(&co, GIT_CLONE_OPTIONS_VERSION);
	if (remote_callbacks(&co.fetch_opts.callbacks, &cb, NULL, url,
	    cause) != 0)
		goto out;
	co.remote_cb = remote_clone_cb;
	/* Checking out is local work, not the remote's silence. */
	co.checkout_opts.progress_cb = remote_checkout_progress;
	co.checkout_opts.progress_payload = &cb;
	co.fetch_opts.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	if (git_clone(&git, url, dir, &co) != 0) {
		remote_fail(cause, &cb, "cannot clone");
		goto out;
	}
	remote_watch(&cb, 0);
	if (remote_clone_main(git, cause) != 0)
		goto out;
	/* .certdeck/ is local state, as repo_create arranges. */
	if (repo_exclude_local(git, cause) != 0)
		goto out;
	rc = 0;
out:
	remote_done(&cb, rc == 0);
	git_repository_free(git);
	git_libgit2_shutdown();
	return rc;
}

int
repo_merge_base(struct repo *r, const char *a, const char *b,
    char out[REPO_OID_HEX], char **cause)
{
	git_oid ia, ib, base;
	int e;

	out[0] = '\0';
	if (repo_parse_oid(a, &ia) != 0 || repo_parse_oid(b, &ib) != 0)
		return set_cause(cause, "bad commit id");
	e = git_merge_base(&base, repo_git(r), &ia, &ib);
	if (e == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (e != 0)
		return repo_gerr(cause, "cannot find where %.12s and %.12s "
		    "meet", a, b);
	repo_hex(out, &base);
	return 1;
}

int
repo_ahead_behind(struct repo *r, const char *local, const char *upstream,
    size_t *ahead, size_t *behind, char **cause)
{
	git_oid l, u;

	*ahead = *behind = 0;
	if (repo_parse_oid(local, &l) != 0 || repo_parse_oid(upstream, &u) != 0)
		return set_cause(cause, "bad commit id");
	if (git_graph_ahead_behind(ahead, behind, repo_git(r), &l, &u) != 0)
		return repo_gerr(cause, "cannot count commits");
	return 0;
}

int
repo_first_parents(struct repo *r, const char *base, const char *tip,
    struct strv *ids, char **cause)
{
	git_revwalk *w = NULL;
	git_oid id;
	char hex[REPO_OID_HEX];
	int e, rc = -1;

	if (git_revwalk_new(&w, repo_git(r)) != 0)
		return repo_gerr(cause, "cannot walk the history");
	git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	git_revwalk_simplify_first_parent(w);
	if (repo_parse_oid(tip, &id) != 0 || git_revwalk_push(w, &id) != 0) {
		repo_gerr(cause, "cannot walk from %.12s", tip);
		goto out;
	}
	if (base != NULL && *base != '\0' && (repo_parse_oid(base, &id) != 0 ||
	    git_revwalk_hide(w, &id) != 0)) {
		repo_gerr(cause, "cannot walk to %.12s", base);
		goto out;
	}
	while ((e = git_revwalk_next(&id, w)) == 0) {
		repo_hex(hex, &id);
		strv_add(ids, hex);
	}
	if (e != GIT_ITEROVER) {
		repo_gerr(cause, "cannot walk the history");
		goto out;
	}
	git_error_clear();
	rc = 0;
out:
	git_revwalk_free(w);
	return rc;
}

struct remote_files {
	repo_changed_cb	 cb;
	void		*arg;
};

static int
remote_file(void *arg, const char *path, const git_tree_entry *old,
    const git_tree_entry *new_)
{
	struct remote_files *f = arg;
	char o[REPO_OID_HEX] = "", n[REPO_OID_HEX] = "";

	if (old != NULL)
		repo_hex(o, git_tree_entry_id(old));
	if (new_ != NULL)
		repo_hex(n, git_tree_entry_id(new_));
	return f->cb(f->arg, path, o, n);
}

int
repo_commit_files(struct repo *r, const char *commit, repo_changed_cb cb,
    void *arg, char **cause)
{
	struct remote_files f = { cb, arg };
	git_commit *c = NULL, *p = NULL;
	git_tree *t = NULL, *pt = NULL;
	struct buf path;
	git_oid id;
	int rc = -1;

	buf_init(&path);
	if (repo_parse_oid(commit, &id) != 0 ||
	    git_commit_lookup(&c, repo_git(r), &id) != 0 ||
	    git_commit_tree(&t, c) != 0) {
		repo_gerr(cause, "cannot read commit %.12s", commit);
		goto out;
	}
	if (git_commit_parentcount(c) > 0 &&
	    (git_commit_parent(&p, c, 0) != 0 ||
	    git_commit_tree(&pt, p) != 0)) {
		repo_gerr(cause, "cannot read the parent of %.12s", commit);
		goto out;
	}
	buf_adds(&path, "");
	rc = repo_tdiff(r, pt, t, &path, remote_file, &f, cause);
out:
	buf_free(&path);
	git_tree_free(pt);
	git_tree_free(t);
	git_commit_free(p);
	git_commit_free(c);
	return rc;
}

int
repo_replay(struct repo *r, const char *parent, const char *orig,
    const struct repo_change *ch, size_t n, char out[REPO_OID_HEX],
    char **cause)
{
	git_commit *pc = NULL, *oc = NULL;
	git_tree *pt = NULL, *nt = NULL;
	git_tree_update *up = NULL;
	git_signature *sig = NULL;
	const git_commit *parents[1];
	git_oid pid, oid, tid, cid;
	size_t i;
	int rc = -1;

	memcpy(out, parent, REPO_OID_HEX);
	if (repo_parse_oid(parent, &pid) != 0 || repo_parse_oid(orig, &oid) != 0)
		return set_cause(cause, "bad commit id");
	if (git_commit_lookup(&pc, repo_git(r), &pid) != 0 ||
	    git_commit_tree(&pt, pc) != 0 ||
	    git_commit_lookup(&oc, repo_git(r), &oid) != 0) {
		repo_gerr(cause, "cannot read %.12s or %.12s", parent, orig);
		goto out;
	}
	up = xcalloc(n ? n : 1, sizeof *up);
	for (i = 0; i < n; i++) {
		up[i].path = ch[i].path;
		if (ch[i].data == NULL) {
			/* Removing what is not there is no change. */
			git_tree_entry *te = NULL;
			if (git_tree_entry_bypath(&te, pt, ch[i].path) != 0) {
				git_error_clear();
				up[i].action = GIT_TREE_UPDATE_UPSERT;
				up[i].path = NULL;
				continue;
			}
			git_tree_entry_free(te);
			up[i].action = GIT_TREE_UPDATE_REMOVE;
			continue;
		}
		up[i].action = GIT_TREE_UPDATE_UPSERT;
		up[i].filemode = GIT_FILEMODE_BLOB;
		if (git_blob_create_from_buffer(&up[i].id, repo_git(r),
		    ch[i].data, ch[i].len) != 0) {
			repo_gerr(cause, "cannot store %s", ch[i].path);
			goto out;
		}
	}
	/* Drop the no-op removals. */
	{
		size_t k = 0;
		for (i = 0; i < n; i++)
			if (up[i].path != NULL)
				up[k++] = up[i];
		n = k;
	}
	if (git_tree_create_updated(&tid, repo_git(r), pt, n, up) != 0) {
		repo_gerr(cause, "cannot build the tree of %.12s on %.12s",
		    orig, parent);
		goto out;
	}
	if (git_oid_equal(&tid, git_tree_id(pt))) {
		rc = 0;
		goto out;
	}
	if (git_tree_lookup(&nt, repo_git(r), &tid) != 0 ||
	    repo_signature(r, &sig, cause) != 0) {
		if (nt == NULL)
			repo_gerr(cause, "cannot read the new tree");
		goto out;
	}
	parents[0] = pc;
	if (git_commit_create(&cid, repo_git(r), NULL, git_commit_author(oc),
	    sig, git_commit_message_encoding(oc), git_commit_message(oc), nt,
	    1, parents) != 0) {
		repo_gerr(cause, "cannot create the replayed commit");
		goto out;
	}
	repo_hex(out, &cid);
	rc = 1;
out:
	free(up);
	git_signature_free(sig);
	git_tree_free(nt);
	git_tree_free(pt);
	git_commit_free(oc);
	git_commit_free(pc);
	return rc;
}

int
repo_merge_commit(struct repo *r, const char *ours, const char *theirs,
    const char *tree_of, const char *message, char out[REPO_OID_HEX],
    char **cause)
{
	git_commit *c[3] = { NULL, NULL, NULL };
	const char *ids[3] = { ours, theirs, tree_of };
	const git_commit *parents[2];
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid id;
	size_t i;
	int rc = -1;

	for (i = 0; i < 3; i++)
		if (repo_parse_oid(ids[i], &id) != 0 ||
		    git_commit_lookup(&c[i], repo_git(r), &id) != 0) {
			repo_gerr(cause, "cannot read commit %.12s", ids[i]);
			goto out;
		}
	if (git_commit_tree(&tree, c[2]) != 0) {
		repo_gerr(cause, "cannot read the tree of %.12s", tree_of);
		goto out;
	}
	if (repo_signature(r, &sig, cause) != 0)
		goto out;
	parents[0] = c[0];
	parents[1] = c[1];
	if (git_commit_create(&id, repo_git(r), NULL, sig, sig, NULL, message,
	    tree, 2, parents) != 0) {
		repo_gerr(cause, "cannot create the merge commit");
		goto out;
	}
	repo_hex(out, &id);
	rc = 0;
out:
	git_signature_free(sig);
	git_tree_free(tree);
	for (i = 0; i < 3; i++)
		git_commit_free(c[i]);
	return rc;
}

int
repo_move_head(struct repo *r, const char *old, const char *new_,
    const char *reflog, char **cause)
{
	git_reference *head = NULL, *moved = NULL;
	git_oid oid, nid;
	char *refname, *lock;
	int e;

	if (repo_parse_oid(old, &oid) != 0 || repo_parse_oid(new_, &nid) != 0)
		return set_cause(cause, "bad commit id");
	if (git_reference_lookup(&head, repo_git(r), "HEAD") != 0)
		return repo_gerr(cause, "cannot read HEAD");
	refname = xstrdup(git_reference_type(head) == GIT_REFERENCE_SYMBOLIC ?
	    git_reference_symbolic_target(head) : "HEAD");
	git_reference_free(head);
	lock = xasprintf("%s.lock", refname);
	repo_git_writing(r, lock);
	e = git_reference_create_matching(&moved, repo_git(r), refname, &nid,
	    1, &oid, reflog);
	repo_git_written(r);
	if (e == GIT_EMODIFIED || e == GIT_EEXISTS) {
		git_error_clear();
		set_cause(cause, "%s moved meanwhile (another git process?); "
		    "nothing was changed", refname);
	} else if (e == GIT_ELOCKED)
		repo_locked_cause(r, cause, lock, "nothing was changed");
	else if (e != 0)
		repo_gerr(cause, "cannot move %s", refname);
	git_reference_free(moved);
	free(refname);
	free(lock);
	return e == 0 ? 0 : -1;
}
