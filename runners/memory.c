/* memory.c: what a running instance's processes cost the host, read from
 * /proc/PID/smaps_rollup on the host side (a density run's per-instance memory). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/cgroup.h"
#include "vmbench/runner.h"

/* Adds pid's smaps_rollup to out; 0, or -1 when it cannot be read. */
static int add_rollup(pid_t pid, struct vmb_tree_memory *out)
{
	char path[64], line[256];
	long long v, priv = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char key[64];
		if (sscanf(line, "%63[^:]: %lld kB", key, &v) != 2)
			continue;
		if (strcmp(key, "Rss") == 0)
			out->rss_kib += v;
		else if (strcmp(key, "Pss") == 0)
			out->pss_kib += v;
		else if (strcmp(key, "Private_Clean") == 0 || strcmp(key, "Private_Dirty") == 0)
			priv += v;
		else if (strcmp(key, "AnonHugePages") == 0)
			out->anon_huge_kib += v;
		else if (strcmp(key, "Swap") == 0)
			out->swap_kib += v;
		else if (strcmp(key, "KSM") == 0)
			out->ksm_kib += v;
	}
	fclose(f);
	out->private_kib += priv;
	out->processes++;
	return 0;
}

int vmb_proc_memory(pid_t pid, struct vmb_tree_memory *out)
{
	memset(out, 0, sizeof(*out));
	return add_rollup(pid, out);
}

/* Every child of every thread of pid (/proc/PID/task/TID/children), depth
 * first; a process that is gone by the time it is read is skipped. The depth
 * is bounded: an instance's tree is an init, an agent and its workers. */
static void add_children(pid_t pid, struct vmb_tree_memory *out, unsigned depth)
{
	char path[64];
	struct dirent *e;
	DIR *d;

	if (depth > 16)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		char cpath[320];
		FILE *f;
		int child;
		if (e->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", (int)pid, e->d_name);
		f = fopen(cpath, "re");
		while (f && fscanf(f, "%d", &child) == 1)
			if (add_rollup(child, out) == 0)
				add_children(child, out, depth + 1);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

int vmb_tree_memory(pid_t pid, struct vmb_tree_memory *out)
{
	memset(out, 0, sizeof(*out));
	if (add_rollup(pid, out) < 0)
		return -1;
	add_children(pid, out, 0);
	return 0;
}

/* Which side of [lo, hi) the mapping on header line `line` lies: 1 inside,
 * 0 outside, -1 not a header. A mapping straddling an end counts as inside:
 * the VMM maps nothing of its own against guest RAM. */
static int vma_side(const char *line, uint64_t lo, uint64_t hi)
{
	unsigned long long a, b;
	char perms[8];

	if (sscanf(line, "%llx-%llx %7s", &a, &b, perms) != 3)
		return -1;
	return a < hi && b > lo;
}

int vmb_proc_memory_split(pid_t pid, uint64_t lo, uint64_t hi, struct vmb_tree_memory *in,
                          struct vmb_tree_memory *out)
{
	char path[64], line[512];
	struct vmb_tree_memory *cur = out;
	long long v;
	FILE *f;

	memset(in, 0, sizeof(*in));
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char key[64];
		int side = vma_side(line, lo, hi);
		if (side >= 0) {
			cur = side ? in : out;
			continue;
		}
		if (sscanf(line, "%63[^:]: %lld kB", key, &v) != 2)
			continue;
		if (strcmp(key, "Rss") == 0)
			cur->rss_kib += v;
		else if (strcmp(key, "Pss") == 0)
			cur->pss_kib += v;
		else if (strcmp(key, "Private_Clean") == 0 || strcmp(key, "Private_Dirty") == 0)
			cur->private_kib += v;
		else if (strcmp(key, "AnonHugePages") == 0)
			cur->anon_huge_kib += v;
		else if (strcmp(key, "Swap") == 0)
			cur->swap_kib += v;
		else if (strcmp(key, "KSM") == 0)
			cur->ksm_kib += v;
	}
	fclose(f);
	in->processes = out->processes = 1;
	return 0;
}

void vmb_memory_charge(struct vmb_cgroup *cg, json_t *out)
{
	json_t *r = vmb_cgroup_read(cg);
	json_t *cur = json_object_get(r, "memory_current_bytes");

	if (json_is_integer(cur))
		json_object_set_new(out, "per_instance_kib",
		                    json_integer(json_integer_value(cur) / 1024));
	json_decref(r);
}
