/*
 * aud-prepare: turns a CSV export of customer-product events into a clean,
 * time-sorted interactions stream (see aud-prepare(1) and aud-stream(5));
 * the cleaning itself is common/prepare.c.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "prepare.h"
#include "timeparse.h"
#include "banned.h"

struct options {
	struct prep_params par;
	double max_drop_share;		/* -1: no limit */
	const char *max_drop_share_arg;
	struct common_options common;
	const char *input;
};

static void
usage(void)
{
	fprintf(stderr, "Usage: aud-prepare [options] [-o FILE] [CSV|-]\n"
	    "Try 'aud-prepare --help' for more information.\n");
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("aud-prepare turns a CSV export of customer-product events into a clean,\n"
	    "time-sorted interactions stream for the other aud tools. It drops rows\n"
	    "missing an id or event, rows whose time does not parse, exact duplicates\n"
	    "and bot-like customers, and reports every count on standard error.\n"
	    "\n"
	    "Examples:\n"
	    "  aud-prepare -o interactions.aud orders.csv\n"
	    "  aud-prepare --customer-col visitorid --product-col itemid \\\n"
	    "      --time-col timestamp --time-format epoch-ms events.csv | aud-cat | head\n"
	    "  aud-prepare --customer-col CustomerID --product-col StockCode \\\n"
	    "      --time-col InvoiceDate --name-col Description --event-value purchased \\\n"
	    "      -o retail.aud online_retail.csv\n"
	    "\n"
	    "Usage: aud-prepare [options] [-o FILE] [CSV|-]\n"
	    "\n"
	    "Options:\n"
	    "  --customer-col COL   customer id column, a name or a 1-based number\n"
	    "                       (default customer_id, or 2 with --no-header)\n"
	    "  --product-col COL    product id column (default product_id, or 3)\n"
	    "  --event-col COL      event column (default event, or 4)\n"
	    "  --time-col COL       time column (default event_date, or 5)\n"
	    "  --name-col COL       product name column, optional (default product_name, or 6)\n"
	    "  --no-header          the first row is data; columns are named by number\n"
	    "  --event-value EVENT  no event column: every row is this event\n"
	    "  --time-format FMT    iso (default), epoch-s, epoch-ms, or a strptime(3)\n"
	    "                       layout such as '%%d/%%m/%%Y %%H:%%M'\n"
	    "  --bot-threshold N    drop customers with more than N interactions in one\n"
	    "                       UTC day (default 1000; 0 keeps everyone)\n"
	    "  --strict             a row missing a field or with a bad time is an\n"
	    "                       error, not dropped\n"
	    "  --max-drop-share F   more than the share F (0 to 1) of rows dropped is\n"
	    "                       an error, not a warning\n"
	    "\n%s", cli_common_options_help);
	exit(0);
}

static const struct cli_tool tool = { "aud-prepare", help, usage };

static void
parse_options(int argc, char **argv, struct options *opt)
{
	enum { O_CUSTOMER = 256, O_PRODUCT, O_EVENT, O_TIME, O_NAME, O_NO_HEADER,
	    O_EVENT_VALUE, O_TIME_FORMAT, O_BOT_THRESHOLD, O_STRICT,
	    O_MAX_DROP_SHARE };
	static const struct option longopts[] = {
		{ "bot-threshold", required_argument, NULL, O_BOT_THRESHOLD },
		{ "customer-col", required_argument, NULL, O_CUSTOMER },
		{ "event-col", required_argument, NULL, O_EVENT },
		{ "event-value", required_argument, NULL, O_EVENT_VALUE },
		{ "max-drop-share", required_argument, NULL, O_MAX_DROP_SHARE },
		{ "name-col", required_argument, NULL, O_NAME },
		{ "no-header", no_argument, NULL, O_NO_HEADER },
		{ "product-col", required_argument, NULL, O_PRODUCT },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "time-col", required_argument, NULL, O_TIME },
		{ "time-format", required_argument, NULL, O_TIME_FORMAT },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->par.bot_threshold = 1000;
	opt->max_drop_share = -1;
	opt->par.time_format.form = TIME_ISO;
	opt->par.time_format_arg = "iso";
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (c) {
		case O_CUSTOMER: case O_PRODUCT: case O_EVENT: case O_TIME: case O_NAME:
			if (*optarg == '\0')
				cli_usage_error(usage, "%s: empty column name",
				    prep_column_option[c - O_CUSTOMER]);
			opt->par.col[c - O_CUSTOMER] = optarg;
			break;
		case O_NO_HEADER:
			opt->par.no_header = 1;
			break;
		case O_EVENT_VALUE:
			opt->par.event_value = optarg;
			break;
		case O_MAX_DROP_SHARE:
			if (cli_parse_double(optarg, 0, 1, &opt->max_drop_share) < 0)
				cli_bad_value(usage, "--max-drop-share",
				    "a share from 0 to 1", optarg);
			opt->max_drop_share_arg = optarg;
			break;
		case O_STRICT:
			opt->par.strict = 1;
			break;
		case O_TIME_FORMAT:
			if (time_format_parse(&opt->par.time_format, optarg) < 0)
				cli_bad_value(usage, "--time-format", "iso, epoch-s, "
				    "epoch-ms or a strptime layout", optarg);
			opt->par.time_format_arg = optarg;
			break;
		case O_BOT_THRESHOLD:
			if (cli_parse_int(optarg, 0, UINT32_MAX - 1,
			    &opt->par.bot_threshold) < 0)
				cli_bad_value(usage, "--bot-threshold",
				    "a whole number from 0", optarg);
			break;
		default:
			cli_common_option(c, optarg, &opt->common, &tool);
		}
	}
	opt->input = cli_one_input(argc, argv, optind, usage);
	if (opt->par.event_value != NULL && opt->par.col[PREP_EVENT] != NULL)
		cli_usage_error(usage,
		    "--event-value and --event-col exclude each other");
	if (opt->par.no_header)
		for (int i = 0; i < PREP_NCOLS; i++) {
			int64_t v;

			if (opt->par.col[i] != NULL &&
			    cli_parse_int(opt->par.col[i], 1, 100000, &v) < 0)
				cli_usage_error(usage, "%s: with --no-header columns are "
				    "named by number, got \"%s\"", prep_column_option[i],
				    opt->par.col[i]);
		}
}

static void
report(const struct options *opt, const struct prep_counts *c)
{
	const uint64_t *d = c->dropped;

	fprintf(stderr, "aud-prepare: %s: rows read: %llu\n", opt->par.name,
	    (unsigned long long)c->rows_read);
	fprintf(stderr, "aud-prepare: dropped, missing a field: %llu "
	    "(customer %llu, product %llu, event %llu)\n",
	    (unsigned long long)(d[PREP_NO_CUSTOMER] + d[PREP_NO_PRODUCT] +
	    d[PREP_NO_EVENT]), (unsigned long long)d[PREP_NO_CUSTOMER],
	    (unsigned long long)d[PREP_NO_PRODUCT],
	    (unsigned long long)d[PREP_NO_EVENT]);
	fprintf(stderr, "aud-prepare: dropped, bad time: %llu\n",
	    (unsigned long long)d[PREP_BAD_TIME]);
	fprintf(stderr, "aud-prepare: dropped, exact duplicates: %llu\n",
	    (unsigned long long)c->duplicates);
	if (opt->par.bot_threshold > 0)
		fprintf(stderr, "aud-prepare: dropped, bot-like customers: %llu "
		    "(%llu rows; over %lld interactions in a UTC day)\n",
		    (unsigned long long)c->bot_customers,
		    (unsigned long long)c->bot_rows,
		    (long long)opt->par.bot_threshold);
	fprintf(stderr, "aud-prepare: written: %llu interactions, %llu customers, "
	    "%llu products\n", (unsigned long long)c->written,
	    (unsigned long long)c->customers, (unsigned long long)c->products);
}

/* The first rows dropped for a bad time, as warnings. */
static void
warn_bad_times(const struct options *opt, const struct prep *p)
{
	const struct prep_example *e = prep_examples(p, PREP_BAD_TIME);

	for (int i = 0; i < PREP_SHOWN && e[i].line > 0; i++)
		warnx("%s:%llu: bad timestamp \"%.80s\" (row dropped)",
		    opt->par.name, (unsigned long long)e[i].line, e[i].value);
}

/*
 * Refuses a run in which no row survived, or more than --max-drop-share
 * were dropped (exit 1, even under -q: the output would mislead); warns
 * when more than half were dropped, or the times look implausible.
 */
static void
check_survivors(const struct options *opt, const struct prep *p,
    struct output *out)
{
	const struct prep_counts *c = prep_counts(p);
	uint64_t dropped = c->rows_read - c->written;
	double share = c->rows_read ? (double)dropped / (double)c->rows_read : 0;
	char cause[512], warning[256];

	prep_main_cause(p, cause, sizeof(cause));
	if (c->rows_read > 0 && c->written == 0) {
		output_abort(out);
		errx(EXIT_DATA, "%s: no row survived: %s", opt->par.name, cause);
	}
	if (opt->max_drop_share >= 0 && share > opt->max_drop_share) {
		output_abort(out);
		errx(EXIT_DATA, "%s: %.1f%% of rows dropped, more than "
		    "--max-drop-share %s: %s", opt->par.name, 100 * share,
		    opt->max_drop_share_arg, cause);
	}
	if (opt->common.quiet)
		return;
	if (2 * dropped > c->rows_read)
		warnx("%s: warning: %.1f%% of rows dropped: %s", opt->par.name,
		    100 * share, cause);
	if (prep_implausible_times(p, warning, sizeof(warning)))
		warnx("%s: warning: %s", opt->par.name, warning);
}

static FILE *
open_input(const char *path, uint64_t *size)
{
	struct stat st;
	FILE *in = cli_open_input(path);

	if (in == NULL)
		err(EXIT_DATA, "%s", path);
	*size = fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) ?
	    (uint64_t)st.st_size : 0;
	return in;
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct prep *p;
	struct output out;
	uint64_t size;
	FILE *in;
	char err[512];
	int written;

	parse_options(argc, argv, &opt);
	opt.par.name = strcmp(opt.input, "-") == 0 ? "stdin" : opt.input;
	if ((p = prep_new(&opt.par, err, sizeof(err))) == NULL)
		errx(EXIT_USAGE, "%s", err);
	if (output_open(&out, opt.common.output, 1, opt.common.force, err,
	    sizeof(err)) < 0)
		errx(opt.common.output ? EXIT_DATA : EXIT_USAGE, "%s", err);
	in = open_input(opt.input, &size);
	if (prep_read(p, in, size, opt.common.quiet ? -1 : STDERR_FILENO) < 0)
		errx(EXIT_DATA, "%s", prep_error(p));
	if (in != stdin)
		fclose(in);
	if (!opt.common.quiet)
		warn_bad_times(&opt, p);
	prep_clean(p);
	check_survivors(&opt, p, &out);
	written = prep_write(p, out.fp);
	switch (output_finish(&out, written, err, sizeof(err))) {
	case -1:
		errx(EXIT_DATA, "%s", err);
	case 1:
		return 0;	/* the reader went away: nothing to report */
	}
	if (!opt.common.quiet)
		report(&opt, prep_counts(p));
	prep_free(p);
	return 0;
}
