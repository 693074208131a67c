/* fake_vm.h: a fake VM for the device tests: vmbench-vmm's standard devices without /dev/kvm,
 * its channels on pipes, port I/O on its bus, and what it counted and relayed read back. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "runners/vm/vmm.h"

/* The read ends (non-blocking) of the fake VM's guest, own and console channels. */
extern int fv_guest_rd, fv_own_rd, fv_console_rd;

/* A fresh fake VM (one, shared): the standard devices, and pipes where vmbench would read. */
struct vmm *fv_fake_vm(void);

/* Everything in fd now (malloc'd, NUL-terminated). */
char *fv_drain(int fd);

/* One byte written to port on v's bus. */
void fv_out8(struct vmm *v, uint16_t port, uint8_t val);

/* One byte read from port on v's bus (0x5c if no device filled it). */
uint8_t fv_in8(struct vmm *v, uint16_t port);

/* s written to port in one exit, as rep outsb does it. */
void fv_outs(struct vmm *v, uint16_t port, const char *s);

/* dev's counters from the bus report (a new reference); fails the test if there are none. */
json_t *fv_counters(struct vmm *v, const char *dev);

/* dev's integer counter key; fails the test if it has none. */
long long fv_counter(struct vmm *v, const char *dev, const char *key);

/* The one line on the guest channel, parsed; fails the test unless exactly one JSON line. */
json_t *fv_one_guest_record(void);

/* v's guest channel moved to an unlinked file, for more than a pipe holds; returns its fd. */
int fv_guest_to_file(struct vmm *v);

/* The summary's integer key (fails the test if absent); with example, its
 * guest_refused_example copied there ("" if none). */
long long fv_summary_int(struct vmm *v, const char *key, char *example, size_t len);
