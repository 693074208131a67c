/* cli.h: the vmbench command line: options of `run`, parsed into a plan. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmbench/error.h"
#include "vmbench/runner.h"
#include "vmbench/workload.h"

#define VMB_MAX_LIST 16

/* The most instances a density point may start together. */
#define VMB_MAX_INSTANCES 4096

/* --reps auto measures at least this many before it judges an interval. */
#define VMB_AUTO_MIN_REPS 5

/* Exit statuses of vmbench (documented in README.md and `vmbench --help`). */
enum {
	VMB_EXIT_OK = 0,
	VMB_EXIT_FAILED = 1, /* a measurement failed; the rest still ran and was kept */
	VMB_EXIT_USAGE = 2,  /* bad usage or input; nothing was run or overwritten */
};

struct vmb_run_opts {
	const char *suites[VMB_MAX_LIST];
	unsigned nsuites;
	const struct vmb_runner *runners[VMB_MAX_LIST];
	unsigned nrunners;
	const struct vmb_workload *workloads[VMB_MAX_LIST]; /* --workload filter; 0 = all */
	unsigned nworkloads;
	unsigned reps;     /* measured repetitions per case; with reps_auto, the most */
	bool reps_auto;    /* --reps auto: until the headline's interval is narrow enough */
	double ci_target;  /* --ci-target: the interval's width over the median (0.02) */
	double max_time_s; /* --max-time: seconds a case may take with --reps auto */
	unsigned warmup;   /* discarded repetitions before them */
	const char *out;   /* the run's results directory; NULL = results/<run-id> */
	uint64_t seed;
	double scale;       /* multiplies every scaled workload parameter */
	bool quick;         /* --quick: every parameter's quick value */
	const char *volume; /* --volume: the directory the run's I/O volume is made in */
	double timeout_s;   /* per instance */
	unsigned cores;     /* cores to place every instance on */
	bool cores_given;   /* --cores was given (density cases default to every core) */
	const char *param_keys[VMB_MAX_LIST]; /* --param W.KEY=VALUE overrides: the key, */
	const struct vmb_workload *param_wl[VMB_MAX_LIST]; /* its workload, */
	uint64_t param_vals[VMB_MAX_LIST];                 /* the value */
	unsigned nparams;
	double cpus;          /* --cpus: each runner's reading of it (runner usage); 0 = none */
	uint64_t memory;      /* --memory in bytes, likewise; 0 = none */
	const char *baseline; /* --baseline: the runner others are compared with */
	/* Options the runners bring (--kernel, --image...), in the order given,
	 * with the runner each belongs to. */
	struct vmb_option_value ropts[VMB_MAX_LIST];
	const struct vmb_runner *ropt_owner[VMB_MAX_LIST];
	unsigned nropts;
	bool runners_given; /* --runner was given (reference runners run everywhere) */
	/* Density (bench/density.c). The counts of instances the "hold" cases
	 * start together: --instances LIST, or a sweep 1, 2, 4... up to
	 * max_instances that stops where the host stops keeping up. */
	unsigned instances[VMB_MAX_LIST];
	unsigned ninstances; /* 0: the sweep */
	unsigned max_instances;
	double rate;         /* --rate: instances started a second; 0 = all at once */
	double hold_s;       /* --hold-time: seconds they are held once all are ready */
	unsigned neighbours; /* --neighbours K: each victim also runs beside K others */
	int neighbour_load;  /* their hold.load; -1: the victim's kind (cpu or mem) */
	bool neighbours_given;
	bool help; /* --help was given: print run_usage, run nothing */
};

/* The options runner r was given (a view into o; valid while o is). */
struct vmb_run_env vmb_cli_runner_env(const struct vmb_run_opts *o, const struct vmb_runner *r,
                                      struct vmb_option_value *buf);

/* Parses `vmbench run` arguments (argv[0] is "run"). Fills o with defaults
 * first. 0, or -1 with a usage error naming the offending input. */
int vmb_cli_parse_run(int argc, char **argv, struct vmb_run_opts *o, struct vmb_error *err);

/* Usage texts of the subcommands. */
void vmb_cli_usage(FILE *f);
void vmb_cli_run_usage(FILE *f);

/* The value of parameter i of w for this run: a --param override, else the
 * default, times --scale when the parameter is scaled, clamped to its bounds. */
uint64_t vmb_param_value(const struct vmb_run_opts *o, const struct vmb_workload *w, unsigned i);

/* Where a run's scratch directory is made (its instances' images, logs). */
#define VMB_SCRATCH_PARENT "/tmp"

/* Where the I/O volume is made unless --volume or $VMBENCH_VOLUME says: on a
 * disk on most systems, where /tmp may be memory (tmpfs). */
#define VMB_VOLUME_DEFAULT "/var/tmp"

/* Why directory dir is no disk for the I/O workloads (into why: "tmpfs, ..."),
 * or false when it is one. */
bool vmb_volume_not_disk(const char *dir, char *why, size_t len);

/* One measured or skipped case: a workload on a runner. */
struct vmb_case {
	const struct vmb_workload *workload;
	const struct vmb_runner *runner;
	/* A density point: `instances` of the workload ("hold") started together
	 * (0: one at a time, as every other case); `sweep` when the point belongs
	 * to a sweep that stops once the host stops keeping up. */
	unsigned instances;
	bool sweep;
	/* A noisy-neighbour case: the workload (the victim) runs while
	 * `neighbours` instances of "hold" with load `load` run beside it;
	 * -1: not such a case (0: the victim alone, for the comparison). */
	int neighbours;
	unsigned load;
	const char *skip_reason; /* non-NULL (pointing at why): not run, and why */
	char why[400];
};

/* Expands options into cases (workload-major, runners in the order given).
 * A case is skipped, with the reason, when the workload needs more cores than
 * --cores gives, needs something the runner lacks (struct vmb_runner's
 * lacks), or the runner cannot work on this host (its probe); a reference
 * runner is planned only for workloads whose headline it is a reference for,
 * unless --runner names it. Returns the number of cases (> 0) with *out
 * malloc'd, or -1 with a usage error when the selection is empty. */
int vmb_plan(const struct vmb_run_opts *o, struct vmb_case **out, struct vmb_error *err);
