/* vmm_core.c: what every part of vmbench-vmm calls: the two channels to vmbench, phases,
 * refusals, stopping the guest, interrupt lines, the devices of the PC and the summary.
 * Apart from vmm.c's main, so the tests drive devices without /dev/kvm. */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runners/vm/vmm.h"
#include "vmbench/proc.h"
#include "vmbench/record.h"
#include "vmbench/util.h"

void vmm_init(struct vmm *v)
{
	memset(v, 0, sizeof(*v));
	v->kvm = v->fd = -1;
	v->guest_fd = v->own_fd = v->console_fd = v->term_fd = -1;
	v->ncpus = 1;
	v->console_log_max = VMM_CONSOLE_LOG_MAX;
	pthread_mutex_init(&v->chan_lock, NULL);
	pthread_rwlock_init(&v->bus.lock, NULL);
	vmm_irq_init(v);
}

void vmm_release(struct vmm *v)
{
	vmm_bus_release(v);
	json_decref(v->cpuid_offered);
	v->cpuid_offered = NULL;
	pthread_mutex_destroy(&v->chan_lock);
	pthread_rwlock_destroy(&v->bus.lock);
	pthread_mutex_destroy(&v->irqs.lock);
}

int vmm_devices_add(struct vmm *v, struct vmb_error *err)
{
	if (vmm_uart_add(v, "uart", VMM_UART_PORT, VMM_UART_IRQ, err) < 0 ||
	    vmm_result_add(v, "result", VMM_RESULT_PORT, err) < 0 || vmm_legacy_add(v, err) < 0)
		return -1;
	return 0;
}

/* One line on *fd, with chan_lock held, so that lines never interleave. A
 * write that fails (the reader gone, the disk full) makes the channel -1:
 * nothing more is told, and the VMM goes on. */
static void core_write_line(int *fd, const char *json, size_t len)
{
	if (*fd >= 0 && (vmb_write_all(*fd, json, len) < 0 || vmb_write_all(*fd, "\n", 1) < 0))
		*fd = -1;
}

void vmm_send_own(struct vmm *v, json_t *rec)
{
	char *s = rec ? json_dumps(rec, JSON_COMPACT) : NULL;

	if (s) {
		pthread_mutex_lock(&v->chan_lock);
		core_write_line(&v->own_fd, s, strlen(s));
		pthread_mutex_unlock(&v->chan_lock);
	}
	free(s);
	json_decref(rec);
}

const char *vmm_send_guest(struct vmm *v, const char *json)
{
	size_t len = strlen(json) + 1; /* with its newline */
	const char *why = NULL;

	/* the caps hold for the VM, whichever result device the line came by */
	pthread_mutex_lock(&v->chan_lock);
	if (v->guest_records >= VMB_RECORDS_MAX) {
		why = "over the record cap";
	} else if (len > VMB_RECORD_BYTES_MAX - v->guest_bytes) {
		why = "over the byte cap";
	} else {
		v->guest_records++;
		v->guest_bytes += len;
		core_write_line(&v->guest_fd, json, len - 1);
	}
	pthread_mutex_unlock(&v->chan_lock);
	return why;
}

void vmm_phase(struct vmm *v, const char *name)
{
	vmm_send_own(v, json_pack("{s:s, s:s, s:I}", "type", "phase", "name", name, "mono_ns",
	                          (json_int_t)vmb_now_ns()));
}

void vmm_error_record(struct vmm *v, const char *step, const char *msg)
{
	vmm_send_own(v, json_pack("{s:s, s:s, s:s}", "type", "error", "step", step, "error", msg));
}

void vmm_guest_refused(struct vmm *v, const char *what)
{
	atomic_fetch_add(&v->guest_refused, 1);
	pthread_mutex_lock(&v->chan_lock);
	if (!v->refused_example[0]) {
		/* the guest's words: printable ASCII only, so the summary stays JSON */
		size_t i = 0;
		for (; what[i] && i < sizeof(v->refused_example) - 1; i++)
			v->refused_example[i] = what[i] >= 0x20 && what[i] < 0x7f ? what[i] : '?';
		v->refused_example[i] = '\0';
	}
	pthread_mutex_unlock(&v->chan_lock);
}

void vmm_stop(struct vmm *v, enum vmm_stop why, const char *fmt, ...)
{
	int expected = VMM_RUNNING;
	va_list ap;

	if (!atomic_compare_exchange_strong(&v->stop, &expected, why))
		return;
	va_start(ap, fmt);
	vsnprintf(v->stop_msg, sizeof(v->stop_msg), fmt, ap);
	va_end(ap);
	/* Kick every vCPU out of KVM_RUN: immediate_exit covers one that is about
	 * to enter, the signal one that is inside (halted, say). */
	for (int i = 0; i < v->ncpus; i++) {
		if (v->cpu[i].run)
			v->cpu[i].run->immediate_exit = 1;
		if (v->cpu[i].thread && !pthread_equal(v->cpu[i].thread, pthread_self()))
			pthread_kill(v->cpu[i].thread, SIGUSR1);
	}
}

void vmm_irq_pulse(struct vmm *v, int irq)
{
	struct kvm_irq_level l = {.irq = (uint32_t)irq, .level = 1};

	if (v->fd < 0)
		return;
	ioctl(v->fd, KVM_IRQ_LINE, &l);
	l.level = 0;
	ioctl(v->fd, KVM_IRQ_LINE, &l);
}

/* Guest pages resident now (they belong to the guest, not to the VMM): the
 * pages of the guest RAM mapping present in this process's page tables or
 * swapped out, from /proc/self/pagemap. Not mincore: the kernel and the
 * initramfs are mapped from their files, and mincore would count every page
 * of them in the host's page cache, touched by the guest or not. */
static long core_guest_resident_kib(const struct vmm *v)
{
	uint64_t ent[4096];
	uint64_t first = (uintptr_t)v->mem / 4096, pages = v->mem_size / 4096;
	long resident = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (uint64_t at = 0; at < pages;) {
		size_t want = pages - at < 4096 ? (size_t)(pages - at) : 4096;
		ssize_t got = pread(fd, ent, want * 8, (off_t)((first + at) * 8));
		if (got <= 0) {
			close(fd);
			return -1;
		}
		for (size_t i = 0; i < (size_t)got / 8; i++)
			resident += (ent[i] >> 62) != 0; /* bit 63 present, 62 swapped */
		at += (size_t)got / 8;
	}
	close(fd);
	return resident * 4;
}

static json_t *core_exit_counts(struct vmm *v)
{
	static const char *const names[64] = {[KVM_EXIT_IO] = "io",
	                                      [KVM_EXIT_MMIO] = "mmio",
	                                      [KVM_EXIT_HLT] = "hlt",
	                                      [KVM_EXIT_SHUTDOWN] = "shutdown",
	                                      [KVM_EXIT_INTR] = "intr",
	                                      [KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	                                      [KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	                                      [KVM_EXIT_SYSTEM_EVENT] = "system_event"};
	json_t *exits = json_object();
	char key[32];

	for (int i = 0; i < 64; i++) {
		unsigned long long n = atomic_load(&v->exits[i]);
		if (!n)
			continue;
		if (names[i])
			snprintf(key, sizeof(key), "%s", names[i]);
		else
			snprintf(key, sizeof(key), i == 63 ? "reason_63_or_above" : "reason_%d", i);
		json_object_set_new(exits, key, json_integer((json_int_t)n));
	}
	return exits;
}

json_t *vmm_summary(struct vmm *v, const char *kernel_version)
{
	static const char *const stops[] = {[VMM_RUNNING] = "running",
	                                    [VMM_STOP_OFF] = "guest_off",
	                                    [VMM_STOP_SHUTDOWN] = "guest_reset",
	                                    [VMM_STOP_ERROR] = "error"};
	int stop = atomic_load(&v->stop);
	uint64_t lo = (uintptr_t)v->mem_raw, hi = lo + v->mem_raw_size;
	json_t *cpuid = v->cpuid_offered ? v->cpuid_offered : json_object();
	char example[sizeof(v->refused_example)];
	uint64_t relayed, relayed_bytes;

	v->cpuid_offered = NULL; /* the summary owns it now */
	pthread_mutex_lock(&v->chan_lock);
	memcpy(example, v->refused_example, sizeof(example));
	relayed = v->guest_records;
	relayed_bytes = v->guest_bytes;
	pthread_mutex_unlock(&v->chan_lock);
	/* the runner's own memory leaves out the whole guest RAM mapping */
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:I, s:i, s:b, s:b, s:b, s:I, s:I, "
	                 "s:I, s:I, s:I, s:s?}",
	                 "type", "vmm", "stop", stops[stop], "stop_reason", v->stop_msg, "exits",
	                 core_exit_counts(v), "devices", vmm_bus_report(v), "kernel",
	                 kernel_version ? kernel_version : "", "cpuid_offered", cpuid,
	                 "guest_memory_mib", (json_int_t)(v->mem_size >> 20), "vcpus", v->ncpus,
	                 "emulated_host", v->emulated, "huge_pages", v->huge_pages, "mergeable",
	                 v->mergeable, "runner_private_kib",
	                 (json_int_t)vmb_proc_private_kib(0, lo, hi), "guest_resident_kib",
	                 (json_int_t)core_guest_resident_kib(v), "guest_records_relayed",
	                 (json_int_t)relayed, "guest_bytes_relayed", (json_int_t)relayed_bytes,
	                 "guest_records_refused", (json_int_t)atomic_load(&v->guest_refused),
	                 "guest_refused_example", example[0] ? example : NULL);
}
