/* mem_latency.c: memory latency by pointer chasing: dependent loads around a random cycle of
 * cache lines (Sattolo's algorithm), over working sets doubling from `from` to `to`, first on
 * 4 KiB pages, then on transparent 2 MiB pages where the kernel grants them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "pages.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_FROM, P_TO, P_ACCESSES };

#define LINE     64u /* one node per cache line */
#define PAGE_4K  4096u
#define HUGE_2M  (2ull << 20) /* a PMD-sized transparent huge page */
#define UNROLL   8u           /* loads per turn of the chase loop */
#define HUGE_MIN 0.9          /* share of the region that must be huge pages */

struct chase {
	char *region;    /* 2 MiB aligned, len bytes: the nodes */
	size_t len;      /* `to` rounded up to 2 MiB */
	uint32_t *order; /* Sattolo's scratch: one slot per line of `to` */
	size_t order_len;
};

/* A uniform integer below bound (< 2^32): the high half of a 64x64 product,
 * whose bias (under 2^-32) does not matter for a shuffle, with no division. */
static inline uint64_t below(struct vmb_rng *r, uint64_t bound)
{
	return (uint64_t)(((unsigned __int128)vmb_rng_next(r) * bound) >> 64);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Faults in every page of [p, p + len) for writing: in one call where the
 * kernel can (5.14 on), else by a write to each 4 KiB page. */
static void touch_pages(char *p, size_t len)
{
	if (madvise(p, len, MADV_POPULATE_WRITE) == 0)
		return;
	for (size_t off = 0; off < len; off += PAGE_4K)
		p[off] = 0;
}

static void observe(struct vmb_workload_ctx *ctx, const char *key, json_t *v)
{
	if (!ctx->observations)
		ctx->observations = json_object();
	if (ctx->observations)
		json_object_set_new(ctx->observations, key, v);
	else
		json_decref(v);
}

static int mem_latency_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct chase *st = calloc(1, sizeof(*st));
	uint64_t to = ctx->param[P_TO];

	if (!st)
		return vmb_error_sys(err, ENOMEM, "mem-latency: state");
	ctx->state = st;
	st->len = (size_t)((to + HUGE_2M - 1) & ~(HUGE_2M - 1));
	st->region = vmb_map_2m_aligned(st->len);
	if (!st->region)
		return vmb_error_sys(err, errno, "mem-latency: mapping %zu MiB", st->len >> 20);
	/* 4 KiB pages first: the kernel must not back the region with huge ones */
	if (madvise(st->region, st->len, MADV_NOHUGEPAGE) < 0 && errno != EINVAL)
		return vmb_error_sys(err, errno, "mem-latency: madvise(MADV_NOHUGEPAGE)");
	touch_pages(st->region, st->len);
	st->order_len = (size_t)(to / LINE) * sizeof(uint32_t);
	st->order = mmap(NULL, st->order_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                 -1, 0);
	if (st->order == MAP_FAILED) {
		st->order = NULL;
		return vmb_error_sys(err, errno, "mem-latency: scratch of %zu KiB",
		                     st->order_len >> 10);
	}
	/* the shuffle's random swaps go faster without TLB misses; a hint only */
	madvise(st->order, st->order_len, MADV_HUGEPAGE);
	memset(st->order, 0, st->order_len);
	observe(ctx, "huge_kib_4k", json_integer(vmb_anon_huge_kib(st->region)));
	return 0;
}

static void mem_latency_teardown(struct vmb_workload_ctx *ctx)
{
	struct chase *st = ctx->state;

	if (!st)
		return;
	if (st->region)
		munmap(st->region, st->len);
	if (st->order)
		munmap(st->order, st->order_len);
	free(st);
	ctx->state = NULL;
}

/* Links the first n lines of the region into one random cycle (Sattolo's
 * algorithm), the same cycle for the same seed and n whatever the pages. */
static void build_chain(struct chase *st, uint64_t seed, size_t n)
{
	uint32_t *o = st->order;
	struct vmb_rng rng;

	vmb_rng_seed(&rng, seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL));
	for (size_t i = 0; i < n; i++)
		o[i] = (uint32_t)i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)below(&rng, i);
		uint32_t t = o[i];
		o[i] = o[j];
		o[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		*(char **)(st->region + i * LINE) = st->region + (size_t)o[i] * LINE;
}

/* Follows the chain from p for count loads (a multiple of UNROLL). */
static char *chase(char *p, uint64_t count)
{
	for (uint64_t k = 0; k < count; k += UNROLL) {
		p = *(char **)p;
		p = *(char **)p;
		p = *(char **)p;
		p = *(char **)p;
		p = *(char **)p;
		p = *(char **)p;
		p = *(char **)p;
		p = *(char **)p;
	}
	return p;
}

/* One sweep over the working sets; ns per access at the smallest and the
 * largest into *first and *last. Building each chain and its warm-up lap are
 * untimed: the clock, the counters and ops cover the timed loads alone. The
 * checksum takes the sweep with 4 KiB pages only (`sums`), so that a host that
 * grants no huge pages does the same checked work. */
static void sweep(struct vmb_workload_ctx *ctx, const char *curve, bool sums, double *first,
                  double *last)
{
	struct chase *st = ctx->state;
	uint64_t count = (ctx->param[P_ACCESSES] + UNROLL - 1) / UNROLL * UNROLL;

	for (uint64_t ws = ctx->param[P_FROM]; ws <= ctx->param[P_TO]; ws *= 2) {
		size_t n = (size_t)(ws / LINE);
		/* a warm-up lap fills caches and TLB: the whole cycle where the
		 * timed loads cover it, else as many loads as are timed */
		uint64_t warm = ((n < count ? n : count) + UNROLL - 1) / UNROLL * UNROLL;

		vmb_untimed_begin(ctx);
		build_chain(st, ctx->seed, n);
		char *p = chase(st->region, warm);
		vmb_untimed_end(ctx);
		uint64_t t0 = vmb_now_ns();
		p = chase(p, count);
		uint64_t t1 = vmb_now_ns();
		double ns = (double)(t1 - t0) / (double)count;

		vmb_curve_add(ctx, curve, "B", "ns", (double)ws, ns);
		if (ws == ctx->param[P_FROM])
			*first = ns;
		*last = ns;
		ctx->ops += (long long)count;
		if (!sums)
			continue;
		/* where the chase ended and the node after it (the end alone is the
		 * start when the count is whole laps): fixed by the seed, the set
		 * and the count */
		uint64_t end = (uint64_t)(p - st->region) / LINE;
		uint64_t after = (uint64_t)(*(char **)p - st->region) / LINE;
		ctx->checksum = (ctx->checksum * 0x100000001b3ULL ^ end) * 0x100000001b3ULL ^ after;
	}
}

/* Makes the region transparent huge pages; NULL, or why it could not
 * (written into why). */
static const char *go_huge(struct vmb_workload_ctx *ctx, char *why, size_t len)
{
	struct chase *st = ctx->state;
	char mode[32];
	long kib;

	vmb_thp_mode(mode, sizeof(mode));
	observe(ctx, "thp_enabled", json_string(mode));
	if (ctx->param[P_TO] < HUGE_2M) {
		snprintf(why, len, "working sets under 2 MiB fit no huge page");
		return why;
	}
	/* the 4 KiB pages go; the next touches fault in 2 MiB ones */
	if (madvise(st->region, st->len, MADV_DONTNEED) < 0 ||
	    madvise(st->region, st->len, MADV_HUGEPAGE) < 0) {
		snprintf(why, len, "madvise: %s (THP mode %s)", strerror(errno), mode);
		return why;
	}
	touch_pages(st->region, st->len);
	kib = vmb_anon_huge_kib(st->region);
	observe(ctx, "huge_kib", json_integer(kib));
	if (kib < 0) {
		snprintf(why, len, "AnonHugePages of the region unreadable in /proc/self/smaps");
		return why;
	}
	if ((double)kib * 1024 < HUGE_MIN * (double)st->len) {
		snprintf(why, len, "THP mode %s: %ld of %zu KiB granted as huge pages", mode, kib,
		         st->len >> 10);
		return why;
	}
	return NULL;
}

static int mem_latency_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	double first = 0, last = 0;
	char why[160];

	(void)err;
	ctx->ops_unit = "load";
	sweep(ctx, "ns_per_access_4k", true, &first, &last);
	vmb_figure_set(ctx, "latency_smallest_ns", first);
	vmb_figure_set(ctx, "latency_largest_ns", last);
	vmb_untimed_begin(ctx);
	const char *no = go_huge(ctx, why, sizeof(why));
	vmb_untimed_end(ctx);
	if (no) {
		observe(ctx, "huge", json_string(why));
		return 0;
	}
	observe(ctx, "huge", json_string("granted"));
	sweep(ctx, "ns_per_access_huge", false, &first, &last);
	vmb_figure_set(ctx, "latency_largest_huge_ns", last);
	return 0;
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int mem_latency_check(const uint64_t *param, const struct vmb_check_env *env,
                             struct vmb_error *err)
{
	(void)env;
	if (!pow2(param[P_FROM]) || !pow2(param[P_TO]))
		return vmb_error_set(
		        err, VMB_ERR_USAGE,
		        "mem-latency: from and to must be powers of two (4K, 64K, 1M...)");
	if (param[P_FROM] > param[P_TO])
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "mem-latency: from %llu bytes above to %llu bytes is a sweep "
		                     "with no points",
		                     (unsigned long long)param[P_FROM],
		                     (unsigned long long)param[P_TO]);
	return 0;
}

/* the region (`to` rounded up to 2 MiB) and the shuffle's 4 bytes per line */
static uint64_t mem_latency_memory(const uint64_t *param)
{
	uint64_t to = param[P_TO];

	return ((to + HUGE_2M - 1) & ~(HUGE_2M - 1)) + to / LINE * sizeof(uint32_t);
}

static const struct vmb_metric mem_latency_metrics[] = {
        VMB_FIGURE("latency_largest_ns", "ns", VMB_LOWER_IS_BETTER,
                   "ns per dependent load at the largest working set, 4 KiB pages"),
        VMB_FIGURE("latency_largest_huge_ns", "ns", VMB_LOWER_IS_BETTER,
                   "ns per dependent load at the largest working set, 2 MiB huge pages"),
        VMB_FIGURE("latency_smallest_ns", "ns", VMB_LOWER_IS_BETTER,
                   "ns per dependent load at the smallest working set (from: L1 at its default), 4 "
                   "KiB pages"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param mem_latency_params[] = {
        [P_FROM] = {"from", 16 << 10, 4 << 10, 64ULL << 30, false,
                    "smallest working set, bytes (a power of two)", .bytes = true},
        [P_TO] = {"to", 1 << 30, 4 << 10, 64ULL << 30, false,
                  "largest working set, bytes (a power of two; also the memory allocated)",
                  .bytes = true, .quick = 64 << 20},
        [P_ACCESSES] = {"accesses", 1 << 18, 64, 1ULL << 40, true,
                        "timed dependent loads per working set", .quick = 1 << 16},
};

const struct vmb_workload vmb_workload_mem_latency = {
        .name = "mem-latency",
        .suite = "memory",
        .summary = "ns per dependent load over a random cycle of cache lines, working sets "
                   "from..to, 4 KiB and 2 MiB pages",
        .params = mem_latency_params,
        .nparams = VMB_ARRAY_SIZE(mem_latency_params),
        .headline = "latency_largest_ns",
        .metrics = mem_latency_metrics,
        .memory_need = mem_latency_memory,
        .check = mem_latency_check,
        .setup = mem_latency_setup,
        .run = mem_latency_run,
        .teardown = mem_latency_teardown,
};
