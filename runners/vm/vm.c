/* vm.c: the VM runner, host side: its options and configuration, the guest kernel and
 * initramfs, a cgroup for the VMM process, vmbench-vmm started and placed in it before
 * launch, the guest's records and the VMM's own (read apart), its verdict and figures,
 * and teardown. The VMM itself is vmm.c and the files beside it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runners/common.h"
#include "runners/vm/initramfs.h"
#include "runners/vm/vm.h"
#include "runners/vm/vmm.h"
#include "vmbench/cgroup.h"
#include "vmbench/probe.h"
#include "vmbench/proc.h"
#include "vmbench/spawn.h"
#include "vmbench/util.h"

/* The guest's kernel command line, before the agent's arguments. */
#define CMDLINE                                                                                    \
	"console=ttyS0 quiet reboot=t panic=-1 acpi_rsdp=0xe0000 acpi_sci=edge acpi_sci=high"

#define MIN_GUEST_MIB 64u
#define VMM_OWN_MAX   (4u << 20) /* bytes of the VMM's own records read at most */
#define DEF_GUEST_MIB 512u
/* What the guest's kernel, initramfs and page tables take of its RAM, beside
 * the workload (measured: under 100 MiB with the Debian cloud kernel). */
#define GUEST_OWN_MIB 192u

/* The guest's disk for the workloads that need one: a sparse file in the
 * run's volume, on the host file system the other runners' I/O goes to,
 * made an ext4 file system once per run (as the volume is one directory
 * per run for them); the guest mounts it where its agent's I/O goes. */
#define DISK_FILE  "vmbench-vm-disk.img"
#define DISK_BYTES (16ull << 30)
#define GUEST_DISK "/dev/vda"

/* The runner's configuration: what --kernel, --hugepages, --verbose, --cpus and
 * --memory mean for a VM, its helpers, and the guest files, found once. */
struct vm_config {
	const char *kernel_opt; /* --kernel, or NULL: the default search */
	bool hugepages, verbose;
	bool no_hugepages;   /* --no-hugepages: none for guest RAM, whatever the host's policy */
	bool ksm;            /* --ksm: guest RAM offered to the host's same-page merging */
	bool disk_direct;    /* --disk-direct: the VMM opens the disk O_DIRECT */
	const char *io;      /* --io: where doorbells are served ("thread", "vcpu") */
	char disk[PATH_MAX]; /* the guest's disk, once made ("" before) */
	char mkfs[PATH_MAX]; /* mkfs.ext4, found at the first disk */
	unsigned memory_mib, vcpus;
	bool memory_given; /* --memory: guest RAM is that, whatever the workload */
	char vmm[PATH_MAX], guest_init[PATH_MAX];
	char missing[512]; /* why a helper was not found ("" if both were) */
	/* found at the first launch, then kept for the run */
	bool files_ready;
	struct vmb_guest_kernel kernel;
	char initrd[PATH_MAX];
};

/* One VM instance. */
struct vmi {
	struct vmb_cgroup *cg;
	int go_wr;  /* start byte to the VMM */
	int own_rd; /* the VMM's own records */
};

static int vm_probe(char *why, size_t len)
{
	struct vmb_probe p;

	vmb_probe_kvm(&p);
	if (!p.ok) {
		snprintf(why, len, "%s", p.detail);
		return -1;
	}
	vmb_probe_ldconfig(&p);
	if (!p.ok) {
		snprintf(why, len, "%s (%s)", p.detail, p.hint);
		return -1;
	}
	return 0;
}

static int vm_configure(const struct vmb_run_env *env, void **config, char *refuse, size_t len,
                        struct vmb_error *err)
{
	struct vm_config *cfg = calloc(1, sizeof(*cfg));
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	struct vmb_error missing = {0};

	if (!cfg)
		return vmb_error_sys(err, ENOMEM, "vm configuration");
	cfg->kernel_opt = vmb_option_get(env, "kernel");
	cfg->hugepages = vmb_option_get(env, "hugepages") != NULL;
	cfg->ksm = vmb_option_get(env, "ksm") != NULL;
	cfg->no_hugepages = vmb_option_get(env, "no-hugepages") != NULL;
	if (cfg->hugepages && cfg->no_hugepages) {
		free(cfg);
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "--hugepages and --no-hugepages: choose one (neither: the "
		                     "host's policy for transparent huge pages)");
	}
	cfg->verbose = vmb_option_get(env, "verbose") != NULL;
	cfg->disk_direct = vmb_option_get(env, "disk-direct") != NULL;
	cfg->io = vmb_option_get(env, "io");
	if (cfg->io && strcmp(cfg->io, "thread") != 0 && strcmp(cfg->io, "vcpu") != 0) {
		free(cfg);
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "--io %s: 'thread' (an I/O thread woken by ioeventfd) or "
		                     "'vcpu' (served in the vCPU's exit)",
		                     vmb_option_get(env, "io"));
	}
	cfg->vcpus = env->cpus > 0 ? (unsigned)ceil(env->cpus) : env->cores ? env->cores : 1;
	cfg->memory_given = env->memory != 0;
	cfg->memory_mib = env->memory ? (unsigned)(env->memory >> 20) : DEF_GUEST_MIB;
	if (env->cpus > 0 && ceil(env->cpus) > (double)cores) {
		free(cfg);
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "--cpus %g: the VM runner takes 1 to %ld vCPUs on this host",
		                     env->cpus, cores);
	}
	if (env->memory &&
	    (env->memory < ((uint64_t)MIN_GUEST_MIB << 20) || env->memory > VMM_MAX_MEMORY)) {
		free(cfg);
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "--memory: the VM runner takes %uM to %lluM of guest RAM",
		                     MIN_GUEST_MIB, (unsigned long long)(VMM_MAX_MEMORY >> 20));
	}
	if (cfg->kernel_opt && vmb_guest_kernel_check(cfg->kernel_opt, err) < 0) {
		free(cfg);
		return -1;
	}
	/* missing helpers fail this runner's cases, not the run */
	if (vmb_find_program("vmbench-vmm", "VMBENCH_VMM", "runners/vm", cfg->vmm, sizeof(cfg->vmm),
	                     &missing) < 0 ||
	    vmb_find_program("vmbench-guest-init", "VMBENCH_GUEST_INIT", "runners/vm",
	                     cfg->guest_init, sizeof(cfg->guest_init), &missing) < 0)
		snprintf(cfg->missing, sizeof(cfg->missing), "%s", missing.msg);
	*config = cfg;
	return 0;
}

static void vm_release_config(void *config)
{
	free(config);
}

/* Kernel and initramfs, found or built at the first launch and kept. */
static int guest_files(const struct vmb_launch *spec, struct vm_config *cfg, struct vmb_error *err)
{
	if (cfg->files_ready)
		return 0;
	if (vmb_guest_kernel_find(cfg->kernel_opt, &cfg->kernel, err) < 0)
		return -1;
	/* the disk's transport, driver and file system: Debian builds the first
	 * two as modules, and the generic kernel ext4 and the crc32c it checks
	 * metadata with too (a module not found is taken to be built in) */
	static const char *const modules[] = {"virtio_pci", "virtio_blk", "crc32c_generic", "ext4",
	                                      NULL};
	if (vmb_initramfs_ensure(spec->agent_path, cfg->guest_init,
	                         cfg->kernel.moddir[0] ? cfg->kernel.moddir : NULL, modules,
	                         cfg->initrd, sizeof(cfg->initrd), err) < 0)
		return -1;
	cfg->files_ready = true;
	return 0;
}

static int vm_warm(const struct vmb_launch *spec, struct vmb_error *err)
{
	return guest_files(spec, spec->config, err);
}

/* Guest RAM for this launch: --memory when given, else the default, grown to
 * hold what the workload needs beside the guest's kernel and initramfs. */
static unsigned guest_mib(const struct vm_config *cfg, const struct vmb_launch *spec)
{
	uint64_t need = (spec->memory_need >> 20) + GUEST_OWN_MIB;

	if (cfg->memory_given || need <= cfg->memory_mib)
		return cfg->memory_mib;
	return need > (VMM_MAX_MEMORY >> 20) ? (unsigned)(VMM_MAX_MEMORY >> 20) : (unsigned)need;
}

/* Finds mkfs.ext4 (e2fsprogs) where Debian and Ubuntu put it. */
static int find_mkfs(struct vm_config *cfg, struct vmb_error *err)
{
	static const char *const dirs[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(cfg->mkfs, sizeof(cfg->mkfs), "%s/mkfs.ext4", dirs[i]);
		if (access(cfg->mkfs, X_OK) == 0)
			return 0;
	}
	cfg->mkfs[0] = '\0';
	return vmb_error_set(err, VMB_ERR_FAIL,
	                     "the VM's disk needs mkfs.ext4, which is not installed (Debian "
	                     "package e2fsprogs)");
}

/* The guest's disk, made at the first launch that needs one and kept for
 * the run (the volume, and the file in it, go at the end of the run). Its
 * inode tables and journal are written now, so that no lazy initialisation
 * runs in the guest while it is measured. */
static int guest_disk(struct vmb_instance *inst, struct vm_config *cfg, struct vmb_error *err)
{
	const struct vmb_launch *spec = inst->spec;
	char path[PATH_MAX], size[32];
	int fd, logfd, status = 0;
	pid_t pid;

	if (cfg->disk[0])
		return 0;
	if (!spec->volume_dir)
		return vmb_error_set(err, VMB_ERR_FAIL, "the VM's disk needs the run's volume");
	if (!cfg->mkfs[0] && find_mkfs(cfg, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", spec->volume_dir, DISK_FILE);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)DISK_BYTES) < 0) {
		vmb_error_sys(err, errno, "the VM's disk %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	snprintf(size, sizeof(size), "%lluk", (unsigned long long)(DISK_BYTES >> 10));
	char *argv[] = {cfg->mkfs,
	                "-q",
	                "-F",
	                "-t",
	                "ext4",
	                "-m",
	                "0",
	                "-i",
	                "1048576",
	                "-J",
	                "size=64",
	                "-E",
	                "lazy_itable_init=0,lazy_journal_init=0,nodiscard",
	                "-L",
	                "vmbench",
	                path,
	                size,
	                NULL};
	logfd = open(spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	struct vmb_spawn sp = {.argv = argv, .log_fd = logfd, .cpus = spec->cpus};
	int rc = vmb_spawn(&sp, &pid, err);
	if (logfd >= 0)
		close(logfd);
	if (rc < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "%s on the VM's disk %s failed (see %s)",
		                     cfg->mkfs, path, spec->log_path);
	snprintf(cfg->disk, sizeof(cfg->disk), "%s", path);
	vmb_instance_phase(inst, "disk_ready");
	return 0;
}

static int spawn_vmm(struct vmb_instance *inst, struct vmi *m, const struct vm_config *cfg,
                     struct vmb_error *err)
{
	const struct vmb_launch *spec = inst->spec;
	char cmdline[2048], mem[32], cpus[16];
	int guest[2] = {-1, -1}, go[2] = {-1, -1}, logfd = -1, n, rc = -1;
	int own[2] = {-1, -1}; /* [0] vmbench reads, [1] the VMM writes: one file */
	const char *extra = getenv("VMBENCH_VM_CMDLINE_EXTRA");

	bool disk = spec->needs & VMB_NEED_DISK;
	n = snprintf(cmdline, sizeof(cmdline), "%s%s%s%s --", CMDLINE,
	             /* a guest without a disk has no PCI device: it skips the scan */
	             disk ? " vmbench.disk=" GUEST_DISK : " pci=off", extra ? " " : "",
	             extra ? extra : "");
	for (char **a = spec->agent_args; *a && n < (int)sizeof(cmdline) - 2; a++)
		n += snprintf(cmdline + n, sizeof(cmdline) - (size_t)n, " %s", *a);
	snprintf(mem, sizeof(mem), "%u", guest_mib(cfg, spec));
	snprintf(cpus, sizeof(cpus), "%u", cfg->vcpus);
	char *argv[] = {(char *)cfg->vmm,
	                "--kernel",
	                (char *)cfg->kernel.path,
	                "--initrd",
	                (char *)cfg->initrd,
	                "--memory-mib",
	                mem,
	                "--cpus",
	                cpus,
	                "--cmdline",
	                cmdline,
	                NULL, /* room for every option below, and the end */
	                NULL,
	                NULL,
	                NULL,
	                NULL,
	                NULL,
	                NULL,
	                NULL,
	                NULL,
	                NULL};
	int extra_at = 11;
	_Static_assert(sizeof(argv) / sizeof(argv[0]) >= 11 + 8 + 1, "argv has no room");
	if (cfg->verbose)
		argv[extra_at++] = "--verbose";
	if (cfg->hugepages)
		argv[extra_at++] = "--hugepages";
	if (cfg->ksm)
		argv[extra_at++] = "--mergeable";
	if (cfg->no_hugepages)
		argv[extra_at++] = "--no-hugepages";
	if (cfg->io) {
		argv[extra_at++] = "--io";
		argv[extra_at++] = (char *)cfg->io;
	}
	if (disk) {
		argv[extra_at++] = "--disk";
		argv[extra_at++] = (char *)cfg->disk;
		if (cfg->disk_direct)
			argv[extra_at++] = "--disk-direct";
	}
	logfd = open(spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0)
		return vmb_error_sys(err, errno, "open %s", spec->log_path);
	if (pipe2(guest, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		vmb_error_sys(err, errno, "pipe");
		goto out;
	}
	/* The VMM's own records go to an unlinked file, read once it has exited:
	 * however much it writes, it never waits on vmbench. */
	own[1] = open(spec->scratch_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (own[1] < 0) {
		vmb_error_sys(err, errno, "a file for the VMM's records in %s", spec->scratch_dir);
		goto out;
	}
	own[0] = dup(own[1]);
	if (own[0] < 0) {
		vmb_error_sys(err, errno, "dup");
		goto out;
	}
	struct vmb_spawn sp = {.argv = argv,
	                       .fds = {[VMM_FD_GUEST - 3] = guest[1],
	                               [VMM_FD_GO - 3] = go[0],
	                               [VMM_FD_TERM - 3] = cfg->verbose ? 2 : -1,
	                               [VMM_FD_OWN - 3] = own[1]},
	                       .nfds = 4,
	                       .log_fd = logfd,
	                       .cpus = spec->cpus};
	if (vmb_spawn(&sp, &inst->pid, err) < 0) {
		inst->pid = -1;
		goto out;
	}
	inst->chan_fd = guest[0];
	m->go_wr = go[1];
	m->own_rd = own[0];
	guest[0] = go[1] = own[0] = -1;
	rc = vmb_cgroup_attach(m->cg, inst->pid, err);
	if (rc == 0)
		vmb_instance_phase(inst, "cgroup_joined");
out:
	for (int *fd = (int[]){guest[0], guest[1], go[0], go[1], own[0], own[1], logfd, -2};
	     *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
	return rc;
}

static int vm_prepare(struct vmb_instance *inst, struct vmb_error *err)
{
	static unsigned seq;
	const struct vmb_launch *spec = inst->spec;
	struct vm_config *cfg = spec->config;
	struct vmi *m = calloc(1, sizeof(*m));
	char name[64];

	if (!m)
		return vmb_error_sys(err, ENOMEM, "vm");
	inst->priv = m;
	m->go_wr = m->own_rd = -1;
	if (cfg->missing[0])
		return vmb_error_set(err, VMB_ERR_FAIL, "%s", cfg->missing);
	if (guest_files(spec, cfg, err) < 0)
		return -1;
	json_object_set_new(inst->host, "guest",
	                    json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:b}", "kernel",
	                              cfg->kernel.path, "kernel_version", cfg->kernel.version,
	                              "kernel_source", cfg->kernel.source, "initramfs", cfg->initrd,
	                              "memory_mib", (int)guest_mib(cfg, spec), "vcpus",
	                              (int)cfg->vcpus, "io", cfg->io ? cfg->io : "thread",
	                              "disk_direct", cfg->disk_direct));
	vmb_instance_phase(inst, "guest_files_ready");
	if ((spec->needs & VMB_NEED_DISK) && guest_disk(inst, cfg, err) < 0)
		return -1;
	/* the VMM's cgroup: as many CPUs of bandwidth as it has vCPUs (or --cpus),
	 * no memory limit (guest RAM is --memory), the same cores */
	struct vmb_cgroup_limits lim = spec->limits;
	lim.memory_bytes = 0;
	snprintf(name, sizeof(name), "vmbench-%d-vm%u", (int)getpid(), ++seq);
	if (vmb_cgroup_create(name, &lim, &m->cg, err) < 0)
		return -1;
	vmb_instance_phase(inst, "cgroup_created");
	return spawn_vmm(inst, m, cfg, err);
}

static int vm_launch(struct vmb_instance *inst, struct vmb_error *err)
{
	struct vmi *m = inst->priv;

	vmb_instance_phase(inst, "launch");
	if (vmb_write_all(m->go_wr, "g", 1) < 0)
		return vmb_error_sys(err, errno, "start vmbench-vmm");
	close(m->go_wr);
	m->go_wr = -1;
	return 0;
}

/* One of the VMM's own records: a phase on the host's clock, its summary, or
 * the step at which it failed. Anything else from it is ignored. */
static void take_own(struct vmb_instance *inst, const char *line)
{
	json_error_t jerr;
	json_t *rec = json_loads(line, 0, &jerr);
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *name = json_string_value(json_object_get(rec, "name"));
	json_t *at = json_object_get(rec, "mono_ns");

	if (type && strcmp(type, "phase") == 0 && name && json_is_integer(at))
		json_object_set_new(inst->phases, name,
		                    json_integer(json_integer_value(at) - (json_int_t)inst->t0));
	else if (type && strcmp(type, "vmm") == 0 && !json_object_get(inst->host, "vmm"))
		json_object_set(inst->host, "vmm", rec);
	else if (type && strcmp(type, "error") == 0 && !json_object_get(inst->host, "vmm_error"))
		json_object_set(inst->host, "vmm_error", rec);
	json_decref(rec);
}

/* Reads the VMM's own records (the VMM has exited, or been killed). */
static void read_own(struct vmb_instance *inst, struct vmi *m)
{
	size_t used = 0, cap = 1 << 16;
	vmb_autofree char *buf = malloc(cap + 1);
	ssize_t n;

	if (!buf || m->own_rd < 0)
		return;
	/* a bounded read: the VMM's records are a few KiB */
	while (used < VMM_OWN_MAX &&
	       ((n = pread(m->own_rd, buf + used, cap - used, (off_t)used)) > 0 ||
	        (n < 0 && errno == EINTR))) {
		if (n < 0)
			continue;
		used += (size_t)n;
		if (used == cap) {
			char *nb = realloc(buf, (cap *= 2) + 1);
			if (!nb)
				break;
			buf = nb;
		}
	}
	buf[used] = '\0';
	for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (*line)
			take_own(inst, line);
	}
	close(m->own_rd);
	m->own_rd = -1;
	/* one definition of the runner's own memory for every runner */
	json_t *kib = json_object_get(json_object_get(inst->host, "vmm"), "runner_private_kib");
	if (json_is_integer(kib) && json_integer_value(kib) >= 0)
		json_object_set(inst->host, "runner_private_kib", kib);
}

/* How the agent ended, as the guest's init told (the last "init" record:
 * the init writes its own after the agent has gone). The guest's word, like
 * everything from inside it; the VMM's summary says how the guest ended. */
static void take_guest_init(struct vmb_instance *inst)
{
	size_t i;
	json_t *r;

	json_array_foreach(inst->records, i, r)
	{
		const char *t = json_string_value(json_object_get(r, "type"));
		if (t && strcmp(t, "init") == 0) {
			json_decref(inst->init);
			inst->init = json_incref(r);
		}
	}
}

static int vm_wait(struct vmb_instance *inst, struct vmb_error *err)
{
	struct vmi *m = inst->priv;
	int rc = vmb_wait_agent_process(inst, err);

	read_own(inst, m);
	take_guest_init(inst);
	json_object_set_new(inst->host, "cgroup", vmb_cgroup_read(m->cg));
	return rc;
}

static void vm_teardown(struct vmb_instance *inst)
{
	struct vmi *m = inst->priv;
	struct vmb_error err = {0};

	if (!m)
		return;
	vmb_reap_quietly(inst);
	read_own(inst, m);
	if (m->cg && !json_object_get(inst->host, "cgroup"))
		json_object_set_new(inst->host, "cgroup", vmb_cgroup_read(m->cg));
	if (vmb_cgroup_destroy(m->cg, &err) < 0)
		json_object_set_new(inst->host, "teardown_error", json_string(err.msg));
	if (m->go_wr >= 0)
		close(m->go_wr);
	free(m);
	inst->priv = NULL;
}

/* Where guest RAM lies in the running VMM, from its "guest_ram" record (among
 * the first of its own records: read without consuming them), with what the
 * kernel granted it (huge pages, KSM) copied into out. */
static bool guest_ram_of(const struct vmi *m, uint64_t *lo, uint64_t *hi, json_t *out)
{
	char buf[8192];
	ssize_t n = m->own_rd >= 0 ? pread(m->own_rd, buf, sizeof(buf) - 1, 0) : -1;

	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (!nl)
			break; /* a record cut off at the buffer's end */
		*nl = '\0';
		if (!strstr(line, "\"guest_ram\""))
			continue;
		json_t *rec = json_loads(line, 0, NULL);
		json_t *hva = json_object_get(rec, "hva"), *bytes = json_object_get(rec, "bytes");
		bool ok = json_is_integer(hva) && json_is_integer(bytes);
		if (ok) {
			*lo = (uint64_t)json_integer_value(hva);
			*hi = *lo + (uint64_t)json_integer_value(bytes);
			json_object_set(out, "huge_pages_granted",
			                json_object_get(rec, "huge_pages"));
			json_object_set(out, "ksm_granted", json_object_get(rec, "mergeable"));
		}
		json_decref(rec);
		return ok;
	}
	return false;
}

/* A running VM's cost to the host, from the host side: the VMM's cgroup, and
 * the VMM's smaps split into guest RAM (what the guest made resident) and
 * the VMM's own private memory. */
static json_t *vm_memory(struct vmb_instance *inst)
{
	const struct vm_config *cfg = inst->spec->config;
	struct vmi *m = inst->priv;
	struct vmb_tree_memory in, out;
	uint64_t lo, hi;
	json_t *j = json_pack("{s:b, s:b, s:b}", "hugepages", cfg->hugepages, "no_hugepages",
	                      cfg->no_hugepages, "ksm", cfg->ksm);

	if (!m || inst->pid <= 0)
		return j;
	vmb_memory_charge(m->cg, j);
	/* asked (options) and granted (the VMM's madvise) both recorded */
	if (guest_ram_of(m, &lo, &hi, j) &&
	    vmb_proc_memory_split(inst->pid, lo, hi, &in, &out) == 0) {
		json_object_set_new(j, "guest_resident_kib", json_integer(in.rss_kib));
		json_object_set_new(j, "huge_kib", json_integer(in.anon_huge_kib));
		json_object_set_new(j, "ksm_kib", json_integer(in.ksm_kib));
		/* the VMM is the VM's runtime: its own memory as
		 * runner_private_kib defines it, guest RAM left out */
		long own = vmb_proc_private_kib(inst->pid, lo, hi);
		if (own >= 0) {
			json_object_set_new(j, "vmm_private_kib", json_integer(own));
			json_object_set_new(j, "runtime_private_kib", json_integer(own));
		}
		json_object_set_new(j, "pss_kib", json_integer(in.pss_kib + out.pss_kib));
		json_object_set_new(j, "rss_kib", json_integer(in.rss_kib + out.rss_kib));
	}
	return j;
}

/* The VMM says how its guest ended and what it refused; anything but a clean
 * power-off with nothing refused fails the sample. */
static int vm_verdict(struct vmb_instance *inst, struct vmb_error *err)
{
	json_t *vmm = json_object_get(inst->host, "vmm");
	const char *stop = json_string_value(json_object_get(vmm, "stop"));
	json_int_t refused = json_integer_value(json_object_get(vmm, "guest_records_refused"));

	if (!vmm) {
		/* the VMM's own error record says where it stopped */
		json_t *own = json_object_get(inst->host, "vmm_error");
		if (own)
			return vmb_error_set(err, VMB_ERR_FAIL, "vmbench-vmm failed at %s: %s",
			                     json_string_value(json_object_get(own, "step")),
			                     json_string_value(json_object_get(own, "error")));
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "vmbench-vmm ended without its summary (see %s)",
		                     inst->spec->log_path);
	}
	/* a device whose rules the guest broke, even once and reset since: the
	 * figures of such a guest are not trusted */
	const char *dev;
	json_t *d;
	json_object_foreach(json_object_get(vmm, "devices"), dev, d)
	{
		json_int_t n = json_integer_value(json_object_get(d, "host_errors"));
		/* the host failed the device: the guest's figures hide it (IOERR) */
		if (n > 0)
			return vmb_error_set(
			        err, VMB_ERR_FAIL,
			        "the host failed device %s %lld time(s) (first: %s)", dev,
			        (long long)n,
			        json_string_value(json_object_get(d, "first_host_error")));
		n = json_integer_value(json_object_get(d, "errors"));
		if (n > 0)
			return vmb_error_set(
			        err, VMB_ERR_FAIL,
			        "the guest broke the rules of device %s %lld time(s), stopping it "
			        "%lld "
			        "time(s) (first: %s)",
			        dev, (long long)n,
			        (long long)json_integer_value(json_object_get(d, "stops")),
			        json_string_value(json_object_get(d, "first_error")));
	}
	if (stop && strcmp(stop, "guest_off") != 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "the guest did not finish (%s): %s", stop,
		                     json_string_value(json_object_get(vmm, "stop_reason")));
	if (refused > 0)
		return vmb_error_set(
		        err, VMB_ERR_FAIL,
		        "the guest sent %lld record(s) the VMM refused (first: %s); its figures "
		        "are not trusted",
		        (long long)refused,
		        json_string_value(json_object_get(vmm, "guest_refused_example")));
	return 0;
}

/* VM runner: from the start signal to the first KVM_RUN (VM, memory, kernel
 * and initramfs, vCPUs), and the VMM process's own start before that. */
static double m_launch_to_first_run(json_t *s)
{
	return vmb_sample_phase_gap(s, "launch", "first_kvm_run");
}

static double m_vmm_exec(json_t *s)
{
	return vmb_sample_phase_gap(s, "cgroup_created", "vmm_start");
}

static double m_guest_resident(json_t *s)
{
	return vmb_sample_num(s, "host.vmm.guest_resident_kib");
}

/* The guest's disk (blk0): what its requests cost in exits and interrupts,
 * per request, so that an I/O overhead can be explained. */
static double disk_per_request(json_t *s, const char *what)
{
	char path[64];
	double req = vmb_sample_num(s, "host.vmm.devices.blk0.requests");

	snprintf(path, sizeof(path), "host.vmm.devices.blk0.%s", what);
	return req > 0 ? vmb_sample_num(s, path) / req : NAN;
}

static double m_disk_requests(json_t *s)
{
	return vmb_sample_num(s, "host.vmm.devices.blk0.requests");
}

static double m_disk_exits(json_t *s)
{
	return disk_per_request(s, "exits");
}

static double m_disk_interrupts(json_t *s)
{
	return disk_per_request(s, "interrupts");
}

static double m_disk_notifies(json_t *s)
{
	return disk_per_request(s, "notifies");
}

static const struct vmb_metric vm_metrics[] = {
        {"launch_to_first_kvm_run_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "VM: launch to the first KVM_RUN (VM, memory, kernel and initramfs loaded, vCPUs)",
         m_launch_to_first_run},
        {"vmm_process_start_ns", "ns", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "VM: fork and exec of vmbench-vmm, before launch", m_vmm_exec},
        {"guest_resident_kib", "KiB", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "VM: guest RAM resident on the host when the guest stopped", m_guest_resident},
        {"disk_requests", "requests", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "VM: requests the guest's virtio disk served in the launch", m_disk_requests},
        {"disk_exits_per_request", "exits", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "VM: the disk's MMIO exits (configuration, doorbells not taken by ioeventfd) per "
         "request",
         m_disk_exits},
        {"disk_interrupts_per_request", "irqs", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "VM: MSI-X interrupts the disk raised per request", m_disk_interrupts},
        {"disk_doorbells_per_request", "kicks", VMB_LOWER_IS_BETTER, VMB_AGG_MEDIAN,
         "VM: doorbells the guest rang per request (exits and ioeventfd wake-ups)",
         m_disk_notifies},
        {NULL, NULL, 0, 0, NULL, NULL},
};

static const struct vmb_runner_option vm_options[] = {
        {"kernel", "FILE",
         "bzImage the guest boots (default: the host's own kernel\n"
         "if readable, else Debian's cloud kernel, fetched once into\n"
         "the cache with apt-get download)"},
        {"hugepages", NULL, "back guest RAM with transparent huge pages (recorded)"},
        {"no-hugepages", NULL,
         "keep guest RAM in 4 KiB pages even where the host's policy\n"
         "is THP always (neither option: the host's policy; recorded)"},
        {"ksm", NULL,
         "offer guest RAM to the host's same-page merging (KSM):\n"
         "what it saves shows in a density run where the host runs\n"
         "KSM (/sys/kernel/mm/ksm/run; recorded either way)"},
        {"verbose", NULL, "show each guest's console on the terminal too"},
        {"disk-direct", NULL,
         "open the guest's disk file O_DIRECT on the host: no host\n"
         "page cache under the guest's own (recorded)"},
        {"io", "thread|vcpu",
         "where the disk's doorbells are served: an I/O thread woken\n"
         "by ioeventfd (default: no exit per request), or the vCPU's\n"
         "own MMIO exit (recorded; docs/MEASUREMENTS.md compares them)"},
        {NULL, NULL, NULL},
};

static const struct vmb_lack vm_lacks[] = {
        {VMB_NEED_NETWORK, "its guest has no network device"},
        {0, NULL},
};

const struct vmb_runner vmb_runner_vm = {
        .name = "vm",
        .summary = "the agent in a Linux guest booted by vmbench's own KVM VMM (no QEMU)",
        .usage = "--cpus F gives the guest F vCPUs (rounded up, at most the host's cores;\n"
                 "default: --cores) and the VMM's cgroup F cores of bandwidth; --memory\n"
                 "SIZE is guest RAM, 64M..3G (default 512M, or what the workload needs\n"
                 "plus 192M for the guest's own kernel)",
        .probe = vm_probe,
        .guest_clock = true,
        .offers = VMB_NEED_HUGEPAGES | VMB_NEED_DISK,
        .lacks = vm_lacks,
        .memory_overhead = (uint64_t)GUEST_OWN_MIB << 20,
        .workload_memory_max = VMM_MAX_MEMORY - ((uint64_t)GUEST_OWN_MIB << 20),
        .options = vm_options,
        .metrics = vm_metrics,
        .configure = vm_configure,
        .release_config = vm_release_config,
        .prepare = vm_prepare,
        .launch = vm_launch,
        .wait = vm_wait,
        .teardown = vm_teardown,
        .verdict = vm_verdict,
        .memory = vm_memory,
        .warm = vm_warm,
};
