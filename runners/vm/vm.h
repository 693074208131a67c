/* vm.h: the VM runner's host side inside vmbench: the guest kernel (kernel.c). */
#pragma once

#include <limits.h>

#include "vmbench/error.h"

struct vmb_guest_kernel {
	char path[PATH_MAX];
	char moddir[PATH_MAX]; /* its modules, or "" */
	char version[128];     /* from the bzImage header */
	char source[160];      /* where it came from, for the results */
};

/* Finds the guest kernel: `explicit` (--kernel; a usage error if it is not a
 * bootable bzImage), else the host's /boot/vmlinuz-$(uname -r), else Debian's
 * cloud kernel in the cache, fetched with apt-get download on first use. */
int vmb_guest_kernel_find(const char *explicit, struct vmb_guest_kernel *k, struct vmb_error *err);

/* Checks that path is a bzImage the VMM can boot; 0, or -1 with a usage
 * error naming --kernel and the file. */
int vmb_guest_kernel_check(const char *path, struct vmb_error *err);
