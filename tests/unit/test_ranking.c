/*
 * Unit tests of common/ranking.c: the order is by score, then id (integers
 * before strings), and ranking_head() returns exactly the head of that
 * order, ties included, on data full of ties.
 */
#include <stdlib.h>
#include <string.h>

#include "ranking.h"
#include "tap.h"

int
main(void)
{
	struct intern *ids = intern_new();
	double *score = malloc(20000 * sizeof(*score));
	uint8_t *keep = malloc(20000);
	unsigned seed = 7;
	size_t n, total, heads_ok = 1, order_ok = 1;
	uint32_t *order, *head;

	for (int i = 0; i < 20000; i++) {
		char buf[32];
		int len = i % 5 == 0 ? snprintf(buf, sizeof(buf), "c%d", rand_r(&seed) % 100000) :
		    snprintf(buf, sizeof(buf), "%d", rand_r(&seed) % 1000000 - 500000);
		struct id id;
		int added;
		uint32_t c;

		id_from_text(&id, buf, (size_t)len);
		c = intern_add(ids, &id, &added);
		if (!added)
			continue;
		score[c] = (rand_r(&seed) % 50) / 8.0;	/* few values: many ties */
		keep[c] = rand_r(&seed) % 10 != 0;
	}
	order = ranking_order(ids, score, keep, &n);
	for (size_t k = 1; k < n; k++) {
		struct id a, b;

		intern_get(ids, order[k - 1], &a);
		intern_get(ids, order[k], &b);
		if (score[order[k - 1]] < score[order[k]] ||
		    (score[order[k - 1]] == score[order[k]] && id_compare(&a, &b) >= 0))
			order_ok = 0;
	}
	ok(order_ok && n > 15000, "the order is by score, then ascending id (%zu kept)", n);
	for (size_t want = 1; want < n + 10; want += want < 100 ? 1 : 997) {
		size_t got;

		head = ranking_head(ids, score, keep, want, &got, &total);
		if (got != (want < n ? want : n) || total != n ||
		    memcmp(head, order, got * sizeof(*head)) != 0)
			heads_ok = 0;
		free(head);
	}
	ok(heads_ok, "ranking_head() returns the order's head for every size");
	head = ranking_head(ids, score, NULL, 5, &n, &total);
	ok(n == 5 && total == intern_count(ids), "without a mask everyone counts");
	free(head);
	free(order);
	free(score);
	free(keep);
	intern_free(ids);
	return tap_done();
}
