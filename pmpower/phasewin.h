/*
 * phasewin.h: the phases that report --phases and plot --phases take, as
 * windows of one archive: from a file or from the marks the agent kept.
 */
#ifndef PMPOWER_PHASEWIN_H
#define PMPOWER_PHASEWIN_H

#include "phaselist.h"
#include "pmctx.h"

/* The phase list of file: a phase list (phaselist.h), "-" for stdin, or
 * "archive" for the marks. 0, or the exit status after a message. */
int phases_load(struct pp_ctx *c, const char *file, struct phase_list *list);

/* One phase's window, its texts resolved on c: 0, or 2 after a message
 * (a time that cannot be read, an end before the start). */
int phase_window(struct pp_ctx *c, const struct phase *p, double *start, double *end);

/* The phases of file (as --phases takes it) as windows, for plot: the list
 * into *list (phaselist_free it) and each phase's start and end into
 * *start, *end (malloc'd). Returns 0, or the exit status after a message. */
int phases_windows(struct pp_ctx *c, const char *file, struct phase_list *list, double **start, double **end);

#endif
