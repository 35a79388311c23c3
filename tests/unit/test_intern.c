/* Unit tests of common/intern.c: id classification, ordering and interning. */
#include <string.h>

#include "intern.h"
#include "tap.h"

static void
classify(const char *text, int want_str, long long want_num)
{
	struct id id;

	id_from_text(&id, text, strlen(text));
	ok(id.is_str == want_str && (want_str || id.num == want_num),
	    "\"%s\" is %s", text, want_str ? "a string id" : "an integer id");
}

int
main(void)
{
	struct intern *t = intern_new();
	struct id a, b, got;
	int added, all_ok = 1;

	classify("0", 0, 0);
	classify("42", 0, 42);
	classify("-7", 0, -7);
	classify("9223372036854775807", 0, 9223372036854775807LL);
	classify("-9223372036854775808", 0, (-9223372036854775807LL - 1));
	classify("9223372036854775808", 1, 0);
	classify("12345678901234567890", 1, 0);
	classify("007", 1, 0);
	classify("-0", 1, 0);
	classify("+7", 1, 0);
	classify("", 1, 0);
	classify("-", 1, 0);
	classify("C-00017", 1, 0);
	classify("17850.0", 1, 0);
	classify("1e5", 1, 0);

	id_from_text(&a, "10", 2);
	id_from_text(&b, "9", 1);
	ok(id_compare(&a, &b) > 0, "integer ids compare numerically");
	id_from_text(&a, "99", 2);
	id_from_text(&b, "007", 3);
	ok(id_compare(&a, &b) < 0, "integer ids sort before string ids");
	id_from_text(&a, "ab", 2);
	id_from_text(&b, "abc", 3);
	ok(id_compare(&a, &b) < 0, "string ids compare bytewise, prefix first");

	for (int i = 0; i < 100000; i++) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), i % 2 ? "%d" : "s%d", i);

		id_from_text(&a, buf, (size_t)n);
		if (intern_add(t, &a, &added) != (uint32_t)i || !added)
			all_ok = 0;
	}
	ok(all_ok && intern_count(t) == 100000,
	    "100000 new ids get indices 0..99999 in order");
	id_from_text(&a, "s500", 4);
	ok(intern_add(t, &a, &added) == 500 && !added, "a known string id keeps its index");
	id_from_text(&a, "501", 3);
	ok(intern_find(t, &a) == 501, "a known integer id is found");
	id_from_text(&a, "0501", 4);
	ok(intern_find(t, &a) == UINT32_MAX, "\"0501\" is not the id 501");
	intern_get(t, 500, &got);
	ok(got.is_str && got.len == 4 && memcmp(got.str, "s500", 4) == 0,
	    "intern_get returns the id as written");
	intern_free(t);

	t = intern_new();
	intern_freeze(t);
	for (int i = 0; i < 3000; i++) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d", i % 2000);

		id_from_text(&a, buf, (size_t)n);
		intern_append(t, &a);
	}
	ok(intern_reindex(t) == 1000, "reindexing finds the 1000 repeated ids");
	id_from_text(&a, "1999", 4);
	ok(intern_find(t, &a) == 1999, "and finds the first of each");
	intern_free(t);

	/*
	 * Every kind side by side: small integers (0 to 2^32 - 1, whose slots
	 * stand for the id itself), integers just past them, negatives, and
	 * strings that read like them; each found at its own index, through
	 * growth and reindexing, and near misses absent.
	 */
	{
		static const char *const fmt[] = { "%lld", "%lld", "-%lld", "x%lld", "%lld.0" };
		static const long long base[] = { 0, 4294967296LL - 100000, 1, 0, 0 };
		struct intern *u = intern_new();
		int found = 1, absent = 1;

		for (int k = 0; k < 5; k++)
			for (long long i = 0; i < 100000; i++) {
				char buf[40];
				int n = snprintf(buf, sizeof(buf), fmt[k], base[k] + i * 3);

				id_from_text(&a, buf, (size_t)n);
				if (intern_add(u, &a, &added) != (uint32_t)(k * 100000 + i) || !added)
					found = 0;
			}
		for (int pass = 0; pass < 2; pass++) {
			for (int k = 0; k < 5; k++)
				for (long long i = 0; i < 100000; i += 7) {
					char buf[40];
					int n = snprintf(buf, sizeof(buf), fmt[k], base[k] + i * 3);

					id_from_text(&a, buf, (size_t)n);
					if (intern_find(u, &a) != (uint32_t)(k * 100000 + i))
						found = 0;
					n = snprintf(buf, sizeof(buf), fmt[k], base[k] + i * 3 + 1);
					id_from_text(&a, buf, (size_t)n);
					if (intern_find(u, &a) != UINT32_MAX)
						absent = 0;
				}
			if (pass == 0)
				intern_reindex(u);
		}
		id_from_text(&a, "4294967296", 10);	/* 2^32: just not small */
		ok(found && intern_find(u, &a) == UINT32_MAX,
		    "small, large, negative and string ids each keep their index");
		ok(absent, "ids next to them are not found");
		intern_free(u);
	}
	{
		struct intern *u = intern_new();
		int right = 1;

		intern_reserve(u, 50000);
		for (int i = 0; i < 60000; i++) {	/* past the hint, too */
			char buf[32];
			int n = snprintf(buf, sizeof(buf), i % 3 ? "%d" : "c%d", i * 7);

			id_from_text(&a, buf, (size_t)n);
			right &= intern_add(u, &a, &added) == (uint32_t)i && added;
		}
		id_from_text(&a, "c42", 3);
		ok(right && intern_find(u, &a) == 6 && intern_count(u) == 60000,
		    "a table sized in advance holds the same, and more");
		intern_free(u);
	}
	return tap_done();
}
