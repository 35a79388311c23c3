/* Co-occurrence neighbours and product-aware audiences; see cooc.h. */
#include "cooc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixedsum.h"
#include "parallel.h"
#include "radix.h"
#include "ranking.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

/* Customer-major compressed rows: products of customer c with weights. */
struct by_customer {
	uint64_t *start;
	uint32_t *product;
	float *weight;
};

/*
 * Sums the weight of every distinct (customer, product) of rows [0, nrows):
 * one radix sort of customer-product keys, then one pass.
 */
static void
weigh_pairs(struct by_customer *bc, size_t nc, const struct interactions *ia,
    size_t nrows, const struct cooc_params *p)
{
	uint64_t *key = xmalloc((nrows + 1) * sizeof(*key));
	uint32_t *row = xmalloc((nrows + 1) * sizeof(*row));
	int64_t last = p->decay_end;
	double per_ms = p->half_life_days > 0 ?
	    1.0 / (p->half_life_days * MS_PER_DAY) : 0;
	size_t n = 0;

	for (size_t i = 0; i < nrows; i++) {
		key[i] = (uint64_t)ia->customer[i] << 32 | ia->product[i];
		row[i] = (uint32_t)i;
	}
	radix_sort_u64(key, row, nrows);
	bc->start = xcalloc(nc + 1, sizeof(*bc->start));
	bc->product = xmalloc((nrows + 1) * sizeof(*bc->product));
	bc->weight = xmalloc((nrows + 1) * sizeof(*bc->weight));
	for (size_t i = 0; i < nrows;) {
		uint64_t k = key[i];
		double w = 0;

		/* Rows of one pair are in time order: the sum does not depend
		   on the input's order beyond that. */
		for (; i < nrows && key[i] == k; i++) {
			size_t r = row[i];

			w += p->event_weight[ia->event[r]] *
			    exp2(-(double)(last - ia->time[r]) * per_ms);
		}
		bc->product[n] = (uint32_t)k;
		bc->weight[n] = (float)w;
		bc->start[(k >> 32) + 1]++;
		n++;
	}
	for (size_t c = 0; c < nc; c++)
		bc->start[c + 1] += bc->start[c];
	free(key);
	free(row);
}

/* For qsort_r: heaviest first; ties to the lower product id (rank; NULL:
   the products are ranks already). */
static int
heavier(const void *a, const void *b, void *product_rank)
{
	const struct cooc_weighted *x = a, *y = b;
	const uint32_t *rank = product_rank;
	uint32_t i = rank ? rank[x->product] : x->product;
	uint32_t j = rank ? rank[y->product] : y->product;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return (i > j) - (i < j);
}

/*
 * The histories that make pairs: each customer's products, or their
 * max_history heaviest (ties: the lower id), kept ascending by product.
 */
static void
cap_histories(struct by_customer *h, const struct by_customer *bc, size_t nc,
    size_t max_history, uint32_t *product_rank)
{
	size_t n = 0;
	struct cooc_weighted *tmp = NULL;
	size_t cap = 0;

	h->start = xmalloc((nc + 1) * sizeof(*h->start));
	h->product = xmalloc((bc->start[nc] + 1) * sizeof(*h->product));
	h->weight = xmalloc((bc->start[nc] + 1) * sizeof(*h->weight));
	h->start[0] = 0;
	for (size_t c = 0; c < nc; c++) {
		uint64_t from = bc->start[c], len = bc->start[c + 1] - from;

		if (len <= max_history) {
			memcpy(h->product + n, bc->product + from, len * sizeof(uint32_t));
			memcpy(h->weight + n, bc->weight + from, len * sizeof(float));
			n += len;
		} else {
			if (len > cap)
				tmp = xrealloc(tmp, (cap = len) * sizeof(*tmp));
			for (uint64_t j = 0; j < len; j++)
				tmp[j] = (struct cooc_weighted){ bc->product[from + j],
				    bc->weight[from + j] };
			qsort_r(tmp, len, sizeof(*tmp), heavier, product_rank);
			for (size_t j = 0; j < max_history; j++) {
				size_t at = n + j;	/* insertion: ascending */

				while (at > n && h->product[at - 1] > tmp[j].product) {
					h->product[at] = h->product[at - 1];
					h->weight[at] = h->weight[at - 1];
					at--;
				}
				h->product[at] = tmp[j].product;
				h->weight[at] = tmp[j].weight;
			}
			n += max_history;
		}
		h->start[c + 1] = n;
	}
	free(tmp);
}

/* Product-major rows of customer-major ones: customers ascending. */
static void
transpose(uint64_t **start, uint32_t **customer, float **weight,
    const struct by_customer *bc, size_t nc, size_t np)
{
	uint64_t n = bc->start[nc], *next;

	*start = xcalloc(np + 2, sizeof(**start));
	*customer = xmalloc((n + 1) * sizeof(**customer));
	*weight = xmalloc((n + 1) * sizeof(**weight));
	for (uint64_t j = 0; j < n; j++)
		(*start)[bc->product[j] + 1]++;
	for (size_t q = 0; q < np; q++)
		(*start)[q + 1] += (*start)[q];
	next = xmalloc((np + 1) * sizeof(*next));
	memcpy(next, *start, np * sizeof(*next));
	for (size_t c = 0; c < nc; c++)
		for (uint64_t j = bc->start[c]; j < bc->start[c + 1]; j++) {
			uint64_t at = next[bc->product[j]]++;

			(*customer)[at] = (uint32_t)c;
			(*weight)[at] = bc->weight[j];
		}
	free(next);
}

size_t
cooc_accumulate(const struct cooc_history *h, size_t p, fixed_sum *acc,
    uint32_t *support, uint32_t *touched)
{
	size_t nt = 0;

	for (uint64_t j = h->pstart[p]; j < h->pstart[p + 1]; j++) {
		uint32_t c = h->pcustomer[j];
		int64_t w = fixed_weight(h->pweight[j]);

		for (uint64_t i = h->start[c]; i < h->start[c + 1]; i++) {
			uint32_t q = h->product[i];

			if (q == p)
				continue;
			if (support[q]++ == 0)
				touched[nt++] = q;
			acc[q] += fixed_product(w, fixed_weight(h->weight[i]));
		}
	}
	return nt;
}

float
cooc_similarity(fixed_sum acc, double norm2_p, double norm2_q, double alpha)
{
	double d = pow(norm2_p * norm2_q, alpha);

	return acc > 0 && d > 0 ? (float)(fixed_products_value(acc) / d) : 0;
}

void
cooc_sort_weighted(struct cooc_weighted *n, size_t count,
    const uint32_t *product_rank)
{
	if (count > 1)
		qsort_r(n, count, sizeof(*n), heavier, (void *)product_rank);
}

/* The neighbour search, a chunk of products at a time on each thread. */
struct search {
	const struct cooc_params *p;
	size_t np, chunk;
	const struct cooc_history *hist;
	const double *norm2;
	uint32_t *product_rank;
	fixed_sum **acc;		/* per thread: [np] */
	uint32_t **touched;		/* per thread: [np] */
	uint32_t **support;		/* per thread: [np], customers in common */
	/* per chunk: neighbour counts and entries */
	uint32_t **count, **found;
	float **sim;
};

static void
search_chunk(void *ctx, size_t from, size_t to, unsigned thread)
{
	struct search *s = ctx;
	fixed_sum *acc = s->acc[thread];
	uint32_t *touched = s->touched[thread], *support = s->support[thread];
	size_t m = s->p->neighbours, slot = from / s->chunk, used = 0;
	uint32_t *count = xmalloc((to - from) * sizeof(*count));
	uint32_t *found = xmalloc(((to - from) * m + 1) * sizeof(*found));
	float *sim = xmalloc(((to - from) * m + 1) * sizeof(*sim));
	struct cooc_weighted *cand = NULL;
	size_t cap = 0;

	for (size_t p = from; p < to; p++) {
		size_t nt, nc = 0;

		/* Fewer customers than a neighbour must share: none can. On
		   sparse data most products are so. */
		if (s->hist->pstart[p + 1] - s->hist->pstart[p] < s->p->min_support) {
			count[p - from] = 0;
			continue;
		}
		nt = cooc_accumulate(s->hist, p, acc, support, touched);
		if (nt > cap)
			cand = xrealloc(cand, (cap = nt) * sizeof(*cand));
		for (size_t i = 0; i < nt; i++) {
			uint32_t q = touched[i];

			/* Support first: on sparse data most pairs lack it,
			   and the similarity reads |q|^2 at random. */
			if (support[q] >= s->p->min_support) {
				float v = cooc_similarity(acc[q], s->norm2[p],
				    s->norm2[q], s->p->alpha);

				if (v > 0)
					cand[nc++] = (struct cooc_weighted){ q, v };
			}
			acc[q] = 0;
			support[q] = 0;
		}
		cooc_sort_weighted(cand, nc, s->product_rank);
		if (nc > m)
			nc = m;
		for (size_t i = 0; i < nc; i++) {
			found[used + i] = cand[i].product;
			sim[used + i] = cand[i].weight;
		}
		count[p - from] = (uint32_t)nc;
		used += nc;
	}
	s->count[slot] = count;
	s->found[slot] = found;
	s->sim[slot] = sim;
	free(cand);
}

/* Every product's M most similar others, laid out in product order. */
static void
find_neighbours(struct cooc *m, struct search *s, unsigned threads)
{
	size_t nchunks = (s->np + s->chunk - 1) / s->chunk, n = 0;

	s->acc = xmalloc(threads * sizeof(*s->acc));
	s->touched = xmalloc(threads * sizeof(*s->touched));
	s->support = xmalloc(threads * sizeof(*s->support));
	for (unsigned t = 0; t < threads; t++) {
		s->acc[t] = xcalloc(s->np + 1, sizeof(fixed_sum));
		s->touched[t] = xmalloc((s->np + 1) * sizeof(uint32_t));
		s->support[t] = xcalloc(s->np + 1, sizeof(uint32_t));
	}
	s->count = xcalloc(nchunks + 1, sizeof(*s->count));
	s->found = xcalloc(nchunks + 1, sizeof(*s->found));
	s->sim = xcalloc(nchunks + 1, sizeof(*s->sim));
	parallel_for(s->np, s->chunk, threads, search_chunk, s);
	m->nstart = xmalloc((s->np + 1) * sizeof(*m->nstart));
	m->nstart[0] = 0;
	for (size_t p = 0; p < s->np; p++) {
		n += s->count[p / s->chunk][p % s->chunk];
		m->nstart[p + 1] = n;
	}
	m->nproduct = xmalloc((n + 1) * sizeof(*m->nproduct));
	m->nsim = xmalloc((n + 1) * sizeof(*m->nsim));
	for (size_t k = 0; k < nchunks; k++) {
		size_t first = k * s->chunk, len = m->nstart[first +
		    (s->np - first < s->chunk ? s->np - first : s->chunk)] -
		    m->nstart[first];

		memcpy(m->nproduct + m->nstart[first], s->found[k], len * sizeof(uint32_t));
		memcpy(m->nsim + m->nstart[first], s->sim[k], len * sizeof(float));
		free(s->count[k]);
		free(s->found[k]);
		free(s->sim[k]);
	}
	for (unsigned t = 0; t < threads; t++) {
		free(s->acc[t]);
		free(s->touched[t]);
		free(s->support[t]);
	}
	free(s->acc);
	free(s->touched);
	free(s->support);
	free(s->count);
	free(s->found);
	free(s->sim);
}

void
cooc_categorise(struct cooc *m, const struct interactions *ia, double weight)
{
	struct category_input in = { .nproducts = m->nproducts,
	    .ncustomers = m->ncustomers, .pstart = m->pstart,
	    .pcustomer = m->pcustomer, .pweight = m->pweight,
	    .ncategories = interactions_ncategories(ia),
	    .depth = CATEGORY_DEPTH };

	m->category_of = xmalloc((m->nproducts + 1) * sizeof(*m->category_of));
	for (size_t q = 0; q < m->nproducts; q++)
		m->category_of[q] = interactions_category(ia, q);
	in.category_of = m->category_of;
	in.product_rank = m->product_rank;
	in.customer_rank = m->customer_rank;
	category_top_build(&m->categories, &in);
	m->category_weight = weight;
}

void
cooc_weigh(struct cooc *m, struct cooc_history *h, const struct interactions *ia,
    size_t nrows, const struct cooc_params *p)
{
	size_t nc = intern_count(ia->customers), np = intern_count(ia->products);
	struct by_customer bc, capped;

	memset(m, 0, sizeof(*m));
	m->nproducts = np;
	m->ncustomers = nc;
	m->customer_rank = ranking_id_places(ia->customers);
	m->product_rank = ranking_id_places(ia->products);
	weigh_pairs(&bc, nc, ia, nrows, p);
	transpose(&m->pstart, &m->pcustomer, &m->pweight, &bc, nc, np);
	if (h == NULL) {	/* the neighbours come from elsewhere */
		free(bc.start);
		free(bc.product);
		free(bc.weight);
		return;
	}
	h->capped = 0;
	for (size_t c = 0; c < nc && !h->capped; c++)
		h->capped = bc.start[c + 1] - bc.start[c] > p->max_history;
	if (h->capped) {
		cap_histories(&capped, &bc, nc, p->max_history, m->product_rank);
		free(bc.start);
		free(bc.product);
		free(bc.weight);
		bc = capped;
		transpose(&h->pstart, &h->pcustomer, &h->pweight, &bc, nc, np);
	} else {	/* every history is whole: pairs come from the same rows */
		h->pstart = m->pstart;
		h->pcustomer = m->pcustomer;
		h->pweight = m->pweight;
	}
	h->start = bc.start;
	h->product = bc.product;
	h->weight = bc.weight;
}

void
cooc_history_free(struct cooc_history *h)
{
	if (h->capped) {
		free(h->pstart);
		free(h->pcustomer);
		free(h->pweight);
	}
	free(h->start);
	free(h->product);
	free(h->weight);
	memset(h, 0, sizeof(*h));
}

uint32_t *
cooc_products_by_id(const struct cooc *m)
{
	uint32_t *by_id = xmalloc((m->nproducts + 1) * sizeof(*by_id));

	for (size_t p = 0; p < m->nproducts; p++)
		by_id[m->product_rank[p]] = (uint32_t)p;
	return by_id;
}

fixed_sum
cooc_norm2(const struct cooc *m, size_t p)
{
	fixed_sum sum = 0;

	for (uint64_t j = m->pstart[p]; j < m->pstart[p + 1]; j++) {
		int64_t w = fixed_weight(m->pweight[j]);

		sum += fixed_product(w, w);
	}
	return sum;
}

void
cooc_build(struct cooc *m, const struct interactions *ia, size_t nrows,
    const struct cooc_params *p)
{
	struct cooc_history hist;
	struct search s = { .p = p, .chunk = 256, .hist = &hist };
	double *norm2;

	cooc_weigh(m, &hist, ia, nrows, p);
	s.np = m->nproducts;
	norm2 = xcalloc(s.np + 1, sizeof(*norm2));
	for (size_t q = 0; q < s.np; q++)
		norm2[q] = fixed_products_value(cooc_norm2(m, q));
	s.norm2 = norm2;
	s.product_rank = m->product_rank;
	find_neighbours(m, &s, p->threads ? p->threads : 1);
	cooc_history_free(&hist);
	free(norm2);
	if (ia->categories != NULL && p->category_weight > 0)
		cooc_categorise(m, ia, p->category_weight);
}

void
cooc_free(struct cooc *m)
{
	free(m->pstart);
	free(m->pcustomer);
	free(m->pweight);
	free(m->nstart);
	free(m->nproduct);
	free(m->nsim);
	free(m->category_of);
	free(m->customer_rank);
	free(m->product_rank);
	category_top_free(&m->categories);
	memset(m, 0, sizeof(*m));
}

void
cooc_scratch_init(struct cooc_scratch *s, const struct cooc *m)
{
	size_t n = m->ncustomers + 1;

	s->relevance = xcalloc(n, sizeof(*s->relevance));
	s->affinity = xcalloc(n, sizeof(*s->affinity));
	s->best = xcalloc(n, sizeof(*s->best));
	s->reason = xmalloc(n * sizeof(*s->reason));
	s->excluded = xcalloc(n, 1);
	s->touched = xmalloc(n * sizeof(*s->touched));
	s->ntouched = 0;
	s->sorted = NULL;
	s->sorted_cap = 0;
}

void
cooc_scratch_free(struct cooc_scratch *s)
{
	free(s->relevance);
	free(s->affinity);
	free(s->best);
	free(s->reason);
	free(s->excluded);
	free(s->touched);
	free(s->sorted);
}

int
cooc_target_order(const void *a, const void *b, void *customer_rank)
{
	const struct cooc_target *x = a, *y = b;
	const uint32_t *rank = customer_rank;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return (rank[x->customer] > rank[y->customer]) -
	    (rank[x->customer] < rank[y->customer]);
}

/* Moves h[i] down the heap h[0..n), the worst (cooc_target_order) on top. */
static void
sift_down(struct cooc_target *h, size_t n, size_t i, uint32_t *customer_rank)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		struct cooc_target t;

		if (l < n && cooc_target_order(&h[l], &h[w], customer_rank) > 0)
			w = l;
		if (r < n && cooc_target_order(&h[r], &h[w], customer_rank) > 0)
			w = r;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

/*
 * The best k of all[0..n), best first, into all[0..): a heap of the best
 * so far with its worst on top, in n log k. A product of a category has
 * the category's 1,000 customers and more as candidates, and sorting them
 * all for each product was most of a model's time. The order is total
 * (ties by id), so these are the first k of the whole sorted. Returns how
 * many.
 */
static size_t
best_k(struct cooc_target *all, size_t n, size_t k, uint32_t *customer_rank)
{
	if (n > k) {
		for (size_t i = k / 2; i-- > 0;)
			sift_down(all, k, i, customer_rank);
		for (size_t i = k; i < n && k > 0; i++)
			if (cooc_target_order(&all[i], &all[0], customer_rank) < 0) {
				all[0] = all[i];
				sift_down(all, k, 0, customer_rank);
			}
		n = k;
	}
	qsort_r(all, n, sizeof(*all), cooc_target_order, customer_rank);
	return n;
}

/* Sums the relevance of every customer reached through p's neighbours. */
static void
gather(const struct cooc *m, const struct cooc_query *q, struct cooc_scratch *s)
{
	size_t p = q->product;

	s->ntouched = 0;
	for (uint64_t j = m->pstart[p]; j < m->pstart[p + 1]; j++)
		s->excluded[m->pcustomer[j]] = 1;
	for (uint64_t n = m->nstart[p]; n < m->nstart[p + 1]; n++) {
		uint32_t nb = m->nproduct[n];
		double sim = m->nsim[n];

		for (uint64_t j = m->pstart[nb]; j < m->pstart[nb + 1]; j++) {
			uint32_t c = m->pcustomer[j];
			float part = (float)(sim * m->pweight[j]);

			if (s->excluded[c] || (q->keep && !q->keep[c]) ||
			    !(part > 0))	/* a weight of 0 adds nothing */
				continue;
			if (s->relevance[c] == 0)
				s->touched[s->ntouched++] = c;
			s->relevance[c] += part;
			if (part > s->best[c]) {	/* neighbours come best first */
				s->best[c] = part;
				s->reason[c] = nb;
			}
		}
	}
}

/*
 * Adds the customers most attached to p's category, their affinity
 * weighted and divided by the category's largest.
 */
static void
gather_category(const struct cooc *m, const struct cooc_query *q,
    struct cooc_scratch *s)
{
	uint32_t g = m->category_of ? m->category_of[q->product] : CATEGORY_NONE;
	const struct category_top *t = &m->categories;
	double top;

	if (g == CATEGORY_NONE || t->start[g] == t->start[g + 1])
		return;
	top = t->largest[g];
	for (uint64_t j = t->start[g]; j < t->start[g + 1] && top > 0; j++) {
		uint32_t c = t->customer[j];

		if (s->excluded[c] || (q->keep && !q->keep[c]) ||
		    t->affinity[j] <= 0)
			continue;
		if (s->relevance[c] == 0)
			s->touched[s->ntouched++] = c;
		s->affinity[c] = m->category_weight * t->affinity[j] / top;
	}
}

/* The largest relevance gathered. */
static double
largest(const struct cooc_scratch *s)
{
	double top = 0;

	for (size_t i = 0; i < s->ntouched; i++)
		if (s->relevance[s->touched[i]] > top)
			top = s->relevance[s->touched[i]];
	return top;
}

double
cooc_top_relevance(const struct cooc *m, const struct cooc_query *q,
    struct cooc_scratch *s)
{
	double top;

	gather(m, q, s);
	top = largest(s);
	for (size_t i = 0; i < s->ntouched; i++) {
		s->relevance[s->touched[i]] = 0;
		s->best[s->touched[i]] = 0;
	}
	for (uint64_t j = m->pstart[q->product]; j < m->pstart[q->product + 1]; j++)
		s->excluded[m->pcustomer[j]] = 0;
	return top;
}

size_t
cooc_audience(const struct cooc *m, const struct cooc_query *q,
    struct cooc_scratch *s, struct cooc_target *out)
{
	double top;
	size_t got;
	struct cooc_target *all;

	gather(m, q, s);
	top = q->top > 0 ? q->top : largest(s);
	gather_category(m, q, s);
	/* The candidates are sorted in the scratch: no allocation a product. */
	s->sorted = xgrow(s->sorted, &s->sorted_cap, s->ntouched + 1,
	    sizeof(*s->sorted));
	all = s->sorted;
	for (size_t i = 0; i < s->ntouched; i++) {
		uint32_t c = s->touched[i];
		double rel = top > 0 ? s->relevance[c] / top : 0;

		all[i] = (struct cooc_target){ c, rel > 0 && rel >= s->affinity[c] ?
		    s->reason[c] : COOC_REASON_CATEGORY,
		    rel + s->affinity[c] + q->blend * q->base[c] };
		s->relevance[c] = 0;
		s->affinity[c] = 0;
		s->best[c] = 0;
	}
	got = best_k(all, s->ntouched, q->k, m->customer_rank);
	memcpy(out, all, got * sizeof(*out));
	for (size_t i = 0; i < got; i++)
		s->excluded[out[i].customer] = 1;
	for (size_t i = 0; i < q->nfallback && got < q->k; i++) {
		uint32_t c = q->fallback[i];

		if (s->excluded[c] || (q->keep && !q->keep[c]))
			continue;
		out[got++] = (struct cooc_target){ c, COOC_REASON_FALLBACK,
		    q->base[c] };
	}
	for (size_t i = 0; i < got; i++)
		s->excluded[out[i].customer] = 0;
	for (uint64_t j = m->pstart[q->product]; j < m->pstart[q->product + 1]; j++)
		s->excluded[m->pcustomer[j]] = 0;
	return got;
}

size_t
cooc_buyers(const struct cooc *m, size_t p, size_t max, struct cooc_target *out)
{
	size_t n = 0;

	/* Insertion into a short sorted list: products have few customers,
	   and a popular one costs max comparisons a customer at most. */
	for (uint64_t j = m->pstart[p]; j < m->pstart[p + 1]; j++) {
		struct cooc_target t = { m->pcustomer[j], COOC_REASON_FALLBACK,
		    m->pweight[j] };
		size_t at = n < max ? n++ : max;

		if (at == max && cooc_target_order(&t, &out[max - 1],
		    m->customer_rank) >= 0)
			continue;
		if (at == max)
			at = max - 1;
		while (at > 0 && cooc_target_order(&t, &out[at - 1],
		    m->customer_rank) < 0) {
			out[at] = out[at - 1];
			at--;
		}
		out[at] = t;
	}
	return n;
}

fixed_sum
cooc_product_sum(const struct cooc *m, size_t p)
{
	fixed_sum w = 0;

	for (uint64_t j = m->pstart[p]; j < m->pstart[p + 1]; j++)
		w += fixed_weight(m->pweight[j]);
	return w;
}

double
cooc_product_weight(const struct cooc *m, size_t p)
{
	return fixed_weights_value(cooc_product_sum(m, p));
}
