/* Products evaluated as if new, found by name; see coldstart.h. */
#include "coldstart.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "groups.h"
#include "names.h"
#include "rng.h"
#include "xalloc.h"
#include "banned.h"

#define MATCHES 20	/* training products of like names drawn on */
#define BUYERS 20	/* as the model keeps */
#define MAX_PICKED 1000	/* enough for the estimate, and a bounded cost */

static int
has_name(const struct interactions *ia, size_t p)
{
	const char *name = interactions_product_name(ia, p);

	return name != NULL && *name != '\0';
}

static uint64_t
draw(const struct cold_input *in, size_t i)
{
	return rng_mix(in->seed * 0x9e3779b97f4a7c15u + in->evaluable[i] + 1);
}

static const struct cold_input *drawing;	/* qsort has no context */

static int
by_draw(const void *a, const void *b)
{
	uint64_t x = draw(drawing, *(const size_t *)a);
	uint64_t y = draw(drawing, *(const size_t *)b);

	return (x > y) - (x < y);
}

static int
by_place(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

size_t
cold_pick(const struct cold_input *in, size_t *which)
{
	size_t picked = 0;

	for (size_t i = 0; i < in->n; i++)
		if (has_name(in->ia, in->evaluable[i]) && draw(in, i) < UINT64_MAX / 10)
			which[picked++] = i;
	if (picked > MAX_PICKED) {	/* the smallest draws: still uniform */
		drawing = in;
		qsort(which, picked, sizeof(*which), by_draw);
		picked = MAX_PICKED;
		qsort(which, picked, sizeof(*which), by_place);
	}
	return picked;
}

/*
 * The name index of the training products not picked, built as a model's
 * is and read back from memory: postings hold product indices.
 */
static void
index_names(const struct cold_input *in, const uint8_t *hidden,
    msgpack_sbuffer *sb, msgpack_unpacked *u, struct names *nm)
{
	struct names_builder *b = names_builder_new();
	msgpack_packer pk;

	for (size_t q = 0; q < in->train->nproducts; q++)
		if (!hidden[q] && product_customers_count(in->train, q) > 0 &&
		    has_name(in->ia, q)) {
			const char *name = interactions_product_name(in->ia, q);

			names_add(b, q, name, strlen(name));
		}
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, NAMES_ENTRIES);
	names_pack(b, &pk);
	msgpack_unpacked_init(u);
	if (msgpack_unpack_next(u, sb->data, sb->size, NULL) != MSGPACK_UNPACK_SUCCESS ||
	    names_open(nm, &u->data) < 0)
		memset(nm, 0, sizeof(*nm));	/* cannot happen: packed here */
}

void
cold_targets(const struct cold_input *in, const size_t *which, size_t picked,
    const uint32_t *fallback, const size_t *nfallback, uint32_t *out,
    size_t *got)
{
	size_t nc = intern_count(in->ia->customers), np = in->train->nproducts;
	uint8_t *hidden = xcalloc(np + 1, 1), *taken = xcalloc(nc + 1, 1);
	double *score = xcalloc(nc + 1, sizeof(*score));
	uint32_t *touched = xmalloc((MATCHES * BUYERS + 1) * sizeof(*touched));
	struct cooc_target s[MATCHES * BUYERS];
	struct cooc_target buyer[BUYERS];
	struct name_match match[MATCHES];
	msgpack_sbuffer sb;
	msgpack_unpacked u;
	struct names nm;

	for (size_t j = 0; j < picked; j++)
		hidden[in->evaluable[which[j]]] = 1;
	index_names(in, hidden, &sb, &u, &nm);
	for (size_t j = 0; j < picked; j++) {
		uint32_t p = in->evaluable[which[j]], *o = out + j * in->kmax;
		const char *name = interactions_product_name(in->ia, p);
		size_t nm_found = names_similar(&nm, name, strlen(name), match,
		    MATCHES), nt = 0, k = 0;

		for (uint64_t x = in->train->start[p]; x < in->train->start[p + 1]; x++)
			taken[in->train->customer[x]] = 1;	/* not eligible */
		for (size_t m = 0; m < nm_found; m++) {
			size_t nb = cooc_buyers(in->model, match[m].record, BUYERS, buyer);

			for (size_t b = 0; b < nb; b++) {
				uint32_t c = buyer[b].customer;

				if (taken[c] || !in->present[c])
					continue;
				if (score[c] == 0)
					touched[nt++] = c;
				score[c] += match[m].cosine * buyer[b].score;
			}
		}
		for (size_t t = 0; t < nt; t++) {
			s[t] = (struct cooc_target){ touched[t], UINT32_MAX,
			    score[touched[t]] };
			score[touched[t]] = 0;
		}
		qsort(s, nt, sizeof(*s), cooc_target_order);
		for (; k < nt && k < in->kmax; k++) {
			o[k] = s[k].customer;
			taken[o[k]] = 1;
		}
		for (size_t f = 0; f < nfallback[j] && k < in->kmax; f++) {
			uint32_t c = fallback[j * 2 * in->kmax + f];

			if (!taken[c])
				taken[o[k++] = c] = 1;
		}
		got[j] = k;
		for (size_t t = 0; t < k; t++)
			taken[o[t]] = 0;
		for (uint64_t x = in->train->start[p]; x < in->train->start[p + 1]; x++)
			taken[in->train->customer[x]] = 0;
	}
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	free(hidden);
	free(taken);
	free(score);
	free(touched);
}
