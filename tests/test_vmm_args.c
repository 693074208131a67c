/* test_vmm_args.c: the built vmbench-vmm run as vmbench runs it: its own argument checks,
 * refused with an error record on its own channel, and the KVM device it opens. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_vm.h"

extern char **environ;

TestSuite(devices, .timeout = 60);

/* Runs vmbench-vmm with ARGS (and STOP_AFTER in its environment if not
 * NULL), its fd 3 on a pipe and fd 6 on an unlinked file, as vmbench hands
 * them; with GO, fd 4 says start. Returns its exit status and the text of
 * fd 3 and fd 6. */
static int run_vmm_go(char **args, const char *stop_after, bool go, char **own, char **guest)
{
	const char *vmm = getenv("VMBENCH_VMM");
	char *argv[16] = {(char *)vmm};
	char path[] = "/tmp/vmbench-own-XXXXXX";
	int g[2], s[2], o, n = 1, status;
	posix_spawn_file_actions_t fa;
	pid_t pid;

	cr_assert_not_null(vmm, "VMBENCH_VMM is not set (meson test sets it)");
	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	if (stop_after)
		setenv("VMBENCH_VMM_STOP_AFTER", stop_after, 1);
	else
		unsetenv("VMBENCH_VMM_STOP_AFTER");
	cr_assert_eq(pipe(g), 0);
	cr_assert_eq(pipe(s), 0);
	o = mkstemp(path);
	cr_assert_geq(o, 0);
	unlink(path);
	if (go)
		cr_assert_eq(write(s[1], "g", 1), 1);
	close(s[1]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, g[1], VMM_FD_GUEST);
	posix_spawn_file_actions_adddup2(&fa, s[0], VMM_FD_GO);
	posix_spawn_file_actions_adddup2(&fa, o, VMM_FD_OWN);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	cr_assert_eq(posix_spawn(&pid, vmm, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(g[1]);
	close(s[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	unsetenv("VMBENCH_VMM_STOP_AFTER");
	fcntl(g[0], F_SETFL, O_NONBLOCK);
	lseek(o, 0, SEEK_SET);
	*own = fv_drain(o);
	*guest = fv_drain(g[0]);
	close(o);
	close(g[0]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_vmm(char **args, const char *stop_after, char **own, char **guest)
{
	return run_vmm_go(args, stop_after, false, own, guest);
}

/* The error record on the VMM's own channel, checked for its step. */
static json_t *vmm_error_at(const char *own, const char *step)
{
	const char *line = strstr(own, "{\"type\":\"error\"");

	cr_assert_not_null(line, "no error record: %s", own);
	json_t *rec = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
	cr_assert_not_null(rec, "error record not JSON: %s", line);
	cr_assert_str_eq(json_string_value(json_object_get(rec, "step")), step);
	return rec;
}

static void expect_bad_arguments(char **args, const char *stop_after, const char *needle)
{
	char *own, *guest;
	int rc = run_vmm(args, stop_after, &own, &guest);

	cr_assert_eq(rc, 2, "exit %d for %s", rc, needle);
	cr_assert_str_eq(guest, "", "the VMM wrote on the guest channel: %s", guest);
	json_t *rec = vmm_error_at(own, "arguments");
	const char *msg = json_string_value(json_object_get(rec, "error"));
	cr_assert(msg && strstr(msg, needle), "'%s' lacks '%s'", msg, needle);
	json_decref(rec);
	free(own);
	free(guest);
}

Test(devices, the_vmm_refuses_bad_arguments_on_its_own_channel)
{
	expect_bad_arguments((char *[]){"--kernel", "k", "--memory-mib", "12abc", NULL}, NULL,
	                     "--memory-mib");
	expect_bad_arguments((char *[]){"--kernel", "k", "--memory-mib", "32", NULL}, NULL,
	                     "outside 64..3072");
	expect_bad_arguments((char *[]){"--kernel", "k", "--cpus", "0", NULL}, NULL, "--cpus");
	expect_bad_arguments((char *[]){"--kernel", "k", "--cpus", "65", NULL}, NULL, "--cpus");
	expect_bad_arguments((char *[]){"--kernel", "k", "--cpus", "-1", NULL}, NULL, "--cpus");
	expect_bad_arguments((char *[]){"--cpus", "1", NULL}, NULL, "--kernel");
	expect_bad_arguments((char *[]){"--kernel", "k", "--bogus", NULL}, NULL, "--bogus");
	expect_bad_arguments((char *[]){"--kernel", "k", "stray", NULL}, NULL, "stray");
	/* gone: the VMM finds out for itself whether the host is an emulator */
	expect_bad_arguments((char *[]){"--kernel", "k", "--emulated", NULL}, NULL, "--emulated");
	expect_bad_arguments((char *[]){"--kernel", "k", NULL}, "soon", "VMBENCH_VMM_STOP_AFTER");
}

/* The VMM opens the device doctor probes: $VMBENCH_KVM_DEVICE where set. */
static void expect_kvm_device_refused(const char *dev, const char *needle)
{
	char *own, *guest;

	setenv("VMBENCH_KVM_DEVICE", dev, 1);
	int rc = run_vmm_go((char *[]){"--kernel", "k", NULL}, NULL, true, &own, &guest);
	unsetenv("VMBENCH_KVM_DEVICE");
	cr_assert_eq(rc, 2, "exit %d with %s: %s", rc, dev, own);
	json_t *rec = vmm_error_at(own, "create the VM");
	const char *msg = json_string_value(json_object_get(rec, "error"));
	cr_assert(msg && strstr(msg, needle), "'%s' lacks '%s'", msg, needle);
	cr_assert_null(strstr(msg, "/dev/kvm"), "opened /dev/kvm instead of %s: %s", dev, msg);
	json_decref(rec);
	free(own);
	free(guest);
}

Test(devices, the_vmm_opens_the_kvm_device_doctor_probes)
{
	expect_kvm_device_refused("/nonexistent/vmbench-kvm", "open /nonexistent/vmbench-kvm");
	expect_kvm_device_refused("/dev/null", "/dev/null: KVM API version");
}
