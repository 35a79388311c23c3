/* Lists of ids one per line: see idlist.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idlist.h"
#include "xalloc.h"
#include "banned.h"

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/* Appends text[0..len) as an id of line; offsets until the text is final. */
static void
add(struct idlist *l, const char *text, size_t len, uint64_t line)
{
	l->id = xgrow(l->id, &l->cap, l->n + 1, sizeof(*l->id));
	l->text = xgrow(l->text, &l->text_cap, l->text_len + len + 1, 1);
	memcpy(l->text + l->text_len, text, len);
	l->text[l->text_len + len] = '\0';
	l->id[l->n].text = (const char *)(uintptr_t)l->text_len;
	l->id[l->n].len = len;
	l->id[l->n].line = line;
	l->text_len += len + 1;
	l->n++;
}

int
idlist_read(struct idlist *l, FILE *in, const char *name, int skip_header,
    char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	uint64_t lineno = 0;
	ssize_t got;

	memset(l, 0, sizeof(*l));
	while ((got = getline(&line, &cap, in)) > 0) {
		size_t a = 0, b = (size_t)got;

		if (++lineno == 1 && skip_header)
			continue;
		if (memchr(line, '\0', b) != NULL) {
			snprintf(err, errlen, "%s:%llu: a NUL byte in an id",
			    name, (unsigned long long)lineno);
			free(line);
			return -1;
		}
		while (a < b && blank(line[a]))
			a++;
		while (b > a && blank(line[b - 1]))
			b--;
		if (b > a)
			add(l, line + a, b - a, lineno);
	}
	free(line);
	if (ferror(in)) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	/* The text has stopped moving: offsets become pointers. */
	for (size_t i = 0; i < l->n; i++)
		l->id[i].text = l->text + (uintptr_t)l->id[i].text;
	return 0;
}

void
idlist_free(struct idlist *l)
{
	free(l->id);
	free(l->text);
	memset(l, 0, sizeof(*l));
}
