/* compare_cmd.c: `vmbench compare`, the regression gate's command line: reads each
 * side's runs, asks report/compare.c for verdicts, prints them, picks the exit status. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/run.h"
#include "vmbench/compare.h"
#include "vmbench/journal.h"
#include "vmbench/results.h"
#include "vmbench/util.h"

/* Most files per side: tools/gate gives one per round. */
#define MAX_FILES 64
/* Most --metric names. */
#define MAX_METRICS 32

static void usage(void)
{
	printf("usage: vmbench compare [OPTIONS] BASE NEW\n"
	       "       vmbench compare [OPTIONS] BASE... -- NEW...\n\n"
	       "Compares the runs of a change (NEW) with those of its base (BASE), case by\n"
	       "case (same workload, runner and params) and metric by metric: both medians,\n"
	       "the change with its 95%% bootstrap interval (above 0 is worse, whichever way\n"
	       "the metric improves), the Mann-Whitney U test's p-value, and a verdict:\n"
	       "improved, regressed, unchanged, suspect or not comparable. A regression\n"
	       "needs both p < ALPHA and a change beyond the threshold. A regression in only\n"
	       "one of several runners or params of a workload is suspect, not failed,\n"
	       "unless it is beyond 3x its threshold. Each file is a results.json or a run\n"
	       "directory (a run cut short is read with its journal); several files on a\n"
	       "side have their samples of the same case merged (see tools/gate).\n\n"
	       "  --metric NAME       compare NAME (repeatable, or a comma list) instead of\n"
	       "                      each case's headline metric\n"
	       "  --ignore-param K    leave workload parameter K out of a case's identity, so\n"
	       "                      runs differing only in it are compared (repeatable)\n"
	       "  --threshold PCT     noise floor in percent, e.g. 5 or 5%% (default 5%%)\n"
	       "  --thresholds FILE   per-metric thresholds: lines \"METRIC PERCENT\", '#'\n"
	       "                      comments\n"
	       "  --alpha A           significance level, 0 < A <= 0.5 (default 0.01)\n"
	       "  --json, --md        the comparison as JSON, or Markdown for a pull request\n\n"
	       "Exit status: 0 no regression, 1 a regression, 2 bad input (one line on\n"
	       "stderr naming the file and the problem, nothing on stdout). See docs/GATE.md.\n");
}

/* Reads one side's file: a run directory, or a results.json (its directory's
 * journal too, when it is named results.json, so that a run cut short is
 * read whole). New reference or NULL with a usage error naming path. */
struct side {
	const char *names[MAX_FILES];
	json_t *roots[MAX_FILES];
	size_t n;
};

static void side_free(struct side *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_decref(s->roots[i]);
}

static int load_side(struct side *s, struct vmb_error *err)
{
	for (size_t i = 0; i < s->n; i++)
		if (!(s->roots[i] = vmb_run_load_path(s->names[i], err))) {
			for (size_t j = i; j < s->n; j++)
				s->roots[j] = NULL;
			return -1;
		}
	return 0;
}

/* Splits a comma list of metric names into m (at *n so far). */
static int add_metrics(char *list, const char **m, size_t *n, struct vmb_error *err)
{
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (*n + 1 >= MAX_METRICS)
			return vmb_error_set(err, VMB_ERR_USAGE, "--metric: at most %d names",
			                     MAX_METRICS - 1);
		m[(*n)++] = t;
	}
	m[*n] = NULL;
	return 0;
}

/* "2 regressions: cpu-int on native (workload_wall_ns +10.2%), ..." */
static int regression_error(json_t *cmp, struct vmb_error *err)
{
	char msg[sizeof(err->msg) - 64];
	size_t i, n = 0;
	int len = 0;
	json_t *r;

	msg[0] = '\0';
	json_array_foreach(json_object_get(cmp, "rows"), i, r)
	{
		if (strcmp(json_string_value(json_object_get(r, "verdict")), "regressed") != 0)
			continue;
		if (len >= 0 && (size_t)len < sizeof(msg))
			len += snprintf(msg + len, sizeof(msg) - (size_t)len,
			                "%s%s on %s (%s %+.1f%%)", n ? ", " : "",
			                json_string_value(json_object_get(r, "workload")),
			                json_string_value(json_object_get(r, "runner")),
			                json_string_value(json_object_get(r, "metric")),
			                json_number_value(json_object_get(r, "change_pct")));
		n++;
	}
	return vmb_error_set(err, VMB_ERR_FAIL, "%zu regression%s: %s", n, n == 1 ? "" : "s", msg);
}

static int parse_args(int argc, char **argv, struct vmb_compare_opts *o, const char **metrics,
                      size_t *nmetrics, const char **ignore, size_t *nignore, const char **thr_file,
                      enum vmb_compare_format *fmt, struct side *base, struct side *new_,
                      struct vmb_error *err)
{
	const char *pos[2 * MAX_FILES];
	size_t npos = 0, split = (size_t)-1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (strcmp(a, "--") == 0) {
			if (split != (size_t)-1)
				return vmb_error_set(err, VMB_ERR_USAGE, "'--' given twice");
			split = npos;
		} else if (strcmp(a, "--json") == 0) {
			*fmt = VMB_COMPARE_JSON;
		} else if (strcmp(a, "--md") == 0) {
			*fmt = VMB_COMPARE_MD;
		} else if (strncmp(a, "--", 2) == 0 && !has_val &&
		           (strcmp(a, "--metric") == 0 || strcmp(a, "--threshold") == 0 ||
		            strcmp(a, "--ignore-param") == 0 || strcmp(a, "--thresholds") == 0 ||
		            strcmp(a, "--alpha") == 0)) {
			return vmb_error_set(err, VMB_ERR_USAGE, "%s needs a value", a);
		} else if (strcmp(a, "--metric") == 0) {
			if (add_metrics(argv[++i], metrics, nmetrics, err) < 0)
				return -1;
		} else if (strcmp(a, "--ignore-param") == 0) {
			if (*nignore + 1 >= MAX_METRICS)
				return vmb_error_set(err, VMB_ERR_USAGE,
				                     "--ignore-param: at most %d names",
				                     MAX_METRICS - 1);
			ignore[(*nignore)++] = argv[++i];
		} else if (strcmp(a, "--threshold") == 0) {
			if (vmb_parse_percent(argv[++i], 0, 1000, "--threshold", &o->threshold_pct,
			                      err) < 0)
				return -1;
		} else if (strcmp(a, "--thresholds") == 0) {
			*thr_file = argv[++i];
		} else if (strcmp(a, "--alpha") == 0) {
			if (vmb_parse_double(argv[++i], 1e-9, 0.5, "--alpha", &o->alpha, err) < 0)
				return -1;
		} else if (a[0] == '-' && a[1]) {
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "unknown option '%s' (see vmbench compare --help)", a);
		} else if (npos == VMB_ARRAY_SIZE(pos)) {
			return vmb_error_set(err, VMB_ERR_USAGE, "at most %d files a side",
			                     MAX_FILES);
		} else {
			pos[npos++] = a;
		}
	}
	if (split == (size_t)-1 && npos == 2)
		split = 1;
	if (split == (size_t)-1 || split == 0 || split == npos)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "expected BASE NEW, or BASE... -- NEW... (see vmbench compare "
		                     "--help)");
	if (split > MAX_FILES || npos - split > MAX_FILES)
		return vmb_error_set(err, VMB_ERR_USAGE, "at most %d files a side", MAX_FILES);
	for (size_t i = 0; i < npos; i++) {
		struct side *s = i < split ? base : new_;
		s->names[s->n++] = pos[i];
	}
	return 0;
}

int vmb_cmd_compare(int argc, char **argv, struct vmb_error *err)
{
	struct vmb_compare_opts o;
	const char *metrics[MAX_METRICS] = {NULL}, *ignore[MAX_METRICS] = {NULL}, *thr_file = NULL;
	size_t nmetrics = 0, nignore = 0;
	enum vmb_compare_format fmt = VMB_COMPARE_TEXT;
	struct side base = {0}, new_ = {0};
	json_t *cmp = NULL;
	int rc = -1;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage();
			return 0;
		}
	vmb_compare_opts_init(&o);
	if (parse_args(argc, argv, &o, metrics, &nmetrics, ignore, &nignore, &thr_file, &fmt, &base,
	               &new_, err) < 0)
		return -1;
	o.metrics = nmetrics ? metrics : NULL;
	o.ignore_params = nignore ? ignore : NULL;
	if (thr_file && !(o.thresholds = vmb_thresholds_load(thr_file, err)))
		return -1;
	if (load_side(&base, err) < 0 || load_side(&new_, err) < 0)
		goto out;
	/* the first base run's seed: the same inputs give the same intervals */
	o.seed = (uint64_t)json_integer_value(
	        json_object_get(json_object_get(base.roots[0], "config"), "seed"));
	cmp = vmb_compare(base.roots, base.n, base.names, new_.roots, new_.n, new_.names, &o, err);
	if (!cmp)
		goto out;
	/* a gate that compared nothing must not pass: say so, as bad input */
	size_t k, compared = 0;
	json_t *row;
	json_array_foreach(json_object_get(cmp, "rows"), k, row) compared +=
	        !vmb_row_verdict_is(row, VMB_VERDICT_NOT_COMPARABLE);
	if (!compared) {
		vmb_compare_print(stderr, cmp, fmt);
		rc = vmb_error_set(err, VMB_ERR_USAGE,
		                   "%s and %s: no case could be compared (each lacks counted "
		                   "samples on one side)",
		                   base.names[0], new_.names[0]);
		goto out;
	}
	vmb_compare_print(stdout, cmp, fmt);
	fflush(stdout);
	rc = json_integer_value(json_object_get(cmp, "regressed")) ? regression_error(cmp, err) : 0;
out:
	json_decref(cmp);
	json_decref(o.thresholds);
	side_free(&base);
	side_free(&new_);
	return rc;
}
