/*
 * Whether collaborative filtering can work on the data (aud-cf-check):
 * implicit ALS trained on the first part of a temporal split ranks, for each
 * evaluated product, every training customer by the dot product of their
 * factors and targets the best k who had not touched the product; precision
 * and recall of that against the later rows are set beside random targeting
 * (its exact expectation), the most active customers, and customers of
 * popular products, on the same products. Definitions in aud-cf-check(1).
 */
#ifndef AUD_CFCHECK_H
#define AUD_CFCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "als.h"
#include "groups.h"
#include "interactions.h"

#define CF_MAX_K 8

enum { CF_ALS, CF_RANDOM, CF_MOST_ACTIVE, CF_POPULARITY, CF_NMETHODS };
extern const char *const cf_method_name[CF_NMETHODS];

struct cf_params {
	struct als_params als;
	size_t iterations;
	double alpha;
	double train_fraction;
	const int64_t *ks;
	size_t nk;
	size_t sample;			/* products to evaluate; 0: all */
	uint64_t seed;			/* of the factors and the sample */
	/* Called after each iteration with its loss and the seconds it took. */
	void (*on_iteration)(void *ctx, size_t iteration, double loss,
	    double seconds);
	void *ctx;
};

struct cf_result {
	struct cf_params p;
	size_t rows, train_rows, test_rows;
	int64_t split_time;		/* time of the first test row */
	size_t train_customers, train_products, test_customers, returning;
	uint64_t nonzeros;		/* distinct training (customer, product) */
	size_t evaluable, evaluated, with_relevant;
	double *loss;			/* per iteration */
	double train_seconds;		/* in the ALS iterations */
	double eval_seconds;		/* scoring and comparing the methods */
	double precision[CF_NMETHODS][CF_MAX_K], recall[CF_NMETHODS][CF_MAX_K];
};

/* ALS as aud-cf-check(1) trains it by default: 50 factors, 3 CG steps,
   regularization 0.01, 15 iterations, alpha 1, every core; the rest 0. */
void cf_params_default(struct cf_params *p);

/* Returns 0, or -1 when a part of the split would be empty. */
int cf_check(struct cf_result *r, const struct interactions *ia,
    const struct cf_params *p);
void cf_result_free(struct cf_result *r);

/*
 * ALS trained on the rows [0, ntrain) of ia as p says, then, for each of
 * products[0..n) (all with training rows), the kmax training customers
 * (present) who had not touched it with the highest scores, ties to the
 * lower id: customer indices at out[i * kmax ..], their number in got[i].
 */
void cf_als_targets(const struct interactions *ia, size_t ntrain,
    const struct cf_params *p, const struct product_customers *train,
    const uint8_t *present, const uint32_t *products, size_t n, size_t kmax,
    uint32_t *out, size_t *got);

/* Per customer, the summed number of customers of the products they had:
   the popularity baseline. popular[] must start at 0. */
void cf_popularity(const struct product_customers *train, double *popular);

/* A sentence that follows from the figures at the first cut-off. */
void cf_conclusion(const struct cf_result *r, char *buf, size_t len);
void cf_write_json(FILE *out, const struct cf_result *r);

#endif
