/* counters.h: the agent's PAPI event sets: hardware presets where a PMU exists,
 * software-defined events (libsde) for the agent's own counts always. */
#pragma once

#include <jansson.h>

#include "vmbench/error.h"

struct vmb_counters;

/* Registers the software-defined counters "ops" and "bytes" (read live from
 * *ops and *bytes, which must outlive the set), initialises PAPI and builds
 * the event sets. Never fails for a missing PMU: those events are recorded as
 * unavailable with PAPI's reason. Returns NULL only when out of memory. */
struct vmb_counters *vmb_counters_open(long long *ops, long long *bytes);

/* Starts every event set that has events; 0 or -1 with err set. */
int vmb_counters_start(struct vmb_counters *c, struct vmb_error *err);

/* Leave out what follows from the counts until vmb_counters_resume: the
 * counts so far are set aside, and counting starts afresh at resume. */
void vmb_counters_pause(struct vmb_counters *c);
void vmb_counters_resume(struct vmb_counters *c);

/* Stops counting and returns a new JSON object (caller owns it) mapping each
 * event name to {"value": N} or {"unavailable": "reason"}. */
json_t *vmb_counters_stop(struct vmb_counters *c);

/* Releases the event sets and PAPI; c may be NULL. */
void vmb_counters_close(struct vmb_counters *c);
