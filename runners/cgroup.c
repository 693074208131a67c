/* cgroup.c: per-instance cgroups through libcgroup: made, limited, read under one set of
 * names and removed, the same way for v1 and v2; what differs is a layout's ops table
 * (cgroup_v1.c, cgroup_v2.c). */
#include <dirent.h>
#include <errno.h>
#include <libcgroup.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runners/cgroup_layout.h"
#include "vmbench/cgroup.h"
#include "vmbench/proc.h"
#include "vmbench/util.h"

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

/* The layout's controllers that this host offers. */
static void pick_controllers(struct vmb_cgroup *c)
{
	char have[512], pat[40];

	c->layout->offered(have, sizeof(have));
	for (unsigned i = 0; i < c->layout->ncontrollers && c->nctrl < CG_MAX_CTRL; i++) {
		/* " name " matches whole names only */
		snprintf(pat, sizeof(pat), " %s ", c->layout->controllers[i]);
		if (strstr(have, pat))
			c->ctrl[c->nctrl++] = c->layout->controllers[i];
	}
}

bool cg_has_ctrl(const struct vmb_cgroup *c, const char *name)
{
	for (unsigned i = 0; i < c->nctrl; i++)
		if (strcmp(c->ctrl[i], name) == 0)
			return true;
	return false;
}

void cg_cpuset_string(const cpu_set_t *set, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < CPU_SETSIZE && used < len; i++)
		if (CPU_ISSET(i, set))
			used += (size_t)snprintf(buf + used, len - used, "%s%d", used ? "," : "",
			                         i);
}

int cg_set(struct vmb_cgroup *c, const char *ctrl, const char *key, const char *val,
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
	c->layout = strcmp(mode, "v2") == 0 ? &vmb_cg_v2 : &vmb_cg_v1;
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
	if (lim->memory_bytes && !cg_has_ctrl(c, "memory")) {
		vmb_error_set(err, VMB_ERR_FAIL,
		              "--memory needs the memory controller, which this host's cgroups "
		              "lack");
		goto fail;
	}
	if (lim->cpus > 0 && !cg_has_ctrl(c, "cpu")) {
		vmb_error_set(err, VMB_ERR_FAIL, "--cpus needs the cpu controller");
		goto fail;
	}
	c->memory_limit = lim->memory_bytes;
	if (c->layout->limit(c, lim, err) < 0)
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
char *cg_get(struct cgroup *fresh, const char *ctrl, const char *key)
{
	struct cgroup_controller *cc = cgroup_get_controller(fresh, ctrl);
	char *v = NULL;

	if (!cc || cgroup_get_value_string(cc, key, &v) != 0)
		return NULL;
	return v;
}

/* The number after `key` in a "key value" list (cpu.stat, memory.events, ...). */
bool vmb_cgroup_field(const char *text, const char *key, long long *out)
{
	size_t len = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, len) == 0 && p[len] == ' ')
			return sscanf(p + len + 1, "%lld", out) == 1;
	return false;
}

/* Sums "k=v" fields over every device line of v2 io.stat. */
long long vmb_cgroup_io_sum(const char *text, const char *key)
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
long long vmb_cgroup_blkio_sum(const char *text, const char *op)
{
	long long sum = 0, v;
	char line[128], dev[32], what[16];

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		/* one line at a time: a short line must not borrow from the next */
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
		if (sscanf(line, "%31s %15s %lld", dev, what, &v) == 3 && strcmp(what, op) == 0)
			sum += v;
	}
	return sum;
}

void cg_put(struct cg_reading *r, const char *name, bool ok, long long v, const char *why)
{
	if (ok)
		json_object_set_new(r->out, name, json_integer(v));
	else
		json_object_set_new(r->missing, name, json_string(why));
}

json_t *vmb_cgroup_read(struct vmb_cgroup *c)
{
	struct cg_reading r = {json_object(), json_object()};
	struct cgroup *fresh = cgroup_new_cgroup(c->name);

	json_object_set_new(r.out, "version", json_string(c->layout->version));
	json_object_set_new(r.out, "name", json_string(c->name));
	json_object_set(r.out, "limits", c->limits);
	if (c->memory_limit)
		json_object_set_new(r.out, "memory_limit_bytes",
		                    json_integer((json_int_t)c->memory_limit));
	if (!fresh || cgroup_get_cgroup(fresh) != 0) {
		json_object_set_new(r.missing, "all", json_string("cgroup_get_cgroup failed"));
	} else {
		c->layout->read(fresh, &r);
	}
	if (fresh)
		cgroup_free(&fresh);
	if (json_object_size(r.missing))
		json_object_set(r.out, "unavailable", r.missing);
	json_decref(r.missing);
	return r.out;
}

/* Every directory of this cgroup, one per hierarchy (one in v2). */
static unsigned dirs_of(const struct vmb_cgroup *c, char paths[][300])
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nctrl && n < CG_MAX_CTRL; i++) {
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
	char paths[CG_MAX_CTRL][300];
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
