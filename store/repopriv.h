/*
 * repopriv.h: what store/repo.c shares with the other store files that
 * drive the same repository (store/remote.c). Not for core/ or above.
 */
#ifndef CD_REPOPRIV_H
#define CD_REPOPRIV_H

#include <git2.h>

#include "repo.h"
#include "util.h"

git_repository *repo_git(struct repo *);
int	 repo_gerr(char **cause, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 repo_hex(char out[REPO_OID_HEX], const git_oid *);
int	 repo_parse_oid(const char *, git_oid *);
int	 repo_signature(struct repo *, git_signature **, char **cause);
/* Add .certdeck/ (local state) to the repository's info/exclude. */
int	 repo_exclude_local(git_repository *, char **cause);

/* One file that differs between two trees: old or new is NULL when the
   path is absent (or not a file) on that side. */
typedef int (*repo_tdiff_cb)(void *arg, const char *path,
    const git_tree_entry *old, const git_tree_entry *new_);
/* Our own tree diff: descends only into subtrees whose ids differ. */
int	 repo_tdiff(struct repo *, const git_tree *a, const git_tree *b,
	    struct buf *path, repo_tdiff_cb, void *arg, char **cause);

#endif
