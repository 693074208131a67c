/* disk.h: what direct I/O (O_DIRECT) needs of a directory's file system, found with a
 * probe file there; shared by the disk workloads (disk-rand, io-seq's direct mode). */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vmbench/error.h"

struct vmb_dio {
	bool supported;        /* direct I/O reaches the device there */
	unsigned offset_align; /* file offsets and lengths: multiples of this */
	unsigned mem_align;    /* buffer addresses: multiples of this */
	const char *from;      /* where the alignment came from: "statx", "sysfs", "assumed" */
	char fs[32];           /* the file system's type, in words */
};

/* The name of a file system type from statfs's f_type. */
static inline void vmb_dio_fs_name(long type, char *buf, size_t len)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} known[] = {
	        {0xEF53, "ext4"},         {0x58465342, "xfs"},       {0x9123683E, "btrfs"},
	        {0xF2F52010, "f2fs"},     {0x2FC12FC1, "zfs"},       {0x01021994, "tmpfs"},
	        {0x858458F6, "ramfs"},    {0x794C7630, "overlayfs"}, {0x6969, "nfs"},
	        {0x01021997, "9p"},       {0x65735546, "fuse"},      {0xFF534D42, "cifs"},
	        {0x73717368, "squashfs"}, {0x4D44, "vfat"},          {0x5346544E, "ntfs"},
	        {0x6E736673, "nsfs"},     {0x9FA0, "proc"},          {0x62656572, "sysfs"},
	        {0x24051905, "ubifs"},    {0x3153464A, "jfs"},       {0x52654973, "reiserfs"},
	        {0xCA451A4E, "bcachefs"}, {0x47504653, "gpfs"},      {0x0BD00BD0, "lustre"},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if ((unsigned long)type == known[i].magic) {
			snprintf(buf, len, "%s", known[i].name);
			return;
		}
	snprintf(buf, len, "type 0x%lx", (unsigned long)type);
}

/* The logical block size of the block device dev from sysfs (a partition's is
 * its disk's), or 0 when there is none (no device behind the file system). */
static inline unsigned vmb_dio_sysfs_lbs(dev_t dev)
{
	static const char *const where[] = {"queue", "../queue"};
	char path[128];
	unsigned v = 0;

	for (size_t i = 0; i < 2 && !v; i++) {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%s/logical_block_size",
		         major(dev), minor(dev), where[i]);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* Probes what direct I/O needs in dir, with a nameless (or at once unlinked)
 * file there: 0, or -1 with err set when no file can be made there. A file
 * system without direct I/O is not an error: d->supported says so. */
static inline int vmb_dio_probe(const char *dir, struct vmb_dio *d, struct vmb_error *err)
{
	struct statfs sfs;
	struct stat st;
	char path[4096];
	int fd;

	memset(d, 0, sizeof(*d));
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* no O_TMPFILE there (9p, NFS...): a named file, unlinked at once */
		snprintf(path, sizeof(path), "%s/.vmbench-dio-XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			return vmb_error_sys(err, errno, "cannot make a probe file in %s", dir);
		unlink(path);
	}
	if (fstatfs(fd, &sfs) == 0)
		vmb_dio_fs_name((long)sfs.f_type, d->fs, sizeof(d->fs));
	else
		snprintf(d->fs, sizeof(d->fs), "unknown");
	/* setting O_DIRECT fails (EINVAL) where the file system has no direct I/O */
	int fl = fcntl(fd, F_GETFL);
	d->supported = fl >= 0 && fcntl(fd, F_SETFL, fl | O_DIRECT) == 0;
#ifdef STATX_DIOALIGN
	struct statx sx;
	if (d->supported && statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
	    (sx.stx_mask & STATX_DIOALIGN)) {
		close(fd);
		/* a zero alignment: this file cannot do direct I/O */
		d->supported = sx.stx_dio_offset_align != 0;
		d->offset_align = sx.stx_dio_offset_align;
		d->mem_align = sx.stx_dio_mem_align;
		d->from = "statx";
		return 0;
	}
#endif
	if (fstat(fd, &st) < 0)
		st.st_dev = 0;
	close(fd);
	if (!d->supported)
		return 0;
	if (strcmp(d->fs, "tmpfs") == 0 || strcmp(d->fs, "ramfs") == 0) {
		/* accepts O_DIRECT (Linux 6.6 on) but keeps the data in memory */
		d->supported = false;
		return 0;
	}
	d->offset_align = d->mem_align = vmb_dio_sysfs_lbs(st.st_dev);
	d->from = "sysfs";
	if (!d->offset_align) {
		/* no block device to ask (a network or virtual file system):
		 * the page size is what any direct I/O accepts */
		d->offset_align = d->mem_align = (unsigned)sysconf(_SC_PAGESIZE);
		d->from = "assumed";
	}
	return 0;
}

/* Whether `need` bytes fit in the free space of dir's file system (with 16 MiB
 * to spare); 0, or -1 with a usage error naming both. A directory that cannot
 * be examined (NULL: the agent's own check) passes: setup will say. */
static inline int vmb_disk_space_check(const char *who, const char *dir, uint64_t need,
                                       struct vmb_error *err)
{
	struct statvfs sv;
	struct statfs sfs;

	if (!dir || statvfs(dir, &sv) != 0)
		return 0;
	/* memory is no disk: vmbench skips the case there, saying so */
	if (statfs(dir, &sfs) == 0 &&
	    (sfs.f_type == 0x01021994 /* tmpfs */ || sfs.f_type == (long)0x858458f6 /* ramfs */))
		return 0;
	uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (need + (16ull << 20) <= avail)
		return 0;
	return vmb_error_set(
	        err, VMB_ERR_USAGE, "%s needs %llu MiB of disk in %s, which has %llu MiB free", who,
	        (unsigned long long)((need >> 20) + 16), dir, (unsigned long long)(avail >> 20));
}

/* Closes *fd (if open) and unlinks path when this workload made it. */
static inline void vmb_disk_file_drop(int *fd, bool made, const char *path)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	if (made)
		unlink(path);
}
