/* repeat.h: how many times a case runs (--reps auto) and what the host's noise says
 * about its figures; the run loop (run.c) asks these at each launch and case end. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "vmbench/cli.h"

/* --reps auto: when to look next, and what was seen. */
struct vmb_auto_reps {
	unsigned next_check; /* measured count at which the interval is next computed */
	unsigned measured;
	double width; /* the interval's width over the median, last computed */
	uint64_t t0;  /* the case's start */
};

/* Why a --reps auto case (its JSON, jc, whose headline metric is `headline`)
 * may stop now that `measured` samples are in ("ci_target", "max_time"), or
 * NULL to go on. The interval is computed at geometrically spaced counts
 * (x1.5), so its cost over a case stays linear in the repetitions. */
const char *vmb_auto_reps_enough(const struct vmb_run_opts *o, json_t *jc, const char *headline,
                                 unsigned measured, struct vmb_auto_reps *ar);

/* Records the host's noise before (owned) and now around case jc, and the
 * warnings it and the headline's spread raise, in jc's "noise" and
 * "warnings". */
void vmb_case_note_noise(json_t *jc, const char *headline, json_t *before);
