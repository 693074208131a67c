/* noop.c: a workload that does nothing, so a run measures launch-to-ready and teardown alone. */
#include "vmbench/workload.h"

static int noop_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	ctx->ops_unit = "none";
	ctx->checksum = ctx->seed;
	return 0;
}

const struct vmb_workload vmb_workload_noop = {
        .name = "noop",
        .suite = "startup",
        .summary = "does no work: the case measures start-up and teardown of the runner",
        .headline = "launch_to_ready_ns",
        .run = noop_run,
};
