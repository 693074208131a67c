/* os_thread.c: the cost of a thread's life, pthread_create of a thread that does nothing and
 * pthread_join of it, each pair timed on its own. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

enum { P_THREADS };

/* The thread's whole work: hand back something made from its argument, so
 * that the join is seen to deliver it. */
static void *idle_thread(void *arg)
{
	return (void *)((uintptr_t)arg * 2 + 1);
}

static int os_thread_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	uint64_t threads = ctx->param[P_THREADS], sum = 0;
	struct vmb_hist *h = vmb_dist(ctx, "thread_ns", "ns");

	if (!h)
		return vmb_error_set(err, VMB_ERR_FAIL, "thread-create: no distribution");
	ctx->ops_unit = "thread";
	for (uint64_t i = 0; i < threads; i++) {
		pthread_t tid;
		void *ret = NULL;
		uint64_t t0 = vmb_now_ns();
		int rc = pthread_create(&tid, NULL, idle_thread, (void *)(uintptr_t)(i & 0xffff));
		if (rc != 0)
			return vmb_error_set(err, VMB_ERR_FAIL,
			                     "thread-create: pthread_create (thread %llu): %s",
			                     (unsigned long long)i, strerror(rc));
		rc = pthread_join(tid, &ret);
		uint64_t dt = vmb_now_ns() - t0;
		if (rc != 0)
			return vmb_error_set(err, VMB_ERR_FAIL, "thread-create: pthread_join: %s",
			                     strerror(rc));
		vmb_hist_add(h, dt);
		sum += (uintptr_t)ret;
		ctx->ops++;
	}
	ctx->checksum = sum;
	return 0;
}

static const struct vmb_metric os_thread_metrics[] = {
        VMB_DISTRIBUTION("thread_ns", "ns",
                         "pthread_create of a thread that returns at once plus its "
                         "pthread_join"),
        {NULL, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct vmb_param os_thread_params[] = {
        [P_THREADS] = {"threads", 20000, 1, 1ULL << 32, true,
                       "threads created and joined, one after another", .quick = 2000},
};

const struct vmb_workload vmb_workload_os_thread = {
        .name = "thread-create",
        .suite = "os",
        .summary = "pthread_create + pthread_join of a thread that does nothing, each timed",
        .params = os_thread_params,
        .nparams = VMB_ARRAY_SIZE(os_thread_params),
        .headline = "thread_ns_p50",
        .metrics = os_thread_metrics,
        .run = os_thread_run,
};
