/*
 * list_jobs.c: the list's keys that run as background jobs (worker.h):
 * p probes the entry's endpoints and P every endpoint, through the calls
 * `certdeck probe` makes (inv_probe_targets, inv_probe: results recorded
 * in the index, observed/ changes committed); i imports a path, as
 * `certdeck import` does; r renews the entry and R every due entry, as
 * `certdeck renew` does, after a confirmation that shows what will happen
 * (inv_renew_plan). The job functions run on the worker thread with the
 * worker's own inventory and never call curses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "inventory.h"
#include "probe.h"
#include "sync.h"
#include "view.h"
#include "worker.h"

/* --- p and P */

struct probe_job {
	char		*name;		/* NULL: every endpoint */
	struct job	*job;
	size_t		 done, total;
	int64_t		 now;
	char		*problem;	/* the first report */
};

static void
probe_job_free(void *arg)
{
	struct probe_job *pj = arg;

	free(pj->name);
	free(pj->problem);
	free(pj);
}

static void
probe_job_report(void *arg, int level, const char *input, const char *msg)
{
	struct probe_job *pj = arg;

	if (level == 0 || pj->problem != NULL)
		return;
	pj->problem = xasprintf("%s%s%s", input ? input : "", input ? ": " :
	    "", msg);
}

static void
probe_job_result(void *arg, struct probe_result *r)
{
	struct probe_job *pj = arg;
	struct job_ev *ev = xcalloc(1, sizeof *ev);

	/* One the cancel stopped is not done, and changes nothing shown:
	   the endpoint's last probe is still the one before. */
	if (r->kind == PROBE_CANCELLED) {
		free(ev);
		probe_result_free(r);
		return;
	}
	ev->type = JOB_EV_PROBE;
	pj->done++;
	ev->done = pj->done;
	ev->total = pj->total;
	ev->entry = r->entry != NULL ? xstrdup(r->entry) : NULL;
	ev->endpoint = xstrdup(r->endpoint);
	inv_probe_last_of(r, pj->now, &ev->last);
	probe_result_free(r);
	worker_post(pj->job, ev);
}

static void
probe_job_run(struct job *j, struct inv *inv, void *arg)
{
	struct probe_job *pj = arg;
	struct inv_probe_opts o;
	struct inv_probe_summary sum;
	struct probe_target *t = NULL;
	char *err = NULL, *words[1];
	size_t nt = 0;
	int rc;

	pj->job = j;
	pj->now = clock_now();
	words[0] = pj->name;
	if (inv_probe_targets(inv, words, pj->name != NULL ? 1 : 0,
	    pj->name == NULL, &t, &nt, probe_job_report, pj, &err) != 0) {
		worker_done(j, "probe: %s", err);
		free(err);
		return;
	}
	if (nt == 0) {
		if (pj->name != NULL)
			worker_done(j, "%s has no endpoints (e adds them: "
			    "endpoints = HOST:PORT)", pj->name);
		else
			worker_done(j, "no entry has endpoints (e adds them: "
			    "endpoints = HOST:PORT)");
		free(t);
		return;
	}
	pj->total = nt;
	worker_progress(j, 0, nt);
	memset(&o, 0, sizeof o);
	o.jobs = PROBE_JOBS_DEFAULT;
	o.timeout_ms = PROBE_TIMEOUT_DEFAULT_MS;
	o.cancel = worker_cancel_flag(j);
	rc = inv_probe(inv, t, nt, &o, probe_job_result, pj, &sum, &err);
	if (rc != 0)
		worker_done(j, "probe: %s", err);
	else if (worker_cancelled(j))
		worker_done(j, "probe cancelled: %zu of %zu endpoints probed",
		    pj->done, nt);
	else
		worker_done(j, "%zu probed: %zu healthy, %zu not%s%s",
		    sum.probed, sum.healthy, sum.probed - sum.healthy,
		    pj->problem ? "; " : "", pj->problem ? pj->problem : "");
	free(err);
	free(t);
}

void
tui_probe_start(struct tui *t, const char *name)
{
	struct probe_job *pj = xcalloc(1, sizeof *pj);

	pj->name = name != NULL ? xstrdup(name) : NULL;
	if (worker_start(t, "probe", 1, probe_job_run, pj, probe_job_free) == 0)
		tui_message(t, "probing %s (Esc cancels)", name != NULL ?
		    name : "every endpoint");
}

void
view_list_probe(struct tui *t, struct view *v, int arg)
{
	const char *name;

	if (view_list_readonly(t, v))
		return;
	if ((name = view_list_current(v)) == NULL) {
		tui_message(t, "the list is empty");
		return;
	}
	tui_probe_start(t, name);
}

void
view_list_probe_all(struct tui *t, struct view *v, int arg)
{
	if (view_list_readonly(t, v))
		return;
	tui_probe_start(t, NULL);
}

/* --- a: an audit sweep, as `certdeck audit` runs it (findings committed
   when they changed), then the audit view */

/* A sweep that could not be recorded hands its findings to the main
   thread here (taken by audit_unrecorded_show, after the job's end). */
static struct audit_finding *unrec_f;
static size_t unrec_n;

static void
audit_unrecorded_show(struct tui *t)
{
	audit_findings_free(t->unrec_f, t->unrec_n);
	t->unrec_f = unrec_f;
	t->unrec_n = unrec_n;
	t->unrec = 1;
	unrec_f = NULL;
	unrec_n = 0;
	tui_audit_show(t);
}

static void
audit_job_run(struct job *j, struct inv *inv, void *arg)
{
	struct audit_report rep;
	char *err = NULL;

	(void)arg;
	if (audit_sweep(inv, &rep, &err) != 0) {
		worker_done(j, "audit: %s", err);
		free(err);
		return;
	}
	if (rep.unrecorded) {
		audit_findings_free(unrec_f, unrec_n);
		unrec_f = rep.f;
		unrec_n = rep.n;
		rep.f = NULL;
		rep.n = 0;
		worker_done_then(j, audit_unrecorded_show, "audit: %zu "
		    "findings (%zu critical, %zu warning); not recorded: the "
		    "inventory cannot be written here", unrec_n,
		    rep.by_sev[AUDIT_CRITICAL], rep.by_sev[AUDIT_WARNING]);
	} else if (*rep.commit != '\0')
		worker_done_then(j, tui_audit_show, "audit: %zu findings (%zu "
		    "critical, %zu warning); %zu new, %zu resolved, commit "
		    "%.10s", rep.n, rep.by_sev[AUDIT_CRITICAL],
		    rep.by_sev[AUDIT_WARNING], rep.added, rep.resolved,
		    rep.commit);
	else
		worker_done_then(j, tui_audit_show, "audit: %zu findings (%zu "
		    "critical, %zu warning); no change since the last sweep",
		    rep.n, rep.by_sev[AUDIT_CRITICAL],
		    rep.by_sev[AUDIT_WARNING]);
	audit_report_free(&rep);
}

void
view_list_audit(struct tui *t, struct view *v, int arg)
{
	if (view_list_readonly(t, v))
		return;
	if (worker_start(t, "audit", 0, audit_job_run, NULL, NULL) == 0)
		tui_message(t, "audit sweep running");
}

/* --- i: the import itself (list_actions.c asks for the path) */

struct import_job {
	char	*path;
	char	*problem;
};

static void
import_job_free(void *arg)
{
	struct import_job *ij = arg;

	free(ij->path);
	free(ij->problem);
	free(ij);
}

static void
import_job_report(void *arg, int level, const char *input, const char *msg)
{
	struct import_job *ij = arg;

	if (level == 0 || ij->problem != NULL)
		return;
	ij->problem = xasprintf("%s%s%s", input ? input : "", input ? ": " :
	    "", msg);
}

static void
import_job_progress(void *arg, size_t done, size_t total)
{
	worker_progress(arg, done, total);
}

static void
import_job_run(struct job *j, struct inv *inv, void *arg)
{
	struct import_job *ij = arg;
	struct inv_import_opts o;
	struct inv_import_result res;
	char *err = NULL;

	memset(&o, 0, sizeof o);
	strv_init(&o.tags);
	/* Files taken in so far in the status bar; the count at the end. */
	o.progress = import_job_progress;
	o.progress_arg = j;
	o.cancel = worker_cancel_flag(j);
	if (inv_import(inv, &ij->path, 1, &o, &res, import_job_report, ij,
	    &err) != 0)
		worker_done(j, "import: %s", err);
	else
		worker_done(j, "%zu imported, %zu replaced, %zu already "
		    "present, %zu refused%s%s", res.imported, res.replaced,
		    res.present, res.refused, ij->problem ? ": " : "",
		    ij->problem ? ij->problem : "");
	strv_free(&o.tags);
	free(err);
}

void
list_import_start(struct tui *t, char *path)
{
	struct import_job *ij = xcalloc(1, sizeof *ij);

	ij->path = path;
	if (worker_start(t, "import", 1, import_job_run, ij,
	    import_job_free) == 0)
		tui_message(t, "importing %s", path);
}

/* --- r and R */

struct renew_job {
	struct strv	 names;
	struct job	*job;
	size_t		 done, ok, notlive;
	char		*first_error;
};

static void
renew_job_free(void *arg)
{
	struct renew_job *rj = arg;

	strv_free(&rj->names);
	free(rj->first_error);
	free(rj);
}

/* Each result as it lands (inv_renew runs several at once and calls
   this on the job's thread as each is committed): the list follows HEAD
   by itself (one commit per renewal), the status bar counts the finished
   ones and says how the last went. */
static void
renew_job_result(void *arg, const struct inv_renew_result *r)
{
	struct renew_job *rj = arg;
	char nd[16];

	rj->done++;
	if (!r->ok) {
		if (rj->first_error == NULL)
			rj->first_error = xasprintf("%s: %s", r->name,
			    r->error);
		worker_note(rj->job, rj->done, rj->names.n, "%s: %s", r->name,
		    r->error);
		return;
	}
	rj->ok++;
	if (r->live == 0)
		rj->notlive++;
	clock_format_date(r->new_not_after, nd);
	worker_note(rj->job, rj->done, rj->names.n, "renewed %s: expires %s%s",
	    r->name, nd, r->live == 0 ? " (renewed, not live)" : "");
}

static void
renew_job_run(struct job *j, struct inv *inv, void *arg)
{
	struct renew_job *rj = arg;
	struct inv_renew_opts o;
	char *err = NULL;
	int failed;

	worker_may_ask(j);	/* the key passphrase, a token's PIN */

	rj->job = j;
	worker_progress(j, 0, rj->names.n);
	memset(&o, 0, sizeof o);
	o.cancel = worker_cancel_flag(j);
	failed = inv_renew(inv, rj->names.v, rj->names.n, &o,
	    renew_job_result, rj, &err);
	if (failed < 0)
		worker_done(j, "renew: %s", err);
	else if (worker_cancelled(j))
		worker_done(j, "renew cancelled: %zu of %zu renewed", rj->ok,
		    rj->names.n);
	else if (rj->names.n == 1 && rj->first_error != NULL)
		worker_done(j, "renewal failed: %s", rj->first_error);
	else
		worker_done(j, "%zu renewed (%zu not live yet), %d failed%s%s",
		    rj->ok, rj->notlive, failed, rj->first_error ? "; " : "",
		    rj->first_error ? rj->first_error : "");
	free(err);
}

static void
renew_confirmed(struct tui *t, void *arg, const char *answer)
{
	struct renew_job *rj = arg;

	if (answer == NULL) {
		tui_message(t, "nothing renewed");
		renew_job_free(rj);
		return;
	}
	if (worker_start(t, "renew", 1, renew_job_run, rj,
	    renew_job_free) == 0)
		tui_message(t, "renewing %s (Esc stops starting more)",
		    rj->names.n == 1 ? rj->names.v[0] : "the due entries");
}

void
view_list_renew(struct tui *t, struct view *v, int arg)
{
	struct inv_renew_plan p;
	struct renew_job *rj;
	const char *name;
	char *err = NULL, *deploy, nd[16];

	if (view_list_unchangeable(t, v))
		return;
	if ((name = view_list_current(v)) == NULL) {
		tui_message(t, "the list is empty");
		return;
	}
	if (inv_renew_plan(t->inv, name, &p, &err) != 0) {
		tui_message(t, "%s", err);
		free(err);
		inv_renew_plan_free(&p);
		return;
	}
	rj = xcalloc(1, sizeof *rj);
	strv_init(&rj->names);
	strv_add(&rj->names, name);
	deploy = strv_join(&p.deploy, ", ");
	if (p.new_not_after != 0)
		clock_format_date(p.new_not_after, nd);
	else
		snprintf(nd, sizeof nd, "?");
	tui_confirm(t, renew_confirmed, rj, "renew %s via %s, new expiry %s, "
	    "key %s, deploy: %s%s%s?", name, p.profile, nd, p.key,
	    p.deploy.n ? deploy : "none", p.reload ? "; reload: " : "",
	    p.reload ? p.reload : "");
	free(deploy);
	inv_renew_plan_free(&p);
}

void
view_list_renew_due(struct tui *t, struct view *v, int arg)
{
	struct renew_job *rj;
	char *err = NULL, *list;

	if (view_list_unchangeable(t, v))
		return;
	rj = xcalloc(1, sizeof *rj);
	strv_init(&rj->names);
	if (inv_renew_due(t->inv, &rj->names, &err) != 0) {
		tui_message(t, "%s", err);
		free(err);
		renew_job_free(rj);
		return;
	}
	if (rj->names.n == 0) {
		tui_message(t, "nothing is due for renewal");
		renew_job_free(rj);
		return;
	}
	list = strv_join(&rj->names, ", ");
	tui_confirm(t, renew_confirmed, rj, "renew %zu due: %s?",
	    rj->names.n, list);
	free(list);
}

/* --- Y: sync, as certdeck sync does */

static void
sync_result_free(void *arg)
{
	struct inv_sync_result *res = arg;

	inv_sync_result_free(res);
	free(res);
}

static void
sync_job_run(struct job *j, struct inv *inv, void *arg)
{
	struct inv_sync_result *res = xcalloc(1, sizeof *res);
	struct job_ev *ev;
	char *err = NULL;
	int r;

	worker_may_ask(j);	/* an encrypted ssh key's passphrase */

	(void)arg;
	r = inv_sync(inv, NULL, res, &err);
	if (r < 0)
		worker_done(j, "sync: %s", err);
	else if (r == 1) {
		char *msg = xasprintf("sync with %s stopped on %zu "
		    "conflict%s: o keeps yours, t takes %s's", res->remote,
		    res->nconflicts, res->nconflicts == 1 ? "" : "s",
		    res->remote);

		/* Before DONE (the main thread joins the job at DONE);
		   res is the UI's from here. */
		ev = xcalloc(1, sizeof *ev);
		ev->type = JOB_EV_RESULT;
		ev->landed = view_conflict_landed;
		ev->payload = res;
		ev->payload_free = sync_result_free;
		res = NULL;
		worker_post(j, ev);
		worker_done(j, "%s", msg);
		free(msg);
	} else if (res->taken == 0 && res->pushed == 0)
		worker_done(j, "%s: already in step", res->remote);
	else
		worker_done(j, "synced with %s: %zu taken, %zu replayed on "
		    "top, %zu pushed", res->remote, res->taken, res->replayed,
		    res->pushed);
	if (res != NULL)
		sync_result_free(res);
	free(err);
}

void
tui_sync_start(struct tui *t)
{
	/* Not cancellable: it stops only between its steps, each of which
	   leaves both repositories usable, but a half-done push is not
	   worth the surprise. */
	if (worker_start(t, "sync", 0, sync_job_run, NULL, NULL) == 0)
		tui_message(t, "syncing");
}

void
view_list_sync(struct tui *t, struct view *v, int arg)
{
	if (view_list_unchangeable(t, v))
		return;
	tui_sync_start(t);
}
