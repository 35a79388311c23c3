/*
 * Unit tests of common/mpscan.c: on every scalar kind and width msgpack
 * has, at the edges of each, mpscan_record() gives what msgpack-c's own
 * unpacker gives; it declines (returns 0) every cut-short array and every
 * object that is not a flat array of the expected length, leaving those to
 * msgpack-c.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "mpscan.h"
#include "tap.h"

#define NVALS 64
#define NKINDS 42	/* the values pack_value() knows */
#define TEXT_LEN 70000	/* the longest string or extension packed */

/* Packs one scalar, chosen by k, as the values of the test records. */
static void
pack_value(msgpack_packer *pk, int k, const char *text)
{
	static const int64_t ints[] = { 0, 1, 127, 128, 255, 256, 65535, 65536,
	    4294967295, 4294967296, INT64_MAX, -1, -32, -33, -128, -129, -32768,
	    -32769, INT32_MIN, (int64_t)INT32_MIN - 1, INT64_MIN };
	static const size_t lens[] = { 0, 1, 31, 32, 255, 256, 65535, 65536 };
	const int nints = (int)(sizeof(ints) / sizeof(ints[0]));
	const int nlens = (int)(sizeof(lens) / sizeof(lens[0]));

	if (k < nints) {
		msgpack_pack_int64(pk, ints[k]);
		return;
	}
	k -= nints;
	if (k < nlens) {
		msgpack_pack_str_with_body(pk, text, lens[k]);
		return;
	}
	switch (k - nlens) {
	case 0: msgpack_pack_uint64(pk, UINT64_MAX); break;
	case 1: msgpack_pack_uint8(pk, 200); break;		/* 0xcc */
	case 2: msgpack_pack_fix_int8(pk, 5); break;		/* 0xd0, >= 0 */
	case 3: msgpack_pack_fix_int16(pk, -300); break;
	case 4: msgpack_pack_fix_int32(pk, 7); break;
	case 5: msgpack_pack_fix_int64(pk, -5); break;
	case 6: msgpack_pack_float(pk, 0.5f); break;
	case 7: msgpack_pack_float(pk, -FLT_MAX); break;
	case 8: msgpack_pack_double(pk, 0.1); break;
	case 9: msgpack_pack_double(pk, -DBL_MIN); break;
	case 10: msgpack_pack_nil(pk); break;
	case 11: msgpack_pack_true(pk); break;
	case 12: msgpack_pack_false(pk); break;
	default: abort();
	}
}

/* Whether mpscan and msgpack-c read the same values from the bytes. */
static int
agree(const msgpack_sbuffer *sb, size_t nfields)
{
	msgpack_object val[NVALS];
	msgpack_unpacked u;
	size_t off = 0, used;
	int same;

	used = mpscan_record((const unsigned char *)sb->data, sb->size, val,
	    nfields);
	msgpack_unpacked_init(&u);
	same = used == sb->size &&
	    msgpack_unpack_next(&u, sb->data, sb->size, &off) == MSGPACK_UNPACK_SUCCESS &&
	    off == used && u.data.type == MSGPACK_OBJECT_ARRAY &&
	    u.data.via.array.size == nfields;
	for (size_t i = 0; same && i < nfields; i++)
		same = msgpack_object_equal(val[i], u.data.via.array.ptr[i]) &&
		    val[i].type == u.data.via.array.ptr[i].type;
	msgpack_unpacked_destroy(&u);
	return same;
}

/* Whether mpscan declines every proper prefix of the bytes. */
static int
declines_cuts(const msgpack_sbuffer *sb, size_t nfields)
{
	msgpack_object val[NVALS];

	for (size_t cut = 0; cut < sb->size; cut++)
		if (mpscan_record((const unsigned char *)sb->data, cut, val,
		    nfields) != 0)
			return 0;
	return 1;
}

/* Whether mpscan leaves the n bytes to msgpack-c. */
static int
declines(const char *bytes, size_t n, size_t nfields)
{
	msgpack_object val[NVALS];

	return mpscan_record((const unsigned char *)bytes, n, val, nfields) == 0;
}

int
main(void)
{
	char *text = malloc(TEXT_LEN);
	int all_agree = 1, all_cuts = 1, k;

	memset(text, 'a', TEXT_LEN);
	for (k = 0; k < NKINDS; k++) {	/* each value alone, then with others */
		for (size_t width = 1; width <= 3; width++) {
			msgpack_sbuffer sb;
			msgpack_packer pk;

			msgpack_sbuffer_init(&sb);
			msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
			msgpack_pack_array(&pk, width);
			for (size_t i = 0; i < width; i++)
				pack_value(&pk, (k + (int)i * 7) % NKINDS, text);
			if (!agree(&sb, width)) {
				all_agree = 0;
				printf("# value %d in a record of %zu differs\n", k, width);
			}
			if (!declines_cuts(&sb, width))
				all_cuts = 0;
			msgpack_sbuffer_destroy(&sb);
		}
	}
	ok(all_agree, "every scalar kind and width decodes as msgpack-c decodes it");
	ok(all_cuts, "an array cut short at any byte is left to msgpack-c");

	{
		msgpack_sbuffer sb;
		msgpack_packer pk;
		const unsigned char *bytes;
		size_t i;

		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_array(&pk, 20);
		for (i = 0; i < 20; i++)
			msgpack_pack_int64(&pk, (int64_t)i);
		ok(agree(&sb, 20), "an array of 20 (array 16 header) decodes");
		ok(declines(sb.data, sb.size, 19),
		    "an array of another length than the fields is left to msgpack-c");
		bytes = (const unsigned char *)sb.data;
		ok(bytes[0] == 0xdc, "(that array had a 16-bit header)");
		msgpack_sbuffer_destroy(&sb);
	}
	{
		msgpack_sbuffer sb;
		msgpack_packer pk;
		size_t off = 0, cuts_fail = 1;
		msgpack_unpacked u;

		/* Nesting, every container head, binary and extension values. */
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_map(&pk, 3);
		msgpack_pack_str_with_body(&pk, "a", 1);
		msgpack_pack_array(&pk, 20);
		for (k = 0; k < 20; k++)
			pack_value(&pk, k * 2, text);
		msgpack_pack_str_with_body(&pk, "b", 1);
		msgpack_pack_map(&pk, 17);
		for (k = 0; k < 17; k++) {
			msgpack_pack_int64(&pk, k);
			if (k == 0)
				msgpack_pack_bin_with_body(&pk, text, 300);
			else if (k == 1)
				msgpack_pack_ext_with_body(&pk, text, 4, 7);
			else if (k == 2)
				msgpack_pack_ext_with_body(&pk, text, 70000, 1);
			else if (k == 3)
				msgpack_pack_array(&pk, 0);
			else
				pack_value(&pk, k, text);
		}
		msgpack_pack_int64(&pk, 3);
		msgpack_pack_array(&pk, 70000);
		for (k = 0; k < 70000; k++)
			msgpack_pack_nil(&pk);
		msgpack_unpacked_init(&u);
		msgpack_unpack_next(&u, sb.data, sb.size, &off);
		ok(off == sb.size && mpscan_skip((const unsigned char *)sb.data,
		    sb.size) == off,
		    "skipping a nested object passes exactly its %zu bytes", off);
		for (size_t cut = 0; cut < sb.size; cut += cut < 400 ? 1 : 997)
			if (mpscan_skip((const unsigned char *)sb.data, cut) != 0)
				cuts_fail = 0;
		ok(cuts_fail, "an object cut short is not skipped");
		msgpack_unpacked_destroy(&u);
		msgpack_sbuffer_destroy(&sb);
	}
	ok(mpscan_skip((const unsigned char *)"\x92\x01\xc1", 3) == 0,
	    "a byte that is not msgpack is not skipped");
	ok(declines("\x92\x01\x90", 3, 2), "a nested array is left to msgpack-c");
	ok(declines("\x92\x01\xc4\x02xy", 6, 2),
	    "a binary value is left to msgpack-c");
	ok(declines("\x81\x01\x02", 3, 1), "a map (a trailer) is left to msgpack-c");
	ok(declines("\x92\x01\xc1", 3, 2),
	    "a byte that is not msgpack is left to msgpack-c");
	free(text);
	return tap_done();
}
