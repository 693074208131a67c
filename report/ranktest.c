/* ranktest.c: the Mann-Whitney U test's two-sided p-value: exact without ties for small
 * samples, by seeded permutations with ties, by the normal approximation beyond. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/compare.h"
#include "vmbench/stats.h"
#include "vmbench/util.h"

/* Beyond this many pairs the normal approximation of U is as good as exact. */
#define EXACT_MAX_PAIRS 2500
/* Permutations behind a p-value for small samples with ties. */
#define PERMUTATIONS 20000

struct ranked {
	double v;
	int side; /* 0: a, 1: b */
};

static int cmp_ranked(const void *a, const void *b)
{
	return vmb_cmp_double(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

/* P(U <= u) and P(U >= u) for U of m against n values without ties, from
 * the count of orderings giving each U: f(i, j, u) = f(i-1, j, u-j) +
 * f(i, j-1, u) (the largest value is one of a's, outranking j of b's, or
 * one of b's). Only sums, so no cancellation however large the counts. */
static int exact_tails(size_t m, size_t n, double u, double *le, double *ge)
{
	size_t w = m * n + 1;
	vmb_autofree double *prev = calloc((n + 1) * w, sizeof(double));
	vmb_autofree double *cur = calloc((n + 1) * w, sizeof(double));

	if (!prev || !cur)
		return -1;
	for (size_t j = 0; j <= n; j++)
		prev[j * w] = 1; /* no values of a: one ordering, U = 0 */
	for (size_t i = 1; i <= m; i++) {
		memset(cur, 0, (n + 1) * w * sizeof(double));
		cur[0] = 1; /* no values of b: U = 0 */
		for (size_t j = 1; j <= n; j++)
			for (size_t k = 0; k <= i * j; k++)
				cur[j * w + k] =
				        (k >= j ? prev[j * w + k - j] : 0) + cur[(j - 1) * w + k];
		memcpy(prev, cur, (n + 1) * w * sizeof(double));
	}
	double total = 0, lo = 0, hi = 0;
	for (size_t k = 0; k < w; k++) {
		double f = prev[n * w + k];
		total += f;
		if ((double)k <= u + 1e-9)
			lo += f;
		if ((double)k >= u - 1e-9)
			hi += f;
	}
	*le = lo / total;
	*ge = hi / total;
	return 0;
}

/* Two-sided permutation p of U's distance from its mean, over seeded
 * shuffles of the (mid)ranks: the exact test's stand-in when there are ties. */
static double permutation_p(double *ranks, size_t na, size_t nb, double u_obs)
{
	struct vmb_rng rng;
	double mid = (double)na * (double)nb / 2, obs = fabs(u_obs - mid), off = 0;
	size_t n = na + nb, extreme = 0;

	vmb_rng_seed(&rng, 0x5eed);
	off = (double)na * (double)(na + 1) / 2;
	for (size_t it = 0; it < PERMUTATIONS; it++) {
		double r = 0;
		/* a partial Fisher-Yates: the first na places are a random subset */
		for (size_t i = 0; i < na; i++) {
			size_t j = i + (size_t)vmb_rng_below(&rng, n - i);
			double t = ranks[i];
			ranks[i] = ranks[j];
			ranks[j] = t;
			r += ranks[i];
		}
		if (fabs(r - off - mid) >= obs - 1e-9)
			extreme++;
	}
	return (double)(extreme + 1) / (PERMUTATIONS + 1);
}

double vmb_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
	size_t n = na + nb;
	vmb_autofree struct ranked *all = NULL;
	vmb_autofree double *ranks = NULL;
	double ra = 0, tie_sum = 0;
	bool ties = false;

	if (na == 0 || nb == 0 || !(all = malloc(n * sizeof(*all))) ||
	    !(ranks = malloc(n * sizeof(double))))
		return NAN;
	for (size_t i = 0; i < na; i++)
		all[i] = (struct ranked){a[i], 0};
	for (size_t i = 0; i < nb; i++)
		all[na + i] = (struct ranked){b[i], 1};
	qsort(all, n, sizeof(*all), cmp_ranked);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && all[j + 1].v == all[i].v)
			j++;
		double t = (double)(j - i + 1), mid = (double)(i + j) / 2 + 1;
		tie_sum += t * t * t - t;
		ties |= j > i;
		for (size_t k = i; k <= j; k++) {
			ranks[k] = mid;
			if (all[k].side == 0)
				ra += mid;
		}
		i = j + 1;
	}
	double u = ra - (double)na * (double)(na + 1) / 2;
	double pairs = (double)na * (double)nb;
	if (pairs <= EXACT_MAX_PAIRS && !ties) {
		double le, ge;
		/* U's distribution is symmetric in the sizes: tabulate with the
		 * smaller one inner, for less memory */
		if (exact_tails(na > nb ? na : nb, na > nb ? nb : na, u, &le, &ge) < 0)
			return NAN;
		double p = 2 * (le < ge ? le : ge);
		return p < 1 ? p : 1;
	}
	if (pairs <= EXACT_MAX_PAIRS)
		return permutation_p(ranks, na, nb, u);
	double var = pairs / 12 * ((double)(n + 1) - tie_sum / ((double)n * (double)(n - 1)));
	if (!(var > 0))
		return 1;
	double z = (fabs(u - pairs / 2) - 0.5) / sqrt(var);
	return z > 0 ? erfc(z / M_SQRT2) : 1;
}
