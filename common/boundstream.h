/*
 * Streams of kind "feature_bounds": what the engagement score's
 * normalisation takes from customer shards (engagement.h), as aud-features
 * --partial writes one shard's and --combine all of them. One record: the
 * bounds. The header says which shards of how many it covers, with each
 * one's interactions fingerprint, so that bounds of another run, another
 * shard count, or with a shard missing or twice, are refused by name; and
 * the feature parameters in words, which every part must share.
 */
#ifndef AUD_BOUNDSTREAM_H
#define AUD_BOUNDSTREAM_H

#include <stdio.h>

#include "engagement.h"
#include "returns.h"
#include "shard.h"
#include "stream.h"

#define BOUNDS_PARAMS_LEN 1024

struct bounds_file {
	struct feature_bounds b;
	uint32_t nshards;		/* of the run; 0: the whole data */
	/* Per shard index: its interactions' fingerprint, "" when not
	   covered. */
	char fingerprint[SHARD_MAX][STREAM_FINGERPRINT_LEN];
	char params[BOUNDS_PARAMS_LEN];	/* the feature parameters, in words */
	/* With a return model: the customers' purchase summaries, for the
	   fit to every shard's (returns.h). */
	int has_days;
	struct return_days days;
};

/*
 * The bounds of one shard's (or the whole data's) features, and with a
 * return model (ret not NULL, its event resolved in ia, its calibration
 * end INT64_MIN or given) its customers' purchase summaries, the model's
 * settings joining the parameters in words. Returns 0, or -1 with err
 * filled (bf then holds what bounds_free frees).
 */
int bounds_of(struct bounds_file *bf, const struct features *f,
    const struct interactions *ia, const struct feature_params *p,
    const struct return_params *ret, char *err, size_t errlen);
void bounds_free(struct bounds_file *bf);

int bounds_write(FILE *out, const struct bounds_file *bf, const char *source);

/* Reads a bounds stream. Returns 0, or -1 with err filled (and nothing
   in bf to free). */
int bounds_read(struct bounds_file *bf, FILE *in, const char *name, char *err,
    size_t errlen);

/*
 * Adds b (read from name) to into, the combination of those read so far
 * (zeroed before the first). Returns 0, or -1 with err filled when b is of
 * other parameters or another shard count, or covers a shard into holds.
 */
int bounds_combine(struct bounds_file *into, const struct bounds_file *b,
    const char *name, char *err, size_t errlen);

/*
 * Whether bf, read from name, normalises the features of ia: the same
 * parameters, ia's shard among those covered with ia's fingerprint, and
 * every shard covered, and the same return model settings (ret, or NULL:
 * none) with the summaries. Returns 0, or -1 with err filled.
 */
int bounds_check(const struct bounds_file *bf, const char *name,
    const struct interactions *ia, const struct feature_params *p,
    const struct return_params *ret, char *err, size_t errlen);

#endif
