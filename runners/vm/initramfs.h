/* initramfs.h: the VM runner's guest root: a cpio (newc) archive written by vmbench. */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "vmbench/error.h"

/* A cpio archive being written. */
struct vmb_cpio {
	FILE *f;
	unsigned ino;
	int failed;
};

/* Entries: a directory, a regular file copied from the host (mode from
 * `mode`), a file from memory, a symbolic link to `target`, a character
 * device node, and the trailer. Errors are sticky (c->failed holds an errno
 * value): check vmb_cpio_finish's result. */
void vmb_cpio_dir(struct vmb_cpio *c, const char *name);
void vmb_cpio_file(struct vmb_cpio *c, const char *name, const char *host_path, unsigned mode);
void vmb_cpio_data(struct vmb_cpio *c, const char *name, const void *data, size_t len,
                   unsigned mode);
void vmb_cpio_symlink(struct vmb_cpio *c, const char *name, const char *target);
void vmb_cpio_chardev(struct vmb_cpio *c, const char *name, unsigned major, unsigned minor);
int vmb_cpio_finish(struct vmb_cpio *c);

/* Makes (or finds in the cache) the guest's initramfs: the agent's image
 * (vmb_image_ensure, made first if need be) as it is, so that the guest gets
 * the very files the container gets, the loader's etc/ld.so.conf and
 * etc/ld.so.cache among them; then vmbench-guest-init as /init,
 * /dev/console, and under /modules the kernel modules named in `modules`
 * (NULL-terminated) with everything they depend on, from moddir (the
 * kernel's lib/modules/VERSION; may be NULL when no module is named), their
 * load order in /modules/order. The cache key covers every input. Writes the
 * archive's path to out; 0, or -1 with err set. */
int vmb_initramfs_ensure(const char *agent, const char *guest_init, const char *moddir,
                         const char *const *modules, char *out, size_t len, struct vmb_error *err);

/* Resolves module `name` and what it depends on (the depends= field of each
 * module's .modinfo section; a package unpacked with dpkg -x has no
 * modules.dep) under moddir, appending paths in load order to *paths
 * (NULL-terminated, malloc'd). A module not found is taken to be built in. */
int vmb_modules_resolve(const char *moddir, const char *name, char ***paths, size_t *n,
                        struct vmb_error *err);
