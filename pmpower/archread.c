/*
 * archread.c: an archive's records as agent samples (edge.h): the next
 * one, and the samples around a time, found by seeking both ways.
 */
#include "archread.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
reader_init(struct reader *rd, struct pp_ctx *c, const struct pp_metric m[S_COUNT], bool track_top)
{
    rd->c = c;
    memcpy(rd->m, m, sizeof(rd->m));
    if (!track_top)
        rd->m[S_PROC].ok = rd->m[S_CGROUP].ok = rd->m[S_UNATTRIBUTED].ok = false;
}

static void
scalar(const struct reader *rd, const pmHighResResult *r, int series, double *out)
{
    double v;

    if (pp_get_double(r, rd->m, S_COUNT, (size_t)series, PP_IN_NULL, &v))
        *out = v;
}

/* One record as an agent sample: 1 when it holds power.system.energy, 0 not, -1 out of memory. */
static int
record_sample(const struct reader *rd, const pmHighResResult *r, struct edge_sample *out)
{
    pmValueSet *vs;
    double since_first = NAN;
    bool have_system = false;

    edge_sample_clear(out);
    out->record_t = pp_time(&r->timestamp);
    scalar(rd, r, S_SAMPLE_TIME, &since_first);
    scalar(rd, r, S_START_TIME, &out->start_time);
    out->t = edge_sample_epoch(out->start_time, since_first, out->record_t);
    scalar(rd, r, S_SAMPLES, &out->samples);
    scalar(rd, r, S_INTERVAL, &out->interval);
    if ((vs = pp_vset(r, rd->m, S_COUNT, S_SOURCE)) != NULL && vs->numval > 0) {
        char *text;
        if (pp_string(vs, &rd->m[S_SOURCE].desc, 0, &text) > 0) {
            snprintf(out->source, sizeof(out->source), "%s", text);
            free(text);
        }
    }
    for (int s = 0; s <= S_UNATTRIBUTED; s++) {
        if ((vs = pp_vset(r, rd->m, S_COUNT, (size_t)s)) == NULL)
            continue;
        for (int j = 0; j < vs->numval; j++) {
            double e;
            if (pp_double(vs, &rd->m[s].desc, j, &e) <= 0)
                continue;
            if (edge_sample_add(out, s, vs->vlist[j].inst, e, NAN) < 0)
                return -1;
            have_system |= s == S_SYSTEM;
        }
    }
    edge_sample_sort(out);
    return have_system;
}

/* The next record (in the mode set) that holds power.system.energy: 1, or 0 at the end. */
int
next_sample(struct reader *rd, struct edge_sample *out)
{
    pmHighResResult *r;

    while (pp_fetch(rd->m, S_COUNT, &r) >= 0) {
        int got = record_sample(rd, r, out);
        pmFreeHighResResult(r);
        if (got != 0)
            return got;
    }
    return 0;
}

void
around_init(struct around *x)
{
    memset(x, 0, sizeof(*x));
    edge_sample_init(&x->a);
    edge_sample_init(&x->b);
    edge_sample_init(&x->before_a);
    edge_sample_init(&x->after_b);
}

void
around_free(struct around *x)
{
    edge_sample_free(&x->a);
    edge_sample_free(&x->b);
    edge_sample_free(&x->before_a);
    edge_sample_free(&x->after_b);
}

/* x->a becomes s, the a before it x->before_a */
static int
around_take_a(struct around *x, const struct edge_sample *s)
{
    struct edge_sample old = x->before_a;

    x->before_a = x->a;
    x->have_before_a = x->have_a;
    x->a = old;
    x->have_a = true;
    return edge_sample_copy(&x->a, s);
}

/*
 * The samples around t: a seek back from t for a and the one before it,
 * and a seek forward for b and the one after it. Records are stamped at
 * pmlogger's fetch, after the sample they hold, so the first records after
 * t may still hold samples from before t: read on until one does not.
 */
int
samples_around(struct reader *rd, double t, struct around *x)
{
    struct edge_sample s;
    struct timespec when;
    int got = 0;

    x->have_a = x->have_b = x->have_before_a = x->have_after_b = false;
    edge_sample_init(&s);
    pp_timespec(t, &when);
    if (pmSetModeHighRes(PM_MODE_BACK, &when, NULL) >= 0 && next_sample(rd, &x->a) > 0 && x->a.t <= t) {
        x->have_a = true;
        x->have_before_a = next_sample(rd, &x->before_a) > 0 && x->before_a.t < x->a.t;
    }
    pp_set_forward(rd->c, t);
    while ((got = next_sample(rd, &s)) > 0) {
        if (s.t > t)
            break;
        if ((!x->have_a || s.t > x->a.t) && (got = around_take_a(x, &s)) < 0)
            break;
    }
    if (got > 0) {
        x->have_b = edge_sample_copy(&x->b, &s) == 0;
        while ((got = next_sample(rd, &x->after_b)) > 0 && x->after_b.t <= x->b.t)
            ;
        x->have_after_b = got > 0;
    }
    edge_sample_free(&s);
    return got < 0 ? -1 : 0;
}

/* The counters at t from the samples around it (edge.h), each side with
 * the mean power beside it. */
int
around_edge(struct around *x, double t, bool is_start, struct edge_sample *out)
{
    if (x->have_a)
        edge_rates(&x->a, x->have_before_a ? &x->before_a : NULL);
    if (x->have_b)
        edge_rates(&x->b, x->have_after_b ? &x->after_b : NULL);
    return edge_at(x->have_a ? &x->a : NULL, x->have_b ? &x->b : NULL, t, is_start, out);
}


int
pp_record_sample(struct pp_ctx *c, const struct pp_metric m[S_COUNT], const pmHighResResult *r,
                 struct edge_sample *out)
{
    struct reader rd;

    reader_init(&rd, c, m, false);
    return record_sample(&rd, r, out);
}
