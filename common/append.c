/*
 * aud-prepare --append: see append.h. The cleaning rules are prepare.c's,
 * applied across the boundary: a new row equal to an old one is a
 * duplicate (the old came first in input order); a customer with more than
 * the threshold of rows in a UTC day, old and new together, is a bot, and
 * all of a bot's rows go; a product's name is the first non-empty one in
 * input order, the old export's before the new one's. At equal times old
 * records come before new rows, as the old export's rows came first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "append.h"
#include "appendstate.h"
#include "intern.h"
#include "prepare.h"
#include "prepared.h"
#include "rng.h"
#include "stream.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

static int
fail(struct app *a, const char *fmt, const char *what)
{
	snprintf(a->err, a->errlen, fmt, a->old_name, what);
	return -1;
}

static size_t
table_size(size_t n)
{
	size_t size = 16;

	while (size < 2 * n)
		size *= 2;
	return size;
}

struct day_cell *
append_day_cell(struct app *a, uint32_t customer, int64_t time, int add)
{
	uint64_t key = ((uint64_t)customer << 32 |
	    (uint32_t)(int32_t)time_day(time)) + 1;

	for (size_t i = rng_mix(key) & a->day_mask;;
	    i = (i + 1) & a->day_mask) {
		if (a->days[i].key == key)
			return &a->days[i];
		if (a->days[i].key == 0) {
			if (!add)
				return NULL;
			a->days[i].key = key;
			return &a->days[i];
		}
	}
}

static uint64_t
dup_hash(uint32_t customer, uint32_t product, uint8_t event, int64_t time)
{
	unsigned char key[17];

	memcpy(key, &customer, 4);
	memcpy(key + 4, &product, 4);
	memcpy(key + 8, &time, 8);
	key[16] = event;
	return XXH3_64bits(key, sizeof(key));
}

uint32_t *
append_dup_slot(struct app *a, uint32_t customer, uint32_t product,
    uint8_t event, int64_t time)
{
	for (size_t i = dup_hash(customer, product, event, time) & a->dup_mask;;
	    i = (i + 1) & a->dup_mask) {
		struct prep_row r;

		if (a->dup[i] == 0)
			return &a->dup[i];
		prep_row(a->p, a->dup[i] - 1, &r);
		if (r.customer == customer && r.product == product &&
		    a->remap_new[r.event] == event && r.time == time)
			return &a->dup[i];
	}
}

/* Indexes the kept new rows by content and by customer and day. */
static void
index_new_rows(struct app *a)
{
	size_t n = prep_nrows(a->p);

	a->day_mask = table_size(n) - 1;
	a->days = xcalloc(a->day_mask + 1, sizeof(*a->days));
	a->dup_mask = table_size(n) - 1;
	a->dup = xcalloc(a->dup_mask + 1, sizeof(*a->dup));
	a->first_new = xmalloc((a->np + 1) * sizeof(*a->first_new));
	for (size_t q = 0; q < a->np; q++)
		a->first_new[q] = INT64_MAX;
	for (size_t k = 0; k < n; k++) {
		struct prep_row r;

		prep_row(a->p, k, &r);
		if (r.dropped)
			continue;
		append_day_cell(a, r.customer, r.time, 1)->fresh++;
		if (r.time < a->first_new[r.product])
			a->first_new[r.product] = r.time;
		*append_dup_slot(a, r.customer, r.product,
		    a->remap_new[r.event], r.time) = (uint32_t)k + 1;
	}
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The written dictionary: the old one's events and the new rows', sorted. */
static int
merge_events(struct app *a)
{
	const msgpack_object_array *old = &a->old_head.events->via.array;
	size_t nnew = prep_nevents(a->p);

	a->nevents = 0;
	for (size_t i = 0; i < old->size; i++) {
		const msgpack_object *o = &old->ptr[i];

		a->events[a->nevents++] = xstrndup(o->via.str.ptr,
		    o->via.str.size);
	}
	for (size_t e = 0; e < nnew; e++) {
		const char *name = prep_event_name(a->p, e);
		size_t i;

		for (i = 0; i < old->size && strcmp(a->events[i], name) != 0;
		    i++)
			;
		if (i < old->size)
			continue;
		if (a->nevents == MAX_EVENTS)
			return fail(a, "%s: more than 255 distinct events "
			    "with the new rows%s", "");
		a->events[a->nevents++] = xstrndup(name, strlen(name));
	}
	qsort(a->events, a->nevents, sizeof(*a->events), cmp_str);
	a->same_events = 1;
	for (size_t i = 0; i < old->size; i++) {
		char *name = xstrndup(old->ptr[i].via.str.ptr,
		    old->ptr[i].via.str.size);
		const char **at = bsearch(&name, a->events, a->nevents,
		    sizeof(*a->events), cmp_str);
		free(name);
		a->remap_old[i] = (uint8_t)(at - a->events);
		a->same_events &= a->remap_old[i] == i;
	}
	for (size_t e = 0; e < nnew; e++) {
		const char *name = prep_event_name(a->p, e);
		const char **at = bsearch(&name, a->events, a->nevents,
		    sizeof(*a->events), cmp_str);

		a->remap_new[e] = (uint8_t)(at - a->events);
	}
	return 0;
}

/* The old stream's counts, and whether it can be appended to. */
static int
read_old_header(struct app *a)
{
	struct prepared *h = &a->old_head;
	char buf[32];

	if (prepared_header(a->head, h, a->err, a->errlen) < 0)
		return -1;
	if (h->has_category != a->has_category)
		return fail(a, "%s: %s", h->has_category ? "has categories, "
		    "the new rows none (give --category-col)" : "has no "
		    "categories, the new rows have them (--category-col)");
	if (h->shard[1] > 0)
		return fail(a, "%s: %s", "is one shard: append to the stream "
		    "of all customers");
	if (h->bot_threshold != (uint64_t)prep_bot_threshold(a->p)) {
		snprintf(buf, sizeof(buf), "%llu",
		    (unsigned long long)h->bot_threshold);
		return fail(a, "%s: prepared with --bot-threshold %s: append "
		    "with the same", buf);
	}
	a->count = h->counts;
	return 0;
}

int
append_open_old(struct app *a, struct stream_reader **r)
{
	if (fseeko(a->old, 0, SEEK_SET) < 0)
		return fail(a, "%s: %s", "not a regular file (it is read more "
		    "than once)");
	*r = stream_reader_open(a->old, a->old_name, a->err, a->errlen);
	return *r != NULL ? 0 : -1;
}

int
append_old_record(const struct app *a, const msgpack_object *rec,
    int64_t previous, uint64_t at, struct prepared_record *o, char *err,
    size_t errlen)
{
	const char *wrong = prepared_record(&a->old_head, rec, previous, o);

	if (wrong == NULL)
		return 0;
	snprintf(err, errlen, "%s: byte %llu: %s", a->old_name,
	    (unsigned long long)at, wrong);
	return -1;
}

/*
 * Reads every old record, calling each(a, record, its index, the reader)
 * on it; stops at the first call that returns -1.
 */
static int
each_old(struct app *a, int (*each)(struct app *,
    const struct prepared_record *, uint64_t, struct stream_reader *))
{
	struct stream_reader *r;
	const msgpack_object *rec;
	struct prepared_record o;
	int64_t previous = INT64_MIN;
	uint64_t i = 0;
	int got;

	if (append_open_old(a, &r) < 0)
		return -1;
	while ((got = stream_read(r, &rec, a->err, a->errlen)) == 1) {
		if (append_old_record(a, rec, previous, stream_offset(r), &o,
		    a->err, a->errlen) < 0 || each(a, &o, i++, r) < 0) {
			stream_reader_free(r);
			return -1;
		}
		previous = o.time;
	}
	stream_reader_free(r);
	return got;
}

/* Keeps the first non-empty label of a product. */
static void
note_label(struct labelled *l, uint32_t at, int which, const char *s,
    size_t len)
{
	if (l->label[which][at] == NULL && len > 0)
		l->label[which][at] = xstrndup(s, len);
}

void
append_note_labels(struct labelled *l, uint32_t at,
    const struct prepared_record *o)
{
	for (int j = 0; j < 2; j++)
		if (o->label[j] != NULL)
			note_label(l, at, j, o->label[j]->via.str.ptr,
			    o->label[j]->via.str.size);
}

void
append_labelled_init(struct labelled *l, size_t n)
{
	l->n = n;
	l->flag = xcalloc(n + 1, 1);
	for (int j = 0; j < 2; j++)
		l->label[j] = xcalloc(n + 1, sizeof(char *));
}

void
append_labelled_free(struct labelled *l)
{
	for (int j = 0; j < 2; j++) {
		for (size_t i = 0; i < l->n; i++)
			free(l->label[j][i]);
		free(l->label[j]);
	}
	free(l->flag);
	intern_free(l->ids);
}

/* Bots: known before, made by the new rows alone, or by both on a day. */
static void
find_bots(struct app *a)
{
	const msgpack_object *ids = a->old_head.bot_ids;
	uint64_t threshold = (uint64_t)prep_bot_threshold(a->p);

	for (size_t i = 0; i < ids->via.array.size; i++) {
		struct id id;
		uint32_t c;

		stream_get_id(&ids->via.array.ptr[i], &id);
		if ((c = intern_find(a->customers, &id)) != NONE)
			a->cflag[c] |= C_KNOWN_BOT | C_BOT;
	}
	for (size_t c = 0; c < a->nc; c++)
		if (prep_is_bot(a->p, (uint32_t)c))
			a->cflag[c] |= C_BOT;
	for (size_t i = 0; threshold > 0 && i <= a->day_mask; i++)
		if (a->days[i].key != 0 &&
		    (uint64_t)a->days[i].old + a->days[i].fresh > threshold)
			a->cflag[(a->days[i].key - 1) >> 32] |= C_BOT;
}

/* Drops the bots' new rows and counts what the new rows leave. */
static void
count_new(struct app *a)
{
	const struct prep_counts *n = prep_counts(a->p);
	struct prep_counts *c = &a->count;
	size_t rows = prep_nrows(a->p);
	int64_t first = INT64_MAX, last = INT64_MIN;

	c->rows_read += n->rows_read;
	c->filtered += n->filtered;
	for (int i = 0; i < PREP_NCAUSES; i++)
		c->dropped[i] += n->dropped[i];
	for (size_t k = 0; k < rows; k++) {
		struct prep_row r;

		prep_row(a->p, k, &r);
		if (!r.dropped && (a->cflag[r.customer] & C_BOT)) {
			prep_drop(a->p, k, 1);
			r.dropped = 2;
		}
		if (r.dropped == 1)
			c->duplicates++;
		else if (r.dropped == 2)
			c->bot_rows++;
		else {
			c->written++;
			a->cflag[r.customer] |= C_KEPT;
			a->prod.flag[r.product] |= P_KEPT;
			if (r.time < first)
				first = r.time;
			last = r.time;
		}
	}
	for (size_t i = 0; i < a->nc; i++) {
		uint8_t f = a->cflag[i];
		int old = a->old_rows[i] > 0;

		if ((f & C_BOT) && !(f & C_KNOWN_BOT))
			c->bot_customers++;
		if ((f & C_BOT) && old) {	/* an old one goes */
			a->turned++;
			c->bot_rows += a->old_rows[i];
			c->written -= a->old_rows[i];
			c->customers--;
		}
		if ((f & C_KEPT) && !old)
			c->customers++;
	}
	for (size_t i = 0; i < a->np; i++)
		if ((a->prod.flag[i] & P_KEPT) && !(a->prod.flag[i] & P_OLD))
			c->products++;
	a->count.first_time = first;
	a->count.last_time = last;
}

/* Whether an old record's customer is one the new rows made a bot. */
static int
turned(const struct app *a, const struct prepared_record *o, uint64_t i)
{
	uint32_t c;

	if (!(a->mark[i] & M_CUSTOMER))
		return 0;
	c = intern_find(a->customers, &o->customer);
	return (a->cflag[c] & C_BOT) != 0;
}

static int
collect_lost(struct app *a, const struct prepared_record *o, uint64_t i,
    struct stream_reader *r)
{
	(void)r;
	if (turned(a, o, i) && !(a->mark[i] & M_PRODUCT))
		intern_add(a->lost.ids, &o->product, NULL);
	return 0;
}

static int
keep_lost(struct app *a, const struct prepared_record *o, uint64_t i,
    struct stream_reader *r)
{
	uint32_t l = intern_find(a->lost.ids, &o->product);
	int gone = turned(a, o, i);

	(void)r;
	if (!gone) {
		if (a->old_first == INT64_MAX)
			a->old_first = o->time;
		a->old_last = o->time;
		if (a->mark[i] & M_PRODUCT)
			a->prod.flag[intern_find(a->products, &o->product)] |=
			    P_OLD_KEPT;
	}
	if (l == NONE)
		return 0;
	append_note_labels(&a->lost, l, o);
	if (!gone)
		a->lost.flag[l] |= P_OLD_KEPT;
	return 0;
}

/*
 * When the new rows make bots of old customers, their old rows go: two
 * more reads find the products that had old rows only from them, and the
 * times of the old rows that stay.
 */
static int
drop_turned(struct app *a)
{
	a->lost.ids = intern_new();
	if (each_old(a, collect_lost) < 0)
		return -1;
	append_labelled_init(&a->lost, intern_count(a->lost.ids));
	for (size_t i = 0; i < a->np; i++)
		a->prod.flag[i] &= (uint8_t)~P_OLD_KEPT;
	a->old_first = INT64_MAX;
	if (each_old(a, keep_lost) < 0)
		return -1;
	for (size_t i = 0; i < a->np; i++)	/* had old rows, keep none */
		if ((a->prod.flag[i] & (P_OLD | P_OLD_KEPT | P_KEPT)) == P_OLD)
			a->count.products--;
	for (size_t l = 0; l < a->lost.n; l++)
		if (!(a->lost.flag[l] & P_OLD_KEPT))
			a->count.products--;
	if (a->old_first == INT64_MAX)	/* none of the old rows stays */
		a->old_kept = 0;
	return 0;
}

/* The written stream's first and last times, from the old and new rows kept. */
static void
span(struct app *a)
{
	struct prep_counts *c = &a->count;

	if (a->old_kept) {
		if (a->old_first < c->first_time)
			c->first_time = a->old_first;
		if (a->old_last > c->last_time)
			c->last_time = a->old_last;
	}
	if (c->written == 0)
		c->first_time = c->last_time = 0;
}

/* A new product's name (which 0) or category: the old stream's first. */
static const char *
label_of(const struct app *a, uint32_t pr, int which)
{
	const char *old = a->prod.label[which][pr];

	return old != NULL ? old : prep_label(a->p, which, pr);
}

static void
add_label(struct prep_header *h, size_t *cap, const struct id *product,
    const char *name, const char *category)
{
	struct prep_bot_label *l;

	if (name == NULL && category == NULL)
		return;
	h->bot_labels = xgrow((void *)h->bot_labels, cap, h->nbot_labels + 1,
	    sizeof(*h->bot_labels));
	l = (struct prep_bot_label *)&h->bot_labels[h->nbot_labels++];
	l->product = *product;
	l->name = name;
	l->category = category;
}

static const char *
label_text(const msgpack_object *o, char **copy)
{
	if (o == NULL)
		return NULL;
	return *copy = xstrndup(o->via.str.ptr, o->via.str.size);
}

/*
 * The header's bot lists: the old ones with the new rows' bots, and the
 * products no kept row carries. The old list's labels come first (input
 * order); copies of its strings are added to strings, freed by the caller.
 */
static void
list_bots(struct app *a, struct prep_header *h, char ***strings, size_t *ns)
{
	const msgpack_object *ids = a->old_head.bot_ids;
	size_t nids = ids->via.array.size;
	size_t nlabels = a->old_head.bot_labels->via.array.size;
	size_t cap = 0, n = 0;
	struct id *bots = xmalloc((nids + a->nc + 1) * sizeof(*bots));

	for (size_t i = 0; i < nids; i++)
		stream_get_id(&ids->via.array.ptr[i], &bots[n++]);
	for (size_t c = 0; c < a->nc; c++)
		if ((a->cflag[c] & C_BOT) && !(a->cflag[c] & C_KNOWN_BOT))
			intern_get(a->customers, (uint32_t)c, &bots[n++]);
	h->bot_customers = bots;
	h->nbot_customers = n;

	*strings = xcalloc(2 * nlabels + 1, sizeof(char *));
	*ns = 0;
	for (size_t i = 0; i < nlabels; i++) {
		const msgpack_object *name, *category;
		const char *n0, *c0;
		struct id product;

		prepared_bot_label(&a->old_head, i, &product, &name, &category);
		/* A new product's labels go below, with its rows. */
		if (intern_find(a->products, &product) != NONE)
			continue;
		n0 = label_text(name, &(*strings)[*ns]);
		*ns += n0 != NULL;
		c0 = label_text(category, &(*strings)[*ns]);
		*ns += c0 != NULL;
		add_label(h, &cap, &product, n0, c0);
	}
	for (size_t pr = 0; pr < a->np; pr++) {
		uint8_t f = a->prod.flag[pr];
		struct id product;

		if ((f & P_KEPT) || (f & P_OLD_KEPT))
			continue;
		intern_get(a->products, (uint32_t)pr, &product);
		add_label(h, &cap, &product, label_of(a, (uint32_t)pr, 0),
		    label_of(a, (uint32_t)pr, 1));
	}
	for (size_t l = 0; a->lost.ids != NULL && l < a->lost.n; l++) {
		struct id product;

		if (a->lost.flag[l] & P_OLD_KEPT)
			continue;
		intern_get(a->lost.ids, (uint32_t)l, &product);
		add_label(h, &cap, &product, a->lost.label[0][l],
		    a->lost.label[1][l]);
	}
	prep_sort_bots(h);
}

/* The old labels of new products that only bots had touched before. */
static void
old_bot_labels(struct app *a)
{
	for (size_t i = 0; i < a->old_head.bot_labels->via.array.size; i++) {
		const msgpack_object *label[2];
		struct id product;
		uint32_t pr;

		prepared_bot_label(&a->old_head, i, &product, &label[0],
		    &label[1]);
		if ((pr = intern_find(a->products, &product)) == NONE)
			continue;
		for (int j = 0; j < 2; j++)
			if (label[j] != NULL)
				note_label(&a->prod, pr, j,
				    label[j]->via.str.ptr,
				    label[j]->via.str.size);
	}
}

/* Packs a record whose labels go with a product's first written record. */
static void
write_labelled(struct app *a, const struct id *customer,
    const struct id *product, uint8_t event, int64_t time, uint8_t *flag,
    const char *name, const char *category)
{
	int first = !(*flag & P_SEEN);

	*flag |= P_SEEN;
	prep_pack_record(a->w, &(struct prep_record){ customer, product, event,
	    time, first ? name : NULL, first && name ? strlen(name) : 0,
	    first ? category : NULL, first && category ? strlen(category) : 0 },
	    a->has_category);
}

/* Writes the new rows before time (or all, at INT64_MAX). */
static void
write_new_before(struct app *a, int64_t time)
{
	for (; a->next_row < prep_nrows(a->p); a->next_row++) {
		struct prep_row r;
		struct id customer, product;

		prep_row(a->p, a->next_row, &r);
		if (r.time >= time && time != INT64_MAX)
			return;
		if (r.dropped)
			continue;
		intern_get(a->customers, r.customer, &customer);
		intern_get(a->products, r.product, &product);
		write_labelled(a, &customer, &product, a->remap_new[r.event],
		    r.time, &a->prod.flag[r.product],
		    label_of(a, r.product, 0), label_of(a, r.product, 1));
	}
}

/* Writes old record i, o, whose bytes are raw (or NULL, not at hand). */
static void
write_record(struct app *a, const struct prepared_record *o, uint64_t i,
    const unsigned char *raw, size_t len)
{
	uint8_t event = a->remap_old[o->event];
	uint32_t l;

	write_new_before(a, o->time);	/* equal times: old first */
	if (turned(a, o, i))
		return;
	/* A new product's name goes with its first record written, a new row
	   or its first old record, unless bots took that: its later old
	   records carry none and need none. A first old record that keeps
	   its labels is written as it is (write_all). */
	if (a->mark[i] & (a->turned > 0 ? M_PRODUCT : M_FIRST)) {
		uint32_t pr = intern_find(a->products, &o->product);

		if (a->turned > 0 || !(a->prod.flag[pr] & P_COPIED)) {
			write_labelled(a, &o->customer, &o->product, event,
			    o->time, &a->prod.flag[pr], label_of(a, pr, 0),
			    label_of(a, pr, 1));
			return;
		}
	}
	if (a->lost.ids != NULL &&
	    (l = intern_find(a->lost.ids, &o->product)) != NONE) {
		write_labelled(a, &o->customer, &o->product, event, o->time,
		    &a->lost.flag[l], a->lost.label[0][l], a->lost.label[1][l]);
		return;
	}
	if (a->same_events && raw != NULL) {
		stream_write_record(a->w, raw, len);
		return;
	}
	prep_pack_record(a->w, &(struct prep_record){ &o->customer, &o->product,
	    event, o->time,
	    o->label[0] ? o->label[0]->via.str.ptr : NULL,
	    o->label[0] ? o->label[0]->via.str.size : 0,
	    o->label[1] ? o->label[1]->via.str.ptr : NULL,
	    o->label[1] ? o->label[1]->via.str.size : 0 }, a->has_category);
}

static int
write_old(struct app *a, const struct prepared_record *o, uint64_t i,
    struct stream_reader *r)
{
	size_t len;
	const unsigned char *raw = stream_record_bytes(r, &len);

	write_record(a, o, i, raw, len);
	return 0;
}

/* Whether the second read can follow the plan: every record not a stop
   is then copied as it is. */
static int
plannable(const struct app *a)
{
	return a->turned == 0 && a->lost.ids == NULL && a->same_events &&
	    a->fingerprint[0] != '\0';
}

/*
 * Copies the old file's next bytes up to offset to (from: where it is),
 * records old records, to the output, hashing them into h. Returns 0, or
 * -1 when the file no longer has them.
 */
static int
copy_records(struct app *a, uint64_t from, uint64_t to, uint64_t records,
    XXH3_state_t *h, unsigned char *buf, size_t cap)
{
	/* Long runs are copied by the kernel, faster than reading and
	   writing them here; a short one is not worth waiting for the
	   writer. */
	if (to - from >= cap) {
		int got = stream_copy_records(a->w, fileno(a->old), from,
		    to - from, records, h);

		if (got <= 0)
			return got == 0 && fseeko(a->old, (off_t)to,
			    SEEK_SET) == 0 ? 0 : -1;
	}
	for (int counted = 0; from < to; counted = 1) {
		size_t want = to - from < cap ? (size_t)(to - from) : cap;

		if (fread(buf, 1, want, a->old) != want)
			return -1;
		XXH3_64bits_update(h, buf, want);
		stream_write_records(a->w, buf, want, counted ? 0 : records);
		from += want;
	}
	return 0;
}

/*
 * The second read by the first's plan, in one sweep of the file: the
 * bytes between stops copied without decoding a record, each stop decoded
 * and written as write_old would. The old records' fingerprint is checked
 * again, so that a file changed since the first read is refused, not
 * copied.
 */
static int
write_planned(struct app *a)
{
	size_t cap = 1 << 20;
	unsigned char *buf = xmalloc(cap);
	XXH3_state_t *h = XXH3_createState();
	uint64_t at = a->records_from, done = 0;
	char fp[STREAM_FINGERPRINT_LEN];
	int ok = h != NULL && fseeko(a->old, (off_t)at, SEEK_SET) == 0;

	if (ok)
		XXH3_64bits_reset(h);
	for (size_t s = 0; ok && s <= a->nstops; s++) {
		const struct stop *st = s < a->nstops ? &a->stops[s] : NULL;
		uint64_t to = st ? st->offset : a->records_to;
		uint64_t records = (st ? st->index : a->nrecords) - done;
		msgpack_unpacked u;
		struct prepared_record o;
		size_t len, off = 0;

		if (copy_records(a, at, to, records, h, buf, cap) < 0) {
			ok = 0;
			break;
		}
		if (st == NULL)
			break;
		len = (size_t)(st->end - st->offset);
		if (len > cap)		/* a record with a long name */
			buf = xrealloc(buf, cap = len);
		msgpack_unpacked_init(&u);
		ok = fread(buf, 1, len, a->old) == len &&
		    msgpack_unpack_next(&u, (const char *)buf, len, &off) ==
		    MSGPACK_UNPACK_SUCCESS && off == len &&
		    prepared_record(&a->old_head, &u.data, INT64_MIN,
		    &o) == NULL;
		if (ok) {
			XXH3_64bits_update(h, buf, len);
			write_record(a, &o, st->index, buf, len);
		}
		msgpack_unpacked_destroy(&u);
		at = st->end;
		done = st->index + 1;
	}
	if (ok) {
		stream_fingerprint_format(h, fp);
		ok = strcmp(fp, a->fingerprint) == 0;
	}
	XXH3_freeState(h);
	free(buf);
	if (!ok)
		return fail(a, "%s: %s", "the records do not match the "
		    "trailer's fingerprint (the stream is corrupt, or changed "
		    "while it was read)");
	return 0;
}

static int
write_all(struct app *a, FILE *out)
{
	struct prep_header h = { .events = a->events, .nevents = a->nevents,
	    .counts = &a->count, .appended_to = a->old_name };
	char **strings;
	size_t nstrings;
	int got;

	list_bots(a, &h, &strings, &nstrings);
	/* Unless bots take rows, a first old record that keeps its labels
	   (keeps_bytes) is the first of its product written, with them. */
	for (size_t pr = 0; pr < a->np && a->turned == 0; pr++)
		if (a->prod.flag[pr] & P_COPIED)
			a->prod.flag[pr] |= P_SEEN;
	a->w = stream_writer_new(out);
	prep_write_header(a->p, a->w, &h);
	stream_writer_fingerprint(a->w);
	got = plannable(a) ? write_planned(a) : each_old(a, write_old);
	if (got == 0)
		write_new_before(a, INT64_MAX);
	for (size_t i = 0; i < nstrings; i++)
		free(strings[i]);
	free(strings);
	free((void *)h.bot_customers);
	free((void *)h.bot_labels);
	if (stream_writer_finish(a->w) < 0)
		return -2;
	return got < 0 ? -1 : 0;
}

static void
app_free(struct app *a)
{
	free(a->cflag);
	free(a->old_rows);
	free(a->first_new);
	append_labelled_free(&a->prod);
	if (a->lost.ids != NULL)
		append_labelled_free(&a->lost);
	for (size_t i = 0; i < a->nevents; i++)
		free((void *)a->events[i]);
	free(a->days);
	free(a->dup);
	free(a->mark);
	free(a->stops);
	free(a->customer_filter.bits);
	free(a->product_filter.bits);
	stream_reader_free(a->head);
}

int
prep_append(struct prep *p, FILE *old, const char *old_name, FILE *out,
    struct prep_counts *result, char *err, size_t errlen)
{
	struct app a = { .p = p, .old = old, .old_name = old_name, .err = err,
	    .errlen = errlen, .has_category = prep_has_category(p) };
	int ret = -1;

	a.customers = prep_customers(p);
	a.products = prep_products(p);
	intern_reindex(a.customers);
	intern_reindex(a.products);
	append_filter_build(&a.customer_filter, a.customers);
	append_filter_build(&a.product_filter, a.products);
	a.nc = intern_count(a.customers);
	a.np = intern_count(a.products);
	a.cflag = xcalloc(a.nc + 1, 1);
	a.old_rows = xcalloc(a.nc + 1, sizeof(*a.old_rows));
	append_labelled_init(&a.prod, a.np);
	if (append_open_old(&a, &a.head) < 0 || read_old_header(&a) < 0 ||
	    merge_events(&a) < 0)
		goto out;
	index_new_rows(&a);
	old_bot_labels(&a);
	if (append_first_read(&a) < 0)
		goto out;
	if (a.nrecords == 0)		/* no record: nothing between */
		a.records_from = a.records_to;
	if (a.nstops > 0 && a.stops[a.nstops - 1].index == a.nrecords - 1)
		a.stops[a.nstops - 1].end = a.records_to;
	a.old_kept = a.nrecords > 0;
	find_bots(&a);
	count_new(&a);
	if (a.turned > 0 && drop_turned(&a) < 0)
		goto out;
	span(&a);
	ret = write_all(&a, out);
	*result = a.count;
out:
	app_free(&a);
	return ret;
}
