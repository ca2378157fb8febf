/*
 * phaselog.h: the phase marks a program stores into the agent
 * (pmpower mark), kept as a ring of the latest PHASELOG_SIZE so pmlogger,
 * logging power.phase.log, records every one even when several come
 * between two of its samples. Pure: no PCP calls.
 *
 * A mark is "start|end [EPOCH] LABEL"; without an epoch the agent's wall
 * clock at the store is used. Each gets a sequence number (the instance id
 * of power.phase.log, never reused) and is exported as "EPOCH VERB LABEL".
 */
#ifndef POWER_PHASELOG_H
#define POWER_PHASELOG_H

#include <stddef.h>
#include <stdint.h>

#define PHASELOG_SIZE 64
#define PHASELOG_MAX_EPOCH 253402214400.0   /* 9999-12-31T00:00:00Z: epochs beyond, or below 1, are refused */

struct phase_mark {
    int    seq;
    char   name[16];        /* the instance name: the sequence number */
    char   text[320];       /* "EPOCH VERB LABEL" */
};

struct phaselog {
    struct phase_mark ring[PHASELOG_SIZE];
    size_t            count;       /* marks in the ring */
    int               next_seq;    /* from 1 */
    uint64_t          stored;      /* marks ever stored */
};

void phaselog_init(struct phaselog *log);
/* 0, or -1 for a malformed mark (the caller returns PM_ERR_BADSTORE). */
int  phaselog_store(struct phaselog *log, const char *mark, double now_wall);
/* The i-th mark still kept, oldest first (i < count). */
const struct phase_mark *phaselog_at(const struct phaselog *log, size_t i);
const struct phase_mark *phaselog_latest(const struct phaselog *log);

#endif
