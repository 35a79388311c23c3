/*
 * Reading back what aud-prepare wrote: the header of an interactions
 * stream as the append and the merge of pieces need it (its counts, bot
 * rule, event dictionary, shard and bot lists), checked.
 */
#ifndef AUD_PREPARED_H
#define AUD_PREPARED_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "intern.h"
#include "prepare.h"

struct stream_reader;

struct prepared {
	struct prep_counts counts;	/* as the header has them */
	uint64_t bot_threshold;
	int has_category;
	uint32_t shard[2];		/* index and count; count 0: none */
	/* Borrowed from the reader's header: arrays of strings, of ids, and
	   of [product, name or nil, category or nil]. */
	const msgpack_object *events, *bot_ids, *bot_labels;
};

/*
 * Fills h from r's header, its bot lists checked (ids; [id, string or nil,
 * string or nil]). Returns 0, or -1 with err naming the stream: not
 * interactions of aud-prepare, no counts, malformed bot lists, or written
 * before the bot lists were kept (then prepare it again).
 */
int prepared_header(const struct stream_reader *r, struct prepared *h,
    char *err, size_t errlen);

/* Entry i of h's bot_product_labels: the product, and its name and
   category as strings, or NULL for nil. */
void prepared_bot_label(const struct prepared *h, size_t i, struct id *product,
    const msgpack_object **name, const msgpack_object **category);

/* One record of such a stream. */
struct prepared_record {
	struct id customer, product;
	uint8_t event;			/* an index in h->events */
	int64_t time;
	const msgpack_object *label[2];	/* name, category: strings, or NULL */
};

/*
 * Checks record rec of a stream whose header is h, the one before it
 * at time previous (INT64_MIN for the first), and fills r. Returns NULL,
 * or what is wrong with it.
 */
const char *prepared_record(const struct prepared *h, const msgpack_object *rec,
    int64_t previous, struct prepared_record *r);

#endif
