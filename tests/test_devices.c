/* test_devices.c: vmbench-vmm's device models and bus driven against a fake VM without
 * /dev/kvm (KVM_IRQ_LINE has no VM to reach): the 8250 UART's probe and console, the
 * console log's cap, power-off and reset, unclaimed ports, two instances of one device,
 * clashes on the bus, the kvm_run bounds check, and the summary. The result device is
 * test_dev_result.c's, the VMM's own argument checks test_vmm_args.c's. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fake_vm.h"
#include "vmbench/proc.h"

TestSuite(devices, .timeout = 60);

enum { RBR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

Test(devices, uart_answers_the_8250_probe)
{
	struct vmm *v = fv_fake_vm();
	const uint16_t u = VMM_UART_PORT;

	/* scratch register holds what is written */
	fv_out8(v, u + SCR, 0x5a);
	cr_assert_eq(fv_in8(v, u + SCR), 0x5a);
	fv_out8(v, u + SCR, 0xa5);
	cr_assert_eq(fv_in8(v, u + SCR), 0xa5);
	/* modem status: the lines asserted outside loopback, MCR's echo inside */
	cr_assert_eq(fv_in8(v, u + MSR), 0xb0);
	fv_out8(v, u + MCR, 0x10);
	cr_assert_eq(fv_in8(v, u + MSR) & 0xf0, 0x00, "loopback with no outputs");
	fv_out8(v, u + MCR, 0x1f);
	cr_assert_eq(fv_in8(v, u + MSR) & 0xf0, 0xf0, "loopback with every output");
	fv_out8(v, u + MCR, 0x11);
	cr_assert_eq(fv_in8(v, u + MSR), 0x20, "DTR loops to DSR");
	fv_out8(v, u + MCR, 0x12);
	cr_assert_eq(fv_in8(v, u + MSR), 0x10, "RTS loops to CTS");
	fv_out8(v, u + MCR, 0x03);
	cr_assert_eq(fv_in8(v, u + MCR), 0x03);
	cr_assert_eq(fv_in8(v, u + LSR), 0x60, "transmitter empty, no input");
	/* IIR: no interrupt, then FIFOs, then a THRE interrupt once IER asks
	 * for it, acknowledged by reading IIR */
	cr_assert_eq(fv_in8(v, u + IIR), 0x01);
	fv_out8(v, u + IIR, 0x01); /* FCR: FIFOs on */
	cr_assert_eq(fv_in8(v, u + IIR), 0xc1);
	fv_out8(v, u + IER, 0x02);
	cr_assert_eq(fv_in8(v, u + IER), 0x02);
	cr_assert_eq(fv_counter(v, "uart", "irqs"), 1, "enabling THRE raised no interrupt");
	cr_assert_eq(fv_in8(v, u + IIR), 0xc2, "THRE not reported");
	cr_assert_eq(fv_in8(v, u + IIR), 0xc1, "reading IIR did not acknowledge THRE");
	fv_out8(v, u + RBR, 'x');
	cr_assert_eq(fv_counter(v, "uart", "irqs"), 2, "a written byte raised no interrupt");
	cr_assert_eq(fv_in8(v, u + IIR), 0xc2);
	/* DLAB: ports 0 and 1 become the divisor latch, and nothing is sent */
	char *before = fv_drain(fv_console_rd);
	cr_assert_str_eq(before, "x");
	free(before);
	fv_out8(v, u + LCR, 0x83);
	fv_out8(v, u + RBR, 0x0c);
	fv_out8(v, u + IER, 0x34);
	cr_assert_eq(fv_in8(v, u + RBR), 0x0c);
	cr_assert_eq(fv_in8(v, u + IER), 0x34);
	char *latched = fv_drain(fv_console_rd);
	cr_assert_str_eq(latched, "", "a divisor byte reached the console");
	free(latched);
	fv_out8(v, u + LCR, 0x03);
	cr_assert_eq(fv_in8(v, u + LCR), 0x03);
	cr_assert_eq(fv_in8(v, u + IER), 0x02, "IER lost under the divisor latch");
	cr_assert_eq(fv_in8(v, u + RBR), 0x00, "no input, ever");
	/* a wider read moves the register in its low byte */
	uint8_t wide[2] = {0xee, 0xee};
	vmm_bus_io(v, u + SCR, false, wide, 2, 1);
	cr_assert(wide[0] == 0xa5 && wide[1] == 0, "16-bit read gave %02x %02x", wide[0], wide[1]);
	cr_assert_eq(atomic_load(&v->stop), VMM_RUNNING);
	vmm_release(v);
}

Test(devices, uart_bytes_reach_the_console_and_the_first_line_is_a_phase)
{
	struct vmm *v = fv_fake_vm();

	fv_outs(v, VMM_UART_PORT, "hello\r\nworld\n");
	char *console = fv_drain(fv_console_rd);
	cr_assert_str_eq(console, "hello\nworld\n");
	cr_assert_eq(fv_counter(v, "uart", "tx_bytes"), 13);
	cr_assert_eq(fv_counter(v, "uart", "exits"), 1, "one string write is one exit");
	char *own = fv_drain(fv_own_rd);
	cr_assert(strstr(own, "\"first_console_line\""), "no phase in '%s'", own);
	cr_assert_null(strstr(strstr(own, "first_console_line") + 1, "first_console_line"),
	               "the first line was reported twice: %s", own);
	char *guest = fv_drain(fv_guest_rd);
	cr_assert_str_eq(guest, "", "the VMM's phase went to the guest channel");
	free(console);
	free(own);
	free(guest);
	vmm_release(v);
}

Test(devices, the_console_log_stops_at_its_cap_and_counts_the_rest)
{
	struct vmm *v = fv_fake_vm();
	struct vmb_error err = {0};

	cr_assert_eq(v->console_log_max, 64ull << 20, "the console log's cap is not 64 MiB");
	cr_assert_eq(VMM_CONSOLE_LOG_MAX, 64ull << 20);
	v->console_log_max = 10; /* the real cap takes 64 Mi exits to reach */
	fv_outs(v, VMM_UART_PORT, "0123456789abc\r\ndef\n");
	char *console = fv_drain(fv_console_rd);
	cr_assert_eq(strncmp(console, "0123456789\n", 11), 0, "console: '%s'", console);
	cr_assert(strstr(console, "cap of 10 bytes"), "no word of the cap: '%s'", console);
	cr_assert_eq(console[strlen(console) - 1], '\n', "the notice is not one line");
	cr_assert_eq(strchr(console + 11, '\n'), console + strlen(console) - 1,
	             "more than one line of notice: '%s'", console);
	free(console);
	cr_assert_eq(fv_counter(v, "uart", "console_bytes_dropped"), 8, "abc, def and newlines");
	cr_assert_eq(fv_counter(v, "uart", "tx_bytes"), 19, "every byte still counts as sent");
	char *own = fv_drain(fv_own_rd);
	cr_assert(strstr(own, "\"first_console_line\""), "the guest's progress went unseen");
	free(own);
	/* nothing more reaches the log, from this UART or another: the cap is the VM's */
	cr_assert_eq(vmm_uart_add(v, "uart2", 0x2f8, 3, &err), 0, "%s", err.msg);
	fv_outs(v, VMM_UART_PORT, "more\n");
	fv_outs(v, 0x2f8, "other\n");
	char *after = fv_drain(fv_console_rd);
	cr_assert_str_eq(after, "", "written past the cap: '%s'", after);
	free(after);
	cr_assert_eq(fv_counter(v, "uart", "console_bytes_dropped"), 13);
	cr_assert_eq(fv_counter(v, "uart2", "console_bytes_dropped"), 6);
	cr_assert_eq(atomic_load(&v->stop), VMM_RUNNING);
	vmm_release(v);
}

Test(devices, writing_1_to_the_control_port_powers_off)
{
	struct vmm *v = fv_fake_vm();

	fv_out8(v, VMM_RESULT_CTL, 0);
	fv_out8(v, VMM_RESULT_CTL, 2);
	cr_assert_eq(atomic_load(&v->stop), VMM_RUNNING, "only 1 means done");
	fv_out8(v, VMM_RESULT_CTL, 1);
	cr_assert_eq(atomic_load(&v->stop), VMM_STOP_OFF);
	/* the first reason stays */
	vmm_stop(v, VMM_STOP_ERROR, "later");
	json_t *sum = vmm_summary(v, "k");
	cr_assert_str_eq(json_string_value(json_object_get(sum, "stop")), "guest_off");
	cr_assert_str_eq(json_string_value(json_object_get(sum, "stop_reason")),
	                 "the guest is done");
	json_decref(sum);
	vmm_release(v);
}

Test(devices, a_reset_is_reported_as_guest_reset)
{
	struct vmm *v = fv_fake_vm();

	vmm_stop(v, VMM_STOP_SHUTDOWN, "triple fault");
	json_t *sum = vmm_summary(v, "k");
	cr_assert_str_eq(json_string_value(json_object_get(sum, "stop")), "guest_reset");
	json_decref(sum);
	vmm_release(v);
}

Test(devices, an_unknown_port_reads_ff_and_is_counted)
{
	struct vmm *v = fv_fake_vm();
	uint8_t wide[4] = {0};

	cr_assert_eq(fv_in8(v, 0x80), 0xff);
	vmm_bus_io(v, 0x64, false, wide, 2, 2);
	cr_assert(wide[0] == 0xff && wide[1] == 0xff && wide[2] == 0xff && wide[3] == 0xff,
	          "string read of an unclaimed port not all 0xff");
	fv_out8(v, 0x80, 0x12);
	json_t *devs = vmm_bus_report(v);
	cr_assert_eq(json_integer_value(json_object_get(devs, "unclaimed_ports")), 3);
	json_t *ports = json_object_get(json_object_get(devs, "legacy"), "ports");
	cr_assert_eq(json_array_size(ports), 2, "unclaimed ports: %zu", json_array_size(ports));
	cr_assert_str_eq(json_string_value(json_array_get(ports, 0)), "0x64");
	cr_assert_str_eq(json_string_value(json_array_get(ports, 1)), "0x80");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(devs, "uart"), "exits")), 0,
	             "the UART was charged for another port");
	json_decref(devs);
	/* a port inside a device's range is that device's, not unclaimed */
	fv_in8(v, VMM_UART_PORT + 7);
	cr_assert_eq(fv_counter(v, "legacy", "exits"), 3);
	cr_assert_eq(fv_counter(v, "uart", "exits"), 1);
	vmm_release(v);
}

Test(devices, two_instances_of_a_device_keep_separate_state)
{
	struct vmm *v = fv_fake_vm();
	struct vmb_error err = {0};

	cr_assert_eq(vmm_uart_add(v, "uart2", 0x2f8, 3, &err), 0, "%s", err.msg);
	cr_assert_eq(vmm_result_add(v, "result2", 0x5f0, &err), 0, "%s", err.msg);
	fv_out8(v, VMM_UART_PORT + SCR, 0x11);
	fv_out8(v, 0x2f8 + SCR, 0x22);
	cr_assert_eq(fv_in8(v, VMM_UART_PORT + SCR), 0x11);
	cr_assert_eq(fv_in8(v, 0x2f8 + SCR), 0x22);
	fv_out8(v, 0x2f8 + LCR, 0x80);
	cr_assert_eq(fv_in8(v, VMM_UART_PORT + LCR), 0x00, "DLAB leaked to the other UART");
	/* half a line in one result device, a whole one in the other */
	fv_outs(v, VMM_RESULT_PORT, "{\"type\":\"res");
	fv_outs(v, 0x5f0, "{\"type\":\"done\"}\n");
	json_t *rec = fv_one_guest_record();
	cr_assert_str_eq(json_string_value(json_object_get(rec, "type")), "done");
	json_decref(rec);
	fv_outs(v, VMM_RESULT_PORT, "ult\"}\n");
	rec = fv_one_guest_record();
	cr_assert_str_eq(json_string_value(json_object_get(rec, "type")), "result");
	json_decref(rec);
	cr_assert_eq(fv_counter(v, "result", "exits"), 2);
	cr_assert_eq(fv_counter(v, "result2", "exits"), 1);
	json_t *r2 = fv_counters(v, "result2");
	cr_assert(json_is_true(json_object_get(r2, "done_seen")));
	json_decref(r2);
	json_t *r1 = fv_counters(v, "result");
	cr_assert(json_is_false(json_object_get(r1, "done_seen")), "done seen by both");
	json_decref(r1);
	vmm_release(v);
}

Test(devices, the_bus_refuses_clashes)
{
	struct vmm *v = fv_fake_vm();
	struct vmb_error err = {0};

	cr_assert_eq(vmm_uart_add(v, "uart3", VMM_UART_PORT + 4, 4, &err), -1);
	cr_assert(strstr(err.msg, "clashes with uart"), "%s", err.msg);
	cr_assert_eq(vmm_uart_add(v, "result", 0x2e8, 4, &err), -1, "a name taken twice");
	cr_assert_eq(vmm_legacy_add(v, &err), -1, "a second catch-all");
	cr_assert_eq(vmm_uart_add(v, "unclaimed_ports", 0x2e8, 4, &err), -1);
	cr_assert_eq(vmm_uart_add(v, "uart3", 0xfffc, 4, &err), -1, "a range past 0xffff");
	cr_assert_eq(vmm_uart_add(v, "uart3", 0x2e8, 4, &err), 0, "%s", err.msg);
	vmm_release(v);
}

Test(devices, a_kvm_exit_with_data_outside_the_run_page_stops_the_vm)
{
	struct vmm *v = fv_fake_vm();
	size_t page = 4096;
	struct kvm_run *run = calloc(1, page);

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_IN;
	run->io.port = VMM_RESULT_PORT;
	run->io.size = 1;
	run->io.count = 4;
	run->io.data_offset = page - 4;
	vmm_bus_exit_io(v, run, page);
	cr_assert_eq(memcmp((char *)run + page - 4, "VVVV", 4), 0, "an in-bounds read failed");
	cr_assert_eq(atomic_load(&v->stop), VMM_RUNNING);
	run->io.count = 5;
	vmm_bus_exit_io(v, run, page);
	cr_assert_eq(atomic_load(&v->stop), VMM_STOP_ERROR, "data past the page was taken");
	cr_assert(strstr(v->stop_msg, "out of bounds"), "%s", v->stop_msg);
	cr_assert_eq(fv_counter(v, "result", "exits"), 1, "the device saw the bad access");
	free(run);
	vmm_release(v);
}

Test(devices, the_summary_leaves_guest_ram_out_of_the_runners_memory)
{
	struct vmm *v = fv_fake_vm();
	size_t guest = 64u << 20, slack = 2u << 20;

	v->mem_raw_size = guest + slack;
	v->mem_raw = mmap(NULL, v->mem_raw_size, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(v->mem_raw, MAP_FAILED);
	v->mem = v->mem_raw + slack;
	v->mem_size = guest;
	memset(v->mem_raw, 1, v->mem_raw_size); /* the slack too: it is not the VMM's */
	atomic_store(&v->exits[KVM_EXIT_IO], 3);
	long all = vmb_proc_private_kib(0, 0, 0);
	json_t *sum = vmm_summary(v, "6.1.0-test");
	json_int_t own = json_integer_value(json_object_get(sum, "runner_private_kib"));
	json_int_t resident = json_integer_value(json_object_get(sum, "guest_resident_kib"));
	cr_assert_geq(own, 0);
	cr_assert_leq(own, all - 60 * 1024, "guest RAM counted: %lld of %ld KiB", (long long)own,
	              all);
	cr_assert_eq(resident, 64 * 1024, "guest resident %lld KiB", (long long)resident);
	cr_assert_eq(json_integer_value(json_object_get(sum, "guest_memory_mib")), 64);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(sum, "exits"), "io")), 3);
	cr_assert_str_eq(json_string_value(json_object_get(sum, "kernel")), "6.1.0-test");
	json_t *devs = json_object_get(sum, "devices");
	for (const char *const *d = (const char *[]){"uart", "result", "legacy", NULL}; *d; d++)
		cr_assert(json_is_integer(json_object_get(json_object_get(devs, *d), "exits")),
		          "no exits for %s", *d);
	cr_assert(json_is_integer(json_object_get(devs, "unclaimed_ports")));
	for (const char *const *k =
	             (const char *[]){"stop", "stop_reason", "cpuid_offered", "vcpus",
	                              "emulated_host", "huge_pages", "guest_records_refused", NULL};
	     *k; k++)
		cr_assert_not_null(json_object_get(sum, *k), "summary lacks %s", *k);
	cr_assert_null(json_object_get(sum, "vmm_private_kib"), "an old field is back");
	cr_assert_null(json_object_get(sum, "vmm_private_beyond_guest_kib"));
	json_decref(sum);
	munmap(v->mem_raw, v->mem_raw_size);
	vmm_release(v);
}
