/*
 * status.h: the expiry policy. A certificate is expired, critical, warning
 * or ok; the thresholds are days from certdeck.conf, shrunk for short-lived
 * certificates to the last tenth (critical) and third (warning) of their
 * lifetime when that comes later in time.
 */
#ifndef CD_STATUS_H
#define CD_STATUS_H

#include <stddef.h>
#include <stdint.h>

struct config;

enum status {
	ST_EXPIRED,
	ST_CRITICAL,
	ST_WARNING,
	ST_OK,
	ST_NONE,	/* no certificate */
};
#define ST_COUNT 5

enum status status_of(const struct config *, int64_t now, int64_t not_before,
	    int64_t not_after);
/* Whole days left, rounded down (negative once expired). */
int64_t	 status_days_left(int64_t now, int64_t not_after);
/*
 * How many entries of the index are in each status at now (counts, by
 * enum status) and in all (*total): status_of as ranges of the index's
 * expiry order (idx_count_expiring), so no entry is read. 0 or -1.
 */
struct idx;
int	 status_count(const struct config *, struct idx *, int64_t now,
	    size_t counts[ST_COUNT], size_t *total, char **cause);
const char *status_name(enum status);		/* "expired", ... */
int	 status_parse(const char *, enum status *);	/* 0 or -1 */

#endif
