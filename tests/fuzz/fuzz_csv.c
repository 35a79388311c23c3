/*
 * libFuzzer harness of the CSV reader with what aud-prepare does to each
 * row's bytes: the header's columns found by name, ids classified and
 * interned, times parsed in every form the tools accept.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "csvin.h"
#include "intern.h"
#include "timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
	int col[3];		/* customer, product, time; -1 when absent */
	int have_header;
	struct intern *ids;
};

static const struct time_format forms[] = {
	{ TIME_ISO, NULL }, { TIME_EPOCH_S, NULL }, { TIME_EPOCH_MS, NULL },
	{ TIME_LAYOUT, "%d/%m/%Y %H:%M" }, { TIME_LAYOUT, "%m/%d/%Y %H:%M" },
};

static int
on_rows(const struct csv_row *rows, size_t n, void *ctx)
{
	static const char *const names[3] = { "customer_id", "product_id", "event_date" };
	struct state *s = ctx;

	for (size_t r = 0; r < n; r++) {
		const struct csv_row *row = &rows[r];

		if (!s->have_header) {
			for (int c = 0; c < 3; c++) {
				s->col[c] = -1;
				for (size_t f = 0; f < row->nfields; f++)
					if (strcmp(row->fields[f].ptr, names[c]) == 0)
						s->col[c] = (int)f;
			}
			s->have_header = 1;
			continue;
		}
		for (int c = 0; c < 2; c++)
			if (s->col[c] >= 0 && (size_t)s->col[c] < row->nfields) {
				struct id id;
				int added;

				id_from_text(&id, row->fields[s->col[c]].ptr,
				    row->fields[s->col[c]].len);
				intern_add(s->ids, &id, &added);
			}
		if (s->col[2] >= 0 && (size_t)s->col[2] < row->nfields)
			for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
				int64_t ms;
				char iso[TIME_ISO_LEN];

				if (time_parse(&forms[k], row->fields[s->col[2]].ptr,
				    row->fields[s->col[2]].len, &ms) == 0)
					time_format_iso(ms, iso);
			}
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state s = { .ids = intern_new() };
	char err[512];
	FILE *in = fmemopen((void *)data, size, "rb");

	if (size == 0 || in == NULL) {
		if (in != NULL)
			fclose(in);
		intern_free(s.ids);
		return 0;
	}
	csv_read(in, "fuzz", on_rows, &s, NULL, err, sizeof(err));
	fclose(in);
	intern_free(s.ids);
	return 0;
}
