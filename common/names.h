/*
 * The index of product names in a product-aware model, for products known
 * only by name: the words of every name (tokens.h), each with the products
 * that have it, weighted by TF-IDF (a word counts once in a name; idf is
 * ln(N / df) for N named products, df of them with the word; a product's
 * weights are divided by their Euclidean norm). The cosine of two names is
 * then the sum over shared words of the products of their weights.
 *
 * In the model's trailer, three bins: "name_words", the distinct words,
 * sorted bytewise, each followed by a NUL; "name_index", 12 bytes a word
 * (little-endian uint32: the word's offset in name_words, its first
 * posting, its number of postings); "name_postings", 12 bytes a posting
 * (uint64 record offset, float32 weight), by word, then by offset; and
 * "name_products", N.
 */
#ifndef AUD_NAMES_H
#define AUD_NAMES_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "textindex.h"

/* Writing: every named product's record offset and name, then the bins. */
struct names_builder;

struct names_builder *names_builder_new(void);
void names_add(struct names_builder *b, uint64_t record_offset,
    const char *name, size_t len);
/* Packs the four trailer entries (key, value) and frees b. */
void names_pack(struct names_builder *b, msgpack_packer *pk);
#define NAMES_ENTRIES 4

/* Reading, in place in a mapped model. */
struct names {
	struct textindex words;		/* name_words and name_index */
	const unsigned char *postings;
	size_t npostings;
	uint64_t nproducts;
};

/* Takes the index from a model's trailer map; 0 (an empty index when it
   has none), or -1 when its parts do not fit together. */
int names_open(struct names *n, const msgpack_object *trailer);

struct name_match {
	uint64_t record;	/* offset of the product's record */
	double cosine;
};

/*
 * The products whose names are most like name: at most max, by cosine
 * (ties: the lower offset), each with cosine > 0. Words in more than a
 * twentieth of the names are passed over (they say little of a product,
 * and reading them would cost a share of the whole index), the others are
 * taken rarest first and their postings read up to a bound of 10,000, so a
 * query stays cheap however common its words. Returns how many.
 */
size_t names_similar(const struct names *n, const char *name, size_t len,
    struct name_match *out, size_t max);

/*
 * Products with, for every word of q, a word of their name that starts
 * with it ("mu" finds "Mug"): at most max record offsets, ascending.
 */
size_t names_search(const struct names *n, const char *q, size_t len,
    uint64_t *out, size_t max);

#endif
