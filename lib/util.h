/* util.h: allocation, strings and small containers shared by every layer. */
#ifndef CD_UTIL_H
#define CD_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that cannot fail: on out-of-memory these abort with a message. */
/* Called (if set) before an allocation failure's message and abort: the
   UI gives the terminal back there. It must not allocate. */
void	 util_on_fatal(void (*)(void));
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
/* Room for element n of an array of elements of size sz whose allocation
   holds *cap of them: doubles it when full, so that n appends cost O(n)
   where growing by one each time copies the array each time. */
void	*xgrow(void *, size_t n, size_t *cap, size_t sz);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *, va_list);

/* Set *cause (if not NULL) to a newly allocated message; returns -1. */
int	 set_cause(char **cause, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* A growable byte buffer, always NUL-terminated. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};
void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
/* Room for n more bytes, so that adding them does not reallocate. */
void	 buf_reserve(struct buf *, size_t n);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_addc(struct buf *, char);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
char	*buf_steal(struct buf *);	/* caller frees; buf is reset */

/* A NULL-terminated vector of owned strings. */
struct strv {
	char	**v;
	size_t	  n;
	size_t	  cap;
};
void	 strv_init(struct strv *);
void	 strv_free(struct strv *);
void	 strv_add(struct strv *, const char *);	/* copies */
void	 strv_addn(struct strv *, char *);	/* takes ownership */
int	 strv_has(const struct strv *, const char *);
/* The same on a list strv_sort sorted: a binary search. */
int	 strv_sorted_has(const struct strv *, const char *);
void	 strv_remove(struct strv *, const char *);
void	 strv_sort(struct strv *);
void	 strv_uniq(struct strv *);		/* sorted input */
/* Split s on sep, trimming blanks and dropping empty items. */
void	 strv_split(struct strv *, const char *s, char sep);
char	*strv_join(const struct strv *, const char *sep);

char	*str_trim(char *);			/* in place */
/* The next line of [*p, end) that says something, trimmed: blank lines
   and '#' comments skipped; *lineno counts every line read. NULL at the
   end. The caller frees it. */
char	*text_line(const char **p, const char *end, int *lineno);
int	 str_startswith(const char *, const char *);
int	 str_endswith(const char *, const char *);
void	 str_lower(char *);

/*
 * Decode one UTF-8 sequence at s (n bytes left, n > 0). Returns its length
 * and the code point in *cp, or 0 if the bytes are not valid UTF-8
 * (overlong forms, surrogates and values past U+10FFFF are invalid).
 */
size_t	 utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * Files. read_file refuses files larger than max (errno EFBIG, "larger
 * than N bytes" or "... MiB"). Both read into one buffer, sized from
 * fstat for a regular file and grown by copy and wipe otherwise, so that
 * free_secret(*data, *len) leaves no copy of what was read (key files,
 * an import's inputs). *data is NUL-terminated.
 */
int	 read_file(const char *path, size_t max, char **data, size_t *len,
	    char **cause);
int	 read_fd(int fd, size_t max, char **data, size_t *len, char **cause);
/* Write atomically: temp file in the same directory, fsync, rename. */
int	 write_file_atomic(const char *path, const void *, size_t, int mode,
	    char **cause);
/* The same with the temp file in tmpdir (same file system as path). */
int	 write_file_atomic_via(const char *path, const char *tmpdir,
	    const void *, size_t, int mode, char **cause);
/* The first half of write_file_atomic_via: the temp file (tmpdir NULL:
   beside path) written and fsynced; *tmp (caller frees) is renamed by
   the caller, or unlinked. Several files can so be replaced together. */
int	 write_file_tmp(const char *path, const char *tmpdir, const void *,
	    size_t, int mode, char **tmp, char **cause);
int	 mkdir_p(const char *path, int mode);
/* All of p to fd, through short writes and EINTR; -1 with errno. */
int	 write_all(int fd, const void *p, size_t len);
/* Free a buffer that held key material or a passphrase (wiped first). */
void	 free_secret(char *, size_t len);
/*
 * A secret (a passphrase, a PIN) from a descriptor or file, read as
 * read_fd reads: at most SECRET_MAX bytes ("larger than 4096 bytes"),
 * trailing newlines dropped, refused when empty ("empty") or holding a
 * NUL byte. The caller free_secret's *out.
 */
#define SECRET_MAX	4096
int	 read_secret_fd(int fd, char **out, char **cause);
int	 read_secret_file(const char *path, char **out, char **cause);
/* Words of a command (blanks separate; '' and "" quote; no expansion). */
int	 argv_split(const char *s, struct strv *out, char **cause);
/* w with each keys[i] ("{name}") replaced by vals[i], in one pass: what
   a value holds is never replaced again (caller frees). */
char	*str_subst(const char *w, const char *const *keys,
	    const char *const *vals, size_t n);

#endif
