/* fake_vm.c: vmbench-vmm's standard devices on a fake VM without /dev/kvm, for the device
 * tests: pipes where vmbench would read, port I/O on the bus, counters and records read back. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_vm.h"

/* The fake VM: the standard devices, and pipes where vmbench would read. */
static struct vmm vm;
int fv_guest_rd, fv_own_rd, fv_console_rd;

/* Both ends non-blocking: a device that writes what it should not fails
 * the test instead of hanging it on a full pipe. */
static int pipe_reader(int *write_end)
{
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	*write_end = p[1];
	return p[0];
}

struct vmm *fv_fake_vm(void)
{
	struct vmb_error err = {0};

	vmm_init(&vm);
	fv_guest_rd = pipe_reader(&vm.guest_fd);
	fv_own_rd = pipe_reader(&vm.own_fd);
	fv_console_rd = pipe_reader(&vm.console_fd);
	cr_assert_eq(vmm_devices_add(&vm, &err), 0, "%s", err.msg);
	return &vm;
}

/* Everything in a pipe now (malloc'd, NUL-terminated). */
char *fv_drain(int fd)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap + 1);
	ssize_t n;

	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	buf[len] = '\0';
	return buf;
}

void fv_out8(struct vmm *v, uint16_t port, uint8_t val)
{
	vmm_bus_io(v, port, true, &val, 1, 1);
}

uint8_t fv_in8(struct vmm *v, uint16_t port)
{
	uint8_t val = 0x5c; /* neither 0 nor 0xff: a read that fills nothing shows */

	vmm_bus_io(v, port, false, &val, 1, 1);
	return val;
}

/* A string write, as rep outsb does it. */
void fv_outs(struct vmm *v, uint16_t port, const char *s)
{
	vmm_bus_io(v, port, true, (uint8_t *)s, 1, (uint32_t)strlen(s));
}

json_t *fv_counters(struct vmm *v, const char *dev)
{
	json_t *all = vmm_bus_report(v);
	json_t *c = json_incref(json_object_get(all, dev));

	json_decref(all);
	cr_assert_not_null(c, "no counters for %s", dev);
	return c;
}

long long fv_counter(struct vmm *v, const char *dev, const char *key)
{
	json_t *c = fv_counters(v, dev);
	json_t *n = json_object_get(c, key);

	cr_assert(json_is_integer(n), "%s has no counter %s", dev, key);
	long long val = json_integer_value(n);
	json_decref(c);
	return val;
}

/* The one line on the guest channel, parsed. */
json_t *fv_one_guest_record(void)
{
	char *text = fv_drain(fv_guest_rd);
	char *nl = strchr(text, '\n');

	cr_assert_not_null(nl, "nothing relayed");
	cr_assert_eq(nl[1], '\0', "more than one line relayed: %s", text);
	json_t *rec = json_loads(text, 0, NULL);
	cr_assert_not_null(rec, "not JSON: %s", text);
	free(text);
	return rec;
}

/* The guest channel on an unlinked file instead of the fake VM's pipe, for
 * more than a pipe holds. */
int fv_guest_to_file(struct vmm *v)
{
	char path[] = "/tmp/vmbench-devices-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	unlink(path);
	close(v->guest_fd);
	v->guest_fd = fd;
	return fd;
}

long long fv_summary_int(struct vmm *v, const char *key, char *example, size_t len)
{
	json_t *sum = vmm_summary(v, "k");
	json_t *n = json_object_get(sum, key);

	cr_assert(json_is_integer(n), "summary lacks %s", key);
	long long val = json_integer_value(n);
	if (example)
		snprintf(example, len, "%s",
		         json_string_value(json_object_get(sum, "guest_refused_example")) ?: "");
	json_decref(sum);
	return val;
}
