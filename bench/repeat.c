/* repeat.c: --reps auto's stopping rule, and the noise recorded around each case with
 * the warnings it raises. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench/repeat.h"
#include "vmbench/noise.h"
#include "vmbench/results.h"
#include "vmbench/stats.h"
#include "vmbench/util.h"

const char *vmb_auto_reps_enough(const struct vmb_run_opts *o, json_t *jc, const char *headline,
                                 unsigned measured, struct vmb_auto_reps *ar)
{
	ar->measured = measured;
	if ((double)(vmb_now_ns() - ar->t0) / 1e9 > o->max_time_s)
		return "max_time";
	if (measured < ar->next_check)
		return NULL;
	ar->next_check = measured + (measured + 1) / 2;
	size_t cap = json_array_size(json_object_get(jc, "samples")) + 1;
	vmb_autofree double *v = malloc(cap * sizeof(double));
	struct vmb_summary sum;
	size_t n = v ? vmb_case_series(jc, headline, v, cap) : 0;
	if (n < VMB_AUTO_MIN_REPS || vmb_summarize(v, n, o->seed, &sum) < 0 || !(sum.median > 0))
		return NULL;
	ar->width = (sum.ci_hi - sum.ci_lo) / sum.median;
	return ar->width <= o->ci_target ? "ci_target" : NULL;
}

void vmb_case_note_noise(json_t *jc, const char *headline, json_t *before)
{
	json_t *after = vmb_noise_read();
	json_t *head = json_object_get(json_object_get(jc, "aggregates"), headline);
	json_t *cv = json_object_get(head, "cv"), *med = json_object_get(head, "median");
	json_t *ci = json_object_get(head, "ci95_median");
	double width = json_is_number(med) && json_number_value(med) > 0 &&
	                               json_is_number(json_array_get(ci, 0)) &&
	                               json_is_number(json_array_get(ci, 1))
	                       ? (json_number_value(json_array_get(ci, 1)) -
	                          json_number_value(json_array_get(ci, 0))) /
	                                 json_number_value(med)
	                       : NAN;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	json_t *warn =
	        vmb_noise_warnings(before, after, json_is_number(cv) ? json_number_value(cv) : NAN,
	                           width, cores > 0 ? (unsigned)cores : 0);

	json_object_set_new(jc, "noise", json_pack("{s:o, s:o}", "before", before, "after", after));
	if (json_array_size(warn))
		json_object_set_new(jc, "warnings", warn);
	else
		json_decref(warn);
}
