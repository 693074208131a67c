/* os_pipe.c: the cost of waking another process, a byte sent over a pipe to a child and
 * sent back over a second pipe, each round trip timed on its own. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_TRIPS, P_PIN };

struct pipe_state {
	int to_child[2];   /* parent writes [1], child reads [0] */
	int from_child[2]; /* child writes [1], parent reads [0] */
	pid_t child;
	bool pinned; /* old_mask to be put back */
	cpu_set_t old_mask;
	bool sigpipe_saved; /* old_sigpipe to be put back */
	struct sigaction old_sigpipe;
};

/* The child's whole life: each byte read comes back plus one; EOF (the
 * parent closed its end or died) ends it. Only async-signal-safe calls. */
static void __attribute__((noreturn)) echo_child(int in, int out, pid_t parent)
{
	unsigned lo = (unsigned)(in < out ? in : out), hi = (unsigned)(in < out ? out : in);
	unsigned char b;

	/* it dies with its parent, whatever happens, and keeps no other file
	 * (the agent's results channel among them) open */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	if (lo > 0)
		close_range(0, lo - 1, 0);
	if (hi > lo + 1)
		close_range(lo + 1, hi - 1, 0);
	close_range(hi + 1, ~0u, 0);
	for (;;) {
		ssize_t n = read(in, &b, 1);
		if (n == 0)
			_exit(0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		b++;
		while ((n = write(out, &b, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			_exit(1);
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int os_pipe_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct pipe_state *st = calloc(1, sizeof(*st));
	cpu_set_t mask;

	if (!st)
		return vmb_error_sys(err, ENOMEM, "pipe-rtt: state");
	st->to_child[0] = st->to_child[1] = st->from_child[0] = st->from_child[1] = -1;
	ctx->state = st;
	if (pipe2(st->to_child, O_CLOEXEC) < 0 || pipe2(st->from_child, O_CLOEXEC) < 0)
		return vmb_error_sys(err, errno, "pipe-rtt: pipe");
	/* a write to a pipe whose child has died fails with EPIPE instead of
	 * killing the agent */
	struct sigaction ign = {.sa_handler = SIG_IGN};
	if (sigaction(SIGPIPE, &ign, &st->old_sigpipe) < 0)
		return vmb_error_sys(err, errno, "pipe-rtt: sigaction SIGPIPE");
	st->sigpipe_saved = true;
	if (ctx->param[P_PIN]) {
		/* both on the CPU the agent is on now: the child inherits it */
		int cpu = sched_getcpu();
		if (cpu < 0 || sched_getaffinity(0, sizeof(st->old_mask), &st->old_mask) < 0)
			return vmb_error_sys(err, errno, "pipe-rtt: which CPU");
		CPU_ZERO(&mask);
		CPU_SET(cpu, &mask);
		if (sched_setaffinity(0, sizeof(mask), &mask) < 0)
			return vmb_error_sys(err, errno, "pipe-rtt: pin to CPU %d", cpu);
		st->pinned = true;
	}
	if (sched_getaffinity(0, sizeof(mask), &mask) < 0)
		return vmb_error_sys(err, errno, "pipe-rtt: sched_getaffinity");
	int cpus = CPU_COUNT(&mask);
	/* on one CPU a trip is two context switches; on more, the scheduler may
	 * put the two apart and each wake-up crosses CPUs */
	ctx->observations = json_pack("{s:i, s:b, s:b}", "cpus_allowed", cpus, "one_cpu", cpus == 1,
	                              "pinned", (int)st->pinned);
	pid_t parent = getpid();
	st->child = fork();
	if (st->child < 0) {
		st->child = 0;
		return vmb_error_sys(err, errno, "pipe-rtt: fork");
	}
	if (st->child == 0)
		echo_child(st->to_child[0], st->from_child[1], parent);
	close_fd(&st->to_child[0]);
	close_fd(&st->from_child[1]);
	return 0;
}

static void os_pipe_teardown(struct vmb_workload_ctx *ctx)
{
	struct pipe_state *st = ctx->state;
	int status;

	if (!st)
		return;
	close_fd(&st->to_child[0]);
	close_fd(&st->to_child[1]); /* the child reads EOF and exits */
	close_fd(&st->from_child[0]);
	close_fd(&st->from_child[1]);
	if (st->child > 0) {
		/* it reads EOF and exits, or is stuck: either way it goes now and
		 * is reaped, with no timer to wait on (a guest's timers are the
		 * VMM's to get right, not this workload's to depend on) */
		kill(st->child, SIGKILL);
		while (waitpid(st->child, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (st->pinned)
		sched_setaffinity(0, sizeof(st->old_mask), &st->old_mask);
	if (st->sigpipe_saved)
		sigaction(SIGPIPE, &st->old_sigpipe, NULL);
	free(st);
	ctx->state = NULL;
}

static int os_pipe_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct pipe_state *st = ctx->state;
	uint64_t trips = ctx->param[P_TRIPS], sum = 0;
	struct vmb_hist *h = vmb_dist(ctx, "pipe_rtt_ns", "ns");
	int out = st->to_child[1], in = st->from_child[0];

	if (!h)
		return vmb_error_set(err, VMB_ERR_FAIL, "pipe-rtt: no distribution");
	ctx->ops_unit = "round trip";
	for (uint64_t i = 0; i < trips; i++) {
		unsigned char sent = (unsigned char)(i * 7 + 3), got = 0;
		ssize_t n;
		uint64_t t0 = vmb_now_ns();
		while ((n = write(out, &sent, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			return vmb_error_sys(err, n < 0 ? errno : EIO,
			                     "pipe-rtt: write to the child (trip %llu)",
			                     (unsigned long long)i);
		while ((n = read(in, &got, 1)) < 0 && errno == EINTR)
			;
		uint64_t dt = vmb_now_ns() - t0;
		if (n == 0)
			return vmb_error_set(
			        err, VMB_ERR_FAIL,
			        "pipe-rtt: the child closed its pipe (trip %llu): it died",
			        (unsigned long long)i);
		if (n < 0)
			return vmb_error_sys(err, errno, "pipe-rtt: read from the child");
		if (got != (unsigned char)(sent + 1))
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "pipe-rtt: sent %u, the child answered %u, not %u",
			                     sent, got, (unsigned char)(sent + 1));
		vmb_hist_add(h, dt);
		sum += got;
		ctx->ops++;
		ctx->bytes += 2;
	}
	ctx->checksum = sum;
	return 0;
}

static const struct vmb_metric os_pipe_metrics[] = {
        VMB_DISTRIBUTION("pipe_rtt_ns", "ns",
                         "a 1-byte round trip to a child process over two pipes (two context "
                         "switches on one CPU, two cross-CPU wake-ups on two)"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param os_pipe_params[] = {
        [P_TRIPS] = {"trips", 100000, 1, 1ULL << 36, true, "round trips, each timed",
                     .quick = 10000},
        [P_PIN] = {"pin", 0, 0, 1, false,
                   "1: pin the agent and its child to the agent's current CPU (trips are "
                   "then always two context switches); 0: leave the CPUs the instance has"},
};

const struct vmb_workload vmb_workload_os_pipe = {
        .name = "pipe-rtt",
        .suite = "os",
        .summary = "1-byte ping-pong with a child process over two pipes, each round trip timed "
                   "(observations: whether both share one CPU)",
        .params = os_pipe_params,
        .nparams = VMB_ARRAY_SIZE(os_pipe_params),
        .headline = "pipe_rtt_ns_p50",
        .metrics = os_pipe_metrics,
        .setup = os_pipe_setup,
        .run = os_pipe_run,
        .teardown = os_pipe_teardown,
};
