/* fuzz_bzimage.c: libFuzzer target for the bzImage loader (boot.c): the header checks
 * vmbench and the VMM share, then the whole load (kernel and initramfs mapped or copied
 * into guest memory, command line, zero page, page tables) into guest memory set up as
 * vmbench-vmm does it, with no access page on either side of it. */
#include <asm/bootparam.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HUGE  (2ull << 20)
#define GUARD (2ull << 20)

static struct vmm vm;

/* A file holding [p, p + len): a memfd, reached by path as the VMM opens files. */
static int file_of(const uint8_t *p, size_t len, char *path, size_t plen)
{
	int fd = memfd_create("fuzz-boot", MFD_CLOEXEC);

	FZ_CHECK(fd >= 0, "memfd");
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, p + done, len - done);
		FZ_CHECK(n > 0, "memfd write");
		done += (size_t)n;
	}
	snprintf(path, plen, "/proc/self/fd/%d", fd);
	return fd;
}

/* Guest memory of mem_size bytes, 2 MiB aligned, inside a reservation whose other
 * pages cannot be touched: the loader writing outside guest memory faults. */
static void mem_map(struct vmm *v, uint64_t mem_size)
{
	size_t raw = mem_size + HUGE + GUARD;
	uint8_t *p = mmap(NULL, raw, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	FZ_CHECK(p != MAP_FAILED, "reserving %zu bytes", raw);
	v->mem_raw = p;
	v->mem_raw_size = raw;
	v->mem = (uint8_t *)(((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	v->mem_size = mem_size;
	FZ_CHECK(mprotect(v->mem, mem_size, PROT_READ | PROT_WRITE) == 0, "mprotect");
}

/* What a load that succeeded promises: the files' bytes where the zero page says,
 * the command line, and an e820 map inside guest memory. */
static void check_load(struct vmm *v, const uint8_t *kernel, size_t klen, const uint8_t *ird,
                       size_t irdlen, const char *cmdline)
{
	const struct boot_params *bp = (const struct boot_params *)(v->mem + VMM_ZERO_PAGE);
	size_t setup = kernel[0x1f1] ? kernel[0x1f1] : 4;
	size_t koff = (setup + 1) * 512;

	FZ_CHECK(koff < klen, "loaded a kernel that ends in its setup code");
	FZ_CHECK(memcmp(v->mem + VMM_KERNEL_ADDR, kernel + koff, klen - koff) == 0,
	         "the kernel is not at 1 MiB as the file has it");
	FZ_CHECK(strcmp((const char *)v->mem + VMM_CMDLINE_ADDR, cmdline) == 0, "command line");
	if (ird) {
		uint64_t at = bp->hdr.ramdisk_image;
		FZ_CHECK(bp->hdr.ramdisk_size == irdlen && at <= v->mem_size &&
		                 irdlen <= v->mem_size - at,
		         "initramfs at 0x%llx+%zu", (unsigned long long)at, irdlen);
		FZ_CHECK(at >= VMM_KERNEL_ADDR + klen - koff, "initramfs over the kernel");
		FZ_CHECK(memcmp(v->mem + at, ird, irdlen) == 0, "initramfs bytes");
	}
	FZ_CHECK(bp->e820_entries <= E820_MAX_ENTRIES_ZEROPAGE, "e820 entries");
	for (unsigned i = 0; i < bp->e820_entries; i++)
		FZ_CHECK(bp->e820_table[i].addr + bp->e820_table[i].size <= v->mem_size,
		         "e820 entry %u past guest memory", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t sizes[8] = {64 << 10, 1 << 20,  (1 << 20) + 4096, 2 << 20,
	                                  3 << 20,  16 << 20, 64 << 20,         256 << 20};
	struct fz f = {data, size};
	uint8_t flags = (uint8_t)fz_take(&f, 1);
	char cmdline[256], kpath[64], ipath[64];
	struct vmm_boot b = {.kernel_path = kpath, .cmdline = cmdline};
	struct vmb_error err = {0};
	const uint8_t *ird = NULL;
	size_t irdlen = 0;
	int ifd = -1;

	size_t cmdlen = fz_take(&f, 1);
	fz_bytes(&f, cmdline, cmdlen < sizeof(cmdline) ? cmdlen : sizeof(cmdline) - 1);
	cmdline[cmdlen < sizeof(cmdline) ? cmdlen : sizeof(cmdline) - 1] = '\0';
	if (flags & FB_F_INITRD) {
		irdlen = fz_take(&f, 2);
		if (irdlen > f.n)
			irdlen = f.n;
		ird = f.p;
		f.p += irdlen;
		f.n -= irdlen;
		ifd = file_of(ird, irdlen, ipath, sizeof(ipath));
		b.initrd_path = ipath;
	}
	int kfd = file_of(f.p, f.n, kpath, sizeof(kpath));

	/* the header check alone, into a version buffer of exactly its length */
	size_t vlen = flags >> 4;
	char *version = vlen ? malloc(vlen) : NULL;
	int rc = vmm_check_bzimage(kpath, version, vlen, &err);
	FZ_CHECK(rc == 0 || err.msg[0], "a refused kernel says nothing");
	if (rc == 0 && version)
		FZ_CHECK(memchr(version, '\0', vlen), "version not terminated");
	free(version);
	memset(&err, 0, sizeof(err));

	vmm_init(&vm);
	mem_map(&vm, sizes[(flags >> 1) & 7]);
	if (vmm_boot_load(&vm, &b, &err) == 0) {
		FZ_CHECK(memchr(b.kernel_version, '\0', sizeof(b.kernel_version)), "version");
		check_load(&vm, f.p, f.n, ird, irdlen, cmdline);
	} else {
		FZ_CHECK(err.msg[0], "a refused load says nothing");
	}
	munmap(vm.mem_raw, vm.mem_raw_size);
	vmm_release(&vm);
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	return 0;
}
