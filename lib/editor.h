/*
 * editor.h: let the operator edit a text in their editor, as `certdeck
 * edit` and the terminal UI's `e` key do. The editor is $VISUAL, else
 * $EDITOR, else vi; its command is split on blanks into an argument vector
 * and run with fork/exec, never through a shell (DESIGN.md, Style 5).
 */
#ifndef CD_EDITOR_H
#define CD_EDITOR_H

/* The editor command as configured (never NULL, never empty). */
const char *editor_command(void);

/*
 * Write text to a temp file (mode 0600, in $TMPDIR or /tmp; its name ends
 * in tag, e.g. the entry's name), run the editor on it with this process's
 * terminal, wait for it, and read the file back into *out (caller frees).
 * The temp file is removed. While the editor runs, SIGINT and SIGQUIT are
 * the editor's, not ours. Returns 0, or -1 with *cause (and *out NULL)
 * when the editor cannot run or exits with a failure status.
 */
int	 editor_edit(const char *text, const char *tag, char **out,
	    char **cause);

#endif
