/*
 * The words of a product name, for finding products by name: ASCII letters
 * folded to lower case, any byte that is not an ASCII letter or digit (or
 * is from 0x80 up) ending a word except bytes from 0x80 up, which are kept
 * whole inside words so that UTF-8 names keep their letters. "Blue
 * Cotton-Mug (12oz)" is blue, cotton, mug, 12oz. Words are at most
 * TOKEN_MAX bytes (longer ones are cut there); a name gives each word once,
 * in order of first appearance.
 */
#ifndef AUD_TOKENS_H
#define AUD_TOKENS_H

#include <stddef.h>

#define TOKEN_MAX 32

struct token {
	char text[TOKEN_MAX + 1];	/* NUL-terminated */
	size_t len;
};

/*
 * Splits name[0..len) into at most max distinct words; returns how many.
 * Never reads past len, whatever the bytes.
 */
size_t tokens_split(const char *name, size_t len, struct token *out, size_t max);

#endif
