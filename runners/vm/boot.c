/* boot.c: the Linux x86 boot protocol for a bzImage: header checks, kernel and initramfs
 * mapped from their files, command line, zero page with the e820 map, and a boot vCPU
 * already in 64-bit mode. */
#include <asm/bootparam.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runners/vm/vmm.h"

#define SETUP_HDR_OFF 0x1f1
#define HDRS_MAGIC    0x53726448 /* "HdrS" */
#define MIN_PROTOCOL  0x020c     /* 2.12: xloadflags says whether a 64-bit entry exists */

/* Sets err to "<path>: <what> (<detail>)"; returns -1. */
static int boot_fail(struct vmb_error *err, const char *what, const char *path, const char *detail)
{
	return vmb_error_set(err, VMB_ERR_FAIL, "%s: %s%s%s%s", path, what, detail ? " (" : "",
	                     detail ? detail : "", detail ? ")" : "");
}

/* A kernel or initramfs file, mapped read-only: what the VMM reads of it (the
 * header) comes from the page cache and counts as no one's private memory. */
struct boot_file {
	int fd;
	size_t size;
	const uint8_t *img; /* the whole file; NULL when it is empty */
};

static void boot_file_close(struct boot_file *f)
{
	if (f->img)
		munmap((void *)f->img, f->size);
	if (f->fd >= 0)
		close(f->fd);
	f->img = NULL;
	f->fd = -1;
}

/* Opens and maps path; 0, or -1 with err (and f closed). */
static int boot_file_open(struct boot_file *f, const char *path, struct vmb_error *err)
{
	struct stat st;

	f->img = NULL;
	f->size = 0;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		boot_fail(err, "cannot read", path, f->fd < 0 ? strerror(errno) : "not a file");
		boot_file_close(f);
		return -1;
	}
	f->size = (size_t)st.st_size;
	if (f->size) {
		void *m = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, f->fd, 0);
		if (m == MAP_FAILED) {
			boot_fail(err, "cannot map", path, strerror(errno));
			boot_file_close(f);
			return -1;
		}
		f->img = m;
	}
	return 0;
}

/* Puts bytes [off, off + len) of f at guest address gpa. Where both the file
 * offset and the host address are page aligned, the file is mapped there,
 * private and writable (copy on write) over the guest's anonymous memory:
 * nothing is read or copied now, the guest's first touch of a page brings it
 * from the page cache, and what the guest writes stays in guest memory. The
 * last page's tail past the end of the file reads as zeros, as fresh guest
 * memory would. Elsewhere (a kernel that starts inside a page of its file;
 * memory from malloc, as in the tests) the bytes are copied. 0, or -1 with err. */
static int boot_place(struct vmm *v, const struct boot_file *f, const char *path, size_t off,
                      size_t len, uint64_t gpa, struct vmb_error *err)
{
	uint8_t *dst = v->mem + gpa;

	if (!len)
		return 0;
	if ((off | (uintptr_t)dst) & 4095) {
		memcpy(dst, f->img + off, len);
		return 0;
	}
	if (mmap(dst, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, f->fd, (off_t)off) ==
	    MAP_FAILED)
		return boot_fail(err, "cannot map into guest memory", path, strerror(errno));
	return 0;
}

/* The kernel's version string from its header, printable ASCII only (it goes
 * into JSON); "" if the header names none. */
static void boot_version(const uint8_t *img, size_t size, const struct setup_header *h,
                         char *version, size_t vlen)
{
	size_t off = (size_t)h->kernel_version + 0x200, n = 0;

	if (h->kernel_version && off < size)
		for (; n + 1 < vlen && off + n < size && img[off + n]; n++)
			version[n] = img[off + n] >= 0x20 && img[off + n] < 0x7f
			                     ? (char)img[off + n]
			                     : '?';
	version[n] = '\0';
}

/* Header checks shared by vmbench (early) and the VMM: 0, or -1 with why. */
static int boot_check_header(const uint8_t *img, size_t size, const char *path, char *version,
                             size_t vlen, struct vmb_error *err)
{
	struct setup_header h;

	if (size < 0x1000)
		return boot_fail(err, "not a Linux kernel image", path, "too small for a bzImage");
	memcpy(&h, img + SETUP_HDR_OFF, sizeof(h));
	if (h.boot_flag != 0xAA55 || h.header != HDRS_MAGIC)
		return boot_fail(err, "not a Linux bzImage", path,
		                 "no 0xAA55 boot flag and HdrS signature in its setup header");
	if (h.version < MIN_PROTOCOL) {
		char v[64];
		snprintf(v, sizeof(v), "version %u.%02u; this VMM needs 2.12 or later",
		         h.version >> 8, h.version & 0xff);
		return boot_fail(err, "boot protocol too old", path, v);
	}
	if (!(h.loadflags & LOADED_HIGH) || !(h.xloadflags & XLF_KERNEL_64))
		return boot_fail(err, "cannot be booted by this VMM", path,
		                 "it cannot be loaded at 1 MiB or has no 64-bit entry point");
	if (h.relocatable_kernel &&
	    (h.kernel_alignment == 0 || (h.kernel_alignment & (h.kernel_alignment - 1)) != 0))
		return boot_fail(err, "has a broken header", path,
		                 "kernel_alignment is not a power of two");
	if (!h.relocatable_kernel && h.pref_address != VMM_KERNEL_ADDR)
		return boot_fail(err, "cannot be booted by this VMM", path,
		                 "it is not relocatable");
	unsigned setup = h.setup_sects ? h.setup_sects : 4;
	size_t kernel_off = (size_t)(setup + 1) * 512;
	if (kernel_off >= size)
		return boot_fail(err, "truncated", path,
		                 "the file ends before its protected-mode kernel");
	/* syssize counts 16-byte paragraphs of the protected-mode kernel */
	if (kernel_off + (size_t)h.syssize * 16 > size)
		return boot_fail(err, "truncated", path,
		                 "shorter than the kernel size its header declares");
	if (version && vlen)
		boot_version(img, size, &h, version, vlen);
	return 0;
}

int vmm_check_bzimage(const char *path, char *version, size_t vlen, struct vmb_error *err)
{
	struct boot_file f;

	if (boot_file_open(&f, path, err) < 0)
		return -1;
	int rc = boot_check_header(f.img, f.size, path, version, vlen, err);
	boot_file_close(&f);
	return rc;
}

static void boot_e820_add(struct boot_params *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

/* Identity map of the first 4 GiB with 2 MiB pages, and a flat GDT. */
static void boot_page_tables_and_gdt(struct vmm *v)
{
	uint64_t *pml4 = (uint64_t *)(v->mem + VMM_PML4_ADDR);
	uint64_t *pdpt = pml4 + 512;
	uint64_t *pd = pdpt + 512;

	memset(pml4, 0, 6 * 4096);
	pml4[0] = (VMM_PML4_ADDR + 0x1000) | 0x3; /* present, writable */
	for (uint64_t i = 0; i < 4; i++) {
		pdpt[i] = (VMM_PML4_ADDR + 0x2000 + i * 0x1000) | 0x3;
		for (uint64_t j = 0; j < 512; j++)
			pd[i * 512 + j] =
			        ((i * 512 + j) << 21) | 0x83; /* present, writable, 2 MiB */
	}
	uint64_t *gdt = (uint64_t *)(v->mem + VMM_GDT_ADDR);
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffull; /* 0x10: 64-bit code */
	gdt[3] = 0x00cf93000000ffffull; /* 0x18: data */
}

int vmm_boot_load(struct vmm *v, struct vmm_boot *b, struct vmb_error *err)
{
	struct boot_file k, ird = {.fd = -1};
	int rc = -1;

	if (boot_file_open(&k, b->kernel_path, err) < 0)
		return -1;
	if (boot_check_header(k.img, k.size, b->kernel_path, b->kernel_version,
	                      sizeof(b->kernel_version), err) < 0)
		goto out;
	struct setup_header h;
	memcpy(&h, k.img + SETUP_HDR_OFF, sizeof(h));
	size_t kernel_off = (size_t)((h.setup_sects ? h.setup_sects : 4) + 1) * 512;
	size_t kernel_len = k.size - kernel_off;
	/* the kernel decompresses in place: it needs init_size bytes from 1 MiB */
	uint64_t kernel_end =
	        VMM_KERNEL_ADDR + (h.init_size > kernel_len ? h.init_size : kernel_len);
	if (kernel_end > v->mem_size) {
		vmb_error_set(err, VMB_ERR_FAIL,
		              "%s needs %llu MiB to unpack; guest memory is %llu MiB",
		              b->kernel_path, (unsigned long long)(kernel_end >> 20) + 1,
		              (unsigned long long)(v->mem_size >> 20));
		goto out;
	}
	/* Mapped when kernel_off is page aligned (Debian's kernels: 0x5000);
	 * else copied, since only a mapping at 1 MiB plus kernel_off's offset in
	 * its page would be possible, and that relies on the decompressor moving
	 * itself to an aligned address. */
	if (boot_place(v, &k, b->kernel_path, kernel_off, kernel_len, VMM_KERNEL_ADDR, err) < 0)
		goto out;

	size_t cmdlen = strlen(b->cmdline);
	if (cmdlen >= h.cmdline_size || cmdlen >= 0x10000) {
		vmb_error_set(err, VMB_ERR_FAIL,
		              "kernel command line of %zu bytes exceeds %s's limit of %u", cmdlen,
		              b->kernel_path, h.cmdline_size);
		goto out;
	}
	memcpy(v->mem + VMM_CMDLINE_ADDR, b->cmdline, cmdlen + 1);

	uint64_t initrd_addr = 0;
	if (b->initrd_path) {
		if (boot_file_open(&ird, b->initrd_path, err) < 0)
			goto out;
		uint64_t top = v->mem_size < (uint64_t)h.initrd_addr_max + 1
		                       ? v->mem_size
		                       : (uint64_t)h.initrd_addr_max + 1;
		initrd_addr = (top - ird.size) & ~0xfffull;
		if (ird.size >= top || initrd_addr < kernel_end) {
			vmb_error_set(
			        err, VMB_ERR_FAIL,
			        "initramfs %s (%zu MiB) does not fit in guest memory of %llu MiB "
			        "beside the kernel: raise --memory",
			        b->initrd_path, ird.size >> 20,
			        (unsigned long long)(v->mem_size >> 20));
			goto out;
		}
		if (boot_place(v, &ird, b->initrd_path, 0, ird.size, initrd_addr, err) < 0)
			goto out;
	}

	struct boot_params *bp = (struct boot_params *)(v->mem + VMM_ZERO_PAGE);
	memset(bp, 0, sizeof(*bp));
	memcpy(&bp->hdr, &h, sizeof(h));
	bp->hdr.type_of_loader = 0xff; /* a loader without an assigned id */
	bp->hdr.cmd_line_ptr = (uint32_t)VMM_CMDLINE_ADDR;
	bp->hdr.ramdisk_image = (uint32_t)initrd_addr;
	bp->hdr.ramdisk_size = (uint32_t)ird.size;
	bp->hdr.loadflags |= LOADED_HIGH;
	boot_e820_add(bp, 0, VMM_EBDA_START, 1); /* RAM */
	boot_e820_add(bp, VMM_EBDA_START, VMM_KERNEL_ADDR - VMM_EBDA_START,
	              2); /* EBDA, ACPI, BIOS */
	boot_e820_add(bp, VMM_KERNEL_ADDR, v->mem_size - VMM_KERNEL_ADDR, 1);
	boot_page_tables_and_gdt(v);
	rc = 0;
out:
	boot_file_close(&k);
	boot_file_close(&ird);
	return rc;
}

static void boot_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

int vmm_boot_regs(struct vmm *v, struct vmm_vcpu *c, struct vmb_error *err)
{
	struct kvm_sregs sr;
	struct kvm_regs r = {0};
	struct kvm_fpu fpu = {0};

	if (ioctl(c->fd, KVM_GET_SREGS, &sr) < 0)
		return vmb_error_sys(err, errno, "KVM_GET_SREGS of the boot vCPU");
	boot_segment(&sr.cs, 0x10, 0xb, true);
	boot_segment(&sr.ds, 0x18, 0x3, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = VMM_GDT_ADDR;
	sr.gdt.limit = 4 * 8 - 1;
	sr.cr3 = VMM_PML4_ADDR;
	sr.cr4 = 1u << 5;                 /* PAE */
	sr.cr0 = 0x80000001u | (1u << 4); /* PG, PE, ET */
	sr.efer = (1u << 8) | (1u << 10); /* LME, LMA */
	r.rflags = 2;
	r.rip = VMM_KERNEL_ADDR + 0x200; /* the 64-bit entry */
	r.rsi = VMM_ZERO_PAGE;           /* boot_params */
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	/* Memory is write-back by default (MTRRs enabled, default type WB): a
	 * guest started without firmware would otherwise run uncached. */
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[2];
	} msrs = {.h.nmsrs = 2,
	          .e = {{.index = 0x2ff, .data = (1u << 11) | 6}, /* IA32_MTRR_DEF_TYPE */
	                {.index = 0x1a0, .data = 1}}}; /* IA32_MISC_ENABLE: fast strings */
	if (ioctl(c->fd, KVM_SET_SREGS, &sr) < 0 || ioctl(c->fd, KVM_SET_REGS, &r) < 0 ||
	    ioctl(c->fd, KVM_SET_FPU, &fpu) < 0)
		return vmb_error_sys(err, errno, "setting the boot vCPU's registers");
	/* KVM_SET_MSRS returns how many it set: fewer is a refusal, not an errno */
	int set = ioctl(c->fd, KVM_SET_MSRS, &msrs);
	if (set < 0)
		return vmb_error_sys(err, errno,
		                     "setting the boot vCPU's MTRR and MISC_ENABLE MSRs");
	if (set != 2)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "KVM set %d of the boot vCPU's 2 MSRs (MTRR default type, "
		                     "MISC_ENABLE)",
		                     set);
	(void)v;
	return 0;
}
