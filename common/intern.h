/*
 * Id interning: maps customer and product ids to dense indices 0..n-1 in order
 * of first appearance, so tools can keep per-id data in plain arrays.
 *
 * An id is kept exactly as written. A field that is a canonical decimal
 * integer fitting in 64 bits ("0", "42", "-7"; not "007", "+7" or 20 digits)
 * is an integer id; anything else is a string id. The two never compare equal:
 * "007" and "7" are different ids.
 */
#ifndef AUD_INTERN_H
#define AUD_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct id {
	int is_str;
	int64_t num;		/* when !is_str */
	const char *str;	/* when is_str; not NUL-terminated; borrowed */
	uint32_t len;
};

/* Classifies len bytes of s as an integer or a string id; borrows s. */
void id_from_text(struct id *id, const char *s, size_t len);

/* Orders ids: integers numerically, before strings; strings bytewise. */
int id_compare(const struct id *a, const struct id *b);

struct intern;

struct intern *intern_new(void);
void intern_free(struct intern *t);

/*
 * Returns the index of id, adding a copy of it when new (then *added is set
 * to 1, else 0; added may be NULL), or UINT32_MAX when the table is full
 * (4,294,967,294 ids). May reallocate the table's storage, so
 * struct ids returned by intern_get() before the call become invalid.
 */
uint32_t intern_add(struct intern *t, const struct id *id, int *added);

/*
 * Interns ids[0..n) in order, as intern_add() one by one would, writing
 * their indices to ix and, when added is not NULL, whether each was new.
 * While one id is looked up, the table slot of an id some places on and the
 * entry of a nearer one are fetched into cache, so that the cache misses of
 * a table of millions overlap instead of adding up. Returns n, or the
 * position of the first id that did not fit (the table is full).
 */
size_t intern_add_many(struct intern *t, const struct id *ids, size_t n,
    uint32_t *ix, uint8_t *added);

/* The same for look-ups: ix[i] is the index of ids[i], or UINT32_MAX. */
void intern_find_many(const struct intern *t, const struct id *ids, size_t n,
    uint32_t *ix);

/* A hint to fetch the entry at index i into cache before intern_get(). */
void intern_prefetch_entry(const struct intern *t, uint32_t i);

/* Returns the index of id, or UINT32_MAX when it is absent. */
uint32_t intern_find(const struct intern *t, const struct id *id);

/* The id at index i; its str is valid until the next intern_add(). */
void intern_get(const struct intern *t, uint32_t i, struct id *id);

size_t intern_count(const struct intern *t);

/*
 * Makes room for n ids in all (a hint, from a header's counts, capped at
 * 2^26): the table then never grows, and growing one of tens of millions of
 * ids moves every slot once more each time it doubles. Only on an empty,
 * unfrozen table.
 */
void intern_reserve(struct intern *t, size_t n);

/*
 * Frees the look-up index when no more ids will be added or found: only
 * intern_get(), intern_count() and intern_append() may follow, until
 * intern_reindex(). This returns about half of the table's memory for the
 * work that comes after reading.
 */
void intern_freeze(struct intern *t);

/*
 * On a frozen table: appends id without looking it up (so without hashing),
 * for lists of ids that are often needed only in order. Returns its index,
 * or UINT32_MAX when the table is full.
 */
uint32_t intern_append(struct intern *t, const struct id *id);

/*
 * Builds the look-up index of a frozen table. Returns the number of ids
 * that repeat an earlier one (only the first can be found), 0 normally.
 */
size_t intern_reindex(struct intern *t);

#endif
