/*
 * Interactions for the unit tests of the co-occurrence model: rows of
 * (customer, product) given as small integers, an hour apart, every event
 * of weight 1, freed as any with interactions_free.
 */
#ifndef AUD_TEST_ROWS_H
#define AUD_TEST_ROWS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interactions.h"
#include "intern.h"

/*
 * The rows[0..n) of the customers c with c % nshards == shard (nshards 0:
 * all of them) into ia; the ids first[0..nfirst) are interned first, as if
 * seen before the rows. Times stay those of all the rows.
 */
static void
rows_make(struct interactions *ia, const int (*rows)[2], size_t n,
    const int *first, size_t nfirst, int shard, int nshards)
{
	memset(ia, 0, sizeof(*ia));
	ia->customer = calloc(n + 1, sizeof(uint32_t));
	ia->product = calloc(n + 1, sizeof(uint32_t));
	ia->event = calloc(n + 1, 1);
	ia->time = calloc(n + 1, sizeof(int64_t));
	ia->customers = intern_new();
	ia->products = intern_new();
	for (size_t i = 0; i < nfirst; i++) {
		struct id id = { .num = first[i] };

		intern_add(ia->customers, &id, NULL);
		intern_add(ia->products, &id, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		struct id c = { .num = rows[i][0] }, p = { .num = rows[i][1] };

		if (nshards > 0 && rows[i][0] % nshards != shard)
			continue;
		ia->customer[ia->n] = intern_add(ia->customers, &c, NULL);
		ia->product[ia->n] = intern_add(ia->products, &p, NULL);
		ia->time[ia->n++] = (int64_t)i * 3600000;
	}
}

/*
 * Gives product p the category "g<p % n>", but none to those with
 * p % 10 == 9; labels are interned in the order products were.
 */
static inline void
rows_categorise(struct interactions *ia, int n)
{
	size_t np = intern_count(ia->products);

	ia->categories = intern_new();
	ia->category_of = calloc(np + 1, sizeof(uint32_t));
	ia->name_at = calloc(np + 1, sizeof(uint64_t));
	ia->products_cap = np + 1;
	for (size_t q = 0; q < np; q++) {
		struct id id, label = { .is_str = 1 };
		char buf[16];

		intern_get(ia->products, (uint32_t)q, &id);
		ia->category_of[q] = INTERACTIONS_NO_CATEGORY;
		if (id.num % 10 == 9)
			continue;
		label.len = (uint32_t)snprintf(buf, sizeof(buf), "g%d",
		    (int)(id.num % n));
		label.str = buf;
		ia->category_of[q] = intern_add(ia->categories, &label, NULL);
	}
}

#endif
