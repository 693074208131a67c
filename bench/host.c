/* host.c: probes of what this host offers (doctor) and the host metadata of every results file. */
#include <errno.h>
#include <hwloc.h>
#include <papi.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "vmbench/host.h"
#include "vmbench/probe.h"
#include "vmbench/proc.h"
#include "vmbench/util.h"
#include "version.h"

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

/* The VM runner's disk is made ext4 with e2fsprogs' mkfs.ext4. */
static void probe_mkfs(struct vmb_probe *p)
{
	static const char *const paths[] = {"/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"};

	p->what = "mkfs.ext4";
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0) {
			p->ok = true;
			snprintf(p->detail, sizeof(p->detail),
			         "%s makes the VM's disk (its disk workloads need it)", paths[i]);
			return;
		}
	snprintf(p->detail, sizeof(p->detail), "mkfs.ext4 is not installed");
	snprintf(p->hint, sizeof(p->hint),
	         "apt-get install e2fsprogs (the VM runner's disk workloads need it)");
}

unsigned vmb_host_probe_all(struct vmb_probe *out)
{
	unsigned n = 0;

	memset(out, 0, VMB_MAX_PROBES * sizeof(*out));
	vmb_probe_kvm(&out[n++]);
	vmb_probe_userns(&out[n++]);
	vmb_probe_cgroups(&out[n++]);
	vmb_probe_ldconfig(&out[n++]);
	probe_papi(&out[n], &out[n + 1]);
	n += 2;
	probe_hwloc(&out[n++]);
	probe_gnuplot(&out[n++]);
	probe_mkfs(&out[n++]);
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
	vmb_proc_v1_controllers(c1, sizeof(c1), ',');
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
