/* io_seq.c: sequential file I/O in the runner's volume: write a file in 1 MiB blocks,
 * fsync, drop it from the page cache, read it back. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_MIB, P_PASSES };

#define BLOCK (1u << 20)

static int fail(struct vmb_error *err, int fd, const char *path, const char *what)
{
	int e = errno;

	if (fd >= 0)
		close(fd);
	unlink(path);
	return vmb_error_sys(err, e, "io-seq: %s %s", what, path);
}

static int io_seq_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	uint64_t blocks = ctx->param[P_MIB], passes = ctx->param[P_PASSES];
	vmb_autofree uint64_t *buf = malloc(BLOCK);
	char path[4096];
	struct vmb_rng rng;
	uint64_t sum = 0;
	struct statfs sfs;

	if (!buf)
		return vmb_error_sys(err, ENOMEM, "io-seq: buffer");
	ctx->ops_unit = "1MiB-block";
	snprintf(path, sizeof(path), "%s/vmbench-io-%d", ctx->dir, (int)getpid());
	for (uint64_t p = 0; p < passes; p++) {
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			return fail(err, fd, path, "create");
		vmb_rng_seed(&rng, ctx->seed + p);
		for (uint64_t b = 0; b < blocks; b++) {
			for (size_t i = 0; i < BLOCK / 8; i += 512)
				buf[i] = vmb_rng_next(&rng); /* every 4 KiB differs */
			if (vmb_write_all(fd, buf, BLOCK) < 0)
				return fail(err, fd, path, "write");
			ctx->bytes += BLOCK;
			ctx->ops++;
		}
		if (fsync(fd) < 0)
			return fail(err, fd, path, "fsync");
		/* clean pages now: this drops them, so the reads go to the device */
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (lseek(fd, 0, SEEK_SET) < 0)
			return fail(err, fd, path, "seek");
		for (uint64_t b = 0; b < blocks; b++) {
			size_t got = 0;
			while (got < BLOCK) {
				ssize_t n = read(fd, (char *)buf + got, BLOCK - got);
				if (n <= 0)
					return fail(err, fd, path,
					            n == 0 ? "short read of" : "read");
				got += (size_t)n;
			}
			for (size_t i = 0; i < BLOCK / 8; i += 512)
				sum = sum * 31 + buf[i];
			ctx->bytes += BLOCK;
			ctx->ops++;
		}
		close(fd);
	}
	if (statfs(ctx->dir, &sfs) == 0)
		ctx->observations = json_pack("{s:s, s:I}", "dir", ctx->dir, "fs_magic",
		                              (json_int_t)sfs.f_type);
	unlink(path);
	ctx->checksum = sum;
	return 0;
}

static const struct vmb_param io_seq_params[] = {
        [P_MIB] = {"file_mib", 64, 1, 65536, false, "file size, MiB"},
        [P_PASSES] = {"io_passes", 2, 1, 1u << 20, true, "write-then-read passes"},
};

const struct vmb_workload vmb_workload_io_seq = {
        .name = "io-seq",
        .suite = "io",
        .summary = "sequential write, fsync, cache drop and read back of a file in the volume",
        .params = io_seq_params,
        .nparams = VMB_ARRAY_SIZE(io_seq_params),
        .needs = VMB_NEED_DISK,
        .run = io_seq_run,
};
