/* invpriv.h: what the inv_*.c files share and front-ends do not see. */
#ifndef CD_INVPRIV_H
#define CD_INVPRIV_H

#include <openssl/evp.h>

#include "inventory.h"

int	 inv_lock(struct inv *, char **cause);
void	 inv_unlock(struct inv *);
/* Lock and bring the index to HEAD; then inv_commit zero or more times;
   then inv_end. */
int	 inv_begin(struct inv *, char **cause);
int	 inv_commit(struct inv *, const struct repo_change *, size_t,
	    const char *message, char out[REPO_OID_HEX], char **cause);
void	 inv_end(struct inv *);
char	*inv_operator(void);
/* Tell cb (if not NULL) about input at level (0 note, 1 warning, 2 error). */
void	 inv_report(inv_report_cb cb, void *arg, int level, const char *input,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The key passphrase: inv_set_passphrase's, CERTDECK_PASSPHRASE_FILE's,
   or (ask) the prompt's; else NULL (and *cause set if the file is named
   but unusable). */
char	*inv_key_passphrase(int ask, char **cause);
/*
 * An entry's private key: keys/NAME.key at HEAD (encrypted PKCS#8, the
 * passphrase from CERTDECK_PASSPHRASE_FILE), else what its key-path names
 * (a file, or a key in a PKCS#11 token, which cannot be exported). The
 * cause names where it looked; *from (if not NULL; the caller frees it)
 * says where it was found: "keys/NAME.key" or "key-path PATH".
 */
int	 inv_entry_key(struct inv *, const char *name, const struct entry *,
	    EVP_PKEY **, char **from, char **cause);
/*
 * Its two halves, for a renewal whose worker opens the key. On the
 * inventory's thread: a key file at HEAD as stored, still encrypted
 * (keys/NAME.key, acme/PROFILE/account.key; *key wiped with free_secret
 * by the caller): 1 found, 0 none, -1 error naming path; the entry's
 * keys/NAME.key so. On any thread: the entry's key, stored (as read) or
 * else what key_path names, decrypted with pass.
 */
int	 inv_key_stored(struct inv *, const char *path, char **key,
	    size_t *len, char **cause);
int	 inv_entry_key_stored(struct inv *, const char *name, char **key,
	    size_t *len, char **cause);
int	 entry_key_open(const char *name, const char *key_path,
	    const char *stored, size_t len, const char *pass, EVP_PKEY **,
	    char **from, char **cause);
char	*inv_message(const char *subject, const char *body,
	    const char *action, const struct strv *trailers);
int	 inv_cache_file(struct inv *, const char *blob, char **cause);
int	 inv_entry_row(struct inv *, const struct repo_entry *,
	    struct idx_entry *, inv_report_cb, void *, char **cause);
/*
 * inv_probe.c: entry's endpoints go from old_eps to new_eps (comma lists;
 * new_eps NULL when the entry goes). Adds to paths each observed/ file at
 * HEAD of an endpoint that it no longer lists and no other entry lists
 * (observed/ is per endpoint), and to body one line saying so. Inside
 * inv_begin; the caller commits the deletions with its own change.
 */
void	 inv_observed_gone(struct inv *, const char *entry,
	    const char *old_eps, const char *new_eps, struct strv *paths,
	    struct buf *body);

/*
 * The commit the work tree was left at when bringing it forward failed
 * (index meta), "" or absent when it is at HEAD: refresh retries it.
 */
#define INV_META_WT_AT	"worktree-at"

#endif
