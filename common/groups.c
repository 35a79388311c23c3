/* Distinct customers per product; see groups.h. */
#include "groups.h"

#include <stdlib.h>
#include <string.h>

#include "radix.h"
#include "xalloc.h"
#include "banned.h"

void
product_customers_build(struct product_customers *g,
    const struct interactions *ia, size_t from, size_t to)
{
	size_t np = intern_count(ia->products), m = 0, nrows = to - from;
	uint64_t *pairs = xmalloc((nrows ? nrows : 1) * sizeof(*pairs));

	for (size_t i = 0; i < nrows; i++)
		pairs[i] = (uint64_t)ia->product[from + i] << 32 | ia->customer[from + i];
	radix_sort_u64(pairs, NULL, nrows);
	g->nproducts = np;
	g->start = xcalloc(np + 1, sizeof(*g->start));
	for (size_t i = 0; i < nrows; i++)
		if (i == 0 || pairs[i] != pairs[i - 1])
			pairs[m++] = pairs[i];
	g->customer = xmalloc((m ? m : 1) * sizeof(*g->customer));
	for (size_t i = 0; i < m; i++) {
		g->customer[i] = (uint32_t)pairs[i];
		g->start[(pairs[i] >> 32) + 1]++;
	}
	for (size_t p = 0; p < np; p++)
		g->start[p + 1] += g->start[p];
	free(pairs);
}

void
product_customers_free(struct product_customers *g)
{
	free(g->start);
	free(g->customer);
	memset(g, 0, sizeof(*g));
}

int
product_customers_has(const struct product_customers *g, size_t p, uint32_t c)
{
	uint64_t lo = g->start[p], hi = g->start[p + 1];

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (g->customer[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->start[p + 1] && g->customer[lo] == c;
}
