/* results.c: results.json on disk (atomic replace), its validation, and per-case aggregates. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmbench/results.h"
#include "vmbench/stats.h"
#include "vmbench/util.h"

int vmb_results_save(json_t *root, const char *dir, struct vmb_error *err)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s/.results.json.tmp", dir) >= (int)sizeof(tmp) ||
	    snprintf(final, sizeof(final), "%s/results.json", dir) >= (int)sizeof(final))
		return vmb_error_set(err, VMB_ERR_USAGE, "%s: path too long", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return vmb_error_sys(err, errno, "create %s", tmp);
	if (json_dumpfd(root, fd, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) < 0 ||
	    vmb_write_all(fd, "\n", 1) < 0 || fsync(fd) < 0) {
		int saved = errno;
		close(fd);
		unlink(tmp);
		return vmb_error_sys(err, saved ? saved : EIO, "write %s", tmp);
	}
	if (close(fd) < 0 || rename(tmp, final) < 0) {
		int saved = errno;
		unlink(tmp);
		return vmb_error_sys(err, saved, "replace %s", final);
	}
	return 0;
}

json_t *vmb_results_load(const char *path, struct vmb_error *err)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);

	if (!root) {
		vmb_error_set(err, VMB_ERR_USAGE, "%s:%d: not valid JSON: %s", path, jerr.line,
		              jerr.text);
		return NULL;
	}
	if (vmb_results_validate(root, err) < 0) {
		vmb_error_prefix(err, "%s", path);
		err->kind = VMB_ERR_USAGE;
		json_decref(root);
		return NULL;
	}
	return root;
}

int vmb_results_validate(json_t *root, struct vmb_error *err)
{
	json_t *ver = json_object_get(root, "schema_version");
	json_t *cases = json_object_get(root, "cases");
	size_t i;
	json_t *c;

	if (!json_is_object(root))
		return vmb_error_set(err, VMB_ERR_FAIL, "the top level is not an object");
	if (!json_is_integer(ver))
		return vmb_error_set(err, VMB_ERR_FAIL, "no integer schema_version");
	if (json_integer_value(ver) != VMB_SCHEMA_VERSION)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "schema_version %lld, this vmbench reads %d",
		                     (long long)json_integer_value(ver), VMB_SCHEMA_VERSION);
	if (!json_is_object(json_object_get(root, "host")))
		return vmb_error_set(err, VMB_ERR_FAIL, "no host metadata object");
	if (!json_is_array(cases))
		return vmb_error_set(err, VMB_ERR_FAIL, "no cases array");
	json_array_foreach(cases, i, c)
	{
		if (!json_is_string(json_object_get(c, "workload")) ||
		    !json_is_string(json_object_get(c, "runner")) ||
		    !json_is_string(json_object_get(c, "status")) ||
		    !json_is_array(json_object_get(c, "samples")))
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "case %zu lacks workload, runner, status or samples",
			                     i);
	}
	return 0;
}

static bool counts(json_t *s)
{
	const char *st = json_string_value(json_object_get(s, "status"));

	return !json_is_true(json_object_get(s, "warmup")) && st && strcmp(st, "ok") == 0;
}

static void add_summary(json_t *aggs, const char *name, const char *unit, const double *v, size_t n,
                        uint64_t seed)
{
	struct vmb_summary sum;

	if (n == 0 || vmb_summarize(v, n, seed, &sum) < 0)
		return;
	json_t *o = vmb_summary_json(&sum);
	json_object_set_new(o, "unit", json_string(unit));
	json_object_set_new(aggs, name, o);
}

void vmb_sample_figures(json_t *sample, const struct vmb_metric_list *metrics, const char *workload)
{
	json_t *fig = json_object();

	for (unsigned m = 0; m < metrics->n; m++) {
		if (!vmb_metric_applies(metrics, m, workload))
			continue;
		double x = vmb_metric_value(metrics->m[m], sample);
		if (isfinite(x))
			json_object_set_new(fig, metrics->m[m]->name, json_real(x));
	}
	json_object_set_new(sample, "figures", fig);
}

size_t vmb_case_series(json_t *c, const char *metric, double *out, size_t cap)
{
	size_t i, n = 0;
	json_t *s;

	json_array_foreach(json_object_get(c, "samples"), i, s)
	{
		json_t *v = json_object_get(json_object_get(s, "figures"), metric);
		if (n < cap && counts(s) && json_is_number(v))
			out[n++] = json_number_value(v);
	}
	return n;
}

void vmb_case_aggregate(json_t *c, const struct vmb_metric_list *metrics, uint64_t seed)
{
	json_t *samples = json_object_get(c, "samples");
	size_t cap = json_array_size(samples) + 1, i;
	vmb_autofree double *v = malloc(cap * sizeof(double));
	json_t *aggs = json_object(), *s;

	if (!v) {
		json_decref(aggs);
		return;
	}
	const char *workload = json_string_value(json_object_get(c, "workload"));
	for (unsigned m = 0; m < metrics->n; m++) {
		size_t n = 0;
		if (!vmb_metric_applies(metrics, m, workload))
			continue;
		json_array_foreach(samples, i, s)
		{
			double x = counts(s) ? vmb_metric_value(metrics->m[m], s) : NAN;
			if (isfinite(x))
				v[n++] = x;
		}
		add_summary(aggs, metrics->m[m]->name, metrics->m[m]->unit, v, n, seed + m);
	}
	/* Every PAPI counter that produced a value somewhere. */
	json_t *first = NULL;
	json_array_foreach(samples, i, s) if (counts(s))
	{
		first = json_object_get(json_object_get(s, "agent"), "counters");
		break;
	}
	const char *name;
	json_t *cv;
	json_object_foreach(first, name, cv)
	{
		size_t n = 0;
		json_array_foreach(samples, i, s)
		{
			json_t *ctr = json_object_get(
			        json_object_get(json_object_get(s, "agent"), "counters"), name);
			json_t *val = json_object_get(ctr, "value");
			double x = counts(s) && json_is_number(val) ? json_number_value(val) : NAN;
			if (isfinite(x))
				v[n++] = x;
		}
		char key[160];
		snprintf(key, sizeof(key), "counter:%s", name);
		add_summary(aggs, key, "count", v, n, seed);
	}
	json_object_set_new(c, "aggregates", aggs);
}

json_t *vmb_results_not_measured(json_t *cases)
{
	json_t *list = json_array(), *seen = json_object(), *c, *smp;
	size_t i, j;

	json_array_foreach(cases, i, c)
	{
		const char *reason = json_string_value(json_object_get(c, "reason"));
		const char *st = json_string_value(json_object_get(c, "status"));
		char what[128], key[700];
		snprintf(what, sizeof(what), "runner %s",
		         json_string_value(json_object_get(c, "runner")));
		if (st && strcmp(st, "skipped") == 0 && reason) {
			/* one entry per runner and reason, naming the workloads it hit */
			snprintf(key, sizeof(key), "%s: %s", what, reason);
			json_t *entry = json_object_get(seen, key);
			if (!entry) {
				entry = json_pack("{s:s, s:s, s:[]}", "what", what, "why", reason,
				                  "workloads");
				json_array_append_new(list, entry);
				json_object_set(seen, key, entry);
			}
			json_array_append(json_object_get(entry, "workloads"),
			                  json_object_get(c, "workload"));
		}
		json_array_foreach(json_object_get(c, "samples"), j, smp)
		{
			const char *name;
			json_t *v;
			json_object_foreach(
			        json_object_get(json_object_get(smp, "agent"), "counters"), name, v)
			{
				const char *why =
				        json_string_value(json_object_get(v, "unavailable"));
				snprintf(what, sizeof(what), "counter %s", name);
				if (why && !json_object_get(seen, what)) {
					json_object_set_new(seen, what, json_true());
					json_array_append_new(list, json_pack("{s:s, s:s}", "what",
					                                      what, "why", why));
				}
			}
		}
	}
	json_decref(seen);
	return list;
}

/* Whether key is the same in a and b: equal, or absent from both. */
static bool same(json_t *a, json_t *b, const char *key)
{
	json_t *x = json_object_get(a, key), *y = json_object_get(b, key);

	return (!x && !y) || (x && y && json_equal(x, y));
}

const char *vmb_results_reference_checksum(json_t *cases, json_t *like)
{
	size_t i, j;
	json_t *c, *smp;

	json_array_foreach(cases, i, c)
	{
		/* the same work: the workload with the same parameters and the
		 * same number of copies (a density victim on every core runs more
		 * copies than its suite's case on --cores) */
		if (!same(c, like, "workload") || !json_object_get(c, "workload") ||
		    !same(c, like, "params") || !same(c, like, "threads"))
			continue;
		json_array_foreach(json_object_get(c, "samples"), j, smp)
		{
			const char *sum = json_string_value(
			        json_object_get(json_object_get(smp, "agent"), "checksum"));
			const char *st = json_string_value(json_object_get(smp, "status"));
			if (sum && st && strcmp(st, "ok") == 0)
				return sum;
		}
	}
	return NULL;
}
