/* dev_legacy.c: the PC's legacy ports that a kernel probes and vmbench's guests do not
 * have (POST delay 0x80, the PS/2 controller, CMOS, the other UARTs, VGA): reads as
 * 0xff, meaning "absent", at once; writes are dropped. The catch-all of the bus. */
#include <stdio.h>
#include <string.h>

#include "runners/vm/vmm.h"

/* How many of the unclaimed ports the summary names. */
#define LEGACY_PORTS_LISTED 32

static void legacy_io(struct vmm *v, struct vmm_dev *d, uint16_t off, bool out, uint8_t *data,
                      uint32_t size, uint32_t count)
{
	(void)v;
	(void)d;
	(void)off;
	if (!out)
		memset(data, 0xff, (size_t)size * count);
}

/* Names the first unclaimed ports, so that a kernel probing something new
 * shows up in the results. */
static void legacy_report(struct vmm *v, struct vmm_dev *d, json_t *counters)
{
	json_t *ports = json_array();
	char name[8];

	(void)d;
	for (unsigned p = 0; p < 65536 && json_array_size(ports) < LEGACY_PORTS_LISTED; p++)
		if (atomic_load(&v->bus.unclaimed_ports[p / 64]) & (1ull << (p % 64))) {
			snprintf(name, sizeof(name), "0x%x", p);
			json_array_append_new(ports, json_string(name));
		}
	json_object_set_new(counters, "ports", ports);
}

static const struct vmm_dev_ops legacy_ops = {
        .kind = "legacy", .io = legacy_io, .report = legacy_report};

int vmm_legacy_add(struct vmm *v, struct vmb_error *err)
{
	return vmm_bus_add(v, "legacy", 0, 0, &legacy_ops, NULL, err);
}
