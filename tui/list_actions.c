/*
 * list_actions.c: the list's keys that change the inventory. Each is the
 * core call its command makes (inv_set_entry for edit, inv_set for owner
 * and tags, inv_import (as a background job, list_jobs.c), inv_rm,
 * inv_undo), so each is one commit, as on
 * the command line; afterwards every view reads HEAD again, the cursor
 * staying on its entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "inventory.h"
#include "view.h"

/* The entry the key is for, or NULL (said why) in a list of the past or
   an empty one. */
static const char *
action_entry(struct tui *t, struct view *v)
{
	const char *name;

	if (view_list_unchangeable(t, v))
		return NULL;
	if ((name = view_list_current(v)) == NULL)
		tui_message(t, "the list is empty");
	return name;
}

/* Say what the last commit did (the subject its command wrote). */
static int
action_said(void *arg, const struct inv_commit *c)
{
	struct tui *t = arg;

	tui_message(t, "committed %.7s: %s", c->c->id, c->c->subject);
	return 0;
}

static void
action_done(struct tui *t)
{
	char *err = NULL;

	if (inv_log(t->inv, NULL, 1, action_said, t, &err) != 0)
		free(err);
	tui_reload(t);
}

/* --- e: the entry's metadata file in the editor */

struct edit_job {
	char	*name;
	char	*base;		/* the file at HEAD when the edit began */
	char	*text;		/* the operator's version */
};

static void
edit_free(struct edit_job *j)
{
	free(j->name);
	free(j->base);
	free(j->text);
	free(j);
}

static void	edit_run(struct tui *, struct edit_job *);

static void
edit_again(struct tui *t, void *arg, const char *answer)
{
	struct edit_job *j = arg;

	if (answer != NULL) {
		edit_run(t, j);
		return;
	}
	tui_message(t, "%s: edit discarded, nothing committed", j->name);
	edit_free(j);
}

static void
edit_run(struct tui *t, struct edit_job *j)
{
	char *out = NULL, *now = NULL, *err = NULL;
	int r;

	if (tui_edit_text(t, j->text, j->name, &out, &err) != 0) {
		tui_message(t, "%s", err);
		free(err);
		edit_free(j);
		return;
	}
	free(j->text);
	j->text = out;
	if (strcmp(j->text, j->base) == 0) {
		tui_message(t, "%s: nothing changed", j->name);
		edit_free(j);
		return;
	}
	/* A commit by someone else meanwhile would be undone silently by
	   this text: refuse it rather. */
	r = inv_entry_text(t->inv, j->name, &now, &err);
	if (r < 0 || r == 0 || strcmp(now, j->base) != 0) {
		if (r < 0)
			tui_message(t, "%s", err);
		else
			tui_message(t, "%s changed while you edited it; nothing "
			    "committed (e edits the new version)", j->name);
		free(err);
		free(now);
		edit_free(j);
		tui_reload(t);
		return;
	}
	free(now);
	r = inv_set_entry(t->inv, j->name, j->text, &err);
	if (r < 0) {
		/* The text stays as typed, to be corrected. */
		tui_confirm(t, edit_again, j, "%s; edit again?", err);
		free(err);
		return;
	}
	if (r == 0)
		tui_message(t, "%s: nothing changed", j->name);
	else
		action_done(t);
	edit_free(j);
}

void
view_list_edit(struct tui *t, struct view *v, int arg)
{
	struct edit_job *j;
	const char *name = action_entry(t, v);
	char *err = NULL;
	int r;

	if (name == NULL)
		return;
	j = xcalloc(1, sizeof *j);
	j->name = xstrdup(name);
	r = inv_entry_text(t->inv, name, &j->base, &err);
	if (r <= 0) {
		tui_message(t, "%s: %s", name, r == 0 ? "no such entry" : err);
		free(err);
		edit_free(j);
		return;
	}
	j->text = xstrdup(j->base);
	edit_run(t, j);
}

/* --- o and +: one assignment through inv_set, as `certdeck set` */

static void
set_one(struct tui *t, const char *name, const char *assign)
{
	char *a = xstrdup(assign), *err = NULL;
	int r;

	r = inv_set(t->inv, name, &a, 1, &err);
	if (r < 0)
		tui_message(t, "%s", err);
	else if (r == 0)
		tui_message(t, "%s: nothing changed", name);
	else
		action_done(t);
	free(err);
	free(a);
}

static void
owner_done(struct tui *t, void *arg, const char *answer)
{
	char *name = arg, *a;

	if (answer == NULL)
		tui_message(t, "cancelled");
	else {
		a = xasprintf("owner=%s", answer);
		set_one(t, name, a);
		free(a);
	}
	free(name);
}

void
view_list_owner(struct tui *t, struct view *v, int arg)
{
	struct entry e;
	const char *name = action_entry(t, v);
	char *text = NULL, *err = NULL;

	if (name == NULL)
		return;
	entry_init(&e);
	if (inv_entry_text(t->inv, name, &text, &err) < 0) {
		tui_message(t, "%s", err);
		free(err);
		return;
	}
	/* The owner as it is, to be edited; Enter on nothing removes it. */
	if (text != NULL && entry_parse(text, strlen(text), &e, NULL) != 0)
		entry_init(&e);
	tui_ask(t, entry_get(&e, "owner"), owner_done, xstrdup(name),
	    "owner of %s:", name);
	entry_free(&e);
	free(text);
}

static void
tag_done(struct tui *t, void *arg, const char *answer)
{
	char *name = arg, *a;

	if (answer == NULL)
		tui_message(t, "cancelled");
	else if (*answer == '\0')
		tui_message(t, "no tag given");
	else {
		a = xasprintf("tags+=%s", answer);
		set_one(t, name, a);
		free(a);
	}
	free(name);
}

void
view_list_tag(struct tui *t, struct view *v, int arg)
{
	const char *name = action_entry(t, v);

	if (name == NULL)
		return;
	tui_ask(t, NULL, tag_done, xstrdup(name), "add tags to %s "
	    "(comma-separated):", name);
}

/* --- i: import a path, as `certdeck import PATH` */

static void
import_done(struct tui *t, void *arg, const char *answer)
{
	const char *home = getenv("HOME");
	char *path;

	(void)arg;
	if (answer == NULL || *answer == '\0') {
		tui_message(t, answer == NULL ? "cancelled" : "no path given");
		return;
	}
	/* No shell here: ~/ is the one expansion people type. */
	if (answer[0] == '~' && answer[1] == '/' && home != NULL)
		path = xasprintf("%s%s", home, answer + 1);
	else
		path = xstrdup(answer);
	/* The import runs as a background job (list_jobs.c). */
	list_import_start(t, path);
}

void
view_list_import(struct tui *t, struct view *v, int arg)
{
	if (view_list_unchangeable(t, v))
		return;
	tui_ask(t, NULL, import_done, NULL, "import (file or directory):");
}

/* --- d: remove, as `certdeck rm NAME` */

static void
remove_done(struct tui *t, void *arg, const char *answer)
{
	char *name = arg, *err = NULL;

	if (answer == NULL)
		tui_message(t, "%s: kept", name);
	else if (inv_rm(t->inv, name, &err) != 0)
		tui_message(t, "%s", err);
	else
		action_done(t);
	free(err);
	free(name);
}

void
view_list_remove(struct tui *t, struct view *v, int arg)
{
	const char *name = action_entry(t, v);

	if (name == NULL)
		return;
	tui_confirm(t, remove_done, xstrdup(name), "remove %s (its "
	    "certificate, metadata and stored key)?", name);
}

/* --- u: undo the last change, as `certdeck undo` */

struct undo_head {
	char	 id[REPO_OID_HEX];
	char	*subject;
};

static int
undo_head(void *arg, const struct inv_commit *c)
{
	struct undo_head *u = arg;

	snprintf(u->id, sizeof u->id, "%s", c->c->id);
	u->subject = xstrdup(c->c->subject);
	return 0;
}

static void
undo_done(struct tui *t, void *arg, const char *answer)
{
	struct undo_head *u = arg;
	char head[REPO_OID_HEX], *err = NULL;

	if (answer == NULL)
		tui_message(t, "nothing undone");
	else if (repo_head(t->inv->repo, head, &err) < 0)
		tui_message(t, "%s", err);
	else if (strcmp(head, u->id) != 0) {
		/* Not the change the question named: ask again. */
		tui_message(t, "the last change is another one now (HEAD "
		    "moved); nothing undone");
		tui_reload(t);
	} else if (inv_undo(t->inv, &err) != 0)
		tui_message(t, "%s", err);
	else
		action_done(t);
	free(err);
	free(u->subject);
	free(u);
}

void
view_list_undo(struct tui *t, struct view *v, int arg)
{
	struct undo_head *u;
	char *err = NULL;

	if (view_list_unchangeable(t, v))
		return;
	u = xcalloc(1, sizeof *u);
	if (inv_log(t->inv, NULL, 1, undo_head, u, &err) != 0 ||
	    u->subject == NULL) {
		tui_message(t, "%s", err != NULL ? err : "no commit to undo");
		free(err);
		free(u);
		return;
	}
	tui_confirm(t, undo_done, u, "undo the last change, %.7s \"%s\"?",
	    u->id, u->subject);
}
