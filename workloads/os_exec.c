/* os_exec.c: the cost of starting a program, fork + execve of a tiny static binary + its exit +
 * waitpid, each timed on its own; and the same through posix_spawn, which shares the parent's
 * memory until the exec (clone with CLONE_VM | CLONE_VFORK) and so leaves out most of the fork. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmbench/image.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_EXECS, P_SPAWN };

/* The program started: workloads/true.c, built beside the agent, which the
 * image (runners/image.c) places beside the agent too. */
#define TRUE_NAME VMB_TRUE_NAME

struct exec_state {
	char path[4096];
};

/* One posix_spawn of the program and its wait: the wait status, or -1 with
 * err set. */
static int spawn_once(const char *path, struct vmb_error *err)
{
	char *argv[] = {TRUE_NAME, NULL}, *envp[] = {NULL};
	pid_t pid;
	/* glibc's posix_spawn reports a failed exec itself */
	int rc = posix_spawn(&pid, path, NULL, NULL, argv, envp);

	if (rc != 0)
		return vmb_error_sys(err, rc, "exec: posix_spawn %s", path);
	int status = vmb_reap(pid);
	if (status < 0)
		return vmb_error_sys(err, errno, "exec: waitpid");
	return status;
}

static int os_exec_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct exec_state *st = calloc(1, sizeof(*st));

	if (!st)
		return vmb_error_sys(err, ENOMEM, "exec: state");
	ctx->state = st;
	vmb_autofree char *self = vmb_self_dir();
	if (!self)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "exec: cannot tell where the agent lies (/proc/self/exe), so "
		                     "not where " TRUE_NAME " is");
	snprintf(st->path, sizeof(st->path), "%s/" TRUE_NAME, self);
	if (access(st->path, X_OK) < 0)
		return vmb_error_sys(err, errno,
		                     "exec: no executable %s (" TRUE_NAME
		                     " is built beside vmbench-agent and must lie beside it)",
		                     st->path);
	/* one start untimed: it fails here, clearly, if the program cannot run,
	 * and its pages are in the page cache before the timing */
	int status = spawn_once(st->path, err);
	if (status < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "exec: %s ended with wait status %#x",
		                     st->path, (unsigned)status);
	return 0;
}

static void os_exec_teardown(struct vmb_workload_ctx *ctx)
{
	free(ctx->state);
	ctx->state = NULL;
}

static int os_exec_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct exec_state *st = ctx->state;
	char *argv[] = {TRUE_NAME, NULL}, *envp[] = {NULL};
	uint64_t execs = ctx->param[P_EXECS], sum = 0;
	struct vmb_hist *he = vmb_dist(ctx, "exec_ns", "ns");
	struct vmb_hist *hs = ctx->param[P_SPAWN] ? vmb_dist(ctx, "spawn_ns", "ns") : NULL;

	if (!he || (ctx->param[P_SPAWN] && !hs))
		return vmb_error_set(err, VMB_ERR_FAIL, "exec: no distribution");
	ctx->ops_unit = "exec";
	/* the two ways alternate, so that a slow spell of the host falls on both */
	for (uint64_t i = 0; i < execs; i++) {
		uint64_t t0 = vmb_now_ns();
		pid_t pid = fork();
		if (pid == 0) {
			execve(st->path, argv, envp);
			_exit(127);
		}
		if (pid < 0)
			return vmb_error_sys(err, errno, "exec: fork");
		int status = vmb_reap(pid);
		uint64_t dt = vmb_now_ns() - t0;
		if (status < 0) {
			int saved = errno;
			kill(pid, SIGKILL);
			vmb_reap(pid);
			return vmb_error_sys(err, saved, "exec: waitpid");
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "exec: %s ended with wait status %#x%s", st->path,
			                     (unsigned)status,
			                     WIFEXITED(status) && WEXITSTATUS(status) == 127
			                             ? " (the execve failed)"
			                             : "");
		vmb_hist_add(he, dt);
		sum += 1;
		ctx->ops++;
		if (!hs)
			continue;
		t0 = vmb_now_ns();
		status = spawn_once(st->path, err);
		dt = vmb_now_ns() - t0;
		if (status < 0)
			return -1;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "exec: %s (posix_spawn) ended with wait status %#x",
			                     st->path, (unsigned)status);
		vmb_hist_add(hs, dt);
		sum += 2;
		ctx->ops++;
	}
	ctx->checksum = sum;
	return 0;
}

static const struct vmb_metric os_exec_metrics[] = {
        VMB_DISTRIBUTION("exec_ns", "ns",
                         "fork of the agent + execve of a static no-libc program + its exit "
                         "+ waitpid (the fork included)"),
        VMB_DISTRIBUTION("spawn_ns", "ns",
                         "posix_spawn (clone with CLONE_VM|CLONE_VFORK, no page-table copy) of "
                         "a static no-libc program + its exit + waitpid"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param os_exec_params[] = {
        [P_EXECS] = {"execs", 2000, 1, 1ULL << 32, true,
                     "programs started each way (fork+execve, and posix_spawn unless spawn=0)",
                     .quick = 400},
        [P_SPAWN] = {"spawn", 1, 0, 1, false,
                     "1: also time posix_spawn, alternating with fork+execve (spawn_ns); 0: "
                     "fork+execve only"},
};

const struct vmb_workload vmb_workload_os_exec = {
        .name = "exec",
        .suite = "os",
        .summary = "fork + execve of a tiny static program (vmbench-true) + exit + waitpid, each "
                   "timed (fork included); also posix_spawn of it",
        .params = os_exec_params,
        .nparams = VMB_ARRAY_SIZE(os_exec_params),
        .headline = "exec_ns_p50",
        .metrics = os_exec_metrics,
        .setup = os_exec_setup,
        .run = os_exec_run,
        .teardown = os_exec_teardown,
};
