/*
 * Unit tests of common/stream.c: a written stream reads back exactly; a
 * stream cut at any byte, or with data after its end, is an error naming a
 * byte offset, never a shorter stream read as complete; records read many
 * at a time are those read one by one.
 */
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "tap.h"

static const char *const fields[] = { "customer_id", "time" };
static const char *const types[] = { "id", "time" };

/* A stream of n records [i, i * 1000] in memory; returns its size. */
static size_t
make_stream(char **buf, int n, unsigned version)
{
	size_t len = 0;
	FILE *mem = open_memstream(buf, &len);
	struct stream_writer *w = stream_writer_new(mem);
	msgpack_packer *pk = stream_packer(w);

	if (version == STREAM_VERSION) {
		stream_write_header(w, "interactions", 2, fields, types, 1);
		stream_pack_cstr(pk, "note");
		stream_pack_cstr(pk, "test");
	} else {
		msgpack_pack_map(pk, 5);
		stream_pack_cstr(pk, "format");
		stream_pack_cstr(pk, STREAM_MAGIC);
		stream_pack_cstr(pk, "version");
		msgpack_pack_uint32(pk, version);
		stream_pack_cstr(pk, "kind");
		stream_pack_cstr(pk, "interactions");
		stream_pack_cstr(pk, "fields");
		msgpack_pack_array(pk, 0);
		stream_pack_cstr(pk, "types");
		msgpack_pack_array(pk, 0);
	}
	for (int i = 0; i < n; i++) {
		stream_record_begin(w);
		msgpack_pack_int64(pk, i);
		msgpack_pack_int64(pk, (int64_t)i * 1000);
	}
	stream_writer_finish(w);
	fclose(mem);
	return len;
}

/* Reads a stream from bytes; returns records read, or -1 on error. */
static int
read_all(const char *bytes, size_t len, const char *kind, char *err, size_t errlen)
{
	FILE *in = fmemopen((void *)bytes, len ? len : 1, "rb");
	struct stream_reader *r;
	const msgpack_object *rec;
	int n = 0, ret;

	if (len == 0)
		fgetc(in);	/* fmemopen cannot open 0 bytes: read the one away */
	if ((r = stream_reader_open(in, "t.aud", err, errlen)) == NULL) {
		fclose(in);
		return -1;
	}
	if (kind != NULL && stream_expect_kind(r, kind, err, errlen) < 0)
		ret = -1;
	else
		while ((ret = stream_read(r, &rec, err, errlen)) == 1) {
			if (rec->via.array.ptr[0].via.i64 != n ||
			    rec->via.array.ptr[1].via.i64 != (int64_t)n * 1000)
				return -2;
			n++;
		}
	stream_reader_free(r);
	fclose(in);
	return ret < 0 ? -1 : n;
}

/*
 * Values of every msgpack width and kind, packed through the packer or in
 * place (packbuf); enough records to cross the writer's buffers, and a
 * 3 MiB string id larger than any buffer.
 */
static size_t
make_mixed(char **buf, int in_place)
{
	static const char *const mixed_fields[] = { "customer_id", "n", "x" };
	static const char *const mixed_types[] = { "id", "int", "float" };
	static const int64_t ints[] = { 0, 1, 127, 128, 255, 256, 65535, 65536,
	    4294967295, 4294967296, -1, -32, -33, -128, -129, -32768, -32769,
	    INT32_MIN, (int64_t)INT32_MIN - 1, INT64_MIN, INT64_MAX };
	static const double floats[] = { 0.0, 0.5, 3.0, 0.1, -2.75, 1e300 };
	size_t len = 0, nints = sizeof(ints) / sizeof(ints[0]);
	FILE *mem = open_memstream(buf, &len);
	struct stream_writer *w = stream_writer_new(mem);
	msgpack_packer *pk = stream_packer(w);
	char *big = malloc(3 << 20);

	memset(big, 'x', 3 << 20);
	stream_write_header(w, "mixed", 3, mixed_fields, mixed_types, 0);
	for (int i = 0; i < 200000; i++) {
		struct id id = { .is_str = i % 3 == 0, .num = ints[i % nints],
		    .str = big, .len = i == 7 ? 3 << 20 : (uint32_t)(i % 300) };
		int64_t n = ints[(i / 3) % nints];
		double x = floats[i % 6];

		if (in_place) {
			struct packbuf b = stream_record_space(w,
			    packbuf_id_bound(&id) + 2 * PACKBUF_NUMBER);

			packbuf_id(&b, &id);
			packbuf_pack_int64(&b, n);
			packbuf_float(&b, x);
			stream_record_done(w, &b);
		} else {
			stream_record_begin(w);
			stream_pack_id(pk, &id);
			msgpack_pack_int64(pk, n);
			stream_pack_float(pk, x);
		}
	}
	stream_writer_finish(w);
	fclose(mem);
	free(big);
	return len;
}

/* Folds v into an FNV-1a hash, byte by byte. */
static uint64_t
fold(uint64_t h, const void *v, size_t n)
{
	const unsigned char *b = v;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3u;
	return h;
}

/*
 * A hash of every record's offset, types and values, read one by one
 * (max 0) or up to max at a time; *records counts them, -1 on an error.
 */
static uint64_t
read_hash(const char *bytes, size_t len, size_t max, long *records)
{
	FILE *in = fmemopen((void *)bytes, len, "rb");
	char err[512];
	struct stream_reader *r = stream_reader_open(in, "t.aud", err,
	    sizeof(err));
	const msgpack_object *rec[64];
	uint64_t at[64], h = 0xcbf29ce484222325u;
	int got;

	*records = 0;
	for (;;) {
		got = max ? stream_read_many(r, rec, at, max, err, sizeof(err)) :
		    stream_read(r, rec, err, sizeof(err));
		if (got <= 0)
			break;
		if (!max)
			at[0] = stream_offset(r);
		for (int j = 0; j < got; j++) {
			const msgpack_object *v = rec[j]->via.array.ptr;

			h = fold(h, &at[j], sizeof(at[j]));
			for (uint32_t f = 0; f < rec[j]->via.array.size; f++) {
				h = fold(h, &v[f].type, sizeof(v[f].type));
				if (v[f].type == MSGPACK_OBJECT_STR)
					h = fold(h, v[f].via.str.ptr,
					    v[f].via.str.size);
				else
					h = fold(h, &v[f].via.u64,
					    sizeof(v[f].via.u64));
			}
			++*records;
		}
	}
	if (got < 0)
		*records = -1;
	stream_reader_free(r);
	fclose(in);
	return h;
}

int
main(void)
{
	char *buf, err[512];
	size_t len = make_stream(&buf, 1000, STREAM_VERSION);
	int all_cuts_fail = 1, n;

	ok(read_all(buf, len, "interactions", err, sizeof(err)) == 1000,
	    "1000 records read back in order");
	for (size_t cut = 0; cut < len; cut++)
		if (read_all(buf, cut, NULL, err, sizeof(err)) != -1)
			all_cuts_fail = 0;
	ok(all_cuts_fail, "a stream cut at any of its %zu bytes is an error", len);
	read_all(buf, len - 1, NULL, err, sizeof(err));
	ok(strstr(err, "t.aud: byte ") == err && strstr(err, "truncated") != NULL,
	    "a cut in the trailer is reported as truncated with its byte: %s", err);

	n = read_all(buf, len, "features", err, sizeof(err));
	ok(n == -1 && strcmp(err, "t.aud: a stream of interactions, expected features") == 0,
	    "a wrong kind is reported: %s", err);

	{
		char *more = malloc(len + 1);

		memcpy(more, buf, len);
		more[len] = (char)0x90;	/* an empty array after the trailer */
		n = read_all(more, len + 1, NULL, err, sizeof(err));
		ok(n == -1 && strstr(err, "data after the end of the stream") != NULL,
		    "data after the trailer is an error: %s", err);
		memcpy(more, buf, len);
		more[200] = (char)0xc1;	/* never used in msgpack */
		n = read_all(more, len, NULL, err, sizeof(err));
		ok(n == -1 && strstr(err, "garbled") != NULL,
		    "a garbled byte is an error: %s", err);
		free(more);
	}
	n = read_all("hello world\n", 12, NULL, err, sizeof(err));
	ok(n == -1 && strcmp(err, "t.aud: not an aud stream (no header)") == 0,
	    "text is not a stream: %s", err);
	n = read_all("", 0, NULL, err, sizeof(err));
	ok(n == -1 && strcmp(err, "t.aud: empty input, not an aud stream") == 0,
	    "empty input is not a stream: %s", err);
	free(buf);

	{
		char *packed, *in_place;
		size_t n1 = make_mixed(&packed, 0), n2 = make_mixed(&in_place, 1);

		ok(n1 == n2 && n1 > (4 << 20) && memcmp(packed, in_place, n1) == 0,
		    "records packed in place are byte for byte the packer's (%zu bytes)",
		    n1);
		{
			static const size_t maxes[] = { 1, 7, 64 };
			long one, many;
			uint64_t h1 = read_hash(packed, n1, 0, &one);
			int same = one == 200000;

			for (size_t m = 0; m < 3; m++)
				if (read_hash(packed, n1, maxes[m], &many) !=
				    h1 || many != one)
					same = 0;
			ok(same, "records read 1, 7 or 64 at a time, across "
			    "the buffer's refills and a 3 MiB id, are those "
			    "read one by one, at the same offsets");
		}
		free(packed);
		free(in_place);
	}

	{
		msgpack_object empty = { .type = MSGPACK_OBJECT_STR };
		struct id id;

		ok(stream_get_id(&empty, &id) == 0 && id.is_str &&
		    id.len == 0 && id.str != NULL,
		    "an empty string id has bytes to copy, none of them");
	}
	len = make_stream(&buf, 3, STREAM_VERSION + 1);
	n = read_all(buf, len, NULL, err, sizeof(err));
	ok(n == -1 && strstr(err, "version 6 is newer than this aud understands (5)") != NULL,
	    "a newer format version is refused: %s", err);
	free(buf);
	return tap_done();
}
