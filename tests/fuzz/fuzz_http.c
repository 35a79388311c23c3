/*
 * libFuzzer harness of what any HTTP client reaches: the request head
 * parsed as aud-serve parses it, requests pipelined one after another, and
 * each answered by aud-serve's API (common/api.c) from a small
 * product-aware model the harness writes at start-up, so that every route
 * (audiences by id and by name, search, sample, health, metrics, /ui) and
 * the formatters run on hostile input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "http.h"
#include "model.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct api_conn conn;

/* Three products with names, categories, string and integer ids, reasons
   (a neighbour, the category, none) and buyers. */
static void
write_model(const char *path)
{
	static const char *const names[] = { "Blue Cotton Mug", "Green Tea", NULL };
	static const char *const categories[] = { "Kitchen", "Kitchen", NULL };
	struct id ranking[3] = { { .num = 1 }, { .num = 2 }, { .is_str = 1,
	    .str = "s3", .len = 2 } };
	double scores[3] = { 0.9, 0.5, 0.25 };
	struct cooc_params cp = { .half_life_days = 30, .alpha = 0.5,
	    .neighbours = 10, .min_support = 1 };
	struct model_meta meta = { .score = "cooccurrence", .top_n = 2,
	    .products = 3, .interactions = 9, .customers = 3, .fallback_size = 3,
	    .cooc = &cp, .blend = 0.1, .new_blend = 3, .categories = 1 };
	static const double engagement[2] = { 0.75, 0.25 };
	FILE *f = fopen(path, "wb");
	struct model_writer *mw;

	if (f == NULL)
		abort();
	mw = model_writer_new(f, &meta, "fuzz", ranking, scores, 3);
	for (int p = 0; p < 3; p++) {
		struct id product = p == 2 ? (struct id){ .is_str = 1, .str = "A/B",
		    .len = 3 } : (struct id){ .num = 10 + p };
		struct id reason = { .num = 10 + (p + 1) % 2 };
		struct model_target t[2] = {
			{ ranking[(p + 1) % 3], 1.0, &reason, 0 },
			{ ranking[(p + 2) % 3], 0.5, NULL, categories[p] != NULL }
		};
		static const uint32_t fallback[1] = { 2 };	/* a place */
		struct model_record r = { .product = &product, .name = names[p],
		    .category = categories[p], .targets = t, .n = 2,
		    .buyers = t, .buyer_engagement = engagement, .nbuyers = 2,
		    .weight = 3 - p, .fallback = fallback, .nfallback = p > 0 };
		unsigned char bytes[1024];
		struct packbuf b = { bytes };

		r.category_len = r.category ? strlen(r.category) : 0;
		if (model_record_bound(&r) > sizeof(bytes))
			abort();
		model_pack_record(&b, &r);
		model_add_packed(mw, &r, bytes, (size_t)(b.p - bytes));
	}
	if (model_finish(mw) != 0 || fclose(f) != 0)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/fuzz-http-model-XXXXXX", why[512];
	int fd = mkstemp(path);

	(void)argc;
	(void)argv;
	if (fd < 0)
		abort();
	close(fd);
	write_model(path);
	/* mapped: the file may go */
	if (api_open_model(&conn, path, why, sizeof(why)) < 0)
		abort();
	unlink(path);
	conn.peer = "-";
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_request req;
	const char *p = (const char *)data;
	size_t left = size, used, outlen = 0;
	char *out = NULL;

	while (left > 0 && http_parse(p, left, &req, &used) == HTTP_OK) {
		char value[64];

		http_query_param(req.query, "n", value, sizeof(value));
		http_query_param(req.query, "format", value, sizeof(value));
		if (used == 0 || used > left)
			__builtin_trap();	/* the parser must consume the head */
		p += used;
		left -= used;
	}
	/* The same bytes answered by the API, as a connection answers them:
	   at most as much as it buffers, a few pipelined requests. */
	p = (const char *)data;
	left = size;
	for (int i = 0; i < 8 && left > 0; i++) {
		int keep;
		long n = api_answer(&conn, p, left < HTTP_MAX_HEAD ? left :
		    HTTP_MAX_HEAD, &out, &outlen, &keep);

		if (n <= 0 || (size_t)n > left)
			break;
		p += n;
		left -= (size_t)n;
	}
	free(out);
	return 0;
}
