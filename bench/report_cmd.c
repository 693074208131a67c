/* report_cmd.c: `vmbench report`: reads runs, then writes tables and charts into a new
 * directory, built aside and renamed into place so that a failure leaves nothing. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/run.h"
#include "vmbench/journal.h"
#include "vmbench/report.h"
#include "vmbench/util.h"

static void usage(FILE *f)
{
	fputs("usage: vmbench report RESULTS... [--format md,html,csv,latex,json] [--out DIR]\n"
	      "\n"
	      "Tables and charts from one or more runs (each RESULTS a results.json or a run\n"
	      "directory, a run cut short included), shown side by side: one table per\n"
	      "suite with every runner's median and 95% interval and its overhead against\n"
	      "the run's baseline runner, start-up phases, the host, and everything that\n"
	      "was skipped or unavailable with its reason. Charts are drawn by gnuplot\n"
	      "(SVG, PNG, and PDF where gnuplot has it) with their .gp scripts and .dat\n"
	      "data kept in DIR/charts; without gnuplot the tables still come out.\n"
	      "\n"
	      "  --format LIST  any of md, html, csv, latex, json, or all (default md,html)\n"
	      "  --out DIR      a new directory (default: report-RUNID beside the first run's\n"
	      "                 directory); an existing one is never overwritten\n",
	      f);
}

static int parse_formats(const char *list, unsigned *out, struct vmb_error *err)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"md", VMB_REPORT_MD},       {"markdown", VMB_REPORT_MD},
	             {"html", VMB_REPORT_HTML},   {"csv", VMB_REPORT_CSV},
	             {"latex", VMB_REPORT_LATEX}, {"tex", VMB_REPORT_LATEX},
	             {"json", VMB_REPORT_JSON},   {"all", ~0u}};
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", list);
	*out = 0;
	for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < sizeof(names) / sizeof(names[0]) && strcmp(names[i].name, w) != 0)
			i++;
		if (i == sizeof(names) / sizeof(names[0]))
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "--format: unknown format '%s' (md, html, csv, latex, "
			                     "json, all)",
			                     w);
		*out |= names[i].bit;
	}
	if (*out == 0)
		return vmb_error_set(err, VMB_ERR_USAGE, "--format: no format given");
	return 0;
}

/* report-RUNID in the directory that holds the first run's directory. */
static void default_out(const struct vmb_report *rep, const char *first, char *out, size_t len)
{
	char run_dir[PATH_MAX];
	struct stat st;

	snprintf(run_dir, sizeof(run_dir), "%s", first);
	if (stat(first, &st) == 0 && !S_ISDIR(st.st_mode)) {
		char *slash = strrchr(run_dir, '/');
		snprintf(run_dir, sizeof(run_dir), "%.*s", slash ? (int)(slash - run_dir) : 1,
		         slash ? first : ".");
	}
	/* "." or "run/.." have no name of their own to be beside */
	char real[PATH_MAX];
	if (realpath(run_dir, real))
		snprintf(run_dir, sizeof(run_dir), "%s", real);
	size_t n = strlen(run_dir);
	while (n > 1 && run_dir[n - 1] == '/')
		run_dir[--n] = '\0';
	char *slash = strrchr(run_dir, '/');
	const char *id = json_string_value(json_object_get(rep->runs[0].root, "run_id"));
	if (!slash)
		snprintf(out, len, "report-%s", id ? id : "run");
	else
		snprintf(out, len, "%.*s/report-%s", (int)(slash - run_dir + (slash == run_dir)),
		         run_dir, id ? id : "run");
}

static int render(struct vmb_report *rep, const char *out, unsigned formats, bool *charted,
                  struct vmb_error *err)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s.partial-XXXXXX", out) >= (int)sizeof(tmp))
		return vmb_error_set(err, VMB_ERR_USAGE, "%s: path too long", out);
	if (!mkdtemp(
	            tmp)) /* --out is input: a parent that is missing or read-only is a usage error */
		return vmb_error_set(err, VMB_ERR_USAGE, "%s: cannot create: %s", out,
		                     strerror(errno));
	/* charts first: the pages show them, or say why there are none */
	int rc = vmb_report_charts(rep, tmp, err);
	if (rc == 0)
		rc = vmb_report_write(rep, tmp, formats, err);
	if (rc == 0 && chmod(tmp, 0755) < 0)
		rc = vmb_error_sys(err, errno, "%s", tmp);
	/* a directory made meanwhile under that name is not replaced */
	if (rc == 0 && access(out, F_OK) == 0)
		rc = vmb_error_set(err, VMB_ERR_USAGE, "%s: exists; not overwritten", out);
	if (rc == 0 && rename(tmp, out) < 0)
		rc = vmb_error_sys(err, errno, "%s", out);
	if (rc < 0) {
		struct vmb_error ignored = {0};
		vmb_rm_tree(tmp, &ignored);
	}
	*charted = rep->charts_note == NULL;
	return rc;
}

int vmb_cmd_report(int argc, char **argv, struct vmb_error *err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
	                                     {"out", required_argument, NULL, 'o'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	unsigned formats = VMB_REPORT_MD | VMB_REPORT_HTML;
	const char *out = NULL;
	char def[PATH_MAX];
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_formats(optarg, &formats, err) < 0)
				return -1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "bad option (see vmbench report --help)");
		}
	}
	if (optind >= argc)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "no results given (vmbench report RESULTS... ; see --help)");
	if (out && access(out, F_OK) == 0)
		return vmb_error_set(err, VMB_ERR_USAGE, "%s: exists; not overwritten", out);
	struct vmb_report rep;
	size_t n = (size_t)(argc - optind);
	json_t **roots = calloc(n + 1, sizeof(*roots));
	if (!roots)
		return vmb_error_sys(err, ENOMEM, "report");
	int lrc = 0;
	for (size_t i = 0; i < n && lrc == 0; i++)
		if (!(roots[i] = vmb_run_load_path(argv[optind + (int)i], err)))
			lrc = -1;
	if (lrc == 0)
		lrc = vmb_report_load(&rep, roots, argv + optind, n, err);
	for (size_t i = 0; i < n; i++)
		json_decref(roots[i]);
	free(roots);
	if (lrc < 0)
		return -1;
	if (!out) {
		default_out(&rep, argv[optind], def, sizeof(def));
		out = def;
		if (access(out, F_OK) == 0) {
			vmb_report_free(&rep);
			return vmb_error_set(
			        err, VMB_ERR_USAGE,
			        "%s: exists; not overwritten (pick another with --out)", out);
		}
	}
	bool charted = false;
	int rc = render(&rep, out, formats, &charted, err);
	if (rc == 0 && !charted)
		fprintf(stderr, "vmbench report: %s\n", rep.charts_note);
	if (rc == 0)
		printf("report: %s\n", out);
	vmb_report_free(&rep);
	return rc;
}
