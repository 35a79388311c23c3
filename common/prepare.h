/*
 * The cleaning of aud-prepare (see aud-prepare(1)): a CSV export of
 * customer-product events read into columns, checked row by row, sorted by
 * time, rid of exact duplicates and bot-like customers, and written as an
 * interactions stream (aud-stream(5)).
 *
 * Rows are held in memory column by column (about 17 bytes a row plus the
 * id tables), because sorting by time and dropping duplicates and bots need
 * the whole input. Sorting is a radix sort; duplicates are found inside runs
 * of equal time, so no hash set over all rows is needed.
 */
#ifndef AUD_PREPARE_H
#define AUD_PREPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "intern.h"
#include "timeparse.h"

enum prep_column { PREP_CUSTOMER, PREP_PRODUCT, PREP_EVENT, PREP_TIME,
    PREP_NAME, PREP_CATEGORY, PREP_NCOLS };

/* The option naming each column, for messages. */
extern const char *const prep_column_option[PREP_NCOLS];

/* --keep-if COL=GLOB or --drop-if COL=GLOB: a glob as in fnmatch(3). */
struct prep_filter {
	const char *col;		/* a name, or a 1-based number */
	const char *glob;
	int keep;			/* keep-if: rows must match; else drop-if:
					   rows must not */
};

/* --event-map FROM=TO: an event named FROM (case and blanks aside) is TO. */
struct prep_event_map {
	const char *from, *to;
};

struct prep_params {
	const char *col[PREP_NCOLS];	/* a name or 1-based number; NULL:
					   the marketplace export's default
					   (no category column) */
	int no_header;			/* columns are named by number */
	int strict;			/* a row that would be dropped is an
					   error */
	const char *event_value;	/* every row's event, instead of a
					   column */
	struct time_format time_format;
	const char *time_format_arg;	/* as given, for the provenance */
	int64_t bot_threshold;		/* rows a UTC day; 0: no bot rule */
	const char *name;		/* the input's name, for messages */
	char delim;			/* the field separator, ',' by default */
	int whitespace;			/* instead: runs of blanks, no quotes */
	const struct prep_filter *filters;	/* rows kept or dropped by a
						   column's value, before any
						   cleaning */
	size_t nfilters;
	const struct prep_event_map *event_map;	/* the export's event names
						   to the ones aud knows */
	size_t nevent_map;
};

/* Why rows were dropped, in the order the checks run. */
enum prep_cause { PREP_NO_CUSTOMER, PREP_NO_PRODUCT, PREP_NO_EVENT,
    PREP_BAD_TIME, PREP_NCAUSES };

/* The first dropped row of a cause: its line and the offending field. */
struct prep_example {
	uint64_t line;			/* 0: no row had this cause */
	char value[96];			/* cut short, NUL-terminated */
};

struct prep_counts {
	uint64_t rows_read;
	uint64_t filtered;		/* by --keep-if and --drop-if */
	uint64_t dropped[PREP_NCAUSES];
	uint64_t duplicates, bot_rows, bot_customers;
	uint64_t written, customers, products;	/* after prep_write */
	int64_t first_time, last_time;		/* of the rows written */
};

struct prep;

/* A cleaning run of par (borrowed). Returns NULL with err filled when the
   parameters cannot work (an empty --event-value). */
struct prep *prep_new(const struct prep_params *par, char *err, size_t errlen);
void prep_free(struct prep *p);

/*
 * Reads and checks every row of in (size bytes if known, else 0); a
 * progress line goes to progress_fd unless it is -1. Returns 0, or -1 with
 * prep_error() set, or -2 when the error is the command line's (a filter
 * naming a column the header does not have).
 */
int prep_read(struct prep *p, FILE *in, uint64_t size, int progress_fd);

/*
 * --dry-run: writes to out the header (or first row), each column's role
 * and what the first nrows data rows become (their values as aud reads
 * them, or why they would be dropped), reading no further. Returns as
 * prep_read() does.
 */
int prep_dry_run(struct prep *p, FILE *in, FILE *out, size_t nrows);

/* Sorts the rows by time (ties in input order), then marks duplicates and
   bots. */
void prep_clean(struct prep *p);

/* Writes the stream of the kept rows. Returns 0, or -1 with errno set. */
int prep_write(struct prep *p, FILE *out);

/*
 * Writes the kept rows as nshards streams (1 to SHARD_MAX), out[s] getting
 * the rows of the customers of shard s (shard.h), in the same order, each
 * product's name and category with its first record in each shard. Each
 * header says which shard it is; its written counts are the shard's, the
 * others the run's. Returns 0, or -1 with errno set.
 */
int prep_write_shards(struct prep *p, FILE **out, uint32_t nshards);

const struct prep_counts *prep_counts(const struct prep *p);
/* The first BAD_TIME_SHOWN rows with a bad time and the first of each other
   cause: examples[cause][i], i < PREP_SHOWN (line 0 past the last). */
#define PREP_SHOWN 3
const struct prep_example *prep_examples(const struct prep *p,
    enum prep_cause cause);
const char *prep_error(const struct prep *p);

/*
 * After prep_clean: the main reason rows were dropped, the cause that took
 * the most, in words with its first example, e.g. 406829 of 406829 rows
 * have a bad time for --time-format 'iso' (first, line 2: "12/1/2010").
 * Returns 0, or -1 when no row was dropped (buf empty).
 */
int prep_main_cause(const struct prep *p, char *buf, size_t len);

/*
 * After prep_clean: when every time written falls before 1990 or from 2100
 * on, a warning that names the likely unit; else buf empty. Returns 1 when
 * it wrote one.
 */
int prep_implausible_times(const struct prep *p, char *buf, size_t len);

/*
 * For an append (append.h), which merges the rows read here into an
 * existing stream: after prep_clean, the k-th row in time order.
 */
struct prep_row {
	uint32_t customer, product;	/* indices in prep_customers() and
					   prep_products() */
	uint8_t event;			/* index for prep_event_name() */
	int64_t time;			/* ms since the epoch */
	uint8_t dropped;		/* 0 kept, 1 a duplicate, 2 a bot's */
};
size_t prep_nrows(const struct prep *p);
void prep_row(const struct prep *p, size_t k, struct prep_row *r);
/* Drops row k as a duplicate, or with bot set as a bot's; counts are the
   caller's. */
void prep_drop(struct prep *p, size_t k, int bot);
/* Whether the bot rule took customer (an index). */
int prep_is_bot(const struct prep *p, uint32_t customer);
struct intern *prep_customers(const struct prep *p);
struct intern *prep_products(const struct prep *p);
size_t prep_nevents(const struct prep *p);
const char *prep_event_name(const struct prep *p, size_t e);
/* Product's name (which 0) or category (1): the first non-empty one of the
   rows that passed the checks, or NULL. */
const char *prep_label(const struct prep *p, int which, uint32_t product);
int prep_has_category(const struct prep *p);
int64_t prep_bot_threshold(const struct prep *p);

/*
 * For --merge (pieces.h), which cleans pieces prepared apart as if their
 * exports had been read at once: instead of prep_read, the pieces' records
 * in the exports' order, their bots and the names only bots had, and their
 * counts; then prep_clean. has_category: the pieces have the field;
 * shard: their shard (index, count), or NULL.
 */
void prep_merge_begin(struct prep *p, int has_category, const uint32_t *shard);
struct prep_piece_row {
	const struct id *customer, *product;
	const char *event;		/* not NUL-terminated */
	size_t event_len;
	int64_t time;
	const char *name;		/* NULL or not NUL-terminated */
	size_t name_len;
	const char *category;
	size_t category_len;
};
/* Returns 0, or -1 with prep_error() set (too many ids, events or rows). */
int prep_merge_row(struct prep *p, const struct prep_piece_row *r);
/* A piece's event, which the dictionary keeps though no row be left. */
int prep_merge_event(struct prep *p, const char *event, size_t len);
int prep_merge_bot(struct prep *p, const struct id *customer);
int prep_merge_label(struct prep *p, const struct id *product, const char *name,
    size_t name_len, const char *category, size_t category_len);
/* Adds a piece's counts of rows read and dropped. */
void prep_merge_counts(struct prep *p, const struct prep_counts *c);

/* One interactions record; name and category NULL when absent. */
struct prep_record {
	const struct id *customer, *product;
	uint8_t event;			/* in the written dictionary */
	int64_t time;
	const char *name;		/* not NUL-terminated */
	size_t name_len;
	const char *category;
	size_t category_len;
};
struct stream_writer;
void prep_pack_record(struct stream_writer *w, const struct prep_record *r,
    int has_category);

/* A product only bots touched, and its labels (either may be NULL). */
struct prep_bot_label {
	struct id product;
	const char *name, *category;
};

/* What an interactions header says beyond the run's own options. */
struct prep_header {
	const char *const *events;	/* the event dictionary, sorted */
	size_t nevents;
	const struct prep_counts *counts;
	const uint32_t *shard;		/* index and count, or NULL */
	const char *appended_to;	/* --append's stream, or NULL */
	const struct id *bot_customers;	/* sorted by id_compare() */
	size_t nbot_customers;
	const struct prep_bot_label *bot_labels;	/* sorted by product */
	size_t nbot_labels;
};
void prep_write_header(const struct prep *p, struct stream_writer *w,
    const struct prep_header *h);
/* Sorts h's bot lists as the header keeps them. */
void prep_sort_bots(struct prep_header *h);

#endif
