/* results.h: the results tree (results.json), written atomically as a run goes,
 * and the per-case aggregates computed from its raw samples. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "vmbench/error.h"
#include "vmbench/metric.h"

/* Version of the results.json layout described in docs/RESULTS.md. Bump it on
 * any change that a reader of an older file would misread. */
#define VMB_SCHEMA_VERSION 2

/* Writes root to DIR/results.json: into a temporary file in DIR, flushed to
 * disk, then renamed over the old one, so the file on disk is always whole
 * and valid. 0 or -1 with err set. */
int vmb_results_save(json_t *root, const char *dir, struct vmb_error *err);

/* Reads and checks a results.json; returns a new reference or NULL with err
 * set (usage error: the file is input). */
json_t *vmb_results_load(const char *path, struct vmb_error *err);

/* Checks the parts of the schema every reader relies on; 0 or -1 with err set. */
int vmb_results_validate(json_t *root, struct vmb_error *err);

/* Recomputes case["aggregates"] from case["samples"], using only samples that
 * are not warm-ups and whose status is "ok". Each metric of the list present
 * in at least one such sample gets a summary (see stats.h) and its unit, and
 * so does every PAPI counter that produced a value. */
void vmb_case_aggregate(json_t *c, const struct vmb_metric_list *metrics, uint64_t seed);

/* Adds sample["figures"]: {metric: value} for every metric of the list that
 * the sample has, so that readers need no code to find a figure in it. */
void vmb_sample_figures(json_t *sample, const struct vmb_metric_list *metrics,
                        const char *workload);

/* The values of `metric` in case c's counted samples (not warm-ups, status
 * "ok"), from their "figures", in order; returns how many (at most cap). */
size_t vmb_case_series(json_t *c, const char *metric, double *out, size_t cap);

/* What a run did not measure, and why (results.json's "not_measured", new
 * reference): one entry per runner and reason for skipped cases, naming the
 * workloads it hit, and one per PAPI counter that was unavailable anywhere. */
json_t *vmb_results_not_measured(json_t *cases);

/* The checksum every ok sample of a case like `like` must match: the first
 * one seen in cases of the same workload, parameters and copies ("threads"),
 * on whichever runner (the same binary doing the same work); NULL while there
 * is none. */
const char *vmb_results_reference_checksum(json_t *cases, json_t *like);
