/*
 * The honest evaluation of targeting (aud-rank --eval): a temporal split,
 * features and audiences from the training rows only, and, per cut-off k,
 * how often the audiences hold the customers who engage with the product
 * later and the customers who come back at all, against the exact
 * expectation of random targeting and against each baseline, with intervals
 * of a bootstrap that resamples products and customers together
 * (pigeonhole.h), and how many distinct customers the audiences hold.
 * The definitions are in aud-rank(1).
 */
#ifndef AUD_EVALUATE_H
#define AUD_EVALUATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capping.h"
#include "comeback.h"
#include "cfcheck.h"
#include "cooc.h"
#include "interactions.h"

#define EVAL_MAX_K 8
#define EVAL_NCAPS 4		/* 1, 3, 10 audiences a customer, no cap */
extern const uint64_t eval_caps[EVAL_NCAPS];

/* Random comes last: the lifts are against it. */
enum { METHOD_ENGAGEMENT, METHOD_ACTIVITY, METHOD_POPULARITY,
	METHOD_COOCCURRENCE, METHOD_ALS, METHOD_RETURN, METHOD_RANDOM, NMETHODS };
extern const char *const method_name[NMETHODS];

/* Engagement, activity, popularity and ALS: what a model must beat. */
int eval_baseline(int method);

/* In eval_params.methods: the cold-start section (coldstart.h). */
#define EVAL_COLD_START (1u << NMETHODS)

struct eval_params {
	double train_fraction;
	const struct cooc_params *cooc;	/* its event weights are filled in */
	double blend;			/* of engagement into relevance */
	const struct cf_params *als;	/* NULL: ALS is left out */
	const int64_t *ks;
	size_t nk;
	size_t bootstrap;		/* 0: no intervals */
	uint64_t seed;
	unsigned threads;
	size_t rows;			/* the first rows split, 0: all */
	unsigned methods;		/* 1 << METHOD_x each, and
					   EVAL_COLD_START with cooccurrence;
					   0: all, and the cold-start section */
	double new_blend;		/* coldstart.h: engagement's weight */
};

/* A ratio of two figures, with the 95% interval of the two-way bootstrap. */
struct eval_lift {
	double lift, lo, hi;
};

struct eval_at_k {
	double precision, recall, active_share;
	/* The lifts are all NaN for random itself and where undefined. */
	struct eval_lift hit_lift, active_lift;	/* against random */
	/* Against each baseline that ran (eval_baseline), NaN against the
	   other methods; names found in the cold-start section against its
	   global list, the engagement order. */
	struct eval_lift hit_vs[METHOD_RANDOM];
	/* Against the best baseline (eval_baseline) at this cut-off; in
	   each replicate the best is taken again. */
	struct eval_lift hit_vs_best;
	size_t distinct;		/* customers in any audience */
	size_t most;			/* audiences the most targeted one is in */
};

struct eval_result {
	double train_fraction;
	size_t train_rows, test_rows;
	int64_t split_time;		/* time of the first test row */
	size_t train_customers, test_customers, returning_customers;
	size_t train_products, test_products, evaluable, with_relevant;
	size_t nk;
	int64_t ks[EVAL_MAX_K];
	int done[NMETHODS];		/* the methods evaluated */
	struct eval_at_k at[NMETHODS][EVAL_MAX_K];
	int best[EVAL_MAX_K];		/* the baseline of highest precision
					   (the first in method order of
					   equals), -1 when none ran */
	/* Products treated as new (coldstart.h): the global list (the
	   engagement order) and the audiences found by name. */
	size_t cold_products;
	int cold_categories;		/* found by category too */
	struct eval_at_k cold_global[EVAL_MAX_K], cold_name[EVAL_MAX_K];
	/* Who comes back, by the methods with a customer score. */
	int come_back_done[NMETHODS];
	struct comeback_at come_back[NMETHODS][COMEBACK_NQ];
	/* What capping costs (capping.h), at the middle cut-off. */
	struct cap_result capped[NMETHODS][EVAL_NCAPS];
	size_t bootstrap;
	uint64_t seed;
};

/* Returns 0, or -1 when a part of the split would be empty. */
int evaluate(struct eval_result *r, const struct interactions *ia,
    const struct eval_params *p);
void eval_write_json(FILE *out, const struct eval_result *r);
void eval_write_text(FILE *out, const struct eval_result *r);

#endif
