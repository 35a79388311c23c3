/*
 * The largest relevance of each product over customer shards: the divisor
 * of its relevance in its audience (cooc.h), which no shard knows alone.
 * Each shard scored with the neighbour table (coocpairs.h) writes its own
 * largest (a stream of kind "cooc_tops": product_id and top, for the
 * products with relevance in the shard, ascending by id); the largest of
 * all shards' (cooctops_combine) is the whole data's, which each shard
 * then divides by (cooctops_load, cooc_query.top).
 */
#ifndef AUD_COOCTOPS_H
#define AUD_COOCTOPS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cooc.h"
#include "coocpairs.h"
#include "interactions.h"

/* What a shard's tops say of it. */
struct cooctops_meta {
	const struct coocpairs_meta *settings;	/* the neighbour table's */
	uint32_t shard, nshards;
	const uint8_t *keep;		/* per customer: may be targeted */
	unsigned threads;
};

/* Writes the shard's tops. Returns 0, or -1 with errno set. */
int cooctops_write(FILE *out, const struct cooc *m,
    const struct interactions *ia, const struct cooctops_meta *meta,
    const char *source);

/*
 * The largest of the tops named path[0..n), one per shard, into out.
 * Returns 0, or -1 with err filled: not tops, tops of other settings, a
 * shard missing or given twice.
 */
int cooctops_combine(FILE *out, const char *const *path, size_t n,
    const char *source, char *err, size_t errlen);

/*
 * Reads combined tops into top[p] for the products of ia (0 for those it
 * does not name). Returns 0, or -1 with err filled: not combined tops, or
 * tops of other settings than settings'.
 */
int cooctops_load(double *top, const struct interactions *ia,
    const struct coocpairs_meta *settings, FILE *in, const char *name,
    char *err, size_t errlen);

#endif
