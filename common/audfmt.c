/* Audience output formats; see audfmt.h. */
#include "audfmt.h"

#include <stdlib.h>
#include <string.h>

#include "csvout.h"
#include "json.h"
#include "stream.h"
#include "xalloc.h"
#include "banned.h"

struct audfmt {
	const struct model *m;
	char sep;
	size_t n;		/* entries of the ranking head */
	char **cell;		/* "customer<sep>score" per entry */
	char **json;		/* "{"customer_id":..,"score":..,"rank":" per entry */
	char **text;		/* "customer  score 0.123456" per entry */
	char *note_model, *note_fallback;	/* JSON strings */
};


/*
 * An id as text: digits, or the string, quoted for CSV when it needs to be
 * (sep '\n': never, for text meant to be read).
 */
static void
write_id(FILE *out, const msgpack_object *id, char sep)
{
	if (id->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		fprintf(out, "%llu", (unsigned long long)id->via.u64);
	else if (id->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		fprintf(out, "%lld", (long long)id->via.i64);
	else if (id->type == MSGPACK_OBJECT_STR && sep == '\n')
		fwrite(id->via.str.ptr, 1, id->via.str.size, out);
	else if (id->type == MSGPACK_OBJECT_STR)
		/* TSV has no quoting; ids with tabs or line breaks are quoted
		   there too rather than break the row. */
		csv_write_field(out, id->via.str.ptr, id->via.str.size, sep);
}

/* Runs a writer into a new string. */
#define TEXT(var, ...) do { \
	size_t len_; \
	FILE *mem_ = open_memstream(&(var), &len_); \
	if (mem_ == NULL) \
		xalloc_failed(); \
	__VA_ARGS__; \
	if (fclose(mem_) != 0) \
		xalloc_failed(); \
} while (0)

static char *
note(const struct model *m, int fallback)
{
	const msgpack_object *score = mp_map_get(m->meta, "score");
	char buf[256], *out;
	int n = snprintf(buf, sizeof(buf), "%s, by %.*s score", fallback ?
	    "new product: not in the model, so it is served the cold-start list, "
	    "the top customers overall" :
	    "the top customers who have not interacted with this product",
	    score && score->type == MSGPACK_OBJECT_STR ? (int)score->via.str.size : 1,
	    score && score->type == MSGPACK_OBJECT_STR ? score->via.str.ptr : "?");

	TEXT(out, json_write_string(mem_, buf, (size_t)n < sizeof(buf) ?
	    (size_t)n : sizeof(buf) - 1));
	return out;
}

/*
 * Entries are formatted when first used: an export formats each once, and
 * a server answering one request per process formats only what it sends.
 */
static const char *
entry(struct audfmt *f, char ***cache, size_t place, int form)
{
	msgpack_object id;
	double score;
	char sep = f->sep;

	if (*cache == NULL)	/* a form's cache is made when first used */
		*cache = xcalloc(f->n + 1, sizeof(char *));
	if ((*cache)[place] != NULL)
		return (*cache)[place];
	id = model_ranked_customer(f->m, place);
	score = model_ranked_score(f->m, place);
	if (form == 0)
		TEXT((*cache)[place], write_id(mem_, &id, sep); putc(sep, mem_);
		    json_write_double(mem_, score));
	else if (form == 1)
		TEXT((*cache)[place], fputs("{\"customer_id\":", mem_);
		    json_write_object(mem_, &id); fputs(",\"score\":", mem_);
		    json_write_double(mem_, score); fputs(",\"rank\":", mem_));
	else
		TEXT((*cache)[place], write_id(mem_, &id, '\n');
		    fprintf(mem_, "  score %.6f", score));
	return (*cache)[place];
}

struct audfmt *
audfmt_new(const struct model *m, char sep)
{
	struct audfmt *f = xcalloc(1, sizeof(*f));

	f->m = m;
	f->sep = sep;
	f->n = m->nranking;
	f->note_model = note(m, 0);
	f->note_fallback = note(m, 1);
	return f;
}

void
audfmt_free(struct audfmt *f)
{
	char **caches[] = { f->cell, f->json, f->text };

	for (size_t c = 0; c < sizeof(caches) / sizeof(caches[0]); c++) {
		if (caches[c] == NULL)	/* a form never used */
			continue;
		for (size_t i = 0; i < f->n; i++)
			free(caches[c][i]);
		free(caches[c]);
	}
	free(f->note_model);
	free(f->note_fallback);
	free(f);
}

void
audfmt_table_header(FILE *out, const struct audfmt *f)
{
	char s = f->sep;

	fprintf(out, "product_id%crank%ccustomer_id%cscore%csource\n", s, s, s, s);
}

void
audfmt_table(FILE *out, struct audfmt *f, const struct audience *a,
    const msgpack_object *product, size_t n)
{
	char *id = NULL;
	const char *source = a->fallback ? "fallback" : "model";

	TEXT(id, write_id(mem_, product, f->sep));
	for (size_t i = 0; i < n && i < a->size; i++)
		fprintf(out, "%s%c%zu%c%s%c%s\n", id, f->sep, i + 1, f->sep,
		    entry(f, &f->cell, audience_place(a, i), 0), f->sep, source);
	free(id);
}

void
audfmt_json(FILE *out, struct audfmt *f, const struct audience *a,
    const msgpack_object *product, size_t n)
{
	size_t count = n < a->size ? n : a->size;

	fputs("{\"product_id\":", out);
	json_write_object(out, product);
	fputs(",\"product_name\":", out);
	if (a->name != NULL)
		json_write_object(out, a->name);
	else
		fputs("null", out);
	fputs(",\"recommendations\":[", out);
	for (size_t i = 0; i < count; i++) {
		char rank[24];
		size_t at = sizeof(rank);

		/* fprintf for each entry was a tenth of aud-serve's time. */
		rank[--at] = '\0';
		rank[--at] = '}';
		for (size_t r = i + 1; r > 0; r /= 10)
			rank[--at] = (char)('0' + r % 10);
		if (i)
			putc(',', out);
		fputs(entry(f, &f->json, audience_place(a, i), 1), out);
		fputs(rank + at, out);
	}
	fprintf(out, "],\"count\":%zu,\"note\":%s}\n", count,
	    a->fallback ? f->note_fallback : f->note_model);
}

void
audfmt_text(FILE *out, struct audfmt *f, const struct audience *a,
    const msgpack_object *product, size_t n)
{
	fputs("product ", out);
	write_id(out, product, '\n');
	if (a->fallback)
		fputs(" (not in the model: the cold-start list)", out);
	else if (a->name != NULL)
		fprintf(out, " (%.*s)", (int)a->name->via.str.size, a->name->via.str.ptr);
	fputs(":\n", out);
	for (size_t i = 0; i < n && i < a->size; i++)
		fprintf(out, "%4zu. customer %s\n", i + 1, entry(f, &f->text, audience_place(a, i), 2));
}
