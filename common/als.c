/*
 * Implicit ALS with conjugate-gradient updates; see als.h. The inner loops
 * work on whole vectors of LANES floats through GCC's vector extension, and
 * the hot functions are built twice, for x86-64-v3 (AVX2, FMA) and for the
 * baseline, the right one chosen when the program starts.
 */
#include "als.h"

#include <stdlib.h>
#include <string.h>

#include "parallel.h"
#include "rng.h"
#include "xalloc.h"
#include "banned.h"

/*
 * The vector helpers below are static and inlined: no vector crosses a call
 * between objects built for different instruction sets, which is what GCC's
 * -Wpsabi warns about.
 */
#pragma GCC diagnostic ignored "-Wpsabi"

#define LANES 8
typedef float vfloat __attribute__((vector_size(LANES * sizeof(float))));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define HOT
#endif

#define MAX_STRIDE 1024		/* factors are at most 1024 */
#define ROWS_PER_CHUNK 512
#define SUM_CHUNKS 64		/* fixed, so sums do not depend on threads */
#define CG_TOLERANCE 1e-20f

static inline vfloat
vload(const float *p)
{
	vfloat v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline float
dot(const float *x, const float *y, size_t n)
{
	vfloat acc = { 0 };
	float s = 0;

	for (size_t i = 0; i < n; i += LANES)
		acc += vload(x + i) * vload(y + i);
	for (int l = 0; l < LANES; l++)
		s += acc[l];
	return s;
}

/* y += a x */
static inline void
axpy(float *y, float a, const float *x, size_t n)
{
	for (size_t i = 0; i < n; i += LANES) {
		vfloat v = vload(y + i) + a * vload(x + i);

		memcpy(y + i, &v, sizeof(v));
	}
}

/* out = A v for the symmetric stride x stride matrix A (f real rows). */
static inline void
symv(float *out, const float *a, const float *v, size_t f, size_t stride)
{
	memset(out, 0, stride * sizeof(*out));
	for (size_t j = 0; j < f; j++)
		axpy(out, v[j], a + j * stride, stride);
}

static size_t
padded(size_t f)
{
	return (f + LANES - 1) / LANES * LANES;
}

static float *
factors_new(size_t rows, size_t stride)
{
	size_t bytes = (rows * stride + LANES) * sizeof(float);
	float *v = aligned_alloc(32, (bytes + 31) / 32 * 32);

	if (v == NULL)
		xalloc_failed();
	memset(v, 0, bytes);
	return v;
}

void
als_init(struct als *m, size_t nusers, size_t nitems, const struct als_params *p)
{
	struct rng rng;

	m->p = *p;
	m->nusers = nusers;
	m->nitems = nitems;
	m->stride = padded(p->factors);
	m->user = factors_new(nusers, m->stride);
	m->item = factors_new(nitems, m->stride);
	m->item_gram = NULL;
	rng_seed(&rng, p->seed);
	for (size_t u = 0; u < nusers; u++)
		for (size_t j = 0; j < p->factors; j++)
			m->user[u * m->stride + j] = (float)(rng_uniform(&rng) * 0.01);
	for (size_t i = 0; i < nitems; i++)
		for (size_t j = 0; j < p->factors; j++)
			m->item[i * m->stride + j] = (float)(rng_uniform(&rng) * 0.01);
}

void
als_free(struct als *m)
{
	free(m->user);
	free(m->item);
	free(m->item_gram);
}

/* The Gram matrix Y'Y of rows [from, to) of y, added into g (doubles). */
struct gram_job {
	const float *y;
	size_t n, f, stride;
	double *partial;		/* SUM_CHUNKS matrices */
};

HOT static void
gram_chunk(void *ctx, size_t from, size_t to, unsigned thread)
{
	struct gram_job *job = ctx;
	size_t per = (job->n + SUM_CHUNKS - 1) / SUM_CHUNKS, s = job->stride;
	float *acc = factors_new(s, s);

	(void)thread;
	for (size_t c = from; c < to; c++) {
		size_t lo = c * per, hi = lo + per < job->n ? lo + per : job->n;
		double *out = job->partial + c * s * s;

		/* Float sums within a chunk, double across chunks. */
		memset(acc, 0, s * s * sizeof(*acc));
		for (size_t i = lo; i < hi; i++) {
			const float *y = job->y + i * s;

			for (size_t j = 0; j < job->f; j++)
				axpy(acc + j * s, y[j], y, s);
		}
		for (size_t k = 0; k < s * s; k++)
			out[k] = acc[k];
	}
	free(acc);
}

/* a = Y'Y (+ reg on the diagonal), from the rows of y. */
static void
gram(float *a, const float *y, size_t n, size_t f, size_t stride, double reg,
    unsigned threads)
{
	struct gram_job job = { .y = y, .n = n, .f = f, .stride = stride };
	size_t cells = stride * stride;

	job.partial = xcalloc(SUM_CHUNKS * cells, sizeof(double));
	parallel_for(SUM_CHUNKS, 1, threads, gram_chunk, &job);
	for (size_t k = 0; k < cells; k++) {
		double s = 0;

		for (size_t c = 0; c < SUM_CHUNKS; c++)
			s += job.partial[c * cells + k];
		a[k] = (float)s;
	}
	for (size_t j = 0; j < f; j++)
		a[j * stride + j] += (float)reg;
	free(job.partial);
}

/* One half-step: x's rows solved against the fixed y. */
struct solve_job {
	const struct als_matrix *m;
	float *x;
	const float *y, *a;		/* a = Y'Y + reg I */
	size_t f, stride, cg_steps;
};

HOT static void
solve_rows(void *ctx, size_t from, size_t to, unsigned thread)
{
	const struct solve_job *job = ctx;
	size_t s = job->stride, f = job->f;
	float r[MAX_STRIDE] __attribute__((aligned(32)));
	float p[MAX_STRIDE] __attribute__((aligned(32)));
	float ap[MAX_STRIDE] __attribute__((aligned(32)));

	(void)thread;
	for (size_t u = from; u < to; u++) {
		float *x = job->x + u * s;
		uint64_t b = job->m->start[u], e = job->m->start[u + 1];
		float rsold;

		/* r = b - A x: the residual of (Y'CY + reg I) x = Y'C p */
		symv(r, job->a, x, f, s);
		for (size_t k = 0; k < s; k++)
			r[k] = -r[k];
		for (uint64_t c = b; c < e; c++) {
			const float *y = job->y + (size_t)job->m->col[c] * s;
			float conf = job->m->confidence[c];

			axpy(r, conf - (conf - 1) * dot(y, x, s), y, s);
		}
		memcpy(p, r, s * sizeof(*p));
		rsold = dot(r, r, s);
		if (rsold < CG_TOLERANCE)
			continue;
		for (size_t it = 0; it < job->cg_steps; it++) {
			float alpha, rsnew;

			symv(ap, job->a, p, f, s);
			for (uint64_t c = b; c < e; c++) {
				const float *y = job->y + (size_t)job->m->col[c] * s;

				axpy(ap, (job->m->confidence[c] - 1) * dot(y, p, s), y, s);
			}
			alpha = rsold / dot(p, ap, s);
			axpy(x, alpha, p, s);
			axpy(r, -alpha, ap, s);
			rsnew = dot(r, r, s);
			if (rsnew < CG_TOLERANCE)
				break;
			for (size_t k = 0; k < s; k++)
				p[k] = r[k] + rsnew / rsold * p[k];
			rsold = rsnew;
		}
	}
}

/* gram_y: Y'Y when it is at hand (as als_loss leaves it), else NULL. */
static void
half_step(const struct als *mo, const struct als_matrix *m, float *x,
    const float *y, size_t ny, const float *gram_y)
{
	size_t s = mo->stride;
	float *a = factors_new(s, s);
	struct solve_job job = { .m = m, .x = x, .y = y, .a = a,
	    .f = mo->p.factors, .stride = s, .cg_steps = mo->p.cg_steps };

	if (gram_y != NULL) {
		memcpy(a, gram_y, s * s * sizeof(*a));
		for (size_t j = 0; j < mo->p.factors; j++)
			a[j * s + j] += (float)mo->p.regularization;
	} else
		gram(a, y, ny, mo->p.factors, s, mo->p.regularization, mo->p.threads);
	parallel_for(m->nrows, ROWS_PER_CHUNK, mo->p.threads, solve_rows, &job);
	free(a);
}

void
als_iterate(struct als *m, const struct als_matrix *by_user,
    const struct als_matrix *by_item)
{
	half_step(m, by_user, m->user, m->item, m->nitems, m->item_gram);
	free(m->item_gram);	/* the items change now */
	m->item_gram = NULL;
	half_step(m, by_item, m->item, m->user, m->nusers, NULL);
}

/* Per chunk of users: the loss terms and the confidences summed. */
struct loss_job {
	const struct als *m;
	const struct als_matrix *by_user;
	const float *g;			/* Y'Y */
	double *loss, *confidence, *norm;	/* per chunk */
};

HOT static void
loss_chunk(void *ctx, size_t from, size_t to, unsigned thread)
{
	const struct loss_job *job = ctx;
	const struct als *m = job->m;
	size_t s = m->stride, per = (m->nusers + SUM_CHUNKS - 1) / SUM_CHUNKS;
	float r[MAX_STRIDE] __attribute__((aligned(32)));

	(void)thread;
	for (size_t c = from; c < to; c++) {
		size_t lo = c * per, hi = lo + per < m->nusers ? lo + per : m->nusers;
		double loss = 0, conf = 0, norm = 0;

		for (size_t u = lo; u < hi; u++) {
			const float *x = m->user + u * s;

			/* x'Y'Yx is the sum of squares over all cells; observed
			 * cells then swap their (x.y)^2 for c (1 - x.y)^2. */
			symv(r, job->g, x, m->p.factors, s);
			loss += dot(r, x, s);
			for (uint64_t k = job->by_user->start[u];
			    k < job->by_user->start[u + 1]; k++) {
				const float *y = m->item + (size_t)job->by_user->col[k] * s;
				double score = dot(x, y, s), cf = job->by_user->confidence[k];

				loss += cf * (1 - score) * (1 - score) - score * score;
				conf += cf;
			}
			norm += dot(x, x, s);
		}
		job->loss[c] = loss;
		job->confidence[c] = conf;
		job->norm[c] = norm;
	}
}

double
als_loss(struct als *m, const struct als_matrix *by_user)
{
	size_t s = m->stride;
	double sums[3][SUM_CHUNKS] = { { 0 } };
	struct loss_job job = { .m = m, .by_user = by_user,
	    .loss = sums[0], .confidence = sums[1], .norm = sums[2] };
	double loss = 0, conf = 0, norm = 0;

	if (m->item_gram == NULL) {
		m->item_gram = factors_new(s, s);
		gram(m->item_gram, m->item, m->nitems, m->p.factors, s, 0, m->p.threads);
	}
	job.g = m->item_gram;
	parallel_for(SUM_CHUNKS, 1, m->p.threads, loss_chunk, &job);
	for (size_t c = 0; c < SUM_CHUNKS; c++) {
		loss += sums[0][c];
		conf += sums[1][c];
		norm += sums[2][c];
	}
	for (size_t i = 0; i < m->nitems; i++)
		norm += dot(m->item + i * s, m->item + i * s, s);
	loss += m->p.regularization * norm;
	return loss / (conf + (double)m->nusers * (double)m->nitems -
	    (double)by_user->start[m->nusers]);
}

HOT void
als_scores(const struct als *m, const uint32_t *items, size_t n, size_t u0,
    size_t u1, float *scores)
{
	size_t s = m->stride, width = padded(n);
	float *t = factors_new(s, width), *row = factors_new(1, width);

	/* Items side by side (t[j][i] = factor j of item i): a user's scores
	 * are then f vector updates, with no sums across lanes. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m->p.factors; j++)
			t[j * width + i] = m->item[(size_t)items[i] * s + j];
	for (size_t u = u0; u < u1; u++) {
		const float *x = m->user + u * s;

		memset(row, 0, width * sizeof(*row));
		for (size_t j = 0; j < m->p.factors; j++)
			axpy(row, x[j], t + j * width, width);
		memcpy(scores + (u - u0) * n, row, n * sizeof(*row));
	}
	free(t);
	free(row);
}

void
als_matrix_transpose(struct als_matrix *t, const struct als_matrix *m)
{
	uint64_t nnz = m->start[m->nrows];
	uint64_t *next;

	t->nrows = m->ncols;
	t->ncols = m->nrows;
	t->start = xcalloc(t->nrows + 2, sizeof(*t->start));
	t->col = xmalloc((nnz + 1) * sizeof(*t->col));
	t->confidence = xmalloc((nnz + 1) * sizeof(*t->confidence));
	for (uint64_t k = 0; k < nnz; k++)
		t->start[m->col[k] + 1]++;
	for (size_t r = 0; r < t->nrows; r++)
		t->start[r + 1] += t->start[r];
	next = xmalloc((t->nrows + 1) * sizeof(*next));
	memcpy(next, t->start, t->nrows * sizeof(*next));
	/* Rows of m in order, so each row of t comes out ascending. */
	for (size_t r = 0; r < m->nrows; r++)
		for (uint64_t k = m->start[r]; k < m->start[r + 1]; k++) {
			uint64_t at = next[m->col[k]]++;

			t->col[at] = (uint32_t)r;
			t->confidence[at] = m->confidence[k];
		}
	free(next);
}

void
als_matrix_free(struct als_matrix *m)
{
	free(m->start);
	free(m->col);
	free(m->confidence);
	memset(m, 0, sizeof(*m));
}
