/* image.h: the agent's root file system, made once and reused: the agent binary, its
 * shared-library closure, the loader's configuration that finds it and the few files it
 * needs. The container runner uses it as the overlay's lower layer; the VM runner packs
 * the same tree into its initramfs. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vmbench/error.h"

/* Where the agent sits inside an image. */
#define VMB_IMAGE_AGENT "/usr/local/bin/vmbench-agent"

/* The exec workload's program (workloads/true.c): built beside the agent,
 * and inside an image beside the agent too, where the agent finds it. */
#define VMB_TRUE_NAME  "vmbench-true"
#define VMB_IMAGE_TRUE "/usr/local/bin/" VMB_TRUE_NAME

/* Mount points every image has, relative to its root. */
extern const char *const vmb_image_dirs[];

/* Makes sure an image for `agent` exists in the cache ($VMBENCH_CACHE, else
 * /var/cache/vmbench as root, else ~/.cache/vmbench) and writes its path to
 * out. The image holds the agent at VMB_IMAGE_AGENT, the vmbench-true found
 * beside the agent's real file (if any) at VMB_IMAGE_TRUE, each library of
 * its closure (vmb_elf_closure, so $LD_LIBRARY_PATH counts) at its host path,
 * etc/ld.so.conf naming the directories of those libraries and the
 * etc/ld.so.cache that ldconfig (found in /sbin, /usr/sbin or $PATH) builds
 * from it for the image's root, so that the loader finds every library
 * wherever the host found it, even with a clean environment. The image is
 * keyed by the contents of the agent and of vmbench-true (or its absence),
 * the identity of every library and the list of their directories, so it is
 * rebuilt only when one of them changes; it is built in a temporary
 * directory and renamed into place. 0 or -1 with err set: among the reasons,
 * no ldconfig or a failed one, and a library under /proc, /sys, /dev, /tmp
 * or /data, which the container and the guest mount over. */
int vmb_image_ensure(const char *agent, char *out, size_t len, struct vmb_error *err);

/* Checks that dir is a usable image (a directory holding an executable
 * agent); 0 or -1 with a usage error naming dir. */
int vmb_image_check(const char *dir, struct vmb_error *err);
