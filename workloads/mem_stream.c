/* mem_stream.c: a memory-bandwidth kernel, the STREAM triad a = b + s*c over arrays beyond the caches. */
#include <errno.h>
#include <stdlib.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_MIB, P_PASSES };

static int mem_stream_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	size_t n = (size_t)ctx->param[P_MIB] * (1u << 20) / sizeof(double);
	uint64_t passes = ctx->param[P_PASSES];
	vmb_autofree double *a = malloc(n * sizeof(double));
	vmb_autofree double *b = malloc(n * sizeof(double));
	vmb_autofree double *c = malloc(n * sizeof(double));
	double s = 1.0 + (double)(ctx->seed % 97) / 100.0;

	if (!a || !b || !c)
		return vmb_error_sys(err, ENOMEM, "mem-stream: three arrays of %zu MiB",
		                     (size_t)ctx->param[P_MIB]);
	ctx->ops_unit = "element";
	/* Touch every page before the timed part starts counting bytes. */
	for (size_t i = 0; i < n; i++) {
		a[i] = 0.0;
		b[i] = (double)(i & 1023);
		c[i] = 1.0 / (double)((i & 511) + 1);
	}
	for (uint64_t p = 0; p < passes; p++) {
		for (size_t i = 0; i < n; i++)
			a[i] = b[i] + s * c[i];
		/* 2 reads and 1 write of 8 bytes per element */
		ctx->bytes += (long long)(3 * n * sizeof(double));
		ctx->ops += (long long)n;
		b[p % n] = a[(p * 4099) % n]; /* a dependency between passes */
	}
	double sum = 0;
	for (size_t i = 0; i < n; i += 4096)
		sum += a[i];
	ctx->checksum = vmb_double_bits(sum);
	return 0;
}

static const struct vmb_param mem_stream_params[] = {
        [P_MIB] = {"mib", 64, 1, 65536, false, "size of each of the three arrays, MiB"},
        [P_PASSES] = {"passes", 10, 1, 1ULL << 32, true, "triad passes over the arrays"},
};

const struct vmb_workload vmb_workload_mem_stream = {
        .name = "mem-stream",
        .suite = "memory",
        .summary = "STREAM triad over three arrays (memory bandwidth, page faults at first touch)",
        .params = mem_stream_params,
        .nparams = VMB_ARRAY_SIZE(mem_stream_params),
        .run = mem_stream_run,
};
