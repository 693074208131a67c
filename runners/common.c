/* common.c: what the process-based runners share: agent argv, child set-up, waiting. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runners/common.h"
#include "vmbench/util.h"

char **vmb_agent_argv(const struct vmb_launch *spec, const char *fd_arg)
{
	size_t n = 0;

	while (spec->agent_args[n])
		n++;
	char **argv = calloc(n + 4, sizeof(char *));
	if (!argv)
		return NULL;
	argv[0] = (char *)spec->agent_path;
	memcpy(argv + 1, spec->agent_args, n * sizeof(char *));
	argv[n + 1] = "--fd";
	argv[n + 2] = (char *)fd_arg;
	return argv;
}

void vmb_child_common(const struct vmb_launch *spec, int logfd)
{
	sigset_t none;
	int nullfd;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (spec->cpus && sched_setaffinity(0, sizeof(*spec->cpus), spec->cpus) < 0) {
		dprintf(logfd, "vmbench: sched_setaffinity failed\n");
		_exit(127);
	}
	nullfd = open("/dev/null", O_RDONLY);
	if (nullfd < 0 || dup2(nullfd, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
		_exit(127);
}

int vmb_wait_agent_process(struct vmb_instance *inst, struct vmb_error *err)
{
	if (vmb_channel_collect(inst, err) < 0) {
		struct vmb_error ignored = {0};
		vmb_instance_reap(inst, true, &ignored);
		return -1;
	}
	return vmb_instance_reap(inst, false, err);
}

void vmb_reap_quietly(struct vmb_instance *inst)
{
	struct vmb_error ignored = {0};

	if (inst->chan_fd >= 0) {
		close(inst->chan_fd);
		inst->chan_fd = -1;
	}
	if (inst->pid > 0)
		vmb_instance_reap(inst, true, &ignored);
}
