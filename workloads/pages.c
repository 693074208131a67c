/* pages.c: the memory workloads' questions about pages (see pages.h). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pages.h"

void *vmb_map_2m_aligned(size_t len)
{
	size_t span = len + VMB_HUGE_2M;
	char *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	char *start = (char *)(((uintptr_t)p + VMB_HUGE_2M - 1) & ~(uintptr_t)(VMB_HUGE_2M - 1));
	if (start > p)
		munmap(p, (size_t)(start - p));
	if (p + span > start + len)
		munmap(start + len, (size_t)(p + span - (start + len)));
	return start;
}

long vmb_anon_huge_kib(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	bool in = false;
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t lo, hi;
		long v;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2) {
			if (in)
				break;
			in = lo == (uintptr_t)addr;
		} else if (in && sscanf(line, "AnonHugePages: %ld kB", &v) == 1) {
			kib = v;
			break;
		}
	}
	fclose(f);
	return kib;
}

void vmb_thp_mode(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	char line[128], *a, *b;

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && (a = strchr(line, '[')) && (b = strchr(a, ']'))) {
		*b = '\0';
		snprintf(buf, len, "%s", a + 1);
	}
	fclose(f);
}

long vmb_status_kib(const char *key)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = atol(line + strlen(key));
	if (f)
		fclose(f);
	return v;
}
