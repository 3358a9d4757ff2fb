/*
 * gitindex.h: .git/index edited in place of libgit2's whole-index
 * read and write, for the index formats git and libgit2 write by default.
 */
#ifndef CD_GITINDEX_H
#define CD_GITINDEX_H

#include <stdint.h>

/* One stage-0 entry: the stat data and blob id git keeps for a path. */
struct gix_ent {
	uint32_t	ctime_s, ctime_ns, mtime_s, mtime_ns;
	uint32_t	dev, ino, mode, uid, gid, size;
	unsigned char	id[20];
};

struct gix;

#define GIX_UNREAD	1	/* gix_open: a format left to libgit2 */
#define GIX_LOCKED	2	/* gix_write: the lock file exists */

/*
 * Map the index file (absent: empty). 0, or GIX_UNREAD for what this
 * reader does not take (format 4, a required extension such as a split
 * index, a conflict, a file it cannot make sense of), or -1 with cause.
 */
int	 gix_open(const char *file, struct gix **, char **cause);
/* 1 and *e if path has an entry (edits included), else 0. */
int	 gix_get(const struct gix *, const char *path, struct gix_ent *e);
void	 gix_put(struct gix *, const char *path, const struct gix_ent *);
void	 gix_del(struct gix *, const char *path);
/* Are there edits to write? */
int	 gix_pending(const struct gix *);
/*
 * Write the edited index to file.lock (created exclusively; GIX_LOCKED
 * if it exists) and rename it over file; 0, GIX_LOCKED or -1 with cause.
 * If another git wrote file since gix_open, the edits go onto what it
 * wrote. Entries carried over that git would call racily clean are
 * checked against the files under workdir (NULL: not checked), as git
 * does. The edits stay in g if the write fails.
 */
int	 gix_write(struct gix *, const char *file, const char *workdir,
	    char **cause);
/*
 * How this process's gix_writes wrote their files, counted: a new file;
 * the kept index patched where the states say it differs; the kept
 * index compared and written where it differs (CERTDECK_STATS, tests).
 */
enum { GIX_WROTE_NEW, GIX_WROTE_PATCHED, GIX_WROTE_COMPARED, GIX_WROTE_N };
unsigned long gix_wrote(int kind);
void	 gix_free(struct gix *);

#endif
