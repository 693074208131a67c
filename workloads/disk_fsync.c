/* disk_fsync.c: the latency of a small buffered write made durable, pwrite then fsync
 * (then pwrite then fdatasync), each pair timed, over a preallocated file in the volume. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_WRITES, P_BLOCK, P_SPAN };

struct fsync_state {
	char path[4096];
	int fd;
	bool made; /* path exists: teardown unlinks it */
	uint64_t nblocks;
	size_t block;
	uint64_t *buf; /* one block, plus room for the last word */
};

static int disk_fsync_check(const uint64_t *param, const struct vmb_check_env *env,
                            struct vmb_error *err)
{
	if (param[P_SPAN] < param[P_BLOCK])
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "disk-fsync: span %llu bytes is smaller than one block "
		                     "(%llu bytes)",
		                     (unsigned long long)param[P_SPAN],
		                     (unsigned long long)param[P_BLOCK]);
	return vmb_disk_space_check("disk-fsync", env->volume_dir, param[P_SPAN], err);
}

static int disk_fsync_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct fsync_state *st = calloc(1, sizeof(*st));
	struct vmb_rng rng;

	if (!st)
		return vmb_error_sys(err, ENOMEM, "disk-fsync: state");
	ctx->state = st;
	st->fd = -1;
	st->block = (size_t)ctx->param[P_BLOCK];
	st->nblocks = ctx->param[P_SPAN] / st->block;
	st->buf = malloc(st->block + 8);
	if (!st->buf)
		return vmb_error_sys(err, ENOMEM, "disk-fsync: %zu-byte buffer", st->block);
	vmb_rng_seed(&rng, ctx->seed);
	for (size_t i = 0; i < st->block / 8 + 1; i++)
		st->buf[i] = vmb_rng_next(&rng) | 0x0101010101010101ull;

	snprintf(st->path, sizeof(st->path), "%s/vmbench-fsync-%d", ctx->dir, (int)getpid());
	st->fd = open(st->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (st->fd < 0)
		return vmb_error_sys(err, errno, "disk-fsync: create %s", st->path);
	st->made = true;
	struct statfs sfs;
	char fs[32] = "unknown";
	if (fstatfs(st->fd, &sfs) == 0)
		vmb_dio_fs_name((long)sfs.f_type, fs, sizeof(fs));
	/* fsync costs nothing on tmpfs: the file system says what was measured */
	ctx->observations = json_pack("{s:s, s:s}", "dir", ctx->dir, "fs", fs);
	/* every block written and durable before the timed part, so the writes
	 * there overwrite allocated blocks and never grow the file */
	for (uint64_t b = 0; b < st->nblocks; b++)
		if (vmb_write_all(st->fd, st->buf, st->block) < 0)
			return vmb_error_sys(err, errno, "disk-fsync: fill %s", st->path);
	if (fsync(st->fd) < 0)
		return vmb_error_sys(err, errno, "disk-fsync: fsync %s", st->path);
	return 0;
}

/* `writes` overwrites of the next block (round the file), each made durable
 * by fsync or fdatasync, the pair timed into distribution `dist`. */
static int phase(struct vmb_workload_ctx *ctx, bool data_only, const char *dist,
                 struct vmb_error *err)
{
	struct fsync_state *st = ctx->state;
	const char *what = data_only ? "fdatasync" : "fsync";
	struct vmb_hist *h = vmb_dist(ctx, dist, "ns");
	uint64_t sum = 0;

	if (!h)
		return vmb_error_sys(err, ENOMEM, "disk-fsync: distribution");
	for (uint64_t i = 0; i < ctx->param[P_WRITES]; i++) {
		uint64_t b = i % st->nblocks;
		/* a new first word each time: every write changes the page */
		uint64_t word = ctx->seed * 0x9e3779b97f4a7c15ull + 2 * i + data_only;
		memcpy(st->buf, &word, st->block < 8 ? st->block : 8);

		uint64_t t0 = vmb_now_ns();
		ssize_t n = pwrite(st->fd, st->buf, st->block, (off_t)(b * st->block));
		if (n != (ssize_t)st->block)
			return vmb_error_sys(err, n < 0 ? errno : EIO, "disk-fsync: write to %s",
			                     st->path);
		if ((data_only ? fdatasync(st->fd) : fsync(st->fd)) < 0)
			return vmb_error_sys(err, errno, "disk-fsync: %s %s", what, st->path);
		vmb_hist_add(h, vmb_now_ns() - t0);
		sum = sum * 31 + word + b;
		ctx->ops++;
		ctx->bytes += (long long)st->block;
	}
	ctx->checksum = ctx->checksum * 131 + sum;
	return 0;
}

static int disk_fsync_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	ctx->ops_unit = "durable-write";
	ctx->checksum = ctx->seed;
	if (phase(ctx, false, "fsync_lat_ns", err) < 0 ||
	    phase(ctx, true, "fdatasync_lat_ns", err) < 0)
		return -1;
	return 0;
}

static void disk_fsync_teardown(struct vmb_workload_ctx *ctx)
{
	struct fsync_state *st = ctx->state;

	if (!st)
		return;
	vmb_disk_file_drop(&st->fd, st->made, st->path);
	free(st->buf);
	free(st);
	ctx->state = NULL;
}

static uint64_t disk_fsync_memory(const uint64_t *param)
{
	return param[P_BLOCK] + (128u << 10);
}

static const struct vmb_metric disk_fsync_metrics[] = {
        VMB_DISTRIBUTION("fsync_lat_ns", "ns", "a block's buffered write plus fsync"),
        VMB_DISTRIBUTION("fdatasync_lat_ns", "ns", "a block's buffered write plus fdatasync"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param disk_fsync_params[] = {
        [P_WRITES] = {"writes", 1500, 1, 1ull << 32, true,
                      "durable writes per phase (fsync, then fdatasync)", .quick = 500},
        [P_BLOCK] = {"block", 4096, 1, 16u << 20, false, "bytes per write", true},
        [P_SPAN] = {"span", 1u << 20, 1, 1ull << 34, false,
                    "size of the preallocated file the writes go round", true, 256u << 10},
};

const struct vmb_workload vmb_workload_disk_fsync = {
        .name = "disk-fsync",
        .suite = "io",
        .summary = "latency of a 4 KiB buffered write plus fsync (and plus fdatasync)",
        .params = disk_fsync_params,
        .nparams = VMB_ARRAY_SIZE(disk_fsync_params),
        .needs = VMB_NEED_DISK,
        .headline = "fsync_lat_ns_p50",
        .metrics = disk_fsync_metrics,
        .memory_need = disk_fsync_memory,
        .check = disk_fsync_check,
        .setup = disk_fsync_setup,
        .run = disk_fsync_run,
        .teardown = disk_fsync_teardown,
};
