/*
 * pack.h: a git pack and its index written straight from objects in
 * memory (the objects of one bulk commit).
 */
#ifndef CD_PACK_H
#define CD_PACK_H

#include <stddef.h>

struct pack;

/* Temp files of a pack being written start so (in objects/pack). */
#define PACK_TMP_PREFIX	"tmp_certdeck_"

/* Object types as a pack's headers number them (gitformat-pack(5)). */
#define PACK_COMMIT	1
#define PACK_TREE	2
#define PACK_BLOB	3
#define PACK_TAG	4

/*
 * Start a pack in packdir, the repository's objects/pack: a temp file
 * there until pack_end. NULL with cause on failure.
 */
struct pack	*pack_begin(const char *packdir, char **cause);
/*
 * Add one object, id its SHA-1 (binary, 20 bytes), unless the pack has
 * it already; 0 or -1 with cause.
 */
int	 pack_add(struct pack *, int type, const unsigned char *id,
	     const void *data, size_t len, char **cause);
/* Does the pack hold id? */
int	 pack_has(const struct pack *, const unsigned char *id);
/*
 * Write the pack's object count and trailer, then its index, make both
 * durable, and rename them into place, the index last (git uses a pack
 * once its index is there); 0 or -1 with cause. A pack of no object
 * writes nothing. Frees the pack either way.
 */
int	 pack_end(struct pack *, char **cause);
/* Give up a pack: its temp files are removed. NULL is nothing. */
void	 pack_abort(struct pack *);

#endif
