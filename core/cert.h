/*
 * cert.h: parsing certificates with OpenSSL into plain records
 * (store/certrec.h), and recognising what a file of bytes holds.
 */
#ifndef CD_CERT_H
#define CD_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "../store/certrec.h"

/* Largest input certdeck reads as one file. */
#define CERT_MAX_FILE	(10u << 20)

/*
 * Parse one DER certificate into rec (zeroed first). A key or signature
 * algorithm OpenSSL does not know is named by its OID, never an error.
 * Returns 0, or -1 with *cause ("not a valid X.509 certificate: ...").
 */
int	 cert_parse_der(const unsigned char *der, size_t len,
	    struct certrec *rec, char **cause);
/*
 * The same for a certificate OpenSSL already holds decoded (x, an X509,
 * e.g. a TLS peer's; der its encoding): no second decode, which in
 * OpenSSL 3 costs as much as a verification (the key goes through the
 * decoder framework).
 */
struct x509_st;
void	 cert_parse_x509(struct x509_st *x, const unsigned char *der, size_t len,
	    struct certrec *rec);

/*
 * Parse a PEM file of the inventory (leaf first, then chain) into cf, and
 * compute its effective expiry. Returns 0, or -1 with *cause.
 */
int	 cert_parse_pem_file(const char *pem, size_t len, struct certfile *cf,
	    char **cause);

/* One certificate found in input bytes, as DER plus its parsed record. */
struct cert_item {
	unsigned char	*der;
	size_t		 der_len;
	struct certrec	 rec;
};

/* A private key found in the input, kept only as encrypted PKCS#8 PEM. */
struct cert_key {
	char		*pem;		/* "-----BEGIN ENCRYPTED PRIVATE KEY-----" */
	size_t		 len;
};

/*
 * What one input held. Groups are what become entries: a leaf followed by
 * the chain after it in the same file is one group; a CA certificate on its
 * own (not following a leaf) is its own group.
 */
struct cert_group {
	struct cert_item	*items;		/* leaf first */
	size_t			 n;
	size_t			 unsigned_at;	/* as struct certfile's */
	struct cert_key		*key;		/* NULL unless a key matched the leaf
						   and could be stored encrypted */
};
struct cert_bundle {
	struct cert_group	*groups;
	size_t			 ngroups;
	char			*note;	/* e.g. "private key not stored: no
					   passphrase", or NULL */
};

/*
 * Recognise and decode input bytes: PEM (any number of certificates, text
 * around the blocks), DER, PKCS#7 (DER or PEM), PKCS#12 (with passphrase
 * from pass, may be NULL or ""). A private key is kept only when key_pass
 * is non-NULL (it is then re-encrypted with it as PKCS#8, AES-256-CBC with
 * PBKDF2/scrypt); otherwise it is dropped and bundle->note says so.
 *
 * Refusals (return -1 with *cause, one line, no file name in it): empty
 * input; no certificate ("no certificate found"); a private key or CSR
 * alone ("a private key, not a certificate" / "a certificate request (CSR),
 * not a certificate"); truncated or garbage DER/PEM.
 */
int	 cert_load(const unsigned char *data, size_t len, const char *p12_pass,
	    const char *key_pass, struct cert_bundle *out, char **cause);
void	 cert_bundle_free(struct cert_bundle *);

/*
 * A helper thread that parses many certificates (an import's) takes an
 * OpenSSL library context of its own while it runs: in the shared
 * default one, two threads spend more time on OpenSSL's read locks than
 * on parsing. Contexts come from a small pool that lives as long as the
 * process. begin returns a slot for end, or -1 (the default context is
 * used then). Only for work whose results are plain records, as
 * cert_load's are: an OpenSSL object made here is tied to this context.
 */
int	 cert_thread_begin(void);
void	 cert_thread_end(int slot);

/* Hex SHA-256 of bytes into out[65]. */
void	 cert_sha256_hex(const void *, size_t, char out[65]);
/* DER to PEM text ("-----BEGIN CERTIFICATE-----..."), caller frees. */
char	*cert_der_to_pem(const unsigned char *der, size_t len);

/* Append the RFC 4514 subject of every certificate of a PEM bundle to out
   (as certrec's subject); returns how many. */
struct strv;
size_t	 cert_pem_subjects(const char *pem, size_t len, struct strv *out);

/*
 * A certificate revocation list (PEM or DER), parsed once. Its signature
 * is not checked: it is a file the operator put in place (audit crl-dir).
 */
struct cert_crl;
struct cert_crl *cert_crl_load(const void *, size_t, char **cause);
void	 cert_crl_free(struct cert_crl *);
/* Whether the certificate with this issuer (RFC 4514, as certrec has it)
   and serial (certrec's hex) is on the list: 1 (and *when, 0 if unknown),
   0 not, -1 the list is another issuer's. */
int	 cert_crl_revoked(const struct cert_crl *, const char *issuer,
	    const char *serial, int64_t *when);

#endif
