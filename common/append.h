/*
 * aud-prepare --append: a new export's rows folded into an existing
 * interactions stream, giving the records that preparing the old export
 * and the new one at once would give (aud-prepare(1), "Appending").
 *
 * The old stream is already clean and in time order, so its records are
 * merged with the new rows, not sorted again, and most are copied as they
 * are. Only what the new rows touch is looked at: their customers' rows on
 * the days they add to (the bot rule), rows equal to a new one (duplicates
 * across the boundary), and their products' names. The old stream is read
 * twice (four times when the new rows make bots of old customers), so it
 * must be a regular file.
 */
#ifndef AUD_APPEND_H
#define AUD_APPEND_H

#include <stddef.h>
#include <stdio.h>

struct prep;
struct prep_counts;

/*
 * After prep_read() and prep_clean() of the new rows: writes to out the
 * stream of old (named old_name in messages and the provenance) with them,
 * and its counts to result (those of its header). Returns 0; -1 with err
 * filled when old cannot be appended to (a message that names it); -2
 * when writing out failed (errno set).
 */
int prep_append(struct prep *p, FILE *old, const char *old_name, FILE *out,
    struct prep_counts *result, char *err, size_t errlen);

#endif
