/*
 * libFuzzer harness of aud-prepare's cleaning on arbitrary bytes: the CSV
 * reader, the header's columns, ids classified and interned, times parsed
 * (the first byte picks the form), the sort, duplicates, the bot rule (at 2
 * rows a day, so that it fires) and the stream written to /dev/null.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "prepare.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct time_format forms[] = {
	{ TIME_ISO, NULL }, { TIME_EPOCH_S, NULL }, { TIME_EPOCH_MS, NULL },
	{ TIME_LAYOUT, "%d/%m/%Y %H:%M" }, { TIME_LAYOUT, "%m/%d/%Y %H:%M" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct prep_params par = { .bot_threshold = 2, .name = "fuzz",
	    .time_format_arg = "fuzz" };
	struct prep *p;
	char err[512];
	FILE *in;

	if (size == 0)
		return 0;
	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		abort();
	par.time_format = forms[data[0] % (sizeof(forms) / sizeof(forms[0]))];
	if ((in = fmemopen((void *)data, size, "rb")) == NULL)
		return 0;
	if ((p = prep_new(&par, err, sizeof(err))) == NULL)
		abort();
	if (prep_read(p, in, size, -1) == 0) {
		FILE *shards[3] = { sink, sink, sink };

		prep_clean(p);
		prep_write(p, sink);
		prep_write_shards(p, shards, 1 + data[0] % 3);
	}
	prep_free(p);
	fclose(in);
	return 0;
}
