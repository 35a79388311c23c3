/*
 * Decoding of the common record shape, an array of scalars, straight from
 * bytes: tens of millions of records are read this way instead of through
 * msgpack-c's unpacker, which builds every value in a zone. Anything else
 * is left to msgpack-c, so the two must agree value for value: the unit test
 * compares them on every kind and width msgpack has.
 */
#ifndef AUD_FLATREC_H
#define AUD_FLATREC_H

#include <msgpack.h>
#include <stddef.h>

/*
 * If the n bytes at p begin with a whole array of exactly nfields values,
 * each an integer, float, string, nil or boolean, fills val[0..nfields) as
 * msgpack-c would (strings point into p) and returns the array's length in
 * bytes. Otherwise returns 0 and the caller decodes with msgpack-c: another
 * length or kind of object, nested values, binary or extension types, bytes
 * that are not msgpack, or an array cut short by the end of the bytes.
 */
size_t flatrec_decode(const unsigned char *p, size_t n, msgpack_object *val,
    size_t nfields);

#endif
