/*
 * inv_probe.c: probing the inventory's endpoints (probe.h, the inventory's
 * side). Which endpoints, the trust anchors the inventory holds, drift of
 * a served leaf against its entry's certificate and history, the probe
 * history in the index, and the commit of what changed in observed/.
 *
 * The probes themselves run without the inventory lock (they may take the
 * whole timeout); only the observed/ commit and an import take it, after
 * the run, through the usual transaction.
 *
 * A change of what an endpoint serves is decided against observed/<file>
 * at HEAD, not against the index's last probe row: git is the truth, so a
 * rebuilt index (a schema bump drops the probes table) or a pull of
 * another operator's observation neither repeats nor loses a change. The
 * probes table is the history; observed/ is what changed, once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "clock.h"
#include "entry.h"
#include "escape.h"
#include "inventory.h"
#include "invpriv.h"
#include "probe.h"

/* ---------------------------------------------------------------------- */
/* Targets. */

struct tlist {
	struct probe_target	*v;
	size_t			 n;
	size_t			 cap;
	int			 dedupe;
};

static void
tlist_add(struct tlist *l, const struct endpoint *ep, const char *entry)
{
	char a[600], b[600];
	size_t i;

	if (l->dedupe) {
		endpoint_format(ep, a, sizeof a);
		for (i = 0; i < l->n; i++) {
			endpoint_format(&l->v[i].ep, b, sizeof b);
			if (strcmp(a, b) == 0 &&
			    strcmp(l->v[i].entry, entry ? entry : "") == 0)
				return;
		}
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	memset(&l->v[l->n], 0, sizeof l->v[l->n]);
	l->v[l->n].ep = *ep;
	snprintf(l->v[l->n].entry, sizeof l->v[l->n].entry, "%s",
	    entry ? entry : "");
	l->n++;
}

/* Every entry's endpoints, parsed: for --all, and to find which entry
   lists an endpoint given on the command line. */
struct eplist {
	struct strv	 eps;		/* canonical endpoint text */
	struct strv	 names;		/* its entry */
	inv_report_cb	 cb;
	void		*arg;
};

static int
eplist_row(void *arg, const struct idx_row *row)
{
	struct eplist *el = arg;
	struct endpoint ep;
	struct strv items;
	char *err = NULL, text[600];
	size_t i;

	if (row->entry->endpoints == NULL || *row->entry->endpoints == '\0')
		return 0;
	strv_init(&items);
	strv_split(&items, row->entry->endpoints, ',');
	for (i = 0; i < items.n; i++) {
		if (endpoint_parse(items.v[i], &ep, &err) != 0) {
			inv_report(el->cb, el->arg, 1, row->entry->name, "%s",
			    err);
			free(err);
			err = NULL;
			continue;
		}
		endpoint_format(&ep, text, sizeof text);
		strv_add(&el->eps, text);
		strv_add(&el->names, row->entry->name);
	}
	strv_free(&items);
	return 0;
}

static int
eplist_load(struct inv *inv, struct eplist *el, char **cause)
{
	struct idx_query q;

	memset(&q, 0, sizeof q);
	q.sort = IDX_SORT_NAME;
	return idx_list(inv->idx, &q, eplist_row, el, cause) == 0 ? 0 : -1;
}

int
inv_probe_targets(struct inv *inv, char *const *words, size_t n, int all,
    struct probe_target **out, size_t *nout, inv_report_cb cb, void *arg,
    char **cause)
{
	struct tlist l;
	struct eplist el;
	struct idx_entry ie;
	struct endpoint ep;
	struct strv items;
	char *err = NULL, text[600];
	size_t i, j;
	int loaded = 0, rc = -1;

	memset(&l, 0, sizeof l);
	memset(&el, 0, sizeof el);
	strv_init(&el.eps);
	strv_init(&el.names);
	el.cb = cb;
	el.arg = arg;
	*out = NULL;
	*nout = 0;
	if (all) {
		if (eplist_load(inv, &el, cause) != 0)
			goto out;
		loaded = 1;
		for (i = 0; i < el.eps.n; i++) {
			endpoint_parse(el.eps.v[i], &ep, NULL);
			tlist_add(&l, &ep, el.names.v[i]);
		}
	}
	/* Words are few: look for duplicates among them. */
	l.dedupe = 1;
	for (i = 0; i < n; i++) {
		const char *w = words[i];

		if (name_valid(w) && idx_entry_get(inv->idx, w, &ie, NULL) == 1) {
			strv_init(&items);
			strv_split(&items, ie.endpoints ? ie.endpoints : "", ',');
			for (j = 0; j < items.n; j++) {
				if (endpoint_parse(items.v[j], &ep, &err) != 0) {
					inv_report(cb, arg, 1, w, "%s", err);
					free(err);
					err = NULL;
					continue;
				}
				tlist_add(&l, &ep, w);
			}
			if (items.n == 0)
				inv_report(cb, arg, 1, w, "no endpoints; add them "
				    "with: certdeck set %s endpoints+=HOST:PORT",
				    w);
			strv_free(&items);
			idx_entry_free(&ie);
			continue;
		}
		if (strchr(w, ':') == NULL) {
			set_cause(cause, "%s: no such entry (nor an endpoint "
			    "HOST:PORT[/STARTTLS][@SNI])", w);
			goto out;
		}
		if (endpoint_parse(w, &ep, &err) != 0) {
			set_cause(cause, "%s", err);
			free(err);
			goto out;
		}
		if (!loaded) {
			if (eplist_load(inv, &el, cause) != 0)
				goto out;
			loaded = 1;
		}
		endpoint_format(&ep, text, sizeof text);
		for (j = 0; j < el.eps.n; j++)
			if (strcmp(el.eps.v[j], text) == 0)
				break;
		tlist_add(&l, &ep, j < el.eps.n ? el.names.v[j] : NULL);
	}
	*out = l.v;
	*nout = l.n;
	l.v = NULL;
	rc = 0;
out:
	free(l.v);
	strv_free(&el.eps);
	strv_free(&el.names);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Trust anchors: the inventory's root CAs. */

static int
ca_row(void *arg, const struct idx_row *row)
{
	struct strv *names = arg;

	/*
	 * Roots only. An intermediate as an anchor would complete a chain
	 * the server failed to send, and hide the most common deployment
	 * mistake (a missing intermediate) from the private-PKI check.
	 */
	if (row->leaf != NULL && row->leaf->is_ca && row->leaf->self_signed)
		strv_add(names, row->entry->name);
	return 0;
}

/* PEM of every root CA entry's certificate (the first of its file). */
char *
inv_probe_anchors(struct inv *inv, size_t *len)
{
	static const char end_marker[] = "-----END CERTIFICATE-----";
	struct strv names;
	struct idx_query q;
	struct buf b;
	char *dir, *path, *data, *begin, *end;
	size_t i, n;

	strv_init(&names);
	memset(&q, 0, sizeof q);
	q.sort = IDX_SORT_NAME;
	buf_init(&b);
	if (idx_list(inv->idx, &q, ca_row, &names, NULL) != 0)
		names.n = 0;
	for (i = 0; i < names.n; i++) {
		dir = inv_entry_dir(names.v[i]);
		path = xasprintf("%s/cert.pem", dir);
		free(dir);
		data = NULL;
		if (repo_read(inv->repo, NULL, path, &data, &n, NULL,
		    NULL) == 1 &&
		    (begin = strstr(data, "-----BEGIN CERTIFICATE-----")) &&
		    (end = strstr(begin, end_marker)) != NULL) {
			buf_add(&b, begin, (size_t)(end - begin) +
			    sizeof end_marker - 1);
			buf_addc(&b, '\n');
		}
		free(data);
		free(path);
	}
	strv_free(&names);
	/* And the roots of the inventory's own CAs (cas/). */
	data = inv_ca_pem(inv, 1);
	buf_adds(&b, data);
	free(data);
	*len = b.len;
	return buf_steal(&b);
}

/* ---------------------------------------------------------------------- */
/* Drift. */

/* The leaf fingerprints an entry had, newest first, with the commits. */
struct hist {
	char		*entry;
	struct strv	 fps;
	struct strv	 commits;
	struct hist	*next;
};

static int
hist_commit(void *arg, const struct inv_commit *c)
{
	strv_add(arg, c->c->id);
	return 0;
}

static struct hist *
hist_get(struct inv *inv, struct hist **cache, const char *entry)
{
	struct hist *h;
	struct strv ids;
	struct certfile cf;
	char *dir, *path, *data, blob[REPO_OID_HEX];
	size_t i, j, len;

	for (h = *cache; h != NULL; h = h->next)
		if (strcmp(h->entry, entry) == 0)
			return h;
	h = xcalloc(1, sizeof *h);
	h->entry = xstrdup(entry);
	strv_init(&h->fps);
	strv_init(&h->commits);
	h->next = *cache;
	*cache = h;

	strv_init(&ids);
	if (inv_log(inv, entry, 0, hist_commit, &ids, NULL) != 0) {
		strv_free(&ids);
		return h;
	}
	dir = inv_entry_dir(entry);
	path = xasprintf("%s/cert.pem", dir);
	free(dir);
	for (i = 0; i < ids.n; i++) {
		data = NULL;
		if (repo_read(inv->repo, ids.v[i], path, &data, &len, blob,
		    NULL) != 1)
			continue;
		free(data);
		/* Parsed once in the inventory's life, then a look-up. */
		if (inv_cache_file(inv, blob, NULL) != 0 ||
		    idx_file_get(inv->idx, blob, &cf, NULL) != 1)
			continue;
		/* Newest first: the last commit seen with a certificate is
		   the one that brought it in. */
		for (j = 0; cf.n > 0 && j < h->fps.n; j++)
			if (strcmp(h->fps.v[j], cf.certs[0].sha256) == 0)
				break;
		if (cf.n > 0 && j < h->fps.n) {
			free(h->commits.v[j]);
			h->commits.v[j] = xstrdup(ids.v[i]);
		} else if (cf.n > 0) {
			strv_add(&h->fps, cf.certs[0].sha256);
			strv_add(&h->commits, ids.v[i]);
		}
		certfile_free(&cf);
	}
	free(path);
	strv_free(&ids);
	return h;
}

static void
hist_free(struct hist *h)
{
	struct hist *next;

	for (; h != NULL; h = next) {
		next = h->next;
		free(h->entry);
		strv_free(&h->fps);
		strv_free(&h->commits);
		free(h);
	}
}

/* The entry's current leaf fingerprint into out; 0 if it has none. */
static int
current_leaf(struct inv *inv, const char *entry, char out[65])
{
	struct idx_entry ie;
	struct certfile cf;
	int found = 0;

	if (idx_entry_get(inv->idx, entry, &ie, NULL) != 1)
		return 0;
	if (*ie.cert_blob != '\0' &&
	    idx_file_get(inv->idx, ie.cert_blob, &cf, NULL) == 1) {
		if (cf.n > 0) {
			memcpy(out, cf.certs[0].sha256, 65);
			found = 1;
		}
		certfile_free(&cf);
	}
	idx_entry_free(&ie);
	return found;
}

/* ---------------------------------------------------------------------- */
/* observed/ */

/* The sha256 an observed/ file's text names: 1, or 0 if none. */
static int
observed_text_sha(const char *data, char out[65])
{
	const char *p, *nl;

	for (p = data; p != NULL && *p != '\0'; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (str_startswith(p, "sha256 = ")) {
			snprintf(out, 65, "%.64s", p + 9);
			return 1;
		}
	}
	return 0;
}

/* What observed/ says an endpoint served: sha256 into out; 1, or 0 if
   there is no such file (or it names no fingerprint). */
static int
observed_sha(struct inv *inv, const char *path, char out[65])
{
	char *data = NULL;
	size_t len;
	int found;

	if (repo_read(inv->repo, NULL, path, &data, &len, NULL, NULL) != 1)
		return 0;
	found = observed_text_sha(data, out);
	free(data);
	return found;
}

/*
 * observed/ at HEAD when a run starts: file names and blob ids, in tree
 * order, read once. Deciding per result with observed_sha read HEAD's
 * commit and the whole observed/ tree again for each endpoint (libgit2
 * caches neither once they pass 4 KiB: an observe commit of many
 * endpoints, or observed/ itself, soon do), half of a sweep's CPU time
 * at 500 endpoints and growing with their number. observe_commit checks
 * each change against HEAD again under the lock.
 */
struct obs_dir {
	struct strv	 names;
	struct strv	 blobs;
	int		 loaded;	/* else ask HEAD per file */
};

static int
obs_dir_add(void *arg, const char *name, const char blob_id[REPO_OID_HEX])
{
	struct obs_dir *od = arg;

	if (*blob_id == '\0')
		return 0;		/* a directory */
	strv_add(&od->names, name);
	strv_add(&od->blobs, blob_id);
	return 0;
}

static int
obs_dir_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

/* What observed/<file> said at the start of the run; as observed_sha. */
static int
obs_dir_sha(struct inv *inv, const struct obs_dir *od, const char *file,
    char out[65])
{
	char *const *hit, *data = NULL, *path;
	size_t len;
	int found;

	if (!od->loaded) {
		path = xasprintf("observed/%s", file);
		found = observed_sha(inv, path, out);
		free(path);
		return found;
	}
	hit = od->names.n == 0 ? NULL : bsearch(file, od->names.v,
	    od->names.n, sizeof *od->names.v, obs_dir_cmp);
	if (hit == NULL ||
	    repo_blob(inv->repo, od->blobs.v[hit - od->names.v], &data, &len,
	    NULL) != 0)
		return 0;
	found = observed_text_sha(data, out);
	free(data);
	return found;
}

static void
obs_dir_load(struct inv *inv, struct obs_dir *od)
{
	size_t i;

	od->loaded = 0;
	strv_init(&od->names);
	strv_init(&od->blobs);
	if (repo_list_dir(inv->repo, NULL, "observed", obs_dir_add, od,
	    NULL) != 0) {
		strv_free(&od->names);
		strv_free(&od->blobs);
		return;
	}
	/* Tree order is byte order for files; make sure for bsearch. */
	for (i = 1; i < od->names.n; i++)
		if (strcmp(od->names.v[i - 1], od->names.v[i]) >= 0) {
			strv_free(&od->names);
			strv_free(&od->blobs);
			return;
		}
	od->loaded = 1;
}

static void
obs_dir_free(struct obs_dir *od)
{
	strv_free(&od->names);
	strv_free(&od->blobs);
}

/* Canonical endpoint texts of a comma list (unparsable items left out). */
static void
eps_canon(const char *list, struct strv *out)
{
	struct endpoint ep;
	struct strv items;
	char text[600];
	size_t i;

	strv_init(&items);
	if (list != NULL)
		strv_split(&items, list, ',');
	for (i = 0; i < items.n; i++) {
		if (endpoint_parse(items.v[i], &ep, NULL) != 0)
			continue;
		endpoint_format(&ep, text, sizeof text);
		strv_add(out, text);
	}
	strv_free(&items);
}

void
inv_observed_gone(struct inv *inv, const char *entry, const char *old_eps,
    const char *new_eps, struct strv *paths, struct buf *body)
{
	struct strv olds, news, gone;
	struct eplist el;
	struct endpoint ep;
	char *file, *path, sha[65];
	size_t i, j;
	int loaded = 0;

	strv_init(&olds);
	strv_init(&news);
	strv_init(&gone);
	eps_canon(old_eps, &olds);
	eps_canon(new_eps, &news);
	memset(&el, 0, sizeof el);
	strv_init(&el.eps);
	strv_init(&el.names);
	for (i = 0; i < olds.n; i++) {
		if (strv_has(&news, olds.v[i]) || strv_has(&gone, olds.v[i]))
			continue;
		endpoint_parse(olds.v[i], &ep, NULL);
		file = probe_endpoint_file(&ep);
		path = xasprintf("observed/%s", file);
		free(file);
		if (!observed_sha(inv, path, sha)) {
			free(path);
			continue;
		}
		/* Rare (an observed endpoint dropped): only then read every
		   entry's endpoints, once. */
		if (!loaded) {
			if (eplist_load(inv, &el, NULL) != 0) {
				free(path);
				break;	/* not sure: keep the files */
			}
			loaded = 1;
		}
		for (j = 0; j < el.eps.n; j++)
			if (strcmp(el.eps.v[j], olds.v[i]) == 0 &&
			    strcmp(el.names.v[j], entry) != 0)
				break;
		strv_add(&gone, olds.v[i]);
		if (j < el.eps.n) {
			free(path);
			continue;
		}
		buf_printf(body, "%s: no longer listed, %s removed\n",
		    olds.v[i], path);
		strv_addn(paths, path);
	}
	strv_free(&olds);
	strv_free(&news);
	strv_free(&gone);
	strv_free(&el.eps);
	strv_free(&el.names);
}

/* One endpoint that serves something new. */
struct obs {
	char	*path;
	char	*text;
	char	*endpoint;
	char	*entry;
	char	*sha;
	char	*cn;		/* escaped */
	char	 date[16];
};

static char *
obs_value(const char *s)
{
	return esc_dup(s != NULL ? s : "", 0);
}

static void
obs_make(struct obs *o, const struct probe_result *r, int64_t now)
{
	const struct certrec *leaf = &r->chain[0];
	char *subject = obs_value(leaf->subject);
	char *issuer = obs_value(leaf->issuer);
	char *file = probe_endpoint_file(&r->ep), na[32], seen[32];

	clock_format(leaf->not_after, na);
	clock_format(now, seen);
	clock_format_date(leaf->not_after, o->date);
	o->path = xasprintf("observed/%s", file);
	free(file);
	/* Sorted keys, one a line, like an entry file: deterministic. */
	o->text = xasprintf("endpoint = %s\nentry = %s\nfirst-seen = %s\n"
	    "issuer = %s\nnot-after = %s\nsha256 = %s\nsubject = %s\n",
	    r->endpoint, r->entry, seen, issuer, na, leaf->sha256, subject);
	o->endpoint = xstrdup(r->endpoint);
	o->entry = xstrdup(r->entry);
	o->sha = xstrdup(leaf->sha256);
	o->cn = obs_value(leaf->subject_cn != NULL ? leaf->subject_cn :
	    leaf->subject);
	free(subject);
	free(issuer);
}

static void
obs_free(struct obs *o)
{
	free(o->path);
	free(o->text);
	free(o->endpoint);
	free(o->entry);
	free(o->sha);
	free(o->cn);
}

/* A served chain to import. */
struct imp {
	char	*endpoint;
	char	*pem;
};

/* ---------------------------------------------------------------------- */
/* The run. */

struct ictx {
	struct inv			*inv;
	const struct inv_probe_opts	*o;
	inv_probe_cb			 cb;
	void				*arg;
	struct inv_probe_summary	*sum;
	struct hist			*hist;
	struct obs			*obs;
	size_t				 nobs;
	struct imp			*imp;
	size_t				 nimp;
	struct idx_probe		*rows;		/* not yet written */
	size_t				 nrows;
	int				 put_failed;
	struct obs_dir			 od;		/* observed/ at the start */
};

/*
 * Probe rows are written in batches, each one index transaction: a
 * transaction per row was most of the cost of recording, and the loop
 * that runs the probes waits while we write.
 */
#define ROWS_BATCH	128

static void
drift_of(struct ictx *c, struct probe_result *r)
{
	struct hist *h;
	char cur[65];
	size_t i;

	if (!current_leaf(c->inv, r->entry, cur)) {
		r->drift = PROBE_DRIFT_UNKNOWN;
		return;
	}
	if (strcmp(cur, r->leaf_sha256) == 0) {
		r->drift = PROBE_DRIFT_SAME;
		return;
	}
	h = hist_get(c->inv, &c->hist, r->entry);
	for (i = 0; i < h->fps.n; i++)
		if (strcmp(h->fps.v[i], r->leaf_sha256) == 0) {
			r->drift = PROBE_DRIFT_OLDER;
			r->drift_commit = xstrdup(h->commits.v[i]);
			return;
		}
	r->drift = r->known_as.n > 0 ? PROBE_DRIFT_OTHER : PROBE_DRIFT_UNKNOWN;
}

static char *
dup_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
rows_flush(struct ictx *c)
{
	struct idx *idx = c->inv->idx;
	char *err = NULL;
	size_t i;
	int tx, rc = 0;

	if (c->nrows == 0)
		return;
	tx = idx_begin(idx, NULL) == 0;
	for (i = 0; i < c->nrows && rc == 0; i++)
		rc = idx_probe_put(idx, &c->rows[i], &err);
	if (tx && rc == 0 && idx_commit(idx, &err) != 0)
		rc = -1;
	if (tx && rc != 0)
		idx_rollback(idx);
	if (rc != 0 && !c->put_failed) {
		inv_report(c->inv->report, c->inv->report_arg, 1, NULL,
		    "probe results not recorded in the index: %s", err);
		c->put_failed = 1;
	}
	free(err);
	for (i = 0; i < c->nrows; i++)
		idx_probe_free(&c->rows[i]);
	c->nrows = 0;
}

static void
record(struct ictx *c, const struct probe_result *r, int64_t now)
{
	struct idx_probe *ip;
	struct buf b;

	if (c->rows == NULL)
		c->rows = xcalloc(ROWS_BATCH, sizeof *c->rows);
	buf_init(&b);
	probe_result_json(r, now, &b);
	ip = &c->rows[c->nrows++];
	ip->endpoint = xstrdup(r->endpoint);
	ip->entry = dup_null(r->entry);
	ip->time = r->time;
	ip->ok = r->kind == PROBE_OK;
	ip->kind = xstrdup(probe_kind_name(r->kind));
	ip->detail = dup_null(r->detail);
	ip->leaf_sha256 = r->nchain > 0 ? xstrdup(r->leaf_sha256) : NULL;
	ip->json = buf_steal(&b);
	if (c->nrows == ROWS_BATCH)
		rows_flush(c);
}

static void
on_result(void *arg, struct probe_result *r)
{
	struct ictx *c = arg;
	struct strv problems;
	char *file, seen[65];
	int64_t now = clock_now();

	if (r->kind == PROBE_OK && r->nchain > 0) {
		idx_find_fingerprint(c->inv->idx, r->leaf_sha256, 1,
		    &r->known_as, NULL);
		if (r->entry != NULL) {
			drift_of(c, r);
			file = probe_endpoint_file(&r->ep);
			if (!obs_dir_sha(c->inv, &c->od, file, seen) ||
			    strcmp(seen, r->leaf_sha256) != 0) {
				r->observed_change = 1;
				c->obs = xreallocarray(c->obs, c->nobs + 1,
				    sizeof *c->obs);
				obs_make(&c->obs[c->nobs++], r, now);
			}
			free(file);
		} else if (c->o->import && r->known_as.n == 0 &&
		    r->chain_pem != NULL) {
			c->imp = xreallocarray(c->imp, c->nimp + 1,
			    sizeof *c->imp);
			c->imp[c->nimp].endpoint = xstrdup(r->endpoint);
			c->imp[c->nimp].pem = xstrdup(r->chain_pem);
			c->nimp++;
		}
	}
	/* A cancelled probe says nothing of the endpoint: its last probe
	   stays what it was (a failure too, which the audit still sees). */
	if (r->kind != PROBE_CANCELLED)
		record(c, r, now);
	c->sum->probed++;
	strv_init(&problems);
	if (probe_problems(r, now, &problems) == 0)
		c->sum->healthy++;
	strv_free(&problems);
	c->cb(c->arg, r);
}

/* By path, then as they came: the first of an endpoint probed twice
   (listed by two entries) is the one kept. */
static int
obs_cmp(const void *a, const void *b)
{
	const struct obs *x = *(const struct obs *const *)a;
	const struct obs *y = *(const struct obs *const *)b;
	int c = strcmp(x->path, y->path);

	return c != 0 ? c : (x < y ? -1 : x > y);
}

/* One commit for every endpoint that serves something new. */
static int
observe_commit(struct ictx *c, char **cause)
{
	struct inv *inv = c->inv;
	struct repo_change *ch;
	struct obs **sorted, *first = NULL;
	struct strv trailers, entries, fps;
	struct buf body;
	char seen[65], *subject, *msg;
	size_t i, nch = 0;
	int rc = -1;

	if (inv_begin(inv, cause) != 0)
		return -1;
	ch = xcalloc(c->nobs, sizeof *ch);
	sorted = xcalloc(c->nobs, sizeof *sorted);
	for (i = 0; i < c->nobs; i++)
		sorted[i] = &c->obs[i];
	qsort(sorted, c->nobs, sizeof *sorted, obs_cmp);
	strv_init(&trailers);
	strv_init(&entries);
	strv_init(&fps);
	buf_init(&body);
	for (i = 0; i < c->nobs; i++) {
		struct obs *o = sorted[i];
		int had;

		/* Once per file, and only if HEAD (now, under the lock)
		   does not already say so. */
		if (i > 0 && strcmp(sorted[i - 1]->path, o->path) == 0)
			continue;
		had = observed_sha(inv, o->path, seen);
		if (had && strcmp(seen, o->sha) == 0)
			continue;
		if (first == NULL)
			first = o;
		ch[nch].path = o->path;
		ch[nch].data = o->text;
		ch[nch].len = strlen(o->text);
		nch++;
		buf_printf(&body, "%s: now serves %s (expires %s), sha256 %s",
		    o->endpoint, o->cn, o->date, o->sha);
		if (had)
			buf_printf(&body, "; was %s\n", seen);
		else
			buf_adds(&body, "; first observation\n");
		strv_add(&entries, o->entry);
		strv_addn(&fps, xasprintf("Certdeck-Fingerprint: %s", o->sha));
	}
	if (nch == 0) {
		rc = 0;
		goto out;
	}
	strv_sort(&entries);
	strv_uniq(&entries);
	for (i = 0; i < entries.n; i++)
		strv_addn(&trailers, xasprintf("Certdeck-Entry: %s",
		    entries.v[i]));
	for (i = 0; i < fps.n; i++)
		strv_add(&trailers, fps.v[i]);
	/* The subject names the first change and counts the rest. */
	if (nch == 1)
		subject = xasprintf("observe %s: now serves %s (expires %s)",
		    first->endpoint, first->cn, first->date);
	else
		subject = xasprintf("observe %zu endpoints: %s now serves %s "
		    "(expires %s), and %zu more", nch, first->endpoint,
		    first->cn, first->date, nch - 1);
	msg = inv_message(subject, body.data, "observe", &trailers);
	free(subject);
	rc = inv_commit(inv, ch, nch, msg, c->sum->observe_commit, cause);
	free(msg);
	if (rc == 0)
		c->sum->observed = nch;
out:
	inv_end(inv);
	free(ch);
	free(sorted);
	strv_free(&trailers);
	strv_free(&entries);
	strv_free(&fps);
	buf_free(&body);
	return rc;
}

/* import reports name the temp file; say the endpoint instead. */
struct imp_report {
	struct inv	*inv;
	struct strv	 paths;
	struct strv	 endpoints;
};

static void
imp_report_cb(void *arg, int level, const char *input, const char *msg)
{
	struct imp_report *ir = arg;
	size_t i;

	for (i = 0; input != NULL && i < ir->paths.n; i++)
		if (strcmp(input, ir->paths.v[i]) == 0) {
			input = ir->endpoints.v[i];
			break;
		}
	if (ir->inv->report != NULL)
		ir->inv->report(ir->inv->report_arg, level, input, msg);
}

/* The chains served by endpoints outside the inventory, as one import. */
static int
import_served(struct ictx *c, char **cause)
{
	struct inv *inv = c->inv;
	struct inv_import_opts io;
	struct inv_import_result res;
	struct imp_report ir;
	char *dir, *path;
	size_t i;
	int rc = -1;

	/* The lock first: taking it empties .certdeck/tmp. */
	if (inv_lock(inv, cause) != 0)
		return -1;
	memset(&ir, 0, sizeof ir);
	ir.inv = inv;
	strv_init(&ir.paths);
	strv_init(&ir.endpoints);
	dir = xasprintf("%s/.certdeck/tmp", inv->dir);
	if (mkdir_p(dir, 0700) != 0) {
		set_cause(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	for (i = 0; i < c->nimp; i++) {
		path = xasprintf("%s/probe-import-%zu.pem", dir, i);
		if (write_file_atomic(path, c->imp[i].pem,
		    strlen(c->imp[i].pem), 0600, cause) != 0) {
			free(path);
			goto out;
		}
		strv_addn(&ir.paths, path);
		strv_add(&ir.endpoints, c->imp[i].endpoint);
	}
	memset(&io, 0, sizeof io);
	strv_init(&io.tags);
	rc = inv_import(inv, ir.paths.v, ir.paths.n, &io, &res,
	    imp_report_cb, &ir, cause);
	if (rc == 0) {
		c->sum->imported = res.imported;
		memcpy(c->sum->import_commit, res.commit,
		    sizeof c->sum->import_commit);
	}
out:
	for (i = 0; i < ir.paths.n; i++)
		unlink(ir.paths.v[i]);
	strv_free(&ir.paths);
	strv_free(&ir.endpoints);
	free(dir);
	inv_unlock(inv);
	return rc;
}

int
inv_probe(struct inv *inv, const struct probe_target *t, size_t n,
    const struct inv_probe_opts *o, inv_probe_cb cb, void *arg,
    struct inv_probe_summary *sum, char **cause)
{
	struct probe_opts po;
	struct ictx c;
	char *ca;
	size_t ca_len, i;
	int rc;

	memset(sum, 0, sizeof *sum);
	memset(&c, 0, sizeof c);
	c.inv = inv;
	c.o = o;
	c.cb = cb;
	c.arg = arg;
	c.sum = sum;
	ca = inv_probe_anchors(inv, &ca_len);
	memset(&po, 0, sizeof po);
	po.jobs = o->jobs;
	po.timeout_ms = o->timeout_ms;
	po.ca_pem = ca;
	po.ca_len = ca_len;
	po.cancel = o->cancel;
	po.client = o->client;
	obs_dir_load(inv, &c.od);
	rc = probe_run(t, n, &po, on_result, &c, cause);
	obs_dir_free(&c.od);
	rows_flush(&c);
	free(c.rows);
	free(ca);
	if (rc == 0 && c.nobs > 0)
		rc = observe_commit(&c, cause);
	if (rc == 0 && c.nimp > 0)
		rc = import_served(&c, cause);
	hist_free(c.hist);
	for (i = 0; i < c.nobs; i++)
		obs_free(&c.obs[i]);
	free(c.obs);
	for (i = 0; i < c.nimp; i++) {
		free(c.imp[i].endpoint);
		free(c.imp[i].pem);
	}
	free(c.imp);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* The last probe of an endpoint, for the terminal UI. */

const char *
inv_probe_health_name(enum inv_probe_health h)
{
	static const char *const names[] = { "-", "ok", "warn", "drift",
	    "fail" };

	return (size_t)h < nitems(names) ? names[h] : "-";
}

/* Health from a kind and the problem words. */
static void
last_health(struct inv_probe_last *l, const struct strv *problems)
{
	size_t i;

	if (strcmp(l->kind, "cancelled") == 0) {
		l->health = INV_PH_NONE;
		return;
	}
	if (strcmp(l->kind, "ok") != 0) {
		l->health = INV_PH_FAIL;
		snprintf(l->problem, sizeof l->problem, "%s", l->kind);
		return;
	}
	l->verified = l->has_days ? !strv_has(problems, "untrusted") : -1;
	if (l->drift) {
		l->health = INV_PH_DRIFT;
		snprintf(l->problem, sizeof l->problem, "drift");
		return;
	}
	for (i = 0; i < problems->n; i++)
		if (strcmp(problems->v[i], "drift") != 0) {
			l->health = INV_PH_WARN;
			snprintf(l->problem, sizeof l->problem, "%s",
			    problems->v[i]);
			return;
		}
	l->health = INV_PH_OK;
}

void
inv_probe_last_of(const struct probe_result *r, int64_t now,
    struct inv_probe_last *l)
{
	struct strv problems;

	memset(l, 0, sizeof *l);
	l->verified = -1;
	l->time = r->time;
	snprintf(l->kind, sizeof l->kind, "%s", probe_kind_name(r->kind));
	if (r->kind == PROBE_OK && r->nchain > 0) {
		l->has_days = 1;
		l->days_left = status_days_left(now, r->chain[0].not_after);
	}
	l->drift = r->drift == PROBE_DRIFT_OLDER ||
	    r->drift == PROBE_DRIFT_OTHER || r->drift == PROBE_DRIFT_UNKNOWN;
	strv_init(&problems);
	probe_problems(r, now, &problems);
	last_health(l, &problems);
	strv_free(&problems);
}

/*
 * The few fields read back from the stored JSON. It is probe_result_json's
 * own output (no blanks, fixed member order, "problems" an array of plain
 * words), so a look for the member is enough; the first "days_left" is the
 * top-level one (the chain's come after it).
 */
static void
json_words(const char *json, const char *key, struct strv *out)
{
	const char *p = strstr(json, key), *q;

	if (p == NULL || *(p += strlen(key)) != '[')
		return;
	for (p++; *p == '"'; p = q + 1) {
		q = strchr(p + 1, '"');
		if (q == NULL)
			return;
		strv_addn(out, xasprintf("%.*s", (int)(q - p - 1), p + 1));
		if (*++q != ',')
			return;
	}
}

int
inv_probe_last(struct inv *inv, const char *entry, const char *endpoint,
    struct inv_probe_last *l, char **cause)
{
	struct idx_probe ip;
	struct strv problems;
	const char *p;
	char cur[65];
	int rc;

	memset(l, 0, sizeof *l);
	l->verified = -1;
	if ((rc = idx_probe_last(inv->idx, endpoint, 0, &ip, cause)) != 1)
		return rc;
	l->time = ip.time;
	snprintf(l->kind, sizeof l->kind, "%s", ip.kind);
	strv_init(&problems);
	if (ip.json != NULL) {
		json_words(ip.json, "\"problems\":", &problems);
		if ((p = strstr(ip.json, "\"days_left\":")) != NULL &&
		    p[12] != 'n') {
			l->has_days = 1;
			l->days_left = strtoll(p + 12, NULL, 10);
		}
	}
	/* Drift is against the entry's certificate now: a renewal since
	   the probe may have caught up with what the endpoint serves. */
	if (ip.ok && ip.leaf_sha256 != NULL && entry != NULL &&
	    current_leaf(inv, entry, cur))
		l->drift = strcmp(cur, ip.leaf_sha256) != 0;
	else
		l->drift = strv_has(&problems, "drift");
	last_health(l, &problems);
	strv_free(&problems);
	idx_probe_free(&ip);
	return 1;
}
