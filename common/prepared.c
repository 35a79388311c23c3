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
	if (h->bot_ids == NULL || h->bot_ids->type != MSGPACK_OBJECT_ARRAY ||
	    h->bot_labels == NULL || h->bot_labels->type != MSGPACK_OBJECT_ARRAY) {
		snprintf(err, errlen, "%s: written by an older aud-prepare, "
		    "without its bots: prepare it again", name);
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
