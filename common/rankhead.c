/* The ranking head a model holds; see rankhead.h. */
#include "rankhead.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "banned.h"

#define CHUNK 1024	/* ids looked up at a time */

/*
 * Whether the features list the customers of the interactions in the same
 * order, as aud-features writes them from the same interactions: then the
 * i-th customer of one is the i-th of the other, and no look-up is needed.
 */
static int
same_customers(const struct interactions *ia, const struct scores *sc)
{
	size_t n = intern_count(ia->customers);

	if (n != sc->n)
		return 0;
	for (size_t c = 0; c < n; c++) {
		struct id a, b;

		intern_get(ia->customers, (uint32_t)c, &a);
		intern_get(sc->customers, (uint32_t)c, &b);
		if (id_compare(&a, &b) != 0)
			return 0;
	}
	return 1;
}

int
rank_map_customers(const struct interactions *ia, const struct scores *sc,
    uint32_t *feature_of)
{
	size_t n = intern_count(ia->customers);
	struct id ids[CHUNK];

	if (same_customers(ia, sc)) {
		for (size_t c = 0; c < n; c++)
			feature_of[c] = (uint32_t)c;
		return 0;
	}
	if (intern_reindex(sc->customers) > 0)
		return -1;
	for (size_t base = 0; base < n; base += CHUNK) {
		size_t m = n - base < CHUNK ? n - base : CHUNK;

		for (size_t i = 0; i < m; i++)
			intern_get(ia->customers, (uint32_t)(base + i), &ids[i]);
		intern_find_many(sc->customers, ids, m, feature_of + base);
	}
	return 0;
}

int
rank_head_build(struct rank_head *h, const struct interactions *ia,
    const struct scores *sc, const uint32_t *order, size_t count)
{
	size_t nc = intern_count(ia->customers);
	uint32_t *place_of = xmalloc((sc->n + 1) * sizeof(*place_of));
	uint32_t *rank_of = xmalloc((nc + 1) * sizeof(*rank_of));

	h->ids = xmalloc((count + 1) * sizeof(*h->ids));
	h->scores = xmalloc((count + 1) * sizeof(*h->scores));
	h->feature_of = xmalloc((nc + 1) * sizeof(*h->feature_of));
	h->t = (struct targeting){ .ncandidates = count, .rank_of = rank_of };
	for (size_t s = 0; s < sc->n; s++)
		place_of[s] = UINT32_MAX;
	for (size_t k = 0; k < count; k++) {
		intern_get(sc->customers, order[k], &h->ids[k]);
		h->scores[k] = sc->score[order[k]];
		place_of[order[k]] = (uint32_t)k;
	}
	if (rank_map_customers(ia, sc, h->feature_of) < 0) {
		free(place_of);
		rank_head_free(h);
		return -1;
	}
	for (size_t c = 0; c < nc; c++)
		rank_of[c] = h->feature_of[c] == UINT32_MAX ? UINT32_MAX :
		    place_of[h->feature_of[c]];
	free(place_of);
	return 0;
}

void
rank_head_free(struct rank_head *h)
{
	free(h->ids);
	free(h->scores);
	free(h->feature_of);
	free((void *)h->t.rank_of);
	memset(h, 0, sizeof(*h));
}

void
rank_targetable(size_t nc, const uint32_t *feature_of, const struct scores *sc,
    uint8_t *keep, double *base)
{
	for (size_t c = 0; c < nc; c++) {
		keep[c] = feature_of[c] != UINT32_MAX;
		if (base != NULL)
			base[c] = keep[c] ? sc->score[feature_of[c]] : 0;
	}
}
