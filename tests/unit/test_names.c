/*
 * Unit tests of common/names.c's look-up of names alike: 300 products named
 * by four words each from 400, queried by 200 names of the same kind. The
 * matches come most alike first (cosine, then the lower offset), and asking
 * for the first few gives the head of the whole list, in its order.
 */
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "rng.h"
#include "tap.h"

#define PRODUCTS 300
#define VOCABULARY 400
#define QUERIES 200
#define ALL 1000	/* more than any query matches */

/* A name of four words drawn from the vocabulary. */
static size_t
draw_name(struct rng *r, char *out, size_t cap)
{
	size_t len = 0;

	for (int w = 0; w < 4; w++)
		len += (size_t)snprintf(out + len, cap - len, "%sw%llu",
		    w ? " " : "", (unsigned long long)(rng_next(r) % VOCABULARY));
	return len;
}

static int
in_order(const struct name_match *a, const struct name_match *b)
{
	return a->cosine > b->cosine ||
	    (a->cosine == b->cosine && a->record < b->record);
}

int
main(void)
{
	struct names_builder *b = names_builder_new();
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	struct names n;
	struct rng r;
	static struct name_match all[ALL], head[ALL];
	int sorted = 1, heads = 1, some = 0, many = 0;
	char name[128];

	rng_seed(&r, 3);
	for (uint64_t p = 0; p < PRODUCTS; p++) {
		size_t len = draw_name(&r, name, sizeof(name));

		names_add(b, p * 100, name, len);
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, NAMES_ENTRIES);
	names_pack(b, &pk);
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, sb.data, sb.size, NULL) !=
	    MSGPACK_UNPACK_SUCCESS || names_open(&n, &u.data) < 0)
		return ok(0, "the index opens"), tap_done();
	for (int q = 0; q < QUERIES; q++) {
		size_t len = draw_name(&r, name, sizeof(name));
		size_t got = names_similar(&n, name, len, all, ALL);

		some += got > 0;
		many += got > 5;
		for (size_t i = 1; i < got; i++)
			sorted &= in_order(&all[i - 1], &all[i]);
		for (size_t max = 0; max <= 6; max++) {
			size_t h = names_similar(&n, name, len, head, max);

			heads &= h == (got < max ? got : max) &&
			    memcmp(head, all, h * sizeof(*head)) == 0;
		}
	}
	ok(some > QUERIES / 2 && many > 0, "queries match products (%d of %d, "
	    "%d of them more than 5)", some, QUERIES, many);
	ok(sorted, "matches come by cosine, then by the lower offset");
	ok(heads, "the first 0 to 6 asked for are the head of all, in order");
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return tap_done();
}
