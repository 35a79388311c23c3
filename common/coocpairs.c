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

static const char *const pair_fields[] = {
	"product_id", "norm2", "partners", "sums", "support"
};
static const char *const pair_types[] = { "id", "sum", "ordinals", "sums", "uints" };
#define PAIR_FIELDS (sizeof(pair_fields) / sizeof(pair_fields[0]))

static const char *const nb_fields[] = {
	"product_id", "neighbours", "similarities"
};
static const char *const nb_types[] = { "id", "ids", "floats" };
#define NB_FIELDS (sizeof(nb_fields) / sizeof(nb_fields[0]))

/* A sum's bytes: 16, little-endian two's complement, in units of 2^-80. */
#define SUM_BYTES 16

static void
sum_put(unsigned char *p, fixed_sum v)
{
	unsigned __int128 u = (unsigned __int128)v;

	for (int i = 0; i < SUM_BYTES; i++, u >>= 8)
		p[i] = (unsigned char)u;
}

static fixed_sum
sum_get(const unsigned char *p)
{
	unsigned __int128 u = 0;

	for (int i = SUM_BYTES - 1; i >= 0; i--)
		u = u << 8 | p[i];
	return (fixed_sum)u;
}

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

int
coocpairs_write(FILE *out, const struct interactions *ia,
    const struct coocpairs_meta *m, const char *source)
{
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
	np = model.nproducts;
	by_id = cooc_products_by_id(&model);
	acc = xcalloc(np + 1, sizeof(*acc));
	support = xcalloc(np + 1, sizeof(*support));
	touched = xmalloc((np + 1) * sizeof(*touched));
	stream_write_header(w, "cooc_pairs", PAIR_FIELDS, pair_fields, pair_types, 5);
	stream_pack_cstr(pk, "params");
	coocpairs_pack_params(pk, m);
	stream_pack_cstr(pk, "shard");
	msgpack_pack_map(pk, 3);
	stream_pack_kv_uint(pk, "index", m->shard);
	stream_pack_kv_uint(pk, "count", m->nshards);
	stream_pack_kv_str(pk, "interactions_fingerprint", m->fingerprint);
	stream_pack_kv_uint(pk, "interactions", ia->n);
	stream_pack_kv_uint(pk, "products", np);
	stream_pack_cstr(pk, "provenance");
	msgpack_pack_map(pk, 4);
	stream_pack_provenance(pk, "aud-rank", source);
	for (size_t k = 0; k < np; k++) {
		uint32_t p = by_id[k];
		size_t nt = cooc_accumulate(&h, p, acc, support, touched);
		struct id id;
		struct packbuf b;
		unsigned char norm2[SUM_BYTES];

		/* Partners by their record in this part: in id order. */
		qsort_r(touched, nt, sizeof(*touched), by_rank, model.product_rank);
		sums = xgrow(sums, &sums_cap, nt * SUM_BYTES + 1, 1);
		for (size_t i = 0; i < nt; i++)
			sum_put(sums + i * SUM_BYTES, acc[touched[i]]);
		sum_put(norm2, cooc_norm2(&model, p));
		intern_get(ia->products, p, &id);
		b = stream_record_space(w, packbuf_id_bound(&id) + 5 + SUM_BYTES +
		    3 * 5 + nt * (2 * PACKBUF_NUMBER + SUM_BYTES));
		packbuf_id(&b, &id);
		packbuf_pack_bin(&b, SUM_BYTES);
		packbuf_pack_bin_body(&b, norm2, SUM_BYTES);
		packbuf_pack_array(&b, nt);
		for (size_t i = 0; i < nt; i++)
			packbuf_pack_uint32(&b, model.product_rank[touched[i]]);
		packbuf_pack_bin(&b, nt * SUM_BYTES);
		packbuf_pack_bin_body(&b, sums, nt * SUM_BYTES);
		packbuf_pack_array(&b, nt);
		for (size_t i = 0; i < nt; i++) {
			packbuf_pack_uint32(&b, support[touched[i]]);
			acc[touched[i]] = 0;
			support[touched[i]] = 0;
		}
		stream_record_done(w, &b);
	}
	cooc_history_free(&h);
	cooc_free(&model);
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
	    v[1].type != MSGPACK_OBJECT_BIN || v[1].via.bin.size != SUM_BYTES ||
	    v[2].type != MSGPACK_OBJECT_ARRAY || v[4].type != MSGPACK_OBJECT_ARRAY ||
	    v[3].type != MSGPACK_OBJECT_BIN ||
	    v[4].via.array.size != v[2].via.array.size ||
	    v[3].via.bin.size != (uint64_t)v[2].via.array.size * SUM_BYTES) {
		snprintf(err, errlen, "%s: byte %llu: not a co-occurrence part's "
		    "record", p->path, (unsigned long long)stream_offset(p->r));
		return -1;
	}
	p->next++;
	return 1;
}

/*
 * The first reading: every part's products, interned into ids, their
 * |p|^2 summed into *norm2 (grown as ids are added). Returns 0 or -1.
 */
static int
read_products(struct part *p, struct intern *ids, fixed_sum **norm2,
    size_t *cap, uint32_t *local, char *err, size_t errlen)
{
	int ret;

	while ((ret = next_record(p, err, errlen)) == 1) {
		const msgpack_object *v = p->rec->via.array.ptr;
		struct id id;
		uint32_t g;
		int added;

		if (stream_get_id(&v[0], &id) < 0 ||
		    (g = intern_add(ids, &id, &added)) == UINT32_MAX) {
			snprintf(err, errlen, "%s: byte %llu: a product id of the "
			    "wrong type", p->path,
			    (unsigned long long)stream_offset(p->r));
			return -1;
		}
		*norm2 = xgrow(*norm2, cap, (size_t)g + 1, sizeof(**norm2));
		if (added)
			(*norm2)[g] = 0;
		(*norm2)[g] += sum_get((const unsigned char *)v[1].via.bin.ptr);
		local[p->next - 1] = g;
	}
	return ret;
}

/* Writes the table's header: the parts' settings and totals. */
static void
write_header(struct stream_writer *w, const msgpack_object *params,
    uint64_t nshards, uint64_t interactions, uint64_t products,
    const char *source)
{
	msgpack_packer *pk = stream_packer(w);

	stream_write_header(w, "cooc_neighbours", NB_FIELDS, nb_fields, nb_types, 5);
	stream_pack_cstr(pk, "params");
	msgpack_pack_object(pk, *params);
	stream_pack_kv_uint(pk, "shards", nshards);
	stream_pack_kv_uint(pk, "interactions", interactions);
	stream_pack_kv_uint(pk, "products", products);
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

/* Adds the pairs of p's current record, for table product g, into acc. */
static int
add_pairs(struct part *p, fixed_sum *acc, uint32_t *support,
    uint32_t *touched, size_t *nt, char *err, size_t errlen)
{
	const msgpack_object *v = p->rec->via.array.ptr;
	const msgpack_object *partner = v[2].via.array.ptr, *count = v[4].via.array.ptr;
	const unsigned char *sum = (const unsigned char *)v[3].via.bin.ptr;

	for (uint32_t i = 0; i < v[2].via.array.size; i++) {
		uint32_t q;

		if (partner[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    partner[i].via.u64 >= p->nproducts ||
		    count[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    count[i].via.u64 > UINT32_MAX - support[p->global[
		    partner[i].via.u64]]) {
			snprintf(err, errlen, "%s: byte %llu: a partner outside "
			    "the part, or a support too large", p->path,
			    (unsigned long long)stream_offset(p->r));
			return -1;
		}
		q = p->global[partner[i].via.u64];
		if (support[q] == 0)
			touched[(*nt)++] = q;
		support[q] += (uint32_t)count[i].via.u64;
		acc[q] += sum_get(sum + (size_t)i * SUM_BYTES);
	}
	return 0;
}

/* The second reading: each product's pairs summed, its neighbours kept. */
static int
write_table(struct stream_writer *w, struct part *parts, size_t n,
    const struct intern *ids, const uint32_t *order, const double *norm2,
    const struct table_settings *s, char *err, size_t errlen)
{
	size_t np = intern_count(ids), cap = 0;
	uint32_t *support = xcalloc(np + 1, sizeof(*support));
	uint32_t *touched = xmalloc((np + 1) * sizeof(*touched));
	fixed_sum *acc = xcalloc(np + 1, sizeof(*acc));
	struct cooc_weighted *cand = NULL;
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++)
		ret = next_record(&parts[i], err, errlen) < 0 ? -1 : 0;
	for (size_t g = 0; g < np && ret == 0; g++) {
		size_t nt = 0, nc = 0, bound;
		struct packbuf b;
		struct id id, q;

		for (size_t i = 0; i < n && ret == 0; i++)
			if (parts[i].rec != NULL &&
			    parts[i].global[parts[i].next - 1] == g) {
				ret = add_pairs(&parts[i], acc, support, touched,
				    &nt, err, errlen);
				if (ret == 0 && next_record(&parts[i], err, errlen) < 0)
					ret = -1;
			}
		cand = xgrow(cand, &cap, nt + 1, sizeof(*cand));
		for (size_t i = 0; i < nt; i++) {
			uint32_t t = touched[i];
			float v = cooc_similarity(acc[t], norm2[g], norm2[t], s->alpha);

			if (v > 0 && support[t] >= s->min_support)
				cand[nc++] = (struct cooc_weighted){ t, v };
			acc[t] = 0;
			support[t] = 0;
		}
		if (nc == 0)
			continue;
		cooc_sort_weighted(cand, nc, NULL);	/* g: places in id order */
		if (nc > s->neighbours)
			nc = (size_t)s->neighbours;
		intern_get(ids, order[g], &id);
		bound = packbuf_id_bound(&id) + 10 + nc * PACKBUF_NUMBER;
		for (size_t i = 0; i < nc; i++) {
			intern_get(ids, order[cand[i].product], &q);
			bound += packbuf_id_bound(&q);
		}
		b = stream_record_space(w, bound);
		intern_get(ids, order[g], &id);
		packbuf_id(&b, &id);
		packbuf_pack_array(&b, nc);
		for (size_t i = 0; i < nc; i++) {
			intern_get(ids, order[cand[i].product], &q);
			packbuf_id(&b, &q);
		}
		packbuf_pack_array(&b, nc);
		for (size_t i = 0; i < nc; i++)
			packbuf_float(&b, cand[i].weight);
		stream_record_done(w, &b);
	}
	free(support);
	free(touched);
	free(acc);
	free(cand);
	return ret;
}

int
coocpairs_neighbours(FILE *out, const char *const *path, size_t n,
    const char *source, char *err, size_t errlen)
{
	struct part *parts = xcalloc(n + 1, sizeof(*parts));
	struct intern *ids = intern_new();
	struct shard_set set;
	struct table_settings s;
	const msgpack_object *params = NULL;
	fixed_sum *sums = NULL;
	double *norm2 = NULL;
	uint32_t *place = NULL, *order = NULL;
	size_t cap = 0, np;
	uint64_t interactions = 0;
	struct stream_writer *w;
	int ret = 0;

	shard_set_init(&set);
	for (size_t i = 0; i < n && ret == 0; i++) {
		parts[i].path = path[i];
		ret = open_part(&parts[i], &params, &set, err, errlen);
		if (ret == 0) {
			parts[i].global = xmalloc((parts[i].nproducts + 1) *
			    sizeof(*parts[i].global));
			ret = read_products(&parts[i], ids, &sums, &cap,
			    parts[i].global, err, errlen);
			interactions += parts[i].interactions;
		}
	}
	if (ret == 0)
		ret = shard_set_complete(&set, err, errlen);
	if (ret == 0 && read_settings(params, &s) < 0)
		ret = fail(err, errlen, path[0], "not a usable co-occurrence part");
	np = intern_count(ids);
	if (ret == 0) {
		/* Table places in id order, and |p|^2 by them. */
		order = ranking_by_id(ids);
		place = xmalloc((np + 1) * sizeof(*place));
		norm2 = xmalloc((np + 1) * sizeof(*norm2));
		for (size_t k = 0; k < np; k++) {
			place[order[k]] = (uint32_t)k;
			norm2[k] = fixed_products_value(sums[order[k]]);
		}
	}
	w = stream_writer_new(out);
	if (ret == 0)
		write_header(w, params, set.nshards, interactions, np, source);
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
	if (ret == 0)
		ret = write_table(w, parts, n, ids, order, norm2, &s, err, errlen);
	if (stream_writer_finish(w) < 0 && ret == 0) {
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
	free(sums);
	free(norm2);
	free(place);
	free(order);
	intern_free(ids);
	return ret;
}

/* The table's record of product p: where its neighbours start, how many. */
struct entry {
	uint32_t product;
	uint64_t from, count;
};

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

/* Reads the table's records into e and the flat q and sim. */
static int
read_table(struct stream_reader *r, struct interactions *ia, struct entry **e,
    size_t *ne, uint32_t **q, float **sim, uint64_t *nq, char *err,
    size_t errlen)
{
	size_t ecap = 0, qcap = 0;
	const msgpack_object *rec;
	int ret;

	while ((ret = stream_read(r, &rec, err, errlen)) == 1) {
		const msgpack_object *v = rec->via.array.ptr;
		uint32_t n = v[1].type == MSGPACK_OBJECT_ARRAY ? v[1].via.array.size : 0;
		struct id id;
		uint32_t p;

		if (stream_get_id(&v[0], &id) < 0 || n == 0 ||
		    !mp_ids_and_floats(&v[1], &v[2]) ||
		    (p = interactions_add_product(ia, &id)) == UINT32_MAX)
			goto bad;
		*e = xgrow(*e, &ecap, *ne + 1, sizeof(**e));
		(*e)[(*ne)++] = (struct entry){ p, *nq, n };
		*q = xgrow(*q, &qcap, *nq + n, sizeof(**q));
		*sim = xrealloc(*sim, qcap * sizeof(**sim));
		for (uint32_t k = 0; k < n; k++) {
			struct id nb;
			double s = v[2].via.array.ptr[k].via.f64;

			if (stream_get_id(&v[1].via.array.ptr[k], &nb) < 0 ||
			    !(s > 0) || (float)s != s ||
			    ((*q)[*nq] = interactions_add_product(ia, &nb)) ==
			    UINT32_MAX || (*q)[*nq] == p)
				goto bad;
			(*sim)[(*nq)++] = (float)s;
		}
	}
	return ret;
bad:
	snprintf(err, errlen, "%s: byte %llu: not a neighbour table's record",
	    stream_name(r), (unsigned long long)stream_offset(r));
	return -1;
}

int
coocpairs_load_table(struct cooc *m, struct interactions *ia,
    const struct coocpairs_meta *meta, FILE *in, const char *name, char *err,
    size_t errlen)
{
	struct stream_reader *r = stream_reader_open(in, name, err, errlen);
	struct entry *e = NULL;
	uint32_t *q = NULL;
	float *sim = NULL;
	size_t ne = 0;
	uint64_t nq = 0, n = 0;
	int ret = r == NULL || stream_expect_kind(r, "cooc_neighbours", err,
	    errlen) < 0 ? -1 : 0;

	if (ret == 0 && stream_nfields(r) != NB_FIELDS)
		ret = fail(err, errlen, stream_name(r), "not a usable neighbour table");
	if (ret == 0 && !coocpairs_same_params(stream_header_get(r, "params"), meta))
		ret = fail(err, errlen, stream_name(r), "a neighbour table of other "
		    "settings (params) than these");
	if (ret == 0)
		ret = read_table(r, ia, &e, &ne, &q, &sim, &nq, err, errlen);
	if (ret == 0) {
		cooc_weigh(m, NULL, ia, ia->n, meta->params);
		/* The neighbours laid out by product index. */
		m->nstart = xcalloc(m->nproducts + 2, sizeof(*m->nstart));
		for (size_t i = 0; i < ne && ret == 0; i++)
			if (m->nstart[e[i].product + 1]++ > 0)
				ret = fail(err, errlen, stream_name(r),
				    "a product twice in the neighbour table");
		for (size_t i = 0; i < ne; i++)
			m->nstart[e[i].product + 1] = e[i].count;
		for (size_t p = 0; p < m->nproducts; p++)
			m->nstart[p + 1] += m->nstart[p];
		m->nproduct = xmalloc((nq + 1) * sizeof(*m->nproduct));
		m->nsim = xmalloc((nq + 1) * sizeof(*m->nsim));
		for (size_t i = 0; i < ne; i++) {
			n = m->nstart[e[i].product];
			memcpy(m->nproduct + n, q + e[i].from, e[i].count * sizeof(*q));
			memcpy(m->nsim + n, sim + e[i].from, e[i].count * sizeof(*sim));
		}
		if (ret < 0)
			cooc_free(m);
	}
	stream_reader_free(r);
	free(e);
	free(q);
	free(sim);
	return ret;
}
