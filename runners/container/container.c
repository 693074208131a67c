/* container.c: the namespace container runner, host side: the image, instance
 * directories, the cgroup, vmbench-init started and moved into the cgroup before launch,
 * id maps, waiting, counters and teardown. The container's own side is in child.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runners/common.h"
#include "runners/container/container.h"
#include "vmbench/cgroup.h"
#include "vmbench/image.h"
#include "vmbench/probe.h"
#include "vmbench/proc.h"
#include "vmbench/spawn.h"
#include "vmbench/util.h"

#define ID_COUNT 65536u

/* Host side state of one container instance. */
struct ctr {
	char image[PATH_MAX];
	char inst_dir[PATH_MAX]; /* upper/, work/, merged/ */
	char hostname[64];
	struct vmb_cgroup *cg;
	int sync_wr; /* host -> container: id maps are written */
	int init_rd; /* container's PID 1 -> host: its "init" record */
	int ctl_wr;  /* host -> helper: clone now */
	int pid_rd;  /* helper -> host: the container's PID 1 */
	pid_t init_pid;
	bool dirs_made;
	uid_t id_base;
};

/* The host uid/gid that container root maps to: root's range in /etc/subuid
 * if there is one, else 100000; 65536 ids from there. Never 0. */
static uid_t id_base(void)
{
	FILE *f = fopen("/etc/subuid", "r");
	char line[256];
	unsigned long base = 100000, count;

	while (f && fgets(line, sizeof(line), f)) {
		char name[128];
		if (sscanf(line, "%127[^:]:%lu:%lu", name, &base, &count) == 3 &&
		    strcmp(name, "root") == 0 && count >= ID_COUNT && base > 0)
			break;
		base = 100000;
	}
	if (f)
		fclose(f);
	return (uid_t)base;
}

static int container_probe(char *why, size_t len)
{
	struct vmb_probe ns, cg, ld;

	vmb_probe_userns(&ns);
	if (!ns.ok) {
		snprintf(why, len, "no user namespaces here: %s (see vmbench doctor)", ns.detail);
		return -1;
	}
	vmb_probe_cgroups(&cg);
	if (!cg.ok) {
		snprintf(why, len, "%s", cg.detail);
		return -1;
	}
	vmb_probe_ldconfig(&ld);
	if (!ld.ok) {
		snprintf(why, len, "%s (%s)", ld.detail, ld.hint);
		return -1;
	}
	if (geteuid() != 0) {
		snprintf(why, len, "needs root to create cgroups and map id ranges");
		return -1;
	}
	return 0;
}

/* The runner's configuration: its image and its helper. */
struct ctr_config {
	const char *image;   /* --image, or NULL for vmbench's own cached image */
	char init[PATH_MAX]; /* vmbench-init, or "" when not found (cases fail, saying so) */
	char init_missing[512];
};

static int container_configure(const struct vmb_run_env *env, void **config, char *refuse,
                               size_t len, struct vmb_error *err)
{
	struct ctr_config *cfg = calloc(1, sizeof(*cfg));
	struct vmb_error missing = {0};

	if (!cfg)
		return vmb_error_sys(err, ENOMEM, "container configuration");
	cfg->image = vmb_option_get(env, "image");
	if (cfg->image && !*cfg->image) {
		free(cfg);
		return vmb_error_set(err, VMB_ERR_USAGE, "--image: empty path");
	}
	if (cfg->image && vmb_image_check(cfg->image, err) < 0) {
		free(cfg);
		return vmb_error_prefix(err, "--image");
	}
	/* a missing helper fails this runner's cases, not the run */
	if (vmb_find_program("vmbench-init", "VMBENCH_INIT", "runners/container", cfg->init,
	                     sizeof(cfg->init), &missing) < 0) {
		cfg->init[0] = '\0';
		snprintf(cfg->init_missing, sizeof(cfg->init_missing), "%s", missing.msg);
	}
	*config = cfg;
	return 0;
}

static void container_release_config(void *config)
{
	free(config);
}

static const struct vmb_runner_option container_options[] = {
        {"image", "DIR",
         "root file system instead of vmbench's own cached image;\n"
         "must hold the agent at /usr/local/bin"},
        {NULL, NULL, NULL},
};

static int write_file(const char *path, const char *text, struct vmb_error *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || vmb_write_all(fd, text, strlen(text)) < 0) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		return vmb_error_sys(err, saved, "write %s", path);
	}
	return close(fd) < 0 ? vmb_error_sys(err, errno, "close %s", path) : 0;
}

static int make_dirs(struct ctr *c, const struct vmb_launch *spec, unsigned seq,
                     struct vmb_error *err)
{
	static const char *const sub[] = {"upper", "work", "merged"};
	char path[PATH_MAX];

	/* the pid too: a density run's instances are prepared by processes of
	 * their own, whose counters all start alike */
	snprintf(c->inst_dir, sizeof(c->inst_dir), "%s/container-%d-%u", spec->scratch_dir,
	         (int)getpid(), seq);
	if (mkdir(c->inst_dir, 0711) < 0)
		return vmb_error_sys(err, errno, "mkdir %s", c->inst_dir);
	c->dirs_made = true;
	for (size_t i = 0; i < VMB_ARRAY_SIZE(sub); i++) {
		snprintf(path, sizeof(path), "%s/%s", c->inst_dir, sub[i]);
		if (mkdir(path, 0755) < 0)
			return vmb_error_sys(err, errno, "mkdir %s", path);
		/* container root writes the upper layer: it must own it */
		if (i < 2 && chown(path, c->id_base, c->id_base) < 0)
			return vmb_error_sys(err, errno, "chown %s", path);
	}
	return 0;
}

static int write_id_maps(pid_t pid, uid_t base, struct vmb_error *err)
{
	char path[64], map[64];

	snprintf(map, sizeof(map), "0 %u %u\n", (unsigned)base, ID_COUNT);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if (write_file(path, map, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	return write_file(path, map, err);
}

/* Starts vmbench-init with the channel and control pipes on its fixed
 * descriptors, and moves it into the cgroup. The migration (a costly kernel
 * synchronisation, up to tens of ms on cgroup v1) thus happens before launch,
 * and the container is cloned from inside the cgroup, as runc and crun do
 * with their init process. */
static int start_helper(struct vmb_instance *inst, struct ctr *c, struct vmb_error *err)
{
	const struct vmb_launch *spec = inst->spec;
	const struct ctr_config *cfg = spec->config;
	vmb_autofree char **agent = vmb_agent_argv(spec, "3", spec->volume_dir ? "/data" : NULL);
	int chan[2] = {-1, -1}, sync[2] = {-1, -1}, ctl[2] = {-1, -1}, pids[2] = {-1, -1};
	int rep[2] = {-1, -1};
	char *argv[80];
	int n = 0, logfd = -1, rc = -1;

	if (!agent)
		return vmb_error_sys(err, ENOMEM, "agent arguments");
	agent[0] = VMB_IMAGE_AGENT;
	argv[n++] = (char *)cfg->init;
	argv[n++] = c->image;
	argv[n++] = c->inst_dir;
	argv[n++] = spec->volume_dir ? (char *)spec->volume_dir : "-";
	argv[n++] = c->hostname;
	argv[n++] = "--";
	for (char **a = agent; *a && n < 79; a++)
		argv[n++] = *a;
	argv[n] = NULL;
	logfd = open(spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0)
		return vmb_error_sys(err, errno, "open %s", spec->log_path);
	if (pipe2(chan, O_CLOEXEC) < 0 || pipe2(sync, O_CLOEXEC) < 0 || pipe2(ctl, O_CLOEXEC) < 0 ||
	    pipe2(pids, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		vmb_error_sys(err, errno, "pipe");
		goto out;
	}
	/* the descriptors container.h promises vmbench-init, in order from 3 */
	struct vmb_spawn sp = {.argv = argv,
	                       .fds = {[VMB_INIT_FD_CHAN - 3] = chan[1],
	                               [VMB_INIT_FD_SYNC - 3] = sync[0],
	                               [VMB_INIT_FD_CTL - 3] = ctl[0],
	                               [VMB_INIT_FD_PID - 3] = pids[1],
	                               [VMB_INIT_FD_INIT - 3] = rep[1]},
	                       .nfds = 5,
	                       .log_fd = logfd,
	                       .cpus = spec->cpus};
	pid_t pid;
	if (vmb_spawn(&sp, &pid, err) < 0)
		goto out;
	inst->pid = pid;
	inst->chan_fd = chan[0];
	chan[0] = -1;
	c->sync_wr = sync[1];
	c->ctl_wr = ctl[1];
	c->pid_rd = pids[0];
	c->init_rd = rep[0];
	sync[1] = ctl[1] = pids[0] = rep[0] = -1;
	rc = vmb_cgroup_attach(c->cg, pid, err);
	if (rc == 0)
		vmb_instance_phase(inst, "cgroup_joined");
out:
	for (int *fd = (int[]){chan[0], chan[1], sync[0], sync[1], ctl[0], ctl[1], pids[0], pids[1],
	                       rep[0], rep[1], logfd, -2};
	     *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
	return rc;
}

static int container_prepare(struct vmb_instance *inst, struct vmb_error *err)
{
	static unsigned seq;
	const struct vmb_launch *spec = inst->spec;
	const struct ctr_config *cfg = spec->config;
	struct ctr *c = calloc(1, sizeof(*c));
	char name[64];

	if (!c)
		return vmb_error_sys(err, ENOMEM, "container");
	inst->priv = c;
	c->sync_wr = c->ctl_wr = c->pid_rd = c->init_rd = -1;
	c->id_base = id_base();
	seq++;
	if (!cfg->init[0])
		return vmb_error_set(err, VMB_ERR_FAIL, "%s", cfg->init_missing);
	if (cfg->image) {
		if (vmb_image_check(cfg->image, err) < 0)
			return -1;
		snprintf(c->image, sizeof(c->image), "%s", cfg->image);
	} else if (vmb_image_ensure(spec->agent_path, c->image, sizeof(c->image), err) < 0) {
		return -1;
	}
	json_object_set_new(inst->host, "image", json_string(c->image));
	if (make_dirs(c, spec, seq, err) < 0)
		return -1;
	snprintf(c->hostname, sizeof(c->hostname), "vmbench-%u", seq);
	snprintf(name, sizeof(name), "vmbench-%d-%u", (int)getpid(), seq);
	vmb_instance_phase(inst, "rootfs_ready");
	if (vmb_cgroup_create(name, &spec->limits, &c->cg, err) < 0)
		return -1;
	vmb_instance_phase(inst, "cgroup_created");
	return start_helper(inst, c, err);
}

static int container_launch(struct vmb_instance *inst, struct vmb_error *err)
{
	struct ctr *c = inst->priv;
	int32_t msg;

	vmb_instance_phase(inst, "launch");
	if (vmb_write_all(c->ctl_wr, "c", 1) < 0)
		return vmb_error_sys(err, errno, "start vmbench-init");
	for (;;) {
		ssize_t n = read(c->pid_rd, &msg, sizeof(msg));
		if (n == sizeof(msg))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		return vmb_error_set(err, VMB_ERR_FAIL, "vmbench-init died before cloning (see %s)",
		                     inst->spec->log_path);
	}
	if (msg < 0)
		return vmb_error_sys(err, -msg, "clone into new namespaces");
	c->init_pid = msg;
	vmb_instance_phase(inst, "cloned");
	if (write_id_maps(c->init_pid, c->id_base, err) < 0)
		return -1;
	vmb_instance_phase(inst, "id_maps_written");
	if (vmb_write_all(c->sync_wr, "g", 1) < 0)
		return vmb_error_sys(err, errno, "start the container");
	close(c->sync_wr);
	c->sync_wr = -1;
	return 0;
}

static int container_wait(struct vmb_instance *inst, struct vmb_error *err)
{
	struct ctr *c = inst->priv;
	int rc = vmb_wait_agent_process(inst, err);
	int32_t helper_kib;

	/* How the agent ended, from PID 1 on a pipe the agent never held (an
	 * "init" record on the agent's own channel would be the agent's word) */
	char line[512];
	fcntl(c->init_rd, F_SETFL, O_NONBLOCK); /* a killed PID 1 sent nothing */
	ssize_t n = read(c->init_rd, line, sizeof(line) - 1);
	if (n > 0) {
		json_error_t jerr;
		line[n] = '\0';
		inst->init = json_loads(line, JSON_DISABLE_EOF_CHECK, &jerr);
	}
	/* The runner's own memory: vmbench-init as PID 1 (in its record) and as
	 * helper (sent when it was done) */
	json_t *init_kib = json_object_get(inst->init, "init_private_kib");
	fcntl(c->pid_rd, F_SETFL, O_NONBLOCK); /* a killed helper sent nothing */
	if (read(c->pid_rd, &helper_kib, sizeof(helper_kib)) == sizeof(helper_kib) &&
	    helper_kib >= 0 && json_integer_value(init_kib) >= 0 && json_is_integer(init_kib))
		json_object_set_new(inst->host, "runner_private_kib",
		                    json_integer(helper_kib + json_integer_value(init_kib)));

	/* Read before teardown: the counters go when the cgroup does. */
	json_object_set_new(inst->host, "cgroup", vmb_cgroup_read(c->cg));
	return rc;
}

static void container_teardown(struct vmb_instance *inst)
{
	struct ctr *c = inst->priv;
	struct vmb_error err = {0};

	if (!c)
		return;
	/* Killing PID 1 kills the whole PID namespace; the mount namespace,
	 * and the overlay with it, goes with its last process. The helper reaps
	 * PID 1 and exits, so no zombie is handed to the host's init. */
	if (c->init_pid > 0 && inst->pid > 0) {
		kill(c->init_pid, SIGKILL);
		for (int i = 0; i < 200 && waitpid(inst->pid, NULL, WNOHANG) == 0; i++)
			usleep(1000);
		if (waitpid(inst->pid, NULL, WNOHANG) != 0)
			inst->pid = -1; /* reaped above, or gone */
	}
	vmb_reap_quietly(inst);
	if (c->cg && !json_object_get(inst->host, "cgroup"))
		json_object_set_new(inst->host, "cgroup", vmb_cgroup_read(c->cg));
	if (vmb_cgroup_destroy(c->cg, &err) < 0)
		json_object_set_new(inst->host, "teardown_error", json_string(err.msg));
	for (int *fd = (int[]){c->sync_wr, c->ctl_wr, c->pid_rd, c->init_rd, -2}; *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
	if (c->dirs_made && vmb_rm_tree(c->inst_dir, &err) < 0)
		json_object_set_new(inst->host, "teardown_error", json_string(err.msg));
	free(c);
	inst->priv = NULL;
}

/* A running container's cost to the host, from the host side: its cgroup's
 * charge, the proportional memory of its processes (helper, PID 1, agent),
 * and the runtime's own share: the helper's and PID 1's private memory. */
static json_t *container_memory(struct vmb_instance *inst)
{
	struct ctr *c = inst->priv;
	struct vmb_tree_memory tree;
	json_t *j = json_object();

	if (!c || inst->pid <= 0)
		return j;
	vmb_memory_charge(c->cg, j);
	if (vmb_tree_memory(inst->pid, &tree) == 0) {
		json_object_set_new(j, "pss_kib", json_integer(tree.pss_kib));
		json_object_set_new(j, "rss_kib", json_integer(tree.rss_kib));
		json_object_set_new(j, "processes", json_integer(tree.processes));
	}
	/* the runner's own memory as runner_private_kib defines it, read now */
	long helper = vmb_proc_private_kib(inst->pid, 0, 0);
	long init = c->init_pid > 0 ? vmb_proc_private_kib(c->init_pid, 0, 0) : -1;
	if (helper >= 0 && init >= 0)
		json_object_set_new(j, "runtime_private_kib", json_integer(helper + init));
	return j;
}

static const struct vmb_lack container_lacks[] = {
        {VMB_NEED_NETWORK, "its network namespace has loopback only (no veth or bridge yet)"},
        {0, NULL},
};

const struct vmb_runner vmb_runner_container = {
        .name = "container",
        .summary = "the agent in vmbench's own namespace container (no Docker, no runc)",
        .usage = "--cpus F is its cgroup's CPU bandwidth in cores; --memory SIZE its cgroup's\n"
                 "memory limit (an instance that exceeds it is OOM-killed, recorded as\n"
                 "failed, and the run goes on)",
        .probe = container_probe,
        .offers = VMB_NEED_DISK | VMB_NEED_HUGEPAGES,
        .lacks = container_lacks,
        .options = container_options,
        .configure = container_configure,
        .release_config = container_release_config,
        .prepare = container_prepare,
        .launch = container_launch,
        .wait = container_wait,
        .teardown = container_teardown,
        .memory = container_memory,
};
