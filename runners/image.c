/* image.c: the agent's root file system (agent, library closure, /etc files, mount points),
 * cached by a key over its inputs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmbench/image.h"
#include "vmbench/util.h"

const char *const vmb_image_dirs[] = {"proc", "dev", "tmp", "data", "sys", "etc", NULL};

void vmb_strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* FNV-1a, enough to tell inputs apart for a cache key. */
uint64_t vmb_fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

int vmb_hash_file(uint64_t *h, const char *path, struct vmb_error *err)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return vmb_error_sys(err, errno, "open %s", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		*h = vmb_fnv(*h, buf, (size_t)n);
	close(fd);
	return n < 0 ? vmb_error_sys(err, errno, "read %s", path) : 0;
}

int vmb_hash_identity(uint64_t *h, const char *path, struct vmb_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return vmb_error_sys(err, errno, "stat %s", path);
	*h = vmb_fnv(*h, path, strlen(path));
	*h = vmb_fnv(*h, &st.st_size, sizeof(st.st_size));
	*h = vmb_fnv(*h, &st.st_mtim, sizeof(st.st_mtim));
	return 0;
}

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

static int build(const char *dir, const char *agent, char **libs, struct vmb_error *err)
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
	for (char **l = libs; *l; l++)
		if (place(dir, *l, *l, 0755, err) < 0)
			return -1;
	if (write_text(dir, "etc/passwd", "root:x:0:0:root:/:/nonexistent\n", err) < 0 ||
	    write_text(dir, "etc/group", "root:x:0:\n", err) < 0 ||
	    write_text(dir, "etc/hosts", "127.0.0.1 localhost\n", err) < 0)
		return -1;
	return 0;
}

void vmb_cache_root(char *buf, size_t len)
{
	const char *env = getenv("VMBENCH_CACHE"), *home = getenv("HOME");

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (geteuid() == 0 || !home)
		snprintf(buf, len, "/var/cache/vmbench");
	else
		snprintf(buf, len, "%s/.cache/vmbench", home);
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
	char root[PATH_MAX - 128], tmp[PATH_MAX];
	uint64_t key = 0xcbf29ce484222325ULL;
	char **libs = vmb_image_closure(agent, err);

	if (!libs)
		return -1;
	int rc = vmb_hash_file(&key, agent, err);
	for (char **l = libs; rc == 0 && *l; l++)
		rc = vmb_hash_identity(&key, *l, err);
	vmb_cache_root(root, sizeof(root));
	snprintf(out, len, "%s/images/%016llx", root, (unsigned long long)key);
	if (rc == 0 && vmb_image_check(out, NULL) < 0) {
		snprintf(tmp, sizeof(tmp), "%s/images/.build-%d", root, (int)getpid());
		vmb_rm_tree(tmp, NULL);
		rc = vmb_mkdir_parents(tmp, err);
		if (rc == 0)
			rc = build(tmp, agent, libs, err);
		if (rc == 0 && rename(tmp, out) < 0 && errno != ENOTEMPTY && errno != EEXIST)
			rc = vmb_error_sys(err, errno, "rename %s to %s", tmp, out);
		vmb_rm_tree(tmp, NULL); /* left only when another process won the race */
		if (rc < 0)
			vmb_error_prefix(err, "building the agent image");
	}
	vmb_strv_free(libs);
	return rc;
}
