/*
 * Unit tests of common/shard.c: a customer's shard is the XXH64 of their id
 * as written, an integer's decimal digits as "%lld" prints them (the
 * shards of streams written before shard.c formatted digits itself must
 * not move), at the edges of int64 and of each power of ten.
 */
#include <stdint.h>
#include <stdio.h>
#include <xxhash.h>

#include "shard.h"
#include "tap.h"

/* The shard as the format says it: by snprintf's digits. */
static uint32_t
by_printf(int64_t n, uint32_t nshards)
{
	char digits[24];

	return (uint32_t)(XXH64(digits, (size_t)snprintf(digits, sizeof(digits),
	    "%lld", (long long)n), 0) % nshards);
}

int
main(void)
{
	int64_t edge[] = { 0, 1, -1, 9, 10, -10, 99, 100, 12345, -98765,
	    INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1 };
	int64_t p = 1;
	int same = 1;

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		struct id id = { .num = edge[i] };

		ok(shard_of(&id, 256) == by_printf(edge[i], 256),
		    "%lld: shard %u", (long long)edge[i], shard_of(&id, 256));
	}
	/* Around every power of ten to 10^18, both signs, 2 to 256 shards. */
	for (int k = 0; k <= 18; k++, p *= k <= 18 ? 10 : 1)
		for (int64_t d = -1; d <= 1; d++)
			for (uint32_t n = 2; n <= 256; n *= 2) {
				struct id up = { .num = p + d };
				struct id down = { .num = -(p + d) };

				same &= shard_of(&up, n) ==
				    by_printf(up.num, n);
				same &= shard_of(&down, n) ==
				    by_printf(down.num, n);
			}
	ok(same, "10^k - 1, 10^k, 10^k + 1 of both signs: as printed");
	{
		struct id s = { .is_str = 1, .str = "c42", .len = 3 };

		ok(shard_of(&s, 7) == (uint32_t)(XXH64("c42", 3, 0) % 7),
		    "a string id: its bytes");
	}
	return tap_done();
}
