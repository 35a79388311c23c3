/* The index of product categories; see catindex.h. */
#include "catindex.h"

#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "stream.h"
#include "xalloc.h"
#include "banned.h"

struct entry {
	size_t category;		/* offset in text */
	uint64_t record;
	double weight;
};

struct catindex_builder {
	struct entry *e;
	size_t n, cap;
	char *text;			/* the categories, NUL-terminated */
	size_t len, text_cap;
};

struct catindex_builder *
catindex_builder_new(void)
{
	return xcalloc(1, sizeof(struct catindex_builder));
}

void
catindex_add(struct catindex_builder *b, uint64_t record_offset,
    const char *category, size_t len, double weight)
{
	b->e = xgrow(b->e, &b->cap, b->n + 1, sizeof(*b->e));
	b->text = xgrow(b->text, &b->text_cap, b->len + len + 1, 1);
	memcpy(b->text + b->len, category, len);
	b->text[b->len + len] = '\0';
	b->e[b->n++] = (struct entry){ b->len, record_offset, weight };
	b->len += len + 1;
}

static const char *sort_text;	/* qsort has no context argument */

static int
by_category_weight(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	int c = strcmp(sort_text + a->category, sort_text + b->category);

	if (c != 0)
		return c;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	return (a->record > b->record) - (a->record < b->record);
}

void
catindex_pack(struct catindex_builder *b, msgpack_packer *pk)
{
	unsigned char *index = xmalloc(b->n * 12 + 1);
	unsigned char *postings = xmalloc(b->n * 8 + 1);
	char *names = xmalloc(b->len + 1);
	size_t ng = 0, names_len = 0;

	sort_text = b->text;
	if (b->n > 0)	/* qsort's base may not be NULL, even for none */
		qsort(b->e, b->n, sizeof(*b->e), by_category_weight);
	for (size_t i = 0; i < b->n; i++) {
		const char *cat = b->text + b->e[i].category;

		if (i == 0 || strcmp(cat, b->text + b->e[i - 1].category) != 0) {
			size_t len = strlen(cat);

			le_put32(index + ng * 12, (uint32_t)names_len);
			le_put32(index + ng * 12 + 4, (uint32_t)i);
			le_put32(index + ng * 12 + 8, 0);
			memcpy(names + names_len, cat, len + 1);
			names_len += len + 1;
			ng++;
		}
		le_put32(index + (ng - 1) * 12 + 8,
		    le_get32(index + (ng - 1) * 12 + 8) + 1);
		le_put64(postings + i * 8, b->e[i].record);
	}
	stream_pack_kv_bin(pk, "category_names", names, names_len);
	stream_pack_kv_bin(pk, "category_index", index, ng * 12);
	stream_pack_kv_bin(pk, "category_postings", postings, b->n * 8);
	free(index);
	free(postings);
	free(names);
	free(b->e);
	free(b->text);
	free(b);
}

int
catindex_open(struct catindex *c, const msgpack_object *trailer)
{
	const msgpack_object *names = mp_map_get(trailer, "category_names");
	const msgpack_object *index = mp_map_get(trailer, "category_index");
	const msgpack_object *postings = mp_map_get(trailer, "category_postings");

	memset(c, 0, sizeof(*c));
	if (names == NULL && index == NULL && postings == NULL)
		return 0;
	if (textindex_set(&c->categories, names, index) < 0 ||
	    postings == NULL || postings->type != MSGPACK_OBJECT_BIN ||
	    postings->via.bin.size % 8 != 0)
		return -1;
	c->postings = (const unsigned char *)postings->via.bin.ptr;
	c->npostings = postings->via.bin.size / 8;
	return 0;
}

size_t
catindex_products(const struct catindex *c, const char *category, size_t len,
    uint64_t *out, size_t max)
{
	const struct textindex *t = &c->categories;
	size_t i = textindex_lower(t, category, len), n = 0;
	uint64_t from, count;

	if (i == t->n || textindex_cmp(t, i, category, len, 0) != 0 ||
	    textindex_postings(t, i, c->npostings, &from, &count) < 0)
		return 0;
	for (uint64_t k = from; k < from + count && n < max; k++)
		out[n++] = le_get64(c->postings + k * 8);
	return n;
}
