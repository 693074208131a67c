/* pci.c: the PCI host bridge and configuration mechanism #1: the address register at
 * 0xCF8 and the data window at 0xCFC-0xCFF, functions on bus 0 (function 0 of each
 * slot), and memory BARs that follow what the guest writes. Everything the guest writes
 * goes through the function's write mask; BARs land only in the PCI window. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runners/vm/pci.h"

#define PCI_CONFIG_PORT 0xcf8
#define PCI_COMMAND     0x04
#define PCI_CMD_MEMORY  0x2
#define PCI_BAR0        0x10

struct pci_host {
	uint32_t addr; /* the address register, as last written */
	struct vmm_pci_fn bridge;
	struct vmm_pci_fn *fn[PCI_SLOTS];
	uint64_t next_bar; /* where the next BAR goes at registration */
};

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void vmm_pci_header(struct vmm_pci_fn *f, uint16_t vendor, uint16_t device, uint32_t class_code,
                    uint8_t revision, uint16_t subsystem, bool caps)
{
	memset(f->cfg, 0, sizeof(f->cfg));
	memset(f->wmask, 0, sizeof(f->wmask));
	put16(f->cfg + 0x00, vendor);
	put16(f->cfg + 0x02, device);
	f->cfg[0x08] = revision;
	f->cfg[0x09] = (uint8_t)class_code;
	f->cfg[0x0a] = (uint8_t)(class_code >> 8);
	f->cfg[0x0b] = (uint8_t)(class_code >> 16);
	put16(f->cfg + 0x2c, vendor);
	put16(f->cfg + 0x2e, subsystem);
	if (caps) {
		f->cfg[0x06] = 0x10; /* status: a capability list */
		f->cfg[0x34] = 0x40;
	}
	/* command: memory space, bus master, interrupt disable */
	put16(f->wmask + PCI_COMMAND, 0x0406);
	f->wmask[0x3c] = 0xff; /* interrupt line: the guest's note */
	f->cfg[0x3d] = 1;      /* INTA */
	for (int i = 0; i < PCI_BARS; i++)
		if (f->bar_size[i])
			put32(f->wmask + PCI_BAR0 + 4 * i, ~(f->bar_size[i] - 1));
}

static uint32_t pci_bar_value(const struct vmm_pci_fn *f, int bar)
{
	uint32_t v;

	memcpy(&v, f->cfg + PCI_BAR0 + 4 * bar, 4);
	return v & ~0xfu;
}

/* Puts each BAR where the configuration says, or takes it off the bus when
 * memory decoding is off or the address is outside the PCI window (a guest
 * sizing it writes all ones). With the function's lock held. */
static void pci_bars_update(struct vmm *v, struct vmm_pci_fn *f)
{
	bool on = f->cfg[PCI_COMMAND] & PCI_CMD_MEMORY;
	struct vmb_error err = {0};

	for (int i = 0; i < PCI_BARS; i++) {
		if (!f->bar_size[i])
			continue;
		uint64_t at = pci_bar_value(f, i), size = f->bar_size[i];
		if (!on || at < v->mem_size || at < VMM_PCI_MMIO || at + size > VMM_PCI_MMIO_END)
			at = 0;
		if (at == f->bar_at[i])
			continue;
		/* a clash with another BAR, legal while the guest moves them: this
		 * one stays off the bus until a write puts it somewhere free */
		if (at && vmm_bus_map(v, f->dev, VMM_MMIO, i, at, size, &err) < 0)
			at = 0;
		if (!at)
			vmm_bus_unmap(v, f->dev, VMM_MMIO, i);
		f->bar_at[i] = at;
		if (f->moved)
			f->moved(v, f, i, at);
	}
}

/* A configuration access to f, with its lock held: reads give the space as
 * it is, writes change only the bits of the write mask. */
static void pci_fn_access(struct vmm *v, struct vmm_pci_fn *f, uint32_t reg, bool write,
                          uint8_t *data, uint32_t len)
{
	if (!write) {
		memcpy(data, f->cfg + reg, len);
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		f->cfg[reg + i] = (uint8_t)((f->cfg[reg + i] & ~f->wmask[reg + i]) |
		                            (data[i] & f->wmask[reg + i]));
	if (reg < PCI_BAR0 + 4 * PCI_BARS && reg + len > PCI_COMMAND)
		pci_bars_update(v, f);
	if (f->written)
		f->written(v, f, reg, len);
}

void vmm_pci_config(struct vmm *v, unsigned slot, uint32_t reg, bool write, uint8_t *data,
                    uint32_t len)
{
	struct pci_host *h = v->pci ? v->pci->state : NULL;
	struct vmm_pci_fn *f = NULL;

	/* the caller's lengths are 1, 2 or 4 inside one dword; check anyway */
	if (!h || slot >= PCI_SLOTS || len == 0 || len > 4 || reg > 256 - len) {
		if (!write)
			memset(data, 0xff, len > 4 ? 4 : len);
		return;
	}
	f = slot == 0 ? &h->bridge : h->fn[slot];
	if (!f) {
		if (!write)
			memset(data, 0xff, len); /* no function: all ones */
		return;
	}
	if (f->dev == v->pci) {
		pci_fn_access(v, f, reg, write, data, len); /* the host's lock is held */
		return;
	}
	pthread_mutex_lock(&f->dev->lock);
	pci_fn_access(v, f, reg, write, data, len);
	pthread_mutex_unlock(&f->dev->lock);
}

/* Ports 0xCF8-0xCFF: offsets 0-3 the address register, 4-7 the data window
 * onto the dword the address selects. */
static void pci_host_io(struct vmm *v, struct vmm_dev *d, uint16_t off, bool out, uint8_t *data,
                        uint32_t size, uint32_t count)
{
	struct pci_host *h = d->state;

	for (uint32_t n = 0; n < count; n++, data += size) {
		if (off < 4) {
			/* the address register is read and written as a whole dword;
			 * narrower accesses (Linux's probe writes 0xCFB) only touch bytes */
			if (off + size > 4) {
				if (!out)
					memset(data, 0xff, size);
				continue;
			}
			uint8_t a[4];
			memcpy(a, &h->addr, 4);
			if (out)
				memcpy(a + off, data, size);
			else
				memcpy(data, a + off, size);
			memcpy(&h->addr, a, 4);
			continue;
		}
		uint32_t byte = off - 4u;
		bool enabled = h->addr & 0x80000000u;
		unsigned bus = (h->addr >> 16) & 0xff, slot = (h->addr >> 11) & 0x1f,
		         fn = (h->addr >> 8) & 7;
		uint32_t reg = (h->addr & 0xfc) + byte;
		if (!enabled || bus != 0 || fn != 0 || byte + size > 4) {
			if (!out)
				memset(data, 0xff, size);
			continue;
		}
		vmm_pci_config(v, slot, reg, out, data, size);
	}
}

static void pci_host_report(struct vmm *v, struct vmm_dev *d, json_t *counters)
{
	struct pci_host *h = d->state;
	int n = 0;

	(void)v;
	for (int i = 1; i < PCI_SLOTS; i++)
		n += h->fn[i] != NULL;
	json_object_set_new(counters, "functions", json_integer(n));
}

static const struct vmm_dev_ops pci_host_ops = {
        .kind = "pci-host", .io = pci_host_io, .report = pci_host_report, .release = free};

int vmm_pci_add_host(struct vmm *v, struct vmb_error *err)
{
	struct pci_host *h = calloc(1, sizeof(*h));
	struct vmm_dev *d;

	if (!h)
		return vmb_error_set(err, VMB_ERR_FAIL, "PCI host: out of memory");
	if (vmm_bus_add_dev(v, "pci", &pci_host_ops, h, &d, err) < 0)
		return -1;
	if (vmm_bus_map(v, d, VMM_PIO, 0, PCI_CONFIG_PORT, 8, err) < 0)
		return -1;
	/* a host bridge (class 06/00) at 00.0 is what Linux looks for before it
	 * trusts mechanism #1 */
	vmm_pci_header(&h->bridge, 0x1af4, 0x10ff, 0x060000, 0, 0, false);
	memset(h->bridge.wmask, 0, sizeof(h->bridge.wmask));
	h->bridge.dev = d;
	h->next_bar = VMM_PCI_MMIO;
	v->pci = d;
	return 0;
}

int vmm_pci_register(struct vmm *v, struct vmm_pci_fn *f, struct vmb_error *err)
{
	struct pci_host *h = v->pci ? v->pci->state : NULL;
	int slot = -1;

	if (!h)
		return vmb_error_set(err, VMB_ERR_FAIL, "%s: no PCI host bridge", f->dev->name);
	for (int i = 1; i < PCI_SLOTS && slot < 0; i++)
		if (!h->fn[i])
			slot = i;
	if (slot < 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "%s: PCI bus 0 is full", f->dev->name);
	for (int i = 0; i < PCI_BARS; i++) {
		uint64_t size = f->bar_size[i];
		if (!size)
			continue;
		if (size < 4096 || (size & (size - 1)))
			return vmb_error_set(err, VMB_ERR_FAIL, "%s: BAR %d of %llu bytes",
			                     f->dev->name, i, (unsigned long long)size);
		uint64_t at = (h->next_bar + size - 1) & ~(size - 1);
		if (at + size > VMM_PCI_MMIO_END)
			return vmb_error_set(err, VMB_ERR_FAIL, "%s: no room for BAR %d",
			                     f->dev->name, i);
		put32(f->cfg + PCI_BAR0 + 4 * i, (uint32_t)at);
		h->next_bar = at + size;
	}
	f->cfg[0x3c] = 0xff; /* no line yet: a function with INTx names its own */
	h->fn[slot] = f;
	return slot;
}
