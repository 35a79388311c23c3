/*
 * The return models applied to an interactions stream (aud-features
 * --return-model): each customer's purchase summary over the calibration
 * period, the fit, and each customer's P(alive) and expected purchases.
 */
#ifndef AUD_RETURNS_H
#define AUD_RETURNS_H

#include <stddef.h>
#include <stdint.h>

#include "interactions.h"
#include "returnmodel.h"

struct return_params {
	enum return_kind kind;
	double period_days;		/* the unit of t_x, T and the horizon */
	int64_t calibration_end;	/* ms; rows after it are ignored;
					   INT64_MIN: the data's last time */
	double horizon;			/* periods ahead for expected purchases */
	int event;			/* the purchase event's index; -1: all */
	size_t rows;			/* only the first rows; 0: all */
};

struct return_scores {
	struct return_params params;	/* calibration_end resolved */
	struct return_fit fit;
	size_t n;			/* customers, as in the interactions */
	struct rfm *rfm;		/* per customer */
	size_t fitted;			/* customers with a purchase by the end */
	double *p_alive, *expected;	/* per customer */
};

/*
 * Summarises every customer (x: purchase days after the first; t_x: the
 * last purchase day, and T: the calibration end, both in periods after the
 * start of the first purchase day), fits the model to those with a
 * purchase by the end and scores every customer; one with none is scored
 * as a customer just arrived (x = t_x = T = 0). Returns 0, or -1 with err
 * filled when there is nothing to fit (rs then holds nothing to free).
 */
int return_scores_compute(struct return_scores *rs,
    const struct interactions *ia, const struct return_params *p, char *err,
    size_t errlen);
void return_scores_free(struct return_scores *rs);

#endif
