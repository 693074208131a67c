/* initramfs.c: writing cpio newc archives, resolving kernel modules from their own
 * dependency lists, and the cached initramfs of the VM runner's guest. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runners/vm/initramfs.h"
#include "vmbench/cache.h"
#include "vmbench/image.h"
#include "vmbench/util.h"

/* Bumped whenever what an archive holds changes, so that none of an older
 * layout is taken from the cache. 2: the image's tree, loader cache included.
 * 3: files of the image with the same bytes stored once, as hard links. */
#define INITRAMFS_LAYOUT "vmbench-initramfs-3"

/* An entry's header: inode number ino (0: the next one) with nlink names. */
static void header_ino(struct vmb_cpio *c, const char *name, unsigned mode, size_t size,
                       unsigned ino, unsigned nlink, unsigned rmaj, unsigned rmin)
{
	size_t namesize = strlen(name) + 1;

	if (fprintf(c->f, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
	            ino ? ino : ++c->ino, mode, 0u, 0u, nlink, 0u, size, 0u, 0u, rmaj, rmin,
	            namesize, 0u) < 0)
		c->failed = EIO;
	fwrite(name, 1, namesize, c->f);
	/* header (110 bytes) plus name, padded to 4 */
	for (size_t pad = (4 - (110 + namesize) % 4) % 4; pad; pad--)
		fputc(0, c->f);
}

static void header(struct vmb_cpio *c, const char *name, unsigned mode, size_t size, unsigned rmaj,
                   unsigned rmin)
{
	header_ino(c, name, mode, size, 0, 1, rmaj, rmin);
}

static void pad_data(struct vmb_cpio *c, size_t size)
{
	for (size_t pad = (4 - size % 4) % 4; pad; pad--)
		fputc(0, c->f);
}

void vmb_cpio_dir(struct vmb_cpio *c, const char *name)
{
	header(c, name, 040755, 0, 0, 0);
}

static void data_ino(struct vmb_cpio *c, const char *name, const void *data, size_t len,
                     unsigned mode, unsigned ino, unsigned nlink)
{
	header_ino(c, name, 0100000 | mode, len, ino, nlink, 0, 0);
	if (fwrite(data, 1, len, c->f) != len)
		c->failed = EIO;
	pad_data(c, len);
}

void vmb_cpio_data(struct vmb_cpio *c, const char *name, const void *data, size_t len,
                   unsigned mode)
{
	data_ino(c, name, data, len, mode, 0, 1);
}

static void file_ino(struct vmb_cpio *c, const char *name, const char *host_path, unsigned mode,
                     unsigned ino, unsigned nlink)
{
	struct stat st;
	int fd = open(host_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		c->failed = errno ? errno : EIO;
		if (fd >= 0)
			close(fd);
		return;
	}
	void *m = st.st_size ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (m == MAP_FAILED) {
		c->failed = errno;
		return;
	}
	data_ino(c, name, m, (size_t)st.st_size, mode, ino, nlink);
	if (m)
		munmap(m, (size_t)st.st_size);
}

void vmb_cpio_file(struct vmb_cpio *c, const char *name, const char *host_path, unsigned mode)
{
	file_ino(c, name, host_path, mode, 0, 1);
}

void vmb_cpio_symlink(struct vmb_cpio *c, const char *name, const char *target)
{
	size_t len = strlen(target);

	/* newc keeps a link's target as its data */
	header(c, name, 0120777, len, 0, 0);
	if (fwrite(target, 1, len, c->f) != len)
		c->failed = EIO;
	pad_data(c, len);
}

void vmb_cpio_chardev(struct vmb_cpio *c, const char *name, unsigned major, unsigned minor)
{
	header(c, name, 020600, 0, major, minor);
}

int vmb_cpio_finish(struct vmb_cpio *c)
{
	header(c, "TRAILER!!!", 0, 0, 0, 0);
	if (fflush(c->f) != 0 || ferror(c->f))
		c->failed = c->failed ? c->failed : EIO;
	return c->failed ? -1 : 0;
}

/* The depends= value of a module's .modinfo section, or "" (malloc'd). */
static char *module_depends(const char *path, struct vmb_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *out = NULL;

	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		vmb_error_sys(err, errno ? errno : EINVAL, "read module %s", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	size_t size = (size_t)st.st_size;
	const unsigned char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		vmb_error_sys(err, errno, "mmap %s", path);
		return NULL;
	}
	const Elf64_Ehdr *eh = (const void *)m;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shoff > size ||
	    eh->e_shnum > (size - eh->e_shoff) / sizeof(Elf64_Shdr) ||
	    eh->e_shstrndx >= eh->e_shnum) {
		vmb_error_set(err, VMB_ERR_FAIL, "%s: not an ELF module", path);
		goto out;
	}
	const Elf64_Shdr *sh = (const void *)(m + eh->e_shoff);
	const Elf64_Shdr *names = &sh[eh->e_shstrndx];
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (names->sh_offset + sh[i].sh_name >= size || sh[i].sh_offset > size ||
		    sh[i].sh_size > size - sh[i].sh_offset)
			continue;
		if (strcmp((const char *)m + names->sh_offset + sh[i].sh_name, ".modinfo") != 0)
			continue;
		/* NUL-separated key=value strings */
		const char *p = (const char *)m + sh[i].sh_offset, *end = p + sh[i].sh_size;
		for (; p < end; p += strnlen(p, (size_t)(end - p)) + 1)
			if (strncmp(p, "depends=", 8) == 0) {
				out = strndup(p + 8, (size_t)(end - p - 8));
				break;
			}
	}
	if (!out)
		out = strdup("");
out:
	munmap((void *)m, size);
	return out;
}

static char found_module[PATH_MAX];
static char wanted_module[300];

static int match_module(const char *fpath, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_F && strcmp(fpath + ftw->base, wanted_module) == 0) {
		snprintf(found_module, sizeof(found_module), "%s", fpath);
		return 1; /* stop the walk */
	}
	return 0;
}

/* The path of NAME.ko under moddir/kernel, or NULL. Module names use '-' and
 * '_' interchangeably; files keep the spelling of their source. */
static char *find_module(const char *moddir, const char *name)
{
	char root[PATH_MAX];

	snprintf(root, sizeof(root), "%s/kernel", moddir);
	for (int spelling = 0; spelling < 2; spelling++) {
		snprintf(wanted_module, sizeof(wanted_module), "%s.ko", name);
		for (char *p = wanted_module; spelling && *p; p++)
			if (*p == '_')
				*p = '-';
		found_module[0] = '\0';
		if (nftw(root, match_module, 16, FTW_PHYS) == 1)
			return found_module;
	}
	return NULL;
}

int vmb_modules_resolve(const char *moddir, const char *name, char ***paths, size_t *n,
                        struct vmb_error *err)
{
	char *path = find_module(moddir, name);

	if (!path)
		return 0; /* built into the kernel */
	char mine[PATH_MAX];
	snprintf(mine, sizeof(mine), "%s", path);
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*paths)[i], mine) == 0)
			return 0;
	vmb_autofree char *deps = module_depends(mine, err);
	if (!deps)
		return -1;
	for (char *save = NULL, *d = strtok_r(deps, ",", &save); d; d = strtok_r(NULL, ",", &save))
		if (*d && vmb_modules_resolve(moddir, d, paths, n, err) < 0)
			return -1;
	char **np = realloc(*paths, (*n + 2) * sizeof(char *));
	if (!np)
		return vmb_error_sys(err, ENOMEM, "modules");
	*paths = np;
	np[(*n)++] = strdup(mine);
	np[*n] = NULL;
	return 0;
}

/* Regular files of the image with the same bytes as another (Debian's loader,
 * for one, is there twice: at the path programs name as their interpreter and
 * in its library directory). The guest gets the bytes once: newc entries that
 * share an inode number and a link count above 1 are hard links, and the
 * kernel links each one after the first to it. */
struct same_file {
	char *name; /* relative to the image's root */
	size_t size;
	unsigned mode;  /* permission bits: a group shares them too */
	unsigned ino;   /* the group's inode number; 0: like no other file */
	unsigned nlink; /* files in the group */
	bool written;   /* the group's bytes are in the archive already */
};

/* What nftw fills (it passes no argument of its own to its callback). */
static struct {
	size_t root_len;
	struct same_file *v;
	size_t n, cap;
	int failed;
} files;

static int collect_file(const char *fpath, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag != FTW_F || !S_ISREG(st->st_mode) || st->st_size == 0)
		return 0;
	if (files.n == files.cap) {
		size_t cap = files.cap ? files.cap * 2 : 64;
		struct same_file *v = realloc(files.v, cap * sizeof(*v));
		if (!v) {
			files.failed = ENOMEM;
			return 1;
		}
		files.v = v;
		files.cap = cap;
	}
	char *name = strdup(fpath + files.root_len + 1);
	if (!name) {
		files.failed = ENOMEM;
		return 1;
	}
	files.v[files.n++] = (struct same_file){
	        .name = name, .size = (size_t)st->st_size, .mode = st->st_mode & 07777};
	return 0;
}

/* Whether root/a and root/b, both of size bytes, hold the same bytes. */
static bool same_bytes(const char *root, const char *a, const char *b, size_t size)
{
	const char *names[2] = {a, b};
	void *m[2] = {MAP_FAILED, MAP_FAILED};
	char path[PATH_MAX];

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, names[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			m[i] = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
			close(fd);
		}
	}
	bool same = m[0] != MAP_FAILED && m[1] != MAP_FAILED && memcmp(m[0], m[1], size) == 0;
	for (int i = 0; i < 2; i++)
		if (m[i] != MAP_FAILED)
			munmap(m[i], size);
	return same;
}

static void same_files_free(void)
{
	for (size_t i = 0; i < files.n; i++)
		free(files.v[i].name);
	free(files.v);
	memset(&files, 0, sizeof(files));
}

/* Groups the regular files under root by their bytes; 0, or -1 with err. A
 * group's inode number lies far above those the writer hands out one by one. */
static int same_files_find(const char *root, struct vmb_error *err)
{
	unsigned next_ino = 0x40000000u;

	same_files_free();
	files.root_len = strlen(root);
	if (nftw(root, collect_file, 16, FTW_PHYS) != 0 || files.failed) {
		int e = files.failed ? files.failed : errno ? errno : EIO;
		same_files_free();
		return vmb_error_sys(err, e, "read %s", root);
	}
	for (size_t i = 0; i < files.n; i++) {
		struct same_file *a = &files.v[i];
		if (a->ino && !a->nlink)
			continue; /* in the group of an earlier file */
		for (size_t j = i + 1; j < files.n; j++) {
			struct same_file *b = &files.v[j];
			if (b->ino || b->size != a->size || b->mode != a->mode ||
			    !same_bytes(root, a->name, b->name, a->size))
				continue;
			if (!a->ino) {
				a->ino = next_ino++;
				a->nlink = 1;
			}
			b->ino = a->ino;
			a->nlink++;
		}
	}
	/* every name of a group says how many it has */
	for (size_t i = 0; i < files.n; i++)
		for (size_t j = 0; j < i && files.v[i].ino && !files.v[i].nlink; j++)
			if (files.v[j].ino == files.v[i].ino)
				files.v[i].nlink = files.v[j].nlink;
	return 0;
}

/* The group of the file called name, or NULL if its bytes are its own. */
static struct same_file *same_file_of(const char *name)
{
	for (size_t i = 0; i < files.n; i++)
		if (files.v[i].ino && strcmp(files.v[i].name, name) == 0)
			return &files.v[i];
	return NULL;
}

static int add_tree(struct vmb_cpio *c, const char *root, const char *rel, int depth,
                    struct vmb_error *err);

/* Appends root/name (a directory with what it holds, a file or a link) to the
 * archive as name. */
static int add_entry(struct vmb_cpio *c, const char *root, const char *name, int depth,
                     struct vmb_error *err)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if (lstat(path, &st) < 0)
		return vmb_error_sys(err, errno, "stat %s", path);
	if (S_ISDIR(st.st_mode)) {
		vmb_cpio_dir(c, name);
		return add_tree(c, root, name, depth + 1, err);
	}
	if (S_ISREG(st.st_mode)) {
		struct same_file *same = same_file_of(name);
		unsigned mode = st.st_mode & 07777;
		if (!same) {
			vmb_cpio_file(c, name, path, mode);
		} else if (!same->written) {
			file_ino(c, name, path, mode, same->ino, same->nlink);
			for (size_t i = 0; i < files.n; i++)
				files.v[i].written |= files.v[i].ino == same->ino;
		} else {
			/* a later name of bytes already written: no data */
			header_ino(c, name, 0100000 | mode, 0, same->ino, same->nlink, 0, 0);
		}
	} else if (S_ISLNK(st.st_mode)) {
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		if (len < 0)
			return vmb_error_sys(err, errno, "readlink %s", path);
		target[len] = '\0';
		vmb_cpio_symlink(c, name, target);
	}
	/* an image holds nothing else; a socket or a fifo would mean nothing */
	return 0;
}

/* Appends everything under root/rel to the archive, named relative to root:
 * each directory before what it holds, entries in sorted order so that an
 * archive's bytes follow from its inputs alone. */
static int add_tree(struct vmb_cpio *c, const char *root, const char *rel, int depth,
                    struct vmb_error *err)
{
	char dir[PATH_MAX], name[PATH_MAX];
	struct dirent **names;

	if (depth > 32)
		return vmb_error_set(err, VMB_ERR_FAIL, "%s/%s: nested too deeply", root, rel);
	snprintf(dir, sizeof(dir), "%s%s%s", root, rel[0] ? "/" : "", rel);
	int n = scandir(dir, &names, NULL, alphasort), rc = 0;
	if (n < 0)
		return vmb_error_sys(err, errno, "read %s", dir);
	for (int i = 0; i < n; i++) {
		const char *base = names[i]->d_name;
		if (rc == 0 && strcmp(base, ".") != 0 && strcmp(base, "..") != 0) {
			snprintf(name, sizeof(name), "%s%s%s", rel, rel[0] ? "/" : "", base);
			rc = add_entry(c, root, name, depth, err);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* The guest's root: the image's tree as it is (the container's root, the
 * loader's cache included), then what only a guest needs. */
static int write_archive(const char *path, const char *image, const char *guest_init, char **mods,
                         struct vmb_error *err)
{
	struct vmb_cpio c = {.f = fopen(path, "we")};
	char order[8192] = "";
	size_t used = 0;

	if (!c.f)
		return vmb_error_sys(err, errno, "create %s", path);
	int rc = same_files_find(image, err);
	if (rc == 0)
		rc = add_tree(&c, image, "", 0, err);
	same_files_free();
	vmb_cpio_chardev(&c, "dev/console", 5, 1);
	vmb_cpio_file(&c, "init", guest_init, 0755);
	vmb_cpio_dir(&c, "modules");
	for (char **m = mods; m && *m; m++) {
		const char *base = strrchr(*m, '/') + 1;
		char name[300];
		snprintf(name, sizeof(name), "modules/%s", base);
		vmb_cpio_file(&c, name, *m, 0644);
		used += (size_t)snprintf(order + used, sizeof(order) - used, "%s\n", base);
	}
	vmb_cpio_data(&c, "modules/order", order, used, 0644);
	if (vmb_cpio_finish(&c) < 0 && rc == 0)
		rc = vmb_error_sys(err, c.failed, "write %s", path);
	if (fclose(c.f) != 0 && rc == 0)
		rc = vmb_error_sys(err, errno, "write %s", path);
	return rc;
}

int vmb_initramfs_ensure(const char *agent, const char *guest_init, const char *moddir,
                         const char *const *modules, char *out, size_t len, struct vmb_error *err)
{
	char **mods = NULL, image[PATH_MAX];
	size_t nmods = 0;
	uint64_t key = vmb_fnv(VMB_FNV_BASIS, INITRAMFS_LAYOUT, sizeof(INITRAMFS_LAYOUT));
	char root[PATH_MAX - 64], tmp[PATH_MAX];
	int rc = vmb_image_ensure(agent, image, sizeof(image), err);

	for (const char *const *m = modules; rc == 0 && m && *m; m++)
		rc = moddir ? vmb_modules_resolve(moddir, *m, &mods, &nmods, err)
		            : vmb_error_set(err, VMB_ERR_FAIL, "module %s: no module directory",
		                            *m);
	/* the image's name is the key over the agent and its closure */
	key = vmb_fnv(key, image, strlen(image));
	if (rc == 0)
		rc = vmb_hash_file(&key, guest_init, err);
	for (char **m = mods; rc == 0 && m && *m; m++)
		rc = vmb_hash_identity(&key, *m, err);
	if (rc == 0) {
		vmb_cache_root(root, sizeof(root));
		snprintf(out, len, "%s/initramfs/%016llx.cpio", root, (unsigned long long)key);
		if (access(out, R_OK) != 0) {
			snprintf(tmp, sizeof(tmp), "%s.%d.tmp", out, (int)getpid());
			rc = vmb_mkdir_parents(out, err);
			if (rc == 0)
				rc = write_archive(tmp, image, guest_init, mods, err);
			if (rc == 0 && rename(tmp, out) < 0)
				rc = vmb_error_sys(err, errno, "rename %s", tmp);
			unlink(tmp);
		}
	}
	vmb_strv_free(mods);
	return rc < 0 ? vmb_error_prefix(err, "building the guest initramfs") : 0;
}
