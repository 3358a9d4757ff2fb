/*
 * view_conflict.c: the entries a sync stopped on, both sides of each: what
 * each side did, then the entry as each side has it (certificate and
 * metadata) in two columns. o keeps your side of the entry under the
 * cursor, t takes the remote's (inv_sync_resolve, as certdeck sync --ours
 * and --theirs); once every entry has a side, the sync runs again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "sync.h"
#include "view.h"

struct conflicts {
	struct inv_sync_result	*res;
	int			*choice;	/* 0 none, 1 ours, 2 theirs */
	size_t			 cur;
	size_t			 top;		/* first screen line */
};

void
view_conflict_landed(struct tui *t, void *owner, void *result)
{
	struct conflicts *c = xcalloc(1, sizeof *c);
	size_t i;

	c->res = result;
	c->choice = xcalloc(c->res->nconflicts ? c->res->nconflicts : 1,
	    sizeof *c->choice);
	/* A newer stop replaces an older one still on the stack. */
	for (i = (size_t)t->depth; i > 0; i--)
		if (t->stack[i - 1].ops == &view_conflict_ops) {
			while ((size_t)t->depth >= i)
				tui_pop(t);
			break;
		}
	tui_push(t, &view_conflict_ops, c);
}

static void
conflict_leave(struct tui *t, struct view *v)
{
	struct conflicts *c = v->priv;

	inv_sync_result_free(c->res);
	free(c->res);
	free(c->choice);
	free(c);
}

/* Lines of text s, one at a time: *p moves past each. */
static char *
next_line(const char **p)
{
	const char *nl;
	char *line;

	if (*p == NULL || **p == '\0')
		return NULL;
	nl = strchr(*p, '\n');
	line = xstrndup(*p, nl != NULL ? (size_t)(nl - *p) : strlen(*p));
	*p = nl != NULL ? nl + 1 : *p + strlen(*p);
	return line;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; s != NULL && *s != '\0'; s++)
		if (*s == '\n' || s[1] == '\0')
			n++;
	return n;
}

/* Screen lines of conflict i: name, two "did" lines, column titles,
   the texts, a blank. */
static size_t
conflict_height(const struct inv_conflict *k)
{
	size_t a = count_lines(k->ours_text), b = count_lines(k->theirs_text);

	return 5 + (a > b ? a : b);
}

static void
conflict_draw(struct tui *t, struct view *v)
{
	struct conflicts *c = v->priv;
	struct inv_sync_result *res = c->res;
	const struct inv_conflict *k;
	const char *po, *pt;
	char *s, *e, *lo, *lt, right[48];
	size_t i, line = 0, start = 0, chosen = 0;
	int y, rows = tui_body_rows(1), half = COLS / 2;
	attr_t a;

	/* The cursor's conflict starts on screen. */
	for (i = 0; i < c->cur; i++)
		start += conflict_height(&res->conflicts[i]);
	if (start < c->top || start >= c->top + (size_t)rows)
		c->top = start;
	e = tui_esc(t, res->remote);
	s = xasprintf("sync with %s stopped: %zu conflict%s; nothing was "
	    "changed", e, res->nconflicts, res->nconflicts == 1 ? "" : "s");
	tui_put(0, 0, s, COLS, theme_attr(SLOT_TITLE));
	free(s);
	for (y = 1; y <= rows; y++)
		tui_fill(y, A_NORMAL);
#define PUT(text, x, w, attr) do {					\
	if (line >= c->top && line < c->top + (size_t)rows)		\
		tui_put(1 + (int)(line - c->top), (x), (text), (w), (attr)); \
} while (0)
	for (i = 0; i < res->nconflicts; i++) {
		k = &res->conflicts[i];
		if (c->choice[i] != 0)
			chosen++;
		a = i == c->cur ? theme_attr(SLOT_CURSOR) :
		    theme_attr(SLOT_HEADER);
		lo = tui_esc(t, k->name);
		s = xasprintf("%s %s  %s", i == c->cur ? ">" : " ", lo,
		    c->choice[i] == 1 ? "[yours]" : c->choice[i] == 2 ?
		    "[theirs]" : "[o: yours, t: theirs]");
		free(lo);
		PUT(s, 0, COLS, a);
		free(s);
		line++;
		lo = tui_esc(t, k->ours);
		s = xasprintf("  here:  %s", lo);
		PUT(s, 0, COLS, theme_attr(SLOT_DIFF_DEL));
		free(s);
		free(lo);
		line++;
		lo = tui_esc(t, k->theirs);
		s = xasprintf("  %s: %s", e, lo);
		PUT(s, 0, COLS, theme_attr(SLOT_DIFF_ADD));
		free(s);
		free(lo);
		line++;
		s = xasprintf("  here (yours)");
		PUT(s, 0, half, theme_attr(SLOT_DIFF_HEADER));
		free(s);
		s = xasprintf("| %s (theirs)", e);
		PUT(s, half, COLS - half, theme_attr(SLOT_DIFF_HEADER));
		free(s);
		line++;
		po = k->ours_text;
		pt = k->theirs_text;
		for (;;) {
			char *ro = next_line(&po), *rt = next_line(&pt);

			if (ro == NULL && rt == NULL)
				break;
			lo = tui_esc(t, ro != NULL ? ro : "");
			lt = tui_esc(t, rt != NULL ? rt : "");
			s = xasprintf("  %s", lo);
			PUT(s, 0, half, A_NORMAL);
			free(s);
			s = xasprintf("| %s", lt);
			PUT(s, half, COLS - half, A_NORMAL);
			free(s);
			free(lo);
			free(lt);
			free(ro);
			free(rt);
			line++;
		}
		line++;
	}
#undef PUT
	free(e);
	snprintf(right, sizeof right, "%zu/%zu chosen", chosen,
	    res->nconflicts);
	tui_status_bar(t, "o keep yours  t take theirs  j/k move  q back",
	    right);
}

static void
conflict_move(struct tui *t, struct view *v, int how)
{
	struct conflicts *c = v->priv;
	size_t n = c->res->nconflicts;

	if (n == 0)
		return;
	if (how == -MOVE_END)
		c->cur = 0;
	else if (how == MOVE_END)
		c->cur = n - 1;
	else if (how < 0 && c->cur > 0)
		c->cur--;
	else if (how > 0 && c->cur + 1 < n)
		c->cur++;
}

void
view_conflict_choose(struct tui *t, struct view *v, int theirs)
{
	struct conflicts *c = v->priv;
	struct inv_conflict *k;
	char *err = NULL, *e;
	size_t i, n = c->res->nconflicts;

	if (n == 0)
		return;
	k = &c->res->conflicts[c->cur];
	if (inv_sync_resolve(t->inv, k->name, theirs == 2, &err) != 0) {
		e = tui_esc(t, err);
		tui_message(t, "%s", e);
		free(e);
		free(err);
		return;
	}
	c->choice[c->cur] = theirs;
	/* On to the next without a side; with none left, sync again. */
	for (i = 1; i <= n; i++)
		if (c->choice[(c->cur + i) % n] == 0) {
			c->cur = (c->cur + i) % n;
			return;
		}
	tui_pop(t);
	tui_sync_start(t);
}

const struct view_ops view_conflict_ops = {
	.id = VIEW_CONFLICT,
	.title = "conflicts",
	.leave = conflict_leave,
	.draw = conflict_draw,
	.motion = conflict_move,
};
