/*
 * A msgpack packer that writes into memory already known to be large
 * enough, for the loops that pack tens of millions of records. msgpack-c's
 * own packer hands every value to a callback through a function pointer,
 * which then copies a few bytes: at 43M feature records that call was 40%
 * of aud-features' writing. This instantiates msgpack-c's own pack template
 * (the one its packer is made from) with an append that is a memcpy of a
 * constant size, so a value costs a few stores and the encoding stays
 * msgpack-c's.
 *
 * Usage: p = stream_record_space(w, bound); packbuf_... (&p, ...);
 * stream_record_done(w, &p); where bound is at least the bytes packed.
 */
#ifndef AUD_PACKBUF_H
#define AUD_PACKBUF_H

#include <msgpack.h>
#include <stdint.h>
#include <string.h>

#include "intern.h"

struct packbuf {
	unsigned char *p;	/* where the next byte goes */
};

static inline int
packbuf_append(struct packbuf *b, const void *bytes, size_t n)
{
	memcpy(b->p, bytes, n);
	b->p += n;
	return 0;
}

/* pack.h has instantiated the template with these two for msgpack_packer. */
#undef msgpack_pack_inline_func_cint
#undef msgpack_pack_inline_func_fixint
#define msgpack_pack_inline_func(name) static inline int packbuf_pack ## name
#define msgpack_pack_inline_func_cint(name) static inline int packbuf_pack ## name
#define msgpack_pack_inline_func_fixint(name) static inline int packbuf_pack_fix ## name
#define msgpack_pack_user struct packbuf *
#define msgpack_pack_append_buffer(user, buf, len) \
	return packbuf_append(user, buf, len)
#include <msgpack/pack_template.h>
#undef msgpack_pack_inline_func_cint
#undef msgpack_pack_inline_func_fixint

/* The most bytes any single number takes: a marker and 8 bytes. */
#define PACKBUF_NUMBER 9

/* The most bytes packbuf_id() takes for id. */
static inline size_t
packbuf_id_bound(const struct id *id)
{
	return id->is_str ? 5 + (size_t)id->len : PACKBUF_NUMBER;
}

/* A string of len bytes, which take at most 5 + len. */
static inline void
packbuf_str(struct packbuf *b, const char *s, size_t len)
{
	packbuf_pack_str(b, len);
	packbuf_pack_str_body(b, s, len);
}

/* An id: an integer, or a string of its bytes. */
static inline void
packbuf_id(struct packbuf *b, const struct id *id)
{
	if (id->is_str)
		packbuf_str(b, id->str, id->len);
	else
		packbuf_pack_int64(b, id->num);
}

/*
 * A "float" value: as a float 32 when that holds it exactly (counts,
 * halves, 3.0), else as a float 64. Readers get the same double either way;
 * the stream is a fifth smaller.
 */
static inline void
packbuf_float(struct packbuf *b, double v)
{
	float f = (float)v;

	if ((double)f == v)
		packbuf_pack_float(b, f);
	else
		packbuf_pack_double(b, v);
}

#endif
