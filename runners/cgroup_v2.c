/* cgroup_v2.c: the unified layout: one tree, controllers enabled from the root, cpu.max,
 * memory.max and memory.peak, io.stat. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runners/cgroup_layout.h"
#include "vmbench/proc.h"
#include "vmbench/util.h"

static const char *const v2_controllers[] = {"cpu", "memory", "pids", "io", "cpuset"};

static void v2_offered(char *buf, size_t len)
{
	buf[0] = ' ';
	vmb_proc_v2_controllers("/sys/fs/cgroup", buf + 1, len - 2, ' ');
	strcat(buf, " ");
}

static int v2_limit(struct vmb_cgroup *c, const struct vmb_cgroup_limits *lim,
                    struct vmb_error *err)
{
	char buf[256];

	if (lim->memory_bytes) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)lim->memory_bytes);
		if (cg_set(c, "memory", "memory.max", buf, err) < 0)
			return -1;
	}
	if (lim->cpus > 0) {
		snprintf(buf, sizeof(buf), "%ld 100000", (long)(lim->cpus * 100000));
		if (cg_set(c, "cpu", "cpu.max", buf, err) < 0)
			return -1;
	}
	if (lim->cpuset && cg_has_ctrl(c, "cpuset")) {
		cg_cpuset_string(lim->cpuset, buf, sizeof(buf));
		if (cg_set(c, "cpuset", "cpuset.cpus", buf, err) < 0)
			return -1;
	}
	return 0;
}

static void v2_read(struct cgroup *f, struct cg_reading *r)
{
	vmb_autofree char *cpu = cg_get(f, "cpu", "cpu.stat");
	vmb_autofree char *peak = cg_get(f, "memory", "memory.peak");
	vmb_autofree char *cur = cg_get(f, "memory", "memory.current");
	vmb_autofree char *ev = cg_get(f, "memory", "memory.events");
	vmb_autofree char *io = cg_get(f, "io", "io.stat");
	vmb_autofree char *pids = cg_get(f, "pids", "pids.current");
	vmb_autofree char *ppeak = cg_get(f, "pids", "pids.peak");
	long long usage = 0, user = 0, sys = 0, kills = 0;

	/* (each field is parsed before its value is used: argument order is unspecified) */
	bool has_usage = cpu && vmb_cgroup_field(cpu, "usage_usec", &usage);
	bool has_user = cpu && vmb_cgroup_field(cpu, "user_usec", &user);
	bool has_sys = cpu && vmb_cgroup_field(cpu, "system_usec", &sys);
	bool has_kills = ev && vmb_cgroup_field(ev, "oom_kill", &kills);
	cg_put(r, "cpu_usage_ns", has_usage, usage * 1000, "cpu.stat unreadable");
	cg_put(r, "cpu_user_ns", has_user, user * 1000, "cpu.stat unreadable");
	cg_put(r, "cpu_system_ns", has_sys, sys * 1000, "cpu.stat unreadable");
	cg_put(r, "memory_peak_bytes", peak, peak ? atoll(peak) : 0,
	       "memory.peak not offered by this kernel (needs 5.19)");
	cg_put(r, "memory_current_bytes", cur, cur ? atoll(cur) : 0, "memory controller missing");
	cg_put(r, "oom_kills", has_kills, kills, "memory.events unreadable");
	/* io.stat is empty until the instance does block I/O: that is a real 0 */
	cg_put(r, "io_read_bytes", io, io ? vmb_cgroup_io_sum(io, "rbytes") : 0,
	       "io controller missing");
	cg_put(r, "io_write_bytes", io, io ? vmb_cgroup_io_sum(io, "wbytes") : 0,
	       "io controller missing");
	cg_put(r, "io_read_ops", io, io ? vmb_cgroup_io_sum(io, "rios") : 0,
	       "io controller missing");
	cg_put(r, "io_write_ops", io, io ? vmb_cgroup_io_sum(io, "wios") : 0,
	       "io controller missing");
	cg_put(r, "pids_current", pids, pids ? atoll(pids) : 0, "pids controller missing");
	cg_put(r, "pids_peak", ppeak, ppeak ? atoll(ppeak) : 0,
	       "pids.peak not offered by this kernel");
}

const struct cg_layout vmb_cg_v2 = {
        .version = "v2",
        .controllers = v2_controllers,
        .ncontrollers = VMB_ARRAY_SIZE(v2_controllers),
        .offered = v2_offered,
        .limit = v2_limit,
        .read = v2_read,
};
