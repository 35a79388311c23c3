/* A customer shard's co-occurrence model from the neighbour table; see
   cooctable.h. */
#include "cooctable.h"

#include <stdlib.h>
#include <string.h>

#include "category.h"
#include "stream.h"
#include "xalloc.h"
#include "banned.h"

static int
fail(char *err, size_t errlen, const char *name, const char *what)
{
	snprintf(err, errlen, "%s: %s", name, what);
	return -1;
}

/* The table's record of product p: where its neighbours start, how many. */
struct entry {
	uint32_t product;
	uint64_t from, count;
};

/* What a shard reads of the table. */
struct table_read {
	struct interactions *ia;	/* products and categories are added */
	struct entry *e;		/* per record with neighbours */
	size_t ne, ecap;
	uint32_t *q;			/* their neighbours, back to back */
	float *sim;
	uint64_t nq, qcap;
	struct category_member *member;	/* the shard's customers of each
					   category's list */
	size_t nmembers, mcap;
	float *largest;			/* per category: its list's first */
	size_t lcap;
};

/* A record's neighbours of product p (v[1] and v[2]) into t. */
static int
read_neighbours(struct table_read *t, uint32_t p, const msgpack_object *v)
{
	uint32_t n = v[1].via.array.size;

	if (n == 0)
		return 0;
	t->e = xgrow(t->e, &t->ecap, t->ne + 1, sizeof(*t->e));
	t->e[t->ne++] = (struct entry){ p, t->nq, n };
	t->q = xgrow(t->q, &t->qcap, t->nq + n, sizeof(*t->q));
	t->sim = xrealloc(t->sim, t->qcap * sizeof(*t->sim));
	for (uint32_t k = 0; k < n; k++) {
		struct id nb;
		double s = v[2].via.array.ptr[k].via.f64;

		if (stream_get_id(&v[1].via.array.ptr[k], &nb) < 0 ||
		    !(s > 0) || (float)s != s ||
		    (t->q[t->nq] = interactions_add_product(t->ia, &nb)) ==
		    UINT32_MAX || t->q[t->nq] == p)
			return -1;
		t->sim[t->nq++] = (float)s;
	}
	return 0;
}

/*
 * A record's category of product p (v[3], nil or one the interactions
 * agree with) and the category's list (v[4] and v[5]): its first
 * affinity is the category's largest, its customers in the shard are
 * kept.
 */
static int
read_category(struct table_read *t, uint32_t p, const msgpack_object *v)
{
	struct id label, have, c;
	uint32_t g;
	size_t before = t->lcap;

	if (!mp_ids_and_floats(&v[4], &v[5]))
		return -1;
	if (v[3].type == MSGPACK_OBJECT_NIL)
		return v[4].via.array.size == 0 ? 0 : -1;
	if (v[3].type != MSGPACK_OBJECT_STR)
		return -1;
	label = (struct id){ .is_str = 1, .str = v[3].via.str.ptr,
	    .len = v[3].via.str.size };
	if ((g = interactions_set_category(t->ia, p, &label)) ==
	    INTERACTIONS_NO_CATEGORY)
		return -1;
	intern_get(t->ia->categories, g, &have);
	if (id_compare(&have, &label) != 0 || v[4].via.array.size == 0)
		return id_compare(&have, &label) != 0 ? -1 : 0;
	t->largest = xgrow(t->largest, &t->lcap, (size_t)g + 1, sizeof(*t->largest));
	if (t->lcap != before)
		memset(t->largest + before, 0, (t->lcap - before) *
		    sizeof(*t->largest));
	t->largest[g] = (float)v[5].via.array.ptr[0].via.f64;
	for (uint32_t k = 0; k < v[4].via.array.size; k++) {
		uint32_t customer;
		double a = v[5].via.array.ptr[k].via.f64;

		if (stream_get_id(&v[4].via.array.ptr[k], &c) < 0 || (float)a != a)
			return -1;
		if ((customer = interactions_find_customer(t->ia, &c)) ==
		    UINT32_MAX)
			continue;	/* another shard's */
		t->member = xgrow(t->member, &t->mcap, t->nmembers + 1,
		    sizeof(*t->member));
		t->member[t->nmembers++] = (struct category_member){ g, customer,
		    (float)a };
	}
	return 0;
}

/* Reads the table's records into t. */
static int
read_table(struct stream_reader *r, struct table_read *t, char *err,
    size_t errlen)
{
	const msgpack_object *rec;
	int ret;

	while ((ret = stream_read(r, &rec, err, errlen)) == 1) {
		const msgpack_object *v = rec->via.array.ptr;
		struct id id;
		uint32_t p;

		if (stream_get_id(&v[0], &id) < 0 ||
		    !mp_ids_and_floats(&v[1], &v[2]) ||
		    (p = interactions_add_product(t->ia, &id)) == UINT32_MAX ||
		    read_neighbours(t, p, v) < 0 || read_category(t, p, v) < 0 ||
		    (v[1].via.array.size == 0 && v[3].type == MSGPACK_OBJECT_NIL)) {
			snprintf(err, errlen, "%s: byte %llu: not a neighbour "
			    "table's record, or a product in another category "
			    "than the interactions say", stream_name(r),
			    (unsigned long long)stream_offset(r));
			return -1;
		}
	}
	return ret;
}

/* The neighbours read laid out by product index. Returns 0 or -1. */
static int
place_neighbours(struct cooc *m, const struct table_read *t)
{
	m->nstart = xcalloc(m->nproducts + 2, sizeof(*m->nstart));
	for (size_t i = 0; i < t->ne; i++)
		if (m->nstart[t->e[i].product + 1]++ > 0)
			return -1;
	for (size_t i = 0; i < t->ne; i++)
		m->nstart[t->e[i].product + 1] = t->e[i].count;
	for (size_t p = 0; p < m->nproducts; p++)
		m->nstart[p + 1] += m->nstart[p];
	m->nproduct = xmalloc((t->nq + 1) * sizeof(*m->nproduct));
	m->nsim = xmalloc((t->nq + 1) * sizeof(*m->nsim));
	for (size_t i = 0; i < t->ne; i++) {
		uint64_t n = m->nstart[t->e[i].product];

		memcpy(m->nproduct + n, t->q + t->e[i].from, t->e[i].count *
		    sizeof(*t->q));
		memcpy(m->nsim + n, t->sim + t->e[i].from, t->e[i].count *
		    sizeof(*t->sim));
	}
	return 0;
}

/* The categories read, as cooc_categorise gives them on one machine. */
static void
place_categories(struct cooc *m, const struct table_read *t, double weight)
{
	size_t ng = interactions_ncategories(t->ia);
	float *largest = xcalloc(ng + 1, sizeof(*largest));

	memcpy(largest, t->largest, (t->lcap < ng ? t->lcap : ng) *
	    sizeof(*largest));
	m->category_of = xmalloc((m->nproducts + 1) * sizeof(*m->category_of));
	for (size_t p = 0; p < m->nproducts; p++)
		m->category_of[p] = interactions_category(t->ia, p);
	category_top_gather(&m->categories, ng, t->member, t->nmembers, largest);
	m->category_weight = weight;
	free(largest);
}

int
cooctable_load(struct cooc *m, struct interactions *ia,
    const struct coocpairs_meta *meta, FILE *in, const char *name, char *err,
    size_t errlen)
{
	struct stream_reader *r = stream_reader_open(in, name, err, errlen);
	struct table_read t = { .ia = ia };
	int categories;
	int ret = r == NULL || stream_expect_kind(r, "cooc_neighbours", err,
	    errlen) < 0 ? -1 : 0;

	if (ret == 0 && (stream_nfields(r) != COOCPAIRS_TABLE_FIELDS ||
	    mp_map_bool(stream_header(r), "categories", &categories) < 0))
		ret = fail(err, errlen, stream_name(r), "not a usable neighbour table");
	if (ret == 0 && !coocpairs_same_params(stream_header_get(r, "params"), meta))
		ret = fail(err, errlen, stream_name(r), "a neighbour table of other "
		    "settings (params) than these");
	if (ret == 0 && categories != (ia->categories != NULL))
		ret = fail(err, errlen, stream_name(r), categories ?
		    "a neighbour table of products with categories, for "
		    "interactions without" : "a neighbour table of products "
		    "without categories, for interactions with");
	if (ret == 0)
		ret = read_table(r, &t, err, errlen);
	if (ret == 0) {
		cooc_weigh(m, NULL, ia, ia->n, meta->params);
		if (place_neighbours(m, &t) < 0)
			ret = fail(err, errlen, stream_name(r),
			    "a product twice in the neighbour table");
		else if (ia->categories != NULL && meta->params->category_weight > 0)
			place_categories(m, &t, meta->params->category_weight);
		if (ret < 0)
			cooc_free(m);
	}
	stream_reader_free(r);
	free(t.e);
	free(t.q);
	free(t.sim);
	free(t.member);
	free(t.largest);
	return ret;
}
