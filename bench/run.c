/* run.c: `vmbench run`: plans the cases and runs every instance; each sample goes to the
 * journal as it comes, and results.json is rewritten whole at every case's end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/density.h"
#include "bench/repeat.h"
#include "bench/run.h"
#include "vmbench/cgroup.h"
#include "vmbench/host.h"
#include "vmbench/journal.h"
#include "vmbench/noise.h"
#include "vmbench/report.h"
#include "vmbench/results.h"
#include "vmbench/stats.h"
#include "vmbench/util.h"
#include "version.h"

struct run_state {
	const struct vmb_run_opts *o;
	struct vmb_case *cases;
	int ncases;
	json_t *root;
	json_t *jcases;
	char dir[PATH_MAX - 64];
	char logs[PATH_MAX - 32];
	char scratch[80];
	char volume
	        [PATH_MAX]; /* the I/O volume every runner uses: one directory, one file system */
	char agent[PATH_MAX];
	void *config[VMB_MAX_LIST];      /* each selected runner's, from its configure hook */
	char refused[VMB_MAX_LIST][256]; /* a setting it cannot honour, or "" */
	struct vmb_metric_list metrics;
	struct vmb_placement place;
	/* where density and noisy-neighbour cases place their instances: every
	 * core unless --cores says (a host's density is the whole host's) */
	struct vmb_placement group_place;
	bool group_own; /* group_place was chosen apart from place */
	int journal_fd; /* samples.jsonl: every sample, flushed as it comes */
	uint64_t t_start;
	unsigned total, done; /* instances planned and finished */
	uint64_t instance_ns; /* time spent in finished instances */
	bool tty;
	int failed_cases;
	json_t *sweeps; /* root's density.sweeps: one per (workload, runner) swept */
};

static void default_out(char *buf, size_t len)
{
	char stamp[32];
	uint64_t now = vmb_wall_ns();

	vmb_iso8601(now, stamp, sizeof(stamp));
	/* 2026-11-27T16:51:55.123Z -> 20261127T165155Z */
	snprintf(buf, len, "results/%.4s%.2s%.2sT%.2s%.2s%.2sZ-%d", stamp, stamp + 5, stamp + 8,
	         stamp + 11, stamp + 14, stamp + 17, (int)getpid());
}

/* Makes the run's directory; it must not exist, so nothing is overwritten. */
static int make_out_dir(struct run_state *s, struct vmb_error *err)
{
	if (s->o->out)
		snprintf(s->dir, sizeof(s->dir), "%s", s->o->out);
	else
		default_out(s->dir, sizeof(s->dir));
	if (vmb_mkdir_parents(s->dir, err) < 0) {
		err->kind = VMB_ERR_USAGE;
		return vmb_error_prefix(err, "--out %s", s->dir);
	}
	if (mkdir(s->dir, 0755) < 0) {
		if (errno == EEXIST)
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "--out %s: already exists; vmbench never overwrites "
			                     "results, choose a new directory",
			                     s->dir);
		vmb_error_sys(err, errno, "--out %s: cannot create the results directory", s->dir);
		err->kind = VMB_ERR_USAGE;
		return -1;
	}
	snprintf(s->logs, sizeof(s->logs), "%s/logs", s->dir);
	if (mkdir(s->logs, 0755) < 0)
		return vmb_error_sys(err, errno, "mkdir %s", s->logs);
	char journal[PATH_MAX];
	snprintf(journal, sizeof(journal), "%s/%s", s->dir, VMB_JOURNAL);
	s->journal_fd = open(journal, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
	if (s->journal_fd < 0)
		return vmb_error_sys(err, errno, "create %s", journal);
	return 0;
}

static json_t *config_json(struct run_state *s)
{
	json_t *suites = json_array(), *runners = json_array();

	for (unsigned i = 0; i < s->o->nsuites; i++)
		json_array_append_new(suites, json_string(s->o->suites[i]));
	for (unsigned i = 0; i < s->o->nrunners; i++)
		json_array_append_new(runners, json_string(s->o->runners[i]->name));
	json_t *ropts = json_array();
	for (unsigned i = 0; i < s->o->nropts; i++)
		json_array_append_new(ropts, json_pack("{s:s, s:s, s:s}", "runner",
		                                       s->o->ropt_owner[i]->name, "option",
		                                       s->o->ropts[i].name, "value",
		                                       s->o->ropts[i].value));
	json_t *j =
	        json_pack("{s:o, s:o, s:i, s:i, s:I, s:f, s:f, s:O, s:s, s:s, s:o}", "suites",
	                  suites, "runners", runners, "reps", (int)s->o->reps, "warmup",
	                  (int)s->o->warmup, "seed", (json_int_t)s->o->seed, "scale", s->o->scale,
	                  "timeout_s", s->o->timeout_s, "placement", s->place.desc, "agent",
	                  s->agent, "baseline", s->o->baseline, "runner_options", ropts);
	if (s->o->cpus > 0)
		json_object_set_new(j, "cpus", json_real(s->o->cpus));
	if (s->o->memory)
		json_object_set_new(j, "memory_bytes", json_integer((json_int_t)s->o->memory));
	/* the file system the disk workloads measured */
	struct statfs sfs;
	char why[300] = "";
	json_t *vol = json_pack("{s:s}", "dir", s->o->volume);
	if (statfs(s->o->volume, &sfs) == 0)
		json_object_set_new(vol, "fs_magic", json_integer((json_int_t)sfs.f_type));
	if (vmb_volume_not_disk(s->o->volume, why, sizeof(why)))
		json_object_set_new(vol, "not_a_disk", json_string(why));
	json_object_set_new(j, "volume", vol);
	if (s->o->quick)
		json_object_set_new(j, "quick", json_true());
	return j;
}

/* Workload parameters after --scale and --param, as passed to the agent. */
static void case_params(const struct vmb_run_opts *o, const struct vmb_workload *w, uint64_t *val)
{
	for (unsigned i = 0; i < vmb_workload_nparams(w); i++)
		val[i] = vmb_param_value(o, w, i);
}

/* A case whose instances run many at once: a density point, or a victim
 * and its comparison alone. */
static bool group_case(const struct vmb_case *c)
{
	return c->instances > 0 || c->neighbours >= 0;
}

static const struct vmb_placement *case_place(const struct run_state *s, const struct vmb_case *c)
{
	return group_case(c) && s->group_own ? &s->group_place : &s->place;
}

/* The copies a case's parallel workload runs: --cores, whatever its
 * placement (a victim among neighbours on every core runs as many copies as
 * alone, and as many as a VM runner's guest has vCPUs). */
static unsigned case_cores(const struct run_state *s, const struct vmb_case *c)
{
	(void)c;
	return s->o->cores;
}

static json_t *case_json(struct run_state *s, const struct vmb_case *c)
{
	uint64_t val[VMB_MAX_PARAMS];
	json_t *params = json_object();

	case_params(s->o, c->workload, val);
	for (unsigned i = 0; i < vmb_workload_nparams(c->workload); i++)
		json_object_set_new(params, c->workload->params[i].name,
		                    json_integer((json_int_t)val[i]));
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:[]}", "workload", c->workload->name,
	                      "suite", c->workload->suite, "runner", c->runner->name, "headline",
	                      vmb_workload_headline(c->workload), "params", params, "status",
	                      c->skip_reason ? "skipped" : "pending", "samples");
	if (c->workload->parallel)
		json_object_set_new(j, "threads", json_integer(case_cores(s, c)));
	if (group_case(c) && s->group_own)
		json_object_set(j, "placement", s->group_place.desc);
	if (c->instances) {
		json_t *d = json_pack("{s:i}", "instances", (int)c->instances);
		if (s->o->rate > 0)
			json_object_set_new(d, "rate_per_s", json_real(s->o->rate));
		json_object_set_new(j, "density", d);
	}
	if (c->neighbours >= 0) {
		static const char *const loads[] = {"idle", "cpu", "mem"};
		json_t *nb = json_pack("{s:i}", "count", c->neighbours);
		if (c->neighbours > 0) {
			json_object_set_new(nb, "load", json_string(loads[c->load % 3]));
			json_object_set_new(nb, "workload", json_string("hold"));
		}
		json_object_set_new(j, "neighbours", nb);
	}
	if (c->skip_reason)
		json_object_set_new(j, "reason", json_string(c->skip_reason));
	return j;
}

static int save(struct run_state *s, struct vmb_error *err)
{
	json_object_set_new(s->root, "not_measured", vmb_results_not_measured(s->jcases));
	return vmb_results_save(s->root, s->dir, err);
}

static void decref_p(json_t **j)
{
	json_decref(*j);
}
#define vmb_autojson __attribute__((cleanup(decref_p)))

/* The command line as typed (taken before parsing, which splits lists in
 * place). */
static json_t *command_line(int argc, char **argv)
{
	json_t *cmd = json_array();

	json_array_append_new(cmd, json_string(program_invocation_name));
	for (int i = 0; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	return cmd;
}

static int begin(struct run_state *s, json_t *cmd, struct vmb_error *err)
{
	char when[32];

	vmb_iso8601(vmb_wall_ns(), when, sizeof(when));
	s->jcases = json_array();
	for (int i = 0; i < s->ncases; i++)
		json_array_append_new(s->jcases, case_json(s, &s->cases[i]));
	s->root = json_pack("{s:i, s:s, s:{s:s, s:s}, s:o, s:s, s:n, s:s, s:o, s:o, s:o, s:O}",
	                    "schema_version", VMB_SCHEMA_VERSION, "run_id",
	                    strrchr(s->dir, '/') ? strrchr(s->dir, '/') + 1 : s->dir, "vmbench",
	                    "version", VMB_VERSION, "commit", VMB_COMMIT, "command_line", cmd,
	                    "started_at", when, "ended_at", "status", "running", "host",
	                    vmb_host_describe(), "config", config_json(s), "metrics",
	                    vmb_metrics_json(&s->metrics), "cases", s->jcases);
	for (int i = 0; s->root && i < s->ncases; i++)
		if (s->cases[i].instances) {
			s->sweeps = json_array();
			json_object_set_new(s->root, "density",
			                    json_pack("{s:O}", "sweeps", s->sweeps));
			break;
		}
	return s->root ? save(s, err) : vmb_error_set(err, VMB_ERR_FAIL, "building results");
}

static json_t *rusage_json(const struct vmb_instance *inst)
{
	const struct rusage *r = &inst->rusage;
	json_t *exit = json_object();

	if (inst->signalled)
		json_object_set_new(exit, "signal", json_integer(inst->term_signal));
	else if (inst->exited)
		json_object_set_new(exit, "code", json_integer(inst->exit_code));
	json_object_set_new(exit, "timed_out", json_boolean(inst->timed_out));
	return json_pack(
	        "{s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}}", "exit", exit, "rusage", "user_ns",
	        (json_int_t)r->ru_utime.tv_sec * 1000000000 + r->ru_utime.tv_usec * 1000, "sys_ns",
	        (json_int_t)r->ru_stime.tv_sec * 1000000000 + r->ru_stime.tv_usec * 1000,
	        "maxrss_kib", (json_int_t)r->ru_maxrss, "minflt", (json_int_t)r->ru_minflt,
	        "majflt", (json_int_t)r->ru_majflt, "nvcsw", (json_int_t)r->ru_nvcsw, "nivcsw",
	        (json_int_t)r->ru_nivcsw);
}

static json_t *sample_json(struct run_state *s, const struct vmb_case *c, struct vmb_instance *inst,
                           unsigned rep, bool warmup, int rc, struct vmb_error *err,
                           const char *log)
{
	json_t *smp = rusage_json(inst);
	json_t *ready = vmb_record_find(inst->records, "ready");
	json_t *result = vmb_record_find(inst->records, "result");

	/* exit status and rusage belong with the runner's host-side figures */
	json_object_update(inst->host, smp);
	json_object_clear(smp);
	json_object_set(smp, "host", inst->host);
	json_object_set_new(smp, "rep", json_integer(rep));
	json_object_set_new(smp, "warmup", json_boolean(warmup));
	json_object_set(smp, "phases", inst->phases);
	if (ready)
		json_object_set(smp, "ready", ready);
	if (result)
		json_object_set(smp, "agent", result);
	if (rc == 0 && result) {
		const char *ref = vmb_results_reference_checksum(
		        s->jcases, json_array_get(s->jcases, (size_t)(c - s->cases)));
		const char *sum = json_string_value(json_object_get(result, "checksum"));
		if (ref && sum && strcmp(ref, sum) != 0)
			rc = vmb_error_set(err, VMB_ERR_FAIL,
			                   "checksum %s differs from %s of an earlier sample: the "
			                   "work done was not the same",
			                   sum, ref);
	}
	json_object_set_new(smp, "status", json_string(rc == 0 ? "ok" : "failed"));
	if (rc < 0)
		json_object_set_new(smp, "error", json_string(err->msg));
	if (log)
		json_object_set_new(smp, "log", json_string(log));
	return smp;
}

static void fmt_duration(double secs, char *buf, size_t len)
{
	if (secs < 60)
		snprintf(buf, len, "%.1fs", secs);
	else
		snprintf(buf, len, "%dm%02ds", (int)secs / 60, (int)secs % 60);
}

static void progress(struct run_state *s, int ci, unsigned rep, unsigned nreps, const char *end)
{
	const struct vmb_case *c = &s->cases[ci];
	double elapsed = (double)(vmb_now_ns() - s->t_start) / 1e9;
	char el[32], left[32] = "?";

	if (s->done > 0)
		fmt_duration((double)s->instance_ns / 1e9 / s->done * (s->total - s->done), left,
		             sizeof(left));
	fmt_duration(elapsed, el, sizeof(el));
	if (s->tty && !end)
		fprintf(stderr, "\r\033[K[case %d/%d] %s on %s  launch %u/%u  elapsed %s  left ~%s",
		        ci + 1, s->ncases, c->workload->name, c->runner->name, rep, nreps, el,
		        left);
	else if (end)
		fprintf(stderr, "%s[case %d/%d] %s on %s: %s  (elapsed %s, left ~%s)\n",
		        s->tty ? "\r\033[K" : "", ci + 1, s->ncases, c->workload->name,
		        c->runner->name, end, el, left);
	fflush(stderr);
}

/* The index of runner r among the run's runners (it is one of them). */
static unsigned runner_index(const struct run_state *s, const struct vmb_runner *r)
{
	for (unsigned i = 0; i < s->o->nrunners; i++)
		if (s->o->runners[i] == r)
			return i;
	return 0;
}

static void *runner_config(struct run_state *s, const struct vmb_runner *r)
{
	return s->config[runner_index(s, r)];
}

static void build_args(struct run_state *s, const struct vmb_case *c, char strs[][64], char **args)
{
	uint64_t val[VMB_MAX_PARAMS];
	unsigned n = 0, k = 0;

	case_params(s->o, c->workload, val);
	args[n++] = "--workload";
	args[n++] = (char *)c->workload->name;
	args[n++] = "--seed";
	snprintf(strs[k], 64, "%llu", (unsigned long long)s->o->seed);
	args[n++] = strs[k++];
	if (c->workload->parallel) {
		args[n++] = "--cores";
		snprintf(strs[k], 64, "%u", case_cores(s, c));
		args[n++] = strs[k++];
	}
	for (unsigned i = 0; i < vmb_workload_nparams(c->workload); i++) {
		args[n++] = "--param";
		snprintf(strs[k], 64, "%s=%llu", c->workload->params[i].name,
		         (unsigned long long)val[i]);
		args[n++] = strs[k++];
	}
	args[n] = NULL;
}

/* What a group launch (a density point, a victim with neighbours) needs
 * beside the case's own launch: the held instances' launch. */
struct group_run {
	struct run_state *s;
	const struct vmb_case *c;
	int ci;
	unsigned rep, nreps, i;
	bool warmup;
	struct vmb_launch hold;
	char strs[3 + VMB_MAX_PARAMS][64], prefix[PATH_MAX];
	char *args[8 + 2 * VMB_MAX_PARAMS];
};

/* An instance's sample, in its monitor (a copy of vmbench). */
static json_t *group_sample(void *arg, struct vmb_instance *inst, int rc, struct vmb_error *err,
                            const char *log)
{
	struct group_run *g = arg;
	struct stat st;
	bool keep = stat(log, &st) == 0 && st.st_size > 0;

	if (!keep)
		unlink(log);
	json_t *smp = sample_json(g->s, g->c, inst, g->rep, g->warmup, rc, err,
	                          keep ? log + strlen(g->s->dir) + 1 : NULL);
	if (inst->on_ready_arg && rc == 0 && !json_object_get(smp, "agent")) {
		/* a held instance that came up: its start and cost are the
		 * figures; the agent's description is in every other sample */
		json_object_del(smp, "ready");
	}
	return smp;
}

static void group_progress(void *arg, unsigned ready, unsigned failed, unsigned n)
{
	struct group_run *g = arg;
	const struct run_state *s = g->s;

	if (!s->tty)
		return;
	fprintf(stderr, "\r\033[K[case %d/%d] %s on %s  launch %u/%u  %u of %u %s ready%s%.0u%s",
	        g->ci + 1, s->ncases, g->c->workload->name, g->c->runner->name, g->i + 1, g->nreps,
	        ready, n, g->c->instances ? "instances" : "neighbours", failed ? ", " : "", failed,
	        failed ? " failed" : "");
	fflush(stderr);
}

/* The held instances' launch: the hold workload with the run's parameters,
 * its load the case's where it has neighbours. */
static void group_prepare(struct run_state *s, int ci, const struct vmb_launch *base,
                          struct group_run *g)
{
	const struct vmb_case *c = &s->cases[ci];
	struct vmb_case hc = *c;
	uint64_t val[VMB_MAX_PARAMS];

	hc.workload = vmb_workload_find("hold");
	memset(g, 0, sizeof(*g));
	g->s = s;
	g->c = c;
	g->ci = ci;
	g->hold = *base;
	g->hold.agent_args = g->args;
	g->hold.log_path = g->prefix;
	build_args(s, &hc, g->strs, g->args);
	case_params(s->o, hc.workload, val);
	if (c->neighbours > 0) {
		int k = vmb_workload_param_index(hc.workload, "load");
		for (unsigned i = 0; g->args[i]; i++)
			if (strncmp(g->args[i], "load=", 5) == 0)
				snprintf(g->args[i], 64, "load=%u", c->load);
		if (k >= 0)
			val[k] = c->load;
	}
	/* A held instance ends by itself after hold.seconds, so that none
	 * outlives a lost vmbench; it must outlast the group: the starts and a
	 * victim (each within --timeout), --hold-time, and a margin. */
	int k = vmb_workload_param_index(hc.workload, "seconds");
	double need = s->o->hold_s + 2 * s->o->timeout_s + 60;
	if (c->instances > 1 && s->o->rate > 0) /* the last starts this much later */
		need += (c->instances - 1) / s->o->rate;
	if (k >= 0 && (double)val[k] < need) {
		val[k] = need > 86400 ? 86400 : (uint64_t)need;
		for (unsigned i = 0; g->args[i]; i++)
			if (strncmp(g->args[i], "seconds=", 8) == 0)
				snprintf(g->args[i], 64, "seconds=%llu",
				         (unsigned long long)val[k]);
	}
	g->hold.memory_need = vmb_workload_memory_need(hc.workload, val, 1);
	g->hold.needs = hc.workload->needs;
}

/* One repetition of a group case: its sample (a density point's figures, or
 * the victim's own sample with its neighbours' beside it). */
static json_t *group_launch(struct group_run *g, const struct vmb_launch *victim,
                            struct vmb_error *err)
{
	const struct vmb_case *c = g->c;
	struct run_state *s = g->s;
	struct vmb_group grp = {
	        .runner = c->runner,
	        .hold = &g->hold,
	        .instances = c->instances ? c->instances : (unsigned)c->neighbours,
	        .rate = c->instances ? s->o->rate : 0,
	        .hold_s = c->instances ? s->o->hold_s : 0,
	        .victim = c->instances ? NULL : victim,
	        .scratch = s->scratch,
	        .sample = group_sample,
	        .arg = g,
	        .progress = group_progress,
	};
	json_t *d = NULL, *v = NULL, *smp;

	snprintf(g->prefix, sizeof(g->prefix), "%s/%s.%s.%s%u%s", s->logs, c->workload->name,
	         c->runner->name, g->warmup ? "warmup" : "rep", g->rep,
	         c->instances ? "" : ".neighbour");
	int rc = vmb_density_run(&grp, &d, &v, err);
	if (c->instances) {
		smp = json_pack("{s:i, s:b, s:o}", "rep", g->rep, "warmup", g->warmup, "density",
		                d);
	} else {
		/* the neighbours' own samples stay out: how many came up, their
		 * start and their memory say what the victim ran beside */
		json_object_del(d, "instance_samples");
		smp = v ? v : json_pack("{s:i, s:b}", "rep", g->rep, "warmup", g->warmup);
		json_object_set_new(smp, "neighbours", d);
	}
	const char *st = json_string_value(json_object_get(smp, "status"));
	if (rc < 0) {
		json_object_set_new(smp, "status", json_string("failed"));
		if (!json_object_get(smp, "error"))
			json_object_set_new(smp, "error", json_string(err->msg));
	} else if (!st) {
		json_object_set_new(smp, "status", json_string("ok"));
	} else if (strcmp(st, "ok") != 0) {
		/* the victim failed: its own reason */
		vmb_error_set(err, VMB_ERR_FAIL, "%s",
		              json_string_value(json_object_get(smp, "error")));
	}
	return smp;
}

/* Runs every launch of case ci; returns -1 only on interruption or when
 * results can no longer be saved (err set), else 0 (failures are recorded). */
static int run_case(struct run_state *s, int ci, struct vmb_error *err)
{
	const struct vmb_case *c = &s->cases[ci];
	json_t *jc = json_array_get(s->jcases, (size_t)ci);
	unsigned nreps = s->o->warmup + s->o->reps;
	char strs[3 + VMB_MAX_PARAMS][64], log[PATH_MAX];
	char *args[8 + 2 * VMB_MAX_PARAMS];
	struct vmb_launch spec = {
	        .agent_path = s->agent,
	        .agent_args = args,
	        .cpus = &case_place(s, c)->cpus,
	        .timeout_s = s->o->timeout_s,
	        .scratch_dir = s->scratch,
	        .log_path = log,
	        .limits = {.cpus = s->o->cpus,
	                   .memory_bytes = s->o->memory,
	                   .cpuset = &case_place(s, c)->cpus},
	        .volume_dir = s->volume,
	        .config = runner_config(s, c->runner),
	};
	const char *failure = NULL, *stopped_by = "reps";
	struct vmb_auto_reps ar = {.next_check = VMB_AUTO_MIN_REPS, .t0 = vmb_now_ns()};

	build_args(s, c, strs, args);
	{
		uint64_t val[VMB_MAX_PARAMS];
		case_params(s->o, c->workload, val);
		spec.memory_need = vmb_workload_memory_need(c->workload, val, case_cores(s, c));
		spec.needs = c->workload->needs;
	}
	bool group = c->instances || c->neighbours > 0;
	vmb_autofree struct group_run *g = group ? malloc(sizeof(*g)) : NULL;
	if (group && !g)
		return vmb_error_sys(err, ENOMEM, "case %d", ci + 1);
	if (group) {
		group_prepare(s, ci, &spec, g);
		/* what all instances share is made once, here: a failure shows
		 * again, with its reason, in every instance */
		struct vmb_error werr = {0};
		if (c->runner->warm)
			c->runner->warm(&spec, &werr);
	}
	json_object_set_new(jc, "status", json_string("running"));
	json_t *noise_before = vmb_noise_read();
	for (unsigned i = 0; i < nreps; i++) {
		bool warmup = i < s->o->warmup;
		unsigned rep = warmup ? i + 1 : i - s->o->warmup + 1;
		struct vmb_instance inst;
		struct vmb_error ierr = {0};
		struct stat st;

		progress(s, ci, i + 1, nreps, NULL);
		snprintf(log, sizeof(log), "%s/%s.%s.%s%u.log", s->logs, c->workload->name,
		         c->runner->name, warmup ? "warmup" : "rep", rep);
		uint64_t t0 = vmb_now_ns();
		json_t *smp;
		if (group) {
			g->rep = rep;
			g->warmup = warmup;
			g->i = i;
			g->nreps = nreps;
			smp = group_launch(g, &spec, &ierr);
			s->instance_ns += vmb_now_ns() - t0;
			s->done++;
		} else {
			int rc = vmb_instance_run(&inst, c->runner, &spec, &ierr);
			s->instance_ns += vmb_now_ns() - t0;
			s->done++;
			bool keep_log = stat(log, &st) == 0 && st.st_size > 0;
			if (!keep_log)
				unlink(log);
			smp = sample_json(s, c, &inst, rep, warmup, rc, &ierr,
			                  keep_log ? log + strlen(s->dir) + 1 : NULL);
			vmb_instance_release(&inst);
		}
		json_t *samples = json_object_get(jc, "samples");
		vmb_sample_figures(smp, &s->metrics, c->workload->name);
		json_array_append_new(samples, smp);
		/* O(1) a launch: the sample goes to disk now, the aggregates and
		 * results.json wait for the case's end */
		if (vmb_journal_append(s->journal_fd, (unsigned)ci, json_array_size(samples) - 1,
		                       smp, err) < 0) {
			/* no durable record from here on: stop, and keep what is in hand */
			json_object_set_new(jc, "status", json_string("failed"));
			json_object_set_new(jc, "reason", json_string(err->msg));
			vmb_case_aggregate(jc, &s->metrics, s->o->seed);
			return -1;
		}
		if (ierr.kind == VMB_ERR_INTERRUPTED) {
			json_object_set_new(jc, "status", json_string("interrupted"));
			vmb_case_aggregate(jc, &s->metrics, s->o->seed);
			*err = ierr;
			save(s, NULL);
			return -1;
		}
		if (json_string_value(json_object_get(smp, "error"))) {
			failure = json_string_value(json_object_get(smp, "error"));
			json_object_set_new(jc, "reason", json_string(failure));
			/* the rest of this case would fail the same way: go on to the next */
			s->done += nreps - i - 1;
			break;
		}
		if (s->o->reps_auto && !warmup &&
		    (stopped_by = vmb_auto_reps_enough(s->o, jc, vmb_workload_headline(c->workload),
		                                       rep, &ar))) {
			s->done += nreps - i - 1;
			break;
		}
		stopped_by = s->o->reps_auto ? "max_reps" : "reps";
	}
	if (s->o->reps_auto)
		json_object_set_new(jc, "repetitions",
		                    json_pack("{s:s, s:s, s:i, s:f, s:f}", "mode", "auto",
		                              "stopped_by", stopped_by, "measured",
		                              (int)ar.measured, "ci_width",
		                              isfinite(ar.width) ? ar.width : -1.0, "ci_target",
		                              s->o->ci_target));
	json_object_set_new(jc, "status", json_string(failure ? "failed" : "ok"));
	vmb_case_aggregate(jc, &s->metrics, s->o->seed);
	vmb_case_note_noise(jc, vmb_workload_headline(c->workload), noise_before);
	if (failure) {
		s->failed_cases++;
		char line[300];
		snprintf(line, sizeof(line), "FAILED: %.250s", failure);
		progress(s, ci, nreps, nreps, line);
	} else {
		unsigned done_reps = s->o->reps_auto ? ar.measured : s->o->reps;
		/* the case's headline figure, as the summary compares it */
		const char *head = vmb_workload_headline(c->workload);
		json_t *m = json_object_get(json_object_get(jc, "aggregates"), head);
		const char *unit = json_string_value(json_object_get(m, "unit"));
		double med = json_number_value(json_object_get(m, "median"));
		char line[160];
		if (unit && strcmp(unit, "ns") == 0) {
			/* in the unit that keeps three or more significant digits */
			double div = med >= 1e6 ? 1e6 : med >= 1e3 ? 1e3 : 1;
			snprintf(line, sizeof(line), "ok, %s median %.4g %s over %u reps", head,
			         med / div,
			         div == 1e6   ? "ms"
			         : div == 1e3 ? "us"
			                      : "ns",
			         done_reps);
		} else
			snprintf(line, sizeof(line), "ok, %s median %.4g %s over %u reps", head,
			         med, unit ? unit : "", done_reps);
		progress(s, ci, nreps, nreps, line);
	}
	return save(s, err);
}

/* The sweep entry of (workload, runner) in the root's density.sweeps, made
 * on first use. */
static json_t *sweep_of(struct run_state *s, const struct vmb_case *c)
{
	size_t i;
	json_t *e;

	json_array_foreach(s->sweeps, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "workload")), c->workload->name) ==
		            0 &&
		    strcmp(json_string_value(json_object_get(e, "runner")), c->runner->name) == 0)
			return e;
	}
	e = json_pack("{s:s, s:s, s:[], s:n, s:n}", "workload", c->workload->name, "runner",
	              c->runner->name, "points", "stopped_by", "knee_instances");
	json_array_append_new(s->sweeps, e);
	return e;
}

static double case_median(json_t *jc, const char *metric)
{
	json_t *m = json_object_get(json_object_get(jc, "aggregates"), metric);
	json_t *v = json_object_get(m, "median");
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Skips the points of c's sweep after case ci, saying why. */
static void sweep_stop(struct run_state *s, int ci, const char *why)
{
	const struct vmb_case *c = &s->cases[ci];

	for (int k = ci + 1; k < s->ncases; k++) {
		struct vmb_case *n = &s->cases[k];
		if (n->workload != c->workload || n->runner != c->runner || !n->instances ||
		    n->skip_reason)
			continue;
		snprintf(n->why, sizeof(n->why), "the sweep stopped after %u instances: %s",
		         c->instances, why);
		n->skip_reason = n->why;
		s->total -= s->o->warmup + s->o->reps;
		json_t *jn = json_array_get(s->jcases, (size_t)k);
		json_object_set_new(jn, "status", json_string("skipped"));
		json_object_set_new(jn, "reason", json_string(n->why));
	}
}

/* After density point ci: where the host stopped keeping up, and whether the
 * sweep goes on (vmb_sweep_rule; not after a failed point either). */
static void sweep_after(struct run_state *s, int ci)
{
	const struct vmb_case *c = &s->cases[ci];
	json_t *jc = json_array_get(s->jcases, (size_t)ci);
	json_t *e = sweep_of(s, c);
	const char *status = json_string_value(json_object_get(jc, "status"));
	double p50 = case_median(jc, "density_ready_p50_ns");
	char why[300] = "";
	const char *stop = NULL;

	if (!status || strcmp(status, "ok") != 0 || !isfinite(p50)) {
		stop = "failed";
		snprintf(why, sizeof(why), "%u instances failed: %s", c->instances,
		         json_string_value(json_object_get(jc, "reason")));
	} else {
		json_array_append_new(json_object_get(e, "points"), json_integer(c->instances));
		json_t *base = json_object_get(e, "base_ready_p50_ns");
		json_t *agg =
		        json_object_get(json_object_get(jc, "aggregates"), "density_ready_p50_ns");
		json_t *lo = json_array_get(json_object_get(agg, "ci95_median"), 0);
		const struct vmb_case *n = ci + 1 < s->ncases ? &s->cases[ci + 1] : NULL;
		struct vmb_sweep_point pt = {
		        .instances = c->instances,
		        .p50 = p50,
		        .p50_lo = json_is_number(lo) ? json_number_value(lo) : NAN,
		        .all_ready = case_median(jc, "density_all_ready_ns"),
		        .kib = case_median(jc, "density_memory_kib"),
		        .base_p50 = base ? json_number_value(base) : NAN,
		        .base_instances =
		                (unsigned)json_integer_value(json_object_get(e, "base_instances")),
		        .next = n && n->workload == c->workload && n->runner == c->runner
		                        ? n->instances
		                        : 0,
		        .avail_kib = vmb_mem_available_kib(),
		        .timeout_s = s->o->timeout_s,
		};
		if (!isfinite(pt.kib)) /* no cgroup (a plain process): its PSS */
			pt.kib = case_median(jc, "density_pss_kib");
		if (!base) {
			json_object_set_new(e, "base_instances", json_integer(c->instances));
			json_object_set_new(e, "base_ready_p50_ns", json_real(p50));
		}
		/* the knee is looked for at every point until found; a list goes
		 * on past any stop, the first stop being the one told */
		bool kneed = !json_is_null(json_object_get(e, "knee_instances"));
		if (kneed)
			pt.base_p50 = NAN; /* found: only memory and time remain */
		stop = vmb_sweep_rule(&pt, why, sizeof(why));
		if (stop && strcmp(stop, "start_doubled") == 0)
			json_object_set_new(e, "knee_instances", json_integer(c->instances));
	}
	if (stop) {
		if (json_is_null(json_object_get(e, "stopped_by"))) {
			json_object_set_new(e, "stopped_by", json_string(stop));
			json_object_set_new(e, "why", json_string(why));
		}
		if (c->sweep)
			sweep_stop(s, ci, why);
	} else if (json_is_null(json_object_get(e, "stopped_by"))) {
		/* the last point planned: the list's, or the sweep's largest */
		bool last = true;
		for (int k = ci + 1; k < s->ncases; k++)
			last &= !(s->cases[k].workload == c->workload &&
			          s->cases[k].runner == c->runner && s->cases[k].instances);
		if (last)
			json_object_set_new(e, "stopped_by",
			                    json_string(c->sweep ? "max_instances" : "list"));
	}
}

static void finish(struct run_state *s, const char *status)
{
	char when[32];
	struct vmb_error err = {0};

	vmb_iso8601(vmb_wall_ns(), when, sizeof(when));
	json_object_set_new(s->root, "ended_at", json_string(when));
	json_object_set_new(s->root, "status", json_string(status));
	if (save(s, &err) < 0)
		fprintf(stderr, "vmbench: %s\n", err.msg);
	if (s->scratch[0] && vmb_rm_tree(s->scratch, &err) < 0)
		fprintf(stderr, "vmbench: %s\n", err.msg);
	if (s->volume[0] && vmb_rm_tree(s->volume, &err) < 0)
		fprintf(stderr, "vmbench: %s\n", err.msg);
	rmdir(s->logs); /* only if no log was kept */
	if (s->journal_fd >= 0)
		close(s->journal_fd);
	s->journal_fd = -1;
}

/* Scratch directories and volumes (prefix "vmbench-run" or "vmbench-volume"
 * in dir) of vmbench processes that no longer run (a SIGKILLed vmbench cannot
 * clean up after itself): removed at the next run. */
static void sweep_stale(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t np = strlen(prefix);

	while (d && (e = readdir(d))) {
		char path[PATH_MAX], *end;
		if (strncmp(e->d_name, prefix, np) != 0 || e->d_name[np] != '-')
			continue;
		long pid = strtol(e->d_name + np + 1, &end, 10);
		if (*end != '-' || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		vmb_rm_tree(path, NULL);
	}
	if (d)
		closedir(d);
}

/* Each selected runner checks its options and the run's limits and makes its
 * configuration; the metric registry of the run is the core's plus theirs. */
static int configure_runners(struct run_state *s, struct vmb_error *err)
{
	const struct vmb_run_opts *o = s->o;

	if (vmb_metrics_add(&s->metrics, vmb_core_metrics, "core") < 0)
		return vmb_error_set(err, VMB_ERR_FAIL, "the core metric table is inconsistent");
	for (unsigned i = 0; i < o->nrunners; i++) {
		const struct vmb_runner *r = o->runners[i];
		struct vmb_option_value vals[VMB_MAX_LIST];
		struct vmb_run_env env = vmb_cli_runner_env(o, r, vals);
		env.agent = s->agent;
		s->refused[i][0] = '\0';
		if (r->configure && r->configure(&env, &s->config[i], s->refused[i],
		                                 sizeof(s->refused[i]), err) < 0)
			return -1;
		/* a setting the runner cannot honour: an error if it was asked for
		 * by name, else its cases are skipped, saying why */
		if (s->refused[i][0] && o->runners_given)
			return vmb_error_set(err, VMB_ERR_USAGE, "%s (runner %s)", s->refused[i],
			                     r->name);
		if (vmb_metrics_add(&s->metrics, r->metrics, r->name) < 0)
			return vmb_error_set(
			        err, VMB_ERR_FAIL,
			        "runner %s declares a metric that clashes with another "
			        "declaration of the same name",
			        r->name);
	}
	return 0;
}

static void release_runners(struct run_state *s)
{
	for (unsigned i = 0; i < s->o->nrunners; i++)
		if (s->config[i] && s->o->runners[i]->release_config)
			s->o->runners[i]->release_config(s->config[i]);
	memset(s->config, 0, sizeof(s->config));
}

int vmb_cmd_run(int argc, char **argv, struct vmb_error *err)
{
	struct vmb_run_opts o;
	struct run_state s = {.o = &o, .journal_fd = -1};
	int rc;

	vmb_autojson json_t *cmd = command_line(argc, argv);

	if (vmb_cli_parse_run(argc, argv, &o, err) < 0)
		return -1;
	if (o.help) {
		vmb_cli_run_usage(stdout);
		return 0;
	}
	if (vmb_find_program("vmbench-agent", "VMBENCH_AGENT", "workloads", s.agent,
	                     sizeof(s.agent), err) < 0)
		return -1;
	/* what killed runs left behind goes first: its space counts against this run */
	sweep_stale(VMB_SCRATCH_PARENT, "vmbench-run");
	sweep_stale(o.volume, "vmbench-volume");
	if (configure_runners(&s, err) < 0) {
		release_runners(&s);
		return -1;
	}
	s.ncases = vmb_plan(&o, &s.cases, err);
	if (s.ncases < 0) {
		release_runners(&s);
		return -1;
	}
	/* the chosen workloads' own figures join the registry */
	for (int i = 0; i < s.ncases; i++)
		if (vmb_metrics_add_workload(&s.metrics, s.cases[i].workload->metrics,
		                             s.cases[i].workload->name) < 0) {
			free(s.cases);
			release_runners(&s);
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "workload %s declares a metric that clashes with "
			                     "another declaration of the same name, or more "
			                     "than the registry's %d figures",
			                     s.cases[i].workload->name, VMB_MAX_METRICS);
		}
	for (int i = 0; i < s.ncases; i++) {
		const char *why = s.refused[runner_index(&s, s.cases[i].runner)];
		if (why[0] && !s.cases[i].skip_reason) {
			snprintf(s.cases[i].why, sizeof(s.cases[i].why), "%s", why);
			s.cases[i].skip_reason = s.cases[i].why;
		}
	}
	for (int i = 0; i < s.ncases; i++)
		if (!s.cases[i].skip_reason)
			s.total += o.warmup + o.reps;
	bool groups = false;
	for (int i = 0; i < s.ncases; i++)
		groups |= group_case(&s.cases[i]);
	s.group_own = groups && !o.cores_given;
	if (vmb_placement_choose(o.cores, &s.place, err) < 0 ||
	    (s.group_own && vmb_placement_all(&s.group_place, err) < 0) ||
	    make_out_dir(&s, err) < 0) {
		free(s.cases);
		vmb_placement_release(&s.place);
		if (s.group_own)
			vmb_placement_release(&s.group_place);
		release_runners(&s);
		return -1;
	}
	vmb_signals_install();
	/* orphans of an instance come to us, not to the host's init */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	s.tty = isatty(2);
	s.t_start = vmb_now_ns();
	snprintf(s.scratch, sizeof(s.scratch), VMB_SCRATCH_PARENT "/vmbench-run-%d-XXXXXX",
	         (int)getpid());
	snprintf(s.volume, sizeof(s.volume), "%s/vmbench-volume-%d-XXXXXX", o.volume,
	         (int)getpid());
	vmb_cgroup_sweep_stale();
	if (!mkdtemp(s.scratch)) {
		s.scratch[0] = '\0';
		s.volume[0] = '\0';
		rc = vmb_error_sys(err, errno, "mkdtemp " VMB_SCRATCH_PARENT "/vmbench-run-XXXXXX");
	} else if (chmod(s.scratch, 0711) < 0) {
		s.volume[0] = '\0';
		rc = vmb_error_sys(err, errno, "chmod %s", s.scratch);
	} else if (!mkdtemp(s.volume)) {
		rc = vmb_error_sys(err, errno, "the run's volume %s", s.volume);
		s.volume[0] = '\0';
	} else if (chmod(s.volume, 01777) < 0) {
		/* sticky and world-writable like /tmp: container root maps to
		 * an unprivileged host uid, and must write here too */
		rc = vmb_error_sys(err, errno, "the run's volume %s", s.volume);
	} else {
		rc = begin(&s, json_incref(cmd), err);
	}
	if (rc < 0 && !s.root) {
		/* nothing began: finish() will not run, so nothing is left here */
		if (s.scratch[0])
			vmb_rm_tree(s.scratch, NULL);
		if (s.volume[0])
			vmb_rm_tree(s.volume, NULL);
	}
	fprintf(stderr, "vmbench: %d case(s), %u launch(es); results in %s/results.json\n",
	        s.ncases, s.total, s.dir);
	for (int i = 0; rc == 0 && i < s.ncases; i++) {
		if (s.cases[i].skip_reason) {
			char line[300];
			snprintf(line, sizeof(line), "skipped: %.250s", s.cases[i].skip_reason);
			progress(&s, i, 0, 0, line);
			continue;
		}
		rc = run_case(&s, i, err);
		if (rc == 0 && s.cases[i].instances)
			sweep_after(&s, i);
	}
	if (s.root) {
		finish(&s, rc < 0 ? (err->kind == VMB_ERR_INTERRUPTED ? "interrupted" : "failed")
		           : s.failed_cases ? "failed"
		                            : "complete");
		vmb_print_summary(stdout, s.root);
		printf("results: %s/results.json\n", s.dir);
	}
	json_decref(s.root);
	json_decref(s.sweeps);
	free(s.cases);
	vmb_placement_release(&s.place);
	if (s.group_own)
		vmb_placement_release(&s.group_place);
	release_runners(&s);
	if (rc == 0 && s.failed_cases)
		return vmb_error_set(err, VMB_ERR_FAIL, "%d case(s) failed; see the summary above",
		                     s.failed_cases);
	return rc;
}
