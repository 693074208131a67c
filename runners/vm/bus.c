/* bus.c: the bus of one VM: device instances, each with its own state, lock and
 * counters, and the port and MMIO ranges they claim, kept sorted and found by binary
 * search; the catch-all for ports nobody claims; the devices' init and exit hooks. */
#include <stdarg.h>
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

static bool bus_name_ok(const char *name)
{
	return strlen(name) < sizeof(((struct vmm_dev *)0)->name) &&
	       strcmp(name, "unclaimed_ports") != 0 && strcmp(name, "unclaimed_mmio") != 0;
}

int vmm_bus_add_dev(struct vmm *v, const char *name, const struct vmm_dev_ops *ops, void *state,
                    struct vmm_dev **out, struct vmb_error *err)
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
	pthread_mutex_init(&d->lock, NULL);
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (!bus_name_ok(name)) {
		bus_dev_free(d);
		return vmb_error_set(err, VMB_ERR_FAIL, "device name '%s' is not allowed", name);
	}
	for (unsigned i = 0; i < b->ndevs; i++)
		if (strcmp(b->devs[i]->name, name) == 0) {
			bus_dev_free(d);
			return vmb_error_set(err, VMB_ERR_FAIL, "device name %s is taken", name);
		}
	if (b->ndevs == VMM_MAX_DEVS) {
		bus_dev_free(d);
		return vmb_error_set(err, VMB_ERR_FAIL, "device %s: the bus is full (%d devices)",
		                     name, VMM_MAX_DEVS);
	}
	b->devs[b->ndevs++] = d;
	if (out)
		*out = d;
	return 0;
}

int vmm_bus_add(struct vmm *v, const char *name, uint16_t base, uint16_t len,
                const struct vmm_dev_ops *ops, void *state, struct vmb_error *err)
{
	struct vmm_bus *b = &v->bus;
	struct vmm_dev *d;

	if (len == 0 && base == 0 && b->fallback) {
		if (ops->release)
			ops->release(state);
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "device %s: %s already takes unclaimed ports", name,
		                     b->fallback->name);
	}
	if (vmm_bus_add_dev(v, name, ops, state, &d, err) < 0)
		return -1;
	if (len == 0) {
		if (base == 0)
			b->fallback = d;
		return 0;
	}
	if (vmm_bus_map(v, d, VMM_PIO, 0, base, len, err) < 0) {
		/* the device was never reachable: take it off again */
		b->ndevs--;
		bus_dev_free(d);
		return -1;
	}
	return 0;
}

/* The index of the first range whose base is above addr (with the lock). */
static unsigned bus_upper(const struct vmm_range *r, unsigned n, uint64_t addr)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (r[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Removes d's range `region` from a range table (with the write lock). */
static void bus_drop(struct vmm_bus *b, enum vmm_space space, struct vmm_dev *d, int region)
{
	struct vmm_range *r = b->ranges[space];

	for (unsigned i = 0; i < b->nranges[space]; i++)
		if (r[i].dev == d && r[i].region == region) {
			memmove(&r[i], &r[i + 1], (b->nranges[space] - i - 1) * sizeof(*r));
			b->nranges[space]--;
			return;
		}
}

int vmm_bus_map(struct vmm *v, struct vmm_dev *d, enum vmm_space space, int region, uint64_t base,
                uint64_t len, struct vmb_error *err)
{
	struct vmm_bus *b = &v->bus;
	uint64_t limit = space == VMM_PIO ? 0x10000 : 1ull << 52;
	const char *what = space == VMM_PIO ? "ports" : "MMIO";
	int rc = 0;

	if (len == 0 || base >= limit || len > limit - base)
		return vmb_error_set(err, VMB_ERR_FAIL, "device %s: %s 0x%llx+0x%llx out of range",
		                     d->name, what, (unsigned long long)base,
		                     (unsigned long long)len);
	if (space == VMM_MMIO && base < v->mem_size)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "device %s: MMIO at 0x%llx lies in guest RAM (below 0x%llx)",
		                     d->name, (unsigned long long)base,
		                     (unsigned long long)v->mem_size);
	pthread_rwlock_wrlock(&b->lock);
	struct vmm_range *r = b->ranges[space];
	unsigned n = b->nranges[space];
	for (unsigned i = 0; i < n; i++) {
		if (r[i].dev == d && r[i].region == region)
			continue; /* the range being moved */
		if (base < r[i].base + r[i].len && r[i].base < base + len) {
			rc = vmb_error_set(err, VMB_ERR_FAIL,
			                   "device %s at %s 0x%llx+0x%llx clashes with %s at "
			                   "0x%llx+0x%llx",
			                   d->name, what, (unsigned long long)base,
			                   (unsigned long long)len, r[i].dev->name,
			                   (unsigned long long)r[i].base,
			                   (unsigned long long)r[i].len);
			goto out;
		}
	}
	bus_drop(b, space, d, region);
	n = b->nranges[space];
	if (n == VMM_MAX_RANGES) {
		rc = vmb_error_set(err, VMB_ERR_FAIL, "device %s: the bus has no room for more %s",
		                   d->name, what);
		goto out;
	}
	unsigned at = bus_upper(r, n, base);
	memmove(&r[at + 1], &r[at], (n - at) * sizeof(*r));
	r[at] = (struct vmm_range){.base = base, .len = len, .dev = d, .region = region};
	b->nranges[space]++;
out:
	pthread_rwlock_unlock(&b->lock);
	return rc;
}

void vmm_bus_unmap(struct vmm *v, struct vmm_dev *d, enum vmm_space space, int region)
{
	pthread_rwlock_wrlock(&v->bus.lock);
	bus_drop(&v->bus, space, d, region);
	pthread_rwlock_unlock(&v->bus.lock);
}

/* The device claiming addr, its region and the offset there; NULL if none.
 * Devices are never freed while the VM runs, so d stays valid unlocked. */
static struct vmm_dev *bus_find(struct vmm_bus *b, enum vmm_space space, uint64_t addr, int *region,
                                uint64_t *off)
{
	struct vmm_dev *d = NULL;

	pthread_rwlock_rdlock(&b->lock);
	unsigned i = bus_upper(b->ranges[space], b->nranges[space], addr);
	if (i > 0) {
		const struct vmm_range *r = &b->ranges[space][i - 1];
		if (addr - r->base < r->len) {
			d = r->dev;
			*region = r->region;
			*off = addr - r->base;
		}
	}
	pthread_rwlock_unlock(&b->lock);
	return d;
}

void vmm_bus_io(struct vmm *v, uint16_t port, bool out, uint8_t *data, uint32_t size,
                uint32_t count)
{
	struct vmm_bus *b = &v->bus;
	uint64_t off = 0;
	int region = 0;
	struct vmm_dev *d = bus_find(b, VMM_PIO, port, &region, &off);

	if (!d || !d->ops->io) {
		atomic_fetch_add(&b->unclaimed_exits, 1);
		atomic_fetch_or(&b->unclaimed_ports[port / 64], 1ull << (port % 64));
		d = b->fallback;
		off = port;
		if (!d) {
			if (!out)
				memset(data, 0xff, (size_t)size * count);
			return;
		}
	}
	atomic_fetch_add(&d->exits, 1);
	pthread_mutex_lock(&d->lock);
	d->ops->io(v, d, (uint16_t)off, out, data, size, count);
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

void vmm_bus_mmio(struct vmm *v, uint64_t addr, bool write, uint8_t *data, uint32_t len)
{
	struct vmm_bus *b = &v->bus;
	uint64_t off = 0;
	int region = 0;
	struct vmm_dev *d;

	if (len == 0 || len > 8) {
		vmm_stop(v, VMM_STOP_ERROR, "MMIO at 0x%llx of %u bytes", (unsigned long long)addr,
		         len);
		return;
	}
	d = bus_find(b, VMM_MMIO, addr, &region, &off);
	if (!d || !d->ops->mmio) {
		uint64_t none = 0;
		atomic_fetch_add(&b->unclaimed_mmio, 1);
		atomic_compare_exchange_strong(&b->first_unclaimed_mmio, &none, addr + 1);
		if (!write)
			memset(data, 0xff, len);
		return;
	}
	atomic_fetch_add(&d->exits, 1);
	pthread_mutex_lock(&d->lock);
	d->ops->mmio(v, d, region, off, write, data, len);
	pthread_mutex_unlock(&d->lock);
}

int vmm_bus_start(struct vmm *v, struct vmb_error *err)
{
	for (unsigned i = 0; i < v->bus.ndevs; i++) {
		struct vmm_dev *d = v->bus.devs[i];
		if (d->ops->start && d->ops->start(v, d, err) < 0)
			return vmb_error_prefix(err, "device %s", d->name);
	}
	return 0;
}

void vmm_bus_stop(struct vmm *v)
{
	for (unsigned i = v->bus.ndevs; i-- > 0;) {
		struct vmm_dev *d = v->bus.devs[i];
		if (d->ops->stop)
			d->ops->stop(v, d);
	}
}

void vmm_dev_error(struct vmm_dev *d, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&d->errors, 1);
	if (d->first_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(d->first_error, sizeof(d->first_error), fmt, ap);
	va_end(ap);
}

void vmm_dev_host_error(struct vmm_dev *d, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&d->host_errors, 1);
	if (d->first_host_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(d->first_host_error, sizeof(d->first_host_error), fmt, ap);
	va_end(ap);
}

void vmm_dev_broken(struct vmm_dev *d, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&d->errors, 1);
	if (d->broken[0])
		return;
	atomic_fetch_add(&d->stops, 1);
	va_start(ap, fmt);
	vsnprintf(d->broken, sizeof(d->broken), fmt, ap);
	va_end(ap);
	if (!d->broken[0])
		snprintf(d->broken, sizeof(d->broken), "stopped");
	if (!d->first_error[0])
		memcpy(d->first_error, d->broken, sizeof(d->broken));
}

static void bus_count(json_t *c, const char *key, atomic_ullong *n)
{
	json_object_set_new(c, key, json_integer((json_int_t)atomic_load(n)));
}

json_t *vmm_bus_report(struct vmm *v)
{
	struct vmm_bus *b = &v->bus;
	json_t *devs = json_object();

	for (unsigned i = 0; i < b->ndevs; i++) {
		struct vmm_dev *d = b->devs[i];
		json_t *c = json_object();
		json_object_set_new(c, "kind", json_string(d->ops->kind));
		bus_count(c, "exits", &d->exits);
		bus_count(c, "requests", &d->requests);
		bus_count(c, "bytes", &d->bytes);
		bus_count(c, "interrupts", &d->interrupts);
		bus_count(c, "notifies", &d->notifies);
		bus_count(c, "errors", &d->errors);
		bus_count(c, "stops", &d->stops);
		bus_count(c, "host_errors", &d->host_errors);
		pthread_mutex_lock(&d->lock);
		if (d->broken[0])
			json_object_set_new(c, "broken", json_string(d->broken));
		if (d->first_error[0])
			json_object_set_new(c, "first_error", json_string(d->first_error));
		if (d->first_host_error[0])
			json_object_set_new(c, "first_host_error",
			                    json_string(d->first_host_error));
		if (d->ops->report)
			d->ops->report(v, d, c);
		pthread_mutex_unlock(&d->lock);
		json_object_set_new(devs, d->name, c);
	}
	json_object_set_new(devs, "unclaimed_ports",
	                    json_integer((json_int_t)atomic_load(&b->unclaimed_exits)));
	json_object_set_new(devs, "unclaimed_mmio",
	                    json_integer((json_int_t)atomic_load(&b->unclaimed_mmio)));
	uint64_t first = atomic_load(&b->first_unclaimed_mmio);
	if (first) {
		char at[24];
		snprintf(at, sizeof(at), "0x%llx", (unsigned long long)(first - 1));
		json_object_set_new(devs, "first_unclaimed_mmio", json_string(at));
	}
	return devs;
}

void vmm_bus_release(struct vmm *v)
{
	struct vmm_bus *b = &v->bus;

	for (unsigned i = 0; i < b->ndevs; i++)
		bus_dev_free(b->devs[i]);
	b->ndevs = 0;
	b->nranges[VMM_PIO] = b->nranges[VMM_MMIO] = 0;
	b->fallback = NULL;
}
