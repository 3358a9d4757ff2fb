/*
 * ttydrive.c: drive a terminal program under a pseudo-terminal and measure
 * what reaches the screen, for the UI benchmark (bench/tui). The program
 * runs on a pty of COLSxLINES; each measurement writes keys and reads the
 * output until, after its first byte, it has been quiet for QUIET ms (every
 * key measured must draw something). Reported per step: the time
 * from the write (or, for the start, from the fork) to the LAST byte of
 * the response, to its FIRST byte (a program that draws in two goes, a
 * screen and then a count, has shown the screen by then: curses writes a
 * screen's update at once), and the bytes of the response. The quiet wait
 * is not counted: the screen was complete when its last byte arrived.
 *
 *   ttydrive [-c COLS] [-l LINES] [-q QUIET_MS] [-w TEXT] [-W TEXT]
 *       STEPS -- CMD...
 *
 * -w TEXT: the start is complete once TEXT has been seen in the output,
 * e.g. the status bar of a full screen; its time is that of the read that
 * brought TEXT (then it waits until quiet). -W TEXT: then wait until TEXT
 * too has been seen and it was quiet, before the steps (a program that
 * shows a first screen and then the rest), reported as "whole".
 * STEPS: one step a line, "LABEL<TAB>COUNT<TAB>KEYS", KEYS with the escapes
 * \e (Esc), \r, \t, \\ and \xHH; each of the COUNT repetitions is one
 * measurement. Lines starting with # are comments. Output, one line per
 * step: "LABEL n=COUNT median_ms=.. max_ms=.. median_first_ms=..
 * median_bytes=.. max_bytes=.. total_bytes=..", first "start ms=..
 * bytes=.." (and with -W "whole ms=.. bytes=.."). Finally it sends Q and
 * waits (bounded) for the program to exit.
 *
 * Build: cc -O2 -o ttydrive ttydrive.c -lutil
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXREP	1000
#define DEADLINE_MS 60000	/* any one response */

static int master = -1;
static pid_t child;

static void
die(const char *what)
{
	fprintf(stderr, "ttydrive: %s: %s\n", what, strerror(errno));
	if (child > 0)
		kill(child, SIGTERM);
	exit(2);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Whether text is in the output so far: the new bytes buf, and the end of
   what came before (kept in tail, so that text split across reads is
   found). */
static int
seen_in(char *tail, size_t *tlen, size_t tcap, const char *buf, size_t n,
    const char *text)
{
	size_t keep = n < tcap / 2 ? n : tcap / 2, tl = strlen(text);
	int found;

	if (*tlen + keep > tcap - 1) {
		memmove(tail, tail + *tlen - tcap / 4, tcap / 4);
		*tlen = tcap / 4;
	}
	memcpy(tail + *tlen, buf + n - keep, keep);
	*tlen += keep;
	tail[*tlen] = '\0';
	found = memmem(tail, *tlen, text, tl) != NULL ||
	    memmem(buf, n, text, tl) != NULL;
	return found;
}

/*
 * Read until quiet for quiet ms after the first byte (after want was seen,
 * if given), or until the program exits; a key that draws nothing waits
 * for DEADLINE_MS and fails. Returns the time of the last byte read, and
 * the byte count, the time of the first byte and that of the read that
 * brought want (or the first byte). also (if not NULL): *also_seen says
 * whether that text came too.
 */
static double
settle(double t0, int quiet, const char *want, const char *also,
    int *also_seen, size_t *bytes, double *first, double *seen_at)
{
	static char tail[4096], tail2[4096];
	size_t tlen = 0, tlen2 = 0;
	char buf[65536];
	struct pollfd p;
	double last = t0, t;
	ssize_t n;
	int seen = 0, rc;

	*bytes = 0;
	*first = *seen_at = 0;
	if (also_seen != NULL)
		*also_seen = 0;
	for (;;) {
		t = now_ms();
		if (t - t0 > DEADLINE_MS) {
			errno = ETIMEDOUT;
			die("no settled screen");
		}
		p.fd = master;
		p.events = POLLIN;
		rc = poll(&p, 1, seen ? quiet : 100);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			die("poll");
		if (rc == 0) {
			if (seen)
				return last;
			continue;
		}
		n = read(master, buf, sizeof buf);
		if (n <= 0) {
			/* The program went away. */
			return last;
		}
		last = now_ms();
		if (*bytes == 0)
			*first = last;
		*bytes += (size_t)n;
		if (!seen && (want == NULL || seen_in(tail, &tlen, sizeof tail,
		    buf, (size_t)n, want))) {
			seen = 1;
			*seen_at = last;
		}
		if (also != NULL && !*also_seen && seen_in(tail2, &tlen2,
		    sizeof tail2, buf, (size_t)n, also))
			*also_seen = 1;
	}
}

static size_t
unescape(const char *s, char *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (*s != '\0' && n < max) {
		if (*s != '\\' || s[1] == '\0') {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'e': out[n++] = 27; s++; break;
		case 'r': out[n++] = '\r'; s++; break;
		case 't': out[n++] = '\t'; s++; break;
		case '\\': out[n++] = '\\'; s++; break;
		case 'x':
			if (sscanf(s + 1, "%2x", &v) == 1) {
				out[n++] = (char)v;
				s += 3;
				break;
			}
			/* FALLTHROUGH */
		default:
			out[n++] = *s++;
		}
	}
	return n;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_z(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct winsize ws;
	FILE *steps;
	char line[4096], keys[1024], *label, *cnt, *k;
	double ms[MAXREP], fms[MAXREP], t0, t, first, seen;
	size_t bytes[MAXREP], b, total, nk;
	const char *want = NULL, *whole = NULL;
	int cols = 200, lines = 60, quiet = 300, opt, i, n, status;
	int whole_seen = 0;

	while ((opt = getopt(argc, argv, "+c:l:q:w:W:")) != -1) {
		switch (opt) {
		case 'c': cols = atoi(optarg); break;
		case 'l': lines = atoi(optarg); break;
		case 'q': quiet = atoi(optarg); break;
		case 'w': want = optarg; break;
		case 'W': whole = optarg; break;
		default: exit(2);
		}
	}
	if (argc - optind < 3 || strcmp(argv[optind + 1], "--") != 0) {
		fprintf(stderr, "usage: ttydrive [-c COLS] [-l LINES] "
		    "[-q QUIET_MS] [-w TEXT] [-W TEXT] STEPS -- CMD...\n");
		exit(2);
	}
	if ((steps = fopen(argv[optind], "r")) == NULL)
		die(argv[optind]);
	memset(&ws, 0, sizeof ws);
	ws.ws_col = (unsigned short)cols;
	ws.ws_row = (unsigned short)lines;
	t0 = now_ms();
	child = forkpty(&master, NULL, NULL, &ws);
	if (child < 0)
		die("forkpty");
	if (child == 0) {
		execvp(argv[optind + 2], argv + optind + 2);
		_exit(127);
	}
	t = settle(t0, quiet, want, whole, &whole_seen, &b, &first, &seen);
	printf("start ms=%.1f bytes=%zu\n", (want != NULL ? seen : t) - t0, b);
	if (whole != NULL) {
		/* Unless it came with the start already. */
		if (!whole_seen)
			t = settle(t0, quiet, whole, NULL, NULL, &b, &first,
			    &seen);
		printf("whole ms=%.1f bytes=%zu\n", t - t0, b);
	}
	fflush(stdout);

	while (fgets(line, sizeof line, steps) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		label = strtok(line, "\t");
		cnt = strtok(NULL, "\t");
		k = strtok(NULL, "");
		if (label == NULL || cnt == NULL || k == NULL)
			continue;
		n = atoi(cnt);
		if (n < 1 || n > MAXREP)
			continue;
		nk = unescape(k, keys, sizeof keys);
		total = 0;
		for (i = 0; i < n; i++) {
			t0 = now_ms();
			if (write(master, keys, nk) != (ssize_t)nk)
				die("write");
			t = settle(t0, quiet, NULL, NULL, NULL, &bytes[i],
			    &first, &seen);
			ms[i] = t - t0;
			fms[i] = first - t0;
			total += bytes[i];
		}
		qsort(ms, (size_t)n, sizeof *ms, cmp_d);
		qsort(fms, (size_t)n, sizeof *fms, cmp_d);
		qsort(bytes, (size_t)n, sizeof *bytes, cmp_z);
		printf("%s n=%d median_ms=%.2f max_ms=%.2f median_first_ms=%.2f "
		    "median_bytes=%zu max_bytes=%zu total_bytes=%zu\n", label,
		    n, ms[n / 2], ms[n - 1], fms[n / 2], bytes[n / 2],
		    bytes[n - 1], total);
		fflush(stdout);
	}
	fclose(steps);
	if (write(master, "Q", 1) != 1)
		die("write");
	/* Let it end, reading what it still writes; at most about 5 s. */
	for (i = 0; i < 100; i++) {
		struct pollfd p = { master, POLLIN, 0 };
		char buf[4096];

		if (poll(&p, 1, 50) > 0 && read(master, buf, sizeof buf) <= 0)
			usleep(50000);
		if (waitpid(child, &status, WNOHANG) == child)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	fprintf(stderr, "ttydrive: the program did not exit after Q\n");
	kill(child, SIGTERM);
	waitpid(child, &status, 0);
	return 1;
}
