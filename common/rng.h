/*
 * A seeded random number generator that gives the same numbers on every
 * machine: xoshiro256** (Blackman and Vigna), seeded through splitmix64.
 * Used where results must be reproducible: the look-alike data, the
 * bootstrap of the evaluation, the --quick sample.
 */
#ifndef AUD_RNG_H
#define AUD_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1), with 53 random bits. */
double rng_uniform(struct rng *r);

/* splitmix64's finaliser: a well-mixed 64-bit hash of x. */
uint64_t rng_mix(uint64_t x);

#endif
