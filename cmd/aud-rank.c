/*
 * aud-rank: for every product, the customers to target (the model), or an
 * honest evaluation of that targeting on a temporal split (see aud-rank(1)).
 */
#include <err.h>
#include <math.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "audparts.h"
#include "cli.h"
#include "coocpairs.h"
#include "coocpart.h"
#include "cooctops.h"
#include "engagement.h"
#include "evaluate.h"
#include "featstream.h"
#include "groups.h"
#include "interactions.h"
#include "model.h"
#include "output.h"
#include "parallel.h"
#include "ranking.h"
#include "rng.h"
#include "targets.h"
#include "tune.h"
#include "xalloc.h"
#include "banned.h"

#define MAX_TOP_N 10000
#define MAX_KS 8

struct options {
	const char *features;
	const char *model;		/* engagement, activity or cooccurrence */
	int64_t top_n, depth, seed, bootstrap;
	double train_fraction;
	double half_life, alpha, blend;	/* the co-occurrence model's */
	double new_blend;		/* in new products' audiences */
	double category_weight;
	int64_t neighbours, min_support;
	int quick, eval, text, als, tune;
	int partial;			/* --partial: a shard's audience part */
	int pairs;			/* --pairs: a shard's co-occurrence sums */
	int tops;			/* --tops: a shard's largest relevances */
	const char *with_neighbours;	/* the neighbour table of all shards */
	const char *with_tops;		/* the largest relevances of all */
	char **merge;			/* --merge, --sum-pairs or --max-tops:
					   the parts */
	size_t nmerge;
	int sum_pairs, max_tops;
	int64_t k[MAX_KS];
	size_t nk;
	struct common_options common;
	const char *input;
};

static void
usage(void)
{
	fprintf(stderr, "Usage: aud-rank --features FEATURES [--model NAME] [--top-n N] [-o MODEL] [INTERACTIONS|-]\n"
	    "       aud-rank --eval [--tune] [-o METRICS.json] [INTERACTIONS|-]\n"
	    "       aud-rank --tune [INTERACTIONS|-]\n"
	    "       aud-rank --features FEATURES --partial [-o PART] [SHARD|-]\n"
	    "       aud-rank --merge [-o MODEL] PART...\n"
	    "       aud-rank --features FEATURES --model cooccurrence --pairs [-o PAIRS] [SHARD|-]\n"
	    "       aud-rank --sum-pairs [-o NEIGHBOURS] PAIRS...\n"
	    "       aud-rank --features FEATURES --model cooccurrence --with-neighbours NEIGHBOURS\n"
	    "                --tops [-o TOPS] [SHARD|-]\n"
	    "       aud-rank --max-tops [-o TOPS] TOPS...\n"
	    "       aud-rank --features FEATURES --model cooccurrence --with-neighbours NEIGHBOURS\n"
	    "                --with-tops TOPS --partial [-o PART] [SHARD|-]\n"
	    "Try 'aud-rank --help' for more information.\n");
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("aud-rank builds the audience model: for every product, the top N customers\n"
	    "by score who have not interacted with it yet, and a cold-start list for\n"
	    "products it has never seen. With --eval it measures instead, on a temporal\n"
	    "split, how much better than random that targeting finds the customers who\n"
	    "engage with a product, and who come back at all.\n"
	    "\n"
	    "Examples:\n"
	    "  aud-rank --features features.aud -o model.aud interactions.aud\n"
	    "  aud-rank --features features.aud --model cooccurrence -o model.aud i.aud\n"
	    "  aud-rank --eval --text interactions.aud\n"
	    "\n"
	    "Usage: aud-rank --features FEATURES [--model NAME] [--top-n N] [-o MODEL] [INTERACTIONS|-]\n"
	    "       aud-rank --eval [--tune] [-o METRICS.json] [INTERACTIONS|-]\n"
	    "       aud-rank --tune [INTERACTIONS|-]\n"
	    "       aud-rank --features FEATURES --partial [-o PART] [SHARD|-]\n"
	    "       aud-rank --merge [-o MODEL] PART...\n"
	    "       aud-rank --features FEATURES --model cooccurrence --pairs [-o PAIRS] [SHARD|-]\n"
	    "       aud-rank --sum-pairs [-o NEIGHBOURS] PAIRS...\n"
	    "       aud-rank --features FEATURES --model cooccurrence --with-neighbours NEIGHBOURS\n"
	    "                --tops [-o TOPS] [SHARD|-]\n"
	    "       aud-rank --max-tops [-o TOPS] TOPS...\n"
	    "       aud-rank --features FEATURES --model cooccurrence --with-neighbours NEIGHBOURS\n"
	    "                --with-tops TOPS --partial [-o PART] [SHARD|-]\n"
	    "\n"
	    "Options:\n"
	    "  --features FILE      the features stream (from aud-features) to rank by\n"
	    "  --model NAME         engagement (default), activity or cooccurrence\n"
	    "  --score SCORE        engagement, activity, or a return model's p_alive or\n"
	    "                       expected_purchases (columns of aud-features' return model)\n"
	    "  --top-n N            customers per product, 1 to %d (default 10)\n"
	    "  --depth D            customers the model holds per product, from N: the\n"
	    "                       candidates of campaign exports (default 3 N)\n"
	    "  --quick              a seeded 10%% sample of the products, for fast trials\n"
	    "  --seed S             seed of --quick and of the bootstrap (default 1)\n"
	    "  --eval               evaluate on a temporal split; JSON out\n"
	    "  --k K                with --eval: a cut-off, repeatable (default 5, 10, 20)\n"
	    "  --train-fraction F   with --eval: the share of rows that train (default 0.8)\n"
	    "  --bootstrap B        with --eval: resamples for the intervals (default 1000)\n"
	    "  --text               with --eval: a short summary in words instead of JSON\n"
	    "  --als                with --eval: implicit ALS too, as aud-cf-check trains it\n"
	    "  --tune               choose the cooccurrence settings on a validation split\n"
	    "                       (inside the training part with --eval) and say which\n"
	    "  --partial            a customer shard's part of a model, instead of a model\n"
	    "                       (see aud-rank(1), Shards)\n"
	    "  --merge              the model from every shard's part\n"
	    "  --pairs              a customer shard's co-occurrence sums, instead of a model\n"
	    "  --sum-pairs          the neighbour table from every shard's sums\n"
	    "  --with-neighbours FILE  that table, to score a shard's customers with\n"
	    "  --tops               a shard's largest relevance of each product\n"
	    "  --max-tops           the largest of every shard's\n"
	    "  --with-tops FILE     those, for a shard's part of a co-occurrence model\n"
	    "\n"
	    "The co-occurrence model (see aud-rank(1)):\n"
	    "  --half-life DAYS     a row's weight halves every DAYS before the last (default 30; 0: none)\n"
	    "  --popularity-exponent A  similarity divided by the norms' product to the A (default 0.7)\n"
	    "  --neighbours M       similar products kept per product (default 200)\n"
	    "  --min-support S      customers two products must share to be similar (default 2)\n"
	    "  --blend B            weight of the engagement score beside relevance (default 0.1)\n"
	    "  --new-blend B        weight of the engagement score beside the name or category\n"
	    "                       match in new products' audiences (default 3)\n"
	    "  --category-weight W  weight of the affinity to the product's category, when\n"
	    "                       the interactions have categories (default 0.5; 0: unused)\n"
	    "\n%s", MAX_TOP_N, cli_common_options_help);
	exit(0);
}

static const struct cli_tool tool = { "aud-rank", help, usage };

static void
parse_options(int argc, char **argv, struct options *opt)
{
	enum { O_FEATURES = 256, O_SCORE, O_TOP_N, O_QUICK, O_SEED, O_EVAL,
	    O_K, O_TRAIN_FRACTION, O_BOOTSTRAP, O_TEXT, O_HALF_LIFE,
	    O_POPULARITY_EXPONENT, O_NEIGHBOURS, O_BLEND, O_MIN_SUPPORT, O_MODEL, O_ALS, O_TUNE,
	    O_CATEGORY_WEIGHT, O_DEPTH, O_NEW_BLEND, O_PARTIAL, O_MERGE, O_PAIRS,
	    O_SUM_PAIRS, O_TOPS, O_MAX_TOPS, O_WITH_NEIGHBOURS, O_WITH_TOPS };
	static const struct option longopts[] = {
		{ "als", no_argument, NULL, O_ALS },
		{ "blend", required_argument, NULL, O_BLEND },
		{ "bootstrap", required_argument, NULL, O_BOOTSTRAP },
		{ "category-weight", required_argument, NULL, O_CATEGORY_WEIGHT },
		{ "depth", required_argument, NULL, O_DEPTH },
		{ "eval", no_argument, NULL, O_EVAL },
		{ "features", required_argument, NULL, O_FEATURES },
		{ "half-life", required_argument, NULL, O_HALF_LIFE },
		{ "k", required_argument, NULL, O_K },
		{ "max-tops", no_argument, NULL, O_MAX_TOPS },
		{ "merge", no_argument, NULL, O_MERGE },
		{ "min-support", required_argument, NULL, O_MIN_SUPPORT },
		{ "neighbours", required_argument, NULL, O_NEIGHBOURS },
		{ "new-blend", required_argument, NULL, O_NEW_BLEND },
		{ "pairs", no_argument, NULL, O_PAIRS },
		{ "partial", no_argument, NULL, O_PARTIAL },
		{ "popularity-exponent", required_argument, NULL, O_POPULARITY_EXPONENT },
		{ "quick", no_argument, NULL, O_QUICK },
		{ "model", required_argument, NULL, O_MODEL },
		{ "score", required_argument, NULL, O_SCORE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "sum-pairs", no_argument, NULL, O_SUM_PAIRS },
		{ "text", no_argument, NULL, O_TEXT },
		{ "tops", no_argument, NULL, O_TOPS },
		{ "top-n", required_argument, NULL, O_TOP_N },
		{ "train-fraction", required_argument, NULL, O_TRAIN_FRACTION },
		{ "tune", no_argument, NULL, O_TUNE },
		{ "with-neighbours", required_argument, NULL, O_WITH_NEIGHBOURS },
		{ "with-tops", required_argument, NULL, O_WITH_TOPS },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->model = "engagement";
	opt->top_n = 10;
	opt->seed = 1;
	opt->bootstrap = 1000;
	opt->train_fraction = 0.8;
	opt->half_life = 30;
	opt->alpha = 0.7;
	opt->blend = 0.1;
	opt->new_blend = 3;
	opt->category_weight = 0.5;
	opt->neighbours = 200;
	opt->min_support = 2;
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (c) {
		case O_ALS:
			opt->als = 1;
			break;
		case O_BLEND:
			if (cli_parse_double(optarg, 0, 1000, &opt->blend) < 0)
				cli_bad_value(usage, "--blend", "0 to 1000", optarg);
			break;
		case O_NEW_BLEND:
			if (cli_parse_double(optarg, 0, 1000, &opt->new_blend) < 0)
				cli_bad_value(usage, "--new-blend", "0 to 1000", optarg);
			break;
		case O_CATEGORY_WEIGHT:
			if (cli_parse_double(optarg, 0, 1000,
			    &opt->category_weight) < 0)
				cli_bad_value(usage, "--category-weight",
				    "0 to 1000", optarg);
			break;
		case O_BOOTSTRAP:
			if (cli_parse_int(optarg, 1, 1000000, &opt->bootstrap) < 0)
				cli_bad_value(usage, "--bootstrap",
				    "1 to 1000000", optarg);
			break;
		case O_EVAL:
			opt->eval = 1;
			break;
		case O_FEATURES:
			opt->features = optarg;
			break;
		case O_HALF_LIFE:
			if (cli_parse_double(optarg, 0, 1e6, &opt->half_life) < 0)
				cli_bad_value(usage, "--half-life",
				    "0 (no decay) to 1000000 days", optarg);
			break;
		case O_K:
			cli_add_cutoff(usage, optarg, MAX_TOP_N, opt->k, &opt->nk,
			    MAX_KS);
			break;
		case O_MIN_SUPPORT:
			if (cli_parse_int(optarg, 1, 1000000, &opt->min_support) < 0)
				cli_bad_value(usage, "--min-support", "1 to 1000000",
				    optarg);
			break;
		case O_NEIGHBOURS:
			if (cli_parse_int(optarg, 1, 10000, &opt->neighbours) < 0)
				cli_bad_value(usage, "--neighbours", "1 to 10000",
				    optarg);
			break;
		case O_POPULARITY_EXPONENT:
			if (cli_parse_double(optarg, 0, 2, &opt->alpha) < 0)
				cli_bad_value(usage, "--popularity-exponent",
				    "0 to 2", optarg);
			break;
		case O_QUICK:
			opt->quick = 1;
			break;
		case O_MODEL:
			if (strcmp(optarg, "engagement") && strcmp(optarg, "activity") &&
			    strcmp(optarg, "cooccurrence"))
				cli_bad_value(usage, "--model",
				    "engagement, activity or cooccurrence", optarg);
			opt->model = optarg;
			break;
		case O_SCORE:
			if (strcmp(optarg, "engagement") && strcmp(optarg, "activity") &&
			    strcmp(optarg, "p_alive") &&
			    strcmp(optarg, "expected_purchases"))
				cli_bad_value(usage, "--score", "engagement, activity, "
				    "p_alive or expected_purchases", optarg);
			opt->model = optarg;
			break;
		case O_SEED:
			if (cli_parse_int(optarg, 0, INT64_MAX, &opt->seed) < 0)
				cli_bad_value(usage, "--seed",
				    "a whole number from 0", optarg);
			break;
		case O_TEXT:
			opt->text = 1;
			break;
		case O_DEPTH:
			if (cli_parse_int(optarg, 1, 3 * MAX_TOP_N, &opt->depth) < 0)
				cli_bad_value(usage, "--depth", "1 to 30000", optarg);
			break;
		case O_TOP_N:
			if (cli_parse_int(optarg, 1, MAX_TOP_N, &opt->top_n) < 0)
				cli_bad_value(usage, "--top-n", "1 to 10000",
				    optarg);
			break;
		case O_TUNE:
			opt->tune = 1;
			break;
		case O_PARTIAL:
			opt->partial = 1;
			break;
		case O_MERGE:
			opt->merge = argv;	/* the operands, below */
			break;
		case O_PAIRS:
			opt->pairs = 1;
			break;
		case O_SUM_PAIRS:
			opt->sum_pairs = 1;
			break;
		case O_MAX_TOPS:
			opt->max_tops = 1;
			break;
		case O_TOPS:
			opt->tops = 1;
			break;
		case O_WITH_NEIGHBOURS:
			opt->with_neighbours = optarg;
			break;
		case O_WITH_TOPS:
			opt->with_tops = optarg;
			break;
		case O_TRAIN_FRACTION:
			if (cli_parse_double(optarg, 0.01, 0.99, &opt->train_fraction) < 0)
				cli_bad_value(usage, "--train-fraction",
				    "0.01 to 0.99", optarg);
			break;
		default:
			cli_common_option(c, optarg, &opt->common, &tool);
		}
	}
	if ((opt->merge != NULL) + opt->sum_pairs + opt->max_tops > 1)
		cli_usage_error(usage, "one of --merge, --sum-pairs and --max-tops");
	if (opt->merge != NULL || opt->sum_pairs || opt->max_tops) {
		const char *what = opt->sum_pairs ? "--sum-pairs" :
		    opt->max_tops ? "--max-tops" : "--merge";

		if (optind == argc)
			cli_usage_error(usage, "%s needs the parts", what);
		if (opt->features || opt->eval || opt->tune || opt->partial ||
		    opt->pairs || opt->tops || opt->with_neighbours || opt->with_tops)
			cli_usage_error(usage, "%s takes the parts' settings: no "
			    "--features, --eval, --tune, --partial, --pairs, --tops "
			    "or --with-*", what);
		opt->merge = argv + optind;
		opt->nmerge = (size_t)(argc - optind);
		return;
	}
	opt->input = cli_one_input(argc, argv, optind, usage);
	if (opt->partial && (opt->features == NULL || opt->eval || opt->tune ||
	    opt->quick))
		cli_usage_error(usage, "--partial needs --features: no --eval, "
		    "--tune or --quick");
	if ((opt->tops || (opt->partial && !strcmp(opt->model, "cooccurrence"))) &&
	    opt->with_neighbours == NULL)
		cli_usage_error(usage, "a shard's %s of the cooccurrence model needs "
		    "--with-neighbours", opt->tops ? "tops" : "part");
	if (opt->partial && !strcmp(opt->model, "cooccurrence") &&
	    opt->with_tops == NULL)
		cli_usage_error(usage, "a shard's part of the cooccurrence model "
		    "needs --with-tops");
	if ((opt->with_neighbours || opt->with_tops) &&
	    strcmp(opt->model, "cooccurrence"))
		cli_usage_error(usage, "--with-neighbours and --with-tops go with "
		    "--model cooccurrence");
	if (opt->with_tops && !opt->partial)
		cli_usage_error(usage, "--with-tops goes with --partial");
	if (opt->with_neighbours && !opt->partial && !opt->tops)
		cli_usage_error(usage, "--with-neighbours goes with --tops or "
		    "--partial");
	if (opt->tops && (opt->features == NULL || opt->eval || opt->tune ||
	    opt->quick || opt->partial || opt->pairs))
		cli_usage_error(usage, "--tops needs --features: no --eval, --tune, "
		    "--quick, --partial or --pairs");
	if (opt->pairs && (opt->features == NULL || opt->eval || opt->tune ||
	    opt->quick || opt->partial || strcmp(opt->model, "cooccurrence")))
		cli_usage_error(usage, "--pairs needs --features and --model "
		    "cooccurrence: no --eval, --tune, --quick or --partial");
	if (!opt->eval && !opt->tune && opt->features == NULL)
		cli_usage_error(usage, "--features is required (or --eval)");
	if (opt->tune && opt->features != NULL && strcmp(opt->model, "cooccurrence"))
		cli_usage_error(usage, "--tune chooses the cooccurrence model's settings");
	if (opt->features != NULL && !opt->eval && strcmp(opt->features, "-") == 0 &&
	    strcmp(opt->input, "-") == 0)
		cli_usage_error(usage,
		    "--features and the interactions cannot both be standard input");
	if (opt->nk == 0) {
		opt->k[0] = 5, opt->k[1] = 10, opt->k[2] = 20;
		opt->nk = 3;
	}
	if (opt->depth == 0)
		opt->depth = 3 * opt->top_n;
	if (opt->depth < opt->top_n)
		cli_usage_error(usage, "--depth %lld: below --top-n %lld",
		    (long long)opt->depth, (long long)opt->top_n);
}

/* Whether product p is in the seeded 10% sample of --quick. */
static int
sampled(uint64_t seed, uint64_t p)
{
	return rng_mix(seed * 0x9e3779b97f4a7c15u + p + 1) < UINT64_MAX / 10;
}

static FILE *
open_or_die(const char *path)
{
	FILE *f = cli_open_input(path);

	if (f == NULL)
		err(EXIT_DATA, "%s", path);
	return f;
}

static const char *
shown(const char *path)
{
	return strcmp(path, "-") == 0 ? "stdin" : path;
}

#define CHUNK 1024

/*
 * Whether the features list the customers of the interactions in the same
 * order, as aud-features writes them from the same interactions: then the
 * i-th customer of one is the i-th of the other, and no look-up is needed.
 */
static int
same_customers(const struct interactions *ia, const struct scores *sc)
{
	size_t n = intern_count(ia->customers);

	if (n != sc->n)
		return 0;
	for (size_t c = 0; c < n; c++) {
		struct id a, b;

		intern_get(ia->customers, (uint32_t)c, &a);
		intern_get(sc->customers, (uint32_t)c, &b);
		if (id_compare(&a, &b) != 0)
			return 0;
	}
	return 1;
}

/*
 * The features' index of each customer of the interactions (UINT32_MAX for
 * none), through the features' id table, looked up a chunk at a time.
 */
static void
map_customers(const struct interactions *ia, const struct scores *sc,
    const char *sc_name, uint32_t *feature_of)
{
	size_t n = intern_count(ia->customers);
	struct id ids[CHUNK];

	if (same_customers(ia, sc)) {
		for (size_t c = 0; c < n; c++)
			feature_of[c] = (uint32_t)c;
		return;
	}
	if (intern_reindex(sc->customers) > 0)
		errx(EXIT_DATA, "%s: the features list a customer twice",
		    sc_name);
	for (size_t base = 0; base < n; base += CHUNK) {
		size_t m = n - base < CHUNK ? n - base : CHUNK;

		for (size_t i = 0; i < m; i++)
			intern_get(ia->customers, (uint32_t)(base + i), &ids[i]);
		intern_find_many(sc->customers, ids, m, feature_of + base);
	}
}

/*
 * The place in the head of the ranking of each of the n customers of the
 * interactions, from their index in the features (rank_of may be
 * feature_of).
 */
static void
rank_customers(size_t n, const uint32_t *feature_of, const uint32_t *place_of,
    uint32_t *rank_of)
{
	for (size_t c = 0; c < n; c++)
		rank_of[c] = feature_of[c] == UINT32_MAX ? UINT32_MAX :
		    place_of[feature_of[c]];
}

/*
 * The head of the ranking a model or a shard's part holds, the first count
 * customers of order (indices of the features): their ids and scores, and
 * for each customer of the interactions its index in the features
 * (feature_of) and its place in the head (t.rank_of), or UINT32_MAX.
 */
struct head {
	struct id *ids;
	double *scores;
	uint32_t *feature_of;
	struct targeting t;
};

static void
head_of(struct head *h, const struct interactions *ia, const struct scores *sc,
    const char *features, const uint32_t *order, size_t count)
{
	size_t nc = intern_count(ia->customers);
	uint32_t *place_of = xmalloc((sc->n + 1) * sizeof(*place_of));
	uint32_t *rank_of = xmalloc((nc + 1) * sizeof(*rank_of));

	h->ids = xmalloc((count + 1) * sizeof(*h->ids));
	h->scores = xmalloc((count + 1) * sizeof(*h->scores));
	h->feature_of = xmalloc((nc + 1) * sizeof(*h->feature_of));
	for (size_t s = 0; s < sc->n; s++)
		place_of[s] = UINT32_MAX;
	for (size_t k = 0; k < count; k++) {
		intern_get(sc->customers, order[k], &h->ids[k]);
		h->scores[k] = sc->score[order[k]];
		place_of[order[k]] = (uint32_t)k;
	}
	map_customers(ia, sc, features, h->feature_of);
	rank_customers(nc, h->feature_of, place_of, rank_of);
	h->t = (struct targeting){ .ncandidates = count, .rank_of = rank_of };
	free(place_of);
}

static void
head_free(struct head *h)
{
	free(h->ids);
	free(h->scores);
	free(h->feature_of);
	free((void *)h->t.rank_of);
}

/* Who may be targeted (the customers with features) and, when base is not
   NULL, their scores. */
static void
targetable(size_t nc, const uint32_t *feature_of, const struct scores *sc,
    uint8_t *keep, double *base)
{
	for (size_t c = 0; c < nc; c++) {
		keep[c] = feature_of[c] != UINT32_MAX;
		if (base != NULL)
			base[c] = keep[c] ? sc->score[feature_of[c]] : 0;
	}
}

/*
 * The records of a product-aware model: a block of products packed on
 * every core, then written in product order.
 */
static void
write_targets(struct model_writer *mw, const struct options *opt,
    const struct interactions *ia, const struct scores *sc,
    const uint32_t *feature_of, const struct product_customers *g,
    const struct targeting *t, const struct cooc *model)
{
	size_t nc = intern_count(ia->customers);
	uint32_t *customer_at = xmalloc((t->ncandidates + 1) * sizeof(*customer_at));
	uint32_t *block = xmalloc(TARGETS_BLOCK * sizeof(*block));
	double *base = xmalloc((nc + 1) * sizeof(*base));
	uint8_t *keep = xmalloc(nc + 1);
	struct targets_input in = { .ia = ia, .model = model, .groups = g,
	    .order = t, .customer_at = customer_at, .base = base, .keep = keep,
	    .blend = opt->blend, .n = (size_t)opt->depth,
	    .threads = parallel_cpus() };
	uint32_t *by_id = ranking_by_id(ia->products);
	struct targets_work *work;

	for (size_t k = 0; k < t->ncandidates; k++)
		customer_at[k] = UINT32_MAX;
	targetable(nc, feature_of, sc, keep, base);
	for (size_t c = 0; c < nc; c++)
		if (t->rank_of[c] != UINT32_MAX)
			customer_at[t->rank_of[c]] = (uint32_t)c;
	work = targets_work_new(&in);
	for (size_t from = 0; from < g->nproducts; from += TARGETS_BLOCK) {
		size_t count = 0;

		for (size_t i = from; i < g->nproducts && i < from + TARGETS_BLOCK; i++)
			if (!opt->quick || sampled((uint64_t)opt->seed, by_id[i]))
				block[count++] = by_id[i];
		targets_each(work, block, count);
		for (size_t i = 0; i < count; i++) {
			const struct model_record *entry;
			size_t len;
			const unsigned char *bytes = targets_record(work, i, &len,
			    &entry);

			model_add_packed(mw, entry, bytes, len);
		}
	}
	targets_work_free(work);
	free(by_id);
	free(customer_at);
	free(block);
	free(base);
	free(keep);
}

/*
 * The records of a model of one global order: each (sampled) product's
 * audience as places in the ranking head.
 */
static void
write_places(struct model_writer *mw, const struct options *opt,
    const struct interactions *ia, const struct product_customers *g,
    const struct targeting *t, size_t maxm)
{
	size_t n = (size_t)opt->depth;
	uint32_t *places = xmalloc(n * sizeof(*places));
	uint32_t *scratch = xmalloc((maxm + 1) * sizeof(*scratch));
	uint32_t *by_id = ranking_by_id(ia->products);

	for (size_t i = 0; i < g->nproducts; i++) {
		uint32_t p = by_id[i];
		struct id product;
		size_t got;

		if (opt->quick && !sampled((uint64_t)opt->seed, p))
			continue;
		got = audience_top(t, g, p, n, places, scratch);
		intern_get(ia->products, (uint32_t)p, &product);
		model_add(mw, &product, interactions_product_name(ia, p), places,
		    got);
	}
	free(by_id);
	free(places);
	free(scratch);
}

/*
 * Writes the model: the head of the ranking, a record per (sampled) product,
 * then the index. No audience reaches further down the ranking than N plus
 * the most customers a product has, so only that head is ordered.
 */
static int
write_model(FILE *out, const struct options *opt, struct interactions *ia,
    const struct scores *sc, const struct cooc_params *cp)
{
	struct product_customers g;
	struct cooc model;
	struct head h;
	size_t n = (size_t)opt->depth, maxm = 0, head, want;
	uint32_t *order;
	struct model_meta meta = { .score = opt->model,
	    .top_n = (uint64_t)opt->top_n, .depth = n,
	    .interactions = ia->n, .quick = opt->quick,
	    .seed = (uint64_t)opt->seed, .features_source = opt->features,
	    .interactions_source = ia->source,
	    .interactions_fingerprint = ia->fingerprint[0] ? ia->fingerprint : NULL };
	struct model_writer *mw;

	if (cp != NULL) {	/* the model's customers of each product */
		struct cooc_params at_end = *cp;

		at_end.decay_end = ia->n ? ia->time[ia->n - 1] : 0;
		cooc_build(&model, ia, ia->n, &at_end);
		g = (struct product_customers){ .nproducts = model.nproducts,
		    .start = model.pstart, .customer = model.pcustomer };
	} else
		product_customers_build(&g, ia, 0, ia->n);
	for (size_t p = 0; p < g.nproducts; p++) {
		int in = !opt->quick || sampled((uint64_t)opt->seed, p);

		if (product_customers_count(&g, p) > maxm)
			maxm = product_customers_count(&g, p);
		meta.products += in;
		meta.named_products += in && interactions_product_name(ia, p);
	}
	want = model_head_want(n, maxm, cp != NULL);
	if (cp != NULL) {
		meta.cooc = cp;
		meta.blend = opt->blend;
		meta.new_blend = opt->new_blend;
		meta.categories = ia->categories != NULL;
	}
	order = ranking_head(sc->customers, sc->score, NULL, want, &head,
	    &meta.customers);
	head_of(&h, ia, sc, opt->features, order, head);
	free(order);
	meta.fallback_size = head < MODEL_FALLBACK_SIZE ? head : MODEL_FALLBACK_SIZE;
	if (ia->n > 0) {
		meta.first_time = ia->time[0];
		meta.last_time = ia->time[ia->n - 1];
	}
	mw = model_writer_new(out, &meta, shown(opt->input), h.ids, h.scores,
	    head);
	if (cp != NULL) {
		/* What is left needs the ids, names and categories only: at 50M
		   rows the rows are 0.8 GiB of the peak. */
		interactions_free_rows(ia);
		write_targets(mw, opt, ia, sc, h.feature_of, &g, &h.t, &model);
		cooc_free(&model);	/* and g with it */
	} else {
		write_places(mw, opt, ia, &g, &h.t, maxm);
		product_customers_free(&g);
	}
	head_free(&h);
	return model_finish(mw);
}

/*
 * A customer shard's co-occurrence sums (coocpairs.h), weights decayed from
 * the features' time: the last row of all shards.
 */
static void
shard_settings(const struct options *opt, const struct interactions *ia,
    const struct scores *sc, struct cooc_params *at_end,
    struct coocpairs_meta *m)
{
	if (!sc->has_max_time)
		errx(EXIT_DATA, "%s: the features do not say when they were "
		    "computed (params.max_time)", opt->features);
	at_end->decay_end = sc->max_time;
	*m = (struct coocpairs_meta){ .params = at_end,
	    .event = (const char *const *)sc->event,
	    .event_weight = sc->event_weight, .nevents = sc->nevents,
	    .shard = ia->shard, .nshards = ia->nshards ? ia->nshards : 1,
	    .fingerprint = ia->fingerprint[0] ? ia->fingerprint : NULL };
}

static int
write_pairs(FILE *out, const struct options *opt, const struct interactions *ia,
    const struct scores *sc, const struct cooc_params *cp)
{
	struct cooc_params at_end = *cp;
	struct coocpairs_meta m;

	shard_settings(opt, ia, sc, &at_end, &m);
	return coocpairs_write(out, ia, &m, shown(opt->input));
}

/* A shard's model scored with the table of all shards' neighbours. */
static void
load_table(const struct options *opt, struct interactions *ia,
    const struct coocpairs_meta *m, struct cooc *model)
{
	FILE *in = open_or_die(opt->with_neighbours);
	char errbuf[512];

	if (coocpairs_load_table(model, ia, m, in, opt->with_neighbours, errbuf,
	    sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (in != stdin)
		fclose(in);
}

/* A shard's largest relevance of each product (cooctops.h). */
static int
write_tops(FILE *out, const struct options *opt, struct interactions *ia,
    const struct scores *sc, const struct cooc_params *cp)
{
	struct cooc_params at_end = *cp;
	struct coocpairs_meta m;
	struct cooc model;
	size_t nc = intern_count(ia->customers);
	uint8_t *keep = xmalloc(nc + 1);
	uint32_t *feature_of = xmalloc((nc + 1) * sizeof(*feature_of));
	struct cooctops_meta tm = { .settings = &m, .keep = keep,
	    .threads = parallel_cpus() };
	int ret;

	shard_settings(opt, ia, sc, &at_end, &m);
	tm.shard = m.shard;
	tm.nshards = m.nshards;
	load_table(opt, ia, &m, &model);
	map_customers(ia, sc, opt->features, feature_of);
	targetable(nc, feature_of, sc, keep, NULL);
	free(feature_of);
	ret = cooctops_write(out, &model, ia, &tm, shown(opt->input));
	cooc_free(&model);
	free(keep);
	return ret;
}

/*
 * A shard's records of a co-occurrence model's part: for each product in
 * id order (those the neighbour table adds included), what coocpart.h
 * says; products the shard has neither customers nor relevance for have
 * none, as a product no one touched in a shard of one global order.
 */
static void
write_cooc_records(struct audparts_writer *w, const struct options *opt,
    struct interactions *ia, const struct scores *sc, const struct head *h,
    const struct cooc_params *cp)
{
	struct cooc_params at_end = *cp;
	struct coocpairs_meta m;
	struct cooc model;
	size_t nc = intern_count(ia->customers), np;
	uint8_t *keep = xmalloc(nc + 1);
	double *base = xmalloc((nc + 1) * sizeof(*base)), *top;
	uint32_t *by_id;
	struct coocpart_input in;
	struct coocpart_work *work;
	char errbuf[512];
	FILE *tops;

	shard_settings(opt, ia, sc, &at_end, &m);
	load_table(opt, ia, &m, &model);
	np = intern_count(ia->products);
	top = xmalloc((np + 1) * sizeof(*top));
	tops = open_or_die(opt->with_tops);
	if (cooctops_load(top, ia, &m, tops, opt->with_tops, errbuf,
	    sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (tops != stdin)
		fclose(tops);
	targetable(nc, h->feature_of, sc, keep, base);
	in = (struct coocpart_input){ .ia = ia, .model = &model, .order = &h->t,
	    .base = base, .keep = keep, .top = top, .blend = opt->blend,
	    .depth = (size_t)opt->depth };
	work = coocpart_work_new(&in);
	by_id = cooc_products_by_id(&model);
	for (size_t i = 0; i < np; i++) {
		struct audparts_product ap;

		coocpart_product(work, by_id[i], &ap);
		if (ap.customers > 0 || ap.nrelevant > 0)
			audparts_add(w, &ap);
	}
	coocpart_work_free(work);
	cooc_free(&model);
	free(by_id);
	free(keep);
	free(base);
	free(top);
}

/*
 * A shard's records of a part of one global order: each product's customers
 * in the shard and the places its audience steps over, in id order.
 */
static void
write_skipped_records(struct audparts_writer *w, const struct options *opt,
    const struct interactions *ia, const struct targeting *t)
{
	struct product_customers g;
	uint32_t *by_id = ranking_by_id(ia->products), *skipped;
	size_t maxm = 0;

	product_customers_build(&g, ia, 0, ia->n);
	for (size_t p = 0; p < g.nproducts; p++)
		if (product_customers_count(&g, p) > maxm)
			maxm = product_customers_count(&g, p);
	skipped = xmalloc((maxm + 1) * sizeof(*skipped));
	for (size_t i = 0; i < g.nproducts; i++) {
		uint32_t p = by_id[i];
		struct id product;
		struct audparts_product ap = { .product = &product,
		    .name = interactions_product_name(ia, p),
		    .customers = product_customers_count(&g, p),
		    .skipped = skipped,
		    .nskipped = audience_skipped(t, &g, p, (size_t)opt->depth,
		    skipped) };

		intern_get(ia->products, p, &product);
		audparts_add(w, &ap);
	}
	free(skipped);
	product_customers_free(&g);
	free(by_id);
}

/*
 * A shard's part of a model (audparts.h): its whole ranking, and each
 * product's audience in it, in id order.
 */
static int
write_part(FILE *out, const struct options *opt, struct interactions *ia,
    const struct scores *sc, const struct cooc_params *cp)
{
	size_t count;
	uint32_t *order;
	struct head h;
	struct audparts_meta m = { .score = opt->model,
	    .top_n = (uint64_t)opt->top_n, .depth = (uint64_t)opt->depth,
	    .seed = (uint64_t)opt->seed, .interactions = ia->n,
	    .shard = ia->shard, .nshards = ia->nshards,
	    .fingerprint = ia->fingerprint[0] ? ia->fingerprint : NULL,
	    .cooc = cp, .blend = opt->blend, .new_blend = opt->new_blend,
	    .categories = cp != NULL && ia->categories != NULL };
	struct audparts_writer *w;

	if (ia->nshards == 0)	/* before anything is allocated */
		errx(EXIT_DATA, "%s: not a customer shard (aud-prepare --shards)",
		    shown(opt->input));
	if (ia->n > 0) {
		m.first_time = ia->time[0];
		m.last_time = ia->time[ia->n - 1];
	}
	order = ranking_order(sc->customers, sc->score, NULL, &count);
	head_of(&h, ia, sc, opt->features, order, count);
	free(order);
	w = audparts_writer_new(out, &m, shown(opt->input), h.ids, h.scores, count);
	if (cp != NULL)
		write_cooc_records(w, opt, ia, sc, &h, cp);
	else {
		free(h.feature_of);	/* not needed, and the peak comes next */
		h.feature_of = NULL;
		write_skipped_records(w, opt, ia, &h.t);
	}
	head_free(&h);
	return audparts_finish(w);
}


/*
 * Chooses the cooccurrence settings on a validation split of the first rows
 * (0: all) and puts them in *p (its cooc, blend and new_blend); says so on
 * report.
 */
static void
tune(const struct options *opt, const struct interactions *ia, size_t rows,
    struct eval_params *p, FILE *report)
{
	static struct tune_result t;	/* p->cooc points into it after */

	if (tune_cooc(&t, ia, rows, p) < 0)
		errx(EXIT_DATA, "%s: too few interactions for a validation split",
		    shown(opt->input));
	p->cooc = &t.best.cooc;
	p->blend = t.best.blend;
	p->new_blend = t.new_blend;
	if (report != NULL)
		tune_write_text(report, &t);
}

/* Reading the features' scores in a thread of its own. */
struct scores_job {
	const char *path;
	FILE *in;
	char field[32];
	struct scores sc;
	int ret;
	char err[512];
};

static void *
load_scores(void *arg)
{
	struct scores_job *job = arg;

	job->ret = scores_load(&job->sc, job->in, job->path, job->field, job->err,
	    sizeof(job->err));
	if (job->in != stdin)
		fclose(job->in);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct interactions ia;
	struct output out;
	char errbuf[512];
	FILE *in;
	int written, cooc;
	struct cooc_params cp;

	parse_options(argc, argv, &opt);
	cooc = strcmp(opt.model, "cooccurrence") == 0;
	cp = (struct cooc_params){ .half_life_days = opt.half_life,
	    .alpha = opt.alpha, .neighbours = (size_t)opt.neighbours,
	    .max_history = 200, .min_support = (uint32_t)opt.min_support,
	    .category_weight = opt.category_weight, .threads = parallel_cpus() };
	if (output_open(&out, opt.common.output, !opt.eval, opt.common.force,
	    errbuf, sizeof(errbuf)) < 0)
		errx(opt.common.output ? EXIT_DATA : EXIT_USAGE, "%s", errbuf);
	if (opt.merge != NULL) {
		if ((opt.sum_pairs ? coocpairs_neighbours : opt.max_tops ?
		    cooctops_combine : audparts_merge)(out.fp,
		    (const char *const *)opt.merge, opt.nmerge, opt.merge[0],
		    errbuf, sizeof(errbuf)) < 0) {
			output_abort(&out);
			errx(EXIT_DATA, "%s", errbuf);
		}
		if (output_finish(&out, 0, errbuf, sizeof(errbuf)) < 0)
			errx(EXIT_DATA, "%s", errbuf);
		return 0;
	}
	if (opt.eval || opt.features == NULL) {
		struct cf_params als;
		struct eval_params ep = { .train_fraction = opt.train_fraction,
		    .cooc = &cp, .blend = opt.blend, .new_blend = opt.new_blend,
		    .threads = parallel_cpus(),
		    .als = opt.als ? &als : NULL,
		    .ks = opt.k, .nk = opt.nk, .bootstrap = (size_t)opt.bootstrap,
		    .seed = (uint64_t)opt.seed };
		struct eval_result res;

		cf_params_default(&als);
		als.als.seed = als.seed = (uint64_t)opt.seed;
		in = open_or_die(opt.input);
		if (interactions_load(&ia, in, opt.input, 1, errbuf, sizeof(errbuf)) < 0)
			errx(EXIT_DATA, "%s", errbuf);
		if (ia.n == 0)
			errx(EXIT_DATA, "%s: no interactions to evaluate",
			    shown(opt.input));
		if (opt.tune)	/* inside the training part when evaluating */
			tune(&opt, &ia, opt.eval ? (size_t)floor(opt.train_fraction *
			    (double)ia.n) : 0, &ep, opt.eval && !opt.text ?
			    (opt.common.quiet ? NULL : stderr) : out.fp);
		if (opt.eval && evaluate(&res, &ia, &ep) < 0)
			errx(EXIT_DATA, "%s: too few interactions to split into "
			    "training and test rows", shown(opt.input));
		if (opt.eval && opt.text)
			eval_write_text(out.fp, &res);
		else if (opt.eval)
			eval_write_json(out.fp, &res);
		written = 0;
	} else {
		struct scores_job job = { .path = opt.features };
		struct feature_params fp;
		pthread_t thread;

		/* The two inputs are independent: read them on both cores. */
		/* The co-occurrence model blends in, and falls back to, the
		   engagement score. */
		if (cooc || !strcmp(opt.model, "engagement") ||
		    !strcmp(opt.model, "activity"))
			snprintf(job.field, sizeof(job.field), "%s_score",
			    cooc ? "engagement" : opt.model);
		else	/* a return model's column, named as it is */
			snprintf(job.field, sizeof(job.field), "%s", opt.model);
		job.in = open_or_die(opt.features);
		in = open_or_die(opt.input);
		if ((errno = pthread_create(&thread, NULL, load_scores, &job)) != 0)
			err(EXIT_DATA, "cannot start a thread");
		if (interactions_load(&ia, in, opt.input, 1, errbuf, sizeof(errbuf)) < 0)
			errx(EXIT_DATA, "%s", errbuf);
		/* A shard may hold no customer: its part, sums and tops are
		   empty. */
		if (ia.n == 0 && !((opt.partial || opt.pairs || opt.tops) &&
		    ia.nshards > 0))
			errx(EXIT_DATA, "%s: no interactions to rank", shown(opt.input));
		pthread_join(thread, NULL);
		if (job.ret < 0)
			errx(EXIT_DATA, "%s", job.err);
		/* Features of other interactions would target other customers. */
		if (job.sc.made_from[0] != '\0' && ia.fingerprint[0] != '\0' &&
		    strcmp(job.sc.made_from, ia.fingerprint) != 0)
			errx(EXIT_DATA, "%s: made from other interactions than %s "
			    "(fingerprints %s and %s): run aud-features on %s",
			    opt.features, shown(opt.input), job.sc.made_from,
			    ia.fingerprint, shown(opt.input));
		if (cooc && opt.tune) {
			struct eval_params ep = { .train_fraction = opt.train_fraction,
			    .cooc = &cp, .blend = opt.blend, .new_blend = opt.new_blend,
		    .threads = parallel_cpus(),
			    .ks = opt.k, .nk = opt.nk, .seed = (uint64_t)opt.seed };

			tune(&opt, &ia, 0, &ep, opt.common.quiet ? NULL : stderr);
			cp = *ep.cooc;
			opt.blend = ep.blend;
			opt.new_blend = ep.new_blend;
		}
		if (cooc) {	/* the event weights the features used */
			feature_params_init(&fp, &ia);
			for (size_t e = 0; e < job.sc.nevents; e++)
				feature_params_override(&fp, &ia, job.sc.event[e],
				    job.sc.event_weight[e]);
			cp.event_weight = fp.event_weight;
		}
		if (opt.pairs)
			written = write_pairs(out.fp, &opt, &ia, &job.sc, &cp);
		else if (opt.tops)
			written = write_tops(out.fp, &opt, &ia, &job.sc, &cp);
		else if (opt.partial)
			written = write_part(out.fp, &opt, &ia, &job.sc,
			    cooc ? &cp : NULL);
		else
			written = write_model(out.fp, &opt, &ia, &job.sc,
			    cooc ? &cp : NULL);
		if (cooc)
			feature_params_free(&fp);
		scores_free(&job.sc);
	}
	if (output_finish(&out, written, errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (in != stdin)
		fclose(in);
	interactions_free(&ia);
	return 0;
}
