/* test_results.c: results.json written and read back, validation, and aggregation. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/results.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

static json_t *minimal(void)
{
	return json_pack("{s:i, s:{s:s}, s:[{s:s, s:s, s:s, s:[]}]}", "schema_version",
	                 VMB_SCHEMA_VERSION, "host", "kernel", "x", "cases", "workload", "cpu-int",
	                 "runner", "native", "status", "ok", "samples");
}

Test(results, save_then_load_round_trips)
{
	char dir[] = "/tmp/vmbench-test-XXXXXX", path[64];
	struct vmb_error err = {0};
	json_t *root = minimal();

	cr_assert_not_null(mkdtemp(dir));
	json_object_set_new(root, "pi", json_real(3.141592653589793));
	cr_assert_eq(vmb_results_save(root, dir, &err), 0, "%s", err.msg);
	snprintf(path, sizeof(path), "%s/results.json", dir);
	json_t *back = vmb_results_load(path, &err);
	cr_assert_not_null(back, "%s", err.msg);
	cr_assert(json_equal(root, back), "what was read differs from what was written");
	cr_assert_eq(json_real_value(json_object_get(back, "pi")), 3.141592653589793);
	/* a second save replaces the file and leaves no temporary behind */
	json_object_set_new(root, "extra", json_true());
	cr_assert_eq(vmb_results_save(root, dir, &err), 0);
	DIR *d = opendir(dir);
	struct dirent *e;
	int files = 0;
	while ((e = readdir(d)))
		files += e->d_name[0] != '.' || strcmp(e->d_name, ".results.json.tmp") == 0;
	closedir(d);
	cr_assert_eq(files, 1, "expected only results.json in %s", dir);
	json_decref(back);
	json_decref(root);
	vmb_rm_tree(dir, &err);
}

Test(results, save_into_missing_dir_fails_cleanly)
{
	struct vmb_error err = {0};
	json_t *root = minimal();

	cr_assert_eq(vmb_results_save(root, "/nonexistent/vmbench", &err), -1);
	cr_assert(strstr(err.msg, "/nonexistent/vmbench"), "%s", err.msg);
	json_decref(root);
}

Test(results, validate_rejects_broken_trees)
{
	struct vmb_error err = {0};
	json_t *r = minimal();

	cr_assert_eq(vmb_results_validate(r, &err), 0, "%s", err.msg);
	json_object_set_new(r, "schema_version", json_integer(VMB_SCHEMA_VERSION + 1));
	cr_assert_eq(vmb_results_validate(r, &err), -1);
	cr_assert(strstr(err.msg, "schema_version"));
	json_decref(r);
	r = minimal();
	json_object_del(json_array_get(json_object_get(r, "cases"), 0), "runner");
	cr_assert_eq(vmb_results_validate(r, &err), -1);
	json_decref(r);
}

Test(results, load_names_the_file_on_bad_json)
{
	char path[] = "/tmp/vmbench-bad-XXXXXX";
	struct vmb_error err = {0};
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "{\"schema_version\": 1,", 21), 21);
	close(fd);
	cr_assert_null(vmb_results_load(path, &err));
	cr_assert_eq(err.kind, VMB_ERR_USAGE);
	cr_assert(strstr(err.msg, path), "%s", err.msg);
	unlink(path);
}

static json_t *sample(double wall_ns, const char *status, int warmup)
{
	return json_pack("{s:s, s:b, s:{s:f, s:i, s:{s:{s:i}, s:{s:s}}}, s:{s:i, s:i}}", "status",
	                 status, "warmup", warmup, "agent", "wall_ns", wall_ns, "ops", 1000,
	                 "counters", "sde:::vmbench::ops", "value", 1000, "PAPI_TOT_CYC",
	                 "unavailable", "no PMU", "phases", "launch", 100, "agent_ready", 600);
}

Test(results, aggregate_uses_only_measured_ok_samples)
{
	json_t *c = json_pack("{s:s, s:[o, o, o, o, o]}", "workload", "w", "samples",
	                      sample(9e9, "ok", 1), sample(1e9, "ok", 0), sample(3e9, "ok", 0),
	                      sample(2e9, "ok", 0), sample(7e9, "failed", 0));

	struct vmb_metric_list core = {0};
	cr_assert_eq(vmb_metrics_add(&core, vmb_core_metrics, "core"), 0);
	vmb_case_aggregate(c, &core, 1);
	json_t *a = json_object_get(c, "aggregates");
	json_t *wall = json_object_get(a, "workload_wall_ns");
	cr_assert_eq(json_integer_value(json_object_get(wall, "n")), 3);
	cr_assert_float_eq(json_real_value(json_object_get(wall, "median")), 2e9, 1);
	cr_assert_float_eq(json_real_value(json_object_get(wall, "max")), 3e9, 1);
	cr_assert_str_eq(json_string_value(json_object_get(wall, "unit")), "ns");
	json_t *rate = json_object_get(a, "ops_per_s");
	cr_assert_float_eq(json_real_value(json_object_get(rate, "median")), 500, 1e-9);
	json_t *ready = json_object_get(a, "launch_to_ready_ns");
	cr_assert_float_eq(json_real_value(json_object_get(ready, "median")), 500, 1e-9);
	cr_assert_not_null(json_object_get(a, "counter:sde:::vmbench::ops"));
	cr_assert_null(json_object_get(a, "counter:PAPI_TOT_CYC"),
	               "an unavailable counter must not be aggregated as a number");
	json_decref(c);
}

static double m_runner_extra(json_t *s)
{
	return vmb_sample_num(s, "host.runner_extra_kib");
}

/* A runner's own figure, as a runner's folder would declare it. */
static const struct vmb_metric runner_metrics[] = {
        {"runner_extra_kib", "KiB", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "a test runner's own figure", m_runner_extra},
        {NULL, NULL, 0, 0, NULL, NULL},
};

Test(results, aggregate_uses_only_the_listed_metrics)
{
	json_t *c = json_pack("{s:s, s:[o, o]}", "workload", "w", "samples", sample(1e9, "ok", 0),
	                      sample(3e9, "ok", 0));
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(c, "samples"), i, s)
	{
		json_object_set_new(s, "host", json_pack("{s:i}", "runner_extra_kib", 64 + (int)i));
	}

	/* the core's list: the samples carry the runner's figure, but it is
	 * not declared, so it is not aggregated */
	struct vmb_metric_list core = {0};
	cr_assert_eq(vmb_metrics_add(&core, vmb_core_metrics, "core"), 0);
	vmb_case_aggregate(c, &core, 1);
	json_t *a = json_object_get(c, "aggregates");
	cr_assert_not_null(json_object_get(a, "workload_wall_ns"));
	cr_assert_null(json_object_get(a, "runner_extra_kib"));

	/* declared by the runner: aggregated, with its unit */
	struct vmb_metric_list all = core;
	cr_assert_eq(vmb_metrics_add(&all, runner_metrics, "test"), 0);
	vmb_case_aggregate(c, &all, 1);
	a = json_object_get(c, "aggregates");
	json_t *extra = json_object_get(a, "runner_extra_kib");
	cr_assert_not_null(extra);
	cr_assert_float_eq(json_real_value(json_object_get(extra, "median")), 64.5, 1e-9);
	cr_assert_str_eq(json_string_value(json_object_get(extra, "unit")), "KiB");

	/* the runner's list alone: none of the core's figures, only its own
	 * (and the counters, which are not metrics) */
	struct vmb_metric_list mine = {0};
	cr_assert_eq(vmb_metrics_add(&mine, runner_metrics, "test"), 0);
	vmb_case_aggregate(c, &mine, 1);
	a = json_object_get(c, "aggregates");
	cr_assert_not_null(json_object_get(a, "runner_extra_kib"));
	for (const struct vmb_metric *m = vmb_core_metrics; m->name; m++)
		cr_assert_null(json_object_get(a, m->name), "%s aggregated unlisted", m->name);
	cr_assert_not_null(json_object_get(a, "counter:sde:::vmbench::ops"));
	json_decref(c);
}

static double m_w_rate(json_t *s)
{
	return vmb_sample_num(s, "agent.ops") * 2;
}

/* Two workloads' own figures, one declared alike by both, one by one only. */
static const struct vmb_metric w_metrics[] = {
        {"doubled_ops", "ops", VMB_HIGHER_IS_BETTER, VMB_AGG_MEDIAN, "a workload's figure",
         m_w_rate},
        VMB_FIGURE("own_figure", "ns", VMB_LOWER_IS_BETTER, "a figure the workload sets"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};
static const struct vmb_metric v_metrics[] = {
        {"doubled_ops", "ops", VMB_HIGHER_IS_BETTER, VMB_AGG_MEDIAN, "a workload's figure",
         m_w_rate},
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

Test(results, a_workloads_figures_are_its_cases_only)
{
	struct vmb_metric_list l = {0};
	json_t *cw = json_pack("{s:s, s:[o]}", "workload", "w", "samples", sample(1e9, "ok", 0));
	json_t *cv = json_pack("{s:s, s:[o]}", "workload", "v", "samples", sample(1e9, "ok", 0));
	json_t *cx = json_pack("{s:s, s:[o]}", "workload", "x", "samples", sample(1e9, "ok", 0));
	json_t *c;
	size_t i;

	cr_assert_eq(vmb_metrics_add(&l, vmb_core_metrics, "core"), 0);
	cr_assert_eq(vmb_metrics_add_workload(&l, w_metrics, "w"), 0);
	cr_assert_eq(vmb_metrics_add_workload(&l, v_metrics, "v"), 0);
	json_t *cases[] = {cw, cv, cx};
	for (i = 0; i < 3; i++) {
		c = cases[i];
		json_object_set_new(
		        json_object_get(json_array_get(json_object_get(c, "samples"), 0), "agent"),
		        "figures", json_pack("{s:f}", "own_figure", 42.0));
		vmb_sample_figures(json_array_get(json_object_get(c, "samples"), 0), &l,
		                   json_string_value(json_object_get(c, "workload")));
		vmb_case_aggregate(c, &l, 1);
	}
	json_t *aw = json_object_get(cw, "aggregates"), *av = json_object_get(cv, "aggregates");
	json_t *ax = json_object_get(cx, "aggregates");
	cr_assert_not_null(json_object_get(aw, "doubled_ops"));
	cr_assert_not_null(json_object_get(aw, "own_figure"));
	cr_assert_not_null(json_object_get(av, "doubled_ops"), "declared alike by v too");
	cr_assert_null(json_object_get(av, "own_figure"), "w's figure leaked into v's case");
	cr_assert_null(json_object_get(ax, "doubled_ops"), "a figure leaked into x's case");
	cr_assert_not_null(json_object_get(ax, "workload_wall_ns"), "core figures apply to all");
	cr_assert_null(json_object_get(
	        json_object_get(json_array_get(json_object_get(cx, "samples"), 0), "figures"),
	        "doubled_ops"));
	/* a core figure cannot be taken over by a workload */
	static const struct vmb_metric clash[] = {
	        {"workload_wall_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN, "clash", m_w_rate},
	        {NULL, NULL, 0, 0, NULL, NULL, NULL},
	};
	cr_assert_eq(vmb_metrics_add_workload(&l, clash, "y"), -1);
	json_decref(cw);
	json_decref(cv);
	json_decref(cx);
}

/* IPC and per-operation figures come from the counters on the host; with
 * copies on several cores, per operation of the copy the counters followed. */
Test(results, counter_figures_are_per_operation_of_the_counted_copy)
{
	json_t *one = json_pack("{s:s, s:{s:I, s:I, s:{s:{s:I}, s:{s:I}}}}", "status", "ok",
	                        "agent", "wall_ns", (json_int_t)1000000, "ops", (json_int_t)100,
	                        "counters", "PAPI_TOT_CYC", "value", (json_int_t)4000,
	                        "PAPI_TOT_INS", "value", (json_int_t)6000);
	json_t *two = json_deep_copy(one);
	json_t *a2 = json_object_get(two, "agent");
	json_object_set_new(a2, "ops", json_integer(200));
	json_object_set_new(a2, "counters_ops", json_integer(100));
	struct vmb_metric_list l = {0};

	cr_assert_eq(vmb_metrics_add(&l, vmb_core_metrics, "core"), 0);
	vmb_sample_figures(one, &l, "w");
	vmb_sample_figures(two, &l, "w");
	json_t *f1 = json_object_get(one, "figures"), *f2 = json_object_get(two, "figures");
	cr_assert_float_eq(json_real_value(json_object_get(f1, "ipc")), 1.5, 1e-9);
	cr_assert_float_eq(json_real_value(json_object_get(f1, "cycles_per_op")), 40, 1e-9);
	cr_assert_float_eq(json_real_value(json_object_get(f2, "cycles_per_op")), 40, 1e-9,
	                   "divided by every copy's operations");
	/* no counter, no figure: never a zero */
	cr_assert_null(json_object_get(f1, "dtlb_misses_per_op"));
	cr_assert_null(json_object_get(f1, "llc_misses_per_op"));
	json_decref(one);
	json_decref(two);
}
