/* spawn.c: fork and exec with fixed descriptors, a pinned CPU set, death with the parent,
 * and nothing else inherited. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmbench/spawn.h"

extern char **environ;

/* Between fork and exec: the one place that may die on the spot. */
static __attribute__((noreturn)) void child(const struct vmb_spawn *s, pid_t parent)
{
	int raised[VMB_SPAWN_MAX_FDS], top = 3 + (int)s->nfds;
	sigset_t none;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127); /* vmbench is already gone */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (s->cpus && sched_setaffinity(0, sizeof(*s->cpus), s->cpus) < 0) {
		dprintf(s->log_fd, "vmbench: sched_setaffinity: %s\n", strerror(errno));
		_exit(127);
	}
	/* Lift every source above the targets first, so no dup2 overwrites a
	 * source that a later one still needs. */
	int log = fcntl(s->log_fd, F_DUPFD_CLOEXEC, top);
	for (unsigned i = 0; i < s->nfds; i++)
		raised[i] = s->fds[i] >= 0 ? fcntl(s->fds[i], F_DUPFD_CLOEXEC, top) : -1;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (log < 0 || null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(127);
	for (unsigned i = 0; i < s->nfds; i++) {
		if (s->fds[i] >= 0 && (raised[i] < 0 || dup2(raised[i], 3 + (int)i) < 0))
			_exit(127);
		if (s->fds[i] < 0)
			close(3 + (int)i);
	}
	/* everything above the targets goes, close-on-exec or not */
	if (syscall(SYS_close_range, (unsigned)top, ~0u, 0) < 0)
		for (int fd = top; fd < 1024; fd++)
			close(fd);
	execve(s->argv[0], s->argv, s->envp ? s->envp : environ);
	dprintf(2, "vmbench: exec %s: %s\n", s->argv[0], strerror(errno));
	_exit(127);
}

int vmb_spawn(const struct vmb_spawn *s, pid_t *pid, struct vmb_error *err)
{
	pid_t parent = getpid();

	if (s->nfds > VMB_SPAWN_MAX_FDS)
		return vmb_error_set(err, VMB_ERR_FAIL, "spawn %s: too many descriptors",
		                     s->argv[0]);
	*pid = fork();
	if (*pid == 0)
		child(s, parent);
	if (*pid < 0)
		return vmb_error_sys(err, errno, "fork for %s", s->argv[0]);
	return 0;
}
