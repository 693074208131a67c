/* pages.h: what the memory workloads ask of the kernel's pages: a mapping that
 * huge pages can fill, whether they did, and the host's transparent huge page mode. */
#pragma once

#include <stddef.h>

#define VMB_HUGE_2M ((size_t)2 << 20)

/* An anonymous mapping of len bytes starting on a 2 MiB boundary, the slack
 * around it unmapped, so it is one VMA of exactly len bytes that huge pages
 * can fill; NULL with errno set on failure. */
void *vmb_map_2m_aligned(size_t len);

/* AnonHugePages of the mapping that starts at addr, in KiB, from
 * /proc/self/smaps; -1 when it cannot be read or the mapping is not there. */
long vmb_anon_huge_kib(const void *addr);

/* The bracketed word of the host's THP mode ("madvise"), or "unknown". */
void vmb_thp_mode(char *buf, size_t len);

/* A "kB" line of /proc/self/status ("VmRSS:"), or -1 when there is none. */
long vmb_status_kib(const char *key);
