/* host.h: what this host offers, probed once for `vmbench doctor` and recorded in
 * every results file; and CPU placement through hwloc. */
#pragma once

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>

#include "vmbench/error.h"

#include "vmbench/probe.h"

#define VMB_MAX_PROBES 12

/* Runs every probe; returns how many filled `out` (at most VMB_MAX_PROBES). */
unsigned vmb_host_probe_all(struct vmb_probe *out);

/* The host's metadata for results.json (new reference): CPU model, topology,
 * kernel, cgroup mode and controllers, PAPI components, the probes. */
json_t *vmb_host_describe(void);

/* Where every instance runs: the same cores for every runner. */
struct vmb_placement {
	cpu_set_t cpus;
	unsigned ncores; /* cores taken */
	json_t *desc;    /* {"policy", "cores": [...], "pus": [...]} (owned) */
};

/* Picks `ncores` cores through hwloc, highest logical index first (away from
 * core 0, where interrupts tend to land), among those this process may use.
 * 0, or -1 with a usage error when fewer cores are available. */
int vmb_placement_choose(unsigned ncores, struct vmb_placement *out, struct vmb_error *err);
/* The same with every core this process may use (a density run's default). */
int vmb_placement_all(struct vmb_placement *out, struct vmb_error *err);
void vmb_placement_release(struct vmb_placement *p);
