/* Loading an interactions stream into memory; see interactions.h. */
#include "interactions.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"
#include "shard.h"
#include "stream.h"
#include "xalloc.h"
#include "banned.h"

enum { F_CUSTOMER, F_PRODUCT, F_EVENT, F_TIME, F_NAME, F_CATEGORY, NFIELDS };

static const char *const field_names[NFIELDS] = {
	"customer_id", "product_id", "event", "time", "product_name", "category"
};

/* Which shard of how many a stream is: {"index": i, "count": n}. */
static int
shard_header(struct interactions *ia, const msgpack_object *shard)
{
	const msgpack_object *i = mp_map_get(shard, "index");
	const msgpack_object *n = mp_map_get(shard, "count");

	if (i == NULL || n == NULL || i->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    n->type != MSGPACK_OBJECT_POSITIVE_INTEGER || n->via.u64 == 0 ||
	    n->via.u64 > SHARD_MAX || i->via.u64 >= n->via.u64)
		return -1;
	ia->shard = (uint32_t)i->via.u64;
	ia->nshards = (uint32_t)n->via.u64;
	return 0;
}

static int
load_header(struct interactions *ia, const struct stream_reader *r, int *col,
    char *err, size_t errlen)
{
	const msgpack_object *dicts = stream_header_get(r, "dicts");
	const msgpack_object *events = dicts ? mp_map_get(dicts, "event") : NULL;
	const msgpack_object *prov = stream_header_get(r, "provenance");
	const msgpack_object *src = prov ? mp_map_get(prov, "source") : NULL;
	const msgpack_object *shard = prov ? mp_map_get(prov, "shard") : NULL;

	if (stream_expect_kind(r, "interactions", err, errlen) < 0)
		return -1;
	if (shard != NULL && shard_header(ia, shard) < 0) {
		snprintf(err, errlen, "%s: the interactions stream's shard is "
		    "not an index below a count of 1 to %d", stream_name(r),
		    SHARD_MAX);
		return -1;
	}
	for (int f = 0; f < NFIELDS; f++)
		if ((col[f] = stream_field_index(r, field_names[f])) < 0 &&
		    f != F_NAME && f != F_CATEGORY) {
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

/*
 * Records are read in batches, in two threads: a reader thread decodes the
 * stream, checks each record and copies it out of the reader (which owns it
 * only until the next read) into a batch, and interns its products; the
 * caller's thread interns its customers and stores the rows. Each table
 * thus has one writer, and the two halves of the work run side by side.
 */
#define BATCH 1024

struct pending {
	size_t customer_at, product_at, name_at, category_at;	/* offsets
							   into bytes */
	uint32_t name_len, category_len;
	int has_name, has_category;
	uint8_t event;
	int64_t time;
};

struct batch {
	struct pending row[BATCH];
	struct id customer[BATCH], product[BATCH];	/* ids, by row */
	uint32_t customer_ix[BATCH], product_ix[BATCH];
	size_t n;
	char *bytes;			/* string ids and names of the batch */
	size_t len, cap;
	int last;			/* no batch follows */
	int status;			/* with last: 0, or -1 for an error */
};

/* The reader thread's state. */
struct loader {
	struct interactions *ia;	/* its products and names are the
					   thread's until it is joined */
	size_t names_cap, categories_cap;
	struct stream_reader *r;
	size_t nevents;
	int col[NFIELDS];
	struct batch batch[HANDOFF_SLOTS];
	struct handoff ring;
	int64_t last_time;		/* of the last record taken */
	uint64_t taken;
	char err[512];
};

static size_t
keep_bytes(struct batch *b, const char *p, size_t n)
{
	size_t at = b->len;

	b->bytes = xgrow(b->bytes, &b->cap, b->len + n + 1, 1);
	memcpy(b->bytes + at, p, n);
	b->len += n;
	return at;
}

static int
bad_record(const struct stream_reader *r, char *err, size_t errlen,
    const char *what)
{
	snprintf(err, errlen, "%s: byte %llu: %s", stream_name(r),
	    (unsigned long long)stream_offset(r), what);
	return -1;
}

/* Checks one record and copies it into the batch. */
static int
take_record(struct loader *l, struct batch *b, const msgpack_object *rec)
{
	const struct stream_reader *r = l->r;
	const int *col = l->col;
	char *err = l->err;
	size_t errlen = sizeof(l->err);
	const msgpack_object *v = rec->via.array.ptr;
	const msgpack_object *ev = &v[col[F_EVENT]], *t = &v[col[F_TIME]];
	struct pending *p = &b->row[b->n];

	struct id *customer = &b->customer[b->n], *product = &b->product[b->n];

	if (stream_get_id(&v[col[F_CUSTOMER]], customer) < 0 ||
	    stream_get_id(&v[col[F_PRODUCT]], product) < 0)
		return bad_record(r, err, errlen, "an id is neither an integer nor a string");
	if (ev->type != MSGPACK_OBJECT_POSITIVE_INTEGER || ev->via.u64 >= l->nevents)
		return bad_record(r, err, errlen, "an event outside the dictionary");
	if (t->type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    t->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return bad_record(r, err, errlen, "a time that is not an integer");
	if (t->via.i64 < l->last_time)
		return bad_record(r, err, errlen, "records out of time order");
	if (l->taken++ >= UINT32_MAX - 1)
		return bad_record(r, err, errlen, "more than 4294967294 records");
	l->last_time = t->via.i64;
	if (customer->is_str)
		p->customer_at = keep_bytes(b, customer->str, customer->len);
	if (product->is_str)
		p->product_at = keep_bytes(b, product->str, product->len);
	p->has_name = col[F_NAME] >= 0 && v[col[F_NAME]].type == MSGPACK_OBJECT_STR;
	if (p->has_name) {
		p->name_len = v[col[F_NAME]].via.str.size;
		p->name_at = keep_bytes(b, v[col[F_NAME]].via.str.ptr, p->name_len);
	}
	p->has_category = col[F_CATEGORY] >= 0 &&
	    v[col[F_CATEGORY]].type == MSGPACK_OBJECT_STR &&
	    v[col[F_CATEGORY]].via.str.size > 0;
	if (p->has_category) {
		p->category_len = v[col[F_CATEGORY]].via.str.size;
		p->category_at = keep_bytes(b, v[col[F_CATEGORY]].via.str.ptr,
		    p->category_len);
	}
	p->event = (uint8_t)ev->via.u64;
	p->time = t->via.i64;
	b->n++;
	return 0;
}

/* Points the batch's string ids at their copies, now that bytes is final. */
static void
settle_ids(struct batch *b, struct id *ids, int products)
{
	for (size_t i = 0; i < b->n; i++)
		if (ids[i].is_str)
			ids[i].str = b->bytes + (products ? b->row[i].product_at :
			    b->row[i].customer_at);
}

/* The reader thread's share of a batch: its products, and their names. */
static int
intern_products(struct loader *l, struct batch *b)
{
	struct interactions *ia = l->ia;
	uint8_t added[BATCH];

	settle_ids(b, b->product, 1);
	if (intern_add_many(ia->products, b->product, b->n, b->product_ix,
	    added) < b->n) {
		snprintf(l->err, sizeof(l->err), "%s: more than 4 billion "
		    "distinct products", stream_name(l->r));
		return -1;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct pending *p = &b->row[i];
		uint32_t q = b->product_ix[i];

		if (added[i]) {
			ia->name_at = xgrow(ia->name_at, &l->names_cap, (size_t)q + 1,
			    sizeof(*ia->name_at));
			ia->name_at[q] = 0;
		}
		if (added[i] && ia->categories != NULL) {
			ia->category_of = xgrow(ia->category_of,
			    &l->categories_cap, (size_t)q + 1,
			    sizeof(*ia->category_of));
			ia->category_of[q] = INTERACTIONS_NO_CATEGORY;
		}
		if (p->has_category &&
		    ia->category_of[q] == INTERACTIONS_NO_CATEGORY) {
			struct id c = { .is_str = 1, .str = b->bytes +
			    p->category_at, .len = p->category_len };

			ia->category_of[q] = intern_add(ia->categories, &c, NULL);
		}
		if (p->has_name && ia->name_at[q] == 0) {
			ia->names = xgrow(ia->names, &ia->names_cap,
			    ia->names_len + p->name_len + 1, 1);
			memcpy(ia->names + ia->names_len, b->bytes + p->name_at,
			    p->name_len);
			ia->names[ia->names_len + p->name_len] = '\0';
			ia->name_at[q] = ia->names_len + 1;
			ia->names_len += p->name_len + 1;
		}
	}
	return 0;
}

/* The caller's thread's share: interns the customers, stores the rows. */
static int
flush_batch(struct interactions *ia, struct batch *b, size_t *cap,
    const char *name, char *err, size_t errlen)
{
	settle_ids(b, b->customer, 0);
	if (intern_add_many(ia->customers, b->customer, b->n, b->customer_ix,
	    NULL) < b->n) {
		snprintf(err, errlen, "%s: more than 4 billion distinct customers",
		    name);
		return -1;
	}
	if (ia->n + b->n > *cap) {
		size_t newcap = *cap;

		ia->time = xgrow(ia->time, &newcap, ia->n + b->n, sizeof(*ia->time));
		ia->customer = xrealloc(ia->customer, newcap * sizeof(*ia->customer));
		ia->product = xrealloc(ia->product, newcap * sizeof(*ia->product));
		ia->event = xrealloc(ia->event, newcap);
		*cap = newcap;
	}
	for (size_t i = 0; i < b->n; i++, ia->n++) {
		ia->customer[ia->n] = b->customer_ix[i];
		ia->product[ia->n] = b->product_ix[i];
		ia->event[ia->n] = b->row[i].event;
		ia->time[ia->n] = b->row[i].time;
	}
	return 0;
}

/*
 * A count of the stream's provenance (rows_written, customers_written,
 * products_written), to size arrays and tables once; 0 when absent. A
 * corrupt header cannot make it more than the input can hold; arrays still
 * grow past it if need be.
 */
static size_t
expected(const struct stream_reader *r, const char *key)
{
	const msgpack_object *prov = stream_header_get(r, "provenance");
	const msgpack_object *n = prov ? mp_map_get(prov, key) : NULL;
	uint64_t bound = stream_records_left_bound(r);

	if (n == NULL || n->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    n->via.u64 >= UINT32_MAX)
		return 0;
	return (size_t)(n->via.u64 < bound ? n->via.u64 : bound);
}

/* The reader thread: decodes the stream into batches until its end. */
static void *
read_records(void *arg)
{
	struct loader *l = arg;
	const msgpack_object *rec;
	int i = 0, ret;

	for (;;) {
		struct batch *b = &l->batch[i];

		b->n = b->len = 0;
		while (b->n < BATCH && (ret = stream_read(l->r, &rec, l->err,
		    sizeof(l->err))) == 1)
			if (take_record(l, b, rec) < 0) {
				ret = -1;
				break;
			}
		if (ret >= 0 && intern_products(l, b) < 0)
			ret = -1, b->n = 0;
		b->last = b->n < BATCH || ret < 0;
		b->status = b->last && ret < 0 ? -1 : 0;
		handoff_publish(&l->ring, i);
		i = (i + 1) % HANDOFF_SLOTS;
		if (b->last || handoff_claim(&l->ring, i) < 0)
			return NULL;
	}
}

int
interactions_load(struct interactions *ia, FILE *in, const char *name,
    int with_names, char *err, size_t errlen)
{
	struct loader *l = xcalloc(1, sizeof(*l));
	size_t cap = 0;
	pthread_t thread;
	int ret = 0, i = 0, last = 0, started = 0;

	memset(ia, 0, sizeof(*ia));
	ia->customers = intern_new();
	ia->products = intern_new();
	if ((l->r = stream_reader_open(in, name, err, errlen)) == NULL ||
	    load_header(ia, l->r, l->col, err, errlen) < 0) {
		stream_reader_free(l->r);
		free(l);
		return -1;
	}
	if (!with_names)
		l->col[F_NAME] = l->col[F_CATEGORY] = -1;
	if (l->col[F_CATEGORY] >= 0)
		ia->categories = intern_new();
	l->nevents = ia->nevents;
	l->ia = ia;
	l->last_time = INT64_MIN;
	if ((cap = expected(l->r, "rows_written")) > 0) {
		ia->time = xmalloc(cap * sizeof(*ia->time));
		ia->customer = xmalloc(cap * sizeof(*ia->customer));
		ia->product = xmalloc(cap * sizeof(*ia->product));
		ia->event = xmalloc(cap);
	}
	intern_reserve(ia->customers, expected(l->r, "customers_written"));
	intern_reserve(ia->products, expected(l->r, "products_written"));
	/* Grown by doubling, these were copied over and over: sized once. */
	ia->name_at = xgrow(NULL, &l->names_cap, expected(l->r,
	    "products_written") + 1, sizeof(*ia->name_at));
	handoff_init(&l->ring);
	if ((errno = pthread_create(&thread, NULL, read_records, l)) != 0) {
		snprintf(err, errlen, "%s: cannot start a thread: %s", name,
		    strerror(errno));
		ret = -1;
		last = 1;
	} else
		started = 1;
	while (!last) {
		struct batch *b = &l->batch[i];

		handoff_take(&l->ring, i);
		last = b->last;
		if (ret == 0 && b->status < 0) {
			snprintf(err, errlen, "%s", l->err);
			ret = -1;
		}
		if (ret == 0 && flush_batch(ia, b, &cap, stream_name(l->r), err,
		    errlen) < 0)
			ret = -1;
		handoff_release(&l->ring, i, ret < 0);
		i = (i + 1) % HANDOFF_SLOTS;
		if (ret < 0)
			break;
	}
	if (started)
		pthread_join(thread, NULL);
	if (ret == 0 && stream_fingerprint(l->r) != NULL)
		snprintf(ia->fingerprint, sizeof(ia->fingerprint), "%s",
		    stream_fingerprint(l->r));
	for (int k = 0; k < HANDOFF_SLOTS; k++)
		free(l->batch[k].bytes);
	handoff_destroy(&l->ring);
	stream_reader_free(l->r);
	free(l);
	intern_freeze(ia->customers);
	intern_freeze(ia->products);
	if (ia->categories != NULL)
		intern_freeze(ia->categories);
	return ret;
}

void
interactions_free_rows(struct interactions *ia)
{
	free(ia->customer);
	free(ia->product);
	free(ia->event);
	free(ia->time);
	ia->customer = ia->product = NULL;
	ia->event = NULL;
	ia->time = NULL;
	ia->n = 0;
}

void
interactions_free(struct interactions *ia)
{
	interactions_free_rows(ia);
	for (size_t i = 0; i < ia->nevents; i++)
		free(ia->event_names[i]);
	free(ia->event_names);
	free(ia->name_at);
	free(ia->names);
	free(ia->category_of);
	if (ia->categories != NULL)
		intern_free(ia->categories);
	free(ia->source);
	intern_free(ia->customers);
	intern_free(ia->products);
	memset(ia, 0, sizeof(*ia));
}

uint32_t
interactions_add_product(struct interactions *ia, const struct id *id)
{
	size_t before = intern_count(ia->products);
	uint32_t p;
	int added;

	if (!ia->products_indexed) {
		intern_reindex(ia->products);
		ia->products_indexed = 1;
		ia->products_cap = before + 1;	/* at least */
	}
	if ((p = intern_add(ia->products, id, &added)) == UINT32_MAX || !added)
		return p;
	if (before + 1 >= ia->products_cap) {	/* doubled: millions may come */
		ia->products_cap = 2 * (before + 1);
		ia->name_at = xrealloc(ia->name_at, ia->products_cap *
		    sizeof(*ia->name_at));
		if (ia->categories != NULL)
			ia->category_of = xrealloc(ia->category_of,
			    ia->products_cap * sizeof(*ia->category_of));
	}
	ia->name_at[p] = 0;
	if (ia->categories != NULL)
		ia->category_of[p] = INTERACTIONS_NO_CATEGORY;
	return p;
}

const char *
interactions_product_name(const struct interactions *ia, size_t p)
{
	return ia->name_at[p] ? ia->names + ia->name_at[p] - 1 : NULL;
}

uint32_t
interactions_find_customer(struct interactions *ia, const struct id *id)
{
	if (!ia->customers_indexed) {	/* frozen by the load */
		intern_reindex(ia->customers);
		ia->customers_indexed = 1;
	}
	return intern_find(ia->customers, id);
}

uint32_t
interactions_set_category(struct interactions *ia, size_t p,
    const struct id *label)
{
	uint32_t c;

	if (ia->categories == NULL)
		return INTERACTIONS_NO_CATEGORY;
	if (ia->category_of[p] == INTERACTIONS_NO_CATEGORY) {
		if (!ia->categories_indexed) {	/* frozen by the load */
			intern_reindex(ia->categories);
			ia->categories_indexed = 1;
		}
		if ((c = intern_add(ia->categories, label, NULL)) == UINT32_MAX)
			return INTERACTIONS_NO_CATEGORY;
		ia->category_of[p] = c;
	}
	return ia->category_of[p];
}

uint32_t
interactions_category(const struct interactions *ia, size_t p)
{
	return ia->categories != NULL ? ia->category_of[p] :
	    INTERACTIONS_NO_CATEGORY;
}

size_t
interactions_ncategories(const struct interactions *ia)
{
	return ia->categories != NULL ? intern_count(ia->categories) : 0;
}

int
interactions_event(const struct interactions *ia, const char *name)
{
	for (size_t i = 0; i < ia->nevents; i++)
		if (strcmp(ia->event_names[i], name) == 0)
			return (int)i;
	return -1;
}
