/* run.h: the subcommands of the vmbench CLI, each returning 0 or -1 with err set. */
#pragma once

#include <jansson.h>
#include <stdio.h>

#include "vmbench/cli.h"
#include "vmbench/error.h"

int vmb_cmd_run(int argc, char **argv, struct vmb_error *err);
int vmb_cmd_list(int argc, char **argv, struct vmb_error *err);
int vmb_cmd_doctor(int argc, char **argv, struct vmb_error *err);
/* bench/report_cmd.c: vmbench report RESULTS... */
int vmb_cmd_report(int argc, char **argv, struct vmb_error *err);
/* bench/compare_cmd.c: vmbench compare BASE NEW; -1 with VMB_ERR_FAIL on a
 * regression (exit 1), a usage error on bad input (exit 2) */
int vmb_cmd_compare(int argc, char **argv, struct vmb_error *err);
