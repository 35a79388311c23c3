/*
 * Per-product audiences from one global order of customers. Every customer
 * has one score, so a product's audience is the global order with the
 * product's own customers left out: walking the order and skipping them
 * costs O(N + m log m) for a product with m customers, where scoring every
 * customer for every product would cost O(customers) each.
 */
#ifndef AUD_AUDIENCE_H
#define AUD_AUDIENCE_H

#include <stddef.h>
#include <stdint.h>

#include "groups.h"
#include "intern.h"

struct targeting {
	size_t ncandidates;		/* customers that can be targeted */
	const uint32_t *rank_of;	/* per customer of the groups: its place
					   in the global order, or UINT32_MAX
					   when it cannot be targeted */
};

/*
 * The places an audience of n steps over: those of product p's customers
 * that lie in the first n + m places of the global order (m: its customer
 * count), ascending, into skipped (room for m); returns how many. With the
 * order's length they give the audience (audience_walk), and most products
 * have none: a shard's part of a model carries these, not the audiences.
 */
size_t audience_skipped(const struct targeting *t,
    const struct product_customers *g, size_t p, size_t n, uint32_t *skipped);

/*
 * A walk along an audience: the places below some bound that are not
 * among skipped (ascending), one at a time. audience_walk takes them all;
 * the merge of shards' parts takes each shard's as it needs them.
 */
struct audience_cursor {
	const uint32_t *skipped;
	size_t nskipped, next_skip;
	size_t place;			/* the next place it offers */
};

static inline void
audience_cursor_start(struct audience_cursor *c, const uint32_t *skipped,
    size_t nskipped)
{
	*c = (struct audience_cursor){ skipped, nskipped, 0, 0 };
}

/* Moves c past skipped places; whether the place it offers is below bound. */
static inline int
audience_cursor_peek(struct audience_cursor *c, size_t bound)
{
	while (c->next_skip < c->nskipped &&
	    c->skipped[c->next_skip] <= c->place) {
		if (c->skipped[c->next_skip] == c->place)
			c->place++;
		c->next_skip++;
	}
	return c->place < bound;
}

/*
 * Writes to places (ascending) the first n places below ncandidates that
 * are not among skipped[0..nskipped) (ascending); returns how many.
 */
size_t audience_walk(const uint32_t *skipped, size_t nskipped,
    size_t ncandidates, size_t n, uint32_t *places);

/*
 * Writes to places (ascending) the first n places of the global order that
 * are not customers of product p; returns how many (fewer than n when the
 * product's customers take up the rest). scratch needs room for the
 * product's customer count.
 */
size_t audience_top(const struct targeting *t, const struct product_customers *g,
    size_t p, size_t n, uint32_t *places, uint32_t *scratch);

/*
 * For each of products[0..n): the first k customers of the global order by
 * score (customers with keep set, all when keep is NULL; ties by id, as in
 * ranking.h), the product's own customers of g left out. Customer indices
 * go to out[i * k + j], their number (fewer than k when the product's
 * customers take up the rest) to got[i]. Only the head of the order that an
 * audience can reach, k plus the most customers a product has, is sorted.
 */
void audience_top_each(const struct intern *ids, const double *score,
    const uint8_t *keep, const struct product_customers *g,
    const uint32_t *products, size_t n, size_t k, uint32_t *out, size_t *got);

#endif
