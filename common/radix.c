/* LSD radix sort, a byte per pass; passes where every key shares the byte are skipped. */
#include "radix.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "banned.h"

void
radix_sort_u64(uint64_t *keys, uint32_t *payload, size_t n)
{
	size_t (*count)[256] = xcalloc(8, sizeof(*count));
	uint64_t *kbuf, *ksrc = keys, *kdst;
	uint32_t *pbuf = NULL, *psrc = payload, *pdst = NULL;

	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 8; b++)
			count[b][(keys[i] >> (8 * b)) & 0xff]++;
	kbuf = xmalloc(n * sizeof(*kbuf));
	kdst = kbuf;
	if (payload != NULL)
		pdst = pbuf = xmalloc(n * sizeof(*pbuf));
	for (int b = 0; b < 8; b++) {
		size_t pos = 0, *c = count[b];
		int trivial = 0;

		for (int v = 0; v < 256; v++) {
			size_t k = c[v];

			if (k == n)
				trivial = 1;
			c[v] = pos;
			pos += k;
		}
		if (trivial)
			continue;
		for (size_t i = 0; i < n; i++) {
			size_t at = c[(ksrc[i] >> (8 * b)) & 0xff]++;

			kdst[at] = ksrc[i];
			if (psrc != NULL)
				pdst[at] = psrc[i];
		}
		{
			uint64_t *t = ksrc; ksrc = kdst; kdst = t;
		}
		if (psrc != NULL) {
			uint32_t *t = psrc; psrc = pdst; pdst = t;
		}
	}
	if (ksrc != keys) {
		memcpy(keys, ksrc, n * sizeof(*keys));
		if (payload != NULL)
			memcpy(payload, psrc, n * sizeof(*payload));
	}
	free(kbuf);
	free(pbuf);
	free(count);
}
