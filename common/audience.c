/* Audiences by skipping a product's customers; see audience.h. */
#include "audience.h"

#include <stdlib.h>

#include "banned.h"

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

size_t
audience_top(const struct targeting *t, const struct product_customers *g,
    size_t p, size_t n, uint32_t *places, uint32_t *scratch)
{
	size_t nex = 0, got = 0, j = 0;
	uint32_t r = 0;

	for (uint64_t i = g->start[p]; i < g->start[p + 1]; i++) {
		uint32_t place = t->rank_of[g->customer[i]];

		/* Only places that could fall in the first n + m matter. */
		if (place != UINT32_MAX && place < n + (g->start[p + 1] - g->start[p]))
			scratch[nex++] = place;
	}
	if (nex > 1)
		qsort(scratch, nex, sizeof(*scratch), cmp_u32);
	while (got < n && r < t->ncandidates) {
		if (j < nex && scratch[j] == r)
			j++;
		else
			places[got++] = r;
		r++;
	}
	return got;
}
