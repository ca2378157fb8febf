/*
 * pmctx.h: pmpower's door to PCP's metrics. A context on a live host or an
 * archive, metric lookup, fetches at a chosen time, instance names, and
 * waiting for the agent's next sample. (options.h reads the command line
 * with PCP's pmGetOptions.) The pure modules, timeparse, phaselist, stats,
 * json and window, work on plain numbers and link without libpcp.
 */
#ifndef PMPOWER_PMCTX_H
#define PMPOWER_PMCTX_H

#include <pcp/pmapi.h>
#include <stdbool.h>
#include <stddef.h>

/* PM_IN_NULL as the int that pmValue.inst holds */
#define PP_IN_NULL ((int)PM_IN_NULL)

struct pp_metric {
    const char *name;
    pmID        pmid;
    pmDesc      desc;
    bool        ok;             /* found in the namespace */
};

struct pp_inst_cache;           /* instance names asked for before (pmctx.c) */

struct pp_ctx {
    int    handle;
    bool   archive;
    char   source[PATH_MAX];    /* the host or archive as given */
    char   hostname[256];       /* the host measured */
    double start, end;          /* archive bounds; live: now and +inf */
    struct pp_inst_cache *names;
    struct pp_metric      pace[2];   /* power.control.samples and .interval, once looked up */
    bool                  pace_looked_up;
};

/* Open a context: archive when archive != NULL, else host (NULL: "local:").
 * On failure prints one line saying what to do and returns -1. */
int  pp_open(struct pp_ctx *c, const char *host, const char *archive);
void pp_close(struct pp_ctx *c);

/* Look up each metric; returns how many were found (others get ok=false). */
int  pp_lookup(struct pp_metric *m, size_t n);

/* Leaf names below a PMNS node (or the name itself when it is a leaf).
 * *names is malloc'd (free each, then the array); returns count or <0. */
int  pp_children(const char *node, char ***names);

/* Fetch the found metrics (those with ok): live, now; in an archive, where
 * the mode puts it: pp_set_interp, values interpolated at t, then every
 * step; pp_set_forward, the records from t on, one per fetch. */
int  pp_fetch(const struct pp_metric *m, size_t n, pmHighResResult **rp);
int  pp_set_interp(struct pp_ctx *c, double t, double step);
int  pp_set_forward(struct pp_ctx *c, double t);

/* The vset of metric i in a result fetched with the same array (NULL if not ok). */
pmValueSet *pp_vset(const pmHighResResult *r, const struct pp_metric *m, size_t n, size_t i);
/* Value j of a vset as a double (or string, malloc'd); 0 or <0 on failure. */
int  pp_double(const pmValueSet *vs, const pmDesc *d, int j, double *out);
int  pp_string(const pmValueSet *vs, const pmDesc *d, int j, char **out);
/* A scalar double metric in one call: value of instance inst (PM_IN_NULL: the first). */
bool pp_get_double(const pmHighResResult *r, const struct pp_metric *m, size_t n, size_t i,
                   int inst, double *out);

/* Instance name (cached until pp_close); a number if unknown. */
const char *pp_inst_name(struct pp_ctx *c, pmInDom indom, int inst);

double pp_time(const struct timespec *ts);
void   pp_timespec(double t, struct timespec *ts);
double pp_now(void);
void   pp_sleep_until(double t);     /* wall clock; ends early on a signal, and at once when a stop was requested */

/*
 * Live only: wait until the agent has taken a new sample (power.control.samples
 * changes) so that what is fetched next is fresh. Returns the wall time the
 * new sample was seen, the agent's interval in *interval (when non-NULL), or
 * a negative value when the host has no power.control.samples (then it
 * returns at once with the current time).
 */
double pp_wait_sample(struct pp_ctx *c, double *interval, double timeout);

/* Resolve a START/END argument: ISO (with fractions) or PCP time syntax
 * relative to the context's bounds. is_end chooses -T semantics. */
int  pp_parse_time(const struct pp_ctx *c, const char *text, bool is_end, double *t);

/* A duration in PCP syntax ("10", "1.5sec", "2min"); -1 with a message. */
int  pp_parse_interval(const char *text, const char *what, double *seconds);

void pp_format_time(double t, char *buf, size_t size);

#endif
