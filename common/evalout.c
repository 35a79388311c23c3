/* The evaluation's report, as JSON or in words; see evaluate.h. */
#include <math.h>
#include <stdio.h>

#include "evaluate.h"
#include "json.h"
#include "timeparse.h"
#include "banned.h"

static void
json_number(FILE *out, const char *key, double v, int comma)
{
	fprintf(out, "%s\"%s\":", comma ? "," : "", key);
	json_write_double(out, v);
}

/* ,"NAME":v,"NAME_ci95":[lo,hi] */
static void
json_lift(FILE *out, const char *name, const struct eval_lift *l)
{
	json_number(out, name, l->lift, 1);
	fprintf(out, ",\"%s_ci95\":[", name);
	json_write_double(out, l->lo);
	putc(',', out);
	json_write_double(out, l->hi);
	putc(']', out);
}

/* ,"hit_lift_vs_BASELINE":v,"hit_lift_vs_BASELINE_ci95":[lo,hi] */
static void
json_vs(FILE *out, const char *baseline, const struct eval_lift *l)
{
	char name[64];

	snprintf(name, sizeof(name), "hit_lift_vs_%s", baseline);
	json_lift(out, name, l);
}

void
eval_write_json(FILE *out, const struct eval_result *r)
{
	char when[TIME_ISO_LEN];
	int first = 1;

	fprintf(out, "{\"split\":{\"train_fraction\":");
	json_write_double(out, r->train_fraction);
	fprintf(out, ",\"train_rows\":%zu,\"test_rows\":%zu,\"split_time\":\"%s\","
	    "\"train_customers\":%zu,\"test_customers\":%zu,"
	    "\"returning_customers\":%zu},", r->train_rows, r->test_rows,
	    time_format_iso(r->split_time, when), r->train_customers,
	    r->test_customers, r->returning_customers);
	fprintf(out, "\"products\":{\"train\":%zu,\"test\":%zu,\"evaluable\":%zu,"
	    "\"with_relevant\":%zu", r->train_products, r->test_products,
	    r->evaluable, r->with_relevant);
	json_number(out, "coverage", r->test_products ?
	    (double)r->evaluable / r->test_products : NAN, 1);
	fprintf(out, "},\"methods\":{");
	for (int m = 0; m < NMETHODS; m++) {
		if (!r->done[m])
			continue;
		fprintf(out, "%s\"%s\":{", first ? "" : ",", method_name[m]);
		first = 0;
		for (size_t k = 0; k < r->nk; k++) {
			const struct eval_at_k *a = &r->at[m][k];

			fprintf(out, "%s\"%lld\":{", k ? "," : "", (long long)r->ks[k]);
			json_number(out, "precision", a->precision, 0);
			json_number(out, "recall", a->recall, 1);
			json_number(out, "active_share", a->active_share, 1);
			if (m != METHOD_RANDOM) {
				json_lift(out, "hit_lift", &a->hit_lift);
				json_lift(out, "active_lift", &a->active_lift);
				for (int b = 0; b < METHOD_RANDOM; b++)
					if (r->done[b] && eval_baseline(b))
						json_vs(out, method_name[b],
						    &a->hit_vs[b]);
				json_lift(out, "hit_lift_vs_best_baseline",
				    &a->hit_vs_best);
				fprintf(out, ",\"distinct_customers\":%zu,"
				    "\"max_audiences_per_customer\":%zu", a->distinct,
				    a->most);
			}
			putc('}', out);
		}
		putc('}', out);
	}
	fprintf(out, "},\"best_baseline\":{");
	for (size_t k = 0; k < r->nk; k++) {
		fprintf(out, "%s\"%lld\":", k ? "," : "", (long long)r->ks[k]);
		if (r->best[k] < 0)
			fputs("null", out);
		else
			fprintf(out, "\"%s\"", method_name[r->best[k]]);
	}
	fprintf(out, "},\"cold_start\":{\"products\":%zu", r->cold_products);
	for (int x = 0; x < 2 && r->cold_products > 0; x++) {
		const struct eval_at_k *at = x ? r->cold_name : r->cold_global;

		fprintf(out, ",\"%s\":{", x ? "by_name" : "global_list");
		for (size_t k = 0; k < r->nk; k++) {
			fprintf(out, "%s\"%lld\":{", k ? "," : "", (long long)r->ks[k]);
			json_number(out, "precision", at[k].precision, 0);
			json_number(out, "recall", at[k].recall, 1);
			if (x)
				json_lift(out, "hit_lift_vs_global_list",
				    &at[k].hit_vs[METHOD_ENGAGEMENT]);
			putc('}', out);
		}
		putc('}', out);
	}
	fprintf(out, "},\"come_back\":{\"customers\":%zu", r->train_customers);
	json_number(out, "base_rate", r->train_customers ?
	    (double)r->returning_customers / (double)r->train_customers : NAN, 1);
	for (int m = 0; m < METHOD_RANDOM; m++) {
		if (!r->come_back_done[m])
			continue;
		fprintf(out, ",\"%s\":{", method_name[m]);
		for (int q = 0; q < COMEBACK_NQ; q++) {
			const struct comeback_at *a = &r->come_back[m][q];

			fprintf(out, "%s\"%g%%\":{\"customers\":%zu,\"returned\":%zu",
			    q ? "," : "", 100 * comeback_q[q], a->customers,
			    a->returned);
			json_lift(out, "rate", &(struct eval_lift){ a->rate,
			    a->rate_lo, a->rate_hi });
			json_lift(out, "lift", &(struct eval_lift){ a->lift,
			    a->lift_lo, a->lift_hi });
			putc('}', out);
		}
		putc('}', out);
	}
	fprintf(out, "},\"capping\":{\"k\":%lld", (long long)r->ks[r->nk / 2]);
	for (int m = 0; m < METHOD_RANDOM; m++) {
		if (!r->done[m])
			continue;
		fprintf(out, ",\"%s\":{", method_name[m]);
		for (int c = 0; c < EVAL_NCAPS; c++) {
			const struct cap_result *x = &r->capped[m][c];

			if (eval_caps[c])
				fprintf(out, "%s\"%llu\":{", c ? "," : "",
				    (unsigned long long)eval_caps[c]);
			else
				fprintf(out, "%s\"unlimited\":{", c ? "," : "");
			json_number(out, "precision", x->precision, 0);
			json_number(out, "places_filled", x->filled, 1);
			fprintf(out, ",\"distinct_customers\":%zu,"
			    "\"max_audiences_per_customer\":%zu}", x->distinct,
			    x->most);
		}
		putc('}', out);
	}
	fprintf(out, "},\"bootstrap\":{\"samples\":%zu,\"seed\":%llu,"
	    "\"resampled\":\"products and customers\"}}\n", r->bootstrap,
	    (unsigned long long)r->seed);
}

/* "3.4x (95% interval 2.9x to 4.0x)", or what can be said without one. */
static void
describe_lift(FILE *out, const struct eval_lift *l)
{
	if (!isfinite(l->lift))
		fprintf(out, "an undefined multiple (the divisor is 0)");
	else
		fprintf(out, "%.2fx (95%% interval %.2fx to %.2fx)", l->lift,
		    l->lo, l->hi);
}

static const char *
verdict(const struct eval_lift *l)
{
	if (isfinite(l->lo) && l->lo > 1)
		return "beats";
	if (isfinite(l->hi) && l->hi < 1)
		return "does worse than";
	return "cannot be told apart from";
}

/* A model's precision against each baseline that ran, on a line. */
static void
write_each_baseline(FILE *out, const struct eval_result *r, int m, size_t k)
{
	const char *sep = "";

	fprintf(out, "  Against each baseline:");
	for (int b = 0; b < METHOD_RANDOM; b++) {
		const struct eval_lift *l = &r->at[m][k].hit_vs[b];

		if (!r->done[b] || !eval_baseline(b))
			continue;
		fprintf(out, "%s %s ", sep, method_name[b]);
		if (isfinite(l->lift))
			fprintf(out, "%.2fx (%.2fx to %.2fx)", l->lift, l->lo, l->hi);
		else
			fprintf(out, "undefined");
		sep = ",";
	}
	fprintf(out, ".\n");
}

/* Who comes back: the share of each score's top customers, and its lift. */
static void
write_come_back(FILE *out, const struct eval_result *r)
{
	fprintf(out, "Who comes back, whatever the product: the top customers by "
	    "each score, the share\nwho interact again in the test part "
	    "(95%% Wilson interval), against %.2f%% of all:\n",
	    r->train_customers ? 100.0 * (double)r->returning_customers /
	    (double)r->train_customers : 0);
	fprintf(out, "%-12s", "method");
	for (int q = 0; q < COMEBACK_NQ; q++)
	{
		char label[48];

		snprintf(label, sizeof(label), "top %g%%", 100 * comeback_q[q]);
		fprintf(out, "  %-24s", label);
	}
	putc('\n', out);
	for (int m = 0; m < METHOD_RANDOM; m++) {
		if (!r->come_back_done[m])
			continue;
		fprintf(out, "%-12s", method_name[m]);
		for (int q = 0; q < COMEBACK_NQ; q++) {
			const struct comeback_at *a = &r->come_back[m][q];
			char cell[64];

			snprintf(cell, sizeof(cell), "%.1f%% (%.1f-%.1f) %.2fx",
			    100 * a->rate, 100 * a->rate_lo, 100 * a->rate_hi,
			    a->lift);
			fprintf(out, "  %-24s", cell);
		}
		putc('\n', out);
	}
	putc('\n', out);
}

void
eval_write_text(FILE *out, const struct eval_result *r)
{
	char when[TIME_ISO_LEN];
	size_t mid = r->nk / 2;

	fprintf(out, "Temporal split at %s: %zu rows train, %zu test.\n",
	    time_format_iso(r->split_time, when), r->train_rows, r->test_rows);
	fprintf(out, "%zu of %zu training customers came back in the test period "
	    "(%.2f%%).\n", r->returning_customers, r->train_customers,
	    r->train_customers ? 100.0 * r->returning_customers / r->train_customers : 0);
	fprintf(out, "%zu products are in both periods (coverage %.2f%% of the test "
	    "period's %zu); %zu of them gained a new customer.\n\n", r->evaluable,
	    r->test_products ? 100.0 * r->evaluable / r->test_products : 0,
	    r->test_products, r->with_relevant);
	write_come_back(out, r);
	if (r->evaluable == 0 || r->with_relevant == 0) {
		fprintf(out, "No product can be evaluated: %s.\n", r->evaluable == 0 ?
		    "none is in both periods" : "none gained a new customer who "
		    "was a training customer");
		return;
	}
	fprintf(out, "%-12s %4s %10s %10s %10s %9s %7s\n", "method", "k", "precision",
	    "recall", "come back", "customers", "most");
	for (int m = 0; m < NMETHODS; m++)
		for (size_t k = 0; k < r->nk && r->done[m]; k++) {
			const struct eval_at_k *a = &r->at[m][k];

			fprintf(out, "%-12s %4lld %10.5f %10.5f %9.2f%%", method_name[m],
			    (long long)r->ks[k], a->precision, a->recall,
			    100 * a->active_share);
			if (m == METHOD_RANDOM)
				fprintf(out, " %9s %7s\n", "all", "-");
			else
				fprintf(out, " %9zu %7zu\n", a->distinct, a->most);
		}
	fprintf(out, "\n(customers: distinct customers in all the audiences; most: "
	    "the most audiences one customer is in.\nIntervals: 95%%, of a bootstrap "
	    "that resamples products and customers together.)\n\n");
	for (int m = 0; m < METHOD_RANDOM; m++) {
		const struct eval_at_k *a = &r->at[m][mid];

		if (!r->done[m])
			continue;
		fprintf(out, "At k=%lld, %s targeting %s random: it finds ",
		    (long long)r->ks[mid], method_name[m],
		    verdict(&a->hit_lift));
		describe_lift(out, &a->hit_lift);
		fprintf(out, " as many of the customers who take up the product");
		if (m != METHOD_ENGAGEMENT) {
			const struct eval_lift *e = &a->hit_vs[METHOD_ENGAGEMENT];

			fprintf(out, " (%s engagement: ", verdict(e));
			describe_lift(out, e);
			if (!eval_baseline(m) && r->best[mid] >= 0 &&
			    r->best[mid] != METHOD_ENGAGEMENT) {
				fprintf(out, "; %s %s, the best baseline: ",
				    verdict(&a->hit_vs_best),
				    method_name[r->best[mid]]);
				describe_lift(out, &a->hit_vs_best);
			}
			fputc(')', out);
		}
		fprintf(out, ", and its %zu customers are ", a->distinct);
		describe_lift(out, &a->active_lift);
		fprintf(out, " as likely to come back at all.\n");
		if (!eval_baseline(m))
			write_each_baseline(out, r, m, mid);
	}
	fprintf(out, "\nCapped at C audiences a customer, at k=%lld: precision "
	    "(places filled, customers)\n", (long long)r->ks[mid]);
	for (int m = 0; m < METHOD_RANDOM; m++) {
		if (!r->done[m])
			continue;
		fprintf(out, "%-12s", method_name[m]);
		for (int c = 0; c < EVAL_NCAPS; c++) {
			const struct cap_result *x = &r->capped[m][c];
			char label[32];

			if (eval_caps[c])
				snprintf(label, sizeof(label), "C=%llu",
				    (unsigned long long)eval_caps[c]);
			else
				snprintf(label, sizeof(label), "no cap");
			fprintf(out, "  %s %.5f (%.1f%%, %zu)", label, x->precision,
			    100 * x->filled, x->distinct);
		}
		putc('\n', out);
	}
	if (r->cold_products > 0) {
		const struct eval_at_k *a = &r->cold_name[mid];
		const struct eval_lift *g = &a->hit_vs[METHOD_ENGAGEMENT];

		fprintf(out, "\nAs new products, known only by name%s (%zu of them, "
		    "their training rows hidden), at k=%lld the buyers of products "
		    "named alike%s find %.5f against the global list's %.5f: ",
		    r->cold_categories ? " and category" : "", r->cold_products,
		    (long long)r->ks[mid], r->cold_categories ?
		    " or of the same category" : "", a->precision,
		    r->cold_global[mid].precision);
		describe_lift(out, g);
		fprintf(out, ", so it %s the global list.\n", verdict(g));
	}
}
