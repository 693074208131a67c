/* fuzz_pci.c: libFuzzer target for what the guest reaches by port I/O and MMIO: the PCI
 * host's configuration mechanism #1, the functions' configuration space (BAR sizing and
 * moving, the command register, MSI-X control), and the virtio transport in BAR 0 (common
 * configuration, device status, queue set-up, doorbells, the MSI-X table), with two
 * virtio-blk disks beside the PC's own devices. Port I/O arrives as a KVM exit would. */
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_SIZE  (64u << 10)
#define DISK_SIZE (16u << 10)
#define RUN_SIZE  8192u /* the fake kvm_run mapping: the page, then the I/O data page */

static struct vmm vm;

/* Access lengths: the usual ones first, then odd ones, then ones the bus refuses. */
static uint32_t pick_len(uint8_t sel)
{
	static const uint32_t lens[16] = {1, 2, 4, 8, 1, 2, 4, 8, 1, 2, 4, 3, 5, 6, 7, 0};

	return sel == 0xff ? 9 : lens[sel & 15];
}

/* A KVM_EXIT_IO as KVM hands it over: size, count and data offset checked by the bus. */
static void port_io(struct vmm *v, struct fz *f, uint8_t *run_page, bool out)
{
	static const uint8_t sizes[8] = {1, 2, 4, 1, 2, 4, 3, 8};
	struct kvm_run *run = (struct kvm_run *)run_page;
	uint8_t sel = (uint8_t)fz_take(f, 1);
	uint16_t port = sel & 0x80 ? (uint16_t)fz_take(f, 2) : (uint16_t)(0xcf8 + (sel & 7));
	uint8_t size_sel = (uint8_t)fz_take(f, 1);
	uint32_t count = fz_take(f, 1) % 9; /* 0 is refused */
	uint64_t doff = size_sel & 0x80 ? fz_take(f, 2) : 4096;

	memset(run, 0, sizeof(*run));
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = sizes[size_sel & 7];
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = doff;
	uint64_t len = (uint64_t)run->io.size * count;
	if (doff <= RUN_SIZE && len <= RUN_SIZE - doff) {
		if (out)
			fz_bytes(f, run_page + doff, len);
		else
			memset(run_page + doff, 0x5c, len);
	}
	vmm_bus_exit_io(v, run, RUN_SIZE);
}

static void bar_access(struct vmm *v, struct fz *f, bool write)
{
	unsigned slot = 1 + (fz_take(f, 1) & 1);
	uint64_t addr = fz_bar0(v, slot) + fz_take(f, 2);
	uint32_t len = pick_len((uint8_t)fz_take(f, 1));
	uint8_t d[16];

	if (write)
		fz_bytes(f, d, 8);
	vmm_bus_mmio(v, addr, write, d, len);
}

static void cfg_access(struct vmm *v, struct fz *f, bool write)
{
	static const uint32_t lens[8] = {1, 2, 4, 4, 3, 0, 5, 8};
	unsigned slot = fz_take(f, 1) % (PCI_SLOTS + 2);
	uint32_t reg = fz_take(f, 2) % 264;
	uint32_t len = lens[fz_take(f, 1) & 7];
	uint8_t d[8];

	if (write)
		fz_bytes(f, d, 4);
	vmm_pci_config(v, slot, reg, write, d, len);
}

/* Each disk's BAR 0 is on the bus only inside the PCI window and outside RAM. */
static void check_bars(struct vmm *v)
{
	for (unsigned i = 0; i < v->bus.nranges[VMM_MMIO]; i++) {
		const struct vmm_range *r = &v->bus.ranges[VMM_MMIO][i];
		FZ_CHECK(r->base >= VMM_PCI_MMIO && r->base + r->len <= VMM_PCI_MMIO_END,
		         "%s's range %d at 0x%llx outside the PCI window", r->dev->name, r->region,
		         (unsigned long long)r->base);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *run_page;
	struct fz f = {data, size};
	struct vmb_error err = {0};
	int disk[2];
	struct stat st;

	if (!run_page)
		run_page = malloc(RUN_SIZE);
	fz_vm_init(&vm, MEM_SIZE);
	FZ_CHECK(vmm_devices_add(&vm, &err) == 0, "%s", err.msg);
	FZ_CHECK(vmm_pci_add_host(&vm, &err) == 0, "%s", err.msg);
	disk[0] = fz_add_disk(&vm, "blk0", DISK_SIZE, false);
	disk[1] = fz_add_disk(&vm, "blk1", DISK_SIZE, false);
	FZ_CHECK(vmm_bus_start(&vm, &err) == 0, "%s", err.msg);
	while (f.n) {
		switch (fz_take(&f, 1) % FZ_OP_SLOTS) {
		case FP_PIO_OUT:
			port_io(&vm, &f, run_page, true);
			break;
		case FP_PIO_IN:
			port_io(&vm, &f, run_page, false);
			break;
		case FP_BAR_WRITE:
			bar_access(&vm, &f, true);
			break;
		case FP_BAR_READ:
			bar_access(&vm, &f, false);
			break;
		case FP_CFG_WRITE:
			cfg_access(&vm, &f, true);
			break;
		case FP_CFG_READ:
			cfg_access(&vm, &f, false);
			break;
		case FP_MMIO_ABS: {
			uint64_t addr = fz_take(&f, 8);
			uint32_t len = pick_len((uint8_t)fz_take(&f, 1));
			bool write = fz_take(&f, 1) & 1;
			uint8_t d[16];
			fz_bytes(&f, d, 8);
			vmm_bus_mmio(&vm, addr, write, d, len);
			break;
		}
		case FP_POKE: {
			uint8_t buf[256];
			uint64_t gpa = fz_take(&f, 2) % MEM_SIZE;
			size_t len = fz_take(&f, 1);
			fz_bytes(&f, buf, len);
			memcpy(vm.mem + gpa, buf, len < MEM_SIZE - gpa ? len : MEM_SIZE - gpa);
			break;
		}
		case FP_VIRTIO_INIT: {
			unsigned slot = 1 + (fz_take(&f, 1) & 1);
			uint16_t qsize = (uint16_t)fz_take(&f, 2);
			uint64_t desc = fz_take(&f, 2), avail = fz_take(&f, 2),
			         used = fz_take(&f, 2);
			fz_virtio_init(&vm, slot, qsize, desc, avail, used);
			break;
		}
		default:
			break;
		}
		fz_check_bus(&vm);
		check_bars(&vm);
	}
	/* (no bus report here: the legacy device's walks 64 Ki ports, a tenth of the time) */
	for (int i = 0; i < 2; i++) {
		FZ_CHECK(fstat(disk[i], &st) == 0 && st.st_size == DISK_SIZE,
		         "disk %d is %lld bytes", i, (long long)st.st_size);
		close(disk[i]);
	}
	fz_vm_release(&vm);
	return 0;
}
