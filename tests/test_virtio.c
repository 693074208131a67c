/* test_virtio.c: the VMM's PCI bus, virtio transport and virtio-blk device against a fake
 * VM (no /dev/kvm): a driver written here does what Linux's virtio_pci and virtio_blk do
 * through configuration ports and MMIO, with rings in fake guest memory, then a guest
 * that breaks every rule: the device fails the request or stops, the VMM goes on. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <pthread.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "runners/vm/pci.h"
#include "runners/vm/virtio.h"
#include "runners/vm/vmm.h"

#define MEM     (4u << 20)
#define QSIZE   64
#define DESC    0x10000u
#define AVAIL   0x11000u
#define USED    0x12000u
#define HDR     0x20000u
#define DATA    0x21000u
#define STATUS  0x23000u
#define SLOT    1
#define DISK_SZ (1u << 20)

static struct vmm vm;
static struct vmm *v = &vm;
static char disk_path[] = "/tmp/vmbench-test-disk-XXXXXX";
static int disk_fd = -1;
static uint64_t bar;
static uint16_t qsize = QSIZE; /* what driver_init sets up */

static void cfg_addr(uint32_t reg)
{
	uint32_t a = 0x80000000u | (SLOT << 11) | (reg & 0xfc);

	vmm_bus_io(v, 0xcf8, true, (uint8_t *)&a, 4, 1);
}

static uint32_t cfg_read32(uint32_t reg)
{
	uint32_t val = 0;

	cfg_addr(reg);
	vmm_bus_io(v, 0xcfc, false, (uint8_t *)&val, 4, 1);
	return val;
}

static void cfg_write32(uint32_t reg, uint32_t val)
{
	cfg_addr(reg);
	vmm_bus_io(v, 0xcfc, true, (uint8_t *)&val, 4, 1);
}

static void cfg_write8(uint32_t reg, uint8_t val)
{
	cfg_addr(reg);
	vmm_bus_io(v, (uint16_t)(0xcfc + (reg & 3)), true, &val, 1, 1);
}

static uint32_t rd(uint64_t off, uint32_t len)
{
	uint32_t val = 0;

	vmm_bus_mmio(v, bar + off, false, (uint8_t *)&val, len);
	return val;
}

static void wr(uint64_t off, uint32_t len, uint32_t val)
{
	vmm_bus_mmio(v, bar + off, true, (uint8_t *)&val, len);
}

#define COMMON(field) (VIRTIO_BAR_COMMON + offsetof(struct virtio_pci_common_cfg, field))

static long long counter(const char *key)
{
	json_t *all = vmm_bus_report(v);
	json_t *n = json_object_get(json_object_get(all, "blk0"), key);
	long long val = json_is_integer(n) ? json_integer_value(n) : -1;

	json_decref(all);
	return val;
}

static long long unclaimed_mmio(void)
{
	json_t *all = vmm_bus_report(v);
	long long n = json_integer_value(json_object_get(all, "unclaimed_mmio"));

	json_decref(all);
	return n;
}

static char *broken(void)
{
	static char why[200];
	json_t *all = vmm_bus_report(v);
	const char *s = json_string_value(json_object_get(json_object_get(all, "blk0"), "broken"));

	snprintf(why, sizeof(why), "%s", s ? s : "");
	json_decref(all);
	return why;
}

/* A disk file of DISK_SZ bytes made from the mkstemp template tmpl; its fd. */
static int temp_disk(char *tmpl)
{
	int fd = mkstemp(tmpl);

	cr_assert_geq(fd, 0, "%s", tmpl);
	cr_assert_eq(ftruncate(fd, DISK_SZ), 0);
	return fd;
}

static void fake_vm(void)
{
	struct vmb_error err = {0};

	vmm_init(v);
	v->io_in_vcpu = true; /* doorbells served in the caller: the threaded suite below */
	v->mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(v->mem, MAP_FAILED);
	v->mem_size = MEM;
	disk_fd = temp_disk(disk_path);
	cr_assert_eq(vmm_pci_add_host(v, &err), 0, "%s", err.msg);
	cr_assert_eq(vmm_virtio_blk_add(v, "blk0", disk_path, false, &err), 0, "%s", err.msg);
	cr_assert_eq(vmm_bus_start(v, &err), 0, "%s", err.msg);
}

static void fake_vm_end(void)
{
	vmm_bus_stop(v);
	vmm_release(v);
	munmap(v->mem, MEM);
	close(disk_fd);
	unlink(disk_path);
}

static bool use_msix = true; /* driver_init turns MSI-X on */

/* What Linux does: find the function, turn memory decoding on, negotiate,
 * set up queue 0 with MSI-X vector 0, and say DRIVER_OK. */
static void driver_init(void)
{
	cr_assert_eq(cfg_read32(0x00), 0x10421af4u, "vendor 1af4, device 1042 (block)");
	bar = cfg_read32(0x10) & ~0xfu;
	cr_assert_eq(bar, VMM_PCI_MMIO);
	cfg_write32(0x04, 0x6); /* memory, bus master */
	wr(COMMON(device_status), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(COMMON(device_feature_select), 4, 1);
	cr_assert(rd(COMMON(device_feature), 4) & 1, "VERSION_1 offered");
	wr(COMMON(guest_feature_select), 4, 0);
	wr(COMMON(guest_feature), 4, 1u << VIRTIO_BLK_F_FLUSH);
	wr(COMMON(guest_feature_select), 4, 1);
	wr(COMMON(guest_feature), 4, 1);
	wr(COMMON(device_status), 1, 1 | 2 | VIRTIO_CONFIG_S_FEATURES_OK);
	cr_assert(rd(COMMON(device_status), 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	wr(COMMON(queue_select), 2, 0);
	cr_assert_eq(rd(COMMON(queue_size), 2), VQ_MAX_SIZE);
	wr(COMMON(queue_size), 2, qsize);
	wr(COMMON(queue_desc_lo), 4, DESC);
	wr(COMMON(queue_desc_hi), 4, 0);
	wr(COMMON(queue_avail_lo), 4, AVAIL);
	wr(COMMON(queue_used_lo), 4, USED);
	wr(COMMON(queue_msix_vector), 2, 0);
	if (use_msix)
		cfg_write8(0x84 + 3, 0x80); /* MSI-X on */
	wr(VIRTIO_BAR_MSIX + 0, 4, 0xfee00000u);
	wr(VIRTIO_BAR_MSIX + 8, 4, 0x41);
	wr(VIRTIO_BAR_MSIX + 12, 4, 0); /* unmasked */
	wr(COMMON(queue_enable), 2, 1);
	cr_assert_eq(rd(COMMON(queue_enable), 2), 1, "%s", broken());
	wr(COMMON(device_status), 1, 1 | 2 | 8 | VIRTIO_CONFIG_S_DRIVER_OK);
}

static struct vring_desc *desc(void)
{
	return (struct vring_desc *)(v->mem + DESC);
}

static uint16_t used_idx(void)
{
	return __atomic_load_n(&((struct vring_used *)(v->mem + USED))->idx, __ATOMIC_ACQUIRE);
}

/* Waits up to 2 s for the used index to reach n (the device's workers
 * complete requests on their own threads); whether it did. */
static bool wait_used(uint16_t n)
{
	for (int i = 0; i < 2000 && used_idx() != n; i++)
		usleep(1000);
	/* a worker pushes and interrupts under the device's lock: once it is
	 * free, the counters are complete */
	for (unsigned i = 0; i < v->bus.ndevs; i++)
		if (strcmp(v->bus.devs[i]->name, "blk0") == 0) {
			pthread_mutex_lock(&v->bus.devs[i]->lock);
			pthread_mutex_unlock(&v->bus.devs[i]->lock);
		}
	return used_idx() == n;
}

/* Makes chain head available and rings queue 0's doorbell. */
static void submit(uint16_t head)
{
	struct vring_avail *a = (struct vring_avail *)(v->mem + AVAIL);

	a->ring[a->idx % qsize] = head;
	a->idx++;
	wr(VIRTIO_BAR_NOTIFY, 2, 0);
}

/* A request: header (type, sector), data of len at DATA, status. */
static void request(uint16_t head, uint32_t type, uint64_t sector, uint32_t len)
{
	struct virtio_blk_outhdr h = {.type = type, .sector = sector};
	struct vring_desc *d = desc();
	uint16_t i = head;

	memcpy(v->mem + HDR, &h, sizeof(h));
	v->mem[STATUS] = 0xee;
	d[i] = (struct vring_desc){.addr = HDR,
	                           .len = 16,
	                           .flags = VRING_DESC_F_NEXT,
	                           .next = (uint16_t)((i + 1) % qsize)};
	i = (i + 1) % qsize;
	if (len) {
		d[i] = (struct vring_desc){
		        .addr = DATA,
		        .len = len,
		        .flags = VRING_DESC_F_NEXT |
		                 (type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0),
		        .next = (uint16_t)((i + 1) % qsize)};
		i = (i + 1) % qsize;
	}
	d[i] = (struct vring_desc){.addr = STATUS, .len = 1, .flags = VRING_DESC_F_WRITE};
	uint16_t before = used_idx();
	submit(head);
	wait_used((uint16_t)(before + 1));
}

TestSuite(virtio, .init = fake_vm, .fini = fake_vm_end);

Test(virtio, a_write_a_read_and_a_flush_reach_the_file)
{
	driver_init();
	memset(v->mem + DATA, 0xa5, 4096);
	request(0, VIRTIO_BLK_T_OUT, 8, 4096);
	cr_assert_eq(used_idx(), 1);
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_OK);
	uint8_t buf[4096];
	cr_assert_eq(pread(disk_fd, buf, sizeof(buf), 8 * 512), 4096);
	cr_assert_eq(buf[0], 0xa5);
	cr_assert_eq(buf[4095], 0xa5);

	memset(v->mem + DATA, 0, 4096);
	request(3, VIRTIO_BLK_T_IN, 8, 4096);
	cr_assert_eq(used_idx(), 2);
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_OK);
	cr_assert_eq(v->mem[DATA + 100], 0xa5);
	struct vring_used *u = (struct vring_used *)(v->mem + USED);
	cr_assert_eq(u->ring[1].id, 3);
	cr_assert_eq(u->ring[1].len, 4097, "data and status written");

	request(0, VIRTIO_BLK_T_FLUSH, 0, 0);
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_OK);
	cr_assert_eq(counter("requests"), 3);
	cr_assert_eq(counter("bytes"), 8192);
	cr_assert_eq(counter("flushes"), 1);
	cr_assert_eq(counter("interrupts"), 3, "one MSI-X interrupt a completion");
	cr_assert_eq(counter("notifies"), 3);
	cr_assert_str_empty(broken());
}

Test(virtio, the_guest_can_turn_interrupts_off)
{
	driver_init();
	((struct vring_avail *)(v->mem + AVAIL))->flags = VRING_AVAIL_F_NO_INTERRUPT;
	request(0, VIRTIO_BLK_T_FLUSH, 0, 0);
	cr_assert_eq(used_idx(), 1);
	cr_assert_eq(counter("interrupts"), 0);
}

Test(virtio, a_masked_vector_is_pending_until_unmasked)
{
	driver_init();
	wr(VIRTIO_BAR_MSIX + 12, 4, 1); /* masked */
	request(0, VIRTIO_BLK_T_FLUSH, 0, 0);
	cr_assert_eq(counter("interrupts"), 0);
	cr_assert_eq(rd(VIRTIO_BAR_PBA, 4) & 1, 1, "pending bit");
	wr(VIRTIO_BAR_MSIX + 12, 4, 0);
	cr_assert_eq(counter("interrupts"), 1);
	cr_assert_eq(rd(VIRTIO_BAR_PBA, 4) & 1, 0);
}

Test(virtio, requests_outside_the_disk_fail_and_the_device_goes_on)
{
	driver_init();
	request(0, VIRTIO_BLK_T_IN, DISK_SZ / 512, 4096); /* just past the end */
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_IOERR);
	request(0, VIRTIO_BLK_T_OUT, ~0ull / 256, 4096); /* sector * 512 would wrap */
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_IOERR);
	request(0, VIRTIO_BLK_T_IN, 0, 100); /* not whole sectors */
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_IOERR);
	request(0, 77, 0, 0);
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_UNSUPP);
	request(0, VIRTIO_BLK_T_IN, 0, 4096);
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_OK);
	cr_assert_eq(used_idx(), 5);
	cr_assert_str_empty(broken());
	cr_assert_eq(counter("failed"), 3);
}

/* Each way of breaking the ring stops the device with why, and nothing
 * more is served until the guest resets it. */
static void assert_stopped(const char *why_part)
{
	cr_assert(strstr(broken(), why_part), "broken: '%s', wanted '%s'", broken(), why_part);
	cr_assert(rd(COMMON(device_status), 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert_eq(v->stop, VMM_RUNNING, "the VM runs on");
	uint16_t before = used_idx();
	request(0, VIRTIO_BLK_T_FLUSH, 0, 0); /* waits 2 s in vain */
	cr_assert_eq(used_idx(), before, "nothing served once stopped");
}

Test(virtio, a_descriptor_loop_stops_the_device)
{
	driver_init();
	struct vring_desc *d = desc();
	d[0] = (struct vring_desc){.addr = HDR, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 1};
	d[1] = (struct vring_desc){.addr = DATA, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 0};
	submit(0);
	assert_stopped("loop");
}

Test(virtio, memory_outside_guest_ram_stops_the_device)
{
	driver_init();
	struct vring_desc *d = desc();
	d[0] = (struct vring_desc){.addr = MEM - 8, .len = 16, .flags = 0};
	submit(0);
	assert_stopped("not guest RAM");
	cr_assert_eq(counter("requests"), 0);
}

Test(virtio, a_wrapping_address_stops_the_device)
{
	driver_init();
	desc()[0] = (struct vring_desc){.addr = ~0ull - 4, .len = 16};
	submit(0);
	assert_stopped("not guest RAM");
}

Test(virtio, indices_past_the_queue_stop_the_device)
{
	driver_init();
	submit(QSIZE + 3); /* head past the queue */
	assert_stopped("head descriptor");
}

Test(virtio, a_next_past_the_queue_stops_the_device)
{
	driver_init();
	desc()[0] = (struct vring_desc){
	        .addr = HDR, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 999};
	submit(0);
	assert_stopped("next 999");
}

Test(virtio, an_available_index_far_ahead_stops_the_device)
{
	driver_init();
	((struct vring_avail *)(v->mem + AVAIL))->idx = 5000;
	wr(VIRTIO_BAR_NOTIFY, 2, 0);
	assert_stopped("ahead");
}

Test(virtio, readable_after_writable_and_unoffered_indirect_stop_the_device)
{
	driver_init();
	struct vring_desc *d = desc();
	d[0] = (struct vring_desc){.addr = STATUS,
	                           .len = 1,
	                           .flags = VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
	                           .next = 1};
	d[1] = (struct vring_desc){.addr = HDR, .len = 16};
	submit(0);
	assert_stopped("readable after writable");

	/* a reset brings it back, then an indirect table it was never offered */
	wr(COMMON(device_status), 1, 0);
	cr_assert_str_empty(broken());
	driver_init();
	d[0] = (struct vring_desc){.addr = HDR, .len = 16, .flags = VRING_DESC_F_INDIRECT};
	submit(0);
	assert_stopped("indirect");
}

Test(virtio, bad_queue_sizes_and_rings_outside_ram_are_refused_at_enable)
{
	struct virtio_pci_common_cfg c;
	(void)c;
	bar = cfg_read32(0x10) & ~0xfu;
	cfg_write32(0x04, 0x6);
	wr(COMMON(queue_select), 2, 0);
	wr(COMMON(queue_size), 2, 6); /* not a power of two */
	wr(COMMON(queue_desc_lo), 4, DESC);
	wr(COMMON(queue_enable), 2, 1);
	cr_assert(strstr(broken(), "power of two"), "%s", broken());
	cr_assert_eq(rd(COMMON(queue_enable), 2), 0);

	wr(COMMON(device_status), 1, 0);
	wr(COMMON(queue_size), 2, QSIZE);
	wr(COMMON(queue_desc_lo), 4, MEM - 64); /* 8 descriptors need 128 bytes */
	wr(COMMON(queue_avail_lo), 4, AVAIL);
	wr(COMMON(queue_used_lo), 4, USED);
	wr(COMMON(queue_enable), 2, 1);
	cr_assert(strstr(broken(), "leaves guest RAM"), "%s", broken());
}

Test(virtio, features_never_offered_are_refused)
{
	bar = cfg_read32(0x10) & ~0xfu;
	cfg_write32(0x04, 0x6);
	wr(COMMON(guest_feature_select), 4, 0);
	wr(COMMON(guest_feature), 4, 1u << VIRTIO_BLK_F_RO); /* not offered */
	wr(COMMON(guest_feature_select), 4, 1);
	wr(COMMON(guest_feature), 4, 1);
	wr(COMMON(device_status), 1, 1 | 2 | VIRTIO_CONFIG_S_FEATURES_OK);
	cr_assert_eq(rd(COMMON(device_status), 1) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
	/* and a driver without VERSION_1 (legacy) too */
	wr(COMMON(device_status), 1, 0);
	wr(COMMON(guest_feature_select), 4, 1);
	wr(COMMON(guest_feature), 4, 0);
	wr(COMMON(device_status), 1, 1 | 2 | VIRTIO_CONFIG_S_FEATURES_OK);
	cr_assert_eq(rd(COMMON(device_status), 1) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
}

Test(virtio, the_guest_sizes_and_moves_the_bar)
{
	bar = cfg_read32(0x10) & ~0xfu;
	cr_assert_eq(rd(COMMON(num_queues), 2), 0xffff, "decoding is off until the guest says");
	cfg_write32(0x04, 0x6);
	cr_assert_eq(rd(COMMON(num_queues), 2), 1);
	cfg_write32(0x10, 0xffffffffu);
	cr_assert_eq(cfg_read32(0x10), ~(VIRTIO_BAR_SIZE - 1), "the BAR's size");
	cr_assert_eq(rd(COMMON(num_queues), 2), 0xffff, "off the bus while sized");
	cfg_write32(0x10, VMM_PCI_MMIO + 0x100000);
	uint64_t old = bar;
	bar = VMM_PCI_MMIO + 0x100000;
	cr_assert_eq(rd(COMMON(num_queues), 2), 1, "found at its new place");
	bar = old;
	cr_assert_eq(rd(COMMON(num_queues), 2), 0xffff, "gone from the old");
	/* a BAR over guest RAM is never decoded: the access reaches no device */
	cfg_write32(0x10, 0x100000);
	bar = 0x100000;
	long long before = unclaimed_mmio();
	wr(COMMON(device_status), 1, 0x55);
	cr_assert_eq(unclaimed_mmio(), before + 1);
	bar = VMM_PCI_MMIO + 0x100000;
	cr_assert_eq(rd(COMMON(device_status), 1), 0xff, "nowhere else either");
	cfg_write32(0x10, VMM_PCI_MMIO);
	bar = VMM_PCI_MMIO;
	cr_assert_eq(rd(COMMON(device_status), 1), 0, "the write reached no device");
}

Test(virtio, configuration_space_writes_touch_only_writable_bits)
{
	uint32_t id = cfg_read32(0x00), class_rev = cfg_read32(0x08);

	cfg_write32(0x00, 0);
	cfg_write32(0x08, 0);
	cfg_write32(0x40, 0xffffffffu); /* a capability */
	cr_assert_eq(cfg_read32(0x00), id);
	cr_assert_eq(cfg_read32(0x08), class_rev);
	cr_assert_eq(cfg_read32(0x40) & 0xff, 0x09, "the vendor capability stays");
	/* slots with no function, other buses and functions read all ones */
	uint32_t a = 0x80000000u | (7 << 11), val = 0;
	vmm_bus_io(v, 0xcf8, true, (uint8_t *)&a, 4, 1);
	vmm_bus_io(v, 0xcfc, false, (uint8_t *)&val, 4, 1);
	cr_assert_eq(val, 0xffffffffu);
	a = 0x80000000u | (1 << 16);
	vmm_bus_io(v, 0xcf8, true, (uint8_t *)&a, 4, 1);
	vmm_bus_io(v, 0xcfc, false, (uint8_t *)&val, 4, 1);
	cr_assert_eq(val, 0xffffffffu);
	/* the host bridge Linux looks for */
	a = 0x80000000u | 0x08;
	vmm_bus_io(v, 0xcf8, true, (uint8_t *)&a, 4, 1);
	vmm_bus_io(v, 0xcfc, false, (uint8_t *)&val, 4, 1);
	cr_assert_eq(val >> 16, 0x0600);
}

Test(virtio, the_checked_accessor_refuses_what_is_not_ram)
{
	cr_assert_not_null(vmm_gpa(v, 0, MEM));
	cr_assert_not_null(vmm_gpa(v, MEM - 1, 1));
	cr_assert_null(vmm_gpa(v, MEM - 1, 2));
	cr_assert_null(vmm_gpa(v, MEM, 1));
	cr_assert_null(vmm_gpa(v, ~0ull, 2));
	cr_assert_null(vmm_gpa(v, 1, ~0ull));
}

Test(virtio, the_bus_refuses_overlaps_and_finds_every_range)
{
	struct vmb_error err = {0};
	struct vmm_dev *d = v->bus.devs[v->bus.ndevs - 1];

	cr_assert_eq(vmm_bus_map(v, d, VMM_MMIO, 3, 0x1000, 0x1000, &err), -1, "in RAM");
	cr_assert(strstr(err.msg, "guest RAM"), "%s", err.msg);
	cr_assert_eq(vmm_bus_map(v, d, VMM_PIO, 3, 0xcfa, 4, &err), -1, "over the PCI ports");
	cr_assert(strstr(err.msg, "clashes with pci"), "%s", err.msg);
	cr_assert_eq(vmm_bus_map(v, d, VMM_PIO, 3, 0xfffe, 4, &err), -1, "past 0xffff");
}

Test(virtio, interrupt_lines_are_handed_out_once)
{
	struct vmb_error err = {0};
	int seen = 0;

	cr_assert_eq(vmm_irq_alloc(v, 4, &err), 4, "COM1's line, free here (no UART)");
	cr_assert_eq(vmm_irq_alloc(v, 4, &err), 6, "taken now; 5 went to blk0");
	cr_assert_eq(vmm_irq_alloc(v, 0, &err), 7, "the PIT's is never handed out");
	while (vmm_irq_alloc(v, -1, &err) >= 0)
		seen++;
	cr_assert_eq(seen, 11, "9-11 and 16-23, each once");
	cr_assert(strstr(err.msg, "no IOAPIC pin"), "%s", err.msg);
}

/* Request k of a batch: its own descriptors (3k..3k+2), header, data page
 * and status byte. */
#define BATCH_HDR(k)    (0x30000u + 16u * (k))
#define BATCH_DATA(k)   (0x40000u + 0x1000u * (k))
#define BATCH_STATUS(k) (0x31000u + (k))

static void batch_add(unsigned k, uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = {.type = type, .sector = sector};
	struct vring_desc *d = desc();
	uint16_t i = (uint16_t)(3 * k);

	memcpy(v->mem + BATCH_HDR(k), &h, sizeof(h));
	v->mem[BATCH_STATUS(k)] = 0xee;
	d[i] = (struct vring_desc){.addr = BATCH_HDR(k),
	                           .len = 16,
	                           .flags = VRING_DESC_F_NEXT,
	                           .next = (uint16_t)(i + 1)};
	d[i + 1] = (struct vring_desc){.addr = BATCH_DATA(k),
	                               .len = 4096,
	                               .flags = VRING_DESC_F_NEXT |
	                                        (type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0),
	                               .next = (uint16_t)(i + 2)};
	d[i + 2] =
	        (struct vring_desc){.addr = BATCH_STATUS(k), .len = 1, .flags = VRING_DESC_F_WRITE};
	struct vring_avail *a = (struct vring_avail *)(v->mem + AVAIL);
	a->ring[a->idx % qsize] = i;
	a->idx++;
}

/* Sixteen requests made available at once reach the host file together:
 * the device's queue depth is the guest's, not one. */
Test(virtio, sixteen_requests_are_in_flight_at_once)
{
	driver_init();
	for (unsigned k = 0; k < 16; k++) {
		memset(v->mem + BATCH_DATA(k), (int)(0x10 + k), 4096);
		batch_add(k, VIRTIO_BLK_T_OUT, 8 * k);
	}
	wr(VIRTIO_BAR_NOTIFY, 2, 0);
	cr_assert(wait_used(16), "%u of 16 done", used_idx());
	for (unsigned k = 0; k < 16; k++)
		cr_assert_eq(v->mem[BATCH_STATUS(k)], VIRTIO_BLK_S_OK, "request %u", k);
	cr_assert_eq(counter("max_in_flight"), 16);
	uint8_t b;
	cr_assert_eq(pread(disk_fd, &b, 1, 8 * 512 * 15), 1);
	cr_assert_eq(b, 0x10 + 15, "the last request's data is in the file");
}

/* A reset waits for what is in flight: when the guest's write of 0 to the
 * status returns, every request it made is back in the ring. */
Test(virtio, a_reset_finishes_the_requests_in_flight_first)
{
	driver_init();
	for (unsigned k = 0; k < 16; k++)
		batch_add(k, VIRTIO_BLK_T_IN, 0);
	wr(VIRTIO_BAR_NOTIFY, 2, 0);
	wr(COMMON(device_status), 1, 0);
	cr_assert_eq(used_idx(), 16, "the reset returned with requests out");
	cr_assert_eq(rd(COMMON(device_status), 1), 0);
	cr_assert_eq(rd(COMMON(queue_enable), 2), 0);
}

Test(virtio, queue_fields_do_not_change_once_enabled)
{
	driver_init();
	wr(COMMON(queue_size), 2, 3);
	wr(COMMON(queue_desc_lo), 4, MEM - 8);
	cr_assert_eq(rd(COMMON(queue_size), 2), qsize);
	cr_assert_eq(rd(COMMON(queue_desc_lo), 4), DESC);
	request(0, VIRTIO_BLK_T_FLUSH, 0, 0);
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_OK);
	cr_assert_str_empty(broken());
}

/* Accesses outside what the device has: read as zero, written to no
 * effect, the device unharmed. */
Test(virtio, stray_accesses_do_nothing)
{
	driver_init();
	wr(VIRTIO_BAR_NOTIFY + 4, 2, 0); /* a queue that does not exist */
	cr_assert_eq(rd(VIRTIO_BAR_MSIX + 16 * 2, 4), 0, "a vector past the table");
	wr(VIRTIO_BAR_MSIX + 16 * 2, 4, 0xfee00000u);
	cr_assert_eq(rd(VIRTIO_BAR_MSIX + 2, 4), 0, "a misaligned table access");
	wr(VIRTIO_BAR_MSIX + 2, 4, 0xffffffffu);
	cr_assert_eq(rd(VIRTIO_BAR_MSIX + 0, 4), 0xfee00000u, "the table is as it was");
	uint64_t wide = 0;
	vmm_bus_mmio(v, bar + sizeof(struct virtio_pci_common_cfg) - 2, false, (uint8_t *)&wide, 4);
	cr_assert_eq(wide, 0, "an access across the end of the common configuration");
	cr_assert_eq(rd(VIRTIO_BAR_DEVICE + 0x1000 - 4, 4), 0, "past the device configuration");
	request(0, VIRTIO_BLK_T_FLUSH, 0, 0);
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_OK);
	cr_assert_str_empty(broken());
}

Test(virtio, a_chain_longer_than_a_request_may_be_stops_the_device)
{
	qsize = 256;
	driver_init();
	struct vring_desc *d = desc();
	for (uint16_t i = 0; i < VQ_MAX_SEGS + 1; i++)
		d[i] = (struct vring_desc){.addr = HDR,
		                           .len = 16,
		                           .flags = VRING_DESC_F_NEXT,
		                           .next = (uint16_t)(i + 1)};
	d[VQ_MAX_SEGS].flags = 0;
	submit(0);
	assert_stopped("segments");
	qsize = QSIZE;
}

/* A driver that leaves MSI-X off gets the legacy line and the ISR. */
Test(virtio, without_msix_the_isr_and_the_line)
{
	use_msix = false;
	driver_init();
	use_msix = true;
	request(0, VIRTIO_BLK_T_FLUSH, 0, 0);
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_OK);
	cr_assert_eq(counter("interrupts"), 1);
	cr_assert_eq(rd(VIRTIO_BAR_ISR, 1), 1, "a queue interrupt");
	cr_assert_eq(rd(VIRTIO_BAR_ISR, 1), 0, "reading acknowledged it");
	cr_assert_neq(cfg_read32(0x3c) & 0xff, 0xff, "the line is named");
}

/* A second disk on the same bus: its own slot, BAR, state and counters. */
Test(virtio, two_disks_on_one_bus)
{
	struct vmb_error err = {0};
	char path[] = "/tmp/vmbench-test-disk2-XXXXXX";
	int fd = temp_disk(path);

	cr_assert_eq(vmm_virtio_blk_add(v, "blk1", path, false, &err), 0, "%s", err.msg);
	uint32_t a = 0x80000000u | (2 << 11), id = 0, bar1 = 0;
	vmm_bus_io(v, 0xcf8, true, (uint8_t *)&a, 4, 1);
	vmm_bus_io(v, 0xcfc, false, (uint8_t *)&id, 4, 1);
	cr_assert_eq(id, 0x10421af4u, "slot 2");
	a |= 0x10;
	vmm_bus_io(v, 0xcf8, true, (uint8_t *)&a, 4, 1);
	vmm_bus_io(v, 0xcfc, false, (uint8_t *)&bar1, 4, 1);
	cr_assert_neq(bar1 & ~0xfu, VMM_PCI_MMIO, "its own BAR");
	driver_init(); /* the first disk still works beside it */
	request(0, VIRTIO_BLK_T_FLUSH, 0, 0);
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_OK);
	json_t *all = vmm_bus_report(v);
	cr_assert_not_null(json_object_get(all, "blk1"));
	json_decref(all);
	close(fd);
	unlink(path);
}

/* With O_DIRECT on a disk file system, a buffer the host cannot use as it
 * is (not aligned) goes through the bounce buffer, and the data is right. */
Test(virtio, direct_io_bounces_a_misaligned_buffer)
{
	struct vmb_error err = {0};
	char path[] = "/var/tmp/vmbench-test-direct-XXXXXX";
	int fd = temp_disk(path);

	int probe = open(path, O_RDWR | O_DIRECT);
	if (probe < 0) {
		close(fd);
		unlink(path);
		cr_skip_test("/var/tmp takes no O_DIRECT here");
	}
	close(probe);
	/* the disk under test is this one: replace blk0's file */
	fake_vm_end();
	vmm_init(v);
	v->io_in_vcpu = true;
	v->mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	v->mem_size = MEM;
	disk_fd = fd;
	snprintf(disk_path, sizeof(disk_path), "%s", "/nonexistent");
	cr_assert_eq(vmm_pci_add_host(v, &err), 0, "%s", err.msg);
	cr_assert_eq(vmm_virtio_blk_add(v, "blk0", path, true, &err), 0, "%s", err.msg);
	cr_assert_eq(vmm_bus_start(v, &err), 0, "%s", err.msg);
	unlink(path);
	driver_init();
	struct vring_desc *d = desc();
	struct virtio_blk_outhdr h = {.type = VIRTIO_BLK_T_OUT, .sector = 16};
	memcpy(v->mem + HDR, &h, sizeof(h));
	for (int i = 0; i < 4096; i++)
		v->mem[DATA + 8 + i] = (uint8_t)(i * 7);
	d[0] = (struct vring_desc){.addr = HDR, .len = 16, .flags = VRING_DESC_F_NEXT, .next = 1};
	d[1] = (struct vring_desc){
	        .addr = DATA + 8, .len = 4096, .flags = VRING_DESC_F_NEXT, .next = 2};
	d[2] = (struct vring_desc){.addr = STATUS, .len = 1, .flags = VRING_DESC_F_WRITE};
	submit(0);
	cr_assert(wait_used(1));
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_OK);
	cr_assert_geq(counter("bounced"), 1, "the misaligned buffer was bounced");
	uint8_t got[4096];
	cr_assert_eq(pread(fd, got, sizeof(got), 16 * 512), 4096);
	for (int i = 0; i < 4096; i++)
		cr_assert_eq(got[i], (uint8_t)(i * 7), "byte %d", i);
}

/* Doorbells served by the I/O thread (here woken by the exit, as without
 * ioeventfd): the same work, done off the vCPU. */
static void fake_vm_threaded(void)
{
	struct vmb_error err = {0};

	vmm_init(v);
	v->io_in_vcpu = false;
	v->mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	v->mem_size = MEM;
	disk_fd = temp_disk(disk_path);
	cr_assert_eq(vmm_pci_add_host(v, &err), 0, "%s", err.msg);
	cr_assert_eq(vmm_virtio_blk_add(v, "blk0", disk_path, false, &err), 0, "%s", err.msg);
	cr_assert_eq(vmm_bus_start(v, &err), 0, "%s", err.msg);
}

Test(virtio_thread, the_io_thread_serves_the_doorbell, .init = fake_vm_threaded,
     .fini = fake_vm_end)
{
	driver_init();
	for (unsigned k = 0; k < 8; k++)
		batch_add(k, VIRTIO_BLK_T_IN, 0);
	wr(VIRTIO_BAR_NOTIFY, 2, 0);
	cr_assert(wait_used(8), "%u of 8", used_idx());
	cr_assert_eq(counter("notifies"), 1);
	json_t *all = vmm_bus_report(v);
	const char *how =
	        json_string_value(json_object_get(json_object_get(all, "blk0"), "doorbell"));
	cr_assert(how && strstr(how, "iothread"), "%s", how);
	json_decref(all);
	/* a reset with the thread running, then the device again */
	wr(COMMON(device_status), 1, 0);
	driver_init();
	((struct vring_avail *)(v->mem + AVAIL))->idx = 0;
	((struct vring_used *)(v->mem + USED))->idx = 0;
	request(0, VIRTIO_BLK_T_FLUSH, 0, 0);
	cr_assert_eq(used_idx(), 1);
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_OK);
}

/* A failure of the host's, not the guest's: the file shrank under the disk,
 * a read comes back short. The request fails (IOERR), the host's error is
 * counted apart from the guest's breaches, for the verdict. */
Test(virtio, a_host_failure_is_counted_as_the_hosts)
{
	driver_init();
	cr_assert_eq(ftruncate(disk_fd, 4096), 0);
	request(0, VIRTIO_BLK_T_IN, 64, 4096);
	cr_assert_eq(v->mem[STATUS], VIRTIO_BLK_S_IOERR);
	cr_assert_eq(counter("host_errors"), 1);
	cr_assert_eq(counter("errors"), 0, "not the guest's doing");
	json_t *all = vmm_bus_report(v);
	const char *first = json_string_value(
	        json_object_get(json_object_get(all, "blk0"), "first_host_error"));
	cr_assert(first && strstr(first, "read of the disk file"), "%s", first);
	json_decref(all);
}
