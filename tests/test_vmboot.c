/* test_vmboot.c: the VM runner's pieces that need no /dev/kvm: bzImage header checks,
 * the boot layout in guest memory, the cpio writer, and module dependency resolution. */
#include <asm/bootparam.h>
#include <criterion/criterion.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "runners/vm/initramfs.h"
#include "runners/vm/vmm.h"
#include "vmbench/elf.h"
#include "vmbench/image.h"
#include "vmbench/util.h"

/* A file that passes as a bzImage: `sects` setup sectors, then `body` bytes. */
static char *fake_bzimage_sects(const char *dir, const char *name, uint16_t version, size_t body,
                                uint32_t syssize_extra, uint8_t sects)
{
	size_t off = (sects + 1u) * 512, size = off + body;
	unsigned char *img = calloc(1, size);
	struct setup_header h = {0};
	char *path = malloc(strlen(dir) + strlen(name) + 2);

	h.setup_sects = sects;
	h.boot_flag = 0xAA55;
	h.header = 0x53726448;
	h.version = version;
	h.loadflags = LOADED_HIGH;
	h.xloadflags = XLF_KERNEL_64;
	h.relocatable_kernel = 1;
	h.syssize = (uint32_t)(body / 16) + syssize_extra;
	h.cmdline_size = 2048;
	h.initrd_addr_max = 0x7fffffff;
	h.init_size = (uint32_t)body;
	h.kernel_alignment = 0x200000;
	memcpy(img + 0x1f1, &h, sizeof(h));
	for (size_t i = 0; i < body; i++)
		img[off + i] = (unsigned char)(i * 7);
	sprintf(path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	fwrite(img, 1, size, f);
	fclose(f);
	free(img);
	return path;
}

/* The same with one setup sector: the kernel at file offset 1024. */
static char *fake_bzimage(const char *dir, const char *name, uint16_t version, size_t body,
                          uint32_t syssize_extra)
{
	return fake_bzimage_sects(dir, name, version, body, syssize_extra, 1);
}

static void expect_reject(const char *path, const char *needle)
{
	struct vmb_error err = {0};

	cr_assert_eq(vmm_check_bzimage(path, NULL, 0, &err), -1, "%s accepted", path);
	cr_assert_neq(err.kind, VMB_ERR_NONE, "no error kind for %s", path);
	cr_assert(strstr(err.msg, needle) && strstr(err.msg, path), "message '%s' lacks '%s'",
	          err.msg, needle);
}

Test(vmboot, header_checks)
{
	char *dir = th_tmpdir(), version[128];
	struct vmb_error err = {0};

	expect_reject("/etc/passwd", "not a Linux");
	expect_reject("/nonexistent/bzImage", "cannot read");
	expect_reject(fake_bzimage(dir, "old", 0x0205, 8192, 0), "boot protocol too old");
	expect_reject(fake_bzimage(dir, "short", 0x020f, 8192, 4096), "truncated");
	char *zeros = fake_bzimage(dir, "zeros", 0x020f, 8192, 0);
	FILE *f = fopen(zeros, "r+b");
	fseek(f, 0x1fe, SEEK_SET);
	fputc(0, f);
	fclose(f);
	expect_reject(zeros, "not a Linux bzImage");
	char *good = fake_bzimage(dir, "good", 0x020f, 8192, 0);
	cr_assert_eq(vmm_check_bzimage(good, version, sizeof(version), &err), 0, "%s", err.msg);
	cr_assert_str_eq(version, "", "a header without a version string gave '%s'", version);
	/* the version string, where the header points, with bytes that are not
	 * printable ASCII replaced (it goes into JSON) */
	f = fopen(good, "r+b");
	uint16_t at = 0x300;
	fseek(f, 0x1f1 + (long)offsetof(struct setup_header, kernel_version), SEEK_SET);
	fwrite(&at, sizeof(at), 1, f);
	fseek(f, 0x200 + at, SEEK_SET);
	fwrite("6.1.0-test (x)\xff", 1, 16, f);
	fclose(f);
	cr_assert_eq(vmm_check_bzimage(good, version, sizeof(version), &err), 0, "%s", err.msg);
	cr_assert_str_eq(version, "6.1.0-test (x)?");
	vmb_rm_tree(dir, NULL);
}

static void make_file(const char *path, size_t size)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	for (size_t i = 0; i < size; i++)
		fputc((int)(i & 0xff), f);
	fclose(f);
}

Test(vmboot, layout_in_guest_memory)
{
	char *dir = th_tmpdir(), initrd[300];
	struct vmb_error err = {0};
	static struct vmm v;
	struct vmm_boot b = {.cmdline = "console=ttyS0 -- --workload noop"};

	v.mem_size = 64u << 20;
	v.mem = calloc(1, v.mem_size);
	b.kernel_path = fake_bzimage(dir, "k", 0x020f, 16384, 0);
	snprintf(initrd, sizeof(initrd), "%s/initrd", dir);
	make_file(initrd, 1u << 20);
	b.initrd_path = initrd;
	cr_assert_eq(vmm_boot_load(&v, &b, &err), 0, "%s", err.msg);
	struct boot_params *bp = (struct boot_params *)(v.mem + VMM_ZERO_PAGE);
	cr_assert_eq(bp->hdr.type_of_loader, 0xff);
	cr_assert_str_eq((char *)v.mem + bp->hdr.cmd_line_ptr, b.cmdline);
	cr_assert_eq(bp->hdr.ramdisk_size, 1u << 20);
	cr_assert_eq(bp->hdr.ramdisk_image % 4096, 0, "initramfs not page aligned");
	cr_assert_leq(bp->hdr.ramdisk_image + bp->hdr.ramdisk_size, v.mem_size);
	cr_assert_eq(v.mem[bp->hdr.ramdisk_image + 5], 5, "initramfs bytes not copied");
	cr_assert_eq(v.mem[VMM_KERNEL_ADDR + 3], 21, "kernel body not at 1 MiB");
	cr_assert_eq(bp->e820_entries, 3);
	cr_assert_eq(bp->e820_table[2].addr + bp->e820_table[2].size, v.mem_size);
	uint64_t *pml4 = (uint64_t *)(v.mem + VMM_PML4_ADDR);
	cr_assert(pml4[0] & 1, "no identity page tables");
	/* an initramfs that cannot fit beside the kernel is refused, naming --memory */
	make_file(initrd, 63u << 20);
	cr_assert_eq(vmm_boot_load(&v, &b, &err), -1);
	cr_assert(strstr(err.msg, "does not fit") && strstr(err.msg, "--memory"), "%s", err.msg);
	free(v.mem);
	vmb_rm_tree(dir, NULL);
}

/* The byte at off in the file at path. */
static int byte_at(const char *path, long off)
{
	FILE *f = fopen(path, "rb");

	cr_assert_not_null(f);
	fseek(f, off, SEEK_SET);
	int c = fgetc(f);
	fclose(f);
	return c;
}

/* Whether addr lies in a mapping of the file at path (/proc/self/maps). */
static bool mapped_from(const void *addr, const char *path)
{
	char want[PATH_MAX], line[PATH_MAX + 128], name[PATH_MAX];
	unsigned long lo, hi, at = (unsigned long)(uintptr_t)addr;
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	cr_assert_not_null(realpath(path, want));
	cr_assert_not_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%lx-%lx %*s %*s %*s %*s %4095s", &lo, &hi, name) == 3 &&
		        lo <= at && at < hi && strcmp(name, want) == 0;
	fclose(f);
	return found;
}

/* In page-aligned guest memory, as the VMM has it, the initramfs and a kernel
 * that starts at a page boundary of its file (Debian's does) are mapped from
 * their files, not copied, and the guest's writes never reach the files; a
 * kernel that starts elsewhere in a page is copied. */
Test(vmboot, files_mapped_into_guest_memory)
{
	char *dir = th_tmpdir(), initrd[300];
	struct vmb_error err = {0};
	static struct vmm v;
	struct vmm_boot b = {.cmdline = "console=ttyS0"};

	v.mem_size = 64u << 20;
	v.mem = mmap(NULL, v.mem_size, PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	cr_assert_neq(v.mem, MAP_FAILED);
	snprintf(initrd, sizeof(initrd), "%s/initrd", dir);
	make_file(initrd, (1u << 20) + 5);
	b.initrd_path = initrd;
	for (uint8_t sects = 1; sects <= 7; sects += 6) {
		char name[16];
		snprintf(name, sizeof(name), "k%u", sects);
		b.kernel_path = fake_bzimage_sects(dir, name, 0x020f, 16384, 0, sects);
		cr_assert_eq(vmm_boot_load(&v, &b, &err), 0, "%s", err.msg);
		struct boot_params *bp = (struct boot_params *)(v.mem + VMM_ZERO_PAGE);
		uint8_t *kernel = v.mem + VMM_KERNEL_ADDR, *ird = v.mem + bp->hdr.ramdisk_image;
		cr_assert_eq(bp->hdr.ramdisk_size, (1u << 20) + 5);
		cr_assert_eq(kernel[3], 21, "kernel body not at 1 MiB");
		cr_assert_eq(kernel[16383], (uint8_t)(16383 * 7), "kernel body cut short");
		cr_assert_eq(ird[5], 5, "initramfs bytes wrong");
		cr_assert_eq(ird[(1u << 20) + 4], 4, "initramfs cut short");
		cr_assert_eq(mapped_from(kernel, b.kernel_path), sects == 7,
		             "kernel at file offset %u: mapped %d", (sects + 1u) * 512,
		             mapped_from(kernel, b.kernel_path));
		cr_assert(mapped_from(ird, initrd), "the initramfs was copied, not mapped");
		kernel[3] = 0;
		ird[5] = 0;
		cr_assert_eq(byte_at(b.kernel_path, (sects + 1) * 512 + 3), 21,
		             "a guest write reached the kernel's file");
		cr_assert_eq(byte_at(initrd, 5), 5, "a guest write reached the initramfs's file");
	}
	munmap(v.mem, v.mem_size);
	vmb_rm_tree(dir, NULL);
}

static unsigned hex8(const char *p)
{
	char buf[9];

	memcpy(buf, p, 8);
	buf[8] = '\0';
	return (unsigned)strtoul(buf, NULL, 16);
}

Test(vmboot, cpio_newc_reads_back)
{
	char *dir = th_tmpdir(), path[300];
	struct vmb_cpio c;

	snprintf(path, sizeof(path), "%s/a.cpio", dir);
	c = (struct vmb_cpio){.f = fopen(path, "w")};
	vmb_cpio_dir(&c, "etc");
	vmb_cpio_data(&c, "etc/hello", "hello\n", 6, 0644);
	vmb_cpio_chardev(&c, "dev/console", 5, 1);
	cr_assert_eq(vmb_cpio_finish(&c), 0);
	fclose(c.f);

	FILE *f = fopen(path, "rb");
	static char buf[4096];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	const char *want[] = {"etc", "etc/hello", "dev/console", "TRAILER!!!"};
	size_t off = 0;
	for (int i = 0; i < 4; i++) {
		cr_assert_leq(off + 110, len);
		cr_assert(memcmp(buf + off, "070701", 6) == 0, "entry %d: bad magic", i);
		unsigned mode = hex8(buf + off + 14), size = hex8(buf + off + 54);
		unsigned namesize = hex8(buf + off + 94);
		cr_assert_str_eq(buf + off + 110, want[i]);
		if (i == 1) {
			cr_assert_eq(mode & 0170000, 0100000);
			cr_assert_eq(size, 6);
		}
		if (i == 2)
			cr_assert_eq(hex8(buf + off + 78), 5, "rdevmajor");
		off = (off + 110 + namesize + 3) & ~3ul;
		off = (off + size + 3) & ~3ul;
	}
	cr_assert_eq(off, len, "bytes after the trailer");
	vmb_rm_tree(dir, NULL);
}

/* Builds a tiny ELF object with a .modinfo section, as kernel modules have. */
static void fake_module(const char *dir, const char *name, const char *depends)
{
	char src[400], cmd[1200];

	snprintf(src, sizeof(src), "%s/%s.c", dir, name);
	FILE *f = fopen(src, "w");
	fprintf(f,
	        "__attribute__((section(\".modinfo\"), used)) static const char d[] = "
	        "\"license=GPL\\0depends=%s\";\n",
	        depends);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -c -o '%s/kernel/x/%s.ko' '%s'", dir, name, src);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

Test(vmboot, modules_resolve_from_their_own_dependency_lists)
{
	char *dir = th_tmpdir(), sub[400];
	char **paths = NULL;
	size_t n = 0;
	struct vmb_error err = {0};

	snprintf(sub, sizeof(sub), "%s/kernel/x", dir);
	vmb_mkdir_parents(sub, &err);
	mkdir(sub, 0755);
	fake_module(dir, "irqbypass", "");
	fake_module(dir, "kvm", "irqbypass");
	fake_module(dir, "kvm-amd", "kvm");
	cr_assert_eq(vmb_modules_resolve(dir, "kvm_amd", &paths, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 3);
	cr_assert(strstr(paths[0], "irqbypass.ko") && strstr(paths[1], "/kvm.ko") &&
	                  strstr(paths[2], "kvm-amd.ko"),
	          "load order %s %s %s", paths[0], paths[1], paths[2]);
	/* a module that is not there is taken to be built in */
	cr_assert_eq(vmb_modules_resolve(dir, "virtio_blk", &paths, &n, &err), 0);
	cr_assert_eq(n, 3);
	vmb_strv_free(paths);
	vmb_rm_tree(dir, NULL);
}
