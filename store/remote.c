/*
 * remote.c: remotes, fetch, push and clone through libgit2, and the
 * pieces of a sync (remote.h). Replayed commits are built with
 * git_tree_create_updated from the new parent's tree plus the changed
 * paths, so, like repo_commit, a replay costs what changed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "remote.h"
#include "repopriv.h"
#include "util.h"

/* How many times libgit2 may ask for credentials before we give up. */
#define REMOTE_CRED_TRIES	6

struct remote_cb {
	int		 tries;
	int		 agent_tried;
	int		 key;		/* next key file to offer */
	char		*rejected;	/* first refused ref update, for push */
};

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

static const char *const remote_keys[] = {
	"id_ed25519", "id_ecdsa", "id_rsa", NULL
};

/*
 * Credentials: the ssh agent first, then the usual key files (without a
 * passphrase). https with a user and password in the URL is handled by
 * libgit2 itself. Bounded: libgit2 asks again after each failure.
 */
static int
remote_cred(git_credential **out, const char *url, const char *user_from_url,
    unsigned int allowed, void *payload)
{
	struct remote_cb *cb = payload;
	struct passwd *pw;
	const char *user = user_from_url, *home;
	char *pub, *priv;
	int rc;

	(void)url;
	if (++cb->tries > REMOTE_CRED_TRIES)
		return GIT_EUSER;
	pw = getpwuid(getuid());
	if (user == NULL || *user == '\0')
		user = pw != NULL ? pw->pw_name : "git";
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY))
		return GIT_PASSTHROUGH;
	if (!cb->agent_tried) {
		cb->agent_tried = 1;
		if (getenv("SSH_AUTH_SOCK") != NULL)
			return git_credential_ssh_key_from_agent(out, user);
	}
	home = getenv("HOME");
	if (home == NULL || *home == '\0')
		home = pw != NULL ? pw->pw_dir : "/";
	for (; remote_keys[cb->key] != NULL; cb->key++) {
		priv = xasprintf("%s/.ssh/%s", home, remote_keys[cb->key]);
		if (access(priv, R_OK) != 0) {
			free(priv);
			continue;
		}
		pub = xasprintf("%s.pub", priv);
		rc = git_credential_ssh_key_new(out, user,
		    access(pub, R_OK) == 0 ? pub : NULL, priv, NULL);
		free(pub);
		free(priv);
		cb->key++;
		return rc;
	}
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

static void
remote_callbacks(git_remote_callbacks *rc, struct remote_cb *cb)
{
	memset(cb, 0, sizeof *cb);
	git_remote_init_callbacks(rc, GIT_REMOTE_CALLBACKS_VERSION);
	rc->credentials = remote_cred;
	rc->push_update_reference = remote_push_ref;
	rc->payload = cb;
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
		set_cause(cause, "a remote named %s already exists (%s)", name,
		    old);
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
		strv_add(&urls, e->value != NULL ? e->value : "");
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
remote_lookup(struct repo *r, const char *remote, git_remote **rm,
    char **cause)
{
	char *url = remote_url(r, remote);
	int rc = 0;

	*rm = NULL;
	if (url == NULL)
		return set_cause(cause, "no remote named %s (add one with: "
		    "certdeck remote add %s URL)", remote, remote);
	if (remote_create(rm, repo_git(r), NULL, url) != 0)
		rc = repo_gerr(cause, "remote %s: bad URL %s", remote, url);
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
	if (remote_lookup(r, remote, &rm, cause) != 0)
		return -1;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	remote_callbacks(&fo.callbacks, &cb);
	fo.prune = GIT_FETCH_NO_PRUNE;
	msg = xasprintf("certdeck sync: fetch %s", remote);
	spec = xasprintf("+refs/heads/*:refs/remotes/%s/*", remote);
	specs.strings = &spec;
	specs.count = 1;
	e = git_remote_fetch(rm, &specs, &fo, msg);
	free(spec);
	free(msg);
	if (e != 0) {
		repo_gerr(cause, "cannot fetch from %s (%s)", remote,
		    git_remote_url(rm) != NULL ? git_remote_url(rm) : "?");
		git_remote_free(rm);
		return -1;
	}
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
	if (remote_lookup(r, remote, &rm, cause) != 0)
		return -1;
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	remote_callbacks(&po.callbacks, &cb);
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
	if (e == GIT_ENONFASTFORWARD) {
		repo_gerr(cause, "%s refused the push", remote);
		rc = 1;
	} else if (e != 0)
		repo_gerr(cause, "cannot push to %s (%s)", remote,
		    git_remote_url(rm) != NULL ? git_remote_url(rm) : "?");
	else if (cb.rejected != NULL) {
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
	free(cb.rejected);
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
	remote_callbacks(&co.fetch_opts.callbacks, &cb);
	co.remote_cb = remote_clone_cb;
	if (git_clone(&git, url, dir, &co) != 0) {
		repo_gerr(cause, "cannot clone %s", url);
		goto out;
	}
	if (remote_clone_main(git, cause) != 0)
		goto out;
	/* .certdeck/ is local state, as repo_create arranges. */
	if (repo_exclude_local(git, cause) != 0)
		goto out;
	rc = 0;
out:
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
	char *refname;
	int e;

	if (repo_parse_oid(old, &oid) != 0 || repo_parse_oid(new_, &nid) != 0)
		return set_cause(cause, "bad commit id");
	if (git_reference_lookup(&head, repo_git(r), "HEAD") != 0)
		return repo_gerr(cause, "cannot read HEAD");
	refname = xstrdup(git_reference_type(head) == GIT_REFERENCE_SYMBOLIC ?
	    git_reference_symbolic_target(head) : "HEAD");
	git_reference_free(head);
	e = git_reference_create_matching(&moved, repo_git(r), refname, &nid,
	    1, &oid, reflog);
	if (e == GIT_EMODIFIED || e == GIT_EEXISTS) {
		git_error_clear();
		set_cause(cause, "%s moved meanwhile (another git process?); "
		    "nothing was changed", refname);
	} else if (e != 0)
		repo_gerr(cause, "cannot move %s", refname);
	git_reference_free(moved);
	free(refname);
	return e == 0 ? 0 : -1;
}
