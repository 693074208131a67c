/* test_vm.c: the VM runner end to end against a real /dev/kvm: boot to the agent with
 * one and two vCPUs, CPU and memory workloads with results coming back, a guest that
 * panics, one that hangs past the timeout, one that forges the VMM's summary, files that
 * are not kernels, and nothing left behind. Where this host has no usable KVM it skips,
 * saying why; the guest harness (tests/guest/run-guest-tests) runs it inside an emulated
 * guest that has one, and a lab host with KVM runs it with the kernel the runner picks. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "runners/vm/vm.h"
#include "vmbench/runner.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

static const char *kernel(void)
{
	char why[256] = "";

	if (vmb_runner_find("vm")->probe(why, sizeof(why)) < 0)
		cr_skip_test("VM runner unavailable here: %s", why);
	const char *k = getenv("VMBENCH_TEST_KERNEL");
	if (k)
		return k;
	/* a lab host with KVM: the kernel the VM runner itself would choose */
	static struct vmb_guest_kernel found;
	struct vmb_error err = {0};
	if (!found.path[0] && vmb_guest_kernel_find(NULL, &found, &err) < 0)
		cr_skip_test("no guest kernel (VMBENCH_TEST_KERNEL is not set): %s", err.msg);
	return found.path;
}

/* Runs vmbench run ARGS... --kernel K into a new directory. */
static int run(char **args, json_t **root, char **dir, char **log)
{
	char *argv[48];
	int n = 0;

	for (; *args && n < 44; args++)
		argv[n++] = *args;
	argv[n++] = "--kernel";
	argv[n++] = (char *)kernel();
	argv[n] = NULL;
	return th_run_vmbench(argv, root, dir, log);
}

static const char *const vm_phases[] = {
        "guest_files_ready", "cgroup_created", "cgroup_joined", "launch",        "vm_created",
        "memory_ready",      "irqchip_ready",  "kernel_loaded", "first_kvm_run", "agent_ready",
        "workload_done",     "guest_off",      "exited",        "teardown_done",
};

static void boots_with(const char *cpus)
{
	char *before = th_leftovers(), *dir, *log;
	json_t *root;
	int rc = run((char *[]){"--suite", "startup", "--runner", "vm", "--cpus", (char *)cpus,
	                        "--memory", "256M", "--reps", "1", "--warmup", "0", "--timeout",
	                        "120", NULL},
	             &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	json_t *s = json_array_get(json_object_get(th_case(root, "noop", "vm"), "samples"), 0);
	json_t *p = json_object_get(s, "phases");
	for (size_t i = 1; i < sizeof(vm_phases) / sizeof(vm_phases[0]); i++)
		cr_assert_leq(th_num(p, vm_phases[i - 1]), th_num(p, vm_phases[i]), "%s after %s",
		              vm_phases[i - 1], vm_phases[i]);
	cr_assert_not_null(json_object_get(p, "first_console_line"));
	json_t *host = json_object_get(s, "host");
	json_t *vmm = json_object_get(host, "vmm");
	cr_assert_str_eq(json_string_value(json_object_get(vmm, "stop")), "guest_off");
	cr_assert_eq(th_num(vmm, "vcpus"), atoi(cpus));
	cr_assert_gt(th_num(json_object_get(vmm, "exits"), "io"), 0);
	cr_assert_not_null(json_object_get(vmm, "cpuid_offered"));
	json_t *devs = json_object_get(vmm, "devices");
	cr_assert_gt(th_num(json_object_get(devs, "uart"), "exits"), 0, "no console output");
	cr_assert_gt(th_num(json_object_get(devs, "result"), "records_relayed"), 0);
	cr_assert_eq(th_num(vmm, "guest_records_refused"), 0);
	cr_assert_gt(th_num(host, "runner_private_kib"), 0);
	cr_assert_lt(th_num(host, "runner_private_kib"), th_num(vmm, "guest_memory_mib") * 1024,
	             "guest RAM counted as the VMM's own");
	cr_assert_gt(th_num(json_object_get(host, "cgroup"), "cpu_usage_ns"), 0);
	cr_assert_not_null(json_string_value(
	        json_object_get(json_object_get(host, "guest"), "kernel_version")));
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind; before:\n%s\nafter:\n%s", before, after);
}

Test(vm, boots_to_the_agent_with_one_vcpu, .timeout = 300)
{
	boots_with("1");
}

Test(vm, boots_to_the_agent_with_two_vcpus, .timeout = 300)
{
	boots_with("2");
}

/* The disk's other way of serving requests, on an I/O thread woken by
 * KVM_IOEVENTFD (the default serves them in the vCPU's exit): the same work,
 * its doorbells taken without a trip to the VMM, direct I/O on the host. */
Test(vm, the_disk_served_by_an_io_thread, .timeout = 300)
{
	char *before = th_leftovers(), *dir, *log;
	json_t *root;
	int rc = run((char *[]){"--workload", "disk-fsync", "--runner", "vm", "--quick", "--io",
	                        "thread", "--disk-direct", "--reps", "1", "--warmup", "0",
	                        "--timeout", "240", NULL},
	             &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	json_t *c = th_case(root, "disk-fsync", "vm");
	json_t *s0 = json_array_get(json_object_get(c, "samples"), 0);
	json_t *host = json_object_get(s0, "host");
	json_t *blk =
	        json_object_get(json_object_get(json_object_get(host, "vmm"), "devices"), "blk0");
	cr_assert_str_eq(json_string_value(json_object_get(blk, "doorbell")),
	                 "iothread, by ioeventfd");
	cr_assert_eq(json_is_true(json_object_get(blk, "direct")), true);
	cr_assert_eq(json_is_true(json_object_get(json_object_get(host, "guest"), "disk_direct")),
	             true);
	long long req = json_integer_value(json_object_get(blk, "requests"));
	cr_assert_gt(req, 10);
	cr_assert_gt(json_integer_value(json_object_get(blk, "flushes")), 0);
	/* doorbells went to the eventfd: almost no MMIO exits for them */
	cr_assert_lt(json_integer_value(json_object_get(blk, "exits")), req / 2, "%lld requests",
	             req);
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind; before:\n%s\nafter:\n%s", before, after);
	free(before);
	free(after);
}

/* Every workload of "all" (density apart), quick and small, in the guest beside native: each
 * one the VM offers runs there, the cpu ones and mem-stream doing the same work
 * as natively (the checksums agree); those needing a disk through the guest's
 * virtio disk, the device's counters in their samples. */
Test(vm, every_workload_runs_in_the_guest, .timeout = 900)
{
	char *dir, *log;
	json_t *root, *c;
	size_t i;
	/* every suite of "all" but density, whose VMs start by the handful
	 * (two_guests_start_together_and_are_measured_from_the_host) */
	int rc = run((char *[]){"--suite", "startup,cpu,memory,os,io,app,isolation", "--runner",
	                        "native,vm", "--quick", "--scale", "0.05", "--param",
	                        "mem-stream.mib=4", "--param", "mem-latency.to=4M", "--reps", "1",
	                        "--warmup", "0", "--timeout", "240", NULL},
	             &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	unsigned ran = 0, disk = 0;
	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		const char *w = json_string_value(json_object_get(c, "workload"));
		const char *st = json_string_value(json_object_get(c, "status"));
		const char *suite = json_string_value(json_object_get(c, "suite"));
		const struct vmb_workload *wl = vmb_workload_find(w);
		if (strcmp(json_string_value(json_object_get(c, "runner")), "vm") != 0)
			continue;
		cr_assert_str_eq(st, "ok", "%s in the guest: %s\n%s", w, st, log);
		ran++;
		if (wl->needs & VMB_NEED_DISK) {
			/* through the guest's virtio disk, whose counters come with the
			 * figures */
			json_t *s0 = json_array_get(json_object_get(c, "samples"), 0);
			json_t *blk = json_object_get(
			        json_object_get(json_object_get(json_object_get(s0, "host"), "vmm"),
			                        "devices"),
			        "blk0");
			cr_assert_gt(json_integer_value(json_object_get(blk, "requests")), 0,
			             "%s did no disk I/O in the guest", w);
			cr_assert_gt(json_integer_value(json_object_get(blk, "interrupts")), 0,
			             "%s", w);
			cr_assert_not_null(json_object_get(json_object_get(c, "aggregates"),
			                                   "disk_interrupts_per_request"),
			                   "%s", w);
			/* disk-rand's sixteen threads reach the host file together */
			if (strcmp(w, "disk-rand") == 0)
				cr_assert_gt(
				        json_integer_value(json_object_get(blk, "max_in_flight")),
				        1);
			/* the VMM's own memory stays under 1 MiB with the disk's
			 * workers busy */
			cr_assert_lt(th_num(json_object_get(s0, "host"), "runner_private_kib"),
			             1024, "%s", w);
			disk++;
			continue;
		}
		if (strcmp(suite, "cpu") != 0 && strcmp(w, "mem-stream") != 0)
			continue;
		json_t *v = json_array_get(json_object_get(c, "samples"), 0);
		json_t *n =
		        json_array_get(json_object_get(th_case(root, w, "native"), "samples"), 0);
		cr_assert_str_eq(
		        json_string_value(json_object_get(json_object_get(v, "agent"), "checksum")),
		        json_string_value(json_object_get(json_object_get(n, "agent"), "checksum")),
		        "%s did different work in the guest", w);
	}
	cr_assert_geq(ran, 10, "only %u workloads ran in the guest", ran);
	cr_assert_geq(disk, 4, "only %u disk workloads ran in the guest", disk);
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
}

Test(vm, a_guest_that_panics_fails_its_case_and_keeps_the_console, .timeout = 300)
{
	char *dir, *log;
	json_t *root;

	setenv("VMBENCH_VM_CMDLINE_EXTRA", "vmbench.test_panic", 1);
	int rc = run((char *[]){"--suite", "startup,cpu", "--workload", "noop", "--runner", "vm",
	                        "--memory", "256M", "--reps", "1", "--warmup", "0", "--timeout",
	                        "120", NULL},
	             &root, &dir, &log);
	unsetenv("VMBENCH_VM_CMDLINE_EXTRA");
	cr_assert_eq(rc, 1, "exit %d\n%s", rc, log);
	json_t *c = th_case(root, "noop", "vm");
	const char *why = json_string_value(json_object_get(c, "reason"));
	cr_assert(why && strstr(why, "reset"), "reason: %s", why);
	json_t *s = json_array_get(json_object_get(c, "samples"), 0);
	const char *console = json_string_value(json_object_get(s, "log"));
	cr_assert_not_null(console, "the console log was not kept");
	char path[700], line[512];
	snprintf(path, sizeof(path), "%s/run/%s", dir, console);
	FILE *f = fopen(path, "r");
	bool panic = false;
	while (f && fgets(line, sizeof(line), f))
		panic |= strstr(line, "Kernel panic") != NULL;
	if (f)
		fclose(f);
	cr_assert(panic, "no kernel panic in %s", path);
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
}

Test(vm, a_guest_that_hangs_is_stopped_at_the_timeout, .timeout = 300)
{
	char *before = th_leftovers(), *dir, *log;
	json_t *root;
	int rc = run((char *[]){"--suite", "selftest,startup", "--runner", "vm", "--param",
	                        "fault.mode=1", "--memory", "256M", "--reps", "1", "--warmup", "0",
	                        "--timeout", "60", NULL},
	             &root, &dir, &log);
	cr_assert_eq(rc, 1, "exit %d\n%s", rc, log);
	const char *why =
	        json_string_value(json_object_get(th_case(root, "fault", "vm"), "reason"));
	cr_assert(why && strstr(why, "timed out"), "reason: %s", why);
	cr_assert_str_eq(json_string_value(json_object_get(th_case(root, "noop", "vm"), "status")),
	                 "ok", "the run did not go on after the hung guest");
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind; before:\n%s\nafter:\n%s", before, after);
	cr_assert_eq(th_count_procs("vmbench-vmm"), 0, "a VMM outlived its run");
}

/* A guest that forges the VMM's summary (fault mode 5 writes {"type":"vmm",
 * "stop":"guest_off",...} from inside the guest): the VMM refuses it, says so in
 * its own summary, and the sample fails. */
Test(vm, a_record_forged_by_the_guest_is_refused, .timeout = 300)
{
	char *dir, *log;
	json_t *root;
	int rc = run((char *[]){"--suite", "selftest", "--workload", "fault", "--param",
	                        "fault.mode=5", "--runner", "vm", "--memory", "256M", "--reps", "1",
	                        "--warmup", "0", "--timeout", "120", NULL},
	             &root, &dir, &log);
	cr_assert_eq(rc, 1, "exit %d\n%s", rc, log);
	json_t *c = th_case(root, "fault", "vm");
	cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "failed");
	json_t *s = json_array_get(json_object_get(c, "samples"), 0);
	const char *why = json_string_value(json_object_get(s, "error"));
	cr_assert(why && strstr(why, "refused"), "error: %s", why);
	json_t *host = json_object_get(s, "host");
	json_t *vmm = json_object_get(host, "vmm");
	cr_assert_str_eq(json_string_value(json_object_get(vmm, "stop")), "guest_off");
	const char *stop_reason = json_string_value(json_object_get(vmm, "stop_reason"));
	cr_assert(stop_reason && strcmp(stop_reason, "forged") != 0, "stop_reason: %s",
	          stop_reason);
	cr_assert_eq(th_num(vmm, "guest_records_refused"), 1);
	cr_assert_str_eq(json_string_value(json_object_get(vmm, "guest_refused_example")), "vmm");
	json_t *priv = json_object_get(host, "runner_private_kib");
	cr_assert(json_is_integer(priv) && json_integer_value(priv) != 1,
	          "runner_private_kib is the forged 1 (or missing)");
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
}

Test(vm, files_that_are_not_kernels_exit_2)
{
	kernel();
	char *dir = th_tmpdir(), *log, trunc[300];
	char *argv[] = {(char *)th_vmbench(), "run",         "--runner", "vm",
	                "--kernel",           "/etc/passwd", NULL};
	cr_assert_eq(th_run(argv, &log), 2, "%s", log);
	cr_assert(strstr(log, "/etc/passwd") && strstr(log, "not a Linux"), "%s", log);
	free(log);
	/* the first 64 KiB of a real kernel: a valid header, a missing body */
	snprintf(trunc, sizeof(trunc), "%s/truncated", dir);
	FILE *in = fopen(kernel(), "rb"), *out = fopen(trunc, "wb");
	char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf), in);
	fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	argv[5] = trunc;
	cr_assert_eq(th_run(argv, &log), 2, "%s", log);
	cr_assert(strstr(log, "truncated"), "%s", log);
	free(log);
	vmb_rm_tree(dir, NULL);
}

/* A hostile guest: fault-virtio takes the guest's virtio disk from its driver and
 * drives the device itself with wild rings, indices, addresses, lengths and
 * features. Each attack is refused (the request fails, or the device stops until
 * the guest resets it), the VMM lives to the guest's power-off, the verdict names
 * the broken device, and the next run on the VM passes. */
Test(vm, a_hostile_guest_leaves_the_host_unharmed, .timeout = 600)
{
	char *dir, *log;
	json_t *root;
	/* the guest maps the disk's BAR beside its driver: unbinding it waits on
	 * the guest's timer, which nested emulators do not always deliver */
	setenv("VMBENCH_VM_CMDLINE_EXTRA", "iomem=relaxed", 1);
	int rc = run((char *[]){"--suite", "hostile", "--workload", "fault-virtio", "--runner",
	                        "vm", "--memory", "256M", "--reps", "1", "--warmup", "0",
	                        "--timeout", "240", NULL},
	             &root, &dir, &log);
	unsetenv("VMBENCH_VM_CMDLINE_EXTRA");
	cr_assert_eq(rc, 1, "exit %d\n%s", rc, log);
	json_t *c = th_case(root, "fault-virtio", "vm");
	cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "failed");
	json_t *s = json_array_get(json_object_get(c, "samples"), 0);
	const char *why = json_string_value(json_object_get(s, "error"));
	cr_assert(why && strstr(why, "broke the rules") && strstr(why, "blk0"), "error: %s\n%s",
	          why, log);
	json_t *vmm = json_object_get(json_object_get(s, "host"), "vmm");
	cr_assert_str_eq(json_string_value(json_object_get(vmm, "stop")), "guest_off",
	                 "the VMM did not see the guest to its power-off");
	json_t *blk = json_object_get(json_object_get(vmm, "devices"), "blk0");
	cr_assert_not_null(json_object_get(blk, "broken"));
	/* the agent's own account: every attack refused as the rules say */
	json_t *fig = json_object_get(json_object_get(s, "agent"), "figures");
	double attacks = th_num(fig, "attacks"), stopping = th_num(fig, "attacks_stopping");
	cr_assert_geq(attacks, 15);
	cr_assert_eq(th_num(fig, "attacks_refused"), attacks, "%s",
	             json_dumps(json_object_get(json_object_get(s, "agent"), "observations"),
	                        JSON_INDENT(1)));
	/* each attack that stops the device counts once in its errors; the
	 * requests out of the disk's range fail without stopping it */
	cr_assert_geq(th_num(blk, "errors"), stopping);
	cr_assert_geq(th_num(blk, "failed"), 4);
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
	cr_assert_eq(th_count_procs("vmbench-vmm"), 0, "a VMM outlived its run");

	/* the host still works: a disk workload on the VM right after */
	rc = run((char *[]){"--suite", "io", "--workload", "io-seq", "--runner", "vm", "--quick",
	                    "--reps", "1", "--warmup", "0", "--timeout", "240", NULL},
	         &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	cr_assert_str_eq(
	        json_string_value(json_object_get(th_case(root, "io-seq", "vm"), "status")), "ok");
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
}

/* A density point of two VMs started together, held once both agents have
 * set up (the guest's setup_done, relayed by the VMM), read from the host side: each VMM's smaps split into guest RAM
 * made resident and the VMM's own, its cgroup's charge, the settings of huge
 * pages and KSM recorded. In the emulated guest this is functional evidence
 * only: the times are the emulator's. */
Test(vm, two_guests_start_together_and_are_measured_from_the_host, .timeout = 600)
{
	char *before = th_leftovers(), *dir, *log;
	json_t *root;
	int rc = run((char *[]){"--workload", "hold", "--runner", "vm", "--instances", "2",
	                        "--memory", "256M", "--hugepages", "--ksm", "--reps", "1",
	                        "--warmup", "0", "--timeout", "300", NULL},
	             &root, &dir, &log);
	cr_assert_eq(rc, 0, "exit %d\n%s", rc, log);
	json_t *c = th_case(root, "hold", "vm");
	cr_assert_eq(th_num(json_object_get(c, "density"), "instances"), 2);
	json_t *d = json_object_get(json_array_get(json_object_get(c, "samples"), 0), "density");
	cr_assert_eq(th_num(d, "ready"), 2, "%s", json_dumps(d, JSON_INDENT(1)));
	cr_assert_eq(th_num(d, "failed"), 0);
	cr_assert_leq(th_num(d, "ready_p50_ns"), th_num(d, "ready_max_ns"));
	cr_assert_gt(th_num(d, "all_ready_ns"), 0);
	json_t *mem = json_object_get(d, "memory");
	/* the guest's kernel and initramfs at the least are resident */
	cr_assert_gt(th_num(mem, "guest_resident_kib"), 4096, "%s",
	             json_dumps(mem, JSON_INDENT(1)));
	cr_assert_lt(th_num(mem, "guest_resident_kib"), 256 * 1024 + 1);
	cr_assert_gt(th_num(mem, "vmm_private_kib"), 0);
	cr_assert_lt(th_num(mem, "vmm_private_kib"), th_num(mem, "guest_resident_kib"),
	             "guest RAM counted as the VMM's own");
	cr_assert_gt(th_num(mem, "per_instance_kib"), 0);
	cr_assert(json_is_true(json_object_get(mem, "hugepages")));
	cr_assert(json_is_true(json_object_get(mem, "ksm")));
	cr_assert_not_null(json_object_get(d, "ksm"));
	json_t *insts = json_object_get(d, "instance_samples");
	cr_assert_eq(json_array_size(insts), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *s = json_array_get(insts, i);
		cr_assert_str_eq(json_string_value(json_object_get(s, "status")), "ok");
		cr_assert(json_is_true(json_object_get(s, "released")));
		cr_assert_not_null(json_object_get(json_object_get(s, "phases"), "first_kvm_run"));
	}
	json_decref(root);
	free(log);
	vmb_rm_tree(dir, NULL);
	char *after = th_leftovers();
	cr_assert_str_eq(before, after, "left behind; before:\n%s\nafter:\n%s", before, after);
	free(before);
	free(after);
}
