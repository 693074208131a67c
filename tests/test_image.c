/* test_image.c: where the agent's libraries are found (ld.so.conf, $LD_LIBRARY_PATH,
 * malformed ELF files) and what the image and the guest's initramfs carry of them. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "runners/vm/initramfs.h"
#include "vmbench/elf.h"
#include "vmbench/image.h"
#include "vmbench/util.h"

static void write_file(const char *dir, const char *rel, const char *text)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "create %s", path);
	fputs(text, f);
	fclose(f);
}

/* Reads all of path into a malloc'd buffer; sets *len. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;

	cr_assert_not_null(f, "open %s", path);
	cr_assert_eq(fstat(fileno(f), &st), 0);
	char *buf = malloc((size_t)st.st_size + 1);
	*len = fread(buf, 1, (size_t)st.st_size, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void spill(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	cr_assert_geq(fd, 0, "create %s", path);
	cr_assert_eq(vmb_write_all(fd, data, len), 0);
	close(fd);
}

Test(image, ld_so_conf_includes_and_globs)
{
	char *dir = th_tmpdir(), conf[300], sub[300];
	char **dirs = NULL;
	struct vmb_error err = {0};

	snprintf(sub, sizeof(sub), "%s/conf.d", dir);
	cr_assert_eq(mkdir(sub, 0755), 0);
	char text[1200];
	/* a relative include is taken from the including file's directory, an
	 * absolute one as it is; matches come in sorted order */
	snprintf(text, sizeof(text),
	         "# a comment\n"
	         "  /opt/first/  # trailing comment\n"
	         "include conf.d/*.conf\n"
	         "hwcap 0 nosegneg\n"
	         "relative/dir\n"
	         "/opt/typed=libc6\n"
	         "include %s/none-*.conf %s/extra.conf\n"
	         "/opt/first\n",
	         dir, dir);
	write_file(dir, "ld.so.conf", text);
	write_file(dir, "conf.d/b.conf", "/opt/b\n");
	write_file(dir, "conf.d/a.conf", "/opt/a\n\n\t/opt/a2\t\n");
	write_file(dir, "conf.d/skip.txt", "/opt/not-a-conf\n");
	write_file(dir, "extra.conf", "/opt/extra\n");
	snprintf(conf, sizeof(conf), "%s/ld.so.conf", dir);
	cr_assert_eq(vmb_ldconf_dirs(conf, &dirs, &err), 0, "%s", err.msg);
	const char *want[] = {"/opt/first", "/opt/a",     "/opt/a2", "/opt/b",
	                      "/opt/typed", "/opt/extra", NULL};
	for (size_t i = 0; want[i]; i++) {
		cr_assert_not_null(dirs[i], "only %zu directories", i);
		cr_assert_str_eq(dirs[i], want[i]);
	}
	cr_assert_null(dirs[6], "extra directory %s", dirs[6]);

	/* a missing file adds nothing; an include loop is an error, not a hang */
	snprintf(conf, sizeof(conf), "%s/missing.conf", dir);
	cr_assert_eq(vmb_ldconf_dirs(conf, &dirs, &err), 0, "%s", err.msg);
	cr_assert_null(dirs[6]);
	write_file(dir, "loop.conf", "/opt/loop\ninclude loop.conf\n");
	snprintf(conf, sizeof(conf), "%s/loop.conf", dir);
	cr_assert_eq(vmb_ldconf_dirs(conf, &dirs, &err), -1);
	cr_assert(strstr(err.msg, "nested"), "%s", err.msg);
	vmb_strv_free(dirs);
	vmb_rm_tree(dir, NULL);
	free(dir);
}

/* $LD_LIBRARY_PATH comes before the system directories, and a file there that
 * is no 64-bit library of the agent's machine is passed over, as the loader
 * passes it over. */
Test(image, closure_follows_ld_library_path)
{
	char *dir = th_tmpdir(), *jansson = th_agent_lib("/libjansson.so"), bogus[300], good[300],
	     copy[400];
	const char *base = strrchr(jansson, '/') + 1;
	struct vmb_error err = {0};
	size_t len;

	snprintf(bogus, sizeof(bogus), "%s/bogus", dir);
	snprintf(good, sizeof(good), "%s/good", dir);
	cr_assert_eq(mkdir(bogus, 0755), 0);
	cr_assert_eq(mkdir(good, 0755), 0);
	write_file(bogus, base, "not a library\n");
	char *bytes = slurp(jansson, &len);
	snprintf(copy, sizeof(copy), "%s/%s", good, base);
	spill(copy, bytes, len);
	free(bytes);
	char list[700];
	snprintf(list, sizeof(list), "%s::%s", bogus, good);
	setenv("LD_LIBRARY_PATH", list, 1);
	char **libs = vmb_elf_closure(getenv("VMBENCH_AGENT"), &err);
	unsetenv("LD_LIBRARY_PATH");
	cr_assert_not_null(libs, "%s", err.msg);
	int hits = 0;
	for (char **l = libs; *l; l++) {
		hits += strcmp(*l, copy) == 0;
		cr_assert(strcmp(*l, jansson) != 0, "the system copy won over $LD_LIBRARY_PATH");
	}
	cr_assert_eq(hits, 1, "%s not in the closure", copy);
	vmb_strv_free(libs);
	free(jansson);
	vmb_rm_tree(dir, NULL);
	free(dir);
}

/* Truncated and scribbled-over copies of the agent give a closure or an error,
 * never a crash or a read past the file. */
Test(image, closure_survives_malformed_elf)
{
	char *dir = th_tmpdir(), path[300];
	size_t len;
	char *agent = slurp(getenv("VMBENCH_AGENT"), &len);
	char *bad = malloc(len);
	struct vmb_rng rng;
	struct vmb_error err;

	snprintf(path, sizeof(path), "%s/agent", dir);
	for (size_t cut = 0; cut < len; cut += cut < 4096 ? 61 : 4093) {
		spill(path, agent, cut);
		char **libs = vmb_elf_closure(path, &err);
		vmb_strv_free(libs);
	}
	vmb_rng_seed(&rng, 42);
	for (int round = 0; round < 300; round++) {
		memcpy(bad, agent, len);
		/* most damage in the headers, where the reader looks first */
		for (int k = 0; k < 8; k++) {
			size_t at = vmb_rng_below(&rng, k < 6 && len > 8192 ? 8192 : len);
			bad[at] = (char)vmb_rng_next(&rng);
		}
		spill(path, bad, len);
		char **libs = vmb_elf_closure(path, &err);
		vmb_strv_free(libs);
	}
	free(bad);
	free(agent);
	vmb_rm_tree(dir, NULL);
	free(dir);
}

static unsigned hex8(const char *p)
{
	char buf[9];

	memcpy(buf, p, 8);
	buf[8] = '\0';
	return (unsigned)strtoul(buf, NULL, 16);
}

/* Whether the newc archive buf holds an entry called name (its data to *data
 * and *size when found); fails the test on a malformed archive or an entry
 * before its directory. */
static bool cpio_find(const char *buf, size_t len, const char *name, const char **data,
                      size_t *size)
{
	char seen[200][256];
	size_t nseen = 0, off = 0;

	while (off + 110 <= len) {
		cr_assert(memcmp(buf + off, "070701", 6) == 0, "bad magic at %zu", off);
		unsigned mode = hex8(buf + off + 14), fsize = hex8(buf + off + 54);
		unsigned namesize = hex8(buf + off + 94);
		const char *ename = buf + off + 110;
		if (strcmp(ename, "TRAILER!!!") == 0)
			break;
		const char *slash = strrchr(ename, '/');
		if (slash) {
			bool parent = false;
			for (size_t i = 0; i < nseen && !parent; i++)
				parent = strlen(seen[i]) == (size_t)(slash - ename) &&
				         strncmp(seen[i], ename, (size_t)(slash - ename)) == 0;
			cr_assert(parent, "%s comes before its directory", ename);
		}
		if ((mode & 0170000) == 040000 && nseen < 200)
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", ename);
		off = (off + 110 + namesize + 3) & ~(size_t)3;
		if (strcmp(ename, name) == 0) {
			*data = buf + off;
			*size = fsize;
			return true;
		}
		off = (off + fsize + 3) & ~(size_t)3;
	}
	return false;
}

/* The guest gets the image's tree as it is: the loader's configuration that
 * names a library found through $LD_LIBRARY_PATH, and its cache. */
Test(image, initramfs_holds_the_image_and_the_loader_cache, .timeout = 60)
{
	const char *init = getenv("VMBENCH_GUEST_INIT");
	char *cache = th_tmpdir(), *jansson = th_agent_lib("/libjansson.so");
	const char *base = strrchr(jansson, '/') + 1;
	char copy[400], image[4096], initrd[4096], rel[600], *libdir = th_lib_dir();
	struct vmb_error err = {0};
	size_t len, size;
	const char *data;

	cr_assert_not_null(init, "VMBENCH_GUEST_INIT is not set (run through meson test)");
	char *bytes = slurp(jansson, &len);
	snprintf(copy, sizeof(copy), "%s/%s", libdir, base);
	spill(copy, bytes, len);
	free(bytes);
	setenv("VMBENCH_CACHE", cache, 1);
	setenv("LD_LIBRARY_PATH", libdir, 1);
	int rc = vmb_initramfs_ensure(getenv("VMBENCH_AGENT"), init, NULL, NULL, initrd,
	                              sizeof(initrd), &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_eq(vmb_image_ensure(getenv("VMBENCH_AGENT"), image, sizeof(image), &err), 0, "%s",
	             err.msg);
	unsetenv("LD_LIBRARY_PATH");

	/* the image: the library where the host found it, and the loader's files */
	snprintf(rel, sizeof(rel), "%s%s", image, copy);
	cr_assert_eq(access(rel, R_OK), 0, "no %s in the image", copy);
	snprintf(rel, sizeof(rel), "%s/etc/ld.so.cache", image);
	cr_assert_eq(access(rel, R_OK), 0, "no etc/ld.so.cache in the image");
	snprintf(rel, sizeof(rel), "%s/etc/ld.so.conf", image);
	char *conf = slurp(rel, &size);
	char line[400];
	snprintf(line, sizeof(line), "%s\n", libdir);
	cr_assert(strstr(conf, line), "etc/ld.so.conf does not name %s:\n%s", libdir, conf);
	/* the cache names the library at its path: ldconfig's cache keeps paths
	 * as plain strings */
	snprintf(rel, sizeof(rel), "%s/etc/ld.so.cache", image);
	char *ldcache = slurp(rel, &size);
	cr_assert_not_null(memmem(ldcache, size, copy, strlen(copy)), "the cache lacks %s", copy);

	/* the initramfs: the same files, plus what only a guest needs */
	char *cpio = slurp(initrd, &len);
	snprintf(rel, sizeof(rel), "%s", copy + 1);
	cr_assert(cpio_find(cpio, len, rel, &data, &size), "no %s in the initramfs", rel);
	cr_assert(cpio_find(cpio, len, "etc/ld.so.cache", &data, &size));
	cr_assert(cpio_find(cpio, len, "etc/ld.so.conf", &data, &size));
	cr_assert_eq(size, strlen(conf));
	cr_assert(memcmp(data, conf, size) == 0, "etc/ld.so.conf differs from the image's");
	cr_assert(cpio_find(cpio, len, VMB_IMAGE_AGENT + 1, &data, &size));
	/* the exec workload's static program, beside the agent, in both */
	cr_assert(cpio_find(cpio, len, VMB_IMAGE_TRUE + 1, &data, &size), "no %s in the initramfs",
	          VMB_IMAGE_TRUE);
	cr_assert_gt(size, 0);
	snprintf(rel, sizeof(rel), "%s%s", image, VMB_IMAGE_TRUE);
	cr_assert_eq(access(rel, X_OK), 0, "no executable %s in the image", VMB_IMAGE_TRUE);
	for (const char *const *d = vmb_image_dirs; *d; d++)
		cr_assert(cpio_find(cpio, len, *d, &data, &size), "no /%s", *d);
	const char *more[] = {"init", "dev/console", "modules", "modules/order", "etc/passwd"};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		cr_assert(cpio_find(cpio, len, more[i], &data, &size), "no /%s", more[i]);
	free(cpio);
	free(ldcache);
	free(conf);
	free(jansson);
	vmb_rm_tree(libdir, NULL);
	free(libdir);
	vmb_rm_tree(cache, NULL);
	free(cache);
}

/* Files of the image with the same bytes reach the guest once: a name after
 * the first is a hard link (the first's inode number, no data of its own). On
 * Debian the loader is one of them: at /lib64 and in its library directory. */
Test(image, initramfs_stores_same_bytes_once, .timeout = 60)
{
	const char *init = getenv("VMBENCH_GUEST_INIT");
	char *cache = th_tmpdir(), initrd[4096];
	struct vmb_error err = {0};
	struct {
		unsigned ino, nlink;
		const char *data;
		size_t size;
	} reg[256];
	size_t nreg = 0, len, off = 0;

	cr_assert_not_null(init, "VMBENCH_GUEST_INIT is not set (run through meson test)");
	setenv("VMBENCH_CACHE", cache, 1);
	cr_assert_eq(vmb_initramfs_ensure(getenv("VMBENCH_AGENT"), init, NULL, NULL, initrd,
	                                  sizeof(initrd), &err),
	             0, "%s", err.msg);
	char *cpio = slurp(initrd, &len);
	while (off + 110 <= len && nreg < 256) {
		unsigned ino = hex8(cpio + off + 6), mode = hex8(cpio + off + 14);
		unsigned nlink = hex8(cpio + off + 38), fsize = hex8(cpio + off + 54);
		unsigned namesize = hex8(cpio + off + 94);
		const char *name = cpio + off + 110;
		if (strcmp(name, "TRAILER!!!") == 0)
			break;
		off = (off + 110 + namesize + 3) & ~(size_t)3;
		if ((mode & 0170000) == 0100000) {
			if (fsize == 0 && nlink > 1) {
				bool first = false;
				for (size_t i = 0; i < nreg && !first; i++)
					first = reg[i].ino == ino && reg[i].size &&
					        reg[i].nlink == nlink;
				cr_assert(first, "%s: a link to bytes not written before it", name);
			}
			reg[nreg].ino = ino;
			reg[nreg].nlink = nlink;
			reg[nreg].data = cpio + off;
			reg[nreg++].size = fsize;
		}
		off = (off + fsize + 3) & ~(size_t)3;
	}
	for (size_t i = 0; i < nreg; i++)
		for (size_t j = i + 1; j < nreg; j++)
			cr_assert(!reg[i].size || reg[i].size != reg[j].size ||
			                  memcmp(reg[i].data, reg[j].data, reg[i].size) != 0,
			          "the same %zu bytes twice in the initramfs", reg[i].size);
	free(cpio);
	vmb_rm_tree(cache, NULL);
	free(cache);
}

/* A library under a directory that the container and the guest mount over
 * could never be loaded there: the image refuses it, saying why. */
Test(image, library_under_tmp_is_refused)
{
	char *cache = th_tmpdir(), *libdir = th_tmpdir(), *jansson = th_agent_lib("/libjansson.so");
	char copy[400], image[4096];
	struct vmb_error err = {0};
	size_t len;

	char *bytes = slurp(jansson, &len);
	snprintf(copy, sizeof(copy), "%s/%s", libdir, strrchr(jansson, '/') + 1);
	spill(copy, bytes, len);
	free(bytes);
	setenv("VMBENCH_CACHE", cache, 1);
	setenv("LD_LIBRARY_PATH", libdir, 1);
	int rc = vmb_image_ensure(getenv("VMBENCH_AGENT"), image, sizeof(image), &err);
	unsetenv("LD_LIBRARY_PATH");
	cr_assert_eq(rc, -1, "an image with %s was made", copy);
	cr_assert(strstr(err.msg, copy) && strstr(err.msg, "/tmp") && strstr(err.msg, "mount"),
	          "%s", err.msg);
	free(jansson);
	vmb_rm_tree(libdir, NULL);
	vmb_rm_tree(cache, NULL);
	free(libdir);
	free(cache);
}

/* A link in an image reaches the guest as a link, its target as its data. */
Test(image, cpio_symlink_reads_back)
{
	char *dir = th_tmpdir(), path[300];
	const char *data;
	size_t len, size;

	snprintf(path, sizeof(path), "%s/a.cpio", dir);
	struct vmb_cpio c = {.f = fopen(path, "w")};
	vmb_cpio_dir(&c, "lib");
	vmb_cpio_symlink(&c, "lib/libx.so.1", "libx.so.1.2.3");
	cr_assert_eq(vmb_cpio_finish(&c), 0);
	fclose(c.f);
	char *buf = slurp(path, &len);
	cr_assert(cpio_find(buf, len, "lib/libx.so.1", &data, &size));
	cr_assert_eq(size, strlen("libx.so.1.2.3"));
	cr_assert(memcmp(data, "libx.so.1.2.3", size) == 0);
	/* the mode sits in the header, 110 bytes of it before the name */
	const char *hdr = data - ((110 + strlen("lib/libx.so.1") + 1 + 3) & ~(size_t)3);
	cr_assert_eq(hex8(hdr + 14) & 0170000, 0120000, "not a link");
	free(buf);
	vmb_rm_tree(dir, NULL);
	free(dir);
}
