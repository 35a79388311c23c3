/*
 * Choosing the co-occurrence model's settings on a validation split, so
 * that the test part of an evaluation never sees the choice: the first rows
 * given (the training part of an evaluation, or all the rows for a model
 * to be built) are split again by the same fraction, and each setting is
 * measured by the precision of its audiences at the middle cut-off on that
 * inner split. The search is coordinate-wise from the defaults: each
 * setting in turn takes the value of its grid that measures best (ties:
 * the value tried first, the default first of all), two passes. The
 * category weight is tuned only when the interactions have categories.
 * Then, with those settings, the weight of engagement in new products'
 * audiences (coldstart.h) takes the value of its grid whose cold-start
 * section measures best at the same cut-off (same ties), when the
 * interactions have names or categories.
 */
#ifndef AUD_TUNE_H
#define AUD_TUNE_H

#include <stddef.h>

#include "evaluate.h"

#define TUNE_MAX_TRIALS 64

struct tune_trial {
	struct cooc_params cooc;
	double blend, precision;
};

struct tune_result {
	size_t rows, train_rows;	/* the inner split */
	int64_t k;
	struct tune_trial best;
	struct tune_trial trial[TUNE_MAX_TRIALS];
	size_t ntrials;
	int categories;			/* the category weight was tuned */
	/* New products' engagement weight, when names or categories let it
	   be tuned (cold_products > 0): its precision, and the products. */
	double new_blend, new_precision;
	size_t cold_products;
};

/*
 * Tunes on the first rows of ia (0: all), starting from p's settings.
 * Returns 0, or -1 when the inner split would be empty.
 */
int tune_cooc(struct tune_result *t, const struct interactions *ia,
    size_t rows, const struct eval_params *p);

/* The choice in words, and as the options that give it. */
void tune_write_text(FILE *out, const struct tune_result *t);

#endif
