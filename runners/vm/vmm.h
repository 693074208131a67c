/* vmm.h: vmbench-vmm, the small KVM virtual machine monitor of the VM runner: one VM,
 * its memory, vCPU threads, and a bus of port-I/O devices, one file each. */
#pragma once

#include <jansson.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmbench/error.h"

#define VMM_MAX_CPUS 64
#define VMM_MAX_DEVS 8 /* device instances on one VM's bus */

/* The descriptors vmbench hands vmbench-vmm (runners/vm/vm.c spawns it):
 * the guest's records and the VMM's own travel apart, so that nothing the
 * guest writes can pass for the VMM's word. */
enum {
	VMM_FD_GUEST = 3, /* records from the guest, allow-listed and tagged "from":"guest" */
	VMM_FD_GO = 4,    /* one byte from vmbench: start (the process is placed first) */
	VMM_FD_TERM = 5,  /* vmbench's terminal for --verbose, else closed */
	VMM_FD_OWN = 6,   /* the VMM's own records: phases, errors, its summary */
};

/* The most the console log takes from the guest, in bytes; the rest is
 * dropped and counted (a guest must not fill the host's disk). */
#define VMM_CONSOLE_LOG_MAX (64ull << 20)

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

/* The guest's console: the first PC serial port. */
#define VMM_UART_PORT 0x3f8
#define VMM_UART_IRQ  4

/* The VMM's own device: the guest's init hands over the agent's records here
 * (one `rep outsb` per chunk, so one exit per up to a page) and says when it
 * is done. Reading the data port returns VMM_RESULT_MAGIC. */
#define VMM_RESULT_PORT  0x5e0
#define VMM_RESULT_CTL   0x5e1 /* write 1: the guest is done, power off */
#define VMM_RESULT_MAGIC 'V'

struct vmm;
struct vmm_dev;

/* What a kind of device does; one static instance per device file. */
struct vmm_dev_ops {
	const char *kind;
	/* An access at offset off of the device's range, with the device's lock
	 * held. `data` holds size * count bytes (count > 1 for string I/O),
	 * already checked to lie inside the kvm_run page; a read fills it. */
	void (*io)(struct vmm *v, struct vmm_dev *d, uint16_t off, bool out, uint8_t *data,
	           uint32_t size, uint32_t count);
	/* Adds the device's own counters to `counters` (which already holds
	 * "exits"), with its lock held. May be NULL. */
	void (*report)(struct vmm *v, struct vmm_dev *d, json_t *counters);
	/* Frees the device's state. May be NULL. */
	void (*release)(void *state);
};

/* One device instance on the bus: its range, its own state and lock. */
struct vmm_dev {
	char name[24]; /* unique on the bus; the key of its counters in the summary */
	uint16_t base, len;
	const struct vmm_dev_ops *ops;
	void *state;
	pthread_mutex_t lock; /* serialises the vCPUs' accesses to this device */
	atomic_ullong exits;  /* I/O exits it handled */
};

/* The port-I/O bus of one VM. Devices are registered before any vCPU runs
 * and never removed, so lookups need no lock. */
struct vmm_bus {
	struct vmm_dev *devs[VMM_MAX_DEVS];
	unsigned ndevs;
	struct vmm_dev *fallback; /* the catch-all for ports nobody claims */
	atomic_ullong unclaimed_exits;
	_Atomic uint64_t unclaimed_ports[65536 / 64]; /* which ports nobody claims */
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
	int kvm, fd;  /* the KVM device and the VM; -1 where the tests drive devices alone */
	uint8_t *mem; /* guest RAM: guest physical address 0 is mem[0] */
	uint64_t mem_size;
	uint8_t *mem_raw; /* the whole mapping behind mem, its alignment slack included */
	size_t mem_raw_size;
	bool want_huge_pages; /* --hugepages */
	bool huge_pages;      /* transparent huge pages were granted for guest memory */
	int ncpus;
	struct vmm_vcpu cpu[VMM_MAX_CPUS];
	struct vmm_bus bus;

	int guest_fd;   /* VMM_FD_GUEST: the guest's records, once checked */
	int own_fd;     /* VMM_FD_OWN: the VMM's phases, errors and summary */
	int console_fd; /* the console log */
	int term_fd;    /* VMM_FD_TERM with --verbose (the console again), else -1 */
	bool emulated;  /* the host is itself an emulator (QEMU TCG): figures are labelled */
	uint64_t console_log_max;    /* VMM_CONSOLE_LOG_MAX; lowered only by the tests */
	atomic_ullong console_bytes; /* guest bytes offered to the console log so far */

	_Atomic int stop;
	char stop_msg[512];
	pthread_mutex_t chan_lock; /* both channels to vmbench, and refused_example */
	atomic_ullong exits[64];   /* by KVM exit reason (63: any reason above) */
	atomic_ullong guest_refused;
	char refused_example[72]; /* the first refused record's type, or why */
	uint64_t guest_records;   /* relayed so far, against VMB_RECORDS_MAX (chan_lock) */
	uint64_t guest_bytes;     /* their bytes, newlines included (chan_lock) */

	json_t *cpuid_offered; /* what the guest was offered (for the results) */
};

/* vmm_core.c */

/* Makes v an empty VM: no KVM, no memory, no devices, every descriptor -1,
 * one vCPU, the console log capped at VMM_CONSOLE_LOG_MAX. The caller then
 * sets the descriptors it has. */
void vmm_init(struct vmm *v);

/* Frees what vmm_init and the devices allocated (not guest memory or KVM). */
void vmm_release(struct vmm *v);

/* Registers the PC this VMM offers: the console UART, the result device and
 * the catch-all for legacy ports. 0, or -1 with err. */
int vmm_devices_add(struct vmm *v, struct vmb_error *err);

/* Sends one of the VMM's own records on own_fd. Takes rec's reference. */
void vmm_send_own(struct vmm *v, json_t *rec);

/* Sends a guest record (JSON text without newline, already checked and
 * tagged by the result device) on guest_fd, if the VM's caps allow it: at
 * most VMB_RECORDS_MAX records and VMB_RECORD_BYTES_MAX bytes, newlines
 * included, from all its result devices together. NULL once sent, else why
 * it was not ("over the record cap", "over the byte cap"): the caller
 * refuses it. A write that fails closes the channel, but counts as sent. */
const char *vmm_send_guest(struct vmm *v, const char *json);

/* Records a phase now, on the host's monotonic clock (own channel). */
void vmm_phase(struct vmm *v, const char *name);

/* Records the step at which the VMM failed (own channel). */
void vmm_error_record(struct vmm *v, const char *step, const char *msg);

/* Counts a guest record the VMM refused; `what` (its type, "malformed",
 * "too long", or a cap it would pass) is kept for the first one. */
void vmm_guest_refused(struct vmm *v, const char *what);

/* Stops every vCPU with a reason (first reason wins). */
void vmm_stop(struct vmm *v, enum vmm_stop why, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Raises an edge on an IOAPIC pin (ISA IRQ). Harmless without a VM. */
void vmm_irq_pulse(struct vmm *v, int irq);

/* The summary record ("type":"vmm"): how the guest stopped, exits by reason
 * and by device, what was refused, the runner's own memory. New reference;
 * takes over v->cpuid_offered. */
json_t *vmm_summary(struct vmm *v, const char *kernel_version);

/* bus.c */

/* Puts a device of `ops` at [base, base + len) under `name`; len 0 makes it
 * the catch-all (one at most). Takes ownership of state, also on failure.
 * Refuses a range that overlaps another, a name taken, a full bus. 0 or -1. */
int vmm_bus_add(struct vmm *v, const char *name, uint16_t base, uint16_t len,
                const struct vmm_dev_ops *ops, void *state, struct vmb_error *err);

/* Hands one port access to the device that claims the port, or to the
 * catch-all (counted as unclaimed); a read nobody answers gives 0xff. */
void vmm_bus_io(struct vmm *v, uint16_t port, bool out, uint8_t *data, uint32_t size,
                uint32_t count);

/* A KVM_EXIT_IO: checks the guest's size, count and data offset against the
 * run_size bytes of the kvm_run page, then vmm_bus_io; stops the VM if they
 * do not fit. */
void vmm_bus_exit_io(struct vmm *v, struct kvm_run *run, size_t run_size);

/* {device name: {"exits": n, ...its own counters}, "unclaimed_ports": n}. */
json_t *vmm_bus_report(struct vmm *v);

/* Releases every device. */
void vmm_bus_release(struct vmm *v);

/* The devices, one file each: each call adds one more instance. 0 or -1. */
int vmm_uart_add(struct vmm *v, const char *name, uint16_t base, int irq, struct vmb_error *err);
int vmm_result_add(struct vmm *v, const char *name, uint16_t base, struct vmb_error *err);
int vmm_legacy_add(struct vmm *v, struct vmb_error *err);

/* boot.c: checks a bzImage and lays out the kernel, command line, initramfs,
 * zero page (with the e820 map), GDT and identity page tables in guest
 * memory; sets up the boot vCPU for the 64-bit entry. 0, or -1 with err
 * naming the file and what is wrong with it. */
struct vmm_boot {
	const char *kernel_path, *initrd_path, *cmdline;
	char kernel_version[128]; /* from the header, for the results */
};
int vmm_boot_load(struct vmm *v, struct vmm_boot *b, struct vmb_error *err);
int vmm_boot_regs(struct vmm *v, struct vmm_vcpu *c, struct vmb_error *err);

/* Checks a file is a bzImage this VMM can boot, without loading it; fills
 * version (may be NULL) from its header. 0, or -1 with err saying
 * "<path>: <what is wrong>". Shared with vmbench, which checks --kernel early. */
int vmm_check_bzimage(const char *path, char *version, size_t vlen, struct vmb_error *err);

/* acpi.c: RSDP, XSDT and MADT (one local APIC per vCPU, the IOAPIC) at
 * VMM_ACPI_ADDR. */
void vmm_acpi_build(struct vmm *v);

/* cpuid.c: what KVM supports, plus what a Linux guest needs to know it runs
 * on KVM; fills v->cpuid_offered from vCPU 0. 0, or -1 with err. */
int vmm_cpuid_set(struct vmm *v, struct vmm_vcpu *c, struct vmb_error *err);
