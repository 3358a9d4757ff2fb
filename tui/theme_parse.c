/* theme_parse.c: theme files, without curses (theme_parse.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "theme_parse.h"

static const char *const theme_colour_names[] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"
};

static const char *const theme_attr_names[] = {
#define A(flag, name) name,
	THEME_ATTRS
#undef A
};

/*
 * xterm's 256 colours to the 16 of the basic palette, fixed so that every
 * terminal shows a theme the same way. 0-15 are themselves; the 6x6x6 cube
 * (16-231) and the grey ramp (232-255) go, by their RGB value, to a grey
 * when the spread between the largest and smallest component is under 60
 * (black, bright-black, white, bright-white by lightness), else to the
 * colour made of the components at least halfway between the smallest and
 * the largest, bright when the largest is 255.
 */
static const unsigned char theme_256to16[256] = {
	 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15,
	 0,  4,  4,  4,  4, 12,  2,  6,  6,  6,  4, 12,  2,  6,  6,  6,
	 6, 14,  2,  6,  6,  6,  6, 14,  2,  2,  6,  6,  6, 14, 10, 10,
	14, 14, 14, 14,  1,  5,  5,  5,  4, 12,  3,  8,  8,  4,  4, 12,
	 3,  8,  8,  6,  4, 12,  3,  2,  6,  6,  6, 14,  2,  2,  2,  6,
	 6, 14, 10, 10, 10, 14, 14, 14,  1,  5,  5,  5,  5, 13,  3,  8,
	 8,  5,  4, 12,  3,  8,  8,  7,  4, 12,  3,  3,  7,  7,  6, 12,
	 3,  2,  2,  6,  6, 14, 11, 10, 10, 10, 14, 14,  1,  5,  5,  5,
	 5, 13,  3,  1,  5,  5,  5, 13,  3,  3,  7,  7,  5, 12,  3,  3,
	 7,  7,  7, 12,  3,  3,  3,  7,  7, 14, 11, 11, 10, 10, 14, 14,
	 1,  1,  5,  5,  5, 13,  1,  1,  1,  5,  5, 13,  3,  1,  1,  5,
	 5, 13,  3,  3,  3,  7,  7, 13,  3,  3,  3,  7,  7, 15, 11, 11,
	11, 11, 15, 15,  9,  9, 13, 13, 13, 13,  9,  9,  9, 13, 13, 13,
	11,  9,  9,  9, 13, 13, 11, 11,  9,  9, 13, 13, 11, 11, 11, 11,
	15, 15, 11, 11, 11, 11, 15, 15,  0,  0,  0,  0,  8,  8,  8,  8,
	 8,  8,  8,  8,  8,  8,  8,  7,  7,  7,  7,  7,  7,  7, 15, 15,
};

int
theme_colour_parse(const char *s, int *colour)
{
	const char *p;
	size_t i;
	int n;

	if (strcmp(s, "default") == 0) {
		*colour = THEME_DEFAULT;
		return 0;
	}
	if (str_startswith(s, "color")) {
		p = s + 5;
		/* 0 to 255, no sign, no leading zero. */
		if (*p == '\0' || strlen(p) > 3 || (*p == '0' && p[1] != '\0'))
			return -1;
		for (n = 0; *p != '\0'; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			n = n * 10 + (*p - '0');
		}
		if (n > 255)
			return -1;
		*colour = n;
		return 0;
	}
	n = 0;
	if (str_startswith(s, "bright-")) {
		s += 7;
		n = 8;
	}
	for (i = 0; i < nitems(theme_colour_names); i++) {
		if (strcmp(s, theme_colour_names[i]) == 0) {
			*colour = n + (int)i;
			return 0;
		}
	}
	return -1;
}

const char *
theme_colour_name(int colour, char *buf)
{
	if (colour < 0)
		return "default";
	if (colour < 8)
		return theme_colour_names[colour];
	if (colour < 16)
		snprintf(buf, 16, "bright-%s", theme_colour_names[colour - 8]);
	else
		snprintf(buf, 16, "color%d", colour & 0xff);
	return buf;
}

const char *
theme_attr_name(int i)
{
	return i >= 0 && i < THEME_A_COUNT ? theme_attr_names[i] : "";
}

static int
theme_attr_parse(const char *s, unsigned *attrs)
{
	int i;

	for (i = 0; i < THEME_A_COUNT; i++) {
		if (strcmp(s, theme_attr_names[i]) == 0) {
			*attrs |= 1u << i;
			return 0;
		}
	}
	return -1;
}

/* Split line (modified) on blanks; a word starting with # ends it. */
static size_t
theme_words(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		p += strspn(p, " \t\r");
		if (*p == '\0' || *p == '#')
			break;
		if (n == max)
			return max + 1;
		w[n++] = p;
		p += strcspn(p, " \t\r");
		if (*p == '\0')
			break;
		*p++ = '\0';
	}
	return n;
}

/* The longest line: color, slot, fg, bg and each attribute twice. */
#define THEME_MAX_WORDS	(4 + 2 * THEME_A_COUNT)

int
theme_parse(const char *text, size_t len, const char *name,
    const char *const *slots, size_t nslots, struct theme_style *styles,
    char **cause)
{
	const char *p = text, *end = text + len, *nl;
	char *line = NULL, *w[THEME_MAX_WORDS];
	struct theme_style st;
	size_t n, i, slot;
	int lineno = 0;

	if (memchr(text, '\0', len) != NULL)
		return set_cause(cause, "%s: not a text file", name);
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		free(line);
		line = xstrndup(p, nl ? (size_t)(nl - p) : (size_t)(end - p));
		p = nl ? nl + 1 : end;
		n = theme_words(line, w, nitems(w));
		if (n == 0)
			continue;
		if (strcmp(w[0], "color") != 0) {
			set_cause(cause, "%s:%d: unknown keyword '%.40s' "
			    "(expected color)", name, lineno, w[0]);
			goto fail;
		}
		if (n < 4) {
			set_cause(cause, "%s:%d: color needs a slot, a "
			    "foreground and a background", name, lineno);
			goto fail;
		}
		if (n > nitems(w)) {
			set_cause(cause, "%s:%d: too many words", name, lineno);
			goto fail;
		}
		for (slot = 0; slot < nslots; slot++)
			if (strcmp(w[1], slots[slot]) == 0)
				break;
		if (slot == nslots) {
			set_cause(cause, "%s:%d: unknown slot '%.40s'", name,
			    lineno, w[1]);
			goto fail;
		}
		if (styles[slot].line != 0) {
			set_cause(cause, "%s:%d: slot %s is set twice (first "
			    "on line %d)", name, lineno, slots[slot],
			    styles[slot].line);
			goto fail;
		}
		memset(&st, 0, sizeof st);
		for (i = 2; i < 4; i++) {
			if (theme_colour_parse(w[i], i == 2 ? &st.fg : &st.bg)
			    != 0) {
				set_cause(cause, "%s:%d: unknown colour "
				    "'%.40s'", name, lineno, w[i]);
				goto fail;
			}
		}
		for (i = 4; i < n; i++) {
			if (theme_attr_parse(w[i], &st.attrs) != 0) {
				set_cause(cause, "%s:%d: unknown attribute "
				    "'%.40s'", name, lineno, w[i]);
				goto fail;
			}
		}
		st.line = lineno;
		styles[slot] = st;
	}
	free(line);
	return 0;
fail:
	free(line);
	return -1;
}

void
theme_format(struct buf *b, const char *const *slots, size_t nslots,
    const struct theme_style *styles)
{
	char fg[16], bg[16];
	size_t i;
	int a, width = 0;

	for (i = 0; i < nslots; i++)
		if ((int)strlen(slots[i]) > width)
			width = (int)strlen(slots[i]);
	for (i = 0; i < nslots; i++) {
		buf_printf(b, "color %-*s %-14s %-8s", width, slots[i],
		    theme_colour_name(styles[i].fg, fg),
		    theme_colour_name(styles[i].bg, bg));
		for (a = 0; a < THEME_A_COUNT; a++)
			if (styles[i].attrs & (1u << a))
				buf_printf(b, " %s", theme_attr_names[a]);
		/* No blanks at the end of a line. */
		while (b->len > 0 && b->data[b->len - 1] == ' ')
			b->data[--b->len] = '\0';
		buf_addc(b, '\n');
	}
}

int
theme_colour_fit(int colour, int ncolours, int *bright)
{
	*bright = 0;
	if (colour < 0 || colour > 255)
		return THEME_DEFAULT;
	if (ncolours >= 256)
		return colour;
	/* Other palettes (88 colours) do not share xterm's 16-255. */
	if (colour >= 16)
		colour = theme_256to16[colour];
	if (colour >= 8 && ncolours < 16) {
		*bright = 1;
		colour -= 8;
	}
	return colour;
}
