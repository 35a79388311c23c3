/*
 * Sums of weights that do not depend on the order they are added in, so
 * that sums over customer shards add up to the bits one machine finds: a
 * weight is held in fixed point, in units of 2^-40, and a sum of weights,
 * or of products of two, in 128 bits. A weight below 2^-40 counts as 0
 * and one beyond 2^23 as 2^23 (FIXED_WEIGHT_MAX): then no sum over 2^32
 * customers overflows.
 */
#ifndef AUD_FIXEDSUM_H
#define AUD_FIXEDSUM_H

#include <stdint.h>

#define FIXED_WEIGHT_MAX 8388608.0	/* 2^23 */

typedef __int128 fixed_sum;

/* w in units of 2^-40, truncated toward zero, clamped to +-2^23. */
static inline int64_t
fixed_weight(double w)
{
	if (w > FIXED_WEIGHT_MAX)
		w = FIXED_WEIGHT_MAX;
	else if (w < -FIXED_WEIGHT_MAX)
		w = -FIXED_WEIGHT_MAX;
	return (int64_t)(w * 0x1p40);
}

/* The product of two fixed weights, in units of 2^-80. */
static inline fixed_sum
fixed_product(int64_t a, int64_t b)
{
	return (fixed_sum)a * b;
}

/* A sum of weights, and of products of two, as a double (rounded once). */
static inline double
fixed_weights_value(fixed_sum s)
{
	return (double)s * 0x1p-40;
}

static inline double
fixed_products_value(fixed_sum s)
{
	return (double)s * 0x1p-80;
}

/*
 * a + b modulo 2^128. Sums over customers never wrap (the clamp above);
 * sums read from streams might, and a wrong sum is then refused or
 * harmless where an overflow of a signed integer would be undefined.
 */
static inline fixed_sum
fixed_sum_add(fixed_sum a, fixed_sum b)
{
	return (fixed_sum)((unsigned __int128)a + (unsigned __int128)b);
}

/* A sum as bytes in a stream (aud-stream(5)): 16, little-endian two's
   complement. */
#define FIXED_SUM_BYTES 16

static inline void
fixed_sum_put(unsigned char *p, fixed_sum v)
{
	unsigned __int128 u = (unsigned __int128)v;

	for (int i = 0; i < FIXED_SUM_BYTES; i++, u >>= 8)
		p[i] = (unsigned char)u;
}

static inline fixed_sum
fixed_sum_get(const unsigned char *p)
{
	unsigned __int128 u = 0;

	for (int i = FIXED_SUM_BYTES - 1; i >= 0; i--)
		u = u << 8 | p[i];
	return (fixed_sum)u;
}

#endif
