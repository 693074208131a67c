/* util.h: small helpers every layer uses: clocks, parsing, files, the seeded generator. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "vmbench/error.h"

#define VMB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Cleanup helpers: a variable declared with these is released on scope exit. */
static inline void vmb_freep(void *p)
{
	free(*(void **)p);
}
#define vmb_autofree __attribute__((cleanup(vmb_freep)))

/* Nanoseconds on CLOCK_MONOTONIC: the one clock every phase is stamped on. */
uint64_t vmb_now_ns(void);

/* Nanoseconds on CLOCK_REALTIME, for start and end times in the results. */
uint64_t vmb_wall_ns(void);

/* Writes an ISO-8601 UTC time ("2026-11-27T16:51:55.123Z") of a CLOCK_REALTIME
 * value into buf (at least 32 bytes). */
void vmb_iso8601(uint64_t wall_ns, char *buf, size_t len);

/* Parses a whole decimal unsigned integer in [min, max]; returns 0 or -1 with
 * a usage error naming `what`. */
int vmb_parse_u64(const char *s, uint64_t min, uint64_t max, const char *what, uint64_t *out,
                  struct vmb_error *err);

/* Parses a whole finite positive decimal number; returns 0 or -1 (usage error). */
int vmb_parse_double(const char *s, double min, double max, const char *what, double *out,
                     struct vmb_error *err);

/* The machine's memory in bytes (MemTotal), or 0 when unknown. */
uint64_t vmb_host_memory_bytes(void);

/* Parses a size such as 512M, 2G, 65536 or 64K (binary units) into bytes
 * within [min, max]; 0 or -1 with a usage error naming `what`. */
int vmb_parse_size(const char *s, uint64_t min, uint64_t max, const char *what, uint64_t *out,
                   struct vmb_error *err);

/* Parses a percentage, "5%" or "5" alike (the sign is optional, the number
 * is always percent), in [min, max]; 0 or -1 with a usage error naming
 * `what`. */
int vmb_parse_percent(const char *s, double min, double max, const char *what, double *out,
                      struct vmb_error *err);

/* Waits for child pid, through EINTR; its wait status, or -1 with errno set. */
int vmb_reap(pid_t pid);

/* Writes all of buf to fd, retrying on EINTR and short writes; 0 or -1 (errno). */
int vmb_write_all(int fd, const void *buf, size_t len);

/* mkdir -p of every component of path except the last; 0 or -1 with err set. */
int vmb_mkdir_parents(const char *path, struct vmb_error *err);

/* Removes path and everything below it (no symlinks followed); 0 or -1 with
 * err set. A missing path is not an error. */
int vmb_rm_tree(const char *path, struct vmb_error *err);

/* Directory holding the running executable (from /proc/self/exe), or NULL. */
char *vmb_self_dir(void);

/* Finds `name` in $PATH; returns a malloc'd path or NULL. */
char *vmb_which(const char *name);

/* Finds one of vmbench's own programs: $env_name if set (it must be
 * executable), else beside this executable, else ../<build_dir>/ from it (a
 * meson build tree: build_dir is the program's folder in the source tree),
 * else ../libexec/vmbench/ (an installed tree). Writes the real path to out;
 * 0, or -1 with err saying where it looked and which variable to set. */
int vmb_find_program(const char *name, const char *env_name, const char *build_dir, char *out,
                     size_t len, struct vmb_error *err);

/* Frees a NULL-terminated array of malloc'd strings and the array; v may be NULL. */
void vmb_strv_free(char **v);

/* The bit pattern of a double, for checksums that must match bit for bit. */
static inline uint64_t vmb_double_bits(double d)
{
	union {
		double d;
		uint64_t u;
	} bits = {.d = d};
	return bits.u;
}

/* splitmix64: the 64-bit generator used wherever a seed makes a run repeatable. */
struct vmb_rng {
	uint64_t s;
};
void vmb_rng_seed(struct vmb_rng *r, uint64_t seed);
uint64_t vmb_rng_next(struct vmb_rng *r);
/* Uniform integer in [0, bound), bound > 0. */
uint64_t vmb_rng_below(struct vmb_rng *r, uint64_t bound);
