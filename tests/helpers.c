/* helpers.c: process and file helpers for the end-to-end tests. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "vmbench/elf.h"
#include "vmbench/util.h"

extern char **environ;

static int decode(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int th_run(char *const argv[], char **out)
{
	int pipefd[2];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	cr_assert_eq(pipe(pipefd), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0, "spawn %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	for (;;) {
		if (len + 1024 > cap)
			buf = realloc(buf, cap *= 2);
		ssize_t n = read(pipefd[0], buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(pipefd[0]);
	if (out)
		*out = buf;
	else
		free(buf);
	return th_wait(pid);
}

pid_t th_spawn(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

int th_wait(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return decode(status);
}

char *th_tmpdir(void)
{
	char *d = strdup("/tmp/vmbench-e2e-XXXXXX");

	cr_assert_not_null(mkdtemp(d));
	return d;
}

json_t *th_load_results(const char *dir)
{
	char path[4096];
	json_error_t jerr;

	snprintf(path, sizeof(path), "%s/results.json", dir);
	json_t *root = json_load_file(path, 0, &jerr);
	cr_assert_not_null(root, "%s: %s", path, jerr.text);
	return root;
}

const char *th_vmbench(void)
{
	const char *p = getenv("VMBENCH");

	cr_assert_not_null(p, "VMBENCH is not set (run through meson test)");
	return p;
}

int th_count_procs(const char *needle)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d))) {
		char path[300], cmd[4096];
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t len = fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		for (size_t i = 0; i < len; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		cmd[len] = '\0';
		if (strstr(cmd, needle))
			n++;
	}
	closedir(d);
	return n;
}

static char *walk_acc;
static size_t walk_len;

static int note_cgroup(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_D && strstr(path + ftw->base, "vmbench")) {
		size_t l = strlen(path);
		walk_acc = realloc(walk_acc, walk_len + l + 2);
		memcpy(walk_acc + walk_len, path, l);
		walk_len += l;
		walk_acc[walk_len++] = '\n';
		walk_acc[walk_len] = '\0';
	}
	return 0;
}

char *th_leftovers(void)
{
	char line[4096], *res;
	size_t cap = 1, len = 0;
	FILE *f = fopen("/proc/self/mounts", "r");

	res = calloc(1, 1);
	while (f && fgets(line, sizeof(line), f)) {
		if (!strstr(line, "vmbench"))
			continue;
		res = realloc(res, cap += strlen(line));
		memcpy(res + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	if (f)
		fclose(f);
	walk_acc = calloc(1, 1);
	walk_len = 0;
	nftw("/sys/fs/cgroup", note_cgroup, 32, FTW_PHYS);
	res = realloc(res, len + walk_len + 64);
	memcpy(res + len, walk_acc, walk_len + 1);
	len += walk_len;
	free(walk_acc);
	int scratch = 0;
	for (const char *const *dir = (const char *[]){"/tmp", "/var/tmp", NULL}; *dir; dir++) {
		DIR *d = opendir(*dir);
		struct dirent *e;
		while (d && (e = readdir(d)))
			scratch += strncmp(e->d_name, "vmbench-run-", 12) == 0 ||
			           strncmp(e->d_name, "vmbench-volume-", 15) == 0;
		if (d)
			closedir(d);
	}
	/* the agents, the runtimes around them (the container's init, the VMM)
	 * and vmbench's own monitors of a density run (copies of `vmbench run`) */
	snprintf(res + len, 64, "agents=%d inits=%d vmms=%d runs=%d scratch=%d\n",
	         th_count_procs("vmbench-agent"), th_count_procs("vmbench-init"),
	         th_count_procs("vmbench-vmm"), th_count_procs("vmbench run"), scratch);
	return res;
}

double th_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_number(v), "no number '%s'", key);
	return json_number_value(v);
}

json_t *th_case(json_t *root, const char *workload, const char *runner)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "workload")), workload) == 0 &&
		    strcmp(json_string_value(json_object_get(c, "runner")), runner) == 0)
			return c;
	}
	cr_assert_fail("no case %s on %s", workload, runner);
	return NULL;
}

int th_run_vmbench(char **args, json_t **root, char **dir, char **log)
{
	char *argv[64] = {(char *)th_vmbench(), "run"};
	int n = 2;
	static char out[300];
	char path[400];
	struct stat st;

	*dir = th_tmpdir();
	snprintf(out, sizeof(out), "%s/run", *dir);
	for (; *args && n < 60; args++)
		argv[n++] = *args;
	argv[n++] = "--out";
	argv[n++] = out;
	argv[n] = NULL;
	int rc = th_run(argv, log);
	snprintf(path, sizeof(path), "%s/results.json", out);
	*root = stat(path, &st) == 0 ? th_load_results(out) : NULL;
	return rc;
}

/* A fresh directory for a library, under /var/tmp: the container and the
 * guest mount their own /tmp over the image's. (malloc'd) */
char *th_lib_dir(void)
{
	char *d = strdup("/var/tmp/vmbench-libs-XXXXXX");

	if (mkdir("/var/tmp", 01777) == 0) /* a minimal root, the guest harness's, lacks it */
		chmod("/var/tmp", 01777);
	cr_assert_not_null(mkdtemp(d), "mkdtemp %s", d);
	return d;
}

/* Copies host file from into dir, under the same name; returns the new path
 * (malloc'd). */
char *th_copy_into(const char *from, const char *dir)
{
	char *to = NULL, buf[65536];
	ssize_t n;

	cr_assert_geq(asprintf(&to, "%s/%s", dir, strrchr(from, '/') + 1), 0);
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0755);
	cr_assert(in >= 0 && out >= 0, "copy %s to %s", from, to);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(vmb_write_all(out, buf, (size_t)n), 0);
	close(in);
	cr_assert_eq(close(out), 0);
	return to;
}

char *th_agent_lib(const char *name)
{
	const char *agent = getenv("VMBENCH_AGENT");
	struct vmb_error err = {0};
	char *found = NULL;

	cr_assert_not_null(agent, "VMBENCH_AGENT is not set (run through meson test)");
	char **libs = vmb_elf_closure(agent, &err);
	cr_assert_not_null(libs, "%s", err.msg);
	for (char **l = libs; *l && !found; l++)
		if (strstr(*l, name))
			found = strdup(*l);
	vmb_strv_free(libs);
	cr_assert_not_null(found, "the agent links no %s", name);
	return found;
}
