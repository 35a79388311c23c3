/*
 * A progress line for long runs, drawn only when the caller enables it (on
 * a terminal, for large inputs) and redrawn at most a few times a second.
 * The caller chooses the file descriptor; common/ never picks one itself.
 */
#ifndef AUD_PROGRESS_H
#define AUD_PROGRESS_H

#include <stdint.h>

struct progress {
	int fd;			/* -1: disabled */
	const char *prog, *what;
	uint64_t total;		/* bytes expected, 0 when unknown */
	int64_t last_ms;
	int drawn;
};

/* Enabled only when fd is a terminal and total is 0 or at least min_bytes. */
void progress_start(struct progress *p, int fd, const char *prog,
    const char *what, uint64_t total, uint64_t min_bytes);
void progress_update(struct progress *p, uint64_t done);
/* Erases the line, so later messages start on a clean one. */
void progress_end(struct progress *p);

#endif
