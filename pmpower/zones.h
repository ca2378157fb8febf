/*
 * zones.h: measure --zone: the energy of chosen sources beside the
 * system's, as JouleTrace measures socket 0's package and its DRAM. A zone
 * is named as report labels it ("rapl:package-0", "rapl:package-0/dram",
 * "meter:rack-a", "soc:gpu", "model"): one instance of a power.*.energy
 * counter, read in the same fetch as power.system.energy.
 */
#ifndef PMPOWER_ZONES_H
#define PMPOWER_ZONES_H

#include "series.h"

#define ZONES_MAX 16

struct zones {
    size_t n;
    int    series[ZONES_MAX], inst[ZONES_MAX];
    char   label[ZONES_MAX][160];
    char   text[512];              /* the labels joined with "+" */
};

/* A comma-separated list of labels, each checked against what the host
 * has: 0, or 2 after a message that lists the zones there are. */
int  zones_parse(struct pp_ctx *c, const struct pp_metric m[S_COUNT], const char *text, struct zones *z);

/* Clear every metric of fm but those the zones need (so a fetch of fm
 * reads them, and not power.proc's thousands of instances). */
void zones_metrics(const struct zones *z, struct pp_metric fm[S_COUNT]);

/* The zones' counters in r (fetched with fm) into e: true when each had one. */
bool zones_read(const pmHighResResult *r, const struct pp_metric fm[S_COUNT], const struct zones *z, double *e);

#endif
