/* cpu_linpack.c: a LINPACK-style dense solve, LU factorisation with partial pivoting of a
 * random n x n system then forward and back substitution, checked by its scaled residual. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_ORDER, P_SOLVES };

/* HPL's bound on the scaled residual: a solve above it is wrong, not slow. */
#define RESIDUAL_LIMIT 16.0

/* One copy's system: the pristine a0 and b0 made by setup, the working matrix
 * a that each solve factorises in place, the solution x and the pivot rows. */
struct linpack {
	size_t n;
	double *a0, *a, *b0, *x;
	size_t *piv;
};

static int cpu_linpack_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	size_t n = ctx->param[P_ORDER];
	struct linpack *lp = calloc(1, sizeof(*lp));
	struct vmb_rng rng;

	if (!lp)
		return vmb_error_sys(err, ENOMEM, "cpu-linpack: state");
	ctx->state = lp;
	lp->n = n;
	lp->a0 = malloc(n * n * sizeof(double));
	lp->a = malloc(n * n * sizeof(double));
	lp->b0 = malloc(n * sizeof(double));
	lp->x = malloc(n * sizeof(double));
	lp->piv = malloc(n * sizeof(size_t));
	if (!lp->a0 || !lp->a || !lp->b0 || !lp->x || !lp->piv)
		return vmb_error_sys(err, ENOMEM, "cpu-linpack: two %zux%zu matrices", n, n);
	/* entries uniform in [-0.5, 0.5), as HPL draws them; the working copy is
	 * touched here too, so the timed solves take no first-touch faults */
	vmb_rng_seed(&rng, ctx->seed);
	for (size_t i = 0; i < n * n; i++)
		lp->a0[i] = (double)(vmb_rng_next(&rng) >> 11) * 0x1p-53 - 0.5;
	for (size_t i = 0; i < n; i++)
		lp->b0[i] = (double)(vmb_rng_next(&rng) >> 11) * 0x1p-53 - 0.5;
	memcpy(lp->a, lp->a0, n * n * sizeof(double));
	memset(lp->x, 0, n * sizeof(double));
	return 0;
}

static void cpu_linpack_teardown(struct vmb_workload_ctx *ctx)
{
	struct linpack *lp = ctx->state;

	if (!lp)
		return;
	free(lp->a0);
	free(lp->a);
	free(lp->b0);
	free(lp->x);
	free(lp->piv);
	free(lp);
	ctx->state = NULL;
}

/* The dot product of len elements, four partial sums (a fixed order, so the
 * result is the same bit for bit on every launch). */
static double dot(const double *restrict u, const double *restrict v, size_t len)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t j = 0;

	for (; j + 4 <= len; j += 4) {
		s0 += u[j] * v[j];
		s1 += u[j + 1] * v[j + 1];
		s2 += u[j + 2] * v[j + 2];
		s3 += u[j + 3] * v[j + 3];
	}
	for (; j < len; j++)
		s0 += u[j] * v[j];
	return (s0 + s1) + (s2 + s3);
}

/* Factorises the row-major n x n matrix a in place into P a = L U (L unit
 * lower, below the diagonal; U on and above it), swapping whole rows as it
 * pivots and noting in piv[k] the row swapped with row k. Right-looking: step
 * k subtracts a multiple of pivot row k from every row below it, each update
 * a contiguous sweep of two rows. Returns -1 if a pivot is exactly zero. */
static int lu_factor(double *a, size_t *piv, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		size_t p = k;
		double best = fabs(a[k * n + k]);
		for (size_t i = k + 1; i < n; i++) {
			double v = fabs(a[i * n + k]);
			if (v > best) {
				best = v;
				p = i;
			}
		}
		piv[k] = p;
		if (best == 0.0)
			return -1;
		if (p != k) {
			double *rk = a + k * n, *rp = a + p * n;
			for (size_t j = 0; j < n; j++) {
				double t = rk[j];
				rk[j] = rp[j];
				rp[j] = t;
			}
		}
		const double *pivot_row = a + k * n;
		double inv = 1.0 / pivot_row[k];
		for (size_t i = k + 1; i < n; i++) {
			double *row = a + i * n;
			double m = row[k] * inv;
			row[k] = m;
			vmb_axpy(row + k + 1, pivot_row + k + 1, -m, n - k - 1);
		}
	}
	return 0;
}

/* Solves L U x = P b with the factors of lu_factor: x holds b on entry. */
static void lu_solve(const double *a, const size_t *piv, double *x, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (piv[k] != k) {
			double t = x[k];
			x[k] = x[piv[k]];
			x[piv[k]] = t;
		}
	for (size_t i = 1; i < n; i++)
		x[i] -= dot(a + i * n, x, i);
	for (size_t i = n; i-- > 0;)
		x[i] = (x[i] - dot(a + i * n + i + 1, x + i + 1, n - i - 1)) / a[i * n + i];
}

/* HPL's check: ||A x - b||_inf / (||A||_inf ||x||_inf n eps), from the
 * pristine system. */
static double scaled_residual(const struct linpack *lp, double *norm_a, double *norm_x)
{
	size_t n = lp->n;
	double r = 0, na = 0, nx = 0;

	for (size_t i = 0; i < n; i++) {
		const double *row = lp->a0 + i * n;
		double s = 0;
		for (size_t j = 0; j < n; j++)
			s += fabs(row[j]);
		if (s > na)
			na = s;
		double ri = fabs(dot(row, lp->x, n) - lp->b0[i]);
		if (ri > r)
			r = ri;
		if (fabs(lp->x[i]) > nx)
			nx = fabs(lp->x[i]);
	}
	*norm_a = na;
	*norm_x = nx;
	return r / (na * nx * (double)n * DBL_EPSILON);
}

static int cpu_linpack_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct linpack *lp = ctx->state;
	size_t n = lp->n;
	uint64_t solves = ctx->param[P_SOLVES];
	/* the LINPACK count, whatever the operations really done */
	double nd = (double)n;
	long long flops = (long long)(2.0 / 3.0 * nd * nd * nd + 2.0 * nd * nd);
	double sum = 0;

	ctx->ops_unit = "flop";
	for (uint64_t s = 0; s < solves; s++) {
		memcpy(lp->a, lp->a0, n * n * sizeof(double));
		memcpy(lp->x, lp->b0, n * sizeof(double));
		if (lu_factor(lp->a, lp->piv, n) < 0)
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "cpu-linpack: the %zux%zu matrix of seed %llu is "
			                     "singular (a zero pivot)",
			                     n, n, (unsigned long long)ctx->seed);
		lu_solve(lp->a, lp->piv, lp->x, n);
		ctx->ops += flops;
		sum += lp->x[s % n];
	}
	double norm_a, norm_x, res = scaled_residual(lp, &norm_a, &norm_x);
	if (!(res <= RESIDUAL_LIMIT))
		return vmb_error_set(
		        err, VMB_ERR_FAIL,
		        "cpu-linpack: scaled residual %.3g of the %zux%zu solve exceeds "
		        "%g (||A||=%g, ||x||=%g): the solution is wrong",
		        res, n, n, RESIDUAL_LIMIT, norm_a, norm_x);
	for (size_t i = 0; i < n; i++)
		sum += lp->x[i];
	ctx->checksum = vmb_double_bits(sum);
	json_decref(ctx->observations);
	ctx->observations =
	        json_pack("{s:f, s:f, s:f, s:I}", "scaled_residual", res, "norm_a", norm_a,
	                  "norm_x", norm_x, "flop_per_solve", (json_int_t)flops);
	return 0;
}

static uint64_t cpu_linpack_memory(const uint64_t *param)
{
	uint64_t n = param[P_ORDER];

	return 2 * n * n * sizeof(double) + 2 * n * sizeof(double) + n * sizeof(size_t);
}

/* flops per second of the timed part, over every copy */
static double m_gflops(json_t *s)
{
	double flop = vmb_sample_num(s, "agent.ops"), ns = vmb_sample_num(s, "agent.wall_ns");

	return flop > 0 && ns > 0 ? flop / ns : NAN;
}

static const struct vmb_metric cpu_linpack_metrics[] = {
        {"linpack_gflop_per_s", "GFLOP/s", VMB_HIGHER_IS_BETTER, VMB_AGG_MEDIAN,
         "LINPACK solve rate: (2/3 n^3 + 2 n^2) flops per solve over the timed part, in "
         "billions per second, over every copy",
         m_gflops},
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param cpu_linpack_params[] = {
        [P_ORDER] = {"order", 500, 16, 8192, false,
                     "order n of the system (n x n doubles, kept twice per copy)", .quick = 300},
        [P_SOLVES] = {"solves", 80, 1, 1ULL << 32, true,
                      "factorisations and solves of the system, each from a fresh copy",
                      .quick = 30},
};

const struct vmb_workload vmb_workload_cpu_linpack = {
        .name = "cpu-linpack",
        .suite = "cpu",
        .summary = "LINPACK-style LU solve with partial pivoting of a dense system, residual "
                   "checked (FPU, L2/L3; a copy per core)",
        .params = cpu_linpack_params,
        .nparams = VMB_ARRAY_SIZE(cpu_linpack_params),
        .parallel = true,
        .headline = "linpack_gflop_per_s",
        .metrics = cpu_linpack_metrics,
        .memory_need = cpu_linpack_memory,
        .setup = cpu_linpack_setup,
        .run = cpu_linpack_run,
        .teardown = cpu_linpack_teardown,
};
