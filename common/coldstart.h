/*
 * The cold-start part of the evaluation: a seeded tenth of the evaluable
 * products that have a name or a category (at most 1,000: those of the
 * smallest draws) is treated as new. Their training rows are hidden from
 * the name and category indexes, so they are found only by their names
 * and categories, as a product the model has never seen is
 * (model_new_audience): the buyers of the 20 training products (not
 * hidden) named most like each (names.h), by the names' cosine times the
 * buyers' weight, summed; then the buyers of the 50 heaviest training
 * products of its category, by their weights summed; then the engagement
 * order. Within each of the first two tiers a customer's score is the sum
 * over the tier's largest plus blend times their engagement score: names
 * say what a product is, engagement who buys at all. The same customers as
 * in the main evaluation are eligible.
 */
#ifndef AUD_COLDSTART_H
#define AUD_COLDSTART_H

#include <stddef.h>
#include <stdint.h>

#include "cooc.h"
#include "interactions.h"

struct cold_input {
	const struct interactions *ia;	/* with product names */
	const struct cooc *model;	/* of the training rows: buyers */
	const uint32_t *evaluable;	/* the evaluated products */
	size_t n;
	const uint8_t *present;		/* training customers */
	const struct product_customers *train;
	size_t kmax;
	uint64_t seed;
	const double *base;		/* per customer: the engagement score */
	double blend;			/* its weight in the first two tiers */
};

/*
 * The evaluable products treated as new: their places among the evaluable
 * ones, ascending, in which (room for n). Returns how many (0 when the
 * data has no names).
 */
size_t cold_pick(const struct cold_input *in, size_t *which);

/*
 * The audiences of the picked products: the j-th at out[j * kmax ..], its
 * size in got[j]; fallback[j * 2 kmax ..] (nfallback[j] of them) is the
 * engagement order without the product's customers.
 */
void cold_targets(const struct cold_input *in, const size_t *which,
    size_t picked, const uint32_t *fallback, const size_t *nfallback,
    uint32_t *out, size_t *got);

#endif
