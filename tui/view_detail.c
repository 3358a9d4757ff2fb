/*
 * view_detail.c: one entry in full: its status, the leaf's fields, each
 * chain certificate with its expiry, the metadata and the last commits
 * that touched it. Read from the index (idx_entry_get, idx_file_get) and
 * history (inv_log), as `certdeck show` does; built once into lines of
 * escaped text, then scrolled. The endpoint lines are redrawn in place
 * as probe results land (detail_probe_landed), while a job still runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "entry.h"
#include "escape.h"
#include "inventory.h"
#include "probe.h"
#include "view.h"

#define DETAIL_LOG	10
#define DETAIL_LABEL	20

struct detail_line {
	char		*text;		/* escaped */
	enum theme_slot	 slot;
	int		 plain;		/* no slot: normal text */
};

struct detail {
	char			*name;
	char			*title;		/* escaped */
	struct detail_line	*lines;
	size_t			 n, cap, top;
	enum status		 status;
	int64_t			 days;
	int			 found;
	struct strv		 eps;		/* endpoint text, canonical */
	size_t			*ep_line;	/* its line in lines */
};

static void
detail_add(struct detail *d, int plain, enum theme_slot slot, char *text)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->lines = xreallocarray(d->lines, d->cap, sizeof *d->lines);
	}
	d->lines[d->n].text = text;
	d->lines[d->n].slot = slot;
	d->lines[d->n].plain = plain;
	d->n++;
}

static void
detail_heading(struct detail *d, const char *s)
{
	detail_add(d, 1, SLOT_NONE, xstrdup(""));
	detail_add(d, 0, SLOT_HEADER, xstrdup(s));
}

/* "  label   value": label is ours, value is escaped here. */
static void
detail_field(struct tui *t, struct detail *d, const char *label,
    const char *value)
{
	char *e = tui_esc(t, value != NULL && *value ? value : "-");

	detail_add(d, 1, SLOT_NONE, xasprintf("  %-*s %s", DETAIL_LABEL, label,
	    e));
	free(e);
}

/* A newline-separated list: one line per item, label on the first. */
static void
detail_list(struct tui *t, struct detail *d, const char *label,
    const char *value)
{
	struct strv v;
	size_t i;

	strv_init(&v);
	if (value != NULL)
		strv_split(&v, value, '\n');
	if (v.n == 0)
		detail_field(t, d, label, NULL);
	for (i = 0; i < v.n; i++)
		detail_field(t, d, i == 0 ? label : "", v.v[i]);
	strv_free(&v);
}

/* One endpoint's line: its last probe (rc 1), or never probed. */
static void
detail_endpoint_line(struct tui *t, struct detail_line *l, const char *text,
    int rc, const struct inv_probe_last *pl)
{
	struct buf b;
	char when[32];

	buf_init(&b);
	buf_printf(&b, "  %s %s  ", tui_probe_glyph(t->ascii,
	    (int)pl->health), text);
	if (rc != 1)
		buf_adds(&b, "never probed");
	else {
		clock_format(pl->time, when);
		buf_printf(&b, "%s", pl->kind);
		if (pl->has_days)
			buf_printf(&b, "  leaf %lld days left", pl->days_left);
		if (strcmp(pl->kind, "ok") == 0)
			buf_printf(&b, "  drift:%s  %s", pl->drift ? "yes" :
			    "no", pl->verified == 1 ? "verified" :
			    pl->verified == 0 ? "unverified" : "verify:-");
		if (*pl->problem != '\0' && pl->health == INV_PH_WARN)
			buf_printf(&b, "  %s", pl->problem);
		buf_printf(&b, "  at %s", when);
	}
	l->text = tui_esc(t, b.data);
	l->plain = pl->health != INV_PH_FAIL && pl->health != INV_PH_DRIFT;
	l->slot = l->plain ? SLOT_NONE : pl->health == INV_PH_FAIL ?
	    SLOT_PROBE_FAIL : SLOT_PROBE_DRIFT;
	buf_free(&b);
}

/* Each endpoint with its last probe (the probes table; p probes). */
static void
detail_endpoints(struct tui *t, struct detail *d, const char *name,
    const char *endpoints)
{
	struct inv_probe_last pl;
	struct endpoint ep;
	struct strv v;
	char text[600], *err = NULL;
	size_t i;
	int rc;

	strv_init(&v);
	if (endpoints != NULL)
		strv_split(&v, endpoints, ',');
	if (v.n == 0) {
		strv_free(&v);
		return;
	}
	detail_heading(d, "Endpoints (last probe; p probes them)");
	d->ep_line = xcalloc(v.n, sizeof *d->ep_line);
	for (i = 0; i < v.n; i++) {
		if (endpoint_parse(v.v[i], &ep, NULL) != 0)
			continue;
		endpoint_format(&ep, text, sizeof text);
		memset(&pl, 0, sizeof pl);
		rc = inv_probe_last(t->inv, name, text, &pl, &err);
		free(err);
		err = NULL;
		detail_add(d, 1, SLOT_NONE, NULL);
		detail_endpoint_line(t, &d->lines[d->n - 1], text, rc, &pl);
		d->ep_line[d->eps.n] = d->n - 1;
		strv_add(&d->eps, text);
	}
	strv_free(&v);
}

/* A probe result landed (worker.c): redraw that endpoint's line. */
static void
detail_probe_landed(struct tui *t, struct view *v, const char *entry,
    const char *endpoint, const struct inv_probe_last *last)
{
	struct detail *d = v->priv;
	struct detail_line *l;
	size_t i;

	if (entry == NULL || strcmp(entry, d->name) != 0 ||
	    last->health == INV_PH_NONE)
		return;
	for (i = 0; i < d->eps.n; i++) {
		if (strcmp(d->eps.v[i], endpoint) != 0)
			continue;
		l = &d->lines[d->ep_line[i]];
		free(l->text);
		detail_endpoint_line(t, l, endpoint, 1, last);
	}
}

/* p: probe this entry's endpoints (the lines above update as they land). */
void
view_detail_probe(struct tui *t, struct view *v, int arg)
{
	struct detail *d = v->priv;

	tui_probe_start(t, d->name);
}

static void
detail_cert(struct tui *t, struct detail *d, const struct certrec *r)
{
	char a[32], b[64], tmp[96];

	detail_field(t, d, "subject", r->subject);
	detail_field(t, d, "issuer", r->issuer);
	detail_field(t, d, "serial", r->serial);
	clock_format(r->not_before, a);
	detail_field(t, d, "not before", a);
	clock_format(r->not_after, a);
	snprintf(b, sizeof b, "%s (%lld days)", a,
	    (long long)status_days_left(t->now, r->not_after));
	detail_field(t, d, "not after", b);
	detail_list(t, d, "SANs", r->sans);
	if (r->key_curve != NULL)
		snprintf(tmp, sizeof tmp, "%s %s", r->key_type ? r->key_type :
		    "?", r->key_curve);
	else if (r->key_bits > 0)
		snprintf(tmp, sizeof tmp, "%s %d", r->key_type ? r->key_type :
		    "?", r->key_bits);
	else
		snprintf(tmp, sizeof tmp, "%s", r->key_type ? r->key_type : "?");
	detail_field(t, d, "key", tmp);
	detail_field(t, d, "signature", r->sig_alg);
	detail_field(t, d, "sha256", r->sha256);
	detail_field(t, d, "sha1", r->sha1);
	detail_field(t, d, "subject key id", r->ski);
	detail_field(t, d, "authority key id", r->aki);
	if (r->is_ca && r->path_len >= 0)
		snprintf(tmp, sizeof tmp, "CA, path length %d", r->path_len);
	else
		snprintf(tmp, sizeof tmp, "%s", r->is_ca ? "CA" : "not a CA");
	detail_field(t, d, "basic constraints", tmp);
	detail_field(t, d, "key usage", r->key_usage);
	detail_field(t, d, "extended key usage", r->ext_key_usage);
	detail_list(t, d, "OCSP", r->ocsp);
	detail_list(t, d, "CA issuers", r->ca_issuers);
	detail_list(t, d, "CRL", r->crl_dp);
	detail_field(t, d, "must staple", r->must_staple ? "yes" : "no");
	detail_field(t, d, "self-signed", r->self_signed ? "yes" : "no");
}

static int
detail_row(void *arg, const struct inv_row *row)
{
	struct detail *d = arg;

	d->found = 1;
	d->status = row->status;
	d->days = row->days_left;
	return 0;
}

struct detail_log {
	struct tui	*t;
	struct detail	*d;
};

static int
detail_commit(void *arg, const struct inv_commit *c)
{
	struct detail_log *dl = arg;
	char date[16], *subj, *who;

	clock_format_date(c->c->time, date);
	subj = tui_esc(dl->t, c->c->subject);
	who = tui_esc(dl->t, c->c->author_name);
	detail_add(dl->d, 1, SLOT_NONE, xasprintf("  %s %.10s %-8s %s (%s)",
	    date, c->c->id, c->action, subj, who));
	free(who);
	free(subj);
	return 0;
}

void *
view_detail_new(struct tui *t, const char *name)
{
	struct detail *d = xcalloc(1, sizeof *d);
	struct idx_entry e;
	struct certfile cf;
	struct inv_list_opts o;
	struct entry meta;
	struct detail_log dl = { t, d };
	char *err = NULL, *en, *s, date[16];
	size_t i;
	int rc;

	memset(&e, 0, sizeof e);
	memset(&cf, 0, sizeof cf);
	entry_init(&meta);
	rc = idx_entry_get(t->inv->idx, name, &e, &err);
	if (rc != 1) {
		en = tui_esc(t, name);
		tui_message(t, "%s: %s", en, err ? err : "no such entry");
		free(en);
		free(err);
		free(d);
		return NULL;
	}
	d->name = xstrdup(name);
	strv_init(&d->eps);
	if (*e.cert_blob != '\0' &&
	    idx_file_get(t->inv->idx, e.cert_blob, &cf, &err) == -1) {
		tui_message(t, "%s", err);
		free(err);
		err = NULL;
	}
	memset(&o, 0, sizeof o);
	o.expiring_days = -1;
	o.name = name;
	if (inv_list(t->inv, &o, detail_row, d, &err) != 0) {
		tui_message(t, "%s", err);
		free(err);
		err = NULL;
	}
	if (!d->found)
		d->status = ST_NONE;

	en = tui_esc(t, name);
	if (cf.n > 0) {
		clock_format_date(cf.eff_not_after, date);
		d->title = xasprintf("%s %s  %s: %lld days left (%s)",
		    tui_status_glyph(t->ascii, d->status),
		    status_name(d->status), en, (long long)d->days, date);
	} else
		d->title = xasprintf("%s %s  %s: no certificate",
		    tui_status_glyph(t->ascii, d->status),
		    status_name(d->status), en);
	free(en);
	if (cf.eff_from != NULL) {
		s = tui_esc(t, cf.eff_from);
		detail_add(d, 0, theme_status_slot(d->status), xasprintf(
		    "expiry set by chain certificate %s, which expires before "
		    "the leaf", s));
		free(s);
	}
	/* What the endpoints serve first: it is what p changes. */
	detail_endpoints(t, d, name, e.endpoints);
	if (cf.n > 0) {
		detail_heading(d, "Certificate");
		detail_cert(t, d, &cf.certs[0]);
	}
	for (i = 1; i < cf.n; i++) {
		enum status st = status_of(&t->inv->cfg, t->now,
		    cf.certs[i].not_before, cf.certs[i].not_after);

		clock_format_date(cf.certs[i].not_after, date);
		s = tui_esc(t, cf.certs[i].subject_cn ? cf.certs[i].subject_cn :
		    cf.certs[i].subject);
		detail_add(d, 1, SLOT_NONE, xstrdup(""));
		detail_add(d, 0, theme_status_slot(st), xasprintf(
		    "Chain %zu: %s  %s %s, expires %s (%lld days)", i, s,
		    tui_status_glyph(t->ascii, st), status_name(st), date,
		    (long long)status_days_left(t->now, cf.certs[i].not_after)));
		free(s);
		detail_cert(t, d, &cf.certs[i]);
	}
	detail_heading(d, "Metadata");
	if (e.meta != NULL)
		entry_parse(e.meta, strlen(e.meta), &meta, NULL);
	if (meta.k.n == 0)
		detail_add(d, 1, SLOT_NONE, xstrdup("  (none)"));
	for (i = 0; i < meta.k.n; i++)
		detail_field(t, d, meta.k.v[i], meta.v.v[i]);
	detail_heading(d, "History");
	if (inv_log(t->inv, name, DETAIL_LOG, detail_commit, &dl, &err) != 0) {
		s = tui_esc(t, err);
		detail_add(d, 1, SLOT_NONE, xasprintf("  (%s)", s));
		free(s);
		free(err);
	}
	entry_free(&meta);
	certfile_free(&cf);
	idx_entry_free(&e);
	return d;
}

static void
detail_free(struct detail *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->lines[i].text);
	free(d->lines);
	free(d->title);
	free(d->name);
	strv_free(&d->eps);
	free(d->ep_line);
	free(d);
}

static void
detail_leave(struct tui *t, struct view *v)
{
	detail_free(v->priv);
}

/* HEAD moved or a job ended: read the entry again, same scroll. */
static void
detail_reload(struct tui *t, struct view *v)
{
	struct detail *d = v->priv, *n;

	if ((n = view_detail_new(t, d->name)) == NULL)
		return;
	n->top = d->top;
	v->priv = n;
	detail_free(d);
}

static size_t
detail_max_top(struct detail *d)
{
	size_t page = (size_t)tui_body_rows(1);

	return d->n > page ? d->n - page : 0;
}

static void
detail_draw(struct tui *t, struct view *v)
{
	struct detail *d = v->priv;
	int y, page = tui_body_rows(1);
	char right[48];

	if (d->top > detail_max_top(d))
		d->top = detail_max_top(d);
	tui_put(0, 0, d->title, COLS, theme_attr_over(theme_attr(SLOT_TITLE),
	    theme_status_slot(d->status)));
	for (y = 0; y < page && d->top + (size_t)y < d->n; y++) {
		struct detail_line *l = &d->lines[d->top + (size_t)y];

		tui_put(1 + y, 0, l->text, COLS, l->plain ? A_NORMAL :
		    theme_attr(l->slot));
	}
	snprintf(right, sizeof right, "%zu-%zu/%zu", d->n ? d->top + 1 : 0,
	    d->top + (size_t)page < d->n ? d->top + (size_t)page : d->n, d->n);
	tui_status_bar(t, "q back  j/k scroll  ? help", right);
}

static void
detail_move(struct tui *t, struct view *v, int how)
{
	struct detail *d = v->priv;
	size_t page = (size_t)(tui_body_rows(1) > 1 ? tui_body_rows(1) - 1 : 1);
	size_t max = detail_max_top(d);

	d->top = tui_scroll(d->top, max, page, how);
}

const struct view_ops view_detail_ops = {
	.id = VIEW_DETAIL,
	.title = "detail",
	.leave = detail_leave,
	.draw = detail_draw,
	.motion = detail_move,
	.reload = detail_reload,
	.probe_landed = detail_probe_landed,
};
