/* guest_init.c: vmbench-guest-init, PID 1 of the VM runner's guest (static, libc only).
 * It mounts what the agent needs, loads the modules listed in /modules/order when the VMM
 * gave a disk (vmbench.disk=DEVICE, mounted at /data for the agent's I/O), runs the
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
#include <sys/stat.h>
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

/* The kernel's command line, in buf ("" if unreadable). */
static void cmdline_read(char *buf, size_t len)
{
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* A test hook: with vmbench.test_panic on the command line, PID 1 exits and
 * the kernel panics, which is how tests make a guest panic. */
static int cmdline_has(const char *word)
{
	char buf[4096];

	cmdline_read(buf, sizeof(buf));
	return strstr(buf, word) != NULL;
}

/* The value of key (as "key=value") on the kernel command line, in out; 0,
 * or -1 if it is not there. */
static int cmdline_value(const char *key, char *out, size_t len)
{
	char buf[4096];

	cmdline_read(buf, sizeof(buf));
	for (char *w = strtok(buf, " \n"); w; w = strtok(NULL, " \n"))
		if (strncmp(w, key, strlen(key)) == 0 && w[strlen(key)] == '=') {
			snprintf(out, len, "%s", w + strlen(key) + 1);
			return 0;
		}
	return -1;
}

/* The disk the VMM gave for the agent's I/O (vmbench.disk=DEVICE), mounted
 * at /data: its driver probes while its module loads; the node may take a
 * moment. 0 when mounted (or when there is none), else -1 with why. */
static int mount_disk(const char **dir, char *why, size_t len)
{
	char dev[64];

	if (cmdline_value("vmbench.disk", dev, sizeof(dev)) < 0)
		return 0;
	for (int i = 0; i < 1000 && access(dev, F_OK) < 0; i++)
		usleep(10000);
	if (access(dev, F_OK) < 0) {
		snprintf(why, len,
		         "no %s after 10 s: the kernel's virtio_pci and virtio_blk did not load "
		         "(not found beside the kernel?), see the console log",
		         dev);
		return -1;
	}
	mkdir("/data", 0755);
	if (mount(dev, "/data", "ext4", 0, NULL) < 0) {
		snprintf(why, len, "mount %s on /data: %s", dev, strerror(errno));
		return -1;
	}
	chmod("/data", 01777);
	*dir = "/data";
	return 0;
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
	/* the modules are the disk's: a guest without one boots without them */
	char disk_dev[64];
	if (cmdline_value("vmbench.disk", disk_dev, sizeof(disk_dev)) == 0)
		load_modules();
	const char *dir = "/tmp";
	char why[200];
	if (mount_disk(&dir, why, sizeof(why)) < 0) {
		snprintf(buf, sizeof(buf),
		         "{\"type\":\"error\",\"step\":\"guest init\",\"error\":\"%s\"}\n", why);
		say(buf);
		power_off();
	}
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
	agent_argv[n++] = (char *)dir;
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
	if (strcmp(dir, "/data") == 0)
		umount2("/data", 0); /* clean, so the next guest mounts it without replay */
	power_off();
}
