/* density_charts.c: the density sweep's curves against N, on a log2 axis: ready times
 * (density-ready) and host memory per instance (density-memory), a line per series. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmbench/report.h"

/* One curve: the density cases of a series of one workload started at one
 * rate (0: all together), in N order. */
struct curve {
	size_t s;
	const char *workload; /* borrowed from the tree */
	double rate;
	json_t *cases; /* array (owned) */
	char name[300];
};

static double rate_of(json_t *c)
{
	return json_number_value(json_object_get(json_object_get(c, "density"), "rate_per_s"));
}

/* Every curve of the report, each series' in the order of its cases' labels
 * (by N); how many in *n. NULL when out of memory (*n is then 0). */
static struct curve *find_curves(const struct vmb_report *rep, size_t *n)
{
	struct curve *cv = NULL;
	size_t cap = 0;
	bool workloads_differ = false;

	*n = 0;
	for (size_t s = 0; s < rep->nseries; s++)
		for (size_t k = 0; k < rep->nsuites; k++) {
			size_t nw;
			const char **ws = vmb_rep_workloads(rep, rep->suites[k], &nw);
			for (size_t w = 0; ws && w < nw; w++) {
				json_t *c = vmb_report_case(rep, s, ws[w]);
				const char *wl = vmb_rep_str(c, "workload");
				size_t i = 0;
				if (vmb_rep_instances(c) == 0 || !wl)
					continue;
				while (i < *n &&
				       !(cv[i].s == s && strcmp(cv[i].workload, wl) == 0 &&
				         cv[i].rate == rate_of(c)))
					i++;
				if (i == *n) {
					if (*n == cap) {
						struct curve *g =
						        realloc(cv, (cap * 2 + 4) * sizeof(*cv));
						if (!g) {
							free(ws);
							goto fail;
						}
						cv = g;
						cap = cap * 2 + 4;
					}
					cv[i] = (struct curve){
					        .s = s, .workload = wl, .rate = rate_of(c)};
					if (!(cv[i].cases = json_array())) {
						free(ws);
						goto fail;
					}
					workloads_differ |=
					        *n > 0 && strcmp(cv[0].workload, wl) != 0;
					(*n)++;
				}
				json_array_append(cv[i].cases, c);
			}
			if (!ws)
				goto fail;
			free(ws);
		}
	for (size_t i = 0; i < *n; i++) {
		int at = snprintf(cv[i].name, sizeof(cv[i].name), "%s", rep->series[cv[i].s].name);
		if (workloads_differ && at > 0 && (size_t)at < sizeof(cv[i].name))
			at += snprintf(cv[i].name + at, sizeof(cv[i].name) - (size_t)at, " %s",
			               cv[i].workload);
		if (cv[i].rate > 0 && at > 0 && (size_t)at < sizeof(cv[i].name))
			snprintf(cv[i].name + at, sizeof(cv[i].name) - (size_t)at, " @%g/s",
			         cv[i].rate);
	}
	return cv;
fail:
	for (size_t i = 0; i < *n; i++)
		json_decref(cv[i].cases);
	free(cv);
	*n = 0;
	return NULL;
}

static void free_curves(struct curve *cv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(cv[i].cases);
	free(cv);
}

/* A figure's median and interval in display units; lo and hi fall back to
 * the median (an error bar of nothing) where there is no interval. */
static double fig(json_t *c, const char *metric, double div, double *lo, double *hi)
{
	double m = vmb_rep_case_figure(c, metric, lo, hi) / div;

	*lo = isfinite(*lo) ? *lo / div : m;
	*hi = isfinite(*hi) ? *hi / div : m;
	return m;
}

/* The point type of line `which` (0 to 3) of a curve of run r: each figure
 * its own shape, filled for the first run, open for the second, strokes
 * after, as the bars are solid then hatched: the colour is the runner's. */
static int point(const struct vmb_report *rep, const struct curve *cv, size_t which)
{
	static const int pts[3][4] = {{7, 9, 5, 13}, {6, 8, 4, 12}, {1, 2, 3, 10}};

	return pts[rep->series[cv->s].run % 3][which % 4];
}

/* Removes DIR/NAME.dat of a chart with nothing to draw: gnuplot fails on a
 * plot without a line, and the report would list an empty chart. */
static void drop(const char *dir, const char *name)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	unlink(path);
}

/* The x range around the points, and a log2 x axis labelled N. */
static void x_axis(FILE *g, double xmin, double xmax, const char *label)
{
	if (!(xmin > 0))
		xmin = xmax = 1;
	fprintf(g,
	        "set logscale x 2\nset format x '%%g'\nset xrange [%g:%g]\n"
	        "set xlabel \"%s\" noenhanced\n",
	        xmin / 1.5, xmax * 1.5, label);
}

/* The knee of curve cv (its sweep's knee_instances), or 0: none, or a
 * curve started at a rate (the sweep is of instances started together). */
static long long knee_of(const struct vmb_report *rep, const struct curve *cv)
{
	const struct vmb_report_series *se = &rep->series[cv->s];

	return cv->rate > 0 ? 0 : vmb_rep_knee(rep->runs[se->run].root, cv->workload, se->runner);
}

/* Marks each curve's knee with a dashed vertical line in the series'
 * colour. It is named in the legend, not on the plot (see ready_chart):
 * text there would hide points, and two knees at one N would collide. */
static void knees(FILE *g, const struct vmb_report *rep, const struct curve *cv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		long long knee = knee_of(rep, &cv[i]);
		if (knee > 0)
			fprintf(g,
			        "set arrow from %lld, graph 0 to %lld, graph 1 nohead dt 4 lw 1.5 "
			        "lc rgb '%s' back\n",
			        knee, knee, rep->series[cv[i].s].color);
	}
}

/* density-ready: p50 with its interval, p99, and all ready against N. */
static int ready_chart(struct vmb_report *rep, const char *dir, struct curve *cv, size_t n,
                       struct vmb_error *err)
{
	static const char name[] = "density-ready";
	static const char title[] = "Density: time until ready against instances started together";
	static const char *const metrics[] = {"density_ready_p50_ns", "density_ready_p90_ns",
	                                      "density_ready_p99_ns", "density_ready_max_ns",
	                                      "density_all_ready_ns"};
	double lo = INFINITY, hi = 0, xmin = INFINITY, xmax = 0;
	bool *with = calloc(n + 1, sizeof(bool));
	FILE *d = with ? vmb_rep_chart_open(dir, name, "dat", err) : NULL, *g;

	if (!d) {
		free(with);
		return with ? -1 : vmb_error_sys(err, ENOMEM, "charts");
	}
	fprintf(d,
	        "# %s: %s. Medians over reps, in ms; lo and hi: the 95%% interval (the "
	        "median where there is none). One block per curve, in the legend's order.\n",
	        name, title);
	for (size_t i = 0; i < n; i++) {
		json_t *c;
		size_t j;
		fprintf(d,
		        "# %s\n# N\tp50\tp50_lo\tp50_hi\tp90\tp99\tmax\tall_ready\tall_ready_lo"
		        "\tall_ready_hi\n",
		        cv[i].name);
		json_array_foreach(cv[i].cases, j, c)
		{
			double v[5], vl[5], vh[5];
			for (size_t m = 0; m < 5; m++)
				v[m] = fig(c, metrics[m], 1e6, &vl[m], &vh[m]);
			/* a point with nothing to draw (a skipped case) is left out */
			if (!isfinite(v[0]) && !isfinite(v[2]) && !isfinite(v[4]))
				continue;
			double x = (double)vmb_rep_instances(c);
			fprintf(d, "%g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\n", x,
			        v[0], vl[0], vh[0], v[1], v[2], v[3], v[4], vl[4], vh[4]);
			with[i] = true;
			xmin = fmin(xmin, x);
			xmax = fmax(xmax, x);
			double shown[] = {vl[0], vh[0], v[2], vl[4], vh[4]};
			for (size_t m = 0; m < 5; m++)
				if (isfinite(shown[m])) {
					lo = fmin(lo, shown[m]);
					hi = fmax(hi, shown[m]);
				}
		}
		if (!with[i]) /* gnuplot refuses an empty block */
			fprintf(d, "NaN\tNaN\tNaN\tNaN\tNaN\tNaN\tNaN\tNaN\tNaN\tNaN\n");
		fprintf(d, "\n\n");
	}
	fclose(d);
	if (!(xmax > 0)) { /* every point skipped or failed: the tables say why */
		drop(dir, name);
		free(with);
		return 0;
	}
	if (!(g = vmb_rep_chart_open(dir, name, "gp", err))) {
		free(with);
		return -1;
	}
	vmb_rep_chart_preamble(g, name, title);
	x_axis(g, xmin, xmax, "instances started together, N (log scale)");
	vmb_rep_chart_yscale(g, lo, hi, "time until ready (ms)");
	knees(g, rep, cv, n);
	fprintf(g, "# per curve: p50 (solid, 95%% interval as error bars), p99 (dashed), "
	           "all N ready (dotted)\nplot");
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *col = rep->series[cv[i].s].color;
		if (!with[i])
			continue;
		fprintf(g,
		        "%s '%s.dat' index %zu using 1:2:3:4 with yerrorlines lw 2 dt 1 pt %d ps "
		        "0.8 "
		        "lc rgb '%s' title \"%s p50\", \\\n"
		        "    '' index %zu using 1:6 with linespoints lw 2 dt 2 pt %d ps 0.9 lc rgb "
		        "'%s' "
		        "title \"%s p99\", \\\n"
		        "    '' index %zu using 1:8 with linespoints lw 2 dt 3 pt %d ps 0.7 lc rgb "
		        "'%s' "
		        "title \"%s all ready\"",
		        k++ ? ", \\\n   " : "", name, i, point(rep, &cv[i], 0), col, cv[i].name, i,
		        point(rep, &cv[i], 1), col, cv[i].name, i, point(rep, &cv[i], 2), col,
		        cv[i].name);
		/* the knee: a ring on the p50 curve at N, named in the legend
		 * with the vertical line's dashes */
		long long knee = knee_of(rep, &cv[i]);
		if (knee > 0)
			fprintf(g,
			        ", \\\n    '' index %zu using 1:($1 == %lld ? $2 : 1/0) with "
			        "linespoints dt 4 lw 1.5 pt 6 ps 2.5 lc rgb '%s' title \"knee: %s, "
			        "N=%lld\"",
			        i, knee, col, cv[i].name, knee);
	}
	fprintf(g, "\n");
	fclose(g);
	free(with);
	return vmb_rep_chart_add(rep, name, title) < 0 ? vmb_error_sys(err, ENOMEM, "charts") : 0;
}

/* density-memory: host memory per instance against N, with the VM's split
 * where the series has it. */
static int memory_chart(struct vmb_report *rep, const char *dir, struct curve *cv, size_t n,
                        struct vmb_error *err)
{
	static const char name[] = "density-memory";
	static const char title[] = "Density: host memory per instance against instances running";
	static const struct {
		const char *metric, *what, *style;
	} lines[] = {
	        {"density_memory_kib", "cgroup charge", "dt 1 ps 0.8"},
	        {"density_pss_kib", "PSS", "dt 2 ps 0.9"},
	        {"density_guest_resident_kib", "guest resident", "dt 4 ps 0.7"},
	        {"density_vmm_private_kib", "VMM private", "dt 3 ps 0.9"},
	};
	enum { NL = sizeof(lines) / sizeof(lines[0]) };
	double lo = INFINITY, hi = 0, xmin = INFINITY, xmax = 0;
	bool(*with)[NL] = calloc(n + 1, sizeof(*with));
	FILE *d = with ? vmb_rep_chart_open(dir, name, "dat", err) : NULL, *g;

	if (!d) {
		free(with);
		return with ? -1 : vmb_error_sys(err, ENOMEM, "charts");
	}
	fprintf(d,
	        "# %s: %s. Medians over reps, in MiB; NaN: not measured (VM figures on "
	        "other runners). One block per curve, in the legend's order.\n",
	        name, title);
	for (size_t i = 0; i < n; i++) {
		json_t *c;
		size_t j;
		bool any = false;
		fprintf(d, "# %s\n# N", cv[i].name);
		for (size_t m = 0; m < NL; m++)
			fprintf(d, "\t%s", lines[m].metric + strlen("density_"));
		fprintf(d, "\n");
		json_array_foreach(cv[i].cases, j, c)
		{
			double v[NL], l, h;
			bool row = false;
			for (size_t m = 0; m < NL; m++) {
				v[m] = fig(c, lines[m].metric, 1024, &l, &h);
				row |= isfinite(v[m]);
			}
			if (!row)
				continue;
			double x = (double)vmb_rep_instances(c);
			fprintf(d, "%g", x);
			for (size_t m = 0; m < NL; m++) {
				fprintf(d, "\t%.9g", v[m]);
				if (isfinite(v[m])) {
					with[i][m] = true;
					lo = fmin(lo, v[m]);
					hi = fmax(hi, v[m]);
				}
			}
			fprintf(d, "\n");
			any = true;
			xmin = fmin(xmin, x);
			xmax = fmax(xmax, x);
		}
		if (!any)
			fprintf(d, "NaN\tNaN\tNaN\tNaN\tNaN\n");
		fprintf(d, "\n\n");
	}
	fclose(d);
	if (!(xmax > 0)) { /* no memory figure anywhere: the tables say n/a */
		drop(dir, name);
		free(with);
		return 0;
	}
	if (!(g = vmb_rep_chart_open(dir, name, "gp", err))) {
		free(with);
		return -1;
	}
	vmb_rep_chart_preamble(g, name, title);
	x_axis(g, xmin, xmax, "instances running, N (log scale)");
	/* a container's few MiB beside a guest's hundreds: a linear axis would
	 * flatten the container's lines onto zero */
	if (lo > 0 && hi / lo > 20)
		fprintf(g, "set logscale y\nset ylabel \"host memory per instance (MiB, log "
		           "scale)\"\n");
	else
		vmb_rep_chart_yscale(g, lo, hi, "host memory per instance (MiB)");
	fprintf(g, "# per curve: per instance (solid), PSS (dashed); a VM's guest resident and "
	           "VMM private memory (dash-dot, dotted)\nplot");
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t m = 0; m < NL; m++)
			if (with[i][m])
				fprintf(g,
				        "%s '%s.dat' index %zu using 1:%zu with linespoints lw 2 "
				        "%s "
				        "pt %d lc rgb '%s' title \"%s %s\"",
				        k++ ? ", \\\n   " : "", name, i, m + 2, lines[m].style,
				        point(rep, &cv[i], m), rep->series[cv[i].s].color,
				        cv[i].name, lines[m].what);
	fprintf(g, "\n");
	fclose(g);
	free(with);
	return vmb_rep_chart_add(rep, name, title) < 0 ? vmb_error_sys(err, ENOMEM, "charts") : 0;
}

int vmb_rep_density_charts(struct vmb_report *rep, const char *charts_dir, struct vmb_error *err)
{
	size_t n;
	struct curve *cv = find_curves(rep, &n);
	int rc = 0;

	if (!cv && n == 0) {
		/* no curve, or no memory for them: tell the two apart */
		for (size_t r = 0; r < rep->nruns; r++) {
			json_t *c;
			size_t i;
			json_array_foreach(json_object_get(rep->runs[r].root, "cases"), i,
			                   c) if (vmb_rep_instances(c) >
			                          0) return vmb_error_sys(err, ENOMEM, "charts");
		}
		return 0;
	}
	if (n > 0)
		rc = ready_chart(rep, charts_dir, cv, n, err);
	if (rc == 0 && n > 0)
		rc = memory_chart(rep, charts_dir, cv, n, err);
	free_curves(cv, n);
	return rc;
}
