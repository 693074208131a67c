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
	cr_assert_float_eq(s.p90, 4.6, 1e-12);
	cr_assert_float_eq(s.p99, 4.96, 1e-12);
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

/* An overhead is oriented by the figure's direction, and its interval comes
 * from both sides' noise. */
Test(stats, overhead_ratio_with_an_interval_from_both_sides)
{
	double base[20], slow[20], flat[20];
	struct vmb_ratio r, up;

	for (int i = 0; i < 20; i++) {
		base[i] = 100 + (i * 7 % 11); /* 100..110, median 105 */
		flat[i] = 105;
	}
	for (int i = 0; i < 20; i++)
		slow[i] = 1.2 * base[19 - i]; /* the same shape, 20% dearer */
	cr_assert_eq(vmb_overhead(base, 20, slow, 20, false, 3, &r), 0);
	cr_assert_float_eq(r.ratio, 1.2, 1e-9);
	cr_assert_lt(r.lo, 1.2);
	cr_assert_gt(r.hi, 1.2);
	cr_assert_gt(r.lo, 1.0, "a 20%% cost with 5%% noise is clear of 1: [%f, %f]", r.lo, r.hi);
	/* where higher is better, the same numbers mean the other runner is
	 * cheaper: the ratio is inverted, so above 1 still costs more */
	cr_assert_eq(vmb_overhead(base, 20, slow, 20, true, 3, &up), 0);
	cr_assert_float_eq(up.ratio, 1 / 1.2, 1e-9);
	/* noise on the baseline's side alone still widens the interval */
	struct vmb_ratio quiet;
	cr_assert_eq(vmb_overhead(flat, 20, flat, 20, false, 3, &quiet), 0);
	cr_assert_float_eq(quiet.lo, 1, 1e-12);
	cr_assert_float_eq(quiet.hi, 1, 1e-12);
	struct vmb_ratio one_noisy;
	cr_assert_eq(vmb_overhead(base, 20, flat, 20, false, 3, &one_noisy), 0);
	cr_assert_lt(one_noisy.lo, one_noisy.hi);
	/* too few samples, or a median that is not positive: no ratio */
	cr_assert_eq(vmb_overhead(base, 1, slow, 20, false, 3, &r), -1);
	double zero[3] = {0, 0, 0};
	cr_assert_eq(vmb_overhead(zero, 3, slow, 20, false, 3, &r), -1);
}

Test(stats, coefficient_of_variation)
{
	double v[] = {90, 110, 90, 110};
	struct vmb_summary s;

	cr_assert_eq(vmb_summarize(v, 4, 1, &s), 0);
	cr_assert_float_eq(s.cv, s.stddev / 100, 1e-12);
	double one[] = {5};
	cr_assert_eq(vmb_summarize(one, 1, 1, &s), 0);
	cr_assert(isnan(s.cv));
}
