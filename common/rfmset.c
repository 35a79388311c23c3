/* Distinct customer summaries: see rfmset.h. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "rfmset.h"
#include "xalloc.h"
#include "banned.h"

void
rfmset_init(struct rfmset *s)
{
	memset(s, 0, sizeof(*s));
	s->cap = 1024;
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
}

static size_t
home(const struct rfmset *s, const struct rfm *c)
{
	size_t i = (size_t)XXH3_64bits(c, sizeof(*c)) & (s->cap - 1);

	while (s->slot[i] != 0 && memcmp(&s->unique[s->slot[i] - 1], c,
	    sizeof(*c)) != 0)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static void
grow(struct rfmset *s)
{
	free(s->slot);
	s->cap *= 2;
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
	for (size_t u = 0; u < s->n; u++)
		s->slot[home(s, &s->unique[u])] = (uint32_t)u + 1;
}

uint32_t
rfmset_add(struct rfmset *s, const struct rfm *c)
{
	size_t i = home(s, c);

	if (s->slot[i] == 0) {
		if (2 * (s->n + 1) > s->cap) {
			grow(s);
			i = home(s, c);
		}
		s->unique = xgrow(s->unique, &s->unique_cap, s->n + 1,
		    sizeof(*s->unique));
		s->count = xrealloc(s->count, s->unique_cap * sizeof(*s->count));
		s->unique[s->n] = *c;
		s->count[s->n] = 0;
		s->slot[i] = (uint32_t)++s->n;
	}
	s->count[s->slot[i] - 1]++;
	return s->slot[i] - 1;
}

uint32_t
rfmset_find(const struct rfmset *s, const struct rfm *c)
{
	size_t i = home(s, c);

	return s->slot[i] != 0 ? s->slot[i] - 1 : UINT32_MAX;
}

static const struct rfm *sort_base;	/* for qsort's comparison */

static int
cmp_index(const void *p, const void *q)
{
	const struct rfm *u = &sort_base[*(const uint32_t *)p];
	const struct rfm *v = &sort_base[*(const uint32_t *)q];

	if (u->x != v->x)
		return u->x < v->x ? -1 : 1;
	if (u->t_x != v->t_x)
		return u->t_x < v->t_x ? -1 : 1;
	return (u->T > v->T) - (u->T < v->T);
}

void
rfmset_sort(struct rfmset *s, uint32_t *remap)
{
	uint32_t *order = xmalloc((s->n + 1) * sizeof(*order));
	struct rfm *unique = xmalloc((s->n + 1) * sizeof(*unique));
	double *count = xmalloc((s->n + 1) * sizeof(*count));

	for (size_t u = 0; u < s->n; u++)
		order[u] = (uint32_t)u;
	sort_base = s->unique;
	qsort(order, s->n, sizeof(*order), cmp_index);
	for (size_t k = 0; k < s->n; k++) {
		unique[k] = s->unique[order[k]];
		count[k] = s->count[order[k]];
		remap[order[k]] = (uint32_t)k;
	}
	free(order);
	free(s->unique);
	free(s->count);
	s->unique = unique;
	s->count = count;
	s->unique_cap = s->n + 1;
	for (size_t i = 0; i < s->cap; i++)	/* the slots follow */
		if (s->slot[i] != 0)
			s->slot[i] = remap[s->slot[i] - 1] + 1;
}

void
rfmset_free(struct rfmset *s)
{
	free(s->unique);
	free(s->count);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
