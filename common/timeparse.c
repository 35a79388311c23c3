/* Timestamp parsing and formatting; the rules are in timeparse.h. */
#include "timeparse.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "banned.h"

#define MIN_YEAR 1
#define MAX_YEAR 9999

int
time_format_parse(struct time_format *tf, const char *arg)
{
	tf->layout = NULL;
	if (strcmp(arg, "iso") == 0)
		tf->form = TIME_ISO;
	else if (strcmp(arg, "epoch-s") == 0)
		tf->form = TIME_EPOCH_S;
	else if (strcmp(arg, "epoch-ms") == 0)
		tf->form = TIME_EPOCH_MS;
	else if (strchr(arg, '%') != NULL) {
		tf->form = TIME_LAYOUT;
		tf->layout = arg;
	} else
		return -1;
	return 0;
}

/* Howard Hinnant's days_from_civil, valid for the whole proleptic calendar. */
int64_t
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
time_day(int64_t ms)
{
	int64_t day = ms / MS_PER_DAY;

	return (ms % MS_PER_DAY < 0) ? day - 1 : day;
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n digits at *p; advances *p. Returns the value or -1. */
static int
digits(const char **p, const char *end, int n)
{
	int v = 0;

	if (end - *p < n)
		return -1;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

/*
 * Reads the digits of a fraction of a second at *p (after its separator)
 * as milliseconds, dropping digits beyond the third. Returns -1 if none.
 */
static int
fraction_ms(const char **p, const char *end, int64_t *ms)
{
	int n = 0;

	*ms = 0;
	for (; *p < end && **p >= '0' && **p <= '9'; (*p)++, n++)
		if (n < 3)
			*ms = *ms * 10 + (**p - '0');
	for (int k = n; k < 3; k++)
		*ms *= 10;
	return n > 0 ? 0 : -1;
}

static int
valid_civil(int64_t y, int mo, int d, int h, int mi, int s)
{
	return y >= MIN_YEAR && y <= MAX_YEAR && mo >= 1 && mo <= 12 &&
	    d >= 1 && d <= days_in_month(y, mo) && h >= 0 && h <= 23 &&
	    mi >= 0 && mi <= 59 && s >= 0 && s <= 59;
}

static int64_t
civil_to_ms(int64_t y, int mo, int d, int h, int mi, int s)
{
	return ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 +
	    (int64_t)s * 1000;
}

/* An offset after a time: Z, UTC, +HH, +HHMM or +HH:MM. Sets seconds east. */
static int
parse_offset(const char *p, const char *end, int *east)
{
	int sign, h, m = 0;

	*east = 0;
	if (p == end)
		return 0;
	if (*p == ' ')
		p++;
	if (end - p == 1 && (*p == 'Z' || *p == 'z'))
		return 0;
	if (end - p == 3 && memcmp(p, "UTC", 3) == 0)
		return 0;
	if (p == end || (*p != '+' && *p != '-'))
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if ((h = digits(&p, end, 2)) < 0 || h > 23)
		return -1;
	if (p < end && *p == ':' && ++p == end)
		return -1;	/* "+05:" is not "+05:00" */
	if (p < end && ((m = digits(&p, end, 2)) < 0 || m > 59))
		return -1;
	if (p != end)
		return -1;
	*east = sign * (h * 3600 + m * 60);
	return 0;
}

static int
parse_iso(const char *p, const char *end, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, s = 0, east;
	int64_t frac = 0;

	if ((y = digits(&p, end, 4)) < 0 || p == end || *p++ != '-' ||
	    (mo = digits(&p, end, 2)) < 0 || p == end || *p++ != '-' ||
	    (d = digits(&p, end, 2)) < 0)
		return -1;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ') && end - p > 1 &&
	    p[1] >= '0' && p[1] <= '9') {
		p++;
		if ((h = digits(&p, end, 2)) < 0 || p == end || *p++ != ':' ||
		    (mi = digits(&p, end, 2)) < 0)
			return -1;
		if (p < end && *p == ':') {
			p++;
			if ((s = digits(&p, end, 2)) < 0)
				return -1;
			if (p < end && (*p == '.' || *p == ',')) {
				p++;
				if (fraction_ms(&p, end, &frac) < 0)
					return -1;
			}
		}
	}
	if (!valid_civil(y, mo, d, h, mi, s) || parse_offset(p, end, &east) < 0)
		return -1;
	*ms = civil_to_ms(y, mo, d, h, mi, s) + frac - (int64_t)east * 1000;
	return 0;
}

/* Epoch bounds: the instants of years 1 and 9999, so every form agrees. */
#define EPOCH_MS_MIN INT64_C(-62135596800000)
#define EPOCH_MS_MAX INT64_C(253402300799999)

static int
parse_epoch(const char *p, const char *end, int scale_ms, int64_t *ms)
{
	int neg = 0, any = 0;
	int64_t v = 0, frac = 0;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	for (; p < end && *p >= '0' && *p <= '9'; p++, any = 1) {
		if (v > (EPOCH_MS_MAX / scale_ms) + 1)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (scale_ms == 1000 && p < end && *p == '.') {
		p++;
		if (fraction_ms(&p, end, &frac) < 0)
			return -1;
		any = 1;
	}
	if (!any || p != end)
		return -1;
	v = v * scale_ms + frac;
	if (neg)
		v = -v;
	if (v < EPOCH_MS_MIN || v > EPOCH_MS_MAX)
		return -1;
	*ms = v;
	return 0;
}

static int
parse_layout(const char *layout, const char *p, const char *end, int64_t *ms)
{
	char buf[256];
	struct tm tm;
	const char *rest;
	size_t len = (size_t)(end - p);

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = 1;
	rest = strptime(buf, layout, &tm);
	if (rest == NULL)
		return -1;
	while (*rest == ' ')
		rest++;
	if (*rest != '\0')
		return -1;
	/* strptime accepts 31 February; the range check does not. */
	if (!valid_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec))
		return -1;
	*ms = civil_to_ms((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec) - (int64_t)tm.tm_gmtoff * 1000;
	return 0;
}

int
time_parse(const struct time_format *tf, const char *s, size_t len, int64_t *ms)
{
	const char *p = s, *end = s + len;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p == end)
		return -1;
	switch (tf->form) {
	case TIME_ISO:
		return parse_iso(p, end, ms);
	case TIME_EPOCH_S:
		return parse_epoch(p, end, 1000, ms);
	case TIME_EPOCH_MS:
		return parse_epoch(p, end, 1, ms);
	case TIME_LAYOUT:
		return parse_layout(tf->layout, p, end, ms);
	}
	return -1;
}

char *
time_format_iso(int64_t ms, char *buf)
{
	int64_t day = time_day(ms), msod = ms - day * MS_PER_DAY;
	/* civil_from_days, the inverse of days_from_civil. */
	int64_t z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	int64_t y = yoe + era * 400 + (m <= 2);
	int sec = (int)(msod / 1000), milli = (int)(msod % 1000);

	if (milli != 0)
		snprintf(buf, TIME_ISO_LEN, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    (long long)y, m, d, sec / 3600, sec / 60 % 60, sec % 60, milli);
	else
		snprintf(buf, TIME_ISO_LEN, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
		    (long long)y, m, d, sec / 3600, sec / 60 % 60, sec % 60);
	return buf;
}
