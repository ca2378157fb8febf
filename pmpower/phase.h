/*
 * phase.h: a labelled window ("phase") and a list of them, as the phase
 * list's readers (phaselist.h) build them. Pure: no PCP, no I/O.
 */
#ifndef PMPOWER_PHASE_H
#define PMPOWER_PHASE_H

#include <stdbool.h>
#include <stddef.h>

struct phase {
    char  *label;
    char  *start_text, *end_text;     /* strings to resolve, or NULL */
    double start, end;                /* epoch seconds when known (have_*) */
    bool   have_start, have_end;
    double duration;                  /* seconds, when given; < 0 when not */
};

struct phase_list {
    struct phase *items;
    size_t        count;
};

void phaselist_free(struct phase_list *list);

/* Number of epoch seconds from a number that may be s, ms or us. */
double phaselist_epoch(double v);

/* *p appended to l (l owns its strings then): 0, or -1 out of memory. */
int  phaselist_add(struct phase_list *l, struct phase *p);

/* Free p's strings and empty it. */
void phase_clear(struct phase *p);

/* The message into err (for a reader's error): always -1. */
int  phaselist_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
