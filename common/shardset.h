/*
 * The parts of a merge, one per customer shard: all from a run of the
 * same shard count, each shard once, none missing.
 */
#ifndef AUD_SHARDSET_H
#define AUD_SHARDSET_H

#include <stddef.h>
#include <stdint.h>

#include "shard.h"

struct shard_set {
	uint64_t nshards;		/* 0 until the first part */
	uint8_t seen[SHARD_MAX];
};

void shard_set_init(struct shard_set *s);

/*
 * Notes that path is shard index of count. Returns 0, or -1 with err
 * filled: a count of 0 or beyond SHARD_MAX, an index beyond the count,
 * a count other than the first part's, a shard given twice.
 */
int shard_set_add(struct shard_set *s, const char *path, uint64_t index,
    uint64_t count, char *err, size_t errlen);

/* Returns 0, or -1 with err naming the first shard missing. */
int shard_set_complete(const struct shard_set *s, char *err, size_t errlen);

#endif
