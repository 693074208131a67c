/* runner.h: the runner interface. A runner is an ops table in its own folder under
 * runners/, listed in runners/runners.def; runners/instance.c drives prepare, launch,
 * wait, teardown and the verdict. A runner owns its options, configuration, verdict and
 * extra figures: nothing outside its folder names it. */
#pragma once

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "vmbench/cgroup.h"
#include "vmbench/error.h"
#include "vmbench/metric.h"
#include "vmbench/workload.h"

/* What one instance runs: identical for every runner. What only one runner
 * reads lives in that runner's own configuration (`config`). */
struct vmb_launch {
	const char *agent_path;          /* the agent binary on the host */
	char **agent_args;               /* arguments after argv[0], NULL-terminated */
	const cpu_set_t *cpus;           /* placement, the same for every runner */
	double timeout_s;                /* launch to exit; 0 means none */
	const char *scratch_dir;         /* the run's scratch directory (deleted after the run) */
	const char *log_path;            /* where the agent's stderr (or a guest's console) goes */
	struct vmb_cgroup_limits limits; /* --cpus, --memory and placement */
	const char *volume_dir;          /* host directory the agent's I/O goes to; NULL = none */
	uint64_t memory_need;            /* bytes the workload needs in the instance */
	unsigned needs;                  /* what the workload needs (enum vmb_need bits) */
	void *config;                    /* the runner's configuration (its configure hook) */
};

/* Result channel state, filled by vmb_channel_collect. */
struct vmb_instance {
	const struct vmb_runner *runner;
	const struct vmb_launch *spec;
	void *priv; /* the runner's own state */

	pid_t pid;       /* the process vmbench waits for (agent, init or VMM) */
	int chan_fd;     /* read end of the results channel */
	uint64_t t0;     /* instance start (before prepare), CLOCK_MONOTONIC ns */
	json_t *phases;  /* phase name -> ns since t0 */
	json_t *records; /* every record the agent sent, in order */
	json_t *host;    /* host-side measurements, runner specific */
	/* How the agent ended, told by the init around it (container, VM): a
	 * runner that has one sets it (owned), from a channel the agent itself
	 * cannot write where it has such a channel. NULL: the process's own
	 * exit status says it. */
	json_t *init;
	size_t nrecords, record_bytes; /* taken from the channel so far (capped) */

	/* How it ended. */
	bool exited;
	int exit_code;   /* valid if exited and !signalled */
	int term_signal; /* valid if signalled */
	bool signalled;
	bool timed_out;
	struct rusage rusage; /* of the waited-for process tree */

	/* Optional: called once, when the agent says its workload is set up and
	 * about to run (its "setup_done" phase record), with the instance
	 * running: a density run holds it here until all are. 0 goes on
	 * collecting records; -1 with err set stops the instance as a failed
	 * collection would. */
	int (*on_ready)(struct vmb_instance *inst, struct vmb_error *err);
	void *on_ready_arg;
	bool setup_seen;  /* the "setup_done" record came */
	uint64_t t_ready; /* CLOCK_MONOTONIC ns the "ready" record came; 0: not yet */
};

/* A command-line option a runner brings to `vmbench run` (Solo5's module
 * options): its name, the name of its value in the help, and the help. */
struct vmb_runner_option {
	const char *name; /* without "--"; NULL ends a table */
	const char *arg;  /* "FILE", "N"...; NULL for a flag */
	const char *help; /* may span lines ("\n") */
};

/* A runner option as given on the command line; flags have value "". */
struct vmb_option_value {
	const char *name;
	const char *value;
};

/* What every runner's configure hook is told about the run. */
struct vmb_run_env {
	double cpus;                         /* --cpus; 0 = not given */
	uint64_t memory;                     /* --memory in bytes; 0 = not given */
	unsigned cores;                      /* --cores: the cores every instance is placed on */
	const char *agent;                   /* the agent binary */
	const struct vmb_option_value *opts; /* this runner's options, in the order given */
	unsigned nopts;
};

/* The last value given for option `name`, or NULL if it was not given. */
const char *vmb_option_get(const struct vmb_run_env *env, const char *name);

/* A need of workloads that a runner cannot meet, and why (NULL need 0 ends). */
struct vmb_lack {
	unsigned need; /* one enum vmb_need bit */
	const char *why;
};

struct vmb_runner {
	const char *name;
	const char *summary;
	/* How the runner reads the run's --cpus and --memory, for `run --help`. */
	const char *usage;
	/* Whether this runner can work on this host: 0, or -1 with a reason
	 * (and what to do about it) in why. Built on the shared probes
	 * (vmbench/probe.h), so doctor and the runner agree. */
	int (*probe)(char *why, size_t len);
	/* A reference runner (an outside tool, for comparison) runs by default
	 * only for workloads whose headline metric is `reference_for`; naming
	 * it with --runner runs it everywhere. NULL: not a reference. */
	const char *reference_for;
	/* The agent runs on another clock (a guest's): its "phase" records are
	 * not comparable with the host's monotonic clock and are ignored. */
	bool guest_clock;
	/* The needs of workloads this runner meets (enum vmb_need bits), and
	 * for every other need, why not (NULL-need-terminated). */
	unsigned offers;
	const struct vmb_lack *lacks;
	/* Memory the instance itself takes beside the workload's (a guest's own
	 * kernel), and the most a workload can have in it (0: the machine's):
	 * a case needing more is skipped, saying so. */
	uint64_t memory_overhead, workload_memory_max;
	/* Options it brings to `vmbench run` (NULL or a NULL-name-terminated table). */
	const struct vmb_runner_option *options;
	/* Figures it adds to the metric registry (NULL or NULL-name-terminated). */
	const struct vmb_metric *metrics;
	/* Optional: checks the runner's options and makes its configuration
	 * (*config, given to every launch as spec->config; release it with
	 * release_config). Bad input for the runner's own options is a usage
	 * error naming it (-1). A run setting the runner cannot honour (a
	 * --memory beyond what a guest can have, say) goes to `refuse` instead,
	 * with 0: the run then skips the runner's cases with that reason, or
	 * exits 2 with it when --runner named the runner. Called once per run,
	 * before anything is measured, also when the runner cannot work on this
	 * host (bad input is bad input). */
	int (*configure)(const struct vmb_run_env *env, void **config, char *refuse, size_t len,
	                 struct vmb_error *err);
	void (*release_config)(void *config);
	/* Makes what the instance needs before launch (directories, cgroups). */
	int (*prepare)(struct vmb_instance *inst, struct vmb_error *err);
	/* Starts the agent; records the "launch" phase, sets pid and chan_fd. */
	int (*launch)(struct vmb_instance *inst, struct vmb_error *err);
	/* Waits for the agent's records and the process's end; fills the
	 * outcome fields. Must stop the instance on timeout or interruption. */
	int (*wait)(struct vmb_instance *inst, struct vmb_error *err);
	/* Releases everything prepare and launch made; always called, also
	 * after a failure at any step, and must be safe to call on a partly
	 * prepared instance. Adds host-side counters to inst->host. */
	void (*teardown)(struct vmb_instance *inst);
	/* Optional: the runner's own judgement of an instance that ran to the
	 * end (a VM whose guest did not power off cleanly, say): 0, or -1
	 * with err set. Asked after teardown, before the generic checks. */
	int (*verdict)(struct vmb_instance *inst, struct vmb_error *err);
	/* Optional: the host memory a running instance costs, read from the
	 * host side (its cgroup, /proc/PID/smaps), never from inside: a new
	 * object with at least "per_instance_kib" and "pss_kib" (struct
	 * vmb_instance_memory's fields), or NULL when nothing could be read.
	 * Called between launch and teardown (from on_ready). NULL: the
	 * generic reading of the launched process's tree (vmb_tree_memory). */
	json_t *(*memory)(struct vmb_instance *inst);
	/* Optional: makes, once, what every instance of a launch shares (a
	 * guest's kernel and initramfs), before a density run starts many at
	 * once, so that they do not each make it. 0 or -1 with err set. */
	int (*warm)(const struct vmb_launch *spec, struct vmb_error *err);
};

/* The registry, in the order runs take. */
extern const struct vmb_runner *const vmb_runners[];
extern const unsigned vmb_runner_count;

/* Finds a runner by name; NULL if none. */
const struct vmb_runner *vmb_runner_find(const char *name);

/* Checks that an ops table is complete and its options and metrics are
 * well formed; 0 or -1 with what is wrong in err. */
int vmb_runner_validate(const struct vmb_runner *r, struct vmb_error *err);

/* The first need of w that runner r does not offer, with r's reason, or NULL. */
const struct vmb_lack *vmb_runner_lacks(const struct vmb_runner *r, const struct vmb_workload *w);

/* Runs one instance from prepare to teardown. Returns 0 when the agent ran to
 * "done" with status ok and exited 0; -1 with err set otherwise (a measurement
 * failure, a timeout, or VMB_ERR_INTERRUPTED). The outcome stays in inst
 * either way; call vmb_instance_release afterwards. */
int vmb_instance_run(struct vmb_instance *inst, const struct vmb_runner *r,
                     const struct vmb_launch *spec, struct vmb_error *err);

/* vmb_instance_run with inst->on_ready set to on_ready (and on_ready_arg to
 * arg) for the whole run. */
int vmb_instance_run_held(struct vmb_instance *inst, const struct vmb_runner *r,
                          const struct vmb_launch *spec,
                          int (*on_ready)(struct vmb_instance *, struct vmb_error *), void *arg,
                          struct vmb_error *err);

/* Host memory of a running process tree, from /proc/PID/smaps_rollup of pid
 * and every descendant (runners/memory.c). Sizes in KiB. */
struct vmb_tree_memory {
	long long rss_kib, pss_kib, private_kib, anon_huge_kib, swap_kib;
	long long ksm_kib; /* pages KSM merged (kernels from 6.1 say) */
	unsigned processes;
};
/* 0, or -1 when pid's own rollup could not be read (gone, or no /proc). */
int vmb_tree_memory(pid_t pid, struct vmb_tree_memory *out);
/* The same for pid alone. */
int vmb_proc_memory(pid_t pid, struct vmb_tree_memory *out);
/* Sets out's "per_instance_kib" to what cgroup cg is charged now (memory.current,
 * or v1's memory.usage_in_bytes), where it can be read. */
void vmb_memory_charge(struct vmb_cgroup *cg, json_t *out);
/* pid's mappings (/proc/PID/smaps) split in two: those within [lo, hi) (a
 * guest's RAM) into *in, the rest into *out. 0 or -1. */
int vmb_proc_memory_split(pid_t pid, uint64_t lo, uint64_t hi, struct vmb_tree_memory *in,
                          struct vmb_tree_memory *out);

/* Frees the JSON an instance holds. */
void vmb_instance_release(struct vmb_instance *inst);

/* The first record of `type` among an instance's records, or NULL. */
json_t *vmb_record_find(json_t *records, const char *type);

/* Records phase `name` at now (ns since inst->t0). */
void vmb_instance_phase(struct vmb_instance *inst, const char *name);

/* Helpers for runners whose agent writes to a pipe: reads records from
 * inst->chan_fd until EOF, the deadline, or an interruption, stamping the
 * "agent_ready" and "workload_done" phases when those records arrive. Returns
 * 0 at EOF, -1 with err set on timeout (inst->timed_out), interruption or a
 * malformed record. */
int vmb_channel_collect(struct vmb_instance *inst, struct vmb_error *err);

/* Reaps inst->pid with wait4, stores exit status and rusage; with `force`,
 * SIGKILLs it first. Returns 0 or -1 with err set. */
int vmb_instance_reap(struct vmb_instance *inst, bool force, struct vmb_error *err);

/* Signals that interrupt a run (SIGINT, SIGTERM) are blocked outside the
 * waits; these install the handler and report which one arrived (0 if none). */
void vmb_signals_install(void);
int vmb_signals_pending(void);
const sigset_t *vmb_signals_wait_mask(void);
