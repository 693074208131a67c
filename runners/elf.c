/* elf.c: the shared-library closure of an ELF executable, read from its program
 * interpreter and DT_NEEDED entries, so that no ldd (a shell script) is needed. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmbench/image.h"
#include "vmbench/util.h"

/* Where the dynamic loader looks when a binary names no path (Debian's
 * multiarch directories first). */
static const char *const search_dirs[] = {
        "/lib/x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu",
        "/lib64",
        "/usr/lib64",
        "/lib",
        "/usr/lib",
        "/usr/local/lib",
};

struct closure {
	char **paths;
	size_t n;
};

static bool have(const struct closure *c, const char *path)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->paths[i], path) == 0)
			return true;
	return false;
}

static int push(struct closure *c, const char *path)
{
	char **np = realloc(c->paths, (c->n + 2) * sizeof(char *));

	if (!np)
		return -1;
	c->paths = np;
	np[c->n] = strdup(path);
	np[c->n + 1] = NULL;
	return np[c->n++] ? 0 : -1;
}

/* File offset of virtual address v, from the PT_LOAD segments; 0 if none. */
static size_t vaddr_to_off(const Elf64_Phdr *ph, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && v >= ph[i].p_vaddr &&
		    v < ph[i].p_vaddr + ph[i].p_filesz)
			return (size_t)(v - ph[i].p_vaddr + ph[i].p_offset);
	return 0;
}

static int resolve(struct closure *c, const char *name, const char *runpath, char *out, size_t len)
{
	char dirs[PATH_MAX];

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, R_OK);
	}
	/* DT_RUNPATH (colon-separated) first, then the standard directories */
	snprintf(dirs, sizeof(dirs), "%s", runpath ? runpath : "");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, name);
		if (access(out, R_OK) == 0)
			return 0;
	}
	for (size_t i = 0; i < VMB_ARRAY_SIZE(search_dirs); i++) {
		snprintf(out, len, "%s/%s", search_dirs[i], name);
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -1;
}

/* Adds what `path` needs (interpreter and DT_NEEDED, recursively) to c. */
static int walk(struct closure *c, const char *path, int depth, struct vmb_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (depth > 16)
		return vmb_error_set(err, VMB_ERR_FAIL, "%s: library chain too deep", path);
	if (fd < 0)
		return vmb_error_sys(err, errno, "open %s", path);
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		return vmb_error_set(err, VMB_ERR_FAIL, "%s: not an ELF file", path);
	}
	size_t size = (size_t)st.st_size;
	const unsigned char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return vmb_error_sys(err, errno, "mmap %s", path);
	const Elf64_Ehdr *eh = (const void *)m;
	int rc = 0;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phoff > size || eh->e_phnum > (size - eh->e_phoff) / sizeof(Elf64_Phdr)) {
		rc = vmb_error_set(err, VMB_ERR_FAIL, "%s: not a 64-bit ELF file", path);
		goto out;
	}
	const Elf64_Phdr *ph = (const void *)(m + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	size_t ndyn = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_offset > size || ph[i].p_filesz > size - ph[i].p_offset)
			continue;
		if (ph[i].p_type == PT_INTERP) {
			char interp[PATH_MAX];
			snprintf(interp, sizeof(interp), "%.*s", (int)ph[i].p_filesz,
			         (const char *)m + ph[i].p_offset);
			if (!have(c, interp) && push(c, interp) < 0)
				rc = vmb_error_sys(err, ENOMEM, "closure");
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const void *)(m + ph[i].p_offset);
			ndyn = ph[i].p_filesz / sizeof(Elf64_Dyn);
		}
	}
	uint64_t strtab = 0;
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++)
		if (dyn[i].d_tag == DT_STRTAB)
			strtab = dyn[i].d_un.d_ptr;
	size_t stroff = strtab ? vaddr_to_off(ph, eh->e_phnum, strtab) : 0;
	const char *runpath = NULL;
	for (size_t i = 0; stroff && i < ndyn && dyn[i].d_tag != DT_NULL; i++)
		if ((dyn[i].d_tag == DT_RUNPATH || dyn[i].d_tag == DT_RPATH) &&
		    stroff + dyn[i].d_un.d_val < size)
			runpath = (const char *)m + stroff + dyn[i].d_un.d_val;
	for (size_t i = 0; rc == 0 && stroff && i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag != DT_NEEDED || stroff + dyn[i].d_un.d_val >= size)
			continue;
		const char *name = (const char *)m + stroff + dyn[i].d_un.d_val;
		char found[PATH_MAX];
		if (resolve(c, name, runpath, found, sizeof(found)) < 0) {
			rc = vmb_error_set(err, VMB_ERR_FAIL, "%s needs %s, which is not installed",
			                   path, name);
			break;
		}
		if (have(c, found))
			continue;
		if (push(c, found) < 0)
			rc = vmb_error_sys(err, ENOMEM, "closure");
		else
			rc = walk(c, found, depth + 1, err);
	}
out:
	munmap((void *)m, size);
	return rc;
}

char **vmb_image_closure(const char *exe, struct vmb_error *err)
{
	struct closure c = {calloc(1, sizeof(char *)), 0};

	if (!c.paths) {
		vmb_error_sys(err, ENOMEM, "closure");
		return NULL;
	}
	if (walk(&c, exe, 0, err) < 0) {
		vmb_strv_free(c.paths);
		return NULL;
	}
	return c.paths;
}
