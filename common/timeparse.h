/*
 * Timestamps: parsing the forms found in exports into milliseconds since
 * 1970-01-01T00:00:00Z, and writing them back as ISO 8601.
 *
 * A time written without an offset is taken as UTC. Digits of a fraction
 * beyond milliseconds are dropped (truncation toward the earlier instant).
 * Years run from 1 to 9999; every field is range-checked, so 2023-02-29,
 * 24:00 and 12:60 are errors, never silently normalised.
 */
#ifndef AUD_TIMEPARSE_H
#define AUD_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

enum time_form {
	TIME_ISO,	/* 2023-01-31, 2023-01-31T10:00:00.5+02:00, ... */
	TIME_EPOCH_S,	/* seconds since the epoch, optionally with a fraction */
	TIME_EPOCH_MS,	/* whole milliseconds since the epoch */
	TIME_LAYOUT	/* a strptime(3) layout such as "%d/%m/%Y %H:%M" */
};

struct time_format {
	enum time_form form;
	const char *layout;	/* for TIME_LAYOUT; borrowed */
};

#define MS_PER_DAY INT64_C(86400000)

/* "iso", "epoch-s", "epoch-ms", or a layout containing '%'. Returns 0 or -1. */
int time_format_parse(struct time_format *tf, const char *arg);

/* Parses len bytes of s (surrounding blanks ignored). Returns 0 or -1. */
int time_parse(const struct time_format *tf, const char *s, size_t len,
    int64_t *ms);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t days_from_civil(int64_t year, int month, int day);

/* The UTC day of a time: floor(ms / MS_PER_DAY), correct before 1970 too. */
int64_t time_day(int64_t ms);

/*
 * Writes ms as "YYYY-MM-DDTHH:MM:SSZ", with ".mmm" before the Z when the
 * milliseconds are not zero. buf needs TIME_ISO_LEN bytes. Returns buf.
 */
#define TIME_ISO_LEN 64
char *time_format_iso(int64_t ms, char *buf);

#endif
