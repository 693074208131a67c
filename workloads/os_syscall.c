/* os_syscall.c: the cost of entering and leaving the kernel, syscall(SYS_getppid) timed in
 * batches of 64. */
#include <sys/syscall.h>
#include <unistd.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_CALLS };

/* Calls per timed batch: one call (~100 ns or less) is too short for the
 * clock, so each value in the distribution is the mean of a batch. */
#define BATCH 64

static int os_syscall_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	uint64_t calls = ctx->param[P_CALLS], done = 0, same = 0;
	struct vmb_hist *h = vmb_dist(ctx, "syscall_ns", "ns");
	/* getppid goes to the kernel every time: the C library keeps no copy of
	 * it, and syscall() bypasses any wrapper that might */
	long parent = syscall(SYS_getppid);

	if (!h)
		return vmb_error_set(err, VMB_ERR_FAIL, "syscall: no distribution");
	ctx->ops_unit = "syscall";
	while (done < calls) {
		uint64_t n = calls - done < BATCH ? calls - done : BATCH;
		uint64_t t0 = vmb_now_ns();
		for (uint64_t i = 0; i < n; i++)
			same += syscall(SYS_getppid) == parent;
		uint64_t dt = vmb_now_ns() - t0;
		vmb_hist_add(h, (dt + n / 2) / n);
		done += n;
		ctx->ops += (long long)n;
	}
	/* every answer was the parent seen first: the count, never the pid, so
	 * that launches agree */
	ctx->checksum = same;
	if (same != calls)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "syscall: getppid changed during the run (%llu of %llu calls "
		                     "agreed)",
		                     (unsigned long long)same, (unsigned long long)calls);
	return 0;
}

static const struct vmb_metric os_syscall_metrics[] = {
        VMB_DISTRIBUTION("syscall_ns", "ns",
                         "one getppid system call, each value the mean of a batch of 64 "
                         "calls"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param os_syscall_params[] = {
        [P_CALLS] = {"calls", 4000000, 1, 1ULL << 36, true,
                     "getppid system calls, timed in batches of 64", .quick = 400000},
};

const struct vmb_workload vmb_workload_os_syscall = {
        .name = "syscall",
        .suite = "os",
        .summary = "system call round trip: syscall(SYS_getppid), timed in batches of 64 (each "
                   "value a batch mean)",
        .params = os_syscall_params,
        .nparams = VMB_ARRAY_SIZE(os_syscall_params),
        .headline = "syscall_ns_p50",
        .metrics = os_syscall_metrics,
        .run = os_syscall_run,
};
