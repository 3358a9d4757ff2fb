/*
 * crash.h: fault injection for tests. When the variable
 * CERTDECK_TEST_CRASH names a crash point, the process kills itself there
 * with SIGKILL, as a power cut or kill -9 would. Costs one getenv.
 */
#ifndef CD_CRASH_H
#define CD_CRASH_H

void	crash_point(const char *name);
/*
 * A hold point, for tests of what happens meanwhile: when the variable
 * CERTDECK_TEST_HOLD is "NAME:FILE" for this point (or holds it among
 * several, comma-separated), wait here until FILE exists (at most about
 * 30 s), or until *stop (if not NULL) is set, as a slow machine would.
 * Costs one getenv.
 */
void	crash_hold(const char *name, const volatile int *stop);

#endif
