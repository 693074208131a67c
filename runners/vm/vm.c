/* vm.c: the VM runner, host side: the guest kernel and initramfs, a cgroup for the VMM
 * process, vmbench-vmm started and placed in it before launch, the records it relays,
 * its summary, and teardown. The VMM itself is vmm.c and the files beside it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runners/common.h"
#include "runners/vm/initramfs.h"
#include "runners/vm/vm.h"
#include "vmbench/cgroup.h"
#include "vmbench/util.h"

/* The guest's kernel command line, before the agent's arguments. */
#define CMDLINE                                                                                    \
	"console=ttyS0 quiet reboot=t panic=-1 pci=off acpi_rsdp=0xe0000 acpi_sci=edge "           \
	"acpi_sci=high"

struct vmi {
	struct vmb_cgroup *cg;
	int go_wr;
};

static int vm_probe(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "/dev/kvm %s: %s",
		         errno == ENOENT ? "is missing" : "cannot be opened",
		         errno == ENOENT ? "no KVM on this host (see vmbench doctor)"
		                         : strerror(errno));
		return -1;
	}
	int api = ioctl(fd, KVM_GET_API_VERSION, 0);
	int irqchip = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP);
	close(fd);
	if (access("/sys/module/kvm_pvm", F_OK) == 0 && !getenv("VMBENCH_VM_ALLOW_PVM")) {
		/* PVM runs guests without hardware virtualisation, by shadow paging,
		 * and needs a guest kernel built for it: a stock one crawls and hangs */
		snprintf(why, len,
		         "/dev/kvm is served by kvm_pvm (no hardware virtualisation here), which "
		         "needs a PVM-enabled guest kernel; stock kernels do not boot under it");
		return -1;
	}
	if (api != KVM_API_VERSION || irqchip <= 0) {
		snprintf(why, len,
		         "/dev/kvm lacks what the VMM needs (API %d, in-kernel irqchip %d)", api,
		         irqchip);
		return -1;
	}
	return 0;
}

/* Kernel and initramfs, found or built once per run. */
static int guest_files(const struct vmb_launch *spec, struct vmb_guest_kernel **kernel,
                       const char **initrd, struct vmb_error *err)
{
	static struct vmb_guest_kernel k;
	static char cpio[PATH_MAX];
	static bool ready;

	if (!ready) {
		if (vmb_guest_kernel_find(spec->kernel_path, &k, err) < 0)
			return -1;
		/* nothing the CPU, memory and start-up workloads need is a module */
		if (vmb_initramfs_ensure(spec->agent_path, spec->guest_init_path,
		                         k.moddir[0] ? k.moddir : NULL, NULL, cpio, sizeof(cpio),
		                         err) < 0)
			return -1;
		ready = true;
	}
	*kernel = &k;
	*initrd = cpio;
	return 0;
}

static int spawn_vmm(struct vmb_instance *inst, struct vmi *m, struct vmb_guest_kernel *k,
                     const char *initrd, struct vmb_error *err)
{
	const struct vmb_launch *spec = inst->spec;
	char cmdline[2048], mem[32], cpus[16];
	int chan[2] = {-1, -1}, go[2] = {-1, -1}, logfd, n;
	const char *extra = getenv("VMBENCH_VM_CMDLINE_EXTRA");

	n = snprintf(cmdline, sizeof(cmdline), "%s%s%s --", CMDLINE, extra ? " " : "",
	             extra ? extra : "");
	for (char **a = spec->agent_args; *a && n < (int)sizeof(cmdline) - 2; a++)
		n += snprintf(cmdline + n, sizeof(cmdline) - (size_t)n, " %s", *a);
	snprintf(mem, sizeof(mem), "%u", spec->vm_memory_mib);
	snprintf(cpus, sizeof(cpus), "%u", spec->vm_cpus);
	char *argv[] = {(char *)spec->vmm_path,
	                "--kernel",
	                k->path,
	                "--initrd",
	                (char *)initrd,
	                "--memory-mib",
	                mem,
	                "--cpus",
	                cpus,
	                "--cmdline",
	                cmdline,
	                NULL,
	                NULL,
	                NULL};
	int extra_at = 11;
	if (spec->verbose)
		argv[extra_at++] = "--verbose";
	if (spec->hugepages)
		argv[extra_at++] = "--hugepages";
	logfd = open(spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0)
		return vmb_error_sys(err, errno, "open %s", spec->log_path);
	if (pipe2(chan, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		close(logfd);
		for (int *fd = (int[]){chan[0], chan[1], -2}; *fd != -2; fd++)
			if (*fd >= 0)
				close(*fd);
		return vmb_error_sys(err, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid == 0) {
		int c = fcntl(chan[1], F_DUPFD_CLOEXEC, 16), g = fcntl(go[0], F_DUPFD_CLOEXEC, 16);
		int term = spec->verbose ? fcntl(2, F_DUPFD_CLOEXEC, 16) : -1;
		vmb_child_common(spec, logfd);
		if (dup2(c, 3) < 0 || dup2(g, 4) < 0 || (term >= 0 && dup2(term, 5) < 0))
			_exit(127);
		execv(argv[0], argv);
		dprintf(2, "vmbench: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int saved = errno;
	close(logfd);
	close(chan[1]);
	close(go[0]);
	if (pid < 0) {
		close(chan[0]);
		close(go[1]);
		return vmb_error_sys(err, saved, "fork");
	}
	inst->pid = pid;
	inst->chan_fd = chan[0];
	m->go_wr = go[1];
	if (vmb_cgroup_attach(m->cg, pid, err) < 0)
		return -1;
	vmb_instance_phase(inst, "cgroup_joined");
	return 0;
}

static int vm_prepare(struct vmb_instance *inst, struct vmb_error *err)
{
	static unsigned seq;
	const struct vmb_launch *spec = inst->spec;
	struct vmi *m = calloc(1, sizeof(*m));
	struct vmb_guest_kernel *k;
	const char *initrd;
	char name[64];

	if (!m)
		return vmb_error_sys(err, ENOMEM, "vm");
	inst->priv = m;
	m->go_wr = -1;
	if (!spec->vmm_path || !spec->guest_init_path)
		return vmb_error_set(
		        err, VMB_ERR_FAIL,
		        "vmbench-vmm or vmbench-guest-init was not found beside vmbench");
	if (guest_files(spec, &k, &initrd, err) < 0)
		return -1;
	json_object_set_new(inst->host, "guest",
	                    json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "kernel", k->path,
	                              "kernel_version", k->version, "kernel_source", k->source,
	                              "initramfs", initrd, "memory_mib", (int)spec->vm_memory_mib,
	                              "vcpus", (int)spec->vm_cpus));
	vmb_instance_phase(inst, "guest_files_ready");
	/* the VMM's cgroup: as many CPUs of bandwidth as it has vCPUs (or --cpus),
	 * no memory limit (guest RAM is --memory), the same cores */
	struct vmb_cgroup_limits lim = spec->limits;
	lim.memory_bytes = 0;
	snprintf(name, sizeof(name), "vmbench-%d-vm%u", (int)getpid(), ++seq);
	if (vmb_cgroup_create(name, &lim, &m->cg, err) < 0)
		return -1;
	vmb_instance_phase(inst, "cgroup_created");
	return spawn_vmm(inst, m, k, initrd, err);
}

static int vm_launch(struct vmb_instance *inst, struct vmb_error *err)
{
	struct vmi *m = inst->priv;

	vmb_instance_phase(inst, "launch");
	if (vmb_write_all(m->go_wr, "g", 1) < 0)
		return vmb_error_sys(err, errno, "start vmbench-vmm");
	close(m->go_wr);
	m->go_wr = -1;
	return 0;
}

static int vm_wait(struct vmb_instance *inst, struct vmb_error *err)
{
	struct vmi *m = inst->priv;
	int rc = vmb_wait_agent_process(inst, err);

	/* the VMM's summary: exits by reason, devices, CPUID offered, its memory */
	json_t *vmm = vmb_record_find(inst->records, "vmm");
	if (vmm)
		json_object_set(inst->host, "vmm", vmm);
	json_object_set_new(inst->host, "cgroup", vmb_cgroup_read(m->cg));
	return rc;
}

static void vm_teardown(struct vmb_instance *inst)
{
	struct vmi *m = inst->priv;
	struct vmb_error err = {0};

	if (!m)
		return;
	vmb_reap_quietly(inst);
	if (m->cg && !json_object_get(inst->host, "cgroup"))
		json_object_set_new(inst->host, "cgroup", vmb_cgroup_read(m->cg));
	if (vmb_cgroup_destroy(m->cg, &err) < 0)
		json_object_set_new(inst->host, "teardown_error", json_string(err.msg));
	if (m->go_wr >= 0)
		close(m->go_wr);
	free(m);
	inst->priv = NULL;
}

static const char *vm_cannot_run(const struct vmb_workload *w)
{
	if (strcmp(w->suite, "io") == 0)
		return "disk I/O in the guest needs a virtio block device, which this VMM does not "
		       "have yet: not measured";
	return NULL;
}

const struct vmb_runner vmb_runner_vm = {
        .name = "vm",
        .summary = "the agent in a Linux guest booted by vmbench's own KVM VMM (no QEMU)",
        .probe = vm_probe,
        .cannot_run = vm_cannot_run,
        .prepare = vm_prepare,
        .launch = vm_launch,
        .wait = vm_wait,
        .teardown = vm_teardown,
};
