/*
 * Feature computation: one pass over the rows for the per-customer sums,
 * one radix sort of (customer, product) pairs for the distinct products,
 * one pass over customers for normalisation and scores.
 */
#include "engagement.h"

#include <stdlib.h>
#include <string.h>

#include "radix.h"
#include "timeparse.h"
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

static void *
column(size_t n, size_t size)
{
	return xcalloc(n ? n : 1, size);
}

/* Distinct products per customer, from the sorted (customer, product) pairs. */
static void
count_unique_products(struct features *f, const struct interactions *ia,
    size_t nrows)
{
	uint64_t *pairs = xmalloc((nrows ? nrows : 1) * sizeof(*pairs));

	for (size_t i = 0; i < nrows; i++)
		pairs[i] = (uint64_t)ia->customer[i] << 32 | ia->product[i];
	radix_sort_u64(pairs, NULL, nrows);
	for (size_t i = 0; i < nrows; i++)
		if (i == 0 || pairs[i] != pairs[i - 1])
			f->unique_products[pairs[i] >> 32]++;
	free(pairs);
}

/* (v - min) / (max - min), or 0.5 when the column is constant. */
static double
normalise(double v, double min, double max)
{
	return max > min ? (v - min) / (max - min) : 0.5;
}

static void
scores(struct features *f, const struct feature_params *p)
{
	double lo[NENG], hi[NENG];
	int seen = 0;

	for (size_t c = 0; c < f->n; c++) {
		double v[NENG] = { f->total[c], f->unique_products[c], f->avg_score[c],
		    f->frequency[c], (double)f->recency_days[c] };

		if (f->total[c] == 0)
			continue;
		for (int k = 0; k < NENG; k++) {
			if (!seen || v[k] < lo[k])
				lo[k] = v[k];
			if (!seen || v[k] > hi[k])
				hi[k] = v[k];
		}
		seen = 1;
	}
	for (size_t c = 0; c < f->n; c++) {
		const double *w = p->engagement_weight;
		double eng;

		if (f->total[c] == 0)
			continue;
		eng = w[ENG_TOTAL] * normalise(f->total[c], lo[ENG_TOTAL], hi[ENG_TOTAL]) +
		    w[ENG_UNIQUE] * normalise(f->unique_products[c], lo[ENG_UNIQUE], hi[ENG_UNIQUE]) +
		    w[ENG_AVG] * normalise(f->avg_score[c], lo[ENG_AVG], hi[ENG_AVG]) +
		    w[ENG_FREQUENCY] * normalise(f->frequency[c], lo[ENG_FREQUENCY], hi[ENG_FREQUENCY]) +
		    w[ENG_RECENCY] * (1 - normalise((double)f->recency_days[c],
		    lo[ENG_RECENCY], hi[ENG_RECENCY]));
		f->engagement[c] = eng;
		f->activity[c] = (double)f->recent_rows[c] / (double)(f->recency_days[c] + 1);
	}
}

void
features_compute(struct features *f, const struct interactions *ia,
    size_t nrows, const struct feature_params *p)
{
	size_t n = intern_count(ia->customers);
	int purchased = interactions_event(ia, "purchased");
	uint32_t *purchases;
	int64_t recent_from;

	memset(f, 0, sizeof(*f));
	f->n = n;
	f->total = column(n, sizeof(*f->total));
	f->unique_products = column(n, sizeof(*f->unique_products));
	f->days_active = column(n, sizeof(*f->days_active));
	f->recent_rows = column(n, sizeof(*f->recent_rows));
	f->first = column(n, sizeof(*f->first));
	f->last = column(n, sizeof(*f->last));
	f->recency_days = column(n, sizeof(*f->recency_days));
	f->total_score = column(n, sizeof(*f->total_score));
	f->avg_score = column(n, sizeof(*f->avg_score));
	f->purchase_rate = column(n, sizeof(*f->purchase_rate));
	f->frequency = column(n, sizeof(*f->frequency));
	f->engagement = column(n, sizeof(*f->engagement));
	f->activity = column(n, sizeof(*f->activity));
	purchases = column(n, sizeof(*purchases));
	if (nrows == 0) {
		free(purchases);
		return;
	}
	f->max_time = ia->time[nrows - 1];	/* rows are in time order */
	recent_from = f->max_time - p->recent_days * MS_PER_DAY;
	for (size_t i = 0; i < nrows; i++) {
		uint32_t c = ia->customer[i];

		if (f->total[c]++ == 0) {
			f->first[c] = ia->time[i];
			f->present++;
		}
		f->last[c] = ia->time[i];
		f->total_score[c] += p->event_weight[ia->event[i]];
		purchases[c] += ia->event[i] == purchased;
		f->recent_rows[c] += ia->time[i] >= recent_from;
	}
	count_unique_products(f, ia, nrows);
	for (size_t c = 0; c < n; c++) {
		if (f->total[c] == 0)
			continue;
		f->avg_score[c] = f->total_score[c] / f->total[c];
		f->purchase_rate[c] = (double)purchases[c] / f->total[c];
		f->days_active[c] = (uint32_t)((f->last[c] - f->first[c]) / MS_PER_DAY + 1);
		f->frequency[c] = (double)f->total[c] / f->days_active[c];
		f->recency_days[c] = (f->max_time - f->last[c]) / MS_PER_DAY;
	}
	free(purchases);
	scores(f, p);
}

void
features_free(struct features *f)
{
	free(f->total);
	free(f->unique_products);
	free(f->days_active);
	free(f->recent_rows);
	free(f->first);
	free(f->last);
	free(f->recency_days);
	free(f->total_score);
	free(f->avg_score);
	free(f->purchase_rate);
	free(f->frequency);
	free(f->engagement);
	free(f->activity);
	memset(f, 0, sizeof(*f));
}
