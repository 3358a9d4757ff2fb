/* status.c: the expiry policy (status.h). */
#include <string.h>

#include "config.h"
#include "status.h"

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
