/*
 * stop.h: an interrupt (SIGINT, SIGTERM) asks a long run to stop. The run
 * notices at its next step, ends cleanly (files flushed, the window closed
 * now) and reports what it has.
 */
#ifndef PMPOWER_STOP_H
#define PMPOWER_STOP_H

#include <stdbool.h>

/* From now on SIGINT and SIGTERM set the stop request instead of killing. */
void pp_stop_on_signals(void);

/* True once a stop was requested. */
bool pp_stop_requested(void);

#endif
