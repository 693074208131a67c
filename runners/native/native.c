/* native.c: the baseline runner, the agent as a plain host process pinned to the chosen cores. */
#include "runners/common.h"
#include "vmbench/runner.h"
#include "vmbench/util.h"

static int native_probe(char *why, size_t len)
{
	return 0;
}

static int native_prepare(struct vmb_instance *inst, struct vmb_error *err)
{
	return 0;
}

static int native_launch(struct vmb_instance *inst, struct vmb_error *err)
{
	return vmb_spawn_agent(inst, NULL, err);
}

static int native_wait(struct vmb_instance *inst, struct vmb_error *err)
{
	return vmb_wait_agent_process(inst, err);
}

static void native_teardown(struct vmb_instance *inst)
{
	vmb_reap_quietly(inst);
}

const struct vmb_runner vmb_runner_native = {
        .name = "native",
        .summary = "the agent as a plain host process on the chosen cores (the baseline)",
        .usage = "ignores --cpus and --memory: a plain process has no limits",
        .probe = native_probe,
        .offers = VMB_NEED_ALL,
        .prepare = native_prepare,
        .launch = native_launch,
        .wait = native_wait,
        .teardown = native_teardown,
};
