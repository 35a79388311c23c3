/*
 * CSV input (RFC 4180, through libcsv): quoted fields with embedded commas,
 * quotes and newlines, CRLF or LF line ends, and a leading UTF-8 byte order
 * mark. Rows are handed to a callback with their physical line number, so
 * data errors can say "file:line". Unquoted fields lose surrounding blanks
 * (libcsv's rule); quoted fields are kept exactly. The delimiter may be
 * another character (';', a tab), or runs of blanks with no quoting.
 */
#ifndef AUD_CSVIN_H
#define AUD_CSVIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Longest field accepted; a longer one is almost surely a stray quote. */
#define CSV_MAX_FIELD (16u << 20)

struct csv_field {
	const char *ptr;	/* NUL-terminated, may not contain NUL */
	size_t len;
};

/*
 * One row, borrowed: valid only during the callback. line is the line on
 * which the row starts, counting from 1.
 */
struct csv_row {
	const struct csv_field *fields;
	size_t nfields;
	uint64_t line;
};

/*
 * Called with the rows in input order, a batch at a time (so the caller can
 * look ahead, e.g. to prefetch); a non-zero return stops reading and is
 * passed on.
 */
typedef int (*csv_rows_fn)(const struct csv_row *rows, size_t nrows, void *ctx);

/* Where rows come from and how they are written. */
struct csv_input {
	FILE *in;
	const char *name;		/* for messages */
	char delim;			/* ',' (RFC 4180), ';', '\t', '|', ... */
	int whitespace;			/* instead: fields are separated by
					   runs of blanks, with no quoting (the
					   CDNOW files); delim is not used */
	volatile uint64_t *bytes_read;	/* if not NULL, updated as input is
					   consumed, for progress */
};

/*
 * Reads src->in to its end, calling fn for each batch of rows. Returns 0,
 * fn's non-zero value, or -1 with err filled ("name:line: ...").
 */
int csv_read(const struct csv_input *src, csv_rows_fn fn, void *ctx, char *err,
    size_t errlen);

#endif
