/* Who comes back, by customer score; see comeback.h. */
#include "comeback.h"

#include <math.h>
#include <stdlib.h>

#include "lift.h"
#include "xalloc.h"
#include "banned.h"

const double comeback_q[COMEBACK_NQ] = { 0.01, 0.05, 0.10, 0.20 };

struct scored {
	uint32_t customer;
	double score;
};

/* The higher score first; ties to the customer seen first. */
static int
higher(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return (x->customer > y->customer) - (x->customer < y->customer);
}

void
comeback_measure(const struct comeback_input *in, const double *score,
    struct comeback_at *at)
{
	struct scored *s = xmalloc((in->train_customers + 1) * sizeof(*s));
	double base = in->train_customers ? (double)in->returning /
	    (double)in->train_customers : NAN;
	size_t n = 0;

	for (size_t c = 0; c < in->ncustomers; c++)
		if (in->present[c])
			s[n++] = (struct scored){ (uint32_t)c, score[c] };
	qsort(s, n, sizeof(*s), higher);
	for (int q = 0; q < COMEBACK_NQ; q++) {
		struct comeback_at *a = &at[q];
		size_t k = (size_t)ceil(comeback_q[q] * (double)n);

		a->customers = k;
		a->returned = 0;
		for (size_t i = 0; i < k; i++)
			a->returned += in->active[s[i].customer];
		a->rate = k ? (double)a->returned / (double)k : NAN;
		lift_wilson(a->returned, k, &a->rate_lo, &a->rate_hi);
		a->lift = base > 0 ? a->rate / base : NAN;
		a->lift_lo = base > 0 ? a->rate_lo / base : NAN;
		a->lift_hi = base > 0 ? a->rate_hi / base : NAN;
	}
	free(s);
}
