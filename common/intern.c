/*
 * Open-addressing hash table (linear probing, load at most 3/4) of 64-bit
 * slots: the high half is a 32-bit hash of the id, the low half the entry
 * index plus one (0 marks an empty slot), its top bit set for a "small"
 * id, an integer from 0 to 2^32 - 1. Probing compares the hashes in the
 * slots and touches an entry only on a match, so a look-up costs one or two
 * cache lines; growing the table needs no entry at all, because the slot's
 * hash also gives its position (nslots <= 2^32). A small id's hash is a
 * bijective mix of the id itself, so for those, by far the common kind, an
 * equal hash in a small slot is the answer: one cache line, no entry.
 * Entries hold the integer itself or the offset of the string in an arena:
 * about 20 bytes per integer id, so tens of millions of customers fit.
 */
#include "intern.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "xalloc.h"
#include "banned.h"

#define EMPTY 0
#define SMALL UINT32_C(0x80000000)	/* in a slot's low half */
#define MAX_IDS (SMALL - 2)

static uint64_t
make_slot(uint32_t hash, uint32_t i, int small)
{
	return (uint64_t)hash << 32 | (small ? SMALL : 0) | (i + 1);
}

static uint32_t
slot_index(uint64_t v)
{
	return ((uint32_t)v & ~SMALL) - 1;
}

static int
is_small(const struct id *id)
{
	return !id->is_str && id->num >= 0 && id->num <= (int64_t)UINT32_MAX;
}

struct intern {
	uint64_t *slots;	/* hash << 32 | (entry index + 1), or EMPTY */
	size_t nslots;		/* a power of two */
	uint64_t *value;	/* integer, or arena offset of a string */
	uint8_t *is_str;
	size_t count, cap;
	size_t nstr;		/* string ids held; while 0, is_str is not read */
	char *arena;		/* strings as a 4-byte length and the bytes */
	size_t arena_len, arena_cap;
};

static uint32_t intern_add_hashed(struct intern *t, const struct id *id,
    uint32_t h, int *added);
static uint32_t intern_find_hashed(const struct intern *t, const struct id *id,
    uint32_t hash);
static uint32_t store(struct intern *t, const struct id *id);

void
id_from_text(struct id *id, const char *s, size_t len)
{
	size_t i = 0, ndigits;
	int neg = 0;
	uint64_t v = 0;

	id->is_str = 1;
	id->str = s;
	id->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	id->num = 0;
	if (len > 0 && s[0] == '-')
		neg = 1, i = 1;
	ndigits = len - i;
	if (ndigits == 0 || ndigits > 19 || (s[i] == '0' && ndigits > 1) ||
	    (neg && s[i] == '0'))
		return;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
		return;
	id->is_str = 0;
	id->num = neg ? (int64_t)(0 - v) : (int64_t)v;
}

int
id_compare(const struct id *a, const struct id *b)
{
	int c;

	if (a->is_str != b->is_str)
		return a->is_str ? 1 : -1;
	if (!a->is_str)
		return (a->num > b->num) - (a->num < b->num);
	c = memcmp(a->str, b->str, a->len < b->len ? a->len : b->len);
	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

struct intern *
intern_new(void)
{
	struct intern *t = xcalloc(1, sizeof(*t));

	t->nslots = 1024;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	return t;
}

#define RESERVE_MAX (1u << 26)

void
intern_reserve(struct intern *t, size_t n)
{
	size_t nslots = t->nslots;

	if (t->count > 0 || t->slots == NULL)
		return;
	if (n > RESERVE_MAX)
		n = RESERVE_MAX;
	while (n * 4 > nslots * 3)
		nslots *= 2;
	if (nslots != t->nslots) {
		free(t->slots);
		t->nslots = nslots;
		t->slots = xcalloc(nslots, sizeof(*t->slots));
	}
	if (n > t->cap) {
		t->value = xrealloc(t->value, n * sizeof(*t->value));
		t->is_str = xrealloc(t->is_str, n);
		t->cap = n;
	}
}

void
intern_free(struct intern *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t->value);
	free(t->is_str);
	free(t->arena);
	free(t);
}

/*
 * A bijection of 32-bit integers that mixes every input bit into every
 * output bit (Chris Wellons' lowbias32): each step is invertible.
 */
static uint32_t
mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= UINT32_C(0x7feb352d);
	x ^= x >> 15;
	x *= UINT32_C(0x846ca68b);
	x ^= x >> 16;
	return x;
}

/* The id's slot tag and position: mix32 of a small id, else 32 bits of XXH3. */
static uint32_t
intern_hash(const struct id *id)
{
	uint64_t h;

	if (is_small(id))
		return mix32((uint32_t)id->num);
	if (id->is_str)
		h = XXH3_64bits(id->str, id->len);
	else
		h = XXH3_64bits(&id->num, sizeof(id->num)) ^ 0x9e3779b97f4a7c15u;
	return (uint32_t)(h >> 32);
}

static int
entry_equals(const struct intern *t, uint32_t i, const struct id *id)
{
	if (!id->is_str)
		return (int64_t)t->value[i] == id->num &&
		    (t->nstr == 0 || !t->is_str[i]);
	if (!t->is_str[i])
		return 0;
	{
		const char *p = t->arena + t->value[i];
		uint32_t len;

		memcpy(&len, p, sizeof(len));
		return len == id->len && memcmp(p + sizeof(len), id->str, len) == 0;
	}
}

static void
grow_slots(struct intern *t)
{
	uint64_t *old = t->slots;
	size_t oldn = t->nslots, mask;

	t->nslots *= 2;
	mask = t->nslots - 1;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	for (size_t i = 0; i < oldn; i++) {
		size_t s;

		if (old[i] == EMPTY)
			continue;
		s = (old[i] >> 32) & mask;
		while (t->slots[s] != EMPTY)
			s = (s + 1) & mask;
		t->slots[s] = old[i];
	}
	free(old);
}

/* The slot holding id, or the empty slot where it belongs. */
static size_t
find_slot(const struct intern *t, const struct id *id, uint32_t h)
{
	size_t mask = t->nslots - 1, s = h & mask;
	int small = is_small(id);

	for (;; s = (s + 1) & mask) {
		uint64_t v = t->slots[s];

		if (v == EMPTY)
			return s;
		if ((uint32_t)(v >> 32) != h)
			continue;
		if ((uint32_t)v & SMALL) {
			if (small)	/* same mix, same id */
				return s;
		} else if (!small && entry_equals(t, slot_index(v), id))
			return s;
	}
}

uint32_t
intern_find(const struct intern *t, const struct id *id)
{
	return intern_find_hashed(t, id, intern_hash(id));
}

static uint32_t
intern_find_hashed(const struct intern *t, const struct id *id, uint32_t hash)
{
	uint64_t v = t->slots[find_slot(t, id, hash)];

	return v == EMPTY ? UINT32_MAX : slot_index(v);
}

/*
 * The prefetch helpers are forced inline: a static function whose only
 * effect is a prefetch looks pure to GCC, which then deletes every call to
 * it (it did, and interning 50M ids took three times as long).
 */
#define PREFETCH_HELPER static inline __attribute__((always_inline)) void

PREFETCH_HELPER
intern_prefetch(const struct intern *t, uint32_t hash)
{
	__builtin_prefetch(&t->slots[hash & (t->nslots - 1)]);
}

uint32_t
intern_add(struct intern *t, const struct id *id, int *added)
{
	return intern_add_hashed(t, id, intern_hash(id), added);
}

static uint32_t
intern_add_hashed(struct intern *t, const struct id *id, uint32_t h, int *added)
{
	size_t s = find_slot(t, id, h);
	uint32_t i;

	if (added != NULL)
		*added = 0;
	if (t->slots[s] != EMPTY)
		return slot_index(t->slots[s]);
	if ((i = store(t, id)) == UINT32_MAX)
		return UINT32_MAX;
	t->slots[s] = make_slot(h, i, is_small(id));
	if (added != NULL)
		*added = 1;
	if (t->count * 4 > t->nslots * 3)
		grow_slots(t);
	return i;
}

/* Stores a copy of id as the next entry; its index, or UINT32_MAX if full. */
static uint32_t
store(struct intern *t, const struct id *id)
{
	uint32_t i;

	if (t->count >= MAX_IDS)
		return UINT32_MAX;
	i = (uint32_t)t->count;
	if (t->count == t->cap) {
		size_t cap = t->cap;

		t->value = xgrow(t->value, &cap, t->count + 1, sizeof(*t->value));
		t->is_str = xrealloc(t->is_str, cap);
		t->cap = cap;
	}
	t->is_str[i] = (uint8_t)id->is_str;
	t->nstr += id->is_str != 0;
	if (id->is_str) {
		size_t need = t->arena_len + sizeof(uint32_t) + id->len;

		t->arena = xgrow(t->arena, &t->arena_cap, need, 1);
		memcpy(t->arena + t->arena_len, &id->len, sizeof(uint32_t));
		memcpy(t->arena + t->arena_len + sizeof(uint32_t), id->str, id->len);
		t->value[i] = t->arena_len;
		t->arena_len = need;
	} else
		t->value[i] = (uint64_t)id->num;
	t->count++;
	return i;
}

uint32_t
intern_append(struct intern *t, const struct id *id)
{
	return store(t, id);
}

size_t
intern_reindex(struct intern *t)
{
	size_t repeats = 0;

	free(t->slots);
	for (t->nslots = 1024; t->count * 4 > t->nslots * 3; t->nslots *= 2)
		;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	for (uint32_t i = 0; i < t->count; i++) {
		struct id id;
		uint32_t h;
		size_t s;

		intern_get(t, i, &id);
		h = intern_hash(&id);
		s = find_slot(t, &id, h);
		if (t->slots[s] != EMPTY)
			repeats++;
		else
			t->slots[s] = make_slot(h, i, is_small(&id));
	}
	return repeats;
}

void
intern_get(const struct intern *t, uint32_t i, struct id *id)
{
	id->is_str = t->is_str[i];
	if (id->is_str) {
		const char *p = t->arena + t->value[i];

		memcpy(&id->len, p, sizeof(id->len));
		id->str = p + sizeof(id->len);
		id->num = 0;
	} else {
		id->num = (int64_t)t->value[i];
		id->str = NULL;
		id->len = 0;
	}
}

void
intern_prefetch_entry(const struct intern *t, uint32_t i)
{
	__builtin_prefetch(&t->value[i]);
	if (t->nstr > 0)
		__builtin_prefetch(&t->is_str[i]);
}

/* For an id that is not small: the entry its slot points to, if any. */
PREFETCH_HELPER
intern_prefetch_hit(const struct intern *t, uint32_t hash)
{
	uint64_t v = t->slots[hash & (t->nslots - 1)];

	if (v != EMPTY && (uint32_t)(v >> 32) == hash && !((uint32_t)v & SMALL))
		intern_prefetch_entry(t, slot_index(v));
}

void
intern_freeze(struct intern *t)
{
	free(t->slots);
	t->slots = NULL;
	t->nslots = 0;
}

size_t
intern_count(const struct intern *t)
{
	return t->count;
}

/* Ids hashed a chunk at a time; slots fetched AHEAD_SLOT ids on, entries AHEAD_ENTRY. */
#define CHUNK 256
#define AHEAD_SLOT 12
#define AHEAD_ENTRY 6

static void
hash_chunk(const struct intern *t, const struct id *ids, size_t n, uint32_t *hash)
{
	for (size_t i = 0; i < n; i++) {
		hash[i] = intern_hash(&ids[i]);
		if (i < AHEAD_SLOT)
			intern_prefetch(t, hash[i]);
	}
}

/*
 * A small id's slot is all its look-up reads; other ids need their entry
 * too, found through a slot that should be in cache by then.
 */
PREFETCH_HELPER
prefetch_ahead(const struct intern *t, const struct id *ids,
    const uint32_t *hash, size_t i, size_t n)
{
	if (i + AHEAD_SLOT < n)
		intern_prefetch(t, hash[i + AHEAD_SLOT]);
	if (i + AHEAD_ENTRY < n && !is_small(&ids[i + AHEAD_ENTRY]))
		intern_prefetch_hit(t, hash[i + AHEAD_ENTRY]);
}

size_t
intern_add_many(struct intern *t, const struct id *ids, size_t n, uint32_t *ix,
    uint8_t *added)
{
	uint32_t hash[CHUNK];

	for (size_t base = 0; base < n; base += CHUNK) {
		size_t m = n - base < CHUNK ? n - base : CHUNK;

		hash_chunk(t, ids + base, m, hash);
		for (size_t i = 0; i < m; i++) {
			int fresh;

			prefetch_ahead(t, ids + base, hash, i, m);
			ix[base + i] = intern_add_hashed(t, &ids[base + i], hash[i], &fresh);
			if (ix[base + i] == UINT32_MAX)
				return base + i;
			if (added != NULL)
				added[base + i] = (uint8_t)fresh;
		}
	}
	return n;
}

void
intern_find_many(const struct intern *t, const struct id *ids, size_t n,
    uint32_t *ix)
{
	uint32_t hash[CHUNK];

	for (size_t base = 0; base < n; base += CHUNK) {
		size_t m = n - base < CHUNK ? n - base : CHUNK;

		hash_chunk(t, ids + base, m, hash);
		for (size_t i = 0; i < m; i++) {
			prefetch_ahead(t, ids + base, hash, i, m);
			ix[base + i] = intern_find_hashed(t, &ids[base + i], hash[i]);
		}
	}
}
