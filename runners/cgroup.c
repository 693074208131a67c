/* cgroup.c: per-instance cgroups through libcgroup, v2 or v1, with counters read back
 * under one set of names whatever the version. */
#include <dirent.h>
#include <errno.h>
#include <libcgroup.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmbench/cgroup.h"
#include "vmbench/host.h"
#include "vmbench/util.h"

#define MAX_CTRL 8

struct vmb_cgroup {
	char name[128];
	bool v2;
	struct cgroup *cg;
	const char *ctrl[MAX_CTRL];
	unsigned nctrl;
	json_t *limits;
};

static int lib_init(struct vmb_error *err)
{
	static int rc = -1;

	if (rc != 0)
		rc = cgroup_init();
	if (rc != 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "libcgroup: cgroup_init: %s",
		                     cgroup_strerror(rc));
	return 0;
}

/* Controllers this host offers among those vmbench uses. */
static void pick_controllers(struct vmb_cgroup *c)
{
	static const char *const v1[] = {"cpu", "cpuacct", "memory", "pids", "blkio", "cpuset"};
	static const char *const v2[] = {"cpu", "memory", "pids", "io", "cpuset"};
	const char *const *want = c->v2 ? v2 : v1;
	size_t n = c->v2 ? VMB_ARRAY_SIZE(v2) : VMB_ARRAY_SIZE(v1);
	char have[512] = "", line[128];
	FILE *f;

	if (c->v2) {
		f = fopen("/sys/fs/cgroup/cgroup.controllers", "r");
		if (f && !fgets(have, sizeof(have), f))
			have[0] = '\0';
	} else {
		f = fopen("/proc/cgroups", "r");
		while (f && fgets(line, sizeof(line), f)) {
			char name[64];
			int hier, num, enabled;
			if (sscanf(line, "%63s %d %d %d", name, &hier, &num, &enabled) == 4 &&
			    hier != 0 && enabled) {
				strcat(have, " ");
				strcat(have, name);
			}
		}
	}
	if (f)
		fclose(f);
	strcat(have, " ");
	for (size_t i = 0; i < n; i++) {
		char pat[40];
		snprintf(pat, sizeof(pat), "%s ", want[i]);
		char *hit = strstr(have, pat);
		if (hit && (hit == have || hit[-1] == ' ' || hit[-1] == '\n'))
			c->ctrl[c->nctrl++] = want[i];
	}
}

static bool has_ctrl(const struct vmb_cgroup *c, const char *name)
{
	for (unsigned i = 0; i < c->nctrl; i++)
		if (strcmp(c->ctrl[i], name) == 0)
			return true;
	return false;
}

static void cpuset_string(const cpu_set_t *set, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < CPU_SETSIZE && used < len; i++)
		if (CPU_ISSET(i, set))
			used += (size_t)snprintf(buf + used, len - used, "%s%d", used ? "," : "",
			                         i);
}

static int set_value(struct vmb_cgroup *c, const char *ctrl, const char *key, const char *val,
                     struct vmb_error *err)
{
	struct cgroup_controller *cc = cgroup_get_controller(c->cg, ctrl);
	int rc = cc ? cgroup_add_value_string(cc, key, val) : ECGINVAL;

	if (rc != 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "libcgroup: %s=%s: %s", key, val,
		                     cgroup_strerror(rc));
	json_object_set_new(c->limits, key, json_string(val));
	return 0;
}

static int apply_limits(struct vmb_cgroup *c, const struct vmb_cgroup_limits *lim,
                        struct vmb_error *err)
{
	char buf[256];

	if (lim->memory_bytes) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)lim->memory_bytes);
		if (!has_ctrl(c, "memory"))
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "--memory needs the memory controller, which this "
			                     "host's cgroups lack");
		if (set_value(c, "memory", c->v2 ? "memory.max" : "memory.limit_in_bytes", buf,
		              err) < 0)
			return -1;
	}
	if (lim->cpus > 0) {
		long quota = (long)(lim->cpus * 100000);
		if (!has_ctrl(c, "cpu"))
			return vmb_error_set(err, VMB_ERR_FAIL, "--cpus needs the cpu controller");
		if (c->v2) {
			snprintf(buf, sizeof(buf), "%ld 100000", quota);
			if (set_value(c, "cpu", "cpu.max", buf, err) < 0)
				return -1;
		} else {
			snprintf(buf, sizeof(buf), "%ld", quota);
			if (set_value(c, "cpu", "cpu.cfs_period_us", "100000", err) < 0 ||
			    set_value(c, "cpu", "cpu.cfs_quota_us", buf, err) < 0)
				return -1;
		}
	}
	if (lim->cpuset && has_ctrl(c, "cpuset")) {
		cpuset_string(lim->cpuset, buf, sizeof(buf));
		if (set_value(c, "cpuset", "cpuset.cpus", buf, err) < 0)
			return -1;
		if (!c->v2) {
			/* v1 refuses tasks until both cpus and mems are set */
			char mems[64] = "0";
			FILE *f = fopen("/sys/fs/cgroup/cpuset/cpuset.mems", "r");
			if (f) {
				if (!fgets(mems, sizeof(mems), f))
					snprintf(mems, sizeof(mems), "0");
				fclose(f);
			}
			mems[strcspn(mems, "\n")] = '\0';
			if (set_value(c, "cpuset", "cpuset.mems", mems, err) < 0)
				return -1;
		}
	}
	return 0;
}

int vmb_cgroup_create(const char *name, const struct vmb_cgroup_limits *lim,
                      struct vmb_cgroup **out, struct vmb_error *err)
{
	struct vmb_cgroup *c;
	const char *mode = vmb_cgroup_mode();

	if (strcmp(mode, "none") == 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "no cgroup file system is mounted");
	if (lib_init(err) < 0)
		return -1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return vmb_error_sys(err, ENOMEM, "cgroup");
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->v2 = strcmp(mode, "v2") == 0;
	c->limits = json_object();
	pick_controllers(c);
	c->cg = cgroup_new_cgroup(name);
	if (!c->cg || c->nctrl == 0) {
		vmb_error_set(err, VMB_ERR_FAIL, "libcgroup: no usable controllers for %s", name);
		goto fail;
	}
	for (unsigned i = 0; i < c->nctrl; i++)
		if (!cgroup_add_controller(c->cg, c->ctrl[i])) {
			vmb_error_set(err, VMB_ERR_FAIL, "libcgroup: add controller %s",
			              c->ctrl[i]);
			goto fail;
		}
	if (apply_limits(c, lim, err) < 0)
		goto fail;
	int rc = cgroup_create_cgroup(c->cg, 0);
	if (rc != 0) {
		vmb_error_set(err, VMB_ERR_FAIL, "libcgroup: create %s: %s", name,
		              cgroup_strerror(rc));
		cgroup_delete_cgroup(c->cg, 1);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	if (c->cg)
		cgroup_free(&c->cg);
	json_decref(c->limits);
	free(c);
	return -1;
}

int vmb_cgroup_attach(struct vmb_cgroup *c, pid_t pid, struct vmb_error *err)
{
	int rc = cgroup_attach_task_pid(c->cg, pid);

	if (rc != 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "libcgroup: attach %d to %s: %s", (int)pid,
		                     c->name, cgroup_strerror(rc));
	return 0;
}

/* A value read fresh through libcgroup, or NULL (caller frees). */
static char *get(struct cgroup *fresh, const char *ctrl, const char *key)
{
	struct cgroup_controller *cc = cgroup_get_controller(fresh, ctrl);
	char *v = NULL;

	if (!cc || cgroup_get_value_string(cc, key, &v) != 0)
		return NULL;
	return v;
}

/* The number after `key` in a "key value" list (cpu.stat, memory.events, ...). */
static bool field(const char *text, const char *key, long long *out)
{
	size_t len = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, len) == 0 && p[len] == ' ')
			return sscanf(p + len + 1, "%lld", out) == 1;
	return false;
}

/* Sums "k=v" fields over every device line of v2 io.stat. */
static long long io_sum(const char *text, const char *key)
{
	long long sum = 0, v;
	char pat[32];

	snprintf(pat, sizeof(pat), "%s=", key);
	for (const char *p = strstr(text, pat); p; p = strstr(p + 1, pat))
		if ((p == text || p[-1] == ' ') && sscanf(p + strlen(pat), "%lld", &v) == 1)
			sum += v;
	return sum;
}

/* Sums the "Read" or "Write" lines of v1 blkio.throttle.* files. */
static long long blkio_sum(const char *text, const char *op)
{
	long long sum = 0, v;
	char dev[32], what[16];

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (sscanf(p, "%31s %15s %lld", dev, what, &v) == 3 && strcmp(what, op) == 0)
			sum += v;
	return sum;
}

struct reading {
	json_t *out, *missing;
};

static void put(struct reading *r, const char *name, bool ok, long long v, const char *why)
{
	if (ok)
		json_object_set_new(r->out, name, json_integer(v));
	else
		json_object_set_new(r->missing, name, json_string(why));
}

static void read_v1(struct cgroup *f, struct reading *r)
{
	vmb_autofree char *usage = get(f, "cpuacct", "cpuacct.usage");
	vmb_autofree char *stat = get(f, "cpuacct", "cpuacct.stat");
	vmb_autofree char *peak = get(f, "memory", "memory.max_usage_in_bytes");
	vmb_autofree char *cur = get(f, "memory", "memory.usage_in_bytes");
	vmb_autofree char *oom = get(f, "memory", "memory.oom_control");
	vmb_autofree char *bytes = get(f, "blkio", "blkio.throttle.io_service_bytes");
	vmb_autofree char *ios = get(f, "blkio", "blkio.throttle.io_serviced");
	vmb_autofree char *pids = get(f, "pids", "pids.current");
	vmb_autofree char *ppeak = get(f, "pids", "pids.peak");
	long long user = 0, sys = 0, kills = 0;
	long hz = sysconf(_SC_CLK_TCK);

	put(r, "cpu_usage_ns", usage, usage ? atoll(usage) : 0, "cpuacct.usage unreadable");
	/* cpuacct.stat counts USER_HZ ticks: coarse, but split user and system */
	bool split = stat && field(stat, "user", &user) && field(stat, "system", &sys);
	put(r, "cpu_user_ns", split, user * (1000000000 / hz), "cpuacct.stat unreadable");
	put(r, "cpu_system_ns", split, sys * (1000000000 / hz), "cpuacct.stat unreadable");
	put(r, "memory_peak_bytes", peak, peak ? atoll(peak) : 0, "memory controller missing");
	put(r, "memory_current_bytes", cur, cur ? atoll(cur) : 0, "memory controller missing");
	bool has_kills = oom && field(oom, "oom_kill", &kills);
	put(r, "oom_kills", has_kills, kills, "memory.oom_control has no oom_kill count");
	put(r, "io_read_bytes", bytes, bytes ? blkio_sum(bytes, "Read") : 0, "blkio missing");
	put(r, "io_write_bytes", bytes, bytes ? blkio_sum(bytes, "Write") : 0, "blkio missing");
	put(r, "io_read_ops", ios, ios ? blkio_sum(ios, "Read") : 0, "blkio missing");
	put(r, "io_write_ops", ios, ios ? blkio_sum(ios, "Write") : 0, "blkio missing");
	put(r, "pids_current", pids, pids ? atoll(pids) : 0, "pids controller missing");
	put(r, "pids_peak", ppeak, ppeak ? atoll(ppeak) : 0,
	    "pids.peak not offered by this kernel");
}

static void read_v2(struct cgroup *f, struct reading *r)
{
	vmb_autofree char *cpu = get(f, "cpu", "cpu.stat");
	vmb_autofree char *peak = get(f, "memory", "memory.peak");
	vmb_autofree char *cur = get(f, "memory", "memory.current");
	vmb_autofree char *ev = get(f, "memory", "memory.events");
	vmb_autofree char *io = get(f, "io", "io.stat");
	vmb_autofree char *pids = get(f, "pids", "pids.current");
	vmb_autofree char *ppeak = get(f, "pids", "pids.peak");
	long long usage = 0, user = 0, sys = 0, kills = 0;

	/* (each field is parsed before its value is used: argument order is unspecified) */
	bool has_usage = cpu && field(cpu, "usage_usec", &usage);
	bool has_user = cpu && field(cpu, "user_usec", &user);
	bool has_sys = cpu && field(cpu, "system_usec", &sys);
	bool has_kills = ev && field(ev, "oom_kill", &kills);
	put(r, "cpu_usage_ns", has_usage, usage * 1000, "cpu.stat unreadable");
	put(r, "cpu_user_ns", has_user, user * 1000, "cpu.stat unreadable");
	put(r, "cpu_system_ns", has_sys, sys * 1000, "cpu.stat unreadable");
	put(r, "memory_peak_bytes", peak, peak ? atoll(peak) : 0,
	    "memory.peak not offered by this kernel (needs 5.19)");
	put(r, "memory_current_bytes", cur, cur ? atoll(cur) : 0, "memory controller missing");
	put(r, "oom_kills", has_kills, kills, "memory.events unreadable");
	/* io.stat is empty until the instance does block I/O: that is a real 0 */
	put(r, "io_read_bytes", io, io ? io_sum(io, "rbytes") : 0, "io controller missing");
	put(r, "io_write_bytes", io, io ? io_sum(io, "wbytes") : 0, "io controller missing");
	put(r, "io_read_ops", io, io ? io_sum(io, "rios") : 0, "io controller missing");
	put(r, "io_write_ops", io, io ? io_sum(io, "wios") : 0, "io controller missing");
	put(r, "pids_current", pids, pids ? atoll(pids) : 0, "pids controller missing");
	put(r, "pids_peak", ppeak, ppeak ? atoll(ppeak) : 0,
	    "pids.peak not offered by this kernel");
}

json_t *vmb_cgroup_read(struct vmb_cgroup *c)
{
	struct reading r = {json_object(), json_object()};
	struct cgroup *fresh = cgroup_new_cgroup(c->name);

	json_object_set_new(r.out, "version", json_string(c->v2 ? "v2" : "v1"));
	json_object_set_new(r.out, "name", json_string(c->name));
	json_object_set(r.out, "limits", c->limits);
	if (!fresh || cgroup_get_cgroup(fresh) != 0) {
		json_object_set_new(r.missing, "all", json_string("cgroup_get_cgroup failed"));
	} else if (c->v2) {
		read_v2(fresh, &r);
	} else {
		read_v1(fresh, &r);
	}
	if (fresh)
		cgroup_free(&fresh);
	if (json_object_size(r.missing))
		json_object_set(r.out, "unavailable", r.missing);
	json_decref(r.missing);
	return r.out;
}

long long vmb_cgroup_oom_kills(struct vmb_cgroup *c)
{
	json_t *j = vmb_cgroup_read(c);
	long long n = json_integer_value(json_object_get(j, "oom_kills"));

	json_decref(j);
	return n;
}

/* Every directory of this cgroup, one per hierarchy (one in v2). */
static unsigned dirs_of(const struct vmb_cgroup *c, char paths[][300])
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nctrl && n < MAX_CTRL; i++) {
		char *mnt = NULL;
		if (cgroup_get_subsys_mount_point(c->ctrl[i], &mnt) != 0 || !mnt)
			continue;
		snprintf(paths[n], 300, "%s/%s", mnt, c->name);
		free(mnt);
		bool dup = false;
		for (unsigned j = 0; j < n; j++)
			dup |= strcmp(paths[j], paths[n]) == 0;
		if (!dup)
			n++;
	}
	return n;
}

/* Kills every process listed in the cgroup; returns how many were listed. */
static int kill_members(const char *dir)
{
	char path[320];
	int pid, n = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "r");
	while (f && fscanf(f, "%d", &pid) == 1) {
		kill(pid, SIGKILL);
		n++;
	}
	if (f)
		fclose(f);
	return n;
}

int vmb_cgroup_destroy(struct vmb_cgroup *c, struct vmb_error *err)
{
	char paths[MAX_CTRL][300];
	int rc = 0;

	if (!c)
		return 0;
	unsigned n = dirs_of(c, paths);
	/* Processes of a killed PID namespace take a moment to leave. */
	for (int tries = 0; tries < 400; tries++) {
		int left = 0;
		for (unsigned i = 0; i < n; i++)
			left += kill_members(paths[i]);
		if (!left)
			break;
		usleep(5000);
	}
	int lrc = cgroup_delete_cgroup(c->cg, 0);
	/* libcgroup can report failure on v2 although the directory is gone
	 * (and the reverse is possible): the directories are the truth. */
	for (unsigned i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) == 0 && rmdir(paths[i]) < 0 && errno != ENOENT)
			rc = vmb_error_sys(err, errno, "cgroup %s left behind (libcgroup said: %s)",
			                   paths[i], lrc ? cgroup_strerror(lrc) : "ok");
	}
	cgroup_free(&c->cg);
	json_decref(c->limits);
	free(c);
	return rc;
}

int vmb_cgroup_sweep_stale(void)
{
	static const char *const roots[] = {"/sys/fs/cgroup",         "/sys/fs/cgroup/cpu",
	                                    "/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/memory",
	                                    "/sys/fs/cgroup/pids",    "/sys/fs/cgroup/blkio",
	                                    "/sys/fs/cgroup/cpuset",  "/sys/fs/cgroup/unified"};
	int removed = 0;

	for (size_t i = 0; i < VMB_ARRAY_SIZE(roots); i++) {
		DIR *d = opendir(roots[i]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			int pid;
			char path[600];
			if (sscanf(e->d_name, "vmbench-%d-", &pid) != 1 || pid <= 0 ||
			    (kill(pid, 0) == 0 || errno != ESRCH))
				continue;
			snprintf(path, sizeof(path), "%s/%s", roots[i], e->d_name);
			kill_members(path);
			usleep(10000);
			removed += rmdir(path) == 0;
		}
		if (d)
			closedir(d);
	}
	return removed;
}
