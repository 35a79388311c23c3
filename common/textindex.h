/*
 * A sorted index of strings kept in a model's trailer, as the name and
 * category indexes keep theirs: a text of strings each followed by a NUL,
 * and 12-byte entries sorted by their strings' bytes (little-endian
 * uint32: the string's offset in the text, its first posting, its number
 * of postings). Read in place; an entry whose string does not lie in the
 * text compares as past every other, so a corrupt index finds nothing
 * rather than reading outside it.
 */
#ifndef AUD_TEXTINDEX_H
#define AUD_TEXTINDEX_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

struct textindex {
	const char *text;
	size_t text_len;
	const unsigned char *entry;
	size_t n;			/* entries */
};

/* Takes the text and entries from a trailer's two bins; -1 when either is
   missing, not a bin, or the entries are not whole. */
int textindex_set(struct textindex *t, const msgpack_object *text,
    const msgpack_object *entries);

/* Entry i's string against s[0..len) (as a prefix of it when prefix is
   set): <0, 0, >0. */
int textindex_cmp(const struct textindex *t, size_t i, const char *s,
    size_t len, int prefix);

/* The first entry whose string is >= s[0..len). */
size_t textindex_lower(const struct textindex *t, const char *s, size_t len);

/* Entry i's postings [*from, *from + *count); -1 when they do not lie
   within npostings. */
int textindex_postings(const struct textindex *t, size_t i, size_t npostings,
    uint64_t *from, uint64_t *count);

#endif
