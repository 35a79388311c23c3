/*
 * The audience model: a record stream of kind "audiences". When every
 * audience is drawn from one global ranking of customers, the header holds the
 * head of that ranking (customers and scores, as far down as any audience
 * reaches; its first 100 are the cold-start list), and each product's
 * record holds its id, name and the places of its audience in the ranking,
 * mostly one byte each. A product-aware model's records hold their own
 * customers, scores and reasons first (format version 2), then the rest of
 * the audience, drawn from the ranking, as places in it (version 5; before,
 * as customers too, and the header held only the cold-start list). The
 * trailer also holds an index, so that one product's audience is found by
 * memory-mapping the file and a binary search, without reading the rest. The layout is in aud-stream(5).
 *
 * Ownership: what model_lookup() hands out points into the mapped file or
 * into the audience's own unpacked record, valid until audience_free() or
 * model_close().
 */
#ifndef AUD_MODEL_H
#define AUD_MODEL_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "catindex.h"
#include "cooc.h"
#include "intern.h"
#include "names.h"
#include "packbuf.h"

/* What the model records about itself (the header's "model" map). */
struct model_meta {
	const char *score;		/* "engagement" or "activity" */
	uint64_t top_n, products, interactions;
	uint64_t depth;			/* customers a record holds (>= top_n):
					   the candidates of campaign exports */
	uint64_t named_products;	/* products with a name in the records */
	size_t customers;		/* with a score: the candidates */
	int64_t first_time, last_time;	/* of the interactions used */
	const char *features_source, *interactions_source;
	const char *interactions_fingerprint;	/* or NULL */
	int quick;			/* a 10% sample of products */
	uint64_t seed;
	uint64_t fallback_size;		/* the cold-start list: the ranking's head */
	/* Set for a product-aware model, whose records carry their own
	   customers, scores and reasons (format version 2): its settings. */
	const struct cooc_params *cooc;
	double blend;
	double new_blend;		/* engagement's weight in a new
					   product's audience (version 4) */
	int categories;			/* its records carry categories
					   (format version 3) */
};

/* One customer of a product-aware audience. */
struct model_target {
	struct id customer;
	double score;
	const struct id *reason;	/* the product that brought them, or NULL */
	int by_category;		/* instead: the product's category */
};

/* A product-aware model's record. */
struct model_record {
	const struct id *product;
	const char *name;		/* or NULL */
	const char *category;		/* or NULL; not NUL-terminated */
	size_t category_len;
	const struct model_target *targets;	/* its audience, best first */
	size_t n;
	/* Then the rest of it: places in the ranking head given to
	   model_writer_new(), each customer scored as there. */
	const uint32_t *fallback;
	size_t nfallback;
	/* Its heaviest buyers (score: their weight for the product), for
	   audiences of products known only by a name like this one's. */
	const struct model_target *buyers;
	const double *buyer_engagement;	/* their engagement scores */
	size_t nbuyers;
	double weight;			/* all its customers' weights: the
					   order of its category's products */
};

/* A product-aware model's settings, as its header's model.cooccurrence
   (a shard's part carries the same). */
void model_pack_cooc(msgpack_packer *pk, const struct model_meta *m);

/* The cold-start list: the head of the ranking a model holds, 100 long. */
#define MODEL_FALLBACK_SIZE 100

/*
 * How far down the ranking a model of one global order holds: no audience
 * of depth customers reaches past depth plus the most customers a product
 * has (they are skipped), and the cold-start list is held whole. A
 * product-aware audience may fill depth more places from the order.
 */
size_t model_head_want(size_t depth, size_t max_customers, int product_aware);

/* Writing: header, then one model_add() per product, then model_finish(). */
struct model_writer;

/*
 * Starts a model on out with the head of the ranking: nranking customers
 * with their scores, best first; every place given to model_add() must be
 * below nranking.
 */
struct model_writer *model_writer_new(FILE *out, const struct model_meta *meta,
    const char *source, const struct id *ranking, const double *ranking_score,
    size_t nranking);
void model_add(struct model_writer *w, const struct id *product,
    const char *name, const uint32_t *places, size_t n);
/*
 * A product-aware model's record is packed apart, so that the cores pack
 * records side by side: model_pack_record() puts r into b, which has room
 * for model_record_bound(r) bytes; model_add_packed() then writes those
 * len bytes as the next record, and indexes it by r's product, name and
 * category (only those of r are read).
 */
size_t model_record_bound(const struct model_record *r);
void model_pack_record(struct packbuf *b, const struct model_record *r);
void model_add_packed(struct model_writer *w, const struct model_record *r,
    const void *bytes, size_t len);
/* Writes the index and the trailer. Returns 0, or -1 with errno set. */
int model_finish(struct model_writer *w);

/* Reading. */
struct model {
	const unsigned char *map;
	size_t size;
	msgpack_unpacked header;		/* all but the ranking */
	char *header_bytes;			/* what header points into */
	const msgpack_object *meta;		/* the header's "model" map */
	uint64_t nranking;			/* customers in the ranking head */
	uint32_t *customer_at, *score_at;	/* where some lie in map (model.c) */
	uint64_t fallback_size;
	int per_record;				/* records carry their customers */
	size_t nfields;				/* of a record */
	struct names names;			/* their names' words */
	struct catindex categories;		/* their categories */
	msgpack_unpacked trailer;
	const unsigned char *index;		/* 16-byte entries */
	uint64_t nrecords, nint;		/* entries; integer-id entries first */
	size_t header_end, index_end;		/* records lie between */
};

struct audience {
	const msgpack_object *product_id;	/* NULL for the fallback */
	const msgpack_object *name;		/* a str, or NULL */
	const msgpack_object *places;		/* NULL for the fallback and
						   in a product-aware model */
	const msgpack_object *customers, *scores, *reasons;	/* or these */
	const msgpack_object *tail;		/* then these places, or NULL */
	const msgpack_object *buyers, *buyer_weights;
	const msgpack_object *buyer_engagement;	/* or NULL: before version 4 */
	const msgpack_object *category;		/* a str, or NULL */
	const char *reason_kind;		/* of id reasons: NULL for
						   "similar", else "name"; a
						   reason true is the category */
	size_t size;				/* customers in the audience */
	const uint8_t *control;			/* per customer: 1 held out, 0
						   a target; NULL: no groups
						   (campaign.h) */
	int fallback;				/* 1: the cold-start list */
	msgpack_unpacked record;
	msgpack_object *owned;			/* arrays made for a name */
};

/* Maps and checks path. Returns 0, or -1 with err filled. */
int model_open(struct model *m, const char *path, char *err, size_t errlen);
/* The audience size the model was built for (its top_n), 0 if unknown. */
uint64_t model_top_n(const struct model *m);
/* The customers the model holds per product (its depth, or top_n for a
   model older than depth), 0 if unknown: the most any audience of it may
   ask for. */
uint64_t model_depth(const struct model *m);
/* How many of its products have a name (0 for a model older than the
   count): whether tables of it carry a product_name column. */
uint64_t model_named_products(const struct model *m);
void model_close(struct model *m);

/*
 * Finds product's audience. Returns 1 when the model has it, 0 when it does
 * not (a then holds the fallback list), -1 for a corrupt model (err filled).
 * Free a with audience_free() after either of the first two; after -1 it
 * holds nothing (freeing it again is harmless). The same holds for
 * model_entry() and model_next() below.
 */
int model_lookup(const struct model *m, const struct id *product,
    struct audience *a, char *err, size_t errlen);
void audience_free(struct audience *a);

/* A product the model has not seen: its name, its category, or both. */
struct new_product {
	const char *name, *category;	/* NULL when not known */
	size_t name_len, category_len;
};

/*
 * The audience of a product the model has not seen: first the buyers of
 * the products whose names are most like its name (names.h), each scored
 * by the sum over those products of the names' cosine times the buyer's
 * weight, best first (ties: the lower customer id), the product that gave
 * most as the reason; then the buyers of the heaviest products of its
 * category, scored by the sum of their weights, the category as the
 * reason; then the cold-start list. Returns 1 when the name or the
 * category brought anyone, 0 for the cold-start list alone, -1 for a
 * corrupt model (err filled). Free a with audience_free().
 */
int model_new_audience(const struct model *m, const struct new_product *p,
    size_t n, struct audience *a, char *err, size_t errlen);

/* The product whose record starts at offset (as names_search gives). */
int model_record_at(const struct model *m, uint64_t offset, struct audience *a,
    char *err, size_t errlen);

/*
 * The product of the i-th index entry (i < m->nrecords) into a, for
 * sampling products: 1, or -1 for a corrupt model.
 */
int model_entry(const struct model *m, uint64_t i, struct audience *a,
    char *err, size_t errlen);

/*
 * Walks the records in file order, for exports: start with *at = 0; each
 * call fills a with the next product's audience and returns 1, then 0 at
 * the end, -1 for a corrupt model. Memory stays constant.
 */
int model_next(const struct model *m, uint64_t *at, struct audience *a,
    char *err, size_t errlen);

/*
 * Whether an audience's i-th customer (i < a->size) comes from the ranking
 * head, and at which place: not those a product-aware record holds itself.
 */
int audience_ranked(const struct audience *a, size_t i);
size_t audience_place(const struct audience *a, size_t i);

/* The i-th customer of an audience (i < a->size) and its score. */
msgpack_object audience_customer(const struct model *m,
    const struct audience *a, size_t i);
double audience_score(const struct model *m, const struct audience *a, size_t i);

/* Why the i-th customer is there: the product that brought them, true
   for the product's category (a->category), or nil (the model's score, or
   the fallback order). */
msgpack_object audience_reason(const struct audience *a, size_t i);

/* The customer at a place of the ranking head (< m->nranking), and its score. */
msgpack_object model_ranked_customer(const struct model *m, size_t place);
double model_ranked_score(const struct model *m, size_t place);

#endif
