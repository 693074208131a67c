/* cgroup.h: one cgroup per instance, made, limited, read and removed through
 * libcgroup; cgroup v2 where the host runs it, v1 controllers where it does not. */
#pragma once

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmbench/error.h"

struct vmb_cgroup;

/* Limits applied to an instance's cgroup; zero fields mean "no limit". */
struct vmb_cgroup_limits {
	double cpus;             /* CPU bandwidth in cores (quota / period) */
	uint64_t memory_bytes;   /* hard memory limit, swap excluded */
	const cpu_set_t *cpuset; /* cores the instance may run on */
};

/* Creates cgroup `name` (a single path component) in every hierarchy with
 * the controllers vmbench reads, and applies lim. On success *out owns it;
 * call vmb_cgroup_destroy. 0 or -1 with err set (and nothing left behind). */
int vmb_cgroup_create(const char *name, const struct vmb_cgroup_limits *lim,
                      struct vmb_cgroup **out, struct vmb_error *err);

/* Moves pid into the cgroup; its future children follow. 0 or -1. */
int vmb_cgroup_attach(struct vmb_cgroup *cg, pid_t pid, struct vmb_error *err);

/* Reads the instance's counters, named the same for v1 and v2:
 * {"version", "cpu_usage_ns", "cpu_user_ns", "cpu_system_ns",
 *  "memory_peak_bytes", "memory_current_bytes", "oom_kills",
 *  "io_read_bytes", "io_write_bytes", "io_read_ops", "io_write_ops",
 *  "pids_current", "pids_peak", "limits": {file: value}, "memory_limit_bytes"
 *  (when --memory set one),
 *  "unavailable": {counter: reason}}. New reference. */
json_t *vmb_cgroup_read(struct vmb_cgroup *cg);

/* Kills whatever still runs in the cgroup, waits for it to empty, removes it
 * and checks that its directories are gone; frees cg. 0 or -1 with err set
 * (cg is freed either way). cg may be NULL. */
int vmb_cgroup_destroy(struct vmb_cgroup *cg, struct vmb_error *err);

/* Parsers of the counter files, shared by v1 and v2 (exposed for tests):
 * the number after `key` in a "key value" list (cpu.stat, memory.events,
 * memory.oom_control); the sum of "key=value" fields over every device line
 * of v2 io.stat; the sum of the `op` ("Read", "Write") lines of v1
 * blkio.throttle.* files. */
bool vmb_cgroup_field(const char *text, const char *key, long long *out);
long long vmb_cgroup_io_sum(const char *text, const char *key);
long long vmb_cgroup_blkio_sum(const char *text, const char *op);

/* Removes cgroups named "vmbench-<pid>-*" left by vmbench processes that no
 * longer run (a vmbench that was SIGKILLed cannot clean up after itself).
 * Returns how many were removed. */
int vmb_cgroup_sweep_stale(void);
