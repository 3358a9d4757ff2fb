/* escape.c: make untrusted text safe for a terminal or JSON (escape.h). */
#include <langinfo.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "escape.h"
#include "util.h"

/*
 * Decode one UTF-8 sequence at s (n bytes left). Returns its length and
 * the code point in *cp, or 0 if the bytes are not valid UTF-8 (overlong
 * forms, surrogates and values past U+10FFFF are invalid).
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

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
