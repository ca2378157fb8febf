/*
 * pmpower.h: what the subcommands share. Each subcommand parses its own
 * options and returns the process exit status: 0 done, 1 no data or a failed
 * measurement (the message says what to do), 2 a usage error.
 */
#ifndef PMPOWER_H
#define PMPOWER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "pmctx.h"
#include "window.h"

extern const char *pp_progname;
extern volatile sig_atomic_t pp_stop;     /* set by SIGINT/SIGTERM */
void pp_catch_signals(void);

int cmd_report(int argc, char **argv);
int cmd_csv(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_mark(int argc, char **argv);

/* The energy counters pmpower reports, in this order (series index = position). */
enum pp_series {
    S_SYSTEM, S_RAPL, S_METER, S_METER_TOTAL, S_VM, S_SOC, S_BATTERY, S_MODEL,
    S_PROC, S_CGROUP, S_UNATTRIBUTED,
    S_SOURCE, S_SAMPLES, S_INTERVAL,
    S_COUNT
};
#define S_FIRST_TOP S_PROC           /* S_SYSTEM..S_MODEL are sources of energy */

void        pp_series_init(struct pp_metric m[S_COUNT]);
const char *pp_series_prefix(int series);
/* "system", "rapl:package-0", "vm:web1": the user's name for a series instance */
void        pp_series_label(struct pp_ctx *c, const struct pp_metric *m, int series, int inst,
                            char *buf, size_t size);
/* a process instance "001234 cmd" -> pid 1234 and "cmd" */
const char *pp_proc_command(const char *inst_name);

/* The energy of one window, from counter readings (report and phases). */
struct pp_window_result {
    double        start, end;            /* effective boundaries */
    const char   *start_how, *end_how;   /* "interpolated", "nearest sample", "live sample" */
    long          samples;               /* agent samples (live) or archive records in the window */
    char          sources[256];          /* distinct power.system.source values, comma separated */
    double        interval;              /* agent interval seen (0 unknown) */
    struct window w;
};

/* Archive: interpolate at start and end, scan the records between.
 * Live: wait for start, sample at the agent's pace, stop at end (or SIGINT).
 * Returns 0, or 1 after printing why there is no data. */
int  pp_window_energy(struct pp_ctx *c, struct pp_metric m[S_COUNT], double start, double end,
                      bool track_top, struct pp_window_result *out);
void pp_window_result_free(struct pp_window_result *r);

/* Check and clamp a requested window against an archive: 0 ok, 1 no overlap. */
int  pp_window_check(const struct pp_ctx *c, double *start, double *end, bool quiet);

/* Print the top-K processes and cgroups of a window (text or JSON members). */
struct pp_top_row { int series, inst; double energy; };
size_t pp_top_rows(const struct window *w, int series, struct pp_top_row *rows, size_t k);

#endif
