/*
 * What the append's two modules share (append.h): the state of one append,
 * and the helpers the first read (appendread.c) takes from the rest
 * (append.c). For those two files only.
 */
#ifndef AUD_APPENDSTATE_H
#define AUD_APPENDSTATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "intern.h"
#include "prepare.h"
#include "prepared.h"
#include "stream.h"

#define MAX_EVENTS 255
#define NONE UINT32_MAX

/*
 * Which ids the new rows have, as three bits set in a word chosen by a hash
 * of each, 16 bits an id (a blocked Bloom filter): an old record's id is
 * looked up in the table only when its bits are set, which for an id the
 * new rows lack happens about once in 150 (measured at 50M rows). Most ids
 * are not the new rows', a miss in a table three quarters full probes many
 * slots, and the bits fit in cache.
 */
struct id_filter {
	uint64_t *bits;
	uint64_t mask;
};

/* Per new customer (an old one has old_rows). */
enum { C_KNOWN_BOT = 1, C_BOT = 2, C_KEPT = 4 };
/* Per new product, and per product of a customer who became a bot. */
enum { P_OLD = 1, P_OLD_KEPT = 2, P_KEPT = 4, P_SEEN = 8, P_COPIED = 16 };
/* Per old record: which of its ids the new rows have. */
enum { M_CUSTOMER = 1, M_PRODUCT = 2, M_FIRST = 4 };

/* A customer's rows on one day the new rows touch, old and new. */
struct day_cell {
	uint64_t key;		/* customer << 32 | day; 0 empty, so +1 */
	uint32_t old, fresh;
};

/* Products with labels: the first non-empty name and category seen. */
struct labelled {
	struct intern *ids;	/* NULL: indices are the new rows' products */
	uint8_t *flag;
	char **label[2];
	size_t n;
};

struct app {
	struct prep *p;
	struct intern *customers, *products;	/* the new rows' */
	struct id_filter customer_filter, product_filter;
	size_t nc, np;
	uint8_t *cflag;
	uint32_t *old_rows;		/* per new customer */
	int64_t *first_new;		/* per new product: its first new
					   row's time */
	struct labelled prod;		/* the new rows' products */
	struct labelled lost;		/* products of customers who became
					   bots, when there are any */
	int has_category;
	FILE *old;
	const char *old_name;
	char *err;
	size_t errlen;

	struct stream_reader *head;	/* the first read, kept for its
					   header */
	struct prepared old_head;	/* what it says, borrowed from
					   head */
	struct prep_counts count;	/* the old stream's, then the
					   result's */

	const char *events[MAX_EVENTS];	/* the dictionary written, sorted */
	size_t nevents;
	uint8_t remap_old[MAX_EVENTS], remap_new[MAX_EVENTS];
	int same_events;		/* old records keep their indices */

	struct day_cell *days;
	size_t day_mask;
	uint32_t *dup;			/* new row + 1 by content; 0 empty */
	size_t dup_mask;

	uint8_t *mark;			/* per old record */
	size_t mark_cap;
	uint64_t nrecords;

	/* The second read's plan, made by the first: the old records it
	   cannot copy as they are (a new product's first, one a new row
	   goes before), in order, and where the records lie in the file. */
	struct stop {
		uint64_t index, offset, end;
		uint32_t first_of;	/* the new product it is the first
					   old record of, or NONE */
		int after_new;		/* a new row goes before it */
	} *stops;
	size_t nstops, stops_cap;
	uint64_t records_from, records_to;
	char fingerprint[STREAM_FINGERPRINT_LEN];	/* the old records' */
	int old_kept;			/* whether an old record stays */
	int64_t old_first, old_last;	/* of the records kept */
	size_t turned;			/* old customers who became bots */
	struct stream_writer *w;	/* while writing, */
	size_t next_row;		/* and the next new row to write */
};

/* append.c */

/* The cell of customer's rows on time's day; NULL when absent and !add. */
struct day_cell *append_day_cell(struct app *a, uint32_t customer,
    int64_t time, int add);
/* The kept new row equal to these values, as a slot of a->dup. */
uint32_t *append_dup_slot(struct app *a, uint32_t customer, uint32_t product,
    uint8_t event, int64_t time);
/* A reader of the old stream from its start; -1 with a->err filled. */
int append_open_old(struct app *a, struct stream_reader **r);
/*
 * Checks rec, the old record at byte at after one of time previous, into
 * o; 0, or -1 with err naming the byte and what is wrong.
 */
int append_old_record(const struct app *a, const msgpack_object *rec,
    int64_t previous, uint64_t at, struct prepared_record *o, char *err,
    size_t errlen);
/* Keeps o's labels for product at, the first non-empty of each. */
void append_note_labels(struct labelled *l, uint32_t at,
    const struct prepared_record *o);
void append_labelled_init(struct labelled *l, size_t n);
void append_labelled_free(struct labelled *l);

/* appendread.c */

/* Sets f's bits for every id of t. */
void append_filter_build(struct id_filter *f, const struct intern *t);
/*
 * The first read of the old stream: what it says of the new rows'
 * customers and products, and the plan of the second read, into a.
 * Returns 0, or -1 with a->err filled.
 */
int append_first_read(struct app *a);

#endif
