/* dev_uart.c: an 8250/16550 UART (ttyS0 at 0x3f8), the guest's console. It answers
 * the kernel's probe (scratch register, loopback through MCR/MSR, FIFO bits in IIR)
 * and raises its IRQ when the transmitter empties, which user-space writes wait for. What
 * the guest writes goes to the console log, up to the VM's cap; the rest is counted. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "runners/vm/vmm.h"

enum { RBR_THR, IER, IIR_FCR, LCR, MCR, LSR, MSR, SCR };

#define IER_THRE  0x02 /* interrupt when the transmitter holding register empties */
#define LCR_DLAB  0x80 /* registers 0 and 1 are the divisor latch */
#define MCR_LOOP  0x10
#define IIR_NONE  0x01
#define IIR_THRE  0x02
#define IIR_FIFOS 0xc0

struct uart {
	int irq;
	int irq_fd; /* raises irq (KVM_IRQFD), from the start hook on */
	struct vmm_dev *dev;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thre_pending;      /* transmitter-empty interrupt not yet acknowledged */
	bool console_line_seen; /* the first whole line was written */
	uint64_t tx_bytes, irqs, dropped;
};

/* Whether one more byte fits in the console log. The count is the VM's (the
 * log is), so every UART shares the cap; whoever reaches it says so once. */
static bool uart_console_room(struct vmm *v)
{
	unsigned long long n = atomic_fetch_add(&v->console_bytes, 1);

	if (n < v->console_log_max)
		return true;
	if (n == v->console_log_max && v->console_fd >= 0)
		dprintf(v->console_fd,
		        "\nvmbench-vmm: the console log reached its cap of %llu bytes; the "
		        "guest's further output is dropped and counted\n",
		        (unsigned long long)v->console_log_max);
	return false;
}

static void uart_console_byte(struct vmm *v, struct uart *u, uint8_t b)
{
	u->tx_bytes++;
	if (b == '\r')
		return;
	if (!uart_console_room(v)) {
		u->dropped++;
	} else {
		if (v->console_fd >= 0)
			(void)!write(v->console_fd, &b, 1);
		if (v->term_fd >= 0)
			(void)!write(v->term_fd, &b, 1);
	}
	if (b == '\n' && !u->console_line_seen) {
		u->console_line_seen = true;
		vmm_phase(v, "first_console_line");
	}
}

static void uart_update_irq(struct vmm *v, struct uart *u)
{
	if ((u->ier & IER_THRE) && u->thre_pending) {
		uint64_t one = 1;
		u->irqs++;
		atomic_fetch_add(&u->dev->interrupts, 1);
		if (u->irq_fd < 0 || write(u->irq_fd, &one, sizeof(one)) != sizeof(one))
			vmm_irq_pulse(v, u->irq); /* before start, or without irqfd */
	}
}

static uint8_t uart_msr(const struct uart *u)
{
	if (u->mcr & MCR_LOOP) /* loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
		return (uint8_t)(((u->mcr & 0x01) << 5) | ((u->mcr & 0x02) << 3) |
		                 ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4));
	return 0xb0; /* DCD, DSR, CTS */
}

static void uart_write(struct vmm *v, struct uart *u, unsigned reg, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case RBR_THR:
		if (dlab) {
			u->dll = val;
			break;
		}
		uart_console_byte(v, u, val);
		u->thre_pending = true;
		uart_update_irq(v, u);
		break;
	case IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		u->ier = val & 0x0f;
		if (u->ier & IER_THRE)
			u->thre_pending = true;
		uart_update_irq(v, u);
		break;
	case IIR_FCR:
		u->fcr = val;
		break;
	case LCR:
		u->lcr = val;
		break;
	case MCR:
		u->mcr = val & 0x1f;
		break;
	case SCR:
		u->scr = val;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

static uint8_t uart_read(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t iir;

	switch (reg) {
	case RBR_THR:
		return dlab ? u->dll : 0; /* no input, ever */
	case IER:
		return dlab ? u->dlm : u->ier;
	case IIR_FCR:
		/* reading IIR acknowledges a transmitter-empty interrupt */
		iir = (u->fcr & 1) ? IIR_FIFOS : 0;
		iir |= (u->ier & IER_THRE) && u->thre_pending ? IIR_THRE : IIR_NONE;
		u->thre_pending = false;
		return iir;
	case LCR:
		return u->lcr;
	case MCR:
		return u->mcr;
	case LSR:
		return 0x60; /* transmitter holding register and shifter empty, no input */
	case MSR:
		return uart_msr(u);
	case SCR:
		return u->scr;
	default:
		return 0xff;
	}
}

static void uart_io(struct vmm *v, struct vmm_dev *d, uint16_t off, bool out, uint8_t *data,
                    uint32_t size, uint32_t count)
{
	struct uart *u = d->state;

	/* an 8250 has byte registers: a wider access moves its low byte */
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *p = data + (size_t)i * size;
		if (out) {
			uart_write(v, u, off, p[0]);
		} else {
			p[0] = uart_read(u, off);
			for (uint32_t k = 1; k < size; k++)
				p[k] = 0;
		}
	}
}

static void uart_report(struct vmm *v, struct vmm_dev *d, json_t *counters)
{
	const struct uart *u = d->state;

	(void)v;
	json_object_set_new(counters, "tx_bytes", json_integer((json_int_t)u->tx_bytes));
	json_object_set_new(counters, "irqs", json_integer((json_int_t)u->irqs));
	json_object_set_new(counters, "console_bytes_dropped",
	                    json_integer((json_int_t)u->dropped));
}

/* Its line's eventfd, once the VM exists; a host without KVM_IRQFD keeps
 * raising the line by ioctl. */
static int uart_start(struct vmm *v, struct vmm_dev *d, struct vmb_error *err)
{
	struct uart *u = d->state;
	struct vmb_error ignored = {0};

	(void)err;
	if (v->fd >= 0)
		u->irq_fd = vmm_irqfd(v, u->irq, &ignored);
	return 0;
}

static void uart_release(void *state)
{
	struct uart *u = state;

	if (u && u->irq_fd >= 0)
		close(u->irq_fd);
	free(u);
}

static const struct vmm_dev_ops uart_ops = {.kind = "uart",
                                            .io = uart_io,
                                            .start = uart_start,
                                            .report = uart_report,
                                            .release = uart_release};

int vmm_uart_add(struct vmm *v, const char *name, uint16_t base, int irq, struct vmb_error *err)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u)
		return vmb_error_set(err, VMB_ERR_FAIL, "UART %s: out of memory", name);
	u->irq_fd = -1;
	u->irq = vmm_irq_alloc(v, irq, err);
	if (u->irq < 0) {
		free(u);
		return -1;
	}
	if (vmm_bus_add(v, name, base, 8, &uart_ops, u, err) < 0)
		return -1;
	u->dev = v->bus.devs[v->bus.ndevs - 1];
	return 0;
}
