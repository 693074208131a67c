/* unshare.c: an outside reference for start-up: the same agent started by util-linux's
 * unshare(1) in the namespaces vmbench's container makes, and nothing else. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runners/common.h"
#include "vmbench/probe.h"
#include "vmbench/util.h"

static char *unshare_path(void)
{
	return vmb_which("unshare");
}

static int unshare_probe(char *why, size_t len)
{
	vmb_autofree char *path = unshare_path();
	struct vmb_probe ns;

	if (!path) {
		snprintf(why, len, "unshare(1) is not on PATH (Debian: util-linux)");
		return -1;
	}
	/* busybox has an unshare too, without the options used here */
	char cmd[PATH_MAX + 32], line[128] = "";
	snprintf(cmd, sizeof(cmd), "'%s' --version 2>&1", path);
	FILE *f = popen(cmd, "r");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		pclose(f);
	}
	if (!strstr(line, "util-linux")) {
		snprintf(why, len, "%s is not util-linux's unshare (%.60s)", path, line);
		return -1;
	}
	vmb_probe_userns(&ns);
	if (!ns.ok) {
		snprintf(why, len, "%s", ns.detail);
		return -1;
	}
	return 0;
}

static int unshare_prepare(struct vmb_instance *inst, struct vmb_error *err)
{
	return 0;
}

static int unshare_launch(struct vmb_instance *inst, struct vmb_error *err)
{
	vmb_autofree char *path = unshare_path();
	/* user (root mapped), PID (with a fork, so the agent is PID 1), mount
	 * (with a fresh /proc), UTS, IPC, network and cgroup namespaces */
	char *prefix[] = {path,     "--user",   "--map-root-user", "--pid",
	                  "--fork", "--mount",  "--uts",           "--ipc",
	                  "--net",  "--cgroup", "--mount-proc",    NULL};

	if (!path)
		return vmb_error_set(err, VMB_ERR_FAIL, "unshare(1) is not on PATH");
	return vmb_spawn_agent(inst, prefix, err);
}

static int unshare_wait(struct vmb_instance *inst, struct vmb_error *err)
{
	return vmb_wait_agent_process(inst, err);
}

static void unshare_teardown(struct vmb_instance *inst)
{
	vmb_reap_quietly(inst);
}

static const struct vmb_lack unshare_lacks[] = {
        {VMB_NEED_NETWORK, "its network namespace has loopback only"},
        {0, NULL},
};

const struct vmb_runner vmb_runner_unshare = {
        .name = "unshare",
        .summary = "reference: the agent under util-linux unshare(1), namespaces only",
        .usage = "ignores --cpus and --memory: unshare(1) makes namespaces, not cgroups",
        .reference_for = "launch_to_ready_ns",
        .offers = VMB_NEED_DISK | VMB_NEED_HUGEPAGES,
        .lacks = unshare_lacks,
        .probe = unshare_probe,
        .prepare = unshare_prepare,
        .launch = unshare_launch,
        .wait = unshare_wait,
        .teardown = unshare_teardown,
};
