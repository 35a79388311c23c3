/*
 * An audience as text, the same for aud-query and aud-serve: CSV or TSV rows
 * "product_id,rank,customer_id,score,source,reason"; the JSON object of the
 * HTTP API {"product_id":..,"product_name":..,"recommendations":[{"customer_id":
 * ..,"score":..,"rank":1,"reason":{..}},...],"count":..,"note":".."}; or a heading and
 * numbered lines for people. Ids are written as the model holds them
 * (integers as numbers, strings as strings); scores in the shortest form
 * that reads back as the same double.
 *
 * Every audience is drawn from the model's ranking head, so each entry of
 * it is formatted once, when first used: an export of millions of rows
 * then only copies text. The formatter is therefore not const.
 */
#ifndef AUD_AUDFMT_H
#define AUD_AUDFMT_H

#include <stdio.h>

#include "model.h"

struct audfmt;

/* A formatter for m's audiences; sep is ',' (CSV) or '\t' (TSV). */
struct audfmt *audfmt_new(const struct model *m, char sep);
void audfmt_free(struct audfmt *f);

/* Campaign exports with a holdout: each customer's group ("target" or
   "control", a->control) in a last column, or a "group" field. */
void audfmt_set_groups(struct audfmt *f);

/* The header line of the CSV or TSV form. */
void audfmt_table_header(FILE *out, const struct audfmt *f);

/*
 * The first n customers of a (fewer if it holds fewer) for the product
 * asked for: its id as given, since a fallback has none of its own.
 */
void audfmt_table(FILE *out, struct audfmt *f, const struct audience *a,
    const msgpack_object *product, size_t n);
void audfmt_json(FILE *out, struct audfmt *f, const struct audience *a,
    const msgpack_object *product, size_t n);
void audfmt_text(FILE *out, struct audfmt *f, const struct audience *a,
    const msgpack_object *product, size_t n);

/*
 * Why the i-th customer of a is there: "similar:ID", the product through
 * which a product-aware model found them, or the name of the score that
 * ordered them (engagement, activity).
 */
void audfmt_reason(FILE *out, const struct audfmt *f, const struct audience *a,
    size_t i);

#endif
