/*
 * Allocate or die: the one place in common/ allowed to end the process, because
 * no caller can do anything useful when memory runs out.
 */
#ifndef AUD_XALLOC_H
#define AUD_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows an array of count elements of size bytes to at least need elements. */
void *xgrow(void *ptr, size_t *count, size_t need, size_t size);
char *xstrndup(const char *s, size_t len);

/* Dies of an allocation made by other means (open_memstream, say) failing. */
void xalloc_failed(void);

/*
 * Asks the kernel to back a large, randomly accessed array with huge pages
 * (transparent huge pages, madvise mode). Hash tables of tens of millions
 * of entries otherwise spend most of a look-up on TLB misses. A hint: it
 * may do nothing, and never fails.
 */
void advise_huge(void *ptr, size_t size);

#endif
