/*
 * inv_sync.c: sync through git remotes (sync.h).
 *
 * Every step can be interrupted and done again: the fetch only moves
 * refs/remotes/; the replay writes objects that nothing refers to until
 * the branch moves (compare-and-swap, the commit point, as in
 * repo_commit); after it the work tree, .git/index and the SQLite index
 * are merely behind HEAD, which the next command's refresh repairs; the
 * push sends a commit that is already safe locally. What cannot be found
 * again from git, the sides chosen for conflicts and the remote of a
 * stopped sync, is kept in .certdeck/sync (local, not versioned) until a
 * sync completes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "clock.h"
#include "crash.h"
#include "cred.h"
#include "entry.h"
#include "invpriv.h"
#include "sync.h"
#include "../store/remote.h"

/* .certdeck/sync: "remote NAME", "conflicts N", "conflict NAME" (each of
   them), "ours NAME", "theirs NAME". */
struct sync_state {
	char		*remote;
	size_t		 conflicts;
	struct strv	 names;		/* the conflicts, by entry or path */
	struct strv	 ours, theirs;
};

static char *
state_path(struct inv *inv)
{
	return xasprintf("%s/.certdeck/sync", inv->dir);
}

static void
state_free(struct sync_state *st)
{
	free(st->remote);
	strv_free(&st->names);
	strv_free(&st->ours);
	strv_free(&st->theirs);
	memset(st, 0, sizeof *st);
}

static int
state_load(struct inv *inv, struct sync_state *st, char **cause)
{
	struct strv lines;
	char *p = state_path(inv), *data = NULL, *err = NULL, *v;
	size_t len, i;

	memset(st, 0, sizeof *st);
	strv_init(&st->names);
	strv_init(&st->ours);
	strv_init(&st->theirs);
	if (read_file(p, 1 << 20, &data, &len, &err) != 0) {
		free(p);
		if (errno == ENOENT) {
			free(err);
			return 0;
		}
		set_cause(cause, "%s", err);
		free(err);
		return -1;
	}
	free(p);
	strv_init(&lines);
	strv_split(&lines, data, '\n');
	for (i = 0; i < lines.n; i++) {
		if ((v = strchr(lines.v[i], ' ')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(lines.v[i], "remote") == 0) {
			free(st->remote);
			st->remote = xstrdup(v);
		} else if (strcmp(lines.v[i], "conflicts") == 0)
			st->conflicts = strtoul(v, NULL, 10);
		else if (strcmp(lines.v[i], "conflict") == 0)
			strv_add(&st->names, v);
		else if (strcmp(lines.v[i], "ours") == 0)
			strv_add(&st->ours, v);
		else if (strcmp(lines.v[i], "theirs") == 0)
			strv_add(&st->theirs, v);
	}
	strv_free(&lines);
	free(data);
	return 0;
}

static int
state_save(struct inv *inv, const struct sync_state *st, char **cause)
{
	struct buf b;
	char *p = state_path(inv), *tmp;
	size_t i;
	int rc;

	buf_init(&b);
	if (st->remote != NULL)
		buf_printf(&b, "remote %s\n", st->remote);
	buf_printf(&b, "conflicts %zu\n", st->conflicts);
	for (i = 0; i < st->names.n; i++)
		buf_printf(&b, "conflict %s\n", st->names.v[i]);
	for (i = 0; i < st->ours.n; i++)
		buf_printf(&b, "ours %s\n", st->ours.v[i]);
	for (i = 0; i < st->theirs.n; i++)
		buf_printf(&b, "theirs %s\n", st->theirs.v[i]);
	tmp = xasprintf("%s/.certdeck/tmp", inv->dir);
	mkdir_p(tmp, 0700);
	rc = write_file_atomic_via(p, tmp, b.data, b.len, 0600, cause);
	free(tmp);
	free(p);
	buf_free(&b);
	return rc;
}

static void
state_remove(struct inv *inv)
{
	char *p = state_path(inv);

	unlink(p);
	free(p);
}

/* 1 ours, 2 theirs, 0 not chosen. */
static int
state_choice(const struct sync_state *st, const char *name)
{
	if (strv_has(&st->ours, name))
		return 1;
	if (strv_has(&st->theirs, name))
		return 2;
	return 0;
}

void
inv_sync_result_free(struct inv_sync_result *res)
{
	size_t i;

	for (i = 0; i < res->nconflicts; i++) {
		free(res->conflicts[i].name);
		free(res->conflicts[i].ours);
		free(res->conflicts[i].theirs);
		free(res->conflicts[i].ours_text);
		free(res->conflicts[i].theirs_text);
	}
	free(res->conflicts);
	free(res->remote);
	memset(res, 0, sizeof *res);
}

int
inv_remote_add(struct inv *inv, const char *name, const char *url,
    char **cause)
{
	int rc;

	if (inv_lock(inv, cause) != 0)
		return -1;
	rc = repo_remote_add(inv->repo, name, url, cause);
	inv_unlock(inv);
	return rc;
}

int
inv_remote_list(struct inv *inv, int (*cb)(void *, const char *,
    const char *), void *arg, char **cause)
{
	return repo_remote_list(inv->repo, cb, arg, cause);
}

/* One file of a group as the three sides have it. */
struct sync_file {
	char	*path;
	char	 o[REPO_OID_HEX];	/* before the local commit */
	char	 n[REPO_OID_HEX];	/* after it */
	char	 t[REPO_OID_HEX];	/* on the new base (theirs) */
};

/* The entry or path a commit's changed file belongs to. */
struct sync_group {
	char		*name;		/* entry name, or the path */
	char		*dir;		/* certs/xx/name, or NULL */
	struct sync_file f[2];		/* cert.pem, entry; or the path */
	size_t		 nf;
};

/* Replaying one local commit. */
struct sync_replay {
	struct inv		*inv;
	const char		*parent;	/* the local commit's parent */
	const char		*commit;	/* the local commit */
	const char		*cur;		/* the new base */
	const char		*base;		/* where the branches parted */
	const char		*local;		/* the local tip */
	const char		*remote;	/* the remote's tip */
	const struct sync_state	*st;
	struct inv_sync_result	*res;
	struct strv		 seen;		/* groups done in this commit */
	struct repo_change	*ch;
	size_t			 nch, capch;
	char			**cause;
};

static void
replay_change(struct sync_replay *rp, const char *path, char *data,
    size_t len)
{
	struct repo_change *c;

	if (rp->nch == rp->capch) {
		rp->capch = rp->capch ? rp->capch * 2 : 8;
		rp->ch = xreallocarray(rp->ch, rp->capch, sizeof *rp->ch);
	}
	c = &rp->ch[rp->nch++];
	c->path = xstrdup(path);
	c->data = data;
	c->len = data != NULL ? len : 0;
}

/* Blob id of path at commit into id ("" if absent). */
static int
blob_at(struct inv *inv, const char *commit, const char *path,
    char id[REPO_OID_HEX], char **cause)
{
	char *data = NULL;
	size_t len;
	int r;

	id[0] = '\0';
	r = repo_read(inv->repo, commit, path, &data, &len, id, cause);
	free(data);
	if (r == 0)
		id[0] = '\0';
	return r < 0 ? -1 : 0;
}

/* The empty blob: the metadata of an entry that has no entry file. */
#define EMPTY_BLOB	"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"

/*
 * The blob ids of group g's files at the commits o, n and t. An entry
 * whose certificate is there and whose entry file is not has empty
 * metadata (an entry file is written only when there is some): its
 * entry is the empty blob then, so that "no metadata" and "removed" are
 * told apart and merge by key like any other metadata.
 */
static int
group_blobs(struct inv *inv, struct sync_group *g, const char *o,
    const char *n, const char *t, char **cause)
{
	struct sync_file *f;
	size_t i;

	for (i = 0; i < g->nf; i++) {
		f = &g->f[i];
		if (blob_at(inv, o, f->path, f->o, cause) != 0 ||
		    blob_at(inv, n, f->path, f->n, cause) != 0 ||
		    blob_at(inv, t, f->path, f->t, cause) != 0)
			return -1;
	}
	if (g->dir == NULL)
		return 0;
	f = &g->f[1];
	if (*g->f[0].o != '\0' && *f->o == '\0')
		memcpy(f->o, EMPTY_BLOB, REPO_OID_HEX);
	if (*g->f[0].n != '\0' && *f->n == '\0')
		memcpy(f->n, EMPTY_BLOB, REPO_OID_HEX);
	if (*g->f[0].t != '\0' && *f->t == '\0')
		memcpy(f->t, EMPTY_BLOB, REPO_OID_HEX);
	return 0;
}

/* A blob's text ("" for none); caller frees. */
static char *
blob_text(struct inv *inv, const char *id, size_t *len)
{
	char *data = NULL, *err = NULL;

	*len = 0;
	if (*id == '\0' || repo_blob(inv->repo, id, &data, len, &err) != 0) {
		free(err);
		*len = 0;
		return xstrdup("");
	}
	return data;
}

/* "new certificate, expires 2027-03-01" for a cert.pem blob. */
static void
describe_cert(struct inv *inv, const char *id, struct buf *b)
{
	struct certfile cf;
	char *data, *err = NULL, date[16];
	size_t len;

	data = blob_text(inv, id, &len);
	memset(&cf, 0, sizeof cf);
	if (cert_parse_pem_file(data, len, &cf, &err) == 0 && cf.n > 0) {
		clock_format_date(cf.certs[0].not_after, date);
		buf_printf(b, "certificate expiring %s (sha256 %.12s)", date,
		    cf.certs[0].sha256);
		certfile_free(&cf);
	} else
		buf_printf(b, "certificate blob %.12s", id);
	free(err);
	free(data);
}

/*
 * "set owner=a, notes=b" for the keys (all that differ between the entry
 * files base and side when keys is empty). -1 if a file does not parse.
 */
static int
describe_keys(struct inv *inv, const char *base, const char *side,
    const struct strv *keys, struct buf *b)
{
	struct entry eb, es;
	struct strv diff;
	const char *v;
	char *tb, *ts, *err = NULL;
	size_t lb, ls, k;
	int rc = -1;

	strv_init(&diff);
	tb = blob_text(inv, base, &lb);
	ts = blob_text(inv, side, &ls);
	entry_init(&eb);
	entry_init(&es);
	if (entry_parse(tb, lb, &eb, &err) != 0 ||
	    entry_parse(ts, ls, &es, &err) != 0)
		goto out;
	if (keys != NULL && keys->n > 0)
		for (k = 0; k < keys->n; k++)
			strv_add(&diff, keys->v[k]);
	else {
		for (k = 0; k < es.k.n; k++)
			if ((v = entry_get(&eb, es.k.v[k])) == NULL ||
			    strcmp(v, es.v.v[k]) != 0)
				strv_add(&diff, es.k.v[k]);
		for (k = 0; k < eb.k.n; k++)
			if (entry_get(&es, eb.k.v[k]) == NULL)
				strv_add(&diff, eb.k.v[k]);
		strv_sort(&diff);
	}
	if (diff.n == 0)
		goto out;
	buf_adds(b, "set ");
	for (k = 0; k < diff.n; k++) {
		v = entry_get(&es, diff.v[k]);
		buf_printf(b, "%s%s=%s", k ? ", " : "", diff.v[k],
		    v != NULL ? v : "");
	}
	rc = 0;
out:
	free(err);
	entry_free(&eb);
	entry_free(&es);
	free(tb);
	free(ts);
	strv_free(&diff);
	return rc;
}

/* What one side did to a group, from o to side (n or t), one line. */
static char *
describe(struct inv *inv, const struct sync_group *g, int theirs,
    const struct strv *keys)
{
	struct buf b;
	const struct sync_file *f;
	const char *side;
	size_t i, gone = 0;

	buf_init(&b);
	for (i = 0; i < g->nf; i++)
		if (*(theirs ? g->f[i].t : g->f[i].n) == '\0' &&
		    (g->nf > 1 || *g->f[i].o != '\0'))
			gone++;
	if (gone == g->nf)
		return xstrdup(g->dir != NULL ? "removed the entry" :
		    "removed the file");
	for (i = 0; i < g->nf; i++) {
		f = &g->f[i];
		side = theirs ? f->t : f->n;
		if (strcmp(side, f->o) == 0)
			continue;
		if (b.len != 0)
			buf_adds(&b, "; ");
		if (g->dir != NULL && i == 0) {
			buf_adds(&b, *side == '\0' ? "removed the certificate" :
			    "new ");
			if (*side != '\0')
				describe_cert(inv, side, &b);
		} else if (g->dir != NULL && *side != '\0' &&
		    describe_keys(inv, f->o, side, keys, &b) == 0)
			;
		else {
			buf_adds(&b, *side == '\0' ? "removed " : "changed ");
			buf_adds(&b, g->dir != NULL ? "the metadata" :
			    "the file");
		}
	}
	if (b.len == 0)
		buf_adds(&b, "left it as it was");
	return buf_steal(&b);
}

/* The entry as one side has it (certificate line and metadata). */
static char *
side_text(struct inv *inv, const struct sync_group *g, int theirs)
{
	struct buf b;
	const char *id;
	char *text;
	size_t i, len;

	buf_init(&b);
	for (i = 0; i < g->nf; i++) {
		id = theirs ? g->f[i].t : g->f[i].n;
		if (g->dir != NULL && i == 0) {
			if (*id == '\0')
				buf_adds(&b, "(no certificate)\n");
			else {
				describe_cert(inv, id, &b);
				buf_addc(&b, '\n');
			}
			continue;
		}
		if (*id == '\0') {
			buf_adds(&b, "(removed)\n");
			continue;
		}
		text = blob_text(inv, id, &len);
		if (len == 0 && g->dir != NULL)
			buf_adds(&b, "(no metadata)\n");
		buf_add(&b, text, len);
		if (len > 0 && text[len - 1] != '\n')
			buf_addc(&b, '\n');
		free(text);
	}
	return buf_steal(&b);
}

static int	merge_entry(struct sync_replay *, const struct sync_file *,
		    int, char **, struct strv *);

/*
 * Record a conflict on group g (once per entry), described over the whole
 * sync: what the local branch and the remote each did since they parted,
 * not only the local commit that met it.
 */
static int
add_conflict(struct sync_replay *rp, const struct sync_group *g)
{
	struct inv_sync_result *res = rp->res;
	struct inv_conflict *c;
	struct sync_group w;
	struct strv keys;
	char *merged = NULL;
	size_t i;

	for (i = 0; i < res->nconflicts; i++)
		if (strcmp(res->conflicts[i].name, g->name) == 0)
			return 0;
	w = *g;
	if (group_blobs(rp->inv, &w, rp->base, rp->local, rp->remote,
	    rp->cause) != 0)
		return -1;
	strv_init(&keys);
	if (w.dir != NULL)
		merge_entry(rp, &w.f[1], 0, &merged, &keys);
	free(merged);
	res->conflicts = xreallocarray(res->conflicts, res->nconflicts + 1,
	    sizeof *res->conflicts);
	c = &res->conflicts[res->nconflicts++];
	c->name = xstrdup(w.name);
	c->ours = describe(rp->inv, &w, 0, &keys);
	c->theirs = describe(rp->inv, &w, 1, &keys);
	c->ours_text = side_text(rp->inv, &w, 0);
	c->theirs_text = side_text(rp->inv, &w, 1);
	strv_free(&keys);
	return 0;
}

/* Take side (n: ours) of file f into the replayed commit. */
static void
take(struct sync_replay *rp, const struct sync_file *f, const char *id)
{
	char *data;
	size_t len;

	if (strcmp(id, f->t) == 0)
		return;
	if (*id == '\0' || strcmp(id, EMPTY_BLOB) == 0) {
		/* No file for nothing: see group_blobs(). */
		replay_change(rp, f->path, NULL, 0);
		return;
	}
	data = blob_text(rp->inv, id, &len);
	replay_change(rp, f->path, data, len);
}

/*
 * Merge the entry files by key: 1 possible (out set, conflicting keys in
 * keys), 0 not (a side has no file, or one does not parse).
 */
static int
merge_entry(struct sync_replay *rp, const struct sync_file *f, int prefer,
    char **out, struct strv *keys)
{
	struct entry eb, eo, et, em;
	char *tb, *to, *tt, *err = NULL;
	size_t lb, lo, lt;
	int ok = 0;

	if (*f->n == '\0' || *f->t == '\0')
		return 0;
	tb = blob_text(rp->inv, f->o, &lb);
	to = blob_text(rp->inv, f->n, &lo);
	tt = blob_text(rp->inv, f->t, &lt);
	entry_init(&eb);
	entry_init(&eo);
	entry_init(&et);
	if (entry_parse(tb, lb, &eb, &err) == 0 &&
	    entry_parse(to, lo, &eo, &err) == 0 &&
	    entry_parse(tt, lt, &et, &err) == 0) {
		entry_merge(&eb, &eo, &et, prefer, &em, keys);
		*out = entry_format(&em);
		entry_free(&em);
		ok = 1;
	}
	free(err);
	entry_free(&eb);
	entry_free(&eo);
	entry_free(&et);
	free(tb);
	free(to);
	free(tt);
	return ok;
}

/* Replay the local commit's changes to one group onto the new base. */
static int
replay_group(struct sync_replay *rp, struct sync_group *g)
{
	struct strv keys;
	struct sync_file *f;
	char *merged = NULL;
	size_t i, nconf = 0;
	int conf[2] = { 0, 0 }, choice, ours_gone = 1, theirs_gone = 1;
	int rc = -1;

	strv_init(&keys);
	if (group_blobs(rp->inv, g, rp->parent, rp->commit, rp->cur,
	    rp->cause) != 0)
		goto out;
	for (i = 0; i < g->nf; i++) {
		f = &g->f[i];
		if (*f->n != '\0')
			ours_gone = 0;
		if (*f->t != '\0')
			theirs_gone = 0;
		conf[i] = strcmp(f->o, f->n) != 0 && strcmp(f->t, f->o) != 0 &&
		    strcmp(f->t, f->n) != 0;
		nconf += conf[i];
	}
	choice = state_choice(rp->st, g->name);
	/* An entry file both changed: merge it by key. */
	if (g->dir != NULL && conf[1] &&
	    merge_entry(rp, &g->f[1], choice, &merged, &keys) &&
	    keys.n == 0)
		nconf--;
	if (nconf != 0 && choice == 0) {
		if (add_conflict(rp, g) != 0)
			goto out;
		choice = 2;	/* go on as if theirs, to find every conflict */
	}
	if (nconf != 0 && choice == 2 && ours_gone) {
		rc = 0;		/* theirs over our removal: drop it all */
		goto out;
	}
	for (i = 0; i < g->nf; i++) {
		f = &g->f[i];
		if (i == 1 && merged != NULL) {
			/* By key; conflicting keys from the chosen side. */
			if (*merged == '\0') {
				free(merged);	/* no key: no file */
				merged = NULL;
			}
			replay_change(rp, f->path, merged,
			    merged != NULL ? strlen(merged) : 0);
			merged = NULL;
		} else if (conf[i]) {
			if (choice == 1)
				take(rp, f, f->n);
		} else if (strcmp(f->o, f->n) != 0 && strcmp(f->t, f->o) == 0)
			take(rp, f, f->n);	/* ours alone changed it */
		else if (nconf != 0 && choice == 1 && theirs_gone)
			take(rp, f, f->n);	/* ours keeps what they removed */
	}
	rc = 0;
out:
	free(merged);
	strv_free(&keys);
	return rc;
}

/* Group a changed path: certs/xx/NAME/file -> entry NAME. */
static int
replay_path(void *arg, const char *path, const char *old_blob,
    const char *new_blob)
{
	struct sync_replay *rp = arg;
	struct sync_group g;
	const char *p, *slash;
	char *name;
	size_t i;
	int rc;

	(void)old_blob;
	(void)new_blob;
	memset(&g, 0, sizeof g);
	if (str_startswith(path, "certs/") && (p = strchr(path + 6, '/')) &&
	    (slash = strchr(p + 1, '/')) != NULL &&
	    strchr(slash + 1, '/') == NULL) {
		name = xstrndup(p + 1, (size_t)(slash - p - 1));
		g.dir = xstrndup(path, (size_t)(slash - path));
		g.f[0].path = xasprintf("%s/cert.pem", g.dir);
		g.f[1].path = xasprintf("%s/entry", g.dir);
		g.nf = 2;
		if (strcmp(slash + 1, "cert.pem") != 0 &&
		    strcmp(slash + 1, "entry") != 0) {
			/* Some other file in an entry: on its own. */
			free(g.f[0].path);
			free(g.f[1].path);
			free(g.dir);
			free(name);
			memset(&g, 0, sizeof g);
			name = xstrdup(path);
			g.f[0].path = xstrdup(path);
			g.nf = 1;
		}
	} else {
		name = xstrdup(path);
		g.f[0].path = xstrdup(path);
		g.nf = 1;
	}
	g.name = name;
	rc = 0;
	if (!strv_has(&rp->seen, g.dir != NULL ? g.dir : path)) {
		strv_add(&rp->seen, g.dir != NULL ? g.dir : path);
		rc = replay_group(rp, &g) != 0 ? -1 : 0;
	}
	for (i = 0; i < g.nf; i++)
		free(g.f[i].path);
	free(g.dir);
	free(g.name);
	return rc;
}

/*
 * Replay the local commits after base up to local onto remote. Returns 0
 * with the new tip in out, 1 on conflicts (listed in res), -1 error.
 */
static int
replay(struct inv *inv, const char *base, const char *local,
    const char *remote, const struct sync_state *st,
    struct inv_sync_result *res, char out[REPO_OID_HEX], char **cause)
{
	struct sync_replay rp;
	struct strv ids;
	char cur[REPO_OID_HEX], parent[REPO_OID_HEX], next[REPO_OID_HEX];
	size_t i;
	int r, rc = -1;

	strv_init(&ids);
	memcpy(cur, remote, REPO_OID_HEX);
	memcpy(parent, base, REPO_OID_HEX);
	if (repo_first_parents(inv->repo, base, local, &ids, cause) != 0)
		goto out;
	for (i = 0; i < ids.n; i++) {
		memset(&rp, 0, sizeof rp);
		rp.inv = inv;
		rp.parent = parent;
		rp.commit = ids.v[i];
		rp.cur = cur;
		rp.base = base;
		rp.local = local;
		rp.remote = remote;
		rp.st = st;
		rp.res = res;
		rp.cause = cause;
		strv_init(&rp.seen);
		r = repo_commit_files(inv->repo, ids.v[i], replay_path, &rp,
		    cause);
		if (r == 0)
			r = repo_replay(inv->repo, cur, ids.v[i], rp.ch, rp.nch,
			    next, cause);
		repo_changes_free(rp.ch, rp.nch);
		strv_free(&rp.seen);
		if (r < 0)
			goto out;
		if (r == 1)
			res->replayed++;
		memcpy(cur, next, REPO_OID_HEX);
		memcpy(parent, ids.v[i], REPO_OID_HEX);
	}
	memcpy(out, cur, REPO_OID_HEX);
	rc = res->nconflicts > 0 ? 1 : 0;
out:
	strv_free(&ids);
	return rc;
}

/* A merge commit of head and rtip with the tree of replayed. */
static int
merge(struct inv *inv, const char *head, const char *rtip,
    const char *replayed, const char *remote, char out[REPO_OID_HEX],
    char **cause)
{
	char *subject, *msg, *branch = NULL;
	int rc;

	if (repo_branch(inv->repo, &branch, cause) != 0)
		return -1;
	subject = xasprintf("sync: merge %s/%s", remote, branch);
	msg = inv_message(subject, NULL, "sync", NULL);
	rc = repo_merge_commit(inv->repo, head, rtip, replayed, msg, out,
	    cause);
	free(msg);
	free(subject);
	free(branch);
	return rc;
}

/*
 * Under the lock: put HEAD on top of the fetched tip rtip ("" when the
 * remote has no branch yet). The new local tip goes to out.
 */
static int
integrate(struct inv *inv, const char *rtip, const struct sync_state *st,
    struct inv_sync_result *res, char out[REPO_OID_HEX], char **cause)
{
	char head[REPO_OID_HEX], base[REPO_OID_HEX], next[REPO_OID_HEX];
	size_t ahead, behind;
	int r;

	if (repo_head(inv->repo, head, cause) != 1)
		return set_cause(cause, "the inventory has no commit");
	memcpy(out, head, REPO_OID_HEX);
	if (*rtip == '\0' || strcmp(rtip, head) == 0)
		return 0;
	if ((r = repo_merge_base(inv->repo, head, rtip, base, cause)) < 0)
		return -1;
	if (r == 0)
		return set_cause(cause, "%s shares no history with this "
		    "inventory (make a copy of it with certdeck clone URL DIR)",
		    res->remote);
	if (strcmp(base, rtip) == 0)
		return 0;		/* the remote has nothing new */
	if (repo_ahead_behind(inv->repo, head, rtip, &ahead, &behind,
	    cause) != 0)
		return -1;
	if (strcmp(base, head) == 0)
		memcpy(next, rtip, REPO_OID_HEX);	/* fast-forward */
	else {
		r = replay(inv, base, head, rtip, st, res, next, cause);
		if (r != 0)
			return r;
		/* sync = merge: the same tree, as one merge commit. */
		if (inv->cfg.sync_merge && merge(inv, head, rtip, next,
		    res->remote, next, cause) != 0)
			return -1;
	}
	res->taken += behind;
	crash_point("sync-replayed");
	if (repo_move_head(inv->repo, head, next, "certdeck sync: on top of "
	    "the remote", cause) != 0)
		return -1;
	crash_point("sync-moved");
	memcpy(out, next, REPO_OID_HEX);
	/* The work tree, .git/index and the index follow HEAD. */
	return inv_refresh(inv, inv->report, inv->report_arg, cause);
}

static void
record_sync(struct inv *inv, const char *remote)
{
	char *t = xasprintf("%lld", (long long)clock_now());

	if (idx_meta_set(inv->idx, "last-sync", t, NULL) != 0 ||
	    idx_meta_set(inv->idx, "last-sync-remote", remote, NULL) != 0) {
		/* Only the status line suffers. */
	}
	free(t);
}

int
inv_sync(struct inv *inv, const char *remote, struct inv_sync_result *res,
    char **cause)
{
	struct sync_state st;
	char *branch = NULL, *err = NULL;
	char rtip[REPO_OID_HEX], tip[REPO_OID_HEX], refused[REPO_OID_HEX];
	size_t ahead, behind, try, i;
	int r, rc = -1, was_refused = 0;

	memset(res, 0, sizeof *res);
	refused[0] = '\0';
	cred_install();
	if (state_load(inv, &st, cause) != 0)
		return -1;
	if (remote == NULL)
		remote = st.remote != NULL ? st.remote : SYNC_DEFAULT_REMOTE;
	res->remote = xstrdup(remote);
	if ((r = repo_remote_exists(inv->repo, remote, cause)) <= 0) {
		if (r == 0)
			set_cause(cause, "no remote named %s (add one with: "
			    "certdeck remote add %s URL)", remote, remote);
		goto out;
	}
	if (repo_branch(inv->repo, &branch, cause) != 0)
		goto out;
	for (try = 0; try < SYNC_TRIES; try++) {
		res->tries = try + 1;
		/* No lock while talking to the remote. */
		if (repo_fetch(inv->repo, remote, branch, rtip, cause) < 0)
			goto out;
		crash_point("sync-fetched");
		if (was_refused && strcmp(refused, rtip) == 0) {
			/* Refused, yet the remote did not move: a hook or
			   a permission said no. Keep that message. */
			set_cause(cause, "%s", err);
			goto out;
		}
		free(err);
		err = NULL;
		if (inv_begin(inv, cause) != 0)
			goto out;
		r = integrate(inv, rtip, &st, res, tip, cause);
		inv_end(inv);
		if (r < 0)
			goto out;
		if (r == 1) {
			/* remote may be st.remote itself (a sync again). */
			char *name = xstrdup(remote);

			free(st.remote);
			st.remote = name;
			remote = name;
			st.conflicts = res->nconflicts;
			strv_free(&st.names);
			strv_init(&st.names);
			for (i = 0; i < res->nconflicts; i++)
				strv_add(&st.names, res->conflicts[i].name);
			if (state_save(inv, &st, cause) != 0)
				goto out;
			rc = 1;
			goto out;
		}
		if (strcmp(tip, rtip) == 0)
			break;			/* nothing to push */
		res->pushed = 0;
		if (*rtip != '\0' && repo_ahead_behind(inv->repo, tip, rtip,
		    &ahead, &behind, cause) == 0)
			res->pushed = ahead;
		else if (*rtip == '\0') {
			struct strv all;

			strv_init(&all);
			if (repo_first_parents(inv->repo, "", tip, &all,
			    cause) == 0)
				res->pushed = all.n;
			strv_free(&all);
		}
		r = repo_push(inv->repo, remote, branch, tip, &err);
		if (r < 0) {
			set_cause(cause, "%s; your changes are kept here and "
			    "go with the next sync", err);
			goto out;
		}
		if (r == 0) {
			crash_point("sync-pushed");
			break;
		}
		memcpy(refused, rtip, REPO_OID_HEX);
		was_refused = 1;
	}
	if (try == SYNC_TRIES) {
		set_cause(cause, "%s: still refused after %d tries (%s); your "
		    "changes are kept here", remote, SYNC_TRIES,
		    err != NULL ? err : "the remote kept moving");
		goto out;
	}
	record_sync(inv, remote);
	state_remove(inv);
	rc = 0;
out:
	cred_forget();
	free(err);
	free(branch);
	state_free(&st);
	return rc;
}

int
inv_sync_resolve(struct inv *inv, const char *name, int theirs,
    char **cause)
{
	struct sync_state st;
	int rc;

	if (inv_lock(inv, cause) != 0)
		return -1;
	if (state_load(inv, &st, cause) != 0) {
		inv_unlock(inv);
		return -1;
	}
	/*
	 * Only a conflict of the stopped sync can be chosen: a typo would
	 * be kept, unused, and the sync would stop again on the real one.
	 * (A state from before the names were kept has none: anything.)
	 */
	if (st.remote == NULL || (st.names.n > 0 &&
	    !strv_has(&st.names, name))) {
		char *all = strv_join(&st.names, ", ");

		if (st.remote == NULL)
			set_cause(cause, "%s: no sync is stopped on a conflict",
			    name);
		else
			set_cause(cause, "%s: not a conflict of the stopped "
			    "sync (%s)", name, all);
		free(all);
		state_free(&st);
		inv_unlock(inv);
		return -1;
	}
	strv_remove(&st.ours, name);
	strv_remove(&st.theirs, name);
	strv_add(theirs ? &st.theirs : &st.ours, name);
	rc = state_save(inv, &st, cause);
	state_free(&st);
	inv_unlock(inv);
	return rc;
}

int
inv_sync_status(struct inv *inv, const char *remote,
    struct inv_sync_status *s, char **cause)
{
	struct sync_state st;
	char head[REPO_OID_HEX], rtip[REPO_OID_HEX], *v = NULL;
	size_t i;
	int r;

	memset(s, 0, sizeof *s);
	strv_init(&s->resolved);
	if (repo_branch(inv->repo, &s->branch, cause) != 0)
		return -1;
	if (idx_meta_get(inv->idx, "last-sync", &v, cause) < 0)
		return -1;
	if (v != NULL)
		s->last_sync = strtoll(v, NULL, 10);
	free(v);
	if (idx_meta_get(inv->idx, "last-sync-remote", &s->last_remote,
	    cause) < 0)
		return -1;
	if (state_load(inv, &st, cause) != 0)
		return -1;
	s->pending = st.conflicts;
	for (i = 0; i < st.ours.n; i++)
		strv_addn(&s->resolved, xasprintf("%s ours", st.ours.v[i]));
	for (i = 0; i < st.theirs.n; i++)
		strv_addn(&s->resolved, xasprintf("%s theirs",
		    st.theirs.v[i]));
	s->remote = xstrdup(remote != NULL ? remote : st.remote != NULL ?
	    st.remote : s->last_remote != NULL ? s->last_remote :
	    SYNC_DEFAULT_REMOTE);
	remote = s->remote;
	state_free(&st);
	r = repo_remote_exists(inv->repo, remote, cause);
	if (r <= 0) {
		free(s->remote);
		s->remote = NULL;
	}
	if (r <= 0)
		return r;
	if ((r = repo_tracking(inv->repo, remote, s->branch, rtip,
	    cause)) < 0)
		return -1;
	s->tracked = r;
	if (r == 1 && repo_head(inv->repo, head, cause) == 1 &&
	    repo_ahead_behind(inv->repo, head, rtip, &s->ahead, &s->behind,
	    cause) != 0)
		return -1;
	return 0;
}

void
inv_sync_status_free(struct inv_sync_status *s)
{
	free(s->branch);
	free(s->remote);
	free(s->last_remote);
	strv_free(&s->resolved);
	memset(s, 0, sizeof *s);
}

char *
inv_url_shown(const char *url)
{
	return repo_url_redact(url);
}

int
inv_clone(const char *url, const char *dir, char **cause)
{
	struct inv *inv = NULL;
	char *conf;
	int r;

	if (access(dir, F_OK) == 0 && rmdir(dir) != 0)
		return set_cause(cause, "%s: exists and is not an empty "
		    "directory", dir);
	cred_install();
	r = repo_clone(url, dir, cause);
	cred_forget();
	if (r != 0)
		return -1;
	conf = xasprintf("%s/certdeck.conf", dir);
	if (access(conf, F_OK) != 0) {
		free(conf);
		conf = repo_url_redact(url);
		set_cause(cause, "%s: cloned into %s, but it is not a "
		    "certdeck inventory (no certdeck.conf)", conf, dir);
		free(conf);
		return -1;
	}
	free(conf);
	/* Opening builds the index from HEAD. */
	if (inv_open(dir, 0, NULL, NULL, &inv, cause) != 0)
		return -1;
	record_sync(inv, "origin");
	inv_close(inv);
	return 0;
}
