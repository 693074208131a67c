/* density.c: N instances at once. vmbench (the coordinator) forks one monitor per
 * instance; the monitor runs its instance through the runner exactly as a single launch
 * is run (prepare, launch, wait, teardown), so every runner works unchanged and nothing
 * of the runners' state is shared between instances. Coordinator and monitor talk over a
 * SOCK_SEQPACKET pair, one message a packet:
 *
 *   coordinator -> monitor   'G' start   'M' measure memory   'X' release
 *   monitor -> coordinator   'R <ready_ns> <got_G_ns> <cpu_ns>'   'M <json>'   'D' (sample written)
 *
 * The coordinator waits on one epoll set: its work per instance is a fixed number of
 * messages, whatever N is. A monitor holds its instance in the runner's on_ready hook
 * until it is told to measure or release; releasing stops the instance as a failed
 * collection would, and the runner's teardown removes all of it. Here: the coordinator;
 * the monitor is density_monitor.c, the host's state and the sweep's rule density_host.c. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/density_internal.h"
#include "vmbench/cgroup.h"
#include "vmbench/proc.h"
#include "vmbench/util.h"

/* How long teardown of released instances may take before their monitors
 * are stopped by force. */
#define RELEASE_GRACE_NS (60ull * 1000000000ull)

/* The coordinator's view of one instance. */
struct member {
	pid_t pid; /* its monitor */
	int fd;
	bool held; /* a held instance (hold); else the victim */
	bool started, ready, done, gone;
	bool crashed; /* ended while held, before it was released */
	uint64_t t_go, t_ready;
	uint64_t t_got;           /* when the monitor took 'G': t_go plus its wake-up */
	uint64_t t_plan;          /* when 'G' was due (a rate's schedule) */
	long long monitor_cpu_ns; /* the monitor's own CPU time until ready */
	json_t *mem;
};

/* ---- the coordinator ---- */

struct coord {
	const struct vmb_group *g;
	struct member *mb;
	unsigned n; /* members: the held ones, then the victim */
	unsigned ready, failed, done;
	unsigned measured; /* members whose memory reply came */
	unsigned gone;     /* members whose monitor has ended */
	bool releasing;    /* 'X' sent: a held instance ending is no failure now */
	int ep;
	pid_t self;
	bool interrupted;
};

static void member_gone(struct coord *c, struct member *m)
{
	if (m->gone)
		return;
	m->gone = true;
	c->gone++;
	if (m->held && (!m->ready || !c->releasing)) {
		/* it never came up, or it ended while held: a crash */
		m->crashed = m->ready;
		c->failed++;
	}
	epoll_ctl(c->ep, EPOLL_CTL_DEL, m->fd, NULL);
}

/* Reads one message of member i. */
static void take_message(struct coord *c, unsigned i)
{
	struct member *m = &c->mb[i];
	char buf[65536];
	ssize_t n = recv(m->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		member_gone(c, m);
		return;
	}
	buf[n] = '\0';
	switch (buf[0]) {
	case 'R': {
		unsigned long long at, got;
		long long cpu;
		if (!m->ready && sscanf(buf + 1, "%llu %llu %lld", &at, &got, &cpu) == 3) {
			m->ready = true;
			m->t_ready = at;
			m->t_got = got;
			m->monitor_cpu_ns = cpu;
			if (m->held)
				c->ready++;
		}
		break;
	}
	case 'M':
		if (!m->mem)
			c->measured++;
		json_decref(m->mem);
		m->mem = json_loads(buf + 1, 0, NULL);
		break;
	case 'D':
		m->done = true;
		c->done++;
		member_gone(c, m);
		break;
	default:
		break; /* nothing else is sent */
	}
}

/* Waits for events until `until` (monotonic ns; 0: one poll); -1 when a
 * signal interrupted the wait. */
static int pump(struct coord *c, uint64_t until)
{
	struct epoll_event ev[64];
	uint64_t now = vmb_now_ns(), left = until > now ? until - now : 0;
	/* to the nanosecond: a rate's starts are due between milliseconds */
	struct timespec ts = {.tv_sec = (time_t)(left / 1000000000ull),
	                      .tv_nsec = (long)(left % 1000000000ull)};
	int n = epoll_pwait2(c->ep, ev, 64, &ts, vmb_signals_wait_mask());
	if (n < 0 && errno == ENOSYS) /* before Linux 5.11: to the millisecond */
		n = epoll_pwait(c->ep, ev, 64, (int)((left + 999999) / 1000000),
		                vmb_signals_wait_mask());

	if (vmb_signals_pending()) {
		c->interrupted = true;
		return -1;
	}
	for (int k = 0; k < n; k++)
		take_message(c, ev[k].data.u32);
	return 0;
}

static void send_all(struct coord *c, char cmd, bool held)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->mb[i].held == held && !c->mb[i].gone)
			vmb_density_send(c->mb[i].fd, &cmd, 1);
}

/* Forks the monitors; -1 with err set when the host refuses (what was made
 * is left in c for the cleanup). */
static int spawn(struct coord *c, struct vmb_error *err)
{
	for (unsigned i = 0; i < c->n; i++) {
		struct member *m = &c->mb[i];
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
			return vmb_error_sys(err, errno, "socketpair for instance %u", i + 1);
		pid_t pid = fork();
		if (pid < 0) {
			close(sv[0]);
			close(sv[1]);
			return vmb_error_sys(err, errno, "fork of the monitor of instance %u",
			                     i + 1);
		}
		if (pid == 0) {
			for (unsigned j = 0; j < i; j++)
				close(c->mb[j].fd);
			close(c->ep);
			close(sv[0]);
			vmb_density_monitor(c->g, i, sv[1], m->held, c->self);
		}
		close(sv[1]);
		m->pid = pid;
		m->fd = sv[0];
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		epoll_ctl(c->ep, EPOLL_CTL_ADD, m->fd, &ev);
	}
	return 0;
}

/* Starts the held instances, together or at the group's rate, and waits for
 * all to be ready (or to have failed) within the launch timeout. */
static int start_held(struct coord *c)
{
	const struct vmb_group *g = c->g;
	unsigned held = g->instances, next = 0, shown = ~0u;
	uint64_t t0 = vmb_now_ns(), deadline = UINT64_MAX;

	for (;;) {
		uint64_t now = vmb_now_ns();
		while (next < held &&
		       (g->rate <= 0 || now >= t0 + (uint64_t)((double)next / g->rate * 1e9))) {
			struct member *m = &c->mb[next];
			m->t_plan =
			        g->rate > 0 ? t0 + (uint64_t)((double)next / g->rate * 1e9) : t0;
			next++;
			m->t_go = vmb_now_ns();
			m->started = true;
			vmb_density_send(m->fd, "G", 1);
			now = m->t_go;
		}
		if (next == held && deadline == UINT64_MAX)
			deadline = g->hold->timeout_s > 0
			                   ? now + (uint64_t)(g->hold->timeout_s * 1e9)
			                   : UINT64_MAX;
		if (g->progress && c->ready + c->failed != shown) {
			shown = c->ready + c->failed;
			g->progress(g->arg, c->ready, c->failed, held);
		}
		if (next == held && c->ready + c->failed >= held)
			return 0;
		if (now >= deadline)
			return 0; /* the late ones count as failed */
		uint64_t until =
		        next < held && g->rate > 0
		                ? t0 + (uint64_t)((double)next / g->rate * 1e9)
		                : (deadline < now + 200000000ull ? deadline : now + 200000000ull);
		if (pump(c, until) < 0)
			return -1;
	}
}

/* KSM merges what it scans; where guests offered their RAM to it and the
 * host runs it, the measurement waits for two full scans (30 s at most). */
static void ksm_settle(struct coord *c, json_t *ksm)
{
	long long scans = vmb_density_ksm("full_scans");
	uint64_t until = vmb_now_ns() + 30ull * 1000000000ull;

	while (scans >= 0 && vmb_density_ksm("full_scans") < scans + 2 && vmb_now_ns() < until)
		if (pump(c, vmb_now_ns() + 100000000ull) < 0)
			return;
	json_object_set_new(ksm, "settled_scans",
	                    json_integer(vmb_density_ksm("full_scans") - scans));
}

/* Sends 'M' to every ready held instance and collects the replies (5 s). */
static int measure(struct coord *c)
{
	unsigned want = 0;
	uint64_t until = vmb_now_ns() + 5000000000ull;

	c->measured = 0;
	for (unsigned i = 0; i < c->n; i++)
		if (c->mb[i].held && c->mb[i].ready && !c->mb[i].gone) {
			json_decref(c->mb[i].mem);
			c->mb[i].mem = NULL;
			vmb_density_send(c->mb[i].fd, "M", 1);
			want++;
		}
	/* each reply counts itself (take_message): no scan per event */
	while (c->measured < want && vmb_now_ns() < until)
		if (pump(c, until) < 0)
			return -1;
	return 0;
}

/* Waits for every monitor to finish, stopping the late ones by force; then
 * reaps them, and whatever an instance orphaned. */
static void finish_all(struct coord *c, bool force)
{
	uint64_t until = vmb_now_ns() + (force ? 5000000000ull : RELEASE_GRACE_NS);
	unsigned spawned = 0;

	for (unsigned i = 0; i < c->n; i++) {
		spawned += c->mb[i].pid > 0;
		if (force && c->mb[i].pid > 0 && !c->mb[i].gone)
			kill(c->mb[i].pid, SIGTERM);
	}
	/* each monitor's end counts itself (member_gone): no scan per event */
	while (c->gone < spawned && vmb_now_ns() < until) {
		struct epoll_event ev[64];
		int n = epoll_pwait(c->ep, ev, 64, 100, vmb_signals_wait_mask());
		for (int k = 0; k < n; k++)
			take_message(c, ev[k].data.u32);
		if (vmb_signals_pending() && !force) {
			/* interrupted while they are torn down: no more waiting
			 * than an interruption gets */
			c->interrupted = true;
			force = true;
			for (unsigned i = 0; i < c->n; i++)
				if (c->mb[i].pid > 0 && !c->mb[i].gone)
					kill(c->mb[i].pid, SIGTERM);
			until = vmb_now_ns() + 5000000000ull;
		}
	}
	bool lost = false;
	for (unsigned i = 0; i < c->n; i++) {
		struct member *m = &c->mb[i];
		if (m->pid <= 0)
			continue;
		if (!m->gone) {
			/* a monitor that would not finish: its instance's cgroup
			 * and processes are swept below */
			kill(m->pid, SIGKILL);
			member_gone(c, m);
		}
		lost |= !m->done;
		while (waitpid(m->pid, NULL, 0) < 0 && errno == EINTR)
			;
		m->pid = -1;
	}
	/* A monitor that ended without its sample (killed, or stopped by force)
	 * may have left its instance to us (we are a subreaper) and its cgroup
	 * behind: every process still ours is an orphan of the group now. */
	for (int round = 0; lost && round < 50; round++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		char path[64];
		int child, any = 0;
		snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
		FILE *f = fopen(path, "re");
		while (f && fscanf(f, "%d", &child) == 1) {
			kill(child, SIGKILL);
			any++;
		}
		if (f)
			fclose(f);
		if (!any)
			break;
		usleep(10000);
	}
	if (lost)
		vmb_cgroup_sweep_stale(); /* cgroups named after monitors now dead */
}

/* The group's figures from the members' messages and samples. */
static json_t *figures(struct coord *c, json_t **victim, uint64_t t_first, uint64_t t_all,
                       long long coord_cpu, double host_busy, json_t *ksm, long long avail_drop)
{
	const struct vmb_group *g = c->g;
	unsigned held = g->instances;
	json_t *d = json_object(), *ready = json_array(), *insts = json_array();
	vmb_autofree double *sorted = calloc(held ? held : 1, sizeof(double));
	size_t nr = 0, nlag = 0;
	unsigned failed = 0;
	/* how long monitors took to wake to their start, and how far behind
	 * its schedule vmbench sent it */
	vmb_autofree double *lag = calloc(held ? held : 1, sizeof(double));
	vmb_autofree double *late = calloc(held ? held : 1, sizeof(double));
	long long monitors_cpu = 0;
	/* each instance's memory figure (key) and the group's mean of it (as) */
	static const struct {
		const char *key, *as;
	} memkeys[] = {
	        {"per_instance_kib", "per_instance_kib"},
	        {"pss_kib", "pss_per_instance_kib"},
	        {"rss_kib", "rss_per_instance_kib"},
	        {"runtime_private_kib", "runtime_private_kib"},
	        {"guest_resident_kib", "guest_resident_kib"},
	        {"vmm_private_kib", "vmm_private_kib"},
	        {"huge_kib", "huge_kib"},
	        {"ksm_kib", "ksm_kib"},
	        {"monitor_private_kib", "monitor_private_kib"},
	        {NULL, NULL},
	};
	double sum[16] = {0};
	unsigned cnt[16] = {0};
	json_t *flags = NULL;

	for (unsigned i = 0; i < c->n; i++) {
		struct member *m = &c->mb[i];
		char path[4096];
		vmb_density_sample_path(g, c->self, i, path, sizeof(path));
		json_t *smp = m->done ? json_load_file(path, 0, NULL) : NULL;
		unlink(path);
		if (!m->held) {
			*victim = smp;
			continue;
		}
		if (!smp)
			smp = json_pack("{s:s, s:s}", "status", "failed", "error",
			                "its monitor ended without a sample");
		if (m->crashed) {
			const char *why = json_string_value(json_object_get(smp, "error"));
			char msg[600];
			snprintf(msg, sizeof(msg),
			         "it ended while held, before it was released%s%s", why ? ": " : "",
			         why ? why : "");
			json_object_set_new(smp, "status", json_string("failed"));
			json_object_set_new(smp, "error", json_string(msg));
		} else if (m->ready && !json_is_true(json_object_get(smp, "released"))) {
			/* up, but not seen to its release: its monitor was lost, or it
			 * ended as it was being released */
			const char *why = json_string_value(json_object_get(smp, "error"));
			char msg[600];
			snprintf(msg, sizeof(msg), "it was not released as asked%s%s",
			         why ? ": " : "", why ? why : "");
			json_object_set_new(smp, "status", json_string("failed"));
			json_object_set_new(smp, "error", json_string(msg));
		}
		const char *own = json_string_value(json_object_get(smp, "error"));
		if (m->started && !m->ready && !c->interrupted &&
		    (!own || strncmp(own, "interrupted", 11) == 0)) {
			/* stopped at the group's deadline: that is the reason, not
			 * the signal that stopped it */
			char msg[200];
			snprintf(msg, sizeof(msg),
			         "it did not come up within the --timeout of %g s",
			         g->hold->timeout_s);
			json_object_set_new(smp, "status", json_string("failed"));
			json_object_set_new(smp, "error", json_string(msg));
		}
		/* the outcome is each instance's own sample's */
		const char *st = json_string_value(json_object_get(smp, "status"));
		if (!st || strcmp(st, "ok") != 0)
			failed++;
		if (m->ready && m->started && lag && late) {
			lag[nlag] = m->t_got > m->t_go ? (double)(m->t_got - m->t_go) : 0;
			late[nlag++] = m->t_go > m->t_plan ? (double)(m->t_go - m->t_plan) : 0;
		}
		if (m->ready && m->started) {
			double ns = (double)(m->t_ready - m->t_go);
			json_array_append_new(ready, json_integer((json_int_t)ns));
			json_object_set_new(smp, "ready_ns", json_integer((json_int_t)ns));
			if (sorted)
				sorted[nr++] = ns;
			monitors_cpu += m->monitor_cpu_ns;
		} else {
			json_array_append_new(ready, json_null());
		}
		if (m->mem) {
			if (!flags)
				flags = m->mem;
			for (int k = 0; memkeys[k].key; k++) {
				json_t *v = json_object_get(m->mem, memkeys[k].key);
				if (json_is_integer(v)) {
					sum[k] += (double)json_integer_value(v);
					cnt[k]++;
				}
			}
			json_object_set(smp, "memory", m->mem);
		}
		json_array_append_new(insts, smp);
	}
	if (sorted && nr)
		qsort(sorted, nr, sizeof(double), vmb_density_cmp);
	json_object_set_new(d, "instances", json_integer(held));
	json_object_set_new(d, "ready", json_integer((json_int_t)nr));
	json_object_set_new(d, "failed", json_integer(failed));
	c->failed = failed;
	if (g->rate > 0)
		json_object_set_new(d, "rate_per_s", json_real(g->rate));
	json_object_set_new(d, "ready_ns", ready);
	if (nr) {
		json_object_set_new(d, "ready_p50_ns",
		                    json_real(vmb_density_quantile(sorted, nr, 0.5)));
		json_object_set_new(d, "ready_p90_ns",
		                    json_real(vmb_density_quantile(sorted, nr, 0.9)));
		json_object_set_new(d, "ready_p99_ns",
		                    json_real(vmb_density_quantile(sorted, nr, 0.99)));
		json_object_set_new(d, "ready_max_ns", json_real(sorted[nr - 1]));
	}
	if (nr == held && t_all > t_first)
		json_object_set_new(d, "all_ready_ns", json_integer((json_int_t)(t_all - t_first)));
	json_t *mem = json_object();
	for (int k = 0; memkeys[k].key; k++)
		if (cnt[k])
			json_object_set_new(mem, memkeys[k].as, json_real(sum[k] / cnt[k]));
	/* how the memory was set up (a VM's huge pages and KSM), as the
	 * runner said */
	const char *fk;
	json_t *fv;
	json_object_foreach(flags, fk, fv) if (json_is_boolean(fv)) json_object_set(mem, fk, fv);
	/* the whole host's view: what MemAvailable lost, per instance */
	if (avail_drop > 0 && held)
		json_object_set_new(mem, "host_available_drop_kib",
		                    json_real((double)avail_drop / held));
	/* what a VM's guest RAM gets without --hugepages or --no-hugepages */
	char thp[32];
	if (vmb_density_thp(thp, sizeof(thp)))
		json_object_set_new(mem, "host_thp", json_string(thp));
	json_object_set_new(mem, "instances_measured",
	                    json_integer(cnt[0] > cnt[1] ? cnt[0] : cnt[1]));
	if (!cnt[0] && cnt[1])
		json_object_set_new(mem, "per_instance_unavailable",
		                    json_string("a plain process has no cgroup to charge: compare "
		                                "pss_per_instance_kib"));
	json_object_set_new(d, "memory", mem);
	json_object_set_new(d, "ksm", ksm);
	/* Was the harness what limited the start? The coordinator is one
	 * thread: busy for half the start window or more, it was. The
	 * monitors' time is the runtime's own start-up work (prepare, launch). */
	double window = t_all > t_first ? (double)(t_all - t_first) : NAN;
	double share = (double)coord_cpu / window;
	json_t *h =
	        json_pack("{s:I, s:I, s:f}", "coordinator_cpu_ns", (json_int_t)coord_cpu,
	                  "monitors_cpu_ns", (json_int_t)monitors_cpu,
	                  "coordinator_cpu_per_instance_ns", held ? (double)coord_cpu / held : 0.0);
	if (isfinite(window))
		json_object_set_new(h, "window_ns", json_real(window));
	/* how busy the whole host was while they started: near 1, the host's
	 * CPUs were what the starts waited for */
	if (isfinite(host_busy))
		json_object_set_new(h, "host_busy_share", json_real(host_busy));
	else
		json_object_set_new(h, "host_busy_unavailable",
		                    json_string("the start window was shorter than /proc/stat's "
		                                "resolution"));
	double late_p50 = NAN;
	if (nlag) {
		qsort(lag, nlag, sizeof(double), vmb_density_cmp);
		qsort(late, nlag, sizeof(double), vmb_density_cmp);
		json_object_set_new(h, "wake_p50_ns",
		                    json_real(vmb_density_quantile(lag, nlag, 0.5)));
		json_object_set_new(h, "wake_max_ns", json_real(lag[nlag - 1]));
		if (g->rate > 0) {
			late_p50 = vmb_density_quantile(late, nlag, 0.5);
			json_object_set_new(h, "behind_schedule_p50_ns", json_real(late_p50));
			json_object_set_new(h, "behind_schedule_max_ns", json_real(late[nlag - 1]));
		}
	}
	if (isfinite(share)) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		json_object_set_new(h, "coordinator_share", json_real(share));
		json_object_set_new(
		        h, "monitors_share",
		        json_real((double)monitors_cpu / window / (cpus > 0 ? cpus : 1)));
		/* vmbench limited the starts when its one coordinator thread was
		 * busy half the window, or when it sent the starts of a rate
		 * later than half an interval on the median */
		bool busy = share >= 0.5;
		bool behind = isfinite(late_p50) && late_p50 > 0.5e9 / g->rate;
		char why[300];
		if (behind)
			snprintf(why, sizeof(why),
			         "vmbench sent the starts %.1f ms behind the schedule of %g a "
			         "second "
			         "on the median: the rate achieved was not the rate asked",
			         late_p50 / 1e6, g->rate);
		else
			snprintf(
			        why, sizeof(why),
			        busy ? "vmbench's coordinator was busy %.0f%% of the start window: "
			               "the start times may be its own, not the runtime's"
			             : "vmbench's coordinator was busy %.0f%% of the start window",
			        share * 100);
		json_object_set_new(h, "bottleneck", json_boolean(busy || behind));
		json_object_set_new(h, "why", json_string(why));
	}
	json_object_set_new(d, "harness", h);
	json_object_set_new(d, "instance_samples", insts);
	return d;
}

int vmb_density_run(const struct vmb_group *g, json_t **density, json_t **victim,
                    struct vmb_error *err)
{
	struct coord c = {.g = g, .n = g->instances + (g->victim ? 1 : 0), .self = getpid()};
	unsigned long long busy0 = 0, tot0 = 0, busy1 = 0, tot1 = 0;
	double host_busy = NAN;
	int rc = 0;

	*density = NULL;
	*victim = NULL;
	c.mb = calloc(c.n, sizeof(*c.mb));
	c.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!c.mb || c.ep < 0) {
		free(c.mb);
		if (c.ep >= 0)
			close(c.ep);
		return vmb_error_sys(err, errno ? errno : ENOMEM, "density: %u instances", c.n);
	}
	for (unsigned i = 0; i < c.n; i++) {
		c.mb[i].fd = -1;
		c.mb[i].held = i < g->instances;
	}
	json_t *ksm = json_object();
	long long ksm_run = vmb_density_ksm("run"), sharing0 = vmb_density_ksm("pages_sharing");
	if (ksm_run < 0)
		json_object_set_new(ksm, "unavailable",
		                    json_string("this kernel has no KSM (" KSM_DIR " is missing)"));
	else
		json_object_set_new(ksm, "run", json_integer(ksm_run));
	long long avail0 = vmb_mem_available_kib();

	/* a socket per instance: as many as the hard limit allows */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		if (!vmb_density_nofile.rlim_cur)
			vmb_density_nofile = nofile;
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	if (spawn(&c, err) < 0) {
		rc = -1;
		finish_all(&c, true);
		*density = json_pack("{s:i, s:i, s:i}", "instances", (int)g->instances, "ready", 0,
		                     "failed", (int)g->instances);
		goto out;
	}
	long long cpu0 = vmb_density_cpu_ns(RUSAGE_SELF);
	bool have_cpu = vmb_density_host_cpu(&busy0, &tot0);
	uint64_t t_first = vmb_now_ns();
	rc = start_held(&c);
	uint64_t t_all = vmb_now_ns();
	long long coord_cpu = vmb_density_cpu_ns(RUSAGE_SELF) - cpu0;
	/* /proc/stat counts in ticks: a window of fewer than 20 of them (all
	 * CPUs together) gives no figure worth the name */
	if (have_cpu && vmb_density_host_cpu(&busy1, &tot1) && tot1 >= tot0 + 20)
		host_busy = (double)(busy1 - busy0) / (double)(tot1 - tot0);
	if (c.ready == g->instances) {
		/* all were ready when the last one was */
		t_all = 0;
		for (unsigned i = 0; i < c.n; i++)
			if (c.mb[i].held && c.mb[i].t_ready > t_all)
				t_all = c.mb[i].t_ready;
	}
	bool offered = false; /* some instance offered its memory to KSM */
	if (rc == 0 && c.ready > 0) {
		/* held as long as asked: for a look from outside, or for the
		 * host to settle; an instance may crash meanwhile */
		uint64_t until = vmb_now_ns() + (uint64_t)(g->hold_s * 1e9);
		while (rc == 0 && vmb_now_ns() < until)
			rc = pump(&c, until);
		if (rc == 0)
			rc = measure(&c);
		/* instances that offered their memory to KSM, on a host that runs
		 * it: measured again once KSM has scanned them */
		for (unsigned i = 0; i < c.n; i++)
			offered |= json_is_true(json_object_get(c.mb[i].mem, "ksm_granted"));
		if (rc == 0 && ksm_run == 1 && offered) {
			ksm_settle(&c, ksm);
			rc = measure(&c);
		}
	}
	long long avail1 = vmb_mem_available_kib();
	if (ksm_run == 1 && sharing0 >= 0 && offered) {
		/* what KSM merged while they ran, host-wide: theirs, unless
		 * something else offered memory meanwhile */
		long long saved = (vmb_density_ksm("pages_sharing") - sharing0) *
		                  (sysconf(_SC_PAGESIZE) / 1024);
		json_object_set_new(ksm, "saved_kib", json_integer(saved));
		if (c.ready)
			json_object_set_new(ksm, "saved_per_instance_kib",
			                    json_real((double)saved / c.ready));
	} else if (ksm_run == 1) {
		json_object_set_new(ksm, "not_offered",
		                    json_string("KSM runs, but these instances did not offer it "
		                                "their memory (a VM does with --ksm)"));
	} else if (ksm_run >= 0) {
		/* no figure: a zero would read as "KSM saved nothing" */
		json_object_set_new(ksm, "off",
		                    json_string("KSM is not running on this host (" KSM_DIR
		                                "run is not 1): it saved nothing because it "
		                                "never ran"));
	}
	/* the victim runs to its end beside the held ones */
	if (rc == 0 && g->victim && c.failed == 0 && c.ready == g->instances) {
		struct member *v = &c.mb[c.n - 1];
		v->t_go = vmb_now_ns();
		v->started = true;
		vmb_density_send(v->fd, "G", 1);
		while (!v->gone && rc == 0)
			rc = pump(&c, vmb_now_ns() + 200000000ull);
	}
	if (rc == 0) {
		c.releasing = true;
		send_all(&c, 'X', true);
		/* a victim never started (a neighbour failed) is told so: it
		 * leaves a sample saying it was stopped before it started */
		if (g->victim && !c.mb[c.n - 1].started && !c.mb[c.n - 1].gone)
			vmb_density_send(c.mb[c.n - 1].fd, "X", 1);
		/* one that never came up is not listening: stopped as on an
		 * interruption, its runner tearing it down */
		for (unsigned i = 0; i < c.n; i++)
			if (c.mb[i].held && !c.mb[i].ready && !c.mb[i].gone && c.mb[i].pid > 0)
				kill(c.mb[i].pid, SIGTERM);
		finish_all(&c, false);
	} else {
		finish_all(&c, true);
	}
	*density = figures(&c, victim, t_first, t_all, coord_cpu, host_busy, ksm,
	                   avail0 > 0 && avail1 > 0 ? avail0 - avail1 : -1);
	ksm = NULL;
	if (c.interrupted) {
		rc = vmb_error_set(err, VMB_ERR_INTERRUPTED, "interrupted by signal %d",
		                   vmb_signals_pending());
	} else if (c.failed > 0 || c.ready < g->instances) {
		/* the first failed instance's own reason */
		const char *why = NULL;
		size_t i;
		json_t *s;
		/* the first failure of its own; "stopped before it was started"
		 * is what the others say when one failed */
		json_array_foreach(json_object_get(*density, "instance_samples"), i, s)
		{
			const char *e = json_string_value(json_object_get(s, "error"));
			if (e && (!why || strncmp(why, "stopped before", 14) == 0))
				why = e;
			if (why && strncmp(why, "stopped before", 14) != 0)
				break;
		}
		rc = vmb_error_set(err, VMB_ERR_FAIL, "%u of %u instances failed%s%s", c.failed,
		                   g->instances, why ? ": " : "",
		                   why ? why : " to come up within the timeout");
	} else if (rc < 0 && err->kind == VMB_ERR_NONE) {
		rc = vmb_error_set(err, VMB_ERR_FAIL, "density: the group did not finish");
	}
out:
	json_decref(ksm);
	for (unsigned i = 0; i < c.n; i++) {
		if (c.mb[i].fd >= 0)
			close(c.mb[i].fd);
		json_decref(c.mb[i].mem);
	}
	close(c.ep);
	free(c.mb);
	return rc;
}
