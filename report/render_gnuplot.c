/* render_gnuplot.c: draws the report's charts by running gnuplot as a program on each
 * chart's script, once per terminal (SVG, PNG, PDF where gnuplot has it). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "vmbench/report.h"
#include "vmbench/spawn.h"
#include "vmbench/util.h"

/* The terminals every chart is drawn with: the first that gnuplot has of
 * each line. Sizes are the same so that the SVG and PNG look alike. */
static const struct {
	const char *ext, *names[2], *setup[2];
	bool required;
} terms[] = {
        {"svg",
         {"svg", NULL},
         {"svg size 1000,560 fixed font 'Sans,12' background '#ffffff'"},
         true},
        {"png",
         {"pngcairo", "png"},
         {"pngcairo size 1000,560 font 'Sans,11' background '#ffffff'",
          "png size 1000,560 background '#ffffff'"},
         true},
        {"pdf", {"pdfcairo", NULL}, {"pdfcairo size 10in,5.6in font 'Sans,10'"}, false},
};

struct gp {
	char *path;     /* gnuplot's path */
	int pick[3];    /* per terms[] line: which of its terminals, -1 none */
	char dir[4096]; /* the charts directory */
};

/* Runs gnuplot with -e EXPR and, if script, the script; 0 or -1 with the
 * first line of what it said in err. */
static int gnuplot(const struct gp *g, const char *expr, const char *script, char **said,
                   struct vmb_error *err)
{
	char *argv[] = {g->path, "-e", (char *)expr, (char *)script, NULL};
	struct vmb_spawn sp = {.argv = argv, .log_fd = -1};
	FILE *log = tmpfile();
	pid_t pid;
	int st;

	if (!log)
		return vmb_error_sys(err, errno, "a temporary file for gnuplot");
	sp.log_fd = fileno(log);
	if (vmb_spawn(&sp, &pid, err) < 0) {
		fclose(log);
		return -1;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	rewind(log);
	size_t cap = 0;
	char *text = NULL;
	if (getdelim(&text, &cap, '\0', log) < 0) {
		free(text);
		text = strdup("");
	}
	fclose(log);
	bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	/* gnuplot warns on stderr yet draws: only its exit status says failed */
	if (!ok) {
		char *nl = text ? strchr(text, '\n') : NULL;
		if (nl && nl[1] && strstr(text, "line"))
			nl = strchr(nl + 1, '\n'); /* keep gnuplot's "line N:" with its message */
		if (nl)
			*nl = '\0';
		size_t n = text ? strlen(text) : 0;
		while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
			text[--n] = '\0';
		vmb_error_set(err, VMB_ERR_FAIL, "gnuplot failed: %s", text ? text : "");
	}
	if (said)
		*said = text;
	else
		free(text);
	return ok ? 0 : -1;
}

static int pick_terminals(struct gp *g, struct vmb_error *err)
{
	char *said = NULL;

	if (gnuplot(g, "set terminal", NULL, &said, err) < 0) {
		free(said);
		return -1;
	}
	for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
		g->pick[i] = -1;
		for (int k = 1; k >= 0; k--) {
			char word[64];
			if (!terms[i].names[k])
				continue;
			/* gnuplot lists terminals right-aligned: match " name  " */
			snprintf(word, sizeof(word), " %s  ", terms[i].names[k]);
			if (said && strstr(said, word))
				g->pick[i] = k;
		}
		if (terms[i].required && g->pick[i] < 0) {
			free(said);
			return vmb_error_set(err, VMB_ERR_FAIL, "gnuplot has no %s terminal",
			                     terms[i].ext);
		}
	}
	free(said);
	return 0;
}

/* Every chart in every terminal picked; the first failure stops it. */
static int draw(struct vmb_report *rep, const struct gp *g, struct vmb_error *err)
{
	for (size_t c = 0; c < rep->ncharts; c++) {
		for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
			char expr[8800], script[4200];
			if (g->pick[i] < 0)
				continue;
			snprintf(expr, sizeof(expr), "cd '%s'; set terminal %s; set output '%s.%s'",
			         g->dir, terms[i].setup[g->pick[i]], rep->charts[c].name,
			         terms[i].ext);
			snprintf(script, sizeof(script), "%s/%s.gp", g->dir, rep->charts[c].name);
			if (gnuplot(g, expr, script, NULL, err) < 0)
				return vmb_error_prefix(err, "%s", script);
		}
		rep->charts[c].drawn = true;
	}
	rep->pdf = g->pick[2] >= 0;
	return 0;
}

int vmb_rep_gnuplot(struct vmb_report *rep, const char *charts_dir, struct vmb_error *why)
{
	struct gp g = {.path = vmb_which("gnuplot")};
	int rc = -1;

	/* gnuplot changes into the directory, then reads the script by path:
	 * both must hold from anywhere */
	if (!realpath(charts_dir, g.dir))
		snprintf(g.dir, sizeof(g.dir), "%s", charts_dir);
	if (!g.path)
		vmb_error_set(why, VMB_ERR_FAIL, "no gnuplot on $PATH");
	else if (pick_terminals(&g, why) == 0)
		rc = draw(rep, &g, why);
	free(g.path);
	return rc;
}
