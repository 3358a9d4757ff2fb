/*
 * peer.c: the odd servers tests/e2e/probe.sh needs and openssl s_server
 * does not play: hostile peers, and the plaintext part of STARTTLS
 * protocols (s_server has no -starttls) followed by a relay to an
 * s_server that does the TLS. Built by the test with cc; no dependency
 * beyond libc.
 *
 *   peer MODE PORTFILE [BACKEND-PORT]
 *
 * Listens on 127.0.0.1, port chosen by the kernel and written to PORTFILE,
 * and serves each connection in a child (bounded by alarm) until killed.
 *
 * Modes: silent (accepts, never speaks), http (answers plain HTTP),
 * close-mid (closes in the middle of its ServerHello), slow (one byte a
 * second); smtp, imap, pop3, ftp, ldap, postgres (STARTTLS, then relay to
 * BACKEND-PORT); the same with "-refuse" (the server says no).
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *mode;
static int backend_port;
static int refuse;

static void
put(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w <= 0)
			_exit(0);
		s += w;
		n -= (size_t)w;
	}
}

static void
puts_fd(int fd, const char *s)
{
	put(fd, s, strlen(s));
}

/* One line (without CRLF) into buf; exits on EOF. */
static void
get_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char c;

	for (;;) {
		if (read(fd, &c, 1) != 1)
			_exit(0);
		if (c == '\n')
			break;
		if (c != '\r' && n < size - 1)
			buf[n++] = c;
	}
	buf[n] = '\0';
}

static void
get_n(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, buf + got, n - got);
		if (r <= 0)
			_exit(0);
		got += (size_t)r;
	}
}

/* Wait for the client to go away. */
static void
drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof buf) > 0)
		;
	_exit(0);
}

static void
relay(int fd)
{
	struct sockaddr_in sa;
	struct pollfd p[2];
	char buf[16384];
	ssize_t n;
	int b, i;

	if ((b = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		_exit(1);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)backend_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(b, (struct sockaddr *)&sa, sizeof sa) != 0)
		_exit(1);
	p[0].fd = fd;
	p[1].fd = b;
	p[0].events = p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0)
			_exit(1);
		for (i = 0; i < 2; i++) {
			if (p[i].revents == 0)
				continue;
			n = read(p[i].fd, buf, sizeof buf);
			if (n <= 0)
				_exit(0);
			put(p[1 - i].fd, buf, (size_t)n);
		}
	}
}

static void
ldap_reply(int fd, int code, const char *diag)
{
	unsigned char m[128];
	size_t n = 0, dl = strlen(diag), inner = 3 + 2 + 2 + dl;

	m[n++] = 0x30;
	m[n++] = (unsigned char)(3 + 2 + inner);
	m[n++] = 0x02; m[n++] = 0x01; m[n++] = 0x01;
	m[n++] = 0x78;
	m[n++] = (unsigned char)inner;
	m[n++] = 0x0a; m[n++] = 0x01; m[n++] = (unsigned char)code;
	m[n++] = 0x04; m[n++] = 0x00;
	m[n++] = 0x04; m[n++] = (unsigned char)dl;
	memcpy(m + n, diag, dl);
	n += dl;
	put(fd, m, n);
}

static void
serve(int fd)
{
	unsigned char buf[4096];
	char line[1024], tag[64];
	size_t len;
	int i;

	if (strcmp(mode, "silent") == 0)
		drain(fd);
	if (strcmp(mode, "http") == 0) {
		if (read(fd, buf, sizeof buf) <= 0)
			_exit(0);
		puts_fd(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n");
		_exit(0);
	}
	if (strcmp(mode, "close-mid") == 0) {
		static const unsigned char hello[] = {
			0x16, 0x03, 0x03, 0x00, 0x7a,	/* handshake, 122 */
			0x02, 0x00, 0x00, 0x76,		/* ServerHello */
			0x03, 0x03, 0x11, 0x22, 0x33, 0x44,
		};

		if (read(fd, buf, sizeof buf) <= 0)
			_exit(0);
		put(fd, hello, sizeof hello);
		_exit(0);
	}
	if (strcmp(mode, "slow") == 0) {
		static const unsigned char hdr[] = { 0x16, 0x03, 0x03, 0x40,
		    0x00 };

		if (read(fd, buf, sizeof buf) <= 0)
			_exit(0);
		for (i = 0; i < (int)sizeof hdr; i++) {
			put(fd, hdr + i, 1);
			sleep(1);
		}
		for (;;) {
			put(fd, "\x02", 1);
			sleep(1);
		}
	}
	if (strcmp(mode, "smtp") == 0) {
		puts_fd(fd, "220 peer.test ESMTP\r\n");
		get_line(fd, line, sizeof line);		/* EHLO */
		puts_fd(fd, "250-peer.test\r\n250-PIPELINING\r\n"
		    "250 STARTTLS\r\n");
		get_line(fd, line, sizeof line);		/* STARTTLS */
		if (refuse) {
			puts_fd(fd, "454 4.7.0 TLS not available\r\n");
			drain(fd);
		}
		puts_fd(fd, "220 2.0.0 Ready to start TLS\r\n");
		relay(fd);
	}
	if (strcmp(mode, "imap") == 0) {
		puts_fd(fd, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n");
		get_line(fd, line, sizeof line);
		snprintf(tag, sizeof tag, "%.*s", (int)strcspn(line, " "),
		    line);
		if (refuse) {
			dprintf(fd, "%s NO STARTTLS not available\r\n", tag);
			drain(fd);
		}
		dprintf(fd, "* CAPABILITY IMAP4rev1\r\n%s OK Begin TLS\r\n",
		    tag);
		relay(fd);
	}
	if (strcmp(mode, "pop3") == 0) {
		puts_fd(fd, "+OK POP3 ready\r\n");
		get_line(fd, line, sizeof line);
		if (refuse) {
			puts_fd(fd, "-ERR not available\r\n");
			drain(fd);
		}
		puts_fd(fd, "+OK Begin TLS\r\n");
		relay(fd);
	}
	if (strcmp(mode, "ftp") == 0) {
		puts_fd(fd, "220-Welcome to the test\r\n220 FTP ready\r\n");
		get_line(fd, line, sizeof line);
		if (refuse) {
			puts_fd(fd, "534 AUTH TLS not available\r\n");
			drain(fd);
		}
		puts_fd(fd, "234 AUTH TLS OK\r\n");
		relay(fd);
	}
	if (strcmp(mode, "ldap") == 0) {
		get_n(fd, buf, 2);
		len = buf[1];
		get_n(fd, buf + 2, len);
		if (refuse) {
			ldap_reply(fd, 53, "no TLS here");
			drain(fd);
		}
		ldap_reply(fd, 0, "");
		relay(fd);
	}
	if (strcmp(mode, "postgres") == 0) {
		get_n(fd, buf, 8);
		if (refuse) {
			put(fd, "N", 1);
			drain(fd);
		}
		put(fd, "S", 1);
		relay(fd);
	}
	fprintf(stderr, "peer: unknown mode %s\n", mode);
	_exit(2);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	FILE *f;
	char *dash, tmp[4096];
	int s, c, one = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: peer MODE PORTFILE [BACKEND-PORT]\n");
		return 2;
	}
	mode = argv[1];
	if ((dash = strstr(argv[1], "-refuse")) != NULL) {
		*dash = '\0';
		refuse = 1;
	}
	backend_port = argc > 3 ? atoi(argv[3]) : 0;
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(s, 64) != 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &sl) != 0) {
		perror("peer");
		return 1;
	}
	/* Whole or not at all: the test polls for the file. */
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
	if ((f = fopen(tmp, "w")) == NULL)
		return 1;
	fprintf(f, "%d\n", ntohs(sa.sin_port));
	if (fclose(f) != 0 || rename(tmp, argv[2]) != 0)
		return 1;
	/* Never outlive the test by much, even if it forgets us. */
	alarm(600);
	for (;;) {
		if ((c = accept(s, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		switch (fork()) {
		case 0:
			close(s);
			alarm(30);
			serve(c);
			_exit(0);
		case -1:
			close(c);
			break;
		default:
			close(c);
		}
	}
}
