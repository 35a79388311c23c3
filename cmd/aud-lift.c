/*
 * aud-lift: what a campaign did, from its export (with the group column of
 * a holdout) and the interactions that followed it (see aud-lift(1)).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csvin.h"
#include "liftreport.h"
#include "members.h"
#include "output.h"
#include "stream.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

struct options {
	double days;
	const char *event, *since;
	int text;
	struct common_options common;
	const char *campaign, *outcomes;
};

/* The usage lines: after a usage error, and in --help. */
static const char synopsis[] =
    "Usage: aud-lift [--days D] [--event EVENT] [--since TIME] [--text] [-o FILE]\n"
    "                CAMPAIGN.csv OUTCOMES.aud\n";

static void
usage(void)
{
	fprintf(stderr, "%sTry 'aud-lift --help' for more information.\n",
	    synopsis);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("aud-lift measures what a campaign did: from its export (made by aud-query\n"
	    "with a holdout: its group column says who was targeted and who held out) and\n"
	    "the interactions that followed (aud-prepare's output), the conversion of\n"
	    "each group per product and over all, the difference and the relative lift\n"
	    "with 95%% intervals, and a p-value. A member converts when they interact\n"
	    "with the product within D days of the campaign's start.\n"
	    "\n"
	    "Examples:\n"
	    "  aud-lift campaign.csv after.aud\n"
	    "  aud-lift --days 14 --event purchased --text campaign.csv after.aud\n"
	    "\n"
	    "%s"
	    "\n"
	    "Options:\n"
	    "  --days D             the window after the start, in days (default 30)\n"
	    "  --event EVENT        only this event converts (default: any)\n"
	    "  --since TIME         the start (ISO 8601; default: the time in\n"
	    "                       CAMPAIGN.csv.json, the export's sidecar)\n"
	    "  --text               a table for people instead of JSON\n"
	    "\n%s", synopsis, cli_common_options_help);
	exit(0);
}

static const struct cli_tool tool = { "aud-lift", help, usage };

static void
parse_options(int argc, char **argv, struct options *opt)
{
	enum { O_DAYS = 256, O_EVENT, O_SINCE, O_TEXT };
	static const struct option longopts[] = {
		{ "days", required_argument, NULL, O_DAYS },
		{ "event", required_argument, NULL, O_EVENT },
		{ "since", required_argument, NULL, O_SINCE },
		{ "text", no_argument, NULL, O_TEXT },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->days = 30;
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (c) {
		case O_DAYS:
			if (cli_parse_double(optarg, 0, 36500, &opt->days) < 0 ||
			    opt->days <= 0)
				cli_bad_value(usage, "--days", "a number of days "
				    "above 0", optarg);
			break;
		case O_EVENT:
			opt->event = optarg;
			break;
		case O_SINCE:
			opt->since = optarg;
			break;
		case O_TEXT:
			opt->text = 1;
			break;
		default:
			cli_common_option(c, optarg, &opt->common, &tool);
		}
	}
	if (argc - optind != 2)
		cli_usage_error(usage, "a campaign export and an interactions "
		    "stream are needed, got %d argument%s", argc - optind,
		    argc - optind == 1 ? "" : "s");
	opt->campaign = argv[optind];
	opt->outcomes = argv[optind + 1];
}

/* Reading the export: its header names the columns. */
struct reading {
	struct members *m;
	const char *name;
	int col[3];			/* product_id, customer_id, group */
	int mapped;
	char err[512];
};

static int
take_rows(const struct csv_row *rows, size_t n, void *ctx)
{
	static const char *const names[3] = { "product_id", "customer_id",
	    "group" };
	struct reading *rd = ctx;

	for (size_t i = 0; i < n; i++) {
		const struct csv_row *row = &rows[i];
		const struct csv_field *f[3];
		struct id product, customer;
		int control;

		if (!rd->mapped) {
			for (int k = 0; k < 3; k++) {
				rd->col[k] = -1;
				for (size_t j = 0; j < row->nfields; j++)
					if (strcmp(row->fields[j].ptr, names[k]) == 0)
						rd->col[k] = (int)j;
				if (rd->col[k] < 0) {
					snprintf(rd->err, sizeof(rd->err), "%s:%llu: no "
					    "column \"%s\"%s", rd->name,
					    (unsigned long long)row->line, names[k],
					    k == 2 ? ": export the campaign with "
					    "aud-query --holdout" : "");
					return -1;
				}
			}
			rd->mapped = 1;
			continue;
		}
		for (int k = 0; k < 3; k++)
			f[k] = (size_t)rd->col[k] < row->nfields ?
			    &row->fields[rd->col[k]] : NULL;
		if (f[0] == NULL || f[1] == NULL || f[2] == NULL ||
		    f[0]->len == 0 || f[1]->len == 0) {
			snprintf(rd->err, sizeof(rd->err), "%s:%llu: %s", rd->name,
			    (unsigned long long)row->line, f[0] && f[0]->len == 0 ?
			    "no product id (a new product's audience is not "
			    "measured by product)" : "a missing field");
			return -1;
		}
		if (strcmp(f[2]->ptr, "target") != 0 &&
		    strcmp(f[2]->ptr, "control") != 0) {
			snprintf(rd->err, sizeof(rd->err), "%s:%llu: group must be "
			    "target or control, got \"%.64s\"", rd->name,
			    (unsigned long long)row->line, f[2]->ptr);
			return -1;
		}
		control = f[2]->ptr[0] == 'c';
		id_from_text(&product, f[0]->ptr, f[0]->len);
		id_from_text(&customer, f[1]->ptr, f[1]->len);
		if (members_add(rd->m, &product, &customer, control) < 0) {
			snprintf(rd->err, sizeof(rd->err), "%s:%llu: more than 4 "
			    "billion members", rd->name,
			    (unsigned long long)row->line);
			return -1;
		}
	}
	return 0;
}

static void
read_campaign(const char *path, struct members *m)
{
	FILE *in = cli_open_input(path);
	struct reading rd = { .m = m, .name = path };
	struct csv_input src = { .in = in, .name = path, .delim = ',' };
	char msg[512];
	int ret;

	if (in == NULL)
		err(EXIT_DATA, "%s", path);
	if ((ret = csv_read(&src, take_rows, &rd, msg, sizeof(msg))) != 0)
		errx(EXIT_DATA, "%s", rd.err[0] ? rd.err : msg);
	if (!rd.mapped)
		errx(EXIT_DATA, "%s: empty: no header, no members", path);
	if (in != stdin)
		fclose(in);
	members_finish(m);
}

/*
 * The export's time from its sidecar (aud-query writes "time" third, before
 * any path that could hold the same text). Returns 1 with *ms set, 0 when
 * there is no sidecar.
 */
static int
sidecar_time(const char *campaign, int64_t *ms)
{
	char *path = NULL, buf[4096], *at, *end;
	struct time_format iso = { TIME_ISO, NULL };
	FILE *f;
	size_t n;

	if (asprintf(&path, "%s.json", campaign) < 0)
		xalloc_failed();
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			err(EXIT_DATA, "%s", path);
		free(path);
		return 0;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	if ((at = strstr(buf, "\"time\":\"")) == NULL ||
	    (end = strchr(at + 8, '"')) == NULL ||
	    time_parse(&iso, at + 8, (size_t)(end - at - 8), ms) < 0)
		errx(EXIT_DATA, "%s: no export time in the sidecar (give --since)",
		    path);
	free(path);
	return 1;
}

/* Marks the members who interacted with their product in [since, until). */
static void
read_outcomes(const struct options *opt, struct members *m, int64_t since,
    int64_t until)
{
	FILE *in = cli_open_input(opt->outcomes);
	struct stream_reader *r;
	const msgpack_object *rec, *dicts, *events;
	int cp, cc, ce, ct, ret;
	int64_t want = -1;		/* the event's index, or any */
	char msg[512];

	if (in == NULL)
		err(EXIT_DATA, "%s", opt->outcomes);
	if ((r = stream_reader_open(in, opt->outcomes, msg, sizeof(msg))) == NULL ||
	    stream_expect_kind(r, "interactions", msg, sizeof(msg)) < 0)
		errx(EXIT_DATA, "%s", msg);
	cp = stream_field_index(r, "product_id");
	cc = stream_field_index(r, "customer_id");
	ce = stream_field_index(r, "event");
	ct = stream_field_index(r, "time");
	dicts = stream_header_get(r, "dicts");
	events = dicts ? mp_map_get(dicts, "event") : NULL;
	if (cp < 0 || cc < 0 || ce < 0 || ct < 0 || events == NULL ||
	    events->type != MSGPACK_OBJECT_ARRAY)
		errx(EXIT_DATA, "%s: not an interactions stream aud-prepare wrote",
		    opt->outcomes);
	if (opt->event != NULL) {
		for (uint32_t i = 0; i < events->via.array.size; i++)
			if (mp_str_equals(&events->via.array.ptr[i], opt->event))
				want = i;
		if (want < 0)
			errx(EXIT_DATA, "%s: no event \"%s\" in the data", opt->outcomes,
			    opt->event);
	}
	while ((ret = stream_read(r, &rec, msg, sizeof(msg))) == 1) {
		const msgpack_object *v = rec->via.array.ptr;
		struct id product, customer;
		int64_t t = v[ct].via.i64;

		if ((v[ct].type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    v[ct].type != MSGPACK_OBJECT_NEGATIVE_INTEGER) ||
		    stream_get_id(&v[cp], &product) < 0 ||
		    stream_get_id(&v[cc], &customer) < 0)
			errx(EXIT_DATA, "%s: byte %llu: a malformed record",
			    opt->outcomes, (unsigned long long)stream_offset(r));
		if (t < since || t >= until || (want >= 0 &&
		    (v[ce].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    (int64_t)v[ce].via.u64 != want)))
			continue;
		members_mark(m, &product, &customer);
	}
	if (ret < 0)
		errx(EXIT_DATA, "%s", msg);
	stream_reader_free(r);
	if (in != stdin)
		fclose(in);
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct members m;
	struct lift_report rep = { 0 };
	struct lift_group (*g)[2];
	struct output out;
	char err[512];
	int64_t since;

	parse_options(argc, argv, &opt);
	if (strcmp(opt.campaign, "-") == 0 && strcmp(opt.outcomes, "-") == 0)
		cli_usage_error(usage, "the export and the interactions cannot "
		    "both be standard input");
	if (opt.since != NULL) {
		struct time_format iso = { TIME_ISO, NULL };

		if (time_parse(&iso, opt.since, strlen(opt.since), &since) < 0)
			cli_bad_value(usage, "--since", "an ISO 8601 time",
			    opt.since);
	} else if (strcmp(opt.campaign, "-") == 0 ||
	    !sidecar_time(opt.campaign, &since))
		cli_usage_error(usage, "--since is needed: no %s.json beside the "
		    "export says when it was made", opt.campaign);
	if (output_open(&out, opt.common.output, 0, 0, err, sizeof(err)) < 0)
		errx(opt.common.output ? EXIT_DATA : EXIT_USAGE, "%s", err);
	members_init(&m);
	read_campaign(opt.campaign, &m);
	rep.since = since;
	rep.until = since + (int64_t)(opt.days * (double)MS_PER_DAY);
	rep.days = opt.days;
	rep.event = opt.event;
	read_outcomes(&opt, &m, rep.since, rep.until);
	g = xcalloc(intern_count(m.products) + 1, sizeof(*g));
	rep.products = m.products;
	rep.g = (const struct lift_group (*)[2])g;
	rep.pairs = m.n;
	rep.distinct_customers = members_count(&m, g, rep.overall);
	rep.duplicates = m.duplicates;
	rep.conflicts = m.conflicts;
	if (opt.text)
		lift_write_text(out.fp, &rep);
	else
		lift_write_json(out.fp, &rep);
	if (output_finish(&out, 0, err, sizeof(err)) < 0)
		errx(EXIT_DATA, "%s", err);
	free(g);
	members_free(&m);
	return 0;
}
