/* What capping costs; see capping.h. */
#include "capping.h"

#include <stdlib.h>

#include "xalloc.h"
#include "banned.h"

void
capping_measure(const struct cap_input *in, uint64_t cap, size_t k,
    struct cap_result *out)
{
	uint32_t *count = xcalloc(in->ncustomers + 1, sizeof(*count));
	size_t *chosen = xcalloc(in->n + 1, sizeof(*chosen));
	size_t *hits = xcalloc(in->n + 1, sizeof(*hits)), given = 0;
	double precision = 0;

	out->distinct = out->most = 0;
	for (size_t j = 0; j < in->kmax; j++)
		for (size_t i = 0; i < in->n; i++) {
			size_t at = i * in->kmax + j;
			uint32_t c;

			if (j >= in->got[i] || chosen[i] == k)
				continue;
			c = in->customer[at];
			if (cap > 0 && count[c] >= cap)
				continue;
			if (count[c]++ == 0)
				out->distinct++;
			if (count[c] > out->most)
				out->most = count[c];
			chosen[i]++;
			given++;
			hits[i] += in->hit[at];
		}
	/* Summed in product order, as the uncapped estimate is: no cap gives
	   its figure to the last bit. */
	for (size_t i = 0; i < in->n; i++)
		precision += (double)hits[i] / (double)k;
	out->precision = in->n ? precision / (double)in->n : 0;
	out->filled = in->n ? (double)given / ((double)in->n * (double)k) : 0;
	free(count);
	free(chosen);
	free(hits);
}
