/*
 * gen-lookalike: writes a deterministic CSV export in the marketplace's
 * schema (index,customer_id,product_id,event,event_date,product_name) with
 * the published profile of the private data set: ~87% as many customers as
 * rows, 88.8% of them seen once, ~3% retention across the 80% time quantile,
 * ~40% as many products as rows, most late products new, the event mix of
 * the export, a few power users, and a little dirt (duplicates, empty ids,
 * bad dates, untidy event names). Same --rows and --seed, same bytes.
 *
 * The model: customers get a number of interactions (one, a few, or a power
 * user's hundreds) and a first visit time; later interactions either follow
 * in the same session or are a return visit at a uniform time. Rows are
 * then taken in time order and given products: a customer's next action in
 * a session often concerns the same product; otherwise a new product
 * appears with the probability that yields the target product count, or an
 * existing one is drawn by preferential attachment biased toward recent rows.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csvout.h"
#include "output.h"
#include "radix.h"
#include "rng.h"
#include "timeparse.h"
#include "xalloc.h"
#include "banned.h"

#define START_MS INT64_C(1664582400000)		/* 2022-10-01T00:00:00Z */
#define END_MS INT64_C(1680307200000)		/* 2023-04-01T00:00:00Z */

/* The published profile, as rates per row or per customer. */
#define CUSTOMERS_PER_ROW 0.8695
#define PRODUCTS_PER_ROW 0.4016
#define ONE_TIME 0.888
#define POWER_USER 0.0002
#define RETURN_VISIT 0.6	/* tuned for ~3% retention */
#define SAME_PRODUCT 0.45	/* a session's next row on the same product */
#define RECENCY_BIAS 2.2	/* tuned for ~57% new products late */
#define DIRT_DUPLICATE 0.003
#define DIRT_NO_CUSTOMER 0.0002
#define DIRT_NO_PRODUCT 0.0001
#define DIRT_BAD_DATE 0.0001
#define DIRT_UNTIDY_EVENT 0.01
#define NO_NAME_ROW 0.02

static struct rng rng;	/* one stream of numbers, for the whole file */

static double
uniform(void)
{
	return rng_uniform(&rng);
}

static uint64_t
below(uint64_t n)
{
	return (uint64_t)(uniform() * (double)n);
}

struct row {
	int64_t time;
	uint32_t customer;
	uint8_t continues;	/* follows the customer's previous row in a session */
};

/* How many interactions a new customer has. */
static uint32_t
activity(void)
{
	double u = uniform();
	uint32_t n = 2;

	if (u < ONE_TIME)
		return 1;
	if (u < ONE_TIME + POWER_USER)
		return (uint32_t)exp(log(20) + uniform() * (log(300) - log(20)));
	while (uniform() < 0.14)
		n++;
	return n;
}

/* Rows of all customers, until there are at least want. */
static struct row *
make_rows(size_t want, size_t *nrows, uint32_t *ncustomers)
{
	struct row *rows = NULL;
	size_t n = 0, cap = 0;
	uint32_t c = 0;
	const double span = (double)(END_MS - START_MS);

	while (n < want) {
		uint32_t k = activity();
		int64_t t = START_MS + (int64_t)(uniform() * span);

		rows = xgrow(rows, &cap, n + k, sizeof(*rows));
		for (uint32_t i = 0; i < k; i++, n++) {
			rows[n].customer = c;
			rows[n].continues = 0;
			if (i > 0 && uniform() < RETURN_VISIT)
				t = START_MS + (int64_t)(uniform() * span);
			else if (i > 0) {
				t += (int64_t)(-log(1 - uniform()) * 600000.0);
				if (t >= END_MS)
					t = END_MS - 1;
				rows[n].continues = 1;
			}
			rows[n].time = t / 1000 * 1000;
		}
		c++;
	}
	*nrows = n;
	*ncustomers = c;
	return rows;
}

/* Orders rows by time, ties by customer, through a radix sort of packed keys. */
static void
sort_rows(struct row *rows, size_t n)
{
	uint64_t *keys = xmalloc(n * sizeof(*keys));
	uint32_t *idx = xmalloc(n * sizeof(*idx));
	struct row *sorted = xmalloc(n * sizeof(*sorted));

	for (size_t i = 0; i < n; i++) {
		keys[i] = (uint64_t)(rows[i].time - START_MS) / 1000;
		idx[i] = (uint32_t)i;
	}
	radix_sort_u64(keys, idx, n);
	for (size_t i = 0; i < n; i++)
		sorted[i] = rows[idx[i]];
	memcpy(rows, sorted, n * sizeof(*rows));
	free(sorted);
	free(idx);
	free(keys);
}

/* Gives each row (in time order) a product; returns the number of products. */
static uint32_t *
assign_products(const struct row *rows, size_t n, uint32_t ncustomers,
    uint32_t *nproducts)
{
	uint32_t *product = xmalloc(n * sizeof(*product));
	uint32_t *last = xmalloc(ncustomers * sizeof(*last));
	uint64_t target = (uint64_t)(n * PRODUCTS_PER_ROW / (1 + DIRT_DUPLICATE));
	uint64_t eligible = 0, made = 0, seen = 0;

	for (size_t i = 0; i < n; i++)
		eligible += !rows[i].continues;
	eligible += (uint64_t)((double)(n - eligible) * (1 - SAME_PRODUCT));
	for (size_t i = 0; i < n; i++) {
		uint32_t c = rows[i].customer;

		if (rows[i].continues && uniform() < SAME_PRODUCT) {
			product[i] = last[c];
			continue;
		}
		seen++;
		if (i == 0 || (made < target &&
		    uniform() * (double)(eligible > seen ? eligible - seen + 1 : 1) <
		    (double)(target - made)))
			product[i] = (uint32_t)made++;
		else {
			/* A past row, more likely a recent one. */
			size_t back = (size_t)((double)i * pow(uniform(), RECENCY_BIAS));

			product[i] = product[i - 1 - (back < i ? back : i - 1)];
		}
		last[c] = product[i];
	}
	free(last);
	*nproducts = (uint32_t)made;
	return product;
}

/* Spreads 0..n-1 over ids that look arbitrary: i -> base + (i * a mod p). */
struct idmap {
	uint64_t p, a, base;
};

static int
is_prime(uint64_t v)
{
	if (v < 2)
		return 0;
	for (uint64_t d = 2; d * d <= v; d++)
		if (v % d == 0)
			return 0;
	return 1;
}

static void
idmap_init(struct idmap *m, uint64_t n, uint64_t base)
{
	m->p = n + 7;
	while (!is_prime(m->p))
		m->p++;
	m->a = (m->p * 5) / 8 + 1;
	while (m->a % m->p == 0)
		m->a++;
	m->base = base;
}

static uint64_t
idmap_get(const struct idmap *m, uint64_t i)
{
	return m->base + (i * m->a) % m->p;
}

static const char *const adjectives[] = {
	"Blue", "Red", "Vintage", "Classic", "Organic", "Compact", "Deluxe",
	"Handmade", "Wireless", "Soft", "Large", "Mini", "Eco", "Premium",
	"Striped", "Matte", "Glossy", "Rustic", "Modern", "Pastel"
};
static const char *const materials[] = {
	"Cotton", "Ceramic", "Bamboo", "Steel", "Leather", "Glass", "Wool",
	"Oak", "Linen", "Silicone", "Copper", "Velvet"
};
static const char *const nouns[] = {
	"Mug", "T-Shirt", "Lamp", "Backpack", "Notebook", "Scarf", "Vase",
	"Phone Case", "Cushion", "Water Bottle", "Candle", "Wallet", "Tote Bag",
	"Teapot", "Headphones", "Blanket", "Planter", "Watch Strap", "Apron",
	"Sneakers"
};
static const char *const variants[] = {
	"", "", "", "", ", Set of 2", " (Pack of 3)", ", 350 ml", " \"Limited\"",
	", XL", " - Gift Edition"
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void
product_name(uint32_t p, char *buf, size_t len)
{
	uint64_t h = (uint64_t)p * 0x9e3779b97f4a7c15u;

	h ^= h >> 29;
	snprintf(buf, len, "%s %s %s%s", adjectives[h % COUNT(adjectives)],
	    materials[(h >> 8) % COUNT(materials)], nouns[(h >> 16) % COUNT(nouns)],
	    variants[(h >> 24) % COUNT(variants)]);
}

static const char *
draw_event(void)
{
	double u = uniform() * 100.01;

	if (u < 61.0)
		return "cart";
	if (u < 61.0 + 33.3)
		return "purchased";
	if (u < 61.0 + 33.3 + 4.45)
		return "wishlist";
	if (u < 61.0 + 33.3 + 4.45 + 0.64)
		return "search_keyword";
	return "rating";
}

static const char *
untidy(const char *event, char *buf, size_t len)
{
	static const char *const forms[] = { "%s ", " %s", "%s\t" };
	char upper[32];
	size_t i;

	for (i = 0; event[i] && i + 1 < sizeof(upper); i++)
		upper[i] = (char)((i == 0 || below(3) == 0) && event[i] >= 'a' &&
		    event[i] <= 'z' ? event[i] - 'a' + 'A' : event[i]);
	upper[i] = '\0';
	snprintf(buf, len, forms[below(COUNT(forms))], upper);
	return buf;
}

struct line {
	char customer[24], product[24], date[TIME_ISO_LEN], name[96];
	const char *event;
};

static void
put_line(FILE *out, uint64_t index, const struct line *l)
{
	fprintf(out, "%llu,%s,%s,", (unsigned long long)index, l->customer,
	    l->product);
	csv_write_field(out, l->event, strlen(l->event), ',');
	putc(',', out);
	csv_write_field(out, l->date, strlen(l->date), ',');
	putc(',', out);
	csv_write_field(out, l->name, strlen(l->name), ',');
	putc('\n', out);
}

static void
format_date(int64_t ms, char *buf, size_t len)
{
	char iso[TIME_ISO_LEN];

	time_format_iso(ms, iso);
	iso[10] = ' ';
	iso[19] = '\0';
	snprintf(buf, len, "%s", iso);
}

static void
write_csv(FILE *out, const struct row *rows, const uint32_t *product, size_t n,
    uint32_t ncustomers, uint32_t nproducts, uint64_t limit)
{
	static const char *const bad_dates[] = {
		"2023-02-30 12:00:00", "not a date", "", "2022-13-01 08:00:00",
		"2023-01-15 25:10:00"
	};
	struct idmap cmap, pmap;
	struct line l;
	char evbuf[32];
	uint64_t written = 0;

	idmap_init(&cmap, ncustomers, 100000);
	idmap_init(&pmap, nproducts, 1000000);
	fputs("index,customer_id,product_id,event,event_date,product_name\n", out);
	for (size_t i = 0; i < n && written < limit; i++) {
		snprintf(l.customer, sizeof(l.customer), "%llu",
		    (unsigned long long)idmap_get(&cmap, rows[i].customer));
		snprintf(l.product, sizeof(l.product), "%llu",
		    (unsigned long long)idmap_get(&pmap, product[i]));
		format_date(rows[i].time, l.date, sizeof(l.date));
		l.event = draw_event();
		if (uniform() < NO_NAME_ROW)
			l.name[0] = '\0';
		else
			product_name(product[i], l.name, sizeof(l.name));
		if (uniform() < DIRT_UNTIDY_EVENT)
			l.event = untidy(l.event, evbuf, sizeof(evbuf));
		if (uniform() < DIRT_NO_CUSTOMER)
			l.customer[0] = '\0';
		if (uniform() < DIRT_NO_PRODUCT)
			l.product[0] = '\0';
		if (uniform() < DIRT_BAD_DATE)
			snprintf(l.date, sizeof(l.date), "%s",
			    bad_dates[below(COUNT(bad_dates))]);
		put_line(out, written++, &l);
		if (written < limit && uniform() < DIRT_DUPLICATE)
			put_line(out, written++, &l);
	}
}

static void
usage(void)
{
	fprintf(stderr, "Usage: gen-lookalike [--rows N] [--seed S] [-o FILE]\n"
	    "Try 'gen-lookalike --help' for more information.\n");
	exit(EXIT_USAGE);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ "rows", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	int64_t nrows_wanted = 500000, seed = 1;
	const char *path = NULL;
	struct output out;
	struct row *rows;
	uint32_t *product, ncustomers, nproducts;
	size_t n;
	char errbuf[512];
	int c;

	while ((c = getopt_long(argc, argv, "hn:o:s:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("gen-lookalike writes a look-alike marketplace export as CSV.\n\n"
			    "Usage: gen-lookalike [--rows N] [--seed S] [-o FILE]\n\n"
			    "  -n, --rows N    rows to write, 1 to 100000000 (default 500000)\n"
			    "  -s, --seed S    random seed (default 1)\n"
			    "  -o, --output F  write to F atomically instead of stdout\n");
			return 0;
		case 'n':
			if (cli_parse_int(optarg, 1, 100000000, &nrows_wanted) < 0) {
				warnx("--rows: expected 1 to 100000000, got \"%s\"", optarg);
				usage();
			}
			break;
		case 'o':
			path = optarg;
			break;
		case 's':
			if (cli_parse_int(optarg, 0, INT64_MAX, &seed) < 0) {
				warnx("--seed: expected a whole number, got \"%s\"", optarg);
				usage();
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	rng_seed(&rng, (uint64_t)seed);
	rows = make_rows((size_t)nrows_wanted, &n, &ncustomers);
	sort_rows(rows, n);
	product = assign_products(rows, n, ncustomers, &nproducts);
	if (output_open(&out, path, 0, 1, errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	write_csv(out.fp, rows, product, n, ncustomers, nproducts,
	    (uint64_t)nrows_wanted);
	free(rows);
	free(product);
	if (output_finish(&out, 0, errbuf, sizeof(errbuf)) < 0)
		errx(EXIT_DATA, "%s", errbuf);
	return 0;
}
