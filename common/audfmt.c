/* Audience output formats; see audfmt.h. */
#include "audfmt.h"

#include <string.h>

#include "json.h"
#include "stream.h"
#include "banned.h"

void
audfmt_table_header(FILE *out, char sep)
{
	fprintf(out, "product_id%crank%ccustomer_id%cscore%csource\n", sep, sep,
	    sep, sep);
}

void
audfmt_id(FILE *out, const msgpack_object *id, char sep)
{
	const char *s;
	size_t len;

	if (id->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		fprintf(out, "%llu", (unsigned long long)id->via.u64);
	else if (id->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		fprintf(out, "%lld", (long long)id->via.i64);
	else if (id->type == MSGPACK_OBJECT_STR) {
		s = id->via.str.ptr;
		len = id->via.str.size;
		/* TSV has no quoting: ids with tabs or line breaks are rare enough
		   that CSV is the format for them; here they are quoted too. */
		if (memchr(s, sep, len) || memchr(s, '"', len) ||
		    memchr(s, '\n', len) || memchr(s, '\r', len)) {
			putc('"', out);
			for (size_t i = 0; i < len; i++) {
				if (s[i] == '"')
					putc('"', out);
				putc(s[i], out);
			}
			putc('"', out);
		} else
			fwrite(s, 1, len, out);
	}
}

static void
score_text(FILE *out, double v)
{
	json_write_double(out, v);
}

void
audfmt_table(FILE *out, char sep, const struct model *m,
    const struct audience *a, const msgpack_object *product, size_t n)
{
	for (size_t i = 0; i < n && i < a->size; i++) {
		audfmt_id(out, product, sep);
		fprintf(out, "%c%zu%c", sep, i + 1, sep);
		audfmt_id(out, audience_customer(m, a, i), sep);
		putc(sep, out);
		score_text(out, audience_score(m, a, i));
		fprintf(out, "%c%s\n", sep, a->fallback ? "fallback" : "model");
	}
}

void
audfmt_json(FILE *out, const struct model *m, const struct audience *a,
    const msgpack_object *product, size_t n)
{
	const msgpack_object *score = mp_map_get(m->meta, "score");
	size_t count = n < a->size ? n : a->size;
	char note[256];

	fputs("{\"product_id\":", out);
	json_write_object(out, product);
	fputs(",\"product_name\":", out);
	if (a->name != NULL)
		json_write_object(out, a->name);
	else
		fputs("null", out);
	fputs(",\"recommendations\":[", out);
	for (size_t i = 0; i < count; i++) {
		fputs(i ? ",{\"customer_id\":" : "{\"customer_id\":", out);
		json_write_object(out, audience_customer(m, a, i));
		fputs(",\"score\":", out);
		score_text(out, audience_score(m, a, i));
		fprintf(out, ",\"rank\":%zu}", i + 1);
	}
	fprintf(out, "],\"count\":%zu,\"note\":", count);
	n = (size_t)snprintf(note, sizeof(note), "%s, by %.*s score", a->fallback ?
	    "new product: not in the model, so it is served the cold-start list, "
	    "the top customers overall" :
	    "the top customers who have not interacted with this product",
	    score && score->type == MSGPACK_OBJECT_STR ? (int)score->via.str.size : 1,
	    score && score->type == MSGPACK_OBJECT_STR ? score->via.str.ptr : "?");
	json_write_string(out, note, n < sizeof(note) ? n : sizeof(note) - 1);
	fputs("}\n", out);
}

void
audfmt_text(FILE *out, const struct model *m, const struct audience *a,
    const msgpack_object *product, size_t n)
{
	fputs("product ", out);
	audfmt_id(out, product, '\n');
	if (a->fallback)
		fputs(" (not in the model: the cold-start list)", out);
	else if (a->name != NULL)
		fprintf(out, " (%.*s)", (int)a->name->via.str.size, a->name->via.str.ptr);
	fputs(":\n", out);
	for (size_t i = 0; i < n && i < a->size; i++) {
		fprintf(out, "%4zu. customer ", i + 1);
		audfmt_id(out, audience_customer(m, a, i), '\n');
		fprintf(out, "  score %.6f\n", audience_score(m, a, i));
	}
}
