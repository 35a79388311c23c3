/* Audiences by skipping a product's customers; see audience.h. */
#include "audience.h"

#include <stdlib.h>

#include "ranking.h"
#include "xalloc.h"
#include "banned.h"

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

#define AHEAD 16

size_t
audience_skipped(const struct targeting *t, const struct product_customers *g,
    size_t p, size_t n, uint32_t *skipped)
{
	size_t nex = 0;

	for (uint64_t i = g->start[p]; i < g->start[p + 1]; i++) {
		uint32_t place = t->rank_of[g->customer[i]];

		/*
		 * Products are mostly asked for in order and have two or three
		 * customers each: fetch the places of the customers of the
		 * next products, which lie further on in the same array.
		 */
		if (i + AHEAD < g->start[g->nproducts])
			__builtin_prefetch(&t->rank_of[g->customer[i + AHEAD]]);

		/* Only places that could fall in the first n + m matter. */
		if (place != UINT32_MAX && place < n + (g->start[p + 1] - g->start[p]))
			skipped[nex++] = place;
	}
	if (nex > 1)
		qsort(skipped, nex, sizeof(*skipped), cmp_u32);
	return nex;
}

size_t
audience_walk(const uint32_t *skipped, size_t nskipped, size_t ncandidates,
    size_t n, uint32_t *places)
{
	struct audience_cursor c;
	size_t got = 0;

	audience_cursor_start(&c, skipped, nskipped);
	while (got < n && audience_cursor_peek(&c, ncandidates))
		places[got++] = (uint32_t)c.place++;
	return got;
}

size_t
audience_top(const struct targeting *t, const struct product_customers *g,
    size_t p, size_t n, uint32_t *places, uint32_t *scratch)
{
	size_t nex = audience_skipped(t, g, p, n, scratch);

	return audience_walk(scratch, nex, t->ncandidates, n, places);
}

void
audience_top_each(const struct intern *ids, const double *score,
    const uint8_t *keep, const struct product_customers *g,
    const uint32_t *products, size_t n, size_t k, uint32_t *out, size_t *got)
{
	size_t nc = intern_count(ids), maxm = 1, total;
	uint32_t *rank_of = xmalloc((nc + 1) * sizeof(*rank_of)), *order;
	uint32_t *places = xmalloc((k + 1) * sizeof(*places)), *scratch;
	struct targeting t = { .rank_of = rank_of };

	for (size_t i = 0; i < n; i++)
		if (product_customers_count(g, products[i]) > maxm)
			maxm = product_customers_count(g, products[i]);
	order = ranking_head(ids, score, keep, k + maxm, &t.ncandidates, &total);
	for (size_t c = 0; c < nc; c++)
		rank_of[c] = UINT32_MAX;
	for (size_t r = 0; r < t.ncandidates; r++)
		rank_of[order[r]] = (uint32_t)r;
	scratch = xmalloc(maxm * sizeof(*scratch));
	for (size_t i = 0; i < n; i++) {
		got[i] = audience_top(&t, g, products[i], k, places, scratch);
		for (size_t j = 0; j < got[i]; j++)
			out[i * k + j] = order[places[j]];
	}
	free(order);
	free(rank_of);
	free(places);
	free(scratch);
}
