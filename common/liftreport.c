/* aud-lift's report; see liftreport.h. */
#include "liftreport.h"

#include <math.h>
#include <string.h>

#include "json.h"
#include "stream.h"
#include "timeparse.h"
#include "banned.h"

static void
write_pair(FILE *out, const char *key, double lo, double hi)
{
	fprintf(out, ",\"%s\":[", key);
	json_write_double(out, lo);
	putc(',', out);
	json_write_double(out, hi);
	putc(']', out);
}

static void
write_group(FILE *out, const char *name, const struct lift_group *g,
    const struct lift_stats *s, int i)
{
	fprintf(out, "\"%s\":{\"members\":%llu,\"converted\":%llu,\"rate\":", name,
	    (unsigned long long)g->members, (unsigned long long)g->converted);
	json_write_double(out, s->rate[i]);
	write_pair(out, "rate_ci95", s->rate_lo[i], s->rate_hi[i]);
	putc('}', out);
}

/* The figures of one comparison, as the members of a JSON object. */
static void
write_stats(FILE *out, const struct lift_group *g)
{
	struct lift_stats s;

	lift_compute(&g[0], &g[1], &s);
	write_group(out, "target", &g[0], &s, 0);
	putc(',', out);
	write_group(out, "control", &g[1], &s, 1);
	fputs(",\"difference\":", out);
	json_write_double(out, s.difference);
	write_pair(out, "difference_ci95", s.difference_lo, s.difference_hi);
	fputs(",\"relative_lift\":", out);
	json_write_double(out, s.relative);
	write_pair(out, "relative_lift_ci95", s.relative_lo, s.relative_hi);
	fputs(",\"p_value\":", out);
	json_write_double(out, s.p_value);
	fputs(",\"note\":", out);
	if (s.note != NULL)
		json_write_string(out, s.note, strlen(s.note));
	else
		fputs("null", out);
}

void
lift_write_json(FILE *out, const struct lift_report *r)
{
	char since[TIME_ISO_LEN], until[TIME_ISO_LEN];
	size_t np = intern_count(r->products);

	fprintf(out, "{\"window\":{\"since\":\"%s\",\"until\":\"%s\",\"days\":",
	    time_format_iso(r->since, since), time_format_iso(r->until, until));
	json_write_double(out, r->days);
	fputs(",\"event\":", out);
	if (r->event != NULL)
		json_write_string(out, r->event, strlen(r->event));
	else
		fputs("null", out);
	fprintf(out, "},\"members\":{\"pairs\":%zu,\"distinct_customers\":%zu,"
	    "\"duplicates\":%llu,\"in_both_groups\":%llu},\"overall\":{",
	    r->pairs, r->distinct_customers, (unsigned long long)r->duplicates,
	    (unsigned long long)r->conflicts);
	write_stats(out, r->overall);
	fputs("},\"products\":[", out);
	for (size_t p = 0; p < np; p++) {
		struct id id;
		msgpack_object o;

		intern_get(r->products, (uint32_t)p, &id);
		stream_id_object(&id, &o);
		fputs(p ? ",{\"product_id\":" : "{\"product_id\":", out);
		json_write_object(out, &o);
		putc(',', out);
		write_stats(out, r->g[p]);
		putc('}', out);
	}
	fputs("],\"methods\":{\"rate_ci95\":\"Wilson score\",\"difference_ci95\":"
	    "\"Newcomb hybrid score (method 10)\",\"relative_lift_ci95\":"
	    "\"Katz, log scale\",\"p_value\":\"two-sided pooled z-test\"}}\n", out);
}

/* A rate as a percentage, or "-" when there is none. */
static void
text_rate(FILE *out, const struct lift_group *g)
{
	char buf[64];

	if (g->members == 0)
		snprintf(buf, sizeof(buf), "-");
	else
		snprintf(buf, sizeof(buf), "%llu/%llu %.2f%%",
		    (unsigned long long)g->converted,
		    (unsigned long long)g->members,
		    100.0 * (double)g->converted / (double)g->members);
	fprintf(out, "  %-20s", buf);
}

static void
text_line(FILE *out, const char *label, const struct lift_group *g)
{
	struct lift_stats s;
	char buf[96];

	lift_compute(&g[0], &g[1], &s);
	fprintf(out, "%-16s", label);
	text_rate(out, &g[0]);
	text_rate(out, &g[1]);
	if (isfinite(s.difference))
		snprintf(buf, sizeof(buf), "%+.2f pts (%+.2f to %+.2f)",
		    100 * s.difference, 100 * s.difference_lo,
		    100 * s.difference_hi);
	else
		snprintf(buf, sizeof(buf), "-");
	fprintf(out, "  %-30s", buf);
	if (isfinite(s.relative_lo))
		snprintf(buf, sizeof(buf), "%+.1f%% (%+.1f%% to %+.1f%%)",
		    100 * s.relative, 100 * s.relative_lo, 100 * s.relative_hi);
	else
		snprintf(buf, sizeof(buf), "-");
	fprintf(out, "  %-30s", buf);
	if (isfinite(s.p_value))
		fprintf(out, "  %.4f", s.p_value);
	else
		fputs("  -", out);
	if (s.note != NULL)
		fprintf(out, "  (%s)", s.note);
	putc('\n', out);
}

void
lift_write_text(FILE *out, const struct lift_report *r)
{
	char since[TIME_ISO_LEN], until[TIME_ISO_LEN];
	size_t np = intern_count(r->products);

	fprintf(out, "Conversions from %s to %s (%g days, %s%s), %zu members "
	    "(%zu customers):\n", time_format_iso(r->since, since),
	    time_format_iso(r->until, until), r->days, r->event ? "event " :
	    "any event", r->event ? r->event : "", r->pairs,
	    r->distinct_customers);
	fprintf(out, "%-16s  %-20s  %-20s  %-30s  %-30s  %s\n", "product",
	    "target", "control", "difference (95%)", "lift (95%)", "p");
	for (size_t p = 0; p < np; p++) {
		struct id id;
		char label[64];

		intern_get(r->products, (uint32_t)p, &id);
		if (id.is_str)
			snprintf(label, sizeof(label), "%.*s", (int)id.len, id.str);
		else
			snprintf(label, sizeof(label), "%lld", (long long)id.num);
		text_line(out, label, r->g[p]);
	}
	text_line(out, "overall", r->overall);
}
