/*
 * remote.h: sharing the inventory repository through git remotes (fetch,
 * push, clone) and the pieces a sync is made of: where histories meet,
 * the changes of one commit, and replaying a commit's changes on top of
 * another without touching the work tree. Nothing here knows what an
 * entry file means: merging by key is core's business (core/inv_sync.c).
 *
 * URLs: anything libgit2 takes (a path, file://, ssh:// or user@host:path,
 * https://, git://). Credentials for ssh: the ssh agent, then the key
 * file of git config certdeck.sshKey, else ~/.ssh/id_ed25519, id_ecdsa
 * and id_rsa (a passphrase through repo_auth); the server's host key must
 * be in certdeck.sshKnownHosts, else ~/.ssh/known_hosts. For https: a
 * user and password in the URL, else repo_auth's fill (git's credential
 * helpers, run by core); the server's certificate is checked against
 * http.sslCAInfo / http.sslCAPath when set, else the system's store.
 * Every setting is read through git's config (the repository's, then
 * ~/.gitconfig). Passwords are never put in a message: URLs in messages
 * and lists go through repo_url_redact.
 */
#ifndef CD_REMOTE_H
#define CD_REMOTE_H

#include <stddef.h>

#include "repo.h"
#include "util.h"

/*
 * What talking to a remote may need from the layer above, for the whole
 * process (repo_set_auth; any member may be NULL). Strings given back are
 * the store's to free (free_secret for passwords).
 */
struct repo_auth {
	/*
	 * A user and password for url (any password in it removed), whose
	 * user is user (may be NULL), for the repository in dir (NULL for
	 * a clone). 0 with both set; 1 none to be had, -1 error, each with
	 * *cause saying why.
	 */
	int	 (*fill)(void *arg, const char *dir, const char *url,
		    const char *user, char **user_out, char **pass_out,
		    char **cause);
	/* What became of fill's answer: ok 1 accepted, 0 refused. */
	void	 (*verdict)(void *arg, const char *dir, const char *url,
		    const char *user, const char *pass, int ok);
	/*
	 * The passphrase of ssh private key file path: 0 it needs none,
	 * 1 with *pass set, 2 it needs one and none is to be had (*cause
	 * says why), -1 the file cannot be read (*cause).
	 */
	int	 (*key_passphrase)(void *arg, const char *path, char **pass,
		    char **cause);
	void	*arg;
};
void	 repo_set_auth(const struct repo_auth *);
/* url with any password replaced by "***" (caller frees). */
char	*repo_url_redact(const char *url);

/* git remote add NAME URL (fetching refs/heads/ into refs/remotes/NAME/). */
int	 repo_remote_add(struct repo *, const char *name, const char *url,
	    char **cause);
typedef int (*repo_remote_cb)(void *arg, const char *name, const char *url);
/* Every configured remote, in name order (URLs as repo_url_redact). */
int	 repo_remote_list(struct repo *, repo_remote_cb, void *arg,
	    char **cause);
/* 1 if a remote of that name is configured, 0 if not, -1 error. */
int	 repo_remote_exists(struct repo *, const char *name, char **cause);

/* The short name of HEAD's branch ("main"); caller frees. */
int	 repo_branch(struct repo *, char **name, char **cause);
/*
 * Fetch REMOTE's branches into refs/remotes/REMOTE/. The tip of BRANCH
 * there goes to tip: returns 1, or 0 when the remote has no such branch
 * (a new, empty remote), -1 with *cause.
 */
int	 repo_fetch(struct repo *, const char *remote, const char *branch,
	    char tip[REPO_OID_HEX], char **cause);
/* refs/remotes/REMOTE/BRANCH as last fetched: 1, 0 none, -1 error. */
int	 repo_tracking(struct repo *, const char *remote, const char *branch,
	    char tip[REPO_OID_HEX], char **cause);
/*
 * Push COMMIT to REMOTE's BRANCH. Returns 0, 1 when the remote refused it
 * (it moved meanwhile, or a hook said no: *cause says which), -1 when it
 * could not be reached or another error (*cause).
 */
int	 repo_push(struct repo *, const char *remote, const char *branch,
	    const char *commit, char **cause);
/* git clone URL DIR (DIR must not exist or be empty). */
int	 repo_clone(const char *url, const char *dir, char **cause);

/* The best common ancestor of a and b: 1, 0 if none, -1 error. */
int	 repo_merge_base(struct repo *, const char *a, const char *b,
	    char out[REPO_OID_HEX], char **cause);
/* Commits in local and not in upstream, and the other way round. */
int	 repo_ahead_behind(struct repo *, const char *local,
	    const char *upstream, size_t *ahead, size_t *behind, char **cause);
/* The first-parent commits after base (exclusive, may be "") up to tip,
   oldest first, into ids. */
int	 repo_first_parents(struct repo *, const char *base, const char *tip,
	    struct strv *ids, char **cause);

/* One file a commit changed against its first parent; a blob id is ""
   where the file is absent. */
typedef int (*repo_changed_cb)(void *arg, const char *path,
	    const char *old_blob, const char *new_blob);
int	 repo_commit_files(struct repo *, const char *commit, repo_changed_cb,
	    void *arg, char **cause);

/*
 * A copy of commit ORIG on top of PARENT: PARENT's tree plus changes
 * (data NULL removes a path; directories left empty disappear), with
 * ORIG's author and message and the operator as committer. Writes objects
 * only; no ref, work tree or .git/index is touched. Returns 1 with the new
 * commit in out, 0 when the changes leave PARENT's tree as it is (nothing
 * to replay: out is PARENT), -1 with *cause.
 */
int	 repo_replay(struct repo *, const char *parent, const char *orig,
	    const struct repo_change *, size_t n, char out[REPO_OID_HEX],
	    char **cause);
/*
 * A merge commit of ours and theirs (in that parent order) with the tree
 * of commit tree_of (the result of replaying ours on theirs), the
 * operator as author. Objects only, like repo_replay.
 */
int	 repo_merge_commit(struct repo *, const char *ours, const char *theirs,
	    const char *tree_of, const char *message, char out[REPO_OID_HEX],
	    char **cause);
/*
 * Move HEAD's branch from old to new with a compare-and-swap: refused
 * ("moved meanwhile") if it is no longer at old. The work tree and
 * .git/index are then behind, as after a crash: repo_sync_worktree.
 */
int	 repo_move_head(struct repo *, const char *old, const char *new_,
	    const char *reflog, char **cause);

#endif
