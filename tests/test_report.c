/* test_report.c: the summary table and the results tree's bookkeeping (not_measured, the
 * reference checksum) on small synthetic trees. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/report.h"
#include "vmbench/results.h"

/* A tree with `baseline` as config.baseline, the core's directions for the
 * figures used here, and no cases yet. */
static json_t *tree(const char *baseline)
{
	json_t *root = json_pack("{s:i, s:{s:s}, s:{}, s:{s:{s:s}, s:{s:s}, s:{s:s}}, s:[]}",
	                         "schema_version", VMB_SCHEMA_VERSION, "config", "baseline",
	                         baseline, "host", "metrics", "workload_wall_ns", "better", "lower",
	                         "launch_to_ready_ns", "better", "lower", "ops_per_s", "better",
	                         "higher", "cases");

	cr_assert_not_null(root);
	return root;
}

/* One summary statistic as vmb_case_aggregate writes it: a median and its
 * interval 5% either side. */
static json_t *figure(double median)
{
	return json_pack("{s:f, s:[f, f], s:i}", "median", median, "ci95_median", median * 0.95,
	                 median * 1.05, "n", 5);
}

/* Appends an ok case whose aggregates hold the given medians (NAN: absent)
 * and returns it (borrowed). */
static json_t *add_case(json_t *root, const char *workload, const char *runner,
                        const char *headline, double wall_ns, double ready_ns, double ops)
{
	json_t *aggs = json_object();
	json_t *c =
	        json_pack("{s:s, s:s, s:s, s:s, s:[], s:o}", "workload", workload, "runner", runner,
	                  "status", "ok", "headline", headline, "samples", "aggregates", aggs);

	if (isfinite(wall_ns))
		json_object_set_new(aggs, "workload_wall_ns", figure(wall_ns));
	if (isfinite(ready_ns))
		json_object_set_new(aggs, "launch_to_ready_ns", figure(ready_ns));
	if (isfinite(ops))
		json_object_set_new(aggs, "ops_per_s", figure(ops));
	json_array_append_new(json_object_get(root, "cases"), c);
	return c;
}

/* What vmb_print_summary writes for root (caller frees). */
static char *summary(json_t *root)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	vmb_print_summary(f, root);
	fclose(f);
	return text;
}

/* The table row of workload on runner (its first two columns), copied into
 * line; NULL when there is none. */
static char *row(const char *text, const char *workload, const char *runner, char *line, size_t len)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char w[64], r[64];
		if (n >= len)
			continue;
		memcpy(line, p, n);
		line[n] = '\0';
		if (sscanf(line, "%63s %63s", w, r) == 2 && strcmp(w, workload) == 0 &&
		    strcmp(r, runner) == 0)
			return line;
	}
	return NULL;
}

/* The last column of that row: the "x BASELINE" ratio, or "" without a row. */
static const char *ratio(const char *text, const char *workload, const char *runner)
{
	static char line[512];

	if (!row(text, workload, runner, line, sizeof(line)))
		return "";
	char *last = strrchr(line, ' ');
	return last ? last + 1 : line;
}

Test(summary, ratio_is_against_the_configured_baseline)
{
	json_t *root = tree("container");

	add_case(root, "cpu-int", "native", "workload_wall_ns", 1e9, 4e6, NAN);
	add_case(root, "cpu-int", "container", "workload_wall_ns", 2e9, 8e6, NAN);
	add_case(root, "cpu-int", "vm", "workload_wall_ns", 3e9, 9e7, NAN);
	add_case(root, "mem-stream", "vm", "workload_wall_ns", 5e9, 9e7, NAN);
	char *out = summary(root);

	cr_assert(strstr(out, "x container"), "header lacks the baseline's name:\n%s", out);
	cr_assert_null(strstr(out, "x native"), "a baseline other than config's:\n%s", out);
	/* the baseline against itself is no measurement: said, not computed */
	cr_assert_str_eq(ratio(out, "cpu-int", "container"), "(baseline)", "%s", out);
	cr_assert_str_eq(ratio(out, "cpu-int", "native"), "0.500", "%s", out);
	cr_assert_str_eq(ratio(out, "cpu-int", "vm"), "1.500", "%s", out);
	/* no container case of mem-stream: nothing to compare with */
	cr_assert_str_eq(ratio(out, "mem-stream", "vm"), "-", "%s", out);
	free(out);
	json_decref(root);
}

Test(summary, headline_decides_what_is_compared)
{
	json_t *root = tree("native");

	/* the container runs the workload faster but starts 3 times slower:
	 * a start-up case's headline is its launch-to-ready time */
	add_case(root, "noop", "native", "launch_to_ready_ns", 2e6, 4e6, NAN);
	add_case(root, "noop", "container", "launch_to_ready_ns", 1e6, 12e6, NAN);
	add_case(root, "cpu-int", "native", "workload_wall_ns", 2e9, 4e6, NAN);
	add_case(root, "cpu-int", "container", "workload_wall_ns", 1e9, 12e6, NAN);
	char *out = summary(root);

	cr_assert_str_eq(ratio(out, "noop", "container"), "3.000", "%s", out);
	cr_assert_str_eq(ratio(out, "cpu-int", "container"), "0.500", "%s", out);
	cr_assert_str_eq(ratio(out, "noop", "native"), "(baseline)", "%s", out);
	free(out);
	json_decref(root);
}

Test(summary, higher_is_better_figure_is_inverted)
{
	json_t *root = tree("native");

	/* the container does half the operations per second: it costs twice */
	add_case(root, "pipe", "native", "ops_per_s", 1e9, 4e6, 1000);
	add_case(root, "pipe", "container", "ops_per_s", 1e9, 4e6, 500);
	char *out = summary(root);

	cr_assert_str_eq(ratio(out, "pipe", "container"), "2.000", "%s", out);
	free(out);
	/* the direction is the tree's declaration, not the figure's name */
	json_object_set_new(json_object_get(json_object_get(root, "metrics"), "ops_per_s"),
	                    "better", json_string("lower"));
	out = summary(root);
	cr_assert_str_eq(ratio(out, "pipe", "container"), "0.500", "%s", out);
	free(out);
	json_decref(root);
}

Test(summary, skipped_and_failed_cases_print_their_reason)
{
	json_t *root = tree("native");

	add_case(root, "cpu-int", "native", "workload_wall_ns", 1e9, 4e6, NAN);
	json_array_append_new(json_object_get(root, "cases"),
	                      json_pack("{s:s, s:s, s:s, s:s, s:[]}", "workload", "cpu-int",
	                                "runner", "vm", "status", "skipped", "reason",
	                                "no /dev/kvm on this host", "samples"));
	json_array_append_new(json_object_get(root, "cases"),
	                      json_pack("{s:s, s:s, s:s, s:s, s:[]}", "workload", "cpu-int",
	                                "runner", "container", "status", "failed", "reason",
	                                "agent exited with status 3", "samples"));
	/* failed after some samples: its figures are shown, and why it failed */
	json_t *late = add_case(root, "mem-stream", "native", "workload_wall_ns", 1e9, 4e6, NAN);
	json_object_set_new(late, "status", json_string("failed"));
	json_object_set_new(late, "reason", json_string("checksum mismatch in sample 4"));
	char *out = summary(root), line[512];

	cr_assert_not_null(row(out, "cpu-int", "vm", line, sizeof(line)), "%s", out);
	cr_assert(strstr(line, "skipped") && strstr(line, "no /dev/kvm on this host"), "%s", line);
	cr_assert_not_null(row(out, "cpu-int", "container", line, sizeof(line)), "%s", out);
	cr_assert(strstr(line, "failed") && strstr(line, "agent exited with status 3"), "%s", line);
	cr_assert_not_null(row(out, "mem-stream", "native", line, sizeof(line)), "%s", out);
	cr_assert(strstr(line, "failed"), "%s", line);
	cr_assert(strstr(out, "checksum mismatch in sample 4"), "%s", out);
	free(out);
	json_decref(root);
}

Test(summary, emulated_banner_only_on_an_emulated_host)
{
	json_t *root = tree("native");
	char *out;

	add_case(root, "cpu-int", "native", "workload_wall_ns", 1e9, 4e6, NAN);
	out = summary(root);
	cr_assert_null(strstr(out, "emulat"), "no virtualization block, yet:\n%s", out);
	free(out);
	json_t *virt = json_pack("{s:s, s:b}", "hypervisor_signature", "KVMKVMKVM", "emulated", 0);
	json_object_set_new(json_object_get(root, "host"), "virtualization", virt);
	out = summary(root);
	cr_assert_null(strstr(out, "emulat"), "a KVM guest is not emulated, yet:\n%s", out);
	free(out);
	json_object_set_new(virt, "hypervisor_signature", json_string("TCGTCGTCGTCG"));
	json_object_set_new(virt, "emulated", json_true());
	out = summary(root);
	cr_assert(strstr(out, "emulated"), "no banner on an emulated host:\n%s", out);
	cr_assert_lt(strstr(out, "emulated"), strstr(out, "cpu-int"), "banner after the table");
	free(out);
	json_decref(root);
}

/* A sample of the shape the runners record. */
static json_t *sample(const char *status, const char *checksum, const char *cyc_unavailable)
{
	json_t *counters = json_pack("{s:{s:i}}", "sde:::vmbench::ops", "value", 1000);
	json_t *agent = json_pack("{s:i, s:o}", "wall_ns", 1000000, "counters", counters);

	if (checksum)
		json_object_set_new(agent, "checksum", json_string(checksum));
	if (cyc_unavailable)
		json_object_set_new(counters, "PAPI_TOT_CYC",
		                    json_pack("{s:s}", "unavailable", cyc_unavailable));
	else
		json_object_set_new(counters, "PAPI_TOT_CYC", json_pack("{s:i}", "value", 5000));
	return json_pack("{s:s, s:b, s:o, s:{s:i, s:i}}", "status", status, "warmup", 0, "agent",
	                 agent, "phases", "launch", 100, "agent_ready", 600);
}

static json_t *skipped(const char *workload, const char *runner, const char *reason)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:[]}", "workload", workload, "runner", runner,
	                 "status", "skipped", "reason", reason, "samples");
}

static json_t *measured(const char *workload, const char *runner, const char *status,
                        json_t *samples)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "workload", workload, "runner", runner, "status",
	                 status, "samples", samples);
}

/* The entry of not_measured whose "what" and "why" are these, or NULL. */
static json_t *entry(json_t *list, const char *what, const char *why)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "what")), what) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "why")), why) == 0)
			return e;
	}
	return NULL;
}

Test(not_measured, one_entry_per_runner_and_reason)
{
	json_t *cases = json_pack(
	        "[o, o, o, o, o]", skipped("cpu-int", "vm", "no /dev/kvm"),
	        skipped("mem-stream", "vm", "no /dev/kvm"),
	        skipped("noop", "vm", "guest kernel not found"),
	        skipped("cpu-int", "container", "no user namespaces"),
	        measured("cpu-int", "native", "ok", json_pack("[o]", sample("ok", "ab", NULL))));
	/* a failure is a result, not something this host cannot measure */
	json_t *failed = measured("mem-stream", "native", "failed",
	                          json_pack("[o]", sample("failed", NULL, NULL)));
	json_object_set_new(failed, "reason", json_string("agent exited with status 3"));
	json_array_append_new(cases, failed);
	json_t *nm = vmb_results_not_measured(cases);

	cr_assert_eq(json_array_size(nm), 3, "%s", json_dumps(nm, 0));
	json_t *kvm = entry(nm, "runner vm", "no /dev/kvm");
	cr_assert_not_null(kvm);
	json_t *expect = json_pack("[s, s]", "cpu-int", "mem-stream");
	cr_assert(json_equal(json_object_get(kvm, "workloads"), expect), "%s", json_dumps(kvm, 0));
	json_decref(expect);
	json_t *kernel = entry(nm, "runner vm", "guest kernel not found");
	cr_assert_not_null(kernel);
	cr_assert_eq(json_array_size(json_object_get(kernel, "workloads")), 1);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(kernel, "workloads"), 0)),
	                 "noop");
	cr_assert_not_null(entry(nm, "runner container", "no user namespaces"));
	json_decref(nm);
	json_decref(cases);
}

Test(not_measured, unavailable_counter_listed_once)
{
	json_t *cases = json_pack(
	        "[o, o, o]",
	        measured("cpu-int", "native", "ok",
	                 json_pack("[o, o]", sample("ok", "ab", "no PMU in this guest"),
	                           sample("ok", "ab", "no PMU in this guest"))),
	        measured("cpu-int", "container", "ok",
	                 json_pack("[o]", sample("ok", "ab", "no PMU in this guest"))),
	        measured("mem-stream", "native", "ok", json_pack("[o]", sample("ok", "cd", NULL))));
	json_t *nm = vmb_results_not_measured(cases);

	/* one for the cycles counter, none for the counter that had values, none
	 * for runners that ran */
	cr_assert_eq(json_array_size(nm), 1, "%s", json_dumps(nm, 0));
	cr_assert_not_null(entry(nm, "counter PAPI_TOT_CYC", "no PMU in this guest"), "%s",
	                   json_dumps(nm, 0));
	json_decref(nm);
	/* a run where every counter worked measured everything */
	json_decref(cases);
	cases = json_pack("[o]", measured("cpu-int", "native", "ok",
	                                  json_pack("[o]", sample("ok", "ab", NULL))));
	nm = vmb_results_not_measured(cases);
	cr_assert_eq(json_array_size(nm), 0, "%s", json_dumps(nm, 0));
	json_decref(nm);
	json_decref(cases);
}

Test(reference_checksum, first_ok_sample_on_any_runner)
{
	json_t *cases = json_pack(
	        "[o, o, o, o]",
	        /* a runner whose every sample failed (wrong checksum among them) */
	        measured("cpu-int", "vm", "failed",
	                 json_pack("[o, o]", sample("failed", "bad1", NULL),
	                           sample("failed", NULL, NULL))),
	        measured("mem-stream", "native", "ok", json_pack("[o]", sample("ok", "m1", NULL))),
	        measured("cpu-int", "container", "ok",
	                 json_pack("[o, o]", sample("failed", "bad2", NULL),
	                           sample("ok", "good", NULL))),
	        measured("cpu-int", "native", "ok", json_pack("[o]", sample("ok", "later", NULL))));
	const char *ref = vmb_results_reference_checksum(cases, "cpu-int");

	cr_assert_not_null(ref);
	cr_assert_str_eq(ref, "good");
	ref = vmb_results_reference_checksum(cases, "mem-stream");
	cr_assert_not_null(ref);
	cr_assert_str_eq(ref, "m1");
	json_decref(cases);
}

Test(reference_checksum, null_without_an_ok_sample)
{
	json_t *cases = json_pack("[o, o]", skipped("cpu-int", "vm", "no /dev/kvm"),
	                          measured("cpu-int", "native", "failed",
	                                   json_pack("[o]", sample("failed", "bad", NULL))));

	cr_assert_null(vmb_results_reference_checksum(cases, "cpu-int"));
	cr_assert_null(vmb_results_reference_checksum(cases, "mem-stream"));
	json_decref(cases);
}
