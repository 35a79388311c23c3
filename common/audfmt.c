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
	char *note_model, *note_fallback, *note_name, *note_new;	/* JSON
								   strings */
	int groups;			/* a campaign export with a holdout */
	const char *order;	/* the score of the ranking head: the reason of
				   every customer the model gives none */
	char *order_json;	/* {"kind":"<order>"} */
	int names;		/* tables end with a product_name column */
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

/* The note of an audience: 0 of the model, 1 the cold-start list, 2 by
   name, 3 by name and category or by category. */
static char *
note(const struct model *m, int kind, const char *order)
{
	char buf[256], *out;
	int n = snprintf(buf, sizeof(buf), "%s, by %s score", kind == 3 ?
	    "new product known by name or category: the customers who bought "
	    "the products whose names are most like it, then those who bought "
	    "its category's most bought products, then the cold-start list" :
	    kind == 2 ?
	    "new product known by name: the customers who bought the products "
	    "whose names are most like it, then the cold-start list" : kind == 1 ?
	    "new product: not in the model, so it is served the cold-start list, "
	    "the top customers overall" : m->per_record ?
	    "the customers who have not interacted with this product: first "
	    "those whose products are most like it, then the rest" :
	    "the top customers who have not interacted with this product", order);

	TEXT(out, json_write_string(mem_, buf, (size_t)n < sizeof(buf) ?
	    (size_t)n : sizeof(buf) - 1));
	return out;
}

/* A customer and score in a form: 0 table cells, 1 JSON up to "rank":, 2 text. */
static void
write_entry(FILE *out, int form, char sep, const msgpack_object *id,
    double score)
{
	if (form == 0) {
		write_id(out, id, sep);
		putc(sep, out);
		json_write_double(out, score);
	} else if (form == 1) {
		fputs("{\"customer_id\":", out);
		json_write_object(out, id);
		fputs(",\"score\":", out);
		json_write_double(out, score);
		fputs(",\"rank\":", out);
	} else {
		write_id(out, id, '\n');
		fprintf(out, "  score %.6f", score);
	}
}

/*
 * The i-th entry of a in a form. Entries of the ranking head are formatted
 * when first used and kept: an export formats each once, and a server
 * answering one request per process formats only what it sends. Those of a
 * product-aware record are formatted into *scratch (freed by the caller).
 */
static const char *
entry(struct audfmt *f, char ***cache, const struct audience *a, size_t i,
    int form, char **scratch)
{
	msgpack_object id;
	size_t place;

	if (!audience_ranked(a, i)) {
		id = audience_customer(f->m, a, i);
		free(*scratch);
		TEXT(*scratch, write_entry(mem_, form, f->sep, &id,
		    audience_score(f->m, a, i)));
		return *scratch;
	}
	place = audience_place(a, i);
	if (*cache == NULL)	/* a form's cache is made when first used */
		*cache = xcalloc(f->n + 1, sizeof(char *));
	if ((*cache)[place] != NULL)
		return (*cache)[place];
	id = model_ranked_customer(f->m, place);
	TEXT((*cache)[place], write_entry(mem_, form, f->sep, &id,
	    model_ranked_score(f->m, place)));
	return (*cache)[place];
}

/* The name of product id in the model, as JSON (null when it has none). */
static void
write_product_name(FILE *out, const struct model *m, const msgpack_object *id)
{
	struct audience r;
	struct id key;
	char err[256];

	if (stream_get_id(id, &key) == 0 &&
	    model_lookup(m, &key, &r, err, sizeof(err)) == 1 && r.name != NULL)
		json_write_object(out, r.name);
	else
		fputs("null", out);
	audience_free(&r);
}

/* A reason's text as a table cell (form 0) or plain (3); frees it. */
static void
write_cell(FILE *out, const struct audfmt *f, char *cell, int form)
{
	if (form == 0)
		csv_write_field(out, cell, strlen(cell), f->sep);
	else
		fputs(cell, out);
	free(cell);
}

/* The category of an audience as text (len in *len), or "". */
static const char *
category_text(const struct audience *a, int *len)
{
	*len = a->category ? (int)a->category->via.str.size : 0;
	return a->category ? a->category->via.str.ptr : "";
}

/*
 * Why the i-th customer of a is there, in a form as write_entry's, or 3:
 * plain text, "similar:ID" (or "name:ID" for an audience found by name),
 * "category:CATEGORY", or the ordering score's name.
 */
static void
write_reason(FILE *out, const struct audfmt *f, const struct audience *a,
    size_t i, int form)
{
	msgpack_object r = audience_reason(a, i);
	const char *kind = a->reason_kind ? a->reason_kind : "similar";
	char *cell = NULL;
	int clen;
	const char *cat = category_text(a, &clen);

	if (r.type == MSGPACK_OBJECT_NIL) {
		fputs(form == 1 ? f->order_json : f->order, out);
		return;
	}
	if (r.type == MSGPACK_OBJECT_BOOLEAN) {	/* the category */
		if (form == 0 || form == 3) {
			TEXT(cell, fprintf(mem_, "category:%.*s", clen, cat));
			write_cell(out, f, cell, form);
		} else if (form == 1) {
			fputs("{\"kind\":\"category\",\"category\":", out);
			json_write_string(out, cat, (size_t)clen);
			putc('}', out);
		} else
			fprintf(out, "in category %.*s", clen, cat);
		return;
	}
	if (form == 0 || form == 3) {	/* a table cell, or plain */
		TEXT(cell, fprintf(mem_, "%s:", kind); write_id(mem_, &r, '\n'));
		write_cell(out, f, cell, form);
	} else if (form == 1) {
		fprintf(out, "{\"kind\":\"%s\",\"product_id\":", kind);
		json_write_object(out, &r);
		fputs(",\"product_name\":", out);
		write_product_name(out, f->m, &r);
		putc('}', out);
	} else {
		fputs(a->reason_kind ? "named like " : "similar to ", out);
		write_id(out, &r, '\n');
	}
}

struct audfmt *
audfmt_new(const struct model *m, char sep)
{
	static const char *const orders[] = {
		"engagement", "activity", "p_alive", "expected_purchases"
	};
	struct audfmt *f = xcalloc(1, sizeof(*f));

	f->m = m;
	f->sep = sep;
	f->names = model_named_products(m) > 0;
	f->n = m->nranking;
	if (m->per_record)
		f->order = "engagement";
	else {
		const msgpack_object *score = mp_map_get(m->meta, "score");

		f->order = "engagement";
		for (size_t i = 0; score != NULL && i < sizeof(orders) /
		    sizeof(orders[0]); i++)
			if (mp_str_equals(score, orders[i]))
				f->order = orders[i];
	}
	f->note_model = note(m, 0, f->order);
	f->note_fallback = note(m, 1, f->order);
	f->note_name = note(m, 2, f->order);
	f->note_new = note(m, 3, f->order);
	TEXT(f->order_json, fprintf(mem_, "{\"kind\":\"%s\"}", f->order));
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
	free(f->note_name);
	free(f->note_new);
	free(f->order_json);
	free(f);
}

void
audfmt_table_header(FILE *out, const struct audfmt *f)
{
	char s = f->sep;

	fprintf(out, "product_id%crank%ccustomer_id%cscore%csource%creason", s, s,
	    s, s, s);
	if (f->names)
		fprintf(out, "%cproduct_name", s);
	if (f->groups)
		fprintf(out, "%cgroup", s);
	putc('\n', out);
}

void
audfmt_set_groups(struct audfmt *f)
{
	f->groups = 1;
}

/* The group of the i-th customer of a campaign export's audience. */
static const char *
group(const struct audience *a, size_t i)
{
	return a->control != NULL && a->control[i] ? "control" : "target";
}

void
audfmt_table(FILE *out, struct audfmt *f, const struct audience *a,
    const msgpack_object *product, size_t n)
{
	char *id = NULL, *scratch = NULL, *name = NULL;
	const char *source = a->fallback ? "fallback" : "model";

	TEXT(id, write_id(mem_, product, f->sep));
	if (f->names && a->name != NULL && a->name->type == MSGPACK_OBJECT_STR)
		TEXT(name, csv_write_field(mem_, a->name->via.str.ptr,
		    a->name->via.str.size, f->sep));
	for (size_t i = 0; i < n && i < a->size; i++) {
		fprintf(out, "%s%c%zu%c%s%c%s%c", id, f->sep, i + 1, f->sep,
		    entry(f, &f->cell, a, i, 0, &scratch), f->sep, source, f->sep);
		write_reason(out, f, a, i, 0);
		if (f->names)
			fprintf(out, "%c%s", f->sep, name ? name : "");
		if (f->groups)
			fprintf(out, "%c%s", f->sep, group(a, i));
		putc('\n', out);
	}
	free(id);
	free(name);
	free(scratch);
}

void
audfmt_json(FILE *out, struct audfmt *f, const struct audience *a,
    const msgpack_object *product, size_t n)
{
	size_t count = n < a->size ? n : a->size;
	char *scratch = NULL;

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
		rank[--at] = ':';
		rank[--at] = '"';
		for (const char *k = "nosaer\","; *k; k++)	/* ,"reason": */
			rank[--at] = *k;
		for (size_t r = i + 1; r > 0; r /= 10)
			rank[--at] = (char)('0' + r % 10);
		if (i)
			putc(',', out);
		fputs(entry(f, &f->json, a, i, 1, &scratch), out);
		fputs(rank + at, out);
		write_reason(out, f, a, i, 1);
		if (f->groups)
			fprintf(out, ",\"group\":\"%s\"", group(a, i));
		putc('}', out);
	}
	free(scratch);
	fprintf(out, "],\"count\":%zu,\"note\":%s}\n", count,
	    a->reason_kind != NULL && !a->fallback ? (a->category ? f->note_new :
	    f->note_name) :
	    a->fallback ? f->note_fallback : f->note_model);
}

void
audfmt_text(FILE *out, struct audfmt *f, const struct audience *a,
    const msgpack_object *product, size_t n)
{
	if (product->type == MSGPACK_OBJECT_NIL)
		fputs("new product", out);
	else {
		fputs("product ", out);
		write_id(out, product, '\n');
	}
	if (product->type == MSGPACK_OBJECT_NIL && a->category != NULL) {
		int clen;
		const char *cat = category_text(a, &clen);

		fputs(" (", out);
		if (a->name != NULL)
			fprintf(out, "%.*s, ", (int)a->name->via.str.size,
			    a->name->via.str.ptr);
		fprintf(out, "category %.*s%s)", clen, cat, a->fallback ?
		    ": nothing like it, the cold-start list" : "");
	} else if (a->fallback && a->name != NULL)
		fprintf(out, " (%.*s: nothing named like it, the cold-start list)",
		    (int)a->name->via.str.size, a->name->via.str.ptr);
	else if (a->fallback)
		fputs(" (not in the model: the cold-start list)", out);
	else if (a->name != NULL)
		fprintf(out, " (%.*s)", (int)a->name->via.str.size, a->name->via.str.ptr);
	fputs(":\n", out);
	for (size_t i = 0; i < n && i < a->size; i++) {
		char *scratch = NULL;

		fprintf(out, "%4zu. customer %s  (", i + 1,
		    entry(f, &f->text, a, i, 2, &scratch));
		write_reason(out, f, a, i, 2);
		fputs(f->groups && a->control && a->control[i] ?
		    ", control: not to be contacted)\n" : ")\n", out);
		free(scratch);
	}
}

void
audfmt_reason(FILE *out, const struct audfmt *f, const struct audience *a,
    size_t i)
{
	write_reason(out, f, a, i, 3);
}
