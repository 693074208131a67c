/* test_stats.c: summaries, bootstrap intervals and outliers on inputs with known answers. */
#include <criterion/criterion.h>
#include <math.h>

#include "vmbench/stats.h"

Test(stats, median_mean_stddev)
{
	double v[] = {5, 1, 4, 2, 3};
	struct vmb_summary s;

	cr_assert_eq(vmb_summarize(v, 5, 1, &s), 0);
	cr_assert_eq(s.n, 5);
	cr_assert_float_eq(s.median, 3, 1e-12);
	cr_assert_float_eq(s.mean, 3, 1e-12);
	cr_assert_float_eq(s.stddev, sqrt(2.5), 1e-12);
	cr_assert_float_eq(s.min, 1, 1e-12);
	cr_assert_float_eq(s.max, 5, 1e-12);
	cr_assert_eq(v[0], 5, "input was modified");
}

Test(stats, even_count_median_interpolates)
{
	double v[] = {10, 40, 20, 30};
	struct vmb_summary s;

	cr_assert_eq(vmb_summarize(v, 4, 1, &s), 0);
	cr_assert_float_eq(s.median, 25, 1e-12);
}

Test(stats, single_sample_has_no_spread)
{
	double v[] = {7};
	struct vmb_summary s;

	cr_assert_eq(vmb_summarize(v, 1, 1, &s), 0);
	cr_assert(isnan(s.stddev));
	cr_assert(isnan(s.ci_lo) && isnan(s.ci_hi));
	cr_assert_eq(vmb_summarize(v, 0, 1, &s), -1);
}

Test(stats, bootstrap_interval_brackets_median_and_is_repeatable)
{
	double v[40];
	struct vmb_summary a, b, c;

	/* 40 distinct, irregularly spaced values (fractional parts of multiples
	 * of the golden ratio): with few repeated levels the bootstrap medians
	 * take many values, so two seeds land on different percentiles */
	for (int i = 0; i < 40; i++)
		v[i] = 100 + 10 * fmod(i * 0.6180339887498949, 1.0);
	cr_assert_eq(vmb_summarize(v, 40, 9, &a), 0);
	cr_assert_eq(vmb_summarize(v, 40, 9, &b), 0);
	cr_assert_eq(vmb_summarize(v, 40, 10, &c), 0);
	cr_assert_leq(a.ci_lo, a.median);
	cr_assert_geq(a.ci_hi, a.median);
	cr_assert_lt(a.ci_lo, a.ci_hi);
	cr_assert_geq(a.ci_lo, a.min);
	cr_assert_leq(a.ci_hi, a.max);
	/* the same seed reproduces the interval bit for bit */
	cr_assert_eq(a.ci_lo, b.ci_lo, "seed 9 twice: %.17g vs %.17g", a.ci_lo, b.ci_lo);
	cr_assert_eq(a.ci_hi, b.ci_hi, "seed 9 twice: %.17g vs %.17g", a.ci_hi, b.ci_hi);
	/* another seed draws other resamples: the interval moves, the
	 * median (no resampling in it) does not */
	cr_assert(a.ci_lo != c.ci_lo || a.ci_hi != c.ci_hi,
	          "seeds 9 and 10 gave the same interval [%.17g, %.17g]", a.ci_lo, a.ci_hi);
	cr_assert_eq(a.median, c.median);
	cr_assert_leq(c.ci_lo, c.median);
	cr_assert_geq(c.ci_hi, c.median);
}

Test(stats, interval_narrows_with_more_samples)
{
	double small[8], big[400];
	struct vmb_summary s, l;

	for (int i = 0; i < 400; i++)
		big[i] = (double)(i * 7919 % 1000);
	for (int i = 0; i < 8; i++)
		small[i] = big[i * 50];
	cr_assert_eq(vmb_summarize(small, 8, 3, &s), 0);
	cr_assert_eq(vmb_summarize(big, 400, 3, &l), 0);
	cr_assert_lt(l.ci_hi - l.ci_lo, s.ci_hi - s.ci_lo);
}

Test(stats, tukey_outliers)
{
	double v[] = {10, 11, 10, 12, 11, 10, 11, 95};
	struct vmb_summary s;

	cr_assert_eq(vmb_summarize(v, 8, 1, &s), 0);
	cr_assert_eq(s.outliers, 1);
	double w[] = {10, 11, 12};
	cr_assert_eq(vmb_summarize(w, 3, 1, &s), 0);
	cr_assert_eq(s.outliers, 0);
}

Test(stats, summary_json_uses_null_for_missing)
{
	double v[] = {3};
	struct vmb_summary s;

	vmb_summarize(v, 1, 1, &s);
	json_t *j = vmb_summary_json(&s);
	cr_assert(json_is_null(json_object_get(j, "stddev")));
	cr_assert_float_eq(json_real_value(json_object_get(j, "median")), 3, 1e-12);
	json_decref(j);
}
