/* The index of product names; see names.h. */
#include "names.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "le.h"
#include "stream.h"
#include "tokens.h"
#include "xalloc.h"
#include "banned.h"

#define WORDS_PER_NAME 64
#define POSTINGS_READ 10000	/* per query, rarest words first */
#define COMMON_SHARE 20		/* a word in over 1/20 of the names says
				   too little about a product to read */
#define PREFIX_WORDS 1000	/* words one search prefix may match */

struct names_builder {
	struct intern *words;		/* word -> its index */
	uint64_t *offset;		/* per named product */
	uint64_t *start;		/* per product: its words in word[] */
	uint32_t *word;
	size_t n, cap, nwords, cap_words;
};

struct names_builder *
names_builder_new(void)
{
	struct names_builder *b = xcalloc(1, sizeof(*b));

	b->words = intern_new();
	b->start = xcalloc(1, sizeof(*b->start));
	return b;
}

void
names_add(struct names_builder *b, uint64_t record_offset, const char *name,
    size_t len)
{
	struct token t[WORDS_PER_NAME];
	size_t nt = tokens_split(name, len, t, WORDS_PER_NAME), cap = b->cap;

	if (nt == 0)
		return;
	b->offset = xgrow(b->offset, &cap, b->n + 1, sizeof(*b->offset));
	if (cap != b->cap)
		b->start = xrealloc(b->start, (cap + 1) * sizeof(*b->start));
	b->cap = cap;
	b->word = xgrow(b->word, &b->cap_words, b->nwords + nt, sizeof(*b->word));
	for (size_t i = 0; i < nt; i++) {
		struct id id = { .is_str = 1, .str = t[i].text,
		    .len = (uint32_t)t[i].len };

		b->word[b->nwords++] = intern_add(b->words, &id, NULL);
	}
	b->offset[b->n++] = record_offset;
	b->start[b->n] = b->nwords;
}

static const struct intern *sort_words;	/* qsort has no context argument */

static int
by_text(const void *x, const void *y)
{
	struct id a, b;
	int c;

	intern_get(sort_words, *(const uint32_t *)x, &a);
	intern_get(sort_words, *(const uint32_t *)y, &b);
	c = memcmp(a.str, b.str, a.len < b.len ? a.len : b.len);
	return c ? c : (a.len > b.len) - (a.len < b.len);
}

void
names_pack(struct names_builder *b, msgpack_packer *pk)
{
	size_t nw = intern_count(b->words), text_len = 0, np = 0;
	uint32_t *df = xcalloc(nw + 1, sizeof(*df)), *sorted, *rank;
	uint64_t *first = xcalloc(nw + 2, sizeof(*first));
	double *idf = xmalloc((nw + 1) * sizeof(*idf));
	unsigned char *index = xmalloc(nw * 12 + 1), *postings;
	char *text;

	for (size_t i = 0; i < b->nwords; i++)
		df[b->word[i]]++;
	for (size_t w = 0; w < nw; w++)
		idf[w] = log((double)b->n / df[w]);
	sorted = xmalloc((nw + 1) * sizeof(*sorted));
	rank = xmalloc((nw + 1) * sizeof(*rank));
	for (size_t w = 0; w < nw; w++) {
		struct id id;

		sorted[w] = (uint32_t)w;
		intern_get(b->words, (uint32_t)w, &id);
		text_len += id.len + 1;
	}
	sort_words = b->words;
	qsort(sorted, nw, sizeof(*sorted), by_text);
	/* Postings of weight 0 (a word in every name) find nothing. */
	for (size_t r = 0; r < nw; r++) {
		rank[sorted[r]] = (uint32_t)r;
		first[r + 1] = idf[sorted[r]] > 0 ? df[sorted[r]] : 0;
	}
	for (size_t r = 0; r < nw; r++)
		first[r + 1] += first[r];
	np = first[nw];
	postings = xmalloc(np * 12 + 1);
	for (size_t p = 0; p < b->n; p++) {
		double norm = 0;

		for (uint64_t i = b->start[p]; i < b->start[p + 1]; i++)
			norm += idf[b->word[i]] * idf[b->word[i]];
		norm = sqrt(norm);
		for (uint64_t i = b->start[p]; i < b->start[p + 1]; i++) {
			uint32_t w = b->word[i];
			float weight = (float)(idf[w] / norm);
			uint64_t at;

			if (idf[w] <= 0)
				continue;
			at = first[rank[w]]++;	/* products come in offset order */
			le_put64(postings + at * 12, b->offset[p]);
			memcpy(postings + at * 12 + 8, &weight, 4);
		}
	}
	text = xmalloc(text_len + 1);
	text_len = 0;
	for (size_t r = 0; r < nw; r++) {
		struct id id;
		uint64_t end = first[r], begin = r ? first[r - 1] : 0;

		intern_get(b->words, sorted[r], &id);
		le_put32(index + r * 12, (uint32_t)text_len);
		le_put32(index + r * 12 + 4, (uint32_t)begin);
		le_put32(index + r * 12 + 8, (uint32_t)(end - begin));
		memcpy(text + text_len, id.str, id.len);
		text_len += id.len;
		text[text_len++] = '\0';
	}
	stream_pack_cstr(pk, "name_products");
	msgpack_pack_uint64(pk, b->n);
	stream_pack_kv_bin(pk, "name_words", text, text_len);
	stream_pack_kv_bin(pk, "name_index", index, nw * 12);
	stream_pack_kv_bin(pk, "name_postings", postings, np * 12);
	free(df);
	free(first);
	free(idf);
	free(index);
	free(postings);
	free(text);
	free(sorted);
	free(rank);
	intern_free(b->words);
	free(b->offset);
	free(b->start);
	free(b->word);
	free(b);
}

int
names_open(struct names *n, const msgpack_object *trailer)
{
	const msgpack_object *count = mp_map_get(trailer, "name_products");
	const msgpack_object *words = mp_map_get(trailer, "name_words");
	const msgpack_object *index = mp_map_get(trailer, "name_index");
	const msgpack_object *postings = mp_map_get(trailer, "name_postings");

	memset(n, 0, sizeof(*n));
	if (count == NULL && words == NULL && index == NULL && postings == NULL)
		return 0;
	if (count == NULL || count->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    textindex_set(&n->words, words, index) < 0 ||
	    postings == NULL || postings->type != MSGPACK_OBJECT_BIN ||
	    postings->via.bin.size % 12 != 0)
		return -1;
	n->nproducts = count->via.u64;
	n->postings = (const unsigned char *)postings->via.bin.ptr;
	n->npostings = postings->via.bin.size / 12;
	return 0;
}

struct found {
	size_t word;
	uint64_t from, count;
};

static int
rarer(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->count != y->count)
		return (x->count > y->count) - (x->count < y->count);
	return (x->word > y->word) - (x->word < y->word);
}

static int
by_record(const void *a, const void *b)
{
	const struct name_match *x = a, *y = b;

	return (x->record > y->record) - (x->record < y->record);
}

static int
more_alike(const void *a, const void *b)
{
	const struct name_match *x = a, *y = b;

	if (x->cosine != y->cosine)
		return x->cosine > y->cosine ? -1 : 1;
	return (x->record > y->record) - (x->record < y->record);
}

/*
 * The max most alike of c[0..n) into out, most alike first: the head of
 * c sorted by more_alike, without sorting the thousands behind it.
 */
static size_t
most_alike(const struct name_match *c, size_t n, struct name_match *out,
    size_t max)
{
	size_t got = 0;

	for (size_t i = 0; i < n && max > 0; i++) {
		size_t at;

		if (got == max && more_alike(&c[i], &out[max - 1]) >= 0)
			continue;
		if (got < max)
			got++;
		for (at = got - 1; at > 0 && more_alike(&c[i], &out[at - 1]) < 0; at--)
			out[at] = out[at - 1];
		out[at] = c[i];
	}
	return got;
}

size_t
names_similar(const struct names *n, const char *name, size_t len,
    struct name_match *out, size_t max)
{
	struct token t[WORDS_PER_NAME];
	struct found f[WORDS_PER_NAME];
	size_t nt = tokens_split(name, len, t, WORDS_PER_NAME), nf = 0, nc = 0;
	size_t got = 0, budget = POSTINGS_READ;
	double norm = 0;
	struct name_match *c;

	for (size_t i = 0; i < nt; i++) {
		size_t w = textindex_lower(&n->words, t[i].text, t[i].len);

		if (w < n->words.n && textindex_cmp(&n->words, w, t[i].text, t[i].len, 0) == 0 &&
		    textindex_postings(&n->words, w, n->npostings, &f[nf].from, &f[nf].count) == 0 &&
		    f[nf].count > 0 && f[nf].count <= n->nproducts / COMMON_SHARE + 1) {
			double idf = log((double)n->nproducts / (double)f[nf].count);

			norm += idf * idf;
			f[nf++].word = w;
		}
	}
	if (nf == 0 || norm <= 0)
		return 0;
	norm = sqrt(norm);
	qsort(f, nf, sizeof(*f), rarer);
	for (size_t i = 0; i < nf; i++)
		nc += f[i].count < budget - nc ? f[i].count : budget - nc;
	c = xmalloc((nc + 1) * sizeof(*c));
	nc = 0;
	for (size_t i = 0; i < nf && nc < budget; i++) {
		double q = log((double)n->nproducts / (double)f[i].count) / norm;

		for (uint64_t p = f[i].from; p < f[i].from + f[i].count && nc < budget; p++) {
			float weight;

			memcpy(&weight, n->postings + p * 12 + 8, 4);
			c[nc].record = le_get64(n->postings + p * 12);
			c[nc++].cosine = q * weight;
		}
	}
	qsort(c, nc, sizeof(*c), by_record);
	for (size_t i = 0; i < nc; i++) {	/* one entry a product, summed */
		if (got > 0 && c[got - 1].record == c[i].record)
			c[got - 1].cosine += c[i].cosine;
		else
			c[got++] = c[i];
	}
	got = most_alike(c, got, out, max);
	free(c);
	return got;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The distinct records with a word starting with t, ascending, bounded. */
static size_t
with_prefix(const struct names *n, const struct token *t, uint64_t **out)
{
	size_t w = textindex_lower(&n->words, t->text, t->len), got = 0, cap = 0;

	*out = NULL;
	for (size_t k = 0; w < n->words.n && k < PREFIX_WORDS &&
	    textindex_cmp(&n->words, w, t->text, t->len, 1) == 0; w++, k++) {
		uint64_t from, count;

		if (textindex_postings(&n->words, w, n->npostings, &from, &count) < 0)
			break;
		if (count > POSTINGS_READ - got)
			count = POSTINGS_READ - got;
		*out = xgrow(*out, &cap, got + count + 1, sizeof(**out));
		for (uint64_t p = from; p < from + count; p++)
			(*out)[got++] = le_get64(n->postings + p * 12);
	}
	if (got > 0)
		qsort(*out, got, sizeof(**out), cmp_u64);
	{
		size_t u = 0;

		for (size_t i = 0; i < got; i++)
			if (u == 0 || (*out)[u - 1] != (*out)[i])
				(*out)[u++] = (*out)[i];
		return u;
	}
}

size_t
names_search(const struct names *n, const char *q, size_t len, uint64_t *out,
    size_t max)
{
	struct token t[WORDS_PER_NAME];
	size_t nt = tokens_split(q, len, t, WORDS_PER_NAME), have = 0;
	uint64_t *acc = NULL;

	for (size_t i = 0; i < nt; i++) {
		uint64_t *more;
		size_t nmore = with_prefix(n, &t[i], &more), k = 0, j = 0, kept = 0;

		if (i == 0) {
			acc = more;
			have = nmore;
			continue;
		}
		while (k < have && j < nmore) {	/* both ascending: intersect */
			if (acc[k] < more[j])
				k++;
			else if (acc[k] > more[j])
				j++;
			else
				acc[kept++] = acc[k++], j++;
		}
		have = kept;
		free(more);
	}
	if (have > max)
		have = max;
	if (have > 0)
		memcpy(out, acc, have * sizeof(*out));
	free(acc);
	return have;
}
