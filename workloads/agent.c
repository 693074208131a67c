/* agent.c: vmbench-agent, runs one named workload inside whatever runner launched it
 * and writes one JSON record per line to its results channel. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include "vmbench/counters.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"
#include "version.h"

/* Exit statuses of the agent, mirrored by the runners. */
enum { AGENT_OK = 0, AGENT_FAILED = 1, AGENT_USAGE = 2 };

struct agent_opts {
	const struct vmb_workload *w;
	struct vmb_workload_ctx ctx;
	int fd;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vmbench-agent --workload NAME [--param KEY=VALUE]... [--seed N] [--fd N]\n"
	        "\n"
	        "Runs one workload once and writes JSON records, one per line, to file\n"
	        "descriptor N (default 1): \"ready\" when set up, \"result\" with the\n"
	        "workload's time, counts, checksum and PAPI counters, then \"done\".\n"
	        "vmbench launches it in every runner; it is rarely run by hand.\n"
	        "\n"
	        "  --workload NAME   workload to run (see --list)\n"
	        "  --param K=V       set a workload parameter (integers; see --list)\n"
	        "  --seed N          seed for generated input (default 1)\n"
	        "  --fd N            results channel file descriptor (default 1)\n"
	        "  --list            list workloads and parameters, then exit\n"
	        "  --help            this text\n"
	        "\n"
	        "Exit status: 0 ok, 1 the workload failed, 2 bad usage.\n");
}

static void list_workloads(void)
{
	for (unsigned i = 0; i < vmb_workload_count; i++) {
		const struct vmb_workload *w = vmb_workloads[i];
		printf("%-12s %-8s %s\n", w->name, w->suite, w->summary);
		for (unsigned p = 0; p < vmb_workload_nparams(w); p++)
			printf("    %s=%llu  %s\n", w->params[p].name,
			       (unsigned long long)w->params[p].def, w->params[p].help);
	}
}

static int emit(int fd, json_t *rec)
{
	char *line = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII);
	int rc = -1;

	json_decref(rec);
	if (!line)
		return -1;
	size_t len = strlen(line);
	line[len] = '\n'; /* json_dumps leaves room for the NUL; reuse it for the newline */
	rc = vmb_write_all(fd, line, len + 1);
	free(line);
	return rc;
}

static int set_param(struct agent_opts *o, const char *kv, struct vmb_error *err)
{
	const char *eq = strchr(kv, '=');
	char key[64];

	if (!o->w)
		return vmb_error_set(err, VMB_ERR_USAGE, "--param %s: give --workload first", kv);
	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key))
		return vmb_error_set(err, VMB_ERR_USAGE, "--param '%s': expected KEY=VALUE", kv);
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	int idx = vmb_workload_param_index(o->w, key);
	if (idx < 0)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "--param %s: workload %s has no parameter '%s'", kv,
		                     o->w->name, key);
	const struct vmb_param *p = &o->w->params[idx];
	return vmb_parse_u64(eq + 1, p->min, p->max, key, &o->ctx.param[idx], err);
}

static int parse_args(int argc, char **argv, struct agent_opts *o, struct vmb_error *err)
{
	static const struct option longopts[] = {
	        {"workload", required_argument, NULL, 'w'}, {"param", required_argument, NULL, 'p'},
	        {"seed", required_argument, NULL, 's'},     {"fd", required_argument, NULL, 'f'},
	        {"dir", required_argument, NULL, 'd'},      {"list", no_argument, NULL, 'l'},
	        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	o->fd = 1;
	o->ctx.seed = 1;
	o->ctx.dir = "/tmp";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			o->w = vmb_workload_find(optarg);
			if (!o->w)
				return vmb_error_set(err, VMB_ERR_USAGE,
				                     "--workload %s: no such workload (see --list)",
				                     optarg);
			for (unsigned i = 0; i < vmb_workload_nparams(o->w); i++)
				o->ctx.param[i] = o->w->params[i].def;
			break;
		case 'p':
			if (set_param(o, optarg, err) < 0)
				return -1;
			break;
		case 's':
			if (vmb_parse_u64(optarg, 0, UINT64_MAX, "--seed", &o->ctx.seed, err) < 0)
				return -1;
			break;
		case 'f':
			if (vmb_parse_u64(optarg, 0, 1023, "--fd", &v, err) < 0)
				return -1;
			o->fd = (int)v;
			break;
		case 'd':
			o->ctx.dir = optarg;
			break;
		case 'l':
			list_workloads();
			exit(AGENT_OK);
		case 'h':
			usage(stdout);
			exit(AGENT_OK);
		default:
			return vmb_error_set(err, VMB_ERR_USAGE,
			                     "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return vmb_error_set(err, VMB_ERR_USAGE, "unexpected argument '%s'", argv[optind]);
	if (!o->w)
		return vmb_error_set(err, VMB_ERR_USAGE, "--workload is required");
	return 0;
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

static json_t *ready_record(const struct agent_opts *o)
{
	json_t *params = json_object();
	struct utsname u;

	for (unsigned i = 0; i < vmb_workload_nparams(o->w); i++)
		json_object_set_new(params, o->w->params[i].name,
		                    json_integer((json_int_t)o->ctx.param[i]));
	uname(&u);
	return json_pack("{s:s, s:s, s:s, s:o, s:I, s:i, s:I, s:s}", "type", "ready", "agent",
	                 VMB_COMMIT, "workload", o->w->name, "params", params, "seed",
	                 (json_int_t)o->ctx.seed, "pid", (int)getpid(), "mono_ns",
	                 (json_int_t)vmb_now_ns(), "kernel", u.release);
}

/* A "kB" line of /proc/self/status, or -1 (no /proc, as in a bare guest). */
static long status_kib(const char *key)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = atol(line + strlen(key));
	if (f)
		fclose(f);
	return v;
}

/* Runs the workload between the counters and returns the "result" record. */
static json_t *measure(struct agent_opts *o, struct vmb_counters *ctr, struct vmb_error *err)
{
	struct rusage r0, r1;
	uint64_t t0, t1;

	if (vmb_counters_start(ctr, err) < 0)
		return NULL;
	getrusage(RUSAGE_SELF, &r0);
	t0 = vmb_now_ns();
	int rc = o->w->run(&o->ctx, err);
	t1 = vmb_now_ns();
	getrusage(RUSAGE_SELF, &r1);
	json_t *counters = vmb_counters_stop(ctr);
	if (rc < 0) {
		json_decref(counters);
		return NULL;
	}
	char sum[24];
	snprintf(sum, sizeof(sum), "%016llx", (unsigned long long)o->ctx.checksum);
	json_t *rec = json_pack(
	        "{s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:I, s:s, s:I, s:I, s:I, s:o}", "type",
	        "result", "workload", o->w->name, "wall_ns", (json_int_t)(t1 - t0), "cpu_user_ns",
	        (json_int_t)(tv_ns(r1.ru_utime) - tv_ns(r0.ru_utime)), "cpu_sys_ns",
	        (json_int_t)(tv_ns(r1.ru_stime) - tv_ns(r0.ru_stime)), "ops",
	        (json_int_t)o->ctx.ops, "ops_unit", o->ctx.ops_unit ? o->ctx.ops_unit : "op",
	        "bytes", (json_int_t)o->ctx.bytes, "checksum", sum, "minflt",
	        (json_int_t)(r1.ru_minflt - r0.ru_minflt), "majflt",
	        (json_int_t)(r1.ru_majflt - r0.ru_majflt), "maxrss_kib", (json_int_t)r1.ru_maxrss,
	        "counters", counters);
	long anon = status_kib("RssAnon:");
	if (anon >= 0)
		json_object_set_new(rec, "rss_anon_kib", json_integer(anon));
	if (o->ctx.observations)
		json_object_set_new(rec, "observations", o->ctx.observations);
	return rec;
}

int main(int argc, char **argv)
{
	uint64_t t_main = vmb_now_ns();
	struct agent_opts o = {0};
	struct vmb_error err = {0};
	struct vmb_counters *ctr;
	json_t *result;

	if (parse_args(argc, argv, &o, &err) < 0) {
		fprintf(stderr, "vmbench-agent: %s\n", err.msg);
		return AGENT_USAGE;
	}
	/* Where start-up time goes: loading and linking (before main) versus
	 * setting up PAPI (between main and ready). */
	emit(o.fd, json_pack("{s:s, s:s, s:I}", "type", "phase", "name", "agent_main", "mono_ns",
	                     (json_int_t)t_main));
	ctr = vmb_counters_open(&o.ctx.ops, &o.ctx.bytes);
	if (!ctr) {
		fprintf(stderr, "vmbench-agent: out of memory\n");
		return AGENT_FAILED;
	}
	if (emit(o.fd, ready_record(&o)) < 0) {
		fprintf(stderr, "vmbench-agent: results channel fd %d: %s\n", o.fd,
		        strerror(errno));
		vmb_counters_close(ctr);
		return AGENT_FAILED;
	}
	o.ctx.chan_fd = o.fd;
	result = measure(&o, ctr, &err);
	vmb_counters_close(ctr);
	if (!result) {
		emit(o.fd, json_pack("{s:s, s:s, s:s}", "type", "done", "status", "failed", "error",
		                     err.msg));
		fprintf(stderr, "vmbench-agent: %s: %s\n", o.w->name, err.msg);
		return AGENT_FAILED;
	}
	if (emit(o.fd, result) < 0 ||
	    emit(o.fd, json_pack("{s:s, s:s}", "type", "done", "status", "ok")) < 0) {
		fprintf(stderr, "vmbench-agent: results channel fd %d: %s\n", o.fd,
		        strerror(errno));
		return AGENT_FAILED;
	}
	return AGENT_OK;
}
