/* vmm.c: vmbench-vmm's core and main: the VM, its memory and in-kernel interrupt
 * controller and PIT, vCPU threads, and one switch on the exit reason that hands port
 * I/O to the device table. Anything it cannot handle stops the guest, registers logged.
 *
 *   vmbench-vmm --kernel BZIMAGE [--initrd FILE] --memory-mib N --cpus N --cmdline TEXT
 *               [--emulated] [--verbose]
 * fd 3: records to vmbench; fd 4: one byte means "start" (the process is made, and
 * placed in its cgroup, before launch); fd 2: the guest's console log. */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runners/vm/vmm.h"
#include "vmbench/util.h"

static struct vmm_dev *const devices[] = {&vmm_dev_uart, &vmm_dev_result};

void vmm_send(struct vmm *v, const char *json)
{
	pthread_mutex_lock(&v->lock);
	if (vmb_write_all(v->chan_fd, json, strlen(json)) < 0 ||
	    vmb_write_all(v->chan_fd, "\n", 1) < 0)
		v->chan_fd = -1; /* vmbench is gone: nothing more to tell */
	pthread_mutex_unlock(&v->lock);
}

void vmm_phase(struct vmm *v, const char *name)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "{\"type\":\"phase\",\"name\":\"%s\",\"mono_ns\":%llu}", name,
	         (unsigned long long)vmb_now_ns());
	vmm_send(v, buf);
}

void vmm_stop(struct vmm *v, enum vmm_stop why, const char *fmt, ...)
{
	int expected = VMM_RUNNING;
	va_list ap;

	if (!atomic_compare_exchange_strong(&v->stop, &expected, why))
		return;
	va_start(ap, fmt);
	vsnprintf(v->stop_msg, sizeof(v->stop_msg), fmt, ap);
	va_end(ap);
	/* Kick every vCPU out of KVM_RUN: immediate_exit covers one that is about
	 * to enter, the signal one that is inside (halted, say). */
	for (int i = 0; i < v->ncpus; i++) {
		if (v->cpu[i].run)
			v->cpu[i].run->immediate_exit = 1;
		if (v->cpu[i].thread && !pthread_equal(v->cpu[i].thread, pthread_self()))
			pthread_kill(v->cpu[i].thread, SIGUSR1);
	}
}

void vmm_irq_pulse(struct vmm *v, int irq)
{
	struct kvm_irq_level l = {.irq = (uint32_t)irq, .level = 1};

	ioctl(v->fd, KVM_IRQ_LINE, &l);
	l.level = 0;
	ioctl(v->fd, KVM_IRQ_LINE, &l);
}

static void dump_regs(struct vmm *v, struct vmm_vcpu *c)
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

/* Port I/O: every length and offset comes from the guest's instruction, via
 * KVM; check it against the kvm_run page before touching it. */
static void do_io(struct vmm *v, struct vmm_vcpu *c)
{
	struct kvm_run *run = c->run;
	uint32_t size = run->io.size, count = run->io.count;
	uint64_t off = run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	if ((size != 1 && size != 2 && size != 4) || count == 0 || off > c->run_size ||
	    (uint64_t)size * count > c->run_size - off) {
		vmm_stop(v, VMM_STOP_ERROR, "port I/O at 0x%x with size %u count %u out of bounds",
		         run->io.port, size, count);
		return;
	}
	uint8_t *data = (uint8_t *)run + off;
	for (size_t i = 0; i < VMB_ARRAY_SIZE(devices); i++) {
		struct vmm_dev *d = devices[i];
		if (run->io.port >= d->base && run->io.port < d->base + d->len) {
			d->exits++;
			d->io(v, run->io.port, out, data, size, count);
			return;
		}
	}
	atomic_fetch_add(&v->unknown_port_exits, 1);
	v->unknown_ports[run->io.port / 64] |= 1ull << (run->io.port % 64);
	vmm_dev_legacy.io(v, run->io.port, out, data, size, count);
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
			do_io(v, c);
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
			vmm_stop(v, VMM_STOP_ERROR, "MMIO %s at 0x%llx that no device handles",
			         c->run->mmio.is_write ? "write" : "read",
			         (unsigned long long)c->run->mmio.phys_addr);
			dump_regs(v, c);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			vmm_stop(v, VMM_STOP_ERROR, "KVM internal error (suberror %u) on vCPU %d",
			         c->run->internal.suberror, c->id);
			dump_regs(v, c);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			vmm_stop(v, VMM_STOP_ERROR, "VM entry failed (reason 0x%llx) on vCPU %d",
			         (unsigned long long)
			                 c->run->fail_entry.hardware_entry_failure_reason,
			         c->id);
			dump_regs(v, c);
			break;
		default:
			vmm_stop(v, VMM_STOP_ERROR, "exit reason %u that no one handles, vCPU %d",
			         why, c->id);
			dump_regs(v, c);
			break;
		}
	}
	return NULL;
}

static void on_kick(int sig)
{
	(void)sig;
}

/* An emulator (QEMU's TCG) announces itself in the hypervisor leaf. */
static bool host_is_emulated(void)
{
	unsigned a, b, c, d;
	char sig[13] = "";

	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 31)))
		return false;
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	return strcmp(sig, "TCGTCGTCGTCG") == 0;
}

static int fail(struct vmm *v, const char *step, const char *msg)
{
	char buf[1200];
	json_t *j = json_pack("{s:s, s:s, s:s}", "type", "error", "step", step, "error", msg);
	char *s = json_dumps(j, JSON_COMPACT);

	snprintf(buf, sizeof(buf), "%s", s ? s : "{\"type\":\"error\"}");
	vmm_send(v, buf);
	dprintf(v->console_fd, "vmbench-vmm: %s: %s\n", step, msg);
	free(s);
	json_decref(j);
	return 2;
}

static long private_kib(void)
{
	char line[128];
	long sum = 0, val;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Private_Clean: %ld", &val) == 1 ||
		    sscanf(line, "Private_Dirty: %ld", &val) == 1)
			sum += val;
	if (f)
		fclose(f);
	return sum;
}

/* Guest pages resident now (they belong to the guest, not to the VMM). */
static long guest_resident_kib(struct vmm *v)
{
	size_t pages = v->mem_size / 4096;
	unsigned char *vec = malloc(pages);
	long n = 0;

	if (vec && mincore(v->mem, v->mem_size, vec) == 0)
		for (size_t i = 0; i < pages; i++)
			n += vec[i] & 1;
	free(vec);
	return n * 4;
}

static void send_summary(struct vmm *v, const char *kernel_version)
{
	static const char *const stops[] = {"running", "guest_off", "guest_reset", "error"};
	json_t *exits = json_object(), *devs = json_object();
	const char *names[64] = {[KVM_EXIT_IO] = "io",
	                         [KVM_EXIT_MMIO] = "mmio",
	                         [KVM_EXIT_HLT] = "hlt",
	                         [KVM_EXIT_SHUTDOWN] = "shutdown",
	                         [KVM_EXIT_INTR] = "intr",
	                         [KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	                         [KVM_EXIT_SYSTEM_EVENT] = "system_event"};

	for (int i = 0; i < 64; i++) {
		unsigned long long n = atomic_load(&v->exits[i]);
		char key[32];
		if (!n)
			continue;
		snprintf(key, sizeof(key), "%s", names[i] ? names[i] : "");
		if (!names[i])
			snprintf(key, sizeof(key), "reason_%d", i);
		json_object_set_new(exits, key, json_integer((json_int_t)n));
	}
	for (size_t i = 0; i < VMB_ARRAY_SIZE(devices); i++)
		json_object_set_new(devs, devices[i]->name,
		                    json_integer((json_int_t)devices[i]->exits));
	json_object_set_new(devs, "unclaimed_ports",
	                    json_integer((json_int_t)atomic_load(&v->unknown_port_exits)));
	long priv = private_kib(), guest = guest_resident_kib(v);
	json_t *j =
	        json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:I, s:i, s:b, s:I, s:I}", "type",
	                  "vmm", "stop", stops[atomic_load(&v->stop)], "stop_reason", v->stop_msg,
	                  "exits", exits, "io_exits_by_device", devs, "kernel", kernel_version,
	                  "cpuid_offered", v->cpuid_offered ? v->cpuid_offered : json_object(),
	                  "guest_memory_mib", (json_int_t)(v->mem_size >> 20), "vcpus", v->ncpus,
	                  "emulated_host", v->emulated, "vmm_private_kib", (json_int_t)priv,
	                  "vmm_private_beyond_guest_kib", (json_int_t)(priv - guest));
	json_object_set_new(j, "huge_pages", json_boolean(v->huge_pages));
	char *s = json_dumps(j, JSON_COMPACT);
	if (s)
		vmm_send(v, s);
	free(s);
	json_decref(j);
	v->cpuid_offered = NULL; /* owned by j, now freed */
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"kernel", required_argument, NULL, 'k'},
	        {"initrd", required_argument, NULL, 'i'},
	        {"memory-mib", required_argument, NULL, 'm'},
	        {"cpus", required_argument, NULL, 'c'},
	        {"cmdline", required_argument, NULL, 'l'},
	        {"emulated", no_argument, NULL, 'e'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"hugepages", no_argument, NULL, 'H'},
	        {NULL, 0, NULL, 0},
	};
	static struct vmm vm = {.kvm = -1, .fd = -1, .chan_fd = 3, .console_fd = 2};
	struct vmm *v = &vm;
	struct vmm_boot boot = {.cmdline = "console=ttyS0"};
	unsigned long mib = 512;
	char msg[1024];
	int opt;

	pthread_mutex_init(&v->lock, NULL);
	pthread_mutex_init(&v->line_lock, NULL);
	v->ncpus = 1;
	v->emulated = host_is_emulated();
	vmm_phase(v, "vmm_start");
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			boot.kernel_path = optarg;
			break;
		case 'i':
			boot.initrd_path = optarg;
			break;
		case 'm':
			mib = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			v->ncpus = atoi(optarg);
			break;
		case 'l':
			boot.cmdline = optarg;
			break;
		case 'e':
			v->emulated = true;
			break;
		case 'v':
			v->verbose = true;
			break;
		case 'H':
			v->want_huge_pages = true;
			break;
		default:
			return fail(v, "arguments", "usage: see the comment at the top of vmm.c");
		}
	}
	if (!boot.kernel_path || mib < 64 || (mib << 20) > VMM_MAX_MEMORY || v->ncpus < 1 ||
	    v->ncpus > VMM_MAX_CPUS)
		return fail(v, "arguments", "need --kernel, 64..3072 MiB and 1..64 vCPUs");
	v->mem_size = (uint64_t)mib << 20;
	v->line = malloc(1u << 20 | 1);
	char go;
	if (read(4, &go, 1) != 1)
		return fail(v, "start", "vmbench did not say start");
	close(4);

	struct sigaction sa = {.sa_handler = on_kick};
	sigaction(SIGUSR1, &sa, NULL);
	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		return fail(v, "open /dev/kvm", strerror(errno));
	if (ioctl(v->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return fail(v, "open /dev/kvm", "KVM API version is not 12");
	v->fd = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->fd < 0)
		return fail(v, "KVM_CREATE_VM", strerror(errno));
	vmm_phase(v, "vm_created");
	struct kvm_pit_config pit = {0};
	if (ioctl(v->fd, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0 ||
	    ioctl(v->fd, KVM_CREATE_IRQCHIP, 0) < 0 || ioctl(v->fd, KVM_CREATE_PIT2, &pit) < 0)
		return fail(v, "in-kernel IRQ chip and PIT", strerror(errno));
	uint64_t idmap = 0xfffbc000ull;
	ioctl(v->fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap); /* Intel only; harmless elsewhere */

	/* Anonymous memory, 2 MiB-aligned; with --hugepages, transparent huge
	 * pages are asked for, so that KVM can map the guest in 2 MiB pages. */
	size_t align = 2u << 20;
	uint8_t *raw = mmap(NULL, v->mem_size + align, PROT_READ | PROT_WRITE,
	                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return fail(v, "guest memory", strerror(errno));
	v->mem = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (v->want_huge_pages)
		v->huge_pages = madvise(v->mem, v->mem_size, MADV_HUGEPAGE) == 0;
	struct kvm_userspace_memory_region region = {.slot = 0,
	                                             .guest_phys_addr = 0,
	                                             .memory_size = v->mem_size,
	                                             .userspace_addr = (uint64_t)(uintptr_t)v->mem};
	if (ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail(v, "KVM_SET_USER_MEMORY_REGION", strerror(errno));
	vmm_phase(v, "memory_ready");

	if (vmm_boot_load(v, &boot, msg, sizeof(msg)) < 0)
		return fail(v, "load kernel", msg);
	vmm_acpi_build(v);
	vmm_phase(v, "kernel_loaded");

	int run_size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (int i = 0; i < v->ncpus; i++) {
		struct vmm_vcpu *c = &v->cpu[i];
		c->vm = v;
		c->id = i;
		c->fd = ioctl(v->fd, KVM_CREATE_VCPU, i);
		if (c->fd < 0)
			return fail(v, "KVM_CREATE_VCPU", strerror(errno));
		c->run_size = (size_t)run_size;
		c->run = mmap(NULL, c->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED)
			return fail(v, "mmap kvm_run", strerror(errno));
		if (vmm_cpuid_set(v, c, msg, sizeof(msg)) < 0)
			return fail(v, "CPUID", msg);
		if (i == 0 && vmm_boot_regs(v, c, msg, sizeof(msg)) < 0)
			return fail(v, "boot registers", msg);
	}
	for (int i = 0; i < v->ncpus; i++)
		if (pthread_create(&v->cpu[i].thread, NULL, vcpu_loop, &v->cpu[i]) != 0)
			return fail(v, "vCPU thread", strerror(errno));
	/* for debugging a guest that makes no progress: stop it after N seconds
	 * and log where its vCPUs were */
	const char *dump = getenv("VMBENCH_VMM_STOP_AFTER");
	if (dump) {
		sleep((unsigned)atoi(dump));
		vmm_stop(v, VMM_STOP_ERROR, "stopped by VMBENCH_VMM_STOP_AFTER");
	}
	for (int i = 0; i < v->ncpus; i++)
		pthread_join(v->cpu[i].thread, NULL);
	if (dump)
		for (int i = 0; i < v->ncpus; i++)
			dump_regs(v, &v->cpu[i]);
	vmm_phase(v, "guest_off");
	send_summary(v, boot.kernel_version);
	int stop = atomic_load(&v->stop);
	if (stop == VMM_STOP_ERROR)
		return fail(v, "vm", v->stop_msg);
	return stop == VMM_STOP_OFF ? 0 : 1;
}
