/*
 * view_list.c: the list view, every entry of the inventory sorted by days
 * left, one line each, coloured by status slot and marked with a status
 * glyph and word so it reads without colour. The rows come from inv_list,
 * the call `certdeck list` makes; a list of the past (from the history's
 * t) is inv_list with at, as `certdeck list --at` is, and read-only.
 *
 * Sorting, filtering and the status choice happen here, in memory, on the
 * rows read once (list_order, list_match), with idx_list's rules: the
 * same sort keys (NOCASE: ASCII case folded), rows without the key last
 * either way, then the name; the filter an ASCII case-insensitive
 * substring of name, subject, SANs, issuer, owner or tags. Asking SQLite
 * again cost a whole read of the inventory per key (about 1.7 s at
 * 100,000 entries); tests/e2e/tui.sh checks the orders against `certdeck
 * list --sort`.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "audit.h"
#include "clock.h"
#include "escape.h"
#include "inventory.h"
#include "probe.h"
#include "view.h"

enum col { COL_STATUS, COL_DAYS, COL_NAME, COL_PROBE, COL_AUDIT,
	COL_SUBJECT, COL_ISSUER, COL_NOTAFTER, COL_OWNER, COL_TAGS, COL_COUNT };

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

struct list {
	struct list_row	*rows;		/* every row read, in expiry order */
	size_t		 nall, cap;
	size_t		*perm[nitems(list_sorts)];	/* rows in each sort's
					   order, keyed rows first (nkey) */
	size_t		 nkey[nitems(list_sorts)];
	size_t		*vis;		/* the rows shown, in order */
	size_t		 n;		/* how many */
	size_t		 cur, top;	/* in vis */
	size_t		 counts[ST_COUNT];	/* whole inventory */
	size_t		 total;
	int		 colw[COL_COUNT];	/* widest cell of each column,
						   measured as rows load */
	char		 head[12];
	struct buf	 filter;	/* raw text typed */
	int		 typing;	/* the / prompt is open */
	int		 sort;		/* index into list_sorts */
	int		 reverse;
	int		 status;	/* -1 = all */
	char		*at;		/* commit of a list of the past, or NULL */
	char		*label;		/* its banner, escaped */
	/* The last sweep's findings at the HEAD the counts were read at
	   (read again only when HEAD moves, not per keystroke of /). */
	struct audit_finding *findings;
	size_t		 nfindings;
	struct list_mark *marks;	/* sorted by entry, into findings */
	size_t		 nmarks;
};

static void
list_rows_free(struct list *l)
{
	size_t i, e;
	int c;

	for (i = 0; i < l->nall; i++) {
		free(l->rows[i].name);
		for (c = 0; c < COL_COUNT; c++)
			free(l->rows[i].cell[c]);
		free(l->rows[i].hay);
		free(l->rows[i].owner);
		free(l->rows[i].subject_cn);
		free(l->rows[i].issuer_cn);
		for (e = 0; e < l->rows[i].neps; e++)
			free(l->rows[i].eps[e].endpoint);
		free(l->rows[i].eps);
		free(l->rows[i].renewal);
	}
	l->nall = 0;
	l->n = 0;
	for (c = 0; c < (int)nitems(l->perm); c++) {
		free(l->perm[c]);
		l->perm[c] = NULL;
	}
	free(l->vis);
	l->vis = NULL;
}

/* The row shown at position i. */
static struct list_row *
list_at(struct list *l, size_t i)
{
	return &l->rows[l->vis[i]];
}

struct list_load {
	struct tui	*t;
	struct list	*l;
	struct strv	 rnames;	/* entries with a renewal state */
	struct strv	 rstates;
};

/* Widen column c to cell s if it is wider. Once per cell as it is made,
   never per draw: a draw costs the rows on screen, not the inventory. An
   escaped cell is never wider than its bytes, so most cells cost a
   strlen. */
static void
list_colw(struct list *l, int c, const char *s)
{
	if (s != NULL && strlen(s) > (size_t)l->colw[c]) {
		int w = esc_width(s);

		if (w > l->colw[c])
			l->colw[c] = w;
	}
}

/* The PROBE cell: the worst endpoint's glyph and word ("fail" is the
   failure's kind), and how many endpoints when there are several. */
static void
list_probe_cell(struct tui *t, struct list *l, struct list_row *lr)
{
	const struct inv_probe_last *worst = NULL;
	const char *word;
	char buf[64];
	size_t i;

	for (i = 0; i < lr->neps; i++)
		if (worst == NULL || lr->eps[i].last.health > worst->health)
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
		lr->cell[COL_PROBE] = tui_esc(t, buf);
		lr->health = INV_PH_FAIL;
		list_colw(l, COL_PROBE, lr->cell[COL_PROBE]);
		return;
	}
	if (worst == NULL) {
		lr->cell[COL_PROBE] = xstrdup("");
		return;
	}
	if (worst->health == INV_PH_NONE) {
		lr->cell[COL_PROBE] = xstrdup("-");
		return;
	}
	word = inv_probe_health_name(worst->health);
	if (worst->health == INV_PH_WARN && *worst->problem != '\0')
		word = worst->problem;
	if (lr->neps > 1)
		snprintf(buf, sizeof buf, "%s %s %zu", tui_probe_glyph(t,
		    (int)worst->health), word, lr->neps);
	else
		snprintf(buf, sizeof buf, "%s %s", tui_probe_glyph(t,
		    (int)worst->health), word);
	lr->cell[COL_PROBE] = tui_esc(t, buf);
	list_colw(l, COL_PROBE, lr->cell[COL_PROBE]);
}

/* The row's endpoints and their last probes, from the index (once per
   load, not per draw). */
static void
list_probe_load(struct tui *t, struct list *l, struct list_row *lr,
    const char *endpoints)
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
		if (inv_probe_last(t->inv, lr->name, text,
		    &lr->eps[lr->neps].last, &err) < 0) {
			free(err);
			err = NULL;
		}
		lr->neps++;
	}
	strv_free(&v);
	list_probe_cell(t, l, lr);
}

static void
list_probe_landed(struct tui *t, struct view *v, const char *entry,
    const char *endpoint, const struct inv_probe_last *last)
{
	struct list *l = v->priv;
	struct list_row *lr;
	size_t i, e;

	if (l->at != NULL || entry == NULL)
		return;
	for (i = 0; i < l->nall; i++) {
		lr = &l->rows[i];
		if (strcmp(lr->name, entry) != 0)
			continue;
		for (e = 0; e < lr->neps; e++)
			if (strcmp(lr->eps[e].endpoint, endpoint) == 0 &&
			    last->health != INV_PH_NONE)
				lr->eps[e].last = *last;
		list_probe_cell(t, l, lr);
	}
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
list_audit_cell(struct list *l, struct list_row *lr)
{
	const struct list_mark *m = NULL;

	lr->audit = AUDIT_OFF;
	if (l->nmarks > 0)
		m = bsearch(lr->name, l->marks, l->nmarks, sizeof *l->marks,
		    mark_cmp);
	if (m == NULL) {
		lr->cell[COL_AUDIT] = xstrdup("");
		return;
	}
	lr->audit = m->worst;
	lr->cell[COL_AUDIT] = xstrdup(m->worst <= AUDIT_WARNING ? "!" : "+");
}

static void
list_marks_free(struct list *l)
{
	audit_findings_free(l->findings, l->nfindings);
	free(l->marks);
	l->findings = NULL;
	l->nfindings = 0;
	l->marks = NULL;
	l->nmarks = 0;
}

/* The marks of the last sweep, from audit/findings at HEAD (sorted by
   entry, so one pass groups them). Info findings do not mark an entry. */
static void
list_marks_load(struct tui *t, struct list *l)
{
	char *err = NULL;
	size_t i;

	list_marks_free(l);
	if (l->at != NULL || audit_findings_read(t->inv, &l->findings,
	    &l->nfindings, &err) != 0) {
		free(err);
		return;
	}
	l->marks = xcalloc(l->nfindings + 1, sizeof *l->marks);
	for (i = 0; i < l->nfindings; i++) {
		struct audit_finding *x = &l->findings[i];
		struct list_mark *m;

		if (x->sev == AUDIT_INFO)
			continue;
		m = l->nmarks > 0 ? &l->marks[l->nmarks - 1] : NULL;
		if (m == NULL || strcmp(m->entry, x->entry) != 0) {
			m = &l->marks[l->nmarks++];
			m->entry = x->entry;
			m->worst = x->sev;
		}
		if ((int)x->sev < m->worst)
			m->worst = x->sev;
	}
}

static int
list_load_row(void *arg, const struct inv_row *row)
{
	struct list_load *ld = arg;
	struct list *l = ld->l;
	struct tui *t = ld->t;
	const struct idx_row *r = row->r;
	struct list_row *lr;
	char buf[64], date[16];
	int c;
	size_t i;

	if (l->nall == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->rows = xreallocarray(l->rows, l->cap, sizeof *l->rows);
	}
	lr = &l->rows[l->nall++];
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
	snprintf(buf, sizeof buf, "%s %s", tui_status_glyph(t, row->status),
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
	lr->cell[COL_NAME] = tui_esc(t, r->entry->name);
	lr->cell[COL_SUBJECT] = tui_esc(t, r->leaf ? r->leaf->subject_cn : "");
	lr->cell[COL_ISSUER] = tui_esc(t, r->leaf ? r->leaf->issuer_cn : "");
	lr->cell[COL_OWNER] = tui_esc(t, r->entry->owner);
	lr->cell[COL_TAGS] = tui_esc(t, r->entry->tags);
	/* A list of the past shows what it can: probes are of now. */
	if (l->at == NULL) {
		for (i = 0; i < ld->rnames.n && lr->renewal == NULL; i++)
			if (strcmp(ld->rnames.v[i], lr->name) == 0)
				lr->renewal = xstrdup(ld->rstates.v[i]);
		list_probe_load(t, l, lr, r->entry->endpoints);
	} else
		lr->cell[COL_PROBE] = xstrdup("");
	list_audit_cell(l, lr);
	for (c = 0; c < COL_COUNT; c++)
		if (c != COL_PROBE)
			list_colw(l, c, lr->cell[c]);
	/* The rows are the whole inventory: count them as they come. */
	if (row->status >= 0 && row->status < ST_COUNT)
		l->counts[row->status]++;
	l->total++;
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
	const struct list	*l;
	int			 s;		/* index into list_sorts */
};

/* Rows i and j in sort s's ascending order (idx_list's ORDER BY: the
   key, rows without it last, then the name). */
static int
list_order(const void *pa, const void *pb, void *arg)
{
	const struct list *l = ((const struct list_sortarg *)arg)->l;
	int s = ((const struct list_sortarg *)arg)->s;
	const struct list_row *a = &l->rows[*(const size_t *)pa];
	const struct list_row *b = &l->rows[*(const size_t *)pb];
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
   only walks one (forwards or, reversed, each part backwards). */
static void
list_perms(struct list *l)
{
	struct list_sortarg arg;
	size_t i;
	int s;

	for (s = 0; s < (int)nitems(list_sorts); s++) {
		l->perm[s] = xreallocarray(NULL, l->nall ? l->nall : 1,
		    sizeof *l->perm[s]);
		for (i = 0; i < l->nall; i++)
			l->perm[s][i] = i;
		/* The rows come in expiry order already. */
		arg.l = l;
		arg.s = s;
		if (list_sorts[s].sort != IDX_SORT_EXPIRY)
			qsort_r(l->perm[s], l->nall, sizeof *l->perm[s],
			    list_order, &arg);
		l->nkey[s] = 0;
		for (i = 0; i < l->nall; i++)
			if (list_has_key(&l->rows[i], s))
				l->nkey[s]++;
	}
}

/* The filter, as LIKE '%text%' ESCAPE: an ASCII case-insensitive
   substring of one of the fields (pat folded already, plen > 0). */
static int
list_match(const struct list_row *r, const char *pat, size_t plen)
{
	const unsigned char *h = (const unsigned char *)r->hay;
	unsigned char c0 = (unsigned char)pat[0];
	unsigned char c1 = (unsigned char)pat[1];	/* '\0' if plen 1 */

	/* One pass, no call per candidate: most candidates fail at the
	   first or second byte (strncmp, not memcmp: h may be shorter). */
	for (; *h != '\0'; h++)
		if (*h == c0 && (plen == 1 || h[1] == c1) &&
		    strncmp((const char *)h, pat, plen) == 0)
			return 1;
	return 0;
}

/* The rows shown: sort order, direction, status choice and filter over
   the rows read. The cursor stays on its row when it is still shown,
   else goes to the top (or, with keep_pos, stays on its line). narrow:
   only the filter changed, by growing at its end, so only the rows shown
   can still match; they are filtered where they are. */
static void
list_view(struct list *l, size_t keep, int keep_pos, int narrow)
{
	const size_t *p = l->perm[l->sort];
	size_t i, k, nk = l->nkey[l->sort], old = l->cur, plen = l->filter.len;
	size_t nvis = l->n;
	char *pat = NULL, *c;
	int found = 0;

	if (l->filter.len > 0) {
		pat = xstrdup(l->filter.data);
		for (c = pat; *c != '\0'; c++)
			*c = (char)list_fold((unsigned char)*c);
	}
	if (!narrow || l->vis == NULL || pat == NULL)
		nvis = l->nall, narrow = 0;
	if (l->vis == NULL)
		l->vis = xreallocarray(NULL, l->nall ? l->nall : 1,
		    sizeof *l->vis);
	l->n = 0;
	for (i = 0; i < nvis; i++) {
		/* Reversed: the keyed part backwards, then the rest. */
		k = narrow ? l->vis[i] : !l->reverse ? p[i] : i < nk ?
		    p[nk - 1 - i] : p[l->nall - 1 - (i - nk)];
		if (!narrow && l->status >= 0 && l->rows[k].status != l->status)
			continue;
		if (pat != NULL && !list_match(&l->rows[k], pat, plen))
			continue;
		if (k == keep) {
			l->cur = l->n;
			found = 1;
		}
		l->vis[l->n++] = k;
	}
	if (!found)
		l->cur = keep_pos && l->n > 0 ? (old < l->n ? old : l->n - 1) :
		    0;
	free(pat);
}

/* The row under the cursor, as an index into rows (SIZE_MAX: none). */
static size_t
list_cur_row(const struct list *l)
{
	return l->cur < l->n ? l->vis[l->cur] : SIZE_MAX;
}

static void list_counts(struct tui *, struct list *);

/* Read every row again, then show them as chosen; the cursor stays on the
   same entry when it is still listed, else (with keep_pos, after the entry
   went) on the same line. The header's counts come from the same pass. */
static void
list_load(struct tui *t, struct list *l, int keep_pos)
{
	struct inv_list_opts o;
	struct list_load ld;
	char *keep = NULL, *err = NULL;
	size_t i, found = SIZE_MAX;
	int c;

	memset(&ld, 0, sizeof ld);
	ld.t = t;
	ld.l = l;
	if (l->cur < l->n)
		keep = xstrdup(list_at(l, l->cur)->name);
	list_rows_free(l);
	for (c = 0; c < COL_COUNT; c++)
		l->colw[c] = 0;
	list_counts(t, l);
	memset(&o, 0, sizeof o);
	o.expiring_days = -1;
	o.sort = IDX_SORT_EXPIRY;
	o.at = l->at;
	strv_init(&ld.rnames);
	strv_init(&ld.rstates);
	if (l->at == NULL)
		inv_renew_states(t->inv, &ld.rnames, &ld.rstates, NULL);
	if (inv_list(t->inv, &o, list_load_row, &ld, &err) != 0) {
		tui_message(t, "%s", err);
		free(err);
	}
	strv_free(&ld.rnames);
	strv_free(&ld.rstates);
	list_perms(l);
	for (i = 0; keep != NULL && i < l->nall; i++)
		if (strcmp(l->rows[i].name, keep) == 0)
			found = i;
	list_view(l, found, keep != NULL && keep_pos, 0);
	free(keep);
}

/* The counts of the header line, zeroed (list_load_row counts), and the
   HEAD it names. */
static void
list_counts(struct tui *t, struct list *l)
{
	char *err = NULL, head[41];

	memset(l->counts, 0, sizeof l->counts);
	l->total = 0;
	list_marks_load(t, l);
	if (l->at != NULL)
		snprintf(l->head, sizeof l->head, "%.7s", l->at);
	else if (idx_get_head(t->inv->idx, head, &err) == 0)
		snprintf(l->head, sizeof l->head, "%.7s", *head ? head : "none");
	else {
		free(err);
		strcpy(l->head, "?");
	}
}

void *
view_list_new_at(struct tui *t, const char *commit, const char *label)
{
	struct list *l = xcalloc(1, sizeof *l);

	buf_init(&l->filter);
	l->status = -1;
	if (commit != NULL) {
		l->at = xstrdup(commit);
		l->label = tui_esc(t, label != NULL ? label : commit);
	}
	list_load(t, l, 0);
	return l;
}

void *
view_list_new(struct tui *t)
{
	return view_list_new_at(t, NULL, NULL);
}

/* HEAD moved: a list of the present follows it; one of the past stays. */
static void
list_reload(struct tui *t, struct view *v)
{
	struct list *l = v->priv;

	if (l->at != NULL)
		return;
	list_load(t, l, 1);
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

static void
list_leave(struct tui *t, struct view *v)
{
	struct list *l = v->priv;

	list_rows_free(l);
	free(l->rows);
	list_marks_free(l);
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
	if (l->top + page > l->n)
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
		if (l->colw[c] > want[c])
			want[c] = l->colw[c];
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
	int width[COL_COUNT], c, x, y, page;
	attr_t a;
	struct buf b;
	char right[96];

	list_fix_top(l);
	buf_init(&b);
	/* Counts first: a long path is what gets cut. */
	if (l->at != NULL)
		buf_printf(&b, "AS OF %s, read-only  ", l->label);
	buf_printf(&b, "certdeck  %zu entries:", l->total);
	for (c = 0; c < ST_COUNT; c++)
		if (c != ST_NONE || l->counts[c] > 0)
			buf_printf(&b, " %zu %s", l->counts[c], status_name(c));
	buf_printf(&b, "  %s %s", l->at != NULL ? "at" : "HEAD", l->head);
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
		tui_put(2, 1, l->filter.len > 0 || l->status >= 0 ?
		    "no entry matches (Esc shows all)" :
		    "the inventory is empty (certdeck import adds certificates)",
		    COLS - 1, theme_attr(SLOT_NONE));

	snprintf(right, sizeof right, "%s%s%s  sort %s%s  %zu/%zu",
	    l->status >= 0 ? "only " : "",
	    l->status >= 0 ? status_name(l->status) : "",
	    l->status >= 0 ? "  " : "",
	    list_sorts[l->sort].name, l->reverse ? " reversed" : "",
	    l->n > 0 ? l->cur + 1 : 0, l->n);
	if (l->typing || l->filter.len > 0) {
		char *f = tui_esc(t, l->filter.data ? l->filter.data : "");

		buf_printf(&b, "/%s%s", f, l->typing ? "_" : "");
		free(f);
		if (l->typing)
			t->msg[0] = '\0';
	} else if (l->at != NULL)
		buf_adds(&b, "read-only, as of the commit  / filter  s sort  "
		    "q back");
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

/* While the / prompt is open, it takes every key. */
static int
list_key(struct tui *t, struct view *v, int key)
{
	struct list *l = v->priv;
	char mb[MB_LEN_MAX + 1];
	mbstate_t ps;
	size_t n;
	int narrow = 0;

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
};
