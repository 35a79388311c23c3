/* Streams of feature bounds; see boundstream.h. */
#include "boundstream.h"

#include <inttypes.h>
#include <msgpack.h>
#include <string.h>

#include "json.h"
#include "timeparse.h"
#include "banned.h"

static const char *const fields[] = {
	"customers", "max_time", "min_last", "max_last", "lo", "hi",
	"return_days"
};
static const char *const types[] = {
	"uint", "time", "time", "time", "floats", "floats", "days?"
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define NPARTS ENG_RECENCY	/* the parts with bounds of their own */

/* The parameters in words, each number in the shortest form that reads
   back as it, so that equal text is equal weights. */
static void
describe(char *buf, size_t len, const struct interactions *ia,
    const struct feature_params *p, const struct return_params *ret)
{
	char v[JSON_SHORTEST_LEN], h[JSON_SHORTEST_LEN], end[TIME_ISO_LEN];
	size_t at = 0;

	at += (size_t)snprintf(buf + at, len - at, "event weights:");
	for (size_t e = 0; e < ia->nevents && at < len; e++) {
		json_shortest(p->event_weight[e], v);
		at += (size_t)snprintf(buf + at, len - at, " %s=%s",
		    ia->event_names[e], v);
	}
	if (at < len)
		at += (size_t)snprintf(buf + at, len - at, "; score weights:");
	for (int k = 0; k < NENG && at < len; k++) {
		json_shortest(p->engagement_weight[k], v);
		at += (size_t)snprintf(buf + at, len - at, " %s=%s",
		    engagement_part_name[k], v);
	}
	if (at < len)
		at += (size_t)snprintf(buf + at, len - at, "; recent days: %" PRId64,
		    p->recent_days);
	if (ret == NULL || at >= len)
		return;
	json_shortest(ret->period_days, v);
	json_shortest(ret->horizon, h);
	snprintf(buf + at, len - at, "; return model: %s, periods of %s days, "
	    "calibration to %s, horizon %s, purchases: %s",
	    ret->kind == RETURN_MBGNBD ? "mbgnbd" : "bgnbd", v,
	    ret->calibration_end == INT64_MIN ? "the last row" :
	    time_format_iso(ret->calibration_end, end), h,
	    ret->event >= 0 ? ia->event_names[ret->event] : "every event");
}

int
bounds_of(struct bounds_file *bf, const struct features *f,
    const struct interactions *ia, const struct feature_params *p,
    const struct return_params *ret, char *err, size_t errlen)
{
	memset(bf, 0, sizeof(*bf));
	features_bounds(&bf->b, f);
	bf->nshards = ia->nshards;
	snprintf(bf->fingerprint[ia->nshards ? ia->shard : 0],
	    STREAM_FINGERPRINT_LEN, "%s", ia->fingerprint[0] ? ia->fingerprint :
	    "none");
	describe(bf->params, sizeof(bf->params), ia, p, ret);
	if (ret == NULL)
		return 0;
	bf->has_days = 1;
	return return_days_of(&bf->days, ia, ret, err, errlen);
}

void
bounds_free(struct bounds_file *bf)
{
	return_days_free(&bf->days);
	bf->has_days = 0;
}

/* The summaries as four arrays: first days, spans, laters, counts. */
static void
pack_days(msgpack_packer *pk, const struct return_days *d)
{
	msgpack_pack_array(pk, 4);
	msgpack_pack_array(pk, d->n);
	for (size_t i = 0; i < d->n; i++)
		msgpack_pack_int64(pk, d->first[i]);
	msgpack_pack_array(pk, d->n);
	for (size_t i = 0; i < d->n; i++)
		msgpack_pack_uint32(pk, d->span[i]);
	msgpack_pack_array(pk, d->n);
	for (size_t i = 0; i < d->n; i++)
		msgpack_pack_uint32(pk, d->later[i]);
	msgpack_pack_array(pk, d->n);
	for (size_t i = 0; i < d->n; i++)
		msgpack_pack_uint64(pk, d->count[i]);
}

static void
pack_floats(msgpack_packer *pk, const double *v)
{
	msgpack_pack_array(pk, NPARTS);
	for (int k = 0; k < NPARTS; k++)
		msgpack_pack_double(pk, v[k]);
}

int
bounds_write(FILE *out, const struct bounds_file *bf, const char *source)
{
	struct stream_writer *w = stream_writer_new(out);
	msgpack_packer *pk = stream_packer(w);
	size_t n = bf->nshards ? bf->nshards : 1;

	stream_write_header(w, "feature_bounds", NFIELDS, fields, types, 3);
	stream_pack_cstr(pk, "shards");
	msgpack_pack_map(pk, 2);
	stream_pack_kv_uint(pk, "count", bf->nshards);
	stream_pack_cstr(pk, "fingerprints");
	msgpack_pack_array(pk, n);
	for (size_t s = 0; s < n; s++)
		if (bf->fingerprint[s][0] != '\0')
			stream_pack_cstr(pk, bf->fingerprint[s]);
		else
			msgpack_pack_nil(pk);
	stream_pack_kv_str(pk, "params", bf->params);
	stream_pack_cstr(pk, "provenance");
	msgpack_pack_map(pk, 4);
	stream_pack_provenance(pk, "aud-features", source);
	stream_record_begin(w);
	msgpack_pack_uint64(pk, bf->b.customers);
	msgpack_pack_int64(pk, bf->b.max_time);
	msgpack_pack_int64(pk, bf->b.min_last);
	msgpack_pack_int64(pk, bf->b.max_last);
	pack_floats(pk, bf->b.lo);
	pack_floats(pk, bf->b.hi);
	if (bf->has_days)
		pack_days(pk, &bf->days);
	else
		msgpack_pack_nil(pk);
	return stream_writer_finish(w);
}

static int
damaged(char *err, size_t errlen, const char *name, const char *what)
{
	snprintf(err, errlen, "%s: not usable feature bounds: %s", name, what);
	return -1;
}

/* The header's shards and params into bf. */
static int
read_header(struct bounds_file *bf, const struct stream_reader *r,
    const char *name, char *err, size_t errlen)
{
	const msgpack_object *sh = stream_header_get(r, "shards");
	const msgpack_object *params = stream_header_get(r, "params");
	const msgpack_object *count = sh ? mp_map_get(sh, "count") : NULL;
	const msgpack_object *fp = sh ? mp_map_get(sh, "fingerprints") : NULL;

	if (count == NULL || count->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    count->via.u64 > SHARD_MAX || fp == NULL ||
	    fp->type != MSGPACK_OBJECT_ARRAY ||
	    fp->via.array.size != (count->via.u64 ? count->via.u64 : 1))
		return damaged(err, errlen, name, "no shard list");
	if (params == NULL || params->type != MSGPACK_OBJECT_STR ||
	    params->via.str.size >= BOUNDS_PARAMS_LEN)
		return damaged(err, errlen, name, "no parameters");
	bf->nshards = (uint32_t)count->via.u64;
	for (uint32_t s = 0; s < fp->via.array.size; s++) {
		const msgpack_object *o = &fp->via.array.ptr[s];

		if (o->type == MSGPACK_OBJECT_STR &&
		    o->via.str.size < STREAM_FINGERPRINT_LEN && o->via.str.size > 0)
			memcpy(bf->fingerprint[s], o->via.str.ptr, o->via.str.size);
		else if (o->type != MSGPACK_OBJECT_NIL)
			return damaged(err, errlen, name, "a bad fingerprint");
	}
	memcpy(bf->params, params->via.str.ptr, params->via.str.size);
	return 0;
}

static int
read_floats(const msgpack_object *o, double *v)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != NPARTS)
		return -1;
	for (int k = 0; k < NPARTS; k++) {
		const msgpack_object *x = &o->via.array.ptr[k];

		if (x->type != MSGPACK_OBJECT_FLOAT64 && x->type != MSGPACK_OBJECT_FLOAT32)
			return -1;
		v[k] = x->via.f64;
	}
	return 0;
}

/*
 * The summaries of o, four arrays of as many values, ascending with no
 * summary twice, into d. Returns 0, or -1.
 */
static int
read_days(const msgpack_object *o, struct return_days *d)
{
	const msgpack_object *a;
	size_t n;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4)
		return -1;
	a = o->via.array.ptr;
	n = a[0].via.array.size;
	for (int k = 0; k < 4; k++)
		if (a[k].type != MSGPACK_OBJECT_ARRAY || a[k].via.array.size != n)
			return -1;
	return_days_alloc(d, n);
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *sp = &a[1].via.array.ptr[i];
		const msgpack_object *la = &a[2].via.array.ptr[i];
		const msgpack_object *co = &a[3].via.array.ptr[i];

		if (mp_get_int64(&a[0].via.array.ptr[i], &d->first[i]) < 0 ||
		    sp->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    sp->via.u64 > UINT32_MAX ||
		    la->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    la->via.u64 > UINT32_MAX ||
		    co->type != MSGPACK_OBJECT_POSITIVE_INTEGER || co->via.u64 == 0)
			return -1;
		d->span[i] = (uint32_t)sp->via.u64;
		d->later[i] = (uint32_t)la->via.u64;
		d->count[i] = co->via.u64;
		d->n = i + 1;
		if (i > 0 && (d->first[i] < d->first[i - 1] ||
		    (d->first[i] == d->first[i - 1] && (d->span[i] < d->span[i - 1] ||
		    (d->span[i] == d->span[i - 1] && d->later[i] <= d->later[i - 1])))))
			return -1;
	}
	return 0;
}

int
bounds_read(struct bounds_file *bf, FILE *in, const char *name, char *err,
    size_t errlen)
{
	struct stream_reader *r = stream_reader_open(in, name, err, errlen);
	const msgpack_object *rec, *v;
	int ret = -1;

	memset(bf, 0, sizeof(*bf));
	if (r == NULL)
		return -1;
	if (stream_expect_kind(r, "feature_bounds", err, errlen) < 0 ||
	    read_header(bf, r, name, err, errlen) < 0)
		goto out;
	if (stream_nfields(r) != NFIELDS) {
		damaged(err, errlen, name, "records of another layout");
		goto out;
	}
	switch (stream_read(r, &rec, err, errlen)) {
	case 0:
		damaged(err, errlen, name, "no record");
		/* fall through */
	case -1:
		goto out;
	}
	v = rec->via.array.ptr;
	if (v[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    mp_get_int64(&v[1], &bf->b.max_time) < 0 ||
	    mp_get_int64(&v[2], &bf->b.min_last) < 0 ||
	    mp_get_int64(&v[3], &bf->b.max_last) < 0 ||
	    read_floats(&v[4], bf->b.lo) < 0 || read_floats(&v[5], bf->b.hi) < 0 ||
	    (v[6].type != MSGPACK_OBJECT_NIL && read_days(&v[6], &bf->days) < 0)) {
		damaged(err, errlen, name, "a malformed record");
		goto out;
	}
	bf->has_days = v[6].type != MSGPACK_OBJECT_NIL;
	bf->b.customers = v[0].via.u64;
	switch (stream_read(r, &rec, err, errlen)) {
	case 1:
		damaged(err, errlen, name, "more than one record");
		/* fall through */
	case -1:
		goto out;
	}
	ret = 0;
out:
	stream_reader_free(r);
	if (ret < 0)
		bounds_free(bf);
	return ret;
}

int
bounds_combine(struct bounds_file *into, const struct bounds_file *b,
    const char *name, char *err, size_t errlen)
{
	size_t n = b->nshards ? b->nshards : 1;
	int first = into->params[0] == '\0';

	if (first) {
		into->nshards = b->nshards;
		memcpy(into->params, b->params, sizeof(into->params));
	}
	if (strcmp(into->params, b->params) != 0) {
		snprintf(err, errlen, "%s: computed with other feature parameters "
		    "(%s) than the bounds before it (%s)", name, b->params,
		    into->params);
		return -1;
	}
	if (b->nshards != into->nshards) {
		snprintf(err, errlen, "%s: bounds of %u shards, the bounds before "
		    "it of %u", name, b->nshards, into->nshards);
		return -1;
	}
	for (size_t s = 0; s < n; s++) {
		if (b->fingerprint[s][0] == '\0')
			continue;
		if (into->fingerprint[s][0] != '\0') {
			snprintf(err, errlen, "%s: shard %zu is given twice", name, s);
			return -1;
		}
		memcpy(into->fingerprint[s], b->fingerprint[s],
		    STREAM_FINGERPRINT_LEN);
	}
	if (!first && b->has_days != into->has_days) {
		snprintf(err, errlen, "%s: %s return model summaries, the bounds "
		    "before it %s", name, b->has_days ? "with" : "without",
		    into->has_days ? "with them" : "without");
		return -1;
	}
	feature_bounds_combine(&into->b, &b->b);
	if (b->has_days)
		return_days_add(&into->days, &b->days);
	into->has_days = b->has_days;
	return 0;
}

int
bounds_check(const struct bounds_file *bf, const char *name,
    const struct interactions *ia, const struct feature_params *p,
    const struct return_params *ret, char *err, size_t errlen)
{
	char params[BOUNDS_PARAMS_LEN];
	size_t n = bf->nshards ? bf->nshards : 1;
	const char *fp = bf->fingerprint[ia->nshards ? ia->shard : 0];

	describe(params, sizeof(params), ia, p, ret);
	if (strcmp(params, bf->params) != 0) {
		snprintf(err, errlen, "%s: bounds of other feature parameters (%s) "
		    "than these (%s)", name, bf->params, params);
		return -1;
	}
	if (bf->nshards != ia->nshards && ia->nshards == 0) {
		snprintf(err, errlen, "%s: bounds of %u shards, the interactions "
		    "are not a shard", name, bf->nshards);
		return -1;
	}
	if (bf->nshards != ia->nshards) {
		snprintf(err, errlen, "%s: bounds of %u shards, the interactions "
		    "are shard %u of %u", name, bf->nshards, ia->shard, ia->nshards);
		return -1;
	}
	for (size_t s = 0; s < n; s++)
		if (bf->fingerprint[s][0] == '\0') {
			snprintf(err, errlen, "%s: no bounds of shard %zu: combine "
			    "every shard's", name, s);
			return -1;
		}
	if (strcmp(fp, ia->fingerprint[0] ? ia->fingerprint : "none") != 0) {
		snprintf(err, errlen, "%s: bounds of other interactions (%s) than "
		    "these (%s)", name, fp, ia->fingerprint[0] ? ia->fingerprint :
		    "none");
		return -1;
	}
	if ((ret != NULL) != bf->has_days)
		return damaged(err, errlen, name, ret != NULL ? "no return "
		    "model summaries" : "return model summaries no one asked for");
	return 0;
}
