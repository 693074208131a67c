/* noise.h: what makes a host's figures noisy, read before and after each case: load,
 * runnable tasks, CPU time stolen by a hypervisor, the frequency governor and boost. */
#pragma once

#include <jansson.h>

/* A reading now: {"load1", "load5", "runnable", "tasks", "steal_ticks",
 * "total_ticks", "governor", "boost"}; what this host does not expose is
 * left out and named in "unavailable" {field: reason}. New reference. */
json_t *vmb_noise_read(void);

/* What a case's readings before and after, and its headline figure's
 * coefficient of variation and its median's 95% interval width over the
 * median (NAN if unknown), say against trusting it: an array of sentences
 * (empty when nothing does), new reference. cores is the host's core count.
 * Also adds "steal_fraction" to `after` when it can. */
json_t *vmb_noise_warnings(json_t *before, json_t *after, double cv, double ci_width,
                           unsigned cores);

/* Thresholds behind the warnings, documented in docs/RESULTS.md. */
#define VMB_NOISE_CV_MAX    0.05 /* a headline's sd over its mean, */
#define VMB_NOISE_CI_MAX    0.02 /* with its median's interval wider than this */
#define VMB_NOISE_LOAD_MAX  0.5  /* other runnable tasks per core before the case */
#define VMB_NOISE_STEAL_MAX 0.02 /* CPU time stolen during the case */
