/* Allocate-or-die helpers; see xalloc.h for why they may exit. */
#include "xalloc.h"

#include <err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "banned.h"

/*
 * Arrays this large are fresh mappings of their own (glibc maps blocks
 * above 128 KiB), first touched by the caller: backed by huge pages they
 * cost one page fault per 2 MiB instead of per 4 KiB, which on a virtual
 * machine was a third of aud-rank's time at 50M rows.
 */
#define HUGE_ENOUGH ((size_t)8 << 20)

/* A hint to back [ptr, ptr + size) with transparent huge pages (madvise
   mode): it may do nothing, and never fails. */
static void
advise_huge(void *ptr, size_t size)
{
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t start = ((uintptr_t)ptr + huge - 1) & ~(huge - 1);
	uintptr_t end = ((uintptr_t)ptr + size) & ~(huge - 1);

	if (end > start)
		madvise((void *)start, end - start, MADV_HUGEPAGE);
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		err(1, "out of memory allocating %zu bytes", size);
	if (size >= HUGE_ENOUGH)
		advise_huge(p, size);
	return p;
}

void *
xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (p == NULL)
		err(1, "out of memory allocating %zu x %zu bytes", count, size);
	if (count >= HUGE_ENOUGH / (size ? size : 1))
		advise_huge(p, count * size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		err(1, "out of memory allocating %zu bytes", size);
	if (size >= HUGE_ENOUGH)
		advise_huge(p, size);
	return p;
}

void *
xgrow(void *ptr, size_t *count, size_t need, size_t size)
{
	size_t n = *count;

	if (need <= n)
		return ptr;
	if (n < 16)
		n = 16;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			errx(1, "out of memory: array of %zu elements", need);
		n *= 2;
	}
	*count = n;
	return xrealloc(ptr, n * size);
}

void
xalloc_failed(void)
{
	err(1, "out of memory");
}

char *
xstrndup(const char *s, size_t len)
{
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
