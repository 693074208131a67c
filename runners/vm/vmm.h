/* vmm.h: vmbench-vmm, the small KVM virtual machine monitor of the VM runner: one VM,
 * its memory, vCPU threads, and a table of port-I/O devices, one file each. */
#pragma once

#include <jansson.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define VMM_MAX_CPUS 64

/* Where things go in guest physical memory (below 1 MiB, then the kernel). */
#define VMM_GDT_ADDR     0x500ull
#define VMM_ZERO_PAGE    0x7000ull
#define VMM_PML4_ADDR    0x9000ull /* PML4, PDPT and four page directories follow */
#define VMM_CMDLINE_ADDR 0x20000ull
#define VMM_EBDA_START   0x9fc00ull
#define VMM_ACPI_ADDR    0xe0000ull /* RSDP, then the tables; reserved up to 1 MiB */
#define VMM_KERNEL_ADDR  0x100000ull
#define VMM_MAX_MEMORY   (3072ull << 20) /* below the 32-bit MMIO hole (IOAPIC, LAPIC) */
#define VMM_IOAPIC_ADDR  0xfec00000u
#define VMM_LAPIC_ADDR   0xfee00000u

/* The VMM's own device: the guest's init hands over the agent's records here
 * (one `rep outsb` per chunk, so one exit per up to a page) and says when it
 * is done. Reading the data port returns VMM_RESULT_MAGIC. */
#define VMM_RESULT_PORT  0x5e0
#define VMM_RESULT_CTL   0x5e1 /* write 1: the guest is done, power off */
#define VMM_RESULT_MAGIC 'V'

struct vmm;

/* A port-I/O device: handles accesses to [base, base + len). `data` holds
 * size * count bytes (count > 1 for string I/O), already checked to lie
 * inside the kvm_run page. */
struct vmm_dev {
	const char *name;
	uint16_t base, len;
	void (*io)(struct vmm *v, uint16_t port, bool out, uint8_t *data, uint32_t size,
	           uint32_t count);
	uint64_t exits; /* I/O exits it handled */
};

enum vmm_stop {
	VMM_RUNNING = 0,
	VMM_STOP_OFF,      /* the guest said it was done: the normal end */
	VMM_STOP_SHUTDOWN, /* triple fault or reset without saying done (panic, reboot) */
	VMM_STOP_ERROR,    /* an exit nobody handles, or a KVM failure */
};

struct vmm_vcpu {
	struct vmm *vm;
	int id, fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
};

struct vmm {
	int kvm, fd;
	uint8_t *mem;
	uint64_t mem_size;
	bool want_huge_pages; /* --hugepages */
	bool huge_pages;      /* transparent huge pages were granted for guest memory */
	int ncpus;
	struct vmm_vcpu cpu[VMM_MAX_CPUS];
	struct vmm_dev *devs;
	unsigned ndevs;

	int chan_fd;    /* results channel to vmbench: phases, guest records, summary */
	int console_fd; /* the console log */
	bool verbose;   /* console to fd 5 (vmbench's terminal) too */
	bool emulated;  /* the host is itself an emulator (QEMU TCG): figures are labelled */

	_Atomic int stop;
	char stop_msg[512];
	pthread_mutex_t lock;      /* the channel to vmbench */
	pthread_mutex_t line_lock; /* the result device's line buffer */
	atomic_ullong exits[64];   /* by KVM exit reason */
	atomic_ullong unknown_port_exits;
	uint64_t unknown_ports[65536 / 64]; /* which ports nobody claims (for the summary) */
	bool console_line_seen;

	/* the result device's line buffer */
	char *line;
	size_t line_len;
	bool done_seen; /* a "done" record came through */

	json_t *cpuid_offered; /* what the guest was offered (for the results) */
};

/* Sends a record line (JSON text without newline) to vmbench. Locks. */
void vmm_send(struct vmm *v, const char *json);

/* Records a phase now, on the host's monotonic clock. */
void vmm_phase(struct vmm *v, const char *name);

/* Stops every vCPU with a reason (first reason wins). */
void vmm_stop(struct vmm *v, enum vmm_stop why, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Raises an edge on an IOAPIC pin (ISA IRQ). */
void vmm_irq_pulse(struct vmm *v, int irq);

/* The devices (one file each) and their table. */
extern struct vmm_dev vmm_dev_uart, vmm_dev_result, vmm_dev_legacy;

/* boot.c: checks a bzImage and lays out the kernel, command line, initramfs,
 * zero page (with the e820 map), GDT and identity page tables in guest
 * memory; sets up the boot vCPU for the 64-bit entry. 0 or -1 with msg. */
struct vmm_boot {
	const char *kernel_path, *initrd_path, *cmdline;
	char kernel_version[128]; /* from the header, for the results */
};
int vmm_boot_load(struct vmm *v, struct vmm_boot *b, char *msg, size_t len);
int vmm_boot_regs(struct vmm *v, struct vmm_vcpu *c, char *msg, size_t len);

/* Checks a file is a bzImage this VMM can boot, without loading it; 0 or -1
 * with the reason in msg. Shared with vmbench, which checks --kernel early. */
int vmm_check_bzimage(const char *path, char *version, size_t vlen, char *msg, size_t len);

/* acpi.c: RSDP, XSDT and MADT (one local APIC per vCPU, the IOAPIC) at
 * VMM_ACPI_ADDR. */
void vmm_acpi_build(struct vmm *v);

/* cpuid.c: what KVM supports, plus what a Linux guest needs to know it runs
 * on KVM; fills v->cpuid_offered. 0 or -1 with msg. */
int vmm_cpuid_set(struct vmm *v, struct vmm_vcpu *c, char *msg, size_t len);
