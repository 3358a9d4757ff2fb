/*
 * tui.h: the terminal UI, what `certdeck` with no command opens. It reads
 * the inventory through core/ only; ncurses lives in tui/ and nowhere else.
 */
#ifndef CD_TUI_H
#define CD_TUI_H

/*
 * Open the inventory (dir_opt is -C, or NULL for CERTDECK_DIR / XDG) and
 * run the UI until the operator quits, in the theme theme_opt (--theme, or
 * NULL for CERTDECK_THEME, the user's config, the default). Returns the exit status: 0 after a
 * quit, 2 when there is no terminal to drive or the inventory cannot be
 * opened (one line on stderr says why). On SIGTERM, SIGHUP and SIGINT the
 * terminal is restored and the process dies of that signal.
 */
int	tui_main(const char *dir_opt, const char *theme_opt);

#endif
