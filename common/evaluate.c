/*
 * Evaluation of targeting; see evaluate.h. Per evaluable product and k the
 * figures of each method are kept, so that the bootstrap can resample
 * products and recompute the ratios of means.
 */
#include "evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "cooc.h"
#include "engagement.h"
#include "groups.h"
#include "json.h"
#include "parallel.h"
#include "ranking.h"
#include "rng.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

const char *const method_name[NMETHODS] = { "engagement", "activity",
	"cooccurrence", "random" };

/* Per product and k: the share of hits and of returning customers. */
struct per_product {
	double *hit, *recall, *active;	/* [(method * nk + k) * nprod + i] */
	size_t nprod;
};

static size_t
slot(const struct eval_result *r, const struct per_product *pp, int m, size_t k,
    size_t i)
{
	return ((size_t)m * r->nk + k) * pp->nprod + i;
}

/* The split and what every method is scored against. */
struct split {
	const struct eval_result *r;
	struct per_product *pp;		/* where the figures go */
	const struct interactions *ia;
	size_t ntrain;
	const struct features *f;	/* of the training rows */
	const uint8_t *present;		/* training customers */
	const uint8_t *active;		/* training customers seen again */
	const struct product_customers *train, *test;
	const uint32_t *evaluable, *relevant;	/* per evaluable product */
};

/* Records the figures of product i from its audience target[0..got). */
static void
tally(const struct split *sp, int m, size_t i, const uint32_t *target,
    size_t got)
{
	const struct eval_result *r = sp->r;
	struct per_product *pp = sp->pp;
	uint32_t product = sp->evaluable[i], relevant = sp->relevant[i];
	size_t hits = 0, back = 0, j = 0;

	for (size_t k = 0; k < r->nk; k++) {
		size_t kk = (size_t)r->ks[k];

		for (; j < kk && j < got; j++) {
			uint32_t c = target[j];

			hits += product_customers_has(sp->test, product, c);
			back += sp->active[c];
		}
		pp->hit[slot(r, pp, m, k, i)] = (double)hits / (double)kk;
		pp->recall[slot(r, pp, m, k, i)] = relevant ?
		    (double)hits / relevant : NAN;
		pp->active[slot(r, pp, m, k, i)] = j ? (double)back / (double)j : 0;
	}
}

/* Figures of one scoring method over the evaluable products. */
static void
score_method(const struct split *sp, int m, const double *score)
{
	size_t kmax = 0, n = sp->pp->nprod;
	uint32_t *target;
	size_t *got = xmalloc((n + 1) * sizeof(*got));

	for (size_t k = 0; k < sp->r->nk; k++)
		if ((size_t)sp->r->ks[k] > kmax)
			kmax = (size_t)sp->r->ks[k];
	target = xmalloc((n * kmax + 1) * sizeof(*target));
	audience_top_each(sp->ia->customers, score, sp->present, sp->train,
	    sp->evaluable, n, kmax, target, got);
	for (size_t i = 0; i < n; i++)
		tally(sp, m, i, target + i * kmax, got[i]);
	free(target);
	free(got);
}

/* The co-occurrence audiences, a chunk of products on each thread. */
struct cooc_job {
	const struct split *sp;
	const struct cooc *model;
	struct cooc_scratch *scratch;	/* per thread */
	double blend;
	const uint32_t *fallback;	/* per product: 2 kmax by engagement */
	const size_t *nfallback;
	size_t kmax;
};

static void
cooc_chunk(void *ctx, size_t from, size_t to, unsigned thread)
{
	struct cooc_job *j = ctx;
	struct cooc_target *t = xmalloc((j->kmax + 1) * sizeof(*t));
	uint32_t *target = xmalloc((j->kmax + 1) * sizeof(*target));

	for (size_t i = from; i < to; i++) {
		struct cooc_query q = { .product = j->sp->evaluable[i],
		    .k = j->kmax, .base = j->sp->f->engagement, .blend = j->blend,
		    .keep = j->sp->present,
		    .fallback = j->fallback + i * 2 * j->kmax,
		    .nfallback = j->nfallback[i] };
		size_t got = cooc_audience(j->model, &q, &j->scratch[thread], t);

		for (size_t k = 0; k < got; k++)
			target[k] = t[k].customer;
		tally(j->sp, METHOD_COOCCURRENCE, i, target, got);
	}
	free(t);
	free(target);
}

/*
 * Figures of the co-occurrence model trained on the training rows, its
 * audiences filled from the engagement order.
 */
static void
score_cooc(const struct split *sp, const struct cooc_params *cp, double blend)
{
	struct cooc model;
	unsigned threads = cp->threads ? cp->threads : 1;
	size_t n = sp->pp->nprod;
	struct cooc_job j = { .sp = sp, .model = &model, .blend = blend };
	uint32_t *fallback;
	size_t *nfallback = xmalloc((n + 1) * sizeof(*nfallback));

	for (size_t k = 0; k < sp->r->nk; k++)
		if ((size_t)sp->r->ks[k] > j.kmax)
			j.kmax = (size_t)sp->r->ks[k];
	fallback = xmalloc((n * 2 * j.kmax + 1) * sizeof(*fallback));
	audience_top_each(sp->ia->customers, sp->f->engagement, sp->present,
	    sp->train, sp->evaluable, n, 2 * j.kmax, fallback, nfallback);
	j.fallback = fallback;
	j.nfallback = nfallback;
	cooc_build(&model, sp->ia, sp->ntrain, cp);
	j.scratch = xmalloc(threads * sizeof(*j.scratch));
	for (unsigned t = 0; t < threads; t++)
		cooc_scratch_init(&j.scratch[t], &model);
	parallel_for(n, 64, threads, cooc_chunk, &j);
	for (unsigned t = 0; t < threads; t++)
		cooc_scratch_free(&j.scratch[t]);
	free(j.scratch);
	cooc_free(&model);
	free(fallback);
	free(nfallback);
}

/* The exact expectation of random targeting among eligible customers. */
static void
score_random(const struct split *sp)
{
	const struct eval_result *r = sp->r;
	struct per_product *pp = sp->pp;
	const uint8_t *active = sp->active;
	const struct product_customers *train = sp->train;
	const uint32_t *evaluable = sp->evaluable, *relevant = sp->relevant;

	for (size_t i = 0; i < pp->nprod; i++) {
		size_t p = evaluable[i], taken = product_customers_count(train, p);
		double eligible = (double)(r->train_customers - taken);
		size_t back = r->returning_customers;

		for (uint64_t j = train->start[p]; j < train->start[p + 1]; j++)
			back -= active[train->customer[j]];
		for (size_t k = 0; k < r->nk; k++) {
			double kk = (double)r->ks[k], picked = kk < eligible ? kk : eligible;
			size_t s = slot(r, pp, METHOD_RANDOM, k, i);

			pp->hit[s] = eligible > 0 ? picked * relevant[i] / eligible / kk : 0;
			pp->recall[s] = relevant[i] ? (eligible > 0 ? picked / eligible : 0) : NAN;
			pp->active[s] = eligible > 0 ? back / eligible : 0;
		}
	}
}

static double
mean(const double *v, size_t n, const uint32_t *pick)
{
	double sum = 0;
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		double x = v[pick ? pick[i] : i];

		if (!isnan(x))
			sum += x, used++;
	}
	return used ? sum / used : NAN;
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
static void
interval(double *v, size_t n, double *lo, double *hi)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			v[m++] = v[i];
	qsort(v, m, sizeof(*v), cmp_double);
	*lo = m ? quantile(v, m, 0.025) : NAN;
	*hi = m ? quantile(v, m, 0.975) : NAN;
}

/*
 * Means over the products, and the lifts (ratios of means) with their 95%
 * bootstrap intervals: each resample draws n products with replacement, and
 * all lifts are computed from the same draws. The per-product figures are
 * laid out a product to a row; a resample counts the draws of each product,
 * then sums the rows in one sequential pass.
 */
static void
summarise(struct eval_result *r, const struct per_product *pp)
{
	size_t n = pp->nprod, samples = n ? r->bootstrap : 0;
	size_t width = NMETHODS * r->nk * 2, nlifts = (NMETHODS - 1) * r->nk * 2;
	double *row = xmalloc((n * width + 1) * sizeof(*row));
	double *sum = xmalloc(width * sizeof(*sum));
	double *ratio = xmalloc((nlifts * samples + 1) * sizeof(*ratio));
	uint32_t *drawn = xmalloc((n + 1) * sizeof(*drawn));
	struct rng rng;

	/* Column of method m, cut-off k: hits at 2 (m nk + k), returns next. */
	for (size_t i = 0; i < n; i++)
		for (int m = 0; m < NMETHODS; m++)
			for (size_t k = 0; k < r->nk; k++) {
				size_t col = 2 * (m * r->nk + k);

				row[i * width + col] = pp->hit[slot(r, pp, m, k, i)];
				row[i * width + col + 1] = pp->active[slot(r, pp, m, k, i)];
			}
	rng_seed(&rng, r->seed);
	for (size_t s = 0; s < samples; s++) {
		/* How often each product is drawn, then one pass over the rows. */
		memset(drawn, 0, n * sizeof(*drawn));
		for (size_t j = 0; j < n; j++)
			drawn[rng_next(&rng) % n]++;
		memset(sum, 0, width * sizeof(*sum));
		for (size_t i = 0; i < n; i++) {
			const double *x = row + i * width;

			if (drawn[i] == 0)
				continue;
			for (size_t c = 0; c < width; c++)
				sum[c] += drawn[i] * x[c];
		}
		for (size_t l = 0; l < nlifts; l++)	/* l: (method, k, measure) */
			ratio[l * samples + s] = sum[l] / sum[2 * METHOD_RANDOM *
			    r->nk + l % (2 * r->nk)];
	}
	for (int m = 0; m < NMETHODS; m++)
		for (size_t k = 0; k < r->nk; k++) {
			struct eval_at_k *a = &r->at[m][k];

			a->precision = mean(pp->hit + slot(r, pp, m, k, 0), n, NULL);
			a->recall = mean(pp->recall + slot(r, pp, m, k, 0), n, NULL);
			a->active_share = mean(pp->active + slot(r, pp, m, k, 0), n, NULL);
			a->hit_lift = a->hit_lift_lo = a->hit_lift_hi = NAN;
			a->active_lift = a->active_lift_lo = a->active_lift_hi = NAN;
		}
	for (int m = 0; m < METHOD_RANDOM && n > 0; m++)
		for (size_t k = 0; k < r->nk; k++) {
			struct eval_at_k *a = &r->at[m][k];
			size_t l = 2 * (m * r->nk + k);

			a->hit_lift = a->precision / r->at[METHOD_RANDOM][k].precision;
			a->active_lift = a->active_share /
			    r->at[METHOD_RANDOM][k].active_share;
			interval(ratio + l * samples, samples, &a->hit_lift_lo,
			    &a->hit_lift_hi);
			interval(ratio + (l + 1) * samples, samples, &a->active_lift_lo,
			    &a->active_lift_hi);
			if (!isfinite(a->hit_lift))
				a->hit_lift = a->hit_lift_lo = a->hit_lift_hi = NAN;
			if (!isfinite(a->active_lift))
				a->active_lift = a->active_lift_lo = a->active_lift_hi = NAN;
		}
	free(row);
	free(sum);
	free(ratio);
	free(drawn);
}

int
evaluate(struct eval_result *r, const struct interactions *ia,
    const struct eval_params *p)
{
	size_t ntrain = (size_t)floor(p->train_fraction * (double)ia->n);
	size_t nc = intern_count(ia->customers);
	struct feature_params params;
	struct features f;
	struct product_customers train, test;
	struct per_product pp;
	uint8_t *present = xcalloc(nc + 1, 1), *active = xcalloc(nc + 1, 1);
	uint32_t *evaluable, *relevant;

	memset(r, 0, sizeof(*r));
	if (ntrain == 0 || ntrain >= ia->n) {
		free(present);
		free(active);
		return -1;
	}
	r->train_fraction = p->train_fraction;
	r->train_rows = ntrain;
	r->test_rows = ia->n - ntrain;
	r->split_time = ia->time[ntrain];
	r->nk = p->nk < EVAL_MAX_K ? p->nk : EVAL_MAX_K;
	memcpy(r->ks, p->ks, r->nk * sizeof(*r->ks));
	r->bootstrap = p->bootstrap;
	r->seed = p->seed;

	feature_params_init(&params, ia);
	features_compute(&f, ia, ntrain, &params);
	for (size_t c = 0; c < nc; c++)
		r->train_customers += present[c] = f.sum[c].total > 0;
	for (size_t i = ntrain; i < ia->n; i++)
		active[ia->customer[i]] = 1;
	for (size_t c = 0; c < nc; c++) {
		r->test_customers += active[c];
		r->returning_customers += active[c] && present[c];
		active[c] = active[c] && present[c];
	}
	product_customers_build(&train, ia, 0, ntrain);
	product_customers_build(&test, ia, ntrain, ia->n);
	evaluable = xmalloc((train.nproducts + 1) * sizeof(*evaluable));
	relevant = xmalloc((train.nproducts + 1) * sizeof(*relevant));
	for (size_t q = 0; q < train.nproducts; q++) {
		int in_train = product_customers_count(&train, q) > 0;
		int in_test = product_customers_count(&test, q) > 0;
		uint32_t rel = 0;

		r->train_products += in_train;
		r->test_products += in_test;
		if (!in_train || !in_test)
			continue;
		for (uint64_t j = test.start[q]; j < test.start[q + 1]; j++)
			rel += present[test.customer[j]] &&
			    !product_customers_has(&train, q, test.customer[j]);
		relevant[r->evaluable] = rel;
		r->with_relevant += rel > 0;
		evaluable[r->evaluable++] = (uint32_t)q;
	}
	pp.nprod = r->evaluable;
	pp.hit = xmalloc((NMETHODS * r->nk * pp.nprod + 1) * sizeof(double));
	pp.recall = xmalloc((NMETHODS * r->nk * pp.nprod + 1) * sizeof(double));
	pp.active = xmalloc((NMETHODS * r->nk * pp.nprod + 1) * sizeof(double));
	{
		struct split sp = { .r = r, .pp = &pp, .ia = ia, .ntrain = ntrain,
		    .f = &f, .present = present, .active = active, .train = &train,
		    .test = &test, .evaluable = evaluable, .relevant = relevant };
		struct cooc_params cp = *p->cooc;

		cp.event_weight = params.event_weight;
		score_method(&sp, METHOD_ENGAGEMENT, f.engagement);
		score_method(&sp, METHOD_ACTIVITY, f.activity);
		score_cooc(&sp, &cp, p->blend);
		score_random(&sp);
	}
	summarise(r, &pp);

	free(pp.hit);
	free(pp.recall);
	free(pp.active);
	free(evaluable);
	free(relevant);
	free(present);
	free(active);
	product_customers_free(&train);
	product_customers_free(&test);
	features_free(&f);
	feature_params_free(&params);
	return 0;
}

static void
json_number(FILE *out, const char *key, double v, int comma)
{
	fprintf(out, "%s\"%s\":", comma ? "," : "", key);
	json_write_double(out, v);
}

/* ,"NAME":v,"NAME_ci95":[lo,hi] */
static void
json_lift(FILE *out, const char *name, double v, double lo, double hi)
{
	json_number(out, name, v, 1);
	fprintf(out, ",\"%s_ci95\":[", name);
	json_write_double(out, lo);
	putc(',', out);
	json_write_double(out, hi);
	putc(']', out);
}

void
eval_write_json(FILE *out, const struct eval_result *r)
{
	char when[TIME_ISO_LEN];

	fprintf(out, "{\"split\":{\"train_fraction\":");
	json_write_double(out, r->train_fraction);
	fprintf(out, ",\"train_rows\":%zu,\"test_rows\":%zu,\"split_time\":\"%s\","
	    "\"train_customers\":%zu,\"test_customers\":%zu,"
	    "\"returning_customers\":%zu},", r->train_rows, r->test_rows,
	    time_format_iso(r->split_time, when), r->train_customers,
	    r->test_customers, r->returning_customers);
	fprintf(out, "\"products\":{\"train\":%zu,\"test\":%zu,\"evaluable\":%zu,"
	    "\"with_relevant\":%zu", r->train_products, r->test_products,
	    r->evaluable, r->with_relevant);
	json_number(out, "coverage", r->test_products ?
	    (double)r->evaluable / r->test_products : NAN, 1);
	fprintf(out, "},\"methods\":{");
	for (int m = 0; m < NMETHODS; m++) {
		fprintf(out, "%s\"%s\":{", m ? "," : "", method_name[m]);
		for (size_t k = 0; k < r->nk; k++) {
			const struct eval_at_k *a = &r->at[m][k];

			fprintf(out, "%s\"%lld\":{", k ? "," : "", (long long)r->ks[k]);
			json_number(out, "precision", a->precision, 0);
			json_number(out, "recall", a->recall, 1);
			json_number(out, "active_share", a->active_share, 1);
			if (m != METHOD_RANDOM) {
				json_lift(out, "hit_lift", a->hit_lift,
				    a->hit_lift_lo, a->hit_lift_hi);
				json_lift(out, "active_lift", a->active_lift,
				    a->active_lift_lo, a->active_lift_hi);
			}
			putc('}', out);
		}
		putc('}', out);
	}
	fprintf(out, "},\"bootstrap\":{\"samples\":%zu,\"seed\":%llu}}\n",
	    r->bootstrap, (unsigned long long)r->seed);
}

/* "3.4x (95% interval 2.9x to 4.0x)", or what can be said without one. */
static void
describe_lift(FILE *out, double v, double lo, double hi)
{
	if (!isfinite(v))
		fprintf(out, "an undefined multiple (random scores nothing)");
	else
		fprintf(out, "%.2fx (95%% interval %.2fx to %.2fx)", v, lo, hi);
}

void
eval_write_text(FILE *out, const struct eval_result *r)
{
	char when[TIME_ISO_LEN];
	size_t mid = r->nk / 2;

	fprintf(out, "Temporal split at %s: %zu rows train, %zu test.\n",
	    time_format_iso(r->split_time, when), r->train_rows, r->test_rows);
	fprintf(out, "%zu of %zu training customers came back in the test period "
	    "(%.2f%%).\n", r->returning_customers, r->train_customers,
	    r->train_customers ? 100.0 * r->returning_customers / r->train_customers : 0);
	fprintf(out, "%zu products are in both periods (coverage %.2f%% of the test "
	    "period's %zu); %zu of them gained a new customer.\n\n", r->evaluable,
	    r->test_products ? 100.0 * r->evaluable / r->test_products : 0,
	    r->test_products, r->with_relevant);
	if (r->evaluable == 0) {
		fprintf(out, "Nothing can be evaluated: no product is in both periods.\n");
		return;
	}
	fprintf(out, "%-11s %4s %10s %10s %13s\n", "method", "k", "precision",
	    "recall", "come back");
	for (int m = 0; m < NMETHODS; m++)
		for (size_t k = 0; k < r->nk; k++)
			fprintf(out, "%-11s %4lld %10.5f %10.5f %12.2f%%\n",
			    method_name[m], (long long)r->ks[k], r->at[m][k].precision,
			    r->at[m][k].recall, 100 * r->at[m][k].active_share);
	fputc('\n', out);
	for (int m = 0; m < METHOD_RANDOM; m++) {
		const struct eval_at_k *a = &r->at[m][mid];
		int beats = isfinite(a->hit_lift_lo) && a->hit_lift_lo > 1;
		int worse = isfinite(a->hit_lift_hi) && a->hit_lift_hi < 1;

		fprintf(out, "At k=%lld, %s targeting %s random: it finds ",
		    (long long)r->ks[mid], method_name[m],
		    beats ? "beats" : worse ? "does worse than" :
		    "cannot be told apart from");
		describe_lift(out, a->hit_lift, a->hit_lift_lo, a->hit_lift_hi);
		fprintf(out, " as many of the customers who take up the product, and "
		    "its customers are ");
		describe_lift(out, a->active_lift, a->active_lift_lo, a->active_lift_hi);
		fprintf(out, " as likely to come back at all.\n");
	}
}
