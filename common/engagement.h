/*
 * Engagement features of customers, computed from interactions (the
 * definitions are in aud-features(1)). Customers are indexed as in the
 * interactions' customer table; a customer with no row in the rows used has
 * total == 0 and takes no part in normalisation or ranking.
 */
#ifndef AUD_ENGAGEMENT_H
#define AUD_ENGAGEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "interactions.h"
#include "timeparse.h"

/* The default event weights, by event name; any other event weighs 1.0. */
struct event_weight {
	const char *event;
	double weight;
};
extern const struct event_weight default_event_weights[];

/* Weights of the normalised features in the engagement score. */
enum { ENG_TOTAL, ENG_UNIQUE, ENG_AVG, ENG_FREQUENCY, ENG_RECENCY, NENG };
extern const char *const engagement_part_name[NENG];
extern const double default_engagement_weights[NENG];

struct feature_params {
	double *event_weight;		/* per event index of the interactions */
	double engagement_weight[NENG];
	int64_t recent_days;		/* R of the activity score */
};

/*
 * What is summed per customer; the other features derive from it (below),
 * so that tens of millions of customers cost 56 bytes each.
 */
struct customer_sums {
	int64_t first, last;		/* times of the first and last rows */
	double score;			/* sum of event weights */
	uint32_t total, unique, purchases, recent;
};

struct features {
	size_t n;			/* customers, as in the interactions */
	size_t present;			/* customers with at least one row */
	int64_t max_time;		/* latest time of the rows used */
	struct customer_sums *sum;
	double *engagement, *activity;
};

static inline double
features_avg_score(const struct customer_sums *s)
{
	return s->score / s->total;
}

static inline double
features_purchase_rate(const struct customer_sums *s)
{
	return (double)s->purchases / s->total;
}

static inline uint32_t
features_days_active(const struct customer_sums *s)
{
	return (uint32_t)((s->last - s->first) / MS_PER_DAY + 1);
}

static inline double
features_frequency(const struct customer_sums *s)
{
	return (double)s->total / features_days_active(s);
}

static inline int64_t
features_recency_days(const struct features *f, const struct customer_sums *s)
{
	return (f->max_time - s->last) / MS_PER_DAY;
}

/*
 * Fills p with the default weights for the events of ia, then applies
 * "EVENT=W" overrides. Returns 0, or -1 for a malformed override (which
 * names an event the data lacks are fine: they change nothing).
 */
void feature_params_init(struct feature_params *p, const struct interactions *ia);
int feature_params_override(struct feature_params *p,
    const struct interactions *ia, const char *event, double weight);
void feature_params_free(struct feature_params *p);

/* Computes the features of the first nrows rows of ia (all: ia->n). */
void features_compute(struct features *f, const struct interactions *ia,
    size_t nrows, const struct feature_params *p);
/* Only the per-customer sums of ia's rows, not the scores: what a shard's
   bounds (features_bounds) are found from. */
void features_sum(struct features *f, const struct interactions *ia,
    const struct feature_params *p);

/*
 * What the engagement score's normalisation takes from all the customers:
 * the latest time, and the least and greatest value of each part (of
 * recency through the least and greatest last times, as recency counts
 * back from the latest time). Customer shards each find theirs, combine
 * them, and compute their features within the result, so that every
 * customer gets the scores the whole data gives (aud-features(1),
 * "Shards").
 */
struct feature_bounds {
	uint64_t customers;		/* with a row; 0: no bounds yet */
	int64_t max_time;
	int64_t min_last, max_last;
	double lo[NENG], hi[NENG];	/* recency's unused */
};

/* The bounds of f's customers. */
void features_bounds(struct feature_bounds *b, const struct features *f);
/* Widens into to hold b as well. */
void feature_bounds_combine(struct feature_bounds *into,
    const struct feature_bounds *b);
/* Computes the features of ia's rows normalised within b (which holds
   them). */
void features_compute_within(struct features *f, const struct interactions *ia,
    const struct feature_params *p, const struct feature_bounds *b);
void features_free(struct features *f);

#endif
