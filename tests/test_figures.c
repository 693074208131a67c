/* test_figures.c: what workloads report beyond their time: the distribution histogram's
 * percentiles against exact ones, its merge, and the figures and curves it feeds. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The exact q-quantile of sorted v: the ceil(q*n)-th smallest value. */
static uint64_t exact(const uint64_t *v, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n);

	return v[rank ? rank - 1 : 0];
}

Test(figures, percentiles_are_within_0_4_percent_of_the_exact_ones)
{
	enum { N = 200000 };
	uint64_t *v = malloc(N * sizeof(*v));
	struct vmb_hist *h = vmb_hist_new();
	struct vmb_rng rng;
	static const double qs[] = {0.5, 0.9, 0.99, 0.999, 1.0};

	cr_assert(v && h);
	vmb_rng_seed(&rng, 7);
	/* a long-tailed latency-like spread: 50 ns to about 50 ms */
	for (size_t i = 0; i < N; i++) {
		double u = (double)(vmb_rng_next(&rng) >> 11) * 0x1p-53;
		v[i] = (uint64_t)(50.0 * exp(13.8 * u * u * u));
		vmb_hist_add(h, v[i]);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	cr_assert_eq(vmb_hist_count(h), N);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		double want = (double)exact(v, N, qs[k]), got = (double)vmb_hist_quantile(h, qs[k]);
		cr_assert_leq(fabs(got - want) / want, 0.004, "q %g: %g against exact %g", qs[k],
		              got, want);
	}
	cr_assert_eq(vmb_hist_quantile(h, 1.0), v[N - 1], "the maximum is kept exactly");
	free(v);
	vmb_hist_free(h);
}

Test(figures, small_values_are_exact_and_empty_is_zero)
{
	struct vmb_hist *h = vmb_hist_new();

	cr_assert_eq(vmb_hist_quantile(h, 0.5), 0);
	for (uint64_t x = 1; x <= 100; x++)
		vmb_hist_add(h, x);
	cr_assert_eq(vmb_hist_quantile(h, 0.5), 50);
	cr_assert_eq(vmb_hist_quantile(h, 0.9), 90);
	cr_assert_eq(vmb_hist_quantile(h, 0.99), 99);
	cr_assert_eq(vmb_hist_quantile(h, 0.001), 1);
	vmb_hist_free(h);
}

Test(figures, merged_histograms_answer_as_one)
{
	struct vmb_hist *a = vmb_hist_new(), *b = vmb_hist_new(), *all = vmb_hist_new();

	for (uint64_t x = 0; x < 10000; x++) {
		uint64_t v = 1000 + x * 37 % 100000;
		vmb_hist_add(x % 3 ? a : b, v);
		vmb_hist_add(all, v);
	}
	vmb_hist_merge(a, b);
	cr_assert_eq(vmb_hist_count(a), vmb_hist_count(all));
	for (double q = 0.05; q < 1; q += 0.05)
		cr_assert_eq(vmb_hist_quantile(a, q), vmb_hist_quantile(all, q), "q %g", q);
	vmb_hist_free(a);
	vmb_hist_free(b);
	vmb_hist_free(all);
}

Test(figures, json_keeps_the_buckets_and_the_percentiles)
{
	struct vmb_hist *h = vmb_hist_new();

	for (uint64_t x = 0; x < 1000; x++)
		vmb_hist_add(h, 100000 + x * 1000);
	json_t *j = vmb_hist_json(h, "ns");
	cr_assert_str_eq(json_string_value(json_object_get(j, "unit")), "ns");
	cr_assert_eq(json_integer_value(json_object_get(j, "count")), 1000);
	cr_assert_eq(json_integer_value(json_object_get(j, "min")), 100000);
	cr_assert_eq(json_integer_value(json_object_get(j, "max")), 1099000);
	json_int_t p50 = json_integer_value(json_object_get(j, "p50"));
	cr_assert(p50 > 595000 && p50 < 603000, "p50 %lld", (long long)p50);
	/* the buckets add up to the count, and no bucket is empty */
	json_t *b;
	size_t i;
	json_int_t sum = 0;
	json_array_foreach(json_object_get(j, "buckets"), i, b)
	{
		cr_assert_gt(json_integer_value(json_array_get(b, 1)), 0);
		sum += json_integer_value(json_array_get(b, 1));
	}
	cr_assert_eq(sum, 1000);
	json_decref(j);
	vmb_hist_free(h);
}

Test(figures, figures_distributions_and_curves_go_to_the_context)
{
	struct vmb_workload_ctx ctx = {0};

	struct vmb_hist *h = vmb_dist(&ctx, "lat", "ns");
	cr_assert_not_null(h);
	cr_assert_eq(vmb_dist(&ctx, "lat", "ns"), h, "one name, one histogram");
	cr_assert_neq(vmb_dist(&ctx, "other", "ns"), h);
	vmb_figure_set(&ctx, "iops", 1234.5);
	vmb_figure_set(&ctx, "nothing", NAN); /* never reported as a number */
	cr_assert_float_eq(json_real_value(json_object_get(ctx.figures, "iops")), 1234.5, 1e-9);
	cr_assert_null(json_object_get(ctx.figures, "nothing"));
	vmb_curve_add(&ctx, "lat_curve", "B", "ns", 16384, 1.5);
	vmb_curve_add(&ctx, "lat_curve", "B", "ns", 32768, 1.6);
	json_t *c = json_object_get(ctx.curves, "lat_curve");
	cr_assert_eq(json_array_size(json_object_get(c, "x")), 2);
	cr_assert_str_eq(json_string_value(json_object_get(c, "x_unit")), "B");
	json_decref(ctx.figures);
	json_decref(ctx.curves);
	for (unsigned i = 0; i < VMB_MAX_DISTS; i++)
		vmb_hist_free(ctx.dist[i]);
}
