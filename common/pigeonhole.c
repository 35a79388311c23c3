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

struct job {
	const struct ph_input *in;
	size_t *order;			/* the cut-offs, ascending */
	size_t series;			/* a cell's: NLIFTS + nmethods */
	double *ratio;			/* [((m * nk + k) * series + l) * samples + s] */
	double **wp;			/* per thread: product weights */
	uint8_t **wc;			/* per thread: customer weights (a
					   Poisson(1) count is at most 11) */
};

/* One replicate: the weighted figures of every method, then the ratios. */
static void
replicate(const struct job *j, size_t s, double *wp, uint8_t *wc)
{
	const struct ph_input *in = j->in;
	size_t nk = in->nk, n = in->nproducts;
	double hit[PH_MAX_METHODS * PH_MAX_K], back[PH_MAX_METHODS * PH_MAX_K];
	double backw[PH_MAX_METHODS * PH_MAX_K], rhit[PH_MAX_K] = { 0 };
	double rback = 0, w = 0, best[PH_MAX_K];
	struct rng rng;

	rng_seed(&rng, rng_mix(in->seed + 0x9e3779b97f4a7c15u * (s + 1)));
	for (size_t i = 0; i < n; i++)
		w += wp[i] = poisson1(&rng);
	for (size_t c = 0; c < in->ncustomers; c++)
		wc[c] = in->customers_too ? (uint8_t)poisson1(&rng) : 1;
	for (size_t i = 0; i < n; i++) {
		rback += wp[i] * in->random_back[i];
		for (size_t k = 0; k < nk; k++)
			rhit[k] += wp[i] * in->random_hit[i * nk + k];
	}
	for (size_t m = 0; m < in->nmethods; m++) {
		const struct ph_method *me = &in->methods[m];
		double *h = hit + m * nk, *b = back + m * nk, *bw = backw + m * nk;

		memset(h, 0, nk * sizeof(*h));
		memset(b, 0, nk * sizeof(*b));
		memset(bw, 0, nk * sizeof(*bw));
		for (size_t i = 0; i < n; i++) {
			const uint32_t *c = me->customer + i * in->kmax;
			const uint8_t *hi = me->hit + i * in->kmax, *ba = me->back + i * in->kmax;
			/* Sums of small whole weights: exact in integers, and
			   cheaper than in floating point. */
			unsigned hv = 0, bv = 0, vv = 0;
			size_t jj = 0;

			if (wp[i] == 0)
				continue;
			for (size_t q = 0; q < nk; q++) {
				size_t k = j->order[q], upto = (size_t)in->ks[k];
				size_t end = upto < me->got[i] ? upto : me->got[i];

				for (; jj < end; jj++) {
					unsigned v = wc[c[jj]];

					hv += v * hi[jj];
					bv += v * ba[jj];
					vv += v;
				}
				h[k] += wp[i] * hv / (double)upto;
				if (vv > 0) {
					b[k] += wp[i] * bv / vv;
					bw[k] += wp[i];
				}
			}
		}
	}
	for (size_t k = 0; k < nk; k++) {
		best[k] = NAN;
		for (size_t m = 0; m < in->nmethods; m++)
			if ((in->baselines >> m & 1) &&
			    (isnan(best[k]) || hit[m * nk + k] > best[k]))
				best[k] = hit[m * nk + k];
	}
	for (size_t m = 0; m < in->nmethods; m++)
		for (size_t k = 0; k < nk; k++) {
			double *at = j->ratio + ((m * nk + k) * j->series) * in->samples + s;

			at[LIFT_HIT * in->samples] = hit[m * nk + k] / rhit[k];
			at[LIFT_BACK * in->samples] = backw[m * nk + k] > 0 && rback > 0 ?
			    (back[m * nk + k] / backw[m * nk + k]) / (rback / w) : NAN;
			at[LIFT_HIT_VS_BEST * in->samples] =
			    hit[m * nk + k] / best[k];
			for (size_t b = 0; b < in->nmethods; b++)
				at[(NLIFTS + b) * in->samples] =
				    hit[m * nk + k] / hit[b * nk + k];
		}
}

static void
replicates(void *ctx, size_t from, size_t to, unsigned thread)
{
	const struct job *j = ctx;

	for (size_t s = from; s < to; s++)
		replicate(j, s, j->wp[thread], j->wc[thread]);
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
		j.wp[t] = xmalloc((in->nproducts + 1) * sizeof(double));
		j.wc[t] = xmalloc(in->ncustomers + 1);
	}
	parallel_for(in->samples, 16, threads, replicates, &j);
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
