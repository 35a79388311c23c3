/*
 * libFuzzer harness of the record-stream and model readers: the bytes are
 * read as a stream, record by record to its end, and opened as a model
 * file, whose every product is walked, formatted and looked up, and a new
 * product is targeted by a name and by the first record's category (the
 * name and category indexes of a product-aware model); and read as a
 * shard's feature bounds, combined with themselves, as a shard's
 * audience part, merged into a model, as a shard's co-occurrence sums,
 * summed into a neighbour table, as a shard's largest relevances,
 * combined, as the neighbour table and the tops a shard is scored with, and
 * as an interactions stream that
 * a few new rows are appended to (aud-prepare --append) and that is merged
 * with itself as two pieces (aud-prepare --merge; refused as the same
 * piece twice when it has records, so also alone).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "append.h"
#include "audfmt.h"
#include "audparts.h"
#include "pieces.h"
#include "boundstream.h"
#include "coocpairs.h"
#include "cooctable.h"
#include "cooctops.h"
#include "interactions.h"
#include "intern.h"
#include "model.h"
#include "prepare.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
read_stream(const uint8_t *data, size_t size)
{
	FILE *in = fmemopen((void *)data, size, "rb");
	struct stream_reader *r;
	const msgpack_object *rec;
	char err[512];

	if (in == NULL)
		return;
	if ((r = stream_reader_open(in, "fuzz", err, sizeof(err))) != NULL) {
		while (stream_read(r, &rec, err, sizeof(err)) == 1)
			for (size_t i = 0; i < stream_nfields(r); i++) {
				struct id id;

				stream_get_id(&rec->via.array.ptr[i], &id);
			}
		stream_reader_free(r);
	}
	fclose(in);
}

/* Every audience's customers, scores and reasons, as the tools read and
   write them (a reason's product name is looked up in the model). */
static void
walk(const struct model *m, const struct audience *a)
{
	static FILE *sink;
	struct audfmt *f;

	for (size_t i = 0; i < a->size; i++) {
		audience_customer(m, a, i);
		audience_score(m, a, i);
		audience_reason(a, i);
	}
	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		return;
	f = audfmt_new(m, ',');
	audfmt_json(sink, f, a, a->product_id ? a->product_id : &(msgpack_object){
	    .type = MSGPACK_OBJECT_NIL }, a->size);
	audfmt_table(sink, f, a, a->product_id ? a->product_id : &(msgpack_object){
	    .type = MSGPACK_OBJECT_NIL }, a->size);
	audfmt_free(f);
}

static void
read_model(const uint8_t *data, size_t size)
{
	int fd = memfd_create("model", 0);
	char path[64], err[512];
	struct model m;
	struct audience a;
	uint64_t at = 0;
	int ret;

	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (model_open(&m, path, err, sizeof(err)) == 0) {
		while ((ret = model_next(&m, &at, &a, err, sizeof(err))) == 1) {
			struct id id;

			walk(&m, &a);
			if (stream_get_id(a.product_id, &id) == 0) {
				struct audience b;

				if (model_lookup(&m, &id, &b, err, sizeof(err)) >= 0) {
					walk(&m, &b);
					audience_free(&b);
				}
			}
		}
		audience_free(&a);
		for (uint64_t i = 0; i < m.nrecords && i < 64; i++)
			if (model_entry(&m, i, &a, err, sizeof(err)) == 1)
				audience_free(&a);
		if (m.per_record && model_entry(&m, 0, &a, err, sizeof(err)) == 1) {
			struct new_product np = { .name = "blue mug", .name_len = 8 };
			struct audience b;

			if (a.category != NULL) {
				np.category = a.category->via.str.ptr;
				np.category_len = a.category->via.str.size;
			}
			if (model_new_audience(&m, &np, 10, &b, err, sizeof(err)) >= 0)
				walk(&m, &b);
			audience_free(&b);
			audience_free(&a);
		}
		model_close(&m);
	}
	close(fd);
}

static void
read_bounds(const uint8_t *data, size_t size)
{
	static struct bounds_file one, all;
	FILE *in = fmemopen((void *)data, size, "rb");
	char err[512];

	if (in == NULL)
		return;
	memset(&all, 0, sizeof(all));
	if (bounds_read(&one, in, "fuzz", err, sizeof(err)) == 0)
		bounds_combine(&all, &one, "fuzz", err, sizeof(err));
	fclose(in);
	bounds_free(&one);
	bounds_free(&all);
}

/* The bytes as the one part of a merge: an audience part, then sums. */
static void
read_part(const uint8_t *data, size_t size)
{
	static FILE *sink;
	int fd = memfd_create("part", 0);
	char path[64], err[512];
	const char *paths[1] = { path };

	if (fd < 0)
		return;
	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		abort();
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		audparts_merge(sink, paths, 1, "fuzz", err, sizeof(err));
		coocpairs_neighbours(sink, paths, 1, "fuzz", err, sizeof(err));
		cooctops_combine(sink, paths, 1, "fuzz", err, sizeof(err));
	}
	close(fd);
}

/*
 * The bytes as the neighbour table, and as the tops of all shards, that a
 * shard of two rows (its products with categories or not) is scored with,
 * in the settings of the seeds made from tests/fixtures/planted.csv (so
 * that those get past the check; with categories: a column "k" id % 3).
 */
static void
read_table(const uint8_t *data, size_t size, int categories)
{
	static const char *const event[] = { "purchased" };
	static const double weight[] = { 5 };
	struct cooc_params p = { .event_weight = weight, .half_life_days = 30,
	    .decay_end = 1675335180000, .max_history = 200, .alpha = 0.7,
	    .neighbours = 200, .min_support = 2, .threads = 1 };
	struct coocpairs_meta m = { .params = &p, .event = event,
	    .event_weight = weight, .nevents = 1, .nshards = 1 };
	struct interactions ia = { .n = 2 };
	struct id c = { .num = 1 }, p1 = { .num = 101 }, p2 = { .num = 102 };
	struct cooc model;
	char err[512];
	FILE *in;

	ia.customer = calloc(2, sizeof(*ia.customer));
	ia.product = calloc(2, sizeof(*ia.product));
	ia.event = calloc(2, 1);
	ia.time = calloc(2, sizeof(*ia.time));
	ia.name_at = calloc(3, sizeof(*ia.name_at));
	ia.customers = intern_new();
	ia.products = intern_new();
	ia.customer[0] = ia.customer[1] = intern_add(ia.customers, &c, NULL);
	ia.product[0] = intern_add(ia.products, &p1, NULL);
	ia.product[1] = intern_add(ia.products, &p2, NULL);
	if (categories) {
		struct id k2 = { .is_str = 1, .str = "k2", .len = 2 };

		ia.categories = intern_new();
		ia.category_of = calloc(3, sizeof(*ia.category_of));
		ia.category_of[0] = intern_add(ia.categories, &k2, NULL);
		ia.category_of[1] = INTERACTIONS_NO_CATEGORY;
	}
	if ((in = fmemopen((void *)data, size, "rb")) != NULL &&
	    cooctable_load(&model, &ia, &m, in, "fuzz", err,
	    sizeof(err)) == 0)
		cooc_free(&model);
	if (in != NULL)
		fclose(in);
	if ((in = fmemopen((void *)data, size, "rb")) != NULL) {
		double *top = calloc(intern_count(ia.products) + 1, sizeof(*top));

		cooctops_load(top, &ia, &m, in, "fuzz", err, sizeof(err));
		free(top);
		fclose(in);
	}
	interactions_free(&ia);
}

/* New rows that meet the seeds' ids (tests/fixtures/append-*.csv), a
   customer's fourth of a day among them, for the bot rule (threshold 3). */
static const char new_rows[] =
    "customer_id,product_id,event,event_date,product_name\n"
    "c1,p1,view,2023-01-01T10:00:00Z,Mug\n"
    "c2,p2,cart,2023-01-02T09:00:00Z,\n"
    "c2,p5,buy,2023-01-02T09:30:00Z,Fork\n"
    "c1,p9,view,2023-01-01T12:00:00Z,\n"
    "7,8,view,2022-12-31T23:00:00Z,Cup\n";

/* The bytes as a regular file (a memfd): the append reads a file in two
   halves at once, which a stream from fmemopen cannot be. */
static FILE *
as_file(const uint8_t *data, size_t size)
{
	int fd = memfd_create("old", MFD_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return NULL;
	if (write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) < 0 || (f = fdopen(fd, "rb")) == NULL) {
		close(fd);
		return NULL;
	}
	return f;
}

static void
read_append(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct prep_params par = { .time_format = { TIME_ISO },
	    .time_format_arg = "iso", .bot_threshold = 3, .name = "new" };
	struct prep_counts counts;
	struct prep *p;
	FILE *csv, *old;
	char err[512];

	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		abort();
	if ((p = prep_new(&par, err, sizeof(err))) == NULL)
		abort();
	csv = fmemopen((void *)new_rows, sizeof(new_rows) - 1, "rb");
	old = as_file(data, size);
	if (csv != NULL && old != NULL && prep_read(p, csv, 0, -1) == 0) {
		prep_clean(p);
		prep_append(p, old, "fuzz", sink, &counts, err, sizeof(err));
	}
	if (csv != NULL)
		fclose(csv);
	if (old != NULL)
		fclose(old);
	prep_free(p);
}

static void
read_pieces(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct prep_params par = { .time_format = { TIME_ISO },
	    .time_format_arg = "iso", .bot_threshold = 3, .name = "fuzz" };
	int fd = memfd_create("piece", 0);
	char path[64], err[512];
	const char *paths[2] = { path, path };

	if (fd < 0)
		return;
	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (size_t n = 1; n <= 2 && write(fd, data, size) == (ssize_t)size; n++) {
		struct prep *p = prep_new(&par, err, sizeof(err));

		if (p == NULL)
			abort();
		if (pieces_read(p, paths, n, err, sizeof(err)) == 0) {
			prep_clean(p);
			prep_write(p, sink);
		}
		prep_free(p);
		if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
			break;
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_stream(data, size);
	read_model(data, size);
	read_bounds(data, size);
	read_part(data, size);
	read_table(data, size, 0);
	read_table(data, size, 1);
	read_append(data, size);
	read_pieces(data, size);
	return 0;
}
