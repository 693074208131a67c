/* bus.c: the port-I/O bus of one VM: a short table of device instances, each a range,
 * a handler and its own state and lock, and the catch-all for ports nobody claims. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runners/vm/vmm.h"

static void bus_dev_free(struct vmm_dev *d)
{
	if (d->ops->release)
		d->ops->release(d->state);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int vmm_bus_add(struct vmm *v, const char *name, uint16_t base, uint16_t len,
                const struct vmm_dev_ops *ops, void *state, struct vmb_error *err)
{
	struct vmm_bus *b = &v->bus;
	struct vmm_dev *d = calloc(1, sizeof(*d));

	if (!d) {
		if (ops->release)
			ops->release(state);
		return vmb_error_set(err, VMB_ERR_FAIL, "device %s: out of memory", name);
	}
	d->ops = ops;
	d->state = state;
	d->base = base;
	d->len = len;
	pthread_mutex_init(&d->lock, NULL);
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (strlen(name) >= sizeof(d->name) || strcmp(name, "unclaimed_ports") == 0) {
		bus_dev_free(d);
		return vmb_error_set(err, VMB_ERR_FAIL, "device name '%s' is not allowed", name);
	}
	if (len == 0 && b->fallback) {
		bus_dev_free(d);
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "device %s: %s already takes unclaimed ports", name,
		                     b->fallback->name);
	}
	if ((uint32_t)base + len > 65536) {
		bus_dev_free(d);
		return vmb_error_set(err, VMB_ERR_FAIL, "device %s: ports 0x%x+%u past 0xffff",
		                     name, base, len);
	}
	for (unsigned i = 0; i < b->ndevs; i++) {
		struct vmm_dev *o = b->devs[i];
		if (strcmp(o->name, name) == 0 ||
		    (len && base < o->base + o->len && o->base < base + len)) {
			bus_dev_free(d);
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "device %s at 0x%x+%u clashes with %s at 0x%x+%u",
			                     name, base, len, o->name, o->base, o->len);
		}
	}
	if (b->ndevs == VMM_MAX_DEVS) {
		bus_dev_free(d);
		return vmb_error_set(err, VMB_ERR_FAIL, "device %s: the bus is full (%d devices)",
		                     name, VMM_MAX_DEVS);
	}
	b->devs[b->ndevs++] = d;
	if (len == 0)
		b->fallback = d;
	return 0;
}

static struct vmm_dev *bus_find(struct vmm_bus *b, uint16_t port)
{
	for (unsigned i = 0; i < b->ndevs; i++) {
		struct vmm_dev *d = b->devs[i];
		if (port >= d->base && port - d->base < d->len)
			return d;
	}
	return NULL;
}

void vmm_bus_io(struct vmm *v, uint16_t port, bool out, uint8_t *data, uint32_t size,
                uint32_t count)
{
	struct vmm_bus *b = &v->bus;
	struct vmm_dev *d = bus_find(b, port);

	if (!d) {
		atomic_fetch_add(&b->unclaimed_exits, 1);
		atomic_fetch_or(&b->unclaimed_ports[port / 64], 1ull << (port % 64));
		d = b->fallback;
		if (!d) {
			if (!out)
				memset(data, 0xff, (size_t)size * count);
			return;
		}
	}
	atomic_fetch_add(&d->exits, 1);
	pthread_mutex_lock(&d->lock);
	d->ops->io(v, d, (uint16_t)(port - d->base), out, data, size, count);
	pthread_mutex_unlock(&d->lock);
}

void vmm_bus_exit_io(struct vmm *v, struct kvm_run *run, size_t run_size)
{
	uint32_t size = run->io.size, count = run->io.count;
	uint64_t off = run->io.data_offset;

	/* size and count come from the guest's instruction, via KVM: the data
	 * they describe must lie inside the kvm_run page */
	if ((size != 1 && size != 2 && size != 4) || count == 0 || off > run_size ||
	    (uint64_t)size * count > run_size - off) {
		vmm_stop(v, VMM_STOP_ERROR, "port I/O at 0x%x with size %u count %u out of bounds",
		         run->io.port, size, count);
		return;
	}
	vmm_bus_io(v, run->io.port, run->io.direction == KVM_EXIT_IO_OUT, (uint8_t *)run + off,
	           size, count);
}

json_t *vmm_bus_report(struct vmm *v)
{
	struct vmm_bus *b = &v->bus;
	json_t *devs = json_object();

	for (unsigned i = 0; i < b->ndevs; i++) {
		struct vmm_dev *d = b->devs[i];
		json_t *c = json_object();
		json_object_set_new(c, "exits", json_integer((json_int_t)atomic_load(&d->exits)));
		if (d->ops->report) {
			pthread_mutex_lock(&d->lock);
			d->ops->report(v, d, c);
			pthread_mutex_unlock(&d->lock);
		}
		json_object_set_new(devs, d->name, c);
	}
	json_object_set_new(devs, "unclaimed_ports",
	                    json_integer((json_int_t)atomic_load(&b->unclaimed_exits)));
	return devs;
}

void vmm_bus_release(struct vmm *v)
{
	struct vmm_bus *b = &v->bus;

	for (unsigned i = 0; i < b->ndevs; i++)
		bus_dev_free(b->devs[i]);
	b->ndevs = 0;
	b->fallback = NULL;
}
