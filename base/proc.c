/* proc.c: readers of /proc (smaps, cgroups, mounts) and of the hypervisor CPUID leaf. */
#include <cpuid.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/proc.h"
#include "vmbench/util.h"

/* Reads a whole small text file (/proc files report size 0); malloc'd or NULL. */
static char *slurp_text(const char *path)
{
	FILE *f = fopen(path, "re");
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap);

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	for (;;) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

long vmb_smaps_private_kib(const char *text, uint64_t skip_lo, uint64_t skip_hi)
{
	long sum = 0, dirty = 0, anon = 0, v;
	bool skip = false, any = false;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		uint64_t lo, hi;
		/* a mapping's header: "start-end perms offset dev inode path" */
		if (sscanf(p, "%" SCNx64 "-%" SCNx64 " ", &lo, &hi) == 2 && strchr(p, ' ') &&
		    strchr(p, '-') < strchr(p, ' ')) {
			/* the mapping before this one is complete */
			sum += skip ? 0 : (dirty < anon ? dirty : anon);
			dirty = anon = 0;
			skip = lo < skip_hi && hi > skip_lo;
			continue;
		}
		if (sscanf(p, "Private_Dirty: %ld kB", &v) == 1) {
			dirty = v;
			any = true;
		} else if (sscanf(p, "Anonymous: %ld kB", &v) == 1) {
			anon = v;
		} else if (sscanf(p, "Swap: %ld kB", &v) == 1) {
			any = true;
			sum += skip ? 0 : v;
		}
	}
	sum += skip ? 0 : (dirty < anon ? dirty : anon);
	return any ? sum : -1;
}

long vmb_proc_private_kib(pid_t pid, uint64_t skip_lo, uint64_t skip_hi)
{
	char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps");
	vmb_autofree char *text = slurp_text(path);
	return text ? vmb_smaps_private_kib(text, skip_lo, skip_hi) : -1;
}

void vmb_parse_v1_controllers(const char *text, char *buf, size_t len, char sep)
{
	size_t used = 0;

	buf[0] = '\0';
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char line[160], name[64];
		int hier, num, enabled;
		/* one line at a time; "#subsys_name hierarchy num_cgroups enabled",
		 * the header, does not parse */
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
		if (sscanf(line, "%63s %d %d %d", name, &hier, &num, &enabled) != 4 || hier == 0 ||
		    !enabled || used >= len)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		                         used ? (char[]){sep, 0} : "", name);
	}
}

void vmb_proc_v1_controllers(char *buf, size_t len, char sep)
{
	vmb_autofree char *text = slurp_text("/proc/cgroups");

	vmb_parse_v1_controllers(text, buf, len, sep);
}

void vmb_proc_v2_controllers(const char *mnt, char *buf, size_t len, char sep)
{
	char path[600];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	for (char *c = buf; *c; c++)
		if (*c == ' ')
			*c = sep;
}

void vmb_cgroup_mounts(char *v2, size_t len, bool *v1)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], dir[512], type[64];

	v2[0] = '\0';
	*v1 = false;
	if (!f)
		return;
	while (fscanf(f, "%255s %511s %63s %*[^\n]", dev, dir, type) == 3) {
		if (strncmp(dir, "/sys/fs/cgroup", 14) != 0)
			continue;
		if (strcmp(type, "cgroup2") == 0 && !v2[0])
			snprintf(v2, len, "%s", dir);
		else if (strcmp(type, "cgroup") == 0)
			*v1 = true;
	}
	fclose(f);
}

const char *vmb_cgroup_mode(void)
{
	char v2[512];
	bool v1;

	vmb_cgroup_mounts(v2, sizeof(v2), &v1);
	if (v1)
		return v2[0] ? "hybrid" : "v1";
	return v2[0] ? "v2" : "none";
}

bool vmb_host_emulated(char *signature, size_t len)
{
	unsigned a, b, c, d;
	char sig[13] = "";

	__cpuid(1, a, b, c, d);
	if (c & (1u << 31)) {
		__cpuid(0x40000000, a, b, c, d);
		memcpy(sig, &b, 4);
		memcpy(sig + 4, &c, 4);
		memcpy(sig + 8, &d, 4);
	}
	if (signature)
		snprintf(signature, len, "%s", sig);
	return strcmp(sig, "TCGTCGTCGTCG") == 0;
}
