/*
 * aud-query: audiences out of a model, for the shell and for batch exports
 * (see aud-query(1)). The model is memory-mapped; a look-up reads only the
 * product's record.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audfmt.h"
#include "campaign.h"
#include "cli.h"
#include "idlist.h"
#include "json.h"
#include "model.h"
#include "output.h"
#include "stream.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

enum format { FORMAT_CSV, FORMAT_TSV, FORMAT_JSONL, FORMAT_MSGPACK, FORMAT_TEXT };

struct options {
	const char *model;
	int64_t n;
	int n_given, all, info;
	int header;			/* --header: skip stdin's first line */
	int no_fallback;		/* an unknown product is an error */
	int new_product;		/* --name or --category */
	const char *name;		/* --name: a product known by name */
	const char *category;		/* --category: or by its category */
	/* A campaign export: any of these given. */
	const char *products, *exclude, *salt, *provenance;
	int64_t max_per_customer;
	double holdout;
	int campaign;
	enum format format;
	struct common_options common;
};

/* The usage lines: after a usage error, and in --help. */
static const char synopsis[] =
    "Usage: aud-query -m MODEL [-n N] [--format csv|tsv|jsonl|msgpack|text] [PRODUCT...]\n"
    "       aud-query -m MODEL [--name NAME] [--category C] [-n N] [--format FORMAT]\n"
    "                 [PRODUCT]\n"
    "       aud-query -m MODEL --all [-n N] [--format csv|tsv|jsonl|msgpack|text]\n"
    "       aud-query -m MODEL --info\n";

static void
usage(void)
{
	fprintf(stderr, "%sTry 'aud-query --help' for more information.\n",
	    synopsis);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("aud-query prints the audiences of products from a model built by aud-rank:\n"
	    "the customers to target, best first. Products are the arguments, or one\n"
	    "per line on standard input (blanks around an id and blank lines are\n"
	    "ignored); a product the model has never seen gets the cold-start list,\n"
	    "marked \"fallback\", and is counted on stderr. --all exports every\n"
	    "product. A new\n"
	    "product known by its name (--name) gets the buyers of the products whose\n"
	    "names are most like it, from a product-aware model.\n"
	    "\n"
	    "Examples:\n"
	    "  aud-query -m model.aud 1000042 1000077\n"
	    "  cut -d, -f1 new-products.csv | aud-query -m model.aud --header -n 5 -F jsonl\n"
	    "  aud-query -m model.aud --all -o audiences.csv\n"
	    "  aud-query -m model.aud --name 'Blue Cotton Mug' -F text\n"
	    "\n"
	    "%s"
	    "\n"
	    "Options:\n"
	    "  -m, --model MODEL    the model file (required)\n"
	    "  -n, --top N          customers per product (default 10, at most what\n"
	    "                       the model holds)\n"
	    "  -F, --format FORMAT  csv (default), tsv, jsonl, msgpack (a targets record\n"
	    "                       stream, see aud-stream(5)), or text for reading\n"
	    "  -a, --all            every product of the model, in the model's order\n"
	    "      --name NAME      a product known by name (PRODUCT, if the model has\n"
	    "                       it, wins)\n"
	    "      --category C     a product known by its category (with or without\n"
	    "                       --name: the name's audience first)\n"
	    "  -i, --info           the model's metadata as JSON\n"
	    "      --header         standard input's first line is a header: skip it\n"
	    "      --no-fallback    a product the model does not have is an error\n"
	    "                       (exit 1), not given the cold-start list\n"
	    "\n%s", synopsis, cli_common_options_help);
	exit(0);
}

static const struct cli_tool tool = { "aud-query", help, usage };

static void
parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "category", required_argument, NULL, 'C' },
		{ "exclude", required_argument, NULL, 'X' },
		{ "holdout", required_argument, NULL, 'O' },
		{ "max-per-customer", required_argument, NULL, 'P' },
		{ "products", required_argument, NULL, 'L' },
		{ "provenance", required_argument, NULL, 'V' + 256 },
		{ "salt", required_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'F' },
		{ "header", no_argument, NULL, 'H' },
		{ "info", no_argument, NULL, 'i' },
		{ "model", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'N' },
		{ "no-fallback", no_argument, NULL, 'B' },
		{ "top", required_argument, NULL, 'n' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->n = 10;
	while ((c = getopt_long(argc, argv, "aF:im:n:" CLI_COMMON_SHORTOPTS,
	    longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			opt->all = 1;
			break;
		case 'F':
			if (strcmp(optarg, "csv") == 0)
				opt->format = FORMAT_CSV;
			else if (strcmp(optarg, "tsv") == 0)
				opt->format = FORMAT_TSV;
			else if (strcmp(optarg, "jsonl") == 0)
				opt->format = FORMAT_JSONL;
			else if (strcmp(optarg, "msgpack") == 0)
				opt->format = FORMAT_MSGPACK;
			else if (strcmp(optarg, "text") == 0)
				opt->format = FORMAT_TEXT;
			else
				cli_bad_value(usage, "--format",
				    "csv, tsv, jsonl, msgpack or text", optarg);
			break;
		case 'i':
			opt->info = 1;
			break;
		case 'H':
			opt->header = 1;
			break;
		case 'B':
			opt->no_fallback = 1;
			break;
		case 'm':
			opt->model = optarg;
			break;
		case 'N':
			if (*optarg == '\0')
				cli_bad_value(usage, "--name", "a product name", optarg);
			opt->name = optarg;
			break;
		case 'X':
			opt->exclude = optarg;
			break;
		case 'O':
			if (cli_parse_double(optarg, 0, 100, &opt->holdout) < 0 ||
			    opt->holdout <= 0 || opt->holdout >= 100)
				cli_bad_value(usage, "--holdout",
				    "a percentage above 0 and below 100", optarg);
			break;
		case 'P':
			if (cli_parse_int(optarg, 1, 1000000,
			    &opt->max_per_customer) < 0)
				cli_bad_value(usage, "--max-per-customer",
				    "a whole number from 1", optarg);
			break;
		case 'L':
			opt->products = optarg;
			break;
		case 'V' + 256:
			opt->provenance = optarg;
			break;
		case 'S':
			opt->salt = optarg;
			break;
		case 'C':
			if (*optarg == '\0')
				cli_bad_value(usage, "--category", "a category",
				    optarg);
			opt->category = optarg;
			break;
		case 'n':
			if (cli_parse_int(optarg, 1, 1000000, &opt->n) < 0)
				cli_bad_value(usage, "-n",
				    "a whole number from 1", optarg);
			opt->n_given = 1;
			break;
		default:
			cli_common_option(c, optarg, &opt->common, &tool);
		}
	}
	if (opt->model == NULL)
		cli_usage_error(usage, "-m MODEL is required");
	if ((opt->all || opt->info) && optind < argc)
		cli_usage_error(usage, "--all and --info take no products");
	opt->new_product = opt->name != NULL || opt->category != NULL;
	if (opt->header && (optind < argc || opt->all || opt->info ||
	    opt->new_product))
		cli_usage_error(usage, "--header is for products on standard "
		    "input or in --products");
	if (opt->new_product && (opt->all || opt->info || argc - optind > 1))
		cli_usage_error(usage, "--name and --category take at most one "
		    "product, and neither --all nor --info");
	opt->campaign = opt->products || opt->exclude || opt->max_per_customer ||
	    opt->holdout > 0;
	if (opt->campaign && (opt->new_product || opt->info))
		cli_usage_error(usage, "campaign options are not for --name, "
		    "--category or --info");
	if (opt->products && (opt->all || optind < argc))
		cli_usage_error(usage, "--products takes the place of --all and "
		    "product arguments");
	if ((opt->holdout > 0) != (opt->salt != NULL))
		cli_usage_error(usage, "--holdout and --salt go together");
	if (opt->holdout > 0 && opt->format == FORMAT_MSGPACK)
		cli_usage_error(usage, "--holdout: not with --format msgpack");
	if (opt->provenance && !opt->campaign)
		cli_usage_error(usage, "--provenance is for campaign exports");
}

static struct audfmt *fmt;	/* made once the model is open */
static struct stream_writer *targets;	/* --format msgpack */

/* The header of a targets stream: one record a targeted customer. */
static void
targets_begin(FILE *out, const char *model)
{
	static const char *const fields[] = {
		"product_id", "rank", "customer_id", "score", "source", "reason"
	};
	static const char *const types[] = {
		"id", "uint", "id", "float", "str", "str"
	};
	msgpack_packer *pk;

	targets = stream_writer_new(out);
	pk = stream_packer(targets);
	stream_write_header(targets, "targets", 6, fields, types, 1);
	stream_pack_cstr(pk, "provenance");
	msgpack_pack_map(pk, 4);
	stream_pack_provenance(pk, "aud-query", model);
}

static void
targets_add(const struct model *m, const struct audience *a,
    const msgpack_object *product, size_t n)
{
	msgpack_packer *pk = stream_packer(targets);
	char *text = NULL;
	size_t len = 0;
	FILE *reason = open_memstream(&text, &len);	/* a reason's text */

	if (reason == NULL)
		err(EXIT_DATA, "out of memory");
	for (size_t i = 0; i < n && i < a->size; i++) {
		stream_record_begin(targets);
		msgpack_pack_object(pk, *product);
		msgpack_pack_uint64(pk, i + 1);
		msgpack_pack_object(pk, audience_customer(m, a, i));
		stream_pack_float(pk, audience_score(m, a, i));
		stream_pack_cstr(pk, a->fallback ? "fallback" : "model");
		fseek(reason, 0, SEEK_SET);
		audfmt_reason(reason, fmt, a, i);
		fflush(reason);
		msgpack_pack_str_with_body(pk, text, (size_t)ftell(reason));
	}
	if (fclose(reason) != 0)
		err(EXIT_DATA, "out of memory");
	free(text);
}

static void
write_audience(FILE *out, const struct options *opt, const struct model *m,
    const struct audience *a, const msgpack_object *product)
{
	if (opt->format == FORMAT_MSGPACK)
		targets_add(m, a, product, (size_t)opt->n);
	else if (opt->format == FORMAT_JSONL)
		audfmt_json(out, fmt, a, product, (size_t)opt->n);
	else if (opt->format == FORMAT_TEXT)
		audfmt_text(out, fmt, a, product, (size_t)opt->n);
	else
		audfmt_table(out, fmt, a, product, (size_t)opt->n);
}

/* Where a product was given, for messages: FILE:LINE (source, stdin or
   --products) or argument N (source NULL). */
static void
where(char *buf, size_t len, const struct idlist_entry *e, const char *source)
{
	if (source != NULL)
		snprintf(buf, len, "%s:%llu", source, (unsigned long long)e->line);
	else
		snprintf(buf, len, "argument %llu", (unsigned long long)e->line);
}

/*
 * Checks every product before anything is written, so that a bad one half
 * way down a list leaves no partial output: an empty or malformed id, a
 * string id for a model of integer ids, and with --no-fallback a product
 * the model does not have.
 */
static void
check_products(const struct options *opt, const struct model *m,
    const struct idlist_entry *ids, size_t n, const char *source)
{
	for (size_t i = 0; i < n; i++) {
		const struct idlist_entry *e = &ids[i];
		struct audience a;
		struct id id;
		char at[64], err[512];
		int ret;

		where(at, sizeof(at), e, source);
		if (e->len == 0)
			errx(EXIT_DATA, "%s: empty product id", at);
		id_from_text(&id, e->text, e->len);
		if (id.is_str && m->nint == m->nrecords && m->nrecords > 0)
			errx(EXIT_DATA, "%s: malformed product id \"%.*s\": this "
			    "model's product ids are integers", at, (int)e->len,
			    e->text);
		if (!opt->no_fallback)
			continue;
		if ((ret = model_lookup(m, &id, &a, err, sizeof(err))) < 0)
			errx(EXIT_DATA, "%s: %s", opt->model, err);
		audience_free(&a);
		if (ret == 0)
			errx(EXIT_DATA, "%s: product \"%.*s\" is not in the model "
			    "(--no-fallback)", at, (int)e->len, e->text);
	}
}

/* Writes the audience of each product, or adds it to the campaign c;
   returns how many got the cold-start list, and the first of them in
   *first_unknown. */
static size_t
query_products(FILE *out, const struct options *opt, const struct model *m,
    const struct idlist_entry *ids, size_t n, size_t *first_unknown,
    struct campaign *c)
{
	size_t unknown = 0;

	for (size_t i = 0; i < n && !ferror(out); i++) {
		struct audience a;
		struct id id;
		msgpack_object product;
		char err[512];
		int ret;

		id_from_text(&id, ids[i].text, ids[i].len);
		if ((ret = model_lookup(m, &id, &a, err, sizeof(err))) < 0)
			errx(EXIT_DATA, "%s: %s", opt->model, err);
		if (ret == 0 && unknown++ == 0)
			*first_unknown = i;
		stream_id_object(&id, &product);
		if (c != NULL)
			campaign_add(c, m, &product, &a);
		else
			write_audience(out, opt, m, &a, &product);
		audience_free(&a);
	}
	return unknown;
}

/*
 * A product known by name or category: product's own audience when the
 * model has it (an id wins), else the audience of a new product.
 */
static void
query_new(FILE *out, const struct options *opt, const struct model *m,
    const char *product_text)
{
	struct audience a;
	struct id id;
	msgpack_object product = { .type = MSGPACK_OBJECT_NIL }, name;
	struct new_product np = { .name = opt->name, .category = opt->category,
	    .name_len = opt->name ? strlen(opt->name) : 0,
	    .category_len = opt->category ? strlen(opt->category) : 0 };
	char err[512];
	int ret = 0;
	size_t n = (size_t)opt->n;

	if (product_text != NULL) {
		id_from_text(&id, product_text, strlen(product_text));
		if ((ret = model_lookup(m, &id, &a, err, sizeof(err))) < 0)
			errx(EXIT_DATA, "%s: %s", opt->model, err);
		stream_id_object(&id, &product);
		if (ret == 1) {
			write_audience(out, opt, m, &a, &product);
			audience_free(&a);
			return;
		}
		audience_free(&a);
	}
	if (model_new_audience(m, &np, n, &a, err, sizeof(err)) < 0)
		errx(EXIT_DATA, "%s: %s", opt->model, err);
	if (opt->name != NULL) {
		name.type = MSGPACK_OBJECT_STR;
		name.via.str.ptr = opt->name;
		name.via.str.size = (uint32_t)np.name_len;
		a.name = &name;
	}
	write_audience(out, opt, m, &a, &product);
	audience_free(&a);
}

/* The products given, as arguments, in a --products file, or else on
   standard input. */
struct given {
	struct idlist list;		/* the file's or standard input's */
	struct idlist_entry *ids;
	size_t n;
	const char *source;		/* the file, "stdin", or NULL */
};

/* Opens a file of ids ("-": standard input) or exits. */
static FILE *
open_ids(const char *path)
{
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");

	if (in == NULL)
		err(EXIT_DATA, "%s", path);
	return in;
}

/* Reads the products given and checks them all (exits on a bad one). */
static void
given_load(struct given *g, const struct options *opt, const struct model *m,
    int argc, char **argv)
{
	char err[512];

	memset(g, 0, sizeof(*g));
	if (opt->products != NULL || optind >= argc) {
		struct idlist_source src = { .name = "stdin",
		    .skip_header = opt->header };

		if (opt->products != NULL) {	/* a file of ids, or a CSV */
			src.in = open_ids(opt->products);
			src.first_column = 1;
			if (src.in != stdin)
				src.name = opt->products;
		} else
			src.in = stdin;
		if (idlist_read(&g->list, &src, err, sizeof(err)) < 0)
			errx(EXIT_DATA, "%s", err);
		if (src.in != stdin)
			fclose(src.in);
		g->source = src.name;
		g->ids = g->list.id;
		g->n = g->list.n;
	} else {
		g->n = (size_t)(argc - optind);
		g->ids = xcalloc(g->n, sizeof(*g->ids));
		for (size_t i = 0; i < g->n; i++) {
			g->ids[i].text = argv[optind + (int)i];
			g->ids[i].len = strlen(g->ids[i].text);
			g->ids[i].line = i + 1;
		}
	}
	check_products(opt, m, g->ids, g->n, g->source);
}

/* Writes their audiences; the unknown ones are said on stderr (not under
   -q) once the output is complete. */
static void
given_query(FILE *out, const struct options *opt, const struct model *m,
    struct given *g, struct campaign *c)
{
	size_t first = 0, unknown = query_products(out, opt, m, g->ids, g->n,
	    &first, c);
	const struct idlist_entry *f = &g->ids[first];

	if (unknown > 0 && !opt->common.quiet)
		warnx("%zu of %zu product%s %s not in the model: given the "
		    "cold-start list (first: \"%.*s\", %s %llu)", unknown, g->n,
		    g->n == 1 ? "" : "s", unknown == 1 ? "is" : "are",
		    (int)f->len, f->text, g->source ? "line" : "argument",
		    (unsigned long long)f->line);
}

static void
given_free(struct given *g)
{
	if (g->source == NULL)
		free(g->ids);
	idlist_free(&g->list);
}

static void
export_all(FILE *out, const struct options *opt, const struct model *m,
    struct campaign *c)
{
	struct audience a = { 0 };
	uint64_t at = 0;
	char err[512];
	int ret = 0;

	while (!ferror(out) && (ret = model_next(m, &at, &a, err,
	    sizeof(err))) == 1) {
		if (c != NULL)
			campaign_add(c, m, a.product_id, &a);
		else
			write_audience(out, opt, m, &a, a.product_id);
	}
	audience_free(&a);
	if (ret < 0)
		errx(EXIT_DATA, "%s: %s", opt->model, err);
}

/* Chooses a campaign's audiences, writes them, says what could not be. */
static void
write_campaign(FILE *out, const struct options *opt, const struct model *m,
    struct campaign *c)
{
	campaign_assign(c);
	for (size_t i = 0; i < c->nproducts && !ferror(out); i++) {
		struct campaign_view v;

		campaign_view(c, i, &v);
		write_audience(out, opt, m, &v.a, &c->product[i].id);
		campaign_view_free(&v);
	}
	if (c->unfilled > 0 && !opt->common.quiet)
		warnx("%llu of %llu places could not be filled: no candidate "
		    "left among the customers the model holds a product",
		    (unsigned long long)c->unfilled,
		    (unsigned long long)(c->nproducts * c->p.n));
}

static const char *const format_names[] = { "csv", "tsv", "jsonl", "msgpack",
    "text" };

/* The sidecar: where the export came from, with what, and when. */
static void
write_provenance(FILE *f, const struct options *opt, const struct model *m,
    const struct campaign *c, size_t excluded)
{
	char now[TIME_ISO_LEN];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	time_format_iso((int64_t)ts.tv_sec * 1000, now);	/* to the second */
	fputs("{\"tool\":\"aud-query\",\"tool_version\":\"" AUD_VERSION
	    "\",\"time\":", f);
	json_write_string(f, now, strlen(now));
	fputs(",\"export\":", f);
	if (opt->common.output != NULL && strcmp(opt->common.output, "-") != 0)
		json_write_string(f, opt->common.output, strlen(opt->common.output));
	else
		fputs("null", f);
	fputs(",\"model\":{\"path\":", f);
	json_write_string(f, opt->model, strlen(opt->model));
	fputs(",\"metadata\":", f);
	json_write_object(f, m->meta);
	fprintf(f, "},\"options\":{\"top\":%lld,\"format\":\"%s\","
	    "\"products\":", (long long)opt->n, format_names[opt->format]);
	if (opt->products)
		json_write_string(f, opt->products, strlen(opt->products));
	else
		fputs(opt->all ? "\"--all\"" : "null", f);
	fputs(",\"exclude\":", f);
	if (opt->exclude)
		json_write_string(f, opt->exclude, strlen(opt->exclude));
	else
		fputs("null", f);
	if (opt->max_per_customer > 0)
		fprintf(f, ",\"max_per_customer\":%lld",
		    (long long)opt->max_per_customer);
	else
		fputs(",\"max_per_customer\":null", f);
	fputs(",\"holdout\":", f);
	if (opt->holdout > 0) {
		json_write_double(f, opt->holdout);
		fputs(",\"salt\":", f);
		json_write_string(f, opt->salt, strlen(opt->salt));
	} else
		fputs("null,\"salt\":null", f);
	fprintf(f, "},\"counts\":{\"products\":%zu,\"places\":%llu,"
	    "\"unfilled\":%llu,\"controls\":%llu,\"excluded_customers\":%zu,"
	    "\"candidates_suppressed\":%llu}}\n", c->nproducts,
	    (unsigned long long)(c->nproducts * c->p.n),
	    (unsigned long long)c->unfilled, (unsigned long long)c->controls,
	    excluded, (unsigned long long)c->suppressed);
}

/* The sidecar's path: --provenance, or -o's with ".json"; NULL for none. */
static char *
provenance_path(const struct options *opt)
{
	char *path = NULL;

	if (opt->provenance != NULL)
		return xstrndup(opt->provenance, strlen(opt->provenance));
	if (opt->common.output == NULL || strcmp(opt->common.output, "-") == 0)
		return NULL;
	if (asprintf(&path, "%s.json", opt->common.output) < 0)
		xalloc_failed();
	return path;
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct model m;
	struct output out, side;
	struct campaign camp = { 0 };
	struct intern *exclude = NULL;
	size_t excluded = 0;
	char *side_path = NULL;
	uint64_t top;
	char err[512];

	parse_options(argc, argv, &opt);
	if (model_open(&m, opt.model, err, sizeof(err)) < 0)
		errx(EXIT_DATA, "%s", err);
	top = model_depth(&m);
	if (!opt.n_given && model_top_n(&m) > 0 && model_top_n(&m) < (uint64_t)opt.n)
		opt.n = (int64_t)model_top_n(&m);	/* the audiences it was built for */
	if (opt.n_given && top > 0 && (uint64_t)opt.n > top)
		errx(EXIT_USAGE, "-n: this model holds %llu customers per product, "
		    "not %lld", (unsigned long long)top, (long long)opt.n);
	if (output_open(&out, opt.common.output, opt.format == FORMAT_MSGPACK &&
	    !opt.info, opt.common.force, err, sizeof(err)) < 0)
		errx(opt.common.output ? EXIT_DATA : EXIT_USAGE, "%s", err);
	if (opt.info) {
		json_write_object(out.fp, m.meta);
		putc('\n', out.fp);
	} else {
		struct given g = { 0 };
		struct campaign_params cp = { .n = (size_t)opt.n,
		    .max_per_customer = (uint64_t)opt.max_per_customer,
		    .holdout = opt.holdout, .salt = opt.salt };
		struct campaign *c = opt.campaign ? &camp : NULL;

		if (opt.exclude != NULL) {
			if ((exclude = idlist_load_set(opt.exclude, err,
			    sizeof(err))) == NULL)
				errx(EXIT_DATA, "%s", err);
			excluded = intern_count(exclude);
		}
		cp.exclude = exclude;
		campaign_init(&camp, &cp);
		if (!opt.new_product && !opt.all)
			given_load(&g, &opt, &m, argc, argv);
		fmt = audfmt_new(&m, opt.format == FORMAT_TSV ? '\t' : ',');
		if (opt.holdout > 0)
			audfmt_set_groups(fmt);
		if (opt.format == FORMAT_CSV || opt.format == FORMAT_TSV)
			audfmt_table_header(out.fp, fmt);
		else if (opt.format == FORMAT_MSGPACK)
			targets_begin(out.fp, opt.model);
		if (opt.new_product)
			query_new(out.fp, &opt, &m, optind < argc ? argv[optind] : NULL);
		else if (opt.all)
			export_all(out.fp, &opt, &m, c);
		else
			given_query(out.fp, &opt, &m, &g, c);
		if (c != NULL)
			write_campaign(out.fp, &opt, &m, c);
		if (c != NULL && (side_path = provenance_path(&opt)) != NULL) {
			if (output_open(&side, side_path, 0, 0, err, sizeof(err)) < 0)
				errx(EXIT_DATA, "%s", err);
			write_provenance(side.fp, &opt, &m, c, excluded);
		}
		audfmt_free(fmt);
		given_free(&g);
	}
	if (output_finish(&out, targets ? stream_writer_finish(targets) : 0, err,
	    sizeof(err)) < 0)
		errx(EXIT_DATA, "%s", err);
	/* The sidecar only once the export is in place. */
	if (side_path != NULL && output_finish(&side, 0, err, sizeof(err)) < 0)
		errx(EXIT_DATA, "%s", err);
	campaign_free(&camp);
	if (exclude != NULL)
		intern_free(exclude);
	free(side_path);
	model_close(&m);
	return 0;
}
