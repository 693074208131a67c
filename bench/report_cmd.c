/* report_cmd.c: `vmbench report` (being written). */
#include "bench/run.h"

int vmb_cmd_report(int argc, char **argv, struct vmb_error *err)
{
	(void)argc;
	(void)argv;
	return vmb_error_set(err, VMB_ERR_USAGE, "not available in this build yet");
}
