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

/*
 * The first field of a CSV line[0..*len): up to the first comma, or a
 * quoted field with its "" made ". Returns where it starts; *len is its
 * length (the line is unquoted in place).
 */
static char *
first_field(char *line, size_t *len)
{
	size_t i = 0, out = 0;

	if (*len == 0 || line[0] != '"') {
		char *comma = memchr(line, ',', *len);

		if (comma != NULL)
			*len = (size_t)(comma - line);
		return line;
	}
	for (i = 1; i < *len; i++) {
		if (line[i] == '"' && i + 1 < *len && line[i + 1] == '"')
			i++;
		else if (line[i] == '"')
			break;
		line[out++] = line[i];
	}
	*len = out;
	return line;
}

int
idlist_read(struct idlist *l, const struct idlist_source *src, char *err,
    size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	uint64_t lineno = 0;
	ssize_t got;
	int csv = 0;

	memset(l, 0, sizeof(*l));
	while ((got = getline(&line, &cap, src->in)) > 0) {
		size_t a = 0, b = (size_t)got;
		char *text = line;

		if (memchr(line, '\0', b) != NULL) {
			snprintf(err, errlen, "%s:%llu: a NUL byte in an id",
			    src->name, (unsigned long long)lineno + 1);
			free(line);
			return -1;
		}
		/* A first line with a comma: a CSV, whose header it is. */
		if (++lineno == 1 && src->first_column &&
		    memchr(line, ',', b) != NULL)
			csv = 1;
		if (lineno == 1 && (src->skip_header || csv))
			continue;
		while (a < b && blank(line[a]))
			a++;
		while (b > a && blank(line[b - 1]))
			b--;
		if (csv) {
			b -= a;
			text = first_field(line + a, &b);
			a = 0;
			while (b > 0 && blank(text[b - 1]))
				b--;
		}
		if (b > a)
			add(l, text + a, b - a, lineno);
	}
	free(line);
	if (ferror(src->in)) {
		snprintf(err, errlen, "%s: %s", src->name, strerror(errno));
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

struct intern *
idlist_load_set(const char *path, char *err, size_t errlen)
{
	int is_stdin = strcmp(path, "-") == 0;
	struct idlist_source src = { .in = is_stdin ? stdin : fopen(path, "r"),
	    .name = is_stdin ? "stdin" : path, .first_column = 1 };
	struct intern *set;
	struct idlist l;

	if (src.in == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (idlist_read(&l, &src, err, errlen) < 0) {
		if (!is_stdin)
			fclose(src.in);
		return NULL;
	}
	if (!is_stdin)
		fclose(src.in);
	set = intern_new();
	for (size_t i = 0; i < l.n; i++) {
		struct id id;

		id_from_text(&id, l.id[i].text, l.id[i].len);
		if (intern_add(set, &id, NULL) == UINT32_MAX) {
			snprintf(err, errlen, "%s: more than 4 billion ids", path);
			intern_free(set);
			idlist_free(&l);
			return NULL;
		}
	}
	idlist_free(&l);
	return set;
}
