/* vmm.c: vmbench-vmm's main: its arguments, the VM with its memory, in-kernel interrupt
 * controller and PIT, vCPU threads, and one switch on the exit reason that hands port
 * I/O to the device bus. Anything it cannot handle stops the guest, registers logged.
 *
 *   vmbench-vmm --kernel BZIMAGE [--initrd FILE] --memory-mib N --cpus N --cmdline TEXT
 *               [--verbose] [--hugepages|--no-hugepages] [--mergeable] [--disk FILE [--disk-direct]] [--io thread|vcpu]
 * fd 3: the guest's records, checked; fd 4: one byte means "start" (the process is
 * made, and placed in its cgroup, before launch); fd 5: vmbench's terminal with
 * --verbose; fd 6: the VMM's own records (phases, errors, its summary), appended in
 * order to a file vmbench reads once the VMM has exited; fd 2: the guest's console log. Exits 0 when the guest powered off, 1 when it reset, 2 when
 * the VMM failed (an error record on fd 6 says where). The KVM device is the one doctor
 * probes: $VMBENCH_KVM_DEVICE, else /dev/kvm. Whether the host is itself an emulator is
 * found here (vmb_host_emulated), not told. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runners/vm/vmm.h"
#include "vmbench/probe.h"
#include "vmbench/proc.h"
#include "vmbench/util.h"

/* Debugging a guest that makes no progress: stop it after N seconds and log
 * where its vCPUs were. */
#define STOP_AFTER_ENV "VMBENCH_VMM_STOP_AFTER"

static void vcpu_dump_regs(struct vmm *v, struct vmm_vcpu *c)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(c->fd, KVM_GET_REGS, &r) < 0 || ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return;
	dprintf(v->console_fd,
	        "\nvmbench-vmm: vCPU %d stopped: %s\n"
	        "  rip %016llx rsp %016llx rflags %08llx\n"
	        "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
	        "  rsi %016llx rdi %016llx rbp %016llx\n"
	        "  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n"
	        "  cs %04x ss %04x\n",
	        c->id, v->stop_msg, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi,
	        r.rdi, r.rbp, s.cr0, s.cr2, s.cr3, s.cr4, s.efer, s.cs.selector, s.ss.selector);
}

static void *vcpu_loop(void *arg)
{
	struct vmm_vcpu *c = arg;
	struct vmm *v = c->vm;

	if (c->id == 0)
		vmm_phase(v, "first_kvm_run");
	while (atomic_load(&v->stop) == VMM_RUNNING) {
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			/* EINTR: kicked to stop; EAGAIN: an AP around INIT/SIPI */
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vmm_stop(v, VMM_STOP_ERROR, "KVM_RUN on vCPU %d: %s", c->id,
			         strerror(errno));
			break;
		}
		uint32_t why = c->run->exit_reason;
		atomic_fetch_add(&v->exits[why < 63 ? why : 63], 1);
		switch (why) {
		case KVM_EXIT_IO:
			vmm_bus_exit_io(v, c->run, c->run_size);
			break;
		case KVM_EXIT_SHUTDOWN:
			vmm_stop(v, VMM_STOP_SHUTDOWN,
			         "the guest reset (triple fault) without saying it was done: a "
			         "kernel panic, or init died; see the console log");
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			vmm_stop(v, VMM_STOP_SHUTDOWN, "the guest asked for system event %u",
			         c->run->system_event.type);
			break;
		case KVM_EXIT_HLT:
			vmm_stop(v, VMM_STOP_SHUTDOWN, "vCPU %d halted with interrupts off", c->id);
			break;
		case KVM_EXIT_MMIO:
			vmm_bus_mmio(v, c->run->mmio.phys_addr, c->run->mmio.is_write,
			             c->run->mmio.data, c->run->mmio.len);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			vmm_stop(v, VMM_STOP_ERROR, "KVM internal error (suberror %u) on vCPU %d",
			         c->run->internal.suberror, c->id);
			vcpu_dump_regs(v, c);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			vmm_stop(v, VMM_STOP_ERROR, "VM entry failed (reason 0x%llx) on vCPU %d",
			         (unsigned long long)
			                 c->run->fail_entry.hardware_entry_failure_reason,
			         c->id);
			vcpu_dump_regs(v, c);
			break;
		default:
			vmm_stop(v, VMM_STOP_ERROR, "exit reason %u that no one handles, vCPU %d",
			         why, c->id);
			vcpu_dump_regs(v, c);
			break;
		}
	}
	return NULL;
}

static void vcpu_kicked(int sig)
{
	(void)sig;
}

/* Reports the step at which the VMM failed, on its own channel and in the
 * console log; the exit status for main. */
static int vmm_main_fail(struct vmm *v, const char *step, const char *msg)
{
	vmm_error_record(v, step, msg);
	dprintf(v->console_fd, "vmbench-vmm: %s: %s\n", step, msg);
	return 2;
}

/* The disk the guest gets (--disk), if any. */
struct vmm_disk {
	const char *path;
	bool direct;
};

/* The command line and the environment; 0, or -1 with a usage error. */
static int vmm_main_args(int argc, char **argv, struct vmm *v, struct vmm_boot *b,
                         struct vmm_disk *disk, uint64_t *stop_after, struct vmb_error *err)
{
	static const struct option opts[] = {
	        {"kernel", required_argument, NULL, 'k'},
	        {"initrd", required_argument, NULL, 'i'},
	        {"memory-mib", required_argument, NULL, 'm'},
	        {"cpus", required_argument, NULL, 'c'},
	        {"cmdline", required_argument, NULL, 'l'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"hugepages", no_argument, NULL, 'H'},
	        {"mergeable", no_argument, NULL, 'K'},
	        {"no-hugepages", no_argument, NULL, 'N'},
	        {"disk", required_argument, NULL, 'd'},
	        {"disk-direct", no_argument, NULL, 'D'},
	        {"io", required_argument, NULL, 'o'},
	        {NULL, 0, NULL, 0},
	};
	uint64_t mib = 512, cpus = 1;
	int opt;

	opterr = 0; /* reported as an error record, not on the console log */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			b->kernel_path = optarg;
			break;
		case 'i':
			b->initrd_path = optarg;
			break;
		case 'm':
			if (vmb_parse_u64(optarg, 64, VMM_MAX_MEMORY >> 20, "--memory-mib", &mib,
			                  err) < 0)
				return -1;
			break;
		case 'c':
			if (vmb_parse_u64(optarg, 1, VMM_MAX_CPUS, "--cpus", &cpus, err) < 0)
				return -1;
			break;
		case 'l':
			b->cmdline = optarg;
			break;
		case 'v':
			v->term_fd = VMM_FD_TERM;
			break;
		case 'H':
			v->want_huge_pages = true;
			break;
		case 'K':
			v->want_mergeable = true;
			break;
		case 'N':
			v->no_huge_pages = true;
			break;
		case 'd':
			disk->path = optarg;
			break;
		case 'D':
			disk->direct = true;
			break;
		case 'o':
			if (strcmp(optarg, "thread") != 0 && strcmp(optarg, "vcpu") != 0)
				return vmb_error_set(err, VMB_ERR_USAGE,
				                     "--io %s: 'thread' or 'vcpu'", optarg);
			v->io_in_vcpu = strcmp(optarg, "vcpu") == 0;
			break;
		default:
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "unknown option or missing value: %s (see the top "
			                     "of runners/vm/vmm.c)",
			                     argv[optind - 1]);
		}
	}
	if (optind < argc)
		return vmb_error_set(err, VMB_ERR_USAGE, "unexpected argument: %s", argv[optind]);
	if (!b->kernel_path)
		return vmb_error_set(err, VMB_ERR_USAGE, "--kernel BZIMAGE is required");
	const char *stop = getenv(STOP_AFTER_ENV);
	if (stop && vmb_parse_u64(stop, 1, 86400, STOP_AFTER_ENV, stop_after, err) < 0)
		return -1;
	v->mem_size = mib << 20;
	v->ncpus = (int)cpus;
	return 0;
}

/* The VM with its memory, interrupt controller and PIT. 0, or -1 with err. */
static int vmm_main_create(struct vmm *v, struct vmb_error *err)
{
	struct kvm_pit_config pit = {0};
	uint64_t idmap = 0xfffbc000ull;
	const char *dev = vmb_kvm_device();

	v->kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		return vmb_error_sys(err, errno, "open %s", dev);
	if (ioctl(v->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return vmb_error_set(err, VMB_ERR_FAIL, "%s: KVM API version is not %d", dev,
		                     KVM_API_VERSION);
	v->fd = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->fd < 0)
		return vmb_error_sys(err, errno, "KVM_CREATE_VM");
	vmm_phase(v, "vm_created");

	/* Anonymous memory, 2 MiB-aligned; with --hugepages, transparent huge
	 * pages are asked for, so that KVM can map the guest in 2 MiB pages. The
	 * whole mapping is kept: the runner's own memory leaves all of it out.
	 * Nothing is touched here: the kernel and initramfs are mapped over it
	 * from their files, and the guest faults in what it uses. */
	size_t align = 2u << 20;
	v->mem_raw_size = v->mem_size + align;
	v->mem_raw = mmap(NULL, v->mem_raw_size, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->mem_raw == MAP_FAILED) {
		v->mem_raw = NULL;
		return vmb_error_sys(err, errno, "guest memory of %llu MiB",
		                     (unsigned long long)(v->mem_size >> 20));
	}
	v->mem = (uint8_t *)(((uintptr_t)v->mem_raw + align - 1) & ~(uintptr_t)(align - 1));
	if (v->want_huge_pages)
		v->huge_pages = madvise(v->mem, v->mem_size, MADV_HUGEPAGE) == 0;
	else if (v->no_huge_pages)
		madvise(v->mem, v->mem_size, MADV_NOHUGEPAGE);
	/* KSM may merge identical guest pages (of many guests) when the host
	 * runs it; whether it did is the host's to say (smaps' KSM line) */
	if (v->want_mergeable)
		v->mergeable = madvise(v->mem, v->mem_size, MADV_MERGEABLE) == 0;
	/* where guest RAM lies in this process, so the host side can tell the
	 * guest's resident memory from the VMM's own in /proc/PID/smaps */
	vmm_send_own(v, json_pack("{s:s, s:I, s:I, s:b, s:b}", "type", "guest_ram", "hva",
	                          (json_int_t)(uintptr_t)v->mem, "bytes", (json_int_t)v->mem_size,
	                          "huge_pages", v->huge_pages, "mergeable", v->mergeable));
	/* The memory slot comes before the IRQ chip and the PIT: registering
	 * their devices waits out a KVM SRCU grace period, and a memory slot
	 * changed after that waits for another one (5 to 10 ms measured on
	 * kvm_pvm; under 0.3 ms in this order). */
	struct kvm_userspace_memory_region region = {.slot = 0,
	                                             .guest_phys_addr = 0,
	                                             .memory_size = v->mem_size,
	                                             .userspace_addr = (uint64_t)(uintptr_t)v->mem};
	if (ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return vmb_error_sys(err, errno, "KVM_SET_USER_MEMORY_REGION");
	vmm_phase(v, "memory_ready");

	if (ioctl(v->fd, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0 ||
	    ioctl(v->fd, KVM_CREATE_IRQCHIP, 0) < 0 || ioctl(v->fd, KVM_CREATE_PIT2, &pit) < 0)
		return vmb_error_sys(err, errno, "in-kernel IRQ chip and PIT");
	ioctl(v->fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap); /* Intel only; harmless elsewhere */
	if (vmm_irq_routes_apply(v, err) < 0)
		return -1;
	vmm_phase(v, "irqchip_ready");
	return 0;
}

/* The vCPUs, their kvm_run pages, CPUID and the boot registers of vCPU 0. */
static int vmm_main_vcpus(struct vmm *v, struct vmb_error *err)
{
	int run_size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	if (run_size <= 0)
		return vmb_error_sys(err, errno, "KVM_GET_VCPU_MMAP_SIZE");
	for (int i = 0; i < v->ncpus; i++) {
		struct vmm_vcpu *c = &v->cpu[i];
		c->vm = v;
		c->id = i;
		c->fd = ioctl(v->fd, KVM_CREATE_VCPU, i);
		if (c->fd < 0)
			return vmb_error_sys(err, errno, "KVM_CREATE_VCPU %d", i);
		c->run_size = (size_t)run_size;
		c->run = mmap(NULL, c->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED) {
			c->run = NULL;
			return vmb_error_sys(err, errno, "mmap of vCPU %d's kvm_run", i);
		}
		if (vmm_cpuid_set(v, c, err) < 0)
			return vmb_error_prefix(err, "CPUID of vCPU %d", i);
		if (i == 0 && vmm_boot_regs(v, c, err) < 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct vmm vm;
	struct vmm *v = &vm;
	struct vmm_boot boot = {.cmdline = "console=ttyS0"};
	struct vmm_disk disk = {0};
	struct vmb_error err = {0};
	uint64_t stop_after = 0;
	char go;

	vmm_init(v);
	v->guest_fd = VMM_FD_GUEST;
	v->own_fd = VMM_FD_OWN;
	v->console_fd = 2;
	v->emulated = vmb_host_emulated(NULL, 0);
	vmm_phase(v, "vmm_start");
	if (vmm_main_args(argc, argv, v, &boot, &disk, &stop_after, &err) < 0)
		return vmm_main_fail(v, "arguments", err.msg);
	if (vmm_devices_add(v, &err) < 0 || vmm_pci_add_host(v, &err) < 0 ||
	    (disk.path && vmm_virtio_blk_add(v, "blk0", disk.path, disk.direct, &err) < 0))
		return vmm_main_fail(v, "devices", err.msg);
	if (read(VMM_FD_GO, &go, 1) != 1)
		return vmm_main_fail(v, "start", "vmbench did not say start");
	close(VMM_FD_GO);

	struct sigaction sa = {.sa_handler = vcpu_kicked};
	sigaction(SIGUSR1, &sa, NULL);
	if (vmm_main_create(v, &err) < 0)
		return vmm_main_fail(v, "create the VM", err.msg);
	if (vmm_boot_load(v, &boot, &err) < 0)
		return vmm_main_fail(v, "load kernel", err.msg);
	vmm_acpi_build(v);
	vmm_phase(v, "kernel_loaded");
	if (vmm_main_vcpus(v, &err) < 0)
		return vmm_main_fail(v, "vCPUs", err.msg);
	if (vmm_bus_start(v, &err) < 0) {
		vmm_bus_stop(v);
		return vmm_main_fail(v, "devices", err.msg);
	}
	for (int i = 0; i < v->ncpus; i++) {
		int rc = pthread_create(&v->cpu[i].thread, NULL, vcpu_loop, &v->cpu[i]);
		if (rc != 0) {
			vmm_stop(v, VMM_STOP_ERROR, "vCPU thread %d: %s", i, strerror(rc));
			v->ncpus = i; /* join only the threads that exist */
			break;
		}
	}
	for (uint64_t s = 0; s < stop_after && atomic_load(&v->stop) == VMM_RUNNING; s++)
		sleep(1);
	if (stop_after)
		vmm_stop(v, VMM_STOP_ERROR, "stopped by " STOP_AFTER_ENV);
	for (int i = 0; i < v->ncpus; i++)
		pthread_join(v->cpu[i].thread, NULL);
	vmm_bus_stop(v);
	if (stop_after)
		for (int i = 0; i < v->ncpus; i++)
			vcpu_dump_regs(v, &v->cpu[i]);
	vmm_phase(v, "guest_off");
	vmm_send_own(v, vmm_summary(v, boot.kernel_version));
	int stop = atomic_load(&v->stop);
	if (stop == VMM_STOP_ERROR)
		return vmm_main_fail(v, "vm", v->stop_msg);
	return stop == VMM_STOP_OFF ? 0 : 1;
}
