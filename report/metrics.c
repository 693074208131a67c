/* metrics.c: the core of the metric registry: the figures every case has, whatever its
 * runner (runners add their own in their folders). */
#include <math.h>
#include <stdio.h>

#include "vmbench/metric.h"

static double m_workload_wall(json_t *s)
{
	return vmb_sample_num(s, "agent.wall_ns");
}

static double m_ops_rate(json_t *s)
{
	double ops = vmb_sample_num(s, "agent.ops"), ns = vmb_sample_num(s, "agent.wall_ns");

	return ops > 0 && ns > 0 ? ops / (ns / 1e9) : NAN;
}

static double m_bytes_rate(json_t *s)
{
	double bytes = vmb_sample_num(s, "agent.bytes"), ns = vmb_sample_num(s, "agent.wall_ns");

	return bytes > 0 && ns > 0 ? bytes / (ns / 1e9) : NAN;
}

static double m_launch_to_ready(json_t *s)
{
	return vmb_sample_phase_gap(s, "launch", "agent_ready");
}

static double m_launch_to_exit(json_t *s)
{
	return vmb_sample_phase_gap(s, "launch", "exited");
}

static double m_instance_total(json_t *s)
{
	return vmb_sample_num(s, "phases.teardown_done");
}

static double m_host_cpu(json_t *s)
{
	return vmb_sample_num(s, "host.rusage.user_ns") + vmb_sample_num(s, "host.rusage.sys_ns");
}

static double m_host_maxrss(json_t *s)
{
	return vmb_sample_num(s, "host.rusage.maxrss_kib");
}

static double m_runner_private(json_t *s)
{
	return vmb_sample_num(s, "host.runner_private_kib");
}

static double m_cgroup_peak(json_t *s)
{
	return vmb_sample_num(s, "host.cgroup.memory_peak_bytes") / 1024;
}

/* What the instance's cgroup held at its peak beyond the agent's own
 * anonymous memory: page tables, kernel objects, the runner's processes,
 * and whatever file pages this instance was first to bring in. */
static double m_cgroup_beyond_agent(json_t *s)
{
	return m_cgroup_peak(s) - vmb_sample_num(s, "agent.rss_anon_kib");
}

/* A PAPI counter's value in the sample, or NAN when it was unavailable. */
static double counter(json_t *s, const char *event)
{
	char path[96];

	snprintf(path, sizeof(path), "agent.counters.%s.value", event);
	return vmb_sample_num(s, path);
}

/* Per operation of the thread the counters followed: with copies on several
 * cores, the first copy's operations (agent.counters_ops), else all. */
static double per_op(json_t *s, const char *event)
{
	double ops = vmb_sample_num(s, "agent.counters_ops"), v = counter(s, event);

	if (isnan(ops)) /* one copy: the counters saw every operation */
		ops = vmb_sample_num(s, "agent.ops");
	return ops > 0 ? v / ops : NAN;
}

/* The first of two events the agent may have counted the same thing with. */
static double per_op_either(json_t *s, const char *event, const char *alt)
{
	double v = per_op(s, event);

	return isfinite(v) ? v : per_op(s, alt);
}

static double m_ipc(json_t *s)
{
	double cyc = counter(s, "PAPI_TOT_CYC");

	return cyc > 0 ? counter(s, "PAPI_TOT_INS") / cyc : NAN;
}

static double m_cycles_per_op(json_t *s)
{
	return per_op(s, "PAPI_TOT_CYC");
}

static double m_l1_per_op(json_t *s)
{
	return per_op(s, "PAPI_L1_DCM");
}

static double m_llc_per_op(json_t *s)
{
	return per_op_either(s, "PAPI_L3_TCM", "perf::LLC-LOAD-MISSES");
}

static double m_dtlb_per_op(json_t *s)
{
	return per_op_either(s, "PAPI_TLB_DM", "perf::DTLB-LOAD-MISSES");
}

static double m_branch_per_op(json_t *s)
{
	return per_op(s, "PAPI_BR_MSP");
}

const struct vmb_metric vmb_core_metrics[] = {
        {"workload_wall_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "the workload's timed part, measured by the agent", m_workload_wall},
        {"ops_per_s", "ops/s", VMB_HIGHER_IS_BETTER, VMB_AGG_MEDIAN,
         "the workload's operations per second of its timed part", m_ops_rate},
        {"bytes_per_s", "B/s", VMB_HIGHER_IS_BETTER, VMB_AGG_MEDIAN,
         "bytes the workload moved per second of its timed part", m_bytes_rate},
        {"launch_to_ready_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "launch until the agent said ready, on the host's clock", m_launch_to_ready},
        {"launch_to_exit_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "launch until the instance's process was reaped", m_launch_to_exit},
        {"instance_total_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "the whole instance, prepare to teardown done", m_instance_total},
        {"host_cpu_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "user plus system CPU of the instance's process tree, from wait4", m_host_cpu},
        {"host_maxrss_kib", "KiB", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "largest resident set in the instance's process tree, from wait4", m_host_maxrss},
        {"runner_private_kib", "KiB", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "the runner's own processes: the anonymous memory they alone hold, plus swap, "
         "guest RAM excluded (docs/RESULTS.md)",
         m_runner_private},
        {"cgroup_memory_peak_kib", "KiB", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "the instance's cgroup at its memory peak", m_cgroup_peak},
        {"cgroup_beyond_agent_kib", "KiB", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "the cgroup's peak beyond the agent's own anonymous memory", m_cgroup_beyond_agent},
        /* derived from the agent's PAPI counters; absent where they were */
        {"ipc", "instr/cycle", VMB_HIGHER_IS_BETTER, VMB_AGG_MEDIAN,
         "instructions per cycle of the timed part (PAPI)", m_ipc},
        {"cycles_per_op", "cycles/op", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "CPU cycles per workload operation (PAPI)", m_cycles_per_op},
        {"branch_misses_per_op", "misses/op", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "branch mispredictions per operation (PAPI)", m_branch_per_op},
        {"l1d_misses_per_op", "misses/op", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "L1 data cache misses per operation (PAPI)", m_l1_per_op},
        {"llc_misses_per_op", "misses/op", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "last-level cache misses per operation (PAPI)", m_llc_per_op},
        {"dtlb_misses_per_op", "misses/op", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "data TLB misses per operation (PAPI)", m_dtlb_per_op},
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};
