/* figures.c: what a workload reports beyond its time: declared figures, curves over a
 * swept parameter, and distributions kept as log-linear histograms. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

/* Values below 2^EXACT_BITS have a bucket each; above, every power of two is
 * cut into 2^SUB_BITS buckets, so a bucket spans under 1/128 of its values
 * and its middle is within 0.4% of any of them. */
#define SUB_BITS   7
#define EXACT_BITS (SUB_BITS + 1)
#define SUB        (1u << SUB_BITS)
#define NBUCKETS   ((1u << EXACT_BITS) + (64 - EXACT_BITS) * SUB)

struct vmb_hist {
	uint64_t count, min, max;
	double sum;
	uint64_t bucket[NBUCKETS];
};

static unsigned bucket_of(uint64_t v)
{
	if (v < (1u << EXACT_BITS))
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - SUB_BITS; /* >= 1 */
	return (1u << EXACT_BITS) + (shift - 1) * SUB + (unsigned)((v >> shift) - SUB);
}

/* The smallest value of bucket b, and how many values it spans. */
static uint64_t bucket_low(unsigned b, uint64_t *width)
{
	if (b < (1u << EXACT_BITS)) {
		*width = 1;
		return b;
	}
	unsigned shift = (b - (1u << EXACT_BITS)) / SUB + 1;
	uint64_t mant = SUB + (b - (1u << EXACT_BITS)) % SUB;
	*width = 1ull << shift;
	return mant << shift;
}

struct vmb_hist *vmb_hist_new(void)
{
	struct vmb_hist *h = calloc(1, sizeof(*h));

	if (h)
		h->min = UINT64_MAX;
	return h;
}

void vmb_hist_free(struct vmb_hist *h)
{
	free(h);
}

void vmb_hist_add(struct vmb_hist *h, uint64_t v)
{
	h->bucket[bucket_of(v)]++;
	h->count++;
	h->sum += (double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void vmb_hist_merge(struct vmb_hist *dst, const struct vmb_hist *src)
{
	for (unsigned b = 0; b < NBUCKETS; b++)
		dst->bucket[b] += src->bucket[b];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->count && src->min < dst->min)
		dst->min = src->min;
	if (src->count && src->max > dst->max)
		dst->max = src->max;
}

uint64_t vmb_hist_count(const struct vmb_hist *h)
{
	return h->count;
}

uint64_t vmb_hist_quantile(const struct vmb_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	uint64_t rank = (uint64_t)ceil(q * (double)h->count), seen = 0, width;
	if (rank < 1)
		rank = 1;
	if (rank >= h->count)
		return h->max; /* the extremes are kept exactly */
	if (rank == 1)
		return h->min;
	for (unsigned b = 0; b < NBUCKETS; b++) {
		seen += h->bucket[b];
		if (seen < rank)
			continue;
		uint64_t v = bucket_low(b, &width) + (width - 1) / 2;
		return v < h->min ? h->min : v > h->max ? h->max : v;
	}
	return h->max;
}

json_t *vmb_hist_json(const struct vmb_hist *h, const char *unit)
{
	json_t *buckets = json_array();
	uint64_t width;

	for (unsigned b = 0; b < NBUCKETS; b++)
		if (h->bucket[b])
			json_array_append_new(buckets,
			                      json_pack("[I, I]", (json_int_t)bucket_low(b, &width),
			                                (json_int_t)h->bucket[b]));
	return json_pack("{s:s, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:o}", "unit", unit,
	                 "count", (json_int_t)h->count, "min", (json_int_t)(h->count ? h->min : 0),
	                 "max", (json_int_t)h->max, "mean",
	                 h->count ? h->sum / (double)h->count : 0.0, "p50",
	                 (json_int_t)vmb_hist_quantile(h, 0.50), "p90",
	                 (json_int_t)vmb_hist_quantile(h, 0.90), "p99",
	                 (json_int_t)vmb_hist_quantile(h, 0.99), "p999",
	                 (json_int_t)vmb_hist_quantile(h, 0.999), "buckets", buckets);
}

void vmb_figure_set(struct vmb_workload_ctx *ctx, const char *name, double v)
{
	if (!ctx->figures)
		ctx->figures = json_object();
	if (isfinite(v))
		json_object_set_new(ctx->figures, name, json_real(v));
}

struct vmb_hist *vmb_dist(struct vmb_workload_ctx *ctx, const char *name, const char *unit)
{
	for (unsigned i = 0; i < VMB_MAX_DISTS; i++) {
		if (ctx->dist_name[i] && strcmp(ctx->dist_name[i], name) == 0)
			return ctx->dist[i];
		if (ctx->dist_name[i])
			continue;
		ctx->dist[i] = vmb_hist_new();
		if (!ctx->dist[i])
			return NULL;
		ctx->dist_name[i] = name;
		ctx->dist_unit[i] = unit;
		return ctx->dist[i];
	}
	return NULL;
}

void vmb_curve_add(struct vmb_workload_ctx *ctx, const char *name, const char *x_unit,
                   const char *y_unit, double x, double y)
{
	if (!ctx->curves)
		ctx->curves = json_object();
	json_t *c = json_object_get(ctx->curves, name);
	if (!c) {
		c = json_pack("{s:s, s:s, s:[], s:[]}", "x_unit", x_unit, "y_unit", y_unit, "x",
		              "y");
		json_object_set_new(ctx->curves, name, c);
	}
	json_array_append_new(json_object_get(c, "x"), json_real(x));
	json_array_append_new(json_object_get(c, "y"), isfinite(y) ? json_real(y) : json_null());
}

void vmb_untimed_begin(struct vmb_workload_ctx *ctx)
{
	if (ctx->untimed)
		ctx->untimed(ctx, true);
}

void vmb_untimed_end(struct vmb_workload_ctx *ctx)
{
	if (ctx->untimed)
		ctx->untimed(ctx, false);
}
