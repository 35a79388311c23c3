/*
 * Work split over threads: chunks of an index range handed out one at a
 * time, so a fast thread takes more of them. Which thread does a chunk
 * never changes a result as long as chunks write disjoint outputs.
 */
#ifndef AUD_PARALLEL_H
#define AUD_PARALLEL_H

#include <stddef.h>

/* Does the chunk [from, to) of the work; thread is 0 .. threads - 1. */
typedef void parallel_fn(void *ctx, size_t from, size_t to, unsigned thread);

/*
 * Calls fn over [0, n) in chunks of chunk indices on threads threads (the
 * caller's own thread is one of them) and returns when all are done.
 * Falls back to fewer threads if they cannot be started.
 */
void parallel_for(size_t n, size_t chunk, unsigned threads, parallel_fn *fn,
    void *ctx);

/* The processors online, at least 1. */
unsigned parallel_cpus(void);

#endif
