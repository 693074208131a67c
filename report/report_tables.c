/* report_tables.c: the report's tables as text cells (host metadata, one per suite with
 * every series side by side and overheads, start-up phases, what was not measured). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/report.h"
#include "vmbench/stats.h"

double vmb_rep_display(double v, const char *unit_in, const char **unit)
{
	if (unit_in && strcmp(unit_in, "ns") == 0) {
		*unit = "ms";
		return v / 1e6;
	}
	*unit = unit_in ? unit_in : "";
	return v;
}

double vmb_rep_time_divisor(double typical, const char *unit_in, const char **unit)
{
	if (!unit_in || strcmp(unit_in, "ns") != 0 || !isfinite(typical)) {
		*unit = unit_in && strcmp(unit_in, "ns") == 0 ? "ms" : unit_in ? unit_in : "";
		return unit_in && strcmp(unit_in, "ns") == 0 ? 1e6 : 1;
	}
	double a = fabs(typical);
	*unit = a >= 1e6 ? "ms" : a >= 1e3 ? "us" : "ns";
	return a >= 1e6 ? 1e6 : a >= 1e3 ? 1e3 : 1;
}

void vmb_rep_figure(const char *metric, const char *unit, char *buf, size_t len)
{
	const char *ns = metric ? strstr(metric, "_ns") : NULL;
	bool time = unit &&
	            (strcmp(unit, "ms") == 0 || strcmp(unit, "us") == 0 || strcmp(unit, "ns") == 0);

	/* "launch_to_ready_ns (ms)" would contradict itself: the unit goes in
	 * brackets only ("fault_4k_ns_p50" shows as "fault_4k_p50 (us)") */
	if (ns && time && (ns[3] == '\0' || ns[3] == '_'))
		snprintf(buf, len, "%.*s%s (%s)", (int)(ns - metric), metric, ns + 3, unit);
	else
		snprintf(buf, len, "%s (%s)", metric ? metric : "-", unit ? unit : "");
}

struct vmb_report_table *vmb_rep_table_new(struct vmb_report *rep, const char *id,
                                           const char *title, size_t ncols)
{
	struct vmb_report_table *grown =
	        realloc(rep->tables, (rep->ntables + 1) * sizeof(*rep->tables));
	if (!grown)
		return NULL;
	rep->tables = grown;
	struct vmb_report_table *t = &rep->tables[rep->ntables++];
	memset(t, 0, sizeof(*t));
	t->id = strdup(id);
	t->title = strdup(title);
	t->ncols = ncols;
	t->head = calloc(ncols, sizeof(char *));
	if (!t->id || !t->title || !t->head)
		return NULL;
	return t;
}

int vmb_rep_cell(struct vmb_report_table *t, long row, size_t col, const char *fmt, ...)
{
	char *s;
	va_list ap;

	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	char **slot = row < 0 ? &t->head[col] : &t->cells[(size_t)row * t->ncols + col];
	free(*slot);
	*slot = s;
	return 0;
}

long vmb_rep_row_add(struct vmb_report_table *t)
{
	char **grown = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
	if (!grown)
		return -1;
	t->cells = grown;
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = NULL;
	return (long)t->nrows++;
}

int vmb_rep_table_finish(struct vmb_report_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		if (!t->cells[i] && !(t->cells[i] = strdup("")))
			return -1;
	for (size_t i = 0; i < t->ncols; i++)
		if (!t->head[i] && !(t->head[i] = strdup("")))
			return -1;
	return 0;
}

static int host_table(struct vmb_report *rep)
{
	static const char *const rows[] = {"run id",  "file",     "status",   "started",
	                                   "vmbench", "hostname", "CPU",      "cores / PUs",
	                                   "kernel",  "cgroup",   "emulated", "baseline",
	                                   "reps",    "seed",     "scale",    "command"};
	struct vmb_report_table *t = vmb_rep_table_new(rep, "host", "Host and run", rep->nruns + 1);

	if (!t || vmb_rep_cell(t, -1, 0, "%s", ""))
		return -1;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		long r = vmb_rep_row_add(t);
		if (r < 0 || vmb_rep_cell(t, r, 0, "%s", rows[i]))
			return -1;
	}
	for (size_t k = 0; k < rep->nruns; k++) {
		json_t *root = rep->runs[k].root, *host = json_object_get(root, "host");
		json_t *cfg = json_object_get(root, "config"),
		       *topo = json_object_get(host, "topology");
		json_t *kern = json_object_get(host, "kernel"), *v;
		const char *vals[16] = {
		        vmb_rep_str(root, "run_id"),
		        rep->runs[k].path,
		        vmb_rep_str(root, "status"),
		        vmb_rep_str(root, "started_at"),
		        vmb_rep_str(json_object_get(root, "vmbench"), "version"),
		        vmb_rep_str(host, "hostname"),
		        vmb_rep_str(host, "cpu_model"),
		        NULL,
		        vmb_rep_str(kern, "release"),
		        vmb_rep_str(json_object_get(host, "cgroup"), "mode"),
		        json_is_true(json_object_get(json_object_get(host, "virtualization"),
		                                     "emulated"))
		                ? "yes: every figure is emulated"
		                : "no",
		        vmb_rep_str(cfg, "baseline"),
		};
		size_t i;
		vmb_rep_cell(t, -1, k + 1, "%s", rep->runs[k].label);
		for (i = 0; i < 12; i++)
			if (vals[i] && vmb_rep_cell(t, (long)i, k + 1, "%s", vals[i]))
				return -1;
		vmb_rep_cell(t, 7, k + 1, "%lld / %lld",
		             json_integer_value(json_object_get(topo, "cores")),
		             json_integer_value(json_object_get(topo, "pus")));
		vmb_rep_cell(t, 12, k + 1, "%lld",
		             json_integer_value(json_object_get(cfg, "reps")));
		vmb_rep_cell(t, 13, k + 1, "%lld",
		             json_integer_value(json_object_get(cfg, "seed")));
		vmb_rep_cell(t, 14, k + 1, "%g", json_number_value(json_object_get(cfg, "scale")));
		char cmd[1024] = "";
		json_array_foreach(json_object_get(root, "command_line"), i, v)
		        snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", i ? " " : "",
		                 json_string_value(v) ? json_string_value(v) : "");
		vmb_rep_cell(t, 15, k + 1, "%s", cmd);
	}
	return vmb_rep_table_finish(t);
}

/* Where a case goes among its workload's others: by instances, then no
 * neighbours, alone, idle ones, busy ones (cpu, mem...), then by count. */
static long long variant_rank(json_t *c, int which)
{
	const char *load = vmb_rep_str(json_object_get(c, "neighbours"), "load");
	long long k = vmb_rep_neighbours(c);

	if (which == 0)
		return vmb_rep_instances(c);
	if (which == 1)
		return k < 0 ? 0 : k == 0 ? 1 : load && strcmp(load, "idle") == 0 ? 2 : 3;
	return k;
}

static int variant_cmp(json_t *a, json_t *b)
{
	for (int which = 0; which < 3; which++) {
		long long x = variant_rank(a, which), y = variant_rank(b, which);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

const char **vmb_rep_workloads(const struct vmb_report *rep, const char *suite, size_t *n)
{
	size_t cap = 0;
	for (size_t r = 0; r < rep->nruns; r++)
		cap += json_array_size(json_object_get(rep->runs[r].root, "cases"));
	const char **w = calloc(cap + 1, sizeof(char *));
	json_t **first = calloc(cap + 1, sizeof(json_t *)); /* each label's first case */
	size_t *order = calloc(cap + 1, sizeof(size_t));    /* its workload's first-seen rank */
	size_t nworkloads = 0;

	*n = 0;
	for (size_t r = 0; w && first && order && r < rep->nruns; r++) {
		json_t *c;
		size_t i;
		json_array_foreach(json_object_get(rep->runs[r].root, "cases"), i, c)
		{
			const char *s = vmb_rep_str(c, "suite"), *name = vmb_rep_str(c, "workload");
			char buf[256];
			size_t k = 0, o = 0;
			if (!s || !name || strcmp(s, suite) != 0)
				continue;
			const char *label = json_string_value(
			        json_object_get(rep->labels, vmb_case_label(c, buf, sizeof(buf))));
			while (k < *n && strcmp(w[k], label ? label : "") != 0)
				k++;
			if (!label || k < *n)
				continue;
			while (o < *n && strcmp(vmb_rep_str(first[o], "workload"), name) != 0)
				o++;
			order[k] = o < *n ? order[o] : nworkloads++;
			first[k] = c;
			w[(*n)++] = label;
		}
	}
	/* stable: workloads as first seen, a workload's cases by N, neighbours */
	for (size_t i = 1; w && first && order && i < *n; i++)
		for (size_t j = i; j > 0 && (order[j] < order[j - 1] ||
		                             (order[j] == order[j - 1] &&
		                              variant_cmp(first[j], first[j - 1]) < 0));
		     j--) {
			const char *t = w[j];
			json_t *tc = first[j];
			size_t to = order[j];
			w[j] = w[j - 1], first[j] = first[j - 1], order[j] = order[j - 1];
			w[j - 1] = t, first[j - 1] = tc, order[j - 1] = to;
		}
	if (!first || !order) {
		free(w);
		w = NULL;
	}
	free(first);
	free(order);
	return w;
}

const char *vmb_rep_headline(const struct vmb_report *rep, const char *label)
{
	for (size_t s = 0; s < rep->nseries; s++) {
		const char *h = vmb_rep_str(vmb_report_case(rep, s, label), "headline");
		if (h)
			return h;
	}
	return NULL;
}

/* Columns: workload, figure, each series' median [CI], then each series'
 * overhead against its run's baseline runner (the baseline's own omitted). */
/* " (a copy on each of N cores)" for a workload run as N copies (--cores),
 * else "": the figure is then the copies' together. */
static const char *copies(const struct vmb_report *rep, const char *workload)
{
	static char buf[64];

	buf[0] = '\0';
	for (size_t s = 0; s < rep->nseries && !buf[0]; s++) {
		json_int_t n = json_integer_value(
		        json_object_get(vmb_report_case(rep, s, workload), "threads"));
		if (n > 1)
			snprintf(buf, sizeof(buf), " (a copy on each of %lld cores)", (long long)n);
	}
	return buf;
}

void vmb_rep_median_cell(struct vmb_report_table *t, long r, size_t col, json_t *a, double div)
{
	json_t *ci = json_object_get(a, "ci95_median");
	double m = json_number_value(json_object_get(a, "median")) / div;

	if (json_is_number(json_array_get(ci, 0)) && json_is_number(json_array_get(ci, 1)))
		vmb_rep_cell(t, r, col, "%.4g [%.4g, %.4g]", m,
		             json_number_value(json_array_get(ci, 0)) / div,
		             json_number_value(json_array_get(ci, 1)) / div);
	else
		vmb_rep_cell(t, r, col, "%.4g [no interval]", m);
}

static int suite_table(struct vmb_report *rep, const char *suite)
{
	size_t nw, nratio = 0;
	const char **ws = vmb_rep_workloads(rep, suite, &nw);
	char id[128], title[160];

	for (size_t s = 0; s < rep->nseries; s++) {
		const char *b = vmb_rep_str(
		        json_object_get(rep->runs[rep->series[s].run].root, "config"), "baseline");
		nratio += !b || strcmp(b, rep->series[s].runner) != 0;
	}
	snprintf(id, sizeof(id), "suite-%s", suite);
	snprintf(title, sizeof(title), "Suite %s", suite);
	struct vmb_report_table *t = vmb_rep_table_new(rep, id, title, 2 + rep->nseries + nratio);
	if (!ws || !t) {
		free(ws);
		return -1;
	}
	t->note = strdup("median of each case's headline figure [95% bootstrap interval]; "
	                 "x baseline: the figure as a multiple of the run's baseline runner's, "
	                 "above 1 costs more");
	vmb_rep_cell(t, -1, 0, "workload");
	vmb_rep_cell(t, -1, 1, "figure");
	for (size_t s = 0, col = 2 + rep->nseries; s < rep->nseries; s++) {
		const char *b = vmb_rep_str(
		        json_object_get(rep->runs[rep->series[s].run].root, "config"), "baseline");
		vmb_rep_cell(t, -1, 2 + s, "%s", rep->series[s].name);
		if (!b || strcmp(b, rep->series[s].runner) != 0)
			vmb_rep_cell(t, -1, col++, "%s x %s", rep->series[s].name,
			             b ? b : "baseline");
	}
	for (size_t w = 0; w < nw; w++) {
		const char *metric = vmb_rep_headline(rep, ws[w]), *unit = "";
		long r = vmb_rep_row_add(t);
		if (r < 0 || vmb_rep_cell(t, r, 0, "%s%s", ws[w], copies(rep, ws[w])))
			goto fail;
		/* one unit for the row, the one that suits its first median */
		double typical = NAN, div = 1;
		const char *in_unit = NULL;
		for (size_t s = 0; s < rep->nseries && !isfinite(typical); s++) {
			json_t *a = json_object_get(
			        json_object_get(vmb_report_case(rep, s, ws[w]), "aggregates"),
			        metric);
			if (json_is_number(json_object_get(a, "median"))) {
				typical = json_number_value(json_object_get(a, "median"));
				in_unit = vmb_rep_str(a, "unit");
			}
		}
		if (!in_unit) /* no series measured it: the unit it is declared in */
			in_unit = vmb_rep_str(
			        json_object_get(json_object_get(rep->runs[0].root, "metrics"),
			                        metric ? metric : ""),
			        "unit");
		div = vmb_rep_time_divisor(typical, in_unit, &unit);
		for (size_t s = 0, col = 2 + rep->nseries; s < rep->nseries; s++) {
			json_t *c = vmb_report_case(rep, s, ws[w]);
			json_t *a = json_object_get(json_object_get(c, "aggregates"), metric);
			const char *st = vmb_rep_str(c, "status");
			const char *b = vmb_rep_str(
			        json_object_get(rep->runs[rep->series[s].run].root, "config"),
			        "baseline");
			bool is_base = b && strcmp(b, rep->series[s].runner) == 0;
			struct vmb_ratio q;
			if (!c)
				vmb_rep_cell(t, r, 2 + s, "-");
			else if (!json_is_number(json_object_get(a, "median")))
				vmb_rep_cell(t, r, 2 + s, "%s", st ? st : "no samples");
			else
				vmb_rep_median_cell(t, r, 2 + s, a, div);
			if (is_base)
				continue;
			if (c && metric &&
			    vmb_rep_ratio(rep, rep->series[s].run, c, metric, &q) == 0)
				vmb_rep_cell(t, r, col, "%.3f [%.3f, %.3f]", q.ratio, q.lo, q.hi);
			else
				vmb_rep_cell(t, r, col, "-");
			col++;
		}
		char fig[160];
		vmb_rep_figure(metric, unit, fig, sizeof(fig));
		vmb_rep_cell(t, r, 1, "%s", fig);
	}
	free(ws);
	return vmb_rep_table_finish(t);
fail:
	free(ws);
	return -1;
}

static int phases_table(struct vmb_report *rep)
{
	struct vmb_report_table *t = vmb_rep_table_new(rep, "phases", "Start-up phases", 4);

	if (!t)
		return -1;
	t->note = strdup("median time from the phase before (the first: from the instance's "
	                 "start), over every counted sample of the runner");
	vmb_rep_cell(t, -1, 0, "series");
	vmb_rep_cell(t, -1, 1, "phase");
	vmb_rep_cell(t, -1, 2, "interval (ms)");
	vmb_rep_cell(t, -1, 3, "since start (ms)");
	for (size_t s = 0; s < rep->nseries; s++) {
		double sum = 0;
		for (size_t k = 0; k < rep->series[s].nphases; k++) {
			long r = vmb_rep_row_add(t);
			sum += rep->series[s].phase_ms[k];
			if (r < 0 || vmb_rep_cell(t, r, 0, "%s", rep->series[s].name) ||
			    vmb_rep_cell(t, r, 1, "%s", rep->series[s].phase[k]) ||
			    vmb_rep_cell(t, r, 2, "%.3f", rep->series[s].phase_ms[k]) ||
			    vmb_rep_cell(t, r, 3, "%.3f", sum))
				return -1;
		}
	}
	return vmb_rep_table_finish(t);
}

/* Skipped and failed cases with their reasons, and the run's own list of
 * what it did not measure (counters, runners). */
static int missing_table(struct vmb_report *rep)
{
	struct vmb_report_table *t =
	        vmb_rep_table_new(rep, "unavailable", "Unavailable, skipped and failed", 4);

	if (!t)
		return -1;
	vmb_rep_cell(t, -1, 0, "run");
	vmb_rep_cell(t, -1, 1, "what");
	vmb_rep_cell(t, -1, 2, "status");
	vmb_rep_cell(t, -1, 3, "reason");
	for (size_t k = 0; k < rep->nruns; k++) {
		json_t *root = rep->runs[k].root, *c;
		size_t i;
		json_array_foreach(json_object_get(root, "cases"), i, c)
		{
			const char *st = vmb_rep_str(c, "status");
			if (st && strcmp(st, "ok") == 0)
				continue;
			long r = vmb_rep_row_add(t);
			if (r < 0)
				return -1;
			char label[256];
			vmb_rep_cell(t, r, 0, "%s", rep->runs[k].label);
			vmb_rep_cell(t, r, 1, "%s on %s", vmb_case_label(c, label, sizeof(label)),
			             vmb_rep_str(c, "runner"));
			vmb_rep_cell(t, r, 2, "%s", st ? st : "?");
			vmb_rep_cell(t, r, 3, "%s",
			             vmb_rep_str(c, "reason") ? vmb_rep_str(c, "reason") : "");
		}
		json_array_foreach(json_object_get(root, "not_measured"), i, c)
		{
			long r = vmb_rep_row_add(t);
			if (r < 0)
				return -1;
			vmb_rep_cell(t, r, 0, "%s", rep->runs[k].label);
			vmb_rep_cell(t, r, 1, "%s",
			             vmb_rep_str(c, "what") ? vmb_rep_str(c, "what") : "?");
			vmb_rep_cell(t, r, 2, "unavailable");
			vmb_rep_cell(t, r, 3, "%s",
			             vmb_rep_str(c, "why") ? vmb_rep_str(c, "why") : "");
		}
	}
	return vmb_rep_table_finish(t);
}

/* Why a figure may not be trustworthy: each case's noise warnings (its
 * spread, the host's load, steal), as the run recorded them; no table when
 * there are none. */
static int warnings_table(struct vmb_report *rep)
{
	size_t any = 0;

	for (size_t k = 0; k < rep->nruns; k++) {
		json_t *c;
		size_t i;
		json_array_foreach(json_object_get(rep->runs[k].root, "cases"), i, c) any +=
		        json_array_size(json_object_get(c, "warnings"));
	}
	if (!any)
		return 0;
	struct vmb_report_table *t = vmb_rep_table_new(rep, "warnings", "Noise warnings", 3);
	if (!t)
		return -1;
	vmb_rep_cell(t, -1, 0, "run");
	vmb_rep_cell(t, -1, 1, "case");
	vmb_rep_cell(t, -1, 2, "warning");
	for (size_t k = 0; k < rep->nruns; k++) {
		json_t *c, *w;
		size_t i, j;
		json_array_foreach(json_object_get(rep->runs[k].root, "cases"), i, c)
		{
			json_array_foreach(json_object_get(c, "warnings"), j, w)
			{
				long r = vmb_rep_row_add(t);
				char label[256];
				if (r < 0)
					return -1;
				vmb_rep_cell(t, r, 0, "%s", rep->runs[k].label);
				vmb_rep_cell(t, r, 1, "%s on %s",
				             vmb_case_label(c, label, sizeof(label)),
				             vmb_rep_str(c, "runner"));
				vmb_rep_cell(t, r, 2, "%s",
				             json_string_value(w) ? json_string_value(w) : "");
			}
		}
	}
	return vmb_rep_table_finish(t);
}

/* Whether a core figure is one derived from the hardware counters (IPC and
 * per-operation counts): the tables show them beside the workload's own. */
static bool from_counters(const char *owner, const char *name)
{
	static const char *const derived[] = {"ipc",
	                                      "cycles_per_op",
	                                      "branch_misses_per_op",
	                                      "l1d_misses_per_op",
	                                      "llc_misses_per_op",
	                                      "dtlb_misses_per_op",
	                                      NULL};

	if (strcmp(owner, "core") != 0)
		return false;
	for (const char *const *d = derived; *d; d++)
		if (strcmp(*d, name) == 0)
			return true;
	return false;
}

/* Every figure the suite's workloads declare of their own (their
 * percentiles, IOPS, curves' points aside), beyond the headline: one row a
 * figure, one column a series, the median and its interval. None: no table. */
static int figures_table(struct vmb_report *rep, const char *suite)
{
	size_t nw;
	const char **ws = vmb_rep_workloads(rep, suite, &nw);
	json_t *decls = json_object_get(rep->runs[0].root, "metrics");
	struct vmb_report_table *t = NULL;
	char id[128], title[160];

	if (!ws)
		return -1;
	for (size_t w = 0; w < nw; w++) {
		const char *name, *workload = NULL;
		json_t *decl, *any = NULL;
		for (size_t s = 0; s < rep->nseries && !any; s++)
			any = vmb_report_case(rep, s, ws[w]);
		workload = vmb_rep_str(any, "workload");
		/* a density point's figures are the Density table's columns */
		if (!workload || vmb_rep_instances(any) > 0)
			continue;
		json_object_foreach(decls, name, decl)
		{
			const char *owner = vmb_rep_str(decl, "owner"), *unit = "";
			if (!owner || (strcmp(owner, workload) != 0 && !from_counters(owner, name)))
				continue;
			double typical = NAN;
			for (size_t s = 0; s < rep->nseries && !isfinite(typical); s++) {
				json_t *a = json_object_get(
				        json_object_get(vmb_report_case(rep, s, ws[w]),
				                        "aggregates"),
				        name);
				if (json_is_number(json_object_get(a, "median")))
					typical = json_number_value(json_object_get(a, "median"));
			}
			if (!isfinite(typical))
				continue;
			if (!t) {
				snprintf(id, sizeof(id), "figures-%s", suite);
				snprintf(title, sizeof(title),
				         "Suite %s: the workloads' own figures and counters",
				         suite);
				t = vmb_rep_table_new(rep, id, title, 2 + rep->nseries);
				if (!t)
					goto fail;
				t->note =
				        strdup("median [95% bootstrap interval] of every figure a "
				               "workload declares; lower or higher is better as "
				               "marked");
				vmb_rep_cell(t, -1, 0, "workload");
				vmb_rep_cell(t, -1, 1, "figure");
				for (size_t s = 0; s < rep->nseries; s++)
					vmb_rep_cell(t, -1, 2 + s, "%s", rep->series[s].name);
			}
			double div =
			        vmb_rep_time_divisor(typical, vmb_rep_str(decl, "unit"), &unit);
			long r = vmb_rep_row_add(t);
			char fig[200], shown[160];
			vmb_rep_figure(name, unit, shown, sizeof(shown));
			snprintf(fig, sizeof(fig), "%s, %s is better", shown,
			         vmb_rep_str(decl, "better") ? vmb_rep_str(decl, "better") : "?");
			if (r < 0 || vmb_rep_cell(t, r, 0, "%s%s", ws[w], copies(rep, ws[w])) ||
			    vmb_rep_cell(t, r, 1, "%s", fig))
				goto fail;
			for (size_t s = 0; s < rep->nseries; s++) {
				json_t *a = json_object_get(
				        json_object_get(vmb_report_case(rep, s, ws[w]),
				                        "aggregates"),
				        name);
				if (!json_is_number(json_object_get(a, "median")))
					vmb_rep_cell(t, r, 2 + s, "-");
				else
					vmb_rep_median_cell(t, r, 2 + s, a, div);
			}
		}
	}
	free(ws);
	return t ? vmb_rep_table_finish(t) : 0;
fail:
	free(ws);
	return -1;
}

int vmb_rep_tables(struct vmb_report *rep)
{
	if (host_table(rep) < 0)
		return -1;
	for (size_t i = 0; i < rep->nsuites; i++)
		if (suite_table(rep, rep->suites[i]) < 0 || figures_table(rep, rep->suites[i]) < 0)
			return -1;
	if (vmb_rep_density_tables(rep) < 0 || phases_table(rep) < 0 || missing_table(rep) < 0 ||
	    warnings_table(rep) < 0)
		return -1;
	return 0;
}

void vmb_rep_tables_free(struct vmb_report *rep)
{
	for (size_t i = 0; i < rep->ntables; i++) {
		struct vmb_report_table *t = &rep->tables[i];
		for (size_t k = 0; t->cells && k < t->nrows * t->ncols; k++)
			free(t->cells[k]);
		for (size_t k = 0; t->head && k < t->ncols; k++)
			free(t->head[k]);
		free(t->cells);
		free(t->head);
		free(t->id);
		free(t->title);
		free(t->note);
	}
	free(rep->tables);
	rep->tables = NULL;
	rep->ntables = 0;
}
