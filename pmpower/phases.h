/*
 * phases.h: pmpower report --phases: the energy of labelled windows of one
 * archive, from a file or from the marks the agent kept.
 */
#ifndef PMPOWER_PHASES_H
#define PMPOWER_PHASES_H

#include <stdbool.h>

#include "pmctx.h"
#include "series.h"

/* file: a phase list (phaselist.h), "-" for stdin, or "archive" for the
 * marks; top: K for the top processes of each phase (0: none); db: append
 * the phases to this results database (NULL: not); html: also write them
 * as an HTML report (NULL: not). Returns the exit status. */
int phases_report(struct pp_ctx *c, struct pp_metric m[S_COUNT], const char *file, int top, bool json,
                  const char *db, const char *html);

#endif
