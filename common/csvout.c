/* CSV field output; see csvout.h. */
#include "csvout.h"

#include <string.h>

#include "banned.h"

void
csv_write_field(FILE *out, const char *s, size_t len, char sep)
{
	/* CSV readers (libcsv among them) trim blanks around a field that is
	   not quoted: a field that starts or ends with one is quoted too. */
	int edge_blank = len > 0 && (s[0] == ' ' || s[0] == '\t' ||
	    s[len - 1] == ' ' || s[len - 1] == '\t');

	if (!edge_blank && memchr(s, sep, len) == NULL &&
	    memchr(s, '"', len) == NULL && memchr(s, '\n', len) == NULL &&
	    memchr(s, '\r', len) == NULL) {
		fwrite(s, 1, len, out);
		return;
	}
	putc('"', out);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			putc('"', out);
		putc(s[i], out);
	}
	putc('"', out);
}
