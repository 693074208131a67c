/* density.h: N instances at once (bench/density.c). Each instance is driven by a monitor
 * process of its own, forked from vmbench, that runs it through the runner as any launch is
 * run; the coordinator (vmbench) starts them together or at a rate, holds them once ready,
 * reads what each costs the host, and releases them. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "vmbench/error.h"
#include "vmbench/metric.h"
#include "vmbench/runner.h"

/* One group of instances started together: `instances` held ones (the hold
 * workload), and optionally a victim that runs its workload to the end once
 * they are all ready (a noisy-neighbour sample). */
struct vmb_group {
	const struct vmb_runner *runner;
	const struct vmb_launch *hold; /* the held instances' launch (log_path: a prefix) */
	unsigned instances;
	double rate;                     /* starts a second; 0: all at once */
	double hold_s;                   /* seconds held once all are ready */
	const struct vmb_launch *victim; /* NULL: none */
	const char *scratch;             /* where monitors leave their samples */
	/* Builds the JSON sample of one finished instance (in its monitor, which
	 * is a copy of vmbench: the caller's state is there to read). */
	json_t *(*sample)(void *arg, struct vmb_instance *inst, int rc, struct vmb_error *err,
	                  const char *log);
	void *arg;
	/* Called now and then while instances start (progress): ready so far. */
	void (*progress)(void *arg, unsigned ready, unsigned failed, unsigned n);
};

/* Runs one group. *density gets the group's figures ("density" of a sample:
 * per-instance start times and their percentiles, memory, KSM, the harness's
 * own CPU, and each instance's own sample under "instances"); *victim the
 * victim's sample where there is one. 0 when every instance came up and was
 * released (and the victim ran), -1 with err set otherwise: a failed
 * instance (its reason), or VMB_ERR_INTERRUPTED; the figures are filled as
 * far as they got either way. Nothing of the group outlives the call. */
int vmb_density_run(const struct vmb_group *g, json_t **density, json_t **victim,
                    struct vmb_error *err);

/* The host's MemAvailable in KiB, or -1. */
long long vmb_mem_available_kib(void);

/* A point of a density sweep, as the rule after it sees it (ns, KiB). */
struct vmb_sweep_point {
	unsigned instances;
	double p50;       /* the median of its samples' median start */
	double p50_lo;    /* the low end of that median's 95% interval; NAN: none */
	double all_ready; /* the median time until all were ready; NAN: none */
	double kib;       /* memory per instance; NAN: none */
	double base_p50;  /* the sweep's first point's p50; NAN: this is the first */
	unsigned base_instances;
	unsigned next;       /* the next point's instances; 0: this is the last */
	long long avail_kib; /* the host's MemAvailable now; < 0: unknown */
	double timeout_s;    /* --timeout */
};

/* Whether a sweep stops after point p, and why (into why): "start_doubled"
 * when its median start is at least twice the first point's beyond its own
 * noise (the low end of its interval, or the median where there is none):
 * the knee, where the host stopped keeping up; "memory" when the next point
 * would take more than 80% of the memory the host has available; "time" when
 * the next would take more than half --timeout to start all (the time until
 * all are ready grows at least in proportion to N past the knee); NULL to go
 * on. */
const char *vmb_sweep_rule(const struct vmb_sweep_point *p, char *why, size_t len);
