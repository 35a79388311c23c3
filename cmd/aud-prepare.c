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

#include "append.h"
#include "cli.h"
#include "output.h"
#include "pieces.h"
#include "prepare.h"
#include "shard.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

struct options {
	struct prep_params par;
	struct prep_filter *filters;	/* par's, owned here */
	size_t filters_cap;
	struct prep_event_map *event_map;
	size_t event_map_cap;
	double max_drop_share;		/* -1: no limit */
	int dry_run;
	int64_t shards;			/* 0: one stream */
	const char *append;		/* --append's stream, or NULL */
	int merge;			/* --merge: the inputs are pieces */
	const char *const *pieces;
	size_t npieces;
	struct prep_counts appended;	/* and the counts of the result */
	const char *max_drop_share_arg;
	struct common_options common;
	const char *input;
};

/* The usage lines: after a usage error, and in --help. */
static const char synopsis[] =
    "Usage: aud-prepare [options] [-o FILE] [CSV|-]\n";

static void
usage(void)
{
	fprintf(stderr, "%sTry 'aud-prepare --help' for more information.\n",
	    synopsis);
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
	    "%s"
	    "       aud-prepare --merge [-o FILE] PIECE...\n"
	    "\n"
	    "Options:\n"
	    "  --customer-col COL   customer id column, a name or a 1-based number\n"
	    "                       (default customer_id, or 2 with --no-header)\n"
	    "  --product-col COL    product id column (default product_id, or 3)\n"
	    "  --event-col COL      event column (default event, or 4)\n"
	    "  --time-col COL       time column (default event_date, or 5)\n"
	    "  --name-col COL       product name column, optional (default product_name, or 6)\n"
	    "  --category-col COL   product category column, optional (default none)\n"
	    "  --no-header          the first row is data; columns are named by number\n"
	    "  --delimiter D        the field separator: a character such as ';' or '|',\n"
	    "                       tab, or whitespace (runs of blanks, no quoting)\n"
	    "  --keep-if COL=GLOB   keep only rows whose COL matches GLOB (fnmatch(3));\n"
	    "                       repeatable: every one must match\n"
	    "  --drop-if COL=GLOB   drop rows whose COL matches GLOB; repeatable\n"
	    "  --event-map A=B,...  the export's event A is aud's event B; repeatable\n"
	    "  --dry-run            show the header, each column's role and what the\n"
	    "                       first five rows become, and write nothing\n"
	    "  --event-value EVENT  no event column: every row is this event\n"
	    "  --time-format FMT    iso (default), epoch-s, epoch-ms, or a strptime(3)\n"
	    "                       layout such as '%%d/%%m/%%Y %%H:%%M'\n"
	    "  --bot-threshold N    drop customers with more than N interactions in one\n"
	    "                       UTC day (default 1000; 0 keeps everyone)\n"
	    "  --strict             a row missing a field or with a bad time is an\n"
	    "                       error, not dropped\n"
	    "  --max-drop-share F   more than the share F (0 to 1) of rows dropped is\n"
	    "                       an error, not a warning\n"
	    "  --shards N           write N streams by customer, to -o's path with %%d\n"
	    "                       replaced by 0 to N-1 (e.g. -o 'parts/%%d.aud')\n"
	    "  --append OLD         the stream OLD (a file aud-prepare wrote) with the\n"
	    "                       CSV's rows merged in, as if prepared at once\n"
	    "  --merge PIECE...     instead of a CSV, streams aud-prepare wrote from\n"
	    "                       separate exports, cleaned together as if at once\n"
	    "\n%s", synopsis, cli_common_options_help);
	exit(0);
}

static const struct cli_tool tool = { "aud-prepare", help, usage };

/* --delimiter: one character (not a quote or line end), tab or whitespace. */
static void
parse_delimiter(const char *arg, struct prep_params *par)
{
	par->whitespace = strcmp(arg, "whitespace") == 0;
	if (par->whitespace)
		return;
	if (strcmp(arg, "tab") == 0)
		par->delim = '\t';
	else if (strlen(arg) == 1 && strchr("\"\r\n", arg[0]) == NULL)
		par->delim = arg[0];
	else
		cli_bad_value(usage, "--delimiter", "one character, tab or "
		    "whitespace", arg);
}

/* --keep-if or --drop-if COL=GLOB. */
static void
add_filter(struct options *opt, char *arg, int keep)
{
	char *eq = strchr(arg, '=');
	struct prep_filter *f;

	if (eq == NULL || eq == arg)
		cli_bad_value(usage, keep ? "--keep-if" : "--drop-if",
		    "COLUMN=GLOB", arg);
	*eq = '\0';
	opt->filters = xgrow(opt->filters, &opt->filters_cap,
	    opt->par.nfilters + 1, sizeof(*opt->filters));
	f = &opt->filters[opt->par.nfilters++];
	f->col = arg;
	f->glob = eq + 1;
	f->keep = keep;
	opt->par.filters = opt->filters;
}

/* --event-map FROM=TO[,FROM=TO...]. */
static void
add_event_map(struct options *opt, char *arg)
{
	for (char *pair = arg, *next; pair != NULL; pair = next) {
		char *eq = strchr(pair, '=');
		struct prep_event_map *m;

		if ((next = strchr(pair, ',')) != NULL)
			*next++ = '\0';

		if (eq == NULL || eq == pair || eq[1] == '\0')
			cli_bad_value(usage, "--event-map", "FROM=TO[,FROM=TO...]",
			    pair);
		*eq = '\0';
		opt->event_map = xgrow(opt->event_map, &opt->event_map_cap,
		    opt->par.nevent_map + 1, sizeof(*opt->event_map));
		m = &opt->event_map[opt->par.nevent_map++];
		m->from = pair;
		m->to = eq + 1;
		opt->par.event_map = opt->event_map;
	}
}

/* Whether path has exactly one "%d" and no other '%'. */
static int
shard_pattern(const char *path)
{
	const char *at = path != NULL ? strchr(path, '%') : NULL;

	return at != NULL && at[1] == 'd' && strchr(at + 1, '%') == NULL;
}

static void
parse_options(int argc, char **argv, struct options *opt)
{
	enum { O_CUSTOMER = 256, O_PRODUCT, O_EVENT, O_TIME, O_NAME, O_CATEGORY,
	    O_NO_HEADER,
	    O_EVENT_VALUE, O_TIME_FORMAT, O_BOT_THRESHOLD, O_STRICT,
	    O_MAX_DROP_SHARE, O_DELIMITER, O_KEEP_IF, O_DROP_IF, O_EVENT_MAP,
	    O_DRY_RUN, O_SHARDS, O_APPEND, O_MERGE };
	static const struct option longopts[] = {
		{ "append", required_argument, NULL, O_APPEND },
		{ "merge", no_argument, NULL, O_MERGE },
		{ "bot-threshold", required_argument, NULL, O_BOT_THRESHOLD },
		{ "category-col", required_argument, NULL, O_CATEGORY },
		{ "customer-col", required_argument, NULL, O_CUSTOMER },
		{ "delimiter", required_argument, NULL, O_DELIMITER },
		{ "drop-if", required_argument, NULL, O_DROP_IF },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ "event-map", required_argument, NULL, O_EVENT_MAP },
		{ "keep-if", required_argument, NULL, O_KEEP_IF },
		{ "event-col", required_argument, NULL, O_EVENT },
		{ "event-value", required_argument, NULL, O_EVENT_VALUE },
		{ "max-drop-share", required_argument, NULL, O_MAX_DROP_SHARE },
		{ "name-col", required_argument, NULL, O_NAME },
		{ "no-header", no_argument, NULL, O_NO_HEADER },
		{ "product-col", required_argument, NULL, O_PRODUCT },
		{ "shards", required_argument, NULL, O_SHARDS },
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
		case O_CATEGORY:
			if (*optarg == '\0')
				cli_usage_error(usage, "%s: empty column name",
				    prep_column_option[c - O_CUSTOMER]);
			opt->par.col[c - O_CUSTOMER] = optarg;
			break;
		case O_DELIMITER:
			parse_delimiter(optarg, &opt->par);
			break;
		case O_KEEP_IF:
		case O_DROP_IF:
			add_filter(opt, optarg, c == O_KEEP_IF);
			break;
		case O_EVENT_MAP:
			add_event_map(opt, optarg);
			break;
		case O_DRY_RUN:
			opt->dry_run = 1;
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
		case O_SHARDS:
			if (cli_parse_int(optarg, 1, SHARD_MAX, &opt->shards) < 0)
				cli_bad_value(usage, "--shards", "1 to 256", optarg);
			break;
		case O_APPEND:
			opt->append = optarg;
			break;
		case O_MERGE:
			opt->merge = 1;
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
	if (opt->merge) {
		if (optind == argc)
			cli_usage_error(usage, "--merge needs the pieces to merge");
		if (opt->shards > 0 || opt->dry_run || opt->append != NULL)
			cli_usage_error(usage, "--merge excludes %s", opt->shards > 0 ?
			    "--shards" : opt->dry_run ? "--dry-run" : "--append");
		opt->pieces = (const char *const *)argv + optind;
		opt->npieces = (size_t)(argc - optind);
		opt->input = argv[optind];
	} else
		opt->input = cli_one_input(argc, argv, optind, usage);
	if (opt->shards > 0 && !opt->dry_run && !shard_pattern(opt->common.output))
		cli_usage_error(usage, "--shards needs -o with one %%d where the "
		    "shard's number goes");
	if (opt->shards == 0 && opt->common.output != NULL &&
	    !opt->dry_run && shard_pattern(opt->common.output))
		cli_usage_error(usage, "-o %s: a %%d in the path needs --shards",
		    opt->common.output);
	if (opt->append != NULL && (opt->shards > 0 || opt->dry_run))
		cli_usage_error(usage, "--append excludes %s", opt->shards > 0 ?
		    "--shards" : "--dry-run");
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
	if (opt->par.nfilters > 0)
		fprintf(stderr, "aud-prepare: filtered out (--keep-if, --drop-if): "
		    "%llu\n", (unsigned long long)c->filtered);
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

/* What the stream holds with the appended rows, beside the CSV's report. */
static void
report_append(const struct options *opt)
{
	const struct prep_counts *c = &opt->appended;

	fprintf(stderr, "aud-prepare: with %s: %llu interactions, %llu "
	    "customers, %llu products (of all rows: %llu exact duplicates, "
	    "%llu bot-like customers)\n", opt->append,
	    (unsigned long long)c->written, (unsigned long long)c->customers,
	    (unsigned long long)c->products, (unsigned long long)c->duplicates,
	    (unsigned long long)c->bot_customers);
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

static void
abort_all(struct output *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		output_abort(&out[i]);
}

/* Where the run writes: -o, or with --shards one file per shard. */
struct outputs {
	struct output *out;
	char **path;			/* each shard's, for out's to borrow */
	FILE **fp;
	size_t n;
};

/* Opens -o, or with --shards -o's path with %d replaced by each shard's
   number. */
static void
open_outputs(const struct options *opt, struct outputs *o)
{
	char err[512];

	o->n = opt->shards > 0 ? (size_t)opt->shards : 1;
	o->out = xcalloc(o->n, sizeof(*o->out));
	o->path = xcalloc(o->n, sizeof(*o->path));
	o->fp = xcalloc(o->n, sizeof(*o->fp));
	for (size_t i = 0; i < o->n; i++) {
		if (opt->shards > 0 && asprintf(&o->path[i], opt->common.output,
		    (int)i) < 0)
			xalloc_failed();
		if (output_open(&o->out[i], opt->shards > 0 ? o->path[i] :
		    opt->common.output, 1, opt->common.force, err,
		    sizeof(err)) < 0) {
			abort_all(o->out, i);
			errx(opt->common.output ? EXIT_DATA : EXIT_USAGE, "%s", err);
		}
		o->fp[i] = o->out[i].fp;
	}
}

/* --append: the old stream with the rows read. Returns 0, or -1 with
   errno set; exits when the old stream cannot take them. */
static int
append(struct options *opt, struct prep *p, struct outputs *o)
{
	FILE *old = fopen(opt->append, "rb");
	char msg[512];
	int ret;

	if (old == NULL) {
		abort_all(o->out, o->n);
		err(EXIT_DATA, "%s", opt->append);
	}
	ret = prep_append(p, old, opt->append, o->fp[0], &opt->appended, msg,
	    sizeof(msg));
	fclose(old);
	if (ret == -1) {
		abort_all(o->out, o->n);
		errx(EXIT_DATA, "%s", msg);
	}
	if (ret == 0 && opt->appended.written == 0) {
		abort_all(o->out, o->n);
		errx(EXIT_DATA, "%s: no row survived with the rows of %s",
		    opt->par.name, opt->append);
	}
	return ret < 0 ? -1 : 0;
}

/*
 * Writes the streams and moves them into place, all or none: every file is
 * written and flushed before the first is renamed. Returns 0, 1 when a
 * reader of standard output went away, or exits.
 */
static int
write_outputs(struct options *opt, struct prep *p, struct outputs *o)
{
	int written;
	char err[512];
	int ret = 0;

	if (opt->append != NULL)
		written = append(opt, p, o);
	else if (opt->shards > 0)
		written = prep_write_shards(p, o->fp, (uint32_t)o->n);
	else
		written = prep_write(p, o->fp[0]);

	for (size_t i = 0; i < o->n && written == 0; i++)
		if (fflush(o->fp[i]) != 0 || ferror(o->fp[i]))
			written = -1;
	for (size_t i = 0; i < o->n; i++)
		switch (output_finish(&o->out[i], written, err, sizeof(err))) {
		case -1:
			abort_all(o->out + i + 1, o->n - i - 1);
			errx(EXIT_DATA, "%s", err);
		case 1:
			ret = 1;
		}
	for (size_t i = 0; i < o->n; i++)
		free(o->path[i]);
	free(o->path);
	free(o->fp);
	free(o->out);
	return ret;
}

/*
 * Refuses a run in which no row survived, or more than --max-drop-share
 * were dropped (exit 1, even under -q: the output would mislead); warns
 * when more than half were dropped, or the times look implausible.
 */
static void
check_survivors(const struct options *opt, const struct prep *p,
    struct output *out, size_t nout)
{
	const struct prep_counts *c = prep_counts(p);
	/* Rows the filters took were asked to go: the cleaning's share is of
	   the rest. */
	uint64_t considered = c->rows_read - c->filtered;
	uint64_t dropped = considered - c->written;
	double share = considered ? (double)dropped / (double)considered : 0;
	char cause[512], warning[256];

	prep_main_cause(p, cause, sizeof(cause));
	/* With --append, what survives is judged with the old rows (append()). */
	if (c->rows_read > 0 && c->written == 0 && opt->append == NULL) {
		abort_all(out, nout);
		errx(EXIT_DATA, "%s: no row survived: %s", opt->par.name, cause);
	}
	if (opt->max_drop_share >= 0 && share > opt->max_drop_share) {
		abort_all(out, nout);
		errx(EXIT_DATA, "%s: %.1f%% of rows dropped, more than "
		    "--max-drop-share %s: %s", opt->par.name, 100 * share,
		    opt->max_drop_share_arg, cause);
	}
	if (opt->common.quiet)
		return;
	if (2 * dropped > considered)
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

static void
read_csv(const struct options *opt, struct prep *p, struct outputs *out)
{
	uint64_t size;
	FILE *in = open_input(opt->input, &size);

	switch (prep_read(p, in, size, opt->common.quiet ? -1 : STDERR_FILENO)) {
	case -2:
		abort_all(out->out, out->n);
		cli_usage_error(usage, "%s", prep_error(p));
	case -1:
		errx(EXIT_DATA, "%s", prep_error(p));
	}
	if (in != stdin)
		fclose(in);
	if (!opt->common.quiet)
		warn_bad_times(opt, p);
}

static void
read_pieces(const struct options *opt, struct prep *p, struct outputs *out)
{
	char err[512];

	if (pieces_read(p, opt->pieces, opt->npieces, err, sizeof(err)) < 0) {
		abort_all(out->out, out->n);
		errx(EXIT_DATA, "%s", err);
	}
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct prep *p;
	struct outputs out;
	uint64_t size;
	FILE *in;
	char err[512];

	parse_options(argc, argv, &opt);
	opt.par.name = strcmp(opt.input, "-") == 0 ? "stdin" : opt.input;
	if ((p = prep_new(&opt.par, err, sizeof(err))) == NULL)
		errx(EXIT_USAGE, "%s", err);
	if (opt.dry_run) {
		in = open_input(opt.input, &size);
		switch (prep_dry_run(p, in, stdout, 5)) {
		case -2:
			cli_usage_error(usage, "%s", prep_error(p));
		case -1:
			errx(EXIT_DATA, "%s", prep_error(p));
		}
		if (in != stdin)
			fclose(in);
		prep_free(p);
		free(opt.filters);
		free(opt.event_map);
		return fflush(stdout) == 0 ? 0 : EXIT_DATA;
	}
	open_outputs(&opt, &out);
	if (opt.merge)
		read_pieces(&opt, p, &out);
	else
		read_csv(&opt, p, &out);
	prep_clean(p);
	check_survivors(&opt, p, out.out, out.n);
	/* 1: the reader went away, a quiet end with nothing to report. */
	if (write_outputs(&opt, p, &out) == 0 && !opt.common.quiet) {
		report(&opt, prep_counts(p));
		if (opt.append != NULL)
			report_append(&opt);
	}
	prep_free(p);
	free(opt.filters);
	free(opt.event_map);
	return 0;
}
