/* image.h: the agent's root file system, made once and reused: the agent binary, its
 * shared-library closure and the few files it needs. The container runner uses it as
 * the overlay's lower layer; the VM runner packs the same files into its initramfs. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vmbench/error.h"

/* Where the agent sits inside an image. */
#define VMB_IMAGE_AGENT "/usr/local/bin/vmbench-agent"

/* Mount points every image has, relative to its root. */
extern const char *const vmb_image_dirs[];

/* The absolute host paths of exe's shared-library closure, the program
 * interpreter included, read from the ELF files themselves (PT_INTERP,
 * DT_NEEDED, DT_RUNPATH; runners/elf.c), as a NULL-terminated malloc'd array
 * of malloc'd strings; free with vmb_strv_free. A static executable has an
 * empty closure. NULL with err set on failure. */
char **vmb_image_closure(const char *exe, struct vmb_error *err);
void vmb_strv_free(char **v);

/* Makes sure an image for `agent` exists in the cache ($VMBENCH_CACHE, else
 * /var/cache/vmbench as root, else ~/.cache/vmbench) and writes its path to
 * out. The image is keyed by the contents of the agent and the identity of
 * every library, so it is rebuilt only when one of them changes; it is built
 * in a temporary directory and renamed into place. 0 or -1 with err set. */
int vmb_image_ensure(const char *agent, char *out, size_t len, struct vmb_error *err);

/* Checks that dir is a usable image (a directory holding an executable
 * agent); 0 or -1 with a usage error naming dir. */
int vmb_image_check(const char *dir, struct vmb_error *err);

/* Cache keys: FNV-1a over bytes, over a file's contents, and over a file's
 * identity (path, size, modification time). 0 or -1 with err set. */
uint64_t vmb_fnv(uint64_t h, const void *p, size_t len);
int vmb_hash_file(uint64_t *h, const char *path, struct vmb_error *err);
int vmb_hash_identity(uint64_t *h, const char *path, struct vmb_error *err);

/* vmbench's cache directory: $VMBENCH_CACHE, else /var/cache/vmbench as
 * root, else ~/.cache/vmbench. */
void vmb_cache_root(char *buf, size_t len);
