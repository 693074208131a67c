/* test_report_e2e.c: renders a real run's report with the built vmbench and checks the
 * files (SVG as XML, PNG, the CSV read back, the HTML in headless Chromium) and bad input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/density_fixture.h"
#include "helpers.h"
#include "vmbench/report.h"
#include "vmbench/util.h"

#ifndef TEST_OUT
#define TEST_OUT "/tmp"
#endif

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f, "%s missing", path);
	/* fread, not getdelim: a PNG holds NUL bytes */
	size_t cap = 4096, n = 0, got;
	char *buf = malloc(cap);
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* A small real run (the container's cases skipped where it cannot run),
 * and its directory; the results tree in *root. */
static char *real_run(json_t **root, char **tmp)
{
	char *args[] = {"--suite", "startup,cpu", "--runner", "native,container",
	                "--reps",  "3",           "--warmup", "0",
	                "--scale", "0.05",        NULL};
	char *log;
	int rc = th_run_vmbench(args, root, tmp, &log);
	cr_assert_eq(rc, 0, "vmbench run: %d\n%s", rc, log);
	cr_assert_not_null(*root);
	free(log);
	char *dir;
	cr_assert_geq(asprintf(&dir, "%s/run", *tmp), 0);
	return dir;
}

/* vmbench report ARGS...; returns the exit status, output in *log. */
static int report(char **args, char **log)
{
	char *argv[16] = {(char *)th_vmbench(), "report"};
	int n = 2;
	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return th_run(argv, log);
}

static bool runner_ok(json_t *root, const char *runner)
{
	json_t *c;
	size_t i;
	json_array_foreach(json_object_get(root, "cases"), i,
	                   c) if (strcmp(json_string_value(json_object_get(c, "runner")), runner) ==
	                                  0 &&
	                          strcmp(json_string_value(json_object_get(c, "status")), "ok") ==
	                                  0) return true;
	return false;
}

static void check_png(const char *path)
{
	size_t len;
	unsigned char *b = (unsigned char *)slurp(path, &len);
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	cr_assert_gt(len, 24);
	cr_assert_eq(memcmp(b, sig, 8), 0, "%s: not a PNG", path);
	cr_assert_eq(memcmp(b + 12, "IHDR", 4), 0);
	unsigned w = (unsigned)b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19];
	unsigned h = (unsigned)b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23];
	cr_assert_eq(w, 1000, "%s: width %u", path, w);
	cr_assert_eq(h, 560, "%s: height %u", path, h);
	free(b);
}

/* The chart's series are named in its SVG (gnuplot writes each plot's title
 * as text): native, unless the chart is of overheads against it. */
static void check_svg(const char *path, json_t *root, bool baseline_shown)
{
	char cmd[4200], *text = slurp(path, NULL);
	char *xmllint = vmb_which("xmllint");
	if (xmllint) {
		snprintf(cmd, sizeof(cmd), "xmllint --noout '%s'", path);
		cr_assert_eq(system(cmd), 0, "%s does not parse as XML", path);
		free(xmllint);
	} else {
		cr_assert(strstr(text, "<svg") && strstr(text, "</svg>"), "%s: no <svg>", path);
	}
	if (baseline_shown)
		cr_assert_not_null(strstr(text, "<title>native</title>"), "%s: no native series",
		                   path);
	if (runner_ok(root, "container"))
		cr_assert_not_null(strstr(text, "<title>container</title>"),
		                   "%s: no container series", path);
	free(text);
}

/* One CSV record (RFC 4180) from *p into fields; returns how many. */
static size_t csv_record(char **p, char **fields, size_t cap)
{
	size_t n = 0;
	char *s = *p, *o;
	while (*s && n < cap) {
		fields[n++] = o = s;
		if (*s == '"') {
			for (s++; *s; s++) {
				if (*s == '"' && s[1] == '"')
					*o++ = *s++;
				else if (*s == '"') {
					s++;
					break;
				} else
					*o++ = *s;
			}
		} else {
			while (*s && *s != ',' && *s != '\r' && *s != '\n')
				*o++ = *s++;
		}
		char end = *s;
		*o = '\0';
		if (end == ',') {
			s++;
			continue;
		}
		s += end == '\r';
		s += *s == '\n';
		break;
	}
	*p = s;
	return n;
}

/* The case of root labelled label (vmb_case_label) on runner, or NULL. */
static json_t *labelled(json_t *root, const char *label, const char *runner)
{
	json_t *c;
	size_t i;
	char buf[256];

	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "runner")), runner) == 0 &&
		    strcmp(vmb_case_label(c, buf, sizeof(buf)), label) == 0)
			return c;
	}
	return NULL;
}

#define CSV_COLS 21

/* Every row of report.csv is a case's aggregate, read back bit for bit; the
 * case column tells apart the cases of one workload on one runner. */
static void check_csv(const char *path, json_t *root)
{
	char *text = slurp(path, NULL), *p = text, *f[CSV_COLS + 4];
	size_t rows = 0, want = 0, i;
	json_t *c;

	cr_assert_eq(csv_record(&p, f, CSV_COLS + 4), CSV_COLS);
	cr_assert_str_eq(f[8], "median");
	cr_assert_str_eq(f[14], "case");
	cr_assert_str_eq(f[15], "instances");
	cr_assert_str_eq(f[18], "x_alone");
	while (*p) {
		cr_assert_eq(csv_record(&p, f, CSV_COLS + 4), CSV_COLS, "row %zu", rows);
		json_t *cs = labelled(root, f[14], f[3]);
		cr_assert_not_null(cs, "no case %s on %s", f[14], f[3]);
		cr_assert_str_eq(json_string_value(json_object_get(cs, "workload")), f[2]);
		json_t *a = json_object_get(json_object_get(cs, "aggregates"), f[5]);
		cr_assert_not_null(a, "%s/%s has no %s", f[2], f[3], f[5]);
		cr_assert_eq(strtod(f[8], NULL), json_number_value(json_object_get(a, "median")),
		             "%s %s %s median %s", f[2], f[3], f[5], f[8]);
		cr_assert_eq(strtoll(f[7], NULL, 10), json_integer_value(json_object_get(a, "n")));
		rows++;
	}
	json_array_foreach(json_object_get(root, "cases"), i, c) want +=
	        json_object_size(json_object_get(c, "aggregates"));
	cr_assert_eq(rows, want, "%zu rows for %zu aggregates", rows, want);
	free(text);
}

Test(report, renders_a_real_run)
{
	json_t *root;
	char *tmp, *run = real_run(&root, &tmp), *out, *log, path[4200];
	cr_assert_geq(asprintf(&out, "%s/report", tmp), 0);
	char *args[] = {run, "--format", "all", "--out", out, NULL};

	int rc = report(args, &log);
	cr_assert_eq(rc, 0, "vmbench report: %d\n%s", rc, log);
	const char *files[] = {"index.html", "report.md", "report.csv", "report.tex",
	                       "report.json"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", out, files[i]);
		cr_assert(exists(path), "%s missing", path);
	}
	const char *charts[] = {"bars-cpu", "overhead-cpu", "dist-cpu", "bars-startup", "phases"};
	bool gnuplot = vmb_which("gnuplot") != NULL;
	for (size_t i = 0; i < sizeof(charts) / sizeof(charts[0]); i++) {
		snprintf(path, sizeof(path), "%s/charts/%s.gp", out, charts[i]);
		cr_assert(exists(path), "%s missing", path);
		snprintf(path, sizeof(path), "%s/charts/%s.dat", out, charts[i]);
		cr_assert(exists(path), "%s missing", path);
		if (!gnuplot)
			continue;
		snprintf(path, sizeof(path), "%s/charts/%s.png", out, charts[i]);
		check_png(path);
		if (strcmp(charts[i], "phases") != 0) { /* phases are the series there */
			snprintf(path, sizeof(path), "%s/charts/%s.svg", out, charts[i]);
			check_svg(path, root, strncmp(charts[i], "overhead", 8) != 0);
		}
	}
	snprintf(path, sizeof(path), "%s/report.csv", out);
	check_csv(path, root);
	snprintf(path, sizeof(path), "%s/report.md", out);
	char *md = slurp(path, NULL);
	cr_assert_not_null(strstr(md, "## Suite cpu"));
	cr_assert_not_null(strstr(md, "## Start-up phases"));
	cr_assert_null(strstr(md, "native x native"), "the baseline against itself");
	cr_assert_not_null(strstr(md, "## Host and run"));
	if (!runner_ok(root, "container"))
		cr_assert_not_null(strstr(md, "on container"),
		                   "the skipped container cases listed");
	free(md);
	/* the HTML is offline: every image it shows is a file in the folder */
	snprintf(path, sizeof(path), "%s/index.html", out);
	char *html = slurp(path, NULL);
	cr_assert_null(strstr(html, "http://"));
	cr_assert_null(strstr(html, "https://"));
	for (char *p = html; (p = strstr(p, "<img src=\"")); p++) {
		char img[4200];
		p += 10;
		snprintf(img, sizeof(img), "%s/%.*s", out, (int)strcspn(p, "\""), p);
		cr_assert(exists(img), "%s missing", img);
	}
	free(html);
	free(log);
	/* never overwrite an existing report */
	rc = report(args, &log);
	cr_assert_eq(rc, 2, "%s", log);
	cr_assert_not_null(strstr(log, out));
	free(log);
	json_decref(root);
	struct vmb_error e = {0};
	vmb_rm_tree(tmp, &e);
}

/* Two runs side by side, the second measured in an emulator's guest (its
 * tree marked so): each run's series named, and the banner shown. */
Test(report, two_runs_side_by_side_emulated_and_default_out)
{
	json_t *root;
	char *tmp, *run = real_run(&root, &tmp), *log, path[4200], emu[4200];

	snprintf(emu, sizeof(emu), "%s/emulated", tmp);
	cr_assert_eq(mkdir(emu, 0755), 0);
	json_t *copy = json_deep_copy(root);
	json_t *host = json_object_get(copy, "host");
	if (!json_is_object(json_object_get(host, "virtualization")))
		json_object_set_new(host, "virtualization", json_object());
	json_object_set_new(json_object_get(host, "virtualization"), "emulated", json_true());
	snprintf(path, sizeof(path), "%s/results.json", emu);
	cr_assert_eq(json_dump_file(copy, path, 0), 0);
	json_decref(copy);

	char *args[] = {run, path, "--format", "md,html", NULL};
	int rc = report(args, &log);
	cr_assert_eq(rc, 0, "%s", log);
	/* the default: report-RUNID beside the first run's directory */
	snprintf(path, sizeof(path), "%s/report-%s/report.md", tmp,
	         json_string_value(json_object_get(root, "run_id")));
	char *md = slurp(path, NULL);
	cr_assert_not_null(strstr(md, "| run1 native |"), "%s", md);
	cr_assert_not_null(strstr(md, "| run2 native |"), "%s", md);
	cr_assert_not_null(strstr(md, "EMULATED"), "no banner");
	free(md);
	snprintf(path, sizeof(path), "%s/report-%s/index.html", tmp,
	         json_string_value(json_object_get(root, "run_id")));
	char *html = slurp(path, NULL);
	cr_assert_not_null(strstr(html, "id=\"emulated\""), "no banner");
	free(html);
	free(log);
	json_decref(root);
	struct vmb_error e = {0};
	vmb_rm_tree(tmp, &e);
}

Test(report, tables_without_gnuplot)
{
	json_t *root;
	char *tmp, *run = real_run(&root, &tmp), *out, *log, path[4200];
	cr_assert_geq(asprintf(&out, "%s/report", tmp), 0);
	char *args[] = {run, "--out", out, NULL};

	setenv("PATH", "/nonexistent", 1); /* no gnuplot to be found */
	int rc = report(args, &log);
	cr_assert_eq(rc, 0, "%s", log);
	cr_assert_not_null(strstr(log, "gnuplot"), "says how to get charts: %s", log);
	snprintf(path, sizeof(path), "%s/index.html", out);
	char *html = slurp(path, NULL);
	cr_assert_not_null(strstr(html, "apt-get install gnuplot"));
	cr_assert_null(strstr(html, "<img"));
	cr_assert_not_null(strstr(html, "<td>cpu-int</td>"));
	free(html);
	snprintf(path, sizeof(path), "%s/charts/bars-cpu.gp", out);
	cr_assert(exists(path), "the scripts are kept for later");
	snprintf(path, sizeof(path), "%s/charts/bars-cpu.svg", out);
	cr_assert(!exists(path));
	free(log);

	/* a gnuplot that fails: the tables still come out, the report says why */
	char bin[4200], *out2;
	snprintf(bin, sizeof(bin), "%s/bin", tmp);
	cr_assert_eq(mkdir(bin, 0755), 0);
	snprintf(path, sizeof(path), "%s/gnuplot", bin);
	const char fake[] = "#!/bin/sh\necho 'line 1: broken terminal' >&2\nexit 1\n";
	FILE *f = fopen(path, "we");
	cr_assert_not_null(f);
	fputs(fake, f);
	fclose(f);
	cr_assert_eq(chmod(path, 0755), 0);
	setenv("PATH", bin, 1);
	cr_assert_geq(asprintf(&out2, "%s/report2", tmp), 0);
	char *args2[] = {run, "--out", out2, NULL};
	rc = report(args2, &log);
	cr_assert_eq(rc, 0, "%s", log);
	cr_assert_not_null(strstr(log, "broken terminal"), "gnuplot's own words: %s", log);
	snprintf(path, sizeof(path), "%s/report.md", out2);
	cr_assert(exists(path));
	free(log);
	json_decref(root);
	struct vmb_error e = {0};
	vmb_rm_tree(tmp, &e);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "we");
	cr_assert_not_null(f);
	fwrite(text, 1, len, f);
	fclose(f);
}

/* One line naming the file, exit 2, and nothing written. */
static void refused(const char *input, const char *out, const char *why)
{
	char *args[] = {(char *)input, "--out", (char *)out, NULL}, *log;
	int rc = report(args, &log);
	cr_assert_eq(rc, 2, "%s: exit %d\n%s", why, rc, log);
	cr_assert_not_null(strstr(log, input), "%s: the message names the file: %s", why, log);
	cr_assert_eq(strchr(log, '\n'), log + strlen(log) - 1, "%s: one line: %s", why, log);
	cr_assert(!exists(out), "%s: %s was written", why, out);
	free(log);
}

Test(report, bad_input)
{
	json_t *root;
	char *tmp, *run = real_run(&root, &tmp), out[4200], path[4200];
	size_t len;

	snprintf(out, sizeof(out), "%s/report", tmp);
	snprintf(path, sizeof(path), "%s/results.json", run);
	char *text = slurp(path, &len);
	snprintf(path, sizeof(path), "%s/truncated.json", tmp);
	write_file(path, text, len / 2);
	refused(path, out, "truncated");

	json_object_set_new(root, "schema_version", json_integer(99));
	snprintf(path, sizeof(path), "%s/v99.json", tmp);
	cr_assert_eq(json_dump_file(root, path, 0), 0);
	refused(path, out, "another schema version");

	snprintf(path, sizeof(path), "%s/package.json", tmp);
	write_file(path, "{\"name\": \"x\", \"version\": \"1.0.0\"}\n", 34);
	refused(path, out, "another tool's JSON");

	snprintf(path, sizeof(path), "%s/empty", tmp);
	cr_assert_eq(mkdir(path, 0755), 0);
	refused(path, out, "a directory without results.json");

	snprintf(path, sizeof(path), "%s/nothing-here.json", tmp);
	refused(path, out, "a missing file");
	free(text);
	json_decref(root);
	struct vmb_error e = {0};
	vmb_rm_tree(tmp, &e);
}

static char *chromium(void)
{
	const char *names[] = {"chromium", "chromium-browser", "google-chrome"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = vmb_which(names[i]);
		if (p)
			return p;
	}
	return NULL;
}

/* The HTML report as a reader's browser shows it: every image loaded (the
 * page's own script counts them into <body>), every table has rows. */
Test(report, html_in_headless_chromium, .timeout = 240)
{
	char *browser = chromium();
	if (!browser)
		cr_skip_test("chromium is not installed (tools/setup test installs Debian's)");
	if (!vmb_which("gnuplot"))
		cr_skip_test("no gnuplot: the report has no images to load");
	json_t *root;
	char *tmp, *run = real_run(&root, &tmp), *out, *log, url[4300], shot[4300];
	cr_assert_geq(asprintf(&out, "%s/report", tmp), 0);
	char *args[] = {run, "--out", out, NULL};
	cr_assert_eq(report(args, &log), 0, "%s", log);
	free(log);

	mkdir(TEST_OUT, 0755);
	snprintf(url, sizeof(url), "file://%s/index.html", out);
	snprintf(shot, sizeof(shot), "--screenshot=%s/report-screenshot.png", TEST_OUT);
	char *common[] = {"--headless",
	                  "--no-sandbox",
	                  "--disable-gpu",
	                  "--disable-dev-shm-usage",
	                  "--virtual-time-budget=10000",
	                  "--window-size=1200,2400"};
	char *dump[12] = {browser}, *snap[12] = {browser};
	for (size_t i = 0; i < 6; i++)
		dump[i + 1] = snap[i + 1] = common[i];
	dump[7] = "--dump-dom", dump[8] = url;
	snap[7] = shot, snap[8] = url;
	char *dom;
	int rc = th_run(dump, &dom);
	cr_assert_eq(rc, 0, "chromium --dump-dom: %d\n%s", rc, dom);
	char *tot = strstr(dom, "data-images-total=\""), *ok = strstr(dom, "data-images-loaded=\"");
	cr_assert(tot && ok, "the page's script did not run:\n%.2000s", dom);
	int total = atoi(tot + 19), loaded = atoi(ok + 20);
	cr_assert_gt(total, 0);
	cr_assert_eq(loaded, total, "%d of %d images loaded", loaded, total);
	/* every table has a row in its body */
	for (char *p = dom; (p = strstr(p, "<tbody>")); p++)
		cr_assert_eq(strncmp(p + 7, "<tr>", 4) == 0 || strncmp(p + 8, "<tr>", 4) == 0, 1,
		             "a table without rows: %.200s", p);
	free(dom);
	rc = th_run(snap, &log);
	cr_assert_eq(rc, 0, "chromium --screenshot: %s", log);
	snprintf(shot, sizeof(shot), "%s/report-screenshot.png", TEST_OUT);
	cr_assert(exists(shot), "no screenshot at %s", shot);
	free(log);
	json_decref(root);
	struct vmb_error e = {0};
	vmb_rm_tree(tmp, &e);
}

/* A density sweep and a noisy-neighbour victim (data/density_fixture.h) through the
 * built vmbench: the tables in every format, the two charts drawn, the CSV read back. */
Test(report, density_sweep_and_neighbours)
{
	char tmp[] = "/tmp/vmbench-density-e2e-XXXXXX", in[4200], out[4200], path[4300], *log;
	json_t *root = density_fixture();

	cr_assert_not_null(mkdtemp(tmp));
	snprintf(in, sizeof(in), "%s/fixture.json", tmp);
	snprintf(out, sizeof(out), "%s/report", tmp);
	cr_assert_eq(json_dump_file(root, in, JSON_REAL_PRECISION(17)), 0);
	char *args[] = {in, "--format", "all", "--out", out, NULL};
	int rc = report(args, &log);
	cr_assert_eq(rc, 0, "vmbench report: %d\n%s", rc, log);
	free(log);

	snprintf(path, sizeof(path), "%s/report.md", out);
	char *md = slurp(path, NULL);
	cr_assert(strstr(md, "## Density\n"), "no Density table");
	cr_assert(strstr(md, "| container | hold x8 (knee) | 250 ["), "%s", md);
	cr_assert(strstr(md, "| container | hold | 1, 4, 8 | start_doubled | 8 |"), "%s", md);
	cr_assert(strstr(md, "## Noisy neighbours"), "no Noisy neighbours table");
	cr_assert(strstr(md, "| 500 [495, 505] | 2.000 ["), "%s", md);
	cr_assert(strstr(md, "| hold x4 | density_ready_p50 (ms) | 120 ["), "%s", md);
	/* the charts right under the Density table */
	char *dens = strstr(md, "## Density\n"), *next = strstr(dens + 1, "\n## ");
	char *chart = strstr(md, "charts/density-ready.");
	cr_assert(chart && chart > dens && chart < next, "density-ready not under the table");
	free(md);
	const char *files[] = {"index.html", "report.tex", "report.json"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", out, files[i]);
		char *text = slurp(path, NULL);
		cr_assert(strstr(text, "Noisy neighbours"), "%s: no Noisy neighbours", files[i]);
		cr_assert(strstr(text, "start_doubled") || strstr(text, "start\\_doubled"),
		          "%s: no sweep", files[i]);
		free(text);
	}
	snprintf(path, sizeof(path), "%s/report.csv", out);
	check_csv(path, root);
	const char *charts[] = {"density-ready", "density-memory"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/charts/%s.dat", out, charts[i]);
		cr_assert(exists(path), "%s missing", path);
		if (!vmb_which("gnuplot"))
			continue;
		snprintf(path, sizeof(path), "%s/charts/%s.png", out, charts[i]);
		check_png(path);
		snprintf(path, sizeof(path), "%s/charts/%s.svg", out, charts[i]);
		char *svg = slurp(path, NULL);
		cr_assert(strstr(svg, i ? "container cgroup charge" : "container p50"), "%s", path);
		cr_assert(strstr(svg, i ? "vm guest resident" : "vm all ready"), "%s", path);
		cr_assert(!i == !!strstr(svg, "knee: container, N=8"), "%s: the knee", path);
		free(svg);
	}
	json_decref(root);
	struct vmb_error e = {0};
	vmb_rm_tree(tmp, &e);
}
