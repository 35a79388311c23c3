/*
 * An interactions stream (aud-prepare's output) loaded into memory column by
 * column, with customers and products interned to dense indices, for the
 * tools that need all rows at once (aud-features, aud-rank). Rows keep the
 * stream's order, which is ascending time.
 */
#ifndef AUD_INTERACTIONS_H
#define AUD_INTERACTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "intern.h"
#include "stream.h"

struct interactions {
	size_t n;
	uint32_t *customer, *product;	/* indices into the tables below */
	uint8_t *event;			/* index into event_names */
	int64_t *time;			/* ms since the epoch, ascending */
	struct intern *customers, *products;
	char **event_names;
	size_t nevents;
	uint64_t *name_at;		/* per product: offset in names + 1,
					   0 when unknown (or not loaded) */
	char *names;			/* NUL-terminated names */
	size_t names_len, names_cap;
	struct intern *categories;	/* string ids; NULL when the stream
					   has none (or they were not loaded) */
	uint32_t *category_of;		/* per product: index in categories,
					   or INTERACTIONS_NO_CATEGORY */
	char *source;			/* the stream's provenance source, or NULL */
	uint32_t shard, nshards;	/* which customer shard it is (shard.h);
					   nshards 0: the whole data */
	int products_indexed;		/* products can be looked up again, */
	size_t products_cap;		/* and name_at and category_of have
					   room for this many */
	int customers_indexed, categories_indexed;	/* can be looked up */
	char fingerprint[STREAM_FINGERPRINT_LEN];	/* its trailer's, or "" */
};

#define INTERACTIONS_NO_CATEGORY UINT32_MAX

/*
 * Reads a whole interactions stream from in (name for messages); product
 * names and categories are kept only if with_names is set. Afterwards the id tables are
 * frozen (intern_freeze): ids can be read, not looked up. Returns 0, or -1
 * with err filled: a stream of another kind, a damaged stream, rows out of
 * time order, or an event index outside the dictionary.
 */
int interactions_load(struct interactions *ia, FILE *in, const char *name,
    int with_names, char *err, size_t errlen);
void interactions_free(struct interactions *ia);
/* Frees the rows alone (n becomes 0): the ids, names and categories stay. */
void interactions_free_rows(struct interactions *ia);

/*
 * Adds a product the rows do not name (another customer shard's), its name
 * and category unknown; returns its index (the one it has when known), or
 * UINT32_MAX when the table is full. Only after interactions_load.
 */
uint32_t interactions_add_product(struct interactions *ia, const struct id *id);

/*
 * Gives product p, when its category is unknown, the one labelled label
 * (another shard's word for it); returns p's category then, or
 * INTERACTIONS_NO_CATEGORY when the interactions have no categories or
 * the table of them is full.
 */
uint32_t interactions_set_category(struct interactions *ia, size_t p,
    const struct id *label);

/* The index of customer id, or UINT32_MAX when the rows have none. */
uint32_t interactions_find_customer(struct interactions *ia,
    const struct id *id);

/* Product p's name, or NULL when it is unknown. */
const char *interactions_product_name(const struct interactions *ia, size_t p);

/* Product p's category (an index in ia->categories), or
   INTERACTIONS_NO_CATEGORY; and how many categories there are. */
uint32_t interactions_category(const struct interactions *ia, size_t p);
size_t interactions_ncategories(const struct interactions *ia);

/* The index of an event name, or -1 when the data has no such event. */
int interactions_event(const struct interactions *ia, const char *name);

#endif
