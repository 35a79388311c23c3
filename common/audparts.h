/*
 * Audience parts: a customer shard's share of a model of one global order
 * (engagement or activity), and the merge of every shard's into the model
 * one machine writes from all the data (aud-rank(1), "Shards").
 *
 * A part (a stream of kind "audience_parts") holds the shard's whole
 * ranking, its customers by score (ties by id, as ranking.h orders them),
 * and per product, in ascending id order, its customers in the shard and
 * the places its audience there steps over (audience_skipped: those of its
 * customers in the ranking's first depth + customers; most products have
 * none), from which the merge walks the audience, the first depth who have
 * not touched it. Every customer is in one shard, so a
 * product's audience is the best depth of its shards' audiences, and the
 * ranking head a model holds is the head of the shards' rankings merged:
 * the merge reads the parts twice, once for the products and their
 * customer counts (which size the head), once for the audiences, keeping
 * one product's lists at a time.
 */
#ifndef AUD_AUDPARTS_H
#define AUD_AUDPARTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cooc.h"
#include "fixedsum.h"
#include "intern.h"
#include "model.h"

/* What a part says of its shard. */
struct audparts_meta {
	const char *score;		/* "engagement" or "activity" */
	uint64_t top_n, depth, seed;
	uint64_t interactions;		/* the shard's rows */
	int64_t first_time, last_time;	/* of those rows, if any */
	uint32_t shard, nshards;
	const char *fingerprint;	/* of the shard's interactions, or NULL */
	/* A co-occurrence model's settings (score "cooccurrence"), or NULL. */
	const struct cooc_params *cooc;
	double blend, new_blend;
	int categories;			/* the products have categories */
};

struct audparts_writer;

/* Starts a part with the shard's ranking: n customers, best first. */
struct audparts_writer *audparts_writer_new(FILE *out,
    const struct audparts_meta *m, const char *source,
    const struct id *ranking, const double *scores, size_t n);

/* One product's entry; products must come in ascending id order. */
struct audparts_product {
	const struct id *product;
	const char *name;		/* or NULL */
	uint64_t customers;		/* who touched it in the shard */
	const uint32_t *skipped;	/* the places its audience steps
					   over (audience.h), ascending */
	size_t nskipped;
	/* A co-occurrence part's: the shard's customers relevant to it, best
	   first, with their scores and reasons (NULL: none), and its heaviest
	   buyers there (score: their weight), with their engagement. */
	const struct model_target *relevant;
	size_t nrelevant;
	const struct model_target *buyers;
	const double *buyer_engagement;
	size_t nbuyers;
	/* And its category (NULL: none; not NUL-terminated), and the sum of
	   the shard's customers' weights for it (cooc_product_sum). */
	const char *category;
	size_t category_len;
	fixed_sum weight;
};

void audparts_add(struct audparts_writer *w, const struct audparts_product *p);
/* Returns 0, or -1 with errno set. */
int audparts_finish(struct audparts_writer *w);

/*
 * Merges the parts named path[0..n) (regular files: they are read twice)
 * into the model written to out; source names it in the provenance.
 * Returns 0, or -1 with err filled: a part that is not one, parts of other
 * settings or shard counts, a shard missing or given twice.
 */
int audparts_merge(FILE *out, const char *const *path, size_t n,
    const char *source, char *err, size_t errlen);

#endif
