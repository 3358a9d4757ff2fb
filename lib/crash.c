/* crash.c: fault injection points (crash.h). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"

void
crash_point(const char *name)
{
	const char *want = getenv("CERTDECK_TEST_CRASH");

	if (want != NULL && strcmp(want, name) == 0)
		raise(SIGKILL);
}
