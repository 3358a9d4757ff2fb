/*
 * view_history.c: the history of the whole inventory, newest first, one
 * commit a line as tig's main view shows it: date, author, action, the
 * entries it changed, subject. Read with inv_log, the call `certdeck log`
 * makes; Enter shows the commit's diff, t the list as of that commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "escape.h"
#include "inventory.h"
#include "view.h"

enum hcol { HC_DATE, HC_AUTHOR, HC_ACTION, HC_ENTRIES, HC_SUBJECT,
	HC_COUNT };

static const struct {
	const char	*title;
	int		 min, max;
} hist_cols[HC_COUNT] = {
	{ "DATE", 16, 16 },
	{ "AUTHOR", 6, 20 },
	{ "ACTION", 6, 9 },
	{ "ENTRIES", 7, 24 },
	{ "SUBJECT", 20, 1000 },
};

/* One commit: escaped cells for drawing, raw fields for the diff view. */
struct hist_row {
	char		 id[REPO_OID_HEX];
	int64_t		 time;
	char		*author, *email, *subject, *body;	/* raw */
	char		*cell[HC_COUNT];			/* escaped */
};

struct history {
	struct hist_row	*rows;
	size_t		 n, cap, cur, top;
};

struct hist_load {
	struct tui	*t;
	struct history	*h;
};

static int
hist_row(void *arg, const struct inv_commit *c)
{
	struct hist_load *ld = arg;
	struct history *h = ld->h;
	struct hist_row *r;
	char date[32], *ent;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->rows = xreallocarray(h->rows, h->cap, sizeof *h->rows);
	}
	r = &h->rows[h->n++];
	memset(r, 0, sizeof *r);
	snprintf(r->id, sizeof r->id, "%s", c->c->id);
	r->time = c->c->time;
	r->author = xstrdup(c->c->author_name ? c->c->author_name : "");
	r->email = xstrdup(c->c->author_email ? c->c->author_email : "");
	r->subject = xstrdup(c->c->subject ? c->c->subject : "");
	r->body = xstrdup(c->c->body ? c->c->body : "");
	/* "YYYY-MM-DD HH:MM", UTC, as certdeck log prints it. */
	clock_format(c->c->time, date);
	date[10] = ' ';
	date[16] = '\0';
	r->cell[HC_DATE] = xstrdup(date);
	r->cell[HC_AUTHOR] = tui_esc(ld->t, r->author);
	r->cell[HC_ACTION] = tui_esc(ld->t, c->action);
	ent = strv_join(&c->entries, ",");
	r->cell[HC_ENTRIES] = tui_esc(ld->t, *ent ? ent : "-");
	free(ent);
	r->cell[HC_SUBJECT] = tui_esc(ld->t, r->subject);
	return 0;
}

static void
hist_rows_free(struct history *h)
{
	size_t i;
	int c;

	for (i = 0; i < h->n; i++) {
		free(h->rows[i].author);
		free(h->rows[i].email);
		free(h->rows[i].subject);
		free(h->rows[i].body);
		for (c = 0; c < HC_COUNT; c++)
			free(h->rows[i].cell[c]);
	}
	h->n = 0;
}

/* Read the history again; the cursor stays on its commit if it is there. */
static void
hist_load(struct tui *t, struct history *h)
{
	struct hist_load ld = { t, h };
	char keep[REPO_OID_HEX] = "", *err = NULL;
	size_t i;

	if (h->cur < h->n)
		memcpy(keep, h->rows[h->cur].id, sizeof keep);
	hist_rows_free(h);
	if (inv_log(t->inv, NULL, 0, hist_row, &ld, &err) != 0) {
		tui_message(t, "%s", err);
		free(err);
	}
	h->cur = 0;
	for (i = 0; *keep && i < h->n; i++)
		if (strcmp(h->rows[i].id, keep) == 0) {
			h->cur = i;
			break;
		}
}

void *
view_history_new(struct tui *t)
{
	struct history *h = xcalloc(1, sizeof *h);

	hist_load(t, h);
	return h;
}

static void
hist_reload(struct tui *t, struct view *v)
{
	hist_load(t, v->priv);
}

static void
hist_leave(struct tui *t, struct view *v)
{
	struct history *h = v->priv;

	hist_rows_free(h);
	free(h->rows);
	free(h);
}

static int
hist_page(void)
{
	return tui_body_rows(2);
}

static void
hist_fix_top(struct history *h)
{
	size_t page = (size_t)(hist_page() > 0 ? hist_page() : 1);

	if (h->n == 0) {
		h->cur = h->top = 0;
		return;
	}
	if (h->cur >= h->n)
		h->cur = h->n - 1;
	if (h->cur < h->top)
		h->top = h->cur;
	if (h->cur >= h->top + page)
		h->top = h->cur - page + 1;
}

/* Widths: widest content within limits; the subject gets what is left,
   taken from the entries and author columns while it has too little. */
static void
hist_layout(struct history *h, int w[HC_COUNT])
{
	size_t i;
	int c, used;

	for (c = 0; c < HC_SUBJECT; c++) {
		w[c] = esc_width(hist_cols[c].title);
		for (i = 0; i < h->n; i++) {
			int cw = esc_width(h->rows[i].cell[c]);

			if (cw > w[c])
				w[c] = cw;
		}
		if (w[c] < hist_cols[c].min)
			w[c] = hist_cols[c].min;
		if (w[c] > hist_cols[c].max)
			w[c] = hist_cols[c].max;
	}
	for (;;) {
		used = 1;
		for (c = 0; c < HC_SUBJECT; c++)
			used += w[c] + 1;
		w[HC_SUBJECT] = COLS - used;
		if (w[HC_SUBJECT] >= 40)
			break;
		c = w[HC_ENTRIES] >= w[HC_AUTHOR] ? HC_ENTRIES : HC_AUTHOR;
		if (w[c] <= hist_cols[c].min) {
			c = c == HC_ENTRIES ? HC_AUTHOR : HC_ENTRIES;
			if (w[c] <= hist_cols[c].min)
				break;
		}
		w[c]--;
	}
}

static void
hist_draw(struct tui *t, struct view *v)
{
	struct history *h = v->priv;
	int w[HC_COUNT], c, x, y, page = hist_page();
	char right[64], *title;
	attr_t a;

	hist_fix_top(h);
	title = xasprintf("certdeck  history: %zu commit%s  %s", h->n,
	    h->n == 1 ? "" : "s", t->dir_esc);
	tui_put(0, 0, title, COLS, theme_attr(SLOT_TITLE));
	free(title);
	hist_layout(h, w);
	tui_fill(1, theme_attr(SLOT_HEADER));
	for (c = 0, x = 1; c < HC_COUNT; c++) {
		tui_put(1, x, hist_cols[c].title, w[c], theme_attr(SLOT_HEADER));
		x += w[c] + 1;
	}
	for (y = 0; y < page && h->top + (size_t)y < h->n; y++) {
		struct hist_row *r = &h->rows[h->top + (size_t)y];
		int is_cur = h->top + (size_t)y == h->cur;

		a = is_cur ? theme_attr(SLOT_CURSOR) : A_NORMAL;
		tui_put(2 + y, 0, is_cur ? ">" : " ", 1, a);
		for (c = 0, x = 1; c < HC_COUNT; c++) {
			tui_put(2 + y, x, r->cell[c], w[c], a);
			if (x + w[c] < COLS)
				tui_put(2 + y, x + w[c], "", 1, a);
			x += w[c] + 1;
		}
	}
	if (h->n == 0)
		tui_put(2, 1, "no commits", COLS - 1, theme_attr(SLOT_NONE));
	snprintf(right, sizeof right, "%.10s  %zu/%zu",
	    h->cur < h->n ? h->rows[h->cur].id : "", h->n ? h->cur + 1 : 0,
	    h->n);
	tui_status_bar(t, "Enter diff  t list as of this commit  q back  "
	    "? help", right);
}

static void
hist_move(struct tui *t, struct view *v, int how)
{
	struct history *h = v->priv;
	size_t page = (size_t)(hist_page() > 1 ? hist_page() - 1 : 1);

	if (h->n == 0)
		return;
	switch (how) {
	case -MOVE_LINE:
		if (h->cur > 0)
			h->cur--;
		break;
	case MOVE_LINE:
		if (h->cur + 1 < h->n)
			h->cur++;
		break;
	case -MOVE_PAGE:
		h->cur = h->cur > page ? h->cur - page : 0;
		h->top = h->top > page ? h->top - page : 0;
		break;
	case MOVE_PAGE:
		h->cur = h->cur + page < h->n ? h->cur + page : h->n - 1;
		h->top += page;
		break;
	case -MOVE_END:
		h->cur = 0;
		break;
	case MOVE_END:
		h->cur = h->n - 1;
		break;
	}
	hist_fix_top(h);
}

void
view_history_open(struct tui *t, struct view *v, int arg)
{
	struct history *h = v->priv;
	struct hist_row *r;
	struct diff_head dh;

	if (h->cur >= h->n)
		return;
	r = &h->rows[h->cur];
	dh.id = r->id;
	dh.time = r->time;
	dh.author = r->author;
	dh.email = r->email;
	dh.subject = r->subject;
	dh.body = r->body;
	tui_push(t, &view_diff_ops, view_diff_new(t, &dh));
}

void
view_history_at(struct tui *t, struct view *v, int arg)
{
	struct history *h = v->priv;
	struct hist_row *r;
	char *label;

	if (h->cur >= h->n)
		return;
	r = &h->rows[h->cur];
	label = xasprintf("%.7s (%s)", r->id, r->cell[HC_DATE]);
	tui_push(t, &view_list_ops, view_list_new_at(t, r->id, label));
	free(label);
}

const struct view_ops view_history_ops = {
	.id = VIEW_HISTORY,
	.title = "history",
	.leave = hist_leave,
	.draw = hist_draw,
	.motion = hist_move,
	.reload = hist_reload,
};
