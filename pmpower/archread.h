/*
 * archread.h: an archive's records read as agent samples (edge.h), for the
 * window and the sweep of archive.h.
 */
#ifndef PMPOWER_ARCHREAD_H
#define PMPOWER_ARCHREAD_H

#include <stdbool.h>

#include "edge.h"
#include "pmctx.h"
#include "series.h"

/* A record's time as a double is good to a fraction of a microsecond:
 * seeking to it exactly may land just after it. */
#define SEEK_MARGIN 1e-3

struct reader {
    struct pp_ctx    *c;
    struct pp_metric  m[S_COUNT];     /* what is fetched: the sources, or everything for --top */
};

/* What rd fetches: m's sources, and (track_top) the processes too. */
void reader_init(struct reader *rd, struct pp_ctx *c, const struct pp_metric m[S_COUNT], bool track_top);

/* The next record (in the mode set) that holds power.system.energy: 1, or 0 at the end, -1 out of memory. */
int  next_sample(struct reader *rd, struct edge_sample *out);

/* The logged samples around an edge: a, the latest taken at or before it,
 * and b, the first after it; with the one before a and the one after b,
 * whose mean powers say where a step of power between a and b was. */
struct around {
    struct edge_sample a, b, before_a, after_b;
    bool               have_a, have_b, have_before_a, have_after_b;
};

void around_init(struct around *x);
void around_free(struct around *x);

/* The samples around t: a and the one before it, b and the one after it. 0, or -1 out of memory. */
int  samples_around(struct reader *rd, double t, struct around *x);

/* The counters at t from the samples around it, as edge_at (edge.h) places them. */
int  around_edge(struct around *x, double t, bool is_start, struct edge_sample *out);

/* One fetch (of m's sources and power.control, live or from an archive)
 * as an agent sample: 1 when it holds power.system.energy, 0 not, -1 out
 * of memory. */
int pp_record_sample(struct pp_ctx *c, const struct pp_metric m[S_COUNT], const pmHighResResult *r,
                     struct edge_sample *out);

#endif
