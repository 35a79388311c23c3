/*
 * Unit tests of common/pigeonhole.c: with all weights the point estimate
 * lies inside its interval, and, in a simulation where the truth is known,
 * the two-way bootstrap's intervals cover it about as often as they claim,
 * where resampling products alone does not.
 *
 * The simulation: each data set draws 40 customers, a fifth of them "keen"
 * (they take up a product they are shown with probability 0.25, the others
 * never); 200 products each target 10 of the 40 at random, and random
 * targeting's precision is 0.005 for every product. The true lift is the
 * expected precision, 0.2 * 0.25 = 0.05, over 0.005: 10. One customer is
 * in some 50 audiences, so the products are far from independent.
 *
 * Against the best of several baselines: a baseline that never hits is
 * never the best, so a method's ratio to the best of it and the real one
 * is its ratio to the real one, replicate by replicate.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pigeonhole.h"
#include "rng.h"
#include "tap.h"

#define CUSTOMERS 40
#define PRODUCTS 200
#define K 10

static uint32_t customer[PRODUCTS * K];
static size_t got[PRODUCTS];
static uint8_t hit[PRODUCTS * K], back[PRODUCTS * K];
static double rhit[PRODUCTS], rback[PRODUCTS];

/* Draws one data set; returns its estimated lift. */
static double
draw(struct rng *r)
{
	int keen[CUSTOMERS];
	size_t hits = 0;

	for (int c = 0; c < CUSTOMERS; c++)
		keen[c] = rng_uniform(r) < 0.2;
	for (int i = 0; i < PRODUCTS; i++) {
		int taken[CUSTOMERS] = { 0 };

		got[i] = K;
		rhit[i] = 0.005;
		rback[i] = 0.5;
		for (int j = 0; j < K; j++) {
			uint32_t c;

			do
				c = (uint32_t)(rng_next(r) % CUSTOMERS);
			while (taken[c]);
			taken[c] = 1;
			customer[i * K + j] = c;
			hit[i * K + j] = keen[c] && rng_uniform(r) < 0.25;
			back[i * K + j] = (uint8_t)keen[c];
			hits += hit[i * K + j];
		}
	}
	return (double)hits / (PRODUCTS * K) / 0.005;
}

static struct ph_lifts
intervals(int customers_too, uint64_t seed, unsigned threads)
{
	static const int64_t ks[] = { K };
	struct ph_method m = { customer, got, hit, back };
	struct ph_input in = { .nproducts = PRODUCTS, .ncustomers = CUSTOMERS,
	    .kmax = K, .methods = &m, .nmethods = 1, .random_hit = rhit,
	    .random_back = rback, .ks = ks, .nk = 1, .samples = 400,
	    .seed = seed, .customers_too = customers_too, .threads = threads };
	struct ph_lifts out;

	ph_intervals(&in, &out);
	return out;
}

/*
 * Three methods on the last data set drawn: the real one, one that never
 * hits, and one with every other hit taken away; the first two are the
 * baselines.
 */
static void
against_the_best(struct ph_lifts out[3])
{
	static const int64_t ks[] = { K };
	static uint8_t none[PRODUCTS * K], half[PRODUCTS * K];
	struct ph_method m[3] = { { customer, got, hit, back },
	    { customer, got, none, back }, { customer, got, half, back } };
	struct ph_input in = { .nproducts = PRODUCTS, .ncustomers = CUSTOMERS,
	    .kmax = K, .methods = m, .nmethods = 3,
	    .baselines = 1u << 0 | 1u << 1, .random_hit = rhit,
	    .random_back = rback, .ks = ks, .nk = 1, .samples = 400, .seed = 5,
	    .customers_too = 1, .threads = 2 };
	size_t seen = 0;

	for (size_t x = 0; x < PRODUCTS * K; x++)
		half[x] = hit[x] && seen++ % 2 == 0;
	ph_intervals(&in, out);
}

int
main(void)
{
	struct rng r;
	int covered[2] = { 0, 0 }, inside = 1, sims = 200;
	double width[2] = { 0, 0 };

	rng_seed(&r, 7);
	for (int s = 0; s < sims; s++) {
		double lift = draw(&r);

		for (int two = 0; two < 2; two++) {
			struct ph_lifts iv = intervals(two, (uint64_t)s, 2);

			covered[two] += iv.hit.lo <= 10 && 10 <= iv.hit.hi;
			width[two] += iv.hit.hi - iv.hit.lo;
			if (!(iv.hit.lo <= lift && lift <= iv.hit.hi))
				inside = 0;
		}
	}
	ok(inside, "every interval holds its own point estimate");
	ok(covered[1] >= 0.88 * sims && covered[1] <= 0.99 * sims,
	    "two-way intervals cover the true lift in %d of %d data sets "
	    "(mean width %.2f)", covered[1], sims, width[1] / sims);
	ok(covered[0] <= 0.6 * sims,
	    "intervals over products alone cover it in only %d of %d "
	    "(mean width %.2f)", covered[0], sims, width[0] / sims);
	{
		struct ph_lifts a = intervals(1, 3, 1), b = intervals(1, 3, 2);

		ok(memcmp(&a, &b, sizeof(a)) == 0,
		    "the same seed gives the same intervals on one thread or two");
	}
	{
		struct ph_lifts v[3];

		against_the_best(v);
		ok(v[0].hit_vs_best.lo == 1 && v[0].hit_vs_best.hi == 1,
		    "the best baseline against itself: 1 in every replicate");
		ok(v[2].hit_vs_best.lo == v[2].hit_vs[0].lo &&
		    v[2].hit_vs_best.hi == v[2].hit_vs[0].hi &&
		    v[2].hit_vs[0].hi < 1,
		    "a baseline that never hits is never the best "
		    "(%.3f to %.3f)", v[2].hit_vs_best.lo, v[2].hit_vs_best.hi);
		ok(v[2].hit_vs[2].lo == 1 && v[2].hit_vs[2].hi == 1 &&
		    isnan(v[2].hit_vs[1].lo) && isnan(v[2].hit_vs[1].hi),
		    "against each method: itself 1, one that never hits "
		    "undefined");
		ok(v[0].hit_vs[2].lo >= 1 && v[0].hit_vs[2].lo < 2 &&
		    v[0].hit_vs[2].hi > 2,
		    "against half its own hits, 2 within its interval "
		    "(%.3f to %.3f)", v[0].hit_vs[2].lo, v[0].hit_vs[2].hi);
	}
	return tap_done();
}
