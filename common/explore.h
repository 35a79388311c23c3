/*
 * The profile of an interactions stream (aud-explore): its size, span and
 * sparsity, how many customers come back after a temporal split, how active
 * customers are, how many products are new late on, the events, and the
 * daily activity. The definitions are in aud-explore(1); they are those of
 * the pandas computation the figures are checked against.
 */
#ifndef AUD_EXPLORE_H
#define AUD_EXPLORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "interactions.h"

/* Below this retention, collaborative filtering has too few repeat customers. */
#define EXPLORE_RETENTION_THRESHOLD_PCT 10.0

struct explore_day {
	int64_t day;			/* days since 1970-01-01, UTC */
	size_t interactions, active_users, new_users;
};

struct explore_count {
	uint64_t interactions;		/* rows per user */
	size_t users;			/* users with that many rows */
};

struct profile {
	size_t rows, users, products;
	int64_t first, last;		/* ms since the epoch */
	double quantile;		/* where the split is, 0.8 */
	double split;			/* the quantile of the times, in ms */
	size_t early_users, late_users, returning_users;
	size_t early_products, late_products, new_products;
	double median_per_user;
	size_t one_time, low_activity, power;
	uint64_t *event_count;		/* per event of the interactions */
	struct explore_day *days;	/* days with rows, ascending */
	size_t ndays;
	struct explore_count *counts;	/* ascending by interactions */
	size_t ncounts;
};

/* Returns 0, or -1 when there are no rows to profile. */
int profile_compute(struct profile *pr, const struct interactions *ia,
    double quantile);
void profile_free(struct profile *pr);

void profile_write_json(FILE *out, const struct profile *pr,
    const struct interactions *ia);
void profile_write_text(FILE *out, const struct profile *pr,
    const struct interactions *ia);

#endif
