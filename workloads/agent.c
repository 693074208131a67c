/* agent.c: vmbench-agent, runs one named workload inside whatever runner launched it
 * and writes one JSON record per line to its results channel. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include "vmbench/counters.h"
#include "pages.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"
#include "version.h"

/* Exit statuses of the agent, mirrored by the runners. */
enum { AGENT_OK = 0, AGENT_FAILED = 1, AGENT_USAGE = 2 };

struct agent_opts {
	const struct vmb_workload *w;
	struct vmb_workload_ctx ctx;
	int fd;
	unsigned cores; /* --cores: copies of a parallel workload */
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: vmbench-agent --workload NAME [--param KEY=VALUE]... [--seed N] [--fd N]\n"
	        "                     [--cores N] [--dir DIR]\n"
	        "\n"
	        "Runs one workload once and writes JSON records, one per line, to file\n"
	        "descriptor N (default 1): \"ready\" when started, \"result\" with the\n"
	        "time of the workload's run (its setup and teardown are not timed),\n"
	        "counts, checksum, figures, distributions and PAPI counters, then \"done\".\n"
	        "vmbench launches it in every runner; it is rarely run by hand.\n"
	        "\n"
	        "  --workload NAME   workload to run (see --list)\n"
	        "  --param K=V       set a workload parameter (integers, sizes with K/M/G;\n"
	        "                    see --list)\n"
	        "  --seed N          seed for generated input (default 1)\n"
	        "  --fd N            results channel file descriptor (default 1)\n"
	        "  --cores N         copies of a parallel workload run at once (default 1)\n"
	        "  --dir DIR         where I/O workloads put their files (default /tmp)\n"
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
			printf("    %s.%s=%llu  %s\n", w->name, w->params[p].name,
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
	/* WORKLOAD.KEY or KEY alike */
	const char *name = key;
	size_t wl = strlen(o->w->name);
	if (strncmp(key, o->w->name, wl) == 0 && key[wl] == '.')
		name = key + wl + 1;
	int idx = vmb_workload_param_index(o->w, name);
	if (idx < 0)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "--param %s: workload %s has no parameter '%s'", kv,
		                     o->w->name, key);
	const struct vmb_param *p = &o->w->params[idx];
	if (p->bytes)
		return vmb_parse_size(eq + 1, p->min, p->max, key, &o->ctx.param[idx], err);
	return vmb_parse_u64(eq + 1, p->min, p->max, key, &o->ctx.param[idx], err);
}

static int parse_args(int argc, char **argv, struct agent_opts *o, struct vmb_error *err)
{
	static const struct option longopts[] = {
	        {"workload", required_argument, NULL, 'w'},
	        {"param", required_argument, NULL, 'p'},
	        {"seed", required_argument, NULL, 's'},
	        {"fd", required_argument, NULL, 'f'},
	        {"dir", required_argument, NULL, 'd'},
	        {"list", no_argument, NULL, 'l'},
	        {"cores", required_argument, NULL, 'c'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	o->fd = 1;
	o->cores = 1;
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
		case 'c':
			if (vmb_parse_u64(optarg, 1, 4096, "--cores", &v, err) < 0)
				return -1;
			o->cores = (unsigned)v;
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
	o->ctx.threads = o->w->parallel ? o->cores : 1;
	struct vmb_check_env env = {.cores = o->cores, .host_memory = vmb_host_memory_bytes()};
	return vmb_workload_check(o->w, o->ctx.param, &env, err);
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

/* One copy of the workload: copy 0 is the agent's own context, in the main
 * thread; the others (a parallel workload under --cores) run in threads.
 * Every copy sets up, waits for all, runs, waits for all, then tears down. */
struct copy {
	const struct vmb_workload *w;
	struct vmb_workload_ctx *ctx;
	struct vmb_error err;
	pthread_barrier_t *gate; /* all set up; then: all done */
	pthread_barrier_t *go;   /* the counters started: run */
	int *setup_failed;       /* any copy's setup failed: no copy runs */
	int rc;
};

static void copy_setup(struct copy *c)
{
	if (c->w->setup && c->w->setup(c->ctx, &c->err) < 0) {
		c->rc = -1;
		__atomic_store_n(c->setup_failed, 1, __ATOMIC_RELAXED);
	}
}

static void copy_run(struct copy *c)
{
	if (!__atomic_load_n(c->setup_failed, __ATOMIC_RELAXED))
		c->rc = c->w->run(c->ctx, &c->err);
}

/* also after a failed setup: teardown frees whatever part of it was made */
static void copy_teardown(struct copy *c)
{
	if (c->w->teardown)
		c->w->teardown(c->ctx);
}

static void *copy_thread(void *arg)
{
	struct copy *c = arg;

	copy_setup(c);
	pthread_barrier_wait(c->gate);
	pthread_barrier_wait(c->go);
	copy_run(c);
	pthread_barrier_wait(c->gate);
	copy_teardown(c);
	return NULL;
}

static void free_dists(struct vmb_workload_ctx *ctx)
{
	for (unsigned i = 0; i < VMB_MAX_DISTS; i++) {
		vmb_hist_free(ctx->dist[i]);
		ctx->dist[i] = NULL;
	}
}

/* Adds copy src's totals and distributions into dst. */
static void merge_copy(struct vmb_workload_ctx *dst, struct vmb_workload_ctx *src)
{
	dst->ops += src->ops;
	dst->bytes += src->bytes;
	dst->checksum ^= src->checksum * (2 * src->thread + 1);
	for (unsigned i = 0; i < VMB_MAX_DISTS && src->dist_name[i]; i++) {
		struct vmb_hist *h = vmb_dist(dst, src->dist_name[i], src->dist_unit[i]);
		if (h)
			vmb_hist_merge(h, src->dist[i]);
	}
	free_dists(src);
	json_decref(src->figures);
	json_decref(src->curves);
	json_decref(src->observations);
}

struct timing {
	uint64_t setup_ns, wall_ns, teardown_ns;
	struct rusage r0, r1;
	long long first_ops; /* copy 0's operations: what the hardware counters saw */
};

/* The untimed stretches of a run (vmb_untimed_begin/_end): what they took of
 * the clock, CPU and faults is taken out of the result, and the counters
 * pause. One agent runs one workload, so one of these. */
static struct {
	struct vmb_counters *ctr; /* set while run is: untimed means nothing elsewhere */
	bool on, ignored;
	uint64_t t0, ns, user_ns, sys_ns;
	struct rusage r0;
	long minflt, majflt;
} untimed;

static void agent_untimed(struct vmb_workload_ctx *ctx, bool begin)
{
	struct rusage r1;

	if (ctx->threads > 1 && untimed.ctr) {
		untimed.ignored = true; /* copies share one clock: said in the record */
		return;
	}
	if (begin == untimed.on || !untimed.ctr)
		return;
	if (begin) {
		vmb_counters_pause(untimed.ctr);
		getrusage(RUSAGE_SELF, &untimed.r0);
		untimed.t0 = vmb_now_ns();
		untimed.on = true;
		return;
	}
	untimed.ns += vmb_now_ns() - untimed.t0;
	getrusage(RUSAGE_SELF, &r1);
	untimed.user_ns += tv_ns(r1.ru_utime) - tv_ns(untimed.r0.ru_utime);
	untimed.sys_ns += tv_ns(r1.ru_stime) - tv_ns(untimed.r0.ru_stime);
	untimed.minflt += r1.ru_minflt - untimed.r0.ru_minflt;
	untimed.majflt += r1.ru_majflt - untimed.r0.ru_majflt;
	vmb_counters_resume(untimed.ctr);
	untimed.on = false;
}

/* Sets up every copy, runs them between the counters, tears them down;
 * 0, or -1 with err set (the first failing copy's error). */
static int run_copies(struct agent_opts *o, struct vmb_counters *ctr, struct timing *t,
                      json_t **counters, struct vmb_error *err)
{
	unsigned n = o->ctx.threads ? o->ctx.threads : 1;
	vmb_autofree struct copy *c = calloc(n, sizeof(*c));
	vmb_autofree struct vmb_workload_ctx *ctxs = calloc(n, sizeof(*ctxs));
	vmb_autofree pthread_t *tid = calloc(n, sizeof(*tid));
	pthread_barrier_t gate, go;
	int setup_failed = 0, rc = 0;
	unsigned started = 1;

	if (!c || !ctxs || !tid)
		return vmb_error_sys(err, ENOMEM, "%u copies of %s", n, o->w->name);
	if ((errno = pthread_barrier_init(&gate, NULL, n)) != 0)
		return vmb_error_sys(err, errno, "%u copies of %s: barrier", n, o->w->name);
	if ((errno = pthread_barrier_init(&go, NULL, n)) != 0) {
		pthread_barrier_destroy(&gate);
		return vmb_error_sys(err, errno, "%u copies of %s: barrier", n, o->w->name);
	}

	for (unsigned i = 0; i < n; i++) {
		struct vmb_workload_ctx *x = i ? &ctxs[i] : &o->ctx;
		if (i) {
			memcpy(x->param, o->ctx.param, sizeof(x->param));
			x->seed = o->ctx.seed + i;
			x->dir = o->ctx.dir;
			x->threads = n;
			x->chan_fd = o->ctx.chan_fd;
		}
		x->thread = i;
		x->untimed = agent_untimed;
		c[i] = (struct copy){.w = o->w,
		                     .ctx = x,
		                     .gate = &gate,
		                     .go = &go,
		                     .setup_failed = &setup_failed};
	}
	uint64_t t0 = vmb_now_ns();
	for (unsigned i = 1; i < n; i++) {
		if (pthread_create(&tid[i], NULL, copy_thread, &c[i]) != 0) {
			/* the barriers count n: run the missing copies here is not
			 * possible, so stop before any waits */
			fprintf(stderr, "vmbench-agent: cannot start copy %u of %u\n", i, n);
			exit(AGENT_FAILED);
		}
		started++;
	}
	copy_setup(&c[0]);
	pthread_barrier_wait(&gate);
	t->setup_ns = vmb_now_ns() - t0;
	/* set up and about to run: a density run holds its instances from
	 * here, their working sets written */
	if (!__atomic_load_n(&setup_failed, __ATOMIC_RELAXED))
		emit(o->fd, json_pack("{s:s, s:s, s:I}", "type", "phase", "name", "setup_done",
		                      "mono_ns", (json_int_t)vmb_now_ns()));
	if (vmb_counters_start(ctr, err) < 0) {
		__atomic_store_n(&setup_failed, 1, __ATOMIC_RELAXED);
		rc = -1;
	}
	getrusage(RUSAGE_SELF, &t->r0);
	untimed.ctr = ctr;
	uint64_t t1 = vmb_now_ns();
	pthread_barrier_wait(&go);
	copy_run(&c[0]);
	pthread_barrier_wait(&gate);
	if (untimed.on)
		agent_untimed(&o->ctx, false);
	untimed.ctr = NULL;
	t->wall_ns = vmb_now_ns() - t1 - untimed.ns;
	getrusage(RUSAGE_SELF, &t->r1);
	t->first_ops = o->ctx.ops;
	/* the other copies' counts join the agent's before the software-defined
	 * counters are read */
	for (unsigned i = 1; i < n; i++) {
		o->ctx.ops += ctxs[i].ops;
		o->ctx.bytes += ctxs[i].bytes;
	}
	*counters = vmb_counters_stop(ctr);
	uint64_t t2 = vmb_now_ns();
	copy_teardown(&c[0]);
	for (unsigned i = 1; i < started; i++)
		pthread_join(tid[i], NULL);
	t->teardown_ns = vmb_now_ns() - t2;
	for (unsigned i = 1; i < n; i++) {
		ctxs[i].ops = ctxs[i].bytes = 0; /* already added */
		merge_copy(&o->ctx, &ctxs[i]);
	}
	pthread_barrier_destroy(&gate);
	pthread_barrier_destroy(&go);
	for (unsigned i = 0; i < n && rc == 0; i++)
		if (c[i].rc < 0) {
			*err = c[i].err;
			rc = -1;
		}
	return rc;
}

/* Sets up, runs and tears down the workload and returns the "result" record. */
static json_t *measure(struct agent_opts *o, struct vmb_counters *ctr, struct vmb_error *err)
{
	struct timing t = {0};
	json_t *counters = NULL;

	if (run_copies(o, ctr, &t, &counters, err) < 0) {
		json_decref(counters);
		free_dists(&o->ctx);
		return NULL;
	}
	char sum[24];
	snprintf(sum, sizeof(sum), "%016llx", (unsigned long long)o->ctx.checksum);
	json_t *rec = json_pack(
	        "{s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:I, s:s, s:I, s:I, s:I, s:o}", "type",
	        "result", "workload", o->w->name, "wall_ns", (json_int_t)t.wall_ns, "cpu_user_ns",
	        (json_int_t)(tv_ns(t.r1.ru_utime) - tv_ns(t.r0.ru_utime) - untimed.user_ns),
	        "cpu_sys_ns",
	        (json_int_t)(tv_ns(t.r1.ru_stime) - tv_ns(t.r0.ru_stime) - untimed.sys_ns), "ops",
	        (json_int_t)o->ctx.ops, "ops_unit", o->ctx.ops_unit ? o->ctx.ops_unit : "op",
	        "bytes", (json_int_t)o->ctx.bytes, "checksum", sum, "minflt",
	        (json_int_t)(t.r1.ru_minflt - t.r0.ru_minflt - untimed.minflt), "majflt",
	        (json_int_t)(t.r1.ru_majflt - t.r0.ru_majflt - untimed.majflt), "maxrss_kib",
	        (json_int_t)t.r1.ru_maxrss, "counters", counters);
	json_object_set_new(rec, "threads", json_integer(o->ctx.threads));
	if (o->ctx.threads > 1) {
		/* PAPI's hardware counters follow the thread that started them */
		json_object_set_new(rec, "counters_scope", json_string("first copy"));
		json_object_set_new(rec, "counters_ops", json_integer(t.first_ops));
	}
	if (untimed.ns)
		json_object_set_new(rec, "untimed_ns", json_integer((json_int_t)untimed.ns));
	if (untimed.ignored)
		json_object_set_new(
		        rec, "untimed_ignored",
		        json_string("untimed stretches are timed with copies on several "
		                    "cores"));
	json_object_set_new(rec, "setup_ns", json_integer((json_int_t)t.setup_ns));
	json_object_set_new(rec, "teardown_ns", json_integer((json_int_t)t.teardown_ns));
	long anon = vmb_status_kib("RssAnon:");
	if (anon >= 0)
		json_object_set_new(rec, "rss_anon_kib", json_integer(anon));
	if (o->ctx.observations)
		json_object_set_new(rec, "observations", o->ctx.observations);
	/* each distribution's percentiles are figures too, NAME_p50... */
	json_t *dists = json_object();
	for (unsigned i = 0; i < VMB_MAX_DISTS && o->ctx.dist_name[i]; i++) {
		const struct vmb_hist *h = o->ctx.dist[i];
		char name[96];
		static const struct {
			const char *suffix;
			double q;
		} pct[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}};
		if (vmb_hist_count(h) == 0)
			continue;
		json_object_set_new(dists, o->ctx.dist_name[i],
		                    vmb_hist_json(h, o->ctx.dist_unit[i]));
		for (size_t k = 0; k < VMB_ARRAY_SIZE(pct); k++) {
			snprintf(name, sizeof(name), "%s_%s", o->ctx.dist_name[i], pct[k].suffix);
			vmb_figure_set(&o->ctx, name, (double)vmb_hist_quantile(h, pct[k].q));
		}
	}
	free_dists(&o->ctx);
	json_object_set_new(rec, "distributions", dists);
	json_object_set_new(rec, "figures", o->ctx.figures ? o->ctx.figures : json_object());
	if (o->ctx.curves)
		json_object_set_new(rec, "curves", o->ctx.curves);
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
		fprintf(stderr, "vmbench-agent: workload %s failed: %s\n", o.w->name, err.msg);
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
