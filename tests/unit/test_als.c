/*
 * Unit tests of common/als.c against a direct computation in double
 * precision: with as many conjugate-gradient steps as factors, a user's
 * update is the exact solution of its weighted least squares
 * (Y'C_uY + reg I) x = Y'C_u p_u; the loss equals the objective summed over
 * every cell; the transpose keeps every cell.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "als.h"
#include "tap.h"

#define USERS 5
#define ITEMS 7
#define F 3

/* Solves a x = b (n x n) by Gaussian elimination with partial pivoting. */
static void
solve(double a[F][F], double b[F], double x[F])
{
	for (int c = 0; c < F; c++) {
		int p = c;

		for (int r = c + 1; r < F; r++)
			if (fabs(a[r][c]) > fabs(a[p][c]))
				p = r;
		for (int k = 0; k < F; k++) {
			double t = a[c][k];

			a[c][k] = a[p][k];
			a[p][k] = t;
		}
		double t = b[c];
		b[c] = b[p];
		b[p] = t;
		for (int r = c + 1; r < F; r++) {
			double f = a[r][c] / a[c][c];

			for (int k = c; k < F; k++)
				a[r][k] -= f * a[c][k];
			b[r] -= f * b[c];
		}
	}
	for (int c = F - 1; c >= 0; c--) {
		double s = b[c];

		for (int k = c + 1; k < F; k++)
			s -= a[c][k] * x[k];
		x[c] = s / a[c][c];
	}
}

int
main(void)
{
	/* Cells: user u has item i when (u * 3 + i) % 4 == 0 or i == u. */
	float conf[USERS][ITEMS] = { { 0 } };
	struct als_matrix m = { .nrows = USERS, .ncols = ITEMS }, t;
	struct als_params p = { .factors = F, .cg_steps = F, .regularization = 0.1,
	    .threads = 2, .seed = 3 };
	struct als model;
	float y0[ITEMS][F];
	double worst = 0, loss = 0, total_conf = 0, cells = 0;
	size_t k = 0;

	m.start = calloc(USERS + 1, sizeof(*m.start));
	m.col = malloc(USERS * ITEMS * sizeof(*m.col));
	m.confidence = malloc(USERS * ITEMS * sizeof(*m.confidence));
	for (int u = 0; u < USERS; u++) {
		for (int i = 0; i < ITEMS; i++)
			if ((u * 3 + i) % 4 == 0 || i == u) {
				conf[u][i] = 1 + 2.0f * (float)((u + i) % 3 + 1);
				m.col[k] = (uint32_t)i;
				m.confidence[k++] = conf[u][i];
			}
		m.start[u + 1] = k;
	}
	als_matrix_transpose(&t, &m);
	ok(t.nrows == ITEMS && t.start[ITEMS] == k, "the transpose keeps all %zu cells", k);
	{
		int same = 1;

		for (int i = 0; i < ITEMS; i++)
			for (uint64_t c = t.start[i]; c < t.start[i + 1]; c++)
				same &= conf[t.col[c]][i] == t.confidence[c] &&
				    (c == t.start[i] || t.col[c] > t.col[c - 1]);
		ok(same, "the transpose's cells are the matrix's, ascending");
	}

	als_init(&model, USERS, ITEMS, &p);
	for (int i = 0; i < ITEMS; i++)
		for (int j = 0; j < F; j++)
			y0[i][j] = model.item[i * model.stride + j];
	als_iterate(&model, &m, &t);
	for (int u = 0; u < USERS; u++) {
		double a[F][F] = { { 0 } }, b[F] = { 0 }, x[F];

		for (int i = 0; i < ITEMS; i++) {
			double c = conf[u][i] ? conf[u][i] : 1;

			for (int r = 0; r < F; r++) {
				for (int s = 0; s < F; s++)
					a[r][s] += c * y0[i][r] * y0[i][s];
				b[r] += conf[u][i] ? c * y0[i][r] : 0;
			}
		}
		for (int r = 0; r < F; r++)
			a[r][r] += p.regularization;
		solve(a, b, x);
		for (int j = 0; j < F; j++) {
			double d = fabs(model.user[u * model.stride + j] - x[j]) /
			    (fabs(x[j]) + 1e-3);

			if (d > worst)
				worst = d;
		}
	}
	ok(worst < 1e-3, "a user update solves its least squares (worst relative error %g)",
	    worst);

	for (int u = 0; u < USERS; u++)
		for (int i = 0; i < ITEMS; i++) {
			double s = 0, c = conf[u][i] ? conf[u][i] : 1;
			double pref = conf[u][i] ? 1 : 0;

			for (int j = 0; j < F; j++)
				s += (double)model.user[u * model.stride + j] *
				    model.item[i * model.stride + j];
			loss += c * (pref - s) * (pref - s);
			total_conf += conf[u][i];
			cells += conf[u][i] == 0;
		}
	for (int j = 0; j < F; j++) {
		for (int u = 0; u < USERS; u++)
			loss += p.regularization * pow(model.user[u * model.stride + j], 2);
		for (int i = 0; i < ITEMS; i++)
			loss += p.regularization * pow(model.item[i * model.stride + j], 2);
	}
	loss /= total_conf + cells;
	ok(fabs(als_loss(&model, &m) - loss) < 1e-5 * loss,
	    "the loss is the objective over every cell (%.9g, direct %.9g)",
	    als_loss(&model, &m), loss);

	als_free(&model);
	als_matrix_free(&m);
	als_matrix_free(&t);
	return tap_done();
}
