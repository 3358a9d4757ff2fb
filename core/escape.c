/* escape.c: make untrusted text safe for a terminal or JSON (escape.h). */
#include <langinfo.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "escape.h"
#include "util.h"

/* Code points that must not reach a terminal as themselves. */
static int
unsafe(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0x061c || c == 0xfeff;
}

void
esc_text(struct buf *b, const char *s, int ascii)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	uint32_t c;

	while (n > 0) {
		/* Plain printable ASCII, the common case, goes in one copy. */
		for (len = 0; len < n && p[len] >= 0x20 && p[len] < 0x7f; len++)
			;
		if (len > 0) {
			buf_add(b, p, len);
			p += len;
			n -= len;
			continue;
		}
		len = utf8_decode(p, n, &c);
		if (len == 0) {
			buf_printf(b, "\\x%02x", *p);
			p++;
			n--;
			continue;
		}
		if (unsafe(c)) {
			if (c < 0x100)
				buf_printf(b, "\\x%02x", (unsigned)c);
			else
				buf_printf(b, "\\u{%04x}", (unsigned)c);
		} else if (ascii && c >= 0x80)
			buf_printf(b, "\\u{%04x}", (unsigned)c);
		else
			buf_add(b, p, len);
		p += len;
		n -= len;
	}
}

char *
esc_dup(const char *s, int ascii)
{
	struct buf b;

	buf_init(&b);
	esc_text(&b, s != NULL ? s : "", ascii);
	return buf_steal(&b);
}

void
esc_json(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	uint32_t c;

	buf_addc(b, '"');
	while (n > 0) {
		/* Plain printable ASCII, the common case, goes in one copy. */
		for (len = 0; len < n && p[len] >= 0x20 && p[len] < 0x7f &&
		    p[len] != '"' && p[len] != '\\'; len++)
			;
		if (len > 0) {
			buf_add(b, p, len);
			p += len;
			n -= len;
			continue;
		}
		len = utf8_decode(p, n, &c);
		if (len == 0) {
			/* Keep the JSON valid and the byte visible. */
			buf_printf(b, "\\\\x%02x", *p);
			p++;
			n--;
			continue;
		}
		switch (c) {
		case '"':
			buf_adds(b, "\\\"");
			break;
		case '\\':
			buf_adds(b, "\\\\");
			break;
		case '\n':
			buf_adds(b, "\\n");
			break;
		case '\t':
			buf_adds(b, "\\t");
			break;
		case '\r':
			buf_adds(b, "\\r");
			break;
		default:
			if (unsafe(c))
				buf_printf(b, "\\u%04x", (unsigned)c);
			else
				buf_add(b, p, len);
		}
		p += len;
		n -= len;
	}
	buf_addc(b, '"');
}

int
esc_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	uint32_t c;
	int w = 0, cw;

	while (n > 0) {
		len = utf8_decode(p, n, &c);
		if (len == 0) {
			len = 1;
			cw = 1;
		} else {
			cw = wcwidth((wchar_t)c);
			if (cw < 0)
				cw = 1;
		}
		w += cw;
		p += len;
		n -= len;
	}
	return w;
}

int
esc_locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs != NULL && (strcmp(cs, "UTF-8") == 0 ||
	    strcmp(cs, "utf8") == 0);
}
