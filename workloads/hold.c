/* hold.c: an instance of a density run: it says ready, then holds, idle or busy,
 * until the harness releases it (or `seconds` pass, so that none outlives a lost harness). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_SECONDS, P_LOAD, P_TOUCH };
enum { LOAD_IDLE, LOAD_CPU, LOAD_MEM };

/* Memory a "mem" load streams over when `touch` gives none. */
#define MEM_LOAD_BYTES (64u << 20)

struct hold {
	uint8_t *buf;
	size_t len;
};

static uint64_t buf_len(const uint64_t *param)
{
	if (param[P_LOAD] == LOAD_MEM && param[P_TOUCH] == 0)
		return MEM_LOAD_BYTES;
	return param[P_TOUCH];
}

static uint64_t hold_memory_need(const uint64_t *param)
{
	return buf_len(param) + (8u << 20);
}

/* The working set is written once here, untimed: what an instance holds is
 * then resident, and shows in its host-side memory. */
static int hold_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct hold *h = calloc(1, sizeof(*h));

	if (!h)
		return vmb_error_sys(err, ENOMEM, "hold");
	ctx->state = h;
	h->len = buf_len(ctx->param);
	if (h->len) {
		h->buf = malloc(h->len);
		if (!h->buf)
			return vmb_error_sys(err, ENOMEM, "hold: %zu bytes to touch", h->len);
		for (size_t i = 0; i < h->len; i += 4096)
			h->buf[i] = (uint8_t)(i >> 12 ^ ctx->seed);
	}
	return 0;
}

static int hold_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct hold *h = ctx->state;
	uint64_t end = vmb_now_ns() + ctx->param[P_SECONDS] * 1000000000ull;
	uint64_t acc = ctx->seed | 1;

	ctx->ops_unit = ctx->param[P_LOAD] == LOAD_IDLE ? "sleep" : "chunk";
	while (vmb_now_ns() < end) {
		switch (ctx->param[P_LOAD]) {
		case LOAD_IDLE:
			/* 50 ms naps: an idle instance costs the host a wake-up or
			 * so a tick, as an idle service would */
			nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
			break;
		case LOAD_CPU:
			for (unsigned i = 0; i < 1u << 20; i++) {
				acc ^= acc << 13;
				acc ^= acc >> 7;
				acc ^= acc << 17;
			}
			break;
		default:
			for (size_t i = 0; i < h->len; i += 64) {
				acc += h->buf[i];
				h->buf[i] = (uint8_t)acc;
			}
			ctx->bytes += (long long)h->len;
			break;
		}
		ctx->ops++;
	}
	ctx->checksum = acc;
	return 0;
}

static void hold_teardown(struct vmb_workload_ctx *ctx)
{
	struct hold *h = ctx->state;

	if (h)
		free(h->buf);
	free(h);
	ctx->state = NULL;
}

/* A density run's figures: bench/density.c writes them into each sample's
 * "density"; they are this workload's, so they join the registry with it. */

static const struct vmb_metric hold_metrics[] = {
        {"density_ready_p50_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: median of the instances' ask-to-ready times, all started together", NULL,
         "density.ready_p50_ns"},
        {"density_ready_p90_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: 90th percentile of the instances' ask-to-ready times", NULL,
         "density.ready_p90_ns"},
        {"density_ready_p99_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: 99th percentile of the instances' ask-to-ready times", NULL,
         "density.ready_p99_ns"},
        {"density_ready_max_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: the slowest instance's ask-to-ready time", NULL, "density.ready_max_ns"},
        {"density_all_ready_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: from the first start to the last instance ready", NULL, "density.all_ready_ns"},
        {"density_memory_kib", "KiB", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: host memory an instance costs with all running: its cgroup's charge "
         "(absent for a native process, which has none)",
         NULL, "density.memory.per_instance_kib"},
        {"density_pss_kib", "KiB", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: proportional set size of an instance's processes (shared pages split "
         "between their users)",
         NULL, "density.memory.pss_per_instance_kib"},
        {"density_runtime_private_kib", "KiB", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: the container runtime's own processes' private memory per instance", NULL,
         "density.memory.runtime_private_kib"},
        {"density_guest_resident_kib", "KiB", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: guest RAM resident on the host per VM (the VMM's smaps)", NULL,
         "density.memory.guest_resident_kib"},
        {"density_vmm_private_kib", "KiB", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: the VMM's own private memory per VM, guest RAM left out", NULL,
         "density.memory.vmm_private_kib"},
        {"density_monitor_private_kib", "KiB", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: vmbench's own monitor process per instance (private memory)", NULL,
         "density.memory.monitor_private_kib"},
        {"density_ksm_saved_kib", "KiB", VMB_HIGHER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: memory KSM merged away while the instances ran, per instance (where the "
         "host runs KSM and they offered it their memory)",
         NULL, "density.ksm.saved_per_instance_kib"},
        {"density_harness_share", "ratio", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "density: share of the start window vmbench's coordinator was on a CPU (0.5 or more: "
         "the harness limited the start)",
         NULL, "density.harness.coordinator_share"},
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param hold_params[] = {
        [P_SECONDS] = {"seconds", 600, 1, 86400, false,
                       "the longest it holds if never released (seconds); vmbench\n"
                       "raises it to outlast --hold-time and twice --timeout"},
        [P_LOAD] = {"load", LOAD_IDLE, LOAD_IDLE, LOAD_MEM, false,
                    "what it does while it holds: 0 idle (50 ms naps), 1 busy on a core,\n"
                    "2 busy streaming through memory (its `touch` bytes, else 64 MiB)"},
        [P_TOUCH] = {"touch", 0, 0, 1ull << 36, false,
                     "bytes it allocates and writes before holding (its working set)",
                     .bytes = true},
};

const struct vmb_workload vmb_workload_hold = {
        .name = "hold",
        .suite = "density",
        .summary = "one instance of a density run: ready, then held until all are ready; "
                   "start times and memory per instance against the count",
        .params = hold_params,
        .nparams = VMB_ARRAY_SIZE(hold_params),
        .headline = "density_ready_p50_ns",
        .metrics = hold_metrics,
        .memory_need = hold_memory_need,
        .setup = hold_setup,
        .run = hold_run,
        .teardown = hold_teardown,
};
