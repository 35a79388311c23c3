/*
 * BG/NBD and MBG/NBD: the likelihoods, P(alive) and conditional
 * expectations as in Fader, Hardie & Lee (2005), equations 6, 10 and 13,
 * and Batislam, Denizel & Filiztekin (2007); see returnmodel.h.
 * Everything is computed in logarithms where powers could overflow.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "returnmodel.h"
#include "rfmset.h"
#include "parallel.h"
#include "xalloc.h"
#include "banned.h"

#define NPARAM 4
#define MAX_ITER 4000		/* per Nelder-Mead run */
#define MAX_RUNS 4		/* restarts of the best point */

double
hyp2f1(double a, double b, double c, double z)
{
	double sum = 1, term = 1;

	for (int n = 0; n < 1000000; n++) {
		term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z;
		if (sum + term == sum)
			break;
		sum += term;
	}
	return sum;
}

static double
logaddexp(double u, double v)
{
	double m = u > v ? u : v;

	if (m == -INFINITY)
		return m;
	return m + log(exp(u - m) + exp(v - m));
}

/* The log of the odds that a customer has dropped out, given the fit:
   P(alive) = 1 / (1 + exp(it)); -infinity when they cannot have. */
static double
log_dead_odds(const struct return_fit *f, const struct rfm *c)
{
	double lead = f->kind == RETURN_MBGNBD ? f->b + c->x : f->b + c->x - 1;

	if (f->kind == RETURN_BGNBD && c->x == 0)
		return -INFINITY;
	return log(f->a) - log(lead) + (f->r + c->x) *
	    (log(f->alpha + c->T) - log(f->alpha + c->t_x));
}

double
return_loglik(const struct return_fit *f, const struct rfm *c)
{
	double r = f->r, alpha = f->alpha, a = f->a, b = f->b, x = c->x;
	/* MBG/NBD's dropout may come before the first repeat purchase. */
	double shift = f->kind == RETURN_MBGNBD ? 1 : 0;
	double a1 = lgamma(r + x) - lgamma(r) + r * log(alpha);
	double a2 = lgamma(a + b) + lgamma(b + x + shift) - lgamma(b) -
	    lgamma(a + b + x + shift);
	double a3 = -(r + x) * log(alpha + c->T);
	double a4 = -INFINITY;

	if (f->kind == RETURN_MBGNBD || x > 0)
		a4 = log(a) - log(b + x + shift - 1) - (r + x) * log(alpha + c->t_x);
	return a1 + a2 + logaddexp(a3, a4);
}

double
return_p_alive(const struct return_fit *f, const struct rfm *c)
{
	double l = log_dead_odds(f, c);

	return l > 700 ? 0 : 1 / (1 + exp(l));
}

double
return_expected(const struct return_fit *f, const struct rfm *c, double t)
{
	double r = f->r, alpha = f->alpha, a = f->a, b = f->b, x = c->x;
	double shift = f->kind == RETURN_MBGNBD ? 1 : 0;
	double z = t / (alpha + c->T + t);
	double hyp = hyp2f1(r + x, b + x + shift, a + b + x + shift - 1, z);
	double lead = (a + b + x + shift - 1) / (a - 1);
	double rest = 1 - exp((r + x) * (log(alpha + c->T) -
	    log(alpha + c->T + t))) * hyp;
	double l = log_dead_odds(f, c);

	if (l > 700)
		return 0;
	return lead * rest / (1 + exp(l));
}

/*
 * The fit's negative mean log-likelihood at theta = log(r, alpha, a, b),
 * over the distinct summaries, each weighed by its customers: at a day's
 * resolution hundreds of thousands of customers share far fewer (x, t_x, T).
 */
struct objective {
	enum return_kind kind;
	const struct rfm *c;		/* distinct summaries */
	const double *w;		/* customers of each */
	size_t n;
	double total;			/* customers in all */
	/* T and t_x take few values (days of a year or two, in periods):
	   each summary's index into the distinct values of each, so that
	   an evaluation takes their logarithms once a value, not once a
	   summary. */
	double *times;			/* the distinct values of T and t_x */
	size_t ntimes;
	uint32_t *at_T, *at_tx;		/* per summary */
	double *log_at;			/* scratch: log(alpha + times[i]) */
};

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static uint32_t
time_index(const struct objective *o, double v)
{
	size_t lo = 0, hi = o->ntimes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->times[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}

/* The distinct values of T and t_x, and each summary's place in them. */
static void
objective_index(struct objective *o)
{
	size_t n = 0;

	o->times = xmalloc((2 * o->n + 1) * sizeof(*o->times));
	for (size_t i = 0; i < o->n; i++) {
		o->times[n++] = o->c[i].T;
		o->times[n++] = o->c[i].t_x;
	}
	qsort(o->times, n, sizeof(*o->times), by_value);
	o->ntimes = 0;
	for (size_t i = 0; i < n; i++)
		if (o->ntimes == 0 || o->times[i] != o->times[o->ntimes - 1])
			o->times[o->ntimes++] = o->times[i];
	o->at_T = xmalloc((o->n + 1) * sizeof(*o->at_T));
	o->at_tx = xmalloc((o->n + 1) * sizeof(*o->at_tx));
	for (size_t i = 0; i < o->n; i++) {
		o->at_T[i] = time_index(o, o->c[i].T);
		o->at_tx[i] = time_index(o, o->c[i].t_x);
	}
	o->log_at = xmalloc((o->ntimes + 1) * sizeof(*o->log_at));
}

static void
objective_free(struct objective *o)
{
	free(o->times);
	free(o->at_T);
	free(o->at_tx);
	free(o->log_at);
}

/*
 * return_loglik() summed over the summaries, with what depends on x alone
 * worked out once per x (the summaries are sorted by x, which takes few
 * values): two logarithms and an exponential a summary remain.
 */
static double
objective(const struct objective *o, const double *theta)
{
	double r = exp(theta[0]), alpha = exp(theta[1]), a = exp(theta[2]);
	double b = exp(theta[3]), shift = o->kind == RETURN_MBGNBD ? 1 : 0;
	double base = -lgamma(r) + r * theta[1] + lgamma(a + b) - lgamma(b);
	double sum = 0, cx = 0, c4 = -INFINITY, prev = -1;

	for (int i = 0; i < NPARAM; i++)	/* out of double's comfort */
		if (fabs(theta[i]) > 30)
			return INFINITY;
	for (size_t i = 0; i < o->ntimes; i++)
		o->log_at[i] = log(alpha + o->times[i]);
	for (size_t i = 0; i < o->n; i++) {
		const struct rfm *c = &o->c[i];
		double rx = r + c->x, a3, ll;

		if (c->x != prev) {
			prev = c->x;
			cx = base + lgamma(rx) + lgamma(b + c->x + shift) -
			    lgamma(a + b + c->x + shift);
			c4 = shift > 0 || c->x > 0 ?
			    theta[2] - log(b + c->x + shift - 1) : -INFINITY;
		}
		a3 = -rx * o->log_at[o->at_T[i]];
		ll = c4 == -INFINITY ? a3 :
		    logaddexp(a3, c4 - rx * o->log_at[o->at_tx[i]]);
		sum += o->w[i] * (cx + ll);
	}
	sum = -sum / o->total;
	return isfinite(sum) ? sum : INFINITY;
}

/*
 * Nelder-Mead (reflection 1, expansion 2, contraction 1/2, shrink 1/2)
 * from a simplex of steps of 0.5 around theta, which it leaves at the best
 * vertex. Returns the iterations; *converged when the values agree to ftol
 * (relative) and the vertices to xtol.
 */
static int
nelder_mead(const struct objective *o, double *theta, double *best,
    double ftol, double xtol, int *converged)
{
	double s[NPARAM + 1][NPARAM], v[NPARAM + 1];
	int it;

	for (int i = 0; i <= NPARAM; i++) {
		memcpy(s[i], theta, sizeof(s[i]));
		if (i > 0)
			s[i][i - 1] += 0.5;
		v[i] = objective(o, s[i]);
	}
	*converged = 0;
	for (it = 0; it < MAX_ITER; it++) {
		double mid[NPARAM], xr[NPARAM], xe[NPARAM], xc[NPARAM], fr, fe, fc;
		double spread = 0;
		int lo = 0, hi = 0, nh = 0;

		for (int i = 1; i <= NPARAM; i++) {
			if (v[i] < v[lo])
				lo = i;
			if (v[i] > v[hi])
				hi = i;
		}
		nh = lo == 0 ? 1 : 0;
		for (int i = 0; i <= NPARAM; i++)
			if (i != hi && v[i] > v[nh])
				nh = i;
		for (int i = 0; i <= NPARAM; i++)
			for (int k = 0; k < NPARAM; k++)
				if (fabs(s[i][k] - s[lo][k]) > spread)
					spread = fabs(s[i][k] - s[lo][k]);
		/* The values agreeing is enough, as in R's optim: where the
		   data puts the optimum at a boundary (a -> 0, b -> infinity:
		   nobody drops out) the simplex stretches along a ridge whose
		   value no longer changes, and the fit's scores are its limit. */
		if (v[hi] - v[lo] <= ftol * (fabs(v[lo]) + 1e-12) &&
		    (spread <= xtol || v[hi] - v[lo] <= 1e-3 * ftol *
		    (fabs(v[lo]) + 1e-12))) {
			*converged = 1;
			break;
		}
		for (int k = 0; k < NPARAM; k++) {
			mid[k] = 0;
			for (int i = 0; i <= NPARAM; i++)
				if (i != hi)
					mid[k] += s[i][k] / NPARAM;
			xr[k] = mid[k] + (mid[k] - s[hi][k]);
		}
		fr = objective(o, xr);
		if (fr < v[lo]) {
			for (int k = 0; k < NPARAM; k++)
				xe[k] = mid[k] + 2 * (xr[k] - mid[k]);
			fe = objective(o, xe);
			memcpy(s[hi], fe < fr ? xe : xr, sizeof(s[hi]));
			v[hi] = fe < fr ? fe : fr;
			continue;
		}
		if (fr < v[nh]) {
			memcpy(s[hi], xr, sizeof(s[hi]));
			v[hi] = fr;
			continue;
		}
		for (int k = 0; k < NPARAM; k++)	/* outside or inside */
			xc[k] = fr < v[hi] ? mid[k] + 0.5 * (xr[k] - mid[k]) :
			    mid[k] + 0.5 * (s[hi][k] - mid[k]);
		fc = objective(o, xc);
		if (fc < (fr < v[hi] ? fr : v[hi])) {
			memcpy(s[hi], xc, sizeof(s[hi]));
			v[hi] = fc;
			continue;
		}
		for (int i = 0; i <= NPARAM; i++) {	/* shrink towards lo */
			if (i == lo)
				continue;
			for (int k = 0; k < NPARAM; k++)
				s[i][k] = s[lo][k] + 0.5 * (s[i][k] - s[lo][k]);
			v[i] = objective(o, s[i]);
		}
	}
	{
		int lo = 0;

		for (int i = 1; i <= NPARAM; i++)
			if (v[i] < v[lo])
				lo = i;
		memcpy(theta, s[lo], sizeof(s[lo]));
		*best = v[lo];
	}
	return it;
}

/*
 * Inverts the symmetric positive definite a (NPARAM x NPARAM) in place by
 * Cholesky; -1 when it is not positive definite.
 */
static int
invert_spd(double a[NPARAM][NPARAM])
{
	double l[NPARAM][NPARAM] = { { 0 } }, inv[NPARAM][NPARAM];

	for (int i = 0; i < NPARAM; i++)
		for (int j = 0; j <= i; j++) {
			double sum = a[i][j];

			for (int k = 0; k < j; k++)
				sum -= l[i][k] * l[j][k];
			if (i == j) {
				if (!(sum > 0))
					return -1;
				l[i][i] = sqrt(sum);
			} else
				l[i][j] = sum / l[j][j];
		}
	/* Column by column: solve L L' x = e_c. */
	for (int c = 0; c < NPARAM; c++) {
		double y[NPARAM], x[NPARAM];

		for (int i = 0; i < NPARAM; i++) {
			y[i] = i == c;
			for (int k = 0; k < i; k++)
				y[i] -= l[i][k] * y[k];
			y[i] /= l[i][i];
		}
		for (int i = NPARAM - 1; i >= 0; i--) {
			x[i] = y[i];
			for (int k = i + 1; k < NPARAM; k++)
				x[i] -= l[k][i] * x[k];
			x[i] /= l[i][i];
		}
		for (int i = 0; i < NPARAM; i++)
			inv[i][c] = x[i];
	}
	memcpy(a, inv, sizeof(inv));
	return 0;
}

/*
 * The standard errors at the optimum theta (log-parameters): the Hessian
 * of the whole negative log-likelihood by central differences, inverted;
 * se(p) = p se(log p).
 */
static void
standard_errors(const struct objective *o, const double *theta, double *se)
{
	const double h = 1e-3;
	double hess[NPARAM][NPARAM], f0 = objective(o, theta);

	for (int i = 0; i < NPARAM; i++)
		for (int j = 0; j <= i; j++) {
			double t[NPARAM], v[4];

			for (int s = 0; s < 4; s++) {
				memcpy(t, theta, sizeof(t));
				t[i] += s & 1 ? -h : h;
				t[j] += s & 2 ? -h : h;
				v[s] = objective(o, t);
			}
			/* i == j: f(+2h) - 2 f + f(-2h) over (2h)^2 */
			hess[i][j] = i == j ? (v[0] - 2 * f0 + v[3]) / (4 * h * h) :
			    (v[0] - v[1] - v[2] + v[3]) / (4 * h * h);
			hess[i][j] *= o->total;
			hess[j][i] = hess[i][j];
		}
	if (invert_spd(hess) < 0) {
		for (int i = 0; i < NPARAM; i++)
			se[i] = NAN;
		return;
	}
	for (int i = 0; i < NPARAM; i++)
		se[i] = exp(theta[i]) * sqrt(hess[i][i]);
}

int
return_fit(struct return_fit *fit, enum return_kind kind, const struct rfm *c,
    size_t n, char *err, size_t errlen)
{
	struct rfmset set;
	uint32_t *remap = xmalloc((n + 1) * sizeof(*remap));
	int ret;

	rfmset_init(&set);
	for (size_t i = 0; i < n; i++)
		rfmset_add(&set, &c[i]);
	rfmset_sort(&set, remap);
	ret = return_fit_counts(fit, kind, set.unique, set.count, set.n, err,
	    errlen);
	free(remap);
	rfmset_free(&set);
	return ret;
}

/* A start's rough fit, on a copy of the objective with scratch of its own. */
struct rough {
	struct objective o;
	double theta[NPARAM], value;
	int iterations;
};

#define NSTARTS 4

static void
rough_fit(void *ctx, size_t from, size_t to, unsigned thread)
{
	struct rough *r = ctx;
	int converged;

	(void)thread;
	for (size_t s = from; s < to; s++) {
		r[s].value = INFINITY;
		r[s].iterations = nelder_mead(&r[s].o, r[s].theta, &r[s].value,
		    1e-7, 1e-4, &converged);
	}
}

int
return_fit_counts(struct return_fit *fit, enum return_kind kind,
    const struct rfm *c, const double *count, size_t n, char *err,
    size_t errlen)
{
	static const double starts[NSTARTS][NPARAM] = {
		{ 1, 1, 1, 1 }, { 0.25, 4, 0.8, 2.5 }, { 2, 10, 0.5, 5 },
		{ 0.5, 0.5, 2, 0.5 },
	};
	struct rough rough[NSTARTS];
	struct objective o = { .kind = kind, .c = c, .w = count, .n = n };
	double best = INFINITY, theta_best[NPARAM] = { 0 };
	size_t repeaters = 0;

	memset(fit, 0, sizeof(*fit));
	fit->kind = kind;
	for (size_t i = 0; i < n; i++) {
		repeaters += c[i].x > 0;
		o.total += count[i];
	}
	if (n == 0 || repeaters == 0) {
		snprintf(err, errlen, "%s", n == 0 ? "no customer to fit the "
		    "return model to" : "no customer bought again: the return "
		    "model has no maximum to fit");
		return -1;
	}
	objective_index(&o);
	/* Each start roughly, on the cores, then the best one to the end. */
	for (size_t s = 0; s < NSTARTS; s++) {
		rough[s].o = o;
		rough[s].o.log_at = xmalloc((o.ntimes + 1) * sizeof(*o.log_at));
		for (int k = 0; k < NPARAM; k++)
			rough[s].theta[k] = log(starts[s][k]);
	}
	parallel_for(NSTARTS, 1, parallel_cpus(), rough_fit, rough);
	for (size_t s = 0; s < NSTARTS; s++) {
		fit->iterations += rough[s].iterations;
		if (rough[s].value < best) {
			best = rough[s].value;
			memcpy(theta_best, rough[s].theta, sizeof(theta_best));
		}
		free(rough[s].o.log_at);
	}
	/* Restart from the best vertex until it stops improving: a simplex
	   can collapse before the optimum. */
	for (int run = 0; run < MAX_RUNS; run++) {
		double before = best;

		fit->iterations += nelder_mead(&o, theta_best, &best, 1e-12, 1e-9,
		    &fit->converged);
		if (before - best <= 1e-13 * (fabs(best) + 1e-12))
			break;
	}
	fit->r = exp(theta_best[0]);
	fit->alpha = exp(theta_best[1]);
	fit->a = exp(theta_best[2]);
	fit->b = exp(theta_best[3]);
	fit->log_likelihood = -best * o.total;
	standard_errors(&o, theta_best, fit->se);
	objective_free(&o);
	return 0;
}
