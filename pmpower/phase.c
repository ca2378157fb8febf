/*
 * phase.c: labelled windows and their list, as the phase list's readers
 * build them.
 */
#include "phase.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double
phaselist_epoch(double v)
{
    if (v > 1e17)
        return v / 1e9;     /* nanoseconds */
    if (v > 1e14)
        return v / 1e6;     /* microseconds */
    if (v > 1e11)
        return v / 1e3;     /* milliseconds */
    return v;
}

int
phaselist_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int
phaselist_add(struct phase_list *l, struct phase *p)
{
    struct phase *grown = realloc(l->items, (l->count + 1) * sizeof(*grown));

    if (!grown)
        return -1;
    l->items = grown;
    l->items[l->count++] = *p;
    return 0;
}

void
phase_clear(struct phase *p)
{
    free(p->label);
    free(p->start_text);
    free(p->end_text);
    memset(p, 0, sizeof(*p));
    p->duration = -1;
}

void
phaselist_free(struct phase_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        phase_clear(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}
