/*
 * prompt.c: a question in the status bar, a line of text (the owner, a
 * tag, a path), a secret (a key passphrase or a PIN a job asks for) or
 * y/n (remove, undo, edit again). While it is open it takes every key;
 * the answer goes to the asker's done function.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "escape.h"
#include "view.h"

#define PROMPT_MAX	1024	/* bytes of an answer */

static void
prompt_open(struct tui *t, int yesno, int secret, const char *initial,
    tui_prompt_done done, void *arg, const char *fmt, va_list ap)
{
	struct tui_prompt *p = &t->prompt;
	char *q;

	/* One question at a time: an open one is cancelled first. */
	prompt_cancel(t);
	q = xvasprintf(fmt, ap);
	p->question = tui_esc(t, q);
	free(q);
	buf_init(&p->text);
	/* A secret's buffer never grows: no copy left in freed memory. */
	if (secret)
		buf_reserve(&p->text, PROMPT_MAX + MB_LEN_MAX + 1);
	if (initial != NULL)
		buf_adds(&p->text, initial);
	p->yesno = yesno;
	p->secret = secret;
	p->done = done;
	p->arg = arg;
	p->open = 1;
	t->msg[0] = '\0';
}

void
tui_ask(struct tui *t, const char *initial, tui_prompt_done done, void *arg,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	prompt_open(t, 0, 0, initial, done, arg, fmt, ap);
	va_end(ap);
}

void
tui_confirm(struct tui *t, tui_prompt_done done, void *arg,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	prompt_open(t, 1, 0, NULL, done, arg, fmt, ap);
	va_end(ap);
}

void
tui_ask_secret(struct tui *t, tui_prompt_done done, void *arg,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	prompt_open(t, 0, 1, NULL, done, arg, fmt, ap);
	va_end(ap);
}

/* Close the question, then give the answer: done may ask the next one. */
static void
prompt_finish(struct tui *t, const char *answer)
{
	struct tui_prompt *p = &t->prompt;
	tui_prompt_done done = p->done;
	void *arg = p->arg;
	char *copy = answer != NULL ? xstrdup(answer) : NULL;
	int secret = p->secret;

	p->open = 0;
	free(p->question);
	p->question = NULL;
	if (p->text.data != NULL)
		explicit_bzero(p->text.data, p->text.len);
	buf_free(&p->text);
	p->done = NULL;
	p->arg = NULL;
	p->secret = 0;
	if (done != NULL)
		done(t, arg, copy);
	if (secret && copy != NULL)
		free_secret(copy, strlen(copy));
	else
		free(copy);
}

void
tui_prompt_waiting(struct tui *t, const char *what)
{
	free(t->prompt.waiting);
	t->prompt.waiting = what != NULL ? tui_esc(t, what) : NULL;
}

void
prompt_cancel(struct tui *t)
{
	if (t->prompt.open)
		prompt_finish(t, NULL);
}

int
prompt_key(struct tui *t, int key)
{
	struct tui_prompt *p = &t->prompt;
	char mb[MB_LEN_MAX + 1];
	mbstate_t ps;
	size_t n;

	if (!p->open)
		return 0;
	if (p->yesno) {
		if (key == 'y' || key == 'Y')
			prompt_finish(t, "y");
		else if (key == 'n' || key == 'N' || key == 27 || key == 'q' ||
		    key == '\r')
			prompt_finish(t, NULL);
		return 1;
	}
	switch (key) {
	case 27:	/* Esc */
		prompt_finish(t, NULL);
		break;
	case '\r':
		prompt_finish(t, p->text.data != NULL ? p->text.data : "");
		break;
	case KEY_BACKSPACE:
		if (p->text.len == 0)
			break;
		/* Drop one whole UTF-8 character (wiped: it may be a
		   secret's). */
		n = p->text.len;
		do
			p->text.len--;
		while (p->text.len > 0 &&
		    ((unsigned char)p->text.data[p->text.len] & 0xc0) == 0x80);
		explicit_bzero(p->text.data + p->text.len, n - p->text.len);
		break;
	case 0x15:	/* ^U: start again */
		if (p->text.data != NULL)
			explicit_bzero(p->text.data, p->text.len);
		buf_reset(&p->text);
		break;
	default:
		if (key >= 0x10000)
			key -= 0x10000;
		else if (key < 0x20 || key >= KEY_MIN)
			break;
		memset(&ps, 0, sizeof ps);
		n = wcrtomb(mb, (wchar_t)key, &ps);
		if (n == (size_t)-1 || p->text.len + n > PROMPT_MAX)
			break;
		buf_add(&p->text, mb, n);
		break;
	}
	return 1;
}

void
prompt_draw(struct tui *t)
{
	struct tui_prompt *p = &t->prompt;
	attr_t a = theme_attr(SLOT_STATUS);
	char *typed, *line;
	const char *tail;
	int room, cols;

	if (!p->open)
		return;
	tui_fill(LINES - 1, a);
	/* A job's question waiting for this one says so at the right. */
	cols = COLS;
	if (p->waiting != NULL && esc_width(p->waiting) < COLS / 2) {
		cols = COLS - esc_width(p->waiting) - 1;
		tui_put(LINES - 1, cols + 1, p->waiting, COLS - cols - 1, a);
	}
	if (p->yesno) {
		/* A long question (an error, then "edit again?") is cut
		   before the choice, which always shows. */
		int qw = esc_width(p->question);

		if (qw > cols - 6)
			qw = cols - 6;
		tui_put(LINES - 1, 0, p->question, qw, a);
		tui_put(LINES - 1, qw, " (y/n)", 6, a);
		return;
	}
	/* A secret shows nothing of itself, not even its length. */
	typed = tui_esc(t, p->text.data != NULL && !p->secret ?
	    p->text.data : "");
	/* A long answer shows its end, where the typing is. */
	room = cols - esc_width(p->question) - 2;
	for (tail = typed; *tail != '\0' && esc_width(tail) > room; ) {
		tail++;
		while (((unsigned char)*tail & 0xc0) == 0x80)
			tail++;
	}
	line = xasprintf("%s %s_", p->question, tail);
	tui_put(LINES - 1, 0, line, cols, a);
	free(line);
	free(typed);
}
