/* probe.h: one probe per host capability, used alike by `vmbench doctor`, by the runners
 * that need the capability, and by the host metadata of every results file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* What one probe found. */
struct vmb_probe {
	const char *what; /* "kvm", "user namespaces", ... */
	bool ok;
	char detail[512]; /* what was found, or why it is missing */
	char hint[256];   /* what to do about it; empty when ok */
};

/* KVM for the VM runner: the device ($VMBENCH_KVM_DEVICE, else /dev/kvm)
 * opens, speaks API 12, has the in-kernel irqchip and user memory, and is
 * backed by hardware virtualisation: a kvm_pvm backend runs stock guest
 * kernels through an instruction emulator, so it is refused unless
 * $VMBENCH_VM_ALLOW_PVM is set (to time the VMM up to its first KVM_RUN). */
void vmb_probe_kvm(struct vmb_probe *p);

/* User, mount, PID, UTS, IPC, network and cgroup namespaces can be made
 * (tried in a child with unshare(2)). */
void vmb_probe_userns(struct vmb_probe *p);

/* A cgroup file system is mounted under /sys/fs/cgroup: the mode (v1, v2,
 * hybrid) and the controllers in detail. */
void vmb_probe_cgroups(struct vmb_probe *p);

/* ldconfig, which builds the loader cache of the agent's image (containers
 * and guests find their libraries through it): the program itself
 * (ldconfig.real where ldconfig is Ubuntu's shell wrapper around it), in
 * /sbin, /usr/sbin or $PATH. 0 with its path in out, or -1. */
int vmb_ldconfig_path(char *out, size_t len);
#define VMB_LDCONFIG_HINT                                                                          \
	"it comes with the C library (Debian's and Ubuntu's libc-bin), in /sbin or /usr/sbin"

/* Whether ldconfig is there (vmb_ldconfig_path). */
void vmb_probe_ldconfig(struct vmb_probe *p);

/* The KVM device vmb_probe_kvm and the VMM open. */
const char *vmb_kvm_device(void);
