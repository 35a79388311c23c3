/* Work split over threads; see parallel.h. */
#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "banned.h"

#define MAX_THREADS 256

struct work {
	size_t n, chunk;
	atomic_size_t next;
	parallel_fn *fn;
	void *ctx;
};

struct worker {
	struct work *w;
	unsigned thread;
};

static void *
run(void *arg)
{
	struct worker *me = arg;
	struct work *w = me->w;
	size_t from;

	while ((from = atomic_fetch_add(&w->next, w->chunk)) < w->n)
		w->fn(w->ctx, from, from + w->chunk < w->n ? from + w->chunk : w->n,
		    me->thread);
	return NULL;
}

void
parallel_for(size_t n, size_t chunk, unsigned threads, parallel_fn *fn,
    void *ctx)
{
	struct work w = { .n = n, .chunk = chunk ? chunk : 1, .fn = fn, .ctx = ctx };
	pthread_t tid[MAX_THREADS];
	struct worker who[MAX_THREADS];
	unsigned started = 1;

	atomic_init(&w.next, 0);
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	for (unsigned t = 0; t < threads; t++)
		who[t] = (struct worker){ .w = &w, .thread = t };
	for (; started < threads; started++)
		if (pthread_create(&tid[started], NULL, run, &who[started]) != 0)
			break;
	run(&who[0]);
	for (unsigned t = 1; t < started; t++)
		pthread_join(tid[t], NULL);
}

unsigned
parallel_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}
