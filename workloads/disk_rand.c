/* disk_rand.c: random direct-I/O (O_DIRECT) reads, then writes, of small blocks in a
 * preallocated file in the volume, by `depth` threads at once; every I/O is timed. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_FILE, P_BLOCK, P_OPS, P_DEPTH, P_DEEP };

#define FILL_CHUNK (1u << 20)

struct rand_state {
	char path[4096];
	int fd;
	bool made; /* path exists: teardown unlinks it */
	uint64_t nblocks;
	size_t block, align;
	struct vmb_dio dio;
};

/* Where a phase's threads wait until all are ready. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned ready; /* threads waiting */
	bool open, cancel;
};

/* One thread's share of a phase. */
struct worker {
	struct vmb_workload_ctx *ctx;
	const struct rand_state *st;
	struct gate *gate; /* NULL: start at once */
	bool write;
	uint64_t ops, seed;
	void *buf;
	struct vmb_hist *h;
	uint64_t sum;
	int err;      /* errno of the I/O that failed; 0: none */
	uint64_t bad; /* 1 + the block that read back wrong; 0: none */
};

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The first word of block b, in the fill and in every later write: reads
 * check it, so a read that returned the wrong block fails the run. */
static uint64_t stamp(uint64_t seed, uint64_t b)
{
	return mix64(seed ^ mix64(b)) | 1;
}

static void fill_random(struct vmb_rng *rng, void *buf, size_t len)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = vmb_rng_next(rng) | 0x0101010101010101ull; /* no zero byte */
	memset((char *)buf + len / 8 * 8, 0x5a, len % 8);
}

/* The direct-I/O limit of block size `block` in dir: 0, or -1 with a usage
 * error naming it. */
static int block_fits(uint64_t block, const char *dir, const struct vmb_dio *d,
                      struct vmb_error *err)
{
	if (d->supported && block % d->offset_align)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "disk-rand: block %llu bytes is not a multiple of the %u-byte "
		                     "direct-I/O alignment of %s",
		                     (unsigned long long)block, d->offset_align, dir);
	return 0;
}

static int disk_rand_check(const uint64_t *param, const struct vmb_check_env *env,
                           struct vmb_error *err)
{
	struct vmb_dio d;
	struct vmb_error ignored = {0};

	if (param[P_FILE] < param[P_BLOCK])
		return vmb_error_set(
		        err, VMB_ERR_USAGE,
		        "disk-rand: file %llu bytes is smaller than one block (%llu bytes)",
		        (unsigned long long)param[P_FILE], (unsigned long long)param[P_BLOCK]);
	if (vmb_disk_space_check("disk-rand", env->volume_dir, param[P_FILE], err) < 0)
		return -1;
	/* a file system without direct I/O is the host's limit, not bad input:
	 * setup says so; neither is a probe that cannot be made */
	if (!env->volume_dir || vmb_dio_probe(env->volume_dir, &d, &ignored) < 0)
		return 0;
	return block_fits(param[P_BLOCK], env->volume_dir, &d, err);
}

static int disk_rand_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct rand_state *st = calloc(1, sizeof(*st));
	struct vmb_rng rng;
	void *buf = NULL;

	if (!st)
		return vmb_error_sys(err, ENOMEM, "disk-rand: state");
	ctx->state = st;
	st->fd = -1;
	st->block = (size_t)ctx->param[P_BLOCK];
	st->nblocks = ctx->param[P_FILE] / st->block;
	if (vmb_dio_probe(ctx->dir, &st->dio, err) < 0)
		return vmb_error_prefix(err, "disk-rand");
	if (!st->dio.supported)
		return vmb_error_set(err, VMB_ERR_FAIL,
		                     "disk-rand: the file system of %s (%s) does not do direct I/O "
		                     "(O_DIRECT); its volume must be on a disk file system",
		                     ctx->dir, st->dio.fs);
	if (block_fits(st->block, ctx->dir, &st->dio, err) < 0)
		return -1;
	st->align = st->dio.mem_align > 4096 ? st->dio.mem_align : 4096;
	ctx->observations =
	        json_pack("{s:s, s:s, s:i, s:i, s:s}", "dir", ctx->dir, "fs", st->dio.fs,
	                  "dio_offset_align", (int)st->dio.offset_align, "dio_mem_align",
	                  (int)st->dio.mem_align, "dio_align_from", st->dio.from);

	snprintf(st->path, sizeof(st->path), "%s/vmbench-rand-%d", ctx->dir, (int)getpid());
	st->fd = open(st->path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0600);
	if (st->fd < 0)
		return vmb_error_sys(err, errno, "disk-rand: create %s with O_DIRECT (%s)",
		                     st->path, st->dio.fs);
	st->made = true;

	/* written in full, with direct I/O (nothing left in the page cache),
	 * so that every read finds allocated, written blocks */
	size_t chunk = FILL_CHUNK / st->block * st->block;
	if (chunk == 0)
		chunk = st->block;
	if (posix_memalign(&buf, st->align, chunk) != 0)
		return vmb_error_sys(err, ENOMEM, "disk-rand: %zu-byte fill buffer", chunk);
	vmb_rng_seed(&rng, ctx->seed ^ 0x6469736b72616e64ull);
	for (uint64_t b = 0; b < st->nblocks;) {
		uint64_t n = chunk / st->block;
		if (n > st->nblocks - b)
			n = st->nblocks - b;
		fill_random(&rng, buf, n * st->block);
		for (uint64_t i = 0; i < n; i++)
			*(uint64_t *)((char *)buf + i * st->block) = stamp(ctx->seed, b + i);
		ssize_t w = pwrite(st->fd, buf, n * st->block, (off_t)(b * st->block));
		if (w != (ssize_t)(n * st->block)) {
			int e = w < 0 ? errno : EIO;
			free(buf);
			return vmb_error_sys(err, e, "disk-rand: fill %s", st->path);
		}
		b += n;
	}
	free(buf);
	if (fsync(st->fd) < 0)
		return vmb_error_sys(err, errno, "disk-rand: fsync %s", st->path);
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct rand_state *st = w->st;
	struct vmb_workload_ctx *ctx = w->ctx;
	struct vmb_rng rng;
	uint64_t seed = ctx->seed;

	vmb_rng_seed(&rng, w->seed);
	if (w->gate) {
		struct gate *g = w->gate;
		bool cancel;
		pthread_mutex_lock(&g->lock);
		g->ready++;
		pthread_cond_broadcast(&g->cond);
		while (!g->open)
			pthread_cond_wait(&g->cond, &g->lock);
		cancel = g->cancel;
		pthread_mutex_unlock(&g->lock);
		if (cancel)
			return NULL;
	}
	for (uint64_t i = 0; i < w->ops; i++) {
		uint64_t b = vmb_rng_below(&rng, st->nblocks);
		off_t off = (off_t)(b * st->block);
		ssize_t n;
		uint64_t t0, t1;

		if (w->write) {
			uint64_t *word = w->buf;
			word[0] = stamp(seed, b);
			if (st->block >= 16)
				word[1] = mix64(w->seed + i); /* every write differs */
			t0 = vmb_now_ns();
			n = pwrite(st->fd, w->buf, st->block, off);
			t1 = vmb_now_ns();
			w->sum += b;
		} else {
			t0 = vmb_now_ns();
			n = pread(st->fd, w->buf, st->block, off);
			t1 = vmb_now_ns();
			uint64_t got = *(const uint64_t *)w->buf;
			if (n == (ssize_t)st->block && got != stamp(seed, b)) {
				w->bad = b + 1;
				break;
			}
			w->sum += got;
		}
		if (n != (ssize_t)st->block) {
			w->err = n < 0 ? errno : EIO;
			break;
		}
		vmb_hist_add(w->h, t1 - t0);
		__atomic_fetch_add(&ctx->ops, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&ctx->bytes, (long long)st->block, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* One phase: `ops` reads (or writes) of random blocks by `depth` threads;
 * their latencies go to distribution `dist`, the phase's IOPS to figure
 * `iops`. 0, or -1 with err set. */
static int phase(struct vmb_workload_ctx *ctx, unsigned index, bool write, unsigned depth,
                 const char *dist, const char *iops, struct vmb_error *err)
{
	const struct rand_state *st = ctx->state;
	uint64_t ops = ctx->param[P_OPS];
	vmb_autofree struct worker *w = calloc(depth, sizeof(*w));
	vmb_autofree pthread_t *tid = calloc(depth, sizeof(*tid));
	struct vmb_hist *out = vmb_dist(ctx, dist, "ns");
	struct gate gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false, false};
	unsigned started = 1;
	int rc = 0;

	if (!w || !tid || !out)
		return vmb_error_sys(err, ENOMEM, "disk-rand: %u threads", depth);
	for (unsigned i = 0; i < depth; i++) {
		w[i] = (struct worker){.ctx = ctx,
		                       .st = st,
		                       .gate = i ? &gate : NULL,
		                       .write = write,
		                       .ops = ops / depth + (i < ops % depth),
		                       .seed = mix64(ctx->seed + 1000003ull * index + i)};
		w[i].h = vmb_hist_new();
		if (!w[i].h || posix_memalign(&w[i].buf, st->align, st->block) != 0) {
			rc = vmb_error_sys(err, ENOMEM, "disk-rand: buffers of %u threads", depth);
			goto out;
		}
		struct vmb_rng rng;
		vmb_rng_seed(&rng, w[i].seed);
		fill_random(&rng, w[i].buf, st->block);
	}
	for (unsigned i = 1; i < depth; i++) {
		if (pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0) {
			rc = vmb_error_set(err, VMB_ERR_FAIL,
			                   "disk-rand: cannot start thread %u of %u", i + 1, depth);
			break;
		}
		started++;
	}
	/* thread 0 is this one: the phase starts when every thread waits */
	pthread_mutex_lock(&gate.lock);
	while (rc == 0 && gate.ready < started - 1)
		pthread_cond_wait(&gate.cond, &gate.lock);
	gate.open = true;
	gate.cancel = rc < 0;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
	uint64_t t0 = vmb_now_ns();
	if (rc == 0)
		worker_main(&w[0]);
	for (unsigned i = 1; i < started; i++)
		pthread_join(tid[i], NULL);
	uint64_t ns = vmb_now_ns() - t0;
	if (rc < 0)
		goto out;

	uint64_t sum = 0, done = 0;
	for (unsigned i = 0; i < depth && rc == 0; i++) {
		if (w[i].err)
			rc = vmb_error_sys(err, w[i].err, "disk-rand: %s %s",
			                   write ? "write to" : "read from", st->path);
		else if (w[i].bad)
			rc = vmb_error_set(err, VMB_ERR_FAIL,
			                   "disk-rand: block %llu of %s read back wrong data",
			                   (unsigned long long)(w[i].bad - 1), st->path);
		sum += w[i].sum;
		done += vmb_hist_count(w[i].h);
		vmb_hist_merge(out, w[i].h);
	}
	if (rc == 0) {
		ctx->checksum = mix64(ctx->checksum ^ sum);
		vmb_figure_set(ctx, iops, ns ? (double)done * 1e9 / (double)ns : NAN);
	}
out:
	for (unsigned i = 0; i < depth; i++) {
		vmb_hist_free(w[i].h);
		free(w[i].buf);
	}
	return rc;
}

static int disk_rand_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	unsigned depth = (unsigned)ctx->param[P_DEPTH], deep = (unsigned)ctx->param[P_DEEP];

	ctx->ops_unit = "io";
	ctx->checksum = ctx->seed;
	if (phase(ctx, 0, false, depth, "read_lat_ns", "read_iops", err) < 0 ||
	    phase(ctx, 1, true, depth, "write_lat_ns", "write_iops", err) < 0)
		return -1;
	if (deep && (phase(ctx, 2, false, deep, "deep_read_lat_ns", "deep_read_iops", err) < 0 ||
	             phase(ctx, 3, true, deep, "deep_write_lat_ns", "deep_write_iops", err) < 0))
		return -1;
	return 0;
}

static void disk_rand_teardown(struct vmb_workload_ctx *ctx)
{
	struct rand_state *st = ctx->state;

	if (!st)
		return;
	vmb_disk_file_drop(&st->fd, st->made, st->path);
	free(st);
	ctx->state = NULL;
}

static uint64_t disk_rand_memory(const uint64_t *param)
{
	uint64_t threads = param[P_DEPTH] > param[P_DEEP] ? param[P_DEPTH] : param[P_DEEP];

	/* the fill buffer; per thread: a stack, a block and a histogram */
	return FILL_CHUNK + threads * (param[P_BLOCK] + (192u << 10));
}

static const struct vmb_metric disk_rand_metrics[] = {
        VMB_FIGURE("read_iops", "IO/s", VMB_HIGHER_IS_BETTER,
                   "random direct reads per second at queue depth `depth`"),
        VMB_FIGURE("write_iops", "IO/s", VMB_HIGHER_IS_BETTER,
                   "random direct writes per second at queue depth `depth`"),
        VMB_DISTRIBUTION("read_lat_ns", "ns", "a random direct read's latency at `depth`"),
        VMB_DISTRIBUTION("write_lat_ns", "ns", "a random direct write's latency at `depth`"),
        VMB_FIGURE("deep_read_iops", "IO/s", VMB_HIGHER_IS_BETTER,
                   "random direct reads per second at queue depth `deep`"),
        VMB_FIGURE("deep_write_iops", "IO/s", VMB_HIGHER_IS_BETTER,
                   "random direct writes per second at queue depth `deep`"),
        VMB_DISTRIBUTION("deep_read_lat_ns", "ns", "a random direct read's latency at `deep`"),
        VMB_DISTRIBUTION("deep_write_lat_ns", "ns", "a random direct write's latency at `deep`"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param disk_rand_params[] = {
        [P_FILE] = {"file", 256ull << 20, 1u << 20, 1ull << 40, false,
                    "size of the file read and written (made and filled untimed)", true,
                    64ull << 20},
        [P_BLOCK] = {"block", 4096, 512, 16u << 20, false,
                     "bytes per I/O: a multiple of the volume's direct-I/O alignment", true},
        [P_OPS] = {"ops", 4000, 1, 1ull << 32, true,
                   "reads, then writes, per phase (shared by its threads)", .quick = 1000},
        [P_DEPTH] = {"depth", 1, 1, 64, false,
                     "queue depth: threads with an I/O in flight at once"},
        [P_DEEP] = {"deep", 16, 0, 64, false,
                    "queue depth of a second read and write phase (0: none)"},
};

const struct vmb_workload vmb_workload_disk_rand = {
        .name = "disk-rand",
        .suite = "io",
        .summary = "random 4 KiB direct-I/O reads and writes of a file, latency and IOPS",
        .params = disk_rand_params,
        .nparams = VMB_ARRAY_SIZE(disk_rand_params),
        .needs = VMB_NEED_DISK,
        .headline = "read_iops",
        .metrics = disk_rand_metrics,
        .memory_need = disk_rand_memory,
        .check = disk_rand_check,
        .setup = disk_rand_setup,
        .run = disk_rand_run,
        .teardown = disk_rand_teardown,
};
