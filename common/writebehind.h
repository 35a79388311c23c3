/*
 * Writing a file out to disk behind its writer, on a thread of its own
 * (sync_file_range(2), which starts the write-out and does not wait for
 * it). ext4 writes out a file renamed over another at the rename
 * (auto_da_alloc): for an append's 1.6 GB output that was 0.9 s spent at
 * its end, on one core, after the copying that had left the other idle.
 * Only a speed-up: a write-out that does not start is the rename's to do,
 * as before, and what reaches the disk and when it is safe are unchanged.
 */
#ifndef AUD_WRITEBEHIND_H
#define AUD_WRITEBEHIND_H

#include <sys/types.h>

struct writebehind;

/* A thread writing fd out; NULL when none starts (then nothing is done). */
struct writebehind *writebehind_new(int fd);

/* The file is written up to offset to: start writing that out. */
void writebehind_upto(struct writebehind *b, off_t to);

/* Starts writing out the rest of the file, stops the thread, frees b. */
void writebehind_free(struct writebehind *b);

#endif
