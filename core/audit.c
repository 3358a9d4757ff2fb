/*
 * audit.c: the audit rules (audit.h): the rule table, the policy made from
 * certdeck.conf's [audit] and [audit tag NAME] sections, and the text of
 * audit/findings. The sweep over an inventory is inv_audit.c's.
 *
 * Policy: [audit] sets a rule's severity ("off" turns it off) and the
 * rules' settings; [audit tag NAME] does the same for entries tagged NAME,
 * applied after [audit] in the order of the file. The policies of the
 * distinct combinations of tag sections are computed once and cached.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auditpriv.h"
#include "escape.h"
const struct audit_rule audit_rules[AR_COUNT] = {
#define X(e, id, sev, desc, fix) { id, AUDIT_##sev, desc, fix },
	AUDIT_RULES
#undef X
};

static const char *const sev_names[] = {
	"critical", "warning", "notice", "info", "off"
};

const char *
audit_sev_name(enum audit_sev s)
{
	return (unsigned)s <= AUDIT_OFF ? sev_names[s] : "?";
}

int
audit_sev_parse(const char *s, enum audit_sev *out)
{
	size_t i;

	for (i = 0; i < nitems(sev_names); i++)
		if (strcmp(s, sev_names[i]) == 0) {
			*out = (enum audit_sev)i;
			return 0;
		}
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Policy. */


/* Settings other than rule severities, in [audit] and [audit tag]. */
static const struct {
	const char	*key;
	size_t		 off;
	int		 min, max;
} policy_ints[] = {
	{ "rsa-min-bits", offsetof(struct audit_policy, rsa_min_bits), 1024, 16384 },
	{ "max-validity-days", offsetof(struct audit_policy, max_validity), 1, 36500 },
	{ "stuck-renewal-failures", offsetof(struct audit_policy, stuck_failures),
	  1, 1000 },
};

#define AUDIT_SECTION		"audit"
#define AUDIT_TAG_SECTION	"audit tag "
#define MAX_TAG_SECTIONS	64

static void
policy_defaults(struct audit_policy *p)
{
	size_t i;

	for (i = 0; i < AR_COUNT; i++)
		p->sev[i] = audit_rules[i].sev;
	p->rsa_min_bits = 2048;
	p->max_validity = 398;
	p->stuck_failures = 3;
}

int
audit_rule_find(const char *id)
{
	size_t i;

	for (i = 0; i < AR_COUNT; i++)
		if (strcmp(audit_rules[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* Apply one setting of a section to p; -1 with *cause on a bad one. */
static int
policy_apply(struct audit_policy *p, const struct config_item *it, int top,
    char **cause)
{
	enum audit_sev sev;
	char *end;
	size_t i;
	long n;
	int r;

	if ((r = audit_rule_find(it->key)) >= 0) {
		if (strcmp(it->value, "on") == 0)
			sev = audit_rules[r].sev;
		else if (audit_sev_parse(it->value, &sev) != 0)
			return set_cause(cause, "certdeck.conf:%d: [%s] %s "
			    "must be critical, warning, notice, info, on or "
			    "off", it->line, it->section, it->key);
		p->sev[r] = sev;
		return 0;
	}
	if (strcmp(it->key, "max-validity-days") == 0 &&
	    strcmp(it->value, "sc-081") == 0) {
		p->max_validity = VALIDITY_SC081;
		return 0;
	}
	if (strcmp(it->key, "crl-dir") == 0) {
		if (!top)
			return set_cause(cause, "certdeck.conf:%d: crl-dir "
			    "belongs in [audit], not [%s]", it->line,
			    it->section);
		if (it->value[0] != '/')
			return set_cause(cause, "certdeck.conf:%d: crl-dir "
			    "must be an absolute path", it->line);
		return 0;
	}
	for (i = 0; i < nitems(policy_ints); i++) {
		if (strcmp(policy_ints[i].key, it->key) != 0)
			continue;
		errno = 0;
		n = strtol(it->value, &end, 10);
		if (*it->value == '\0' || *end != '\0' || errno != 0 ||
		    n < policy_ints[i].min || n > policy_ints[i].max)
			return set_cause(cause, "certdeck.conf:%d: %s must be "
			    "a number from %d to %d%s", it->line, it->key,
			    policy_ints[i].min, policy_ints[i].max,
			    strcmp(it->key, "max-validity-days") == 0 ?
			    ", or sc-081" : "");
		*(int *)((char *)p + policy_ints[i].off) = (int)n;
		return 0;
	}
	return set_cause(cause, "certdeck.conf:%d: [%s] unknown rule or "
	    "setting %s", it->line, it->section, it->key);
}


int
audit_policies_load(struct audit_policies *ps, const struct config *cfg,
    char **cause)
{
	const struct config_item *it;
	const char *tag;
	size_t i;

	memset(ps, 0, sizeof *ps);
	ps->cfg = cfg;
	strv_init(&ps->tags);
	policy_defaults(&ps->base);
	for (i = 0; i < cfg->nitems; i++) {
		it = &cfg->items[i];
		if (strcmp(it->section, AUDIT_SECTION) == 0) {
			if (policy_apply(&ps->base, it, 1, cause) != 0)
				return -1;
			if (strcmp(it->key, "crl-dir") == 0)
				ps->crl_dir = it->value;
		} else if (str_startswith(it->section, AUDIT_TAG_SECTION)) {
			tag = it->section + strlen(AUDIT_TAG_SECTION);
			if (*tag == '\0' || strchr(tag, ' ') != NULL)
				return set_cause(cause, "certdeck.conf:%d: "
				    "expected [audit tag NAME]", it->line);
			if (!strv_has(&ps->tags, tag)) {
				if (ps->tags.n == MAX_TAG_SECTIONS)
					return set_cause(cause, "certdeck.conf:"
					    "%d: more than %d [audit tag] "
					    "sections", it->line,
					    MAX_TAG_SECTIONS);
				strv_add(&ps->tags, tag);
			}
		}
	}
	/* Check the tag sections' settings once, on a scratch policy. */
	for (i = 0; i < cfg->nitems; i++) {
		struct audit_policy scratch = ps->base;

		it = &cfg->items[i];
		if (str_startswith(it->section, AUDIT_TAG_SECTION) &&
		    policy_apply(&scratch, it, 0, cause) != 0)
			return -1;
	}
	return 0;
}

void
audit_policies_free(struct audit_policies *ps)
{
	size_t i;

	strv_free(&ps->tags);
	for (i = 0; i < ps->ncache; i++)
		free(ps->cache[i].p);
	free(ps->cache);
}

/* The policy for an entry with these tags (comma-separated). */
const struct audit_policy *
audit_policy_for(struct audit_policies *ps, const char *tags)
{
	const struct config_item *it;
	struct strv t;
	uint64_t mask = 0;
	size_t i, j;
	char *err = NULL;

	if (ps->tags.n == 0 || tags == NULL || *tags == '\0')
		return &ps->base;
	strv_init(&t);
	strv_split(&t, tags, ',');
	for (i = 0; i < ps->tags.n; i++)
		for (j = 0; j < t.n; j++)
			if (strcmp(ps->tags.v[i], str_trim(t.v[j])) == 0)
				mask |= (uint64_t)1 << i;
	strv_free(&t);
	if (mask == 0)
		return &ps->base;
	for (i = 0; i < ps->ncache; i++)
		if (ps->cache[i].mask == mask)
			return ps->cache[i].p;
	ps->cache = xreallocarray(ps->cache, ps->ncache + 1,
	    sizeof *ps->cache);
	ps->cache[ps->ncache].mask = mask;
	ps->cache[ps->ncache].p = xmalloc(sizeof *ps->cache[ps->ncache].p);
	*ps->cache[ps->ncache].p = ps->base;
	for (i = 0; i < ps->cfg->nitems; i++) {
		it = &ps->cfg->items[i];
		if (!str_startswith(it->section, AUDIT_TAG_SECTION))
			continue;
		for (j = 0; j < ps->tags.n; j++)
			if ((mask & ((uint64_t)1 << j)) && strcmp(ps->tags.v[j],
			    it->section + strlen(AUDIT_TAG_SECTION)) == 0)
				break;
		/* Checked by policies_load: cannot fail here. */
		if (j < ps->tags.n)
			(void)policy_apply(ps->cache[ps->ncache].p, it, 0,
			    &err);
		free(err);
		err = NULL;
	}
	return ps->cache[ps->ncache++].p;
}

int
audit_config_check(const struct config *cfg, char **cause)
{
	struct audit_policies ps;
	int rc = audit_policies_load(&ps, cfg, cause);

	audit_policies_free(&ps);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* audit/findings: its text, read back. */

char *
audit_findings_text(const struct audit_report *rep)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_adds(&b, AUDIT_FINDINGS_HEADER);
	for (i = 0; i < rep->n; i++) {
		buf_adds(&b, rep->f[i].entry);
		buf_addc(&b, ' ');
		buf_adds(&b, audit_rules[rep->f[i].rule].id);
		buf_addc(&b, ' ');
		buf_adds(&b, audit_sev_name(rep->f[i].sev));
		buf_addc(&b, ' ');
		buf_adds(&b, rep->f[i].detail);
		buf_addc(&b, '\n');
	}
	return buf_steal(&b);
}

int
audit_findings_parse(const char *text, struct audit_finding **out, size_t *n)
{
	struct audit_finding *f;
	struct strv lines;
	enum audit_sev sev;
	char *p, *rule, *sv, *detail;
	size_t i, nf = 0;
	int r;

	strv_init(&lines);
	strv_split(&lines, text, '\n');
	f = xcalloc(lines.n + 1, sizeof *f);
	for (i = 0; i < lines.n; i++) {
		p = lines.v[i];
		if (*p == '\0' || *p == '#')
			continue;
		/* ENTRY RULE SEVERITY DETAIL */
		if ((rule = strchr(p, ' ')) == NULL)
			continue;
		*rule++ = '\0';
		if ((sv = strchr(rule, ' ')) == NULL)
			continue;
		*sv++ = '\0';
		if ((detail = strchr(sv, ' ')) != NULL)
			*detail++ = '\0';
		if ((r = audit_rule_find(rule)) < 0 ||
		    audit_sev_parse(sv, &sev) != 0 || sev == AUDIT_OFF)
			continue;
		f[nf].entry = xstrdup(p);
		f[nf].rule = (enum audit_rule_id)r;
		f[nf].sev = sev;
		f[nf].detail = esc_dup(detail != NULL ? detail : "", 0);
		nf++;
	}
	strv_free(&lines);
	*out = f;
	*n = nf;
	return 0;
}

void
audit_findings_free(struct audit_finding *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(f[i].entry);
		free(f[i].detail);
	}
	free(f);
}

void
audit_report_free(struct audit_report *rep)
{
	size_t i;

	audit_findings_free(rep->f, rep->n);
	for (i = 0; i < rep->nalgs; i++)
		free(rep->algs[i].name);
	free(rep->algs);
	for (i = 0; i < rep->nexp; i++)
		free(rep->exp[i].entry);
	free(rep->exp);
	memset(rep, 0, sizeof *rep);
}
