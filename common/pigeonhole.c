/* The two-way bootstrap of lifts; see pigeonhole.h. */
#include "pigeonhole.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parallel.h"
#include "rng.h"
#include "xalloc.h"
#include "banned.h"

/* A cell's series: these, then the ratio to each method in turn. */
enum { LIFT_HIT, LIFT_BACK, LIFT_HIT_VS_BEST, NLIFTS };

/* A Poisson(1) count by inversion of its distribution function. */
static unsigned
poisson1(struct rng *r)
{
	static const double cdf[] = {	/* P(X <= k), k = 0 .. 10 */
		0.36787944117144233, 0.7357588823428847, 0.9196986029286058,
		0.9810118431238463, 0.9963401531726563, 0.9994058151824183,
		0.999916758850712, 0.9999897508033253, 0.999998874797402,
		0.9999998885745216, 0.9999999899522336
	};
	double u = rng_uniform(r);
	unsigned k = 0;

	while (k < sizeof(cdf) / sizeof(cdf[0]) && u > cdf[k])
		k++;
	return k;
}

/*
 * Replicates drawn side by side, in lanes: a customer's weights in all the
 * lanes lie together, so each targeted customer is looked up once for a
 * batch, and the sums of the lanes are computed together. Each lane draws
 * and sums exactly as a replicate alone would.
 */
#define LANES 16

struct job {
	const struct ph_input *in;
	size_t *order;			/* the cut-offs, ascending */
	size_t series;			/* a cell's: NLIFTS + nmethods */
	double *ratio;			/* [((m * nk + k) * series + l) * samples + s] */
	uint8_t **wp, **wc;		/* per thread: product and customer
					   weights, [i * LANES + lane] (a
					   Poisson(1) count is at most 11) */
};

/* A method's weighted figures at each cut-off, per lane: its hits and
   its come-back shares' weights are whole numbers, summed exactly. */
struct sums {
	uint64_t hits[PH_MAX_K][LANES], backw[PH_MAX_K][LANES];
	double hit[PH_MAX_K][LANES], back[PH_MAX_K][LANES];
};

/* Draws replicate s's weights into lane r. */
static double
draw(const struct ph_input *in, size_t s, size_t r, uint8_t *wp, uint8_t *wc)
{
	struct rng rng;
	double w = 0;

	rng_seed(&rng, rng_mix(in->seed + 0x9e3779b97f4a7c15u * (s + 1)));
	for (size_t i = 0; i < in->nproducts; i++)
		w += wp[i * LANES + r] = (uint8_t)poisson1(&rng);
	for (size_t c = 0; c < in->ncustomers; c++)
		wc[c * LANES + r] = in->customers_too ? (uint8_t)poisson1(&rng) : 1;
	return w;
}

/* Method me's weighted figures in every lane. */
static void
method_sums(const struct job *j, const struct ph_method *me,
    const uint8_t *wp, const uint8_t *wc, struct sums *out)
{
	const struct ph_input *in = j->in;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->nproducts; i++) {
		const uint32_t *c = me->customer + i * in->kmax;
		const uint8_t *hi = me->hit + i * in->kmax, *ba = me->back + i * in->kmax;
		/* Sums of small whole weights: exact in integers, and
		   cheaper than in floating point. */
		uint32_t hv[LANES] = { 0 }, bv[LANES] = { 0 }, vv[LANES] = { 0 };
		size_t jj = 0;

		for (size_t q = 0; q < in->nk; q++) {
			size_t k = j->order[q], upto = (size_t)in->ks[k];
			size_t end = upto < me->got[i] ? upto : me->got[i];

			for (; jj < end; jj++) {
				const uint8_t *v = wc + (size_t)c[jj] * LANES;

				for (size_t r = 0; r < LANES; r++) {
					hv[r] += v[r] * hi[jj];
					bv[r] += v[r] * ba[jj];
					vv[r] += v[r];
				}
			}
			for (size_t r = 0; r < LANES; r++) {
				uint32_t w = wp[i * LANES + r], any = vv[r] > 0;

				/* Without a branch: no customer weighs, no share
				   (bv is 0 then, over 1). */
				out->hits[k][r] += w * hv[r];
				out->back[k][r] += (double)(w * bv[r]) /
				    (double)(vv[r] + !any);
				out->backw[k][r] += w * any;
			}
		}
	}
	for (size_t k = 0; k < in->nk; k++)	/* divided by k once */
		for (size_t r = 0; r < LANES; r++)
			out->hit[k][r] = (double)out->hits[k][r] / (double)in->ks[k];
}

/*
 * The replicates from s0, one a lane, nl of them: the weighted figures of
 * every method, then the ratios.
 */
static void
batch(const struct job *j, size_t s0, size_t nl, uint8_t *wp, uint8_t *wc)
{
	const struct ph_input *in = j->in;
	size_t nk = in->nk, n = in->nproducts;
	struct sums sum[PH_MAX_METHODS];
	double rhit[PH_MAX_K][LANES] = { { 0 } }, rback[LANES] = { 0 };
	double w[LANES];

	if (nl < LANES) {	/* lanes left empty stay 0 */
		memset(wp, 0, n * LANES);
		memset(wc, 0, in->ncustomers * LANES);
	}
	for (size_t r = 0; r < nl; r++)
		w[r] = draw(in, s0 + r, r, wp, wc);
	for (size_t i = 0; i < n; i++)
		for (size_t r = 0; r < nl; r++) {
			rback[r] += wp[i * LANES + r] * in->random_back[i];
			for (size_t k = 0; k < nk; k++)
				rhit[k][r] += wp[i * LANES + r] *
				    in->random_hit[i * nk + k];
		}
	for (size_t m = 0; m < in->nmethods; m++)
		method_sums(j, &in->methods[m], wp, wc, &sum[m]);
	for (size_t r = 0; r < nl; r++)
		for (size_t k = 0; k < nk; k++) {
			double best = NAN;

			for (size_t m = 0; m < in->nmethods; m++)
				if ((in->baselines >> m & 1) &&
				    (isnan(best) || sum[m].hit[k][r] > best))
					best = sum[m].hit[k][r];
			for (size_t m = 0; m < in->nmethods; m++) {
				const struct sums *x = &sum[m];
				double *at = j->ratio + ((m * nk + k) * j->series) *
				    in->samples + s0 + r;

				at[LIFT_HIT * in->samples] = x->hit[k][r] / rhit[k][r];
				at[LIFT_BACK * in->samples] = x->backw[k][r] > 0 &&
				    rback[r] > 0 ? (x->back[k][r] / (double)x->backw[k][r]) /
				    (rback[r] / w[r]) : NAN;
				at[LIFT_HIT_VS_BEST * in->samples] = x->hit[k][r] / best;
				for (size_t b = 0; b < in->nmethods; b++)
					at[(NLIFTS + b) * in->samples] =
					    x->hit[k][r] / sum[b].hit[k][r];
			}
		}
}

static void
batches(void *ctx, size_t from, size_t to, unsigned thread)
{
	const struct job *j = ctx;

	for (size_t b = from; b < to; b++) {
		size_t s0 = b * LANES, left = j->in->samples - s0;

		batch(j, s0, left < LANES ? left : LANES, j->wp[thread],
		    j->wc[thread]);
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of sorted v (n > 0), interpolated linearly. */
static double
quantile(const double *v, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)pos;

	return lo + 1 < n ? v[lo] + (v[lo + 1] - v[lo]) * (pos - (double)lo) : v[lo];
}

/* The 95% interval of the finite values among v[0..n), sorting v. */
static struct ph_interval
interval(double *v, size_t n)
{
	struct ph_interval iv = { NAN, NAN };
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			v[m++] = v[i];
	qsort(v, m, sizeof(*v), cmp_double);
	if (m > 0) {
		iv.lo = quantile(v, m, 0.025);
		iv.hi = quantile(v, m, 0.975);
	}
	return iv;
}

void
ph_intervals(const struct ph_input *in, struct ph_lifts *out)
{
	unsigned threads = in->threads ? in->threads : 1;
	size_t nk = in->nk, cells = in->nmethods * nk;
	struct job j = { .in = in };

	j.order = xmalloc((nk + 1) * sizeof(*j.order));
	for (size_t k = 0; k < nk; k++) {	/* insertion sort of a few */
		size_t at = k;

		while (at > 0 && in->ks[j.order[at - 1]] > in->ks[k]) {
			j.order[at] = j.order[at - 1];
			at--;
		}
		j.order[at] = k;
	}
	j.series = NLIFTS + in->nmethods;
	j.ratio = xmalloc((cells * j.series * in->samples + 1) * sizeof(*j.ratio));
	j.wp = xmalloc(threads * sizeof(*j.wp));
	j.wc = xmalloc(threads * sizeof(*j.wc));
	for (unsigned t = 0; t < threads; t++) {
		j.wp[t] = xmalloc((in->nproducts + 1) * LANES);
		j.wc[t] = xmalloc((in->ncustomers + 1) * LANES);
	}
	parallel_for((in->samples + LANES - 1) / LANES, 1, threads, batches, &j);
	for (size_t x = 0; x < cells; x++) {
		double *base = j.ratio + x * j.series * in->samples;

		out[x].hit = interval(base + LIFT_HIT * in->samples, in->samples);
		out[x].back = interval(base + LIFT_BACK * in->samples, in->samples);
		out[x].hit_vs_best = interval(base +
		    LIFT_HIT_VS_BEST * in->samples, in->samples);
		for (size_t b = 0; b < PH_MAX_METHODS; b++)
			out[x].hit_vs[b] = b < in->nmethods ? interval(base +
			    (NLIFTS + b) * in->samples, in->samples) :
			    (struct ph_interval){ NAN, NAN };
	}
	for (unsigned t = 0; t < threads; t++) {
		free(j.wp[t]);
		free(j.wc[t]);
	}
	free(j.wp);
	free(j.wc);
	free(j.ratio);
	free(j.order);
}
