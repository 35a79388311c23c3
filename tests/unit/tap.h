/*
 * A minimal TAP producer for the C unit tests: ok() prints "ok N - name" or
 * "not ok N - name", and tap_done() turns any failure into exit status 1.
 * scripts/run-tests counts these lines with the bats results.
 */
#ifndef AUD_TAP_H
#define AUD_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_count, tap_failed;

__attribute__((format(printf, 2, 3)))
static int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	return cond;
}

static int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
