/*
 * inv_ops.c: the smaller inventory operations: set, edit, rm, undo, list,
 * log, fsck.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "clock.h"
#include "entry.h"
#include "inventory.h"
#include "invpriv.h"

static int
read_entry(struct inv *inv, const char *dir, struct entry *e, char **cause)
{
	char *path = xasprintf("%s/entry", dir), *data = NULL;
	size_t len;
	int found;

	entry_init(e);
	found = repo_read(inv->repo, NULL, path, &data, &len, NULL, cause);
	free(path);
	if (found <= 0)
		return found;
	if (entry_parse(data, len, e, cause) != 0) {
		free(data);
		return -1;
	}
	free(data);
	return 1;
}

/*
 * Commit the changes ch of entry name (its endpoints going from old_eps to
 * new_eps; NULL when it goes) with the removal of the observed/ files of
 * endpoints nothing lists any more (inv_observed_gone), in one commit.
 */
static int
commit_entry(struct inv *inv, const char *name, const struct repo_change *ch,
    size_t nch, const char *old_eps, const char *new_eps, const char *subject,
    const char *action, const struct strv *trailers, char **cause)
{
	struct repo_change *all;
	struct strv gone;
	struct buf body;
	char *msg;
	size_t i;
	int rc;

	strv_init(&gone);
	buf_init(&body);
	inv_observed_gone(inv, name, old_eps, new_eps, &gone, &body);
	all = xcalloc(nch + gone.n, sizeof *all);
	memcpy(all, ch, nch * sizeof *ch);
	for (i = 0; i < gone.n; i++)
		all[nch + i].path = gone.v[i];
	msg = inv_message(subject, body.data, action, trailers);
	rc = inv_commit(inv, all, nch + gone.n, msg, NULL, cause);
	free(msg);
	free(all);
	strv_free(&gone);
	buf_free(&body);
	return rc;
}

int
inv_set(struct inv *inv, const char *name, char *const *assign, size_t n,
    char **cause)
{
	struct entry old, e;
	struct repo_change ch;
	struct strv trailers;
	char *dir, *text = NULL, *subject, *what;
	size_t i;
	int rc = -1;

	if (n == 0)
		return set_cause(cause, "nothing to set (give key=value)");
	if (inv_begin(inv, cause) != 0)
		return -1;
	strv_init(&trailers);
	dir = inv_entry_dir(name);
	entry_init(&e);
	entry_init(&old);
	if (!inv_exists(inv, name)) {
		set_cause(cause, "%s: no such entry", name);
		goto out;
	}
	if (read_entry(inv, dir, &old, cause) < 0 ||
	    read_entry(inv, dir, &e, cause) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (entry_apply(&e, assign[i], cause) != 0)
			goto out;
	if (entry_equal(&old, &e)) {
		rc = 0;
		goto out;
	}
	text = entry_format(&e);
	ch.path = what = xasprintf("%s/entry", dir);
	ch.data = *text != '\0' ? text : NULL;	/* the last key gone */
	ch.len = strlen(text);
	{
		struct strv parts;

		strv_init(&parts);
		for (i = 0; i < n; i++)
			strv_add(&parts, assign[i]);
		what = strv_join(&parts, ", ");
		strv_free(&parts);
	}
	subject = xasprintf("set %s: %.200s", name, what);
	free(what);
	strv_addn(&trailers, xasprintf("Certdeck-Entry: %s", name));
	rc = commit_entry(inv, name, &ch, 1, entry_get(&old, "endpoints"),
	    entry_get(&e, "endpoints"), subject, "set", &trailers, cause) == 0 ?
	    1 : -1;
	free(subject);
	free((char *)ch.path);
out:
	inv_end(inv);
	entry_free(&e);
	entry_free(&old);
	strv_free(&trailers);
	free(text);
	free(dir);
	return rc;
}

int
inv_rm(struct inv *inv, const char *name, char **cause)
{
	struct repo_change ch[3];
	struct strv trailers;
	struct idx_entry ie;
	char *dir, *subject, *keypath;
	char *p1, *p2, *data = NULL;
	char blob[REPO_OID_HEX];
	size_t n = 2, len;
	int rc = -1, found;

	if (inv_begin(inv, cause) != 0)
		return -1;
	strv_init(&trailers);
	dir = inv_entry_dir(name);
	if (idx_entry_get(inv->idx, name, &ie, cause) != 1) {
		set_cause(cause, "%s: no such entry", name);
		goto out;
	}
	ch[0].path = p1 = xasprintf("%s/cert.pem", dir);
	ch[1].path = p2 = xasprintf("%s/entry", dir);
	ch[0].data = ch[1].data = NULL;
	ch[0].len = ch[1].len = 0;
	keypath = xasprintf("keys/%s.key", name);
	found = repo_read(inv->repo, NULL, keypath, &data, &len, blob, NULL);
	free(data);
	if (found == 1) {
		ch[2].path = keypath;
		ch[2].data = NULL;
		ch[2].len = 0;
		n = 3;
	}
	subject = xasprintf("rm %s", name);
	strv_addn(&trailers, xasprintf("Certdeck-Entry: %s", name));
	if (*ie.cert_blob != '\0') {
		struct certfile cf;

		if (idx_file_get(inv->idx, ie.cert_blob, &cf, NULL) == 1) {
			if (cf.n > 0)
				strv_addn(&trailers, xasprintf(
				    "Certdeck-Fingerprint: %s",
				    cf.certs[0].sha256));
			certfile_free(&cf);
		}
	}
	rc = commit_entry(inv, name, ch, n, ie.endpoints, NULL, subject, "rm",
	    &trailers, cause);
	free(subject);
	idx_entry_free(&ie);
	free(p1);
	free(p2);
	free(keypath);
out:
	inv_end(inv);
	strv_free(&trailers);
	free(dir);
	return rc;
}

int
inv_entry_text(struct inv *inv, const char *name, char **text, char **cause)
{
	char *dir, *path;
	size_t len;
	int found;

	*text = NULL;
	if (!name_valid(name) || !inv_exists(inv, name))
		return 0;
	dir = inv_entry_dir(name);
	path = xasprintf("%s/entry", dir);
	found = repo_read(inv->repo, NULL, path, text, &len, NULL, cause);
	free(path);
	free(dir);
	if (found < 0)
		return -1;
	if (found == 0)
		*text = xstrdup("");
	return 1;
}

/* The keys whose values differ between a and b, sorted. */
static void
entry_changed_keys(const struct entry *a, const struct entry *b,
    struct strv *out)
{
	const char *v;
	size_t i;

	for (i = 0; i < a->k.n; i++)
		if ((v = entry_get(b, a->k.v[i])) == NULL ||
		    strcmp(v, a->v.v[i]) != 0)
			strv_add(out, a->k.v[i]);
	for (i = 0; i < b->k.n; i++)
		if (entry_get(a, b->k.v[i]) == NULL)
			strv_add(out, b->k.v[i]);
	strv_sort(out);
}

int
inv_set_entry(struct inv *inv, const char *name, const char *text,
    char **cause)
{
	struct entry want, old, e;
	struct repo_change ch;
	struct strv changed, trailers;
	char *dir, *a, *path = NULL, *out = NULL, *what, *err = NULL;
	size_t i;
	int rc = -1;

	if (entry_parse(text, strlen(text), &want, &err) != 0) {
		set_cause(cause, "%s", err);
		free(err);
		return -1;
	}
	if (inv_begin(inv, cause) != 0) {
		entry_free(&want);
		return -1;
	}
	strv_init(&changed);
	strv_init(&trailers);
	entry_init(&old);
	entry_init(&e);
	dir = inv_entry_dir(name);
	if (!inv_exists(inv, name)) {
		set_cause(cause, "%s: no such entry", name);
		goto out;
	}
	if (read_entry(inv, dir, &old, cause) < 0 ||
	    read_entry(inv, dir, &e, cause) < 0)
		goto out;
	/*
	 * Each key that appeared or changed, then each that went, through
	 * entry_apply as `set` does: the same checks, the same canonical
	 * lists. A key left as it was is not checked, so an unknown key that
	 * a newer certdeck wrote survives an edit of the others.
	 */
	for (i = 0; i < want.k.n; i++) {
		const char *v = entry_get(&old, want.k.v[i]);

		if (v != NULL && strcmp(v, want.v.v[i]) == 0)
			continue;
		a = xasprintf("%s=%s", want.k.v[i], want.v.v[i]);
		rc = entry_apply(&e, a, cause);
		free(a);
		if (rc != 0) {
			rc = -1;
			goto out;
		}
	}
	for (i = 0; i < old.k.n; i++) {
		if (entry_get(&want, old.k.v[i]) != NULL)
			continue;
		a = xasprintf("%s=", old.k.v[i]);
		rc = entry_apply(&e, a, cause);
		free(a);
		if (rc != 0) {
			rc = -1;
			goto out;
		}
	}
	rc = -1;
	entry_changed_keys(&old, &e, &changed);
	if (changed.n == 0) {
		rc = 0;
		goto out;
	}
	out = entry_format(&e);
	ch.path = path = xasprintf("%s/entry", dir);
	ch.data = *out != '\0' ? out : NULL;	/* the last key gone */
	ch.len = strlen(out);
	what = strv_join(&changed, ", ");
	a = xasprintf("edit %s: %.200s", name, what);
	free(what);
	strv_addn(&trailers, xasprintf("Certdeck-Entry: %s", name));
	rc = commit_entry(inv, name, &ch, 1, entry_get(&old, "endpoints"),
	    entry_get(&e, "endpoints"), a, "edit", &trailers, cause) == 0 ?
	    1 : -1;
	free(a);
out:
	inv_end(inv);
	entry_free(&want);
	entry_free(&e);
	entry_free(&old);
	strv_free(&changed);
	strv_free(&trailers);
	free(out);
	free(path);
	free(dir);
	return rc;
}

static int
undo_subject(void *arg, const struct repo_commit *c)
{
	char **subject = arg;

	free(*subject);
	*subject = xstrdup(c->subject);
	return 0;
}

/* The entry a changed path belongs to (certs/xx/NAME/..., keys/NAME.key). */
static void
undo_entry_of(const char *path, struct strv *names)
{
	const char *p, *end;
	char *name = NULL;

	if (str_startswith(path, "certs/") &&
	    (p = strchr(path + 6, '/')) != NULL &&
	    (end = strchr(p + 1, '/')) != NULL)
		name = xstrndup(p + 1, (size_t)(end - p - 1));
	else if (str_startswith(path, "keys/") && str_endswith(path, ".key") &&
	    strchr(path + 5, '/') == NULL)
		name = xstrndup(path + 5, strlen(path + 5) - 4);
	if (name == NULL)
		return;
	if (name_valid(name) && !strv_has(names, name))
		strv_add(names, name);
	free(name);
}

int
inv_undo(struct inv *inv, char **cause)
{
	struct repo_change *ch = NULL;
	struct strv names, trailers;
	char head[REPO_OID_HEX], *subject = NULL, *s, *body, *msg;
	size_t n = 0, i;
	int r, rc = -1;

	if (inv_begin(inv, cause) != 0)
		return -1;
	strv_init(&names);
	strv_init(&trailers);
	if ((r = repo_head(inv->repo, head, cause)) < 0)
		goto out;
	if (r == 0) {
		set_cause(cause, "nothing to undo: the inventory has no commit");
		goto out;
	}
	if (repo_log(inv->repo, NULL, 1, undo_subject, &subject, cause) != 0)
		goto out;
	if (subject == NULL)
		subject = xstrdup("");
	if ((r = repo_revert_changes(inv->repo, head, &ch, &n, cause)) < 0)
		goto out;
	if (r == 0) {
		set_cause(cause, "cannot undo the first commit (%.12s %s): "
		    "there is nothing before it", head, subject);
		goto out;
	}
	if (n == 0) {
		set_cause(cause, "nothing to undo: the last commit (%.12s %s) "
		    "changed no file", head, subject);
		goto out;
	}
	for (i = 0; i < n; i++)
		undo_entry_of(ch[i].path, &names);
	strv_sort(&names);
	for (i = 0; i < names.n; i++)
		strv_addn(&trailers, xasprintf("Certdeck-Entry: %s",
		    names.v[i]));
	strv_addn(&trailers, xasprintf("Certdeck-Reverts: %s", head));
	s = xasprintf("undo: %.200s", subject);
	body = xasprintf("Reverts commit %s.", head);
	msg = inv_message(s, body, "undo", &trailers);
	free(body);
	free(s);
	rc = inv_commit(inv, ch, n, msg, NULL, cause);
	free(msg);
out:
	inv_end(inv);
	repo_changes_free(ch, n);
	strv_free(&names);
	strv_free(&trailers);
	free(subject);
	return rc;
}

void
inv_row_status(struct inv *inv, const struct idx_row *r, enum status *st,
    int64_t *days)
{
	int64_t now = clock_now();

	if (r->leaf == NULL) {
		*st = ST_NONE;
		*days = 0;
		return;
	}
	*st = status_of(&inv->cfg, now, r->leaf->not_before, r->eff_not_after);
	*days = status_days_left(now, r->eff_not_after);
}

int
inv_status_counts(struct inv *inv, size_t counts[ST_COUNT], size_t *total,
    char **cause)
{
	return status_count(&inv->cfg, inv->idx, clock_now(), counts, total,
	    cause);
}

struct list_ctx {
	struct inv		*inv;
	const struct inv_list_opts *o;
	inv_row_cb		 cb;
	void			*arg;
};

static int
list_row(void *arg, const struct idx_row *r)
{
	struct list_ctx *ctx = arg;
	struct inv_row row;

	row.r = r;
	inv_row_status(ctx->inv, r, &row.status, &row.days_left);
	if (ctx->o->status_mask != 0 &&
	    !(ctx->o->status_mask & (1 << row.status)))
		return 0;
	return ctx->cb(ctx->arg, &row);
}

int
inv_resolve(struct inv *inv, const char *rev, char out[REPO_OID_HEX],
    char **cause)
{
	int64_t when;
	char *err = NULL;

	if (repo_resolve(inv->repo, rev, out, &err) == 0)
		return 0;
	if (clock_parse_at(rev, &when) != 0) {
		set_cause(cause, "unknown revision or date: %s", rev);
		free(err);
		return -1;
	}
	free(err);
	if (repo_resolve_time(inv->repo, when, out, NULL) != 0)
		return set_cause(cause, "no commit at or before %s", rev);
	return 0;
}

struct at_ctx {
	struct inv	*inv;
	char		*err;
};

static int
at_one(void *arg, const struct repo_entry *re)
{
	struct at_ctx *ctx = arg;
	struct idx_entry ie;
	int rc;

	if (inv_entry_misplaced(re) != NULL)	/* no entry, then either */
		return 0;
	/* From a diff: the entry did not exist then. */
	if (*re->cert_blob == '\0' && *re->entry_blob == '\0')
		return idx_at_del(ctx->inv->idx, re->name, &ctx->err) ? 1 : 0;
	if (inv_entry_row(ctx->inv, re, &ie, NULL, NULL, &ctx->err) != 0)
		return 1;
	rc = idx_at_put(ctx->inv->idx, &ie, &ctx->err);
	idx_entry_free(&ie);
	return rc != 0 ? 1 : 0;
}

/*
 * The snapshot of commit: when the index is current, a copy of its
 * entries changed by the tree diff from HEAD to commit (whose cost
 * follows the size of the change: equal shards are skipped by id);
 * otherwise a walk of the commit's whole tree.
 */
static int
at_build(struct inv *inv, const char *commit, struct at_ctx *a)
{
	char head[REPO_OID_HEX], ihead[REPO_OID_HEX];

	if (repo_head(inv->repo, head, NULL) == 1 &&
	    idx_get_head(inv->idx, ihead, NULL) == 0 &&
	    strcmp(head, ihead) == 0) {
		if (idx_at_copy(inv->idx, &a->err) != 0)
			return -1;
		return repo_diff_entries(inv->repo, head, commit, at_one, a,
		    &a->err);
	}
	return repo_walk_entries(inv->repo, commit, at_one, a, &a->err);
}

int
inv_list(struct inv *inv, const struct inv_list_opts *o, inv_row_cb cb,
    void *arg, char **cause)
{
	struct list_ctx ctx = { inv, o, cb, arg };
	struct idx_query q;
	char commit[REPO_OID_HEX];
	int rc;

	memset(&q, 0, sizeof q);
	q.filter = o->filter;
	q.sort = o->sort;
	q.reverse = o->reverse;
	q.name = o->name;
	if (o->expiring_days >= 0)
		q.not_after_max = clock_now() + (int64_t)o->expiring_days * 86400;
	if (o->at != NULL) {
		struct at_ctx a = { inv, NULL };

		if (inv_resolve(inv, o->at, commit, cause) != 0)
			return -1;
		/* A commit's tree never changes: the snapshot built for it
		   last time (a filter keystroke in a past list) still holds. */
		q.at = 1;
		if (strcmp(inv->at_commit, commit) == 0)
			return idx_list(inv->idx, &q, list_row, &ctx, cause);
		inv->at_commit[0] = '\0';
		/* The tree of that commit, through the parse cache: old
		   certificates are parsed once, then looked up. */
		if (idx_begin(inv->idx, cause) != 0)
			return -1;
		if (idx_at_begin(inv->idx, cause) != 0 ||
		    at_build(inv, commit, &a) != 0) {
			if (a.err != NULL) {
				set_cause(cause, "%s", a.err);
				free(a.err);
			}
			idx_rollback(inv->idx);
			return -1;
		}
		if (idx_commit(inv->idx, cause) != 0)
			return -1;
		memcpy(inv->at_commit, commit, sizeof inv->at_commit);
	}
	rc = idx_list(inv->idx, &q, list_row, &ctx, cause);
	return rc;
}

struct log_ctx {
	inv_log_cb	 cb;
	void		*arg;
};

static int
log_one(void *arg, const struct repo_commit *c)
{
	struct log_ctx *ctx = arg;
	struct inv_commit ic;
	size_t i;
	int rc;

	ic.c = c;
	ic.action = "git";
	strv_init(&ic.entries);
	for (i = 0; i < c->ntrailers; i++) {
		if (strcmp(c->trailer_keys[i], "Certdeck-Action") == 0)
			ic.action = c->trailer_values[i];
		else if (strcmp(c->trailer_keys[i], "Certdeck-Entry") == 0)
			strv_add(&ic.entries, c->trailer_values[i]);
	}
	rc = ctx->cb(ctx->arg, &ic);
	strv_free(&ic.entries);
	return rc;
}

int
inv_log(struct inv *inv, const char *name, size_t limit, inv_log_cb cb,
    void *arg, char **cause)
{
	struct log_ctx ctx = { cb, arg };
	char *prefix = NULL;
	int rc;

	if (name != NULL) {
		char *dir = inv_entry_dir(name);

		prefix = xasprintf("%s/", dir);
		free(dir);
	}
	rc = repo_log(inv->repo, prefix, limit, log_one, &ctx, cause);
	free(prefix);
	return rc;
}

int
inv_log_sweeps(struct inv *inv, size_t limit, inv_log_cb cb, void *arg,
    char **cause)
{
	struct log_ctx ctx = { cb, arg };

	return repo_log(inv->repo, "audit/", limit, log_one, &ctx, cause);
}

struct fsck_ctx {
	struct inv	*inv;
	inv_report_cb	 cb;
	void		*arg;
	int		 problems;
	int		 fixable;	/* of them, what a rebuild mends */
	int		 current;	/* the index is at HEAD */
	int		 fresh;		/* of them, not found before */
	size_t		 in_head;	/* entries of HEAD (current only) */
	struct strv	*said;		/* lines the first pass told, sorted */
	struct strv	*rebuilt;	/* what the rebuild told about, sorted */
	struct strv	 told;		/* lines this pass told */
	struct strv	 whats;		/* what they were about */
	char		*err;
};

static void
fsck_say(struct fsck_ctx *ctx, int fixable, const char *what,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * A problem: counted, and told. The check after a repair tells only what
 * is new: not a line the first pass told, nor about a file or entry the
 * rebuild spoke of (in its own words, often with the reason).
 */
static void
fsck_say(struct fsck_ctx *ctx, int fixable, const char *what,
    const char *fmt, ...)
{
	va_list ap;
	char *msg, *line;
	int seen;

	ctx->problems++;
	ctx->fixable += fixable;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	line = xasprintf("%s: %s", what, msg);
	seen = ctx->said != NULL && strv_sorted_has(ctx->said, line);
	ctx->fresh += ctx->said != NULL && !seen;
	if (ctx->cb != NULL && !seen &&
	    !(ctx->rebuilt != NULL && strv_sorted_has(ctx->rebuilt, what)))
		ctx->cb(ctx->arg, 1, what, msg);
	strv_add(&ctx->told, line);
	strv_add(&ctx->whats, what);
	free(line);
	free(msg);
}

static int
fsck_dirty(void *arg, const char *path, const char *what)
{
	fsck_say(arg, 0, path, "%s in the work tree but not committed", what);
	return 0;
}

static int
fsck_entry(void *arg, const struct repo_entry *re)
{
	struct fsck_ctx *ctx = arg;
	struct idx_entry ie;
	const char *why;
	char *path, *msg;
	int r;

	if ((why = inv_entry_misplaced(re)) != NULL) {
		path = xasprintf("certs/%s/%s", re->shard, re->name);
		msg = inv_entry_misplaced_text(re, why);
		fsck_say(ctx, 0, path, "%s", msg);
		free(msg);
		free(path);
		return 0;
	}
	/* Behind HEAD, the index has nothing to compare yet. */
	if (!ctx->current)
		return 0;
	ctx->in_head++;
	r = idx_entry_get(ctx->inv->idx, re->name, &ie, &ctx->err);
	if (r < 0)
		return 1;
	if (r == 0) {
		fsck_say(ctx, 1, re->name, "in HEAD but missing from the "
		    "index");
		return 0;
	}
	if (strcmp(ie.entry_blob, re->entry_blob) != 0 ||
	    (strcmp(ie.cert_blob, re->cert_blob) != 0 && *ie.cert_blob != '\0'))
		fsck_say(ctx, 1, re->name, "index differs from HEAD");
	else if (*ie.cert_blob == '\0' && *re->cert_blob != '\0')
		fsck_say(ctx, 0, re->name, "cert.pem does not parse");
	idx_entry_free(&ie);
	return 0;
}

/* One pass of the checks; ctx->problems counts what it finds. */
static int
fsck_pass(struct fsck_ctx *ctx, int repair, char **cause)
{
	struct inv *inv = ctx->inv;
	char head[REPO_OID_HEX], ihead[REPO_OID_HEX], *what = NULL;
	size_t nstale;
	int64_t v;
	int d;

	/* A damaged index first: nothing else in it can be trusted. */
	if ((d = idx_quick_check(inv->idx, &what, cause)) < 0)
		return -1;
	if (d == 1) {
		fsck_say(ctx, 1, "index", "damaged (SQLite: %s)", what);
		d = repair && inv_index_replace(inv, what, cause) != 0;
		free(what);
		return d ? -1 : 0;
	}
	if (repo_head(inv->repo, head, cause) < 0 ||
	    idx_get_head(inv->idx, ihead, cause) != 0)
		return -1;
	ctx->current = strcmp(head, ihead) == 0;
	if (!ctx->current)
		fsck_say(ctx, 1, "index", "behind HEAD (at %.12s, HEAD %.12s)",
		    *ihead ? ihead : "nothing", head);
	if (idx_meta_get(inv->idx, INV_META_WT_AT, &what, cause) < 0)
		return -1;
	if (what != NULL && *what != '\0')
		fsck_say(ctx, 1, "work tree", "not brought forward from %.12s "
		    "to HEAD %.12s (every command tries again)", what, head);
	free(what);
	what = NULL;
	if (repo_check_worktree(inv->repo, fsck_dirty, ctx, cause) != 0)
		return -1;
	/* Entries: misplaced directories always, the rest at HEAD only. */
	if (repo_walk_entries(inv->repo, head, fsck_entry, ctx,
	    &ctx->err) != 0) {
		set_cause(cause, "%s", ctx->err ? ctx->err : "tree walk");
		free(ctx->err);
		ctx->err = NULL;
		return -1;
	}
	if (!ctx->current)
		return 0;
	if (idx_scalar(inv->idx, "SELECT count(*) FROM entries", &v,
	    cause) != 0)
		return -1;
	if ((size_t)v != ctx->in_head)
		fsck_say(ctx, 1, "index", "holds %lld entries, HEAD %zu",
		    (long long)v, ctx->in_head);
	if (idx_entry_stale(inv->idx, &nstale, cause) != 0)
		return -1;
	if (nstale > 0)
		fsck_say(ctx, 1, "index", "%zu entr%s an expiry other than"
		    " their certificate file's", nstale,
		    nstale == 1 ? "y has" : "ies have");
	return 0;
}

/*
 * The rebuild's reports under fsck --repair: what it says of a file or
 * entry the first pass told of is dropped (the same problem in other
 * words); the rest goes on, and is remembered for the check after it.
 */
struct rebuild_ctx {
	struct fsck_ctx	*first;
	struct strv	 about;
};

static void
rebuild_report(void *arg, int level, const char *input, const char *msg)
{
	struct rebuild_ctx *rc = arg;
	struct fsck_ctx *first = rc->first;
	char *what;

	/* Reports of a directory name it in the message: "certs/..: ...". */
	what = input != NULL ? xstrdup(input) :
	    xstrndup(msg, strcspn(msg, ":"));
	if (!strv_sorted_has(&first->whats, what) && first->cb != NULL)
		first->cb(first->arg, level, input, msg);
	strv_add(&rc->about, what);
	free(what);
}

int
inv_fsck(struct inv *inv, int repair, inv_report_cb cb, void *arg,
    struct inv_fsck_result *res, char **cause)
{
	struct fsck_ctx ctx, after;
	struct rebuild_ctx rb;
	int rc = -1;

	memset(&ctx, 0, sizeof ctx);
	ctx.inv = inv;
	ctx.cb = cb;
	ctx.arg = arg;
	strv_init(&ctx.told);
	strv_init(&ctx.whats);
	after = ctx;
	strv_init(&after.told);
	strv_init(&after.whats);
	strv_init(&rb.about);
	memset(res, 0, sizeof *res);
	if (fsck_pass(&ctx, repair, cause) != 0)
		goto out;
	res->problems = ctx.problems;
	res->fixable = ctx.fixable;
	res->left = ctx.problems;
	if (!repair || ctx.fixable == 0) {
		rc = 0;
		goto out;
	}
	/* Looked up once per problem: sorted, not scanned. */
	strv_sort(&ctx.told);
	strv_sort(&ctx.whats);
	rb.first = &ctx;
	if (inv_reindex(inv, rebuild_report, &rb, cause) != 0)
		goto out;
	strv_sort(&rb.about);
	after.said = &ctx.told;
	after.rebuilt = &rb.about;
	if (fsck_pass(&after, 0, cause) != 0)
		goto out;
	/* Behind HEAD, the first pass could not see what the rows hold. */
	res->problems += after.fresh;
	res->left = after.problems;
	rc = 0;
out:
	strv_free(&ctx.told);
	strv_free(&ctx.whats);
	strv_free(&after.told);
	strv_free(&after.whats);
	strv_free(&rb.about);
	return rc;
}
