/*
 * clock.h: the only way certdeck reads the time. CERTDECK_NOW (RFC 3339)
 * replaces the wall clock, so tests, demos and benchmarks are reproducible.
 */
#ifndef CD_CLOCK_H
#define CD_CLOCK_H

#include <stdint.h>

/* Now, in Unix seconds. Exits with a message if CERTDECK_NOW is malformed. */
int64_t	 clock_now(void);
/* Parse RFC 3339 ("2026-01-02T03:04:05Z", offsets, fractions ignored) or a
   bare date "2026-01-02" (midnight UTC). Returns 0 or -1. */
int	 clock_parse(const char *, int64_t *out);
/* The same, but a bare date means the end of that day (23:59:59 UTC):
   "the inventory as of 2026-03-01" includes that day's changes. */
int	 clock_parse_at(const char *, int64_t *out);
/* Format as RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" into out[32]. */
void	 clock_format(int64_t, char out[32]);
/* Format as "YYYY-MM-DD" into out[16]. */
void	 clock_format_date(int64_t, char out[16]);
/* Civil date arithmetic that works for years 0..9999, no time_t limits. */
int64_t	 clock_from_civil(int y, int mon, int d, int h, int min, int s);
void	 clock_to_civil(int64_t t, int *y, int *mon, int *d, int *h, int *min,
	    int *s);

/* A duration clock in milliseconds (deadlines, timings), never a date:
   CERTDECK_NOW does not touch it. */
int64_t	 clock_mono_ms(void);

#endif
