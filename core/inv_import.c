/*
 * inv_import.c: `certdeck import`. Inputs are read and parsed on every
 * core; under the lock and with the index at HEAD, each certificate
 * group is checked against the inventory and named as soon as its input
 * is parsed (all of them first for --into and --name), and the lot goes
 * in as one commit.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "certfile.h"
#include "clock.h"
#include "crash.h"
#include "entry.h"
#include "inventory.h"
#include "invpriv.h"
#include "k8s.h"

/* One input file, loaded. */
struct input {
	char			*label;		/* path as given, or "(stdin)" */
	struct cert_bundle	 bundle;
	char			*name_hint;	/* base name of its first entry */
	struct strv		 meta;		/* key=value for that entry */
};

/*
 * What the walk over the inputs found, in order: a file to read and
 * parse, or a message about one it skipped. Files are parsed on every
 * core (parsing is nearly all of an import's CPU), then the results and
 * messages are taken in this order, so the output is the same as a
 * one-by-one load.
 */
struct ljob {
	char			*label;
	char			*path;		/* NULL: data holds stdin */
	char			*data;
	size_t			 len;
	int			 level;		/* a message: 1 or 2; else 0 */
	char			*msg;		/* message, or parse error */
	int			 ok;		/* parsed into bundle */
	struct cert_bundle	 bundle;
	char			*name_hint;	/* as in struct input */
	struct strv		 meta;
	int			 done;		/* parsed (load_stream) */
};

struct loader {
	struct input	*in;
	size_t		 n, incap;
	struct ljob	*jobs;
	size_t		 njobs, jobscap, nfiles;
	size_t		 next, done;		/* shared by the parsers */
	pthread_mutex_t	 mu;			/* for a waiting planner */
	pthread_cond_t	 cv;
	int		 waiting;
	struct { dev_t dev; ino_t ino; } *seen;	/* directories visited */
	size_t		 nseen;
	const char	*p12_pass;
	char		*key_pass;
	inv_report_cb	 cb;
	void		*arg;
	const struct inv_import_opts *o;
	int		 stdin_read;		/* "-" was given already */
	size_t		 refused;
};

static void
say(struct loader *l, int level, const char *input, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
say(struct loader *l, int level, const char *input, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (level >= 2)
		l->refused++;
	if (l->cb == NULL)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	l->cb(l->arg, level, input, msg);
	free(msg);
}

static struct ljob *
ljob_add(struct loader *l, const char *label)
{
	struct ljob *j;

	l->jobs = xgrow(l->jobs, l->njobs, &l->jobscap, sizeof *l->jobs);
	j = &l->jobs[l->njobs++];
	memset(j, 0, sizeof *j);
	j->label = xstrdup(label);
	strv_init(&j->meta);
	return j;
}

/* A message found by the walk, said in its place among the files. */
static void
walk_say(struct loader *l, int level, const char *input, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
walk_say(struct loader *l, int level, const char *input, const char *fmt,
    ...)
{
	struct ljob *j = ljob_add(l, input);
	va_list ap;

	va_start(ap, fmt);
	j->msg = xvasprintf(fmt, ap);
	va_end(ap);
	j->level = level;
}

/* Read and parse one file of the walk (any thread). */
static void
ljob_parse(struct loader *l, struct ljob *j)
{
	char *err = NULL;

	if (j->path != NULL && read_file(j->path, CERT_MAX_FILE, &j->data,
	    &j->len, &err) != 0) {
		j->msg = err;
		return;
	}
	if (j->len == 0)
		j->msg = xstrdup("empty file");
	else if (cert_load((const unsigned char *)j->data, j->len,
	    l->p12_pass, l->key_pass, &j->bundle, &j->msg) == 0)
		j->ok = 1;
	free_secret(j->data, j->len);	/* keys may be in it */
	j->data = NULL;
}

static void *
ljob_thread(void *arg)
{
	struct loader *l = arg;
	size_t i;
	int slot = cert_thread_begin();

	for (;;) {
		i = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
		if (i >= l->njobs)
			break;
		if (l->jobs[i].level == 0)
			ljob_parse(l, &l->jobs[i]);
		__atomic_fetch_add(&l->done, 1, __ATOMIC_RELEASE);
		/* Sequentially consistent with the planner's wait: one of
		   the two sees the other's store. */
		__atomic_store_n(&l->jobs[i].done, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&l->waiting, __ATOMIC_SEQ_CST)) {
			pthread_mutex_lock(&l->mu);
			pthread_cond_broadcast(&l->cv);
			pthread_mutex_unlock(&l->mu);
		}
	}
	cert_thread_end(slot);
	return NULL;
}

/*
 * Say job j's messages, or make it the next input: 1 if it is one, else
 * 0. In walk order, so the output is that of a one-by-one load.
 */
static int
ljob_take(struct loader *l, struct ljob *j)
{
	if (j->level != 0 || !j->ok) {
		say(l, j->level ? j->level : 2, j->label, "%s",
		    j->msg ? j->msg : "cannot load");
		return 0;
	}
	if (j->bundle.note != NULL)
		say(l, 1, j->label, "%s", j->bundle.note);
	l->in = xgrow(l->in, l->n, &l->incap, sizeof *l->in);
	l->in[l->n].label = j->label;
	l->in[l->n].bundle = j->bundle;
	l->in[l->n].name_hint = j->name_hint;
	l->in[l->n].meta = j->meta;
	j->label = NULL;
	j->name_hint = NULL;
	strv_init(&j->meta);
	j->ok = 0;
	l->n++;
	return 1;
}

/* Files below this are parsed on the calling thread alone. */
#define LOAD_PARALLEL_MIN	32
#define LOAD_THREADS_MAX	8

/*
 * Start parsing on helper threads (for a large import): one fewer than
 * the cores, the calling thread being the last. The number started.
 */
static size_t
load_start(struct loader *l, pthread_t *th)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nth = 0, i;

	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if (l->nfiles >= LOAD_PARALLEL_MIN && ncpu > 1)
		nth = (size_t)(ncpu < LOAD_THREADS_MAX ? ncpu :
		    LOAD_THREADS_MAX) - 1;
	for (i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, ljob_thread, l) != 0)
			break;
	return i;
}

/* Stop the helpers (what they have not taken is not parsed) and wait. */
static void
load_stop(struct loader *l, pthread_t *th, size_t nth, int cancel)
{
	size_t i;

	if (cancel)
		__atomic_store_n(&l->next, l->njobs, __ATOMIC_RELAXED);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
}

/*
 * Parse every file of the walk: on helper threads for a large import,
 * with the calling thread reporting progress and then taking its share.
 */
static int
load_run(struct loader *l)
{
	pthread_t th[LOAD_THREADS_MAX];
	const struct inv_import_opts *o = l->o;
	size_t nth, i, d, last = (size_t)-1;
	int cancelled = 0;

	nth = load_start(l, th);
	for (;;) {
		if (o->cancel != NULL && *o->cancel) {
			cancelled = 1;	/* the helpers stop (load_stop) */
			break;
		}
		i = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
		if (i >= l->njobs)
			break;
		if (l->jobs[i].level == 0)
			ljob_parse(l, &l->jobs[i]);
		d = __atomic_add_fetch(&l->done, 1, __ATOMIC_RELEASE);
		if (o->progress != NULL && d * 100 / (l->njobs ? l->njobs : 1)
		    != last) {
			last = d * 100 / l->njobs;
			o->progress(o->progress_arg, d, l->njobs);
		}
	}
	load_stop(l, th, nth, cancelled);
	if (cancelled)
		return -1;
	if (o->progress != NULL)
		o->progress(o->progress_arg, l->njobs, l->njobs);

	/* In walk order: messages, errors and the loaded files. */
	for (i = 0; i < l->njobs; i++)
		ljob_take(l, &l->jobs[i]);
	return 0;
}

static void
load_free(struct loader *l)
{
	size_t i;

	for (i = 0; i < l->njobs; i++) {
		free(l->jobs[i].label);
		free(l->jobs[i].path);
		free_secret(l->jobs[i].data, l->jobs[i].len);
		free(l->jobs[i].msg);
		free(l->jobs[i].name_hint);
		strv_free(&l->jobs[i].meta);
		if (l->jobs[i].ok)
			cert_bundle_free(&l->jobs[i].bundle);
	}
	free(l->jobs);
	l->jobs = NULL;
	l->njobs = l->jobscap = 0;
	for (i = 0; i < l->n; i++) {
		free(l->in[i].label);
		free(l->in[i].name_hint);
		strv_free(&l->in[i].meta);
		cert_bundle_free(&l->in[i].bundle);
	}
	free(l->in);
	l->in = NULL;
	l->n = l->incap = 0;
	free(l->seen);
	l->seen = NULL;
	l->nseen = 0;
}

static void load_path(struct loader *, const char *, int);

static int
strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
load_dir(struct loader *l, const char *path, const struct stat *st)
{
	struct strv names;
	struct dirent *de;
	DIR *d;
	size_t i;
	char *sub;

	for (i = 0; i < l->nseen; i++)
		if (l->seen[i].dev == st->st_dev && l->seen[i].ino == st->st_ino) {
			walk_say(l, 2, path, "directory loop (already visited)");
			return;
		}
	l->seen = xreallocarray(l->seen, l->nseen + 1, sizeof *l->seen);
	l->seen[l->nseen].dev = st->st_dev;
	l->seen[l->nseen].ino = st->st_ino;
	l->nseen++;

	if ((d = opendir(path)) == NULL) {
		walk_say(l, 2, path, "%s", strerror(errno));
		return;
	}
	strv_init(&names);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')	/* ., .., .git, hidden files */
			continue;
		strv_add(&names, de->d_name);
	}
	closedir(d);
	if (names.n > 1)
		qsort(names.v, names.n, sizeof *names.v, strcmp_p);
	for (i = 0; i < names.n; i++) {
		sub = xasprintf("%s%s%s", path,
		    str_endswith(path, "/") ? "" : "/", names.v[i]);
		load_path(l, sub, 1);
		free(sub);
	}
	strv_free(&names);
}

/*
 * Kubernetes input (--kubernetes): each TLS secret is one input, named
 * NAMESPACE-SECRET, with namespace and secret (and a cert-manager
 * Certificate's status as notes) in its entry.
 */
static void
load_k8s(struct loader *l, const char *label, char *data, size_t len)
{
	struct k8s_result kr;
	struct ljob *j;
	char *err = NULL;
	size_t i;

	if (k8s_parse(data, len, label, &kr, &err) != 0) {
		walk_say(l, 2, label, "%s", err);
		free(err);
		free_secret(data, len);
		return;
	}
	free_secret(data, len);
	for (i = 0; i < kr.nmsgs; i++)
		walk_say(l, kr.msgs[i].level, kr.msgs[i].label, "%s",
		    kr.msgs[i].msg);
	for (i = 0; i < kr.nsecrets; i++) {
		struct k8s_secret *s = &kr.secrets[i];
		char *lb = xasprintf("%s: %s/%s", label, s->ns, s->name);

		j = ljob_add(l, lb);
		free(lb);
		j->data = s->pem;
		j->len = s->len;
		s->pem = NULL;
		j->name_hint = xasprintf("%s-%s", s->ns, s->name);
		strv_addn(&j->meta, xasprintf("namespace=%s", s->ns));
		strv_addn(&j->meta, xasprintf("secret=%s", s->name));
		if (s->notes != NULL)
			strv_addn(&j->meta, xasprintf("notes=%s", s->notes));
		l->nfiles++;
	}
	k8s_result_free(&kr);
}

static void
load_path(struct loader *l, const char *path, int in_dir)
{
	struct ljob *j;
	struct stat st;
	char *data = NULL, *err = NULL;
	size_t len;

	/* Standard input is read once: a second "-" would find it empty. */
	if (strcmp(path, "-") == 0 && !in_dir && l->stdin_read++ > 0) {
		walk_say(l, 1, "(stdin)", "given more than once; read once");
		return;
	}
	if (l->o->kubernetes) {
		const char *label = strcmp(path, "-") == 0 && !in_dir ?
		    "(stdin)" : path;
		int r;

		if (strcmp(path, "-") == 0 && !in_dir)
			r = read_fd(0, K8S_MAX_INPUT, &data, &len, &err);
		else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			load_dir(l, path, &st);
			return;
		} else
			r = read_file(path, K8S_MAX_INPUT, &data, &len, &err);
		if (r != 0) {
			walk_say(l, 2, label, "%s", err);
			free(err);
			return;
		}
		load_k8s(l, label, data, len);
		return;
	}
	if (strcmp(path, "-") == 0 && !in_dir) {
		if (read_fd(0, CERT_MAX_FILE, &data, &len, &err) != 0) {
			walk_say(l, 2, "(stdin)", "%s", err);
			free(err);
			return;
		}
		j = ljob_add(l, "(stdin)");
		j->data = data;
		j->len = len;
		l->nfiles++;
		return;
	}
	if (stat(path, &st) != 0) {
		walk_say(l, 2, path, "%s", errno == ELOOP ?
		    "symbolic link loop" : strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		load_dir(l, path, &st);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		if (!in_dir)
			walk_say(l, 2, path, "not a regular file");
		return;
	}
	if ((uintmax_t)st.st_size > CERT_MAX_FILE) {
		walk_say(l, 2, path, "larger than %u MiB", CERT_MAX_FILE >> 20);
		return;
	}
	j = ljob_add(l, path);
	j->path = xstrdup(path);
	l->nfiles++;
}

/* The passphrase given by --passphrase-fd or a prompt, and the prompt. */
static char *key_pass_given;
static char *(*key_pass_prompt)(void);

void
inv_set_passphrase(const char *pass)
{
	free_secret(key_pass_given, key_pass_given != NULL ?
	    strlen(key_pass_given) : 0);
	key_pass_given = pass != NULL && *pass != '\0' ? xstrdup(pass) : NULL;
}

void
inv_set_passphrase_prompt(char *(*fn)(void))
{
	key_pass_prompt = fn;
}

/* The key passphrase: given, else CERTDECK_PASSPHRASE_FILE, else asked
   for if ask (once per process), else NULL. An import never asks: a
   file's key is only stored if a passphrase is already there. */
char *
inv_key_passphrase(int ask, char **cause)
{
	const char *f = getenv("CERTDECK_PASSPHRASE_FILE");
	char *data = NULL;

	if (key_pass_given != NULL)
		return xstrdup(key_pass_given);
	if ((f == NULL || *f == '\0') && ask && key_pass_prompt != NULL &&
	    (data = key_pass_prompt()) != NULL) {
		inv_set_passphrase(data);
		free_secret(data, strlen(data));
		if (key_pass_given != NULL)
			return xstrdup(key_pass_given);
	}
	if (f == NULL || *f == '\0')
		return NULL;
	if (read_secret_file(f, &data, cause) != 0) {
		char *e = *cause;

		*cause = NULL;
		set_cause(cause, "CERTDECK_PASSPHRASE_FILE %s: %s", f, e);
		free(e);
		return NULL;
	}
	return data;
}

/*
 * A set of strings borrowed from a strv (which owns them), for the checks
 * an import makes once per group: with strv_has each check walked the
 * whole list, which made a 100,000-file import quadratic.
 */
struct strset {
	const char	**slot;
	size_t		  cap;		/* 0 or a power of two */
	size_t		  n;
};

static size_t
strset_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return (size_t)h;
}

static int
strset_has(const struct strset *ss, const char *s)
{
	size_t i;

	if (ss->cap == 0)
		return 0;
	for (i = strset_hash(s) & (ss->cap - 1); ss->slot[i] != NULL;
	    i = (i + 1) & (ss->cap - 1))
		if (strcmp(ss->slot[i], s) == 0)
			return 1;
	return 0;
}

static void
strset_put(const char **slot, size_t cap, const char *s)
{
	size_t i;

	for (i = strset_hash(s) & (cap - 1); slot[i] != NULL;
	    i = (i + 1) & (cap - 1))
		if (strcmp(slot[i], s) == 0)
			return;
	slot[i] = s;
}

static void
strset_add(struct strset *ss, const char *s)
{
	const char **old = ss->slot;
	size_t i, cap = ss->cap;

	if (strset_has(ss, s))
		return;
	if (2 * (ss->n + 1) > ss->cap) {	/* keep it at most half full */
		ss->cap = cap != 0 ? 2 * cap : 64;
		ss->slot = xcalloc(ss->cap, sizeof *ss->slot);
		for (i = 0; i < cap; i++)
			if (old[i] != NULL)
				strset_put(ss->slot, ss->cap, old[i]);
		free(old);
	}
	strset_put(ss->slot, ss->cap, s);
	ss->n++;
}

/*
 * The parse cache rows of the groups (cache_group) go in index
 * transactions of about this many milliseconds, not one per file (a
 * transaction per file was 6% of a 10,000-file import). Bounded, so that
 * a command needing the index's write lock meanwhile (the TUI's `list
 * --at` while an import runs as a background job) waits for one batch,
 * not for the whole import; bounded in time, not in files, because the
 * rows' keys (blob ids, fingerprints) are random: each transaction
 * rewrites most pages of those indexes into the write-ahead log, so its
 * cost follows the index's size, not its own. At 1,000 files a
 * transaction, the planning of a 100,000-file import wrote about 1.2 GB
 * to the log and took 10 s; in batches of a second, about 5 s.
 */
#define CACHE_TX_MS	1000

/* What an import decided for one group. */
struct plan {
	struct strv	 names;		/* new or replaced entry names */
	struct strv	 fps;
	struct strset	 names_set;	/* the same, for look-ups */
	struct strset	 fps_set;
	int		 cache_tx;	/* an index transaction is open */
	int64_t		 cache_since;	/* when it began (clock_mono_ms) */
	struct buf	 body;
	struct repo_change *ch;
	size_t		 nch, chcap;
	struct strv	 owned;		/* strings the changes point at */
};

static void
plan_change(struct plan *p, char *path, char *data, size_t len)
{
	p->ch = xgrow(p->ch, p->nch, &p->chcap, sizeof *p->ch);
	p->ch[p->nch].path = path;
	p->ch[p->nch].data = data;
	p->ch[p->nch].len = len;
	p->nch++;
	strv_addn(&p->owned, path);
	if (data != NULL)
		strv_addn(&p->owned, data);
}

static const char *
group_name_source(const struct certrec *r)
{
	static char tmp[512];
	const char *s = r->sans;

	if (s != NULL && str_startswith(s, "DNS:")) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s - 4) : strlen(s + 4);

		if (n >= sizeof tmp)
			n = sizeof tmp - 1;
		memcpy(tmp, s + 4, n);
		tmp[n] = '\0';
		return tmp;
	}
	if (r->subject_cn != NULL)
		return r->subject_cn;
	return r->subject;
}

static int
name_taken(struct inv *inv, struct plan *p, const char *name)
{
	return strset_has(&p->names_set, name) || inv_exists(inv, name);
}

static char *
unique_name(struct inv *inv, struct plan *p, const char *base)
{
	char *name = xstrdup(base);
	int i, n;

	for (i = 2; name_taken(inv, p, name) && i < 100000; i++) {
		free(name);
		/* The suffix fits: base cut (and its '-' trimmed) to room. */
		n = ENTRY_NAME_MAX - snprintf(NULL, 0, "-%d", i);
		if ((int)strlen(base) < n)
			n = (int)strlen(base);
		while (n > 1 && base[n - 1] == '-')
			n--;
		name = xasprintf("%.*s-%d", n, base, i);
	}
	return name;
}

/* Cache the parsed group under the blob id its PEM will have. */
static void
cache_group(struct inv *inv, struct cert_group *g, const char *pem,
    size_t len)
{
	struct certfile cf;
	char blob[REPO_OID_HEX];
	size_t i;

	repo_hash_blob(pem, len, blob);
	if (idx_file_has(inv->idx, blob) == 1)
		return;
	cf.n = g->n;
	cf.certs = xcalloc(g->n, sizeof *cf.certs);
	for (i = 0; i < g->n; i++)
		cf.certs[i] = g->items[i].rec;	/* borrowed */
	cf.eff_from = NULL;
	cf.unsigned_at = g->unsigned_at;
	certfile_effective(&cf);
	idx_file_put(inv->idx, blob, &cf, NULL);
	free(cf.certs);
	free(cf.eff_from);
}

static char *
group_pem(const struct cert_group *g, size_t *len)
{
	struct buf b;
	size_t i;
	char *p;

	if (g->n == 1) {		/* the common case: no copy */
		p = cert_der_to_pem(g->items[0].der, g->items[0].der_len);
		*len = strlen(p);
		return p;
	}
	buf_init(&b);
	for (i = 0; i < g->n; i++) {
		p = cert_der_to_pem(g->items[i].der, g->items[i].der_len);
		buf_adds(&b, p);
		free(p);
	}
	*len = b.len;
	return buf_steal(&b);
}

/* The current leaf of an entry, from the index; 1 found, 0 not. */
static int
current_leaf(struct inv *inv, const char *name, struct certfile *cf)
{
	struct idx_entry ie;
	int r;

	memset(cf, 0, sizeof *cf);
	if (idx_entry_get(inv->idx, name, &ie, NULL) != 1)
		return 0;
	r = *ie.cert_blob != '\0' &&
	    idx_file_get(inv->idx, ie.cert_blob, cf, NULL) == 1 && cf->n > 0;
	idx_entry_free(&ie);
	return r;
}

static int
entry_text(struct inv *inv, const char *name, const struct inv_import_opts *o,
    const struct strv *extra, char **text, char **cause)
{
	struct entry e;
	char *data = NULL, *dir, *path, *a;
	size_t len, i;
	int found;

	entry_init(&e);
	if (name != NULL) {
		dir = inv_entry_dir(name);
		path = xasprintf("%s/entry", dir);
		free(dir);
		found = repo_read(inv->repo, NULL, path, &data, &len, NULL,
		    cause);
		free(path);
		if (found < 0)
			return -1;
		if (found && entry_parse(data, len, &e, cause) != 0) {
			free(data);
			return -1;
		}
		free(data);
	}
	if (o->owner != NULL) {
		a = xasprintf("owner=%s", o->owner);
		found = entry_apply(&e, a, cause);
		free(a);
		if (found != 0)
			goto fail;
	}
	for (i = 0; i < o->tags.n; i++) {
		a = xasprintf("tags+=%s", o->tags.v[i]);
		found = entry_apply(&e, a, cause);
		free(a);
		if (found != 0)
			goto fail;
	}
	for (i = 0; extra != NULL && i < extra->n; i++)
		if (entry_apply(&e, extra->v[i], cause) != 0)
			goto fail;
	*text = entry_format(&e);
	entry_free(&e);
	return 0;
fail:
	entry_free(&e);
	return -1;
}

static void
plan_entry(struct inv *inv, struct plan *p, const char *name,
    struct cert_group *g, const char *entry, int replace)
{
	const struct certrec *r = &g->items[0].rec;
	char *dir = inv_entry_dir(name), *pem, date[16];
	size_t len;

	pem = group_pem(g, &len);
	cache_group(inv, g, pem, len);
	if (p->cache_tx && clock_mono_ms() - p->cache_since >= CACHE_TX_MS) {
		idx_commit(inv->idx, NULL);
		p->cache_tx = idx_begin(inv->idx, NULL) == 0;
		p->cache_since = clock_mono_ms();
	}
	plan_change(p, xasprintf("%s/cert.pem", dir), pem, len);
	/* An entry without metadata has no entry file (design-notes). */
	if (entry != NULL && *entry != '\0')
		plan_change(p, xasprintf("%s/entry", dir), xstrdup(entry),
		    strlen(entry));
	if (g->key != NULL)
		plan_change(p, xasprintf("keys/%s.key", name),
		    xstrndup(g->key->pem, g->key->len), g->key->len);
	clock_format_date(r->not_after, date);
	buf_printf(&p->body, "%s %s: %s, expires %s, sha256 %s%s\n",
	    replace ? "replace" : "add", name, r->subject ? r->subject : "",
	    date, r->sha256, g->key != NULL ? ", key stored encrypted" : "");
	strv_add(&p->names, name);
	strset_add(&p->names_set, p->names.v[p->names.n - 1]);
	strv_addn(&p->fps, xasprintf("%s", r->sha256));
	strset_add(&p->fps_set, p->fps.v[p->fps.n - 1]);
	free(dir);
}

static int
do_into(struct inv *inv, struct loader *l, struct plan *p,
    const struct inv_import_opts *o, struct inv_import_result *res,
    char **subject)
{
	struct cert_group *g = NULL;
	struct certfile cur;
	struct strv names;
	const char *label = NULL;
	char *entry = NULL, *err = NULL, d1[16], d2[16];
	size_t i, ng = 0;

	for (i = 0; i < l->n; i++) {
		ng += l->in[i].bundle.ngroups;
		if (g == NULL && l->in[i].bundle.ngroups > 0) {
			g = &l->in[i].bundle.groups[0];
			label = l->in[i].label;
		}
	}
	if (ng != 1) {
		say(l, 2, o->into, "--into takes exactly one certificate (with "
		    "its chain); the input holds %zu", ng);
		return -1;
	}
	if (!name_valid(o->into) || !inv_exists(inv, o->into)) {
		say(l, 2, o->into, "no such entry");
		return -1;
	}
	/* Another entry's certificate: present, not copied into this one. */
	strv_init(&names);
	idx_find_fingerprint(inv->idx, g->items[0].rec.sha256, 1, &names,
	    NULL);
	for (i = 0; i < names.n && strcmp(names.v[i], o->into) == 0; i++)
		;
	if (i < names.n) {
		say(l, 0, label, "already in the inventory as %s; not "
		    "imported into %s", names.v[i], o->into);
		res->present++;
		strv_free(&names);
		return 0;
	}
	strv_free(&names);
	if (!current_leaf(inv, o->into, &cur)) {
		if (!inv_exists(inv, o->into))
			say(l, 2, o->into, "no such entry");
		else
			goto ok;	/* entry without a certificate */
		return -1;
	}
	if (strcmp(cur.certs[0].sha256, g->items[0].rec.sha256) == 0) {
		int same = cur.n == g->n;

		for (i = 1; same && i < g->n; i++)
			same = strcmp(cur.certs[i].sha256,
			    g->items[i].rec.sha256) == 0;
		certfile_free(&cur);
		if (same) {
			say(l, 0, label, "already the current certificate of "
			    "%s", o->into);
			res->present++;
			return 0;
		}
		/* Same leaf, another chain: the operator is mending it. */
		*subject = xasprintf("replace chain of %s: %zu certificates",
		    o->into, g->n);
		goto ok;
	}
	if (g->items[0].rec.not_after <= cur.certs[0].not_after) {
		clock_format_date(cur.certs[0].not_after, d1);
		say(l, 2, label, "not newer than the current certificate of "
		    "%s (expires %s)", o->into, d1);
		certfile_free(&cur);
		return -1;
	}
	if (strcmp(cur.certs[0].subject ? cur.certs[0].subject : "",
	    g->items[0].rec.subject ? g->items[0].rec.subject : "") != 0 ||
	    strcmp(cur.certs[0].sans ? cur.certs[0].sans : "",
	    g->items[0].rec.sans ? g->items[0].rec.sans : "") != 0)
		say(l, 1, label, "subject or SANs differ from those of %s",
		    o->into);
	clock_format_date(cur.certs[0].not_after, d1);
	clock_format_date(g->items[0].rec.not_after, d2);
	*subject = xasprintf("replace %s: expires %s -> %s", o->into, d1, d2);
	certfile_free(&cur);
ok:
	if (o->owner != NULL || o->tags.n > 0) {
		if (entry_text(inv, o->into, o, NULL, &entry, &err) != 0) {
			say(l, 2, o->into, "%s", err);
			free(err);
			return -1;
		}
	}
	plan_entry(inv, p, o->into, g, entry, 1);
	if (*subject == NULL) {
		clock_format_date(g->items[0].rec.not_after, d2);
		*subject = xasprintf("replace %s: expires %s", o->into, d2);
	}
	say(l, 0, label, "replaces the certificate of %s", o->into);
	res->replaced++;
	free(entry);
	return 0;
}

/* Plan the entries of input i: each group checked, named and planned. */
static void
plan_input(struct inv *inv, struct loader *l, struct plan *p,
    const struct inv_import_opts *o, struct inv_import_result *res, size_t i)
{
	struct strv names;
	struct certfile cur;
	struct cert_group *g;
	const struct certrec *r;
	char *name, *base, *entry = NULL, *err = NULL, d1[16], d2[16];
	size_t j, k;

	for (j = 0; j < l->in[i].bundle.ngroups; j++) {
		const char *label = l->in[i].label;

		g = &l->in[i].bundle.groups[j];
		r = &g->items[0].rec;
		if (strset_has(&p->fps_set, r->sha256)) {
			say(l, 0, label, "%s: same certificate twice "
			    "in this import", r->sha256);
			res->present++;
			continue;
		}
		strv_init(&names);
		idx_find_fingerprint(inv->idx, r->sha256, 1, &names,
		    NULL);
		if (names.n > 0) {
			say(l, 0, label, "already in the inventory as "
			    "%s", names.v[0]);
			res->present++;
			strv_free(&names);
			continue;
		}
		idx_find_subject(inv->idx, r->subject ? r->subject : "",
		    r->sans ? r->sans : "", &names, NULL);
		for (k = 0; k < names.n; k++) {
			if (!current_leaf(inv, names.v[k], &cur))
				continue;
			if (cur.certs[0].not_after > r->not_after) {
				clock_format_date(cur.certs[0].not_after,
				    d1);
				say(l, 2, label, "older than the current "
				    "certificate of %s (expires %s); not "
				    "imported", names.v[k], d1);
				certfile_free(&cur);
				break;
			}
			if (cur.certs[0].not_after < r->not_after) {
				clock_format_date(cur.certs[0].not_after,
				    d1);
				clock_format_date(r->not_after, d2);
				say(l, 2, label, "a newer certificate "
				    "for %s (expires %s -> %s); import "
				    "it with --into %s", names.v[k], d1,
				    d2, names.v[k]);
				certfile_free(&cur);
				break;
			}
			certfile_free(&cur);
		}
		if (k < names.n) {
			strv_free(&names);
			continue;
		}
		strv_free(&names);
		if (o->name != NULL) {
			if (!name_valid(o->name)) {
				say(l, 2, o->name, "invalid entry name "
				    "(lowercase a-z, 0-9, '.', '_', "
				    "'-'; at most %d)", ENTRY_NAME_MAX);
				continue;
			}
			if (name_taken(inv, p, o->name)) {
				say(l, 2, label, "name %s is taken by "
				    "an existing entry", o->name);
				continue;
			}
			name = xstrdup(o->name);
		} else {
			base = name_derive(j == 0 &&
			    l->in[i].name_hint != NULL ?
			    l->in[i].name_hint : group_name_source(r));
			name = unique_name(inv, p, base);
			free(base);
		}
		if (entry_text(inv, NULL, o, j == 0 ? &l->in[i].meta :
		    NULL, &entry, &err) != 0) {
			say(l, 2, label, "%s", err);
			free(err);
			err = NULL;
			free(name);
			continue;
		}
		plan_entry(inv, p, name, g, entry, 0);
		say(l, 0, label, "imported as %s", name);
		res->imported++;
		free(entry);
		entry = NULL;
		free(name);
	}
}

static void
do_groups(struct inv *inv, struct loader *l, struct plan *p,
    const struct inv_import_opts *o, struct inv_import_result *res)
{
	size_t i, ng = 0;

	for (i = 0; i < l->n; i++)
		ng += l->in[i].bundle.ngroups;
	if (o->name != NULL && ng > 1) {
		say(l, 2, o->name, "--name names one entry, but the input "
		    "holds %zu certificates (leaf or CA)", ng);
		return;
	}
	for (i = 0; i < l->n; i++)
		plan_input(inv, l, p, o, res, i);
}

/*
 * Plan each input in walk order as soon as it is parsed, under the lock,
 * while the helpers parse the rest: the planning (index look-ups and
 * cache rows, one core's work) waited for the whole parse before. When
 * the next input to plan is not parsed yet, this thread parses the next
 * one nobody has taken, or waits for the helper that has it. -1 if
 * cancelled (nothing is imported).
 */
static int
load_stream(struct loader *l, struct inv *inv, struct plan *p,
    const struct inv_import_opts *o, struct inv_import_result *res)
{
	size_t i, k, last = (size_t)-1;

	for (i = 0; i < l->njobs; i++) {
		struct ljob *j = &l->jobs[i];

		if (o->cancel != NULL && *o->cancel)
			return -1;
		while (!__atomic_load_n(&j->done, __ATOMIC_ACQUIRE)) {
			k = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
			if (k < l->njobs) {
				if (l->jobs[k].level == 0)
					ljob_parse(l, &l->jobs[k]);
				__atomic_store_n(&l->jobs[k].done, 1,
				    __ATOMIC_RELEASE);
				continue;
			}
			pthread_mutex_lock(&l->mu);
			__atomic_store_n(&l->waiting, 1, __ATOMIC_SEQ_CST);
			while (!__atomic_load_n(&j->done, __ATOMIC_SEQ_CST))
				pthread_cond_wait(&l->cv, &l->mu);
			pthread_mutex_unlock(&l->mu);
		}
		if (ljob_take(l, j))
			plan_input(inv, l, p, o, res, l->n - 1);
		if (i == 0)	/* tests: an import held mid-way */
			crash_hold("import-planning", o->cancel);
		if (o->progress != NULL && (i + 1) * 100 / l->njobs != last) {
			last = (i + 1) * 100 / l->njobs;
			o->progress(o->progress_arg, i + 1, l->njobs);
		}
	}
	return 0;
}

int
inv_import(struct inv *inv, char *const *paths, size_t n,
    const struct inv_import_opts *o, struct inv_import_result *res,
    inv_report_cb cb, void *arg, char **cause)
{
	struct loader l;
	struct plan p;
	struct strv trailers;
	pthread_t th[LOAD_THREADS_MAX];
	char *subject = NULL, *msg, *err = NULL, d[16];
	size_t i, nth = 0;
	int rc = -1, stream, e;

	memset(res, 0, sizeof *res);
	memset(&l, 0, sizeof l);
	memset(&p, 0, sizeof p);
	buf_init(&p.body);
	strv_init(&trailers);
	l.cb = cb;
	l.arg = arg;
	l.p12_pass = o->p12_pass;
	l.key_pass = inv_key_passphrase(0, &err);
	if (err != NULL) {
		set_cause(cause, "%s", err);
		free(err);
		return -1;
	}
	l.o = o;
	for (i = 0; i < n; i++)
		load_path(&l, paths[i], 0);
	/*
	 * --into and --name look at every input first; else each input is
	 * planned as it is parsed (load_stream), with the helpers started
	 * before the lock is taken.
	 */
	stream = o->into == NULL && o->name == NULL;
	if (!stream && load_run(&l) != 0) {
		set_cause(cause, "cancelled; nothing imported");
		goto out;
	}
	if (stream)
		nth = load_start(&l, th);
	if (inv_begin(inv, cause) != 0) {
		if (stream)
			load_stop(&l, th, nth, 1);
		goto out;
	}
	/*
	 * Batched cache transactions (CACHE_TX_MS), committed before
	 * inv_commit, which opens its own; if one cannot begin, each put is
	 * its own transaction as before.
	 */
	p.cache_tx = idx_begin(inv->idx, NULL) == 0;
	p.cache_since = clock_mono_ms();
	if (o->into != NULL)
		do_into(inv, &l, &p, o, res, &subject);
	else if (!stream)
		do_groups(inv, &l, &p, o, res);
	else {
		e = load_stream(&l, inv, &p, o, res);
		load_stop(&l, th, nth, e != 0);
		if (e != 0) {
			if (p.cache_tx)
				idx_commit(inv->idx, NULL);
			inv_end(inv);
			set_cause(cause, "cancelled; nothing imported");
			goto out;
		}
		if (o->progress != NULL)
			o->progress(o->progress_arg, l.njobs, l.njobs);
	}
	if (p.cache_tx)
		idx_commit(inv->idx, NULL);
	if (p.nch > 0) {
		if (subject == NULL && p.names.n == 1) {
			const char *nm = p.names.v[0];
			size_t a, b;

			/* Find the one group's expiry for the subject. */
			for (a = 0; a < l.n; a++)
				for (b = 0; b < l.in[a].bundle.ngroups; b++)
					if (strcmp(l.in[a].bundle.groups[b]
					    .items[0].rec.sha256, p.fps.v[0]) == 0)
						clock_format_date(l.in[a].bundle
						    .groups[b].items[0].rec
						    .not_after, d);
			subject = xasprintf("import %s: expires %s", nm, d);
		} else if (subject == NULL)
			subject = xasprintf("import %zu entries: %s%s",
			    p.names.n, p.names.v[0], p.names.n > 1 ?
			    ", ..." : "");
		/*
		 * The parsed inputs are not needed past here (the plan holds
		 * copies): freed before the commit, whose pack and staging
		 * then reuse their memory rather than add to it.
		 */
		load_free(&l);
		for (i = 0; i < p.names.n; i++)
			strv_addn(&trailers, xasprintf("Certdeck-Entry: %s",
			    p.names.v[i]));
		for (i = 0; i < p.fps.n; i++)
			strv_addn(&trailers, xasprintf("Certdeck-Fingerprint: "
			    "%s", p.fps.v[i]));
		msg = inv_message(subject, p.body.data,
		    o->into ? "replace" : "import", &trailers);
		if (inv_commit(inv, p.ch, p.nch, msg, res->commit, cause) != 0) {
			free(msg);
			inv_end(inv);
			goto out;
		}
		free(msg);
	}
	inv_end(inv);
	rc = 0;
out:
	res->refused = l.refused;
	load_free(&l);
	free_secret(l.key_pass, l.key_pass != NULL ? strlen(l.key_pass) : 0);
	free(subject);
	strv_free(&p.names);
	strv_free(&p.fps);
	free(p.names_set.slot);
	free(p.fps_set.slot);
	strv_free(&p.owned);
	free(p.ch);
	buf_free(&p.body);
	strv_free(&trailers);
	return rc;
}
