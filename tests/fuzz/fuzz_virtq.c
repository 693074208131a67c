/* fuzz_virtq.c: libFuzzer target for the split virtqueue (virtq.c) and, through its queue,
 * the virtio-blk request parser (dev_virtio_blk.c): the input places the rings, writes
 * descriptors and indices into guest memory as a guest would, and has them taken. */
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_blk.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DISK_SIZE (64u << 10)

static struct vmm vm;
static struct vq_chain chain;

/* The guest's own write to [gpa, gpa + len) of its RAM (as much as lies inside). */
static void guest_write(struct vmm *v, uint64_t gpa, const void *src, size_t len)
{
	if (gpa >= v->mem_size)
		return;
	if (len > v->mem_size - gpa)
		len = v->mem_size - gpa;
	memcpy(v->mem + gpa, src, len);
}

static void guest_poke(struct vmm *v, struct fz *f)
{
	uint8_t buf[256];
	uint64_t gpa = fz_take(f, 2) % v->mem_size;
	size_t len = fz_take(f, 1);

	fz_bytes(f, buf, len);
	guest_write(v, gpa, buf, len);
}

/* A descriptor in the table at desc, and with publish its index as the next head. */
static void guest_add(struct vmm *v, struct fz *f, uint16_t qsize, uint64_t desc, uint64_t avail)
{
	uint16_t slot = (uint16_t)fz_take(f, 2);
	struct vring_desc d = {.addr = fz_take(f, 8),
	                       .len = (uint32_t)fz_take(f, 4),
	                       .flags = (uint16_t)fz_take(f, 2),
	                       .next = (uint16_t)fz_take(f, 2)};
	bool publish = fz_take(f, 1) & 1;
	uint16_t idx = 0;

	if (qsize)
		slot %= qsize;
	guest_write(v, desc + 16ull * slot, &d, sizeof(d));
	if (!publish || !qsize || avail >= v->mem_size || v->mem_size - avail < 4)
		return;
	memcpy(&idx, v->mem + avail + 2, 2);
	guest_write(v, avail + 4 + 2ull * (idx % qsize), &slot, 2);
	idx++;
	guest_write(v, avail + 2, &idx, 2);
}

/* n descriptors from slot on, each linked to the next (the last, with loop, back to the
 * first), all with the same buffer and flags, and the first published: long chains and
 * loops of any length in a few bytes of input. */
static void guest_chain(struct vmm *v, struct fz *f, uint16_t qsize, uint64_t desc, uint64_t avail)
{
	uint16_t slot = (uint16_t)fz_take(f, 2), n = (uint16_t)fz_take(f, 2);
	struct vring_desc d = {.addr = fz_take(f, 8), .len = (uint32_t)fz_take(f, 4)};
	uint16_t flags = (uint16_t)fz_take(f, 2);
	bool loop = fz_take(f, 1) & 1;
	uint16_t idx = 0;

	if (!qsize || !n)
		return;
	slot %= qsize;
	for (uint16_t i = 0; i < n; i++) {
		uint16_t at = (uint16_t)((slot + i) % qsize);
		bool last = i + 1 == n;
		d.flags = (uint16_t)(last && !loop ? flags & ~VRING_DESC_F_NEXT
		                                   : flags | VRING_DESC_F_NEXT);
		d.next = (uint16_t)(last ? slot : (at + 1) % qsize);
		guest_write(v, desc + 16ull * at, &d, sizeof(d));
	}
	if (avail >= v->mem_size || v->mem_size - avail < 4)
		return;
	memcpy(&idx, v->mem + avail + 2, 2);
	guest_write(v, avail + 4 + 2ull * (idx % qsize), &slot, 2);
	idx++;
	guest_write(v, avail + 2, &idx, 2);
}

/* Checks what vq_pop promised of a chain, touches every byte of it as a device would
 * (writing the writable ones), and gives it back. */
static void chain_use(struct vmm *v, struct vq *q)
{
	uint64_t out = 0, in = 0;
	bool seen_write = false;
	volatile uint8_t sum = 0;

	FZ_CHECK(chain.head < q->size, "head %u of %u", chain.head, q->size);
	FZ_CHECK(chain.n >= 1 && chain.n <= VQ_MAX_SEGS, "%u segments", chain.n);
	for (unsigned i = 0; i < chain.n; i++) {
		const struct vq_seg *s = &chain.seg[i];
		FZ_CHECK(s->p >= v->mem && (uint64_t)(s->p - v->mem) <= v->mem_size &&
		                 s->len <= v->mem_size - (uint64_t)(s->p - v->mem),
		         "segment %u outside guest RAM", i);
		FZ_CHECK(s->write || !seen_write, "readable segment %u after a writable one", i);
		seen_write |= s->write;
		for (uint32_t k = 0; k < s->len; k++)
			sum += s->p[k];
		if (s->write) {
			memset(s->p, 0x5a, s->len);
			in += s->len;
		} else {
			out += s->len;
		}
	}
	FZ_CHECK(out == chain.out_bytes && in == chain.in_bytes, "byte counts");
	(void)sum;
	vq_push(q, chain.head, (uint32_t)in);
	(void)vq_wants_interrupt(q);
}

static int queue_pop(struct vmm *v, struct vq *q)
{
	int r = vq_pop(v, q, &chain);

	if (r == 1) {
		chain_use(v, q);
	} else if (r < 0) {
		FZ_CHECK(q->error[0] && !q->ready, "a failed pop leaves no reason");
		FZ_CHECK(vq_pop(v, q, &chain) == -1, "a failed queue pops again");
	}
	return r;
}

static void queue_arm(struct vmm *v, struct vq *q, struct fz *f, uint16_t max)
{
	vq_reset(q);
	q->size = (uint16_t)fz_take(f, 2);
	q->desc_gpa = fz_take(f, 8);
	q->avail_gpa = fz_take(f, 8);
	q->used_gpa = fz_take(f, 8);
	if (vq_enable(v, q, max) == 0)
		FZ_CHECK(q->size && q->size <= max && !(q->size & (q->size - 1)),
		         "queue of %u entries (max %u) enabled", q->size, max);
	else
		FZ_CHECK(!q->ready && q->error[0], "a refused queue is ready or says nothing");
}

/* The bare queue: vq_enable, vq_pop, vq_push as the device side calls them. */
static void fuzz_queue(struct fz *f)
{
	uint64_t mem_size = fz_take(f, 2) + 1;
	struct fz params = *f; /* size and rings, before the limit they are held to */
	struct vq q;

	fz_vm_init(&vm, mem_size);
	fz_skip(f, 2 + 8 * 3);
	uint16_t max = (uint16_t)fz_take(f, 2);
	queue_arm(&vm, &q, &params, max);
	while (f->n) {
		switch (fz_take(f, 1) % FZ_OP_SLOTS) {
		case FQ_POP:
			queue_pop(&vm, &q);
			break;
		case FQ_POKE:
			guest_poke(&vm, f);
			break;
		case FQ_DRAIN: {
			/* each pop takes one entry of at most size pending: it ends */
			unsigned n = 0;
			while (queue_pop(&vm, &q) == 1)
				FZ_CHECK(++n <= q.size, "more requests than the queue holds");
			break;
		}
		case FQ_REARM:
			queue_arm(&vm, &q, f, max);
			break;
		case FQ_AVAIL_IDX: {
			uint16_t idx = (uint16_t)fz_take(f, 2);
			guest_write(&vm, q.avail_gpa + 2, &idx, 2);
			break;
		}
		case FQ_ADD:
			guest_add(&vm, f, q.size, q.desc_gpa, q.avail_gpa);
			break;
		case FQ_CHAIN:
			guest_chain(&vm, f, q.size, q.desc_gpa, q.avail_gpa);
			break;
		default:
			break;
		}
	}
	fz_vm_release(&vm);
}

/* The whole device: PCI, the virtio transport and the block device behind queue 0. */
static void fuzz_blk(struct fz *f, bool direct)
{
	uint64_t mem_size = fz_take(f, 2) + 1;
	uint16_t qsize = (uint16_t)fz_take(f, 2);
	uint64_t desc = fz_take(f, 8), avail = fz_take(f, 8), used = fz_take(f, 8);
	struct vmb_error err = {0};
	struct stat st;

	fz_skip(f, 2);
	fz_vm_init(&vm, mem_size);
	FZ_CHECK(vmm_pci_add_host(&vm, &err) == 0, "%s", err.msg);
	int disk = fz_add_disk(&vm, "blk0", DISK_SIZE, direct);
	if (disk < 0)
		disk = fz_add_disk(&vm, "blk0", DISK_SIZE, false);
	FZ_CHECK(vmm_bus_start(&vm, &err) == 0, "%s", err.msg);
	fz_virtio_init(&vm, 1, qsize, desc, avail, used);
	while (f->n) {
		uint64_t bar = fz_bar0(&vm, 1);
		switch (fz_take(f, 1) % FZ_OP_SLOTS) {
		case FQ_POP:
			fz_mmio_write(&vm, bar + VIRTIO_BAR_NOTIFY, 0, 2);
			break;
		case FQ_POKE:
			guest_poke(&vm, f);
			break;
		case FQ_DRAIN:
			(void)fz_mmio_read(&vm, bar + VIRTIO_BAR_ISR, 1);
			for (uint32_t off = 0; off < sizeof(struct virtio_blk_config); off += 4)
				(void)fz_mmio_read(&vm, bar + VIRTIO_BAR_DEVICE + off, 4);
			break;
		case FQ_REARM:
			qsize = (uint16_t)fz_take(f, 2);
			desc = fz_take(f, 8);
			avail = fz_take(f, 8);
			used = fz_take(f, 8);
			fz_virtio_init(&vm, 1, qsize, desc, avail, used);
			break;
		case FQ_AVAIL_IDX: {
			uint16_t idx = (uint16_t)fz_take(f, 2);
			guest_write(&vm, avail + 2, &idx, 2);
			break;
		}
		case FQ_ADD:
			guest_add(&vm, f, qsize, desc, avail);
			break;
		case FQ_CHAIN:
			guest_chain(&vm, f, qsize, desc, avail);
			break;
		default:
			break;
		}
		fz_check_bus(&vm);
	}
	json_decref(vmm_bus_report(&vm));
	/* the guest never makes the device write past the disk's end */
	FZ_CHECK(fstat(disk, &st) == 0 && st.st_size == DISK_SIZE, "the disk is %lld bytes",
	         (long long)st.st_size);
	close(disk);
	fz_vm_release(&vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	uint8_t mode = (uint8_t)fz_take(&f, 1);

	if (mode & 1)
		fuzz_blk(&f, mode & 2);
	else
		fuzz_queue(&f);
	return 0;
}
