/* fuzz_gitindex.c: libFuzzer target for the .git/index reader and writer
   (store/gitindex.c): whatever it reads it must write, and read back. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gitindex.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char in[64];

static void
cleanup(void)
{
	unlink(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct gix *g = NULL, *g2 = NULL;
	struct gix_ent e;
	char *cause = NULL;
	int fd;

	if (in[0] == '\0') {
		snprintf(in, sizeof in, "/tmp/fuzz_gitindex.%d", (int)getpid());
		atexit(cleanup);
	}
	fd = open(in, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || (len > 0 && write(fd, data, len) != (ssize_t)len))
		abort();
	close(fd);
	if (gix_open(in, &g, &cause) != 0) {
		free(cause);
		return 0;
	}
	(void)gix_get(g, "certs/ab/name/entry", &e);
	memset(&e, 0, sizeof e);
	e.mode = 0100644;
	gix_put(g, "certs/ab/name/entry", &e);
	gix_del(g, "a");
	/* Over the file it read (a write to another file would start from
	   that one, as from another git's newer index). */
	if (gix_write(g, in, "/nonexistent", &cause) != 0)
		abort();	/* a file it read, it writes */
	gix_free(g);
	if (gix_open(in, &g2, &cause) != 0 ||
	    gix_get(g2, "certs/ab/name/entry", &e) != 1)
		abort();	/* and what it wrote, it reads */
	gix_free(g2);
	return 0;
}
