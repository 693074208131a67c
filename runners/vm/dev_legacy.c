/* dev_legacy.c: the PC's legacy ports that a kernel probes and vmbench's guests do not
 * have (POST delay 0x80, the PS/2 controller, CMOS, the other UARTs, VGA): reads as
 * 0xff, meaning "absent", at once; writes are dropped. */
#include <string.h>

#include "runners/vm/vmm.h"

static void legacy_io(struct vmm *v, uint16_t port, bool out, uint8_t *data, uint32_t size,
                      uint32_t count)
{
	if (!out)
		memset(data, 0xff, (size_t)size * count);
}

/* Registered as a catch-all: the dispatcher falls back to it for any port no
 * other device claims, and counts those separately. */
struct vmm_dev vmm_dev_legacy = {.name = "legacy", .base = 0, .len = 0, .io = legacy_io};
