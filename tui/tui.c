/*
 * tui.c: the terminal UI's main loop. One thread owns curses. The loop
 * polls the keyboard together with a self-pipe that the signal handlers
 * write to, so a resize redraws and SIGTERM, SIGHUP and SIGINT restore the
 * terminal before the process dies. A fatal signal (abort(), a failed
 * assertion, SIGSEGV, SIGQUIT...) cannot wait for the loop: its handler
 * writes the terminal's own reset sequences and the saved tty modes back
 * (tui_crash; write(2) and tcsetattr(3) are async-signal-safe, endwin is
 * not) and then dies of the signal. A second pipe wakes it when the
 * background job (worker.c) has posted progress or results. Every half
 * second it looks at HEAD (one ref read): when another operator, cron or a
 * git pull moved it, the views read the inventory again.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>
#include <term.h>

#include "audit.h"
#include "clock.h"
#include "cred.h"
#include "editor.h"
#include "escape.h"
#include "hsm.h"
#include "inventory.h"
#include "sync.h"
#include "tui.h"
#include "view.h"
#include "worker.h"

/* How often the loop looks whether HEAD moved. */
#define TUI_WATCH_MS	500

static int	 tui_pipe[2] = { -1, -1 };
static SCREEN	*tui_screen;
static int	 tui_curses_on;
static const int tui_signals[] = { SIGWINCH, SIGTERM, SIGHUP, SIGINT };
static const int tui_fatal_signals[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE,
    SIGILL, SIGQUIT, SIGTRAP, SIGSYS };

/* What tui_crash writes: prepared while curses is on, from terminfo. */
static struct termios	 tui_tty;
static int		 tui_tty_saved;
static char		 tui_reset[256];
static size_t		 tui_reset_len;

static void
tui_sig(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	/* The pipe is non-blocking: a full pipe already holds a wake-up. */
	if (write(tui_pipe[1], &c, 1) == -1)
		(void)0;
	errno = saved;
}

/* Give the terminal back: the one place curses is ended. */
static void
tui_restore(void)
{
	if (!tui_curses_on)
		return;
	tui_curses_on = 0;
	endwin();
}

/* The capabilities endwin would send, in its order: attributes off, keypad
   off, cursor shown, back to the normal screen. */
static void
tui_crash_prepare(void)
{
	static const char *caps[] = { "sgr0", "rmkx", "cnorm", "rmcup" };
	char *c;
	size_t i, n;

	tui_reset_len = 0;
	for (i = 0; i < nitems(caps); i++) {
		c = tigetstr((char *)caps[i]);
		if (c == NULL || c == (char *)-1)
			continue;
		n = strlen(c);
		if (tui_reset_len + n >= sizeof tui_reset)
			break;
		memcpy(tui_reset + tui_reset_len, c, n);
		tui_reset_len += n;
	}
}

/*
 * Give the terminal back by hand (async-signal-safe, no allocation): for a
 * fatal signal, and before the message of an allocation that failed
 * (util_on_fatal), which would otherwise be drawn on curses' screen and
 * vanish with it.
 */
static void
tui_crash_restore(void)
{
	ssize_t w;
	size_t off = 0;

	if (tui_curses_on) {
		tui_curses_on = 0;
		while (off < tui_reset_len) {
			w = write(STDOUT_FILENO, tui_reset + off,
			    tui_reset_len - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		if (write(STDOUT_FILENO, "\r\n", 2) == -1)
			(void)0;
		if (tui_tty_saved)
			tcsetattr(STDIN_FILENO, TCSANOW, &tui_tty);
	}
}

/* A fatal signal: give the terminal back, then die of it. */
static void
tui_crash(int sig)
{
	tui_crash_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
tui_fatal(const char *fmt, ...)
{
	va_list ap;

	tui_restore();
	fputs("certdeck: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

char *
tui_esc(struct tui *t, const char *s)
{
	return esc_dup(s != NULL ? s : "", t->ascii);
}

void
tui_message(struct tui *t, const char *fmt, ...)
{
	va_list ap;
	char *s, *e;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	e = tui_esc(t, s);
	snprintf(t->msg, sizeof t->msg, "%s", e);
	free(e);
	free(s);
}

/* Reports from core while the index catches up or a view reads it. */
static void
tui_report(void *arg, int level, const char *input, const char *msg)
{
	struct tui *t = arg;

	if (level == 0)
		return;
	t->warnings++;
	if (!tui_curses_on)
		return;
	tui_message(t, "%s%s%s", input ? input : "", input ? ": " : "", msg);
}

int
tui_push(struct tui *t, const struct view_ops *ops, void *priv)
{
	struct view *v;

	if (priv == NULL)
		return -1;
	if (t->depth == TUI_STACK_MAX) {
		/* Deep enough: replace the top rather than grow. */
		tui_pop(t);
	}
	v = &t->stack[t->depth++];
	v->ops = ops;
	v->priv = priv;
	if (ops->enter != NULL)
		ops->enter(t, v);
	return 0;
}

void
tui_pop(struct tui *t)
{
	struct view *v;

	if (t->depth == 0)
		return;
	v = &t->stack[--t->depth];
	if (v->ops->leave != NULL)
		v->ops->leave(t, v);
	v->priv = NULL;
	if (t->depth > 0 && t->stack[t->depth - 1].ops->enter != NULL)
		t->stack[t->depth - 1].ops->enter(t, &t->stack[t->depth - 1]);
}

struct view *
tui_top(struct tui *t)
{
	return t->depth > 0 ? &t->stack[t->depth - 1] : NULL;
}

void
tui_quit(struct tui *t)
{
	t->running = 0;
}

/* Columns of one UTF-8 character of an escaped string, and its length. */
static int
tui_char(const char *s, size_t *len)
{
	char one[8];
	size_t n = 1;
	unsigned char c = (unsigned char)*s;

	if (c >= 0xf0)
		n = 4;
	else if (c >= 0xe0)
		n = 3;
	else if (c >= 0xc0)
		n = 2;
	if (strnlen(s, n) < n)
		n = strnlen(s, n);
	memcpy(one, s, n);
	one[n] = '\0';
	*len = n;
	return esc_width(one);
}

void
tui_put(int y, int x, const char *s, int width, attr_t a)
{
	const char *ell;
	int w, ew, total, used = 0;
	size_t n, len;

	if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + width > COLS)
		width = COLS - x;
	ell = esc_locale_utf8() ? "\xe2\x80\xa6" : "~";
	ew = 1;
	total = esc_width(s);
	attr_set(a, PAIR_NUMBER(a), NULL);
	move(y, x);
	if (total <= width) {
		addstr(s);
		used = total;
	} else {
		for (n = 0; s[n] != '\0'; n += len) {
			w = tui_char(s + n, &len);
			if (used + w > width - ew)
				break;
			used += w;
		}
		addnstr(s, (int)n);
		addstr(ell);
		used += ew;
	}
	for (; used < width; used++)
		addch(' ');
	attr_set(A_NORMAL, 0, NULL);
}

void
tui_fill(int y, attr_t a)
{
	tui_put(y, 0, "", COLS, a);
}

void
tui_status_bar(struct tui *t, const char *left, const char *right)
{
	attr_t a = theme_attr(SLOT_STATUS);
	const char *job = worker_status(t);
	char *both = NULL;
	int rw = right != NULL ? esc_width(right) : 0;
	int y = LINES - 1;

	tui_fill(y, a);
	if (rw > COLS / 2)
		rw = COLS / 2;
	/* The running job first: it stays while messages come and go. */
	if (job != NULL)
		both = xasprintf("[%s]  %s", job, *t->msg ? t->msg :
		    left ? left : "");
	tui_put(y, 0, both != NULL ? both : *t->msg ? t->msg : left ? left :
	    "", COLS - rw - 1, a);
	free(both);
	if (rw > 0)
		tui_put(y, COLS - rw, right, rw, a);
}

int
tui_fits(void)
{
	static const char note[] = "terminal too small (need 80x24; Q quits)";

	if (COLS >= TUI_MIN_COLS && LINES >= TUI_MIN_LINES)
		return 1;
	erase();
	move(0, 0);
	addnstr(note, COLS);
	return 0;
}

int
tui_body_rows(int top)
{
	int n = LINES - top - 1;

	return n > 0 ? n : 0;
}

const char *
tui_probe_glyph(int ascii, int health)
{
	/* enum inv_probe_health: none, ok, warn, drift, fail */
	static const char *utf8[] = { "-", "\xe2\x9c\x93", "\xe2\x9a\xa0",
	    "\xe2\x89\xa0", "\xe2\x9c\x97" };
	static const char *glyph_ascii[] = { "-", "+", "~", "#", "X" };

	if (health < 0 || health > INV_PH_FAIL)
		health = INV_PH_NONE;
	return ascii ? glyph_ascii[health] : utf8[health];
}

const char *
tui_status_glyph(int ascii, int status)
{
	static const char *utf8[] = { "\xe2\x9c\x97", "\xe2\x80\xbc",
	    "\xe2\x9a\xa0", "\xe2\x9c\x93", "-" };
	static const char *glyph_ascii[] = { "X", "!", "~", " ", "-" };

	if (status < 0 || status > ST_NONE)
		status = ST_NONE;
	return ascii ? glyph_ascii[status] : utf8[status];
}

/* Map the keys that mean the same to one code; wide characters beyond
   ASCII are only text (for a prompt), never a key of the table. */
static int
tui_key_code(int rc, wint_t wc)
{
	if (rc == KEY_CODE_YES) {
		if (wc == KEY_ENTER)
			return '\r';
		return (int)wc;
	}
	if (wc == '\n')
		return '\r';
	if (wc == 0x7f || wc == 0x08)
		return KEY_BACKSPACE;
	return (int)wc < 0x80 ? (int)wc : (int)wc + 0x10000;
}

static void
tui_draw(struct tui *t)
{
	struct view *v = tui_top(t);

	erase();
	if (tui_fits() && v != NULL) {
		v->ops->draw(t, v);
		prompt_draw(t);
	}
	refresh();
}

static void
tui_resize(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
}

int
tui_edit_text(struct tui *t, const char *text, const char *tag, char **out,
    char **cause)
{
	int rc;

	/* The terminal is the editor's until it exits. */
	def_prog_mode();
	endwin();
	rc = editor_edit(text, tag, out, cause);
	reset_prog_mode();
	tui_resize();
	clearok(curscr, TRUE);
	refresh();
	return rc;
}

void
tui_reload(struct tui *t)
{
	char *err = NULL;
	int i;

	/* Cheap when another certdeck already brought the index along. */
	if (inv_refresh(t->inv, tui_report, t, &err) != 0) {
		tui_message(t, "%s", err);
		free(err);
	}
	tui_sync_note(t);
	for (i = 0; i < t->depth; i++)
		if (t->stack[i].ops->reload != NULL)
			t->stack[i].ops->reload(t, &t->stack[i]);
	if (repo_head(t->inv->repo, t->head_seen, NULL) < 0)
		t->head_seen[0] = '\0';
	t->head_wait[0] = '\0';
}

void
tui_sync_note(struct tui *t)
{
	struct inv_sync_status s;
	char *e;

	t->sync_note[0] = '\0';
	if (inv_sync_status(t->inv, NULL, &s, NULL) == 0 && s.remote != NULL) {
		e = tui_esc(t, s.remote);
		if (s.pending > 0)
			snprintf(t->sync_note, sizeof t->sync_note,
			    "%s: sync stopped (Y)", e);
		else if (s.tracked)
			snprintf(t->sync_note, sizeof t->sync_note,
			    "%s %zu ahead %zu behind", e, s.ahead, s.behind);
		else
			snprintf(t->sync_note, sizeof t->sync_note,
			    "%s never synced", e);
		free(e);
	}
	inv_sync_status_free(&s);
}

/*
 * Did HEAD move since the views were read? Then read again. A certdeck
 * that moved it brings the index along itself, holding the lock; so when
 * the index is still behind, wait one more tick before doing it here
 * (which would wait for that lock), and only a git pull or a hand commit
 * is left to us. Returns 1 if the views were read again.
 */
static int
tui_watch(struct tui *t)
{
	char head[REPO_OID_HEX], ihead[REPO_OID_HEX];

	if (repo_head(t->inv->repo, head, NULL) < 0 ||
	    strcmp(head, t->head_seen) == 0) {
		t->head_wait[0] = '\0';
		return 0;
	}
	if (idx_get_head(t->inv->idx, ihead, NULL) != 0)
		return 0;
	if (strcmp(ihead, head) != 0 && strcmp(t->head_wait, head) != 0) {
		snprintf(t->head_wait, sizeof t->head_wait, "%s", head);
		return 0;
	}
	tui_reload(t);
	return 1;
}

static int64_t
tui_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
tui_key(struct tui *t, int key)
{
	struct view *v = tui_top(t);

	if (key == KEY_RESIZE || v == NULL)
		return;
	/*
	 * Too small to draw: no key acts but Q. A question asked now (d, r,
	 * u) would be answered unseen; a pending one waits for the resize.
	 */
	if ((COLS < TUI_MIN_COLS || LINES < TUI_MIN_LINES) && key != 'Q')
		return;
	if (prompt_key(t, key))
		return;
	t->msg[0] = '\0';
	if (v->ops->key != NULL && v->ops->key(t, v, key))
		return;
	/* Esc while a job runs cancels it, in every view. */
	if (key == 27 && worker_cancel(t))
		return;
	if (!keys_dispatch(t, v, key)) {
		if (key < 0x80 && key >= 0x20)
			tui_message(t, "%c: no such key here (? for help)", key);
		else
			tui_message(t, "no such key here (? for help)");
	}
}

/* Returns the signal that ends the UI, or 0 after a quit. */
static int
tui_loop(struct tui *t)
{
	struct pollfd pfd[3];
	unsigned char sigs[64];
	struct view *v;
	wint_t wc;
	ssize_t n, i;
	int64_t next_watch, wait;
	int rc, endsig = 0, redraw, idle = 1, r;

	if (repo_head(t->inv->repo, t->head_seen, NULL) < 0)
		t->head_seen[0] = '\0';
	tui_draw(t);
	next_watch = tui_ms() + TUI_WATCH_MS;
	while (t->running && endsig == 0) {
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = tui_pipe[0];
		pfd[1].events = POLLIN;
		pfd[2].fd = worker_fd();
		pfd[2].events = POLLIN;
		pfd[2].revents = 0;
		wait = next_watch - tui_ms();
		if (wait < 0)
			wait = 0;
		if (wait > TUI_WATCH_MS)
			wait = TUI_WATCH_MS;
		/* The top view's left-over work goes on unless a key comes. */
		if (idle)
			wait = 0;
		if ((rc = poll(pfd, pfd[2].fd != -1 ? 3 : 2, (int)wait)) == -1) {
			if (errno == EINTR)
				continue;
			tui_fatal("poll: %s", strerror(errno));
		}
		redraw = rc > 0;
		if (pfd[1].revents & POLLIN) {
			n = read(tui_pipe[0], sigs, sizeof sigs);
			for (i = 0; i < n; i++) {
				if (sigs[i] == SIGWINCH)
					tui_resize();
				else
					endsig = sigs[i];
			}
		}
		if (endsig != 0)
			break;
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			/* The terminal went away. */
			endsig = SIGHUP;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			while (t->running && (rc = get_wch(&wc)) != ERR)
				tui_key(t, tui_key_code(rc, wc));
		}
		if (t->running && (pfd[2].revents & POLLIN) &&
		    worker_drain(t))
			redraw = 1;
		/* A job's question that waited for the operator's closed. */
		if (t->running && worker_ask_next(t))
			redraw = 1;
		if (t->running && tui_ms() >= next_watch) {
			if (tui_watch(t))
				redraw = 1;
			/* A running job's spinner and seconds move. */
			if (worker_busy(t)) {
				worker_tick(t);
				redraw = 1;
			}
			next_watch = tui_ms() + TUI_WATCH_MS;
		}
		if (rc > 0 || redraw)
			idle = 1;	/* a key or a result may leave work */
		else if (t->running && idle) {
			v = tui_top(t);
			r = v != NULL && v->ops->idle != NULL ?
			    v->ops->idle(t, v) : TUI_IDLE_NONE;
			idle = (r & TUI_IDLE_MORE) != 0;
			redraw = (r & TUI_IDLE_DRAW) != 0;
		}
		/* Nothing happened: nothing to draw (idle costs a ref read). */
		if (t->running && redraw)
			tui_draw(t);
	}
	prompt_cancel(t);
	return endsig;
}

static int
tui_signals_setup(void)
{
	struct sigaction sa;
	size_t i;
	int fl;

	if (pipe(tui_pipe) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		fl = fcntl(tui_pipe[i], F_GETFL);
		fcntl(tui_pipe[i], F_SETFL, fl | O_NONBLOCK);
		fcntl(tui_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tui_sig;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	/* Installed before newterm, so curses keeps its hands off these. */
	for (i = 0; i < nitems(tui_signals); i++)
		sigaction(tui_signals[i], &sa, NULL);
	/* Fatal ones die in their handler; SA_RESETHAND so that a fault in
	   it cannot loop. */
	sa.sa_handler = tui_crash;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (i = 0; i < nitems(tui_fatal_signals); i++)
		sigaction(tui_fatal_signals[i], &sa, NULL);
	util_on_fatal(tui_crash_restore);
	/* The modes the shell had: what tui_crash puts back. */
	tui_tty_saved = tcgetattr(STDIN_FILENO, &tui_tty) == 0;
	return 0;
}

/*
 * What a job needs and no file gives (CERTDECK_PASSPHRASE_FILE,
 * CERTDECK_PKCS11_PIN_FILE, an ssh key's passphrase) is asked for in
 * the status bar, without echo, on behalf of the job's thread.
 */
static char *
tui_pass_prompt(void)
{
	return worker_ask_secret("key passphrase");
}

static char *
tui_pin_prompt(const char *token)
{
	char *q = xasprintf("PIN of PKCS#11 token %s", token);
	char *pin = worker_ask_secret(q);

	free(q);
	return pin;
}

static char *
tui_cred_prompt(const char *question)
{
	return worker_ask_secret(question);
}

int
tui_main(const char *dir_opt, const char *theme_opt)
{
	struct tui t;
	struct strv theme_msgs;
	char *err = NULL;
	const char *term, *dump;
	void *lv;
	size_t i;
	int sig, terr = 0;

	/* For tests and theme authors: the theme, as a theme file. */
	if ((dump = getenv("CERTDECK_THEME_DUMP")) != NULL && *dump != '\0')
		return theme_dump(theme_opt, strcmp(dump, "builtin") == 0,
		    !esc_locale_utf8());
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fputs("certdeck: the terminal UI needs a terminal on standard "
		    "input and output; in scripts use certdeck list\n", stderr);
		return 2;
	}
	memset(&t, 0, sizeof t);
	t.ascii = !esc_locale_utf8();
	t.now = clock_now();
	t.dir = inv_locate(dir_opt);
	if (inv_open(t.dir, 0, tui_report, &t, &t.inv, &err) != 0) {
		char *e = tui_esc(&t, err);

		fprintf(stderr, "certdeck: %s\n", e);
		free(e);
		free(err);
		free(t.dir);
		return 2;
	}
	t.dir_esc = tui_esc(&t, t.dir);
	inv_set_passphrase_prompt(tui_pass_prompt);
	hsm_set_pin_prompt(tui_pin_prompt);
	cred_set_prompt(tui_cred_prompt);
	if (tui_signals_setup() == -1) {
		fprintf(stderr, "certdeck: pipe: %s\n", strerror(errno));
		inv_close(t.inv);
		free(t.dir);
		free(t.dir_esc);
		return 2;
	}
	term = getenv("TERM");
	/* Ask terminfo first: a newterm that fails leaks in libtinfo. */
	if (setupterm(NULL, STDOUT_FILENO, &terr) == OK) {
		/* A full screen needs cursor addressing: not a dumb, generic
		   or hard-copy terminal, which curses would smear. */
		char *cup = tigetstr("cup");
		int drivable = cup != NULL && cup != (char *)-1 &&
		    tigetflag("hc") <= 0 && tigetflag("gn") <= 0;

		del_curterm(cur_term);
		if (drivable)
			tui_screen = newterm(NULL, stdout, stdin);
	}
	if (tui_screen == NULL) {
		char *e = tui_esc(&t, term ? term : "");

		fprintf(stderr, "certdeck: cannot drive terminal type \"%s\" "
		    "(TERM); use certdeck list\n", e);
		free(e);
		inv_close(t.inv);
		free(t.dir);
		free(t.dir_esc);
		return 2;
	}
	tui_crash_prepare();
	tui_curses_on = 1;
	atexit(tui_restore);
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	strv_init(&theme_msgs);
	theme_init(theme_opt, &theme_msgs);

	t.running = 1;
	tui_sync_note(&t);
	lv = view_list_new(&t);
	tui_push(&t, &view_list_ops, lv);
	if (theme_msgs.n > 0 && t.msg[0] == '\0')
		tui_message(&t, "%s%s", theme_msgs.v[0], theme_msgs.n > 1 ?
		    " (and more, shown when certdeck exits)" : "");
	if (t.warnings > 0 && t.msg[0] == '\0')
		tui_message(&t, "%d problem%s while the index caught up with "
		    "git (see certdeck fsck)", t.warnings,
		    t.warnings == 1 ? "" : "s");
	sig = tui_loop(&t);
	/* A running job is told to stop and waited for (a probe stops
	   within a tenth of a second) before the terminal is given back. */
	worker_stop(&t);
	tui_restore();
	while (t.depth > 0) {
		struct view *v = &t.stack[--t.depth];

		v->ops->leave(&t, v);
	}
	delscreen(tui_screen);
	tui_screen = NULL;
	inv_close(t.inv);
	/* The theme's problems again, where they stay readable. */
	for (i = 0; i < theme_msgs.n; i++) {
		char *e = tui_esc(&t, theme_msgs.v[i]);

		fprintf(stderr, "certdeck: %s\n", e);
		free(e);
	}
	strv_free(&theme_msgs);
	audit_findings_free(t.unrec_f, t.unrec_n);
	free(t.dir);
	free(t.dir_esc);
	if (sig != 0) {
		/* Die of the signal, as the shell expects. */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return 0;
}

size_t
tui_scroll(size_t top, size_t max, size_t page, int how)
{
	switch (how) {
	case -MOVE_LINE:
		top = top > 0 ? top - 1 : 0;
		break;
	case MOVE_LINE:
		top++;
		break;
	case -MOVE_PAGE:
		top = top > page ? top - page : 0;
		break;
	case MOVE_PAGE:
		top += page;
		break;
	case -MOVE_END:
		top = 0;
		break;
	case MOVE_END:
		top = max;
		break;
	}
	return top > max ? max : top;
}
