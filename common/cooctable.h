/*
 * A customer shard's co-occurrence model scored with the neighbour table of
 * all shards (coocpairs.h, aud-rank(1) "Shards"): the table's neighbours,
 * the categories of products the shard has no row of, and each category's
 * most attached customers that are the shard's, divided by the largest of
 * all shards.
 */
#ifndef AUD_COOCTABLE_H
#define AUD_COOCTABLE_H

#include <stddef.h>
#include <stdio.h>

#include "cooc.h"
#include "coocpairs.h"
#include "interactions.h"

/*
 * The shard's model from the table read from in (named name), made with
 * the settings of meta (those --pairs made the table's parts with). The
 * products the table names that the shard has no row of are added to ia:
 * the shard's customers may be relevant to them. Returns 0, or -1 with err
 * filled: not a table, a table of other settings, of products with
 * categories for interactions without (or back), a malformed record.
 */
int cooctable_load(struct cooc *m, struct interactions *ia,
    const struct coocpairs_meta *meta, FILE *in, const char *name, char *err,
    size_t errlen);

#endif
