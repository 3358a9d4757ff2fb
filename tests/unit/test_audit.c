/* test_audit.c: the audit rule table and the [audit] settings. The rules
   themselves are tested end to end (tests/e2e/audit.sh). */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "audit.h"
#include "config.h"
#include "util.h"

static void
t_rules(void **state)
{
	size_t i, j;
	enum audit_sev s;

	(void)state;
	for (i = 0; i < AR_COUNT; i++) {
		const struct audit_rule *r = &audit_rules[i];

		assert_non_null(r->id);
		assert_true(strlen(r->desc) > 0 && strlen(r->fix) > 0);
		assert_true(r->sev < AUDIT_OFF);
		/* Ids are config keys and words of audit/findings lines. */
		assert_null(strpbrk(r->id, " =\t"));
		for (j = 0; j < i; j++)
			assert_string_not_equal(r->id, audit_rules[j].id);
	}
	for (i = 0; i <= AUDIT_OFF; i++) {
		assert_int_equal(audit_sev_parse(audit_sev_name((enum audit_sev)i),
		    &s), 0);
		assert_int_equal(s, (int)i);
	}
	assert_int_equal(audit_sev_parse("high", &s), -1);
}

/* Parse text as certdeck.conf and check its audit sections: the error
   (NULL when accepted), for the caller to free. */
static char *
check(const char *text)
{
	struct config c;
	char *err = NULL;

	assert_int_equal(config_parse(text, strlen(text), "certdeck.conf", &c,
	    &err), 0);
	if (audit_config_check(&c, &err) == 0)
		err = NULL;
	config_free(&c);
	return err;
}

static void
t_config(void **state)
{
	static const struct {
		const char	*text;
		const char	*error;		/* NULL: accepted */
	} cases[] = {
		{ "", NULL },
		{ "[audit]\nno-owner = off\nexpired = warning\n", NULL },
		{ "[audit]\nno-owner = on\n", NULL },
		{ "[audit]\nrsa-min-bits = 3072\nmax-validity-days = 90\n"
		  "stuck-renewal-failures = 5\ncrl-dir = /var/lib/crls\n", NULL },
		{ "[audit]\nmax-validity-days = sc-081\n", NULL },
		{ "[audit tag internal-mtls]\nrsa-min-bits = 4096\n"
		  "self-signed-leaf = critical\n", NULL },
		{ "[audit]\nno-such-rule = off\n",
		  "certdeck.conf:2: [audit] unknown rule or setting no-such-rule" },
		{ "[audit]\nexpired = high\n",
		  "certdeck.conf:2: [audit] expired must be critical, warning, "
		  "notice, info, on or off" },
		{ "[audit]\nrsa-min-bits = 512\n",
		  "certdeck.conf:2: rsa-min-bits must be a number from 1024 to "
		  "16384" },
		{ "[audit]\nmax-validity-days = forever\n",
		  "certdeck.conf:2: max-validity-days must be a number from 1 to "
		  "36500, or sc-081" },
		{ "[audit]\ncrl-dir = crls\n",
		  "certdeck.conf:2: crl-dir must be an absolute path" },
		{ "# x\n[audit tag web]\ncrl-dir = /x\n",
		  "certdeck.conf:3: crl-dir belongs in [audit], not [audit tag "
		  "web]" },
		{ "[audit tag web]\nbogus = 1\n",
		  "certdeck.conf:2: [audit tag web] unknown rule or setting "
		  "bogus" },
		{ "[audit tag]\nno-owner = off\n", NULL },	/* another section */
		{ "[profile acme]\nbogus = 1\n", NULL },	/* not ours */
	};
	size_t i;
	char *err;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		err = check(cases[i].text);
		if (cases[i].error == NULL) {
			if (err != NULL)
				fail_msg("case %zu: %s", i, err);
		} else {
			assert_non_null(err);
			assert_string_equal(err, cases[i].error);
		}
		free(err);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_rules),
		cmocka_unit_test(t_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
