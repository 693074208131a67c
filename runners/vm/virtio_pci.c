/* virtio_pci.c: the virtio 1.x PCI transport (modern only): the vendor capabilities,
 * common configuration, ISR, device configuration, doorbells and an MSI-X table in BAR 0.
 * Doorbells wake an I/O thread through KVM_IOEVENTFD, or, with --io vcpu, are served in
 * the vCPU's exit; completions raise MSI vectors through KVM_IRQFD. The device's own
 * logic is behind struct virtio_ops. Everything the guest writes is checked. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "runners/vm/pci.h"
#include "runners/vm/virtio.h"

#define MSIX_CAP   0x84
#define NVEC       (VIRTIO_MAX_QUEUES + 1) /* vectors at most: one a queue, one for config */
#define NO_VECTOR  0xffff
#define F_VERSION1 (1ull << VIRTIO_F_VERSION_1)

struct vpci {
	struct vmm_pci_fn fn;
	struct vmm *vm;
	const struct virtio_ops *ops;
	void *state;
	struct vmm_dev *dev;
	uint64_t bar; /* where BAR 0 is now; 0 while it is off the bus */

	uint32_t dfselect, gfselect;
	uint64_t guest_features;
	uint8_t status, isr;
	uint16_t qsel, msix_config;
	struct vq vq[VIRTIO_MAX_QUEUES];
	uint16_t qvec[VIRTIO_MAX_QUEUES];

	unsigned nvec;
	uint32_t msix[NVEC][4]; /* address low, high, data, vector control */
	uint64_t pba;
	int gsi[NVEC], irqfd[NVEC];
	int intx_pin, intx_fd; /* the legacy line, for a guest without MSI-X */

	bool threaded; /* doorbells go to the I/O thread */
	bool kicks_bound;
	int kick[VIRTIO_MAX_QUEUES];
	int stop_fd;
	pthread_t thread;
	bool thread_started;
	char doorbell[96]; /* how doorbells were served, for the results */
};

static uint64_t vpci_offered(const struct vpci *p)
{
	return p->ops->features | F_VERSION1;
}

static bool vpci_msix_on(const struct vpci *p)
{
	return p->fn.cfg[MSIX_CAP + 3] & 0x80;
}

static bool vpci_vec_masked(const struct vpci *p, unsigned vec)
{
	return (p->fn.cfg[MSIX_CAP + 3] & 0x40) || (p->msix[vec][3] & 1);
}

static void vpci_fire(struct vpci *p, int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) == sizeof(one))
		atomic_fetch_add(&p->dev->interrupts, 1);
}

/* Raises `vec` (a queue's or config's vector), or the legacy line without
 * MSI-X. With the device's lock held. */
static void vpci_raise(struct vpci *p, uint16_t vec)
{
	if (!vpci_msix_on(p)) {
		p->isr |= 1;
		vpci_fire(p, p->intx_fd);
		return;
	}
	if (vec >= p->nvec)
		return; /* NO_VECTOR: the guest asked for none */
	if (vpci_vec_masked(p, vec))
		p->pba |= 1ull << vec;
	else
		vpci_fire(p, p->irqfd[vec]);
}

/* Tells KVM where vector vec goes, if it is unmasked, and delivers what was
 * pending on it. */
static void vpci_vec_update(struct vmm *v, struct vpci *p, unsigned vec)
{
	struct vmb_error err = {0};

	if (!vpci_msix_on(p) || vpci_vec_masked(p, vec))
		return;
	uint64_t addr = p->msix[vec][0] | (uint64_t)p->msix[vec][1] << 32;
	if (vmm_msi_route(v, p->gsi[vec], addr, p->msix[vec][2], &err) < 0) {
		vmm_dev_host_error(p->dev, "MSI-X vector %u: %s", vec, err.msg);
		return;
	}
	if (p->pba & (1ull << vec)) {
		p->pba &= ~(1ull << vec);
		vpci_fire(p, p->irqfd[vec]);
	}
}

/* Stops the device for a breach of its rules: NEEDS_RESET, a configuration
 * interrupt so that the driver may notice, and a line in the console log
 * (the first few), which outlives a VMM stopped at the run's timeout. */
static void vpci_broken(struct vpci *p, const char *why)
{
	bool was = p->dev->broken[0];

	vmm_dev_broken(p->dev, "%s", why);
	if (was)
		return;
	p->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	p->isr |= 2;
	vpci_raise(p, p->msix_config);
	if (atomic_load(&p->dev->stops) <= 8 && p->vm->console_fd >= 0)
		dprintf(p->vm->console_fd, "\nvmbench-vmm: device %s stopped: %s\n", p->dev->name,
		        why);
}

static void vpci_serve(struct vmm *v, struct vpci *p, unsigned qi);

void vmm_virtio_completed(struct vmm *v, struct vmm_dev *d, unsigned qi)
{
	struct vpci *p = d->state;

	if (qi >= p->ops->nqueues || !p->vq[qi].ready)
		return;
	if (vq_wants_interrupt(&p->vq[qi]))
		vpci_raise(p, p->qvec[qi]);
	vpci_serve(v, p, qi); /* what waited for a free worker */
}

/* Serves queue qi, with the device's lock held. */
static void vpci_serve(struct vmm *v, struct vpci *p, unsigned qi)
{
	struct vq *q = &p->vq[qi];
	char why[200];

	if (p->dev->broken[0] || !(p->status & VIRTIO_CONFIG_S_DRIVER_OK) || !q->ready)
		return;
	int done = p->ops->queue(v, p->dev, p->state, qi, q);
	if (done < 0) {
		snprintf(why, sizeof(why), "queue %u: %s", qi, q->error);
		vpci_broken(p, why);
		return;
	}
	if (done > 0 && vq_wants_interrupt(q))
		vpci_raise(p, p->qvec[qi]);
}

static void vpci_reset(struct vpci *p)
{
	/* first the device's requests in flight, into the rings as they were */
	if (p->ops->reset)
		p->ops->reset(p->dev, p->state);
	p->status = 0;
	p->isr = 0;
	p->guest_features = 0;
	p->dfselect = p->gfselect = 0;
	p->qsel = 0;
	p->msix_config = NO_VECTOR;
	for (unsigned i = 0; i < p->ops->nqueues; i++) {
		vq_reset(&p->vq[i]);
		p->vq[i].size = p->ops->queue_max;
		p->qvec[i] = NO_VECTOR;
	}
	p->dev->broken[0] = '\0';
}

/* The common configuration as the guest sees it now. */
static void vpci_common_image(const struct vpci *p, struct virtio_pci_common_cfg *c)
{
	uint64_t offered = vpci_offered(p);
	const struct vq *q = p->qsel < p->ops->nqueues ? &p->vq[p->qsel] : NULL;

	memset(c, 0, sizeof(*c));
	c->device_feature_select = p->dfselect;
	c->device_feature = p->dfselect < 2 ? (uint32_t)(offered >> (32 * p->dfselect)) : 0;
	c->guest_feature_select = p->gfselect;
	c->guest_feature =
	        p->gfselect < 2 ? (uint32_t)(p->guest_features >> (32 * p->gfselect)) : 0;
	c->msix_config = p->msix_config;
	c->num_queues = p->ops->nqueues;
	c->device_status = p->status;
	c->queue_select = p->qsel;
	if (q) {
		c->queue_size = q->size;
		c->queue_msix_vector = p->qvec[p->qsel];
		c->queue_enable = q->ready;
		c->queue_notify_off = p->qsel;
		c->queue_desc_lo = (uint32_t)q->desc_gpa;
		c->queue_desc_hi = (uint32_t)(q->desc_gpa >> 32);
		c->queue_avail_lo = (uint32_t)q->avail_gpa;
		c->queue_avail_hi = (uint32_t)(q->avail_gpa >> 32);
		c->queue_used_lo = (uint32_t)q->used_gpa;
		c->queue_used_hi = (uint32_t)(q->used_gpa >> 32);
	}
}

#define FIELD(name) offsetof(struct virtio_pci_common_cfg, name)
#define TOUCHES(name)                                                                              \
	(off < FIELD(name) + sizeof(((struct virtio_pci_common_cfg *)0)->name) &&                  \
	 FIELD(name) < off + len)

static void vpci_status_write(struct vpci *p, uint8_t s)
{
	if (s == 0) {
		vpci_reset(p);
		return;
	}
	if ((s & VIRTIO_CONFIG_S_FEATURES_OK) && !(p->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/* features the device never offered, or a legacy driver: refused,
		 * and the guest sees FEATURES_OK did not stick */
		if ((p->guest_features & ~vpci_offered(p)) || !(p->guest_features & F_VERSION1))
			s &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	p->status = (uint8_t)(s | (p->status & VIRTIO_CONFIG_S_NEEDS_RESET));
}

static void vpci_common_write(struct vmm *v, struct vpci *p, uint32_t off, const uint8_t *data,
                              uint32_t len)
{
	struct virtio_pci_common_cfg c;
	struct vq *q;
	char why[200];

	vpci_common_image(p, &c);
	memcpy((uint8_t *)&c + off, data, len);
	if (TOUCHES(device_feature_select))
		p->dfselect = c.device_feature_select;
	if (TOUCHES(guest_feature_select))
		p->gfselect = c.guest_feature_select;
	if (TOUCHES(guest_feature) && p->gfselect < 2 &&
	    !(p->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		unsigned sh = 32 * p->gfselect;
		p->guest_features = (p->guest_features & ~(0xffffffffull << sh)) |
		                    (uint64_t)c.guest_feature << sh;
	}
	if (TOUCHES(msix_config))
		p->msix_config = c.msix_config < p->nvec ? c.msix_config : NO_VECTOR;
	if (TOUCHES(device_status))
		vpci_status_write(p, c.device_status);
	if (TOUCHES(queue_select))
		p->qsel = c.queue_select;
	/* the queue selected now, which one write may have changed */
	q = p->qsel < p->ops->nqueues ? &p->vq[p->qsel] : NULL;
	if (!q || q->ready)
		return; /* a queue's fields change only while it is off */
	if (TOUCHES(queue_size))
		q->size = c.queue_size;
	if (TOUCHES(queue_msix_vector))
		p->qvec[p->qsel] = c.queue_msix_vector < p->nvec ? c.queue_msix_vector : NO_VECTOR;
	if (TOUCHES(queue_desc_lo) || TOUCHES(queue_desc_hi))
		q->desc_gpa = c.queue_desc_lo | (uint64_t)c.queue_desc_hi << 32;
	if (TOUCHES(queue_avail_lo) || TOUCHES(queue_avail_hi))
		q->avail_gpa = c.queue_avail_lo | (uint64_t)c.queue_avail_hi << 32;
	if (TOUCHES(queue_used_lo) || TOUCHES(queue_used_hi))
		q->used_gpa = c.queue_used_lo | (uint64_t)c.queue_used_hi << 32;
	if (TOUCHES(queue_enable) && c.queue_enable == 1 &&
	    vq_enable(v, q, p->ops->queue_max) < 0) {
		snprintf(why, sizeof(why), "queue %u: %s", p->qsel, q->error);
		vpci_broken(p, why);
	}
}

/* A doorbell: queue qi has something new. */
static void vpci_kick(struct vmm *v, struct vpci *p, unsigned qi)
{
	uint64_t one = 1;

	if (p->threaded) {
		/* the I/O thread serves every queue; it counts the doorbell */
		if (write(p->kick[qi], &one, sizeof(one)) < 0)
			vmm_dev_host_error(p->dev, "doorbell eventfd: %s", strerror(errno));
		return;
	}
	atomic_fetch_add(&p->dev->notifies, 1);
	vpci_serve(v, p, qi);
}

static void vpci_mmio(struct vmm *v, struct vmm_dev *d, int region, uint64_t off, bool write,
                      uint8_t *data, uint32_t len)
{
	struct vpci *p = d->state;

	if (!write)
		memset(data, 0, len);
	if (region != 0)
		return;
	if (off < VIRTIO_BAR_COMMON + sizeof(struct virtio_pci_common_cfg)) {
		if (off + len > sizeof(struct virtio_pci_common_cfg))
			return; /* straddles the end */
		if (write) {
			vpci_common_write(v, p, (uint32_t)off, data, len);
		} else {
			struct virtio_pci_common_cfg c;
			vpci_common_image(p, &c);
			memcpy(data, (uint8_t *)&c + off, len);
		}
	} else if (off == VIRTIO_BAR_ISR) {
		if (!write) {
			data[0] = p->isr;
			p->isr = 0; /* reading acknowledges */
		}
	} else if (off >= VIRTIO_BAR_DEVICE && off < VIRTIO_BAR_DEVICE + p->ops->config_len) {
		uint64_t o = off - VIRTIO_BAR_DEVICE;
		if (!write && o + len <= p->ops->config_len)
			p->ops->config_read(p->state, (uint32_t)o, data, len);
	} else if (off >= VIRTIO_BAR_NOTIFY &&
	           off < VIRTIO_BAR_NOTIFY + VIRTIO_NOTIFY_MULT * p->ops->nqueues) {
		if (write)
			vpci_kick(v, p, (unsigned)((off - VIRTIO_BAR_NOTIFY) / VIRTIO_NOTIFY_MULT));
	} else if (off >= VIRTIO_BAR_MSIX && off < VIRTIO_BAR_MSIX + 16ull * p->nvec) {
		uint64_t o = off - VIRTIO_BAR_MSIX;
		unsigned vec = (unsigned)(o / 16);
		if ((o & 3) || (len != 4 && len != 8) || (o % 16) + len > 16)
			return; /* the spec allows aligned dwords and qwords only */
		uint8_t *e = (uint8_t *)p->msix[vec] + o % 16;
		if (!write) {
			memcpy(data, e, len);
			return;
		}
		memcpy(e, data, len);
		p->msix[vec][3] &= 1; /* only the mask bit is defined */
		vpci_vec_update(v, p, vec);
	} else if (off >= VIRTIO_BAR_PBA && off + len <= VIRTIO_BAR_PBA + 8 && !write) {
		memcpy(data, (uint8_t *)&p->pba + (off - VIRTIO_BAR_PBA), len);
	}
}

/* Binds (or unbinds) the doorbells at BAR 0's current place. */
static void vpci_bind_kicks(struct vmm *v, struct vpci *p, bool bind)
{
	struct vmb_error err = {0};

	if (!p->threaded || p->kicks_bound == bind || !p->bar)
		return;
	for (unsigned i = 0; i < p->ops->nqueues; i++) {
		uint64_t at = p->bar + VIRTIO_BAR_NOTIFY + VIRTIO_NOTIFY_MULT * i;
		if (vmm_ioeventfd(v, at, 2, p->kick[i], bind, &err) < 0 && bind) {
			/* no ioeventfd: the doorbell exits, and the exit wakes the thread */
			snprintf(p->doorbell, sizeof(p->doorbell), "iothread, by exit (%s)",
			         err.msg);
		}
	}
	p->kicks_bound = bind;
}

static void vpci_moved(struct vmm *v, struct vmm_pci_fn *f, int bar, uint64_t at)
{
	struct vpci *p = f->opaque;

	if (bar != 0)
		return;
	vpci_bind_kicks(v, p, false);
	p->bar = at;
	vpci_bind_kicks(v, p, true);
}

/* The MSI-X message control changed (enable, function mask): vectors that
 * are live now get their routes and their pending interrupts. */
static void vpci_written(struct vmm *v, struct vmm_pci_fn *f, uint32_t reg, uint32_t len)
{
	struct vpci *p = f->opaque;

	if (reg <= MSIX_CAP + 3 && reg + len > MSIX_CAP + 2)
		for (unsigned i = 0; i < p->nvec; i++)
			vpci_vec_update(v, p, i);
}

static void *vpci_thread(void *arg)
{
	struct vmm_dev *d = arg;
	struct vpci *p = d->state;
	struct pollfd pf[VIRTIO_MAX_QUEUES + 1];
	unsigned nq = p->ops->nqueues;
	uint64_t n;

	for (unsigned i = 0; i < nq; i++)
		pf[i] = (struct pollfd){.fd = p->kick[i], .events = POLLIN};
	pf[nq] = (struct pollfd){.fd = p->stop_fd, .events = POLLIN};
	for (;;) {
		if (poll(pf, nq + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[nq].revents)
			break;
		for (unsigned i = 0; i < nq; i++) {
			if (!(pf[i].revents & POLLIN) ||
			    read(p->kick[i], &n, sizeof(n)) != sizeof(n))
				continue;
			atomic_fetch_add(&d->notifies, n);
			pthread_mutex_lock(&d->lock);
			vpci_serve(p->vm, p, i);
			pthread_mutex_unlock(&d->lock);
		}
	}
	return NULL;
}

static int vpci_start(struct vmm *v, struct vmm_dev *d, struct vmb_error *err)
{
	struct vpci *p = d->state;

	for (unsigned i = 0; i < p->nvec; i++) {
		p->irqfd[i] = vmm_irqfd(v, p->gsi[i], err);
		if (p->irqfd[i] < 0)
			return -1;
	}
	p->intx_fd = vmm_irqfd(v, p->intx_pin, err);
	if (p->intx_fd < 0)
		return -1;
	if (p->ops->start && p->ops->start(v, d, p->state, err) < 0)
		return -1;
	p->threaded = !v->io_in_vcpu;
	snprintf(p->doorbell, sizeof(p->doorbell), "%s",
	         p->threaded ? "iothread, by ioeventfd" : "vcpu exit");
	if (!p->threaded)
		return 0;
	for (unsigned i = 0; i < p->ops->nqueues; i++) {
		p->kick[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (p->kick[i] < 0)
			return vmb_error_sys(err, errno, "doorbell eventfd");
	}
	p->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (p->stop_fd < 0)
		return vmb_error_sys(err, errno, "eventfd");
	pthread_mutex_lock(&d->lock);
	vpci_bind_kicks(v, p, true);
	pthread_mutex_unlock(&d->lock);
	int rc = pthread_create(&p->thread, NULL, vpci_thread, d);
	if (rc != 0)
		return vmb_error_sys(err, rc, "I/O thread");
	p->thread_started = true;
	return 0;
}

static void vpci_stop(struct vmm *v, struct vmm_dev *d)
{
	struct vpci *p = d->state;
	uint64_t one = 1;

	if (p->thread_started) {
		if (write(p->stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(p->thread, NULL);
		p->thread_started = false;
	}
	pthread_mutex_lock(&d->lock);
	vpci_bind_kicks(v, p, false);
	pthread_mutex_unlock(&d->lock);
	if (p->ops->stop)
		p->ops->stop(d, p->state);
}

static void vpci_report(struct vmm *v, struct vmm_dev *d, json_t *c)
{
	struct vpci *p = d->state;
	char feat[24];

	(void)v;
	snprintf(feat, sizeof(feat), "0x%llx", (unsigned long long)p->guest_features);
	json_object_set_new(c, "transport", json_string("virtio-pci"));
	json_object_set_new(c, "doorbell", json_string(p->doorbell));
	json_object_set_new(c, "msix", json_boolean(vpci_msix_on(p)));
	json_object_set_new(c, "status", json_integer(p->status));
	json_object_set_new(c, "features", json_string(feat));
	json_object_set_new(c, "queue_size", json_integer(p->vq[0].size));
	if (p->vq[0].ready) {
		/* where the ring stood at the end: a request taken and not given
		 * back, or given back and never seen, shows here */
		const struct vq *q = &p->vq[0];
		json_object_set_new(c, "ring",
		                    json_pack("{s:i, s:i, s:i, s:i}", "taken", q->last_avail,
		                              "given_back", q->used_idx, "guest_avail_idx",
		                              __atomic_load_n(&q->avail->idx, __ATOMIC_RELAXED),
		                              "guest_flags",
		                              __atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED)));
	}
	if (p->ops->report)
		p->ops->report(p->state, c);
}

static void vpci_release(void *state)
{
	struct vpci *p = state;

	if (!p)
		return;
	for (unsigned i = 0; i < NVEC; i++)
		if (p->irqfd[i] >= 0)
			close(p->irqfd[i]);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		if (p->kick[i] >= 0)
			close(p->kick[i]);
	if (p->intx_fd >= 0)
		close(p->intx_fd);
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	if (p->ops->release)
		p->ops->release(p->state);
	free(p);
}

static const struct vmm_dev_ops vpci_ops = {.kind = "virtio-pci",
                                            .mmio = vpci_mmio,
                                            .start = vpci_start,
                                            .stop = vpci_stop,
                                            .report = vpci_report,
                                            .release = vpci_release};

/* The vendor capability of one BAR 0 window. */
static void vpci_cap(struct vmm_pci_fn *f, uint8_t at, uint8_t next, uint8_t type, uint32_t off,
                     uint32_t len, uint8_t caplen)
{
	struct virtio_pci_cap c = {.cap_vndr = 0x09,
	                           .cap_next = next,
	                           .cap_len = caplen,
	                           .cfg_type = type,
	                           .bar = 0,
	                           .offset = off,
	                           .length = len};

	memcpy(f->cfg + at, &c, sizeof(c));
}

int vmm_virtio_pci_add(struct vmm *v, const char *name, const struct virtio_ops *ops, void *state,
                       struct vmb_error *err)
{
	struct vpci *p = calloc(1, sizeof(*p));
	struct vmm_dev *d;

	if (!p || ops->nqueues == 0 || ops->nqueues > VIRTIO_MAX_QUEUES ||
	    ops->queue_max > VQ_MAX_SIZE || ops->config_len > 0x1000) {
		free(p);
		if (ops->release)
			ops->release(state);
		return vmb_error_set(err, VMB_ERR_FAIL, "virtio device %s: %s", name,
		                     "out of memory, or more queues than the transport takes");
	}
	p->vm = v;
	p->ops = ops;
	p->state = state;
	p->nvec = ops->nqueues + 1u;
	for (unsigned i = 0; i < NVEC; i++)
		p->irqfd[i] = -1;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		p->kick[i] = -1;
	p->intx_fd = p->stop_fd = -1;
	if (vmm_bus_add_dev(v, name, &vpci_ops, p, &d, err) < 0)
		return -1; /* p is released */
	p->dev = d;
	vpci_reset(p);
	for (unsigned i = 0; i < p->nvec; i++) {
		p->msix[i][3] = 1; /* masked until the guest says otherwise */
		p->gsi[i] = vmm_msi_alloc(v, err);
		if (p->gsi[i] < 0)
			return -1;
	}
	p->intx_pin = vmm_irq_alloc(v, -1, err);
	if (p->intx_pin < 0)
		return -1;

	struct vmm_pci_fn *f = &p->fn;
	f->bar_size[0] = VIRTIO_BAR_SIZE;
	vmm_pci_header(f, 0x1af4, (uint16_t)(0x1040 + ops->id), ops->class_code, 1, 0x40, true);
	f->dev = d;
	f->opaque = p;
	f->moved = vpci_moved;
	f->written = vpci_written;
	vpci_cap(f, 0x40, 0x50, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_BAR_COMMON,
	         sizeof(struct virtio_pci_common_cfg), 16);
	vpci_cap(f, 0x50, 0x60, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_BAR_ISR, 1, 16);
	vpci_cap(f, 0x60, 0x70, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_BAR_DEVICE, ops->config_len, 16);
	vpci_cap(f, 0x70, MSIX_CAP, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_BAR_NOTIFY,
	         VIRTIO_NOTIFY_MULT * ops->nqueues, 20);
	uint32_t mult = VIRTIO_NOTIFY_MULT;
	memcpy(f->cfg + 0x70 + 16, &mult, 4);
	/* MSI-X: table and pending bits in BAR 0; enable and function mask writable */
	uint8_t msix[12] = {0x11, 0, (uint8_t)(p->nvec - 1), 0};
	uint32_t table = VIRTIO_BAR_MSIX, pba = VIRTIO_BAR_PBA;
	memcpy(msix + 4, &table, 4);
	memcpy(msix + 8, &pba, 4);
	memcpy(f->cfg + MSIX_CAP, msix, sizeof(msix));
	f->wmask[MSIX_CAP + 3] = 0xc0;
	int slot = vmm_pci_register(v, f, err);
	if (slot < 0)
		return -1;
	f->cfg[0x3c] = (uint8_t)p->intx_pin;
	return 0;
}
