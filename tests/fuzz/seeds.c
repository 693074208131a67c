/* seeds.c: writes the fuzz targets' starting corpora (run-fuzz builds and runs it): inputs
 * in each target's own encoding (fuzz.h) that a well-behaved guest would produce, so the
 * fuzzer starts deep in the code instead of at its first check. With --kernel, the start
 * of a real bzImage joins the loader's corpus. */
#include <asm/bootparam.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>
#include <sys/stat.h>
#include <unistd.h>

#define FZ_NO_VM
#include "fuzz.h"

static const char *outdir;

static void save(const char *target, const char *name, const struct fz_out *o)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(o->buf, 1, o->n, f) != o->n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* The rings of every virtq seed: 8 entries, descriptors at 0, avail at 0x1000, used at
 * 0x2000, buffers from 0x4000, in 64 KiB of RAM. */
static void vq_header(struct fz_out *o, uint8_t mode)
{
	fz_put(o, mode, 1);
	fz_put(o, 0xffff, 2);
	fz_put(o, 8, 2);
	fz_put(o, 0x0, 8);
	fz_put(o, 0x1000, 8);
	fz_put(o, 0x2000, 8);
	fz_put(o, 256, 2);
}

static void vq_add(struct fz_out *o, uint16_t slot, uint64_t addr, uint32_t len, uint16_t flags,
                   uint16_t next, bool publish)
{
	fz_put(o, FQ_ADD, 1);
	fz_put(o, slot, 2);
	fz_put(o, addr, 8);
	fz_put(o, len, 4);
	fz_put(o, flags, 2);
	fz_put(o, next, 2);
	fz_put(o, publish, 1);
}

/* A block request in three descriptors from slot: header, data, status. */
static void blk_request(struct fz_out *o, uint16_t slot, uint32_t type, uint64_t sector,
                        uint32_t len)
{
	uint64_t hdr = 0x4000 + 0x1000ull * slot;
	bool in = type != VIRTIO_BLK_T_OUT;

	fz_put(o, FQ_POKE, 1);
	fz_put(o, hdr, 2);
	fz_put(o, 16, 1);
	fz_put(o, type, 4);
	fz_put(o, 0, 4);
	fz_put(o, sector, 8);
	vq_add(o, slot, hdr, 16, VRING_DESC_F_NEXT, slot + 1, true);
	vq_add(o, slot + 1, hdr + 0x100, len, VRING_DESC_F_NEXT | (in ? VRING_DESC_F_WRITE : 0),
	       slot + 2, false);
	vq_add(o, slot + 2, hdr + 0xf00, 1, VRING_DESC_F_WRITE, 0, false);
}

static void virtq_seeds(void)
{
	struct fz_out o = {.n = 0};

	/* the bare queue: a chain of three, taken; then one that loops */
	vq_header(&o, 0);
	vq_add(&o, 0, 0x4000, 16, VRING_DESC_F_NEXT, 1, true);
	vq_add(&o, 1, 0x5000, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2, false);
	vq_add(&o, 2, 0x6000, 1, VRING_DESC_F_WRITE, 0, false);
	fz_put(&o, FQ_POP, 1);
	vq_add(&o, 3, 0x4000, 16, VRING_DESC_F_NEXT, 3, true);
	fz_put(&o, FQ_DRAIN, 1);
	save("fuzz_virtq", "queue-chain", &o);

	/* 256 entries: a chain of 131 segments (one past the most), then a loop of 5 */
	o.n = 0;
	fz_put(&o, 0, 1);
	fz_put(&o, 0xffff, 2);
	fz_put(&o, 256, 2);
	fz_put(&o, 0x0, 8);
	fz_put(&o, 0x1000, 8);
	fz_put(&o, 0x1800, 8);
	fz_put(&o, 256, 2);
	fz_put(&o, FQ_CHAIN, 1);
	fz_put(&o, 0, 2);
	fz_put(&o, 131, 2);
	fz_put(&o, 0x4000, 8);
	fz_put(&o, 64, 4);
	fz_put(&o, 0, 2);
	fz_put(&o, 0, 1);
	fz_put(&o, FQ_POP, 1);
	fz_put(&o, FQ_REARM, 1);
	fz_put(&o, 256, 2);
	fz_put(&o, 0x0, 8);
	fz_put(&o, 0x1000, 8);
	fz_put(&o, 0x1800, 8);
	fz_put(&o, FQ_CHAIN, 1);
	fz_put(&o, 200, 2);
	fz_put(&o, 5, 2);
	fz_put(&o, 0x4000, 8);
	fz_put(&o, 64, 4);
	fz_put(&o, VRING_DESC_F_WRITE, 2);
	fz_put(&o, 1, 1);
	fz_put(&o, FQ_DRAIN, 1);
	save("fuzz_virtq", "queue-long-and-loop", &o);

	/* the device: read, write, flush, get ID, then a request of a type it lacks */
	for (uint8_t mode = 1; mode <= 3; mode += 2) {
		o.n = 0;
		vq_header(&o, mode);
		blk_request(&o, 0, VIRTIO_BLK_T_IN, 0, 512);
		fz_put(&o, FQ_POP, 1);
		blk_request(&o, 3, VIRTIO_BLK_T_OUT, 8, 1024);
		fz_put(&o, FQ_POP, 1);
		blk_request(&o, 0, VIRTIO_BLK_T_FLUSH, 0, 0);
		blk_request(&o, 3, VIRTIO_BLK_T_GET_ID, 0, 20);
		fz_put(&o, FQ_POP, 1);
		blk_request(&o, 0, 77, 0, 0);
		fz_put(&o, FQ_POP, 1);
		fz_put(&o, FQ_DRAIN, 1);
		save("fuzz_virtq", mode == 1 ? "blk-requests" : "blk-requests-direct", &o);
	}
}

static void pio(struct fz_out *o, bool out, uint8_t port_off, uint8_t size, uint64_t val)
{
	fz_put(o, out ? FP_PIO_OUT : FP_PIO_IN, 1);
	fz_put(o, port_off, 1);
	fz_put(o, size == 4 ? 2 : size == 2 ? 1 : 0, 1);
	fz_put(o, 1, 1);
	if (out)
		fz_put(o, val, size);
}

static void cfg(struct fz_out *o, bool write, uint8_t slot, uint16_t reg, uint8_t len_sel,
                uint32_t val)
{
	fz_put(o, write ? FP_CFG_WRITE : FP_CFG_READ, 1);
	fz_put(o, slot, 1);
	fz_put(o, reg, 2);
	fz_put(o, len_sel, 1); /* 0: 1 byte, 1: 2, 2: 4 */
	if (write)
		fz_put(o, val, 4);
}

static void bar(struct fz_out *o, bool write, uint8_t dev, uint16_t off, uint8_t len_sel,
                uint64_t val)
{
	fz_put(o, write ? FP_BAR_WRITE : FP_BAR_READ, 1);
	fz_put(o, dev, 1);
	fz_put(o, off, 2);
	fz_put(o, len_sel, 1); /* 0: 1 byte, 1: 2, 2: 4, 3: 8 */
	if (write)
		fz_put(o, val, 8);
}

static void pci_seeds(void)
{
	struct fz_out o = {.n = 0};

	/* Linux's probe: the address register by bytes and dwords, then each slot's ID */
	pio(&o, true, 3, 1, 0x00);
	pio(&o, true, 0, 4, 0x80000000);
	pio(&o, false, 0, 4, 0);
	for (uint32_t slot = 0; slot < 4; slot++) {
		pio(&o, true, 0, 4, 0x80000000u | slot << 11);
		pio(&o, false, 4, 4, 0);
		pio(&o, false, 6, 2, 0);
	}
	/* BAR sizing of slot 1 through the ports, then put back */
	pio(&o, true, 0, 4, 0x80000810u);
	pio(&o, true, 4, 4, 0xffffffffu);
	pio(&o, false, 4, 4, 0);
	pio(&o, true, 4, 4, 0xe0000000u);
	save("fuzz_pci", "probe", &o);

	/* a driver's set-up, MSI-X on and a vector programmed, a doorbell, the ISR */
	o.n = 0;
	fz_put(&o, FP_VIRTIO_INIT, 1);
	fz_put(&o, 0, 1);
	fz_put(&o, 8, 2);
	fz_put(&o, 0x0, 2);
	fz_put(&o, 0x1000, 2);
	fz_put(&o, 0x2000, 2);
	cfg(&o, true, 1, 0x86, 1, 0x8000);
	bar(&o, true, 0, 0x4000, 3, 0xfee00000);
	bar(&o, true, 0, 0x4008, 2, 0x41);
	bar(&o, true, 0, 0x400c, 2, 0);
	bar(&o, true, 0, 0x3000, 1, 0);
	bar(&o, false, 0, 0x1000, 0, 0);
	bar(&o, false, 0, 0x5000, 3, 0);
	bar(&o, false, 0, 0x2000, 2, 0);
	save("fuzz_pci", "virtio-init", &o);

	/* BARs moved: disk 1 onto disk 0's place, then both out of the window */
	o.n = 0;
	cfg(&o, true, 1, 0x04, 1, 0x6);
	cfg(&o, true, 2, 0x04, 1, 0x6);
	cfg(&o, true, 2, 0x10, 2, 0xe0000000u);
	cfg(&o, true, 1, 0x10, 2, 0xfec00000u);
	cfg(&o, true, 1, 0x10, 2, 0xe0100000u);
	cfg(&o, false, 2, 0x10, 2, 0);
	bar(&o, false, 1, 0x14, 1, 0);
	save("fuzz_pci", "bar-move", &o);
}

/* A header that passes every check, for a file of size bytes with setup_sects sectors
 * of setup code (7 puts the kernel on a page boundary: mapped, not copied). */
static void bz_image(struct fz_out *o, uint8_t flags, size_t size, uint8_t setup_sects,
                     size_t irdlen)
{
	struct setup_header h;
	uint8_t img[16384];
	size_t koff = (setup_sects + 1u) * 512u;
	const char *cmdline = "console=ttyS0 quiet";

	memset(img, 0, sizeof(img));
	memset(&h, 0, sizeof(h));
	h.setup_sects = setup_sects;
	h.boot_flag = 0xAA55;
	h.header = 0x53726448;
	h.version = 0x020f;
	h.kernel_version = 0x100;
	h.loadflags = LOADED_HIGH;
	h.xloadflags = XLF_KERNEL_64;
	h.relocatable_kernel = 1;
	h.kernel_alignment = 0x200000;
	h.pref_address = 0x1000000;
	h.syssize = (uint32_t)((size - koff) / 16);
	h.init_size = 0x20000;
	h.cmdline_size = 2047;
	h.initrd_addr_max = 0x7fffffff;
	memcpy(img + 0x1f1, &h, sizeof(h));
	memcpy(img + 0x300, "6.1.0-fuzz (seed)", 18);
	for (size_t i = koff; i < size; i++)
		img[i] = (uint8_t)(i * 7);

	fz_put(o, flags, 1);
	fz_put(o, strlen(cmdline), 1);
	for (const char *c = cmdline; *c; c++)
		fz_put(o, (uint8_t)*c, 1);
	if (flags & FB_F_INITRD) {
		fz_put(o, irdlen, 2);
		for (size_t i = 0; i < irdlen; i++)
			fz_put(o, (uint8_t)(i * 13), 1);
	}
	for (size_t i = 0; i < size; i++)
		fz_put(o, img[i], 1);
}

/* The first 32 KiB of a real kernel, its declared size cut to match. */
static void bz_real(const char *path)
{
	struct fz_out *o = calloc(1, sizeof(*o));
	uint8_t img[32768];
	int fd = open(path, O_RDONLY);

	if (fd < 0 || read(fd, img, sizeof(img)) != (ssize_t)sizeof(img)) {
		fprintf(stderr, "seeds: %s unreadable, no real kernel seed\n", path);
		if (fd >= 0)
			close(fd);
		free(o);
		return;
	}
	close(fd);
	size_t koff = ((img[0x1f1] ? img[0x1f1] : 4u) + 1u) * 512u;
	uint32_t syssize = koff < sizeof(img) ? (uint32_t)((sizeof(img) - koff) / 16) : 0;
	memcpy(img + 0x1f4, &syssize, 4);
	fz_put(o, 6 << 1 | 8 << 4, 1); /* 64 MiB: a real kernel unpacks into tens of MiB */
	fz_put(o, 13, 1);
	for (const char *c = "console=ttyS0"; *c; c++)
		fz_put(o, (uint8_t)*c, 1);
	for (size_t i = 0; i < sizeof(img); i++)
		fz_put(o, img[i], 1);
	save("fuzz_bzimage", "real-kernel-prefix", o);
	free(o);
}

static void bzimage_seeds(void)
{
	struct fz_out *o = calloc(1, sizeof(*o));

	bz_image(o, 3 << 1 | 15 << 4, 8192, 1, 0);
	save("fuzz_bzimage", "copied", o);
	o->n = 0;
	bz_image(o, FB_F_INITRD | 3 << 1 | 4 << 4, 12288, 7, 5000);
	save("fuzz_bzimage", "mapped-initrd", o);
	o->n = 0;
	bz_image(o, FB_F_INITRD | 2 << 1, 4608, 3, 100);
	save("fuzz_bzimage", "small-memory", o);
	free(o);
}

int main(int argc, char **argv)
{
	if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--kernel") == 0)) {
		fprintf(stderr, "usage: seeds OUTDIR [--kernel BZIMAGE]\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST) {
		perror(outdir);
		return 1;
	}
	virtq_seeds();
	pci_seeds();
	bzimage_seeds();
	if (argc == 4)
		bz_real(argv[3]);
	return 0;
}
