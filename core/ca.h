/*
 * ca.h: the inventory's local certificate authorities (inv_ca.c), as the
 * rest of core uses them (renewal through a CA). Front-ends use the
 * inv_ca_* operations in inventory.h.
 *
 * A CA lives under cas/NAME/ in the inventory:
 *   cert.pem   the CA certificate, then its chain up to the root
 *   key.pem    its private key, encrypted PKCS#8 (key.h)
 *   serials    what it issued and revoked, one certificate a line, sorted
 *              by serial: "SERIAL NOT-AFTER ENTRY" and, once revoked,
 *              " revoked TIME REASON" (times RFC 3339 UTC; an
 *              intermediate it signed is recorded as entry "ca/NAME")
 *   crl.pem    the last CRL `certdeck ca crl` made, if any
 */
#ifndef CD_CA_H
#define CD_CA_H

#include <stdint.h>

#include <openssl/x509.h>

#include "entry.h"
#include "util.h"

struct inv;

#define CA_USE_SERVER	0x1
#define CA_USE_CLIENT	0x2

struct ca_rec {
	char	*serial;	/* lowercase hex, as certrec's serial */
	int64_t	 not_after;
	char	*entry;
	int	 revoked;
	int64_t	 revoked_at;
	char	*reason;	/* a ca_reasons name */
};

struct ca {
	char		*name;
	X509		*cert;
	STACK_OF(X509)	*chain;		/* the rest of cert.pem */
	EVP_PKEY	*key;		/* NULL unless loaded with the key */
	struct ca_rec	*recs;
	size_t		 nrecs;
};

/* What to sign. Borrowed pointers. */
struct ca_req {
	const X509_NAME		*subject;
	const X509_EXTENSION	*san;		/* copied as it is, or NULL */
	const char		*san_text;	/* "DNS:a,IP:b", or NULL */
	int			 usage;		/* CA_USE_* bits (a leaf) */
	int			 is_ca;
	int			 pathlen;	/* CA: -1 for none */
	int64_t			 not_before;
	int64_t			 not_after;
	const char		*entry;		/* for the record */
};

/* Load cas/NAME/ at HEAD (with_key: decrypt key.pem too). */
int	 ca_load(struct inv *, const char *name, int with_key, struct ca **,
	    char **cause);
void	 ca_free(struct ca *);
/*
 * Sign a certificate for key with a fresh random 128-bit serial that the
 * CA's record does not hold, and add it to the record. NULL with *cause.
 */
/* The names of the inventory's local CAs (cas/) at HEAD; on error,
   none and -1. */
int	 ca_names(struct inv *, struct strv *out, char **cause);
X509	*ca_sign(struct ca *, const struct ca_req *, EVP_PKEY *key,
	    char **cause);
/* Add leaf (signed by the CA elsewhere: a batch of renewals signs with
   the record it read first) to the CA's record; -1 with *cause if its
   serial is there already. */
int	 ca_record(struct ca *, X509 *leaf, const char *entry, char **cause);
/* The record as the text of cas/NAME/serials (caller frees). */
char	*ca_serials_text(const struct ca *);
/* The chain an issued certificate carries after its leaf: the CA
   certificate and its chain, roots left out (caller frees). */
char	*ca_chain_pem(const struct ca *);
/* cas/NAME/<file> (caller frees). */
char	*ca_path(const char *name, const char *file);
/* X509 as PEM (caller frees). */
char	*ca_x509_pem(X509 *);
/* Small facts of a certificate: its serial as certrec has it (lowercase
   hex; caller frees), its SHA-256 fingerprint (hex, no colons), a time
   in Unix seconds (0 if unreadable). */
char	*ca_x509_serial(X509 *);
void	 ca_x509_fp(X509 *, char out[65]);
int64_t	 ca_asn1_unix(const ASN1_TIME *);
/* The certificates of a PEM text in order; NULL when it holds none. */
STACK_OF(X509) *ca_pem_certs(const char *pem, size_t len);

#endif
