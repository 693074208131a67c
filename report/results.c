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

/* One derived figure of a sample; NAN where the sample does not have it. */
struct metric {
	const char *name;
	const char *unit;
	double (*get)(json_t *sample);
};

static double num_at(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static double m_workload_wall(json_t *s)
{
	return num_at(json_object_get(s, "agent"), "wall_ns");
}

static double m_ops_rate(json_t *s)
{
	json_t *a = json_object_get(s, "agent");
	double ops = num_at(a, "ops"), ns = num_at(a, "wall_ns");

	return ops > 0 && ns > 0 ? ops / (ns / 1e9) : NAN;
}

static double m_bytes_rate(json_t *s)
{
	json_t *a = json_object_get(s, "agent");
	double bytes = num_at(a, "bytes"), ns = num_at(a, "wall_ns");

	return bytes > 0 && ns > 0 ? bytes / (ns / 1e9) : NAN;
}

static double m_launch_to_ready(json_t *s)
{
	json_t *p = json_object_get(s, "phases");

	return num_at(p, "agent_ready") - num_at(p, "launch");
}

static double m_launch_to_exit(json_t *s)
{
	json_t *p = json_object_get(s, "phases");

	return num_at(p, "exited") - num_at(p, "launch");
}

static double m_instance_total(json_t *s)
{
	return num_at(json_object_get(s, "phases"), "teardown_done");
}

static double m_host_cpu(json_t *s)
{
	json_t *r = json_object_get(json_object_get(s, "host"), "rusage");

	return num_at(r, "user_ns") + num_at(r, "sys_ns");
}

static double m_host_maxrss(json_t *s)
{
	return num_at(json_object_get(json_object_get(s, "host"), "rusage"), "maxrss_kib");
}

static double m_runner_private(json_t *s)
{
	return num_at(json_object_get(s, "host"), "runner_private_kib");
}

static double m_cgroup_peak(json_t *s)
{
	return num_at(json_object_get(json_object_get(s, "host"), "cgroup"), "memory_peak_bytes") /
	       1024;
}

/* What the instance's cgroup held at its peak beyond the agent's own
 * anonymous memory: page tables, kernel objects, the runner's processes,
 * and whatever file pages this instance was first to bring in. */
static double m_cgroup_beyond_agent(json_t *s)
{
	return m_cgroup_peak(s) - num_at(json_object_get(s, "agent"), "rss_anon_kib");
}

static double phase_gap(json_t *s, const char *from, const char *to)
{
	json_t *p = json_object_get(s, "phases");

	return num_at(p, to) - num_at(p, from);
}

/* VM runner: from the start signal to the first KVM_RUN (VM, memory, kernel
 * and initramfs, vCPUs), and the VMM process's own start before that. */
static double m_launch_to_first_run(json_t *s)
{
	return phase_gap(s, "launch", "first_kvm_run");
}

static double m_vmm_exec(json_t *s)
{
	return phase_gap(s, "cgroup_created", "vmm_start");
}

static double m_vmm_beyond_guest(json_t *s)
{
	return num_at(json_object_get(json_object_get(s, "host"), "vmm"),
	              "vmm_private_beyond_guest_kib");
}

static const struct metric metrics[] = {
        {"workload_wall_ns", "ns", m_workload_wall},
        {"ops_per_s", "ops/s", m_ops_rate},
        {"bytes_per_s", "B/s", m_bytes_rate},
        {"launch_to_ready_ns", "ns", m_launch_to_ready},
        {"launch_to_exit_ns", "ns", m_launch_to_exit},
        {"instance_total_ns", "ns", m_instance_total},
        {"host_cpu_ns", "ns", m_host_cpu},
        {"host_maxrss_kib", "KiB", m_host_maxrss},
        {"runner_private_kib", "KiB", m_runner_private},
        {"cgroup_memory_peak_kib", "KiB", m_cgroup_peak},
        {"cgroup_beyond_agent_kib", "KiB", m_cgroup_beyond_agent},
        {"launch_to_first_kvm_run_ns", "ns", m_launch_to_first_run},
        {"vmm_process_start_ns", "ns", m_vmm_exec},
        {"vmm_private_beyond_guest_kib", "KiB", m_vmm_beyond_guest},
};

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

void vmb_case_aggregate(json_t *c, uint64_t seed)
{
	json_t *samples = json_object_get(c, "samples");
	size_t cap = json_array_size(samples) + 1, i;
	vmb_autofree double *v = malloc(cap * sizeof(double));
	json_t *aggs = json_object(), *s;

	if (!v) {
		json_decref(aggs);
		return;
	}
	for (size_t m = 0; m < VMB_ARRAY_SIZE(metrics); m++) {
		size_t n = 0;
		json_array_foreach(samples, i, s)
		{
			double x = counts(s) ? metrics[m].get(s) : NAN;
			if (isfinite(x))
				v[n++] = x;
		}
		add_summary(aggs, metrics[m].name, metrics[m].unit, v, n, seed + m);
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
			double x = counts(s) ? num_at(ctr, "value") : NAN;
			if (isfinite(x))
				v[n++] = x;
		}
		char key[160];
		snprintf(key, sizeof(key), "counter:%s", name);
		add_summary(aggs, key, "count", v, n, seed);
	}
	json_object_set_new(c, "aggregates", aggs);
}
