/*
 * view_list.c: the list view, every entry of the inventory sorted by days
 * left, one line each, coloured by status slot and marked with a status
 * glyph and word so it reads without colour. The rows come from inv_list,
 * the call `certdeck list` makes; a list of the past (from the history's
 * t) is inv_list with at, as `certdeck list --at` is, and read-only.
 *
 * The list of the present starts from its first screenful: inv_list by
 * expiry walks an index, so reading those rows costs those rows, and the
 * header's counts are ranges of the same index (inv_status_counts). The
 * whole list is read meanwhile by a quiet background job with its own
 * inventory handle (worker.h), built there ready to show (escaped cells,
 * the five sort orders), and swapped in on the main thread with the
 * cursor on the same entry. Until then a key that needs the whole list
 * (a sort, /, a status choice, G, a move past the rows read) waits for
 * it, and so does every key typed after it, in order; the status bar
 * says so. Any other key (moves within the screen, Enter, the actions on
 * the entry under the cursor, q) works at once. When HEAD moves the rows
 * shown stay until the new read is in.
 *
 * Sorting, filtering and the status choice happen here, in memory, on the
 * rows read once (list_order, list_match), with idx_list's rules: the
 * same sort keys (NOCASE: ASCII case folded), rows without the key last
 * either way, then the name; the filter an ASCII case-insensitive
 * substring of name, subject, SANs, issuer, owner or tags. Asking SQLite
 * again cost a whole read of the inventory per key (about 1.7 s at
 * 100,000 entries); tests/e2e/tui.sh checks the orders against `certdeck
 * list --sort`. A filter keystroke looks at the rows in slices (list_scan):
 * the screen is drawn once it is full (or after a few milliseconds), the
 * rest is counted in the main loop's idle time (view_ops.idle), and the
 * next key stops it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "audit.h"
#include "clock.h"
#include "crash.h"
#include "escape.h"
#include "inventory.h"
#include "probe.h"
#include "view.h"
#include "worker.h"

/* How long a filter keystroke looks at rows before the screen is drawn,
   and each idle slice after it (ms). */
#define LIST_SLICE_MS	4

enum col { COL_STATUS, COL_DAYS, COL_NAME, COL_PROBE, COL_AUDIT,
	COL_SUBJECT, COL_ISSUER, COL_NOTAFTER, COL_OWNER, COL_TAGS, COL_COUNT };

/* A probe result kept for the list read in flight (list_probe_landed). */
struct list_probe_ev {
	char			*entry, *endpoint;
	struct inv_probe_last	 last;
};

/* An endpoint of a row and its last probe. */
struct list_ep {
	char			*endpoint;	/* canonical text */
	struct inv_probe_last	 last;
};

/* One row, its text escaped once when loaded. */
struct list_row {
	char		*name;		/* raw, for the detail view */
	char		*cell[COL_COUNT];	/* escaped, by enum col */
	/* As the index holds them (NULL: none), to sort and filter. */
	char		*hay;		/* name, subject, SANs, issuer, owner
					   and tags, ASCII-folded, each after
					   a \001: what the filter looks in */
	char		*owner, *subject_cn, *issuer_cn;
	int64_t		 expiry;
	int		 has_expiry;
	int		 status;
	struct list_ep	*eps;
	size_t		 neps;
	int		 health;	/* the worst of eps */
	int		 audit;		/* worst finding's enum audit_sev,
					   AUDIT_OFF if none */
	char		*renewal;	/* "renewed, not live"..., or NULL */
};

/* An entry's findings at the last sweep (audit/findings at HEAD). */
struct list_mark {
	const char	*entry;		/* into the findings read */
	int		 worst;		/* enum audit_sev */
};

/*
 * Columns: title, narrowest and widest width, and priority (lower goes
 * last when the screen is narrow; 0 never goes).
 */
static const struct {
	const char	*title;
	int		 min, max, prio;
} list_cols[COL_COUNT] = {
	{ "STATUS", 10, 10, 0 },
	{ "DAYS", 5, 7, 0 },
	{ "NAME", 24, 40, 0 },
	{ "PROBE", 7, 12, 0 },
	{ "!", 1, 1, 0 },
	{ "SUBJECT", 20, 40, 5 },
	{ "ISSUER", 14, 30, 2 },
	{ "NOT AFTER", 10, 10, 4 },
	{ "OWNER", 12, 24, 3 },
	{ "TAGS", 12, 30, 1 },
};

static const struct {
	const char	*name;
	enum idx_sort	 sort;
} list_sorts[] = {
	{ "expiry", IDX_SORT_EXPIRY },
	{ "name", IDX_SORT_NAME },
	{ "subject", IDX_SORT_SUBJECT },
	{ "issuer", IDX_SORT_ISSUER },
	{ "owner", IDX_SORT_OWNER },
};

/*
 * What one read of the inventory gives (list_read): every row, or the
 * first screenful, with what is drawn of them made once. A view takes a
 * read over whole and frees the one before. The background read builds
 * its own on the worker's thread, from its own inventory handle.
 */
struct list_data {
	struct list_row	*rows;		/* in expiry order */
	size_t		 nall, cap;
	size_t		*perm[nitems(list_sorts)];	/* rows in each sort's
					   order, keyed rows first (nkey) */
	size_t		 nkey[nitems(list_sorts)];
	size_t		 counts[ST_COUNT];	/* whole inventory */
	size_t		 total;
	int		 colw[COL_COUNT];	/* widest cell of each column,
						   measured as rows load */
	char		 head[12];	/* the HEAD read */
	int		 whole;		/* every row (else a first screenful) */
	char		*error;		/* a background read that failed */
	/* The last sweep's findings at that HEAD. */
	struct audit_finding *findings;
	size_t		 nfindings;
	struct list_mark *marks;	/* sorted by entry, into findings */
	size_t		 nmarks;
};

/* Where a read takes its rows from. Nothing of the struct tui: the
   background read runs on another thread. */
struct list_src {
	struct inv		*inv;
	int			 ascii;		/* t->ascii */
	const char		*at;		/* a list of the past, or NULL */
	size_t			 limit;		/* rows at most; 0 every one */
	const volatile int	*cancel;	/* the background read's */
};

struct list {
	struct list_data *d;
	size_t		*vis;		/* the rows shown, in order */
	size_t		 n;		/* how many (so far, while scanning) */
	size_t		 cur, top;	/* in vis */
	/*
	 * The scan that makes vis (list_view, list_scan): the rows of src
	 * in order, those the filter matches. src[pos..nsrc) is still to
	 * be looked at; pos == nsrc when vis is complete. keep is the row
	 * the cursor goes to when it comes by.
	 */
	size_t		*src, *tmp;
	size_t		 nsrc, pos;
	char		*pat;		/* the filter, folded; NULL: none */
	size_t		 keep;
	struct buf	 filter;	/* raw text typed */
	int		 typing;	/* the / prompt is open */
	int		 sort;		/* index into list_sorts */
	int		 reverse;
	int		 status;	/* -1 = all */
	char		*at;		/* commit of a list of the past, or NULL */
	char		*label;		/* its banner, escaped */
	int		 reading;	/* the background read runs */
	int		 stale;		/* HEAD moved meanwhile: read again */
	int		*queue;		/* keys waiting for the whole list */
	size_t		 nqueue, qcap;
	/* Probe results that landed while the whole list was read: the
	   read may have looked at the index before they were recorded. */
	struct list_probe_ev	*pend;
	size_t		 npend;
};

static void
list_marks_free(struct list_data *d)
{
	audit_findings_free(d->findings, d->nfindings);
	free(d->marks);
	d->findings = NULL;
	d->nfindings = 0;
	d->marks = NULL;
	d->nmarks = 0;
}

static void
list_data_free(struct list_data *d)
{
	struct list_row *r;
	size_t i, e;
	int c;

	if (d == NULL)
		return;
	for (i = 0; i < d->nall; i++) {
		r = &d->rows[i];
		free(r->name);
		for (c = 0; c < COL_COUNT; c++)
			free(r->cell[c]);
		free(r->hay);
		free(r->owner);
		free(r->subject_cn);
		free(r->issuer_cn);
		for (e = 0; e < r->neps; e++)
			free(r->eps[e].endpoint);
		free(r->eps);
		free(r->renewal);
	}
	free(d->rows);
	for (c = 0; c < (int)nitems(d->perm); c++)
		free(d->perm[c]);
	list_marks_free(d);
	free(d->error);
	free(d);
}

/* For a RESULT that is not delivered. */
static void
list_data_drop(void *d)
{
	list_data_free(d);
}

/* The row shown at position i. */
static struct list_row *
list_at(struct list *l, size_t i)
{
	return &l->d->rows[l->vis[i]];
}

struct list_load {
	const struct list_src	*src;
	struct list_data	*d;
	struct strv		 rnames;	/* entries with a renewal state */
	struct strv		 rstates;
};

static char *
list_esc(const struct list_src *src, const char *s)
{
	return esc_dup(s != NULL ? s : "", src->ascii);
}

/* Widen column c to cell s if it is wider. Once per cell as it is made,
   never per draw: a draw costs the rows on screen, not the inventory. An
   escaped cell is never wider than its bytes, so most cells cost a
   strlen. */
static void
list_colw(struct list_data *d, int c, const char *s)
{
	if (s != NULL && strlen(s) > (size_t)d->colw[c]) {
		int w = esc_width(s);

		if (w > d->colw[c])
			d->colw[c] = w;
	}
}

/* How bad a health is: never probed is worse than ok (nothing says the
   endpoint is well), better than any problem seen. */
static int
health_rank(enum inv_probe_health h)
{
	return h == INV_PH_OK ? 0 : h == INV_PH_NONE ? 1 : (int)h + 1;
}

/* The PROBE cell: the worst endpoint's glyph and word ("fail" is the
   failure's kind), and how many endpoints when there are several. */
static void
list_probe_cell(int ascii, struct list_data *d, struct list_row *lr)
{
	const struct inv_probe_last *worst = NULL;
	const char *word;
	char buf[64];
	size_t i;

	for (i = 0; i < lr->neps; i++)
		if (worst == NULL || health_rank(lr->eps[i].last.health) >
		    health_rank(worst->health))
			worst = &lr->eps[i].last;
	lr->health = worst != NULL ? (int)worst->health : INV_PH_NONE;
	free(lr->cell[COL_PROBE]);
	/* A renewal's outcome says more than the last probe: "! not live"
	   (renewed, not served yet), "! failed", "! stuck". */
	if (lr->renewal != NULL) {
		const char *w = strrchr(lr->renewal, ' ');

		if (strcmp(lr->renewal, "renewed, not live") == 0)
			w = " not live";
		snprintf(buf, sizeof buf, "! %s", w != NULL ? w + 1 :
		    lr->renewal);
		lr->cell[COL_PROBE] = esc_dup(buf, ascii);
		lr->health = INV_PH_FAIL;
		list_colw(d, COL_PROBE, lr->cell[COL_PROBE]);
		return;
	}
	if (worst == NULL) {
		lr->cell[COL_PROBE] = xstrdup("");
		return;
	}
	if (worst->health == INV_PH_NONE) {
		if (lr->neps > 1)
			lr->cell[COL_PROBE] = xasprintf("- %zu", lr->neps);
		else
			lr->cell[COL_PROBE] = xstrdup("-");
		list_colw(d, COL_PROBE, lr->cell[COL_PROBE]);
		return;
	}
	word = inv_probe_health_name(worst->health);
	if (worst->health == INV_PH_WARN && *worst->problem != '\0')
		word = worst->problem;
	if (lr->neps > 1)
		snprintf(buf, sizeof buf, "%s %s %zu", tui_probe_glyph(ascii,
		    (int)worst->health), word, lr->neps);
	else
		snprintf(buf, sizeof buf, "%s %s", tui_probe_glyph(ascii,
		    (int)worst->health), word);
	lr->cell[COL_PROBE] = esc_dup(buf, ascii);
	list_colw(d, COL_PROBE, lr->cell[COL_PROBE]);
}

/* The row's endpoints and their last probes, from the index (once per
   load, not per draw). */
static void
list_probe_load(const struct list_src *src, struct list_data *d,
    struct list_row *lr, const char *endpoints)
{
	struct strv v;
	struct endpoint ep;
	char text[600], *err = NULL;
	size_t i;

	strv_init(&v);
	if (endpoints != NULL)
		strv_split(&v, endpoints, ',');
	lr->eps = v.n > 0 ? xcalloc(v.n, sizeof *lr->eps) : NULL;
	for (i = 0; i < v.n; i++) {
		if (endpoint_parse(v.v[i], &ep, NULL) != 0)
			continue;
		endpoint_format(&ep, text, sizeof text);
		lr->eps[lr->neps].endpoint = xstrdup(text);
		if (inv_probe_last(src->inv, lr->name, text,
		    &lr->eps[lr->neps].last, &err) < 0) {
			free(err);
			err = NULL;
		}
		lr->neps++;
	}
	strv_free(&v);
	list_probe_cell(src->ascii, d, lr);
}

/* A probe result, into the rows of d. */
static void
list_probe_put(int ascii, struct list_data *d, const char *entry,
    const char *endpoint, const struct inv_probe_last *last)
{
	struct list_row *lr;
	size_t i, e;

	for (i = 0; i < d->nall; i++) {
		lr = &d->rows[i];
		if (strcmp(lr->name, entry) != 0)
			continue;
		for (e = 0; e < lr->neps; e++)
			if (strcmp(lr->eps[e].endpoint, endpoint) == 0 &&
			    last->health != INV_PH_NONE)
				lr->eps[e].last = *last;
		list_probe_cell(ascii, d, lr);
	}
}

static void
list_probe_landed(struct tui *t, struct view *v, const char *entry,
    const char *endpoint, const struct inv_probe_last *last)
{
	struct list *l = v->priv;
	struct list_probe_ev *pe;

	if (l->at != NULL || entry == NULL)
		return;
	list_probe_put(t->ascii, l->d, entry, endpoint, last);
	if (l->reading) {
		l->pend = xreallocarray(l->pend, l->npend + 1,
		    sizeof *l->pend);
		pe = &l->pend[l->npend++];
		pe->entry = xstrdup(entry);
		pe->endpoint = xstrdup(endpoint);
		pe->last = *last;
	}
}

/* The results that landed during a read, onto what it read (d), in the
   order they came; or forgotten (d NULL). */
static void
list_probe_replay(struct tui *t, struct list *l, struct list_data *d)
{
	size_t i;

	for (i = 0; i < l->npend; i++) {
		if (d != NULL)
			list_probe_put(t->ascii, d, l->pend[i].entry,
			    l->pend[i].endpoint, &l->pend[i].last);
		free(l->pend[i].entry);
		free(l->pend[i].endpoint);
	}
	free(l->pend);
	l->pend = NULL;
	l->npend = 0;
}

static int list_fold(int);

/* What the filter looks in: idx_list's filter columns, each after a
   \001 (typed text holds no control character, so a match never spans
   two), folded once here so that a keystroke is one pass per row. */
static char *
list_hay(const struct idx_row *r)
{
	const char *f[] = { r->entry->name, r->leaf ? r->leaf->subject : NULL,
	    r->leaf ? r->leaf->sans : NULL, r->leaf ? r->leaf->issuer : NULL,
	    r->entry->owner, r->entry->tags };
	struct buf b;
	size_t i;
	char *p;

	buf_init(&b);
	for (i = 0; i < nitems(f); i++)
		if (f[i] != NULL) {
			buf_addc(&b, '\001');
			buf_adds(&b, f[i]);
		}
	buf_addc(&b, '\0');
	for (p = b.data; *p != '\0'; p++)
		*p = (char)list_fold((unsigned char)*p);
	return buf_steal(&b);
}

static int
mark_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct list_mark *)elem)->entry);
}

/* The AUDIT cell ("!" column): ! for a critical or warning finding, +
   for a notice, blank for none; its colour says critical or warning. */
static void
list_audit_cell(struct list_data *d, struct list_row *lr)
{
	const struct list_mark *m = NULL;

	lr->audit = AUDIT_OFF;
	if (d->nmarks > 0)
		m = bsearch(lr->name, d->marks, d->nmarks, sizeof *d->marks,
		    mark_cmp);
	if (m == NULL) {
		lr->cell[COL_AUDIT] = xstrdup("");
		return;
	}
	lr->audit = m->worst;
	lr->cell[COL_AUDIT] = xstrdup(m->worst <= AUDIT_WARNING ? "!" : "+");
}

/* The marks of the last sweep, from audit/findings at HEAD (sorted by
   entry, so one pass groups them). Info findings do not mark an entry. */
static void
list_marks_load(const struct list_src *src, struct list_data *d)
{
	char *err = NULL;
	size_t i;

	list_marks_free(d);
	if (src->at != NULL || audit_findings_read(src->inv, &d->findings,
	    &d->nfindings, &err) != 0) {
		free(err);
		return;
	}
	d->marks = xcalloc(d->nfindings + 1, sizeof *d->marks);
	for (i = 0; i < d->nfindings; i++) {
		struct audit_finding *x = &d->findings[i];
		struct list_mark *m;

		if (x->sev == AUDIT_INFO)
			continue;
		m = d->nmarks > 0 ? &d->marks[d->nmarks - 1] : NULL;
		if (m == NULL || strcmp(m->entry, x->entry) != 0) {
			m = &d->marks[d->nmarks++];
			m->entry = x->entry;
			m->worst = x->sev;
		}
		if ((int)x->sev < m->worst)
			m->worst = x->sev;
	}
}

/* inv_list's callback: one row made ready to draw, sort and filter. It
   stops the listing after src->limit rows (1) or when the background
   read is cancelled (2). */
static int
list_load_row(void *arg, const struct inv_row *row)
{
	struct list_load *ld = arg;
	const struct list_src *src = ld->src;
	struct list_data *d = ld->d;
	const struct idx_row *r = row->r;
	struct list_row *lr;
	char buf[64], date[16];
	int c;
	size_t i;

	if (src->cancel != NULL &&
	    __atomic_load_n(src->cancel, __ATOMIC_SEQ_CST))
		return 2;
	if (src->limit != 0 && d->nall == src->limit)
		return 1;
	if (d->nall == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->rows = xreallocarray(d->rows, d->cap, sizeof *d->rows);
	}
	lr = &d->rows[d->nall++];
	memset(lr, 0, sizeof *lr);
	lr->name = xstrdup(r->entry->name);
	lr->owner = r->entry->owner != NULL ? xstrdup(r->entry->owner) : NULL;
	lr->hay = list_hay(r);
	if (r->leaf != NULL) {
		lr->subject_cn = r->leaf->subject_cn ?
		    xstrdup(r->leaf->subject_cn) : NULL;
		lr->issuer_cn = r->leaf->issuer_cn ?
		    xstrdup(r->leaf->issuer_cn) : NULL;
		lr->expiry = r->eff_not_after;
		lr->has_expiry = 1;
	}
	lr->status = row->status;
	snprintf(buf, sizeof buf, "%s %s",
	    tui_status_glyph(src->ascii, row->status),
	    status_name(row->status));
	lr->cell[COL_STATUS] = xstrdup(buf);
	if (r->leaf != NULL) {
		snprintf(buf, sizeof buf, "%lld%s", (long long)row->days_left,
		    r->eff_from != NULL ? "*" : "");
		clock_format_date(r->eff_not_after, date);
	} else {
		strcpy(buf, "-");
		strcpy(date, "-");
	}
	lr->cell[COL_DAYS] = xstrdup(buf);
	lr->cell[COL_NOTAFTER] = xstrdup(date);
	lr->cell[COL_NAME] = list_esc(src, r->entry->name);
	lr->cell[COL_SUBJECT] = list_esc(src, r->leaf ? r->leaf->subject_cn :
	    "");
	lr->cell[COL_ISSUER] = list_esc(src, r->leaf ? r->leaf->issuer_cn :
	    "");
	lr->cell[COL_OWNER] = list_esc(src, r->entry->owner);
	lr->cell[COL_TAGS] = list_esc(src, r->entry->tags);
	/* A list of the past shows what it can: probes are of now. */
	if (src->at == NULL) {
		for (i = 0; i < ld->rnames.n && lr->renewal == NULL; i++)
			if (strcmp(ld->rnames.v[i], lr->name) == 0)
				lr->renewal = xstrdup(ld->rstates.v[i]);
		list_probe_load(src, d, lr, r->entry->endpoints);
	} else
		lr->cell[COL_PROBE] = xstrdup("");
	list_audit_cell(d, lr);
	for (c = 0; c < COL_COUNT; c++)
		if (c != COL_PROBE)
			list_colw(d, c, lr->cell[c]);
	/* Every row read is counted; a first screenful is counted again,
	   from the index (list_read). */
	if (row->status >= 0 && row->status < ST_COUNT)
		d->counts[row->status]++;
	d->total++;
	return 0;
}

/* ASCII case folding, as SQLite's NOCASE and LIKE do. */
static int
list_fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* NOCASE: the folded bytes, then the shorter first. */
static int
list_nocase(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	while (*x != '\0' && list_fold(*x) == list_fold(*y)) {
		x++;
		y++;
	}
	return list_fold(*x) - list_fold(*y);
}

struct list_sortarg {
	const struct list_data	*d;
	int			 s;		/* index into list_sorts */
};

/* Rows i and j in sort s's ascending order (idx_list's ORDER BY: the
   key, rows without it last, then the name). */
static int
list_order(const void *pa, const void *pb, void *arg)
{
	const struct list_data *d = ((const struct list_sortarg *)arg)->d;
	int s = ((const struct list_sortarg *)arg)->s;
	const struct list_row *a = &d->rows[*(const size_t *)pa];
	const struct list_row *b = &d->rows[*(const size_t *)pb];
	const char *ka = NULL, *kb = NULL;
	int c = 0;

	switch (list_sorts[s].sort) {
	case IDX_SORT_EXPIRY:
		if (a->has_expiry != b->has_expiry)
			return a->has_expiry ? -1 : 1;
		c = a->expiry < b->expiry ? -1 : a->expiry > b->expiry;
		break;
	case IDX_SORT_NAME:
		break;
	case IDX_SORT_SUBJECT:
		ka = a->subject_cn, kb = b->subject_cn;
		break;
	case IDX_SORT_ISSUER:
		ka = a->issuer_cn, kb = b->issuer_cn;
		break;
	default:
		ka = a->owner, kb = b->owner;
		break;
	}
	if (list_sorts[s].sort != IDX_SORT_EXPIRY &&
	    list_sorts[s].sort != IDX_SORT_NAME) {
		if ((ka == NULL) != (kb == NULL))
			return ka == NULL ? 1 : -1;
		if (ka != NULL)
			c = list_nocase(ka, kb);
	}
	return c != 0 ? c : strcmp(a->name, b->name);
}

/* Whether sort s has a key for row r (rows without one go last). */
static int
list_has_key(const struct list_row *r, int s)
{
	switch (list_sorts[s].sort) {
	case IDX_SORT_EXPIRY:
		return r->has_expiry;
	case IDX_SORT_NAME:
		return 1;
	case IDX_SORT_SUBJECT:
		return r->subject_cn != NULL;
	case IDX_SORT_ISSUER:
		return r->issuer_cn != NULL;
	default:
		return r->owner != NULL;
	}
}

/* Each sort's order of the rows, once per read: a sort key press then
   only walks one (forwards or, reversed, each part backwards). Stops
   when cancel (if not NULL) is set: -1. */
static int
list_perms(struct list_data *d, const volatile int *cancel)
{
	struct list_sortarg arg;
	size_t i;
	int s;

	for (s = 0; s < (int)nitems(list_sorts); s++) {
		if (cancel != NULL && __atomic_load_n(cancel, __ATOMIC_SEQ_CST))
			return -1;
		d->perm[s] = xreallocarray(NULL, d->nall ? d->nall : 1,
		    sizeof *d->perm[s]);
		for (i = 0; i < d->nall; i++)
			d->perm[s][i] = i;
		/* The rows come in expiry order already. */
		arg.d = d;
		arg.s = s;
		if (list_sorts[s].sort != IDX_SORT_EXPIRY)
			qsort_r(d->perm[s], d->nall, sizeof *d->perm[s],
			    list_order, &arg);
		d->nkey[s] = 0;
		for (i = 0; i < d->nall; i++)
			if (list_has_key(&d->rows[i], s))
				d->nkey[s]++;
	}
	return 0;
}

/*
 * Read the rows (src->limit of them at most), ready to show: 0, or -1
 * with *cause (and what was read so far kept). The header's counts are
 * those of the rows when they are all, else ranges of the index.
 */
static int
list_read(const struct list_src *src, struct list_data *d, char **cause)
{
	struct inv_list_opts o;
	struct list_load ld;
	char head[41], *err = NULL;
	int rc = 0;

	memset(&ld, 0, sizeof ld);
	ld.src = src;
	ld.d = d;
	list_marks_load(src, d);
	if (src->at != NULL)
		snprintf(d->head, sizeof d->head, "%.7s", src->at);
	else if (idx_get_head(src->inv->idx, head, &err) == 0)
		snprintf(d->head, sizeof d->head, "%.7s", *head ? head : "none");
	else {
		free(err);
		strcpy(d->head, "?");
	}
	memset(&o, 0, sizeof o);
	o.expiring_days = -1;
	o.sort = IDX_SORT_EXPIRY;
	o.at = src->at;
	strv_init(&ld.rnames);
	strv_init(&ld.rstates);
	if (src->at == NULL)
		inv_renew_states(src->inv, &ld.rnames, &ld.rstates, NULL);
	switch (inv_list(src->inv, &o, list_load_row, &ld, cause)) {
	case 0:
		d->whole = 1;
		break;
	case 1:		/* the limit */
		break;
	case 2:
		rc = set_cause(cause, "cancelled");
		break;
	default:
		rc = -1;
		break;
	}
	strv_free(&ld.rnames);
	strv_free(&ld.rstates);
	if (rc == 0 && !d->whole &&
	    (rc = inv_status_counts(src->inv, d->counts, &d->total,
	    cause)) == 0 && d->total == d->nall)
		d->whole = 1;
	if (list_perms(d, src->cancel) != 0 && rc == 0)
		rc = set_cause(cause, "cancelled");
	return rc;
}

/* The filter, as LIKE '%text%' ESCAPE: an ASCII case-insensitive
   substring of one of the fields (pat folded already, not empty).
   glibc's strstr (vectorised) looks at 100,000 rows in 2-6 ms where a
   byte loop took 20-24 ms (the rows that fail late, as most do). */
static int
list_match(const struct list_row *r, const char *pat)
{
	return strstr(r->hay, pat) != NULL;
}

/* Whether the scan is done: vis holds every row shown. */
static int
list_scanned(const struct list *l)
{
	return l->pos == l->nsrc;
}

/*
 * For tests: CERTDECK_TEST_SLICE=N makes a slice N rows instead of
 * LIST_SLICE_MS, so that a test's small inventory is scanned in slices
 * too (on the main thread only).
 */
static size_t
list_slice_rows(void)
{
	static long rows = -1;
	const char *e;

	if (rows < 0) {
		e = getenv("CERTDECK_TEST_SLICE");
		rows = e != NULL ? strtol(e, NULL, 10) : 0;
		if (rows < 0)
			rows = 0;
	}
	return (size_t)rows;
}

/*
 * Go on with the scan until vis holds want rows, it is done, or a slice
 * of ms milliseconds went by (0: no limit). The cursor goes to the kept
 * row when it comes by.
 */
static void
list_scan(struct list *l, size_t want, int ms)
{
	int64_t end = ms > 0 ? clock_mono_ms() + ms : 0;
	size_t k, stop = SIZE_MAX;

	if (ms > 0 && list_slice_rows() > 0) {
		stop = l->pos + list_slice_rows();
		end = 0;
	}
	while (l->pos < l->nsrc && l->n < want && l->pos < stop) {
		k = l->src[l->pos++];
		if (l->pat == NULL || list_match(&l->d->rows[k], l->pat)) {
			if (k == l->keep) {
				l->cur = l->n;
				l->keep = SIZE_MAX;
			}
			l->vis[l->n++] = k;
		}
		if (end != 0 && (l->pos & 1023) == 0 && clock_mono_ms() >= end)
			break;
	}
}

/*
 * The rows shown: sort order, direction, status choice and filter over
 * the rows read. The cursor stays on its row when it is still shown,
 * else goes to the top (or, with keep_pos, stays on its line). narrow:
 * only the filter changed, by growing at its end, so only the rows shown
 * and those not looked at yet can still match. Looks at rows until the
 * screen can be drawn (or LIST_SLICE_MS went by); list_idle does the rest.
 */
static void
list_view(struct list *l, size_t keep, int keep_pos, int narrow)
{
	const size_t *p = l->d->perm[l->sort];
	size_t i, k, nk = l->d->nkey[l->sort], nall = l->d->nall;
	size_t old = l->cur, page = (size_t)tui_body_rows(2), *t;
	char *c;

	free(l->pat);
	l->pat = NULL;
	if (l->filter.len > 0) {
		l->pat = xstrdup(l->filter.data);
		for (c = l->pat; *c != '\0'; c++)
			*c = (char)list_fold((unsigned char)*c);
	}
	if (narrow && l->pat != NULL) {
		/* What matched so far, then what was not looked at. */
		memcpy(l->tmp, l->vis, l->n * sizeof *l->tmp);
		memcpy(l->tmp + l->n, l->src + l->pos,
		    (l->nsrc - l->pos) * sizeof *l->tmp);
		l->nsrc = l->n + l->nsrc - l->pos;
		t = l->src;
		l->src = l->tmp;
		l->tmp = t;
	} else {
		l->nsrc = 0;
		for (i = 0; i < nall; i++) {
			/* Reversed: the keyed part backwards, then the rest. */
			k = !l->reverse ? p[i] : i < nk ? p[nk - 1 - i] :
			    p[nall - 1 - (i - nk)];
			if (l->status < 0 || l->d->rows[k].status == l->status)
				l->src[l->nsrc++] = k;
		}
	}
	l->pos = l->n = l->cur = 0;
	l->keep = SIZE_MAX;
	/* Without a filter every row is shown: no scan to slice. */
	if (l->pat == NULL) {
		memcpy(l->vis, l->src, l->nsrc * sizeof *l->vis);
		l->n = l->pos = l->nsrc;
		for (i = 0; keep < nall && i < l->n; i++)
			if (l->vis[i] == keep)
				break;
		l->cur = i < l->n ? i : keep_pos && old < l->n ? old :
		    keep_pos && l->n > 0 ? l->n - 1 : 0;
		return;
	}
	/* Where the cursor goes is known before the screen is drawn: the
	   rows up to its row, or its line, are looked at now. */
	if (keep < nall && (l->status < 0 ||
	    l->d->rows[keep].status == l->status) &&
	    list_match(&l->d->rows[keep], l->pat)) {
		l->keep = keep;
		while (l->keep != SIZE_MAX && !list_scanned(l))
			list_scan(l, l->n + 1, 0);
	} else if (keep_pos) {
		list_scan(l, old + 1, 0);
		l->cur = old < l->n ? old : l->n > 0 ? l->n - 1 : 0;
	}
	list_scan(l, l->cur + page + 1, LIST_SLICE_MS);
}

/* Look at rows until vis holds want of them or the scan is done. */
static void
list_need(struct list *l, size_t want)
{
	list_scan(l, want, 0);
}

/* The row under the cursor, as an index into rows (SIZE_MAX: none). */
static size_t
list_cur_row(const struct list *l)
{
	return l->cur < l->n ? l->vis[l->cur] : SIZE_MAX;
}

/* Show read d, replacing what was shown: the cursor stays on the same
   entry when it is still listed, else (with keep_pos, after the entry
   went) on the same line. */
static void
list_take(struct list *l, struct list_data *d, int keep_pos)
{
	char *keep = NULL;
	size_t i, found = SIZE_MAX, cap;

	if (l->d != NULL && l->cur < l->n)
		keep = xstrdup(list_at(l, l->cur)->name);
	list_data_free(l->d);
	l->d = d;
	cap = d->nall ? d->nall : 1;
	l->vis = xreallocarray(l->vis, cap, sizeof *l->vis);
	l->src = xreallocarray(l->src, cap, sizeof *l->src);
	l->tmp = xreallocarray(l->tmp, cap, sizeof *l->tmp);
	l->n = l->nsrc = l->pos = 0;
	for (i = 0; keep != NULL && i < d->nall; i++)
		if (strcmp(d->rows[i].name, keep) == 0) {
			found = i;
			break;
		}
	list_view(l, found, keep != NULL && keep_pos, 0);
	free(keep);
}

/* Whether the rows shown are a first screenful: the whole list is being
   read, or its read failed (a key that needs it reads it again). */
static int
list_partial(const struct list *l)
{
	return l->at == NULL && !l->d->whole;
}

struct list_job {
	int	 ascii;
	int	 again;		/* read again: HEAD moved during the last one */
};

static void	list_landed(struct tui *, void *, void *);

/* The background read, on the worker's thread with its own inventory:
   the whole list, posted to list_landed. */
static void
list_read_run(struct job *j, struct inv *inv, void *arg)
{
	struct list_job *lj = arg;
	struct list_src src = { inv, lj->ascii, NULL, 0, NULL };
	struct list_data *d;
	struct job_ev *ev;
	char *err = NULL;

	src.cancel = worker_cancel_flag(j);
	crash_hold("list-read-start", src.cancel);
	d = xcalloc(1, sizeof *d);
	if (inv == NULL)
		d->error = xstrdup(worker_open_error(j));
	else if (list_read(&src, d, &err) != 0)
		d->error = err;
	crash_hold(lj->again ? "list-reread" : "list-read", src.cancel);
	ev = xcalloc(1, sizeof *ev);
	ev->type = JOB_EV_RESULT;
	ev->landed = list_landed;
	ev->payload = d;
	ev->payload_free = list_data_drop;
	worker_post(j, ev);
	worker_done(j, "list read");
}

/* Read the whole list in the background (again, when HEAD moved). */
static void
list_read_start(struct tui *t, struct list *l, int again)
{
	struct list_job *lj = xcalloc(1, sizeof *lj);

	worker_quiet_cancel(l);
	lj->ascii = t->ascii;
	lj->again = again;
	l->reading = worker_start_quiet(t, "list", l, list_read_run, lj,
	    free) == 0;
}

static void
list_landed(struct tui *t, void *owner, void *payload)
{
	struct list *l = owner;
	struct list_data *d = payload;

	crash_hold("list-landed", NULL);	/* keys typed meanwhile wait */
	l->reading = 0;
	if (d->error != NULL) {
		if (!l->stale && l->nqueue > 0) {
			tui_message(t, "reading the whole list: %s (%zu "
			    "waiting key%s dropped)", d->error, l->nqueue,
			    l->nqueue == 1 ? "" : "s");
			l->nqueue = 0;
		} else if (!l->stale)
			tui_message(t, "reading the whole list: %s", d->error);
		list_data_free(d);
		list_probe_replay(t, l, NULL);
	} else {
		list_probe_replay(t, l, d);
		list_take(l, d, 1);
	}
	/* HEAD moved while it was read: what landed is shown (and the keys
	   waiting for it run on it), and the list is read again. */
	if (l->stale) {
		l->stale = 0;
		list_read_start(t, l, 1);
	}
}

/*
 * Read the list: a list of the past whole, here; the present one's first
 * screenful here and the rest in the background.
 */
static void
list_load(struct tui *t, struct list *l)
{
	struct list_src src = { t->inv, t->ascii, l->at, 0, NULL };
	struct list_data *d = xcalloc(1, sizeof *d);
	char *err = NULL;

	if (l->at == NULL)
		src.limit = tui_body_rows(2) > 0 ? (size_t)tui_body_rows(2) : 1;
	if (list_read(&src, d, &err) != 0) {
		tui_message(t, "%s", err);
		free(err);
	}
	list_take(l, d, 0);
	if (!d->whole && l->at == NULL)
		list_read_start(t, l, 0);
}

void *
view_list_new_at(struct tui *t, const char *commit, const char *label)
{
	struct list *l = xcalloc(1, sizeof *l);

	buf_init(&l->filter);
	l->status = -1;
	l->keep = SIZE_MAX;
	if (commit != NULL) {
		l->at = xstrdup(commit);
		l->label = tui_esc(t, label != NULL ? label : commit);
	}
	list_load(t, l);
	return l;
}

void *
view_list_new(struct tui *t)
{
	return view_list_new_at(t, NULL, NULL);
}

/* HEAD moved: a list of the present follows it, read in the background
   (what is shown stays until then); one of the past stays. */
static void
list_reload(struct tui *t, struct view *v)
{
	struct list *l = v->priv;

	if (l->at != NULL)
		return;
	/* Not cancelled and started over: commits every second (a bulk
	   renewal) would never let a read of 100,000 rows finish. */
	if (l->reading)
		l->stale = 1;
	else
		list_read_start(t, l, 0);
}

const char *
view_list_current(struct view *v)
{
	struct list *l = v->priv;

	return l->cur < l->n ? list_at(l, l->cur)->name : NULL;
}

int
view_list_readonly(struct tui *t, struct view *v)
{
	struct list *l = v->priv;

	if (l->at == NULL)
		return 0;
	tui_message(t, "read-only: this is the inventory as of %.7s; q goes "
	    "back", l->at);
	return 1;
}

int
view_list_unchangeable(struct tui *t, struct view *v)
{
	char *err = NULL;

	if (view_list_readonly(t, v))
		return 1;
	if (inv_writable(t->inv, &err) == 0)
		return 0;
	/* The header names the inventory: the path would push the reason
	   off a narrow status bar. */
	free(err);
	tui_message(t, "read-only: this inventory cannot be written here; "
	    "no change can be made");
	return 1;
}

static void
list_leave(struct tui *t, struct view *v)
{
	struct list *l = v->priv;

	worker_quiet_cancel(l);
	list_data_free(l->d);
	free(l->vis);
	free(l->src);
	free(l->tmp);
	free(l->pat);
	free(l->queue);
	list_probe_replay(t, l, NULL);
	buf_free(&l->filter);
	free(l->at);
	free(l->label);
	free(l);
}

/* Rows of entries on screen: below the header and the column titles. */
static int
list_page(void)
{
	return tui_body_rows(2);
}

/* The first line shown follows the cursor; while the scan goes on, the
   rows below are still coming, so the last page is not pulled up yet. */
static void
list_fix_top(struct list *l)
{
	size_t page = (size_t)(list_page() > 0 ? list_page() : 1);

	if (l->n == 0) {
		l->cur = l->top = 0;
		return;
	}
	if (l->cur >= l->n)
		l->cur = l->n - 1;
	if (l->cur < l->top)
		l->top = l->cur;
	if (l->cur >= l->top + page)
		l->top = l->cur - page + 1;
	if (list_scanned(l) && l->top + page > l->n)
		l->top = l->n > page ? l->n - page : 0;
}

/* Decide which columns show and how wide: widest content within each
   column's limits, then shrink the widest, and when all are at their
   narrowest, drop the least important column and start again. */
static void
list_layout(struct list *l, int width[COL_COUNT])
{
	int want[COL_COUNT], shown[COL_COUNT], c, total, pick;

	for (c = 0; c < COL_COUNT; c++) {
		want[c] = esc_width(list_cols[c].title);
		if (l->d->colw[c] > want[c])
			want[c] = l->d->colw[c];
		if (want[c] < list_cols[c].min)
			want[c] = list_cols[c].min;
		if (want[c] > list_cols[c].max)
			want[c] = list_cols[c].max;
		shown[c] = 1;
	}
	for (;;) {
		for (c = 0; c < COL_COUNT; c++)
			width[c] = shown[c] ? want[c] : 0;
		for (;;) {
			/* A marker column, then each column and a blank. */
			total = 1;
			for (c = 0; c < COL_COUNT; c++)
				if (width[c] > 0)
					total += width[c] + 1;
			if (total <= COLS)
				break;
			pick = -1;
			for (c = 0; c < COL_COUNT; c++)
				if (width[c] > list_cols[c].min &&
				    (pick < 0 || width[c] > width[pick]))
					pick = c;
			if (pick < 0)
				break;
			width[pick]--;
		}
		if (total <= COLS)
			break;
		pick = -1;
		for (c = 0; c < COL_COUNT; c++)
			if (shown[c] && list_cols[c].prio > 0 && (pick < 0 ||
			    list_cols[c].prio < list_cols[pick].prio))
				pick = c;
		if (pick < 0)
			break;	/* only the essential ones: let them be cut */
		shown[pick] = 0;
	}
	/* The last column shown takes what is left. */
	for (c = COL_COUNT - 1; c >= 0; c--)
		if (width[c] > 0) {
			if (total < COLS)
				width[c] += COLS - total;
			break;
		}
}

static void
list_draw(struct tui *t, struct view *v)
{
	struct list *l = v->priv;
	struct list_data *d = l->d;
	int width[COL_COUNT], c, x, y, page;
	attr_t a;
	struct buf b;
	char right[112];

	list_fix_top(l);
	buf_init(&b);
	/* Counts first: a long path is what gets cut. */
	if (l->at != NULL)
		buf_printf(&b, "AS OF %s, read-only  ", l->label);
	buf_printf(&b, "certdeck  %zu entries:", d->total);
	for (c = 0; c < ST_COUNT; c++)
		if (c != ST_NONE || d->counts[c] > 0)
			buf_printf(&b, " %zu %s", d->counts[c], status_name(c));
	buf_printf(&b, "  %s %s", l->at != NULL ? "at" : "HEAD", d->head);
	if (l->at == NULL && t->sync_note[0] != '\0')
		buf_printf(&b, "  %s", t->sync_note);
	buf_printf(&b, "  %s", t->dir_esc);
	tui_put(0, 0, b.data, COLS, theme_attr(SLOT_TITLE));
	buf_reset(&b);

	list_layout(l, width);
	tui_fill(1, theme_attr(SLOT_HEADER));
	for (c = 0, x = 1; c < COL_COUNT; c++) {
		if (width[c] == 0)
			continue;
		tui_put(1, x, list_cols[c].title, width[c],
		    theme_attr(SLOT_HEADER));
		x += width[c] + 1;
	}
	page = list_page();
	for (y = 0; y < page && l->top + (size_t)y < l->n; y++) {
		struct list_row *r = list_at(l, l->top + (size_t)y);
		int is_cur = l->top + (size_t)y == l->cur;

		a = theme_attr(theme_status_slot(r->status));
		if (is_cur)
			a = theme_attr_over(a, SLOT_CURSOR);
		tui_put(2 + y, 0, is_cur ? ">" : " ", 1, a);
		for (c = 0, x = 1; c < COL_COUNT; c++) {
			if (width[c] == 0)
				continue;
			if (c == COL_PROBE && (r->health == INV_PH_FAIL ||
			    r->health == INV_PH_DRIFT))
				tui_put(2 + y, x, r->cell[c], width[c],
				    theme_attr_over(a, r->health ==
				    INV_PH_FAIL ? SLOT_PROBE_FAIL :
				    SLOT_PROBE_DRIFT));
			else if (c == COL_AUDIT && (r->audit == AUDIT_CRITICAL
			    || r->audit == AUDIT_WARNING))
				tui_put(2 + y, x, r->cell[c], width[c],
				    theme_attr_over(a, r->audit ==
				    AUDIT_CRITICAL ? SLOT_CRITICAL :
				    SLOT_WARNING));
			else
				tui_put(2 + y, x, r->cell[c], width[c], a);
			tui_put(2 + y, x + width[c], "", 1, a);
			x += width[c] + 1;
		}
	}
	if (l->n == 0)
		tui_put(2, 1, !list_scanned(l) ? "looking..." :
		    l->filter.len > 0 || l->status >= 0 ?
		    "no entry matches (Esc shows all)" :
		    "the inventory is empty (certdeck import adds certificates)",
		    COLS - 1, theme_attr(SLOT_NONE));

	/* While a first screenful is shown the position counts the whole
	   inventory; while a filter's count goes on, "+" says more may come. */
	snprintf(right, sizeof right, "%s%s%s  sort %s%s  %zu/%zu%s",
	    l->status >= 0 ? "only " : "",
	    l->status >= 0 ? status_name(l->status) : "",
	    l->status >= 0 ? "  " : "",
	    list_sorts[l->sort].name, l->reverse ? " reversed" : "",
	    l->n > 0 ? l->cur + 1 : 0, list_partial(l) ? d->total : l->n,
	    list_scanned(l) ? "" : "+");
	if (l->typing || l->filter.len > 0) {
		char *f = tui_esc(t, l->filter.data ? l->filter.data : "");

		buf_printf(&b, "/%s%s", f, l->typing ? "_" : "");
		free(f);
		if (l->typing)
			t->msg[0] = '\0';
	} else if (l->at != NULL)
		buf_adds(&b, "read-only, as of the commit  / filter  s sort  "
		    "q back");
	else if (list_partial(l) && !l->reading)
		buf_adds(&b, "the whole list could not be read; sort, filter, "
		    "0-4 and G read it again");
	else if (list_partial(l) && l->nqueue > 0)
		buf_printf(&b, "reading the whole list; %zu key%s wait%s for "
		    "it", l->nqueue, l->nqueue == 1 ? "" : "s",
		    l->nqueue == 1 ? "s" : "");
	else if (list_partial(l))
		buf_adds(&b, "reading the whole list; sort, filter, 0-4 and G "
		    "wait for it");
	else
		buf_adds(&b, "? help  Enter details  / filter  p probe  "
		    "L history  q quit");
	tui_status_bar(t, b.data, right);
	buf_free(&b);
}

static void
list_move(struct tui *t, struct view *v, int how)
{
	struct list *l = v->priv;
	size_t page = (size_t)(list_page() > 1 ? list_page() - 1 : 1);

	/* The rows a move lands on (and the screen it shows) are looked
	   at first, if the scan has not come to them yet. */
	if (how == MOVE_LINE)
		list_need(l, l->cur + 2);
	else if (how == MOVE_PAGE)
		list_need(l, l->top + 2 * page + 2);
	else if (how == MOVE_END)
		list_need(l, SIZE_MAX);
	if (l->n == 0)
		return;
	switch (how) {
	case -MOVE_LINE:
		if (l->cur > 0)
			l->cur--;
		break;
	case MOVE_LINE:
		if (l->cur + 1 < l->n)
			l->cur++;
		break;
	case -MOVE_PAGE:
		l->cur = l->cur > page ? l->cur - page : 0;
		if (l->top > page)
			l->top -= page;
		else
			l->top = 0;
		break;
	case MOVE_PAGE:
		l->cur = l->cur + page < l->n ? l->cur + page : l->n - 1;
		l->top += page;
		break;
	case -MOVE_END:
		l->cur = 0;
		break;
	case MOVE_END:
		l->cur = l->n - 1;
		break;
	}
	list_fix_top(l);
}

/*
 * While a first screenful is shown: whether key needs the whole list (a
 * sort, the filter, a status choice, G, a move beyond the rows read), so
 * that it waits for it.
 */
static int
list_waits(struct list *l, struct view *v, int key)
{
	const struct tui_key *k = keys_find(v, key);
	size_t page = (size_t)(list_page() > 1 ? list_page() - 1 : 1);

	if (k == NULL)
		return 0;
	if (k->action == view_list_filter_start ||
	    k->action == view_list_sort_next ||
	    k->action == view_list_sort_reverse ||
	    k->action == view_list_show_status)
		return 1;
	switch (keys_motion(k)) {
	case MOVE_LINE:
		return l->cur + 1 >= l->n;
	case MOVE_PAGE:
		return l->top + 2 * page + 1 >= l->n;
	case MOVE_END:
		return 1;
	}
	return 0;
}

/* While the / prompt is open, it takes every key. While the whole list
   is read, a key that needs it waits, and every key after it. */
static int
list_key(struct tui *t, struct view *v, int key)
{
	struct list *l = v->priv;
	char mb[MB_LEN_MAX + 1];
	mbstate_t ps;
	size_t n;
	int narrow = 0;

	/* Once one key waits every later one does, until they are replayed
	   in order (list_idle), even after the whole list is in. */
	if (l->nqueue > 0 || (list_partial(l) && list_waits(l, v, key))) {
		if (list_partial(l) && !l->reading)	/* the read failed */
			list_read_start(t, l, 0);
		if (l->nqueue == l->qcap) {
			l->qcap = l->qcap ? l->qcap * 2 : 16;
			l->queue = xreallocarray(l->queue, l->qcap,
			    sizeof *l->queue);
		}
		l->queue[l->nqueue++] = key;
		return 1;
	}
	if (!l->typing)
		return 0;
	switch (key) {
	case 27:	/* Esc */
		l->typing = 0;
		buf_reset(&l->filter);
		break;
	case '\r':
		l->typing = 0;
		return 1;
	case KEY_BACKSPACE:
		if (l->filter.len == 0) {
			l->typing = 0;
			return 1;
		}
		/* Drop one whole UTF-8 character. */
		do
			l->filter.len--;
		while (l->filter.len > 0 &&
		    ((unsigned char)l->filter.data[l->filter.len] & 0xc0) ==
		    0x80);
		l->filter.data[l->filter.len] = '\0';
		break;
	case KEY_UP:
	case KEY_DOWN:
	case KEY_PPAGE:
	case KEY_NPAGE:
		/* Moving keeps the filter and closes the prompt. */
		l->typing = 0;
		return 0;
	default:
		if (key >= 0x10000)
			key -= 0x10000;
		else if (key < 0x20 || key >= KEY_MIN)
			return 1;
		memset(&ps, 0, sizeof ps);
		n = wcrtomb(mb, (wchar_t)key, &ps);
		if (n == (size_t)-1 || l->filter.len + n > 256)
			return 1;
		/* Typing on: only the rows shown can still match. */
		narrow = l->filter.len > 0;
		buf_add(&l->filter, mb, n);
		break;
	}
	list_view(l, list_cur_row(l), 0, narrow);
	return 1;
}

/*
 * The main loop's idle time: the keys that waited for the whole list, once
 * it is in, as if typed now; then a slice of the filter's scan, drawn when
 * it brought rows onto the screen or finished the count.
 */
static int
list_idle(struct tui *t, struct view *v)
{
	struct list *l = v->priv;
	size_t i, nq, shown, page = (size_t)list_page();
	int *q;

	if (l->nqueue > 0 && !list_partial(l)) {
		q = l->queue;
		nq = l->nqueue;
		l->queue = NULL;
		l->nqueue = l->qcap = 0;
		/* A key may push a view: the rest go to it, as typed. */
		for (i = 0; i < nq && t->running; i++)
			tui_key(t, q[i]);
		free(q);
		return TUI_IDLE_MORE | TUI_IDLE_DRAW;
	}
	if (list_scanned(l))
		return TUI_IDLE_NONE;
	shown = l->n;
	list_scan(l, SIZE_MAX, LIST_SLICE_MS);
	if (list_scanned(l) || (shown < l->top + page && l->n > shown))
		return (list_scanned(l) ? 0 : TUI_IDLE_MORE) | TUI_IDLE_DRAW;
	return TUI_IDLE_MORE;
}

void
view_list_open(struct tui *t, struct view *v, int arg)
{
	struct list *l = v->priv;
	void *d;

	if (l->n == 0)
		return;
	if (l->at != NULL) {
		/* The detail view reads HEAD's index: not this past. */
		tui_message(t, "details are of the present inventory only "
		    "(q goes back)");
		return;
	}
	d = view_detail_new(t, list_at(l, l->cur)->name);
	if (d != NULL)
		tui_push(t, &view_detail_ops, d);
}

void
view_list_filter_start(struct tui *t, struct view *v, int arg)
{
	struct list *l = v->priv;

	/* The filter typed before stays, to be edited. */
	l->typing = 1;
}

void
view_list_filter_clear(struct tui *t, struct view *v, int arg)
{
	struct list *l = v->priv;

	buf_reset(&l->filter);
	l->status = -1;
	list_view(l, list_cur_row(l), 0, 0);
}

void
view_list_sort_next(struct tui *t, struct view *v, int arg)
{
	struct list *l = v->priv;

	l->sort = (l->sort + 1) % (int)nitems(list_sorts);
	list_view(l, list_cur_row(l), 0, 0);
	tui_message(t, "sorted by %s", list_sorts[l->sort].name);
}

void
view_list_sort_reverse(struct tui *t, struct view *v, int arg)
{
	struct list *l = v->priv;

	l->reverse = !l->reverse;
	list_view(l, list_cur_row(l), 0, 0);
	tui_message(t, "sorted by %s%s", list_sorts[l->sort].name,
	    l->reverse ? ", reversed" : "");
}

void
view_list_show_status(struct tui *t, struct view *v, int status)
{
	struct list *l = v->priv;

	l->status = status;
	list_view(l, list_cur_row(l), 0, 0);
}

void
view_list_history(struct tui *t, struct view *v, int arg)
{
	tui_push(t, &view_history_ops, view_history_new(t));
}

const struct view_ops view_list_ops = {
	.id = VIEW_LIST,
	.title = "list",
	.leave = list_leave,
	.draw = list_draw,
	.key = list_key,
	.motion = list_move,
	.reload = list_reload,
	.probe_landed = list_probe_landed,
	.idle = list_idle,
};
