/* CSV output: one field, quoted per RFC 4180 only when it needs to be. */
#ifndef AUD_CSVOUT_H
#define AUD_CSVOUT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes len bytes of s as a field of a table separated by sep: within
 * double quotes, quotes doubled, when it holds sep, a quote or a line
 * break, or starts or ends with a blank (space or tab), so that it reads
 * back as written; as it is otherwise.
 */
void csv_write_field(FILE *out, const char *s, size_t len, char sep);

#endif
