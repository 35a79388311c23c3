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

#include "audfmt.h"
#include "cli.h"
#include "json.h"
#include "model.h"
#include "output.h"
#include "stream.h"
#include "banned.h"

enum format { FORMAT_CSV, FORMAT_TSV, FORMAT_JSONL, FORMAT_MSGPACK, FORMAT_TEXT };

struct options {
	const char *model;
	int64_t n;
	int n_given, all, info;
	const char *name;		/* --name: a product known by name */
	enum format format;
	struct common_options common;
};

static void
usage(void)
{
	fprintf(stderr, "Usage: aud-query -m MODEL [-n N] [--format csv|tsv|jsonl|msgpack|text] [PRODUCT...]\n"
	    "       aud-query -m MODEL --name NAME [-n N] [--format FORMAT] [PRODUCT]\n"
	    "       aud-query -m MODEL --all [-n N] [--format csv|tsv|jsonl|msgpack|text]\n"
	    "       aud-query -m MODEL --info\n"
	    "Try 'aud-query --help' for more information.\n");
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("aud-query prints the audiences of products from a model built by aud-rank:\n"
	    "the customers to target, best first. Products are the arguments, or one\n"
	    "per line on standard input; a product the model has never seen gets the\n"
	    "cold-start list, marked \"fallback\". --all exports every product. A new\n"
	    "product known by its name (--name) gets the buyers of the products whose\n"
	    "names are most like it, from a product-aware model.\n"
	    "\n"
	    "Examples:\n"
	    "  aud-query -m model.aud 1000042 1000077\n"
	    "  cut -d, -f1 new-products.csv | aud-query -m model.aud -n 5 --format jsonl\n"
	    "  aud-query -m model.aud --all -o audiences.csv\n"
	    "  aud-query -m model.aud --name 'Blue Cotton Mug' -F text\n"
	    "\n"
	    "Usage: aud-query -m MODEL [-n N] [--format csv|tsv|jsonl|msgpack|text] [PRODUCT...]\n"
	    "       aud-query -m MODEL --name NAME [-n N] [--format FORMAT] [PRODUCT]\n"
	    "       aud-query -m MODEL --all [-n N] [--format csv|tsv|jsonl|msgpack|text]\n"
	    "       aud-query -m MODEL --info\n"
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
	    "  -i, --info           the model's metadata as JSON\n"
	    "\n%s", cli_common_options_help);
	exit(0);
}

static const struct cli_tool tool = { "aud-query", help, usage };

static void
parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'F' },
		{ "info", no_argument, NULL, 'i' },
		{ "model", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'N' },
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
		case 'm':
			opt->model = optarg;
			break;
		case 'N':
			if (*optarg == '\0')
				cli_bad_value(usage, "--name", "a product name", optarg);
			opt->name = optarg;
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
	if (opt->name != NULL && (opt->all || opt->info || argc - optind > 1))
		cli_usage_error(usage, "--name takes at most one product, and "
		    "neither --all nor --info");
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

/* Looks up one product given as text; exits on a malformed id. */
static void
query(FILE *out, const struct options *opt, const struct model *m,
    const char *text, size_t len, const char *where)
{
	struct audience a;
	struct id id;
	msgpack_object product;
	char err[512];

	if (len == 0 || memchr(text, '\0', len) != NULL)
		errx(EXIT_DATA, "%s: empty or malformed product id", where);
	id_from_text(&id, text, len);
	if (id.is_str && m->nint == m->nrecords && m->nrecords > 0)
		errx(EXIT_DATA, "%s: malformed product id \"%.*s\": this model's "
		    "product ids are integers", where, (int)len, text);
	if (model_lookup(m, &id, &a, err, sizeof(err)) < 0)
		errx(EXIT_DATA, "%s: %s", opt->model, err);
	stream_id_object(&id, &product);
	write_audience(out, opt, m, &a, &product);
	audience_free(&a);
}

static void
query_stdin(FILE *out, const struct options *opt, const struct model *m)
{
	char *line = NULL, where[64];
	size_t cap = 0, lineno = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, stdin)) > 0) {
		lineno++;
		if (line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		snprintf(where, sizeof(where), "stdin:%zu", lineno);
		query(out, opt, m, line, (size_t)len, where);
	}
	free(line);
	if (ferror(stdin))
		err(EXIT_DATA, "stdin");
}

/*
 * A product known by name: product's own audience when the model has it
 * (an id wins over a name), else the audience of the name.
 */
static void
query_name(FILE *out, const struct options *opt, const struct model *m,
    const char *product_text)
{
	struct audience a;
	struct id id;
	msgpack_object product = { .type = MSGPACK_OBJECT_NIL }, name;
	char err[512];
	int ret = 0;
	const msgpack_object *top = mp_map_get(m->meta, "top_n");
	size_t n = (size_t)opt->n;

	/* As long as the model's own audiences, unless -n says otherwise. */
	if (!opt->n_given && top != NULL &&
	    top->type == MSGPACK_OBJECT_POSITIVE_INTEGER && top->via.u64 < n)
		n = (size_t)top->via.u64;
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
	if (model_name_audience(m, opt->name, strlen(opt->name), n, &a, err,
	    sizeof(err)) < 0)
		errx(EXIT_DATA, "%s: %s", opt->model, err);
	name.type = MSGPACK_OBJECT_STR;
	name.via.str.ptr = opt->name;
	name.via.str.size = (uint32_t)strlen(opt->name);
	a.name = &name;
	write_audience(out, opt, m, &a, &product);
	audience_free(&a);
}

static void
export_all(FILE *out, const struct options *opt, const struct model *m)
{
	struct audience a;
	uint64_t at = 0;
	char err[512];
	int ret;

	while ((ret = model_next(m, &at, &a, err, sizeof(err))) == 1)
		write_audience(out, opt, m, &a, a.product_id);
	audience_free(&a);
	if (ret < 0)
		errx(EXIT_DATA, "%s: %s", opt->model, err);
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct model m;
	struct output out;
	const msgpack_object *top;
	char err[512];

	parse_options(argc, argv, &opt);
	if (model_open(&m, opt.model, err, sizeof(err)) < 0)
		errx(EXIT_DATA, "%s", err);
	top = mp_map_get(m.meta, "top_n");
	if (opt.n_given && top != NULL && top->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    (uint64_t)opt.n > top->via.u64)
		errx(EXIT_USAGE, "-n: this model holds %llu customers per product, "
		    "not %lld", (unsigned long long)top->via.u64, (long long)opt.n);
	if (output_open(&out, opt.common.output, opt.format == FORMAT_MSGPACK &&
	    !opt.info, opt.common.force, err, sizeof(err)) < 0)
		errx(opt.common.output ? EXIT_DATA : EXIT_USAGE, "%s", err);
	if (opt.info) {
		json_write_object(out.fp, m.meta);
		putc('\n', out.fp);
	} else {
		fmt = audfmt_new(&m, opt.format == FORMAT_TSV ? '\t' : ',');
		if (opt.format == FORMAT_CSV || opt.format == FORMAT_TSV)
			audfmt_table_header(out.fp, fmt);
		else if (opt.format == FORMAT_MSGPACK)
			targets_begin(out.fp, opt.model);
		if (opt.name != NULL)
			query_name(out.fp, &opt, &m, optind < argc ? argv[optind] : NULL);
		else if (opt.all)
			export_all(out.fp, &opt, &m);
		else if (optind < argc)
			for (int i = optind; i < argc; i++)
				query(out.fp, &opt, &m, argv[i], strlen(argv[i]), "argument");
		else
			query_stdin(out.fp, &opt, &m);
		audfmt_free(fmt);
	}
	model_close(&m);
	if (output_finish(&out, targets ? stream_writer_finish(targets) : 0, err,
	    sizeof(err)) < 0)
		errx(EXIT_DATA, "%s", err);
	return 0;
}
