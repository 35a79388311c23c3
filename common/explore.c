/* The profile of an interactions stream; see explore.h. */
#include "explore.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

/*
 * The q-quantile of the (ascending) times, interpolated linearly between
 * order statistics at position q (n - 1), as pandas' Series.quantile does.
 */
static double
time_quantile(const int64_t *t, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)pos;

	if (lo + 1 >= n)
		return (double)t[n - 1];
	return (double)t[lo] + (double)(t[lo + 1] - t[lo]) * (pos - (double)lo);
}

/* The k-th smallest of the users' row counts (0-based), from the histogram. */
static double
count_at(const struct profile *pr, size_t k)
{
	size_t seen = 0;

	for (size_t i = 0; i < pr->ncounts; i++) {
		seen += pr->counts[i].users;
		if (k < seen)
			return (double)pr->counts[i].interactions;
	}
	return NAN;
}

/* The histogram of rows per user, its classes and its median. */
static void
profile_users(struct profile *pr, const uint32_t *rows_of)
{
	size_t maxc = 0, n = pr->users;
	size_t *hist;

	for (size_t u = 0; u < n; u++)
		if (rows_of[u] > maxc)
			maxc = rows_of[u];
	hist = xcalloc(maxc + 1, sizeof(*hist));
	for (size_t u = 0; u < n; u++)
		hist[rows_of[u]]++;
	pr->counts = xmalloc((maxc + 1) * sizeof(*pr->counts));
	for (size_t c = 1; c <= maxc; c++) {
		if (hist[c] == 0)
			continue;
		pr->counts[pr->ncounts].interactions = c;
		pr->counts[pr->ncounts++].users = hist[c];
		if (c == 1)
			pr->one_time += hist[c];
		else if (c <= 5)
			pr->low_activity += hist[c];
		else
			pr->power += hist[c];
	}
	pr->median_per_user = n % 2 ? count_at(pr, n / 2) :
	    (count_at(pr, n / 2 - 1) + count_at(pr, n / 2)) / 2;
	free(hist);
}

int
profile_compute(struct profile *pr, const struct interactions *ia,
    double quantile)
{
	size_t nu = intern_count(ia->customers), np = intern_count(ia->products);
	uint32_t *rows_of;
	uint8_t *user_seen, *product_seen;	/* bit 1 early, bit 2 late */
	int64_t *last_day;

	memset(pr, 0, sizeof(*pr));
	if (ia->n == 0)
		return -1;
	pr->rows = ia->n;
	pr->users = nu;
	pr->products = np;
	pr->first = ia->time[0];
	pr->last = ia->time[ia->n - 1];
	pr->quantile = quantile;
	pr->split = time_quantile(ia->time, ia->n, quantile);
	pr->event_count = xcalloc(ia->nevents + 1, sizeof(*pr->event_count));
	pr->days = xmalloc((size_t)(time_day(pr->last) - time_day(pr->first) + 1) *
	    sizeof(*pr->days));
	rows_of = xcalloc(nu + 1, sizeof(*rows_of));
	user_seen = xcalloc(nu + 1, 1);
	product_seen = xcalloc(np + 1, 1);
	last_day = xmalloc((nu + 1) * sizeof(*last_day));
	for (size_t u = 0; u < nu; u++)
		last_day[u] = INT64_MIN;

	for (size_t i = 0; i < ia->n; i++) {
		uint32_t u = ia->customer[i];
		int64_t day = time_day(ia->time[i]);
		uint8_t half = (double)ia->time[i] < pr->split ? 1 : 2;
		struct explore_day *d;

		if (pr->ndays == 0 || pr->days[pr->ndays - 1].day != day) {
			d = &pr->days[pr->ndays++];
			memset(d, 0, sizeof(*d));
			d->day = day;
		}
		d = &pr->days[pr->ndays - 1];
		d->interactions++;
		if (last_day[u] != day) {
			d->active_users++;
			d->new_users += last_day[u] == INT64_MIN;
			last_day[u] = day;
		}
		rows_of[u]++;
		user_seen[u] |= half;
		product_seen[ia->product[i]] |= half;
		pr->event_count[ia->event[i]]++;
	}
	for (size_t u = 0; u < nu; u++) {
		pr->early_users += user_seen[u] & 1;
		pr->late_users += user_seen[u] >> 1;
		pr->returning_users += user_seen[u] == 3;
	}
	for (size_t p = 0; p < np; p++) {
		pr->early_products += product_seen[p] & 1;
		pr->late_products += product_seen[p] >> 1;
		pr->new_products += product_seen[p] == 2;
	}
	profile_users(pr, rows_of);
	free(rows_of);
	free(user_seen);
	free(product_seen);
	free(last_day);
	return 0;
}

void
profile_free(struct profile *pr)
{
	free(pr->event_count);
	free(pr->days);
	free(pr->counts);
	memset(pr, 0, sizeof(*pr));
}

/* part / whole as a percentage, NaN when whole is 0. */
static double
pct(size_t part, size_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : NAN;
}

/* v rounded to places decimals (printf's rounding of the exact binary value). */
static void
json_fixed(FILE *out, double v, int places)
{
	if (isfinite(v))
		fprintf(out, "%.*f", places, v);
	else
		fputs("null", out);
}

struct event_order {
	const struct interactions *ia;
	const uint64_t *count;
};

/* Events by count, most frequent first, equal counts by name. */
static int
cmp_event(const void *a, const void *b, void *arg)
{
	const struct event_order *o = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (o->count[x] != o->count[y])
		return o->count[x] < o->count[y] ? 1 : -1;
	return strcmp(o->ia->event_names[x], o->ia->event_names[y]);
}

/* The indices of the events that occur, in that order; returns how many. */
static size_t
events_by_count(const struct profile *pr, const struct interactions *ia,
    size_t *order)
{
	struct event_order o = { .ia = ia, .count = pr->event_count };
	size_t n = 0;

	for (size_t e = 0; e < ia->nevents; e++)
		if (pr->event_count[e] > 0)
			order[n++] = e;
	qsort_r(order, n, sizeof(*order), cmp_event, &o);
	return n;
}

static void
json_key(FILE *out, const char *key, int comma)
{
	fprintf(out, "%s\"%s\":", comma ? "," : "", key);
}

static void
json_day(FILE *out, int64_t day)
{
	char when[TIME_ISO_LEN];

	time_format_iso(day * MS_PER_DAY, when);
	fprintf(out, "\"%.10s\"", when);
}

void
profile_write_json(FILE *out, const struct profile *pr,
    const struct interactions *ia)
{
	char when[TIME_ISO_LEN];
	size_t *order = xmalloc((ia->nevents + 1) * sizeof(*order));
	size_t nev = events_by_count(pr, ia, order);

	fprintf(out, "{\"total_interactions\":%zu,\"unique_users\":%zu,"
	    "\"unique_products\":%zu,", pr->rows, pr->users, pr->products);
	fprintf(out, "\"date_range\":{\"start\":\"%s\",", time_format_iso(pr->first, when));
	fprintf(out, "\"end\":\"%s\"},\"sparsity\":", time_format_iso(pr->last, when));
	json_fixed(out, 1.0 - (double)pr->rows / ((double)pr->users * (double)pr->products), 6);

	fprintf(out, ",\"user_retention\":{\"split_quantile\":");
	json_write_double(out, pr->quantile);
	fprintf(out, ",\"split_time\":\"%s\",\"early_period_users\":%zu,"
	    "\"late_period_users\":%zu,\"returning_users\":%zu,\"retention_rate_pct\":",
	    time_format_iso((int64_t)floor(pr->split), when), pr->early_users,
	    pr->late_users, pr->returning_users);
	json_fixed(out, pct(pr->returning_users, pr->early_users), 2);

	fprintf(out, "},\"user_behavior\":{\"median_interactions_per_user\":%.0f,"
	    "\"mean_interactions_per_user\":", floor(pr->median_per_user));
	json_fixed(out, (double)pr->rows / (double)pr->users, 2);
	json_key(out, "one_time_users_pct", 1);
	json_fixed(out, pct(pr->one_time, pr->users), 2);
	json_key(out, "low_activity_users_pct", 1);
	json_fixed(out, pct(pr->low_activity, pr->users), 2);
	json_key(out, "power_users_pct", 1);
	json_fixed(out, pct(pr->power, pr->users), 2);

	fprintf(out, "},\"product_churn\":{\"early_period_products\":%zu,"
	    "\"late_period_products\":%zu,\"new_products_in_test\":%zu,"
	    "\"new_products_pct\":", pr->early_products, pr->late_products,
	    pr->new_products);
	json_fixed(out, pct(pr->new_products, pr->late_products), 2);

	fprintf(out, "},\"event_distribution\":{\"counts\":{");
	for (size_t i = 0; i < nev; i++) {
		const char *name = ia->event_names[order[i]];

		if (i)
			putc(',', out);
		json_write_string(out, name, strlen(name));
		fprintf(out, ":%llu", (unsigned long long)pr->event_count[order[i]]);
	}
	fprintf(out, "},\"percentages\":{");
	for (size_t i = 0; i < nev; i++) {
		const char *name = ia->event_names[order[i]];

		if (i)
			putc(',', out);
		json_write_string(out, name, strlen(name));
		putc(':', out);
		json_fixed(out, pct(pr->event_count[order[i]], pr->rows), 2);
	}

	fprintf(out, "}},\"daily_activity\":[");
	for (size_t i = 0; i < pr->ndays; i++) {
		const struct explore_day *d = &pr->days[i];

		fprintf(out, "%s{\"date\":", i ? "," : "");
		json_day(out, d->day);
		fprintf(out, ",\"interactions\":%zu,\"active_users\":%zu,"
		    "\"new_users\":%zu}", d->interactions, d->active_users,
		    d->new_users);
	}
	fprintf(out, "],\"interactions_per_user\":[");
	for (size_t i = 0; i < pr->ncounts; i++)
		fprintf(out, "%s{\"interactions\":%llu,\"users\":%zu}", i ? "," : "",
		    (unsigned long long)pr->counts[i].interactions,
		    pr->counts[i].users);
	fprintf(out, "]}\n");
	free(order);
}

void
profile_write_text(FILE *out, const struct profile *pr,
    const struct interactions *ia)
{
	char from[TIME_ISO_LEN], to[TIME_ISO_LEN], split[TIME_ISO_LEN];
	size_t *order = xmalloc((ia->nevents + 1) * sizeof(*order));
	size_t nev = events_by_count(pr, ia, order);
	double retention = pct(pr->returning_users, pr->early_users);
	double one_time = pct(pr->one_time, pr->users);
	double fresh = pct(pr->new_products, pr->late_products);

	time_format_iso(pr->first, from);
	time_format_iso(pr->last, to);
	time_format_iso((int64_t)floor(pr->split), split);
	fprintf(out, "Interactions  %zu, from %s to %s, on %zu days\n", pr->rows,
	    from, to, pr->ndays);
	fprintf(out, "Customers     %zu: %.2f%% once, %.2f%% 2 to 5 times, %.2f%% "
	    "more (median %.0f, mean %.2f)\n", pr->users, one_time,
	    pct(pr->low_activity, pr->users), pct(pr->power, pr->users),
	    floor(pr->median_per_user), (double)pr->rows / (double)pr->users);
	fprintf(out, "Products      %zu; sparsity %.6f\n", pr->products,
	    1.0 - (double)pr->rows / ((double)pr->users * (double)pr->products));
	fprintf(out, "Events       ");
	for (size_t i = 0; i < nev; i++)
		fprintf(out, " %s %.2f%%%s", ia->event_names[order[i]],
		    pct(pr->event_count[order[i]], pr->rows), i + 1 < nev ? "," : "");
	fprintf(out, "\nSplit         at %s (the %g quantile of the times)\n", split,
	    pr->quantile);
	fprintf(out, "Retention     %zu of %zu early customers came back: %.2f%%\n",
	    pr->returning_users, pr->early_users, retention);
	fprintf(out, "New products  %zu of %zu late products: %.2f%%\n",
	    pr->new_products, pr->late_products, fresh);

	fprintf(out, "\nFindings\n");
	if (!isfinite(retention))
		fprintf(out, "- No customer is active before the split: retention cannot "
		    "be measured.\n");
	else if (retention < EXPLORE_RETENTION_THRESHOLD_PCT)
		fprintf(out, "- Retention is %.2f%%, below %.0f%%: too few customers come "
		    "back for collaborative filtering to learn from; it is unlikely to "
		    "work here, so rank by engagement (aud-features, aud-rank) and check "
		    "with aud-cf-check.\n", retention, EXPLORE_RETENTION_THRESHOLD_PCT);
	else
		fprintf(out, "- Retention is %.2f%%, at least %.0f%%: enough customers come "
		    "back that collaborative filtering may work; aud-cf-check measures "
		    "whether it does.\n", retention, EXPLORE_RETENTION_THRESHOLD_PCT);
	fprintf(out, "- %.2f%% of customers interacted once: for %s there is a "
	    "single data point.\n", one_time, one_time > 50 ? "most of them" :
	    "them");
	if (isfinite(fresh))
		fprintf(out, "- %.2f%% of the products active after the split are new: "
		    "%s.\n", fresh, fresh > 50 ? "most of them start cold" :
		    "a minority start cold");
	free(order);
}
