/* stats.c: medians, spreads, percentile-bootstrap intervals and Tukey outliers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/stats.h"
#include "vmbench/util.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double vmb_quantile_sorted(const double *sorted, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)floor(pos);
	size_t hi = lo + 1 < n ? lo + 1 : lo;

	return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - (double)lo);
}

/* Percentile bootstrap of the median: resample with replacement, take each
 * resample's median, report the 2.5th and 97.5th percentiles of those. */
static int bootstrap_median(const double *v, size_t n, uint64_t seed, double *lo, double *hi)
{
	vmb_autofree double *meds = malloc(VMB_BOOTSTRAP_ITERS * sizeof(double));
	vmb_autofree double *res = malloc(n * sizeof(double));
	struct vmb_rng rng;

	if (!meds || !res)
		return -1;
	vmb_rng_seed(&rng, seed);
	for (size_t b = 0; b < VMB_BOOTSTRAP_ITERS; b++) {
		for (size_t i = 0; i < n; i++)
			res[i] = v[vmb_rng_below(&rng, n)];
		qsort(res, n, sizeof(double), cmp_double);
		meds[b] = vmb_quantile_sorted(res, n, 0.5);
	}
	qsort(meds, VMB_BOOTSTRAP_ITERS, sizeof(double), cmp_double);
	*lo = vmb_quantile_sorted(meds, VMB_BOOTSTRAP_ITERS, 0.025);
	*hi = vmb_quantile_sorted(meds, VMB_BOOTSTRAP_ITERS, 0.975);
	return 0;
}

int vmb_summarize(const double *v, size_t n, uint64_t seed, struct vmb_summary *out)
{
	vmb_autofree double *s = NULL;
	double sum = 0, sq = 0;

	if (n == 0 || !(s = malloc(n * sizeof(double))))
		return -1;
	memcpy(s, v, n * sizeof(double));
	qsort(s, n, sizeof(double), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	out->n = n;
	out->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (s[i] - out->mean) * (s[i] - out->mean);
	out->stddev = n > 1 ? sqrt(sq / (double)(n - 1)) : NAN;
	out->min = s[0];
	out->max = s[n - 1];
	out->median = vmb_quantile_sorted(s, n, 0.5);
	out->ci_lo = out->ci_hi = NAN;
	if (n > 1 && bootstrap_median(s, n, seed, &out->ci_lo, &out->ci_hi) < 0)
		return -1;
	double q1 = vmb_quantile_sorted(s, n, 0.25), q3 = vmb_quantile_sorted(s, n, 0.75);
	double fence = 1.5 * (q3 - q1);
	out->outliers = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < q1 - fence || s[i] > q3 + fence)
			out->outliers++;
	return 0;
}

static json_t *num_or_null(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

json_t *vmb_summary_json(const struct vmb_summary *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "n", json_integer((json_int_t)s->n));
	json_object_set_new(o, "median", num_or_null(s->median));
	json_object_set_new(o, "mean", num_or_null(s->mean));
	json_object_set_new(o, "stddev", num_or_null(s->stddev));
	json_object_set_new(o, "min", num_or_null(s->min));
	json_object_set_new(o, "max", num_or_null(s->max));
	json_object_set_new(o, "ci95_median",
	                    json_pack("[o, o]", num_or_null(s->ci_lo), num_or_null(s->ci_hi)));
	json_object_set_new(o, "outliers", json_integer((json_int_t)s->outliers));
	return o;
}
