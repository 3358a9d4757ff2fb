/*
 * crash.h: fault injection for the transaction tests. When the variable
 * CERTDECK_TEST_CRASH names this point, the process kills itself there
 * with SIGKILL, as a power cut or kill -9 would. Costs one getenv.
 */
#ifndef CD_CRASH_H
#define CD_CRASH_H

void	crash_point(const char *name);

#endif
