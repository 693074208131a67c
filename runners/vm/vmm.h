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

#define VMM_MAX_CPUS   64
#define VMM_MAX_DEVS   16 /* device instances on one VM's bus */
#define VMM_MAX_RANGES 32 /* port or MMIO ranges on one VM's bus, each space */
#define VMM_MAX_ROUTES 64 /* GSI routes: the IOAPIC's 24 pins, then MSI vectors */

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
#define VMM_PCI_MMIO     0xe0000000u /* where the VMM first places PCI memory BARs */
#define VMM_PCI_MMIO_END 0xfec00000u /* the guest may move them anywhere below */
#define VMM_IOAPIC_PINS  24

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

/* The two address spaces a device can claim ranges in. */
enum vmm_space { VMM_PIO, VMM_MMIO };

/* What a kind of device does; one static instance per device file. Every
 * hook is called with the device's lock held, except start and stop. */
struct vmm_dev_ops {
	const char *kind;
	/* A port access at offset off of the device's port range. `data` holds
	 * size * count bytes (count > 1 for string I/O), already checked to lie
	 * inside the kvm_run page; a read fills it. May be NULL (no ports). */
	void (*io)(struct vmm *v, struct vmm_dev *d, uint16_t off, bool out, uint8_t *data,
	           uint32_t size, uint32_t count);
	/* An MMIO access of len (1..8) bytes at offset off of the device's
	 * range number `region`; a read fills data. May be NULL. */
	void (*mmio)(struct vmm *v, struct vmm_dev *d, int region, uint64_t off, bool write,
	             uint8_t *data, uint32_t len);
	/* The init hook: the VM exists (v->fd), no vCPU runs yet: eventfds,
	 * threads. 0, or -1 with err (the VMM then fails). May be NULL. */
	int (*start)(struct vmm *v, struct vmm_dev *d, struct vmb_error *err);
	/* The exit hook: every vCPU has stopped; the device's threads end here.
	 * May be NULL. */
	void (*stop)(struct vmm *v, struct vmm_dev *d);
	/* Adds the device's own counters to `counters` (which already holds the
	 * bus's counters of it). May be NULL. */
	void (*report)(struct vmm *v, struct vmm_dev *d, json_t *counters);
	/* Frees the device's state. May be NULL. */
	void (*release)(void *state);
};

/* One device instance on the bus: its own state and lock, and what it did. */
struct vmm_dev {
	char name[24]; /* unique on the bus; the key of its counters in the summary */
	const struct vmm_dev_ops *ops;
	void *state;
	pthread_mutex_t lock;     /* serialises every access to this device's state */
	atomic_ullong exits;      /* port and MMIO exits it handled */
	atomic_ullong requests;   /* requests it served (a device's own unit) */
	atomic_ullong bytes;      /* bytes those requests moved */
	atomic_ullong interrupts; /* interrupts it raised */
	atomic_ullong notifies;   /* doorbells rung by the guest (exits and eventfds) */
	atomic_ullong errors;     /* the guest's breaches of the device's rules */
	atomic_ullong stops;      /* times it stopped serving the guest for one (never reset) */
	char broken[160];         /* why it is stopped now ("" if it is not; a reset clears) */
	char first_error[160];    /* the first breach, kept for the verdict */
	atomic_ullong
	        host_errors; /* the host failed the device (I/O, KVM): not the guest's doing */
	char first_host_error[160]; /* the first of those, kept for the verdict */
};

/* A range of ports or MMIO addresses that a device claims. */
struct vmm_range {
	uint64_t base, len;
	struct vmm_dev *dev;
	int region; /* the device's own number for the range */
};

/* The bus of one VM: devices, and their port and MMIO ranges, each kept
 * sorted by base address and found by binary search. Devices are added
 * before any vCPU runs and never removed; a range may move while the guest
 * runs (a PCI BAR the guest places), so ranges are read under a lock. */
struct vmm_bus {
	struct vmm_dev *devs[VMM_MAX_DEVS];
	unsigned ndevs;
	pthread_rwlock_t lock;                      /* the ranges below */
	struct vmm_range ranges[2][VMM_MAX_RANGES]; /* [enum vmm_space] */
	unsigned nranges[2];
	struct vmm_dev *fallback; /* the catch-all for ports nobody claims */
	atomic_ullong unclaimed_exits, unclaimed_mmio;
	_Atomic uint64_t unclaimed_ports[65536 / 64]; /* which ports nobody claims */
	_Atomic uint64_t first_unclaimed_mmio;        /* the first MMIO address nobody claims, +1 */
};

/* Interrupts: the in-kernel IOAPIC's pins and MSI vectors, each a GSI in
 * KVM's routing table, raised through an eventfd (KVM_IRQFD). */
struct vmm_irqs {
	pthread_mutex_t lock;
	uint32_t pins_used; /* IOAPIC pins handed out (bit per pin) */
	int next_gsi;       /* the next GSI for an MSI vector */
	unsigned nroutes;
	struct kvm_irq_routing_entry routes[VMM_MAX_ROUTES];
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
	bool no_huge_pages;   /* --no-hugepages: MADV_NOHUGEPAGE, whatever the host's policy */
	bool huge_pages;      /* transparent huge pages were granted for guest memory */
	bool want_mergeable;  /* --mergeable: guest RAM offered to KSM */
	bool mergeable;       /* MADV_MERGEABLE was accepted */
	int ncpus;
	struct vmm_vcpu cpu[VMM_MAX_CPUS];
	struct vmm_bus bus;
	struct vmm_irqs irqs;
	struct vmm_dev *pci; /* the PCI host bridge, once added */
	bool io_in_vcpu;     /* --io vcpu: doorbells are served in the vCPU's exit, not on the I/O
	                  * thread that KVM_IOEVENTFD wakes (the default) */

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

/* Puts a device of `ops` on the bus under `name`, with one port range
 * [base, base + len) if len > 0 (port devices); len 0 and base 0 with ops->io
 * make it the catch-all for ports (one at most); len 0 and base 1, a device
 * with no ports (it maps its ranges later). Takes ownership of state, also on
 * failure. Refuses a range that overlaps another, a name taken, a full bus.
 * The new device in *out (may be NULL). 0 or -1. */
int vmm_bus_add(struct vmm *v, const char *name, uint16_t base, uint16_t len,
                const struct vmm_dev_ops *ops, void *state, struct vmb_error *err);
int vmm_bus_add_dev(struct vmm *v, const char *name, const struct vmm_dev_ops *ops, void *state,
                    struct vmm_dev **out, struct vmb_error *err);

/* Claims [base, base + len) in `space` for d as its range `region`, in place
 * of the range it had under that number, if any. Refuses (and leaves the bus
 * as it was) a range that wraps, overlaps another device's or guest RAM, or
 * does not fit. 0 or -1. */
int vmm_bus_map(struct vmm *v, struct vmm_dev *d, enum vmm_space space, int region, uint64_t base,
                uint64_t len, struct vmb_error *err);

/* Drops d's range `region` in `space`, if it has one. */
void vmm_bus_unmap(struct vmm *v, struct vmm_dev *d, enum vmm_space space, int region);

/* Hands one port access to the device that claims the port, or to the
 * catch-all (counted as unclaimed); a read nobody answers gives 0xff. */
void vmm_bus_io(struct vmm *v, uint16_t port, bool out, uint8_t *data, uint32_t size,
                uint32_t count);

/* A KVM_EXIT_IO: checks the guest's size, count and data offset against the
 * run_size bytes of the kvm_run page, then vmm_bus_io; stops the VM if they
 * do not fit. */
void vmm_bus_exit_io(struct vmm *v, struct kvm_run *run, size_t run_size);

/* Hands one MMIO access to the device that claims the address; nobody's
 * address reads as all ones and drops writes (counted, the first kept).
 * len beyond 8 stops the VM. */
void vmm_bus_mmio(struct vmm *v, uint64_t addr, bool write, uint8_t *data, uint32_t len);

/* The init and exit hooks of every device, in the order they were added
 * (stop: the reverse). start: 0, or -1 with err naming the device. */
int vmm_bus_start(struct vmm *v, struct vmb_error *err);
void vmm_bus_stop(struct vmm *v);

/* Counts a breach of d's rules by the guest (a malformed request the device
 * failed), keeping the first's description; with d's lock held. */
void vmm_dev_error(struct vmm_dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Counts a failure of the host's own (a file's I/O, a KVM call) in serving
 * d, keeping the first's description; with d's lock held. */
void vmm_dev_host_error(struct vmm_dev *d, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Stops d serving the guest, with why (printf-like), counted as a breach and
 * a stop; the VM runs on. With d's lock held. */
void vmm_dev_broken(struct vmm_dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* {device name: {"kind", "exits", "requests", "bytes", "interrupts",
 * "notifies", "errors", "stops", ["broken"], ["first_error"], ...its own
 * counters}, "unclaimed_ports":
 * n, "unclaimed_mmio": n}. */
json_t *vmm_bus_report(struct vmm *v);

/* Releases every device. */
void vmm_bus_release(struct vmm *v);

/* irq.c: the interrupt lines. */

/* Makes the routing table the PC's (PIC and IOAPIC for GSI 0..15, the IOAPIC
 * for 16..23; the PIT's GSI 0 on IOAPIC pin 2, as the MADT says) and marks the
 * PC's own lines (0-2, 8, 12-15) used. */
void vmm_irq_init(struct vmm *v);

/* Gives KVM the routing table (after KVM_CREATE_IRQCHIP): KVM's own puts the
 * PIT on the wrong IOAPIC pin for the MADT. 0, or -1 with err. */
int vmm_irq_routes_apply(struct vmm *v, struct vmb_error *err);

/* An IOAPIC pin: `want` if it is free (0 <= want < 24), else the first free
 * one from 5 up; -1 with err when none is left. */
int vmm_irq_alloc(struct vmm *v, int want, struct vmb_error *err);

/* A GSI for an MSI vector (no route yet); -1 with err when the table is full. */
int vmm_msi_alloc(struct vmm *v, struct vmb_error *err);

/* Routes gsi to the MSI message (addr, data) and tells KVM. 0, or -1 with err. */
int vmm_msi_route(struct vmm *v, int gsi, uint64_t addr, uint32_t data, struct vmb_error *err);

/* An eventfd that raises gsi when written (KVM_IRQFD; without a VM, a plain
 * eventfd the tests read). -1 with err. */
int vmm_irqfd(struct vmm *v, int gsi, struct vmb_error *err);

/* Binds (assign) or unbinds an eventfd to guest writes of len bytes at MMIO
 * address addr (KVM_IOEVENTFD): such writes then wake the eventfd instead of
 * leaving the guest. 0, or -1 with err (also without a VM). */
int vmm_ioeventfd(struct vmm *v, uint64_t addr, uint32_t len, int efd, bool assign,
                  struct vmb_error *err);

/* vmm_core.c: guest memory. */

/* The host address of guest-physical [gpa, gpa + len), or NULL unless all
 * of it is guest RAM. The one way devices reach guest memory: every address
 * and length the guest hands over goes through here. */
static inline void *vmm_gpa(const struct vmm *v, uint64_t gpa, uint64_t len)
{
	if (gpa > v->mem_size || len > v->mem_size - gpa)
		return NULL;
	return v->mem + gpa;
}

/* The devices, one file each: each call adds one more instance. 0 or -1. */
int vmm_uart_add(struct vmm *v, const char *name, uint16_t base, int irq, struct vmb_error *err);
int vmm_result_add(struct vmm *v, const char *name, uint16_t base, struct vmb_error *err);
int vmm_legacy_add(struct vmm *v, struct vmb_error *err);

/* pci.c: the PCI host bridge and configuration mechanism #1 (ports
 * 0xCF8-0xCFF). Added once, before any PCI function. 0 or -1. */
int vmm_pci_add_host(struct vmm *v, struct vmb_error *err);

/* dev_virtio_blk.c: a virtio block device over PCI backed by the file at
 * path (opened read-write; with direct, O_DIRECT). 0 or -1. */
int vmm_virtio_blk_add(struct vmm *v, const char *name, const char *path, bool direct,
                       struct vmb_error *err);

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
