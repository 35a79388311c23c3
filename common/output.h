/*
 * Output files that are never left half-written. With a path, output goes to
 * a temporary file in the same directory (".NAME.aud-PID-RANDOM.tmp",
 * created afresh and exclusively, never through a link, with the mode the
 * umask gives) that is renamed over NAME only when the tool succeeds; a failed run,
 * an exit through err(3), or SIGINT/SIGTERM/SIGHUP removes it. Temporary
 * files left by a run that was killed with SIGKILL are removed by the next
 * run writing the same NAME. Like sort -o, the file is not fsync'ed: that
 * costs a third of a fast tool's time, and only a crash of the whole system
 * before the kernel writes it back could lose it (sync(1) if that matters).
 * A path that exists and is not a regular file (/dev/null, a FIFO) is
 * written in place, never renamed over.
 */
#ifndef AUD_OUTPUT_H
#define AUD_OUTPUT_H

#include <stdio.h>

struct output {
	FILE *fp;
	const char *path;	/* NULL for standard output; borrowed */
	char *tmp;		/* the temporary file, while open */
};

/*
 * Opens path ("-" or NULL meaning standard output). A binary output refuses
 * a terminal unless force is set. Standard output ignores SIGPIPE from then
 * on: a reader that goes away makes writes fail (ferror), so that a loop
 * can stop early, and output_finish() returns 1. Returns 0, or -1 with err
 * filled.
 */
int output_open(struct output *o, const char *path, int binary, int force,
    char *err, size_t errlen);

/*
 * Flushes and checks everything written, then moves the file into place.
 * Returns 0, or -1 with err filled and errno set (EPIPE when a reader of
 * standard output went away, which tools treat as a quiet end).
 */
int output_commit(struct output *o, char *err, size_t errlen);

/*
 * Ends an output the way every tool does: written is the status of what
 * wrote it (0, or -1 with errno set). Discards the file on failure, else
 * commits it. Returns 0, 1 when a reader of standard output went away
 * (EPIPE: a quiet end, not an error), or -1 with err filled.
 */
int output_finish(struct output *o, int written, char *err, size_t errlen);

/* Discards a file output (removes the temporary file); no-op for stdout. */
void output_abort(struct output *o);

#endif
