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
	json_t *cpu = json_pack("{s:s}", "workload", "cpu-int");
	json_t *mem = json_pack("{s:s}", "workload", "mem-stream");
	const char *ref = vmb_results_reference_checksum(cases, cpu);

	cr_assert_not_null(ref);
	cr_assert_str_eq(ref, "good");
	ref = vmb_results_reference_checksum(cases, mem);
	cr_assert_not_null(ref);
	cr_assert_str_eq(ref, "m1");
	/* more copies of it (a density victim on every core) do other work */
	json_t *two = json_pack("{s:s, s:i}", "workload", "cpu-int", "threads", 2);
	cr_assert_null(vmb_results_reference_checksum(cases, two));
	json_object_set_new(json_array_get(cases, 3), "threads", json_integer(2));
	cr_assert_str_eq(vmb_results_reference_checksum(cases, two), "later");
	json_decref(two);
	json_decref(cpu);
	json_decref(mem);
	json_decref(cases);
}

Test(reference_checksum, null_without_an_ok_sample)
{
	json_t *cases = json_pack("[o, o]", skipped("cpu-int", "vm", "no /dev/kvm"),
	                          measured("cpu-int", "native", "failed",
	                                   json_pack("[o]", sample("failed", "bad", NULL))));

	json_t *cpu = json_pack("{s:s}", "workload", "cpu-int");
	json_t *mem = json_pack("{s:s}", "workload", "mem-stream");
	cr_assert_null(vmb_results_reference_checksum(cases, cpu));
	cr_assert_null(vmb_results_reference_checksum(cases, mem));
	json_decref(cpu);
	json_decref(mem);
	json_decref(cases);
}

/* Density sweeps and noisy neighbours (report/density.c, density_charts.c) on the
 * hand-made tree of data/density_fixture.h. */
#include <sys/stat.h>
#include <unistd.h>

#include "data/density_fixture.h"
#include "vmbench/util.h"

static void load(struct vmb_report *rep, json_t *root)
{
	struct vmb_error err = {0};
	char *path = "fixture.json";

	cr_assert_eq(vmb_report_load(rep, &root, &path, 1, &err), 0, "%s", err.msg);
}

static const struct vmb_report_table *table(const struct vmb_report *rep, const char *id)
{
	for (size_t i = 0; i < rep->ntables; i++)
		if (strcmp(rep->tables[i].id, id) == 0)
			return &rep->tables[i];
	return NULL;
}

/* The row whose first two cells are a and b (b NULL: any), or -1. */
static long find_row(const struct vmb_report_table *t, const char *a, const char *b)
{
	for (size_t r = 0; t && r < t->nrows; r++)
		if (strcmp(t->cells[r * t->ncols], a) == 0 &&
		    (!b || strcmp(t->cells[r * t->ncols + 1], b) == 0))
			return (long)r;
	return -1;
}

static const char *at(const struct vmb_report_table *t, long r, size_t c)
{
	cr_assert_geq(r, 0);
	cr_assert_lt(c, t->ncols);
	return t->cells[(size_t)r * t->ncols + c];
}

/* Whether cell (r, c) starts with want; says which cell and what it holds. */
#define cr_assert_cell(t, r, c, want)                                                              \
	cr_assert(strncmp(at(t, r, c), want, strlen(want)) == 0,                                   \
	          "%s row %ld col %zu (%s): \"%s\", want \"%s...\"", (t)->id, (long)(r),           \
	          (size_t)(c), (t)->head[c], at(t, r, c), want)

Test(density, labels_tell_cases_apart)
{
	char buf[64];
	json_t *plain = json_pack("{s:s}", "workload", "cpu-int");
	json_t *point = json_pack("{s:s, s:{s:i, s:i}}", "workload", "hold", "density", "instances",
	                          8, "rate_per_s", 0);
	json_t *paced = json_pack("{s:s, s:{s:i, s:i}}", "workload", "hold", "density", "instances",
	                          8, "rate_per_s", 50);
	json_t *alone =
	        json_pack("{s:s, s:{s:i}}", "workload", "cpu-int", "neighbours", "count", 0);
	json_t *busy = json_pack("{s:s, s:{s:i, s:s}}", "workload", "cpu-int", "neighbours",
	                         "count", 3, "load", "busy");

	cr_assert_str_eq(vmb_case_label(plain, buf, sizeof(buf)), "cpu-int");
	cr_assert_str_eq(vmb_case_label(point, buf, sizeof(buf)), "hold x8");
	cr_assert_str_eq(vmb_case_label(paced, buf, sizeof(buf)), "hold x8 @50/s");
	cr_assert_str_eq(vmb_case_label(alone, buf, sizeof(buf)), "cpu-int alone");
	cr_assert_str_eq(vmb_case_label(busy, buf, sizeof(buf)), "cpu-int +3 busy");
	cr_assert_str_eq(vmb_case_label(busy, buf, 6), "cpu-i", "truncated, not overrun");
	json_decref(plain);
	json_decref(point);
	json_decref(paced);
	json_decref(alone);
	json_decref(busy);
}

Test(density, table_has_every_point_its_knee_and_reasons)
{
	struct vmb_report rep;
	json_t *root = density_fixture();

	load(&rep, root);
	const struct vmb_report_table *t = table(&rep, "density");
	cr_assert_not_null(t, "no Density table");
	cr_assert_eq(t->nrows, 7, "3 container points, 3 vm points and vm's skipped N=16");
	/* container: the knee at 8 marked; ready times in ms, medians over reps */
	long r = find_row(t, "container", "hold x8 (knee)");
	cr_assert_geq(r, 0, "container's knee not marked");
	cr_assert_cell(t, r, 2, "250 [");  /* p50 with its interval */
	cr_assert_cell(t, r, 3, "300");    /* p90 */
	cr_assert_cell(t, r, 4, "375");    /* p99 */
	cr_assert_cell(t, r, 5, "400");    /* max */
	cr_assert_cell(t, r, 6, "500 [");  /* all ready */
	cr_assert_cell(t, r, 7, "2.25");   /* MiB per instance */
	cr_assert_cell(t, r, 8, "1.688");  /* PSS */
	cr_assert_cell(t, r, 10, "0.125"); /* the harness's monitor */
	cr_assert_cell(t, r, 11, "-");     /* no VM split on a container */
	cr_assert_cell(t, r, 12, "unavailable: no /sys/kernel/mm/ksm");
	cr_assert_cell(t, r, 13, "2%");
	cr_assert_cell(t, r, 14, "no");
	cr_assert_cell(t, r, 15, "ok");
	cr_assert_cell(t, find_row(t, "container", "hold x4"), 2, "120 [");
	cr_assert_cell(t, find_row(t, "container", "hold x1"), 7, "3");
	/* vm: no knee; its split and KSM; the harness a bottleneck in one rep */
	cr_assert_lt(find_row(t, "vm", "hold x8 (knee)"), 0, "vm has no knee");
	r = find_row(t, "vm", "hold x8");
	cr_assert_cell(t, r, 2, "400 [");
	cr_assert_cell(t, r, 11, "128 + 8 (no huge pages)");
	cr_assert_cell(t, r, 12, "32");
	cr_assert_cell(t, r, 14, "yes in 1 of 3 reps: coordinator busy 60% of the window");
	/* skipped: n/a with the reason, never a 0 */
	r = find_row(t, "vm", "hold x16");
	cr_assert_cell(t, r, 2, "n/a");
	cr_assert_cell(t, r, 7, "n/a");
	cr_assert_cell(t, r, 15, "skipped: 16 guests would need 2.3 GiB");
	/* the rows in series order, then by N */
	cr_assert_str_eq(at(t, 0, 1), "hold x1");
	cr_assert_str_eq(at(t, 2, 1), "hold x8 (knee)");
	cr_assert_str_eq(at(t, 6, 1), "hold x16");

	const struct vmb_report_table *sw = table(&rep, "density-sweeps");
	cr_assert_not_null(sw, "no sweeps table");
	r = find_row(sw, "container", "hold");
	cr_assert_str_eq(at(sw, r, 2), "1, 4, 8");
	cr_assert_str_eq(at(sw, r, 3), "start_doubled");
	cr_assert_str_eq(at(sw, r, 4), "8");
	r = find_row(sw, "vm", "hold");
	cr_assert_str_eq(at(sw, r, 3), "memory");
	cr_assert_str_eq(at(sw, r, 4), "none");
	cr_assert_cell(sw, r, 5, "16 guests");
	/* the Density table carries the density figures: no pile of them */
	cr_assert_null(table(&rep, "figures-density"));
	vmb_report_free(&rep);
	json_decref(root);
}

Test(density, neighbours_table_against_the_victim_alone)
{
	struct vmb_report rep;
	json_t *root = density_fixture();

	load(&rep, root);
	const struct vmb_report_table *t = table(&rep, "neighbours");
	cr_assert_not_null(t, "no Noisy neighbours table");
	cr_assert_eq(t->ncols, 8);
	cr_assert_str_eq(t->head[3], "alone");
	cr_assert_str_eq(t->head[4], "+3 idle");
	cr_assert_str_eq(t->head[6], "+3 busy");
	long r = find_row(t, "cpu-int", "container");
	cr_assert_cell(t, r, 2, "ops_per_s (ops/s)");
	cr_assert_cell(t, r, 3, "1000 [");
	cr_assert_cell(t, r, 4, "990 [");
	cr_assert_cell(t, r, 5, "1.010 [");
	cr_assert_cell(t, r, 6, "500 [");
	/* half the operations a second: twice the cost */
	cr_assert_cell(t, r, 7, "2.000 [");
	r = find_row(t, "cpu-int", "vm");
	cr_assert_cell(t, r, 6, "300 [");
	cr_assert_cell(t, r, 7, "3.000 [");
	vmb_report_free(&rep);

	/* one sample beside busy neighbours: no interval, the plain ratio of
	 * the medians, said so */
	json_t *c;
	size_t i;
	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		json_t *nb = json_object_get(c, "neighbours");
		if (strcmp(json_string_value(json_object_get(c, "runner")), "vm") == 0 &&
		    json_integer_value(json_object_get(nb, "count")) == 3 &&
		    strcmp(json_string_value(json_object_get(nb, "load")), "busy") == 0) {
			json_array_remove(json_object_get(c, "samples"), 0);
			json_array_remove(json_object_get(c, "samples"), 1);
			fx_aggregate(c);
		}
	}
	load(&rep, root);
	t = table(&rep, "neighbours");
	cr_assert_str_eq(at(t, find_row(t, "cpu-int", "vm"), 7), "3.000 (ratio of medians)");
	vmb_report_free(&rep);
	json_decref(root);
}

Test(density, suite_rows_apart_and_compared_point_for_point)
{
	struct vmb_report rep;
	json_t *root = density_fixture();

	load(&rep, root);
	const struct vmb_report_table *t = table(&rep, "suite-density");
	cr_assert_not_null(t);
	cr_assert_eq(t->nrows, 4);
	const char *want[] = {"hold x1", "hold x4", "hold x8", "hold x16"};
	for (size_t i = 0; i < 4; i++)
		cr_assert_str_eq(at(t, (long)i, 0), want[i]);
	/* vm at N=4 against the baseline's (container) N=4: 320 / 120 ms,
	 * not against its first case (N=1: 3.2) */
	cr_assert_str_eq(t->head[4], "vm x container");
	cr_assert_cell(t, 1, 4, "2.667 [");
	cr_assert_cell(t, 1, 2, "120 [");
	cr_assert_cell(t, 3, 2, "-"); /* no container case at N=16 */
	cr_assert_cell(t, 3, 3, "skipped");
	t = table(&rep, "suite-cpu");
	cr_assert_not_null(t);
	cr_assert_eq(t->nrows, 3);
	cr_assert_str_eq(at(t, 0, 0), "cpu-int alone");
	cr_assert_str_eq(at(t, 1, 0), "cpu-int +3 idle");
	cr_assert_str_eq(at(t, 2, 0), "cpu-int +3 busy");
	cr_assert_cell(t, 2, 3, "300 [");
	t = table(&rep, "unavailable");
	cr_assert_geq(find_row(t, "fixture", "hold x16 on vm"), 0);
	/* the CSV and JSON rows say which case they are */
	json_t *row;
	size_t i, eights = 0;
	json_array_foreach(rep.rows, i, row)
	{
		const char *label = json_string_value(json_object_get(row, "case"));
		cr_assert_not_null(label);
		if (strcmp(label, "hold x8") == 0) {
			eights++;
			cr_assert_eq(json_integer_value(json_object_get(row, "instances")), 8);
		}
		if (strcmp(label, "cpu-int +3 busy") == 0 &&
		    strcmp(json_string_value(json_object_get(row, "metric")), "ops_per_s") == 0 &&
		    strcmp(json_string_value(json_object_get(row, "runner")), "container") == 0)
			cr_assert_float_eq(json_real_value(json_object_get(row, "x_alone")), 2.0,
			                   1e-9);
	}
	cr_assert_gt(eights, 0);
	vmb_report_free(&rep);
	json_decref(root);
}

/* The numbers of each data line of block `index` of a .dat file (blocks
 * split by two blank lines, '#' lines skipped); how many lines in *n. */
static size_t dat_block(const char *path, size_t index, double v[][10], size_t cap)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	size_t block = 0, n = 0, blanks = 0;

	cr_assert_not_null(f, "%s missing", path);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '\n') {
			if (++blanks == 2)
				block++;
			continue;
		}
		blanks = 0;
		if (line[0] == '#' || block != index || n == cap)
			continue;
		char *p = line, *end;
		for (size_t k = 0; k < 10; k++, p = end) {
			v[n][k] = strtod(p, &end);
			if (end == p)
				v[n][k] = NAN;
		}
		n++;
	}
	fclose(f);
	return n;
}

static char *slurp_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;

	cr_assert_not_null(f, "%s missing", path);
	cr_assert_geq(getdelim(&text, &len, '\0', f), 0);
	fclose(f);
	return text;
}

Test(density, charts_plot_each_point_and_mark_the_knee)
{
	struct vmb_report rep;
	struct vmb_error err = {0};
	json_t *root = density_fixture();
	char dir[] = "/tmp/vmbench-density-XXXXXX", path[256];
	double v[8][10];

	cr_assert_not_null(mkdtemp(dir));
	setenv("PATH", "/nonexistent", 1); /* the scripts and data only */
	load(&rep, root);
	cr_assert_eq(vmb_report_charts(&rep, dir, &err), 0, "%s", err.msg);
	bool ready = false, memory = false;
	for (size_t i = 0; i < rep.ncharts; i++) {
		ready |= strcmp(rep.charts[i].name, "density-ready") == 0;
		memory |= strcmp(rep.charts[i].name, "density-memory") == 0;
	}
	cr_assert(ready && memory, "density charts not listed");
	cr_assert(vmb_rep_chart_of("density", "density-ready"));
	cr_assert(!vmb_rep_chart_of("suite-ready", "density-ready"));

	/* block 0 container, block 1 vm: N, p50 (lo, hi), p90, p99, max, all ready */
	snprintf(path, sizeof(path), "%s/charts/density-ready.dat", dir);
	static const double cont[][2] = {{1, 100}, {4, 120}, {8, 250}};
	cr_assert_eq(dat_block(path, 0, v, 8), 3);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_float_eq(v[i][0], cont[i][0], 1e-9);
		cr_assert_float_eq(v[i][1], cont[i][1], 1e-6, "container N=%g p50 %g", v[i][0],
		                   v[i][1]);
		cr_assert_leq(v[i][2], v[i][1]);
		cr_assert_geq(v[i][3], v[i][1]);
		cr_assert_float_eq(v[i][5], cont[i][1] * 1.5, 1e-6);
		cr_assert_float_eq(v[i][7], cont[i][1] * 2, 1e-6);
	}
	/* vm's skipped N=16 has no point */
	cr_assert_eq(dat_block(path, 1, v, 8), 3);
	cr_assert_float_eq(v[2][0], 8, 1e-9);
	cr_assert_float_eq(v[2][1], 400, 1e-6);
	snprintf(path, sizeof(path), "%s/charts/density-ready.gp", dir);
	char *gp = slurp_text(path);
	cr_assert(strstr(gp, "set logscale x 2"), "%s", gp);
	cr_assert(strstr(gp, "set arrow from 8, graph 0 to 8, graph 1"), "no knee line:\n%s", gp);
	cr_assert(strstr(gp, "knee: container, N=8"), "%s", gp);
	cr_assert_null(strstr(gp, "knee: vm"), "vm has no knee:\n%s", gp);
	cr_assert(strstr(gp, "title \"vm p99\""), "%s", gp);
	free(gp);

	/* N, per instance, PSS, guest resident, VMM private (MiB) */
	snprintf(path, sizeof(path), "%s/charts/density-memory.dat", dir);
	static const double mib[] = {3, 2.5, 2.25};
	cr_assert_eq(dat_block(path, 0, v, 8), 3);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_float_eq(v[i][1], mib[i], 1e-9);
		cr_assert_float_eq(v[i][2], mib[i] * 0.75, 1e-9);
		cr_assert(isnan(v[i][3]), "a container has no guest memory");
	}
	cr_assert_eq(dat_block(path, 1, v, 8), 3);
	cr_assert_float_eq(v[0][3], 128, 1e-9);
	cr_assert_float_eq(v[0][4], 8, 1e-9);
	snprintf(path, sizeof(path), "%s/charts/density-memory.gp", dir);
	gp = slurp_text(path);
	cr_assert(strstr(gp, "title \"vm guest resident\""), "%s", gp);
	cr_assert_null(strstr(gp, "container guest resident"), "%s", gp);
	free(gp);
	vmb_report_free(&rep);
	json_decref(root);
	vmb_rm_tree(dir, &err);
}

Test(density, a_run_without_density_has_none_of_it)
{
	struct vmb_report rep;
	struct vmb_error err = {0};
	json_t *root = tree("native");
	char dir[] = "/tmp/vmbench-density-XXXXXX", path[256];

	add_case(root, "cpu-int", "native", "workload_wall_ns", 1e9, 4e6, NAN);
	add_case(root, "cpu-int", "container", "workload_wall_ns", 2e9, 8e6, NAN);
	load(&rep, root);
	cr_assert_null(table(&rep, "density"));
	cr_assert_null(table(&rep, "density-sweeps"));
	cr_assert_null(table(&rep, "neighbours"));
	cr_assert_not_null(mkdtemp(dir));
	setenv("PATH", "/nonexistent", 1);
	cr_assert_eq(vmb_report_charts(&rep, dir, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < rep.ncharts; i++)
		cr_assert_neq(strncmp(rep.charts[i].name, "density-", 8), 0);
	snprintf(path, sizeof(path), "%s/charts/density-ready.dat", dir);
	cr_assert_neq(access(path, F_OK), 0);
	json_t *row = json_array_get(rep.rows, 0);
	cr_assert_str_eq(json_string_value(json_object_get(row, "case")), "cpu-int");
	cr_assert_null(json_object_get(row, "instances"));
	cr_assert_null(json_object_get(row, "x_alone"));
	vmb_report_free(&rep);
	json_decref(root);
	vmb_rm_tree(dir, &err);
}

/* The line of text that starts with `label` and names runner, or NULL. */
static const char *line_of(const char *text, const char *label, const char *runner, char *buf,
                           size_t len)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		size_t n = strcspn(p, "\n");
		if (n >= len)
			continue;
		memcpy(buf, p, n);
		buf[n] = '\0';
		char *after = buf + strlen(label);
		if (strncmp(buf, label, strlen(label)) == 0 && *after == ' ' &&
		    strncmp(after + strspn(after, " "), runner, strlen(runner)) == 0)
			return buf;
	}
	return NULL;
}

Test(density, summary_names_each_case_and_compares_like_with_like)
{
	json_t *root = density_fixture();
	char *out = summary(root), line[512];

	/* vm at N=4 against container at N=4 (320 / 120 ms) */
	cr_assert_not_null(line_of(out, "hold x4", "vm", line, sizeof(line)), "%s", out);
	cr_assert(strstr(line, "density_ready_p50_ns 320 ms") && strstr(line, "2.667 ["), "%s",
	          line);
	cr_assert_not_null(line_of(out, "hold x16", "vm", line, sizeof(line)), "%s", out);
	cr_assert(strstr(line, "skipped") && strstr(line, "16 guests"), "%s", line);
	/* beside 3 busy neighbours: vm against container beside as many */
	cr_assert_not_null(line_of(out, "cpu-int +3 busy", "vm", line, sizeof(line)), "%s", out);
	cr_assert(strstr(line, "1.667 ["), "%s", line);
	/* the first column as wide as the longest label: the runners line up */
	cr_assert(strstr(out, "cpu-int alone   container"), "%s", out);
	free(out);
	json_decref(root);
}
