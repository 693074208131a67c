/* cgroup_v1.c: the v1 layout: one hierarchy per controller, cpuacct beside cpu, the CFS
 * quota in two files, blkio's throttle counters, and cpuset.mems to fill in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runners/cgroup_layout.h"
#include "vmbench/proc.h"
#include "vmbench/util.h"

static const char *const v1_controllers[] = {"cpu", "cpuacct", "memory", "pids", "blkio", "cpuset"};

static void v1_offered(char *buf, size_t len)
{
	buf[0] = ' ';
	vmb_proc_v1_controllers(buf + 1, len - 2, ' ');
	strcat(buf, " ");
}

static int v1_limit(struct vmb_cgroup *c, const struct vmb_cgroup_limits *lim,
                    struct vmb_error *err)
{
	char buf[256];

	if (lim->memory_bytes) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)lim->memory_bytes);
		if (cg_set(c, "memory", "memory.limit_in_bytes", buf, err) < 0)
			return -1;
	}
	if (lim->cpus > 0) {
		snprintf(buf, sizeof(buf), "%ld", (long)(lim->cpus * 100000));
		if (cg_set(c, "cpu", "cpu.cfs_period_us", "100000", err) < 0 ||
		    cg_set(c, "cpu", "cpu.cfs_quota_us", buf, err) < 0)
			return -1;
	}
	if (lim->cpuset && cg_has_ctrl(c, "cpuset")) {
		char mems[64] = "0";
		cg_cpuset_string(lim->cpuset, buf, sizeof(buf));
		if (cg_set(c, "cpuset", "cpuset.cpus", buf, err) < 0)
			return -1;
		/* v1 refuses tasks until both cpus and mems are set: the root's */
		FILE *f = fopen("/sys/fs/cgroup/cpuset/cpuset.mems", "re");
		if (f) {
			if (!fgets(mems, sizeof(mems), f))
				snprintf(mems, sizeof(mems), "0");
			fclose(f);
		}
		mems[strcspn(mems, "\n")] = '\0';
		if (cg_set(c, "cpuset", "cpuset.mems", mems, err) < 0)
			return -1;
	}
	return 0;
}

static void v1_read(struct cgroup *f, struct cg_reading *r)
{
	vmb_autofree char *usage = cg_get(f, "cpuacct", "cpuacct.usage");
	vmb_autofree char *stat = cg_get(f, "cpuacct", "cpuacct.stat");
	vmb_autofree char *peak = cg_get(f, "memory", "memory.max_usage_in_bytes");
	vmb_autofree char *cur = cg_get(f, "memory", "memory.usage_in_bytes");
	vmb_autofree char *oom = cg_get(f, "memory", "memory.oom_control");
	vmb_autofree char *bytes = cg_get(f, "blkio", "blkio.throttle.io_service_bytes");
	vmb_autofree char *ios = cg_get(f, "blkio", "blkio.throttle.io_serviced");
	vmb_autofree char *pids = cg_get(f, "pids", "pids.current");
	vmb_autofree char *ppeak = cg_get(f, "pids", "pids.peak");
	long long user = 0, sys = 0, kills = 0;
	long hz = sysconf(_SC_CLK_TCK);

	cg_put(r, "cpu_usage_ns", usage, usage ? atoll(usage) : 0, "cpuacct.usage unreadable");
	/* cpuacct.stat counts USER_HZ ticks: coarse, but split user and system */
	bool split = stat && vmb_cgroup_field(stat, "user", &user) &&
	             vmb_cgroup_field(stat, "system", &sys);
	cg_put(r, "cpu_user_ns", split, user * (1000000000 / hz), "cpuacct.stat unreadable");
	cg_put(r, "cpu_system_ns", split, sys * (1000000000 / hz), "cpuacct.stat unreadable");
	cg_put(r, "memory_peak_bytes", peak, peak ? atoll(peak) : 0, "memory controller missing");
	cg_put(r, "memory_current_bytes", cur, cur ? atoll(cur) : 0, "memory controller missing");
	bool has_kills = oom && vmb_cgroup_field(oom, "oom_kill", &kills);
	cg_put(r, "oom_kills", has_kills, kills, "memory.oom_control has no oom_kill count");
	cg_put(r, "io_read_bytes", bytes, bytes ? vmb_cgroup_blkio_sum(bytes, "Read") : 0,
	       "blkio missing");
	cg_put(r, "io_write_bytes", bytes, bytes ? vmb_cgroup_blkio_sum(bytes, "Write") : 0,
	       "blkio missing");
	cg_put(r, "io_read_ops", ios, ios ? vmb_cgroup_blkio_sum(ios, "Read") : 0, "blkio missing");
	cg_put(r, "io_write_ops", ios, ios ? vmb_cgroup_blkio_sum(ios, "Write") : 0,
	       "blkio missing");
	cg_put(r, "pids_current", pids, pids ? atoll(pids) : 0, "pids controller missing");
	cg_put(r, "pids_peak", ppeak, ppeak ? atoll(ppeak) : 0,
	       "pids.peak not offered by this kernel");
}

const struct cg_layout vmb_cg_v1 = {
        .version = "v1",
        .controllers = v1_controllers,
        .ncontrollers = VMB_ARRAY_SIZE(v1_controllers),
        .offered = v1_offered,
        .limit = v1_limit,
        .read = v1_read,
};
