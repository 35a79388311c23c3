/*
 * Parameter recovery: customers simulated from known BG/NBD and MBG/NBD
 * parameters (a seeded simulator of the models' own story), then fitted:
 * with 10,000 customers observed for 26 to 52 weeks, every parameter lies
 * within three of its standard errors (the observed information's) of
 * the truth, and those errors are what the spread of the fits over seeds
 * says they should be (within a factor of two); a wrong likelihood, a
 * stuck optimiser or a wrong Hessian fails one or the other.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "returnmodel.h"
#include "rng.h"
#include "tap.h"

#define CUSTOMERS 10000

/* Gamma(shape, 1) by Marsaglia and Tsang, boosted for shape < 1. */
static double
gamma_draw(struct rng *g, double shape)
{
	double d, c;

	if (shape < 1)
		return gamma_draw(g, shape + 1) * pow(1 - rng_uniform(g), 1 / shape);
	d = shape - 1.0 / 3;
	c = 1 / sqrt(9 * d);
	for (;;) {
		double u1 = 1 - rng_uniform(g), u2 = rng_uniform(g);
		double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
		double v = pow(1 + c * z, 3), u = 1 - rng_uniform(g);

		if (v > 0 && log(u) < 0.5 * z * z + d - d * v + d * log(v))
			return d * v;
	}
}

/* One customer over T periods: purchases at a Poisson rate until they drop
   out, with probability p after each purchase (MBG/NBD: the first too). */
static void
simulate(struct rng *g, const struct return_fit *f, double T, struct rfm *c)
{
	double lambda = gamma_draw(g, f->r) / f->alpha;
	double x1 = gamma_draw(g, f->a), p = x1 / (x1 + gamma_draw(g, f->b));
	double t = 0;

	c->x = c->t_x = 0;
	c->T = T;
	if (f->kind == RETURN_MBGNBD && rng_uniform(g) < p)
		return;
	for (;;) {
		t += -log(1 - rng_uniform(g)) / lambda;
		if (t > T)
			return;
		c->x++;
		c->t_x = t;
		if (rng_uniform(g) < p)
			return;
	}
}

#define SEEDS 6

static void
recover(enum return_kind kind, const char *name, uint64_t seed)
{
	struct return_fit truth = { .kind = kind, .r = 0.5, .alpha = 5, .a = 0.8,
	    .b = 2.5 }, fit;
	static const char *const param[4] = { "r", "alpha", "a", "b" };
	const double want[4] = { truth.r, truth.alpha, truth.a, truth.b };
	static struct rfm c[CUSTOMERS];
	double got[SEEDS][4], se[4] = { 0 };
	int fitted = 1, within = 1;
	char err[256];

	for (int s = 0; s < SEEDS; s++) {
		struct rng g;

		rng_seed(&g, seed * 100 + (uint64_t)s);
		for (size_t i = 0; i < CUSTOMERS; i++)	/* arrivals over a year */
			simulate(&g, &truth, 26 + 26 * rng_uniform(&g), &c[i]);
		fitted &= return_fit(&fit, kind, c, CUSTOMERS, err, sizeof(err)) ==
		    0 && fit.converged;
		got[s][0] = fit.r, got[s][1] = fit.alpha;
		got[s][2] = fit.a, got[s][3] = fit.b;
		for (int k = 0; k < 4; k++) {
			within &= fabs(got[s][k] - want[k]) < 3 * fit.se[k];
			se[k] += fit.se[k] / SEEDS;
		}
	}
	ok(fitted, "%s: %d fits converged", name, SEEDS);
	ok(within, "%s: every parameter of every fit within 3 standard errors "
	    "of 0.5, 5, 0.8, 2.5 (last: %.3f, %.3f, %.3f, %.3f)", name, fit.r,
	    fit.alpha, fit.a, fit.b);
	for (int k = 0; k < 4; k++) {
		double mean = 0, sd = 0;

		for (int s = 0; s < SEEDS; s++)
			mean += got[s][k] / SEEDS;
		for (int s = 0; s < SEEDS; s++)
			sd += pow(got[s][k] - mean, 2) / (SEEDS - 1);
		sd = sqrt(sd);
		ok(sd > se[k] / 2 && sd < se[k] * 2, "%s: %s's spread over seeds "
		    "%.4f, its mean standard error %.4f", name, param[k], sd, se[k]);
	}
}

int
main(void)
{
	recover(RETURN_BGNBD, "BG/NBD", 1);
	recover(RETURN_MBGNBD, "MBG/NBD", 2);
	return tap_done();
}
