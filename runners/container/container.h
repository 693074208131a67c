/* container.h: the contract between the container runner's host side (container.c,
 * inside vmbench) and vmbench-init (init.c + child.c), the small static program that
 * clones the container and becomes its PID 1. */
#pragma once

/* vmbench-init inherits these descriptors from vmbench. */
enum {
	VMB_INIT_FD_CHAN = 3, /* results channel, write end (the agent gets it as fd 3 too) */
	VMB_INIT_FD_SYNC = 4, /* host -> container: id maps are written, go on */
	VMB_INIT_FD_CTL = 5,  /* host -> helper: clone now */
	VMB_INIT_FD_PID = 6,  /* helper -> host: the container's PID 1 (int32, host pid),
	                       * then, when PID 1 is gone, the helper's private KiB (int32) */
	VMB_INIT_FD_INIT = 7, /* PID 1 -> host: one "init" record, how the agent ended and
	                       * PID 1's own memory; the agent never holds it, so it cannot
	                       * speak for its init */
};

/* Everything the container's side needs, parsed from vmbench-init's argv:
 *   vmbench-init IMAGE INSTANCE_DIR VOLUME|- HOSTNAME -- AGENT ARGS... */
struct vmb_ctr_child {
	const char *image;    /* lower layer */
	const char *inst_dir; /* upper/, work/, merged/ live here */
	const char *volume;   /* host directory bind-mounted at /data, or NULL */
	const char *hostname;
	char **agent_argv; /* argv of the agent, inside the container */
};

/* The container's entry point (clone's fn): sets up mounts, root, devices,
 * hostname and loopback, then runs as the container's init: starts the agent
 * with every capability dropped, reaps, and reports how the agent ended on
 * the channel before exiting. Never returns. */
int vmb_ctr_child_main(void *arg);
