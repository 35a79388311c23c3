/* The members of a campaign's audiences; see members.h. */
#include "members.h"

#include <stdlib.h>
#include <string.h>

#include "radix.h"
#include "xalloc.h"
#include "banned.h"

void
members_init(struct members *m)
{
	memset(m, 0, sizeof(*m));
	m->products = intern_new();
	m->customers = intern_new();
}

void
members_free(struct members *m)
{
	intern_free(m->products);
	intern_free(m->customers);
	free(m->pair);
	free(m->control);
	free(m->converted);
	memset(m, 0, sizeof(*m));
}

int
members_add(struct members *m, const struct id *product,
    const struct id *customer, int control)
{
	uint32_t p = intern_add(m->products, product, NULL);
	uint32_t c = intern_add(m->customers, customer, NULL);

	if (p == UINT32_MAX || c == UINT32_MAX || m->n == UINT32_MAX)
		return -1;
	m->pair = xgrow(m->pair, &m->cap, m->n + 1, sizeof(*m->pair));
	m->control = xrealloc(m->control, m->cap);
	m->pair[m->n] = (uint64_t)p << 32 | c;
	m->control[m->n++] = (uint8_t)control;
	return 0;
}

void
members_finish(struct members *m)
{
	uint32_t *row = xmalloc((m->n + 1) * sizeof(*row));
	uint8_t *control = xmalloc(m->n + 1);
	size_t u = 0;

	for (size_t i = 0; i < m->n; i++)
		row[i] = (uint32_t)i;
	radix_sort_u64(m->pair, row, m->n);	/* stable: the first row first */
	for (size_t i = 0; i < m->n; i++) {
		if (u > 0 && m->pair[u - 1] == m->pair[i]) {
			m->duplicates++;
			m->conflicts += control[u - 1] != m->control[row[i]];
			continue;
		}
		m->pair[u] = m->pair[i];
		control[u++] = m->control[row[i]];
	}
	free(m->control);
	free(row);
	m->control = control;
	m->n = u;
	m->converted = xcalloc(u + 1, 1);
}

int
members_mark(struct members *m, const struct id *product,
    const struct id *customer)
{
	uint32_t p = intern_find(m->products, product), c;
	uint64_t key;
	size_t lo = 0, hi = m->n;

	if (p == UINT32_MAX || (c = intern_find(m->customers, customer)) ==
	    UINT32_MAX)
		return 0;
	key = (uint64_t)p << 32 | c;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->pair[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->n || m->pair[lo] != key)
		return 0;
	m->converted[lo] = 1;
	return 1;
}

size_t
members_count(const struct members *m, struct lift_group (*g)[2],
    struct lift_group *overall)
{
	size_t np = intern_count(m->products), nc = intern_count(m->customers);
	uint8_t *seen = xcalloc(nc + 1, 1);
	size_t distinct = 0;

	memset(g, 0, np * sizeof(*g));
	memset(overall, 0, 2 * sizeof(*overall));
	for (size_t i = 0; i < m->n; i++) {
		uint32_t p = (uint32_t)(m->pair[i] >> 32), c = (uint32_t)m->pair[i];
		int group = m->control[i];

		g[p][group].members++;
		g[p][group].converted += m->converted[i];
		overall[group].members++;
		overall[group].converted += m->converted[i];
		if (!seen[c]) {
			seen[c] = 1;
			distinct++;
		}
	}
	free(seen);
	return distinct;
}
