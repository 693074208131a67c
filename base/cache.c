/* cache.c: vmbench's cache directory and FNV-1a keys over bytes, contents and identities. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmbench/cache.h"

/* FNV-1a: enough to tell inputs apart for a cache key, not a defence. */
uint64_t vmb_fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

int vmb_hash_file(uint64_t *h, const char *path, struct vmb_error *err)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return vmb_error_sys(err, errno, "open %s", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		*h = vmb_fnv(*h, buf, (size_t)n);
	close(fd);
	return n < 0 ? vmb_error_sys(err, errno, "read %s", path) : 0;
}

int vmb_hash_identity(uint64_t *h, const char *path, struct vmb_error *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return vmb_error_sys(err, errno, "stat %s", path);
	*h = vmb_fnv(*h, path, strlen(path));
	*h = vmb_fnv(*h, &st.st_size, sizeof(st.st_size));
	*h = vmb_fnv(*h, &st.st_mtim, sizeof(st.st_mtim));
	return 0;
}

void vmb_cache_root(char *buf, size_t len)
{
	const char *env = getenv("VMBENCH_CACHE"), *home = getenv("HOME");

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (geteuid() == 0 || !home)
		snprintf(buf, len, "/var/cache/vmbench");
	else
		snprintf(buf, len, "%s/.cache/vmbench", home);
}
