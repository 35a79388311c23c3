/* The return models on an interactions stream: see returns.h. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "radix.h"
#include "returns.h"
#include "rfmset.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"


/*
 * A customer's purchase days in 8 bytes (43M customers: 344 MB, where
 * three 32-bit days took 516): the first, as days after the first row's
 * day plus one (0: no purchase yet), the days from it to the last, and the
 * distinct days after the first (x). return_scores_compute refuses rows
 * that span MAX_DAYS days or more (5,741 years), which these fields could
 * not hold.
 */
struct days {
	uint64_t first : 22, span : 21, later : 21;
};
#define MAX_DAYS (1 << 21)

/* The rows the model reads: up to --rows, and to the calibration end. */
static size_t
rows_read(const struct return_scores *rs, const struct interactions *ia)
{
	const struct return_params *p = &rs->params;
	size_t rows = p->rows && p->rows < ia->n ? p->rows : ia->n;

	while (rows > 0 && ia->time[rows - 1] > p->calibration_end)
		rows--;
	return rows;
}

/*
 * One pass over the time-ordered rows: each customer's first and last
 * purchase days and the distinct days after the first. The customers come
 * in no order, so each row is a cache miss on the customer's entry; eight
 * bytes a customer, fetched ahead, keep it to one.
 */
static void
summarise(const struct return_scores *rs, const struct interactions *ia,
    size_t rows, struct days *days)
{
	int64_t day0 = rows ? time_day(ia->time[0]) : 0;

	for (size_t i = 0; i < rows; i++) {
		struct days *c = &days[ia->customer[i]];
		uint32_t d = (uint32_t)(time_day(ia->time[i]) - day0) + 1;

		if (i + 16 < rows)
			__builtin_prefetch(&days[ia->customer[i + 16]], 1);
		if (rs->params.event >= 0 && ia->event[i] != rs->params.event)
			continue;
		if (c->first == 0)
			c->first = d;
		else if (d != (uint32_t)(c->first + c->span)) {
			c->later++;
			c->span = d - c->first;
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

/*
 * A summary in whole days (the first purchase's since the epoch) as the
 * model reads it, in periods: one expression for one machine and shards,
 * so that both give the same bits.
 */
static struct rfm
rfm_of_days(const struct return_scores *rs, int64_t first, uint32_t span,
    uint32_t later)
{
	double period = rs->params.period_days * (double)MS_PER_DAY;

	return (struct rfm){ .x = later,
	    .t_x = (double)((int64_t)span * MS_PER_DAY) / period,
	    .T = (double)(rs->params.calibration_end - first * MS_PER_DAY) /
	    period };
}

/*
 * Purchases are days: times count from the start of the first purchase
 * day, and the last purchase is its day. Customers then share far fewer
 * summaries, each fitted and scored once, and a customer keeps only which
 * one is theirs (UINT32_MAX: no purchase). Most customers bought on one day
 * only, and their summary is that day's: found in an array by day, not
 * hashed. A customer's index is written over the days already read (4
 * bytes of the 8), so the days become rs->which without a second array of
 * tens of millions. Returns the customers with a purchase.
 */
static size_t
collect(struct return_scores *rs, const struct interactions *ia, size_t rows,
    struct days *days, struct rfmset *set)
{
	int64_t day0 = rows ? time_day(ia->time[0]) : 0;
	size_t ndays = rows ? (size_t)(time_day(ia->time[rows - 1]) - day0) + 2 : 1;
	uint32_t *one_day = xmalloc(ndays * sizeof(*one_day));
	unsigned char *which = (unsigned char *)days;
	size_t m = 0;

	for (size_t d = 0; d < ndays; d++)
		one_day[d] = UINT32_MAX;
	for (size_t c = 0; c < rs->n; c++) {
		struct days dc = days[c];
		uint32_t u = UINT32_MAX;

		if (dc.first != 0 && dc.later == 0 && one_day[dc.first] != UINT32_MAX)
			rfmset_again(set, u = one_day[dc.first]);
		else if (dc.first != 0) {
			struct rfm r = rfm_of_days(rs, day0 + dc.first - 1,
			    dc.span, dc.later);

			u = rfmset_add(set, &r);
			if (dc.later == 0)
				one_day[dc.first] = u;
		}
		m += dc.first != 0;
		memcpy(which + c * sizeof(u), &u, sizeof(u));
	}
	free(one_day);
	return m;
}

/*
 * What both ways of computing share: the days read into rs (which: an
 * index of set, UINT32_MAX for no purchase; set sorted, m customers with a
 * purchase), the fit to set and every customer's scores. Frees set.
 * Returns 0, or -1 with err filled (rs then holds nothing to free).
 */
static int
fit_and_score(struct return_scores *rs, struct rfmset *set, size_t m,
    char *err, size_t errlen)
{
	int ok = 0;

	rs->fitted = m;
	if (m == 0)
		snprintf(err, errlen, "no purchase by the calibration end: "
		    "nothing to fit the return model to");
	else if (return_fit_counts(&rs->fit, rs->params.kind, set->unique,
	    set->count, set->n, err, errlen) == 0) {
		rs->nunique = set->n;
		rs->unique = xmalloc((set->n + 1) * sizeof(*rs->unique));
		memcpy(rs->unique, set->unique, set->n * sizeof(*rs->unique));
		rs->unique[set->n] = (struct rfm){ 0 };
		rs->alive = xmalloc((set->n + 1) * sizeof(*rs->alive));
		rs->expected = xmalloc((set->n + 1) * sizeof(*rs->expected));
		ok = score_all(rs) == 0;
		if (!ok)
			snprintf(err, errlen, "the fit (r %.3g, alpha %.3g, a %.3g, "
			    "b %.3g) gives no usable scores: %zu customer%s too "
			    "few to fit", rs->fit.r, rs->fit.alpha, rs->fit.a,
			    rs->fit.b, m, m == 1 ? " is" : "s are");
	}
	rfmset_free(set);
	if (!ok) {
		return_scores_free(rs);
		return -1;
	}
	return 0;
}

/*
 * The first steps of both: params resolved, the rows' span checked, each
 * customer's days summarised into *days (the caller's to free). Returns
 * the rows read, or -1 with err filled.
 */
static long
begin(struct return_scores *rs, const struct interactions *ia,
    const struct return_params *p, struct days **days, char *err,
    size_t errlen)
{
	size_t n = intern_count(ia->customers), rows;

	memset(rs, 0, sizeof(*rs));
	rs->params = *p;
	if (rs->params.calibration_end == INT64_MIN)	/* the last row read */
		rs->params.calibration_end = ia->n ? ia->time[(p->rows &&
		    p->rows < ia->n ? p->rows : ia->n) - 1] : 0;
	rs->n = n;
	rows = rows_read(rs, ia);
	if (rows > 0 && time_day(ia->time[rows - 1]) - time_day(ia->time[0]) >=
	    MAX_DAYS - 1) {
		snprintf(err, errlen, "the rows span more than %d days: more "
		    "than the return model counts in", MAX_DAYS - 2);
		return -1;
	}
	/* No purchase yet. Zeroed in order: pages first touched at random
	   by the summary pass took it three times as long at 43M customers. */
	*days = xmalloc((n ? n : 1) * sizeof(**days));
	memset(*days, 0, n * sizeof(**days));
	summarise(rs, ia, rows, *days);
	return (long)rows;
}

int
return_scores_compute(struct return_scores *rs, const struct interactions *ia,
    const struct return_params *p, char *err, size_t errlen)
{
	size_t n = intern_count(ia->customers), m;
	long rows;
	struct days *days;
	struct rfmset set;
	uint32_t *remap;

	if ((rows = begin(rs, ia, p, &days, err, errlen)) < 0)
		return -1;
	rfmset_init(&set);
	m = collect(rs, ia, (size_t)rows, days, &set);
	rs->which = xrealloc(days, (n ? n : 1) * sizeof(*rs->which));
	remap = xmalloc((set.n + 1) * sizeof(*remap));
	rfmset_sort(&set, remap);
	for (size_t c = 0; c < n; c++)	/* the customer just arrived: last */
		rs->which[c] = rs->which[c] == UINT32_MAX ? (uint32_t)set.n :
		    remap[rs->which[c]];
	free(remap);
	return fit_and_score(rs, &set, m, err, errlen);
}

void
return_days_alloc(struct return_days *d, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->first = xmalloc((n + 1) * sizeof(*d->first));
	d->span = xmalloc((n + 1) * sizeof(*d->span));
	d->later = xmalloc((n + 1) * sizeof(*d->later));
	d->count = xmalloc((n + 1) * sizeof(*d->count));
}

int
return_days_of(struct return_days *d, const struct interactions *ia,
    const struct return_params *p, char *err, size_t errlen)
{
	struct return_scores rs;
	struct days *days;
	size_t n = intern_count(ia->customers), k = 0;
	uint64_t *key;
	long rows;
	int64_t day0 = ia->n ? time_day(ia->time[0]) : 0;

	memset(d, 0, sizeof(*d));
	if ((rows = begin(&rs, ia, p, &days, err, errlen)) < 0)
		return -1;
	/* first, span and later as one key: sorted, equal summaries are runs */
	key = xmalloc((n + 1) * sizeof(*key));
	for (size_t c = 0; c < n; c++)
		if (days[c].first != 0)
			key[k++] = (uint64_t)days[c].first << 42 |
			    (uint64_t)days[c].span << 21 | days[c].later;
	free(days);
	radix_sort_u64(key, NULL, k);
	return_days_alloc(d, k);
	for (size_t i = 0; i < k; i++) {
		if (d->n == 0 || key[i] != key[i - 1]) {
			d->first[d->n] = day0 + (int64_t)(key[i] >> 42) - 1;
			d->span[d->n] = (uint32_t)(key[i] >> 21 & (MAX_DAYS - 1));
			d->later[d->n] = (uint32_t)(key[i] & (MAX_DAYS - 1));
			d->count[d->n++] = 0;
		}
		d->count[d->n - 1]++;
	}
	free(key);
	return 0;
}

/* The order of summaries in days: first, then span, then later. */
static int
days_order(const struct return_days *a, size_t i, const struct return_days *b,
    size_t j)
{
	if (a->first[i] != b->first[j])
		return a->first[i] < b->first[j] ? -1 : 1;
	if (a->span[i] != b->span[j])
		return a->span[i] < b->span[j] ? -1 : 1;
	return (a->later[i] > b->later[j]) - (a->later[i] < b->later[j]);
}

void
return_days_add(struct return_days *into, const struct return_days *d)
{
	struct return_days m = { 0 };
	size_t i = 0, j = 0, cap = into->n + d->n;

	return_days_alloc(&m, cap);
	while (i < into->n || j < d->n) {
		int o = i == into->n ? 1 : j == d->n ? -1 :
		    days_order(into, i, d, j);
		const struct return_days *from = o <= 0 ? into : d;
		size_t at = o <= 0 ? i : j;

		m.first[m.n] = from->first[at];
		m.span[m.n] = from->span[at];
		m.later[m.n] = from->later[at];
		m.count[m.n] = (o <= 0 ? into->count[i] : 0) +
		    (o >= 0 ? d->count[j] : 0);
		m.n++;
		i += o <= 0;
		j += o >= 0;
	}
	return_days_free(into);
	*into = m;
}

void
return_days_free(struct return_days *d)
{
	free(d->first);
	free(d->span);
	free(d->later);
	free(d->count);
	memset(d, 0, sizeof(*d));
}

int
return_scores_compute_all(struct return_scores *rs,
    const struct interactions *ia, const struct return_params *p,
    const struct return_days *all, char *err, size_t errlen)
{
	size_t n = intern_count(ia->customers), m = 0;
	long rows;
	struct days *days;
	struct rfmset own, set;
	uint32_t *remap, *to;

	if ((rows = begin(rs, ia, p, &days, err, errlen)) < 0)
		return -1;
	rfmset_init(&own);
	collect(rs, ia, (size_t)rows, days, &own);
	rs->which = xrealloc(days, (n ? n : 1) * sizeof(*rs->which));
	/* Every shard's summaries, as one machine collects them. */
	rfmset_init(&set);
	for (size_t i = 0; i < all->n; i++) {
		struct rfm r = rfm_of_days(rs, all->first[i], all->span[i],
		    all->later[i]);
		uint32_t u = rfmset_add(&set, &r);

		set.count[u] += (double)all->count[i] - 1;
		m += all->count[i];
	}
	remap = xmalloc((set.n + 1) * sizeof(*remap));
	rfmset_sort(&set, remap);
	free(remap);
	/* Each of the shard's summaries where it is among every shard's. */
	to = xmalloc((own.n + 1) * sizeof(*to));
	for (size_t u = 0; u < own.n; u++)
		to[u] = rfmset_find(&set, &own.unique[u]);
	rfmset_free(&own);
	for (size_t c = 0; c < n; c++) {	/* just arrived: last */
		uint32_t u = rs->which[c];

		if (u != UINT32_MAX && to[u] == UINT32_MAX) {
			snprintf(err, errlen, "a customer's summary is not among "
			    "the shards' (bounds of other interactions?)");
			free(to);
			rfmset_free(&set);
			return_scores_free(rs);
			return -1;
		}
		rs->which[c] = u == UINT32_MAX ? (uint32_t)set.n : to[u];
	}
	free(to);
	return fit_and_score(rs, &set, m, err, errlen);
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
