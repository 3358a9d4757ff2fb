/*
 * hsm.h: private keys that live in a PKCS#11 token (an HSM, a smart card,
 * SoftHSM), named by an RFC 7512 URI such as
 *   pkcs11:token=ca-keys;object=root;id=%2a%91%07%c3%e4%00%15%6b;type=private
 * The key never leaves the token: it comes back as an EVP_PKEY whose
 * signing the token does. This is the one interface to PKCS#11 in
 * certdeck (hsm.c; libp11 and p11-kit today, a provider one day).
 *
 * The module is p11-kit's proxy, which reaches every module registered
 * with p11-kit, unless the URI's module-path query names another, which
 * must be listed in CERTDECK_PKCS11_MODULES (hsm_uri_check says so). The
 * PIN comes from the file CERTDECK_PKCS11_PIN_FILE, else from the prompt
 * a front-end installed (hsm_set_pin_prompt), never from the URI or the
 * command line; a token is logged in to once per process.
 *
 * Errors are one line that does not repeat the URI: the caller names it.
 */
#ifndef CD_HSM_H
#define CD_HSM_H

#include <openssl/evp.h>

/* What certdeck makes in a token when no key type is given: the token
   generates RSA key pairs only here (hsm.c). */
#define HSM_KEY_TYPE_DEFAULT	"rsa:3072"

/* Whether s is meant as a PKCS#11 URI ("pkcs11:..."), well-formed or not. */
int	 hsm_is_uri(const char *s);
/*
 * Check a URI without touching a token: it parses, names a key (object=
 * or id=, type private if given), and holds no PIN (pin-value,
 * pin-source). 0, or -1 with *cause.
 */
int	 hsm_uri_check(const char *uri, char **cause);
/* The token label the URI names, for messages ("" if none; caller frees). */
char	*hsm_uri_token(const char *uri);
/*
 * The private key uri names, in its token (logging in if needed). The
 * URI must match exactly one token and one private key. NULL with
 * *cause: "no token labelled X (tokens: A, B)", "token X: wrong PIN
 * (from CERTDECK_PKCS11_PIN_FILE)", "token X has no private key
 * labelled Y"...
 */
EVP_PKEY *hsm_key_load(const char *uri, char **cause);

/* hsm_key_generate flags. */
#define HSM_GEN_RENEW	0x1	/* uri names the key renewed, which must
				   be there: a new key beside it, same
				   label, new id */
/*
 * A new key pair of type (key.h's names; rsa:NNNN only, see above)
 * generated inside the token uri names, labelled as its object=. Its id
 * is uri's id= if given (without HSM_GEN_RENEW), else random. Without
 * HSM_GEN_RENEW, a label or id already in the token is refused. On
 * success *new_uri (caller frees) names exactly the new key: the token,
 * label, id and type=private.
 */
EVP_PKEY *hsm_key_generate(const char *uri, const char *type, int flags,
	    char **new_uri, char **cause);
/* Delete the key pair new_uri names (a key hsm_key_generate made for a
   change that then failed). */
int	 hsm_key_remove(const char *uri, char **cause);

/* The front-end's PIN prompt (the token's label; returns a string the
   caller frees, or NULL when it cannot ask). */
void	 hsm_set_pin_prompt(char *(*)(const char *token));
/* Log out and unload the modules; keys from hsm_key_load must be freed
   before. At the end of the process. */
void	 hsm_cleanup(void);

#endif
