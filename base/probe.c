/* probe.c: the host capabilities the runners need (KVM, namespaces, cgroups), each probed
 * by one function that `vmbench doctor` and the runner both call. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmbench/probe.h"
#include "vmbench/proc.h"
#include "vmbench/util.h"

const char *vmb_kvm_device(void)
{
	const char *dev = getenv("VMBENCH_KVM_DEVICE");

	return dev && *dev ? dev : "/dev/kvm";
}

void vmb_probe_kvm(struct vmb_probe *p)
{
	const char *dev = vmb_kvm_device();
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	memset(p, 0, sizeof(*p));
	p->what = "kvm";
	if (fd < 0) {
		if (errno == ENOENT) {
			snprintf(p->detail, sizeof(p->detail),
			         "%s does not exist (no KVM module, or this host is a VM without "
			         "nested virtualisation)",
			         dev);
			snprintf(p->hint, sizeof(p->hint),
			         "load kvm_intel or kvm_amd, or enable nested virtualisation; "
			         "virtual machines need it (tests use an emulated guest instead)");
		} else {
			snprintf(p->detail, sizeof(p->detail), "%s cannot be opened: %s", dev,
			         strerror(errno));
			snprintf(p->hint, sizeof(p->hint),
			         "run as root or add this user to the group that owns %s", dev);
		}
		return;
	}
	int api = ioctl(fd, KVM_GET_API_VERSION, 0);
	int irqchip = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP);
	int umem = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY);
	int vcpus = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	close(fd);
	if (api != KVM_API_VERSION || irqchip <= 0 || umem <= 0) {
		snprintf(p->detail, sizeof(p->detail),
		         "%s: API version %d (want %d), in-kernel irqchip %s, user memory %s", dev,
		         api, KVM_API_VERSION, irqchip > 0 ? "yes" : "no", umem > 0 ? "yes" : "no");
		snprintf(p->hint, sizeof(p->hint), "use a host kernel with a current KVM");
		return;
	}
	if (access("/sys/module/kvm_pvm", F_OK) == 0 && !getenv("VMBENCH_VM_ALLOW_PVM")) {
		/* PVM runs guests without hardware virtualisation and needs a
		 * guest kernel built for it: a stock one crawls and hangs */
		snprintf(p->detail, sizeof(p->detail),
		         "%s (API %d) is served by kvm_pvm: no hardware virtualisation, and "
		         "stock guest kernels do not boot under it",
		         dev, api);
		snprintf(p->hint, sizeof(p->hint),
		         "run on bare metal or a VM with nested virtualisation for VM figures; "
		         "VMBENCH_VM_ALLOW_PVM=1 times the VMM up to its first KVM_RUN");
		return;
	}
	p->ok = true;
	snprintf(p->detail, sizeof(p->detail),
	         "%s API version %d, in-kernel irqchip, user memory, %d vCPUs recommended%s", dev,
	         api, vcpus,
	         access("/sys/module/kvm_pvm", F_OK) == 0 ? " (kvm_pvm, allowed by "
	                                                    "VMBENCH_VM_ALLOW_PVM)"
	                                                  : "");
}

void vmb_probe_userns(struct vmb_probe *p)
{
	FILE *f = fopen("/proc/sys/user/max_user_namespaces", "re");
	long max = -1;
	int status = 0;

	memset(p, 0, sizeof(*p));
	p->what = "user namespaces";
	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = -1;
		fclose(f);
	}
	pid_t pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS |
		              CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP) == 0
		              ? 0
		              : errno);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		snprintf(p->detail, sizeof(p->detail), "could not test: fork failed");
		return;
	}
	if (WEXITSTATUS(status) != 0) {
		int e = WEXITSTATUS(status);
		snprintf(p->detail, sizeof(p->detail),
		         "unshare of user, mount, PID, UTS, IPC, network and cgroup namespaces "
		         "failed: %s%s (max_user_namespaces=%ld)",
		         strerror(e), e == ENOSPC ? " (the limit is 0, or used up)" : "", max);
		snprintf(p->hint, sizeof(p->hint),
		         "raise user.max_user_namespaces, or lift the LSM or seccomp policy that "
		         "blocks unshare; containers need it");
		return;
	}
	p->ok = true;
	snprintf(p->detail, sizeof(p->detail),
	         "user, mount, PID, UTS, IPC, network and cgroup namespaces can be made "
	         "(max_user_namespaces=%ld)",
	         max);
}

void vmb_probe_cgroups(struct vmb_probe *p)
{
	char v2[512], c1[512], c2[512] = "";
	bool v1;

	memset(p, 0, sizeof(*p));
	p->what = "cgroups";
	vmb_cgroup_mounts(v2, sizeof(v2), &v1);
	vmb_proc_v1_controllers(c1, sizeof(c1), ',');
	if (v2[0])
		vmb_proc_v2_controllers(v2, c2, sizeof(c2), ',');
	if (!v1 && !v2[0]) {
		snprintf(p->detail, sizeof(p->detail),
		         "no cgroup file system under /sys/fs/cgroup");
		snprintf(p->hint, sizeof(p->hint), "mount cgroup2 on /sys/fs/cgroup");
		return;
	}
	p->ok = true;
	if (v1 && v2[0])
		snprintf(p->detail, sizeof(p->detail),
		         "hybrid: v1 controllers %s; v2 tree at %s with controllers [%s]", c1, v2,
		         c2);
	else if (v1)
		snprintf(p->detail, sizeof(p->detail), "v1: controllers %s", c1);
	else
		snprintf(p->detail, sizeof(p->detail), "v2 at %s: controllers %s", v2, c2);
}

int vmb_ldconfig_path(char *out, size_t len)
{
	static const char *const places[] = {"/sbin/ldconfig.real", "/usr/sbin/ldconfig.real",
	                                     "/sbin/ldconfig", "/usr/sbin/ldconfig"};

	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++)
		if (access(places[i], X_OK) == 0) {
			snprintf(out, len, "%s", places[i]);
			return 0;
		}
	char *found = vmb_which("ldconfig");
	if (!found)
		return -1;
	snprintf(out, len, "%s", found);
	free(found);
	return 0;
}

void vmb_probe_ldconfig(struct vmb_probe *p)
{
	char path[4096];

	memset(p, 0, sizeof(*p));
	p->what = "ldconfig";
	if (vmb_ldconfig_path(path, sizeof(path)) < 0) {
		snprintf(p->detail, sizeof(p->detail),
		         "no ldconfig: containers and guests cannot get a loader cache");
		snprintf(p->hint, sizeof(p->hint), "%s", VMB_LDCONFIG_HINT);
		return;
	}
	p->ok = true;
	snprintf(p->detail, sizeof(p->detail), "%s builds the loader cache of the agent's image",
	         path);
}
