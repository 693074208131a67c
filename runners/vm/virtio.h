/* virtio.h: virtio 1.x devices for vmbench-vmm: the transport (virtio over PCI, with
 * MSI-X, in virtio_pci.c) apart from what a device does with its queues (one file per
 * device, such as dev_virtio_blk.c), joined by this table of operations. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "runners/vm/virtq.h"
#include "runners/vm/vmm.h"

#define VIRTIO_MAX_QUEUES 4

/* What a kind of virtio device does. Every hook but release runs with the
 * device's lock held. */
struct virtio_ops {
	const char *kind;    /* "virtio-blk" */
	uint16_t id;         /* the virtio device ID (2: block) */
	uint32_t class_code; /* its PCI class (base << 16 | sub << 8) */
	uint16_t nqueues, queue_max;
	uint64_t features;   /* device features offered (the transport adds VERSION_1) */
	uint32_t config_len; /* bytes of device configuration */
	/* Reads [off, off + len) of the device configuration, inside config_len. */
	void (*config_read)(void *state, uint32_t off, uint8_t *data, uint32_t len);
	/* Serves what the guest made available on queue q: pops, handles, and
	 * pushes now or later (then vmm_virtio_completed). The number of requests
	 * given back now, or -1 when the guest broke the rules (q->error says
	 * how): the transport then stops the device. */
	int (*queue)(struct vmm *v, struct vmm_dev *d, void *state, unsigned qi, struct vq *q);
	/* Forgets what the guest set up; requests in flight are finished first
	 * (the hook may wait for them, releasing the device's lock meanwhile).
	 * May be NULL. */
	void (*reset)(struct vmm_dev *d, void *state);
	/* The device's own threads, when the VM starts and stops (without the
	 * device's lock). May be NULL. */
	int (*start)(struct vmm *v, struct vmm_dev *d, void *state, struct vmb_error *err);
	void (*stop)(struct vmm_dev *d, void *state);
	void (*report)(void *state, json_t *counters); /* may be NULL */
	void (*release)(void *state);                  /* may be NULL */
};

/* A device that completes requests later (on its own threads) says so here,
 * with its lock held, after pushing them to queue qi: the guest is
 * interrupted if it asked to be, and the queue is served again (requests
 * that waited for room). */
void vmm_virtio_completed(struct vmm *v, struct vmm_dev *d, unsigned qi);

/* Puts a virtio device of `ops` on the VM's PCI bus under `name`. Takes
 * ownership of state, also on failure. 0, or -1 with err. */
int vmm_virtio_pci_add(struct vmm *v, const char *name, const struct virtio_ops *ops, void *state,
                       struct vmb_error *err);

/* The layout of the transport's BAR 0 (the tests and the fuzz target drive
 * it through vmm_bus_mmio at the BAR's address). */
#define VIRTIO_BAR_SIZE    0x8000u
#define VIRTIO_BAR_COMMON  0x0000u
#define VIRTIO_BAR_ISR     0x1000u
#define VIRTIO_BAR_DEVICE  0x2000u
#define VIRTIO_BAR_NOTIFY  0x3000u /* queue q rings at + 4 * q */
#define VIRTIO_BAR_MSIX    0x4000u /* the MSI-X table, 16 bytes a vector */
#define VIRTIO_BAR_PBA     0x5000u
#define VIRTIO_NOTIFY_MULT 4u
