/*
 * sync.h: sharing an inventory through git remotes (issue 8). A sync
 * fetches REMOTE, replays the local commits on top of the remote ones with
 * entry files merged by key, moves the branch (compare-and-swap), brings
 * the work tree and index up to date through the usual refresh, and pushes;
 * a push refused because the remote moved is retried after a new fetch.
 */
#ifndef CD_SYNC_H
#define CD_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "inventory.h"

#define SYNC_DEFAULT_REMOTE	"origin"
#define SYNC_TRIES		5	/* fetch, replay, push rounds */

/* An entry (or a file outside certs/) both sides changed incompatibly. */
struct inv_conflict {
	char	*name;		/* entry name, or the path */
	char	*ours;		/* what the local side did, one line */
	char	*theirs;	/* what the remote side did, one line */
	char	*ours_text;	/* the entry as each side has it, for the UI */
	char	*theirs_text;
};

struct inv_sync_result {
	char			*remote;
	size_t			 taken;		/* remote commits taken in */
	size_t			 replayed;	/* local commits put on top */
	size_t			 pushed;	/* commits the remote lacked */
	size_t			 tries;		/* push rounds */
	struct inv_conflict	*conflicts;
	size_t			 nconflicts;
};
void	 inv_sync_result_free(struct inv_sync_result *);

/*
 * Sync with REMOTE (NULL: the remote of an interrupted sync, else
 * origin). Returns 0 when done, 1 when stopped on conflicts (listed in
 * result; nothing changed locally or remotely, resolve with
 * inv_sync_resolve and sync again), -1 with *cause (local work is kept).
 */
int	 inv_sync(struct inv *, const char *remote, struct inv_sync_result *,
	    char **cause);
/* Choose a side for a conflicting entry at the next sync: theirs 0 keeps
   the local version, 1 the remote one. */
int	 inv_sync_resolve(struct inv *, const char *name, int theirs,
	    char **cause);

int	 inv_remote_add(struct inv *, const char *name, const char *url,
	    char **cause);
int	 inv_remote_list(struct inv *, int (*cb)(void *, const char *,
	    const char *), void *arg, char **cause);

struct inv_sync_status {
	char	*branch;
	char	*remote;	/* the remote counted against, or NULL */
	int	 tracked;	/* the remote's branch was fetched once */
	size_t	 ahead, behind;	/* as of the last fetch */
	int64_t	 last_sync;	/* 0: never */
	char	*last_remote;
	size_t	 pending;	/* conflicts of a stopped sync */
	struct strv resolved;	/* "NAME ours|theirs" chosen for it */
};
/* remote NULL: the last synced remote, else origin. */
int	 inv_sync_status(struct inv *, const char *remote,
	    struct inv_sync_status *, char **cause);
void	 inv_sync_status_free(struct inv_sync_status *);

/* url as it may be shown: any password in it replaced by "***". */
char	*inv_url_shown(const char *url);
/* A second operator's copy: clone URL into DIR and build its index. */
int	 inv_clone(const char *url, const char *dir, char **cause);

#endif
