/* stats.c: medians, spreads, percentile-bootstrap intervals and Tukey outliers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/stats.h"
#include "vmbench/util.h"

int vmb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double vmb_median(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(double), vmb_cmp_double);
	return vmb_quantile_sorted(v, n, 0.5);
}

double vmb_quantile_sorted(const double *sorted, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)floor(pos);
	size_t hi = lo + 1 < n ? lo + 1 : lo;

	return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - (double)lo);
}

/* The values at ranks r and r + 1 of one resample of sorted v, drawn as
 * counts per index: v is sorted, so the order of the indices drawn is the
 * order of their values, and no resample needs sorting (O(n), not
 * O(n log n), per resample). */
static double resample_median(const double *sorted, size_t n, unsigned *counts, struct vmb_rng *rng)
{
	double pos = 0.5 * (double)(n - 1);
	size_t lo = (size_t)floor(pos), hi = lo + 1 < n ? lo + 1 : lo, seen = 0;
	double vlo = NAN, vhi = NAN;

	memset(counts, 0, n * sizeof(*counts));
	for (size_t i = 0; i < n; i++)
		counts[vmb_rng_below(rng, n)]++;
	for (size_t i = 0; i < n && isnan(vhi); i++) {
		seen += counts[i];
		if (isnan(vlo) && seen > lo)
			vlo = sorted[i];
		if (seen > hi)
			vhi = sorted[i];
	}
	return vlo + (vhi - vlo) * (pos - (double)lo);
}

/* Percentile bootstrap of the median of sorted v: resample with replacement,
 * take each resample's median, report the 2.5th and 97.5th percentiles. */
static int bootstrap_median(const double *sorted, size_t n, uint64_t seed, double *lo, double *hi)
{
	vmb_autofree double *meds = malloc(VMB_BOOTSTRAP_ITERS * sizeof(double));
	vmb_autofree unsigned *counts = malloc(n * sizeof(unsigned));
	struct vmb_rng rng;

	if (!meds || !counts)
		return -1;
	vmb_rng_seed(&rng, seed);
	for (size_t b = 0; b < VMB_BOOTSTRAP_ITERS; b++)
		meds[b] = resample_median(sorted, n, counts, &rng);
	qsort(meds, VMB_BOOTSTRAP_ITERS, sizeof(double), vmb_cmp_double);
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
	qsort(s, n, sizeof(double), vmb_cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	out->n = n;
	out->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (s[i] - out->mean) * (s[i] - out->mean);
	out->stddev = n > 1 ? sqrt(sq / (double)(n - 1)) : NAN;
	/* relative spread, for noise warnings: sd over |mean| */
	out->cv = n > 1 && out->mean != 0 ? out->stddev / fabs(out->mean) : NAN;
	out->min = s[0];
	out->max = s[n - 1];
	out->median = vmb_quantile_sorted(s, n, 0.5);
	out->p90 = vmb_quantile_sorted(s, n, 0.9);
	out->p99 = vmb_quantile_sorted(s, n, 0.99);
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
	json_object_set_new(o, "cv", num_or_null(s->cv));
	json_object_set_new(o, "p90", num_or_null(s->p90));
	json_object_set_new(o, "p99", num_or_null(s->p99));
	json_object_set_new(o, "min", num_or_null(s->min));
	json_object_set_new(o, "max", num_or_null(s->max));
	json_object_set_new(o, "ci95_median",
	                    json_pack("[o, o]", num_or_null(s->ci_lo), num_or_null(s->ci_hi)));
	json_object_set_new(o, "outliers", json_integer((json_int_t)s->outliers));
	return o;
}

int vmb_overhead(const double *base, size_t nb, const double *x, size_t nx, bool higher_better,
                 uint64_t seed, struct vmb_ratio *out)
{
	vmb_autofree double *sb = nb > 1 ? malloc(nb * sizeof(double)) : NULL;
	vmb_autofree double *sx = nx > 1 ? malloc(nx * sizeof(double)) : NULL;
	vmb_autofree double *ratios = malloc(VMB_BOOTSTRAP_ITERS * sizeof(double));
	vmb_autofree unsigned *counts = malloc(((nb > nx ? nb : nx) + 1) * sizeof(unsigned));
	struct vmb_rng rng;

	if (!sb || !sx || !ratios || !counts)
		return -1;
	memcpy(sb, base, nb * sizeof(double));
	memcpy(sx, x, nx * sizeof(double));
	qsort(sb, nb, sizeof(double), vmb_cmp_double);
	qsort(sx, nx, sizeof(double), vmb_cmp_double);
	double mb = vmb_quantile_sorted(sb, nb, 0.5), mx = vmb_quantile_sorted(sx, nx, 0.5);
	if (!(mb > 0) || !(mx > 0))
		return -1;
	out->n_base = nb;
	out->n = nx;
	out->ratio = higher_better ? mb / mx : mx / mb;
	/* both sides resampled independently: the interval carries the noise
	 * of the baseline as well as the runner's */
	vmb_rng_seed(&rng, seed);
	for (size_t b = 0; b < VMB_BOOTSTRAP_ITERS; b++) {
		double rb = resample_median(sb, nb, counts, &rng);
		double rx = resample_median(sx, nx, counts, &rng);
		ratios[b] = higher_better ? rb / rx : rx / rb;
	}
	qsort(ratios, VMB_BOOTSTRAP_ITERS, sizeof(double), vmb_cmp_double);
	out->lo = vmb_quantile_sorted(ratios, VMB_BOOTSTRAP_ITERS, 0.025);
	out->hi = vmb_quantile_sorted(ratios, VMB_BOOTSTRAP_ITERS, 0.975);
	return 0;
}
