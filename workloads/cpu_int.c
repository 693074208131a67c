/* cpu_int.c: an integer kernel, 64-bit hashing of generated keys (ALU, multiplier, shifts). */
#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_ITERATIONS };

/* Chunk between updates of the software-defined ops counter. */
#define CHUNK 65536u

/* A 64-bit finalizer of the murmur family: every output bit depends on every input bit. */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static int cpu_int_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	uint64_t n = ctx->param[P_ITERATIONS];
	uint64_t key = ctx->seed | 1, acc = 0;

	ctx->ops_unit = "hash";
	for (uint64_t done = 0; done < n;) {
		uint64_t step = n - done < CHUNK ? n - done : CHUNK;
		for (uint64_t i = 0; i < step; i++) {
			key ^= key << 13; /* xorshift64 key stream */
			key ^= key >> 7;
			key ^= key << 17;
			acc += mix64(key ^ acc) % 1000003u;
		}
		done += step;
		ctx->ops += (long long)step;
	}
	ctx->checksum = acc;
	return 0;
}

static const struct vmb_param cpu_int_params[] = {
        [P_ITERATIONS] = {"iterations", 30000000, 1, 1ULL << 40, true, "keys hashed"},
};

const struct vmb_workload vmb_workload_cpu_int = {
        .name = "cpu-int",
        .suite = "cpu",
        .summary = "integer hashing of a generated key stream (multiply, shift, divide)",
        .params = cpu_int_params,
        .nparams = VMB_ARRAY_SIZE(cpu_int_params),
        .run = cpu_int_run,
};
