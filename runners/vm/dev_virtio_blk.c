/* dev_virtio_blk.c: a virtio block device backed by a host file: reads, writes, flush
 * (fdatasync) and its ID; with direct, the file is opened O_DIRECT (a request whose guest
 * buffers the host cannot use directly goes through an aligned bounce buffer). Requests
 * are taken from the ring where the doorbell is served and done by a pool of workers,
 * several at once, so that the host's file sees the guest's queue depth; they complete
 * in any order. A request that is malformed or out of the disk's range fails with an
 * error status; the guest never makes the VMM read or write outside its RAM or the file. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "runners/vm/virtio.h"

#define BLK_SECTOR  512u
#define BLK_BLOCK   4096u /* the block size the guest is told: whole host pages */
#define BLK_SEG_MAX (VQ_MAX_SEGS - 2)
#define BLK_BOUNCE  (128u << 10) /* bytes bounced at a time (O_DIRECT, misaligned) */
#define BLK_WORKERS 16u          /* requests in flight on the host at once */

/* One request between the ring and a worker. */
struct blk_job {
	struct vq_chain chain;
	struct iovec iov[VQ_MAX_SEGS];
	unsigned qi;
	uint32_t written;
	const char *host_failed; /* what the host failed at ("read", "write", "flush"), or NULL */
	int host_errno;
};

struct blk {
	int fd;
	bool direct;
	uint64_t size; /* bytes, a whole number of sectors */
	char id[VIRTIO_BLK_ID_BYTES];
	struct vmm *vm;
	struct vmm_dev *dev;
	/* the workers; everything below is under the device's lock */
	pthread_t worker[BLK_WORKERS];
	unsigned nworkers; /* 0: requests are done where they are taken */
	pthread_cond_t work, idle;
	struct blk_job *jobs;                 /* BLK_WORKERS of them, made at start */
	unsigned char job_state[BLK_WORKERS]; /* free, queued, running */
	unsigned inflight;                    /* queued or running */
	bool async;                           /* started: requests go to workers */
	bool spawned;                         /* the workers were made (or tried) */
	unsigned workers_made;                /* how many (0: requests were done where taken) */
	bool quit, resetting;
	struct vq *queue;          /* the ring the jobs came from */
	struct blk_job inline_job; /* without workers */
	pthread_mutex_t bounce_lock;
	uint8_t *bounce;
	uint64_t reads, writes, flushes, read_bytes, write_bytes, bounced, failed, unsupported;
	uint64_t max_inflight;
};

enum { JOB_FREE, JOB_QUEUED, JOB_RUNNING };

static void blk_config_read(void *state, uint32_t off, uint8_t *data, uint32_t len)
{
	struct blk *b = state;
	struct virtio_blk_config c;

	memset(&c, 0, sizeof(c));
	c.capacity = b->size / BLK_SECTOR;
	c.seg_max = BLK_SEG_MAX;
	c.blk_size = BLK_BLOCK;
	memcpy(data, (uint8_t *)&c + off, len);
}

/* The chain's bytes from `skip` on, up to `len`, of its readable (write =
 * false) or writable segments, as iovecs; their count. */
static unsigned blk_slice(struct blk_job *j, const struct vq_chain *c, bool write, uint64_t skip,
                          uint64_t len)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n && len; i++) {
		const struct vq_seg *s = &c->seg[i];
		if (s->write != write)
			continue;
		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		uint64_t take = s->len - skip < len ? s->len - skip : len;
		j->iov[n++] = (struct iovec){.iov_base = s->p + skip, .iov_len = take};
		skip = 0;
		len -= take;
	}
	return n;
}

/* Reads or writes the iovecs at off through the bounce buffer, BLK_BOUNCE
 * bytes at a time (O_DIRECT wants aligned memory; total is whole sectors,
 * and so each piece). 0 or -1. */
static int blk_bounced(struct blk *b, struct blk_job *j, unsigned n, uint64_t total, uint64_t off,
                       bool write)
{
	unsigned i = 0;
	size_t in = 0; /* bytes of iov[i] done */
	int rc = 0;

	pthread_mutex_lock(&b->bounce_lock);
	if (!b->bounce && posix_memalign((void **)&b->bounce, BLK_BLOCK, BLK_BOUNCE) != 0)
		b->bounce = NULL;
	if (!b->bounce)
		rc = -1;
	for (uint64_t done = 0; rc == 0 && done < total;) {
		size_t piece = total - done < BLK_BOUNCE ? (size_t)(total - done) : BLK_BOUNCE;
		if (!write &&
		    pread(b->fd, b->bounce, piece, (off_t)(off + done)) != (ssize_t)piece) {
			rc = -1;
			break;
		}
		for (size_t at = 0; at < piece && i < n;) {
			size_t take = j->iov[i].iov_len - in < piece - at ? j->iov[i].iov_len - in
			                                                  : piece - at;
			uint8_t *g = (uint8_t *)j->iov[i].iov_base + in;
			if (write)
				memcpy(b->bounce + at, g, take);
			else
				memcpy(g, b->bounce + at, take);
			at += take;
			in += take;
			if (in == j->iov[i].iov_len) {
				i++;
				in = 0;
			}
		}
		if (write && pwrite(b->fd, b->bounce, piece, (off_t)(off + done)) != (ssize_t)piece)
			rc = -1;
		done += piece;
	}
	pthread_mutex_unlock(&b->bounce_lock);
	return rc;
}

static int blk_rw(struct blk *b, struct blk_job *j, unsigned n, uint64_t total, uint64_t off,
                  bool write)
{
	ssize_t got = write ? pwritev(b->fd, j->iov, (int)n, (off_t)off)
	                    : preadv(b->fd, j->iov, (int)n, (off_t)off);

	if (got == (ssize_t)total)
		return 0;
	if (got < 0 && errno == EINVAL && b->direct) {
		__atomic_fetch_add(&b->bounced, 1, __ATOMIC_RELAXED);
		return blk_bounced(b, j, n, total, off, write);
	}
	return -1;
}

/* Does one request, without the device's lock (its counters are atomic);
 * the bytes written into the guest's buffers, the status byte included (0
 * when there is no status byte to write). */
static uint32_t blk_request(struct blk *b, struct vmm_dev *d, struct blk_job *j)
{
	const struct vq_chain *c = &j->chain;
	struct virtio_blk_outhdr h;

	j->host_failed = NULL;
	uint8_t *status = NULL;
	uint32_t written = 1;

	/* the status is the last writable byte; the header the first 16 readable */
	for (unsigned i = c->n; i-- > 0 && !status;)
		if (c->seg[i].write && c->seg[i].len)
			status = c->seg[i].p + c->seg[i].len - 1;
	if (!status || c->out_bytes < sizeof(h))
		return 0; /* counted by the caller, with its lock */
	unsigned n = blk_slice(j, c, false, 0, sizeof(h));
	uint64_t at = 0;
	for (unsigned i = 0; i < n; i++) {
		memcpy((uint8_t *)&h + at, j->iov[i].iov_base, j->iov[i].iov_len);
		at += j->iov[i].iov_len;
	}
	uint8_t st = VIRTIO_BLK_S_OK;
	uint64_t off = h.sector * (uint64_t)BLK_SECTOR;
	bool in_range = h.sector <= b->size / BLK_SECTOR;
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: {
		bool write = h.type == VIRTIO_BLK_T_OUT;
		uint64_t len = write ? c->out_bytes - sizeof(h) : c->in_bytes - 1;
		if (!in_range || len > b->size - off || len % BLK_SECTOR) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		n = blk_slice(j, c, !write, write ? sizeof(h) : 0, len);
		if (len && blk_rw(b, j, n, len, off, write) < 0) {
			j->host_failed = write ? "write" : "read";
			j->host_errno = errno;
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		atomic_fetch_add(&d->bytes, len);
		__atomic_fetch_add(write ? &b->writes : &b->reads, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(write ? &b->write_bytes : &b->read_bytes, len, __ATOMIC_RELAXED);
		if (!write)
			written += (uint32_t)len;
		break;
	}
	case VIRTIO_BLK_T_FLUSH:
		__atomic_fetch_add(&b->flushes, 1, __ATOMIC_RELAXED);
		if (fdatasync(b->fd) < 0) {
			j->host_failed = "flush";
			j->host_errno = errno;
			st = VIRTIO_BLK_S_IOERR;
		}
		break;
	case VIRTIO_BLK_T_GET_ID: {
		uint64_t len = c->in_bytes - 1 < sizeof(b->id) ? c->in_bytes - 1 : sizeof(b->id);
		n = blk_slice(j, c, true, 0, len);
		at = 0;
		for (unsigned i = 0; i < n; i++) {
			memcpy(j->iov[i].iov_base, b->id + at, j->iov[i].iov_len);
			at += j->iov[i].iov_len;
		}
		written += (uint32_t)len;
		break;
	}
	default:
		__atomic_fetch_add(&b->unsupported, 1, __ATOMIC_RELAXED);
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (st == VIRTIO_BLK_S_IOERR)
		__atomic_fetch_add(&b->failed, 1, __ATOMIC_RELAXED);
	*status = st;
	atomic_fetch_add(&d->requests, 1);
	return written;
}

/* Gives a done request back to the guest, with the device's lock held. */
static void blk_finish(struct blk *b, struct vmm_dev *d, struct vq *q, struct blk_job *j)
{
	if (j->host_failed)
		vmm_dev_host_error(d, "%s of the disk file: %s", j->host_failed,
		                   strerror(j->host_errno ? j->host_errno : EIO));
	if (j->written == 0) {
		/* no status byte, or no header: nothing can say it failed */
		__atomic_fetch_add(&b->failed, 1, __ATOMIC_RELAXED);
		vmm_dev_error(d, "a request from descriptor %u without a header or status byte",
		              j->chain.head);
	}
	vq_push(q, j->chain.head, j->written);
}

static void blk_spawn(struct blk *b);

/* Takes requests from q while workers are free; with the device's lock held.
 * The number done here (without workers), or -1 when the ring is broken. */
static int blk_take(struct vmm *v, struct blk *b, struct vmm_dev *d, unsigned qi, struct vq *q)
{
	int done = 0, r;

	if (b->resetting || b->quit)
		return 0; /* a reset, or the VM stopped: nothing new is taken */
	if (b->async && !b->spawned)
		blk_spawn(b);
	if (!b->nworkers) {
		while ((r = vq_pop(v, q, &b->inline_job.chain)) == 1) {
			b->inline_job.written = blk_request(b, d, &b->inline_job);
			blk_finish(b, d, q, &b->inline_job);
			done++;
		}
		return r < 0 ? -1 : done;
	}
	while (b->inflight < b->nworkers) {
		unsigned k = 0;
		while (b->job_state[k] != JOB_FREE)
			k++;
		r = vq_pop(v, q, &b->jobs[k].chain);
		if (r <= 0)
			return r;
		b->jobs[k].qi = qi;
		b->job_state[k] = JOB_QUEUED;
		b->queue = q;
		if (++b->inflight > b->max_inflight)
			b->max_inflight = b->inflight;
		pthread_cond_signal(&b->work);
	}
	return 0;
}

static int blk_queue(struct vmm *v, struct vmm_dev *d, void *state, unsigned qi, struct vq *q)
{
	return blk_take(v, state, d, qi, q);
}

/* A worker: takes a queued request, does it without the lock, gives it back,
 * interrupts the guest if it asked, and takes more if the ring has them. */
static void *blk_worker(void *arg)
{
	struct blk *b = arg;
	struct vmm_dev *d = b->dev;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		unsigned k = 0;
		while (k < BLK_WORKERS && b->job_state[k] != JOB_QUEUED)
			k++;
		if (k == BLK_WORKERS) {
			if (b->quit)
				break;
			pthread_cond_wait(&b->work, &d->lock);
			continue;
		}
		struct blk_job *j = &b->jobs[k];
		b->job_state[k] = JOB_RUNNING;
		pthread_mutex_unlock(&d->lock);
		j->written = blk_request(b, d, j);
		pthread_mutex_lock(&d->lock);
		blk_finish(b, d, b->queue, j);
		b->job_state[k] = JOB_FREE;
		b->inflight--;
		if (b->inflight == 0)
			pthread_cond_broadcast(&b->idle);
		/* the interrupt, and what the ring holds that no worker was free for */
		vmm_virtio_completed(b->vm, d, j->qi);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* A reset: the requests in flight finish first (their buffers are the
 * guest's until then). With the device's lock held; waits releasing it. */
static void blk_reset(struct vmm_dev *d, void *state)
{
	struct blk *b = state;

	b->resetting = true;
	while (b->inflight)
		pthread_cond_wait(&b->idle, &d->lock);
	b->resetting = false;
}

/* The workers, made at the first request (a VM that never reads its disk,
 * and its start, pay nothing for them); with the device's lock held. If
 * none can be made, requests are done where they are taken. */
static void blk_spawn(struct blk *b)
{
	pthread_attr_t attr;

	b->spawned = true;
	b->jobs = calloc(BLK_WORKERS, sizeof(*b->jobs));
	if (!b->jobs)
		return;
	pthread_attr_init(&attr);
	/* small stacks: a worker calls preadv, pwritev, fdatasync and memcpy */
	pthread_attr_setstacksize(&attr, 64u << 10);
	while (b->nworkers < BLK_WORKERS &&
	       pthread_create(&b->worker[b->nworkers], &attr, blk_worker, b) == 0)
		b->nworkers++;
	b->workers_made = b->nworkers;
	pthread_attr_destroy(&attr);
}

static int blk_start(struct vmm *v, struct vmm_dev *d, void *state, struct vmb_error *err)
{
	struct blk *b = state;

	(void)err;
	b->vm = v;
	b->dev = d;
	b->async = true;
	return 0;
}

static void blk_stop(struct vmm_dev *d, void *state)
{
	struct blk *b = state;
	unsigned n;

	pthread_mutex_lock(&d->lock);
	b->quit = true;
	n = b->nworkers;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&d->lock);
	for (unsigned i = 0; i < n; i++)
		pthread_join(b->worker[i], NULL);
	pthread_mutex_lock(&d->lock);
	b->nworkers = 0;
	pthread_mutex_unlock(&d->lock);
}

static void blk_report(void *state, json_t *c)
{
	struct blk *b = state;

	json_object_set_new(c, "direct", json_boolean(b->direct));
	json_object_set_new(c, "size_bytes", json_integer((json_int_t)b->size));
	json_object_set_new(c, "reads",
	                    json_integer((json_int_t)__atomic_load_n(&b->reads, __ATOMIC_RELAXED)));
	json_object_set_new(
	        c, "writes",
	        json_integer((json_int_t)__atomic_load_n(&b->writes, __ATOMIC_RELAXED)));
	json_object_set_new(
	        c, "flushes",
	        json_integer((json_int_t)__atomic_load_n(&b->flushes, __ATOMIC_RELAXED)));
	json_object_set_new(
	        c, "read_bytes",
	        json_integer((json_int_t)__atomic_load_n(&b->read_bytes, __ATOMIC_RELAXED)));
	json_object_set_new(
	        c, "write_bytes",
	        json_integer((json_int_t)__atomic_load_n(&b->write_bytes, __ATOMIC_RELAXED)));
	json_object_set_new(
	        c, "bounced",
	        json_integer((json_int_t)__atomic_load_n(&b->bounced, __ATOMIC_RELAXED)));
	json_object_set_new(
	        c, "failed",
	        json_integer((json_int_t)__atomic_load_n(&b->failed, __ATOMIC_RELAXED)));
	json_object_set_new(
	        c, "unsupported",
	        json_integer((json_int_t)__atomic_load_n(&b->unsupported, __ATOMIC_RELAXED)));
	json_object_set_new(c, "workers", json_integer((json_int_t)b->workers_made));
	json_object_set_new(c, "max_in_flight", json_integer((json_int_t)b->max_inflight));
	json_object_set_new(c, "in_flight", json_integer((json_int_t)b->inflight));
}

static void blk_release(void *state)
{
	struct blk *b = state;

	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	pthread_cond_destroy(&b->work);
	pthread_cond_destroy(&b->idle);
	pthread_mutex_destroy(&b->bounce_lock);
	free(b->jobs);
	free(b->bounce);
	free(b);
}

static const struct virtio_ops blk_ops = {
        .kind = "virtio-blk",
        .id = VIRTIO_ID_BLOCK,
        .class_code = 0x018000, /* mass storage, other */
        .nqueues = 1,
        .queue_max = VQ_MAX_SIZE,
        .features = (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
                    (1ull << VIRTIO_BLK_F_FLUSH),
        .config_len = sizeof(struct virtio_blk_config),
        .config_read = blk_config_read,
        .queue = blk_queue,
        .reset = blk_reset,
        .start = blk_start,
        .stop = blk_stop,
        .report = blk_report,
        .release = blk_release,
};

int vmm_virtio_blk_add(struct vmm *v, const char *name, const char *path, bool direct,
                       struct vmb_error *err)
{
	struct blk *b = calloc(1, sizeof(*b));
	struct stat st;

	if (!b)
		return vmb_error_set(err, VMB_ERR_FAIL, "%s: out of memory", name);
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->idle, NULL);
	pthread_mutex_init(&b->bounce_lock, NULL);
	b->direct = direct;
	b->fd = open(path, O_RDWR | O_CLOEXEC | (direct ? O_DIRECT : 0));
	if (b->fd < 0 || fstat(b->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = b->fd < 0 ? errno : EINVAL;
		blk_release(b);
		return vmb_error_sys(err, e, "disk %s%s", path,
		                     e == EINVAL && direct ? " (O_DIRECT)" : "");
	}
	b->size = (uint64_t)st.st_size / BLK_BLOCK * BLK_BLOCK;
	snprintf(b->id, sizeof(b->id), "vmbench-%s", name);
	return vmm_virtio_pci_add(v, name, &blk_ops, b, err);
}
