/* cli.c: parsing `vmbench run` options into vmb_run_opts, and expanding them into cases. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "vmbench/cli.h"
#include "vmbench/util.h"

void vmb_cli_usage(FILE *f)
{
	fprintf(f,
	        "usage: vmbench COMMAND [OPTIONS]\n"
	        "\n"
	        "Measures what a virtual machine costs against a container, and both against\n"
	        "bare metal: one agent binary runs the same workload natively, in vmbench's own\n"
	        "namespace container and in a guest of its own KVM VMM.\n"
	        "\n"
	        "commands:\n"
	        "  run      measure suites of workloads on runners, write results/<run-id>/\n"
	        "  list     suites, workloads and runners, and whether each runner works here\n"
	        "  doctor   what this host offers (KVM, namespaces, cgroups, PAPI, hwloc, "
	        "gnuplot)\n"
	        "  report   tables and gnuplot charts from one or more runs' results\n"
	        "  compare  two runs, case by case: the regression gate for CI\n"
	        "\n"
	        "Each command takes --help. Example: vmbench run --suite all\n"
	        "\n"
	        "exit status: 0 all ok, 1 a measurement failed (the rest ran and was kept),\n"
	        "2 bad usage or input (nothing run, nothing overwritten), 128+N interrupted\n"
	        "by signal N (results so far kept).\n");
}

/* Prints text with every line indented by `indent` spaces. */
static void indented(FILE *f, const char *text, int indent)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		fprintf(f, "%*s%.*s\n", indent, "", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

void vmb_cli_run_usage(FILE *f)
{
	fputs("usage: vmbench run [--suite NAME[,NAME]] [--runner R[,R]] [--workload W[,W]]\n"
	      "                   [--reps N] [--warmup N] [--out DIR] [--seed N] [--scale F]\n"
	      "                   [--timeout SEC] [--cores N] [--param W.KEY=VALUE]... [--quick]\n"
	      "                   [--cpus F] [--memory SIZE] [--baseline R] [RUNNER OPTIONS]\n"
	      "                   [--instances LIST] [--max-instances N] [--rate R]\n"
	      "                   [--hold-time SEC] [--neighbours K[:LOAD]]\n"
	      "\n"
	      "Runs every selected workload on every selected runner: WARMUP discarded\n"
	      "launches, then REPS measured ones, each a fresh instance. Results go to\n"
	      "DIR/results.json at every case's end, and each launch's sample to\n"
	      "DIR/samples.jsonl as it comes, so an interrupted or killed run keeps\n"
	      "what it measured. A case that cannot run (a runner this host cannot offer,\n"
	      "or a workload needing what the runner lacks) is recorded as skipped, with\n"
	      "the reason.\n"
	      "\n"
	      "  --suite LIST     suites: all, or names from `vmbench list` (default all)\n"
	      "  --runner LIST    runners, in order (default: all; reference runners only\n"
	      "                   for the workloads they are a reference for)\n"
	      "  --workload LIST  only these workloads of the chosen suites\n"
	      "  --reps N|auto    measured repetitions per case, 1..100000 (default 5); auto:\n"
	      "                   repeat until the 95% interval of the case's headline median\n"
	      "                   is narrower than --ci-target percent of it (default 2), or\n"
	      "                   --max-reps (default 200) or --max-time SEC (default 120)\n"
	      "                   per case is reached; results say which stopped it\n"
	      "  --warmup N       discarded repetitions before them, 0..1000 (default 1)\n"
	      "  --out DIR        results directory; must not exist (default results/RUN-ID)\n"
	      "  --seed N         seed for generated input and the bootstrap (default 1)\n"
	      "  --scale F        multiply the work of every workload, 0.0001..1000 (default 1)\n"
	      "  --timeout SEC    limit per launch, 0.1..86400 (default 300)\n"
	      "  --param W.K=V    set parameter K of workload W (see vmbench list), e.g.\n"
	      "                   mem-latency.to=64M; K=V alone when one workload has K;\n"
	      "                   sizes take K, M or G; not scaled\n"
	      "  --quick          every workload's quick size and 3 repetitions unless --reps\n"
	      "                   is given: `--suite all --quick` in about half a minute\n"
	      "  --volume DIR     where the run's I/O volume is made, on the file system the\n"
	      "                   disk workloads measure (default $VMBENCH_VOLUME, else\n"
	      "                   /var/tmp); on tmpfs they are skipped: memory is no disk\n"
	      "  --cores N        cores every instance is placed on, through hwloc (default 1;\n"
	      "                   the highest-numbered cores are taken, away from core 0;\n"
	      "                   density and noisy-neighbour cases: every core)\n"
	      "  --cpus F         the instance's CPUs, 0.01..4096; each runner reads it its\n"
	      "                   own way (below; default: no limit)\n"
	      "  --memory SIZE    the instance's memory, e.g. 512M; each runner reads it its\n"
	      "                   own way (below; default: no limit)\n"
	      "  --baseline R     the runner every other is compared with; one of --runner\n"
	      "                   (default: the first of them)\n"
	      "  --help           this text\n"
	      "\n"
	      "Density (suite density, workload hold; docs/MEASUREMENTS.md):\n"
	      "  --instances LIST how many instances each density point starts together, e.g.\n"
	      "                   1,4,16 (default: a sweep 1, 2, 4... that stops after the\n"
	      "                   point whose median start is twice that of one instance\n"
	      "                   beyond its 95% interval, at --max-instances, or when the\n"
	      "                   next would not fit in the host's available memory or\n"
	      "                   take half --timeout to start); on every core unless\n"
	      "                   --cores is given\n"
	      "  --max-instances N the sweep's largest point, 1..4096 (default 64; --quick 8)\n"
	      "  --rate R         start R instances a second instead of all at once\n"
	      "  --hold-time SEC  keep them running SEC seconds once all are set up, before\n"
	      "                   their memory is read and they are released (default:\n"
	      "                   none)\n"
	      "  --neighbours K[:LOAD]  run each chosen workload twice: alone, and beside K\n"
	      "                   held instances, LOAD idle, cpu or mem (default: cpu for\n"
	      "                   cpu workloads, mem for the others); the density suite\n"
	      "                   does this for cpu-int and mem-stream, K = 3 unless given\n"
	      "\n"
	      "Runners, with how each reads --cpus and --memory, and the options it brings:\n",
	      f);
	for (unsigned i = 0; i < vmb_runner_count; i++) {
		const struct vmb_runner *r = vmb_runners[i];
		fprintf(f, "\n  %s: %s\n", r->name, r->summary);
		if (r->usage)
			indented(f, r->usage, 4);
		for (const struct vmb_runner_option *o = r->options; o && o->name; o++) {
			char head[64];
			snprintf(head, sizeof(head), "--%s%s%s", o->name, o->arg ? " " : "",
			         o->arg ? o->arg : "");
			fprintf(f, "    %-16s ", head);
			const char *nl = strchr(o->help, '\n');
			fprintf(f, "%.*s\n", nl ? (int)(nl - o->help) : (int)strlen(o->help),
			        o->help);
			if (nl)
				indented(f, nl + 1, 21);
		}
	}
	fputs("\nProgress goes to stderr; a summary table and the results path to stdout.\n"
	      "Example: vmbench run --suite cpu --runner native --reps 10 --out /tmp/r1\n",
	      f);
}

/* Splits a comma-separated list in place into items; -1 on an empty item. */
static int split_list(char *s, const char **items, unsigned *n, const char *opt,
                      struct vmb_error *err)
{
	char *save = NULL;

	if (!*s || s[strlen(s) - 1] == ',' || *s == ',' || strstr(s, ",,"))
		return vmb_error_set(err, VMB_ERR_USAGE, "%s '%s': empty item in the list", opt, s);
	*n = 0;
	for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == VMB_MAX_LIST)
			return vmb_error_set(err, VMB_ERR_USAGE, "%s: more than %d items", opt,
			                     VMB_MAX_LIST);
		items[(*n)++] = tok;
	}
	return 0;
}

static int parse_suites(char *arg, struct vmb_run_opts *o, struct vmb_error *err)
{
	if (split_list(arg, o->suites, &o->nsuites, "--suite", err) < 0)
		return -1;
	for (unsigned i = 0; i < o->nsuites; i++)
		if (!vmb_suite_known(o->suites[i]))
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "--suite %s: no such suite (see vmbench list)",
			                     o->suites[i]);
	return 0;
}

static int parse_runners(char *arg, struct vmb_run_opts *o, struct vmb_error *err)
{
	const char *names[VMB_MAX_LIST];

	if (split_list(arg, names, &o->nrunners, "--runner", err) < 0)
		return -1;
	for (unsigned i = 0; i < o->nrunners; i++) {
		o->runners[i] = vmb_runner_find(names[i]);
		if (!o->runners[i])
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "--runner %s: no such runner (see vmbench list)",
			                     names[i]);
		for (unsigned j = 0; j < i; j++)
			if (o->runners[j] == o->runners[i])
				return vmb_error_set(err, VMB_ERR_USAGE, "--runner %s: given twice",
				                     names[i]);
	}
	return 0;
}

static int parse_workloads(char *arg, struct vmb_run_opts *o, struct vmb_error *err)
{
	const char *names[VMB_MAX_LIST];

	if (split_list(arg, names, &o->nworkloads, "--workload", err) < 0)
		return -1;
	for (unsigned i = 0; i < o->nworkloads; i++) {
		o->workloads[i] = vmb_workload_find(names[i]);
		if (!o->workloads[i])
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "--workload %s: no such workload (see vmbench list)",
			                     names[i]);
	}
	return 0;
}

/* WORKLOAD.KEY=VALUE, or KEY=VALUE when one workload alone has KEY: the
 * parameter and its value, within the parameter's bounds. */
static int parse_param(char *arg, struct vmb_run_opts *o, struct vmb_error *err)
{
	char *eq = strchr(arg, '='), *dot;
	const struct vmb_workload *wl = NULL;
	int idx = -1;
	char what[160];

	if (!eq || eq == arg)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "--param '%s': expected WORKLOAD.KEY=VALUE", arg);
	if (o->nparams == VMB_MAX_LIST)
		return vmb_error_set(err, VMB_ERR_USAGE, "--param: more than %d", VMB_MAX_LIST);
	*eq = '\0';
	dot = strchr(arg, '.');
	if (dot) {
		*dot = '\0';
		wl = vmb_workload_find(arg);
		*dot = '.';
		if (!wl)
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "--param %s: no workload '%.*s' (see vmbench list)",
			                     arg, (int)(dot - arg), arg);
		idx = vmb_workload_param_index(wl, dot + 1);
		if (idx < 0)
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "--param %s: workload %s has no parameter '%s' (see "
			                     "vmbench list)",
			                     arg, wl->name, dot + 1);
	} else {
		for (unsigned w = 0; w < vmb_workload_count; w++) {
			int i = vmb_workload_param_index(vmb_workloads[w], arg);
			if (i < 0)
				continue;
			if (wl)
				return vmb_error_set(
				        err, VMB_ERR_USAGE,
				        "--param %s: workloads %s and %s both have it; "
				        "write %s.%s or %s.%s",
				        arg, wl->name, vmb_workloads[w]->name, wl->name, arg,
				        vmb_workloads[w]->name, arg);
			wl = vmb_workloads[w];
			idx = i;
		}
		if (!wl)
			return vmb_error_set(
			        err, VMB_ERR_USAGE,
			        "--param %s: no workload has a parameter '%s' (see vmbench list)",
			        arg, arg);
	}
	const struct vmb_param *p = &wl->params[idx];
	snprintf(what, sizeof(what), "--param %s.%s", wl->name, p->name);
	if ((p->bytes
	             ? vmb_parse_size(eq + 1, p->min, p->max, what, &o->param_vals[o->nparams], err)
	             : vmb_parse_u64(eq + 1, p->min, p->max, what, &o->param_vals[o->nparams],
	                             err)) < 0)
		return -1;
	o->param_keys[o->nparams] = p->name;
	o->param_wl[o->nparams] = wl;
	o->nparams++;
	return 0;
}

uint64_t vmb_param_value(const struct vmb_run_opts *o, const struct vmb_workload *w, unsigned i)
{
	const struct vmb_param *p = &w->params[i];

	for (unsigned k = o->nparams; k-- > 0;)
		if (o->param_wl[k] == w && strcmp(o->param_keys[k], p->name) == 0)
			return o->param_vals[k];
	return vmb_param_default(p, o->scale, o->quick);
}

/* The volume as an absolute path (it is handed to the agent and bind-mounted
 * in the container), a directory the container's root can reach: that root
 * is an unprivileged user on the host, so every directory above the volume
 * must let others search it. */
static int check_volume(struct vmb_run_opts *o, struct vmb_error *err)
{
	static char abs[PATH_MAX];
	char part[PATH_MAX];
	struct stat st;

	if (!realpath(o->volume, abs) || stat(abs, &st) < 0)
		return vmb_error_set(err, VMB_ERR_USAGE, "--volume %s: %s", o->volume,
		                     strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return vmb_error_set(err, VMB_ERR_USAGE, "--volume %s: not a directory", o->volume);
	/* every directory from / down to the volume's parent, then the volume */
	for (char *slash = abs; slash; slash = slash[1] ? strchr(slash + 1, '/') : NULL) {
		size_t n = slash == abs ? 1 : (size_t)(slash - abs);
		memcpy(part, abs, n);
		part[n] = '\0';
		if (stat(part, &st) == 0 && !(st.st_mode & S_IXOTH))
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "--volume %s: %s is not searchable by others (mode "
			                     "%04o), so the container's root, an unprivileged user "
			                     "on the host, cannot reach the volume",
			                     o->volume, part, (unsigned)(st.st_mode & 07777));
	}
	if (stat(abs, &st) == 0 && !(st.st_mode & S_IXOTH))
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "--volume %s: not searchable by others (mode %04o), so the "
		                     "container's root, an unprivileged user on the host, cannot "
		                     "reach the volume",
		                     o->volume, (unsigned)(st.st_mode & 07777));
	o->volume = abs;
	return 0;
}

/* --instances 1,4,16: each count once, in increasing order. */
static int parse_instances(char *arg, struct vmb_run_opts *o, struct vmb_error *err)
{
	const char *items[VMB_MAX_LIST];
	unsigned n;

	if (split_list(arg, items, &n, "--instances", err) < 0)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		uint64_t v;
		char what[64];
		snprintf(what, sizeof(what), "--instances %s", items[i]);
		if (vmb_parse_u64(items[i], 1, VMB_MAX_INSTANCES, what, &v, err) < 0)
			return -1;
		if (i > 0 && v <= o->instances[i - 1])
			return vmb_error_set(
			        err, VMB_ERR_USAGE,
			        "--instances: %llu after %u; give the counts once each, "
			        "in increasing order",
			        (unsigned long long)v, o->instances[i - 1]);
		o->instances[i] = (unsigned)v;
	}
	o->ninstances = n;
	return 0;
}

/* --neighbours K[:idle|cpu|mem] */
static int parse_neighbours(char *arg, struct vmb_run_opts *o, struct vmb_error *err)
{
	static const char *const loads[] = {"idle", "cpu", "mem"};
	char *colon = strchr(arg, ':');
	uint64_t v;

	if (colon) {
		*colon = '\0';
		o->neighbour_load = -2;
		for (int i = 0; i < 3; i++)
			if (strcmp(colon + 1, loads[i]) == 0)
				o->neighbour_load = i;
		if (o->neighbour_load == -2)
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "--neighbours %s:%s: the load is idle, cpu or mem",
			                     arg, colon + 1);
	}
	if (vmb_parse_u64(arg, 1, VMB_MAX_INSTANCES - 1, "--neighbours", &v, err) < 0)
		return -1;
	o->neighbours = (unsigned)v;
	o->neighbours_given = true;
	return 0;
}

enum { OPT_RUNNER_BASE = 1000 };

/* Measured repetitions under --quick, unless --reps says otherwise. */
#define QUICK_REPS 3
/* --quick's density sweep stops at this many instances */
#define QUICK_MAX_INSTANCES 8

/* The generic options, then every runner's, as one getopt table; a runner
 * option's val is OPT_RUNNER_BASE + its index in owners[]. */
static const struct option *longopts(const struct vmb_runner **owners, const char **names)
{
	static const struct option generic[] = {
	        {"suite", required_argument, NULL, 's'},
	        {"runner", required_argument, NULL, 'r'},
	        {"workload", required_argument, NULL, 'w'},
	        {"reps", required_argument, NULL, 'n'},
	        {"warmup", required_argument, NULL, 'W'},
	        {"out", required_argument, NULL, 'o'},
	        {"seed", required_argument, NULL, 'S'},
	        {"scale", required_argument, NULL, 'x'},
	        {"timeout", required_argument, NULL, 't'},
	        {"cores", required_argument, NULL, 'c'},
	        {"param", required_argument, NULL, 'p'},
	        {"quick", no_argument, NULL, 'Q'},
	        {"volume", required_argument, NULL, 'V'},
	        {"help", no_argument, NULL, 'h'},
	        {"cpus", required_argument, NULL, 'C'},
	        {"memory", required_argument, NULL, 'M'},
	        {"baseline", required_argument, NULL, 'B'},
	        {"max-reps", required_argument, NULL, 'A'},
	        {"ci-target", required_argument, NULL, 'T'},
	        {"max-time", required_argument, NULL, 'X'},
	        {"instances", required_argument, NULL, 'I'},
	        {"max-instances", required_argument, NULL, 'J'},
	        {"rate", required_argument, NULL, 'R'},
	        {"hold-time", required_argument, NULL, 'H'},
	        {"neighbours", required_argument, NULL, 'N'},
	};
	static struct option all[VMB_ARRAY_SIZE(generic) + 64 + 1];
	size_t n = VMB_ARRAY_SIZE(generic), k = 0;

	memcpy(all, generic, sizeof(generic));
	for (unsigned i = 0; i < vmb_runner_count; i++)
		for (const struct vmb_runner_option *ro = vmb_runners[i]->options;
		     ro && ro->name && n < VMB_ARRAY_SIZE(all) - 1; ro++, k++) {
			owners[k] = vmb_runners[i];
			names[k] = ro->name;
			all[n++] =
			        (struct option){ro->name, ro->arg ? required_argument : no_argument,
			                        NULL, OPT_RUNNER_BASE + (int)k};
		}
	all[n] = (struct option){NULL, 0, NULL, 0};
	return all;
}

static int add_runner_option(struct vmb_run_opts *o, const struct vmb_runner *r, const char *name,
                             const char *value, struct vmb_error *err)
{
	if (o->nropts == VMB_MAX_LIST)
		return vmb_error_set(err, VMB_ERR_USAGE, "--%s: more than %d runner options", name,
		                     VMB_MAX_LIST);
	if (value && !*value)
		return vmb_error_set(err, VMB_ERR_USAGE, "--%s: empty value", name);
	o->ropt_owner[o->nropts] = r;
	o->ropts[o->nropts].name = name;
	o->ropts[o->nropts++].value = value ? value : "";
	return 0;
}

struct vmb_run_env vmb_cli_runner_env(const struct vmb_run_opts *o, const struct vmb_runner *r,
                                      struct vmb_option_value *buf)
{
	struct vmb_run_env env = {
	        .cpus = o->cpus, .memory = o->memory, .cores = o->cores, .opts = buf};

	for (unsigned i = 0; i < o->nropts; i++)
		if (o->ropt_owner[i] == r)
			buf[env.nopts++] = o->ropts[i];
	return env;
}

static bool runner_selected(const struct vmb_run_opts *o, const struct vmb_runner *r)
{
	for (unsigned i = 0; i < o->nrunners; i++)
		if (o->runners[i] == r)
			return true;
	return false;
}

int vmb_cli_parse_run(int argc, char **argv, struct vmb_run_opts *o, struct vmb_error *err)
{
	static const struct vmb_runner *owners[64];
	static const char *names[64];
	const struct option *opts = longopts(owners, names);
	static char all[] = "all";
	const char *baseline = NULL;
	unsigned auto_max = 200;
	bool max_reps_given = false, reps_given = false, max_instances_given = false;
	uint64_t v;
	int c, rc = 0;

	memset(o, 0, sizeof(*o));
	o->reps = 5;
	o->warmup = 1;
	o->seed = 1;
	o->scale = 1.0;
	o->timeout_s = 300;
	o->cores = 1;
	o->ci_target = 0.02;
	o->max_time_s = 120;
	o->max_instances = 64;
	o->neighbours = 3;
	o->neighbour_load = -1;
	optind = 0; /* re-entrant for the tests: 0 makes getopt reinitialise */
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			rc = parse_suites(optarg, o, err);
			break;
		case 'r':
			o->runners_given = true;
			rc = parse_runners(optarg, o, err);
			break;
		case 'w':
			rc = parse_workloads(optarg, o, err);
			break;
		case 'n':
			if (strcmp(optarg, "auto") == 0) {
				o->reps_auto = true;
				break;
			}
			rc = vmb_parse_u64(optarg, 1, 100000, "--reps", &v, err);
			o->reps = (unsigned)v;
			max_reps_given = false;
			reps_given = true;
			break;
		case 'A':
			rc = vmb_parse_u64(optarg, VMB_AUTO_MIN_REPS, 100000, "--max-reps", &v,
			                   err);
			auto_max = (unsigned)v;
			max_reps_given = true;
			break;
		case 'T':
			rc = vmb_parse_percent(optarg, 1e-4, 99, "--ci-target", &o->ci_target, err);
			o->ci_target /= 100;
			break;
		case 'X':
			rc = vmb_parse_double(optarg, 1, 86400, "--max-time", &o->max_time_s, err);
			break;
		case 'W':
			rc = vmb_parse_u64(optarg, 0, 1000, "--warmup", &v, err);
			o->warmup = (unsigned)v;
			break;
		case 'o':
			if (!*optarg)
				rc = vmb_error_set(err, VMB_ERR_USAGE, "--out: empty path");
			o->out = optarg;
			break;
		case 'S':
			rc = vmb_parse_u64(optarg, 0, UINT64_MAX, "--seed", &o->seed, err);
			break;
		case 'x':
			rc = vmb_parse_double(optarg, 1e-4, 1000, "--scale", &o->scale, err);
			break;
		case 't':
			rc = vmb_parse_double(optarg, 0.1, 86400, "--timeout", &o->timeout_s, err);
			break;
		case 'c':
			rc = vmb_parse_u64(optarg, 1, 4096, "--cores", &v, err);
			o->cores = (unsigned)v;
			o->cores_given = true;
			break;
		case 'p':
			rc = parse_param(optarg, o, err);
			break;
		case 'Q':
			o->quick = true;
			break;
		case 'V':
			o->volume = optarg;
			if (!*optarg || access(optarg, W_OK | X_OK) < 0)
				rc = vmb_error_set(
				        err, VMB_ERR_USAGE,
				        "--volume %s: not a directory this user can write "
				        "in",
				        optarg);
			break;
		case 'C':
			rc = vmb_parse_double(optarg, 0.01, 4096, "--cpus", &o->cpus, err);
			break;
		case 'M':
			rc = vmb_parse_size(optarg, 1 << 20, 1ULL << 40, "--memory", &o->memory,
			                    err);
			break;
		case 'B':
			baseline = optarg;
			if (!vmb_runner_find(optarg))
				rc = vmb_error_set(
				        err, VMB_ERR_USAGE,
				        "--baseline %s: no such runner (see vmbench list)", optarg);
			break;
		case 'I':
			rc = parse_instances(optarg, o, err);
			break;
		case 'J':
			rc = vmb_parse_u64(optarg, 1, VMB_MAX_INSTANCES, "--max-instances", &v,
			                   err);
			o->max_instances = (unsigned)v;
			max_instances_given = true;
			break;
		case 'R':
			rc = vmb_parse_double(optarg, 0.01, 1e6, "--rate", &o->rate, err);
			break;
		case 'N':
			rc = parse_neighbours(optarg, o, err);
			break;
		case 'H':
			rc = vmb_parse_double(optarg, 0.001, 86400, "--hold-time", &o->hold_s, err);
			break;
		case 'h':
			o->help = true;
			return 0;
		case ':':
			return vmb_error_set(err, VMB_ERR_USAGE, "%s needs a value",
			                     argv[optind - 1]);
		default:
			if (c >= OPT_RUNNER_BASE && c < OPT_RUNNER_BASE + 64) {
				rc = add_runner_option(o, owners[c - OPT_RUNNER_BASE],
				                       names[c - OPT_RUNNER_BASE], optarg, err);
				break;
			}
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "unknown option '%s' (see vmbench run --help)",
			                     argv[optind - 1]);
		}
	}
	if (rc < 0)
		return -1;
	if (optind < argc)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "unexpected argument '%s' (see vmbench run --help)",
		                     argv[optind]);
	if (o->nsuites == 0) {
		o->suites[0] = all;
		o->nsuites = 1;
	}
	if (!o->volume) {
		const char *env = getenv("VMBENCH_VOLUME");
		if (env && *env && access(env, W_OK | X_OK) < 0)
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "VMBENCH_VOLUME=%s: not a directory this user can "
			                     "write in",
			                     env);
		o->volume = env && *env                                    ? env
		            : access(VMB_VOLUME_DEFAULT, W_OK | X_OK) == 0 ? VMB_VOLUME_DEFAULT
		                                                           : VMB_SCRATCH_PARENT;
	}
	if (check_volume(o, err) < 0)
		return -1;
	if (o->nrunners == 0) {
		for (unsigned i = 0; i < vmb_runner_count && i < VMB_MAX_LIST; i++)
			o->runners[i] = vmb_runners[i];
		o->nrunners = vmb_runner_count;
	}
	/* the baseline is one of the run's runners: by default the first */
	if (o->reps_auto)
		o->reps = auto_max;
	else if (o->quick && !reps_given)
		o->reps = QUICK_REPS;
	else if (max_reps_given)
		return vmb_error_set(err, VMB_ERR_USAGE, "--max-reps goes with --reps auto");
	if (o->quick && !max_instances_given)
		o->max_instances = QUICK_MAX_INSTANCES;
	o->baseline = baseline ? baseline : o->runners[0]->name;
	if (!runner_selected(o, vmb_runner_find(o->baseline)))
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "--baseline %s: not one of the run's runners (--runner)",
		                     o->baseline);
	/* an option of a runner the run does not use would silently do nothing */
	for (unsigned i = 0; i < o->nropts; i++)
		if (!runner_selected(o, o->ropt_owner[i]))
			return vmb_error_set(
			        err, VMB_ERR_USAGE,
			        "--%s: an option of runner %s, which --runner leaves out",
			        o->ropts[i].name, o->ropt_owner[i]->name);
	return 0;
}

static bool suite_selected(const struct vmb_run_opts *o, const char *suite)
{
	for (unsigned i = 0; i < o->nsuites; i++)
		if ((strcmp(o->suites[i], "all") == 0 && vmb_suite_in_all(suite)) ||
		    strcmp(o->suites[i], suite) == 0)
			return true;
	return false;
}

static bool workload_selected(const struct vmb_run_opts *o, const struct vmb_workload *w)
{
	if (o->nworkloads == 0)
		return true;
	for (unsigned i = 0; i < o->nworkloads; i++)
		if (o->workloads[i] == w)
			return true;
	return false;
}

bool vmb_volume_not_disk(const char *dir, char *why, size_t len)
{
	struct statfs sfs;

	if (statfs(dir, &sfs) < 0) {
		snprintf(why, len, "the volume %s cannot be examined: %s", dir, strerror(errno));
		return true;
	}
	if (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC) {
		snprintf(why, len,
		         "the volume %s is on %s, memory rather than a disk; give --volume DIR "
		         "on a disk file system",
		         dir, sfs.f_type == TMPFS_MAGIC ? "tmpfs" : "ramfs");
		return true;
	}
	return false;
}

/* Why case (w, r) cannot run, into why; false if it can. The workload's own
 * needs come first: they hold on every host. */
static bool skip_reason(const struct vmb_run_opts *o, const struct vmb_workload *w,
                        const struct vmb_runner *r, const char *probe_why, char *why, size_t len,
                        unsigned cores)
{
	const struct vmb_lack *lack = vmb_runner_lacks(r, w);
	char mem[300];

	uint64_t val[VMB_MAX_PARAMS] = {0};
	for (unsigned i = 0; i < vmb_workload_nparams(w); i++)
		val[i] = vmb_param_value(o, w, i);
	uint64_t need = vmb_workload_memory_need(w, val, cores);
	/* what the runner's instance leaves the workload of --memory, or at most */
	bool limited = o->memory || r->workload_memory_max;
	uint64_t room =
	        o->memory ? (o->memory > r->memory_overhead ? o->memory - r->memory_overhead : 0)
	                  : r->workload_memory_max;

	if ((w->needs & VMB_NEED_DISK) && vmb_volume_not_disk(o->volume, mem, sizeof(mem)))
		snprintf(why, len, "%s needs %s: %s", w->name, vmb_need_name(VMB_NEED_DISK), mem);
	else if (limited && need > room)
		snprintf(why, len,
		         "%s needs %llu MiB with these parameters; runner %s leaves a workload "
		         "%llu MiB%s",
		         w->name, (unsigned long long)(need >> 20), r->name,
		         (unsigned long long)(room >> 20),
		         o->memory ? " of --memory beside the guest's own kernel" : " at most");
	else if (w->min_cores > cores)
		snprintf(why, len, "%s needs %u cores; --cores gives %u", w->name, w->min_cores,
		         cores);
	else if (lack)
		snprintf(why, len, "%s needs %s; runner %s lacks it: %s", w->name,
		         vmb_need_name(lack->need), r->name, lack->why);
	else if (probe_why)
		snprintf(why, len, "%s", probe_why);
	else
		return false;
	return true;
}

/* Copies case n (a hold case) once per density point; returns the new count.
 * A point whose instances would not fit in the host's memory is skipped,
 * saying so. */
static int plan_density(const struct vmb_run_opts *o, struct vmb_case *cases, int n)
{
	unsigned pts[VMB_MAX_LIST], np = 0;
	const struct vmb_case base = cases[n];
	uint64_t val[VMB_MAX_PARAMS] = {0}, host = vmb_host_memory_bytes();

	if (o->ninstances) {
		memcpy(pts, o->instances, sizeof(pts[0]) * o->ninstances);
		np = o->ninstances;
	} else {
		for (unsigned k = 1; k <= o->max_instances && np < VMB_MAX_LIST; k *= 2)
			pts[np++] = k;
		if (pts[np - 1] != o->max_instances && np < VMB_MAX_LIST)
			pts[np++] = o->max_instances;
	}
	for (unsigned i = 0; i < vmb_workload_nparams(base.workload); i++)
		val[i] = vmb_param_value(o, base.workload, i);
	/* what one instance holds at the least: its working set and a few MiB of
	 * its own (measured: 1.4 to 6 MiB), and a guest's own kernel where the
	 * runner boots one; the sweep checks each next point against what the
	 * last one measured */
	int touch = vmb_workload_param_index(base.workload, "touch");
	uint64_t one = (touch >= 0 ? val[touch] : 0) + (4u << 20) + base.runner->memory_overhead;
	for (unsigned i = 0; i < np; i++) {
		cases[n] = base;
		cases[n].instances = pts[i];
		cases[n].sweep = o->ninstances == 0;
		cases[n].skip_reason = NULL;
		if (base.skip_reason) {
			cases[n].skip_reason = cases[n].why;
		} else if (host && (uint64_t)pts[i] * one > host / 10 * 8) {
			snprintf(cases[n].why, sizeof(cases[n].why),
			         "%u instances of %s on %s would need at least %llu MiB, more than "
			         "80%% of the host's %llu MiB",
			         pts[i], base.workload->name, base.runner->name,
			         (unsigned long long)((uint64_t)pts[i] * one >> 20),
			         (unsigned long long)(host >> 20));
			cases[n].skip_reason = cases[n].why;
		}
		n++;
	}
	return n;
}

/* Copies case n (a victim) into its pair: alone, and beside the neighbours. */
static int plan_neighbours(const struct vmb_run_opts *o, struct vmb_case *cases, int n, int load)
{
	if (load < 0)
		load = strcmp(cases[n].workload->suite, "cpu") == 0 ? 1 : 2;
	cases[n].neighbours = 0;
	cases[n + 1] = cases[n];
	if (cases[n].skip_reason)
		cases[n + 1].skip_reason = cases[n + 1].why;
	cases[n + 1].neighbours = (int)o->neighbours;
	cases[n + 1].load = (unsigned)load;
	return n + 2;
}

int vmb_plan(const struct vmb_run_opts *o, struct vmb_case **out, struct vmb_error *err)
{
	/* a workload's one case per runner, or its density points, or its
	 * noisy-neighbour pair */
	size_t cap = ((size_t)vmb_workload_count * 2 + VMB_MAX_LIST + 16) * o->nrunners;
	struct vmb_case *cases = calloc(cap, sizeof(*cases));
	char probe[VMB_MAX_LIST][256];
	int n = 0;

	if (!cases)
		return vmb_error_sys(err, ENOMEM, "plan");
	/* a density point or a victim runs on every core unless --cores says */
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned group_cores = o->cores_given || online < 1 ? o->cores : (unsigned)online;
	for (unsigned r = 0; r < o->nrunners; r++) {
		probe[r][0] = '\0';
		if (o->runners[r]->probe(probe[r], sizeof(probe[r])) < 0 && !probe[r][0])
			snprintf(probe[r], sizeof(probe[r]), "unavailable on this host");
	}
	for (unsigned w = 0; w < vmb_workload_count; w++) {
		const struct vmb_workload *wl = vmb_workloads[w];
		if (!suite_selected(o, wl->suite) || !workload_selected(o, wl))
			continue;
		for (unsigned r = 0; r < o->nrunners; r++) {
			const struct vmb_runner *rn = o->runners[r];
			if (rn->reference_for && !o->runners_given &&
			    strcmp(rn->reference_for, vmb_workload_headline(wl)) != 0)
				continue;
			cases[n].workload = wl;
			cases[n].runner = rn;
			cases[n].neighbours = -1;
			/* a density point or a victim runs on every core unless
			 * --cores says */
			bool group = strcmp(wl->name, "hold") == 0 || o->neighbours_given;
			if (skip_reason(o, wl, rn, probe[r][0] ? probe[r] : NULL, cases[n].why,
			                sizeof(cases[n].why), group ? group_cores : o->cores))
				cases[n].skip_reason = cases[n].why;
			if (strcmp(wl->name, "hold") == 0)
				n = plan_density(o, cases, n);
			else if (o->neighbours_given)
				n = plan_neighbours(o, cases, n, o->neighbour_load);
			else
				n++;
		}
	}
	/* the density suite's noisy neighbours: a cpu and a memory victim (K
	 * from --neighbours where given), unless they are victims already */
	if (suite_selected(o, "density") && o->nworkloads == 0)
		for (const char *const *v = (const char *const[]){"cpu-int", "mem-stream", NULL};
		     *v; v++) {
			const struct vmb_workload *wl = vmb_workload_find(*v);
			bool already = false;
			for (int i = 0; i < n; i++)
				already |= cases[i].workload == wl && cases[i].neighbours > 0;
			for (unsigned r = 0; wl && !already && r < o->nrunners; r++) {
				const struct vmb_runner *rn = o->runners[r];
				if (rn->reference_for && !o->runners_given)
					continue;
				cases[n] = (struct vmb_case){.workload = wl, .runner = rn};
				if (skip_reason(o, wl, rn, probe[r][0] ? probe[r] : NULL,
				                cases[n].why, sizeof(cases[n].why), group_cores))
					cases[n].skip_reason = cases[n].why;
				n = plan_neighbours(o, cases, n, o->neighbour_load);
			}
		}
	if (n == 0) {
		free(cases);
		return vmb_error_set(
		        err, VMB_ERR_USAGE,
		        "--workload: none of the named workloads is in the chosen suites");
	}
	/* density options with nothing to act on would silently do nothing */
	bool points = false, victims = false;
	for (int i = 0; i < n; i++) {
		points |= cases[i].instances > 0;
		victims |= cases[i].neighbours > 0;
	}
	const char *idle = NULL, *what = "density point (workload hold, suite density)";
	if (o->neighbours_given && !victims) {
		idle = "--neighbours";
		what = "workload to run beside neighbours (hold is the neighbour, not a victim)";
	} else if (!points) {
		idle = o->ninstances   ? "--instances"
		       : o->rate > 0   ? "--rate"
		       : o->hold_s > 0 ? "--hold-time"
		                       : NULL;
	}
	if (idle) {
		free(cases);
		return vmb_error_set(err, VMB_ERR_USAGE, "%s: the run has no %s", idle, what);
	}
	/* each chosen workload's parameters, together and against the limits,
	 * before anything starts */
	for (unsigned w = 0; w < vmb_workload_count; w++) {
		const struct vmb_workload *wl = vmb_workloads[w];
		uint64_t val[VMB_MAX_PARAMS] = {0};
		struct vmb_check_env env = {.volume_dir = o->volume,
		                            .memory = o->memory,
		                            .cores = o->cores,
		                            .host_memory = vmb_host_memory_bytes()};
		bool chosen = false;
		for (int i = 0; i < n; i++)
			chosen |= cases[i].workload == wl;
		if (!chosen)
			continue;
		for (unsigned i = 0; i < vmb_workload_nparams(wl); i++)
			val[i] = vmb_param_value(o, wl, i);
		if (vmb_workload_check(wl, val, &env, err) < 0) {
			free(cases);
			return -1;
		}
	}
	*out = cases;
	return n;
}
