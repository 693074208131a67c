/* child.c: the container's side of the clone: mounts, pivot_root, devices, hostname,
 * loopback, dropped capabilities, and a tiny init that reaps and reports the agent. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runners/container/container.h"
#include "vmbench/image.h"
#include "vmbench/proc.h"
#include "vmbench/util.h"

/* The child writes its progress and any failure as records on the results
 * channel; the host stamps phases from mono_ns (the same clock, no time
 * namespace). */
static void phase(struct vmb_ctr_child *c, const char *name)
{
	(void)c;
	dprintf(VMB_INIT_FD_CHAN, "{\"type\":\"phase\",\"name\":\"%s\",\"mono_ns\":%llu}\n", name,
	        (unsigned long long)vmb_now_ns());
}

static __attribute__((noreturn)) void die(struct vmb_ctr_child *c, const char *step)
{
	int e = errno;

	(void)c;
	dprintf(VMB_INIT_FD_CHAN, "{\"type\":\"error\",\"step\":\"%s\",\"error\":\"%s\"}\n", step,
	        strerror(e));
	dprintf(2, "vmbench container: %s: %s\n", step, strerror(e));
	_exit(125);
}

/* One step of building the root file system, in order. */
enum mount_kind { M_OVERLAY, M_PROC, M_SYSFS, M_TMPFS, M_DEVBIND, M_VOLUME };

struct mount_step {
	enum mount_kind kind;
	const char *target; /* relative to the new root */
	const char *source; /* for device binds: the host node */
};

static const struct mount_step steps[] = {
        {M_OVERLAY, "", NULL},
        {M_PROC, "proc", NULL},
        {M_SYSFS, "sys", NULL},
        {M_TMPFS, "dev", NULL},
        {M_DEVBIND, "dev/null", "/dev/null"},
        {M_DEVBIND, "dev/zero", "/dev/zero"},
        {M_DEVBIND, "dev/full", "/dev/full"},
        {M_DEVBIND, "dev/random", "/dev/random"},
        {M_DEVBIND, "dev/urandom", "/dev/urandom"},
        {M_DEVBIND, "dev/tty", "/dev/tty"},
        {M_TMPFS, "tmp", NULL},
        {M_VOLUME, "data", NULL},
};

static void do_mount(struct vmb_ctr_child *c, const struct mount_step *s, const char *root)
{
	char target[4200], opts[12600];
	int fd;

	snprintf(target, sizeof(target), "%s/%s", root, s->target);
	switch (s->kind) {
	case M_OVERLAY:
		snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work",
		         c->image, c->inst_dir, c->inst_dir);
		if (mount("overlay", target, "overlay", 0, opts) < 0)
			die(c, "mount overlay root");
		break;
	case M_PROC:
		if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			die(c, "mount /proc");
		break;
	case M_SYSFS:
		/* read-only, and a fresh instance: it shows this network namespace */
		if (mount("sysfs", target, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		          NULL) < 0)
			die(c, "mount /sys");
		break;
	case M_TMPFS:
		if (mount("tmpfs", target, "tmpfs", MS_NOSUID, "mode=755,size=64m") < 0)
			die(c, "mount tmpfs");
		break;
	case M_DEVBIND:
		/* A user namespace may not mknod; a bind of the host node works. */
		fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
		if (fd < 0)
			die(c, "create device mount point");
		close(fd);
		if (mount(s->source, target, NULL, MS_BIND, NULL) < 0) {
			if (strcmp(s->source, "/dev/tty") == 0) {
				unlink(target); /* no controlling terminal here: skip */
				break;
			}
			die(c, "bind device node");
		}
		break;
	case M_VOLUME:
		if (c->volume && mount(c->volume, target, NULL, MS_BIND | MS_REC, NULL) < 0)
			die(c, "bind volume at /data");
		break;
	default:
		errno = EINVAL;
		die(c, "unknown mount step");
	}
}

static void loopback_up(struct vmb_ctr_child *c)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die(c, "loopback flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die(c, "loopback up");
	close(s);
}

/* Empties the bounding, permitted, effective and inheritable sets, so the
 * agent (root inside the user namespace) execs with no capability at all. */
static void drop_capabilities(struct vmb_ctr_child *c)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {{0}};

	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			die(c, "drop capability from the bounding set");
	if (syscall(SYS_capset, &hdr, data) < 0)
		die(c, "capset");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(c, "no_new_privs");
}

/* PID 1 of the container: runs the agent as PID 2, reaps everything, and
 * reports how the agent ended (a signal cannot be passed on by exiting). */
static __attribute__((noreturn)) void init_loop(struct vmb_ctr_child *c)
{
	/* vfork: the child only drops capabilities and execs, and copying the
	 * address space inherited from vmbench would cost more than all of that */
	pid_t agent = vfork();
	int status, agent_status = -1;
	pid_t pid;

	if (agent < 0)
		die(c, "fork the agent");
	if (agent == 0) {
		drop_capabilities(c);
		phase(c, "exec");
		/* the container's own environment, not the host's */
		execve(VMB_IMAGE_AGENT, c->agent_argv,
		       (char *[]){"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", NULL});
		die(c, "exec the agent");
	}
	while ((pid = wait(&status)) != -1 || errno == EINTR)
		if (pid == agent)
			agent_status = status;
	if (agent_status >= 0 && WIFSIGNALED(agent_status))
		dprintf(VMB_INIT_FD_INIT,
		        "{\"type\":\"init\",\"agent_signal\":%d,\"init_private_kib\":%ld}\n",
		        WTERMSIG(agent_status), vmb_proc_private_kib(0, 0, 0));
	else if (agent_status >= 0)
		dprintf(VMB_INIT_FD_INIT,
		        "{\"type\":\"init\",\"agent_exit\":%d,\"init_private_kib\":%ld}\n",
		        WEXITSTATUS(agent_status), vmb_proc_private_kib(0, 0, 0));
	_exit(agent_status >= 0 && WIFEXITED(agent_status) ? WEXITSTATUS(agent_status) : 126);
}

int vmb_ctr_child_main(void *arg)
{
	struct vmb_ctr_child *c = arg;
	char root[4200], go;

	/* The helper's report pipe is the helper's alone: nothing in here may
	 * hold it open (the host reads it to its end). */
	close(VMB_INIT_FD_PID);
	/* PID 1's report is PID 1's alone: the agent must not inherit it */
	if (fcntl(VMB_INIT_FD_INIT, F_SETFD, FD_CLOEXEC) < 0)
		_exit(125);
	/* Wait until the host has written the id maps. */
	if (read(VMB_INIT_FD_SYNC, &go, 1) != 1)
		_exit(125);
	close(VMB_INIT_FD_SYNC);
	/* Already in the instance cgroup (inherited): a cgroup namespace made
	 * now is rooted there. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		die(c, "unshare cgroup namespace");
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		die(c, "become root in the user namespace");
	/* Die with the helper (which dies with vmbench): a SIGKILLed vmbench
	 * must not leave a container running. Set after the credential change, which clears it. (getppid() is 0 here: the parent
	 * is outside this PID namespace, so a helper gone already cannot be
	 * told apart; vmbench kills PID 1 at teardown in that case.) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(125);
	phase(c, "ns_ready");
	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die(c, "make mounts private");
	snprintf(root, sizeof(root), "%s/merged", c->inst_dir);
	for (size_t i = 0; i < VMB_ARRAY_SIZE(steps); i++)
		do_mount(c, &steps[i], root);
	phase(c, "rootfs_mounted");
	if (chdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		die(c, "pivot_root");
	/* The old root now sits under the new one: detach it entirely. */
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		die(c, "unmount the old root");
	if (symlink("/proc/self/fd", "/dev/fd") < 0 ||
	    symlink("/proc/self/fd/0", "/dev/stdin") < 0 ||
	    symlink("/proc/self/fd/1", "/dev/stdout") < 0 ||
	    symlink("/proc/self/fd/2", "/dev/stderr") < 0)
		die(c, "/dev symlinks");
	phase(c, "pivot_root_done");
	if (sethostname(c->hostname, strlen(c->hostname)) < 0)
		die(c, "sethostname");
	loopback_up(c);
	init_loop(c);
}
