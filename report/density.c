/* density.c: density sweeps and noisy neighbours in the report: each case's label, its
 * figures with a fallback to the samples, and the Density and Noisy neighbours tables. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/metric.h"
#include "vmbench/report.h"
#include "vmbench/results.h"
#include "vmbench/stats.h"

long long vmb_rep_instances(json_t *c)
{
	json_t *n = json_object_get(json_object_get(c, "density"), "instances");

	return json_is_number(n) && json_number_value(n) > 0 ? (long long)json_number_value(n) : 0;
}

long long vmb_rep_neighbours(json_t *c)
{
	json_t *nb = json_object_get(c, "neighbours");
	json_t *k = json_object_get(nb, "count");

	if (!json_is_object(nb))
		return -1;
	return json_is_number(k) && json_number_value(k) > 0 ? (long long)json_number_value(k) : 0;
}

/* Appends to buf at *at, never past len. */
static void append(char *buf, size_t len, size_t *at, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	*at = n < 0 ? len : *at + (size_t)n;
}

const char *vmb_case_label(json_t *c, char *buf, size_t len)
{
	const char *w = vmb_rep_str(c, "workload");
	const char *load = vmb_rep_str(json_object_get(c, "neighbours"), "load");
	double rate =
	        json_number_value(json_object_get(json_object_get(c, "density"), "rate_per_s"));
	long long n = vmb_rep_instances(c), k = vmb_rep_neighbours(c);
	size_t at = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	append(buf, len, &at, "%s", w ? w : "?");
	if (n > 0)
		append(buf, len, &at, " x%lld", n);
	if (n > 0 && rate > 0) /* 0: all started together */
		append(buf, len, &at, " @%g/s", rate);
	if (k == 0)
		append(buf, len, &at, " alone");
	else if (k > 0)
		append(buf, len, &at, " +%lld%s%s", k, load ? " " : "", load ? load : "");
	return buf;
}

static bool counted(json_t *smp)
{
	const char *st = vmb_rep_str(smp, "status");

	return !json_is_true(json_object_get(smp, "warmup")) && st && strcmp(st, "ok") == 0;
}

/* A figure of one sample: its "figures" entry, else the figure's dotted path
 * in the sample (density_memory_kib), else NAN. */
static double sample_figure(json_t *smp, const char *metric)
{
	json_t *v = json_object_get(json_object_get(smp, "figures"), metric);

	return json_is_number(v) ? json_number_value(v) : vmb_sample_num(smp, metric);
}

double vmb_rep_case_figure(json_t *c, const char *metric, double *lo, double *hi)
{
	json_t *a = json_object_get(json_object_get(c, "aggregates"), metric);
	json_t *ci = json_object_get(a, "ci95_median"), *smp;
	size_t i, n = 0;

	*lo = *hi = NAN;
	if (json_is_number(json_object_get(a, "median"))) {
		if (json_is_number(json_array_get(ci, 0)) &&
		    json_is_number(json_array_get(ci, 1))) {
			*lo = json_number_value(json_array_get(ci, 0));
			*hi = json_number_value(json_array_get(ci, 1));
		}
		return json_number_value(json_object_get(a, "median"));
	}
	double *v = malloc((json_array_size(json_object_get(c, "samples")) + 1) * sizeof(double));
	if (!v)
		return NAN;
	json_array_foreach(json_object_get(c, "samples"), i, smp)
	{
		double x = counted(smp) ? sample_figure(smp, metric) : NAN;
		if (isfinite(x))
			v[n++] = x;
	}
	double med = vmb_median(v, n);
	free(v);
	return med;
}

/* The sweep of root's top-level "density" for workload on runner, or NULL. */
static json_t *sweep_of(json_t *root, const char *workload, const char *runner)
{
	json_t *sw;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(root, "density"), "sweeps"), i, sw)
	{
		const char *w = vmb_rep_str(sw, "workload"), *r = vmb_rep_str(sw, "runner");
		if (w && r && workload && strcmp(w, workload) == 0 && strcmp(r, runner) == 0)
			return sw;
	}
	return NULL;
}

long long vmb_rep_knee(json_t *root, const char *workload, const char *runner)
{
	json_t *k = json_object_get(sweep_of(root, workload, runner), "knee_instances");

	return json_is_number(k) ? (long long)json_number_value(k) : 0;
}

/* The victim of workload on runner alone: its case with no neighbours
 * ("count" 0), else its plain case (no neighbours, no density), else NULL. */
static json_t *alone_case(json_t *root, const char *runner, const char *workload)
{
	json_t *c, *plain = NULL;
	size_t i;

	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		const char *w = vmb_rep_str(c, "workload"), *r = vmb_rep_str(c, "runner");
		if (!w || !r || !workload || !runner || strcmp(w, workload) != 0 ||
		    strcmp(r, runner) != 0)
			continue;
		if (vmb_rep_neighbours(c) == 0)
			return c;
		if (!plain && vmb_rep_neighbours(c) < 0 && vmb_rep_instances(c) == 0)
			plain = c;
	}
	return plain;
}

int vmb_rep_alone_ratio(const struct vmb_report *rep, size_t r, json_t *c, const char *metric,
                        struct vmb_ratio *out, bool *plain)
{
	json_t *root = rep->runs[r].root, *alone;
	const char *better =
	        metric ? vmb_rep_str(json_object_get(json_object_get(root, "metrics"), metric),
	                             "better")
	               : NULL;

	if (!better || vmb_rep_neighbours(c) <= 0 ||
	    !(alone = alone_case(root, vmb_rep_str(c, "runner"), vmb_rep_str(c, "workload"))))
		return -1;
	bool higher = strcmp(better, "higher") == 0;
	size_t na = json_array_size(json_object_get(alone, "samples")) + 1;
	size_t nx = json_array_size(json_object_get(c, "samples")) + 1;
	double *av = malloc(na * sizeof(double)), *xv = malloc(nx * sizeof(double));
	int rc = -1;
	if (av && xv) {
		uint64_t seed = (uint64_t)json_integer_value(
		        json_object_get(json_object_get(root, "config"), "seed"));
		na = vmb_case_series(alone, metric, av, na);
		nx = vmb_case_series(c, metric, xv, nx);
		rc = vmb_overhead(av, na, xv, nx, higher, seed, out);
		*plain = false;
	}
	free(av);
	free(xv);
	if (rc == 0)
		return 0;
	/* too few samples for an interval: the ratio of the medians, said so */
	double lo, hi, a = vmb_rep_case_figure(alone, metric, &lo, &hi),
	               x = vmb_rep_case_figure(c, metric, &lo, &hi);
	if (!(a > 0) || !(x > 0))
		return -1;
	*out = (struct vmb_ratio){.ratio = higher ? a / x : x / a, .lo = NAN, .hi = NAN};
	*plain = true;
	return 0;
}

/* A figure's median into cell (r, col) divided by div, with its interval
 * where `ci`; "n/a" where the case has no such figure. */
static void figure_cell(struct vmb_report_table *t, long r, size_t col, json_t *c,
                        const char *metric, double div, bool ci)
{
	double lo, hi, m = vmb_rep_case_figure(c, metric, &lo, &hi);

	if (!isfinite(m))
		vmb_rep_cell(t, r, col, "n/a");
	else if (ci && isfinite(lo))
		vmb_rep_cell(t, r, col, "%.4g [%.4g, %.4g]", m / div, lo / div, hi / div);
	else
		vmb_rep_cell(t, r, col, "%.4g", m / div);
}

/* The first counted sample's density block of c, or NULL. */
static json_t *first_density(json_t *c)
{
	json_t *smp;
	size_t i;

	json_array_foreach(json_object_get(c, "samples"), i,
	                   smp) if (counted(smp)) return json_object_get(smp, "density");
	return NULL;
}

/* The VM's split of an instance's memory: the guest's resident memory and
 * the VMM's own, and whether the guest had huge pages; "-" for other
 * runners (no such figures). */
static void vm_cell(struct vmb_report_table *t, long r, size_t col, json_t *c)
{
	double lo, hi;
	double g = vmb_rep_case_figure(c, "density_guest_resident_kib", &lo, &hi);
	double v = vmb_rep_case_figure(c, "density_vmm_private_kib", &lo, &hi);
	/* what the guest's RAM had in huge pages, whatever was asked: the
	 * host's THP policy decides without --hugepages or --no-hugepages */
	json_t *huge = json_object_get(json_object_get(first_density(c), "memory"), "huge_kib");
	char gs[32] = "n/a", vs[32] = "n/a", hs[48] = "";

	if (!isfinite(g) && !isfinite(v)) {
		vmb_rep_cell(t, r, col, "-");
		return;
	}
	if (isfinite(g))
		snprintf(gs, sizeof(gs), "%.4g", g / 1024);
	if (isfinite(v))
		snprintf(vs, sizeof(vs), "%.4g", v / 1024);
	if (json_is_number(huge))
		snprintf(hs, sizeof(hs),
		         json_number_value(huge) > 0 ? " (%.4g in huge pages)" : " (no huge pages)",
		         json_number_value(huge) / 1024);
	vmb_rep_cell(t, r, col, "%s + %s%s", gs, vs, hs);
}

/* What kernel same-page merging saved: "off" where it did not run, its
 * reason where the host lacks it. */
static void ksm_cell(struct vmb_report_table *t, long r, size_t col, json_t *c)
{
	json_t *ksm = json_object_get(first_density(c), "ksm");
	const char *why = vmb_rep_str(ksm, "unavailable");
	double lo, hi, saved = vmb_rep_case_figure(c, "density_ksm_saved_kib", &lo, &hi);

	if (why)
		vmb_rep_cell(t, r, col, "unavailable: %s", why);
	else if (json_is_number(json_object_get(ksm, "run")) &&
	         json_number_value(json_object_get(ksm, "run")) == 0)
		vmb_rep_cell(t, r, col, "off");
	else if (isfinite(saved))
		vmb_rep_cell(t, r, col, "%.4g", saved / 1024);
	else if (json_object_get(ksm, "not_offered"))
		vmb_rep_cell(t, r, col, "not offered"); /* KSM ran; their memory was not its */
	else
		vmb_rep_cell(t, r, col, "n/a");
}

/* Whether the harness itself limited the point: in how many counted reps,
 * with the first reason it gave. */
static void bottleneck_cell(struct vmb_report_table *t, long r, size_t col, json_t *c)
{
	json_t *smp;
	size_t i, n = 0, yes = 0;
	const char *why = NULL;

	json_array_foreach(json_object_get(c, "samples"), i, smp)
	{
		json_t *h = json_object_get(json_object_get(smp, "density"), "harness");
		json_t *b = json_object_get(h, "bottleneck");
		if (!counted(smp) || !json_is_boolean(b))
			continue;
		n++;
		if (json_is_true(b)) {
			yes++;
			why = why ? why : vmb_rep_str(h, "why");
		}
	}
	if (n == 0)
		vmb_rep_cell(t, r, col, "n/a");
	else if (yes == 0)
		vmb_rep_cell(t, r, col, "no");
	else
		vmb_rep_cell(t, r, col, "yes in %zu of %zu reps%s%s", yes, n, why ? ": " : "",
		             why ? why : "");
}

/* ok, with the instances that failed to become ready; else the status and
 * the case's reason. */
static void status_cell(struct vmb_report_table *t, long r, size_t col, json_t *c)
{
	const char *st = vmb_rep_str(c, "status"), *why = vmb_rep_str(c, "reason");
	json_t *smp;
	size_t i, reps = 0, with = 0;
	long long failed = 0;

	if (!st || strcmp(st, "ok") != 0) {
		vmb_rep_cell(t, r, col, "%s%s%s", st ? st : "?", why ? ": " : "", why ? why : "");
		return;
	}
	json_array_foreach(json_object_get(c, "samples"), i, smp)
	{
		json_t *f = json_object_get(json_object_get(smp, "density"), "failed");
		if (!counted(smp))
			continue;
		reps++;
		if (json_is_number(f) && json_number_value(f) > 0) {
			failed += (long long)json_number_value(f);
			with++;
		}
	}
	if (failed)
		vmb_rep_cell(t, r, col, "ok; %lld instance%s not ready in %zu of %zu reps", failed,
		             failed > 1 ? "s" : "", with, reps);
	else
		vmb_rep_cell(t, r, col, "ok");
}

static const char *const density_head[] = {
        "series",
        "case",
        "ready p50 (ms)",
        "ready p90 (ms)",
        "ready p99 (ms)",
        "ready max (ms)",
        "all ready (ms)",
        "cgroup charge (MiB)",
        "PSS per instance (MiB)",
        "runtime private (MiB)",
        "vmbench monitor (MiB)",
        "VM: guest resident + VMM private (MiB)",
        "KSM saved (MiB)",
        "harness CPU share",
        "harness bottleneck",
        "status",
};
enum { DENSITY_COLS = sizeof(density_head) / sizeof(density_head[0]) };

static const char density_note[] =
        "N instances of a workload started together (or at the rate shown) and held until "
        "all were ready; each figure the median over reps of the per-rep figure, [95% "
        "bootstrap interval] for p50 and all ready; ready: ask to ready of each instance, "
        "its percentiles the ceil(q x N)-th smallest (so p90 and p99 are the slowest one "
        "below 10 and 100 instances); all ready: the first ask to the last ready; memory "
        "per instance as the host sees it (per instance: the cgroup's charge; PSS: shared "
        "pages split among their users); KSM saved: per instance; vmbench monitor: the "
        "harness's own process per instance; harness CPU share: its coordinator's time on a "
        "CPU over the start window; n/a: not measured; (knee): where the host stopped "
        "keeping up";

/* Fills row r of the Density table with case c (label `label`) of series s. */
static void density_row(struct vmb_report_table *t, long r, const struct vmb_report *rep, size_t s,
                        const char *label, json_t *c)
{
	static const char *const ready[] = {"density_ready_p50_ns", "density_ready_p90_ns",
	                                    "density_ready_p99_ns", "density_ready_max_ns",
	                                    "density_all_ready_ns"};
	static const char *const mem[] = {"density_memory_kib", "density_pss_kib",
	                                  "density_runtime_private_kib",
	                                  "density_monitor_private_kib"};
	json_t *root = rep->runs[rep->series[s].run].root;
	bool knee = vmb_rep_instances(c) ==
	            vmb_rep_knee(root, vmb_rep_str(c, "workload"), rep->series[s].runner);
	double lo, hi, share = vmb_rep_case_figure(c, "density_harness_share", &lo, &hi);

	vmb_rep_cell(t, r, 0, "%s", rep->series[s].name);
	vmb_rep_cell(t, r, 1, "%s%s", label, knee ? " (knee)" : "");
	for (size_t i = 0; i < 5; i++) /* intervals only where they are read */
		figure_cell(t, r, 2 + i, c, ready[i], 1e6, i == 0 || i == 4);
	for (size_t i = 0; i < 4; i++)
		figure_cell(t, r, 7 + i, c, mem[i], 1024, false);
	vm_cell(t, r, 11, c);
	ksm_cell(t, r, 12, c);
	if (isfinite(share))
		vmb_rep_cell(t, r, 13, "%.3g%%", share * 100);
	else
		vmb_rep_cell(t, r, 13, "n/a");
	bottleneck_cell(t, r, 14, c);
	status_cell(t, r, 15, c);
}

/* One row per density case of each series, in N order; no table without. */
static int density_table(struct vmb_report *rep)
{
	struct vmb_report_table *t = NULL;

	for (size_t s = 0; s < rep->nseries; s++)
		for (size_t k = 0; k < rep->nsuites; k++) {
			size_t nw;
			const char **ws = vmb_rep_workloads(rep, rep->suites[k], &nw);
			int rc = ws ? 0 : -1;
			for (size_t w = 0; rc == 0 && w < nw; w++) {
				json_t *c = vmb_report_case(rep, s, ws[w]);
				if (vmb_rep_instances(c) == 0)
					continue;
				if (!t && (t = vmb_rep_table_new(rep, "density", "Density",
				                                 DENSITY_COLS))) {
					t->note = strdup(density_note);
					for (size_t i = 0; i < DENSITY_COLS; i++)
						vmb_rep_cell(t, -1, i, "%s", density_head[i]);
				}
				long r = t && t->note ? vmb_rep_row_add(t) : -1;
				if (r < 0)
					rc = -1;
				else
					density_row(t, r, rep, s, ws[w], c);
			}
			free(ws);
			if (rc < 0)
				return -1;
		}
	return t ? vmb_rep_table_finish(t) : 0;
}

/* Under the Density table: where each series' sweep stopped, and why. */
static int sweeps_table(struct vmb_report *rep)
{
	struct vmb_report_table *t = NULL;

	for (size_t s = 0; s < rep->nseries; s++) {
		json_t *sw, *p;
		size_t i, j;
		json_array_foreach(
		        json_object_get(
		                json_object_get(rep->runs[rep->series[s].run].root, "density"),
		                "sweeps"),
		        i, sw)
		{
			const char *r = vmb_rep_str(sw, "runner"),
			           *by = vmb_rep_str(sw, "stopped_by");
			const char *why = vmb_rep_str(sw, "why");
			json_t *knee = json_object_get(sw, "knee_instances");
			char points[512] = "";
			size_t at = 0;
			if (!r || strcmp(r, rep->series[s].runner) != 0)
				continue;
			if (!t) {
				t = vmb_rep_table_new(rep, "density-sweeps",
				                      "Density sweeps: where each stopped", 6);
				if (!t ||
				    !(t->note = strdup("knee: the instances at which the host "
				                       "stopped keeping up (none: it kept up "
				                       "over every point)")))
					return -1;
				vmb_rep_cell(t, -1, 0, "series");
				vmb_rep_cell(t, -1, 1, "workload");
				vmb_rep_cell(t, -1, 2, "points (instances)");
				vmb_rep_cell(t, -1, 3, "stopped by");
				vmb_rep_cell(t, -1, 4, "knee (instances)");
				vmb_rep_cell(t, -1, 5, "why");
			}
			json_array_foreach(json_object_get(sw, "points"), j, p)
			        append(points, sizeof(points), &at, "%s%lld", j ? ", " : "",
			               (long long)json_number_value(p));
			long row = vmb_rep_row_add(t);
			if (row < 0)
				return -1;
			vmb_rep_cell(t, row, 0, "%s", rep->series[s].name);
			vmb_rep_cell(t, row, 1, "%s",
			             vmb_rep_str(sw, "workload") ? vmb_rep_str(sw, "workload")
			                                         : "?");
			vmb_rep_cell(t, row, 2, "%s", points[0] ? points : "-");
			vmb_rep_cell(t, row, 3, "%s", by ? by : "n/a");
			if (json_is_number(knee))
				vmb_rep_cell(t, row, 4, "%lld", (long long)json_number_value(knee));
			else
				vmb_rep_cell(t, row, 4, "none");
			vmb_rep_cell(t, row, 5, "%s", why ? why : "");
		}
	}
	return t ? vmb_rep_table_finish(t) : 0;
}

/* The case of workload on runner with k neighbours under load (any load
 * for k 0), or NULL. */
static json_t *neighbour_case(json_t *root, const char *runner, const char *workload, long long k,
                              const char *load)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		const char *w = vmb_rep_str(c, "workload"), *r = vmb_rep_str(c, "runner");
		const char *l = vmb_rep_str(json_object_get(c, "neighbours"), "load");
		if (w && r && strcmp(w, workload) == 0 && strcmp(r, runner) == 0 &&
		    vmb_rep_neighbours(c) == k && (k == 0 || (l && load && strcmp(l, load) == 0)))
			return c;
	}
	return NULL;
}

/* The neighbours a victim ran beside, every (count, load) once: idle
 * before any load that keeps them busy, fewer before more. */
struct crowd {
	long long k;
	const char *load;
};

static int crowd_cmp(const void *a, const void *b)
{
	const struct crowd *x = a, *y = b;
	int bx = strcmp(x->load, "idle") != 0, by = strcmp(y->load, "idle") != 0;

	if (bx != by)
		return bx - by;
	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return strcmp(x->load, y->load);
}

static size_t crowds(const struct vmb_report *rep, struct crowd *out, size_t cap)
{
	size_t n = 0;

	for (size_t r = 0; r < rep->nruns; r++) {
		json_t *c;
		size_t i;
		json_array_foreach(json_object_get(rep->runs[r].root, "cases"), i, c)
		{
			long long k = vmb_rep_neighbours(c);
			const char *load = vmb_rep_str(json_object_get(c, "neighbours"), "load");
			size_t j = 0;
			if (k <= 0)
				continue;
			load = load ? load : "?";
			while (j < n && !(out[j].k == k && strcmp(out[j].load, load) == 0))
				j++;
			if (j == n && n < cap)
				out[n++] = (struct crowd){k, load};
		}
	}
	qsort(out, n, sizeof(*out), crowd_cmp);
	return n;
}

/* Victims in first-seen order: the workloads of cases with neighbours. */
static size_t victims(const struct vmb_report *rep, const char **out, size_t cap)
{
	size_t n = 0;

	for (size_t r = 0; r < rep->nruns; r++) {
		json_t *c;
		size_t i;
		json_array_foreach(json_object_get(rep->runs[r].root, "cases"), i, c)
		{
			const char *w = vmb_rep_str(c, "workload");
			size_t j = 0;
			if (!w || vmb_rep_neighbours(c) < 0)
				continue;
			while (j < n && strcmp(out[j], w) != 0)
				j++;
			if (j == n && n < cap)
				out[n++] = w;
		}
	}
	return n;
}

/* Per victim workload and series: its headline alone, then beside each
 * crowd of neighbours with the figure as a multiple of alone. */
static int neighbours_table(struct vmb_report *rep)
{
	struct crowd cr[32];
	const char *vs[64];
	size_t ncr = crowds(rep, cr, 32), nv = victims(rep, vs, 64);

	if (ncr == 0 || nv == 0)
		return 0;
	struct vmb_report_table *t =
	        vmb_rep_table_new(rep, "neighbours", "Noisy neighbours", 4 + 2 * ncr);
	if (!t || !(t->note = strdup("a victim workload alone, then beside K instances that idle "
	                             "or keep busy: the median of its headline figure [95% "
	                             "bootstrap interval]; x alone: the figure as a multiple of "
	                             "the same runner's victim alone, above 1 costs more, with "
	                             "its bootstrap interval (or the plain ratio of the "
	                             "medians where a side has fewer than 2 samples)")))
		return -1;
	vmb_rep_cell(t, -1, 0, "workload");
	vmb_rep_cell(t, -1, 1, "series");
	vmb_rep_cell(t, -1, 2, "figure");
	vmb_rep_cell(t, -1, 3, "alone");
	for (size_t j = 0; j < ncr; j++) {
		vmb_rep_cell(t, -1, 4 + 2 * j, "+%lld %s", cr[j].k, cr[j].load);
		vmb_rep_cell(t, -1, 5 + 2 * j, "+%lld %s x alone", cr[j].k, cr[j].load);
	}
	for (size_t v = 0; v < nv; v++)
		for (size_t s = 0; s < rep->nseries; s++) {
			json_t *root = rep->runs[rep->series[s].run].root;
			const char *runner = rep->series[s].runner, *metric = NULL;
			json_t *alone = alone_case(root, runner, vs[v]), *any = alone;
			for (size_t j = 0; j < ncr && !any; j++)
				any = neighbour_case(root, runner, vs[v], cr[j].k, cr[j].load);
			bool crowded = false;
			for (size_t j = 0; j < ncr; j++)
				crowded = crowded ||
				          neighbour_case(root, runner, vs[v], cr[j].k, cr[j].load);
			if (!any || !crowded)
				continue;
			metric = vmb_rep_str(any, "headline");
			long r = vmb_rep_row_add(t);
			if (r < 0)
				return -1;
			/* one unit for the row, the one that suits the victim alone */
			json_t *decl = json_object_get(json_object_get(root, "metrics"), metric);
			double lo, hi,
			        typical = metric ? vmb_rep_case_figure(any, metric, &lo, &hi) : NAN;
			const char *unit = "";
			double div =
			        vmb_rep_time_divisor(typical, vmb_rep_str(decl, "unit"), &unit);
			char fig[200];
			vmb_rep_figure(metric, unit, fig, sizeof(fig));
			vmb_rep_cell(t, r, 0, "%s", vs[v]);
			vmb_rep_cell(t, r, 1, "%s", rep->series[s].name);
			vmb_rep_cell(t, r, 2, "%s", fig);
			if (!alone)
				vmb_rep_cell(t, r, 3, "- (not run alone)");
			else if (!metric)
				vmb_rep_cell(t, r, 3, "n/a (no headline)");
			else
				figure_cell(t, r, 3, alone, metric, div, true);
			for (size_t j = 0; j < ncr; j++) {
				json_t *c =
				        neighbour_case(root, runner, vs[v], cr[j].k, cr[j].load);
				const char *st = vmb_rep_str(c, "status"),
				           *why = vmb_rep_str(c, "reason");
				struct vmb_ratio q;
				bool plain;
				if (!c)
					vmb_rep_cell(t, r, 4 + 2 * j, "-");
				else if (!metric ||
				         !isfinite(vmb_rep_case_figure(c, metric, &lo, &hi)))
					vmb_rep_cell(t, r, 4 + 2 * j, "n/a (%s%s%s)",
					             st ? st : "no samples", why ? ": " : "",
					             why ? why : "");
				else
					figure_cell(t, r, 4 + 2 * j, c, metric, div, true);
				if (!c || vmb_rep_alone_ratio(rep, rep->series[s].run, c, metric,
				                              &q, &plain) < 0)
					vmb_rep_cell(t, r, 5 + 2 * j, "-");
				else if (plain)
					vmb_rep_cell(t, r, 5 + 2 * j, "%.3f (ratio of medians)",
					             q.ratio);
				else
					vmb_rep_cell(t, r, 5 + 2 * j, "%.3f [%.3f, %.3f]", q.ratio,
					             q.lo, q.hi);
			}
		}
	return vmb_rep_table_finish(t);
}

int vmb_rep_density_tables(struct vmb_report *rep)
{
	if (density_table(rep) < 0 || sweeps_table(rep) < 0 || neighbours_table(rep) < 0)
		return -1;
	return 0;
}
