/*
 * aud-lift's report: per product (in export order) and over all members,
 * each group's conversion and what the campaign did (lift.h), as JSON or as
 * text for people.
 */
#ifndef AUD_LIFTREPORT_H
#define AUD_LIFTREPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "intern.h"
#include "lift.h"

struct lift_report {
	int64_t since, until;		/* the window, [since, until) */
	double days;
	const char *event;		/* the event that counts, or NULL: any */
	const struct intern *products;	/* in export order */
	const struct lift_group (*g)[2];	/* per product: target, control */
	struct lift_group overall[2];
	size_t pairs, distinct_customers;
	uint64_t duplicates, conflicts;
};

void lift_write_json(FILE *out, const struct lift_report *r);
void lift_write_text(FILE *out, const struct lift_report *r);

#endif
