/*
 * Unit tests of common/coocpairs.c: the sums of three customer shards,
 * each with its own ids first seen in its own order, give the neighbour
 * table cooc_build finds on all the rows, bit for bit; a shard missing or
 * given twice is refused; and each shard scored with the table gives its
 * customers' share of every product's audience: the largest relevance of
 * all the rows is the largest of the shards', and with it the shards'
 * candidates, merged by score and id, are all the rows' candidates; the
 * same with products in categories, whose most attached customers over
 * all shards the table carries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coocpairs.h"
#include "cooctable.h"
#include "intern.h"
#include "rows.h"
#include "stream.h"
#include "tap.h"

enum { N = 4000, IDS = 90, SHARDS = 3 };

static const double one[1] = { 1.0 };
static const char *const view[1] = { "view" };

/* A temporary file's path, the file created empty. */
static char *
temp_path(void)
{
	char *path = strdup("/tmp/test_coocpairs.XXXXXX");
	int fd = mkstemp(path);

	if (fd >= 0)
		close(fd);
	return path;
}

/* What a table is checked against, and how many records matched. */
struct expect {
	const struct cooc *m;
	const struct interactions *ia;
	size_t matched;
};

/* Whether every record of the table at path passes check. */
static int
all_records(const char *path, int (*check)(const msgpack_object *,
    struct expect *), struct expect *e)
{
	char err[256];
	FILE *in = fopen(path, "rb");
	struct stream_reader *r = in ? stream_reader_open(in, path, err,
	    sizeof(err)) : NULL;
	const msgpack_object *rec;
	int same = r != NULL;

	while (same && stream_read(r, &rec, err, sizeof(err)) == 1)
		same = check(rec->via.array.ptr, e);
	if (r != NULL)
		stream_reader_free(r);
	if (in != NULL)
		fclose(in);
	return same;
}

/* A record's neighbours are the model's (none: it names a category). */
static int
neighbours_match(const msgpack_object *v, struct expect *e)
{
	struct id id = { .num = v[0].via.i64 };
	uint32_t p = intern_find(e->ia->products, &id);
	const struct cooc *m = e->m;
	uint64_t n = p == UINT32_MAX ? 0 : m->nstart[p + 1] - m->nstart[p];
	int same = v[1].via.array.size == n && v[2].via.array.size == n &&
	    (n > 0 || v[3].type == MSGPACK_OBJECT_STR);

	e->matched += n > 0;
	for (uint64_t k = 0; same && k < n; k++) {
		struct id q;
		float sim = (float)v[2].via.array.ptr[k].via.f64;

		intern_get(e->ia->products, m->nproduct[m->nstart[p] + k], &q);
		same = v[1].via.array.ptr[k].via.i64 == q.num &&
		    memcmp(&sim, &m->nsim[m->nstart[p] + k], sizeof(sim)) == 0;
	}
	return same;
}

/* A record's category list, if it has one, is the model's. */
static int
list_matches(const msgpack_object *v, struct expect *e)
{
	const struct category_top *t = &e->m->categories;
	struct id label = { .is_str = 1 };
	uint32_t g;
	uint64_t from, n;
	int same;

	if (v[4].via.array.size == 0)
		return 1;
	label.str = v[3].via.str.ptr;
	label.len = v[3].via.str.size;
	if ((g = intern_find(e->ia->categories, &label)) == UINT32_MAX)
		return 0;
	from = t->start[g];
	n = t->start[g + 1] - from;
	same = v[4].via.array.size == n;
	e->matched++;
	for (uint64_t k = 0; same && k < n; k++) {
		struct id c;
		float a = (float)v[5].via.array.ptr[k].via.f64;

		intern_get(e->ia->customers, t->customer[from + k], &c);
		same = v[4].via.array.ptr[k].via.i64 == c.num &&
		    memcmp(&a, &t->affinity[from + k], sizeof(a)) == 0;
	}
	return same;
}

/* Whether the table at path holds exactly m's neighbours, bit for bit. */
static int
same_table(const char *path, const struct cooc *m, const struct interactions *ia)
{
	struct expect e = { m, ia, 0 };
	size_t with = 0;

	for (size_t p = 0; p < m->nproducts; p++)
		with += m->nstart[p + 1] > m->nstart[p];
	return all_records(path, neighbours_match, &e) && e.matched == with &&
	    with > 0;
}

/*
 * Whether the table at path carries, on the first record of each
 * category, the list m keeps of it: customers and affinities, bit for bit.
 */
static int
same_lists(const char *path, const struct cooc *m, const struct interactions *ia)
{
	struct expect e = { m, ia, 0 };
	size_t want = 0;

	for (size_t g = 0; g < m->categories.ncategories; g++)
		want += m->categories.start[g + 1] > m->categories.start[g];
	return all_records(path, list_matches, &e) && e.matched == want &&
	    want > 0;
}

/* For qsort: targets by score, then customer id. */
static int
by_score_id(const void *a, const void *b)
{
	const struct cooc_target *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return (x->customer > y->customer) - (x->customer < y->customer);
}

/* The candidates relevant to product id p of model m over ia (all its
   customers), their customers and reasons made ids; returns how many. */
static size_t
candidates(const struct cooc *m, const struct interactions *ia, int64_t p,
    double top, struct cooc_scratch *s, struct cooc_target *out)
{
	static double base[IDS];
	struct id id = { .num = p };
	struct cooc_query q = { .product = intern_find(ia->products, &id),
	    .k = IDS, .base = base, .top = top };
	size_t n = 0, got;

	if (q.product == UINT32_MAX)
		return 0;
	got = cooc_audience(m, &q, s, out);
	for (size_t i = 0; i < got; i++)
		if (out[i].reason != COOC_REASON_FALLBACK) {
			struct id c, r;

			intern_get(ia->customers, out[i].customer, &c);
			r.num = UINT32_MAX;	/* the category */
			if (out[i].reason != COOC_REASON_CATEGORY)
				intern_get(ia->products, out[i].reason, &r);
			out[n++] = (struct cooc_target){ (uint32_t)c.num,
			    (uint32_t)r.num, out[i].score };
		}
	return n;
}

/* Each shard scored with the table: the tops and candidates of all rows. */
static int
shards_score(const char *table, const struct cooc *all_m,
    const struct interactions *all, struct interactions *shard,
    const struct coocpairs_meta *meta)
{
	struct cooc m[SHARDS];
	struct cooc_scratch s[SHARDS], all_s;
	struct cooc_target want[IDS], got[IDS];
	char err[256];
	int same = 1;

	for (int k = 0; k < SHARDS; k++) {
		FILE *in = fopen(table, "rb");

		if (cooctable_load(&m[k], &shard[k], meta, in, table, err,
		    sizeof(err)) < 0) {
			printf("# %s\n", err);
			return 0;
		}
		fclose(in);
		cooc_scratch_init(&s[k], &m[k]);
	}
	cooc_scratch_init(&all_s, all_m);
	for (int p = 0; p < 40 && same; p++) {
		struct id id = { .num = p };
		struct cooc_query q = { .product = intern_find(all->products, &id) };
		double top = cooc_top_relevance(all_m, &q, &all_s), shard_top = 0;
		size_t nwant, ngot = 0;

		for (int k = 0; k < SHARDS; k++) {
			struct cooc_query sq = { .product =
			    intern_find(shard[k].products, &id) };
			double t = sq.product == UINT32_MAX ? 0 :
			    cooc_top_relevance(&m[k], &sq, &s[k]);

			if (t > shard_top)
				shard_top = t;
		}
		nwant = candidates(all_m, all, p, 0, &all_s, want);
		for (int k = 0; k < SHARDS; k++)
			ngot += candidates(&m[k], &shard[k], p, top, &s[k], got + ngot);
		qsort(got, ngot, sizeof(*got), by_score_id);
		same = memcmp(&top, &shard_top, sizeof(top)) == 0 &&
		    nwant == ngot && memcmp(want, got, nwant * sizeof(*want)) == 0;
	}
	for (int k = 0; k < SHARDS; k++) {
		cooc_scratch_free(&s[k]);
		cooc_free(&m[k]);
	}
	cooc_scratch_free(&all_s);
	return same;
}

/* Each shard's sums into path[s], all of them summed into table. */
static int
sum_shards(struct interactions *shard, struct coocpairs_meta *meta,
    char *const *path, const char *table)
{
	char err[256];
	FILE *out;
	int ret;

	for (int s = 0; s < SHARDS; s++) {
		meta->shard = (uint32_t)s;
		out = fopen(path[s], "wb");
		coocpairs_write(out, &shard[s], meta, "shard");
		fclose(out);
	}
	out = fopen(table, "wb");
	ret = coocpairs_neighbours(out, (const char *const *)path, SHARDS,
	    "parts", err, sizeof(err));
	fclose(out);
	return ret;
}

int
main(void)
{
	static int rows[N][2];
	struct interactions all, shard[SHARDS];
	struct cooc m;
	struct cooc_params p = { .event_weight = one, .alpha = 0.7,
	    .half_life_days = 5, .neighbours = 6, .max_history = 5,
	    .min_support = 2, .threads = 2 };
	char *path[SHARDS + 1], *table = temp_path(), err[256];
	const char *twice[SHARDS] = { NULL };
	struct coocpairs_meta meta = { .params = &p, .event = view,
	    .event_weight = one, .nevents = 1, .nshards = SHARDS };
	uint64_t x = 88172645463325252u;
	FILE *out;
	int ret;

	for (size_t i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		rows[i][0] = (int)(x % IDS);
		rows[i][1] = (int)(x / IDS % 40);
	}
	rows_make(&all, (const int (*)[2])rows, N, NULL, 0, 0, 0);
	p.decay_end = all.time[all.n - 1];
	cooc_build(&m, &all, all.n, &p);
	for (int s = 0; s < SHARDS; s++) {
		rows_make(&shard[s], (const int (*)[2])rows, N, NULL, 0, s, SHARDS);
		path[s] = temp_path();
	}
	ok(sum_shards(shard, &meta, path, table) == 0 && same_table(table, &m, &all),
	    "three shards' sums: the neighbours of all the rows, bit for bit");
	ok(shards_score(table, &m, &all, shard, &meta),
	    "each shard scored with the table: the largest relevance and the "
	    "candidates of all the rows, bit for bit");

	/* With categories: their lists of all shards, and the candidates
	   they bring, divided by the largest affinity of all. */
	p.category_weight = 0.7;
	rows_categorise(&all, 4);
	cooc_free(&m);
	cooc_build(&m, &all, all.n, &p);
	for (int s = 0; s < SHARDS; s++)
		rows_categorise(&shard[s], 4);
	ok(sum_shards(shard, &meta, path, table) == 0 &&
	    same_table(table, &m, &all) && same_lists(table, &m, &all),
	    "with categories: the neighbours and each category's most "
	    "attached customers of all the rows, bit for bit");
	ok(shards_score(table, &m, &all, shard, &meta),
	    "with categories: each shard's candidates are all the rows', "
	    "bit for bit");

	twice[0] = path[0], twice[1] = path[1], twice[2] = path[1];
	out = fopen(table, "wb");
	ret = coocpairs_neighbours(out, twice, SHARDS, "parts", err, sizeof(err));
	fclose(out);
	ok(ret < 0 && strstr(err, "shard 1 is given twice") != NULL,
	    "a shard given twice is refused: %s", err);
	out = fopen(table, "wb");
	ret = coocpairs_neighbours(out, (const char *const *)path, SHARDS - 1,
	    "parts", err, sizeof(err));
	fclose(out);
	ok(ret < 0 && strcmp(err, "shard 2 of 3 is missing") == 0,
	    "a shard missing is refused: %s", err);

	for (int s = 0; s < SHARDS; s++) {
		unlink(path[s]);
		free(path[s]);
		interactions_free(&shard[s]);
	}
	unlink(table);
	free(table);
	cooc_free(&m);
	interactions_free(&all);
	return tap_done();
}
