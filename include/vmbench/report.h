/* report.h: views of a results tree (report/ formats; runners and workloads only record). */
#pragma once

#include <jansson.h>
#include <stdio.h>

/* Prints one line per case: status, median workload time with its 95%
 * interval, throughput, launch-to-ready, and the ratio of the median to the
 * native runner's for the same workload where both exist. Skipped and failed
 * cases print their reason. */
void vmb_print_summary(FILE *f, json_t *root);
