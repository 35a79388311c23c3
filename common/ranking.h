/*
 * The global order of customers for targeting: by score, highest first;
 * equal scores by ascending customer id (integers numerically, before string
 * ids, which compare bytewise). Two stable radix sorts, so tens of millions
 * of customers order in about a second: first by id, then by score.
 */
#ifndef AUD_RANKING_H
#define AUD_RANKING_H

#include <stddef.h>
#include <stdint.h>

#include "intern.h"

/*
 * Returns the indices of the customers of ids with keep[c] set (all when
 * keep is NULL) in that order; *count receives how many. score[c] must be
 * finite for those kept. The caller frees the result.
 */
uint32_t *ranking_order(const struct intern *ids, const double *score,
    const uint8_t *keep, size_t *count);

/* All of ids in ascending id order (the ties' order above). */
uint32_t *ranking_by_id(const struct intern *ids);

/* Each id's place in that order: comparing places compares ids. */
uint32_t *ranking_id_places(const struct intern *ids);

/*
 * The first want customers of that same order (all when there are fewer),
 * found in linear time: a selection finds the score of the want-th, and
 * only customers scoring at least that are sorted. *count receives how
 * many are returned, *total how many customers were kept in all.
 */
uint32_t *ranking_head(const struct intern *ids, const double *score,
    const uint8_t *keep, size_t want, size_t *count, size_t *total);

#endif
