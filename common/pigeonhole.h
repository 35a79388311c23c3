/*
 * Intervals for lifts measured on audiences, where one customer is in many
 * audiences: the observations of a product are not independent of those of
 * another, and resampling products alone gives intervals far too narrow
 * when a few customers make most hits. The pigeonhole bootstrap (Owen 2007,
 * "The pigeonhole bootstrap", Ann. Appl. Stat.) resamples the rows and the
 * columns of such a table together; here each replicate weighs every
 * product and every customer by an independent Poisson(1) count (the
 * Poisson form of the same bootstrap), and recomputes the ratios.
 *
 * With weights w(i) for products and v(c) for customers, a method's
 * precision at k is the mean over products, weighted by w, of the
 * v-weighted hits among its first k targets divided by k; its come-back
 * share the mean, weighted by w, of the v-weighted share of its first k
 * targets who came back (a product whose targets all weigh 0 counts
 * nothing). Random targeting's figures, exact expectations per product,
 * are weighted by w alone. With all weights 1 these are the point
 * estimates aud-rank(1) defines. Replicates are drawn from a generator
 * seeded by (seed, replicate), so results do not depend on the threads.
 */
#ifndef AUD_PIGEONHOLE_H
#define AUD_PIGEONHOLE_H

#include <stddef.h>
#include <stdint.h>

#define PH_MAX_METHODS 8
#define PH_MAX_K 8

/* What a method targeted: per product i, its first got[i] (<= kmax). */
struct ph_method {
	const uint32_t *customer;	/* [i * kmax + j], below ncustomers */
	const size_t *got;
	const uint8_t *hit;		/* [i * kmax + j]: took up the product */
	const uint8_t *back;		/* [i * kmax + j]: came back at all */
};

struct ph_input {
	size_t nproducts, ncustomers, kmax;
	const struct ph_method *methods;
	size_t nmethods;		/* at most PH_MAX_METHODS */
	unsigned baselines;		/* bit m: method m is a baseline; the
					   "vs best" lifts divide by the
					   highest precision among them, taken
					   again in each replicate, so the
					   choice of the best is resampled
					   too; 0: none */
	const double *random_hit;	/* [i * nk + k]: random's precision */
	const double *random_back;	/* per product: its come-back share */
	const int64_t *ks;		/* cut-offs, each <= kmax */
	size_t nk;			/* at most PH_MAX_K */
	size_t samples;
	uint64_t seed;
	int customers_too;		/* 0: resample products only */
	unsigned threads;
};

struct ph_interval {
	double lo, hi;			/* 2.5% and 97.5% quantiles; NaN when
					   no replicate is finite */
};

/* The intervals of one method at one cut-off. */
struct ph_lifts {
	struct ph_interval hit;		/* precision / random's */
	struct ph_interval back;	/* come-back share / random's */
	struct ph_interval hit_vs_best;	/* precision / the best baseline's */
	struct ph_interval hit_vs[PH_MAX_METHODS];	/* precision / method
							   m's, m < nmethods */
};

/* Fills out[m * nk + k] for every method and cut-off. */
void ph_intervals(const struct ph_input *in, struct ph_lifts *out);

#endif
