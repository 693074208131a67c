/* cpu_int.c: an integer kernel, 64-bit hashing of generated keys (ALU, multiplier, shifts). */
#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_ITERATIONS, P_SLOWDOWN };

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

/* Hashes n keys of the stream at *key into acc; returns the new acc. */
static inline uint64_t hash_keys(uint64_t *key, uint64_t acc, uint64_t n)
{
	uint64_t k = *key;

	for (uint64_t i = 0; i < n; i++) {
		k ^= k << 13; /* xorshift64 key stream */
		k ^= k >> 7;
		k ^= k << 17;
		acc += mix64(k ^ acc) % 1000003u;
	}
	*key = k;
	return acc;
}

static int cpu_int_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	uint64_t n = ctx->param[P_ITERATIONS], slow = ctx->param[P_SLOWDOWN];
	uint64_t key = ctx->seed | 1, acc = 0, shadow_key = ~ctx->seed, shadow = 0;

	ctx->ops_unit = "hash";
	for (uint64_t done = 0; done < n;) {
		uint64_t step = n - done < CHUNK ? n - done : CHUNK;
		acc = hash_keys(&key, acc, step);
		if (slow)
			shadow = hash_keys(&shadow_key, shadow, step * slow / 100);
		done += step;
		ctx->ops += (long long)step;
	}
	/* an empty asm that claims to read the extra hashing's result keeps the
	 * compiler from dropping that work, with no store and no new variable */
	__asm__ volatile("" : : "r"(shadow));
	ctx->checksum = acc;
	return 0;
}

static const struct vmb_param cpu_int_params[] = {
        [P_ITERATIONS] = {"iterations", 30000000, 1, 1ULL << 40, true, "keys hashed",
                          .quick = 10000000},
        /* a known slowdown, for testing a regression gate against the real thing */
        [P_SLOWDOWN] = {"slowdown_pct", 0, 0, 1000, false,
                        "test-only: hash this many percent more keys per op, outside the "
                        "checksum (0: off)"},
};

const struct vmb_workload vmb_workload_cpu_int = {
        .name = "cpu-int",
        .suite = "cpu",
        .summary = "integer hashing of a generated key stream (multiply, shift, divide)",
        .params = cpu_int_params,
        .nparams = VMB_ARRAY_SIZE(cpu_int_params),
        .parallel = true,
        .run = cpu_int_run,
};
