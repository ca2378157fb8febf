/*
 * winresult.h: what one window of counters came to (energy.h, archive.h):
 * its effective boundaries, the agent samples and restarts in it, the
 * sources seen, and each series' energy (window.h).
 */
#ifndef PMPOWER_WINRESULT_H
#define PMPOWER_WINRESULT_H

#include "window.h"

struct pp_window_result {
    double        start, end;            /* effective boundaries */
    const char   *start_how, *end_how;   /* "interpolated", "sample", "nearest sample", "live sample" */
    long          samples;               /* agent samples in the window */
    long          logged;                /* archive: logged samples inside it (0: both ends interpolated
                                            between the same two) */
    long          restarts;              /* agent restarts seen in it (power.control.start_time) */
    double        log_interval;          /* archive: the logged samples' spacing at the start (0 unknown) */
    char          sources[256];          /* distinct power.system.source values, comma separated */
    double        interval;              /* agent interval seen (0 unknown) */
    struct window w;
};

void pp_window_result_free(struct pp_window_result *r);

/* Add a power.system.source value to the list, once. */
void pp_note_source(struct pp_window_result *out, const char *value);

/* Agent restarts in the window: seen in power.control.start_time, or, from
 * an agent without it, counted as counters that went back. */
long   pp_window_restarts(const struct pp_window_result *r);

/* power.system's energy in the window; NAN when it had none */
double pp_system_joules(const struct pp_window_result *r);

#endif
