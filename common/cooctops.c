/* The largest relevance of each product over shards; see cooctops.h. */
#include "cooctops.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "packbuf.h"
#include "parallel.h"
#include "shardset.h"
#include "stream.h"
#include "xalloc.h"
#include "banned.h"

static const char *const fields[] = { "product_id", "top" };
static const char *const types[] = { "id", "float" };
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* The tops of the products, a chunk at a time on each thread. */
struct tops_job {
	const struct cooc *m;
	const uint8_t *keep;
	struct cooc_scratch *scratch;	/* per thread */
	double *top;
};

static void
tops_chunk(void *ctx, size_t from, size_t to, unsigned thread)
{
	struct tops_job *j = ctx;

	for (size_t p = from; p < to; p++) {
		struct cooc_query q = { .product = p, .keep = j->keep };

		j->top[p] = j->m->nstart[p] == j->m->nstart[p + 1] ? 0 :
		    cooc_top_relevance(j->m, &q, &j->scratch[thread]);
	}
}


int
cooctops_write(FILE *out, const struct cooc *m, const struct interactions *ia,
    const struct cooctops_meta *meta, const char *source)
{
	unsigned threads = meta->threads ? meta->threads : 1;
	struct tops_job j = { .m = m, .keep = meta->keep,
	    .scratch = xmalloc(threads * sizeof(*j.scratch)),
	    .top = xmalloc((m->nproducts + 1) * sizeof(*j.top)) };
	uint32_t *by_id = cooc_products_by_id(m);
	struct stream_writer *w = stream_writer_new(out);

	for (unsigned t = 0; t < threads; t++)
		cooc_scratch_init(&j.scratch[t], m);
	parallel_for(m->nproducts, 256, threads, tops_chunk, &j);
	stream_write_header(w, "cooc_tops", NFIELDS, fields, types, 3);
	stream_pack_cstr(stream_packer(w), "params");
	coocpairs_pack_params(stream_packer(w), meta->settings);
	stream_pack_cstr(stream_packer(w), "shard");
	msgpack_pack_map(stream_packer(w), 2);
	stream_pack_kv_uint(stream_packer(w), "index", meta->shard);
	stream_pack_kv_uint(stream_packer(w), "count", meta->nshards);
	stream_pack_cstr(stream_packer(w), "provenance");
	msgpack_pack_map(stream_packer(w), 4);
	stream_pack_provenance(stream_packer(w), "aud-rank", source);
	for (size_t k = 0; k < m->nproducts; k++) {
		uint32_t p = by_id[k];
		struct id id;
		struct packbuf b;

		if (!(j.top[p] > 0))
			continue;
		intern_get(ia->products, p, &id);
		b = stream_record_space(w, packbuf_id_bound(&id) + 1 + PACKBUF_NUMBER);
		packbuf_id(&b, &id);
		packbuf_pack_double(&b, j.top[p]);
		stream_record_done(w, &b);
	}
	for (unsigned t = 0; t < threads; t++)
		cooc_scratch_free(&j.scratch[t]);
	free(j.scratch);
	free(j.top);
	free(by_id);
	return stream_writer_finish(w);
}

/* Reads r's next record into *id and *top: 1, 0 at the end, or -1. */
static int
next_top(struct stream_reader *r, struct id *id, double *top, char *err,
    size_t errlen)
{
	const msgpack_object *rec;
	int ret = stream_read(r, &rec, err, errlen);

	if (ret <= 0)
		return ret;
	if (stream_get_id(&rec->via.array.ptr[0], id) < 0 ||
	    rec->via.array.ptr[1].type != MSGPACK_OBJECT_FLOAT64 ||
	    !(rec->via.array.ptr[1].via.f64 > 0) ||
	    !isfinite(rec->via.array.ptr[1].via.f64)) {
		snprintf(err, errlen, "%s: byte %llu: not a record of tops",
		    stream_name(r), (unsigned long long)stream_offset(r));
		return -1;
	}
	*top = rec->via.array.ptr[1].via.f64;
	return 1;
}

/* Opens path as tops under key ("shard" or "shards"), of the same params
   as the first tops (*params, set by the first). */
static struct stream_reader *
open_tops(FILE **in, const char *path, const msgpack_object **params,
    char *err, size_t errlen)
{
	struct stream_reader *r;

	if ((*in = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((r = stream_reader_open(*in, path, err, errlen)) == NULL)
		return NULL;
	if (stream_expect_kind(r, "cooc_tops", err, errlen) < 0 ||
	    stream_nfields(r) != NFIELDS ||
	    stream_header_get(r, "params") == NULL) {
		if (stream_nfields(r) != NFIELDS)
			snprintf(err, errlen, "%s: not usable tops", path);
		stream_reader_free(r);
		return NULL;
	}
	if (*params == NULL)
		*params = stream_header_get(r, "params");
	else if (!msgpack_object_equal(**params, *stream_header_get(r, "params"))) {
		snprintf(err, errlen, "%s: tops of other settings (params) than "
		    "the tops before it", path);
		stream_reader_free(r);
		return NULL;
	}
	return r;
}

/* One shard's tops being combined: its current record. */
struct tops_in {
	FILE *in;
	struct stream_reader *r;
	struct id id;
	double top;
	int has;
};

int
cooctops_combine(FILE *out, const char *const *path, size_t n,
    const char *source, char *err, size_t errlen)
{
	struct tops_in *t = xcalloc(n + 1, sizeof(*t));
	const msgpack_object *params = NULL;
	struct shard_set set;
	struct stream_writer *w = NULL;
	int ret = 0;

	shard_set_init(&set);
	for (size_t i = 0; i < n && ret == 0; i++) {
		const msgpack_object *shard;
		uint64_t index = 0, count = 0;

		if ((t[i].r = open_tops(&t[i].in, path[i], &params, err,
		    errlen)) == NULL) {
			ret = -1;
			break;
		}
		shard = stream_header_get(t[i].r, "shard");
		if (mp_map_uint(shard, "index", &index) < 0 ||
		    mp_map_uint(shard, "count", &count) < 0) {
			snprintf(err, errlen, "%s: not a shard's tops", path[i]);
			ret = -1;
			break;
		}
		ret = shard_set_add(&set, path[i], index, count, err, errlen);
		if (ret == 0 && (ret = next_top(t[i].r, &t[i].id, &t[i].top, err,
		    errlen)) >= 0)
			t[i].has = ret, ret = 0;
	}
	if (ret == 0)
		ret = shard_set_complete(&set, err, errlen);
	if (ret == 0) {
		w = stream_writer_new(out);
		/* The combined header: the parts' params, the shard count. */
		stream_write_header(w, "cooc_tops", NFIELDS, fields, types, 3);
		stream_pack_cstr(stream_packer(w), "params");
		msgpack_pack_object(stream_packer(w), *params);
		stream_pack_kv_uint(stream_packer(w), "shards", set.nshards);
		stream_pack_cstr(stream_packer(w), "provenance");
		msgpack_pack_map(stream_packer(w), 4);
		stream_pack_provenance(stream_packer(w), "aud-rank", source);
	}
	while (ret == 0) {
		const struct id *min = NULL;
		double top = 0;
		struct id at;
		struct packbuf b;

		for (size_t i = 0; i < n; i++)
			if (t[i].has && (min == NULL || id_compare(&t[i].id, min) < 0))
				min = &t[i].id;
		if (min == NULL)
			break;
		at = *min;
		b = stream_record_space(w, packbuf_id_bound(&at) + 1 + PACKBUF_NUMBER);
		packbuf_id(&b, &at);
		for (size_t i = 0; i < n && ret == 0; i++) {
			if (!t[i].has || id_compare(&t[i].id, &at) != 0)
				continue;
			if (t[i].top > top)
				top = t[i].top;
			if ((ret = next_top(t[i].r, &t[i].id, &t[i].top, err,
			    errlen)) >= 0) {
				if (ret == 1 && t[i].has &&
				    id_compare(&t[i].id, &at) <= 0) {
					snprintf(err, errlen, "%s: products out "
					    "of id order", path[i]);
					ret = -1;
				} else
					t[i].has = ret, ret = 0;
			}
		}
		packbuf_pack_double(&b, top);
		stream_record_done(w, &b);
	}
	if (w != NULL && stream_writer_finish(w) < 0 && ret == 0) {
		snprintf(err, errlen, "writing: %s", strerror(errno));
		ret = -1;
	}
	for (size_t i = 0; i < n; i++) {
		stream_reader_free(t[i].r);
		if (t[i].in != NULL)
			fclose(t[i].in);
	}
	free(t);
	return ret;
}

int
cooctops_load(double *top, const struct interactions *ia,
    const struct coocpairs_meta *settings, FILE *in, const char *name,
    char *err, size_t errlen)
{
	struct stream_reader *r = stream_reader_open(in, name, err, errlen);
	struct id id;
	double v;
	int ret = r == NULL || stream_expect_kind(r, "cooc_tops", err,
	    errlen) < 0 ? -1 : 0;

	for (size_t p = 0; p < intern_count(ia->products); p++)
		top[p] = 0;
	if (ret == 0 && (stream_nfields(r) != NFIELDS ||
	    stream_header_get(r, "shards") == NULL)) {
		snprintf(err, errlen, "%s: not the tops of all shards "
		    "(aud-rank --max-tops)", stream_name(r));
		ret = -1;
	}
	if (ret == 0 && !coocpairs_same_params(stream_header_get(r, "params"),
	    settings)) {
		snprintf(err, errlen, "%s: tops of other settings (params) than "
		    "these", stream_name(r));
		ret = -1;
	}
	while (ret == 0 && (ret = next_top(r, &id, &v, err, errlen)) == 1) {
		uint32_t p = intern_find(ia->products, &id);

		if (p != UINT32_MAX)
			top[p] = v;
		ret = 0;
	}
	stream_reader_free(r);
	return ret;
}
