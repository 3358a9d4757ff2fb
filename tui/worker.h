/*
 * worker.h: background jobs of the terminal UI. One job at a time runs on
 * its own thread with its own inventory handle (inv_open on the same
 * directory: SQLite connections and libgit2 repositories are not shared
 * across threads). It never calls curses: it posts events (progress, a
 * probe result, the end) to a mutex-protected queue and writes a byte to
 * a wake-up pipe that the main loop polls with the keyboard; the main loop
 * drains the queue and applies the events on its own thread.
 */
#ifndef CD_TUI_WORKER_H
#define CD_TUI_WORKER_H

#include <stddef.h>

#include "probe.h"

struct inv;
struct tui;
struct job;

enum job_ev_type {
	JOB_EV_PROGRESS,	/* done of total */
	JOB_EV_PROBE,		/* an endpoint's result landed */
	JOB_EV_DONE,		/* the job ended; text says how */
	JOB_EV_NOTE,		/* a step's outcome for the status bar */
	JOB_EV_RESULT,		/* a payload for landed (a sync's conflicts,
				   the list read whole) */
	JOB_EV_ASK,		/* a secret to ask the operator for (text:
				   the question; payload: where the answer
				   goes, worker_ask_secret) */
};
struct job_ev {
	enum job_ev_type	 type;
	size_t			 done, total;
	char			*entry;		/* PROBE: NULL if none */
	char			*endpoint;	/* PROBE */
	struct inv_probe_last	 last;		/* PROBE */
	char			*text;		/* DONE, NOTE: escaped by the UI */
	/* DONE: run on the main thread once the views are read again
	   (may be NULL). */
	void			(*then)(struct tui *);
	/* RESULT: landed(t, owner, payload) on the main thread takes the
	   payload over (owner: the quiet job's, else NULL); one that is not
	   delivered (its quiet job was cancelled) is payload_free'd. */
	void			(*landed)(struct tui *, void *owner,
				    void *payload);
	void			*payload;
	void			(*payload_free)(void *);
	struct job_ev		*next;
};

/* Runs on the worker thread with the worker's own inventory. When that
   cannot be opened the operator's job is not run (the worker posts why);
   a quiet job is, with inv NULL and worker_open_error saying why, so
   that its view hears of it. */
typedef void (*job_run)(struct job *, struct inv *, void *arg);

/* The wake-up pipe's read end, for the main loop's poll; -1 before init. */
int	 worker_init(void);
int	 worker_fd(void);
/*
 * Start a job labelled label ("probe", "import"); arg is the job's, freed
 * by arg_free after the job ended. cancellable: the job looks at its
 * cancel flag (else Esc says it runs to its end). Returns 0, or -1 (arg
 * freed) with a message when a job is already running or the thread
 * cannot start.
 */
int	 worker_start(struct tui *, const char *label, int cancellable,
	    job_run, void *arg, void (*arg_free)(void *));
/*
 * A quiet job does a view's own work in the background (the list's read
 * of the whole inventory), beside the operator's job: it is not in the
 * status bar, Esc does not cancel it, and the views are not read again
 * when it ends. owner is the view's state, given to the landed function
 * of its results. The view calls worker_quiet_cancel(owner) before it
 * goes or starts another for the same work: the results of a cancelled
 * job are never delivered (its thread ends on its own and is reaped).
 * Returns 0, or -1 (arg freed) with a message.
 */
int	 worker_start_quiet(struct tui *, const char *label, void *owner,
	    job_run, void *arg, void (*arg_free)(void *));
void	 worker_quiet_cancel(void *owner);
/* Worker side: post an event (owned by the queue from here). */
void	 worker_post(struct job *, struct job_ev *);
void	 worker_progress(struct job *, size_t done, size_t total);
void	 worker_done(struct job *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The same, and then(t) on the main thread after the views reloaded. */
void	 worker_done_then(struct job *, void (*then)(struct tui *),
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Worker side: progress with a word on what just finished. */
void	 worker_note(struct job *, size_t done, size_t total,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Worker side: the cancel flag, for core calls that take one. */
const volatile int *worker_cancel_flag(struct job *);
int	 worker_cancelled(struct job *);
/* The inventory directory the job opened. */
const char *worker_dir(struct job *);
/* Why the job's inventory could not be opened (inv NULL). */
const char *worker_open_error(struct job *);

/*
 * Worker side, from core's prompt hooks (a key passphrase, a token's
 * PIN, an ssh key's passphrase): ask the operator in the status bar,
 * without echo, and wait for the answer (malloc'd, for free_secret) or
 * NULL: Esc, the job cancelled, or not on the thread of a job that
 * called worker_may_ask (the jobs whose command asks on the terminal:
 * renew and sync; an import, a probe or an audit asks nothing, as their
 * commands do not).
 */
void	 worker_may_ask(struct job *);
char	*worker_ask_secret(const char *question);

/* Main loop: apply what the queue holds; 1 if anything changed. */
int	 worker_drain(struct tui *);
/* A job's question held back while the operator's was open: ask it now
   if none is (1: asked). The main loop calls it on every turn. */
int	 worker_ask_next(struct tui *);
/* Whether a job runs; its status bar text ("probe 12/340  Esc cancels"). */
int	 worker_busy(struct tui *);
const char *worker_status(struct tui *);
/* The main loop's clock tick while a job runs: the status bar's spinner
   and seconds move (a job without progress shows it is alive). */
void	 worker_tick(struct tui *);
/* Esc: ask the job to stop (it says "cancelled" when it has). 1 if a job
   was running. */
int	 worker_cancel(struct tui *);
/* At exit: cancel every job, wait for the threads, free everything. */
void	 worker_stop(struct tui *);

#endif
