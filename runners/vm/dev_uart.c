/* dev_uart.c: an 8250/16550 UART at 0x3f8 (ttyS0), the guest's console. It answers
 * the kernel's probe (scratch register, loopback through MCR/MSR, FIFO bits in IIR)
 * and raises IRQ 4 when the transmitter empties, which user-space writes wait for. */
#include <unistd.h>

#include "runners/vm/vmm.h"

enum { RBR_THR, IER, IIR_FCR, LCR, MCR, LSR, MSR, SCR };

static struct {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thre_pending; /* transmitter-empty interrupt not yet acknowledged */
	char line[256];
	size_t len;
} u;

static void console_byte(struct vmm *v, uint8_t b)
{
	if (b == '\r')
		return;
	if (v->console_fd >= 0)
		(void)!write(v->console_fd, &b, 1);
	if (v->verbose)
		(void)!write(5, &b, 1);
	if (b == '\n' && !v->console_line_seen) {
		v->console_line_seen = true;
		vmm_phase(v, "first_console_line");
	}
}

static void update_irq(struct vmm *v)
{
	if ((u.ier & 0x02) && u.thre_pending)
		vmm_irq_pulse(v, 4);
}

static uint8_t msr_value(void)
{
	if (u.mcr & 0x10) /* loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
		return (uint8_t)(((u.mcr & 0x01) << 5) | ((u.mcr & 0x02) << 3) |
		                 ((u.mcr & 0x04) << 4) | ((u.mcr & 0x08) << 4));
	return 0xb0; /* DCD, DSR, CTS */
}

static void uart_io(struct vmm *v, uint16_t port, bool out, uint8_t *data, uint32_t size,
                    uint32_t count)
{
	unsigned reg = port - 0x3f8u;
	bool dlab = u.lcr & 0x80;

	for (uint32_t i = 0; i < count; i++) {
		uint8_t *d = data + (size_t)i * size;
		if (out) {
			switch (reg) {
			case RBR_THR:
				if (dlab) {
					u.dll = *d;
				} else {
					console_byte(v, *d);
					u.thre_pending = true;
					update_irq(v);
				}
				break;
			case IER:
				if (dlab) {
					u.dlm = *d;
				} else {
					u.ier = *d & 0x0f;
					if (u.ier & 0x02)
						u.thre_pending = true;
					update_irq(v);
				}
				break;
			case IIR_FCR:
				u.fcr = *d;
				break;
			case LCR:
				u.lcr = *d;
				break;
			case MCR:
				u.mcr = *d & 0x1f;
				break;
			case SCR:
				u.scr = *d;
				break;
			default:
				break;
			}
			continue;
		}
		switch (reg) {
		case RBR_THR:
			*d = dlab ? u.dll : 0;
			break;
		case IER:
			*d = dlab ? u.dlm : u.ier;
			break;
		case IIR_FCR:
			/* reading IIR acknowledges a transmitter-empty interrupt */
			*d = (uint8_t)(((u.fcr & 1) ? 0xc0 : 0) |
			               ((u.ier & 0x02) && u.thre_pending ? 0x02 : 0x01));
			u.thre_pending = false;
			break;
		case LCR:
			*d = u.lcr;
			break;
		case MCR:
			*d = u.mcr;
			break;
		case LSR:
			*d = 0x60; /* transmitter holding register and shifter empty, no input */
			break;
		case MSR:
			*d = msr_value();
			break;
		case SCR:
			*d = u.scr;
			break;
		default:
			*d = 0xff;
			break;
		}
	}
}

struct vmm_dev vmm_dev_uart = {.name = "uart", .base = 0x3f8, .len = 8, .io = uart_io};
