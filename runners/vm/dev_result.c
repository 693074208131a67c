/* dev_result.c: the VMM's own device. The guest's init writes the agent's records to
 * the data port as byte strings (rep outsb: one exit per chunk) and 1 to the control
 * port when the agent is done. The guest is untrusted: a line is relayed to vmbench
 * only as a JSON object of a type vmb_record_type_allowed names, re-serialised and tagged
 * "from":"guest", and only within the VM's caps on records and bytes; anything else is
 * refused and counted, and the VM goes on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runners/vm/vmm.h"
#include "vmbench/record.h"

struct result_dev {
	char *line; /* VMB_RECORD_MAX bytes */
	size_t len;
	bool overlong;  /* the line now arriving went past the bound: dropped to its end */
	bool done_seen; /* a "done" record came through */
	uint64_t relayed, refused, phases_dropped;
};

static void result_refuse(struct vmm *v, struct result_dev *r, const char *what)
{
	r->refused++;
	vmm_guest_refused(v, what);
}

/* One whole line from the guest: relayed if it is an allowed record. */
static void result_take_line(struct vmm *v, struct result_dev *r)
{
	json_error_t jerr;
	json_t *rec = json_loadb(r->line, r->len, JSON_REJECT_DUPLICATES, &jerr);
	const char *type = json_string_value(json_object_get(rec, "type"));
	char *text = NULL;
	const char *why;

	if (!json_is_object(rec) || !type) {
		result_refuse(v, r, "malformed");
	} else if (strcmp(type, "phase") == 0 &&
	           strcmp(json_string_value(json_object_get(rec, "name")) ?: "", "setup_done") !=
	                   0) {
		/* stamped on the guest's clock, which means nothing on the host's */
		r->phases_dropped++;
	} else if (!vmb_record_type_allowed(type)) {
		char what[64];
		snprintf(what, sizeof(what), "%s", type);
		result_refuse(v, r, what);
	} else {
		/* setup_done is relayed as the moment it arrives (a density run
		 * holds the guest there), without the guest's clock */
		if (strcmp(type, "phase") == 0)
			json_object_del(rec, "mono_ns");
		json_object_set_new(rec, "from", json_string("guest"));
		text = json_dumps(rec, JSON_COMPACT);
		if (!text) {
			result_refuse(v, r, "malformed");
		} else if (strlen(text) > VMB_RECORD_MAX) {
			result_refuse(v, r, "too long"); /* grew when re-serialised */
		} else if ((why = vmm_send_guest(v, text)) != NULL) {
			result_refuse(v, r, why);
		} else {
			if (strcmp(type, "done") == 0)
				r->done_seen = true;
			r->relayed++;
		}
	}
	free(text);
	json_decref(rec);
}

static void result_bytes(struct vmm *v, struct result_dev *r, const uint8_t *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			if (!r->overlong && r->len)
				result_take_line(v, r);
			r->len = 0;
			r->overlong = false;
			continue;
		}
		if (r->overlong)
			continue;
		if (r->len == VMB_RECORD_MAX) {
			/* refused once, now: the guest may never end the line */
			r->overlong = true;
			result_refuse(v, r, "too long");
			continue;
		}
		r->line[r->len++] = (char)data[i];
	}
}

static void result_io(struct vmm *v, struct vmm_dev *d, uint16_t off, bool out, uint8_t *data,
                      uint32_t size, uint32_t count)
{
	struct result_dev *r = d->state;
	size_t n = (size_t)size * count;

	if (!out) {
		memset(data, off == 0 ? VMM_RESULT_MAGIC : 0, n);
		return;
	}
	if (off == 1) {
		if (data[0] == 1)
			vmm_stop(v, VMM_STOP_OFF, "the guest is done");
		return;
	}
	/* bytes are bytes, however wide the guest's writes */
	result_bytes(v, r, data, n);
}

static void result_report(struct vmm *v, struct vmm_dev *d, json_t *counters)
{
	const struct result_dev *r = d->state;

	(void)v;
	json_object_set_new(counters, "records_relayed", json_integer((json_int_t)r->relayed));
	json_object_set_new(counters, "records_refused", json_integer((json_int_t)r->refused));
	json_object_set_new(counters, "phases_dropped",
	                    json_integer((json_int_t)r->phases_dropped));
	json_object_set_new(counters, "done_seen", json_boolean(r->done_seen));
}

static void result_release(void *state)
{
	struct result_dev *r = state;

	if (r)
		free(r->line);
	free(r);
}

static const struct vmm_dev_ops result_ops = {
        .kind = "result", .io = result_io, .report = result_report, .release = result_release};

int vmm_result_add(struct vmm *v, const char *name, uint16_t base, struct vmb_error *err)
{
	struct result_dev *r = calloc(1, sizeof(*r));

	if (r)
		r->line = malloc(VMB_RECORD_MAX);
	if (!r || !r->line) {
		result_release(r);
		return vmb_error_set(err, VMB_ERR_FAIL, "result device %s: out of memory", name);
	}
	return vmm_bus_add(v, name, base, 2, &result_ops, r, err);
}
