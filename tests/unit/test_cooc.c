/*
 * Unit tests of common/cooc.c: on planted groups every audience is exactly
 * the in-group customers who have not touched the product; a small case is
 * checked by hand, scores, order, reasons and the fallback included; ties
 * go by id and sums do not depend on the order ids were first seen in.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cooc.h"
#include "intern.h"
#include "rows.h"
#include "tap.h"

static const double one[1] = { 1.0 };

static void
make(struct interactions *ia, const int (*rows)[2], size_t n)
{
	rows_make(ia, rows, n, NULL, 0, 0, 0);
}

static uint32_t
index_of(const struct intern *t, int64_t v)
{
	struct id id = { .num = v };

	return intern_add((struct intern *)t, &id, NULL);
}

/*
 * Two groups: customers 0-9 touch products 100-104, customers 10-19
 * products 200-204, each customer every product of its group but one
 * (customer c skips product 100 + c % 5, or 200 + c % 5).
 */
static void
planted(void)
{
	int rows[200][2];
	size_t n = 0;
	struct interactions ia;
	struct cooc m;
	struct cooc_params p = { .event_weight = one, .alpha = 0.5,
	    .neighbours = 10, .max_history = 100, .min_support = 2, .threads = 2 };
	struct cooc_scratch s;
	struct cooc_target out[20];
	double base[20] = { 0 };
	int exact = 1;

	for (int c = 0; c < 20; c++)
		for (int k = 0; k < 5; k++)
			if (k != c % 5) {
				rows[n][0] = c;
				rows[n++][1] = (c < 10 ? 100 : 200) + k;
			}
	make(&ia, (const int (*)[2])rows, n);
	cooc_build(&m, &ia, ia.n, &p);
	cooc_scratch_init(&s, &m);
	for (int g = 0; g < 2; g++)
		for (int k = 0; k < 5; k++) {
			int product = (g ? 200 : 100) + k;
			struct cooc_query q = { .product = index_of(ia.products,
			    product), .k = 20, .base = base };
			size_t got = cooc_audience(&m, &q, &s, out);

			/* the two in-group customers who skipped it */
			if (got != 2)
				exact = 0;
			for (size_t i = 0; i < got; i++) {
				struct id id;

				intern_get(ia.customers, out[i].customer, &id);
				if (id.num / 10 != g || id.num % 5 != k ||
				    out[i].reason == UINT32_MAX)
					exact = 0;
			}
		}
	ok(exact, "planted groups: each audience is the in-group customers "
	    "who have not touched the product, by relevance");
	cooc_scratch_free(&s);
	cooc_free(&m);
	interactions_free(&ia);
}

/*
 * By hand: customers 1 and 2 bought A (10) and B (20); customer 3 bought B
 * and C (30); customer 4 bought C only; customer 5 bought D (40) only. No
 * decay, alpha 0.5 (the cosine), support 1. |A|^2 = 2, |B|^2 = 3, |C|^2 =
 * 2: sim(A,B) = 2/sqrt(6), sim(B,C) = 1/sqrt(6), sim(A,C) = 0.
 * A's audience: customer 3 through B with relevance 2/sqrt(6), the only
 * one; then the fallback order (4, 5), whose score is base.
 */
static void
by_hand(void)
{
	static const int rows[][2] = {
		{ 1, 10 }, { 1, 20 }, { 2, 10 }, { 2, 20 }, { 3, 20 }, { 3, 30 },
		{ 4, 30 }, { 5, 40 }
	};
	struct interactions ia;
	struct cooc m;
	struct cooc_params p = { .event_weight = one, .alpha = 0.5,
	    .neighbours = 10, .max_history = 100, .min_support = 1, .threads = 1 };
	struct cooc_scratch s;
	struct cooc_target out[5];
	double base[5] = { 0.9, 0.8, 0.1, 0.5, 0.4 };	/* customers 1..5 */
	uint32_t fallback[5], a, b, c;
	struct cooc_query q = { .k = 3, .base = base, .blend = 0.5,
	    .fallback = fallback, .nfallback = 5 };
	size_t got;

	make(&ia, rows, sizeof(rows) / sizeof(rows[0]));
	a = index_of(ia.products, 10);
	b = index_of(ia.products, 20);
	c = index_of(ia.products, 30);
	for (int i = 0; i < 5; i++)	/* engagement order: 1, 2, 4, 5, 3 */
		fallback[i] = index_of(ia.customers, (int[]){ 1, 2, 4, 5, 3 }[i]);
	cooc_build(&m, &ia, ia.n, &p);
	ok(m.nstart[a + 1] - m.nstart[a] == 1 && m.nproduct[m.nstart[a]] == b &&
	    fabs(m.nsim[m.nstart[a]] - 2 / sqrt(6)) < 1e-6,
	    "A's one neighbour is B, similarity 2/sqrt(6)");
	ok(m.nstart[b + 1] - m.nstart[b] == 2 && m.nproduct[m.nstart[b]] == a &&
	    m.nproduct[m.nstart[b] + 1] == c &&
	    fabs(m.nsim[m.nstart[b] + 1] - 1 / sqrt(6)) < 1e-6,
	    "B's neighbours: A, then C at 1/sqrt(6)");
	cooc_scratch_init(&s, &m);
	q.product = a;
	got = cooc_audience(&m, &q, &s, out);
	ok(got == 3 && out[0].customer == index_of(ia.customers, 3) &&
	    out[0].reason == b && fabs(out[0].score - (1 + 0.5 * 0.1)) < 1e-9 &&
	    out[1].customer == index_of(ia.customers, 4) &&
	    out[1].reason == UINT32_MAX && out[1].score == 0.5 &&
	    out[2].customer == index_of(ia.customers, 5),
	    "A's audience: 3 (through B, 1 + 0.5 * 0.1), then 4 and 5 by the fallback");
	q.product = c;
	got = cooc_audience(&m, &q, &s, out);
	ok(got == 3 && out[0].customer == index_of(ia.customers, 1) &&
	    out[1].customer == index_of(ia.customers, 2) &&
	    out[0].reason == b && out[1].reason == b &&
	    out[2].customer == index_of(ia.customers, 5),
	    "C's audience: 1 and 2 through B (1 first: a higher base), then 5");
	cooc_scratch_free(&s);
	cooc_free(&m);
	interactions_free(&ia);
}

/*
 * Customers 9 and 7 bought 50, 60 and 55; 8 and 6 bought 60 and 55. 60 and
 * 55 are equally similar to 50, and 8 and 6 equally relevant to it: 55
 * comes first among 50's neighbours and 6 first in its audience, though
 * 60 and 8 were seen first.
 */
static void
ties_by_id(void)
{
	static const int rows[][2] = {
		{ 9, 50 }, { 9, 60 }, { 9, 55 }, { 7, 50 }, { 7, 60 }, { 7, 55 },
		{ 8, 60 }, { 8, 55 }, { 6, 60 }, { 6, 55 }
	};
	struct interactions ia;
	struct cooc m;
	struct cooc_params p = { .event_weight = one, .alpha = 0.5,
	    .neighbours = 10, .max_history = 100, .min_support = 1, .threads = 1 };
	struct cooc_scratch s;
	struct cooc_target out[2];
	double base[4] = { 0 };
	struct cooc_query q = { .k = 2, .base = base };
	uint32_t p50, p55;
	size_t got;

	make(&ia, rows, sizeof(rows) / sizeof(rows[0]));
	p50 = index_of(ia.products, 50);
	p55 = index_of(ia.products, 55);
	cooc_build(&m, &ia, ia.n, &p);
	ok(m.nstart[p50 + 1] - m.nstart[p50] == 2 &&
	    m.nsim[m.nstart[p50]] == m.nsim[m.nstart[p50] + 1] &&
	    m.nproduct[m.nstart[p50]] == p55,
	    "equally similar neighbours: the lower product id first");
	cooc_scratch_init(&s, &m);
	q.product = p50;
	got = cooc_audience(&m, &q, &s, out);
	ok(got == 2 && out[0].score == out[1].score &&
	    out[0].customer == index_of(ia.customers, 6) &&
	    out[1].customer == index_of(ia.customers, 8) &&
	    out[0].reason == p55 && out[1].reason == p55,
	    "equally relevant customers: the lower customer id first, "
	    "the reason the first neighbour");
	cooc_scratch_free(&s);
	cooc_free(&m);
	interactions_free(&ia);
}

/*
 * Seeded rows an hour apart: the model built with the ids first seen in
 * another order has every neighbour and similarity the same, bit for bit,
 * with whole weights (many ties: in the histories kept and among
 * neighbours) and with weights decayed over half_life days (that differ in
 * their last bits).
 */
static void
order_free(double half_life, const char *what)
{
	enum { N = 3000, IDS = 60 };
	static int rows[N][2], first[IDS];
	struct interactions a, b;
	struct cooc ma, mb;
	struct cooc_params p = { .event_weight = one, .alpha = 0.7,
	    .half_life_days = half_life, .neighbours = 8, .max_history = 5,
	    .min_support = 1, .threads = 2 };
	uint64_t x = 88172645463325252u;
	int same = 1;

	for (size_t i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		rows[i][0] = (int)(x % IDS);
		rows[i][1] = (int)(x / IDS % (IDS / 2)) * 2;
	}
	for (int i = 0; i < IDS; i++)
		first[i] = IDS - 1 - i;
	make(&a, (const int (*)[2])rows, N);
	rows_make(&b, (const int (*)[2])rows, N, first, IDS, 0, 0);
	p.decay_end = a.time[a.n - 1];
	cooc_build(&ma, &a, a.n, &p);
	cooc_build(&mb, &b, b.n, &p);
	for (int id = 0; id < IDS; id += 2) {
		uint32_t pa = index_of(a.products, id), pb = index_of(b.products, id);
		uint64_t n = ma.nstart[pa + 1] - ma.nstart[pa];

		if (n != mb.nstart[pb + 1] - mb.nstart[pb])
			same = 0;
		for (uint64_t k = 0; same && k < n; k++) {
			struct id qa, qb;

			intern_get(a.products, ma.nproduct[ma.nstart[pa] + k], &qa);
			intern_get(b.products, mb.nproduct[mb.nstart[pb] + k], &qb);
			same = qa.num == qb.num && memcmp(&ma.nsim[ma.nstart[pa] + k],
			    &mb.nsim[mb.nstart[pb] + k], sizeof(float)) == 0;
		}
	}
	ok(same && ma.nstart[ma.nproducts] > 0, "ids first seen in another "
	    "order: the same neighbours, bit for bit, %s", what);
	cooc_free(&ma);
	cooc_free(&mb);
	interactions_free(&a);
	interactions_free(&b);
}

int
main(void)
{
	planted();
	by_hand();
	ties_by_id();
	order_free(0, "whole weights");
	order_free(5, "decayed weights");
	return tap_done();
}
