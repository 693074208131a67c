/* cpu_float.c: a floating-point kernel, dense double-precision matrix multiply. */
#include <errno.h>
#include <stdlib.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_ORDER, P_ROUNDS };

static int cpu_float_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	size_t n = ctx->param[P_ORDER];
	uint64_t rounds = ctx->param[P_ROUNDS];
	struct vmb_rng rng;
	vmb_autofree double *a = calloc(n * n, sizeof(double));
	vmb_autofree double *b = calloc(n * n, sizeof(double));
	vmb_autofree double *c = calloc(n * n, sizeof(double));

	if (!a || !b || !c)
		return vmb_error_sys(err, ENOMEM, "cpu-float: three %zux%zu matrices", n, n);
	ctx->ops_unit = "flop";
	vmb_rng_seed(&rng, ctx->seed);
	for (size_t i = 0; i < n * n; i++) {
		a[i] = (double)(vmb_rng_next(&rng) >> 11) * 0x1p-53 - 0.5;
		b[i] = (double)(vmb_rng_next(&rng) >> 11) * 0x1p-53 - 0.5;
	}
	double sum = 0;
	for (uint64_t r = 0; r < rounds; r++) {
		/* i-k-j order streams rows of b and c; the compiler vectorises the j loop. */
		for (size_t i = 0; i < n * n; i++)
			c[i] = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < n; k++) {
				double aik = a[i * n + k];
				for (size_t j = 0; j < n; j++)
					c[i * n + j] += aik * b[k * n + j];
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

static const struct vmb_param cpu_float_params[] = {
        [P_ORDER] = {"order", 192, 8, 4096, false, "matrix order n (n x n doubles)"},
        [P_ROUNDS] = {"rounds", 80, 1, 1ULL << 32, true, "multiplications performed"},
};

const struct vmb_workload vmb_workload_cpu_float = {
        .name = "cpu-float",
        .suite = "cpu",
        .summary = "dense double-precision matrix multiply (FPU and vector units, L1/L2)",
        .params = cpu_float_params,
        .nparams = VMB_ARRAY_SIZE(cpu_float_params),
        .run = cpu_float_run,
};
