/* acpi.c: the ACPI tables a distribution kernel needs to find the vCPUs and the IOAPIC
 * (it may be built without MP-table parsing): RSDP, RSDT, XSDT and a MADT. */
#include <stdint.h>
#include <string.h>

#include "runners/vm/vmm.h"

struct __attribute__((packed)) acpi_sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
};

struct __attribute__((packed)) acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
};

static uint8_t acpi_checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return (uint8_t)-s;
}

static void acpi_header(struct acpi_sdt_header *h, const char *sig, uint32_t length, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = length;
	h->revision = rev;
	memcpy(h->oem_id, "VMBNCH", 6);
	memcpy(h->oem_table_id, "VMBENCH ", 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "VMBN", 4);
	h->creator_revision = 1;
	h->checksum = 0;
	h->checksum = acpi_checksum(h, length);
}

void vmm_acpi_build(struct vmm *v)
{
	uint8_t *base = v->mem + VMM_ACPI_ADDR;
	uint64_t rsdt_at = VMM_ACPI_ADDR + 0x40, xsdt_at = VMM_ACPI_ADDR + 0x80,
	         madt_at = VMM_ACPI_ADDR + 0x100;
	uint8_t *madt = v->mem + madt_at;
	size_t off = sizeof(struct acpi_sdt_header);

	memset(base, 0, 0x1000);
	/* MADT: local APIC address and PCAT_COMPAT (legacy PICs present) */
	uint32_t lapic = VMM_LAPIC_ADDR, flags = 1;
	memcpy(madt + off, &lapic, 4);
	memcpy(madt + off + 4, &flags, 4);
	off += 8;
	for (int i = 0; i < v->ncpus; i++) {
		uint8_t e[8] = {0, 8, (uint8_t)i, (uint8_t)i, 1, 0, 0, 0}; /* enabled */
		memcpy(madt + off, e, 8);
		off += 8;
	}
	uint8_t io[12] = {1, 12, (uint8_t)v->ncpus, 0};
	uint32_t ioaddr = VMM_IOAPIC_ADDR, gsi_base = 0;
	memcpy(io + 4, &ioaddr, 4);
	memcpy(io + 8, &gsi_base, 4);
	memcpy(madt + off, io, 12);
	off += 12;
	/* the PIT's IRQ 0 arrives on IOAPIC pin 2, as on every PC */
	uint8_t iso[10] = {2, 10, 0, 0, 2, 0, 0, 0, 0, 0};
	memcpy(madt + off, iso, 10);
	off += 10;
	acpi_header((struct acpi_sdt_header *)madt, "APIC", (uint32_t)off, 3);

	struct acpi_sdt_header *rsdt = (struct acpi_sdt_header *)(v->mem + rsdt_at);
	uint32_t madt32 = (uint32_t)madt_at;
	memcpy((uint8_t *)rsdt + sizeof(*rsdt), &madt32, 4);
	acpi_header(rsdt, "RSDT", sizeof(*rsdt) + 4, 1);

	struct acpi_sdt_header *xsdt = (struct acpi_sdt_header *)(v->mem + xsdt_at);
	memcpy((uint8_t *)xsdt + sizeof(*xsdt), &madt_at, 8);
	acpi_header(xsdt, "XSDT", sizeof(*xsdt) + 8, 1);

	struct acpi_rsdp *r = (struct acpi_rsdp *)base;
	memcpy(r->signature, "RSD PTR ", 8);
	memcpy(r->oem_id, "VMBNCH", 6);
	r->revision = 2;
	r->rsdt = (uint32_t)rsdt_at;
	r->length = sizeof(*r);
	r->xsdt = xsdt_at;
	r->checksum = acpi_checksum(r, 20);
	r->ext_checksum = acpi_checksum(r, sizeof(*r));
}
