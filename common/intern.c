/*
 * Open-addressing hash table (linear probing, load at most 3/4) of uint32
 * slots pointing into an entry array. Entries hold the integer itself or the
 * offset of the string in an arena, so the table costs about 14 bytes per
 * integer id: millions of customers fit easily.
 */
#include "intern.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "xalloc.h"
#include "banned.h"

#define EMPTY UINT32_MAX
#define MAX_IDS (UINT32_MAX - 1)

struct intern {
	uint32_t *slots;	/* entry index or EMPTY */
	size_t nslots;		/* a power of two */
	uint64_t *value;	/* integer, or arena offset of a string */
	uint8_t *is_str;
	size_t count, cap;
	char *arena;		/* strings as a 4-byte length and the bytes */
	size_t arena_len, arena_cap;
};

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
	t->slots = xmalloc(t->nslots * sizeof(*t->slots));
	memset(t->slots, 0xff, t->nslots * sizeof(*t->slots));
	return t;
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

static uint64_t
hash_id(const struct id *id)
{
	if (id->is_str)
		return XXH3_64bits(id->str, id->len);
	return XXH3_64bits(&id->num, sizeof(id->num)) ^ 0x9e3779b97f4a7c15u;
}

static uint64_t
hash_entry(const struct intern *t, uint32_t i)
{
	struct id id;

	intern_get(t, i, &id);
	return hash_id(&id);
}

static int
entry_equals(const struct intern *t, uint32_t i, const struct id *id)
{
	if (t->is_str[i] != id->is_str)
		return 0;
	if (!id->is_str)
		return (int64_t)t->value[i] == id->num;
	{
		const char *p = t->arena + t->value[i];
		uint32_t len;

		memcpy(&len, p, sizeof(len));
		return len == id->len && memcmp(p + sizeof(len), id->str, len) == 0;
	}
}

static void
rehash(struct intern *t)
{
	size_t mask;

	free(t->slots);
	t->nslots *= 2;
	mask = t->nslots - 1;
	t->slots = xmalloc(t->nslots * sizeof(*t->slots));
	memset(t->slots, 0xff, t->nslots * sizeof(*t->slots));
	for (uint32_t i = 0; i < t->count; i++) {
		size_t s = hash_entry(t, i) & mask;

		while (t->slots[s] != EMPTY)
			s = (s + 1) & mask;
		t->slots[s] = i;
	}
}

static size_t
find_slot(const struct intern *t, const struct id *id, uint64_t h)
{
	size_t mask = t->nslots - 1, s = h & mask;

	while (t->slots[s] != EMPTY && !entry_equals(t, t->slots[s], id))
		s = (s + 1) & mask;
	return s;
}

uint32_t
intern_find(const struct intern *t, const struct id *id)
{
	return t->slots[find_slot(t, id, hash_id(id))];
}

uint32_t
intern_add(struct intern *t, const struct id *id, int *added)
{
	uint64_t h = hash_id(id);
	size_t s = find_slot(t, id, h);
	uint32_t i;

	if (added != NULL)
		*added = 0;
	if (t->slots[s] != EMPTY)
		return t->slots[s];
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
	if (id->is_str) {
		size_t need = t->arena_len + sizeof(uint32_t) + id->len;

		t->arena = xgrow(t->arena, &t->arena_cap, need, 1);
		memcpy(t->arena + t->arena_len, &id->len, sizeof(uint32_t));
		memcpy(t->arena + t->arena_len + sizeof(uint32_t), id->str, id->len);
		t->value[i] = t->arena_len;
		t->arena_len = need;
	} else
		t->value[i] = (uint64_t)id->num;
	t->slots[s] = i;
	t->count++;
	if (added != NULL)
		*added = 1;
	if (t->count * 4 > t->nslots * 3)
		rehash(t);
	return i;
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

size_t
intern_count(const struct intern *t)
{
	return t->count;
}

size_t
intern_bytes(const struct intern *t)
{
	return t->nslots * sizeof(*t->slots) + t->cap * (sizeof(*t->value) + 1) +
	    t->arena_cap;
}
