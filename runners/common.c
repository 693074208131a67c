/* common.c: what the process-based runners share: agent argv, child set-up, waiting. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runners/common.h"
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
	vmb_instance_phase(inst, "launch");
	pid_t pid = fork();
	if (pid == 0) {
		/* Between fork and exec: the one place that may die on the spot. */
		vmb_child_common(inst->spec, logfd);
		if (dup2(chan[1], 3) < 0)
			_exit(127);
		execv(argv[0], argv);
		dprintf(2, "vmbench: exec %s: %s\n", argv[0], strerror(errno));
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
