/* testutil.h: shared helpers for cmocka unit tests. */
#ifndef CD_TESTUTIL_H
#define CD_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh scratch directory under $TMPDIR; removed by tu_rmdir. */
char	*tu_tmpdir(void);
void	 tu_rmdir(const char *);
/* Run argv (no shell) in dir; returns exit status, output (stdout) in *out if not NULL. */
int	 tu_run(const char *dir, char **out, const char *argv0, ...);
/* Path of a file under the shared seed corpus, or NULL if not present. */
char	*tu_seed_path(const char *rel);

#endif
