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
	const char *want = getenv("CERTDECK_TEST_HOLD"), *colon;
	size_t n = strlen(name);
	int i;

	if (want == NULL || (colon = strchr(want, ':')) == NULL ||
	    (size_t)(colon - want) != n || strncmp(want, name, n) != 0)
		return;
	/* Bounded: 1500 looks, 20 ms apart. */
	for (i = 0; i < 1500 && access(colon + 1, F_OK) != 0; i++) {
		if (stop != NULL && __atomic_load_n(stop, __ATOMIC_SEQ_CST))
			return;
		usleep(20000);
	}
}
