/* cli.c: parsing `vmbench run` options into vmb_run_opts, and expanding them into cases. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
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
	        "\n"
	        "Each command takes --help. Example: vmbench run --suite all\n"
	        "\n"
	        "exit status: 0 all ok, 1 a measurement failed (the rest ran and was kept),\n"
	        "2 bad usage or input (nothing run, nothing overwritten), 128+N interrupted\n"
	        "by signal N (results so far kept).\n");
}

void vmb_cli_run_usage(FILE *f)
{
	fputs("usage: vmbench run [--suite NAME[,NAME]] [--runner R[,R]] [--workload W[,W]]\n"
	      "                   [--reps N] [--warmup N] [--out DIR] [--seed N] [--scale F]\n"
	      "                   [--timeout SEC] [--cores N] [--param KEY=VALUE]...\n"
	      "                   [--cpus F] [--memory SIZE] [--image DIR] [--kernel FILE]\n"
	      "                   [--verbose] [--hugepages]\n"
	      "\n"
	      "Runs every selected workload on every selected runner: WARMUP discarded\n"
	      "launches, then REPS measured ones, each a fresh instance. Results go to\n"
	      "DIR/results.json, rewritten after every launch so an interrupted run keeps\n"
	      "what it measured. Runners that cannot work on this host are recorded as\n"
	      "skipped, with the reason.\n"
	      "\n"
	      "  --suite LIST     suites: all, or names from `vmbench list` (default all)\n"
	      "  --runner LIST    runners: native, container, vm, unshare (default: all; unshare,\n"
	      "                   a reference that starts the agent under util-linux unshare(1)\n"
	      "                   with the container's namespaces, only in the startup suite)\n"
	      "  --workload LIST  only these workloads of the chosen suites\n"
	      "  --reps N         measured repetitions per case, 1..100000 (default 5)\n"
	      "  --warmup N       discarded repetitions before them, 0..1000 (default 1)\n"
	      "  --out DIR        results directory; must not exist (default results/RUN-ID)\n"
	      "  --seed N         seed for generated input and the bootstrap (default 1)\n"
	      "  --scale F        multiply the work of every workload, 0.0001..1000 (default 1)\n"
	      "  --timeout SEC    limit per launch, 0.1..86400 (default 300)\n"
	      "  --param K=V      set workload parameter K (see vmbench list) for every chosen\n"
	      "                   workload that has it; not scaled\n"
	      "  --cores N        cores every instance is placed on, through hwloc (default 1;\n"
	      "                   the highest-numbered cores are taken, away from core 0)\n"
	      "  --cpus F         container: CPU bandwidth limit of its cgroup, in cores\n"
	      "                   (0.01..4096; default none); vm: vCPUs (F rounded up;\n"
	      "                   default 1), and the same limit on the VMM's cgroup\n"
	      "  --memory SIZE    container: memory limit of its cgroup, e.g. 512M (default\n"
	      "                   none; an instance that exceeds it is OOM-killed, recorded as\n"
	      "                   failed, and the run goes on); vm: guest RAM, 64M..3G\n"
	      "                   (default 512M)\n"
	      "  --image DIR      root file system for the container instead of vmbench's\n"
	      "                   own cached one; must hold the agent at /usr/local/bin\n"
	      "  --kernel FILE    bzImage the VM runner boots (default: the host's own kernel\n"
	      "                   if readable, else Debian's cloud kernel, fetched once into\n"
	      "                   the cache with apt-get download)\n"
	      "  --verbose        show each guest's console on the terminal too\n"
	      "  --hugepages      back VM guest RAM with transparent huge pages (recorded)\n"
	      "  --help           this text\n"
	      "\n"
	      "Progress goes to stderr; a summary table and the results path to stdout.\n"
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

/* KEY=VALUE: KEY must be a parameter of some workload, and VALUE within the
 * bounds of every workload that has it. */
static int parse_param(char *arg, struct vmb_run_opts *o, struct vmb_error *err)
{
	char *eq = strchr(arg, '=');
	bool found = false;

	if (!eq || eq == arg)
		return vmb_error_set(err, VMB_ERR_USAGE, "--param '%s': expected KEY=VALUE", arg);
	if (o->nparams == VMB_MAX_LIST)
		return vmb_error_set(err, VMB_ERR_USAGE, "--param: more than %d", VMB_MAX_LIST);
	*eq = '\0';
	for (unsigned w = 0; w < vmb_workload_count; w++) {
		int i = vmb_workload_param_index(vmb_workloads[w], arg);
		if (i < 0)
			continue;
		const struct vmb_param *p = &vmb_workloads[w]->params[i];
		char what[96];
		snprintf(what, sizeof(what), "--param %s (workload %s)", arg,
		         vmb_workloads[w]->name);
		if (vmb_parse_u64(eq + 1, p->min, p->max, what, &o->param_vals[o->nparams], err) <
		    0)
			return -1;
		found = true;
	}
	if (!found)
		return vmb_error_set(
		        err, VMB_ERR_USAGE,
		        "--param %s: no workload has a parameter '%s' (see vmbench list)", arg,
		        arg);
	o->param_keys[o->nparams++] = arg;
	return 0;
}

uint64_t vmb_param_value(const struct vmb_run_opts *o, const struct vmb_workload *w, unsigned i)
{
	const struct vmb_param *p = &w->params[i];

	for (unsigned k = o->nparams; k-- > 0;)
		if (strcmp(o->param_keys[k], p->name) == 0)
			return o->param_vals[k];
	double v = p->scaled ? round((double)p->def * o->scale) : (double)p->def;
	return v < (double)p->min ? p->min : v > (double)p->max ? p->max : (uint64_t)v;
}

int vmb_parse_size(const char *s, uint64_t min, uint64_t max, const char *what, uint64_t *out,
                   struct vmb_error *err)
{
	char num[32];
	size_t len = strlen(s);
	unsigned shift = 0;

	if (len == 0 || len >= sizeof(num))
		return vmb_error_set(err, VMB_ERR_USAGE, "%s '%s': not a size", what, s);
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		break;
	}
	if (shift)
		num[len - 1] = '\0';
	uint64_t v;
	if (vmb_parse_u64(num, 1, UINT64_MAX >> shift, what, &v, err) < 0)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "%s '%s': not a size (a whole number, optionally K, M or G)",
		                     what, s);
	v <<= shift;
	if (v < min || v > max)
		return vmb_error_set(err, VMB_ERR_USAGE, "%s %s: outside %llu..%llu bytes", what, s,
		                     (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int vmb_cli_parse_run(int argc, char **argv, struct vmb_run_opts *o, struct vmb_error *err)
{
	static const struct option longopts[] = {
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
	        {"help", no_argument, NULL, 'h'},
	        {"cpus", required_argument, NULL, 'C'},
	        {"memory", required_argument, NULL, 'M'},
	        {"image", required_argument, NULL, 'I'},
	        {"kernel", required_argument, NULL, 'K'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"hugepages", no_argument, NULL, 'H'},
	        {NULL, 0, NULL, 0},
	};
	static char all[] = "all";
	uint64_t v;
	int c, rc = 0;

	memset(o, 0, sizeof(*o));
	o->reps = 5;
	o->warmup = 1;
	o->seed = 1;
	o->scale = 1.0;
	o->timeout_s = 300;
	o->cores = 1;
	optind = 0; /* re-entrant for the tests: 0 makes getopt reinitialise */
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
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
			rc = vmb_parse_u64(optarg, 1, 100000, "--reps", &v, err);
			o->reps = (unsigned)v;
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
			break;
		case 'p':
			rc = parse_param(optarg, o, err);
			break;
		case 'C':
			rc = vmb_parse_double(optarg, 0.01, 4096, "--cpus", &o->cpus, err);
			break;
		case 'M':
			rc = vmb_parse_size(optarg, 1 << 20, 1ULL << 40, "--memory", &o->memory,
			                    err);
			break;
		case 'K':
			if (!*optarg)
				rc = vmb_error_set(err, VMB_ERR_USAGE, "--kernel: empty path");
			o->kernel = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'H':
			o->hugepages = true;
			break;
		case 'I':
			if (!*optarg)
				rc = vmb_error_set(err, VMB_ERR_USAGE, "--image: empty path");
			o->image = optarg;
			break;
		case 'h':
			o->help = true;
			return 0;
		case ':':
			return vmb_error_set(err, VMB_ERR_USAGE, "%s needs a value",
			                     argv[optind - 1]);
		default:
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
	if (o->nrunners == 0) {
		for (unsigned i = 0; i < vmb_runner_count && i < VMB_MAX_LIST; i++)
			o->runners[i] = vmb_runners[i];
		o->nrunners = vmb_runner_count;
	}
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

int vmb_plan(const struct vmb_run_opts *o, struct vmb_case **out, char *reasons,
             struct vmb_error *err)
{
	struct vmb_case *cases = calloc((size_t)vmb_workload_count * o->nrunners, sizeof(*cases));
	int n = 0;

	if (!cases)
		return vmb_error_sys(err, ENOMEM, "plan");
	for (unsigned r = 0; r < o->nrunners; r++) {
		char *why = reasons + r * 256;
		why[0] = '\0';
		if (o->runners[r]->probe(why, 256) < 0 && !why[0])
			snprintf(why, 256, "unavailable on this host");
	}
	for (unsigned w = 0; w < vmb_workload_count; w++) {
		const struct vmb_workload *wl = vmb_workloads[w];
		if (!suite_selected(o, wl->suite) || !workload_selected(o, wl))
			continue;
		for (unsigned r = 0; r < o->nrunners; r++) {
			if (o->runners[r]->reference && !o->runners_given &&
			    strcmp(wl->suite, "startup") != 0)
				continue;
			cases[n].workload = wl;
			cases[n].runner = o->runners[r];
			cases[n].skip_reason = reasons[r * 256] ? reasons + r * 256 : NULL;
			if (!cases[n].skip_reason && o->runners[r]->cannot_run)
				cases[n].skip_reason = o->runners[r]->cannot_run(wl);
			n++;
		}
	}
	if (n == 0) {
		free(cases);
		return vmb_error_set(
		        err, VMB_ERR_USAGE,
		        "--workload: none of the named workloads is in the chosen suites");
	}
	*out = cases;
	return n;
}
