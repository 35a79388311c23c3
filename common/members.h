/*
 * The members of a campaign export's audiences (aud-lift(1)): each
 * (product, customer) pair once, with its group, then marked converted by
 * the interactions that follow. Ids are compared as aud reads them
 * (intern.h), so "17" in the export is customer 17 of the stream.
 */
#ifndef AUD_MEMBERS_H
#define AUD_MEMBERS_H

#include <stddef.h>
#include <stdint.h>

#include "intern.h"
#include "lift.h"

struct members {
	struct intern *products, *customers;	/* products in export order */
	uint64_t *pair;			/* product << 32 | customer, sorted
					   after members_finish() */
	uint8_t *control, *converted;	/* per pair */
	size_t n, cap;
	uint64_t duplicates;		/* rows of a pair seen before */
	uint64_t conflicts;		/* pairs listed in both groups: kept
					   as the first row says */
};

void members_init(struct members *m);
void members_free(struct members *m);

/* Adds a row; returns -1 when there are too many distinct ids. */
int members_add(struct members *m, const struct id *product,
    const struct id *customer, int control);

/* Sorts the pairs and drops repeated ones. */
void members_finish(struct members *m);

/*
 * The members and conversions of each group, per product (in export
 * order: g[p][0] target, g[p][1] control; room for the products interned)
 * and over all pairs; returns the distinct customers.
 */
size_t members_count(const struct members *m, struct lift_group (*g)[2],
    struct lift_group *overall);

/* Marks the pair converted, if it is a member; returns 1 when it is. */
int members_mark(struct members *m, const struct id *product,
    const struct id *customer);

#endif
