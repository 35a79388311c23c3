/*
 * An audience as text, the same for aud-query and aud-serve: CSV or TSV rows
 * "product_id,rank,customer_id,score,source", and the JSON object of the
 * HTTP API {"product_id":..,"product_name":..,"recommendations":[{"customer_id":..,
 * "score":..,"rank":1},...],"count":..,"note":".."}. Ids are written as the model
 * holds them (integers as numbers, strings as strings); scores in the
 * shortest form that reads back as the same double.
 */
#ifndef AUD_AUDFMT_H
#define AUD_AUDFMT_H

#include <stdio.h>

#include "model.h"

/* The header line of the CSV (sep ',') or TSV (sep '\t') form. */
void audfmt_table_header(FILE *out, char sep);

/*
 * Rows of the first n customers of a (fewer if it holds fewer) for the
 * product asked for: its id as given, since a fallback has none of its own.
 */
void audfmt_table(FILE *out, char sep, const struct model *m,
    const struct audience *a, const msgpack_object *product, size_t n);
void audfmt_json(FILE *out, const struct model *m, const struct audience *a,
    const msgpack_object *product, size_t n);
/* For people: a heading with the product's name, then numbered customers. */
void audfmt_text(FILE *out, const struct model *m, const struct audience *a,
    const msgpack_object *product, size_t n);

/* Writes an id value as text: digits, or the string (CSV-quoted if sep). */
void audfmt_id(FILE *out, const msgpack_object *id, char sep);

#endif
