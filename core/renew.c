/*
 * renew.c: renewing an entry's certificate through its profile, deploying
 * it, reloading the service and checking with a probe that the endpoint
 * serves it; one commit per renewal (inventory.h, inv_renew).
 *
 * A profile is a [profile NAME] section of certdeck.conf whose "type"
 * picks one of renew_kinds below: local-ca (a CA under cas/), command
 * (an external program) or acme (an ACME CA; acme.h). acme makes the new
 * certificate and key (issue) before the inventory lock is taken, as
 * command does; a new ACME account key joins the renewal's commit. An
 * entry made by `certdeck issue` (entry key "ca") with no profile renews
 * through its CA: the implicit local-ca profile.
 *
 * Order, and what a failure leaves:
 *   1. issue: the new certificate and key, in memory (or in a private
 *      temp directory the command wrote), the key encrypted for the
 *      repository. Failure: nothing changed.
 *   2. deploy: every target staged as a temp file beside it and fsynced,
 *      then all renamed. A target that cannot be written fails the
 *      renewal before any rename: the deployed files and the repository
 *      are as they were.
 *   3. reload, 4. probe the endpoints. A failed reload or a probe that
 *      sees another certificate does not undo anything: the new files are
 *      in place, so the renewal is committed (nothing lost) and the entry
 *      is shown "renewed, not live" until a probe sees its certificate.
 *   5. the commit: cert.pem, the key (encrypted) and the CA's record.
 * Every run, failed or not, is a row in the index's jobs table (kind
 * "renew"); its output is sanitised there.
 *
 * A batch (inv_renew) runs up to opts->jobs renewals at once. The thread
 * that called it keeps the inventory (libgit2, SQLite, the lock) to
 * itself: it prepares each job (the entry, its profile, what the
 * repository holds for it, what jobs share: struct rbatch) and, as jobs
 * finish, commits each in turn, one commit per renewal, in the order
 * they finish, and hands each result to the callback. Steps 1-4 run on a
 * worker thread of the job's own, which reads only the job, the batch's
 * copy of certdeck.conf and what the batch set up before it started.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "acme.h"
#include "ca.h"
#include "cert.h"
#include "clock.h"
#include "entry.h"
#include "escape.h"
#include "hsm.h"
#include "inventory.h"
#include "invpriv.h"
#include "k8s.h"
#include "key.h"
#include "probe.h"
#include "run.h"

#define RENEW_TIMEOUT_DEFAULT	300	/* seconds a command may take */
#define RELOAD_TIMEOUT_MS	60000
#define JOB_OUTPUT_MAX		4096	/* bytes of output kept per job */

struct rbatch;
struct rca;

/* One renewal in progress. */
struct rjob {
	struct inv	*inv;		/* not on a worker thread */
	const struct config *cfg;	/* the profiles (read-only) */
	struct rbatch	*b;		/* NULL: a plan */
	const char	*name;
	struct entry	 e;
	char		*section;	/* "profile NAME", or NULL (implicit) */
	char		*profile;	/* as shown: "NAME" or "local-ca" */
	const struct renew_kind *kind;
	char		*ca_name;	/* local-ca */

	X509		*old;
	char		*old_serial;
	char		 old_fp[65];
	int		 compromised;	/* its local CA revoked the old
					   certificate for key compromise */
	int		 lockfd;	/* renew_lock's, or -1 */
	int64_t		 old_not_after;
	int64_t		 old_not_before;

	/* Set up on the inventory's thread for the worker. */
	int64_t		 started;
	const char	*pass;		/* the key passphrase, or NULL */
	struct rca	*rca;		/* local-ca: the batch's CA */
	struct acme_renewal acme;	/* acme: account key, listener... */
	struct probe_target *targets;	/* the endpoints to verify */
	size_t		 ntargets;

	/* What the worker made. */
	X509		*leaf;
	char		*full_pem;	/* leaf, then chain */
	EVP_PKEY	*newkey;	/* NULL: the key is reused */
	char		*newkey_uri;	/* newkey is in the token key-path
					   names: its URI, the new key-path */
	int		 deployed;	/* a deploy target was replaced */
	char		*keypem;	/* newkey, encrypted */
	size_t		 keylen;
	char		*stored_key;	/* keys/NAME.key at HEAD, for a
					   Kubernetes Secret of a reused key */
	size_t		 stored_len;
	int		 hooks_failed;	/* a reload or apply failed */
	char		*key_desc;
	struct buf	 out;		/* a command's output */
	char		*tmpdir;	/* command's {out} */
	char		*error;		/* why it failed, one line; NULL:
					   the files are out, commit */
	struct buf	 dep;		/* "wrote ...; reload ok" */
	struct strv	 vlines;	/* "host:port ok" ... */
	int		 live;		/* 1 served, 0 not, -1 no endpoints */
	struct probe_result **probes;	/* for the index, on commit */
	size_t		 nprobes;

	pthread_t	 thread;
	struct rjob	*next;		/* in the batch's done list */
};

struct renew_kind {
	const char	*name;
	/* Check the profile and describe what it will do. */
	int		(*check)(struct rjob *, struct inv_renew_plan *,
			    char **cause);
	/* On the inventory's thread: what issue needs from the repository
	   and the batch (NULL: check alone). */
	int		(*prepare)(struct rjob *, char **cause);
	/* On the worker: make the new certificate (and key). */
	int		(*issue)(struct rjob *, char **cause);
	/* Its output is a log of steps, for the job log only: a failure
	   is the one line of its cause. */
	int		 log_only;
};

static int	lca_check(struct rjob *, struct inv_renew_plan *, char **);
static int	lca_prepare(struct rjob *, char **);
static int	lca_issue(struct rjob *, char **);
static int	cmd_check(struct rjob *, struct inv_renew_plan *, char **);
static int	cmd_issue(struct rjob *, char **);
static int	acme_check(struct rjob *, struct inv_renew_plan *, char **);
static int	acme_prepare(struct rjob *, char **);
static int	acme_issue_job(struct rjob *, char **);

static const struct renew_kind renew_kinds[] = {
	{ "local-ca", lca_check, lca_prepare, lca_issue, 0 },
	{ "command", cmd_check, NULL, cmd_issue, 0 },
	{ "acme", acme_check, acme_prepare, acme_issue_job, 1 },
};

/*
 * What the jobs of a batch share. Set up on the inventory's thread
 * before the jobs that use it start; the workers only read it, except a
 * CA's record, which ca_sign grows under the CA's mutex.
 */
struct rca {
	char		*name;
	struct ca	*ca;		/* with its key; NULL: error */
	char		*error;
	char		*chain;		/* what an issued leaf carries */
	pthread_mutex_t	 mu;
};

struct rbatch {
	struct inv	*inv;
	const struct inv_renew_opts *o;
	struct config	 cfg;		/* certdeck.conf as the batch began */
	int		 pass_read;
	char		*pass;
	char		*pass_error;
	int		 anchors_read;
	char		*anchors;	/* the probes' trust anchors */
	size_t		 anchors_len;
	struct rca	**cas;		/* decrypted once a batch */
	size_t		 ncas;
	struct acme_batch *acme;

	/* Finished jobs, oldest first, waiting for their commit. */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct rjob	*done, **done_tail;
};

/* ---------------------------------------------------------------------- */
/* Small helpers. */

static const char *
prof_get(struct rjob *j, const char *key)
{
	return j->section != NULL ? config_get(j->cfg, j->section, key) :
	    NULL;
}

/* A profile's whole number, or def; -1 with *cause if malformed. */
static int
prof_int(struct rjob *j, const char *key, long min, long max, long def,
    long *out, char **cause)
{
	const char *v = prof_get(j, key);
	char *end;

	*out = def;
	if (v == NULL)
		return 0;
	errno = 0;
	*out = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || *out < min ||
	    *out > max)
		return set_cause(cause, "certdeck.conf [%s]: %s must be a "
		    "number from %ld to %ld", j->section, key, min, max);
	return 0;
}

static int
prof_yes(struct rjob *j, const char *key, int def, int *out, char **cause)
{
	const char *v = prof_get(j, key);

	*out = def;
	if (v == NULL)
		return 0;
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
		*out = 0;
	else
		return set_cause(cause, "certdeck.conf [%s]: %s must be yes "
		    "or no", j->section, key);
	return 0;
}

/* The entry's key-path when it names a key in a PKCS#11 token: a new
   key is made there too (not reused, as a key file is). Else NULL. */
static const char *
token_key(struct rjob *j)
{
	const char *kp = entry_get(&j->e, "key-path");

	return kp != NULL && hsm_is_uri(kp) ? kp : NULL;
}

/* Whether the renewal keeps the entry's key: the profile says reuse-key
   = yes, or key-path names a key file, which stays where it is (a key in
   a token is renewed in the token). -1 with *cause when reuse-key is
   neither yes nor no. */
static int
key_reused(struct rjob *j, int *reuse, char **cause)
{
	if (prof_yes(j, "reuse-key", 0, reuse, cause) != 0)
		return -1;
	if (entry_get(&j->e, "key-path") != NULL && token_key(j) == NULL)
		*reuse = 1;
	/* Renewing is the fix for a compromised key: never with it. */
	if (*reuse && j->compromised) {
		if (entry_get(&j->e, "key-path") != NULL)
			return set_cause(cause, "its certificate was revoked "
			    "for key compromise, and key-path keeps that key: "
			    "point key-path at a new key first");
		*reuse = 0;
	}
	return 0;
}

/* Did local CA caname revoke serial for key compromise? */
static int
key_compromised(struct inv *inv, const char *caname, const char *serial)
{
	struct ca *ca;
	size_t i;
	int r = 0;

	if (caname == NULL || serial == NULL ||
	    ca_load(inv, caname, 0, &ca, NULL) != 0)
		return 0;
	for (i = 0; i < ca->nrecs; i++)
		if (ca->recs[i].revoked && ca->recs[i].reason != NULL &&
		    strcmp(ca->recs[i].serial, serial) == 0 &&
		    strcmp(ca->recs[i].reason, "key-compromise") == 0)
			r = 1;
	ca_free(ca);
	return r;
}

/* The type of a new key (key_type_new): the profile's key-type, else
   the old key's, else the default where it is made. */
static const char *
new_key_type(struct rjob *j)
{
	return key_type_new(prof_get(j, "key-type"),
	    X509_get0_pubkey(j->old), token_key(j) != NULL);
}

/* An unencrypted PEM of a key, for a deploy target (caller wipes). */
static char *
key_plain_pem(EVP_PKEY *pk, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *mem, *out = NULL;
	long n;

	if (bio != NULL && PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0,
	    NULL, NULL) && (n = BIO_get_mem_data(bio, &mem)) > 0) {
		out = xstrndup(mem, (size_t)n);
		*len = (size_t)n;
	}
	BIO_free(bio);
	ERR_clear_error();
	return out;
}

/* The SAN values of x, comma-separated, without their types. */
static char *
x509_sans(X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	struct buf b;
	int i;

	buf_init(&b);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s = NULL;
		char ip[64];

		if (g->type == GEN_DNS || g->type == GEN_EMAIL ||
		    g->type == GEN_URI)
			s = g->d.ia5;
		if (s != NULL) {
			if (b.len)
				buf_addc(&b, ',');
			buf_add(&b, ASN1_STRING_get0_data(s),
			    (size_t)ASN1_STRING_length(s));
		} else if (g->type == GEN_IPADD) {
			const unsigned char *p = g->d.ip->data;

			if (g->d.ip->length == 4)
				snprintf(ip, sizeof ip, "%u.%u.%u.%u", p[0],
				    p[1], p[2], p[3]);
			else
				continue;
			if (b.len)
				buf_addc(&b, ',');
			buf_adds(&b, ip);
		}
	}
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
	return buf_steal(&b);
}

static char *
x509_cn(X509 *x)
{
	char buf[256];

	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, buf, sizeof buf) < 0)
		buf[0] = '\0';
	return xstrdup(buf);
}

/* Do x and y share a name (a SAN value, or the CN), case aside? */
static int
names_overlap(X509 *x, X509 *y)
{
	struct strv a, b;
	char *s;
	size_t i, k;
	int found = 0;

	strv_init(&a);
	strv_init(&b);
	s = x509_sans(x);
	strv_split(&a, s, ',');
	free(s);
	strv_addn(&a, x509_cn(x));
	s = x509_sans(y);
	strv_split(&b, s, ',');
	free(s);
	strv_addn(&b, x509_cn(y));
	for (i = 0; i < a.n && !found; i++)
		for (k = 0; k < b.n && !found; k++)
			found = *a.v[i] != '\0' &&
			    strcasecmp(a.v[i], b.v[k]) == 0;
	strv_free(&a);
	strv_free(&b);
	return found;
}

/* ---------------------------------------------------------------------- */
/* Setting up a job: the entry, its certificate, its profile. */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void
rjob_free(struct rjob *j)
{
	size_t i;

	entry_free(&j->e);
	free(j->section);
	if (j->lockfd >= 0)
		close(j->lockfd);
	j->lockfd = -1;
	free(j->profile);
	free(j->ca_name);
	X509_free(j->old);
	free(j->old_serial);
	free(j->targets);
	X509_free(j->leaf);
	free(j->full_pem);
	EVP_PKEY_free(j->newkey);
	free(j->newkey_uri);
	free_secret(j->keypem, j->keylen);
	free_secret(j->stored_key, j->stored_len);
	free(j->key_desc);
	acme_renewal_free(&j->acme);
	buf_free(&j->out);
	free(j->error);
	buf_free(&j->dep);
	strv_free(&j->vlines);
	for (i = 0; i < j->nprobes; i++)
		probe_result_free(j->probes[i]);
	free(j->probes);
	if (j->tmpdir != NULL) {
		/* Whatever the command left there, key files included. */
		nftw(j->tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(j->tmpdir);
	}
}

/*
 * .certdeck/locks/renew-NAME, flock()ed for the renewal's life (released
 * by the kernel if the process dies). Busy: -1 with *cause.
 */
static int
renew_lock(struct inv *inv, const char *name, char **cause)
{
	char *dir = xasprintf("%s/.certdeck/locks", inv->dir);
	char *path = xasprintf("%s/renew-%s", dir, name);
	int fd;

	mkdir_p(dir, 0700);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		set_cause(cause, "%s: %s", path, strerror(errno));
	else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		set_cause(cause, "another renewal of it is running (%s)",
		    errno == EWOULDBLOCK ? "its lock is held" :
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	free(dir);
	free(path);
	return fd;
}

static int
rjob_init(struct inv *inv, const struct config *cfg, const char *name,
    struct rjob *j, char **cause)
{
	STACK_OF(X509) *sk;
	char *text = NULL, *err = NULL, *dir, *path, *data = NULL, *sec;
	const char *prof, *type, *ca;
	size_t len, i;
	int found;

	memset(j, 0, sizeof *j);
	j->lockfd = -1;
	j->inv = inv;
	j->cfg = cfg;
	j->name = name;
	j->live = -1;
	entry_init(&j->e);
	buf_init(&j->out);
	buf_init(&j->dep);
	strv_init(&j->vlines);
	if (!name_valid(name) || !inv_exists(inv, name))
		return set_cause(cause, "no such entry");
	if (inv_entry_text(inv, name, &text, &err) < 0 ||
	    entry_parse(text, strlen(text), &j->e, &err) != 0) {
		set_cause(cause, "entry: %s", err);
		free(err);
		free(text);
		return -1;
	}
	free(text);
	dir = inv_entry_dir(name);
	path = xasprintf("%s/cert.pem", dir);
	free(dir);
	found = repo_read(inv->repo, NULL, path, &data, &len, NULL, cause);
	free(path);
	if (found <= 0) {
		free(data);
		return found < 0 ? -1 : set_cause(cause, "no certificate");
	}
	sk = ca_pem_certs(data, len);
	free(data);
	if (sk == NULL)
		return set_cause(cause, "cert.pem holds no certificate");
	j->old = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	j->old_serial = ca_x509_serial(j->old);
	ca_x509_fp(j->old, j->old_fp);
	j->old_not_after = ca_asn1_unix(X509_get0_notAfter(j->old));
	j->old_not_before = ca_asn1_unix(X509_get0_notBefore(j->old));
	j->compromised = key_compromised(inv, entry_get(&j->e, "ca"),
	    j->old_serial);

	if (token_key(j) != NULL && entry_get(&j->e, "deploy-key") != NULL)
		return set_cause(cause, "deploy-key: the key is in a PKCS#11 "
		    "token (key-path) and never leaves it");
	if (token_key(j) != NULL && (entry_get(&j->e,
	    "deploy-kubernetes-secret") != NULL || entry_get(&j->e,
	    "deploy-kubernetes-apply") != NULL))
		return set_cause(cause, "deploy-kubernetes: a Secret holds its "
		    "key in the clear, and this key is in a PKCS#11 token "
		    "(key-path) that it never leaves");
	prof = entry_get(&j->e, "profile");
	ca = entry_get(&j->e, "ca");
	if (prof == NULL && ca == NULL)
		return set_cause(cause, "no renewal profile (set profile = "
		    "NAME, a [profile NAME] of certdeck.conf)");
	if (prof != NULL) {
		sec = xasprintf("profile %s", prof);
		if ((type = config_get(cfg, sec, "type")) != NULL) {
			j->section = sec;
			j->profile = xstrdup(prof);
		} else {
			free(sec);
			if (strcmp(prof, "local-ca") != 0 || ca == NULL)
				return set_cause(cause, "profile %s: no "
				    "[profile %s] with a type in certdeck.conf",
				    prof, prof);
			type = "local-ca";
		}
	} else
		type = "local-ca";
	if (j->profile == NULL)
		j->profile = xstrdup(type);
	for (i = 0; i < nitems(renew_kinds); i++)
		if (strcmp(renew_kinds[i].name, type) == 0)
			j->kind = &renew_kinds[i];
	if (j->kind == NULL)
		return set_cause(cause, "certdeck.conf [%s]: type %s is not "
		    "one of local-ca, command, acme", j->section, type);
	return 0;
}

/* The deploy targets of the entry, for a plan. */
static void
plan_deploy(struct rjob *j, struct inv_renew_plan *p)
{
	static const char *keys[] = { "deploy-cert", "deploy-chain",
	    "deploy-fullchain", "deploy-key", "key-path",
	    "deploy-kubernetes-secret", "deploy-kubernetes-apply" };
	const char *v;
	size_t i;

	for (i = 0; i < nitems(keys); i++)
		if ((v = entry_get(&j->e, keys[i])) != NULL && !hsm_is_uri(v))
			strv_addn(&p->deploy, xasprintf("%s %s", keys[i] + (
			    strncmp(keys[i], "deploy-", 7) == 0 ? 7 : 0), v));
	if ((v = entry_get(&j->e, "deploy-reload")) != NULL)
		p->reload = xstrdup(v);
	if ((v = entry_get(&j->e, "endpoints")) != NULL)
		strv_split(&p->endpoints, v, ',');
}

/*
 * Every file deploy target's directory is there and writable: found
 * before a certificate is asked for (an ACME CA's issuance, counted
 * against its limits, would be thrown away), and in the dry run.
 */
static int
deploy_check(struct rjob *j, char **cause)
{
	static const char *keys[] = { "deploy-cert", "deploy-chain",
	    "deploy-fullchain", "deploy-key", "deploy-kubernetes-secret" };
	const char *v, *slash;
	char *dir;
	size_t i;
	int rc = 0;

	for (i = 0; i < nitems(keys) && rc == 0; i++) {
		if ((v = entry_get(&j->e, keys[i])) == NULL || hsm_is_uri(v))
			continue;
		slash = strrchr(v, '/');
		dir = slash == NULL ? xstrdup(".") : slash == v ?
		    xstrdup("/") : xstrndup(v, (size_t)(slash - v));
		if (access(dir, W_OK) != 0)
			rc = set_cause(cause, "%s %s: %s: %s", keys[i], v, dir,
			    strerror(errno));
		free(dir);
	}
	return rc;
}

/* ---------------------------------------------------------------------- */
/* local-ca */

static int
lca_check(struct rjob *j, struct inv_renew_plan *p, char **cause)
{
	const char *ca = prof_get(j, "ca");
	const char *kt = prof_get(j, "key-type");
	long days, hours;
	int reuse;

	if (ca == NULL)
		ca = entry_get(&j->e, "ca");
	if (ca == NULL)
		return set_cause(cause, "certdeck.conf [%s]: ca = NAME is "
		    "needed (or an entry made by certdeck issue)", j->section);
	free(j->ca_name);
	j->ca_name = xstrdup(ca);
	if (prof_int(j, "days", 0, 36500, 0, &days, cause) != 0 ||
	    prof_int(j, "hours", 0, 876000, 0, &hours, cause) != 0 ||
	    key_reused(j, &reuse, cause) != 0)
		return -1;
	if (kt != NULL && !key_type_valid(kt))
		return set_cause(cause, "certdeck.conf [%s]: key-type %s: use "
		    "ec:P-256, ec:P-384, rsa:3072, rsa:4096 or ed25519",
		    j->section, kt);
	if (p != NULL) {
		int64_t life = days * 86400 + hours * 3600;

		if (life == 0)
			life = j->old_not_after - j->old_not_before;
		p->new_not_after = clock_now() + life;
		p->profile = xasprintf("%s (local CA %s)", j->profile, ca);
		if (reuse)
			p->key = xstrdup("reused");
		else if (token_key(j) != NULL) {
			char *t = hsm_uri_token(token_key(j));

			p->key = xasprintf("new (%s) in PKCS#11 token %s",
			    new_key_type(j), t);
			free(t);
		} else
			p->key = xasprintf("new (%s)", new_key_type(j));
	}
	return 0;
}

static struct rca *batch_ca(struct rbatch *, const char *);

static int
lca_prepare(struct rjob *j, char **cause)
{
	if (lca_check(j, NULL, cause) != 0)
		return -1;
	j->rca = batch_ca(j->b, j->ca_name);
	if (j->rca->ca == NULL)
		return set_cause(cause, "%s", j->rca->error);
	return 0;
}

/* On the worker: the key made here, signed by the batch's copy of the
   CA (its record as read when the batch began, plus what the batch
   signed); the commit adds the new line to the record at HEAD. */
static int
lca_issue(struct rjob *j, char **cause)
{
	struct inv_renew_plan p;
	struct ca_req rq;
	EVP_PKEY *pub;
	uint32_t xku;
	int reuse, loc;

	memset(&p, 0, sizeof p);
	strv_init(&p.deploy);
	strv_init(&p.endpoints);
	if (lca_check(j, &p, cause) != 0 ||
	    key_reused(j, &reuse, cause) != 0) {
		inv_renew_plan_free(&p);
		return -1;
	}
	memset(&rq, 0, sizeof rq);
	rq.subject = X509_get_subject_name(j->old);
	loc = X509_get_ext_by_NID(j->old, NID_subject_alt_name, -1);
	rq.san = loc >= 0 ? X509_get_ext(j->old, loc) : NULL;
	xku = X509_get_extended_key_usage(j->old);
	if (xku != UINT32_MAX) {
		if (xku & XKU_SSL_SERVER)
			rq.usage |= CA_USE_SERVER;
		if (xku & XKU_SSL_CLIENT)
			rq.usage |= CA_USE_CLIENT;
	} else
		rq.usage = CA_USE_SERVER;
	rq.pathlen = -1;
	rq.not_before = clock_now();
	rq.not_after = p.new_not_after;
	rq.entry = j->name;
	if (reuse) {
		pub = X509_get0_pubkey(j->old);
		j->key_desc = xstrdup("reused");
	} else {
		if ((j->newkey = key_generate_at(new_key_type(j),
		    token_key(j), HSM_GEN_RENEW, "key-path", &j->newkey_uri,
		    &j->key_desc, cause)) == NULL) {
			inv_renew_plan_free(&p);
			return -1;
		}
		pub = j->newkey;
	}
	inv_renew_plan_free(&p);
	pthread_mutex_lock(&j->rca->mu);
	j->leaf = ca_sign(j->rca->ca, &rq, pub, cause);
	pthread_mutex_unlock(&j->rca->mu);
	if (j->leaf == NULL)
		return -1;
	{
		char *leaf = ca_x509_pem(j->leaf);

		j->full_pem = xasprintf("%s%s", leaf, j->rca->chain);
		free(leaf);
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* command */

static int
cmd_check(struct rjob *j, struct inv_renew_plan *p, char **cause)
{
	struct strv argv;
	const char *c = prof_get(j, "command");
	long t;
	int rc;

	if (c == NULL)
		return set_cause(cause, "certdeck.conf [%s]: command = ... is "
		    "needed", j->section);
	strv_init(&argv);
	rc = argv_split(c, &argv, cause);
	if (rc != 0) {
		char *e = *cause;

		*cause = NULL;
		set_cause(cause, "certdeck.conf [%s]: command: %s",
		    j->section, e);
		free(e);
	}
	strv_free(&argv);
	if (rc != 0 || prof_int(j, "timeout", 1, 86400, RENEW_TIMEOUT_DEFAULT,
	    &t, cause) != 0)
		return -1;
	if (p != NULL) {
		p->profile = xasprintf("%s (command %s)", j->profile, c);
		p->key = xstrdup("from the command");
	}
	return 0;
}

/* word with {name} {cn} {sans} {out} replaced (one argv word: no shell
   ever sees it, so whatever a value holds stays data). */
static char *
placeholders(const char *w, const char *name, const char *cn,
    const char *sans, const char *out)
{
	static const char *const keys[] = { "{name}", "{cn}", "{sans}",
	    "{out}" };
	const char *const vals[] = { name, cn, sans, out };

	return str_subst(w, keys, vals, nitems(keys));
}

static int
cmd_issue(struct rjob *j, char **cause)
{
	struct strv argv, words, env;
	struct run_result res;
	STACK_OF(X509) *sk = NULL;
	EVP_PKEY *pk = NULL;
	const char *tmp = getenv("TMPDIR");
	char *cn = x509_cn(j->old), *sans = x509_sans(j->old), *how;
	char *certp = NULL, *keyp = NULL, *data = NULL, *err = NULL;
	size_t len, i;
	long timeout;
	int rc = -1;

	strv_init(&argv);
	strv_init(&words);
	strv_init(&env);
	memset(&res, 0, sizeof res);
	if (cmd_check(j, NULL, cause) != 0 ||
	    prof_int(j, "timeout", 1, 86400, RENEW_TIMEOUT_DEFAULT, &timeout,
	    cause) != 0)
		goto out;
	j->tmpdir = xasprintf("%s/certdeck-renew-XXXXXX",
	    tmp != NULL && *tmp == '/' ? tmp : "/tmp");
	if (mkdtemp(j->tmpdir) == NULL) {
		set_cause(cause, "%s: %s", j->tmpdir, strerror(errno));
		free(j->tmpdir);
		j->tmpdir = NULL;
		goto out;
	}
	argv_split(prof_get(j, "command"), &words, NULL);
	for (i = 0; i < words.n; i++)
		strv_addn(&argv, placeholders(words.v[i], j->name, cn, sans,
		    j->tmpdir));
	certp = placeholders(prof_get(j, "cert") != NULL ?
	    prof_get(j, "cert") : "{out}/cert.pem", j->name, cn, sans,
	    j->tmpdir);
	keyp = placeholders(prof_get(j, "key") != NULL ? prof_get(j, "key") :
	    "{out}/key.pem", j->name, cn, sans, j->tmpdir);
	strv_addn(&env, xasprintf("CERTDECK_ENTRY=%s", j->name));
	strv_addn(&env, xasprintf("CERTDECK_CN=%s", cn));
	strv_addn(&env, xasprintf("CERTDECK_SANS=%s", sans));
	strv_addn(&env, xasprintf("CERTDECK_OUT=%s", j->tmpdir));
	strv_addn(&env, xasprintf("CERTDECK_CERT=%s", certp));
	strv_addn(&env, xasprintf("CERTDECK_KEY=%s", keyp));
	strv_addn(&env, xasprintf("CERTDECK_EXPIRES=%lld",
	    (long long)j->old_not_after));
	strv_addn(&env, xasprintf("CERTDECK_SERIAL=%s", j->old_serial));
	if (run_argv(argv.v, env.v, (int)timeout * 1000, &res, cause) != 0)
		goto out;
	buf_add(&j->out, res.output.data, res.output.len);
	if (!run_ok(&res)) {
		how = run_describe(&res, (int)timeout * 1000);
		set_cause(cause, "command %s %s", argv.v[0], how);
		free(how);
		goto out;
	}
	if (read_file(certp, CERT_MAX_FILE, &data, &len, &err) != 0) {
		set_cause(cause, "the command wrote no certificate: %s", err);
		goto out;
	}
	if ((sk = ca_pem_certs(data, len)) == NULL) {
		set_cause(cause, "%s: no PEM certificate in it", certp);
		goto out;
	}
	j->leaf = sk_X509_shift(sk);
	j->full_pem = data;
	data = NULL;
	if (access(keyp, F_OK) == 0 && token_key(j) != NULL) {
		set_cause(cause, "the command wrote a key, but key-path names "
		    "a key in a PKCS#11 token");
		goto out;
	}
	if (access(keyp, F_OK) == 0) {
		if (read_file(keyp, CERT_MAX_FILE, &data, &len,
		    &err) != 0 ||
		    (pk = key_decrypt_pem(data, len, NULL, &err)) == NULL) {
			set_cause(cause, "%s: %s", keyp, err);
			goto out;
		}
		if (X509_check_private_key(j->leaf, pk) != 1) {
			set_cause(cause, "%s: not the key of the new "
			    "certificate", keyp);
			goto out;
		}
		j->newkey = pk;
		pk = NULL;
		j->key_desc = xasprintf("new (%s)", *key_type_of(j->newkey) ?
		    key_type_of(j->newkey) : "from the command");
	} else {
		if (EVP_PKEY_eq(X509_get0_pubkey(j->leaf),
		    X509_get0_pubkey(j->old)) != 1) {
			set_cause(cause, "the new certificate has a new key "
			    "but the command wrote none to %s", keyp);
			goto out;
		}
		j->key_desc = xstrdup("reused");
	}
	if (X509_cmp(j->leaf, j->old) == 0) {
		set_cause(cause, "the command gave back the old certificate");
		goto out;
	}
	/*
	 * What a wrapper may get wrong (a stale file, another lineage): a
	 * certificate that has expired already, or is for none of the
	 * entry's names, is not deployed or committed.
	 */
	if (ca_asn1_unix(X509_get0_notAfter(j->leaf)) <= clock_now()) {
		char d[32];

		clock_format(ca_asn1_unix(X509_get0_notAfter(j->leaf)), d);
		set_cause(cause, "the command's certificate has expired "
		    "already (%s)", d);
		goto out;
	}
	if (!names_overlap(j->old, j->leaf)) {
		char *ncn = x509_cn(j->leaf), *nsans = x509_sans(j->leaf);

		set_cause(cause, "the command's certificate is for none of "
		    "the entry's names (it has CN %s, SANs %s; the entry %s, "
		    "%s)", *ncn ? ncn : "-", *nsans ? nsans : "-",
		    *cn ? cn : "-", *sans ? sans : "-");
		free(ncn);
		free(nsans);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(pk);
	sk_X509_pop_free(sk, X509_free);
	run_result_free(&res);
	free_secret(data, len);
	free(err);
	free(certp);
	free(keyp);
	free(cn);
	free(sans);
	strv_free(&argv);
	strv_free(&words);
	strv_free(&env);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* acme (acme.h, inv_acme.c) */

static int
acme_check(struct rjob *j, struct inv_renew_plan *p, char **cause)
{
	char *desc = NULL;
	int reuse;

	if (acme_renew_check(j->cfg, j->section, &desc, cause) != 0 ||
	    key_reused(j, &reuse, cause) != 0) {
		free(desc);
		return -1;
	}
	if (p != NULL) {
		p->profile = xasprintf("%s (%s)", j->profile, desc);
		p->key = xstrdup(reuse ? "reused" : token_key(j) != NULL ?
		    "new, in its PKCS#11 token" : "new");
	}
	free(desc);
	return 0;
}

static int
acme_prepare(struct rjob *j, char **cause)
{
	struct acme_renewal *r = &j->acme;

	if (acme_check(j, NULL, cause) != 0)
		return -1;
	r->cfg = j->cfg;
	r->section = j->section;
	r->profile = j->profile;
	r->entry = j->name;
	r->key_path = entry_get(&j->e, "key-path");
	if (key_reused(j, &r->reuse, cause) != 0)
		return -1;
	r->key_type = new_key_type(j);
	r->old = j->old;
	r->pass = j->pass;
	return acme_renew_prepare(j->b->acme, j->inv, r, &j->out, cause);
}

static int
acme_issue_job(struct rjob *j, char **cause)
{
	struct acme_renewal *r = &j->acme;

	if (acme_renew(r, &j->out, cause) != 0)
		return -1;
	j->full_pem = r->full_pem;
	j->leaf = r->leaf;
	j->newkey = r->newkey;
	j->newkey_uri = r->newkey_uri;
	j->key_desc = r->key_desc;
	r->full_pem = NULL;
	r->leaf = NULL;
	r->newkey = NULL;
	r->newkey_uri = NULL;
	r->key_desc = NULL;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Deploy, reload, verify. */

struct staged {
	char	*path;
	char	*tmp;
};

/* The pieces of the new file: leaf PEM, and the chain after it. */
static void
split_full(const char *full, char **leaf, char **chain)
{
	const char *end = strstr(full, "-----END CERTIFICATE-----");
	size_t n;

	if (end == NULL) {
		*leaf = xstrdup(full);
		*chain = xstrdup("");
		return;
	}
	end += strlen("-----END CERTIFICATE-----");
	if (*end == '\n')
		end++;
	n = (size_t)(end - full);
	*leaf = xstrndup(full, n);
	*chain = xstrdup(full + n);
}

/*
 * The kubernetes-secret target: a kubernetes.io/tls Secret with the full
 * chain and the key in the clear, named by the entry's namespace and
 * secret keys (defaults: "default" and the entry's name). A reused key is
 * read back from where it is kept and decrypted in memory.
 */
static char *
secret_manifest(struct rjob *j, const char *keypem, char **cause)
{
	const char *ns = entry_get(&j->e, "namespace");
	const char *sn = entry_get(&j->e, "secret");
	char *plain = NULL, *err = NULL, *m;
	size_t plen = 0;
	EVP_PKEY *pk;

	if (keypem == NULL) {
		if (entry_key_open(j->name, entry_get(&j->e, "key-path"),
		    j->stored_key, j->stored_len, j->pass, &pk, NULL,
		    &err) != 0) {
			set_cause(cause, "kubernetes secret: %s", err);
			free(err);
			return NULL;
		}
		plain = key_plain_pem(pk, &plen);
		EVP_PKEY_free(pk);
		if (plain == NULL) {
			set_cause(cause, "kubernetes secret: the key cannot "
			    "be written out");
			return NULL;
		}
		keypem = plain;
	}
	m = k8s_tls_secret(ns != NULL ? ns : "default", sn != NULL ? sn :
	    j->name, j->full_pem, keypem, j->name, &err);
	if (m == NULL) {
		set_cause(cause, "kubernetes secret: %s", err);
		free(err);
	}
	free_secret(plain, plen);
	return m;
}

/*
 * A deployed file replaces one that a service reads: the new one keeps
 * the old one's owner and group (a key a postgres or an ssl-cert group
 * reads stays readable), and its mode within what the target allows
 * (a key: no more than 0640, never to others). Owner and group only
 * change as root; elsewhere the file is the writer's, as before.
 */
static int
keep_owner(const char *path, const char *tmp, int mode, char **cause)
{
	struct stat old;

	if (stat(path, &old) != 0 || !S_ISREG(old.st_mode))
		return 0;
	if (geteuid() == 0 && (old.st_uid != geteuid() ||
	    old.st_gid != getegid()) &&
	    chown(tmp, old.st_uid, old.st_gid) != 0)
		return set_cause(cause, "%s: keeping its owner: %s", path,
		    strerror(errno));
	mode = (int)(old.st_mode & 07777) & (mode == 0600 ? 0640 : mode);
	if (chmod(tmp, (mode_t)(mode | 0600)) != 0)
		return set_cause(cause, "%s: %s", path, strerror(errno));
	return 0;
}

/*
 * Write every deploy target; *manifest is the Secret when the entry has a
 * kubernetes target (for apply), else NULL. The caller wipes it.
 */
static int
deploy(struct rjob *j, struct buf *report, char **manifest, char **cause)
{
	struct {
		const char	*key;
		int		 mode;
	} targets[] = {
		{ "deploy-cert", 0644 }, { "deploy-chain", 0644 },
		{ "deploy-fullchain", 0644 }, { "deploy-key", 0600 },
		{ "key-path", 0600 }, { "deploy-kubernetes-secret", 0600 },
	};
	struct staged st[nitems(targets)];
	struct buf body[nitems(targets)];
	int modes[nitems(targets)];
	char *leaf, *chain, *keypem = NULL, *err = NULL;
	const char *data, *path;
	size_t i, k, n = 0, keylen = 0;
	int rc = -1, saved;

	*manifest = NULL;
	split_full(j->full_pem, &leaf, &chain);
	if (j->newkey != NULL)
		keypem = key_plain_pem(j->newkey, &keylen);
	if ((entry_get(&j->e, "deploy-kubernetes-secret") != NULL ||
	    entry_get(&j->e, "deploy-kubernetes-apply") != NULL) &&
	    (*manifest = secret_manifest(j, keypem, cause)) == NULL)
		goto out;
	/*
	 * One file per path: targets that name the same one are written
	 * into it in this order (HAProxy's certificate then key), with the
	 * strictest mode of theirs.
	 */
	for (i = 0; i < nitems(targets); i++) {
		/* A key in a token is not a file. */
		if ((path = entry_get(&j->e, targets[i].key)) == NULL ||
		    hsm_is_uri(path))
			continue;
		switch (i) {
		case 0:
			data = leaf;
			break;
		case 1:
			data = chain;
			break;
		case 2:
			data = j->full_pem;
			break;
		case 5:
			data = *manifest;
			break;
		default:
			/* A reused key is already where it belongs. */
			data = keypem;
			break;
		}
		if (data == NULL)
			continue;
		for (k = 0; k < n && strcmp(st[k].path, path) != 0; k++)
			;
		if (k == n) {
			st[n].path = xstrdup(path);
			st[n].tmp = NULL;
			buf_init(&body[n]);
			modes[n] = targets[i].mode;
			n++;
		}
		buf_adds(&body[k], data);
		modes[k] &= targets[i].mode;
	}
	for (k = 0; k < n; k++) {
		if (write_file_tmp(st[k].path, NULL, body[k].data ?
		    body[k].data : "", body[k].len, modes[k], &st[k].tmp,
		    &err) != 0 || keep_owner(st[k].path, st[k].tmp, modes[k],
		    &err) != 0) {
			set_cause(cause, "deploy: %s", err);
			free(err);
			goto out;
		}
	}
	/* Everything is written: now replace them all. */
	for (i = 0; i < n; i++) {
		if (rename(st[i].tmp, st[i].path) != 0) {
			saved = errno;
			set_cause(cause, "deploy: %s: %s", st[i].path,
			    strerror(saved));
			goto out;
		}
		free(st[i].tmp);
		st[i].tmp = NULL;
		j->deployed = 1;
		buf_printf(report, "%s%s", report->len ? ", " : "wrote ",
		    st[i].path);
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		if (st[i].tmp != NULL) {
			unlink(st[i].tmp);
			free(st[i].tmp);
		}
		free(st[i].path);
		free_secret(body[i].data, body[i].cap);
	}
	free(leaf);
	free(chain);
	free_secret(keypem, keypem ? strlen(keypem) : 0);
	if (rc != 0 && *manifest != NULL) {
		free_secret(*manifest, strlen(*manifest));
		*manifest = NULL;
	}
	return rc;
}

/*
 * Run the entry's command under key (deploy-reload, or
 * deploy-kubernetes-apply with the Secret on its stdin); its outcome goes
 * to report as "WHAT ok" or "WHAT failed: ...". 0 ok or not configured,
 * -1 failed.
 */
static int
hook(struct rjob *j, const char *key, const char *what, const char *input,
    struct buf *report)
{
	struct strv argv;
	struct run_result res;
	const char *cmd = entry_get(&j->e, key);
	char *err = NULL, *how;
	int rc = -1;

	if (cmd == NULL)
		return 0;
	strv_init(&argv);
	if (argv_split(cmd, &argv, &err) != 0) {
		buf_printf(report, "%s%s: %s", report->len ? "; " : "", what,
		    err);
		free(err);
		strv_free(&argv);
		return -1;
	}
	if (run_argv_input(argv.v, NULL, input, input ? strlen(input) : 0, 0,
	    RELOAD_TIMEOUT_MS, &res, &err) != 0) {
		buf_printf(report, "%s%s failed: %s",
		    report->len ? "; " : "", what, err);
		free(err);
	} else {
		if (run_ok(&res)) {
			buf_printf(report, "%s%s ok", report->len ? "; " : "",
			    what);
			rc = 0;
		} else {
			how = run_describe(&res, RELOAD_TIMEOUT_MS);
			buf_printf(report, "%s%s failed: %s %s",
			    report->len ? "; " : "", what, argv.v[0], how);
			free(how);
		}
		if (res.output.len > 0) {
			if (j->out.len)
				buf_addc(&j->out, '\n');
			buf_add(&j->out, res.output.data, res.output.len);
		}
		run_result_free(&res);
	}
	strv_free(&argv);
	return rc;
}

struct vctx {
	struct rjob	*j;
	const char	*want;
	int		 live;
	int		 n;
};

/* A result as it lands (on the worker): its line; the result itself is
   kept for the index, which the commit writes. */
static void
verify_cb(void *arg, struct probe_result *r)
{
	struct vctx *v = arg;
	struct rjob *j = v->j;

	v->n++;
	if (r->kind == PROBE_OK && r->nchain > 0 &&
	    strcmp(r->leaf_sha256, v->want) == 0)
		strv_addn(&j->vlines, xasprintf("%s ok", r->endpoint));
	else {
		v->live = 0;
		if (r->kind != PROBE_OK)
			strv_addn(&j->vlines, xasprintf("%s failed: %s",
			    r->endpoint, probe_kind_name(r->kind)));
		else
			strv_addn(&j->vlines, xasprintf("%s serves %.16s",
			    r->endpoint, r->nchain > 0 ? r->leaf_sha256 :
			    "nothing"));
	}
	j->probes = xreallocarray(j->probes, j->nprobes + 1,
	    sizeof *j->probes);
	j->probes[j->nprobes++] = r;
}

/* The probes go into the history as any probe does (on the inventory's
   thread). */
static void
verify_record(struct inv *inv, struct rjob *j)
{
	struct idx_probe ip;
	struct buf b;
	size_t i;

	for (i = 0; i < j->nprobes; i++) {
		struct probe_result *r = j->probes[i];

		buf_init(&b);
		probe_result_json(r, clock_now(), &b);
		memset(&ip, 0, sizeof ip);
		ip.endpoint = r->endpoint;
		ip.entry = r->entry;
		ip.time = r->time;
		ip.ok = r->kind == PROBE_OK;
		ip.kind = (char *)probe_kind_name(r->kind);
		ip.detail = r->detail;
		ip.leaf_sha256 = r->nchain > 0 ? r->leaf_sha256 : NULL;
		ip.json = b.data;
		idx_probe_put(inv->idx, &ip, NULL);
		buf_free(&b);
		probe_result_free(r);
	}
	j->nprobes = 0;
}

/*
 * Probe the entry's endpoints (j->targets, found when the job was
 * prepared): j->live 1 all serve it, 0 not, -1 none. A reload takes
 * effect a moment after the command returns (nginx -s reload only
 * signals the master), so a mismatch is probed again a few times,
 * VERIFY_TRIES in all, before it counts (once when the reload failed:
 * nothing will change then).
 */
#define VERIFY_TRIES	5
#define VERIFY_WAIT_MS	400

static void
verify(struct rjob *j, const struct inv_renew_opts *o, int tries)
{
	struct probe_opts po;
	struct vctx v;
	char *err = NULL, fp[65];
	int try;

	j->live = -1;
	if (j->ntargets == 0)
		return;
	ca_x509_fp(j->leaf, fp);
	memset(&po, 0, sizeof po);
	po.timeout_ms = o != NULL && o->probe_timeout_ms > 0 ?
	    o->probe_timeout_ms : PROBE_TIMEOUT_DEFAULT_MS;
	po.ca_pem = j->b->anchors;
	po.ca_len = j->b->anchors_len;
	po.cancel = o != NULL ? o->cancel : NULL;
	for (try = 1; try <= tries; try++) {
		memset(&v, 0, sizeof v);
		v.j = j;
		v.want = fp;
		v.live = 1;
		strv_free(&j->vlines);
		strv_init(&j->vlines);
		if (probe_run(j->targets, j->ntargets, &po, verify_cb, &v,
		    &err) != 0) {
			strv_addn(&j->vlines, xasprintf("probe: %s", err));
			free(err);
			err = NULL;
			v.live = 0;
		}
		if ((v.live && v.n > 0) ||
		    (po.cancel != NULL && *po.cancel))
			break;
		if (try < tries)
			poll(NULL, 0, VERIFY_WAIT_MS * try);
	}
	j->live = v.n > 0 ? v.live : 0;
}

/* ---------------------------------------------------------------------- */
/* The job log, and the state the list shows. */

/* Output fit for the index: escaped, cut. */
static char *
job_output(const char *error, const struct buf *out)
{
	struct buf b;
	char *s;

	buf_init(&b);
	if (error != NULL)
		buf_adds(&b, error);
	if (out != NULL && out->len > 0) {
		if (b.len)
			buf_addc(&b, '\n');
		s = xstrndup(out->data, out->len > JOB_OUTPUT_MAX ?
		    JOB_OUTPUT_MAX : out->len);
		buf_adds(&b, s);
		free(s);
	}
	s = buf_steal(&b);
	buf_init(&b);
	/* Line by line, so the log keeps its lines but no control bytes. */
	{
		char *line, *save = NULL;

		for (line = strtok_r(s, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (b.len)
				buf_addc(&b, '\n');
			esc_text(&b, line, 0);
		}
	}
	free(s);
	return buf_steal(&b);
}

static void
job_put(struct inv *inv, const char *name, int64_t started, int ok,
    const char *output)
{
	struct idx_job jb;

	memset(&jb, 0, sizeof jb);
	jb.entry = (char *)name;
	jb.kind = (char *)"renew";
	jb.started = started;
	jb.ended = clock_now();
	jb.ok = ok;
	jb.output = (char *)output;
	idx_job_put(inv->idx, &jb, NULL);
}

const char *
inv_renew_state_name(enum inv_renew_state s)
{
	static const char *const names[] = { NULL, "renewal failed",
	    "renewal stuck", "renewed, not live" };

	return (size_t)s < nitems(names) ? names[s] : NULL;
}

int
inv_renew_state(struct inv *inv, const char *name,
    enum inv_renew_state *st, char **cause)
{
	struct idx_job jobs[INV_RENEW_STUCK_AFTER];
	size_t n = 0, i, failed = 0;
	int rc = 0;

	*st = INV_RENEW_NONE;
	if (idx_job_recent(inv->idx, name, "renew", jobs, nitems(jobs), &n,
	    cause) != 0)
		return -1;
	for (i = 0; i < n && !jobs[i].ok; i++)
		failed++;
	if (failed >= INV_RENEW_STUCK_AFTER)
		*st = INV_RENEW_STUCK;
	else if (failed > 0)
		*st = INV_RENEW_FAILED;
	else if (n > 0 && jobs[0].output != NULL &&
	    str_startswith(jobs[0].output, "not-live ")) {
		/* Until a probe since the renewal saw the new leaf (its
		   fingerprint ends the first line). */
		char *fp = xstrndup(jobs[0].output + 9,
		    strcspn(jobs[0].output + 9, "\n"));

		rc = idx_probe_seen(inv->idx, name, fp, jobs[0].ended, cause);
		free(fp);
		if (rc == 0)
			*st = INV_RENEW_NOT_LIVE;
		rc = rc < 0 ? -1 : 0;
	}
	for (i = 0; i < n; i++)
		idx_job_free(&jobs[i]);
	return rc;
}

int
inv_renew_states(struct inv *inv, struct strv *names, struct strv *states,
    char **cause)
{
	struct strv all;
	enum inv_renew_state st;
	size_t i;

	strv_init(&all);
	if (idx_job_entries(inv->idx, "renew", &all, cause) != 0) {
		strv_free(&all);
		return -1;
	}
	for (i = 0; i < all.n; i++) {
		if (inv_renew_state(inv, all.v[i], &st, NULL) != 0 ||
		    st == INV_RENEW_NONE)
			continue;
		strv_add(names, all.v[i]);
		strv_add(states, inv_renew_state_name(st));
	}
	strv_free(&all);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Plans and runs. */

void
inv_renew_plan_free(struct inv_renew_plan *p)
{
	free(p->name);
	free(p->profile);
	free(p->key);
	free(p->reload);
	strv_free(&p->deploy);
	strv_free(&p->endpoints);
	memset(p, 0, sizeof *p);
}

int
inv_renew_plan(struct inv *inv, const char *name, struct inv_renew_plan *p,
    char **cause)
{
	struct rjob j;
	char *e = NULL;
	int rc;

	memset(p, 0, sizeof *p);
	strv_init(&p->deploy);
	strv_init(&p->endpoints);
	p->name = xstrdup(name);
	rc = rjob_init(inv, &inv->cfg, name, &j, &e);
	if (rc == 0) {
		p->old_not_after = j.old_not_after;
		rc = j.kind->check(&j, p, &e);
		if (rc == 0)
			rc = deploy_check(&j, &e);
		plan_deploy(&j, p);
	}
	if (rc != 0) {
		set_cause(cause, "%s: %s", name, e);
		free(e);
	}
	rjob_free(&j);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* A batch: what its jobs share. */

static void
batch_init(struct rbatch *b, struct inv *inv, const struct inv_renew_opts *o)
{
	memset(b, 0, sizeof *b);
	b->inv = inv;
	b->o = o;
	/* Each commit reloads inv->cfg; the workers read this copy. */
	config_copy(&b->cfg, &inv->cfg);
	b->acme = acme_batch_new();
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->done_tail = &b->done;
	/* Read the clock's setting (CERTDECK_NOW) and the keys' PBKDF2
	   iterations (CERTDECK_KDF_ITERATIONS) before any thread does. */
	(void)clock_now();
	(void)key_kdf_iterations();
}

static void
batch_free(struct rbatch *b)
{
	size_t i;

	for (i = 0; i < b->ncas; i++) {
		free(b->cas[i]->name);
		ca_free(b->cas[i]->ca);
		free(b->cas[i]->error);
		free(b->cas[i]->chain);
		pthread_mutex_destroy(&b->cas[i]->mu);
		free(b->cas[i]);
	}
	free(b->cas);
	acme_batch_free(b->acme);
	config_free(&b->cfg);
	free_secret(b->pass, b->pass != NULL ? strlen(b->pass) : 0);
	free(b->pass_error);
	free(b->anchors);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
}

/* The key passphrase, asked for once a batch (NULL with *cause). */
static const char *
batch_pass(struct rbatch *b, char **cause)
{
	if (!b->pass_read) {
		b->pass_read = 1;
		b->pass = inv_key_passphrase(1, &b->pass_error);
		if (b->pass == NULL && b->pass_error == NULL)
			b->pass_error = xstrdup("no passphrase to encrypt the "
			    "new key (set CERTDECK_PASSPHRASE_FILE or use "
			    "--passphrase-fd)");
	}
	if (b->pass == NULL)
		set_cause(cause, "%s", b->pass_error);
	return b->pass;
}

/* A local CA with its key, decrypted once a batch (the 600,000-round
   PBKDF2 is most of a renewal). A failure is kept for the CA's other
   entries. */
static struct rca *
batch_ca(struct rbatch *b, const char *name)
{
	struct rca *c;
	size_t i;

	for (i = 0; i < b->ncas; i++)
		if (strcmp(b->cas[i]->name, name) == 0)
			return b->cas[i];
	c = xcalloc(1, sizeof *c);
	c->name = xstrdup(name);
	pthread_mutex_init(&c->mu, NULL);
	if (ca_load(b->inv, name, 1, &c->ca, &c->error) == 0)
		c->chain = ca_chain_pem(c->ca);
	b->cas = xreallocarray(b->cas, b->ncas + 1, sizeof *b->cas);
	b->cas[b->ncas++] = c;
	return c;
}

/* ---------------------------------------------------------------------- */
/* A job's three steps. */

/*
 * On the inventory's thread: the entry, its profile, the passphrase and
 * what the repository and the index hold for it. Always a job; its error
 * is set when it cannot go on.
 */
static struct rjob *
job_prepare(struct rbatch *b, const char *name)
{
	struct rjob *j = xmalloc(sizeof *j);
	char *e = NULL, *le = NULL, *words[1];
	int lockfd;

	/*
	 * One renewal of an entry at a time, across processes (cron and an
	 * operator): taken before the entry is read, so what a renewal that
	 * ran meanwhile committed is what this one starts from.
	 */
	lockfd = name_valid(name) ? renew_lock(b->inv, name, &le) : -2;
	if (rjob_init(b->inv, &b->cfg, name, j, &e) != 0) {
		if (lockfd >= 0)
			close(lockfd);
		free(le);
		goto fail;
	}
	if (lockfd == -1) {
		e = le;
		goto fail;
	}
	j->lockfd = lockfd;
	j->b = b;
	j->started = clock_now();
	/* The key is stored encrypted: no passphrase, no renewal (checked
	   before anything is made). An ACME account key is stored too. */
	if ((entry_get(&j->e, "key-path") == NULL ||
	    strcmp(j->kind->name, "acme") == 0) &&
	    (j->pass = batch_pass(b, &e)) == NULL)
		goto fail;
	if ((j->kind->prepare != NULL ? j->kind->prepare(j, &e) :
	    j->kind->check(j, NULL, &e)) != 0 || deploy_check(j, &e) != 0)
		goto fail;
	/* A Secret of a reused key needs the stored key: read here, opened
	   by the worker only if no new key is made. */
	if ((entry_get(&j->e, "deploy-kubernetes-secret") != NULL ||
	    entry_get(&j->e, "deploy-kubernetes-apply") != NULL) &&
	    inv_entry_key_stored(b->inv, name, &j->stored_key, &j->stored_len,
	    &e) < 0)
		goto fail;
	words[0] = (char *)name;
	if (entry_get(&j->e, "endpoints") != NULL &&
	    inv_probe_targets(b->inv, words, 1, 0, &j->targets, &j->ntargets,
	    NULL, NULL, &e) != 0) {
		/* Verified as none, as before: the renewal goes on. */
		free(e);
		e = NULL;
		j->ntargets = 0;
	}
	if (j->ntargets > 0 && !b->anchors_read) {
		b->anchors_read = 1;
		b->anchors = inv_probe_anchors(b->inv, &b->anchors_len);
	}
	return j;
fail:
	j->error = e != NULL ? e : xstrdup("failed");
	j->started = clock_now();
	return j;
}

/* On the worker: issue, encrypt the key, deploy, reload, verify. */
static void *
job_work(void *arg)
{
	struct rjob *j = arg;
	struct rbatch *b = j->b;
	char *e = NULL, *manifest = NULL;
	int hooks_ok;

	if (j->kind->issue(j, &e) != 0)
		goto out;
	/* A new key in a token stays there (key-path names it). */
	if (j->newkey != NULL && j->newkey_uri == NULL && j->pass != NULL &&
	    (j->keypem = key_encrypt_pem(j->newkey, j->pass,
	    &j->keylen)) == NULL) {
		e = xstrdup("encrypting the new key failed");
		goto out;
	}
	if (deploy(j, &j->dep, &manifest, &e) != 0)
		goto out;
	hooks_ok = hook(j, "deploy-kubernetes-apply", "apply", manifest,
	    &j->dep) == 0;
	if (manifest != NULL)
		free_secret(manifest, strlen(manifest));
	if (hook(j, "deploy-reload", "reload", NULL, &j->dep) != 0)
		hooks_ok = 0;
	verify(j, b->o, hooks_ok ? VERIFY_TRIES : 1);
	if (!hooks_ok && j->live == 1)
		j->live = 0;
	j->hooks_failed = !hooks_ok;
out:
	j->error = e;
	ERR_clear_error();
	pthread_mutex_lock(&b->mu);
	j->next = NULL;
	*b->done_tail = j;
	b->done_tail = &j->next;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* On the inventory's thread: the commit of a renewal whose files are out
   (the lock taken here, once per renewal). */
static int
job_commit(struct rbatch *b, struct rjob *j, struct inv_renew_result *res,
    char **cause)
{
	struct inv *inv = b->inv;
	struct repo_change ch[5];
	struct strv trailers;
	struct buf body;
	struct ca *hca = NULL;
	const char *apath = NULL, *apem = NULL;
	char *msg = NULL, *subject, *paths[4] = { NULL, NULL, NULL, NULL };
	char *etext = NULL;
	char *serials = NULL, *dir, *vtext = NULL, fp[65], od[16], nd[16];
	size_t n = 0, alen = 0, i;
	int rc = -1, acct = 0, same;

	strv_init(&trailers);
	buf_init(&body);
	if (inv_begin(inv, cause) != 0)
		goto out;
	verify_record(inv, j);
	dir = inv_entry_dir(j->name);
	ch[n].path = paths[n] = xasprintf("%s/cert.pem", dir);
	ch[n].data = j->full_pem;
	ch[n++].len = strlen(j->full_pem);
	if (j->newkey_uri != NULL) {
		/* The new key in the token: key-path names it from now. */
		entry_put(&j->e, "key-path", j->newkey_uri);
		etext = entry_format(&j->e);
		ch[n].path = paths[n] = xasprintf("%s/entry", dir);
		ch[n].data = etext;
		ch[n++].len = strlen(etext);
	}
	free(dir);
	if (j->keypem != NULL) {
		ch[n].path = paths[n] = xasprintf("keys/%s.key", j->name);
		ch[n].data = j->keypem;
		ch[n++].len = j->keylen;
	}
	if (j->rca != NULL) {
		/* The new line joins the record as it is now. */
		if (ca_load(inv, j->rca->name, 0, &hca, cause) != 0)
			goto unlock;
		pthread_mutex_lock(&j->rca->mu);	/* workers sign with it */
		same = X509_cmp(hca->cert, j->rca->ca->cert) == 0;
		pthread_mutex_unlock(&j->rca->mu);
		if (!same) {
			set_cause(cause, "CA %s changed during the renewal",
			    j->rca->name);
			goto unlock;
		}
		if (ca_record(hca, j->leaf, j->name, cause) != 0)
			goto unlock;
		serials = ca_serials_text(hca);
		ch[n].path = paths[n] = ca_path(hca->name, "serials");
		ch[n].data = serials;
		ch[n++].len = strlen(serials);
	}
	if (strcmp(j->kind->name, "acme") == 0 &&
	    (acct = acme_batch_account(b->acme, j->profile, &apath, &apem,
	    &alen)) != 0) {
		ch[n].path = apath;
		ch[n].data = apem;
		ch[n++].len = alen;
	}
	ca_x509_fp(j->leaf, fp);
	res->new_not_after = ca_asn1_unix(X509_get0_notAfter(j->leaf));
	clock_format_date(j->old_not_after, od);
	clock_format_date(res->new_not_after, nd);
	subject = xasprintf("renew %s: expires %s -> %s", j->name, od, nd);
	{
		char *ns = ca_x509_serial(j->leaf);

		buf_printf(&body, "old serial: %s\nnew serial: %s\n",
		    j->old_serial, ns);
		free(ns);
	}
	buf_printf(&body, "old fingerprint: %s\nnew fingerprint: %s\n",
	    j->old_fp, fp);
	buf_printf(&body, "key: %s\nprofile: %s%s%s\n", j->key_desc,
	    j->profile, j->rca != NULL ? ", CA " : "",
	    j->rca != NULL ? j->rca->name : "");
	buf_printf(&body, "deploy: %s\n", j->dep.len ? j->dep.data : "none");
	vtext = strv_join(&j->vlines, ", ");
	buf_printf(&body, "verify: %s\n", j->vlines.n ? vtext :
	    j->live < 0 ? "no endpoints" : "none");
	strv_addn(&trailers, xasprintf("Certdeck-Entry: %s", j->name));
	strv_addn(&trailers, xasprintf("Certdeck-Fingerprint: %s", fp));
	strv_addn(&trailers, xasprintf("Certdeck-Profile: %s", j->profile));
	for (i = 0; i < j->vlines.n; i++)
		strv_addn(&trailers, xasprintf("Certdeck-Verified: %s",
		    j->vlines.v[i]));
	msg = inv_message(subject, body.data, "renew", &trailers);
	free(subject);
	if (inv_commit(inv, ch, n, msg, res->commit, cause) != 0)
		goto unlock;
	if (acct)
		acme_batch_stored(b->acme, j->profile);
	res->deploy = j->dep.len ? buf_steal(&j->dep) : NULL;
	res->verify = j->vlines.n ? vtext : NULL;
	if (res->verify != NULL)
		vtext = NULL;
	res->ok = 1;
	{
		char *out = j->live == 0 ? xasprintf("not-live %s", fp) :
		    xstrdup("renewed");

		if (j->out.len > 0) {
			char *o2 = job_output(out, &j->out);

			free(out);
			out = o2;
		}
		job_put(inv, j->name, j->started, 1, out);
		free(out);
	}
	rc = 0;
unlock:
	inv_end(inv);
out:
	ca_free(hca);
	free(vtext);
	free(msg);
	free(serials);
	free(etext);
	for (i = 0; i < nitems(paths); i++)
		free(paths[i]);
	buf_free(&body);
	strv_free(&trailers);
	return rc;
}

/* On the inventory's thread: the job's commit (unless it failed before
   its files were out), its jobs row, the callback; then it is freed. */
static int
job_finish(struct rbatch *b, struct rjob *j, inv_renew_cb cb, void *arg)
{
	struct inv_renew_result res;
	char *e = NULL, *out;
	int ok;

	memset(&res, 0, sizeof res);
	res.name = j->name;
	res.live = j->live;
	res.deploy_failed = j->hooks_failed;
	res.old_not_after = j->old_not_after;
	if (j->error == NULL && job_commit(b, j, &res, &e) != 0) {
		/* Rare (a hand edit in the way): say that the files are out
		   there although the inventory does not have them. */
		j->error = xasprintf("the commit failed after the deploy "
		    "(%s): %s", j->dep.len ? j->dep.data : "nothing deployed",
		    e);
		free(e);
	}
	if (j->error != NULL) {
		/* A key it made in a token goes again, unless a deployed
		   certificate already needs it (a commit that failed after
		   the deploy): then it stays, and the error says where. */
		if (!j->deployed)
			key_generate_undo(j->newkey_uri);
		else if (j->newkey_uri != NULL) {
			char *why = j->error;

			j->error = xasprintf("%s; the new key stays in the "
			    "token for it: %s", why, j->newkey_uri);
			free(why);
		}
		/* Probes of a renewal that was not committed still count. */
		verify_record(b->inv, j);
		res.ok = 0;
		res.error = xstrdup(j->error);
		out = job_output(res.error, &j->out);
		res.output = j->out.len > 0 && (j->kind == NULL ||
		    !j->kind->log_only) ? job_output(NULL, &j->out) : NULL;
		job_put(b->inv, j->name, j->started, 0, out);
		free(out);
	}
	ok = res.ok;
	if (cb != NULL)
		cb(arg, &res);
	inv_renew_result_free(&res);
	rjob_free(j);
	free(j);
	return ok;
}

/* Start j's worker, signals blocked there (they are the caller's). */
static int
job_start(struct rjob *j)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&j->thread, NULL, job_work, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* The next job to finish, in the order they finish. */
static struct rjob *
job_wait(struct rbatch *b)
{
	struct rjob *j;

	pthread_mutex_lock(&b->mu);
	while (b->done == NULL)
		pthread_cond_wait(&b->cv, &b->mu);
	j = b->done;
	if ((b->done = j->next) == NULL)
		b->done_tail = &b->done;
	pthread_mutex_unlock(&b->mu);
	pthread_join(j->thread, NULL);
	return j;
}

void
inv_renew_result_free(struct inv_renew_result *r)
{
	free(r->error);
	free(r->output);
	free(r->deploy);
	free(r->verify);
	memset(r, 0, sizeof *r);
}

static int
name_cmp(const void *a, const void *b)
{
	char *const *x = *(char *const *const *)a, *const *y =
	    *(char *const *const *)b;
	int c = strcmp(*x, *y);

	return c != 0 ? c : (x < y ? -1 : x > y);
}

/* skip[i] set for a name given before i too: two renewals of one entry
   side by side would deploy each other's files. */
static char *
names_dups(char *const *names, size_t n)
{
	char *const **by = xcalloc(n ? n : 1, sizeof *by);
	char *skip = xcalloc(n ? n : 1, 1);
	size_t i;

	for (i = 0; i < n; i++)
		by[i] = &names[i];
	qsort(by, n, sizeof *by, name_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(*by[i], *by[i - 1]) == 0)
			skip[by[i] - names] = 1;
	free(by);
	return skip;
}

int
inv_renew(struct inv *inv, char *const *names, size_t n,
    const struct inv_renew_opts *o, inv_renew_cb cb, void *arg,
    char **cause)
{
	struct rbatch b;
	struct rjob *j;
	struct sigaction ign, oldpipe;
	size_t next = 0, running = 0, jobs;
	char *skip = names_dups(names, n);
	int failed = 0, rc;

	jobs = o != NULL && o->jobs > 0 ? (size_t)o->jobs :
	    INV_RENEW_JOBS_DEFAULT;
	if (jobs > INV_RENEW_JOBS_MAX)
		jobs = INV_RENEW_JOBS_MAX;
	batch_init(&b, inv, o);
	/* A peer that closes while a worker writes must not kill us: set
	   for the whole batch, so the probes' own setting and restoring of
	   it, on several threads, never leaves it at the default. */
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &oldpipe);
	repo_batch_begin(inv->repo);
	for (;;) {
		while (running < jobs && next < n && (o == NULL ||
		    o->cancel == NULL || !*o->cancel)) {
			if (skip[next]) {
				next++;
				continue;
			}
			j = job_prepare(&b, names[next++]);
			if (j->error == NULL) {
				/* The worker's from here until it is done. */
				if ((rc = job_start(j)) == 0) {
					running++;
					continue;
				}
				j->error = xasprintf("cannot start a thread: "
				    "%s", strerror(rc));
			}
			failed += !job_finish(&b, j, cb, arg);
		}
		if (running == 0)
			break;
		j = job_wait(&b);
		running--;
		failed += !job_finish(&b, j, cb, arg);
	}
	rc = repo_batch_end(inv->repo, INV_LOCK_TIMEOUT_MS, cause);
	sigaction(SIGPIPE, &oldpipe, NULL);
	batch_free(&b);
	free(skip);
	return rc != 0 ? -1 : failed;
}

struct due_ctx {
	struct strv	*names;
};

static int
due_row(void *arg, const struct inv_row *row)
{
	struct due_ctx *d = arg;
	const char *m = row->r->entry->meta;
	struct entry e;

	/* A profile, or a CA that issued it (the implicit profile). */
	if (row->r->entry->profile != NULL)
		strv_add(d->names, row->r->entry->name);
	else if (m != NULL && entry_parse(m, strlen(m), &e, NULL) == 0) {
		if (entry_get(&e, "ca") != NULL)
			strv_add(d->names, row->r->entry->name);
		entry_free(&e);
	}
	return 0;
}

int
inv_renew_due(struct inv *inv, struct strv *names, char **cause)
{
	struct inv_list_opts lo;
	struct due_ctx d = { names };

	memset(&lo, 0, sizeof lo);
	lo.expiring_days = -1;
	lo.status_mask = (1 << ST_EXPIRED) | (1 << ST_CRITICAL) |
	    (1 << ST_WARNING);
	lo.sort = IDX_SORT_EXPIRY;
	return inv_list(inv, &lo, due_row, &d, cause);
}
