/* Settings of the co-occurrence model chosen on a validation split; see tune.h. */
#include "tune.h"

#include <math.h>
#include <string.h>

#include "banned.h"

enum { SET_HALF_LIFE, SET_EXPONENT, SET_NEIGHBOURS, SET_SUPPORT, SET_BLEND,
    SET_CATEGORY, NSETTINGS };

static const double grid[NSETTINGS][5] = {
	[SET_HALF_LIFE] = { 30, 14, 60, 180, 0 },
	[SET_EXPONENT] = { 0.7, 0.5, 0.3, NAN },
	[SET_NEIGHBOURS] = { 200, 50, 500, NAN },
	[SET_SUPPORT] = { 2, 1, 3, NAN },
	[SET_BLEND] = { 0.1, 0, 0.3, 1, NAN },
	[SET_CATEGORY] = { 0.5, 0, 0.1, 2, NAN },	/* only with categories */
};
static const double new_blend_grid[] = { 0, 0.3, 1, 3, 10 };

static void
set(struct tune_trial *t, int which, double v)
{
	switch (which) {
	case SET_HALF_LIFE: t->cooc.half_life_days = v; break;
	case SET_EXPONENT: t->cooc.alpha = v; break;
	case SET_NEIGHBOURS: t->cooc.neighbours = (size_t)v; break;
	case SET_SUPPORT: t->cooc.min_support = (uint32_t)v; break;
	case SET_BLEND: t->blend = v; break;
	case SET_CATEGORY: t->cooc.category_weight = v; break;
	}
}

static int
same(const struct tune_trial *a, const struct tune_trial *b)
{
	return a->cooc.half_life_days == b->cooc.half_life_days &&
	    a->cooc.alpha == b->cooc.alpha && a->cooc.neighbours == b->cooc.neighbours &&
	    a->cooc.min_support == b->cooc.min_support && a->blend == b->blend &&
	    a->cooc.category_weight == b->cooc.category_weight;
}

/* The precision of t's audiences on the inner split, measured once. */
static double
measure(struct tune_result *r, const struct interactions *ia,
    const struct eval_params *p, struct tune_trial *t)
{
	struct eval_params q = *p;
	struct eval_result res;

	for (size_t i = 0; i < r->ntrials; i++)
		if (same(&r->trial[i], t))
			return t->precision = r->trial[i].precision;
	q.cooc = &t->cooc;
	q.blend = t->blend;
	q.rows = r->rows;
	q.bootstrap = 0;
	q.methods = 1u << METHOD_COOCCURRENCE;
	q.als = NULL;
	if (evaluate(&res, ia, &q) < 0)
		return t->precision = NAN;
	r->train_rows = res.train_rows;
	t->precision = res.at[METHOD_COOCCURRENCE][res.nk / 2].precision;
	if (r->ntrials < TUNE_MAX_TRIALS)
		r->trial[r->ntrials++] = *t;
	return t->precision;
}

/*
 * The precision of new products' audiences on the inner split with the
 * best settings and new_blend v; NAN when none can be evaluated.
 */
static double
measure_new(struct tune_result *r, const struct interactions *ia,
    const struct eval_params *p, double v)
{
	struct eval_params q = *p;
	struct eval_result res;

	q.cooc = &r->best.cooc;
	q.blend = r->best.blend;
	q.new_blend = v;
	q.rows = r->rows;
	q.bootstrap = 0;
	q.methods = 1u << METHOD_COOCCURRENCE | EVAL_COLD_START;
	q.als = NULL;
	if (evaluate(&res, ia, &q) < 0 || res.cold_products == 0)
		return NAN;
	r->cold_products = res.cold_products;
	return res.cold_name[res.nk / 2].precision;
}

/* The new products' weight: p's first, then the grid's other values. */
static void
tune_new_blend(struct tune_result *r, const struct interactions *ia,
    const struct eval_params *p)
{
	r->new_blend = p->new_blend;
	r->new_precision = measure_new(r, ia, p, p->new_blend);
	if (isnan(r->new_precision))
		return;
	for (size_t g = 0; g < sizeof(new_blend_grid) / sizeof(*new_blend_grid); g++) {
		double v = new_blend_grid[g], got;

		if (v != p->new_blend &&
		    (got = measure_new(r, ia, p, v)) > r->new_precision) {
			r->new_blend = v;
			r->new_precision = got;
		}
	}
}

int
tune_cooc(struct tune_result *r, const struct interactions *ia, size_t rows,
    const struct eval_params *p)
{
	memset(r, 0, sizeof(*r));
	r->rows = rows && rows < ia->n ? rows : ia->n;
	r->k = p->ks[p->nk / 2];
	r->best.cooc = *p->cooc;
	r->best.blend = p->blend;
	r->categories = ia->categories != NULL;
	if (isnan(measure(r, ia, p, &r->best)))
		return -1;
	for (int pass = 0; pass < 2; pass++)
		for (int s = 0; s < NSETTINGS - (ia->categories == NULL); s++)
			for (int g = 0; g < 5 && !isnan(grid[s][g]); g++) {
				struct tune_trial t = r->best;

				set(&t, s, grid[s][g]);
				if (measure(r, ia, p, &t) > r->best.precision)
					r->best = t;
			}
	if (ia->name_at != NULL || ia->categories != NULL)
		tune_new_blend(r, ia, p);
	else
		r->new_blend = p->new_blend;
	return 0;
}

void
tune_write_text(FILE *out, const struct tune_result *r)
{
	const struct tune_trial *b = &r->best;

	fprintf(out, "Tuned on a validation split of the first %zu rows (%zu train, "
	    "%zu validate), %zu settings tried, by precision@%lld of the "
	    "co-occurrence model: %.5f with\n  --half-life %g "
	    "--popularity-exponent %g --neighbours %zu --min-support %u --blend %g",
	    r->rows, r->train_rows, r->rows - r->train_rows, r->ntrials,
	    (long long)r->k, b->precision, b->cooc.half_life_days, b->cooc.alpha,
	    b->cooc.neighbours, b->cooc.min_support, b->blend);
	if (r->categories)
		fprintf(out, " --category-weight %g", b->cooc.category_weight);
	putc('\n', out);
	if (r->cold_products > 0)
		fprintf(out, "and by precision@%lld of %zu products treated as "
		    "new: %.5f with\n  --new-blend %g\n", (long long)r->k,
		    r->cold_products, r->new_precision, r->new_blend);
}
