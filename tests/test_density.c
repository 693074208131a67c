/* test_density.c: many instances at once, end to end on the native and container
 * runners: a sweep that stops where starts slow down, starts at a rate, a victim beside
 * busy neighbours, an instance that dies while held, and an interrupted run; nothing of
 * any instance is left behind. (The VM runner's: test_vm, in the emulated guest.) */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "vmbench/runner.h"
#include "vmbench/util.h"

/* "container" where this host can run one, else "native" (the same code
 * drives both; the container's cgroup adds the memory charge). */
static const char *a_runner(void)
{
	char why[256];

	return vmb_runner_find("container")->probe(why, sizeof(why)) == 0 ? "container" : "native";
}

/* The case of `runner` with `instances` held instances. */
static json_t *point(json_t *root, const char *runner, unsigned instances)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "runner")), runner) == 0 &&
		    th_num(json_object_get(c, "density"), "instances") == instances)
			return c;
	}
	cr_assert_fail("no case of %u instances on %s", instances, runner);
	return NULL;
}

/* Pids of running agents of the hold workload (/proc/PID/comm and cmdline). */
static int held_agents(pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[300], buf[4096] = "";
		FILE *f;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		bool agent = fgets(buf, sizeof(buf), f) && strcmp(buf, "vmbench-agent\n") == 0;
		fclose(f);
		if (!agent)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		for (size_t k = 0; k < len; k++)
			buf[k] = buf[k] ? buf[k] : ' ';
		buf[len] = '\0';
		if (strstr(buf, "--workload hold") && n < max)
			out[n++] = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

/* Starts `vmbench run` of N held instances on a_runner() into out, held
 * for `hold` seconds, and waits until all N agents run; their pids go to
 * agents (room for 32). Returns vmbench's pid. */
static pid_t start_held(const char *out, const char *n, const char *hold, pid_t *agents)
{
	pid_t pid = th_spawn((char *[]){(char *)th_vmbench(), "run", "--workload", "hold",
	                                "--runner", (char *)a_runner(), "--instances", (char *)n,
	                                "--hold-time", (char *)hold, "--reps", "1", "--warmup", "0",
	                                "--out", (char *)out, NULL});
	int want = atoi(n), got = 0;
	for (int i = 0; i < 1500 && (got = held_agents(agents, 32)) < want; i++)
		usleep(20000);
	cr_assert_eq(got, want, "%d of %d agents held", got, want);
	return pid;
}

static void check_sample(json_t *s, unsigned n, bool cgroup)
{
	json_t *d = json_object_get(s, "density");

	cr_assert_str_eq(json_string_value(json_object_get(s, "status")), "ok");
	cr_assert_eq(th_num(d, "instances"), n);
	cr_assert_eq(th_num(d, "ready"), n);
	cr_assert_eq(th_num(d, "failed"), 0);
	json_t *ready = json_object_get(d, "ready_ns");
	cr_assert_eq(json_array_size(ready), n);
	double max = 0;
	for (size_t i = 0; i < n; i++) {
		double v = (double)json_integer_value(json_array_get(ready, i));
		cr_assert_gt(v, 0);
		max = v > max ? v : max;
	}
	/* percentiles in order, the slowest the largest of the raw values */
	cr_assert_leq(th_num(d, "ready_p50_ns"), th_num(d, "ready_p90_ns"));
	cr_assert_leq(th_num(d, "ready_p90_ns"), th_num(d, "ready_p99_ns"));
	cr_assert_leq(th_num(d, "ready_p99_ns"), th_num(d, "ready_max_ns"));
	cr_assert_eq(th_num(d, "ready_max_ns"), max);
	/* all ready no sooner than the slowest one was */
	cr_assert_geq(th_num(d, "all_ready_ns"), max - 1e6);
	json_t *mem = json_object_get(d, "memory");
	cr_assert_eq(th_num(mem, "instances_measured"), n, "%s", json_dumps(mem, 0));
	cr_assert_gt(th_num(mem, "rss_per_instance_kib"), th_num(mem, "pss_per_instance_kib") - 1);
	/* a cgroup's charge where the instance has a cgroup */
	if (cgroup)
		cr_assert_gt(th_num(mem, "per_instance_kib"), 100);
	else
		cr_assert_null(json_object_get(mem, "per_instance_kib"));
	cr_assert_gt(th_num(mem, "pss_per_instance_kib"), 100);
	cr_assert_gt(th_num(mem, "monitor_private_kib"), 0);
	if (cgroup)
		cr_assert_geq(th_num(mem, "runtime_private_kib"), 0);
	json_t *h = json_object_get(d, "harness");
	cr_assert_geq(th_num(h, "coordinator_share"), 0);
	cr_assert_not_null(json_object_get(h, "bottleneck"));
	cr_assert_not_null(json_object_get(d, "ksm"));
	json_t *insts = json_object_get(d, "instance_samples");
	cr_assert_eq(json_array_size(insts), n);
	for (size_t i = 0; i < n; i++) {
		json_t *is = json_array_get(insts, i);
		cr_assert_str_eq(json_string_value(json_object_get(is, "status")), "ok");
		cr_assert(json_is_true(json_object_get(is, "released")));
		cr_assert_not_null(json_object_get(json_object_get(is, "phases"), "agent_ready"));
	}
}

Test(density, a_sweep_runs_to_its_largest_point_or_where_starts_double, .timeout = 240)
{
	const char *r = a_runner();
	char *before = th_leftovers(), *dir, *log, runners[64];
	json_t *root;

	snprintf(runners, sizeof(runners), "native%s%s", strcmp(r, "native") ? "," : "",
	         strcmp(r, "native") ? r : "");
	int rc = th_run_vmbench((char *[]){"--workload", "hold", "--runner", runners,
	                                   "--max-instances", "8", "--reps", "2", "--warmup", "0",
	                                   "--cores", "2", NULL},
	                        &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	json_t *sweeps = json_object_get(json_object_get(root, "density"), "sweeps");
	cr_assert_eq(json_array_size(sweeps), strcmp(r, "native") ? 2 : 1);
	size_t i;
	json_t *e;
	json_array_foreach(sweeps, i, e)
	{
		const char *runner = json_string_value(json_object_get(e, "runner"));
		const char *stop = json_string_value(json_object_get(e, "stopped_by"));
		json_t *pts = json_object_get(e, "points");
		cr_assert_not_null(stop, "%s", log);
		cr_assert_geq(json_array_size(pts), 2, "%s: %s", runner, stop);
		/* every point measured is whole; one not measured says why */
		for (unsigned n = 1; n <= 8; n *= 2) {
			json_t *c = point(root, runner, n);
			const char *st = json_string_value(json_object_get(c, "status"));
			if (strcmp(st, "skipped") == 0) {
				cr_assert_str_eq(stop, "start_doubled");
				cr_assert(strstr(json_string_value(json_object_get(c, "reason")),
				                 "the sweep stopped after"));
				cr_assert_lt(th_num(e, "knee_instances"), n);
				continue;
			}
			json_t *smp;
			size_t k;
			json_array_foreach(json_object_get(c, "samples"), k, smp)
			        check_sample(smp, n, strcmp(runner, "container") == 0);
			cr_assert_not_null(json_object_get(json_object_get(c, "aggregates"),
			                                   "density_ready_p50_ns"));
		}
		if (strcmp(stop, "start_doubled") == 0)
			cr_assert_geq(th_num(e, "knee_instances"), 2);
		else
			cr_assert_str_eq(stop, "max_instances");
	}
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind; before:\n%s\nafter:\n%s", before, after);
	free(before);
	free(after);
}

/* At 20 a second, four instances take 150 ms to start at the least, sent on
 * schedule. */
Test(density, a_rate_spaces_the_starts, .timeout = 120)
{
	char *dir, *log;
	json_t *root;
	int rc = th_run_vmbench((char *[]){"--workload", "hold", "--runner", "native",
	                                   "--instances", "4", "--rate", "20", "--reps", "1",
	                                   "--warmup", "0", NULL},
	                        &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	json_t *c = point(root, "native", 4);
	cr_assert_float_eq(th_num(json_object_get(c, "density"), "rate_per_s"), 20, 1e-9);
	json_t *d = json_object_get(json_array_get(json_object_get(c, "samples"), 0), "density");
	cr_assert_geq(th_num(d, "all_ready_ns"), 150e6);
	json_t *h = json_object_get(d, "harness");
	cr_assert_lt(th_num(h, "behind_schedule_p50_ns"), 25e6, "sent late");
	cr_assert_not(json_is_true(json_object_get(h, "bottleneck")), "%s",
	              json_string_value(json_object_get(h, "why")));
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
}

/* A victim on one core beside a neighbour busy on it gets about half the
 * core: its time is far from its time alone. */
Test(density, a_busy_neighbour_slows_a_cpu_victim, .timeout = 180)
{
	char *dir, *log;
	json_t *root;
	int rc = th_run_vmbench((char *[]){"--workload", "cpu-int", "--runner", "native",
	                                   "--neighbours", "1", "--cores", "1", "--quick", "--reps",
	                                   "3", "--warmup", "0", NULL},
	                        &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	json_t *alone = NULL, *busy = NULL, *c;
	size_t i;
	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		json_t *nb = json_object_get(c, "neighbours");
		if (th_num(nb, "count") == 0)
			alone = c;
		else
			busy = c;
	}
	cr_assert(alone && busy);
	cr_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(busy, "neighbours"), "load")),
	        "cpu");
	double t0 =
	        th_num(json_object_get(json_object_get(alone, "aggregates"), "workload_wall_ns"),
	               "median");
	double t1 = th_num(json_object_get(json_object_get(busy, "aggregates"), "workload_wall_ns"),
	                   "median");
	cr_assert_gt(t1, 1.4 * t0, "alone %.0f ns, beside a busy neighbour %.0f ns", t0, t1);
	/* the neighbours' own figures ride with the victim's sample */
	json_t *s = json_array_get(json_object_get(busy, "samples"), 0);
	cr_assert_eq(th_num(json_object_get(s, "neighbours"), "ready"), 1);
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
}

/* One instance killed while the others are held: the point fails with its
 * reason, and nothing of any of them is left. */
Test(density, an_instance_that_dies_while_held_fails_the_point, .timeout = 120)
{
	char *tmp = th_tmpdir(), out[300], *before = th_leftovers();
	pid_t agents[32];

	snprintf(out, sizeof(out), "%s/run", tmp);
	pid_t pid = start_held(out, "4", "8", agents);
	usleep(200000);
	kill(agents[2], SIGKILL);
	int rc = th_wait(pid);
	cr_assert_eq(rc, 1, "exit %d", rc);
	json_t *root = th_load_results(out);
	json_t *c = point(root, a_runner(), 4);
	cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "failed");
	const char *why = json_string_value(json_object_get(c, "reason"));
	cr_assert(why && strstr(why, "1 of 4") && strstr(why, "ended while held"), "%s", why);
	json_t *d = json_object_get(json_array_get(json_object_get(c, "samples"), 0), "density");
	cr_assert_eq(th_num(d, "failed"), 1);
	json_decref(root);
	vmb_rm_tree(tmp, NULL);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind; before:\n%s\nafter:\n%s", before, after);
	free(before);
	free(after);
}

/* SIGINT while sixteen instances are held: the run ends at once, interrupted,
 * and takes every instance with it. */
Test(density, sigint_while_held_leaves_nothing, .timeout = 120)
{
	char *tmp = th_tmpdir(), out[300], *before = th_leftovers();
	pid_t agents[32];

	snprintf(out, sizeof(out), "%s/run", tmp);
	pid_t pid = start_held(out, "16", "60", agents);
	uint64_t t0 = vmb_now_ns();
	kill(pid, SIGINT);
	int rc = th_wait(pid);
	cr_assert_eq(rc, 130, "exit %d", rc);
	cr_assert_lt(vmb_now_ns() - t0, 20e9, "the held instances kept the run alive");
	json_t *root = th_load_results(out);
	cr_assert_str_eq(json_string_value(json_object_get(root, "status")), "interrupted");
	json_decref(root);
	vmb_rm_tree(tmp, NULL);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind; before:\n%s\nafter:\n%s", before, after);
	free(before);
	free(after);
}

/* Held means set up: what an instance's working set holds is resident when
 * its memory is read, at once (no --hold-time). */
Test(density, the_working_set_is_written_before_memory_is_read, .timeout = 120)
{
	const char *r = a_runner();
	char *dir, *log;
	json_t *root;
	int rc = th_run_vmbench((char *[]){"--workload", "hold", "--runner", (char *)r,
	                                   "--instances", "2", "--param", "hold.touch=64M",
	                                   "--reps", "1", "--warmup", "0", NULL},
	                        &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	json_t *d = json_object_get(
	        json_array_get(json_object_get(point(root, r, 2), "samples"), 0), "density");
	json_t *mem = json_object_get(d, "memory");
	cr_assert_geq(th_num(mem, "pss_per_instance_kib"), 64 * 1024, "%s", json_dumps(mem, 0));
	if (strcmp(r, "container") == 0)
		cr_assert_geq(th_num(mem, "per_instance_kib"), 64 * 1024, "%s", json_dumps(mem, 0));
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
}

/* The parent of a process, from /proc/PID/stat. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		char *close = strrchr(buf, ')');
		if (close)
			sscanf(close + 2, "%*c %d", &ppid);
	}
	fclose(f);
	return ppid;
}

/* A monitor killed while its instance is held: the point fails, and what
 * the monitor held (its instance's processes, its cgroup) goes with the run. */
Test(density, a_monitor_killed_while_held_leaves_nothing, .timeout = 120)
{
	char *tmp = th_tmpdir(), out[300], *before = th_leftovers();
	pid_t agents[32];

	snprintf(out, sizeof(out), "%s/run", tmp);
	pid_t pid = start_held(out, "3", "8", agents);
	/* a monitor: a child of vmbench, an ancestor of an agent */
	pid_t mon = agents[0];
	while (mon > 1 && parent_of(mon) != pid)
		mon = parent_of(mon);
	cr_assert_gt(mon, 1, "no monitor above agent %d", (int)agents[0]);
	kill(mon, SIGKILL);
	int rc = th_wait(pid);
	cr_assert_eq(rc, 1, "exit %d", rc);
	json_t *root = th_load_results(out);
	json_t *c = point(root, a_runner(), 3);
	cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "failed");
	json_decref(root);
	vmb_rm_tree(tmp, NULL);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind; before:\n%s\nafter:\n%s", before, after);
	free(before);
	free(after);
}

/* Asked for a million starts a second, vmbench cannot send them on time (a
 * send takes longer than a microsecond): it says it was the bottleneck. */
Test(density, the_harness_says_when_it_was_the_bottleneck, .timeout = 120)
{
	char *dir, *log;
	json_t *root;
	int rc = th_run_vmbench((char *[]){"--workload", "hold", "--runner", "native",
	                                   "--instances", "64", "--rate", "1000000", "--reps", "1",
	                                   "--warmup", "0", NULL},
	                        &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	json_t *d = json_object_get(
	        json_array_get(json_object_get(point(root, "native", 64), "samples"), 0),
	        "density");
	json_t *h = json_object_get(d, "harness");
	cr_assert(json_is_true(json_object_get(h, "bottleneck")), "%s", json_dumps(h, 0));
	cr_assert(strstr(json_string_value(json_object_get(h, "why")), "behind the schedule"), "%s",
	          json_string_value(json_object_get(h, "why")));
	cr_assert_gt(th_num(h, "behind_schedule_p50_ns"), 500);
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
}
