/* workload.h: what a workload is; every workload is one file under workloads/
 * plus one line in workloads/workloads.def. */
#pragma once

#include <stdbool.h>
#include <jansson.h>
#include <stdint.h>

#include "vmbench/error.h"
#include "vmbench/metric.h"

#define VMB_MAX_PARAMS 6

/* One integer parameter of a workload, with its bounds and help. On the
 * command line it is named WORKLOAD.NAME (`--param mem-latency.to=64M`). */
struct vmb_param {
	const char *name;
	uint64_t def; /* value at --scale 1 */
	uint64_t min; /* smallest accepted value */
	uint64_t max; /* largest accepted value */
	bool scaled;  /* multiplied by the run's --scale */
	const char *help;
	bool bytes;     /* a size in bytes: accepts K, M and G suffixes */
	uint64_t quick; /* value under --quick (0: the default) */
};

/* What a distribution keeps: a log-linear histogram of unsigned values
 * (nanoseconds, mostly) with 128 buckets per power of two, so any percentile
 * it gives is within 0.4% of the true one (values under 256 exactly), in
 * 60 KiB whatever the count. */
struct vmb_hist;

struct vmb_hist *vmb_hist_new(void);
void vmb_hist_free(struct vmb_hist *h);
void vmb_hist_add(struct vmb_hist *h, uint64_t v);
/* Adds every value of src to dst. */
void vmb_hist_merge(struct vmb_hist *dst, const struct vmb_hist *src);
uint64_t vmb_hist_count(const struct vmb_hist *h);
/* The q-quantile (0 < q <= 1): the ceil(q * count)-th smallest value, as the
 * middle of its bucket (the smallest and the largest exactly); 0 when empty. */
uint64_t vmb_hist_quantile(const struct vmb_hist *h, double q);
/* {count, min, max, mean, p50, p90, p99, p999, buckets: [[lowest, count]...]}
 * (new reference). */
json_t *vmb_hist_json(const struct vmb_hist *h, const char *unit);

#define VMB_MAX_DISTS 6

/* What a workload gets to run with, and what it reports back. */
struct vmb_workload_ctx {
	uint64_t param[VMB_MAX_PARAMS]; /* values, in the order of the table */
	uint64_t seed;                  /* for any generated input */
	const char *dir;                /* where I/O workloads put their files */
	unsigned threads;               /* copies running together (--cores; 1 unless
	                                 * the workload is parallel) */
	unsigned thread;                /* this copy's index, 0..threads-1 */
	int chan_fd; /* the results channel: only the selftest workload that forges
	              * records writes to it; the agent owns it */
	void *state; /* what setup made, for run and teardown */
	/* Outputs. ops and bytes are also PAPI software-defined counters, so the
	 * workload must add to them as it goes, not only at the end. */
	long long ops;
	long long bytes;
	uint64_t checksum;    /* depends on every result, so no work can be elided */
	const char *ops_unit; /* what one op is, e.g. "hash" or "flop" */
	json_t *observations; /* optional facts the workload saw (owned by the agent) */
	json_t *figures;      /* its declared figures, name -> number (vmb_figure_set) */
	json_t *curves;       /* name -> {x, y, x_unit, y_unit} (vmb_curve_add) */
	/* distributions (vmb_dist): merged over the copies of a parallel run */
	struct vmb_hist *dist[VMB_MAX_DISTS];
	const char *dist_name[VMB_MAX_DISTS];
	const char *dist_unit[VMB_MAX_DISTS];
	/* set by the agent: what vmb_untimed_begin and _end call */
	void (*untimed)(struct vmb_workload_ctx *ctx, bool begin);
};

/* Work inside run that is no part of what it measures (building the next
 * point of a sweep): between these two the agent's clock, rusage and PAPI
 * counters stand still, and the workload must not add to ops or bytes. For
 * workloads that are not parallel; no-ops elsewhere and outside the agent. */
void vmb_untimed_begin(struct vmb_workload_ctx *ctx);
void vmb_untimed_end(struct vmb_workload_ctx *ctx);

/* Sets a figure the workload declared (a VMB_FIGURE of its metrics). */
void vmb_figure_set(struct vmb_workload_ctx *ctx, const char *name, double v);

/* The histogram of distribution `name` (declared with VMB_DISTRIBUTION),
 * made on first use; NULL when out of memory or of slots. */
struct vmb_hist *vmb_dist(struct vmb_workload_ctx *ctx, const char *name, const char *unit);

/* Adds the point (x, y) to curve `name`: a figure measured over a swept
 * parameter (ns per access against working-set bytes). */
void vmb_curve_add(struct vmb_workload_ctx *ctx, const char *name, const char *x_unit,
                   const char *y_unit, double x, double y);

/* A workload's own figure, which it sets with vmb_figure_set: read from the
 * agent's result record as agent.figures.NAME; repeated launches aggregate
 * to their median (VMB_FIGURE_AGG: to another statistic of them). */
#define VMB_FIGURE_AGG(name, unit, better, aggregate, help)                                        \
	{                                                                                          \
		name, unit, better, aggregate, help, NULL, "agent.figures." name                   \
	}
#define VMB_FIGURE(name, unit, better, help)                                                       \
	VMB_FIGURE_AGG(name, unit, better, VMB_AGG_MEDIAN, help)
/* A distribution's percentiles, as figures NAME_p50, _p90, _p99, _p999
 * (lower is better: latencies). */
#define VMB_DISTRIBUTION(name, unit, help)                                                         \
	VMB_FIGURE(name "_p50", unit, VMB_LOWER_IS_BETTER, "median of " help),                     \
	        VMB_FIGURE(name "_p90", unit, VMB_LOWER_IS_BETTER, "90th percentile of " help),    \
	        VMB_FIGURE(name "_p99", unit, VMB_LOWER_IS_BETTER, "99th percentile of " help),    \
	        VMB_FIGURE(name "_p999", unit, VMB_LOWER_IS_BETTER, "99.9th percentile of " help)

/* What a workload's parameters are checked against before anything runs. */
struct vmb_check_env {
	const char *volume_dir; /* the run's volume (NULL: none yet, as in the agent) */
	uint64_t memory;        /* the instance's memory limit in bytes; 0: none */
	uint64_t host_memory;   /* the machine's memory in bytes, for when there is no limit */
	unsigned cores;         /* --cores */
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
	/* Runs one copy per core of --cores, at once; ops and bytes add up,
	 * distributions merge (figures and curves are the first copy's). */
	bool parallel;
	/* Its own figures (VMB_FIGURE, VMB_DISTRIBUTION), NULL-name-terminated;
	 * they join the run's metric registry. */
	const struct vmb_metric *metrics;
	/* Memory the instance needs for these parameters, in bytes (NULL: a few
	 * MiB); a runner given less refuses the case. */
	uint64_t (*memory_need)(const uint64_t *param);
	/* Checks the parameters together and against the host before anything
	 * runs; 0, or -1 with a usage error naming the limit. NULL: none. */
	int (*check)(const uint64_t *param, const struct vmb_check_env *env, struct vmb_error *err);
	/* Untimed: allocates and initialises (ctx->state); NULL: nothing. */
	int (*setup)(struct vmb_workload_ctx *ctx, struct vmb_error *err);
	/* The timed part; 0 or -1 with err set. */
	int (*run)(struct vmb_workload_ctx *ctx, struct vmb_error *err);
	/* Untimed: frees what setup made, whatever happened: also after a failed
	 * run, or a setup that failed half-way (ctx->state as it left it). */
	void (*teardown)(struct vmb_workload_ctx *ctx);
};

/* The workload's parameter values under a run's --scale and --quick, before
 * any --param: the default, or its quick value, scaled when the parameter is,
 * within its bounds. */
uint64_t vmb_param_default(const struct vmb_param *p, double scale, bool quick);

/* How many bytes the instance needs for w with these parameters, on `cores`
 * cores (a parallel workload runs a copy on each). */
uint64_t vmb_workload_memory_need(const struct vmb_workload *w, const uint64_t *param,
                                  unsigned cores);

/* Runs w's check (if any); 0 or -1 with err set. */
int vmb_workload_check(const struct vmb_workload *w, const uint64_t *param,
                       const struct vmb_check_env *env, struct vmb_error *err);

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
 * misbehave on purpose, and "hostile", whose one attacks the VM's devices:
 * both run only when named). */
bool vmb_suite_in_all(const char *suite);

/* True if `suite` names a suite that has at least one workload, or is "all". */
bool vmb_suite_known(const char *suite);
