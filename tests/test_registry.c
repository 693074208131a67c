/* test_registry.c: walks the runner and workload tables and checks every entry. */
#include <criterion/criterion.h>
#include <string.h>

#include <stdlib.h>
#include <unistd.h>

#include "vmbench/elf.h"
#include "vmbench/image.h"
#include "vmbench/probe.h"
#include "vmbench/runner.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

Test(registry, every_runner_is_complete_and_unique)
{
	cr_assert_geq(vmb_runner_count, 3);
	for (unsigned i = 0; i < vmb_runner_count; i++) {
		struct vmb_error err = {0};
		cr_assert_eq(vmb_runner_validate(vmb_runners[i], &err), 0, "%s", err.msg);
		cr_assert_eq(vmb_runner_find(vmb_runners[i]->name), vmb_runners[i]);
		for (unsigned j = i + 1; j < vmb_runner_count; j++)
			cr_assert_str_neq(vmb_runners[i]->name, vmb_runners[j]->name);
	}
	cr_assert_null(vmb_runner_find("docker"));
}

Test(registry, validate_rejects_incomplete_ops)
{
	struct vmb_runner r = *vmb_runner_find("native");
	struct vmb_error err = {0};

	r.teardown = NULL;
	cr_assert_eq(vmb_runner_validate(&r, &err), -1);
	cr_assert(strstr(err.msg, "native"), "%s", err.msg);
	r = *vmb_runner_find("native");
	r.name = "Bad Name";
	cr_assert_eq(vmb_runner_validate(&r, &err), -1);
	/* an option with nothing to read it */
	static const struct vmb_runner_option opts[] = {{"frob", NULL, "frobs"},
	                                                {NULL, NULL, NULL}};
	r = *vmb_runner_find("native");
	r.options = opts;
	cr_assert_eq(vmb_runner_validate(&r, &err), -1);
	cr_assert(strstr(err.msg, "frob"), "%s", err.msg);
	/* a lack must be one need */
	static const struct vmb_lack lacks[] = {{VMB_NEED_DISK | VMB_NEED_NETWORK, "both"},
	                                        {0, NULL}};
	r = *vmb_runner_find("native");
	r.offers = 0;
	r.lacks = lacks;
	cr_assert_eq(vmb_runner_validate(&r, &err), -1);
	/* a need neither offered nor explained */
	r = *vmb_runner_find("native");
	r.offers = VMB_NEED_ALL & ~VMB_NEED_HUGEPAGES;
	cr_assert_eq(vmb_runner_validate(&r, &err), -1);
	cr_assert(strstr(err.msg, "huge pages"), "%s", err.msg);
}

Test(registry, unavailable_runner_says_why)
{
	char why[256] = "";

	for (unsigned i = 0; i < vmb_runner_count; i++) {
		why[0] = '\0';
		if (vmb_runners[i]->probe(why, sizeof(why)) < 0)
			cr_assert_gt(strlen(why), 10, "runner %s gives no reason",
			             vmb_runners[i]->name);
	}
	cr_assert_eq(vmb_runner_find("native")->probe((char[256]){0}, 256), 0);
	/* on any host, with KVM or without: a device that is not there */
	setenv("VMBENCH_KVM_DEVICE", "/nonexistent/kvm", 1);
	why[0] = '\0';
	int rc = vmb_runner_find("vm")->probe(why, sizeof(why));
	unsetenv("VMBENCH_KVM_DEVICE");
	cr_assert_eq(rc, -1, "the vm runner works without a KVM device");
	cr_assert(strstr(why, "/nonexistent/kvm") && strstr(why, "does not exist"), "%s", why);
}

/* doctor and the runners ask the same probe: they cannot disagree */
Test(registry, doctor_and_runner_agree_on_kvm)
{
	struct vmb_probe p;
	char why[256] = "";

	vmb_probe_kvm(&p);
	int rc = vmb_runner_find("vm")->probe(why, sizeof(why));
	cr_assert_eq(p.ok, rc == 0, "doctor says %s, the runner %d", p.detail, rc);
	if (!p.ok)
		cr_assert_str_eq(why, p.detail);
}

/* Runner options become `vmbench run` options: none may shadow a generic
 * option or another runner's, and each needs a configure hook. */
Test(registry, runner_options_are_unique)
{
	static const char *const generic[] = {"suite", "runner", "workload", "reps",    "warmup",
	                                      "out",   "seed",   "scale",    "timeout", "cores",
	                                      "param", "help",   "cpus",     "memory",  "baseline"};
	const char *seen[64];
	unsigned n = 0;

	for (unsigned i = 0; i < vmb_runner_count; i++)
		for (const struct vmb_runner_option *o = vmb_runners[i]->options; o && o->name;
		     o++) {
			for (size_t g = 0; g < sizeof(generic) / sizeof(generic[0]); g++)
				cr_assert_str_neq(o->name, generic[g]);
			for (unsigned j = 0; j < n; j++)
				cr_assert_str_neq(o->name, seen[j], "--%s declared twice", o->name);
			cr_assert_lt(n, 64);
			seen[n++] = o->name;
			cr_assert_not_null(vmb_runners[i]->configure);
		}
	cr_assert_gt(n, 0);
}

/* Every metric a runner declares agrees with the core's declarations. */
Test(registry, runner_metrics_fit_the_registry)
{
	struct vmb_metric_list l = {0};

	cr_assert_eq(vmb_metrics_add(&l, vmb_core_metrics, "core"), 0);
	unsigned core = l.n;
	for (unsigned i = 0; i < vmb_runner_count; i++)
		cr_assert_eq(vmb_metrics_add(&l, vmb_runners[i]->metrics, vmb_runners[i]->name), 0,
		             "runner %s clashes", vmb_runners[i]->name);
	cr_assert_gt(l.n, core, "no runner adds a figure");
	/* a clash is caught: the same name with the other direction */
	struct vmb_metric clash[] = {
	        {"workload_wall_ns", "ns", VMB_HIGHER_IS_BETTER, VMB_AGG_MEDIAN, "x", NULL},
	        {NULL, NULL, 0, 0, NULL, NULL}};
	cr_assert_eq(vmb_metrics_add(&l, clash, "bad"), -1);
	json_t *j = vmb_metrics_json(&l);
	cr_assert_str_eq(json_string_value(json_object_get(
	                         json_object_get(j, "launch_to_first_kvm_run_ns"), "owner")),
	                 "vm");
	json_decref(j);
}

/* A need a runner lacks is matched to the workloads that have it. */
Test(registry, needs_and_lacks_match)
{
	const struct vmb_workload *io = vmb_workload_find("io-seq"),
	                          *cpu = vmb_workload_find("cpu-int");

	cr_assert(io->needs & VMB_NEED_DISK);
	cr_assert_null(vmb_runner_lacks(vmb_runner_find("vm"), io), "the VM has a virtio disk");
	cr_assert_null(vmb_runner_lacks(vmb_runner_find("vm"), cpu));
	cr_assert_null(vmb_runner_lacks(vmb_runner_find("native"), io));
	cr_assert_null(vmb_runner_lacks(vmb_runner_find("container"), io));
	/* a workload that needs a network is not met by a loopback-only runner */
	struct vmb_workload net = *cpu;
	net.needs = VMB_NEED_NETWORK;
	cr_assert_not_null(vmb_runner_lacks(vmb_runner_find("container"), &net));
	cr_assert_not_null(vmb_runner_lacks(vmb_runner_find("vm"), &net), "no network device");
	cr_assert_null(vmb_runner_lacks(vmb_runner_find("native"), &net));
}

Test(registry, every_workload_is_well_formed)
{
	cr_assert_geq(vmb_workload_count, 4);
	for (unsigned i = 0; i < vmb_workload_count; i++) {
		const struct vmb_workload *w = vmb_workloads[i];
		cr_assert(w->name && w->suite && w->summary && w->run);
		cr_assert_eq(vmb_workload_find(w->name), w);
		cr_assert(vmb_suite_known(w->suite));
		uint64_t def[VMB_MAX_PARAMS] = {0}, quick[VMB_MAX_PARAMS] = {0};
		for (unsigned p = 0; p < vmb_workload_nparams(w); p++) {
			const struct vmb_param *pa = &w->params[p];
			cr_assert_leq(pa->min, pa->def, "%s.%s", w->name, pa->name);
			cr_assert_leq(pa->def, pa->max);
			cr_assert(!pa->quick || (pa->quick >= pa->min && pa->quick <= pa->max),
			          "%s.%s: quick value out of bounds", w->name, pa->name);
			cr_assert_eq(vmb_workload_param_index(w, pa->name), (int)p);
			cr_assert_null(strchr(pa->name, '.'), "%s.%s", w->name, pa->name);
			def[p] = vmb_param_default(pa, 1, false);
			quick[p] = vmb_param_default(pa, 1, true);
		}
		/* its defaults and quick values pass its own checks */
		struct vmb_check_env env = {.cores = 1};
		struct vmb_error err = {0};
		cr_assert_eq(vmb_workload_check(w, def, &env, &err), 0, "%s: %s", w->name, err.msg);
		cr_assert_eq(vmb_workload_check(w, quick, &env, &err), 0, "%s: %s", w->name,
		             err.msg);
		/* the headline is a figure the registry knows: the core's or its own */
		const char *head = vmb_workload_headline(w);
		bool known = false;
		for (const struct vmb_metric *m = vmb_core_metrics; m->name; m++)
			known |= strcmp(m->name, head) == 0;
		for (const struct vmb_metric *m = w->metrics; m && m->name; m++) {
			known |= strcmp(m->name, head) == 0;
			cr_assert(m->unit && m->help && (m->get || m->path), "%s: %s", w->name,
			          m->name);
			cr_assert_null(strchr(m->name, '.'), "%s: %s", w->name, m->name);
		}
		cr_assert(known, "%s: headline %s is declared nowhere", w->name, head);
		for (unsigned j = i + 1; j < vmb_workload_count; j++)
			cr_assert_str_neq(w->name, vmb_workloads[j]->name);
	}
}

Test(registry, suites_come_from_the_table)
{
	const char *const *s = vmb_suites();
	int cpu = 0, n = 0;

	for (; *s; s++, n++)
		cpu += strcmp(*s, "cpu") == 0;
	cr_assert_eq(cpu, 1, "suite cpu listed %d times", cpu);
	cr_assert_geq(n, 3);
	cr_assert(vmb_suite_known("all"));
	cr_assert_not(vmb_suite_known("gpu"));
	cr_assert_not(vmb_suite_in_all("selftest"));
	cr_assert_not(vmb_suite_in_all("hostile"));
	cr_assert(vmb_suite_in_all("cpu"));
}

/* Runs workload `name` at small sizes with seed; returns its checksum. */
static uint64_t run_small(const char *name, uint64_t seed, long long *ops)
{
	const struct vmb_workload *w = vmb_workload_find(name);
	struct vmb_workload_ctx ctx = {.seed = seed};
	struct vmb_error err = {0};

	cr_assert_not_null(w);
	/* each parameter small: its minimum, or 8 (a switch stays at its off) */
	for (unsigned p = 0; p < vmb_workload_nparams(w); p++) {
		const struct vmb_param *pa = &w->params[p];
		ctx.param[p] = pa->min > 8 || pa->max < 8 ? pa->min : 8;
	}
	ctx.threads = 1;
	cr_assert(!w->setup || w->setup(&ctx, &err) == 0, "%s: %s", name, err.msg);
	cr_assert_eq(w->run(&ctx, &err), 0, "%s: %s", name, err.msg);
	if (w->teardown)
		w->teardown(&ctx);
	cr_assert_null(ctx.state, "%s: teardown left its state", name);
	*ops = ctx.ops;
	json_decref(ctx.figures);
	json_decref(ctx.curves);
	json_decref(ctx.observations);
	for (unsigned i = 0; i < VMB_MAX_DISTS; i++)
		vmb_hist_free(ctx.dist[i]);
	return ctx.checksum;
}

Test(registry, compute_workloads_count_work_and_depend_on_input)
{
	const char *names[] = {"cpu-int",    "cpu-float",   "cpu-linpack",
	                       "mem-stream", "mem-latency", "mem-gups"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		long long ops1, ops2, ops3;
		uint64_t a = run_small(names[i], 7, &ops1);
		uint64_t b = run_small(names[i], 7, &ops2);
		uint64_t c = run_small(names[i], 8, &ops3);
		cr_assert_gt(ops1, 0, "%s counted no work", names[i]);
		cr_assert_eq(ops1, ops2);
		cr_assert_eq(a, b, "%s is not deterministic", names[i]);
		cr_assert_neq(a, c, "%s ignores its seed", names[i]);
	}
}

Test(registry, fault_workload_reports_failure)
{
	const struct vmb_workload *w = vmb_workload_find("fault");
	struct vmb_workload_ctx ctx = {.param = {2, 1}};
	struct vmb_error err = {0};

	cr_assert_eq(w->run(&ctx, &err), -1);
	cr_assert(strstr(err.msg, "on purpose"));
}

/* The in-tree ELF reader finds what the loader would map: the interpreter,
 * libc, and the libraries the agent links (jansson, PAPI). */
Test(registry, elf_closure_of_the_agent)
{
	struct vmb_error err = {0};
	const char *agent = getenv("VMBENCH_AGENT");

	cr_assert_not_null(agent, "VMBENCH_AGENT is not set (run through meson test)");
	char **libs = vmb_elf_closure(agent, &err);
	cr_assert_not_null(libs, "%s", err.msg);
	int interp = 0, libc = 0, jansson = 0, papi = 0;
	for (char **l = libs; *l; l++) {
		cr_assert_eq((*l)[0], '/', "not absolute: %s", *l);
		cr_assert_eq(access(*l, R_OK), 0, "not readable: %s", *l);
		interp += strstr(*l, "ld-linux") != NULL;
		libc += strstr(*l, "/libc.so") != NULL;
		jansson += strstr(*l, "libjansson") != NULL;
		papi += strstr(*l, "libpapi") != NULL;
	}
	cr_assert(interp && libc == 1 && jansson == 1 && papi == 1);
	vmb_strv_free(libs);
	cr_assert_null(vmb_elf_closure("/etc/passwd", &err), "a text file has no closure");
	cr_assert(strstr(err.msg, "/etc/passwd"), "%s", err.msg);
}
