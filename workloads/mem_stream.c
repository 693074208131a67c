/* mem_stream.c: a memory-bandwidth kernel, the STREAM triad a = b + s*c over arrays
 * beyond the caches. Allocation and first touch are setup, outside the timed part. */
#include <errno.h>
#include <stdlib.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_MIB, P_PASSES };

struct stream {
	size_t n;
	double *a, *b, *c;
};

static int mem_stream_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct stream *st = calloc(1, sizeof(*st));

	if (!st)
		return vmb_error_sys(err, ENOMEM, "mem-stream: state");
	ctx->state = st;
	st->n = (size_t)ctx->param[P_MIB] * (1u << 20) / sizeof(double);
	st->a = malloc(st->n * sizeof(double));
	st->b = malloc(st->n * sizeof(double));
	st->c = malloc(st->n * sizeof(double));
	if (!st->a || !st->b || !st->c)
		return vmb_error_sys(err, ENOMEM, "mem-stream: three arrays of %zu MiB",
		                     (size_t)ctx->param[P_MIB]);
	/* every page touched here, so the timed passes take no first-touch faults */
	for (size_t i = 0; i < st->n; i++) {
		st->a[i] = 0.0;
		st->b[i] = (double)(i & 1023);
		st->c[i] = 1.0 / (double)((i & 511) + 1);
	}
	return 0;
}

static int mem_stream_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct stream *st = ctx->state;
	size_t n = st->n;
	double *a = st->a, *b = st->b, *c = st->c;
	double s = 1.0 + (double)(ctx->seed % 97) / 100.0;

	(void)err;
	ctx->ops_unit = "element";
	for (uint64_t p = 0; p < ctx->param[P_PASSES]; p++) {
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

static void mem_stream_teardown(struct vmb_workload_ctx *ctx)
{
	struct stream *st = ctx->state;

	if (!st)
		return;
	free(st->a);
	free(st->b);
	free(st->c);
	free(st);
	ctx->state = NULL;
}

static uint64_t mem_stream_memory(const uint64_t *param)
{
	return 3 * (param[P_MIB] << 20);
}

static const struct vmb_param mem_stream_params[] = {
        [P_MIB] = {"mib", 64, 1, 65536, false, "size of each of the three arrays, MiB"},
        [P_PASSES] = {"passes", 10, 1, 1ULL << 32, true, "triad passes over the arrays",
                      .quick = 4},
};

const struct vmb_workload vmb_workload_mem_stream = {
        .name = "mem-stream",
        .suite = "memory",
        .summary = "STREAM triad over three arrays (memory bandwidth; a copy per core)",
        .params = mem_stream_params,
        .nparams = VMB_ARRAY_SIZE(mem_stream_params),
        .parallel = true,
        .headline = "bytes_per_s",
        .memory_need = mem_stream_memory,
        .setup = mem_stream_setup,
        .run = mem_stream_run,
        .teardown = mem_stream_teardown,
};
