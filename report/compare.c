/* compare.c: the regression gate: merges each side's runs, tests every case and metric
 * in both, and gives verdicts with a noise guard (the test: ranktest.c; the printing:
 * compare_print.c). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/compare.h"
#include "vmbench/results.h"
#include "vmbench/stats.h"
#include "vmbench/util.h"

const char *vmb_verdict_name(enum vmb_verdict v)
{
	switch (v) {
	case VMB_VERDICT_IMPROVED:
		return "improved";
	case VMB_VERDICT_REGRESSED:
		return "regressed";
	case VMB_VERDICT_SUSPECT:
		return "suspect";
	case VMB_VERDICT_NOT_COMPARABLE:
		return "not comparable";
	case VMB_VERDICT_UNCHANGED:
	default:
		return "unchanged";
	}
}

enum vmb_verdict vmb_compare_verdict(double ratio, double p, double alpha, double threshold_pct)
{
	if (!isfinite(ratio) || !(ratio > 0) || isnan(p))
		return VMB_VERDICT_NOT_COMPARABLE;
	/* both at once: significance alone flags a 0.1% change in quiet data,
	 * a large change alone flags noise in loud data */
	if (!(p < alpha))
		return VMB_VERDICT_UNCHANGED;
	double change = (ratio - 1) * 100;
	if (change > threshold_pct)
		return VMB_VERDICT_REGRESSED;
	if (change < -threshold_pct)
		return VMB_VERDICT_IMPROVED;
	return VMB_VERDICT_UNCHANGED;
}

void vmb_compare_opts_init(struct vmb_compare_opts *o)
{
	*o = (struct vmb_compare_opts){
	        .threshold_pct = 5, .alpha = 0.01, .large_factor = 3, .seed = 1};
}

json_t *vmb_thresholds_load(const char *path, struct vmb_error *err)
{
	FILE *f = fopen(path, "re");
	char line[512];
	unsigned no = 0;
	json_t *out;

	if (!f) {
		vmb_error_set(err, VMB_ERR_USAGE, "%s: %s", path, strerror(errno));
		return NULL;
	}
	out = json_object();
	while (fgets(line, sizeof(line), f)) {
		char name[128] = "", pct[64] = "", rest[2];
		no++;
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		int k = sscanf(s, "%127s %63s %1s", name, pct, rest);
		size_t len = strlen(pct);
		double v;
		char *end;
		if (k == 2 && len > 1 && pct[len - 1] == '%')
			pct[len - 1] = '\0';
		if (k == 2) {
			errno = 0;
			v = strtod(pct, &end);
		}
		if (k != 2 || *end || errno || !(v >= 0 && v <= 1000)) {
			vmb_error_set(err, VMB_ERR_USAGE,
			              "%s:%u: expected \"METRIC PERCENT\" with PERCENT in 0..1000",
			              path, no);
			goto fail;
		}
		if (json_object_get(out, name)) {
			vmb_error_set(err, VMB_ERR_USAGE, "%s:%u: %s given twice", path, no, name);
			goto fail;
		}
		json_object_set_new(out, name, json_real(v));
	}
	if (ferror(f)) {
		vmb_error_set(err, VMB_ERR_USAGE, "%s: cannot be read", path);
		goto fail;
	}
	fclose(f);
	return out;
fail:
	fclose(f);
	json_decref(out);
	return NULL;
}

/* What sets a case apart from its workload's others beyond its params: a
 * density point's instances and start rate, a victim's neighbours (count,
 * load, workload). NULL for any other case (new reference). */
static json_t *crowd_of(json_t *c)
{
	json_t *d = json_object_get(c, "density"), *nb = json_object_get(c, "neighbours");
	json_t *out = NULL;

	if (json_is_object(d) || json_is_object(nb))
		out = json_pack("{s:O*, s:O*, s:O*}", "instances", json_object_get(d, "instances"),
		                "rate_per_s", json_object_get(d, "rate_per_s"), "neighbours",
		                json_is_object(nb) ? nb : NULL);
	return out;
}

/* A case's identity across runs: the same workload, runner and params, less
 * the params named in ignore (NULL-terminated, or NULL), and the same
 * instances and neighbours (N = 4 is compared with N = 4 alone). */
static char *case_key(json_t *c, const char *const *ignore)
{
	json_t *p = json_deep_copy(json_object_get(c, "params")), *crowd = crowd_of(c);
	char *key = NULL;

	for (const char *const *i = ignore; i && *i; i++)
		json_object_del(p, *i);
	char *params = json_dumps(p, JSON_SORT_KEYS | JSON_COMPACT);
	char *more = crowd ? json_dumps(crowd, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	if (asprintf(&key, "%s\x1f%s\x1f%s\x1f%s",
	             json_string_value(json_object_get(c, "workload")),
	             json_string_value(json_object_get(c, "runner")), params ? params : "{}",
	             more ? more : "") < 0)
		key = NULL;
	free(params);
	free(more);
	json_decref(p);
	json_decref(crowd);
	return key;
}

/* Copies c's density and neighbours (what crowd_of keys on) into o, so that
 * rows and lists name the case as the report does ("hold x8"). */
static void copy_crowd(json_t *o, json_t *c)
{
	json_t *d = json_object_get(c, "density"), *nb = json_object_get(c, "neighbours");

	if (json_is_object(d))
		json_object_set_new(o, "density",
		                    json_pack("{s:O*, s:O*}", "instances",
		                              json_object_get(d, "instances"), "rate_per_s",
		                              json_object_get(d, "rate_per_s")));
	if (json_is_object(nb))
		json_object_set(o, "neighbours", nb);
}

/* One side's cases, keyed as case_key: the first file's case with the
 * samples of every file's same case after its own (the interleaved rounds
 * of tools/gate). `order` lists the keys as first seen. */
static int merge_side(json_t *const *roots, size_t n, const char *const *ignore, json_t *merged,
                      json_t *order)
{
	for (size_t f = 0; f < n; f++) {
		size_t i;
		json_t *c;
		json_array_foreach(json_object_get(roots[f], "cases"), i, c)
		{
			char *key = case_key(c, ignore);
			if (!key)
				return -1;
			json_t *m = json_object_get(merged, key);
			if (!m) {
				m = json_pack("{s:O, s:O, s:O*, s:O*, s:O*, s:[]}", "workload",
				              json_object_get(c, "workload"), "runner",
				              json_object_get(c, "runner"), "params",
				              json_object_get(c, "params"), "headline",
				              json_object_get(c, "headline"), "status",
				              json_object_get(c, "status"), "samples");
				if (!m) {
					free(key);
					return -1;
				}
				copy_crowd(m, c);
				json_object_set_new(merged, key, m);
				json_array_append_new(order, json_string(key));
			}
			free(key);
			json_t *samples = json_object_get(c, "samples");
			if (json_is_array(samples))
				json_array_extend(json_object_get(m, "samples"), samples);
		}
	}
	return 0;
}

static const char *host_str(json_t *root, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(root, "host"), a);

	if (b)
		v = json_object_get(v, b);
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return json_is_string(v) ? json_string_value(v) : "(none)";
}

/* Notes for every file whose host differs from the first base file's in what
 * changes figures: the machine, its kernel, its cgroup mode, emulation. */
static void host_notes(json_t *const *roots, const char *const *names, size_t n, json_t *ref,
                       const char *ref_name, json_t *notes)
{
	static const struct {
		const char *a, *b, *what;
	} keys[] = {{"hostname", NULL, "hosts"},
	            {"cpu_model", NULL, "CPU models"},
	            {"kernel", "release", "kernels"},
	            {"cgroup", "mode", "cgroup modes"},
	            {"virtualization", "emulated", "emulation"}};

	for (size_t f = 0; f < n; f++) {
		if (roots[f] == ref)
			continue;
		for (size_t k = 0; k < VMB_ARRAY_SIZE(keys); k++) {
			const char *x = host_str(ref, keys[k].a, keys[k].b);
			const char *y = host_str(roots[f], keys[k].a, keys[k].b);
			if (strcmp(x, y) != 0)
				json_array_append_new(
				        notes,
				        json_sprintf("different %s: %s has %s, %s has %s",
				                     keys[k].what, ref_name, x, names[f], y));
		}
	}
}

/* Notes for every run that did not end complete (interrupted, failed). */
static void status_notes(json_t *const *roots, const char *const *names, size_t n, json_t *notes)
{
	for (size_t f = 0; f < n; f++) {
		const char *st = json_string_value(json_object_get(roots[f], "status"));
		if (st && strcmp(st, "complete") != 0)
			json_array_append_new(
			        notes, json_sprintf("%s: run status %s; only its ok samples are "
			                            "compared",
			                            names[f], st));
	}
}

static json_t *num(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

/* One row: case bc of base against nc of new on metric. */
static json_t *compare_row(json_t *bc, json_t *nc, const char *metric, json_t *decl,
                           const struct vmb_compare_opts *o)
{
	size_t cap_b = json_array_size(json_object_get(bc, "samples")) + 1;
	size_t cap_n = json_array_size(json_object_get(nc, "samples")) + 1;
	vmb_autofree double *vb = malloc(cap_b * sizeof(double));
	vmb_autofree double *vn = malloc(cap_n * sizeof(double));
	bool higher = json_is_string(json_object_get(decl, "better")) &&
	              strcmp(json_string_value(json_object_get(decl, "better")), "higher") == 0;
	json_t *t = o->thresholds ? json_object_get(o->thresholds, metric) : NULL;
	double thr = t ? json_number_value(t) : o->threshold_pct;
	struct vmb_ratio r = {.ratio = NAN, .lo = NAN, .hi = NAN};
	const char *why = NULL;
	double p = NAN;

	if (!vb || !vn)
		return NULL;
	size_t nb = vmb_case_series(bc, metric, vb, cap_b);
	size_t nn = vmb_case_series(nc, metric, vn, cap_n);
	if (nb < 2 || nn < 2)
		why = nb < 2 ? "fewer than 2 counted samples in base"
		             : "fewer than 2 counted samples in new";
	else if (vmb_overhead(vb, nb, vn, nn, higher, o->seed, &r) < 0)
		why = "a median is not positive";
	else
		p = vmb_mann_whitney_p(vb, nb, vn, nn);
	enum vmb_verdict v =
	        why ? VMB_VERDICT_NOT_COMPARABLE : vmb_compare_verdict(r.ratio, p, o->alpha, thr);
	/* shown: the plain change of the medians, new over base, with its
	 * interval; judged: the cost, oriented so that above 0 is worse (for a
	 * figure where higher is better, base over new) */
	double raw = higher ? 1 / r.ratio : r.ratio, raw_lo = higher ? 1 / r.hi : r.lo,
	       raw_hi = higher ? 1 / r.lo : r.hi;
	json_t *row = json_pack(
	        "{s:O, s:O, s:O*, s:s, s:O, s:s, s:{s:I, s:o}, s:{s:I, s:o}, s:o, s:[o, o], s:o, "
	        "s:f, s:s}",
	        "workload", json_object_get(bc, "workload"), "runner",
	        json_object_get(bc, "runner"), "params", json_object_get(bc, "params"), "metric",
	        metric, "unit",
	        json_object_get(decl, "unit") ? json_object_get(decl, "unit") : json_null(),
	        "better", higher ? "higher" : "lower", "base", "n", (json_int_t)nb, "median",
	        num(nb ? vmb_median(vb, nb) : NAN), "new", "n", (json_int_t)nn, "median",
	        num(nn ? vmb_median(vn, nn) : NAN), "change_pct", num((raw - 1) * 100), "ci95_pct",
	        num((raw_lo - 1) * 100), num((raw_hi - 1) * 100), "p", num(p), "threshold_pct", thr,
	        "verdict", vmb_verdict_name(v));
	if (row) {
		json_object_set_new(row, "cost_pct", num((r.ratio - 1) * 100));
		copy_crowd(row, bc);
	}
	if (row && why)
		json_object_set_new(row, "why", json_string(why));
	/* a param the comparison ignores differs between the sides: not shown */
	json_t *params = row ? json_object_get(row, "params") : NULL;
	if (params && o->ignore_params) {
		json_t *copy = json_deep_copy(params);
		for (const char *const *i = o->ignore_params; *i; i++)
			json_object_del(copy, *i);
		json_object_set_new(row, "params", copy);
	}
	return row;
}

bool vmb_row_verdict_is(json_t *row, enum vmb_verdict v)
{
	const char *got = json_string_value(json_object_get(row, "verdict"));

	return got && strcmp(got, vmb_verdict_name(v)) == 0;
}

/* The noise guard: a regression in only one of several runners or
 * parameterisations of the same workload and metric, the others measured
 * and not regressed, is more likely a noisy case than a real change, unless
 * it is large. */
static void noise_guard(json_t *rows, double large_factor)
{
	size_t i, j;
	json_t *r, *s;

	json_array_foreach(rows, i, r)
	{
		if (!vmb_row_verdict_is(r, VMB_VERDICT_REGRESSED))
			continue;
		size_t peers = 0, regressed = 0;
		json_array_foreach(rows, j, s)
		{
			if (!json_equal(json_object_get(r, "workload"),
			                json_object_get(s, "workload")) ||
			    !json_equal(json_object_get(r, "metric"),
			                json_object_get(s, "metric")) ||
			    vmb_row_verdict_is(s, VMB_VERDICT_NOT_COMPARABLE))
				continue;
			peers++;
			regressed += vmb_row_verdict_is(s, VMB_VERDICT_REGRESSED) ||
			             vmb_row_verdict_is(s, VMB_VERDICT_SUSPECT);
		}
		double change = json_number_value(json_object_get(r, "cost_pct"));
		double large =
		        large_factor * json_number_value(json_object_get(r, "threshold_pct"));
		/* one runner's own code is the commonest real regression: two
		 * runs of a workload say nothing about noise, three begin to */
		if (peers < 3 || regressed != 1 || change > large)
			continue;
		json_object_set_new(r, "verdict",
		                    json_string(vmb_verdict_name(VMB_VERDICT_SUSPECT)));
		json_object_set_new(
		        r, "why",
		        json_sprintf("the only one of %zu runs of %s to regress on %s, "
		                     "by no more than %.3g%%",
		                     peers, json_string_value(json_object_get(r, "workload")),
		                     json_string_value(json_object_get(r, "metric")), large));
	}
}

static json_t *case_id(json_t *c)
{
	json_t *id =
	        json_pack("{s:O, s:O, s:O*}", "workload", json_object_get(c, "workload"), "runner",
	                  json_object_get(c, "runner"), "params", json_object_get(c, "params"));

	if (id)
		copy_crowd(id, c);
	return id;
}

/* Every metric declared by any of the files, the first declaration winning. */
static json_t *declared_metrics(json_t *const *a, size_t na, json_t *const *b, size_t nb)
{
	json_t *all = json_object();

	for (size_t i = 0; i < na + nb; i++) {
		json_t *m = json_object_get(i < na ? a[i] : b[i - na], "metrics");
		const char *k;
		json_t *v;
		json_object_foreach(m, k, v)
		{
			if (!json_object_get(all, k))
				json_object_set(all, k, v);
		}
	}
	return all;
}

json_t *vmb_compare(json_t *const *base, size_t nbase, const char *const *base_names,
                    json_t *const *new_, size_t nnew, const char *const *new_names,
                    const struct vmb_compare_opts *o, struct vmb_error *err)
{
	json_t *bm = json_object(), *bo = json_array(), *nm = json_object(), *no = json_array();
	json_t *decl = declared_metrics(base, nbase, new_, nnew);
	json_t *cmp = NULL, *rows = json_array(), *notes = json_array();
	json_t *only_b = json_array(), *only_n = json_array();
	size_t i, common = 0;
	json_t *k;

	if (merge_side(base, nbase, o->ignore_params, bm, bo) < 0 ||
	    merge_side(new_, nnew, o->ignore_params, nm, no) < 0) {
		vmb_error_sys(err, ENOMEM, "merging samples");
		goto out;
	}
	for (const char *const *m = o->metrics; m && *m; m++)
		if (!json_object_get(decl, *m)) {
			vmb_error_set(
			        err, VMB_ERR_USAGE,
			        "--metric %s: not a metric of %s or %s (see their \"metrics\")", *m,
			        base_names[0], new_names[0]);
			goto out;
		}
	json_array_foreach(bo, i, k)
	{
		json_t *bc = json_object_get(bm, json_string_value(k));
		json_t *nc = json_object_get(nm, json_string_value(k));
		if (!nc) {
			json_array_append_new(only_b, case_id(bc));
			continue;
		}
		common++;
		const char *head = json_string_value(json_object_get(bc, "headline"));
		const char *one[] = {head ? head : "workload_wall_ns", NULL};
		for (const char *const *m = o->metrics ? o->metrics : one; *m; m++) {
			json_t *row = compare_row(bc, nc, *m, json_object_get(decl, *m), o);
			if (!row) {
				vmb_error_sys(err, ENOMEM, "comparing");
				goto out;
			}
			json_array_append_new(rows, row);
		}
	}
	json_array_foreach(no, i, k)
	{
		if (!json_object_get(bm, json_string_value(k)))
			json_array_append_new(only_n,
			                      case_id(json_object_get(nm, json_string_value(k))));
	}
	if (!common) {
		vmb_error_set(err, VMB_ERR_USAGE,
		              "%s and %s have no case in common (same workload, runner and params)",
		              base_names[0], new_names[0]);
		goto out;
	}
	noise_guard(rows, o->large_factor);
	host_notes(base, base_names, nbase, base[0], base_names[0], notes);
	host_notes(new_, new_names, nnew, base[0], base_names[0], notes);
	status_notes(base, base_names, nbase, notes);
	status_notes(new_, new_names, nnew, notes);
	size_t regressed = 0;
	json_array_foreach(rows, i, k) regressed += vmb_row_verdict_is(k, VMB_VERDICT_REGRESSED);
	json_t *bn = json_array(), *nn = json_array();
	for (size_t f = 0; f < nbase; f++)
		json_array_append_new(bn, json_string(base_names[f]));
	for (size_t f = 0; f < nnew; f++)
		json_array_append_new(nn, json_string(new_names[f]));
	cmp = json_pack("{s:o, s:o, s:f, s:f, s:f, s:O, s:O, s:O, s:O, s:I}", "base", bn, "new", nn,
	                "alpha", o->alpha, "threshold_pct", o->threshold_pct, "large_factor",
	                o->large_factor, "notes", notes, "rows", rows, "only_base", only_b,
	                "only_new", only_n, "regressed", (json_int_t)regressed);
out:
	json_decref(bm);
	json_decref(bo);
	json_decref(nm);
	json_decref(no);
	json_decref(decl);
	json_decref(rows);
	json_decref(notes);
	json_decref(only_b);
	json_decref(only_n);
	return cmp;
}
