/* clock.c: the one reader of the wall clock (see clock.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t
clock_from_civil(int y, int mon, int d, int h, int min, int s)
{
	return days_from_civil(y, mon, d) * 86400 + h * 3600 + min * 60 + s;
}

void
clock_to_civil(int64_t t, int *y, int *mon, int *d, int *h, int *min, int *s)
{
	int64_t z, era, doe, yoe, doy, mp, secs;

	z = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	secs = t - z * 86400;
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*mon <= 2));
	*h = (int)(secs / 3600);
	*min = (int)(secs / 60 % 60);
	*s = (int)(secs % 60);
}

static int
month_days(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

static int
digits(const char *p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p++ - '0');
	}
	*out = v;
	return 0;
}

int
clock_parse(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0, oh, om, sign;
	const char *p;

	if (strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return -1;
	p = s + 10;
	if (*p == '\0')
		goto done;
	if ((*p != 'T' && *p != 't' && *p != ' ') || strlen(p) < 9 ||
	    digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi) ||
	    p[6] != ':' || digits(p + 7, 2, &se))
		return -1;
	if (h > 23 || mi > 59 || se > 60)
		return -1;
	p += 9;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		goto done;
	if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	    digits(p + 1, 2, &oh) == 0 && p[3] == ':' &&
	    digits(p + 4, 2, &om) == 0) {
		sign = *p == '-' ? -1 : 1;
		*out = clock_from_civil(y, mo, d, h, mi, se) -
		    sign * (oh * 3600 + om * 60);
		return 0;
	}
	return -1;
done:
	*out = clock_from_civil(y, mo, d, h, mi, se);
	return 0;
}

int
clock_parse_at(const char *s, int64_t *out)
{
	if (clock_parse(s, out) != 0)
		return -1;
	if (strlen(s) == 10)
		*out += 86399;		/* a bare date: the end of that day */
	return 0;
}

int64_t
clock_now(void)
{
	static int cached;
	static int64_t fixed;
	const char *env;

	if (!cached) {
		env = getenv("CERTDECK_NOW");
		if (env != NULL && *env != '\0') {
			if (clock_parse(env, &fixed) != 0) {
				fprintf(stderr, "certdeck: CERTDECK_NOW: not an "
				    "RFC 3339 time: %.40s\n", env);
				exit(2);
			}
			cached = 1;
		} else
			cached = -1;
	}
	if (cached == 1)
		return fixed;
	return (int64_t)time(NULL);
}

void
clock_format(int64_t t, char out[32])
{
	int y, mo, d, h, mi, s;

	clock_to_civil(t, &y, &mo, &d, &h, &mi, &s);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
}

void
clock_format_date(int64_t t, char out[16])
{
	int y, mo, d, h, mi, s;

	clock_to_civil(t, &y, &mo, &d, &h, &mi, &s);
	snprintf(out, 16, "%04d-%02d-%02d", y, mo, d);
}

int64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
