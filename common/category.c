/* Each category's most attached customers; see category.h. */
#include "category.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "banned.h"

struct attached {
	uint32_t customer;
	float affinity;
};

/* For qsort_r: the higher affinity first; ties to the lower customer id. */
static int
more_attached(const void *a, const void *b, void *customer_rank)
{
	const struct attached *x = a, *y = b;
	const uint32_t *rank = customer_rank;

	if (x->affinity != y->affinity)
		return x->affinity > y->affinity ? -1 : 1;
	return (rank[x->customer] > rank[y->customer]) -
	    (rank[x->customer] < rank[y->customer]);
}

/*
 * The products of each category, in id order: a counting sort of the
 * products. A customer's affinity then adds up in the same order in a
 * customer shard as in all the data.
 */
static void
group_products(const struct category_input *in, uint64_t **start,
    uint32_t **product)
{
	size_t ng = in->ncategories;
	uint64_t *next;
	uint32_t *by_id = xmalloc((in->nproducts + 1) * sizeof(*by_id));

	*start = xcalloc(ng + 2, sizeof(**start));
	*product = xmalloc((in->nproducts + 1) * sizeof(**product));
	for (size_t p = 0; p < in->nproducts; p++)
		if (in->category_of[p] != CATEGORY_NONE)
			(*start)[in->category_of[p] + 1]++;
	for (size_t g = 0; g < ng; g++)
		(*start)[g + 1] += (*start)[g];
	next = xmalloc((ng + 1) * sizeof(*next));
	memcpy(next, *start, ng * sizeof(*next));
	for (size_t p = 0; p < in->nproducts; p++)
		by_id[in->product_rank[p]] = (uint32_t)p;
	for (size_t k = 0; k < in->nproducts; k++) {
		uint32_t p = by_id[k];

		if (in->category_of[p] != CATEGORY_NONE)
			(*product)[next[in->category_of[p]]++] = p;
	}
	free(next);
	free(by_id);
}

void
category_top_build(struct category_top *t, const struct category_input *in)
{
	size_t ng = in->ncategories, n = 0, cap = 0, ntouched;
	uint64_t *pstart;
	uint32_t *products, *touched = xmalloc((in->ncustomers + 1) *
	    sizeof(*touched));
	double *sum = xcalloc(in->ncustomers + 1, sizeof(*sum));
	uint8_t *seen = xcalloc(in->ncustomers + 1, 1);	/* weights may be 0 */
	struct attached *all = NULL;
	size_t all_cap = 0;

	memset(t, 0, sizeof(*t));
	t->ncategories = ng;
	t->start = xcalloc(ng + 1, sizeof(*t->start));
	t->largest = xcalloc(ng + 1, sizeof(*t->largest));
	group_products(in, &pstart, &products);
	for (size_t g = 0; g < ng; g++) {
		ntouched = 0;
		for (uint64_t i = pstart[g]; i < pstart[g + 1]; i++) {
			uint32_t p = products[i];

			for (uint64_t j = in->pstart[p]; j < in->pstart[p + 1]; j++) {
				uint32_t c = in->pcustomer[j];

				if (!seen[c]) {
					seen[c] = 1;
					touched[ntouched++] = c;
				}
				sum[c] += in->pweight[j];
			}
		}
		all = xgrow(all, &all_cap, ntouched + 1, sizeof(*all));
		for (size_t i = 0; i < ntouched; i++) {
			all[i] = (struct attached){ touched[i],
			    (float)sum[touched[i]] };
			sum[touched[i]] = 0;
			seen[touched[i]] = 0;
		}
		qsort_r(all, ntouched, sizeof(*all), more_attached,
		    (void *)in->customer_rank);
		if (ntouched > in->depth)
			ntouched = in->depth;
		t->customer = xgrow(t->customer, &cap, n + ntouched + 1,
		    sizeof(*t->customer));
		t->affinity = xrealloc(t->affinity, cap * sizeof(*t->affinity));
		for (size_t i = 0; i < ntouched; i++, n++) {
			t->customer[n] = all[i].customer;
			t->affinity[n] = all[i].affinity;
		}
		t->start[g + 1] = n;
		t->largest[g] = ntouched > 0 ? all[0].affinity : 0;
	}
	free(all);
	free(seen);
	free(sum);
	free(touched);
	free(pstart);
	free(products);
}

void
category_top_gather(struct category_top *t, size_t ncategories,
    const struct category_member *members, size_t n, const float *largest)
{
	uint64_t *next = xmalloc((ncategories + 1) * sizeof(*next));

	memset(t, 0, sizeof(*t));
	t->ncategories = ncategories;
	t->start = xcalloc(ncategories + 1, sizeof(*t->start));
	t->customer = xmalloc((n + 1) * sizeof(*t->customer));
	t->affinity = xmalloc((n + 1) * sizeof(*t->affinity));
	t->largest = xmalloc((ncategories + 1) * sizeof(*t->largest));
	memcpy(t->largest, largest, ncategories * sizeof(*largest));
	for (size_t i = 0; i < n; i++)
		t->start[members[i].category + 1]++;
	for (size_t g = 0; g < ncategories; g++)
		t->start[g + 1] += t->start[g];
	memcpy(next, t->start, ncategories * sizeof(*next));
	for (size_t i = 0; i < n; i++) {	/* stable: the order stays */
		uint64_t at = next[members[i].category]++;

		t->customer[at] = members[i].customer;
		t->affinity[at] = members[i].affinity;
	}
	free(next);
}

void
category_top_free(struct category_top *t)
{
	free(t->start);
	free(t->customer);
	free(t->affinity);
	free(t->largest);
	memset(t, 0, sizeof(*t));
}
