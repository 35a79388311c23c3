/*
 * Stable LSD radix sort of 64-bit keys, optionally carrying a 32-bit payload
 * with each key. Linear time: sorting tens of millions of timestamps costs a
 * few passes over memory, where qsort would cost n log n comparisons.
 */
#ifndef AUD_RADIX_H
#define AUD_RADIX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Sorts keys[0..n) ascending; payload (may be NULL) moves with its key and
 * keeps input order among equal keys. Needs scratch space of the same size,
 * which it allocates and frees.
 */
void radix_sort_u64(uint64_t *keys, uint32_t *payload, size_t n);

#endif
