/*
 * msgpack read straight from bytes, for the hot paths: tens of millions of
 * records (arrays of scalars) are decoded this way instead of through
 * msgpack-c's unpacker, which builds every value in a zone, and a model's
 * ranking is read in place, one customer at a time. What these functions
 * decline is left to msgpack-c, and where they decode they must agree with
 * it value for value: the unit test compares them on every kind and width
 * msgpack has.
 */
#ifndef AUD_MPSCAN_H
#define AUD_MPSCAN_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

/*
 * If the n bytes at p begin with a whole array of exactly nfields values,
 * each an integer, float, string, nil or boolean, fills val[0..nfields) as
 * msgpack-c would (strings point into p) and returns the array's length in
 * bytes. Otherwise returns 0 and the caller decodes with msgpack-c: another
 * length or kind of object, nested values, binary or extension types, bytes
 * that are not msgpack, or an array cut short by the end of the bytes.
 */
size_t mpscan_record(const unsigned char *p, size_t n, msgpack_object *val,
    size_t nfields);

/* One scalar, as above: its length, or 0 when not a whole scalar. */
size_t mpscan_scalar(const unsigned char *p, size_t n, msgpack_object *o);

/*
 * The head of an array or map: sets *count (pairs, for a map) and *is_map
 * and returns the head's length, or 0 when p holds no whole head of one.
 */
size_t mpscan_container(const unsigned char *p, size_t n, uint64_t *count,
    int *is_map);

/*
 * A walk over one object's values, token by token, that resumes where the
 * bytes ran out: at is how far it has come, pending how many values are
 * still to come (each takes a byte at least). Zeroed to begin.
 */
struct mpscan_walk {
	size_t at;
	uint64_t pending;
};

/*
 * Walks on through the n bytes at p (the object's start; the bytes may have
 * moved since the last call, and grown). Returns 1 when the whole object
 * lies in them (its length is w->at), 0 when it goes on past them, -1 when
 * they are not msgpack. Readers walk an object before msgpack-c decodes it,
 * so that no container head claiming more values than the input holds can
 * make msgpack-c allocate for them.
 */
int mpscan_walk(struct mpscan_walk *w, const unsigned char *p, size_t n);

/* The length of the whole object at p, or 0 when it is cut short or garbled. */
size_t mpscan_skip(const unsigned char *p, size_t n);

/*
 * A copy (the caller's to free) of the n bytes at p, one object, in which
 * the value of len bytes at offset at is nil; *copy_len is its length. A
 * header's ranking, megabytes read in place, is left out so that msgpack-c
 * decodes the few hundred bytes of the rest. len 0: a plain copy.
 */
char *mpscan_copy_without(const unsigned char *p, size_t n, size_t at,
    size_t len, size_t *copy_len);

#endif
