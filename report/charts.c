/* charts.c: the report's charts as a gnuplot script and its data each, kept beside the
 * images (drawn by render_gnuplot.c) so that a reader can restyle them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmbench/report.h"
#include "vmbench/stats.h"

#define HINT                                                                                       \
	"install gnuplot (Debian: apt-get install gnuplot-nox) and run vmbench report again; "     \
	"each chart's .gp script and .dat data are already in charts/"

FILE *vmb_rep_chart_open(const char *dir, const char *name, const char *ext, struct vmb_error *err)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	FILE *f = fopen(path, "we");
	if (!f)
		vmb_error_sys(err, errno, "%s", path);
	return f;
}

int vmb_rep_chart_add(struct vmb_report *rep, const char *name, const char *title)
{
	struct vmb_report_chart *grown =
	        realloc(rep->charts, (rep->ncharts + 1) * sizeof(*rep->charts));
	if (!grown)
		return -1;
	rep->charts = grown;
	rep->charts[rep->ncharts].name = strdup(name);
	rep->charts[rep->ncharts].title = strdup(title);
	rep->charts[rep->ncharts].drawn = false;
	rep->ncharts++;
	return 0;
}

/* What every script starts with: how to redraw it, and one look for all. */
void vmb_rep_chart_preamble(FILE *f, const char *name, const char *title)
{
	fprintf(f,
	        "# %s: %s (written by vmbench report)\n"
	        "# Redraw: gnuplot -e \"set terminal pngcairo size 1000,560; set output "
	        "'%s.png'\" %s.gp\n"
	        "# The data is in %s.dat (whitespace-separated, '#' header; blocks split by "
	        "two blank lines).\n"
	        "set encoding utf8\n"
	        "set title \"%s\" noenhanced\n"
	        "set grid ytics lc rgb '#dddddd'\n"
	        "set border 3\nset tics nomirror\n"
	        "set key outside right top noenhanced\n",
	        name, title, name, name, name, title);
}

/* A log y axis where one plot spans more than two decades: the small
 * workloads' bars would otherwise be invisible beside the large ones. */
void vmb_rep_chart_yscale(FILE *f, double lo, double hi, const char *label)
{
	if (lo > 0 && hi / lo > 100)
		fprintf(f, "set logscale y\nset ylabel \"%s (log scale)\" noenhanced\n", label);
	else
		fprintf(f, "set yrange [0:*]\nset ylabel \"%s\" noenhanced\n", label);
}

/* The unit a workload's headline is shown in ("ms" for ns). */
static const char *headline_unit(const struct vmb_report *rep, const char *workload)
{
	json_t *decl = json_object_get(json_object_get(rep->runs[0].root, "metrics"),
	                               vmb_rep_headline(rep, workload));
	const char *shown;

	vmb_rep_display(0, vmb_rep_str(decl, "unit"), &shown);
	return shown ? shown : "";
}

/* The y axis label of a suite's headlines: the figure's name and unit
 * where they share one, the unit alone where only that is shared. */
static void suite_label(const struct vmb_report *rep, const char **ws, size_t nw, char *buf,
                        size_t len)
{
	const char *unit = NULL, *metric = NULL;
	bool same_metric = true, same_unit = true;

	for (size_t w = 0; w < nw; w++) {
		const char *m = vmb_rep_headline(rep, ws[w]), *shown;
		json_t *decl = json_object_get(json_object_get(rep->runs[0].root, "metrics"), m);
		vmb_rep_display(0, vmb_rep_str(decl, "unit"), &shown);
		same_unit = same_unit && (!unit || strcmp(unit, shown) == 0);
		same_metric = same_metric && m && (!metric || strcmp(metric, m) == 0);
		unit = shown;
		metric = m;
	}
	if (same_metric && metric)
		vmb_rep_figure(metric, unit, buf, len);
	else if (same_unit && unit)
		snprintf(buf, len, "headline figure (%s)", unit);
	else
		snprintf(buf, len, "headline figure (unit per workload: see table)");
}

/* How a series' bars are filled: the first run's solid, each other run's
 * hatched in the same runner colour, so that runs differ and runners keep
 * their colour. */
static const char *fill_of(const struct vmb_report *rep, size_t s)
{
	static const char *const fills[] = {
	        "fs solid 0.85 border rgb '#333333'", "fs pattern 4 border rgb '#333333'",
	        "fs pattern 5 border rgb '#333333'", "fs pattern 1 border rgb '#333333'",
	        "fs pattern 2 border rgb '#333333'"};
	return fills[rep->series[s].run % (sizeof(fills) / sizeof(fills[0]))];
}

static double scale_of(const struct vmb_report *rep, size_t s, const char *metric)
{
	json_t *decl = json_object_get(
	        json_object_get(rep->runs[rep->series[s].run].root, "metrics"), metric);
	const char *u = vmb_rep_str(decl, "unit");
	return u && strcmp(u, "ns") == 0 ? 1e6 : 1;
}

/* Grouped bars per workload, one per series, with the median's interval as
 * whiskers. */
static int bars(struct vmb_report *rep, const char *dir, const char *suite, const char **ws,
                size_t nw, struct vmb_error *err)
{
	char name[128], title[200], label[128];
	double lo = INFINITY, hi = 0;
	FILE *d, *g;

	snprintf(name, sizeof(name), "bars-%s", suite);
	snprintf(title, sizeof(title), "Suite %s: median headline figure, 95%% interval", suite);
	if (!(d = vmb_rep_chart_open(dir, name, "dat", err)))
		return -1;
	fprintf(d, "# workload");
	for (size_t s = 0; s < rep->nseries; s++)
		fprintf(d, "\t\"%s\" lo hi", rep->series[s].name);
	fprintf(d, "\n");
	for (size_t w = 0; w < nw; w++) {
		const char *m = vmb_rep_headline(rep, ws[w]);
		fprintf(d, "\"%s\"", ws[w]);
		for (size_t s = 0; s < rep->nseries; s++) {
			json_t *a = json_object_get(
			        json_object_get(vmb_report_case(rep, s, ws[w]), "aggregates"), m);
			json_t *ci = json_object_get(a, "ci95_median");
			double k = scale_of(rep, s, m),
			       med = json_number_value(json_object_get(a, "median"));
			if (!json_is_number(json_object_get(a, "median"))) {
				fprintf(d, "\tNaN NaN NaN");
				continue;
			}
			double l = json_is_number(json_array_get(ci, 0))
			                   ? json_number_value(json_array_get(ci, 0))
			                   : med;
			double h = json_is_number(json_array_get(ci, 1))
			                   ? json_number_value(json_array_get(ci, 1))
			                   : med;
			fprintf(d, "\t%.9g %.9g %.9g", med / k, l / k, h / k);
			lo = fmin(lo, l / k);
			hi = fmax(hi, h / k);
		}
		fprintf(d, "\n");
	}
	fclose(d);
	suite_label(rep, ws, nw, label, sizeof(label));
	if (!(g = vmb_rep_chart_open(dir, name, "gp", err)))
		return -1;
	vmb_rep_chart_preamble(g, name, title);
	fprintf(g, "set style data histograms\n"
	           "set style histogram errorbars gap 1.5 lw 1.5\n"
	           "set style fill solid 0.85 border rgb '#333333'\n"
	           "set boxwidth 0.9\nset xtics noenhanced\n");
	vmb_rep_chart_yscale(g, lo, hi, label);
	fprintf(g, "plot \\\n");
	for (size_t s = 0; s < rep->nseries; s++)
		fprintf(g, "  '%s.dat' using %zu:%zu:%zu:xtic(1) title \"%s\" lc rgb '%s' %s%s\n",
		        name, 2 + 3 * s, 3 + 3 * s, 4 + 3 * s, rep->series[s].name,
		        rep->series[s].color, fill_of(rep, s), s + 1 < rep->nseries ? ", \\" : "");
	fclose(g);
	return vmb_rep_chart_add(rep, name, title);
}

/* Each non-baseline series' headline as a multiple of its baseline's, with
 * the bootstrap interval, against a dashed line at 1. */
static int overhead(struct vmb_report *rep, const char *dir, const char *suite, const char **ws,
                    size_t nw, struct vmb_error *err)
{
	char name[128], title[200];
	size_t cols[64], nc = 0;
	FILE *d, *g;

	for (size_t s = 0; s < rep->nseries && nc < 64; s++) {
		const char *b = vmb_rep_str(
		        json_object_get(rep->runs[rep->series[s].run].root, "config"), "baseline");
		if (b && strcmp(b, rep->series[s].runner) != 0)
			cols[nc++] = s;
	}
	if (nc == 0)
		return 0;
	snprintf(name, sizeof(name), "overhead-%s", suite);
	snprintf(title, sizeof(title),
	         "Suite %s: headline as a multiple of the baseline runner's (above 1 costs more)",
	         suite);
	if (!(d = vmb_rep_chart_open(dir, name, "dat", err)))
		return -1;
	fprintf(d, "# workload");
	for (size_t k = 0; k < nc; k++)
		fprintf(d, "\t\"%s\" lo hi", rep->series[cols[k]].name);
	fprintf(d, "\n");
	for (size_t w = 0; w < nw; w++) {
		fprintf(d, "\"%s\"", ws[w]);
		for (size_t k = 0; k < nc; k++) {
			json_t *c = vmb_report_case(rep, cols[k], ws[w]);
			struct vmb_ratio q;
			if (c && vmb_rep_ratio(rep, rep->series[cols[k]].run, c,
			                       vmb_rep_headline(rep, ws[w]), &q) == 0)
				fprintf(d, "\t%.9g %.9g %.9g", q.ratio, q.lo, q.hi);
			else
				fprintf(d, "\tNaN NaN NaN");
		}
		fprintf(d, "\n");
	}
	fclose(d);
	if (!(g = vmb_rep_chart_open(dir, name, "gp", err)))
		return -1;
	vmb_rep_chart_preamble(g, name, title);
	fprintf(g, "set style data histograms\n"
	           "set style histogram errorbars gap 1.5 lw 1.5\n"
	           "set style fill solid 0.85 border rgb '#333333'\n"
	           "set boxwidth 0.9\nset xtics noenhanced\n"
	           "set yrange [0:*]\nset ylabel \"x baseline (1 = as fast as the baseline)\"\n"
	           "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 "
	           "lc rgb '#000000' front\n"
	           "plot \\\n");
	for (size_t k = 0; k < nc; k++)
		fprintf(g, "  '%s.dat' using %zu:%zu:%zu:xtic(1) title \"%s\" lc rgb '%s' %s%s\n",
		        name, 2 + 3 * k, 3 + 3 * k, 4 + 3 * k, rep->series[cols[k]].name,
		        rep->series[cols[k]].color, fill_of(rep, cols[k]),
		        k + 1 < nc ? ", \\" : "");
	fclose(g);
	return vmb_rep_chart_add(rep, name, title);
}

/* The position of series s's box in workload w's group. */
static double box_x(const struct vmb_report *rep, size_t w, size_t s, double width)
{
	return (double)(w + 1) + ((double)s - (double)(rep->nseries - 1) / 2) * width;
}

/* Box plots of every counted sample, grouped by workload, one box per
 * series: the box spans the quartiles, a bar marks the median, whiskers
 * reach the extremes, and the samples themselves are drawn over it (runs
 * are often short). Quartiles are computed here, not by gnuplot, so that the
 * .dat holds exactly what is drawn. */
static int distribution(struct vmb_report *rep, const char *dir, const char *suite, const char **ws,
                        size_t nw, struct vmb_error *err)
{
	char name[128], title[200], label[128];
	double lo = INFINITY, hi = 0, width = 0.8 / (double)(rep->nseries ? rep->nseries : 1);
	FILE *d, *g = NULL;

	snprintf(name, sizeof(name), "dist-%s", suite);
	snprintf(title, sizeof(title),
	         "Suite %s: samples of the headline (box: quartiles, bar: median, whiskers: "
	         "min to max)",
	         suite);
	if (!(d = vmb_rep_chart_open(dir, name, "dat", err)) ||
	    !(g = vmb_rep_chart_open(dir, name, "gp", err))) {
		if (d)
			fclose(d);
		return -1;
	}
	/* blocks 0..S-1: per series, one line per workload: x min q1 median q3 max;
	 * blocks S..2S-1: per series, every sample: x value */
	for (int pass = 0; pass < 2; pass++)
		for (size_t s = 0; s < rep->nseries; s++) {
			fprintf(d, "# %s: %s\n", rep->series[s].name,
			        pass ? "x sample" : "x min q1 median q3 max workload");
			bool any = false;
			for (size_t w = 0; w < nw; w++) {
				const char *m = vmb_rep_headline(rep, ws[w]);
				size_t n;
				double *v = vmb_report_samples(rep, s, ws[w], m,
				                               scale_of(rep, s, m), &n);
				double x = box_x(rep, w, s, width);
				if (!v)
					continue;
				qsort(v, n, sizeof(double), vmb_cmp_double);
				lo = fmin(lo, v[0]);
				hi = fmax(hi, v[n - 1]);
				if (pass == 0)
					fprintf(d, "%.3f %.9g %.9g %.9g %.9g %.9g \"%s\"\n", x,
					        v[0], vmb_quantile_sorted(v, n, 0.25),
					        vmb_quantile_sorted(v, n, 0.5),
					        vmb_quantile_sorted(v, n, 0.75), v[n - 1], ws[w]);
				for (size_t i = 0; pass == 1 && i < n; i++)
					fprintf(d, "%.3f %.9g\n", x, v[i]);
				any = true;
				free(v);
			}
			if (!any) /* gnuplot refuses an empty block: a point it cannot draw */
				fprintf(d, "NaN NaN NaN NaN NaN NaN \"-\"\n");
			fprintf(d, "\n\n");
		}
	fclose(d);
	vmb_rep_chart_preamble(g, name, title);
	fprintf(g,
	        "set style fill solid 0.3 border\nset boxwidth %.3f absolute\n"
	        "set xrange [0.4:%zu.6]\nset xtics (",
	        width * 0.8, nw);
	for (size_t w = 0; w < nw; w++)
		fprintf(g, "%s\"%s\" %zu", w ? ", " : "", ws[w], w + 1);
	fprintf(g, ") noenhanced\n");
	suite_label(rep, ws, nw, label, sizeof(label));
	vmb_rep_chart_yscale(g, lo, hi, label);
	if (lo > 0 && hi / lo <= 100)
		fprintf(g, "set yrange [*:*]\n"); /* the boxes near their values, not from 0 */
	fprintf(g, "plot \\\n");
	for (size_t s = 0; s < rep->nseries; s++)
		fprintf(g,
		        "  '%s.dat' index %zu using 1:3:2:6:5 with candlesticks whiskerbars 0.5 "
		        "lc rgb '%s' lw 1.5 %s title \"%s\", \\\n"
		        "  '' index %zu using 1:4:4:4:4 with candlesticks lc rgb '%s' lw 3 "
		        "notitle, "
		        "\\\n"
		        "  '' index %zu using 1:2 with points pt 7 ps 0.7 lc rgb '%s' notitle%s\n",
		        name, s, rep->series[s].color,
		        rep->series[s].run ? "fs pattern 4 border" : "fs solid 0.3 border",
		        rep->series[s].name, s, rep->series[s].color, rep->nseries + s,
		        rep->series[s].color, s + 1 < rep->nseries ? ", \\" : "");
	fclose(g);
	return vmb_rep_chart_add(rep, name, title);
}

/* One stacked bar per series: its start-up phases, each the median time
 * since the phase before, in one order true to every series' own. */
static int phases(struct vmb_report *rep, const char *dir, struct vmb_error *err)
{
	const char *names[128];
	size_t n = 0;
	FILE *d, *g;

	/* one order for every bar, true to each runner's own order: the
	 * runner with the most phases sets it, and each other phase goes right
	 * after the phase its own runner had before it */
	size_t ref = 0;
	for (size_t s = 1; s < rep->nseries; s++)
		if (rep->series[s].nphases > rep->series[ref].nphases)
			ref = s;
	for (size_t o = 0; o < rep->nseries; o++) {
		size_t s = o == 0 ? ref : (o <= ref ? o - 1 : o);
		size_t after = 0; /* insert position: just past the previous phase */
		for (size_t k = 0; k < rep->series[s].nphases; k++) {
			const char *ph = rep->series[s].phase[k];
			size_t i = 0;
			while (i < n && strcmp(names[i], ph) != 0)
				i++;
			if (i < n) {
				after = i + 1;
				continue;
			}
			if (n == 128)
				break;
			memmove(names + after + 1, names + after, (n - after) * sizeof(*names));
			names[after++] = ph;
			n++;
		}
	}
	if (n == 0)
		return 0;
	if (!(d = vmb_rep_chart_open(dir, "phases", "dat", err)))
		return -1;
	/* a header line gnuplot reads for the legend (columnhead), so no '#' */
	fprintf(d, "series");
	for (size_t i = 0; i < n; i++)
		fprintf(d, "\t%s", names[i]);
	fprintf(d, "\n");
	for (size_t s = 0; s < rep->nseries; s++) {
		fprintf(d, "\"%s\"", rep->series[s].name);
		for (size_t i = 0; i < n; i++) {
			double v = 0;
			for (size_t k = 0; k < rep->series[s].nphases; k++)
				if (strcmp(rep->series[s].phase[k], names[i]) == 0)
					v = rep->series[s].phase_ms[k];
			fprintf(d, "\t%.6g", v);
		}
		fprintf(d, "\n");
	}
	fclose(d);
	if (!(g = vmb_rep_chart_open(dir, "phases", "gp", err)))
		return -1;
	static const char palette[] =
	        "#4E79A7 #F28E2B #E15759 #76B7B2 #59A14F #EDC948 #B07AA1 #FF9DA7 "
	        "#9C755F #BAB0AC #1F3A5F #8C564B #17BECF #BCBD22 #7F7F7F #D62728";
	const char *title = "Start-up phases per runner (median interval ending at each phase)";
	vmb_rep_chart_preamble(g, "phases", title);
	/* long or many series names would run into each other under the bars */
	size_t longest = 0;
	for (size_t s = 0; s < rep->nseries; s++)
		longest = strlen(rep->series[s].name) > longest ? strlen(rep->series[s].name)
		                                                : longest;
	bool rotate = longest * rep->nseries > 60;
	fprintf(g,
	        "set style data histograms\nset style histogram rowstacked\n"
	        "set style fill solid 0.9 border rgb '#ffffff'\nset boxwidth 0.6\n"
	        "set yrange [0:*]\nset ylabel \"ms since the instance started\"\n"
	        "set xtics noenhanced%s\nset key invert\n"
	        "# one colour per phase, in order (the runners are the bars)\n"
	        "colours = \"%s\"\n"
	        "plot for [i=2:%zu] 'phases.dat' using i:xtic(1) title columnhead(i) "
	        "lc rgb word(colours, (i - 2) %% words(colours) + 1)\n",
	        rotate ? " rotate by -20" : "", palette, n + 1);
	fclose(g);
	return vmb_rep_chart_add(rep, "phases", title);
}

static bool counted(json_t *smp)
{
	const char *st = vmb_rep_str(smp, "status");

	return !json_is_true(json_object_get(smp, "warmup")) && st && strcmp(st, "ok") == 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Series s's curve `name` of a workload's case into d: for each x of the
 * first counted sample, the median y over the counted samples that have
 * that point. Returns the number of points written. */
static size_t curve_points(json_t *c, const char *name, FILE *d, double *lo, double *hi)
{
	json_t *smp, *first = NULL;
	size_t i, n = 0, ns = 0;

	json_array_foreach(json_object_get(c, "samples"), i, smp)
	{
		json_t *cv = json_object_get(
		        json_object_get(json_object_get(smp, "agent"), "curves"), name);
		if (!counted(smp) || !cv)
			continue;
		first = first ? first : cv;
		ns++;
	}
	if (!first)
		return 0;
	double *ys = calloc(ns, sizeof(double));
	json_t *xs = json_object_get(first, "x"), *x;
	size_t k;
	json_array_foreach(xs, k, x)
	{
		size_t m = 0;
		json_array_foreach(json_object_get(c, "samples"), i, smp)
		{
			json_t *cv = json_object_get(
			        json_object_get(json_object_get(smp, "agent"), "curves"), name);
			if (!counted(smp) || !cv || !ys || m == ns)
				continue;
			json_t *xi = json_array_get(json_object_get(cv, "x"), k);
			json_t *yi = json_array_get(json_object_get(cv, "y"), k);
			if (json_is_number(xi) && json_number_value(xi) == json_number_value(x) &&
			    json_is_number(yi))
				ys[m++] = json_number_value(yi);
		}
		if (m == 0)
			continue;
		qsort(ys, m, sizeof(double), cmp_double);
		double med = m % 2 ? ys[m / 2] : (ys[m / 2 - 1] + ys[m / 2]) / 2;
		*lo = med < *lo ? med : *lo;
		*hi = med > *hi ? med : *hi;
		fprintf(d, "%.9g\t%.9g\n", json_number_value(x), med);
		n++;
	}
	free(ys);
	return n;
}

/* One chart per curve a workload reports (a figure over a swept parameter,
 * such as ns per access against the working set): a line per series. */
static int curves(struct vmb_report *rep, const char *dir, const char *workload,
                  struct vmb_error *err)
{
	json_t *names = json_object(); /* curve name -> its first description */
	const char *name;
	json_t *desc;

	for (size_t s = 0; s < rep->nseries; s++) {
		json_t *c = vmb_report_case(rep, s, workload), *smp;
		size_t i;
		json_array_foreach(json_object_get(c, "samples"), i, smp)
		{
			json_t *cv = json_object_get(json_object_get(smp, "agent"), "curves");
			json_object_foreach(cv, name, desc) if (!json_object_get(names, name))
			        json_object_set(names, name, desc);
		}
	}
	json_object_foreach(names, name, desc)
	{
		char chart[256], title[400];
		FILE *d, *g;
		snprintf(chart, sizeof(chart), "curve-%s-%s", workload, name);
		for (char *p = chart; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
				*p = '_';
		if (!(d = vmb_rep_chart_open(dir, chart, "dat", err))) {
			json_decref(names);
			return -1;
		}
		fprintf(d,
		        "# %s: %s (%s) against x (%s), median over counted samples; one "
		        "block per series\n",
		        workload, name, vmb_rep_str(desc, "y_unit"), vmb_rep_str(desc, "x_unit"));
		size_t drawn = 0;
		bool with[64] = {false};
		double lo = INFINITY, hi = 0;
		for (size_t s = 0; s < rep->nseries && s < 64; s++) {
			json_t *c = vmb_report_case(rep, s, workload);
			fprintf(d, "# series %s\n", rep->series[s].name);
			with[s] = c && curve_points(c, name, d, &lo, &hi) > 0;
			drawn += with[s];
			fprintf(d, "\n\n");
		}
		fclose(d);
		if (drawn == 0)
			continue;
		if (!(g = vmb_rep_chart_open(dir, chart, "gp", err))) {
			json_decref(names);
			return -1;
		}
		snprintf(title, sizeof(title), "%s: %s against the swept parameter", workload,
		         name);
		vmb_rep_chart_preamble(g, chart, title);
		const char *xu = vmb_rep_str(desc, "x_unit"), *yu = vmb_rep_str(desc, "y_unit");
		bool bytes = xu && strcmp(xu, "B") == 0;
		char ylabel[200];
		snprintf(ylabel, sizeof(ylabel), "%s (%s)", name, yu ? yu : "");
		fprintf(g, "set logscale x 2\nset xlabel \"%s\" noenhanced\n",
		        bytes ? "bytes (log scale)" : (xu ? xu : "x"));
		vmb_rep_chart_yscale(g, lo, hi, ylabel);
		if (bytes)
			fprintf(g, "set format x '%%.0b%%B'\n");
		fprintf(g, "plot");
		size_t k = 0;
		for (size_t s = 0; s < rep->nseries && s < 64; s++)
			if (with[s])
				fprintf(g,
				        "%s '%s.dat' index %zu using 1:2 with linespoints lw 2 pt "
				        "7 "
				        "ps 0.6 lc rgb '%s' title \"%s\"",
				        k++ ? ", \\\n    " : " ", chart, s, rep->series[s].color,
				        rep->series[s].name);
		fprintf(g, "\n");
		fclose(g);
		if (vmb_rep_chart_add(rep, chart, title) < 0) {
			json_decref(names);
			return vmb_error_sys(err, ENOMEM, "charts");
		}
	}
	json_decref(names);
	return 0;
}

int vmb_report_charts(struct vmb_report *rep, const char *dir, struct vmb_error *err)
{
	struct vmb_error why = {0};
	char charts[4200];

	snprintf(charts, sizeof(charts), "%s/charts", dir);
	if (mkdir(charts, 0777) < 0 && errno != EEXIST)
		return vmb_error_sys(err, errno, "%s", charts);
	/* scripts and data first, gnuplot or not: a reader can draw them later */
	for (size_t i = 0; i < rep->nsuites; i++) {
		size_t nw;
		const char **ws = vmb_rep_workloads(rep, rep->suites[i], &nw);
		int rc = ws ? 0 : vmb_error_sys(err, ENOMEM, "charts");
		if (rc == 0)
			rc = overhead(rep, charts, rep->suites[i], ws, nw, err);
		/* absolute figures share an axis only where they share a unit: a
		 * chart for each unit of the suite's headlines, the first named
		 * after the suite, the others after it and their unit */
		const char **group = rc == 0 ? calloc(nw + 1, sizeof(*group)) : NULL;
		bool *done = rc == 0 ? calloc(nw + 1, sizeof(*done)) : NULL;
		if (rc == 0 && (!group || !done))
			rc = vmb_error_sys(err, ENOMEM, "charts");
		for (size_t w = 0; rc == 0 && w < nw; w++) {
			if (done[w])
				continue;
			const char *u = headline_unit(rep, ws[w]);
			size_t ng = 0;
			for (size_t k = w; k < nw; k++)
				if (!done[k] && strcmp(headline_unit(rep, ws[k]), u) == 0) {
					group[ng++] = ws[k];
					done[k] = true;
				}
			char tag[160];
			if (w == 0)
				snprintf(tag, sizeof(tag), "%s", rep->suites[i]);
			else
				snprintf(tag, sizeof(tag), "%s-%s", rep->suites[i], u);
			for (char *p = tag; *p; p++)
				if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				      (*p >= '0' && *p <= '9') || *p == '-'))
					*p = '_';
			rc = bars(rep, charts, tag, group, ng, err);
			if (rc == 0)
				rc = distribution(rep, charts, tag, group, ng, err);
		}
		free(group);
		free(done);
		for (size_t w = 0; rc == 0 && w < nw; w++)
			rc = curves(rep, charts, ws[w], err);
		free(ws);
		if (rc < 0)
			return -1;
	}
	if (phases(rep, charts, err) < 0 || vmb_rep_density_charts(rep, charts, err) < 0)
		return -1;
	if (vmb_rep_gnuplot(rep, charts, &why) < 0 &&
	    asprintf(&rep->charts_note, "No charts: %s. To get them, %s.", why.msg, HINT) < 0)
		rep->charts_note = NULL;
	return 0;
}
