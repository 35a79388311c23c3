/*
 * aud-cat: shows any aud record stream as text, JSON lines, CSV or TSV, so people
 * and tests can look inside (see aud-cat(1)). Fields typed "time" are shown
 * as ISO 8601 and "enum" fields by their dictionary names, unless --raw.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csvout.h"
#include "json.h"
#include "output.h"
#include "stream.h"
#include "timeparse.h"
#include "banned.h"

enum format { FORMAT_JSONL, FORMAT_CSV, FORMAT_TSV };

struct options {
	enum format format;
	int header_only, raw;
	int fingerprint;		/* --fingerprint: only the trailer's */
	struct common_options common;	/* -f and -q change nothing: text output */
	const char *input;
};

/* How one field is rendered, worked out once from the header. */
struct column {
	int is_time;
	const msgpack_object *dict;	/* for enum fields, or NULL */
};

/* The usage lines: after a usage error, and in --help. */
static const char synopsis[] =
    "Usage: aud-cat [-H | --fingerprint] [--format jsonl|csv|tsv] [--raw] [-o FILE] [STREAM|-]\n";

static void
usage(void)
{
	fprintf(stderr, "%sTry 'aud-cat --help' for more information.\n",
	    synopsis);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("aud-cat shows an aud record stream as text: one JSON object per record\n"
	    "(the default), or CSV or TSV with a header line. Times are shown in ISO 8601 UTC\n"
	    "and events by name; -H shows the stream's header instead of its records.\n"
	    "\n"
	    "Examples:\n"
	    "  aud-cat interactions.aud | head\n"
	    "  aud-cat -H interactions.aud\n"
	    "  aud-prepare orders.csv | aud-cat --format csv > clean.csv\n"
	    "\n"
	    "%s"
	    "\n"
	    "Options:\n"
	    "  -H, --header         show the header (one JSON object), not the records\n"
	    "      --fingerprint    show the content fingerprint of the stream's trailer\n"
	    "                       (interactions: what features and models were made from)\n"
	    "  -F, --format FORMAT  jsonl (default), csv or tsv\n"
	    "  -r, --raw            times as milliseconds since the epoch, enums as numbers\n"
	    "\n%s", synopsis, cli_common_options_help);
	exit(0);
}

static const struct cli_tool tool = { "aud-cat", help, usage };

static void
parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "fingerprint", no_argument, NULL, 'P' },
		{ "format", required_argument, NULL, 'F' },
		{ "header", no_argument, NULL, 'H' },
		{ "raw", no_argument, NULL, 'r' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(opt, 0, sizeof(*opt));
	while ((c = getopt_long(argc, argv, "F:Hr" CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'F':
			if (strcmp(optarg, "jsonl") == 0)
				opt->format = FORMAT_JSONL;
			else if (strcmp(optarg, "csv") == 0)
				opt->format = FORMAT_CSV;
			else if (strcmp(optarg, "tsv") == 0)
				opt->format = FORMAT_TSV;
			else
				cli_bad_value(usage, "--format", "jsonl, csv or tsv",
				    optarg);
			break;
		case 'H':
			opt->header_only = 1;
			break;
		case 'P':
			opt->fingerprint = 1;
			break;
		case 'r':
			opt->raw = 1;
			break;
		default:
			cli_common_option(c, optarg, &opt->common, &tool);
		}
	}
	opt->input = cli_one_input(argc, argv, optind, usage);
	if (opt->header_only && opt->fingerprint)
		cli_usage_error(usage, "-H and --fingerprint exclude each other");
}

/* Reads the stream to its verified end and writes its fingerprint. */
static void
write_fingerprint(FILE *out, struct stream_reader *r)
{
	const msgpack_object *rec;
	char errbuf[512];
	int ret;

	while ((ret = stream_read(r, &rec, errbuf, sizeof(errbuf))) == 1)
		;
	if (ret < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (stream_fingerprint(r) == NULL)
		errx(EXIT_DATA, "%s: the stream has no fingerprint", stream_name(r));
	fprintf(out, "%s\n", stream_fingerprint(r));
}

static void
plan_columns(const struct stream_reader *r, int raw, struct column *cols)
{
	const msgpack_object *dicts = stream_header_get(r, "dicts");

	for (size_t i = 0; i < stream_nfields(r); i++) {
		const char *type = stream_type(r, i);

		cols[i].is_time = !raw && strcmp(type, "time") == 0;
		cols[i].dict = NULL;
		if (!raw && strcmp(type, "enum") == 0 && dicts != NULL)
			cols[i].dict = mp_map_get(dicts, stream_field(r, i));
	}
}

/*
 * Renders one value. Returns -1 when a time or enum field holds something
 * else, so a malformed stream is reported instead of shown wrongly.
 */
static int
write_value(FILE *out, enum format format, const struct column *col,
    const msgpack_object *v)
{
	char buf[TIME_ISO_LEN], sep = format == FORMAT_TSV ? '\t' : ',';

	if (col->is_time && v->type != MSGPACK_OBJECT_NIL) {
		if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    v->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
			return -1;
		time_format_iso(v->via.i64, buf);
		if (format == FORMAT_JSONL)
			fprintf(out, "\"%s\"", buf);
		else
			fputs(buf, out);
		return 0;
	}
	if (col->dict != NULL && v->type != MSGPACK_OBJECT_NIL) {
		if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    col->dict->type != MSGPACK_OBJECT_ARRAY ||
		    v->via.u64 >= col->dict->via.array.size)
			return -1;
		v = &col->dict->via.array.ptr[v->via.u64];
	}
	if (format == FORMAT_JSONL)
		json_write_object(out, v);
	else if (v->type == MSGPACK_OBJECT_STR)
		csv_write_field(out, v->via.str.ptr, v->via.str.size, sep);
	else if (v->type != MSGPACK_OBJECT_NIL) {
		size_t n;
		char *text = json_object_text(v, &n);

		csv_write_field(out, text, n, sep);
		free(text);
	}
	return 0;
}

static int
write_record(FILE *out, const struct options *opt, const struct stream_reader *r,
    const struct column *cols, const msgpack_object *rec)
{
	size_t n = stream_nfields(r);

	if (opt->format == FORMAT_JSONL)
		putc('{', out);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			putc(opt->format == FORMAT_TSV ? '\t' : ',', out);
		if (opt->format == FORMAT_JSONL) {
			json_write_string(out, stream_field(r, i), strlen(stream_field(r, i)));
			putc(':', out);
		}
		if (write_value(out, opt->format, &cols[i], &rec->via.array.ptr[i]) < 0)
			return (int)i + 1;
	}
	fputs(opt->format == FORMAT_JSONL ? "}\n" : "\n", out);
	return 0;
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct output out;
	struct stream_reader *r;
	struct column *cols;
	const msgpack_object *rec;
	char errbuf[512];
	FILE *in;
	int ret = 0;

	parse_options(argc, argv, &opt);
	if ((in = cli_open_input(opt.input)) == NULL)
		err(EXIT_DATA, "%s", opt.input);
	if ((r = stream_reader_open(in, opt.input, errbuf, sizeof(errbuf))) == NULL)
		errx(EXIT_DATA, "%s", errbuf);
	if (output_open(&out, opt.common.output, 0, 1, errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	if (opt.header_only) {
		json_write_object(out.fp, stream_header(r));
		putc('\n', out.fp);
	} else if (opt.fingerprint)
		write_fingerprint(out.fp, r);
	else {
		cols = calloc(stream_nfields(r), sizeof(*cols));
		if (cols == NULL)
			err(EXIT_DATA, "out of memory");
		plan_columns(r, opt.raw, cols);
		if (opt.format != FORMAT_JSONL) {
			for (size_t i = 0; i < stream_nfields(r); i++)
				fprintf(out.fp, "%s%s", i == 0 ? "" :
				    opt.format == FORMAT_TSV ? "\t" : ",",
				    stream_field(r, i));
			putc('\n', out.fp);
		}
		/* Until the end, or a reader that went away (| head). */
		while (!ferror(out.fp) &&
		    (ret = stream_read(r, &rec, errbuf, sizeof(errbuf))) == 1) {
			int bad = write_record(out.fp, &opt, r, cols, rec);

			if (bad > 0)
				errx(EXIT_DATA, "%s: byte %llu: field \"%s\" is not a "
				    "valid %s", stream_name(r),
				    (unsigned long long)stream_offset(r),
				    stream_field(r, (size_t)bad - 1),
				    stream_type(r, (size_t)bad - 1));
		}
		free(cols);
		if (ret < 0)
			errx(EXIT_DATA, "%s", errbuf);
	}
	stream_reader_free(r);
	if (output_finish(&out, 0, errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	return 0;
}
