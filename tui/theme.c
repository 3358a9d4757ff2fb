/*
 * theme.c: named colour slots and the themes that style them. The slot
 * table below is the one list of slots: theme files may name exactly
 * these, and its columns are also the built-in default theme (a
 * foreground colour on the terminal's own background, plus attributes)
 * and the built-in monochrome theme (attributes only), used when no theme
 * file can be read. themes/default and themes/monochrome say the same
 * (tests/e2e/themes.sh checks). Expiry status is also a glyph and a word
 * in every view, so monochrome loses nothing.
 *
 * A theme is found by name: the operator's themes directory, the installed
 * one, themes/ beside the binary (the source tree), then the built-ins.
 * Anything wrong (an unknown name, a bad line) is reported and the UI
 * starts with the built-in theme: a typo never locks the operator out.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "status.h"
#include "util.h"
#include "view.h"
#include "theme_parse.h"
#include "uconf.h"

#ifndef CERTDECK_DATADIR
#define CERTDECK_DATADIR "/usr/local/share/certdeck"
#endif

/* S(slot, name, colour, colour attributes, monochrome attributes) */
#define THEME_SLOTS \
	S(SLOT_EXPIRED, "expired", COLOR_RED, A_BOLD, A_BOLD) \
	S(SLOT_CRITICAL, "critical", COLOR_RED, A_NORMAL, A_BOLD) \
	S(SLOT_WARNING, "warning", COLOR_YELLOW, A_NORMAL, A_UNDERLINE) \
	S(SLOT_OK, "ok", COLOR_GREEN, A_NORMAL, A_NORMAL) \
	S(SLOT_NONE, "none", -1, A_DIM, A_DIM) \
	S(SLOT_CURSOR, "cursor", -1, A_REVERSE, A_REVERSE) \
	S(SLOT_HEADER, "header", COLOR_CYAN, A_BOLD, A_BOLD) \
	S(SLOT_STATUS, "status", -1, A_REVERSE, A_REVERSE) \
	S(SLOT_TITLE, "title", -1, A_BOLD, A_BOLD) \
	S(SLOT_DIFF_ADD, "diff-add", COLOR_GREEN, A_NORMAL, A_BOLD) \
	S(SLOT_DIFF_DEL, "diff-del", COLOR_RED, A_NORMAL, A_DIM) \
	S(SLOT_DIFF_HUNK, "diff-hunk", COLOR_CYAN, A_NORMAL, A_UNDERLINE) \
	S(SLOT_DIFF_HEADER, "diff-header", COLOR_YELLOW, A_BOLD, A_BOLD) \
	S(SLOT_PROBE_FAIL, "probe-fail", COLOR_RED, A_BOLD, A_BOLD) \
	S(SLOT_PROBE_DRIFT, "probe-drift", COLOR_MAGENTA, A_BOLD, A_UNDERLINE)

/* Colours are curses' COLOR_* (the ANSI order a theme file numbers them
   in), -1 for the terminal's own. */
static const struct {
	enum theme_slot	 slot;
	const char	*name;
	short		 fg;
	attr_t		 attr;
	attr_t		 mono;
} theme_default[] = {
#define S(slot, name, fg, attr, mono) { slot, name, fg, attr, mono },
	THEME_SLOTS
#undef S
};
#define THEME_NSLOTS	nitems(theme_default)
_Static_assert(nitems(theme_default) == SLOT_COUNT,
    "every slot of enum theme_slot has a row in THEME_SLOTS");

static const char *const theme_slot_names[] = {
#define S(slot, name, fg, attr, mono) name,
	THEME_SLOTS
#undef S
};

/* THEME_A_* bit i is curses attribute theme_curses_attrs[i]. */
static const attr_t theme_curses_attrs[] = {
#define A(flag, name) A_##flag,
	THEME_ATTRS
#undef A
};

static attr_t theme_attrs[SLOT_COUNT];

/* A theme as chosen and read; styles[] is in the order of theme_default. */
struct theme {
	struct theme_style	 styles[SLOT_COUNT];
	char			*name;
	char			*from;		/* the file, or "built-in" */
	size_t			 unset;		/* slots the file left out */
};

static int
theme_env_colour(void)
{
	const char *s;

	if ((s = getenv("NO_COLOR")) != NULL && *s != '\0')
		return 0;
	if ((s = getenv("CERTDECK_COLOR")) != NULL && (strcmp(s, "never") == 0
	    || strcmp(s, "no") == 0 || strcmp(s, "0") == 0))
		return 0;
	return 1;
}

static unsigned
theme_from_curses(attr_t a)
{
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < nitems(theme_curses_attrs); i++)
		if ((a & theme_curses_attrs[i]) == theme_curses_attrs[i])
			bits |= 1u << i;
	return bits;
}

static attr_t
theme_to_curses(unsigned bits)
{
	attr_t a = A_NORMAL;
	size_t i;

	for (i = 0; i < nitems(theme_curses_attrs); i++)
		if (bits & (1u << i))
			a |= theme_curses_attrs[i];
	return a;
}

static void
theme_builtin(struct theme_style *st, int mono)
{
	size_t i;

	for (i = 0; i < THEME_NSLOTS; i++) {
		st[i].fg = mono ? THEME_DEFAULT : theme_default[i].fg;
		st[i].bg = THEME_DEFAULT;
		st[i].attrs = theme_from_curses(mono ? theme_default[i].mono :
		    theme_default[i].attr);
		st[i].line = 0;
	}
}

/* A theme name is a file name, nothing that walks out of the directory. */
static int
theme_name_ok(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return *s != '\0' && *s != '.' && *s != '-' && s[n] == '\0' && n <= 64;
}

/* The directories a theme is looked for in, in order, without repeats. */
static void
theme_dirs(struct strv *dirs)
{
	char exe[PATH_MAX], *d, *slash;
	ssize_t n;

	d = uconf_dir();
	strv_addn(dirs, xasprintf("%s/themes", d));
	free(d);
	if (!strv_has(dirs, CERTDECK_DATADIR "/themes"))
		strv_add(dirs, CERTDECK_DATADIR "/themes");
	/* Beside the binary: make demo and tests run from the source tree. */
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			d = xasprintf("%s/themes", *exe ? exe : "/");
			if (!strv_has(dirs, d))
				strv_addn(dirs, d);
			else
				free(d);
		}
	}
}

/* The file of theme name, or NULL (looked says where it looked). */
static char *
theme_find(const char *name, char **looked)
{
	struct strv dirs, shown;
	char *path = NULL;
	size_t i;

	strv_init(&dirs);
	strv_init(&shown);
	theme_dirs(&dirs);
	for (i = 0; i < dirs.n && path == NULL; i++) {
		path = xasprintf("%s/%s", dirs.v[i], name);
		if (access(path, F_OK) != 0) {
			free(path);
			path = NULL;
		}
	}
	for (i = 0; i < dirs.n; i++)
		strv_addn(&shown, uconf_tilde(dirs.v[i]));
	*looked = strv_join(&shown, ", ");
	strv_free(&shown);
	strv_free(&dirs);
	return path;
}

static int
theme_read(const char *path, struct theme *th, char **cause)
{
	char *data = NULL, *err = NULL, *shown = uconf_tilde(path);
	size_t len;
	int rc;

	if (read_file(path, 1 << 20, &data, &len, &err) != 0) {
		set_cause(cause, "%s: %s", shown, err);
		rc = -1;
	} else
		rc = theme_parse(data, len, shown, theme_slot_names,
		    THEME_NSLOTS, th->styles, cause);
	if (rc == 0)
		th->from = xstrdup(shown);
	free(err);
	free(data);
	free(shown);
	return rc;
}

/*
 * Choose and read the theme: name_opt (--theme), else CERTDECK_THEME, else
 * the user's config, else default; monochrome when colour is 0. With
 * builtin_only, files are not looked at (for the test that compares the
 * built-in themes with their files). Problems go to msgs; the theme is
 * then the built-in one.
 */
static void
theme_choose(const char *name_opt, int colour, int builtin_only,
    struct theme *th, struct strv *msgs)
{
	struct uconf uc;
	const char *name, *e;
	char *path = NULL, *looked = NULL, *cause = NULL;
	size_t i;

	memset(th, 0, sizeof *th);
	uconf_load(&uc, msgs);
	if (!colour)
		name = "monochrome";
	else if (name_opt != NULL && *name_opt != '\0')
		name = name_opt;
	else if ((e = getenv("CERTDECK_THEME")) != NULL && *e != '\0')
		name = e;
	else if (uc.theme != NULL)
		name = uc.theme;
	else
		name = "default";
	th->name = xstrdup(name);
	uconf_free(&uc);

	if (strchr(th->name, '/') != NULL)
		path = xstrdup(th->name);	/* a file, as given */
	else if (!theme_name_ok(th->name))
		strv_addn(msgs, xasprintf("theme name '%.40s' is not valid "
		    "(letters, digits, '.', '_' and '-')", th->name));
	else if (!builtin_only && (path = theme_find(th->name, &looked)) ==
	    NULL && strcmp(th->name, "default") != 0 &&
	    strcmp(th->name, "monochrome") != 0)
		strv_addn(msgs, xasprintf("theme %s not found (looked in %s)",
		    th->name, looked));
	else if (builtin_only && strcmp(th->name, "default") != 0 &&
	    strcmp(th->name, "monochrome") != 0)
		strv_addn(msgs, xasprintf("no built-in theme %s", th->name));
	free(looked);

	if (path != NULL && theme_read(path, th, &cause) == 0) {
		/* What the file leaves out keeps the built-in style. */
		struct theme_style base[SLOT_COUNT];

		theme_builtin(base, !colour || strcmp(th->name,
		    "monochrome") == 0);
		for (i = 0; i < THEME_NSLOTS; i++) {
			if (th->styles[i].line == 0) {
				th->styles[i] = base[i];
				th->unset++;
			}
		}
	} else {
		int mono = !colour || strcmp(th->name, "monochrome") == 0;

		if (cause != NULL)
			strv_addn(msgs, cause);
		theme_builtin(th->styles, mono);
		free(th->name);
		th->name = xstrdup(mono ? "monochrome" : "default");
		free(th->from);
		th->from = xstrdup("built-in");
	}
	free(path);
}

static void
theme_free(struct theme *th)
{
	free(th->name);
	free(th->from);
}

/* Colours to curses colour pairs, one per slot, on this terminal. */
static void
theme_apply(const struct theme *th, int colour)
{
	const struct theme_style *st;
	size_t i;
	int fg, bg, bright, dflt;

	dflt = colour && use_default_colors() == OK;
	for (i = 0; i < THEME_NSLOTS; i++) {
		attr_t a;

		st = &th->styles[i];
		a = theme_to_curses(st->attrs);
		if (colour && (st->fg >= 0 || st->bg >= 0)) {
			fg = theme_colour_fit(st->fg, COLORS, &bright);
			if (bright)
				a |= A_BOLD;
			bg = theme_colour_fit(st->bg, COLORS, &bright);
			if (!dflt && fg < 0)
				fg = COLOR_WHITE;
			if (!dflt && bg < 0)
				bg = COLOR_BLACK;
			if (COLOR_PAIRS > (int)i + 1 &&
			    init_pair((short)(i + 1), (short)fg, (short)bg) == OK)
				a |= COLOR_PAIR((int)i + 1);
		}
		theme_attrs[theme_default[i].slot] = a;
	}
}

void
theme_init(const char *name_opt, struct strv *msgs)
{
	struct theme th;
	int colour = theme_env_colour() && has_colors();

	if (colour && (start_color() == ERR || COLORS < 8))
		colour = 0;
	theme_choose(name_opt, colour, 0, &th, msgs);
	theme_apply(&th, colour);
	theme_free(&th);
}

int
theme_dump(const char *name_opt, int builtin_only, int ascii)
{
	struct theme th;
	struct strv msgs;
	struct buf b;
	size_t i;
	int rc;

	strv_init(&msgs);
	theme_choose(name_opt, theme_env_colour(), builtin_only, &th, &msgs);
	for (i = 0; i < THEME_NSLOTS && th.unset > 0; i++)
		if (th.styles[i].line == 0)
			strv_addn(&msgs, xasprintf("%s: slot %s is not set",
			    th.from, theme_slot_names[i]));
	buf_init(&b);
	buf_printf(&b, "# theme %s (%s)\n", th.name, th.from);
	theme_format(&b, theme_slot_names, THEME_NSLOTS, th.styles);
	fputs(b.data, stdout);
	for (i = 0; i < msgs.n; i++) {
		char *e = esc_dup(msgs.v[i], ascii);

		fprintf(stderr, "certdeck: %s\n", e);
		free(e);
	}
	rc = msgs.n > 0 ? 1 : 0;
	buf_free(&b);
	strv_free(&msgs);
	theme_free(&th);
	return rc;
}

attr_t
theme_attr(enum theme_slot s)
{
	return s < SLOT_COUNT ? theme_attrs[s] : A_NORMAL;
}

attr_t
theme_attr_over(attr_t base, enum theme_slot s)
{
	attr_t a = theme_attr(s);

	/* Two colour pairs or-ed together would be a third, unrelated one. */
	if (a & A_COLOR)
		base &= ~A_COLOR;
	return base | a;
}

enum theme_slot
theme_status_slot(int status)
{
	switch (status) {
	case ST_EXPIRED:
		return SLOT_EXPIRED;
	case ST_CRITICAL:
		return SLOT_CRITICAL;
	case ST_WARNING:
		return SLOT_WARNING;
	case ST_OK:
		return SLOT_OK;
	default:
		return SLOT_NONE;
	}
}
