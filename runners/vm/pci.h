/* pci.h: PCI for vmbench-vmm: one bus of functions behind configuration mechanism #1
 * (ports 0xCF8-0xCFF), a host bridge at 00.0, and 32-bit memory BARs that the guest
 * sizes, places and turns on, which move the function's MMIO ranges on the VM's bus. */
#pragma once

#include <stdint.h>

#include "runners/vm/vmm.h"

#define PCI_SLOTS 32
#define PCI_BARS  6

/* One function's configuration space and what the guest may change in it. */
struct vmm_pci_fn {
	uint8_t cfg[256];
	uint8_t wmask[256];          /* the bits a guest write changes */
	uint32_t bar_size[PCI_BARS]; /* 0: no BAR; else a power of two, at least 4 KiB */
	uint64_t bar_at[PCI_BARS];   /* where each BAR is on the bus now (0: off) */
	struct vmm_dev *dev;         /* its device: its lock guards cfg; region = BAR */
	/* After the guest wrote [reg, reg + len) (cfg already changed); with the
	 * device's lock held. May be NULL. */
	void (*written)(struct vmm *v, struct vmm_pci_fn *f, uint32_t reg, uint32_t len);
	/* A BAR was placed at `at` (0: taken off the bus); with the device's lock
	 * held. May be NULL. */
	void (*moved)(struct vmm *v, struct vmm_pci_fn *f, int bar, uint64_t at);
	void *opaque;
};

/* A header for a type 0 function: vendor, device, class (base << 16 | sub << 8 |
 * interface), revision, subsystem, an interrupt pin (INTA), BARs sized as in
 * bar_size (memory, 32-bit, not prefetchable); the capability list starts at
 * 0x40 if caps is true. */
void vmm_pci_header(struct vmm_pci_fn *f, uint16_t vendor, uint16_t device, uint32_t class_code,
                    uint8_t revision, uint16_t subsystem, bool caps);

/* Puts f in the first free slot of bus 0 and places its BARs in the VMM's
 * PCI window, decoding off until the guest turns memory on (as firmware
 * would leave it, the guest may keep or move them). f->dev must be set.
 * The slot, or -1 with err. */
int vmm_pci_register(struct vmm *v, struct vmm_pci_fn *f, struct vmb_error *err);

/* A configuration access to (slot, function 0) at reg, as the port handler
 * makes it; exposed for the tests and the fuzz target. */
void vmm_pci_config(struct vmm *v, unsigned slot, uint32_t reg, bool write, uint8_t *data,
                    uint32_t len);
