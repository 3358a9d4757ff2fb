/*
 * escape.h: making untrusted text (certificate fields, file names, commit
 * messages, TLS peers) safe to show. Every front-end passes such text
 * through one of these at the point where it is printed or drawn.
 */
#ifndef CD_ESCAPE_H
#define CD_ESCAPE_H

#include <stddef.h>

struct buf;

/*
 * Append s to b with every byte that could act on a terminal made visible:
 * C0 and C1 control characters, DEL, invalid UTF-8 and bidirectional
 * overrides become \xNN (or \u{NNNN}); valid printable UTF-8 is kept.
 * With ascii set, every non-ASCII character is escaped too (C locale).
 */
void	 esc_text(struct buf *b, const char *s, int ascii);
/* The same, returned as a new string the caller frees. */
char	*esc_dup(const char *s, int ascii);
/* Append s as a JSON string literal (quotes included), after esc_text's
   treatment of invalid UTF-8, so the output is always valid JSON. */
void	 esc_json(struct buf *b, const char *s);
/* Terminal columns of an already escaped, valid UTF-8 string. */
int	 esc_width(const char *s);
/* Whether the current locale's character set is UTF-8. */
int	 esc_locale_utf8(void);

#endif
