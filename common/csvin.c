/*
 * CSV reading on top of libcsv, in two threads: a reader thread parses and
 * fills batches of rows, while the caller's thread runs the row callback on
 * the batch before. Parsing is about half of aud-prepare's work, so the
 * second core nearly halves its time.
 *
 * libcsv reports fields and row ends but not where they are, so input is fed
 * one physical line at a time: the line being fed is the line of whatever
 * libcsv reports. Most lines of a real export hold no quote at all; those are
 * split directly, with libcsv's rules for unquoted fields (blanks trimmed),
 * which is several times faster. Anything else goes through libcsv.
 *
 * Field bytes are copied into the batch (libcsv's are borrowed, chunks are
 * reused), so the callback's rows stay valid until it returns.
 */
#include "csvin.h"

#include <csv.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"
#include "xalloc.h"
#include "banned.h"

#define CHUNK (1 << 16)
#define NBATCH HANDOFF_SLOTS
#define BATCH_ROWS 8192
#define BATCH_BYTES (1u << 20)

struct batch {
	char *bytes;			/* every field, NUL-terminated */
	size_t len, cap;
	size_t *field_at, *field_len;	/* per field */
	size_t nfields, fields_cap;
	size_t *row_first;		/* per row: its first field */
	uint64_t *row_line;
	size_t nrows, rows_cap;
	size_t row_start;		/* first field of the row being built */
	int last;			/* no batch follows */
	int status;			/* with last: 0, or -1 for a reader error */
};

struct reader {
	FILE *in;
	const char *name;
	char delim;
	int whitespace;
	volatile uint64_t *bytes_read;
	uint64_t line;			/* the line being fed */
	uint64_t row_line;		/* the line the current row started on */
	struct batch batch[NBATCH];
	int filling;			/* batch the reader thread fills */
	struct handoff ring;
	int failed;			/* the reader thread hit an error */
	char err[512];
};

static void
batch_add_field(struct batch *b, const char *data, size_t len)
{
	if (b->nfields == b->fields_cap) {
		size_t cap = b->fields_cap;

		b->field_at = xgrow(b->field_at, &cap, b->nfields + 1, sizeof(size_t));
		b->field_len = xrealloc(b->field_len, cap * sizeof(size_t));
		b->fields_cap = cap;
	}
	b->bytes = xgrow(b->bytes, &b->cap, b->len + len + 1, 1);
	if (len > 0)
		memcpy(b->bytes + b->len, data, len);
	b->bytes[b->len + len] = '\0';
	b->field_at[b->nfields] = b->len;
	b->field_len[b->nfields++] = len;
	b->len += len + 1;
}

static void
publish(struct reader *r, int last, int status)
{
	struct batch *b = &r->batch[r->filling];

	b->last = last;
	b->status = status;
	handoff_publish(&r->ring, r->filling);
	r->filling = (r->filling + 1) % NBATCH;
}

static void
end_row(struct reader *r)
{
	struct batch *b = &r->batch[r->filling];

	if (b->nrows == b->rows_cap) {
		size_t cap = b->rows_cap;

		b->row_first = xgrow(b->row_first, &cap, b->nrows + 1, sizeof(size_t));
		b->row_line = xrealloc(b->row_line, cap * sizeof(uint64_t));
		b->rows_cap = cap;
	}
	b->row_first[b->nrows] = b->row_start;
	b->row_line[b->nrows++] = r->row_line;
	b->row_start = b->nfields;
	if (b->nrows < BATCH_ROWS && b->len < BATCH_BYTES)
		return;
	publish(r, 0, 0);
	if (handoff_claim(&r->ring, r->filling) == 0) {
		b = &r->batch[r->filling];
		b->len = b->nfields = b->nrows = b->row_start = 0;
	}
}

/* Records the first error, "name:line: what", and stops the reader. */
static void
fail(struct reader *r, uint64_t line, const char *what)
{
	if (!r->failed)
		snprintf(r->err, sizeof(r->err), "%s:%llu: %s", r->name,
		    (unsigned long long)line, what);
	r->failed = 1;
}

static void
on_field(void *data, size_t len, void *r_)
{
	struct reader *r = r_;

	if (r->failed)
		return;
	if (memchr(data, '\0', len) != NULL) {
		fail(r, r->line, "NUL byte in a field");
		return;
	}
	batch_add_field(&r->batch[r->filling], data, len);
}

static void
on_row(int term, void *r_)
{
	struct reader *r = r_;

	(void)term;
	if (!r->failed)
		end_row(r);
}

/* A blank around an unquoted field, trimmed; never the delimiter. */
static int
is_blank(const struct reader *r, char c)
{
	return (c == ' ' || c == '\t') && c != r->delim;
}

/*
 * Splits a whole line with no quote, NUL or stray carriage return, as
 * libcsv would. Returns 0 when the line does not qualify and libcsv must
 * read it.
 */
static int
split_plain_line(struct reader *r, const char *s, size_t n)
{
	const char *end = s + n, *f;

	if (n == 0 || end[-1] != '\n')
		return 0;	/* the rest of the line is in the next chunk */
	end--;
	if (end > s && end[-1] == '\r')
		end--;
	if (memchr(s, '"', (size_t)(end - s)) != NULL ||
	    memchr(s, '\r', (size_t)(end - s)) != NULL ||
	    memchr(s, '\0', (size_t)(end - s)) != NULL)
		return 0;
	for (f = s; f < end && is_blank(r, *f); f++)
		;
	if (f == end)
		return 0;	/* a blank line: libcsv decides */
	for (f = s;; f++) {
		const char *comma = memchr(f, r->delim, (size_t)(end - f));
		const char *fe = comma ? comma : end;

		while (f < fe && is_blank(r, *f))
			f++;
		while (fe > f && is_blank(r, fe[-1]))
			fe--;
		batch_add_field(&r->batch[r->filling], f, (size_t)(fe - f));
		if (comma == NULL)
			break;
		f = comma;
	}
	end_row(r);
	return 1;
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

static void
feed(struct csv_parser *p, struct reader *r, const char *s, size_t n)
{
	if (between_rows(p)) {
		r->row_line = r->line;
		if (split_plain_line(r, s, n))
			return;
	}
	if (csv_parse(p, s, n, on_field, on_row, r) != n)
		fail(r, r->line, csv_error(p) == CSV_EPARSE ?
		    "malformed CSV: stray quote" :
		    "malformed CSV: out of memory");
	if (p->entry_pos > CSV_MAX_FIELD)
		fail(r, r->row_line, "field longer than 16 MiB (an unterminated quote?)");
}

/*
 * The end of the line at s: its LF, or a CR not followed by LF (files from
 * old Macs end lines with CR alone); NULL when the line goes on past end.
 * A CR at end may be half of a CRLF: the caller counts it as the line's end
 * and passes over an LF that starts the next chunk.
 */
static const char *
line_end(const char *s, const char *end)
{
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	const char *stop = nl ? nl : end;
	const char *cr = memchr(s, '\r', (size_t)(stop - s));

	if (cr != NULL && cr + 1 == nl)	/* CRLF: the LF ends the line */
		cr = NULL;
	return cr ? cr : nl;
}

/* libcsv's blanks around an unquoted field when a tab separates fields. */
static int
space_only(unsigned char c)
{
	return c == ' ';
}

/*
 * Fields separated by runs of blanks, without quotes: a line at a time,
 * blanks (and a CR) around the fields dropped, blank lines skipped.
 */
static void
read_blank_separated(struct reader *r)
{
	char *line = NULL;
	size_t cap = 0;
	uint64_t total = 0;
	ssize_t got;

	while (!r->failed && !handoff_cancelled(&r->ring) &&
	    (got = getline(&line, &cap, r->in)) > 0) {
		const char *s = line, *end = line + got;

		if (total == 0 && got >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		total += (uint64_t)got;
		r->row_line = r->line;
		if (memchr(s, '\0', (size_t)(end - s)) != NULL)
			fail(r, r->line, "NUL byte in a field");
		while (!r->failed) {
			const char *f;

			while (s < end && strchr(" \t\r\n\v\f", *s) != NULL)
				s++;
			if (s == end)
				break;
			for (f = s; f < end && strchr(" \t\r\n\v\f", *f) == NULL; f++)
				;
			if ((size_t)(f - s) > CSV_MAX_FIELD)
				fail(r, r->line, "field longer than 16 MiB");
			else
				batch_add_field(&r->batch[r->filling], s, (size_t)(f - s));
			s = f;
		}
		if (!r->failed && r->batch[r->filling].nfields >
		    r->batch[r->filling].row_start)
			end_row(r);
		r->line++;
		if (r->bytes_read != NULL)
			*r->bytes_read = total;
	}
	free(line);
	if (!r->failed && ferror(r->in)) {
		snprintf(r->err, sizeof(r->err), "%s: read error: %s", r->name,
		    strerror(errno));
		r->failed = 1;
	}
	publish(r, 1, r->failed ? -1 : 0);
}

/* The reader thread: parses the whole input into batches. */
static void *
read_all(void *r_)
{
	struct reader *r = r_;
	struct csv_parser p;
	char *chunk;
	uint64_t total = 0;
	size_t n;
	int first = 1, after_cr = 0;

	if (r->whitespace) {
		read_blank_separated(r);
		return NULL;
	}
	chunk = xmalloc(CHUNK);
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		fail(r, 0, "out of memory");
		publish(r, 1, -1);
		free(chunk);
		return NULL;
	}
	csv_set_delim(&p, (unsigned char)r->delim);
	if (r->delim == '\t')
		csv_set_space_func(&p, space_only);
	while (!r->failed && !handoff_cancelled(&r->ring) &&
	    (n = fread(chunk, 1, CHUNK, r->in)) > 0) {
		const char *s = chunk, *end = chunk + n;

		if (first && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			s += 3;
		first = 0;
		if (after_cr && *s == '\n') {	/* a CRLF cut by the chunk */
			feed(&p, r, s, 1);
			s++;
		}
		after_cr = 0;
		while (s < end && !r->failed) {
			const char *eol = line_end(s, end);
			size_t len = eol ? (size_t)(eol - s) + 1 : (size_t)(end - s);

			feed(&p, r, s, len);
			s += len;
			if (eol) {
				r->line++;
				after_cr = *eol == '\r';
			}
		}
		total += n;
		if (r->bytes_read != NULL)
			*r->bytes_read = total;
	}
	if (!r->failed && ferror(r->in)) {
		snprintf(r->err, sizeof(r->err), "%s: read error: %s", r->name,
		    strerror(errno));
		r->failed = 1;
	}
	if (!r->failed && csv_fini(&p, on_field, on_row, r) != 0)
		fail(r, r->row_line, "malformed CSV: unterminated quoted field");
	csv_free(&p);
	free(chunk);
	publish(r, 1, r->failed ? -1 : 0);
	return NULL;
}

/* Lays batch b out as rows and hands them to fn; returns fn's value. */
static int
consume(const struct batch *b, struct csv_field **fields, size_t *fields_cap,
    struct csv_row **rows, size_t *rows_cap, csv_rows_fn fn, void *ctx)
{
	*fields = xgrow(*fields, fields_cap, b->nfields, sizeof(**fields));
	*rows = xgrow(*rows, rows_cap, b->nrows, sizeof(**rows));
	for (size_t k = 0; k < b->nfields; k++) {
		(*fields)[k].ptr = b->bytes + b->field_at[k];
		(*fields)[k].len = b->field_len[k];
	}
	for (size_t i = 0; i < b->nrows; i++) {
		size_t first = b->row_first[i];
		size_t next = i + 1 < b->nrows ? b->row_first[i + 1] : b->nfields;

		(*rows)[i].fields = *fields + first;
		(*rows)[i].nfields = next - first;
		(*rows)[i].line = b->row_line[i];
	}
	return b->nrows > 0 ? fn(*rows, b->nrows, ctx) : 0;
}

int
csv_read(const struct csv_input *src, csv_rows_fn fn, void *ctx, char *err,
    size_t errlen)
{
	struct reader *r = xcalloc(1, sizeof(*r));
	struct csv_field *fields = NULL;
	struct csv_row *rows = NULL;
	size_t fields_cap = 0, rows_cap = 0;
	int next = 0;
	pthread_t thread;
	int ret = 0, last = 0, status = 0;

	r->in = src->in;
	r->name = src->name;
	r->delim = src->delim;
	r->whitespace = src->whitespace;
	r->bytes_read = src->bytes_read;
	r->line = r->row_line = 1;
	handoff_init(&r->ring);
	if ((errno = pthread_create(&thread, NULL, read_all, r)) != 0) {
		snprintf(err, errlen, "%s: cannot start a thread: %s", src->name,
		    strerror(errno));
		free(r);
		return -1;
	}
	while (!last && ret == 0) {
		struct batch *b = &r->batch[next];

		handoff_take(&r->ring, next);
		ret = consume(b, &fields, &fields_cap, &rows, &rows_cap, fn, ctx);
		last = b->last;
		status = b->status;
		handoff_release(&r->ring, next, ret != 0);
		next = (next + 1) % NBATCH;
	}
	pthread_join(thread, NULL);
	if (ret == 0 && status != 0) {
		snprintf(err, errlen, "%s", r->err);
		ret = -1;
	}
	for (size_t i = 0; i < NBATCH; i++) {
		free(r->batch[i].bytes);
		free(r->batch[i].field_at);
		free(r->batch[i].field_len);
		free(r->batch[i].row_first);
		free(r->batch[i].row_line);
	}
	handoff_destroy(&r->ring);
	free(fields);
	free(rows);
	free(r);
	return ret;
}
