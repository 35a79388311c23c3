/*
 * aud-features: per-customer engagement features and scores, and optionally
 * per-product figures, from an interactions stream (see aud-features(1)).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boundstream.h"
#include "cli.h"
#include "engagement.h"
#include "featstream.h"
#include "groups.h"
#include "interactions.h"
#include "output.h"
#include "parallel.h"
#include "ranking.h"
#include "returns.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

#define MAX_OVERRIDES 64
#define TOP_SHOWN 10

struct override {
	const char *name;
	double weight;
};

struct options {
	const char *products;
	struct override event_weight[MAX_OVERRIDES], part_weight[NENG];
	size_t nevent_weights, npart_weights;
	int64_t recent_days;
	int text;
	int returns;			/* --return-model given */
	struct return_params ret;
	const char *return_event;	/* its name, or NULL: every event */
	int allow_unconverged;
	int partial;			/* --partial: the bounds, not features */
	const char *bounds;		/* --bounds FILE */
	char **combine;			/* --combine: the bounds files */
	int ncombine;
	struct common_options common;
	const char *input;
};

/* The usage lines: after a usage error, and in --help. */
static const char synopsis[] =
    "Usage: aud-features [options] [-o FEATURES] [--products PRODUCTS] [INTERACTIONS|-]\n"
    "       aud-features --partial [options] [-o BOUNDS] [SHARD|-]\n"
    "       aud-features --combine [-o BOUNDS] BOUNDS...\n";

static void
usage(void)
{
	fprintf(stderr, "%sTry 'aud-features --help' for more information.\n",
	    synopsis);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("aud-features computes, for every customer of an interactions stream, the\n"
	    "engagement features and the two targeting scores (engagement and activity)\n"
	    "that aud-rank ranks by, as a features stream; --products adds a stream of\n"
	    "per-product figures, --text a readable summary instead.\n"
	    "\n"
	    "Examples:\n"
	    "  aud-features -o features.aud interactions.aud\n"
	    "  aud-prepare orders.csv | aud-features --text\n"
	    "  aud-features --weight purchased=10 --products products.aud -o f.aud i.aud\n"
	    "\n"
	    "%s"
	    "\n"
	    "Options:\n"
	    "  --products FILE       also write per-product figures to FILE\n"
	    "  --weight EVENT=W      weight of an event (defaults: purchased 5, cart 3,\n"
	    "                        rating 2.5, wishlist 2, search_keyword 1, others 1)\n"
	    "  --score-weight PART=W weight of a part of the engagement score: total 0.35,\n"
	    "                        unique 0.25, avg 0.20, frequency 0.15, recency 0.05\n"
	    "  --recent-days R       the window of the activity score (default 30)\n"
	    "  --text                a readable summary instead of the stream\n"
	    "  --return-model M      bgnbd or mbgnbd: fit who comes back, and add each\n"
	    "                        customer's p_alive and expected_purchases\n"
	    "  --period-days D       the model's time unit in days (default 7)\n"
	    "  --calibration-end T   fit on rows up to T (ISO 8601; default the last)\n"
	    "  --horizon H           expected purchases over H periods (default 52)\n"
	    "  --return-event EVENT  the purchases that count (default every event)\n"
	    "  --allow-unconverged   keep a fit whose optimiser did not converge\n"
	    "\n"
	    "Customer shards (see aud-features(1), Shards):\n"
	    "  --partial             write the shard's bounds of the score's parts\n"
	    "                        (with --return-model, its purchase summaries)\n"
	    "  --combine             combine every shard's bounds into one\n"
	    "  --bounds FILE         normalise the score within the combined bounds\n"
	    "                        (and fit the return model to every shard's)\n"
	    "\n%s", synopsis, cli_common_options_help);
	exit(0);
}

static const struct cli_tool tool = { "aud-features", help, usage };

/* Splits "NAME=W" into o; returns 0 or -1. */
static int
parse_assignment(char *arg, struct override *o)
{
	char *eq = strrchr(arg, '=');

	if (eq == NULL || eq == arg)
		return -1;
	*eq = '\0';
	o->name = arg;
	return cli_parse_double(eq + 1, 0, 1e300, &o->weight);
}

static void
parse_options(int argc, char **argv, struct options *opt)
{
	enum { O_PRODUCTS = 256, O_WEIGHT, O_SCORE_WEIGHT, O_RECENT_DAYS, O_TEXT,
	    O_RETURN_MODEL, O_PERIOD_DAYS, O_CALIBRATION_END, O_HORIZON,
	    O_RETURN_EVENT, O_ALLOW_UNCONVERGED, O_PARTIAL, O_COMBINE, O_BOUNDS };
	struct time_format iso = { TIME_ISO, NULL };
	static const struct option longopts[] = {
		{ "allow-unconverged", no_argument, NULL, O_ALLOW_UNCONVERGED },
		{ "bounds", required_argument, NULL, O_BOUNDS },
		{ "combine", no_argument, NULL, O_COMBINE },
		{ "partial", no_argument, NULL, O_PARTIAL },
		{ "calibration-end", required_argument, NULL, O_CALIBRATION_END },
		{ "horizon", required_argument, NULL, O_HORIZON },
		{ "period-days", required_argument, NULL, O_PERIOD_DAYS },
		{ "products", required_argument, NULL, O_PRODUCTS },
		{ "return-event", required_argument, NULL, O_RETURN_EVENT },
		{ "return-model", required_argument, NULL, O_RETURN_MODEL },
		{ "recent-days", required_argument, NULL, O_RECENT_DAYS },
		{ "score-weight", required_argument, NULL, O_SCORE_WEIGHT },
		{ "text", no_argument, NULL, O_TEXT },
		{ "weight", required_argument, NULL, O_WEIGHT },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->recent_days = 30;
	opt->ret.period_days = 7;
	opt->ret.horizon = 52;
	opt->ret.calibration_end = INT64_MIN;
	opt->ret.event = -1;
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (c) {
		case O_PRODUCTS:
			opt->products = optarg;
			break;
		case O_RECENT_DAYS:
			if (cli_parse_int(optarg, 1, 100000, &opt->recent_days) < 0)
				cli_bad_value(usage, "--recent-days",
				    "1 to 100000", optarg);
			break;
		case O_SCORE_WEIGHT: {
			struct override o;
			int k;

			if (parse_assignment(optarg, &o) < 0)
				cli_bad_value(usage, "--score-weight",
				    "PART=W with W >= 0", optarg);
			for (k = 0; k < NENG && strcmp(engagement_part_name[k], o.name); k++)
				;
			if (k == NENG)
				cli_usage_error(usage, "--score-weight: no part \"%s\" "
				    "(total, unique, avg, frequency, recency)", o.name);
			opt->part_weight[opt->npart_weights++ % NENG] = o;
			break;
		}
		case O_TEXT:
			opt->text = 1;
			break;
		case O_RETURN_MODEL:
			if (strcmp(optarg, "bgnbd") && strcmp(optarg, "mbgnbd"))
				cli_bad_value(usage, "--return-model",
				    "bgnbd or mbgnbd", optarg);
			opt->returns = 1;
			opt->ret.kind = strcmp(optarg, "mbgnbd") ? RETURN_BGNBD :
			    RETURN_MBGNBD;
			break;
		case O_PERIOD_DAYS:
			if (cli_parse_double(optarg, 1e-3, 36500,
			    &opt->ret.period_days) < 0)
				cli_bad_value(usage, "--period-days",
				    "a number of days from 0.001 to 36500", optarg);
			break;
		case O_HORIZON:
			if (cli_parse_double(optarg, 1e-3, 1e6, &opt->ret.horizon) < 0)
				cli_bad_value(usage, "--horizon",
				    "a number of periods from 0.001", optarg);
			break;
		case O_CALIBRATION_END:
			if (time_parse(&iso, optarg, strlen(optarg),
			    &opt->ret.calibration_end) < 0)
				cli_bad_value(usage, "--calibration-end",
				    "an ISO 8601 time", optarg);
			break;
		case O_RETURN_EVENT:
			opt->return_event = optarg;
			break;
		case O_ALLOW_UNCONVERGED:
			opt->allow_unconverged = 1;
			break;
		case O_PARTIAL:
			opt->partial = 1;
			break;
		case O_COMBINE:
			opt->combine = argv;	/* the operands, below */
			break;
		case O_BOUNDS:
			opt->bounds = optarg;
			break;
		case O_WEIGHT:
			if (opt->nevent_weights == MAX_OVERRIDES ||
			    parse_assignment(optarg, &opt->event_weight[opt->nevent_weights]) < 0)
				cli_bad_value(usage, "--weight",
				    "EVENT=W with W >= 0", optarg);
			opt->nevent_weights++;
			break;
		default:
			cli_common_option(c, optarg, &opt->common, &tool);
		}
	}
	if (opt->combine != NULL) {
		if (optind == argc)
			cli_usage_error(usage, "--combine needs the bounds files");
		if (opt->partial || opt->bounds || opt->products || opt->text ||
		    opt->returns)
			cli_usage_error(usage, "--combine takes no other option");
		opt->combine = argv + optind;
		opt->ncombine = argc - optind;
		return;
	}
	opt->input = cli_one_input(argc, argv, optind, usage);
	if (opt->partial && opt->bounds)
		cli_usage_error(usage, "--partial and --bounds exclude each other");
	if ((opt->partial || opt->bounds) && (opt->products || opt->text))
		cli_usage_error(usage, "--partial and --bounds compute the "
		    "features only: no --products or --text");
	if (opt->partial && opt->allow_unconverged)
		cli_usage_error(usage, "--allow-unconverged goes with --bounds, "
		    "where the return model is fitted");
	if (!opt->returns && (opt->return_event || opt->allow_unconverged ||
	    opt->ret.calibration_end != INT64_MIN))
		cli_usage_error(usage, "--calibration-end, --return-event and "
		    "--allow-unconverged need --return-model");
}

static void
apply_overrides(struct feature_params *p, const struct interactions *ia,
    const struct options *opt)
{
	for (size_t i = 0; i < opt->nevent_weights; i++)
		feature_params_override(p, ia, opt->event_weight[i].name,
		    opt->event_weight[i].weight);
	for (size_t i = 0; i < opt->npart_weights && i < NENG; i++)
		for (int k = 0; k < NENG; k++)
			if (strcmp(engagement_part_name[k], opt->part_weight[i].name) == 0)
				p->engagement_weight[k] = opt->part_weight[i].weight;
	p->recent_days = opt->recent_days;
}

/* The q-quantile of the n scores in descending order, interpolated linearly. */
static double
quantile(const double *score, const uint32_t *desc, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)pos;
	double a = score[desc[n - 1 - lo]];
	double b = lo + 1 < n ? score[desc[n - 2 - lo]] : a;

	return a + (b - a) * (pos - (double)lo);
}

static void
print_distribution(FILE *out, const char *name, const double *score,
    const uint32_t *desc, size_t n)
{
	static const double qs[] = { 0, 0.25, 0.5, 0.75, 0.9, 0.99, 1 };

	fprintf(out, "%-11s", name);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		fprintf(out, " %9.4f", quantile(score, desc, n, qs[i]));
	fputc('\n', out);
}

static void
print_text(FILE *out, const struct features *f, const struct interactions *ia)
{
	size_t n, n2;
	uint8_t *present = xcalloc(f->n ? f->n : 1, 1);
	uint32_t *by_engagement, *by_activity;
	char first[TIME_ISO_LEN];

	for (size_t c = 0; c < f->n; c++)
		present[c] = f->sum[c].total > 0;
	by_engagement = ranking_order(ia->customers, f->engagement, present, &n);
	by_activity = ranking_order(ia->customers, f->activity, present, &n2);
	fprintf(out, "%zu customers, %zu interactions, latest %s\n\n", n, ia->n,
	    n ? time_format_iso(f->max_time, first) : "-");
	if (n > 0) {
		fprintf(out, "score distribution (quantiles, linear interpolation)\n");
		fprintf(out, "%-11s %9s %9s %9s %9s %9s %9s %9s\n", "score", "min",
		    "25%", "50%", "75%", "90%", "99%", "max");
		print_distribution(out, "engagement", f->engagement, by_engagement, n);
		print_distribution(out, "activity", f->activity, by_activity, n);
		fprintf(out, "\ntop %d customers by engagement (ties by customer id)\n",
		    n < TOP_SHOWN ? (int)n : TOP_SHOWN);
		fprintf(out, "%4s  %-20s %10s %9s %6s %6s %7s  %s\n", "rank",
		    "customer", "engagement", "activity", "rows", "prods",
		    "recency", "last");
	}
	for (size_t k = 0; k < n && k < TOP_SHOWN; k++) {
		uint32_t c = by_engagement[k];
		struct id id;
		char idbuf[24], last[TIME_ISO_LEN];

		intern_get(ia->customers, c, &id);
		if (!id.is_str)
			snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id.num);
		fprintf(out, "%4zu  %-20.*s %10.4f %9.4f %6u %6u %7lld  %s\n", k + 1,
		    id.is_str ? (int)id.len : (int)strlen(idbuf),
		    id.is_str ? id.str : idbuf, f->engagement[c], f->activity[c],
		    f->sum[c].total, f->sum[c].unique,
		    (long long)features_recency_days(f, &f->sum[c]),
		    time_format_iso(f->sum[c].last, last));
	}
	free(present);
	free(by_engagement);
	free(by_activity);
}

/* --return-event's index in ia. */
static void
return_event(struct options *opt, const struct interactions *ia)
{
	if (opt->return_event != NULL &&
	    (opt->ret.event = interactions_event(ia, opt->return_event)) < 0)
		errx(EXIT_DATA, "%s: --return-event: no event \"%s\" in the data",
		    opt->input, opt->return_event);
}

/*
 * What main computes from the rows: the features and, with --return-model
 * (and not --partial), the return model fitted to all shards' summaries
 * with --bounds. The two read the same rows and nothing of each other's.
 */
struct computation {
	const struct options *opt;
	const struct interactions *ia;
	const struct feature_params *params;
	const struct bounds_file *bf;	/* --bounds, or NULL */
	struct features *f;
	struct return_scores *rs;	/* NULL: no return model */
	int fitted;			/* 0, or -1 with err */
	char err[512];
};

static void
compute_part(void *ctx, size_t from, size_t to, unsigned thread)
{
	struct computation *c = ctx;

	(void)thread;
	for (size_t part = from; part < to; part++)
		if (part == 0 && c->bf != NULL)
			features_compute_within(c->f, c->ia, c->params,
			    &c->bf->b);
		else if (part == 0 && c->opt->partial)	/* its bounds only */
			features_sum(c->f, c->ia, c->params);
		else if (part == 0)
			features_compute(c->f, c->ia, c->ia->n, c->params);
		else if (c->bf != NULL)
			c->fitted = return_scores_compute_all(c->rs, c->ia,
			    &c->opt->ret, &c->bf->days, c->err, sizeof(c->err));
		else
			c->fitted = return_scores_compute(c->rs, c->ia,
			    &c->opt->ret, c->err, sizeof(c->err));
}

/*
 * The features, and the return model beside them on the other core: its
 * passes over the rows and its fit (2.3 s at 50M rows) then cost little
 * more than the writing of its columns. The fit must converge unless
 * allowed not to.
 */
static void
compute(struct computation *c)
{
	const struct options *opt = c->opt;

	parallel_for(c->rs != NULL ? 2 : 1, 1, parallel_cpus(), compute_part,
	    c);
	if (c->rs == NULL)
		return;
	if (c->fitted < 0)
		errx(EXIT_DATA, "%s: %s", opt->input, c->err);
	if (!c->rs->fit.converged && !opt->allow_unconverged)
		errx(EXIT_DATA, "%s: the return model's optimiser did not converge "
		    "in %d iterations (--allow-unconverged keeps the fit)",
		    opt->input, c->rs->fit.iterations);
}

static void
print_return_fit(FILE *out, const struct return_scores *rs)
{
	const struct return_fit *f = &rs->fit;
	char end[TIME_ISO_LEN];

	fprintf(out, "\n%s return model, periods of %g days, calibration to %s\n",
	    f->kind == RETURN_MBGNBD ? "MBG/NBD" : "BG/NBD",
	    rs->params.period_days, time_format_iso(rs->params.calibration_end, end));
	fprintf(out, "%zu customers: r %.4f, alpha %.4f, a %.4f, b %.4f, "
	    "log-likelihood %.2f, %s after %d iterations\n", rs->fitted, f->r,
	    f->alpha, f->a, f->b, f->log_likelihood, f->converged ?
	    "converged" : "NOT converged", f->iterations);
	fputs("standard errors:", out);
	for (int i = 0; i < 4; i++) {
		static const char *const name[4] = { "r", "alpha", "a", "b" };

		if (isfinite(f->se[i]))
			fprintf(out, "%s %s %.4f", i ? "," : "", name[i], f->se[i]);
		else
			fprintf(out, "%s %s -", i ? "," : "", name[i]);
	}
	fputs(" (- where the information matrix is singular)\n", out);
}

/* --combine: every shard's bounds into one stream. */
static int
combine(const struct options *opt)
{
	static struct bounds_file all, one;
	struct output out;
	char errbuf[2 * BOUNDS_PARAMS_LEN + 512];	/* both in words */

	if (output_open(&out, opt->common.output, 1, opt->common.force,
	    errbuf, sizeof(errbuf)) < 0)
		errx(opt->common.output ? EXIT_DATA : EXIT_USAGE, "%s", errbuf);
	for (int i = 0; i < opt->ncombine; i++) {
		FILE *in = cli_open_input(opt->combine[i]);

		if (in == NULL)
			err(EXIT_DATA, "%s", opt->combine[i]);
		if (bounds_read(&one, in, opt->combine[i], errbuf,
		    sizeof(errbuf)) < 0 ||
		    bounds_combine(&all, &one, opt->combine[i], errbuf,
		    sizeof(errbuf)) < 0)
			errx(EXIT_DATA, "%s", errbuf);
		bounds_free(&one);
		if (in != stdin)
			fclose(in);
	}
	if (output_finish(&out, bounds_write(out.fp, &all, opt->combine[0]),
	    errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	bounds_free(&all);
	return 0;
}

/* --bounds: reads them, and checks that they normalise ia's features. */
static void
read_bounds(const struct options *opt, const struct interactions *ia,
    const struct feature_params *p, struct bounds_file *bf)
{
	FILE *in = cli_open_input(opt->bounds);
	char errbuf[2 * BOUNDS_PARAMS_LEN + 512];	/* both in words */

	if (in == NULL)
		err(EXIT_DATA, "%s", opt->bounds);
	if (bounds_read(bf, in, opt->bounds, errbuf, sizeof(errbuf)) < 0 ||
	    bounds_check(bf, opt->bounds, ia, p, opt->returns ? &opt->ret : NULL,
	    errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (in != stdin)
		fclose(in);
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct interactions ia;
	struct feature_params params;
	struct features f;
	struct return_scores rs;
	struct output out, products_out;
	char errbuf[512];
	const char *source;
	FILE *in;
	int written;
	static struct bounds_file bf;	/* --partial's or --bounds' */

	parse_options(argc, argv, &opt);
	if (opt.combine != NULL)
		return combine(&opt);
	source = strcmp(opt.input, "-") ? opt.input : "stdin";
	if ((in = cli_open_input(opt.input)) == NULL)
		err(EXIT_DATA, "%s", opt.input);
	if (output_open(&out, opt.common.output, !opt.text, opt.common.force,
	    errbuf, sizeof(errbuf)) < 0)
		errx(opt.common.output ? EXIT_DATA : EXIT_USAGE, "%s", errbuf);
	if (opt.products && output_open(&products_out, opt.products, 1, 1,
	    errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (interactions_load(&ia, in, opt.input, opt.products != NULL, errbuf,
	    sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	/* A shard may hold no customer: its features are none. */
	if (ia.n == 0 && ia.nshards == 0)
		errx(EXIT_DATA, "%s: no interactions to compute features from",
		    strcmp(opt.input, "-") ? opt.input : "stdin");
	if (in != stdin)
		fclose(in);
	feature_params_init(&params, &ia);
	apply_overrides(&params, &ia, &opt);
	if (opt.returns)
		return_event(&opt, &ia);
	if (opt.bounds != NULL) {
		read_bounds(&opt, &ia, &params, &bf);
		/* the whole data's last row, not the shard's */
		if (opt.returns && opt.ret.calibration_end == INT64_MIN)
			opt.ret.calibration_end = bf.b.max_time;
	}
	compute(&(struct computation){ .opt = &opt, .ia = &ia,
	    .params = &params, .bf = opt.bounds ? &bf : NULL, .f = &f,
	    .rs = opt.returns && !opt.partial ? &rs : NULL });
	if (opt.partial) {
		if (bounds_of(&bf, &f, &ia, &params, opt.returns ? &opt.ret :
		    NULL, errbuf, sizeof(errbuf)) < 0)
			errx(EXIT_DATA, "%s: %s", opt.input, errbuf);
		written = bounds_write(out.fp, &bf, source);
	} else if (opt.text) {
		print_text(out.fp, &f, &ia);
		if (opt.returns)
			print_return_fit(out.fp, &rs);
		written = 0;
	} else {
		struct features_source src = { .f = &f, .ia = &ia,
		    .params = &params, .returns = opt.returns ? &rs : NULL,
		    .name = source };

		written = features_write(out.fp, &src);
	}
	if (output_finish(&out, written, errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (opt.products) {
		struct product_customers g;

		product_customers_build(&g, &ia, 0, ia.n);
		written = products_write(products_out.fp, &ia, &g, source);
		if (output_finish(&products_out, written, errbuf, sizeof(errbuf)) < 0)
			errx(EXIT_DATA, "%s", errbuf);
		product_customers_free(&g);
	}
	if (opt.returns && !opt.partial)
		return_scores_free(&rs);
	bounds_free(&bf);
	features_free(&f);
	feature_params_free(&params);
	interactions_free(&ia);
	return 0;
}
