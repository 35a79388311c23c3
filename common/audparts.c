/* Audience parts of customer shards, and their merge; see audparts.h. */
#include "audparts.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audience.h"
#include "model.h"
#include "mpscan.h"
#include "packbuf.h"
#include "shard.h"
#include "shardset.h"
#include "stream.h"
#include "targets.h"
#include "xalloc.h"
#include "banned.h"

static const char *const fields[] = {
	"product_id", "product_name", "customers", "skipped"
};
static const char *const types[] = { "id", "str?", "uint", "places" };
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
/* A co-occurrence model's parts hold more in each record. */
static const char *const cooc_fields[] = {
	"product_id", "product_name", "customers", "skipped", "relevant",
	"scores", "reasons", "buyers", "buyer_weights", "buyer_engagement",
	"category", "weight"
};
static const char *const cooc_types[] = {
	"id", "str?", "uint", "places", "ids", "floats", "reasons", "ids",
	"floats", "floats", "str?", "sum"
};
#define COOC_FIELDS (sizeof(cooc_fields) / sizeof(cooc_fields[0]))

struct audparts_writer {
	struct stream_writer *w;
	int cooc;
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
	w->cooc = m->cooc != NULL;
	pk = stream_packer(w->w);
	if (w->cooc)
		stream_write_header(w->w, "audience_parts", COOC_FIELDS,
		    cooc_fields, cooc_types, 5);
	else
		stream_write_header(w->w, "audience_parts", NFIELDS, fields,
		    types, 5);
	stream_pack_cstr(pk, "model");
	msgpack_pack_map(pk, 7 + w->cooc);
	stream_pack_kv_str(pk, "score", m->score);
	stream_pack_kv_uint(pk, "top_n", m->top_n);
	stream_pack_kv_uint(pk, "depth", m->depth);
	stream_pack_kv_uint(pk, "seed", m->seed);
	stream_pack_kv_uint(pk, "interactions", m->interactions);
	stream_pack_cstr(pk, "first_time");
	msgpack_pack_int64(pk, m->first_time);
	stream_pack_cstr(pk, "last_time");
	msgpack_pack_int64(pk, m->last_time);
	if (w->cooc) {
		struct model_meta mm = { .cooc = m->cooc, .blend = m->blend,
		    .new_blend = m->new_blend, .categories = m->categories };

		model_pack_cooc(pk, &mm);
	}
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

/* The room a co-occurrence part's fields take. */
static size_t
cooc_bound(const struct audparts_product *p)
{
	size_t bound = 6 * 5 + (2 * p->nrelevant + 2 * p->nbuyers) *
	    PACKBUF_NUMBER + 5 + p->category_len + 2 + FIXED_SUM_BYTES;

	for (size_t i = 0; i < p->nrelevant; i++)
		bound += packbuf_id_bound(&p->relevant[i].customer) +
		    (p->relevant[i].reason ? packbuf_id_bound(p->relevant[i].reason) : 1);
	for (size_t i = 0; i < p->nbuyers; i++)
		bound += packbuf_id_bound(&p->buyers[i].customer);
	return bound;
}

static void
pack_cooc_fields(struct packbuf *b, const struct audparts_product *p)
{
	unsigned char weight[FIXED_SUM_BYTES];

	packbuf_pack_array(b, p->nrelevant);
	for (size_t i = 0; i < p->nrelevant; i++)
		packbuf_id(b, &p->relevant[i].customer);
	packbuf_pack_array(b, p->nrelevant);
	for (size_t i = 0; i < p->nrelevant; i++)
		packbuf_pack_double(b, p->relevant[i].score);
	packbuf_pack_array(b, p->nrelevant);
	for (size_t i = 0; i < p->nrelevant; i++)
		if (p->relevant[i].by_category)
			packbuf_pack_true(b);
		else if (p->relevant[i].reason != NULL)
			packbuf_id(b, p->relevant[i].reason);
		else
			packbuf_pack_nil(b);
	packbuf_pack_array(b, p->nbuyers);
	for (size_t i = 0; i < p->nbuyers; i++)
		packbuf_id(b, &p->buyers[i].customer);
	packbuf_pack_array(b, p->nbuyers);
	for (size_t i = 0; i < p->nbuyers; i++)
		packbuf_pack_double(b, p->buyers[i].score);
	packbuf_pack_array(b, p->nbuyers);
	for (size_t i = 0; i < p->nbuyers; i++)
		packbuf_pack_double(b, p->buyer_engagement[i]);
	if (p->category != NULL)
		packbuf_str(b, p->category, p->category_len);
	else
		packbuf_pack_nil(b);
	fixed_sum_put(weight, p->weight);
	packbuf_pack_bin(b, FIXED_SUM_BYTES);
	packbuf_pack_bin_body(b, weight, FIXED_SUM_BYTES);
}

void
audparts_add(struct audparts_writer *w, const struct audparts_product *p)
{
	size_t name_len = p->name != NULL ? strlen(p->name) : 0;
	/* In place (packbuf.h): a shard has millions of products, and
	   msgpack-c's packer made a call a place. */
	struct packbuf b = stream_record_space(w->w, packbuf_id_bound(p->product) +
	    5 + name_len + PACKBUF_NUMBER + 5 + p->nskipped * PACKBUF_NUMBER +
	    (w->cooc ? cooc_bound(p) : 0));

	packbuf_id(&b, p->product);
	if (p->name != NULL)
		packbuf_str(&b, p->name, name_len);
	else
		packbuf_pack_nil(&b);
	packbuf_pack_uint64(&b, p->customers);
	packbuf_pack_array(&b, p->nskipped);
	for (size_t i = 0; i < p->nskipped; i++)
		packbuf_pack_uint32(&b, p->skipped[i]);
	if (w->cooc)
		pack_cooc_fields(&b, p);
	stream_record_done(w->w, &b);
}

int
audparts_finish(struct audparts_writer *w)
{
	int ret = stream_writer_finish(w->w);

	free(w);
	return ret;
}

/*
 * Merging. A part is read in place from its mapped file: the ranking in
 * its header holds every customer of the shard, of which the merge needs a
 * head of a few thousand, and decoding all of it (and every product's
 * places) with msgpack-c, twice, was most of a merge's time and memory.
 * The header is decoded without its ranking, which is walked once to check
 * it and decoded only as far as the merge reaches; records are scanned.
 */

/* An array of a record, its values scanned, kept for its life. */
struct scanned {
	msgpack_object *v;
	size_t n, cap;
};

/* One part being read: its settings, its ranking, its current record. */
struct part {
	const char *path;
	const unsigned char *map;
	size_t size;
	char *header_bytes;		/* the header, its ranking nil */
	FILE *header_in;		/* over header_bytes, for r */
	struct stream_reader *r;	/* the header's reader */
	const unsigned char *ids_at, *scores_at;	/* the ranking's */
	size_t nranked, next;		/* and the merge's place in it */
	uint32_t *head_place;		/* [0, next): where each of those is
					   in the merged head */
	size_t head_place_cap;
	struct id *rid;			/* the ranking decoded so far */
	double *rscore;
	size_t decoded, decoded_cap;
	const unsigned char *id_cur, *score_cur;	/* where it goes on */
	size_t records_at, at, released;	/* byte offsets */
	uint64_t nrecords;
	int has;			/* a current record, below */
	struct id product;
	const char *name;		/* or NULL */
	size_t name_len;
	uint64_t customers;
	uint32_t *skipped;		/* the places its audience steps over */
	size_t nskipped, skipped_cap;
	uint64_t interactions;
	int64_t first_time, last_time;
	uint32_t shard;
	int cooc;			/* a co-occurrence part: its depth, its
					   record's */
	uint64_t depth;
	struct scanned relevant, scores, reasons, buyers, weights, engagement;
	msgpack_object category;	/* a string or nil */
	fixed_sum weight;
};

static int
fail(char *err, size_t errlen, const char *path, const char *what)
{
	snprintf(err, errlen, "%s: %s", path, what);
	return -1;
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
	const msgpack_object *cooc;	/* model.cooccurrence, or NULL */
	uint64_t top_n, depth, nshards, seed;
	const char *first_path;
};

/*
 * Walks n values at p of which each must be an id (scores == 0) or a float
 * (scores == 1); returns their length in bytes, or 0.
 */
static size_t
walk_ranked(const unsigned char *p, size_t len, uint64_t n, int scores)
{
	size_t used = 0, k;

	for (uint64_t i = 0; i < n; i++) {
		msgpack_object o;
		struct id id;

		if ((k = mpscan_scalar(p + used, len - used, &o)) == 0 ||
		    (scores ? o.type != MSGPACK_OBJECT_FLOAT64 &&
		    o.type != MSGPACK_OBJECT_FLOAT32 : stream_get_id(&o, &id) < 0))
			return 0;
		used += k;
	}
	return used;
}

/*
 * The ranking's value at p: {"customers": [[ids...], [scores...]]}. Notes
 * where its ids and scores begin; returns its length, or 0 when it is not
 * one.
 */
static size_t
read_ranking(struct part *p, const unsigned char *at, size_t len)
{
	size_t used, k;
	uint64_t n, nscores;
	msgpack_object key;
	int is_map;

	if ((used = mpscan_container(at, len, &n, &is_map)) == 0 || !is_map ||
	    n != 1 || (k = mpscan_scalar(at + used, len - used, &key)) == 0 ||
	    !mp_str_equals(&key, "customers"))
		return 0;
	used += k;
	if ((k = mpscan_container(at + used, len - used, &n, &is_map)) == 0 ||
	    is_map || n != 2)
		return 0;
	used += k;
	if ((k = mpscan_container(at + used, len - used, &n, &is_map)) == 0 ||
	    is_map || n > len)
		return 0;
	p->ids_at = at + used + k;
	used += k;
	if ((k = walk_ranked(at + used, len - used, n, 0)) == 0 && n > 0)
		return 0;
	used += k;
	if ((k = mpscan_container(at + used, len - used, &nscores, &is_map)) == 0 ||
	    is_map || nscores != n)
		return 0;
	p->scores_at = at + used + k;
	used += k;
	if ((k = walk_ranked(at + used, len - used, n, 1)) == 0 && n > 0)
		return 0;
	p->nranked = n;
	p->id_cur = p->ids_at;
	p->score_cur = p->scores_at;
	return used + k;
}

/*
 * The header: its ranking in place, the rest (a few hundred bytes) through
 * a stream reader over a copy in which the ranking is nil. Sets
 * p->records_at.
 */
static int
read_header(struct part *p, char *err, size_t errlen)
{
	const unsigned char *m = p->map;
	size_t at, k, v, rk = 0, rk_len = 0, len;
	uint64_t pairs;
	int is_map, ranking_ok = 0;

	if ((at = mpscan_container(m, p->size, &pairs, &is_map)) == 0 || !is_map)
		return fail(err, errlen, p->path, "not an aud stream (no header)");
	for (uint64_t i = 0; i < pairs; i++) {
		msgpack_object key;

		if ((k = mpscan_scalar(m + at, p->size - at, &key)) == 0 ||
		    (v = mpscan_skip(m + at + k, p->size - at - k)) == 0)
			return fail(err, errlen, p->path, "not an aud stream "
			    "(no header)");
		if (mp_str_equals(&key, "ranking")) {
			/* A second would be ambiguous: refused. */
			ranking_ok = rk == 0 &&
			    read_ranking(p, m + at + k, v) == v;
			rk = at + k, rk_len = v;
		}
		at += k + v;
	}
	p->records_at = p->at = p->released = at;
	p->header_bytes = mpscan_copy_without(m, at, rk, rk_len, &len);
	if ((p->header_in = fmemopen(p->header_bytes, len, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", p->path, strerror(errno));
		return -1;
	}
	if ((p->r = stream_reader_open(p->header_in, p->path, err, errlen)) == NULL ||
	    stream_expect_kind(p->r, "audience_parts", err, errlen) < 0)
		return -1;
	return ranking_ok ? 0 : fail(err, errlen, p->path,
	    "not a usable audience part");
}

static int
open_part(struct part *p, struct settings *s, int first, char *err,
    size_t errlen)
{
	const msgpack_object *model, *shard;
	uint64_t top_n, depth, index, count, seed;
	struct stat st;
	int fd;

	if ((fd = open(p->path, O_RDONLY)) < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", p->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return fail(err, errlen, p->path, S_ISREG(st.st_mode) ?
		    "empty input, not an aud stream" : "not a regular file "
		    "(a part is read twice)");
	}
	p->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p->map == MAP_FAILED) {
		p->map = NULL;
		snprintf(err, errlen, "%s: %s", p->path, strerror(errno));
		return -1;
	}
	p->size = (size_t)st.st_size;
	madvise((void *)p->map, p->size, MADV_SEQUENTIAL);
	if (read_header(p, err, errlen) < 0)
		return -1;
	model = stream_header_get(p->r, "model");
	shard = stream_header_get(p->r, "shard");
	if (stream_nfields(p->r) == NFIELDS &&
	    strcmp(stream_field(p->r, NFIELDS - 1), "places") == 0)
		return fail(err, errlen, p->path, "a part of an older aud-rank "
		    "(its records hold audiences): make the parts again");
	p->cooc = model != NULL && mp_map_get(model, "cooccurrence") != NULL;
	if (stream_nfields(p->r) != (p->cooc ? COOC_FIELDS : NFIELDS) ||
	    strcmp(stream_field(p->r, NFIELDS - 1), fields[NFIELDS - 1]) != 0 ||
	    (p->cooc && mp_map_get(model, "cooccurrence")->type !=
	    MSGPACK_OBJECT_MAP) ||
	    mp_map_uint(model, "top_n", &top_n) < 0 ||
	    mp_map_uint(model, "depth", &depth) < 0 ||
	    mp_map_uint(model, "seed", &seed) < 0 ||
	    mp_map_uint(model, "interactions", &p->interactions) < 0 ||
	    get_int(model, "first_time", &p->first_time) < 0 ||
	    get_int(model, "last_time", &p->last_time) < 0 ||
	    mp_map_get(model, "score") == NULL ||
	    mp_map_get(model, "score")->type != MSGPACK_OBJECT_STR ||
	    mp_map_uint(shard, "index", &index) < 0 ||
	    mp_map_uint(shard, "count", &count) < 0 || count == 0 ||
	    count > SHARD_MAX || index >= count || depth == 0)
		return fail(err, errlen, p->path, "not a usable audience part");
	p->shard = (uint32_t)index;
	p->depth = depth;
	if (first) {
		s->score = mp_map_get(model, "score");
		s->cooc = p->cooc ? mp_map_get(model, "cooccurrence") : NULL;
		s->top_n = top_n;
		s->depth = depth;
		s->nshards = count;
		s->seed = seed;
		s->first_path = p->path;
	} else if (top_n != s->top_n || depth != s->depth || count != s->nshards ||
	    seed != s->seed || p->cooc != (s->cooc != NULL) ||
	    (p->cooc && !msgpack_object_equal(*s->cooc,
	    *mp_map_get(model, "cooccurrence"))) ||
	    s->score->via.str.size != mp_map_get(model, "score")->via.str.size ||
	    memcmp(s->score->via.str.ptr, mp_map_get(model, "score")->via.str.ptr,
	    s->score->via.str.size) != 0) {
		snprintf(err, errlen, "%s: a part of another model (score, top "
		    "n, depth, seed or settings) or shard count than %s", p->path,
		    s->first_path);
		return -1;
	}
	return 0;
}

static void
close_part(struct part *p)
{
	stream_reader_free(p->r);
	if (p->header_in != NULL)
		fclose(p->header_in);
	free(p->header_bytes);
	if (p->map != NULL)
		munmap((void *)p->map, p->size);
	free(p->rid);
	free(p->rscore);
	free(p->head_place);
	free(p->skipped);
	free(p->relevant.v);
	free(p->scores.v);
	free(p->reasons.v);
	free(p->buyers.v);
	free(p->weights.v);
	free(p->engagement.v);
	memset(p, 0, sizeof(*p));
}

/* Decodes p's ranking up to customer k (k < nranked) on the first need. */
static void
decode_to(struct part *p, size_t k)
{
	while (p->decoded <= k) {
		msgpack_object o;
		size_t end = p->size;

		if (p->decoded == p->decoded_cap) {
			p->decoded_cap = p->decoded_cap ? 2 * p->decoded_cap : 1024;
			p->rid = xrealloc(p->rid, p->decoded_cap * sizeof(*p->rid));
			p->rscore = xrealloc(p->rscore, p->decoded_cap *
			    sizeof(*p->rscore));
		}
		/* Checked when the header was read: these cannot fail. */
		p->id_cur += mpscan_scalar(p->id_cur, end - (size_t)(p->id_cur -
		    p->map), &o);
		stream_get_id(&o, &p->rid[p->decoded]);
		p->score_cur += mpscan_scalar(p->score_cur, end -
		    (size_t)(p->score_cur - p->map), &o);
		p->rscore[p->decoded++] = o.via.f64;
	}
}

/* Gives back the pages of records read, which stay in the file. */
#define RELEASE_STEP ((size_t)64 << 20)

static void
release_read(struct part *p)
{
	size_t page, from, to;

	if (p->at - p->released < RELEASE_STEP)	/* most records */
		return;
	page = (size_t)sysconf(_SC_PAGESIZE);	/* madvise takes whole pages */
	from = p->released / page * page;
	to = p->at / page * page;
	madvise((void *)(p->map + from), to - from, MADV_DONTNEED);
	p->released = to;
}

/* The trailer at p->at: its record count must be the records read. */
static int
read_trailer(struct part *p, char *err, size_t errlen)
{
	msgpack_unpacked u;
	const msgpack_object *records;
	size_t len = p->size - p->at, off = 0;
	int ok;

	if (mpscan_skip(p->map + p->at, len) != len)
		return fail(err, errlen, p->path, "truncated, or bytes after "
		    "its trailer");
	msgpack_unpacked_init(&u);
	ok = msgpack_unpack_next(&u, (const char *)p->map + p->at, len, &off) ==
	    MSGPACK_UNPACK_SUCCESS && (records = mp_map_get(&u.data,
	    "records")) != NULL && records->type ==
	    MSGPACK_OBJECT_POSITIVE_INTEGER && records->via.u64 == p->nrecords;
	msgpack_unpacked_destroy(&u);
	return ok ? 0 : fail(err, errlen, p->path, "its trailer does not "
	    "count the records read");
}

/*
 * The places a record's audience steps over: ascending places of p's
 * ranking, no more than most (its customers there, and in a
 * co-occurrence part those relevant), into p->skipped.
 */
static size_t
read_skipped(struct part *p, const unsigned char *at, size_t len,
    uint64_t most)
{
	size_t used, k;
	uint64_t n;
	int is_map;

	if ((used = mpscan_container(at, len, &n, &is_map)) == 0 || is_map ||
	    n > most || n > len)
		return 0;
	if (n > p->skipped_cap) {
		p->skipped_cap = n;
		p->skipped = xrealloc(p->skipped, n * sizeof(*p->skipped));
	}
	for (uint64_t i = 0; i < n; i++) {
		msgpack_object o;

		if ((k = mpscan_scalar(at + used, len - used, &o)) == 0 ||
		    o.type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    o.via.u64 >= p->nranked ||
		    (i > 0 && o.via.u64 <= p->skipped[i - 1]))
			return 0;
		p->skipped[i] = (uint32_t)o.via.u64;
		used += k;
	}
	p->nskipped = n;
	return used;
}

/*
 * Scans an array of scalars at p into a, each an id (kind 'i'), a reason
 * (an id, nil or true: 'r') or a float ('f'); returns its length in
 * bytes, or 0.
 */
static size_t
scan_array(struct scanned *a, const unsigned char *at, size_t len, char kind)
{
	size_t used, k;
	uint64_t n;
	int is_map;

	if ((used = mpscan_container(at, len, &n, &is_map)) == 0 || is_map ||
	    n > len)
		return 0;
	a->v = xgrow(a->v, &a->cap, n + 1, sizeof(*a->v));
	for (uint64_t i = 0; i < n; i++) {
		msgpack_object *o = &a->v[i];
		struct id id;

		if ((k = mpscan_scalar(at + used, len - used, o)) == 0 ||
		    (kind == 'f' ? o->type != MSGPACK_OBJECT_FLOAT64 :
		    (kind == 'r' && (o->type == MSGPACK_OBJECT_NIL ||
		    (o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean))) ? 0 :
		    stream_get_id(o, &id) < 0))
			return 0;
		used += k;
	}
	a->n = n;
	return used;
}

/* A co-occurrence part's fields of a record; their length, or 0. */
static size_t
read_cooc(struct part *p, const unsigned char *at, size_t len)
{
	struct scanned *a[] = { &p->relevant, &p->scores, &p->reasons,
	    &p->buyers, &p->weights, &p->engagement };
	static const char kinds[] = "ifriff";
	size_t used = 0, k;

	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++, used += k)
		if ((k = scan_array(a[i], at + used, len - used, kinds[i])) == 0)
			return 0;
	if (p->scores.n != p->relevant.n || p->reasons.n != p->relevant.n ||
	    p->weights.n != p->buyers.n || p->engagement.n != p->buyers.n ||
	    (k = mpscan_scalar(at + used, len - used, &p->category)) == 0 ||
	    (p->category.type != MSGPACK_OBJECT_STR &&
	    p->category.type != MSGPACK_OBJECT_NIL))
		return 0;
	used += k;
	/* The weight: a bin 8 of FIXED_SUM_BYTES, as packbuf packs it. */
	if (len - used < 2 + FIXED_SUM_BYTES || at[used] != 0xc4 ||
	    at[used + 1] != FIXED_SUM_BYTES)
		return 0;
	p->weight = fixed_sum_get(at + used + 2);
	return used + 2 + FIXED_SUM_BYTES;
}

/* Reads p's next record (p->has = 0 at the end), checking the order. */
static int
advance(struct part *p, char *err, size_t errlen)
{
	const unsigned char *at = p->map + p->at;
	size_t len = p->size - p->at, used, k;
	msgpack_object v[3];
	struct id prev = p->product;
	uint64_t n;
	int is_map, had = p->has;

	if ((used = mpscan_container(at, len, &n, &is_map)) == 0)
		return fail(err, errlen, p->path, len ? "a malformed product "
		    "record" : "truncated: the stream ends without its trailer");
	if (is_map) {
		p->has = 0;
		return read_trailer(p, err, errlen);
	}
	if (n != (p->cooc ? COOC_FIELDS : NFIELDS))
		n = 0;
	for (int i = 0; i < 3 && n != 0; i++, used += k)
		if ((k = mpscan_scalar(at + used, len - used, &v[i])) == 0)
			n = 0;
	if (n == 0 || stream_get_id(&v[0], &p->product) < 0 ||
	    (v[1].type != MSGPACK_OBJECT_STR && v[1].type != MSGPACK_OBJECT_NIL) ||
	    v[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    (k = read_skipped(p, at + used, len - used, v[2].via.u64 +
	    (p->cooc ? p->depth : 0))) == 0)
		return fail(err, errlen, p->path, "a malformed product record");
	if (had && id_compare(&prev, &p->product) >= 0)
		return fail(err, errlen, p->path, "products out of id order");
	used += k;
	if (p->cooc && (k = read_cooc(p, at + used, len - used)) == 0)
		return fail(err, errlen, p->path, "a malformed product record");
	p->name = v[1].type == MSGPACK_OBJECT_STR ? v[1].via.str.ptr : NULL;
	p->name_len = v[1].via.str.size;
	p->customers = v[2].via.u64;
	p->has = 1;
	p->nrecords++;
	p->at += used + (p->cooc ? k : 0);
	release_read(p);
	return 0;
}

/* Back to the first record, for the second pass. */
static void
rewind_part(struct part *p)
{
	p->at = p->released = p->records_at;
	p->nrecords = 0;
	p->has = 0;
	memset(&p->product, 0, sizeof(p->product));
}

/*
 * The least current product among the parts into *at (its bytes are in a
 * part's mapped file, there as long as the merge), 0 when all are done.
 */
static int
least(struct part *parts, size_t n, struct id *at)
{
	const struct id *min = NULL;

	for (size_t i = 0; i < n; i++)
		if (parts[i].has &&
		    (min == NULL || id_compare(&parts[i].product, min) < 0))
			min = &parts[i].product;
	if (min == NULL)
		return 0;
	*at = *min;
	return 1;
}

/*
 * Whether the customer at place k of a's ranking goes before the one at
 * place j of b's: ranking.h's order, by score, then id.
 */
static int
before(struct part *a, size_t k, struct part *b, size_t j)
{
	double x, y;

	decode_to(a, k);	/* may move a's arrays: read them after */
	decode_to(b, j);
	x = a->rscore[k];
	y = b->rscore[j];
	if (x != y)
		return x > y;
	return id_compare(&a->rid[k], &b->rid[j]) < 0;
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
	struct id at;

	for (size_t i = 0; i < n; i++)
		if (advance(&parts[i], err, errlen) < 0)
			return -1;
	while (least(parts, n, &at)) {
		uint64_t customers = 0;
		int named = 0;

		for (size_t i = 0; i < n; i++) {
			if (!parts[i].has || id_compare(&parts[i].product, &at))
				continue;
			customers += parts[i].customers;
			named |= parts[i].name != NULL;
			if (advance(&parts[i], err, errlen) < 0)
				return -1;
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
		decode_to(best, best->next);
		best->head_place = xgrow(best->head_place, &best->head_place_cap,
		    best->next + 1, sizeof(*best->head_place));
		best->head_place[best->next] = (uint32_t)got;
		ids[got] = best->rid[best->next];
		scores[got] = best->rscore[best->next++];
	}
	return got;
}

/* What pass two needs: room for one product's places. */
struct placing {
	size_t depth;
	uint32_t *places;
	/* Per part, the product's audience there, walked as the merge takes
	   it, and how many places it gave. */
	struct part_audience {
		struct audience_cursor at;
		size_t taken;
	} *of;
};

/*
 * Starts part p's audience of product at: the ranking's head less the
 * places its record says the audience steps over, when the shard has
 * customers of it (else none: no one there touched it). A name it has goes
 * to *name.
 */
static size_t
audience_of(const struct part *p, const struct id *at, struct placing *pl,
    size_t i, const struct part **named)
{
	int has = p->has && id_compare(&p->product, at) == 0;

	if (has && p->name != NULL)
		*named = p;
	audience_cursor_start(&pl->of[i].at, has ? p->skipped : NULL,
	    has ? p->nskipped : 0);
	pl->of[i].taken = 0;
	return has ? p->nskipped : 0;
}

/* Whether part p's audience (the i-th) offers one more place. */
static int
offer(struct placing *pl, size_t i, const struct part *p)
{
	return pl->of[i].taken < pl->depth &&
	    audience_cursor_peek(&pl->of[i].at, p->nranked);
}

/*
 * The best depth of the parts' audiences of product at (each best first),
 * as places in the head. A part's customer is at the place of the head
 * merge_rankings gave it, and the head is in the order of all of them,
 * so the best of the parts' next is the one at the least place. Returns
 * how many, or -1.
 */
static long
merge_audience(struct part *parts, size_t n, const struct id *at,
    struct placing *pl, const struct part **named, char *err, size_t errlen)
{
	size_t got = 0, skipped = 0, ranked = 0;

	*named = NULL;
	for (size_t i = 0; i < n; i++) {
		skipped += audience_of(&parts[i], at, pl, i, named);
		ranked += parts[i].nranked;
	}
	/* Most products step over no place in any shard: their audience is
	   the head's first places, as the walk below would take them, and
	   the walk was a third of the merge. */
	if (skipped == 0) {
		for (; got < pl->depth && got < ranked; got++)
			pl->places[got] = (uint32_t)got;
		return (long)got;
	}
	while (got < pl->depth) {
		size_t from = n, least = SIZE_MAX;

		for (size_t i = 0; i < n; i++) {
			size_t k, place;

			if (!offer(pl, i, &parts[i]))
				continue;
			k = pl->of[i].at.place;
			/* Past the head: no audience of depth reaches there. */
			place = k < parts[i].next ? parts[i].head_place[k] : SIZE_MAX;
			if (from == n || place < least) {
				from = i;
				least = place;
			}
		}
		if (from == n)
			break;
		if (least == SIZE_MAX)
			return fail(err, errlen, parts[from].path, "an audience "
			    "customer missing from the merged ranking");
		pl->of[from].at.place++;
		pl->of[from].taken++;
		pl->places[got++] = (uint32_t)least;
	}
	return (long)got;
}

/* A customer of the shards' relevant lists or buyers, with its part. */
struct offered {
	struct id customer;
	double score;
	const msgpack_object *reason;	/* or NULL */
	double engagement;
};

/* For qsort: by score, then customer id (cooc.h's order). */
static int
better(const void *a, const void *b)
{
	const struct offered *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return id_compare(&x->customer, &y->customer);
}

/* What a co-occurrence record is merged in: the parts, room for depth
   targets. */
struct cooc_merge {
	struct part *parts;
	size_t n;
	struct offered *o;		/* every part's list, back to back */
	size_t cap;
	struct offered *best;		/* the best of them, best first */
	size_t best_cap;
	struct { size_t next, end; } *of;	/* per part: its list in o */
	struct model_target *targets, buyers[TARGETS_BUYERS];
	struct id *reasons;
	double engagement[TARGETS_BUYERS];
	unsigned char *bytes;
	size_t bytes_cap;
};

/*
 * The relevant customers (buyers: 0) or the buyers (1) of every part's
 * record of product at, each list best first, into c->o; returns how
 * many, or -1 when a list is out of order (its part's path in *bad).
 */
static long
gather_lists(struct cooc_merge *c, const struct id *at, int buyers,
    const char **bad)
{
	size_t k = 0;

	for (size_t i = 0; i < c->n; i++) {
		struct part *p = &c->parts[i];
		const struct scanned *who = buyers ? &p->buyers : &p->relevant;

		c->of[i].next = c->of[i].end = k;
		if (!p->has || id_compare(&p->product, at) != 0)
			continue;
		c->o = xgrow(c->o, &c->cap, k + who->n + 1, sizeof(*c->o));
		for (size_t j = 0; j < who->n; j++, k++) {
			stream_get_id(&who->v[j], &c->o[k].customer);
			c->o[k].score = (buyers ? p->weights.v : p->scores.v)[j].via.f64;
			c->o[k].reason = !buyers && p->reasons.v[j].type !=
			    MSGPACK_OBJECT_NIL ? &p->reasons.v[j] : NULL;
			c->o[k].engagement = buyers ? p->engagement.v[j].via.f64 : 0;
			if (j > 0 && better(&c->o[k - 1], &c->o[k]) >= 0) {
				*bad = p->path;
				return -1;
			}
		}
		c->of[i].end = k;
	}
	return (long)k;
}

/*
 * The best limit of the parts' lists of product at into c->best, best
 * first: each list is, so a merge of their heads (a few parts, a few
 * dozen taken) instead of a sort of all. Returns how many, or -1 with err
 * filled.
 */
static long
gather_offered(struct cooc_merge *c, const struct id *at, int buyers,
    size_t limit, char *err, size_t errlen)
{
	const char *bad = NULL;
	size_t k = 0;

	if (gather_lists(c, at, buyers, &bad) < 0)
		return fail(err, errlen, bad, buyers ? "a part's buyers out of "
		    "order" : "a part's relevant customers out of order");
	c->best = xgrow(c->best, &c->best_cap, limit + 1, sizeof(*c->best));
	for (; k < limit; k++) {
		size_t from = c->n;

		for (size_t i = 0; i < c->n; i++)
			if (c->of[i].next < c->of[i].end && (from == c->n ||
			    better(&c->o[c->of[i].next], &c->o[c->of[from].next]) < 0))
				from = i;
		if (from == c->n)
			break;
		c->best[k] = c->o[c->of[from].next++];
	}
	return (long)k;
}

/*
 * Product at's category in the parts that have it, and the sum of their
 * weights for it, into r. Returns NULL, or the path of a part that names
 * another category than a part before it.
 */
static const char *
category_of(const struct part *parts, size_t n, const struct id *at,
    struct model_record *r)
{
	fixed_sum weight = 0;

	for (size_t i = 0; i < n; i++) {
		const struct part *p = &parts[i];

		if (!p->has || id_compare(&p->product, at) != 0)
			continue;
		weight = fixed_sum_add(weight, p->weight);
		if (p->category.type != MSGPACK_OBJECT_STR)
			continue;
		if (r->category != NULL && (r->category_len !=
		    p->category.via.str.size || memcmp(r->category,
		    p->category.via.str.ptr, r->category_len) != 0))
			return p->path;
		r->category = p->category.via.str.ptr;
		r->category_len = p->category.via.str.size;
	}
	r->weight = fixed_weights_value(weight);
	return NULL;
}

/*
 * Product at's record of a co-occurrence model: the best depth of the
 * shards' relevant customers, then the best of their audiences, and its
 * heaviest buyers. Returns 0, or -1.
 */
static int
merge_cooc(struct model_writer *mw, const struct id *at, struct placing *pl,
    struct cooc_merge *c, char *err, size_t errlen)
{
	size_t depth = pl->depth, got;
	long offered = gather_offered(c, at, 0, depth, err, errlen);
	const struct part *named;
	struct model_record r = { .product = at };
	struct packbuf b;
	const char *bad;
	long rest;
	char *name = NULL;

	if (offered < 0)
		return -1;
	got = (size_t)offered;
	for (size_t k = 0; k < got; k++) {
		const struct offered *o = &c->best[k];

		c->targets[k] = (struct model_target){ o->customer, o->score,
		    NULL, 0 };
		if (o->reason != NULL && o->reason->type == MSGPACK_OBJECT_BOOLEAN)
			c->targets[k].by_category = 1;
		else if (o->reason != NULL) {
			stream_get_id(o->reason, &c->reasons[k]);
			c->targets[k].reason = &c->reasons[k];
		}
	}
	if ((bad = category_of(c->parts, c->n, at, &r)) != NULL)
		return fail(err, errlen, bad, "a product in another category than "
		    "a part before it says");
	pl->depth = depth - got;
	rest = merge_audience(c->parts, c->n, at, pl, &named, err, errlen);
	pl->depth = depth;
	if (rest < 0)
		return -1;
	r.targets = c->targets;
	r.n = got;
	r.fallback = pl->places;
	r.nfallback = (size_t)rest;
	if ((offered = gather_offered(c, at, 1, TARGETS_BUYERS, err,
	    errlen)) < 0)
		return -1;
	r.nbuyers = (size_t)offered;
	for (size_t k = 0; k < r.nbuyers; k++) {
		c->buyers[k] = (struct model_target){ c->best[k].customer,
		    c->best[k].score, NULL, 0 };
		c->engagement[k] = c->best[k].engagement;
	}
	r.buyers = c->buyers;
	r.buyer_engagement = c->engagement;
	if (named != NULL)
		r.name = name = xstrndup(named->name, named->name_len);
	c->bytes = xgrow(c->bytes, &c->bytes_cap, model_record_bound(&r), 1);
	b.p = c->bytes;
	model_pack_record(&b, &r);
	model_add_packed(mw, &r, c->bytes, (size_t)(b.p - c->bytes));
	free(name);
	return 0;
}

/* Pass two: every product's audience into the model. */
static int
write_products(struct model_writer *mw, struct part *parts, size_t n,
    struct placing *pl, char *err, size_t errlen)
{
	struct cooc_merge c = { .parts = parts, .n = n,
		.targets = xmalloc((pl->depth + 1) * sizeof(*c.targets)),
		.reasons = xmalloc((pl->depth + 1) * sizeof(*c.reasons)),
		.of = xcalloc(n + 1, sizeof(*c.of)) };
	struct id at;
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		rewind_part(&parts[i]);
		if (advance(&parts[i], err, errlen) < 0)
			return -1;
	}
	while (ret == 0 && least(parts, n, &at)) {
		const struct part *named;
		char *name = NULL;
		long got;

		if (parts[0].cooc)
			ret = merge_cooc(mw, &at, pl, &c, err, errlen);
		else if ((got = merge_audience(parts, n, &at, pl, &named, err,
		    errlen)) < 0)
			ret = -1;
		else {
			if (named != NULL)
				name = xstrndup(named->name, named->name_len);
			model_add(mw, &at, name, pl->places, (size_t)got);
			free(name);
		}
		for (size_t i = 0; i < n && ret == 0; i++)
			if (parts[i].has && id_compare(&parts[i].product, &at) == 0 &&
			    advance(&parts[i], err, errlen) < 0)
				ret = -1;
	}
	free(c.o);
	free(c.best);
	free(c.of);
	free(c.targets);
	free(c.reasons);
	free(c.bytes);
	return ret;
}

/* Opens every part, checks that they are one shard each of one run. */
static int
open_parts(struct part *parts, size_t n, struct settings *s, struct totals *t,
    char *err, size_t errlen)
{
	struct shard_set set;

	shard_set_init(&set);
	for (size_t i = 0; i < n; i++) {
		struct part *p = &parts[i];

		if (open_part(p, s, i == 0, err, errlen) < 0 ||
		    shard_set_add(&set, p->path, p->shard, s->nshards, err,
		    errlen) < 0)
			return -1;
		t->customers += p->nranked;
		t->interactions += p->interactions;
		if (p->interactions > 0 && (!t->any_time || p->first_time < t->first_time))
			t->first_time = p->first_time;
		if (p->interactions > 0 && (!t->any_time || p->last_time > t->last_time))
			t->last_time = p->last_time;
		t->any_time |= p->interactions > 0;
	}
	return shard_set_complete(&set, err, errlen);
}

/* The co-occurrence settings of a part's header into *p and *m. */
static int
read_cooc_settings(const msgpack_object *o, struct cooc_params *p,
    struct model_meta *m)
{
	const char *const reals[] = { "half_life_days", "popularity_exponent",
	    "blend", "new_blend" };
	double *to[] = { &p->half_life_days, &p->alpha, &m->blend, &m->new_blend };
	const msgpack_object *v;
	uint64_t neighbours, support;

	for (size_t i = 0; i < 4; i++) {
		v = mp_map_get(o, reals[i]);
		if (v == NULL || v->type != MSGPACK_OBJECT_FLOAT64)
			return -1;
		*to[i] = v->via.f64;
	}
	if (mp_map_uint(o, "neighbours", &neighbours) < 0 ||
	    mp_map_uint(o, "min_support", &support) < 0)
		return -1;
	/* Present when the products have categories. */
	if ((v = mp_map_get(o, "category_weight")) != NULL) {
		if (v->type != MSGPACK_OBJECT_FLOAT64)
			return -1;
		p->category_weight = v->via.f64;
		m->categories = 1;
	}
	p->neighbours = (size_t)neighbours;
	p->min_support = (uint32_t)support;
	return 0;
}

int
audparts_merge(FILE *out, const char *const *path, size_t n,
    const char *source, char *err, size_t errlen)
{
	struct part *parts = xcalloc(n, sizeof(*parts));
	struct settings s = { 0 };
	struct totals t = { 0 };
	struct placing pl = { 0 };
	struct model_meta meta = { 0 };
	struct cooc_params cp = { 0 };
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
	want = model_head_want(s.depth, t.maxm, s.cooc != NULL);
	ids = xmalloc((want + 1) * sizeof(*ids));
	scores = xmalloc((want + 1) * sizeof(*scores));
	head = merge_rankings(parts, n, want, ids, scores);
	score = xstrndup(s.score->via.str.ptr, s.score->via.str.size);
	meta = (struct model_meta){ .score = score, .top_n = s.top_n,
	    .depth = s.depth, .products = t.products, .named_products = t.named,
	    .customers = t.customers, .interactions = t.interactions,
	    .first_time = t.first_time, .last_time = t.last_time,
	    .seed = s.seed, .fallback_size = head < MODEL_FALLBACK_SIZE ? head :
	    MODEL_FALLBACK_SIZE };
	if (s.cooc != NULL) {
		if (read_cooc_settings(s.cooc, &cp, &meta) < 0) {
			fail(err, errlen, s.first_path, "not a usable audience part");
			goto out;
		}
		meta.cooc = &cp;
	}
	mw = model_writer_new(out, &meta, source, ids, scores, head);
	pl.depth = s.depth;
	pl.places = xmalloc((s.depth + 1) * sizeof(*pl.places));
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
	free(pl.places);
	free(pl.of);
	free(ids);
	free(scores);
	free(score);
	free(parts);
	return ret;
}
