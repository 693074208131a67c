/* guest_init.c: vmbench-guest-init, PID 1 of the VM runner's guest (static, libc only).
 * It mounts what the agent needs, loads the modules listed in /modules/order, runs the
 * agent with the arguments the kernel passes after "--" on its command line, relays the
 * agent's records to the VMM's result device, reports how the agent ended, and tells
 * the VMM it is done. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runners/vm/vmm.h"
#include "vmbench/image.h"

/* One exit per call: rep outsb moves up to a page through the port at once. */
static void port_write(const char *buf, size_t len)
{
	while (len) {
		size_t n = len > 4096 ? 4096 : len;
		const char *p = buf;
		size_t cnt = n;
		__asm__ volatile("rep outsb"
		                 : "+S"(p), "+c"(cnt)
		                 : "d"((uint16_t)VMM_RESULT_PORT)
		                 : "memory");
		buf += n;
		len -= n;
	}
}

static void say(const char *text)
{
	port_write(text, strlen(text));
}

static __attribute__((noreturn)) void power_off(void)
{
	outb(1, VMM_RESULT_CTL);
	/* not reached under vmbench-vmm; elsewhere, reset (reboot=t triple-faults) */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static void load_modules(void)
{
	FILE *f = fopen("/modules/order", "r");
	char name[256], path[300];

	while (f && fscanf(f, "%255s", name) == 1) {
		snprintf(path, sizeof(path), "/modules/%s", name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) < 0)
			fprintf(stderr, "vmbench-guest-init: module %s: %s\n", name,
			        strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (f)
		fclose(f);
}

/* A test hook: with vmbench.test_panic on the command line, PID 1 exits and
 * the kernel panics, which is how tests make a guest panic. */
static int cmdline_has(const char *word)
{
	char buf[4096] = "";
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	return strstr(buf, word) != NULL;
}

int main(int argc, char **argv)
{
	int pipefd[2], status = 0;
	char buf[4096], rec[128];

	mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL);
	mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	if (ioperm(VMM_RESULT_PORT, 2, 1) < 0 || inb(VMM_RESULT_PORT) != VMM_RESULT_MAGIC) {
		fprintf(stderr, "vmbench-guest-init: no vmbench result device at 0x%x\n",
		        VMM_RESULT_PORT);
		power_off();
	}
	if (cmdline_has("vmbench.test_panic"))
		return 1;
	load_modules();
	if (pipe(pipefd) < 0) {
		say("{\"type\":\"error\",\"step\":\"guest init\",\"error\":\"pipe\"}\n");
		power_off();
	}
	/* argv: what the kernel passed after "--": the agent's own arguments */
	char *agent_argv[64] = {VMB_IMAGE_AGENT};
	int n = 1;
	for (int i = 1; i < argc && n < 58; i++)
		agent_argv[n++] = argv[i];
	agent_argv[n++] = "--fd";
	agent_argv[n++] = "3";
	agent_argv[n++] = "--dir";
	agent_argv[n++] = "/tmp";
	agent_argv[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		if (dup2(pipefd[1], 3) < 0)
			_exit(127);
		execv(agent_argv[0], agent_argv);
		fprintf(stderr, "vmbench-guest-init: exec %s: %s\n", agent_argv[0],
		        strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t got = read(pipefd[0], buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		port_write(buf, (size_t)got);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		snprintf(rec, sizeof(rec), "{\"type\":\"init\",\"agent_signal\":%d}\n",
		         WTERMSIG(status));
	else
		snprintf(rec, sizeof(rec), "{\"type\":\"init\",\"agent_exit\":%d}\n",
		         WEXITSTATUS(status));
	say(rec);
	sync();
	power_off();
}
