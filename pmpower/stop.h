/*
 * stop.h: an interrupt (SIGINT, SIGTERM) asks a long run to stop. The run
 * notices at its next step, ends cleanly (files flushed, the window closed
 * now) and reports what it has.
 */
#ifndef PMPOWER_STOP_H
#define PMPOWER_STOP_H

#include <signal.h>
#include <stdbool.h>

/* From now on SIGINT and SIGTERM set the stop request instead of killing. */
void pp_stop_on_signals(void);

/* True once a stop was requested. */
bool pp_stop_requested(void);

/*
 * Hold SIGINT and SIGTERM back over an exchange with pmcd; release lets a
 * held one in, which then sets the stop request as usual. libpcp before PCP
 * 6.3 (Debian 12 has 6.0.3) fails a PDU exchange that a signal interrupts
 * and leaves the context out of step with pmcd (fixed upstream in pdu.c,
 * "fix day zero botch with EINTR"), so an interrupt there read as "the
 * agent stopped giving values" instead of a clean stop.
 */
void pp_stop_hold(sigset_t *saved);
void pp_stop_release(const sigset_t *saved);

#endif
