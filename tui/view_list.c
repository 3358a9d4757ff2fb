/*
 * view_list.c: the list view, every entry of the inventory sorted by days
 * left, one line each, coloured by status slot and marked with a status
 * glyph and word so it reads without colour. Filtering, sorting and the
 * status choice are passed to inv_list, the same call `certdeck list` makes;
 * a list of the past (from the history's t) is inv_list with at, as
 * `certdeck list --at` is, and read-only.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "clock.h"
#include "escape.h"
#include "inventory.h"
#include "probe.h"
#include "view.h"

enum col { COL_STATUS, COL_DAYS, COL_NAME, COL_PROBE, COL_SUBJECT,
	COL_ISSUER, COL_NOTAFTER, COL_OWNER, COL_TAGS, COL_COUNT };

/* An endpoint of a row and its last probe. */
struct list_ep {
	char			*endpoint;	/* canonical text */
	struct inv_probe_last	 last;
};

/* One row, its text escaped once when loaded. */
struct list_row {
	char		*name;		/* raw, for the detail view */
	char		*cell[COL_COUNT];	/* escaped, by enum col */
	int		 status;
	struct list_ep	*eps;
	size_t		 neps;
	int		 health;	/* the worst of eps */
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
	struct list_row	*rows;
	size_t		 n, cap;
	size_t		 cur, top;
	size_t		 counts[ST_COUNT];	/* whole inventory */
	size_t		 total;
	char		 head[12];
	struct buf	 filter;	/* raw text typed */
	int		 typing;	/* the / prompt is open */
	int		 sort;		/* index into list_sorts */
	int		 reverse;
	int		 status;	/* -1 = all */
	char		*at;		/* commit of a list of the past, or NULL */
	char		*label;		/* its banner, escaped */
};

static void
list_rows_free(struct list *l)
{
	size_t i, e;
	int c;

	for (i = 0; i < l->n; i++) {
		free(l->rows[i].name);
		for (c = 0; c < COL_COUNT; c++)
			free(l->rows[i].cell[c]);
		for (e = 0; e < l->rows[i].neps; e++)
			free(l->rows[i].eps[e].endpoint);
		free(l->rows[i].eps);
	}
	l->n = 0;
}

struct list_load {
	struct tui	*t;
	struct list	*l;
};

/* The PROBE cell: the worst endpoint's glyph and word ("fail" is the
   failure's kind), and how many endpoints when there are several. */
static void
list_probe_cell(struct tui *t, struct list_row *lr)
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
}

/* The row's endpoints and their last probes, from the index (once per
   load, not per draw). */
static void
list_probe_load(struct tui *t, struct list_row *lr, const char *endpoints)
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
	list_probe_cell(t, lr);
}

void
view_list_probe_landed(struct tui *t, struct view *v, const char *entry,
    const char *endpoint, const struct inv_probe_last *last)
{
	struct list *l = v->priv;
	struct list_row *lr;
	size_t i, e;

	if (l->at != NULL || entry == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		lr = &l->rows[i];
		if (strcmp(lr->name, entry) != 0)
			continue;
		for (e = 0; e < lr->neps; e++)
			if (strcmp(lr->eps[e].endpoint, endpoint) == 0 &&
			    last->health != INV_PH_NONE)
				lr->eps[e].last = *last;
		list_probe_cell(t, lr);
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

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->rows = xreallocarray(l->rows, l->cap, sizeof *l->rows);
	}
	lr = &l->rows[l->n++];
	memset(lr, 0, sizeof *lr);
	lr->name = xstrdup(r->entry->name);
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
	if (l->at == NULL)
		list_probe_load(t, lr, r->entry->endpoints);
	else
		lr->cell[COL_PROBE] = xstrdup("");
	return 0;
}

static int
list_count_row(void *arg, const struct inv_row *row)
{
	struct list *l = arg;

	if (row->status >= 0 && row->status < ST_COUNT)
		l->counts[row->status]++;
	l->total++;
	return 0;
}

/* Read the rows again with the current filter, sort and status choice;
   the cursor stays on the same entry when it is still listed, else (with
   keep_pos, after the entry went) on the same line. */
static void
list_load(struct tui *t, struct list *l, int keep_pos)
{
	struct inv_list_opts o;
	struct list_load ld = { t, l };
	char *keep = NULL, *err = NULL;
	size_t i, old = l->cur;
	int found = 0;

	if (l->cur < l->n)
		keep = xstrdup(l->rows[l->cur].name);
	list_rows_free(l);
	memset(&o, 0, sizeof o);
	o.expiring_days = -1;
	o.filter = l->filter.len > 0 ? l->filter.data : NULL;
	o.sort = list_sorts[l->sort].sort;
	o.reverse = l->reverse;
	o.status_mask = l->status >= 0 ? 1 << l->status : 0;
	o.at = l->at;
	if (inv_list(t->inv, &o, list_load_row, &ld, &err) != 0) {
		tui_message(t, "%s", err);
		free(err);
	}
	l->cur = 0;
	for (i = 0; keep != NULL && i < l->n; i++)
		if (strcmp(l->rows[i].name, keep) == 0) {
			l->cur = i;
			found = 1;
		}
	if (keep != NULL && !found && keep_pos && l->n > 0)
		l->cur = old < l->n ? old : l->n - 1;
	free(keep);
}

/* The counts of the header line and the HEAD it names. */
static void
list_counts(struct tui *t, struct list *l)
{
	struct inv_list_opts o;
	char *err = NULL, head[41];

	memset(l->counts, 0, sizeof l->counts);
	l->total = 0;
	memset(&o, 0, sizeof o);
	o.expiring_days = -1;
	o.at = l->at;
	if (inv_list(t->inv, &o, list_count_row, l, &err) != 0) {
		tui_message(t, "%s", err);
		free(err);
		err = NULL;
	}
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
	list_counts(t, l);
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
	list_counts(t, l);
	list_load(t, l, 1);
}

const char *
view_list_current(struct view *v)
{
	struct list *l = v->priv;

	return l->cur < l->n ? l->rows[l->cur].name : NULL;
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
	size_t i;

	for (c = 0; c < COL_COUNT; c++) {
		want[c] = esc_width(list_cols[c].title);
		for (i = 0; i < l->n; i++) {
			int w = esc_width(l->rows[i].cell[c]);

			if (w > want[c])
				want[c] = w;
		}
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
		struct list_row *r = &l->rows[l->top + (size_t)y];
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
		buf_add(&l->filter, mb, n);
		break;
	}
	list_load(t, l, 0);
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
	d = view_detail_new(t, l->rows[l->cur].name);
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
	list_load(t, l, 0);
}

void
view_list_sort_next(struct tui *t, struct view *v, int arg)
{
	struct list *l = v->priv;

	l->sort = (l->sort + 1) % (int)nitems(list_sorts);
	list_load(t, l, 0);
	tui_message(t, "sorted by %s", list_sorts[l->sort].name);
}

void
view_list_sort_reverse(struct tui *t, struct view *v, int arg)
{
	struct list *l = v->priv;

	l->reverse = !l->reverse;
	list_load(t, l, 0);
	tui_message(t, "sorted by %s%s", list_sorts[l->sort].name,
	    l->reverse ? ", reversed" : "");
}

void
view_list_show_status(struct tui *t, struct view *v, int status)
{
	struct list *l = v->priv;

	l->status = status;
	list_load(t, l, 0);
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
};
