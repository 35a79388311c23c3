/*
 * Evaluation of targeting; see evaluate.h. Every method's audiences of the
 * evaluable products are kept as lists, from which come the point
 * estimates, the diversity of the audiences and the bootstrap intervals.
 */
#include "evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "coldstart.h"
#include "comeback.h"
#include "engagement.h"
#include "groups.h"
#include "parallel.h"
#include "pigeonhole.h"
#include "returns.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

const char *const method_name[NMETHODS] = { "engagement", "activity",
	"popularity", "cooccurrence", "als", "mbgnbd", "random" };
const uint64_t eval_caps[EVAL_NCAPS] = { 1, 3, 10, 0 };

int
eval_baseline(int method)
{
	return method == METHOD_ENGAGEMENT || method == METHOD_ACTIVITY ||
	    method == METHOD_POPULARITY || method == METHOD_ALS;
}

/* The split and what every method is scored against. */
struct split {
	struct eval_result *r;
	const struct interactions *ia;
	size_t ntrain, n, kmax;		/* n evaluable products */
	size_t nrows;			/* training and test rows */
	const struct features *f;	/* of the training rows */
	const uint8_t *present;		/* training customers */
	const uint8_t *active;		/* training customers seen again */
	const struct product_customers *train, *test;
	const uint32_t *evaluable, *relevant;	/* per evaluable product */
	const double *expected;		/* MBG/NBD's expected purchases per
					   customer, or NULL: nothing to fit */
};

/* A method's audiences: product i's first got[i] at customer[i * kmax]. */
struct lists {
	uint32_t *customer;
	size_t *got;
};

static void
lists_init(struct lists *l, const struct split *sp)
{
	l->customer = xmalloc((sp->n * sp->kmax + 1) * sizeof(*l->customer));
	l->got = xcalloc(sp->n + 1, sizeof(*l->got));
}

static void
lists_free(struct lists *l)
{
	free(l->customer);
	free(l->got);
}

/* The co-occurrence audiences, a chunk of products on each thread. */
struct cooc_job {
	const struct split *sp;
	const struct cooc *model;
	struct cooc_scratch *scratch;	/* per thread */
	double blend;
	const uint32_t *fallback;	/* per product: 2 kmax by engagement */
	const size_t *nfallback;
	struct lists *out;
};

static void
cooc_chunk(void *ctx, size_t from, size_t to, unsigned thread)
{
	struct cooc_job *j = ctx;
	size_t kmax = j->sp->kmax;
	struct cooc_target *t = xmalloc((kmax + 1) * sizeof(*t));

	for (size_t i = from; i < to; i++) {
		struct cooc_query q = { .product = j->sp->evaluable[i],
		    .k = kmax, .base = j->sp->f->engagement, .blend = j->blend,
		    .keep = j->sp->present, .fallback = j->fallback + i * 2 * kmax,
		    .nfallback = j->nfallback[i] };
		size_t got = cooc_audience(j->model, &q, &j->scratch[thread], t);

		for (size_t k = 0; k < got; k++)
			j->out->customer[i * kmax + k] = t[k].customer;
		j->out->got[i] = got;
	}
	free(t);
}

/*
 * The co-occurrence model trained on the training rows, its audiences
 * filled from the engagement order.
 */
static void
target_cooc(const struct split *sp, const struct cooc *model,
    const struct eval_params *p, struct lists *out)
{
	unsigned threads = p->cooc->threads ? p->cooc->threads : 1;
	struct cooc_job j = { .sp = sp, .model = model, .blend = p->blend,
	    .out = out };
	uint32_t *fallback = xmalloc((sp->n * 2 * sp->kmax + 1) * sizeof(*fallback));
	size_t *nfallback = xmalloc((sp->n + 1) * sizeof(*nfallback));

	audience_top_each(sp->ia->customers, sp->f->engagement, sp->present,
	    sp->train, sp->evaluable, sp->n, 2 * sp->kmax, fallback, nfallback);
	j.fallback = fallback;
	j.nfallback = nfallback;
	j.scratch = xmalloc(threads * sizeof(*j.scratch));
	for (unsigned t = 0; t < threads; t++)
		cooc_scratch_init(&j.scratch[t], model);
	parallel_for(sp->n, 64, threads, cooc_chunk, &j);
	for (unsigned t = 0; t < threads; t++)
		cooc_scratch_free(&j.scratch[t]);
	free(j.scratch);
	free(fallback);
	free(nfallback);
}

/*
 * Each customer's purchases expected over the test period's length, by
 * MBG/NBD fitted on the training rows (weeks, every event a purchase), in
 * rs; -1 when it has nothing to fit (no repeat purchase in training).
 */
static int
fit_returns(const struct split *sp, struct return_scores *rs)
{
	const struct interactions *ia = sp->ia;
	int64_t end = ia->time[sp->ntrain - 1];
	struct return_params rp = { .kind = RETURN_MBGNBD, .period_days = 7,
	    .calibration_end = end, .event = -1, .rows = sp->ntrain,
	    .horizon = (double)(ia->time[sp->nrows - 1] - end) /
	    (7 * (double)MS_PER_DAY) };
	char err[256];

	if (rp.horizon < 1)
		rp.horizon = 1;
	return return_scores_compute(rs, ia, &rp, err, sizeof(err));
}

/* Fills method m's lists; 0, or -1 when it is left out. */
static int
target(const struct split *sp, int m, const struct eval_params *p,
    const struct cooc *model, struct lists *out)
{
	double *popular;

	switch (m) {
	case METHOD_ENGAGEMENT:
	case METHOD_ACTIVITY:
		audience_top_each(sp->ia->customers, m == METHOD_ENGAGEMENT ?
		    sp->f->engagement : sp->f->activity, sp->present, sp->train,
		    sp->evaluable, sp->n, sp->kmax, out->customer, out->got);
		return 0;
	case METHOD_POPULARITY:
		popular = xcalloc(intern_count(sp->ia->customers) + 1,
		    sizeof(*popular));
		cf_popularity(sp->train, popular);
		audience_top_each(sp->ia->customers, popular, sp->present,
		    sp->train, sp->evaluable, sp->n, sp->kmax, out->customer,
		    out->got);
		free(popular);
		return 0;
	case METHOD_COOCCURRENCE:
		target_cooc(sp, model, p, out);
		return 0;
	case METHOD_RETURN:	/* the customers expected to buy the most */
		if (sp->expected == NULL)
			return -1;
		audience_top_each(sp->ia->customers, sp->expected, sp->present,
		    sp->train, sp->evaluable, sp->n, sp->kmax, out->customer,
		    out->got);
		return 0;
	case METHOD_ALS:
		if (p->als == NULL)
			return -1;
		cf_als_targets(sp->ia, sp->ntrain, p->als, sp->train, sp->present,
		    sp->evaluable, sp->n, sp->kmax, out->customer, out->got);
		return 0;
	}
	return -1;
}

/*
 * Random targeting's exact expectations per product: its precision at each
 * cut-off ([i * nk + k]), its recall (the same layout), and the share of
 * its eligible customers who come back.
 */
static void
expect_random(const struct split *sp, double *hit, double *recall, double *back)
{
	const struct eval_result *r = sp->r;

	for (size_t i = 0; i < sp->n; i++) {
		size_t p = sp->evaluable[i], taken = product_customers_count(sp->train, p);
		double eligible = (double)(r->train_customers - taken);
		size_t returning = r->returning_customers;

		for (uint64_t j = sp->train->start[p]; j < sp->train->start[p + 1]; j++)
			returning -= sp->active[sp->train->customer[j]];
		for (size_t k = 0; k < r->nk; k++) {
			double kk = (double)r->ks[k], picked = kk < eligible ? kk : eligible;

			hit[i * r->nk + k] = eligible > 0 ?
			    picked * sp->relevant[i] / eligible / kk : 0;
			recall[i * r->nk + k] = sp->relevant[i] ?
			    (eligible > 0 ? picked / eligible : 0) : NAN;
		}
		back[i] = eligible > 0 ? returning / eligible : 0;
	}
}

/* Marks each listed customer's hits (took up the product) and returns. */
static void
flag(const struct split *sp, const struct lists *l, uint8_t *hit, uint8_t *back)
{
	for (size_t i = 0; i < sp->n; i++)
		for (size_t j = 0; j < l->got[i]; j++) {
			uint32_t c = l->customer[i * sp->kmax + j];

			hit[i * sp->kmax + j] = (uint8_t)product_customers_has(sp->test,
			    sp->evaluable[i], c);
			back[i * sp->kmax + j] = sp->active[c];
		}
}

static const struct eval_lift no_lift = { NAN, NAN, NAN };

/* Every lift of a undefined (NaN), until lifts() computes them. */
static void
clear_lifts(struct eval_at_k *a)
{
	a->hit_lift = a->active_lift = a->hit_vs_best = no_lift;
	for (int b = 0; b < METHOD_RANDOM; b++)
		a->hit_vs[b] = no_lift;
}

/* A ratio with its interval; no_lift where the ratio is undefined. */
static struct eval_lift
lift(double v, struct ph_interval iv)
{
	return isfinite(v) ? (struct eval_lift){ v, iv.lo, iv.hi } : no_lift;
}

/* Point estimates of a method from its lists: means over the products. */
static void
estimate(const struct split *sp, const struct lists *l, const uint8_t *hit,
    const uint8_t *back, struct eval_at_k *at)
{
	for (size_t k = 0; k < sp->r->nk; k++) {
		size_t kk = (size_t)sp->r->ks[k], with = 0;
		double precision = 0, recall = 0, share = 0;

		for (size_t i = 0; i < sp->n; i++) {
			size_t hits = 0, came = 0, j;

			for (j = 0; j < kk && j < l->got[i]; j++) {
				hits += hit[i * sp->kmax + j];
				came += back[i * sp->kmax + j];
			}
			precision += (double)hits / (double)kk;
			share += j ? (double)came / (double)j : 0;
			if (sp->relevant[i]) {
				recall += (double)hits / sp->relevant[i];
				with++;
			}
		}
		at[k].precision = sp->n ? precision / (double)sp->n : NAN;
		at[k].recall = with ? recall / (double)with : NAN;
		at[k].active_share = sp->n ? share / (double)sp->n : NAN;
		clear_lifts(&at[k]);
	}
}

/* Distinct customers in the first k of all audiences, and the most
   audiences one of them is in; count[] is zero and left so. */
static void
diversity(const struct split *sp, const struct lists *l, uint32_t *count,
    struct eval_at_k *at)
{
	for (size_t k = 0; k < sp->r->nk; k++) {
		size_t kk = (size_t)sp->r->ks[k];

		at[k].distinct = at[k].most = 0;
		for (size_t i = 0; i < sp->n; i++)
			for (size_t j = 0; j < kk && j < l->got[i]; j++) {
				uint32_t c = l->customer[i * sp->kmax + j];

				at[k].distinct += count[c]++ == 0;
				if (count[c] > at[k].most)
					at[k].most = count[c];
			}
		for (size_t i = 0; i < sp->n; i++)
			for (size_t j = 0; j < kk && j < l->got[i]; j++)
				count[l->customer[i * sp->kmax + j]] = 0;
	}
}

static double
mean_of(const double *v, size_t n, size_t stride, size_t at)
{
	double sum = 0;
	size_t used = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i * stride + at]))
			sum += v[i * stride + at], used++;
	return used ? sum / (double)used : NAN;
}

/*
 * A method's lists as the bootstrap takes them: customers renamed into a
 * table of those the audiences hold (compact, UINT32_MAX where not yet,
 * *ncompact so far), so that a replicate weighs only them. *renamed is
 * the caller's to free.
 */
static struct ph_method
bootstrap_method(const struct split *sp, const struct lists *l,
    const uint8_t *hit, const uint8_t *back, uint32_t *compact,
    size_t *ncompact, uint32_t **renamed)
{
	*renamed = xmalloc((sp->n * sp->kmax + 1) * sizeof(uint32_t));
	for (size_t i = 0; i < sp->n; i++)
		for (size_t j = 0; j < l->got[i]; j++) {
			uint32_t c = l->customer[i * sp->kmax + j];

			if (compact[c] == UINT32_MAX)
				compact[c] = (uint32_t)(*ncompact)++;
			(*renamed)[i * sp->kmax + j] = compact[c];
		}
	return (struct ph_method){ *renamed, l->got, hit, back };
}

/* Lifts: point estimates and the intervals of the two-way bootstrap. */
static void
lifts(const struct split *sp, const struct eval_params *p, struct lists *l,
    uint8_t **hit, uint8_t **back, const double *rhit, const double *rback)
{
	struct eval_result *r = sp->r;
	size_t nc = intern_count(sp->ia->customers), ncompact = 0, nm = 0;
	uint32_t *compact = xmalloc((nc + 1) * sizeof(*compact));
	struct ph_method methods[NMETHODS];
	int which[NMETHODS];
	uint32_t *renamed[NMETHODS];
	struct ph_lifts *iv;
	struct ph_input in = { .nproducts = sp->n, .kmax = sp->kmax,
	    .random_hit = rhit, .random_back = rback, .ks = r->ks, .nk = r->nk,
	    .samples = sp->n ? p->bootstrap : 0, .seed = p->seed,
	    .customers_too = 1, .threads = p->threads };

	for (size_t c = 0; c < nc; c++)
		compact[c] = UINT32_MAX;
	for (int m = 0; m < METHOD_RANDOM; m++) {
		if (!r->done[m])
			continue;
		methods[nm] = bootstrap_method(sp, &l[m], hit[m], back[m], compact,
		    &ncompact, &renamed[nm]);
		if (eval_baseline(m))
			in.baselines |= 1u << nm;
		which[nm++] = m;
	}
	for (size_t k = 0; k < r->nk; k++) {
		int *b = &r->best[k];

		*b = -1;
		for (int m = 0; m < METHOD_RANDOM; m++)
			if (r->done[m] && eval_baseline(m) && (*b < 0 ||
			    r->at[m][k].precision > r->at[*b][k].precision))
				*b = m;
	}
	in.methods = methods;
	in.nmethods = nm;
	in.ncustomers = ncompact;
	iv = xcalloc(nm * r->nk + 1, sizeof(*iv));
	ph_intervals(&in, iv);		/* no replicates, no intervals */
	for (size_t x = 0; x < nm; x++)
		for (size_t k = 0; k < r->nk; k++) {
			struct eval_at_k *a = &r->at[which[x]][k];
			const struct eval_at_k *rnd = &r->at[METHOD_RANDOM][k];
			const struct ph_lifts *v = &iv[x * r->nk + k];

			a->hit_lift = lift(a->precision / rnd->precision, v->hit);
			a->active_lift = lift(a->active_share / rnd->active_share,
			    v->back);
			for (size_t b = 0; b < nm; b++)
				if (eval_baseline(which[b]))
					a->hit_vs[which[b]] = lift(a->precision /
					    r->at[which[b]][k].precision,
					    v->hit_vs[b]);
			a->hit_vs_best = lift(r->best[k] < 0 ? NAN : a->precision /
			    r->at[r->best[k]][k].precision, v->hit_vs_best);
		}
	for (size_t x = 0; x < nm; x++)
		free(renamed[x]);
	free(iv);
	free(compact);
}

/*
 * Products treated as new (coldstart.h): the engagement order and the
 * audiences found by name, their estimates, and the lift of the second
 * over the first with its two-way interval.
 */
static void
measure_cold(const struct split *sp, const struct eval_params *p,
    const struct cooc *model, const double *rhit, const double *rback)
{
	struct eval_result *r = sp->r;
	struct cold_input in = { .ia = sp->ia, .model = model,
	    .evaluable = sp->evaluable, .n = sp->n, .present = sp->present,
	    .train = sp->train, .kmax = sp->kmax, .seed = p->seed,
	    .base = sp->f->engagement, .blend = p->new_blend };
	size_t *which = xmalloc((sp->n + 1) * sizeof(*which)), picked, k2 = 2 * sp->kmax;
	uint32_t *products, *relevant, *fallback;
	size_t *nfallback;
	double *sub_rhit, *sub_rback;
	struct lists l[2];
	uint8_t *hit[2], *back[2];
	struct split sub = *sp;

	if ((sp->ia->name_at == NULL && sp->ia->categories == NULL) ||
	    (picked = cold_pick(&in, which)) == 0) {
		free(which);
		return;
	}
	r->cold_products = picked;
	r->cold_categories = sp->ia->categories != NULL;
	products = xmalloc(picked * sizeof(*products));
	relevant = xmalloc(picked * sizeof(*relevant));
	sub_rhit = xmalloc(picked * r->nk * sizeof(*sub_rhit));
	sub_rback = xmalloc(picked * sizeof(*sub_rback));
	for (size_t j = 0; j < picked; j++) {
		products[j] = sp->evaluable[which[j]];
		relevant[j] = sp->relevant[which[j]];
		memcpy(sub_rhit + j * r->nk, rhit + which[j] * r->nk,
		    r->nk * sizeof(*rhit));
		sub_rback[j] = rback[which[j]];
	}
	sub.n = picked;
	sub.evaluable = products;
	sub.relevant = relevant;
	fallback = xmalloc((picked * k2 + 1) * sizeof(*fallback));
	nfallback = xmalloc((picked + 1) * sizeof(*nfallback));
	audience_top_each(sp->ia->customers, sp->f->engagement, sp->present,
	    sp->train, products, picked, k2, fallback, nfallback);
	for (int x = 0; x < 2; x++) {
		lists_init(&l[x], &sub);
		hit[x] = xcalloc(picked * sp->kmax + 1, 1);
		back[x] = xcalloc(picked * sp->kmax + 1, 1);
	}
	for (size_t j = 0; j < picked; j++) {	/* the global list: kmax */
		l[0].got[j] = nfallback[j] < sp->kmax ? nfallback[j] : sp->kmax;
		memcpy(l[0].customer + j * sp->kmax, fallback + j * k2,
		    l[0].got[j] * sizeof(uint32_t));
	}
	cold_targets(&in, which, picked, fallback, nfallback, l[1].customer, l[1].got);
	for (int x = 0; x < 2; x++) {
		flag(&sub, &l[x], hit[x], back[x]);
		estimate(&sub, &l[x], hit[x], back[x], x ? r->cold_name : r->cold_global);
	}
	{
		uint32_t *compact = xmalloc((intern_count(sp->ia->customers) + 1) *
		    sizeof(*compact)), *renamed[2];
		size_t ncompact = 0;
		struct ph_method m[2];
		struct ph_lifts iv[2 * EVAL_MAX_K];
		struct ph_input pin = { .nproducts = picked, .kmax = sp->kmax,
		    .methods = m, .nmethods = 2,
		    .random_hit = sub_rhit, .random_back = sub_rback, .ks = r->ks,
		    .nk = r->nk, .samples = p->bootstrap, .seed = p->seed,
		    .customers_too = 1, .threads = p->threads };

		for (size_t c = 0; c < intern_count(sp->ia->customers); c++)
			compact[c] = UINT32_MAX;
		for (int x = 0; x < 2; x++)
			m[x] = bootstrap_method(&sub, &l[x], hit[x], back[x], compact,
			    &ncompact, &renamed[x]);
		pin.ncustomers = ncompact;
		ph_intervals(&pin, iv);
		for (size_t k = 0; k < r->nk; k++) {
			struct eval_at_k *a = &r->cold_name[k];

			a->hit_vs[METHOD_ENGAGEMENT] = lift(a->precision /
			    r->cold_global[k].precision, iv[r->nk + k].hit_vs[0]);
		}
		for (int x = 0; x < 2; x++)
			free(renamed[x]);
		free(compact);
	}
	for (int x = 0; x < 2; x++) {
		lists_free(&l[x]);
		free(hit[x]);
		free(back[x]);
	}
	free(which);
	free(products);
	free(relevant);
	free(sub_rhit);
	free(sub_rback);
	free(fallback);
	free(nfallback);
}

/* Who comes back, by each customer score (comeback.h). */
static void
measure_comeback(const struct split *sp, const struct eval_params *p)
{
	struct eval_result *r = sp->r;
	size_t nc = intern_count(sp->ia->customers);
	struct comeback_input in = { .ncustomers = nc, .present = sp->present,
	    .active = sp->active, .train_customers = r->train_customers,
	    .returning = r->returning_customers };
	double *popular = xcalloc(nc + 1, sizeof(*popular));
	const double *score[METHOD_RANDOM] = {
		[METHOD_ENGAGEMENT] = sp->f->engagement,
		[METHOD_ACTIVITY] = sp->f->activity,
		[METHOD_POPULARITY] = popular,
		[METHOD_RETURN] = sp->expected,
	};

	cf_popularity(sp->train, popular);
	for (int m = 0; m < METHOD_RANDOM; m++) {
		if (score[m] == NULL || (p->methods && !(p->methods & 1u << m)))
			continue;
		comeback_measure(&in, score[m], r->come_back[m]);
		r->come_back_done[m] = 1;
	}
	free(popular);
}

/* Every method on the split: lists, estimates, diversity, lifts. */
static void
measure(const struct split *split, const struct eval_params *p,
    const double *event_weight)
{
	struct split with = *split, *sp = &with;
	struct return_scores rs;
	int fitted = (!p->methods || p->methods & 1u << METHOD_RETURN) &&
	    fit_returns(sp, &rs) == 0;
	double *expected;
	struct cooc model;
	struct cooc_params cp = *p->cooc;
	struct eval_result *r = sp->r;
	struct lists l[NMETHODS];
	uint8_t *hit[NMETHODS], *back[NMETHODS];
	uint32_t *count = xcalloc(intern_count(sp->ia->customers) + 1, sizeof(*count));
	double *rhit = xmalloc((sp->n * r->nk + 1) * sizeof(*rhit));
	double *rrecall = xmalloc((sp->n * r->nk + 1) * sizeof(*rrecall));
	double *rback = xmalloc((sp->n + 1) * sizeof(*rback));

	cp.event_weight = event_weight;
	cp.decay_end = sp->ntrain ? sp->ia->time[sp->ntrain - 1] : 0;
	expected = fitted ? return_scores_expected_all(&rs) : NULL;
	sp->expected = expected;
	measure_comeback(sp, p);
	cooc_build(&model, sp->ia, sp->ntrain, &cp);
	for (int m = 0; m < METHOD_RANDOM; m++) {
		lists_init(&l[m], sp);
		hit[m] = xcalloc(sp->n * sp->kmax + 1, 1);
		back[m] = xcalloc(sp->n * sp->kmax + 1, 1);
		if ((p->methods && !(p->methods & 1u << m)) ||
		    target(sp, m, p, &model, &l[m]) < 0)
			continue;
		r->done[m] = 1;
		flag(sp, &l[m], hit[m], back[m]);
		estimate(sp, &l[m], hit[m], back[m], r->at[m]);
		diversity(sp, &l[m], count, r->at[m]);
		for (int c = 0; c < EVAL_NCAPS; c++) {
			struct cap_input in = { .n = sp->n, .kmax = sp->kmax,
			    .ncustomers = intern_count(sp->ia->customers),
			    .customer = l[m].customer, .got = l[m].got,
			    .hit = hit[m] };

			capping_measure(&in, eval_caps[c],
			    (size_t)r->ks[r->nk / 2], &r->capped[m][c]);
		}
	}
	expect_random(sp, rhit, rrecall, rback);
	r->done[METHOD_RANDOM] = 1;
	for (size_t k = 0; k < r->nk; k++) {
		struct eval_at_k *a = &r->at[METHOD_RANDOM][k];

		a->precision = mean_of(rhit, sp->n, r->nk, k);
		a->recall = mean_of(rrecall, sp->n, r->nk, k);
		a->active_share = mean_of(rback, sp->n, 1, 0);
		clear_lifts(a);
	}
	lifts(sp, p, l, hit, back, rhit, rback);
	if (p->methods == 0 || (p->methods & EVAL_COLD_START))
		measure_cold(sp, p, &model, rhit, rback);
	cooc_free(&model);
	for (int m = 0; m < METHOD_RANDOM; m++) {
		lists_free(&l[m]);
		free(hit[m]);
		free(back[m]);
	}
	free(count);
	free(rhit);
	free(rrecall);
	free(rback);
	if (fitted)
		return_scores_free(&rs);
	free(expected);
}

int
evaluate(struct eval_result *r, const struct interactions *ia,
    const struct eval_params *p)
{
	size_t nrows = p->rows && p->rows < ia->n ? p->rows : ia->n;
	size_t ntrain = (size_t)floor(p->train_fraction * (double)nrows);
	size_t nc = intern_count(ia->customers), kmax = 0;
	struct feature_params params;
	struct features f;
	struct product_customers train, test;
	uint8_t *present = xcalloc(nc + 1, 1), *active = xcalloc(nc + 1, 1);
	uint32_t *evaluable, *relevant;

	memset(r, 0, sizeof(*r));
	if (ntrain == 0 || ntrain >= nrows) {
		free(present);
		free(active);
		return -1;
	}
	r->train_fraction = p->train_fraction;
	r->train_rows = ntrain;
	r->test_rows = nrows - ntrain;
	r->split_time = ia->time[ntrain];
	r->nk = p->nk < EVAL_MAX_K ? p->nk : EVAL_MAX_K;
	memcpy(r->ks, p->ks, r->nk * sizeof(*r->ks));
	for (size_t k = 0; k < r->nk; k++)
		if ((size_t)r->ks[k] > kmax)
			kmax = (size_t)r->ks[k];
	r->bootstrap = p->bootstrap;
	r->seed = p->seed;

	feature_params_init(&params, ia);
	features_compute(&f, ia, ntrain, &params);
	for (size_t c = 0; c < nc; c++)
		r->train_customers += present[c] = f.sum[c].total > 0;
	for (size_t i = ntrain; i < nrows; i++)
		active[ia->customer[i]] = 1;
	for (size_t c = 0; c < nc; c++) {
		r->test_customers += active[c];
		r->returning_customers += active[c] && present[c];
		active[c] = active[c] && present[c];
	}
	product_customers_build(&train, ia, 0, ntrain);
	product_customers_build(&test, ia, ntrain, nrows);
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
	{
		struct split sp = { .r = r, .ia = ia, .ntrain = ntrain, .nrows = nrows,
		    .n = r->evaluable, .kmax = kmax, .f = &f, .present = present,
		    .active = active, .train = &train, .test = &test,
		    .evaluable = evaluable, .relevant = relevant };

		measure(&sp, p, params.event_weight);
	}
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
