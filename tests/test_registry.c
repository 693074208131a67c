/* test_registry.c: walks the runner and workload tables and checks every entry. */
#include <criterion/criterion.h>
#include <string.h>

#include <stdlib.h>
#include <unistd.h>

#include "vmbench/image.h"
#include "vmbench/runner.h"
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
}

Test(registry, unavailable_runner_says_why)
{
	for (unsigned i = 0; i < vmb_runner_count; i++) {
		char why[256] = "";
		if (vmb_runners[i]->probe(why, sizeof(why)) < 0)
			cr_assert_gt(strlen(why), 10, "runner %s gives no reason",
			             vmb_runners[i]->name);
	}
	cr_assert_eq(vmb_runner_find("native")->probe((char[256]){0}, 256), 0);
}

Test(registry, every_workload_is_well_formed)
{
	cr_assert_geq(vmb_workload_count, 4);
	for (unsigned i = 0; i < vmb_workload_count; i++) {
		const struct vmb_workload *w = vmb_workloads[i];
		cr_assert(w->name && w->suite && w->summary && w->run);
		cr_assert_eq(vmb_workload_find(w->name), w);
		cr_assert(vmb_suite_known(w->suite));
		for (unsigned p = 0; p < vmb_workload_nparams(w); p++) {
			cr_assert_leq(w->params[p].min, w->params[p].def, "%s.%s", w->name,
			              w->params[p].name);
			cr_assert_leq(w->params[p].def, w->params[p].max);
			cr_assert_eq(vmb_workload_param_index(w, w->params[p].name), (int)p);
		}
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
	cr_assert(vmb_suite_in_all("cpu"));
}

/* Runs workload `name` at small sizes with seed; returns its checksum. */
static uint64_t run_small(const char *name, uint64_t seed, long long *ops)
{
	const struct vmb_workload *w = vmb_workload_find(name);
	struct vmb_workload_ctx ctx = {.seed = seed};
	struct vmb_error err = {0};

	cr_assert_not_null(w);
	for (unsigned p = 0; p < vmb_workload_nparams(w); p++)
		ctx.param[p] = w->params[p].min > 8 ? w->params[p].min : 8;
	cr_assert_eq(w->run(&ctx, &err), 0, "%s: %s", name, err.msg);
	*ops = ctx.ops;
	return ctx.checksum;
}

Test(registry, compute_workloads_count_work_and_depend_on_input)
{
	const char *names[] = {"cpu-int", "cpu-float", "mem-stream"};

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
	char **libs = vmb_image_closure(agent, &err);
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
	cr_assert_null(vmb_image_closure("/etc/passwd", &err), "a text file has no closure");
	cr_assert(strstr(err.msg, "/etc/passwd"), "%s", err.msg);
}
