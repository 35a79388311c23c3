/* The targeting order of customers; see ranking.h. */
#include "ranking.h"

#include <stdlib.h>
#include <string.h>

#include "radix.h"
#include "xalloc.h"
#include "banned.h"

static const struct intern *sort_ids;	/* for qsort's comparison */

static int
cmp_string_ids(const void *a, const void *b)
{
	struct id x, y;

	intern_get(sort_ids, *(const uint32_t *)a, &x);
	intern_get(sort_ids, *(const uint32_t *)b, &y);
	return id_compare(&x, &y);
}

/* A key whose unsigned order is the descending order of the double v. */
static uint64_t
descending_key(double v)
{
	uint64_t u;

	if (v == 0)
		v = 0;	/* -0.0 and 0.0 are one score */
	memcpy(&u, &v, sizeof(u));
	u = (u >> 63) ? ~u : u | UINT64_C(1) << 63;
	return ~u;
}

/* By id into order, with keys room for n: integers through a radix sort,
   strings through qsort. Returns how many. */
static size_t
by_id(const struct intern *ids, const uint8_t *keep, uint32_t *order,
    uint64_t *keys)
{
	size_t n = intern_count(ids), nint = 0, nstr = 0;
	uint32_t *strs = xmalloc((n ? n : 1) * sizeof(*strs));

	for (size_t c = 0; c < n; c++) {
		struct id id;

		if (keep != NULL && !keep[c])
			continue;
		intern_get(ids, (uint32_t)c, &id);
		if (id.is_str)
			strs[nstr++] = (uint32_t)c;
		else {
			keys[nint] = (uint64_t)id.num ^ UINT64_C(1) << 63;
			order[nint++] = (uint32_t)c;
		}
	}
	radix_sort_u64(keys, order, nint);
	sort_ids = ids;
	qsort(strs, nstr, sizeof(*strs), cmp_string_ids);
	memcpy(order + nint, strs, nstr * sizeof(*strs));
	free(strs);
	return nint + nstr;
}

uint32_t *
ranking_by_id(const struct intern *ids)
{
	size_t n = intern_count(ids);
	uint32_t *order = xmalloc((n ? n : 1) * sizeof(*order));
	uint64_t *keys = xmalloc((n ? n : 1) * sizeof(*keys));

	by_id(ids, NULL, order, keys);
	free(keys);
	return order;
}

uint32_t *
ranking_id_places(const struct intern *ids)
{
	size_t n = intern_count(ids);
	uint32_t *order = ranking_by_id(ids);
	uint32_t *place = xmalloc((n ? n : 1) * sizeof(*place));

	for (size_t k = 0; k < n; k++)
		place[order[k]] = (uint32_t)k;
	free(order);
	return place;
}

uint32_t *
ranking_order(const struct intern *ids, const double *score,
    const uint8_t *keep, size_t *count)
{
	size_t n = intern_count(ids);
	uint32_t *order = xmalloc((n ? n : 1) * sizeof(*order));
	uint64_t *keys = xmalloc((n ? n : 1) * sizeof(*keys));

	*count = by_id(ids, keep, order, keys);
	/* Then by score, stably, so equal scores stay in id order. */
	for (size_t k = 0; k < *count; k++)
		keys[k] = descending_key(score[order[k]]);
	radix_sort_u64(keys, order, *count);
	free(keys);
	return order;
}

/* The k-th smallest of v[0..n) (k < n), moving elements around: quickselect. */
static uint64_t
select_kth(uint64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint64_t a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi];
		uint64_t pivot = a < b ? (b < c ? b : a < c ? c : a) :
		    (a < c ? a : b < c ? c : b);
		size_t i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				uint64_t t = v[i];

				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

uint32_t *
ranking_head(const struct intern *ids, const double *score, const uint8_t *keep,
    size_t want, size_t *count, size_t *total)
{
	size_t n = intern_count(ids), m = 0;
	uint64_t *keys, threshold;
	uint8_t *top;
	uint32_t *order;

	for (size_t c = 0; c < n; c++)
		m += keep == NULL || keep[c];
	*total = m;
	if (m <= want) {
		order = ranking_order(ids, score, keep, count);
		return order;
	}
	keys = xmalloc(m * sizeof(*keys));
	m = 0;
	for (size_t c = 0; c < n; c++)
		if (keep == NULL || keep[c])
			keys[m++] = descending_key(score[c]);
	threshold = select_kth(keys, m, want - 1);
	free(keys);
	/* Everyone at least as good as the want-th, ties included. */
	top = xcalloc(n, 1);
	for (size_t c = 0; c < n; c++)
		top[c] = (keep == NULL || keep[c]) && descending_key(score[c]) <= threshold;
	order = ranking_order(ids, score, top, count);
	free(top);
	if (*count > want)
		*count = want;
	return order;
}
