/* error.h: errors as values, with context added as they travel up (crun style). */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/* What kind of failure an error is: it picks the CLI's exit status. */
enum vmb_error_kind {
	VMB_ERR_NONE = 0,
	VMB_ERR_FAIL,        /* a measurement or the host failed: exit 1 */
	VMB_ERR_USAGE,       /* bad usage or input: exit 2 */
	VMB_ERR_INTERRUPTED, /* SIGINT or SIGTERM arrived: exit 128 + signal */
};

struct vmb_error {
	enum vmb_error_kind kind;
	int sys_errno; /* errno at the origin, 0 if none */
	char msg[1024];
};

/* Sets err (if not NULL) to kind and a formatted message; returns -1 so that
 * callers can write `return vmb_error_set(...)`. */
int vmb_error_set(struct vmb_error *err, enum vmb_error_kind kind, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Like vmb_error_set with VMB_ERR_FAIL, appending ": strerror(errnum)". */
int vmb_error_sys(struct vmb_error *err, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prepends "context: " to the message already in err; returns -1. */
int vmb_error_prefix(struct vmb_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Clears err to "no error". */
void vmb_error_clear(struct vmb_error *err);
