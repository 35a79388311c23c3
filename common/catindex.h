/*
 * The index of product categories in a product-aware model, for new
 * products known by their category: each category with its products,
 * the most bought first. In the model's trailer, three bins:
 * "category_names", the distinct categories sorted bytewise, each followed
 * by a NUL; "category_index", 12 bytes a category (little-endian uint32:
 * its offset in category_names, its first posting, its number of
 * postings); "category_postings", 8 bytes a product (uint64 record
 * offset), by category, then by weight (the sum of its customers'
 * weights, heavier first; ties: the lower offset).
 */
#ifndef AUD_CATINDEX_H
#define AUD_CATINDEX_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "textindex.h"

struct catindex_builder;

struct catindex_builder *catindex_builder_new(void);
void catindex_add(struct catindex_builder *b, uint64_t record_offset,
    const char *category, size_t len, double weight);
/* Packs the three trailer entries (key, value) and frees b. */
void catindex_pack(struct catindex_builder *b, msgpack_packer *pk);
#define CATINDEX_ENTRIES 3

struct catindex {
	struct textindex categories;	/* category_names, category_index */
	const unsigned char *postings;
	size_t npostings;
};

/* Takes the index from a model's trailer map; 0 (an empty index when it
   has none), or -1 when its parts do not fit together. */
int catindex_open(struct catindex *c, const msgpack_object *trailer);

/*
 * The record offsets of category's products, heaviest first: at most max
 * into out. Returns how many (0 for a category the model does not have).
 */
size_t catindex_products(const struct catindex *c, const char *category,
    size_t len, uint64_t *out, size_t max);

#endif
