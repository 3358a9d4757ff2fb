/*
 * view_audit.c: the findings of the last audit sweep, grouped by severity
 * (critical first), a heading line per severity and one line per finding:
 * rule, entry, detail. Read from audit/findings at HEAD (audit_findings_
 * read), so it shows what `a` (or any sweep, cron's included) recorded;
 * the line above the status bar says what the rule under the cursor
 * checks and how to fix it; Enter on a finding opens its entry's detail
 * view.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "inventory.h"
#include "view.h"

/* A line: a severity heading (f NULL) or a finding. */
struct aud_line {
	const struct audit_finding *f;
	enum audit_sev	 sev;
	char		*text;		/* escaped: heading, or the finding's
					   rule, entry and detail */
};

struct audit_view {
	struct audit_finding	*f;
	size_t			 nf;
	struct aud_line		*lines;
	size_t			 n, cur, top;
	size_t			 by_sev[AUDIT_NSEV];
};

static enum theme_slot
sev_slot(enum audit_sev s)
{
	switch (s) {
	case AUDIT_CRITICAL:
		return SLOT_CRITICAL;
	case AUDIT_WARNING:
		return SLOT_WARNING;
	default:
		return SLOT_OK;
	}
}

static void
aud_free_lines(struct audit_view *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->lines[i].text);
	free(a->lines);
	a->lines = NULL;
	a->n = 0;
	audit_findings_free(a->f, a->nf);
	a->f = NULL;
	a->nf = 0;
}

static void
aud_load(struct tui *t, struct audit_view *a)
{
	char *err = NULL, *keep = NULL, *e, *d;
	size_t i, s, rulew = 4, entw = 5;

	if (a->cur < a->n && a->lines[a->cur].text != NULL)
		keep = xstrdup(a->lines[a->cur].text);
	aud_free_lines(a);
	memset(a->by_sev, 0, sizeof a->by_sev);
	if (t->unrec) {
		/* This run's sweep, which HEAD does not hold. */
		a->f = xcalloc(t->unrec_n + 1, sizeof *a->f);
		for (i = 0; i < t->unrec_n; i++) {
			a->f[i] = t->unrec_f[i];
			a->f[i].entry = xstrdup(t->unrec_f[i].entry);
			a->f[i].detail = xstrdup(t->unrec_f[i].detail);
		}
		a->nf = t->unrec_n;
	} else if (audit_findings_read(t->inv, &a->f, &a->nf, &err) != 0) {
		tui_message(t, "%s", err);
		free(err);
	}
	for (i = 0; i < a->nf; i++) {
		a->by_sev[a->f[i].sev]++;
		if (strlen(audit_rules[a->f[i].rule].id) > rulew)
			rulew = strlen(audit_rules[a->f[i].rule].id);
		if (strlen(a->f[i].entry) > entw)
			entw = strlen(a->f[i].entry);
	}
	if (entw > 32)
		entw = 32;
	a->lines = xcalloc(a->nf + AUDIT_NSEV + 1, sizeof *a->lines);
	for (s = 0; s < AUDIT_NSEV; s++) {
		if (a->by_sev[s] == 0)
			continue;
		a->lines[a->n].sev = (enum audit_sev)s;
		a->lines[a->n++].text = xasprintf("%s (%zu)",
		    audit_sev_name((enum audit_sev)s), a->by_sev[s]);
		for (i = 0; i < a->nf; i++) {
			if (a->f[i].sev != (enum audit_sev)s)
				continue;
			e = tui_esc(t, a->f[i].entry);
			d = tui_esc(t, a->f[i].detail);
			a->lines[a->n].f = &a->f[i];
			a->lines[a->n].sev = a->f[i].sev;
			a->lines[a->n++].text = xasprintf("  %-*s  %-*s  %s",
			    (int)rulew, audit_rules[a->f[i].rule].id,
			    (int)entw, e, d);
			free(e);
			free(d);
		}
	}
	/* The cursor on the first finding, or back where it was. */
	a->cur = a->n > 1 ? 1 : 0;
	for (i = 0; keep != NULL && i < a->n; i++)
		if (strcmp(a->lines[i].text, keep) == 0) {
			a->cur = i;
			break;
		}
	free(keep);
}

void *
view_audit_new(struct tui *t)
{
	struct audit_view *a = xcalloc(1, sizeof *a);

	aud_load(t, a);
	return a;
}

static void
aud_reload(struct tui *t, struct view *v)
{
	aud_load(t, v->priv);
}

static void
aud_leave(struct tui *t, struct view *v)
{
	struct audit_view *a = v->priv;

	aud_free_lines(a);
	free(a);
}

/* The rows between the title and the rule's line above the status bar. */
static int
aud_page(void)
{
	int n = tui_body_rows(1) - 1;

	return n > 1 ? n : 1;
}

static void
aud_fix_top(struct audit_view *a)
{
	size_t page = (size_t)(aud_page() > 0 ? aud_page() : 1);

	if (a->n == 0) {
		a->cur = a->top = 0;
		return;
	}
	if (a->cur >= a->n)
		a->cur = a->n - 1;
	if (a->cur < a->top)
		a->top = a->cur;
	if (a->cur >= a->top + page)
		a->top = a->cur - page + 1;
}

static void
aud_draw(struct tui *t, struct view *v)
{
	struct audit_view *a = v->priv;
	int y, page = aud_page();
	char *title, right[32];
	attr_t at;

	aud_fix_top(a);
	title = xasprintf("certdeck  audit: %zu finding%s, %zu critical, "
	    "%zu warning, %zu notice, %zu info%s  %s", a->nf, a->nf == 1 ? "" :
	    "s", a->by_sev[AUDIT_CRITICAL], a->by_sev[AUDIT_WARNING],
	    a->by_sev[AUDIT_NOTICE], a->by_sev[AUDIT_INFO], t->unrec ?
	    " (this sweep, not recorded)" : "", t->dir_esc);
	tui_put(0, 0, title, COLS, theme_attr(SLOT_TITLE));
	free(title);
	for (y = 0; y < page && a->top + (size_t)y < a->n; y++) {
		struct aud_line *l = &a->lines[a->top + (size_t)y];
		int is_cur = a->top + (size_t)y == a->cur;

		at = l->f == NULL ? theme_attr_over(theme_attr(SLOT_HEADER),
		    sev_slot(l->sev)) : theme_attr(sev_slot(l->sev));
		if (is_cur)
			at = theme_attr_over(at, SLOT_CURSOR);
		tui_put(1 + y, 0, is_cur ? ">" : " ", 1, at);
		tui_put(1 + y, 1, l->text, COLS - 1, at);
	}
	if (a->n == 0)
		tui_put(1, 1, "no findings (a runs a sweep)", COLS - 1,
		    theme_attr(SLOT_NONE));
	if (a->cur < a->n && a->lines[a->cur].f != NULL) {
		const struct audit_rule *r =
		    &audit_rules[a->lines[a->cur].f->rule];
		char *why = xasprintf("%s: %s; fix: %s", r->id, r->desc,
		    r->fix);

		tui_put(1 + page, 0, why, COLS, theme_attr(SLOT_HEADER));
		free(why);
	} else
		tui_fill(1 + page, theme_attr(SLOT_HEADER));
	snprintf(right, sizeof right, "%zu/%zu", a->n ? a->cur + 1 : 0, a->n);
	tui_status_bar(t, "Enter the entry  q back  ? help", right);
}

static void
aud_move(struct tui *t, struct view *v, int how)
{
	struct audit_view *a = v->priv;

	long i, dir = how > 0 ? 1 : -1, n = (long)a->n;
	int pass;

	if (a->n == 0)
		return;
	a->cur = tui_scroll(a->cur, a->n - 1, (size_t)(aud_page() > 1 ?
	    aud_page() - 1 : 1), how);
	/* Headings are passed over: the next finding the way it moved,
	   else the nearest the other way. */
	for (pass = 0; pass < 2; pass++, dir = -dir) {
		for (i = (long)a->cur; i >= 0 && i < n &&
		    a->lines[i].f == NULL; i += dir)
			;
		if (i >= 0 && i < n) {
			a->cur = (size_t)i;
			break;
		}
	}
	aud_fix_top(a);
}

void
view_audit_open(struct tui *t, struct view *v, int arg)
{
	struct audit_view *a = v->priv;
	const struct audit_finding *f;
	void *d;

	if (a->cur >= a->n || (f = a->lines[a->cur].f) == NULL)
		return;
	if (strcmp(f->entry, AUDIT_INVENTORY) == 0) {
		tui_message(t, "a finding about the whole inventory");
		return;
	}
	if ((d = view_detail_new(t, f->entry)) != NULL)
		tui_push(t, &view_detail_ops, d);
}

/* After a sweep: the audit view, replacing one already open on top. */
void
tui_audit_show(struct tui *t)
{
	struct view *top = tui_top(t);

	if (top != NULL && top->ops == &view_audit_ops) {
		aud_reload(t, top);
		return;
	}
	tui_push(t, &view_audit_ops, view_audit_new(t));
}

const struct view_ops view_audit_ops = {
	.id = VIEW_AUDIT,
	.title = "audit",
	.leave = aud_leave,
	.draw = aud_draw,
	.motion = aud_move,
	.reload = aud_reload,
};
