/* registry.c: the one explicit table of runners, made from runners.def (no constructors:
 * they vanish when a static library is linked into the tests), and its checks. */
#include <string.h>

#include "vmbench/runner.h"

#define VMB_RUNNER(id) extern const struct vmb_runner vmb_runner_##id;
#include "runners.def"
#undef VMB_RUNNER

const struct vmb_runner *const vmb_runners[] = {
#define VMB_RUNNER(id) &vmb_runner_##id,
#include "runners.def"
#undef VMB_RUNNER
};

const unsigned vmb_runner_count = sizeof(vmb_runners) / sizeof(vmb_runners[0]);

const struct vmb_runner *vmb_runner_find(const char *name)
{
	for (unsigned i = 0; i < vmb_runner_count; i++)
		if (strcmp(vmb_runners[i]->name, name) == 0)
			return vmb_runners[i];
	return NULL;
}

/* r's reason for not offering need `bit`, or NULL. */
static const struct vmb_lack *lack_of(const struct vmb_runner *r, unsigned bit)
{
	for (const struct vmb_lack *l = r->lacks; l && l->need; l++)
		if (l->need == bit)
			return l;
	return NULL;
}

static bool good_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return false;
	return true;
}

int vmb_runner_validate(const struct vmb_runner *r, struct vmb_error *err)
{
	if (!r->name || !*r->name)
		return vmb_error_set(err, VMB_ERR_FAIL, "a runner has no name");
	if (!good_name(r->name))
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "runner %s: name must be lower-case letters, digits, '-'",
		                     r->name);
	if (!r->summary || !r->probe || !r->prepare || !r->launch || !r->wait || !r->teardown)
		return vmb_error_set(err, VMB_ERR_FAIL, "runner %s: incomplete ops table", r->name);
	if (!r->configure != !r->release_config)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "runner %s: configure and release_config go together",
		                     r->name);
	for (const struct vmb_runner_option *o = r->options; o && o->name; o++) {
		if (!good_name(o->name) || !o->help || !*o->help)
			return vmb_error_set(
			        err, VMB_ERR_FAIL,
			        "runner %s: option '%s' needs a lower-case name and help", r->name,
			        o->name);
		if (!r->configure)
			return vmb_error_set(
			        err, VMB_ERR_FAIL,
			        "runner %s: option --%s but no configure hook to read it", r->name,
			        o->name);
	}
	for (const struct vmb_metric *m = r->metrics; m && m->name; m++)
		if (!m->unit || !m->help || !m->get)
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "runner %s: metric %s lacks a unit, help or getter",
			                     r->name, m->name);
	for (const struct vmb_lack *l = r->lacks; l && l->need; l++)
		if ((l->need & (l->need - 1)) != 0 || !l->why || (l->need & r->offers))
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "runner %s: each lack is one need it does not offer, "
			                     "with a reason",
			                     r->name);
	/* every need, offered or explained: a need added later is not met by
	 * default */
	for (unsigned bit = 1; bit & VMB_NEED_ALL; bit <<= 1)
		if (!(r->offers & bit) && !lack_of(r, bit))
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "runner %s: neither offers %s nor says why not",
			                     r->name, vmb_need_name(bit));
	if (r->offers & ~VMB_NEED_ALL)
		return vmb_error_set(err, VMB_ERR_FAIL, "runner %s: offers an unknown need",
		                     r->name);
	return 0;
}

const struct vmb_lack *vmb_runner_lacks(const struct vmb_runner *r, const struct vmb_workload *w)
{
	static const struct vmb_lack unexplained = {0, "it does not say why"};
	unsigned missing = w->needs & ~r->offers;

	for (unsigned bit = 1; missing && bit; bit <<= 1)
		if (missing & bit) {
			const struct vmb_lack *l = lack_of(r, bit);
			return l ? l : &unexplained; /* validation rules this out */
		}
	return NULL;
}

const char *vmb_option_get(const struct vmb_run_env *env, const char *name)
{
	const char *v = NULL;

	for (unsigned i = 0; i < env->nopts; i++)
		if (strcmp(env->opts[i].name, name) == 0)
			v = env->opts[i].value;
	return v;
}
