/* image.c: the agent's root file system (agent and vmbench-true beside it, library closure,
 * the loader's configuration and cache, /etc files, mount points), cached by a key over its
 * inputs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmbench/cache.h"
#include "vmbench/elf.h"
#include "vmbench/image.h"
#include "vmbench/probe.h"
#include "vmbench/spawn.h"
#include "vmbench/util.h"

/* Bumped whenever what build() puts in an image changes, so that no image
 * of an older layout is taken from the cache. 2: etc/ld.so.conf and cache.
 * 3: vmbench-true beside the agent. */
#define IMAGE_LAYOUT "vmbench-image-3"

const char *const vmb_image_dirs[] = {"proc", "dev", "tmp", "data", "sys", "etc", NULL};

static int copy_file(const char *from, const char *to, mode_t mode, struct vmb_error *err)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (in < 0)
		return vmb_error_sys(err, errno, "open %s", from);
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		close(in);
		return vmb_error_sys(err, errno, "create %s", to);
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (vmb_write_all(out, buf, (size_t)n) < 0) {
			n = -1;
			break;
		}
	int saved = errno;
	close(in);
	if (close(out) < 0 || n < 0)
		return vmb_error_sys(err, n < 0 ? saved : errno, "copy %s to %s", from, to);
	return 0;
}

static int write_text(const char *root, const char *rel, const char *text, struct vmb_error *err)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || vmb_write_all(fd, text, strlen(text)) < 0) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		return vmb_error_sys(err, saved, "write %s", path);
	}
	close(fd);
	return 0;
}

/* Copies host file `abs` to root/abs, making directories as needed. */
static int place(const char *root, const char *abs, const char *dest, mode_t mode,
                 struct vmb_error *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", root, dest);
	if (vmb_mkdir_parents(path, err) < 0)
		return -1;
	return copy_file(abs, path, mode, err);
}

/* Fails naming the first library of the closure that lies where the container
 * and the guest mount file systems of their own over the image (proc, sys,
 * dev and tmp, data for the volume): there the loader could never see it. */
static int check_visible(char **libs, struct vmb_error *err)
{
	static const char *const covered[] = {"/proc/", "/sys/", "/dev/", "/tmp/", "/data/"};

	for (char **l = libs; *l; l++)
		for (size_t i = 0; i < VMB_ARRAY_SIZE(covered); i++)
			if (strncmp(*l, covered[i], strlen(covered[i])) == 0)
				return vmb_error_set(
				        err, VMB_ERR_FAIL,
				        "the agent's library %s lies under %.*s, which the "
				        "container and the guest mount over: install it "
				        "elsewhere",
				        *l, (int)strlen(covered[i]) - 1, covered[i]);
	return 0;
}

/* The directories of the closure's libraries, one a line, in closure order:
 * the image's etc/ld.so.conf. The interpreter's own directory is named too
 * (harmless: it holds nothing else). malloc'd, or NULL for no memory. */
static char *loader_conf(char **libs)
{
	size_t cap = 1, len = 0;
	char *text = calloc(1, cap);

	for (char **l = libs; text && *l; l++) {
		const char *slash = strrchr(*l, '/');
		size_t dlen = slash && slash != *l ? (size_t)(slash - *l) : 1;
		bool seen = false;
		/* a directory already listed appears as a whole line */
		for (const char *p = text; *p && !seen; p += strcspn(p, "\n") + 1)
			seen = strcspn(p, "\n") == dlen && strncmp(p, *l, dlen) == 0;
		if (seen)
			continue;
		char *nt = realloc(text, cap + dlen + 1);
		if (!nt) {
			free(text);
			return NULL;
		}
		text = nt;
		cap += dlen + 1;
		memcpy(text + len, *l, dlen);
		len += dlen;
		text[len++] = '\n';
		text[len] = '\0';
	}
	return text;
}

/* Builds dir/etc/ld.so.cache from dir/etc/ld.so.conf, as if dir were /: the
 * loader inside the container or the guest starts with a clean environment,
 * so its cache is what finds a library outside its own directories. -r
 * takes every path inside dir (no root needed: where chroot is refused,
 * ldconfig prefixes the paths itself); -X leaves the library links as the
 * closure made them. */
static int run_ldconfig(const char *dir, struct vmb_error *err)
{
	char ldconfig[PATH_MAX], msg[512] = "";
	int log = memfd_create("vmbench-ldconfig", MFD_CLOEXEC), status = 0;
	pid_t pid;

	if (log < 0)
		return vmb_error_sys(err, errno, "memfd_create");
	if (vmb_ldconfig_path(ldconfig, sizeof(ldconfig)) < 0) {
		vmb_error_set(err, VMB_ERR_FAIL, "no ldconfig: %s", VMB_LDCONFIG_HINT);
		close(log);
		return -1;
	}
	struct vmb_spawn sp = {
	        .argv = (char *[]){ldconfig, "-X", "-r", (char *)dir, NULL},
	        .envp = (char *[]){"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL},
	        .log_fd = log,
	};
	if (vmb_spawn(&sp, &pid, err) < 0) {
		close(log);
		return vmb_error_prefix(err, "%s", ldconfig);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ssize_t n = pread(log, msg, sizeof(msg) - 1, 0);
	close(log);
	msg[n > 0 ? n : 0] = '\0';
	msg[strcspn(msg, "\n")] = '\0'; /* its first complaint says enough */
	if (WIFSIGNALED(status))
		return vmb_error_set(err, VMB_ERR_FAIL, "%s -r %s: killed by signal %d", ldconfig,
		                     dir, WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "%s -r %s: exit status %d: %s", ldconfig,
		                     dir, WEXITSTATUS(status), msg[0] ? msg : "no message");
	char cache[PATH_MAX];
	snprintf(cache, sizeof(cache), "%s/etc/ld.so.cache", dir);
	if (access(cache, R_OK) < 0)
		return vmb_error_sys(err, errno, "%s -r %s wrote no %s", ldconfig, dir, cache);
	return 0;
}

/* Where vmbench-true lies on the host: beside the agent's real file (as the
 * agent itself looks for it beside /proc/self/exe). 0, or -1 when there is
 * no executable one there: the image is then made without it, and the exec
 * workload says what it misses. */
static int true_path(const char *agent, char *out, size_t len)
{
	char real[PATH_MAX];

	if (!realpath(agent, real))
		return -1;
	char *slash = strrchr(real, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	snprintf(out, len, "%s/%s", real, VMB_TRUE_NAME);
	return access(out, X_OK) == 0 ? 0 : -1;
}

static int build(const char *dir, const char *agent, const char *truth, char **libs,
                 const char *conf, struct vmb_error *err)
{
	char path[PATH_MAX];

	if (mkdir(dir, 0755) < 0)
		return vmb_error_sys(err, errno, "mkdir %s", dir);
	for (const char *const *d = vmb_image_dirs; *d; d++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *d);
		if (mkdir(path, 0755) < 0)
			return vmb_error_sys(err, errno, "mkdir %s", path);
	}
	chmod(dir, 0755);
	if (place(dir, agent, VMB_IMAGE_AGENT, 0755, err) < 0)
		return -1;
	if (truth && place(dir, truth, VMB_IMAGE_TRUE, 0755, err) < 0)
		return -1;
	for (char **l = libs; *l; l++)
		if (place(dir, *l, *l, 0755, err) < 0)
			return -1;
	if (write_text(dir, "etc/passwd", "root:x:0:0:root:/:/nonexistent\n", err) < 0 ||
	    write_text(dir, "etc/group", "root:x:0:\n", err) < 0 ||
	    write_text(dir, "etc/hosts", "127.0.0.1 localhost\n", err) < 0 ||
	    write_text(dir, "etc/ld.so.conf", conf, err) < 0)
		return -1;
	return run_ldconfig(dir, err);
}

static int image_build_or_find(const char *agent, char *out, size_t len, struct vmb_error *err);

int vmb_image_check(const char *dir, struct vmb_error *err)
{
	char path[PATH_MAX];
	struct stat st;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return vmb_error_set(err, VMB_ERR_USAGE, "image %s: no such directory", dir);
	snprintf(path, sizeof(path), "%s%s", dir, VMB_IMAGE_AGENT);
	if (access(path, X_OK) < 0)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "image %s: no executable agent at %s inside it", dir,
		                     VMB_IMAGE_AGENT);
	return 0;
}

int vmb_image_ensure(const char *agent, char *out, size_t len, struct vmb_error *err)
{
	/* One run uses one agent: the first answer stands for the whole run, as
	 * long as the image is still there. */
	static char memo_agent[PATH_MAX], memo_out[PATH_MAX];

	if (memo_out[0] && strcmp(memo_agent, agent) == 0 && vmb_image_check(memo_out, NULL) == 0) {
		snprintf(out, len, "%s", memo_out);
		return 0;
	}
	if (image_build_or_find(agent, out, len, err) < 0)
		return -1;
	snprintf(memo_agent, sizeof(memo_agent), "%s", agent);
	snprintf(memo_out, sizeof(memo_out), "%s", out);
	return 0;
}

static int image_build_or_find(const char *agent, char *out, size_t len, struct vmb_error *err)
{
	char root[PATH_MAX - 128], tmp[PATH_MAX], truth[PATH_MAX];
	uint64_t key = vmb_fnv(VMB_FNV_BASIS, IMAGE_LAYOUT, sizeof(IMAGE_LAYOUT));
	char **libs = vmb_elf_closure(agent, err);

	if (!libs)
		return -1;
	if (check_visible(libs, err) < 0) {
		vmb_strv_free(libs);
		return vmb_error_prefix(err, "building the agent image");
	}
	vmb_autofree char *conf = loader_conf(libs);
	if (!conf) {
		vmb_strv_free(libs);
		return vmb_error_sys(err, ENOMEM, "building the agent image");
	}
	/* the paths are in the key already; the directory list is the one
	 * derived input, and keying it too says so */
	key = vmb_fnv(key, conf, strlen(conf));
	int rc = vmb_hash_file(&key, agent, err);
	/* vmbench-true's bytes, or that there is none */
	bool has_true = true_path(agent, truth, sizeof(truth)) == 0;
	key = vmb_fnv(key, &has_true, sizeof(has_true));
	if (rc == 0 && has_true)
		rc = vmb_hash_file(&key, truth, err);
	for (char **l = libs; rc == 0 && *l; l++)
		rc = vmb_hash_identity(&key, *l, err);
	vmb_cache_root(root, sizeof(root));
	snprintf(out, len, "%s/images/%016llx", root, (unsigned long long)key);
	if (rc == 0 && vmb_image_check(out, NULL) < 0) {
		snprintf(tmp, sizeof(tmp), "%s/images/.build-%d", root, (int)getpid());
		vmb_rm_tree(tmp, NULL);
		rc = vmb_mkdir_parents(tmp, err);
		if (rc == 0)
			rc = build(tmp, agent, has_true ? truth : NULL, libs, conf, err);
		if (rc == 0 && rename(tmp, out) < 0 && errno != ENOTEMPTY && errno != EEXIST)
			rc = vmb_error_sys(err, errno, "rename %s to %s", tmp, out);
		vmb_rm_tree(tmp, NULL); /* left only when another process won the race */
		if (rc < 0)
			vmb_error_prefix(err, "building the agent image");
	}
	vmb_strv_free(libs);
	return rc;
}
