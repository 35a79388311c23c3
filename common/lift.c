/* Conversion, difference and lift of a holdout; see lift.h. */
#include "lift.h"

#include <math.h>
#include <stddef.h>

#include "banned.h"

#define Z95 1.959963984540054	/* the 97.5% normal quantile */

void
lift_wilson(uint64_t x, uint64_t n, double *lo, double *hi)
{
	double z2 = Z95 * Z95, nn = (double)n, xx = (double)x, centre, half;

	if (n == 0) {
		*lo = *hi = NAN;
		return;
	}
	centre = (xx + z2 / 2) / (nn + z2);
	half = Z95 * sqrt(xx * (nn - xx) / nn + z2 / 4) / (nn + z2);
	*lo = centre - half < 0 ? 0 : centre - half;
	*hi = centre + half > 1 ? 1 : centre + half;
}

void
lift_compute(const struct lift_group *target, const struct lift_group *control,
    struct lift_stats *s)
{
	const struct lift_group *g[2] = { target, control };
	double x1 = (double)target->converted, n1 = (double)target->members;
	double x2 = (double)control->converted, n2 = (double)control->members;

	s->note = NULL;
	for (int i = 0; i < 2; i++) {
		s->rate[i] = g[i]->members ? (double)g[i]->converted /
		    (double)g[i]->members : NAN;
		lift_wilson(g[i]->converted, g[i]->members, &s->rate_lo[i],
		    &s->rate_hi[i]);
	}
	s->difference = s->difference_lo = s->difference_hi = NAN;
	s->relative = s->relative_lo = s->relative_hi = NAN;
	s->p_value = NAN;
	if (target->members == 0 || control->members == 0) {
		s->note = target->members == 0 ? "no target members" :
		    "no control members: nothing to compare with";
		return;
	}
	s->difference = s->rate[0] - s->rate[1];
	s->difference_lo = s->difference - sqrt(pow(s->rate[0] - s->rate_lo[0], 2) +
	    pow(s->rate_hi[1] - s->rate[1], 2));
	s->difference_hi = s->difference + sqrt(pow(s->rate_hi[0] - s->rate[0], 2) +
	    pow(s->rate[1] - s->rate_lo[1], 2));
	{
		double pooled = (x1 + x2) / (n1 + n2);
		double se = sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));

		if (se > 0)
			s->p_value = erfc(fabs(s->difference) / se / sqrt(2));
		else
			s->note = "no variance: every member converted, or none did";
	}
	if (x1 > 0 && x2 > 0) {
		double ratio = s->rate[0] / s->rate[1];
		double se = sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2);

		s->relative = ratio - 1;
		s->relative_lo = exp(log(ratio) - Z95 * se) - 1;
		s->relative_hi = exp(log(ratio) + Z95 * se) - 1;
	} else if (s->note == NULL)
		s->note = x2 == 0 ? "no conversion in the control group: the "
		    "relative lift is undefined" : "no conversion in the target "
		    "group: the relative lift's interval is undefined";
}
