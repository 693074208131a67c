/* host.c: probes of what this host offers (doctor) and the host metadata of every results file. */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <hwloc.h>
#include <linux/kvm.h>
#include <papi.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmbench/host.h"
#include "vmbench/util.h"
#include "version.h"

static void probe_kvm(struct vmb_probe *p)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	p->what = "kvm";
	if (fd < 0) {
		if (errno == ENOENT) {
			snprintf(p->detail, sizeof(p->detail),
			         "/dev/kvm does not exist (no KVM module, or this host is a VM "
			         "without nested virtualisation)");
			snprintf(p->hint, sizeof(p->hint),
			         "load kvm_intel or kvm_amd, or enable nested virtualisation; the "
			         "vm runner needs it (tests use an emulated guest instead)");
		} else {
			snprintf(p->detail, sizeof(p->detail), "/dev/kvm cannot be opened: %s",
			         strerror(errno));
			snprintf(p->hint, sizeof(p->hint),
			         "run as root or add this user to the group that owns /dev/kvm");
		}
		return;
	}
	int api = ioctl(fd, KVM_GET_API_VERSION, 0);
	int irqchip = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP);
	int umem = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY);
	int vcpus = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	close(fd);
	if (api != KVM_API_VERSION || irqchip <= 0 || umem <= 0) {
		snprintf(p->detail, sizeof(p->detail),
		         "/dev/kvm API version %d (want %d), in-kernel irqchip %s, user memory %s",
		         api, KVM_API_VERSION, irqchip > 0 ? "yes" : "no", umem > 0 ? "yes" : "no");
		snprintf(p->hint, sizeof(p->hint), "use a host kernel with a current KVM");
		return;
	}
	if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		snprintf(p->detail, sizeof(p->detail),
		         "/dev/kvm (API %d) is served by kvm_pvm: no hardware virtualisation, and "
		         "stock guest kernels do not boot under it",
		         api);
		snprintf(p->hint, sizeof(p->hint),
		         "run on bare metal or a VM with nested virtualisation for VM figures; the "
		         "tests run the VM runner inside an emulated guest instead");
		return;
	}
	p->ok = true;
	snprintf(p->detail, sizeof(p->detail),
	         "/dev/kvm API version %d, in-kernel irqchip, user memory, %d vCPUs recommended",
	         api, vcpus);
}

static void probe_userns(struct vmb_probe *p)
{
	FILE *f = fopen("/proc/sys/user/max_user_namespaces", "r");
	long max = -1;
	int status = 0;

	p->what = "user namespaces";
	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = -1;
		fclose(f);
	}
	pid_t pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS |
		              CLONE_NEWIPC | CLONE_NEWNET) == 0
		              ? 0
		              : errno);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		snprintf(p->detail, sizeof(p->detail), "could not test: fork failed");
		return;
	}
	if (WEXITSTATUS(status) != 0) {
		snprintf(p->detail, sizeof(p->detail),
		         "unshare of user, mount, PID, UTS, IPC and network namespaces failed: %s "
		         "(max_user_namespaces=%ld)",
		         strerror(WEXITSTATUS(status)), max);
		snprintf(p->hint, sizeof(p->hint),
		         "raise user.max_user_namespaces, or lift the LSM or seccomp policy that "
		         "blocks unshare; the container runner needs it");
		return;
	}
	p->ok = true;
	snprintf(p->detail, sizeof(p->detail),
	         "user, mount, PID, UTS, IPC and network namespaces can be made "
	         "(max_user_namespaces=%ld)",
	         max);
}

/* Mount point of the first cgroup2 file system under /sys/fs/cgroup, and
 * whether any v1 hierarchy is mounted there. */
static void cgroup_mounts(char *v2, size_t len, bool *v1)
{
	FILE *f = fopen("/proc/self/mounts", "r");
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

	cgroup_mounts(v2, sizeof(v2), &v1);
	if (v1)
		return v2[0] ? "hybrid" : "v1";
	return v2[0] ? "v2" : "none";
}

/* Controllers with a v1 hierarchy, from /proc/cgroups, comma-separated. */
static void v1_controllers(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cgroups", "r");
	char name[64];
	int hier, num, enabled;
	size_t used = 0;

	buf[0] = '\0';
	if (!f)
		return;
	fscanf(f, "%*[^\n]\n");
	while (fscanf(f, "%63s %d %d %d", name, &hier, &num, &enabled) == 4)
		if (hier != 0 && enabled && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
			                         name);
	fclose(f);
}

static void v2_controllers(const char *mnt, char *buf, size_t len)
{
	char path[600];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	for (char *c = buf; *c; c++)
		if (*c == ' ')
			*c = ',';
	fclose(f);
}

static void probe_cgroups(struct vmb_probe *p)
{
	char v2[512], c1[512], c2[512];
	bool v1;

	p->what = "cgroups";
	cgroup_mounts(v2, sizeof(v2), &v1);
	v1_controllers(c1, sizeof(c1));
	if (v2[0])
		v2_controllers(v2, c2, sizeof(c2));
	if (!v1 && !v2[0]) {
		snprintf(p->detail, sizeof(p->detail),
		         "no cgroup file system under /sys/fs/cgroup");
		snprintf(p->hint, sizeof(p->hint), "mount cgroup2 on /sys/fs/cgroup");
		return;
	}
	p->ok = true;
	if (v1 && v2[0])
		snprintf(p->detail, sizeof(p->detail),
		         "hybrid: v1 controllers %s; v2 tree at %s with controllers [%s]", c1, v2,
		         c2);
	else if (v1)
		snprintf(p->detail, sizeof(p->detail), "v1: controllers %s", c1);
	else
		snprintf(p->detail, sizeof(p->detail), "v2 at %s: controllers %s", v2, c2);
}

static bool papi_ready(void)
{
	static int state; /* 0 untried, 1 ok, -1 failed */

	if (state == 0)
		state = PAPI_is_initialized() ||
		                        PAPI_library_init(PAPI_VER_CURRENT) == PAPI_VER_CURRENT
		                ? 1
		                : -1;
	return state > 0;
}

static void probe_papi(struct vmb_probe *papi, struct vmb_probe *hw)
{
	papi->what = "papi";
	hw->what = "hardware counters";
	if (!papi_ready()) {
		snprintf(papi->detail, sizeof(papi->detail), "PAPI_library_init failed");
		snprintf(papi->hint, sizeof(papi->hint),
		         "install libpapi7.0 (Debian: libpapi-dev)");
		snprintf(hw->detail, sizeof(hw->detail), "PAPI is not usable");
		return;
	}
	papi->ok = true;
	snprintf(papi->detail, sizeof(papi->detail),
	         "PAPI %d.%d.%d, %d components; the agent always counts its own operations "
	         "through software-defined events (sde)",
	         PAPI_VERSION_MAJOR(PAPI_VERSION), PAPI_VERSION_MINOR(PAPI_VERSION),
	         PAPI_VERSION_REVISION(PAPI_VERSION), PAPI_num_components());
	int rc, cidx = PAPI_get_component_index("perf_event");
	const PAPI_component_info_t *ci = cidx >= 0 ? PAPI_get_component_info(cidx) : NULL;
	if (!ci) {
		snprintf(hw->detail, sizeof(hw->detail), "PAPI has no perf_event component");
		snprintf(hw->hint, sizeof(hw->hint), "use a PAPI built with perf_event");
	} else if (ci->disabled) {
		snprintf(hw->detail, sizeof(hw->detail), "perf_event disabled: %s",
		         ci->disabled_reason);
		snprintf(hw->hint, sizeof(hw->hint),
		         "needs a hardware PMU (bare metal or a VM with a virtual PMU) and "
		         "kernel.perf_event_paranoid <= 2; cycle and instruction counts are "
		         "recorded as unavailable until then");
	} else if ((rc = PAPI_query_event(PAPI_TOT_CYC)) != PAPI_OK) {
		/* The component loads, but the CPU's PMU is not exposed (a VM
		 * without a virtual PMU): no preset maps to a native event. */
		snprintf(hw->detail, sizeof(hw->detail),
		         "perf_event is enabled but PAPI_TOT_CYC cannot be counted: %s",
		         PAPI_strerror(rc));
		snprintf(hw->hint, sizeof(hw->hint),
		         "needs a hardware PMU (bare metal, or a VM given a virtual PMU); cycle "
		         "and instruction counts are recorded as unavailable until then");
	} else {
		hw->ok = true;
		snprintf(hw->detail, sizeof(hw->detail), "perf_event: %d hardware counters",
		         PAPI_num_cmp_hwctrs(cidx));
	}
}

static hwloc_topology_t topology(void)
{
	static hwloc_topology_t topo;

	if (!topo && (hwloc_topology_init(&topo) < 0 || hwloc_topology_load(topo) < 0))
		topo = NULL;
	return topo;
}

static const char *cpu_model(void)
{
	hwloc_topology_t t = topology();
	hwloc_obj_t pkg = t ? hwloc_get_obj_by_type(t, HWLOC_OBJ_PACKAGE, 0) : NULL;
	const char *m = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;

	return m ? m : "unknown";
}

static void probe_hwloc(struct vmb_probe *p)
{
	hwloc_topology_t t = topology();

	p->what = "hwloc topology";
	if (!t) {
		snprintf(p->detail, sizeof(p->detail), "hwloc could not load the topology");
		snprintf(p->hint, sizeof(p->hint), "check /sys and /proc are mounted");
		return;
	}
	p->ok = true;
	snprintf(p->detail, sizeof(p->detail),
	         "%s: %d package(s), %d core(s), %d PU(s), %d NUMA node(s)", cpu_model(),
	         hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE),
	         hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE),
	         hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU),
	         hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE));
}

static void probe_gnuplot(struct vmb_probe *p)
{
	vmb_autofree char *path = vmb_which("gnuplot");
	char line[128] = "";

	p->what = "gnuplot";
	if (!path) {
		snprintf(p->detail, sizeof(p->detail), "gnuplot is not on PATH");
		snprintf(p->hint, sizeof(p->hint),
		         "apt-get install gnuplot-nox (charts only; measuring works without)");
		return;
	}
	FILE *f = popen("gnuplot --version 2>&1", "r");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		pclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	p->ok = true;
	snprintf(p->detail, sizeof(p->detail), "%s (%s)", path, line[0] ? line : "version unknown");
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

unsigned vmb_host_probe_all(struct vmb_probe *out)
{
	unsigned n = 0;

	memset(out, 0, VMB_MAX_PROBES * sizeof(*out));
	probe_kvm(&out[n++]);
	probe_userns(&out[n++]);
	probe_cgroups(&out[n++]);
	probe_papi(&out[n], &out[n + 1]);
	n += 2;
	probe_hwloc(&out[n++]);
	probe_gnuplot(&out[n++]);
	return n;
}

static json_t *papi_components(void)
{
	json_t *arr = json_array();

	if (!papi_ready())
		return arr;
	for (int i = 0; i < PAPI_num_components(); i++) {
		const PAPI_component_info_t *ci = PAPI_get_component_info(i);
		if (!ci)
			continue;
		json_t *c = json_pack("{s:s, s:b}", "name", ci->name, "enabled", !ci->disabled);
		if (ci->disabled)
			json_object_set_new(c, "disabled_reason", json_string(ci->disabled_reason));
		json_array_append_new(arr, c);
	}
	return arr;
}

json_t *vmb_host_describe(void)
{
	struct vmb_probe probes[VMB_MAX_PROBES];
	unsigned n = vmb_host_probe_all(probes);
	hwloc_topology_t t = topology();
	struct utsname u;
	char host[256] = "";
	char c1[512];
	json_t *pj = json_object();

	char papi_version[32];

	snprintf(papi_version, sizeof(papi_version), "%d.%d.%d", PAPI_VERSION_MAJOR(PAPI_VERSION),
	         PAPI_VERSION_MINOR(PAPI_VERSION), PAPI_VERSION_REVISION(PAPI_VERSION));
	uname(&u);
	gethostname(host, sizeof(host) - 1);
	v1_controllers(c1, sizeof(c1));
	for (unsigned i = 0; i < n; i++) {
		json_t *o = json_pack("{s:b, s:s}", "ok", probes[i].ok, "detail", probes[i].detail);
		if (!probes[i].ok && probes[i].hint[0])
			json_object_set_new(o, "hint", json_string(probes[i].hint));
		json_object_set_new(pj, probes[i].what, o);
	}
	json_t *topo = json_pack("{s:i, s:i, s:i, s:i}", "packages",
	                         t ? hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE) : -1, "cores",
	                         t ? hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE) : -1, "pus",
	                         t ? hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU) : -1, "numa_nodes",
	                         t ? hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE) : -1);
	char hv[16];
	bool emulated = vmb_host_emulated(hv, sizeof(hv));
	json_t *out = json_pack(
	        "{s:s, s:s, s:o, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:o}, s:o}",
	        "hostname", host, "cpu_model", cpu_model(), "topology", topo, "kernel", "sysname",
	        u.sysname, "release", u.release, "version", u.version, "machine", u.machine,
	        "cgroup", "mode", vmb_cgroup_mode(), "v1_controllers", c1, "papi", "version",
	        papi_version, "components", papi_components(), "probes", pj);
	json_object_set_new(
	        out, "virtualization",
	        json_pack("{s:s, s:b}", "hypervisor_signature", hv, "emulated", emulated));
	return out;
}
