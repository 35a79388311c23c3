/*
 * Category affinity, for the co-occurrence model (cooc.h): a customer's
 * affinity to a category is the sum of their weights for its products, and
 * each category keeps its `depth` most attached customers, so that
 * scoring a product for its category costs at most depth steps however
 * large the category. Products without a category take no part.
 */
#ifndef AUD_CATEGORY_H
#define AUD_CATEGORY_H

#include <stddef.h>
#include <stdint.h>

#define CATEGORY_NONE UINT32_MAX

/* Product-major customers and weights (customers ascending), as cooc has. */
struct category_input {
	size_t nproducts, ncustomers;
	const uint64_t *pstart;
	const uint32_t *pcustomer;
	const float *pweight;
	const uint32_t *category_of;	/* per product, or CATEGORY_NONE */
	const uint32_t *product_rank;	/* per product: its place in id order */
	const uint32_t *customer_rank;	/* the same for customers */
	size_t ncategories;
	size_t depth;
};

struct category_top {
	size_t ncategories;
	/* Category g's customers: [start[g], start[g + 1]), the highest
	   affinity first (ties: the lower customer id). */
	uint64_t *start;
	uint32_t *customer;
	float *affinity;
	/* Per category: the largest affinity of any customer (a customer
	   shard's list holds its own customers, this is all the data's), or
	   0 when it has none. */
	float *largest;
};

void category_top_build(struct category_top *t, const struct category_input *in);

/* A customer of a category's list, for category_top_gather. */
struct category_member {
	uint32_t category, customer;
	float affinity;
};

/*
 * The lists of n members, the most attached first within each category,
 * as they come; largest[g] is category g's divisor (copied).
 */
void category_top_gather(struct category_top *t, size_t ncategories,
    const struct category_member *members, size_t n, const float *largest);
void category_top_free(struct category_top *t);

#endif
