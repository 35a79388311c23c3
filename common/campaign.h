/*
 * Campaign exports (aud-query(1), "Campaigns"): the audiences of a list of
 * products under a campaign's rules. A suppressed customer is never in an
 * audience, and the next candidate takes the place. With a cap C, each
 * customer is in at most C audiences: places are given best first over
 * all (product, customer) candidates, each product's in the order of its
 * audience (a product whose next candidate scores highest goes first;
 * ties: the product listed first), so a customer goes to the products
 * where they score highest, and a product whose candidate is taken goes
 * on to its next. A holdout marks each chosen customer as control or
 * target by a keyed hash, reproducible and independent of input order and
 * of the other products.
 *
 * Candidates are the customers a model holds for a product (its depth),
 * so the more it holds beyond the audience size, the more places can be
 * refilled.
 */
#ifndef AUD_CAMPAIGN_H
#define AUD_CAMPAIGN_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "intern.h"
#include "model.h"

struct campaign_params {
	size_t n;			/* customers per audience */
	uint64_t max_per_customer;	/* 0: no cap */
	double holdout;			/* percent held out, 0: none */
	const char *salt;		/* the holdout's key */
	const struct intern *exclude;	/* suppressed customers, or NULL */
};

/* A product of the export: what the formatter needs besides customers. */
struct campaign_product {
	msgpack_object id;		/* as given */
	msgpack_object name, category;	/* nil when it has none */
	int fallback;			/* the cold-start list */
	size_t first, count;		/* its candidates */
	size_t chosen;
};

struct campaign_candidate {
	msgpack_object customer, reason;	/* into the model */
	double score;
	uint8_t chosen, control;
};

struct campaign {
	struct campaign_params p;
	struct campaign_product *product;
	size_t nproducts, products_cap;
	struct campaign_candidate *c;
	size_t n, cap;
	uint64_t suppressed;		/* candidates left out */
	uint64_t unfilled;		/* places no candidate was left for */
	uint64_t controls;		/* chosen customers held out */
};

void campaign_init(struct campaign *c, const struct campaign_params *p);
void campaign_free(struct campaign *c);

/* Adds a product (its id as given) with its audience in the model as the
   candidates, best first, less the suppressed customers. */
void campaign_add(struct campaign *c, const struct model *m,
    const msgpack_object *product, const struct audience *a);

/* Chooses the customers of every product, and their groups. */
void campaign_assign(struct campaign *c);

/*
 * Whether a customer of a product's audience is in the control group: the
 * XXH3-64 hash of the salt, a NUL, the product id, a NUL and the customer
 * id (ids as written in the export) below holdout / 100 * 2^64.
 */
int campaign_is_control(const struct campaign_params *p,
    const msgpack_object *product, const msgpack_object *customer);

/*
 * The chosen customers of product i as an audience for audfmt (ranks in
 * order), with control set per customer when there is a holdout. Free with
 * campaign_view_free().
 */
struct campaign_view {
	struct audience a;
	msgpack_object *o;
	uint8_t *control;
};

void campaign_view(const struct campaign *c, size_t i, struct campaign_view *v);
void campaign_view_free(struct campaign_view *v);

#endif
