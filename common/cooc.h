/*
 * Product-aware audiences from co-occurrence: two products are similar when
 * the same customers touched both, and a customer is relevant to product P
 * when the products in their history are similar to P. The definitions are
 * in aud-rank(1), section "The co-occurrence model".
 *
 * A customer's weight for a product, w(c, p), sums the event weights of
 * their rows with it, each halved every half-life before the last training
 * time. The similarity of p to q is
 *
 *	sim(p, q) = sum over c of w(c, p) w(c, q) / (|p|^2 |q|^2)^alpha
 *
 * with |p|^2 the sum of w(c, p)^2 (alpha 0.5 is the cosine; more damps
 * popular products), and each product keeps its M most similar others. The
 * similarity resting on fewer than min_support shared customers is taken
 * for chance and dropped (on data without product structure nearly every
 * pair is), so such products fall back to the engagement order. The
 * relevance of customer c to P is the sum, over P's neighbours q, of
 * sim(P, q) w(c, q). Pairs cost the sum over customers of their distinct
 * products squared; customers with more than max_history distinct products
 * (wholesalers, crawlers) add their max_history heaviest only.
 *
 * The sums over customers are exact (fixedsum.h) and ties go by id, not by
 * index, so that nothing depends on the order customers and products were
 * first seen in: a customer shard's share of the model is the whole
 * data's.
 *
 * When products have categories, a customer's affinity to P's category
 * (category.h: the sum of their weights for its products, among its
 * CATEGORY_DEPTH most attached customers) is a further signal beside the
 * relevance, and the back-off of a product with few or no neighbours.
 */
#ifndef AUD_COOC_H
#define AUD_COOC_H

#include <stddef.h>
#include <stdint.h>

#include "category.h"
#include "fixedsum.h"
#include "interactions.h"

/* The customers each category keeps (category.h). */
#define CATEGORY_DEPTH 1000

/* Reasons besides a neighbour's index. */
#define COOC_REASON_FALLBACK UINT32_MAX		/* the fallback order */
#define COOC_REASON_CATEGORY (UINT32_MAX - 1)	/* the product's category */

struct cooc_params {
	const double *event_weight;	/* per event index of the interactions */
	double half_life_days;		/* 0: no decay */
	double alpha;			/* popularity exponent */
	size_t neighbours;		/* M */
	size_t max_history;
	uint32_t min_support;		/* customers two neighbours share */
	int64_t decay_end;		/* ages count back from this time */
	double category_weight;		/* of the category affinity beside
					   relevance; 0: categories unused */
	unsigned threads;
};

struct cooc {
	size_t nproducts, ncustomers;
	/* The customers of each product with their weights, ascending. */
	uint64_t *pstart;
	uint32_t *pcustomer;
	float *pweight;
	/* Each customer's and product's place in id order: ties go by id,
	   so that a customer shard orders them as all the data does. */
	uint32_t *customer_rank, *product_rank;
	/* Each product's neighbours, most similar first (ties: lower id). */
	uint64_t *nstart;
	uint32_t *nproduct;
	float *nsim;
	/* Set when the products have categories and the weight is not 0. */
	uint32_t *category_of;		/* per product, or CATEGORY_NONE */
	struct category_top categories;
	double category_weight;
};

/* Builds the model from the rows [0, nrows) of ia. */
void cooc_build(struct cooc *m, const struct interactions *ia, size_t nrows,
    const struct cooc_params *p);
void cooc_free(struct cooc *m);

/*
 * The two halves of cooc_build, for a customer shard's share of the sums
 * (coocpairs.h). The histories pairs are made from: each customer's
 * products (their max_history heaviest), ascending, and the same
 * product-major, customers ascending.
 */
struct cooc_history {
	uint64_t *start;		/* customer c's: [start[c], start[c + 1]) */
	uint32_t *product;
	float *weight;
	uint64_t *pstart;		/* product p's: [pstart[p], pstart[p + 1]) */
	uint32_t *pcustomer;
	float *pweight;
	int capped;			/* else the product-major arrays are the
					   model's own */
};

/* Fills m's weights and id ranks, not its neighbours, and h (NULL:
   none, for neighbours that come from elsewhere). */
void cooc_weigh(struct cooc *m, struct cooc_history *h,
    const struct interactions *ia, size_t nrows, const struct cooc_params *p);
void cooc_history_free(struct cooc_history *h);

/* Fills m's categories from ia's (which has them): each product's, each
   category's most attached customers, and the weight of their affinity. */
void cooc_categorise(struct cooc *m, const struct interactions *ia,
    double weight);

/* The model's products in ascending id order (its product_rank inverted);
   the caller frees it. */
uint32_t *cooc_products_by_id(const struct cooc *m);

/* |p|^2: the sum of the squares of p's customers' weights. */
fixed_sum cooc_norm2(const struct cooc *m, size_t p);

/*
 * Sums into acc[q] the products of weights, and into support[q] the
 * customers, p shares with every other product q; the q touched (their
 * support was 0) are written to touched, their count returned. The caller
 * sets both back to 0.
 */
size_t cooc_accumulate(const struct cooc_history *h, size_t p, fixed_sum *acc,
    uint32_t *support, uint32_t *touched);

/* sim(p, q) from the sum of products and |p|^2 |q|^2; 0 when not positive. */
float cooc_similarity(fixed_sum acc, double norm2_p, double norm2_q,
    double alpha);

/* A product with a weight or a similarity. */
struct cooc_weighted {
	uint32_t product;
	float weight;
};

/* Heaviest first; ties to the lower product_rank (NULL: the lower
   product, when products are numbered in id order). */
void cooc_sort_weighted(struct cooc_weighted *w, size_t n,
    const uint32_t *product_rank);

/* What one thread needs to score audiences: dense per-customer arrays. */
struct cooc_scratch {
	double *relevance;
	double *affinity;		/* weighted, to the product's category */
	float *best;			/* the largest contribution so far */
	uint32_t *reason;		/* the neighbour that gave it */
	uint8_t *excluded;
	uint32_t *touched;
	size_t ntouched;
	struct cooc_target *sorted;	/* the candidates, grown as needed */
	size_t sorted_cap;
};

void cooc_scratch_init(struct cooc_scratch *s, const struct cooc *m);
void cooc_scratch_free(struct cooc_scratch *s);

/* One audience entry: a customer, its score and why it is there. */
struct cooc_target {
	uint32_t customer;
	uint32_t reason;		/* the neighbour that contributed most,
					   or COOC_REASON_CATEGORY, or
					   COOC_REASON_FALLBACK */
	double score;
};

/* For qsort_r with the model's customer_rank: the higher score first,
   ties to the lower customer id. */
int cooc_target_order(const void *a, const void *b, void *customer_rank);

/*
 * Product p's audience of at most k customers who have not touched it:
 * first those with relevance or category affinity, by relevance / the
 * product's largest relevance + category_weight * affinity / the
 * category's largest affinity + blend * base[c] (ties: the lower customer
 * id), the reason the neighbour that gave most, or the category when
 * its term is the larger; then the
 * customers of fallback (an order of customers, such as the engagement
 * ranking without p's customers) not already chosen, with score base[c].
 * Customers with keep unset (NULL: all kept) are never chosen. Returns the
 * number written to out.
 */
struct cooc_query {
	size_t product, k;
	const double *base;
	double blend;
	double top;			/* the product's largest relevance over
					   all customer shards; 0: this model's */
	const uint8_t *keep;
	const uint32_t *fallback;
	size_t nfallback;
};

size_t cooc_audience(const struct cooc *m, const struct cooc_query *q,
    struct cooc_scratch *s, struct cooc_target *out);

/*
 * The largest relevance to q->product of a customer q would target (the
 * divisor of cooc_audience; of a customer shard's, the largest over all
 * shards is q->top there). Only q's product and keep are read.
 */
double cooc_top_relevance(const struct cooc *m, const struct cooc_query *q,
    struct cooc_scratch *s);

/*
 * Product p's max heaviest customers, by their weight for it (the score;
 * ties: the lower customer id; reason COOC_REASON_FALLBACK). Returns how
 * many.
 */
size_t cooc_buyers(const struct cooc *m, size_t p, size_t max,
    struct cooc_target *out);

/* The sum of product p's customers' weights, exact (a customer shard's
   add up), and as a double. */
fixed_sum cooc_product_sum(const struct cooc *m, size_t p);
double cooc_product_weight(const struct cooc *m, size_t p);

#endif
