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

#include "audparts.h"
#include "cli.h"
#include "coocpairs.h"
#include "cooctops.h"
#include "engagement.h"
#include "evaluate.h"
#include "featstream.h"
#include "interactions.h"
#include "output.h"
#include "parallel.h"
#include "rankwrite.h"
#include "tune.h"
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

/* The usage lines: after a usage error, and in --help. */
static const char synopsis[] =
    "Usage: aud-rank --features FEATURES [--model NAME] [--top-n N] [-o MODEL] [INTERACTIONS|-]\n"
    "       aud-rank --eval [--tune] [-o METRICS.json] [INTERACTIONS|-]\n"
    "       aud-rank --tune [INTERACTIONS|-]\n"
    "       aud-rank --features FEATURES --model engagement|activity --partial\n"
    "                [-o PART] [SHARD|-]\n"
    "       aud-rank --merge [-o MODEL] PART...\n"
    "       aud-rank --features FEATURES --model cooccurrence --pairs [-o PAIRS] [SHARD|-]\n"
    "       aud-rank --sum-pairs [-o NEIGHBOURS] PAIRS...\n"
    "       aud-rank --features FEATURES --model cooccurrence --with-neighbours NEIGHBOURS\n"
    "                --tops [-o TOPS] [SHARD|-]\n"
    "       aud-rank --max-tops [-o TOPS] TOPS...\n"
    "       aud-rank --features FEATURES --model cooccurrence --with-neighbours NEIGHBOURS\n"
    "                --with-tops TOPS --partial [-o PART] [SHARD|-]\n";

static void
usage(void)
{
	fprintf(stderr, "%sTry 'aud-rank --help' for more information.\n",
	    synopsis);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("aud-rank builds the audience model: for every product, the top N customers\n"
	    "who have not interacted with it yet (by default those whose products are\n"
	    "most like it first, then the rest by engagement), and a cold-start list for\n"
	    "products it has never seen. With --eval it measures instead, on a temporal\n"
	    "split, how much better than random that targeting finds the customers who\n"
	    "engage with a product, and who come back at all.\n"
	    "\n"
	    "Examples:\n"
	    "  aud-rank --features features.aud -o model.aud interactions.aud\n"
	    "  aud-rank --features features.aud --model engagement -o model.aud i.aud\n"
	    "  aud-rank --eval --text interactions.aud\n"
	    "\n"
	    "%s"
	    "\n"
	    "Options:\n"
	    "  --features FILE      the features stream (from aud-features) to rank by\n"
	    "  --model NAME         cooccurrence (default), engagement or activity\n"
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
	    "\n%s", synopsis, MAX_TOP_N, cli_common_options_help);
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
	opt->model = "cooccurrence";
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

/*
 * Writes what the options ask of the interactions and the features:
 * a shard's sums, tops or part, or a model. Returns 0, or -1 when writing
 * failed (errno set); exits on data it cannot use.
 */
static int
write_ranked(FILE *out, const struct options *opt, struct interactions *ia,
    const struct scores *sc, const struct cooc_params *cp)
{
	struct rank_job j = { .ia = ia, .sc = sc, .cooc = cp,
	    .score = opt->model, .top_n = (size_t)opt->top_n,
	    .depth = (size_t)opt->depth, .quick = opt->quick,
	    .seed = (uint64_t)opt->seed, .blend = opt->blend,
	    .new_blend = opt->new_blend, .source = shown(opt->input),
	    .features = opt->features, .table_name = opt->with_neighbours,
	    .tops_name = opt->with_tops };
	char errbuf[512];
	int ret;

	if (opt->with_neighbours != NULL)
		j.table = open_or_die(opt->with_neighbours);
	if (opt->with_tops != NULL)
		j.tops = open_or_die(opt->with_tops);
	if (opt->pairs)
		ret = rank_write_pairs(out, &j, errbuf, sizeof(errbuf));
	else if (opt->tops)
		ret = rank_write_tops(out, &j, errbuf, sizeof(errbuf));
	else if (opt->partial)
		ret = rank_write_part(out, &j, errbuf, sizeof(errbuf));
	else
		ret = rank_write_model(out, &j, errbuf, sizeof(errbuf));
	if (ret == RANK_REFUSED)
		errx(EXIT_DATA, "%s", errbuf);
	if (j.table != NULL && j.table != stdin)
		fclose(j.table);
	if (j.tops != NULL && j.tops != stdin)
		fclose(j.tops);
	return ret;
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
		written = write_ranked(out.fp, &opt, &ia, &job.sc,
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
