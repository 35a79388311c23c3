/*
 * Unit tests of common/model.c: every product written is found with its
 * audience, unknown products get the cold-start list, and damaged files
 * are refused or reported, never misread.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "stream.h"
#include "tap.h"

#define NPRODUCTS 5000

static char path[] = "/tmp/aud-test-model-XXXXXX";

static void
product_id(int i, struct id *id, char *buf, size_t len)
{
	if (i % 3 == 0) {	/* every third product has a string id */
		int n = snprintf(buf, len, "P-%05d", i);

		id->is_str = 1, id->str = buf, id->len = (uint32_t)n, id->num = 0;
	} else {
		/* Mostly even spacing, with far outliers that mislead interpolation. */
		int64_t v = i % 7 == 1 ? (int64_t)i * i * i * 1000003 : (int64_t)i * 7919 - 100000;

		id->is_str = 0, id->num = v, id->str = NULL, id->len = 0;
	}
}

static void
write_model(void)
{
	struct id ranking[200];
	double scores[200];
	struct model_meta meta = { .score = "engagement", .top_n = 3,
	    .customers = 200, .products = NPRODUCTS, .fallback_size = 100 };
	FILE *out = fdopen(mkstemp(path), "wb");
	struct model_writer *mw;

	for (int i = 0; i < 200; i++) {
		ranking[i].is_str = 0;
		ranking[i].num = 1000 + i;
		scores[i] = 1.0 / (i + 1);
	}
	mw = model_writer_new(out, &meta, "test", ranking, scores, 200);
	for (int i = 0; i < NPRODUCTS; i++) {
		char buf[16];
		struct id id;
		uint32_t places[3] = { (uint32_t)(i % 50), (uint32_t)(i % 50 + 1),
		    (uint32_t)(i % 50 + 7) };

		product_id(i, &id, buf, sizeof(buf));
		model_add(mw, &id, i % 2 ? "a name" : NULL, places, 3);
	}
	ok(model_finish(mw) == 0 && fclose(out) == 0, "a model of %d products is written",
	    NPRODUCTS);
}

/*
 * A ranking of ids of every kind and width (strings of 3 to 22 bytes,
 * negative and large integers) reads back place by place; a score that is
 * not a number is refused when the model is opened.
 */
static void
mixed_ranking(void)
{
	static char text[200][24];
	struct id ranking[200], product = { .num = 7 };
	double scores[200];
	struct model_meta meta = { .score = "activity", .top_n = 1,
	    .fallback_size = 100 };
	char mpath[] = "/tmp/aud-test-model-XXXXXX", err[512];
	FILE *out = fdopen(mkstemp(mpath), "wb");
	struct model_writer *mw;
	struct model m;
	uint32_t place = 0;
	int all = 1;

	for (int i = 0; i < 200; i++) {
		struct id *id = &ranking[i];

		memset(id, 0, sizeof(*id));
		if (i % 3 == 0) {
			id->is_str = 1, id->str = text[i];
			id->len = (uint32_t)snprintf(text[i], sizeof(text[i]),
			    "c-%.*s", i % 20 + 1, "12345678901234567890");
		} else
			id->num = i % 3 == 1 ? -(int64_t)i * 1000003 : (int64_t)i << 40;
		scores[i] = i % 2 ? 1.0 / (i + 1) : 200 - i;	/* float 32 or 64 */
	}
	mw = model_writer_new(out, &meta, "test", ranking, scores, 200);
	model_add(mw, &product, NULL, &place, 1);
	model_finish(mw);
	fclose(out);
	ok(model_open(&m, mpath, err, sizeof(err)) == 0 && m.nranking == 200,
	    "a model whose ranking mixes every kind of id opens: %s", err);
	for (int i = 0; i < 200; i++) {
		msgpack_object o = model_ranked_customer(&m, (size_t)i);
		struct id got;

		if (stream_get_id(&o, &got) < 0 || id_compare(&got, &ranking[i]) != 0 ||
		    model_ranked_score(&m, (size_t)i) != scores[i])
			all = 0;
	}
	ok(all, "every place of it reads back its customer and score");
	{
		size_t len = (size_t)m.header_end, at;
		unsigned char *bytes = malloc(len);
		FILE *f = fopen(mpath, "r+b");

		memcpy(bytes, m.map, len);
		model_close(&m);
		for (at = 0; at + 7 < len && memcmp(bytes + at, "\xa6scores", 7); at++)
			;
		while (at < len && bytes[at] != 0xcb)	/* the first float 64 */
			at++;
		fseek(f, (long)at, SEEK_SET);
		fputc(0xc0, f);		/* nil */
		fclose(f);
		free(bytes);
		ok(model_open(&m, mpath, err, sizeof(err)) < 0 &&
		    strstr(err, "a score that is not a number") != NULL,
		    "a score that is not a number is refused: %s", err);
	}
	unlink(mpath);
}

int
main(void)
{
	struct model m;
	struct audience a;
	char err[512], buf[16];
	struct id id;
	int all = 1;

	write_model();
	ok(model_open(&m, path, err, sizeof(err)) == 0, "it opens: %s", err);
	for (int i = 0; i < NPRODUCTS; i++) {
		product_id(i, &id, buf, sizeof(buf));
		if (model_lookup(&m, &id, &a, err, sizeof(err)) != 1 || a.size != 3 ||
		    audience_customer(&m, &a, 0).via.i64 != 1000 + i % 50 ||
		    audience_score(&m, &a, 2) != 1.0 / (i % 50 + 8) ||
		    (a.name != NULL) != (i % 2))
			all = 0;
		audience_free(&a);
	}
	ok(all, "every product is found with its audience, score and name");
	for (int i = 0; i < NPRODUCTS; i++) {
		product_id(i, &id, buf, sizeof(buf));
		if (id.is_str)
			continue;
		id.num += 1;	/* between two products: absent */
		if (model_lookup(&m, &id, &a, err, sizeof(err)) != 0 || !a.fallback)
			all = 0;
		audience_free(&a);
	}
	ok(all, "ids next to every product's are not found");
	id.is_str = 0, id.num = 424242, id.str = NULL;
	ok(model_lookup(&m, &id, &a, err, sizeof(err)) == 0 && a.fallback &&
	    a.size == 100 && audience_customer(&m, &a, 99).via.i64 == 1099,
	    "an unknown integer id gets the 100 cold-start customers");
	audience_free(&a);
	id.is_str = 1, id.str = "P-00001", id.len = 7;
	ok(model_lookup(&m, &id, &a, err, sizeof(err)) == 0 && a.fallback,
	    "an unknown string id gets the cold-start list");
	audience_free(&a);
	{
		/* Point the index's first entry somewhere else, and its second
		 * at the first's record: a well-formed record of another product,
		 * whose look-up must fail without leaking the decoded record
		 * (LeakSanitizer checks that in the SAN=1 build; found by fuzzing). */
		unsigned char *entry = (unsigned char *)m.index + 8;
		uint64_t bad = 3, other;
		struct model copy;
		FILE *f = fopen(path, "r+b");

		memcpy(&other, entry, 8);
		fseek(f, (long)(entry - m.map), SEEK_SET);
		fwrite(&bad, 8, 1, f);
		fseek(f, (long)(entry + 16 - m.map), SEEK_SET);
		fwrite(&other, 8, 1, f);
		fclose(f);
		model_close(&m);
		ok(model_open(&copy, path, err, sizeof(err)) == 0, "a model with a bad offset opens");
		id.is_str = 0, id.num = 1 * 7919 - 100000;
		all = 0;
		for (int i = 0; i < NPRODUCTS; i++) {
			product_id(i, &id, buf, sizeof(buf));
			if (model_lookup(&copy, &id, &a, err, sizeof(err)) < 0)
				all++;	/* a then holds nothing: no audience_free */
			else
				audience_free(&a);
		}
		ok(all == 2 && strstr(err, "corrupt model") != NULL,
		    "its two damaged entries are reported, not misread: %s", err);
		model_close(&copy);
	}
	{
		struct model cut;

		if (truncate(path, 1000) == 0)
			ok(model_open(&cut, path, err, sizeof(err)) < 0 &&
			    strstr(err, "not a usable model") != NULL,
			    "a truncated model is refused: %s", err);
	}
	unlink(path);
	mixed_ranking();
	return tap_done();
}
