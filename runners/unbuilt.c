/* unbuilt.c: the registry entry for the VM runner until it lands, so
 * `vmbench list` and the results can say plainly that they are not built yet. */
#include <stdio.h>

#include "vmbench/runner.h"

static int vm_probe(char *why, size_t len)
{
	snprintf(why, len, "not built yet: the KVM VMM runner is issue #4");
	return -1;
}

/* Never called: the probe fails, so no instance is made. */
static int unbuilt_step(struct vmb_instance *inst, struct vmb_error *err)
{
	return vmb_error_set(err, VMB_ERR_FAIL, "%s runner is not built", inst->runner->name);
}

static void unbuilt_teardown(struct vmb_instance *inst)
{
}

const struct vmb_runner vmb_runner_vm = {
        .name = "vm",
        .summary = "the agent in a Linux guest booted by vmbench's own KVM VMM (no QEMU)",
        .probe = vm_probe,
        .prepare = unbuilt_step,
        .launch = unbuilt_step,
        .wait = unbuilt_step,
        .teardown = unbuilt_teardown,
};
