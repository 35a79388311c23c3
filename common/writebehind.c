/* Writing a file out behind its writer; see writebehind.h. */
#include "writebehind.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>

#include "xalloc.h"
#include "banned.h"

struct writebehind {
	int fd;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t more;
	off_t to, done;		/* written up to; started writing out up to */
	int stop;
};

static void *
write_out(void *arg)
{
	struct writebehind *b = arg;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		off_t from = b->done, to = b->to;
		int last = b->stop;

		if (to <= from && !last) {
			pthread_cond_wait(&b->more, &b->mu);
			continue;
		}
		pthread_mutex_unlock(&b->mu);
		/* Advice: a failure leaves the write-out to the kernel. At
		   the end, what was written after (0: to the end). */
		(void)sync_file_range(b->fd, from, last ? 0 : to - from,
		    SYNC_FILE_RANGE_WRITE);
		pthread_mutex_lock(&b->mu);
		b->done = to;
		if (last)
			break;
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

struct writebehind *
writebehind_new(int fd)
{
	struct writebehind *b = xcalloc(1, sizeof(*b));

	b->fd = fd;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->more, NULL);
	if (pthread_create(&b->thread, NULL, write_out, b) != 0) {
		pthread_mutex_destroy(&b->mu);
		pthread_cond_destroy(&b->more);
		free(b);
		return NULL;
	}
	return b;
}

void
writebehind_upto(struct writebehind *b, off_t to)
{
	pthread_mutex_lock(&b->mu);
	if (to > b->to)
		b->to = to;
	pthread_cond_signal(&b->more);
	pthread_mutex_unlock(&b->mu);
}

void
writebehind_free(struct writebehind *b)
{
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_signal(&b->more);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->more);
	free(b);
}
