/* The return models on an interactions stream: see returns.h. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "returns.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"


/* One pass over the time-ordered rows: each customer's first purchase,
   distinct purchase days, and the first row of the last such day. */
static void
summarise(struct return_scores *rs, const struct interactions *ia,
    int64_t *first, int64_t *last)
{
	const struct return_params *p = &rs->params;
	int64_t *day = xmalloc(rs->n * sizeof(*day));

	for (size_t c = 0; c < rs->n; c++)
		day[c] = INT64_MIN;
	size_t rows = p->rows && p->rows < ia->n ? p->rows : ia->n;

	for (size_t i = 0; i < rows && ia->time[i] <= p->calibration_end; i++) {
		uint32_t c = ia->customer[i];
		int64_t d = time_day(ia->time[i]);

		if (p->event >= 0 && ia->event[i] != p->event)
			continue;
		if (day[c] == INT64_MIN) {
			first[c] = last[c] = ia->time[i];
			day[c] = d;
		} else if (d != day[c]) {
			rs->rfm[c].x++;
			last[c] = ia->time[i];
			day[c] = d;
		}
	}
	free(day);
}

/*
 * Scores by summary: customers who share (x, t_x, T), most of them at a
 * day's resolution, share their scores, so each distinct summary is scored
 * once (a hypergeometric series, an exponential, logarithms) and found
 * again by hashing, open addressing with linear probing.
 */
struct score_cache {
	struct rfm *key;
	double *p_alive, *expected;
	uint8_t *used;
	size_t cap, n;			/* cap a power of two, n <= cap / 2 */
};

static size_t
slot_of(const struct score_cache *sc, const struct rfm *c)
{
	size_t i = (size_t)XXH3_64bits(c, sizeof(*c)) & (sc->cap - 1);

	while (sc->used[i] && memcmp(&sc->key[i], c, sizeof(*c)) != 0)
		i = (i + 1) & (sc->cap - 1);
	return i;
}

static void
cache_alloc(struct score_cache *sc, size_t cap)
{
	sc->cap = cap;
	sc->key = xmalloc(cap * sizeof(*sc->key));
	sc->p_alive = xmalloc(cap * sizeof(*sc->p_alive));
	sc->expected = xmalloc(cap * sizeof(*sc->expected));
	sc->used = xcalloc(cap, 1);
}

static void
cache_free(struct score_cache *sc)
{
	free(sc->key);
	free(sc->p_alive);
	free(sc->expected);
	free(sc->used);
}

static void
cache_grow(struct score_cache *sc)
{
	struct score_cache old = *sc;

	cache_alloc(sc, old.cap * 2);
	for (size_t i = 0; i < old.cap; i++) {
		size_t j;

		if (!old.used[i])
			continue;
		j = slot_of(sc, &old.key[i]);
		sc->used[j] = 1;
		sc->key[j] = old.key[i];
		sc->p_alive[j] = old.p_alive[i];
		sc->expected[j] = old.expected[i];
	}
	cache_free(&old);
}

/* Returns 0, or -1 when a score is not a probability or a non-negative
   count: a fit run off to extremes on too little data. */
static int
score_all(struct return_scores *rs)
{
	struct score_cache sc = { 0 };
	int usable = 1;

	cache_alloc(&sc, 1024);
	for (size_t c = 0; c < rs->n; c++) {
		size_t i = slot_of(&sc, &rs->rfm[c]);

		if (!sc.used[i]) {
			if (2 * (sc.n + 1) > sc.cap) {
				cache_grow(&sc);
				i = slot_of(&sc, &rs->rfm[c]);
			}
			sc.used[i] = 1;
			sc.n++;
			sc.key[i] = rs->rfm[c];
			sc.p_alive[i] = return_p_alive(&rs->fit, &rs->rfm[c]);
			sc.expected[i] = return_expected(&rs->fit, &rs->rfm[c],
			    rs->params.horizon);
			usable &= isfinite(sc.p_alive[i]) && sc.p_alive[i] >= 0 &&
			    sc.p_alive[i] <= 1 && isfinite(sc.expected[i]) &&
			    sc.expected[i] >= 0;
		}
		rs->p_alive[c] = sc.p_alive[i];
		rs->expected[c] = sc.expected[i];
	}
	cache_free(&sc);
	return usable ? 0 : -1;
}

int
return_scores_compute(struct return_scores *rs, const struct interactions *ia,
    const struct return_params *p, char *err, size_t errlen)
{
	size_t n = intern_count(ia->customers), m = 0;
	int64_t *first = xmalloc((n ? n : 1) * sizeof(*first));
	int64_t *last = xmalloc((n ? n : 1) * sizeof(*last));
	double period = p->period_days * (double)MS_PER_DAY;
	struct rfm *fitted;

	memset(rs, 0, sizeof(*rs));
	rs->params = *p;
	if (rs->params.calibration_end == INT64_MIN)	/* the last row read */
		rs->params.calibration_end = ia->n ? ia->time[(p->rows &&
		    p->rows < ia->n ? p->rows : ia->n) - 1] : 0;
	rs->n = n;
	rs->rfm = xcalloc(n ? n : 1, sizeof(*rs->rfm));
	for (size_t c = 0; c < n; c++)
		first[c] = INT64_MIN;
	summarise(rs, ia, first, last);
	fitted = xmalloc((n ? n : 1) * sizeof(*fitted));
	/* Purchases are days: times count from the start of the first
	   purchase day, and the last purchase is its day. Customers then
	   share far fewer summaries, which the fit sums once each. */
	for (size_t c = 0; c < n; c++) {
		int64_t day0;

		if (first[c] == INT64_MIN)
			continue;
		day0 = time_day(first[c]) * MS_PER_DAY;
		rs->rfm[c].t_x = (double)(time_day(last[c]) * MS_PER_DAY - day0) /
		    period;
		rs->rfm[c].T = (double)(rs->params.calibration_end - day0) / period;
		fitted[m++] = rs->rfm[c];
	}
	rs->fitted = m;
	free(first);
	free(last);
	if (m == 0) {
		snprintf(err, errlen, "no purchase by the calibration end: "
		    "nothing to fit the return model to");
		free(fitted);
		return_scores_free(rs);
		return -1;
	}
	if (return_fit(&rs->fit, p->kind, fitted, m, err, errlen) < 0) {
		free(fitted);
		return_scores_free(rs);
		return -1;
	}
	free(fitted);
	rs->p_alive = xmalloc((n ? n : 1) * sizeof(*rs->p_alive));
	rs->expected = xmalloc((n ? n : 1) * sizeof(*rs->expected));
	if (score_all(rs) < 0) {
		snprintf(err, errlen, "the fit (r %.3g, alpha %.3g, a %.3g, b %.3g) "
		    "gives no usable scores: %zu customer%s too few to fit",
		    rs->fit.r, rs->fit.alpha, rs->fit.a, rs->fit.b, m,
		    m == 1 ? " is" : "s are");
		return_scores_free(rs);
		return -1;
	}
	return 0;
}

void
return_scores_free(struct return_scores *rs)
{
	free(rs->rfm);
	free(rs->p_alive);
	free(rs->expected);
	memset(rs, 0, sizeof(*rs));
}
