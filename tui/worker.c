/*
 * worker.c: the background jobs of the terminal UI (worker.h): the
 * operator's one job, and the quiet jobs of views beside it. A job's
 * thread owns its own inventory handle and never touches curses or the
 * struct tui; everything it says goes through its queue below. The main
 * thread reads the queues when the wake-up pipe is readable and is the
 * only one that changes the screen, the views and the status bar.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "inventory.h"
#include "view.h"
#include "worker.h"

struct job {
	char		*label;
	char		*dir;
	job_run		 run;
	void		*arg;
	void		(*arg_free)(void *);
	void		*owner;		/* a quiet job's view, else NULL */
	char		*open_error;	/* why inv_open failed */
	struct job	*next;		/* the quiet jobs' list */
	volatile int	 cancel;	/* set by the main thread */
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	struct job_ev	*head, *tail;	/* under mu */
	/* The main thread's own view of it. */
	int		 ended;		/* DONE seen */
	int		 cancellable;
	size_t		 done, total;
	unsigned	 ticks;
	int64_t		 started;	/* monotonic ms */
	char		 status[96];
};

static int	 worker_pipe[2] = { -1, -1 };
static struct job *worker_job;		/* the operator's one job */
static struct job *worker_quiet;	/* the quiet jobs, cancelled or not */
/* The operator's job, while it may ask (worker_may_ask): asked from any
   of its threads (a renewal batch signs on threads of its own). */
static struct job *worker_asker;
static pthread_t worker_main_thread;	/* the UI's: never waits on itself */

/*
 * A secret asked for by a job (worker_ask_secret): the job's thread
 * waits on it, the main thread's prompt answers it. Each side holds a
 * reference: the job may stop waiting (cancelled) before the operator
 * answers, and the prompt may be closed before the job looks.
 */
struct ask {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 refs;
	int		 answered;
	char		*answer;
};

static void
ask_drop(void *arg)
{
	struct ask *a = arg;
	int last;

	pthread_mutex_lock(&a->mu);
	last = --a->refs == 0;
	pthread_mutex_unlock(&a->mu);
	if (!last)
		return;
	if (a->answer != NULL)
		free_secret(a->answer, strlen(a->answer));
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

static int64_t
worker_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The status bar's words for the job, from the main thread's copy. */
static void
worker_format(struct job *j)
{
	static const char spin[] = "|/-\\";
	long secs = (long)((worker_ms() - j->started) / 1000);

	if (j->total > 0)
		snprintf(j->status, sizeof j->status, "%s %zu/%zu %c %lds  %s",
		    j->label, j->done, j->total, spin[j->ticks % 4], secs,
		    j->cancel ? "cancelling" : "Esc cancels");
	else
		snprintf(j->status, sizeof j->status, "%s %c %lds%s", j->label,
		    spin[j->ticks % 4], secs, !j->cancellable ? "" :
		    j->cancel ? "  cancelling" : "  Esc cancels");
}

int
worker_init(void)
{
	int i, fl;

	if (worker_pipe[0] != -1)
		return 0;
	worker_main_thread = pthread_self();	/* called there first */
	if (pipe(worker_pipe) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		fl = fcntl(worker_pipe[i], F_GETFL);
		fcntl(worker_pipe[i], F_SETFL, fl | O_NONBLOCK);
		fcntl(worker_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	return 0;
}

int
worker_fd(void)
{
	return worker_pipe[0];
}

static void
ev_free(struct job_ev *ev)
{
	if (ev == NULL)
		return;
	free(ev->entry);
	free(ev->endpoint);
	free(ev->text);
	if (ev->payload != NULL && ev->payload_free != NULL)
		ev->payload_free(ev->payload);
	free(ev);
}

/* Worker side. */

void
worker_post(struct job *j, struct job_ev *ev)
{
	unsigned char c = 1;

	ev->next = NULL;
	pthread_mutex_lock(&j->mu);
	if (j->tail != NULL)
		j->tail->next = ev;
	else
		j->head = ev;
	j->tail = ev;
	pthread_mutex_unlock(&j->mu);
	/* Non-blocking: a full pipe already holds a wake-up. */
	if (write(worker_pipe[1], &c, 1) == -1)
		(void)0;
}

void
worker_progress(struct job *j, size_t done, size_t total)
{
	struct job_ev *ev = xcalloc(1, sizeof *ev);

	ev->type = JOB_EV_PROGRESS;
	ev->done = done;
	ev->total = total;
	worker_post(j, ev);
}

void
worker_done(struct job *j, const char *fmt, ...)
{
	struct job_ev *ev = xcalloc(1, sizeof *ev);
	va_list ap;

	ev->type = JOB_EV_DONE;
	va_start(ap, fmt);
	ev->text = xvasprintf(fmt, ap);
	va_end(ap);
	worker_post(j, ev);
}

void
worker_done_then(struct job *j, void (*then)(struct tui *),
    const char *fmt, ...)
{
	struct job_ev *ev = xcalloc(1, sizeof *ev);
	va_list ap;

	ev->type = JOB_EV_DONE;
	ev->then = then;
	va_start(ap, fmt);
	ev->text = xvasprintf(fmt, ap);
	va_end(ap);
	worker_post(j, ev);
}

void
worker_note(struct job *j, size_t done, size_t total, const char *fmt, ...)
{
	struct job_ev *ev = xcalloc(1, sizeof *ev);
	va_list ap;

	ev->type = JOB_EV_NOTE;
	ev->done = done;
	ev->total = total;
	va_start(ap, fmt);
	ev->text = xvasprintf(fmt, ap);
	va_end(ap);
	worker_post(j, ev);
}

const volatile int *
worker_cancel_flag(struct job *j)
{
	return &j->cancel;
}

int
worker_cancelled(struct job *j)
{
	return __atomic_load_n(&j->cancel, __ATOMIC_SEQ_CST) != 0;
}

const char *
worker_dir(struct job *j)
{
	return j->dir;
}

const char *
worker_open_error(struct job *j)
{
	return j->open_error != NULL ? j->open_error : "cannot open";
}

/* Problems core reports on the worker's inventory: not for the screen
   from this thread; the job's summary says what matters. */
static void
worker_report(void *arg, int level, const char *input, const char *msg)
{
	(void)arg;
	(void)level;
	(void)input;
	(void)msg;
}

void
worker_may_ask(struct job *j)
{
	if (j->owner == NULL)	/* a quiet job asks nothing */
		__atomic_store_n(&worker_asker, j, __ATOMIC_SEQ_CST);
}

char *
worker_ask_secret(const char *question)
{
	struct job *j = __atomic_load_n(&worker_asker, __ATOMIC_SEQ_CST);
	struct job_ev *ev;
	struct ask *a;
	struct timespec until;
	char *answer = NULL;

	if (j == NULL || pthread_equal(pthread_self(), worker_main_thread))
		return NULL;
	crash_hold("ask-secret", &j->cancel);	/* tests: the operator first */
	a = xcalloc(1, sizeof *a);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->refs = 2;
	ev = xcalloc(1, sizeof *ev);
	ev->type = JOB_EV_ASK;
	ev->text = xstrdup(question);
	ev->payload = a;
	ev->payload_free = ask_drop;
	worker_post(j, ev);
	/* Bounded only by the operator, but a cancel is seen in 100 ms. */
	pthread_mutex_lock(&a->mu);
	while (!a->answered && !worker_cancelled(j)) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&a->cv, &a->mu, &until);
	}
	if (a->answered) {
		answer = a->answer;
		a->answer = NULL;
	}
	pthread_mutex_unlock(&a->mu);
	ask_drop(a);
	return answer;
}

/*
 * A job's question that came while the operator had a question of their
 * own open: it waits for that one to close (worker_ask_next) rather than
 * cancel what they were typing.
 */
static struct job_ev *ask_waiting;

static void	ask_done(struct tui *, void *, const char *);

/* The question without its trailing ": " (the prompt ends it its way). */
static int
ask_len(const char *q)
{
	size_t n = strlen(q);

	while (n > 0 && strchr(": ", q[n - 1]) != NULL)
		n--;
	return (int)n;
}

/* Put the job's question in the status bar; the prompt takes its ref. */
static void
ask_open(struct tui *t, struct job_ev *ev)
{
	tui_ask_secret(t, ask_done, ev->payload, "%.*s:", ask_len(ev->text),
	    ev->text);
	ev->payload = NULL;
	ev_free(ev);
}

/* The job that asked is gone: so is its waiting question. */
static void
ask_forget(struct tui *t)
{
	ev_free(ask_waiting);
	ask_waiting = NULL;
	tui_prompt_waiting(t, NULL);
}

int
worker_ask_next(struct tui *t)
{
	struct job_ev *ev = ask_waiting;

	if (ev == NULL)
		return 0;
	if (t->prompt.open) {
		char *what;

		if (t->prompt.waiting == NULL && worker_job != NULL) {
			what = xasprintf("[%s waits to ask: %.*s]",
			    worker_job->label, ask_len(ev->text), ev->text);
			tui_prompt_waiting(t, what);
			free(what);
		}
		return 0;
	}
	ask_waiting = NULL;
	tui_prompt_waiting(t, NULL);
	ask_open(t, ev);
	return 1;
}

/* The operator's answer (NULL: Esc, or the question was closed). */
static void
ask_done(struct tui *t, void *arg, const char *answer)
{
	struct ask *a = arg;

	(void)t;
	pthread_mutex_lock(&a->mu);
	if (!a->answered) {
		a->answer = answer != NULL ? xstrdup(answer) : NULL;
		a->answered = 1;
		pthread_cond_signal(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	ask_drop(a);
}

static void *
worker_main(void *arg)
{
	struct job *j = arg;
	struct inv *inv = NULL;
	char *err = NULL;

	if (inv_open(j->dir, INV_OPEN_NOREFRESH, worker_report, j, &inv,
	    &err) != 0) {
		/* A quiet job tells its view itself: it runs without one. */
		if (j->owner != NULL) {
			j->open_error = err;
			j->run(j, NULL, j->arg);
			return NULL;
		}
		worker_done(j, "%s: %s", j->label, err);
		free(err);
		return NULL;
	}
	j->run(j, inv, j->arg);
	inv_close(inv);
	return NULL;
}

/* Main thread. */

static void
job_free(struct job *j)
{
	struct job_ev *ev, *next;

	for (ev = j->head; ev != NULL; ev = next) {
		next = ev->next;
		ev_free(ev);
	}
	if (j->arg_free != NULL)
		j->arg_free(j->arg);
	pthread_mutex_destroy(&j->mu);
	free(j->open_error);
	free(j->label);
	free(j->dir);
	free(j);
}

/* A job on its thread, or NULL (arg freed) with a message. */
static struct job *
worker_spawn(struct tui *t, const char *label, int cancellable, void *owner,
    job_run run, void *arg, void (*arg_free)(void *))
{
	struct job *j;
	int e;

	if (worker_init() != 0) {
		tui_message(t, "pipe: %s", strerror(errno));
		if (arg_free != NULL)
			arg_free(arg);
		return NULL;
	}
	j = xcalloc(1, sizeof *j);
	j->label = xstrdup(label);
	j->dir = xstrdup(t->dir);
	j->run = run;
	j->arg = arg;
	j->arg_free = arg_free;
	j->cancellable = cancellable;
	j->owner = owner;
	j->started = worker_ms();
	pthread_mutex_init(&j->mu, NULL);
	worker_format(j);
	if ((e = pthread_create(&j->thread, NULL, worker_main, j)) != 0) {
		tui_message(t, "%s: cannot start a thread: %s", label,
		    strerror(e));
		job_free(j);
		return NULL;
	}
	return j;
}

int
worker_start(struct tui *t, const char *label, int cancellable, job_run run,
    void *arg, void (*arg_free)(void *))
{
	if (worker_job != NULL) {
		tui_message(t, "a job is running (%s); Esc cancels it",
		    worker_job->label);
		if (arg_free != NULL)
			arg_free(arg);
		return -1;
	}
	worker_job = worker_spawn(t, label, cancellable, NULL, run, arg,
	    arg_free);
	return worker_job != NULL ? 0 : -1;
}

int
worker_start_quiet(struct tui *t, const char *label, void *owner,
    job_run run, void *arg, void (*arg_free)(void *))
{
	struct job *j;

	if ((j = worker_spawn(t, label, 1, owner, run, arg, arg_free)) ==
	    NULL)
		return -1;
	j->next = worker_quiet;
	worker_quiet = j;
	return 0;
}

void
worker_quiet_cancel(void *owner)
{
	struct job *j;

	for (j = worker_quiet; j != NULL; j = j->next)
		if (j->owner == owner)
			__atomic_store_n(&j->cancel, 1, __ATOMIC_SEQ_CST);
}

/* Wait for the job's thread (it has posted its end) and free it. */
static void
worker_finish(struct job *j)
{
	pthread_join(j->thread, NULL);
	job_free(j);
}

/* The events the job posted so far, now the main thread's. */
static struct job_ev *
worker_take(struct job *j)
{
	struct job_ev *ev;

	pthread_mutex_lock(&j->mu);
	ev = j->head;
	j->head = j->tail = NULL;
	pthread_mutex_unlock(&j->mu);
	return ev;
}

/* A RESULT event, delivered: the payload is landed's now. */
static void
worker_result(struct tui *t, struct job *j, struct job_ev *ev)
{
	if (ev->landed == NULL)
		return;
	ev->landed(t, j->owner, ev->payload);
	ev->payload = NULL;
}

/* The quiet jobs' events (a cancelled one's results are dropped); the
   ended ones are reaped. */
static int
worker_drain_quiet(struct tui *t)
{
	struct job **jp, *j;
	struct job_ev *ev, *next;
	int changed = 0;

	for (j = worker_quiet; j != NULL; j = j->next) {
		for (ev = worker_take(j); ev != NULL; ev = next) {
			next = ev->next;
			if (ev->type == JOB_EV_RESULT && !j->cancel) {
				worker_result(t, j, ev);
				changed = 1;
			} else if (ev->type == JOB_EV_DONE)
				j->ended = 1;
			ev_free(ev);
		}
	}
	/* Apart: a landed function may have started another. */
	for (jp = &worker_quiet; (j = *jp) != NULL;) {
		if (j->ended) {
			*jp = j->next;
			worker_finish(j);
		} else
			jp = &j->next;
	}
	return changed;
}

int
worker_drain(struct tui *t)
{
	struct job *j = worker_job;
	struct job_ev *ev, *next;
	unsigned char buf[256];
	void (*then)(struct tui *) = NULL;
	int changed = 0, i;

	while (read(worker_pipe[0], buf, sizeof buf) > 0)
		;
	changed = worker_drain_quiet(t);
	if (j == NULL)
		return changed;
	for (ev = worker_take(j); ev != NULL; ev = next) {
		next = ev->next;
		changed = 1;
		switch (ev->type) {
		case JOB_EV_PROGRESS:
			j->done = ev->done;
			j->total = ev->total;
			break;
		case JOB_EV_PROBE:
			j->done = ev->done;
			j->total = ev->total;
			for (i = 0; i < t->depth; i++)
				if (t->stack[i].ops->probe_landed != NULL)
					t->stack[i].ops->probe_landed(t,
					    &t->stack[i], ev->entry,
					    ev->endpoint, &ev->last);
			break;
		case JOB_EV_RESULT:
			worker_result(t, j, ev);
			break;
		case JOB_EV_DONE:
			j->ended = 1;
			then = ev->then;
			tui_message(t, "%s", ev->text);
			break;
		case JOB_EV_NOTE:
			j->done = ev->done;
			j->total = ev->total;
			tui_message(t, "%s", ev->text);
			break;
		case JOB_EV_ASK:
			/* After the operator's own question, if one is open. */
			ev_free(ask_waiting);
			ask_waiting = ev;
			ev = NULL;
			worker_ask_next(t);
			break;
		}
		ev_free(ev);
	}
	worker_format(j);
	if (j->ended) {
		char msg[sizeof t->msg];

		/* A question the job no longer waits for goes with it. */
		if (t->prompt.open && t->prompt.done == ask_done)
			prompt_cancel(t);
		ask_forget(t);
		/* What it was told is not kept past the job. */
		__atomic_store_n(&worker_asker, NULL, __ATOMIC_SEQ_CST);
		inv_set_passphrase(NULL);
		worker_finish(j);
		worker_job = NULL;
		/* What the job committed and recorded, read again; the
		   job's last word stays in the status bar. */
		memcpy(msg, t->msg, sizeof msg);
		tui_reload(t);
		memcpy(t->msg, msg, sizeof msg);
		if (then != NULL)
			then(t);
	}
	return changed;
}

int
worker_busy(struct tui *t)
{
	(void)t;
	return worker_job != NULL;
}

const char *
worker_status(struct tui *t)
{
	(void)t;
	return worker_job != NULL ? worker_job->status : NULL;
}

void
worker_tick(struct tui *t)
{
	(void)t;
	if (worker_job == NULL)
		return;
	worker_job->ticks++;
	worker_format(worker_job);
}

int
worker_cancel(struct tui *t)
{
	struct job *j = worker_job;

	if (j == NULL)
		return 0;
	if (!j->cancellable) {
		tui_message(t, "%s cannot be stopped half way; it runs to its "
		    "end", j->label);
		return 1;
	}
	__atomic_store_n(&j->cancel, 1, __ATOMIC_SEQ_CST);
	worker_format(j);
	tui_message(t, "%s: cancelling", j->label);
	return 1;
}

void
worker_stop(struct tui *t)
{
	struct job *j;

	while ((j = worker_quiet) != NULL) {
		worker_quiet = j->next;
		__atomic_store_n(&j->cancel, 1, __ATOMIC_SEQ_CST);
		worker_finish(j);
	}
	if (worker_job == NULL)
		return;
	__atomic_store_n(&worker_job->cancel, 1, __ATOMIC_SEQ_CST);
	worker_finish(worker_job);
	__atomic_store_n(&worker_asker, NULL, __ATOMIC_SEQ_CST);
	worker_job = NULL;
	ask_forget(t);
}
