/* The header of an interactions stream aud-prepare wrote; see prepared.h. */
#include "prepared.h"

#include <stdio.h>
#include <string.h>

#include "stream.h"
#include "banned.h"

#define MAX_EVENTS 255

static int
get_count(const msgpack_object *map, const char *key, uint64_t *v)
{
	const msgpack_object *o = map != NULL ? mp_map_get(map, key) : NULL;
	int64_t x;

	if (o == NULL || mp_get_int64(o, &x) < 0 || x < 0)
		return -1;
	*v = (uint64_t)x;
	return 0;
}

static int
get_counts(const msgpack_object *prov, struct prep_counts *c)
{
	static const char *const dropped[PREP_NCAUSES] = { "missing_customer",
	    "missing_product", "missing_event", "bad_time" };
	const msgpack_object *d = mp_map_get(prov, "dropped");

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < PREP_NCAUSES; i++)
		if (get_count(d, dropped[i], &c->dropped[i]) < 0)
			return -1;
	return get_count(prov, "rows_read", &c->rows_read) < 0 ||
	    get_count(prov, "rows_filtered", &c->filtered) < 0 ||
	    get_count(d, "duplicates", &c->duplicates) < 0 ||
	    get_count(d, "bot_rows", &c->bot_rows) < 0 ||
	    get_count(prov, "bot_customers", &c->bot_customers) < 0 ||
	    get_count(prov, "rows_written", &c->written) < 0 ||
	    get_count(prov, "customers_written", &c->customers) < 0 ||
	    get_count(prov, "products_written", &c->products) < 0 ? -1 : 0;
}

static int
strings(const msgpack_object *o)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size > MAX_EVENTS)
		return 0;
	for (size_t i = 0; i < o->via.array.size; i++)
		if (o->via.array.ptr[i].type != MSGPACK_OBJECT_STR)
			return 0;
	return 1;
}

static int
string_or_nil(const msgpack_object *o)
{
	/* Labels are kept as C strings: one with a NUL byte would be cut
	   short. aud-prepare never writes one (its CSV reader refuses them). */
	return (o->type == MSGPACK_OBJECT_STR &&
	    memchr(o->via.str.ptr, 0, o->via.str.size) == NULL) ||
	    o->type == MSGPACK_OBJECT_NIL;
}

static int
bot_lists_ok(const struct prepared *h)
{
	struct id id;

	if (h->bot_ids->type != MSGPACK_OBJECT_ARRAY ||
	    h->bot_labels->type != MSGPACK_OBJECT_ARRAY)
		return 0;
	for (size_t i = 0; i < h->bot_ids->via.array.size; i++)
		if (stream_get_id(&h->bot_ids->via.array.ptr[i], &id) < 0)
			return 0;
	for (size_t i = 0; i < h->bot_labels->via.array.size; i++) {
		const msgpack_object *e = &h->bot_labels->via.array.ptr[i];

		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 3 ||
		    stream_get_id(&e->via.array.ptr[0], &id) < 0 ||
		    !string_or_nil(&e->via.array.ptr[1]) ||
		    !string_or_nil(&e->via.array.ptr[2]))
			return 0;
	}
	return 1;
}

static const msgpack_object *
string_or_null(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_STR ? o : NULL;
}

void
prepared_bot_label(const struct prepared *h, size_t i, struct id *product,
    const msgpack_object **name, const msgpack_object **category)
{
	const msgpack_object *e = h->bot_labels->via.array.ptr[i].via.array.ptr;

	stream_get_id(&e[0], product);
	*name = string_or_null(&e[1]);
	*category = string_or_null(&e[2]);
}

const char *
prepared_record(const struct prepared *h, const msgpack_object *rec,
    int64_t previous, struct prepared_record *r)
{
	const msgpack_object *v = rec->via.array.ptr;

	if (stream_get_id(&v[0], &r->customer) < 0 ||
	    stream_get_id(&v[1], &r->product) < 0 ||
	    v[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    v[2].via.u64 >= h->events->via.array.size ||
	    mp_get_int64(&v[3], &r->time) < 0 || !string_or_nil(&v[4]) ||
	    (h->has_category && !string_or_nil(&v[5])))
		return "not an interactions record";
	if (r->time < previous)
		return "out of time order";
	r->event = (uint8_t)v[2].via.u64;
	r->label[0] = string_or_null(&v[4]);
	r->label[1] = h->has_category ? string_or_null(&v[5]) : NULL;
	return NULL;
}

int
prepared_header(const struct stream_reader *r, struct prepared *h, char *err,
    size_t errlen)
{
	static const char *const want[] = { "customer_id", "product_id", "event",
	    "time", "product_name", "category" };
	const char *name = stream_name(r);
	const msgpack_object *prov = stream_header_get(r, "provenance");
	const msgpack_object *dicts = stream_header_get(r, "dicts");
	const msgpack_object *shard = prov ? mp_map_get(prov, "shard") : NULL;
	size_t nf = stream_nfields(r);
	uint64_t index, count;

	memset(h, 0, sizeof(*h));
	if (stream_expect_kind(r, "interactions", err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < nf; i++)
		if (nf < 5 || nf > 6 || strcmp(stream_field(r, i), want[i]) != 0) {
			snprintf(err, errlen, "%s: not a stream of aud-prepare "
			    "(field %s)", name, stream_field(r, i));
			return -1;
		}
	h->has_category = nf == 6;
	if (prov == NULL || get_counts(prov, &h->counts) < 0 ||
	    get_count(prov, "bot_threshold", &h->bot_threshold) < 0) {
		snprintf(err, errlen, "%s: the provenance lacks aud-prepare's "
		    "counts", name);
		return -1;
	}
	h->bot_ids = mp_map_get(prov, "bot_customer_ids");
	h->bot_labels = mp_map_get(prov, "bot_product_labels");
	if (h->bot_ids == NULL || h->bot_labels == NULL) {
		snprintf(err, errlen, "%s: written by an older aud-prepare, "
		    "without its bots: prepare it again", name);
		return -1;
	}
	if (!bot_lists_ok(h)) {
		snprintf(err, errlen, "%s: malformed bot lists", name);
		return -1;
	}
	h->events = dicts != NULL ? mp_map_get(dicts, "event") : NULL;
	if (!strings(h->events)) {
		snprintf(err, errlen, "%s: no event dictionary", name);
		return -1;
	}
	if (shard != NULL) {
		if (get_count(shard, "index", &index) < 0 ||
		    get_count(shard, "count", &count) < 0 || index >= count ||
		    count > UINT32_MAX) {
			snprintf(err, errlen, "%s: a malformed shard", name);
			return -1;
		}
		h->shard[0] = (uint32_t)index;
		h->shard[1] = (uint32_t)count;
	}
	return 0;
}
