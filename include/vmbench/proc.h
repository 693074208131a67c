/* proc.h: what /proc and CPUID say about a process and the host, read in one place. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The runner-memory figure, one definition for every runner: the KiB of
 * anonymous memory that pid alone holds, counted per mapping as the smaller
 * of Private_Dirty and Anonymous (its heap, stack and written data, not file
 * pages: neither clean program text, which the page cache shares with every
 * other instance, nor the "dirty" pages of a program run from tmpfs), plus its
 * pages now in swap (Swap), from /proc/PID/smaps, leaving out any mapping that
 * overlaps [skip_lo, skip_hi) (a VMM's guest RAM, which is the guest's, not
 * the runner's). pid 0 means this process. -1 if smaps cannot be read. */
long vmb_proc_private_kib(pid_t pid, uint64_t skip_lo, uint64_t skip_hi);

/* Parses smaps text as vmb_proc_private_kib does (for tests and for it). */
long vmb_smaps_private_kib(const char *text, uint64_t skip_lo, uint64_t skip_hi);

/* The cgroup v1 controllers that have a hierarchy and are enabled, from
 * /proc/cgroups, separated by `sep` into buf ("" if none or unreadable). */
void vmb_proc_v1_controllers(char *buf, size_t len, char sep);

/* The same, from the text of a /proc/cgroups file (for tests and for it). */
void vmb_parse_v1_controllers(const char *text, char *buf, size_t len, char sep);

/* The controllers a cgroup v2 tree mounted at mnt offers (its
 * cgroup.controllers), separated by `sep` into buf ("" if unreadable). */
void vmb_proc_v2_controllers(const char *mnt, char *buf, size_t len, char sep);

/* Where the cgroup2 file system is mounted under /sys/fs/cgroup ("" if not)
 * and whether any v1 hierarchy is mounted there. */
void vmb_cgroup_mounts(char *v2, size_t len, bool *v1);

/* "v1", "v2" or "hybrid" (v1 controllers beside a v2 tree), from the file
 * systems mounted under /sys/fs/cgroup; "none" if neither is mounted. */
const char *vmb_cgroup_mode(void);

/* Whether this host is itself an emulator's guest (QEMU TCG, from the
 * hypervisor CPUID leaf); its signature ("" when none) goes to signature
 * (may be NULL). Every figure measured on such a host is labelled emulated. */
bool vmb_host_emulated(char *signature, size_t len);
