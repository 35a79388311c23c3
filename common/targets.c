/* Product-aware audiences of a block of products; see targets.h. */
#include "targets.h"

#include <stdlib.h>

#include "parallel.h"
#include "xalloc.h"
#include "banned.h"

struct job {
	const struct targets_input *in;
	const uint32_t *products;
	struct cooc_target *out;
	size_t *got;
	struct cooc_scratch *scratch;	/* per thread */
	uint32_t **places, **fallback, **group_scratch;	/* per thread */
};

static void
chunk(void *ctx, size_t from, size_t to, unsigned thread)
{
	struct job *j = ctx;
	const struct targets_input *in = j->in;
	uint32_t *places = j->places[thread], *fallback = j->fallback[thread];

	for (size_t i = from; i < to; i++) {
		size_t p = j->products[i], nf = 0;
		/* The fallback may lose up to n customers to relevance. */
		size_t got = audience_top(in->order, in->groups, p, 2 * in->n,
		    places, j->group_scratch[thread]);
		struct cooc_query q = { .product = p, .k = in->n,
		    .base = in->base, .blend = in->blend, .keep = in->keep,
		    .fallback = fallback };

		for (size_t k = 0; k < got; k++)
			if (in->customer_at[places[k]] != UINT32_MAX)
				fallback[nf++] = in->customer_at[places[k]];
		q.nfallback = nf;
		j->got[i] = cooc_audience(in->model, &q, &j->scratch[thread],
		    j->out + i * in->n);
	}
}

void
targets_each(const struct targets_input *in, const uint32_t *products,
    size_t count, struct cooc_target *out, size_t *got)
{
	unsigned threads = in->threads ? in->threads : 1;
	size_t maxm = 0;
	struct job j = { .in = in, .products = products, .out = out, .got = got };

	for (size_t i = 0; i < count; i++)
		if (product_customers_count(in->groups, products[i]) > maxm)
			maxm = product_customers_count(in->groups, products[i]);
	j.scratch = xmalloc(threads * sizeof(*j.scratch));
	j.places = xmalloc(threads * sizeof(*j.places));
	j.fallback = xmalloc(threads * sizeof(*j.fallback));
	j.group_scratch = xmalloc(threads * sizeof(*j.group_scratch));
	for (unsigned t = 0; t < threads; t++) {
		cooc_scratch_init(&j.scratch[t], in->model);
		j.places[t] = xmalloc((2 * in->n + 1) * sizeof(uint32_t));
		j.fallback[t] = xmalloc((2 * in->n + 1) * sizeof(uint32_t));
		j.group_scratch[t] = xmalloc((maxm + 1) * sizeof(uint32_t));
	}
	parallel_for(count, 256, threads, chunk, &j);
	for (unsigned t = 0; t < threads; t++) {
		cooc_scratch_free(&j.scratch[t]);
		free(j.places[t]);
		free(j.fallback[t]);
		free(j.group_scratch[t]);
	}
	free(j.scratch);
	free(j.places);
	free(j.fallback);
	free(j.group_scratch);
}
