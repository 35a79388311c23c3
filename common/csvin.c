/*
 * CSV reading on top of libcsv. libcsv reports fields and row ends but not
 * where they are, so input is fed one physical line at a time: then the line
 * being fed is the line of whatever libcsv reports. libcsv's field data is
 * borrowed, so fields are copied into a row buffer until the row ends.
 */
#include "csvin.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "banned.h"

#define CHUNK (1 << 16)

struct reader {
	const char *name;
	csv_row_fn fn;
	void *ctx;
	uint64_t line;		/* the line being fed */
	uint64_t row_line;	/* the line the current row started on */
	char *buf;		/* field bytes of the current row */
	size_t len, cap;
	size_t *offsets, *lens;	/* per field, into buf */
	size_t nfields, fields_cap;
	struct csv_field *fields;
	size_t fields_out_cap;
	int stop;		/* fn's value, or -1 for our own error */
	char *err;
	size_t errlen;
};

static void
on_field(void *data, size_t len, void *r_)
{
	struct reader *r = r_;

	if (r->stop)
		return;
	if (memchr(data, '\0', len) != NULL) {
		snprintf(r->err, r->errlen, "%s:%llu: NUL byte in a field",
		    r->name, (unsigned long long)r->line);
		r->stop = -1;
		return;
	}
	if (r->nfields == r->fields_cap) {
		size_t cap = r->fields_cap;

		r->offsets = xgrow(r->offsets, &cap, r->nfields + 1, sizeof(size_t));
		r->lens = xrealloc(r->lens, cap * sizeof(size_t));
		r->fields_cap = cap;
	}
	r->buf = xgrow(r->buf, &r->cap, r->len + len + 1, 1);
	if (len > 0)
		memcpy(r->buf + r->len, data, len);
	r->buf[r->len + len] = '\0';
	r->offsets[r->nfields] = r->len;
	r->lens[r->nfields] = len;
	r->nfields++;
	r->len += len + 1;
}

static void
on_row(int term, void *r_)
{
	struct reader *r = r_;
	struct csv_row row;

	(void)term;
	if (r->stop)
		return;
	r->fields = xgrow(r->fields, &r->fields_out_cap, r->nfields,
	    sizeof(*r->fields));
	for (size_t i = 0; i < r->nfields; i++) {
		r->fields[i].ptr = r->buf + r->offsets[i];
		r->fields[i].len = r->lens[i];
	}
	row.fields = r->fields;
	row.nfields = r->nfields;
	row.line = r->row_line;
	r->stop = r->fn(&row, r->ctx);
	r->nfields = 0;
	r->len = 0;
}

/*
 * libcsv 3 keeps its state in the public struct csv_parser; pstate 0 is
 * ROW_NOT_BEGUN, the only state in which the next byte starts a new row.
 */
static int
between_rows(const struct csv_parser *p)
{
	return p->pstate == 0;
}

static int
feed(struct csv_parser *p, struct reader *r, const char *s, size_t n)
{
	if (between_rows(p))
		r->row_line = r->line;
	if (csv_parse(p, s, n, on_field, on_row, r) != n && !r->stop) {
		snprintf(r->err, r->errlen, "%s:%llu: malformed CSV: %s",
		    r->name, (unsigned long long)r->line,
		    csv_error(p) == CSV_EPARSE ? "misplaced quote" :
		    csv_strerror(csv_error(p)));
		r->stop = -1;
	}
	if (!r->stop && p->entry_pos > CSV_MAX_FIELD) {
		snprintf(r->err, r->errlen, "%s:%llu: field longer than %u MiB "
		    "(an unterminated quote?)", r->name,
		    (unsigned long long)r->row_line, CSV_MAX_FIELD >> 20);
		r->stop = -1;
	}
	return r->stop;
}

int
csv_read(FILE *in, const char *name, csv_row_fn fn, void *ctx,
    volatile uint64_t *bytes_read, char *err, size_t errlen)
{
	struct csv_parser p;
	struct reader r = { .name = name, .fn = fn, .ctx = ctx, .line = 1,
	    .row_line = 1, .err = err, .errlen = errlen };
	char *chunk = xmalloc(CHUNK);
	uint64_t total = 0;
	size_t n;
	int first = 1;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		free(chunk);
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	while (!r.stop && (n = fread(chunk, 1, CHUNK, in)) > 0) {
		const char *s = chunk, *end = chunk + n;

		if (first && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		first = 0;
		while (s < end && !r.stop) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			size_t len = nl ? (size_t)(nl - s) + 1 : (size_t)(end - s);

			feed(&p, &r, s, len);
			s += len;
			if (nl)
				r.line++;
		}
		total += n;
		if (bytes_read != NULL)
			*bytes_read = total;
	}
	if (!r.stop && ferror(in)) {
		snprintf(err, errlen, "%s: read error: %s", name, strerror(errno));
		r.stop = -1;
	}
	if (!r.stop && csv_fini(&p, on_field, on_row, &r) != 0 && !r.stop) {
		snprintf(err, errlen, "%s:%llu: malformed CSV: unterminated "
		    "quoted field", name, (unsigned long long)r.row_line);
		r.stop = -1;
	}
	csv_free(&p);
	free(chunk);
	free(r.buf);
	free(r.offsets);
	free(r.lens);
	free(r.fields);
	return r.stop;
}
