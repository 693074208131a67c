/* stats.h: every figure is a sample: summaries, bootstrap intervals, outliers. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmb_summary {
	size_t n;
	double median, mean, stddev; /* stddev: sample (n - 1); NAN when n < 2 */
	double cv;                   /* coefficient of variation, stddev / |mean|; NAN when n < 2 */
	double min, max;
	double p90, p99;     /* of the samples (p50 is the median), linear interpolation */
	double ci_lo, ci_hi; /* 95% percentile-bootstrap interval of the median; NAN when n < 2 */
	size_t outliers;     /* samples beyond Tukey's fences (1.5 IQR past the quartiles) */
};

/* Number of bootstrap resamples behind every interval. */
#define VMB_BOOTSTRAP_ITERS 2000

/* qsort's comparison for doubles, ascending. */
int vmb_cmp_double(const void *a, const void *b);

/* The median of n values, sorting v in place; NAN when n is 0. */
double vmb_median(double *v, size_t n);

/* Linear-interpolated quantile q in [0, 1] of n sorted values (n > 0). */
double vmb_quantile_sorted(const double *sorted, size_t n, double q);

/* Summarises n values (any order; v is not modified). The bootstrap draws
 * from `seed`, so the same input and seed give the same interval. Returns 0,
 * or -1 when n is 0 or memory runs out. */
int vmb_summarize(const double *v, size_t n, uint64_t seed, struct vmb_summary *out);

/* The summary as a JSON object; NAN fields become null. */
json_t *vmb_summary_json(const struct vmb_summary *s);

/* An overhead: how many times the baseline's cost a runner's figure is. */
struct vmb_ratio {
	double ratio;  /* above 1 costs more, whichever way the figure improves */
	double lo, hi; /* 95% percentile-bootstrap interval, both sides resampled */
	size_t n_base, n;
};

/* median(x) / median(base), or median(base) / median(x) for a figure where
 * higher is better, with its interval from resampling base and x
 * independently (seeded). 0, or -1 when either side has fewer than 2 values,
 * a median is not positive, or memory runs out. */
int vmb_overhead(const double *base, size_t nb, const double *x, size_t nx, bool higher_better,
                 uint64_t seed, struct vmb_ratio *out);
