/* summary.c: the table `vmbench run` prints at the end, from the results tree alone. */
#include <math.h>
#include <string.h>

#include "vmbench/report.h"

static double agg(json_t *c, const char *metric, const char *field)
{
	json_t *m = json_object_get(json_object_get(c, "aggregates"), metric);
	json_t *v = strcmp(field, "lo") == 0 ? json_array_get(json_object_get(m, "ci95_median"), 0)
	            : strcmp(field, "hi") == 0
	                    ? json_array_get(json_object_get(m, "ci95_median"), 1)
	                    : json_object_get(m, field);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static json_t *native_case(json_t *cases, const char *workload)
{
	size_t i;
	json_t *c;

	json_array_foreach(cases, i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "workload")), workload) == 0 &&
		    strcmp(json_string_value(json_object_get(c, "runner")), "native") == 0)
			return c;
	}
	return NULL;
}

void vmb_print_summary(FILE *f, json_t *root)
{
	json_t *cases = json_object_get(root, "cases"), *c;
	size_t i;

	if (json_is_true(json_object_get(
	            json_object_get(json_object_get(root, "host"), "virtualization"), "emulated")))
		fprintf(f,
		        "NOTE: this host is an emulator's guest (QEMU TCG): every figure below is "
		        "emulated,\nfunctional evidence only, not a performance measurement.\n");
	fprintf(f, "%-11s %-10s %-8s %29s %11s %13s %9s\n", "workload", "runner", "status",
	        "median time [95% CI] (s)", "ops/s", "launch>ready", "x native");
	json_array_foreach(cases, i, c)
	{
		const char *w = json_string_value(json_object_get(c, "workload"));
		const char *r = json_string_value(json_object_get(c, "runner"));
		const char *st = json_string_value(json_object_get(c, "status"));
		const char *why = json_string_value(json_object_get(c, "reason"));
		double med = agg(c, "workload_wall_ns", "median");

		if (!isfinite(med)) {
			fprintf(f, "%-11s %-10s %-8s %s\n", w, r, st, why ? why : "no samples");
			continue;
		}
		char ci[64], ratio[32] = "-";
		snprintf(ci, sizeof(ci), "%.4f [%.4f, %.4f]", med / 1e9,
		         agg(c, "workload_wall_ns", "lo") / 1e9,
		         agg(c, "workload_wall_ns", "hi") / 1e9);
		/* start-up cases compare launch-to-ready; the rest, workload time */
		const char *suite = json_string_value(json_object_get(c, "suite"));
		const char *basis = suite && strcmp(suite, "startup") == 0 ? "launch_to_ready_ns"
		                                                           : "workload_wall_ns";
		json_t *nat = native_case(cases, w);
		double nmed = nat ? agg(nat, basis, "median") : NAN;
		if (isfinite(nmed) && nmed > 0)
			snprintf(ratio, sizeof(ratio), "%.3f", agg(c, basis, "median") / nmed);
		char ops[32] = "-";
		double rate = agg(c, "ops_per_s", "median");
		if (isfinite(rate))
			snprintf(ops, sizeof(ops), "%.3g", rate);
		fprintf(f, "%-11s %-10s %-8s %29s %11s %10.2f ms %9s\n", w, r, st, ci, ops,
		        agg(c, "launch_to_ready_ns", "median") / 1e6, ratio);
		if (why)
			fprintf(f, "%-11s %-10s %-8s %s\n", "", "", "", why);
	}
}
