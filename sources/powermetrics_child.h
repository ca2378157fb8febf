/*
 * powermetrics_child.h: inside the powermetrics source, not for other
 * modules: the reader thread that runs the powermetrics child, reads and
 * parses its stdout (powermetrics_stream.c) and restarts it with back-off;
 * and what it hands the source's timer (powermetrics.c) under the
 * reader's lock. The thread makes no PCP calls and does not log: the
 * timer counts and logs the problems it reports.
 */
#ifndef POWER_POWERMETRICS_CHILD_H
#define POWER_POWERMETRICS_CHILD_H

#include <stdbool.h>
#include <stdint.h>

#include "powermetrics.h"
#include "reader.h"

#define PM_DETAIL_SIZE 512

/* What the reader thread hands over to the timer, under the reader's lock. */
struct pm_handover {
    unsigned  documents;                 /* good documents since the last drain */
    double    energy_mj[SOC_NCOMPONENTS];
    uint64_t  elapsed_ns[SOC_NCOMPONENTS];
    uint64_t  problems[PM_NPROBLEMS];    /* cumulative */
    char      detail[PM_NPROBLEMS][PM_DETAIL_SIZE];  /* the latest of each kind */
    enum pm_problem latest;              /* the latest problem since the latest good document */
    bool      child_running;
    double    restart_in_s;              /* back-off before the next start */
};

struct pm_child {
    char             **argv;            /* the command, its interval appended */
    char              *command;         /* as configured, for messages */
    struct reader      reader;
    struct pm_stream  *stream;          /* the reader thread's alone */
    struct pm_handover shared;          /* under the reader's lock */
};

/* reader_start's body; arg is the struct pm_child. */
void pm_child_thread(struct reader *reader, void *arg);

#endif
