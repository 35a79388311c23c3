/*
 * A customer shard's share of a co-occurrence model's record of a product
 * (audparts.h): the shard's customers relevant to it, scored with the
 * largest relevance of all shards (cooctops.h), so that the best of all
 * shards' are the whole data's; the places of the shard's ranking the
 * rest of its audience steps over (the product's customers and those
 * relevant); and its heaviest buyers in the shard.
 */
#ifndef AUD_COOCPART_H
#define AUD_COOCPART_H

#include <stddef.h>
#include <stdint.h>

#include "audience.h"
#include "audparts.h"
#include "cooc.h"
#include "interactions.h"

struct coocpart_input {
	const struct interactions *ia;	/* ids and names */
	const struct cooc *model;	/* the shard's, neighbours of all */
	const struct targeting *order;	/* places in the shard's ranking */
	const double *base;		/* per customer: the engagement score */
	const uint8_t *keep;		/* per customer: may be targeted */
	const double *top;		/* per product: the largest relevance
					   of all shards, or 0 */
	double blend;
	size_t depth;			/* customers an audience holds */
};

/*
 * Adds to out the share of every product of in's model in id order (those
 * the neighbour table adds included); products the shard has neither
 * customers of nor relevance for have none, as a product no one touched
 * in a shard of one global order.
 */
void coocpart_add_all(struct audparts_writer *out,
    const struct coocpart_input *in);

#endif
