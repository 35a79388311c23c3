/*
 * aud-prepare's cleaning: see prepare.h. The checks of a row and the
 * interning of its ids run a batch of rows at a time, so that the kept rows
 * stay in cache; the clean-up steps each make one pass over the sorted rows.
 */
#include <fnmatch.h>
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csvin.h"
#include "intern.h"
#include "prepare.h"
#include "progress.h"
#include "radix.h"
#include "shard.h"
#include "stream.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

#define MAX_EVENTS 255
#define NO_LABEL UINT64_MAX
#define PREP_NLABELS 2		/* the name and category columns */

/* A label of products (names, categories): per product an offset in bytes,
   or NO_LABEL. */
struct labels {
	uint64_t *at;
	size_t at_cap;
	char *bytes;
	size_t len, bytes_cap;
};

const char *const prep_column_option[PREP_NCOLS] = {
	"--customer-col", "--product-col", "--event-col", "--time-col", "--name-col",
	"--category-col"
};
/* The marketplace export: index,customer_id,product_id,event,event_date,product_name */
static const char *const col_default_name[PREP_NCOLS] = {
	"customer_id", "product_id", "event", "event_date", "product_name", NULL
};
static const int col_default_position[PREP_NCOLS] = { 2, 3, 4, 5, 6, 0 };

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
	const struct csv_field **label[PREP_NLABELS];
	uint64_t *line;
	size_t n, cap;
};

struct prep {
	struct prep_params par;
	const char *name;		/* input name for messages */
	int col[PREP_NCOLS];			/* 0-based column, -1 when absent */
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

	struct labels label[PREP_NLABELS];	/* names, categories */

	int *filter_col;		/* per filter: its 0-based column */
	char **map_from, **map_to;	/* the event map, normalised */
	int usage_error;		/* err is the command line's fault */
	FILE *preview;			/* --dry-run: the report, and */
	size_t preview_left;		/* the rows still to show */

	struct kept kept;		/* rows of the batch being read */
	uint32_t *order;		/* after prep_clean: input row of the
					   k-th in time order */
	uint8_t *drop;			/* and whether it is dropped */
	uint8_t *bot;			/* per customer: 1 for a bot */
	uint8_t *product_kept;		/* per product: 1 when a row is kept;
					   NULL: every product's is */
	uint8_t *known_bot;		/* per customer, --merge: a piece's bot */
	size_t known_bot_cap;
	int label_only;			/* --merge: a product with no row */
	size_t pieces;			/* --merge: the pieces merged, or 0 */
	uint64_t piece_dropped;		/* and the rows they had dropped */
	uint32_t piece_shard[2];	/* and their shard, when count > 0 */
	struct prep_counts count;
	struct prep_example example[PREP_NCAUSES][PREP_SHOWN];
	volatile uint64_t bytes_read;
	struct progress progress;
	char err[512];
};

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

/*
 * The header as read, for a message: its fields joined by the delimiter,
 * cut at len; and when it was read as one field holding another likely
 * delimiter, a hint to use that one.
 */
static void
header_seen(const struct prep *p, const struct csv_row *header, char *seen,
    size_t len, char *hint, size_t hintlen)
{
	static const char others[] = ";\t|,";
	char sep[2] = { p->par.whitespace ? ' ' : p->par.delim ? p->par.delim : ',',
	    '\0' };
	size_t at = 0;

	seen[0] = hint[0] = '\0';
	for (size_t i = 0; i < header->nfields && at + 4 < len; i++) {
		int n = snprintf(seen + at, len - at, "%s%s", i ? sep : "",
		    header->fields[i].ptr);

		at += n > 0 ? (size_t)n : 0;
	}
	if (at + 4 >= len)
		snprintf(seen + len - 4, 4, "...");
	if (header->nfields != 1)
		return;
	for (const char *d = others; *d != '\0'; d++)
		if (*d != sep[0] && strchr(header->fields[0].ptr, *d) != NULL) {
			snprintf(hint, hintlen, "; try --delimiter %s",
			    *d == '\t' ? "tab" : *d == ';' ? "';'" :
			    *d == '|' ? "'|'" : "','");
			return;
		}
}

/*
 * Finds each filter's column; one the header does not have is the command
 * line's error, naming the columns there are. Returns 0 or -1.
 */
static int
map_filters(struct prep *p, const struct csv_row *header)
{
	p->filter_col = xcalloc(p->par.nfilters + 1, sizeof(*p->filter_col));
	for (size_t i = 0; i < p->par.nfilters; i++) {
		const struct prep_filter *f = &p->par.filters[i];
		int64_t pos;
		char seen[128], hint[64];

		if (p->par.no_header && cli_parse_int(f->col, 1, 100000, &pos) == 0)
			p->filter_col[i] = (int)pos - 1;
		else if (!p->par.no_header)
			p->filter_col[i] = find_column(header, f->col);
		else
			p->filter_col[i] = -1;
		if (p->filter_col[i] >= 0)
			continue;
		header_seen(p, header, seen, sizeof(seen), hint, sizeof(hint));
		snprintf(p->err, sizeof(p->err), "%s: no column \"%s\" in the "
		    "header; the columns are: %s", f->keep ? "--keep-if" :
		    "--drop-if", f->col, seen);
		p->usage_error = 1;
		return -1;
	}
	return 0;
}

/* Maps the columns, from the header row or from numbers. Returns 0 or -1. */
static int
map_columns(struct prep *p, const struct csv_row *header)
{
	const struct prep_params *opt = &p->par;

	for (int i = 0; i < PREP_NCOLS; i++) {
		int64_t pos;

		p->col[i] = -1;
		if (i == PREP_EVENT && opt->event_value != NULL)
			continue;
		if (i == PREP_CATEGORY && opt->col[i] == NULL)
			continue;	/* only when asked for */
		if (opt->no_header) {
			if (opt->col[i] == NULL)
				p->col[i] = col_default_position[i] - 1;
			else if (cli_parse_int(opt->col[i], 1, 100000, &pos) == 0)
				p->col[i] = (int)pos - 1;
			continue;
		}
		p->col[i] = find_column(header,
		    opt->col[i] ? opt->col[i] : col_default_name[i]);
		if (p->col[i] < 0 && (i != PREP_NAME || opt->col[i] != NULL)) {
			char seen[128], hint[64];

			header_seen(p, header, seen, sizeof(seen), hint,
			    sizeof(hint));
			snprintf(p->err, sizeof(p->err), "%s:%llu: no column \"%s\" "
			    "in the header: %s (see %s%s)%s", p->name,
			    (unsigned long long)header->line,
			    opt->col[i] ? opt->col[i] : col_default_name[i], seen,
			    prep_column_option[i], i == PREP_EVENT ?
			    " or --event-value" : "", hint);
			return -1;
		}
	}
	/* A column number past the first row's width would drop every row
	   as missing a field; the optional name column by default is absent. */
	for (int i = 0; i < PREP_NCOLS; i++) {
		if (p->col[i] < 0 || (size_t)p->col[i] < header->nfields)
			continue;
		if (i == PREP_NAME && opt->col[i] == NULL) {
			p->col[i] = -1;
			continue;
		}
		snprintf(p->err, sizeof(p->err), "%s: no column %d: the %s has %zu "
		    "column%s", p->name, p->col[i] + 1,
		    opt->no_header ? "first row" : "header", header->nfields,
		    header->nfields == 1 ? "" : "s");
		return -1;
	}
	if (map_filters(p, header) < 0)
		return -1;
	p->mapped = 1;
	return 0;
}

static const struct csv_field empty_field = { "", 0 };

static const struct csv_field *
field(const struct prep *p, const struct csv_row *row, enum prep_column c)
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

/* The first non-empty label seen of each product wins. */
static void
keep_label(struct labels *l, uint32_t product, const struct csv_field *f)
{
	if (product >= l->at_cap) {
		size_t old = l->at_cap;

		l->at = xgrow(l->at, &l->at_cap, (size_t)product + 1,
		    sizeof(*l->at));
		for (size_t i = old; i < l->at_cap; i++)
			l->at[i] = NO_LABEL;
	}
	if (l->at[product] != NO_LABEL || f->len == 0)
		return;
	l->bytes = xgrow(l->bytes, &l->bytes_cap, l->len + f->len + 1, 1);
	memcpy(l->bytes + l->len, f->ptr, f->len + 1);
	l->at[product] = l->len;
	l->len += f->len + 1;
}

/* Product pr's label, or NULL. */
static const char *
label_of(const struct labels *l, uint32_t pr)
{
	return pr < l->at_cap && l->at[pr] != NO_LABEL ? l->bytes + l->at[pr] :
	    NULL;
}

/*
 * Written into shards, a product's name goes with its first record in each
 * shard, and lies at random in the labels: where it lies, then its bytes,
 * are fetched a few rows before the row that writes it (aud-prepare
 * --shards 4 spent a twentieth of its time waiting for them at 5M rows).
 * Into one stream, names are read nearly in the order they were stored,
 * and fetching them ahead cost more than it saved. Forced inline: GCC
 * deletes calls to a static function whose only effect is a prefetch
 * (see intern.c).
 */
static inline __attribute__((always_inline)) void
label_prefetch_at(const struct labels *l, uint32_t pr)
{
	if (pr < l->at_cap)
		__builtin_prefetch(&l->at[pr]);
}

static inline __attribute__((always_inline)) void
label_prefetch(const struct labels *l, uint32_t pr)
{
	if (pr < l->at_cap && l->at[pr] != NO_LABEL)
		__builtin_prefetch(l->bytes + l->at[pr]);
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
	for (int j = 0; j < PREP_NLABELS; j++)
		k->label[j] = xrealloc(k->label[j], cap * sizeof(*k->label[j]));
	k->line = xrealloc(k->line, cap * sizeof(*k->line));
	k->cap = cap;
}

/* Counts a dropped row of cause, kept as an example if among the first;
   returns 0. */
static int
drop_row(struct prep *p, const struct csv_row *row, enum prep_cause cause,
    const struct csv_field *value)
{
	uint64_t seen = p->count.dropped[cause]++;

	if (seen < PREP_SHOWN) {
		struct prep_example *e = &p->example[cause][seen];

		e->line = row->line;
		snprintf(e->value, sizeof(e->value), "%s", value ? value->ptr : "");
	}
	return 0;
}

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

/* Whether a row matches every --keep-if and no --drop-if. */
static int
passes_filters(const struct prep *p, const struct csv_row *row)
{
	for (size_t i = 0; i < p->par.nfilters; i++) {
		const struct prep_filter *f = &p->par.filters[i];
		int c = p->filter_col[i];
		const char *value = (size_t)c < row->nfields ?
		    row->fields[c].ptr : "";

		if ((fnmatch(f->glob, value, 0) == 0) != f->keep)
			return 0;
	}
	return 1;
}

/* The name an event of the export is known by (--event-map), in buf. */
static size_t
map_event(const struct prep *p, char *buf, size_t len)
{
	for (size_t i = 0; i < p->par.nevent_map; i++)
		if (strlen(p->map_from[i]) == len &&
		    memcmp(p->map_from[i], buf, len) == 0) {
			len = strlen(p->map_to[i]);
			memcpy(buf, p->map_to[i], len);
			break;
		}
	return len;
}

/*
 * Checks and cleans one data row: 1 when it is kept (as the next row of k),
 * 0 when it is dropped and counted, -1 with p->err set.
 */
static int
check_row(struct prep *p, const struct csv_row *row, struct kept *k)
{
	const struct csv_field *c = field(p, row, PREP_CUSTOMER);
	const struct csv_field *pr = field(p, row, PREP_PRODUCT);
	const struct csv_field *ev, *tf = field(p, row, PREP_TIME);
	char evbuf[256];
	size_t evlen;
	int64_t t;
	int e;

	p->count.rows_read++;
	if ((p->count.rows_read & 0xffff) == 0)
		progress_update(&p->progress, p->bytes_read);
	if (p->par.nfilters > 0 && !passes_filters(p, row)) {
		p->count.filtered++;
		return 0;
	}
	if (c->len == 0 || pr->len == 0) {
		if (p->par.strict)
			return strict_error(p, row, c->len == 0 ? "no customer id" :
			    "no product id", NULL);
		return drop_row(p, row, c->len == 0 ? PREP_NO_CUSTOMER :
		    PREP_NO_PRODUCT, NULL);
	}
	if (p->par.event_value != NULL)
		e = p->fixed_event;
	else {
		ev = field(p, row, PREP_EVENT);
		evlen = normalise_event(ev->ptr, ev->len < sizeof(evbuf) ?
		    ev->len : sizeof(evbuf), evbuf);
		if (evlen == 0) {
			if (p->par.strict)
				return strict_error(p, row, "no event", NULL);
			return drop_row(p, row, PREP_NO_EVENT, NULL);
		}
		evlen = map_event(p, evbuf, evlen);
		if ((e = event_index(p, evbuf, evlen)) < 0) {
			snprintf(p->err, sizeof(p->err), "%s:%llu: more than %d "
			    "distinct events (is the event column right?)",
			    p->name, (unsigned long long)row->line, MAX_EVENTS);
			return -1;
		}
	}
	if (time_parse(&p->par.time_format, tf->ptr, tf->len, &t) < 0) {
		if (p->par.strict)
			return strict_error(p, row, "bad timestamp", tf->ptr);
		return drop_row(p, row, PREP_BAD_TIME, tf);
	}
	id_from_text(&k->customer[k->n], c->ptr, c->len);
	id_from_text(&k->product[k->n], pr->ptr, pr->len);
	k->time[k->n] = t;
	k->event[k->n] = (uint8_t)e;
	for (int j = 0; j < PREP_NLABELS; j++)
		k->label[j][k->n] = p->col[PREP_NAME + j] >= 0 ?
		    field(p, row, PREP_NAME + j) : NULL;
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
		for (int j = 0; j < PREP_NLABELS; j++) {
			struct labels *l = &p->label[j];

			if (k->label[j][i] == NULL)
				continue;
			if (i + 8 < k->n && k->product_ix[i + 8] < l->at_cap)
				__builtin_prefetch(&l->at[k->product_ix[i + 8]]);
			keep_label(l, k->product_ix[i], k->label[j][i]);
		}
	}
	return 0;
}

#define KEPT_ROWS 256

static void preview_mapping(const struct prep *p, const struct csv_row *header);

/*
 * Maps the columns from the first batch's first row (showing the mapping
 * for --dry-run). Returns the index of the batch's first data row, or -1
 * with p->err set.
 */
static long
first_data_row(struct prep *p, const struct csv_row *rows)
{
	if (p->mapped)
		return 0;
	if (map_columns(p, &rows[0]) < 0)
		return -1;
	if (p->preview != NULL)
		preview_mapping(p, &rows[0]);
	return p->par.no_header ? 0 : 1;
}

/* The CSV reader's callback: maps the header, then keeps each data row. */
static int
on_rows(const struct csv_row *rows, size_t n, void *ctx)
{
	struct prep *p = ctx;
	long first = first_data_row(p, rows);
	size_t i;

	if (first < 0)
		return -1;
	/* A few hundred rows at a time, so that the kept rows stay in cache. */
	kept_reserve(&p->kept, KEPT_ROWS);
	p->kept.n = 0;
	for (i = (size_t)first; i < n; i++) {
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

/* --dry-run: each column's role, from the header or the options. */
static void
preview_mapping(const struct prep *p, const struct csv_row *header)
{
	static const char *const role[PREP_NCOLS] = {
		"customer_id", "product_id", "event", "time", "product_name",
		"category"
	};
	char seen[4096], hint[64];

	header_seen(p, header, seen, sizeof(seen), hint, sizeof(hint));
	fprintf(p->preview, "%s (%zu column%s): %s\n", p->par.no_header ?
	    "first row" : "header", header->nfields,
	    header->nfields == 1 ? "" : "s", seen);
	fprintf(p->preview, "mapping:\n");
	for (int i = 0; i < PREP_NCOLS; i++) {
		int c = p->col[i];

		if (i == PREP_CATEGORY && c < 0)
			continue;	/* not asked for */
		fprintf(p->preview, "  %-12s <- ", role[i]);
		if (i == PREP_EVENT && p->par.event_value != NULL)
			fprintf(p->preview, "every row: %s (--event-value)\n",
			    p->event_name[p->fixed_event]);
		else if (c < 0)
			fprintf(p->preview, "none\n");
		else if (p->par.no_header)
			fprintf(p->preview, "column %d\n", c + 1);
		else
			fprintf(p->preview, "column %d, \"%s\"\n", c + 1,
			    header->fields[c].ptr);
	}
	fprintf(p->preview, "  time format: %s\n", p->par.time_format_arg);
	for (size_t i = 0; i < p->par.nfilters; i++)
		fprintf(p->preview, "  %s %s=%s\n", p->par.filters[i].keep ?
		    "keep-if" : "drop-if", p->par.filters[i].col,
		    p->par.filters[i].glob);
	for (size_t i = 0; i < p->par.nevent_map; i++)
		fprintf(p->preview, "  event %s is %s\n", p->map_from[i],
		    p->map_to[i]);
	fprintf(p->preview, "rows, as they would be read:\n");
}

/* An id as aud reads it: an integer bare, a string quoted. */
static void
preview_id(FILE *out, const struct id *id)
{
	if (id->is_str)
		fprintf(out, "\"%.*s\"", (int)id->len, id->str);
	else
		fprintf(out, "%lld", (long long)id->num);
}

/* --dry-run: one row, kept with its values, or why it would go. */
static void
preview_row(struct prep *p, const struct csv_row *row)
{
	static const char *const why[PREP_NCAUSES] = {
		"no customer id", "no product id", "no event", "bad time"
	};
	struct prep_counts before = p->count;
	struct kept *k = &p->kept;
	char when[TIME_ISO_LEN];

	k->n = 0;
	fprintf(p->preview, "  line %llu: ", (unsigned long long)row->line);
	check_row(p, row, k);
	if (k->n == 1) {
		fprintf(p->preview, "customer ");
		preview_id(p->preview, &k->customer[0]);
		fprintf(p->preview, ", product ");
		preview_id(p->preview, &k->product[0]);
		fprintf(p->preview, ", %s at %s", p->event_name[k->event[0]],
		    time_format_iso(k->time[0], when));
		if (k->label[0][0] != NULL && k->label[0][0]->len > 0)
			fprintf(p->preview, ", named \"%s\"", k->label[0][0]->ptr);
		if (k->label[1][0] != NULL && k->label[1][0]->len > 0)
			fprintf(p->preview, ", in \"%s\"", k->label[1][0]->ptr);
		fprintf(p->preview, "\n");
		return;
	}
	if (p->count.filtered > before.filtered) {
		fprintf(p->preview, "filtered out\n");
		return;
	}
	for (int c = 0; c < PREP_NCAUSES; c++)
		if (p->count.dropped[c] > before.dropped[c]) {
			const struct csv_field *tf = field(p, row, PREP_TIME);

			fprintf(p->preview, "dropped: %s", why[c]);
			if (c == PREP_BAD_TIME)
				fprintf(p->preview, " \"%s\"", tf->ptr);
			fprintf(p->preview, "\n");
			return;
		}
	fprintf(p->preview, "%s\n", p->err);	/* an error: too many events */
}

/* --dry-run's CSV callback: the mapping, then rows until enough. */
static int
on_preview_rows(const struct csv_row *rows, size_t n, void *ctx)
{
	struct prep *p = ctx;
	long first = first_data_row(p, rows);

	if (first < 0)
		return -1;
	kept_reserve(&p->kept, 1);
	for (size_t i = (size_t)first; i < n && p->preview_left > 0;
	    i++, p->preview_left--)
		preview_row(p, &rows[i]);
	return p->preview_left == 0 ? 1 : 0;	/* 1 stops the reader */
}

int
prep_dry_run(struct prep *p, FILE *in, FILE *out, size_t nrows)
{
	struct csv_input src = { .in = in, .name = p->name,
	    .delim = p->par.delim ? p->par.delim : ',',
	    .whitespace = p->par.whitespace };
	int ret;

	p->par.strict = 0;	/* a row that would fail is shown, not fatal */
	p->preview = out;
	p->preview_left = nrows;
	ret = csv_read(&src, on_preview_rows, p, p->err, sizeof(p->err));
	if (ret < 0)
		return p->usage_error ? -2 : -1;
	if (!p->mapped) {
		snprintf(p->err, sizeof(p->err), "%s: empty input, no header",
		    p->name);
		return -1;
	}
	return 0;
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
	uint64_t threshold = (uint64_t)p->par.bot_threshold;

	for (size_t c = 0; c < nc; c++) {
		dc[c].day = INT32_MIN, dc[c].count = 0;
		if (c < p->known_bot_cap && p->known_bot[c]) {
			dc[c].count = BOT;
			p->count.bot_customers++;
		}
	}
	for (size_t k = 0; k < p->n; k++) {
		struct day_count *d = &dc[p->customer[order[k]]];
		int32_t day = (int32_t)time_day(p->time[k]);

		if (drop[k] || d->count == BOT)
			continue;
		if (d->day != day) {
			d->day = day;
			d->count = 0;
		}
		if (threshold > 0 && ++d->count > threshold) {
			d->count = BOT;
			p->count.bot_customers++;
		}
	}
	for (size_t k = 0; k < p->n; k++)
		if (!drop[k] && dc[p->customer[order[k]]].count == BOT) {
			drop[k] = 2;
			p->count.bot_rows++;
		}
	p->bot = xcalloc(nc + 1, 1);
	for (size_t c = 0; c < nc; c++)
		p->bot[c] = dc[c].count == BOT;
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

/* How the CSV was read: its delimiter, the filters and the event map. */
static void
pack_reading(msgpack_packer *pk, const struct prep_params *par)
{
	char delim[2] = { par->delim ? par->delim : ',', '\0' };

	stream_pack_kv_str(pk, "delimiter", par->whitespace ? "whitespace" :
	    delim[0] == '\t' ? "tab" : delim);
	stream_pack_cstr(pk, "filters");
	msgpack_pack_array(pk, par->nfilters);
	for (size_t i = 0; i < par->nfilters; i++) {
		const struct prep_filter *f = &par->filters[i];
		char *text = NULL;

		if (asprintf(&text, "%s %s=%s", f->keep ? "keep-if" : "drop-if",
		    f->col, f->glob) < 0)
			xalloc_failed();
		stream_pack_cstr(pk, text);
		free(text);
	}
	stream_pack_cstr(pk, "event_map");
	msgpack_pack_map(pk, par->nevent_map);
	for (size_t i = 0; i < par->nevent_map; i++) {
		stream_pack_cstr(pk, par->event_map[i].from);
		stream_pack_cstr(pk, par->event_map[i].to);
	}
}

static void
pack_label(msgpack_packer *pk, const char *label)
{
	if (label != NULL)
		stream_pack_cstr(pk, label);
	else
		msgpack_pack_nil(pk);
}

/* What --append needs that the records cannot tell: who the bots were, and
   the names of products only bots touched. */
static void
pack_bots(msgpack_packer *pk, const struct prep_header *h)
{
	stream_pack_cstr(pk, "bot_customer_ids");
	msgpack_pack_array(pk, h->nbot_customers);
	for (size_t i = 0; i < h->nbot_customers; i++)
		stream_pack_id(pk, &h->bot_customers[i]);
	stream_pack_cstr(pk, "bot_product_labels");
	msgpack_pack_array(pk, h->nbot_labels);
	for (size_t i = 0; i < h->nbot_labels; i++) {
		const struct prep_bot_label *l = &h->bot_labels[i];

		msgpack_pack_array(pk, 3);
		stream_pack_id(pk, &l->product);
		pack_label(pk, l->name);
		pack_label(pk, l->category);
	}
}

void
prep_write_header(const struct prep *p, struct stream_writer *w,
    const struct prep_header *h)
{
	static const char *const fields[] = {
		"customer_id", "product_id", "event", "time", "product_name",
		"category"
	};
	static const char *const types[] = {
		"id", "id", "enum", "time", "str?", "str?"
	};
	msgpack_packer *pk = stream_packer(w);
	const struct prep_counts *c = h->counts;
	char buf[TIME_ISO_LEN];

	/* The category field only when the export has one: streams without
	   it stay as they were. */
	stream_write_header(w, "interactions", p->col[PREP_CATEGORY] >= 0 ? 6 : 5,
	    fields, types, 2);
	stream_pack_cstr(pk, "dicts");
	msgpack_pack_map(pk, 1);
	stream_pack_cstr(pk, "event");
	msgpack_pack_array(pk, h->nevents);
	for (size_t i = 0; i < h->nevents; i++)
		stream_pack_cstr(pk, h->events[i]);

	stream_pack_cstr(pk, "provenance");
	msgpack_pack_map(pk, 20 + (h->shard != NULL) + (h->appended_to != NULL) +
	    (p->pieces > 0));
	stream_pack_provenance(pk, "aud-prepare", p->name);
	if (h->appended_to != NULL)
		stream_pack_kv_str(pk, "appended_to", h->appended_to);
	if (p->pieces > 0)
		stream_pack_kv_uint(pk, "merged_pieces", p->pieces);
	if (h->shard != NULL) {
		stream_pack_cstr(pk, "shard");
		msgpack_pack_map(pk, 2);
		stream_pack_kv_uint(pk, "index", h->shard[0]);
		stream_pack_kv_uint(pk, "count", h->shard[1]);
	}
	pack_reading(pk, &p->par);
	stream_pack_kv_str(pk, "time_format", p->par.time_format_arg);
	stream_pack_kv_uint(pk, "bot_threshold", (uint64_t)p->par.bot_threshold);
	stream_pack_kv_uint(pk, "rows_read", c->rows_read);
	stream_pack_kv_uint(pk, "rows_filtered", c->filtered);
	stream_pack_cstr(pk, "dropped");
	msgpack_pack_map(pk, 6);
	stream_pack_kv_uint(pk, "missing_customer", c->dropped[PREP_NO_CUSTOMER]);
	stream_pack_kv_uint(pk, "missing_product", c->dropped[PREP_NO_PRODUCT]);
	stream_pack_kv_uint(pk, "missing_event", c->dropped[PREP_NO_EVENT]);
	stream_pack_kv_uint(pk, "bad_time", c->dropped[PREP_BAD_TIME]);
	stream_pack_kv_uint(pk, "duplicates", c->duplicates);
	stream_pack_kv_uint(pk, "bot_rows", c->bot_rows);
	stream_pack_kv_uint(pk, "bot_customers", c->bot_customers);
	pack_bots(pk, h);
	stream_pack_kv_uint(pk, "rows_written", c->written);
	stream_pack_kv_uint(pk, "customers_written", c->customers);
	stream_pack_kv_uint(pk, "products_written", c->products);
	stream_pack_cstr(pk, "first_time");
	if (c->written > 0)
		stream_pack_cstr(pk, time_format_iso(c->first_time, buf));
	else
		msgpack_pack_nil(pk);
	stream_pack_cstr(pk, "last_time");
	if (c->written > 0)
		stream_pack_cstr(pk, time_format_iso(c->last_time, buf));
	else
		msgpack_pack_nil(pk);
}

static int
cmp_id(const void *a, const void *b)
{
	return id_compare(a, b);
}

static int
cmp_bot_label(const void *a, const void *b)
{
	return id_compare(&((const struct prep_bot_label *)a)->product,
	    &((const struct prep_bot_label *)b)->product);
}

void
prep_sort_bots(struct prep_header *h)
{
	if (h->nbot_customers > 1)
		qsort((void *)h->bot_customers, h->nbot_customers,
		    sizeof(*h->bot_customers), cmp_id);
	if (h->nbot_labels > 1)
		qsort((void *)h->bot_labels, h->nbot_labels,
		    sizeof(*h->bot_labels), cmp_bot_label);
}

/*
 * h's bot lists, from the bot flags and the products that kept no row,
 * sorted by id so that they do not depend on the input's order. Freed by
 * the caller (h's two arrays).
 */
/* One shard's part of a run: which shard is whose, and where each product
   has rows (touched) and rows kept, as bits by product and shard. */
struct shard_view {
	const uint8_t *shard;		/* per customer (SHARD_MAX is 256) */
	size_t nshards;
	uint32_t s;
	const uint64_t *touched, *kept;
};

static int seen_in(const uint64_t *seen, size_t nshards, uint32_t pr,
    uint32_t sh);

/* Whether product pr had rows that passed the checks, none kept (in v's
   shard, when v is not NULL). */
static int
bot_only(const struct prep *p, const struct shard_view *v, uint32_t pr)
{
	if (v != NULL)
		return seen_in(v->touched, v->nshards, pr, v->s) &&
		    !seen_in(v->kept, v->nshards, pr, v->s);
	return p->product_kept != NULL && !p->product_kept[pr];
}

/*
 * h's bot lists, of v's shard or (v NULL) of the run, from the bot flags
 * and the products that kept no row, sorted by id so that they do not
 * depend on the input's order. Freed by the caller (h's two arrays).
 */
static void
list_bots(const struct prep *p, const struct shard_view *v,
    struct prep_header *h)
{
	size_t nc = intern_count(p->customers), np = intern_count(p->products);
	struct id *ids = xmalloc((p->count.bot_customers + 1) * sizeof(*ids));
	struct prep_bot_label *labels = NULL;
	size_t n = 0, nl = 0, cap = 0;

	for (size_t c = 0; p->bot != NULL && c < nc; c++)
		if (p->bot[c] && (v == NULL || v->shard[c] == v->s))
			intern_get(p->customers, (uint32_t)c, &ids[n++]);
	for (size_t pr = 0; pr < np; pr++) {
		const char *name = label_of(&p->label[0], (uint32_t)pr);
		const char *category = label_of(&p->label[1], (uint32_t)pr);

		if ((name == NULL && category == NULL) ||
		    !bot_only(p, v, (uint32_t)pr))
			continue;
		labels = xgrow(labels, &cap, nl + 1, sizeof(*labels));
		intern_get(p->products, (uint32_t)pr, &labels[nl].product);
		labels[nl].name = name;
		labels[nl++].category = category;
	}
	h->bot_customers = ids;
	h->nbot_customers = n;
	h->bot_labels = labels;
	h->nbot_labels = nl;
	prep_sort_bots(h);
}

/* The header of a stream of rows counted in c, of v's shard (NULL: all). */
static void
write_header(const struct prep *p, struct stream_writer *w, const char **events,
    const struct prep_counts *c, const struct shard_view *v)
{
	uint32_t which[2] = { v ? v->s : 0, v ? (uint32_t)v->nshards : 0 };
	struct prep_header h = { .events = events, .nevents = p->nevents,
	    .counts = c, .shard = v ? which : NULL };

	if (v == NULL && p->piece_shard[1] > 0)	/* a --merge of one shard */
		h.shard = p->piece_shard;
	list_bots(p, v, &h);
	prep_write_header(p, w, &h);
	free((void *)h.bot_customers);
	free((void *)h.bot_labels);
}

/*
 * Counts what survives the cleaning without a pass over all rows where it
 * can: every interned customer and product kept at least one row until the
 * bot step (duplicates always leave the first), and bots take whole
 * customers. Only products can vanish with them, so they are recounted
 * when bots were dropped.
 */
static void
count_kept(struct prep *p)
{
	struct prep_counts *c = &p->count;
	size_t a = 0, b = p->n;

	/* Rows the pieces of a --merge had dropped are counted, not held. */
	c->written = p->n - (c->duplicates + c->bot_rows - p->piece_dropped);
	while (a < p->n && p->drop[a])
		a++;
	while (b > a && p->drop[b - 1])
		b--;
	c->first_time = a < b ? p->time[a] : 0;
	c->last_time = a < b ? p->time[b - 1] : 0;
	c->customers = intern_count(p->customers) - c->bot_customers;
	c->products = intern_count(p->products);
	if (c->bot_rows > 0 || p->label_only) {
		uint8_t *seen = xcalloc(intern_count(p->products) + 1, 1);

		c->products = 0;
		for (size_t k = a; k < b; k++)
			if (!p->drop[k] && !seen[p->product[p->order[k]]]) {
				seen[p->product[p->order[k]]] = 1;
				c->products++;
			}
		p->product_kept = seen;
	}
}

/* Rows ahead whose ids and names are fetched into cache while writing. */
#define AHEAD 8

/* Whether product pr has been written to shard sh, in bits. */
static int
seen_in(const uint64_t *seen, size_t nshards, uint32_t pr, uint32_t sh)
{
	size_t bit = (size_t)pr * nshards + sh;

	return (seen[bit / 64] >> (bit % 64)) & 1;
}

static void
set_seen(uint64_t *seen, size_t nshards, uint32_t pr, uint32_t sh)
{
	size_t bit = (size_t)pr * nshards + sh;

	seen[bit / 64] |= UINT64_C(1) << (bit % 64);
}

static uint64_t *
new_seen(const struct prep *p, size_t nshards)
{
	return xcalloc(((size_t)intern_count(p->products) * nshards) / 64 + 1,
	    sizeof(uint64_t));
}

void
prep_pack_record(struct stream_writer *w, const struct prep_record *r,
    int has_category)
{
	struct packbuf b = stream_record_space(w, packbuf_id_bound(r->customer) +
	    packbuf_id_bound(r->product) + 2 * PACKBUF_NUMBER + 10 +
	    r->name_len + r->category_len);

	packbuf_id(&b, r->customer);
	packbuf_id(&b, r->product);
	packbuf_pack_uint8(&b, r->event);
	packbuf_pack_int64(&b, r->time);
	if (r->name != NULL)
		packbuf_str(&b, r->name, r->name_len);
	else
		packbuf_pack_nil(&b);
	if (has_category && r->category != NULL)
		packbuf_str(&b, r->category, r->category_len);
	else if (has_category)
		packbuf_pack_nil(&b);
	stream_record_done(w, &b);
}

/*
 * Writes the kept rows, each to the writer of its customer's shard (shard
 * NULL: all to w[0]). A product's name and category travel once in each
 * shard, with its first record there.
 */
static void
write_records(const struct prep *p, struct stream_writer **w,
    const uint8_t *shard, size_t nshards, const uint8_t *remap)
{
	uint64_t *seen = new_seen(p, nshards);
	const uint32_t *order = p->order;
	const uint8_t *drop = p->drop;

	for (size_t k = 0; k < p->n; k++) {
		uint32_t r = order[k], pr = p->product[r];
		uint32_t sh = shard != NULL ? shard[p->customer[r]] : 0;
		int first;
		struct id customer, product;
		const char *name, *category;

		if (shard != NULL && k + 2 * AHEAD < p->n)
			label_prefetch_at(&p->label[0],
			    p->product[order[k + 2 * AHEAD]]);
		if (k + AHEAD < p->n) {
			uint32_t ahead = order[k + AHEAD];

			intern_prefetch_entry(p->customers, p->customer[ahead]);
			intern_prefetch_entry(p->products, p->product[ahead]);
			if (shard != NULL && !seen_in(seen, nshards,
			    p->product[ahead], shard[p->customer[ahead]]))
				label_prefetch(&p->label[0], p->product[ahead]);
		}
		if (drop[k])
			continue;
		first = !seen_in(seen, nshards, pr, sh);
		intern_get(p->customers, p->customer[r], &customer);
		intern_get(p->products, pr, &product);
		name = first ? label_of(&p->label[0], pr) : NULL;
		category = first ? label_of(&p->label[1], pr) : NULL;
		prep_pack_record(w[sh], &(struct prep_record){ &customer,
		    &product, remap[p->event[r]], p->time[k], name,
		    name != NULL ? strlen(name) : 0, category,
		    category != NULL ? strlen(category) : 0 },
		    p->col[PREP_CATEGORY] >= 0);
		set_seen(seen, nshards, pr, sh);
	}
	free(seen);
}

int
prep_write(struct prep *p, FILE *out)
{
	struct stream_writer *w = stream_writer_new(out);
	uint8_t remap[MAX_EVENTS];
	const char *events[MAX_EVENTS];

	sort_events(p, remap, events);
	write_header(p, w, events, &p->count, NULL);
	stream_writer_fingerprint(w);
	write_records(p, &w, NULL, 1, remap);
	return stream_writer_finish(w);
}

/*
 * Each shard's written counts: the run's counts with its rows, customers,
 * products and times.
 */
static void
count_shards(const struct prep *p, const uint8_t *shard, size_t nshards,
    struct prep_counts *c, struct shard_view *v)
{
	uint64_t *seen = new_seen(p, nshards), *touched = new_seen(p, nshards);
	uint8_t *customer_seen = xcalloc(intern_count(p->customers) + 1, 1);

	for (size_t s = 0; s < nshards; s++) {
		c[s] = p->count;
		c[s].written = c[s].customers = c[s].products = 0;
		c[s].first_time = c[s].last_time = 0;
	}
	for (size_t k = 0; k < p->n; k++) {
		uint32_t r = p->order[k], cu = p->customer[r], pr = p->product[r];
		struct prep_counts *t = &c[shard[cu]];

		set_seen(touched, nshards, pr, shard[cu]);
		if (p->drop[k])
			continue;
		if (t->written++ == 0)
			t->first_time = p->time[k];
		t->last_time = p->time[k];
		if (!customer_seen[cu]) {
			customer_seen[cu] = 1;
			t->customers++;
		}
		if (!seen_in(seen, nshards, pr, shard[cu])) {
			set_seen(seen, nshards, pr, shard[cu]);
			t->products++;
		}
	}
	free(customer_seen);
	v->touched = touched;
	v->kept = seen;
}

int
prep_write_shards(struct prep *p, FILE **out, uint32_t nshards)
{
	size_t nc = intern_count(p->customers);
	/* A byte a customer, not four: each row looks its customer's up at
	   random, twice, and at 43M customers 43 MB miss the cache less. */
	_Static_assert(SHARD_MAX <= 256, "a shard index is a byte");
	uint8_t *shard = xmalloc(nc + 1);
	struct stream_writer **w = xmalloc(nshards * sizeof(*w));
	struct prep_counts *c = xmalloc(nshards * sizeof(*c));
	uint8_t remap[MAX_EVENTS];
	const char *events[MAX_EVENTS];
	struct shard_view view = { shard, nshards, 0, NULL, NULL };
	int ret = 0;

	for (size_t i = 0; i < nc; i++) {
		struct id id;

		intern_get(p->customers, (uint32_t)i, &id);
		shard[i] = (uint8_t)shard_of(&id, nshards);
	}
	count_shards(p, shard, nshards, c, &view);
	sort_events(p, remap, events);
	for (uint32_t s = 0; s < nshards; s++) {
		view.s = s;
		w[s] = stream_writer_new(out[s]);
		write_header(p, w[s], events, &c[s], &view);
		stream_writer_fingerprint(w[s]);
	}
	free((void *)view.touched);
	free((void *)view.kept);
	write_records(p, w, shard, nshards, remap);
	for (uint32_t s = 0; s < nshards; s++)
		if (stream_writer_finish(w[s]) < 0)
			ret = -1;
	free(c);
	free(w);
	free(shard);
	return ret;
}

struct prep *
prep_new(const struct prep_params *par, char *err, size_t errlen)
{
	struct prep *p = xcalloc(1, sizeof(*p));

	p->par = *par;
	p->name = par->name;
	p->customers = intern_new();
	p->products = intern_new();
	p->map_from = xcalloc(par->nevent_map + 1, sizeof(*p->map_from));
	p->map_to = xcalloc(par->nevent_map + 1, sizeof(*p->map_to));
	for (size_t i = 0; i < par->nevent_map; i++) {
		char buf[256];
		size_t len;

		len = normalise_event(par->event_map[i].from,
		    strnlen(par->event_map[i].from, sizeof(buf)), buf);
		p->map_from[i] = xstrndup(buf, len);
		len = normalise_event(par->event_map[i].to,
		    strnlen(par->event_map[i].to, sizeof(buf)), buf);
		p->map_to[i] = xstrndup(buf, len);
		if (p->map_from[i][0] == '\0' || p->map_to[i][0] == '\0') {
			snprintf(err, errlen, "--event-map: an empty event name");
			prep_free(p);
			return NULL;
		}
	}
	if (par->event_value != NULL) {
		char buf[256];
		size_t len = normalise_event(par->event_value,
		    strnlen(par->event_value, sizeof(buf)), buf);

		if (len == 0) {
			snprintf(err, errlen, "--event-value: empty event name");
			prep_free(p);
			return NULL;
		}
		p->fixed_event = (uint8_t)event_index(p, buf, len);
	}
	return p;
}

int
prep_read(struct prep *p, FILE *in, uint64_t size, int progress_fd)
{
	struct csv_input src = { .in = in, .name = p->name,
	    .delim = p->par.delim ? p->par.delim : ',',
	    .whitespace = p->par.whitespace, .bytes_read = &p->bytes_read };
	int ret;

	progress_start(&p->progress, progress_fd, "aud-prepare", "reading",
	    size, 64u << 20);
	ret = csv_read(&src, on_rows, p, p->err, sizeof(p->err));
	progress_end(&p->progress);
	if (ret != 0)
		return p->usage_error ? -2 : -1;
	if (!p->mapped) {
		snprintf(p->err, sizeof(p->err), "%s: empty input, no header",
		    p->name);
		return -1;
	}
	intern_freeze(p->customers);
	intern_freeze(p->products);
	return 0;
}

void
prep_clean(struct prep *p)
{
	p->order = sort_by_time(p);
	p->drop = xcalloc(p->n ? p->n : 1, 1);
	mark_duplicates(p, p->order, p->drop);
	for (size_t k = 0; k < p->n; k++)
		p->count.duplicates += p->drop[k];
	if (p->par.bot_threshold > 0 || p->known_bot_cap > 0)
		mark_bots(p, p->order, p->drop);
	count_kept(p);
}

const struct prep_counts *
prep_counts(const struct prep *p)
{
	return &p->count;
}

const struct prep_example *
prep_examples(const struct prep *p, enum prep_cause cause)
{
	return p->example[cause];
}

int
prep_main_cause(const struct prep *p, char *buf, size_t len)
{
	static const char *const what[PREP_NCAUSES] = {
		"have no customer id", "have no product id", "have no event",
		"have a bad time"
	};
	const struct prep_counts *c = &p->count;
	uint64_t most = c->duplicates;
	int cause = -1;		/* -1: duplicates, PREP_NCAUSES: bots,
				   PREP_NCAUSES + 1: filters */
	const struct prep_example *e;

	buf[0] = '\0';
	for (int i = 0; i < PREP_NCAUSES; i++)
		if (c->dropped[i] > most)
			most = c->dropped[i], cause = i;
	if (c->bot_rows > most)
		most = c->bot_rows, cause = PREP_NCAUSES;
	if (c->filtered > most)
		most = c->filtered, cause = PREP_NCAUSES + 1;
	if (most == 0)
		return -1;
	if (cause == PREP_NCAUSES + 1) {
		snprintf(buf, len, "%llu of %llu rows were filtered out by "
		    "--keep-if and --drop-if", (unsigned long long)most,
		    (unsigned long long)c->rows_read);
		return 0;
	}
	if (cause < 0) {
		snprintf(buf, len, "%llu of %llu rows are exact duplicates",
		    (unsigned long long)most, (unsigned long long)c->rows_read);
		return 0;
	}
	if (cause == PREP_NCAUSES) {
		snprintf(buf, len, "%llu of %llu rows are of %llu bot-like "
		    "customer%s (over %lld interactions in a UTC day; see "
		    "--bot-threshold)", (unsigned long long)most,
		    (unsigned long long)c->rows_read,
		    (unsigned long long)c->bot_customers,
		    c->bot_customers == 1 ? "" : "s",
		    (long long)p->par.bot_threshold);
		return 0;
	}
	e = &p->example[cause][0];
	if (cause == PREP_BAD_TIME)
		snprintf(buf, len, "%llu of %llu rows %s for --time-format '%s' "
		    "(first, line %llu: \"%s\")", (unsigned long long)most,
		    (unsigned long long)c->rows_read, what[cause],
		    p->par.time_format_arg, (unsigned long long)e->line, e->value);
	else
		snprintf(buf, len, "%llu of %llu rows %s (first, line %llu)",
		    (unsigned long long)most, (unsigned long long)c->rows_read,
		    what[cause], (unsigned long long)e->line);
	return 0;
}

int
prep_implausible_times(const struct prep *p, char *buf, size_t len)
{
	const int64_t from = INT64_C(631152000000);	/* 1990-01-01 in ms */
	const int64_t until = INT64_C(4102444800000);	/* 2100-01-01 */
	const struct prep_counts *c = &p->count;
	enum time_form form = p->par.time_format.form;
	char first[TIME_ISO_LEN], last[TIME_ISO_LEN];
	const char *hint;

	buf[0] = '\0';
	if (c->written == 0 || (c->last_time >= from && c->first_time < until))
		return 0;
	if (c->last_time < from)
		hint = form == TIME_EPOCH_MS ? "they look like epoch seconds: "
		    "try --time-format epoch-s" : "is --time-format right?";
	else	/* milliseconds read as seconds pass year 9999: bad times */
		hint = "is --time-format right?";
	snprintf(buf, len, "every time falls %s (%s to %s): %s",
	    c->last_time < from ? "before 1990" : "in 2100 or later",
	    time_format_iso(c->first_time, first),
	    time_format_iso(c->last_time, last), hint);
	return 1;
}

size_t
prep_nrows(const struct prep *p)
{
	return p->n;
}

void
prep_row(const struct prep *p, size_t k, struct prep_row *r)
{
	uint32_t i = p->order[k];

	r->customer = p->customer[i];
	r->product = p->product[i];
	r->event = p->event[i];
	r->time = p->time[k];
	r->dropped = p->drop[k];
}

void
prep_drop(struct prep *p, size_t k, int bot)
{
	p->drop[k] = bot ? 2 : 1;
}

int
prep_is_bot(const struct prep *p, uint32_t customer)
{
	return p->bot != NULL && p->bot[customer];
}

struct intern *
prep_customers(const struct prep *p)
{
	return p->customers;
}

struct intern *
prep_products(const struct prep *p)
{
	return p->products;
}

size_t
prep_nevents(const struct prep *p)
{
	return p->nevents;
}

const char *
prep_event_name(const struct prep *p, size_t e)
{
	return p->event_name[e];
}

const char *
prep_label(const struct prep *p, int which, uint32_t product)
{
	return label_of(&p->label[which], product);
}

int64_t
prep_bot_threshold(const struct prep *p)
{
	return p->par.bot_threshold;
}

int
prep_has_category(const struct prep *p)
{
	return p->col[PREP_CATEGORY] >= 0;
}

void
prep_merge_begin(struct prep *p, int has_category, const uint32_t *shard)
{
	for (int i = 0; i < PREP_NCOLS; i++)
		p->col[i] = i;
	if (!has_category)
		p->col[PREP_CATEGORY] = -1;
	p->mapped = 1;
	if (shard != NULL)
		memcpy(p->piece_shard, shard, sizeof(p->piece_shard));
}

/* A label from a piece, NUL-terminated for keep_label. */
static void
piece_label(struct prep *p, int which, uint32_t pr, const char *s, size_t len)
{
	char *copy;

	if (s == NULL || len == 0)
		return;
	copy = xstrndup(s, len);
	keep_label(&p->label[which], pr, &(struct csv_field){ copy, len });
	free(copy);
}

static uint32_t
piece_id(struct prep *p, struct intern *t, const struct id *id)
{
	uint32_t i = intern_add(t, id, NULL);

	if (i == UINT32_MAX)
		snprintf(p->err, sizeof(p->err), "more than 4 billion distinct ids");
	return i;
}

int
prep_merge_row(struct prep *p, const struct prep_piece_row *r)
{
	uint32_t c = piece_id(p, p->customers, r->customer);
	uint32_t pr = piece_id(p, p->products, r->product);
	int e = event_index(p, r->event, r->event_len);

	if (c == UINT32_MAX || pr == UINT32_MAX)
		return -1;
	if (e < 0) {
		snprintf(p->err, sizeof(p->err), "more than %d distinct events",
		    MAX_EVENTS);
		return -1;
	}
	if (p->n + 1 >= UINT32_MAX) {
		snprintf(p->err, sizeof(p->err), "more than %u rows",
		    UINT32_MAX - 1);
		return -1;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap;

		p->time = xgrow(p->time, &cap, p->n + 1, sizeof(*p->time));
		p->customer = xrealloc(p->customer, cap * sizeof(*p->customer));
		p->product = xrealloc(p->product, cap * sizeof(*p->product));
		p->event = xrealloc(p->event, cap);
		p->cap = cap;
	}
	p->time[p->n] = r->time;
	p->customer[p->n] = c;
	p->product[p->n] = pr;
	p->event[p->n++] = (uint8_t)e;
	piece_label(p, 0, pr, r->name, r->name_len);
	piece_label(p, 1, pr, r->category, r->category_len);
	return 0;
}

int
prep_merge_event(struct prep *p, const char *event, size_t len)
{
	if (event_index(p, event, len) >= 0)
		return 0;
	snprintf(p->err, sizeof(p->err), "more than %d distinct events",
	    MAX_EVENTS);
	return -1;
}

int
prep_merge_bot(struct prep *p, const struct id *customer)
{
	uint32_t c = piece_id(p, p->customers, customer);

	if (c == UINT32_MAX)
		return -1;
	if (c >= p->known_bot_cap) {
		size_t old = p->known_bot_cap;

		p->known_bot = xgrow(p->known_bot, &p->known_bot_cap, (size_t)c + 1, 1);
		memset(p->known_bot + old, 0, p->known_bot_cap - old);
	}
	p->known_bot[c] = 1;
	return 0;
}

int
prep_merge_label(struct prep *p, const struct id *product, const char *name,
    size_t name_len, const char *category, size_t category_len)
{
	uint32_t pr = piece_id(p, p->products, product);

	if (pr == UINT32_MAX)
		return -1;
	p->label_only = 1;
	piece_label(p, 0, pr, name, name_len);
	piece_label(p, 1, pr, category, category_len);
	return 0;
}

void
prep_merge_counts(struct prep *p, const struct prep_counts *c)
{
	p->count.rows_read += c->rows_read;
	p->count.filtered += c->filtered;
	for (int i = 0; i < PREP_NCAUSES; i++)
		p->count.dropped[i] += c->dropped[i];
	p->count.duplicates += c->duplicates;
	p->count.bot_rows += c->bot_rows;
	p->piece_dropped += c->duplicates + c->bot_rows;
	p->pieces++;
}

const char *
prep_error(const struct prep *p)
{
	return p->err;
}

void
prep_free(struct prep *p)
{
	if (p == NULL)
		return;
	free(p->order);
	free(p->drop);
	free(p->bot);
	free(p->product_kept);
	free(p->known_bot);
	free(p->filter_col);
	for (size_t i = 0; i < p->par.nevent_map; i++) {
		free(p->map_from[i]);
		free(p->map_to[i]);
	}
	free(p->map_from);
	free(p->map_to);
	free(p->kept.customer);
	free(p->kept.product);
	free(p->kept.customer_ix);
	free(p->kept.product_ix);
	free(p->kept.time);
	free(p->kept.event);
	for (int j = 0; j < PREP_NLABELS; j++)
		free(p->kept.label[j]);
	free(p->kept.line);
	free(p->time);
	free(p->customer);
	free(p->product);
	free(p->event);
	for (size_t i = 0; i < p->nevents; i++)
		free(p->event_name[i]);
	for (int j = 0; j < PREP_NLABELS; j++) {
		free(p->label[j].at);
		free(p->label[j].bytes);
	}
	intern_free(p->customers);
	intern_free(p->products);
	free(p);
}

