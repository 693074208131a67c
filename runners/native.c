/* native.c: the baseline runner, the agent as a plain host process pinned to the chosen cores. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runners/common.h"
#include "vmbench/runner.h"
#include "vmbench/util.h"

static int native_probe(char *why, size_t len)
{
	return 0;
}

static int native_prepare(struct vmb_instance *inst, struct vmb_error *err)
{
	return 0;
}

static int native_launch(struct vmb_instance *inst, struct vmb_error *err)
{
	vmb_autofree char **argv = vmb_agent_argv(inst->spec, "3");
	int chan[2], logfd;

	if (!argv)
		return vmb_error_sys(err, ENOMEM, "agent arguments");
	logfd = open(inst->spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0)
		return vmb_error_sys(err, errno, "open %s", inst->spec->log_path);
	if (pipe2(chan, O_CLOEXEC) < 0) {
		close(logfd);
		return vmb_error_sys(err, errno, "pipe");
	}
	vmb_instance_phase(inst, "launch");
	pid_t pid = fork();
	if (pid == 0) {
		/* Between fork and exec: the one place that may die on the spot. */
		vmb_child_common(inst->spec, logfd);
		if (dup2(chan[1], 3) < 0)
			_exit(127);
		execv(inst->spec->agent_path, argv);
		dprintf(2, "vmbench: exec %s: %s\n", inst->spec->agent_path, strerror(errno));
		_exit(127);
	}
	int saved = errno;
	close(chan[1]);
	close(logfd);
	if (pid < 0) {
		close(chan[0]);
		return vmb_error_sys(err, saved, "fork");
	}
	inst->pid = pid;
	inst->chan_fd = chan[0];
	return 0;
}

static int native_wait(struct vmb_instance *inst, struct vmb_error *err)
{
	return vmb_wait_agent_process(inst, err);
}

static void native_teardown(struct vmb_instance *inst)
{
	vmb_reap_quietly(inst);
}

const struct vmb_runner vmb_runner_native = {
        .name = "native",
        .summary = "the agent as a plain host process on the chosen cores (the baseline)",
        .probe = native_probe,
        .prepare = native_prepare,
        .launch = native_launch,
        .wait = native_wait,
        .teardown = native_teardown,
};
