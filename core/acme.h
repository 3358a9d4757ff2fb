/*
 * acme.h: an RFC 8555 (ACME) client: the directory, nonces, the account,
 * an order and its authorizations, HTTP-01 challenges (a built-in
 * listener or a webroot directory), finalize with a CSR and the
 * certificate chain; DNS-01 through a hook command that adds and removes
 * the TXT record; external account binding (RFC 8555 7.3.4). HTTPS through libcurl, JSON through jansson, keys,
 * JWS signatures and the CSR through OpenSSL.
 *
 * Every wait is bounded: polling honours Retry-After (clamped) up to a
 * deadline; a badNonce answer is retried a few times with the nonce it
 * carries. An error document (urn:ietf:params:acme:error:*) becomes one
 * plain line: "the CA refused the order: rejectedIdentifier: ...".
 */
#ifndef CD_ACME_H
#define CD_ACME_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util.h"

struct acme_listener;
struct acme_session;
struct acme_opts {
	const char	*directory;	/* https URL of the directory */
	const char	*contact;	/* "mailto:a@b", or NULL */
	const char	*ca_bundle;	/* PEM file trusted for the directory */
	const char	*challenge;	/* "http-01" (NULL) or "dns-01" */
	const char	*http_listen;	/* http-01: "ADDR:PORT" to listen on */
	struct acme_listener *listener;	/* or a running listener (borrowed)
					   that other orders share */
	const char	*webroot;	/* or a directory a web server serves */
	const char	*dns_hook;	/* dns-01: command words, {action}
					   (add, remove) {domain} {name}
					   {value} replaced in each */
	int		 dns_wait_s;	/* dns-01: wait after adding */
	const char	*eab_kid;	/* external account binding, or NULL */
	const unsigned char *eab_key;	/* its HMAC key */
	size_t		 eab_keylen;
	int		 timeout_s;	/* the whole issue; 0: 300 */
	EVP_PKEY	*account_key;	/* the account's key (borrowed) */
	const struct acme_session *session; /* acme_issue: the directory
					   and account (borrowed) */
};

/*
 * The directory of opts and the account of its key, looked up once: GET
 * the directory, then newAccount, which creates the account or finds
 * the one of this key (RFC 8555 7.3, 7.3.1). Orders through that
 * directory with that key then share it (acme_issue), side by side on
 * threads of their own: it is only read once made. Each order asks for
 * nonces of its own (newNonce, then each response's Replay-Nonce), as a
 * nonce is good for one request. NULL with *cause: one line. log gets
 * the account's line ("account URL (new)" or "(existing)").
 */
struct acme_session *acme_session_open(const struct acme_opts *,
	    struct buf *log, char **cause);
void	 acme_session_free(struct acme_session *);

/*
 * Get a certificate for names (dns or IP addresses; the first is the
 * subject's CN) with key, through opts->session (an order, its
 * authorizations, finalize, the download): on success *full_pem (caller
 * frees) is the leaf and its chain as the CA sent it. log gets one line
 * per step (for the job log). -1 with *cause: one line for the operator.
 *
 * Several may run at once on threads of their own (renew --jobs): each
 * has its own libcurl handle and nonces; the options, the session and
 * the account key are only read; an http-01 listener given in opts
 * serves every order's tokens. acme_global_init must have run before the
 * threads start.
 */
int	 acme_issue(const struct acme_opts *, char *const *names, size_t n,
	    EVP_PKEY *key, char **full_pem, struct buf *log, char **cause);
/* libcurl's and jansson's global set-up, once (thread-safe itself). */
void	 acme_global_init(void);

/*
 * A renewal through an acme profile (renew.c; inv_acme.c), in two steps.
 * acme_renew_prepare runs on the thread that has the inventory, once
 * the caller checked the profile (acme_renew_check; a [section] of cfg,
 * the batch's copy of certdeck.conf): it reads what the repository
 * holds and sets up what the
 * renewals of one batch share (struct acme_batch): the profile's account
 * key, acme/PROFILE/account.key at HEAD decrypted with pass once a batch
 * (with none, a new one is made, and committed with the first renewal
 * through the profile: acme_batch_account); the session of each
 * directory and account key (acme_session_open, once a batch, before
 * the orders through it start, so orders side by side find one account
 * and none fetches the directory or the account again); and one HTTP-01
 * listener per http-listen address, serving every order's tokens. A
 * failure to make an account key or a session is kept: every renewal
 * through it in the batch fails with the same line. acme_renew then runs on any thread, touching neither the
 * inventory nor anything shared but read-only: the names are the old
 * certificate's (its DNS and IP SANs, else its CN); with reuse the
 * request is signed with the entry's current key; otherwise with a new
 * key of key_type, made inside the token when key-path names a key in a
 * PKCS#11 token (newkey_uri then names it; deleted again if the renewal
 * fails). reuse and key_type are the caller's to decide (renew.c), as
 * for any renewal.
 */
struct inv;
struct config;
struct acme_batch;
struct acme_renewal {
	const struct config *cfg;	/* not changed while the batch runs */
	const char	*section;	/* "profile NAME" */
	const char	*profile;	/* NAME */
	const char	*entry;
	const char	*key_path;	/* the entry's key-path, or NULL */
	int		 reuse;		/* keep the entry's key */
	const char	*key_type;	/* or make one of this type */
	X509		*old;
	const char	*pass;
	/* From acme_renew_prepare. */
	EVP_PKEY	*account_key;	/* this renewal's own copy */
	const struct acme_session *session; /* the batch's */
	struct acme_listener *listener;	/* the batch's, or NULL */
	char		*reuse_pem;	/* reuse-key: keys/ENTRY.key at HEAD */
	size_t		 reuse_len;
	/* Out. */
	char		*full_pem;
	X509		*leaf;
	EVP_PKEY	*newkey;	/* NULL: the key was reused */
	char		*newkey_uri;	/* newkey's URI in the token */
	char		*key_desc;
};
/* Check the profile's settings; *desc (caller frees) says what it does. */
int	 acme_renew_check(const struct config *, const char *section,
	    char **desc, char **cause);
struct acme_batch *acme_batch_new(void);
void	 acme_batch_free(struct acme_batch *);
int	 acme_renew_prepare(struct acme_batch *, struct inv *,
	    struct acme_renewal *, struct buf *log, char **cause);
int	 acme_renew(struct acme_renewal *, struct buf *log, char **cause);
void	 acme_renewal_free(struct acme_renewal *);
/* The new account key of profile not committed yet, if any (1): its
   path and encrypted PEM (the batch's), for a renewal's commit; then
   acme_batch_stored once that commit is made. */
int	 acme_batch_account(struct acme_batch *, const char *profile,
	    const char **path, const char **pem, size_t *len);
void	 acme_batch_stored(struct acme_batch *, const char *profile);

/*
 * The HTTP-01 listener alone (acme_issue runs one for http-listen unless
 * given one): on "ADDR:PORT" (port 0: any), answering GET
 * /.well-known/acme-challenge/TOKEN for the tokens added and not removed
 * yet, 404 for other paths, 405 for other methods; HTTP/1.0, one request
 * a connection.
 */
struct acme_listener *acme_listen(const char *spec, char **cause);
int	 acme_listen_port(struct acme_listener *);
void	 acme_listen_add(struct acme_listener *, const char *token,
	    const char *keyauth);
void	 acme_listen_remove(struct acme_listener *, const char *token);
void	 acme_listen_free(struct acme_listener *);

/* base64url without padding (RFC 7515), of n bytes (caller frees). */
char	*acme_b64url(const void *, size_t n);
/* The JWK thumbprint of key (RFC 7638), base64url; NULL if the key is
   neither EC P-256/P-384 nor RSA. */
char	*acme_thumbprint(EVP_PKEY *);
/* A JWS signature over data: ES256/ES384 as r||s, RS256 (caller frees). */
unsigned char *acme_sign(EVP_PKEY *, const void *data, size_t n,
	    size_t *siglen);
/* An "urn:ietf:params:acme:error:*" problem document as one line. */
char	*acme_problem_text(const char *json, size_t len);

#endif
