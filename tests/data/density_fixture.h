/* density_fixture.h: a small hand-made results tree with a density sweep (N = 1, 4, 8 on
 * container and vm, vm's N = 16 skipped) and a noisy-neighbour victim (cpu-int alone,
 * beside 3 idle and 3 busy instances), for the report's and the gate's tests. */
#pragma once

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "vmbench/results.h"
#include "vmbench/stats.h"

/* The figures the fixture's samples carry (and the tree declares). */
static const struct {
	const char *name, *unit, *better;
} fx_metrics[] = {
        {"density_ready_p50_ns", "ns", "lower"},
        {"density_ready_p90_ns", "ns", "lower"},
        {"density_ready_p99_ns", "ns", "lower"},
        {"density_ready_max_ns", "ns", "lower"},
        {"density_all_ready_ns", "ns", "lower"},
        {"density_memory_kib", "KiB", "lower"},
        {"density_pss_kib", "KiB", "lower"},
        {"density_runtime_private_kib", "KiB", "lower"},
        {"density_monitor_private_kib", "KiB", "lower"},
        {"density_guest_resident_kib", "KiB", "lower"},
        {"density_vmm_private_kib", "KiB", "lower"},
        {"density_ksm_saved_kib", "KiB", "higher"},
        {"density_harness_share", "fraction", "lower"},
        {"ops_per_s", "ops/s", "higher"},
        {"workload_wall_ns", "ns", "lower"},
};

/* Recomputes c's aggregates from its samples' figures, as a run does: the
 * median and its 95% interval of every figure some counted sample has. */
static inline void fx_aggregate(json_t *c)
{
	json_t *aggs = json_object();
	double v[16];

	for (size_t m = 0; m < sizeof(fx_metrics) / sizeof(fx_metrics[0]); m++) {
		struct vmb_summary s;
		size_t n = vmb_case_series(c, fx_metrics[m].name, v, 16);
		if (n == 0 || vmb_summarize(v, n, 1, &s) < 0)
			continue;
		json_t *o = vmb_summary_json(&s);
		json_object_set_new(o, "unit", json_string(fx_metrics[m].unit));
		json_object_set_new(aggs, fx_metrics[m].name, o);
	}
	json_object_set_new(c, "aggregates", aggs);
}

/* One rep of a density point: ready p50 `p50_ms` (p90 1.2x, p99 1.5x, max
 * 1.6x, all ready 2x), `kib` per instance (PSS 3/4 of it); a VM's split
 * where vm; the harness a bottleneck where asked. Each figure both in the
 * density block (as recorded) and in "figures" (as aggregated). */
static inline json_t *fx_density_sample(int rep, long long n, double p50_ms, double kib, bool vm,
                                        bool bottleneck)
{
	double ns = p50_ms * 1e6;
	json_t *ready = json_array();
	for (long long i = 0; i < n; i++)
		json_array_append_new(ready, json_real(ns * (0.9 + 0.2 * (double)i / (double)n)));
	json_t *mem =
	        json_pack("{s:f, s:f, s:f, s:f}", "per_instance_kib", kib, "pss_per_instance_kib",
	                  kib * 0.75, "runtime_private_kib", 512.0, "monitor_private_kib", 128.0);
	if (vm) {
		json_object_set_new(mem, "guest_resident_kib", json_real(131072));
		json_object_set_new(mem, "vmm_private_kib", json_real(8192));
		json_object_set_new(mem, "huge_kib", json_real(0));
		json_object_set_new(mem, "hugepages", json_false());
	}
	json_t *ksm = vm ? json_pack("{s:i, s:f}", "run", 1, "saved_kib", 4096.0 * (double)n)
	                 : json_pack("{s:s}", "unavailable", "no /sys/kernel/mm/ksm on this host");
	json_t *harness = json_pack("{s:f, s:f, s:f, s:f, s:b, s:s}", "coordinator_cpu_ns", 2e6,
	                            "monitors_cpu_ns", 1e6, "window_ns", 1e8, "coordinator_share",
	                            bottleneck ? 0.6 : 0.02, "bottleneck", bottleneck, "why",
	                            bottleneck ? "coordinator busy 60% of the window" : "");
	json_t *d = json_pack("{s:I, s:I, s:i, s:o, s:f, s:f, s:f, s:f, s:f, s:o, s:o, s:o, s:[]}",
	                      "instances", (json_int_t)n, "ready", (json_int_t)n, "failed", 0,
	                      "ready_ns", ready, "ready_p50_ns", ns, "ready_p90_ns", ns * 1.2,
	                      "ready_p99_ns", ns * 1.5, "ready_max_ns", ns * 1.6, "all_ready_ns",
	                      ns * 2, "memory", mem, "ksm", ksm, "harness", harness, "instances");
	json_t *fig = json_object();
	json_object_set_new(fig, "density_ready_p50_ns", json_real(ns));
	json_object_set_new(fig, "density_ready_p90_ns", json_real(ns * 1.2));
	json_object_set_new(fig, "density_ready_p99_ns", json_real(ns * 1.5));
	json_object_set_new(fig, "density_ready_max_ns", json_real(ns * 1.6));
	json_object_set_new(fig, "density_all_ready_ns", json_real(ns * 2));
	json_object_set_new(fig, "density_memory_kib", json_real(kib));
	json_object_set_new(fig, "density_pss_kib", json_real(kib * 0.75));
	json_object_set_new(fig, "density_runtime_private_kib", json_real(512));
	json_object_set_new(fig, "density_monitor_private_kib", json_real(128));
	json_object_set_new(fig, "density_harness_share", json_real(bottleneck ? 0.6 : 0.02));
	if (vm) {
		json_object_set_new(fig, "density_guest_resident_kib", json_real(131072));
		json_object_set_new(fig, "density_vmm_private_kib", json_real(8192));
		json_object_set_new(fig, "density_ksm_saved_kib", json_real(4096.0 * (double)n));
	}
	return json_pack("{s:i, s:b, s:s, s:o, s:o}", "rep", rep, "warmup", 0, "status", "ok",
	                 "density", d, "figures", fig);
}

/* A density case: 3 reps at p50_ms x 0.99, 1, 1.01 (the median is p50_ms). */
static inline json_t *fx_density_case(const char *runner, long long n, double p50_ms, double kib,
                                      bool bottleneck_in_rep3)
{
	bool vm = strcmp(runner, "vm") == 0;
	json_t *samples = json_array();
	for (int r = 1; r <= 3; r++)
		json_array_append_new(samples,
		                      fx_density_sample(r, n, p50_ms * (0.99 + 0.01 * (r - 1)), kib,
		                                        vm, bottleneck_in_rep3 && r == 3));
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:{s:I}, s:s, s:{s:I, s:i}, s:o}", "workload",
	                      "hold", "suite", "density", "runner", runner, "headline",
	                      "density_ready_p50_ns", "params", "instances", (json_int_t)n,
	                      "status", "ok", "density", "instances", (json_int_t)n, "rate_per_s",
	                      0, "samples", samples);
	fx_aggregate(c);
	return c;
}

/* A victim case: cpu-int with k neighbours under load (NULL: alone), 3 reps
 * of ops/s around ops (the median). */
static inline json_t *fx_victim_case(const char *runner, int k, const char *load, double ops)
{
	json_t *samples = json_array();
	for (int r = 1; r <= 3; r++) {
		double x = ops * (0.99 + 0.01 * (r - 1));
		json_array_append_new(samples,
		                      json_pack("{s:i, s:b, s:s, s:{s:f, s:f}}", "rep", r, "warmup",
		                                0, "status", "ok", "figures", "ops_per_s", x,
		                                "workload_wall_ns", 1e9 * 1000 / x));
	}
	json_t *nb =
	        load ? json_pack("{s:i, s:s, s:s}", "count", k, "load", load, "workload", "hold")
	             : json_pack("{s:i}", "count", 0);
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:{}, s:s, s:o, s:o}", "workload", "cpu-int",
	                      "suite", "cpu", "runner", runner, "headline", "ops_per_s", "params",
	                      "status", "ok", "neighbours", nb, "samples", samples);
	fx_aggregate(c);
	return c;
}

/* The whole tree: container's ready p50 is 100, 120 and 250 ms at N = 1,
 * 4, 8 (its knee at 8: start time more than doubled); vm's 300, 320, 400 ms,
 * its N = 16 skipped for memory, no knee, and the harness a bottleneck in one
 * rep of N = 8. Container's memory per instance 3072, 2560, 2304 KiB; vm's
 * 150000 each. cpu-int makes 1000 ops/s alone on container, 990 beside 3
 * idle and 500 beside 3 busy neighbours (x alone 2.000); vm 900, 880, 300
 * (x alone 3.000). The baseline runner is container. */
static inline json_t *density_fixture(void)
{
	json_t *metrics = json_object(), *cases = json_array();
	static const long long ns[] = {1, 4, 8};
	static const double cont_ms[] = {100, 120, 250}, vm_ms[] = {300, 320, 400};
	static const double cont_kib[] = {3072, 2560, 2304};

	for (size_t m = 0; m < sizeof(fx_metrics) / sizeof(fx_metrics[0]); m++)
		json_object_set_new(
		        metrics, fx_metrics[m].name,
		        json_pack("{s:s, s:s, s:s, s:s}", "unit", fx_metrics[m].unit, "better",
		                  fx_metrics[m].better, "aggregate", "median", "owner",
		                  strncmp(fx_metrics[m].name, "density.", 8) == 0 ? "hold"
		                                                                  : "core"));
	for (size_t i = 0; i < 3; i++)
		json_array_append_new(
		        cases, fx_density_case("container", ns[i], cont_ms[i], cont_kib[i], 0));
	for (size_t i = 0; i < 3; i++)
		json_array_append_new(cases,
		                      fx_density_case("vm", ns[i], vm_ms[i], 150000, i == 2));
	json_array_append_new(
	        cases, json_pack("{s:s, s:s, s:s, s:s, s:{s:i}, s:s, s:s, s:{s:i, s:i}, s:[]}",
	                         "workload", "hold", "suite", "density", "runner", "vm", "headline",
	                         "density_ready_p50_ns", "params", "instances", 16, "status",
	                         "skipped", "reason", "16 guests would need 2.3 GiB, 1.5 GiB free",
	                         "density", "instances", 16, "rate_per_s", 0, "samples"));
	json_array_append_new(cases, fx_victim_case("container", 0, NULL, 1000));
	json_array_append_new(cases, fx_victim_case("container", 3, "idle", 990));
	json_array_append_new(cases, fx_victim_case("container", 3, "busy", 500));
	json_array_append_new(cases, fx_victim_case("vm", 0, NULL, 900));
	json_array_append_new(cases, fx_victim_case("vm", 3, "idle", 880));
	json_array_append_new(cases, fx_victim_case("vm", 3, "busy", 300));
	json_t *root = json_pack(
	        "{s:i, s:s, s:s, s:{s:s, s:s, s:{s:s}, s:{s:i, s:i}}, s:{s:s, s:i, s:i, s:f}, "
	        "s:o, s:o, s:{s:[{s:s, s:s, s:[i, i, i], s:s, s:i, s:s}, {s:s, s:s, s:[i, i, i], "
	        "s:s, s:n, s:s}]}}",
	        "schema_version", VMB_SCHEMA_VERSION, "run_id", "fixture", "status", "complete",
	        "host", "hostname", "fixture-host", "cpu_model", "a CPU", "kernel", "release",
	        "6.1", "topology", "cores", 2, "pus", 2, "config", "baseline", "container", "reps",
	        3, "seed", 1, "scale", 1.0, "metrics", metrics, "cases", cases, "density", "sweeps",
	        "workload", "hold", "runner", "container", "points", 1, 4, 8, "stopped_by",
	        "start_doubled", "knee_instances", 8, "why",
	        "median start at N=8 is 2.5x that at N=1", "workload", "hold", "runner", "vm",
	        "points", 1, 4, 8, "stopped_by", "memory", "knee_instances", "why",
	        "16 guests would need 2.3 GiB, 1.5 GiB free");
	return root;
}
