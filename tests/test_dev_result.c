/* test_dev_result.c: vmbench-vmm's result device against a fake VM without /dev/kvm: what
 * it relays from the guest and how it tags it, the records it refuses (forged, malformed,
 * over-long, of types outside the shared list) and counts, and the VM's caps on records
 * and bytes relayed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fake_vm.h"
#include "vmbench/record.h"

TestSuite(devices, .timeout = 60);

Test(devices, result_relays_an_allowed_record_tagged_from_the_guest)
{
	struct vmm *v = fv_fake_vm();

	cr_assert_eq(fv_in8(v, VMM_RESULT_PORT), VMM_RESULT_MAGIC);
	cr_assert_eq(fv_in8(v, VMM_RESULT_CTL), 0);
	/* split across two exits, with a "from" the guest made up */
	fv_outs(v, VMM_RESULT_PORT, "{\"type\":\"result\",\"ops\":5,");
	char *early = fv_drain(fv_guest_rd);
	cr_assert_str_eq(early, "", "half a line was relayed");
	free(early);
	fv_outs(v, VMM_RESULT_PORT, "\"from\":\"vmm\"}\n");
	json_t *rec = fv_one_guest_record();
	cr_assert_str_eq(json_string_value(json_object_get(rec, "type")), "result");
	cr_assert_eq(json_integer_value(json_object_get(rec, "ops")), 5);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "from")), "guest");
	json_decref(rec);
	/* a phase on the guest's clock is dropped, silently */
	fv_outs(v, VMM_RESULT_PORT, "{\"type\":\"phase\",\"name\":\"x\",\"mono_ns\":1}\n\n");
	char *none = fv_drain(fv_guest_rd);
	cr_assert_str_eq(none, "", "a guest phase was relayed");
	free(none);
	cr_assert_eq(fv_counter(v, "result", "phases_dropped"), 1);
	cr_assert_eq(atomic_load(&v->guest_refused), 0);
	/* but the workload's set-up mark is relayed, the guest's clock left out:
	 * a density run holds the guest there */
	fv_outs(v, VMM_RESULT_PORT, "{\"type\":\"phase\",\"name\":\"setup_done\",\"mono_ns\":7}\n");
	rec = fv_one_guest_record();
	cr_assert_str_eq(json_string_value(json_object_get(rec, "name")), "setup_done");
	cr_assert_null(json_object_get(rec, "mono_ns"), "the guest's clock was relayed");
	json_decref(rec);
	fv_outs(v, VMM_RESULT_PORT, "{\"type\":\"done\",\"status\":\"ok\"}\n");
	rec = fv_one_guest_record();
	cr_assert_str_eq(json_string_value(json_object_get(rec, "type")), "done");
	json_decref(rec);
	cr_assert_eq(fv_counter(v, "result", "records_relayed"), 3);
	char *own = fv_drain(fv_own_rd);
	cr_assert_str_eq(own, "", "a guest record reached the VMM's own channel");
	free(own);
	cr_assert_eq(atomic_load(&v->stop), VMM_RUNNING);
	vmm_release(v);
}

Test(devices, forged_and_malformed_records_are_refused_and_counted)
{
	struct vmm *v = fv_fake_vm();

	fv_outs(v, VMM_RESULT_PORT,
	        "{\"type\":\"vmm\",\"stop\":\"guest_off\",\"runner_private_kib\":1}\n");
	fv_outs(v, VMM_RESULT_PORT, "not json at all\n");
	fv_outs(v, VMM_RESULT_PORT, "[\"type\",\"result\"]\n");
	fv_outs(v, VMM_RESULT_PORT, "{\"type\":\"result\",\"type\":\"vmm\"}\n");
	fv_outs(v, VMM_RESULT_PORT, "{\"type\":7}\n");
	fv_outs(v, VMM_RESULT_PORT, "{\"type\":\"result\"} trailing\n");
	/* nesting deep enough to exhaust a recursive parser's stack */
	char *deep = malloc(200002);
	memset(deep, '[', 200000);
	memcpy(deep + 200000, "\n", 2);
	fv_outs(v, VMM_RESULT_PORT, deep);
	free(deep);
	char *relayed = fv_drain(fv_guest_rd);
	cr_assert_str_eq(relayed, "", "relayed: %s", relayed);
	free(relayed);
	cr_assert_eq(atomic_load(&v->guest_refused), 7);
	cr_assert_eq(fv_counter(v, "result", "records_refused"), 7);
	cr_assert_eq(atomic_load(&v->stop), VMM_RUNNING, "a bad record stopped the VM");
	/* the guest goes on, and its next good record is relayed */
	fv_outs(v, VMM_RESULT_PORT, "{\"type\":\"ready\"}\n");
	json_t *rec = fv_one_guest_record();
	cr_assert_str_eq(json_string_value(json_object_get(rec, "type")), "ready");
	json_decref(rec);
	/* the summary names the first refusal; it travels on the VMM's channel */
	vmm_send_own(v, vmm_summary(v, "test"));
	char *own = fv_drain(fv_own_rd);
	json_t *sum = json_loads(own, 0, NULL);
	cr_assert_not_null(sum, "summary not JSON: %s", own);
	cr_assert_str_eq(json_string_value(json_object_get(sum, "type")), "vmm");
	cr_assert_eq(json_integer_value(json_object_get(sum, "guest_records_refused")), 7);
	cr_assert_str_eq(json_string_value(json_object_get(sum, "guest_refused_example")), "vmm");
	cr_assert_str_eq(json_string_value(json_object_get(sum, "stop")), "running");
	json_decref(sum);
	free(own);
	vmm_release(v);
}

Test(devices, a_malformed_first_record_is_named_malformed)
{
	struct vmm *v = fv_fake_vm();

	fv_outs(v, VMM_RESULT_PORT, "{\"type\":\"result\"\n");
	fv_outs(v, VMM_RESULT_PORT, "{\"type\":\"vmm\"}\n");
	cr_assert_eq(atomic_load(&v->guest_refused), 2);
	cr_assert_str_eq(v->refused_example, "malformed");
	vmm_release(v);
}

Test(devices, an_overlong_line_is_refused_without_harm)
{
	struct vmm *v = fv_fake_vm();
	size_t big = VMB_RECORD_MAX + 4096;
	char *line = malloc(big + 1);

	/* a line that never ends within the bound: refused once, when it passes */
	memset(line, 'x', big);
	line[big] = '\0';
	memcpy(line, "{\"type\":\"result\",\"pad\":\"", 24);
	fv_outs(v, VMM_RESULT_PORT, line);
	cr_assert_eq(atomic_load(&v->guest_refused), 1);
	cr_assert_str_eq(v->refused_example, "too long");
	fv_outs(v, VMM_RESULT_PORT, line); /* still the same line */
	fv_outs(v, VMM_RESULT_PORT, "\"}\n");
	cr_assert_eq(atomic_load(&v->guest_refused), 1, "one long line counted twice");
	/* a line just within the bound that the "from" tag would push past it */
	size_t fit = VMB_RECORD_MAX;
	memset(line + 24, 'y', fit - 24 - 2);
	memcpy(line + fit - 2, "\"}", 2);
	line[fit] = '\0';
	fv_outs(v, VMM_RESULT_PORT, line);
	fv_outs(v, VMM_RESULT_PORT, "\n");
	cr_assert_eq(atomic_load(&v->guest_refused), 2, "a tagged record over the bound");
	char *relayed = fv_drain(fv_guest_rd);
	cr_assert_str_eq(relayed, "");
	free(relayed);
	/* and the next record goes through */
	fv_outs(v, VMM_RESULT_PORT, "{\"type\":\"init\",\"agent_exit\":0}\n");
	json_t *rec = fv_one_guest_record();
	cr_assert_str_eq(json_string_value(json_object_get(rec, "type")), "init");
	json_decref(rec);
	cr_assert_eq(atomic_load(&v->stop), VMM_RUNNING);
	free(line);
	vmm_release(v);
}

Test(devices, result_relays_exactly_the_shared_record_types)
{
	struct vmm *v = fv_fake_vm();
	static const char *const types[] = {"phase", "ready", "result", "done", "init",  "error",
	                                    "vmm",   "host",  "Result", "",     "phases"};
	long long relayed = 0, refused = 0;
	char line[96];

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		snprintf(line, sizeof(line), "{\"type\":\"%s\"}\n", types[i]);
		fv_outs(v, VMM_RESULT_PORT, line);
		char *text = fv_drain(fv_guest_rd);
		bool passed = text[0] != '\0';
		bool phase = strcmp(types[i], "phase") == 0;
		cr_assert_eq(passed, vmb_record_type_allowed(types[i]) && !phase, "type '%s' %s",
		             types[i], passed ? "relayed" : "not relayed");
		relayed += passed;
		refused += !passed && !phase;
		free(text);
	}
	cr_assert_eq(relayed, 5, "the five an agent and its init send");
	cr_assert_eq(fv_counter(v, "result", "records_relayed"), relayed);
	cr_assert_eq(fv_counter(v, "result", "records_refused"), refused);
	cr_assert_eq(fv_counter(v, "result", "phases_dropped"), 1);
	cr_assert_eq((long long)atomic_load(&v->guest_refused), refused);
	vmm_release(v);
}

Test(devices, the_vm_relays_at_most_VMB_RECORDS_MAX_records)
{
	struct vmm *v = fv_fake_vm();
	struct vmb_error err = {0};
	int fd = fv_guest_to_file(v);
	const char *rec = "{\"type\":\"result\",\"n\":1}\n";
	size_t len = strlen(rec);
	char *burst = malloc(len * VMB_RECORDS_MAX + 1), example[72];

	cr_assert_eq(vmm_result_add(v, "result2", 0x5f0, &err), 0, "%s", err.msg);
	for (unsigned i = 0; i < VMB_RECORDS_MAX; i++)
		memcpy(burst + i * len, rec, len + 1);
	fv_outs(v, VMM_RESULT_PORT, burst);
	cr_assert_eq(atomic_load(&v->guest_refused), 0, "refused within the cap");
	/* one more, by either result device: the cap is the VM's */
	fv_outs(v, VMM_RESULT_PORT, rec);
	fv_outs(v, 0x5f0, "{\"type\":\"done\"}\n");
	cr_assert_eq(atomic_load(&v->guest_refused), 2);
	cr_assert_eq(fv_counter(v, "result", "records_relayed"), VMB_RECORDS_MAX);
	cr_assert_eq(fv_counter(v, "result", "records_refused"), 1);
	cr_assert_eq(fv_counter(v, "result2", "records_refused"), 1);
	json_t *r2 = fv_counters(v, "result2");
	cr_assert(json_is_false(json_object_get(r2, "done_seen")), "a refused done was seen");
	json_decref(r2);
	cr_assert_eq(fv_summary_int(v, "guest_records_refused", example, sizeof(example)), 2);
	cr_assert_str_eq(example, "over the record cap");
	cr_assert_eq(fv_summary_int(v, "guest_records_relayed", NULL, 0), VMB_RECORDS_MAX);
	/* what reached the channel: exactly the records within the cap */
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	size_t out = strlen("{\"type\":\"result\",\"n\":1,\"from\":\"guest\"}\n");
	cr_assert_eq((size_t)st.st_size, out * VMB_RECORDS_MAX, "%lld bytes relayed",
	             (long long)st.st_size);
	cr_assert_eq(atomic_load(&v->stop), VMM_RUNNING, "the cap stopped the VM");
	free(burst);
	vmm_release(v);
}

Test(devices, the_vm_relays_at_most_VMB_RECORD_BYTES_MAX_bytes)
{
	struct vmm *v = fv_fake_vm();
	int fd = fv_guest_to_file(v);
	size_t pad = 1000000, sent = 0;
	char *line = malloc(pad + 64), example[72];

	int head = snprintf(line, 64, "{\"type\":\"result\",\"pad\":\"");
	memset(line + head, 'p', pad);
	memcpy(line + head + pad, "\"}\n", 4);
	/* the tagged line that goes out, and its newline */
	size_t out = strlen("{\"type\":\"result\",\"pad\":\"\",\"from\":\"guest\"}\n") + pad;
	while (atomic_load(&v->guest_refused) == 0 && sent < 64) {
		fv_outs(v, VMM_RESULT_PORT, line);
		sent++;
	}
	cr_assert_eq(atomic_load(&v->guest_refused), 1, "%zu MB went through", sent);
	cr_assert_eq(fv_summary_int(v, "guest_records_refused", example, sizeof(example)), 1);
	cr_assert_str_eq(example, "over the byte cap");
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq((size_t)st.st_size, (sent - 1) * out, "%lld bytes relayed",
	             (long long)st.st_size);
	cr_assert_leq((size_t)st.st_size, VMB_RECORD_BYTES_MAX);
	cr_assert_gt((size_t)st.st_size + out, VMB_RECORD_BYTES_MAX, "refused below the cap");
	cr_assert_eq(fv_summary_int(v, "guest_bytes_relayed", NULL, 0), st.st_size);
	/* a record that still fits goes through */
	fv_outs(v, VMM_RESULT_PORT, "{\"type\":\"done\"}\n");
	cr_assert_eq(atomic_load(&v->guest_refused), 1, "a record within the cap was refused");
	cr_assert_eq(fv_counter(v, "result", "records_relayed"), (long long)sent);
	free(line);
	vmm_release(v);
}
