/*
 * aud-cf-check: does collaborative filtering work on this data? Implicit ALS
 * on a temporal split, measured against random targeting, the most active
 * customers and customers of popular products (see aud-cf-check(1)).
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfcheck.h"
#include "cli.h"
#include "interactions.h"
#include "output.h"
#include "parallel.h"
#include "banned.h"

#define MAX_KS CF_MAX_K

struct options {
	struct cf_params cf;
	int64_t k[MAX_KS];
	struct common_options common;
	const char *input;
};

/* The usage lines: after a usage error, and in --help. */
static const char synopsis[] =
    "Usage: aud-cf-check [options] [-o FILE] [INTERACTIONS|-]\n";

static void
usage(void)
{
	fprintf(stderr, "%sTry 'aud-cf-check --help' for more information.\n",
	    synopsis);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("aud-cf-check measures whether collaborative filtering can work on the data:\n"
	    "it trains implicit-feedback ALS on the first part of a temporal split, ranks\n"
	    "every training customer for each evaluated product by the model, and\n"
	    "compares precision and recall at k of the best k who had not touched the\n"
	    "product with random targeting (its exact expectation), the most active\n"
	    "customers, and customers of popular products, on the same products. JSON\n"
	    "out; the training loss of each iteration goes to standard error.\n"
	    "\n"
	    "Examples:\n"
	    "  aud-cf-check -o cf_metrics.json interactions.aud\n"
	    "  aud-cf-check --factors 20 --iterations 5 --k 5 --k 10 interactions.aud\n"
	    "\n"
	    "%s"
	    "\n"
	    "Options:\n"
	    "  --factors F          latent factors, 1 to 1024 (default 50)\n"
	    "  --iterations N       ALS iterations, 1 to 1000 (default 15)\n"
	    "  --regularization R   L2 penalty on the factors (default 0.01)\n"
	    "  --alpha A            confidence 1 + A r for r interactions (default 1.0)\n"
	    "  --cg-steps N         conjugate-gradient steps per update (default 3)\n"
	    "  --threads N          threads (default: the processors online)\n"
	    "  --seed S             seed of the factors and the sample (default 1)\n"
	    "  --train-fraction F   the share of rows that train (default 0.8)\n"
	    "  --k K                a cut-off, repeatable, at most 8 (default 10)\n"
	    "  --sample N           products to evaluate, a seeded sample; 0 = all\n"
	    "                       (default 1000)\n"
	    "\n%s", synopsis, cli_common_options_help);
	exit(0);
}

static const struct cli_tool tool = { "aud-cf-check", help, usage };

static void
parse_options(int argc, char **argv, struct options *opt)
{
	enum { O_ALPHA = 256, O_CG_STEPS, O_FACTORS, O_ITERATIONS, O_K,
	    O_REGULARIZATION, O_SAMPLE, O_SEED, O_THREADS, O_TRAIN_FRACTION };
	static const struct option longopts[] = {
		{ "alpha", required_argument, NULL, O_ALPHA },
		{ "cg-steps", required_argument, NULL, O_CG_STEPS },
		{ "factors", required_argument, NULL, O_FACTORS },
		{ "iterations", required_argument, NULL, O_ITERATIONS },
		{ "k", required_argument, NULL, O_K },
		{ "regularization", required_argument, NULL, O_REGULARIZATION },
		{ "sample", required_argument, NULL, O_SAMPLE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "train-fraction", required_argument, NULL, O_TRAIN_FRACTION },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct cf_params *cf = &opt->cf;
	int64_t v;
	int c;

	memset(opt, 0, sizeof(*opt));
	cf_params_default(cf);
	cf->train_fraction = 0.8;
	cf->sample = 1000;
	cf->seed = 1;
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (c) {
		case O_ALPHA:
			if (cli_parse_double(optarg, 0, 1e6, &cf->alpha) < 0)
				cli_bad_value(usage, "--alpha", "0 to 1000000",
				    optarg);
			break;
		case O_CG_STEPS:
			if (cli_parse_int(optarg, 1, 100, &v) < 0)
				cli_bad_value(usage, "--cg-steps", "1 to 100",
				    optarg);
			cf->als.cg_steps = (size_t)v;
			break;
		case O_FACTORS:
			if (cli_parse_int(optarg, 1, 1024, &v) < 0)
				cli_bad_value(usage, "--factors", "1 to 1024",
				    optarg);
			cf->als.factors = (size_t)v;
			break;
		case O_ITERATIONS:
			if (cli_parse_int(optarg, 1, 1000, &v) < 0)
				cli_bad_value(usage, "--iterations",
				    "1 to 1000", optarg);
			cf->iterations = (size_t)v;
			break;
		case O_K:
			cli_add_cutoff(usage, optarg, 10000, opt->k, &cf->nk,
			    MAX_KS);
			break;
		case O_REGULARIZATION:
			if (cli_parse_double(optarg, 0, 1e6, &cf->als.regularization) < 0)
				cli_bad_value(usage, "--regularization",
				    "0 to 1000000", optarg);
			break;
		case O_SAMPLE:
			if (cli_parse_int(optarg, 0, INT64_MAX, &v) < 0)
				cli_bad_value(usage, "--sample",
				    "a whole number from 0", optarg);
			cf->sample = (size_t)v;
			break;
		case O_SEED:
			if (cli_parse_int(optarg, 0, INT64_MAX, &v) < 0)
				cli_bad_value(usage, "--seed",
				    "a whole number from 0", optarg);
			cf->seed = (uint64_t)v;
			break;
		case O_THREADS:
			if (cli_parse_int(optarg, 1, 256, &v) < 0)
				cli_bad_value(usage, "--threads", "1 to 256",
				    optarg);
			cf->als.threads = (unsigned)v;
			break;
		case O_TRAIN_FRACTION:
			if (cli_parse_double(optarg, 0.01, 0.99, &cf->train_fraction) < 0)
				cli_bad_value(usage, "--train-fraction",
				    "0.01 to 0.99", optarg);
			break;
		default:
			cli_common_option(c, optarg, &opt->common, &tool);
		}
	}
	opt->input = cli_one_input(argc, argv, optind, usage);
	if (cf->nk == 0)
		opt->k[cf->nk++] = 10;
	cf->ks = opt->k;
	cf->als.seed = cf->seed;
}

static void
report_iteration(void *ctx, size_t iteration, double loss, double seconds)
{
	const struct options *opt = ctx;

	fprintf(stderr, "aud-cf-check: iteration %zu/%zu: loss %.9g (%.3f s)\n",
	    iteration, opt->cf.iterations, loss, seconds);
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct interactions ia;
	struct cf_result res;
	struct output out;
	char errbuf[512];
	FILE *in;

	parse_options(argc, argv, &opt);
	if (!opt.common.quiet) {
		opt.cf.on_iteration = report_iteration;
		opt.cf.ctx = &opt;
	}
	if ((in = cli_open_input(opt.input)) == NULL)
		err(EXIT_DATA, "%s", opt.input);
	if (output_open(&out, opt.common.output, 0, opt.common.force, errbuf,
	    sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (interactions_load(&ia, in, opt.input, 0, errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (ia.n == 0)
		errx(EXIT_DATA, "%s: no interactions to check",
		    strcmp(opt.input, "-") ? opt.input : "stdin");
	if (in != stdin)
		fclose(in);
	if (cf_check(&res, &ia, &opt.cf) < 0)
		errx(EXIT_DATA, "%s: too few interactions to split into training "
		    "and test rows", strcmp(opt.input, "-") ? opt.input : "stdin");
	cf_write_json(out.fp, &res);
	if (output_finish(&out, 0, errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (!opt.common.quiet)
		fprintf(stderr, "aud-cf-check: %zu iterations in %.3f s (%.3f s "
		    "each); %zu products evaluated in %.3f s\n",
		    opt.cf.iterations, res.train_seconds,
		    res.train_seconds / (double)opt.cf.iterations, res.evaluated,
		    res.eval_seconds);
	cf_result_free(&res);
	interactions_free(&ia);
	return 0;
}
