/*
 * heap.c: huge pages for the heap of a bulk import.
 *
 * An import of 10,000 files touches about 100 MB of fresh heap, one page
 * fault per 4 KiB page. In a virtual machine whose host shadows the
 * guest's page tables (this project's machines), a fault costs about
 * 20 us: 25,000 of them were a sixth of the import. glibc backs its heap
 * with transparent huge pages (2 MiB, one fault each) when the tunable
 * glibc.malloc.hugetlb=1 says so, and it reads tunables only from the
 * environment, before main. So an import with many inputs sets it and
 * runs itself again, once; the second run puts the environment back as
 * it was before anything else happens, so that nothing certdeck starts
 * inherits it. Measured in bench/README.md (import, 2026-11-27 night).
 *
 * Not done when: the command is not `import`; the inputs hold fewer than
 * HEAP_TUNE_MIN files (running again costs about 20 ms, what huge pages
 * save on an import of about 1,000 files); the kernel offers no huge
 * pages on advice; GLIBC_TUNABLES already says anything of
 * glibc.malloc.hugetlb (the operator's choice stands); the program runs
 * set-user-ID (glibc ignores the tunable then); the dynamic loader was
 * run as the program (`ld.so ./certdeck import ...`); the environment
 * holds the marker below and it is not the second run's; /proc/self/exe
 * cannot be run (then certdeck goes on as it is). The second run takes
 * back its process name (the kernel names it after /proc/self/exe).
 */
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#define HEAP_TUNE_MIN	1000		/* input files */
#define HEAP_MARK	"CERTDECK_HEAP_TUNED"	/* "=OLD" or "-" (none) */

static int heap_tuned;

int
heap_was_tuned(void)
{
	return heap_tuned;
}

static int
heap_thp_offered(void)
{
	char buf[128];
	ssize_t n;
	int fd = open("/sys/kernel/mm/transparent_hugepage/enabled",
	    O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, "[always]") != NULL ||
	    strstr(buf, "[madvise]") != NULL;
}

/* Files under path, counted up to limit (a guess: nothing is opened). */
static size_t
heap_count(const char *path, size_t limit, int depth)
{
	struct dirent *de;
	struct stat sb;
	DIR *d;
	char *sub;
	size_t n = 0;

	if (lstat(path, &sb) != 0)
		return 0;
	if (!S_ISDIR(sb.st_mode))
		return 1;
	if (depth > 8 || (d = opendir(path)) == NULL)
		return 0;
	while (n < limit && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
			sub = xasprintf("%s/%s", path, de->d_name);
			n += heap_count(sub, limit - n, depth + 1);
			free(sub);
		} else
			n++;
	}
	closedir(d);
	return n;
}

void
heap_tune(int argc, char **argv)
{
	const char *mark = getenv(HEAP_MARK), *env;
	char *old, *want, *m;
	size_t n = 0;
	int i;

	env = getenv("GLIBC_TUNABLES");
	if (mark != NULL && (*mark == '=' || strcmp(mark, "-") == 0) &&
	    env != NULL && str_endswith(env, "glibc.malloc.hugetlb=1")) {
		/* The second run: put it back. */
		if (*mark == '=')
			setenv("GLIBC_TUNABLES", mark + 1, 1);
		else
			unsetenv("GLIBC_TUNABLES");
		unsetenv(HEAP_MARK);
		/*
		 * The kernel named this run after the file it ran, "exe":
		 * give it back the name ps, top and pkill know it by.
		 */
		if (argc > 0 && argv[0] != NULL) {
			const char *base = strrchr(argv[0], '/');

			prctl(PR_SET_NAME, base != NULL ? base + 1 : argv[0]);
		}
		heap_tuned = 1;
		return;
	}
	for (i = 1; i < argc; i++) {	/* the command, past -C DIR etc. */
		if (strcmp(argv[i], "-C") == 0 ||
		    strcmp(argv[i], "--theme") == 0 ||
		    strcmp(argv[i], "--passphrase-fd") == 0)
			i++;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "--version") == 0)
			return;
		else if (argv[i][0] != '-')
			break;
	}
	if (i >= argc || strcmp(argv[i], "import") != 0)
		return;
	/*
	 * Not when the marker is there but not ours (it would be taken for
	 * the second run's); not set-user-ID; not when the dynamic loader
	 * was run as the program (AT_BASE 0: /proc/self/exe is ld.so, and
	 * running it again with our argv would load "import").
	 */
	if (mark != NULL ||
	    (env != NULL && strstr(env, "glibc.malloc.hugetlb") != NULL) ||
	    getauxval(AT_SECURE) != 0 || getauxval(AT_BASE) == 0)
		return;
	/* An option's value counts too if it names a file: a guess. */
	for (i++; i < argc && n < HEAP_TUNE_MIN; i++)
		if (argv[i][0] != '-')
			n += heap_count(argv[i], HEAP_TUNE_MIN - n, 0);
	if (n < HEAP_TUNE_MIN || !heap_thp_offered())
		return;

	old = env != NULL ? xstrdup(env) : NULL;	/* setenv may free it */
	want = old != NULL && *old != '\0' ?
	    xasprintf("%s:glibc.malloc.hugetlb=1", old) :
	    xstrdup("glibc.malloc.hugetlb=1");
	m = old != NULL ? xasprintf("=%s", old) : xstrdup("-");
	if (setenv(HEAP_MARK, m, 1) == 0 &&
	    setenv("GLIBC_TUNABLES", want, 1) == 0) {
		fflush(NULL);
		execv("/proc/self/exe", argv);
	}
	free(want);
	free(m);
	/* Not run again: go on as we are, with the environment as it was. */
	if (old != NULL)
		setenv("GLIBC_TUNABLES", old, 1);
	else
		unsetenv("GLIBC_TUNABLES");
	unsetenv(HEAP_MARK);
	free(old);
}
