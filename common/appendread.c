/*
 * The append's first read of the old stream (appendstate.h): which old
 * records have the new rows' customers and products, what they say of
 * them (old rows per customer and day, labels, rows repeated), and where
 * the second read must stop to decode a record. The stream is read in two
 * halves at once, joined in order; the result is the whole read's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "appendstate.h"
#include "intern.h"
#include "mpscan.h"
#include "parallel.h"
#include "prepare.h"
#include "prepared.h"
#include "rng.h"
#include "stream.h"
#include "xalloc.h"
#include "banned.h"

static uint64_t
id_hash(const struct id *id)
{
	return id->is_str ? XXH3_64bits(id->str, id->len) :
	    rng_mix((uint64_t)id->num);
}

/* Three bits of one word, from the hash's upper half: one cache line a look. */
static uint64_t
filter_bits(uint64_t h)
{
	return UINT64_C(1) << (h >> 32 & 63) | UINT64_C(1) << (h >> 40 & 63) |
	    UINT64_C(1) << (h >> 48 & 63);
}

void
append_filter_build(struct id_filter *f, const struct intern *t)
{
	size_t n = intern_count(t), words = 16;

	while (words * 64 < 16 * n)
		words *= 2;
	f->mask = words - 1;
	f->bits = xcalloc(words, sizeof(*f->bits));
	for (size_t i = 0; i < n; i++) {
		struct id id;
		uint64_t h;

		intern_get(t, (uint32_t)i, &id);
		h = id_hash(&id);
		f->bits[h & f->mask] |= filter_bits(h);
	}
}

static int
filter_has(const struct id_filter *f, uint64_t h)
{
	uint64_t want = filter_bits(h);

	return (f->bits[h & f->mask] & want) == want;
}

/*
 * The old records of a run are looked up together, so that the filters'
 * words and the tables' slots are fetched for all of them before any is
 * needed: one at a time, each look-up waited for memory.
 */
#define RUN 64

/*
 * The index in t of each record's customer (customers) or product, or
 * NONE, looked up only when f lets it through.
 */
static void
filtered_find_run(const struct id_filter *f, const struct intern *t,
    const struct prepared_record *o, size_t n, int customers, uint32_t *ix)
{
	uint64_t h[RUN];
	struct id passed[RUN];
	size_t at[RUN], npassed = 0;
	uint32_t found[RUN];

	for (size_t j = 0; j < n; j++) {
		h[j] = id_hash(customers ? &o[j].customer : &o[j].product);
		__builtin_prefetch(&f->bits[h[j] & f->mask]);
	}
	for (size_t j = 0; j < n; j++) {
		ix[j] = NONE;
		if (filter_has(f, h[j])) {
			passed[npassed] = customers ? o[j].customer :
			    o[j].product;
			at[npassed++] = j;
		}
	}
	if (npassed == 0)
		return;
	intern_find_many(t, passed, npassed, found);
	for (size_t x = 0; x < npassed; x++)
		ix[at[x]] = found[x];
}

/*
 * The first read's findings in a run of old records, the stream's or one of
 * its two halves' (read at once, then joined in order by join): what the
 * records say of the new rows' customers and products, and the plan of
 * the second read.
 */
struct half {
	struct app *a;
	struct stream_reader *r;
	uint64_t to;			/* where the next half starts, or 0 */
	int ended;			/* at to exactly, or at the trailer */
	uint64_t n;			/* records */
	uint64_t from;			/* where the first starts */
	uint8_t *mark;
	size_t mark_cap;
	struct stop *stops;
	size_t nstops, stops_cap;
	size_t plan_row, plan_first;	/* new rows before the last record,
					   and before the first */
	int64_t plan_time;		/* new row plan_row's time, or
					   INT64_MAX past the last */
	struct labelled prod;		/* P_OLD and labels per new product */
	uint32_t *old_rows;		/* per new customer */
	uint32_t *day_old;		/* per cell of a->days */
	uint32_t *repeated;		/* new rows an old record repeats */
	size_t nrepeated, repeated_cap;
	int64_t first_time, last_time;
	uint64_t records_to;		/* at the trailer */
	char fingerprint[STREAM_FINGERPRINT_LEN];
	char err[512];
};

/* New row k's time, or INT64_MAX past the last. */
static int64_t
new_row_time(const struct prep *p, size_t k)
{
	struct prep_row row;

	if (k >= prep_nrows(p))
		return INT64_MAX;
	prep_row(p, k, &row);
	return row.time;
}

static void
half_init(struct half *h, struct app *a, struct stream_reader *r, uint64_t to)
{
	memset(h, 0, sizeof(*h));
	h->a = a;
	h->r = r;
	h->to = to;
	append_labelled_init(&h->prod, a->np);
	h->old_rows = xcalloc(a->nc + 1, sizeof(*h->old_rows));
	h->day_old = xcalloc(a->day_mask + 2, sizeof(*h->day_old));
	h->plan_time = new_row_time(a->p, 0);
}

static void
half_free(struct half *h)
{
	stream_reader_free(h->r);
	free(h->mark);
	free(h->stops);
	append_labelled_free(&h->prod);
	free(h->old_rows);
	free(h->day_old);
	free(h->repeated);
}

/*
 * Plans record i (at offset) for the second read: a stop when a new row
 * goes before it, or when it is the first old record of new product
 * first_of (not NONE), which may take its labels (write_record decides).
 * A stop's end is the next record's offset. A half's first record is
 * noted as a stop too, until join knows what went before it.
 */
static void
plan(struct half *h, const struct prepared_record *o, uint64_t i,
    uint64_t offset, uint32_t first_of)
{
	int after_new = 0;

	if (h->nstops > 0 && h->stops[h->nstops - 1].index == i - 1)
		h->stops[h->nstops - 1].end = offset;
	/* New rows are in time order and go before old records of a later
	   time (write_new_before). */
	while (h->plan_time < o->time) {
		h->plan_time = new_row_time(h->a->p, ++h->plan_row);
		after_new = 1;
	}
	if (i == 0)
		h->plan_first = h->plan_row;
	if (!after_new && first_of == NONE && i > 0)
		return;
	h->stops = xgrow(h->stops, &h->stops_cap, h->nstops + 1,
	    sizeof(*h->stops));
	h->stops[h->nstops++] = (struct stop){ i, offset, 0, first_of,
	    after_new };
}

/*
 * Whether o, the first old record of new product pr, is written as it is:
 * it has every label, none was noted before it (from the old export's
 * bots), and no new row of pr goes before it to take them. Otherwise it
 * may change, and the second read decodes it.
 */
static int
keeps_bytes(const struct app *a, uint32_t pr, const struct prepared_record *o)
{
	for (int j = 0; j < 1 + a->has_category; j++)
		if (a->prod.label[j][pr] != NULL || o->label[j] == NULL ||
		    o->label[j]->via.str.size == 0)
			return 0;
	return a->first_new[pr] >= o->time;	/* equal times: old first */
}

/*
 * What record o, at offset, says of the new rows' customers and products;
 * c and pr are the indices of its customer and product among theirs, or
 * NONE.
 */
static void
survey(struct half *h, const struct prepared_record *o, uint64_t offset,
    uint32_t c, uint32_t pr)
{
	struct app *a = h->a;
	uint64_t i = h->n++;
	int first = pr != NONE && !(h->prod.flag[pr] & P_OLD);

	if (first && keeps_bytes(a, pr, o))
		h->prod.flag[pr] |= P_COPIED;
	plan(h, o, i, offset, first && !(h->prod.flag[pr] & P_COPIED) ? pr :
	    NONE);
	if (i == 0) {
		h->from = offset;
		h->first_time = o->time;
	}
	h->last_time = o->time;
	h->mark = xgrow(h->mark, &h->mark_cap, i + 1, 1);
	h->mark[i] = (c != NONE ? M_CUSTOMER : 0) |
	    (pr != NONE ? M_PRODUCT : 0) | (first ? M_FIRST : 0);
	if (pr != NONE) {
		h->prod.flag[pr] |= P_OLD;
		append_note_labels(&h->prod, pr, o);
	}
	if (c != NONE) {
		struct day_cell *d = append_day_cell(a, c, o->time, 0);

		h->old_rows[c]++;
		if (d != NULL)
			h->day_old[d - a->days]++;
	}
	if (c != NONE && pr != NONE) {
		uint32_t *k = append_dup_slot(a, c, pr,
		    a->remap_old[o->event], o->time);

		if (*k != 0) {
			h->repeated = xgrow(h->repeated, &h->repeated_cap,
			    h->nrepeated + 1, sizeof(*h->repeated));
			h->repeated[h->nrepeated++] = *k - 1;
		}
	}
}

/*
 * Reads a half's records: up to the record at h->to, which it checks for
 * time order but leaves to the next half, or to the trailer.
 */
static void
read_half(struct half *h)
{
	struct app *a = h->a;
	const msgpack_object *rec[RUN];
	uint64_t at[RUN];
	struct prepared_record o[RUN];
	uint32_t c[RUN], pr[RUN];
	int64_t previous = INT64_MIN;
	int got;

	while ((got = stream_read_many(h->r, rec, at, RUN, h->err,
	    sizeof(h->err))) > 0) {
		size_t n = 0;
		int at_to = 0;

		for (; n < (size_t)got; n++) {
			if (append_old_record(a, rec[n], previous, at[n],
			    &o[n], h->err, sizeof(h->err)) < 0)
				return;
			if (h->to != 0 && at[n] >= h->to) {
				h->ended = at[n] == h->to;
				at_to = 1;
				break;
			}
			previous = o[n].time;
		}
		filtered_find_run(&a->customer_filter, a->customers, o, n, 1,
		    c);
		filtered_find_run(&a->product_filter, a->products, o, n, 0,
		    pr);
		for (size_t j = 0; j < n; j++)
			survey(h, &o[j], at[j], c[j], pr[j]);
		if (at_to)
			return;
	}
	if (got == 0) {		/* at the trailer */
		const char *fp = stream_fingerprint(h->r);

		h->ended = h->to == 0;
		h->records_to = stream_offset(h->r);
		snprintf(h->fingerprint, sizeof(h->fingerprint), "%s",
		    fp != NULL ? fp : "");
	}
}

static void
read_halves(void *ctx, size_t from, size_t to, unsigned thread)
{
	struct half *h = ctx;

	(void)thread;
	for (size_t k = from; k < to; k++)
		read_half(&h[k]);
}

/*
 * Where a record seems to start near the middle of the old file, or 0: a
 * place from which SPLIT_CHECK records in a row decode as interactions
 * records in time order. Only a guess: the first half's reader, which
 * decodes from the start, must end exactly there (read_half). Any stream
 * with records enough is split, however small: it costs a thread, and
 * small streams (the tests') take the path large ones take.
 */
#define SPLIT_CHECK 8
#define SPLIT_WINDOW (1 << 16)

static uint64_t
guess_middle(struct app *a, const struct stream_reader *r)
{
	size_t nfields = stream_nfields(r);
	struct stat st;
	unsigned char *buf;
	msgpack_object *flat;
	uint64_t mid, found = 0;
	ssize_t n;

	if (fstat(fileno(a->old), &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size <= stream_records_start(r))
		return 0;
	mid = stream_records_start(r) +
	    ((uint64_t)st.st_size - stream_records_start(r)) / 2;
	buf = xmalloc(SPLIT_WINDOW);
	flat = xcalloc(nfields, sizeof(*flat));
	n = pread(fileno(a->old), buf, SPLIT_WINDOW, (off_t)mid);
	for (size_t at = 0; n > 0 && at < (size_t)n && found == 0; at++) {
		size_t p = at, k;
		int64_t previous = INT64_MIN;

		for (k = 0; k < SPLIT_CHECK; k++) {
			size_t len = mpscan_record(buf + p, (size_t)n - p, flat,
			    nfields);
			msgpack_object rec = { .type = MSGPACK_OBJECT_ARRAY };
			struct prepared_record o;

			rec.via.array.size = (uint32_t)nfields;
			rec.via.array.ptr = flat;
			if (len == 0 || prepared_record(&a->old_head, &rec,
			    previous, &o) != NULL)
				break;
			previous = o.time;
			p += len;
		}
		if (k == SPLIT_CHECK)
			found = mid + at;
	}
	free(buf);
	free(flat);
	return found;
}

/* The old file opened again, for the second half: the same file. */
static FILE *
open_again(struct app *a)
{
	char path[64];
	struct stat was, is;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fileno(a->old));
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fstat(fileno(a->old), &was) < 0 || fstat(fileno(f), &is) < 0 ||
	    was.st_dev != is.st_dev || was.st_ino != is.st_ino) {
		fclose(f);
		return NULL;
	}
	return f;
}

/* Adds the half's stops after the app's, each as of record index first. */
static void
join_stops(struct app *a, struct half *h, uint64_t first, size_t new_before)
{
	for (size_t s = 0; s < h->nstops; s++) {
		struct stop st = h->stops[s];

		st.index += first;
		/* Its first record: a new row goes before it if one goes after
		   the record before it; it is its product's first if no half
		   before had the product. */
		if (st.index == first && first > 0)
			st.after_new = h->plan_first > new_before;
		if (st.first_of != NONE &&
		    (a->prod.flag[st.first_of] & P_OLD)) {
			a->mark[st.index] &= (uint8_t)~M_FIRST;
			st.first_of = NONE;
		}
		if (!st.after_new && st.first_of == NONE)
			continue;	/* copied as it is */
		a->stops = xgrow(a->stops, &a->stops_cap, a->nstops + 1,
		    sizeof(*a->stops));
		a->stops[a->nstops++] = st;
	}
}

/* Takes in a half's findings, after those of the halves before it. */
static void
join(struct app *a, struct half *h, size_t new_before)
{
	uint64_t first = a->nrecords;

	if (h->n == 0)
		return;
	if (first == 0) {	/* its marks become the app's, not a copy */
		a->records_from = h->from;
		a->old_first = h->first_time;
		free(a->mark);
		a->mark = h->mark;
		a->mark_cap = h->mark_cap;
		h->mark = NULL;
	} else {
		if (a->nstops > 0 && a->stops[a->nstops - 1].index == first - 1)
			a->stops[a->nstops - 1].end = h->from;
		a->mark = xgrow(a->mark, &a->mark_cap, first + h->n, 1);
		memcpy(a->mark + first, h->mark, h->n);
	}
	a->old_last = h->last_time;
	a->nrecords += h->n;
	join_stops(a, h, first, new_before);
	for (size_t pr = 0; pr < a->np; pr++) {
		if (!(h->prod.flag[pr] & P_OLD))
			continue;
		/* The half with its first old record says how it is written. */
		if (!(a->prod.flag[pr] & P_OLD))
			a->prod.flag[pr] |= h->prod.flag[pr] & P_COPIED;
		a->prod.flag[pr] |= P_OLD | P_OLD_KEPT;
		for (int j = 0; j < 2; j++) {
			char **l = &h->prod.label[j][pr];

			/* The first non-empty label in input order: the old
			   bots', then the halves' in turn. */
			if (*l != NULL && a->prod.label[j][pr] == NULL) {
				a->prod.label[j][pr] = *l;
				*l = NULL;
			}
		}
	}
	for (size_t c = 0; c < a->nc; c++)
		a->old_rows[c] += h->old_rows[c];
	for (size_t d = 0; d <= a->day_mask; d++)
		a->days[d].old += h->day_old[d];
	/* The new row goes: the old came first. An old stream holds no two
	   equal records, so none is found twice. */
	for (size_t k = 0; k < h->nrepeated; k++) {
		struct prep_row row;

		prep_row(a->p, h->repeated[k], &row);
		if (!row.dropped) {
			prep_drop(a->p, h->repeated[k], 0);
			append_day_cell(a, row.customer, row.time, 0)->fresh--;
		}
	}
}

/* Takes in the halves read, or reports the first one's error. */
static int
take(struct app *a, struct half *h, size_t n)
{
	size_t new_before = 0;

	for (size_t k = 0; k < n; k++)
		if (h[k].err[0] != '\0') {
			snprintf(a->err, a->errlen, "%s", h[k].err);
			return -1;
		}
	if (n == 2 && stream_check_count(h[1].r, h[0].n + h[1].n, a->err,
	    a->errlen) < 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		join(a, &h[k], new_before);
		new_before = h[k].plan_row;
	}
	a->records_to = h[n - 1].records_to;
	memcpy(a->fingerprint, h[n - 1].fingerprint, sizeof(a->fingerprint));
	return 0;
}

/*
 * The first read: what the new rows' customers and products had before.
 * A large stream is read in two halves at once, split at a guess that the
 * first half checks; when the guess was wrong, it is read again whole.
 * Returns 0, or -1 with a->err filled.
 */
int
append_first_read(struct app *a)
{
	struct half h[2];
	struct stream_reader *r, *second = NULL;
	uint64_t middle;
	FILE *again = NULL;
	int ret;

	if (append_open_old(a, &r) < 0)
		return -1;
	middle = guess_middle(a, r);
	if (middle != 0 && (again = open_again(a)) != NULL)
		second = stream_reader_part(r, again, middle, a->err,
		    a->errlen);
	if (second != NULL) {
		stream_reader_first_part(r);
		half_init(&h[0], a, r, middle);
		half_init(&h[1], a, second, 0);
		parallel_for(2, 1, 2, read_halves, h);
		if (h[0].ended || h[0].err[0] != '\0') {
			ret = take(a, h, h[0].ended ? 2 : 1);
			half_free(&h[0]);
			half_free(&h[1]);
			fclose(again);
			return ret;
		}
		half_free(&h[0]);	/* a wrong guess: read it whole */
		half_free(&h[1]);
		if (append_open_old(a, &r) < 0) {
			fclose(again);
			return -1;
		}
	}
	if (again != NULL)
		fclose(again);
	half_init(&h[0], a, r, 0);
	read_half(&h[0]);
	ret = take(a, h, 1);
	half_free(&h[0]);
	return ret;
}

