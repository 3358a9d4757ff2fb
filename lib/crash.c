/* crash.c: fault injection points (crash.h). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"

void
crash_point(const char *name)
{
	const char *want = getenv("CERTDECK_TEST_CRASH");

	if (want != NULL && strcmp(want, name) == 0)
		raise(SIGKILL);
}

void
crash_hold(const char *name, const volatile int *stop)
{
	const char *want = getenv("CERTDECK_TEST_HOLD"), *p;
	const char *colon = NULL, *end = NULL;
	size_t n = strlen(name);
	char *file;
	int i;

	/* "NAME:FILE[,NAME:FILE]...": this point's FILE, if it has one. */
	for (p = want; p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ",");
		colon = memchr(p, ':', (size_t)(end - p));
		if (colon != NULL && (size_t)(colon - p) == n &&
		    strncmp(p, name, n) == 0)
			break;
	}
	if (p == NULL || *p == '\0' ||
	    (file = strndup(colon + 1, (size_t)(end - colon - 1))) == NULL)
		return;
	/* Bounded: 1500 looks, 20 ms apart. */
	for (i = 0; i < 1500 && access(file, F_OK) != 0; i++) {
		if (stop != NULL && __atomic_load_n(stop, __ATOMIC_SEQ_CST))
			break;
		usleep(20000);
	}
	free(file);
}
