/*
 * audit.h: audit sweeps. A table of rules (id, severity, description, fix
 * hint) evaluated over the whole index in one pass, tuned per inventory and
 * per tag in certdeck.conf ([audit], [audit tag NAME]); the findings are
 * written, sorted, to audit/findings and committed when they changed.
 */
#ifndef CD_AUDIT_H
#define CD_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct inv;

enum audit_sev {
	AUDIT_CRITICAL,
	AUDIT_WARNING,
	AUDIT_NOTICE,
	AUDIT_INFO,
	AUDIT_OFF,
};
#define AUDIT_NSEV	4	/* severities a finding can have */

/* "critical"... ("off" for AUDIT_OFF). */
const char *audit_sev_name(enum audit_sev);
/* A severity or "off"; 0 or -1. */
int	 audit_sev_parse(const char *, enum audit_sev *);

/*
 * The rules: X(ENUM, id, default severity, description, fix hint). The
 * table is the source of `certdeck audit --rules`, the man page's list
 * (tests/e2e/docs.sh compares them) and certdeck.conf's rule keys.
 */
#define AUDIT_RULES							\
	X(EXPIRED, "expired", CRITICAL,					\
	  "the certificate or a chain certificate has expired",		\
	  "renew it, or remove the entry if it is no longer used")	\
	X(NO_CERTIFICATE, "no-certificate", CRITICAL,			\
	  "an entry whose cert.pem is missing or does not parse",	\
	  "import its certificate with certdeck import --into NAME")	\
	X(EXPIRING_CRITICAL, "expiring-critical", CRITICAL,		\
	  "expires within the critical threshold",			\
	  "renew it now")						\
	X(EXPIRING_WARNING, "expiring-warning", WARNING,		\
	  "expires within the warning threshold",			\
	  "plan its renewal")						\
	X(CHAIN_EXPIRES_FIRST, "chain-expires-first", WARNING,		\
	  "a chain certificate expires before the leaf",		\
	  "get the issuer's current intermediate into the chain")	\
	X(WEAK_RSA_KEY, "weak-rsa-key", CRITICAL,			\
	  "an RSA key shorter than the minimum (2048 bits)",		\
	  "reissue with RSA 2048+ or ECDSA P-256")			\
	X(DSA_KEY, "dsa-key", CRITICAL,					\
	  "a DSA key",							\
	  "reissue with ECDSA P-256 or RSA 2048+")			\
	X(WEAK_CURVE, "weak-curve", WARNING,				\
	  "an EC curve other than P-256, P-384 or P-521",		\
	  "reissue on P-256 or P-384")					\
	X(WEAK_SIGNATURE, "weak-signature", CRITICAL,			\
	  "an MD5 or SHA-1 signature (trust anchors excepted)",		\
	  "reissue with a SHA-256 (or stronger) signature")		\
	X(VALIDITY_TOO_LONG, "validity-too-long", WARNING,		\
	  "a TLS server certificate valid longer than allowed "		\
	  "(398 days since 2020-09-01)",				\
	  "reissue with a shorter lifetime")				\
	X(MISSING_SAN, "missing-san", WARNING,				\
	  "a leaf without a subjectAltName",				\
	  "reissue with the names in subjectAltName")			\
	X(CN_NOT_IN_SAN, "cn-not-in-san", WARNING,			\
	  "the subject CN is not among the subjectAltNames",		\
	  "reissue with the CN also in subjectAltName")			\
	X(BAD_SERIAL, "bad-serial", WARNING,				\
	  "a serial number that is not positive or longer than 20 octets", \
	  "reissue from a CA that makes RFC 5280 serials")		\
	X(CA_NO_KEYCERTSIGN, "ca-no-keycertsign", WARNING,		\
	  "a CA certificate whose key usage lacks keyCertSign",		\
	  "reissue the CA with keyUsage keyCertSign")			\
	X(SELF_SIGNED_LEAF, "self-signed-leaf", NOTICE,			\
	  "a leaf that is self-signed",					\
	  "have it issued by a CA clients trust")			\
	X(CHAIN_BROKEN, "chain-broken", CRITICAL,			\
	  "a chain certificate did not issue the one before it",	\
	  "put the leaf's own issuers in order in cert.pem")		\
	X(CHAIN_INCOMPLETE, "chain-incomplete", WARNING,		\
	  "the chain ends before a trust anchor",			\
	  "add the missing intermediates to cert.pem")			\
	X(SHARED_KEY, "shared-key", WARNING,				\
	  "the same public key is in several entries",			\
	  "give each service its own key")				\
	X(DUPLICATE_CERT, "duplicate-cert", NOTICE,			\
	  "the same certificate is in several entries",			\
	  "keep one entry and list every endpoint in it")		\
	X(KEY_MISMATCH, "key-mismatch", CRITICAL,			\
	  "the entry's private key is not the certificate's",		\
	  "store the key that belongs to the certificate")		\
	X(DRIFT, "drift", WARNING,					\
	  "an endpoint serves another certificate than the entry's",	\
	  "deploy the entry's certificate, or import what is served")	\
	X(PROBE_FAILED, "probe-failed", WARNING,			\
	  "an endpoint failed its last probe",				\
	  "check the endpoint, or remove it from the entry")		\
	X(MTLS_NOT_REQUIRED, "mtls-not-required", CRITICAL,		\
	  "policy mtls, but the server did not ask for a client "	\
	  "certificate",						\
	  "make the server require client certificates")		\
	X(REVOKED, "revoked", CRITICAL,					\
	  "revoked, by its local CA, a stapled OCSP response or a "	\
	  "local CRL",							\
	  "renew it and deploy the new certificate")			\
	X(NO_OWNER, "no-owner", NOTICE,					\
	  "an entry with no owner",					\
	  "certdeck set NAME owner=...")				\
	X(NO_PROFILE, "no-profile", NOTICE,				\
	  "an entry with no renewal profile (nor a local CA)",		\
	  "certdeck set NAME profile=...")				\
	X(RENEWAL_STUCK, "renewal-stuck", WARNING,			\
	  "renewal has failed repeatedly since its last success",	\
	  "read the renewal job's output and fix its cause")		\
	X(PQ_INVENTORY, "pq-inventory", INFO,				\
	  "public keys per algorithm, quantum-vulnerable or not",	\
	  "plan the move to ML-DSA or SLH-DSA keys")

enum audit_rule_id {
#define X(e, id, sev, desc, fix) AR_##e,
	AUDIT_RULES
#undef X
	AR_COUNT
};

struct audit_rule {
	const char	*id;
	enum audit_sev	 sev;		/* default */
	const char	*desc;
	const char	*fix;
};
extern const struct audit_rule audit_rules[AR_COUNT];

/* The entry name of findings about the inventory as a whole. */
#define AUDIT_INVENTORY	"(inventory)"

struct audit_finding {
	char		*entry;
	enum audit_rule_id rule;
	enum audit_sev	 sev;
	char		*detail;	/* one line, escaped (core/escape.c) */
};

/* Public keys of the entries' leaves by algorithm ("RSA-2048", "EC-P-256",
   "ML-DSA-65"). */
struct audit_alg {
	char	*name;
	size_t	 count;
	int	 quantum_safe;
};

struct audit_expiry {
	char	*entry;
	int64_t	 not_after;	/* effective (earliest over the chain) */
};

struct audit_report {
	int64_t			 time;
	size_t			 entries;
	struct audit_finding	*f;	/* sorted: entry, rule, detail */
	size_t			 n;
	size_t			 by_sev[AUDIT_NSEV];
	size_t			 by_rule[AR_COUNT];
	int			 enabled[AR_COUNT];	/* for some entry */
	enum audit_sev		 sev[AR_COUNT];	/* [audit]'s (tags may differ) */
	struct audit_alg	*algs;	/* sorted by name */
	size_t			 nalgs;
	struct audit_expiry	*exp;	/* entries with a certificate */
	size_t			 nexp;
	/* Against audit/findings at HEAD. */
	int			 first;		/* no audit/findings before */
	size_t			 added, resolved;
	char			 commit[41];	/* "" if nothing committed */
	int			 unrecorded;	/* the inventory cannot be
						   written here: not compared
						   nor committed */
};

/*
 * Check the [audit] and [audit tag NAME] sections of a configuration.
 * Returns 0, or -1 with *cause naming the file line ("certdeck.conf:12:
 * [audit] unknown rule or setting foo").
 */
int	 audit_config_check(const struct config *, char **cause);

/*
 * Run every rule over the indexed commit (probes and jobs from the index's
 * history), then write audit/findings and commit it when it differs from
 * HEAD's, as "audit: N new findings, M resolved" (nothing when the same).
 * Returns 0, or -1 with *cause (nothing committed).
 */
int	 audit_sweep(struct inv *, struct audit_report *, char **cause);
void	 audit_report_free(struct audit_report *);

/*
 * The findings of the last sweep, as audit/findings at HEAD holds them
 * (the terminal UI's audit view and list marks): *out (caller frees with
 * audit_findings_free), sorted by entry. A line certdeck would not write
 * (a hand edit) is skipped. No file: 0 findings.
 */
int	 audit_findings_read(struct inv *, struct audit_finding **out,
	    size_t *n, char **cause);
void	 audit_findings_free(struct audit_finding *, size_t n);

/* The text of audit/findings for a report: one "ENTRY RULE SEVERITY
   DETAIL" line per finding, sorted; caller frees. */
char	*audit_findings_text(const struct audit_report *);

#endif
