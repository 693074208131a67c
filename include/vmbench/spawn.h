/* spawn.h: the one way vmbench starts a helper process (agent, vmbench-init, the VMM). */
#pragma once

#include <sched.h>
#include <sys/types.h>

#include "vmbench/error.h"

#define VMB_SPAWN_MAX_FDS 8

/* What the child gets. Every other descriptor is closed before exec, so
 * nothing of vmbench's (results files, other instances' pipes) leaks into an
 * instance, whatever its close-on-exec flag. */
struct vmb_spawn {
	char *const *argv;          /* argv[0] is the program's path */
	char *const *envp;          /* NULL: inherit vmbench's environment */
	int fds[VMB_SPAWN_MAX_FDS]; /* fds[i] becomes descriptor 3 + i; -1 leaves it closed */
	unsigned nfds;
	int log_fd;            /* the child's stdout and stderr; stdin is /dev/null */
	const cpu_set_t *cpus; /* where the child may run; NULL: anywhere vmbench may */
};

/* Forks and execs s->argv[0]. The child dies with vmbench (SIGKILL on the
 * parent's death), starts with no signal blocked and SIGPIPE at its default,
 * and is pinned to s->cpus. A failure between fork and exec is written to
 * log_fd and the child exits 127. Sets *pid; 0, or -1 with err set (fork
 * failed; nothing was started). The caller keeps its descriptors. */
int vmb_spawn(const struct vmb_spawn *s, pid_t *pid, struct vmb_error *err);
