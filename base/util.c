/* util.c: clocks, number parsing, file helpers and the seeded generator. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmbench/util.h"

uint64_t vmb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t vmb_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vmb_iso8601(uint64_t wall_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ns / 1000000000ull);
	struct tm tm;
	char day[32];

	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03uZ", day, (unsigned)(wall_ns % 1000000000ull / 1000000ull));
}

int vmb_parse_u64(const char *s, uint64_t min, uint64_t max, const char *what, uint64_t *out,
                  struct vmb_error *err)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return vmb_error_set(err, VMB_ERR_USAGE, "%s: '%s' is not a whole number", what,
		                     s ? s : "");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return vmb_error_set(err, VMB_ERR_USAGE, "%s: '%s' is not a whole number", what, s);
	if (v < min || v > max)
		return vmb_error_set(err, VMB_ERR_USAGE, "%s: %llu is outside %llu..%llu", what, v,
		                     (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int vmb_parse_double(const char *s, double min, double max, const char *what, double *out,
                     struct vmb_error *err)
{
	char *end;
	double v;

	if (!s || !*s)
		return vmb_error_set(err, VMB_ERR_USAGE, "%s: empty value", what);
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return vmb_error_set(err, VMB_ERR_USAGE, "%s: '%s' is not a number", what, s);
	if (v < min || v > max)
		return vmb_error_set(err, VMB_ERR_USAGE, "%s: %g is outside %g..%g", what, v, min,
		                     max);
	*out = v;
	return 0;
}

int vmb_parse_percent(const char *s, double min, double max, const char *what, double *out,
                      struct vmb_error *err)
{
	char num[64];
	size_t len = s ? strlen(s) : 0;

	if (len == 0 || len >= sizeof(num))
		return vmb_error_set(err, VMB_ERR_USAGE, "%s '%s': not a percentage", what,
		                     s ? s : "");
	memcpy(num, s, len + 1);
	if (num[len - 1] == '%')
		num[len - 1] = '\0';
	return vmb_parse_double(num, min, max, what, out, err);
}

int vmb_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vmb_mkdir_parents(const char *path, struct vmb_error *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return vmb_error_set(err, VMB_ERR_USAGE, "%s: path too long", path);
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		char *rest = strchr(p + 1, '/');
		if (!rest)
			break; /* the last component is the caller's to make */
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return vmb_error_sys(err, errno, "mkdir %s", buf);
		*p = '/';
	}
	/* the parent of the last component */
	char *slash = strrchr(buf, '/');
	if (slash && slash != buf) {
		*slash = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return vmb_error_sys(err, errno, "mkdir %s", buf);
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int vmb_rm_tree(const char *path, struct vmb_error *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : vmb_error_sys(err, errno, "stat %s", path);
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return vmb_error_sys(err, errno, "remove %s", path);
	return 0;
}

char *vmb_self_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return strdup(buf);
}

char *vmb_which(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	while (*path) {
		size_t len = strcspn(path, ":");
		if (len > 0 && len + strlen(name) + 2 < sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, name);
			if (access(buf, X_OK) == 0)
				return strdup(buf);
		}
		path += len;
		if (*path == ':')
			path++;
	}
	return NULL;
}

int vmb_find_program(const char *name, const char *env_name, const char *build_dir, char *out,
                     size_t len, struct vmb_error *err)
{
	const char *env = getenv(env_name);
	vmb_autofree char *self = vmb_self_dir();
	char rel[3][PATH_MAX / 2];

	if (env && *env) {
		if (access(env, X_OK) < 0)
			return vmb_error_sys(err, errno, "%s=%s", env_name, env);
		snprintf(out, len, "%s", env);
		return 0;
	}
	snprintf(rel[0], sizeof(rel[0]), "%s", name);
	snprintf(rel[1], sizeof(rel[1]), "../%s/%s", build_dir, name);
	snprintf(rel[2], sizeof(rel[2]), "../libexec/vmbench/%s", name);
	for (size_t i = 0; self && i < VMB_ARRAY_SIZE(rel); i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", self, rel[i]);
		if (access(path, X_OK) == 0 && realpath(path, out))
			return 0;
	}
	return vmb_error_set(err, VMB_ERR_FAIL, "cannot find %s beside %s; set %s", name,
	                     self ? self : "this program", env_name);
}

void vmb_strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void vmb_rng_seed(struct vmb_rng *r, uint64_t seed)
{
	r->s = seed ^ 0x9e3779b97f4a7c15ULL;
}

uint64_t vmb_rng_next(struct vmb_rng *r)
{
	/* splitmix64: every seed, zero included, gives a full-period stream */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t vmb_rng_below(struct vmb_rng *r, uint64_t bound)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
	uint64_t v;

	do
		v = vmb_rng_next(r);
	while (v >= limit);
	return v % bound;
}

int vmb_parse_size(const char *s, uint64_t min, uint64_t max, const char *what, uint64_t *out,
                   struct vmb_error *err)
{
	char num[32];
	size_t len = strlen(s);
	unsigned shift = 0;

	if (len == 0 || len >= sizeof(num))
		return vmb_error_set(err, VMB_ERR_USAGE, "%s '%s': not a size", what, s);
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		break;
	}
	if (shift)
		num[len - 1] = '\0';
	uint64_t v;
	if (vmb_parse_u64(num, 0, UINT64_MAX >> shift, what, &v, err) < 0)
		return vmb_error_set(err, VMB_ERR_USAGE,
		                     "%s '%s': not a size (a whole number, optionally K, M or G)",
		                     what, s);
	v <<= shift;
	if (v < min || v > max)
		return vmb_error_set(err, VMB_ERR_USAGE, "%s %s: outside %llu..%llu bytes", what, s,
		                     (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

uint64_t vmb_host_memory_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

int vmb_reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}
