/* kernel.c: which kernel the guest boots: --kernel, else the host's own where it can be
 * read, else Debian's cloud kernel package, downloaded and unpacked (not installed)
 * into vmbench's cache once. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "runners/vm/vm.h"
#include "runners/vm/vmm.h"
#include "vmbench/cache.h"
#include "vmbench/util.h"

static int first_vmlinuz(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = -1;

	while (d && (e = readdir(d)))
		if (strncmp(e->d_name, "vmlinuz-", 8) == 0) {
			snprintf(out, len, "%s/%s", dir, e->d_name);
			rc = 0;
			break;
		}
	if (d)
		closedir(d);
	return rc;
}

/* Runs a shell command line; 0 if it exited 0. Its output goes to stderr. */
static int sh(const char *cmd)
{
	int status = system(cmd);

	return status == 0 ? 0 : -1;
}

static int cloud_kernel(struct vmb_guest_kernel *k, struct vmb_error *err)
{
	char root[PATH_MAX - 200], pkg[128] = "", cmd[PATH_MAX * 2], dir[PATH_MAX],
	                           boot[PATH_MAX + 8];
	FILE *p = popen("apt-cache depends linux-image-cloud-amd64 2>/dev/null", "r");

	while (p && fgets(cmd, sizeof(cmd), p))
		if (sscanf(cmd, " Depends: %127s", pkg) == 1 &&
		    strncmp(pkg, "linux-image-", 12) == 0)
			break;
	if (p)
		pclose(p);
	if (strncmp(pkg, "linux-image-", 12) != 0)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "no guest kernel: the host's own is unreadable and apt-cache "
		                     "knows no linux-image-cloud-amd64; give --kernel PATH");
	vmb_cache_root(root, sizeof(root));
	snprintf(dir, sizeof(dir), "%s/guest-kernel/%s", root, pkg);
	snprintf(boot, sizeof(boot), "%s/boot", dir);
	if (first_vmlinuz(boot, k->path, sizeof(k->path)) < 0) {
		/* the same layout as tests/guest/run-guest-tests uses */
		snprintf(cmd, sizeof(cmd),
		         "set -e; t=$(mktemp -d); trap 'rm -rf \"$t\"' EXIT; cd \"$t\"; "
		         "apt-get download %s >&2; mkdir -p '%s.part'; dpkg -x ./*.deb '%s.part'; "
		         "rm -rf '%s'; mv '%s.part' '%s'",
		         pkg, dir, dir, dir, dir, dir);
		fprintf(stderr, "vmbench: fetching the guest kernel %s into %s\n", pkg, dir);
		if (sh(cmd) < 0 || first_vmlinuz(boot, k->path, sizeof(k->path)) < 0)
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "no guest kernel: apt-get download %s failed; give "
			                     "--kernel PATH",
			                     pkg);
	}
	snprintf(cmd, sizeof(cmd), "%s/lib/modules", dir);
	DIR *d = opendir(cmd);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			snprintf(k->moddir, sizeof(k->moddir), "%s/%s", cmd, e->d_name);
	if (d)
		closedir(d);
	snprintf(k->source, sizeof(k->source), "Debian package %s (cached)", pkg);
	return 0;
}

int vmb_guest_kernel_check(const char *path, struct vmb_error *err)
{
	struct vmb_error why = {0};

	if (vmm_check_bzimage(path, NULL, 0, &why) < 0)
		return vmb_error_set(err, VMB_ERR_USAGE, "--kernel %s", why.msg);
	return 0;
}

/* The modules of a kernel given by path: its version's first word names
 * them, beside it as a package unpacks (DIR/boot/vmlinuz-V with
 * DIR/lib/modules/V), else the host's /lib/modules/V; none found leaves
 * moddir empty (the guest then has no disk driver). */
static void explicit_moddir(struct vmb_guest_kernel *k)
{
	char release[128], dir[PATH_MAX];
	size_t n = strcspn(k->version, " ");

	if (n == 0 || n >= sizeof(release))
		return;
	memcpy(release, k->version, n);
	release[n] = '\0';
	snprintf(dir, sizeof(dir), "%s", k->path);
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	snprintf(k->moddir, sizeof(k->moddir), "%s/lib/modules/%s", dir, release);
	if (access(k->moddir, R_OK) == 0)
		return;
	snprintf(k->moddir, sizeof(k->moddir), "/lib/modules/%s", release);
	if (access(k->moddir, R_OK) < 0)
		k->moddir[0] = '\0';
}

int vmb_guest_kernel_find(const char *explicit, struct vmb_guest_kernel *k, struct vmb_error *err)
{
	struct vmb_error why = {0};
	struct utsname u;

	memset(k, 0, sizeof(*k));
	if (explicit) {
		if (vmm_check_bzimage(explicit, k->version, sizeof(k->version), &why) < 0)
			return vmb_error_set(err, VMB_ERR_USAGE, "--kernel %s", why.msg);
		snprintf(k->path, sizeof(k->path), "%s", explicit);
		snprintf(k->source, sizeof(k->source), "--kernel");
		explicit_moddir(k);
		return 0;
	}
	uname(&u);
	snprintf(k->path, sizeof(k->path), "/boot/vmlinuz-%s", u.release);
	if (vmm_check_bzimage(k->path, k->version, sizeof(k->version), &why) == 0) {
		snprintf(k->moddir, sizeof(k->moddir), "/lib/modules/%s", u.release);
		if (access(k->moddir, R_OK) < 0)
			k->moddir[0] = '\0';
		snprintf(k->source, sizeof(k->source), "the host's own kernel");
		return 0;
	}
	if (cloud_kernel(k, err) < 0)
		return -1;
	if (vmm_check_bzimage(k->path, k->version, sizeof(k->version), err) < 0)
		return -1;
	return 0;
}
