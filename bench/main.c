/* main.c: the vmbench CLI: dispatches subcommands; the only place that prints errors
 * and picks the exit status. */
#include <stdio.h>
#include <string.h>

#include "bench/run.h"
#include "vmbench/host.h"
#include "vmbench/util.h"

static int wants_help(int argc, char **argv, const char *cmd, struct vmb_error *err)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "vmbench %s: unexpected argument '%s' (see vmbench %s --help)",
		                     cmd, argv[i], cmd);
	}
	return 0;
}

/* A parameter's value as --param takes it: sizes with K, M or G where whole. */
static void param_text(const struct vmb_param *p, uint64_t v, char *buf, size_t len)
{
	static const char suffix[] = "GMK";

	for (int i = 0; p->bytes && v && i < 3; i++) {
		unsigned shift = 30 - 10 * (unsigned)i;
		if (v % (1ull << shift) == 0) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(v >> shift), suffix[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
}

int vmb_cmd_list(int argc, char **argv, struct vmb_error *err)
{
	int h = wants_help(argc, argv, "list", err);

	if (h < 0)
		return -1;
	if (h) {
		printf("usage: vmbench list\n\n"
		       "Lists the suites and their workloads (with parameters as --param takes\n"
		       "them, defaults at --scale 1 and under --quick, needs, headline and own\n"
		       "figures), and the runners with whether each can work on this host;\n"
		       "for a runner that cannot, the reason and what to do.\n");
		return 0;
	}
	printf("suites:\n");
	for (const char *const *s = vmb_suites(); *s; s++) {
		printf("  %-10s", *s);
		for (unsigned i = 0; i < vmb_workload_count; i++)
			if (strcmp(vmb_workloads[i]->suite, *s) == 0)
				printf(" %s", vmb_workloads[i]->name);
		printf("\n");
	}
	printf("  %-10s every suite above but selftest\n\nworkloads:\n", "all");
	for (unsigned i = 0; i < vmb_workload_count; i++) {
		const struct vmb_workload *w = vmb_workloads[i];
		printf("  %-11s [%s] %s\n", w->name, w->suite, w->summary);
		if (w->parallel)
			printf("      runs a copy on each of --cores cores\n");
		if (w->needs)
			for (unsigned b = 1; b & VMB_NEED_ALL; b <<= 1)
				if (w->needs & b)
					printf("      needs %s\n", vmb_need_name(b));
		for (unsigned p = 0; p < vmb_workload_nparams(w); p++) {
			const struct vmb_param *pa = &w->params[p];
			char quick[48] = "", def[32], q[32];
			param_text(pa, pa->def, def, sizeof(def));
			param_text(pa, pa->quick, q, sizeof(q));
			if (pa->quick)
				snprintf(quick, sizeof(quick), ", --quick %s", q);
			printf("      %s.%s=%s%s%s  %s\n", w->name, pa->name, def,
			       pa->scaled ? " (scaled)" : "", quick, pa->help);
		}
		printf("      headline: %s\n", vmb_workload_headline(w));
		for (const struct vmb_metric *m = w->metrics; m && m->name; m++)
			printf("      figure %s (%s, %s is better)\n", m->name, m->unit,
			       vmb_better_name(m->better));
	}
	printf("\nrunners:\n");
	for (unsigned i = 0; i < vmb_runner_count; i++) {
		char why[256] = "";
		const struct vmb_runner *r = vmb_runners[i];
		int ok = r->probe(why, sizeof(why)) == 0;
		printf("  %-10s %-11s %s\n", r->name, ok ? "available" : "unavailable", r->summary);
		if (!ok)
			printf("  %-10s %-11s why: %s\n", "", "", why);
		if (r->reference_for)
			printf("  %-10s %-11s a reference for %s only, unless named with "
			       "--runner\n",
			       "", "", r->reference_for);
		for (const struct vmb_lack *l = r->lacks; l && l->need; l++)
			printf("  %-10s %-11s lacks %s: %s\n", "", "", vmb_need_name(l->need),
			       l->why);
		for (const struct vmb_runner_option *o = r->options; o && o->name; o++)
			printf("  %-10s %-11s option --%s%s%s\n", "", "", o->name,
			       o->arg ? " " : "", o->arg ? o->arg : "");
	}
	return 0;
}

int vmb_cmd_doctor(int argc, char **argv, struct vmb_error *err)
{
	struct vmb_probe p[VMB_MAX_PROBES];
	int h = wants_help(argc, argv, "doctor", err);

	if (h < 0)
		return -1;
	if (h) {
		printf("usage: vmbench doctor\n\n"
		       "Checks what this host offers vmbench, one line each: KVM, user "
		       "namespaces,\n"
		       "cgroups (v1, v2 or hybrid, and controllers), PAPI and its hardware\n"
		       "counters, the hwloc topology, gnuplot, then whether each runner can run\n"
		       "here (asking the same probes). Each line says ok or missing, with the\n"
		       "reason and what to do. The same facts go into every results.json.\n"
		       "Exit status 0: doctor only reports.\n");
		return 0;
	}
	unsigned n = vmb_host_probe_all(p);
	for (unsigned i = 0; i < n; i++) {
		printf("%-8s %-18s %s\n", p[i].ok ? "ok" : "missing", p[i].what, p[i].detail);
		if (!p[i].ok && p[i].hint[0])
			printf("%-8s %-18s fix: %s\n", "", "", p[i].hint);
	}
	/* the runners ask the same probes: what doctor says is what they do */
	for (unsigned i = 0; i < vmb_runner_count; i++) {
		char why[256] = "", what[64];
		int ok = vmb_runners[i]->probe(why, sizeof(why)) == 0;
		snprintf(what, sizeof(what), "runner %s", vmb_runners[i]->name);
		printf("%-8s %-18s %s\n", ok ? "ok" : "missing", what, ok ? "can run here" : why);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **, struct vmb_error *);
	} cmds[] = {{"run", vmb_cmd_run},
	            {"list", vmb_cmd_list},
	            {"doctor", vmb_cmd_doctor},
	            {"report", vmb_cmd_report},
	            {"compare", vmb_cmd_compare}};
	struct vmb_error err = {0};

	if (argc < 2) {
		vmb_cli_usage(stderr);
		return VMB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		vmb_cli_usage(stdout);
		return VMB_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("vmbench %s (%s)\n", VMB_VERSION, "see results.json for the commit");
		return VMB_EXIT_OK;
	}
	for (size_t i = 0; i < VMB_ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		if (cmds[i].fn(argc - 1, argv + 1, &err) == 0)
			return VMB_EXIT_OK;
		fprintf(stderr, "vmbench %s: %s\n", cmds[i].name, err.msg);
		switch (err.kind) {
		case VMB_ERR_USAGE:
			return VMB_EXIT_USAGE;
		case VMB_ERR_INTERRUPTED: {
			int sig = vmb_signals_pending();
			return 128 + (sig ? sig : 2);
		}
		case VMB_ERR_NONE:
		case VMB_ERR_FAIL:
		default:
			return VMB_EXIT_FAILED;
		}
	}
	fprintf(stderr,
	        "vmbench: unknown command '%s' (run, list, doctor, report, compare; see vmbench "
	        "--help)\n",
	        argv[1]);
	return VMB_EXIT_USAGE;
}
