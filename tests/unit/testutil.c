/* testutil.c: shared helpers for cmocka unit tests. */
#include <sys/wait.h>

#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

char *
tu_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *p = xasprintf("%s/certdeck-unit.XXXXXX", t ? t : "/tmp");

	if (mkdtemp(p) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return p;
}

void
tu_rmdir(const char *dir)
{
	if (dir != NULL && str_startswith(dir, "/") && strstr(dir, "certdeck-unit"))
		tu_run(NULL, NULL, "rm", "-rf", dir, (char *)NULL);
}

int
tu_run(const char *dir, char **out, const char *argv0, ...)
{
	const char *argv[64];
	va_list ap;
	int n = 0, fds[2], status, e;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	size_t len;

	argv[n++] = argv0;
	va_start(ap, argv0);
	while (n < 63 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	if (pipe(fds) != 0)
		return -1;
	/*
	 * posix_spawn, not fork: under AddressSanitizer a fork copies the
	 * page tables of its terabytes of shadow mappings, which made
	 * test_cert's 580 openssl runs take 60 s instead of 12.
	 */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	if (dir != NULL)
		posix_spawn_file_actions_addchdir_np(&fa, dir);
	e = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
	    environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		close(fds[0]);
		close(fds[1]);
		return 127;
	}
	close(fds[1]);
	if (out != NULL)
		read_fd(fds[0], 64u << 20, out, &len, NULL);
	else {
		char tmp[4096];
		while (read(fds[0], tmp, sizeof tmp) > 0)
			;
	}
	close(fds[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

char *
tu_seed_path(const char *rel)
{
	char *p = xasprintf("%s/../shared/corpora/seeds/%s",
	    getenv("CERTDECK_TOP") ? getenv("CERTDECK_TOP") : ".", rel);

	if (access(p, R_OK) != 0) {
		free(p);
		return NULL;
	}
	return p;
}
