/*
 * auditpriv.h: what audit.c (the rules' policy and findings text) and
 * inv_audit.c (the sweep) share; front-ends do not see it.
 */
#ifndef CD_AUDITPRIV_H
#define CD_AUDITPRIV_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "config.h"
#include "util.h"

#define AUDIT_FINDINGS_PATH	"audit/findings"
#define AUDIT_FINDINGS_HEADER	"# certdeck audit findings: ENTRY RULE " \
				"SEVERITY DETAIL, sorted\n"

/* validity-too-long's limit: a number of days, or the CA/B Forum's
   schedule of shorter limits (ballot SC-081). */
#define VALIDITY_SC081	0

/* The rules' severities and settings for one entry. */
struct audit_policy {
	enum audit_sev	 sev[AR_COUNT];
	int		 rsa_min_bits;
	int		 max_validity;		/* days, or VALIDITY_SC081 */
	int		 stuck_failures;
};

/* The tag sections, in file order, and the policies made from them. */
struct audit_policies {
	struct audit_policy	 base;
	const struct config	*cfg;
	struct strv		 tags;		/* tag of section i */
	struct {
		uint64_t		 mask;	/* which tag sections apply */
		struct audit_policy	*p;	/* stays put: sweeps point
						   to it */
	}			*cache;
	size_t			 ncache;
	const char		*crl_dir;	/* [audit] crl-dir, or NULL */
};

/* The rule with this id (its enum audit_rule_id), or -1. */
int	 audit_rule_find(const char *id);
/* From a configuration's [audit] sections; -1 with *cause naming the
   line. audit_policies_free in any case. */
int	 audit_policies_load(struct audit_policies *, const struct config *,
	    char **cause);
void	 audit_policies_free(struct audit_policies *);
/* The policy of an entry with these tags (comma-separated, may be NULL);
   valid until audit_policies_free. */
const struct audit_policy *audit_policy_for(struct audit_policies *,
	    const char *tags);
/* The findings of an audit/findings text (see audit_findings_read). */
int	 audit_findings_parse(const char *text, struct audit_finding **out,
	    size_t *n);

#endif
