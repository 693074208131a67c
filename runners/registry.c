/* registry.c: the one explicit table of runners (no constructors: see STYLE.md). */
#include <string.h>

#include "vmbench/runner.h"

extern const struct vmb_runner vmb_runner_native;
extern const struct vmb_runner vmb_runner_container;
extern const struct vmb_runner vmb_runner_vm;
extern const struct vmb_runner vmb_runner_unshare;

const struct vmb_runner *const vmb_runners[] = {
        &vmb_runner_native,
        &vmb_runner_container,
        &vmb_runner_vm,
        &vmb_runner_unshare,
};

const unsigned vmb_runner_count = sizeof(vmb_runners) / sizeof(vmb_runners[0]);

const struct vmb_runner *vmb_runner_find(const char *name)
{
	for (unsigned i = 0; i < vmb_runner_count; i++)
		if (strcmp(vmb_runners[i]->name, name) == 0)
			return vmb_runners[i];
	return NULL;
}

int vmb_runner_validate(const struct vmb_runner *r, struct vmb_error *err)
{
	if (!r->name || !*r->name)
		return vmb_error_set(err, VMB_ERR_FAIL, "a runner has no name");
	if (!r->summary || !r->probe || !r->prepare || !r->launch || !r->wait || !r->teardown)
		return vmb_error_set(err, VMB_ERR_FAIL, "runner %s: incomplete ops table", r->name);
	for (const char *c = r->name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return vmb_error_set(
			        err, VMB_ERR_FAIL,
			        "runner %s: name must be lower-case letters, digits, '-'", r->name);
	return 0;
}
