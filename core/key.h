/*
 * key.h: private keys: generating them, and keeping them only encrypted
 * (PKCS#8, PBES2 with AES-256-CBC and PBKDF2-HMAC-SHA256) wherever
 * certdeck stores one.
 */
#ifndef CD_KEY_H
#define CD_KEY_H

#include <stddef.h>

#include <openssl/evp.h>

/* PBKDF2 iterations for stored keys. OpenSSL's default of 2048 is too few
   for a file that lives in a git history forever; this costs about a
   quarter second per key (OWASP's 2023 figure for SHA-256). */
#define KEY_PBKDF2_ITER		600000
/* What CERTDECK_KDF_ITERATIONS may ask for instead (SP 800-132's floor). */
#define KEY_PBKDF2_ITER_MIN	1000
#define KEY_PBKDF2_ITER_MAX	10000000
#define KEY_TYPE_DEFAULT	"ec:P-256"

/* The key types certdeck generates, NULL-terminated ("ec:P-256"...). */
extern const char *const key_types[];
int	 key_type_valid(const char *);
/* A new key of type (one of key_types). NULL with *cause otherwise. */
EVP_PKEY *key_generate(const char *type, char **cause);
/*
 * A new key of type, made here (uri NULL), or inside the PKCS#11 token
 * uri names (hsm_key_generate with flags; *new_uri, caller frees, then
 * names exactly it; its errors read "WHAT URI: reason", what being the
 * option or key that gave uri). *desc (caller frees) is for a commit
 * message: "new (ec:P-256)", "new (rsa:3072) in PKCS#11 token T".
 */
EVP_PKEY *key_generate_at(const char *type, const char *uri, int flags,
	    const char *what, char **new_uri, char **desc, char **cause);
/* A change that made a key in a token failed: delete that key again. */
void	 key_generate_undo(const char *new_uri);
/* The type of a key as key_types names it, or "" when it is none of them. */
const char *key_type_of(const EVP_PKEY *);
/*
 * The type of a new key: asked (a profile's key-type, --key-type) if not
 * NULL, else that of the key it replaces (old, NULL for none) when
 * key_types names it, else the default where it is made: KEY_TYPE_DEFAULT,
 * or HSM_KEY_TYPE_DEFAULT in a PKCS#11 token (in_token; hsm.h).
 */
const char *key_type_new(const char *asked, const EVP_PKEY *old,
	    int in_token);
/*
 * The PBKDF2 iterations of the keys certdeck encrypts: CERTDECK_KDF_ITERATIONS
 * when set (tests, slow machines), else KEY_PBKDF2_ITER. A malformed or
 * out-of-range value is a fatal error, as a malformed CERTDECK_NOW is.
 * Read once; a renewal batch reads it before its threads start.
 */
int	 key_kdf_iterations(void);
/* pk as encrypted PKCS#8 PEM (caller frees, *len its length), or NULL. */
char	*key_encrypt_pem(EVP_PKEY *, const char *pass, size_t *len);
/*
 * A private key from PEM (encrypted PKCS#8, a traditional key with
 * Proc-Type, or an unencrypted one), decrypted with pass (may be NULL).
 * NULL with *cause ("the key is encrypted and no passphrase is configured
 * (set CERTDECK_PASSPHRASE_FILE)", "cannot decrypt the key: wrong
 * passphrase ...", "the key does not parse").
 */
EVP_PKEY *key_decrypt_pem(const char *pem, size_t len, const char *pass,
	    char **cause);
/*
 * The key an entry's key-path names: a PEM file (decrypted with pass, as
 * key_decrypt_pem), or a key in a PKCS#11 token (a pkcs11: URI; hsm.h).
 * NULL with *cause, which does not repeat the path.
 */
EVP_PKEY *key_load_path(const char *path, const char *pass, char **cause);
/* The digest to sign with for this key (NULL for Ed25519). */
const EVP_MD *key_sign_md(const EVP_PKEY *);

#endif
