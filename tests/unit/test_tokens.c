/*
 * Unit tests of common/tokens.c: case folding of ASCII letters, splitting on
 * punctuation and blanks, UTF-8 bytes kept whole, each word once, the bound
 * on a word's length, and names that are empty or all punctuation.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tokens.h"

/* The words of name joined by '|'. */
static const char *
words(const char *name, size_t len)
{
	static char joined[4096];
	struct token t[64];
	size_t n = tokens_split(name, len, t, 64), at = 0;

	joined[0] = '\0';
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(joined + at, sizeof(joined) - at, "%s%s",
		    i ? "|" : "", t[i].text);
	return joined;
}

#define IS(name, want) do { \
	const char *got_ = words(name, strlen(name)); \
	ok(strcmp(got_, want) == 0, "\"%s\" is %s (got %s)", name, want, got_); \
} while (0)

int
main(void)
{
	char big[1 << 20];

	IS("Blue Cotton-Mug (12oz)", "blue|cotton|mug|12oz");
	IS("  MUG, mug;Mug ", "mug");
	IS("Caf\xc3\xa9 au lait", "caf\xc3\xa9|au|lait");
	IS("\xe6\x9d\xaf\xe5\xad\x90/cup", "\xe6\x9d\xaf\xe5\xad\x90|cup");
	IS("", "");
	IS("--- !!! ...", "");
	IS("WHITE HANGING HEART T-LIGHT HOLDER", "white|hanging|heart|t|light|holder");
	memset(big, 'a', sizeof(big));
	ok(tokens_split(big, sizeof(big), (struct token[2]){ 0 }, 2) == 1,
	    "a 1 MiB word is one word");
	{
		struct token t[1];

		tokens_split(big, sizeof(big), t, 1);
		ok(t[0].len == TOKEN_MAX && strlen(t[0].text) == TOKEN_MAX,
		    "cut at %d bytes", TOKEN_MAX);
	}
	ok(tokens_split("a b c d", 7, (struct token[2]){ 0 }, 2) == 2,
	    "no more words than asked for");
	ok(tokens_split("abc", 2, (struct token[2]){ 0 }, 2) == 1 &&
	    strcmp(words("abc", 2), "ab") == 0, "nothing read past len");
	return tap_done();
}
