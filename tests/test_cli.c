/* test_cli.c: `vmbench run` option parsing and planning, good input and bad. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "bench/density.h"
#include "vmbench/cli.h"
#include "vmbench/util.h"

/* Parses a NULL-terminated list of arguments after "run". */
static int parse(struct vmb_run_opts *o, struct vmb_error *err, const char **args)
{
	static char store[32][128];
	char *argv[34];
	int argc = 0;

	argv[argc++] = "run";
	for (; *args; args++, argc++) {
		snprintf(store[argc], sizeof(store[argc]), "%s", *args);
		argv[argc] = store[argc];
	}
	argv[argc] = NULL;
	memset(err, 0, sizeof(*err));
	return vmb_cli_parse_run(argc, argv, o, err);
}

#define PARSE(o, err, ...) parse(o, err, (const char *[]){__VA_ARGS__, NULL})

Test(cli, defaults)
{
	struct vmb_run_opts o;
	struct vmb_error err;

	cr_assert_eq(parse(&o, &err, (const char *[]){NULL}), 0, "%s", err.msg);
	cr_assert_eq(o.reps, 5);
	cr_assert_eq(o.warmup, 1);
	cr_assert_eq(o.nsuites, 1);
	cr_assert_str_eq(o.suites[0], "all");
	cr_assert_eq(o.nrunners, vmb_runner_count);
	cr_assert_null(o.out);
	cr_assert_eq(o.cores, 1);
}

Test(cli, lists_and_numbers)
{
	struct vmb_run_opts o;
	struct vmb_error err;

	cr_assert_eq(PARSE(&o, &err, "--suite", "cpu,memory", "--runner", "native", "--reps", "7",
	                   "--warmup", "0", "--seed", "42", "--out", "/tmp/x", "--scale", "0.5",
	                   "--workload", "cpu-int"),
	             0, "%s", err.msg);
	cr_assert_eq(o.nsuites, 2);
	cr_assert_str_eq(o.suites[1], "memory");
	cr_assert_eq(o.nrunners, 1);
	cr_assert_str_eq(o.runners[0]->name, "native");
	cr_assert_eq(o.reps, 7);
	cr_assert_eq(o.warmup, 0);
	cr_assert_eq(o.seed, 42);
	cr_assert_float_eq(o.scale, 0.5, 1e-12);
	cr_assert_str_eq(o.workloads[0]->name, "cpu-int");
}

/* Every bad input is a usage error whose message names the input. */
static void bad(const char *needle, const char **args)
{
	struct vmb_run_opts o;
	struct vmb_error err;

	cr_assert_eq(parse(&o, &err, args), -1, "accepted input with %s", needle);
	cr_assert_eq(err.kind, VMB_ERR_USAGE, "%s", err.msg);
	cr_assert(strstr(err.msg, needle), "message '%s' does not name '%s'", err.msg, needle);
}

Test(cli, bad_input_is_named)
{
	bad("gpu", (const char *[]){"--suite", "gpu", NULL});
	bad("docker", (const char *[]){"--runner", "native,docker", NULL});
	bad("nosuch", (const char *[]){"--workload", "nosuch", NULL});
	bad("--reps", (const char *[]){"--reps", "0", NULL});
	bad("--reps", (const char *[]){"--reps", "5x", NULL});
	bad("--reps", (const char *[]){"--reps", "-3", NULL});
	bad("--warmup", (const char *[]){"--warmup", "1001", NULL});
	bad("--scale", (const char *[]){"--scale", "nan", NULL});
	bad("--scale", (const char *[]){"--scale", "0", NULL});
	bad("--timeout", (const char *[]){"--timeout", "0", NULL});
	bad("--cores", (const char *[]){"--cores", "0", NULL});
	bad("--suite", (const char *[]){"--suite", "cpu,", NULL});
	bad("native", (const char *[]){"--runner", "native,native", NULL});
	bad("--frobnicate", (const char *[]){"--frobnicate", NULL});
	bad("stray", (const char *[]){"stray", NULL});
	bad("--out", (const char *[]){"--out", "", NULL});
	bad("--reps", (const char *[]){"--reps", NULL});
	bad("cpu-int.iterations", (const char *[]){"--param", "cpu-int.iterations=0", NULL});
	bad("nosuch", (const char *[]){"--param", "nosuch.iterations=3", NULL});
	bad("cpu-int has no parameter 'rounds'",
	    (const char *[]){"--param", "cpu-int.rounds=3", NULL});
	bad("colour", (const char *[]){"--param", "colour=3", NULL});
	bad("--memory", (const char *[]){"--memory", "lots", NULL});
	bad("--cpus", (const char *[]){"--cpus", "0", NULL});
	bad("--image", (const char *[]){"--image", "", NULL});
}

Test(cli, plan_expands_suites_by_runners)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	struct vmb_case *cases;

	int own = 0, cpu = 0;
	for (unsigned i = 0; i < vmb_runner_count; i++)
		own += !vmb_runners[i]->reference_for;
	for (unsigned i = 0; i < vmb_workload_count; i++)
		cpu += strcmp(vmb_workloads[i]->suite, "cpu") == 0;
	cr_assert_eq(PARSE(&o, &err, "--suite", "cpu"), 0);
	int n = vmb_plan(&o, &cases, &err);
	cr_assert_geq(cpu, 2);
	cr_assert_eq(n, cpu * own, "%d cases", n);
	for (int i = 0; i < n; i++) {
		cr_assert_str_eq(cases[i].workload->suite, "cpu");
		if (strcmp(cases[i].runner->name, "native") == 0)
			cr_assert_null(cases[i].skip_reason);
	}
	free(cases);
}

Test(cli, all_excludes_selftest_and_empty_plan_is_an_error)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	struct vmb_case *cases;

	cr_assert_eq(PARSE(&o, &err, "--runner", "native"), 0);
	int n = vmb_plan(&o, &cases, &err);
	cr_assert_gt(n, 0);
	for (int i = 0; i < n; i++)
		cr_assert_str_neq(cases[i].workload->suite, "selftest");
	free(cases);
	cr_assert_eq(PARSE(&o, &err, "--suite", "cpu", "--workload", "mem-stream"), 0);
	cr_assert_eq(vmb_plan(&o, &cases, &err), -1);
	cr_assert_eq(err.kind, VMB_ERR_USAGE);
}

Test(cli, params_scale_and_override)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	const struct vmb_workload *w = vmb_workload_find("cpu-float");
	int order = vmb_workload_param_index(w, "order");
	int rounds = vmb_workload_param_index(w, "rounds");

	cr_assert_eq(PARSE(&o, &err, "--scale", "0.5", "--param", "cpu-float.order=64"), 0, "%s",
	             err.msg);
	cr_assert_eq(vmb_param_value(&o, w, (unsigned)order), 64);
	cr_assert_eq(vmb_param_value(&o, w, (unsigned)rounds), (w->params[rounds].def + 1) / 2);
	cr_assert_eq(PARSE(&o, &err, "--scale", "0.0001"), 0);
	cr_assert_eq(vmb_param_value(&o, w, (unsigned)rounds), w->params[rounds].min);
}

Test(cli, params_are_named_per_workload)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	const struct vmb_workload *stream = vmb_workload_find("mem-stream");
	const struct vmb_workload *fault = vmb_workload_find("fault");
	int sm = vmb_workload_param_index(stream, "mib"),
	    fm = vmb_workload_param_index(fault, "mib");

	cr_assert(sm >= 0 && fm >= 0, "both workloads have a parameter called mib");
	cr_assert_eq(PARSE(&o, &err, "--param", "mem-stream.mib=8"), 0, "%s", err.msg);
	cr_assert_eq(vmb_param_value(&o, stream, (unsigned)sm), 8);
	cr_assert_eq(vmb_param_value(&o, fault, (unsigned)fm), fault->params[fm].def,
	             "another workload's parameter of the same name is left alone");
	/* a bare key that two workloads have is refused, naming both */
	cr_assert_eq(PARSE(&o, &err, "--param", "mib=8"), -1);
	cr_assert_eq(err.kind, VMB_ERR_USAGE);
	cr_assert(strstr(err.msg, "mem-stream") && strstr(err.msg, "fault"), "%s", err.msg);
}

Test(cli, size_parameters_take_suffixes)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	const struct vmb_workload *w = NULL;
	int idx = -1;

	/* the first size parameter of any workload */
	for (unsigned i = 0; i < vmb_workload_count && idx < 0; i++)
		for (unsigned p = 0; p < vmb_workload_nparams(vmb_workloads[i]); p++)
			if (vmb_workloads[i]->params[p].bytes &&
			    vmb_workloads[i]->params[p].max >= (1u << 20)) {
				w = vmb_workloads[i];
				idx = (int)p;
				break;
			}
	cr_assert_not_null(w, "no workload has a size parameter");
	char arg[128];
	snprintf(arg, sizeof(arg), "%s.%s=1M", w->name, w->params[idx].name);
	cr_assert_eq(PARSE(&o, &err, "--param", arg), 0, "%s", err.msg);
	cr_assert_eq(vmb_param_value(&o, w, (unsigned)idx), 1u << 20);
	snprintf(arg, sizeof(arg), "%s.%s=1Q", w->name, w->params[idx].name);
	cr_assert_eq(PARSE(&o, &err, "--param", arg), -1);
	cr_assert(strstr(err.msg, w->params[idx].name), "%s", err.msg);
}

Test(cli, quick_takes_quick_values_and_three_reps)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	const struct vmb_workload *w = vmb_workload_find("cpu-int");
	int it = vmb_workload_param_index(w, "iterations");

	cr_assert_neq(w->params[it].quick, 0);
	cr_assert_eq(PARSE(&o, &err, "--quick"), 0, "%s", err.msg);
	cr_assert_eq(vmb_param_value(&o, w, (unsigned)it), w->params[it].quick);
	cr_assert_eq(o.reps, 3);
	cr_assert_eq(PARSE(&o, &err, "--quick", "--reps", "7", "--scale", "2"), 0, "%s", err.msg);
	cr_assert_eq(o.reps, 7, "--reps wins over --quick's default");
	cr_assert_eq(vmb_param_value(&o, w, (unsigned)it), 2 * w->params[it].quick);
}

Test(cli, a_working_set_beyond_the_memory_limit_is_refused_before_the_run)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	struct vmb_case *cases;

	cr_assert_eq(PARSE(&o, &err, "--workload", "mem-stream", "--param", "mem-stream.mib=256",
	                   "--memory", "256M"),
	             0, "%s", err.msg);
	cr_assert_eq(vmb_plan(&o, &cases, &err), -1);
	cr_assert_eq(err.kind, VMB_ERR_USAGE);
	cr_assert(strstr(err.msg, "mem-stream") && strstr(err.msg, "256 MiB"), "%s", err.msg);
	/* and fits when the limit allows it */
	cr_assert_eq(PARSE(&o, &err, "--workload", "mem-stream", "--param", "mem-stream.mib=64",
	                   "--memory", "256M"),
	             0, "%s", err.msg);
	int n = vmb_plan(&o, &cases, &err);
	cr_assert_gt(n, 0, "%s", err.msg);
	free(cases);
}

Test(cli, reference_runner_only_in_startup_unless_named)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	struct vmb_case *cases;
	int seen;

	cr_assert_eq(PARSE(&o, &err, "--suite", "startup,cpu"), 0);
	int n = vmb_plan(&o, &cases, &err);
	seen = 0;
	for (int i = 0; i < n; i++)
		if (strcmp(cases[i].runner->name, "unshare") == 0) {
			cr_assert_str_eq(cases[i].workload->suite, "startup");
			seen++;
		}
	cr_assert_eq(seen, 1);
	free(cases);
	cr_assert_eq(PARSE(&o, &err, "--suite", "cpu", "--runner", "unshare"), 0);
	n = vmb_plan(&o, &cases, &err);
	int cpu = 0;
	for (unsigned i = 0; i < vmb_workload_count; i++)
		cpu += strcmp(vmb_workloads[i]->suite, "cpu") == 0;
	cr_assert_eq(n, cpu, "named, the reference runner runs every chosen workload");
	free(cases);
}

Test(cli, sizes)
{
	struct vmb_error err = {0};
	uint64_t v;

	cr_assert_eq(vmb_parse_size("512M", 1, UINT64_MAX, "--memory", &v, &err), 0);
	cr_assert_eq(v, 512ull << 20);
	cr_assert_eq(vmb_parse_size("2G", 1, UINT64_MAX, "--memory", &v, &err), 0);
	cr_assert_eq(v, 2ull << 30);
	cr_assert_eq(vmb_parse_size("4096", 1, UINT64_MAX, "--memory", &v, &err), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(vmb_parse_size("12X", 1, UINT64_MAX, "--memory", &v, &err), -1);
	cr_assert(strstr(err.msg, "--memory"));
	cr_assert_eq(vmb_parse_size("1K", 1 << 20, UINT64_MAX, "--memory", &v, &err), -1);
	cr_assert_eq(vmb_parse_size("M", 1, UINT64_MAX, "--memory", &v, &err), -1);
}

/* The VM has a disk now: io-seq is planned on it, skipped at most because
 * this host cannot run a VM (its probe), never for want of a disk. */
Test(cli, vm_plans_io_on_its_disk)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	struct vmb_case *cases;
	char why[256] = "";

	cr_assert_eq(PARSE(&o, &err, "--workload", "io-seq", "--runner", "vm,native"), 0);
	int n = vmb_plan(&o, &cases, &err);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(cases[0].runner->name, "vm");
	if (vmb_runner_find("vm")->probe(why, sizeof(why)) == 0)
		cr_assert_null(cases[0].skip_reason, "%s", cases[0].skip_reason);
	else
		cr_assert(cases[0].skip_reason && !strstr(cases[0].skip_reason, "needs"), "%s",
		          cases[0].skip_reason);
	cr_assert_null(cases[1].skip_reason, "native has a disk: %s", cases[1].skip_reason);
	free(cases);
}

Test(cli, runner_options_go_to_their_runner)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	struct vmb_option_value buf[VMB_MAX_LIST];

	cr_assert_eq(PARSE(&o, &err, "--kernel", "/boot/a", "--hugepages", "--image", "/img",
	                   "--kernel", "/boot/b"),
	             0, "%s", err.msg);
	struct vmb_run_env vm = vmb_cli_runner_env(&o, vmb_runner_find("vm"), buf);
	cr_assert_eq(vm.nopts, 3);
	cr_assert_str_eq(vmb_option_get(&vm, "kernel"), "/boot/b", "the last one given wins");
	cr_assert_str_eq(vmb_option_get(&vm, "hugepages"), "");
	cr_assert_null(vmb_option_get(&vm, "image"), "another runner's option leaked");
	struct vmb_run_env ctr = vmb_cli_runner_env(&o, vmb_runner_find("container"), buf);
	cr_assert_eq(ctr.nopts, 1);
	cr_assert_str_eq(vmb_option_get(&ctr, "image"), "/img");
	/* an option of a runner the run leaves out is an error naming both */
	cr_assert_eq(PARSE(&o, &err, "--runner", "native", "--hugepages"), -1);
	cr_assert(strstr(err.msg, "--hugepages") && strstr(err.msg, "vm"), "%s", err.msg);
	/* the baseline is a choice among the run's runners, by default the first */
	cr_assert_eq(PARSE(&o, &err, "--baseline", "container"), 0);
	cr_assert_str_eq(o.baseline, "container");
	cr_assert_eq(PARSE(&o, &err, "--runner", "container,vm"), 0);
	cr_assert_str_eq(o.baseline, "container");
	cr_assert_eq(PARSE(&o, &err, "--runner", "native", "--baseline", "vm"), -1);
	cr_assert(strstr(err.msg, "--baseline vm"), "%s", err.msg);
	cr_assert_eq(parse(&o, &err, (const char *[]){NULL}), 0);
	cr_assert_str_eq(o.baseline, "native");
}

Test(cli, reps_auto_and_its_limits)
{
	struct vmb_run_opts o;
	struct vmb_error err;

	cr_assert_eq(PARSE(&o, &err, "--reps", "auto", "--ci-target", "1%", "--max-reps", "50",
	                   "--max-time", "30"),
	             0, "%s", err.msg);
	cr_assert(o.reps_auto);
	cr_assert_eq(o.reps, 50, "--max-reps bounds an auto case");
	cr_assert_float_eq(o.ci_target, 0.01, 1e-12);
	cr_assert_float_eq(o.max_time_s, 30, 1e-12);
	/* a percentage with or without its sign, as compare's --threshold */
	cr_assert_eq(PARSE(&o, &err, "--ci-target", "5"), 0);
	cr_assert_float_eq(o.ci_target, 0.05, 1e-12);
	bad("--ci-target", (const char *[]){"--ci-target", "150%", NULL});
	bad("--max-reps", (const char *[]){"--reps", "auto", "--max-reps", "2", NULL});
	bad("--max-reps", (const char *[]){"--reps", "9", "--max-reps", "20", NULL});
	bad("--reps", (const char *[]){"--reps", "automatic", NULL});
}

/* A case the runner's instance cannot hold is skipped, saying so, on any
 * host (the room is the runner's declaration, not a probe): the VM's guest
 * keeps 192 MiB of --memory for its own kernel. */
Test(cli, a_guest_too_small_for_the_workload_is_skipped)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	struct vmb_case *cases;

	cr_assert_eq(PARSE(&o, &err, "--workload", "mem-stream", "--param", "mem-stream.mib=32",
	                   "--runner", "vm,native", "--memory", "128M"),
	             0, "%s", err.msg);
	int n = vmb_plan(&o, &cases, &err);
	cr_assert_eq(n, 2, "%s", err.msg);
	cr_assert_str_eq(cases[0].runner->name, "vm");
	cr_assert(cases[0].skip_reason && strstr(cases[0].skip_reason, "leaves a workload 0 MiB"),
	          "%s", cases[0].skip_reason ? cases[0].skip_reason : "not skipped");
	free(cases);
}

/* A volume on tmpfs is memory, not a disk: the disk workloads are skipped
 * there, naming it; the others run. */
Test(cli, disk_workloads_skip_a_volume_in_memory)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	struct vmb_case *cases;
	char why[300];

	if (access("/dev/shm", W_OK) != 0 || !vmb_volume_not_disk("/dev/shm", why, sizeof(why)))
		cr_skip_test("no tmpfs at /dev/shm here");
	cr_assert_eq(PARSE(&o, &err, "--workload", "disk-rand,cpu-int", "--runner", "native",
	                   "--volume", "/dev/shm"),
	             0, "%s", err.msg);
	int n = vmb_plan(&o, &cases, &err);
	cr_assert_eq(n, 2, "%s", err.msg);
	for (int i = 0; i < n; i++) {
		bool disk = strcmp(cases[i].workload->name, "disk-rand") == 0;
		cr_assert_eq(cases[i].skip_reason != NULL, disk, "%s", cases[i].workload->name);
		if (disk)
			cr_assert(strstr(cases[i].skip_reason, "tmpfs") &&
			                  strstr(cases[i].skip_reason, "--volume"),
			          "%s", cases[i].skip_reason);
	}
	free(cases);
}

/* The density suite: hold swept 1, 2, 4... to --max-instances (its last point
 * that value, whatever the power of two below it), and a cpu and a memory
 * victim each alone and beside three neighbours busy their own way. */
Test(cli, density_plans_a_sweep_and_noisy_neighbours)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	struct vmb_case *cases;

	cr_assert_eq(PARSE(&o, &err, "--suite", "density", "--runner", "native", "--max-instances",
	                   "12"),
	             0, "%s", err.msg);
	int n = vmb_plan(&o, &cases, &err);
	unsigned want[] = {1, 2, 4, 8, 12}, k = 0;
	int victims = 0;
	for (int i = 0; i < n; i++) {
		if (cases[i].instances) {
			cr_assert_str_eq(cases[i].workload->name, "hold");
			cr_assert(cases[i].sweep);
			cr_assert_lt(k, 5);
			cr_assert_eq(cases[i].instances, want[k++]);
			cr_assert_eq(cases[i].neighbours, -1);
			continue;
		}
		cr_assert_geq(cases[i].neighbours, 0, "%s", cases[i].workload->name);
		bool cpu = strcmp(cases[i].workload->name, "cpu-int") == 0;
		cr_assert(cpu || strcmp(cases[i].workload->name, "mem-stream") == 0);
		if (cases[i].neighbours > 0) {
			cr_assert_eq(cases[i].neighbours, 3);
			cr_assert_eq(cases[i].load, cpu ? 1u : 2u);
		}
		victims++;
	}
	cr_assert_eq(k, 5, "%u density points", k);
	cr_assert_eq(victims, 4);
	free(cases);

	/* a list, in order; a load named; --quick's smaller sweep */
	cr_assert_eq(PARSE(&o, &err, "--workload", "cpu-int,hold", "--runner", "native",
	                   "--instances", "3,30", "--neighbours", "2:idle"),
	             0, "%s", err.msg);
	n = vmb_plan(&o, &cases, &err);
	cr_assert_eq(n, 4);
	cr_assert_eq(cases[0].neighbours, 0);
	cr_assert_eq(cases[1].neighbours, 2);
	cr_assert_eq(cases[1].load, 0u);
	cr_assert_eq(cases[2].instances, 3);
	cr_assert_eq(cases[3].instances, 30);
	cr_assert_not(cases[3].sweep);
	free(cases);
	cr_assert_eq(PARSE(&o, &err, "--workload", "hold", "--runner", "native", "--quick"), 0);
	cr_assert_eq(o.max_instances, 8);
}

/* A point that cannot fit in the host's memory is skipped before anything
 * starts, saying how much it would need. */
Test(cli, a_density_point_beyond_the_hosts_memory_is_skipped)
{
	struct vmb_run_opts o;
	struct vmb_error err;
	struct vmb_case *cases;
	char touch[64];

	/* each instance holds a tenth of the host: 16 of them cannot fit */
	snprintf(touch, sizeof(touch), "hold.touch=%lluM",
	         (unsigned long long)(vmb_host_memory_bytes() / 10 >> 20));
	cr_assert_eq(PARSE(&o, &err, "--workload", "hold", "--runner", "native", "--instances",
	                   "1,16", "--param", touch),
	             0, "%s", err.msg);
	int n = vmb_plan(&o, &cases, &err);
	cr_assert_eq(n, 2);
	cr_assert_null(cases[0].skip_reason);
	cr_assert_not_null(cases[1].skip_reason);
	cr_assert(strstr(cases[1].skip_reason, "16 instances") &&
	                  strstr(cases[1].skip_reason, "80%"),
	          "%s", cases[1].skip_reason);
	free(cases);
}

Test(cli, density_bad_input_is_named)
{
	bad("--instances", (const char *[]){"--instances", "4,2", NULL});
	bad("--instances", (const char *[]){"--instances", "0", NULL});
	bad("--instances", (const char *[]){"--instances", "4,,8", NULL});
	bad("--instances", (const char *[]){"--instances", "5000", NULL});
	bad("--max-instances", (const char *[]){"--max-instances", "0", NULL});
	bad("--rate", (const char *[]){"--rate", "0", NULL});
	bad("--rate", (const char *[]){"--rate", "fast", NULL});
	bad("--neighbours", (const char *[]){"--neighbours", "0", NULL});
	bad("--neighbours", (const char *[]){"--neighbours", "3:loud", NULL});
	bad("--hold-time", (const char *[]){"--hold-time", "-1", NULL});

	/* accepted alone, refused where the run has no density point */
	struct vmb_run_opts o;
	struct vmb_error err;
	struct vmb_case *cases;
	cr_assert_eq(PARSE(&o, &err, "--suite", "cpu", "--instances", "8"), 0);
	cr_assert_eq(vmb_plan(&o, &cases, &err), -1);
	cr_assert_eq(err.kind, VMB_ERR_USAGE);
	cr_assert(strstr(err.msg, "--instances") && strstr(err.msg, "no density point"), "%s",
	          err.msg);
	cr_assert_eq(PARSE(&o, &err, "--workload", "noop", "--rate", "10"), 0);
	cr_assert_eq(vmb_plan(&o, &cases, &err), -1);
	cr_assert(strstr(err.msg, "--rate"), "%s", err.msg);
	cr_assert_eq(PARSE(&o, &err, "--workload", "hold", "--neighbours", "2"), 0);
	cr_assert_eq(vmb_plan(&o, &cases, &err), -1);
	cr_assert(strstr(err.msg, "--neighbours"), "%s", err.msg);
}

/* The sweep's rule after a point, one case each way. */
Test(cli, the_sweep_stops_at_the_knee_memory_or_time)
{
	char why[300];
	struct vmb_sweep_point p = {.instances = 8,
	                            .p50 = 30e6,
	                            .p50_lo = 25e6,
	                            .all_ready = 40e6,
	                            .kib = 2048,
	                            .base_p50 = 10e6,
	                            .base_instances = 1,
	                            .next = 16,
	                            .avail_kib = 1 << 30,
	                            .timeout_s = 300};

	/* three times the start of one, beyond its interval: the knee */
	cr_assert_str_eq(vmb_sweep_rule(&p, why, sizeof(why)), "start_doubled");
	cr_assert(strstr(why, "8 instances") && strstr(why, "3.0x"), "%s", why);
	/* twice on the median, not beyond its interval: go on */
	p.p50 = 21e6;
	p.p50_lo = 15e6;
	cr_assert_null(vmb_sweep_rule(&p, why, sizeof(why)));
	/* the first point is no knee; with no interval the median decides */
	p.p50_lo = NAN;
	cr_assert_str_eq(vmb_sweep_rule(&p, why, sizeof(why)), "start_doubled");
	p.base_p50 = NAN;
	cr_assert_null(vmb_sweep_rule(&p, why, sizeof(why)));
	/* the next point would not fit in 80% of what the host has */
	p.avail_kib = 16 * 2048;
	cr_assert_str_eq(vmb_sweep_rule(&p, why, sizeof(why)), "memory");
	cr_assert(strstr(why, "16 instances"), "%s", why);
	p.avail_kib = 1 << 30;
	/* 40 ms for 8 is 80 ms for 16: beyond half a 0.1 s timeout */
	p.timeout_s = 0.1;
	cr_assert_str_eq(vmb_sweep_rule(&p, why, sizeof(why)), "time");
	cr_assert(strstr(why, "--timeout"), "%s", why);
	p.timeout_s = 0.2;
	cr_assert_null(vmb_sweep_rule(&p, why, sizeof(why)));
	/* the last point: nothing next to fit */
	p.timeout_s = 0.1;
	p.next = 0;
	cr_assert_null(vmb_sweep_rule(&p, why, sizeof(why)));
}
