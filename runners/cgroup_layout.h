/* cgroup_layout.h: what differs between cgroup v1 and v2, as one ops table per layout
 * (crun's cgroup managers are the model); cgroup.c does the rest through libcgroup. */
#pragma once

#include <jansson.h>
#include <libcgroup.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmbench/cgroup.h"

#define CG_MAX_CTRL 8

struct cg_layout;

struct vmb_cgroup {
	char name[128];
	const struct cg_layout *layout;
	struct cgroup *cg;
	const char *ctrl[CG_MAX_CTRL]; /* controllers made, in the layout's names */
	unsigned nctrl;
	json_t *limits;        /* file -> value written */
	uint64_t memory_limit; /* bytes; 0: none */
};

/* Counters as read: named values, and the reason for each one missing. */
struct cg_reading {
	json_t *out, *missing;
};

struct cg_layout {
	const char *version; /* "v1" or "v2": recorded with the counters */
	/* the controllers vmbench uses, in this layout's names */
	const char *const *controllers;
	unsigned ncontrollers;
	/* the controllers this host offers, " a b c " (spaces around each) */
	void (*offered)(char *buf, size_t len);
	/* writes --memory, --cpus and the cpuset into c's files (before the
	 * cgroup is created); 0 or -1 with err set */
	int (*limit)(struct vmb_cgroup *c, const struct vmb_cgroup_limits *lim,
	             struct vmb_error *err);
	/* reads the counters under the names of cgroup.h */
	void (*read)(struct cgroup *fresh, struct cg_reading *r);
};

extern const struct cg_layout vmb_cg_v1, vmb_cg_v2;

/* Helpers of cgroup.c the layouts share. */
bool cg_has_ctrl(const struct vmb_cgroup *c, const char *name);
int cg_set(struct vmb_cgroup *c, const char *ctrl, const char *key, const char *val,
           struct vmb_error *err);
char *cg_get(struct cgroup *fresh, const char *ctrl, const char *key); /* malloc'd or NULL */
void cg_put(struct cg_reading *r, const char *name, bool ok, long long v, const char *why);
void cg_cpuset_string(const cpu_set_t *set, char *buf, size_t len);
