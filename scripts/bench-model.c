/*
 * bench-model: how long opening a model and answering one product takes,
 * as aud-serve under inetd does once per connection. Opens MODEL the given
 * number of times, each time looking up a product read from the model's own
 * index, and prints the mean and the 99th percentile in microseconds.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "model.h"
#include "stream.h"
#include "banned.h"

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int64_t times = 1000;
	double *us;
	char err[512];
	struct model m;
	uint64_t nrecords, found = 0;
	unsigned seed = 1;

	if (argc < 2 || (argc == 3 && cli_parse_int(argv[2], 1, 1000000, &times) < 0))
		errx(EXIT_USAGE, "usage: bench-model MODEL [TIMES]");
	if (model_open(&m, argv[1], err, sizeof(err)) < 0)
		errx(EXIT_DATA, "%s", err);
	nrecords = m.nrecords;
	model_close(&m);
	if (nrecords == 0)
		errx(EXIT_DATA, "%s: no products to look up", argv[1]);
	us = calloc((size_t)times, sizeof(*us));
	for (int64_t i = 0; i < times; i++) {
		struct audience a;
		struct id id;
		double t0 = now_us();
		uint64_t k;

		if (model_open(&m, argv[1], err, sizeof(err)) < 0)
			errx(EXIT_DATA, "%s", err);
		/* A product picked through the index: its record's first field. */
		k = (uint64_t)rand_r(&seed) % m.nint;
		{
			uint64_t key = 0;

			for (int b = 7; b >= 0; b--)
				key = key << 8 | m.index[k * 16 + (size_t)b];
			id.is_str = 0;
			id.num = (int64_t)(key ^ UINT64_C(1) << 63);
		}
		if (model_lookup(&m, &id, &a, err, sizeof(err)) == 1)
			found++;
		audience_free(&a);
		model_close(&m);
		us[i] = now_us() - t0;
	}
	qsort(us, (size_t)times, sizeof(*us), cmp_double);
	{
		double sum = 0;

		for (int64_t i = 0; i < times; i++)
			sum += us[i];
		printf("%llu products: open + one look-up, %lld times: mean %.1f us, "
		    "median %.1f us, p99 %.1f us (%llu found)\n",
		    (unsigned long long)nrecords, (long long)times, sum / times,
		    us[times / 2], us[times * 99 / 100], (unsigned long long)found);
	}
	free(us);
	return 0;
}
