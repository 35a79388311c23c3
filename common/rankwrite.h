/*
 * What aud-rank writes from interactions and the features' scores: a
 * model (model.h), a customer shard's part of one (audparts.h), and for
 * the co-occurrence model a shard's sums (coocpairs.h) and its largest
 * relevances (cooctops.h). aud-rank(1) says what each holds.
 */
#ifndef AUD_RANKWRITE_H
#define AUD_RANKWRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cooc.h"
#include "featstream.h"
#include "interactions.h"

struct rank_job {
	struct interactions *ia;	/* a model frees its rows when done */
	const struct scores *sc;
	const struct cooc_params *cooc;	/* the co-occurrence model's settings
					   and event weights; NULL: a model
					   of one global order */
	const char *score;		/* the model's name, as its header says */
	size_t top_n, depth;
	int quick;			/* a seeded tenth of the products */
	uint64_t seed;
	double blend, new_blend;
	const char *source;		/* the interactions' name */
	const char *features;		/* the features' name */
	/* A co-occurrence shard's neighbour table (tops, part) and the tops
	   of all shards (part), with their names. */
	FILE *table, *tops;
	const char *table_name, *tops_name;
};

/* What the functions below return besides 0, and -1 when writing failed
   (errno set): data they refuse, err filled. */
#define RANK_REFUSED (-2)

int rank_write_model(FILE *out, const struct rank_job *j, char *err,
    size_t errlen);
int rank_write_part(FILE *out, const struct rank_job *j, char *err,
    size_t errlen);
int rank_write_pairs(FILE *out, const struct rank_job *j, char *err,
    size_t errlen);
int rank_write_tops(FILE *out, const struct rank_job *j, char *err,
    size_t errlen);

#endif
