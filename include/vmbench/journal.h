/* journal.h: the run's raw samples, appended durably as they come (samples.jsonl beside
 * results.json), and reading a run back, a run cut short included. */
#pragma once

#include <jansson.h>

#include "vmbench/error.h"

/* The journal's file name in a run's directory. */
#define VMB_JOURNAL "samples.jsonl"

/* Appends {"case": ci, "seq": seq, "sample": sample} as one line to fd and
 * flushes it to disk: once this returns 0, a SIGKILL or a power cut loses
 * nothing of it. -1 with err set. */
int vmb_journal_append(int fd, unsigned ci, size_t seq, json_t *sample, struct vmb_error *err);

/* Reads run directory dir: its results.json, completed with every sample
 * that the journal holds and results.json does not yet (a run killed between
 * two case ends), the cases so completed re-aggregated and marked
 * "interrupted", and the run too when it was still "running". A torn last
 * journal line (the launch in flight) is ignored. New reference, or NULL
 * with a usage error naming the file and the problem. */
json_t *vmb_run_load(const char *dir, struct vmb_error *err);

/* What a reader takes as a run: a run directory (vmb_run_load), a
 * results.json (its directory, journal and all), or any other results file
 * (read alone). New reference, or NULL with a usage error naming path. */
json_t *vmb_run_load_path(const char *path, struct vmb_error *err);
