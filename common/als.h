/*
 * Implicit-feedback matrix factorisation by alternating least squares (Hu,
 * Koren & Volinsky 2008): every (user, item) cell has a preference, 1 where
 * the user interacted with the item and 0 elsewhere, weighed by a
 * confidence, 1 + alpha r for r interactions and 1 for empty cells. Each
 * half-step solves every user's (or item's) weighted least squares with a
 * few conjugate-gradient steps started from the previous factors (Takács,
 * Pilászy & Tikk 2011), as the implicit library does, so an iteration costs
 * O((users + items) f^2 + nonzeros f) whatever the empty cells.
 *
 * Factors are single precision, rows padded to a multiple of 8 floats for
 * vector instructions. Every row's update depends only on the other side's
 * factors, and sums over rows are taken in fixed chunks in a fixed order, so
 * the results do not depend on the number of threads.
 */
#ifndef AUD_ALS_H
#define AUD_ALS_H

#include <stddef.h>
#include <stdint.h>

/* A sparse matrix by rows: row r's cells are [start[r], start[r + 1]). */
struct als_matrix {
	size_t nrows, ncols;
	uint64_t *start;	/* nrows + 1 */
	uint32_t *col;
	float *confidence;	/* 1 + alpha r */
};

/* The same cells by columns: t's rows are m's columns. */
void als_matrix_transpose(struct als_matrix *t, const struct als_matrix *m);
void als_matrix_free(struct als_matrix *m);

struct als_params {
	size_t factors;
	size_t cg_steps;		/* conjugate-gradient steps per update */
	double regularization;
	unsigned threads;
	uint64_t seed;			/* of the initial factors */
};

struct als {
	struct als_params p;
	size_t nusers, nitems, stride;	/* stride: floats per factor row */
	float *user, *item;		/* row-major, 32-byte aligned */
	float *item_gram;		/* Y'Y of the item factors as they are,
					   kept by als_loss for the next
					   iteration; NULL when stale */
};

/* Factors drawn uniformly from [0, 0.01), as the implicit library starts. */
void als_init(struct als *m, size_t nusers, size_t nitems,
    const struct als_params *p);
void als_free(struct als *m);

/* One iteration: users given items, then items given users. */
void als_iterate(struct als *m, const struct als_matrix *by_user,
    const struct als_matrix *by_item);

/*
 * The objective the iterations minimise, divided (as implicit reports it)
 * by the total confidence plus the number of empty cells:
 * (sum over cells of c (p - x.y)^2 + reg (|X|^2 + |Y|^2)) / (sum c + empty).
 */
double als_loss(struct als *m, const struct als_matrix *by_user);

/*
 * scores[(u - u0) * n + j] = user u's factors . item items[j]'s factors,
 * for u in [u0, u1) and j < n.
 */
void als_scores(const struct als *m, const uint32_t *items, size_t n,
    size_t u0, size_t u1, float *scores);

#endif
