/* Product-aware model records of a block of products; see targets.h. */
#include "targets.h"

#include <stdlib.h>

#include "parallel.h"
#include "xalloc.h"
#include "banned.h"

#define CHUNK 256	/* products a thread takes at a time */

/* One thread's scratch for one product. */
struct thread {
	struct cooc_scratch scratch;
	uint32_t *places, *fallback, *group_scratch;
	struct cooc_target *out, heavy[TARGETS_BUYERS];
	struct model_target *row, buyer[TARGETS_BUYERS];
	struct id *reason;
	uint32_t *tail;
	double buyer_engagement[TARGETS_BUYERS];
};

/* The records of a chunk of products, back to back. */
struct chunk_bytes {
	unsigned char *bytes;
	size_t cap;
	size_t end[CHUNK];	/* where each record ends */
	/* What the index reads of each: product, name, category, weight. */
	struct model_record entry[CHUNK];
	struct id product[CHUNK];
};

struct targets_work {
	const struct targets_input *in;
	unsigned threads;
	size_t maxm;			/* the most customers a product has */
	struct thread *t;		/* per thread */
	struct chunk_bytes *chunks;	/* per chunk of a block */
	const uint32_t *products;	/* of the block being packed */
};

/* Customers by index as the model writes them, by id. */
static void
ids_of(const struct interactions *ia, const struct cooc_target *t, size_t n,
    struct model_target *out, struct id *reason_ids)
{
	for (size_t k = 0; k < n; k++) {
		intern_get(ia->customers, t[k].customer, &out[k].customer);
		out[k].score = t[k].score;
		out[k].reason = NULL;
		out[k].by_category = t[k].reason == COOC_REASON_CATEGORY;
		if (reason_ids != NULL && t[k].reason != COOC_REASON_FALLBACK &&
		    !out[k].by_category) {
			intern_get(ia->products, t[k].reason, &reason_ids[k]);
			out[k].reason = &reason_ids[k];
		}
	}
}

/* What model_add_packed() reads of product p's record, into *r. */
static void
index_entry(const struct targets_input *in, uint32_t p, struct model_record *r,
    struct id *product)
{
	uint32_t category = interactions_category(in->ia, p);

	*r = (struct model_record){ .product = product,
	    .name = interactions_product_name(in->ia, p) };
	intern_get(in->ia->products, p, product);
	if (category != INTERACTIONS_NO_CATEGORY) {
		struct id c;

		intern_get(in->ia->categories, category, &c);
		r->category = c.str;
		r->category_len = c.len;
		r->weight = cooc_product_weight(in->model, p);
	}
}

/* Product p's audience, in t->out; returns its size. */
static size_t
audience(const struct targets_input *in, struct thread *t, uint32_t p)
{
	size_t nf = 0;
	/* The fallback may lose up to n customers to relevance. */
	size_t got = audience_top(in->order, in->groups, p, 2 * in->n,
	    t->places, t->group_scratch);
	struct cooc_query q = { .product = p, .k = in->n, .base = in->base,
	    .blend = in->blend, .keep = in->keep, .fallback = t->fallback };

	for (size_t k = 0; k < got; k++)
		if (in->customer_at[t->places[k]] != UINT32_MAX)
			t->fallback[nf++] = in->customer_at[t->places[k]];
	q.nfallback = nf;
	return cooc_audience(in->model, &q, &t->scratch, t->out);
}

/* Packs product p's record at the end of c's bytes, as record k of c. */
static void
pack(const struct targets_input *in, struct thread *t, uint32_t p,
    struct chunk_bytes *c, size_t k)
{
	size_t got = audience(in, t, p), from = k > 0 ? c->end[k - 1] : 0;
	struct model_record r;
	struct packbuf b;

	index_entry(in, p, &c->entry[k], &c->product[k]);
	r = c->entry[k];
	/* What the fallback order gave is written as places in the ranking
	   head: most of many an audience. */
	for (r.n = got; r.n > 0 &&
	    t->out[r.n - 1].reason == COOC_REASON_FALLBACK; r.n--)
		;
	for (size_t j = r.n; j < got; j++)
		t->tail[j - r.n] = in->order->rank_of[t->out[j].customer];
	r.fallback = t->tail;
	r.nfallback = got - r.n;
	ids_of(in->ia, t->out, r.n, t->row, t->reason);
	r.targets = t->row;
	r.nbuyers = cooc_buyers(in->model, p, TARGETS_BUYERS, t->heavy);
	ids_of(in->ia, t->heavy, r.nbuyers, t->buyer, NULL);
	for (size_t j = 0; j < r.nbuyers; j++)
		t->buyer_engagement[j] = in->base[t->heavy[j].customer];
	r.buyers = t->buyer;
	r.buyer_engagement = t->buyer_engagement;
	c->bytes = xgrow(c->bytes, &c->cap, from + model_record_bound(&r), 1);
	b.p = c->bytes + from;
	model_pack_record(&b, &r);
	c->end[k] = (size_t)(b.p - c->bytes);
}

static void
chunk(void *ctx, size_t from, size_t to, unsigned thread)
{
	struct targets_work *w = ctx;
	struct chunk_bytes *c = &w->chunks[from / CHUNK];

	for (size_t i = from; i < to; i++)
		pack(w->in, &w->t[thread], w->products[i], c, i - from);
}

struct targets_work *
targets_work_new(const struct targets_input *in)
{
	struct targets_work *w = xcalloc(1, sizeof(*w));
	size_t n = in->n + 1;

	w->in = in;
	w->threads = in->threads ? in->threads : 1;
	for (size_t p = 0; p < in->groups->nproducts; p++)
		if (product_customers_count(in->groups, p) > w->maxm)
			w->maxm = product_customers_count(in->groups, p);
	w->t = xcalloc(w->threads, sizeof(*w->t));
	for (unsigned k = 0; k < w->threads; k++) {
		struct thread *t = &w->t[k];

		cooc_scratch_init(&t->scratch, in->model);
		t->places = xmalloc(2 * n * sizeof(*t->places));
		t->fallback = xmalloc(2 * n * sizeof(*t->fallback));
		t->group_scratch = xmalloc((w->maxm + 1) * sizeof(*t->group_scratch));
		t->out = xmalloc(n * sizeof(*t->out));
		t->row = xmalloc(n * sizeof(*t->row));
		t->reason = xmalloc(n * sizeof(*t->reason));
		t->tail = xmalloc(n * sizeof(*t->tail));
	}
	w->chunks = xcalloc(TARGETS_BLOCK / CHUNK, sizeof(*w->chunks));
	return w;
}

void
targets_work_free(struct targets_work *w)
{
	for (unsigned k = 0; k < w->threads; k++) {
		struct thread *t = &w->t[k];

		cooc_scratch_free(&t->scratch);
		free(t->places);
		free(t->fallback);
		free(t->group_scratch);
		free(t->out);
		free(t->row);
		free(t->reason);
		free(t->tail);
	}
	for (size_t c = 0; c < TARGETS_BLOCK / CHUNK; c++)
		free(w->chunks[c].bytes);
	free(w->chunks);
	free(w->t);
	free(w);
}

void
targets_each(struct targets_work *w, const uint32_t *products, size_t count)
{
	w->products = products;
	parallel_for(count, CHUNK, w->threads, chunk, w);
}

const unsigned char *
targets_record(const struct targets_work *w, size_t i, size_t *len,
    const struct model_record **entry)
{
	const struct chunk_bytes *c = &w->chunks[i / CHUNK];
	size_t k = i % CHUNK, from = k > 0 ? c->end[k - 1] : 0;

	*len = c->end[k] - from;
	*entry = &c->entry[k];
	return c->bytes + from;
}
