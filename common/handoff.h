/*
 * Handing batches from a producer thread to a consumer thread through a
 * ring of slots, in order: the producer fills slot i, publishes it and moves
 * to i + 1; the consumer takes slot i, uses it, releases it. Either side
 * waits only when the ring is full or empty. The consumer can cancel, which
 * wakes a waiting producer. The batches themselves are the caller's.
 */
#ifndef AUD_HANDOFF_H
#define AUD_HANDOFF_H

#include <pthread.h>

#define HANDOFF_SLOTS 4

struct handoff {
	pthread_mutex_t mu;
	pthread_cond_t changed;
	int full[HANDOFF_SLOTS];
	int cancelled;
};

void handoff_init(struct handoff *h);
void handoff_destroy(struct handoff *h);

/* Producer: waits until slot i is free; returns -1 once cancelled. */
int handoff_claim(struct handoff *h, int i);
void handoff_publish(struct handoff *h, int i);
int handoff_cancelled(struct handoff *h);

/* Consumer: waits until slot i is full; then gives it back, or cancels. */
void handoff_take(struct handoff *h, int i);
void handoff_release(struct handoff *h, int i, int cancel);

#endif
