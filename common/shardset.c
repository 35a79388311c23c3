/* One part per shard; see shardset.h. */
#include "shardset.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

void
shard_set_init(struct shard_set *s)
{
	memset(s, 0, sizeof(*s));
}

int
shard_set_add(struct shard_set *s, const char *path, uint64_t index,
    uint64_t count, char *err, size_t errlen)
{
	if (count == 0 || count > SHARD_MAX || index >= count) {
		snprintf(err, errlen, "%s: shard %llu of %llu is not a shard",
		    path, (unsigned long long)index, (unsigned long long)count);
		return -1;
	}
	if (s->nshards == 0)
		s->nshards = count;
	if (count != s->nshards) {
		snprintf(err, errlen, "%s: a part of %llu shards, the parts "
		    "before it of %llu", path, (unsigned long long)count,
		    (unsigned long long)s->nshards);
		return -1;
	}
	if (s->seen[index]++) {
		snprintf(err, errlen, "%s: shard %llu is given twice", path,
		    (unsigned long long)index);
		return -1;
	}
	return 0;
}

int
shard_set_complete(const struct shard_set *s, char *err, size_t errlen)
{
	for (uint64_t k = 0; k < s->nshards; k++)
		if (!s->seen[k]) {
			snprintf(err, errlen, "shard %llu of %llu is missing",
			    (unsigned long long)k, (unsigned long long)s->nshards);
			return -1;
		}
	return 0;
}
