/*
 * Customer shards: all of a customer's rows go to one shard, so that the
 * cleaning, the features and the audiences can be computed shard by shard
 * (aud-stream(5), "Shards"). A customer's shard is the XXH64 (seed 0) of
 * their id as written, modulo the number of shards: a string id's bytes,
 * an integer id's decimal digits (with a '-' when negative).
 */
#ifndef AUD_SHARD_H
#define AUD_SHARD_H

#include <stdint.h>

#include "intern.h"

#define SHARD_MAX 256	/* a file open per shard while they are written */

uint32_t shard_of(const struct id *customer, uint32_t nshards);

#endif
