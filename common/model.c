/*
 * The audience model file; see model.h and aud-stream(5).
 *
 * The index is a msgpack bin of 16-byte entries (key, record offset), both
 * little-endian uint64: first the products with integer ids, keyed by the
 * id with its sign bit flipped (so unsigned order is numeric order), then
 * those with string ids, keyed by the XXH3-64 hash of the id. Each part is
 * sorted by key. The trailer's last entry, "trailer_at", is the offset of
 * the trailer itself, always packed as a 9-byte uint64, so a reader finds
 * the trailer, and in it the index, from the file's last 9 bytes.
 */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "le.h"
#include "mpscan.h"
#include "names.h"
#include "radix.h"
#include "stream.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

#define ENTRY 16

static const char *const model_fields[] = {
	"product_id", "product_name", "places"
};
static const char *const model_types[] = { "id", "str?", "places" };
/* A product-aware model's records (version 2), its products'
   categories in an eighth field (version 3), its buyers' engagement
   scores in a ninth (version 4), and the rest of its audience as places
   in the ranking head in a tenth (version 5, the one written). */
static const char *const targets_fields[] = {
	"product_id", "product_name", "customers", "scores", "reasons", "buyers",
	"buyer_weights", "category", "buyer_engagement", "fallback"
};
static const char *const targets_types[] = {
	"id", "str?", "ids", "floats", "reasons", "ids", "floats", "str?",
	"floats", "places"
};
#define TARGETS_FIELDS 7	/* of version 2 */
#define TARGETS_FIELDS_V4 9
#define TARGETS_FIELDS_V5 10

struct model_writer {
	struct stream_writer *w;
	uint64_t *int_keys, *str_keys;	/* keys, and offsets alongside */
	uint32_t *int_at, *str_at;	/* positions into the offsets */
	uint64_t *offsets;
	size_t nint, nstr, n, cap_int, cap_str, cap;
	struct names_builder *names;	/* product-aware models only */
	struct catindex_builder *categories;	/* when they have categories */
};

static uint64_t
int_key(int64_t v)
{
	return (uint64_t)v ^ UINT64_C(1) << 63;
}

static uint64_t
str_key(const char *s, size_t len)
{
	return XXH3_64bits(s, len);
}


static void
pack_meta(msgpack_packer *pk, const struct model_meta *m)
{
	char first[TIME_ISO_LEN], last[TIME_ISO_LEN];

	stream_pack_cstr(pk, "model");
	msgpack_pack_map(pk, 15 + (m->cooc != NULL));
	stream_pack_kv_str(pk, "score", m->score);
	stream_pack_kv_uint(pk, "top_n", m->top_n);
	stream_pack_kv_uint(pk, "depth", m->depth);
	stream_pack_kv_uint(pk, "customers", m->customers);
	stream_pack_kv_uint(pk, "products", m->products);
	stream_pack_kv_uint(pk, "interactions", m->interactions);
	stream_pack_kv_uint(pk, "named_products", m->named_products);
	stream_pack_kv_str(pk, "first_time", m->interactions ?
	    time_format_iso(m->first_time, first) : NULL);
	stream_pack_kv_str(pk, "last_time", m->interactions ?
	    time_format_iso(m->last_time, last) : NULL);
	stream_pack_kv_str(pk, "features_source", m->features_source);
	stream_pack_kv_str(pk, "interactions_source", m->interactions_source);
	stream_pack_kv_str(pk, "interactions_fingerprint", m->interactions_fingerprint);
	stream_pack_kv_bool(pk, "quick", m->quick);
	stream_pack_kv_uint(pk, "seed", m->seed);
	stream_pack_kv_uint(pk, "fallback_size", m->fallback_size);
	if (m->cooc != NULL)
		model_pack_cooc(pk, m);
}

void
model_pack_cooc(msgpack_packer *pk, const struct model_meta *m)
{
	stream_pack_cstr(pk, "cooccurrence");
	msgpack_pack_map(pk, 6 + m->categories);
	stream_pack_kv_double(pk, "half_life_days", m->cooc->half_life_days);
	stream_pack_kv_double(pk, "popularity_exponent", m->cooc->alpha);
	stream_pack_kv_uint(pk, "neighbours", m->cooc->neighbours);
	stream_pack_kv_uint(pk, "min_support", m->cooc->min_support);
	stream_pack_kv_double(pk, "blend", m->blend);
	stream_pack_kv_double(pk, "new_blend", m->new_blend);
	if (m->categories)
		stream_pack_kv_double(pk, "category_weight",
		    m->cooc->category_weight);
}

size_t
model_head_want(size_t depth, size_t max_customers, int product_aware)
{
	size_t want = (product_aware ? 2 * depth : depth) + max_customers;

	return want < MODEL_FALLBACK_SIZE ? MODEL_FALLBACK_SIZE : want;
}

struct model_writer *
model_writer_new(FILE *out, const struct model_meta *meta, const char *source,
    const struct id *ranking, const double *ranking_score, size_t nranking)
{
	struct model_writer *mw = xcalloc(1, sizeof(*mw));
	msgpack_packer *pk;

	mw->w = stream_writer_new(out);
	pk = stream_packer(mw->w);
	if (meta->cooc != NULL) {
		stream_write_header_version(mw->w, 5, "audiences",
		    TARGETS_FIELDS_V5, targets_fields, targets_types, 3);
		mw->names = names_builder_new();
		if (meta->categories)
			mw->categories = catindex_builder_new();
	}
	else
		stream_write_header(mw->w, "audiences", 3, model_fields,
		    model_types, 3);
	pack_meta(pk, meta);
	stream_pack_cstr(pk, "ranking");
	msgpack_pack_map(pk, 2);
	stream_pack_cstr(pk, "customers");
	msgpack_pack_array(pk, nranking);
	for (size_t i = 0; i < nranking; i++)
		stream_pack_id(pk, &ranking[i]);
	stream_pack_cstr(pk, "scores");
	msgpack_pack_array(pk, nranking);
	for (size_t i = 0; i < nranking; i++)
		msgpack_pack_double(pk, ranking_score[i]);
	stream_pack_cstr(pk, "provenance");
	msgpack_pack_map(pk, 4);
	stream_pack_provenance(pk, "aud-rank", source);
	return mw;
}

/* Notes where product's record starts, for the index. */
static void
note_record(struct model_writer *mw, const struct id *product)
{
	mw->offsets = xgrow(mw->offsets, &mw->cap, mw->n + 1, sizeof(*mw->offsets));
	mw->offsets[mw->n] = stream_writer_offset(mw->w);
	if (product->is_str) {
		size_t cap = mw->cap_str;

		mw->str_keys = xgrow(mw->str_keys, &cap, mw->nstr + 1, sizeof(uint64_t));
		if (cap != mw->cap_str)
			mw->str_at = xrealloc(mw->str_at, cap * sizeof(uint32_t));
		mw->cap_str = cap;
		mw->str_keys[mw->nstr] = str_key(product->str, product->len);
		mw->str_at[mw->nstr++] = (uint32_t)mw->n;
	} else {
		size_t cap = mw->cap_int;

		mw->int_keys = xgrow(mw->int_keys, &cap, mw->nint + 1, sizeof(uint64_t));
		if (cap != mw->cap_int)
			mw->int_at = xrealloc(mw->int_at, cap * sizeof(uint32_t));
		mw->cap_int = cap;
		mw->int_keys[mw->nint] = int_key(product->num);
		mw->int_at[mw->nint++] = (uint32_t)mw->n;
	}
	mw->n++;
}

void
model_add(struct model_writer *mw, const struct id *product, const char *name,
    const uint32_t *places, size_t n)
{
	struct packbuf b;
	size_t name_len = name != NULL ? strlen(name) : 0;

	note_record(mw, product);
	b = stream_record_space(mw->w, packbuf_id_bound(product) + 5 + name_len +
	    5 + n * PACKBUF_NUMBER);
	packbuf_id(&b, product);
	if (name != NULL)
		packbuf_str(&b, name, name_len);
	else
		packbuf_pack_nil(&b);
	packbuf_pack_array(&b, n);
	for (size_t i = 0; i < n; i++)
		packbuf_pack_uint32(&b, places[i]);
	stream_record_done(mw->w, &b);
}

/* Two arrays: the customers of t[0..n), then their scores. */
static void
pack_customers_scores(struct packbuf *b, const struct model_target *t, size_t n)
{
	packbuf_pack_array(b, n);
	for (size_t i = 0; i < n; i++)
		packbuf_id(b, &t[i].customer);
	packbuf_pack_array(b, n);
	for (size_t i = 0; i < n; i++)
		packbuf_pack_double(b, t[i].score);
}

/* A reason: the neighbour product's id, true for the category, or nil. */
static void
pack_reason(struct packbuf *b, const struct model_target *t)
{
	if (t->by_category)
		packbuf_pack_true(b);
	else if (t->reason != NULL)
		packbuf_id(b, t->reason);
	else
		packbuf_pack_nil(b);
}

size_t
model_record_bound(const struct model_record *r)
{
	const struct model_target *t = r->targets;
	/* The headers: the record's, its name's and category's, its seven
	   arrays'; then what they hold. */
	size_t bound = 1 + 2 * 5 + 7 * 5 + packbuf_id_bound(r->product) +
	    (r->name != NULL ? strlen(r->name) : 0) + r->category_len +
	    (r->n + 2 * r->nbuyers + r->nfallback) * PACKBUF_NUMBER;

	for (size_t i = 0; i < r->n; i++)
		bound += packbuf_id_bound(&t[i].customer) + (t[i].reason ?
		    packbuf_id_bound(t[i].reason) : 1);
	for (size_t i = 0; i < r->nbuyers; i++)
		bound += packbuf_id_bound(&r->buyers[i].customer);
	return bound;
}

void
model_pack_record(struct packbuf *b, const struct model_record *r)
{
	const struct model_target *t = r->targets;

	packbuf_pack_array(b, TARGETS_FIELDS_V5);
	packbuf_id(b, r->product);
	if (r->name != NULL)
		packbuf_str(b, r->name, strlen(r->name));
	else
		packbuf_pack_nil(b);
	pack_customers_scores(b, t, r->n);
	packbuf_pack_array(b, r->n);
	for (size_t i = 0; i < r->n; i++)
		pack_reason(b, &t[i]);
	pack_customers_scores(b, r->buyers, r->nbuyers);
	if (r->category != NULL)
		packbuf_str(b, r->category, r->category_len);
	else
		packbuf_pack_nil(b);
	packbuf_pack_array(b, r->nbuyers);
	for (size_t i = 0; i < r->nbuyers; i++)
		packbuf_pack_double(b, r->buyer_engagement[i]);
	packbuf_pack_array(b, r->nfallback);
	for (size_t i = 0; i < r->nfallback; i++)
		packbuf_pack_uint32(b, r->fallback[i]);
}

void
model_add_packed(struct model_writer *mw, const struct model_record *r,
    const void *bytes, size_t len)
{
	note_record(mw, r->product);
	if (r->name != NULL)
		names_add(mw->names, mw->offsets[mw->n - 1], r->name,
		    strlen(r->name));
	if (r->category != NULL && mw->categories != NULL)
		catindex_add(mw->categories, mw->offsets[mw->n - 1], r->category,
		    r->category_len, r->weight);
	stream_write_record(mw->w, bytes, len);
}

/* Appends one sorted part of the index to buf. */
static unsigned char *
index_part(unsigned char *buf, uint64_t *keys, uint32_t *at, size_t n,
    const uint64_t *offsets)
{
	radix_sort_u64(keys, at, n);
	for (size_t i = 0; i < n; i++, buf += ENTRY) {
		le_put64(buf, keys[i]);
		le_put64(buf + 8, offsets[at[i]]);
	}
	return buf;
}

int
model_finish(struct model_writer *mw)
{
	msgpack_packer *pk = stream_packer(mw->w);
	size_t len = mw->n * ENTRY;
	unsigned char *index = xmalloc(len ? len : 1), *end;
	unsigned char fixed[9];
	uint64_t trailer_at;
	int ret;

	end = index_part(index, mw->int_keys, mw->int_at, mw->nint, mw->offsets);
	index_part(end, mw->str_keys, mw->str_at, mw->nstr, mw->offsets);
	trailer_at = stream_writer_offset(mw->w);
	stream_trailer_begin(mw->w, 3 + (mw->names ? NAMES_ENTRIES : 0) +
	    (mw->categories ? CATINDEX_ENTRIES : 0));
	if (mw->names != NULL)
		names_pack(mw->names, pk);
	if (mw->categories != NULL)
		catindex_pack(mw->categories, pk);
	stream_pack_kv_uint(pk, "index_ints", mw->nint);
	stream_pack_kv_bin(pk, "index", index, len);
	stream_pack_cstr(pk, "trailer_at");
	fixed[0] = 0xcf;
	for (int i = 0; i < 8; i++)
		fixed[1 + i] = (unsigned char)(trailer_at >> (56 - 8 * i));
	stream_write_raw(mw->w, fixed, sizeof(fixed));
	ret = stream_writer_close(mw->w);
	free(index);
	free(mw->int_keys);
	free(mw->str_keys);
	free(mw->int_at);
	free(mw->str_at);
	free(mw->offsets);
	free(mw);
	return ret;
}

static int
corrupt(char *err, size_t errlen, const char *path, const char *what)
{
	snprintf(err, errlen, "%s: not a usable model: %s", path, what);
	return -1;
}

static int
check_header(struct model *m, const char *path, char *err, size_t errlen)
{
	const msgpack_object *h = &m->header.data, *v, *fb;

	v = mp_map_get(h, "format");
	if (h->type != MSGPACK_OBJECT_MAP || v == NULL || !mp_str_equals(v, STREAM_MAGIC))
		return corrupt(err, errlen, path, "not an aud stream");
	v = mp_map_get(h, "version");
	if (v == NULL || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    v->via.u64 > STREAM_VERSION)
		return corrupt(err, errlen, path, "an unknown format version");
	v = mp_map_get(h, "kind");
	if (v == NULL || !mp_str_equals(v, "audiences")) {
		snprintf(err, errlen, "%s: a stream of %.*s, expected audiences",
		    path, v && v->type == MSGPACK_OBJECT_STR ? (int)v->via.str.size : 7,
		    v && v->type == MSGPACK_OBJECT_STR ? v->via.str.ptr : "unknown");
		return -1;
	}
	m->meta = mp_map_get(h, "model");
	fb = m->meta ? mp_map_get(m->meta, "fallback_size") : NULL;
	if (m->meta == NULL || m->meta->type != MSGPACK_OBJECT_MAP ||
	    fb == NULL || fb->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return corrupt(err, errlen, path, "no model metadata");
	m->fallback_size = fb->via.u64;
	v = mp_map_get(h, "fields");
	m->per_record = v != NULL && v->type == MSGPACK_OBJECT_ARRAY &&
	    v->via.array.size >= TARGETS_FIELDS &&
	    v->via.array.size <= TARGETS_FIELDS_V5 &&
	    mp_str_equals(&v->via.array.ptr[2], "customers");
	if (!m->per_record && (v == NULL || v->type != MSGPACK_OBJECT_ARRAY ||
	    v->via.array.size != 3))
		return corrupt(err, errlen, path, "records of an unknown layout");
	m->nfields = v->via.array.size;
	return 0;
}

/*
 * Where the ranking's entries lie is noted for every RANKED_STEP-th one: a
 * few hundred bytes to fill at each opening, and an entry is found by
 * passing over fewer than RANKED_STEP others.
 */
#define RANKED_STEP 16

/*
 * The ranking's customers (or scores, when scores is set): an array of n
 * ids (or numbers) starting at p; the offsets from the map of every
 * RANKED_STEP-th go to *at. Returns the array's length, or 0 when it is not
 * one.
 */
static size_t
read_ranked(const struct model *m, const unsigned char *p, size_t len,
    int scores, uint32_t **at, uint64_t *n)
{
	size_t used = 0, k;
	int is_map;

	if ((used = mpscan_container(p, len, n, &is_map)) == 0 || is_map ||
	    *n > len)
		return 0;
	*at = xmalloc((*n / RANKED_STEP + 1) * sizeof(**at));
	for (uint64_t i = 0; i < *n; i++) {
		msgpack_object o;

		if ((k = mpscan_scalar(p + used, len - used, &o)) == 0)
			return 0;
		if (scores ? o.type != MSGPACK_OBJECT_FLOAT64 &&
		    o.type != MSGPACK_OBJECT_FLOAT32 :
		    o.type != MSGPACK_OBJECT_STR &&
		    o.type != MSGPACK_OBJECT_NEGATIVE_INTEGER &&
		    (o.type != MSGPACK_OBJECT_POSITIVE_INTEGER || o.via.u64 > INT64_MAX))
			return 0;
		if (i % RANKED_STEP == 0)
			(*at)[i / RANKED_STEP] = (uint32_t)(p + used - m->map);
		used += k;
	}
	return used;
}

/*
 * The "ranking" map of the header, at p: the positions of its customers
 * and scores are noted, nothing is decoded. A server opens the model once
 * a connection, and decoding a ranking head of thousands into msgpack-c
 * objects was most of the cost of that. Returns NULL and the map's length
 * in *used, or what is wrong with it.
 */
static const char *
read_ranking(struct model *m, const unsigned char *p, size_t len, size_t *used)
{
	size_t at, k;
	uint64_t pairs, nscores = 0;
	int is_map, have = 0;

	if ((at = mpscan_container(p, len, &pairs, &is_map)) == 0 || !is_map)
		return "no ranking";
	for (uint64_t i = 0; i < pairs; i++) {
		msgpack_object key;
		int scores, customers;

		if ((k = mpscan_scalar(p + at, len - at, &key)) == 0)
			return "no ranking";
		at += k;
		scores = mp_str_equals(&key, "scores");
		customers = mp_str_equals(&key, "customers");
		if ((scores && (have & 2)) || (customers && (have & 1)))
			return "a ranking given twice";
		if (scores || customers) {
			k = read_ranked(m, p + at, len - at, scores, scores ?
			    &m->score_at : &m->customer_at, scores ? &nscores :
			    &m->nranking);
			if (k == 0)
				return scores ? "a score that is not a number" :
				    "a ranked customer that is not an id";
			have |= scores ? 2 : 1;
		} else if ((k = mpscan_skip(p + at, len - at)) == 0)
			return "no ranking";
		at += k;
	}
	if (have != 3 || nscores != m->nranking)
		return "no ranking";
	*used = at;
	return NULL;
}

/*
 * Reads the header in one walk: its "ranking" through read_ranking(), the
 * rest (a few hundred bytes) with msgpack-c, from a copy in which the
 * ranking is nil. What is wrong with the ranking is said only once the
 * header is known to be a model's of a version this reader knows.
 */
static int
read_header(struct model *m, const char *path, char *err, size_t errlen)
{
	const unsigned char *p = m->map;
	const char *wrong = "no ranking";
	size_t at, k, v, rk = 0, rk_len = 0, len, off = 0;
	uint64_t pairs;
	int is_map;

	if ((at = mpscan_container(p, m->size, &pairs, &is_map)) == 0 || !is_map)
		return corrupt(err, errlen, path, "not an aud stream");
	for (uint64_t i = 0; i < pairs; i++) {
		msgpack_object key;
		int ranking;

		if ((k = mpscan_scalar(p + at, m->size - at, &key)) == 0)
			return corrupt(err, errlen, path, "no readable header");
		ranking = mp_str_equals(&key, "ranking");
		v = 0;		/* set by read_ranking() when it can read it */
		if (ranking && rk == 0)
			wrong = read_ranking(m, p + at + k, m->size - at - k, &v);
		else if (ranking)
			wrong = "a ranking given twice";
		if (v == 0 && (v = mpscan_skip(p + at + k, m->size - at - k)) == 0)
			return corrupt(err, errlen, path, "no readable header");
		if (ranking)
			rk = at + k, rk_len = v;
		at += k + v;
	}
	m->header_end = at;
	if (at > UINT32_MAX)	/* positions in it are 32-bit */
		return corrupt(err, errlen, path, "a header of over 4 GiB");
	/* No ranking (rk_len 0): all of it, for check_header. */
	m->header_bytes = mpscan_copy_without(p, at, rk, rk_len, &len);
	if (msgpack_unpack_next(&m->header, m->header_bytes, len, &off) !=
	    MSGPACK_UNPACK_SUCCESS || off != len)
		return corrupt(err, errlen, path, "no readable header");
	if (check_header(m, path, err, errlen) < 0)
		return -1;
	if (wrong != NULL)
		return corrupt(err, errlen, path, wrong);
	if (m->fallback_size > m->nranking)
		return corrupt(err, errlen, path, "no ranking");
	return 0;
}

/*
 * Finds the trailer through the file's last 9 bytes and takes the index
 * from it, checking that every part lies where the file says.
 */
static int
find_index(struct model *m, const char *path, size_t header_len,
    msgpack_unpacked *trailer, char *err, size_t errlen)
{
	const unsigned char *tail = m->map + m->size - 9;
	const msgpack_object *records, *nint, *index;
	uint64_t at = 0;
	size_t off = 0;

	if (m->size < header_len + 9 || tail[0] != 0xcf)
		return corrupt(err, errlen, path, "no index at its end (truncated?)");
	for (int i = 1; i < 9; i++)
		at = at << 8 | tail[i];
	/* Walked first, as every object here, so that no head claiming more
	 * values than the file holds makes msgpack-c allocate for them. */
	if (at < header_len || at >= m->size - 9 ||
	    mpscan_skip(m->map + at, m->size - at) != m->size - at ||
	    msgpack_unpack_next(trailer, (const char *)m->map + at, m->size - at,
	    &off) != MSGPACK_UNPACK_SUCCESS || off != m->size - at)
		return corrupt(err, errlen, path, "the trailer is not where the file says");
	records = mp_map_get(&trailer->data, "records");
	nint = mp_map_get(&trailer->data, "index_ints");
	index = mp_map_get(&trailer->data, "index");
	if (records == NULL || nint == NULL || index == NULL ||
	    records->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    nint->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    index->type != MSGPACK_OBJECT_BIN ||
	    index->via.bin.size != records->via.u64 * ENTRY ||
	    nint->via.u64 > records->via.u64)
		return corrupt(err, errlen, path, "a malformed index");
	m->index = (const unsigned char *)index->via.bin.ptr;
	m->nrecords = records->via.u64;
	m->nint = nint->via.u64;
	m->index_end = at;
	if (names_open(&m->names, &trailer->data) < 0)
		return corrupt(err, errlen, path, "a malformed name index");
	if (catindex_open(&m->categories, &trailer->data) < 0)
		return corrupt(err, errlen, path, "a malformed category index");
	return 0;
}

int
model_open(struct model *m, const char *path, char *err, size_t errlen)
{
	struct stat st;
	void *map;
	int fd;

	memset(m, 0, sizeof(*m));
	msgpack_unpacked_init(&m->header);
	msgpack_unpacked_init(&m->trailer);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size < 16) {
		close(fd);
		return corrupt(err, errlen, path, "too short");
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	m->map = map;
	m->size = (size_t)st.st_size;
	if (read_header(m, path, err, errlen) < 0 ||
	    find_index(m, path, m->header_end, &m->trailer, err, errlen) < 0) {
		model_close(m);
		return -1;
	}
	return 0;
}

void
model_close(struct model *m)
{
	if (m->map != NULL)
		munmap((void *)m->map, m->size);
	msgpack_unpacked_destroy(&m->header);
	msgpack_unpacked_destroy(&m->trailer);
	free(m->header_bytes);
	free(m->customer_at);
	free(m->score_at);
	memset(m, 0, sizeof(*m));
}

static uint64_t
key_at(const struct model *m, uint64_t i)
{
	return le_get64(m->index + i * ENTRY);
}

#define NEAR 8		/* entries checked beside a guess: two cache lines */

/*
 * The first entry of [lo, hi) whose key is >= key. Keys are hashes
 * (strings) or, in practice, dense integers, both spread evenly: a guess by
 * interpolation lands within a few entries, and checking NEAR entries
 * beside it usually brackets the answer, where bisection of 200,000 entries
 * costs some 15 cache misses. Two guesses at most, then bisection, so the
 * worst case stays logarithmic. Invariant: keys before lo are < key, keys
 * from hi on are >= key.
 */
static uint64_t
lower_bound(const struct model *m, uint64_t lo, uint64_t hi, uint64_t key)
{
	for (int guess = 0; guess < 2 && hi - lo > 2 * NEAR; guess++) {
		uint64_t first = key_at(m, lo), last = key_at(m, hi - 1), at;

		if (key <= first)
			return lo;
		if (key > last)
			return hi;
		at = lo + (uint64_t)((double)(key - first) / (double)(last - first) *
		    (double)(hi - 1 - lo));
		if (at >= hi)
			at = hi - 1;
		if (key_at(m, at) < key) {
			lo = at + 1;
			if (at + NEAR < hi && key_at(m, at + NEAR) >= key)
				hi = at + NEAR;
		} else {
			hi = at;
			if (at >= lo + NEAR && key_at(m, at - NEAR) < key)
				lo = at - NEAR + 1;
		}
	}
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (key_at(m, mid) < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
malformed(char *err, size_t errlen, uint64_t offset)
{
	snprintf(err, errlen, "corrupt model: a malformed record at byte %llu",
	    (unsigned long long)offset);
	return -1;
}

/* Every place of a record lies in the ranking head. */
static int
places_ok(const struct model *m, const msgpack_object *places)
{
	for (uint32_t i = 0; i < places->via.array.size; i++)
		if (places->via.array.ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    places->via.array.ptr[i].via.u64 >= m->nranking)
			return 0;
	return 1;
}

/*
 * A product-aware record: as many customer ids, scores and reasons (ids,
 * nil, or true for the category in a record that has one); as many buyers
 * as buyer weights; a category, a string or nil, when there are eight
 * fields or more; as many buyer engagement scores as buyers when nine or
 * more; places in the ranking head when ten.
 */
static int
targets_ok(const struct model *m, const msgpack_object *v)
{
	size_t nfields = m->nfields;
	uint32_t n = v[2].via.array.size;
	struct id id;

	if (nfields == TARGETS_FIELDS_V5 && (v[9].type != MSGPACK_OBJECT_ARRAY ||
	    !places_ok(m, &v[9])))
		return 0;
	if (!mp_ids_and_floats(&v[5], &v[6]) || v[3].type != MSGPACK_OBJECT_ARRAY ||
	    v[4].type != MSGPACK_OBJECT_ARRAY || v[3].via.array.size != n ||
	    v[4].via.array.size != n)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *s = &v[3].via.array.ptr[i], *r = &v[4].via.array.ptr[i];

		if (stream_get_id(&v[2].via.array.ptr[i], &id) < 0 ||
		    (s->type != MSGPACK_OBJECT_FLOAT64 && s->type != MSGPACK_OBJECT_FLOAT32) ||
		    (r->type != MSGPACK_OBJECT_NIL && stream_get_id(r, &id) < 0 &&
		    !(r->type == MSGPACK_OBJECT_BOOLEAN && r->via.boolean &&
		    nfields > TARGETS_FIELDS && v[7].type == MSGPACK_OBJECT_STR)))
			return 0;
	}
	if (nfields >= TARGETS_FIELDS_V4 &&
	    (v[8].type != MSGPACK_OBJECT_ARRAY ||
	    v[8].via.array.size != v[5].via.array.size))
		return 0;
	for (uint32_t i = 0; nfields >= TARGETS_FIELDS_V4 &&
	    i < v[8].via.array.size; i++)
		if (v[8].via.array.ptr[i].type != MSGPACK_OBJECT_FLOAT64 &&
		    v[8].via.array.ptr[i].type != MSGPACK_OBJECT_FLOAT32)
			return 0;
	return nfields == TARGETS_FIELDS || v[7].type == MSGPACK_OBJECT_STR ||
	    v[7].type == MSGPACK_OBJECT_NIL;
}

/*
 * Decodes the record at offset into a; 1 when its product is id (any
 * product when id is NULL), and *next is where the next record starts.
 */
static int
read_record(const struct model *m, uint64_t offset, const struct id *id,
    struct audience *a, uint64_t *next, char *err, size_t errlen)
{
	size_t off = 0, len;
	const msgpack_object *v;
	struct id got;

	if (offset < m->header_end || offset >= m->index_end ||
	    (len = mpscan_skip(m->map + offset, m->index_end - offset)) == 0 ||
	    msgpack_unpack_next(&a->record, (const char *)m->map + offset,
	    len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    a->record.data.type != MSGPACK_OBJECT_ARRAY ||
	    a->record.data.via.array.size != m->nfields) {
		snprintf(err, errlen, "corrupt model: no record at byte %llu",
		    (unsigned long long)offset);
		return -1;
	}
	v = a->record.data.via.array.ptr;
	if (stream_get_id(&v[0], &got) < 0 || v[2].type != MSGPACK_OBJECT_ARRAY ||
	    (m->per_record ? !targets_ok(m, v) : !places_ok(m, &v[2])))
		return malformed(err, errlen, offset);
	if (next != NULL)
		*next = offset + off;
	if (id != NULL && id_compare(&got, id) != 0)
		return 0;
	a->product_id = &v[0];
	a->name = v[1].type == MSGPACK_OBJECT_STR ? &v[1] : NULL;
	if (m->per_record) {
		a->customers = &v[2];
		a->scores = &v[3];
		a->reasons = &v[4];
		a->buyers = &v[5];
		a->buyer_weights = &v[6];
		if (m->nfields > TARGETS_FIELDS && v[7].type == MSGPACK_OBJECT_STR)
			a->category = &v[7];
		if (m->nfields >= TARGETS_FIELDS_V4)
			a->buyer_engagement = &v[8];
		if (m->nfields == TARGETS_FIELDS_V5)
			a->tail = &v[9];
	} else
		a->places = &v[2];
	a->size = v[2].via.array.size +
	    (a->tail != NULL ? a->tail->via.array.size : 0);
	return 1;
}

int
model_lookup(const struct model *m, const struct id *product, struct audience *a,
    char *err, size_t errlen)
{
	uint64_t lo = product->is_str ? m->nint : 0;
	uint64_t hi = product->is_str ? m->nrecords : m->nint;
	uint64_t key = product->is_str ? str_key(product->str, product->len) :
	    int_key(product->num);

	memset(a, 0, sizeof(*a));
	msgpack_unpacked_init(&a->record);
	/* String keys are hashes: walk the entries that share one. */
	for (uint64_t i = lower_bound(m, lo, hi, key); i < hi &&
	    key_at(m, i) == key; i++) {
		int ret = read_record(m, le_get64(m->index + i * ENTRY + 8), product,
		    a, NULL, err, errlen);

		if (ret > 0)
			return ret;
		if (ret == 0 && !product->is_str)
			snprintf(err, errlen, "corrupt model: the index points to "
			    "another product");
		if (ret < 0 || !product->is_str) {
			audience_free(a);
			return -1;
		}
	}
	a->fallback = 1;
	a->size = m->fallback_size;
	return 0;
}

int
model_entry(const struct model *m, uint64_t i, struct audience *a, char *err,
    size_t errlen)
{
	int ret;

	memset(a, 0, sizeof(*a));
	msgpack_unpacked_init(&a->record);
	ret = read_record(m, le_get64(m->index + i * ENTRY + 8), NULL, a, NULL,
	    err, errlen);
	if (ret < 0)
		audience_free(a);
	return ret;
}

int
model_record_at(const struct model *m, uint64_t offset, struct audience *a,
    char *err, size_t errlen)
{
	int ret;

	memset(a, 0, sizeof(*a));
	msgpack_unpacked_init(&a->record);
	if ((ret = read_record(m, offset, NULL, a, NULL, err, errlen)) < 0)
		audience_free(a);
	return ret;
}

int
model_next(const struct model *m, uint64_t *at, struct audience *a, char *err,
    size_t errlen)
{
	int ret;

	if (*at == 0) {
		memset(a, 0, sizeof(*a));
		msgpack_unpacked_init(&a->record);
		*at = m->header_end;
	}
	if (*at >= m->index_end)
		return 0;
	if ((ret = read_record(m, *at, NULL, a, at, err, errlen)) < 0)
		audience_free(a);
	return ret;
}

/* Customers of a product-aware audience that precede its places. */
static size_t
own_customers(const struct audience *a)
{
	return a->customers != NULL ? a->customers->via.array.size : 0;
}

size_t
audience_place(const struct audience *a, size_t i)
{
	if (a->fallback)
		return i;
	if (a->places != NULL)
		return (size_t)a->places->via.array.ptr[i].via.u64;
	return (size_t)a->tail->via.array.ptr[i - own_customers(a)].via.u64;
}

int
audience_ranked(const struct audience *a, size_t i)
{
	return i >= own_customers(a);
}

/* Entry place of a ranking array whose noted offsets are at (checked at opening). */
static msgpack_object
ranked(const struct model *m, const uint32_t *at, size_t place)
{
	const unsigned char *p = m->map + at[place / RANKED_STEP];
	const unsigned char *end = m->map + m->header_end;
	msgpack_object o;

	for (size_t k = place % RANKED_STEP; k > 0; k--)
		p += mpscan_scalar(p, (size_t)(end - p), &o);
	mpscan_scalar(p, (size_t)(end - p), &o);
	return o;
}

msgpack_object
model_ranked_customer(const struct model *m, size_t place)
{
	return ranked(m, m->customer_at, place);
}

double
model_ranked_score(const struct model *m, size_t place)
{
	return ranked(m, m->score_at, place).via.f64;
}

msgpack_object
audience_customer(const struct model *m, const struct audience *a, size_t i)
{
	if (i < own_customers(a))
		return a->customers->via.array.ptr[i];
	return model_ranked_customer(m, audience_place(a, i));
}

double
audience_score(const struct model *m, const struct audience *a, size_t i)
{
	if (i < own_customers(a))
		return a->scores->via.array.ptr[i].via.f64;
	return model_ranked_score(m, audience_place(a, i));
}

msgpack_object
audience_reason(const struct audience *a, size_t i)
{
	msgpack_object none = { .type = MSGPACK_OBJECT_NIL };

	return i < own_customers(a) ? a->reasons->via.array.ptr[i] : none;
}

#define NAME_MATCHES 20	/* products of like names an audience draws on */

struct candidate {
	msgpack_object customer, reason;
	double score, best;
	double engagement;		/* 0 in a model older than version 4 */
};

static int
by_customer(const void *x, const void *y)
{
	const struct candidate *a = x, *b = y;
	struct id i, j;

	stream_get_id(&a->customer, &i);
	stream_get_id(&b->customer, &j);
	return id_compare(&i, &j);
}

static int
by_score(const void *x, const void *y)
{
	const struct candidate *a = x, *b = y;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return by_customer(x, y);
}

/* Sums the candidates of one customer (sorted by customer) into one. */
static size_t
merge_candidates(struct candidate *c, size_t n)
{
	size_t u = 0;

	for (size_t i = 0; i < n; i++) {
		if (u > 0 && by_customer(&c[u - 1], &c[i]) == 0) {
			c[u - 1].score += c[i].score;
			if (c[i].best > c[u - 1].best) {
				c[u - 1].best = c[i].best;
				c[u - 1].reason = c[i].reason;
			}
		} else
			c[u++] = c[i];
	}
	return u;
}

#define CATEGORY_PRODUCTS 50	/* the heaviest of a category drawn on */

/* The records an audience draws on, each with the weight of its buyers. */
struct source {
	uint64_t record;
	double weight;
};

/*
 * The weight of engagement in a new product's audience: the model's, or -1
 * in one older than version 4 (whose buyers carry no engagement, and whose
 * scores stay the sums they were).
 */
static double
new_blend(const struct model *m)
{
	const msgpack_object *c = mp_map_get(m->meta, "cooccurrence");
	const msgpack_object *v = c != NULL ? mp_map_get(c, "new_blend") : NULL;

	return v != NULL && v->type == MSGPACK_OBJECT_FLOAT64 ? v->via.f64 : -1;
}

/*
 * The buyers of the records in src, one candidate a customer, best first
 * by the sum of their records' weights times theirs, over the largest such
 * sum, plus the model's new_blend times their engagement (as the
 * evaluation's cold-start section scores them, coldstart.h; by the sum
 * alone in a model older than version 4); reason_true: the reason is the
 * category (true), else the record's product.
 */
static int
buyer_candidates(const struct model *m, const struct source *src, size_t ns,
    int reason_true, struct candidate **out, size_t *nout, char *err,
    size_t errlen)
{
	msgpack_object category = { .type = MSGPACK_OBJECT_BOOLEAN,
	    .via.boolean = true };
	size_t n = 0, cap = 0;
	struct candidate *c = NULL;

	for (size_t i = 0; i < ns; i++) {
		struct audience r = { 0 };
		const msgpack_object *b, *w;

		int ret;

		msgpack_unpacked_init(&r.record);
		ret = read_record(m, src[i].record, NULL, &r, NULL, err, errlen);
		if (ret < 0 || r.buyers == NULL) {
			if (ret >= 0)	/* a record, not a product-aware one */
				snprintf(err, errlen, "corrupt model: an index "
				    "points to no product");
			audience_free(&r);
			free(c);
			return -1;
		}
		b = r.buyers;
		w = r.buyer_weights;
		c = xgrow(c, &cap, n + b->via.array.size + 1, sizeof(*c));
		for (uint32_t k = 0; k < b->via.array.size; k++) {
			double part = src[i].weight * w->via.array.ptr[k].via.f64;

			c[n++] = (struct candidate){ b->via.array.ptr[k],
			    reason_true ? category : *r.product_id, part, part,
			    r.buyer_engagement != NULL ?
			    r.buyer_engagement->via.array.ptr[k].via.f64 : 0 };
		}
		audience_free(&r);	/* ids point into the mapped file */
	}
	if (n > 0) {
		double top = 0, blend = new_blend(m);

		qsort(c, n, sizeof(*c), by_customer);
		n = merge_candidates(c, n);
		for (size_t i = 0; i < n; i++)
			if (c[i].score > top)
				top = c[i].score;
		for (size_t i = 0; i < n && blend >= 0; i++)
			c[i].score = (top > 0 ? c[i].score / top : 0) +
			    blend * c[i].engagement;
		qsort(c, n, sizeof(*c), by_score);
	}
	*out = c;
	*nout = n;
	return 0;
}

/* The candidates of the products named like p's name, or of its category. */
static int
new_candidates(const struct model *m, const struct new_product *p,
    int by_category, struct candidate **out, size_t *nout, char *err,
    size_t errlen)
{
	struct name_match match[NAME_MATCHES];
	uint64_t record[CATEGORY_PRODUCTS];
	struct source src[CATEGORY_PRODUCTS > NAME_MATCHES ? CATEGORY_PRODUCTS :
	    NAME_MATCHES];
	size_t ns = 0;

	if (!by_category && p->name != NULL) {
		ns = names_similar(&m->names, p->name, p->name_len, match,
		    NAME_MATCHES);
		for (size_t i = 0; i < ns; i++)
			src[i] = (struct source){ match[i].record, match[i].cosine };
	} else if (by_category && p->category != NULL) {
		ns = catindex_products(&m->categories, p->category,
		    p->category_len, record, CATEGORY_PRODUCTS);
		for (size_t i = 0; i < ns; i++)
			src[i] = (struct source){ record[i], 1 };
	}
	return buyer_candidates(m, src, ns, by_category, out, nout, err, errlen);
}

/* Whether customer is among the first got of o. */
static int
chosen(const msgpack_object *o, size_t got, const msgpack_object *customer)
{
	struct candidate f = { .customer = *customer };

	for (size_t i = 0; i < got; i++)
		if (by_customer(&f, &(struct candidate){ .customer = o[i] }) == 0)
			return 1;
	return 0;
}

int
model_new_audience(const struct model *m, const struct new_product *p,
    size_t n, struct audience *a, char *err, size_t errlen)
{
	size_t got = 0, found = 0;
	msgpack_object *o;

	memset(a, 0, sizeof(*a));
	msgpack_unpacked_init(&a->record);
	/* customers, scores, reasons, then the three arrays' heads and the
	   category */
	o = xmalloc((3 * n + 4 + 1) * sizeof(*o));
	for (int tier = 0; tier < 2; tier++) {
		struct candidate *c;
		size_t nc;

		if (new_candidates(m, p, tier, &c, &nc, err, errlen) < 0) {
			free(o);
			return -1;
		}
		for (size_t i = 0; i < nc && got < n; i++) {
			if (chosen(o, got, &c[i].customer))
				continue;
			o[got] = c[i].customer;
			o[n + got] = (msgpack_object){ .type = MSGPACK_OBJECT_FLOAT64,
			    .via.f64 = c[i].score };
			o[2 * n + got++] = c[i].reason;
		}
		found += nc;
		free(c);
	}
	for (size_t k = 0; k < m->fallback_size && got < n; k++) {
		msgpack_object customer = model_ranked_customer(m, k);

		if (chosen(o, got, &customer))
			continue;
		o[got] = customer;
		o[n + got] = (msgpack_object){ .type = MSGPACK_OBJECT_FLOAT64,
		    .via.f64 = model_ranked_score(m, k) };
		o[2 * n + got++] = (msgpack_object){ .type = MSGPACK_OBJECT_NIL };
	}
	for (int part = 0; part < 3; part++)
		o[3 * n + part] = (msgpack_object){ .type = MSGPACK_OBJECT_ARRAY,
		    .via.array = { (uint32_t)got, o + part * n } };
	if (p->category != NULL) {
		o[3 * n + 3] = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
		    .via.str = { (uint32_t)p->category_len, p->category } };
		a->category = &o[3 * n + 3];
	}
	a->owned = o;
	a->customers = &o[3 * n];
	a->scores = &o[3 * n + 1];
	a->reasons = &o[3 * n + 2];
	a->reason_kind = "name";
	a->size = got;
	a->fallback = found == 0;
	return found > 0;
}

/* A count in the model's metadata, 0 when absent. */
static uint64_t
meta_count(const struct model *m, const char *key)
{
	const msgpack_object *v = mp_map_get(m->meta, key);

	return v != NULL && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
	    v->via.u64 : 0;
}

uint64_t
model_top_n(const struct model *m)
{
	return meta_count(m, "top_n");
}

uint64_t
model_depth(const struct model *m)
{
	uint64_t depth = meta_count(m, "depth");

	return depth > 0 ? depth : model_top_n(m);
}

uint64_t
model_named_products(const struct model *m)
{
	return meta_count(m, "named_products");
}

void
audience_free(struct audience *a)
{
	free(a->owned);
	msgpack_unpacked_destroy(&a->record);

	memset(a, 0, sizeof(*a));
}
