/*
 * Feature computation: one pass over the rows for the per-customer sums,
 * one radix sort of (customer, product) pairs for the distinct products,
 * one pass over customers for normalisation and scores.
 */
#include "engagement.h"

#include <stdlib.h>
#include <string.h>

#include "radix.h"
#include "xalloc.h"
#include "banned.h"

const struct event_weight default_event_weights[] = {
	{ "purchased", 5.0 }, { "cart", 3.0 }, { "rating", 2.5 },
	{ "wishlist", 2.0 }, { "search_keyword", 1.0 }, { NULL, 0 }
};

const char *const engagement_part_name[NENG] = {
	"total", "unique", "avg", "frequency", "recency"
};
const double default_engagement_weights[NENG] = { 0.35, 0.25, 0.20, 0.15, 0.05 };

void
feature_params_init(struct feature_params *p, const struct interactions *ia)
{
	p->event_weight = xmalloc((ia->nevents ? ia->nevents : 1) * sizeof(double));
	for (size_t e = 0; e < ia->nevents; e++) {
		p->event_weight[e] = 1.0;
		for (const struct event_weight *d = default_event_weights; d->event; d++)
			if (strcmp(d->event, ia->event_names[e]) == 0)
				p->event_weight[e] = d->weight;
	}
	memcpy(p->engagement_weight, default_engagement_weights,
	    sizeof(p->engagement_weight));
	p->recent_days = 30;
}

int
feature_params_override(struct feature_params *p, const struct interactions *ia,
    const char *event, double weight)
{
	int e = interactions_event(ia, event);

	if (*event == '\0')
		return -1;
	if (e >= 0)
		p->event_weight[e] = weight;
	return 0;
}

void
feature_params_free(struct feature_params *p)
{
	free(p->event_weight);
	p->event_weight = NULL;
}

/*
 * Distinct products per customer, from the sorted (customer, product)
 * pairs. A customer with one row has one product, and most customers have
 * one row, so only the rows of the others are sorted.
 */
static void
count_unique_products(struct features *f, const struct interactions *ia,
    size_t nrows)
{
	uint64_t *pairs = xmalloc((nrows ? nrows : 1) * sizeof(*pairs));
	size_t m = 0;

	for (size_t i = 0; i < nrows; i++) {
		struct customer_sums *s = &f->sum[ia->customer[i]];

		if (i + 8 < nrows)
			__builtin_prefetch(&f->sum[ia->customer[i + 8]]);
		if (s->total == 1)
			s->unique = 1;
		else
			pairs[m++] = (uint64_t)ia->customer[i] << 32 | ia->product[i];
	}
	radix_sort_u64(pairs, NULL, m);
	for (size_t i = 0; i < m; i++)
		if (i == 0 || pairs[i] != pairs[i - 1])
			f->sum[pairs[i] >> 32].unique++;
	free(pairs);
}

/* (v - min) / (max - min), or 0.5 when the column is constant. */
static double
normalise(double v, double min, double max)
{
	return max > min ? (v - min) / (max - min) : 0.5;
}

/* The parts of the engagement score of one customer, before normalising. */
static void
parts(const struct features *f, const struct customer_sums *s, double *v)
{
	v[ENG_TOTAL] = s->total;
	v[ENG_UNIQUE] = s->unique;
	v[ENG_AVG] = features_avg_score(s);
	v[ENG_FREQUENCY] = features_frequency(s);
	v[ENG_RECENCY] = (double)features_recency_days(f, s);
}

void
features_bounds(struct feature_bounds *b, const struct features *f)
{
	double v[NENG];

	memset(b, 0, sizeof(*b));
	b->max_time = f->max_time;
	for (size_t c = 0; c < f->n; c++) {
		const struct customer_sums *s = &f->sum[c];

		if (s->total == 0)
			continue;
		parts(f, s, v);
		for (int k = 0; k < NENG; k++) {
			if (b->customers == 0 || v[k] < b->lo[k])
				b->lo[k] = v[k];
			if (b->customers == 0 || v[k] > b->hi[k])
				b->hi[k] = v[k];
		}
		if (b->customers == 0 || s->last < b->min_last)
			b->min_last = s->last;
		if (b->customers == 0 || s->last > b->max_last)
			b->max_last = s->last;
		b->customers++;
	}
}

void
feature_bounds_combine(struct feature_bounds *into, const struct feature_bounds *b)
{
	if (b->customers == 0)
		return;
	if (into->customers == 0) {
		*into = *b;
		return;
	}
	for (int k = 0; k < NENG; k++) {
		if (b->lo[k] < into->lo[k])
			into->lo[k] = b->lo[k];
		if (b->hi[k] > into->hi[k])
			into->hi[k] = b->hi[k];
	}
	if (b->max_time > into->max_time)
		into->max_time = b->max_time;
	if (b->min_last < into->min_last)
		into->min_last = b->min_last;
	if (b->max_last > into->max_last)
		into->max_last = b->max_last;
	into->customers += b->customers;
}

/*
 * The scores, each part normalised within b; recency's bounds are those of
 * b's last times counted back from b's latest time, which are the least
 * and greatest recency of its customers (the count is monotone).
 */
static void
scores(struct features *f, const struct feature_params *p,
    const struct feature_bounds *b)
{
	double lo[NENG], hi[NENG], v[NENG];
	const double *w = p->engagement_weight;

	memcpy(lo, b->lo, sizeof(lo));
	memcpy(hi, b->hi, sizeof(hi));
	lo[ENG_RECENCY] = (double)((b->max_time - b->max_last) / MS_PER_DAY);
	hi[ENG_RECENCY] = (double)((b->max_time - b->min_last) / MS_PER_DAY);
	for (size_t c = 0; c < f->n; c++) {
		const struct customer_sums *s = &f->sum[c];

		if (s->total == 0)
			continue;
		parts(f, s, v);
		f->engagement[c] = w[ENG_TOTAL] * normalise(v[ENG_TOTAL], lo[ENG_TOTAL], hi[ENG_TOTAL]) +
		    w[ENG_UNIQUE] * normalise(v[ENG_UNIQUE], lo[ENG_UNIQUE], hi[ENG_UNIQUE]) +
		    w[ENG_AVG] * normalise(v[ENG_AVG], lo[ENG_AVG], hi[ENG_AVG]) +
		    w[ENG_FREQUENCY] * normalise(v[ENG_FREQUENCY], lo[ENG_FREQUENCY], hi[ENG_FREQUENCY]) +
		    w[ENG_RECENCY] * (1 - normalise(v[ENG_RECENCY], lo[ENG_RECENCY], hi[ENG_RECENCY]));
		f->activity[c] = (double)s->recent / (double)(v[ENG_RECENCY] + 1);
	}
}

/* The per-customer sums of the first nrows rows, recency counted back from
   max_time. */
static void
sums(struct features *f, const struct interactions *ia, size_t nrows,
    const struct feature_params *p, int64_t max_time)
{
	size_t n = intern_count(ia->customers);
	int purchased = interactions_event(ia, "purchased");
	int64_t recent_from;

	memset(f, 0, sizeof(*f));
	f->n = n;
	f->sum = xcalloc(n ? n : 1, sizeof(*f->sum));
	f->engagement = xcalloc(n ? n : 1, sizeof(*f->engagement));
	f->activity = xcalloc(n ? n : 1, sizeof(*f->activity));
	/* Said even with no row: an empty shard's features are of that time. */
	f->max_time = max_time;
	if (nrows == 0)
		return;
	recent_from = f->max_time - p->recent_days * MS_PER_DAY;
	/* Rows come in time order, customers at random: one cache line each. */
	for (size_t i = 0; i < nrows; i++) {
		struct customer_sums *s = &f->sum[ia->customer[i]];

		if (i + 8 < nrows)
			__builtin_prefetch(&f->sum[ia->customer[i + 8]], 1);
		if (s->total++ == 0) {
			s->first = ia->time[i];
			f->present++;
		}
		s->last = ia->time[i];
		s->score += p->event_weight[ia->event[i]];
		s->purchases += ia->event[i] == purchased;
		s->recent += ia->time[i] >= recent_from;
	}
	count_unique_products(f, ia, nrows);
}

void
features_compute(struct features *f, const struct interactions *ia,
    size_t nrows, const struct feature_params *p)
{
	struct feature_bounds b;

	/* rows are in time order: the last is the latest */
	sums(f, ia, nrows, p, nrows > 0 ? ia->time[nrows - 1] : 0);
	if (nrows == 0)
		return;
	features_bounds(&b, f);
	scores(f, p, &b);
}

void
features_sum(struct features *f, const struct interactions *ia,
    const struct feature_params *p)
{
	sums(f, ia, ia->n, p, ia->n > 0 ? ia->time[ia->n - 1] : 0);
}

void
features_compute_within(struct features *f, const struct interactions *ia,
    const struct feature_params *p, const struct feature_bounds *b)
{
	sums(f, ia, ia->n, p, b->max_time);
	if (ia->n > 0)
		scores(f, p, b);
}

void
features_free(struct features *f)
{
	free(f->sum);
	free(f->engagement);
	free(f->activity);
	memset(f, 0, sizeof(*f));
}
