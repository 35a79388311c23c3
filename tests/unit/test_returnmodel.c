/*
 * The return models against the published figures: the hypergeometric
 * function at known values, customer 1 of the CDNOW sample under the
 * paper's parameters, and the fit itself on the CDNOW summary file (whose
 * t_x and T are rounded to two decimals) when ../shared/data is here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "returnmodel.h"
#include "tap.h"

static int
near(double got, double want, double tol)
{
	return fabs(got - want) <= tol;
}

static size_t
read_summary(const char *path, struct rfm **c)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t n = 0, cap = 4096;

	if (f == NULL)
		return 0;
	*c = malloc(cap * sizeof(**c));
	if (fgets(line, sizeof(line), f) == NULL)	/* the header */
		n = 0;
	while (fgets(line, sizeof(line), f) != NULL && n < cap) {
		int id;

		if (sscanf(line, "%d,%lf,%lf,%lf", &id, &(*c)[n].x, &(*c)[n].t_x,
		    &(*c)[n].T) == 4)
			n++;
	}
	fclose(f);
	return n;
}

int
main(void)
{
	struct return_fit paper = { .kind = RETURN_BGNBD, .r = 0.243,
	    .alpha = 4.414, .a = 0.793, .b = 2.426 };
	struct rfm one = { .x = 2, .t_x = 30.43, .T = 38.86 };
	struct rfm once = { .x = 0, .t_x = 0, .T = 38.86 };
	const char *dir = getenv("AUD_SHARED_DATA");
	char path[1024];
	struct rfm *c = NULL;
	struct return_fit fit;
	char err[256];
	size_t n;
	int ret;

	/* 2F1(1, 1; 2; z) = -log(1 - z) / z; 2F1(a, b; b; z) = (1 - z)^-a */
	ok(near(hyp2f1(1, 1, 2, 0.5), -log(0.5) / 0.5, 1e-14), "2F1(1,1;2;1/2)");
	ok(near(hyp2f1(1, 1, 2, 0.99), -log(0.01) / 0.99, 1e-12), "2F1(1,1;2;0.99)");
	ok(near(hyp2f1(0.7, 3, 3, 0.9), pow(0.1, -0.7), 1e-12), "2F1(a,b;b;z)");
	ok(hyp2f1(2, 3, 4, 0) == 1, "2F1 at z = 0 is 1");

	/* The paper: E[Y(39)] for customer 1 is 1.226. */
	ok(near(return_expected(&paper, &one, 39), 1.226, 0.0005),
	    "customer 1, E[Y(39)] = %.4f (paper 1.226)",
	    return_expected(&paper, &one, 39));
	ok(return_p_alive(&paper, &once) == 1,
	    "BG/NBD: a one-time buyer is certainly alive");
	paper.kind = RETURN_MBGNBD;
	ok(return_p_alive(&paper, &once) < 1 && return_p_alive(&paper, &once) > 0,
	    "MBG/NBD: a one-time buyer may be gone (%.4f)",
	    return_p_alive(&paper, &once));
	paper.kind = RETURN_BGNBD;

	/* Degenerate data: an error, never a NaN. */
	ok(return_fit(&fit, RETURN_BGNBD, &once, 1, err, sizeof(err)) == -1 &&
	    strcmp(err, "no customer bought again: the return model has no "
	    "maximum to fit") == 0, "only one-time buyers: %s", err);
	ok(return_fit(&fit, RETURN_BGNBD, &once, 0, err, sizeof(err)) == -1,
	    "no customer: %s", err);

	snprintf(path, sizeof(path), "%s/cdnow/cdnow_customers_summary.csv",
	    dir ? dir : "../shared/data");
	if ((n = read_summary(path, &c)) == 0) {
		printf("ok %d # skip %s is not here\n", ++tap_count, path);
		return tap_done();
	}
	ok(n == 2357, "the summary holds 2357 customers (%zu)", n);
	ret = return_fit(&fit, RETURN_BGNBD, c, n, err, sizeof(err));
	ok(ret == 0 && fit.converged, "BG/NBD fits and converges (%d iterations)",
	    fit.iterations);
	/* The summary's two decimals move the optimum in the third. */
	ok(near(fit.r, 0.243, 0.002) && near(fit.alpha, 4.414, 0.02) &&
	    near(fit.a, 0.793, 0.005) && near(fit.b, 2.426, 0.02) &&
	    near(fit.log_likelihood, -9582.4, 0.5),
	    "BG/NBD on the summary: r %.4f alpha %.4f a %.4f b %.4f LL %.2f",
	    fit.r, fit.alpha, fit.a, fit.b, fit.log_likelihood);
	{
		double sum = 0;

		for (size_t i = 0; i < n; i++)
			sum += return_loglik(&fit, &c[i]);
		ok(near(sum, fit.log_likelihood, 1e-6),
		    "the fit's log-likelihood is the customers' sum (%.6f)", sum);
	}
	ret = return_fit(&fit, RETURN_MBGNBD, c, n, err, sizeof(err));
	ok(ret == 0 && fit.converged && isfinite(fit.log_likelihood),
	    "MBG/NBD: r %.4f alpha %.4f a %.4f b %.4f LL %.2f (%d iterations)",
	    fit.r, fit.alpha, fit.a, fit.b, fit.log_likelihood, fit.iterations);
	free(c);
	return tap_done();
}
