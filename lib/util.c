/* util.c: allocation, strings and small containers shared by every layer. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static void	(*fatal_hook)(void);

void
util_on_fatal(void (*fn)(void))
{
	fatal_hook = fn;
}

static void
oom(void)
{
	if (fatal_hook != NULL)
		fatal_hook();
	fputs("certdeck: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t sz)
{
	if (sz != 0 && n > SIZE_MAX / sz)
		oom();
	return xrealloc(p, n * sz);
}

void *
xgrow(void *p, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return p;
	if (*cap > SIZE_MAX / 2)
		oom();
	*cap = *cap != 0 ? *cap * 2 : 16;
	if (*cap <= n)
		*cap = n + 1;
	return xreallocarray(p, *cap, sz);
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		oom();
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

int
set_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	char *old;

	if (cause == NULL)
		return -1;
	/* Format first: the arguments may point into the old message. */
	old = *cause;
	va_start(ap, fmt);
	*cause = xvasprintf(fmt, ap);
	va_end(ap);
	free(old);
	return -1;
}

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static void
buf_grow(struct buf *b, size_t more)
{
	size_t need;

	if (more > SIZE_MAX - b->len - 1)
		oom();
	need = b->len + more + 1;
	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap = b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
	b->data = xrealloc(b->data, b->cap);
}

/* Room for n more bytes: exactly that if it must grow (the caller knows
   what it needs; a later buf_add grows by doubling as ever). */
void
buf_reserve(struct buf *b, size_t n)
{
	if (n > SIZE_MAX - b->len - 1)
		oom();
	if (b->len + n + 1 > b->cap) {
		b->cap = b->len + n + 1;
		b->data = xrealloc(b->data, b->cap);
	}
	b->data[b->len] = '\0';
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n != 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
buf_steal(struct buf *b)
{
	char *s = b->data != NULL ? b->data : xstrdup("");

	buf_init(b);
	return s;
}

void
strv_init(struct strv *sv)
{
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

void
strv_free(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	strv_init(sv);
}

void
strv_addn(struct strv *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = xreallocarray(sv->v, sv->cap, sizeof *sv->v);
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
strv_add(struct strv *sv, const char *s)
{
	strv_addn(sv, xstrdup(s));
}

static int
strv_bsearch_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

int
strv_sorted_has(const struct strv *sv, const char *s)
{
	return s != NULL && sv->n > 0 && bsearch(s, sv->v, sv->n,
	    sizeof *sv->v, strv_bsearch_cmp) != NULL;
}

int
strv_has(const struct strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

void
strv_remove(struct strv *sv, const char *s)
{
	size_t i, j;

	for (i = j = 0; i < sv->n; i++) {
		if (strcmp(sv->v[i], s) == 0)
			free(sv->v[i]);
		else
			sv->v[j++] = sv->v[i];
	}
	sv->n = j;
	if (sv->v != NULL)
		sv->v[j] = NULL;
}

static int
strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
strv_sort(struct strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof *sv->v, strv_cmp);
}

void
strv_uniq(struct strv *sv)
{
	size_t i, j;

	if (sv->n < 2)
		return;
	for (i = j = 1; i < sv->n; i++) {
		if (strcmp(sv->v[i], sv->v[j - 1]) == 0)
			free(sv->v[i]);
		else
			sv->v[j++] = sv->v[i];
	}
	sv->n = j;
	sv->v[j] = NULL;
}

void
strv_split(struct strv *sv, const char *s, char sep)
{
	const char *p;
	char *item;

	while (s != NULL && *s != '\0') {
		p = strchr(s, sep);
		item = p ? xstrndup(s, (size_t)(p - s)) : xstrdup(s);
		str_trim(item);
		if (*item != '\0')
			strv_addn(sv, item);
		else
			free(item);
		s = p ? p + 1 : NULL;
	}
}

char *
strv_join(const struct strv *sv, const char *sep)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < sv->n; i++) {
		if (i != 0)
			buf_adds(&b, sep);
		buf_adds(&b, sv->v[i]);
	}
	return buf_steal(&b);
}

char *
str_trim(char *s)
{
	size_t n;
	char *p = s;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (p != s)
		memmove(s, p, strlen(p) + 1);
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

char *
text_line(const char **p, const char *end, int *lineno)
{
	const char *nl;
	char *line;

	while (*p < end) {
		(*lineno)++;
		nl = memchr(*p, '\n', (size_t)(end - *p));
		line = xstrndup(*p, nl ? (size_t)(nl - *p) : (size_t)(end - *p));
		*p = nl ? nl + 1 : end;
		str_trim(line);
		if (*line != '\0' && *line != '#')
			return line;
		free(line);
	}
	return NULL;
}

int
str_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
str_endswith(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* The one error of a file over its limit; errno EFBIG. */
static int
too_large(size_t max, char **cause)
{
	int rc = max < (1 << 20) ? set_cause(cause, "larger than %zu bytes",
	    max) : set_cause(cause, "larger than %zu MiB", max >> 20);

	errno = EFBIG;
	return rc;
}

/*
 * Read straight into the buffer handed back, sized from fstat for a
 * regular file; a pipe's buffer grows by copy and wipe, never realloc.
 * An import reads whatever it is given, private keys too: with
 * free_secret(data, len) no copy of the file is left in freed memory.
 */
int
read_fd(int fd, size_t max, char **data, size_t *len, char **cause)
{
	struct stat st;
	char *p, *q;
	size_t n = 0, cap = 65536;
	ssize_t r;
	int saved;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uintmax_t)st.st_size <= max)
		cap = (size_t)st.st_size + 2;	/* the NUL, and room for EOF */
	p = xmalloc(cap);
	for (;;) {
		if (n + 1 == cap) {
			q = xmalloc(cap * 2);
			memcpy(q, p, n);
			explicit_bzero(p, n);
			free(p);
			p = q;
			cap *= 2;
		}
		r = read(fd, p + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			free_secret(p, n);
			return set_cause(cause, "%s", strerror(saved));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free_secret(p, n);
			return too_large(max, cause);
		}
	}
	p[n] = '\0';
	*len = n;
	*data = p;
	return 0;
}

int
read_file(const char *path, size_t max, char **data, size_t *len,
    char **cause)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return set_cause(cause, "%s", strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uintmax_t)st.st_size > max) {
		close(fd);
		return too_large(max, cause);
	}
	rc = read_fd(fd, max, data, len, cause);
	close(fd);
	return rc;
}

int
write_all(int fd, const void *p, size_t len)
{
	const char *s = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, s, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int
write_file_atomic(const char *path, const void *data, size_t len, int mode,
    char **cause)
{
	return write_file_atomic_via(path, NULL, data, len, mode, cause);
}

int
write_file_tmp(const char *path, const char *tmpdir, const void *data,
    size_t len, int mode, char **tmp_out, char **cause)
{
	const char *base = strrchr(path, '/');
	char *tmp;
	int fd, saved;

	*tmp_out = NULL;
	base = base != NULL ? base + 1 : path;
	if (tmpdir != NULL)
		tmp = xasprintf("%s/%s.tmp.%ld", tmpdir, base, (long)getpid());
	else
		tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	if (write_all(fd, data, len) != 0 ||
	    fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	*tmp_out = tmp;
	return 0;

fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return set_cause(cause, "%s: %s", path, strerror(saved));
}

int
write_file_atomic_via(const char *path, const char *tmpdir, const void *data,
    size_t len, int mode, char **cause)
{
	char *tmp;
	int saved;

	if (write_file_tmp(path, tmpdir, data, len, mode, &tmp, cause) != 0)
		return -1;
	if (rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		free(tmp);
		return set_cause(cause, "%s: %s", path, strerror(saved));
	}
	free(tmp);
	return 0;
}

/*
 * Words of a command line: split on blanks; '...' and "..." group words
 * (no escapes inside '...', \" and \\ inside "..."); nothing is expanded.
 */
int
argv_split(const char *s, struct strv *out, char **cause)
{
	struct buf w;
	int inword = 0;
	char q;

	buf_init(&w);
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t') {
			if (inword)
				strv_addn(out, buf_steal(&w));
			inword = 0;
			continue;
		}
		inword = 1;
		if (*s != '\'' && *s != '"') {
			buf_addc(&w, *s);
			continue;
		}
		q = *s++;
		while (*s != q) {
			if (*s == '\0') {
				buf_free(&w);
				return set_cause(cause, "unterminated %c "
				    "quote", q);
			}
			if (q == '"' && *s == '\\' &&
			    (s[1] == '"' || s[1] == '\\'))
				s++;
			buf_addc(&w, *s++);
		}
	}
	if (inword)
		strv_addn(out, buf_steal(&w));
	buf_free(&w);
	if (out->n == 0)
		return set_cause(cause, "empty command");
	return 0;
}

int
mkdir_p(const char *path, int mode)
{
	char *copy, *slash;
	int rc;

	/* Usually the parent exists: one mkdir, not one per component. */
	if (mkdir(path, (mode_t)mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;
	copy = xstrdup(path);
	while ((slash = strrchr(copy, '/')) != NULL && slash[1] == '\0')
		*slash = '\0';		/* trailing slashes */
	if ((slash = strrchr(copy, '/')) == NULL || slash == copy) {
		free(copy);
		errno = ENOENT;
		return -1;
	}
	*slash = '\0';
	rc = mkdir_p(copy, mode);
	free(copy);
	if (rc != 0)
		return -1;
	if (mkdir(path, (mode_t)mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * Decode one UTF-8 sequence at s (n bytes left). Returns its length and
 * the code point in *cp, or 0 if the bytes are not valid UTF-8 (overlong
 * forms, surrogates and values past U+10FFFF are invalid).
 */
size_t
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


char *
str_subst(const char *w, const char *const *keys, const char *const *vals,
    size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	while (*w != '\0') {
		for (i = 0; i < n; i++)
			if (str_startswith(w, keys[i]))
				break;
		if (i < n) {
			buf_adds(&b, vals[i]);
			w += strlen(keys[i]);
		} else
			buf_addc(&b, *w++);
	}
	return buf_steal(&b);
}

void
free_secret(char *s, size_t len)
{
	if (s == NULL)
		return;
	explicit_bzero(s, len);
	free(s);
}

int
read_secret_fd(int fd, char **out, char **cause)
{
	char *s;
	size_t len;

	*out = NULL;
	if (read_fd(fd, SECRET_MAX, &s, &len, cause) != 0)
		return -1;
	/* Callers wipe up to the first NUL: a NUL inside would both cut
	   the secret and leave its rest unwiped. */
	if (memchr(s, '\0', len) != NULL) {
		free_secret(s, len);
		return set_cause(cause, "has a NUL byte");
	}
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
	if (len == 0) {
		free_secret(s, len);
		return set_cause(cause, "empty");
	}
	*out = s;
	return 0;
}

int
read_secret_file(const char *path, char **out, char **cause)
{
	int fd, rc;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return set_cause(cause, "%s", strerror(errno));
	rc = read_secret_fd(fd, out, cause);
	close(fd);
	return rc;
}
