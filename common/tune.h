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
