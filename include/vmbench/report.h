/* report.h: views of a results tree (report/ formats; runners and workloads only record). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "vmbench/error.h"

/* Prints one line per case: status, median workload time with its 95%
 * interval, throughput, launch-to-ready, and the case's headline figure
 * (case "headline") as a multiple of the baseline runner's (config
 * "baseline") for the same workload, oriented by the figure's declared
 * direction (root "metrics") so that above 1 always costs more. Skipped and
 * failed cases print their reason; an emulated host gets a banner. */
void vmb_print_summary(FILE *f, json_t *root);

/* `vmbench report`: one model built from one or more runs, written out in
 * several formats (report/report.c builds it, report/render_*.c write it,
 * report/charts.c draws its charts with gnuplot). */

/* The formats, as bits of vmb_report_write's `formats`. */
enum {
	VMB_REPORT_MD = 1 << 0,
	VMB_REPORT_HTML = 1 << 1,
	VMB_REPORT_CSV = 1 << 2,
	VMB_REPORT_LATEX = 1 << 3,
	VMB_REPORT_JSON = 1 << 4,
};

/* One run shown in the report. */
struct vmb_report_run {
	json_t *root; /* the results tree (owned) */
	char *path;   /* as given on the command line (owned) */
	char *label;  /* short name: the run id, with host and kernel where runs differ (owned) */
};

/* One (run, runner) pair: a bar, a box, a column. Every chart and table
 * lists series in the same order and colours them by runner alone. */
struct vmb_report_series {
	size_t run;
	const char *runner; /* borrowed from the run's tree */
	const char *color;  /* "#rrggbb", fixed per runner */
	char *name;         /* the runner, or "label runner" with several runs (owned) */
	/* start-up: each phase's median time since the one before it (the first:
	 * since the instance started), over the series' counted samples, in ms */
	char **phase; /* the phase that ends each interval (owned) */
	double *phase_ms;
	size_t nphases;
};

/* A table as text cells, ready for any format; "" for an empty cell. */
struct vmb_report_table {
	char *id;    /* file-name safe: host, suite-cpu, phases... (owned) */
	char *title; /* (owned) */
	char *note;  /* a line under the title, or NULL (owned) */
	size_t ncols, nrows;
	char **head;  /* ncols (owned) */
	char **cells; /* nrows * ncols, row by row (owned) */
};

/* A chart drawn (or only scripted, without gnuplot) in the report's charts/. */
struct vmb_report_chart {
	char *name;  /* base name, e.g. "bars-cpu": .gp, .dat, .svg, .png, .pdf (owned) */
	char *title; /* (owned) */
	bool drawn;  /* the images exist */
};

struct vmb_report {
	struct vmb_report_run *runs;
	size_t nruns;
	struct vmb_report_series *series;
	size_t nseries;
	char **suites; /* in first-seen order (owned) */
	size_t nsuites;
	struct vmb_report_table *tables;
	size_t ntables;
	json_t *rows; /* one object per (case, metric) with full-precision numbers: CSV and JSON */
	json_t *labels; /* every case label seen, {label: label}: the strings the tables borrow */
	bool emulated;  /* some run's host was an emulator's guest */
	struct vmb_report_chart *charts;
	size_t ncharts;
	bool pdf;          /* the charts have a PDF too */
	char *charts_note; /* why there are no charts, and how to get them; NULL if drawn */
};

/* Builds the report's tables and data rows from n runs already read (roots,
 * borrowed; each read from paths[i], by the caller: bench's
 * vmb_run_load_path). Nothing is written. 0, or -1 with err set; rep is then
 * empty. Free with vmb_report_free either way. */
int vmb_report_load(struct vmb_report *rep, json_t *const *roots, char *const *paths, size_t n,
                    struct vmb_error *err);

/* Frees everything rep owns and zeroes it. */
void vmb_report_free(struct vmb_report *rep);

/* A case's name in tables, charts and the gate: its workload, then what sets
 * it apart from the workload's other cases of the same runner: " x8" (a
 * density point: 8 instances started together), " x8 @50/s" (started at 50
 * a second), " alone" or " +3 idle" / " +3 cpu" (a noisy-neighbour victim
 * alone or beside 3 instances under that load). A case with neither is its
 * workload's name alone.
 * Writes into buf (truncating) and returns it. */
const char *vmb_case_label(json_t *c, char *buf, size_t len);

/* The series values a chart plots for one case: the counted samples of
 * `metric` of the case labelled `label` (vmb_case_label) on series s, in
 * `scale` units (1e6 for ns shown in ms). Returns a malloc'd array (NULL
 * when none) and its length. */
double *vmb_report_samples(const struct vmb_report *rep, size_t s, const char *label,
                           const char *metric, double scale, size_t *n);

/* The case labelled `label` (vmb_case_label: a workload's name where it has
 * one case per runner) on series s, or NULL. Borrowed. */
json_t *vmb_report_case(const struct vmb_report *rep, size_t s, const char *label);

/* Writes every chart's .gp script and .dat data into DIR/charts and, where
 * gnuplot is on $PATH, runs it for SVG, PNG and (if it has the terminal)
 * PDF. Without gnuplot, or with a gnuplot that fails, sets
 * rep->charts_note and returns 0: the tables still come out. -1 with err
 * set only when the files cannot be written. */
int vmb_report_charts(struct vmb_report *rep, const char *dir, struct vmb_error *err);

/* Writes the formats asked for into DIR (which exists): report.md,
 * index.html, report.csv, report.tex, report.json. 0, or -1 with err set. */
int vmb_report_write(const struct vmb_report *rep, const char *dir, unsigned formats,
                     struct vmb_error *err);

/* Shared by report/ only (report.c, report_tables.c, render_*.c, charts.c). */

/* The string at key of o, or NULL. */
const char *vmb_rep_str(json_t *o, const char *key);

/* Case c of run r as a multiple of the baseline runner's case of the same
 * label (config "baseline"; N instances against N, the same neighbours) for
 * metric, oriented so that above 1 costs more, with its bootstrap interval.
 * 0, or -1 when there is no baseline case, c is it, or either side has too
 * few samples. */
struct vmb_ratio;
int vmb_rep_ratio(const struct vmb_report *rep, size_t r, json_t *c, const char *metric,
                  struct vmb_ratio *out);

/* Appends a table of ncols columns to rep->tables (owned by rep); NULL when
 * out of memory. */
struct vmb_report_table *vmb_rep_table_new(struct vmb_report *rep, const char *id,
                                           const char *title, size_t ncols);

/* Sets cell (row, col) of t, or a header cell when row is -1. 0 or -1. */
int vmb_rep_cell(struct vmb_report_table *t, long row, size_t col, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Appends an empty row; returns its index or -1. */
long vmb_rep_row_add(struct vmb_report_table *t);

/* Fills NULL cells with "" so that renderers need not check; 0 or -1. */
int vmb_rep_table_finish(struct vmb_report_table *t);

/* An aggregate's median and its interval, divided by div; with no interval
 * (a single sample) the median alone, never a made-up [0, 0]. */
void vmb_rep_median_cell(struct vmb_report_table *t, long r, size_t col, json_t *a, double div);

/* Builds rep->tables from the runs and series; 0 or -1 (out of memory). */
int vmb_rep_tables(struct vmb_report *rep);
void vmb_rep_tables_free(struct vmb_report *rep);

/* A figure for people: ns become ms; *unit is set to the unit shown. */
double vmb_rep_display(double v, const char *unit_in, const char **unit);

/* What a row of figures in unit_in is divided by to be shown: for "ns", the
 * unit (ns, us or ms) that suits `typical`; else 1 and unit_in. */
double vmb_rep_time_divisor(double typical, const char *unit_in, const char **unit);

/* The case labels (vmb_case_label) of a suite across every run: workloads
 * in first-seen order, a workload's cases by instances, then neighbours
 * (none, alone, idle, then busy ones), then their count. A malloc'd array
 * of labels borrowed from rep->labels (free the array), how many in *n;
 * NULL when out of memory. */
const char **vmb_rep_workloads(const struct vmb_report *rep, const char *suite, size_t *n);

/* The headline metric of a case label: the first of its cases that names
 * one (borrowed), or NULL. */
const char *vmb_rep_headline(const struct vmb_report *rep, const char *label);

/* Writes the whole report as one HTML page to f (report/render_html.c). */
void vmb_rep_write_html(const struct vmb_report *rep, FILE *f);

/* Runs gnuplot from $PATH on each of rep's charts (scripts already in
 * charts_dir) for SVG, PNG and, where it has the terminal, PDF; marks them
 * drawn and sets rep->pdf (report/render_gnuplot.c). 0, or -1 with `why`
 * set: no gnuplot, one without the svg or png terminal, or a failed chart. */
int vmb_rep_gnuplot(struct vmb_report *rep, const char *charts_dir, struct vmb_error *why);

/* A figure's name as shown with its unit: "metric (unit)", a "_ns" suffix
 * dropped where the unit shown is ms. */
void vmb_rep_figure(const char *metric, const char *unit, char *buf, size_t len);

/* Whether a chart is shown under a table (by the tables' and charts' ids:
 * suite-S has bars-S, overhead-S, dist-S...; density has density-*). */
bool vmb_rep_chart_of(const char *table_id, const char *chart);

/* Density sweeps and noisy neighbours (report/density.c, density_charts.c). */

/* The number of instances of a density case (its "density"."instances"),
 * or 0 for any other case. */
long long vmb_rep_instances(json_t *c);

/* The neighbours of a noisy-neighbour case ("neighbours"."count": 0 for the
 * victim alone), or -1 for any other case. */
long long vmb_rep_neighbours(json_t *c);

/* Case c's median of metric (a dotted path for a figure not in the
 * samples' "figures") with its 95% interval in lo, hi (NAN without one):
 * the case's aggregate, else the median of its counted samples, without an
 * interval. NAN when it has neither. */
double vmb_rep_case_figure(json_t *c, const char *metric, double *lo, double *hi);

/* The knee of root's density sweep of workload on runner (its top-level
 * "density"."sweeps"): the instances at which the host stopped keeping up,
 * or 0 where there is no sweep or no knee. */
long long vmb_rep_knee(json_t *root, const char *workload, const char *runner);

/* Case c (a victim with neighbours) of run r as a multiple of the same
 * runner's case of the victim alone, for metric, oriented so that above 1
 * costs more: with its bootstrap interval (*plain false) where both have two
 * counted samples, else the plain ratio of their medians (*plain true, lo and
 * hi NAN). 0, or -1 when c has no neighbours, is the victim alone, or there
 * is no figure on either side. */
int vmb_rep_alone_ratio(const struct vmb_report *rep, size_t r, json_t *c, const char *metric,
                        struct vmb_ratio *out, bool *plain);

/* Adds the Density table (each series' density cases: ready times, memory
 * per instance, the harness's share) with the sweeps' stop reasons and knees
 * under it, and the Noisy neighbours table; none where the runs have no such
 * cases. 0 or -1 (out of memory). */
int vmb_rep_density_tables(struct vmb_report *rep);

/* Writes the density-ready and density-memory charts' scripts and data into
 * charts_dir and adds them to rep; nothing where the runs have no density
 * case. 0, or -1 with err set. */
int vmb_rep_density_charts(struct vmb_report *rep, const char *charts_dir, struct vmb_error *err);

/* Shared by charts.c and density_charts.c. */

/* Opens DIR/NAME.EXT for writing; NULL with err set. */
FILE *vmb_rep_chart_open(const char *dir, const char *name, const char *ext, struct vmb_error *err);

/* What every gnuplot script starts with: how to redraw it, and one look. */
void vmb_rep_chart_preamble(FILE *f, const char *name, const char *title);

/* A y axis from 0, or a log one where lo..hi spans more than two decades. */
void vmb_rep_chart_yscale(FILE *f, double lo, double hi, const char *label);

/* Adds a chart (not yet drawn) to rep; 0 or -1 (out of memory). */
int vmb_rep_chart_add(struct vmb_report *rep, const char *name, const char *title);
