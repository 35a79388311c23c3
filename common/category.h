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
};

void category_top_build(struct category_top *t, const struct category_input *in);
void category_top_free(struct category_top *t);

#endif
