/* virtq.c: the split virtqueue, checked as untrusted input: every guest-physical address
 * and length through vmm_gpa, every index against the queue's size, chains bounded. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runners/vm/virtq.h"
#include "runners/vm/vmm.h"

static int vq_fail(struct vq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vq_fail(struct vq *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->error, sizeof(q->error), fmt, ap);
	va_end(ap);
	q->ready = false;
	return -1;
}

void vq_reset(struct vq *q)
{
	memset(q, 0, sizeof(*q));
}

int vq_enable(struct vmm *v, struct vq *q, uint16_t max)
{
	uint64_t n = q->size;

	q->error[0] = '\0';
	if (n == 0 || n > max || (n & (n - 1)) != 0)
		return vq_fail(q, "queue size %llu is not a power of two from 1 to %u",
		               (unsigned long long)n, max);
	/* alignments: descriptors 16, available ring 2, used ring 4 */
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3))
		return vq_fail(q, "rings at 0x%llx/0x%llx/0x%llx are misaligned",
		               (unsigned long long)q->desc_gpa, (unsigned long long)q->avail_gpa,
		               (unsigned long long)q->used_gpa);
	/* each ring as the spec sizes it, event words included */
	q->desc = vmm_gpa(v, q->desc_gpa, 16 * n);
	q->avail = vmm_gpa(v, q->avail_gpa, 6 + 2 * n);
	q->used = vmm_gpa(v, q->used_gpa, 6 + 8 * n);
	if (!q->desc || !q->avail || !q->used)
		return vq_fail(q, "a ring of %llu entries at 0x%llx/0x%llx/0x%llx leaves guest RAM",
		               (unsigned long long)n, (unsigned long long)q->desc_gpa,
		               (unsigned long long)q->avail_gpa, (unsigned long long)q->used_gpa);
	q->last_avail = 0;
	q->used_idx = 0;
	q->ready = true;
	return 0;
}

int vq_pop(struct vmm *v, struct vq *q, struct vq_chain *c)
{
	if (!q->ready)
		return q->error[0] ? -1 : 0;
	/* the index before the entries it covers */
	uint16_t avail = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	uint16_t pending = (uint16_t)(avail - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > q->size)
		return vq_fail(q, "available index %u is %u ahead of %u taken, past %u entries",
		               avail, pending, q->last_avail, q->size);
	uint16_t head =
	        __atomic_load_n(&q->avail->ring[q->last_avail & (q->size - 1)], __ATOMIC_RELAXED);
	if (head >= q->size)
		return vq_fail(q, "head descriptor %u past %u entries", head, q->size);
	q->last_avail++;

	c->head = head;
	c->n = 0;
	c->out_bytes = c->in_bytes = 0;
	bool seen_write = false;
	for (uint16_t i = head, walked = 0;; walked++) {
		/* one copy of the descriptor: the guest may change it meanwhile */
		struct vring_desc d;
		memcpy(&d, &q->desc[i], sizeof(d));
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (walked == q->size)
			return vq_fail(q, "chain from %u is longer than the queue: a loop", head);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return vq_fail(q, "descriptor %u is indirect, which was not offered", i);
		if (c->n == VQ_MAX_SEGS)
			return vq_fail(q, "chain from %u has more than %d segments", head,
			               VQ_MAX_SEGS);
		uint8_t *p = vmm_gpa(v, d.addr, d.len);
		if (!p)
			return vq_fail(q, "descriptor %u: 0x%llx+%u is not guest RAM", i,
			               (unsigned long long)d.addr, d.len);
		bool write = d.flags & VRING_DESC_F_WRITE;
		if (!write && seen_write)
			return vq_fail(q, "descriptor %u: readable after writable", i);
		seen_write |= write;
		c->seg[c->n++] = (struct vq_seg){.p = p, .len = d.len, .write = write};
		if (write)
			c->in_bytes += d.len;
		else
			c->out_bytes += d.len;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= q->size)
			return vq_fail(q, "descriptor %u: next %u past %u entries", i, d.next,
			               q->size);
		i = d.next;
	}
	return 1;
}

void vq_push(struct vq *q, uint16_t head, uint32_t written)
{
	struct vring_used_elem *e = &q->used->ring[q->used_idx & (q->size - 1)];

	e->id = head;
	e->len = written;
	q->used_idx++;
	/* the entry before the index that publishes it */
	__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
}

bool vq_wants_interrupt(const struct vq *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(__atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT);
}
