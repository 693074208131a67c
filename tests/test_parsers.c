/* test_parsers.c: the cgroup counter parsers and the /proc readers, on texts shaped like the
 * kernel's own files. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/cgroup.h"
#include "vmbench/noise.h"
#include "vmbench/proc.h"

/* v1 memory.oom_control: the key that is only a prefix ("oom_kill") comes
 * after one it prefixes ("oom_kill_disable"), as the kernel writes it. */
static const char oom_control[] = "oom_kill_disable 1\n"
                                  "under_oom 0\n"
                                  "oom_kill 7\n";

Test(cgroup_field, key_must_match_whole_not_as_a_prefix)
{
	long long v = -1;

	cr_assert(vmb_cgroup_field(oom_control, "oom_kill", &v));
	cr_assert_eq(v, 7, "oom_kill read as %lld (oom_kill_disable is 1)", v);
	cr_assert(vmb_cgroup_field(oom_control, "oom_kill_disable", &v));
	cr_assert_eq(v, 1);
	cr_assert(vmb_cgroup_field(oom_control, "under_oom", &v));
	cr_assert_eq(v, 0);
	/* neither a prefix of a key nor a missing key is found */
	cr_assert_not(vmb_cgroup_field(oom_control, "oom", &v));
	cr_assert_not(vmb_cgroup_field(oom_control, "oom_kills", &v));
	cr_assert_not(vmb_cgroup_field("", "oom_kill", &v));
}

Test(cgroup_field, v2_cpu_stat_and_v1_cpuacct_stat)
{
	/* cpu.stat on a 6.x kernel, cpu controller enabled */
	const char cpu_stat[] = "usage_usec 127778328\n"
	                        "user_usec 95662098\n"
	                        "system_usec 32116229\n"
	                        "core_sched.force_idle_usec 0\n"
	                        "nr_periods 12\n"
	                        "nr_throttled 3\n"
	                        "throttled_usec 4500\n"
	                        "nr_bursts 0\n"
	                        "burst_usec 0\n";
	/* cpuacct.stat: "user" is a prefix of nothing here, but a v2 cpu.stat
	 * handed to the v1 reader must not yield user_usec for "user" */
	const char cpuacct_stat[] = "user 9887\nsystem 3318\n";
	long long v = -1;

	cr_assert(vmb_cgroup_field(cpu_stat, "usage_usec", &v));
	cr_assert_eq(v, 127778328);
	cr_assert(vmb_cgroup_field(cpu_stat, "user_usec", &v));
	cr_assert_eq(v, 95662098);
	cr_assert(vmb_cgroup_field(cpu_stat, "system_usec", &v));
	cr_assert_eq(v, 32116229);
	cr_assert(vmb_cgroup_field(cpu_stat, "throttled_usec", &v));
	cr_assert_eq(v, 4500);
	cr_assert_not(vmb_cgroup_field(cpu_stat, "user", &v), "\"user\" matched user_usec");
	cr_assert_not(vmb_cgroup_field(cpu_stat, "system", &v));
	cr_assert(vmb_cgroup_field(cpuacct_stat, "user", &v));
	cr_assert_eq(v, 9887);
	cr_assert(vmb_cgroup_field(cpuacct_stat, "system", &v));
	cr_assert_eq(v, 3318);
}

Test(cgroup_field, v2_memory_events)
{
	const char events[] = "low 0\n"
	                      "high 0\n"
	                      "max 41\n"
	                      "oom 2\n"
	                      "oom_kill 2\n"
	                      "oom_group_kill 1\n";
	long long v = -1;

	cr_assert(vmb_cgroup_field(events, "oom_kill", &v));
	cr_assert_eq(v, 2);
	cr_assert(vmb_cgroup_field(events, "oom_group_kill", &v));
	cr_assert_eq(v, 1);
	cr_assert(vmb_cgroup_field(events, "max", &v));
	cr_assert_eq(v, 41);
	/* the last line may lack its newline */
	cr_assert(vmb_cgroup_field("low 0\nmax 5", "max", &v));
	cr_assert_eq(v, 5);
}

/* v2 io.stat: one line per device, discards beside reads and writes. */
static const char io_stat[] =
        "8:0 rbytes=1048576 wbytes=4096 rios=20 wios=1 dbytes=999999 dios=77\n"
        "8:16 rbytes=512 wbytes=8192 rios=1 wios=2 dbytes=5 dios=3\n"
        "253:0 rbytes=0 wbytes=0 rios=0 wios=0 dbytes=0 dios=0\n";

Test(cgroup_io_sum, sums_each_key_over_devices)
{
	cr_assert_eq(vmb_cgroup_io_sum(io_stat, "rbytes"), 1048576 + 512);
	cr_assert_eq(vmb_cgroup_io_sum(io_stat, "wbytes"), 4096 + 8192);
	cr_assert_eq(vmb_cgroup_io_sum(io_stat, "rios"), 21);
	cr_assert_eq(vmb_cgroup_io_sum(io_stat, "wios"), 3);
	/* the discards, summed on their own, prove the device lines are all read */
	cr_assert_eq(vmb_cgroup_io_sum(io_stat, "dbytes"), 999999 + 5);
}

Test(cgroup_io_sum, key_is_not_matched_inside_another)
{
	/* "bytes=" and "ios=" end every field name above: a match anywhere but
	 * at a field's start would add reads, writes and discards together */
	cr_assert_eq(vmb_cgroup_io_sum(io_stat, "bytes"), 0);
	cr_assert_eq(vmb_cgroup_io_sum(io_stat, "ios"), 0);
	/* io.stat is empty until the cgroup does block I/O */
	cr_assert_eq(vmb_cgroup_io_sum("", "rbytes"), 0);
}

/* v1 blkio.throttle.io_service_bytes: per device Read, Write, Sync, Async,
 * Discard and Total, then one grand "Total" line. */
static const char blkio_bytes[] = "8:16 Read 4096\n"
                                  "8:16 Write 0\n"
                                  "8:16 Sync 4096\n"
                                  "8:16 Async 0\n"
                                  "8:16 Discard 0\n"
                                  "8:16 Total 4096\n"
                                  "8:0 Read 1052672\n"
                                  "8:0 Write 20480\n"
                                  "8:0 Sync 1060864\n"
                                  "8:0 Async 12288\n"
                                  "8:0 Discard 0\n"
                                  "8:0 Total 1073152\n"
                                  "Total 1077248\n";

Test(cgroup_blkio_sum, sums_one_operation_over_devices)
{
	cr_assert_eq(vmb_cgroup_blkio_sum(blkio_bytes, "Read"), 4096 + 1052672);
	cr_assert_eq(vmb_cgroup_blkio_sum(blkio_bytes, "Write"), 20480);
	cr_assert_eq(vmb_cgroup_blkio_sum(blkio_bytes, "Sync"), 4096 + 1060864);
}

Test(cgroup_blkio_sum, grand_total_line_is_not_a_device)
{
	/* the per-device Total lines, not the grand total as well */
	cr_assert_eq(vmb_cgroup_blkio_sum(blkio_bytes, "Total"), 4096 + 1073152);
	/* a cgroup that did no I/O: only the grand total, which is not a read */
	cr_assert_eq(vmb_cgroup_blkio_sum("Total 0\n", "Read"), 0);
	cr_assert_eq(vmb_cgroup_blkio_sum("", "Read"), 0);
}

/* Appends one mapping to f as /proc/PID/smaps writes it (figures in kB). */
static void mapping(FILE *f, const char *range, const char *perms, const char *path, long clean,
                    long dirty, long swap)
{
	fprintf(f, "%s %s 00000000 fe:00 247498                     %s\n", range, perms, path);
	fprintf(f, "Size:               %8ld kB\n", clean + dirty + swap);
	fprintf(f, "KernelPageSize:        4 kB\nMMUPageSize:           4 kB\n");
	fprintf(f, "Rss:                %8ld kB\n", clean + dirty);
	fprintf(f, "Pss:                %8ld kB\n", clean + dirty);
	fprintf(f, "Pss_Dirty:          %8ld kB\n", dirty);
	fprintf(f, "Shared_Clean:          0 kB\nShared_Dirty:          0 kB\n");
	fprintf(f, "Private_Clean:      %8ld kB\n", clean);
	fprintf(f, "Private_Dirty:      %8ld kB\n", dirty);
	fprintf(f, "Referenced:         %8ld kB\n", clean + dirty);
	fprintf(f, "Anonymous:          %8ld kB\n", dirty);
	fprintf(f, "KSM:                   0 kB\nLazyFree:              0 kB\n"
	           "AnonHugePages:         0 kB\nShmemPmdMapped:        0 kB\n"
	           "FilePmdMapped:         0 kB\nShared_Hugetlb:        0 kB\n"
	           "Private_Hugetlb:       0 kB\n");
	fprintf(f, "Swap:               %8ld kB\n", swap);
	fprintf(f, "SwapPss:            %8ld kB\n", swap);
	fprintf(f, "Locked:                0 kB\nTHPeligible:           0\n"
	           "VmFlags: rd wr mr mw me ac sd \n");
}

/* A VMM's mappings: its text (clean only), its heap (dirty, some of it in
 * swap), the guest's RAM at 0x7f0000000000-0x7f0040000000 (1 GiB, much of
 * it dirty), an anonymous mapping right after it with clean pages too, and
 * its stack. Caller frees. */
static char *vmm_smaps(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	mapping(f, "55d9c1148000-55d9c114e000", "r-xp", "/usr/libexec/vmbench-vmm", 24, 0, 0);
	mapping(f, "55d9c2000000-55d9c2100000", "rw-p", "[heap]", 0, 900, 100);
	mapping(f, "7f0000000000-7f0040000000", "rw-s", "/memfd:guest-ram (deleted)", 0, 524288,
	        2048);
	mapping(f, "7f0040000000-7f0040021000", "rw-p", "", 8, 52, 0);
	mapping(f, "7ffd6a1e0000-7ffd6a201000", "rw-p", "[stack]", 0, 20, 4);
	fclose(f);
	return text;
}

Test(smaps, private_anonymous_plus_swap_skipping_guest_ram)
{
	char *text = vmm_smaps();
	/* heap 900 + 100, anonymous 52, stack 20 + 4: the text's 24 kB and the
	 * anonymous mapping's 8 kB of Private_Clean do not count, nor does any
	 * of the guest's RAM */
	long kib = vmb_smaps_private_kib(text, 0x7f0000000000, 0x7f0040000000);

	cr_assert_eq(kib, 900 + 100 + 52 + 20 + 4, "got %ld KiB", kib);
	free(text);
}

Test(smaps, nothing_skipped_without_a_range)
{
	char *text = vmm_smaps();
	long kib = vmb_smaps_private_kib(text, 0, 0);

	cr_assert_eq(kib, 900 + 100 + 524288 + 2048 + 52 + 20 + 4, "got %ld KiB", kib);
	free(text);
}

Test(smaps, skip_range_overlap_is_half_open)
{
	char *text = vmm_smaps();
	/* a range that starts where the guest RAM ends skips the mapping that
	 * starts there, not the guest RAM */
	long kib = vmb_smaps_private_kib(text, 0x7f0040000000, 0x7f0040001000);

	cr_assert_eq(kib, 900 + 100 + 524288 + 2048 + 20 + 4, "got %ld KiB", kib);
	/* its last byte overlapping is enough to skip all of the guest RAM */
	kib = vmb_smaps_private_kib(text, 0x7f003fffffff, 0x7f0040000000);
	cr_assert_eq(kib, 900 + 100 + 52 + 20 + 4, "got %ld KiB", kib);
	free(text);
}

Test(smaps, minus_one_without_any_field)
{
	char *text = vmm_smaps();

	cr_assert_eq(vmb_smaps_private_kib("", 0, 0), -1);
	cr_assert_eq(vmb_smaps_private_kib("55d9c1148000-55d9c114e000 r-xp 00000000 fe:00 1 /x\n"
	                                   "Size:                 24 kB\n"
	                                   "Private_Clean:        24 kB\n",
	                                   0, 0),
	             -1);
	/* every mapping skipped is a real 0, not "unreadable" */
	cr_assert_eq(vmb_smaps_private_kib(text, 0, UINT64_MAX), 0);
	free(text);
}

/* Only anonymous pages this process alone holds count: not the pages of a
 * program run from tmpfs (dirty, yet file pages), and of an anonymous mapping
 * shared with a forked child only the part it alone holds. */
Test(smaps, file_pages_on_tmpfs_and_shared_anonymous_pages_do_not_count)
{
	const char *text =
	        "55d9c1148000-55d9c114e000 r-xp 00000000 00:1f 12 /tmp/build/vmbench-init\n"
	        "Private_Dirty:        40 kB\n"
	        "Anonymous:             0 kB\n"
	        "Swap:                  0 kB\n"
	        "55d9c114e000-55d9c1150000 rw-p 00006000 00:1f 12 /tmp/build/vmbench-init\n"
	        "Private_Dirty:         8 kB\n"
	        "Anonymous:             8 kB\n"
	        "Swap:                  0 kB\n"
	        "7ffd6a1e0000-7ffd6a201000 rw-p 00000000 00:00 0 [heap]\n"
	        "Private_Dirty:         4 kB\n"
	        "Anonymous:            16 kB\n"
	        "Swap:                  2 kB\n";

	cr_assert_eq(vmb_smaps_private_kib(text, 0, 0), 8 + 4 + 2);
}

Test(smaps, this_process_reads_positive)
{
	long kib = vmb_proc_private_kib(0, 0, 0);

	cr_assert_gt(kib, 0, "a running process has dirty private pages (its stack); got %ld", kib);
}

/* /proc/cgroups on a hybrid host: net_cls and friends have no v1 hierarchy
 * (hierarchy 0), rdma is compiled in but disabled. */
static const char proc_cgroups[] = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
                                   "cpuset\t3\t1\t1\n"
                                   "cpu\t1\t1\t1\n"
                                   "cpuacct\t2\t1\t1\n"
                                   "blkio\t7\t1\t1\n"
                                   "memory\t4\t29\t1\n"
                                   "devices\t5\t1\t1\n"
                                   "freezer\t6\t1\t1\n"
                                   "net_cls\t0\t1\t1\n"
                                   "perf_event\t0\t1\t1\n"
                                   "net_prio\t0\t1\t1\n"
                                   "hugetlb\t0\t1\t1\n"
                                   "pids\t8\t1\t1\n"
                                   "rdma\t9\t1\t0\n";

Test(v1_controllers, mounted_and_enabled_only)
{
	char buf[256];

	vmb_parse_v1_controllers(proc_cgroups, buf, sizeof(buf), ',');
	cr_assert_str_eq(buf, "cpuset,cpu,cpuacct,blkio,memory,devices,freezer,pids");
	vmb_parse_v1_controllers(proc_cgroups, buf, sizeof(buf), ' ');
	cr_assert_str_eq(buf, "cpuset cpu cpuacct blkio memory devices freezer pids");
}

Test(v1_controllers, pure_v2_host_has_none)
{
	char buf[64] = "stale";

	vmb_parse_v1_controllers("#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
	                         "cpu\t0\t120\t1\n"
	                         "memory\t0\t120\t1\n",
	                         buf, sizeof(buf), ',');
	cr_assert_str_eq(buf, "");
	vmb_parse_v1_controllers("", buf, sizeof(buf), ',');
	cr_assert_str_eq(buf, "");
}

Test(v1_controllers, short_buffer_is_truncated_and_terminated)
{
	char buf[12];

	memset(buf, 'x', sizeof(buf));
	vmb_parse_v1_controllers(proc_cgroups, buf, sizeof(buf), ',');
	cr_assert_eq(strnlen(buf, sizeof(buf)), sizeof(buf) - 1);
	cr_assert_eq(strncmp(buf, "cpuset,cpu,", sizeof(buf) - 1), 0, "%s", buf);
}

/* The noise warnings: each condition raises its own sentence, and a quiet
 * case none. */
Test(noise, warnings_name_what_makes_a_figure_untrustworthy)
{
	json_t *before =
	        json_pack("{s:f, s:i, s:I, s:I}", "load1", 0.1, "runnable", 0, "steal_ticks",
	                  (json_int_t)100, "total_ticks", (json_int_t)10000);
	json_t *after = json_pack("{s:I, s:I}", "steal_ticks", (json_int_t)100, "total_ticks",
	                          (json_int_t)20000);
	json_t *w = vmb_noise_warnings(before, after, 0.01, 0.005, 2);

	cr_assert_eq(json_array_size(w), 0, "a quiet case was warned about");
	cr_assert_float_eq(json_real_value(json_object_get(after, "steal_fraction")), 0, 1e-12);
	json_decref(w);
	/* a wide spread with a stable median (outliers): no warning */
	w = vmb_noise_warnings(before, after, 0.4, 0.01, 2);
	cr_assert_eq(json_array_size(w), 0, "outliers alone were warned about");
	json_decref(w);
	/* a busy 1-minute load alone (vmbench's own earlier cases): none */
	json_object_set_new(before, "load1", json_real(3.0));
	w = vmb_noise_warnings(before, after, 0.01, 0.005, 2);
	cr_assert_eq(json_array_size(w), 0);
	json_decref(w);
	/* spread, other runnable tasks and steal, each past its threshold */
	json_object_set_new(before, "runnable", json_integer(3));
	json_object_set_new(after, "steal_ticks", json_integer(100 + 500));
	w = vmb_noise_warnings(before, after, 0.08, 0.06, 2);
	cr_assert_eq(json_array_size(w), 3);
	cr_assert(strstr(json_string_value(json_array_get(w, 0)), "8.0%"));
	cr_assert(strstr(json_string_value(json_array_get(w, 1)), "3 other task(s)"));
	cr_assert(strstr(json_string_value(json_array_get(w, 2)), "5.0%"));
	json_decref(w);
	/* what is unknown raises nothing */
	w = vmb_noise_warnings(json_object(), json_object(), NAN, NAN, 2);
	cr_assert_eq(json_array_size(w), 0);
	json_decref(w);
	json_decref(before);
	json_decref(after);
}

Test(noise, this_host_reads)
{
	json_t *n = vmb_noise_read();

	/* /proc is there on every Linux host this runs on */
	cr_assert(json_is_number(json_object_get(n, "load1")));
	cr_assert_gt(json_integer_value(json_object_get(n, "total_ticks")), 0);
	json_decref(n);
}
