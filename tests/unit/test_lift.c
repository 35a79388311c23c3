/*
 * Unit tests of common/lift.c against Newcomb's published examples:
 * the Wilson score interval of 81/263 (Newcomb 1998, "Two-sided confidence
 * intervals for the single proportion", Statistics in Medicine 17:857,
 * Table I: 0.2553 to 0.3662) and the hybrid score interval of the
 * difference 56/70 - 48/80 (Newcomb 1998, "Interval estimation for the
 * difference between independent proportions", Statistics in Medicine
 * 17:873, Table II, method 10: 0.0524 to 0.3339); then the edge cases that
 * must give NaN with a note rather than a division by zero.
 */
#include <math.h>
#include <string.h>

#include "lift.h"
#include "tap.h"

static int
near4(double v, double want)
{
	return fabs(v - want) < 0.00005;
}

int
main(void)
{
	struct lift_group t = { 70, 56 }, c = { 80, 48 };
	struct lift_stats s;
	double lo, hi;

	lift_wilson(81, 263, &lo, &hi);
	ok(near4(lo, 0.2553) && near4(hi, 0.3662),
	    "Wilson 81/263: %.4f to %.4f (published 0.2553 to 0.3662)", lo, hi);
	lift_compute(&t, &c, &s);
	ok(near4(s.difference, 0.2) && near4(s.difference_lo, 0.0524) &&
	    near4(s.difference_hi, 0.3339),
	    "Newcomb 56/70 - 48/80: %.4f to %.4f (published 0.0524 to 0.3339)",
	    s.difference_lo, s.difference_hi);
	ok(s.note == NULL && s.p_value > 0.005 && s.p_value < 0.01 &&
	    near4(s.relative, 0.8 / 0.6 - 1),
	    "p-value %.5f, relative lift %.4f", s.p_value, s.relative);

	c = (struct lift_group){ 0, 0 };
	lift_compute(&t, &c, &s);
	ok(isnan(s.difference) && isnan(s.p_value) && isnan(s.rate[1]) &&
	    s.note && strstr(s.note, "no control members"),
	    "no control members: NaN figures and a note (%s)", s.note);
	c = (struct lift_group){ 80, 0 };
	lift_compute(&t, &c, &s);
	ok(!isnan(s.difference) && isnan(s.relative) && isnan(s.relative_lo) &&
	    s.note && strstr(s.note, "no conversion in the control"),
	    "no control conversion: a difference, no ratio (%s)", s.note);
	t = (struct lift_group){ 10, 0 };
	c = (struct lift_group){ 10, 0 };
	lift_compute(&t, &c, &s);
	ok(s.difference == 0 && isnan(s.p_value) && s.note &&
	    strstr(s.note, "no variance"), "nobody converted: %s", s.note);
	return tap_done();
}
