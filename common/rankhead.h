/*
 * The head of the ranking a model or a shard's part holds: its first
 * customers by the features' score, and for each customer of the
 * interactions its index in the features and its place in that head. The
 * features and the interactions name customers apart (two id tables), so
 * every model writer needs this map first.
 */
#ifndef AUD_RANKHEAD_H
#define AUD_RANKHEAD_H

#include <stddef.h>
#include <stdint.h>

#include "audience.h"
#include "featstream.h"
#include "interactions.h"
#include "intern.h"

struct rank_head {
	struct id *ids;			/* of the head's customers, best first */
	double *scores;
	uint32_t *feature_of;		/* per customer of the interactions: its
					   index in the features, or UINT32_MAX */
	struct targeting t;		/* rank_of: its place in the head, or
					   UINT32_MAX */
};

/*
 * The head of the first count customers of order (indices of sc, best
 * first). Returns 0, or -1 when the features list a customer twice.
 */
int rank_head_build(struct rank_head *h, const struct interactions *ia,
    const struct scores *sc, const uint32_t *order, size_t count);
void rank_head_free(struct rank_head *h);

/* Each customer's index in the features (UINT32_MAX: none) into
   feature_of. Returns 0, or -1 when the features list a customer twice. */
int rank_map_customers(const struct interactions *ia, const struct scores *sc,
    uint32_t *feature_of);

/* Who may be targeted (the nc customers with features) into keep and,
   when base is not NULL, their scores. */
void rank_targetable(size_t nc, const uint32_t *feature_of,
    const struct scores *sc, uint8_t *keep, double *base);

#endif
