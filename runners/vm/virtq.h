/* virtq.h: the split virtqueue of virtio 1.x as a device sees it: rings the guest places
 * in its memory, checked once when the guest enables the queue, and descriptor chains
 * checked entry by entry as they are taken. Nothing here trusts the guest. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

struct vmm;

#define VQ_MAX_SIZE 256 /* the most entries a queue offers */
#define VQ_MAX_SEGS 130 /* segments of one request: header, 128 of data, status */

struct vq {
	uint16_t size; /* as the guest set it; enable checks it */
	bool ready;    /* enabled and checked */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vring_desc *desc; /* host addresses of the three areas, once checked */
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail; /* the next avail entry to take */
	uint16_t used_idx;   /* the next used entry to fill */
	char error[128];     /* why the queue failed ("" if it did not) */
};

/* One segment of a chain: guest memory at p (len bytes, checked), which the
 * device may write if `write`. */
struct vq_seg {
	uint8_t *p;
	uint32_t len;
	bool write;
};

/* A request: the chain's head (for vq_push) and its segments in order, the
 * device-readable ones first. */
struct vq_chain {
	uint16_t head;
	unsigned n;
	uint64_t out_bytes, in_bytes; /* readable and writable bytes */
	struct vq_seg seg[VQ_MAX_SEGS];
};

/* Checks what the guest set (size a power of two from 1 to max, each area
 * aligned as the spec says and wholly in guest RAM) and makes the queue
 * ready. 0, or -1 with q->error. */
int vq_enable(struct vmm *v, struct vq *q, uint16_t max);

/* Forgets the queue (a reset): not ready, nothing set. */
void vq_reset(struct vq *q);

/* Takes the next request the guest made available. 1 and c filled; 0 when
 * there is none; -1 when the guest broke the rules (an index past the queue,
 * a chain that loops or is too long, memory outside guest RAM, a readable
 * segment after a writable one, an indirect table it was never offered),
 * with q->error: the queue is then unusable until reset. */
int vq_pop(struct vmm *v, struct vq *q, struct vq_chain *c);

/* Gives a request back to the guest with `written` bytes written. */
void vq_push(struct vq *q, uint16_t head, uint32_t written);

/* Whether the guest wants an interrupt for what was pushed. */
bool vq_wants_interrupt(const struct vq *q);
