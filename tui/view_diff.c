/*
 * view_diff.c: one commit as `git show` prints it: its header, message and
 * unified diff against its first parent (repo_commit_diff, libgit2's diff
 * in the store). Lines are escaped once, when read; added, removed, hunk
 * and file header lines take the diff-* colour slots.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "inventory.h"
#include "view.h"

struct diff_line {
	char		*text;		/* escaped */
	int		 slot;		/* enum theme_slot, or -1: plain */
};

struct diff {
	char		*title;		/* escaped */
	struct diff_line *lines;
	size_t		 n, cap, top;
};

static void
diff_add(struct diff *d, int slot, char *text)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 128;
		d->lines = xreallocarray(d->lines, d->cap, sizeof *d->lines);
	}
	d->lines[d->n].text = text;
	d->lines[d->n].slot = slot;
	d->n++;
}

/* Raw text, one line or several, escaped here. */
static void
diff_text(struct tui *t, struct diff *d, int slot, const char *indent,
    const char *s)
{
	const char *p, *nl;
	char *line, *e;

	for (p = s; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		line = xstrndup(p, nl != NULL ? (size_t)(nl - p) : strlen(p));
		e = tui_esc(t, line);
		diff_add(d, slot, xasprintf("%s%s", indent, e));
		free(e);
		free(line);
	}
}

struct diff_read {
	struct tui	*t;
	struct diff	*d;
};

static int
diff_line_cb(void *arg, enum repo_diff_line kind, const char *line,
    size_t len)
{
	static const int slots[] = {
		[REPO_DIFF_FILE] = SLOT_DIFF_HEADER,
		[REPO_DIFF_HUNK] = SLOT_DIFF_HUNK,
		[REPO_DIFF_ADD] = SLOT_DIFF_ADD,
		[REPO_DIFF_DEL] = SLOT_DIFF_DEL,
		[REPO_DIFF_CONTEXT] = -1,
		[REPO_DIFF_NOTE] = SLOT_NONE,
	};
	struct diff_read *dr = arg;
	char *raw = xstrndup(line, len);

	diff_add(dr->d, (size_t)kind < nitems(slots) ? slots[kind] : -1,
	    tui_esc(dr->t, raw));
	free(raw);
	return 0;
}

void *
view_diff_new(struct tui *t, const struct diff_head *h)
{
	struct diff *d = xcalloc(1, sizeof *d);
	struct diff_read dr = { t, d };
	char date[32], *s, *e, *err = NULL;

	e = tui_esc(t, h->subject);
	d->title = xasprintf("commit %.10s  %s", h->id, e);
	free(e);
	diff_add(d, SLOT_DIFF_HEADER, xasprintf("commit %s", h->id));
	s = xasprintf("%s <%s>", h->author, h->email);
	diff_text(t, d, -1, "Author: ", s);
	free(s);
	clock_format(h->time, date);
	diff_add(d, -1, xasprintf("Date:   %s", date));
	diff_add(d, -1, xstrdup(""));
	diff_text(t, d, SLOT_TITLE, "    ", h->subject);
	if (*h->body != '\0') {
		diff_add(d, -1, xstrdup(""));
		diff_text(t, d, -1, "    ", h->body);
	}
	diff_add(d, -1, xstrdup(""));
	if (repo_commit_diff(t->inv->repo, h->id, diff_line_cb, &dr,
	    &err) != 0) {
		s = tui_esc(t, err != NULL ? err : "cannot read the diff");
		diff_add(d, SLOT_NONE, xasprintf("(%s)", s));
		free(s);
		free(err);
	}
	return d;
}

static void
diff_leave(struct tui *t, struct view *v)
{
	struct diff *d = v->priv;
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->lines[i].text);
	free(d->lines);
	free(d->title);
	free(d);
}

static size_t
diff_max_top(struct diff *d)
{
	size_t page = (size_t)tui_body_rows(1);

	return d->n > page ? d->n - page : 0;
}

static void
diff_draw(struct tui *t, struct view *v)
{
	struct diff *d = v->priv;
	int y, page = tui_body_rows(1);
	char right[48];

	if (d->top > diff_max_top(d))
		d->top = diff_max_top(d);
	tui_put(0, 0, d->title, COLS, theme_attr(SLOT_TITLE));
	for (y = 0; y < page && d->top + (size_t)y < d->n; y++) {
		struct diff_line *l = &d->lines[d->top + (size_t)y];

		tui_put(1 + y, 0, l->text, COLS, l->slot < 0 ? A_NORMAL :
		    theme_attr((enum theme_slot)l->slot));
	}
	snprintf(right, sizeof right, "%zu-%zu/%zu", d->n ? d->top + 1 : 0,
	    d->top + (size_t)page < d->n ? d->top + (size_t)page : d->n, d->n);
	tui_status_bar(t, "q back  j/k scroll  ? help", right);
}

static void
diff_move(struct tui *t, struct view *v, int how)
{
	struct diff *d = v->priv;
	size_t page = (size_t)(tui_body_rows(1) > 1 ? tui_body_rows(1) - 1 : 1);
	size_t max = diff_max_top(d);

	d->top = tui_scroll(d->top, max, page, how);
}

const struct view_ops view_diff_ops = {
	.id = VIEW_DIFF,
	.title = "diff",
	.leave = diff_leave,
	.draw = diff_draw,
	.motion = diff_move,
};
