/*
 * faults.c: a fault injection shim for the e2e tests, loaded with
 * LD_PRELOAD into the real certdeck binary. It makes real system calls
 * fail as a full disk or a failing device would, on the paths a test
 * names, and passes every other call through:
 *
 *   FAULT_RENAME=TEXT    rename() to a path containing TEXT fails (EIO)
 *   FAULT_WRITE=TEXT     write() and pwrite() to a file opened at a path
 *                        containing TEXT fail (ENOSPC) once FAULT_AFTER
 *                        bytes (default 0) have been written to it
 *
 * Built by the tests that use it: cc -shared -fPIC -o faults.so faults.c
 * -ldl. Files made by open(), openat(), mkstemp() and mkostemp() are
 * watched for FAULT_WRITE (what store/pack.c and the stagers use).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MAXFD	4096

static long long written[MAXFD];
static unsigned char watched[MAXFD];

static void
watch(int fd, const char *path)
{
	const char *t = getenv("FAULT_WRITE");

	if (fd >= 0 && fd < MAXFD) {
		watched[fd] = t != NULL && *t != '\0' && path != NULL &&
		    strstr(path, t) != NULL;
		written[fd] = 0;
	}
}

static int
fails(int fd, size_t n)
{
	const char *a = getenv("FAULT_AFTER");
	long long after = a != NULL ? atoll(a) : 0;

	if (fd < 0 || fd >= MAXFD || !watched[fd])
		return 0;
	if (written[fd] + (long long)n > after)
		return 1;
	written[fd] += (long long)n;
	return 0;
}

/* The open takes a mode (O_TMPFILE holds O_DIRECTORY's bit too). */
static int
has_mode(int flags)
{
	return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

int
close(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "close");
	if (fd >= 0 && fd < MAXFD)
		watched[fd] = 0;	/* the number may come back as anything */
	return real(fd);
}

int
open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;
	int fd;

	if (real == NULL)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT,
		    "open");
	if (has_mode(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	fd = real(path, flags, mode);
	watch(fd, path);
	return fd;
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (has_mode(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return open(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	mode_t mode = 0;
	va_list ap;
	int fd;

	if (real == NULL)
		real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT,
		    "openat");
	if (has_mode(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	fd = real(dirfd, path, flags, mode);
	watch(fd, path);
	return fd;
}

int
mkostemp(char *tmpl, int flags)
{
	static int (*real)(char *, int);
	int fd;

	if (real == NULL)
		real = (int (*)(char *, int))dlsym(RTLD_NEXT, "mkostemp");
	fd = real(tmpl, flags);
	watch(fd, tmpl);
	return fd;
}

int
mkstemp(char *tmpl)
{
	return mkostemp(tmpl, 0);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(
		    RTLD_NEXT, "write");
	if (fails(fd, n)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(
		    RTLD_NEXT, "pwrite");
	if (fails(fd, n)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite(fd, buf, n, off);
}

int
rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);
	const char *t = getenv("FAULT_RENAME");

	if (real == NULL)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT,
		    "rename");
	if (t != NULL && *t != '\0' && strstr(to, t) != NULL) {
		errno = EIO;
		return -1;
	}
	return real(from, to);
}
