/* msgpack read straight from bytes; see mpscan.h. */
#include "mpscan.h"

#include <stdint.h>
#include <string.h>

#include "xalloc.h"
#include "banned.h"

static uint64_t
be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* A signed integer as msgpack-c gives it: non-negative ones are positive. */
static void
set_int(msgpack_object *o, int64_t v)
{
	if (v >= 0) {
		o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.u64 = (uint64_t)v;
	} else {
		o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
		o->via.i64 = v;
	}
}

static uint64_t
be32(const unsigned char *p)
{
	return (uint64_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/*
 * mpscan_scalar, whole in mpscan_record's loop. The kinds records hold
 * most (ids and times as unsigned integers, names as short strings or nil)
 * are tested in turn before the table of every other kind: the jump
 * through that table, and integers read a byte at a time, took a fifth of
 * the append's first read (a record's fields repeat their kinds, so these
 * branches are foreseen).
 */
static inline __attribute__((always_inline)) size_t
scalar(const unsigned char *p, size_t avail, msgpack_object *o)
{
	size_t head, len;
	unsigned c;

	if (avail == 0)
		return 0;
	c = p[0];

	if (c == 0xce && avail >= 5) {
		o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.u64 = be32(p + 1);
		return 5;
	}
	if (c <= 0x7f) {
		o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.u64 = c;
		return 1;
	}
	if (c == 0xcf && avail >= 9) {
		o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.u64 = be32(p + 1) << 32 | be32(p + 5);
		return 9;
	}
	if (c >= 0xa0 && c <= 0xbf) {
		head = 1, len = c & 0x1f;
		goto str;
	}
	if (c == 0xc0) {
		o->type = MSGPACK_OBJECT_NIL;
		return 1;
	}
	if (c >= 0xe0) {
		o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
		o->via.i64 = (int8_t)c;
		return 1;
	}
	switch (c) {
	case 0xc2:
	case 0xc3:
		o->type = MSGPACK_OBJECT_BOOLEAN;
		o->via.boolean = c == 0xc3;
		return 1;
	case 0xcc: case 0xcd: case 0xce: case 0xcf: {
		int bytes = 1 << (c - 0xcc);

		if (avail < 1 + (size_t)bytes)
			return 0;
		o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.u64 = be(p + 1, bytes);
		return 1 + (size_t)bytes;
	}
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
		int bytes = 1 << (c - 0xd0);
		uint64_t v;

		if (avail < 1 + (size_t)bytes)
			return 0;
		v = be(p + 1, bytes);
		if (bytes < 8 && (v >> (8 * bytes - 1)) != 0)	/* sign-extend */
			v |= ~UINT64_C(0) << (8 * bytes);
		set_int(o, (int64_t)v);
		return 1 + (size_t)bytes;
	}
	case 0xca: {
		uint32_t bits;
		float f;

		if (avail < 5)
			return 0;
		bits = (uint32_t)be(p + 1, 4);
		memcpy(&f, &bits, sizeof(f));
		o->type = MSGPACK_OBJECT_FLOAT32;
		o->via.f64 = f;
		return 5;
	}
	case 0xcb: {
		uint64_t bits;

		if (avail < 9)
			return 0;
		bits = be(p + 1, 8);
		memcpy(&o->via.f64, &bits, sizeof(o->via.f64));
		o->type = MSGPACK_OBJECT_FLOAT64;
		return 9;
	}
	case 0xd9: case 0xda: case 0xdb:
		head = 1 + ((size_t)1 << (c - 0xd9));
		if (avail < head)
			return 0;
		len = (size_t)be(p + 1, (int)head - 1);
		goto str;
	default:
		return 0;
	}
str:
	if (avail < head || avail - head < len)
		return 0;
	o->type = MSGPACK_OBJECT_STR;
	o->via.str.ptr = (const char *)p + head;
	o->via.str.size = (uint32_t)len;
	return head + len;
}

size_t
mpscan_scalar(const unsigned char *p, size_t avail, msgpack_object *o)
{
	return scalar(p, avail, o);
}

size_t
mpscan_container(const unsigned char *p, size_t n, uint64_t *count, int *is_map)
{
	if (n == 0)
		return 0;
	*is_map = (p[0] >= 0x80 && p[0] <= 0x8f) || p[0] == 0xde || p[0] == 0xdf;
	if ((p[0] >= 0x80 && p[0] <= 0x9f)) {
		*count = p[0] & 0x0f;
		return 1;
	}
	if ((p[0] == 0xdc || p[0] == 0xde) && n >= 3) {
		*count = be(p + 1, 2);
		return 3;
	}
	if ((p[0] == 0xdd || p[0] == 0xdf) && n >= 5) {
		*count = be(p + 1, 4);
		return 5;
	}
	return 0;
}

size_t
mpscan_record(const unsigned char *p, size_t n, msgpack_object *val,
    size_t nfields)
{
	size_t at, used;
	uint64_t count;
	int is_map;

	if ((at = mpscan_container(p, n, &count, &is_map)) == 0 || is_map ||
	    count != nfields)
		return 0;
	for (size_t i = 0; i < nfields; i++) {
		if ((used = scalar(p + at, n - at, &val[i])) == 0)
			return 0;
		at += used;
	}
	return at;
}

/* The length of a binary or extension value at p, or 0. */
static size_t
opaque(const unsigned char *p, size_t n)
{
	static const unsigned char fixext[] = { 1, 2, 4, 8, 16 };
	size_t head, len;

	if (p[0] >= 0xd4 && p[0] <= 0xd8)
		head = 2, len = fixext[p[0] - 0xd4];
	else if (p[0] >= 0xc4 && p[0] <= 0xc6) {	/* bin 8, 16, 32 */
		head = 1 + ((size_t)1 << (p[0] - 0xc4));
		if (n < head)
			return 0;
		len = (size_t)be(p + 1, (int)head - 1);
	} else if (p[0] >= 0xc7 && p[0] <= 0xc9) {	/* ext 8, 16, 32 */
		head = 2 + ((size_t)1 << (p[0] - 0xc7));
		if (n < head)
			return 0;
		len = (size_t)be(p + 1, (int)head - 2);
	} else
		return 0;
	return n >= head && n - head >= len ? head + len : 0;
}

int
mpscan_walk(struct mpscan_walk *w, const unsigned char *p, size_t n)
{
	if (w->at == 0 && w->pending == 0)
		w->pending = 1;		/* a new walk: the object itself */
	while (w->pending > 0) {
		msgpack_object o;
		uint64_t count;
		size_t used;
		int is_map;

		if (w->at >= n)
			return 0;
		if (p[w->at] == 0xc1)	/* the one byte msgpack never uses */
			return -1;
		if ((used = mpscan_container(p + w->at, n - w->at, &count,
		    &is_map)) > 0)
			w->pending += is_map ? 2 * count : count;
		else if ((used = mpscan_scalar(p + w->at, n - w->at, &o)) == 0 &&
		    (used = opaque(p + w->at, n - w->at)) == 0)
			return 0;	/* every other byte starts a value: cut */
		w->at += used;
		w->pending--;
	}
	return 1;
}

size_t
mpscan_skip(const unsigned char *p, size_t n)
{
	struct mpscan_walk w = { 0, 0 };

	return mpscan_walk(&w, p, n) == 1 ? w.at : 0;
}

char *
mpscan_copy_without(const unsigned char *p, size_t n, size_t at, size_t len,
    size_t *copy_len)
{
	char *copy;

	if (len == 0)
		at = n;
	*copy_len = n - len + (len > 0);
	copy = xmalloc(*copy_len);
	memcpy(copy, p, at);
	if (len > 0) {
		copy[at] = (char)0xc0;
		memcpy(copy + at + 1, p + at + len, n - at - len);
	}
	return copy;
}
