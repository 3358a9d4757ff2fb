/*
 * view_help.c: the keys, generated from the key table in keys.c so help
 * cannot drift from what the keys do. The view it was opened from comes
 * first, then the keys that work everywhere, then the other views.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "view.h"

struct help {
	struct strv	lines;
	struct strv	kinds;	/* "h" heading or "" text, per line */
	size_t		top;
};

static void
help_add(struct help *h, int heading, char *s)
{
	strv_addn(&h->lines, s);
	strv_add(&h->kinds, heading ? "h" : "");
}

static void
help_section(struct help *h, enum view_id id)
{
	size_t i, n = 0;

	for (i = 0; i < tui_nkeys; i++)
		if (tui_keys[i].view == id)
			n++;
	if (n == 0)
		return;
	if (h->lines.n > 0)
		help_add(h, 0, xstrdup(""));
	help_add(h, 1, xstrdup(keys_view_name(id)));
	for (i = 0; i < tui_nkeys; i++)
		if (tui_keys[i].view == id)
			help_add(h, 0, xasprintf("  %-8s %s", tui_keys[i].name,
			    tui_keys[i].help));
}

void *
view_help_new(struct tui *t, enum view_id from)
{
	struct help *h = xcalloc(1, sizeof *h);
	int id;

	strv_init(&h->lines);
	strv_init(&h->kinds);
	if (from != VIEW_ANY && from != VIEW_HELP)
		help_section(h, from);
	help_section(h, VIEW_ANY);
	for (id = VIEW_ANY + 1; id < VIEW_COUNT; id++)
		if (id != (int)from)
			help_section(h, (enum view_id)id);
	return h;
}

static void
help_leave(struct tui *t, struct view *v)
{
	struct help *h = v->priv;

	strv_free(&h->lines);
	strv_free(&h->kinds);
	free(h);
}

static size_t
help_max_top(struct help *h)
{
	size_t page = (size_t)tui_body_rows(1);

	return h->lines.n > page ? h->lines.n - page : 0;
}

static void
help_draw(struct tui *t, struct view *v)
{
	struct help *h = v->priv;
	int y, page = tui_body_rows(1);

	if (h->top > help_max_top(h))
		h->top = help_max_top(h);
	tui_put(0, 0, "certdeck keys", COLS, theme_attr(SLOT_TITLE));
	for (y = 0; y < page && h->top + (size_t)y < h->lines.n; y++) {
		size_t i = h->top + (size_t)y;

		tui_put(1 + y, 0, h->lines.v[i], COLS, *h->kinds.v[i] ?
		    theme_attr(SLOT_HEADER) : A_NORMAL);
	}
	tui_status_bar(t, "q back  j/k scroll", NULL);
}

static void
help_move(struct tui *t, struct view *v, int how)
{
	struct help *h = v->priv;
	size_t max = help_max_top(h);
	size_t page = (size_t)(tui_body_rows(1) > 1 ? tui_body_rows(1) - 1 : 1);

	h->top = tui_scroll(h->top, max, page, how);
}

const struct view_ops view_help_ops = {
	.id = VIEW_HELP,
	.title = "help",
	.leave = help_leave,
	.draw = help_draw,
	.motion = help_move,
};
