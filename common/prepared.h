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
 * Fills h from r's header. Returns 0, or -1 with err naming the stream:
 * not interactions of aud-prepare, no counts, or written before the bot
 * lists were kept (then prepare it again).
 */
int prepared_header(const struct stream_reader *r, struct prepared *h,
    char *err, size_t errlen);

#endif
