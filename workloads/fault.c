/* fault.c: a workload that misbehaves on purpose, so tests can prove that every runner
 * survives a crash, a hang or a failure of the agent, notices work that differs from one
 * launch to the next, and refuses records the agent has no business sending. Suite
 * "selftest", not in "all". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_MODE, P_MIB };
enum { MODE_CRASH, MODE_HANG, MODE_FAIL, MODE_ALLOC, MODE_UNSTABLE, MODE_FORGE, MODE_FORGE_INIT };

static int fault_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	ctx->ops_unit = "fault";
	switch (ctx->param[P_MODE]) {
	case MODE_CRASH:
		raise(SIGSEGV);
		break;
	case MODE_HANG:
		for (;;)
			pause();
	case MODE_FAIL:
		return vmb_error_set(err, VMB_ERR_FAIL, "fault: failing on purpose (mode=2)");
	case MODE_ALLOC: {
		/* Touches every page, so a memory limit below mib is hit for real. */
		size_t len = (size_t)ctx->param[P_MIB] << 20;
		volatile char *p = malloc(len);
		if (!p)
			return vmb_error_set(err, VMB_ERR_FAIL, "fault: malloc of %zu bytes", len);
		for (size_t i = 0; i < len; i += 4096)
			p[i] = (char)i;
		ctx->bytes = (long long)len;
		free((void *)p);
		return 0;
	}
	case MODE_UNSTABLE:
		/* the same parameters, different "work" every launch */
		ctx->checksum = vmb_now_ns() ^ (uint64_t)getpid();
		return 0;
	case MODE_FORGE:
		/* what a compromised guest would send: the VMM's own summary,
		 * claiming a clean power-off */
		dprintf(ctx->chan_fd,
		        "{\"type\":\"vmm\",\"stop\":\"guest_off\",\"stop_reason\":\"forged\","
		        "\"runner_private_kib\":1}\n");
		ctx->checksum = ctx->seed;
		return 0;
	case MODE_FORGE_INIT:
		/* what an agent would send to pass for its init: that it was
		 * killed, and that the runner costs next to nothing */
		dprintf(ctx->chan_fd,
		        "{\"type\":\"init\",\"agent_signal\":9,\"init_private_kib\":1}\n");
		ctx->checksum = ctx->seed;
		return 0;
	default:
		break;
	}
	return vmb_error_set(err, VMB_ERR_FAIL, "fault: mode %llu did not take effect",
	                     (unsigned long long)ctx->param[P_MODE]);
}

static const struct vmb_param fault_params[] = {
        [P_MODE] = {"mode", 0, 0, 6, false,
                    "0 SIGSEGV, 1 hang, 2 report failure, 3 allocate, 4 a checksum that "
                    "differs every launch, 5 send a forged VMM record, 6 send a forged "
                    "init record"},
        [P_MIB] = {"mib", 64, 1, 65536, false, "memory touched in mode 3, MiB"},
};

const struct vmb_workload vmb_workload_fault = {
        .name = "fault",
        .suite = "selftest",
        .summary = "misbehaves on purpose for tests: crash, hang, fail, allocate, vary, forge",
        .params = fault_params,
        .nparams = VMB_ARRAY_SIZE(fault_params),
        .run = fault_run,
};
