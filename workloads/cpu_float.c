/* cpu_float.c: a floating-point kernel, dense double-precision matrix multiply. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "vec.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_ORDER, P_ROUNDS };

/* The three matrices, made by setup: a and b random, c the product. */
static int cpu_float_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	size_t n = ctx->param[P_ORDER];
	struct vmb_rng rng;
	double *m = calloc(3 * n * n, sizeof(double));

	if (!m)
		return vmb_error_sys(err, ENOMEM, "cpu-float: three %zux%zu matrices", n, n);
	ctx->state = m;
	vmb_rng_seed(&rng, ctx->seed);
	for (size_t i = 0; i < 2 * n * n; i++)
		m[i] = (double)(vmb_rng_next(&rng) >> 11) * 0x1p-53 - 0.5;
	return 0;
}

static void cpu_float_teardown(struct vmb_workload_ctx *ctx)
{
	free(ctx->state);
	ctx->state = NULL;
}

static int cpu_float_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	size_t n = ctx->param[P_ORDER];
	uint64_t rounds = ctx->param[P_ROUNDS];
	/* three parts of one allocation that never overlap: restrict says so,
	 * or the compiler must assume c may alias b and keeps the j loop scalar */
	double *restrict a = ctx->state;
	double *restrict b = a + n * n;
	double *restrict c = b + n * n;

	(void)err;
	ctx->ops_unit = "flop";
	double sum = 0;
	for (uint64_t r = 0; r < rounds; r++) {
		/* i-k-j order streams rows of b and c, the j loop in vector instructions */
		for (size_t i = 0; i < n * n; i++)
			c[i] = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < n; k++) {
				double aik = a[i * n + k];
				vmb_axpy(c + i * n, b + k * n, aik, n);
			}
		ctx->ops += (long long)(2 * n * n * n);
		sum += c[(r * 7919) % (n * n)];
		a[r % (n * n)] += sum * 1e-9; /* feeds the next round, so rounds cannot merge */
	}
	for (size_t i = 0; i < n * n; i += n + 1)
		sum += c[i];
	ctx->checksum = vmb_double_bits(sum);
	return 0;
}

static uint64_t cpu_float_memory(const uint64_t *param)
{
	return 3 * param[P_ORDER] * param[P_ORDER] * sizeof(double);
}

/* flops per second of the timed part, over every copy */
static double m_gflops(json_t *s)
{
	double flop = vmb_sample_num(s, "agent.ops"), ns = vmb_sample_num(s, "agent.wall_ns");

	return flop > 0 && ns > 0 ? flop / ns : NAN;
}

static const struct vmb_metric cpu_float_metrics[] = {
        {"gflop_per_s", "GFLOP/s", VMB_HIGHER_IS_BETTER, VMB_AGG_MEDIAN,
         "double-precision floating-point operations per second, in billions", m_gflops},
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param cpu_float_params[] = {
        [P_ORDER] = {"order", 192, 8, 4096, false, "matrix order n (n x n doubles)"},
        [P_ROUNDS] = {"rounds", 80, 1, 1ULL << 32, true, "multiplications performed", .quick = 30},
};

const struct vmb_workload vmb_workload_cpu_float = {
        .name = "cpu-float",
        .suite = "cpu",
        .summary = "dense double-precision matrix multiply (FPU and vector units, L1/L2)",
        .params = cpu_float_params,
        .nparams = VMB_ARRAY_SIZE(cpu_float_params),
        .parallel = true,
        .headline = "gflop_per_s",
        .metrics = cpu_float_metrics,
        .memory_need = cpu_float_memory,
        .setup = cpu_float_setup,
        .run = cpu_float_run,
        .teardown = cpu_float_teardown,
};
