/* cache.h: vmbench's cache directory and the keys that tell cached builds apart. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vmbench/error.h"

/* The FNV-1a offset basis: the value every key starts from. */
#define VMB_FNV_BASIS 0xcbf29ce484222325ULL

/* Cache keys: FNV-1a over bytes, over a file's contents, and over a file's
 * identity (path, size, modification time). 0 or -1 with err set. */
uint64_t vmb_fnv(uint64_t h, const void *p, size_t len);
int vmb_hash_file(uint64_t *h, const char *path, struct vmb_error *err);
int vmb_hash_identity(uint64_t *h, const char *path, struct vmb_error *err);

/* vmbench's cache directory: $VMBENCH_CACHE, else /var/cache/vmbench as
 * root, else ~/.cache/vmbench. */
void vmb_cache_root(char *buf, size_t len);
