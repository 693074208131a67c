/* render.c: writes the report model out as Markdown, CSV, LaTeX and JSON (HTML: render_html.c),
 * each format into its one file in the report's directory. */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vmbench/report.h"

static const char banner[] =
        "Every figure of a run marked emulated was measured inside an emulator's guest (QEMU "
        "TCG): functional evidence only, not a performance measurement.";

/* A cell for a Markdown table: pipes escaped, line breaks flattened. */
static void md_cell(FILE *f, const char *s)
{
	fputc(' ', f);
	for (; *s; s++)
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s == '\n' ? ' ' : *s, f);
	fputs(" |", f);
}

/* Whether every cell of column c reads as a number (those align right). */
static bool numeric_column(const struct vmb_report_table *t, size_t c)
{
	for (size_t r = 0; r < t->nrows; r++) {
		const char *v = t->cells[r * t->ncols + c];
		if (v && *v && strncmp(v, "n/a", 3) != 0 && /* a figure not measured */
		    !(isdigit((unsigned char)v[0]) ||
		      (v[0] == '-' && (isdigit((unsigned char)v[1]) || !v[1]))))
			return false;
	}
	return true;
}

static void md_table(FILE *f, const struct vmb_report_table *t)
{
	fprintf(f, "## %s\n\n", t->title);
	if (t->note)
		fprintf(f, "%s.\n\n", t->note);
	if (t->nrows == 0) {
		fprintf(f, "(none)\n\n");
		return;
	}
	fputc('|', f);
	for (size_t c = 0; c < t->ncols; c++)
		md_cell(f, t->head[c]);
	fputs("\n|", f);
	for (size_t c = 0; c < t->ncols; c++)
		fputs(c >= 2 && numeric_column(t, c) ? " ---: |" : " --- |", f);
	fputc('\n', f);
	for (size_t r = 0; r < t->nrows; r++) {
		fputc('|', f);
		for (size_t c = 0; c < t->ncols; c++)
			md_cell(f, t->cells[r * t->ncols + c]);
		fputc('\n', f);
	}
	fputc('\n', f);
}

bool vmb_rep_chart_of(const char *table_id, const char *chart)
{
	const char *dash = strchr(chart, '-');

	if (strncmp(chart, "density-", 8) == 0) /* not suite "ready"'s bars */
		return strcmp(table_id, "density") == 0;
	if (strncmp(table_id, "suite-", 6) == 0)
		return strcmp(dash ? dash + 1 : chart, table_id + 6) == 0;
	return strcmp(table_id, "phases") == 0 && strcmp(chart, "phases") == 0;
}

/* The charts shown under table t, as images with their sources. */
static void md_charts(FILE *f, const struct vmb_report *rep, const char *table_id)
{
	for (size_t i = 0; i < rep->ncharts; i++) {
		const struct vmb_report_chart *c = &rep->charts[i];
		if (!vmb_rep_chart_of(table_id, c->name))
			continue;
		if (c->drawn)
			fprintf(f, "![%s](charts/%s.png)\n\n[SVG](charts/%s.svg)%s%s%s · ",
			        c->title, c->name, c->name, rep->pdf ? " · [PDF](charts/" : "",
			        rep->pdf ? c->name : "", rep->pdf ? ".pdf)" : "");
		else
			fprintf(f, "%s: ", c->title);
		fprintf(f, "[script](charts/%s.gp) · [data](charts/%s.dat)\n\n", c->name, c->name);
	}
}

static void write_md(const struct vmb_report *rep, FILE *f)
{
	fprintf(f, "# vmbench report\n\n");
	if (rep->emulated)
		fprintf(f, "> **EMULATED FIGURES.** %s\n\n", banner);
	for (size_t r = 0; r < rep->nruns; r++)
		fprintf(f, "- %s: `%s`\n", rep->runs[r].label, rep->runs[r].path);
	fputc('\n', f);
	if (rep->charts_note)
		fprintf(f, "> %s\n\n", rep->charts_note);
	for (size_t i = 0; i < rep->ntables; i++) {
		const struct vmb_report_table *t = &rep->tables[i];
		md_table(f, t);
		md_charts(f, rep, t->id);
	}
}

/* RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The first fourteen as ever; then what tells a density point or a victim
 * beside neighbours from its workload's other cases, and the victim's figure
 * as a multiple of the victim alone (empty where they do not apply). */
static const char *const csv_cols[] = {
        "run",  "suite",     "workload",   "runner",         "status",  "metric",     "unit",
        "n",    "median",    "ci_lo",      "ci_hi",          "ratio",   "ratio_lo",   "ratio_hi",
        "case", "instances", "neighbours", "neighbour_load", "x_alone", "x_alone_lo", "x_alone_hi"};

static void write_csv(const struct vmb_report *rep, FILE *f)
{
	size_t nc = sizeof(csv_cols) / sizeof(csv_cols[0]), i;
	json_t *row;

	for (size_t c = 0; c < nc; c++)
		fprintf(f, "%s%s", c ? "," : "", csv_cols[c]);
	fputs("\r\n", f);
	json_array_foreach(rep->rows, i, row)
	{
		for (size_t c = 0; c < nc; c++) {
			json_t *v = json_object_get(row, csv_cols[c]);
			if (c)
				fputc(',', f);
			if (json_is_string(v))
				csv_field(f, json_string_value(v));
			else if (json_is_integer(v))
				fprintf(f, "%lld", json_integer_value(v));
			else if (json_is_real(v)) /* %.17g: reads back to the same double */
				fprintf(f, "%.17g", json_real_value(v));
		}
		fputs("\r\n", f);
	}
}

static void tex_text(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&':
		case '%':
		case '$':
		case '#':
		case '_':
		case '{':
		case '}':
			fprintf(f, "\\%c", *s);
			break;
		case '~':
			fputs("\\textasciitilde{}", f);
			break;
		case '^':
			fputs("\\textasciicircum{}", f);
			break;
		case '\\':
			fputs("\\textbackslash{}", f);
			break;
		default:
			fputc(*s, f);
		}
}

static void write_tex(const struct vmb_report *rep, FILE *f)
{
	fputs("% vmbench report: pdflatex report.tex (charts/ holds the PDF figures)\n"
	      "\\documentclass[a4paper,landscape]{article}\n"
	      "\\usepackage[margin=1.5cm]{geometry}\n\\usepackage{graphicx}\n"
	      "\\begin{document}\n\\section*{vmbench report}\n",
	      f);
	if (rep->emulated) {
		fputs("\\paragraph{Emulated figures.} ", f);
		tex_text(f, banner);
		fputs("\n\n", f);
	}
	for (size_t i = 0; i < rep->ntables; i++) {
		const struct vmb_report_table *t = &rep->tables[i];
		fputs("\\subsection*{", f);
		tex_text(f, t->title);
		fputs("}\n", f);
		if (t->note) {
			tex_text(f, t->note);
			fputs(".\n\n", f);
		}
		fputs("{\\scriptsize\n\\begin{tabular}{ll", f);
		for (size_t c = 2; c < t->ncols; c++)
			fputc('r', f);
		fputs("}\n\\hline\n", f);
		for (long r = -1; r < (long)t->nrows; r++) {
			for (size_t c = 0; c < t->ncols; c++) {
				if (c)
					fputs(" & ", f);
				tex_text(f,
				         r < 0 ? t->head[c] : t->cells[(size_t)r * t->ncols + c]);
			}
			fputs(r < 0 ? " \\\\\n\\hline\n" : " \\\\\n", f);
		}
		fputs("\\hline\n\\end{tabular}}\n\n", f);
	}
	for (size_t i = 0; rep->pdf && i < rep->ncharts; i++)
		if (rep->charts[i].drawn)
			fprintf(f,
			        "\\begin{figure}[p]\\centering"
			        "\\includegraphics[width=\\linewidth]{charts/"
			        "%s.pdf}\\end{figure}\n",
			        rep->charts[i].name);
	fputs("\\end{document}\n", f);
}

static json_t *table_json(const struct vmb_report_table *t)
{
	json_t *head = json_array(), *rows = json_array();

	for (size_t c = 0; c < t->ncols; c++)
		json_array_append_new(head, json_string(t->head[c]));
	for (size_t r = 0; r < t->nrows; r++) {
		json_t *row = json_array();
		for (size_t c = 0; c < t->ncols; c++)
			json_array_append_new(row, json_string(t->cells[r * t->ncols + c]));
		json_array_append_new(rows, row);
	}
	return json_pack("{s:s, s:s, s:s?, s:o, s:o}", "id", t->id, "title", t->title, "note",
	                 t->note, "head", head, "rows", rows);
}

static int write_json(const struct vmb_report *rep, FILE *f)
{
	json_t *runs = json_array(), *tables = json_array(), *charts = json_array();

	for (size_t r = 0; r < rep->nruns; r++)
		json_array_append_new(runs, json_pack("{s:s, s:s}", "label", rep->runs[r].label,
		                                      "path", rep->runs[r].path));
	for (size_t i = 0; i < rep->ntables; i++)
		json_array_append_new(tables, table_json(&rep->tables[i]));
	for (size_t i = 0; i < rep->ncharts; i++)
		json_array_append_new(
		        charts, json_pack("{s:s, s:s, s:b}", "name", rep->charts[i].name, "title",
		                          rep->charts[i].title, "drawn", rep->charts[i].drawn));
	json_t *root = json_pack("{s:o, s:b, s:o, s:O, s:o, s:s?}", "runs", runs, "emulated",
	                         rep->emulated, "tables", tables, "rows", rep->rows, "charts",
	                         charts, "charts_note", rep->charts_note);
	int rc = root ? json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) : -1;
	json_decref(root);
	return rc;
}

int vmb_report_write(const struct vmb_report *rep, const char *dir, unsigned formats,
                     struct vmb_error *err)
{
	static const struct {
		unsigned bit;
		const char *file;
	} outs[] = {{VMB_REPORT_MD, "report.md"},
	            {VMB_REPORT_HTML, "index.html"},
	            {VMB_REPORT_CSV, "report.csv"},
	            {VMB_REPORT_LATEX, "report.tex"},
	            {VMB_REPORT_JSON, "report.json"}};

	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		char path[4200];
		int rc = 0;
		if (!(formats & outs[i].bit))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, outs[i].file);
		FILE *f = fopen(path, "we");
		if (!f)
			return vmb_error_sys(err, errno, "%s", path);
		switch (outs[i].bit) {
		case VMB_REPORT_MD:
			write_md(rep, f);
			break;
		case VMB_REPORT_HTML:
			vmb_rep_write_html(rep, f);
			break;
		case VMB_REPORT_CSV:
			write_csv(rep, f);
			break;
		case VMB_REPORT_LATEX:
			write_tex(rep, f);
			break;
		default:
			rc = write_json(rep, f);
			break;
		}
		if (ferror(f) | (fclose(f) != 0) || rc < 0)
			return vmb_error_sys(err, errno ? errno : EIO, "%s", path);
	}
	return 0;
}
