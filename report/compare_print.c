/* compare_print.c: a comparison as a reader sees it: a table, Markdown for a pull
 * request, or the JSON itself. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/compare.h"
#include "vmbench/report.h"
#include "vmbench/util.h"

/* "cpu-int native iterations=6000000", "hold x8 container": a case as a
 * reader names it (the report's label, then the runner and params). */
static void case_label(json_t *row, char *buf, size_t len)
{
	char label[256];
	int n = snprintf(buf, len, "%s %s", vmb_case_label(row, label, sizeof(label)),
	                 json_string_value(json_object_get(row, "runner")));
	const char *k;
	json_t *v;

	json_object_foreach(json_object_get(row, "params"), k, v)
	{
		if (n < 0 || (size_t)n >= len)
			return;
		if (json_is_integer(v))
			n += snprintf(buf + n, len - (size_t)n, " %s=%lld", k,
			              (long long)json_integer_value(v));
		else if (json_is_number(v))
			n += snprintf(buf + n, len - (size_t)n, " %s=%g", k, json_number_value(v));
	}
}

/* A figure in its unit, nanoseconds in the largest unit that keeps it >= 1. */
static void fmt_value(json_t *v, const char *unit, char *buf, size_t len)
{
	double x = json_number_value(v);

	if (!json_is_number(v))
		snprintf(buf, len, "-");
	else if (unit && strcmp(unit, "ns") == 0)
		snprintf(buf, len,
		         x >= 1e9   ? "%.4g s"
		         : x >= 1e6 ? "%.4g ms"
		         : x >= 1e3 ? "%.4g us"
		                    : "%.4g ns",
		         x >= 1e9   ? x / 1e9
		         : x >= 1e6 ? x / 1e6
		         : x >= 1e3 ? x / 1e3
		                    : x);
	else
		snprintf(buf, len, "%.4g%s%s", x, unit ? " " : "", unit ? unit : "");
}

static void fmt_change(json_t *row, char *buf, size_t len)
{
	json_t *ci = json_object_get(row, "ci95_pct");

	if (!json_is_number(json_object_get(row, "change_pct")))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%+.1f%% [%+.1f, %+.1f]",
		         json_number_value(json_object_get(row, "change_pct")),
		         json_number_value(json_array_get(ci, 0)),
		         json_number_value(json_array_get(ci, 1)));
}

static void fmt_p(json_t *row, char *buf, size_t len)
{
	json_t *p = json_object_get(row, "p");

	if (!json_is_number(p))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, json_number_value(p) < 0.001 ? "%.1e" : "%.4f",
		         json_number_value(p));
}

/* The cells of one row, shared by the table and the Markdown. */
struct cells {
	char name[256], base[32], new_[32], change[64], p[16];
	const char *metric, *verdict, *why;
};

static void row_cells(json_t *row, struct cells *c)
{
	const char *unit = json_string_value(json_object_get(row, "unit"));

	case_label(row, c->name, sizeof(c->name));
	fmt_value(json_object_get(json_object_get(row, "base"), "median"), unit, c->base,
	          sizeof(c->base));
	fmt_value(json_object_get(json_object_get(row, "new"), "median"), unit, c->new_,
	          sizeof(c->new_));
	fmt_change(row, c->change, sizeof(c->change));
	fmt_p(row, c->p, sizeof(c->p));
	c->metric = json_string_value(json_object_get(row, "metric"));
	c->verdict = json_string_value(json_object_get(row, "verdict"));
	c->why = json_string_value(json_object_get(row, "why"));
}

static size_t count_verdict(json_t *rows, enum vmb_verdict v)
{
	size_t i, n = 0;
	json_t *r;

	json_array_foreach(rows, i, r) n += vmb_row_verdict_is(r, v);
	return n;
}

static void print_summary(FILE *f, json_t *cmp, const char *bold)
{
	json_t *rows = json_object_get(cmp, "rows");

	fprintf(f,
	        "%s%zu regressed, %zu suspect, %zu improved, %zu unchanged, %zu not comparable%s "
	        "(threshold %g%%, alpha %g; base: %zu file(s), new: %zu)\n",
	        bold, count_verdict(rows, VMB_VERDICT_REGRESSED),
	        count_verdict(rows, VMB_VERDICT_SUSPECT), count_verdict(rows, VMB_VERDICT_IMPROVED),
	        count_verdict(rows, VMB_VERDICT_UNCHANGED),
	        count_verdict(rows, VMB_VERDICT_NOT_COMPARABLE), bold,
	        json_number_value(json_object_get(cmp, "threshold_pct")),
	        json_number_value(json_object_get(cmp, "alpha")),
	        json_array_size(json_object_get(cmp, "base")),
	        json_array_size(json_object_get(cmp, "new")));
}

/* Notes and the cases only one side has, one line each, after `lead`. */
static void print_extras(FILE *f, json_t *cmp, const char *lead)
{
	static const char *const sides[] = {"only_base", "only_new"};
	size_t i;
	json_t *v;
	char name[256];

	json_array_foreach(json_object_get(cmp, "notes"), i, v)
	        fprintf(f, "%snote: %s\n", lead, json_string_value(v));
	for (size_t s = 0; s < 2; s++)
		json_array_foreach(json_object_get(cmp, sides[s]), i, v)
		{
			case_label(v, name, sizeof(name));
			fprintf(f, "%sonly in %s: %s\n", lead, s ? "new" : "base", name);
		}
}

static int widest(int w, const char *s)
{
	return (int)strlen(s) > w ? (int)strlen(s) : w;
}

static void print_text(FILE *f, json_t *cmp)
{
	json_t *rows = json_object_get(cmp, "rows"), *r;
	int wn = 4, wm = 6, wv = 4, wc = 15, wp = 1;
	size_t i;
	struct cells c;

	json_array_foreach(rows, i, r)
	{
		row_cells(r, &c);
		wn = widest(wn, c.name);
		wm = widest(wm, c.metric);
		wv = widest(widest(wv, c.base), c.new_);
		wc = widest(wc, c.change);
		wp = widest(wp, c.p);
	}
	fprintf(f, "%-*s  %-*s  %*s  %*s  %-*s  %*s  %s\n", wn, "case", wm, "metric", wv, "base",
	        wv, "new", wc, "change [95% CI]", wp, "p", "verdict");
	json_array_foreach(rows, i, r)
	{
		row_cells(r, &c);
		fprintf(f, "%-*s  %-*s  %*s  %*s  %-*s  %*s  %s%s%s%s\n", wn, c.name, wm, c.metric,
		        wv, c.base, wv, c.new_, wc, c.change, wp, c.p, c.verdict, c.why ? " (" : "",
		        c.why ? c.why : "", c.why ? ")" : "");
	}
	print_extras(f, cmp, "");
	print_summary(f, cmp, "");
}

static void print_md(FILE *f, json_t *cmp)
{
	json_t *r;
	size_t i;
	struct cells c;
	size_t reg = (size_t)json_integer_value(json_object_get(cmp, "regressed"));

	fprintf(f, "### vmbench compare: %s\n\n", reg ? "regression" : "no regression");
	fprintf(f, "| case | metric | base | new | change [95%% CI] | p | verdict |\n"
	           "|---|---|---:|---:|---|---:|---|\n");
	json_array_foreach(json_object_get(cmp, "rows"), i, r)
	{
		row_cells(r, &c);
		bool bad = vmb_row_verdict_is(r, VMB_VERDICT_REGRESSED);
		fprintf(f, "| %s | `%s` | %s | %s | %s | %s | %s%s%s%s%s |\n", c.name, c.metric,
		        c.base, c.new_, c.change, c.p, bad ? "**" : "", c.verdict, bad ? "**" : "",
		        c.why ? ": " : "", c.why ? c.why : "");
	}
	fprintf(f, "\n");
	print_extras(f, cmp, "- ");
	print_summary(f, cmp, "**");
}

void vmb_compare_print(FILE *f, json_t *cmp, enum vmb_compare_format fmt)
{
	switch (fmt) {
	case VMB_COMPARE_JSON:
		json_dumpf(cmp, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
		fputc('\n', f);
		break;
	case VMB_COMPARE_MD:
		print_md(f, cmp);
		break;
	case VMB_COMPARE_TEXT:
	default:
		print_text(f, cmp);
		break;
	}
}
