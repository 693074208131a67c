/* helpers.h: running the built vmbench from tests and reading what it wrote. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/* Runs argv (argv[0] a path) to completion with stdout and stderr captured
 * into *out (malloc'd, NUL-terminated); returns the exit status, or 128+N
 * when killed by signal N. */
int th_run(char *const argv[], char **out);

/* Starts argv in the background with output to /dev/null; returns its pid. */
pid_t th_spawn(char *const argv[]);

/* Waits for pid; returns its exit status as th_run does. */
int th_wait(pid_t pid);

/* A fresh empty directory under /tmp (malloc'd path). */
char *th_tmpdir(void);

/* Loads DIR/results.json, failing the test if it is not valid JSON. */
json_t *th_load_results(const char *dir);

/* Path of the vmbench binary under test ($VMBENCH). */
const char *th_vmbench(void);

/* Number of processes whose command line contains `needle`, other than this one. */
int th_count_procs(const char *needle);

/* A fingerprint of what vmbench could leave behind: mounts and cgroups whose
 * names contain "vmbench", processes running the agent, vmbench-init,
 * vmbench-vmm or `vmbench run` (a density run's monitors), and run scratch
 * directories in /tmp. Compared before
 * and after a run, it must not change. (malloc'd) */
char *th_leftovers(void);

/* The number at key of o, failing the test if there is none. */
double th_num(json_t *o, const char *key);

/* The case of workload on runner in a results tree, failing if absent. */
json_t *th_case(json_t *root, const char *workload, const char *runner);

/* Runs `vmbench run ARGS... --out NEWDIR/run` (args NULL-terminated); returns
 * its exit status, the results (NULL if none were written), the new
 * directory (remove it) and the output. */
int th_run_vmbench(char **args, json_t **root, char **dir, char **log);

/* A fresh directory for a library, under /var/tmp (the container and the
 * guest mount their own /tmp over the image's); malloc'd. */
char *th_lib_dir(void);

/* Copies host file `from` into dir under the same name; returns the new
 * path (malloc'd). */
char *th_copy_into(const char *from, const char *dir);

/* The path of the agent's library whose path contains `name` (for example
 * "/libjansson.so"), from its ELF closure; malloc'd. */
char *th_agent_lib(const char *name);
