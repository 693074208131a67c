/* dev_result.c: the VMM's own device. The guest's init writes the agent's records to
 * the data port as byte strings (rep outsb: one exit per chunk) and 1 to the control
 * port when the agent is done; vmm relays whole lines to vmbench. Records cross it
 * only before and after the measured workload. The guest is untrusted: lengths are
 * bounded and anything else written to it is counted, never trusted. */
#include <stdio.h>
#include <string.h>

#include "runners/vm/vmm.h"

#define MAX_LINE (1u << 20)

static void take_line(struct vmm *v)
{
	v->line[v->line_len] = '\0';
	json_error_t jerr;
	json_t *rec = json_loads(v->line, 0, &jerr);
	const char *type = json_string_value(json_object_get(rec, "type"));
	/* phases stamped on the guest's clock mean nothing on the host's */
	if (type && strcmp(type, "phase") != 0) {
		if (strcmp(type, "done") == 0)
			v->done_seen = true;
		vmm_send(v, v->line);
	} else if (!type) {
		vmm_stop(v, VMM_STOP_ERROR, "the guest sent a malformed record: %.60s", v->line);
	}
	json_decref(rec);
	v->line_len = 0;
}

static void result_io(struct vmm *v, uint16_t port, bool out, uint8_t *data, uint32_t size,
                      uint32_t count)
{
	if (!out) {
		memset(data, port == VMM_RESULT_PORT ? VMM_RESULT_MAGIC : 0, (size_t)size * count);
		return;
	}
	if (port == VMM_RESULT_CTL) {
		if (size == 1 && data[0] == 1)
			vmm_stop(v, VMM_STOP_OFF, "the guest is done");
		return;
	}
	if (size != 1) {
		vmm_stop(v, VMM_STOP_ERROR, "the guest wrote %u bytes at once to the result port",
		         size);
		return;
	}
	pthread_mutex_lock(&v->line_lock);
	for (uint32_t i = 0; i < count; i++) {
		if (data[i] == '\n') {
			if (v->line_len)
				take_line(v);
			continue;
		}
		if (v->line_len >= MAX_LINE) {
			pthread_mutex_unlock(&v->line_lock);
			vmm_stop(v, VMM_STOP_ERROR, "the guest sent a record over %u bytes",
			         MAX_LINE);
			return;
		}
		v->line[v->line_len++] = (char)data[i];
	}
	pthread_mutex_unlock(&v->line_lock);
}

struct vmm_dev vmm_dev_result = {
        .name = "result", .base = VMM_RESULT_PORT, .len = 2, .io = result_io};
