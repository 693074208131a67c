/* noise.c: the host's noise around a case (load, runnable tasks, steal, governor,
 * boost), and the warnings they raise about the case's figures. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vmbench/noise.h"

static void missing(json_t *o, const char *field, const char *why)
{
	json_t *u = json_object_get(o, "unavailable");

	if (!u) {
		u = json_object();
		json_object_set_new(o, "unavailable", u);
	}
	json_object_set_new(u, field, json_string(why));
}

/* The first line of a small file, without its newline; false if unreadable. */
static bool first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok = f && fgets(buf, (int)len, f);

	if (f)
		fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

json_t *vmb_noise_read(void)
{
	json_t *o = json_object();
	char line[512];
	double l1, l5;
	int run, tasks;
	unsigned long long v[10] = {0};

	if (first_line("/proc/loadavg", line, sizeof(line)) &&
	    sscanf(line, "%lf %lf %*f %d/%d", &l1, &l5, &run, &tasks) == 4) {
		json_object_set_new(o, "load1", json_real(l1));
		json_object_set_new(o, "load5", json_real(l5));
		/* the count includes this reader itself */
		json_object_set_new(o, "runnable", json_integer(run > 0 ? run - 1 : 0));
		json_object_set_new(o, "tasks", json_integer(tasks));
	} else {
		missing(o, "load1", "/proc/loadavg unreadable");
	}
	/* cpu user nice system idle iowait irq softirq steal guest guest_nice */
	if (first_line("/proc/stat", line, sizeof(line)) &&
	    sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	           &v[4], &v[5], &v[6], &v[7]) == 8) {
		unsigned long long total = 0;
		for (int i = 0; i < 8; i++)
			total += v[i];
		json_object_set_new(o, "steal_ticks", json_integer((json_int_t)v[7]));
		json_object_set_new(o, "total_ticks", json_integer((json_int_t)total));
	} else {
		missing(o, "steal_ticks", "/proc/stat unreadable");
	}
	if (first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", line, sizeof(line)))
		json_object_set_new(o, "governor", json_string(line));
	else
		missing(o, "governor", "no cpufreq in /sys (a VM, or no driver)");
	if (first_line("/sys/devices/system/cpu/cpufreq/boost", line, sizeof(line)))
		json_object_set_new(o, "boost", json_boolean(strcmp(line, "1") == 0));
	else if (first_line("/sys/devices/system/cpu/intel_pstate/no_turbo", line, sizeof(line)))
		json_object_set_new(o, "boost", json_boolean(strcmp(line, "0") == 0));
	else
		missing(o, "boost", "neither cpufreq/boost nor intel_pstate/no_turbo");
	return o;
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

json_t *vmb_noise_warnings(json_t *before, json_t *after, double cv, double ci_width,
                           unsigned cores)
{
	json_t *w = json_array();
	char msg[320];
	double runnable = num(before, "runnable"), load = num(before, "load1");
	double steal = num(after, "steal_ticks") - num(before, "steal_ticks");
	double total = num(after, "total_ticks") - num(before, "total_ticks");

	/* a spread that outliers alone make (a stable median) is no reason to
	 * distrust the figure: the median's interval must be wide too */
	if (isfinite(cv) && cv > VMB_NOISE_CV_MAX && isfinite(ci_width) &&
	    ci_width > VMB_NOISE_CI_MAX) {
		snprintf(msg, sizeof(msg),
		         "its headline figure varies by %.1f%% (sd over mean, above %.0f%%) and "
		         "its median's 95%% interval spans %.1f%% of it: noisy, rerun on a "
		         "quieter host or with more repetitions",
		         cv * 100, VMB_NOISE_CV_MAX * 100, ci_width * 100);
		json_array_append_new(w, json_string(msg));
	}
	/* tasks ready to run at that instant, vmbench itself not counted: its
	 * own earlier cases are in the load average, not here */
	if (isfinite(runnable) && cores && runnable / cores > VMB_NOISE_LOAD_MAX) {
		snprintf(msg, sizeof(msg),
		         "%.0f other task(s) were ready to run on %u core(s) before the case "
		         "(1-minute load %.2f): other work competed with it",
		         runnable, cores, load);
		json_array_append_new(w, json_string(msg));
	}
	if (isfinite(steal) && isfinite(total) && total > 0) {
		double frac = steal / total;
		json_object_set_new(after, "steal_fraction", json_real(frac));
		if (frac > VMB_NOISE_STEAL_MAX) {
			snprintf(msg, sizeof(msg),
			         "the hypervisor took %.1f%% of the CPU time during the case "
			         "(steal): this host shares its cores",
			         frac * 100);
			json_array_append_new(w, json_string(msg));
		}
	}
	return w;
}
