/*
 * theme.c: named colour slots. The built-in default theme maps each slot to
 * a foreground colour (on the terminal's own background) plus attributes;
 * the monochrome theme, used with NO_COLOR, CERTDECK_COLOR=never or a
 * terminal without colours, uses attributes only. Expiry status is also a
 * glyph and a word in every view, so monochrome loses nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "util.h"
#include "view.h"

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
	S(SLOT_TITLE, "title", -1, A_BOLD, A_BOLD)

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

static attr_t theme_attrs[SLOT_COUNT];

static int
theme_want_colour(void)
{
	const char *s;

	if ((s = getenv("NO_COLOR")) != NULL && *s != '\0')
		return 0;
	if ((s = getenv("CERTDECK_COLOR")) != NULL && (strcmp(s, "never") == 0
	    || strcmp(s, "no") == 0 || strcmp(s, "0") == 0))
		return 0;
	return has_colors();
}

void
theme_init(void)
{
	size_t i;
	int colour = theme_want_colour();
	short bg = COLOR_BLACK;

	if (colour && start_color() == ERR)
		colour = 0;
	if (colour && use_default_colors() == OK)
		bg = -1;
	for (i = 0; i < nitems(theme_default); i++) {
		attr_t a;

		if (!colour) {
			theme_attrs[theme_default[i].slot] = theme_default[i].mono;
			continue;
		}
		a = theme_default[i].attr;
		if (theme_default[i].fg >= 0 && COLOR_PAIRS > (int)i + 1 &&
		    init_pair((short)(i + 1), theme_default[i].fg, bg) == OK)
			a |= COLOR_PAIR((int)i + 1);
		theme_attrs[theme_default[i].slot] = a;
	}
}

attr_t
theme_attr(enum theme_slot s)
{
	return s < SLOT_COUNT ? theme_attrs[s] : A_NORMAL;
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
