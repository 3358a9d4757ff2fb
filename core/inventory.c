/*
 * inventory.c: opening an inventory, keeping its index up to HEAD, and the
 * transaction every mutation runs through (DESIGN.md, "One change, one
 * commit"). The individual operations live in inv_*.c files.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "clock.h"
#include "entry.h"
#include "gitindex.h"
#include "escape.h"
#include "inventory.h"
#include "invpriv.h"

/* Certificates parsed from git by this process (CERTDECK_STATS). */
static size_t inv_parsed_total;

static void	entry_cache_clear(void);

size_t
inv_stats_parsed(void)
{
	return inv_parsed_total;
}

void
inv_stats_gitindex(unsigned long *made, unsigned long *patched,
    unsigned long *compared)
{
	*made = gix_wrote(GIX_WROTE_NEW);
	*patched = gix_wrote(GIX_WROTE_PATCHED);
	*compared = gix_wrote(GIX_WROTE_COMPARED);
}

char *
inv_locate(const char *opt)
{
	const char *e;
	struct passwd *pw;

	if (opt != NULL && *opt != '\0')
		return xstrdup(opt);
	if ((e = getenv("CERTDECK_DIR")) != NULL && *e != '\0')
		return xstrdup(e);
	if ((e = getenv("XDG_DATA_HOME")) != NULL && *e == '/')
		return xasprintf("%s/certdeck", e);
	if ((e = getenv("HOME")) == NULL || *e == '\0') {
		pw = getpwuid(getuid());
		e = pw != NULL ? pw->pw_dir : "/";
	}
	return xasprintf("%s/.local/share/certdeck", e);
}

char *
inv_entry_dir(const char *name)
{
	char h[65];

	cert_sha256_hex(name, strlen(name), h);
	return xasprintf("certs/%.2s/%s", h, name);
}

const char *
inv_entry_misplaced(const struct repo_entry *re)
{
	char h[65];

	if (!name_valid(re->name))
		return "not a valid entry name";
	cert_sha256_hex(re->name, strlen(re->name), h);
	if (strlen(re->shard) != 2 || strncmp(re->shard, h, 2) != 0)
		return "not in the directory its name hashes to";
	return NULL;
}

char *
inv_entry_misplaced_text(const struct repo_entry *re, const char *why)
{
	char *want = name_valid(re->name) ? inv_entry_dir(re->name) : NULL;
	char *s;

	s = xasprintf("%s%s%s%s; no entry until it is moved (git mv)", why,
	    want ? " (its place: " : "", want ? want : "", want ? ")" : "");
	free(want);
	return s;
}

/* The operator, for the Certdeck-Operator trailer: login@host. */
char *
inv_operator(void)
{
	struct passwd *pw = getpwuid(getuid());
	char host[256];

	if (gethostname(host, sizeof host) != 0)
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';
	return xasprintf("%s@%s", pw != NULL ? pw->pw_name : "unknown", host);
}

int
inv_init(const char *dir, char **cause)
{
	static const char gitignore[] = ".certdeck/\n";
	struct repo_change ch[2];
	struct inv *inv = NULL;
	struct repo *repo = NULL;
	struct stat st;
	char *msg = NULL, *op = NULL, *e = NULL;
	int rc = -1;

	if (stat(dir, &st) == 0) {
		char *conf = xasprintf("%s/certdeck.conf", dir);
		int is_inv = access(conf, F_OK) == 0;

		free(conf);
		if (is_inv)
			return set_cause(cause, "%s: already a certdeck "
			    "inventory", dir);
		if (!S_ISDIR(st.st_mode))
			return set_cause(cause, "%s: exists and is not a "
			    "directory", dir);
	}
	if (repo_create(dir, &e) != 0) {
		set_cause(cause, "%s: %s", dir, e);
		free(e);
		return -1;
	}
	if (repo_open(dir, &repo, cause) != 0)
		return -1;
	repo_set_clock(repo, clock_now);
	if (repo_lock(repo, INV_LOCK_TIMEOUT_MS, cause) != 0)
		goto out;
	ch[0].path = "certdeck.conf";
	ch[0].data = config_default_text;
	ch[0].len = strlen(config_default_text);
	ch[1].path = ".gitignore";
	ch[1].data = gitignore;
	ch[1].len = strlen(gitignore);
	op = inv_operator();
	msg = xasprintf("init inventory\n\nCertdeck-Action: init\n"
	    "Certdeck-Operator: %s\n", op);
	if (repo_commit(repo, ch, 2, msg, NULL, cause) != 0)
		goto out;
	repo_unlock(repo);
	repo_close(repo);
	repo = NULL;
	/* Opening builds the index and records HEAD in it. */
	if (inv_open(dir, 0, NULL, NULL, &inv, cause) != 0)
		goto out;
	inv_close(inv);
	rc = 0;
out:
	if (repo != NULL) {
		repo_unlock(repo);
		repo_close(repo);
	}
	free(msg);
	free(op);
	return rc;
}

static int
load_config(struct inv *inv, char **cause)
{
	char *data = NULL, *err = NULL;
	size_t len;
	int found;

	found = repo_read(inv->repo, NULL, "certdeck.conf", &data, &len, NULL,
	    cause);
	if (found < 0)
		return -1;
	config_free(&inv->cfg);
	if (found == 0)
		config_defaults(&inv->cfg);
	else if (config_parse(data, len, "certdeck.conf", &inv->cfg,
	    &err) != 0) {
		/* A bad setting must not lock the operator out of the
		   inventory (fsck, or the commit that fixes it): warn (once,
		   not again when the refresh reads it), and use the
		   defaults. audit refuses (cfg_error). */
		if (inv->report != NULL && (inv->cfg_error == NULL ||
		    strcmp(inv->cfg_error, err) != 0))
			inv->report(inv->report_arg, 1, NULL, err);
		config_defaults(&inv->cfg);
	}
	free(inv->cfg_error);
	inv->cfg_error = err;
	free(data);
	return 0;
}

/*
 * A damaged index (not a database, or failing SQLite's checks) is only a
 * cache gone bad: with the lock held, it is moved aside to
 * index.db.broken, for whoever wants to look at it, and a new one is
 * made, which a refresh fills from HEAD. Said as a warning.
 */
static int
index_move_aside(struct inv *inv, const char *path, const char *why,
    char **cause)
{
	char *broken, *side;
	int rc;

	idx_close(inv->idx);
	inv->idx = NULL;
	/*
	 * Its -wal and -shm first: an opener between the rename and their
	 * removal would make its own, which would then go from under it.
	 */
	side = xasprintf("%s-wal", path);
	unlink(side);
	free(side);
	side = xasprintf("%s-shm", path);
	unlink(side);
	free(side);
	broken = xasprintf("%s.broken", path);
	if (rename(path, broken) != 0) {
		set_cause(cause, "%s: %s; and it cannot be moved aside: %s",
		    path, why, strerror(errno));
		free(broken);
		return -1;
	}
	inv_report(inv->report, inv->report_arg, 1, NULL, "%s: %s; moved "
	    "aside to %s, and rebuilt from HEAD", path, why, broken);
	free(broken);
	rc = idx_open(path, &inv->idx, cause);
	return rc != 0 ? -1 : 0;
}

int
inv_index_replace(struct inv *inv, const char *why, char **cause)
{
	char *path;
	int rc;

	if (inv_lock(inv, cause) != 0)
		return -1;
	path = xasprintf("%s/.certdeck/index.db", inv->dir);
	rc = index_move_aside(inv, path, why, cause);
	free(path);
	inv_unlock(inv);
	return rc;
}

/* Open the index at path, replacing it if it is damaged. */
static int
open_index(struct inv *inv, const char *path, char **cause)
{
	char *why = NULL;
	int rc;

	if ((rc = idx_open(path, &inv->idx, &why)) != IDX_OPEN_DAMAGED) {
		if (rc != 0)
			set_cause(cause, "%s", why);
		free(why);
		return rc != 0 ? -1 : 0;
	}
	free(why);
	why = NULL;
	/* Under the lock: another command may be doing the same. */
	if (repo_lock(inv->repo, INV_LOCK_TIMEOUT_MS, cause) != 0)
		return -1;
	if ((rc = idx_open(path, &inv->idx, &why)) == IDX_OPEN_DAMAGED) {
		/* idx_open named the file: say only why. */
		const char *w = str_startswith(why, path) &&
		    why[strlen(path)] == ':' ? why + strlen(path) + 2 : why;

		rc = index_move_aside(inv, path, w, cause);
	} else if (rc != 0)
		set_cause(cause, "%s", why);
	free(why);
	repo_unlock(inv->repo);
	return rc != 0 ? -1 : 0;
}

int
inv_open(const char *dir, int flags, inv_report_cb cb, void *arg,
    struct inv **out, char **cause)
{
	struct inv *inv;
	struct stat st;
	char *p, *e = NULL;

	*out = NULL;
	if (stat(dir, &st) != 0)
		return set_cause(cause, "%s: %s; make an inventory with: "
		    "certdeck init %s", dir, strerror(errno), dir);
	if (!S_ISDIR(st.st_mode))
		return set_cause(cause, "%s: not a directory", dir);
	p = xasprintf("%s/certdeck.conf", dir);
	if (access(p, F_OK) != 0) {
		free(p);
		/* init makes a new repository, not one in a git one. */
		p = xasprintf("%s/.git", dir);
		if (access(p, F_OK) == 0) {
			free(p);
			return set_cause(cause, "%s: a git repository, but not "
			    "a certdeck inventory (no certdeck.conf); make one "
			    "elsewhere with: certdeck init NEWDIR", dir);
		}
		free(p);
		return set_cause(cause, "%s: not a certdeck inventory (no "
		    "certdeck.conf); make one with: certdeck init %s", dir,
		    dir);
	}
	free(p);

	inv = xcalloc(1, sizeof *inv);
	inv->dir = xstrdup(dir);
	inv->report = cb;
	inv->report_arg = arg;
	config_defaults(&inv->cfg);
	/* It has a certdeck.conf: init is not the answer. */
	if (repo_open(dir, &inv->repo, &e) != 0) {
		set_cause(cause, "%s", e);
		free(e);
		goto fail;
	}
	repo_set_clock(inv->repo, clock_now);
	p = xasprintf("%s/.certdeck", dir);
	if (mkdir(p, 0700) != 0 && errno != EEXIST) {
		set_cause(cause, "%s: %s", p, strerror(errno));
		free(p);
		goto fail;
	}
	free(p);
	p = xasprintf("%s/.certdeck/index.db", dir);
	if (open_index(inv, p, &e) != 0) {
		set_cause(cause, "%s", e);	/* names the file */
		free(e);
		free(p);
		goto fail;
	}
	free(p);
	if (load_config(inv, cause) != 0)
		goto fail;
	if (!(flags & INV_OPEN_NOREFRESH) &&
	    inv_refresh(inv, cb, arg, cause) != 0)
		goto fail;
	*out = inv;
	return 0;
fail:
	inv_close(inv);
	return -1;
}

void
inv_close(struct inv *inv)
{
	if (inv == NULL)
		return;
	if (inv->locked)
		inv_unlock(inv);
	if (inv->idx != NULL)
		idx_close(inv->idx);
	if (inv->repo != NULL)
		repo_close(inv->repo);
	config_free(&inv->cfg);
	free(inv->cfg_error);
	free(inv->dir);
	free(inv);
	entry_cache_clear();
}

int
inv_writable(struct inv *inv, char **cause)
{
	if (inv->idx != NULL && idx_is_readonly(inv->idx))
		return set_cause(cause, "%s/.certdeck/index.db cannot be "
		    "written here: no change can be made", inv->dir);
	return 0;
}

int
inv_lock(struct inv *inv, char **cause)
{
	if (inv->locked++ > 0)
		return 0;
	/* The lock is for changing it, which the index must follow. */
	if (inv_writable(inv, cause) != 0) {
		inv->locked = 0;
		return -1;
	}
	if (repo_lock(inv->repo, INV_LOCK_TIMEOUT_MS, cause) != 0) {
		inv->locked = 0;
		return -1;
	}
	return 0;
}

void
inv_unlock(struct inv *inv)
{
	if (inv->locked > 0 && --inv->locked == 0)
		repo_unlock(inv->repo);
}

void
inv_report(inv_report_cb cb, void *arg, int level, const char *input,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (cb == NULL)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	cb(arg, level, input, msg);
	free(msg);
}

/*
 * Make sure the index holds the parsed file for blob. Parses it (once in
 * the inventory's life) when it is not cached. Returns 0, or -1 when the
 * file does not parse (reported, not fatal for the caller).
 */
int
inv_cache_file(struct inv *inv, const char *blob, char **cause)
{
	struct certfile cf;
	char *data = NULL;
	size_t len;
	int rc;

	rc = idx_file_has(inv->idx, blob);
	if (rc != 0)
		return rc < 0 ? set_cause(cause, "index lookup failed") : 0;
	if (repo_blob(inv->repo, blob, &data, &len, cause) != 0)
		return -1;
	memset(&cf, 0, sizeof cf);
	rc = cert_parse_pem_file(data, len, &cf, cause);
	free(data);
	if (rc != 0)
		return -1;
	inv->parsed += cf.n;
	inv_parsed_total += cf.n;
	rc = idx_file_put(inv->idx, blob, &cf, cause);
	certfile_free(&cf);
	return rc;
}

/*
 * Entry files repeat: every entry of one import gets the same one (empty,
 * or the --owner and --tag given), so the refresh after a bulk import and
 * a `list --at` walk read the same blob from git once per entry (0.8 s of
 * a 100,000-entry walk over loose objects). A blob id names its content,
 * so a small cache by id is right whatever repository the blob came from.
 * Direct-mapped, small files only; one per thread (the TUI runs jobs on
 * their own inventory handle in worker threads); inv_close empties the
 * calling thread's.
 */
#define ENTRY_CACHE_SLOTS	64
#define ENTRY_CACHE_MAX		4096
static _Thread_local struct {
	char	 id[REPO_OID_HEX];
	char	*data;
	size_t	 len;
} entry_cache[ENTRY_CACHE_SLOTS];

static void
entry_cache_clear(void)
{
	size_t i;

	for (i = 0; i < ENTRY_CACHE_SLOTS; i++) {
		free(entry_cache[i].data);
		entry_cache[i].data = NULL;
		entry_cache[i].id[0] = '\0';
	}
}

/* repo_blob through the cache: *data is the caller's to free. */
static int
entry_blob(struct inv *inv, const char *id, char **data, size_t *len,
    char **cause)
{
	const char *hex = "0123456789abcdef", *a, *b;
	size_t slot;

	if (id[0] == '\0' || (a = strchr(hex, id[0])) == NULL ||
	    id[1] == '\0' || (b = strchr(hex, id[1])) == NULL)
		return repo_blob(inv->repo, id, data, len, cause);
	slot = ((size_t)(a - hex) * 16 + (size_t)(b - hex)) % ENTRY_CACHE_SLOTS;
	if (entry_cache[slot].data != NULL &&
	    strcmp(entry_cache[slot].id, id) == 0) {
		*len = entry_cache[slot].len;
		*data = xmalloc(*len + 1);
		memcpy(*data, entry_cache[slot].data, *len + 1);
		return 0;
	}
	if (repo_blob(inv->repo, id, data, len, cause) != 0)
		return -1;
	if (*len <= ENTRY_CACHE_MAX && strlen(id) < REPO_OID_HEX) {
		free(entry_cache[slot].data);
		entry_cache[slot].data = xmalloc(*len + 1);
		memcpy(entry_cache[slot].data, *data, *len + 1);
		entry_cache[slot].len = *len;
		strcpy(entry_cache[slot].id, id);
	}
	return 0;
}

/* Fill an index row for one entry directory of a commit. */
int
inv_entry_row(struct inv *inv, const struct repo_entry *re,
    struct idx_entry *ie, inv_report_cb cb, void *arg, char **cause)
{
	struct entry e;
	char *data = NULL, *err = NULL;
	size_t len;

	memset(ie, 0, sizeof *ie);
	ie->name = xstrdup(re->name);
	snprintf(ie->cert_blob, sizeof ie->cert_blob, "%s", re->cert_blob);
	snprintf(ie->entry_blob, sizeof ie->entry_blob, "%s", re->entry_blob);
	if (*re->cert_blob != '\0' &&
	    inv_cache_file(inv, re->cert_blob, &err) != 0) {
		inv_report(cb, arg, 1, re->name, "cert.pem: %s", err);
		free(err);
		err = NULL;
		ie->cert_blob[0] = '\0';
	}
	if (*re->entry_blob == '\0')
		return 0;
	if (entry_blob(inv, re->entry_blob, &data, &len, cause) != 0) {
		idx_entry_free(ie);
		return -1;
	}
	ie->meta = xstrdup(data);
	if (entry_parse(data, len, &e, &err) != 0) {
		inv_report(cb, arg, 1, re->name, "entry: %s", err);
		free(err);
	} else {
		const char *v;

		if ((v = entry_get(&e, "owner")) != NULL)
			ie->owner = xstrdup(v);
		if ((v = entry_get(&e, "tags")) != NULL)
			ie->tags = xstrdup(v);
		if ((v = entry_get(&e, "endpoints")) != NULL)
			ie->endpoints = xstrdup(v);
		if ((v = entry_get(&e, "profile")) != NULL)
			ie->profile = xstrdup(v);
		entry_free(&e);
	}
	free(data);
	return 0;
}

struct refresh_ctx {
	struct inv	*inv;
	inv_report_cb	 cb;
	void		*arg;
	char		*err;
};

static int
refresh_one(void *arg, const struct repo_entry *re)
{
	struct refresh_ctx *ctx = arg;
	struct idx_entry ie;
	const char *why;
	char *msg;
	int rc;

	/*
	 * A directory made by hand where no entry can be: not indexed (set
	 * and rm would act on the name's own place), said, and left to fsck.
	 */
	if ((why = inv_entry_misplaced(re)) != NULL) {
		if (*re->cert_blob == '\0' && *re->entry_blob == '\0')
			return 0;
		msg = inv_entry_misplaced_text(re, why);
		inv_report(ctx->cb, ctx->arg, 1, NULL, "certs/%s/%s: %s",
		    re->shard, re->name, msg);
		free(msg);
		return 0;
	}
	if (*re->cert_blob == '\0' && *re->entry_blob == '\0')
		return idx_entry_del(ctx->inv->idx, re->name, &ctx->err) ? 1 : 0;
	if (inv_entry_row(ctx->inv, re, &ie, ctx->cb, ctx->arg, &ctx->err) != 0)
		return 1;
	rc = idx_entry_put(ctx->inv->idx, &ie, &ctx->err);
	idx_entry_free(&ie);
	return rc != 0 ? 1 : 0;
}

static void
dirty_report(void *arg, const char *path, const char *what)
{
	struct refresh_ctx *ctx = arg;

	inv_report(ctx->cb, ctx->arg, 1, path, "%s by hand; left as it is "
	    "(see certdeck fsck)", what);
}

static int
dirty_cb(void *arg, const char *path, const char *what)
{
	dirty_report(arg, path, what);
	return 0;
}

/*
 * The index's entry rows brought from ihead's ("" for none) to rev's (a
 * commit, or a tree not yet committed; "" for none), in the transaction
 * open: the entries that changed, else (full, no ihead, or ihead gone
 * with a rewritten history) every entry anew. 0, or -1 with ctx->err or
 * cause.
 */
static int
refresh_rows(struct refresh_ctx *ctx, int full, const char *ihead,
    const char *rev, char **cause)
{
	struct inv *inv = ctx->inv;

	if (!full && *ihead != '\0' && repo_diff_entries(inv->repo, ihead,
	    rev, refresh_one, ctx, &ctx->err) == 0)
		return 0;
	free(ctx->err);
	ctx->err = NULL;
	if (idx_entry_clear(inv->idx, cause) != 0)
		return -1;
	return *rev != '\0' ? repo_walk_entries(inv->repo, rev, refresh_one,
	    ctx, &ctx->err) : 0;
}

static int
refresh(struct inv *inv, int full, int sync_wt, inv_report_cb cb, void *arg,
    char **cause)
{
	struct refresh_ctx ctx = { inv, cb, arg, NULL };
	char head[REPO_OID_HEX], ihead[REPO_OID_HEX], *wt = NULL;
	const char *from;
	int rc = -1, r, had, wt_behind = 0;

	if ((had = repo_head(inv->repo, head, cause)) < 0)
		return -1;
	if (idx_get_head(inv->idx, ihead, cause) != 0 ||
	    idx_meta_get(inv->idx, INV_META_WT_AT, &wt, cause) < 0)
		return -1;
	if (!full && strcmp(head, ihead) == 0 &&
	    (!sync_wt || wt == NULL || *wt == '\0')) {
		free(wt);
		return 0;
	}
	/* Not writable here: what it holds, said to be what it is. */
	if (idx_is_readonly(inv->idx)) {
		free(wt);
		if (!full && strcmp(head, ihead) == 0)
			return 0;	/* the work tree: nothing to do here */
		if (!full && *ihead != '\0') {
			inv_report(cb, arg, 1, NULL, "the index is read-only "
			    "here and behind HEAD: showing the inventory as "
			    "of %.12s, not HEAD %.12s", ihead, head);
			return 0;
		}
		return set_cause(cause, "the index is read-only here and "
		    "cannot be %s", full ? "rebuilt" : "made");
	}
	free(wt);
	wt = NULL;
	if (inv_lock(inv, cause) != 0)
		return -1;
	/* Someone may have done it while we waited for the lock. */
	if ((had = repo_head(inv->repo, head, cause)) < 0 ||
	    idx_get_head(inv->idx, ihead, cause) != 0 ||
	    idx_meta_get(inv->idx, INV_META_WT_AT, &wt, cause) < 0)
		goto out;
	if (!full && strcmp(head, ihead) == 0 &&
	    (!sync_wt || wt == NULL || *wt == '\0')) {
		rc = 0;
		goto out;
	}
	if (had == 0)
		head[0] = '\0';
	/*
	 * After a crash between the commit point and the work tree update,
	 * or a pull, finish the work tree (a hand edit is reported, never
	 * overwritten), from where an earlier failure left it if one did.
	 * The rows follow HEAD regardless; until the work tree does, the
	 * commit it is at stays in the index's meta, so every command tries
	 * again (even after a change committed meanwhile) and fsck reports
	 * it.
	 */
	from = wt != NULL && *wt != '\0' ? wt : ihead;
	if (sync_wt && from == wt && had && !repo_rev_readable(inv->repo, wt)) {
		/* Pruned since: the index's commit is the next best. */
		inv_report(cb, arg, 1, inv->dir, "work tree: %.12s, where it "
		    "was left, is gone; brought forward from %.12s instead",
		    wt, ihead);
		from = ihead;
	}
	/*
	 * What a run that stopped part way wrote is at the index's commit
	 * (the rows went on): not a hand edit.
	 */
	if (sync_wt && *from != '\0' && had && strcmp(from, head) != 0 &&
	    repo_sync_worktree(inv->repo, from, ihead, head, dirty_cb, &ctx,
	    &ctx.err) != 0) {
		inv_report(cb, arg, 1, inv->dir, "work tree: %s", ctx.err);
		free(ctx.err);
		ctx.err = NULL;
		wt_behind = 1;
	}
	if (idx_begin(inv->idx, cause) != 0)
		goto out;
	r = refresh_rows(&ctx, full, ihead, head, cause);
	if (r != 0 || idx_set_head(inv->idx, head, cause) != 0 ||
	    (wt_behind && strcmp(from, wt != NULL ? wt : "") != 0 &&
	    idx_meta_set(inv->idx, INV_META_WT_AT, from, cause) != 0) ||
	    (sync_wt && !wt_behind && wt != NULL && *wt != '\0' &&
	    idx_meta_set(inv->idx, INV_META_WT_AT, "", cause) != 0) ||
	    idx_commit(inv->idx, cause) != 0) {
		if (ctx.err != NULL) {
			set_cause(cause, "indexing: %s", ctx.err);
			free(ctx.err);
		}
		idx_rollback(inv->idx);
		goto out;
	}
	if (load_config(inv, cause) != 0)
		goto out;
	rc = 0;
out:
	free(wt);
	inv_unlock(inv);
	return rc;
}

int
inv_refresh(struct inv *inv, inv_report_cb cb, void *arg, char **cause)
{
	return refresh(inv, 0, 1, cb, arg, cause);
}

int
inv_reindex(struct inv *inv, inv_report_cb cb, void *arg, char **cause)
{
	return refresh(inv, 1, 1, cb, arg, cause);
}

int
inv_exists(struct inv *inv, const char *name)
{
	struct idx_entry ie;
	int r = idx_entry_get(inv->idx, name, &ie, NULL);

	if (r == 1)
		idx_entry_free(&ie);
	return r == 1;
}

int
inv_begin(struct inv *inv, char **cause)
{
	if (inv_lock(inv, cause) != 0)
		return -1;
	if (inv_refresh(inv, inv->report, inv->report_arg, cause) != 0) {
		inv_unlock(inv);
		return -1;
	}
	return 0;
}

/*
 * The index's rows for a commit's tree, made while its work tree files
 * are written (repo_commit_hooked) and held in a transaction that
 * inv_commit commits once the commit is done, or rolls back. A failure
 * here leaves the rows to refresh, after the commit, as before.
 */
struct ahead {
	struct refresh_ctx	ctx;
	int			open;	/* rows made, not committed */
};

static void
index_ahead(void *arg, const char *tree)
{
	struct ahead *a = arg;
	struct inv *inv = a->ctx.inv;
	char ihead[REPO_OID_HEX], *err = NULL;

	if (idx_is_readonly(inv->idx) ||
	    idx_get_head(inv->idx, ihead, &err) != 0 ||
	    idx_begin(inv->idx, &err) != 0) {
		free(err);
		return;
	}
	if (refresh_rows(&a->ctx, 0, ihead, tree, &err) != 0) {
		free(err);
		free(a->ctx.err);
		a->ctx.err = NULL;
		idx_rollback(inv->idx);
		return;
	}
	a->open = 1;
}

int
inv_commit(struct inv *inv, const struct repo_change *ch, size_t n,
    const char *message, char out[REPO_OID_HEX], char **cause)
{
	struct ahead a;
	char id[REPO_OID_HEX], *err = NULL;

	memset(&a, 0, sizeof a);
	a.ctx.inv = inv;
	a.ctx.cb = inv->report;
	a.ctx.arg = inv->report_arg;
	if (repo_commit_hooked(inv->repo, ch, n, message, index_ahead, &a, id,
	    cause) != 0) {
		if (a.open)
			idx_rollback(inv->idx);
		return -1;
	}
	if (out != NULL)
		memcpy(out, id, sizeof id);
	if (a.open) {
		/* The rows made from the tree are the new HEAD's. */
		if (idx_set_head(inv->idx, id, &err) == 0 &&
		    idx_commit(inv->idx, &err) == 0)
			return load_config(inv, cause);
		idx_rollback(inv->idx);
		free(err);
	}
	/* The index follows from the commit (the changed entries only,
	   their files already cached by the caller). */
	return refresh(inv, 0, 0, inv->report, inv->report_arg, cause);
}

void
inv_end(struct inv *inv)
{
	inv_unlock(inv);
}

/* Build "subject\n\nbody\n\ntrailers" with the operator trailer added. */
/*
 * Text of a commit message, each line ended: what came from certificates
 * (names, subjects, a command's words) is escaped as for the terminal,
 * so `git log` shows no control character, invalid UTF-8 or bidi
 * override (which reorders what follows it on the screen).
 */
static void
msg_lines(struct buf *b, const char *s)
{
	const char *nl;
	char *line;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		line = nl != NULL ? xstrndup(s, (size_t)(nl - s)) :
		    xstrdup(s);
		esc_text(b, line, 0);
		buf_addc(b, '\n');
		free(line);
		s = nl != NULL ? nl + 1 : s + strlen(s);
	}
}

char *
inv_message(const char *subject, const char *body, const char *action,
    const struct strv *trailers)
{
	struct buf b;
	char *op = inv_operator();
	size_t i;

	buf_init(&b);
	msg_lines(&b, subject);
	buf_addc(&b, '\n');
	if (body != NULL && *body != '\0') {
		msg_lines(&b, body);
		buf_addc(&b, '\n');
	}
	buf_printf(&b, "Certdeck-Action: %s\n", action);
	for (i = 0; trailers != NULL && i < trailers->n; i++)
		msg_lines(&b, trailers->v[i]);
	buf_printf(&b, "Certdeck-Operator: %s\n", op);
	free(op);
	return buf_steal(&b);
}
