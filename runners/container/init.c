/* init.c: vmbench-init, the container runner's helper. vmbench starts it (and moves it
 * into the instance cgroup) before launch; on the host's word it clones the container,
 * whose first process runs child.c, and waits for it. Small and static, so neither its
 * start nor its memory depends on how large vmbench is. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runners/container/container.h"
#include "vmbench/proc.h"
#include "vmbench/util.h"

#define STACK_SIZE (128 * 1024)

static char stack[STACK_SIZE] __attribute__((aligned(16)));

int main(int argc, char **argv)
{
	struct vmb_ctr_child c;
	char go;
	int status;

	if (argc < 7 || strcmp(argv[5], "--") != 0) {
		fprintf(stderr, "usage: vmbench-init IMAGE INSTANCE_DIR VOLUME|- HOSTNAME -- AGENT "
		                "ARGS...\n(started by vmbench's container runner, not by hand)\n");
		return 2;
	}
	c.image = argv[1];
	c.inst_dir = argv[2];
	c.volume = strcmp(argv[3], "-") == 0 ? NULL : argv[3];
	c.hostname = argv[4];
	c.agent_argv = argv + 6;
	if (read(VMB_INIT_FD_CTL, &go, 1) != 1)
		return 125;
	close(VMB_INIT_FD_CTL);
	/* The cgroup namespace comes later, from inside: a cgroup namespace is
	 * rooted where it is made, and the child is already in its cgroup. */
	pid_t pid = clone(vmb_ctr_child_main, stack + STACK_SIZE,
	                  CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
	                          CLONE_NEWNET | SIGCHLD,
	                  &c);
	int32_t msg = pid < 0 ? -errno : (int32_t)pid;
	if (vmb_write_all(VMB_INIT_FD_PID, &msg, sizeof(msg)) < 0 || pid < 0)
		return 125;
	/* only the container keeps the channel and the go-ahead open */
	close(VMB_INIT_FD_CHAN);
	close(VMB_INIT_FD_SYNC);
	close(VMB_INIT_FD_INIT);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 125;
	int32_t kib = (int32_t)vmb_proc_private_kib(0, 0, 0);
	(void)!vmb_write_all(VMB_INIT_FD_PID, &kib, sizeof(kib));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
