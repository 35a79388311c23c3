/*
 * aud-prepare --merge: streams aud-prepare wrote from separate exports (a
 * day each, say, prepared on different machines; or each export's piece
 * of one customer shard) cleaned together, as if their exports had been
 * read at once in the order given: duplicates across pieces go (the
 * earlier piece's row stays), the bot rule counts a customer's rows of a
 * day in all pieces, a bot of one piece is a bot of all, a product keeps
 * the first piece's name (aud-prepare(1), "Merging pieces").
 */
#ifndef AUD_PIECES_H
#define AUD_PIECES_H

#include <stddef.h>

struct prep;

/*
 * Reads the pieces at paths[0..n) into p (fresh from prep_new) for
 * prep_clean and prep_write. Returns 0, or -1 with err filled: a piece
 * that cannot be read or is not aud-prepare's, pieces of different
 * shards, another --bot-threshold than p's, categories in some only, or
 * the same piece twice.
 */
int pieces_read(struct prep *p, const char *const *paths, size_t n, char *err,
    size_t errlen);

#endif
