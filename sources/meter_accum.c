#include "meter_accum.h"

#include <string.h>

double
meter_accum_record(struct meter_accum *a, double t_s, const struct wattsup_reading *r)
{
    double span = a->interval_s > 0 ? a->interval_s : 1.0, start = t_s - span, added;
    struct meter_point *p;

    if (a->have) {
        bool follows = a->joined && (a->max_gap_s <= 0 || t_s - a->last_s <= a->max_gap_s);

        if (a->joined && !follows)
            a->gaps++;      /* a silence: what the meter measured then is lost */
        /* following records cover the time between them, so delivery
         * jitter cancels out; nothing is ever counted twice */
        if (follows || start < a->last_s)
            start = a->last_s;
        if (start > t_s)
            start = t_s;
    }
    added = r->watts > 0 ? r->watts * (t_s - start) : 0;
    if (a->npoints == METER_ACCUM_POINTS) {
        memmove(&a->points[0], &a->points[1], (METER_ACCUM_POINTS - 1) * sizeof(a->points[0]));
        a->npoints--;
    }
    p = &a->points[a->npoints++];
    p->start_s = start;
    p->t_s = t_s;
    p->energy_start_j = a->energy_j;
    a->energy_j += added;
    p->energy_j = a->energy_j;
    a->last = *r;
    a->last_s = t_s;
    a->have = true;
    a->joined = true;
    a->samples++;
    return added;
}

void
meter_accum_break(struct meter_accum *a)
{
    if (a->joined)
        a->gaps++;
    a->joined = false;
}

double
meter_accum_energy_at(const struct meter_accum *a, double t_s)
{
    const struct meter_point *p = a->points;
    unsigned n = a->npoints;

    if (n == 0)
        return a->energy_j;
    for (unsigned i = 0; i < n; i++) {
        if (t_s <= p[i].start_s)
            return p[i].energy_start_j;     /* before it, or in a gap before it */
        if (t_s < p[i].t_s)
            return p[i].energy_start_j +
                   (p[i].energy_j - p[i].energy_start_j) * (t_s - p[i].start_s) / (p[i].t_s - p[i].start_s);
    }
    return p[n - 1].energy_j;
}
