/* error.c: building and decorating vmb_error values. */
#include <stdio.h>
#include <string.h>

#include "vmbench/error.h"

int vmb_error_set(struct vmb_error *err, enum vmb_error_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->kind = kind;
	err->sys_errno = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int vmb_error_sys(struct vmb_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (!err)
		return -1;
	err->kind = VMB_ERR_FAIL;
	err->sys_errno = errnum;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(errnum));
	return -1;
}

int vmb_error_prefix(struct vmb_error *err, const char *fmt, ...)
{
	char head[256], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	size_t hl = strlen(head);
	if (hl + 2 >= sizeof(err->msg))
		hl = sizeof(err->msg) - 3;
	memcpy(err->msg, head, hl);
	memcpy(err->msg + hl, ": ", 2);
	size_t room = sizeof(err->msg) - hl - 3;
	size_t ol = strnlen(old, room);
	memcpy(err->msg + hl + 2, old, ol);
	err->msg[hl + 2 + ol] = '\0';
	if (err->kind == VMB_ERR_NONE)
		err->kind = VMB_ERR_FAIL;
	return -1;
}

void vmb_error_clear(struct vmb_error *err)
{
	if (err) {
		err->kind = VMB_ERR_NONE;
		err->sys_errno = 0;
		err->msg[0] = '\0';
	}
}
