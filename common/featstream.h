/*
 * Streams of kind "features" (one record per customer) and "products" (one
 * record per product), as aud-features writes them, and the reading of a
 * features stream's scores, as aud-rank needs them. The field lists live
 * here only; aud-stream(5) and aud-features(1) document them.
 */
#ifndef AUD_FEATSTREAM_H
#define AUD_FEATSTREAM_H

#include <stdio.h>

#include "engagement.h"
#include "groups.h"
#include "intern.h"
#include "returns.h"
#include "stream.h"

/* What a features stream is written from. */
struct features_source {
	const struct features *f;
	const struct interactions *ia;
	const struct feature_params *params;
	const struct return_scores *returns;	/* or NULL: no return model */
	const char *name;			/* the interactions' */
};

/*
 * Writes the features of the present customers, in customer index order;
 * with a return model, also each customer's summary (rfm_frequency,
 * rfm_recency, rfm_T), p_alive and expected_purchases, and the fit under
 * provenance.return_model.
 */
int features_write(FILE *out, const struct features_source *src);

/* Writes per-product figures from the distinct customers and all rows. */
int products_write(FILE *out, const struct interactions *ia,
    const struct product_customers *g, const char *source);

/*
 * Customers and one score column of a features stream. The customers are
 * kept in stream order without a look-up index (intern_reindex() builds
 * one when needed): often they only need to be matched in order.
 */
struct scores {
	struct intern *customers;
	double *score;			/* per customer index */
	size_t n;
	/* The event weights the features were computed with (params). */
	char **event;
	double *event_weight;
	size_t nevents;
	/* The fingerprint of the interactions they were made from, or "". */
	char made_from[STREAM_FINGERPRINT_LEN];
	/* The time they were computed at (params.max_time: the last row of
	   all shards), when the header says. */
	int64_t max_time;
	int has_max_time;
};

/*
 * Reads the column named score_field ("engagement_score", ...) of a
 * features stream. Returns 0, or -1 with err filled.
 */
int scores_load(struct scores *s, FILE *in, const char *name,
    const char *score_field, char *err, size_t errlen);
void scores_free(struct scores *s);

#endif
