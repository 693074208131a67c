/* irq.c: a VM's interrupt lines: IOAPIC pins handed out to devices, GSIs for MSI vectors,
 * KVM's GSI routing table kept whole here (KVM_SET_GSI_ROUTING replaces it all), and
 * eventfds that raise a GSI (KVM_IRQFD) or that a guest's doorbell write wakes
 * (KVM_IOEVENTFD). Without a VM (the tests), irqfds are plain eventfds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "runners/vm/vmm.h"

/* The PC's own lines that no device of ours takes: PIT (0, on pin 2),
 * keyboard (1), cascade (2), RTC (8), mouse (12), FPU (13), IDE (14, 15).
 * COM1's 4 goes to the console UART, which asks for it by number. */
#define IRQ_PC_LINES ((1u << 0) | (1u << 1) | (1u << 2) | (1u << 8) | (0xfu << 12))

static void irq_route_chip(struct kvm_irq_routing_entry *e, uint32_t gsi, uint32_t chip,
                           uint32_t pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

void vmm_irq_init(struct vmm *v)
{
	struct vmm_irqs *q = &v->irqs;
	unsigned n = 0;

	pthread_mutex_init(&q->lock, NULL);
	/* The PC's wiring, as the MADT tells the guest: ISA IRQs 0..15 on both
	 * PICs, GSIs 1..23 on the IOAPIC pin of their number, but the PIT's IRQ 0
	 * on pin 2 (the MADT's interrupt source override), and nothing on GSI 2
	 * (the PICs' cascade). KVM's own default puts GSI 0 on pin 0, where a
	 * guest that believes the MADT never looks: its PIT ticks would be lost. */
	for (uint32_t gsi = 0; gsi < VMM_IOAPIC_PINS; gsi++) {
		if (gsi == 2)
			continue;
		irq_route_chip(&q->routes[n++], gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
		if (gsi < 16)
			irq_route_chip(&q->routes[n++], gsi,
			               gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
			               gsi % 8);
	}
	q->nroutes = n;
	q->pins_used = IRQ_PC_LINES;
	q->next_gsi = VMM_IOAPIC_PINS;
}

/* Hands KVM the whole table; with the lock held. 0, or -1 with err. */
static int irq_routes_set(struct vmm *v, struct vmb_error *err)
{
	struct vmm_irqs *q = &v->irqs;
	struct {
		struct kvm_irq_routing h;
		struct kvm_irq_routing_entry e[VMM_MAX_ROUTES];
	} t;

	if (v->fd < 0)
		return 0;
	memset(&t.h, 0, sizeof(t.h));
	t.h.nr = q->nroutes;
	memcpy(t.e, q->routes, q->nroutes * sizeof(q->routes[0]));
	if (ioctl(v->fd, KVM_SET_GSI_ROUTING, &t) < 0)
		return vmb_error_sys(err, errno, "KVM_SET_GSI_ROUTING");
	return 0;
}

int vmm_irq_routes_apply(struct vmm *v, struct vmb_error *err)
{
	pthread_mutex_lock(&v->irqs.lock);
	int rc = irq_routes_set(v, err);
	pthread_mutex_unlock(&v->irqs.lock);
	return rc;
}

int vmm_irq_alloc(struct vmm *v, int want, struct vmb_error *err)
{
	struct vmm_irqs *q = &v->irqs;
	int pin = -1;

	pthread_mutex_lock(&q->lock);
	if (want >= 0 && want < VMM_IOAPIC_PINS && !(q->pins_used & (1u << want)))
		pin = want;
	for (int p = 5; pin < 0 && p < VMM_IOAPIC_PINS; p++)
		if (!(q->pins_used & (1u << p)))
			pin = p;
	if (pin >= 0)
		q->pins_used |= 1u << pin;
	pthread_mutex_unlock(&q->lock);
	if (pin < 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "no IOAPIC pin is free");
	return pin;
}

int vmm_msi_alloc(struct vmm *v, struct vmb_error *err)
{
	struct vmm_irqs *q = &v->irqs;
	int gsi = -1;

	pthread_mutex_lock(&q->lock);
	/* each MSI GSI takes one route: there must be room for it */
	if (q->nroutes + (unsigned)(q->next_gsi - VMM_IOAPIC_PINS) < VMM_MAX_ROUTES)
		gsi = q->next_gsi++;
	pthread_mutex_unlock(&q->lock);
	if (gsi < 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "no GSI left for an MSI vector");
	return gsi;
}

int vmm_msi_route(struct vmm *v, int gsi, uint64_t addr, uint32_t data, struct vmb_error *err)
{
	struct vmm_irqs *q = &v->irqs;
	struct kvm_irq_routing_entry *e = NULL;
	int rc = 0;

	if (gsi < VMM_IOAPIC_PINS)
		return vmb_error_set(err, VMB_ERR_FAIL, "GSI %d is not an MSI vector's", gsi);
	pthread_mutex_lock(&q->lock);
	if (gsi >= q->next_gsi) {
		pthread_mutex_unlock(&q->lock);
		return vmb_error_set(err, VMB_ERR_FAIL, "GSI %d was never handed out", gsi);
	}
	for (unsigned i = 0; i < q->nroutes && !e; i++)
		if (q->routes[i].gsi == (uint32_t)gsi)
			e = &q->routes[i];
	if (!e) /* room is kept for it by vmm_msi_alloc */
		e = &q->routes[q->nroutes++];
	memset(e, 0, sizeof(*e));
	e->gsi = (uint32_t)gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
	if (irq_routes_set(v, err) < 0)
		rc = vmb_error_prefix(err, "GSI %d", gsi);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

int vmm_irqfd(struct vmm *v, int gsi, struct vmb_error *err)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (efd < 0)
		return vmb_error_sys(err, errno, "eventfd for GSI %d", gsi);
	if (v->fd >= 0) {
		struct kvm_irqfd f = {.fd = (uint32_t)efd, .gsi = (uint32_t)gsi};
		if (ioctl(v->fd, KVM_IRQFD, &f) < 0) {
			int e = errno;
			close(efd);
			return vmb_error_sys(err, e, "KVM_IRQFD (GSI %d)", gsi);
		}
	}
	return efd;
}

int vmm_ioeventfd(struct vmm *v, uint64_t addr, uint32_t len, int efd, bool assign,
                  struct vmb_error *err)
{
	struct kvm_ioeventfd f = {.addr = addr,
	                          .len = len,
	                          .fd = efd,
	                          .flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN};

	if (v->fd < 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "no VM for an ioeventfd");
	if (ioctl(v->fd, KVM_IOEVENTFD, &f) < 0)
		return vmb_error_sys(err, errno, "KVM_IOEVENTFD at 0x%llx",
		                     (unsigned long long)addr);
	return 0;
}
