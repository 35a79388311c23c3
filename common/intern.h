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
 * For callers interning many ids in a row: the id's hash, hints to fetch
 * its slot and then its entry into cache, and intern_add() given the hash.
 * Prefetching some ids ahead hides the cache misses that otherwise dominate
 * a look-up in a table of millions.
 */
uint32_t intern_hash(const struct id *id);
void intern_prefetch(const struct intern *t, uint32_t hash);
/*
 * The second step, some rows later, once the slot is in cache: if the id is
 * probably there, fetches its entry too, which a look-up of a known id
 * reads, and returns its probable index (UINT32_MAX if none), so the caller
 * can prefetch its own data about the id.
 */
uint32_t intern_prefetch_hit(const struct intern *t, uint32_t hash);
uint32_t intern_add_hashed(struct intern *t, const struct id *id, uint32_t hash,
    int *added);

/* Returns the index of id, or UINT32_MAX when it is absent. */
uint32_t intern_find(const struct intern *t, const struct id *id);
uint32_t intern_find_hashed(const struct intern *t, const struct id *id,
    uint32_t hash);

/* The id at index i; its str is valid until the next intern_add(). */
void intern_get(const struct intern *t, uint32_t i, struct id *id);

size_t intern_count(const struct intern *t);

/* A hint to fetch the id at index i into cache before intern_get(). */
void intern_prefetch_entry(const struct intern *t, uint32_t i);

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
