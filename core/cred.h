/*
 * cred.h: the credentials a sync or clone needs to talk to a git remote,
 * which libgit2 cannot find itself: https users and passwords from git's
 * credential helpers (`git credential fill`, then `approve` or `reject`,
 * run as an argument vector when git is installed), and the passphrases
 * of encrypted ssh key files (asked through the front-end's prompt, if
 * it has one). Nothing here is written anywhere: a password lives in
 * memory for one fetch or push, and is wiped after.
 */
#ifndef CD_CRED_H
#define CD_CRED_H

/* How long a credential helper may take (it may ask a keyring). */
#define CRED_HELPER_TIMEOUT_MS	60000

/*
 * The front-end's prompt: asks question (no echo) and returns the answer
 * (caller frees with free_secret), or NULL when there is no one to ask
 * (no terminal, the UI). NULL, the default: never ask.
 */
void	 cred_set_prompt(char *(*prompt)(const char *question));
/* Hand the store its callbacks (sync and clone do; idempotent). */
void	 cred_install(void);
/* Wipe the ssh key passphrase kept for the operation's connections
   (sync and clone do when they end). */
void	 cred_forget(void);
/*
 * Whether the ssh private key file at path is encrypted: 1 yes, 0 no,
 * -1 it cannot be read (*cause). OpenSSH's own format, PKCS#8 and the
 * old PEM formats.
 */
int	 cred_ssh_key_encrypted(const char *path, char **cause);

#endif
