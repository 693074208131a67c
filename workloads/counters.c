/* counters.c: PAPI around one workload run; what cannot be counted says why, never 0. */
#include <papi.h>
#include <sde_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/counters.h"
#include "vmbench/util.h"

/* Hardware events tried, in order: cycles, instructions, branch mispredictions,
 * L1 data misses, last-level misses, data TLB misses. A host without a PMU gets
 * none of them; one with too few counters for all of them gets the first that
 * fit, and the rest say why. Where a CPU has no preset for one (AMD has no
 * PAPI_L3_TCM), the kernel's generic event stands in for it, under its own
 * name. */
static const char *const hw_presets[] = {"PAPI_TOT_CYC", "PAPI_TOT_INS", "PAPI_BR_MSP",
                                         "PAPI_L1_DCM",  "PAPI_L3_TCM",  "PAPI_TLB_DM"};
static const char *const hw_fallback[] = {
        NULL, NULL, NULL, NULL, "perf::LLC-LOAD-MISSES", "perf::DTLB-LOAD-MISSES"};
static const char *const sde_events[] = {"sde:::vmbench::ops", "sde:::vmbench::bytes"};

#define MAX_EVENTS 8

/* One PAPI event set (one component) and the names of the events in it. */
struct evset {
	int set;
	int n;
	const char *names[MAX_EVENTS];
	long long values[MAX_EVENTS];
	long long kept[MAX_EVENTS]; /* counts set aside by pauses */
	int running;
	int paused;
	int spoiled; /* a pause that could not set the counts aside */
};

struct vmb_counters {
	int papi_ok;
	struct evset hw, sde;
	json_t *unavailable; /* name -> reason, for events that could not be added */
};

static void mark_unavailable(struct vmb_counters *c, const char *name, const char *reason)
{
	json_object_set_new(c->unavailable, name, json_string(reason));
}

/* Why an event of component cidx cannot be counted: the component's own
 * disabled reason when it is disabled, else PAPI's text for rc. */
static void component_reason(int cidx, int rc, char *buf, size_t len)
{
	const PAPI_component_info_t *ci = cidx >= 0 ? PAPI_get_component_info(cidx) : NULL;

	if (ci && ci->disabled)
		snprintf(buf, len, "%s component disabled: %s", ci->name,
		         ci->disabled_reason[0] ? ci->disabled_reason : "no reason given");
	else
		snprintf(buf, len, "%s", PAPI_strerror(rc));
}

static void add_events(struct vmb_counters *c, struct evset *es, const char *const *names,
                       const char *const *alt, size_t count, int fallback_cidx)
{
	char reason[PAPI_HUGE_STR_LEN + 64];

	if (PAPI_create_eventset(&es->set) != PAPI_OK) {
		es->set = PAPI_NULL;
		for (size_t i = 0; i < count; i++)
			mark_unavailable(c, names[i], "PAPI_create_eventset failed");
		return;
	}
	for (size_t i = 0; i < count && es->n < MAX_EVENTS; i++) {
		int code, rc = PAPI_event_name_to_code((char *)names[i], &code);
		if (rc == PAPI_OK)
			rc = PAPI_add_event(es->set, code);
		if (rc == PAPI_OK) {
			es->names[es->n++] = names[i];
			continue;
		}
		if (alt && alt[i] && PAPI_event_name_to_code((char *)alt[i], &code) == PAPI_OK &&
		    PAPI_add_event(es->set, code) == PAPI_OK) {
			es->names[es->n++] = alt[i];
			continue;
		}
		int cidx = fallback_cidx;
		int code2;
		if (PAPI_event_name_to_code((char *)names[i], &code2) == PAPI_OK)
			cidx = PAPI_get_event_component(code2);
		component_reason(cidx, rc, reason, sizeof(reason));
		mark_unavailable(c, names[i], reason);
	}
}

struct vmb_counters *vmb_counters_open(long long *ops, long long *bytes)
{
	struct vmb_counters *c = calloc(1, sizeof(*c));
	char reason[PAPI_MAX_STR_LEN + 64];

	if (!c)
		return NULL;
	c->hw.set = c->sde.set = PAPI_NULL;
	c->unavailable = json_object();
	/* The SDE component only comes up in a process that registered its own
	 * counters first, so register before PAPI_library_init. */
	papi_handle_t h = papi_sde_init("vmbench");
	papi_sde_register_counter(h, "ops", PAPI_SDE_RO | PAPI_SDE_DELTA, PAPI_SDE_long_long, ops);
	papi_sde_register_counter(h, "bytes", PAPI_SDE_RO | PAPI_SDE_DELTA, PAPI_SDE_long_long,
	                          bytes);

	int rc = PAPI_library_init(PAPI_VER_CURRENT);
	if (rc != PAPI_VER_CURRENT) {
		snprintf(reason, sizeof(reason), "PAPI_library_init failed: %s",
		         rc < 0 ? PAPI_strerror(rc) : "version mismatch");
		for (size_t i = 0; i < VMB_ARRAY_SIZE(hw_presets); i++)
			mark_unavailable(c, hw_presets[i], reason);
		for (size_t i = 0; i < VMB_ARRAY_SIZE(sde_events); i++)
			mark_unavailable(c, sde_events[i], reason);
		return c;
	}
	c->papi_ok = 1;
	add_events(c, &c->hw, hw_presets, hw_fallback, VMB_ARRAY_SIZE(hw_presets),
	           PAPI_get_component_index("perf_event"));
	add_events(c, &c->sde, sde_events, NULL, VMB_ARRAY_SIZE(sde_events),
	           PAPI_get_component_index("sde"));
	return c;
}

static int start_set(struct evset *es, const char *what, struct vmb_error *err)
{
	if (es->n == 0)
		return 0;
	int rc = PAPI_start(es->set);
	if (rc != PAPI_OK)
		return vmb_error_set(err, VMB_ERR_FAIL, "PAPI_start (%s events): %s", what,
		                     PAPI_strerror(rc));
	es->running = 1;
	es->paused = 0;
	es->spoiled = 0;
	memset(es->kept, 0, sizeof(es->kept));
	return 0;
}

void vmb_counters_pause(struct vmb_counters *c)
{
	for (struct evset *es = &c->hw; es <= &c->sde; es++) {
		if (!es->running || es->paused)
			continue;
		/* the counts so far set aside, then the counters zeroed; if
		 * they cannot be zeroed, the counts would include the pause:
		 * the set's figures are then unavailable, not wrong */
		long long now[MAX_EVENTS];
		if (PAPI_read(es->set, now) != PAPI_OK || PAPI_reset(es->set) != PAPI_OK) {
			es->spoiled = 1;
			continue;
		}
		for (int i = 0; i < es->n; i++)
			es->kept[i] += now[i];
		es->paused = 1;
	}
}

void vmb_counters_resume(struct vmb_counters *c)
{
	for (struct evset *es = &c->hw; es <= &c->sde; es++) {
		if (!es->paused)
			continue;
		if (PAPI_reset(es->set) != PAPI_OK)
			es->spoiled = 1; /* the counts would include the pause */
		es->paused = 0;
	}
}

int vmb_counters_start(struct vmb_counters *c, struct vmb_error *err)
{
	if (!c->papi_ok)
		return 0;
	if (start_set(&c->hw, "hardware", err) < 0)
		return -1;
	return start_set(&c->sde, "software-defined", err);
}

static void stop_set(struct evset *es, json_t *out)
{
	if (!es->running)
		return;
	int rc = PAPI_stop(es->set, es->values);
	es->running = 0;
	for (int i = 0; i < es->n; i++) {
		json_t *v = json_object();
		/* what ran while paused is not counted */
		long long since = es->paused ? 0 : es->values[i];
		if (rc == PAPI_OK && es->spoiled)
			json_object_set_new(
			        v, "unavailable",
			        json_string("PAPI_reset failed leaving an untimed stretch"));
		else if (rc == PAPI_OK)
			json_object_set_new(v, "value", json_integer(es->kept[i] + since));
		else
			json_object_set_new(v, "unavailable", json_string(PAPI_strerror(rc)));
		json_object_set_new(out, es->names[i], v);
	}
}

json_t *vmb_counters_stop(struct vmb_counters *c)
{
	json_t *out = json_object();
	const char *name;
	json_t *reason;

	stop_set(&c->hw, out);
	stop_set(&c->sde, out);
	json_object_foreach(c->unavailable, name, reason)
	{
		json_t *v = json_object();
		json_object_set(v, "unavailable", reason);
		json_object_set_new(out, name, v);
	}
	return out;
}

void vmb_counters_close(struct vmb_counters *c)
{
	if (!c)
		return;
	for (struct evset *es = &c->hw; es <= &c->sde; es++) {
		if (es->set == PAPI_NULL)
			continue;
		if (es->running)
			PAPI_stop(es->set, es->values);
		PAPI_cleanup_eventset(es->set);
		PAPI_destroy_eventset(&es->set);
	}
	if (c->papi_ok)
		PAPI_shutdown();
	json_decref(c->unavailable);
	free(c);
}
