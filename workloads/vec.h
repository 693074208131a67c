/* vec.h: the inner loop the dense floating-point workloads share. */
#pragma once

#include <stddef.h>

/* y += a * x over len elements, unrolled by eight so that GCC's -O2 packs the
 * body into vector instructions (its loop vectoriser stays off at -O2, and a
 * plain loop stays scalar). Each element is computed as written: the same
 * result bit for bit, packed or not. */
static inline void vmb_axpy(double *restrict y, const double *restrict x, double a, size_t len)
{
	size_t j = 0;

	for (; j + 8 <= len; j += 8) {
		y[j] += a * x[j];
		y[j + 1] += a * x[j + 1];
		y[j + 2] += a * x[j + 2];
		y[j + 3] += a * x[j + 3];
		y[j + 4] += a * x[j + 4];
		y[j + 5] += a * x[j + 5];
		y[j + 6] += a * x[j + 6];
		y[j + 7] += a * x[j + 7];
	}
	for (; j < len; j++)
		y[j] += a * x[j];
}
