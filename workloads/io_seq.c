/* io_seq.c: sequential file I/O in the runner's volume: write a file in 1 MiB blocks,
 * fsync, drop it from the page cache, read it back; buffered, or direct (O_DIRECT). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"
#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_MIB, P_PASSES, P_DIRECT };

#define BLOCK (1u << 20)

struct seq_state {
	char path[4096];
	int fd;
	bool made; /* path exists: teardown unlinks it */
	uint64_t *buf;
	struct vmb_dio dio;
};

/* pwrite of all len bytes, short writes continued; len, or -1 (errno) */
static ssize_t pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (errno = EIO, -1);
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int io_seq_setup(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct seq_state *st = calloc(1, sizeof(*st));
	bool direct = ctx->param[P_DIRECT] != 0;
	size_t align = 4096;
	void *buf;

	if (!st)
		return vmb_error_sys(err, ENOMEM, "io-seq: state");
	ctx->state = st;
	st->fd = -1;
	if (vmb_dio_probe(ctx->dir, &st->dio, err) < 0)
		return vmb_error_prefix(err, "io-seq");
	if (direct) {
		if (!st->dio.supported)
			return vmb_error_set(
			        err, VMB_ERR_FAIL,
			        "io-seq: the file system of %s (%s) does not do direct "
			        "I/O (O_DIRECT); use io-seq.direct=0 there",
			        ctx->dir, st->dio.fs);
		if (BLOCK % st->dio.offset_align)
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "io-seq: the %u-byte direct-I/O alignment of %s does "
			                     "not divide its 1 MiB blocks",
			                     st->dio.offset_align, ctx->dir);
		if (st->dio.mem_align > align)
			align = st->dio.mem_align;
	}
	if (posix_memalign(&buf, align, BLOCK) != 0)
		return vmb_error_sys(err, ENOMEM, "io-seq: buffer");
	st->buf = buf;
	memset(st->buf, 0, BLOCK); /* touched here, not in the timed part */
	ctx->observations =
	        json_pack("{s:s, s:s, s:b}", "dir", ctx->dir, "fs", st->dio.fs, "direct", direct);

	snprintf(st->path, sizeof(st->path), "%s/vmbench-io-%d", ctx->dir, (int)getpid());
	st->fd = open(st->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | (direct ? O_DIRECT : 0),
	              0600);
	if (st->fd < 0)
		return vmb_error_sys(err, errno, "io-seq: create %s%s", st->path,
		                     direct ? " with O_DIRECT" : "");
	st->made = true;
	return 0;
}

static int io_seq_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	struct seq_state *st = ctx->state;
	uint64_t blocks = ctx->param[P_MIB], passes = ctx->param[P_PASSES];
	uint64_t *buf = st->buf, sum = 0, write_ns = 0, read_ns = 0;
	struct vmb_rng rng;

	ctx->ops_unit = "1MiB-block";
	for (uint64_t p = 0; p < passes; p++) {
		/* each pass writes a new file: the blocks are allocated again */
		uint64_t t0 = vmb_now_ns();
		if (ftruncate(st->fd, 0) < 0)
			return vmb_error_sys(err, errno, "io-seq: truncate %s", st->path);
		vmb_rng_seed(&rng, ctx->seed + p);
		for (uint64_t b = 0; b < blocks; b++) {
			for (size_t i = 0; i < BLOCK / 8; i += 512)
				buf[i] = vmb_rng_next(&rng); /* every 4 KiB differs */
			if (pwrite_all(st->fd, buf, BLOCK, (off_t)(b * BLOCK)) < 0)
				return vmb_error_sys(err, errno, "io-seq: write %s", st->path);
			ctx->bytes += BLOCK;
			ctx->ops++;
		}
		if (fsync(st->fd) < 0)
			return vmb_error_sys(err, errno, "io-seq: fsync %s", st->path);
		/* clean pages now: this drops them, so the reads go to the device */
		int adv = posix_fadvise(st->fd, 0, 0, POSIX_FADV_DONTNEED);
		if (adv != 0)
			return vmb_error_sys(err, adv, "io-seq: dropping %s from the page cache",
			                     st->path);
		uint64_t t1 = vmb_now_ns();
		for (uint64_t b = 0; b < blocks; b++) {
			ssize_t n = pread(st->fd, buf, BLOCK, (off_t)(b * BLOCK));
			if (n != (ssize_t)BLOCK)
				return vmb_error_sys(err, n < 0 ? errno : EIO, "io-seq: %s %s",
				                     n < 0 ? "read" : "short read of", st->path);
			for (size_t i = 0; i < BLOCK / 8; i += 512)
				sum = sum * 31 + buf[i];
			ctx->bytes += BLOCK;
			ctx->ops++;
		}
		uint64_t t2 = vmb_now_ns();
		write_ns += t1 - t0;
		read_ns += t2 - t1;
	}
	double mb = (double)(blocks * passes * BLOCK) / 1e6;
	vmb_figure_set(ctx, "write_mb_s", write_ns ? mb * 1e9 / (double)write_ns : NAN);
	vmb_figure_set(ctx, "read_mb_s", read_ns ? mb * 1e9 / (double)read_ns : NAN);
	ctx->checksum = sum;
	return 0;
}

static void io_seq_teardown(struct vmb_workload_ctx *ctx)
{
	struct seq_state *st = ctx->state;

	if (!st)
		return;
	vmb_disk_file_drop(&st->fd, st->made, st->path);
	free(st->buf);
	free(st);
	ctx->state = NULL;
}

static uint64_t io_seq_memory(const uint64_t *param)
{
	(void)param;
	return 2 * BLOCK;
}

static const struct vmb_metric io_seq_metrics[] = {
        VMB_FIGURE("write_mb_s", "MB/s", VMB_HIGHER_IS_BETTER,
                   "sequential write throughput, to durable (fsync), in 10^6 bytes per second"),
        VMB_FIGURE("read_mb_s", "MB/s", VMB_HIGHER_IS_BETTER,
                   "sequential read throughput from the device (cache dropped), "
                   "in 10^6 bytes per second"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static int io_seq_check(const uint64_t *param, const struct vmb_check_env *env,
                        struct vmb_error *err)
{
	return vmb_disk_space_check("io-seq", env->volume_dir, param[P_MIB] << 20, err);
}

static const struct vmb_param io_seq_params[] = {
        [P_MIB] = {"file_mib", 64, 1, 65536, false, "file size, MiB", .quick = 16},
        [P_PASSES] = {"io_passes", 2, 1, 1u << 20, true, "write-then-read passes", .quick = 1},
        [P_DIRECT] = {"direct", 0, 0, 1, false,
                      "1: direct I/O (O_DIRECT), bypassing the page cache; 0: buffered"},
};

const struct vmb_workload vmb_workload_io_seq = {
        .name = "io-seq",
        .suite = "io",
        .summary = "sequential write, fsync, cache drop and read back of a file in the volume",
        .params = io_seq_params,
        .nparams = VMB_ARRAY_SIZE(io_seq_params),
        .check = io_seq_check,
        .needs = VMB_NEED_DISK,
        .metrics = io_seq_metrics,
        .memory_need = io_seq_memory,
        .setup = io_seq_setup,
        .run = io_seq_run,
        .teardown = io_seq_teardown,
};
