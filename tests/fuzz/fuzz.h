/* fuzz.h: what the fuzz targets and their seed generator share: the input read as a stream
 * of little-endian fields, the operations each target decodes from it, and a VM without
 * /dev/kvm whose guest RAM is a heap block of exactly its size (the address sanitizer then
 * catches any access that leaves it), with PCI and virtio-blk disks on memfds. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An operation is its first byte % FZ_OP_SLOTS; numbers no operation has yet do
 * nothing, so that a new operation (added at the end) leaves the kept inputs' meaning. */
#define FZ_OP_SLOTS 16

/* fuzz_virtq: a header, then operations until the input ends.
 *   mode:1 (bit 0: the whole virtio-blk device, else the bare queue; bit 1: O_DIRECT)
 *   mem_size - 1:2, queue size:2, desc:8, avail:8, used:8, max:2 (the bare queue's limit) */
enum fq_op {
	FQ_POP,       /* bare: vq_pop once (and push what it took); blk: ring the doorbell */
	FQ_POKE,      /* gpa:2 (mod RAM) len:1 bytes: the guest writes its memory */
	FQ_DRAIN,     /* bare: vq_pop until none is left; blk: read ISR and device config */
	FQ_REARM,     /* size:2 desc:8 avail:8 used:8: reset the queue (or device), set again */
	FQ_AVAIL_IDX, /* idx:2: the guest publishes an available index */
	FQ_ADD,       /* slot:2 addr:8 len:4 flags:2 next:2 publish:1: a descriptor (and head) */
	FQ_CHAIN,     /* slot:2 n:2 addr:8 len:4 flags:2 loop:1: n linked descriptors, published */
	FQ_NOPS,
};

/* fuzz_pci: operations until the input ends. */
enum fp_op {
	FP_PIO_OUT,   /* sel:1 [port:2 if sel & 0x80] size:1 count:1 [doff:2 if size & 0x80] data */
	FP_PIO_IN,    /* as FP_PIO_OUT, without the data */
	FP_BAR_WRITE, /* dev:1 off:2 len:1 data:8, at BAR 0 as the config space says now */
	FP_BAR_READ,  /* dev:1 off:2 len:1 */
	FP_CFG_WRITE, /* slot:1 reg:2 len:1 data:4: vmm_pci_config */
	FP_CFG_READ,  /* slot:1 reg:2 len:1 */
	FP_MMIO_ABS,  /* addr:8 len:1 write:1 data:8 anywhere on the MMIO bus */
	FP_POKE,      /* gpa:2 len:1 bytes: the guest writes its memory */
	FP_VIRTIO_INIT, /* dev:1 size:2 desc:2 avail:2 used:2: a driver's whole set-up */
	FP_NOPS,
};

_Static_assert(FQ_NOPS <= FZ_OP_SLOTS && FP_NOPS <= FZ_OP_SLOTS, "more operations than slots");

/* fuzz_bzimage: flags:1 (bit 0: an initramfs; bits 1-3: guest memory size; bits 4-7: the
 * version buffer's length), cmdlen:1 cmdline, [irdlen:2 initramfs], then the kernel file. */
#define FB_F_INITRD 0x01

/* The input as a stream: fields past its end read as zero. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t fz_take(struct fz *f, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && f->n; i++, f->p++, f->n--)
		v |= (uint64_t)*f->p << (8 * i);
	return v;
}

static inline void fz_skip(struct fz *f, size_t len)
{
	size_t k = len < f->n ? len : f->n;

	f->p += k;
	f->n -= k;
}

/* Copies up to len bytes of the input to dst, zero-filling the rest. */
static inline void fz_bytes(struct fz *f, void *dst, size_t len)
{
	size_t k = len < f->n ? len : f->n;

	memcpy(dst, f->p, k);
	memset((uint8_t *)dst + k, 0, len - k);
	f->p += k;
	f->n -= k;
}

/* The harness found the code under test broke a promise: a crash for libFuzzer. */
#define FZ_CHECK(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: broken promise: " __VA_ARGS__);                     \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Little-endian writers for the seed generator. */
struct fz_out {
	uint8_t buf[1 << 16];
	size_t n;
};

static inline void fz_put(struct fz_out *o, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes && o->n < sizeof(o->buf); i++)
		o->buf[o->n++] = (uint8_t)(v >> (8 * i));
}

#ifndef FZ_NO_VM
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/virtio_pci.h>

#include "runners/vm/pci.h"
#include "runners/vm/virtio.h"
#include "runners/vm/vmm.h"

/* A fresh VM without KVM whose guest RAM is mem_size bytes on the heap. */
static inline void fz_vm_init(struct vmm *v, uint64_t mem_size)
{
	vmm_init(v);
	v->io_in_vcpu = true; /* doorbells served in the caller: no I/O thread to race */
	v->mem = calloc(1, mem_size ? mem_size : 1);
	FZ_CHECK(v->mem, "out of memory for %llu bytes of guest RAM", (unsigned long long)mem_size);
	v->mem_size = mem_size;
	v->mem_raw = v->mem;
	v->mem_raw_size = mem_size;
}

static inline void fz_vm_release(struct vmm *v)
{
	vmm_bus_stop(v);
	vmm_release(v);
	free(v->mem);
	v->mem = NULL;
}

/* Adds a virtio-blk disk of disk_size bytes in a memfd; the memfd (to check its size
 * afterwards), or -1 if the device was refused (direct where O_DIRECT is not offered). */
static inline int fz_add_disk(struct vmm *v, const char *name, uint64_t disk_size, bool direct)
{
	struct vmb_error err = {0};
	char path[64];
	int fd = memfd_create(name, MFD_CLOEXEC);

	FZ_CHECK(fd >= 0 && ftruncate(fd, (off_t)disk_size) == 0, "memfd for %s", name);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (vmm_virtio_blk_add(v, name, path, direct, &err) < 0) {
		FZ_CHECK(direct, "disk %s: %s", name, err.msg);
		close(fd);
		return -1;
	}
	return fd;
}

/* The bus as bus.c promises it: ranges sorted, apart, inside their space, none in RAM. */
static inline void fz_check_bus(const struct vmm *v)
{
	for (int s = 0; s < 2; s++) {
		const struct vmm_range *r = v->bus.ranges[s];
		unsigned n = v->bus.nranges[s];
		uint64_t limit = s == VMM_PIO ? 0x10000 : 1ull << 52;

		FZ_CHECK(n <= VMM_MAX_RANGES, "%u ranges in space %d", n, s);
		for (unsigned i = 0; i < n; i++) {
			FZ_CHECK(r[i].len && r[i].base < limit && r[i].len <= limit - r[i].base,
			         "range 0x%llx+0x%llx", (unsigned long long)r[i].base,
			         (unsigned long long)r[i].len);
			FZ_CHECK(s == VMM_PIO || r[i].base >= v->mem_size,
			         "MMIO range at 0x%llx in guest RAM",
			         (unsigned long long)r[i].base);
			FZ_CHECK(i == 0 || r[i - 1].base + r[i - 1].len <= r[i].base,
			         "ranges at 0x%llx and 0x%llx overlap or are out of order",
			         (unsigned long long)r[i - 1].base, (unsigned long long)r[i].base);
		}
	}
}

static inline void fz_mmio_write(struct vmm *v, uint64_t addr, uint64_t val, uint32_t len)
{
	uint8_t d[8];

	memcpy(d, &val, sizeof(d));
	vmm_bus_mmio(v, addr, true, d, len);
}

static inline uint64_t fz_mmio_read(struct vmm *v, uint64_t addr, uint32_t len)
{
	uint64_t val = 0;

	vmm_bus_mmio(v, addr, false, (uint8_t *)&val, len);
	return val;
}

/* Where the function in slot says its BAR 0 is (its low flag bits cleared). */
static inline uint64_t fz_bar0(struct vmm *v, unsigned slot)
{
	uint32_t bar = 0;

	vmm_pci_config(v, slot, 0x10, false, (uint8_t *)&bar, 4);
	return bar & ~0xfu;
}

/* What a virtio driver does to bring up queue 0 of the function in slot: memory
 * decoding on, reset, features (VERSION_1 and the device's own), the queue's size and
 * rings, its MSI-X vector, enable, DRIVER_OK. Every value comes from the caller. */
static inline void fz_virtio_init(struct vmm *v, unsigned slot, uint16_t size, uint64_t desc,
                                  uint64_t avail, uint64_t used)
{
#define CC(field) (bar + offsetof(struct virtio_pci_common_cfg, field))
	uint16_t cmd = 0x6; /* memory space, bus master */

	vmm_pci_config(v, slot, 0x04, true, (uint8_t *)&cmd, 2);
	uint64_t bar = fz_bar0(v, slot);
	fz_mmio_write(v, CC(device_status), 0, 1);
	fz_mmio_write(v, CC(device_status), 1, 1); /* ACKNOWLEDGE */
	fz_mmio_write(v, CC(device_status), 3, 1); /* DRIVER */
	fz_mmio_write(v, CC(device_feature_select), 0, 4);
	uint32_t low = (uint32_t)fz_mmio_read(v, CC(device_feature), 4);
	fz_mmio_write(v, CC(guest_feature_select), 0, 4);
	fz_mmio_write(v, CC(guest_feature), low, 4);
	fz_mmio_write(v, CC(guest_feature_select), 1, 4);
	fz_mmio_write(v, CC(guest_feature), 1, 4);   /* VERSION_1 */
	fz_mmio_write(v, CC(device_status), 0xb, 1); /* FEATURES_OK */
	fz_mmio_write(v, CC(queue_select), 0, 2);
	fz_mmio_write(v, CC(queue_size), size, 2);
	fz_mmio_write(v, CC(queue_desc_lo), desc, 8);
	fz_mmio_write(v, CC(queue_avail_lo), avail, 8);
	fz_mmio_write(v, CC(queue_used_lo), used, 8);
	fz_mmio_write(v, CC(queue_msix_vector), 0, 2);
	fz_mmio_write(v, CC(queue_enable), 1, 2);
	fz_mmio_write(v, CC(device_status), 0xf, 1); /* DRIVER_OK */
#undef CC
}
#endif
