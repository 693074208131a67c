/* report.h: views of a results tree (report/ formats; runners and workloads only record). */
#pragma once

#include <jansson.h>
#include <stdio.h>

/* Prints one line per case: status, median workload time with its 95%
 * interval, throughput, launch-to-ready, and the case's headline figure
 * (case "headline") as a multiple of the baseline runner's (config
 * "baseline") for the same workload, oriented by the figure's declared
 * direction (root "metrics") so that above 1 always costs more. Skipped and
 * failed cases print their reason; an emulated host gets a banner. */
void vmb_print_summary(FILE *f, json_t *root);
