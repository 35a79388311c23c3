/* Product-aware audiences of a block of products; see targets.h. */
#include "targets.h"

#include <stdlib.h>

#include "parallel.h"
#include "xalloc.h"
#include "banned.h"

struct targets_work {
	const struct targets_input *in;
	unsigned threads;
	size_t maxm;			/* the most customers a product has */
	struct cooc_scratch *scratch;	/* per thread */
	uint32_t **places, **fallback, **group_scratch;	/* per thread */
};

struct job {
	struct targets_work *w;
	const uint32_t *products;
	struct cooc_target *out;
	size_t *got;
};

static void
chunk(void *ctx, size_t from, size_t to, unsigned thread)
{
	struct job *j = ctx;
	struct targets_work *w = j->w;
	const struct targets_input *in = w->in;
	uint32_t *places = w->places[thread], *fallback = w->fallback[thread];

	for (size_t i = from; i < to; i++) {
		size_t p = j->products[i], nf = 0;
		/* The fallback may lose up to n customers to relevance. */
		size_t got = audience_top(in->order, in->groups, p, 2 * in->n,
		    places, w->group_scratch[thread]);
		struct cooc_query q = { .product = p, .k = in->n,
		    .base = in->base, .blend = in->blend, .keep = in->keep,
		    .fallback = fallback };

		for (size_t k = 0; k < got; k++)
			if (in->customer_at[places[k]] != UINT32_MAX)
				fallback[nf++] = in->customer_at[places[k]];
		q.nfallback = nf;
		j->got[i] = cooc_audience(in->model, &q, &w->scratch[thread],
		    j->out + i * in->n);
	}
}

struct targets_work *
targets_work_new(const struct targets_input *in)
{
	struct targets_work *w = xcalloc(1, sizeof(*w));

	w->in = in;
	w->threads = in->threads ? in->threads : 1;
	for (size_t p = 0; p < in->groups->nproducts; p++)
		if (product_customers_count(in->groups, p) > w->maxm)
			w->maxm = product_customers_count(in->groups, p);
	w->scratch = xmalloc(w->threads * sizeof(*w->scratch));
	w->places = xmalloc(w->threads * sizeof(*w->places));
	w->fallback = xmalloc(w->threads * sizeof(*w->fallback));
	w->group_scratch = xmalloc(w->threads * sizeof(*w->group_scratch));
	for (unsigned t = 0; t < w->threads; t++) {
		cooc_scratch_init(&w->scratch[t], in->model);
		w->places[t] = xmalloc((2 * in->n + 1) * sizeof(uint32_t));
		w->fallback[t] = xmalloc((2 * in->n + 1) * sizeof(uint32_t));
		w->group_scratch[t] = xmalloc((w->maxm + 1) * sizeof(uint32_t));
	}
	return w;
}

void
targets_work_free(struct targets_work *w)
{
	for (unsigned t = 0; t < w->threads; t++) {
		cooc_scratch_free(&w->scratch[t]);
		free(w->places[t]);
		free(w->fallback[t]);
		free(w->group_scratch[t]);
	}
	free(w->scratch);
	free(w->places);
	free(w->fallback);
	free(w->group_scratch);
	free(w);
}

void
targets_each(struct targets_work *w, const uint32_t *products, size_t count,
    struct cooc_target *out, size_t *got)
{
	struct job j = { .w = w, .products = products, .out = out, .got = got };

	parallel_for(count, 256, w->threads, chunk, &j);
}
