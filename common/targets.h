/*
 * The records of a product-aware model, a block of products at a time on
 * every core: each product's audience, co-occurrence relevance (cooc.h)
 * first, then the global order of the model's score with the product's own
 * customers left out (audience.h), so that every audience is full; and its
 * record packed as the model writes it (model.h), so that all but the
 * writing itself is done side by side.
 */
#ifndef AUD_TARGETS_H
#define AUD_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "audience.h"
#include "cooc.h"
#include "groups.h"
#include "interactions.h"
#include "model.h"

/* The heaviest buyers a record keeps, for audiences by name. */
#define TARGETS_BUYERS 20

struct targets_input {
	const struct interactions *ia;	/* ids, names and categories */
	const struct cooc *model;
	const struct product_customers *groups;	/* of the same rows */
	const struct targeting *order;	/* the global order's head: the
					   model's ranking */
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
 * Packs the records of products[0..count), count at most TARGETS_BLOCK;
 * the i-th is then targets_record(w, i, &len, &entry): its bytes, and in
 * *entry what model_add_packed() reads of it (product, name, category,
 * weight), both valid until the next call.
 */
#define TARGETS_BLOCK 65536
void targets_each(struct targets_work *w, const uint32_t *products,
    size_t count);
const unsigned char *targets_record(const struct targets_work *w, size_t i,
    size_t *len, const struct model_record **entry);

#endif
