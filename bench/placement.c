/* placement.c: choosing the cores every runner's instances are pinned to, through hwloc. */
#include <hwloc.h>
#include <hwloc/glibc-sched.h>
#include <string.h>

#include "vmbench/host.h"

int vmb_placement_choose(unsigned ncores, struct vmb_placement *out, struct vmb_error *err)
{
	hwloc_topology_t topo;
	hwloc_bitmap_t set;
	json_t *cores, *pus;
	unsigned taken = 0;

	memset(out, 0, sizeof(*out));
	if (hwloc_topology_init(&topo) < 0 || hwloc_topology_load(topo) < 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "hwloc: cannot load the topology");
	hwloc_const_bitmap_t allowed = hwloc_topology_get_allowed_cpuset(topo);
	int total = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	set = hwloc_bitmap_alloc();
	cores = json_array();
	for (int i = total - 1; i >= 0 && (ncores == 0 || taken < ncores); i--) {
		hwloc_obj_t core = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, (unsigned)i);
		if (!core || !hwloc_bitmap_isincluded(core->cpuset, allowed))
			continue;
		hwloc_bitmap_or(set, set, core->cpuset);
		json_array_insert_new(cores, 0, json_integer((json_int_t)core->logical_index));
		taken++;
	}
	if (taken < ncores || taken == 0) {
		hwloc_bitmap_free(set);
		hwloc_topology_destroy(topo);
		json_decref(cores);
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "--cores %u: this host lets vmbench use %u core(s)", ncores,
		                     taken);
	}
	pus = json_array();
	unsigned id;
	hwloc_bitmap_foreach_begin(id, set) json_array_append_new(pus, json_integer(id));
	hwloc_bitmap_foreach_end();
	hwloc_cpuset_to_glibc_sched_affinity(topo, set, &out->cpus, sizeof(out->cpus));
	out->ncores = taken;
	out->desc = json_pack("{s:s, s:o, s:o}", "policy",
	                      ncores ? "highest-numbered cores (hwloc)"
	                             : "every core vmbench may use (hwloc)",
	                      "cores", cores, "pus", pus);
	hwloc_bitmap_free(set);
	hwloc_topology_destroy(topo);
	return 0;
}

void vmb_placement_release(struct vmb_placement *p)
{
	json_decref(p->desc);
	p->desc = NULL;
}

int vmb_placement_all(struct vmb_placement *out, struct vmb_error *err)
{
	return vmb_placement_choose(0, out, err);
}
