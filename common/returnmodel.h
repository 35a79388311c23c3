/*
 * Who comes back: the BG/NBD model of repeat buying (Fader, Hardie & Lee
 * 2005, "Counting Your Customers the Easy Way") and its modification
 * MBG/NBD (Batislam, Denizel & Filiztekin 2007), which lets a customer
 * drop out right after the first purchase too, so that a one-time buyer is
 * not certainly alive.
 *
 * A customer is summed up by x (repeat purchases: purchase days after the
 * first), t_x (the last purchase's time since the first) and T (the age at
 * the calibration end), t_x and T in periods. While alive a customer buys
 * at a Poisson rate lambda ~ Gamma(r, alpha); after each purchase (and for
 * MBG/NBD also at time 0) they drop out with probability p ~ Beta(a, b).
 * The parameters are fitted by maximum likelihood.
 */
#ifndef AUD_RETURNMODEL_H
#define AUD_RETURNMODEL_H

#include <stddef.h>

enum return_kind { RETURN_BGNBD, RETURN_MBGNBD };

/* One customer's summary over the calibration period. */
struct rfm {
	double x;		/* repeat purchases */
	double t_x;		/* last purchase, periods after the first */
	double T;		/* periods from the first purchase to the end */
};

struct return_fit {
	enum return_kind kind;
	double r, alpha, a, b;
	double log_likelihood;		/* the sum over customers */
	int iterations;			/* of the optimiser, all starts */
	int converged;			/* the best start's simplex shrank */
	/* Standard errors of r, alpha, a, b: the observed information
	   inverted (the delta method from the log-parameters the fit moves
	   in); NAN when it is not positive definite. */
	double se[4];
};

/*
 * Fits kind to the n customers of c by maximum likelihood: Nelder-Mead on
 * the logarithms of the four parameters, from several starts, each best
 * point restarted until it stops moving. Returns 0, or -1 when there is
 * nothing to fit (no customer, or no repeat purchase at all: the
 * likelihood then has no maximum) with err filled. Whether the optimiser
 * converged is in fit->converged.
 */
int return_fit(struct return_fit *fit, enum return_kind kind,
    const struct rfm *c, size_t n, char *err, size_t errlen);
/* The same over distinct summaries sorted by x (rfmset_sort()), count[i]
   customers sharing c[i]. */
int return_fit_counts(struct return_fit *fit, enum return_kind kind,
    const struct rfm *c, const double *count, size_t n, char *err,
    size_t errlen);

/* The log-likelihood of one customer under fit's parameters. */
double return_loglik(const struct return_fit *fit, const struct rfm *c);

/* The probability that the customer is still alive at T. */
double return_p_alive(const struct return_fit *fit, const struct rfm *c);

/* The expected number of purchases in the next t periods. */
double return_expected(const struct return_fit *fit, const struct rfm *c,
    double t);

/*
 * The Gauss hypergeometric function 2F1(a, b; c; z) for a, b, c > 0 and
 * 0 <= z < 1, by its power series, whose terms are then all positive (no
 * cancellation): summed until a term no longer changes the sum.
 */
double hyp2f1(double a, double b, double c, double z);

#endif
