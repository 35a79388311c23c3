/* CSV field output; see csvout.h. */
#include "csvout.h"

#include <string.h>

#include "banned.h"

void
csv_write_field(FILE *out, const char *s, size_t len, char sep)
{
	if (memchr(s, sep, len) == NULL && memchr(s, '"', len) == NULL &&
	    memchr(s, '\n', len) == NULL && memchr(s, '\r', len) == NULL) {
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
