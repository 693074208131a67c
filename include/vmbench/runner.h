/* runner.h: the runner interface. A runner is an ops table in runners/, listed in
 * runners/registry.c; bench/instance.c drives prepare, launch, wait and teardown. */
#pragma once

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "vmbench/cgroup.h"
#include "vmbench/error.h"
#include "vmbench/workload.h"

/* What one instance runs: identical for every runner. */
struct vmb_launch {
	const char *agent_path;          /* the agent binary on the host */
	const char *init_path;           /* vmbench-init (container runner); NULL if not found */
	char **agent_args;               /* arguments after argv[0], NULL-terminated */
	const cpu_set_t *cpus;           /* placement, the same for every runner */
	double timeout_s;                /* launch to exit; 0 means none */
	const char *scratch_dir;         /* the run's scratch directory (deleted after the run) */
	const char *log_path;            /* where the agent's stderr (or a guest's console) goes */
	struct vmb_cgroup_limits limits; /* --cpus, --memory, placement (container, vm) */
	const char *image_dir;           /* --image: a prepared image; NULL = vmbench's own */
	const char *volume_dir;          /* host directory the agent's I/O goes to; NULL = none */
	/* VM runner */
	const char *vmm_path;        /* vmbench-vmm, or NULL if not found */
	const char *guest_init_path; /* vmbench-guest-init, or NULL */
	const char *kernel_path;     /* --kernel, or NULL for the default */
	unsigned vm_memory_mib;      /* guest RAM */
	unsigned vm_cpus;            /* vCPUs */
	bool verbose;                /* guest console to the terminal too */
	bool hugepages;              /* guest RAM in transparent huge pages */
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

	/* How it ended. */
	bool exited;
	int exit_code;   /* valid if exited and !signalled */
	int term_signal; /* valid if signalled */
	bool signalled;
	bool timed_out;
	struct rusage rusage; /* of the waited-for process tree */
};

struct vmb_runner {
	const char *name;
	const char *summary;
	/* Whether this runner can work on this host: 0, or -1 with a reason
	 * (and what to do about it) in why. */
	int (*probe)(char *why, size_t len);
	/* A reference runner (an outside tool, for comparison) runs by default
	 * only in the startup suite; naming it with --runner runs it everywhere. */
	bool reference;
	/* The agent runs on another clock (a guest's): its "phase" records are
	 * not comparable with the host's monotonic clock and are ignored. */
	bool guest_clock;
	/* Optional: NULL if this runner can run workload w, else why not (the
	 * case is then recorded as skipped with that reason). */
	const char *(*cannot_run)(const struct vmb_workload *w);
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
};

/* The registry, in the order runs take. */
extern const struct vmb_runner *const vmb_runners[];
extern const unsigned vmb_runner_count;

/* Finds a runner by name; NULL if none. */
const struct vmb_runner *vmb_runner_find(const char *name);

/* Checks that an ops table is complete; 0 or -1 with what is missing in err. */
int vmb_runner_validate(const struct vmb_runner *r, struct vmb_error *err);

/* Runs one instance from prepare to teardown. Returns 0 when the agent ran to
 * "done" with status ok and exited 0; -1 with err set otherwise (a measurement
 * failure, a timeout, or VMB_ERR_INTERRUPTED). The outcome stays in inst
 * either way; call vmb_instance_release afterwards. */
int vmb_instance_run(struct vmb_instance *inst, const struct vmb_runner *r,
                     const struct vmb_launch *spec, struct vmb_error *err);

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
