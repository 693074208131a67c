/* compare_cmd.c: `vmbench compare` (being written). */
#include "bench/run.h"

int vmb_cmd_compare(int argc, char **argv, struct vmb_error *err)
{
	(void)argc;
	(void)argv;
	return vmb_error_set(err, VMB_ERR_USAGE,
	                     "not available in this build yet");
}
