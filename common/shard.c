/* Customer shards; see shard.h. */
#include "shard.h"

#include <stdio.h>
#include <xxhash.h>

#include "banned.h"

uint32_t
shard_of(const struct id *customer, uint32_t nshards)
{
	char digits[24];
	uint64_t h;

	if (customer->is_str)
		h = XXH64(customer->str, customer->len, 0);
	else
		h = XXH64(digits, (size_t)snprintf(digits, sizeof(digits), "%lld",
		    (long long)customer->num), 0);
	return (uint32_t)(h % nshards);
}
