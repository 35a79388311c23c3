/*
 * Lists of ids given one per line, as people type them or cut(1) them out of
 * a CSV: blanks around an id and a CR before the newline are dropped, blank
 * lines skipped, and a header line can be skipped. Each id keeps its line
 * number, so that a bad one is named where it is.
 */
#ifndef AUD_IDLIST_H
#define AUD_IDLIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "intern.h"

struct idlist_entry {
	const char *text;		/* NUL-terminated, inside the list */
	size_t len;
	uint64_t line;			/* counting from 1 */
};

struct idlist {
	struct idlist_entry *id;
	size_t n, cap;
	char *text;			/* the ids, NUL-separated */
	size_t text_len, text_cap;
};

struct idlist_source {
	FILE *in;
	const char *name;		/* for messages */
	int skip_header;		/* drop the first line */
	/* A file whose first line has a comma is a CSV with a header:
	   each id is the first field of a line (quotes taken off). */
	int first_column;
};

/*
 * Reads every line of src. Returns 0, or -1 with err filled: a read error,
 * or a line holding a NUL byte ("name:LINE: a NUL byte in an id").
 */
int idlist_read(struct idlist *l, const struct idlist_source *src, char *err,
    size_t errlen);
void idlist_free(struct idlist *l);

/*
 * The ids of the file at path ("-": standard input), one a line or a
 * CSV's first column, interned into a new set. Returns it, or NULL with
 * err filled.
 */
struct intern *idlist_load_set(const char *path, char *err, size_t errlen);

#endif
