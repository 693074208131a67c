/* metric.h: the metric registry's entry. Every figure vmbench aggregates is declared once,
 * by whoever produces it (the core, a runner, a workload), with its unit, which way is
 * better and how repeated values combine; the summary, the report and the gate only
 * read these declarations, which every results.json carries under "metrics". */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* Which way a figure improves: the sign of an overhead depends on it. */
enum vmb_better {
	VMB_LOWER_IS_BETTER = 0, /* times, memory */
	VMB_HIGHER_IS_BETTER,    /* rates */
};

/* Which statistic of the repeated values stands for the case. Every
 * aggregate carries them all; this one is the headline. */
enum vmb_aggregate {
	VMB_AGG_MEDIAN = 0, /* with its bootstrap interval: the default */
	VMB_AGG_MEAN,
	VMB_AGG_MAX,
};

struct vmb_metric {
	const char *name; /* key in a case's "aggregates"; NULL ends a table */
	const char *unit;
	enum vmb_better better;
	enum vmb_aggregate aggregate;
	const char *help; /* one line: what it measures, from where */
	/* The figure in one sample (the sample's JSON object), or NAN when the
	 * sample does not have it. */
	double (*get)(json_t *sample);
	/* Else, the figure's dotted path in the sample ("agent.figures.x"). */
	const char *path;
};

/* The figure m in one sample, or NAN. */
double vmb_metric_value(const struct vmb_metric *m, json_t *sample);

/* The figures of every case, whatever its runner (report/metrics.c). */
extern const struct vmb_metric vmb_core_metrics[];

#define VMB_MAX_METRICS 256

/* The metrics of one run: the core's, then each runner's, then each chosen
 * workload's, in order. A workload's own figures apply to its cases only. */
struct vmb_metric_list {
	const struct vmb_metric *m[VMB_MAX_METRICS];
	const char *owner[VMB_MAX_METRICS]; /* "core", the runner's or the workload's name */
	bool of_workload[VMB_MAX_METRICS];  /* declared by workloads: only theirs have it */
	unsigned n;
	/* which workload declared which of them (a name two workloads declare
	 * alike is listed once above, and twice here) */
	struct {
		const char *workload, *metric;
	} decl[VMB_MAX_METRICS];
	unsigned ndecl;
};

/* Appends a NULL-name-terminated table (may be NULL); a name already listed
 * is not added twice. Returns -1 when the list is full or a name is declared
 * twice with another unit, direction or aggregate, else 0. */
int vmb_metrics_add(struct vmb_metric_list *l, const struct vmb_metric *table, const char *owner);

/* Appends workload w's own table: its figures apply to w's cases only.
 * -1 as vmb_metrics_add. */
int vmb_metrics_add_workload(struct vmb_metric_list *l, const struct vmb_metric *table,
                             const char *w);

/* Whether metric i of the list is a figure of workload w's cases. */
bool vmb_metric_applies(const struct vmb_metric_list *l, unsigned i, const char *w);

/* The declarations as results.json's "metrics": {name: {unit, better,
 * aggregate, help, owner}} (new reference). */
json_t *vmb_metrics_json(const struct vmb_metric_list *l);

/* "lower" or "higher"; and the aggregate's name ("median", "mean", "max"). */
const char *vmb_better_name(enum vmb_better b);
const char *vmb_aggregate_name(enum vmb_aggregate a);

/* A number in a sample by a dotted path ("host.cgroup.oom_kills"), or NAN
 * when any step is missing or the value is not a number. */
double vmb_sample_num(json_t *sample, const char *path);

/* phases[to] - phases[from] of a sample, or NAN. */
double vmb_sample_phase_gap(json_t *sample, const char *from, const char *to);
