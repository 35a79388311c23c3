/* Loading an interactions stream into memory; see interactions.h. */
#include "interactions.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "xalloc.h"
#include "banned.h"

enum { F_CUSTOMER, F_PRODUCT, F_EVENT, F_TIME, F_NAME, NFIELDS };

static const char *const field_names[NFIELDS] = {
	"customer_id", "product_id", "event", "time", "product_name"
};

static int
load_header(struct interactions *ia, const struct stream_reader *r, int *col,
    char *err, size_t errlen)
{
	const msgpack_object *dicts = stream_header_get(r, "dicts");
	const msgpack_object *events = dicts ? mp_map_get(dicts, "event") : NULL;
	const msgpack_object *prov = stream_header_get(r, "provenance");
	const msgpack_object *src = prov ? mp_map_get(prov, "source") : NULL;

	if (stream_expect_kind(r, "interactions", err, errlen) < 0)
		return -1;
	for (int f = 0; f < NFIELDS; f++)
		if ((col[f] = stream_field_index(r, field_names[f])) < 0 &&
		    f != F_NAME) {
			snprintf(err, errlen, "%s: the interactions stream has no "
			    "field \"%s\"", stream_name(r), field_names[f]);
			return -1;
		}
	if (events == NULL || events->type != MSGPACK_OBJECT_ARRAY ||
	    events->via.array.size > 256) {
		snprintf(err, errlen, "%s: the interactions stream has no event "
		    "dictionary", stream_name(r));
		return -1;
	}
	ia->nevents = events->via.array.size;
	ia->event_names = xcalloc(ia->nevents ? ia->nevents : 1, sizeof(char *));
	for (size_t i = 0; i < ia->nevents; i++) {
		const msgpack_object *e = &events->via.array.ptr[i];

		if (e->type != MSGPACK_OBJECT_STR) {
			snprintf(err, errlen, "%s: an event name in the header is "
			    "not a string", stream_name(r));
			return -1;
		}
		ia->event_names[i] = xstrndup(e->via.str.ptr, e->via.str.size);
	}
	if (src != NULL && src->type == MSGPACK_OBJECT_STR)
		ia->source = xstrndup(src->via.str.ptr, src->via.str.size);
	return 0;
}

static int
bad_record(const struct stream_reader *r, char *err, size_t errlen,
    const char *what)
{
	snprintf(err, errlen, "%s: byte %llu: %s", stream_name(r),
	    (unsigned long long)stream_offset(r), what);
	return -1;
}

/* Checks and keeps one record. */
static int
add_record(struct interactions *ia, size_t *cap, size_t *names_cap,
    const struct stream_reader *r, const int *col, const msgpack_object *rec,
    char *err, size_t errlen)
{
	const msgpack_object *v = rec->via.array.ptr;
	struct id customer, product;
	const msgpack_object *ev = &v[col[F_EVENT]], *t = &v[col[F_TIME]];
	uint32_t c, p;
	int added;

	if (stream_get_id(&v[col[F_CUSTOMER]], &customer) < 0 ||
	    stream_get_id(&v[col[F_PRODUCT]], &product) < 0)
		return bad_record(r, err, errlen, "an id is neither an integer nor a string");
	if (ev->type != MSGPACK_OBJECT_POSITIVE_INTEGER || ev->via.u64 >= ia->nevents)
		return bad_record(r, err, errlen, "an event outside the dictionary");
	if (t->type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    t->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return bad_record(r, err, errlen, "a time that is not an integer");
	if (ia->n > 0 && t->via.i64 < ia->time[ia->n - 1])
		return bad_record(r, err, errlen, "records out of time order");
	if (ia->n == UINT32_MAX)
		return bad_record(r, err, errlen, "more than 4294967295 records");
	c = intern_add(ia->customers, &customer, NULL);
	p = intern_add(ia->products, &product, &added);
	if (c == UINT32_MAX || p == UINT32_MAX)
		return bad_record(r, err, errlen, "more than 4 billion distinct ids");
	if (added) {
		ia->product_name = xgrow(ia->product_name, names_cap, (size_t)p + 1,
		    sizeof(*ia->product_name));
		ia->product_name[p] = NULL;
	}
	if (col[F_NAME] >= 0 && v[col[F_NAME]].type == MSGPACK_OBJECT_STR &&
	    ia->product_name[p] == NULL)
		ia->product_name[p] = xstrndup(v[col[F_NAME]].via.str.ptr,
		    v[col[F_NAME]].via.str.size);
	if (ia->n == *cap) {
		size_t newcap = *cap;

		ia->time = xgrow(ia->time, &newcap, ia->n + 1, sizeof(*ia->time));
		ia->customer = xrealloc(ia->customer, newcap * sizeof(*ia->customer));
		ia->product = xrealloc(ia->product, newcap * sizeof(*ia->product));
		ia->event = xrealloc(ia->event, newcap);
		*cap = newcap;
	}
	ia->customer[ia->n] = c;
	ia->product[ia->n] = p;
	ia->event[ia->n] = (uint8_t)ev->via.u64;
	ia->time[ia->n] = t->via.i64;
	ia->n++;
	return 0;
}

int
interactions_load(struct interactions *ia, FILE *in, const char *name,
    char *err, size_t errlen)
{
	struct stream_reader *r;
	const msgpack_object *rec;
	size_t cap = 0, names_cap = 0;
	int col[NFIELDS], ret;

	memset(ia, 0, sizeof(*ia));
	ia->customers = intern_new();
	ia->products = intern_new();
	if ((r = stream_reader_open(in, name, err, errlen)) == NULL)
		return -1;
	if (load_header(ia, r, col, err, errlen) < 0) {
		stream_reader_free(r);
		return -1;
	}
	while ((ret = stream_read(r, &rec, err, errlen)) == 1)
		if (add_record(ia, &cap, &names_cap, r, col, rec, err, errlen) < 0) {
			ret = -1;
			break;
		}
	stream_reader_free(r);
	return ret;
}

void
interactions_free(struct interactions *ia)
{
	size_t np = ia->products ? intern_count(ia->products) : 0;

	free(ia->customer);
	free(ia->product);
	free(ia->event);
	free(ia->time);
	for (size_t i = 0; i < ia->nevents; i++)
		free(ia->event_names[i]);
	free(ia->event_names);
	for (size_t i = 0; i < np && ia->product_name; i++)
		free(ia->product_name[i]);
	free(ia->product_name);
	free(ia->source);
	intern_free(ia->customers);
	intern_free(ia->products);
	memset(ia, 0, sizeof(*ia));
}

int
interactions_event(const struct interactions *ia, const char *name)
{
	for (size_t i = 0; i < ia->nevents; i++)
		if (strcmp(ia->event_names[i], name) == 0)
			return (int)i;
	return -1;
}
