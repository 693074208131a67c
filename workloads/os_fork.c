/* os_fork.c: the cost of a process's life, fork of the agent itself, the child's _exit and the
 * parent's waitpid, each timed on its own; optionally with memory touched first, so that the
 * fork copies the page tables of a bigger process. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pages.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_FORKS, P_TOUCH_MIB };

struct fork_state {
	void *mem; /* touch_mib MiB, every page written: anonymous memory to map in the child */
	size_t len;
};

static int os_fork_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct fork_state *st = calloc(1, sizeof(*st));

	if (!st)
		return vmb_error_sys(err, ENOMEM, "fork: state");
	ctx->state = st;
	if (ctx->param[P_TOUCH_MIB] == 0)
		return 0;
	st->len = (size_t)ctx->param[P_TOUCH_MIB] << 20;
	st->mem = mmap(NULL, st->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st->mem == MAP_FAILED) {
		st->mem = NULL;
		return vmb_error_sys(err, errno, "fork: mmap %llu MiB",
		                     (unsigned long long)ctx->param[P_TOUCH_MIB]);
	}
	/* a write to every page, so that each has a page-table entry to copy */
	long page = sysconf(_SC_PAGESIZE);
	for (size_t off = 0; off < st->len; off += (size_t)page)
		((volatile char *)st->mem)[off] = (char)(off >> 12);
	return 0;
}

static void os_fork_teardown(struct vmb_workload_ctx *ctx)
{
	struct fork_state *st = ctx->state;

	if (!st)
		return;
	if (st->mem)
		munmap(st->mem, st->len);
	free(st);
	ctx->state = NULL;
}

static int os_fork_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	uint64_t forks = ctx->param[P_FORKS], sum = 0;
	struct vmb_hist *h = vmb_dist(ctx, "fork_ns", "ns");

	if (!h)
		return vmb_error_set(err, VMB_ERR_FAIL, "fork: no distribution");
	ctx->ops_unit = "fork";
	if (ctx->thread == 0) {
		/* what each fork copies: the whole agent, every copy's memory
		 * included (all copies are set up by now) */
		long rss = vmb_status_kib("VmRSS:"), pte = vmb_status_kib("VmPTE:");
		json_t *obs = json_object();
		if (rss >= 0)
			json_object_set_new(obs, "forked_rss_kib", json_integer(rss));
		if (pte >= 0)
			json_object_set_new(obs, "forked_page_tables_kib", json_integer(pte));
		ctx->observations = obs;
	}
	for (uint64_t i = 0; i < forks; i++) {
		uint64_t t0 = vmb_now_ns();
		pid_t pid = fork();
		if (pid == 0)
			_exit((int)(i & 0x7f));
		if (pid < 0)
			return vmb_error_sys(err, errno, "fork: fork (fork %llu)",
			                     (unsigned long long)i);
		int status = vmb_reap(pid);
		uint64_t dt = vmb_now_ns() - t0;
		if (status < 0) {
			int saved = errno;
			kill(pid, SIGKILL);
			vmb_reap(pid);
			return vmb_error_sys(err, saved, "fork: waitpid");
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != (int)(i & 0x7f))
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "fork: the child ended with wait status %#x, not exit "
			                     "status %d",
			                     (unsigned)status, (int)(i & 0x7f));
		vmb_hist_add(h, dt);
		sum += (uint64_t)WEXITSTATUS(status) + 1;
		ctx->ops++;
	}
	ctx->checksum = sum;
	return 0;
}

static uint64_t os_fork_memory(const uint64_t *param)
{
	/* the children share it copy-on-write and touch none of it */
	return param[P_TOUCH_MIB] << 20;
}

static const struct vmb_metric os_fork_metrics[] = {
        VMB_DISTRIBUTION("fork_ns", "ns",
                         "fork of the agent, the child's _exit(0) and the parent's waitpid"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param os_fork_params[] = {
        [P_FORKS] = {"forks", 3000, 1, 1ULL << 32, true,
                     "forks (each with its child's exit and the wait), one after another",
                     .quick = 600},
        [P_TOUCH_MIB] = {"touch_mib", 0, 0, 65536, false,
                         "anonymous memory written in setup, MiB: a bigger process whose "
                         "page tables every fork copies (0: the agent as it is)"},
};

const struct vmb_workload vmb_workload_os_fork = {
        .name = "fork",
        .suite = "os",
        .summary = "fork of the agent (a small process with its libraries mapped, plus touch_mib) "
                   "+ child _exit + waitpid, each timed; a copy per core",
        .params = os_fork_params,
        .nparams = VMB_ARRAY_SIZE(os_fork_params),
        .parallel = true,
        .headline = "fork_ns_p50",
        .metrics = os_fork_metrics,
        .memory_need = os_fork_memory,
        .setup = os_fork_setup,
        .run = os_fork_run,
        .teardown = os_fork_teardown,
};
