/* A sorted index of strings in a model's trailer; see textindex.h. */
#include "textindex.h"

#include <string.h>

#include "le.h"
#include "banned.h"

int
textindex_set(struct textindex *t, const msgpack_object *text,
    const msgpack_object *entries)
{
	if (text == NULL || text->type != MSGPACK_OBJECT_BIN || entries == NULL ||
	    entries->type != MSGPACK_OBJECT_BIN || entries->via.bin.size % 12 != 0)
		return -1;
	t->text = text->via.bin.ptr;
	t->text_len = text->via.bin.size;
	t->entry = (const unsigned char *)entries->via.bin.ptr;
	t->n = entries->via.bin.size / 12;
	return 0;
}

int
textindex_cmp(const struct textindex *t, size_t i, const char *s, size_t len,
    int prefix)
{
	uint32_t off = le_get32(t->entry + i * 12);
	const char *e = t->text + off;
	size_t avail = off < t->text_len ? t->text_len - off : 0;
	size_t elen = avail ? strnlen(e, avail) : 0;
	int c;

	if (elen == avail)	/* no NUL in what is left */
		return 1;
	c = memcmp(e, s, elen < len ? elen : len);
	if (c != 0)
		return c;
	if (prefix && elen >= len)
		return 0;
	return (elen > len) - (elen < len);
}

size_t
textindex_lower(const struct textindex *t, const char *s, size_t len)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (textindex_cmp(t, mid, s, len, 0) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
textindex_postings(const struct textindex *t, size_t i, size_t npostings,
    uint64_t *from, uint64_t *count)
{
	*from = le_get32(t->entry + i * 12 + 4);
	*count = le_get32(t->entry + i * 12 + 8);
	return *from <= npostings && *count <= npostings - *from ? 0 : -1;
}
