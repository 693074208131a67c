/* test_e2e.c: runs the built vmbench end to end on the native runner and checks the
 * results file, the exit statuses, bad input, faults and interruption. */
#include <criterion/criterion.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "vmbench/cli.h"
#include "vmbench/journal.h"
#include "vmbench/results.h"
#include "vmbench/runner.h"
#include "vmbench/util.h"

static void check_native_case(json_t *c, bool counts_ops)
{
	json_t *samples = json_object_get(c, "samples"), *s;
	const char *sum0 = NULL;
	size_t i;

	cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "ok");
	cr_assert_eq(json_array_size(samples), 3, "1 warm-up + 2 reps expected");
	json_array_foreach(samples, i, s)
	{
		json_t *a = json_object_get(s, "agent"), *p = json_object_get(s, "phases");
		cr_assert_str_eq(json_string_value(json_object_get(s, "status")), "ok");
		cr_assert_eq(json_is_true(json_object_get(s, "warmup")), i == 0);
		cr_assert_gt(th_num(a, "wall_ns"), 0);
		if (counts_ops)
			cr_assert_gt(th_num(a, "ops"), 0);
		/* phases in order on one clock */
		cr_assert_lt(th_num(p, "launch"), th_num(p, "agent_ready"));
		cr_assert_leq(th_num(p, "agent_ready"), th_num(p, "workload_done"));
		cr_assert_leq(th_num(p, "workload_done"), th_num(p, "exited"));
		cr_assert_leq(th_num(p, "exited"), th_num(p, "teardown_done"));
		cr_assert_eq(th_num(json_object_get(json_object_get(s, "host"), "exit"), "code"),
		             0);
		cr_assert_geq(
		        th_num(json_object_get(json_object_get(s, "host"), "rusage"), "maxrss_kib"),
		        1);
		/* counters: a number that is real, or a reason, never a bare zero */
		const char *name;
		json_t *v;
		json_object_foreach(json_object_get(a, "counters"), name, v)
		{
			json_t *val = json_object_get(v, "value");
			const char *why = json_string_value(json_object_get(v, "unavailable"));
			cr_assert(val || (why && *why), "counter %s has neither value nor reason",
			          name);
			if (val && strncmp(name, "PAPI_", 5) == 0)
				cr_assert_gt(json_integer_value(val), 0, "%s counted 0", name);
		}
		json_t *ops = json_object_get(
		        json_object_get(json_object_get(a, "counters"), "sde:::vmbench::ops"),
		        "value");
		if (ops)
			cr_assert_eq(json_integer_value(ops), (json_int_t)th_num(a, "ops"),
			             "the PAPI software-defined counter disagrees with the agent");
		const char *sum = json_string_value(json_object_get(a, "checksum"));
		if (!sum0)
			sum0 = sum;
		cr_assert_str_eq(sum, sum0, "same work, different checksum");
	}
	json_t *wall = json_object_get(json_object_get(c, "aggregates"), "workload_wall_ns");
	cr_assert_eq(th_num(wall, "n"), 2, "warm-ups must not be aggregated");
	cr_assert_geq(th_num(wall, "median"), th_num(wall, "min"));
	cr_assert_leq(th_num(wall, "median"), th_num(wall, "max"));
}

Test(e2e, native_run_writes_complete_results)
{
	char *tmp = th_tmpdir(), out[300], *log;
	char *before = th_leftovers();

	snprintf(out, sizeof(out), "%s/run", tmp);
	char *argv[] = {(char *)th_vmbench(),
	                "run",
	                "--suite",
	                "cpu,memory,startup",
	                "--runner",
	                "native",
	                "--reps",
	                "2",
	                "--warmup",
	                "1",
	                "--scale",
	                "0.02",
	                "--quick",
	                "--param",
	                "mem-stream.mib=8",
	                "--out",
	                out,
	                NULL};
	int rc = th_run(argv, &log);
	cr_assert_eq(rc, 0, "vmbench run exited %d:\n%s", rc, log);
	cr_assert(strstr(log, "[case 1/"), "no progress lines:\n%s", log);

	json_t *root = th_load_results(out);
	struct vmb_error err = {0};
	cr_assert_eq(vmb_results_validate(root, &err), 0, "%s", err.msg);
	cr_assert_str_eq(json_string_value(json_object_get(root, "status")), "complete");
	cr_assert_not_null(json_string_value(json_object_get(root, "ended_at")));
	json_t *host = json_object_get(root, "host");
	cr_assert_gt(th_num(json_object_get(host, "topology"), "cores"), 0);
	cr_assert_not_null(json_string_value(json_object_get(host, "cpu_model")));
	cr_assert_not_null(
	        json_string_value(json_object_get(json_object_get(host, "kernel"), "release")));
	cr_assert_not_null(
	        json_string_value(json_object_get(json_object_get(host, "cgroup"), "mode")));
	cr_assert_gt(json_array_size(json_object_get(json_object_get(host, "papi"), "components")),
	             0);
	cr_assert_gt(
	        json_array_size(json_object_get(
	                json_object_get(json_object_get(root, "config"), "placement"), "cores")),
	        0);
	cr_assert_eq(json_array_size(json_object_get(root, "command_line")), 17);
	/* as typed: parsing splits lists in place, the record must not show it */
	cr_assert_str_eq(
	        json_string_value(json_array_get(json_object_get(root, "command_line"), 3)),
	        "cpu,memory,startup");
	cr_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(root, "config"), "baseline")),
	        "native");
	/* every aggregated figure is declared, with its direction */
	json_t *decl = json_object_get(root, "metrics");
	cr_assert_str_eq(json_string_value(json_object_get(
	                         json_object_get(decl, "workload_wall_ns"), "better")),
	                 "lower");
	cr_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(decl, "ops_per_s"), "better")),
	        "higher");
	cr_assert_str_eq(
	        json_string_value(json_object_get(th_case(root, "noop", "native"), "headline")),
	        "launch_to_ready_ns");

	check_native_case(th_case(root, "cpu-int", "native"), true);
	check_native_case(th_case(root, "cpu-float", "native"), true);
	check_native_case(th_case(root, "mem-stream", "native"), true);
	check_native_case(th_case(root, "noop", "native"), false);

	/* not_measured lists exactly the counters that were unavailable, with why
	 * (none on a host with a PMU, the hardware presets on one without) */
	json_t *nm = json_object_get(root, "not_measured"), *e, *smp;
	size_t i, j;
	json_array_foreach(json_object_get(th_case(root, "cpu-int", "native"), "samples"), j, smp)
	{
		const char *name;
		json_t *v;
		json_object_foreach(json_object_get(json_object_get(smp, "agent"), "counters"),
		                    name, v)
		{
			const char *why = json_string_value(json_object_get(v, "unavailable"));
			bool listed = false;
			char what[128];
			snprintf(what, sizeof(what), "counter %s", name);
			json_array_foreach(nm, i, e) listed |=
			        strcmp(json_string_value(json_object_get(e, "what")), what) == 0;
			cr_assert_eq(listed, why != NULL, "%s: unavailable %s, listed %d", name,
			             why ? why : "no", listed);
		}
	}
	json_decref(root);

	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind after the run");
	vmb_rm_tree(tmp, &err);
	free(log);
}

/* Bad input: exit 2, one line naming the input, nothing written. */
static void expect_usage(const char *needle, char **argv)
{
	char *log;
	int rc = th_run(argv, &log);

	cr_assert_eq(rc, 2, "exit %d for bad input '%s':\n%s", rc, needle, log);
	cr_assert(strstr(log, needle), "message does not name '%s':\n%s", needle, log);
	free(log);
}

/* The same, and the message is one line. */
static void expect_one_line(const char *needle, char **argv)
{
	char *log;
	int rc = th_run(argv, &log);

	cr_assert_eq(rc, 2, "exit %d for bad input '%s':\n%s", rc, needle, log);
	cr_assert(strstr(log, needle), "message does not name '%s':\n%s", needle, log);
	cr_assert(strchr(log, '\n') == log + strlen(log) - 1, "more than one line:\n%s", log);
	free(log);
}

/* A runner that cannot work is skipped with its probe's reason, on any host:
 * the VM runner is pointed at a KVM device that does not exist. */
Test(e2e, a_runner_that_cannot_run_is_skipped_with_its_reason)
{
	char *dir, *log;
	json_t *root;

	setenv("VMBENCH_KVM_DEVICE", "/nonexistent/kvm", 1);
	int rc = th_run_vmbench((char *[]){"--workload", "cpu-int", "--runner", "native,vm",
	                                   "--reps", "1", "--warmup", "0", "--scale", "0.01", NULL},
	                        &root, &dir, &log);
	unsetenv("VMBENCH_KVM_DEVICE");
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	json_t *vm = th_case(root, "cpu-int", "vm");
	cr_assert_str_eq(json_string_value(json_object_get(vm, "status")), "skipped");
	cr_assert(strstr(json_string_value(json_object_get(vm, "reason")), "/nonexistent/kvm"),
	          "%s", json_string_value(json_object_get(vm, "reason")));
	cr_assert_eq(json_array_size(json_object_get(vm, "samples")), 0);
	json_t *nm = json_object_get(root, "not_measured"), *e;
	size_t i;
	bool listed = false;
	json_array_foreach(nm, i, e) listed |=
	        strcmp(json_string_value(json_object_get(e, "what")), "runner vm") == 0 &&
	        strstr(json_string_value(json_object_get(e, "why")), "/nonexistent/kvm") &&
	        json_array_size(json_object_get(e, "workloads")) == 1;
	cr_assert(listed, "the skipped runner is not in not_measured");
	json_decref(root);
	vmb_rm_tree(dir, NULL);
	free(log);
}

/* The same binary must do the same work: a sample whose checksum differs
 * from the first one fails, and says why. */
Test(e2e, a_checksum_that_differs_fails_the_sample)
{
	char *dir, *log;
	json_t *root;

	int rc = th_run_vmbench((char *[]){"--suite", "selftest", "--runner", "native", "--param",
	                                   "fault.mode=4", "--reps", "3", "--warmup", "0", NULL},
	                        &root, &dir, &log);
	cr_assert_eq(rc, 1, "exit %d\n%s", rc, log);
	json_t *c = th_case(root, "fault", "native"), *smp = json_object_get(c, "samples");
	cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "failed");
	cr_assert_eq(json_array_size(smp), 2, "the case goes on to its second sample only");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(smp, 0), "status")),
	                 "ok");
	const char *why = json_string_value(json_object_get(json_array_get(smp, 1), "error"));
	cr_assert(why && strstr(why, "checksum") && strstr(why, "not the same"), "%s", why);
	json_decref(root);
	vmb_rm_tree(dir, NULL);
	free(log);
}

/* An agent that sends a record no agent may send (a forged VMM summary) has
 * it refused, and its sample fails saying so. */
Test(e2e, a_forged_record_is_refused)
{
	char *dir, *log;
	json_t *root;

	int rc = th_run_vmbench((char *[]){"--suite", "selftest", "--runner", "native", "--param",
	                                   "fault.mode=5", "--reps", "1", "--warmup", "0", NULL},
	                        &root, &dir, &log);
	cr_assert_eq(rc, 1, "exit %d\n%s", rc, log);
	json_t *smp =
	        json_array_get(json_object_get(th_case(root, "fault", "native"), "samples"), 0);
	const char *why = json_string_value(json_object_get(smp, "error"));
	cr_assert(why && strstr(why, "refused") && strstr(why, "vmm"), "%s", why);
	json_t *host = json_object_get(smp, "host");
	cr_assert_eq(th_num(host, "refused_records"), 1);
	cr_assert_null(json_object_get(host, "vmm"), "a forged summary was taken");
	json_decref(root);
	vmb_rm_tree(dir, NULL);
	free(log);
}

/* --reps auto stops at the interval it was asked for, or at its limit, and
 * says which. */
Test(e2e, reps_auto_stops_and_says_why)
{
	const struct {
		const char *target;
		const char *stopped_by;
	} runs[] = {{"99%", "ci_target"}, {"0.0001%", "max_reps"}};

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		char *dir, *log;
		json_t *root;
		int rc = th_run_vmbench((char *[]){"--workload", "cpu-int", "--runner", "native",
		                                   "--scale", "0.02", "--warmup", "0", "--reps",
		                                   "auto", "--max-reps", i == 0 ? "40" : "9",
		                                   "--ci-target", (char *)runs[i].target, NULL},
		                        &root, &dir, &log);
		cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
		json_t *c = th_case(root, "cpu-int", "native");
		json_t *reps = json_object_get(c, "repetitions");
		cr_assert_str_eq(json_string_value(json_object_get(reps, "stopped_by")),
		                 runs[i].stopped_by);
		size_t n = json_array_size(json_object_get(c, "samples"));
		if (i == 0)
			/* met at one of its looks (5, 8, 12, 18, 27), whatever this
			 * machine's noise, and before the limit */
			cr_assert(n == 5 || n == 8 || n == 12 || n == 18 || n == 27,
			          "stopped at %zu, which is no look", n);
		else
			cr_assert_eq(n, 9, "--max-reps 9 stops at 9, not %zu", n);
		cr_assert_eq(th_num(reps, "measured"), (double)n);
		json_decref(root);
		free(log);
		vmb_rm_tree(dir, NULL);
	}
}

Test(e2e, bad_input_exits_2_and_names_it)
{
	const char *vb = th_vmbench();
	char *tmp = th_tmpdir(), out[300], sentinel[320];
	struct vmb_error err = {0};

	expect_usage("gpu", (char *[]){(char *)vb, "run", "--suite", "gpu", NULL});
	expect_usage("cpu-nope", (char *[]){(char *)vb, "run", "--workload", "cpu-nope", NULL});
	expect_usage("hyperv", (char *[]){(char *)vb, "run", "--runner", "hyperv", NULL});
	expect_usage("--reps", (char *[]){(char *)vb, "run", "--reps", "0", NULL});
	expect_usage("frob", (char *[]){(char *)vb, "frob", NULL});
	/* a runner's option with that runner left out would do nothing */
	expect_usage("--kernel", (char *[]){(char *)vb, "run", "--runner", "native", "--kernel",
	                                    "/boot/x", NULL});
	expect_usage("--image", (char *[]){(char *)vb, "run", "--runner", "native,vm", "--image",
	                                   "/tmp", NULL});
	expect_usage("nosuch", (char *[]){(char *)vb, "run", "--baseline", "nosuch", NULL});
	/* each runner validates its own options and its reading of the limits */
	expect_usage("/etc/passwd", (char *[]){(char *)vb, "run", "--runner", "vm", "--kernel",
	                                       "/etc/passwd", NULL});
	expect_usage("--memory",
	             (char *[]){(char *)vb, "run", "--runner", "vm", "--memory", "16M", NULL});
	expect_usage("--io sideways",
	             (char *[]){(char *)vb, "run", "--runner", "vm", "--io", "sideways", NULL});
	expect_usage("/proc/vmbench-cannot", (char *[]){(char *)vb, "run", "--suite", "startup",
	                                                "--out", "/proc/vmbench-cannot/x", NULL});
	/* a workload's parameters, together and against the limits, before
	 * anything starts: one line that names the limit */
	expect_one_line("memory limit is 512 MiB",
	                (char *[]){(char *)vb, "run", "--workload", "mem-latency", "--runner",
	                           "native", "--param", "mem-latency.to=1G", "--memory", "512M",
	                           NULL});
	expect_one_line("no points",
	                (char *[]){(char *)vb, "run", "--workload", "mem-latency", "--param",
	                           "mem-latency.from=1M", "--param", "mem-latency.to=64K", NULL});
	/* (where the volume is a disk: on tmpfs the disk workloads are skipped) */
	char why[300];
	const char *vol = access(VMB_VOLUME_DEFAULT, W_OK) == 0 ? VMB_VOLUME_DEFAULT : "/tmp";
	if (!vmb_volume_not_disk(vol, why, sizeof(why)))
		expect_one_line("alignment",
		                (char *[]){(char *)vb, "run", "--workload", "disk-rand", "--param",
		                           "disk-rand.block=1000", NULL});
	expect_one_line("--volume /nonexistent",
	                (char *[]){(char *)vb, "run", "--volume", "/nonexistent", NULL});
	expect_one_line("disk-rand.depth", (char *[]){(char *)vb, "run", "--workload", "disk-rand",
	                                              "--param", "disk-rand.depth=0", NULL});

	/* an existing results directory is never touched */
	snprintf(out, sizeof(out), "%s/existing", tmp);
	mkdir(out, 0755);
	snprintf(sentinel, sizeof(sentinel), "%s/results.json", out);
	FILE *f = fopen(sentinel, "w");
	fputs("keep me\n", f);
	fclose(f);
	expect_usage("already exists",
	             (char *[]){(char *)vb, "run", "--suite", "startup", "--out", out, NULL});
	char buf[32] = "";
	f = fopen(sentinel, "r");
	cr_assert_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	cr_assert_str_eq(buf, "keep me\n", "an existing results file was overwritten");
	vmb_rm_tree(tmp, &err);
}

Test(e2e, help_list_doctor)
{
	const char *vb = th_vmbench();
	char *log;

	cr_assert_eq(th_run((char *[]){(char *)vb, "run", "--help", NULL}, &log), 0);
	cr_assert(strstr(log, "--reps") && strstr(log, "--out"));
	/* every runner's options come from its own table */
	for (unsigned i = 0; i < vmb_runner_count; i++)
		for (const struct vmb_runner_option *o = vmb_runners[i]->options; o && o->name;
		     o++) {
			char opt[64];
			snprintf(opt, sizeof(opt), "--%s", o->name);
			cr_assert(strstr(log, opt), "run --help lacks %s", opt);
		}
	free(log);
	cr_assert_eq(th_run((char *[]){(char *)vb, "list", NULL}, &log), 0);
	cr_assert(strstr(log, "native") && strstr(log, "cpu-int") && strstr(log, "suites:"));
	free(log);
	cr_assert_eq(th_run((char *[]){(char *)vb, "doctor", NULL}, &log), 0);
	cr_assert(strstr(log, "kvm") && strstr(log, "cgroups") && strstr(log, "papi"), "%s", log);
	free(log);
}

/* A crash, a hang and a failure are recorded, the run goes on, exit 1. */
Test(e2e, faults_are_recorded_and_the_run_goes_on)
{
	const struct {
		const char *mode;
		const char *reason;
	} faults[] = {{"fault.mode=0", "signal 11"},
	              {"fault.mode=1", "timed out"},
	              {"fault.mode=2", "on purpose"}};
	char *before = th_leftovers();

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		char *tmp = th_tmpdir(), out[300], *log;
		struct vmb_error err = {0};
		snprintf(out, sizeof(out), "%s/run", tmp);
		char *argv[] = {(char *)th_vmbench(),
		                "run",
		                "--suite",
		                "selftest,startup",
		                "--runner",
		                "native",
		                "--param",
		                (char *)faults[i].mode,
		                "--reps",
		                "1",
		                "--warmup",
		                "0",
		                "--timeout",
		                "1",
		                "--out",
		                out,
		                NULL};
		int rc = th_run(argv, &log);
		cr_assert_eq(rc, 1, "%s: exit %d\n%s", faults[i].mode, rc, log);
		json_t *root = th_load_results(out);
		json_t *fc = th_case(root, "fault", "native");
		cr_assert_str_eq(json_string_value(json_object_get(fc, "status")), "failed");
		cr_assert(
		        strstr(json_string_value(json_object_get(fc, "reason")), faults[i].reason),
		        "%s: reason %s", faults[i].mode,
		        json_string_value(json_object_get(fc, "reason")));
		json_t *ok = th_case(root, "noop", "native");
		cr_assert_str_eq(json_string_value(json_object_get(ok, "status")), "ok",
		                 "the case after a fault did not run");
		cr_assert_str_eq(json_string_value(json_object_get(root, "status")), "failed");
		json_decref(root);
		free(log);
		vmb_rm_tree(tmp, &err);
	}
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind after faults");
}

static size_t samples_on_disk(const char *dir)
{
	char path[400];
	json_error_t jerr;
	size_t n = 0, i;
	json_t *c;

	snprintf(path, sizeof(path), "%s/results.json", dir);
	json_t *root = json_load_file(path, 0, &jerr);
	json_array_foreach(json_object_get(root, "cases"), i, c) n +=
	        json_array_size(json_object_get(c, "samples"));
	json_decref(root);
	return n;
}

/* Complete lines in a file (a torn last one is not counted). */
static size_t lines_in(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int ch;

	while (f && (ch = fgetc(f)) != EOF)
		n += ch == '\n';
	if (f)
		fclose(f);
	return n;
}

/* SIGKILL between two case ends: results.json on disk has none of the case's
 * samples yet, the journal has every launch but the one in flight, and a
 * reader gets them all back, aggregated. */
Test(e2e, a_killed_run_loses_at_most_the_launch_in_flight, .timeout = 120)
{
	char *tmp = th_tmpdir(), out[300], journal[400];
	struct vmb_error err = {0};

	snprintf(out, sizeof(out), "%s/run", tmp);
	snprintf(journal, sizeof(journal), "%s/%s", out, VMB_JOURNAL);
	char *argv[] = {(char *)th_vmbench(),
	                "run",
	                "--suite",
	                "startup",
	                "--runner",
	                "native",
	                "--reps",
	                "5000",
	                "--warmup",
	                "0",
	                "--out",
	                out,
	                NULL};
	pid_t pid = th_spawn(argv);
	for (int i = 0; i < 1000 && lines_in(journal) < 30; i++)
		usleep(10000);
	kill(pid, SIGKILL);
	th_wait(pid);
	size_t journaled = lines_in(journal);
	cr_assert_geq(journaled, 30, "the journal did not grow");
	json_t *disk = th_load_results(out);
	cr_assert_eq(json_array_size(json_object_get(th_case(disk, "noop", "native"), "samples")),
	             0, "results.json was rewritten before the case ended");
	json_decref(disk);

	json_t *root = vmb_run_load(out, &err);
	cr_assert_not_null(root, "%s", err.msg);
	json_t *c = th_case(root, "noop", "native");
	cr_assert_eq(json_array_size(json_object_get(c, "samples")), journaled);
	cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "interrupted");
	cr_assert_str_eq(json_string_value(json_object_get(root, "status")), "interrupted");
	cr_assert_eq(th_num(json_object_get(json_object_get(c, "aggregates"), "launch_to_ready_ns"),
	                    "n"),
	             (double)journaled);
	cr_assert_eq(th_num(json_object_get(root, "recovered"), "samples"), (double)journaled);
	json_decref(root);
	/* the next run sweeps what the killed one left in /tmp */
	char sweep[320];
	snprintf(sweep, sizeof(sweep), "%s/sweep", tmp);
	cr_assert_eq(
	        th_run((char *[]){(char *)th_vmbench(), "run", "--suite", "startup", "--runner",
	                          "native", "--reps", "1", "--warmup", "0", "--out", sweep, NULL},
	               NULL),
	        0);
	vmb_rm_tree(tmp, &err);
}

/* A reader takes what a run left, torn last line and all, and says which
 * file is wrong when one is. */
Test(e2e, a_run_is_read_back_from_results_and_journal)
{
	char *tmp = th_tmpdir(), path[400];
	struct vmb_error err = {0};
	FILE *f;

	cr_assert_null(vmb_run_load(tmp, &err), "a directory without results.json");
	cr_assert_eq(err.kind, VMB_ERR_USAGE);
	cr_assert(strstr(err.msg, "results.json"), "%s", err.msg);
	snprintf(path, sizeof(path), "%s/results.json", tmp);
	f = fopen(path, "w");
	fprintf(f,
	        "{\"schema_version\": %d, \"status\": \"running\", \"host\": {}, "
	        "\"config\": {\"seed\": 1}, \"cases\": [{\"workload\": \"noop\", "
	        "\"runner\": \"native\", \"status\": \"running\", \"samples\": []}]}\n",
	        VMB_SCHEMA_VERSION);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s", tmp, VMB_JOURNAL);
	f = fopen(path, "w");
	for (int i = 0; i < 3; i++)
		fprintf(f,
		        "{\"case\": 0, \"seq\": %d, \"sample\": {\"status\": \"ok\", "
		        "\"warmup\": false, \"phases\": {\"launch\": 0, \"agent_ready\": %d}}}\n",
		        i, 1000 * (i + 1));
	fprintf(f, "{\"case\": 0, \"seq\": 3, \"sam"); /* torn */
	fclose(f);
	json_t *root = vmb_run_load(tmp, &err);
	cr_assert_not_null(root, "%s", err.msg);
	json_t *c = json_array_get(json_object_get(root, "cases"), 0);
	cr_assert_eq(json_array_size(json_object_get(c, "samples")), 3);
	json_t *ready = json_object_get(json_object_get(c, "aggregates"), "launch_to_ready_ns");
	cr_assert_eq(th_num(ready, "median"), 2000);
	cr_assert_str_eq(json_string_value(json_object_get(root, "status")), "interrupted");
	json_decref(root);
	/* a line in the middle that is no sample of this run: named, not skipped */
	f = fopen(path, "w");
	fprintf(f, "{\"case\": 7, \"seq\": 0, \"sample\": {}}\n");
	fprintf(f, "{\"case\": 0, \"seq\": 0, \"sample\": {\"status\": \"ok\"}}\n");
	fclose(f);
	cr_assert_null(vmb_run_load(tmp, &err));
	cr_assert_eq(err.kind, VMB_ERR_USAGE);
	cr_assert(strstr(err.msg, VMB_JOURNAL ":1:"), "%s", err.msg);
	vmb_rm_tree(tmp, &err);
}

Test(e2e, sigint_keeps_results_and_leaves_nothing)
{
	char *tmp = th_tmpdir(), out[300];
	char *before = th_leftovers();
	struct vmb_error err = {0};

	snprintf(out, sizeof(out), "%s/run", tmp);
	char *argv[] = {(char *)th_vmbench(),
	                "run",
	                "--suite",
	                "cpu",
	                "--runner",
	                "native",
	                "--reps",
	                "50",
	                "--scale",
	                "0.3",
	                "--out",
	                out,
	                NULL};
	char journal[400];
	snprintf(journal, sizeof(journal), "%s/%s", out, VMB_JOURNAL);
	pid_t pid = th_spawn(argv);
	for (int i = 0; i < 300 && lines_in(journal) < 2; i++)
		usleep(20000);
	cr_assert_geq(lines_in(journal), 2, "no samples written while running");
	kill(pid, SIGINT);
	int rc = th_wait(pid);
	cr_assert_eq(rc, 130, "exit %d after SIGINT", rc);
	json_t *root = th_load_results(out);
	cr_assert_str_eq(json_string_value(json_object_get(root, "status")), "interrupted");
	/* an interruption writes results.json whole: every journaled sample */
	cr_assert_geq(samples_on_disk(out), 2, "measured samples were lost");
	cr_assert_eq(samples_on_disk(out), lines_in(journal));
	json_decref(root);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind after SIGINT");
	vmb_rm_tree(tmp, &err);
}

/* The agent's result record for one run of it with these arguments. */
static json_t *agent_result(char **args)
{
	char *argv[32] = {getenv("VMBENCH_AGENT")}, *out;
	int n = 1;

	cr_assert_not_null(argv[0], "VMBENCH_AGENT is not set");
	for (; *args && n < 30; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	int rc = th_run(argv, &out);
	cr_assert_eq(rc, 0, "agent exited %d:\n%s", rc, out);
	json_t *result = NULL;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		json_t *r = json_loads(line, 0, NULL);
		if (r && strcmp(json_string_value(json_object_get(r, "type")), "result") == 0)
			result = r;
		else
			json_decref(r);
	}
	cr_assert_not_null(result, "no result record");
	free(out);
	return result;
}

/* Only run is timed: mem-stream's arrays are allocated and touched in its
 * setup, so its timed part takes (almost) no first-touch fault, though its
 * setup takes one per page of 3 x 32 MiB. */
Test(e2e, setup_is_not_timed)
{
	json_t *r = agent_result((char *[]){"--workload", "mem-stream", "--param",
	                                    "mem-stream.mib=32", "--param", "passes=1", NULL});

	cr_assert_lt(th_num(r, "minflt"), 100, "the timed part took %g faults",
	             th_num(r, "minflt"));
	cr_assert_gt(th_num(r, "setup_ns"), 0);
	cr_assert_gt(th_num(r, "maxrss_kib"), 3 * 32 * 1024 * 0.9, "the arrays were touched");
	json_decref(r);
}

/* --cores N runs N copies of a parallel workload at once: the operations add
 * up, the work is the same every time (one checksum), and the record says
 * how many copies ran. */
Test(e2e, cores_run_a_copy_per_core)
{
	char *one[] = {"--workload", "cpu-float", "--param", "cpu-float.rounds=3", NULL};
	char *two[] = {"--workload", "cpu-float", "--param", "cpu-float.rounds=3",
	               "--cores",    "2",         NULL};
	json_t *a = agent_result(one), *b = agent_result(two), *c = agent_result(two);

	cr_assert_eq(th_num(a, "threads"), 1);
	cr_assert_eq(th_num(b, "threads"), 2);
	cr_assert_eq(th_num(b, "ops"), 2 * th_num(a, "ops"));
	cr_assert_str_eq(json_string_value(json_object_get(b, "checksum")),
	                 json_string_value(json_object_get(c, "checksum")));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

/* The work a case checks is the same whether huge pages were granted or not:
 * mem-latency sweeps again with transparent huge pages only where it gets
 * them, and that sweep stays out of its checksum. The agent inherits
 * PR_SET_THP_DISABLE from this test's process. Its chain building and the
 * switch to huge pages are untimed: the software-defined ops counter, which
 * pauses with them, still equals the timed loads. */
Test(e2e, huge_pages_do_not_change_the_work)
{
	char *args[] = {"--workload", "mem-latency",
	                "--param",    "mem-latency.to=4M",
	                "--param",    "mem-latency.accesses=8192",
	                NULL};
	json_t *with = agent_result(args);

	cr_assert_eq(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), 0);
	json_t *without = agent_result(args);
	const char *huge = json_string_value(
	        json_object_get(json_object_get(without, "observations"), "huge"));
	cr_assert(huge && strcmp(huge, "granted") != 0, "huge pages granted though disabled");
	cr_assert_null(
	        json_object_get(json_object_get(without, "figures"), "latency_largest_huge_ns"),
	        "a huge-page figure without huge pages");
	/* where huge pages were granted, they made a figure of their own */
	const char *got =
	        json_string_value(json_object_get(json_object_get(with, "observations"), "huge"));
	if (got && strcmp(got, "granted") == 0)
		cr_assert_not_null(json_object_get(json_object_get(with, "figures"),
		                                   "latency_largest_huge_ns"));
	cr_assert_str_eq(json_string_value(json_object_get(with, "checksum")),
	                 json_string_value(json_object_get(without, "checksum")));
	json_t *sde = json_object_get(json_object_get(with, "counters"), "sde:::vmbench::ops");
	cr_assert_eq(th_num(sde, "value"), th_num(with, "ops"));
	cr_assert_gt(th_num(with, "untimed_ns"), 0);
	json_decref(with);
	json_decref(without);
}
