/* metric.c: the metric registry's list, its JSON declarations, and reading figures out
 * of a sample. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vmbench/metric.h"

const char *vmb_better_name(enum vmb_better b)
{
	return b == VMB_HIGHER_IS_BETTER ? "higher" : "lower";
}

const char *vmb_aggregate_name(enum vmb_aggregate a)
{
	switch (a) {
	case VMB_AGG_MEAN:
		return "mean";
	case VMB_AGG_MAX:
		return "max";
	case VMB_AGG_MEDIAN:
	default:
		return "median";
	}
}

int vmb_metrics_add(struct vmb_metric_list *l, const struct vmb_metric *table, const char *owner)
{
	for (const struct vmb_metric *m = table; m && m->name; m++) {
		bool seen = false;
		for (unsigned i = 0; i < l->n; i++) {
			if (strcmp(l->m[i]->name, m->name) != 0)
				continue;
			if (strcmp(l->m[i]->unit, m->unit) != 0 || l->m[i]->better != m->better ||
			    l->m[i]->aggregate != m->aggregate)
				return -1; /* one name, two meanings */
			seen = true;
		}
		if (seen)
			continue;
		if (l->n == VMB_MAX_METRICS)
			return -1;
		l->owner[l->n] = owner;
		l->m[l->n++] = m;
	}
	return 0;
}

int vmb_metrics_add_workload(struct vmb_metric_list *l, const struct vmb_metric *table,
                             const char *w)
{
	unsigned before = l->n;

	for (const struct vmb_metric *m = table; m && m->name; m++) {
		bool known = false;
		for (unsigned i = 0; i < l->ndecl; i++)
			known |= strcmp(l->decl[i].workload, w) == 0 &&
			         strcmp(l->decl[i].metric, m->name) == 0;
		if (known)
			continue;
		/* a core or runner figure of the same name cannot become a workload's */
		for (unsigned i = 0; i < l->n; i++)
			if (strcmp(l->m[i]->name, m->name) == 0 && !l->of_workload[i])
				return -1;
		if (l->ndecl == VMB_MAX_METRICS)
			return -1;
		l->decl[l->ndecl].workload = w;
		l->decl[l->ndecl++].metric = m->name;
	}
	if (vmb_metrics_add(l, table, w) < 0)
		return -1;
	for (unsigned i = before; i < l->n; i++)
		l->of_workload[i] = true;
	return 0;
}

bool vmb_metric_applies(const struct vmb_metric_list *l, unsigned i, const char *w)
{
	if (!l->of_workload[i])
		return true;
	for (unsigned k = 0; w && k < l->ndecl; k++)
		if (strcmp(l->decl[k].workload, w) == 0 &&
		    strcmp(l->decl[k].metric, l->m[i]->name) == 0)
			return true;
	return false;
}

json_t *vmb_metrics_json(const struct vmb_metric_list *l)
{
	json_t *o = json_object();

	for (unsigned i = 0; i < l->n; i++)
		json_object_set_new(o, l->m[i]->name,
		                    json_pack("{s:s, s:s, s:s, s:s, s:s}", "unit", l->m[i]->unit,
		                              "better", vmb_better_name(l->m[i]->better),
		                              "aggregate", vmb_aggregate_name(l->m[i]->aggregate),
		                              "help", l->m[i]->help, "owner", l->owner[i]));
	return o;
}

double vmb_sample_num(json_t *sample, const char *path)
{
	char key[128];
	json_t *v = sample;

	while (v && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NAN;
		memcpy(key, path, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	return json_is_number(v) ? json_number_value(v) : NAN;
}

double vmb_sample_phase_gap(json_t *sample, const char *from, const char *to)
{
	json_t *p = json_object_get(sample, "phases");
	json_t *a = json_object_get(p, from), *b = json_object_get(p, to);

	if (!json_is_number(a) || !json_is_number(b))
		return NAN;
	return json_number_value(b) - json_number_value(a);
}

double vmb_metric_value(const struct vmb_metric *m, json_t *sample)
{
	if (m->get)
		return m->get(sample);
	return m->path ? vmb_sample_num(sample, m->path) : NAN;
}
