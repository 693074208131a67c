/* inspect.c: what the agent can see from where it runs: processes, hostname, mounts,
 * network interfaces, identity and capabilities, and whether a write to its root
 * file system works. The isolation suite records it; tests check it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmbench/util.h"
#include "vmbench/workload.h"

static json_t *count_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return json_null();
	while ((e = readdir(d)))
		n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
	closedir(d);
	return json_integer(n);
}

/* One word per line of a file (field `col`, 0-based), skipping `skip` lines. */
static json_t *column(const char *path, int skip, int col, char strip)
{
	FILE *f = fopen(path, "r");
	json_t *arr = json_array();
	char line[1024];

	if (!f) {
		json_decref(arr);
		return json_null();
	}
	for (int i = 0; fgets(line, sizeof(line), f); i++) {
		if (i < skip)
			continue;
		char *save = NULL, *tok = strtok_r(line, " \t\n", &save);
		for (int c = 0; tok && c < col; c++)
			tok = strtok_r(NULL, " \t\n", &save);
		if (!tok)
			continue;
		size_t len = strlen(tok);
		if (strip && len && tok[len - 1] == strip)
			tok[len - 1] = '\0';
		json_array_append_new(arr, json_string(tok));
	}
	fclose(f);
	return arr;
}

static json_t *status_field(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)) == 0) {
			fclose(f);
			char *v = line + strlen(key);
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			return json_string(v);
		}
	}
	if (f)
		fclose(f);
	return json_null();
}

static json_t *root_write(uint64_t seed)
{
	char path[64];

	snprintf(path, sizeof(path), "/.vmbench-probe-%llu", (unsigned long long)seed);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return json_pack("{s:s, s:b, s:s}", "path", path, "ok", 0, "error",
		                 strerror(errno));
	close(fd);
	/* left in place: the runner's teardown must make it vanish with the instance */
	return json_pack("{s:s, s:b}", "path", path, "ok", 1);
}

enum { P_WRITE_ROOT };

static int inspect_run(struct vmb_workload_ctx *ctx, struct vmb_error *err)
{
	char host[256] = "";

	ctx->ops_unit = "inspection";
	gethostname(host, sizeof(host) - 1);
	ctx->observations = json_pack(
	        "{s:o, s:i, s:s, s:o, s:o, s:i, s:o, s:o, s:o}", "processes", count_processes(),
	        "pid", (int)getpid(), "hostname", host, "mounts",
	        column("/proc/self/mounts", 0, 1, 0), "net_interfaces",
	        column("/proc/net/dev", 2, 0, ':'), "uid", (int)getuid(), "cap_eff",
	        status_field("CapEff:"), "cgroup", column("/proc/self/cgroup", 0, 0, 0),
	        "root_write", ctx->param[P_WRITE_ROOT] ? root_write(ctx->seed) : json_null());
	ctx->ops = 1;
	ctx->checksum = 1;
	return ctx->observations ? 0 : vmb_error_set(err, VMB_ERR_FAIL, "inspect: out of memory");
}

static const struct vmb_param inspect_params[] = {
        [P_WRITE_ROOT] = {"write_root", 0, 0, 1, false,
                          "1: create /.vmbench-probe-SEED in the root file system and leave "
                          "it (never on native: that is the host's root)"},
};

const struct vmb_workload vmb_workload_inspect = {
        .name = "inspect",
        .suite = "isolation",
        .summary = "reports what the agent sees: processes, hostname, mounts, interfaces, "
                   "capabilities, root writes",
        .params = inspect_params,
        .nparams = VMB_ARRAY_SIZE(inspect_params),
        .run = inspect_run,
};
