/*
 * keys.c: the one key table of the terminal UI. It dispatches keys, it is
 * the help view, and certdeck(1)'s TERMINAL UI section lists the same rows
 * (tests/e2e/docs.sh and tests/e2e/tui.sh read the K() lines below, so
 * keep one K() a line).
 *
 * A key of the current view wins over a VIEW_ANY key.
 */
#include <string.h>

#include "status.h"
#include "util.h"
#include "view.h"

#define KEY_ESC		27
#define KEY_RETURN	'\r'

static void	act_move(struct tui *, struct view *, int);
static void	act_help(struct tui *, struct view *, int);
static void	act_back(struct tui *, struct view *, int);
static void	act_quit(struct tui *, struct view *, int);

#define TUI_KEYS \
	K(VIEW_ANY, KEY_UP, "Up", act_move, -MOVE_LINE, "move up") \
	K(VIEW_ANY, 'k', "k", act_move, -MOVE_LINE, "move up") \
	K(VIEW_ANY, KEY_DOWN, "Down", act_move, MOVE_LINE, "move down") \
	K(VIEW_ANY, 'j', "j", act_move, MOVE_LINE, "move down") \
	K(VIEW_ANY, KEY_PPAGE, "PgUp", act_move, -MOVE_PAGE, "page up") \
	K(VIEW_ANY, KEY_NPAGE, "PgDn", act_move, MOVE_PAGE, "page down") \
	K(VIEW_ANY, KEY_HOME, "Home", act_move, -MOVE_END, "go to the top") \
	K(VIEW_ANY, 'g', "g", act_move, -MOVE_END, "go to the top") \
	K(VIEW_ANY, KEY_END, "End", act_move, MOVE_END, "go to the bottom") \
	K(VIEW_ANY, 'G', "G", act_move, MOVE_END, "go to the bottom") \
	K(VIEW_ANY, '?', "?", act_help, 0, "this help") \
	K(VIEW_ANY, 'q', "q", act_back, 0, "leave this view") \
	K(VIEW_ANY, 'Q', "Q", act_quit, 0, "quit certdeck") \
	K(VIEW_LIST, 'q', "q", act_back, 0, "quit certdeck (from a list of the past: back to the history)") \
	K(VIEW_LIST, KEY_RETURN, "Enter", view_list_open, 0, "details of the entry under the cursor") \
	K(VIEW_LIST, '/', "/", view_list_filter_start, 0, "filter as you type (name, subject, SANs, issuer, owner, tags); Enter keeps it") \
	K(VIEW_LIST, KEY_ESC, "Esc", view_list_filter_clear, 0, "clear the filter and the status choice (while a job runs: cancel the job)") \
	K(VIEW_LIST, 's', "s", view_list_sort_next, 0, "sort by expiry, name, subject, issuer, owner in turn") \
	K(VIEW_LIST, 'S', "S", view_list_sort_reverse, 0, "reverse the order") \
	K(VIEW_LIST, '1', "1", view_list_show_status, ST_EXPIRED, "show only expired entries") \
	K(VIEW_LIST, '2', "2", view_list_show_status, ST_CRITICAL, "show only critical entries") \
	K(VIEW_LIST, '3', "3", view_list_show_status, ST_WARNING, "show only warning entries") \
	K(VIEW_LIST, '4', "4", view_list_show_status, ST_OK, "show only ok entries") \
	K(VIEW_LIST, '0', "0", view_list_show_status, -1, "show entries of every status") \
	K(VIEW_LIST, 'p', "p", view_list_probe, 0, "probe the entry's endpoints in the background (the PROBE column fills in as results land)") \
	K(VIEW_LIST, 'P', "P", view_list_probe_all, 0, "probe every endpoint of the inventory in the background") \
	K(VIEW_LIST, 'r', "r", view_list_renew, 0, "renew the entry through its profile, deploy and verify (shows what it will do and asks first)") \
	K(VIEW_LIST, 'R', "R", view_list_renew_due, 0, "renew every due entry (lists them and asks once); in the background, several at once") \
	K(VIEW_LIST, 'a', "a", view_list_audit, 0, "audit sweep in the background, then the audit view (the ! column marks entries with findings)") \
	K(VIEW_LIST, 'L', "L", view_list_history, 0, "history of the inventory, newest first") \
	K(VIEW_LIST, 'e', "e", view_list_edit, 0, "edit the entry's metadata in $VISUAL or $EDITOR (else vi); one commit") \
	K(VIEW_LIST, 'o', "o", view_list_owner, 0, "set the entry's owner (asks; empty removes it)") \
	K(VIEW_LIST, '+', "+", view_list_tag, 0, "add tags to the entry (asks, comma-separated)") \
	K(VIEW_LIST, 'i', "i", view_list_import, 0, "import a file or directory (asks for the path)") \
	K(VIEW_LIST, 'd', "d", view_list_remove, 0, "remove the entry (asks first)") \
	K(VIEW_LIST, 'u', "u", view_list_undo, 0, "undo the last change by committing its revert (asks first)") \
	K(VIEW_LIST, 'Y', "Y", view_list_sync, 0, "sync with the remote in the background, as certdeck sync does (an encrypted ssh key's passphrase is asked for in the status bar); a conflict opens the conflicts view") \
	K(VIEW_DETAIL, 'p', "p", view_detail_probe, 0, "probe the entry's endpoints in the background (their lines update as results land)") \
	K(VIEW_HISTORY, KEY_RETURN, "Enter", view_history_open, 0, "the diff of the commit under the cursor") \
	K(VIEW_HISTORY, 't', "t", view_history_at, 0, "the list as of the commit under the cursor (read-only)") \
	K(VIEW_AUDIT, KEY_RETURN, "Enter", view_audit_open, 0, "details of the entry of the finding under the cursor") \
	K(VIEW_CONFLICT, 'o', "o", view_conflict_choose, 1, "keep your side of the entry under the cursor") \
	K(VIEW_CONFLICT, 't', "t", view_conflict_choose, 2, "take the remote's side of the entry under the cursor; once every entry has a side, the sync runs again")

const struct tui_key tui_keys[] = {
#define K(view, key, name, action, arg, help) \
	{ key, name, view, action, arg, help },
	TUI_KEYS
#undef K
};
const size_t tui_nkeys = nitems(tui_keys);

static const char *view_names[VIEW_COUNT] = {
	"Everywhere", "List", "Detail", "Help", "History", "Diff", "Audit",
	"Conflicts"
};

const char *
keys_view_name(enum view_id id)
{
	return view_names[id];
}

const struct tui_key *
keys_find(struct view *v, int key)
{
	const struct tui_key *any = NULL;
	size_t i;

	for (i = 0; i < tui_nkeys; i++) {
		if (tui_keys[i].key != key)
			continue;
		if (tui_keys[i].view == v->ops->id)
			return &tui_keys[i];
		if (tui_keys[i].view == VIEW_ANY && any == NULL)
			any = &tui_keys[i];
	}
	return any;
}

int
keys_dispatch(struct tui *t, struct view *v, int key)
{
	const struct tui_key *k = keys_find(v, key);

	if (k == NULL)
		return 0;
	k->action(t, v, k->arg);
	return 1;
}

int
keys_motion(const struct tui_key *k)
{
	return k->action == act_move ? k->arg : 0;
}

static void
act_move(struct tui *t, struct view *v, int how)
{
	if (v->ops->motion != NULL)
		v->ops->motion(t, v, how);
}

static void
act_help(struct tui *t, struct view *v, int arg)
{
	void *h;

	if (v->ops->id == VIEW_HELP)
		return;
	h = view_help_new(t, v->ops->id);
	tui_push(t, &view_help_ops, h);
}

static void
act_back(struct tui *t, struct view *v, int arg)
{
	if (t->depth > 1)
		tui_pop(t);
	else
		tui_quit(t);
}

static void
act_quit(struct tui *t, struct view *v, int arg)
{
	tui_quit(t);
}

