/* density_internal.h: what the pieces of a density run share (bench/density.c, the
 * coordinator; density_monitor.c, the monitor; density_host.c, the host's state). */
#pragma once

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "bench/density.h"

/* Host KSM state, where the host has KSM. */
#define KSM_DIR "/sys/kernel/mm/ksm/"

/* vmbench's descriptor limit before a group raised it for its sockets (the
 * monitors give it back to their instances); rlim_cur 0: never raised. */
extern struct rlimit vmb_density_nofile;

/* This process's CPU time (getrusage `who`), in ns. */
long long vmb_density_cpu_ns(int who);

/* Sends one message (a packet) on a coordinator-monitor socket. */
void vmb_density_send(int fd, const char *msg, size_t len);

/* Where monitor i of coordinator `coordinator` leaves its sample. */
void vmb_density_sample_path(const struct vmb_group *g, pid_t coordinator, unsigned i, char *buf,
                             size_t len);

/* A monitor: runs instance i of g (held, or the victim) and leaves its
 * sample; talks on fd; never returns. */
void __attribute__((noreturn))
vmb_density_monitor(const struct vmb_group *g, unsigned i, int fd, bool held, pid_t coordinator);

/* /sys/kernel/mm/ksm/NAME, or -1. */
long long vmb_density_ksm(const char *name);
/* The host's THP policy ("always", "madvise", "never") into buf, or NULL. */
const char *vmb_density_thp(char *buf, size_t len);
/* Busy and total ticks of the host's CPUs (/proc/stat); false if unread. */
bool vmb_density_host_cpu(unsigned long long *busy, unsigned long long *total);
/* qsort's comparison of doubles, and the q-quantile (0 < q <= 1) of n sorted
 * values: the ceil(q*n)-th smallest. */
int vmb_density_cmp(const void *a, const void *b);
double vmb_density_quantile(const double *sorted, size_t n, double q);
