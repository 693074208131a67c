/* instance.c: drives one runner instance from prepare to teardown, reads the agent's
 * records from its channel, reaps the process, and handles SIGINT/SIGTERM. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "vmbench/record.h"
#include "vmbench/runner.h"
#include "vmbench/util.h"

static volatile sig_atomic_t pending_signal;
static sigset_t wait_mask;

static void on_signal(int sig)
{
	pending_signal = sig;
}

void vmb_signals_install(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	/* wait_mask is the mask before blocking: the waits open exactly these */
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGHUP);
}

int vmb_signals_pending(void)
{
	return pending_signal;
}

const sigset_t *vmb_signals_wait_mask(void)
{
	return &wait_mask;
}

void vmb_instance_phase(struct vmb_instance *inst, const char *name)
{
	json_object_set_new(inst->phases, name,
	                    json_integer((json_int_t)(vmb_now_ns() - inst->t0)));
}

static uint64_t deadline_of(const struct vmb_instance *inst)
{
	if (inst->spec->timeout_s <= 0)
		return UINT64_MAX;
	return inst->t0 + (uint64_t)(inst->spec->timeout_s * 1e9);
}

/* Waits for fd to become readable until deadline; 1 ready, 0 timed out,
 * -1 interrupted (err set). */
static int wait_readable(int fd, uint64_t deadline, struct vmb_error *err)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct timespec ts, *tsp = NULL;
		uint64_t now = vmb_now_ns();

		if (pending_signal)
			return vmb_error_set(err, VMB_ERR_INTERRUPTED, "interrupted by signal %d",
			                     (int)pending_signal);
		if (deadline != UINT64_MAX) {
			if (now >= deadline)
				return 0;
			ts.tv_sec = (time_t)((deadline - now) / 1000000000ull);
			ts.tv_nsec = (long)((deadline - now) % 1000000000ull);
			tsp = &ts;
		}
		int n = ppoll(&p, 1, tsp, &wait_mask);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return vmb_error_sys(err, errno, "poll");
	}
}

static int take_record(struct vmb_instance *inst, const char *line, struct vmb_error *err)
{
	json_error_t jerr;
	json_t *rec;
	const char *type;

	/* a handful is normal: a flood is stopped before it costs the host */
	inst->nrecords++;
	inst->record_bytes += strlen(line) + 1;
	if (inst->nrecords > VMB_RECORDS_MAX || inst->record_bytes > VMB_RECORD_BYTES_MAX)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "the agent sent more than %u records or %u bytes: stopped",
		                     VMB_RECORDS_MAX, VMB_RECORD_BYTES_MAX);
	rec = json_loads(line, 0, &jerr);
	if (!rec || !json_is_object(rec) ||
	    !(type = json_string_value(json_object_get(rec, "type")))) {
		json_decref(rec);
		return vmb_error_set(err, VMB_ERR_FAIL, "malformed record from the agent: %.80s",
		                     line);
	}
	if (!vmb_record_type_allowed(type)) {
		/* an agent has no business sending anything else (a forged
		 * summary of a VMM, say): refused, counted, and the sample fails */
		json_t *n = json_object_get(inst->host, "refused_records");
		json_object_set_new(inst->host, "refused_records",
		                    json_integer(json_integer_value(n) + 1));
		if (!json_object_get(inst->host, "refused_example"))
			json_object_set_new(inst->host, "refused_example", json_string(type));
		json_decref(rec);
		return 0;
	}
	if (strcmp(type, "phase") == 0) {
		/* stamped where it happened, on the same monotonic clock */
		const char *name = json_string_value(json_object_get(rec, "name"));
		json_t *at = json_object_get(rec, "mono_ns");
		bool first_setup = name && strcmp(name, "setup_done") == 0 && !inst->setup_seen;
		/* setup_done marks where a density run holds, not a phase of the
		 * start: the result's setup_ns says how long setup took */
		if (name && json_is_integer(at) && !inst->runner->guest_clock &&
		    strcmp(name, "setup_done") != 0)
			json_object_set_new(
			        inst->phases, name,
			        json_integer(json_integer_value(at) - (json_int_t)inst->t0));
		json_decref(rec);
		/* the workload is set up and about to run: whoever started the
		 * instance may hold it here (a density run) */
		if (first_setup) {
			inst->setup_seen = true;
			if (inst->on_ready)
				return inst->on_ready(inst, err);
		}
		return 0;
	}
	if (strcmp(type, "ready") == 0 && !json_object_get(inst->phases, "agent_ready")) {
		vmb_instance_phase(inst, "agent_ready");
		inst->t_ready = vmb_now_ns();
	} else if (strcmp(type, "result") == 0)
		vmb_instance_phase(inst, "workload_done");
	json_array_append_new(inst->records, rec);
	return 0;
}

int vmb_channel_collect(struct vmb_instance *inst, struct vmb_error *err)
{
	uint64_t deadline = deadline_of(inst);
	vmb_autofree char *buf = malloc(VMB_RECORD_MAX + 1);
	size_t used = 0;

	if (!buf)
		return vmb_error_sys(err, ENOMEM, "record buffer");
	for (;;) {
		int ready = wait_readable(inst->chan_fd, deadline, err);
		if (ready < 0)
			return -1;
		if (ready == 0) {
			inst->timed_out = true;
			return vmb_error_set(err, VMB_ERR_FAIL, "timed out after %g s",
			                     inst->spec->timeout_s);
		}
		ssize_t n = read(inst->chan_fd, buf + used, VMB_RECORD_MAX - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vmb_error_sys(err, errno, "reading the results channel");
		}
		if (n == 0)
			return used ? vmb_error_set(err, VMB_ERR_FAIL,
			                            "the agent's last record was cut off")
			            : 0;
		used += (size_t)n;
		buf[used] = '\0';
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', used - (size_t)(start - buf)))) {
			*nl = '\0';
			if (nl > start && take_record(inst, start, err) < 0)
				return -1;
			start = nl + 1;
		}
		used -= (size_t)(start - buf);
		memmove(buf, start, used);
		if (used == VMB_RECORD_MAX)
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "a record from the agent exceeds %u bytes",
			                     VMB_RECORD_MAX);
	}
}

int vmb_instance_reap(struct vmb_instance *inst, bool force, struct vmb_error *err)
{
	int status;

	if (inst->pid <= 0)
		return 0;
	if (!force) {
		/* Wait, bounded by the deadline, for the process to exit. */
		int pfd = (int)syscall(SYS_pidfd_open, inst->pid, 0);
		if (pfd >= 0) {
			int ready = wait_readable(pfd, deadline_of(inst), err);
			close(pfd);
			if (ready <= 0) {
				if (ready == 0)
					inst->timed_out = true;
				force = true;
			}
		}
	}
	if (force)
		kill(inst->pid, SIGKILL);
	while (wait4(inst->pid, &status, 0, &inst->rusage) < 0) {
		if (errno != EINTR)
			return vmb_error_sys(err, errno, "wait4 %d", (int)inst->pid);
	}
	inst->pid = -1;
	inst->exited = true;
	inst->signalled = WIFSIGNALED(status);
	inst->term_signal = inst->signalled ? WTERMSIG(status) : 0;
	inst->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	vmb_instance_phase(inst, "exited");
	if (inst->timed_out && err && err->kind == VMB_ERR_NONE)
		vmb_error_set(err, VMB_ERR_FAIL, "timed out after %g s", inst->spec->timeout_s);
	return inst->timed_out || (err && err->kind == VMB_ERR_INTERRUPTED) ? -1 : 0;
}

json_t *vmb_record_find(json_t *records, const char *type)
{
	size_t i;
	json_t *r;

	json_array_foreach(records, i, r)
	{
		const char *t = json_string_value(json_object_get(r, "type"));
		if (t && strcmp(t, type) == 0)
			return r;
	}
	return NULL;
}

/* A runner whose agent runs under an init of its own (container, VM) gets an
 * "init" record saying how the agent ended: the init's own exit status cannot
 * carry a signal, and a VMM's says how the guest ended, not the agent. */
static void take_init_record(struct vmb_instance *inst)
{
	json_t *sig = json_object_get(inst->init, "agent_signal");
	json_t *code = json_object_get(inst->init, "agent_exit");

	if (json_is_integer(sig)) {
		inst->signalled = true;
		inst->term_signal = (int)json_integer_value(sig);
	} else if (json_is_integer(code) && json_integer_value(code) != 0) {
		inst->exit_code = (int)json_integer_value(code);
	}
}

/* Explains why an instance that ran to the end did not succeed; 0 if it did. */
static int judge(struct vmb_instance *inst, struct vmb_error *err)
{
	json_t *last = vmb_record_find(inst->records, "done");
	const char *type = last ? json_string_value(json_object_get(last, "type")) : NULL;
	const char *status = last ? json_string_value(json_object_get(last, "status")) : NULL;
	const char *why = last ? json_string_value(json_object_get(last, "error")) : NULL;

	/* the runner's own word first: a guest cannot choose the reason shown */
	if (inst->runner->verdict && inst->runner->verdict(inst, err) < 0)
		return -1;
	json_t *setup = vmb_record_find(inst->records, "error");
	if (setup)
		return vmb_error_set(err, VMB_ERR_FAIL, "%s failed at %s%s: %s", inst->runner->name,
		                     json_string_value(json_object_get(setup, "step")),
		                     json_object_get(setup, "from") ? " (the guest's own report)"
		                                                    : "",
		                     json_string_value(json_object_get(setup, "error")));
	json_t *refused = json_object_get(inst->host, "refused_records");
	if (json_integer_value(refused) > 0)
		return vmb_error_set(
		        err, VMB_ERR_FAIL,
		        "the agent sent %lld record(s) of a type no agent may send "
		        "(first: %s): refused, and the sample is not trusted",
		        (long long)json_integer_value(refused),
		        json_string_value(json_object_get(inst->host, "refused_example")));
	json_t *cg = json_object_get(inst->host, "cgroup");
	if (json_integer_value(json_object_get(cg, "oom_kills")) > 0) {
		json_t *max = json_object_get(cg, "memory_limit_bytes");
		if (json_is_integer(max))
			return vmb_error_set(
			        err, VMB_ERR_FAIL,
			        "OOM-killed: the instance exceeded its memory limit of "
			        "%lld bytes",
			        (long long)json_integer_value(max));
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "OOM-killed: the instance ran out of memory");
	}
	if (inst->signalled)
		return vmb_error_set(err, VMB_ERR_FAIL, "the agent was killed by signal %d (%s)",
		                     inst->term_signal, strsignal(inst->term_signal));
	if (type && strcmp(type, "done") == 0 && status && strcmp(status, "ok") != 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "the workload failed: %s",
		                     why ? why : "no reason given");
	if (inst->exit_code != 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "the agent exited with status %d (see %s)",
		                     inst->exit_code, inst->spec->log_path);
	if (!type || strcmp(type, "done") != 0)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "the agent ended without a \"done\" record");
	return 0;
}

int vmb_instance_run(struct vmb_instance *inst, const struct vmb_runner *r,
                     const struct vmb_launch *spec, struct vmb_error *err)
{
	return vmb_instance_run_held(inst, r, spec, NULL, NULL, err);
}

int vmb_instance_run_held(struct vmb_instance *inst, const struct vmb_runner *r,
                          const struct vmb_launch *spec,
                          int (*on_ready)(struct vmb_instance *, struct vmb_error *), void *arg,
                          struct vmb_error *err)
{
	int rc;

	memset(inst, 0, sizeof(*inst));
	inst->on_ready = on_ready;
	inst->on_ready_arg = arg;
	inst->runner = r;
	inst->spec = spec;
	inst->pid = -1;
	inst->chan_fd = -1;
	inst->t0 = vmb_now_ns();
	inst->phases = json_object();
	inst->records = json_array();
	inst->host = json_object();
	vmb_error_clear(err);

	rc = r->prepare(inst, err);
	if (rc == 0)
		rc = r->launch(inst, err);
	if (rc == 0)
		rc = r->wait(inst, err);
	r->teardown(inst);
	/* vmbench is a child subreaper: anything of this instance orphaned on
	 * the way out was handed to us, and is reaped here. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	vmb_instance_phase(inst, "teardown_done");
	if (pending_signal && err->kind != VMB_ERR_INTERRUPTED)
		rc = vmb_error_set(err, VMB_ERR_INTERRUPTED, "interrupted by signal %d",
		                   (int)pending_signal);
	take_init_record(inst);
	if (rc == 0)
		rc = judge(inst, err);
	return rc;
}

void vmb_instance_release(struct vmb_instance *inst)
{
	json_decref(inst->phases);
	json_decref(inst->records);
	json_decref(inst->host);
	json_decref(inst->init);
	inst->phases = inst->records = inst->host = inst->init = NULL;
}
