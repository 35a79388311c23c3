/*
 * Who comes back, whatever the product (aud-rank --eval, section
 * come_back): each customer score ranks the training customers, and the
 * top q of them (1%, 5%, 10%, 20%; ties: the customer seen first) are
 * measured by the share who interact again in the test part, against the
 * share of all training customers (the base rate: random's exact
 * expectation), with the Wilson interval of that share and the lift it
 * gives (the base rate taken as known: it is measured on every customer).
 * Data without products (CDNOW) is evaluated here only.
 */
#ifndef AUD_COMEBACK_H
#define AUD_COMEBACK_H

#include <stddef.h>
#include <stdint.h>

#define COMEBACK_NQ 4
extern const double comeback_q[COMEBACK_NQ];

struct comeback_at {
	size_t customers, returned;
	double rate, rate_lo, rate_hi;
	double lift, lift_lo, lift_hi;
};

struct comeback_input {
	size_t ncustomers;
	const uint8_t *present;		/* training customers */
	const uint8_t *active;		/* those seen again in the test part */
	size_t train_customers, returning;
};

/* The top fractions of present customers by score (NULL: not measured). */
void comeback_measure(const struct comeback_input *in, const double *score,
    struct comeback_at *at);

#endif
