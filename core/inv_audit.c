/*
 * inv_audit.c: an audit sweep over an inventory (audit.h).
 *
 * One pass over the index (idx_audit_walk: every entry with its chain, no
 * certificate parsed again), plus one query each for the newest probes and
 * the failing renewal jobs; the rules that compare entries (shared keys,
 * duplicate certificates) sort what the pass collected. Then the findings
 * are sorted and committed through the inventory transaction when they
 * differ from HEAD's audit/findings.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "auditpriv.h"
#include "ca.h"
#include "cert.h"
#include "clock.h"
#include "entry.h"
#include "escape.h"
#include "inventory.h"
#include "invpriv.h"
#include "probe.h"
#include "status.h"

/* ---------------------------------------------------------------------- */
/* The sweep's state. */

/* The newest probe of one endpoint of an entry. */
struct lastprobe {
	char	*entry;
	char	*endpoint;
	int	 ok;
	char	*kind;
	char	*leaf_sha256;
	char	*ocsp_status;		/* "good", "revoked"... or NULL */
	int	 client_requested;	/* 1, 0, -1 not known */
};

struct jobfail {
	char	*entry;
	int64_t	 failed;
	int64_t	 last;
};

/* A leaf, for the rules that compare entries. */
struct leafkey {
	const char	*entry;		/* points into rep->exp's names */
	const struct audit_policy *p;		/* the entry's */
	char		*spki;
	char		 sha256[65];
};

struct crlfile {
	char		*path;
	struct cert_crl	*crl;		/* NULL: not there, or not a CRL */
};

struct sweep {
	struct inv		*inv;
	struct audit_policies		 ps;
	struct audit_report	*rep;
	int64_t			 now;
	struct lastprobe	*probes;
	size_t			 nprobes, probescap;
	struct jobfail		*jobs;
	size_t			 njobs, jobscap;
	struct leafkey		*leaves;
	size_t			 nleaves;
	struct strv		 anchors;	/* subjects of trust anchors,
						   sorted */
	struct strv		 ca_subjects;	/* of CA certificates in the
						   inventory, sorted */
	struct crlfile		*crls;
	size_t			 ncrls;
	struct {
		char		*name;
		struct ca	*ca;	/* NULL: cannot be read */
	}			*lcas;		/* local CAs (cas/), as read */
	size_t			 nlcas;
	size_t			 cap_f, cap_leaves, cap_exp;
	struct {
		char	*name;
		int	 safe;
		size_t	 n;
	}			*algs;
	size_t			 nalgs;
	struct strv		 keypath;	/* entries with key-path */
	struct {
		size_t	 finding;	/* chain-incomplete's, in rep->f */
		char	*issuer;
	}			*pending;
	size_t			 npending, pendingcap;
};

static void
add_finding(struct sweep *s, const struct audit_policy *p, const char *entry,
    enum audit_rule_id rule, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
add_finding(struct sweep *s, const struct audit_policy *p, const char *entry,
    enum audit_rule_id rule, const char *fmt, ...)
{
	struct audit_report *rep = s->rep;
	struct audit_finding *f;
	va_list ap;
	char *raw;

	if (p->sev[rule] == AUDIT_OFF)
		return;
	if (rep->n == s->cap_f) {
		s->cap_f = s->cap_f ? s->cap_f * 2 : 64;
		rep->f = xreallocarray(rep->f, s->cap_f, sizeof *rep->f);
	}
	va_start(ap, fmt);
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	f = &rep->f[rep->n++];
	f->entry = xstrdup(entry);
	f->rule = rule;
	f->sev = p->sev[rule];
	/* One line, nothing that acts on a terminal, whatever a
	   certificate's fields held. */
	f->detail = esc_dup(raw, 0);
	free(raw);
}

static const char *
cn_of(const struct certrec *c)
{
	if (c->subject_cn != NULL && *c->subject_cn != '\0')
		return c->subject_cn;
	return c->subject != NULL ? c->subject : "?";
}

static char *
date_of(int64_t t, char out[16])
{
	clock_format_date(t, out);
	return out;
}

/* "leaf", or "chain certificate N (CN)". */
static char *
which(const struct certrec *const *certs, size_t i)
{
	if (i == 0)
		return xstrdup("leaf");
	return xasprintf("chain certificate %zu (%s)", i, cn_of(certs[i]));
}


/* A trust anchor: self-signed (its own signature verified at parse). */
static int
is_anchor(const struct certrec *c)
{
	return c->self_signed;
}

/* Whether list (a,b,c) holds word. */
static int
list_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; p != NULL && *p != '\0'; p++) {
		while (*p == ' ')
			p++;
		if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0' ||
		    p[n] == ' '))
			return 1;
		if ((p = strchr(p, ',')) == NULL)
			break;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* What the sweep reads before the pass. */

static int
probe_row(void *arg, const struct idx_probe *ip, const char *const *v)
{
	struct sweep *s = arg;
	struct lastprobe *lp;

	if (strcmp(ip->kind, "cancelled") == 0)
		return 0;
	s->probes = xgrow(s->probes, s->nprobes, &s->probescap,
	    sizeof *s->probes);
	lp = &s->probes[s->nprobes++];
	lp->entry = xstrdup(ip->entry);
	lp->endpoint = xstrdup(ip->endpoint);
	lp->ok = ip->ok;
	lp->kind = xstrdup(ip->kind);
	lp->leaf_sha256 = ip->leaf_sha256 ? xstrdup(ip->leaf_sha256) : NULL;
	lp->ocsp_status = v[0] != NULL ? xstrdup(v[0]) : NULL;
	/* json_extract gives JSON true/false as 1/0. */
	lp->client_requested = v[1] == NULL ? -1 : strcmp(v[1], "1") == 0;
	return 0;
}

static int
job_row(void *arg, const char *entry, int64_t failed, int64_t last)
{
	struct sweep *s = arg;

	s->jobs = xgrow(s->jobs, s->njobs, &s->jobscap, sizeof *s->jobs);
	s->jobs[s->njobs].entry = xstrdup(entry);
	s->jobs[s->njobs].failed = failed;
	s->jobs[s->njobs].last = last;
	s->njobs++;
	return 0;
}

/*
 * The subjects of the system's trust anchors, for chain-incomplete. The
 * bundle is decoded once per sweep (about 150 certificates, subjects
 * only): the index holds only the inventory's own.
 */
static void
load_anchors(struct sweep *s)
{
	static const char *const bundles[] = {
		"/etc/ssl/certs/ca-certificates.crt",
		"/etc/pki/tls/certs/ca-bundle.crt",
	};
	const char *env = getenv("SSL_CERT_FILE");
	char *data = NULL, *err = NULL;
	size_t len, i;

	for (i = 0; i <= nitems(bundles); i++) {
		const char *path = i == 0 ? env : bundles[i - 1];

		if (path == NULL || *path == '\0')
			continue;
		if (read_file(path, CERT_MAX_FILE, &data, &len, &err) != 0) {
			free(err);
			err = NULL;
			continue;
		}
		cert_pem_subjects(data, len, &s->anchors);
		free(data);
		data = NULL;
		break;
	}
	strv_sort(&s->anchors);
	strv_uniq(&s->anchors);
}

/* The CRL for a distribution point URL: crl-dir/<its last path part>,
   loaded once. NULL when there is none. */
static const struct cert_crl *
crl_for(struct sweep *s, const char *url)
{
	const char *base;
	struct crlfile *cf;
	char *path, *data = NULL, *err = NULL;
	size_t i, len;

	if (s->ps.crl_dir == NULL || url == NULL)
		return NULL;
	base = strrchr(url, '/');
	base = base != NULL ? base + 1 : url;
	if (*base == '\0' || strcmp(base, "..") == 0 || strcmp(base, ".") == 0)
		return NULL;
	path = xasprintf("%s/%s", s->ps.crl_dir, base);
	for (i = 0; i < s->ncrls; i++)
		if (strcmp(s->crls[i].path, path) == 0) {
			free(path);
			return s->crls[i].crl;
		}
	s->crls = xreallocarray(s->crls, s->ncrls + 1, sizeof *s->crls);
	cf = &s->crls[s->ncrls++];
	cf->path = path;
	cf->crl = NULL;
	if (read_file(path, CERT_MAX_FILE, &data, &len, &err) == 0) {
		cf->crl = cert_crl_load(data, len, &err);
		if (cf->crl == NULL)
			inv_report(s->inv->report, s->inv->report_arg, 1, path,
			    "%s", err);
	}
	free(err);
	free(data);
	return cf->crl;
}

/* ---------------------------------------------------------------------- */
/* The rules over one entry. */

static void
rule_expiry(struct sweep *s, const struct audit_policy *p,
    const struct idx_audit_row *r)
{
	const struct certrec *leaf = r->certs[0];
	const char *name = r->entry->name;
	enum status st;
	char d[16], *w;
	size_t i, from = 0;

	for (i = 1; i < r->n; i++)
		if (r->certs[i]->not_after < r->certs[from]->not_after)
			from = i;
	w = which(r->certs, from);
	st = status_of(&s->inv->cfg, s->now, leaf->not_before, r->eff_not_after);
	if (st == ST_EXPIRED)
		add_finding(s, p, name, AR_EXPIRED, "%s expired %s", w,
		    date_of(r->eff_not_after, d));
	else if (st == ST_CRITICAL)
		add_finding(s, p, name, AR_EXPIRING_CRITICAL, "%s expires %s",
		    w, date_of(r->eff_not_after, d));
	else if (st == ST_WARNING)
		add_finding(s, p, name, AR_EXPIRING_WARNING, "%s expires %s",
		    w, date_of(r->eff_not_after, d));
	free(w);
	for (i = 1; i < r->n; i++) {
		char d2[16];

		if (r->certs[i]->not_after >= leaf->not_after)
			continue;
		w = which(r->certs, i);
		add_finding(s, p, name, AR_CHAIN_EXPIRES_FIRST,
		    "%s expires %s, the leaf %s", w,
		    date_of(r->certs[i]->not_after, d),
		    date_of(leaf->not_after, d2));
		free(w);
	}
}

static int
sig_is_weak(const char *alg)
{
	char *l;
	int weak;

	if (alg == NULL)
		return 0;
	l = xstrdup(alg);
	str_lower(l);
	weak = strstr(l, "md5") != NULL || strstr(l, "md2") != NULL ||
	    strstr(l, "sha1") != NULL || strcmp(l, "shawithrsaencryption") == 0;
	free(l);
	return weak;
}

static void
rule_keys(struct sweep *s, const struct audit_policy *p,
    const struct idx_audit_row *r)
{
	const char *name = r->entry->name, *t;
	const struct certrec *c;
	size_t i;
	char *w;

	for (i = 0; i < r->n; i++) {
		c = r->certs[i];
		t = c->key_type != NULL ? c->key_type : "";
		w = which(r->certs, i);
		if ((strcmp(t, "RSA") == 0 || strcmp(t, "RSA-PSS") == 0) &&
		    c->key_bits > 0 && c->key_bits < p->rsa_min_bits)
			add_finding(s, p, name, AR_WEAK_RSA_KEY,
			    "%s: RSA %d bits (minimum %d)", w, c->key_bits,
			    p->rsa_min_bits);
		else if (strcmp(t, "DSA") == 0)
			add_finding(s, p, name, AR_DSA_KEY, "%s: DSA %d bits",
			    w, c->key_bits);
		else if (strcmp(t, "EC") == 0 && (c->key_curve == NULL ||
		    (strcmp(c->key_curve, "P-256") != 0 &&
		    strcmp(c->key_curve, "P-384") != 0 &&
		    strcmp(c->key_curve, "P-521") != 0)))
			add_finding(s, p, name, AR_WEAK_CURVE, "%s: curve %s",
			    w, c->key_curve ? c->key_curve : "unknown");
		if (!is_anchor(c) && sig_is_weak(c->sig_alg))
			add_finding(s, p, name, AR_WEAK_SIGNATURE,
			    "%s: signed with %s", w, c->sig_alg);
		if (c->is_ca && c->version >= 3 && (c->key_usage == NULL ||
		    !list_has(c->key_usage, "keyCertSign")))
			add_finding(s, p, name, AR_CA_NO_KEYCERTSIGN,
			    "%s: key usage %s", w, c->key_usage ?
			    c->key_usage : "absent");
		free(w);
	}
}

/* The CA/B Forum's maximum validity in days for a certificate issued at
   not_before: 398 since 2020-09-01; with sc-081, 200 from 2026-03-15, 100
   from 2027-03-15, 47 from 2029-03-15. */
static int64_t
max_validity(const struct audit_policy *p, int64_t not_before)
{
	if (p->max_validity != VALIDITY_SC081)
		return p->max_validity;
	if (not_before >= clock_from_civil(2029, 3, 15, 0, 0, 0))
		return 47;
	if (not_before >= clock_from_civil(2027, 3, 15, 0, 0, 0))
		return 100;
	if (not_before >= clock_from_civil(2026, 3, 15, 0, 0, 0))
		return 200;
	return 398;
}

/* A TLS server certificate: serverAuth (or any) in its extended key
   usage, or no extended key usage and a DNS or IP name. */
static int
is_tls_server(const struct certrec *c)
{
	if (c->is_ca)
		return 0;
	if (c->ext_key_usage != NULL)
		return list_has(c->ext_key_usage, "serverAuth") ||
		    list_has(c->ext_key_usage, "anyExtendedKeyUsage");
	return c->sans != NULL && (strstr(c->sans, "DNS:") != NULL ||
	    strstr(c->sans, "IP:") != NULL);
}

static int
cn_in_sans(const char *cn, const char *sans)
{
	const char *p = sans, *nl;
	size_t n = strlen(cn), len;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 4 && strncmp(p, "DNS:", 4) == 0 && len - 4 == n &&
		    strncasecmp(p + 4, cn, n) == 0)
			return 1;
		if (len > 3 && strncmp(p, "IP:", 3) == 0 && len - 3 == n &&
		    strncmp(p + 3, cn, n) == 0)
			return 1;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* Encoded length of a serial in octets (DER: a leading 00 when the top
   bit is set), from certrec's hex; 0 for zero, -1 for negative. */
static long
serial_octets(const char *hex)
{
	size_t n;

	if (hex == NULL || *hex == '-')
		return -1;
	while (*hex == '0')
		hex++;
	if ((n = strlen(hex)) == 0)
		return 0;
	return (long)((n + 1) / 2) + ((n % 2) == 0 && strchr("89abcdefABCDEF",
	    *hex) != NULL);
}

static void
rule_leaf(struct sweep *s, const struct audit_policy *p,
    const struct idx_audit_row *r)
{
	const struct certrec *leaf = r->certs[0];
	const char *name = r->entry->name;
	int64_t life, max;
	long oct;

	if (is_tls_server(leaf) &&
	    leaf->not_before >= clock_from_civil(2020, 9, 1, 0, 0, 0)) {
		/* The CA/B Forum counts both ends: notAfter - notBefore
		   + 1 second. */
		life = leaf->not_after - leaf->not_before + 1;
		max = max_validity(p, leaf->not_before);
		if (life > max * 86400)
			add_finding(s, p, name, AR_VALIDITY_TOO_LONG,
			    "valid %lld days %lld seconds (maximum %lld days)",
			    (long long)(life / 86400),
			    (long long)(life % 86400), (long long)max);
	}
	if (!leaf->is_ca && (leaf->sans == NULL || *leaf->sans == '\0'))
		add_finding(s, p, name, AR_MISSING_SAN, "no subjectAltName");
	else if (!leaf->is_ca && leaf->subject_cn != NULL &&
	    *leaf->subject_cn != '\0' && !cn_in_sans(leaf->subject_cn,
	    leaf->sans))
		add_finding(s, p, name, AR_CN_NOT_IN_SAN, "CN %s",
		    leaf->subject_cn);
	oct = serial_octets(leaf->serial);
	if (oct <= 0)
		add_finding(s, p, name, AR_BAD_SERIAL, "serial %s is %s",
		    leaf->serial ? leaf->serial : "?",
		    oct == 0 ? "zero" : "negative");
	else if (oct > 20)
		add_finding(s, p, name, AR_BAD_SERIAL, "serial is %ld octets",
		    oct);
	if (!leaf->is_ca && leaf->self_signed)
		add_finding(s, p, name, AR_SELF_SIGNED_LEAF, "self-signed %s",
		    cn_of(leaf));
}

/* Whether b is the issuer of a, by name and, when both say, key id. */
static int
issued_by(const struct certrec *a, const struct certrec *b)
{
	if (a->issuer == NULL || b->subject == NULL ||
	    strcmp(a->issuer, b->subject) != 0)
		return 0;
	return a->aki == NULL || b->ski == NULL || strcmp(a->aki, b->ski) == 0;
}

static void
rule_chain(struct sweep *s, const struct audit_policy *p,
    const struct idx_audit_row *r)
{
	const struct certrec *last;
	const char *name = r->entry->name;
	size_t i;
	char *w;

	for (i = 0; i + 1 < r->n; i++)
		if (!issued_by(r->certs[i], r->certs[i + 1])) {
			w = which(r->certs, i + 1);
			add_finding(s, p, name, AR_CHAIN_BROKEN,
			    "%s did not issue %s", w, i == 0 ? "the leaf" :
			    cn_of(r->certs[i]));
			free(w);
			return;
		}
	/* The names chain; the signatures were checked when the file was
	   parsed (struct certfile's unsigned_at). */
	if (r->unsigned_at > 0 && r->unsigned_at < r->n) {
		i = r->unsigned_at - 1;
		w = which(r->certs, i + 1);
		add_finding(s, p, name, AR_CHAIN_BROKEN,
		    "the signature of %s does not verify with the key of %s",
		    i == 0 ? "the leaf" : cn_of(r->certs[i]), w);
		free(w);
		return;
	}
	last = r->certs[r->n - 1];
	if (last->self_signed || strv_sorted_has(&s->anchors, last->issuer) ||
	    p->sev[AR_CHAIN_INCOMPLETE] == AUDIT_OFF)
		return;
	s->pending = xgrow(s->pending, s->npending, &s->pendingcap,
	    sizeof *s->pending);
	s->pending[s->npending].finding = s->rep->n;
	s->pending[s->npending++].issuer = last->issuer ?
	    xstrdup(last->issuer) : NULL;
	add_finding(s, p, name, AR_CHAIN_INCOMPLETE, "no issuer for %s "
	    "(issued by %s)", r->n == 1 ? "the leaf" : cn_of(last),
	    last->issuer ? last->issuer : "?");
}

/* The entry's endpoints, canonical, comma-separated list to strv. */
static void
entry_endpoints(const char *list, struct strv *out)
{
	struct strv raw;
	struct endpoint ep;
	char text[600], *err = NULL;
	size_t i;

	strv_init(&raw);
	if (list != NULL)
		strv_split(&raw, list, ',');
	for (i = 0; i < raw.n; i++) {
		str_trim(raw.v[i]);
		if (*raw.v[i] == '\0')
			continue;
		if (endpoint_parse(raw.v[i], &ep, &err) != 0) {
			free(err);
			err = NULL;
			continue;
		}
		endpoint_format(&ep, text, sizeof text);
		strv_add(out, text);
	}
	strv_free(&raw);
}

static int
probe_cmp_entry(const void *key, const void *elem)
{
	return strcmp(key, ((const struct lastprobe *)elem)->entry);
}

static void
rule_probes(struct sweep *s, const struct audit_policy *p,
    const struct idx_audit_row *r)
{
	const struct idx_entry *e = r->entry;
	const struct lastprobe *lp, *first;
	struct strv eps;
	int mtls;

	if (s->nprobes == 0 || e->endpoints == NULL || *e->endpoints == '\0')
		return;
	lp = bsearch(e->name, s->probes, s->nprobes, sizeof *s->probes,
	    probe_cmp_entry);
	if (lp == NULL)
		return;
	while (lp > s->probes && strcmp(lp[-1].entry, e->name) == 0)
		lp--;
	first = lp;
	strv_init(&eps);
	entry_endpoints(e->endpoints, &eps);
	mtls = e->meta != NULL && strstr(e->meta, "policy") != NULL;
	if (mtls) {
		struct entry en;
		char *err = NULL;

		mtls = 0;
		if (entry_parse(e->meta, strlen(e->meta), &en, &err) == 0) {
			mtls = list_has(entry_get(&en, "policy"), "mtls");
			entry_free(&en);
		}
		free(err);
	}
	for (lp = first; lp < s->probes + s->nprobes &&
	    strcmp(lp->entry, e->name) == 0; lp++) {
		if (!strv_has(&eps, lp->endpoint))
			continue;	/* no longer the entry's */
		if (!lp->ok) {
			add_finding(s, p, e->name, AR_PROBE_FAILED, "%s: %s",
			    lp->endpoint, lp->kind);
			continue;
		}
		if (r->n > 0 && lp->leaf_sha256 != NULL &&
		    strcmp(lp->leaf_sha256, r->certs[0]->sha256) != 0)
			add_finding(s, p, e->name, AR_DRIFT, "%s serves "
			    "sha256 %.16s", lp->endpoint, lp->leaf_sha256);
		if (mtls && lp->client_requested == 0)
			add_finding(s, p, e->name, AR_MTLS_NOT_REQUIRED,
			    "%s did not ask for a client certificate",
			    lp->endpoint);
		if (lp->ocsp_status != NULL &&
		    strcmp(lp->ocsp_status, "revoked") == 0 &&
		    lp->leaf_sha256 != NULL && r->n > 0 &&
		    strcmp(lp->leaf_sha256, r->certs[0]->sha256) == 0)
			add_finding(s, p, e->name, AR_REVOKED,
			    "stapled OCSP response from %s", lp->endpoint);
	}
	strv_free(&eps);
}

static void
rule_crl(struct sweep *s, const struct audit_policy *p,
    const struct idx_audit_row *r)
{
	const struct certrec *leaf = r->certs[0];
	const struct cert_crl *crl;
	struct strv urls;
	int64_t when;
	char d[16];
	size_t i;

	if (s->ps.crl_dir == NULL || leaf->crl_dp == NULL)
		return;
	strv_init(&urls);
	strv_split(&urls, leaf->crl_dp, '\n');
	for (i = 0; i < urls.n; i++) {
		if ((crl = crl_for(s, urls.v[i])) == NULL ||
		    cert_crl_revoked(crl, leaf->issuer, leaf->serial,
		    &when) != 1)
			continue;
		if (when != 0)
			add_finding(s, p, r->entry->name, AR_REVOKED,
			    "on the CRL of %s since %s", urls.v[i],
			    date_of(when, d));
		else
			add_finding(s, p, r->entry->name, AR_REVOKED,
			    "on the CRL of %s", urls.v[i]);
		break;
	}
	strv_free(&urls);
}

/* The value of key in an entry file's text (the index's meta), or NULL. */
static char *
meta_get(const char *meta, const char *key)
{
	size_t kl = strlen(key);
	const char *l, *v, *nl;

	for (l = meta; l != NULL && *l != '\0'; l = nl ? nl + 1 : NULL) {
		nl = strchr(l, '\n');
		if (strncmp(l, key, kl) != 0 || strncmp(l + kl, " = ", 3) != 0)
			continue;
		v = l + kl + 3;
		return nl ? xstrndup(v, (size_t)(nl - v)) : xstrdup(v);
	}
	return NULL;
}

/* A local CA of the inventory by name, read once per sweep. */
static const struct ca *
local_ca(struct sweep *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nlcas; i++)
		if (strcmp(s->lcas[i].name, name) == 0)
			return s->lcas[i].ca;
	s->lcas = xreallocarray(s->lcas, s->nlcas + 1, sizeof *s->lcas);
	s->lcas[s->nlcas].name = xstrdup(name);
	if (ca_load(s->inv, name, 0, &s->lcas[s->nlcas].ca, NULL) != 0)
		s->lcas[s->nlcas].ca = NULL;
	return s->lcas[s->nlcas++].ca;
}

/*
 * The inventory's own CAs (cas/) expire too, and every certificate they
 * signed stops verifying with them while its own date says ok: the
 * expiry rules, for each CA, about the inventory as a whole.
 */
static void
rule_ca_expiry(struct sweep *s)
{
	struct strv names;
	const struct ca *ca;
	enum audit_rule_id rule;
	int64_t na;
	char d[16];
	size_t i;

	ca_names(s->inv, &names, NULL);
	for (i = 0; i < names.n; i++) {
		if ((ca = local_ca(s, names.v[i])) == NULL)
			continue;
		na = ca_asn1_unix(X509_get0_notAfter(ca->cert));
		switch (status_of(&s->inv->cfg, s->now,
		    ca_asn1_unix(X509_get0_notBefore(ca->cert)), na)) {
		case ST_EXPIRED:
			rule = AR_EXPIRED;
			break;
		case ST_CRITICAL:
			rule = AR_EXPIRING_CRITICAL;
			break;
		case ST_WARNING:
			rule = AR_EXPIRING_WARNING;
			break;
		default:
			continue;
		}
		add_finding(s, &s->ps.base, AUDIT_INVENTORY, rule,
		    "local CA %s %s %s", names.v[i], rule == AR_EXPIRED ?
		    "expired" : "expires", date_of(na, d));
	}
	strv_free(&names);
}

/* An entry issued by a local CA (entry key ca): revoked in its record. */
static void
rule_local_revoked(struct sweep *s, const struct audit_policy *p,
    const struct idx_audit_row *r, const char *caname)
{
	const struct certrec *leaf = r->certs[0];
	const struct ca *ca;
	char d[16];
	size_t i;

	if (leaf->serial == NULL || (ca = local_ca(s, caname)) == NULL)
		return;
	for (i = 0; i < ca->nrecs; i++)
		if (ca->recs[i].revoked &&
		    strcmp(ca->recs[i].serial, leaf->serial) == 0) {
			add_finding(s, p, r->entry->name, AR_REVOKED,
			    "revoked by local CA %s on %s (%s)", caname,
			    date_of(ca->recs[i].revoked_at, d),
			    ca->recs[i].reason ? ca->recs[i].reason :
			    "unspecified");
			return;
		}
}

static int
job_cmp_entry(const void *key, const void *elem)
{
	return strcmp(key, ((const struct jobfail *)elem)->entry);
}

/* The algorithm name counted by pq-inventory. */
static char *
alg_name(const struct certrec *c, int *safe)
{
	const char *t = c->key_type != NULL ? c->key_type : "unknown";

	*safe = str_startswith(t, "ML-DSA") || str_startswith(t, "SLH-DSA") ||
	    str_startswith(t, "ML-KEM");
	if (strcmp(t, "EC") == 0)
		return xasprintf("ECDSA-%s", c->key_curve ? c->key_curve :
		    "unknown");
	if ((strcmp(t, "RSA") == 0 || strcmp(t, "RSA-PSS") == 0 ||
	    strcmp(t, "DSA") == 0) && c->key_bits > 0)
		return xasprintf("%s-%d", t, c->key_bits);
	return xstrdup(t);
}

static void
count_alg(struct sweep *s, const struct certrec *c)
{
	char *name;
	size_t i;
	int safe;

	name = alg_name(c, &safe);
	for (i = 0; i < s->nalgs; i++)
		if (strcmp(s->algs[i].name, name) == 0) {
			s->algs[i].n++;
			free(name);
			return;
		}
	s->algs = xreallocarray(s->algs, s->nalgs + 1, sizeof *s->algs);
	s->algs[s->nalgs].name = name;
	s->algs[s->nalgs].safe = safe;
	s->algs[s->nalgs].n = 1;
	s->nalgs++;
}

static int
entry_row(void *arg, const struct idx_audit_row *r)
{
	struct sweep *s = arg;
	struct audit_report *rep = s->rep;
	const struct idx_entry *e = r->entry;
	const struct audit_policy *p = audit_policy_for(&s->ps, e->tags);
	const struct jobfail *jf;
	struct leafkey *lk;
	char *caname;
	size_t i;

	rep->entries++;
	for (i = 0; i < AR_COUNT; i++)
		if (p->sev[i] != AUDIT_OFF)
			rep->enabled[i] = 1;
	if (e->owner == NULL || *e->owner == '\0')
		add_finding(s, p, e->name, AR_NO_OWNER, "no owner");
	/* An entry made by certdeck issue renews through its CA. */
	caname = e->meta != NULL ? meta_get(e->meta, "ca") : NULL;
	if ((e->profile == NULL || *e->profile == '\0') && caname == NULL)
		add_finding(s, p, e->name, AR_NO_PROFILE, "no profile");
	if (s->njobs > 0 && (jf = bsearch(e->name, s->jobs, s->njobs,
	    sizeof *s->jobs, job_cmp_entry)) != NULL &&
	    jf->failed >= p->stuck_failures)
		add_finding(s, p, e->name, AR_RENEWAL_STUCK,
		    "%lld failed renewals since the last success",
		    (long long)jf->failed);
	if (e->meta != NULL && strstr(e->meta, "key-path") != NULL)
		strv_add(&s->keypath, e->name);
	rule_probes(s, p, r);
	if (r->n == 0) {
		/* Nothing to watch the expiry of: monitoring must hear it. */
		add_finding(s, p, e->name, AR_NO_CERTIFICATE,
		    "cert.pem missing or does not parse");
		free(caname);
		return 0;
	}

	if (rep->nexp == s->cap_exp) {
		s->cap_exp = s->cap_exp ? s->cap_exp * 2 : 256;
		rep->exp = xreallocarray(rep->exp, s->cap_exp,
		    sizeof *rep->exp);
	}
	rep->exp[rep->nexp].entry = xstrdup(e->name);
	rep->exp[rep->nexp].not_after = r->eff_not_after;
	rep->nexp++;

	rule_expiry(s, p, r);
	rule_keys(s, p, r);
	rule_leaf(s, p, r);
	/* Files repeat the same intermediates: skip a repeat of the last. */
	for (i = 0; i < r->n; i++)
		if (r->certs[i]->is_ca && r->certs[i]->subject != NULL &&
		    (s->ca_subjects.n == 0 || strcmp(s->ca_subjects.v[
		    s->ca_subjects.n - 1], r->certs[i]->subject) != 0))
			strv_add(&s->ca_subjects, r->certs[i]->subject);
	rule_chain(s, p, r);
	rule_crl(s, p, r);
	if (caname != NULL)
		rule_local_revoked(s, p, r, caname);
	free(caname);
	if (p->sev[AR_PQ_INVENTORY] != AUDIT_OFF)
		count_alg(s, r->certs[0]);

	if (s->nleaves == s->cap_leaves) {
		s->cap_leaves = s->cap_leaves ? s->cap_leaves * 2 : 256;
		s->leaves = xreallocarray(s->leaves, s->cap_leaves,
		    sizeof *s->leaves);
	}
	lk = &s->leaves[s->nleaves++];
	lk->entry = rep->exp[rep->nexp - 1].entry;
	lk->p = p;
	lk->spki = r->certs[0]->spki_sha256 ?
	    xstrdup(r->certs[0]->spki_sha256) : NULL;
	memcpy(lk->sha256, r->certs[0]->sha256, sizeof lk->sha256);
	return 0;
}

/*
 * chain-incomplete accepts an issuer that is a CA certificate anywhere in
 * the inventory, which is known only after the pass: its findings are
 * made during the pass and the ones such a CA answers are dropped here.
 */
static void
chain_pending(struct sweep *s)
{
	struct audit_report *rep = s->rep;
	size_t i, j;

	strv_sort(&s->ca_subjects);
	strv_uniq(&s->ca_subjects);
	for (i = 0; i < s->npending; i++) {
		if (!strv_sorted_has(&s->ca_subjects, s->pending[i].issuer))
			continue;
		j = s->pending[i].finding;
		free(rep->f[j].entry);
		free(rep->f[j].detail);
		rep->f[j].entry = NULL;
	}
	for (i = j = 0; i < rep->n; i++)
		if (rep->f[i].entry != NULL)
			rep->f[j++] = rep->f[i];
	rep->n = j;
}

/* ---------------------------------------------------------------------- */
/* The rules that compare entries. */

static int
leaf_cmp_spki(const void *a, const void *b)
{
	const struct leafkey *x = a, *y = b;
	int c = strcmp(x->spki ? x->spki : "", y->spki ? y->spki : "");

	if (c == 0)
		c = strcmp(x->sha256, y->sha256);
	return c != 0 ? c : strcmp(x->entry, y->entry);
}

static int
leaf_cmp_sha(const void *a, const void *b)
{
	const struct leafkey *x = a, *y = b;
	int c = strcmp(x->sha256, y->sha256);

	return c != 0 ? c : strcmp(x->entry, y->entry);
}

/* "a, b, c and N more": the others of group [i, j) than k. */
static char *
others(const struct leafkey *l, size_t i, size_t j, size_t k)
{
	struct buf b;
	size_t m, shown = 0;

	buf_init(&b);
	for (m = i; m < j; m++) {
		if (m == k || strcmp(l[m].entry, l[k].entry) == 0)
			continue;
		if (shown == 5) {
			buf_printf(&b, " and %zu more", j - i - 1 - shown);
			break;
		}
		buf_printf(&b, "%s%s", shown ? ", " : "", l[m].entry);
		shown++;
	}
	return buf_steal(&b);
}

static void
rule_shared(struct sweep *s)
{
	struct leafkey *l = s->leaves;
	size_t i, j, k, certs;
	char *o;

	if (s->nleaves < 2)
		return;
	qsort(l, s->nleaves, sizeof *l, leaf_cmp_sha);
	for (i = 0; i < s->nleaves; i = j) {
		for (j = i + 1; j < s->nleaves &&
		    strcmp(l[j].sha256, l[i].sha256) == 0; j++)
			;
		for (k = i; j - i > 1 && k < j; k++) {
			o = others(l, i, j, k);
			add_finding(s, l[k].p, l[k].entry, AR_DUPLICATE_CERT,
			    "also in %s", o);
			free(o);
		}
	}
	qsort(l, s->nleaves, sizeof *l, leaf_cmp_spki);
	for (i = 0; i < s->nleaves; i = j) {
		certs = 1;
		for (j = i + 1; j < s->nleaves && l[i].spki != NULL &&
		    l[j].spki != NULL && strcmp(l[j].spki, l[i].spki) == 0;
		    j++)
			if (strcmp(l[j].sha256, l[j - 1].sha256) != 0)
				certs++;
		/* Several certificates of one key; the same certificate
		   twice is duplicate-cert's. */
		for (k = i; certs > 1 && k < j; k++) {
			o = others(l, i, j, k);
			add_finding(s, l[k].p, l[k].entry, AR_SHARED_KEY,
			    "public key also in %s", o);
			free(o);
		}
	}
}

/*
 * key-mismatch: entries whose key-path names a key. The key is read and
 * checked against the certificate the way probe --client does
 * (inv_probe_client); a key that cannot be read or decrypted is not a
 * finding (nothing is known), only a key that is readable and is another
 * certificate's. Keys stored by import (keys/NAME.key) were checked
 * against the leaf when they were stored.
 */
static void
rule_keypath(struct sweep *s)
{
	static const char mismatch[] = "the key does not match the certificate";
	struct probe_client *pc;
	struct idx_entry ie;
	char *err = NULL;
	size_t i;

	for (i = 0; i < s->keypath.n; i++) {
		if (inv_probe_client(s->inv, s->keypath.v[i], &pc, &err) == 0)
			probe_client_free(pc);
		else if (err != NULL && str_endswith(err, mismatch) &&
		    idx_entry_get(s->inv->idx, s->keypath.v[i], &ie,
		    NULL) == 1) {
			add_finding(s, audit_policy_for(&s->ps, ie.tags),
			    s->keypath.v[i], AR_KEY_MISMATCH,
			    "key-path holds another certificate's key");
			idx_entry_free(&ie);
		}
		free(err);
		err = NULL;
	}
}

static int
alg_cmp(const void *a, const void *b)
{
	return strcmp(((const struct audit_alg *)a)->name,
	    ((const struct audit_alg *)b)->name);
}

static void
rule_pq(struct sweep *s)
{
	struct audit_report *rep = s->rep;
	size_t i;

	rep->algs = xcalloc(s->nalgs + 1, sizeof *rep->algs);
	for (i = 0; i < s->nalgs; i++) {
		rep->algs[i].name = s->algs[i].name;
		rep->algs[i].count = s->algs[i].n;
		rep->algs[i].quantum_safe = s->algs[i].safe;
	}
	rep->nalgs = s->nalgs;
	free(s->algs);
	s->algs = NULL;
	s->nalgs = 0;
	qsort(rep->algs, rep->nalgs, sizeof *rep->algs, alg_cmp);
	for (i = 0; i < rep->nalgs; i++)
		add_finding(s, &s->ps.base, AUDIT_INVENTORY, AR_PQ_INVENTORY,
		    "%s: %zu %s", rep->algs[i].name, rep->algs[i].count,
		    rep->algs[i].quantum_safe ? "post-quantum" :
		    "quantum-vulnerable");
}

static int
finding_cmp(const void *a, const void *b)
{
	const struct audit_finding *x = a, *y = b;
	int c = strcmp(x->entry, y->entry);

	if (c == 0)
		c = strcmp(audit_rules[x->rule].id, audit_rules[y->rule].id);
	if (c == 0)
		c = strcmp(x->detail, y->detail);
	return c;
}

static void
sweep_free(struct sweep *s)
{
	size_t i;

	for (i = 0; i < s->nprobes; i++) {
		free(s->probes[i].entry);
		free(s->probes[i].endpoint);
		free(s->probes[i].kind);
		free(s->probes[i].leaf_sha256);
		free(s->probes[i].ocsp_status);
	}
	free(s->probes);
	for (i = 0; i < s->njobs; i++)
		free(s->jobs[i].entry);
	free(s->jobs);
	for (i = 0; i < s->nleaves; i++)
		free(s->leaves[i].spki);
	free(s->leaves);
	for (i = 0; i < s->ncrls; i++) {
		free(s->crls[i].path);
		cert_crl_free(s->crls[i].crl);
	}
	free(s->crls);
	for (i = 0; i < s->nlcas; i++) {
		free(s->lcas[i].name);
		if (s->lcas[i].ca != NULL)
			ca_free(s->lcas[i].ca);
	}
	free(s->lcas);
	for (i = 0; i < s->nalgs; i++)
		free(s->algs[i].name);
	free(s->algs);
	strv_free(&s->anchors);
	strv_free(&s->ca_subjects);
	strv_free(&s->keypath);
	for (i = 0; i < s->npending; i++)
		free(s->pending[i].issuer);
	free(s->pending);
	audit_policies_free(&s->ps);
}

/* Evaluate every rule; rep filled except the commit fields. */
static int
evaluate(struct inv *inv, struct audit_report *rep, char **cause)
{
	static const char *const paths[] = { "$.ocsp.status",
	    "$.client_cert.requested" };
	struct sweep s;
	char *ca_pem;
	size_t i;
	int rc = -1;

	memset(&s, 0, sizeof s);
	s.inv = inv;
	s.rep = rep;
	s.now = rep->time;
	strv_init(&s.anchors);
	strv_init(&s.ca_subjects);
	strv_init(&s.keypath);
	if (audit_policies_load(&s.ps, &inv->cfg, cause) != 0)
		goto out;
	for (i = 0; i < AR_COUNT; i++) {
		rep->sev[i] = s.ps.base.sev[i];
		rep->enabled[i] = s.ps.base.sev[i] != AUDIT_OFF;
	}
	if (idx_probe_latest(inv->idx, paths, nitems(paths), probe_row, &s,
	    cause) != 0 ||
	    idx_jobs_failing(inv->idx, "renew", job_row, &s, cause) != 0)
		goto out;
	load_anchors(&s);
	if (idx_audit_walk(inv->idx, entry_row, &s, cause) != 0)
		goto out;
	/* The inventory's own CAs (cas/) are CA certificates of it too. */
	ca_pem = inv_ca_pem(inv, 0);
	cert_pem_subjects(ca_pem, strlen(ca_pem), &s.ca_subjects);
	free(ca_pem);
	chain_pending(&s);
	rule_ca_expiry(&s);
	rule_shared(&s);
	rule_keypath(&s);
	if (s.ps.base.sev[AR_PQ_INVENTORY] != AUDIT_OFF || s.nalgs > 0)
		rule_pq(&s);
	qsort(rep->f, rep->n, sizeof *rep->f, finding_cmp);
	for (i = 0; i < rep->n; i++) {
		rep->by_sev[rep->f[i].sev]++;
		rep->by_rule[rep->f[i].rule]++;
	}
	rc = 0;
out:
	sweep_free(&s);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* audit/findings and its commit. */

/* The finding lines of a findings text, sorted (comments dropped). */
static void
findings_lines(const char *text, struct strv *out)
{
	struct strv all;
	size_t i;

	strv_init(&all);
	strv_split(&all, text, '\n');
	for (i = 0; i < all.n; i++)
		if (*all.v[i] != '\0' && *all.v[i] != '#')
			strv_add(out, all.v[i]);
	strv_free(&all);
	strv_sort(out);
}

/* Body lines shown per kind of change; the rest is counted. */
#define BODY_MAX	100

static int
record(struct inv *inv, struct audit_report *rep, char **cause)
{
	struct repo_change ch;
	struct strv oldl, newl, trailers, added, gone;
	struct buf body;
	char *text, *old = NULL, *subject, *msg;
	size_t len, i = 0, j = 0;
	int found, c, rc = -1;

	text = audit_findings_text(rep);
	strv_init(&oldl);
	strv_init(&newl);
	strv_init(&trailers);
	strv_init(&added);
	strv_init(&gone);
	buf_init(&body);
	if (inv_begin(inv, cause) != 0) {
		free(text);
		return -1;
	}
	/* Against HEAD under the lock: another sweep may have just run. */
	found = repo_read(inv->repo, NULL, AUDIT_FINDINGS_PATH, &old, &len, NULL,
	    cause);
	if (found < 0)
		goto out;
	rep->first = found == 0;
	if (found == 1 && len == strlen(text) && memcmp(old, text, len) == 0) {
		rc = 0;
		goto out;
	}
	findings_lines(old != NULL ? old : "", &oldl);
	findings_lines(text, &newl);
	while (i < oldl.n || j < newl.n) {
		c = i == oldl.n ? 1 : j == newl.n ? -1 :
		    strcmp(oldl.v[i], newl.v[j]);
		if (c < 0)
			strv_add(&gone, oldl.v[i++]);
		else if (c > 0)
			strv_add(&added, newl.v[j++]);
		else
			i++, j++;
	}
	rep->added = added.n;
	rep->resolved = gone.n;
	if (rep->first)
		subject = xasprintf("audit: first sweep, %zu finding%s",
		    rep->n, rep->n == 1 ? "" : "s");
	else
		subject = xasprintf("audit: %zu new finding%s, %zu resolved",
		    added.n, added.n == 1 ? "" : "s", gone.n);
	for (i = 0; i < added.n && i < BODY_MAX; i++)
		buf_printf(&body, "+ %s\n", added.v[i]);
	if (added.n > BODY_MAX)
		buf_printf(&body, "+ ... and %zu more\n", added.n - BODY_MAX);
	for (i = 0; i < gone.n && i < BODY_MAX; i++)
		buf_printf(&body, "- %s\n", gone.v[i]);
	if (gone.n > BODY_MAX)
		buf_printf(&body, "- ... and %zu more\n", gone.n - BODY_MAX);
	strv_addn(&trailers, xasprintf("Certdeck-Findings: %zu critical, "
	    "%zu warning, %zu notice, %zu info", rep->by_sev[AUDIT_CRITICAL],
	    rep->by_sev[AUDIT_WARNING], rep->by_sev[AUDIT_NOTICE],
	    rep->by_sev[AUDIT_INFO]));
	msg = inv_message(subject, body.data, "audit", &trailers);
	free(subject);
	ch.path = AUDIT_FINDINGS_PATH;
	ch.data = text;
	ch.len = strlen(text);
	rc = inv_commit(inv, &ch, 1, msg, rep->commit, cause);
	free(msg);
out:
	inv_end(inv);
	free(text);
	free(old);
	strv_free(&oldl);
	strv_free(&newl);
	strv_free(&trailers);
	strv_free(&added);
	strv_free(&gone);
	buf_free(&body);
	return rc;
}

int
audit_findings_read(struct inv *inv, struct audit_finding **out, size_t *n,
    char **cause)
{
	char *text = NULL;
	size_t len;
	int found;

	*out = NULL;
	*n = 0;
	found = repo_read(inv->repo, NULL, AUDIT_FINDINGS_PATH, &text, &len,
	    NULL, cause);
	if (found <= 0)
		return found;
	audit_findings_parse(text, out, n);
	free(text);
	return 0;
}

int
audit_sweep(struct inv *inv, struct audit_report *rep, char **cause)
{
	memset(rep, 0, sizeof *rep);
	rep->time = clock_now();
	/* Its thresholds would be the defaults, not the inventory's. */
	if (inv->cfg_error != NULL)
		return set_cause(cause, "%s; no sweep until it is fixed",
		    inv->cfg_error);
	/* Read-only here (a replica, a backup): the verdict, unrecorded. */
	rep->unrecorded = idx_is_readonly(inv->idx);
	if (evaluate(inv, rep, cause) != 0 ||
	    (!rep->unrecorded && record(inv, rep, cause) != 0)) {
		audit_report_free(rep);
		return -1;
	}
	return 0;
}

