/* The words of product names; see tokens.h. */
#include "tokens.h"

#include <string.h>

#include "banned.h"

/* Letters, digits and bytes of multi-byte UTF-8 characters make words. */
static int
in_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80;
}

size_t
tokens_split(const char *name, size_t len, struct token *out, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len && n < max) {
		struct token *t = &out[n];
		size_t seen;

		while (i < len && !in_word((unsigned char)name[i]))
			i++;
		if (i == len)
			break;
		t->len = 0;
		for (; i < len && in_word((unsigned char)name[i]); i++) {
			unsigned char c = (unsigned char)name[i];

			if (t->len < TOKEN_MAX)
				t->text[t->len++] = (char)(c >= 'A' && c <= 'Z' ?
				    c - 'A' + 'a' : c);
		}
		t->text[t->len] = '\0';
		for (seen = 0; seen < n && strcmp(out[seen].text, t->text) != 0; seen++)
			;
		n += seen == n;		/* a word given again is not kept */
	}
	return n;
}
