/* stats.h: every figure is a sample: summaries, bootstrap intervals, outliers. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct vmb_summary {
	size_t n;
	double median, mean, stddev; /* stddev: sample (n - 1); NAN when n < 2 */
	double min, max;
	double ci_lo, ci_hi; /* 95% percentile-bootstrap interval of the median; NAN when n < 2 */
	size_t outliers;     /* samples beyond Tukey's fences (1.5 IQR past the quartiles) */
};

/* Number of bootstrap resamples behind every interval. */
#define VMB_BOOTSTRAP_ITERS 2000

/* Linear-interpolated quantile q in [0, 1] of n sorted values (n > 0). */
double vmb_quantile_sorted(const double *sorted, size_t n, double q);

/* Summarises n values (any order; v is not modified). The bootstrap draws
 * from `seed`, so the same input and seed give the same interval. Returns 0,
 * or -1 when n is 0 or memory runs out. */
int vmb_summarize(const double *v, size_t n, uint64_t seed, struct vmb_summary *out);

/* The summary as a JSON object; NAN fields become null. */
json_t *vmb_summary_json(const struct vmb_summary *s);
