/*
 * theme_parse.h: theme files, without curses. A theme file is lines
 *
 *	color SLOT FG BG [ATTR...]
 *
 * and "#" comments. FG and BG are "default", one of the eight colour names,
 * "bright-NAME" (the 16-colour palette) or "colorN" (0-255); ATTR is one of
 * THEME_ATTRS. theme.c owns the slot names and turns styles into curses
 * attributes; this part only reads and writes text, so tests link it alone.
 */
#ifndef CD_TUI_THEME_PARSE_H
#define CD_TUI_THEME_PARSE_H

#include <stddef.h>

#include "util.h"

/* The terminal's own colour. */
#define THEME_DEFAULT	(-1)

/* A(flag, name): the attributes a theme can ask for; theme.c maps each
   to the curses A_ attribute of the same name. */
#define THEME_ATTRS \
	A(BOLD, "bold") \
	A(DIM, "dim") \
	A(UNDERLINE, "underline") \
	A(REVERSE, "reverse") \
	A(BLINK, "blink") \
	A(STANDOUT, "standout") \
	A(ITALIC, "italic")

enum theme_attr_bit {
#define A(flag, name) THEME_A_BIT_##flag,
	THEME_ATTRS
#undef A
	THEME_A_COUNT
};
enum theme_attr_flag {
#define A(flag, name) THEME_A_##flag = 1 << THEME_A_BIT_##flag,
	THEME_ATTRS
#undef A
};

/* One slot's style. */
struct theme_style {
	int		 fg, bg;	/* THEME_DEFAULT or 0-255 */
	unsigned	 attrs;		/* THEME_A_* */
	int		 line;		/* where the file set it; 0 = not set */
};

/*
 * Parse a theme file's text into styles[nslots], one per name of slots[]
 * (the only slot names accepted). name is the file as messages show it:
 * "NAME:LINE: reason". Slots the file does not set are left as they were,
 * with line 0. Returns 0, or -1 with *cause set at the first error.
 */
int	 theme_parse(const char *text, size_t len, const char *name,
	    const char *const *slots, size_t nslots, struct theme_style *styles,
	    char **cause);

/* A colour from its name; 0, or -1 if it is not one. */
int	 theme_colour_parse(const char *, int *colour);
/* The name of a colour, as theme_colour_parse reads it; buf of 16. */
const char *theme_colour_name(int colour, char *buf);
/* The name of attribute bit i (0 <= i < THEME_A_COUNT). */
const char *theme_attr_name(int i);

/* Append styles as the lines of a theme file, in the order of slots[]. */
void	 theme_format(struct buf *, const char *const *slots, size_t nslots,
	    const struct theme_style *styles);

/*
 * The colour to use for colour (0-255) on a terminal with ncolours
 * colours (8 or more): colour itself when the terminal has it, else the
 * nearest of the 16-colour palette, and on an 8-colour terminal the
 * normal colour of a bright one, with *bright set (the caller shows a
 * bright foreground as bold). THEME_DEFAULT stays THEME_DEFAULT.
 */
int	 theme_colour_fit(int colour, int ncolours, int *bright);

#endif
