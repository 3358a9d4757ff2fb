/*
 * certrec.h: the parsed fields of one certificate as plain data. core/cert.c
 * fills it from OpenSSL; store/index.c caches it in SQLite keyed by the git
 * blob id of the PEM file it came from, so a certificate is parsed once in
 * the inventory's life.
 *
 * All strings are owned (malloc'd) and may be NULL when absent; lists are
 * newline-separated strings. Text is stored as it came (UTF-8 where the
 * certificate said so, otherwise escaped by the parser); front-ends escape
 * it again for the terminal.
 */
#ifndef CD_CERTREC_H
#define CD_CERTREC_H

#include <stddef.h>
#include <stdint.h>

struct certrec {
	char	*subject;		/* RFC 4514 */
	char	*issuer;		/* RFC 4514 */
	char	*subject_cn;		/* first CN, or NULL */
	char	*issuer_cn;
	char	*serial;		/* lowercase hex, "-" prefix if negative */
	int64_t	 not_before;		/* Unix seconds, UTC */
	int64_t	 not_after;
	char	*sans;			/* "DNS:a\nIP:1.2.3.4\nemail:..\nURI:.." */
	char	*key_type;		/* "RSA", "EC", "ED25519", "DSA", or OID/name */
	int	 key_bits;		/* 0 if unknown */
	char	*key_curve;		/* "P-256"... or NULL */
	char	*sig_alg;		/* e.g. "sha256WithRSAEncryption" or OID */
	char	 sha256[65];		/* lowercase hex, no colons */
	char	 sha1[41];
	char	*spki_sha256;		/* SHA-256 of SubjectPublicKeyInfo, hex */
	char	*ski;			/* hex, or NULL */
	char	*aki;			/* hex key id, or NULL */
	int	 is_ca;			/* basicConstraints cA */
	int	 path_len;		/* -1 if absent */
	char	*key_usage;		/* "digitalSignature,keyEncipherment" */
	char	*ext_key_usage;		/* "serverAuth,clientAuth" or OIDs */
	char	*ocsp;			/* URLs, newline-separated */
	char	*ca_issuers;
	char	*crl_dp;
	int	 must_staple;
	int	 self_signed;		/* subject == issuer and signature verifies */
	int	 version;		/* 1, 2 or 3 */
};

/*
 * One PEM file of the inventory: the leaf first, then its chain. The
 * effective expiry is the earliest notAfter over the chain; eff_from names
 * the chain certificate that sets it (its subject CN, or subject) when that
 * is not the leaf, else NULL.
 */
struct certfile {
	struct certrec	*certs;
	size_t		 n;
	int64_t		 eff_not_after;
	char		*eff_from;
	/* 0 when each certificate's signature verifies with the next one's
	   key (or cannot be checked: an algorithm OpenSSL does not know);
	   else 1 + the position of the first that does not. */
	size_t		 unsigned_at;
};

void	certrec_free(struct certrec *);		/* frees members, not the struct */
void	certfile_free(struct certfile *);	/* frees members, not the struct */

#endif
