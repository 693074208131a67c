/* page_fault.c: the cost of first-touch page faults on fresh anonymous memory: each round
 * maps a region, writes once per 4 KiB page and unmaps it, then does the same once per
 * transparent 2 MiB page where the kernel grants them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "pages.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_REGION, P_ROUNDS };

#define PAGE_4K 4096u
#define HUGE_2M (2ull << 20)
#define BATCH   64u /* 4 KiB faults timed together */

struct faults {
	uint64_t *huge_ns; /* one round's 2 MiB touches, kept until the pages are checked */
	/* what the rounds saw, for the observations */
	uint64_t pages_4k, minflt_4k;
	uint64_t touches_2m, minflt_2m, rounds_2m, rounds_not_huge;
	long last_huge_kib;
	const char *huge_why; /* set when the huge half could not run at all */
	char why[128];
};

static uint64_t minflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) == 0 ? (uint64_t)ru.ru_minflt : 0;
}

static int page_fault_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct faults *st = calloc(1, sizeof(*st));

	if (!st)
		return vmb_error_sys(err, ENOMEM, "page-fault: state");
	ctx->state = st;
	st->huge_ns = calloc((size_t)(ctx->param[P_REGION] / HUGE_2M), sizeof(uint64_t));
	if (!st->huge_ns)
		return vmb_error_sys(err, ENOMEM, "page-fault: times");
	st->last_huge_kib = -1;
	return 0;
}

static void page_fault_teardown(struct vmb_workload_ctx *ctx)
{
	struct faults *st = ctx->state;

	if (!st)
		return;
	free(st->huge_ns);
	free(st);
	ctx->state = NULL;
}

/* One round of 4 KiB faults: a fresh mapping, a write to each page, timed
 * BATCH pages at a time (batch_ns / BATCH into the distribution). */
static int round_4k(struct vmb_workload_ctx *ctx, struct vmb_hist *h, uint64_t r,
                    struct vmb_error *err)
{
	struct faults *st = ctx->state;
	size_t len = (size_t)ctx->param[P_REGION], pages = len / PAGE_4K;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t sum = 0;

	if (p == MAP_FAILED)
		return vmb_error_sys(err, errno, "page-fault: mmap of %zu MiB", len >> 20);
	if (madvise(p, len, MADV_NOHUGEPAGE) < 0 && errno != EINVAL) {
		munmap(p, len);
		return vmb_error_sys(err, errno, "page-fault: madvise(MADV_NOHUGEPAGE)");
	}
	uint64_t f0 = minflt();
	for (size_t first = 0; first < pages; first += BATCH) {
		size_t end = first + BATCH < pages ? first + BATCH : pages;
		uint64_t t0 = vmb_now_ns();
		for (size_t i = first; i < end; i++)
			p[i * PAGE_4K] = (char)(ctx->seed + r * 131 + i);
		uint64_t t1 = vmb_now_ns();
		vmb_hist_add(h, (t1 - t0) / (end - first));
		sum = sum * 31 + (unsigned char)p[(end - 1) * PAGE_4K];
	}
	st->minflt_4k += minflt() - f0;
	st->pages_4k += pages;
	ctx->ops += (long long)pages;
	ctx->bytes += (long long)len;
	ctx->checksum = ctx->checksum * 0x100000001b3ULL ^ sum;
	munmap(p, len);
	return 0;
}

/* One round of 2 MiB faults: a fresh 2 MiB aligned mapping asking for huge
 * pages, one write per 2 MiB, each timed; the times count only if every
 * page of the mapping turned out huge. */
static int round_2m(struct vmb_workload_ctx *ctx, struct vmb_hist *h, uint64_t r,
                    struct vmb_error *err)
{
	struct faults *st = ctx->state;
	size_t len = (size_t)ctx->param[P_REGION], n = len / HUGE_2M;
	char *p = vmb_map_2m_aligned(len);
	uint64_t sum = 0;

	if (!p)
		return vmb_error_sys(err, errno, "page-fault: mmap of %zu MiB", len >> 20);
	if (madvise(p, len, MADV_HUGEPAGE) < 0) {
		snprintf(st->why, sizeof(st->why), "madvise(MADV_HUGEPAGE): %s", strerror(errno));
		st->huge_why = st->why;
		munmap(p, len);
		return 0;
	}
	uint64_t f0 = minflt();
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = vmb_now_ns();
		p[i * HUGE_2M] = (char)(ctx->seed + r * 131 + i);
		uint64_t t1 = vmb_now_ns();
		st->huge_ns[i] = t1 - t0;
		/* the first byte as written, the last as the kernel zeroed it:
		 * read, so no touch can be elided (kept out of the checksum) */
		sum = sum * 31 + (unsigned char)p[i * HUGE_2M] +
		      (unsigned char)p[(i + 1) * HUGE_2M - 1];
	}
	uint64_t faults = minflt() - f0;
	long kib = vmb_anon_huge_kib(p);
	st->last_huge_kib = kib;
	if (kib >= 0 && (uint64_t)kib * 1024 == len) {
		for (size_t i = 0; i < n; i++)
			vmb_hist_add(h, st->huge_ns[i]);
		st->touches_2m += n;
		st->minflt_2m += faults;
		st->rounds_2m++;
		ctx->ops += (long long)n;
		ctx->bytes += (long long)len;
	} else {
		st->rounds_not_huge++;
	}
	/* the 2 MiB pass stays out of the checksum: a host without huge pages
	 * (or a kernel without THP, where this pass may not run at all) checks
	 * the same work */
	__asm__ volatile("" : : "r"(sum));
	munmap(p, len);
	return 0;
}

static int page_fault_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct faults *st = ctx->state;
	struct vmb_hist *h4 = vmb_dist(ctx, "fault_4k_ns", "ns");
	struct vmb_hist *h2 = vmb_dist(ctx, "fault_2m_ns", "ns");
	char mode[32];

	if (!h4 || !h2)
		return vmb_error_set(err, VMB_ERR_FAIL, "page-fault: no room for distributions");
	ctx->ops_unit = "fault";
	for (uint64_t r = 0; r < ctx->param[P_ROUNDS]; r++) {
		if (round_4k(ctx, h4, r, err) < 0)
			return -1;
		if (!st->huge_why && round_2m(ctx, h2, r, err) < 0)
			return -1;
	}
	vmb_thp_mode(mode, sizeof(mode));
	if (!st->huge_why && st->rounds_2m == 0) {
		snprintf(st->why, sizeof(st->why),
		         "THP mode %s: no round got all huge pages (last: %ld of %" PRIu64 " KiB)",
		         mode, st->last_huge_kib, ctx->param[P_REGION] >> 10);
		st->huge_why = st->why;
	}
	ctx->observations = json_pack(
	        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "thp_enabled", mode, "pages_4k",
	        (json_int_t)st->pages_4k, "minflt_4k", (json_int_t)st->minflt_4k, "touches_2m",
	        (json_int_t)st->touches_2m, "minflt_2m", (json_int_t)st->minflt_2m, "rounds_2m",
	        (json_int_t)st->rounds_2m, "rounds_not_huge", (json_int_t)st->rounds_not_huge,
	        "huge", st->huge_why ? st->huge_why : "granted");
	return 0;
}

static int page_fault_check(const uint64_t *param, const struct vmb_check_env *env,
                            struct vmb_error *err)
{
	(void)env;
	if (param[P_REGION] % HUGE_2M)
		return vmb_error_set(
		        err, VMB_ERR_USAGE,
		        "page-fault: region must be a multiple of 2M (2 MiB huge pages)");
	return 0;
}

static uint64_t page_fault_memory(const uint64_t *param)
{
	return param[P_REGION]; /* one mapping at a time */
}

static const struct vmb_metric page_fault_metrics[] = {
        VMB_DISTRIBUTION("fault_4k_ns", "ns",
                         "ns per first-touch fault of a 4 KiB page (batches of 64 timed)"),
        VMB_DISTRIBUTION("fault_2m_ns", "ns",
                         "ns per first-touch fault of a transparent 2 MiB page (each timed)"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param page_fault_params[] = {
        [P_REGION] = {"region", 64 << 20, 2 << 20, 16ULL << 30, false,
                      "bytes mapped, touched and unmapped per round (a multiple of 2M)",
                      .bytes = true, .quick = 16 << 20},
        [P_ROUNDS] = {"rounds", 12, 1, 1 << 20, true,
                      "rounds, each one 4 KiB pass and one 2 MiB pass", .quick = 4},
};

const struct vmb_workload vmb_workload_page_fault = {
        .name = "page-fault",
        .suite = "memory",
        .summary = "first-touch faults on fresh anonymous memory: ns per 4 KiB fault (batches "
                   "of 64) and per 2 MiB THP fault",
        .params = page_fault_params,
        .nparams = VMB_ARRAY_SIZE(page_fault_params),
        .headline = "fault_4k_ns_p50",
        .metrics = page_fault_metrics,
        .memory_need = page_fault_memory,
        .check = page_fault_check,
        .setup = page_fault_setup,
        .run = page_fault_run,
        .teardown = page_fault_teardown,
};
