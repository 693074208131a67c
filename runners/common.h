/* common.h: helpers the process-based runners share (native, unshare, container, vm). */
#pragma once

#include "vmbench/runner.h"

/* Builds argv for the agent: agent_path, the spec's arguments, then
 * "--fd" fd_arg, and "--dir" dir_arg unless dir_arg is NULL. The array is
 * malloc'd; the strings are borrowed (free the array alone). */
char **vmb_agent_argv(const struct vmb_launch *spec, const char *fd_arg, const char *dir_arg);

/* Forks and execs the agent with its results channel on fd 3, pinned, stderr
 * to spec->log_path; with `prefix` (NULL-terminated, prefix[0] a path), runs
 * prefix... -- agent args instead (a wrapper such as unshare). Records the
 * "launch" phase; sets inst->pid and inst->chan_fd. 0 or -1 with err set. */
int vmb_spawn_agent(struct vmb_instance *inst, char *const *prefix, struct vmb_error *err);

/* Collects the agent's records from inst->chan_fd, then reaps inst->pid;
 * kills it when collection fails. 0 or -1 with err set. */
int vmb_wait_agent_process(struct vmb_instance *inst, struct vmb_error *err);

/* For teardown: closes the channel and, if the process still runs, kills and
 * reaps it, ignoring errors. */
void vmb_reap_quietly(struct vmb_instance *inst);
