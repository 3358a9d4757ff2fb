/*
 * probe.h: what an endpoint really serves. The engine connects to many
 * endpoints at once from one thread (non-blocking sockets, non-blocking
 * TLS, one poll() loop), each probe with its own deadline covering name
 * resolution, connect, STARTTLS and the handshake, and hands every result
 * to a callback as it lands. It knows nothing of the inventory: the CA
 * certificates to verify against come in as PEM; drift and recording are
 * inv_probe.c's business (inventory.h).
 */
#ifndef CD_PROBE_H
#define CD_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "util.h"
#include "../store/certrec.h"

#define PROBE_JOBS_DEFAULT	32
#define PROBE_JOBS_MAX		512
#define PROBE_TIMEOUT_DEFAULT_MS 10000
/* What a peer can make us read, in all (STARTTLS dialogue and TLS). */
#define PROBE_MAX_BYTES		(2u << 20)
/* Served certificates parsed and reported; more are counted only. */
#define PROBE_MAX_CHAIN		100

/* The kinds of result; their names are in probe_kind_name. */
enum probe_kind {
	PROBE_OK,		/* the handshake completed */
	PROBE_RESOLVE,		/* the name does not resolve */
	PROBE_REFUSED,		/* connection refused */
	PROBE_CONNECT,		/* another connect error (unreachable...) */
	PROBE_TIMEOUT,		/* the deadline passed; see phase */
	PROBE_NOT_TLS,		/* the peer does not speak TLS */
	PROBE_HANDSHAKE,	/* alert, or closed mid-handshake */
	PROBE_STARTTLS_REFUSED,	/* the plaintext protocol said no */
	PROBE_ERROR,		/* a local failure (no file descriptors...) */
	PROBE_CANCELLED,
};
enum probe_phase {
	PROBE_PHASE_NONE,
	PROBE_PHASE_RESOLVE,
	PROBE_PHASE_CONNECT,
	PROBE_PHASE_STARTTLS,
	PROBE_PHASE_HANDSHAKE,
};
const char *probe_kind_name(enum probe_kind);	/* "ok", "not-tls"... */
const char *probe_phase_name(enum probe_phase);	/* NULL for NONE */

/* A chain verification: ok 1 verified, 0 failed, -1 not done (no trust
   anchors to verify against). */
struct probe_verify {
	int	 ok;
	int	 error;		/* X509_V_ERR_*, 0 when ok */
	int	 depth;		/* where it failed */
	char	*reason;	/* OpenSSL's words, NULL when ok */
};

/* A stapled OCSP response. */
struct probe_ocsp {
	int	 stapled;
	char	*status;	/* "good", "revoked", "unknown"; NULL if the
				   response says nothing usable */
	char	*error;		/* why status is NULL, or why it did not
				   verify; NULL if none */
	int	 verified;	/* signature and signer verify */
	int	 current;	/* now is within thisUpdate..nextUpdate */
	int64_t	 this_update;
	int64_t	 next_update;	/* 0 if absent */
	int64_t	 revoked_at;	/* 0 unless revoked */
	char	*revocation_reason;
};

/* Drift: the served leaf against the entry's certificates. */
enum probe_drift {
	PROBE_DRIFT_NONE,	/* not computed: no entry, or no leaf */
	PROBE_DRIFT_SAME,	/* the entry's current certificate */
	PROBE_DRIFT_OLDER,	/* a previous certificate of the entry */
	PROBE_DRIFT_OTHER,	/* another entry's current certificate */
	PROBE_DRIFT_UNKNOWN,	/* not a certificate the inventory knows */
};
const char *probe_drift_name(enum probe_drift);	/* NULL for NONE */

/* One endpoint to probe. */
struct probe_target {
	struct endpoint	 ep;
	char		 entry[ENTRY_NAME_MAX + 1];	/* "" if none */
};

/* Everything a probe found. All strings are owned. */
struct probe_result {
	size_t		 index;		/* of the target */
	char		 endpoint[600];	/* canonical text */
	struct endpoint	 ep;
	char		*entry;		/* NULL if not an inventory endpoint */
	int64_t		 time;		/* clock_now() when it started */
	enum probe_kind	 kind;
	enum probe_phase phase;		/* of a failure */
	char		*detail;	/* of a failure, escaped; NULL if ok */
	char		 address[64];	/* the address connected to, or "" */
	char		*sni;		/* the name sent, NULL for none */
	char		 tls_version[16];
	char		 cipher[64];
	long		 handshake_ms;	/* TLS handshake only */
	long		 total_ms;	/* resolve to the end */
	struct certrec	*chain;		/* as served, leaf first */
	size_t		 nchain;	/* parsed (at most PROBE_MAX_CHAIN) */
	size_t		 chain_served;	/* as served */
	char		*chain_pem;	/* the parsed ones, for import */
	char		 leaf_sha256[65];	/* "" without a leaf */
	int		 name_match;	/* the leaf names the host (or SNI) */
	struct probe_verify verify_system;
	struct probe_verify verify_inventory;
	struct probe_ocsp ocsp;
	int		 client_cert_requested;
	struct strv	 client_ca_names;	/* RFC 4514, escaped */
	int		 client_cert_sent;	/* a non-empty Certificate */
	/* "none requested", "requested, none presented", "presented,
	   accepted", "presented, rejected: <alert>"; NULL when the probe
	   ended before the server could have asked. */
	char		*client_cert_status;

	/* Filled by inv_probe, not the engine. */
	enum probe_drift drift;
	char		*drift_commit;	/* OLDER: a commit that had it */
	struct strv	 known_as;	/* entries whose leaf it is */
	int		 observed_change;	/* differs from observed/ */
};
void	 probe_result_free(struct probe_result *);	/* and the struct */

/* A result's problems, as words ("expired", "untrusted", "name-mismatch",
   "drift", "ocsp-revoked", "ocsp-stale", or its failure kind), into
   problems (appended). Returns how many; 0 means healthy. */
size_t	 probe_problems(const struct probe_result *, int64_t now,
	    struct strv *problems);
/* The result as one JSON object (field names are a stable contract,
   certdeck.1 PROBE JSON), appended to b. */
void	 probe_result_json(const struct probe_result *, int64_t now,
	    struct buf *b);

/* The callback owns r (probe_result_free). */
typedef void (*probe_cb)(void *arg, struct probe_result *r);

/*
 * A client certificate to present when a server asks (--client): the
 * leaf, its chain and the private key, in memory only. Opaque (OpenSSL
 * objects); shared read-only by every probe of a run.
 */
struct probe_client;
struct evp_pkey_st;		/* OpenSSL's EVP_PKEY */
/*
 * From the certificate file's PEM (leaf first, then its chain) and its
 * private key (taken over: freed with the client, or at once on failure;
 * a key in a file or a PKCS#11 token, key.h). Fails, with *cause, when
 * the certificate does not parse or the key is not the certificate's.
 */
struct probe_client *probe_client_new(const char *cert_pem, size_t cert_len,
	    struct evp_pkey_st *key, char **cause);
void	 probe_client_free(struct probe_client *);

struct probe_opts {
	const struct probe_client *client;	/* NULL: present none */
	int		 jobs;		/* in flight; 0 = PROBE_JOBS_DEFAULT */
	int		 timeout_ms;	/* per probe; 0 = default */
	const char	*ca_pem;	/* trust anchors of the inventory, PEM;
					   NULL or "" for none */
	size_t		 ca_len;
	const volatile int *cancel;	/* non-zero: stop soon (may be NULL) */
};

/*
 * Probe targets, at most jobs at a time; cb hears each result as it
 * lands (on this thread). Returns 0, or -1 with *cause when nothing could
 * be probed at all (no TLS context, no pipe).
 */
int	 probe_run(const struct probe_target *, size_t n,
	    const struct probe_opts *, probe_cb, void *arg, char **cause);

/* observed/<this>: a safe file name for an endpoint (caller frees). */
char	*probe_endpoint_file(const struct endpoint *);

/* ---------------------------------------------------------------------- */
/*
 * The inventory's side (inv_probe.c): which endpoints to probe, drift
 * against the entries' certificates and their history, the probe history
 * in the index, and the observed/ commit.
 */
struct inv;
struct inv_probe_opts {
	int		 jobs;
	int		 timeout_ms;
	int		 import;	/* import what endpoints outside the
					   inventory serve, one commit */
	const volatile int *cancel;
	const struct probe_client *client;	/* --client, or NULL */
};
struct inv_probe_summary {
	size_t	probed;
	size_t	healthy;
	size_t	observed;		/* endpoints written to observed/ */
	char	observe_commit[41];	/* "" if none */
	size_t	imported;
	char	import_commit[41];
};
typedef void (*inv_probe_cb)(void *arg, struct probe_result *);	/* owns */

/*
 * Entry name's certificate (cert.pem at HEAD) and key (keys/NAME.key at
 * HEAD, else the file its key-path names), the key decrypted with the
 * passphrase from CERTDECK_PASSPHRASE_FILE, for probes to present
 * (inv_client.c). Nothing is written anywhere. Errors name the entry.
 */
int	 inv_probe_client(struct inv *, const char *name,
	    struct probe_client **out, char **cause);
/*
 * Targets from the command line's words: an entry name gives that entry's
 * endpoints; HOST:PORT[/STARTTLS][@SNI] gives that endpoint (with the
 * entry that lists it, if one does); all gives every endpoint of every
 * entry. An entry without endpoints is reported through cb (warning) and
 * skipped. A word that is neither is an error. Caller frees *out.
 */
int	 inv_probe_targets(struct inv *, char *const *words, size_t n,
	    int all, struct probe_target **out, size_t *nout,
	    void (*cb)(void *, int, const char *, const char *), void *arg,
	    char **cause);
/* The inventory's trust anchors as PEM (root CA entries, and the roots of
   its local CAs under cas/); caller frees. */
char	*inv_probe_anchors(struct inv *, size_t *len);
/*
 * Probe, record every result in the index, and commit what changed in
 * observed/ (one commit), then with opts->import import the served chains
 * of endpoints outside the inventory (one commit). cb hears each result
 * as it lands, drift filled in. Returns 0, or -1 with *cause (results
 * already handed to cb stay valid).
 */
int	 inv_probe(struct inv *, const struct probe_target *, size_t n,
	    const struct inv_probe_opts *, inv_probe_cb, void *arg,
	    struct inv_probe_summary *, char **cause);

/*
 * The last probe of an endpoint, as the terminal UI shows it: its health
 * (never probed, ok, a problem, drift, failed), kind, time, the first
 * problem word and the served leaf's days left. From a result as it lands
 * (inv_probe_last_of) or from the index (inv_probe_last; drift there is
 * against the entry's current certificate, now).
 */
enum inv_probe_health {
	INV_PH_NONE,		/* never probed, or the last was cancelled */
	INV_PH_OK,
	INV_PH_WARN,		/* untrusted, name mismatch, expired... */
	INV_PH_DRIFT,		/* serves another certificate */
	INV_PH_FAIL,		/* no handshake */
};
struct inv_probe_last {
	enum inv_probe_health health;
	int64_t		 time;
	char		 kind[24];	/* probe_kind_name */
	char		 problem[32];	/* first problem word, "" if none */
	int		 has_days;
	long long	 days_left;	/* of the served leaf */
	int		 verified;	/* 1, 0, -1 not known (no leaf) */
	int		 drift;
};
void	 inv_probe_last_of(const struct probe_result *, int64_t now,
	    struct inv_probe_last *);
/* 1 and *out filled, 0 never probed (out->health NONE), -1 error. */
int	 inv_probe_last(struct inv *, const char *entry, const char *endpoint,
	    struct inv_probe_last *, char **cause);
const char *inv_probe_health_name(enum inv_probe_health);	/* "-", "ok".. */

#endif
