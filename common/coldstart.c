/* Products evaluated as if new, found by name and category; see coldstart.h. */
#include "coldstart.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "groups.h"
#include "names.h"
#include "rng.h"
#include "xalloc.h"
#include "banned.h"

#define MATCHES 20	/* training products of like names drawn on */
#define BUYERS 20	/* as the model keeps */
#define MAX_PICKED 1000	/* enough for the estimate, and a bounded cost */
#define CATEGORY_PRODUCTS 50	/* the heaviest of a category, as a model's
				   index gives them */
#define MAX_SOURCES (CATEGORY_PRODUCTS > MATCHES ? CATEGORY_PRODUCTS : MATCHES)

/* A training product an audience draws on, and the weight of its buyers. */
struct source {
	uint32_t product;
	double weight;
};

/* Heaviest first; ties to the lower product index. */
static int
heavier_source(const void *a, const void *b)
{
	const struct source *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return (x->product > y->product) - (x->product < y->product);
}

static int
has_name(const struct interactions *ia, size_t p)
{
	const char *name = interactions_product_name(ia, p);

	return name != NULL && *name != '\0';
}

/* A product a new one's audience can be found for: named, or in a category. */
static int
findable(const struct interactions *ia, size_t p)
{
	return has_name(ia, p) ||
	    interactions_category(ia, p) != INTERACTIONS_NO_CATEGORY;
}

static uint64_t
draw(const struct cold_input *in, size_t i)
{
	return rng_mix(in->seed * 0x9e3779b97f4a7c15u + in->evaluable[i] + 1);
}

static const struct cold_input *drawing;	/* qsort has no context */

static int
by_draw(const void *a, const void *b)
{
	uint64_t x = draw(drawing, *(const size_t *)a);
	uint64_t y = draw(drawing, *(const size_t *)b);

	return (x > y) - (x < y);
}

static int
by_place(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

size_t
cold_pick(const struct cold_input *in, size_t *which)
{
	size_t picked = 0;

	for (size_t i = 0; i < in->n; i++)
		if (findable(in->ia, in->evaluable[i]) && draw(in, i) < UINT64_MAX / 10)
			which[picked++] = i;
	if (picked > MAX_PICKED) {	/* the smallest draws: still uniform */
		drawing = in;
		qsort(which, picked, sizeof(*which), by_draw);
		picked = MAX_PICKED;
		qsort(which, picked, sizeof(*which), by_place);
	}
	return picked;
}

/*
 * The name index of the training products not picked, built as a model's
 * is and read back from memory: postings hold product indices.
 */
static void
index_names(const struct cold_input *in, const uint8_t *hidden,
    msgpack_sbuffer *sb, msgpack_unpacked *u, struct names *nm)
{
	struct names_builder *b = names_builder_new();
	msgpack_packer pk;

	for (size_t q = 0; q < in->train->nproducts; q++)
		if (!hidden[q] && product_customers_count(in->train, q) > 0 &&
		    has_name(in->ia, q)) {
			const char *name = interactions_product_name(in->ia, q);

			names_add(b, q, name, strlen(name));
		}
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, NAMES_ENTRIES);
	names_pack(b, &pk);
	msgpack_unpacked_init(u);
	if (msgpack_unpack_next(u, sb->data, sb->size, NULL) != MSGPACK_UNPACK_SUCCESS ||
	    names_open(nm, &u->data) < 0)
		memset(nm, 0, sizeof(*nm));	/* cannot happen: packed here */
}

/*
 * Each category's training products not picked, heaviest first (by the
 * sum of their customers' weights; ties: the lower index), at most
 * CATEGORY_PRODUCTS, as a model's category index holds them.
 */
static void
index_categories(const struct cold_input *in, const uint8_t *hidden,
    uint64_t **start, struct source **src)
{
	size_t np = in->train->nproducts, ng = interactions_ncategories(in->ia);
	uint64_t *next, n = 0;
	struct source *all = xmalloc((np + 1) * sizeof(*all));

	*start = xcalloc(ng + 2, sizeof(**start));
	for (size_t q = 0; q < np; q++) {
		uint32_t g = interactions_category(in->ia, q);

		if (g != INTERACTIONS_NO_CATEGORY && !hidden[q] &&
		    product_customers_count(in->train, q) > 0)
			(*start)[g + 1]++;
	}
	for (size_t g = 0; g < ng; g++)
		(*start)[g + 1] += (*start)[g];
	next = xmalloc((ng + 1) * sizeof(*next));
	memcpy(next, *start, ng * sizeof(*next));
	for (size_t q = 0; q < np; q++) {
		uint32_t g = interactions_category(in->ia, q);

		if (g != INTERACTIONS_NO_CATEGORY && !hidden[q] &&
		    product_customers_count(in->train, q) > 0)
			all[next[g]++] = (struct source){ (uint32_t)q,
			    cooc_product_weight(in->model, q) };
	}
	*src = xmalloc((np + 1) * sizeof(**src));
	for (size_t g = 0; g < ng; g++) {
		uint64_t from = (*start)[g], len = (*start)[g + 1] - from;

		qsort(all + from, len, sizeof(*all), heavier_source);
		if (len > CATEGORY_PRODUCTS)
			len = CATEGORY_PRODUCTS;
		memcpy(*src + n, all + from, len * sizeof(*all));
		(*start)[g] = n;
		n += len;
	}
	(*start)[ng] = n;
	free(next);
	free(all);
}

/* What one tier of an audience needs: per-customer scratch, all zero. */
struct tier {
	const struct cold_input *in;
	uint8_t *taken;			/* not eligible, or chosen already */
	double *score;
	uint32_t *touched;
	struct cooc_target s[MAX_SOURCES * BUYERS];
	struct cooc_target buyer[BUYERS];
};

/*
 * Appends to o[*k..kmax) the eligible buyers of the products in src, by
 * the sum of the products' weights times the buyers', over the largest
 * such sum, plus blend times their engagement (ties: the lower customer
 * id).
 */
static void
add_tier(struct tier *t, const struct source *src, size_t ns, uint32_t *o,
    size_t *k)
{
	const struct cold_input *in = t->in;
	size_t nt = 0;
	double top = 0;

	for (size_t m = 0; m < ns; m++) {
		size_t nb = cooc_buyers(in->model, src[m].product, BUYERS, t->buyer);

		for (size_t b = 0; b < nb; b++) {
			uint32_t c = t->buyer[b].customer;

			if (t->taken[c] || !in->present[c])
				continue;
			if (t->score[c] == 0)
				t->touched[nt++] = c;
			t->score[c] += src[m].weight * t->buyer[b].score;
		}
	}
	for (size_t i = 0; i < nt; i++)
		if (t->score[t->touched[i]] > top)
			top = t->score[t->touched[i]];
	for (size_t i = 0; i < nt; i++) {
		uint32_t c = t->touched[i];

		t->s[i] = (struct cooc_target){ c, UINT32_MAX,
		    (top > 0 ? t->score[c] / top : 0) + in->blend * in->base[c] };
		t->score[c] = 0;
	}
	qsort_r(t->s, nt, sizeof(*t->s), cooc_target_order,
	    in->model->customer_rank);
	for (size_t i = 0; i < nt && *k < in->kmax; i++) {
		o[*k] = t->s[i].customer;
		t->taken[o[(*k)++]] = 1;
	}
}

void
cold_targets(const struct cold_input *in, const size_t *which, size_t picked,
    const uint32_t *fallback, const size_t *nfallback, uint32_t *out,
    size_t *got)
{
	size_t nc = intern_count(in->ia->customers), np = in->train->nproducts;
	uint8_t *hidden = xcalloc(np + 1, 1);
	struct tier *t = xcalloc(1, sizeof(*t));
	struct name_match match[MATCHES];
	struct source src[MATCHES];
	struct source *by_category = NULL;
	uint64_t *category_start = NULL;
	msgpack_sbuffer sb;
	msgpack_unpacked u;
	struct names nm;

	t->in = in;
	t->taken = xcalloc(nc + 1, 1);
	t->score = xcalloc(nc + 1, sizeof(*t->score));
	t->touched = xmalloc((MAX_SOURCES * BUYERS + 1) * sizeof(*t->touched));
	for (size_t j = 0; j < picked; j++)
		hidden[in->evaluable[which[j]]] = 1;
	index_names(in, hidden, &sb, &u, &nm);
	if (in->ia->categories != NULL)
		index_categories(in, hidden, &category_start, &by_category);
	for (size_t j = 0; j < picked; j++) {
		uint32_t p = in->evaluable[which[j]], *o = out + j * in->kmax;
		uint32_t g = interactions_category(in->ia, p);
		size_t ns = 0, k = 0;

		for (uint64_t x = in->train->start[p]; x < in->train->start[p + 1]; x++)
			t->taken[in->train->customer[x]] = 1;	/* not eligible */
		if (has_name(in->ia, p)) {
			const char *name = interactions_product_name(in->ia, p);

			ns = names_similar(&nm, name, strlen(name), match, MATCHES);
			for (size_t m = 0; m < ns; m++)
				src[m] = (struct source){ (uint32_t)match[m].record,
				    match[m].cosine };
		}
		add_tier(t, src, ns, o, &k);
		if (g != INTERACTIONS_NO_CATEGORY)
			add_tier(t, by_category + category_start[g],
			    category_start[g + 1] - category_start[g], o, &k);
		for (size_t f = 0; f < nfallback[j] && k < in->kmax; f++) {
			uint32_t c = fallback[j * 2 * in->kmax + f];

			if (!t->taken[c])
				t->taken[o[k++] = c] = 1;
		}
		got[j] = k;
		for (size_t i = 0; i < k; i++)
			t->taken[o[i]] = 0;
		for (uint64_t x = in->train->start[p]; x < in->train->start[p + 1]; x++)
			t->taken[in->train->customer[x]] = 0;
	}
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	free(hidden);
	free(by_category);
	free(category_start);
	free(t->taken);
	free(t->score);
	free(t->touched);
	free(t);
}
