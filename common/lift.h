/*
 * What a campaign did (aud-lift(1)): conversion in the target group and in
 * the control group of a holdout, their difference and ratio with 95%
 * intervals, and a p-value.
 *
 * - a group's rate x/n with its Wilson score interval;
 * - the difference of rates, target minus control, with Newcomb's hybrid
 *   score interval (his method 10, from the two Wilson intervals);
 * - the relative lift, target rate / control rate - 1, with the Katz
 *   interval of the ratio on the log scale (it needs a conversion in each
 *   group);
 * - the two-sided p-value of the pooled z-test of two proportions.
 *
 * A figure that cannot be computed (an empty group, no conversion where a
 * ratio needs one, no variance) is NAN, with the reason in note; the
 * output writes it as null. Nothing here divides by zero.
 */
#ifndef AUD_LIFT_H
#define AUD_LIFT_H

#include <stdint.h>

struct lift_group {
	uint64_t members, converted;
};

struct lift_stats {
	double rate[2], rate_lo[2], rate_hi[2];	/* target, control */
	double difference, difference_lo, difference_hi;
	double relative, relative_lo, relative_hi;
	double p_value;
	const char *note;		/* why a figure is missing, or NULL */
};

/* The Wilson score interval of x of n at 95% (NAN for n = 0). */
void lift_wilson(uint64_t x, uint64_t n, double *lo, double *hi);

void lift_compute(const struct lift_group *target,
    const struct lift_group *control, struct lift_stats *s);

#endif
