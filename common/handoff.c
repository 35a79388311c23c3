/* A ring of batches between two threads; see handoff.h. */
#include "handoff.h"

#include "banned.h"

void
handoff_init(struct handoff *h)
{
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->changed, NULL);
	for (int i = 0; i < HANDOFF_SLOTS; i++)
		h->full[i] = 0;
	h->cancelled = 0;
}

void
handoff_destroy(struct handoff *h)
{
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->changed);
}

int
handoff_claim(struct handoff *h, int i)
{
	int cancelled;

	pthread_mutex_lock(&h->mu);
	while (h->full[i] && !h->cancelled)
		pthread_cond_wait(&h->changed, &h->mu);
	cancelled = h->cancelled;
	pthread_mutex_unlock(&h->mu);
	return cancelled ? -1 : 0;
}

void
handoff_publish(struct handoff *h, int i)
{
	pthread_mutex_lock(&h->mu);
	h->full[i] = 1;
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->mu);
}

int
handoff_cancelled(struct handoff *h)
{
	int cancelled;

	pthread_mutex_lock(&h->mu);
	cancelled = h->cancelled;
	pthread_mutex_unlock(&h->mu);
	return cancelled;
}

void
handoff_take(struct handoff *h, int i)
{
	pthread_mutex_lock(&h->mu);
	while (!h->full[i])
		pthread_cond_wait(&h->changed, &h->mu);
	pthread_mutex_unlock(&h->mu);
}

void
handoff_release(struct handoff *h, int i, int cancel)
{
	pthread_mutex_lock(&h->mu);
	h->full[i] = 0;
	if (cancel)
		h->cancelled = 1;
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->mu);
}
