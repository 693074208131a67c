/* fault_virtio.c: a hostile guest for the VM runner's tests. Inside vmbench's VM it takes
 * the virtio disk away from its Linux driver, drives the device itself through BAR 0 with
 * rings in its own pages, and breaks one rule of virtio at a time: each wild ring, index,
 * address, length or feature must be refused (the request failed, or the device stopped
 * with NEEDS_RESET) and the VMM must go on. Suite "hostile" (never in "all"); outside
 * vmbench's VM it refuses to run. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

#define PCI_DEVICES "/sys/bus/pci/devices"
#define BAR_LEN     0x8000u /* the transport's BAR 0 */
#define BAR_DEVICE  0x2000u /* device configuration */
#define BAR_NOTIFY  0x3000u /* queue 0's doorbell */
#define QSIZE       8u      /* the queue size of every attack but the long chain */
#define QBIG        256u    /* the most the device offers */
#define PAGE        4096u
#define WAIT_NS     (3ull * 1000000000ull) /* for the I/O thread's answer */
#define FAR_AWAY    0x7fff00000000ull      /* far above any guest's RAM */
#define MISSING     0xeeu                  /* a status byte the device never wrote */

/* The pages the device reads and writes: each is placed on its own, as the
 * guest-physical pages behind them need not be contiguous. */
enum { PG_DESC, PG_AVAIL, PG_USED, PG_HDR, PG_DATA, NPAGES };

struct hostile {
	volatile uint8_t *bar;
	uint8_t *page[NPAGES];
	uint64_t gpa[NPAGES];
	uint16_t qsize;
	uint64_t capacity; /* the disk's sectors */
};

/* What the device did about one attack. */
enum outcome {
	OUT_STOPPED,       /* NEEDS_RESET: the device stopped serving */
	OUT_OK,            /* the request came back with status OK */
	OUT_IOERR,         /* ...with status IOERR */
	OUT_OTHER,         /* ...with another status, or none written */
	OUT_NOTHING,       /* no answer in time */
	OUT_FEATURES_KEPT, /* FEATURES_OK stuck */
	OUT_FEATURES_NO,   /* FEATURES_OK did not stick, the device still usable */
	OUT_SETUP_FAILED,  /* the well-formed part of the set-up was refused */
};

static const char *const outcome_name[] = {
        [OUT_STOPPED] = "device stopped (NEEDS_RESET)",
        [OUT_OK] = "request served with status OK",
        [OUT_IOERR] = "request failed with status IOERR",
        [OUT_OTHER] = "request given back with an unexpected status",
        [OUT_NOTHING] = "no answer from the device",
        [OUT_FEATURES_KEPT] = "FEATURES_OK accepted",
        [OUT_FEATURES_NO] = "FEATURES_OK refused",
        [OUT_SETUP_FAILED] = "a well-formed driver set-up was refused",
};

#define CC(field) offsetof(struct virtio_pci_common_cfg, field)

static uint8_t rd8(struct hostile *h, uint32_t off)
{
	return *(volatile uint8_t *)(h->bar + off);
}

static uint16_t rd16(struct hostile *h, uint32_t off)
{
	return *(volatile uint16_t *)(h->bar + off);
}

static uint32_t rd32(struct hostile *h, uint32_t off)
{
	return *(volatile uint32_t *)(h->bar + off);
}

static void wr8(struct hostile *h, uint32_t off, uint8_t v)
{
	*(volatile uint8_t *)(h->bar + off) = v;
}

static void wr16(struct hostile *h, uint32_t off, uint16_t v)
{
	*(volatile uint16_t *)(h->bar + off) = v;
}

static void wr32(struct hostile *h, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(h->bar + off) = v;
}

static void wr64(struct hostile *h, uint32_t lo, uint32_t hi, uint64_t v)
{
	wr32(h, lo, (uint32_t)v);
	wr32(h, hi, (uint32_t)(v >> 32));
}

/* Waits without sleeping: the guest's own timer may be what a test is short
 * of (see take_device), and each pass here reads the device, an exit that
 * lets the host deliver what is pending. */
static void hs_pause(struct hostile *h)
{
	uint64_t end = vmb_now_ns() + 1000000;

	while (vmb_now_ns() < end)
		(void)rd8(h, CC(device_status));
}

static struct vring_desc *descs(struct hostile *h)
{
	return (struct vring_desc *)h->page[PG_DESC];
}

static struct vring_avail *avail(struct hostile *h)
{
	return (struct vring_avail *)h->page[PG_AVAIL];
}

static volatile struct vring_used *used(struct hostile *h)
{
	return (volatile struct vring_used *)h->page[PG_USED];
}

static volatile uint8_t *status_byte(struct hostile *h)
{
	return h->page[PG_HDR] + 64;
}

/* Status 0: the device forgets everything, NEEDS_RESET included. 0, or -1
 * when the status does not read back as 0. */
static int hs_reset(struct hostile *h)
{
	wr8(h, CC(device_status), 0);
	for (unsigned i = 0; i < 1000 && rd8(h, CC(device_status)) != 0; i++)
		hs_pause(h);
	for (unsigned i = 0; i < NPAGES; i++)
		memset(h->page[i], 0, PAGE);
	return rd8(h, CC(device_status)) == 0 ? 0 : -1;
}

/* ACKNOWLEDGE, DRIVER, the features given, FEATURES_OK: whether it stuck. */
static bool hs_negotiate(struct hostile *h, uint32_t lo, uint32_t hi)
{
	uint8_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	wr8(h, CC(device_status), s);
	wr32(h, CC(guest_feature_select), 0);
	wr32(h, CC(guest_feature), lo);
	wr32(h, CC(guest_feature_select), 1);
	wr32(h, CC(guest_feature), hi);
	wr8(h, CC(device_status), s | VIRTIO_CONFIG_S_FEATURES_OK);
	return rd8(h, CC(device_status)) & VIRTIO_CONFIG_S_FEATURES_OK;
}

/* Queue 0 of size entries with its rings at the guest-physical addresses
 * given, then queue_enable: whether the queue reads back as enabled. */
static bool hs_queue(struct hostile *h, uint16_t size, uint64_t desc, uint64_t avl, uint64_t usd)
{
	h->qsize = size;
	wr16(h, CC(queue_select), 0);
	wr16(h, CC(queue_size), size);
	wr16(h, CC(queue_msix_vector), VIRTIO_MSI_NO_VECTOR);
	wr64(h, CC(queue_desc_lo), CC(queue_desc_hi), desc);
	wr64(h, CC(queue_avail_lo), CC(queue_avail_hi), avl);
	wr64(h, CC(queue_used_lo), CC(queue_used_hi), usd);
	wr16(h, CC(queue_enable), 1);
	return rd16(h, CC(queue_enable)) == 1;
}

/* A driver as Linux's, with a queue of size entries in our pages: 0, or -1
 * when the device refused any of it. No interrupts: the rings are polled. */
static int hs_start(struct hostile *h, uint16_t size)
{
	if (hs_reset(h) < 0 || !hs_negotiate(h, 1u << VIRTIO_BLK_F_FLUSH, 1))
		return -1;
	avail(h)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	if (!hs_queue(h, size, h->gpa[PG_DESC], h->gpa[PG_AVAIL], h->gpa[PG_USED]))
		return -1;
	wr8(h, CC(device_status),
	    VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
	            VIRTIO_CONFIG_S_DRIVER_OK);
	return rd8(h, CC(device_status)) & VIRTIO_CONFIG_S_NEEDS_RESET ? -1 : 0;
}

/* Puts head in the available ring, publishes it and rings the doorbell. */
static void hs_submit(struct hostile *h, uint16_t head)
{
	struct vring_avail *a = avail(h);
	uint16_t idx = a->idx;

	a->ring[idx % h->qsize] = head;
	__atomic_store_n(&a->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr16(h, BAR_NOTIFY, 0);
}

/* Waits for the device's answer to what was just submitted: the device
 * stopped, or the request back in the used ring with its status byte. */
static enum outcome hs_wait(struct hostile *h)
{
	uint64_t end = vmb_now_ns() + WAIT_NS;

	for (;;) {
		if (rd8(h, CC(device_status)) & VIRTIO_CONFIG_S_NEEDS_RESET)
			return OUT_STOPPED;
		if (__atomic_load_n(&used(h)->idx, __ATOMIC_ACQUIRE) != 0) {
			if (rd8(h, CC(device_status)) & VIRTIO_CONFIG_S_NEEDS_RESET)
				return OUT_STOPPED;
			uint8_t st = *status_byte(h);
			return st == VIRTIO_BLK_S_OK      ? OUT_OK
			       : st == VIRTIO_BLK_S_IOERR ? OUT_IOERR
			                                  : OUT_OTHER;
		}
		if (vmb_now_ns() > end)
			return OUT_NOTHING;
		hs_pause(h);
	}
}

/* Descriptor i: guest-physical addr, len, flags, next. */
static void put(struct hostile *h, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                uint16_t next)
{
	descs(h)[i] = (struct vring_desc){.addr = addr, .len = len, .flags = flags, .next = next};
}

/* A request as a driver makes it at descriptors 0, 1, 2: header, data of
 * len bytes (readable for a write, writable for a read), status. */
static void request(struct hostile *h, uint32_t type, uint64_t sector, uint32_t len)
{
	struct virtio_blk_outhdr hdr = {.type = type, .sector = sector};
	uint16_t data = type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0;

	memcpy(h->page[PG_HDR], &hdr, sizeof(hdr));
	*status_byte(h) = MISSING;
	put(h, 0, h->gpa[PG_HDR], sizeof(hdr), VRING_DESC_F_NEXT, 1);
	put(h, 1, h->gpa[PG_DATA], len, VRING_DESC_F_NEXT | data, 2);
	put(h, 2, h->gpa[PG_HDR] + 64, 1, VRING_DESC_F_WRITE, 0);
}

/* The rules broken, one an attack. */
enum attack_kind {
	A_FEATURES_UNOFFERED,
	A_FEATURES_LEGACY,
	A_READ_PAST_END,
	A_READ_STRADDLING_END,
	A_WRITE_PAST_END,
	A_SECTOR_WRAPS,
	A_QUEUE_NOT_POW2,
	A_RING_OUTSIDE_RAM,
	A_RING_MISALIGNED,
	A_DESC_FAR,
	A_DESC_WRAPS,
	A_HUGE_LENGTH,
	A_HEAD_PAST,
	A_NEXT_PAST,
	A_AVAIL_AHEAD,
	A_INDIRECT,
	A_READ_AFTER_WRITE,
	A_TOO_LONG,
	A_LOOP,
};

static const struct attack {
	const char *name;
	enum attack_kind kind;
	enum outcome expect;
} attacks[] = {
        {"features never offered", A_FEATURES_UNOFFERED, OUT_FEATURES_NO},
        {"a legacy driver (no VERSION_1)", A_FEATURES_LEGACY, OUT_FEATURES_NO},
        {"a read past the end of the disk", A_READ_PAST_END, OUT_IOERR},
        {"a read straddling the end of the disk", A_READ_STRADDLING_END, OUT_IOERR},
        {"a write past the end of the disk", A_WRITE_PAST_END, OUT_IOERR},
        {"a sector whose byte offset wraps to 0", A_SECTOR_WRAPS, OUT_IOERR},
        {"a queue size that is not a power of two", A_QUEUE_NOT_POW2, OUT_STOPPED},
        {"a ring outside RAM", A_RING_OUTSIDE_RAM, OUT_STOPPED},
        {"a misaligned ring", A_RING_MISALIGNED, OUT_STOPPED},
        {"a descriptor far outside RAM", A_DESC_FAR, OUT_STOPPED},
        {"a descriptor that wraps the address space", A_DESC_WRAPS, OUT_STOPPED},
        {"a huge length (0xffffffff)", A_HUGE_LENGTH, OUT_STOPPED},
        {"a head index past the queue", A_HEAD_PAST, OUT_STOPPED},
        {"a next index past the queue", A_NEXT_PAST, OUT_STOPPED},
        {"an available index far ahead", A_AVAIL_AHEAD, OUT_STOPPED},
        {"an indirect descriptor (not offered)", A_INDIRECT, OUT_STOPPED},
        {"readable after writable", A_READ_AFTER_WRITE, OUT_STOPPED},
        {"a chain longer than a request may be", A_TOO_LONG, OUT_STOPPED},
        /* the last one is left un-reset: the VMM's summary shows it */
        {"a descriptor loop", A_LOOP, OUT_STOPPED},
};

/* Features refused are no reason to stop: the driver may try others. */
static enum outcome features(struct hostile *h, uint32_t lo, uint32_t hi)
{
	if (hs_reset(h) < 0)
		return OUT_SETUP_FAILED;
	bool kept = hs_negotiate(h, lo, hi);
	if (rd8(h, CC(device_status)) & VIRTIO_CONFIG_S_NEEDS_RESET)
		return OUT_STOPPED;
	return kept ? OUT_FEATURES_KEPT : OUT_FEATURES_NO;
}

/* Queue 0 of size entries with its descriptors at desc, enabled. */
static enum outcome ring(struct hostile *h, uint16_t size, uint64_t desc)
{
	if (hs_reset(h) < 0 || !hs_negotiate(h, 0, 1))
		return OUT_SETUP_FAILED;
	if (hs_queue(h, size, desc, h->gpa[PG_AVAIL], h->gpa[PG_USED]))
		return OUT_OK;
	return rd8(h, CC(device_status)) & VIRTIO_CONFIG_S_NEEDS_RESET ? OUT_STOPPED : OUT_NOTHING;
}

/* A well-formed read of the disk's first 4 KiB, whose ext4 superblock (its
 * magic 0xef53 at byte 1024 + 56) proves the device reached our pages. */
static enum outcome control(struct hostile *h)
{
	if (hs_start(h, QSIZE) < 0)
		return OUT_SETUP_FAILED;
	request(h, VIRTIO_BLK_T_IN, 0, PAGE);
	hs_submit(h, 0);
	enum outcome o = hs_wait(h);
	const uint8_t *sb = h->page[PG_DATA] + 1024 + 56;
	if (o == OUT_OK && (sb[0] != 0x53 || sb[1] != 0xef))
		return OUT_OTHER;
	return o;
}

/* Makes one attack on a device it sets up; what the device did. The chains
 * start from a well-formed read of 512 bytes at descriptors 0, 1, 2. */
static enum outcome attack(struct hostile *h, enum attack_kind k)
{
	struct vring_desc *d = descs(h);
	uint16_t head = 0;

	switch (k) {
	case A_FEATURES_UNOFFERED:
		/* indirect descriptors (bit 28), which the device does not offer */
		return features(h, 1u << VIRTIO_RING_F_INDIRECT_DESC, 1);
	case A_FEATURES_LEGACY:
		return features(h, 1u << VIRTIO_BLK_F_FLUSH, 0);
	case A_QUEUE_NOT_POW2:
		return ring(h, 3, h->gpa[PG_DESC]);
	case A_RING_OUTSIDE_RAM:
		return ring(h, QSIZE, FAR_AWAY);
	case A_RING_MISALIGNED:
		return ring(h, QSIZE, h->gpa[PG_DESC] + 8);
	default:
		break;
	}
	if (hs_start(h, k == A_TOO_LONG ? QBIG : QSIZE) < 0)
		return OUT_SETUP_FAILED;
	request(h, VIRTIO_BLK_T_IN, 0, 512);
	switch (k) {
	case A_READ_PAST_END:
		request(h, VIRTIO_BLK_T_IN, h->capacity, PAGE);
		break;
	case A_READ_STRADDLING_END:
		request(h, VIRTIO_BLK_T_IN, h->capacity - 1, PAGE);
		break;
	case A_WRITE_PAST_END:
		request(h, VIRTIO_BLK_T_OUT, h->capacity, PAGE);
		break;
	case A_SECTOR_WRAPS:
		/* its byte offset, sector * 512, is 2^64: 0 once it wraps */
		request(h, VIRTIO_BLK_T_IN, 1ull << 55, PAGE);
		break;
	case A_DESC_FAR:
		d[1].addr = FAR_AWAY;
		break;
	case A_DESC_WRAPS:
		/* 16 bytes from 4 below the top of the address space */
		d[0].addr = ~0ull - 4;
		break;
	case A_HUGE_LENGTH:
		d[1].len = 0xffffffffu;
		break;
	case A_HEAD_PAST:
		head = QSIZE;
		break;
	case A_NEXT_PAST:
		d[1].next = 0x7fff;
		break;
	case A_AVAIL_AHEAD:
		__atomic_store_n(&avail(h)->idx, 0x8000, __ATOMIC_RELEASE);
		wr16(h, BAR_NOTIFY, 0);
		return hs_wait(h);
	case A_INDIRECT:
		/* the same three descriptors as a table, a flag never offered */
		put(h, 0, h->gpa[PG_DESC], 3 * sizeof(*d), VRING_DESC_F_INDIRECT, 0);
		break;
	case A_READ_AFTER_WRITE:
		/* header, status (writable), then data for the device to read */
		put(h, 1, h->gpa[PG_HDR] + 64, 1, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
		put(h, 2, h->gpa[PG_DATA], 512, 0, 0);
		break;
	case A_TOO_LONG:
		/* 200 readable segments, no loop, then the status: more than a
		 * request may have */
		for (uint16_t i = 0; i < 200; i++)
			put(h, i, h->gpa[PG_HDR], 16, VRING_DESC_F_NEXT, (uint16_t)(i + 1));
		put(h, 200, h->gpa[PG_HDR] + 64, 1, VRING_DESC_F_WRITE, 0);
		break;
	case A_LOOP:
		/* data, status, data...: writable all the way, so that only the
		 * loop itself breaks a rule */
		d[2].flags |= VRING_DESC_F_NEXT;
		d[2].next = 1;
		break;
	default:
		return OUT_SETUP_FAILED;
	}
	hs_submit(h, head);
	return hs_wait(h);
}

/* Whether the kernel command line carries the VM runner's disk option. */
static bool in_vmbench_vm(void)
{
	char buf[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	return strstr(buf, "vmbench.disk=") != NULL;
}

static bool file_starts_with(const char *path, const char *text)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	bool yes = fgets(buf, sizeof(buf), f) && strncmp(buf, text, strlen(text)) == 0;
	fclose(f);
	return yes;
}

/* The PCI address of vmbench's virtio disk: 1af4:1042 whose disk's serial
 * is the VMM's "vmbench-NAME". 0, or -1 when there is none. */
static int find_disk(char *bdf, size_t len)
{
	glob_t g;
	char path[512];
	int rc = -1;

	if (glob(PCI_DEVICES "/*", 0, NULL, &g) != 0)
		return -1;
	for (size_t i = 0; i < g.gl_pathc && rc < 0; i++) {
		const char *dev = g.gl_pathv[i];
		snprintf(path, sizeof(path), "%s/vendor", dev);
		if (!file_starts_with(path, "0x1af4"))
			continue;
		snprintf(path, sizeof(path), "%s/device", dev);
		if (!file_starts_with(path, "0x1042"))
			continue;
		glob_t s;
		snprintf(path, sizeof(path), "%s/virtio*/block/*/serial", dev);
		if (glob(path, 0, NULL, &s) == 0 && file_starts_with(s.gl_pathv[0], "vmbench-")) {
			snprintf(bdf, len, "%s", strrchr(dev, '/') + 1);
			rc = 0;
		}
		globfree(&s);
	}
	globfree(&g);
	return rc;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Maps BAR 0 of function bdf (resource0); -1 with errno when refused. */
static int map_bar(struct hostile *h, const char *bdf)
{
	char path[256];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource0", bdf);
	int fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	void *p = mmap(NULL, BAR_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	errno = e;
	if (p == MAP_FAILED)
		return -1;
	h->bar = p;
	return 0;
}

/* Takes the disk: unmounts it from dir (nothing of Linux's may be in flight
 * on it once we reset the device), turns memory decoding on and maps BAR 0.
 * A kernel with iomem=relaxed maps it beside its driver, which then idles;
 * otherwise (CONFIG_IO_STRICT_DEVMEM: no mapping of a region a driver holds)
 * the driver is unbound first. Unbinding needs the guest's timer (RCU grace
 * periods), which some nested emulators do not deliver: the VM runner's
 * tests boot the guest with iomem=relaxed. */
static int take_device(struct hostile *h, const char *bdf, const char *dir, struct vmb_error *err)
{
	char path[256];
	uint16_t cmd = 0;

	if (dir && umount2(dir, 0) < 0 && errno != EINVAL)
		umount2(dir, MNT_DETACH);
	sync();
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vmb_error_sys(err, errno, "fault-virtio: %s", path);
	bool done = pread(fd, &cmd, 2, 4) == 2;
	if (done && !(cmd & 2)) {
		cmd |= 2; /* memory space */
		done = pwrite(fd, &cmd, 2, 4) == 2;
	}
	int e = errno;
	close(fd);
	if (!done)
		return vmb_error_sys(err, e, "fault-virtio: command register in %s", path);
	if (map_bar(h, bdf) == 0)
		return 0;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
	if (access(path, F_OK) == 0 && write_file(path, bdf) < 0)
		return vmb_error_sys(err, errno, "fault-virtio: %s", path);
	if (map_bar(h, bdf) < 0)
		return vmb_error_sys(err, errno, "fault-virtio: mmap %s resource0", bdf);
	return 0;
}

/* Locked pages for the rings and buffers, and their guest-physical
 * addresses from /proc/self/pagemap (PFNs show to root only). */
static int take_pages(struct hostile *h, struct vmb_error *err)
{
	uint8_t *m = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE, -1, 0);
	if (m == MAP_FAILED)
		return vmb_error_sys(err, errno, "fault-virtio: locked pages");
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		munmap(m, NPAGES * PAGE);
		return vmb_error_sys(err, errno, "fault-virtio: /proc/self/pagemap");
	}
	for (unsigned i = 0; i < NPAGES; i++) {
		uint64_t e = 0;
		h->page[i] = m + i * PAGE;
		off_t at = (off_t)((uintptr_t)h->page[i] / PAGE * sizeof(e));
		if (pread(fd, &e, sizeof(e), at) != sizeof(e) || !(e >> 63) ||
		    !(e & ((1ull << 55) - 1))) {
			close(fd);
			munmap(m, NPAGES * PAGE);
			h->page[0] = NULL;
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "fault-virtio: no guest-physical address for page %u "
			                     "in /proc/self/pagemap",
			                     i);
		}
		h->gpa[i] = (e & ((1ull << 55) - 1)) * PAGE;
	}
	close(fd);
	return 0;
}

/* Runs the attacks in order, each but the last followed by a reset, with a
 * well-formed read before the first and before the last; the names of those
 * not refused as expected go into bad. */
static unsigned hs_attack(struct vmb_workload_ctx *ctx, struct hostile *h, char *bad, size_t len)
{
	json_t *seen = json_object();
	unsigned refused = 0, stopping = 0, n = VMB_ARRAY_SIZE(attacks);
	size_t at = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct attack *a = &attacks[i];
		if (i == 0 || i == n - 1) {
			enum outcome o = control(h);
			json_object_set_new(
			        seen,
			        i ? "a well-formed read, after the attacks" : "a well-formed read",
			        json_string(o == OUT_OK ? "served, the disk's data in our "
			                                  "pages"
			                                : outcome_name[o]));
			if (o != OUT_OK)
				at += (size_t)snprintf(bad + at, at < len ? len - at : 0,
				                       "%sa well-formed read (%s)", at ? "; " : "",
				                       outcome_name[o]);
		}
		enum outcome o = attack(h, a->kind);
		bool ok = o == a->expect;
		refused += ok;
		stopping += a->expect == OUT_STOPPED;
		json_object_set_new(seen, a->name, json_string(outcome_name[o]));
		if (!ok)
			at += (size_t)snprintf(bad + at, at < len ? len - at : 0,
			                       "%s%s (%s; expected: %s)", at ? "; " : "", a->name,
			                       outcome_name[o], outcome_name[a->expect]);
		if (i + 1 < n && hs_reset(h) < 0)
			at += (size_t)snprintf(bad + at, at < len ? len - at : 0,
			                       "%sa reset after %s did not clear the status",
			                       at ? "; " : "", a->name);
	}
	json_decref(ctx->observations);
	ctx->observations = json_pack("{s:o}", "attacks", seen);
	vmb_figure_set(ctx, "attacks", n);
	vmb_figure_set(ctx, "attacks_refused", refused);
	vmb_figure_set(ctx, "attacks_stopping", stopping);
	ctx->ops = n;
	ctx->checksum = refused;
	return refused;
}

static int fault_virtio_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct hostile h = {0};
	char bdf[64], bad[2048] = "";
	int rc = -1;

	ctx->ops_unit = "attack";
	/* never on a host: the disk it would take away could be the host's own */
	if (!in_vmbench_vm() || find_disk(bdf, sizeof(bdf)) < 0)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "fault-virtio runs only in vmbench's VM (no virtio disk "
		                     "1af4:1042 with a vmbench serial under " PCI_DEVICES ")");
	if (take_pages(&h, err) < 0)
		return -1;
	if (take_device(&h, bdf, ctx->dir, err) < 0)
		goto out;
	h.capacity = rd32(&h, BAR_DEVICE) | (uint64_t)rd32(&h, BAR_DEVICE + 4) << 32;
	if (h.capacity < 8) {
		vmb_error_set(err, VMB_ERR_FAIL, "fault-virtio: the disk has %llu sectors",
		              (unsigned long long)h.capacity);
		goto out;
	}
	hs_attack(ctx, &h, bad, sizeof(bad));
	if (bad[0]) {
		vmb_error_set(err, VMB_ERR_FAIL, "fault-virtio: not refused as expected: %s", bad);
		goto out;
	}
	rc = 0;
out:
	if (h.bar)
		munmap((void *)h.bar, BAR_LEN);
	if (h.page[0])
		munmap(h.page[0], NPAGES * PAGE);
	return rc;
}

static const struct vmb_metric fault_virtio_metrics[] = {
        VMB_FIGURE("attacks", "attacks", VMB_HIGHER_IS_BETTER, "rules of virtio broken on purpose"),
        VMB_FIGURE("attacks_refused", "attacks", VMB_HIGHER_IS_BETTER,
                   "attacks the device refused as the rules say"),
        VMB_FIGURE("attacks_stopping", "attacks", VMB_HIGHER_IS_BETTER,
                   "attacks after which the device must stop (each counts in its errors)"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

const struct vmb_workload vmb_workload_fault_virtio = {
        .name = "fault-virtio",
        .suite = "hostile",
        .summary = "attacks the VM's virtio disk with wild rings; for the VM runner's tests only",
        .needs = VMB_NEED_DISK,
        .metrics = fault_virtio_metrics,
        .run = fault_virtio_run,
};
