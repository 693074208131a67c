/* journal.c: raw samples appended and flushed one launch at a time, so a launch costs
 * the harness the same at the thousandth repetition as at the first; and reading a run
 * back from results.json plus the journal. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmbench/journal.h"
#include "vmbench/results.h"
#include "vmbench/runner.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

int vmb_journal_append(int fd, unsigned ci, size_t seq, json_t *sample, struct vmb_error *err)
{
	json_t *line = json_pack("{s:i, s:I, s:O}", "case", (int)ci, "seq", (json_int_t)seq,
	                         "sample", sample);
	char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
	int rc = 0;

	json_decref(line);
	if (!text)
		return vmb_error_sys(err, ENOMEM, "journal line");
	size_t len = strlen(text);
	text[len] = '\n'; /* json_dumps leaves room for the NUL: the newline takes it */
	if (vmb_write_all(fd, text, len + 1) < 0 || fdatasync(fd) < 0)
		rc = vmb_error_sys(err, errno, "appending to the journal %s", VMB_JOURNAL);
	free(text);
	return rc;
}

/* The metric registry a recovered case is aggregated with: the core's and
 * its runner's (a runner this build does not know adds none). */
static void case_metrics(json_t *c, struct vmb_metric_list *l)
{
	const struct vmb_runner *r =
	        vmb_runner_find(json_string_value(json_object_get(c, "runner")));
	const char *wname = json_string_value(json_object_get(c, "workload"));
	const struct vmb_workload *w = wname ? vmb_workload_find(wname) : NULL;

	memset(l, 0, sizeof(*l));
	vmb_metrics_add(l, vmb_core_metrics, "core");
	if (r)
		vmb_metrics_add(l, r->metrics, r->name);
	if (w)
		vmb_metrics_add_workload(l, w->metrics, w->name);
}

/* Appends the journal's samples that results.json lacks to *added; 0, or -1
 * with a usage error naming path:line for a line that is not a sample of
 * this run (only the last line may be torn: the launch in flight). */
static int replay(json_t *root, FILE *f, const char *path, bool *touched, size_t ncases,
                  size_t *added, struct vmb_error *err)
{
	json_t *cases = json_object_get(root, "cases");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;

	*added = 0;
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		json_error_t jerr;
		lineno++;
		if (line[n - 1] != '\n')
			break; /* torn: the launch in flight when the run died */
		json_t *rec = json_loads(line, 0, &jerr);
		json_t *ci = json_object_get(rec, "case"), *seq = json_object_get(rec, "seq");
		json_t *smp = json_object_get(rec, "sample");
		if (!json_is_integer(ci) || !json_is_integer(seq) || !json_is_object(smp) ||
		    json_integer_value(ci) < 0 || (size_t)json_integer_value(ci) >= ncases) {
			rc = vmb_error_set(err, VMB_ERR_USAGE,
			                   "%s:%zu: not a sample of a case of this run", path,
			                   lineno);
		} else {
			size_t i = (size_t)json_integer_value(ci);
			json_t *samples = json_object_get(json_array_get(cases, i), "samples");
			/* the next one this case lacks; earlier ones it has already */
			if ((size_t)json_integer_value(seq) == json_array_size(samples)) {
				json_array_append(samples, smp);
				touched[i] = true;
				(*added)++;
			} else if ((size_t)json_integer_value(seq) > json_array_size(samples)) {
				rc = vmb_error_set(
				        err, VMB_ERR_USAGE,
				        "%s:%zu: sample %lld of case %zu, but the case has "
				        "%zu: samples are missing",
				        path, lineno, (long long)json_integer_value(seq), i,
				        json_array_size(samples));
			}
		}
		json_decref(rec);
	}
	free(line);
	return rc;
}

/* Gives every sample its "figures" where it lacks them (a run written
 * before they were recorded), from the core's and its runner's metrics. */
static void fill_figures(json_t *cases)
{
	size_t i, j;
	json_t *c, *s;

	json_array_foreach(cases, i, c)
	{
		struct vmb_metric_list l;
		bool listed = false;
		json_array_foreach(json_object_get(c, "samples"), j, s)
		{
			if (json_object_get(s, "figures"))
				continue;
			if (!listed)
				case_metrics(c, &l);
			listed = true;
			vmb_sample_figures(s, &l,
			                   json_string_value(json_object_get(c, "workload")));
		}
	}
}

json_t *vmb_run_load(const char *dir, struct vmb_error *err)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/results.json", dir) >= (int)sizeof(path)) {
		vmb_error_set(err, VMB_ERR_USAGE, "%s: path too long", dir);
		return NULL;
	}
	json_t *root = vmb_results_load(path, err);
	if (!root)
		return NULL;
	fill_figures(json_object_get(root, "cases"));
	snprintf(path, sizeof(path), "%s/%s", dir, VMB_JOURNAL);
	FILE *f = fopen(path, "re");
	if (!f)
		return root; /* a run from before the journal, or none written yet */
	json_t *cases = json_object_get(root, "cases");
	size_t ncases = json_array_size(cases);
	bool *touched = calloc(ncases + 1, sizeof(bool));
	if (!touched) {
		fclose(f);
		json_decref(root);
		vmb_error_sys(err, ENOMEM, "%s", path);
		return NULL;
	}
	size_t added;
	int rrc = replay(root, f, path, touched, ncases, &added, err);
	fclose(f);
	if (rrc < 0) {
		free(touched);
		json_decref(root);
		return NULL;
	}
	uint64_t seed = (uint64_t)json_integer_value(
	        json_object_get(json_object_get(root, "config"), "seed"));
	for (size_t i = 0; i < ncases; i++) {
		json_t *c = json_array_get(cases, i);
		const char *st = json_string_value(json_object_get(c, "status"));
		if (!touched[i])
			continue;
		struct vmb_metric_list l;
		case_metrics(c, &l);
		vmb_case_aggregate(c, &l, seed);
		if (st && (strcmp(st, "pending") == 0 || strcmp(st, "running") == 0))
			json_object_set_new(c, "status", json_string("interrupted"));
	}
	free(touched);
	if (added) {
		const char *st = json_string_value(json_object_get(root, "status"));
		if (st && strcmp(st, "running") == 0)
			json_object_set_new(root, "status", json_string("interrupted"));
		json_object_set_new(root, "not_measured", vmb_results_not_measured(cases));
		json_object_set_new(
		        root, "recovered",
		        json_pack("{s:I, s:s}", "samples", (json_int_t)added, "from", VMB_JOURNAL));
	}
	return root;
}

json_t *vmb_run_load_path(const char *path, struct vmb_error *err)
{
	struct stat st;
	char buf[PATH_MAX];

	if (stat(path, &st) < 0) {
		vmb_error_set(err, VMB_ERR_USAGE, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(buf, sizeof(buf), "%s/results.json", path);
		if (access(buf, F_OK) < 0) {
			vmb_error_set(err, VMB_ERR_USAGE, "%s: a directory without results.json",
			              path);
			return NULL;
		}
		return vmb_run_load(path, err);
	}
	if (!S_ISREG(st.st_mode)) {
		vmb_error_set(err, VMB_ERR_USAGE, "%s: not a regular file", path);
		return NULL;
	}
	const char *slash = strrchr(path, '/');
	if (strcmp(slash ? slash + 1 : path, "results.json") != 0)
		return vmb_results_load(path, err);
	/* the journal beside it may hold samples a run cut short never saved */
	if (!slash)
		return vmb_run_load(".", err);
	snprintf(buf, sizeof(buf), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return vmb_run_load(buf, err);
}
