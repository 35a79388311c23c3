/* Customer shards; see shard.h. */
#include "shard.h"

#include <xxhash.h>

#include "banned.h"

/*
 * n's decimal digits, with a '-' when negative, ending at end: where they
 * start. As snprintf's "%lld" gives them, without its formatting, which
 * was 3% of aud-prepare --shards 4 at 5M rows (once a customer).
 */
static char *
decimal(int64_t n, char *end)
{
	/* The magnitude in unsigned arithmetic: -INT64_MIN overflows. */
	uint64_t m = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
	char *p = end;

	do
		*--p = (char)('0' + m % 10);
	while ((m /= 10) > 0);
	if (n < 0)
		*--p = '-';
	return p;
}

uint32_t
shard_of(const struct id *customer, uint32_t nshards)
{
	char digits[24], *end = digits + sizeof(digits), *start;
	uint64_t h;

	if (customer->is_str)
		h = XXH64(customer->str, customer->len, 0);
	else {
		start = decimal(customer->num, end);
		h = XXH64(start, (size_t)(end - start), 0);
	}
	return (uint32_t)(h % nshards);
}
