/* render_html.c: the report as one offline HTML page (index.html) beside its charts/,
 * with no outside resource, and a note in the DOM of how many images loaded. */
#include <string.h>

#include "vmbench/report.h"

static void esc(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
}

static const char style[] =
        "body{font-family:sans-serif;margin:2em;color:#222;max-width:80em}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}"
        "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
        "th:first-child,td:first-child,td:nth-child(2){text-align:left}"
        "table[data-table=host] td,table[data-table=unavailable] td{text-align:left}"
        /* sixteen columns: smaller, the labels whole, the reasons as text */
        "table[data-table=density]{font-size:.78em}"
        "table[data-table=density] td:nth-child(2){white-space:nowrap}"
        "table[data-table=density] td:last-child,table[data-table=density-sweeps] td{"
        "text-align:left}"
        "th{background:#f0f0f0}tr:nth-child(even) td{background:#fafafa}"
        ".banner{background:#fff3cd;border:2px solid #c90;padding:.8em;font-weight:bold}"
        ".note{background:#eef;border:1px solid #99c;padding:.6em}"
        "figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #eee}"
        "figcaption{font-size:.85em;color:#555}";

/* Counts the images that finished loading and puts the numbers on <body>:
 * what a headless browser's DOM dump can be checked against. */
static const char script[] =
        "window.addEventListener('load',function(){var im=document.images,ok=0;"
        "for(var i=0;i<im.length;i++)if(im[i].complete&&im[i].naturalWidth>0)ok++;"
        "document.body.setAttribute('data-images-total',im.length);"
        "document.body.setAttribute('data-images-loaded',ok);});";

static void table(FILE *f, const struct vmb_report_table *t)
{
	fprintf(f, "<h2 id=\"%s\">", t->id);
	esc(f, t->title);
	fputs("</h2>\n", f);
	if (t->note) {
		fputs("<p>", f);
		esc(f, t->note);
		fputs(".</p>\n", f);
	}
	fprintf(f, "<table data-table=\"%s\">\n<thead><tr>", t->id);
	for (size_t c = 0; c < t->ncols; c++) {
		fputs("<th>", f);
		esc(f, t->head[c]);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (size_t r = 0; r < t->nrows; r++) {
		fputs("<tr>", f);
		for (size_t c = 0; c < t->ncols; c++) {
			fputs("<td>", f);
			esc(f, t->cells[r * t->ncols + c]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	if (t->nrows == 0)
		fprintf(f, "<tr><td colspan=\"%zu\">(none)</td></tr>\n", t->ncols);
	fputs("</tbody></table>\n", f);
}

static void charts(FILE *f, const struct vmb_report *rep, const char *table_id)
{
	for (size_t i = 0; i < rep->ncharts; i++) {
		const struct vmb_report_chart *c = &rep->charts[i];
		if (!vmb_rep_chart_of(table_id, c->name))
			continue;
		fputs("<figure>", f);
		if (c->drawn)
			fprintf(f, "<img src=\"charts/%s.svg\" alt=\"", c->name);
		if (c->drawn) {
			esc(f, c->title);
			fputs("\">", f);
		}
		fputs("<figcaption>", f);
		esc(f, c->title);
		if (c->drawn)
			fprintf(f,
			        ": <a href=\"charts/%s.svg\">SVG</a> · <a "
			        "href=\"charts/%s.png\">PNG</a>",
			        c->name, c->name);
		if (c->drawn && rep->pdf)
			fprintf(f, " · <a href=\"charts/%s.pdf\">PDF</a>", c->name);
		fprintf(f,
		        " · <a href=\"charts/%s.gp\">gnuplot script</a> · <a "
		        "href=\"charts/%s.dat\">data</a></figcaption></figure>\n",
		        c->name, c->name);
	}
}

void vmb_rep_write_html(const struct vmb_report *rep, FILE *f)
{
	fprintf(f,
	        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	        "<title>vmbench report</title>\n<style>%s</style>\n<script>%s</script>\n"
	        "</head><body>\n<h1>vmbench report</h1>\n",
	        style, script);
	if (rep->emulated)
		fputs("<p class=\"banner\" id=\"emulated\">EMULATED FIGURES: a run below was "
		      "measured "
		      "inside an emulator's guest (QEMU TCG); its figures are functional evidence "
		      "only, not a performance measurement.</p>\n",
		      f);
	fputs("<ul>", f);
	for (size_t r = 0; r < rep->nruns; r++) {
		fputs("<li>", f);
		esc(f, rep->runs[r].label);
		fputs(": <code>", f);
		esc(f, rep->runs[r].path);
		fputs("</code></li>", f);
	}
	fputs("</ul>\n", f);
	if (rep->charts_note) {
		fputs("<p class=\"note\" id=\"charts-note\">", f);
		esc(f, rep->charts_note);
		fputs("</p>\n", f);
	}
	for (size_t i = 0; i < rep->ntables; i++) {
		const struct vmb_report_table *t = &rep->tables[i];
		table(f, t);
		charts(f, rep, t->id);
	}
	fputs("</body></html>\n", f);
}
