/* The return models on an interactions stream: see returns.h. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "returns.h"
#include "rfmset.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"


/* One pass over the time-ordered rows: each customer's first purchase,
   distinct purchase days, and the first row of the last such day. */
static void
summarise(struct return_scores *rs, const struct interactions *ia,
    int64_t *first, int64_t *last)
{
	const struct return_params *p = &rs->params;
	int64_t *day = xmalloc(rs->n * sizeof(*day));

	for (size_t c = 0; c < rs->n; c++)
		day[c] = INT64_MIN;
	size_t rows = p->rows && p->rows < ia->n ? p->rows : ia->n;

	for (size_t i = 0; i < rows && ia->time[i] <= p->calibration_end; i++) {
		uint32_t c = ia->customer[i];
		int64_t d = time_day(ia->time[i]);

		if (p->event >= 0 && ia->event[i] != p->event)
			continue;
		if (day[c] == INT64_MIN) {
			first[c] = last[c] = ia->time[i];
			day[c] = d;
		} else if (d != day[c]) {
			rs->rfm[c].x++;
			last[c] = ia->time[i];
			day[c] = d;
		}
	}
	free(day);
}

/*
 * Scores each distinct summary once and gives every customer its own:
 * which[c] is the customer's summary in set, or UINT32_MAX for one with no
 * purchase by the end (scored as just arrived). Returns 0, or -1 when a
 * score is not a probability or a non-negative count: a fit run off to
 * extremes on too little data.
 */
static int
score_all(struct return_scores *rs, const struct rfmset *set,
    const uint32_t *which)
{
	double *alive = xmalloc((set->n + 1) * sizeof(*alive));
	double *expected = xmalloc((set->n + 1) * sizeof(*expected));
	const struct rfm arrived = { 0 };
	int usable = 1;

	for (size_t u = 0; u <= set->n; u++) {
		const struct rfm *c = u < set->n ? &set->unique[u] : &arrived;

		alive[u] = return_p_alive(&rs->fit, c);
		expected[u] = return_expected(&rs->fit, c, rs->params.horizon);
		usable &= isfinite(alive[u]) && alive[u] >= 0 && alive[u] <= 1 &&
		    isfinite(expected[u]) && expected[u] >= 0;
	}
	for (size_t c = 0; c < rs->n; c++) {
		size_t u = which[c] == UINT32_MAX ? set->n : which[c];

		rs->p_alive[c] = alive[u];
		rs->expected[c] = expected[u];
	}
	free(alive);
	free(expected);
	return usable ? 0 : -1;
}

int
return_scores_compute(struct return_scores *rs, const struct interactions *ia,
    const struct return_params *p, char *err, size_t errlen)
{
	size_t n = intern_count(ia->customers), m = 0;
	int64_t *first = xmalloc((n ? n : 1) * sizeof(*first));
	int64_t *last = xmalloc((n ? n : 1) * sizeof(*last));
	double period = p->period_days * (double)MS_PER_DAY;
	struct rfmset set;
	uint32_t *which, *remap;
	int ok = 0;

	memset(rs, 0, sizeof(*rs));
	rs->params = *p;
	if (rs->params.calibration_end == INT64_MIN)	/* the last row read */
		rs->params.calibration_end = ia->n ? ia->time[(p->rows &&
		    p->rows < ia->n ? p->rows : ia->n) - 1] : 0;
	rs->n = n;
	rs->rfm = xcalloc(n ? n : 1, sizeof(*rs->rfm));
	for (size_t c = 0; c < n; c++)
		first[c] = INT64_MIN;
	summarise(rs, ia, first, last);
	/* Purchases are days: times count from the start of the first
	   purchase day, and the last purchase is its day. Customers then
	   share far fewer summaries, each fitted and scored once. */
	rfmset_init(&set);
	which = xmalloc((n ? n : 1) * sizeof(*which));
	for (size_t c = 0; c < n; c++) {
		int64_t day0;

		which[c] = UINT32_MAX;
		if (first[c] == INT64_MIN)
			continue;
		day0 = time_day(first[c]) * MS_PER_DAY;
		rs->rfm[c].t_x = (double)(time_day(last[c]) * MS_PER_DAY - day0) /
		    period;
		rs->rfm[c].T = (double)(rs->params.calibration_end - day0) / period;
		which[c] = rfmset_add(&set, &rs->rfm[c]);
		m++;
	}
	rs->fitted = m;
	free(first);
	free(last);
	remap = xmalloc((set.n + 1) * sizeof(*remap));
	rfmset_sort(&set, remap);
	for (size_t c = 0; c < n; c++)
		if (which[c] != UINT32_MAX)
			which[c] = remap[which[c]];
	free(remap);
	if (m == 0)
		snprintf(err, errlen, "no purchase by the calibration end: "
		    "nothing to fit the return model to");
	else if (return_fit_counts(&rs->fit, p->kind, set.unique, set.count,
	    set.n, err, errlen) == 0) {
		rs->p_alive = xmalloc((n ? n : 1) * sizeof(*rs->p_alive));
		rs->expected = xmalloc((n ? n : 1) * sizeof(*rs->expected));
		ok = score_all(rs, &set, which) == 0;
		if (!ok)
			snprintf(err, errlen, "the fit (r %.3g, alpha %.3g, a %.3g, "
			    "b %.3g) gives no usable scores: %zu customer%s too "
			    "few to fit", rs->fit.r, rs->fit.alpha, rs->fit.a,
			    rs->fit.b, m, m == 1 ? " is" : "s are");
	}
	free(which);
	rfmset_free(&set);
	if (!ok) {
		return_scores_free(rs);
		return -1;
	}
	return 0;
}

void
return_scores_free(struct return_scores *rs)
{
	free(rs->rfm);
	free(rs->p_alive);
	free(rs->expected);
	memset(rs, 0, sizeof(*rs));
}
