/* registry.c: the workload table built from workloads.def, and the suites it implies. */
#include <math.h>
#include <string.h>

#include "vmbench/workload.h"

/* Declarations of every workload, from the X-macro list. */
#define VMB_WORKLOAD(id) extern const struct vmb_workload vmb_workload_##id;
#include "workloads.def"
#undef VMB_WORKLOAD

const struct vmb_workload *const vmb_workloads[] = {
#define VMB_WORKLOAD(id) &vmb_workload_##id,
#include "workloads.def"
#undef VMB_WORKLOAD
};

const unsigned vmb_workload_count = sizeof(vmb_workloads) / sizeof(vmb_workloads[0]);

const struct vmb_workload *vmb_workload_find(const char *name)
{
	for (unsigned i = 0; i < vmb_workload_count; i++)
		if (strcmp(vmb_workloads[i]->name, name) == 0)
			return vmb_workloads[i];
	return NULL;
}

unsigned vmb_workload_nparams(const struct vmb_workload *w)
{
	return w->nparams < VMB_MAX_PARAMS ? w->nparams : VMB_MAX_PARAMS;
}

int vmb_workload_param_index(const struct vmb_workload *w, const char *name)
{
	for (unsigned i = 0; i < vmb_workload_nparams(w); i++)
		if (strcmp(w->params[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *const *vmb_suites(void)
{
	static const char *list[sizeof(vmb_workloads) / sizeof(vmb_workloads[0]) + 1];
	unsigned n = 0;

	if (list[0])
		return list;
	for (unsigned i = 0; i < vmb_workload_count; i++) {
		unsigned j = 0;
		while (j < n && strcmp(list[j], vmb_workloads[i]->suite) != 0)
			j++;
		if (j == n)
			list[n++] = vmb_workloads[i]->suite;
	}
	list[n] = NULL;
	return list;
}

const char *vmb_workload_headline(const struct vmb_workload *w)
{
	return w->headline ? w->headline : "workload_wall_ns";
}

const char *vmb_need_name(unsigned need)
{
	switch (need) {
	case VMB_NEED_DISK:
		return "a disk volume on the host's file system";
	case VMB_NEED_NETWORK:
		return "a network beyond loopback";
	case VMB_NEED_HUGEPAGES:
		return "huge pages";
	default:
		return "something unnamed";
	}
}

bool vmb_suite_in_all(const char *suite)
{
	/* the tests' own workloads: misbehaving on purpose, and attacking the
	 * VM's devices (only ever named) */
	return strcmp(suite, "selftest") != 0 && strcmp(suite, "hostile") != 0;
}

bool vmb_suite_known(const char *suite)
{
	if (strcmp(suite, "all") == 0)
		return true;
	for (const char *const *s = vmb_suites(); *s; s++)
		if (strcmp(*s, suite) == 0)
			return true;
	return false;
}

uint64_t vmb_param_default(const struct vmb_param *p, double scale, bool quick)
{
	double base = (double)(quick && p->quick ? p->quick : p->def);
	double v = p->scaled ? round(base * scale) : base;

	return v < (double)p->min ? p->min : v > (double)p->max ? p->max : (uint64_t)v;
}

/* What an agent with small buffers needs, whatever the workload. */
#define BASE_MEMORY (16ull << 20)

uint64_t vmb_workload_memory_need(const struct vmb_workload *w, const uint64_t *param,
                                  unsigned cores)
{
	uint64_t copies = w->parallel && cores > 1 ? cores : 1;

	return BASE_MEMORY + (w->memory_need ? copies * w->memory_need(param) : 0);
}

int vmb_workload_check(const struct vmb_workload *w, const uint64_t *param,
                       const struct vmb_check_env *env, struct vmb_error *err)
{
	uint64_t need = vmb_workload_memory_need(w, param, env->cores);

	if (env->memory && need > env->memory)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "%s needs %llu MiB with these parameters; the instance's "
		                     "memory limit is %llu MiB",
		                     w->name, (unsigned long long)(need >> 20),
		                     (unsigned long long)(env->memory >> 20));
	if (!env->memory && env->host_memory && need > env->host_memory)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "%s needs %llu MiB with these parameters; this machine has "
		                     "%llu MiB",
		                     w->name, (unsigned long long)(need >> 20),
		                     (unsigned long long)(env->host_memory >> 20));
	return w->check ? w->check(param, env, err) : 0;
}
