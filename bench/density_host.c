/* density_host.c: what a density run reads of the whole host (KSM, THP, available
 * memory, CPU time), and the rule a sweep stops by. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/density_internal.h"

long long vmb_density_ksm(const char *name)
{
	char path[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), KSM_DIR "%s", name);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The host's policy for transparent huge pages ("always", "madvise",
 * "never": the bracketed word), or NULL where the kernel has none. */
const char *vmb_density_thp(char *buf, size_t len)
{
	char line[128];
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	char *a = f && fgets(line, sizeof(line), f) ? strchr(line, '[') : NULL;
	char *b = a ? strchr(a, ']') : NULL;

	if (f)
		fclose(f);
	if (!b)
		return NULL;
	snprintf(buf, len, "%.*s", (int)(b - a - 1), a + 1);
	return buf;
}

long long vmb_mem_available_kib(void)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* Busy and total jiffies of the host's CPUs, from /proc/stat's first line. */
bool vmb_density_host_cpu(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "re");
	int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
	                   &v[3], &v[4], &v[5], &v[6], &v[7])
	          : 0;

	if (f)
		fclose(f);
	if (n < 5)
		return false;
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4]; /* idle and iowait */
	return true;
}

int vmb_density_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The q-quantile (0 < q <= 1) of n sorted values: the ceil(q*n)-th smallest. */
double vmb_density_quantile(const double *sorted, size_t n, double q)
{
	if (n == 0)
		return NAN;
	size_t k = (size_t)ceil(q * (double)n);
	return sorted[k ? k - 1 : 0];
}

const char *vmb_sweep_rule(const struct vmb_sweep_point *p, char *why, size_t len)
{
	double low = isfinite(p->p50_lo) ? p->p50_lo : p->p50;

	if (isfinite(p->base_p50) && isfinite(low) && low >= 2 * p->base_p50) {
		snprintf(why, len,
		         "the median start with %u instances, %.1f ms, is %.1fx that with %u "
		         "(%.1f ms)%s",
		         p->instances, p->p50 / 1e6, p->p50 / p->base_p50, p->base_instances,
		         p->base_p50 / 1e6, isfinite(p->p50_lo) ? ", beyond its 95% interval" : "");
		return "start_doubled";
	}
	if (!p->next)
		return NULL;
	if (isfinite(p->kib) && p->avail_kib > 0 && p->next * p->kib > 0.8 * (double)p->avail_kib) {
		snprintf(why, len,
		         "%u instances at %.0f KiB each would take more than 80%% of the %lld MiB "
		         "the host has available",
		         p->next, p->kib, p->avail_kib / 1024);
		return "memory";
	}
	double next_all = p->all_ready / p->instances * p->next;
	if (isfinite(next_all) && next_all > p->timeout_s * 0.5e9) {
		snprintf(why, len,
		         "%u instances would take some %.1f s to start, more than half the %g s "
		         "--timeout",
		         p->next, next_all / 1e9, p->timeout_s);
		return "time";
	}
	return NULL;
}
