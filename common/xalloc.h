/*
 * Allocate or die: the one place in common/ allowed to end the process, because
 * no caller can do anything useful when memory runs out.
 */
#ifndef AUD_XALLOC_H
#define AUD_XALLOC_H

#include <stddef.h>

/* Arrays of 8 MiB and more are advised to use transparent huge pages: hash
   tables of tens of millions of entries otherwise spend most of a look-up
   on TLB misses, and their first touch on page faults. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows an array of count elements of size bytes to at least need elements. */
void *xgrow(void *ptr, size_t *count, size_t need, size_t size);
char *xstrndup(const char *s, size_t len);

/* Dies of an allocation made by other means (open_memstream, say) failing. */
void xalloc_failed(void);

#endif
