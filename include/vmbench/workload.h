/* workload.h: what a workload is; every workload is one file under workloads/
 * plus one line in workloads/workloads.def. */
#pragma once

#include <stdbool.h>
#include <jansson.h>
#include <stdint.h>

#include "vmbench/error.h"

#define VMB_MAX_PARAMS 4

/* One integer parameter of a workload, with its bounds and help. */
struct vmb_param {
	const char *name;
	uint64_t def; /* value at --scale 1 */
	uint64_t min; /* smallest accepted value */
	uint64_t max; /* largest accepted value */
	bool scaled;  /* multiplied by the run's --scale */
	const char *help;
};

/* What a workload gets to run with, and what it reports back. */
struct vmb_workload_ctx {
	uint64_t param[VMB_MAX_PARAMS]; /* values, in the order of the table */
	uint64_t seed;                  /* for any generated input */
	const char *dir;                /* where I/O workloads put their files */
	int chan_fd; /* the results channel: only the selftest workload that forges
	              * records writes to it; the agent owns it */
	/* Outputs. ops and bytes are also PAPI software-defined counters, so the
	 * workload must add to them as it goes, not only at the end. */
	long long ops;
	long long bytes;
	uint64_t checksum;    /* depends on every result, so no work can be elided */
	const char *ops_unit; /* what one op is, e.g. "hash" or "flop" */
	json_t *observations; /* optional facts the workload saw (owned by the agent) */
};

/* What a workload may need of the instance it runs in. A runner declares what
 * it offers, and for each need it does not, why (struct vmb_runner's `offers`
 * and `lacks`); a case whose workload needs what its runner does not offer is
 * skipped with the runner's reason. */
enum vmb_need {
	VMB_NEED_DISK = 1u << 0,      /* a file system on the host's disk (the run's volume) */
	VMB_NEED_NETWORK = 1u << 1,   /* a network beyond loopback */
	VMB_NEED_HUGEPAGES = 1u << 2, /* huge pages for its memory */
};
#define VMB_NEED_ALL (VMB_NEED_DISK | VMB_NEED_NETWORK | VMB_NEED_HUGEPAGES)

/* What a need is, in words ("a disk volume on the host's file system"). */
const char *vmb_need_name(unsigned need);

struct vmb_workload {
	const char *name;               /* as typed on the command line */
	const char *suite;              /* the suite it belongs to */
	const char *summary;            /* one line for `vmbench list` */
	const struct vmb_param *params; /* at most VMB_MAX_PARAMS */
	unsigned nparams;
	unsigned needs;     /* enum vmb_need bits */
	unsigned min_cores; /* cores it needs (--cores); 0 or 1: one */
	/* The metric that stands for the case in summaries and comparisons
	 * (a name from the metric registry); NULL: "workload_wall_ns". */
	const char *headline;
	/* Runs the work once; 0 or -1 with err set. */
	int (*run)(struct vmb_workload_ctx *ctx, struct vmb_error *err);
};

/* The workload's headline metric (its own, or "workload_wall_ns"). */
const char *vmb_workload_headline(const struct vmb_workload *w);

/* The workload table, in the order of workloads.def. */
extern const struct vmb_workload *const vmb_workloads[];
extern const unsigned vmb_workload_count;

/* Finds a workload by name; NULL if there is none. */
const struct vmb_workload *vmb_workload_find(const char *name);

/* Number of parameters the workload declares. */
unsigned vmb_workload_nparams(const struct vmb_workload *w);

/* Index of parameter `name` in w, or -1. */
int vmb_workload_param_index(const struct vmb_workload *w, const char *name);

/* The suites, in first-seen order of the workload table; NULL-terminated. */
const char *const *vmb_suites(void);

/* Whether `suite` is part of "all" (every suite but "selftest", whose workloads
 * misbehave on purpose for the tests). */
bool vmb_suite_in_all(const char *suite);

/* True if `suite` names a suite that has at least one workload, or is "all". */
bool vmb_suite_known(const char *suite);
