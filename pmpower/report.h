/*
 * report.h: pmpower report's parts that the fleet report (fleet.c) shares:
 * its settings, and the report of one source's window.
 */
#ifndef PMPOWER_REPORT_H
#define PMPOWER_REPORT_H

#include "options.h"
#include "pmctx.h"

#include <stdbool.h>

struct report_settings {
    long        runs, top;
    bool        json;
    const char *phases;
};

/* What one source's window came to, for a total over sources. */
struct report_total {
    double start, end;        /* the window as measured */
    double joules;            /* power.system's energy in it (NAN: none) */
    char   sources[256];      /* power.system.source values seen */
};

/* Resolve -S/-T on ctx, measure and print the window as the settings say;
 * fills total when non-NULL. 0, or the exit status after a message. */
int report_window(struct pp_ctx *ctx, const struct pp_args *args, const struct report_settings *s,
                  struct report_total *total);

/* Every archive of args->archives in turn, then the fleet's total. */
int report_fleet(const struct pp_args *args, const struct report_settings *s);

#endif
