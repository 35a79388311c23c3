/* The co-occurrence neighbours from customer shards; see coocpairs.h. */
#include "coocpairs.h"

#include <sys/stat.h>

#include <errno.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "packbuf.h"
#include "ranking.h"
#include "shardset.h"
#include "stream.h"
#include "xalloc.h"
#include "banned.h"

/* With a product's category, and each category's most attached customers
   in the shard, on the first record (in id order) of the category. */
static const char *const pair_fields[] = {
	"product_id", "norm2", "partners", "sums", "support", "category",
	"category_customers", "category_affinities"
};
static const char *const pair_types[] = {
	"id", "sum", "ordinals", "sums", "uints", "str?", "ids", "floats"
};
#define PAIR_FIELDS (sizeof(pair_fields) / sizeof(pair_fields[0]))

/* The same of all shards: a product's category, and each category's most
   attached customers of all. */
static const char *const nb_fields[] = {
	"product_id", "neighbours", "similarities", "category",
	"category_customers", "category_affinities"
};
static const char *const nb_types[] = {
	"id", "ids", "floats", "str?", "ids", "floats"
};
#define NB_FIELDS (sizeof(nb_fields) / sizeof(nb_fields[0]))
_Static_assert(NB_FIELDS == COOCPAIRS_TABLE_FIELDS,
    "the table's fields, as its reader counts them");

void
coocpairs_pack_params(msgpack_packer *pk, const struct coocpairs_meta *m)
{
	const struct cooc_params *p = m->params;

	msgpack_pack_map(pk, 7);
	stream_pack_cstr(pk, "event_weights");
	msgpack_pack_map(pk, m->nevents);
	for (size_t e = 0; e < m->nevents; e++) {
		stream_pack_cstr(pk, m->event[e]);
		msgpack_pack_double(pk, m->event_weight[e]);
	}
	stream_pack_kv_double(pk, "half_life_days", p->half_life_days);
	stream_pack_cstr(pk, "decay_end");
	msgpack_pack_int64(pk, p->decay_end);
	stream_pack_kv_uint(pk, "max_history", p->max_history);
	stream_pack_kv_double(pk, "popularity_exponent", p->alpha);
	stream_pack_kv_uint(pk, "neighbours", p->neighbours);
	stream_pack_kv_uint(pk, "min_support", p->min_support);
}

/* For qsort_r: products by their place in id order. */
static int
by_rank(const void *a, const void *b, void *rank)
{
	uint32_t x = ((const uint32_t *)rank)[*(const uint32_t *)a];
	uint32_t y = ((const uint32_t *)rank)[*(const uint32_t *)b];

	return (x > y) - (x < y);
}

/*
 * A record's category fields: the product's category (NULL: nil) and, on
 * the category's first record, its list: n customers, the most attached
 * first, with their affinities (n 0 on the others).
 */
struct category_fields {
	const struct id *label;
	const struct id *customer;
	const float *affinity;
	size_t n;
};

static size_t
category_fields_bound(const struct category_fields *f)
{
	size_t bound = 5 + 2 * 5 + (f->label ? f->label->len : 0);

	for (size_t i = 0; i < f->n; i++)
		bound += packbuf_id_bound(&f->customer[i]) + PACKBUF_NUMBER;
	return bound;
}

static void
pack_category_fields(struct packbuf *b, const struct category_fields *f)
{
	if (f->label != NULL)
		packbuf_str(b, f->label->str, f->label->len);
	else
		packbuf_pack_nil(b);
	packbuf_pack_array(b, f->n);
	for (size_t i = 0; i < f->n; i++)
		packbuf_id(b, &f->customer[i]);
	packbuf_pack_array(b, f->n);
	for (size_t i = 0; i < f->n; i++)
		packbuf_float(b, f->affinity[i]);
}

/*
 * Sets f to category g's label alone (nil for CATEGORY_NONE; label holds
 * the id) and returns whether the category's list goes with it too: the
 * first time g is met (listed, per category).
 */
static int
label_once(struct category_fields *f, const struct intern *labels, uint32_t g,
    struct id *label, uint8_t *listed)
{
	*f = (struct category_fields){ 0 };
	if (g == CATEGORY_NONE)
		return 0;
	intern_get(labels, g, label);
	f->label = label;
	if (listed[g])
		return 0;
	listed[g] = 1;
	return 1;
}

/* A shard's categories as its records carry them. */
struct shard_categories {
	const struct interactions *ia;
	const struct cooc *model;	/* categorised, or NULL */
	uint8_t *listed;		/* per category */
	struct id label, customer[CATEGORY_DEPTH];
};

/* Product p's category fields into f. */
static void
shard_category(struct shard_categories *sc, uint32_t p,
    struct category_fields *f)
{
	const struct category_top *t;
	uint32_t g = sc->model != NULL ? sc->model->category_of[p] : CATEGORY_NONE;

	if (!label_once(f, sc->ia->categories, g, &sc->label, sc->listed))
		return;
	t = &sc->model->categories;
	f->n = t->start[g + 1] - t->start[g];
	for (size_t i = 0; i < f->n; i++)
		intern_get(sc->ia->customers, t->customer[t->start[g] + i],
		    &sc->customer[i]);
	f->customer = sc->customer;
	f->affinity = t->affinity + t->start[g];
}

int
coocpairs_write(FILE *out, const struct interactions *ia,
    const struct coocpairs_meta *m, const char *source)
{
	struct shard_categories *sc = xcalloc(1, sizeof(*sc));
	struct cooc model;
	struct cooc_history h;
	struct stream_writer *w = stream_writer_new(out);
	msgpack_packer *pk = stream_packer(w);
	size_t np;
	uint32_t *by_id, *support, *touched;
	fixed_sum *acc;
	unsigned char *sums = NULL;
	size_t sums_cap = 0;

	cooc_weigh(&model, &h, ia, ia->n, m->params);
	sc->ia = ia;
	if (ia->categories != NULL) {
		cooc_categorise(&model, ia, m->params->category_weight);
		sc->model = &model;
		sc->listed = xcalloc(interactions_ncategories(ia) + 1, 1);
	}
	np = model.nproducts;
	by_id = cooc_products_by_id(&model);
	acc = xcalloc(np + 1, sizeof(*acc));
	support = xcalloc(np + 1, sizeof(*support));
	touched = xmalloc((np + 1) * sizeof(*touched));
	stream_write_header(w, "cooc_pairs", PAIR_FIELDS, pair_fields, pair_types, 6);
	stream_pack_cstr(pk, "params");
	coocpairs_pack_params(pk, m);
	stream_pack_cstr(pk, "shard");
	msgpack_pack_map(pk, 3);
	stream_pack_kv_uint(pk, "index", m->shard);
	stream_pack_kv_uint(pk, "count", m->nshards);
	stream_pack_kv_str(pk, "interactions_fingerprint", m->fingerprint);
	stream_pack_kv_uint(pk, "interactions", ia->n);
	stream_pack_kv_uint(pk, "products", np);
	stream_pack_kv_bool(pk, "categories", ia->categories != NULL);
	stream_pack_cstr(pk, "provenance");
	msgpack_pack_map(pk, 4);
	stream_pack_provenance(pk, "aud-rank", source);
	for (size_t k = 0; k < np; k++) {
		uint32_t p = by_id[k];
		size_t nt = cooc_accumulate(&h, p, acc, support, touched);
		struct id id;
		struct packbuf b;
		unsigned char norm2[FIXED_SUM_BYTES];
		struct category_fields cf;

		/* Partners by their record in this part: in id order. */
		qsort_r(touched, nt, sizeof(*touched), by_rank, model.product_rank);
		sums = xgrow(sums, &sums_cap, nt * FIXED_SUM_BYTES + 1, 1);
		for (size_t i = 0; i < nt; i++)
			fixed_sum_put(sums + i * FIXED_SUM_BYTES, acc[touched[i]]);
		fixed_sum_put(norm2, cooc_norm2(&model, p));
		shard_category(sc, p, &cf);
		intern_get(ia->products, p, &id);
		b = stream_record_space(w, packbuf_id_bound(&id) + 5 + FIXED_SUM_BYTES +
		    3 * 5 + nt * (2 * PACKBUF_NUMBER + FIXED_SUM_BYTES) +
		    category_fields_bound(&cf));
		packbuf_id(&b, &id);
		packbuf_pack_bin(&b, FIXED_SUM_BYTES);
		packbuf_pack_bin_body(&b, norm2, FIXED_SUM_BYTES);
		packbuf_pack_array(&b, nt);
		for (size_t i = 0; i < nt; i++)
			packbuf_pack_uint32(&b, model.product_rank[touched[i]]);
		packbuf_pack_bin(&b, nt * FIXED_SUM_BYTES);
		packbuf_pack_bin_body(&b, sums, nt * FIXED_SUM_BYTES);
		packbuf_pack_array(&b, nt);
		for (size_t i = 0; i < nt; i++) {
			packbuf_pack_uint32(&b, support[touched[i]]);
			acc[touched[i]] = 0;
			support[touched[i]] = 0;
		}
		pack_category_fields(&b, &cf);
		stream_record_done(w, &b);
	}
	cooc_history_free(&h);
	cooc_free(&model);
	free(sc->listed);
	free(sc);
	free(by_id);
	free(acc);
	free(support);
	free(touched);
	free(sums);
	return stream_writer_finish(w);
}

/* One part being added up. */
struct part {
	const char *path;
	FILE *in;
	struct stream_reader *r;
	uint64_t nproducts, interactions;
	int categories;			/* the header says the products have */
	uint32_t *global;		/* per record: the product's place in
					   the table's id order */
	uint64_t next;			/* records read */
	const msgpack_object *rec;	/* the one read, or NULL at the end */
};

static int
fail(char *err, size_t errlen, const char *path, const char *what)
{
	snprintf(err, errlen, "%s: %s", path, what);
	return -1;
}

/* Opens p and checks its header against the first part's. */
static int
open_part(struct part *p, const msgpack_object **params, struct shard_set *set,
    char *err, size_t errlen)
{
	const msgpack_object *shard;
	uint64_t index, count;
	struct stat st;

	if ((p->in = fopen(p->path, "rb")) == NULL ||
	    fstat(fileno(p->in), &st) < 0) {
		snprintf(err, errlen, "%s: %s", p->path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, p->path, "not a regular file (a part "
		    "is read twice)");
	if ((p->r = stream_reader_open(p->in, p->path, err, errlen)) == NULL ||
	    stream_expect_kind(p->r, "cooc_pairs", err, errlen) < 0)
		return -1;
	shard = stream_header_get(p->r, "shard");
	if (stream_nfields(p->r) != PAIR_FIELDS ||
	    stream_header_get(p->r, "params") == NULL ||
	    mp_map_uint(shard, "index", &index) < 0 ||
	    mp_map_uint(shard, "count", &count) < 0 ||
	    mp_map_uint(stream_header(p->r), "products", &p->nproducts) < 0 ||
	    mp_map_uint(stream_header(p->r), "interactions", &p->interactions) < 0 ||
	    mp_map_bool(stream_header(p->r), "categories", &p->categories) < 0 ||
	    p->nproducts > (uint64_t)st.st_size)	/* a record is bytes */
		return fail(err, errlen, p->path, "not a usable co-occurrence part");
	if (*params == NULL)
		*params = stream_header_get(p->r, "params");
	else if (!msgpack_object_equal(**params,
	    *stream_header_get(p->r, "params")))
		return fail(err, errlen, p->path, "co-occurrence sums of other "
		    "settings (params) than the part before it");
	return shard_set_add(set, p->path, index, count, err, errlen);
}

/*
 * What the first reading gathers: the products of all parts, their |p|^2
 * and categories, and each category's most attached customers of all.
 */
struct gathered {
	struct intern *ids;		/* products */
	fixed_sum *norm2;		/* per product */
	uint32_t *category;		/* per product: a label, or CATEGORY_NONE */
	size_t cap;
	struct intern *labels;		/* categories */
	struct intern *customers;	/* of their lists */
	struct category_list {
		struct category_entry {
			uint32_t customer;	/* in customers */
			float affinity;
		} *e;
		size_t n, cap;
	} *lists;			/* per label */
	size_t lists_cap;
};

static void
gathered_free(struct gathered *g)
{
	for (size_t i = 0; i < intern_count(g->labels) && g->lists != NULL; i++)
		free(g->lists[i].e);
	free(g->lists);
	intern_free(g->ids);
	intern_free(g->labels);
	intern_free(g->customers);
	free(g->norm2);
	free(g->category);
}

/* For qsort_r: the most attached first, ties to the lower customer id. */
static int
more_attached(const void *a, const void *b, void *customers)
{
	const struct category_entry *x = a, *y = b;
	struct id i, j;

	if (x->affinity != y->affinity)
		return x->affinity > y->affinity ? -1 : 1;
	intern_get(customers, x->customer, &i);
	intern_get(customers, y->customer, &j);
	return id_compare(&i, &j);
}

/*
 * Adds a part's list of customers of category label (ids and affinities,
 * checked) to the category's: its CATEGORY_DEPTH most attached over the
 * parts so far, as category_top_build orders them. Returns 0 or -1.
 */
static int
add_category_list(struct gathered *g, uint32_t label, const msgpack_object *ids,
    const msgpack_object *affinities)
{
	struct category_list *l = &g->lists[label];

	l->e = xgrow(l->e, &l->cap, l->n + ids->via.array.size + 1, sizeof(*l->e));
	for (uint32_t i = 0; i < ids->via.array.size; i++) {
		struct id c;
		double a = affinities->via.array.ptr[i].via.f64;
		uint32_t k;

		if (stream_get_id(&ids->via.array.ptr[i], &c) < 0 ||
		    (k = intern_add(g->customers, &c, NULL)) == UINT32_MAX ||
		    (float)a != a)
			return -1;
		l->e[l->n++] = (struct category_entry){ k, (float)a };
	}
	qsort_r(l->e, l->n, sizeof(*l->e), more_attached, g->customers);
	if (l->n > CATEGORY_DEPTH)
		l->n = CATEGORY_DEPTH;
	return 0;
}

/*
 * Product k's category (v[0] its label, v[1] and v[2] the part's list of
 * it, if any) into g. Returns 0, or -1: not a label, a product in two
 * categories, a malformed list.
 */
static int
gather_category(struct gathered *g, uint32_t k, int added,
    const msgpack_object *v)
{
	struct id label;
	uint32_t c = CATEGORY_NONE;

	if (!mp_ids_and_floats(&v[1], &v[2]) ||
	    (v[0].type != MSGPACK_OBJECT_STR && (v[0].type !=
	    MSGPACK_OBJECT_NIL || v[1].via.array.size > 0)))
		return -1;
	if (v[0].type == MSGPACK_OBJECT_STR) {
		label = (struct id){ .is_str = 1, .str = v[0].via.str.ptr,
		    .len = v[0].via.str.size };
		int new_label;

		c = intern_add(g->labels, &label, &new_label);
		g->lists = xgrow(g->lists, &g->lists_cap, intern_count(g->labels) + 1,
		    sizeof(*g->lists));
		if (new_label)
			g->lists[c] = (struct category_list){ 0 };
	}
	if (!added && g->category[k] != c)
		return -1;
	g->category[k] = c;
	return v[1].via.array.size > 0 ? add_category_list(g, c, &v[1], &v[2]) : 0;
}

/* Reads p's next record into p->rec (NULL at the end), checking it. */
static int
next_record(struct part *p, char *err, size_t errlen)
{
	const msgpack_object *v;
	int ret = stream_read(p->r, &p->rec, err, errlen);

	if (ret <= 0) {
		p->rec = NULL;
		if (ret == 0 && p->next != p->nproducts)
			return fail(err, errlen, p->path, "fewer products than "
			    "its header says");
		return ret;
	}
	v = p->rec->via.array.ptr;
	if (p->next == p->nproducts ||
	    v[1].type != MSGPACK_OBJECT_BIN || v[1].via.bin.size != FIXED_SUM_BYTES ||
	    v[2].type != MSGPACK_OBJECT_ARRAY || v[4].type != MSGPACK_OBJECT_ARRAY ||
	    v[3].type != MSGPACK_OBJECT_BIN ||
	    v[4].via.array.size != v[2].via.array.size ||
	    v[3].via.bin.size != (uint64_t)v[2].via.array.size * FIXED_SUM_BYTES) {
		snprintf(err, errlen, "%s: byte %llu: not a co-occurrence part's "
		    "record", p->path, (unsigned long long)stream_offset(p->r));
		return -1;
	}
	p->next++;
	return 1;
}

/*
 * The first reading: every part's products, interned into g, their |p|^2
 * summed and their categories and lists gathered; p->global[k] is then
 * the k-th record's product in g. Returns 0 or -1.
 */
static int
read_products(struct part *p, struct gathered *g, char *err, size_t errlen)
{
	int ret;

	while ((ret = next_record(p, err, errlen)) == 1) {
		const msgpack_object *v = p->rec->via.array.ptr;
		struct id id;
		uint32_t k;
		int added;
		size_t before = g->cap;

		if (stream_get_id(&v[0], &id) < 0 ||
		    (k = intern_add(g->ids, &id, &added)) == UINT32_MAX) {
			snprintf(err, errlen, "%s: byte %llu: a product id of the "
			    "wrong type", p->path,
			    (unsigned long long)stream_offset(p->r));
			return -1;
		}
		g->norm2 = xgrow(g->norm2, &g->cap, (size_t)k + 1, sizeof(*g->norm2));
		if (g->cap != before)
			g->category = xrealloc(g->category, g->cap *
			    sizeof(*g->category));
		if (added)
			g->norm2[k] = 0;
		g->norm2[k] = fixed_sum_add(g->norm2[k],
		    fixed_sum_get((const unsigned char *)v[1].via.bin.ptr));
		if (gather_category(g, k, added, &v[5]) < 0) {
			snprintf(err, errlen, "%s: byte %llu: a malformed category, "
			    "or a product in another category than a part before "
			    "says", p->path, (unsigned long long)stream_offset(p->r));
			return -1;
		}
		p->global[p->next - 1] = k;
	}
	return ret;
}

/* Writes the table's header: the parts' settings and totals. */
static void
write_header(struct stream_writer *w, const msgpack_object *params,
    uint64_t nshards, uint64_t interactions, uint64_t products,
    int categories, const char *source)
{
	msgpack_packer *pk = stream_packer(w);

	stream_write_header(w, "cooc_neighbours", NB_FIELDS, nb_fields, nb_types, 6);
	stream_pack_cstr(pk, "params");
	msgpack_pack_object(pk, *params);
	stream_pack_kv_uint(pk, "shards", nshards);
	stream_pack_kv_uint(pk, "interactions", interactions);
	stream_pack_kv_uint(pk, "products", products);
	stream_pack_kv_bool(pk, "categories", categories);
	stream_pack_cstr(pk, "provenance");
	msgpack_pack_map(pk, 4);
	stream_pack_provenance(pk, "aud-rank", source);
}

/* The settings the table is made with, from the parts' params. */
struct table_settings {
	double alpha;
	uint64_t neighbours, min_support;
};

static int
read_settings(const msgpack_object *params, struct table_settings *s)
{
	const msgpack_object *a = mp_map_get(params, "popularity_exponent");

	if (a == NULL || (a->type != MSGPACK_OBJECT_FLOAT64 &&
	    a->type != MSGPACK_OBJECT_FLOAT32) ||
	    mp_map_uint(params, "neighbours", &s->neighbours) < 0 ||
	    mp_map_uint(params, "min_support", &s->min_support) < 0 ||
	    s->neighbours == 0 || s->neighbours > UINT32_MAX)
		return -1;
	s->alpha = a->via.f64;
	return 0;
}

/* What the second reading needs. */
struct table_job {
	struct stream_writer *w;
	struct part *parts;
	size_t n;
	const struct gathered *g;
	const uint32_t *order;		/* the products of g in id order */
	const double *norm2;		/* by place in order */
	struct table_settings s;
	uint8_t *listed;		/* per category */
	struct id label, customer[CATEGORY_DEPTH];
	float affinity[CATEGORY_DEPTH];
	/* The parts' pairs of the product being summed (n at most), and the
	   candidates for its neighbours. */
	struct pairs_list {
		const msgpack_object *partner, *count;
		const unsigned char *sum;
		uint32_t *place;	/* the partners' table places */
		size_t place_cap;
		uint32_t n, at;
	} *lists;
	struct cooc_weighted *cand;
	size_t cand_cap;
};

/*
 * Takes part p's current record as a list of pairs, checked: its partners
 * are records of the part, ascending, and its supports counts. Returns 0,
 * or -1 with err filled.
 */
static int
take_pairs(struct pairs_list *l, const struct part *p, char *err,
    size_t errlen)
{
	const msgpack_object *v = p->rec->via.array.ptr;

	l->partner = v[2].via.array.ptr;
	l->count = v[4].via.array.ptr;
	l->sum = (const unsigned char *)v[3].via.bin.ptr;
	l->n = v[2].via.array.size;
	l->at = 0;
	l->place = xgrow(l->place, &l->place_cap, (size_t)l->n + 1,
	    sizeof(*l->place));
	for (uint32_t i = 0; i < l->n; i++) {
		if (l->partner[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    l->partner[i].via.u64 >= p->nproducts ||
		    (i > 0 && l->partner[i].via.u64 <= l->partner[i - 1].via.u64) ||
		    l->count[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    l->count[i].via.u64 > UINT32_MAX) {
			snprintf(err, errlen, "%s: byte %llu: a partner outside "
			    "the part or out of order, or a support too large",
			    p->path, (unsigned long long)stream_offset(p->r));
			return -1;
		}
		/* Looked up here, where the loads do not wait for each
		   other: at the merge of the lists each was a cache miss in
		   the way of the next comparison. */
		l->place[i] = p->global[l->partner[i].via.u64];
	}
	return 0;
}

/* The table place of list l's next partner, or UINT32_MAX at its end. */
static uint32_t
next_partner(const struct pairs_list *l)
{
	return l->at < l->n ? l->place[l->at] : UINT32_MAX;
}

/*
 * Product g's candidates into j->cand from its nl lists: each ascending by
 * table place, so a merge of them adds up each partner's sums in turn
 * (one machine adds them into an array of all products, at random; the
 * sums are exact, so the order does not matter). Returns how many.
 */
static size_t
sum_pairs(struct table_job *j, size_t g, size_t nl)
{
	size_t total = 0, nc = 0;

	for (size_t i = 0; i < nl; i++)
		total += j->lists[i].n;
	j->cand = xgrow(j->cand, &j->cand_cap, total + 1, sizeof(*j->cand));
	for (;;) {
		uint32_t q = UINT32_MAX;
		fixed_sum acc = 0;
		uint64_t support = 0;
		float v;

		for (size_t i = 0; i < nl; i++)
			if (next_partner(&j->lists[i]) < q)
				q = next_partner(&j->lists[i]);
		if (q == UINT32_MAX)
			break;
		for (size_t i = 0; i < nl; i++) {
			struct pairs_list *l = &j->lists[i];

			if (next_partner(l) != q)
				continue;
			acc = fixed_sum_add(acc, fixed_sum_get(l->sum +
			    (size_t)l->at * FIXED_SUM_BYTES));
			support += l->count[l->at++].via.u64;
		}
		/* Support first: on sparse data most pairs lack it, and the
		   similarity reads |q|^2 at random. */
		if (support < j->s.min_support)
			continue;
		v = cooc_similarity(acc, j->norm2[g], j->norm2[q], j->s.alpha);
		if (v > 0)
			j->cand[nc++] = (struct cooc_weighted){ q, v };
	}
	return nc;
}

/* Product k of g's category fields into f (its list on its first). */
static void
table_category(struct table_job *j, uint32_t k, struct category_fields *f)
{
	uint32_t c = j->g->category[k];
	const struct category_list *l;

	if (!label_once(f, j->g->labels, c, &j->label, j->listed))
		return;
	l = &j->g->lists[c];
	for (size_t i = 0; i < l->n; i++) {
		intern_get(j->g->customers, l->e[i].customer, &j->customer[i]);
		j->affinity[i] = l->e[i].affinity;
	}
	f->customer = j->customer;
	f->affinity = j->affinity;
	f->n = l->n;
}

/*
 * The second reading: each product's pairs summed, its neighbours kept; a
 * record for each product with neighbours or a category.
 */
static int
write_table(struct table_job *j, char *err, size_t errlen)
{
	size_t np = intern_count(j->g->ids);
	struct part *parts = j->parts, **at = xmalloc((j->n + 1) * sizeof(*at));
	const struct intern *ids = j->g->ids;
	struct cooc_weighted *cand;
	int ret = 0;

	j->lists = xcalloc(j->n + 1, sizeof(*j->lists));
	for (size_t i = 0; i < j->n && ret == 0; i++)
		ret = next_record(&parts[i], err, errlen) < 0 ? -1 : 0;
	for (size_t g = 0; g < np && ret == 0; g++) {
		size_t nl = 0, nc, bound;
		struct packbuf b;
		struct category_fields cf;
		struct id id, q;

		/* The parts' records of g are read together, then each part
		   moves on. */
		for (size_t i = 0; i < j->n && ret == 0; i++)
			if (parts[i].rec != NULL &&
			    parts[i].global[parts[i].next - 1] == g) {
				ret = take_pairs(&j->lists[nl], &parts[i], err, errlen);
				at[nl++] = &parts[i];
			}
		nc = ret == 0 ? sum_pairs(j, g, nl) : 0;
		for (size_t i = 0; i < nl && ret == 0; i++)
			if (next_record(at[i], err, errlen) < 0)
				ret = -1;
		if (ret < 0)
			break;
		cand = j->cand;
		table_category(j, j->order[g], &cf);
		if (nc == 0 && cf.label == NULL)
			continue;
		cooc_sort_weighted(cand, nc, NULL);	/* g: places in id order */
		if (nc > j->s.neighbours)
			nc = (size_t)j->s.neighbours;
		intern_get(ids, j->order[g], &id);
		bound = packbuf_id_bound(&id) + 10 + nc * PACKBUF_NUMBER +
		    category_fields_bound(&cf);
		for (size_t i = 0; i < nc; i++) {
			intern_get(ids, j->order[cand[i].product], &q);
			bound += packbuf_id_bound(&q);
		}
		b = stream_record_space(j->w, bound);
		intern_get(ids, j->order[g], &id);
		packbuf_id(&b, &id);
		packbuf_pack_array(&b, nc);
		for (size_t i = 0; i < nc; i++) {
			intern_get(ids, j->order[cand[i].product], &q);
			packbuf_id(&b, &q);
		}
		packbuf_pack_array(&b, nc);
		for (size_t i = 0; i < nc; i++)
			packbuf_float(&b, cand[i].weight);
		pack_category_fields(&b, &cf);
		stream_record_done(j->w, &b);
	}
	free(at);
	for (size_t i = 0; i < j->n; i++)
		free(j->lists[i].place);
	free(j->lists);
	free(j->cand);
	return ret;
}

int
coocpairs_neighbours(FILE *out, const char *const *path, size_t n,
    const char *source, char *err, size_t errlen)
{
	struct part *parts = xcalloc(n + 1, sizeof(*parts));
	struct gathered g = { .ids = intern_new(), .labels = intern_new(),
	    .customers = intern_new() };
	struct table_job j = { .parts = parts, .n = n, .g = &g };
	struct shard_set set;
	const msgpack_object *params = NULL;
	double *norm2 = NULL;
	uint32_t *place = NULL, *order = NULL;
	size_t np;
	uint64_t interactions = 0;
	int ret = 0;

	shard_set_init(&set);
	for (size_t i = 0; i < n && ret == 0; i++) {
		parts[i].path = path[i];
		ret = open_part(&parts[i], &params, &set, err, errlen);
		if (ret == 0 && parts[i].categories != parts[0].categories)
			ret = fail(err, errlen, path[i], "co-occurrence sums with "
			    "categories beside sums without");
		if (ret == 0) {
			parts[i].global = xmalloc((parts[i].nproducts + 1) *
			    sizeof(*parts[i].global));
			ret = read_products(&parts[i], &g, err, errlen);
			interactions += parts[i].interactions;
		}
	}
	if (ret == 0)
		ret = shard_set_complete(&set, err, errlen);
	if (ret == 0 && read_settings(params, &j.s) < 0)
		ret = fail(err, errlen, path[0], "not a usable co-occurrence part");
	np = intern_count(g.ids);
	if (ret == 0) {
		/* Table places in id order, and |p|^2 by them. */
		order = ranking_by_id(g.ids);
		place = xmalloc((np + 1) * sizeof(*place));
		norm2 = xmalloc((np + 1) * sizeof(*norm2));
		for (size_t k = 0; k < np; k++) {
			place[order[k]] = (uint32_t)k;
			norm2[k] = fixed_products_value(g.norm2[order[k]]);
		}
	}
	j.w = stream_writer_new(out);
	if (ret == 0)
		write_header(j.w, params, set.nshards, interactions, np,
		    parts[0].categories, source);
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct part *p = &parts[i];

		for (uint64_t k = 0; k < p->nproducts && ret == 0; k++) {
			p->global[k] = place[p->global[k]];
			if (k > 0 && p->global[k] <= p->global[k - 1])
				ret = fail(err, errlen, p->path, "products out of "
				    "id order, or one twice");
		}
		if (ret < 0)
			break;
		/* The second reading, from the start. */
		stream_reader_free(p->r);
		rewind(p->in);
		p->next = 0;
		if ((p->r = stream_reader_open(p->in, p->path, err, errlen)) == NULL)
			ret = -1;
	}
	if (ret == 0) {
		j.order = order;
		j.norm2 = norm2;
		j.listed = xcalloc(intern_count(g.labels) + 1, 1);
		ret = write_table(&j, err, errlen);
	}
	if (stream_writer_finish(j.w) < 0 && ret == 0) {
		snprintf(err, errlen, "writing: %s", strerror(errno));
		ret = -1;
	}
	for (size_t i = 0; i < n; i++) {
		stream_reader_free(parts[i].r);
		if (parts[i].in != NULL)
			fclose(parts[i].in);
		free(parts[i].global);
	}
	free(parts);
	free(norm2);
	free(place);
	free(order);
	free(j.listed);
	gathered_free(&g);
	return ret;
}

int
coocpairs_same_params(const msgpack_object *table,
    const struct coocpairs_meta *m)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	int same;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	coocpairs_pack_params(&pk, m);
	msgpack_unpacked_init(&u);
	same = table != NULL && msgpack_unpack_next(&u, sb.data, sb.size, NULL) ==
	    MSGPACK_UNPACK_SUCCESS && msgpack_object_equal(u.data, *table);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return same;
}
