/*
 * The co-occurrence model's neighbours from customer shards (aud-rank(1),
 * "Shards"). Similarities are sums over customers, and every customer is
 * in one shard: each shard writes, for each product its customers touched
 * and every other product they touched with it, the sum of the products
 * of their weights and how many customers they share (a stream of kind
 * "cooc_pairs"), together with the product's |p|^2. The sums are exact
 * (fixedsum.h), so the shards' add up to the whole data's, and from their
 * total the neighbour table (kind "cooc_neighbours") is bit for bit the
 * one cooc_build finds on one machine. When products have categories, the
 * parts carry each product's category and each category's most attached
 * customers in the shard, and the table those of all shards.
 */
#ifndef AUD_COOCPAIRS_H
#define AUD_COOCPAIRS_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cooc.h"
#include "interactions.h"

/* What a part says of its shard and the model's settings. */
struct coocpairs_meta {
	const struct cooc_params *params;	/* decay_end included */
	const char *const *event;		/* the event weights by name, */
	const double *event_weight;		/* as the features give them */
	size_t nevents;
	uint32_t shard, nshards;		/* nshards 1: the whole data */
	const char *fingerprint;		/* of the shard's interactions */
};

/* The fields of a neighbour table's records (aud-stream(5)). */
#define COOCPAIRS_TABLE_FIELDS 6

/* The settings in a header: the event weights by name, half_life_days,
   decay_end, max_history, popularity_exponent, neighbours, min_support. */
void coocpairs_pack_params(msgpack_packer *pk, const struct coocpairs_meta *m);
/* Whether the params of a header are these. */
int coocpairs_same_params(const msgpack_object *params,
    const struct coocpairs_meta *m);

/* Writes the shard's part of the sums. Returns 0, or -1 with errno set. */
int coocpairs_write(FILE *out, const struct interactions *ia,
    const struct coocpairs_meta *m, const char *source);

/*
 * Adds up the parts named path[0..n) (regular files: they are read twice)
 * into the neighbour table written to out; source names it in the
 * provenance. Returns 0, or -1 with err filled: a file that is not a
 * part, parts of other settings or shard counts, a shard missing or given
 * twice.
 */
int coocpairs_neighbours(FILE *out, const char *const *path, size_t n,
    const char *source, char *err, size_t errlen);

#endif
