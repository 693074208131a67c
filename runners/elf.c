/* elf.c: the shared-library closure of an ELF executable, read from its program
 * interpreter and DT_NEEDED entries and resolved as the host's loader would, so that
 * no ldd (a shell script) is needed. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmbench/elf.h"
#include "vmbench/util.h"

/* The loader's trusted directories, searched last (Debian's multiarch
 * directories first; lib64 for the distributions that use it). */
static const char *const system_dirs[] = {
        "/lib/x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu",
        "/lib64",
        "/usr/lib64",
        "/lib",
        "/usr/lib",
};

/* Includes deeper than this are taken for a loop (the host's own ldconfig
 * would never finish either). */
#define LDCONF_MAX_DEPTH 8

struct closure {
	char **paths;
	size_t n;
	char **conf_dirs;     /* from /etc/ld.so.conf, read once */
	const char *env_path; /* $LD_LIBRARY_PATH, or NULL */
	uint16_t machine;     /* the executable's e_machine: libraries must match */
};

static bool in_strv(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

/* Appends a copy of s to the NULL-terminated array *v holding *n strings. */
static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));

	if (!nv)
		return -1;
	*v = nv;
	nv[*n] = strdup(s);
	nv[*n + 1] = NULL;
	return nv[(*n)++] ? 0 : -1;
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* One ld.so.conf line with comment and blanks stripped, or "" (in place). */
static char *conf_trim(char *line)
{
	line[strcspn(line, "#\n")] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	size_t len = strlen(line);
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		line[--len] = '\0';
	return line;
}

static int ldconf_read(const char *conf, char ***dirs, size_t *n, int depth, struct vmb_error *err);

/* Follows one `include` pattern of file `conf`. */
static int ldconf_include(const char *conf, const char *pattern, char ***dirs, size_t *n, int depth,
                          struct vmb_error *err)
{
	char full[PATH_MAX];
	const char *slash = strrchr(conf, '/');
	glob_t g;
	int rc = 0;

	/* as ldconfig does: a relative pattern is relative to the including file */
	if (pattern[0] != '/' && slash)
		snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - conf), conf, pattern);
	else
		snprintf(full, sizeof(full), "%s", pattern);
	int g_rc = glob(full, 0, NULL, &g);
	if (g_rc == GLOB_NOMATCH)
		return 0;
	if (g_rc != 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "%s: include %s: glob failed", conf,
		                     pattern);
	for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
		rc = ldconf_read(g.gl_pathv[i], dirs, n, depth + 1, err);
	globfree(&g);
	return rc;
}

static int ldconf_read(const char *conf, char ***dirs, size_t *n, int depth, struct vmb_error *err)
{
	if (depth > LDCONF_MAX_DEPTH)
		return vmb_error_set(err, VMB_ERR_FAIL, "%s: includes nested too deeply", conf);
	FILE *f = fopen(conf, "re");
	if (!f)
		return errno == ENOENT ? 0 : vmb_error_sys(err, errno, "open %s", conf);
	char *buf = NULL;
	size_t cap = 0;
	int rc = 0;
	while (rc == 0 && getline(&buf, &cap, f) >= 0) {
		char *line = conf_trim(buf);
		if (strncmp(line, "include", 7) == 0 && (line[7] == ' ' || line[7] == '\t')) {
			char *save = NULL;
			for (char *p = strtok_r(line + 8, " \t", &save); rc == 0 && p;
			     p = strtok_r(NULL, " \t", &save))
				rc = ldconf_include(conf, p, dirs, n, depth, err);
			continue;
		}
		if (strncmp(line, "hwcap", 5) == 0 && (line[5] == ' ' || line[5] == '\t'))
			continue;                /* obsolete; ldconfig ignores it too */
		line[strcspn(line, "=")] = '\0'; /* an old "dir=TYPE" names the dir */
		size_t len = strlen(line);
		while (len > 1 && line[len - 1] == '/')
			line[--len] = '\0';
		/* a relative directory means nothing to the loader */
		if (line[0] == '/' && !in_strv(*dirs, line) && strv_push(dirs, n, line) < 0)
			rc = vmb_error_sys(err, ENOMEM, "%s", conf);
	}
	free(buf);
	fclose(f);
	return rc;
}

int vmb_ldconf_dirs(const char *conf, char ***dirs, struct vmb_error *err)
{
	size_t n = strv_len(*dirs);

	return ldconf_read(conf, dirs, &n, 0, err);
}

/* The NUL-terminated string at off in a mapping of size bytes, or NULL when it
 * would run past the end (a malformed file). */
static const char *str_at(const unsigned char *m, size_t size, uint64_t off)
{
	if (off >= size || !memchr(m + off, '\0', size - off))
		return NULL;
	return (const char *)m + off;
}

/* File offset of virtual address v, from the PT_LOAD segments; 0 if none. */
static size_t vaddr_to_off(const Elf64_Phdr *ph, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && v >= ph[i].p_vaddr &&
		    v - ph[i].p_vaddr < ph[i].p_filesz)
			return (size_t)(v - ph[i].p_vaddr + ph[i].p_offset);
	return 0;
}

/* Whether path is a 64-bit ELF object for `machine`: the loader skips any
 * other (a 32-bit library in a biarch directory, say) and goes on looking. */
static bool compatible(const char *path, uint16_t machine)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	bool ok = pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) &&
	          memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	          eh.e_machine == machine;
	close(fd);
	return ok;
}

/* Copies the n bytes of s to out (len bytes, always terminated) with each
 * $ORIGIN or ${ORIGIN} replaced by origin, as the loader expands run paths. */
static void expand_origin(const char *s, size_t n, const char *origin, char *out, size_t len)
{
	size_t d = 0;

	for (size_t i = 0; i < n && d + 1 < len;) {
		size_t tok = n - i >= 9 && strncmp(s + i, "${ORIGIN}", 9) == 0 ? 9
		             : n - i >= 7 && strncmp(s + i, "$ORIGIN", 7) == 0 ? 7
		                                                               : 0;
		if (!tok) {
			out[d++] = s[i++];
			continue;
		}
		size_t olen = strlen(origin);
		if (olen > len - d - 1)
			olen = len - d - 1;
		memcpy(out + d, origin, olen);
		d += olen;
		i += tok;
	}
	out[d] = '\0';
}

/* Looks for name in each directory of a ':'- or ';'-separated list, $ORIGIN
 * standing for `origin` and an empty entry for the current directory, as for
 * the loader; writes the first fit to out. */
static bool search_list(const struct closure *c, const char *list, const char *origin,
                        const char *name, char *out, size_t len)
{
	while (list && *list) {
		size_t seg = strcspn(list, ":;");
		char dir[PATH_MAX];
		expand_origin(list, seg, origin, dir, sizeof(dir));
		if ((size_t)snprintf(out, len, "%s/%s", dir[0] ? dir : ".", name) < len &&
		    compatible(out, c->machine))
			return true;
		list += seg;
		if (*list)
			list++;
	}
	return false;
}

/* Where the loader finds `name` for an object in directory `origin` with run
 * path `runpath` (DT_RUNPATH) and inherited DT_RPATH chain `rpaths`. */
static int resolve(const struct closure *c, const char *name, const char *origin,
                   const char *runpath, const char *rpaths, char *out, size_t len)
{
	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, R_OK);
	}
	/* DT_RPATH counts only when the object has no DT_RUNPATH */
	if (!runpath && search_list(c, rpaths, origin, name, out, len))
		return 0;
	if (search_list(c, c->env_path, origin, name, out, len) ||
	    search_list(c, runpath, origin, name, out, len))
		return 0;
	for (char **d = c->conf_dirs; d && *d; d++)
		if ((size_t)snprintf(out, len, "%s/%s", *d, name) < len &&
		    compatible(out, c->machine))
			return 0;
	for (size_t i = 0; i < VMB_ARRAY_SIZE(system_dirs); i++)
		if ((size_t)snprintf(out, len, "%s/%s", system_dirs[i], name) < len &&
		    compatible(out, c->machine))
			return 0;
	return -1;
}

/* The DT_RPATH chain for path's own dependencies: its DT_RPATH (NULL when it
 * has a DT_RUNPATH) with its own $ORIGIN expanded now (a dependency has
 * another), before those of the objects that loaded it. malloc'd, or NULL for
 * no memory. */
static char *rpath_chain(const char *rpath, const char *origin, const char *inherited)
{
	char expanded[PATH_MAX * 2];
	char *out = NULL;

	if (!rpath || !*rpath)
		return strdup(inherited ? inherited : "");
	expand_origin(rpath, strlen(rpath), origin, expanded, sizeof(expanded));
	if (asprintf(&out, "%s%s%s", expanded, inherited && *inherited ? ":" : "",
	             inherited ? inherited : "") < 0)
		return NULL;
	return out;
}

/* Makes a path found through a relative directory (of $LD_LIBRARY_PATH, say)
 * absolute, from the current directory as the loader would take it: the image
 * places each library at its absolute path. 0, or -1 with errno set. */
static int make_absolute(char *path, size_t len)
{
	char cwd[PATH_MAX], joined[PATH_MAX * 2];

	if (path[0] == '/')
		return 0;
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", cwd, path) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(path, len, "%s", joined);
	return 0;
}

static int walk(struct closure *c, const char *path, const char *rpaths, int depth,
                struct vmb_error *err);

/* Resolves and walks each DT_NEEDED of the mapped object at path. */
static int walk_needed(struct closure *c, const char *path, const unsigned char *m, size_t size,
                       const Elf64_Phdr *ph, unsigned nph, const Elf64_Dyn *dyn, size_t ndyn,
                       const char *rpaths, int depth, struct vmb_error *err)
{
	uint64_t strtab = 0;
	const char *runpath = NULL, *rpath = NULL;
	char origin[PATH_MAX], real[PATH_MAX];

	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++)
		if (dyn[i].d_tag == DT_STRTAB)
			strtab = dyn[i].d_un.d_ptr;
	size_t stroff = strtab ? vaddr_to_off(ph, nph, strtab) : 0;
	if (!stroff)
		return 0;
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag == DT_RUNPATH)
			runpath = str_at(m, size, stroff + dyn[i].d_un.d_val);
		else if (dyn[i].d_tag == DT_RPATH)
			rpath = str_at(m, size, stroff + dyn[i].d_un.d_val);
	}
	/* $ORIGIN is the directory the object really lies in */
	snprintf(origin, sizeof(origin), "%s", realpath(path, real) ? real : path);
	char *slash = strrchr(origin, '/');
	if (slash)
		*(slash == origin ? slash + 1 : slash) = '\0';
	else
		snprintf(origin, sizeof(origin), ".");
	vmb_autofree char *chain = rpath_chain(runpath ? NULL : rpath, origin, rpaths);
	if (!chain)
		return vmb_error_sys(err, ENOMEM, "closure");
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag != DT_NEEDED)
			continue;
		const char *name = str_at(m, size, stroff + dyn[i].d_un.d_val);
		char found[PATH_MAX];
		if (!name)
			return vmb_error_set(err, VMB_ERR_FAIL, "%s: malformed DT_NEEDED", path);
		if (resolve(c, name, origin, runpath, chain, found, sizeof(found)) < 0)
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "%s needs %s, which is not installed", path, name);
		if (make_absolute(found, sizeof(found)) < 0)
			return vmb_error_sys(err, errno, "%s: %s", path, found);
		if (in_strv(c->paths, found))
			continue;
		if (strv_push(&c->paths, &c->n, found) < 0)
			return vmb_error_sys(err, ENOMEM, "closure");
		if (walk(c, found, chain, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

/* Adds what `path` needs (interpreter and DT_NEEDED, recursively) to c. */
static int walk(struct closure *c, const char *path, const char *rpaths, int depth,
                struct vmb_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (depth > 16) {
		if (fd >= 0)
			close(fd);
		return vmb_error_set(err, VMB_ERR_FAIL, "%s: library chain too deep", path);
	}
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
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff % 8 || eh->e_phoff > size ||
	    eh->e_phnum > (size - eh->e_phoff) / sizeof(Elf64_Phdr)) {
		rc = vmb_error_set(err, VMB_ERR_FAIL, "%s: not a 64-bit ELF file", path);
		goto out;
	}
	if (depth == 0)
		c->machine = eh->e_machine;
	const Elf64_Phdr *ph = (const void *)(m + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	size_t ndyn = 0;
	for (unsigned i = 0; rc == 0 && i < eh->e_phnum; i++) {
		if (ph[i].p_offset > size || ph[i].p_filesz > size - ph[i].p_offset)
			continue;
		if (ph[i].p_type == PT_INTERP) {
			char interp[PATH_MAX];
			size_t len = strnlen((const char *)m + ph[i].p_offset, ph[i].p_filesz);
			if (len == 0 || len >= sizeof(interp)) {
				rc = vmb_error_set(err, VMB_ERR_FAIL, "%s: malformed PT_INTERP",
				                   path);
				break;
			}
			memcpy(interp, m + ph[i].p_offset, len);
			interp[len] = '\0';
			if (make_absolute(interp, sizeof(interp)) < 0) {
				rc = vmb_error_sys(err, errno, "%s: %s", path, interp);
				break;
			}
			if (!in_strv(c->paths, interp) && strv_push(&c->paths, &c->n, interp) < 0)
				rc = vmb_error_sys(err, ENOMEM, "closure");
		} else if (ph[i].p_type == PT_DYNAMIC && ph[i].p_offset % 8 == 0) {
			dyn = (const void *)(m + ph[i].p_offset);
			ndyn = ph[i].p_filesz / sizeof(Elf64_Dyn);
		}
	}
	if (rc == 0)
		rc = walk_needed(c, path, m, size, ph, eh->e_phnum, dyn, ndyn, rpaths, depth, err);
out:
	munmap((void *)m, size);
	return rc;
}

char **vmb_elf_closure(const char *exe, struct vmb_error *err)
{
	struct closure c = {.paths = calloc(1, sizeof(char *)),
	                    .env_path = getenv("LD_LIBRARY_PATH")};

	if (!c.paths) {
		vmb_error_sys(err, ENOMEM, "closure");
		return NULL;
	}
	if (vmb_ldconf_dirs("/etc/ld.so.conf", &c.conf_dirs, err) < 0 ||
	    walk(&c, exe, NULL, 0, err) < 0) {
		vmb_strv_free(c.conf_dirs);
		vmb_strv_free(c.paths);
		return NULL;
	}
	vmb_strv_free(c.conf_dirs);
	return c.paths;
}
