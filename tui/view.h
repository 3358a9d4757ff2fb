/*
 * view.h: the inside of the terminal UI. A view is a const table of
 * operations plus private state (tig's model); the main loop in tui.c owns
 * curses and a stack of views; keys.c holds the one key table that both
 * dispatches keys and generates the help view; theme.c maps named colour
 * slots to attributes so no view names a colour.
 */
#ifndef CD_TUI_VIEW_H
#define CD_TUI_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include <curses.h>

#include "util.h"

struct inv;
struct inv_probe_last;
struct strv;
struct tui;
struct view;

/* Which view a key belongs to; VIEW_ANY keys work in every view. */
enum view_id {
	VIEW_ANY,
	VIEW_LIST,
	VIEW_DETAIL,
	VIEW_HELP,
	VIEW_HISTORY,
	VIEW_DIFF,
	VIEW_AUDIT,
	VIEW_CONFLICT,
	VIEW_COUNT
};

/* Movement, as the arg of a move key: sign is the direction. */
#define MOVE_LINE	1
#define MOVE_PAGE	2
#define MOVE_END	3

struct view_ops {
	enum view_id	 id;
	const char	*title;
	void		(*enter)(struct tui *, struct view *);	/* may be NULL */
	void		(*leave)(struct tui *, struct view *);	/* frees state */
	void		(*draw)(struct tui *, struct view *);	/* whole screen */
	/* Sees every key before the key table; returns 1 if it used it
	   (a text prompt takes all keys). May be NULL. */
	int		(*key)(struct tui *, struct view *, int key);
	/* how is +-MOVE_LINE, +-MOVE_PAGE or +-MOVE_END. */
	void		(*motion)(struct tui *, struct view *, int how);
	/* HEAD moved (a change here or elsewhere): read again, keeping the
	   cursor on the same item. May be NULL. */
	void		(*reload)(struct tui *, struct view *);
	/* A probe result of a background job landed (worker.c): show it
	   now, without reading the index. entry may be NULL. May be NULL. */
	void		(*probe_landed)(struct tui *, struct view *,
			    const char *entry, const char *endpoint,
			    const struct inv_probe_last *);
	/* Work a key left for later (the rest of a filter's count, keys
	   that waited for the list): the main loop calls it, on the top
	   view, when no key is waiting; it does a few milliseconds of it.
	   Returns TUI_IDLE_NONE when there is none, else TUI_IDLE_MORE or
	   TUI_IDLE_DRAW (the screen changed), or both. May be NULL. */
	int		(*idle)(struct tui *, struct view *);
};
#define TUI_IDLE_NONE	0
#define TUI_IDLE_MORE	1
#define TUI_IDLE_DRAW	2

struct view {
	const struct view_ops	*ops;
	void			*priv;		/* owned by the view */
};

/*
 * A question in the status bar: a line of text, or y/n. While open it
 * takes every key. done gets the answer (yes/no: "y", or NULL for no;
 * text: the line, or NULL when cancelled with Esc) and owns arg: it frees
 * it, or hands it to the next question.
 */
typedef void (*tui_prompt_done)(struct tui *, void *arg, const char *answer);
struct tui_prompt {
	int		 open;
	int		 yesno;
	int		 secret;	/* not shown, wiped when closed */
	char		*question;	/* escaped */
	struct buf	 text;		/* raw, as typed */
	tui_prompt_done	 done;
	void		*arg;
	char		*waiting;	/* escaped: a job's question after it */
};

#define TUI_STACK_MAX	8
#define TUI_MIN_COLS	80
#define TUI_MIN_LINES	24

struct audit_finding;

struct tui {
	struct inv	*inv;
	char		*dir;		/* inventory directory, owned */
	char		*dir_esc;	/* the same, escaped for drawing */
	int		 ascii;		/* locale is not UTF-8 */
	int		 running;
	struct view	 stack[TUI_STACK_MAX];
	int		 depth;
	char		 msg[512];	/* status bar message, already escaped */
	int		 warnings;	/* reports while the index caught up */
	int64_t		 now;
	struct tui_prompt prompt;	/* the question in the status bar */
	char		 head_seen[41];	/* HEAD the views were read at */
	char		 head_wait[41];	/* HEAD the index was seen behind */
	char		 sync_note[96];	/* ahead/behind for the header */
	/* The last sweep's findings when it could not record them (a
	   read-only inventory): the audit view shows these, not HEAD's. */
	struct audit_finding *unrec_f;
	size_t		 unrec_n;
	int		 unrec;
};

/* tui.c: the view stack, messages and drawing helpers. */
/* A key, as if typed now (a prompt's, the top view's, the key table's). */
void	 tui_key(struct tui *, int key);
int	 tui_push(struct tui *, const struct view_ops *, void *priv);
void	 tui_pop(struct tui *);
struct view *tui_top(struct tui *);
void	 tui_quit(struct tui *);
void	 tui_message(struct tui *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Draw already escaped text s at (y, x) in exactly width columns: cut
 * with an ellipsis when longer, padded with blanks in attr when shorter.
 */
void	 tui_put(int y, int x, const char *s, int width, attr_t);
/* A whole line of blanks in attr. */
void	 tui_fill(int y, attr_t);
/* The bottom line: the pending message if any, else left; right-aligned
   right (may be NULL). */
void	 tui_status_bar(struct tui *, const char *left, const char *right);
/* Escape untrusted text for drawing in this locale; caller frees. */
char	*tui_esc(struct tui *, const char *);
/* Whether the screen is at least TUI_MIN_COLS x TUI_MIN_LINES; if not,
   draws the "too small" note and returns 0. */
int	 tui_fits(void);
/* Rows a scrolling view has between its title lines and the status bar. */
int	 tui_body_rows(int top);
/* A text pane's new first line after a +-MOVE_LINE/PAGE/END motion. */
size_t	 tui_scroll(size_t top, size_t max, size_t page, int how);

/* keys.c: the key table. */
typedef void (*key_action)(struct tui *, struct view *, int arg);
struct tui_key {
	int		 key;		/* character or KEY_* */
	const char	*name;		/* as help and certdeck(1) show it */
	enum view_id	 view;
	key_action	 action;
	int		 arg;
	const char	*help;
};
extern const struct tui_key tui_keys[];
extern const size_t tui_nkeys;
/* Run the key's action in view v; returns 0 if no key of v or VIEW_ANY. */
int	 keys_dispatch(struct tui *, struct view *, int key);
/* The row keys_dispatch would run, or NULL; and whether it is a move
   (its +-MOVE_* arg) or not (0). */
const struct tui_key *keys_find(struct view *, int key);
int	 keys_motion(const struct tui_key *);
const char *keys_view_name(enum view_id);

/* theme.c: named colour slots. */
enum theme_slot {
	SLOT_EXPIRED,
	SLOT_CRITICAL,
	SLOT_WARNING,
	SLOT_OK,
	SLOT_NONE,
	SLOT_CURSOR,
	SLOT_HEADER,
	SLOT_STATUS,
	SLOT_TITLE,
	SLOT_DIFF_ADD,
	SLOT_DIFF_DEL,
	SLOT_DIFF_HUNK,
	SLOT_DIFF_HEADER,
	SLOT_PROBE_FAIL,
	SLOT_PROBE_DRIFT,
	SLOT_COUNT
};
/*
 * After curses started: choose the theme (name_opt is --theme, else
 * CERTDECK_THEME, else "theme" in the user's config, else default; the
 * monochrome theme, attributes only, when NO_COLOR or CERTDECK_COLOR=never
 * say so or the terminal has no colours) and style the slots with it. Each
 * problem (an unknown theme, a bad line in its file or in the config) is
 * added to msgs as one line, and the built-in theme is used instead.
 */
void	 theme_init(const char *name_opt, struct strv *msgs);
/*
 * CERTDECK_THEME_DUMP: print the theme theme_init would choose as a theme
 * file (builtin_only: the built-in one of that name), problems on stderr.
 * Returns 0, or 1 if there were problems or the file left slots unset.
 */
int	 theme_dump(const char *name_opt, int builtin_only, int ascii);
attr_t	 theme_attr(enum theme_slot);
/* base with slot s on top: s's attributes added, and s's colours, if it
   has any, instead of base's (cursor over a status row). */
attr_t	 theme_attr_over(attr_t base, enum theme_slot s);
/* The slot for an expiry status (enum status). */
enum theme_slot theme_status_slot(int status);

/* Views. */
extern const struct view_ops view_list_ops;
extern const struct view_ops view_detail_ops;
extern const struct view_ops view_help_ops;
void	*view_list_new(struct tui *);
/* The detail view of entry name; NULL (with a message) if it is gone. */
void	*view_detail_new(struct tui *, const char *name);
void	 view_detail_probe(struct tui *, struct view *, int);
void	*view_help_new(struct tui *, enum view_id from);

/* List actions, bound in keys.c. */
void	 view_list_open(struct tui *, struct view *, int);
void	 view_list_filter_start(struct tui *, struct view *, int);
void	 view_list_filter_clear(struct tui *, struct view *, int);
void	 view_list_sort_next(struct tui *, struct view *, int);
void	 view_list_sort_reverse(struct tui *, struct view *, int);
void	 view_list_show_status(struct tui *, struct view *, int status);
void	 view_list_history(struct tui *, struct view *, int);
/* The entry under the cursor, or NULL if the list is empty. */
const char *view_list_current(struct view *);
/* A list of the past is read-only: if v is one, say so and return 1. */
int	 view_list_readonly(struct tui *, struct view *);
/* The same, and also when the inventory cannot be written here: for the
   keys that change it, which refuse before asking anything. */
int	 view_list_unchangeable(struct tui *, struct view *);

/* The list of the inventory as of commit (read-only, label says when). */
void	*view_list_new_at(struct tui *, const char *commit, const char *label);

/* History and diff (view_history.c, view_diff.c). */
extern const struct view_ops view_history_ops;
extern const struct view_ops view_diff_ops;
void	*view_history_new(struct tui *);
void	 view_history_open(struct tui *, struct view *, int);
void	 view_history_at(struct tui *, struct view *, int);
/* The diff view of one commit; the header fields are raw text. */
struct diff_head {
	const char	*id;
	int64_t		 time;
	const char	*author;
	const char	*email;
	const char	*subject;
	const char	*body;
};
void	*view_diff_new(struct tui *, const struct diff_head *);

/* Changes from the list (list_actions.c), each one core call and one
   commit, as on the command line. */
void	 view_list_edit(struct tui *, struct view *, int);
void	 view_list_owner(struct tui *, struct view *, int);
void	 view_list_tag(struct tui *, struct view *, int);
void	 view_list_import(struct tui *, struct view *, int);
void	 view_list_remove(struct tui *, struct view *, int);
void	 view_list_undo(struct tui *, struct view *, int);

/* Background jobs from the list (list_jobs.c, worker.c): p probes the
   entry's endpoints, P every endpoint; i's import runs as a job too
   (path is the job's). tui_probe_start probes entry name's endpoints
   (NULL: every endpoint), for the list's and the detail view's p. */
void	 view_list_probe(struct tui *, struct view *, int);
void	 view_list_probe_all(struct tui *, struct view *, int);
void	 tui_probe_start(struct tui *, const char *name);
void	 list_import_start(struct tui *, char *path);
void	 view_list_renew(struct tui *, struct view *, int);
void	 view_list_renew_due(struct tui *, struct view *, int);
/* Y: sync with the remote in the background (list_jobs.c). */
void	 view_list_sync(struct tui *, struct view *, int);
void	 tui_sync_start(struct tui *);

/* The conflicts of a stopped sync (view_conflict.c): shown when the sync
   job posts them (result is a struct inv_sync_result, taken over; owner
   is NULL, the job being the operator's); o and
   t choose a side per entry; with every side chosen the sync runs again. */
extern const struct view_ops view_conflict_ops;
void	 view_conflict_landed(struct tui *, void *owner, void *result);
void	 view_conflict_choose(struct tui *, struct view *, int theirs);
/* The header's words about the remote, from inv_sync_status. */
void	 tui_sync_note(struct tui *);

/* The glyph of a probe health (enum inv_probe_health); ascii: t->ascii. */
const char *tui_probe_glyph(int ascii, int health);

/* The audit view (view_audit.c): the findings of the last sweep, by
   severity; a runs a sweep in the background and then shows it. */
extern const struct view_ops view_audit_ops;
void	*view_audit_new(struct tui *);
void	 view_audit_open(struct tui *, struct view *, int);
void	 view_list_audit(struct tui *, struct view *, int);
/* Show the audit view (read again if it is already on top). */
void	 tui_audit_show(struct tui *);

/* tui.c: after a change (ours or anyone's), bring the index up to HEAD and
   reload every view. */
void	 tui_reload(struct tui *);
/* Run the editor on text (the terminal is handed over meanwhile). */
int	 tui_edit_text(struct tui *, const char *text, const char *tag,
	    char **out, char **cause);

/* prompt.c: ask in the status bar (the format makes the question). */
void	 tui_ask(struct tui *, const char *initial, tui_prompt_done, void *arg,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void	 tui_confirm(struct tui *, tui_prompt_done, void *arg,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A passphrase or PIN: nothing of it is shown; done gets it, and it is
   wiped once done returns. */
void	 tui_ask_secret(struct tui *, tui_prompt_done, void *arg,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* What a job waits to ask once the open question closes (NULL: nothing),
   shown at the right of it. */
void	 tui_prompt_waiting(struct tui *, const char *what);
/* While a question is open: returns 1 (every key is its). */
int	 prompt_key(struct tui *, int key);
void	 prompt_draw(struct tui *);
/* Close an open question as cancelled (at exit). */
void	 prompt_cancel(struct tui *);

/* Status glyphs: ASCII in a non-UTF-8 locale (ascii: t->ascii). */
const char *tui_status_glyph(int ascii, int status);

#endif
