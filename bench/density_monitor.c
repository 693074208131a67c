/* density_monitor.c: a density run's monitor, one process per instance, forked from
 * vmbench (bench/density.c): it runs its instance through the runner as a single launch
 * is run, holds it where the agent says it is set up, reads its memory when told, and
 * releases it; its sample goes to the run's scratch directory. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/density_internal.h"
#include "vmbench/proc.h"
#include "vmbench/util.h"

/* vmbench's descriptor limit before a group raised it for its sockets */
struct rlimit vmb_density_nofile;

struct monitor {
	int fd;
	bool released;
	uint64_t t_go; /* when 'G' arrived */
};

long long vmb_density_cpu_ns(int who)
{
	struct rusage r;

	getrusage(who, &r);
	return (long long)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000000ll +
	       (long long)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1000ll;
}

/* The next command from the coordinator; -1 with err set when interrupted or
 * when the coordinator is gone. With chan >= 0 (a held instance's results
 * channel), 1 when that channel stirs instead: the instance ended, or said
 * something, while held. */
static int next_command(int fd, int chan, char *cmd, struct vmb_error *err)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = chan, .events = POLLIN}};
		if (vmb_signals_pending())
			return vmb_error_set(err, VMB_ERR_INTERRUPTED, "interrupted by signal %d",
			                     vmb_signals_pending());
		int n = ppoll(p, chan >= 0 ? 2 : 1, NULL, vmb_signals_wait_mask());
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vmb_error_sys(err, errno, "poll of the coordinator's socket");
		if (chan >= 0 && p[1].revents && !p[0].revents)
			return 1;
		ssize_t got = recv(fd, cmd, 1, 0);
		if (got == 1)
			return 0;
		if (got < 0 && errno == EINTR)
			continue;
		return vmb_error_set(err, VMB_ERR_FAIL, "vmbench (the coordinator) went away");
	}
}

void vmb_density_send(int fd, const char *msg, size_t len)
{
	while (send(fd, msg, len, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/* Says the instance is held: when its agent said ready (the start's end),
 * when the monitor was told to start it, and the monitor's own CPU time. */
static void send_ready(struct monitor *m, const struct vmb_instance *inst)
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "R %llu %llu %lld",
	                 (unsigned long long)(inst->t_ready ? inst->t_ready : vmb_now_ns()),
	                 (unsigned long long)m->t_go, vmb_density_cpu_ns(RUSAGE_SELF));
	vmb_density_send(m->fd, msg, (size_t)n);
}

/* What a running instance costs the host: the runner's own reading where it
 * has one (a cgroup, a VMM's guest RAM), else its process tree's; and the
 * monitor's own private memory, the harness's part of the instance. */
static json_t *instance_memory(struct vmb_instance *inst)
{
	json_t *j = inst->runner->memory ? inst->runner->memory(inst) : NULL;
	struct vmb_tree_memory t;

	if (!j) {
		j = json_object();
		if (vmb_tree_memory(inst->pid, &t) == 0) {
			/* a plain process has no cgroup to charge: its proportional
			 * set is the figure to compare */
			json_object_set_new(j, "pss_kib", json_integer(t.pss_kib));
			json_object_set_new(j, "rss_kib", json_integer(t.rss_kib));
			json_object_set_new(j, "processes", json_integer(t.processes));
		}
	}
	long own = vmb_proc_private_kib(0, 0, 0);
	if (own >= 0)
		json_object_set_new(j, "monitor_private_kib", json_integer(own));
	return j;
}

/* The hook of a held instance: ready, then measured and released on command. */
static int on_ready_hold(struct vmb_instance *inst, struct vmb_error *err)
{
	struct monitor *m = inst->on_ready_arg;
	char cmd;

	send_ready(m, inst);
	for (;;) {
		int got = next_command(m->fd, inst->chan_fd, &cmd, err);
		if (got < 0)
			return -1;
		if (got == 1)
			return 0; /* it ended while held: collected as any end */
		if (cmd == 'M') {
			json_t *mem = instance_memory(inst);
			char *s = json_dumps(mem, JSON_COMPACT);
			json_decref(mem);
			if (s) {
				size_t len = strlen(s) + 3;
				char *msg = malloc(len);
				if (msg) {
					snprintf(msg, len, "M %s", s);
					vmb_density_send(m->fd, msg, len - 1);
				}
				free(msg);
				free(s);
			}
		} else if (cmd == 'X') {
			m->released = true;
			return vmb_error_set(err, VMB_ERR_FAIL, "released");
		}
	}
}

/* The victim's hook: it says it is ready and goes on. */
static int on_ready_victim(struct vmb_instance *inst, struct vmb_error *err)
{
	send_ready(inst->on_ready_arg, inst);
	return 0;
}

void vmb_density_sample_path(const struct vmb_group *g, pid_t coordinator, unsigned i, char *buf,
                             size_t len)
{
	snprintf(buf, len, "%s/density-%d-%u.json", g->scratch, (int)coordinator, i);
}

/* A monitor: runs instance i and leaves its sample in the scratch directory. */
void vmb_density_monitor(const struct vmb_group *g, unsigned i, int fd, bool held,
                         pid_t coordinator)
{
	struct monitor m = {.fd = fd};
	struct vmb_instance inst;
	struct vmb_error err = {0};
	struct vmb_launch spec = held ? *g->hold : *g->victim;
	char log[4096], path[4096], cmd;

	/* it dies with the coordinator, cleaning up as on an interruption */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != coordinator)
		_exit(1);
	/* what its instance orphans comes here, not to the coordinator */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (held)
		snprintf(log, sizeof(log), "%s.i%u.log", g->hold->log_path, i + 1);
	else
		snprintf(log, sizeof(log), "%s", g->victim->log_path);
	spec.log_path = log;
	/* the instance gets the descriptor limit vmbench was started with */
	if (vmb_density_nofile.rlim_cur)
		setrlimit(RLIMIT_NOFILE, &vmb_density_nofile);
	vmb_density_sample_path(g, coordinator, i, path, sizeof(path));
	if (next_command(fd, -1, &cmd, &err) < 0 || cmd != 'G') {
		/* stopped before it was started: said so, not left blank */
		json_t *smp = json_pack(
		        "{s:s, s:s+}", "status", "failed", "error",
		        "stopped before it was started: ", err.msg[0] ? err.msg : "not asked to");
		json_dump_file(smp, path, JSON_COMPACT);
		json_decref(smp);
		vmb_density_send(fd, "D", 1);
		_exit(0);
	}
	m.t_go = vmb_now_ns();
	int rc = vmb_instance_run_held(&inst, g->runner, &spec,
	                               held ? on_ready_hold : on_ready_victim, &m, &err);
	if (held && m.released && err.kind != VMB_ERR_INTERRUPTED) {
		/* stopped by the coordinator, as asked: no failure */
		rc = 0;
		vmb_error_clear(&err);
	}
	json_t *smp = g->sample(g->arg, &inst, rc, &err, log);
	if (held)
		json_object_set_new(smp, "released", json_boolean(m.released));
	vmb_instance_release(&inst);
	json_dump_file(smp, path, JSON_COMPACT);
	json_decref(smp);
	vmb_density_send(fd, "D", 1);
	_exit(0);
}
