/* report.c: the model behind `vmbench report`: the runs loaded, their series in one fixed
 * order and colour, start-up phases, and one data row per case and figure. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmbench/report.h"
#include "vmbench/results.h"
#include "vmbench/stats.h"

/* Runners in the order every table and chart shows them, with their colours
 * (Okabe-Ito: told apart by colour-blind readers and in grey print). */
static const struct {
	const char *runner, *color;
} known[] = {{"native", "#0072B2"}, {"container", "#E69F00"}, {"vm", "#009E73"}};
static const char *const spare[] = {"#CC79A7", "#D55E00", "#56B4E9", "#000000"};

const char *vmb_rep_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A run directory, a results.json (its directory is read, journal and all)
 * or another file of results. The file is input: every failure is a usage
 * error that names it. */
static int runner_rank(const char *r)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i].runner, r) == 0)
			return (int)i;
	return (int)(sizeof(known) / sizeof(known[0]));
}

/* Every runner of every run once, known ones first, then as first seen. */
static size_t all_runners(const struct vmb_report *rep, const char **out, size_t cap)
{
	size_t n = 0;

	for (size_t r = 0; r < rep->nruns; r++) {
		json_t *c;
		size_t i;
		json_array_foreach(json_object_get(rep->runs[r].root, "cases"), i, c)
		{
			const char *name = vmb_rep_str(c, "runner");
			size_t k = 0;
			while (name && k < n && strcmp(out[k], name) != 0)
				k++;
			if (name && k == n && n < cap)
				out[n++] = name;
		}
	}
	for (size_t i = 1; i < n; i++) /* stable insertion sort by rank */
		for (size_t j = i; j > 0 && runner_rank(out[j]) < runner_rank(out[j - 1]); j--) {
			const char *t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static bool run_has_runner(json_t *root, const char *runner)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		const char *r = vmb_rep_str(c, "runner");
		if (r && strcmp(r, runner) == 0)
			return true;
	}
	return false;
}

/* Whether root has a case whose headline is launch-to-ready (a start-up
 * workload): its phases are the start-up's own, with no workload inside. */
static bool has_startup(json_t *root)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		const char *h = vmb_rep_str(c, "headline");
		if (h && strcmp(h, "launch_to_ready_ns") == 0)
			return true;
	}
	return false;
}

/* The counted samples (not warm-ups, status ok) of every case of runner in
 * root, of the start-up workloads only when the run has any; borrowed;
 * returns how many (a malloc'd array, NULL when none). */
static json_t **counted(json_t *root, const char *runner, size_t *n)
{
	json_t **out = NULL, *c, *s;
	size_t i, k, cap = 0;
	bool startup = has_startup(root);

	*n = 0;
	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		const char *r = vmb_rep_str(c, "runner"), *h = vmb_rep_str(c, "headline");
		if (!r || strcmp(r, runner) != 0)
			continue;
		if (startup && (!h || strcmp(h, "launch_to_ready_ns") != 0))
			continue;
		/* instances started together, or beside busy neighbours, start
		 * slower by design: their phases are the density table's, not
		 * the runner's own start-up */
		if (vmb_rep_instances(c) > 1 || vmb_rep_neighbours(c) > 0)
			continue;
		json_array_foreach(json_object_get(c, "samples"), k, s)
		{
			const char *st = vmb_rep_str(s, "status");
			if (json_is_true(json_object_get(s, "warmup")) || !st ||
			    strcmp(st, "ok") != 0)
				continue;
			if (*n == cap) {
				json_t **grown = realloc(out, (cap * 2 + 16) * sizeof(*out));
				if (!grown)
					break;
				out = grown;
				cap = cap * 2 + 16;
			}
			out[(*n)++] = s;
		}
	}
	return out;
}

/* Phases in the order they happen (by median time since start), and each
 * one's median interval since the phase before it. */
static int series_phases(struct vmb_report_series *se, json_t *root)
{
	const char *names[64];
	double pos[64];
	size_t n = 0, cap;
	json_t **smp = counted(root, se->runner, &cap);

	for (size_t j = 0; j < cap; j++) {
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(smp[j], "phases"), k, v)
		{
			size_t i = 0;
			while (i < n && strcmp(names[i], k) != 0)
				i++;
			if (i == n && n < 64 && json_is_number(v))
				names[n++] = k;
		}
	}
	double *vals = n ? malloc((cap + 1) * sizeof(double)) : NULL;
	if (!vals) {
		free(smp);
		return n ? -1 : 0;
	}
	for (size_t i = 0; i < n; i++) {
		size_t m = 0;
		for (size_t j = 0; j < cap; j++) {
			json_t *v = json_object_get(json_object_get(smp[j], "phases"), names[i]);
			if (json_is_number(v))
				vals[m++] = json_number_value(v);
		}
		pos[i] = vmb_median(vals, m);
	}
	for (size_t i = 1; i < n; i++) /* sort the names by position */
		for (size_t j = i; j > 0 && pos[j] < pos[j - 1]; j--) {
			double t = pos[j];
			const char *tn = names[j];
			pos[j] = pos[j - 1], names[j] = names[j - 1];
			pos[j - 1] = t, names[j - 1] = tn;
		}
	se->phase = calloc(n, sizeof(char *));
	se->phase_ms = calloc(n, sizeof(double));
	if (!se->phase || !se->phase_ms) {
		free(vals);
		free(smp);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t m = 0;
		/* the median of each sample's own interval, not a difference of
		 * medians: a sample missing the earlier phase does not count */
		for (size_t j = 0; j < cap; j++) {
			json_t *p = json_object_get(smp[j], "phases");
			json_t *a = i ? json_object_get(p, names[i - 1]) : NULL;
			json_t *b = json_object_get(p, names[i]);
			if (json_is_number(b) && (i == 0 || json_is_number(a)))
				vals[m++] = json_number_value(b) - (a ? json_number_value(a) : 0);
		}
		se->phase[i] = strdup(names[i]);
		se->phase_ms[i] = m ? vmb_median(vals, m) / 1e6 : 0;
	}
	se->nphases = n;
	free(vals);
	free(smp);
	return 0;
}

static int build_series(struct vmb_report *rep)
{
	const char *runners[32];
	size_t nr = all_runners(rep, runners, 32), spares = 0;

	rep->series = calloc(nr * rep->nruns + 1, sizeof(*rep->series));
	if (!rep->series)
		return -1;
	for (size_t k = 0; k < nr; k++) {
		int rank = runner_rank(runners[k]);
		const char *color = rank < (int)(sizeof(known) / sizeof(known[0]))
		                            ? known[rank].color
		                            : spare[spares++ % (sizeof(spare) / sizeof(spare[0]))];
		/* runner-major: the same runner on two hosts stands side by side */
		for (size_t r = 0; r < rep->nruns; r++) {
			if (!run_has_runner(rep->runs[r].root, runners[k]))
				continue;
			struct vmb_report_series *se = &rep->series[rep->nseries++];
			char name[256];
			se->run = r;
			se->runner = runners[k];
			se->color = color;
			if (rep->nruns > 1)
				snprintf(name, sizeof(name), "%s %s", rep->runs[r].label,
				         runners[k]);
			else
				snprintf(name, sizeof(name), "%s", runners[k]);
			if (!(se->name = strdup(name)) || series_phases(se, rep->runs[r].root) < 0)
				return -1;
		}
	}
	return 0;
}

/* The case of root on runner labelled label, or NULL. */
static json_t *find_case(json_t *root, const char *runner, const char *label)
{
	json_t *c;
	size_t i;
	char buf[256];

	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		const char *r = vmb_rep_str(c, "runner");
		if (r && strcmp(r, runner) == 0 &&
		    strcmp(vmb_case_label(c, buf, sizeof(buf)), label) == 0)
			return c;
	}
	return NULL;
}

json_t *vmb_report_case(const struct vmb_report *rep, size_t s, const char *label)
{
	return find_case(rep->runs[rep->series[s].run].root, rep->series[s].runner, label);
}

double *vmb_report_samples(const struct vmb_report *rep, size_t s, const char *label,
                           const char *metric, double scale, size_t *n)
{
	json_t *c = vmb_report_case(rep, s, label);
	size_t cap = json_array_size(json_object_get(c, "samples"));
	double *v = cap ? malloc(cap * sizeof(double)) : NULL;

	*n = v ? vmb_case_series(c, metric, v, cap) : 0;
	for (size_t i = 0; i < *n; i++)
		v[i] /= scale;
	if (*n == 0) {
		free(v);
		return NULL;
	}
	return v;
}

int vmb_rep_ratio(const struct vmb_report *rep, size_t r, json_t *c, const char *metric,
                  struct vmb_ratio *out)
{
	json_t *root = rep->runs[r].root;
	const char *baseline = vmb_rep_str(json_object_get(root, "config"), "baseline");
	const char *better =
	        vmb_rep_str(json_object_get(json_object_get(root, "metrics"), metric), "better");
	char label[256];

	if (!baseline || !better)
		return -1;
	/* N instances against N, a victim beside busy neighbours against the
	 * baseline's victim beside as many */
	json_t *base = find_case(root, baseline, vmb_case_label(c, label, sizeof(label)));
	size_t nb = json_array_size(json_object_get(base, "samples"));
	size_t nx = json_array_size(json_object_get(c, "samples"));
	if (!base || base == c || nb < 2 || nx < 2)
		return -1;
	double *bv = malloc(nb * sizeof(double)), *xv = malloc(nx * sizeof(double));
	int rc = -1;
	if (bv && xv) {
		nb = vmb_case_series(base, metric, bv, nb);
		nx = vmb_case_series(c, metric, xv, nx);
		uint64_t seed = (uint64_t)json_integer_value(
		        json_object_get(json_object_get(root, "config"), "seed"));
		rc = vmb_overhead(bv, nb, xv, nx, strcmp(better, "higher") == 0, seed, out);
	}
	free(bv);
	free(xv);
	return rc;
}

static void set_num(json_t *o, const char *key, double v)
{
	json_object_set_new(o, key, isfinite(v) ? json_real(v) : json_null());
}

/* What tells a row's case from the workload's others on its runner: its
 * label, instances, neighbours and their load; and, for a victim beside
 * neighbours, the figure as a multiple of the victim alone. Absent (empty
 * in the CSV) where they do not apply. */
static void case_columns(const struct vmb_report *rep, size_t r, json_t *c, const char *metric,
                         json_t *row)
{
	char label[256];
	long long n = vmb_rep_instances(c), k = vmb_rep_neighbours(c);
	struct vmb_ratio q;
	bool plain;

	json_object_set_new(row, "case", json_string(vmb_case_label(c, label, sizeof(label))));
	if (n > 0)
		json_object_set_new(row, "instances", json_integer(n));
	if (k >= 0) {
		const char *load = vmb_rep_str(json_object_get(c, "neighbours"), "load");
		json_object_set_new(row, "neighbours", json_integer(k));
		if (k > 0 && load)
			json_object_set_new(row, "neighbour_load", json_string(load));
	}
	if (vmb_rep_alone_ratio(rep, r, c, metric, &q, &plain) == 0) {
		set_num(row, "x_alone", q.ratio);
		set_num(row, "x_alone_lo", q.lo);
		set_num(row, "x_alone_hi", q.hi);
	}
}

/* One row per case and aggregated figure, numbers at full precision: what
 * the CSV and JSON outputs hold, so that they can be read back exactly. */
static int build_rows(struct vmb_report *rep)
{
	rep->rows = json_array();
	for (size_t r = 0; r < rep->nruns && rep->rows; r++) {
		json_t *root = rep->runs[r].root, *c;
		size_t i;
		json_array_foreach(json_object_get(root, "cases"), i, c)
		{
			const char *metric;
			json_t *a;
			json_object_foreach(json_object_get(c, "aggregates"), metric, a)
			{
				struct vmb_ratio q;
				json_t *ci = json_object_get(a, "ci95_median");
				json_t *row = json_pack(
				        "{s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:s?, s:O?}", "run",
				        rep->runs[r].label, "suite", vmb_rep_str(c, "suite"),
				        "workload", vmb_rep_str(c, "workload"), "runner",
				        vmb_rep_str(c, "runner"), "status",
				        vmb_rep_str(c, "status"), "metric", metric, "unit",
				        vmb_rep_str(a, "unit"), "n", json_object_get(a, "n"));
				if (!row)
					return -1;
				set_num(row, "median",
				        json_number_value(json_object_get(a, "median")));
				set_num(row, "ci_lo",
				        json_is_number(json_array_get(ci, 0))
				                ? json_number_value(json_array_get(ci, 0))
				                : NAN);
				set_num(row, "ci_hi",
				        json_is_number(json_array_get(ci, 1))
				                ? json_number_value(json_array_get(ci, 1))
				                : NAN);
				bool ok = vmb_rep_ratio(rep, r, c, metric, &q) == 0;
				set_num(row, "ratio", ok ? q.ratio : NAN);
				set_num(row, "ratio_lo", ok ? q.lo : NAN);
				set_num(row, "ratio_hi", ok ? q.hi : NAN);
				case_columns(rep, r, c, metric, row);
				json_array_append_new(rep->rows, row);
			}
		}
	}
	return rep->rows ? 0 : -1;
}

/* The host's name (which 0) or kernel release (which 1) of run r, or NULL. */
static const char *host_key(const struct vmb_report *rep, size_t r, int which)
{
	json_t *host = json_object_get(rep->runs[r].root, "host");
	return which ? vmb_rep_str(json_object_get(host, "kernel"), "release")
	             : vmb_rep_str(host, "hostname");
}

/* Whether key `which` tells every run apart. */
static bool keys_differ(const struct vmb_report *rep, int which)
{
	for (size_t r = 0; r < rep->nruns; r++)
		for (size_t q = 0; q < r; q++) {
			const char *a = host_key(rep, r, which), *b = host_key(rep, q, which);
			if (!a || !b || strcmp(a, b) == 0)
				return false;
		}
	return true;
}

/* Short names that tell runs apart on a chart's axis and legend: the host
 * where every run has its own (two hosts), else the kernel (two kernels),
 * else the run id, else runN. The host table gives the rest. */
static int label_runs(struct vmb_report *rep)
{
	int by = rep->nruns < 2 ? -1 : keys_differ(rep, 0) ? 0 : keys_differ(rep, 1) ? 1 : -1;

	for (size_t r = 0; r < rep->nruns; r++) {
		json_t *root = rep->runs[r].root, *host = json_object_get(root, "host");
		const char *id = vmb_rep_str(root, "run_id");
		char buf[256];
		bool dup = false;
		for (size_t q = 0; q < rep->nruns; q++)
			if (q != r && id && vmb_rep_str(rep->runs[q].root, "run_id") &&
			    strcmp(id, vmb_rep_str(rep->runs[q].root, "run_id")) == 0)
				dup = true;
		if (by >= 0)
			snprintf(buf, sizeof(buf), "%s", host_key(rep, r, by));
		else if (dup || !id)
			snprintf(buf, sizeof(buf), "run%zu", r + 1);
		else
			snprintf(buf, sizeof(buf), "%s", id);
		if (!(rep->runs[r].label = strdup(buf)))
			return -1;
		if (json_is_true(
		            json_object_get(json_object_get(host, "virtualization"), "emulated")))
			rep->emulated = true;
	}
	return 0;
}

/* The suites in first-seen order, and every case's label interned in
 * rep->labels, so that the tables may borrow it. */
static int add_suites(struct vmb_report *rep)
{
	if (!(rep->labels = json_object()))
		return -1;
	for (size_t r = 0; r < rep->nruns; r++) {
		json_t *c;
		size_t i;
		json_array_foreach(json_object_get(rep->runs[r].root, "cases"), i, c)
		{
			const char *s = vmb_rep_str(c, "suite");
			char label[256];
			/* set only once: replacing a key would free what is borrowed */
			if (!json_object_get(rep->labels,
			                     vmb_case_label(c, label, sizeof(label))) &&
			    json_object_set_new(rep->labels, label, json_string(label)) < 0)
				return -1;
			size_t k = 0;
			while (s && k < rep->nsuites && strcmp(rep->suites[k], s) != 0)
				k++;
			if (s && k == rep->nsuites)
				rep->suites[rep->nsuites++] = strdup(s);
		}
	}
	return 0;
}

int vmb_report_load(struct vmb_report *rep, json_t *const *roots, char *const *paths, size_t n,
                    struct vmb_error *err)
{
	size_t ncases = 0;

	memset(rep, 0, sizeof(*rep));
	rep->runs = calloc(n + 1, sizeof(*rep->runs));
	if (!rep->runs)
		return vmb_error_sys(err, ENOMEM, "report");
	for (size_t i = 0; i < n; i++) {
		rep->runs[rep->nruns].root = json_incref(roots[i]);
		rep->runs[rep->nruns++].path = strdup(paths[i]);
		ncases += json_array_size(json_object_get(roots[i], "cases"));
	}
	rep->suites = calloc(ncases + 1, sizeof(char *));
	if (!rep->suites || label_runs(rep) < 0 || build_series(rep) < 0 || build_rows(rep) < 0 ||
	    add_suites(rep) < 0) {
		vmb_report_free(rep);
		return vmb_error_sys(err, ENOMEM, "report");
	}
	if (vmb_rep_tables(rep) < 0) {
		vmb_report_free(rep);
		return vmb_error_sys(err, ENOMEM, "report");
	}
	return 0;
}

void vmb_report_free(struct vmb_report *rep)
{
	for (size_t i = 0; i < rep->nruns; i++) {
		json_decref(rep->runs[i].root);
		free(rep->runs[i].path);
		free(rep->runs[i].label);
	}
	free(rep->runs);
	for (size_t i = 0; i < rep->nseries; i++) {
		for (size_t k = 0; k < rep->series[i].nphases; k++)
			free(rep->series[i].phase[k]);
		free(rep->series[i].phase);
		free(rep->series[i].phase_ms);
		free(rep->series[i].name);
	}
	free(rep->series);
	for (size_t i = 0; i < rep->nsuites; i++)
		free(rep->suites[i]);
	free(rep->suites);
	vmb_rep_tables_free(rep);
	json_decref(rep->rows);
	json_decref(rep->labels);
	for (size_t i = 0; i < rep->ncharts; i++) {
		free(rep->charts[i].name);
		free(rep->charts[i].title);
	}
	free(rep->charts);
	free(rep->charts_note);
	memset(rep, 0, sizeof(*rep));
}
