/* common.c: what the process-based runners share: agent argv, spawning, waiting. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runners/common.h"
#include "vmbench/spawn.h"
#include "vmbench/util.h"

char **vmb_agent_argv(const struct vmb_launch *spec, const char *fd_arg, const char *dir_arg)
{
	size_t n = 0;

	while (spec->agent_args[n])
		n++;
	char **argv = calloc(n + 6, sizeof(char *));
	if (!argv)
		return NULL;
	argv[0] = (char *)spec->agent_path;
	memcpy(argv + 1, spec->agent_args, n * sizeof(char *));
	argv[n + 1] = "--fd";
	argv[n + 2] = (char *)fd_arg;
	if (dir_arg) {
		argv[n + 3] = "--dir";
		argv[n + 4] = (char *)dir_arg;
	}
	return argv;
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

int vmb_spawn_agent(struct vmb_instance *inst, char *const *prefix, struct vmb_error *err)
{
	vmb_autofree char **agent = vmb_agent_argv(inst->spec, "3", inst->spec->volume_dir);
	vmb_autofree char **argv = NULL;
	size_t np = 0, na = 0;
	int chan[2], logfd;

	while (prefix && prefix[np])
		np++;
	while (agent && agent[na])
		na++;
	argv = calloc(np + na + 2, sizeof(char *));
	if (!agent || !argv)
		return vmb_error_sys(err, ENOMEM, "agent arguments");
	memcpy(argv, prefix, np * sizeof(char *));
	if (np)
		argv[np++] = "--";
	memcpy(argv + np, agent, na * sizeof(char *));
	logfd = open(inst->spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0)
		return vmb_error_sys(err, errno, "open %s", inst->spec->log_path);
	if (pipe2(chan, O_CLOEXEC) < 0) {
		close(logfd);
		return vmb_error_sys(err, errno, "pipe");
	}
	struct vmb_spawn sp = {.argv = argv,
	                       .fds = {chan[1]},
	                       .nfds = 1,
	                       .log_fd = logfd,
	                       .cpus = inst->spec->cpus};
	vmb_instance_phase(inst, "launch");
	int rc = vmb_spawn(&sp, &inst->pid, err);
	close(chan[1]);
	close(logfd);
	if (rc < 0) {
		inst->pid = -1;
		close(chan[0]);
		return -1;
	}
	inst->chan_fd = chan[0];
	return 0;
}
