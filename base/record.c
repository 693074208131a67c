/* record.c: the one list of record types an agent and its init may send. */
#include <string.h>

#include "vmbench/record.h"

bool vmb_record_type_allowed(const char *type)
{
	static const char *const allowed[] = {"phase", "ready", "result", "done", "init", "error"};

	for (size_t i = 0; type && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(type, allowed[i]) == 0)
			return true;
	return false;
}
