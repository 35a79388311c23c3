/* Audience parts of customer shards, and their merge; see audparts.h. */
#include "audparts.h"

#include <errno.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "shard.h"
#include "stream.h"
#include "xalloc.h"
#include "banned.h"

static const char *const fields[] = {
	"product_id", "product_name", "customers", "places"
};
static const char *const types[] = { "id", "str?", "uint", "places" };
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

struct audparts_writer {
	struct stream_writer *w;
};

static void
pack_ids_scores(msgpack_packer *pk, const struct id *ids, const double *scores,
    size_t n)
{
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		stream_pack_id(pk, &ids[i]);
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		msgpack_pack_double(pk, scores[i]);
}

struct audparts_writer *
audparts_writer_new(FILE *out, const struct audparts_meta *m,
    const char *source, const struct id *ranking, const double *scores,
    size_t n)
{
	struct audparts_writer *w = xcalloc(1, sizeof(*w));
	msgpack_packer *pk;

	w->w = stream_writer_new(out);
	pk = stream_packer(w->w);
	stream_write_header(w->w, "audience_parts", NFIELDS, fields, types, 5);
	stream_pack_cstr(pk, "model");
	msgpack_pack_map(pk, 7);
	stream_pack_kv_str(pk, "score", m->score);
	stream_pack_kv_uint(pk, "top_n", m->top_n);
	stream_pack_kv_uint(pk, "depth", m->depth);
	stream_pack_kv_uint(pk, "seed", m->seed);
	stream_pack_kv_uint(pk, "interactions", m->interactions);
	stream_pack_cstr(pk, "first_time");
	msgpack_pack_int64(pk, m->first_time);
	stream_pack_cstr(pk, "last_time");
	msgpack_pack_int64(pk, m->last_time);
	stream_pack_cstr(pk, "shard");
	msgpack_pack_map(pk, 2);
	stream_pack_kv_uint(pk, "index", m->shard);
	stream_pack_kv_uint(pk, "count", m->nshards);
	stream_pack_kv_str(pk, "interactions_fingerprint", m->fingerprint);
	stream_pack_cstr(pk, "ranking");
	msgpack_pack_map(pk, 1);
	stream_pack_cstr(pk, "customers");
	msgpack_pack_array(pk, 2);
	pack_ids_scores(pk, ranking, scores, n);
	stream_pack_cstr(pk, "provenance");
	msgpack_pack_map(pk, 4);
	stream_pack_provenance(pk, "aud-rank", source);
	return w;
}

void
audparts_add(struct audparts_writer *w, const struct audparts_product *p)
{
	msgpack_packer *pk = stream_packer(w->w);

	stream_record_begin(w->w);
	stream_pack_id(pk, p->product);
	if (p->name != NULL)
		stream_pack_cstr(pk, p->name);
	else
		msgpack_pack_nil(pk);
	msgpack_pack_uint64(pk, p->customers);
	msgpack_pack_array(pk, p->n);
	for (size_t i = 0; i < p->n; i++)
		msgpack_pack_uint32(pk, p->places[i]);
}

int
audparts_finish(struct audparts_writer *w)
{
	int ret = stream_writer_finish(w->w);

	free(w);
	return ret;
}

/* Merging. */

/* One part being read: its header's settings and ranking, and its record. */
struct part {
	const char *path;
	FILE *in;
	struct stream_reader *r;
	const msgpack_object *ids, *scores;	/* its ranking */
	size_t nranked, next;		/* and the merge's place in it */
	const msgpack_object *rec;	/* the current record, or NULL at
					   the end */
	struct id product;
	uint64_t interactions;
	int64_t first_time, last_time;
	uint32_t shard;
};

static int
fail(char *err, size_t errlen, const char *path, const char *what)
{
	snprintf(err, errlen, "%s: %s", path, what);
	return -1;
}

static int
get_uint(const msgpack_object *map, const char *key, uint64_t *v)
{
	const msgpack_object *o = map ? mp_map_get(map, key) : NULL;

	if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*v = o->via.u64;
	return 0;
}

static int
get_int(const msgpack_object *map, const char *key, int64_t *v)
{
	const msgpack_object *o = map ? mp_map_get(map, key) : NULL;

	return o != NULL ? mp_get_int64(o, v) : -1;
}

/* The settings all parts must share, from the first. */
struct settings {
	const msgpack_object *score;
	uint64_t top_n, depth, nshards, seed;
	const char *first_path;
};

static int
open_part(struct part *p, struct settings *s, int first, char *err,
    size_t errlen)
{
	const msgpack_object *model, *shard, *ranking, *rk;
	uint64_t top_n, depth, index, count, seed;

	if ((p->in = fopen(p->path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", p->path, strerror(errno));
		return -1;
	}
	if ((p->r = stream_reader_open(p->in, p->path, err, errlen)) == NULL ||
	    stream_expect_kind(p->r, "audience_parts", err, errlen) < 0)
		return -1;
	model = stream_header_get(p->r, "model");
	shard = stream_header_get(p->r, "shard");
	ranking = stream_header_get(p->r, "ranking");
	rk = ranking ? mp_map_get(ranking, "customers") : NULL;
	if (stream_nfields(p->r) != NFIELDS || get_uint(model, "top_n", &top_n) < 0 ||
	    get_uint(model, "depth", &depth) < 0 ||
	    get_uint(model, "seed", &seed) < 0 ||
	    get_uint(model, "interactions", &p->interactions) < 0 ||
	    get_int(model, "first_time", &p->first_time) < 0 ||
	    get_int(model, "last_time", &p->last_time) < 0 ||
	    mp_map_get(model, "score") == NULL ||
	    mp_map_get(model, "score")->type != MSGPACK_OBJECT_STR ||
	    get_uint(shard, "index", &index) < 0 ||
	    get_uint(shard, "count", &count) < 0 || count == 0 ||
	    count > SHARD_MAX || index >= count || depth == 0 ||
	    rk == NULL || rk->type != MSGPACK_OBJECT_ARRAY ||
	    rk->via.array.size != 2 ||
	    !mp_ids_and_floats(&rk->via.array.ptr[0], &rk->via.array.ptr[1]))
		return fail(err, errlen, p->path, "not a usable audience part");
	p->ids = &rk->via.array.ptr[0];
	p->scores = &rk->via.array.ptr[1];
	p->nranked = p->ids->via.array.size;
	p->shard = (uint32_t)index;
	if (first) {
		s->score = mp_map_get(model, "score");
		s->top_n = top_n;
		s->depth = depth;
		s->nshards = count;
		s->seed = seed;
		s->first_path = p->path;
	} else if (top_n != s->top_n || depth != s->depth || count != s->nshards ||
	    seed != s->seed ||
	    s->score->via.str.size != mp_map_get(model, "score")->via.str.size ||
	    memcmp(s->score->via.str.ptr, mp_map_get(model, "score")->via.str.ptr,
	    s->score->via.str.size) != 0) {
		snprintf(err, errlen, "%s: a part of another model (score, top "
		    "n, depth or seed) or shard count than %s", p->path,
		    s->first_path);
		return -1;
	}
	return 0;
}

static void
close_part(struct part *p)
{
	if (p->r != NULL)
		stream_reader_free(p->r);
	if (p->in != NULL)
		fclose(p->in);
	p->r = NULL;
	p->in = NULL;
}

/* Places of p's ranking, ascending (an audience keeps the ranking's order). */
static int
places_ok(const struct part *p, const msgpack_object *o)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return 0;
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		const msgpack_object *x = &o->via.array.ptr[i];

		if (x->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    x->via.u64 >= p->nranked ||
		    (i > 0 && x->via.u64 <= x[-1].via.u64))
			return 0;
	}
	return 1;
}

/* Reads p's next record into p->rec (NULL at the end), checking the order. */
static int
advance(struct part *p, char *err, size_t errlen)
{
	const msgpack_object *rec, *v;
	struct id prev = p->product;
	int had = p->rec != NULL;

	switch (stream_read(p->r, &rec, err, errlen)) {
	case -1:
		return -1;
	case 0:
		p->rec = NULL;
		return 0;
	}
	v = rec->via.array.ptr;
	if (stream_get_id(&v[0], &p->product) < 0 ||
	    (v[1].type != MSGPACK_OBJECT_STR && v[1].type != MSGPACK_OBJECT_NIL) ||
	    v[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER || !places_ok(p, &v[3]))
		return fail(err, errlen, p->path, "a malformed product record");
	if (had && id_compare(&prev, &p->product) >= 0)
		return fail(err, errlen, p->path, "products out of id order");
	p->rec = rec;
	return 0;
}

/* Frees the copy least() made, and clears at. */
static void
drop_copy(struct id *at)
{
	if (at->is_str)
		free((char *)at->str);
	memset(at, 0, sizeof(*at));
}

/*
 * The least current product among the parts into *at (a string id copied:
 * the records it came from move on), 0 when all are done.
 */
static int
least(struct part *parts, size_t n, struct id *at)
{
	const struct id *min = NULL;

	drop_copy(at);
	for (size_t i = 0; i < n; i++)
		if (parts[i].rec != NULL &&
		    (min == NULL || id_compare(&parts[i].product, min) < 0))
			min = &parts[i].product;
	if (min == NULL)
		return 0;
	*at = *min;
	if (at->is_str)
		at->str = xstrndup(min->str, min->len);
	return 1;
}

/*
 * Whether the customer at place k of a's ranking goes before the one at
 * place j of b's: ranking.h's order, by score, then id.
 */
static int
before(const struct part *a, size_t k, const struct part *b, size_t j)
{
	double x = a->scores->via.array.ptr[k].via.f64;
	double y = b->scores->via.array.ptr[j].via.f64;
	struct id i1, i2;

	if (x != y)
		return x > y;
	stream_get_id(&a->ids->via.array.ptr[k], &i1);
	stream_get_id(&b->ids->via.array.ptr[j], &i2);
	return id_compare(&i1, &i2) < 0;
}

/* What the first pass finds. */
struct totals {
	uint64_t products, named, maxm, customers, interactions;
	int64_t first_time, last_time;
	int any_time;
};

/* Pass one: the products, their names, the most customers one has. */
static int
count_products(struct part *parts, size_t n, struct totals *t, char *err,
    size_t errlen)
{
	struct id at = { 0 };

	for (size_t i = 0; i < n; i++)
		if (advance(&parts[i], err, errlen) < 0)
			return -1;
	while (least(parts, n, &at)) {
		uint64_t customers = 0;
		int named = 0;

		for (size_t i = 0; i < n; i++) {
			const msgpack_object *v;

			if (parts[i].rec == NULL || id_compare(&parts[i].product, &at))
				continue;
			v = parts[i].rec->via.array.ptr;
			customers += v[2].via.u64;
			named |= v[1].type == MSGPACK_OBJECT_STR;
			if (advance(&parts[i], err, errlen) < 0) {
				drop_copy(&at);
				return -1;
			}
		}
		t->products++;
		t->named += named;
		if (customers > t->maxm)
			t->maxm = customers;
	}
	return 0;
}

/* The head of the merged rankings: want customers at most. */
static size_t
merge_rankings(struct part *parts, size_t n, size_t want, struct id *ids,
    double *scores)
{
	size_t got = 0;

	for (; got < want; got++) {
		struct part *best = NULL;

		for (size_t i = 0; i < n; i++) {
			struct part *p = &parts[i];

			if (p->next < p->nranked && (best == NULL ||
			    before(p, p->next, best, best->next)))
				best = p;
		}
		if (best == NULL)
			break;
		stream_get_id(&best->ids->via.array.ptr[best->next], &ids[got]);
		scores[got] = best->scores->via.array.ptr[best->next++].via.f64;
	}
	return got;
}

/* What pass two needs: where each head customer is, and room for one
   product's places. */
struct placing {
	struct intern *head;
	size_t depth;
	uint32_t *places;
	/* Per part: the product's audience there (places of its ranking; NULL:
	   its first len), and its next entry. */
	const msgpack_object **of;
	size_t *len, *at;
};

/*
 * Part p's audience of product at: its record's places when the shard has
 * customers of it, else the head of the shard's ranking (no one there
 * touched it).
 */
static void
audience_of(const struct part *p, const struct id *at, size_t depth,
    const msgpack_object **of, size_t *len, const msgpack_object **name)
{
	if (p->rec != NULL && id_compare(&p->product, at) == 0) {
		const msgpack_object *v = p->rec->via.array.ptr;

		if (v[1].type == MSGPACK_OBJECT_STR)
			*name = &v[1];
		*of = v[3].via.array.ptr;
		*len = v[3].via.array.size;
	} else {
		*of = NULL;
		*len = p->nranked < depth ? p->nranked : depth;
	}
}

/* The place in its shard's ranking of part i's k-th audience entry. */
static size_t
ranked(const struct placing *pl, size_t i, size_t k)
{
	return pl->of[i] != NULL ? (size_t)pl->of[i][k].via.u64 : k;
}

/*
 * The best depth of the parts' audiences of product at (each best first),
 * as places in the head. Returns how many, or -1.
 */
static long
merge_audience(struct part *parts, size_t n, const struct id *at,
    struct placing *pl, const msgpack_object **name, char *err, size_t errlen)
{
	size_t got = 0;

	*name = NULL;
	for (size_t i = 0; i < n; i++) {
		pl->at[i] = 0;
		audience_of(&parts[i], at, pl->depth, &pl->of[i], &pl->len[i], name);
	}
	while (got < pl->depth) {
		const struct part *best = NULL;
		size_t from = 0, bp = 0;
		struct id id;

		for (size_t i = 0; i < n; i++) {
			size_t k;

			if (pl->at[i] >= pl->len[i])
				continue;
			k = ranked(pl, i, pl->at[i]);
			if (best == NULL || before(&parts[i], k, best, bp)) {
				best = &parts[i];
				bp = k;
				from = i;
			}
		}
		if (best == NULL)
			break;
		pl->at[from]++;
		stream_get_id(&best->ids->via.array.ptr[bp], &id);
		if ((pl->places[got] = intern_find(pl->head, &id)) == UINT32_MAX)
			return fail(err, errlen, best->path, "an audience "
			    "customer missing from the merged ranking");
		got++;
	}
	return (long)got;
}

/* Pass two: every product's audience into the model. */
static int
write_products(struct model_writer *mw, struct part *parts, size_t n,
    struct placing *pl, char *err, size_t errlen)
{
	struct id at = { 0 };
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		if (advance(&parts[i], err, errlen) < 0)
			return -1;
	while (ret == 0 && least(parts, n, &at)) {
		const msgpack_object *name;
		char *copy = NULL;
		long got = merge_audience(parts, n, &at, pl, &name, err, errlen);

		if (got < 0) {
			ret = -1;
			break;
		}
		if (name != NULL)
			copy = xstrndup(name->via.str.ptr, name->via.str.size);
		model_add(mw, &at, copy, pl->places, (size_t)got);
		free(copy);
		for (size_t i = 0; i < n && ret == 0; i++)
			if (parts[i].rec != NULL && id_compare(&parts[i].product, &at) == 0 &&
			    advance(&parts[i], err, errlen) < 0)
				ret = -1;
	}
	drop_copy(&at);
	return ret;
}

/* Opens every part, checks that they are one shard each of one run. */
static int
open_parts(struct part *parts, size_t n, struct settings *s, struct totals *t,
    char *err, size_t errlen)
{
	uint8_t seen[SHARD_MAX] = { 0 };

	for (size_t i = 0; i < n; i++) {
		struct part *p = &parts[i];

		if (open_part(p, s, i == 0, err, errlen) < 0)
			return -1;
		if (seen[p->shard]++) {
			snprintf(err, errlen, "%s: shard %u is given twice",
			    p->path, p->shard);
			return -1;
		}
		t->customers += p->nranked;
		t->interactions += p->interactions;
		if (p->interactions > 0 && (!t->any_time || p->first_time < t->first_time))
			t->first_time = p->first_time;
		if (p->interactions > 0 && (!t->any_time || p->last_time > t->last_time))
			t->last_time = p->last_time;
		t->any_time |= p->interactions > 0;
	}
	for (uint32_t k = 0; k < s->nshards; k++)
		if (!seen[k]) {
			snprintf(err, errlen, "shard %u of %llu is missing", k,
			    (unsigned long long)s->nshards);
			return -1;
		}
	return 0;
}

int
audparts_merge(FILE *out, const char *const *path, size_t n,
    const char *source, char *err, size_t errlen)
{
	struct part *parts = xcalloc(n, sizeof(*parts));
	struct settings s;
	struct totals t = { 0 };
	struct placing pl = { 0 };
	struct model_meta meta = { 0 };
	struct model_writer *mw = NULL;
	struct id *ids = NULL;
	double *scores = NULL;
	char *score = NULL;
	size_t want, head;
	int ret = -1;

	for (size_t i = 0; i < n; i++)
		parts[i].path = path[i];
	if (open_parts(parts, n, &s, &t, err, errlen) < 0 ||
	    count_products(parts, n, &t, err, errlen) < 0)
		goto out;
	want = model_head_want(s.depth, t.maxm, 0);
	ids = xmalloc((want + 1) * sizeof(*ids));
	scores = xmalloc((want + 1) * sizeof(*scores));
	head = merge_rankings(parts, n, want, ids, scores);
	pl.head = intern_new();
	for (size_t k = 0; k < head; k++)
		intern_add(pl.head, &ids[k], NULL);
	score = xstrndup(s.score->via.str.ptr, s.score->via.str.size);
	meta = (struct model_meta){ .score = score, .top_n = s.top_n,
	    .depth = s.depth, .products = t.products, .named_products = t.named,
	    .customers = t.customers, .interactions = t.interactions,
	    .first_time = t.first_time, .last_time = t.last_time,
	    .seed = s.seed, .fallback_size = head < MODEL_FALLBACK_SIZE ? head :
	    MODEL_FALLBACK_SIZE };
	mw = model_writer_new(out, &meta, source, ids, scores, head);
	for (size_t i = 0; i < n; i++) {	/* pass two, from the start */
		close_part(&parts[i]);
		parts[i].rec = NULL;
		if (open_part(&parts[i], &s, i == 0, err, errlen) < 0)
			goto out;
	}
	pl.depth = s.depth;
	pl.places = xmalloc((s.depth + 1) * sizeof(*pl.places));
	pl.at = xcalloc(n, sizeof(*pl.at));
	pl.len = xcalloc(n, sizeof(*pl.len));
	pl.of = xcalloc(n, sizeof(*pl.of));
	if (write_products(mw, parts, n, &pl, err, errlen) == 0)
		ret = 0;
out:
	if (mw != NULL && model_finish(mw) < 0 && ret == 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		ret = -1;
	}
	for (size_t i = 0; i < n; i++)
		close_part(&parts[i]);
	if (pl.head != NULL)
		intern_free(pl.head);
	free(pl.places);
	free(pl.at);
	free(pl.len);
	free(pl.of);
	free(ids);
	free(scores);
	free(score);
	free(parts);
	return ret;
}
