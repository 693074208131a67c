/* test_container.c: the namespace container runner end to end: phases, cgroup counters,
 * isolation, faults, bad images, libraries outside the loader's directories,
 * interruption, and nothing left behind. Needs root and user namespaces; says why it
 * skips where they are missing. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "vmbench/workload.h"
#include "vmbench/elf.h"
#include "vmbench/host.h"
#include "vmbench/proc.h"
#include "vmbench/runner.h"
#include "vmbench/util.h"

static void need_container(void)
{
	char why[256] = "";

	if (vmb_runner_find("container")->probe(why, sizeof(why)) < 0)
		cr_skip_test("container runner unavailable here: %s", why);
}

static const char *const phase_order[] = {
        "cgroup_joined",  "launch",          "cloned",        "id_maps_written", "ns_ready",
        "rootfs_mounted", "pivot_root_done", "exec",          "agent_main",      "agent_ready",
        "workload_done",  "exited",          "teardown_done",
};

Test(container, every_workload_with_phases_and_cgroup_counters, .timeout = 240)
{
	need_container();
	char *before = th_leftovers(), *dir, *log;
	json_t *root;
	int rc = th_run_vmbench((char *[]){"--suite", "all", "--runner", "native,container",
	                                   "--reps", "2", "--warmup", "0", "--scale", "0.05",
	                                   "--quick", "--param", "mem-stream.mib=8", "--param",
	                                   "io-seq.file_mib=4", NULL},
	                        &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	const char *mode = vmb_cgroup_mode();
	size_t i, k;
	json_t *c, *s;
	/* a volume on tmpfs (the emulated guest's root) is no disk: the disk
	 * workloads are skipped there, saying so */
	bool no_disk = json_object_get(json_object_get(json_object_get(root, "config"), "volume"),
	                               "not_a_disk");

	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "runner")), "container") != 0)
			continue;
		const char *w = json_string_value(json_object_get(c, "workload"));
		/* a density point's samples are its group's (test_density) */
		if (json_object_get(c, "density"))
			continue;
		if (no_disk && (vmb_workload_find(w)->needs & VMB_NEED_DISK)) {
			cr_assert_str_eq(json_string_value(json_object_get(c, "status")),
			                 "skipped");
			cr_assert(strstr(json_string_value(json_object_get(c, "reason")),
			                 "rather than a disk"));
			continue;
		}
		cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "ok", "%s: %s", w,
		                 json_string_value(json_object_get(c, "reason")));
		/* native's case of the same work: the same copies (a density
		 * victim runs one per core of the host) */
		json_t *nat = NULL, *x;
		size_t xi;
		json_array_foreach(json_object_get(root, "cases"), xi, x)
		{
			if (!nat &&
			    strcmp(json_string_value(json_object_get(x, "runner")), "native") ==
			            0 &&
			    strcmp(json_string_value(json_object_get(x, "workload")), w) == 0 &&
			    json_integer_value(json_object_get(x, "threads")) ==
			            json_integer_value(json_object_get(c, "threads")))
				nat = x;
		}
		cr_assert_not_null(nat, "%s: no native case of the same work", w);
		const char *ref = json_string_value(json_object_get(
		        json_object_get(json_array_get(json_object_get(nat, "samples"), 0),
		                        "agent"),
		        "checksum"));
		json_array_foreach(json_object_get(c, "samples"), k, s)
		{
			json_t *p = json_object_get(s, "phases");
			for (size_t j = 1; j < sizeof(phase_order) / sizeof(phase_order[0]); j++)
				cr_assert_leq(th_num(p, phase_order[j - 1]),
				              th_num(p, phase_order[j]), "%s: phase %s after %s", w,
				              phase_order[j - 1], phase_order[j]);
			json_t *cg = json_object_get(json_object_get(s, "host"), "cgroup");
			cr_assert_str_eq(json_string_value(json_object_get(cg, "version")),
			                 strcmp(mode, "v2") == 0 ? "v2" : "v1");
			cr_assert_gt(th_num(cg, "cpu_usage_ns"), 0);
			cr_assert_geq(th_num(cg, "pids_current"), 0);
			json_t *peak = json_object_get(cg, "memory_peak_bytes");
			json_t *why = json_object_get(json_object_get(cg, "unavailable"),
			                              "memory_peak_bytes");
			cr_assert(json_integer_value(peak) > 0 || json_is_string(why),
			          "memory peak neither measured nor explained");
			cr_assert_eq(th_num(cg, "oom_kills"), 0);
			cr_assert_lt(th_num(json_object_get(s, "host"), "runner_private_kib"), 1024,
			             "the runner's own memory passed 1 MiB");
			cr_assert_str_eq(json_string_value(json_object_get(
			                         json_object_get(s, "agent"), "checksum")),
			                 ref, "%s: container and native did different work", w);
		}
	}
	json_decref(root);
	free(log);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind; before:\n%s\nafter:\n%s", before, after);
	vmb_rm_tree(dir, NULL);
}

Test(container, isolation_is_real, .timeout = 60)
{
	need_container();
	char *dir, *log;
	json_t *root;
	int rc = th_run_vmbench((char *[]){"--workload", "inspect", "--runner", "container",
	                                   "--param", "inspect.write_root=1", "--reps", "1",
	                                   "--warmup", "0", NULL},
	                        &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	json_t *s = json_array_get(
	        json_object_get(th_case(root, "inspect", "container"), "samples"), 0);
	json_t *obs = json_object_get(json_object_get(s, "agent"), "observations");
	size_t i;
	json_t *v;

	cr_assert_eq(th_num(obs, "processes"), 2, "sees processes beyond its init and itself");
	cr_assert_eq(th_num(obs, "pid"), 2);
	cr_assert(strncmp(json_string_value(json_object_get(obs, "hostname")), "vmbench-", 8) == 0);
	json_t *ifs = json_object_get(obs, "net_interfaces");
	cr_assert_eq(json_array_size(ifs), 1);
	cr_assert_str_eq(json_string_value(json_array_get(ifs, 0)), "lo");
	cr_assert_str_eq(json_string_value(json_object_get(obs, "cap_eff")), "0000000000000000");
	json_array_foreach(json_object_get(obs, "mounts"), i, v)
	{
		const char *m = json_string_value(v);
		cr_assert(strcmp(m, "/") == 0 || strncmp(m, "/proc", 5) == 0 ||
		                  strncmp(m, "/dev", 4) == 0 || strcmp(m, "/tmp") == 0 ||
		                  strcmp(m, "/sys") == 0 || strcmp(m, "/data") == 0,
		          "host mount %s visible inside", m);
	}
	json_t *w = json_object_get(obs, "root_write");
	cr_assert(json_is_true(json_object_get(w, "ok")), "could not write its own root");
	char probe[4600];
	snprintf(probe, sizeof(probe), "%s%s",
	         json_string_value(json_object_get(json_object_get(s, "host"), "image")),
	         json_string_value(json_object_get(w, "path")));
	cr_assert_neq(access(probe, F_OK), 0, "a write inside reached the image: %s", probe);
	cr_assert_neq(access(json_string_value(json_object_get(w, "path")), F_OK), 0,
	              "a write inside reached the host root");
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
}

Test(container, faults_are_recorded_and_nothing_is_left, .timeout = 120)
{
	need_container();
	const struct {
		char *args[8];
		const char *reason;
	} faults[] = {
	        {{"--param", "fault.mode=0", NULL}, "signal 11"},
	        {{"--param", "fault.mode=1", "--timeout", "1", NULL}, "timed out"},
	        {{"--param", "fault.mode=3", "--param", "fault.mib=64", "--memory", "16M", NULL},
	         "OOM-killed"},
	};
	char *before = th_leftovers();

	for (size_t f = 0; f < sizeof(faults) / sizeof(faults[0]); f++) {
		char *args[20] = {"--suite", "selftest,startup", "--runner", "container", "--reps",
		                  "1",       "--warmup",         "0"};
		int n = 8;
		for (char *const *a = faults[f].args; *a; a++)
			args[n++] = *a;
		args[n] = NULL;
		char *dir, *log;
		json_t *root;
		int rc = th_run_vmbench(args, &root, &dir, &log);
		cr_assert_eq(rc, 1, "fault %zu: exit %d\n%s", f, rc, log);
		json_t *c = th_case(root, "fault", "container");
		const char *why = json_string_value(json_object_get(c, "reason"));
		cr_assert(why && strstr(why, faults[f].reason), "fault %zu: reason %s", f, why);
		cr_assert_str_eq(json_string_value(json_object_get(
		                         th_case(root, "noop", "container"), "status")),
		                 "ok", "the run did not go on after the fault");
		json_decref(root);
		free(log);
		vmb_rm_tree(dir, NULL);
	}
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind after faults");
}

/* An agent cannot speak for its init: how it ended and the runner's memory
 * come from PID 1 on a pipe the agent never holds. The forged record claims
 * the agent was killed and the runner costs 1 KiB. */
Test(container, the_agent_cannot_forge_its_init, .timeout = 60)
{
	need_container();
	char *dir, *log;
	json_t *root;
	int rc = th_run_vmbench((char *[]){"--suite", "selftest", "--runner", "native,container",
	                                   "--param", "fault.mode=6", "--reps", "2", "--warmup",
	                                   "0", NULL},
	                        &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	json_t *c = th_case(root, "fault", "container"), *s;
	size_t i;
	cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "ok");
	json_array_foreach(json_object_get(c, "samples"), i, s)
	{
		json_t *host = json_object_get(s, "host");
		/* helper plus PID 1: tens of KiB each, never the forged 1 added */
		cr_assert_geq(th_num(host, "runner_private_kib"), 16);
		cr_assert_null(json_object_get(json_object_get(host, "exit"), "signal"));
	}
	cr_assert_str_eq(
	        json_string_value(json_object_get(th_case(root, "fault", "native"), "status")),
	        "ok", "native took the agent's word for an init it does not have");
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
}

Test(container, bad_images_exit_2)
{
	need_container();
	char *dir = th_tmpdir(), *log, empty[300];
	char *argv[] = {
	        (char *)th_vmbench(), "run", "--runner", "container", "--image", empty, NULL};

	snprintf(empty, sizeof(empty), "%s/missing", dir);
	cr_assert_eq(th_run(argv, &log), 2, "%s", log);
	cr_assert(strstr(log, "no such directory") && strstr(log, empty), "%s", log);
	free(log);
	mkdir(empty, 0755);
	cr_assert_eq(th_run(argv, &log), 2, "%s", log);
	cr_assert(strstr(log, "no executable agent"), "%s", log);
	free(log);
	vmb_rm_tree(dir, NULL);
}

/* A library the host finds outside the loader's own directories (through
 * $LD_LIBRARY_PATH here; a PAPI built into /usr/local/lib and named by
 * ld.so.conf is the same case) must be found inside the container too, whose
 * agent starts with a clean environment: the image carries the library at the
 * same path and the loader's cache that names its directory. */
Test(container, libraries_outside_the_loaders_directories, .timeout = 120)
{
	need_container();
	const char *agent = getenv("VMBENCH_AGENT");
	struct vmb_error err = {0};
	char *before = th_leftovers(), *libdir = th_lib_dir(), *copy = NULL, *dir, *log;

	cr_assert_not_null(agent, "VMBENCH_AGENT is not set (run through meson test)");
	char **libs = vmb_elf_closure(agent, &err);
	cr_assert_not_null(libs, "%s", err.msg);
	for (char **l = libs; *l && !copy; l++)
		if (strstr(*l, "/libjansson.so"))
			copy = th_copy_into(*l, libdir);
	vmb_strv_free(libs);
	cr_assert_not_null(copy, "the agent links no libjansson");

	/* only the vmbench run below sees the variable */
	char *saved = getenv("LD_LIBRARY_PATH") ? strdup(getenv("LD_LIBRARY_PATH")) : NULL;
	setenv("LD_LIBRARY_PATH", libdir, 1);
	json_t *root;
	int rc = th_run_vmbench((char *[]){"--workload", "noop", "--runner", "native,container",
	                                   "--reps", "1", "--warmup", "0", NULL},
	                        &root, &dir, &log);
	if (saved)
		setenv("LD_LIBRARY_PATH", saved, 1);
	else
		unsetenv("LD_LIBRARY_PATH");
	free(saved);

	/* what the image holds is read, and the image removed (it serves this
	 * test's directory only), before anything is asserted */
	cr_assert_not_null(root, "exit %d and no results\n%s", rc, log);
	json_t *s =
	        json_array_get(json_object_get(th_case(root, "noop", "container"), "samples"), 0);
	const char *image = json_string_value(json_object_get(json_object_get(s, "host"), "image"));
	char lib_in[4600], cache_in[4600];
	snprintf(lib_in, sizeof(lib_in), "%s%s", image ? image : "", copy);
	snprintf(cache_in, sizeof(cache_in), "%s/etc/ld.so.cache", image ? image : "");
	bool has_lib = image && access(lib_in, R_OK) == 0;
	bool has_cache = image && access(cache_in, R_OK) == 0;
	if (image)
		vmb_rm_tree(image, NULL);
	vmb_rm_tree(libdir, NULL);

	for (const char *const *r = (const char *[]){"native", "container", NULL}; *r; r++) {
		json_t *c = th_case(root, "noop", *r);
		cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "ok",
		                 "%s: %s\n%s", *r, json_string_value(json_object_get(c, "reason")),
		                 log);
	}
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	cr_assert_not_null(image, "the sample names no image");
	cr_assert(has_lib, "the image lacks %s", copy);
	cr_assert(has_cache, "the image has no etc/ld.so.cache");
	json_decref(root);
	free(log);
	free(copy);
	free(libdir);
	vmb_rm_tree(dir, NULL);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind; before:\n%s\nafter:\n%s", before, after);
}

/* Starts `vmbench run` of a hanging agent in a container, writing to out, and
 * waits until the agent runs inside; returns vmbench's pid. */
static pid_t start_hanging_container(char *out)
{
	char *argv[] = {(char *)th_vmbench(),
	                "run",
	                "--suite",
	                "selftest",
	                "--runner",
	                "container",
	                "--param",
	                "fault.mode=1",
	                "--out",
	                out,
	                NULL};
	pid_t pid = th_spawn(argv);

	for (int i = 0; i < 500 && th_count_procs("/usr/local/bin/vmbench-agent") == 0; i++)
		usleep(10000);
	cr_assert_gt(th_count_procs("/usr/local/bin/vmbench-agent"), 0, "container never started");
	return pid;
}

Test(container, sigint_mid_container_leaves_nothing, .timeout = 60)
{
	need_container();
	char *before = th_leftovers(), *dir = th_tmpdir(), out[300];

	snprintf(out, sizeof(out), "%s/run", dir);
	pid_t pid = start_hanging_container(out);
	kill(pid, SIGINT);
	cr_assert_eq(th_wait(pid), 130);
	json_t *root = th_load_results(out);
	cr_assert_str_eq(json_string_value(json_object_get(root, "status")), "interrupted");
	json_decref(root);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind after SIGINT");
	vmb_rm_tree(dir, NULL);
}

Test(container, startup_compares_with_unshare, .timeout = 60)
{
	need_container();
	char *dir, *log;
	json_t *root;
	int rc = th_run_vmbench((char *[]){"--suite", "startup", "--reps", "3", NULL}, &root, &dir,
	                        &log);
	cr_assert_eq(rc, 0, "%s", log);
	for (const char *const *r = (const char *[]){"native", "container", "unshare", NULL}; *r;
	     r++) {
		json_t *c = th_case(root, "noop", *r);
		if (strcmp(json_string_value(json_object_get(c, "status")), "skipped") == 0 &&
		    strcmp(*r, "unshare") == 0) {
			/* an outside reference may be missing (busybox has its own unshare) */
			cr_assert_not_null(json_string_value(json_object_get(c, "reason")));
			continue;
		}
		json_t *ready =
		        json_object_get(json_object_get(c, "aggregates"), "launch_to_ready_ns");
		cr_assert_gt(th_num(ready, "median"), 0, "%s has no launch-to-ready", *r);
	}
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
}

/* A SIGKILLed vmbench cannot clean up: its containers die with it (parent-death
 * signals down the chain), and the next run removes its cgroups and scratch. */
Test(container, sigkill_leaves_nothing_after_the_next_run, .timeout = 60)
{
	need_container();
	char *before = th_leftovers(), *dir = th_tmpdir(), out[300], out2[300], *log;

	snprintf(out, sizeof(out), "%s/run", dir);
	snprintf(out2, sizeof(out2), "%s/run2", dir);
	pid_t pid = start_hanging_container(out);
	kill(pid, SIGKILL);
	th_wait(pid);
	for (int i = 0; i < 200 && th_count_procs("/usr/local/bin/vmbench-agent") > 0; i++)
		usleep(10000);
	cr_assert_eq(th_count_procs("/usr/local/bin/vmbench-agent"), 0,
	             "a container outlived vmbench");
	char *next[] = {(char *)th_vmbench(),
	                "run",
	                "--suite",
	                "startup",
	                "--runner",
	                "native",
	                "--reps",
	                "1",
	                "--warmup",
	                "0",
	                "--out",
	                out2,
	                NULL};
	cr_assert_eq(th_run(next, &log), 0, "%s", log);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind after SIGKILL and the next run");
	free(log);
	vmb_rm_tree(dir, NULL);
}
