/* compare.h: the regression gate: runs of a base and of a change, case by case and
 * metric by metric, with a p-value, a bootstrap interval and a verdict. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmbench/error.h"

/* Two-sided p-value of the Mann-Whitney U test that a and b come from the
 * same distribution. Exact (the full null distribution of U) when there are
 * no ties and na * nb <= 2500; with ties in samples that small, a seeded
 * permutation test of U (the same input gives the same p); beyond, the
 * normal approximation with the tie correction and a continuity correction.
 * NAN when either side is empty. */
double vmb_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);

/* What the gate says of one case and metric. */
enum vmb_verdict {
	VMB_VERDICT_UNCHANGED,
	VMB_VERDICT_IMPROVED,
	VMB_VERDICT_REGRESSED,
	VMB_VERDICT_SUSPECT,        /* a lone regression the noise guard held back */
	VMB_VERDICT_NOT_COMPARABLE, /* too few samples, or no figure, on a side */
};

/* The verdict's name as printed and written ("regressed"). */
const char *vmb_verdict_name(enum vmb_verdict v);

/* Whether a row of a comparison has verdict v. */
bool vmb_row_verdict_is(json_t *row, enum vmb_verdict v);

/* The verdict of one comparison before the noise guard: `ratio` is the
 * change oriented so that above 1 is worse (see vmb_overhead); regressed or
 * improved only when p < alpha and the change is beyond threshold_pct
 * percent, else unchanged. */
enum vmb_verdict vmb_compare_verdict(double ratio, double p, double alpha, double threshold_pct);

struct vmb_compare_opts {
	double threshold_pct;       /* noise floor, percent (default 5) */
	double alpha;               /* significance level (default 0.01) */
	double large_factor;        /* the guard lets a lone regression fail beyond
	                              * large_factor x its threshold (default 3) */
	const char *const *metrics; /* NULL-terminated, or NULL: each case's headline */
	/* params left out of a case's identity (NULL-terminated, or NULL), so
	 * that runs differing only in them are compared: the slowdown knob */
	const char *const *ignore_params;
	json_t *thresholds; /* {metric: percent} overriding threshold_pct, or NULL */
	uint64_t seed;      /* for the bootstrap intervals */
};

/* The defaults above. */
void vmb_compare_opts_init(struct vmb_compare_opts *o);

/* Reads a thresholds file: one "METRIC PERCENT" per line (PERCENT a number
 * in [0, 1000], optionally followed by '%'), blank lines and lines starting
 * with '#' ignored, a metric at most once. Returns a new {metric: percent}
 * object, or NULL with a usage error naming FILE:LINE and the problem. */
json_t *vmb_thresholds_load(const char *path, struct vmb_error *err);

/* Compares the results trees of base (nbase of them, each validated; their
 * samples of the same case are merged) with those of new, naming each side's
 * files after base_names / new_names in notes. Cases are the same when
 * workload, runner and params (but o->ignore_params) are. Returns a new comparison tree (documented
 * in docs/GATE.md: "rows", "only_base", "only_new", "notes", "regressed"),
 * or NULL with a usage error when no case is in both, a metric asked for is
 * declared in no file, or memory runs out. Reads nothing from disk. */
json_t *vmb_compare(json_t *const *base, size_t nbase, const char *const *base_names,
                    json_t *const *new_, size_t nnew, const char *const *new_names,
                    const struct vmb_compare_opts *o, struct vmb_error *err);

enum vmb_compare_format { VMB_COMPARE_TEXT, VMB_COMPARE_JSON, VMB_COMPARE_MD };

/* Writes the comparison tree to f as a table, JSON, or Markdown (for a pull
 * request comment). */
void vmb_compare_print(FILE *f, json_t *cmp, enum vmb_compare_format fmt);
