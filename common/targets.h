/*
 * The audiences of a product-aware model, a block of products at a time on
 * every core: co-occurrence relevance (cooc.h) first, then the global order
 * of the model's score with the product's own customers left out
 * (audience.h), so that every audience is full.
 */
#ifndef AUD_TARGETS_H
#define AUD_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "audience.h"
#include "cooc.h"
#include "groups.h"

struct targets_input {
	const struct cooc *model;
	const struct product_customers *groups;	/* of the same rows */
	const struct targeting *order;	/* the global order's head */
	const uint32_t *customer_at;	/* per place of the head: the customer
					   (index of the interactions), or
					   UINT32_MAX */
	const double *base;		/* per customer: the model's score */
	const uint8_t *keep;		/* per customer: may be targeted */
	double blend;
	size_t n;			/* customers per audience */
	unsigned threads;
};

/*
 * What the threads need, allocated once for all the blocks: dense
 * per-customer arrays cost tens of bytes a customer each.
 */
struct targets_work;

struct targets_work *targets_work_new(const struct targets_input *in);
void targets_work_free(struct targets_work *w);

/*
 * The audiences of products[0..count): product products[i]'s at
 * out[i * n ..], their sizes in got[i].
 */
void targets_each(struct targets_work *w, const uint32_t *products,
    size_t count, struct cooc_target *out, size_t *got);

#endif
