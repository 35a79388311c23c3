/*
 * The return models applied to an interactions stream (aud-features
 * --return-model): each customer's purchase summary over the calibration
 * period, the fit, and each customer's P(alive) and expected purchases.
 */
#ifndef AUD_RETURNS_H
#define AUD_RETURNS_H

#include <stddef.h>
#include <stdint.h>

#include "interactions.h"
#include "returnmodel.h"

struct return_params {
	enum return_kind kind;
	double period_days;		/* the unit of t_x, T and the horizon */
	int64_t calibration_end;	/* ms; rows after it are ignored;
					   INT64_MIN: the data's last time */
	double horizon;			/* periods ahead for expected purchases */
	int event;			/* the purchase event's index; -1: all */
	size_t rows;			/* only the first rows; 0: all */
};

/*
 * Customers share few summaries, so a customer holds only which is theirs
 * (4 bytes, not the 40 of a summary and two scores: gigabytes at tens of
 * millions of customers); the summaries hold the scores.
 */
struct return_scores {
	struct return_params params;	/* calibration_end resolved */
	struct return_fit fit;
	size_t n;			/* customers, as in the interactions */
	uint32_t *which;		/* per customer: an index below */
	size_t nunique;			/* distinct summaries; one more, last,
					   for the customer just arrived */
	struct rfm *unique;
	double *alive, *expected;	/* per summary */
	size_t fitted;			/* customers with a purchase by the end */
};

/*
 * Summarises every customer (x: purchase days after the first; t_x: the
 * last purchase day, and T: the calibration end, both in periods after the
 * start of the first purchase day), fits the model to those with a
 * purchase by the end and scores every customer; one with none is scored
 * as a customer just arrived (x = t_x = T = 0). Returns 0, or -1 with err
 * filled when there is nothing to fit (rs then holds nothing to free).
 */
int return_scores_compute(struct return_scores *rs,
    const struct interactions *ia, const struct return_params *p, char *err,
    size_t errlen);
void return_scores_free(struct return_scores *rs);

/*
 * A shard's purchase summaries in whole days, for a fit to every shard's
 * (aud-features --partial, --combine, --bounds with --return-model): each
 * distinct (first purchase day, days from it to the last, purchase days
 * after the first) with its customers, ascending. Days count from the
 * epoch, so that shards' summaries add up whatever each one's first row.
 */
struct return_days {
	size_t n;
	int64_t *first;
	uint32_t *span, *later;
	uint64_t *count;
};

/* Room for n summaries, none yet. */
void return_days_alloc(struct return_days *d, size_t n);
/* The summaries of ia's customers. Returns 0, or -1 with err filled. */
int return_days_of(struct return_days *d, const struct interactions *ia,
    const struct return_params *p, char *err, size_t errlen);
/* Adds d's customers to into's, keeping the order. */
void return_days_add(struct return_days *into, const struct return_days *d);
void return_days_free(struct return_days *d);

/*
 * As return_scores_compute for the customers of ia, a shard, but the fit
 * is to every shard's summaries (all): the one machine's fit, so each
 * customer's scores are the one machine's. p's calibration end must be
 * resolved (the whole data's last time by default, not the shard's).
 */
int return_scores_compute_all(struct return_scores *rs,
    const struct interactions *ia, const struct return_params *p,
    const struct return_days *all, char *err, size_t errlen);

/* Customer c's summary and scores. */
static inline const struct rfm *
return_scores_rfm(const struct return_scores *rs, size_t c)
{
	return &rs->unique[rs->which[c]];
}

static inline double
return_scores_p_alive(const struct return_scores *rs, size_t c)
{
	return rs->alive[rs->which[c]];
}

static inline double
return_scores_expected(const struct return_scores *rs, size_t c)
{
	return rs->expected[rs->which[c]];
}

/* Every customer's expected purchases, in a new array (the caller's). */
double *return_scores_expected_all(const struct return_scores *rs);

#endif
