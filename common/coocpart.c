/* A shard's share of a co-occurrence model's record; see coocpart.h. */
#include "coocpart.h"

#include <stdlib.h>

#include "targets.h"
#include "xalloc.h"
#include "banned.h"

/* What one product's share is made in, allocated once for all. */
struct coocpart_work {
	const struct coocpart_input *in;
	struct cooc_scratch scratch;
	struct cooc_target *out, heavy[TARGETS_BUYERS];
	struct model_target *relevant, buyers[TARGETS_BUYERS];
	struct id *reason, product;
	double buyer_engagement[TARGETS_BUYERS];
	uint32_t *skipped;
	size_t skipped_cap;
};

static struct coocpart_work *
coocpart_work_new(const struct coocpart_input *in)
{
	struct coocpart_work *w = xcalloc(1, sizeof(*w));

	w->in = in;
	cooc_scratch_init(&w->scratch, in->model);
	w->out = xmalloc((in->depth + 1) * sizeof(*w->out));
	w->relevant = xmalloc((in->depth + 1) * sizeof(*w->relevant));
	w->reason = xmalloc((in->depth + 1) * sizeof(*w->reason));
	return w;
}

static void
coocpart_work_free(struct coocpart_work *w)
{
	cooc_scratch_free(&w->scratch);
	free(w->out);
	free(w->relevant);
	free(w->reason);
	free(w->skipped);
	free(w);
}

static int
ascending(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * The places of the shard's ranking that the rest of p's audience steps
 * over: those of its customers (audience_skipped) and of the n relevant
 * ones. The rest is depth - n places at most, so no walk reaches past
 * depth plus p's customer count, the bound of both.
 */
static size_t
skipped_places(struct coocpart_work *w, uint32_t p, size_t n)
{
	const struct cooc *m = w->in->model;
	const struct product_customers g = { .nproducts = m->nproducts,
	    .start = m->pstart, .customer = m->pcustomer };
	size_t count = product_customers_count(&g, p);
	size_t bound = w->in->depth + count, k;

	w->skipped = xgrow(w->skipped, &w->skipped_cap, count + n + 1,
	    sizeof(*w->skipped));
	k = audience_skipped(w->in->order, &g, p, w->in->depth, w->skipped);
	for (size_t i = 0; i < n; i++) {
		uint32_t place = w->in->order->rank_of[w->out[i].customer];

		if (place < bound)
			w->skipped[k++] = place;
	}
	if (n > 0)
		qsort(w->skipped, k, sizeof(*w->skipped), ascending);
	return k;
}

static void
coocpart_product(struct coocpart_work *w, uint32_t p, struct audparts_product *ap)
{
	const struct coocpart_input *in = w->in;
	const struct cooc *m = in->model;
	struct cooc_query q = { .product = p, .k = in->depth, .base = in->base,
	    .blend = in->blend, .keep = in->keep, .top = in->top[p] };
	uint32_t category = interactions_category(in->ia, p);
	/* Relevant: through neighbours (none anywhere when the top of all
	   shards is 0) or the category's list. */
	size_t n = in->top[p] > 0 || (m->category_of != NULL &&
	    category != INTERACTIONS_NO_CATEGORY) ?
	    cooc_audience(m, &q, &w->scratch, w->out) : 0;
	size_t nb = cooc_buyers(m, p, TARGETS_BUYERS, w->heavy), nskipped;
	struct id label = { 0 };

	for (size_t i = 0; i < n; i++) {
		intern_get(in->ia->customers, w->out[i].customer,
		    &w->relevant[i].customer);
		w->relevant[i].score = w->out[i].score;
		w->relevant[i].by_category = w->out[i].reason ==
		    COOC_REASON_CATEGORY;
		w->relevant[i].reason = NULL;
		if (!w->relevant[i].by_category) {
			intern_get(in->ia->products, w->out[i].reason,
			    &w->reason[i]);
			w->relevant[i].reason = &w->reason[i];
		}
	}
	if (category != INTERACTIONS_NO_CATEGORY)
		intern_get(in->ia->categories, category, &label);
	for (size_t i = 0; i < nb; i++) {
		intern_get(in->ia->customers, w->heavy[i].customer,
		    &w->buyers[i].customer);
		w->buyers[i].score = w->heavy[i].score;
		w->buyers[i].reason = NULL;
		w->buyers[i].by_category = 0;
		w->buyer_engagement[i] = in->base[w->heavy[i].customer];
	}
	intern_get(in->ia->products, p, &w->product);
	nskipped = skipped_places(w, p, n);	/* moves w->skipped */
	*ap = (struct audparts_product){ .product = &w->product,
	    .name = interactions_product_name(in->ia, p),
	    .customers = in->model->pstart[p + 1] - in->model->pstart[p],
	    .skipped = w->skipped, .nskipped = nskipped,
	    .relevant = w->relevant, .nrelevant = n, .buyers = w->buyers,
	    .buyer_engagement = w->buyer_engagement, .nbuyers = nb,
	    .category = label.str, .category_len = label.len,
	    .weight = cooc_product_sum(m, p) };
}

void
coocpart_add_all(struct audparts_writer *out, const struct coocpart_input *in)
{
	struct coocpart_work *w = coocpart_work_new(in);
	uint32_t *by_id = cooc_products_by_id(in->model);

	for (size_t i = 0; i < in->model->nproducts; i++) {
		struct audparts_product ap;

		coocpart_product(w, by_id[i], &ap);
		if (ap.customers > 0 || ap.nrelevant > 0)
			audparts_add(out, &ap);
	}
	coocpart_work_free(w);
	free(by_id);
}
