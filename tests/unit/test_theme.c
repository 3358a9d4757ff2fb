/* test_theme.c: theme files and the user config of the terminal UI (the
   curses-free parts: tui/theme_parse.c, tui/uconf.c). */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util.h"
#include "../../tui/theme_parse.h"
#include "../../tui/uconf.h"

static const char *const slots[] = { "expired", "ok", "cursor" };
#define NSLOTS	nitems(slots)

static int
parse(const char *text, struct theme_style *st, char **cause)
{
	memset(st, 0, NSLOTS * sizeof *st);
	*cause = NULL;
	return theme_parse(text, strlen(text), "themes/t", slots, NSLOTS, st,
	    cause);
}

/* The message for text, which must fail. */
static char *
parse_err(const char *text)
{
	struct theme_style st[NSLOTS];
	char *cause;

	assert_int_equal(parse(text, st, &cause), -1);
	assert_non_null(cause);
	return cause;
}

static void
t_colours(void **state)
{
	static const struct { const char *s; int c; } good[] = {
		{ "default", THEME_DEFAULT }, { "black", 0 }, { "red", 1 },
		{ "white", 7 }, { "bright-black", 8 }, { "bright-yellow", 11 },
		{ "bright-white", 15 }, { "color0", 0 }, { "color16", 16 },
		{ "color208", 208 }, { "color255", 255 },
	};
	static const char *bad[] = { "", "purpel", "Red", "bright-",
	    "bright-default", "color", "color256", "color-1", "color01",
	    "color2x", "color1000", "bright-color1", " red" };
	char buf[16], *name;
	size_t i;
	int c, n;

	(void)state;
	for (i = 0; i < nitems(good); i++) {
		c = 99;
		assert_int_equal(theme_colour_parse(good[i].s, &c), 0);
		assert_int_equal(c, good[i].c);
	}
	for (i = 0; i < nitems(bad); i++)
		assert_int_equal(theme_colour_parse(bad[i], &c), -1);
	/* Every colour's name reads back as that colour. */
	for (n = THEME_DEFAULT; n < 256; n++) {
		name = xstrdup(theme_colour_name(n, buf));
		assert_int_equal(theme_colour_parse(name, &c), 0);
		assert_int_equal(c, n);
		free(name);
	}
	assert_string_equal(theme_colour_name(9, buf), "bright-red");
	assert_string_equal(theme_colour_name(100, buf), "color100");
}

static void
t_parse(void **state)
{
	struct theme_style st[NSLOTS];
	char *cause;

	(void)state;
	assert_int_equal(parse(
	    "# a theme\n"
	    "\n"
	    "color expired  red     default bold underline   # trailing\n"
	    "\tcolor ok bright-green color236\r\n"
	    "color cursor default default reverse bold italic dim blink "
	    "standout", st, &cause), 0);
	assert_null(cause);
	assert_int_equal(st[0].fg, 1);
	assert_int_equal(st[0].bg, THEME_DEFAULT);
	assert_int_equal(st[0].attrs, THEME_A_BOLD | THEME_A_UNDERLINE);
	assert_int_equal(st[0].line, 3);
	assert_int_equal(st[1].fg, 10);
	assert_int_equal(st[1].bg, 236);
	assert_int_equal(st[1].attrs, 0);
	assert_int_equal(st[1].line, 4);
	assert_int_equal(st[2].attrs, THEME_A_REVERSE | THEME_A_BOLD |
	    THEME_A_ITALIC | THEME_A_DIM | THEME_A_BLINK | THEME_A_STANDOUT);

	/* Slots left out stay unset; an empty file sets none. */
	assert_int_equal(parse("color ok green default\n", st, &cause), 0);
	assert_int_equal(st[0].line, 0);
	assert_int_equal(st[1].line, 1);
	assert_int_equal(parse("", st, &cause), 0);

	/* Each error names the file, the line and the reason. */
	cause = parse_err("# x\ncolor ok green default\n"
	    "color expired purpel default\n");
	assert_string_equal(cause, "themes/t:3: unknown colour 'purpel'");
	free(cause);
	cause = parse_err("color ok default bright-pink\n");
	assert_string_equal(cause, "themes/t:1: unknown colour 'bright-pink'");
	free(cause);
	cause = parse_err("color diff-add green default\n");
	assert_string_equal(cause, "themes/t:1: unknown slot 'diff-add'");
	free(cause);
	cause = parse_err("color ok green default bold shiny\n");
	assert_string_equal(cause, "themes/t:1: unknown attribute 'shiny'");
	free(cause);
	cause = parse_err("\ncolour ok green default\n");
	assert_string_equal(cause,
	    "themes/t:2: unknown keyword 'colour' (expected color)");
	free(cause);
	cause = parse_err("color ok green\n");
	assert_string_equal(cause, "themes/t:1: color needs a slot, a "
	    "foreground and a background");
	free(cause);
	cause = parse_err("color ok green default\ncolor ok red default\n");
	assert_string_equal(cause,
	    "themes/t:2: slot ok is set twice (first on line 1)");
	free(cause);
	cause = parse_err("color ok red default bold bold bold bold bold "
	    "bold bold bold bold bold bold bold bold bold bold bold\n");
	assert_string_equal(cause, "themes/t:1: too many words");
	free(cause);
	cause = NULL;
	assert_int_equal(theme_parse("color ok\0", 9, "themes/t", slots,
	    NSLOTS, st, &cause), -1);
	assert_string_equal(cause, "themes/t: not a text file");
	free(cause);
}

static void
t_format(void **state)
{
	struct theme_style st[NSLOTS], back[NSLOTS];
	struct buf b;
	char *cause;
	size_t i;

	(void)state;
	st[0] = (struct theme_style){ 1, THEME_DEFAULT, THEME_A_BOLD, 0 };
	st[1] = (struct theme_style){ 208, 17, 0, 0 };
	st[2] = (struct theme_style){ THEME_DEFAULT, THEME_DEFAULT,
	    THEME_A_REVERSE | THEME_A_ITALIC, 0 };
	buf_init(&b);
	theme_format(&b, slots, NSLOTS, st);
	assert_string_equal(b.data,
	    "color expired red            default  bold\n"
	    "color ok      color208       color17\n"
	    "color cursor  default        default  reverse italic\n");
	assert_int_equal(parse(b.data, back, &cause), 0);
	for (i = 0; i < NSLOTS; i++) {
		assert_int_equal(back[i].fg, st[i].fg);
		assert_int_equal(back[i].bg, st[i].bg);
		assert_int_equal(back[i].attrs, st[i].attrs);
	}
	buf_free(&b);
}

static void
t_fit(void **state)
{
	int c, bright;

	(void)state;
	/* A terminal with 256 colours has them all. */
	for (c = 0; c < 256; c++) {
		assert_int_equal(theme_colour_fit(c, 256, &bright), c);
		assert_int_equal(bright, 0);
	}
	assert_int_equal(theme_colour_fit(THEME_DEFAULT, 8, &bright),
	    THEME_DEFAULT);
	/* 16 colours: the basic ones as they are, the rest the nearest. */
	for (c = 0; c < 16; c++)
		assert_int_equal(theme_colour_fit(c, 16, &bright), c);
	assert_int_equal(theme_colour_fit(196, 16, &bright), 9);	/* red */
	assert_int_equal(theme_colour_fit(160, 16, &bright), 1);
	assert_int_equal(theme_colour_fit(208, 16, &bright), 11); /* orange */
	assert_int_equal(theme_colour_fit(28, 16, &bright), 2);	/* green */
	assert_int_equal(theme_colour_fit(21, 16, &bright), 12);	/* blue */
	assert_int_equal(theme_colour_fit(16, 16, &bright), 0);	/* black */
	assert_int_equal(theme_colour_fit(231, 16, &bright), 15);	/* white */
	assert_int_equal(theme_colour_fit(244, 16, &bright), 8);	/* grey */
	assert_int_equal(theme_colour_fit(250, 16, &bright), 7);
	assert_int_equal(theme_colour_fit(233, 16, &bright), 0);
	assert_int_equal(bright, 0);
	/* 8 colours: bright ones become normal, said through bright. */
	assert_int_equal(theme_colour_fit(3, 8, &bright), 3);
	assert_int_equal(bright, 0);
	assert_int_equal(theme_colour_fit(9, 8, &bright), 1);
	assert_int_equal(bright, 1);
	assert_int_equal(theme_colour_fit(208, 8, &bright), 3);
	assert_int_equal(bright, 1);
	assert_int_equal(theme_colour_fit(160, 8, &bright), 1);
	assert_int_equal(bright, 0);
	/* 88 colours: only the basic 16 are shared with xterm's 256. */
	assert_int_equal(theme_colour_fit(46, 88, &bright), 10);
	/* Every colour lands in the palette. */
	for (c = 0; c < 256; c++) {
		assert_in_range(theme_colour_fit(c, 16, &bright), 0, 15);
		assert_in_range(theme_colour_fit(c, 8, &bright), 0, 7);
	}
}

static void
t_uconf(void **state)
{
	struct uconf u;
	struct strv warn;
	const char *text =
	    "# my settings\n"
	    "theme = light\n"
	    "colour = blue\n"
	    "just words\n"
	    "  theme   =   colorblind  \n";

	(void)state;
	memset(&u, 0, sizeof u);
	strv_init(&warn);
	uconf_parse(text, strlen(text), "~/.config/certdeck/config", &u, &warn);
	assert_string_equal(u.theme, "colorblind");
	assert_int_equal(warn.n, 2);
	assert_string_equal(warn.v[0],
	    "~/.config/certdeck/config:3: unknown setting 'colour'");
	assert_string_equal(warn.v[1],
	    "~/.config/certdeck/config:4: expected key = value");
	uconf_parse("theme =\n", 8, "c", &u, &warn);
	assert_null(u.theme);
	assert_int_equal(warn.n, 2);
	uconf_free(&u);
	strv_free(&warn);
}

static void
t_uconf_paths(void **state)
{
	char *home = tu_tmpdir(), *s, *t;

	(void)state;
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");
	s = uconf_dir();
	assert_true(str_startswith(s, home));
	assert_string_equal(s + strlen(home), "/.config/certdeck");
	free(s);
	setenv("XDG_CONFIG_HOME", "relative/ignored", 1);
	s = uconf_dir();
	assert_string_equal(s + strlen(home), "/.config/certdeck");
	free(s);
	setenv("XDG_CONFIG_HOME", "/etc/xdg-test", 1);
	s = uconf_dir();
	assert_string_equal(s, "/etc/xdg-test/certdeck");
	free(s);
	s = xasprintf("%s/.config/certdeck/themes", home);
	t = uconf_tilde(s);
	assert_string_equal(t, "~/.config/certdeck/themes");
	free(t);
	free(s);
	s = uconf_tilde("/elsewhere/themes");
	assert_string_equal(s, "/elsewhere/themes");
	free(s);
	tu_rmdir(home);
	free(home);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_colours),
		cmocka_unit_test(t_parse),
		cmocka_unit_test(t_format),
		cmocka_unit_test(t_fit),
		cmocka_unit_test(t_uconf),
		cmocka_unit_test(t_uconf_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
