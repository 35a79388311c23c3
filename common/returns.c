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


#define NO_DAY INT32_MIN

/* A customer's purchase days: UTC days since the epoch (NO_DAY: none). */
struct days {
	int32_t first, last;
	uint32_t later;			/* distinct days after the first: x */
};

/*
 * One pass over the time-ordered rows: each customer's first and last
 * purchase days and the distinct days after the first. The customers come
 * in no order, so each row is a cache miss on the customer's entry; twelve
 * bytes a customer, fetched ahead, keep it to one.
 */
static void
summarise(const struct return_scores *rs, const struct interactions *ia,
    struct days *days)
{
	const struct return_params *p = &rs->params;
	size_t rows = p->rows && p->rows < ia->n ? p->rows : ia->n;

	for (size_t i = 0; i < rows && ia->time[i] <= p->calibration_end; i++) {
		struct days *c = &days[ia->customer[i]];
		int32_t d = (int32_t)time_day(ia->time[i]);

		if (i + 16 < rows)
			__builtin_prefetch(&days[ia->customer[i + 16]], 1);
		if (p->event >= 0 && ia->event[i] != p->event)
			continue;
		if (c->last == NO_DAY)
			c->first = c->last = d;
		else if (d != c->last) {
			c->later++;
			c->last = d;
		}
	}
}

/*
 * Scores each distinct summary once, and the customer just arrived (no
 * purchase by the end: x = t_x = T = 0) last. Returns 0, or -1 when a
 * score is not a probability or a non-negative count: a fit run off to
 * extremes on too little data.
 */
static int
score_all(struct return_scores *rs)
{
	int usable = 1;

	for (size_t u = 0; u <= rs->nunique; u++) {
		const struct rfm *c = &rs->unique[u];
		double alive = return_p_alive(&rs->fit, c);
		double expected = return_expected(&rs->fit, c, rs->params.horizon);

		rs->alive[u] = alive;
		rs->expected[u] = expected;
		usable &= isfinite(alive) && alive >= 0 && alive <= 1 &&
		    isfinite(expected) && expected >= 0;
	}
	return usable ? 0 : -1;
}

int
return_scores_compute(struct return_scores *rs, const struct interactions *ia,
    const struct return_params *p, char *err, size_t errlen)
{
	size_t n = intern_count(ia->customers), m = 0;
	struct days *days = xmalloc((n ? n : 1) * sizeof(*days));
	double period = p->period_days * (double)MS_PER_DAY;
	struct rfmset set;
	uint32_t *remap;
	int ok = 0;

	memset(rs, 0, sizeof(*rs));
	rs->params = *p;
	if (rs->params.calibration_end == INT64_MIN)	/* the last row read */
		rs->params.calibration_end = ia->n ? ia->time[(p->rows &&
		    p->rows < ia->n ? p->rows : ia->n) - 1] : 0;
	rs->n = n;
	for (size_t c = 0; c < n; c++)
		days[c] = (struct days){ NO_DAY, NO_DAY, 0 };
	summarise(rs, ia, days);
	/* Purchases are days: times count from the start of the first
	   purchase day, and the last purchase is its day. Customers then
	   share far fewer summaries, each fitted and scored once, and a
	   customer keeps only which one is theirs. */
	rfmset_init(&set);
	rs->which = xmalloc((n ? n : 1) * sizeof(*rs->which));
	for (size_t c = 0; c < n; c++) {
		int64_t day0;
		struct rfm r;

		rs->which[c] = UINT32_MAX;
		if (days[c].last == NO_DAY)
			continue;
		day0 = (int64_t)days[c].first * MS_PER_DAY;
		r.x = days[c].later;
		r.t_x = (double)((int64_t)days[c].last * MS_PER_DAY - day0) / period;
		r.T = (double)(rs->params.calibration_end - day0) / period;
		rs->which[c] = rfmset_add(&set, &r);
		m++;
	}
	rs->fitted = m;
	free(days);
	remap = xmalloc((set.n + 1) * sizeof(*remap));
	rfmset_sort(&set, remap);
	for (size_t c = 0; c < n; c++)	/* the customer just arrived: last */
		rs->which[c] = rs->which[c] == UINT32_MAX ? (uint32_t)set.n :
		    remap[rs->which[c]];
	free(remap);
	if (m == 0)
		snprintf(err, errlen, "no purchase by the calibration end: "
		    "nothing to fit the return model to");
	else if (return_fit_counts(&rs->fit, p->kind, set.unique, set.count,
	    set.n, err, errlen) == 0) {
		rs->nunique = set.n;
		rs->unique = xmalloc((set.n + 1) * sizeof(*rs->unique));
		memcpy(rs->unique, set.unique, set.n * sizeof(*rs->unique));
		rs->unique[set.n] = (struct rfm){ 0 };
		rs->alive = xmalloc((set.n + 1) * sizeof(*rs->alive));
		rs->expected = xmalloc((set.n + 1) * sizeof(*rs->expected));
		ok = score_all(rs) == 0;
		if (!ok)
			snprintf(err, errlen, "the fit (r %.3g, alpha %.3g, a %.3g, "
			    "b %.3g) gives no usable scores: %zu customer%s too "
			    "few to fit", rs->fit.r, rs->fit.alpha, rs->fit.a,
			    rs->fit.b, m, m == 1 ? " is" : "s are");
	}
	rfmset_free(&set);
	if (!ok) {
		return_scores_free(rs);
		return -1;
	}
	return 0;
}

double *
return_scores_expected_all(const struct return_scores *rs)
{
	double *e = xmalloc((rs->n + 1) * sizeof(*e));

	for (size_t c = 0; c < rs->n; c++)
		e[c] = return_scores_expected(rs, c);
	return e;
}

void
return_scores_free(struct return_scores *rs)
{
	free(rs->which);
	free(rs->unique);
	free(rs->alive);
	free(rs->expected);
	memset(rs, 0, sizeof(*rs));
}
