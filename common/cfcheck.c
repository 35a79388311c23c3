/*
 * The collaborative-filtering check; see cfcheck.h. Every method writes, for
 * each evaluated product, its first kmax customers (interactions' indices)
 * into one table; one tally then scores all methods alike.
 */
#include "cfcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audience.h"
#include "groups.h"
#include "json.h"
#include "parallel.h"
#include "radix.h"
#include "ranking.h"
#include "rng.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

const char *const cf_method_name[CF_NMETHODS] = {
	"als", "random", "most_active", "popularity"
};

#define SCORE_ITEMS 32		/* products scored side by side */
#define SCORE_USERS 2048	/* users scored per call */

/* The training rows as a matrix between dense indices of their own. */
struct train_matrix {
	struct als_matrix by_user, by_item;
	uint32_t *user_of;		/* dense user -> interactions' customer */
	uint32_t *item_of;		/* interactions' product -> dense item,
					   UINT32_MAX when not in training */
};

/* Dense indices in the interactions' order, so ties stay reproducible. */
static size_t
densify(const uint32_t *v, size_t n, size_t count, uint32_t *dense)
{
	size_t next = 0;

	for (size_t i = 0; i < count; i++)
		dense[i] = UINT32_MAX;
	for (size_t i = 0; i < n; i++)
		dense[v[i]] = 0;
	for (size_t i = 0; i < count; i++)
		if (dense[i] == 0)
			dense[i] = (uint32_t)next++;
	return next;
}

static void
train_matrix_build(struct train_matrix *t, const struct interactions *ia,
    size_t ntrain, double alpha)
{
	size_t nc = intern_count(ia->customers), np = intern_count(ia->products);
	uint32_t *user_dense = xmalloc((nc + 1) * sizeof(*user_dense));
	uint64_t *key = xmalloc((ntrain + 1) * sizeof(*key));
	struct als_matrix *m = &t->by_user;
	size_t nu, ni, cells = 0;

	nu = densify(ia->customer, ntrain, nc, user_dense);
	t->item_of = xmalloc((np + 1) * sizeof(*t->item_of));
	ni = densify(ia->product, ntrain, np, t->item_of);
	t->user_of = xmalloc((nu + 1) * sizeof(*t->user_of));
	for (size_t c = 0; c < nc; c++)
		if (user_dense[c] != UINT32_MAX)
			t->user_of[user_dense[c]] = (uint32_t)c;
	for (size_t i = 0; i < ntrain; i++)
		key[i] = (uint64_t)user_dense[ia->customer[i]] << 32 |
		    t->item_of[ia->product[i]];
	radix_sort_u64(key, NULL, ntrain);

	/* Equal keys are one cell; r interactions give confidence 1 + alpha r. */
	m->nrows = nu;
	m->ncols = ni;
	m->start = xcalloc(nu + 2, sizeof(*m->start));
	m->col = xmalloc((ntrain + 1) * sizeof(*m->col));
	m->confidence = xmalloc((ntrain + 1) * sizeof(*m->confidence));
	for (size_t i = 0; i < ntrain;) {
		size_t j = i;

		while (j < ntrain && key[j] == key[i])
			j++;
		m->start[(key[i] >> 32) + 1]++;
		m->col[cells] = (uint32_t)key[i];
		m->confidence[cells++] = (float)(1 + alpha * (double)(j - i));
		i = j;
	}
	for (size_t u = 0; u < nu; u++)
		m->start[u + 1] += m->start[u];
	als_matrix_transpose(&t->by_item, m);
	free(key);
	free(user_dense);
}

static void
train_matrix_free(struct train_matrix *t)
{
	als_matrix_free(&t->by_user);
	als_matrix_free(&t->by_item);
	free(t->user_of);
	free(t->item_of);
}

static double
seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The products to evaluate: all evaluable ones, or a seeded sample. */
static size_t
sample_products(uint32_t *products, size_t n, size_t want, uint64_t seed)
{
	struct rng rng;

	if (want == 0 || want >= n)
		return n;
	rng_seed(&rng, seed);
	for (size_t i = 0; i < want; i++) {
		size_t j = i + rng_next(&rng) % (n - i);
		uint32_t t = products[i];

		products[i] = products[j];
		products[j] = t;
	}
	qsort(products, want, sizeof(*products), cmp_u32);
	return want;
}

/* Per product, the first kmax customers a method targets. */
struct targets {
	size_t kmax;
	uint32_t *customer;		/* [i * kmax + j] */
	size_t *got;			/* [i] */
};

/* ALS: every training customer scored against each product. */
struct als_job {
	const struct als *model;
	const struct train_matrix *tm;
	const struct product_customers *train;
	const uint32_t *products, *id_rank;
	size_t n;
	struct targets *t;
};

/* Whether (s, a) ranks before (t, b): higher score, then lower id rank. */
static int
before(float s, uint32_t a, float t, uint32_t b)
{
	return s > t || (s == t && a < b);
}

static void
als_block(void *ctx, size_t from, size_t to, unsigned thread)
{
	const struct als_job *job = ctx;
	const struct als *m = job->model;
	size_t kmax = job->t->kmax, n = to - from;
	uint32_t items[SCORE_ITEMS];
	float *scores = xmalloc(SCORE_USERS * SCORE_ITEMS * sizeof(*scores));
	float *best = xmalloc(n * kmax * sizeof(*best));
	uint32_t *rank = xmalloc(n * kmax * sizeof(*rank));
	float worst[SCORE_ITEMS];	/* the last score of a full list */

	(void)thread;
	for (size_t b = 0; b < n; b++) {
		items[b] = job->tm->item_of[job->products[from + b]];
		job->t->got[from + b] = 0;
		worst[b] = -INFINITY;
	}
	for (size_t u0 = 0; u0 < m->nusers; u0 += SCORE_USERS) {
		size_t u1 = u0 + SCORE_USERS < m->nusers ? u0 + SCORE_USERS : m->nusers;

		als_scores(m, items, n, u0, u1, scores);
		for (size_t u = u0; u < u1; u++) {
			const float *su = scores + (u - u0) * n;

			for (size_t b = 0; b < n; b++) {
				size_t i = from + b, *got = &job->t->got[i], j;
				float s = su[b], *bs = best + b * kmax;
				uint32_t *br = rank + b * kmax, *bc = job->t->customer + i * kmax;
				uint32_t c, r;

				/* Most scores fall below the list: one comparison. */
				if (s < worst[b])
					continue;
				c = job->tm->user_of[u];
				r = job->id_rank[c];
				if (*got == kmax && !before(s, r, bs[kmax - 1], br[kmax - 1]))
					continue;
				if (product_customers_has(job->train, job->products[i], c))
					continue;
				/* Insert into the sorted list, dropping its last. */
				j = *got < kmax ? (*got)++ : kmax - 1;
				for (; j > 0 && before(s, r, bs[j - 1], br[j - 1]); j--) {
					bs[j] = bs[j - 1];
					br[j] = br[j - 1];
					bc[j] = bc[j - 1];
				}
				bs[j] = s;
				br[j] = r;
				bc[j] = c;
				if (*got == kmax)
					worst[b] = bs[kmax - 1];
			}
		}
	}
	free(scores);
	free(best);
	free(rank);
}

static void
target_by_als(struct targets *t, const struct als *m, const struct train_matrix *tm,
    const struct interactions *ia, const uint8_t *present,
    const struct product_customers *train, const uint32_t *products, size_t n)
{
	size_t nc = intern_count(ia->customers), count;
	double *zero = xcalloc(nc + 1, sizeof(*zero));
	uint32_t *by_id = ranking_order(ia->customers, zero, present, &count);
	uint32_t *id_rank = xmalloc((nc + 1) * sizeof(*id_rank));
	struct als_job job = { .model = m, .tm = tm, .train = train,
	    .products = products, .id_rank = id_rank, .n = n, .t = t };

	for (size_t k = 0; k < count; k++)
		id_rank[by_id[k]] = (uint32_t)k;
	parallel_for(n, SCORE_ITEMS, m->p.threads, als_block, &job);
	free(zero);
	free(by_id);
	free(id_rank);
}

/* Precision and recall of a method's targets, averaged over the products. */
static void
tally(struct cf_result *r, int method, const struct targets *t,
    const struct product_customers *test, const uint32_t *products,
    const uint32_t *relevant, size_t n)
{
	for (size_t k = 0; k < r->p.nk; k++) {
		size_t kk = (size_t)r->p.ks[k], with = 0;
		double precision = 0, recall = 0;

		for (size_t i = 0; i < n; i++) {
			size_t hits = 0;

			for (size_t j = 0; j < kk && j < t->got[i]; j++)
				hits += product_customers_has(test, products[i],
				    t->customer[i * t->kmax + j]);
			precision += (double)hits / (double)kk;
			if (relevant[i]) {
				recall += (double)hits / relevant[i];
				with++;
			}
		}
		r->precision[method][k] = n ? precision / (double)n : NAN;
		r->recall[method][k] = with ? recall / (double)with : NAN;
	}
}

/*
 * Random targeting of k among a product's eligible customers (training
 * customers who had not touched it) hits, in expectation, k relevant / eligible.
 */
static void
tally_random(struct cf_result *r, const struct product_customers *train,
    const uint32_t *products, const uint32_t *relevant, size_t n)
{
	for (size_t k = 0; k < r->p.nk; k++) {
		double kk = (double)r->p.ks[k], precision = 0, recall = 0;
		size_t with = 0;

		for (size_t i = 0; i < n; i++) {
			double eligible = (double)(r->train_customers -
			    product_customers_count(train, products[i]));
			double picked = kk < eligible ? kk : eligible;

			if (eligible <= 0)
				continue;
			precision += picked * relevant[i] / eligible / kk;
			if (relevant[i]) {
				recall += picked / eligible;
				with++;
			}
		}
		r->precision[CF_RANDOM][k] = n ? precision / (double)n : NAN;
		r->recall[CF_RANDOM][k] = with ? recall / (double)with : NAN;
	}
}

void
cf_params_default(struct cf_params *p)
{
	memset(p, 0, sizeof(*p));
	p->als.factors = 50;
	p->als.cg_steps = 3;
	p->als.regularization = 0.01;
	p->als.threads = parallel_cpus();
	p->iterations = 15;
	p->alpha = 1.0;
}

void
cf_popularity(const struct product_customers *train, double *popular)
{
	for (size_t q = 0; q < train->nproducts; q++)
		for (uint64_t j = train->start[q]; j < train->start[q + 1]; j++)
			popular[train->customer[j]] +=
			    (double)product_customers_count(train, q);
}

/* Training rows per customer, and the summed popularity of their products. */
static void
baseline_scores(const struct interactions *ia, size_t ntrain,
    const struct product_customers *train, double *active, double *popular)
{
	for (size_t i = 0; i < ntrain; i++)
		active[ia->customer[i]]++;
	cf_popularity(train, popular);
}

static void
train_als(struct cf_result *r, struct als *m, const struct train_matrix *tm)
{
	const struct cf_params *p = &r->p;

	als_init(m, tm->by_user.nrows, tm->by_item.nrows, &p->als);
	r->loss = xmalloc((p->iterations + 1) * sizeof(*r->loss));
	for (size_t it = 0; it < p->iterations; it++) {
		double t0 = seconds_now(), took;

		als_iterate(m, &tm->by_user, &tm->by_item);
		took = seconds_now() - t0;
		r->train_seconds += took;
		r->loss[it] = als_loss(m, &tm->by_user);
		if (p->on_iteration)
			p->on_iteration(p->ctx, it + 1, r->loss[it], took);
	}
}

void
cf_als_targets(const struct interactions *ia, size_t ntrain,
    const struct cf_params *p, const struct product_customers *train,
    const uint8_t *present, const uint32_t *products, size_t n, size_t kmax,
    uint32_t *out, size_t *got)
{
	struct cf_result r = { .p = *p };
	struct train_matrix tm;
	struct targets t = { .kmax = kmax, .customer = out, .got = got };
	struct als m;

	train_matrix_build(&tm, ia, ntrain, p->alpha);
	train_als(&r, &m, &tm);
	target_by_als(&t, &m, &tm, ia, present, train, products, n);
	free(r.loss);
	als_free(&m);
	train_matrix_free(&tm);
}

int
cf_check(struct cf_result *r, const struct interactions *ia,
    const struct cf_params *p)
{
	size_t ntrain = (size_t)floor(p->train_fraction * (double)ia->n);
	size_t nc = intern_count(ia->customers), n, kmax = 0;
	struct product_customers train, test;
	struct train_matrix tm;
	struct targets t;
	struct als m;
	uint8_t *present, *later;
	uint32_t *products, *relevant;
	double *active, *popular, start;

	memset(r, 0, sizeof(*r));
	r->p = *p;
	if (ntrain == 0 || ntrain >= ia->n)
		return -1;
	r->rows = ia->n;
	r->train_rows = ntrain;
	r->test_rows = ia->n - ntrain;
	r->split_time = ia->time[ntrain];
	train_matrix_build(&tm, ia, ntrain, p->alpha);
	r->train_customers = tm.by_user.nrows;
	r->train_products = tm.by_item.nrows;
	r->nonzeros = tm.by_user.start[tm.by_user.nrows];
	train_als(r, &m, &tm);

	present = xcalloc(nc + 1, 1);
	later = xcalloc(nc + 1, 1);
	for (size_t u = 0; u < tm.by_user.nrows; u++)
		present[tm.user_of[u]] = 1;
	for (size_t i = ntrain; i < ia->n; i++)
		later[ia->customer[i]] = 1;
	for (size_t c = 0; c < nc; c++) {
		r->test_customers += later[c];
		r->returning += later[c] && present[c];
	}
	product_customers_build(&train, ia, 0, ntrain);
	product_customers_build(&test, ia, ntrain, ia->n);
	products = xmalloc((train.nproducts + 1) * sizeof(*products));
	for (size_t q = 0; q < train.nproducts; q++)
		if (product_customers_count(&train, q) > 0 &&
		    product_customers_count(&test, q) > 0)
			products[r->evaluable++] = (uint32_t)q;
	n = r->evaluated = sample_products(products, r->evaluable, p->sample,
	    p->seed);
	/* Relevant: later customers of the product who trained, new to it. */
	relevant = xcalloc(n + 1, sizeof(*relevant));
	for (size_t i = 0; i < n; i++) {
		for (uint64_t j = test.start[products[i]];
		    j < test.start[products[i] + 1]; j++)
			relevant[i] += present[test.customer[j]] &&
			    !product_customers_has(&train, products[i], test.customer[j]);
		r->with_relevant += relevant[i] > 0;
	}

	for (size_t k = 0; k < p->nk; k++)
		if ((size_t)p->ks[k] > kmax)
			kmax = (size_t)p->ks[k];
	start = seconds_now();
	t.kmax = kmax;
	t.customer = xmalloc((n * kmax + 1) * sizeof(*t.customer));
	t.got = xcalloc(n + 1, sizeof(*t.got));
	target_by_als(&t, &m, &tm, ia, present, &train, products, n);
	tally(r, CF_ALS, &t, &test, products, relevant, n);
	tally_random(r, &train, products, relevant, n);
	active = xcalloc(nc + 1, sizeof(*active));
	popular = xcalloc(nc + 1, sizeof(*popular));
	baseline_scores(ia, ntrain, &train, active, popular);
	audience_top_each(ia->customers, active, present, &train, products, n,
	    kmax, t.customer, t.got);
	tally(r, CF_MOST_ACTIVE, &t, &test, products, relevant, n);
	audience_top_each(ia->customers, popular, present, &train, products, n,
	    kmax, t.customer, t.got);
	tally(r, CF_POPULARITY, &t, &test, products, relevant, n);
	r->eval_seconds = seconds_now() - start;

	free(active);
	free(popular);
	free(t.customer);
	free(t.got);
	free(products);
	free(relevant);
	free(present);
	free(later);
	product_customers_free(&train);
	product_customers_free(&test);
	als_free(&m);
	train_matrix_free(&tm);
	return 0;
}

void
cf_result_free(struct cf_result *r)
{
	free(r->loss);
	r->loss = NULL;
}

void
cf_conclusion(const struct cf_result *r, char *buf, size_t len)
{
	double als = r->precision[CF_ALS][0], rnd = r->precision[CF_RANDOM][0];
	double act = r->precision[CF_MOST_ACTIVE][0];
	long long k = (long long)r->p.ks[0];

	if (r->evaluated == 0)
		snprintf(buf, len, "no product has customers both before and after "
		    "the split: there is nothing to evaluate");
	else if (r->with_relevant == 0)
		snprintf(buf, len, "no evaluated product gains a customer from the "
		    "training period after the split: no method can find anyone, "
		    "collaborative filtering included");
	else if (!(als > rnd))
		snprintf(buf, len, "ALS finds later customers no more often than "
		    "random targeting (precision@%lld %.4g against %.4g): "
		    "collaborative filtering does not work on this data", k, als, rnd);
	else if (!(als > act))
		snprintf(buf, len, "ALS beats random targeting (precision@%lld %.4g "
		    "against %.4g, %.2fx) but not the most active customers (%.4g): "
		    "collaborative filtering adds nothing over ranking by engagement "
		    "here", k, als, rnd, als / rnd, act);
	else
		snprintf(buf, len, "ALS beats random targeting (precision@%lld %.4g "
		    "against %.4g, %.2fx) and the most active customers (%.4g, "
		    "%.2fx): collaborative filtering works on this data", k, als,
		    rnd, als / rnd, act, als / act);
}

static void
json_number(FILE *out, const char *key, double v, int comma)
{
	fprintf(out, "%s\"%s\":", comma ? "," : "", key);
	json_write_double(out, v);
}

void
cf_write_json(FILE *out, const struct cf_result *r)
{
	const struct cf_params *p = &r->p;
	char when[TIME_ISO_LEN], conclusion[512];
	double cells = (double)r->train_customers * (double)r->train_products;

	fprintf(out, "{\"config\":{\"model\":\"implicit_als_cg\",\"factors\":%zu,"
	    "\"iterations\":%zu,", p->als.factors, p->iterations);
	json_number(out, "regularization", p->als.regularization, 0);
	json_number(out, "alpha", p->alpha, 1);
	fprintf(out, ",\"cg_steps\":%zu,\"threads\":%u,\"seed\":%llu,",
	    p->als.cg_steps, p->als.threads, (unsigned long long)p->seed);
	json_number(out, "train_fraction", p->train_fraction, 0);
	fprintf(out, ",\"sample\":%zu,\"k\":[", p->sample);
	for (size_t k = 0; k < p->nk; k++)
		fprintf(out, "%s%lld", k ? "," : "", (long long)p->ks[k]);
	fprintf(out, "]},\"data\":{\"rows\":%zu,\"train_rows\":%zu,\"test_rows\":%zu,"
	    "\"split_time\":\"%s\",\"train_customers\":%zu,\"train_products\":%zu,"
	    "\"train_nonzeros\":%llu,", r->rows, r->train_rows, r->test_rows,
	    time_format_iso(r->split_time, when), r->train_customers,
	    r->train_products, (unsigned long long)r->nonzeros);
	json_number(out, "train_sparsity", cells > 0 ?
	    1 - (double)r->nonzeros / cells : NAN, 0);
	fprintf(out, ",\"test_customers\":%zu,\"returning_customers\":%zu},"
	    "\"training\":{\"loss\":[", r->test_customers, r->returning);
	for (size_t i = 0; i < p->iterations; i++) {
		if (i)
			putc(',', out);
		json_write_double(out, r->loss[i]);
	}
	fprintf(out, "]},\"products\":{\"evaluable\":%zu,\"evaluated\":%zu,"
	    "\"with_relevant\":%zu},\"metrics\":{", r->evaluable, r->evaluated,
	    r->with_relevant);
	for (int m = 0; m < CF_NMETHODS; m++) {
		fprintf(out, "%s\"%s\":{", m ? "," : "", cf_method_name[m]);
		for (size_t k = 0; k < p->nk; k++) {
			fprintf(out, "%s\"%lld\":{", k ? "," : "", (long long)p->ks[k]);
			json_number(out, "precision", r->precision[m][k], 0);
			json_number(out, "recall", r->recall[m][k], 1);
			putc('}', out);
		}
		putc('}', out);
	}
	cf_conclusion(r, conclusion, sizeof(conclusion));
	fprintf(out, "},\"conclusion\":");
	json_write_string(out, conclusion, strlen(conclusion));
	fprintf(out, "}\n");
}
