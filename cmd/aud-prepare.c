/*
 * aud-prepare: turns a CSV export of customer-product events into a clean,
 * time-sorted interactions stream (see aud-prepare(1) and aud-stream(5)).
 *
 * Rows are held in memory column by column (about 17 bytes a row plus the
 * id tables), because sorting by time and dropping duplicates and bots need
 * the whole input. Sorting is a radix sort; duplicates are found inside runs
 * of equal time, so no hash set over all rows is needed.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "csvin.h"
#include "intern.h"
#include "output.h"
#include "progress.h"
#include "radix.h"
#include "stream.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

#define MAX_EVENTS 255
#define BAD_TIME_SHOWN 3
#define NO_NAME UINT64_MAX

enum column { COL_CUSTOMER, COL_PRODUCT, COL_EVENT, COL_TIME, COL_NAME, NCOLS };

static const char *const col_option[NCOLS] = {
	"--customer-col", "--product-col", "--event-col", "--time-col", "--name-col"
};
/* The marketplace export: index,customer_id,product_id,event,event_date,product_name */
static const char *const col_default_name[NCOLS] = {
	"customer_id", "product_id", "event", "event_date", "product_name"
};
static const int col_default_position[NCOLS] = { 2, 3, 4, 5, 6 };

struct options {
	const char *col[NCOLS];		/* as given, or NULL for the default */
	int no_header;
	int strict;		/* a row that would be dropped is an error */
	const char *event_value;
	struct time_format time_format;
	const char *time_format_arg;
	int64_t bot_threshold;
	struct common_options common;
	const char *input;
};

struct counts {
	uint64_t rows_read, missing[3], bad_time, duplicates, bot_rows,
	    bot_customers, written;
};

/*
 * The kept rows of one batch from the CSV reader, checked but not interned
 * yet: their ids are interned a batch at a time (intern_add_many prefetches
 * for them), then the rows are stored. The ids borrow the reader's fields,
 * which live until the batch is done.
 */
struct kept {
	struct id *customer, *product;
	uint32_t *customer_ix, *product_ix;
	int64_t *time;
	uint8_t *event;
	const struct csv_field **name;
	uint64_t *line;
	size_t n, cap;
};

struct prep {
	const struct options *opt;
	const char *name;		/* input name for messages */
	int col[NCOLS];			/* 0-based column, -1 when absent */
	int mapped;

	/* Kept rows, column by column; row i is the i-th kept input row. */
	int64_t *time;
	uint32_t *customer, *product;
	uint8_t *event;
	size_t n, cap;

	struct intern *customers, *products;
	char *event_name[MAX_EVENTS];
	size_t nevents;
	uint8_t fixed_event;		/* with --event-value */

	uint64_t *name_at;		/* per product: offset in names, or NO_NAME */
	size_t name_at_cap;
	char *names;
	size_t names_len, names_cap;

	struct kept kept;		/* rows of the batch being read */
	struct counts count;
	volatile uint64_t bytes_read;
	struct progress progress;
	char err[512];
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
	    "\n%s", cli_common_options_help);
	exit(0);
}

static const struct cli_tool tool = { "aud-prepare", help, usage };

static void
parse_options(int argc, char **argv, struct options *opt)
{
	enum { O_CUSTOMER = 256, O_PRODUCT, O_EVENT, O_TIME, O_NAME, O_NO_HEADER,
	    O_EVENT_VALUE, O_TIME_FORMAT, O_BOT_THRESHOLD, O_STRICT };
	static const struct option longopts[] = {
		{ "bot-threshold", required_argument, NULL, O_BOT_THRESHOLD },
		{ "customer-col", required_argument, NULL, O_CUSTOMER },
		{ "event-col", required_argument, NULL, O_EVENT },
		{ "event-value", required_argument, NULL, O_EVENT_VALUE },
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
	opt->bot_threshold = 1000;
	opt->time_format.form = TIME_ISO;
	opt->time_format_arg = "iso";
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (c) {
		case O_CUSTOMER: case O_PRODUCT: case O_EVENT: case O_TIME: case O_NAME:
			if (*optarg == '\0')
				cli_usage_error(usage, "%s: empty column name",
				    col_option[c - O_CUSTOMER]);
			opt->col[c - O_CUSTOMER] = optarg;
			break;
		case O_NO_HEADER:
			opt->no_header = 1;
			break;
		case O_EVENT_VALUE:
			opt->event_value = optarg;
			break;
		case O_STRICT:
			opt->strict = 1;
			break;
		case O_TIME_FORMAT:
			if (time_format_parse(&opt->time_format, optarg) < 0)
				cli_bad_value(usage, "--time-format", "iso, epoch-s, "
				    "epoch-ms or a strptime layout", optarg);
			opt->time_format_arg = optarg;
			break;
		case O_BOT_THRESHOLD:
			if (cli_parse_int(optarg, 0, UINT32_MAX - 1,
			    &opt->bot_threshold) < 0)
				cli_bad_value(usage, "--bot-threshold",
				    "a whole number from 0", optarg);
			break;
		default:
			cli_common_option(c, optarg, &opt->common, &tool);
		}
	}
	opt->input = cli_one_input(argc, argv, optind, usage);
	if (opt->event_value != NULL && opt->col[COL_EVENT] != NULL)
		cli_usage_error(usage,
		    "--event-value and --event-col exclude each other");
	if (opt->no_header)
		for (int i = 0; i < NCOLS; i++) {
			int64_t v;

			if (opt->col[i] != NULL &&
			    cli_parse_int(opt->col[i], 1, 100000, &v) < 0)
				cli_usage_error(usage, "%s: with --no-header columns are "
				    "named by number, got \"%s\"", col_option[i],
				    opt->col[i]);
		}
}

/* Finds a header column by name, else by 1-based number; -1 when absent. */
static int
find_column(const struct csv_row *row, const char *want)
{
	int64_t pos;

	for (size_t i = 0; i < row->nfields; i++)
		if (strcmp(row->fields[i].ptr, want) == 0)
			return (int)i;
	if (cli_parse_int(want, 1, 100000, &pos) == 0)
		return (int)pos - 1;
	return -1;
}

/* Maps the columns, from the header row or from numbers. Returns 0 or -1. */
static int
map_columns(struct prep *p, const struct csv_row *header)
{
	const struct options *opt = p->opt;

	for (int i = 0; i < NCOLS; i++) {
		int64_t pos;

		p->col[i] = -1;
		if (i == COL_EVENT && opt->event_value != NULL)
			continue;
		if (opt->no_header) {
			if (opt->col[i] == NULL)
				p->col[i] = col_default_position[i] - 1;
			else if (cli_parse_int(opt->col[i], 1, 100000, &pos) == 0)
				p->col[i] = (int)pos - 1;
			continue;
		}
		p->col[i] = find_column(header,
		    opt->col[i] ? opt->col[i] : col_default_name[i]);
		if (p->col[i] < 0 && (i != COL_NAME || opt->col[i] != NULL)) {
			snprintf(p->err, sizeof(p->err), "%s:%llu: no column \"%s\" "
			    "in the header (see %s%s)", p->name,
			    (unsigned long long)header->line,
			    opt->col[i] ? opt->col[i] : col_default_name[i],
			    col_option[i], i == COL_EVENT ? " or --event-value" : "");
			return -1;
		}
	}
	/* A column number past the first row's width would drop every row
	   as missing a field; the optional name column by default is absent. */
	for (int i = 0; i < NCOLS; i++) {
		if (p->col[i] < 0 || (size_t)p->col[i] < header->nfields)
			continue;
		if (i == COL_NAME && opt->col[i] == NULL) {
			p->col[i] = -1;
			continue;
		}
		snprintf(p->err, sizeof(p->err), "%s: no column %d: the %s has %zu "
		    "column%s", p->name, p->col[i] + 1,
		    opt->no_header ? "first row" : "header", header->nfields,
		    header->nfields == 1 ? "" : "s");
		return -1;
	}
	p->mapped = 1;
	return 0;
}

static const struct csv_field empty_field = { "", 0 };

static const struct csv_field *
field(const struct prep *p, const struct csv_row *row, enum column c)
{
	int i = p->col[c];

	return i >= 0 && (size_t)i < row->nfields ? &row->fields[i] : &empty_field;
}

/* Trims blanks and lower-cases ASCII letters into buf; returns the length. */
static size_t
normalise_event(const char *s, size_t len, char *buf)
{
	size_t start = 0, n = 0;

	while (start < len && strchr(" \t\r\n\v\f", s[start]) != NULL)
		start++;
	while (len > start && strchr(" \t\r\n\v\f", s[len - 1]) != NULL)
		len--;
	for (size_t i = start; i < len; i++) {
		char ch = s[i];

		buf[n++] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	return n;
}

/* The index of an event name, added when new; -1 when there are too many. */
static int
event_index(struct prep *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->nevents; i++)
		if (strlen(p->event_name[i]) == len &&
		    memcmp(p->event_name[i], name, len) == 0)
			return (int)i;
	if (p->nevents == MAX_EVENTS)
		return -1;
	p->event_name[p->nevents] = xstrndup(name, len);
	return (int)p->nevents++;
}

static void
keep_name(struct prep *p, uint32_t product, const struct csv_field *name)
{
	if (product >= p->name_at_cap) {
		size_t old = p->name_at_cap;

		p->name_at = xgrow(p->name_at, &p->name_at_cap, (size_t)product + 1,
		    sizeof(*p->name_at));
		for (size_t i = old; i < p->name_at_cap; i++)
			p->name_at[i] = NO_NAME;
	}
	if (p->name_at[product] != NO_NAME || name->len == 0)
		return;
	p->names = xgrow(p->names, &p->names_cap, p->names_len + name->len + 1, 1);
	memcpy(p->names + p->names_len, name->ptr, name->len + 1);
	p->name_at[product] = p->names_len;
	p->names_len += name->len + 1;
}

static void
kept_reserve(struct kept *k, size_t n)
{
	size_t cap = k->cap;

	if (n <= k->cap)
		return;
	k->customer = xgrow(k->customer, &cap, n, sizeof(*k->customer));
	k->product = xrealloc(k->product, cap * sizeof(*k->product));
	k->customer_ix = xrealloc(k->customer_ix, cap * sizeof(*k->customer_ix));
	k->product_ix = xrealloc(k->product_ix, cap * sizeof(*k->product_ix));
	k->time = xrealloc(k->time, cap * sizeof(*k->time));
	k->event = xrealloc(k->event, cap);
	k->name = xrealloc(k->name, cap * sizeof(*k->name));
	k->line = xrealloc(k->line, cap * sizeof(*k->line));
	k->cap = cap;
}

/*
 * Checks and cleans one data row: 1 when it is kept (as the next row of k),
 * 0 when it is dropped and counted, -1 with p->err set.
 */
/* With --strict: the row's problem as the run's error; returns -1. */
static int
strict_error(struct prep *p, const struct csv_row *row, const char *what,
    const char *value)
{
	if (value != NULL)
		snprintf(p->err, sizeof(p->err), "%s:%llu: %s \"%.80s\"", p->name,
		    (unsigned long long)row->line, what, value);
	else
		snprintf(p->err, sizeof(p->err), "%s:%llu: %s", p->name,
		    (unsigned long long)row->line, what);
	return -1;
}

static int
check_row(struct prep *p, const struct csv_row *row, struct kept *k)
{
	const struct csv_field *c = field(p, row, COL_CUSTOMER);
	const struct csv_field *pr = field(p, row, COL_PRODUCT);
	const struct csv_field *ev, *tf = field(p, row, COL_TIME);
	char evbuf[256];
	size_t evlen;
	int64_t t;
	int e;

	p->count.rows_read++;
	if ((p->count.rows_read & 0xffff) == 0)
		progress_update(&p->progress, p->bytes_read);
	if (c->len == 0 || pr->len == 0) {
		if (p->opt->strict)
			return strict_error(p, row, c->len == 0 ? "no customer id" :
			    "no product id", NULL);
		p->count.missing[c->len == 0 ? 0 : 1]++;
		return 0;
	}
	if (p->opt->event_value != NULL)
		e = p->fixed_event;
	else {
		ev = field(p, row, COL_EVENT);
		evlen = normalise_event(ev->ptr, ev->len < sizeof(evbuf) ?
		    ev->len : sizeof(evbuf), evbuf);
		if (evlen == 0) {
			if (p->opt->strict)
				return strict_error(p, row, "no event", NULL);
			p->count.missing[2]++;
			return 0;
		}
		if ((e = event_index(p, evbuf, evlen)) < 0) {
			snprintf(p->err, sizeof(p->err), "%s:%llu: more than %d "
			    "distinct events (is the event column right?)",
			    p->name, (unsigned long long)row->line, MAX_EVENTS);
			return -1;
		}
	}
	if (time_parse(&p->opt->time_format, tf->ptr, tf->len, &t) < 0) {
		if (p->opt->strict)
			return strict_error(p, row, "bad timestamp", tf->ptr);
		if (p->count.bad_time < BAD_TIME_SHOWN && !p->opt->common.quiet) {
			progress_end(&p->progress);
			warnx("%s:%llu: bad timestamp \"%.80s\" (row dropped)",
			    p->name, (unsigned long long)row->line, tf->ptr);
		}
		p->count.bad_time++;
		return 0;
	}
	id_from_text(&k->customer[k->n], c->ptr, c->len);
	id_from_text(&k->product[k->n], pr->ptr, pr->len);
	k->time[k->n] = t;
	k->event[k->n] = (uint8_t)e;
	k->name[k->n] = p->col[COL_NAME] >= 0 ? field(p, row, COL_NAME) : NULL;
	k->line[k->n] = row->line;
	k->n++;
	return 1;
}

/* Interns the kept rows' ids and stores the rows. Returns 0 or -1. */
static int
store_kept(struct prep *p, struct kept *k)
{
	size_t done;

	if ((done = intern_add_many(p->customers, k->customer, k->n,
	    k->customer_ix, NULL)) < k->n ||
	    (done = intern_add_many(p->products, k->product, k->n,
	    k->product_ix, NULL)) < k->n) {
		snprintf(p->err, sizeof(p->err), "%s:%llu: more than 4 billion "
		    "distinct ids", p->name, (unsigned long long)k->line[done]);
		return -1;
	}
	if (p->n + k->n >= UINT32_MAX) {
		snprintf(p->err, sizeof(p->err), "%s:%llu: more than %u rows",
		    p->name, (unsigned long long)k->line[0], UINT32_MAX - 1);
		return -1;
	}
	if (p->n + k->n > p->cap) {
		size_t cap = p->cap;

		p->time = xgrow(p->time, &cap, p->n + k->n, sizeof(*p->time));
		p->customer = xrealloc(p->customer, cap * sizeof(*p->customer));
		p->product = xrealloc(p->product, cap * sizeof(*p->product));
		p->event = xrealloc(p->event, cap);
		p->cap = cap;
	}
	for (size_t i = 0; i < k->n; i++, p->n++) {
		p->time[p->n] = k->time[i];
		p->customer[p->n] = k->customer_ix[i];
		p->product[p->n] = k->product_ix[i];
		p->event[p->n] = k->event[i];
		if (k->name[i] == NULL)
			continue;
		if (i + 8 < k->n && k->product_ix[i + 8] < p->name_at_cap)
			__builtin_prefetch(&p->name_at[k->product_ix[i + 8]]);
		keep_name(p, k->product_ix[i], k->name[i]);
	}
	return 0;
}

#define KEPT_ROWS 256

/* The CSV reader's callback: maps the header, then keeps each data row. */
static int
on_rows(const struct csv_row *rows, size_t n, void *ctx)
{
	struct prep *p = ctx;
	size_t i = 0;

	if (!p->mapped) {
		if (map_columns(p, &rows[0]) < 0)
			return -1;
		if (!p->opt->no_header)
			i = 1;
	}
	/* A few hundred rows at a time, so that the kept rows stay in cache. */
	kept_reserve(&p->kept, KEPT_ROWS);
	p->kept.n = 0;
	for (; i < n; i++) {
		if (check_row(p, &rows[i], &p->kept) < 0)
			return -1;
		if (p->kept.n == KEPT_ROWS) {
			if (store_kept(p, &p->kept) < 0)
				return -1;
			p->kept.n = 0;
		}
	}
	return store_kept(p, &p->kept);
}

static int
bits_for(uint64_t v)
{
	int b = 0;

	while (b < 64 && (v >> b) != 0)
		b++;
	return b;
}

/*
 * Sorts the rows by time, ties in input order. Afterwards p->time holds the
 * times in sorted order and the returned order[k] is the input row of the
 * k-th. When the time span and row number fit in 64 bits together (always,
 * for any real export), each key carries its row number in its low bits and
 * no separate payload array is needed.
 */
static uint32_t *
sort_by_time(struct prep *p)
{
	size_t n = p->n;
	int64_t min = INT64_MAX, max = INT64_MIN;
	uint32_t *order = xmalloc(n * sizeof(*order));
	uint64_t *keys;
	int shift;

	for (size_t i = 0; i < n; i++) {
		if (p->time[i] < min)
			min = p->time[i];
		if (p->time[i] > max)
			max = p->time[i];
	}
	if (n == 0)
		return order;
	shift = bits_for(n - 1);
	keys = (uint64_t *)p->time;	/* reused in place: same size */
	if (bits_for((uint64_t)(max - min)) + shift <= 64) {
		for (size_t i = 0; i < n; i++)
			keys[i] = ((uint64_t)(p->time[i] - min) << shift) | i;
		radix_sort_u64(keys, NULL, n);
		for (size_t k = 0; k < n; k++) {
			order[k] = (uint32_t)(shift ? keys[k] & ((UINT64_C(1) << shift) - 1) : 0);
			p->time[k] = min + (int64_t)(shift ? keys[k] >> shift : keys[k]);
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			keys[i] = (uint64_t)(p->time[i] - min);
			order[i] = (uint32_t)i;
		}
		radix_sort_u64(keys, order, n);
		for (size_t k = 0; k < n; k++)
			p->time[k] = min + (int64_t)keys[k];
	}
	return order;
}

static const struct prep *dup_prep;	/* for qsort's comparison */

static int
same_row(const struct prep *p, uint32_t a, uint32_t b)
{
	return p->customer[a] == p->customer[b] && p->product[a] == p->product[b] &&
	    p->event[a] == p->event[b];
}

static int
cmp_row(const void *a_, const void *b_)
{
	uint32_t a = *(const uint32_t *)a_, b = *(const uint32_t *)b_;
	const struct prep *p = dup_prep;

	if (p->customer[a] != p->customer[b])
		return p->customer[a] < p->customer[b] ? -1 : 1;
	if (p->product[a] != p->product[b])
		return p->product[a] < p->product[b] ? -1 : 1;
	if (p->event[a] != p->event[b])
		return p->event[a] < p->event[b] ? -1 : 1;
	return (a > b) - (a < b);
}

static int
cmp_u32(const void *a_, const void *b_)
{
	uint32_t a = *(const uint32_t *)a_, b = *(const uint32_t *)b_;

	return (a > b) - (a < b);
}

/*
 * Marks exact duplicates of (customer, product, event, time), keeping the
 * first in input order. Duplicates share a time, so they sit together in a
 * run of equal times, where input order is ascending (the sort is stable).
 * Short runs are compared pairwise; long ones are sorted by row content.
 */
static void
mark_duplicates(struct prep *p, const uint32_t *order, uint8_t *drop)
{
	uint32_t *run = NULL;
	size_t run_cap = 0;

	for (size_t a = 0, b; a < p->n; a = b) {
		for (b = a + 1; b < p->n && p->time[b] == p->time[a]; b++)
			;
		if (b - a <= 16) {
			for (size_t j = a + 1; j < b; j++)
				for (size_t i = a; i < j && !drop[j]; i++)
					if (same_row(p, order[i], order[j]))
						drop[j] = 1;
			continue;
		}
		run = xgrow(run, &run_cap, b - a, sizeof(*run));
		memcpy(run, order + a, (b - a) * sizeof(*run));
		dup_prep = p;
		qsort(run, b - a, sizeof(*run), cmp_row);
		for (size_t i = 1; i < b - a; i++) {
			uint32_t *at;

			if (!same_row(p, run[i], run[i - 1]))
				continue;
			at = bsearch(&run[i], order + a, b - a, sizeof(*order), cmp_u32);
			drop[at - order] = 1;
		}
	}
	free(run);
}

/*
 * Marks every row of customers with more than the threshold of kept rows in
 * one UTC day. Rows are in time order, so a customer's count for a day can
 * be reset whenever a row of a later day arrives. A count of UINT32_MAX
 * marks a bot.
 */
struct day_count {
	int32_t day;		/* years 1 to 9999 fit easily */
	uint32_t count;
};

#define BOT UINT32_MAX

static void
mark_bots(struct prep *p, const uint32_t *order, uint8_t *drop)
{
	size_t nc = intern_count(p->customers);
	struct day_count *dc = xmalloc(nc * sizeof(*dc));
	uint64_t threshold = (uint64_t)p->opt->bot_threshold;

	advise_huge(dc, nc * sizeof(*dc));
	for (size_t c = 0; c < nc; c++)
		dc[c].day = INT32_MIN, dc[c].count = 0;
	for (size_t k = 0; k < p->n; k++) {
		struct day_count *d = &dc[p->customer[order[k]]];
		int32_t day = (int32_t)time_day(p->time[k]);

		if (drop[k] || d->count == BOT)
			continue;
		if (d->day != day) {
			d->day = day;
			d->count = 0;
		}
		if (++d->count > threshold) {
			d->count = BOT;
			p->count.bot_customers++;
		}
	}
	for (size_t k = 0; k < p->n; k++)
		if (!drop[k] && dc[p->customer[order[k]]].count == BOT) {
			drop[k] = 2;
			p->count.bot_rows++;
		}
	free(dc);
}

static int
cmp_event(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* Event indices in the output are positions in the sorted dictionary. */
static void
sort_events(const struct prep *p, uint8_t *remap, const char **sorted)
{
	char *const *ptrs[MAX_EVENTS];

	for (size_t i = 0; i < p->nevents; i++)
		ptrs[i] = &p->event_name[i];
	qsort(ptrs, p->nevents, sizeof(*ptrs), cmp_event);
	for (size_t i = 0; i < p->nevents; i++) {
		sorted[i] = *ptrs[i];
		remap[ptrs[i] - p->event_name] = (uint8_t)i;
	}
}

static void
pack_uint_entry(msgpack_packer *pk, const char *key, uint64_t v)
{
	stream_pack_cstr(pk, key);
	msgpack_pack_uint64(pk, v);
}

static void
pack_str_entry(msgpack_packer *pk, const char *key, const char *v)
{
	stream_pack_cstr(pk, key);
	stream_pack_cstr(pk, v);
}

static void
write_header(const struct prep *p, struct stream_writer *w, const char **events,
    int64_t first, int64_t last, uint64_t ncustomers, uint64_t nproducts)
{
	static const char *const fields[] = {
		"customer_id", "product_id", "event", "time", "product_name"
	};
	static const char *const types[] = { "id", "id", "enum", "time", "str?" };
	msgpack_packer *pk = stream_packer(w);
	const struct counts *c = &p->count;
	char buf[TIME_ISO_LEN];

	stream_write_header(w, "interactions", 5, fields, types, 2);
	stream_pack_cstr(pk, "dicts");
	msgpack_pack_map(pk, 1);
	stream_pack_cstr(pk, "event");
	msgpack_pack_array(pk, p->nevents);
	for (size_t i = 0; i < p->nevents; i++)
		stream_pack_cstr(pk, events[i]);

	stream_pack_cstr(pk, "provenance");
	msgpack_pack_map(pk, 14);
	stream_pack_provenance(pk, "aud-prepare", p->name);
	pack_str_entry(pk, "time_format", p->opt->time_format_arg);
	pack_uint_entry(pk, "bot_threshold", (uint64_t)p->opt->bot_threshold);
	pack_uint_entry(pk, "rows_read", c->rows_read);
	stream_pack_cstr(pk, "dropped");
	msgpack_pack_map(pk, 6);
	pack_uint_entry(pk, "missing_customer", c->missing[0]);
	pack_uint_entry(pk, "missing_product", c->missing[1]);
	pack_uint_entry(pk, "missing_event", c->missing[2]);
	pack_uint_entry(pk, "bad_time", c->bad_time);
	pack_uint_entry(pk, "duplicates", c->duplicates);
	pack_uint_entry(pk, "bot_rows", c->bot_rows);
	pack_uint_entry(pk, "bot_customers", c->bot_customers);
	pack_uint_entry(pk, "rows_written", c->written);
	pack_uint_entry(pk, "customers_written", ncustomers);
	pack_uint_entry(pk, "products_written", nproducts);
	stream_pack_cstr(pk, "first_time");
	if (c->written > 0)
		stream_pack_cstr(pk, time_format_iso(first, buf));
	else
		msgpack_pack_nil(pk);
	stream_pack_cstr(pk, "last_time");
	if (c->written > 0)
		stream_pack_cstr(pk, time_format_iso(last, buf));
	else
		msgpack_pack_nil(pk);
}

/*
 * Counts what survives the cleaning without a pass over all rows where it
 * can: every interned customer and product kept at least one row until the
 * bot step (duplicates always leave the first), and bots take whole
 * customers. Only products can vanish with them, so they are recounted
 * when bots were dropped. seen (one byte per product) is left zeroed.
 */
static void
count_kept(struct prep *p, const uint32_t *order, const uint8_t *drop,
    uint8_t *seen, int64_t *first, int64_t *last, uint64_t *ncustomers,
    uint64_t *nproducts)
{
	size_t a = 0, b = p->n;

	p->count.written = p->n - p->count.duplicates - p->count.bot_rows;
	while (a < p->n && drop[a])
		a++;
	while (b > a && drop[b - 1])
		b--;
	*first = a < b ? p->time[a] : 0;
	*last = a < b ? p->time[b - 1] : 0;
	*ncustomers = intern_count(p->customers) - p->count.bot_customers;
	*nproducts = intern_count(p->products);
	if (p->count.bot_rows == 0)
		return;
	*nproducts = 0;
	for (size_t k = a; k < b; k++)
		if (!drop[k] && !seen[p->product[order[k]]]) {
			seen[p->product[order[k]]] = 1;
			++*nproducts;
		}
	memset(seen, 0, intern_count(p->products));
}

/* Rows ahead whose ids and names are fetched into cache while writing. */
#define AHEAD 8

/* Writes header, records and trailer. */
static int
write_stream(struct prep *p, const uint32_t *order, const uint8_t *drop,
    FILE *out, uint64_t *ncustomers, uint64_t *nproducts)
{
	struct stream_writer *w = stream_writer_new(out);
	size_t np = intern_count(p->products);
	uint8_t *seen = xcalloc(np, 1);
	uint8_t remap[MAX_EVENTS];
	const char *events[MAX_EVENTS];
	int64_t first = 0, last = 0;

	count_kept(p, order, drop, seen, &first, &last, ncustomers, nproducts);
	sort_events(p, remap, events);
	write_header(p, w, events, first, last, *ncustomers, *nproducts);
	for (size_t k = 0; k < p->n; k++) {
		uint32_t r = order[k], pr = p->product[r];
		struct id customer, product;
		struct packbuf b;
		const char *name;
		size_t name_len;

		if (k + AHEAD < p->n) {
			uint32_t ahead = order[k + AHEAD];

			intern_prefetch_entry(p->customers, p->customer[ahead]);
			intern_prefetch_entry(p->products, p->product[ahead]);
			__builtin_prefetch(&seen[p->product[ahead]]);
		}
		if (drop[k])
			continue;
		intern_get(p->customers, p->customer[r], &customer);
		intern_get(p->products, pr, &product);
		/* A product's name travels once, with its first record. */
		name = !seen[pr] && pr < p->name_at_cap && p->name_at[pr] != NO_NAME ?
		    p->names + p->name_at[pr] : NULL;
		name_len = name != NULL ? strlen(name) : 0;
		b = stream_record_space(w, packbuf_id_bound(&customer) +
		    packbuf_id_bound(&product) + 2 * PACKBUF_NUMBER + 5 + name_len);
		packbuf_id(&b, &customer);
		packbuf_id(&b, &product);
		packbuf_pack_uint8(&b, remap[p->event[r]]);
		packbuf_pack_int64(&b, p->time[k]);
		if (name != NULL)
			packbuf_str(&b, name, name_len);
		else
			packbuf_pack_nil(&b);
		stream_record_done(w, &b);
		seen[pr] = 1;
	}
	free(seen);
	return stream_writer_finish(w);
}

static void
report(const struct prep *p, uint64_t ncustomers, uint64_t nproducts)
{
	const struct counts *c = &p->count;

	fprintf(stderr, "aud-prepare: %s: rows read: %llu\n", p->name,
	    (unsigned long long)c->rows_read);
	fprintf(stderr, "aud-prepare: dropped, missing a field: %llu "
	    "(customer %llu, product %llu, event %llu)\n",
	    (unsigned long long)(c->missing[0] + c->missing[1] + c->missing[2]),
	    (unsigned long long)c->missing[0], (unsigned long long)c->missing[1],
	    (unsigned long long)c->missing[2]);
	fprintf(stderr, "aud-prepare: dropped, bad time: %llu\n",
	    (unsigned long long)c->bad_time);
	fprintf(stderr, "aud-prepare: dropped, exact duplicates: %llu\n",
	    (unsigned long long)c->duplicates);
	if (p->opt->bot_threshold > 0)
		fprintf(stderr, "aud-prepare: dropped, bot-like customers: %llu "
		    "(%llu rows; over %lld interactions in a UTC day)\n",
		    (unsigned long long)c->bot_customers,
		    (unsigned long long)c->bot_rows,
		    (long long)p->opt->bot_threshold);
	fprintf(stderr, "aud-prepare: written: %llu interactions, %llu customers, "
	    "%llu products\n", (unsigned long long)c->written,
	    (unsigned long long)ncustomers, (unsigned long long)nproducts);
}

static void
prep_free(struct prep *p)
{
	free(p->kept.customer);
	free(p->kept.product);
	free(p->kept.customer_ix);
	free(p->kept.product_ix);
	free(p->kept.time);
	free(p->kept.event);
	free(p->kept.name);
	free(p->kept.line);
	free(p->time);
	free(p->customer);
	free(p->product);
	free(p->event);
	for (size_t i = 0; i < p->nevents; i++)
		free(p->event_name[i]);
	free(p->name_at);
	free(p->names);
	intern_free(p->customers);
	intern_free(p->products);
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
	struct prep p;
	struct output out;
	uint64_t size, ncustomers, nproducts;
	uint32_t *order;
	uint8_t *drop;
	FILE *in;
	int ret, written;

	parse_options(argc, argv, &opt);
	memset(&p, 0, sizeof(p));
	p.opt = &opt;
	p.name = strcmp(opt.input, "-") == 0 ? "stdin" : opt.input;
	p.customers = intern_new();
	p.products = intern_new();
	if (opt.event_value != NULL) {
		char buf[256];
		size_t len = normalise_event(opt.event_value,
		    strnlen(opt.event_value, sizeof(buf)), buf);

		if (len == 0)
			errx(EXIT_USAGE, "--event-value: empty event name");
		p.fixed_event = (uint8_t)event_index(&p, buf, len);
	}
	if (output_open(&out, opt.common.output, 1, opt.common.force, p.err,
	    sizeof(p.err)) < 0)
		errx(opt.common.output ? EXIT_DATA : EXIT_USAGE, "%s", p.err);
	in = open_input(opt.input, &size);
	progress_start(&p.progress, opt.common.quiet ? -1 : STDERR_FILENO,
	    "aud-prepare", "reading", size, 64u << 20);
	ret = csv_read(in, p.name, on_rows, &p, &p.bytes_read, p.err, sizeof(p.err));
	progress_end(&p.progress);
	if (ret != 0)
		errx(EXIT_DATA, "%s", p.err);
	if (!p.mapped)
		errx(EXIT_DATA, "%s: empty input, no header", p.name);
	if (in != stdin)
		fclose(in);
	intern_freeze(p.customers);
	intern_freeze(p.products);

	order = sort_by_time(&p);
	drop = xcalloc(p.n ? p.n : 1, 1);
	mark_duplicates(&p, order, drop);
	for (size_t k = 0; k < p.n; k++)
		p.count.duplicates += drop[k];
	if (opt.bot_threshold > 0)
		mark_bots(&p, order, drop);
	written = write_stream(&p, order, drop, out.fp, &ncustomers, &nproducts);
	switch (output_finish(&out, written, p.err, sizeof(p.err))) {
	case -1:
		errx(EXIT_DATA, "%s", p.err);
	case 1:
		return 0;	/* the reader went away: nothing to report */
	}
	if (!opt.common.quiet)
		report(&p, ncustomers, nproducts);
	free(order);
	free(drop);
	prep_free(&p);
	return 0;
}
