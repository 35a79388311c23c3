/* Allocate-or-die helpers; see xalloc.h for why they may exit. */
#include "xalloc.h"

#include <err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "banned.h"

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		err(1, "out of memory allocating %zu bytes", size);
	return p;
}

void *
xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (p == NULL)
		err(1, "out of memory allocating %zu x %zu bytes", count, size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		err(1, "out of memory allocating %zu bytes", size);
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

void
advise_huge(void *ptr, size_t size)
{
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t start = ((uintptr_t)ptr + huge - 1) & ~(huge - 1);
	uintptr_t end = ((uintptr_t)ptr + size) & ~(huge - 1);

	if (end > start)
		madvise((void *)start, end - start, MADV_HUGEPAGE);
}
