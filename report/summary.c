/* summary.c: the table `vmbench run` prints at the end, from the results tree alone: the
 * baseline runner, each case's headline figure and its direction all come from the tree. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/report.h"
#include "vmbench/results.h"
#include "vmbench/stats.h"

static double agg(json_t *c, const char *metric, const char *field)
{
	json_t *m = json_object_get(json_object_get(c, "aggregates"), metric);
	json_t *v = strcmp(field, "lo") == 0 ? json_array_get(json_object_get(m, "ci95_median"), 0)
	            : strcmp(field, "hi") == 0
	                    ? json_array_get(json_object_get(m, "ci95_median"), 1)
	                    : json_object_get(m, field);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The case labelled `label` (vmb_case_label: N instances, neighbours) on
 * `runner`, or NULL. */
static json_t *find_case(json_t *cases, const char *label, const char *runner)
{
	size_t i;
	json_t *c;
	char buf[256];

	json_array_foreach(cases, i, c)
	{
		const char *r = str(c, "runner");
		if (r && strcmp(r, runner) == 0 &&
		    strcmp(vmb_case_label(c, buf, sizeof(buf)), label) == 0)
			return c;
	}
	return NULL;
}

/* How many times the baseline's cost this case's headline is, above 1 worse
 * whichever way the figure improves: with its bootstrap interval from both
 * sides' samples where the tree has them, else from the declared statistic
 * alone. Writes it into buf ("-" without both). */
static void cost_ratio(json_t *root, json_t *c, json_t *base, const char *headline, char *buf,
                       size_t len)
{
	json_t *decl = json_object_get(json_object_get(root, "metrics"), headline);
	const char *better = str(decl, "better"), *stat = str(decl, "aggregate");
	bool higher = better && strcmp(better, "higher") == 0;
	size_t cap = json_array_size(json_object_get(c, "samples")) +
	             (base ? json_array_size(json_object_get(base, "samples")) : 0) + 1;
	double *xs = malloc(cap * sizeof(double)), *bs = malloc(cap * sizeof(double));
	struct vmb_ratio r;

	snprintf(buf, len, "-");
	if (base && xs && bs) {
		size_t nx = vmb_case_series(c, headline, xs, cap);
		size_t nb = vmb_case_series(base, headline, bs, cap);
		uint64_t seed = (uint64_t)json_integer_value(
		        json_object_get(json_object_get(root, "config"), "seed"));
		if (vmb_overhead(bs, nb, xs, nx, higher, seed, &r) == 0)
			snprintf(buf, len, "%.3f [%.3f, %.3f]", r.ratio, r.lo, r.hi);
		else {
			double mine = agg(c, headline, stat ? stat : "median");
			double theirs = agg(base, headline, stat ? stat : "median");
			if (mine > 0 && theirs > 0)
				snprintf(buf, len, "%.3f", higher ? theirs / mine : mine / theirs);
		}
	}
	free(xs);
	free(bs);
}

void vmb_print_summary(FILE *f, json_t *root)
{
	json_t *cases = json_object_get(root, "cases"), *c;
	const char *baseline = str(json_object_get(root, "config"), "baseline");
	char head[32];
	size_t i;

	if (json_is_true(json_object_get(
	            json_object_get(json_object_get(root, "host"), "virtualization"), "emulated")))
		fprintf(f,
		        "NOTE: this host is an emulator's guest (QEMU TCG): every figure below is "
		        "emulated,\nfunctional evidence only, not a performance measurement.\n");
	/* the first column as wide as the longest label ("cpu-int +3 busy") */
	int lw = 11;
	json_array_foreach(cases, i, c)
	{
		char w[256];
		int len = (int)strlen(vmb_case_label(c, w, sizeof(w)));
		lw = len > lw ? len : lw;
	}
	snprintf(head, sizeof(head), "x %.20s", baseline ? baseline : "baseline");
	fprintf(f, "%-*s %-10s %-8s %29s %11s %13s  %s [95%% CI]\n", lw, "workload", "runner",
	        "status", "median time [95% CI] (s)", "ops/s", "launch>ready", head);
	json_array_foreach(cases, i, c)
	{
		const char *r = str(c, "runner"), *st = str(c, "status");
		const char *why = str(c, "reason"), *headline = str(c, "headline");
		double med = agg(c, "workload_wall_ns", "median");
		char w[256];

		vmb_case_label(c, w, sizeof(w));
		char ci[64], ratio[64] = "-", ops[32] = "-";
		/* the case's own headline figure against the baseline runner's */
		json_t *base = baseline ? find_case(cases, w, baseline) : NULL;
		if (base == c)
			snprintf(ratio, sizeof(ratio), "1 (baseline)");
		else if (headline)
			cost_ratio(root, c, base, headline, ratio, sizeof(ratio));
		double hmed = headline ? agg(c, headline, "median") : NAN;
		if (!isfinite(med) && isfinite(hmed)) {
			/* no timed workload (N instances held until ready): its
			 * headline alone */
			const char *unit =
			        str(json_object_get(json_object_get(root, "metrics"), headline),
			            "unit");
			double shown = vmb_rep_display(hmed, unit, &unit);
			fprintf(f, "%-*s %-10s %-8s %s %.4g %s  %s\n", lw, w, r, st, headline,
			        shown, unit, ratio);
		}
		if (!isfinite(med)) {
			if (!isfinite(hmed) || why)
				fprintf(f, "%-*s %-10s %-8s %s\n", lw, isfinite(hmed) ? "" : w,
				        isfinite(hmed) ? "" : r, isfinite(hmed) ? "" : st,
				        why ? why : "no samples");
			continue;
		}
		if (isfinite(agg(c, "workload_wall_ns", "lo")))
			snprintf(ci, sizeof(ci), "%.4f [%.4f, %.4f]", med / 1e9,
			         agg(c, "workload_wall_ns", "lo") / 1e9,
			         agg(c, "workload_wall_ns", "hi") / 1e9);
		else /* one sample: no interval, rather than a made-up one */
			snprintf(ci, sizeof(ci), "%.4f [one sample]", med / 1e9);
		double rate = agg(c, "ops_per_s", "median");
		if (isfinite(rate))
			snprintf(ops, sizeof(ops), "%.3g", rate);
		fprintf(f, "%-*s %-10s %-8s %29s %11s %10.2f ms  %s\n", lw, w, r, st, ci, ops,
		        agg(c, "launch_to_ready_ns", "median") / 1e6, ratio);
		if (why)
			fprintf(f, "%-*s %-10s %-8s %s\n", lw, "", "", "", why);
		size_t k;
		json_t *wn;
		json_array_foreach(json_object_get(c, "warnings"), k, wn) fprintf(
		        f, "%-*s %-10s %-8s warning: %s\n", lw, "", "", "", json_string_value(wn));
	}
	if (baseline)
		fprintf(f,
		        "(x %s: each case's headline figure (its \"headline\" in results.json) as "
		        "a\n"
		        "multiple of the %s runner's; above 1 costs more)\n",
		        baseline, baseline);
}
