/*
 * The distinct customers of each product, as compressed rows: the customers
 * of product p are customer[start[p] .. start[p + 1]), ascending by index.
 * Built from the rows [from, to) of interactions by one radix sort of
 * (product, customer) pairs, so it costs 8 bytes a row while building and
 * 4 bytes a distinct pair after.
 */
#ifndef AUD_GROUPS_H
#define AUD_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "interactions.h"

struct product_customers {
	size_t nproducts;
	uint64_t *start;	/* nproducts + 1 offsets */
	uint32_t *customer;
};

void product_customers_build(struct product_customers *g,
    const struct interactions *ia, size_t from, size_t to);

/* How many distinct customers product p has. */
static inline uint64_t
product_customers_count(const struct product_customers *g, size_t p)
{
	return g->start[p + 1] - g->start[p];
}

/* Whether customer c is among product p's customers (a binary search). */
int product_customers_has(const struct product_customers *g, size_t p,
    uint32_t c);
void product_customers_free(struct product_customers *g);

#endif
