/*
 * The distinct customer summaries (x, t_x, T) of a return model, each with
 * how many customers share it: at a day's resolution millions of customers
 * share tens of thousands, and the fit and the scores are computed once a
 * summary. Found by hashing (XXH3, open addressing).
 */
#ifndef AUD_RFMSET_H
#define AUD_RFMSET_H

#include <stddef.h>
#include <stdint.h>

#include "returnmodel.h"

struct rfmset {
	struct rfm *unique;		/* in order of first sight */
	double *count;			/* customers of each */
	size_t n, unique_cap;
	uint32_t *slot;			/* index + 1 into unique; 0: empty */
	size_t cap;			/* a power of two, n <= cap / 2 */
};

void rfmset_init(struct rfmset *s);
/* Adds a customer's summary; returns its index in unique. */
uint32_t rfmset_add(struct rfmset *s, const struct rfm *c);
/* One more customer of the summary at index u, known to be there. */
static inline void
rfmset_again(struct rfmset *s, uint32_t u)
{
	s->count[u]++;
}

/* The index in unique of a summary, or UINT32_MAX when it is not there. */
uint32_t rfmset_find(const struct rfmset *s, const struct rfm *c);
/* Sorts unique by x, then t_x, then T, and renumbers: remap[old] = new. */
void rfmset_sort(struct rfmset *s, uint32_t *remap);
void rfmset_free(struct rfmset *s);

#endif
