/* mem_gups.c: the HPCC RandomAccess (GUPS) kernel: random 8-byte XOR updates over a table
 * far beyond the caches, indices from the HPCC shift-register stream; a copy per core. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "pages.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_TABLE, P_UPDATES, P_HUGE };

#define POLY    0x7ULL /* HPCC's primitive polynomial over GF(2) */
#define HUGE_2M (2ull << 20)
#define CHUNK   (1u << 16) /* updates between two additions to ctx->ops */
#define SAMPLES 4096u      /* table words folded into the checksum */

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

struct gups {
	uint64_t *table;
	size_t len; /* bytes */
};

/* The next value of the HPCC stream: a shift register over GF(2). */
static inline uint64_t lfsr(uint64_t x)
{
	return (x << 1) ^ ((int64_t)x < 0 ? POLY : 0);
}

/* A non-zero start of the stream from the seed (zero would stay zero). */
static uint64_t stream_start(uint64_t seed)
{
	struct vmb_rng rng;
	uint64_t x;

	vmb_rng_seed(&rng, seed);
	do
		x = vmb_rng_next(&rng);
	while (x == 0);
	return x;
}

static int mem_gups_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct gups *st = calloc(1, sizeof(*st));
	bool huge = ctx->param[P_HUGE] != 0;

	if (!st)
		return vmb_error_sys(err, ENOMEM, "mem-gups: state");
	ctx->state = st;
	st->len = (size_t)ctx->param[P_TABLE];
	st->table = vmb_map_2m_aligned(st->len);
	if (!st->table)
		return vmb_error_sys(err, errno, "mem-gups: table of %zu MiB", st->len >> 20);
	if (madvise(st->table, st->len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) < 0 &&
	    (huge || errno != EINVAL))
		return vmb_error_sys(err, errno, "mem-gups: madvise(%s)",
		                     huge ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE");
	/* one call faults the pages in where the kernel can; the loop below
	 * would anyway, more slowly */
	madvise(st->table, st->len, MADV_POPULATE_WRITE);
	size_t n = st->len / sizeof(uint64_t);
	for (size_t i = 0; i < n; i++)
		st->table[i] = i;
	long kib = vmb_anon_huge_kib(st->table);
	if (ctx->thread == 0)
		ctx->observations = json_pack("{s:s, s:I}", "pages", huge ? "2M asked" : "4K",
		                              "huge_kib", (json_int_t)kib);
	/* GUP/s with huge pages asked for but not given would be a 4 KiB figure
	 * under the huge pages' name: no figure rather than that one */
	if (huge && (double)kib * 1024 < 0.9 * (double)st->len)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "mem-gups: hugepages=1, but only %ld of %zu KiB of the table "
		                     "got transparent huge pages (see "
		                     "/sys/kernel/mm/transparent_hugepage/enabled)",
		                     kib, st->len >> 10);
	return 0;
}

static void mem_gups_teardown(struct vmb_workload_ctx *ctx)
{
	struct gups *st = ctx->state;

	if (!st)
		return;
	if (st->table)
		munmap(st->table, st->len);
	free(st);
	ctx->state = NULL;
}

static int mem_gups_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct gups *st = ctx->state;
	uint64_t *t = st->table;
	uint64_t mask = st->len / sizeof(uint64_t) - 1;
	uint64_t left = ctx->param[P_UPDATES];
	uint64_t x = stream_start(ctx->seed);

	(void)err;
	ctx->ops_unit = "update";
	while (left) {
		uint64_t m = left < CHUNK ? left : CHUNK;
		/* the updates are independent: the core keeps many misses in flight */
		for (uint64_t k = 0; k < m; k++) {
			x = lfsr(x);
			t[x & mask] ^= x;
		}
		left -= m;
		ctx->ops += (long long)m;
		ctx->bytes += (long long)(m * 2 * sizeof(uint64_t)); /* read and write */
	}
	/* words at positions fixed by the seed, and where the stream ended */
	struct vmb_rng rng;
	uint64_t sum = x;
	vmb_rng_seed(&rng, ctx->seed ^ 0x5a5a5a5a5a5a5a5aULL);
	for (unsigned i = 0; i < SAMPLES; i++)
		sum ^= t[vmb_rng_next(&rng) & mask] * (2 * i + 1);
	ctx->checksum = sum;
	return 0;
}

static int mem_gups_check(const uint64_t *param, const struct vmb_check_env *env,
                          struct vmb_error *err)
{
	uint64_t t = param[P_TABLE];

	(void)env;
	if (t & (t - 1))
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "mem-gups: table must be a power of two (64M, 256M, 1G...)");
	return 0;
}

static uint64_t mem_gups_memory(const uint64_t *param)
{
	return param[P_TABLE];
}

/* updates per nanosecond of the timed part, over every copy: giga-updates
 * per second (the registry asks it of this workload's samples only) */
static double m_gups(json_t *s)
{
	double ops = vmb_sample_num(s, "agent.ops"), ns = vmb_sample_num(s, "agent.wall_ns");

	return ops > 0 && ns > 0 ? ops / ns : NAN;
}

static const struct vmb_metric mem_gups_metrics[] = {
        {"gups", "GUP/s", VMB_HIGHER_IS_BETTER, VMB_AGG_MEDIAN,
         "random 8-byte read-modify-write updates of the table per second, in billions "
         "(HPCC RandomAccess), over every copy",
         m_gups, NULL},
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param mem_gups_params[] = {
        [P_TABLE] = {"table", 256 << 20, 64 << 10, 64ULL << 30, false,
                     "table size per copy, bytes (a power of two)", .bytes = true,
                     .quick = 64 << 20},
        [P_UPDATES] = {"updates", 1 << 26, 1, 1ULL << 40, true,
                       "random updates per copy (HPCC does 4 per table word; 2 by default)",
                       .quick = 1 << 22},
        [P_HUGE] = {"hugepages", 0, 0, 1, false,
                    "1: back the table with transparent 2 MiB pages; 0: 4 KiB pages"},
};

const struct vmb_workload vmb_workload_mem_gups = {
        .name = "mem-gups",
        .suite = "memory",
        .summary = "HPCC RandomAccess: random 8-byte XOR updates over a large table "
                   "(GUP/s; memory and TLB under random access; a copy per core)",
        .params = mem_gups_params,
        .nparams = VMB_ARRAY_SIZE(mem_gups_params),
        .parallel = true,
        .headline = "gups",
        .metrics = mem_gups_metrics,
        .memory_need = mem_gups_memory,
        .check = mem_gups_check,
        .setup = mem_gups_setup,
        .run = mem_gups_run,
        .teardown = mem_gups_teardown,
};
