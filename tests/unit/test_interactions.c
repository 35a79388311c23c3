/*
 * Unit tests of common/interactions.c: a stream loads into columns with its
 * ids interned in order, and records that break the kind's rules (time
 * order, the event dictionary, id types) are errors with their byte offset.
 */
#include <stdlib.h>
#include <string.h>

#include "interactions.h"
#include "stream.h"
#include "tap.h"

static const char *const fields[] = {
	"customer_id", "product_id", "event", "time", "product_name"
};
static const char *const types[] = { "id", "id", "enum", "time", "str?" };

/*
 * An interactions stream of n records: customer i % 7 (every third one a
 * string id), product i % 5, event e[i], time t[i], a name on record 0.
 */
static size_t
make(char **buf, int n, const int *e, const int64_t *t, int bad_id_at)
{
	size_t len = 0;
	FILE *mem = open_memstream(buf, &len);
	struct stream_writer *w = stream_writer_new(mem);
	msgpack_packer *pk = stream_packer(w);

	stream_write_header(w, "interactions", 5, fields, types, 1);
	stream_pack_cstr(pk, "dicts");
	msgpack_pack_map(pk, 1);
	stream_pack_cstr(pk, "event");
	msgpack_pack_array(pk, 2);
	stream_pack_cstr(pk, "cart");
	stream_pack_cstr(pk, "purchased");
	for (int i = 0; i < n; i++) {
		char id[16];

		stream_record_begin(w);
		if (i == bad_id_at)
			msgpack_pack_double(pk, 1.5);
		else if (i % 7 % 3 == 0) {
			snprintf(id, sizeof(id), "c%d", i % 7);
			stream_pack_cstr(pk, id);
		} else
			msgpack_pack_int64(pk, i % 7);
		msgpack_pack_int64(pk, 100 + i % 5);
		msgpack_pack_uint8(pk, (uint8_t)e[i]);
		msgpack_pack_int64(pk, t[i]);
		if (i == 0)
			stream_pack_cstr(pk, "first name");
		else
			msgpack_pack_nil(pk);
	}
	stream_writer_finish(w);
	fclose(mem);
	return len;
}

static int
load(const char *buf, size_t len, int names, struct interactions *ia, char *err)
{
	FILE *in = fmemopen((void *)buf, len, "rb");
	int ret = interactions_load(ia, in, "t.aud", names, err, 512);

	fclose(in);
	return ret;
}

int
main(void)
{
	enum { N = 5000 };
	int *e = calloc(N, sizeof(*e));
	int64_t *t = calloc(N, sizeof(*t));
	struct interactions ia;
	struct id id;
	char *buf, err[512];
	size_t len;
	int ok_rows = 1;

	for (int i = 0; i < N; i++) {
		e[i] = i % 2;
		t[i] = 1000 * (int64_t)i;
	}
	len = make(&buf, N, e, t, -1);
	ok(load(buf, len, 1, &ia, err) == 0 && ia.n == N, "5000 records load: %s", err);
	for (int i = 0; i < N; i++)
		if (ia.time[i] != 1000 * (int64_t)i || ia.event[i] != i % 2 ||
		    ia.customer[i] != (uint32_t)(i % 7) || ia.product[i] != (uint32_t)(i % 5))
			ok_rows = 0;
	ok(ok_rows, "rows keep their order, events, and ids interned by first appearance");
	intern_get(ia.customers, 3, &id);
	ok(id.is_str && id.len == 2 && memcmp(id.str, "c3", 2) == 0,
	    "string ids are kept as strings");
	ok(intern_count(ia.customers) == 7 && intern_count(ia.products) == 5,
	    "7 customers, 5 products");
	ok(strcmp(interactions_product_name(&ia, 0), "first name") == 0 &&
	    interactions_product_name(&ia, 1) == NULL, "names are kept when asked for");
	interactions_free(&ia);
	ok(load(buf, len, 0, &ia, err) == 0 && interactions_product_name(&ia, 0) == NULL,
	    "and not otherwise");
	interactions_free(&ia);
	free(buf);

	t[3000] = 10;
	len = make(&buf, N, e, t, -1);
	ok(load(buf, len, 0, &ia, err) < 0 && strstr(err, "records out of time order") &&
	    strncmp(err, "t.aud: byte ", 12) == 0, "a record out of time order: %s", err);
	interactions_free(&ia);
	free(buf);
	t[3000] = 3000000;

	e[4999] = 2;
	len = make(&buf, N, e, t, -1);
	ok(load(buf, len, 0, &ia, err) < 0 && strstr(err, "an event outside the dictionary"),
	    "an event outside the dictionary: %s", err);
	interactions_free(&ia);
	free(buf);
	e[4999] = 1;

	len = make(&buf, N, e, t, 1234);
	ok(load(buf, len, 0, &ia, err) < 0 &&
	    strstr(err, "an id is neither an integer nor a string"),
	    "an id of the wrong type: %s", err);
	interactions_free(&ia);
	free(buf);
	free(e);
	free(t);
	return tap_done();
}
