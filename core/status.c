/* status.c: the expiry policy (status.h). */
#include <string.h>

#include "config.h"
#include "status.h"
#include "util.h"
#include "../store/index.h"

static const char *status_names[ST_COUNT] = {
	"expired", "critical", "warning", "ok", "none"
};

int64_t
status_days_left(int64_t now, int64_t not_after)
{
	int64_t d = not_after - now;

	/* Round toward minus infinity. */
	return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

enum status
status_of(const struct config *cfg, int64_t now, int64_t not_before,
    int64_t not_after)
{
	int64_t life = not_after - not_before, crit, warn, t;

	if (now > not_after)
		return ST_EXPIRED;
	crit = not_after - (int64_t)cfg->critical_days * 86400;
	warn = not_after - (int64_t)cfg->warning_days * 86400;
	if (life > 0) {
		t = not_after - life / 10;
		if (t > crit)
			crit = t;
		t = not_after - life / 3;
		if (t > warn)
			warn = t;
	}
	if (now >= crit)
		return ST_CRITICAL;
	if (now >= warn)
		return ST_WARNING;
	return ST_OK;
}

/*
 * status_of says expired when now > notAfter; critical when now is at or
 * after both notAfter - critical_days and (for a positive lifetime)
 * notAfter - lifetime / 10; warning likewise with warning_days and a
 * third. Each "this status or worse" is one range of idx_count_expiring,
 * and they nest (config.c keeps critical_days <= warning_days, and a
 * tenth of a lifetime is never more than a third), so a status is the
 * difference of two of them.
 */
int
status_count(const struct config *cfg, struct idx *idx, int64_t now,
    size_t counts[ST_COUNT], size_t *total, char **cause)
{
	size_t expired, critical, warning;
	int own, rc;

	memset(counts, 0, ST_COUNT * sizeof *counts);
	/* One snapshot: another process's commit between two counts would
	   make them disagree. */
	if (idx_snapshot_begin(idx, &own, cause) != 0)
		return -1;
	rc = idx_entry_count(idx, total, cause) != 0 ||
	    idx_count_no_cert(idx, &counts[ST_NONE], cause) != 0 ||
	    idx_count_expiring(idx, now - 1, now, 0, &expired, cause) != 0 ||
	    idx_count_expiring(idx, now + (int64_t)cfg->critical_days * 86400,
	    now, 10, &critical, cause) != 0 ||
	    idx_count_expiring(idx, now + (int64_t)cfg->warning_days * 86400,
	    now, 3, &warning, cause) != 0;
	idx_snapshot_end(idx, own);
	if (rc)
		return -1;
	if (critical < expired || warning < critical ||
	    *total < counts[ST_NONE] + warning)
		return set_cause(cause, "index: expiry counts do not add up");
	counts[ST_EXPIRED] = expired;
	counts[ST_CRITICAL] = critical - expired;
	counts[ST_WARNING] = warning - critical;
	counts[ST_OK] = *total - counts[ST_NONE] - warning;
	return 0;
}

const char *
status_name(enum status s)
{
	return (unsigned)s < ST_COUNT ? status_names[s] : "?";
}

int
status_parse(const char *s, enum status *out)
{
	int i;

	for (i = 0; i < ST_COUNT - 1; i++)
		if (strcmp(s, status_names[i]) == 0) {
			*out = (enum status)i;
			return 0;
		}
	return -1;
}
